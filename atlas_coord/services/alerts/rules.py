"""Alert rules: which change pages which organisation's duty officer, and how long the ladder
waits for an acknowledgement before it climbs. Defaults below; an organisation overrides them in
its roster (``rules``: ``{kind: {"enabled": bool, "ack_minutes": int}}``).

Alerts are read off the outbox's committed events (what a change published), so no use case
has to know about alerts; the answer deadline's warning 30 minutes before is time-driven.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from atlas_coord.domain.choices import AnswerStatus, DeploymentStatus
from atlas_coord.models import AssistanceRequest, DutyOrg

from ..duty import load_org


@dataclass(frozen=True)
class Rule:
    enabled: bool = True
    ack_minutes: int = 5
    with_backup: bool = False


DEFAULT_RULES: dict[str, Rule] = {
    "request_submitted": Rule(ack_minutes=5),
    "deadline_soon": Rule(ack_minutes=5, with_backup=True),
    "answer_overdue": Rule(ack_minutes=5, with_backup=True),
    "counter_proposal": Rule(ack_minutes=10),
    "deployment_alerted": Rule(ack_minutes=5),
    "deployment_recalled": Rule(ack_minutes=10),
}
LABELS = {
    "request_submitted": "request for assistance submitted",
    "deadline_soon": "answer deadline in 30 minutes",
    "answer_overdue": "answer overdue",
    "counter_proposal": "counter-proposal to decide",
    "deployment_alerted": "unit alerted for deployment",
    "deployment_recalled": "deployment recalled",
}
DEADLINE_WARNING = timedelta(minutes=30)


def rule_for(org: DutyOrg | None, kind: str) -> Rule:
    default = DEFAULT_RULES[kind]
    override = (org.rules or {}).get(kind) if org is not None else None
    if not override:
        return default
    return Rule(bool(override.get("enabled", True)), int(override.get("ack_minutes", default.ack_minutes)),
                default.with_backup)


@dataclass(frozen=True)
class AlertSpec:
    """One alert to raise: ``dedupe_key`` makes it once per cause and organisation."""

    dedupe_key: str
    kind: str
    org_key: str
    request_id: int | None
    requesting_state: str | None
    deadline: datetime | None
    cause_at: datetime


def _iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _submitted(session: Session, env: dict[str, Any], at: datetime) -> list[AlertSpec]:
    data = env["data"]
    rid = data["request_id"]
    return [AlertSpec(f"request_submitted:{rid}:ca-{code}", "request_submitted", f"ca-{code}", rid,
                      data.get("requesting_state"), _iso(data.get("answer_deadline")), at)
            for code in data.get("addressees") or []]


def _overdue(session: Session, env: dict[str, Any], at: datetime) -> list[AlertSpec]:
    data = env["data"]
    rid, code = data["request_id"], data["state"]
    request = session.get(AssistanceRequest, rid)
    return [AlertSpec(f"answer_overdue:{rid}:ca-{code}", "answer_overdue", f"ca-{code}", rid,
                      request.requesting_state if request else None, _iso(data.get("answer_deadline")), at)]


def requester_org(session: Session, state: str) -> str:
    """The requester's duty roster: its crisis centre's when it keeps one, else its competent authority's."""
    return f"cc-{state}" if load_org(session, f"cc-{state}") is not None else f"ca-{state}"


def _answered(session: Session, env: dict[str, Any], at: datetime) -> list[AlertSpec]:
    data = env["data"]
    if data.get("status") != AnswerStatus.COUNTER_PROPOSED.value:
        return []
    request = session.get(AssistanceRequest, data["request_id"])
    if request is None:
        return []
    return [AlertSpec(f"counter_proposal:{request.id}:{data.get('state')}:{env['seq']}", "counter_proposal",
                      requester_org(session, request.requesting_state), request.id, request.requesting_state,
                      request.answer_deadline, at)]


def _deployment(session: Session, env: dict[str, Any], at: datetime) -> list[AlertSpec]:
    data = env["data"]
    status = data.get("status")
    if status == DeploymentStatus.ALERTED.value and env["type"] == "deployment.alerted":
        kind = "deployment_alerted"
    elif status == DeploymentStatus.RECALLED.value:
        kind = "deployment_recalled"
    else:
        return []
    request = session.get(AssistanceRequest, data["request_id"])
    return [AlertSpec(f"{kind}:{data['deployment_id']}", kind, f"unit-{data['unit_id']}", data["request_id"],
                      request.requesting_state if request else None, None, at)]


_BY_TYPE = {
    "request.submitted": _submitted,
    "request.answer_overdue": _overdue,
    "answer.given": _answered,
    "deployment.alerted": _deployment,
    "deployment.status_changed": _deployment,
}
WATCHED_TYPES = frozenset(_BY_TYPE)


def specs_for_event(session: Session, env: dict[str, Any]) -> list[AlertSpec]:
    """The alerts an outbox event calls for (none for most events)."""
    handler = _BY_TYPE.get(env["type"])
    if handler is None:
        return []
    return handler(session, env, datetime.fromisoformat(env["at"]))
