"""The ``[alerts]`` section: out-of-band alerts to duty officers (channels, links, retries)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from .config_base import _Section


class AlertSettings(_Section):
    """Out-of-band alerts to duty officers (issue 15): channels, links, retries."""

    # "mailbox": emails go to a table an admin reads in the console (the embedded default, no
    # SMTP needed); "smtp": to ``smtp_host`` with STARTTLS and the credentials below.
    email: Literal["mailbox", "smtp"] = "mailbox"
    smtp_host: str = "localhost"
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = Field("atlas-duty@localhost", min_length=3, max_length=254)
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # Private CA bundle for the relay's certificate (None: the system's trust store).
    smtp_cafile: str | None = None
    # The SMS/voice gateway: one HTTP webhook, the body signed with HMAC-SHA-256 (None: SMS and
    # voice contact points are skipped and the ladder moves on).
    gateway_url: str | None = None
    gateway_secret: SecretStr | None = None
    gateway_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # The console's public address, for the acknowledgement links in emails and texts.
    public_url: str = Field("http://127.0.0.1:5000", min_length=8, max_length=300)
    link_max_age_minutes: int = Field(24 * 60, ge=5, le=14 * 24 * 60)
    lease_seconds: int = Field(60, ge=5, le=3600)
    retry_base_seconds: float = Field(5.0, gt=0, le=3600)
    retry_max_seconds: float = Field(300.0, gt=0, le=24 * 3600)
    max_attempts: int = Field(50, ge=1, le=1000)
    # A thread in each server process that delivers as soon as a change commits (the scheduler
    # sweeps as a safety net); off in tests that drive delivery themselves.
    dispatcher_thread: bool = True
