"""Who may call what, on whose objects: every /api/v1 endpoint x every demo role x own and another state.

The actors all belong to France (FR): its crisis centre, its competent authority, the commander of
GIGN (a French unit) and its training planner; beside them the network-wide admin, observer and
training planner, and someone not signed in. Germany (DE) owns the "other" objects.

"Own" and "other" are about the object the path names last:

- a request (and its crisis, audit, costs...): raised by FR, or by DE;
- an answer, an arrangement, a mark-as-seen: FR's answer, or another state's answer;
- a deployment or a unit: GIGN (FR), or GSG 9 (DE);
- a training, its occurrences, participants and attendance: hosted (or answered) by FR, or by DE;
- a body that names a state or a unit (a new unit, request, training, feed): FR's, or DE's;
- a console session or a bearer token: the caller's own, or one of DE's crisis centre; a user
  whose sign-ins an admin ends: the caller, or DE's crisis centre.

Each cell's expected class follows the policy table (atlas_coord/policy.py) and the request
lifecycle's parties (atlas_coord/domain/lifecycle.py), written out by hand below:

- ``A`` allowed: 2xx, or a 409/422 raised by the service after the authorization check
  (e.g. closing a request that is not yet met); a schema error never counts;
- ``F`` forbidden: 403;
- ``H`` hidden: 404, need-to-know (the caller may not know the object exists);
- ``U`` unauthenticated: 401.

A new endpoint without a row fails ``test_every_endpoint_has_a_row`` with its name. Cells that are
expected to change something run on their own copy of the scene; all other cells share one copy,
and every refused write there is checked to have added no audit record and no event.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from atlas_coord.models import AssistanceRequest, AuditRecord, Event, User
from tests.conftest import DEMO_PASSWORD, Api, app_settings
from tests.factories import (
    accept_with,
    deployment_steps,
    in_hours,
    put_roster,
    raise_request,
    request_payload,
    roster_csv,
    signed_in,
    training_payload,
    unit_id,
    unit_payload,
)

# ---------------------------------------------------------------- the actors

# Column order of the matrix below.
ROLES: tuple[tuple[str, str | None, str], ...] = (
    ("anon", None, "anonymous"),
    ("admin", "demo-admin", "admin"),
    ("obs", "demo-observer", "observer"),
    ("plan", "demo-planner", "network training_planner"),
    ("cc", "demo-cc-fr", "crisis_centre of FR"),
    ("ca", "demo-ca-fr", "competent_authority of FR"),
    ("cmd", "demo-cmd-fr", "unit_commander of GIGN (FR)"),
    ("spl", "demo-planner-fr", "training_planner of FR"),
)
USERS = [username for _, username, _ in ROLES if username]
ALLOWED, FORBIDDEN, HIDDEN, UNAUTHENTICATED = "A", "F", "H", "U"
SCHEMA_ERRORS = {"validation_error", "bad_json", "unsupported_media_type"}


# ---------------------------------------------------------------- the scene


@dataclass
class Scene:
    url: str
    ids: dict[str, Any]
    tokens: dict[str, str]


def _day(offset: int) -> date:
    return date.today() + timedelta(days=offset)


def _local(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00"


def _build_scene(database, settings) -> dict[str, Any]:
    """Requests, answers, deployments, trainings and feeds of France and Germany, through the services."""
    from atlas_coord.services import calendars, requests, trainings
    from atlas_coord.services.requests.commands import AnswerCounter
    from atlas_coord.services.trainings.commands import OccurrenceEdit, TrainingCreate

    ids: dict[str, Any] = {}
    with database.transaction() as session:
        for name, key in (("gign", "fr-gign"), ("raid", "fr-raid"), ("gsg9", "de-gsg9"),
                          ("gsg9_berlin", "de-gsg9-berlin"), ("sek_bw", "de-sek-bw"), ("dsi", "nl-dsi")):
            ids[name] = unit_id(session, key)

    ids["req_fr"] = raise_request(database, "demo-cc-fr", addressees=["DE", "NL"])
    ids["req_de"] = raise_request(database, "demo-cc-de", addressees=["FR", "NL"])
    ids["req_be"] = raise_request(database, "demo-cc-be", addressees=["FR", "DE", "NL"])
    ids["req_de_private"] = raise_request(database, "demo-cc-de", addressees=["NL", "AT"])
    ids["draft_fr"] = raise_request(database, "demo-cc-fr", addressees=["DE"], submit=False)
    ids["draft_de"] = raise_request(database, "demo-cc-de", addressees=["FR"], submit=False)
    [ids["dep_gign"]] = accept_with(database, ids["req_de"], "FR", "fr-gign")
    [ids["dep_gsg9"]] = accept_with(database, ids["req_fr"], "DE", "de-gsg9")
    counter = AnswerCounter.model_validate({"counter": {
        "kinds": ["other_units"], "units": [ids["dsi"]], "text": "The DSI instead of the units asked for."}})
    for request_key in ("req_fr", "req_de"):
        with signed_in(database, "demo-ca-nl") as (session, actor):
            requests.counter_propose(session, actor, ids[request_key], "NL", counter)
    with database.transaction() as session:
        for key in ("req_fr", "req_de", "req_de_private"):
            ids[key.replace("req", "crisis")] = session.get(AssistanceRequest, ids[key]).crisis_id

    # Weekly workshops that began three weeks ago: past sessions take attendance, future ones are edited.
    for key, host, tz, start, hour in (("tr_fr", "raid", "Europe/Paris", _day(-21), 9),
                                       ("tr_de", "sek_bw", "Europe/Berlin", _day(-20), 14)):
        body = training_payload(kind="workshop", title=f"Negotiation workshop {key}", host_unit_id=ids[host],
                                timezone=tz, start_local=_local(start, hour), end_local=_local(start, hour + 3),
                                rrule="FREQ=WEEKLY;COUNT=20", invite_unit_ids=[ids["gign"], ids["gsg9"]],
                                override_reason="matrix scene")
        with signed_in(database, "demo-planner") as (session, actor):
            saved = trainings.create_training(session, actor, settings, TrainingCreate.model_validate(body))
            ids[key] = saved.training.id
        ids[f"{key}_past"] = _local(start, hour)
        ids[f"{key}_edit"] = _local(start + timedelta(days=28), hour)
        ids[f"{key}_revert"] = _local(start + timedelta(days=35), hour)
        with signed_in(database, "demo-planner") as (session, actor):
            trainings.edit_occurrence(session, actor, settings, ids[key], datetime.fromisoformat(ids[f"{key}_revert"]),
                                      OccurrenceEdit(title="Held indoors"))

    with database.transaction() as session:
        ids["user_cc_de"] = session.scalar(sa.select(User.id).where(User.username == "demo-cc-de"))

    for key, unit in (("feed_gign", "gign"), ("feed_gsg9", "gsg9")):
        with signed_in(database, "demo-admin") as (session, actor):
            row, _ = calendars.create_feed(session, actor, scope="unit", unit_id=ids[unit])
            ids[key] = row.id
    ids |= _duty_scene(database, settings, ids)
    return ids


def _duty_scene(database, settings, ids: dict[str, Any]) -> dict[str, Any]:
    """Rosters of FR's and DE's competent authorities, and the alerts Belgium's request raised."""
    from atlas_coord.models import Alert
    from atlas_coord.scheduler.alerting import run_alerts

    put_roster(database, "ca-FR", roster_csv("demo-ca-fr"))
    put_roster(database, "ca-DE", roster_csv("demo-ca-de", timezone="Europe/Berlin"))
    run_alerts(database, settings)
    with database.transaction() as session:
        found = dict(session.execute(sa.select(Alert.org_key, Alert.id).where(
            Alert.request_id == ids["req_be"], Alert.kind == "request_submitted")).all())
    return {"alert_fr": found["ca-FR"], "alert_de": found["ca-DE"]}


