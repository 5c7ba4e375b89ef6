"""Trainings and exercises (Art. 5), their occurrences, participants, attendance and calendars.

A plan that breaks a planning rule answers 409 ``training_conflict`` with ``conflicts`` naming
the state, capability, window and figure, and their ``summary`` by kind, state and capability
(as the dry-run check's body has); ``override_reason`` saves it anyway for a planner
holding ``training.override``. Calendar feeds live outside ``/api/v1`` because calendar clients
cannot sign in: their URL carries a revocable token.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, request

from atlas_coord.schemas_trainings import FeedCreate, FeedQuery
from atlas_coord.serializers import Page
from atlas_coord.serializers.calendars import FeedCreatedOut, FeedOut
from atlas_coord.serializers.trainings import (
    AttendancePage,
    CheckOut,
    SavedTrainingOut,
    TrainingDetailOut,
    TrainingOut,
    TrainingPage,
)
from atlas_coord.services import calendars
from atlas_coord.services import trainings as service
from atlas_coord.services.errors import Invalid
from atlas_coord.services.trainings.commands import (
    AttendanceRecord,
    Invitation,
    OccurrenceEdit,
    OccurrenceWindow,
    ParticipantResponse,
    TrainingCancel,
    TrainingCheck,
    TrainingCreate,
    TrainingFilter,
    TrainingUpdate,
)

from . import db_session, settings
from .core import current_actor, endpoint

bp = Blueprint("trainings", __name__)

API = "/api/v1"
CONFLICT_ERRORS = (403, 404, 409, 422)



def _saved(saved: service.Saved) -> dict:
    return SavedTrainingOut.of(saved).wire()


def _training(saved: service.Saved) -> dict:
    return TrainingOut.of(saved.training, saved.units).wire()


def _recurrence_id(value: str) -> datetime:
    """The occurrence's original local start from the path, e.g. ``2027-03-17T09:00``.

    :raise Invalid: not a naive ISO 8601 date-time.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is not None:
        raise Invalid(f"{value!r} is not a local date-time like 2027-03-17T09:00",
                      fields={"recurrence_id": "local wall time at the venue, without offset"})
    return parsed


def _calendar(body: bytes, filename: str | None = None) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.charset = "utf-8"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.add_etag()
    return response.make_conditional(request)


# ---------------------------------------------------------------- trainings

@endpoint(bp, f"{API}/trainings", query=TrainingFilter, summary="List trainings and exercises")
def list_trainings(query: TrainingFilter):
    """Filter by occurrence date range (``from``/``to``), unit, state, kind and status; ordered by first start."""
    found = service.list_trainings(db_session(), current_actor(), query)
    items = [TrainingOut.of(t, found.units) for t in found.trainings]
    return TrainingPage(items=items, total=found.total, page=query.page, per_page=query.per_page).wire()


@endpoint(bp, f"{API}/trainings", "POST", body=TrainingCreate, status=201, errors=CONFLICT_ERRORS,
          summary="Plan a training or exercise (checked against the planning rules)")
def create_training(body: TrainingCreate):
    """409 ``training_conflict`` lists what the plan breaks; ``override_reason`` saves it anyway (training.override)."""
    return _saved(service.create_training(db_session(), current_actor(), settings(), body))


@endpoint(bp, f"{API}/trainings/check", "POST", body=TrainingCheck, errors=(403, 404, 422),
          summary="Check a plan without saving it (inline warnings)")
def check_training(body: TrainingCheck):
    """The conflicts and warnings a create (or, with ``training_id``, a change) would meet."""
    return CheckOut.of(service.check_plan(db_session(), current_actor(), settings(), body)).wire()


@endpoint(bp, f"{API}/trainings/<int:training_id>", query=OccurrenceWindow, errors=(404, 422),
          summary="One training with its occurrences in a window and their conflicts")
def get_training(training_id: int, query: OccurrenceWindow):
    """Occurrences in ``[from, to)`` (default: the next 90 days), each with the conflicts it adds."""
    detail = service.training_detail(db_session(), current_actor(), settings(), training_id,
                                     window_from=query.from_, window_to=query.to)
    return TrainingDetailOut.of(detail).wire()


@endpoint(bp, f"{API}/trainings/<int:training_id>", "PATCH", body=TrainingUpdate, errors=CONFLICT_ERRORS,
          summary="Change a training (checked again)")
def update_training(training_id: int, body: TrainingUpdate):
    """Only the fields given change; ``expected_version`` guards against overwriting a concurrent change."""
    return _saved(service.update_training(db_session(), current_actor(), settings(), training_id, body))


@endpoint(bp, f"{API}/trainings/<int:training_id>/cancel", "POST", body=TrainingCancel, errors=(403, 404, 409),
          summary="Cancel a training")
def cancel_training(training_id: int, body: TrainingCancel):
    """All occurrences are cancelled; a running one ends at the next scheduler run, restoring readiness."""
    return _training(service.cancel_training(db_session(), current_actor(), settings(), training_id, body))


@endpoint(bp, f"{API}/trainings/<int:training_id>/occurrences/<recurrence_id>", "PUT", body=OccurrenceEdit,
          errors=CONFLICT_ERRORS, summary="Move, rename or cancel one occurrence")
