"""Value types of the second factor, shared by services/mfa.py and the response models."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MfaStatus:
    """An account's second factor: enrolled; required by its roles; waived (a demo account);
    whether it has an authenticator app, how many security keys, whether it may register one."""

    enrolled: bool
    required: bool
    demo_exempt: bool
    totp: bool = False
    security_keys: int = 0
    security_keys_offered: bool = False


@dataclass(frozen=True)
class Enrolment:
    """A started enrolment: the secret (shown this once) and its ``otpauth://`` URI."""

    secret: str
    uri: str
