"""``python -m benchmarks.loadtest`` (``make loadtest``): set up the layout, run the operators and the
listeners, print the figures and judge the goals; tear everything down whatever happens.

Printed at the end (one line each)::

    loadtest operators=200 listeners=500 servers=2 duration_s=60 api_rps=... api_p50_ms=...
      api_p99_ms=... event_p50_ms=... event_p99_ms=... lost=0 dup=0 http_5xx=0 http_4xx=0 http_409=...
    goals: zero lost met (0); zero duplicated met (0); zero 5xx met (0) | checks: ...

``http_4xx`` excludes 409 (a 403 or 422 is a bug of the test, and should stay near zero); 409s
are the conflicts two operators acting on one record at once must get, and are counted on their
own. ``neterr`` counts calls that got no HTTP answer at all. ``extra`` counts live events a
listener received that the REST catch-up says it may not see (or older than its start): a leak.
The exit status is 1 when a goal is missed or the run is not valid (an operator could not sign
in, a listener could not connect, the outbox has a gap, the audit chain is broken, a server logged
a traceback, a process failed), 2 when the setup failed (e.g. no PostgreSQL), 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_fanout import cpu_seconds_of, percentile

from . import against as other
from . import figures as perf
from . import stack as layout

ROOT = layout.ROOT
ROLE_SHARE = {"cc": 0.2, "ca": 0.25, "cmd": 0.35, "obs": 0.2}


def operator_counts(total: int) -> dict[str, int]:
    counts = {role: int(total * share) for role, share in ROLE_SHARE.items()}
    counts["cmd"] += total - sum(counts.values())
    return counts


def listener_plan(args, urls: list[str], data: dict, accounts: list[layout.Account]) -> tuple[list[str], list[dict]]:
    """Who listens: observers (every event of the network) and, like most consoles, users of one
    state: crisis centres, competent authorities and unit commanders spread over every state.
    Several listeners share one sign-in (tabs of one console); they alternate between servers."""
    states = data["states"]
    first = {}
    for account in accounts:
        first.setdefault((account.role, account.state if account.role != "cmd" else account.unit_id), account)
    scoped = [first[("cc", s)].username for s in states[0::3] if ("cc", s) in first]
    scoped += [first[("ca", s)].username for s in states[1::3] if ("ca", s) in first]
    unit_of_state = {}
    for unit in data["units"]:
        unit_of_state.setdefault(unit["state"], unit["id"])
    scoped += [first[("cmd", unit_of_state[s])].username for s in states[2::3]
               if ("cmd", unit_of_state.get(s)) in first]
    observers = ["demo-observer", "lt-obs-1"]
    n_observers = round(args.listeners * args.observer_share)
    users = [observers[i % len(observers)] for i in range(n_observers)]
    users += [scoped[i % len(scoped)] for i in range(args.listeners - n_observers)] if scoped else []
    random.Random(args.seed).shuffle(users)
    return sorted(set(users)), [{"url": urls[i % len(urls)], "user": user} for i, user in enumerate(users)]


def write_private(path: Path, data: Any) -> Path:
    """Plans hold bearer tokens and the run's password: readable by this user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return path


class LineReader:
    """The lines a child prints, read by a thread so that waiting for one can time out."""

    def __init__(self, stream) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                raise layout.SetupError(f"no {prefix!r} line within {timeout:.0f}s") from None
            if line is None:
                raise layout.SetupError(f"the process ended before printing {prefix!r}")
            if line.startswith(prefix):
                return line[len(prefix):].strip()


def postgres_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving ``database`` (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if command.startswith(b"postgres: ") and database.encode() in command:
            found[int(entry.name)] = cpu_seconds_of(int(entry.name))
    return found


def cpu_shares(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], wall: float) -> dict[str, float]:
    """Percent of one core per party between two snapshots ({party: {pid: cpu seconds}})."""
    return {party: 100 * sum(seconds - before.get(party, {}).get(pid, 0.0) for pid, seconds in pids.items()) / wall
            for party, pids in after.items()}


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def server_problems(paths: list[Path]) -> list[str]:
    """Tracebacks and ERROR records in the server logs (each is a finding)."""
    found = []
    for path in paths:
        text = path.read_text(errors="replace") if path.exists() else ""
        for match in re.finditer(r"^.*(?:Traceback \(most recent call last\)|\bERROR\b).*$", text, re.MULTILINE):
            found.append(f"{path.name}: {match.group(0)[:300]}")
    return found


