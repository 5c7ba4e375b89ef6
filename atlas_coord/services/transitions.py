"""The transitions kernel shared by every aggregate: plan a status change from the transition
tables, check its guards, check the caller's expected version, lock, and compare-and-set.

Race safety: every status change is a compare-and-set (:func:`compare_and_set`), so of two
concurrent changes exactly one wins and the other gets 409 with the current status. A change
under a request first locks the request row (:func:`lock_row`); on PostgreSQL that is ``FOR NO
KEY UPDATE``; on SQLite ``FOR UPDATE`` compiles to nothing and ``BEGIN IMMEDIATE`` (db.py) already
serialises writers, so the compare-and-set is what makes both engines safe.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from atlas_coord.domain.actions import next_actions
from atlas_coord.domain.choices import Party
from atlas_coord.domain.lifecycle import (
    TRANSITIONS,
    GuardFailed,
    IllegalTransition,
    Machine,
    PartyNotAllowed,
    Transition,
    evaluate_guards,
    plan_transition,
)
from atlas_coord.policy import Grant

from .errors import Conflict, Forbidden, Invalid

# ---------------------------------------------------------------- errors


class TransitionRefused(Conflict):
    """The action is not allowed from the current status (409 with ``current`` and ``allowed``)."""

    code = "illegal_transition"


class GuardRefused(Conflict):
    """A guard of the transition table does not hold (409 naming the guard)."""

    code = "guard_failed"


# Guards that fail because of what the caller sent: 422 naming the field, not 409.
_INPUT_GUARDS = {
    "reason_required": "reason",
    "eta_required": "eta",
    "on_scene_commander_required": "on_scene_commander",
    "units_offered_belong_to_state": "units",
}


def plan(
    machine: Machine, action: str, current: str, grants: Mapping[Party, Grant | None], what: str
) -> tuple[Transition, Grant]:
    """Find the transition for ``action`` from ``current`` that one of the actor's parties may take.

    :param grants: each party the actor might act as, with the grant that makes it that party
        (None when it is not).
    :return: the transition and the grant to record in the audit trail.
    :raise Forbidden: none of the actor's parties ever takes ``action`` (checked first, so someone
        with no part in it gets 403 whatever the status), or the status allows it, but not for
        any party the actor is.
    :raise TransitionRefused: the action is not allowed from ``current`` (for anyone).
    """
    takers = {party for t in TRANSITIONS[machine] if t.action == action for party in t.parties}
    if not any(grant is not None and party in takers for party, grant in grants.items()):
        who = ", ".join(sorted(takers - {Party.SYSTEM})) or "the system"
        raise Forbidden(f"{what}: {action} may be done by {who} only")
    try:
        for party, grant in grants.items():
            if grant is None:
                continue
            try:
                return plan_transition(machine, action, current, party), grant
            except PartyNotAllowed:
                continue
        plan_transition(machine, action, current, Party.SYSTEM)  # raises for an illegal status
    except IllegalTransition as exc:
        allowed = next_actions(machine, exc.current)
        raise TransitionRefused(
            f"{what} is {exc.current}: cannot {action} (allowed now: {', '.join(allowed) or 'nothing'})",
            current=exc.current,
            allowed=allowed,
        ) from None
    except PartyNotAllowed as exc:
        raise Forbidden(f"{what}: {action} may be done by {', '.join(exc.allowed_parties)} only") from None
    raise Forbidden(f"{what}: {action} is done by the system only")  # pragma: no cover - no such row


def check_guards(transition: Transition, facts: Mapping[str, bool], *, current: str | None = None) -> None:
    """Evaluate the transition's guards from ``facts``.

    :raise Invalid: a guard about the caller's input failed (e.g. a refusal without a reason).
    :raise GuardRefused: any other guard failed (e.g. the request is no longer open); every such
        guard is about the request, so ``current`` is the request's status.
    """
    try:
        evaluate_guards(transition, facts)
    except GuardFailed as exc:
        if exc.guard in _INPUT_GUARDS:
            raise Invalid(exc.description, fields={_INPUT_GUARDS[exc.guard]: exc.description}) from None
        status = f" (the request is {current})" if current else ""
        raise GuardRefused(f"cannot {transition.action}{status}: {exc.description}", guard=exc.guard,
                           current=current) from None


def _moved_on(row: Any, machine: Machine | None, message: str) -> Conflict:
    """The 409 for a row that is not the version the caller planned from: with its current status
    and the actions allowed from it when it is a lifecycle row, else with its current version."""
    if machine is None:
        # ``version`` at the top as well: the requests API answered a stale crisis or arrangement so.
        return Conflict(message, current={"version": row.version}, version=row.version)
    return Conflict(message, current=row.status, allowed=next_actions(machine, row.status), version=row.version)


def check_expected_version(row: Any, expected: int | None, what: str, *, machine: Machine | None = None) -> None:
    """The one optimistic-version check of every aggregate (requests, answers, deployments,
    trainings, units): a caller that sends ``expected_version`` must have seen the current one.

    :raise Conflict: the caller based its change on another version than the current one.
    """
    if expected is not None and expected != row.version:
        state = f", {row.status}" if machine is not None else ""
        raise _moved_on(row, machine, f"{what} changed since version {expected} (now version {row.version}{state}); "
                                      "reload and retry")


@dataclass(frozen=True)
class Planned:
    """A status change planned from what the caller saw: the transition, the grant to record in
    the audit trail, and the (status, version) the compare-and-set must still find."""

    transition: Transition
    grant: Grant
    seen: tuple[str, int]
    what: str

    @property
    def target(self) -> str:
        return self.transition.next_status(self.seen[0])


def begin(
    machine: Machine, action: str, row: Any, grants: Mapping[Party, Grant | None], what: str, expected: int | None
) -> Planned:
    """The preamble of every status change: :func:`plan` it for the actor's parties, check the
    caller's expected version, and remember the status and version it was planned from. Locking
    is the caller's (what to lock, and when, differs by aggregate; see the lock order above).

    :raise Forbidden, TransitionRefused: as for :func:`plan`.
    :raise Conflict: the caller based the change on another version than the current one.
    """
    transition, grant = plan(machine, action, row.status, grants, what)
    check_expected_version(row, expected, what, machine=machine)
    return Planned(transition, grant, (row.status, row.version), what)


def claim_version(session: Session, row: Any, seen_version: int, what: str, **values: Any) -> None:
    """``UPDATE ... SET version=version+1, ... WHERE id=:id AND version=:seen``: the compare-and-set
    of aggregates without a status machine (trainings, units). Of two concurrent changes planned
    from the same version exactly one matches; the other gets 409.

    :raise Conflict: the row was changed by someone else since ``seen_version``.
    """
    model = type(row)
    session.flush()
    if not update_if(session, row, (model.version == seen_version,), {"version": seen_version + 1, **values}):
        session.refresh(row)
        raise _moved_on(row, None, f"{what} was changed by someone else; reload and retry")


def compare_and_set(
    session: Session, row: Any, machine: Machine, *, seen: tuple[str, int], to: str, what: str, **values: Any
) -> None:
    """``UPDATE ... SET status=:to, version=version+1 WHERE id=:id AND status=:seen AND version=:seen``.

    Exactly one of two concurrent changes of the same row matches; the other changes nothing.

    :param seen: the status and version the change was planned from.
    :raise Conflict: the row moved on since ``seen`` (409 with its current status and the
        actions allowed from it).
    """
    model = type(row)
    seen_status, seen_version = seen
    session.flush()
    if not update_if(session, row, (model.status == seen_status, model.version == seen_version),
                     {"status": to, "version": seen_version + 1, **values}):
        session.refresh(row)
        raise _moved_on(row, machine, f"{what} was changed by someone else (now {row.status}, version {row.version}); "
                                      "reload and retry")


@functools.cache
def _set_on_update(model: type) -> tuple[str, ...]:
    """The attributes of ``model``'s table columns that every UPDATE sets (``onupdate``)."""
    return tuple(prop.key for prop in sa.inspect(model).column_attrs
                 if any(isinstance(column, sa.Column) and column.onupdate is not None for column in prop.columns))