def edit_occurrence(training_id: int, recurrence_id: str, body: OccurrenceEdit):
    """``recurrence_id`` is the occurrence's original local start, e.g. ``2027-03-17T09:00``."""
    saved = service.edit_occurrence(db_session(), current_actor(), settings(), training_id,
                                    _recurrence_id(recurrence_id), body)
    return _saved(saved)


@endpoint(bp, f"{API}/trainings/<int:training_id>/occurrences/<recurrence_id>", "DELETE", errors=CONFLICT_ERRORS,
          summary="Undo the edit of one occurrence")
def revert_occurrence(training_id: int, recurrence_id: str):
    """The occurrence follows the series' rule again."""
    saved = service.revert_occurrence(db_session(), current_actor(), settings(), training_id,
                                      _recurrence_id(recurrence_id))
    return _training(saved)


@endpoint(bp, f"{API}/trainings/<int:training_id>/participants", "POST", body=Invitation, errors=CONFLICT_ERRORS,
          summary="Invite units")
def invite_units(training_id: int, body: Invitation):
    """Invitation order is the waiting-list order; the invited units are checked against the planning rules."""
    return _saved(service.invite_units(db_session(), current_actor(), settings(), training_id, body))


@endpoint(bp, f"{API}/trainings/<int:training_id>/participants/<int:unit_id>/response", "POST",
          body=ParticipantResponse, errors=CONFLICT_ERRORS, summary="Accept or decline (the unit's commander or competent authority)")
def respond(training_id: int, unit_id: int, body: ParticipantResponse):
    """Accepting runs the conflict check and may put the unit on the waiting list; declining promotes the next."""
    return _saved(service.respond(db_session(), current_actor(), settings(), training_id, unit_id, body))


@endpoint(bp, f"{API}/trainings/<int:training_id>/attendance", errors=(404,), summary="Attendance per occurrence")
def list_attendance(training_id: int):
    """Every recorded entry, by occurrence and unit."""
    return AttendancePage.of(service.list_attendance(db_session(), current_actor(), training_id)).wire()


@endpoint(bp, f"{API}/trainings/<int:training_id>/attendance", "PUT", body=AttendanceRecord,
          errors=(403, 404, 409, 422), summary="Record attendance of one occurrence")
def record_attendance(training_id: int, body: AttendanceRecord):
    """Once the occurrence has started; recording again replaces a unit's entry."""
    return AttendancePage.of(service.record_attendance(db_session(), current_actor(), training_id, body)).wire()


@endpoint(bp, f"{API}/trainings/<int:training_id>.ics", errors=(404,), summary="The training as an iCalendar file")
def training_ics(training_id: int):
    """text/calendar with VTIMEZONE, RRULE, EXDATE, edited occurrences and the units as attendees."""
    body = calendars.training_ics(db_session(), current_actor(), training_id,
                                  marking=settings().security.calendar_marking)
    return _calendar(body, f"training-{training_id}.ics")


# ---------------------------------------------------------------- calendar feeds

@endpoint(bp, f"{API}/calendar-feeds", "POST", body=FeedCreate, status=201, errors=(403, 422),
          summary="Create a subscribable calendar feed for a unit or a state")
def create_feed(body: FeedCreate):
    """Returns the feed URL with its token once; store it in the calendar client, revoke it when it leaks."""
    row, token = calendars.create_feed(
        db_session(), current_actor(), scope=body.scope, unit_id=body.unit_id, state=body.state, label=body.label
    )
    return FeedCreatedOut.created(row, token).wire()


@endpoint(bp, f"{API}/calendar-feeds", summary="Your calendar feeds (tokens are never shown again)")
def list_feeds():
    """Active and revoked feeds you created (an admin sees all)."""
    rows = [FeedOut.of(r) for r in calendars.list_feeds(db_session(), current_actor())]
    return Page[FeedOut](items=rows, total=len(rows)).wire()


@endpoint(bp, f"{API}/calendar-feeds/<int:feed_id>", "DELETE", errors=(404,), summary="Revoke a calendar feed")
def revoke_feed(feed_id: int):
    """The feed URL stops working at once."""
    return FeedOut.of(calendars.revoke_feed(db_session(), current_actor(), feed_id)).wire()


@endpoint(bp, "/calendar/unit/<int:unit_id>.ics", query=FeedQuery, auth=False, errors=(404,),
          summary="A unit's training calendar (webcal; token in the URL)")
def unit_feed(unit_id: int, query: FeedQuery):
    """Trainings the unit hosts or is invited to, with REFRESH-INTERVAL for subscribers."""
    return _calendar(calendars.unit_feed(db_session(), unit_id, query.token,
                                               marking=settings().security.calendar_marking))


@endpoint(bp, "/calendar/state/<state>.ics", query=FeedQuery, auth=False, errors=(404,),
          summary="A state's training calendar (webcal; token in the URL)")
def state_feed(state: str, query: FeedQuery):
    """Trainings hosted by or involving the state's units."""
    return _calendar(calendars.state_feed(db_session(), state, query.token,
                                                marking=settings().security.calendar_marking))