def _issue_tokens(database) -> dict[str, str]:
    """Bearer tokens for the demo users, issued once and carried by every copy of the scene
    (no password checks per cell, and no login rate limit to run into)."""
    from atlas_coord.services import accounts

    tokens = {}
    with database.transaction() as session:
        for username in USERS:
            user = session.scalar(sa.select(User).where(User.username == username))
            tokens[username], _ = accounts.issue_token(session, user, lifetime=timedelta(hours=6), label="matrix")
    return tokens


def _sign_ins(database) -> dict[str, int]:
    """Per caller (``{user}`` in a target's parameters) a console session, a spare token and the
    user id; the same for DE's crisis centre, whose ones are "other" (and the anonymous column's)."""
    from atlas_coord.models import WebAuthnCredential
    from atlas_coord.services import accounts, sessions
    from tests.soft_authenticator import b64url

    ids: dict[str, int] = {}
    with database.transaction() as session:
        for username, key in [(name, name) for name in USERS] + [("demo-cc-de", "de")]:
            user = session.scalar(sa.select(User).where(User.username == username))
            ids[f"session:{key}"] = sessions.start(session, user, limits=sessions.Limits())[1].id
            ids[f"token:{key}"] = accounts.issue_token(session, user, lifetime=timedelta(hours=6), label="spare")[1].id
            ids[f"user:{key}"] = user.id
            if username == "demo-observer":  # the sign-in rows' user: a key would ask for it
                continue
            security_key = WebAuthnCredential(user_id=user.id, credential_id=b64url(f"matrix-{key}".encode()), public_key=b"\x00",
                                              sign_count=0, label="matrix key")
            session.add(security_key)
            session.flush()
            ids[f"key:{key}"] = security_key.id
    ids["key:demo-observer"] = 0
    for kind in ("session", "token", "user", "key"):
        ids[f"{kind}:None"] = ids[f"{kind}:de"]
    return ids


class Copier:
    """Copies of the scene database: a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL."""

    def __init__(self, server) -> None:
        self.server = server
        self.admin = server._admin_engine() if server.is_postgres else None

    def copy(self, source: str) -> str:
        server = self.server
        url = server._new_url(f"mx{next(server.counter)}")
        if self.admin is not None:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{server._db_name(url)}" TEMPLATE "{server._db_name(source)}"')
            server.created.append(url)
        else:
            shutil.copyfile(sa.engine.make_url(source).database, sa.engine.make_url(url).database)
        return url

    def drop(self, url: str) -> None:
        if self.admin is not None:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.server._db_name(url)}" WITH (FORCE)')
            self.server.created.remove(url)
        else:
            self.server.drop(url)

    def close(self) -> None:
        if self.admin is not None:
            self.admin.dispose()


@pytest.fixture(scope="module")
def copier(database_server):
    made = Copier(database_server)
    yield made
    made.close()


