"""The operators: locust users doing what the people at the consoles do, through the REST API.

Run by the orchestrator as ``python -m benchmarks.loadtest.locustfile --plan plan.json --out
operators.json`` (locust's library API, headless, in a process of its own so that gevent's
monkey-patching stays there). ``locust -f benchmarks/loadtest/locustfile.py`` also works when
``ATLAS_LOADTEST_PLAN`` names a plan written by a run kept with ``--keep``.

Roles (each operator signs in once with its own account and stays on one of the servers):

- ``CrisisCentre``: raises assistance requests (a new crisis in its state, submitted at once,
  addressed to one to three other states), follows its requests, accepts or rejects
  counter-proposals, stands down units on scene, withdraws requests nobody answered yes to,
  looks at the ranking of candidates and does what-if matching.
- ``CompetentAuthority``: answers the requests addressed to its state: acknowledges, then
  accepts with a free unit of its own, refuses with a reason, or counter-proposes; records the
  practical arrangements of accepted answers.
- ``UnitCommander``: finds its unit's deployments and takes them through ACCEPTED, MOBILISING,
  EN_ROUTE, ON_SCENE, STOOD_DOWN and RETURNED (or declines an alert while the unit is committed
  elsewhere or the request is over); reports readiness when the unit is free.
- ``Observer``: the support office; reads request lists and details, timelines, rankings, the
  directory, readiness histories and ``events?after=``.

Every change carries the ``expected_version`` the operator read, as the console does, so two
operators acting on the same record at once get a 409, which is counted on its own.
Each call is recorded (time, endpoint, status, latency) by a request hook; the steady window is
the ``--duration`` seconds after the last operator has signed in. After it come the saturation
steps (``saturation_factors``): the same operators with shorter pauses, until p99 exceeds 1 s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import gevent
from locust import FastHttpUser, between, events, task
from locust.env import Environment
from locust.exception import StopUser

PLAN: dict[str, Any] = {}
OPEN = {"SUBMITTED", "PARTIALLY_MET", "MET"}
CRISIS_TYPES = ["hostage_taking", "aircraft_hijacking", "bus_hijacking", "train_hijacking", "terrorist_siege",
                "maritime_hijacking"]
KINDS = [["ACTION_ARMED", "EXPERTISE"], ["EXPERTISE"], ["EQUIPMENT", "EXPERTISE"], ["ACTION_UNARMED"],
         ["ACTION_ARMED"]]
REQUIREMENTS = ["ENV_BUILDING", "NEG", "TACMED", "SNIPER_OBS", "ENV_AIRCRAFT", "BREACH_MECH", "ENV_BUS", "K9"]
COMMITTED_TO = re.compile(r"committed to request (\d+) \(deployment (\d+)\)")


def in_hours(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


# -- what the run records ----------------------------------------------------------------------


class Recorder:
    """Every call: (start, endpoint, status, ms). Steady window = [steady_from, steady_until)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, int, float]] = []
        self.signed_in = 0
        self.sign_in_failures = 0
        self.steady_from: float | None = None
        self.steady_until: float | None = None
        self.samples: dict[str, list[str]] = defaultdict(list)  # status class -> a few bodies

    def on_request(self, request_type, name, response_time, response_length, response=None, exception=None,
                   start_time=None, url=None, **_kw) -> None:
        status = getattr(response, "status_code", 0) or 0
        self.calls.append((start_time or time.time(), f"{request_type} {name}", status, response_time))
        if (status >= 400 and status != 409) or status == 0:
            key = f"{status} {request_type} {name}"
            if len(self.samples[key]) < 3:
                text = getattr(response, "text", None) if response is not None else None
                self.samples[key].append((text or repr(exception))[:400])


RECORDER = Recorder()


# -- the operators -----------------------------------------------------------------------------


