"""JSON schemas of the success bodies, keyed by endpoint name (``blueprint.view``).

They describe what the service views return (``services/*.py`` ``*_view`` functions) and are
checked against the real responses by the schemathesis fuzz test (tests/api/test_openapi_fuzz.py):
a field listed under ``required`` is always present; a type with ``"null"`` may be null. Nested
parts that are free-form by design (audit ``before``/``after``, the ranking snapshot) stay objects.
"""

from __future__ import annotations

from typing import Any

from atlas_coord.serializers import trainings as training_out
from atlas_coord.serializers.matching import MatchOut, RequestMatchOut

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

CRISIS = obj({
    "id": INT, "state": STR, "type": STR, "site": POINT, "place_name": STR, "started_at": null(TIME),
    "description": null(STR), "exercise": BOOL, "classification": STR, "version": INT,
})
COST_TERMS = obj({"default_bearer": STR, "overrides": {"type": "object", "additionalProperties": STR},
                  "note": null(STR)})
ARRANGEMENT_PARTS = {
    "recorded": BOOL, "legal_basis": STR, "weapons_manifest": array(OBJ), "liaison_officer": null(OBJ),
    "cost_terms": COST_TERMS, "version": null(INT), "updated_by_id": null(INT), "updated_at": null(TIME),
}
ARRANGEMENT = obj(ARRANGEMENT_PARTS, optional=("updated_by_id", "updated_at"))
ANSWER = obj({
    "id": INT, "state": STR, "status": STR, "reason": null(STR), "units": array(INT),
    "counter": null(obj({
        "kinds": array(STR), "assistance_kinds": array(STR), "personnel": null(INT), "arrival_at": null(TIME),
        "text": null(STR), "decision_reason": null(STR),
    })),
    "answered_by_id": null(INT), "answered_at": null(TIME), "decided_by_id": null(INT), "decided_at": null(TIME),
    "seen_by_id": null(INT), "seen_at": null(TIME), "arrangement": ARRANGEMENT, "version": INT,
})
DEPLOYMENT = obj({
    "id": INT, "request_id": INT, "unit": obj({"id": INT, "key": STR, "name": STR, "state": STR}),
    "status": STR, "headcount": null(INT), "transport_mode": null(STR), "eta": null(TIME),
    "on_scene_commander": null(STR), "extended_until": null(TIME), "recalled": BOOL, "status_reason": null(STR),
    "previous_readiness": null(STR), "allowed": array(STR), "version": INT,
})
REQUEST_SUMMARY_PARTS = {
    "id": INT, "status": STR, "requesting_state": STR, "crisis_id": INT, "crisis_type": STR, "place_name": STR,
    "exercise": BOOL, "classification": STR, "kinds": array(STR), "addressed_states": array(STR),
    "needed_by": null(TIME), "answer_deadline": null(TIME), "created_at": null(TIME), "submitted_at": null(TIME),
    "withdrawn_at": null(TIME), "closed_at": null(TIME),
    "answers_by_status": {"type": "object", "additionalProperties": INT}, "version": INT,
}
REQUEST_SUMMARY = obj(REQUEST_SUMMARY_PARTS)
REQUEST = obj(REQUEST_SUMMARY_PARTS | {
    "crisis": CRISIS, "operational_necessity": STR,
    "requirements": array(obj({"code": STR, "quantity": INT, "min_level": STR})),
    "duration_hours": null(INT), "address_all": BOOL, "withdrawal_reason": null(STR),
    "costs_settled_at": null(TIME), "has_ranking_snapshot": BOOL, "answers": array(ANSWER),
    "deployments": array(DEPLOYMENT), "allowed": array(STR),
})
AUDIT_RECORD = obj({
    "seq": INT, "at": TIME, "actor": STR, "role": null(STR), "action": STR, "subject": STR,
    "request_id": null(INT), "before": null(OBJ), "after": null(OBJ), "hash": STR, "prev_hash": null(STR),
})
STEP = obj({
    "seq": INT, "at": TIME, "actor": STR, "role": null(STR), "action": STR, "subject": STR,
    "from": null(STR), "to": null(STR),
})
COST = obj({
    "id": INT, "deployment_id": INT, "sending_state": STR, "category": STR, "currency": STR, "amount_minor": INT,
    "paid_by": STR, "borne_by": STR, "note": null(STR), "recorded_by_id": null(INT), "recorded_at": TIME,
})
SETTLEMENT = obj({
    "request_id": INT, "requesting_state": STR, "settled": BOOL, "settled_at": null(TIME), "items": array(COST),
    "by_sending_state": {"type": "object", "additionalProperties": obj({"terms": OBJ, "summary": OBJ})},
    "totals": {"type": "object", "additionalProperties": obj({
        "total": INT, "by_bearer": OBJ, "by_category": OBJ, "balances": OBJ, "transfers": array(OBJ),
    })},
})

