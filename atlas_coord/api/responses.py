"""JSON schemas of the success bodies, keyed by endpoint name (``blueprint.view``).

An entry is a JSON schema, or a response model (``atlas_coord/serializers``) that builds the body
itself and describes it in the OpenAPI document. Both are checked against the real responses by the
schemathesis fuzz test (tests/api/test_openapi_fuzz.py): a field listed under ``required`` is always present; a type with ``"null"`` may be null. Nested
parts that are free-form by design (audit ``before``/``after``, the ranking snapshot) stay objects.
"""

from __future__ import annotations

from typing import Any

from atlas_coord.serializers import costs as cost_out
from atlas_coord.serializers import requests as request_out

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
OBJ: Schema = {"type": "object"}
TIME: Schema = {"type": "string", "format": "date-time"}


def null(schema: Schema) -> Schema:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """An object with ``properties``, all required except ``optional``."""
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def page(items: Schema, *, paged: bool = False) -> Schema:
    properties = {"items": array(items), "total": INT}
    if paged:
        properties |= {"page": INT, "per_page": INT}
    return obj(properties)


LOCAL_TIME: Schema = {"type": "string", "description": "local wall time at the venue, e.g. 2027-03-17T09:00"}
POINT = obj({"lat": NUM, "lon": NUM})

# ---------------------------------------------------------------- auth

ROLE = obj({"role": STR, "state": null(STR), "unit_id": null(INT)})
USER = obj({"id": INT, "username": STR, "display_name": STR, "is_demo": BOOL, "roles": array(ROLE)})

# ---------------------------------------------------------------- directory

READINESS = obj({
    "status": STR, "break_off_min": null(INT), "personnel": null(STR), "equipment": null(STR),
    "transport": null(STR), "reason": null(STR), "changed_at": null(TIME),
})
UNIT = obj({
    "id": INT, "key": STR, "name": STR, "local_name": null(STR), "english_name": null(STR), "state": STR,
    "parent_agency": STR, "base_city": STR, "base": POINT,
    "stations": array(obj({"name": STR, "lat": NUM, "lon": NUM})),
    "tier": STR, "personnel": null(INT), "air_transport": STR, "languages": array(STR),
    "notice_to_move": obj({"domestic_min": null(INT), "international_min": null(INT)}),
    "capabilities": array(STR),
    "capability_details": array(obj({"code": STR, "level": STR, "quantity": null(INT)})),
    "readiness": READINESS, "version": INT, "source_note": null(STR),
})
STATE = obj({"code": STR, "name": STR, "membership": STR, "timezone": STR, "critical_capabilities": array(STR)})
AUTHORITY = obj({
    "id": INT, "state": STR, "name": STR, "kind": STR, "contact_channel": null(STR), "may_request": BOOL,
    "may_answer": BOOL,
})
CAPABILITY = obj({"code": STR, "family": STR, "name": STR, "description": null(STR)})
READINESS_CHANGE = obj({
    "id": INT, "previous_status": null(STR), "status": STR, "break_off_min": null(INT), "personnel": null(STR),
    "equipment": null(STR), "transport": null(STR), "reason": null(STR), "source": STR,
    "changed_by_id": null(INT), "changed_at": TIME,
})

# ---------------------------------------------------------------- requests

AUDIT_RECORD = obj({
    "seq": INT, "at": TIME, "actor": STR, "role": null(STR), "action": STR, "subject": STR,
    "request_id": null(INT), "before": null(OBJ), "after": null(OBJ), "hash": STR, "prev_hash": null(STR),
})

# ---------------------------------------------------------------- matching

