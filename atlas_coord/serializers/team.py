"""Response models of a team proposal (:mod:`atlas_coord.domain.team`), built by attribute.

:class:`~atlas_coord.domain.team.Uncovered` goes out as it is, so it is used as it is.
"""

from __future__ import annotations

from atlas_coord.domain.team import Uncovered

from . import Out
from .ranking import IsoTimeOrNone, Round2


class LateNeedOut(Out):
    """A need only late units can meet, and the earliest time they could meet it."""

    code: str
    earliest_arrival: IsoTimeOrNone
    earliest_eta_min: Round2
    late_by_min: Round2
    units: list[str]
    message: str


class TeamMemberOut(Out):
    unit_id: int
    state: str
    name: str
    rank: int
    eta_min: Round2
    arrival: IsoTimeOrNone
    mode: str
    contributes: dict[str, int]
    why: str


class TeamProposalOut(Out):
    members: list[TeamMemberOut]
    latest_arrival: IsoTimeOrNone
    latest_eta_min: Round2 | None
    uncovered: list[Uncovered]
    covers_everything: bool
    redundancy: bool
    method: str
    considered: int
    complete: bool
    notes: list[str]
    late_needs: list[LateNeedOut]
