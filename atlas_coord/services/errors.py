"""Errors a service raises; the edges turn each into one JSON error with its HTTP status."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class Invalid(ServiceError):
    """Input that is well-formed but breaks a rule (unknown capability, unit of another state...)."""

    status = 422
    code = "invalid"


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    """Also used where need-to-know hides that something exists."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """An illegal transition or a lost race: carries the current state and the allowed next steps."""

    status = 409
    code = "conflict"