def update_if(session: Session, row: Any, where: tuple[Any, ...], values: dict[str, Any]) -> bool:
    """``UPDATE ... SET values WHERE id=:id AND where RETURNING`` what it wrote (``values`` and the
    columns the table sets on every update), applied to ``row`` as loaded: the claim of every
    compare-and-set. False when no row matched (the caller reloads ``row`` to say why).

    Why not ``session.refresh(row)``: it read the row again and every collection loaded on it (a
    unit's stations and holdings, a request's answers), two to four statements per change for
    values this statement already knows (issue #18).
    """
    model = type(row)
    keys = list(dict.fromkeys([*values, *_set_on_update(model)]))
    written = session.execute(
        sa.update(model).where(model.id == row.id, *where).values(**values)
        .returning(*(getattr(model, key) for key in keys))
        .execution_options(synchronize_session=False)
    ).first()
    if written is None:
        return False
    for key, value in zip(keys, written, strict=True):
        set_committed_value(row, key, value)
    return True


def lock_row(session: Session, row: Any, *, unchanged_since: tuple[str, int] | None = None) -> None:
    """Lock ``row`` (a request: every change under a request locks it first) until the
    transaction ends, and reload it.

    PostgreSQL takes ``FOR NO KEY UPDATE`` (waiting for a concurrent change to commit, then
    reading its result); on SQLite ``BEGIN IMMEDIATE`` already serialises writers.

    :param unchanged_since: (status, version) the caller planned from; a request that moved on is a 409.
    :raise Conflict: the request changed since ``unchanged_since``.
    """
    model = type(row)
    session.flush()
    session.execute(
        sa.select(model)
        .where(model.id == row.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if unchanged_since is not None and (row.status, row.version) != unchanged_since:
        raise _moved_on(row, "request", f"request {row.id} was changed by someone else (now {row.status}, version "
                                        f"{row.version}); reload and retry")


def bump_version(session: Session, row: Any) -> None:
    """Mark that something under ``row`` changed (for a request: an answer, a decision, the
    settlement), so that a caller acting on an older view of it (e.g. withdrawing) gets 409.
    Needs the row's lock."""
    model = type(row)
    update_if(session, row, (), {"version": model.version + 1})