@pytest.fixture(scope="module")
def scene(database_server, copier):
    from atlas_coord.db import Database

    url = database_server.fresh()
    database = Database(url)
    try:
        ids = _build_scene(database, app_settings(url))
        tokens = _issue_tokens(database)
        ids |= _sign_ins(database)
    finally:
        database.dispose()
    yield Scene(url, ids, tokens)
    copier.drop(url)


class Running:
    """An app on a copy of the scene, with the demo users' tokens."""

    def __init__(self, copier: Copier, scene: Scene) -> None:
        from atlas_coord import create_app

        self.copier = copier
        self.url = copier.copy(scene.url)
        self.app = create_app(app_settings(self.url))
        self.api = Api(self.app)
        self.api.tokens.update(scene.tokens)

    @property
    def database(self):
        return self.app.extensions["atlas_db"]

    def changes(self) -> tuple[int, int]:
        """How many audit records and events there are."""
        with self.database.transaction() as session:
            return (session.scalar(sa.select(sa.func.count()).select_from(AuditRecord)),
                    session.scalar(sa.select(sa.func.count()).select_from(Event)))

    def close(self) -> None:
        self.database.dispose()
        self.copier.drop(self.url)


@pytest.fixture(scope="module")
def shared(copier, scene):
    """One copy of the scene for every cell that is not expected to change anything."""
    running = Running(copier, scene)
    yield running
    running.close()


# ---------------------------------------------------------------- the matrix

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
Body = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None


@dataclass(frozen=True)
class T:
    """A target: what it is, the path's parameters (scene keys or literal values), the body sent."""

    what: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Body = None
    # For deployment targets: the unit's commander, who walks it to the status the action needs.
    commander: str | None = None
    query: str = ""  # a query string, "?q=..."; "{key}" takes a scene id

    def path(self, rule: str, ids: dict[str, Any], user: str | None = None) -> str:
        def value(match: re.Match) -> str:
            raw = self.params[match.group(1)]
            if isinstance(raw, str) and "{user}" in raw:  # the caller's own object
                raw = raw.format(user=user)
            return str(ids.get(raw, raw)) if isinstance(raw, str) else str(raw)

        return PARAM.sub(value, rule) + self.query.format_map(ids)

    def json(self, ids: dict[str, Any]) -> dict[str, Any] | None:
        return self.body(ids) if callable(self.body) else self.body


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    expect: str  # one column per role in ROLES order: a letter, or own+other letters
    own: T = T("no particular object")
    other: T | None = None
    # Cells expected to be allowed run on a fresh copy, unless the endpoint changes nothing.
    changes: bool = True
    # Run on a fresh copy before an allowed cell: bring the target to the status the action needs.
    prepare: Callable[[Any, dict[str, Any], T], None] | None = None

    @property
    def name(self) -> str:
        return self.method + " " + PARAM.sub(r"{\1}", self.rule)

    def expectations(self) -> dict[str, dict[str, str]]:
        columns = self.expect.split()
        assert len(columns) == len(ROLES), f"{self.name}: {len(columns)} columns for {len(ROLES)} roles"
        targets = ["own"] if self.other is None else ["own", "other"]
        result = {}
        for (role, _, _), letters in zip(ROLES, columns, strict=True):
            wanted = targets[:1] if role == "anon" else targets
            assert len(letters) == len(wanted), f"{self.name}: {role} needs {len(wanted)} letter(s), got {letters!r}"
            assert set(letters) <= {ALLOWED, FORBIDDEN, HIDDEN, UNAUTHENTICATED}, f"{self.name}: {letters!r}"
            result[role] = dict(zip(wanted, letters, strict=True))
        return result


def walk(*steps: str):
    """Prepare a deployment: its commander takes ``steps`` (accept, mobilise, depart, stand_down...)."""

    def prepare(database, ids, target: T) -> None:
        deployment_steps(database, ids[target.params["request_id"]], ids[target.params["deployment_id"]],
                         target.commander, *steps)

    return prepare


API = "/api/v1"
REQ_FR = T("FR's request", {"request_id": "req_fr"})
REQ_DE = T("DE's request addressed to FR", {"request_id": "req_de"})
REQ_DE_PRIVATE = T("DE's request not addressed to FR", {"request_id": "req_de_private"})
DEP_GIGN = T("GIGN's deployment to DE", {"request_id": "req_de", "deployment_id": "dep_gign"}, commander="demo-cmd-fr")
DEP_GSG9 = T("GSG 9's deployment to FR", {"request_id": "req_fr", "deployment_id": "dep_gsg9"}, commander="demo-cmd-de")
UNIT_FR = T("GIGN", {"unit_id": "gign"})
UNIT_DE = T("GSG 9", {"unit_id": "gsg9"})
TR_FR = T("FR-hosted training", {"training_id": "tr_fr"})
TR_DE = T("DE-hosted training", {"training_id": "tr_de"})


def answer(state_of: str, request_key: str, state: str, body: Body = None) -> T:
    return T(f"{state_of} answer to {request_key}", {"request_id": request_key, "state": state}, body)


def deployment_row(action: str, expect: str, body: Body = None, prepare=None) -> Row:
    return Row("POST", f"{API}/requests/<int:request_id>/deployments/<int:deployment_id>/{action}", expect,
               T(DEP_GIGN.what, DEP_GIGN.params, body, DEP_GIGN.commander),
               T(DEP_GSG9.what, DEP_GSG9.params, body, DEP_GSG9.commander), prepare=prepare)


