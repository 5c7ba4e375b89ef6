"""Training calendars: an ICS file per training and subscribable feeds per unit and per state.

A feed URL carries a revocable token (``/calendar/unit/12.ics?token=...``), because calendar
clients cannot sign in. Only the token's SHA-256 is stored; the token is shown once, when it
is created by someone entitled to that unit's or state's trainings (the unit's commander, the
state's competent authority, a training planner for the state, an admin). Each training is one
VEVENT with its RRULE and EXDATEs in the venue's zone (``DTSTART;TZID=...`` plus VTIMEZONE),
its participating units as ATTENDEEs with their answer, and one more VEVENT per edited or
cancelled occurrence (RECURRENCE-ID); see :mod:`atlas_coord.domain.calendar_ics`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from atlas_coord.domain.calendar_ics import CalAttendee, CalOverride, TrainingCal, training_to_ical
from atlas_coord.domain.choices import Marking
from atlas_coord.models import CalendarFeedToken, State, Training, TrainingParticipant, Unit, utcnow
from atlas_coord.policy import Action, Actor, Grant, granting
from atlas_coord.serializers.calendars import FeedOut

from . import audit
from .errors import Forbidden, Invalid, NotFound
from .trainings import get_training, training_query, units_of

PARTSTAT = {"accepted": "ACCEPTED", "declined": "DECLINED", "invited": "NEEDS-ACTION", "waitlisted": "TENTATIVE"}
#: Feeds show series that ended less than this long ago, and cancellations this recent.
FEED_HISTORY = timedelta(days=365)
CANCELLED_KEPT = timedelta(days=90)
REFRESH_INTERVAL = timedelta(hours=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- ICS

def training_cal(training: Training, units: Mapping[int, Unit]) -> TrainingCal:
    """The calendar form of a training: attendees are its units with their answers."""
    host = units.get(training.host_unit_id)
    attendees = []
    for p in training.participants:
        unit = units.get(p.unit_id)
        attendees.append(CalAttendee(
            name=unit.name if unit else f"unit {p.unit_id}",
            partstat=PARTSTAT[p.status],
            role="CHAIR" if p.role == "host" else "REQ-PARTICIPANT",
            unit_id=p.unit_id,
        ))
    description = training.description or ""
    if training.funding_note:
        description = f"{description}\n\nFunding: {training.funding_note}".strip()
    return TrainingCal(
        uid=f"training-{training.id}@atlas-coord",
        title=training.title,
        tz=training.timezone,
        start_local=training.start_local,
        end_local=training.end_local,
        last_modified=training.updated_at,
        description=description or None,
        location_name=training.venue_name,
        lat=training.venue_lat,
        lon=training.venue_lon,
        rrule=training.rrule,
        exdates=[datetime.fromisoformat(x) for x in training.exdates or ()],
        overrides=[CalOverride(o.recurrence_id, o.start_local, o.end_local, o.cancelled, o.title)
                   for o in training.occurrence_overrides],
        attendees=attendees,
        organizer_name=host.name if host else None,
        sequence=max(training.version - 1, 0),
        status="CANCELLED" if training.status == "cancelled" else "CONFIRMED",
        categories=[training.kind.replace("_", " ")],
    )


def _ical(trainings: Iterable[Training], units: Mapping[int, Unit], name: str, *, feed: bool,
          marking: Marking) -> bytes:
    return training_to_ical([training_cal(t, units) for t in trainings], calendar_name=name,
                            refresh_interval=REFRESH_INTERVAL if feed else None, marking=marking)


def training_ics(session: Session, actor: Actor, training_id: int, *,
                 marking: Marking = Marking.UNCLASSIFIED) -> bytes:
    """One training as an iCalendar file carrying ``marking`` (``security.calendar_marking``).

    :raise Forbidden: may not read trainings. :raise NotFound: no such training.
    """
    if granting(actor, Action.TRAINING_READ) is None:
        raise Forbidden("you may not read trainings")
    training = get_training(session, training_id)
    return _ical([training], units_of(session, [training]), training.title, feed=False, marking=marking)


# ---------------------------------------------------------------- feed tokens

def _feed_grant(session: Session, actor: Actor, scope: str, unit_id: int | None, state: str | None) -> Grant:
    """Who may subscribe to a feed: the unit's commander or its state's competent authority
    (training.respond), or a training planner for that state (training.plan).

    :raise Invalid: unknown unit or state. :raise Forbidden: not entitled.
    """
    if scope == "unit":
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise Invalid(f"unit {unit_id} not found", fields={"unit_id": "unknown unit"})
        grant = (granting(actor, Action.TRAINING_RESPOND, state=unit.state_code, unit_id=unit.id)
                 or granting(actor, Action.TRAINING_PLAN, state=unit.state_code))
        what = f"{unit.name}'s"
    else:
        if session.get(State, state) is None:
            raise Invalid(f"unknown state {state!r}", fields={"state": "unknown state code"})
        grant = granting(actor, Action.TRAINING_RESPOND, state=state) or granting(actor, Action.TRAINING_PLAN, state=state)
        what = f"{state}'s"
    if grant is None:
        raise Forbidden(f"you may not subscribe to {what} training calendar")
    return grant


def create_feed(
    session: Session, actor: Actor, *, scope: str, unit_id: int | None = None, state: str | None = None,
    label: str = "calendar",
) -> tuple[CalendarFeedToken, str]:
    """Create a feed token for a unit (``scope`` "unit", ``unit_id``) or a state (``scope``
    "state", ``state``); returns the row and the token, which is never shown again.

    :raise Invalid: unit feed without ``unit_id``, state feed without ``state``, unknown target.
    :raise Forbidden: not entitled to that unit's or state's trainings.
    """
    if scope == "unit" and (unit_id is None or state is not None):
        raise Invalid("a unit feed needs unit_id and no state", fields={"unit_id": "required for a unit feed"})
    if scope == "state" and (state is None or unit_id is not None):
        raise Invalid("a state feed needs state and no unit_id", fields={"state": "required for a state feed"})
    grant = _feed_grant(session, actor, scope, unit_id, state)
    token = secrets.token_urlsafe(32)
    row = CalendarFeedToken(scope=scope, unit_id=unit_id, state_code=state, token_hash=hash_token(token),
                            label=label, created_by_id=actor.user_id, created_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor, grant.label(), "calendar_feed.create", "calendar_feed", row.id, after=FeedOut.of(row).wire())
    return row, token


def list_feeds(session: Session, actor: Actor) -> list[CalendarFeedToken]:
    """The actor's own feeds (an admin sees all)."""
    query = sa.select(CalendarFeedToken).order_by(CalendarFeedToken.id)
    if granting(actor, Action.USER_MANAGE) is None:
        query = query.where(CalendarFeedToken.created_by_id == actor.user_id)
    return list(session.scalars(query))


