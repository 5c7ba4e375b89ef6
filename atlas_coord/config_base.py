"""The base of every configuration section, and the error a bad configuration raises (shared by
``config.py`` and the section modules split out of it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigError(Exception):
    """Raised when the configuration cannot be used; the message names the bad key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


__all__ = ["ConfigError", "_Section"]