def training_row(method: str, suffix: str, body: Body = None, rid: str | None = None) -> Row:
    own, other = dict(TR_FR.params), dict(TR_DE.params)
    if rid:
        own["recurrence_id"], other["recurrence_id"] = f"tr_fr_{rid}", f"tr_de_{rid}"
    #                                                           anon adm obs pln cc  ca  cmd spl
    return Row(method, f"{API}/trainings/<int:training_id>{suffix}", "U   AA  FF  AA  FF  FF  FF  AF",
               T(TR_FR.what, own, body), T(TR_DE.what, other, body))


def new_training(host: str) -> Body:
    return lambda ids: training_payload(kind="workshop", title=f"Rope access refresher ({host})", host_unit_id=ids[host],
                                        start_local=_local(_day(60), 9), end_local=_local(_day(60), 12))


def new_request(state: str | None, addressees: list[str]) -> Body:
    extra = {"requesting_state": state} if state else {}
    return lambda ids: request_payload(addressees=addressees, **extra)


COUNTER = {"counter": {"kinds": ["other_units"], "units": [], "text": "Another unit than the one asked for."}}


def counter_with(unit: str) -> Body:
    return lambda ids: {"counter": {**COUNTER["counter"], "units": [ids[unit]]}}


READ_REQUEST = "U   AA  AA  HH  AH  AH  HH  HH"  # need-to-know: own request yes, DE's private one no
REQUESTER_ONLY = "U   FF  FF  HH  AF  AF  HF  HH"  # FR's request vs DE's request addressed to FR
ANYONE_SIGNED_IN = "U   A   A   A   A   A   A   A"
EVERYONE = "A   A   A   A   A   A   A   A"

READ_ROSTER = "U   AA  AA  HH  AH  AH  HH  HH"  # the State's authority and crisis centre; the support office
MANAGE_ROSTER = "U   AA  FF  HH  AH  AH  HH  HH"
ROSTER_FR = T("FR's competent authority's roster", {"org": "ca-FR"})
ROSTER_DE = T("DE's competent authority's roster", {"org": "ca-DE"})
ROSTER_BODY = {"timezone": "Europe/Paris", "shifts": [
    {"weekday": "mon", "start": "08:00", "end": "18:00", "primary": "demo-admin"}]}
ROSTER_CSV = {"csv": roster_csv("demo-admin")}
GAPS_QUERY = "?from=2026-12-01T00:00:00%2B00:00&to=2026-12-02T00:00:00%2B00:00"

