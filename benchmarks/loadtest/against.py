"""The same load against another commit in the same run (``--against REV``, issue #18's base commit
by default): that commit's own harness and servers run on this machine just before this code's,
so that the CPU goal ("at most half of today's 20 ms") is judged against a baseline measured in
the same run, not against a figure taken on another machine. This workplace's machines differ in
speed by up to four times, from one session to the next and within one (docs/performance.md, "Fourth round").

The other commit is taken with ``git archive`` into the run's work folder and run as
``python -m benchmarks.loadtest`` there (``PYTHONPATH`` pointing at it, this checkout's virtual
environment), with the operators, listeners, servers, duration and pauses of this run. Its
``loadtest ...`` line is read back; only the options every version of the harness knows are passed.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .stack import terminate

# The commit issue #18 measured ("make loadtest, run on 2026-11-30": 38.6 calls/s, servers 76% of
# one core, p99 513 ms): the code before every change of docs/performance.md.
ISSUE_BASE = "1d74529"


def summary_figures(line: str) -> dict[str, float]:
    """The numeric ``key=value`` figures of a harness's ``loadtest ...`` line."""
    found: dict[str, float] = {}
    for item in line.split()[1:]:
        key, sep, value = item.partition("=")
        if not sep:
            continue
        try:
            found[key] = float(value.rstrip("+"))
        except ValueError:
            continue
    return found


def issue_cpu_ms_per_call(figures: dict[str, float]) -> float:
    """CPU per call as the issue measured it: the servers' CPU over the ramp-up and the traffic
    (% of one core) divided by the steady window's calls/s (76% / 38.6 calls/s = 19.7 ms). Both
    harnesses print both figures, so this one compares any two commits."""
    rps, pct = figures.get("api_rps", math.nan), figures.get("server_cpu_pct", math.nan)
    return pct * 10 / rps if rps and rps > 0 else math.nan


def harness_args(args) -> list[str]:
    low, high = args.think
    return ["--operators", str(args.operators), "--listeners", str(args.listeners), "--servers", str(args.servers),
            "--duration", str(args.duration), "--spawn-rate", str(args.spawn_rate),
            "--ramp-timeout", str(args.ramp_timeout), "--think", f"{low:g},{high:g}",
            "--observer-share", str(args.observer_share), "--drain", str(args.drain), "--seed", args.seed]


def extract(rev: str, root: Path, into: Path) -> Path:
    """The tree of ``rev`` (a commit of this repository) written under ``into``."""
    archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=root, capture_output=True, check=False)
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {rev}: {archive.stderr.decode(errors='replace').strip()}")
    tree = into / f"against-{rev}"
    tree.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tree, filter="data")
    return tree


#: Runs of the other commit's harness before giving up on its figures. The issue's commit can lose
#: a server under its own load (a heap corrupted by concurrent rankings, docs/performance.md item
#: 24); its harness then prints no figures, and a second run is as good a baseline as the first.
ATTEMPTS = 2


def run_against(rev: str, args, root: Path, workdir: Path, *, register: Callable[[str, Callable[[], None]], None],
                echo: Callable[[str], None] = print) -> dict[str, Any] | None:
    """Run ``rev``'s harness with this run's load; its figures, or None if it printed none in
    :data:`ATTEMPTS` runs."""
    try:
        tree = extract(rev, root, workdir)
    except RuntimeError as exc:
        echo(f"against {rev}: {exc}")
        return None
    for attempt in range(1, ATTEMPTS + 1):
        summary, status = _run_harness(rev, args, tree, workdir / f"against-{rev}-tmp", register, echo)
        if summary is not None:
            figures: dict[str, Any] = summary_figures(summary)
            figures["rev"] = rev
            figures["issue_cpu_ms_per_call"] = issue_cpu_ms_per_call(figures)
            return figures
        again = "; running it again" if attempt < ATTEMPTS else ""
        echo(f"against {rev}: its harness printed no figures (exit status {status}){again}")
    return None


def _run_harness(rev: str, args, tree: Path, scratch: Path, register: Callable[[str, Callable[[], None]], None],
                 echo: Callable[[str], None]) -> tuple[str | None, int]:
    """One run of ``rev``'s harness in ``tree``: its ``loadtest ...`` line (None if it printed
    none) and its exit status."""
    scratch.mkdir(exist_ok=True)  # its work folder inside this run's, kept or removed with it
    env = {**os.environ, "PYTHONPATH": str(tree), "TMPDIR": str(scratch)}
    env.pop("ATLAS_MAX_CONCURRENT_CALLS", None)  # this code's setting, unknown there
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.loadtest", *harness_args(args)], cwd=tree, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Its own SIGTERM handler drops its database and stops its servers: a minute to do so.
    register(f"stop the run against {rev}", lambda: terminate(process, grace=60))
    summary = None
    for line in process.stdout:
        echo(f"  [{rev}] {line.rstrip()}")
        if line.startswith("loadtest "):
            summary = line
    process.wait()
    return summary, process.returncode


def comparison_lines(base: dict[str, Any], figures: dict[str, Any]) -> list[str]:
    """This run beside the other commit's, measured the same way in the same run."""
    rows = [("api_rps", "calls/s"), ("api_p50_ms", "ms"), ("api_p99_ms", "ms"),
            ("issue_cpu_ms_per_call", "ms (servers' CPU over ramp-up and traffic / calls/s)"),
            ("signin_p99_ms", "ms"), ("load1", "")]
    lines = [f"against {base['rev']} in this run (same machine, same load) -> this code:"]
    for key, unit in rows:
        if key in base and key in figures:
            lines.append(f"  {key:<22} {base[key]:>9.1f} -> {figures[key]:>9.1f} {unit}")
    return lines
