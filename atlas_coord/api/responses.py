"""The success bodies, keyed by endpoint name (``blueprint.view``): a response model
(:mod:`atlas_coord.serializers`) where the endpoint serialises with one, else a JSON schema.

The JSON schemas describe what the remaining service views return and are
checked against the real responses by the schemathesis fuzz test (tests/api/test_openapi_fuzz.py):
a field listed under ``required`` is always present; a type with ``"null"`` may be null. Nested
parts that are free-form by design (audit ``before``/``after``, the ranking snapshot) stay objects.
"""

from __future__ import annotations

from typing import Any

from atlas_coord.serializers import Page, PagedPage
from atlas_coord.serializers import trainings as training_out
from atlas_coord.serializers.accounts import LoginOut, MeOut, SignedOutOut, TokenOut, TokenRevokedOut
from atlas_coord.serializers.calendars import FeedCreatedOut, FeedOut
from atlas_coord.serializers.directory import (
    AuthorityOut,
    CapabilityOut,
    ReadinessChangeOut,
    StateOut,
    UnitOut,
)
from atlas_coord.serializers.matching import MatchOut, RequestMatchOut
from atlas_coord.serializers.system import HealthOut, LiveOut

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

# ---------------------------------------------------------------- calendars (feeds and trainings use response models)

ICALENDAR: Schema = {"type": "string", "description": "an iCalendar (RFC 5545) document"}

# A value is a JSON schema, or a response model (atlas_coord.serializers) that builds the body itself.
SUCCESS: dict[str, Schema | type] = {
    "system.healthz": HealthOut,
    "system.livez": LiveOut,
    "system.openapi_document": obj({"openapi": STR, "info": OBJ, "paths": OBJ, "components": OBJ}),
    "auth.create_token": TokenOut,
    "auth.revoke_token": TokenRevokedOut,
    "auth.login": LoginOut,
    "auth.logout": SignedOutOut,
    "auth.me": MeOut,
    "directory.list_states": PagedPage[StateOut],
    "directory.list_authorities": PagedPage[AuthorityOut],
    "directory.list_capabilities": PagedPage[CapabilityOut],
    "directory.list_units": PagedPage[UnitOut],
    "directory.get_unit": UnitOut,
    "directory.create_unit": UnitOut,
    "directory.update_unit": UnitOut,
    "directory.set_readiness": UnitOut,
    "directory.readiness_history": Page[ReadinessChangeOut],
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
    "trainings.create_feed": FeedCreatedOut,
    "trainings.list_feeds": Page[FeedOut],
    "trainings.revoke_feed": FeedOut,
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