MATRIX: list[Row] = [
    # ------------------------------------------------------------ sign-in            anon adm obs pln cc  ca  cmd spl
    Row("POST", f"{API}/auth/token", EVERYONE, T("a valid login", body={"username": "demo-observer", "password": DEMO_PASSWORD})),
    Row("DELETE", f"{API}/auth/token", ANYONE_SIGNED_IN),
    Row("POST", f"{API}/auth/login", EVERYONE, T("a valid login", body={"username": "demo-observer", "password": DEMO_PASSWORD})),
    Row("POST", f"{API}/auth/logout", ANYONE_SIGNED_IN, changes=False),
    Row("GET", f"{API}/auth/me", ANYONE_SIGNED_IN),
    Row("POST", f"{API}/auth/mfa/totp", ANYONE_SIGNED_IN, T("start one's own enrolment", body={})),
    # Allowed: 409 from the service (no enrolment was started), after the authorization check.
    Row("POST", f"{API}/auth/mfa/totp/confirm", ANYONE_SIGNED_IN, T("a first code", body={"code": "123456"}),
        changes=False),
    Row("DELETE", f"{API}/auth/mfa", "U   AA  AF  AF  AF  AF  AF  AF", T("one's own second factor"),
        T("DE crisis centre's second factor", query="?user_id={user_cc_de}")),
    Row("GET", f"{API}/auth/mfa/webauthn", ANYONE_SIGNED_IN),
    Row("POST", f"{API}/auth/mfa/webauthn/options", "U   A   F   F   F   F   F   F", T("one's own new key", body={})),
    # Allowed for admins: 422 from the service (the credential does not verify), after the role check.
    Row("POST", f"{API}/auth/mfa/webauthn", "U   A   F   F   F   F   F   F",
        T("a registration answer", body={"label": "matrix key", "credential": {"id": "x", "response": {}}})),
    # The observer has no key of its own (it is the sign-in rows' user): its "own" key is 404 too.
    Row("DELETE", f"{API}/auth/mfa/webauthn/<int:credential_id>", "U   AH  HH  AH  AH  AH  AH  AH",
        T("the caller's security key", {"credential_id": "key:{user}"}),
        T("DE's crisis centre's security key", {"credential_id": "key:de"})),
    Row("POST", f"{API}/auth/password", ANYONE_SIGNED_IN,
        T("one's own password", body={"current_password": DEMO_PASSWORD, "new_password": "a-new-passphrase-for-the-matrix"})),
    Row("GET", f"{API}/auth/sessions", ANYONE_SIGNED_IN),
    Row("DELETE", f"{API}/auth/sessions/<int:session_id>", "U   AH  AH  AH  AH  AH  AH  AH",
        T("the caller's console session", {"session_id": "session:{user}"}),
        T("DE's crisis centre's console session", {"session_id": "session:de"})),
    Row("DELETE", f"{API}/auth/tokens/<int:token_id>", "U   AH  AH  AH  AH  AH  AH  AH",
        T("the caller's spare token", {"token_id": "token:{user}"}),
        T("DE's crisis centre's token", {"token_id": "token:de"})),
    Row("DELETE", f"{API}/users/<int:user_id>/sessions", "U   AA  FF  FF  FF  FF  FF  FF",
        T("the caller", {"user_id": "user:{user}"}), T("DE's crisis centre", {"user_id": "user:de"})),
    Row("GET", f"{API}/openapi.json", EVERYONE),
    Row("GET", f"{API}/events", ANYONE_SIGNED_IN),
    Row("GET", f"{API}/inbox", ANYONE_SIGNED_IN),  # one's own inbox: only what one may see
    # ------------------------------------------------------------ directory
    Row("GET", f"{API}/states", ANYONE_SIGNED_IN),
    Row("GET", f"{API}/states/<code>/airlift", "U   AA  AA  AA  AA  AA  AA  AA",
        T("France's airlift", {"code": "FR"}), T("Germany's airlift", {"code": "DE"})),
    Row("GET", f"{API}/authorities", ANYONE_SIGNED_IN),
    Row("GET", f"{API}/capabilities", ANYONE_SIGNED_IN),
    Row("GET", f"{API}/units", ANYONE_SIGNED_IN),
    Row("GET", f"{API}/units/<int:unit_id>", "U   AA  AA  AA  AA  AA  AA  AA", UNIT_FR, UNIT_DE),
    Row("GET", f"{API}/units/<int:unit_id>/readiness/history", "U   AA  AA  AA  AA  AA  AA  AA", UNIT_FR, UNIT_DE),
    Row("POST", f"{API}/units", "U   AA  FF  FF  FF  AF  FF  FF",
        T("a new FR unit", body=unit_payload(state="FR", name="GIGN antenna Lyon (matrix)")),
        T("a new DE unit", body=unit_payload(state="DE", name="SEK Hamburg detachment (matrix)"))),
    Row("PATCH", f"{API}/units/<int:unit_id>", "U   AA  FF  FF  FF  AF  FF  FF",
        T(UNIT_FR.what, UNIT_FR.params, {"personnel": 401}), T(UNIT_DE.what, UNIT_DE.params, {"personnel": 401})),
    Row("PUT", f"{API}/units/<int:unit_id>/readiness", "U   AA  FF  FF  FF  FF  AF  FF",
        T(UNIT_FR.what, UNIT_FR.params, {"status": "LIMITED", "reason": "two operators on leave"}),
        T(UNIT_DE.what, UNIT_DE.params, {"status": "LIMITED", "reason": "two operators on leave"})),
    Row("GET", f"{API}/places", ANYONE_SIGNED_IN, T("Brussels Airport by its ICAO code", query="?q=EBBR")),
    # ------------------------------------------------------------ matching
    Row("POST", f"{API}/match", "U   A   F   A   A   A   F   A",
        T("a what-if for Paris", body={"site": {"lat": 48.86, "lon": 2.35}, "requesting_state": "FR",
                                       "requirements": [{"code": "NEG"}]}), changes=False),
    Row("GET", f"{API}/requests/<int:request_id>/candidates", READ_REQUEST, REQ_FR, REQ_DE_PRIVATE),
    # ------------------------------------------------------------ coverage
    Row("GET", f"{API}/coverage", ANYONE_SIGNED_IN, T("the tier-1 map", query="?format=grid")),
    Row("POST", f"{API}/coverage/what-if", READ_REQUEST,
        T("FR's request's deployments off", body=lambda ids: {"request_id": ids["req_fr"]}),
        T("DE's private request's deployments off", body=lambda ids: {"request_id": ids["req_de_private"]}),
        changes=False),
    # ------------------------------------------------------------ crises
    Row("POST", f"{API}/crises", "U   F   F   F   A   A   F   F", T("a crisis of the caller's state",
        body=lambda ids: request_payload()["crisis"])),
    Row("GET", f"{API}/crises/<int:crisis_id>", READ_REQUEST,
        T("FR's crisis", {"crisis_id": "crisis_fr"}), T("DE's crisis behind a request not addressed to FR",
                                                          {"crisis_id": "crisis_de_private"})),
    Row("PATCH", f"{API}/crises/<int:crisis_id>", REQUESTER_ONLY,
        T("FR's crisis", {"crisis_id": "crisis_fr"}, {"classification": "UNCLASSIFIED"}),
        T("DE's crisis behind a request addressed to FR", {"crisis_id": "crisis_de"},
          {"classification": "UNCLASSIFIED"})),
    # ------------------------------------------------------------ requests
    Row("GET", f"{API}/requests", ANYONE_SIGNED_IN),
    Row("POST", f"{API}/requests", "U   FF  FF  FF  AF  AF  FF  FF",
        T("a request raised for FR", body=new_request(None, ["DE", "NL"])),
        T("a request raised for DE", body=new_request("DE", ["FR", "NL"]))),
    Row("GET", f"{API}/requests/<int:request_id>", READ_REQUEST, REQ_FR, REQ_DE_PRIVATE),
    Row("GET", f"{API}/requests/<int:request_id>/ranking-snapshot", READ_REQUEST, REQ_FR, REQ_DE_PRIVATE),
    Row("GET", f"{API}/requests/<int:request_id>/audit", READ_REQUEST, REQ_FR, REQ_DE_PRIVATE),
    Row("GET", f"{API}/requests/<int:request_id>/timeline", READ_REQUEST, REQ_FR, REQ_DE_PRIVATE),
    Row("GET", f"{API}/requests/<int:request_id>/costs", READ_REQUEST, REQ_FR, REQ_DE_PRIVATE),
    # A draft is known to its requesting state only (and to those who read everything).
    Row("POST", f"{API}/requests/<int:request_id>/submit", "U   FF  FF  HH  AH  AH  HH  HH",
        T("FR's draft", {"request_id": "draft_fr"}, {}), T("DE's draft addressed to FR", {"request_id": "draft_de"}, {})),
    Row("POST", f"{API}/requests/<int:request_id>/withdraw", REQUESTER_ONLY,
        T(REQ_FR.what, REQ_FR.params, {"reason": "resolved locally"}),
        T(REQ_DE.what, REQ_DE.params, {"reason": "resolved locally"})),
    Row("POST", f"{API}/requests/<int:request_id>/close", REQUESTER_ONLY,  # allowed: 409, not met yet
        T(REQ_FR.what, REQ_FR.params, {}), T(REQ_DE.what, REQ_DE.params, {})),
    Row("POST", f"{API}/requests/<int:request_id>/costs/settle", REQUESTER_ONLY,
        T(REQ_FR.what, REQ_FR.params, {}), T(REQ_DE.what, REQ_DE.params, {})),
    # Only an addressed state's competent authority acknowledges: BE's request is addressed to FR, FR's own is not.
    Row("POST", f"{API}/requests/<int:request_id>/seen", "U   FF  FF  HH  FF  AF  HH  HH",
        T("BE's request addressed to FR", {"request_id": "req_be"}, {}), T("FR's own request", {"request_id": "req_fr"}, {})),
    # ------------------------------------------------------------ answers (BE asks FR, DE and NL)
    Row("POST", f"{API}/requests/<int:request_id>/answers/<string:state>/accept", "U   FF  FF  HH  FF  AF  HH  HH",
        answer("FR's", "req_be", "FR", lambda ids: {"units": [ids["raid"]]}),
        answer("DE's", "req_be", "DE", lambda ids: {"units": [ids["gsg9_berlin"]]})),
    Row("POST", f"{API}/requests/<int:request_id>/answers/<string:state>/refuse", "U   FF  FF  HH  FF  AF  HH  HH",
        answer("FR's", "req_be", "FR", {"reason": "all teams committed"}),
        answer("DE's", "req_be", "DE", {"reason": "all teams committed"})),
    Row("POST", f"{API}/requests/<int:request_id>/answers/<string:state>/counter-propose", "U   FF  FF  HH  FF  AF  HH  HH",
        answer("FR's", "req_be", "FR", counter_with("raid")), answer("DE's", "req_be", "DE", counter_with("gsg9_berlin"))),
    # NL counter-proposed to FR's request and to DE's: only the requester decides.
    Row("POST", f"{API}/requests/<int:request_id>/answers/<string:state>/counter/accept", REQUESTER_ONLY,
        answer("NL's", "req_fr", "NL", {}), answer("NL's", "req_de", "NL", {})),
    Row("POST", f"{API}/requests/<int:request_id>/answers/<string:state>/counter/reject", REQUESTER_ONLY,
        answer("NL's", "req_fr", "NL", {"reason": "not what we need"}),
        answer("NL's", "req_de", "NL", {"reason": "not what we need"})),
    # FR accepted DE's request with GIGN; NL's answer to DE's private request is none of FR's business.
    Row("GET", f"{API}/requests/<int:request_id>/answers/<string:state>/arrangement", "U   AA  AA  HH  AH  AH  AH  HH",
        answer("FR's", "req_de", "FR"), answer("NL's", "req_de_private", "NL")),
    # The requester or the answering state's competent authority; FR is neither for NL's answer to DE.
    Row("PUT", f"{API}/requests/<int:request_id>/answers/<string:state>/arrangement", "U   FF  FF  HH  FF  AF  FF  HH",
        answer("FR's", "req_de", "FR", {}), answer("NL's", "req_de", "NL", {})),
    # ------------------------------------------------------------ deployments (GIGN to DE, GSG 9 to FR)
    Row("GET", f"{API}/requests/<int:request_id>/deployments/<int:deployment_id>", "U   AA  AA  HH  AA  AA  AH  HH",
        DEP_GIGN, DEP_GSG9),
    #                                                   anon adm obs pln cc  ca  cmd spl
    deployment_row("accept", "U   FF  FF  HH  FF  FF  AH  HH", {}),
    deployment_row("decline", "U   FF  FF  HH  FF  FF  AH  HH", {"reason": "team in quarantine"}),
    deployment_row("mobilise", "U   FF  FF  HH  FF  FF  AH  HH", {}, walk("accept")),
    deployment_row("depart", "U   FF  FF  HH  FF  FF  AH  HH", lambda ids: {"eta": in_hours(3)}, walk("accept", "mobilise")),
    deployment_row("arrive", "U   FF  FF  HH  FA  FA  AH  HH", {"on_scene_commander": "Kriminaldirektor Adler"},
                   walk("accept", "mobilise", "depart")),
    deployment_row("stand-down", "U   FF  FF  HH  FA  FA  AH  HH", {}, walk("accept")),
    deployment_row("return", "U   FF  FF  HH  FF  FF  AH  HH", {}, walk("accept", "stand_down")),
    deployment_row("recall", "U   FF  FF  HH  FF  AF  FH  HH", {"reason": "needed at home"}, walk("accept")),
    deployment_row("extend", "U   FF  FF  HH  FA  FA  FH  HH", lambda ids: {"until": in_hours(24 * 30)},
                   walk("accept", "mobilise")),
    # The unit's own commander records its costs too (Art. 4; policy.py explains why).
    deployment_row("costs", "U   FF  FF  HH  FA  AA  AH  HH",
                   {"category": "TRANSPORT", "currency": "EUR", "amount_minor": 125_000}, walk("accept")),
    # ------------------------------------------------------------ trainings
    Row("GET", f"{API}/trainings", ANYONE_SIGNED_IN),
    Row("POST", f"{API}/trainings", "U   AA  FF  AA  FF  FF  FF  AF",
        T("a training hosted by RAID (FR)", body=new_training("raid")),
        T("a training hosted by SEK BW (DE)", body=new_training("sek_bw"))),
    Row("POST", f"{API}/trainings/check", "U   AA  FF  AA  FF  FF  FF  AF",
        T("a training hosted by RAID (FR)", body=new_training("raid")),
        T("a training hosted by SEK BW (DE)", body=new_training("sek_bw")), changes=False),
    Row("GET", f"{API}/trainings/<int:training_id>", "U   AA  AA  AA  AA  AA  AA  AA", TR_FR, TR_DE),
    Row("GET", f"{API}/trainings/<int:training_id>.ics", "U   AA  AA  AA  AA  AA  AA  AA", TR_FR, TR_DE),
    Row("GET", f"{API}/trainings/<int:training_id>/attendance", "U   AA  AA  AA  AA  AA  AA  AA", TR_FR, TR_DE),
    training_row("PATCH", "", {"title": "Negotiation workshop (renamed)"}),
    training_row("POST", "/cancel", {"reason": "venue unavailable"}),
    training_row("PUT", "/occurrences/<recurrence_id>", {"title": "Held outdoors"}, rid="edit"),
    training_row("DELETE", "/occurrences/<recurrence_id>", rid="revert"),
    training_row("POST", "/participants", lambda ids: {"unit_ids": [ids["dsi"]]}),
    # A unit answers through its commander or its state's competent authority.
    Row("POST", f"{API}/trainings/<int:training_id>/participants/<int:unit_id>/response", "U   FF  FF  FF  FF  AF  AF  FF",
        T("GIGN's invitation (FR-hosted)", {"training_id": "tr_fr", "unit_id": "gign"}, {"answer": "decline"}),
        T("GSG 9's invitation (DE-hosted)", {"training_id": "tr_de", "unit_id": "gsg9"}, {"answer": "decline"})),
    # The host state's planner for anyone, a unit's commander or competent authority for that unit.
    Row("PUT", f"{API}/trainings/<int:training_id>/attendance", "U   AA  FF  AA  FF  AF  AF  AF",
        T("GIGN at the FR-hosted training", TR_FR.params,
          lambda ids: {"recurrence_id": ids["tr_fr_past"], "entries": [{"unit_id": ids["gign"], "attended": True}]}),
        T("GSG 9 at the DE-hosted training", TR_DE.params,
          lambda ids: {"recurrence_id": ids["tr_de_past"], "entries": [{"unit_id": ids["gsg9"], "attended": True}]})),
    # ------------------------------------------------------------ calendar feeds (GIGN's and GSG 9's, made by the admin)
    Row("GET", f"{API}/calendar-feeds", ANYONE_SIGNED_IN),
    Row("POST", f"{API}/calendar-feeds", "U   AA  FF  AA  FF  AF  AF  AF",
        T("a feed of GIGN", body=lambda ids: {"scope": "unit", "unit_id": ids["gign"]}),
        T("a feed of GSG 9", body=lambda ids: {"scope": "unit", "unit_id": ids["gsg9"]})),
    Row("DELETE", f"{API}/calendar-feeds/<int:feed_id>", "U   AA  HH  AA  HH  AH  AH  AH",
        T("GIGN's feed", {"feed_id": "feed_gign"}), T("GSG 9's feed", {"feed_id": "feed_gsg9"})),
    # ------------------------------------------------------------ duty rosters and alerts (issue 15): FR's and DE's competent authorities
    Row("GET", f"{API}/rosters", ANYONE_SIGNED_IN),
    Row("GET", f"{API}/rosters/<org>", READ_ROSTER, ROSTER_FR, ROSTER_DE),
    Row("PUT", f"{API}/rosters/<org>", MANAGE_ROSTER, T(ROSTER_FR.what, ROSTER_FR.params, ROSTER_BODY),
        T(ROSTER_DE.what, ROSTER_DE.params, ROSTER_BODY)),
    Row("GET", f"{API}/rosters/<org>/csv", READ_ROSTER, ROSTER_FR, ROSTER_DE),
    Row("PUT", f"{API}/rosters/<org>/csv", MANAGE_ROSTER, T(ROSTER_FR.what, ROSTER_FR.params, ROSTER_CSV),
        T(ROSTER_DE.what, ROSTER_DE.params, ROSTER_CSV)),
    Row("GET", f"{API}/rosters/<org>/on-duty", READ_ROSTER, ROSTER_FR, ROSTER_DE),
    Row("GET", f"{API}/rosters/<org>/gaps", READ_ROSTER,
        T(ROSTER_FR.what, ROSTER_FR.params, query=GAPS_QUERY), T(ROSTER_DE.what, ROSTER_DE.params, query=GAPS_QUERY)),
    Row("GET", f"{API}/alerts", ANYONE_SIGNED_IN),
    # An officer of the alert's ladder, or a manager of the organisation's roster.
    Row("POST", f"{API}/alerts/<int:alert_id>/ack", "U   AA  HH  HH  AH  AH  HH  HH",
        T("the alert to FR's duty officer", {"alert_id": "alert_fr"}),
        T("the alert to DE's duty officer", {"alert_id": "alert_de"})),
    # The signed link is the credential: a forged one is a 422 from the service, for anyone.
    Row("POST", f"{API}/alerts/ack-link", EVERYONE, T("a forged link", body={"token": "forged-token-0123456789"})),
    Row("GET", f"{API}/mailbox", "U   A   F   F   F   F   F   F"),
]