class Operator(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(5, 15)
    network_timeout = 60.0
    connection_timeout = 30.0
    _numbers: ClassVar[dict[str, itertools.count]] = {}

    def __init__(self, environment) -> None:
        number = next(Operator._numbers.setdefault(self.role, itertools.count()))
        accounts = PLAN["accounts"][self.role]
        self.account: dict[str, Any] = accounts[number % len(accounts)]
        self.state: str | None = self.account.get("state")
        servers = PLAN["servers"]
        self.host = servers[number % len(servers)]
        self.auth: dict[str, str] = {}
        self.after = PLAN["baseline_seq"]
        self.rng = random.Random(f"{PLAN['seed']}-{self.role}-{number}")
        super().__init__(environment)

    # -- HTTP --

    def api(self, method: str, path: str, name: str, body: dict | None = None) -> tuple[int, Any]:
        """One call; 2xx and 409 count as successes in locust's own statistics."""
        with self.client.request(method, path, name=name, json=body, headers=self.auth, catch_response=True) as response:
            status = response.status_code or 0
            if 200 <= status < 300 or status == 409:
                response.success()
            else:
                response.failure(f"HTTP {status}")
            try:
                data = response.json() if response.text else None
            except ValueError:
                data = None
        return status, data

    def get(self, path: str, name: str) -> Any:
        status, data = self.api("GET", path, name)
        return data if status == 200 else None

    def on_start(self) -> None:
        body = {"username": self.account["username"], "password": PLAN["password"]}
        for attempt in range(3):
            status, data = self.api("POST", "/api/v1/auth/token", "/api/v1/auth/token", body)
            if status == 200:
                self.auth = {"Authorization": f"Bearer {data['token']}"}
                RECORDER.signed_in += 1
                return
            gevent.sleep(1 + attempt)
        RECORDER.sign_in_failures += 1
        raise StopUser()

    # -- reads every role does --

    def catch_up(self) -> None:
        """The console's catch-up: the events after the last seq it has seen, a page at a time."""
        page = self.get(f"/api/v1/events?after={self.after}&limit=100", "/api/v1/events?after=[seq]")
        if page:
            self.after = max(self.after, page["last_seq"])

    def my_requests_page(self, per_page: int = 20) -> list[dict]:
        page = self.get(f"/api/v1/requests?per_page={per_page}", "/api/v1/requests")
        return page["items"] if page else []

    def open_request(self, request_id: int) -> dict | None:
        return self.get(f"/api/v1/requests/{request_id}", "/api/v1/requests/[id]")

    def units_of(self, state: str) -> list[dict]:
        page = self.get(f"/api/v1/units?state={state}&per_page=50", "/api/v1/units?state=[XX]")
        return page["items"] if page else []

    def deployment_step(self, request_id: int, deployment: dict, step: str, body: dict) -> int:
        body = {**body, "expected_version": deployment["version"]}
        status, _ = self.api("POST", f"/api/v1/requests/{request_id}/deployments/{deployment['id']}/{step}",
                             f"/api/v1/requests/[id]/deployments/[id]/{step}", body)
        return status


class CrisisCentre(Operator):
    role = "cc"

    @task(3)
    def raise_request(self) -> None:
        others = [s for s in PLAN["states"] if s != self.state]
        base = self.rng.choice(PLAN["sites"][self.state])
        body = {
            "crisis": {
                "type": self.rng.choice(CRISIS_TYPES),
                "site": {"lat": round(base[0] + self.rng.uniform(-0.3, 0.3), 4),
                         "lon": round(base[1] + self.rng.uniform(-0.3, 0.3), 4)},
                "place_name": f"Load-test site {self.rng.randrange(1000)}",
                "started_at": in_hours(-0.5),
                "description": "Load-test exercise: armed suspects holding people in a building.",
                "exercise": True,
                "classification": "RESTREINT UE/EU RESTRICTED",
            },
            "kinds": self.rng.choice(KINDS),
            "operational_necessity": "The national unit is committed elsewhere; specialists are needed at once.",
            "requirements": [{"code": code, "quantity": 1, "min_level": "limited"}
                             for code in self.rng.sample(REQUIREMENTS, self.rng.randint(1, 2))],
            "needed_by": in_hours(self.rng.uniform(2, 12)),
            "duration_hours": self.rng.choice([24, 48, 72]),
            "addressees": self.rng.sample(others, self.rng.randint(1, 3)),
            "answer_deadline": in_hours(1),
            "submit": True,
        }
        self.api("POST", "/api/v1/requests", "/api/v1/requests [raise]", body)

    def own_open(self) -> list[dict]:
        return [r for r in self.my_requests_page() if r["requesting_state"] == self.state and r["status"] in OPEN]

    @task(4)
    def follow_requests(self) -> None:
        """Open one of my requests; decide a counter-proposal, release a unit on scene, or withdraw
        a request that every addressed state refused."""
        mine = self.own_open()
        if not mine:
            return
        countered = [r for r in mine if r["answers_by_status"].get("COUNTER_PROPOSED")]
        chosen = self.rng.choice(countered or mine)
        request = self.open_request(chosen["id"])
        if not request or request["status"] not in OPEN:
            return
        for answer in request["answers"]:
            if answer["status"] == "COUNTER_PROPOSED":
                decision = "accept" if self.rng.random() < 0.7 else "reject"
                body = {"expected_version": answer["version"]}
                if decision == "reject":
                    body["reason"] = "We need the unit before the proposed time."
                self.api("POST", f"/api/v1/requests/{request['id']}/answers/{answer['state']}/counter/{decision}",
                         f"/api/v1/requests/[id]/answers/[XX]/counter/{decision}", body)
                return
        on_scene = [d for d in request["deployments"] if d["status"] == "ON_SCENE"]
        if on_scene and self.rng.random() < 0.3:
            self.deployment_step(request["id"], self.rng.choice(on_scene), "stand-down",
                                 {"reason": "The situation is resolved; released with thanks."})
            return
        statuses = {a["status"] for a in request["answers"]}
        if statuses and statuses <= {"REFUSED", "COUNTER_REJECTED"} and not request["deployments"]:
            self.api("POST", f"/api/v1/requests/{request['id']}/withdraw", "/api/v1/requests/[id]/withdraw",
                     {"reason": "No assistance available; handled nationally.", "expected_version": request["version"]})

    @task(1)
    def ranking(self) -> None:
        mine = self.own_open()
        if mine:
            self.get(f"/api/v1/requests/{self.rng.choice(mine)['id']}/candidates?limit=10",
                     "/api/v1/requests/[id]/candidates")

    @task(1)
    def what_if(self) -> None:
        base = self.rng.choice(PLAN["sites"][self.state])
        body = {"site": {"lat": base[0], "lon": base[1]}, "requesting_state": self.state,
                "requirements": [{"code": self.rng.choice(REQUIREMENTS), "quantity": 1}], "limit": 10}
        self.api("POST", "/api/v1/match", "/api/v1/match", body)

    @task(1)
    def read_events(self) -> None:
        self.catch_up()


class CompetentAuthority(Operator):
    role = "ca"

    @task(6)
    def answer(self) -> None:
        """A request addressed to my state with an answer pending: acknowledge it, then accept with
        a free unit of ours, counter-propose, or refuse."""
        pending = [r for r in self.my_requests_page(25)
                   if self.state in r["addressed_states"] and r["status"] in OPEN
                   and r["answers_by_status"].get("PENDING")]
        self.rng.shuffle(pending)
        for summary in pending[:2]:
            request = self.open_request(summary["id"])
            mine = next((a for a in (request or {}).get("answers", []) if a["state"] == self.state), None)
            if mine is None or mine["status"] != "PENDING":
                continue
            base = f"/api/v1/requests/{request['id']}/answers/{self.state}"
            if mine["seen_at"] is None:
                self.api("POST", f"/api/v1/requests/{request['id']}/seen", "/api/v1/requests/[id]/seen", {})
            free = [u["id"] for u in self.units_of(self.state) if u["readiness"]["status"] in ("READY", "LIMITED")]
            roll = self.rng.random()
            version = {"expected_version": mine["version"]}
            if free and roll < 0.65:
                units = self.rng.sample(free, min(len(free), self.rng.choice([1, 1, 2])))
                self.api("POST", f"{base}/accept", "/api/v1/requests/[id]/answers/[XX]/accept", {"units": units, **version})
            elif free and roll < 0.8:
                counter = ({"kinds": ["later_arrival"], "arrival_at": in_hours(self.rng.uniform(12, 24))}
                           if self.rng.random() < 0.5 else {"kinds": ["fewer_personnel"], "personnel": 6})
                counter |= {"units": [self.rng.choice(free)], "text": "We can help, but not quite as asked."}
                self.api("POST", f"{base}/counter-propose", "/api/v1/requests/[id]/answers/[XX]/counter-propose",
                         {"counter": counter, **version})
            else:
                reason = "No unit available for this period." if not free else "Our units are needed at home."
                self.api("POST", f"{base}/refuse", "/api/v1/requests/[id]/answers/[XX]/refuse", {"reason": reason, **version})
            return

    @task(1)
    def arrangements(self) -> None:
        accepted = [r for r in self.my_requests_page(25)
                    if self.state in r["addressed_states"] and r["status"] in OPEN
                    and (r["answers_by_status"].get("ACCEPTED") or r["answers_by_status"].get("COUNTER_ACCEPTED"))]
        if not accepted:
            return
        request_id = self.rng.choice(accepted)["id"]
        path = f"/api/v1/requests/{request_id}/answers/{self.state}/arrangement"
        current = self.get(path, "/api/v1/requests/[id]/answers/[XX]/arrangement")
        if not current or current["recorded"] is False and self.rng.random() < 0.5:
            return
        body = {"liaison_officer": {"name": f"Liaison officer of {self.state}", "phone": "+32 2 555 01 23"},
                "weapons_manifest": [{"item": "Breaching kit", "category": "equipment", "quantity": 2}]}
        if current["version"] is not None:
            body["expected_version"] = current["version"]
        self.api("PUT", path, "/api/v1/requests/[id]/answers/[XX]/arrangement", body)

    @task(2)
    def browse(self) -> None:
        items = self.my_requests_page()
        if items:
            self.open_request(self.rng.choice(items)["id"])

    @task(1)
    def own_units(self) -> None:
        self.units_of(self.state)

    @task(1)
    def read_events(self) -> None:
        self.catch_up()


DEPLOYMENT_STEPS = {
    "ACCEPTED": ("mobilise", lambda rng: {"headcount": rng.randint(8, 40), "transport_mode": "road"}),
    "MOBILISING": ("depart", lambda rng: {"eta": in_hours(rng.uniform(1, 5)), "transport_mode": rng.choice(["road", "air"])}),
    "EN_ROUTE": ("arrive", lambda rng: {"on_scene_commander": "Commissaire Dupont"}),
    "ON_SCENE": ("stand-down", lambda rng: {"reason": "Task completed; released by the on-scene commander."}),
    "STOOD_DOWN": ("return", lambda rng: {}),
    "RECALLED": ("return", lambda rng: {}),
}


class UnitCommander(Operator):
    role = "cmd"

    def on_start(self) -> None:
        super().on_start()
        self.unit_id: int = self.account["unit_id"]
        self.finished: set[int] = set()  # requests where nothing is left for this unit to do

    def unit(self) -> dict | None:
        return self.get(f"/api/v1/units/{self.unit_id}", "/api/v1/units/[id]")

    @task(6)
    def work(self) -> None:
        unit = self.unit()
        if unit is None:
            return
        committed = unit["readiness"]["status"] == "COMMITTED"
        found = COMMITTED_TO.search(unit["readiness"]["reason"] or "") if committed else None
        if found and self.rng.random() < 0.75:
            request_id, deployment_id = int(found.group(1)), int(found.group(2))
            deployment = self.get(f"/api/v1/requests/{request_id}/deployments/{deployment_id}",
                                  "/api/v1/requests/[id]/deployments/[id]")
            if deployment and deployment["status"] in DEPLOYMENT_STEPS:
                step, body = DEPLOYMENT_STEPS[deployment["status"]]
                self.deployment_step(request_id, deployment, step, body(self.rng))
                return
        self.answer_alert(committed)

    def answer_alert(self, committed: bool) -> None:
        """The oldest alert among my unit's newest requests: accept it when the unit is free and
        the request still open, decline it otherwise."""
        for summary in reversed(self.my_requests_page(10)):
            if summary["id"] in self.finished:
                continue
            request = self.open_request(summary["id"])
            if request is None:
                continue
            mine = [d for d in request["deployments"] if d["unit"]["id"] == self.unit_id]
            alerted = [d for d in mine if d["status"] == "ALERTED"]
            if not alerted:
                if all(d["status"] in ("DECLINED", "RETURNED") for d in mine) and request["status"] not in ("DRAFT",):
                    self.finished.add(request["id"])
                continue
            if committed or request["status"] not in OPEN:
                self.deployment_step(request["id"], alerted[0], "decline",
                                     {"reason": "The unit is committed to another operation."})
            else:
                self.deployment_step(request["id"], alerted[0], "accept",
                                     {"headcount": self.rng.randint(8, 40), "transport_mode": "road"})
            return

    @task(1)
    def readiness(self) -> None:
        unit = self.unit()
        if unit is None or unit["readiness"]["status"] not in ("READY", "LIMITED"):
            return
        status = "LIMITED" if unit["readiness"]["status"] == "READY" else "READY"
        self.api("PUT", f"/api/v1/units/{self.unit_id}/readiness", "/api/v1/units/[id]/readiness",
                 {"status": status, "reason": f"Shift report: {status.lower()}", "expected_version": unit["version"]})

    @task(1)
    def history(self) -> None:
        self.get(f"/api/v1/units/{self.unit_id}/readiness/history", "/api/v1/units/[id]/readiness/history")

    @task(1)
    def read_events(self) -> None:
        self.catch_up()


class Observer(Operator):
    role = "obs"

    def on_start(self) -> None:
        super().on_start()
        self.seen: list[int] = []

    @task(3)
    def lists(self) -> None:
        status = self.rng.choice(["", "&status=SUBMITTED", "&status=MET", "&status=PARTIALLY_MET"])
        page = self.get(f"/api/v1/requests?per_page=20{status}", "/api/v1/requests?status=[s]")
        if page:
            self.seen = [r["id"] for r in page["items"]] or self.seen

    @task(3)
    def detail(self) -> None:
        if self.seen:
            self.open_request(self.rng.choice(self.seen))

    @task(1)
    def timeline(self) -> None:
        if self.seen:
            self.get(f"/api/v1/requests/{self.rng.choice(self.seen)}/timeline", "/api/v1/requests/[id]/timeline")

    @task(1)
    def ranking(self) -> None:
        if self.seen:
            self.get(f"/api/v1/requests/{self.rng.choice(self.seen)}/candidates?limit=10",
                     "/api/v1/requests/[id]/candidates")

    @task(2)
    def units(self) -> None:
        query = self.rng.choice([f"state={self.rng.choice(PLAN['states'])}", f"capability={self.rng.choice(REQUIREMENTS)}",
                                 "readiness=COMMITTED", "q=police"])
        self.get(f"/api/v1/units?{query}", "/api/v1/units?[filter]")

    @task(1)
    def unit(self) -> None:
        unit_id = self.rng.choice(PLAN["unit_ids"])
        self.get(f"/api/v1/units/{unit_id}", "/api/v1/units/[id]")
        self.get(f"/api/v1/units/{unit_id}/readiness/history", "/api/v1/units/[id]/readiness/history")

    @task(1)
    def reference(self) -> None:
        path = self.rng.choice(["/api/v1/states", "/api/v1/capabilities", "/api/v1/authorities"])
        self.get(path, path)

    @task(2)
    def read_events(self) -> None:
        self.catch_up()


USER_CLASSES = {"cc": CrisisCentre, "ca": CompetentAuthority, "cmd": UnitCommander, "obs": Observer}


def load_plan(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        PLAN.update(json.load(handle))
    for role, cls in USER_CLASSES.items():
        cls.fixed_count = PLAN["operators"][role]
    set_think(*PLAN.get("think_seconds", (5, 15)))


def set_think(low: float, high: float) -> None:
    """Every operator's pause between two actions from now on (a pause under way runs out first)."""
    for cls in USER_CLASSES.values():
        cls.wait_time = between(low, high)


if os.environ.get("ATLAS_LOADTEST_PLAN") and not PLAN:  # `locust -f` with a kept plan
    load_plan(os.environ["ATLAS_LOADTEST_PLAN"])


# -- the headless run --------------------------------------------------------------------------


# A step whose p99 exceeds this is past saturation: the steps stop there (issue #18's definition).
SATURATION_P99_MS = 1000.0


def api_latencies(recorder: Recorder, since: float, until: float) -> list[float]:
    """Latencies (ms) of the API calls started in [since, until), sign-ins aside."""
    return [c[3] for c in recorder.calls if since <= c[0] < until and not c[1].endswith("/auth/token")]


def saturation_steps(factors: list[float], think: list[float], step_seconds: float) -> list[dict[str, float]]:
    """After the steady window, the same operators with their pauses divided by each factor in
    turn (2: twice the load). Each step is measured for ``step_seconds`` once the longest pause
    of the step before has run out; the steps stop after the first whose p99 exceeds 1 s."""
    from benchmarks.bench_fanout import percentile

    low, high = think
    settle, steps = high, []
    for factor in factors:
        set_think(low / factor, high / factor)
        gevent.sleep(settle)
        began = time.time()
        gevent.sleep(step_seconds)
        steps.append({"factor": factor, "from": began, "until": time.time()})
        settle = high / factor
        so_far = api_latencies(RECORDER, began, steps[-1]["until"])
        print(f"operators: load x{factor:g}: {len(so_far) / step_seconds:.1f} calls/s, "
              f"p99 {percentile(so_far, 99) if so_far else float('nan'):.0f} ms so far", flush=True)
        if so_far and percentile(so_far, 99) > SATURATION_P99_MS:
            break
    return steps


def step_figures(recorder: Recorder, steps: list[dict[str, float]]) -> list[dict[str, Any]]:
    from benchmarks.bench_fanout import percentile

    found = []
    for step in steps:
        rows = [c for c in recorder.calls if step["from"] <= c[0] < step["until"]]
        ms = api_latencies(recorder, step["from"], step["until"])
        found.append({**step, "calls": len(ms), "rps": len(ms) / (step["until"] - step["from"]),
                      "p50_ms": percentile(ms, 50) if ms else float("nan"),
                      "p99_ms": percentile(ms, 99) if ms else float("nan"),
                      "statuses": dict(Counter(str(c[2]) for c in rows))})
    return found


def summarise(recorder: Recorder, wall: dict[str, float], steps: list[dict[str, float]] | None = None) -> dict[str, Any]:
    from benchmarks.bench_fanout import percentile

    steady = [c for c in recorder.calls if recorder.steady_from is not None
              and recorder.steady_from <= c[0] < (recorder.steady_until or float("inf"))]
    calls: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for _, name, status, ms in steady:
        calls[name].append((status, ms))
    by_endpoint = {
        name: {"calls": len(rows), "p50_ms": percentile([ms for _, ms in rows], 50),
               "p99_ms": percentile([ms for _, ms in rows], 99),
               "statuses": dict(Counter(str(status) for status, _ in rows))}
        for name, rows in calls.items()
    }
    window = (recorder.steady_until or 0) - (recorder.steady_from or 0)
    return {
        "signed_in": recorder.signed_in,
        "sign_in_failures": recorder.sign_in_failures,
        "window_s": window,
        "window": [recorder.steady_from, recorder.steady_until],
        "steady_latencies_ms": [c[3] for c in steady if not c[1].endswith("/auth/token")],
        "steady_calls": len(steady),
        "sign_in_ms": [c[3] for c in recorder.calls if c[1].endswith("/auth/token")],
        "statuses": {str(k): v for k, v in Counter(c[2] for c in recorder.calls).items()},
        "by_endpoint": by_endpoint,
        "samples": dict(recorder.samples),
        "steps": step_figures(recorder, steps or []),
        **wall,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="the operators of the load test (headless locust)")
    parser.add_argument("--plan", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    load_plan(args.plan)
    total = sum(PLAN["operators"].values())
    env = Environment(user_classes=list(USER_CLASSES.values()), events=events, stop_timeout=PLAN["stop_timeout"])
    env.events.request.add_listener(RECORDER.on_request)
    runner = env.create_local_runner()
    began, cpu0 = time.time(), time.process_time()
    runner.start(total, spawn_rate=PLAN["spawn_rate"])
    deadline = began + PLAN["ramp_timeout"]
    while RECORDER.signed_in + RECORDER.sign_in_failures < total and time.time() < deadline:
        gevent.sleep(0.2)
    RECORDER.steady_from = time.time()
    print(f"operators: {RECORDER.signed_in}/{total} signed in after {RECORDER.steady_from - began:.1f}s; "
          f"steady traffic for {PLAN['duration']}s", flush=True)
    gevent.sleep(PLAN["duration"])
    RECORDER.steady_until = time.time()
    steps = saturation_steps(PLAN.get("saturation_factors") or [], PLAN.get("think_seconds", [5, 15]),
                             PLAN.get("step_seconds", 15.0))
    runner.stop()  # each operator finishes its current task (within stop_timeout), then stops
    ended = time.time()
    result = summarise(RECORDER, {"ramp_s": RECORDER.steady_from - began, "stop_s": ended - RECORDER.steady_until,
                                  "cpu_pct": 100 * (time.process_time() - cpu0) / (ended - began)}, steps)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    runner.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