def endpoint_table(operators: dict[str, Any]) -> list[str]:
    rows = []
    for name, stats in sorted(operators["by_endpoint"].items(), key=lambda item: -item[1]["calls"]):
        statuses = " ".join(f"{code}:{n}" for code, n in sorted(stats["statuses"].items()))
        rows.append(f"  {name:<62} {stats['calls']:>6} p50 {stats['p50_ms']:>6.0f} ms  p99 {stats['p99_ms']:>6.0f} ms  {statuses}")
    return rows


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None or value != value:  # None or NaN
        return "nan"
    return f"{value:.{digits}f}"


def run(args, stack: layout.Stack) -> int:
    layout.check_services()
    base = None
    if args.against:
        print(f"against: the same load on {args.against} first (its own harness and servers), then on this code", flush=True)
        base = other.run_against(args.against, args, ROOT, stack.workdir, register=stack.on_close)
    began = time.monotonic()
    workdir = stack.workdir
    database_url = layout.create_database(stack)
    env, channel = layout.server_env(stack, database_url)
    layout.flush_redis(stack, channel)
    password = "lt-" + secrets.token_urlsafe(12)
    cli_env = {**env, "ATLAS_DEMO_PASSWORD": password}
    layout.atlas_coord(["db", "upgrade"], cli_env)
    layout.atlas_coord(["seed", "--demo"], cli_env)
    data = layout.directory(database_url)
    counts = operator_counts(args.operators)
    accounts = layout.plan_accounts(data, counts)
    layout.create_accounts(database_url, accounts, password, env)
    print(f"setup: database {database_url.rsplit('/', 1)[1]}, Redis {layout.REDIS_URL} (channel {channel}), "
          f"{len(accounts)} operator accounts {counts}", flush=True)

    servers = layout.start_servers(stack, env, args.servers, profile=args.profile, gunicorn=args.server == "gunicorn")
    server_pids = [pid for server in servers for pid in layout.process_family(server.process.pid)]
    urls = [server.url for server in servers]
    listener_users, listeners = listener_plan(args, urls, data, accounts)
    tokens = layout.sign_in_all(urls, listener_users, password)
    for item in listeners:
        item["token"] = tokens[item["user"]]
    kind = "atlas-coord serve (profiled)" if args.profile else (
        "the Procfile's gunicorn web process" if args.server == "gunicorn" else "atlas-coord serve")
    print(f"setup: {len(servers)} servers, {kind}: {' '.join(urls)}; {len(listeners)} listeners over "
          f"{len(listener_users)} sign-ins ({round(args.listeners * args.observer_share)} observers); "
          f"{time.monotonic() - began:.0f}s", flush=True)

    listener_log = workdir / "listeners.log"
    listener_out = workdir / "listeners-result.json"
    with open(listener_log, "wb") as log:
        listener_proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.loadtest.listeners", "--plan",
             str(write_private(workdir / "listeners.json", {"listeners": listeners})),
             "--out", str(listener_out), "--drain", str(args.drain)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        )
    stack.on_close("stop the listener process", lambda: layout.terminate(listener_proc))
    reader = LineReader(listener_proc.stdout)
    try:
        ready = json.loads(reader.wait_for("READY ", timeout=120))
    except layout.SetupError as exc:
        raise layout.SetupError(f"listeners: {exc}\n{tail(listener_log)}") from None
    print(f"listeners: {ready['ready']}/{len(listeners)} connected and ready in {ready['connect_s']}s", flush=True)

    by_role: dict[str, list[dict]] = {role: [] for role in counts}
    for account in accounts:
        by_role[account.role].append({"username": account.username, "state": account.state, "unit_id": account.unit_id})
    sites: dict[str, list[list[float]]] = {}
    for unit in data["units"]:
        sites.setdefault(unit["state"], []).append([unit["lat"], unit["lon"]])
    operators_plan = {
        "servers": urls, "password": password, "accounts": by_role, "operators": counts, "states": data["states"],
        "sites": sites, "unit_ids": [u["id"] for u in data["units"]], "baseline_seq": layout.newest_event_seq(database_url),
        "seed": args.seed, "think_seconds": args.think, "duration": args.duration, "spawn_rate": args.spawn_rate,
        "ramp_timeout": args.ramp_timeout, "stop_timeout": 10,
        "saturation_factors": args.saturation_steps, "step_seconds": args.step_seconds,
    }
    operators_log = workdir / "operators.log"
    operators_out = workdir / "operators-result.json"
    database = database_url.rsplit("/", 1)[1]

    def snapshot() -> dict[str, dict[int, float]]:
        return {"servers": {pid: cpu_seconds_of(pid) for pid in server_pids},
                "postgres": postgres_cpu(database)}

    with open(operators_log, "wb") as log:
        operators_proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.loadtest.locustfile", "--plan",
             str(write_private(workdir / "operators.json", operators_plan)), "--out", str(operators_out)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    stack.on_close("stop the operators", lambda: layout.terminate(operators_proc))
    cpu0, wall0 = snapshot(), time.monotonic()
    postgres_seen: dict[int, float] = {}

    def postgres_total() -> float:
        # Backends come and go with the pool: one that exits keeps the CPU it had used.
        for pid, seconds in postgres_cpu(database).items():
            postgres_seen[pid] = max(seconds, postgres_seen.get(pid, 0.0))
        return sum(postgres_seen.values())

    postgres_sampler = perf.CpuSampler(postgres_total)
    server_sampler = perf.CpuSampler(lambda: sum(cpu_seconds_of(pid) for pid in server_pids))
    try:
        steps_s = sum(args.think[1] / f + args.step_seconds for f in [1.0, *args.saturation_steps])
        operators_proc.wait(timeout=args.ramp_timeout + args.duration + steps_s + 60)
    except subprocess.TimeoutExpired:
        raise layout.SetupError(f"the operators did not finish in time\n{tail(operators_log)}") from None
    finally:
        postgres_sampler.stop()
        server_sampler.stop()
    cpu = cpu_shares(cpu0, snapshot(), time.monotonic() - wall0)
    load1 = os.getloadavg()[0]
    if operators_proc.returncode != 0 or not operators_out.exists():
        raise layout.SetupError(f"the operators' process failed ({operators_proc.returncode})\n{tail(operators_log)}")
    operators = json.loads(operators_out.read_text())
    start, end = operators["window"]
    if start and end:
        cpu["servers_window_s"] = server_sampler.between(start, end)
        cpu["postgres_window_s"] = postgres_sampler.between(start, end)
        # "Ramp-up and traffic", as the issue measured it: up to the window's end. The saturation
        # steps after the window (which the issue's harness did not have) run at twice the load
        # and more, and would raise the share that is divided by the window's calls/s.
        cpu["servers"] = server_sampler.share_until(end)
        cpu["postgres"] = postgres_sampler.share_until(end)
    print(f"operators: {operators['signed_in']} signed in (ramp {operators['ramp_s']:.0f}s), "
          f"{operators['steady_calls']} calls in the {operators['window_s']:.0f}s window", flush=True)

    listener_proc.stdin.write("STOP {} {}\n".format(*operators["window"]))
    listener_proc.stdin.flush()
    try:
        listener_proc.wait(timeout=args.drain + 90)
    except subprocess.TimeoutExpired:
        raise layout.SetupError(f"the listeners did not report in time\n{tail(listener_log)}") from None
    if listener_proc.returncode != 0 or not listener_out.exists():
        raise layout.SetupError(f"the listener process failed ({listener_proc.returncode})\n{tail(listener_log)}")
    heard = json.loads(listener_out.read_text())

    outbox = layout.outbox_check(database_url)
    audit_ok = True
    try:
        audit_line = layout.atlas_coord(["audit", "verify"], env).strip()
    except layout.SetupError as exc:
        audit_ok, audit_line = False, str(exc).strip()
    problems = server_problems([server.log_path for server in servers])
    if args.profile:
        layout.stop_servers(servers)  # their last profile is written as they exit
        for line in perf.profile_lines(perf.read_profiles([layout.profile_path(stack, i) for i in range(len(servers))])):
            print(line)

    return report(args, operators, heard, outbox, audit_ok, audit_line, problems, cpu, load1, time.monotonic() - began,
                  base=base)