# ---------------------------------------------------------------- calendar feeds (the trainings use response models)

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
    "requests.create_crisis": CRISIS,
    "requests.get_crisis": CRISIS,
    "requests.update_crisis": CRISIS,
    "requests.list_requests": page(REQUEST_SUMMARY, paged=True),
    "requests.raise_request": REQUEST,
    "requests.get_request": REQUEST,
    "requests.submit_request": REQUEST,
    "requests.withdraw_request": REQUEST,
    "requests.close_request": REQUEST,
    "requests.mark_seen": page(ANSWER),
    "requests.ranking_snapshot": obj({"request_id": INT, "snapshot": null(OBJ)}),
    "requests.request_audit": page(AUDIT_RECORD),
    "requests.request_timeline": page(STEP),
    "requests.accept_request": ANSWER,
    "requests.refuse_request": ANSWER,
    "requests.counter_propose": ANSWER,
    "requests.accept_counter": ANSWER,
    "requests.reject_counter": ANSWER,
    "requests.get_arrangement": obj({"request_id": INT, "state": STR} | ARRANGEMENT_PARTS,
                                    optional=("updated_by_id", "updated_at")),
    "requests.record_arrangement": obj({"request_id": INT, "state": STR} | ARRANGEMENT_PARTS,
                                       optional=("updated_by_id", "updated_at")),
    "requests.get_deployment": DEPLOYMENT,
    "requests.record_cost": COST,
    "requests.settlement": SETTLEMENT,
    "requests.settle_costs": SETTLEMENT,
    "matching.request_candidates": RequestMatchOut,
    "matching.what_if": MatchOut,
    "trainings.list_trainings": training_out.TrainingPage,
    "trainings.create_training": training_out.SavedTrainingOut,
    "trainings.check_training": training_out.CheckOut,
    "trainings.get_training": training_out.TrainingDetailOut,
    "trainings.update_training": training_out.SavedTrainingOut,
    "trainings.cancel_training": training_out.TrainingOut,
    "trainings.edit_occurrence": training_out.SavedTrainingOut,
    "trainings.revert_occurrence": training_out.TrainingOut,
    "trainings.invite_units": training_out.SavedTrainingOut,
    "trainings.respond": training_out.SavedTrainingOut,
    "trainings.list_attendance": training_out.AttendancePage,
    "trainings.record_attendance": training_out.AttendancePage,
    "trainings.training_ics": ICALENDAR,
    "trainings.create_feed": obj(FEED_PARTS | {"token": STR, "url": STR}),
    "trainings.list_feeds": page(FEED),
    "trainings.revoke_feed": FEED,
    "trainings.unit_feed": ICALENDAR,
    "trainings.state_feed": ICALENDAR,
}
for _step in ("accept", "decline", "mobilise", "depart", "arrive", "stand_down", "return", "recall", "extend"):
    SUCCESS[f"requests.deployment_{_step}"] = DEPLOYMENT

# Endpoints whose body is not JSON.
MEDIA_TYPES: dict[str, str] = {
    "trainings.training_ics": "text/calendar",
    "trainings.unit_feed": "text/calendar",
    "trainings.state_feed": "text/calendar",
}