MATCH_PARTS = {
    "query": obj({
        "site": POINT, "requesting_state": STR,
        "requirements": array(obj({"code": STR, "quantity": INT, "min_level": STR, "critical": BOOL})),
        "kinds": array(STR), "needed_by": null(TIME), "now": TIME, "redundancy": BOOL, "eta_params": OBJ,
    }),
    "candidates": array(obj({
        "unit_id": INT, "state": STR, "name": STR, "rank": INT, "score": NUM, "score_parts": OBJ,
        "distance_m": NUM, "from_station": array(NUM), "eta": OBJ, "capability_fit": array(OBJ), "cover": NUM,
        "readiness": OBJ, "tier": STR, "explanation": array(STR),
    })),
    "candidates_total": INT, "candidates_truncated": BOOL,
    "excluded": array(obj({"unit_id": INT, "state": STR, "name": STR, "reason": STR, "message": STR,
                           "details": OBJ})),
    "excluded_total": INT, "excluded_counts": {"type": "object", "additionalProperties": INT},
    "excluded_truncated": BOOL, "limit": null(INT),
    "team": obj({
        "members": array(OBJ), "latest_arrival": null(TIME), "latest_eta_min": null(NUM), "uncovered": array(OBJ),
        "covers_everything": BOOL, "redundancy": BOOL, "method": STR, "considered": INT, "complete": BOOL,
        "notes": array(STR),
    }),
}
MATCH = obj(MATCH_PARTS)

# ---------------------------------------------------------------- trainings

PARTICIPANT = obj({
    "unit_id": INT, "unit_name": null(STR), "state": null(STR), "role": STR, "status": STR,
    "invitation_order": null(INT), "invited_at": null(TIME), "responded_at": null(TIME),
})
TRAINING_PARTS = {
    "id": INT, "kind": STR, "title": STR, "description": null(STR),
    "host_unit": obj({"id": INT, "name": null(STR), "state": null(STR)}),
    "venue": obj({"name": null(STR), "lat": null(NUM), "lon": null(NUM)}),
    "timezone": STR, "start_local": LOCAL_TIME, "end_local": LOCAL_TIME, "start_utc": TIME, "end_utc": TIME,
    "series_end_utc": null(TIME), "rrule": null(STR), "exdates": array(STR), "environments": array(STR),
    "capabilities": array(STR), "capacity": null(INT), "places_taken": INT, "funding_note": null(STR),
    "break_off_min": null(INT), "units_off_duty": BOOL, "status": STR, "cancel_reason": null(STR),
    "override": null(obj({"reason": STR, "by_id": null(INT), "at": null(TIME), "conflicts": array(OBJ)})),
    "participants": array(PARTICIPANT),
    "occurrence_overrides": array(obj({
        "recurrence_id": LOCAL_TIME, "start_local": null(LOCAL_TIME), "end_local": null(LOCAL_TIME),
        "cancelled": BOOL, "title": null(STR),
    })),
    "version": INT, "created_at": null(TIME), "updated_at": null(TIME), "ical_url": STR,
}
TRAINING = obj(TRAINING_PARTS)
SAVED_TRAINING = obj(TRAINING_PARTS | {"warnings": array(STR), "overridden_conflicts": array(OBJ)})
OCCURRENCE = obj({
    "recurrence_id": LOCAL_TIME, "start_local": LOCAL_TIME, "end_local": LOCAL_TIME, "start_utc": TIME,
    "end_utc": TIME, "overridden": BOOL, "title": STR, "conflicts": array(OBJ),
})
TRAINING_DETAIL = obj(TRAINING_PARTS | {
    "occurrences": array(OCCURRENCE), "window": obj({"from": TIME, "to": TIME}), "warnings": array(STR),
})
ATTENDANCE = obj({
    "unit_id": INT, "recurrence_id": LOCAL_TIME, "attended": BOOL, "personnel": null(INT), "hours": null(NUM),
    "note": null(STR), "recorded_at": null(TIME),
})
FEED_PARTS = {
    "id": INT, "scope": STR, "unit_id": null(INT), "state": null(STR), "label": null(STR), "path": STR,
    "created_at": TIME, "revoked_at": null(TIME), "last_used_at": null(TIME),
}
FEED = obj(FEED_PARTS)
ICALENDAR: Schema = {"type": "string", "description": "an iCalendar (RFC 5545) document"}

# ---------------------------------------------------------------- system

HEALTH = obj({"status": {"enum": ["ok", "unavailable"]}, "database": {"enum": ["ok", "unreachable"]}, "version": STR})