def _cells():
    for row in MATRIX:
        expectations = row.expectations()
        for role, username, label in ROLES:
            for which, letter in expectations[role].items():
                target = row.own if which == "own" else row.other
                suffix = f" on {which} ({target.what})" if row.other is not None else ""
                yield pytest.param(row, username, which, letter, id=f"{row.name} as {label}{suffix}")


CELLS = list(_cells())


# ---------------------------------------------------------------- the tests


def _classify(response) -> str:
    status = response.status_code
    body = response.get_json(silent=True) or {}
    code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
    if 200 <= status < 300:
        return ALLOWED
    if status in (409, 422) and code not in SCHEMA_ERRORS:
        return ALLOWED  # the service got past the authorization check to refuse on the merits
    return {401: UNAUTHENTICATED, 403: FORBIDDEN, 404: HIDDEN}.get(status, f"unexpected {status} {code}")


def test_every_endpoint_has_a_row(shared):
    """Adding an endpoint without deciding who may call it fails here, naming it."""
    served = {(method, rule.rule) for rule in shared.app.url_map.iter_rules() if rule.rule.startswith(f"{API}/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = [(row.method, row.rule) for row in MATRIX]
    assert len(listed) == len(set(listed)), "an endpoint has two rows"
    missing = sorted(served - set(listed))
    stale = sorted(set(listed) - served)
    assert not missing, "endpoints without a row in the authorization matrix: " + ", ".join(f"{m} {r}" for m, r in missing)
    assert not stale, "rows for endpoints that no longer exist: " + ", ".join(f"{m} {r}" for m, r in stale)


@pytest.mark.parametrize(("row", "username", "which", "expected"), CELLS)
def test_authorization(row: Row, username: str | None, which: str, expected: str, scene, shared, copier):
    target = row.own if which == "own" else row.other
    fresh = expected == ALLOWED and row.method != "GET" and row.changes
    running = Running(copier, scene) if fresh else shared
    try:
        if fresh and row.prepare is not None:
            row.prepare(running.database, scene.ids, target)
        before = running.changes()
        response = running.api.call(row.method, target.path(row.rule, scene.ids, username), username, json=target.json(scene.ids))
        got = _classify(response)
        assert got == expected, (
            f"{row.name} as {username or 'anonymous'} on {target.what}: expected {expected}, got {got} "
            f"({response.status_code} {response.get_data(as_text=True)[:300]})"
        )
        if expected != ALLOWED and row.method != "GET":
            assert running.changes() == before, f"a refused {row.name} left audit records or events behind"
    finally:
        if fresh:
            running.close()


@pytest.mark.parametrize(("username", "training", "unit"), [
    ("demo-observer", "tr_fr", "gign"),
    ("demo-cc-fr", "tr_fr", "gign"),
    ("demo-cmd-fr", "tr_de", "gsg9"),
    ("demo-planner-fr", "tr_de", "gsg9"),
])
def test_attendance_is_refused_the_same_before_and_after_the_session(shared, scene, username, training, unit):
    """Who may record attendance does not depend on whether the session has started: someone
    with no right to it gets 403 for next week's session too, not "not started yet"."""
    ids = scene.ids
    for when in ("past", "edit"):  # three weeks ago, and a week ahead
        body = {"recurrence_id": ids[f"{training}_{when}"], "entries": [{"unit_id": ids[unit], "attended": True}]}
        response = shared.api.put(f"{API}/trainings/{ids[training]}/attendance", username, json=body)
        assert response.status_code == 403, (when, response.get_json())


@pytest.mark.parametrize("username", ["demo-cc-fr", "demo-ca-fr", "demo-cmd-fr", "demo-planner-fr"])
def test_lists_and_replays_show_nothing_of_what_france_may_not_know(shared, scene, username):
    """DE's request to NL and AT, and DE's draft, appear in no list or event replay of a French user."""
    ids = scene.ids
    secret = {ids["req_de_private"], ids["draft_de"]}
    listed = {item["id"] for item in shared.api.get(f"{API}/requests?per_page=100", username).get_json()["items"]}
    assert not listed & secret
    if username in ("demo-cc-fr", "demo-ca-fr"):
        assert {ids["req_fr"], ids["req_de"], ids["req_be"], ids["draft_fr"]} <= listed
    replay = shared.api.get(f"{API}/events?limit=1000", username).get_json()["items"]
    leaked = [event for event in replay
              if event["data"].get("request_id") in secret
              or event["subject"] in {f"request:{i}" for i in secret} | {f"crisis:{ids['crisis_de_private']}"}]
    assert not leaked, leaked
