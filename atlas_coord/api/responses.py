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
from atlas_coord.serializers import costs as cost_out
from atlas_coord.serializers import duty as duty_out
from atlas_coord.serializers import requests as request_out
from atlas_coord.serializers import trainings as training_out
from atlas_coord.serializers.accounts import (
    LoginOut,
    MeOut,
    MfaConfirmedOut,
    MfaResetOut,
    PasswordChangedOut,
    SecurityKeyOut,
    SecurityKeyRemovedOut,
    SecurityKeysOut,
    SignedOutOut,
    SignInRevokedOut,
    SignInsOut,
    TokenOut,
    TokenRevokedOut,
    TotpEnrolmentOut,
    UserSignInsRevokedOut,
    WebAuthnOptionsOut,
)
from atlas_coord.serializers.airlift import StateAirliftOut
from atlas_coord.serializers.audit import AuditPage
from atlas_coord.serializers.calendars import FeedCreatedOut, FeedOut
from atlas_coord.serializers.coverage import CoverageOut, WhatIfOut
from atlas_coord.serializers.directory import (
    AuthorityOut,
    CapabilityOut,
    ReadinessChangeOut,
    StateOut,
    UnitOut,
)
from atlas_coord.serializers.inbox import InboxOut
from atlas_coord.serializers.matching import MatchOut, RequestMatchOut
from atlas_coord.serializers.places import PlaceResolutionOut
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


# ---------------------------------------------------------------- calendars (feeds and trainings use response models)

ICALENDAR: Schema = {"type": "string", "description": "an iCalendar (RFC 5545) document"}

# A value is a JSON schema, or a response model (atlas_coord.serializers) that builds the body itself.
SUCCESS: dict[str, Schema | type] = {
    "system.healthz": HealthOut,
    "inbox.list_inbox": InboxOut,
    "system.livez": LiveOut,
    "system.openapi_document": obj({"openapi": STR, "info": OBJ, "paths": OBJ, "components": OBJ}),
    "auth.create_token": TokenOut,
    "auth.revoke_token": TokenRevokedOut,
    "auth.login": LoginOut,
    "auth.logout": SignedOutOut,
    "auth.me": MeOut,
    "mfa.start_totp": TotpEnrolmentOut,
    "mfa.confirm_totp": MfaConfirmedOut,
    "mfa.reset": MfaResetOut,
    "mfa.list_security_keys": SecurityKeysOut,
    "mfa.security_key_options": WebAuthnOptionsOut,
    "mfa.register_security_key": SecurityKeyOut,
    "mfa.remove_security_key": SecurityKeyRemovedOut,
    "auth.change_password": PasswordChangedOut,
    "sign_ins.list_sessions": SignInsOut,
    "sign_ins.revoke_session": SignInRevokedOut,
    "sign_ins.revoke_token": SignInRevokedOut,
    "sign_ins.revoke_user_sessions": UserSignInsRevokedOut,
    "directory.list_states": PagedPage[StateOut],
    "directory.state_airlift": StateAirliftOut,
    "directory.list_authorities": PagedPage[AuthorityOut],
    "directory.list_capabilities": PagedPage[CapabilityOut],
    "directory.list_units": PagedPage[UnitOut],
    "directory.get_unit": UnitOut,
    "directory.create_unit": UnitOut,
    "directory.update_unit": UnitOut,
    "directory.set_readiness": UnitOut,
    "directory.readiness_history": Page[ReadinessChangeOut],
    "places.find_place": PlaceResolutionOut,
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
    "requests.request_audit": AuditPage,
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
    "matching.request_candidates": RequestMatchOut,
    "matching.what_if": MatchOut,
    "coverage.coverage": CoverageOut,
    "coverage.coverage_what_if": WhatIfOut,
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
SUCCESS.update({
    "duty.list_rosters": duty_out.RosterList,
    "duty.get_roster": duty_out.RosterOut,
    "duty.put_roster": duty_out.RosterOut,
    "duty.export_roster": {"type": "string", "description": "the roster as CSV (see the README)"},
    "duty.import_roster": duty_out.RosterOut,
    "duty.on_duty": duty_out.OnDutyOut,
    "duty.gaps": duty_out.GapsOut,
    "alerts.my_alerts": duty_out.AlertList,
    "alerts.acknowledge": duty_out.AckOut,
    "alerts.acknowledge_by_link": duty_out.AckOut,
    "alerts.mailbox": duty_out.Mailbox,
})
for _step in ("accept", "decline", "mobilise", "depart", "arrive", "stand_down", "return", "recall", "extend"):
    SUCCESS[f"requests.deployment_{_step}"] = request_out.DeploymentOut

# Endpoints whose body is not JSON.
MEDIA_TYPES: dict[str, str] = {
    "trainings.training_ics": "text/calendar",
    "trainings.unit_feed": "text/calendar",
    "trainings.state_feed": "text/calendar",
    "duty.export_roster": "text/csv",
}