# A value is a JSON schema, or a response model (atlas_coord.serializers) that builds the body itself.
SUCCESS: dict[str, Schema | type] = {
    "system.healthz": HEALTH,
    "system.livez": obj({"status": {"const": "ok"}}),
    "system.openapi_document": obj({"openapi": STR, "info": OBJ, "paths": OBJ, "components": OBJ}),
    "auth.create_token": obj({"token": STR, "expires_at": TIME}),
    "auth.revoke_token": obj({"revoked": {"const": True}}),
    "auth.login": obj({"user": USER, "csrf_token": STR}),
    "auth.logout": obj({"signed_out": {"const": True}}),
    "auth.me": obj({"user": USER, "csrf_token": STR, "auth": {"enum": ["token", "session"]}}),
    "directory.list_states": page(STATE, paged=True),
    "directory.list_authorities": page(AUTHORITY, paged=True),
    "directory.list_capabilities": page(CAPABILITY, paged=True),
    "directory.list_units": page(UNIT, paged=True),
    "directory.get_unit": UNIT,
    "directory.create_unit": UNIT,
    "directory.update_unit": UNIT,
    "directory.set_readiness": UNIT,
    "directory.readiness_history": page(READINESS_CHANGE),
    "requests.create_crisis": request_out.CrisisOut,
    "requests.get_crisis": request_out.CrisisOut,
    "requests.update_crisis": request_out.CrisisOut,
    "requests.list_requests": request_out.RequestPage,
    "requests.raise_request": request_out.RequestOut,
    "requests.get_request": request_out.RequestOut,
    "requests.submit_request": request_out.RequestOut,
    "requests.withdraw_request": request_out.RequestOut,
    "requests.close_request": request_out.RequestOut,
    "requests.mark_seen": request_out.AnswerList,
    "requests.ranking_snapshot": request_out.RankingSnapshotOut,
    "requests.request_audit": page(AUDIT_RECORD),
    "requests.request_timeline": request_out.Timeline,
    "requests.accept_request": request_out.AnswerOut,
    "requests.refuse_request": request_out.AnswerOut,
    "requests.counter_propose": request_out.AnswerOut,
    "requests.accept_counter": request_out.AnswerOut,
    "requests.reject_counter": request_out.AnswerOut,
    "requests.get_arrangement": request_out.StateArrangementOut,
    "requests.record_arrangement": request_out.StateArrangementOut,
    "requests.get_deployment": request_out.DeploymentOut,
    "requests.record_cost": cost_out.CostOut,
    "requests.settlement": cost_out.SettlementOut,
    "requests.settle_costs": cost_out.SettlementOut,
    "matching.request_candidates": obj({"request_id": INT} | MATCH_PARTS),
    "matching.what_if": MATCH,
    "trainings.list_trainings": page(TRAINING, paged=True),
    "trainings.create_training": SAVED_TRAINING,
    "trainings.check_training": obj({"ok": BOOL, "conflicts": array(OBJ), "warnings": array(STR),
                                     "occurrences_checked": INT}),
    "trainings.get_training": TRAINING_DETAIL,
    "trainings.update_training": SAVED_TRAINING,
    "trainings.cancel_training": TRAINING,
    "trainings.edit_occurrence": SAVED_TRAINING,
    "trainings.revert_occurrence": TRAINING,
    "trainings.invite_units": SAVED_TRAINING,
    "trainings.respond": SAVED_TRAINING,
    "trainings.list_attendance": page(ATTENDANCE),
    "trainings.record_attendance": page(ATTENDANCE),
    "trainings.training_ics": ICALENDAR,
    "trainings.create_feed": obj(FEED_PARTS | {"token": STR, "url": STR}),
    "trainings.list_feeds": page(FEED),
    "trainings.revoke_feed": FEED,
    "trainings.unit_feed": ICALENDAR,
    "trainings.state_feed": ICALENDAR,
}
for _step in ("accept", "decline", "mobilise", "depart", "arrive", "stand_down", "return", "recall", "extend"):
    SUCCESS[f"requests.deployment_{_step}"] = request_out.DeploymentOut

# Endpoints whose body is not JSON.
MEDIA_TYPES: dict[str, str] = {
    "trainings.training_ics": "text/calendar",
    "trainings.unit_feed": "text/calendar",
    "trainings.state_feed": "text/calendar",
}
