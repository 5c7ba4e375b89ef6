"""Value types of the second factor, shared by services/mfa.py and the response models."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MfaStatus:
    """An account's second factor: enrolled; required by its roles; waived (a demo account)."""

    enrolled: bool
    required: bool
    demo_exempt: bool


@dataclass(frozen=True)
class Enrolment:
    """A started enrolment: the secret (shown this once) and its ``otpauth://`` URI."""

    secret: str
    uri: str
