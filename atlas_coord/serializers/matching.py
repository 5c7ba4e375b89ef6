"""Response model of a match: the query, the ranking and the team proposed from it, in one body.

It is the body of ``/requests/<id>/candidates`` and ``/match``, and the ranking snapshot frozen on
a request at submission (``taken_at`` added), so the three cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Self

from atlas_coord.domain.eta import EtaParams
from atlas_coord.domain.ranking import MatchQuery

from . import Out
from .geo import GeoPointOut
from .ranking import IsoTime, IsoTimeOrNone, RankingOut
from .team import TeamProposalOut

if TYPE_CHECKING:
    from atlas_coord.services.matching import Match


class RequirementOut(Out):
    code: str
    quantity: int
    min_level: str
    critical: bool


class MatchQueryOut(Out):
    """What was matched: the site, needs and deadline, when, and the ETA model's parameters."""

    site: GeoPointOut
    requesting_state: str
    requirements: list[RequirementOut]
    kinds: list[str]
    needed_by: IsoTimeOrNone
    now: IsoTime
    redundancy: bool
    eta_params: dict[str, float]

    @classmethod
    def of(cls, query: MatchQuery, params: EtaParams, *, redundancy: bool) -> MatchQueryOut:
        return cls(
            site=GeoPointOut.model_validate(query.site),
            requesting_state=query.requesting_state,
            requirements=[RequirementOut.model_validate(r) for r in query.requirements],
            kinds=sorted(query.kinds),
            needed_by=query.needed_by,
            now=query.now,
            redundancy=redundancy,
            eta_params=dataclasses.asdict(params),
        )


class MatchOut(RankingOut):
    """A match: the query, the ranking (its fields at the top level) and the team proposed from it."""

    query: MatchQueryOut
    team: TeamProposalOut

    @classmethod
    def of(cls, match: Match) -> Self:
        return cls(
            query=MatchQueryOut.of(match.query, match.params, redundancy=match.redundancy),
            **cls.fields_of(match.result),
            team=TeamProposalOut.model_validate(match.team),
        )


class RequestMatchOut(MatchOut):
    """A match for a stored request (``/requests/<id>/candidates``)."""

    request_id: int

    @classmethod
    def of(cls, match: Match) -> Self:
        return cls(request_id=match.request_id, **MatchOut.of(match).model_dump())
