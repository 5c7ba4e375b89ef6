"""Response models of the system endpoints: health and liveness."""

from __future__ import annotations

from typing import Literal, Self

from . import Out


class HealthOut(Out):
    """Liveness and database reachability (also the body of the 503 when the database is down)."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    version: str

    @classmethod
    def of(cls, database_ok: bool, version: str) -> Self:
        return cls(
            status="ok" if database_ok else "unavailable",
            database="ok" if database_ok else "unreachable",
            version=version,
        )


class LiveOut(Out):
    status: Literal["ok"]