def report(args, operators, heard, outbox, audit_ok, audit_line, problems, cpu, load1, elapsed, *, base=None) -> int:
    statuses = {int(k): v for k, v in operators["statuses"].items()}
    http_5xx = sum(v for k, v in statuses.items() if k >= 500)
    http_409 = statuses.get(409, 0)
    http_4xx = sum(v for k, v in statuses.items() if 400 <= k < 500 and k != 409)
    neterr = statuses.get(0, 0)
    latencies = sorted(operators["steady_latencies_ms"])
    window = operators["window_s"] or float("nan")
    sign_in = sorted(operators["sign_in_ms"])

    print(f"\nper endpoint, the {window:.0f}s steady window (calls, latency, statuses code:count):")
    for row in endpoint_table(operators):
        print(row)
    if sign_in:
        print(f"sign-in of the {len(sign_in)} operators during the ramp-up (argon2, all at once): "
              f"p50 {statistics.median(sign_in):.0f} ms, p99 {percentile(sign_in, 99):.0f} ms")
    steps = operators.get("steps", [])
    if steps:
        print(f"saturation steps after the window (pauses divided by the factor; {args.step_seconds:.0f}s measured each):")
        print(f"  x1 (the window) {len(latencies) / window:6.1f} calls/s  p50 {fmt(statistics.median(latencies) if latencies else None):>6} ms  "
              f"p99 {fmt(percentile(latencies, 99)):>6} ms")
        for step in steps:
            statuses = " ".join(f"{code}:{n}" for code, n in sorted(step["statuses"].items()))
            print(f"  x{step['factor']:<14g} {step['rps']:6.1f} calls/s  p50 {fmt(step['p50_ms']):>6} ms  p99 {fmt(step['p99_ms']):>6} ms  {statuses}")
    for key, bodies in sorted(operators["samples"].items()):
        print(f"  sample {key}: {bodies[0]}")
    for line in heard["lossy_examples"] + problems[:10]:
        print(f"  {line}")
    print(f"outbox: {outbox['events']} events, seq gaps {outbox['seq_gaps']}; {audit_line}")
    print(f"listeners: {heard['deliveries']}/{heard['expected_deliveries']} deliveries, reconnects {heard['reconnects']}, "
          f"disconnects {heard['disconnects']}, drained {heard['drained']} in {heard['drain_s']:.1f}s, "
          f"CPU {heard['cpu_traffic_pct']:.0f}% of a core during traffic", flush=True)
    print(f"cpu (% of one core, ramp-up and traffic): servers {cpu['servers']:.0f}, postgres {cpu['postgres']:.0f}, "
          f"operators (locust) {operators['cpu_pct']:.0f}, listeners {heard['cpu_traffic_pct']:.0f}; "
          f"{os.cpu_count()} cores, load average {load1:.1f}", flush=True)

    summary = (
        f"loadtest operators={args.operators} listeners={args.listeners} servers={args.servers} "
        f"duration_s={window:.0f} api_rps={fmt(len(latencies) / window, 1)} "
        f"api_p50_ms={fmt(statistics.median(latencies) if latencies else None)} api_p99_ms={fmt(percentile(latencies, 99))} "
        f"event_p50_ms={fmt(heard['event_p50_ms'])} event_p99_ms={fmt(heard['event_p99_ms'])} "
        f"lost={heard['lost']} dup={heard['dup']} http_5xx={http_5xx} http_4xx={http_4xx} http_409={http_409} "
        f"neterr={neterr} extra={heard['extra']} api_calls={len(latencies)} events={heard['newest_seq'] - heard['baseline_seq']} "
        f"deliveries={heard['deliveries']} event_max_ms={fmt(heard['event_max_ms'])} "
        f"event_p99_all_ms={fmt(heard['all_p99_ms'])} event_max_all_ms={fmt(heard['all_max_ms'])} "
        f"signin_p50_ms={fmt(statistics.median(sign_in) if sign_in else None)} "
        f"listener_cpu_pct={heard['cpu_traffic_pct']:.0f} server_cpu_pct={cpu['servers']:.0f} "
        f"reconnects={heard['reconnects']} load1={load1:.1f} elapsed_s={elapsed:.0f}"
    )
    calls = len(latencies)
    cores = os.cpu_count() or 1
    cpu_ms_per_call = 1000 * cpu.get("servers_window_s", float("nan")) / calls if calls else float("nan")
    postgres_ms_per_call = 1000 * cpu.get("postgres_window_s", float("nan")) / calls if calls else float("nan")
    figures = {
        "operators": args.operators, "listeners": args.listeners, "load1": round(load1, 1),
        "api_rps": calls / window, "api_p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "api_p99_ms": percentile(latencies, 99), "cpu_ms_per_call": cpu_ms_per_call,
        "signin_p99_ms": percentile(sign_in, 99) if sign_in else float("nan"),
        "saturation_rps_est": perf.saturation_estimate(cpu_ms_per_call, postgres_ms_per_call, cores),
        "event_p99_ms": heard["event_p99_ms"], "python_loop_s": perf.machine_speed_s(),
        "server_cpu_pct": cpu["servers"],
    }
    figures["issue_cpu_ms_per_call"] = other.issue_cpu_ms_per_call(figures)
    saturation, crossed = perf.measured_saturation(
        [(figures["api_rps"], figures["api_p99_ms"])] + [(step["rps"], step["p99_ms"]) for step in steps])
    if steps:
        figures["saturation_rps"] = saturation
    summary += (f" cpu_ms_per_call={fmt(cpu_ms_per_call, 1)} postgres_cpu_ms_per_call={fmt(postgres_ms_per_call, 1)}"
                f" signin_p99_ms={fmt(figures['signin_p99_ms'])} saturation_rps_est={fmt(figures['saturation_rps_est'], 1)}"
                f" saturation_rps={fmt(saturation, 1) if steps else 'nan'}{'' if crossed or not steps else '+'}"
                f" python_loop_s={figures['python_loop_s']:.2f}")
    print(summary, flush=True)
    load = perf.load_name(args.think)
    if base is not None:
        for line in other.comparison_lines(base, figures):
            print(line)
    for line in perf.baseline_lines(figures, load, args.baseline):
        print(line)
    if args.save_baseline:
        perf.save_baseline(figures, load, args.baseline)
        print(f"baseline: this run stored as the {load} load's in {args.baseline}")

    goals = {
        "zero lost": heard["lost"] == 0,
        "zero duplicated": heard["dup"] == 0,
        "zero 5xx": http_5xx == 0,
    }
    values = {"zero lost": heard["lost"], "zero duplicated": heard["dup"], "zero 5xx": http_5xx}
    for name, (met, shown) in perf.goals(figures, load, base).items():
        goals[name], values[name] = met, shown
    checks = {
        f"operators signed in {operators['signed_in']}/{args.operators}": operators["signed_in"] == args.operators,
        f"listeners ready {heard['ready']}/{args.listeners}": heard["ready"] == args.listeners,
        f"calls without an HTTP answer {neterr}": neterr == 0,
        f"events leaked (extra) {heard['extra']}": heard["extra"] == 0,
        f"outbox seq gaps {outbox['seq_gaps']}": outbox["seq_gaps"] == 0,
        "audit chain intact" if audit_ok else "audit chain BROKEN": audit_ok,
        f"server log errors {len(problems)}": not problems,
        f"4xx other than 409 {http_4xx} (should be near 0)": http_4xx <= max(5, len(latencies) // 1000),
    }
    if not steps:
        shown = f"saturation not measured (--saturation-steps ''); ~{fmt(figures['saturation_rps_est'])} calls/s estimated from {cores} cores / CPU per call"
    elif crossed:
        shown = f"saturation {fmt(saturation)} calls/s (measured: where p99 crosses 1 s)"
    else:
        shown = f"saturation above {fmt(saturation)} calls/s (p99 stayed under 1 s up to x{steps[-1]['factor']:g})"
    print("goals: " + "; ".join(f"{name} {'met' if ok else 'missed'} ({values[name]})" for name, ok in goals.items())
          + f" | {shown}"
          + f" | load average {load1:.1f}, Python loop {figures['python_loop_s']:.2f} s (machine speed) | checks: " + "; ".join(f"{name} {'ok' if ok else 'FAILED'}" for name, ok in checks.items()), flush=True)
    return 0 if all(goals.values()) and all(checks.values()) else 1


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadtest", description=__doc__.split("\n")[0])
    parser.add_argument("--operators", type=int, default=200)
    parser.add_argument("--listeners", type=int, default=500)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of steady traffic after the ramp-up")
    parser.add_argument("--spawn-rate", type=float, default=20.0, help="operators started per second")
    parser.add_argument("--ramp-timeout", type=float, default=45.0, help="longest wait for every operator to sign in")
    parser.add_argument("--think", type=lambda text: [float(v) for v in text.split(",")], default=[5.0, 15.0],
                        help="an operator's pause between two actions: min,max seconds (1.5,4.5 saturates this 2-core machine)")
    parser.add_argument("--observer-share", type=float, default=0.2,
                        help="share of the listeners signed in as observers (every event); the rest are users of one state")
    parser.add_argument("--drain", type=float, default=30.0, help="longest wait for late events after the traffic")
    parser.add_argument("--saturation-steps", type=lambda text: [float(v) for v in text.split(",") if v.strip()],
                        default=[2.0, 4.0, 8.0, 16.0],
                        help="after the window, load factors run in turn until p99 exceeds 1 s ('' for none)")
    parser.add_argument("--step-seconds", type=float, default=15.0, help="seconds measured per saturation step")
    parser.add_argument("--seed", default="atlas-loadtest")
    parser.add_argument("--server", choices=["gunicorn", "serve"], default="gunicorn",
                        help="the Procfile's gunicorn web process (the production layout), or `atlas-coord serve`")
    parser.add_argument("--profile", action="store_true",
                        help="serve through benchmarks/loadtest/profiled_server.py and print where each endpoint's time goes")
    parser.add_argument("--baseline", type=Path, default=perf.BASELINE,
                        help="stored figures printed beside this run's (per load: default, double, custom)")
    parser.add_argument("--save-baseline", action="store_true", help="store this run's figures as the baseline of its load")
    parser.add_argument("--against", default=other.ISSUE_BASE,
                        help="first run the same load on this commit (its own harness), the baseline of the CPU goal; "
                             "'' for none (the goal is then judged against the stored 20 ms)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, plans) even when the run passes")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="atlas-loadtest-"))
    stack = layout.Stack(workdir)

    def on_sigterm(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_sigterm)
    status = 1
    try:
        status = run(args, stack)
    except KeyboardInterrupt:
        print("loadtest: interrupted; cleaning up", flush=True)
        status = 130
    except layout.SetupError as exc:
        print(f"loadtest: {exc}", flush=True)
        status = 2
    finally:
        # A second Ctrl-C must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.close()
        for note in stack.notes:
            print(note, flush=True)
        if args.keep or (status not in (0, 130) and any(workdir.iterdir())):
            print(f"loadtest: logs and plans kept in {workdir} (server-*.log, operators.log, listeners.log)", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main(sys.argv[1:]))