def revoke_feed(session: Session, actor: Actor, feed_id: int) -> CalendarFeedToken:
    """Revoke a feed token: its URL stops working at once. Revoking twice is harmless.

    :raise NotFound: no such feed, or one the caller neither made nor may subscribe to (the
        same answer, so that nobody learns which feeds exist elsewhere).
    """
    row = session.get(CalendarFeedToken, feed_id)
    unknown = NotFound(f"calendar feed {feed_id} not found", fields={"feed_id": "unknown feed"})
    if row is None:
        raise unknown
    if row.created_by_id == actor.user_id:
        grant_label = "owner"
    else:
        try:
            grant_label = _feed_grant(session, actor, row.scope, row.unit_id, row.state_code).label()
        except Forbidden:
            raise unknown from None
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by_id = utcnow(), actor.user_id
        session.flush()
        audit.record(session, actor, grant_label, "calendar_feed.revoke", "calendar_feed", row.id, after=FeedOut.of(row).wire())
    return row


def _feed_row(session: Session, scope: str, target: int | str, token: str) -> CalendarFeedToken:
    """:raise NotFound: unknown, revoked or mismatched token (never says which)."""
    row = session.scalar(sa.select(CalendarFeedToken).where(CalendarFeedToken.token_hash == hash_token(token)))
    matches = row is not None and row.revoked_at is None and row.scope == scope and (
        (scope == "unit" and row.unit_id == target) or (scope == "state" and row.state_code == target))
    if not matches or not hmac.compare_digest(row.token_hash, hash_token(token)):
        raise NotFound("no such calendar feed (the link may have been revoked)")
    return row


def _feed_trainings(session: Session, unit_ids: sa.Select, now: datetime) -> list[Training]:
    involved = sa.select(TrainingParticipant.training_id).where(
        TrainingParticipant.unit_id.in_(unit_ids), TrainingParticipant.status != "declined")
    query = (
        training_query()
        .where(sa.or_(Training.host_unit_id.in_(unit_ids), Training.id.in_(involved)))
        .where(sa.or_(Training.series_end_utc.is_(None), Training.series_end_utc > now - FEED_HISTORY))
        .where(sa.or_(Training.status == "planned", Training.updated_at > now - CANCELLED_KEPT))
        .order_by(Training.id)
    )
    return list(session.scalars(query))


def unit_feed(session: Session, unit_id: int, token: str, *, now: datetime | None = None,
              marking: Marking = Marking.UNCLASSIFIED) -> bytes:
    """The unit's trainings (hosted, invited, accepted, waitlisted) as a webcal feed carrying ``marking``.

    :raise NotFound: bad or revoked token, or a token for another unit.
    """
    now = now or utcnow()
    row = _feed_row(session, "unit", unit_id, token)
    row.last_used_at = now
    unit = session.get(Unit, unit_id)
    trainings = _feed_trainings(session, sa.select(Unit.id).where(Unit.id == unit_id), now)
    return _ical(trainings, units_of(session, trainings), f"ATLAS trainings: {unit.name}", feed=True,
                 marking=marking)


def state_feed(session: Session, state: str, token: str, *, now: datetime | None = None,
               marking: Marking = Marking.UNCLASSIFIED) -> bytes:
    """Trainings hosted by or involving the state's units, as a webcal feed carrying ``marking``.

    :raise NotFound: bad or revoked token, or a token for another state.
    """
    now = now or utcnow()
    state = state.upper()
    row = _feed_row(session, "state", state, token)
    row.last_used_at = now
    trainings = _feed_trainings(session, sa.select(Unit.id).where(Unit.state_code == state), now)
    return _ical(trainings, units_of(session, trainings), f"ATLAS trainings: {state}", feed=True,
                 marking=marking)
