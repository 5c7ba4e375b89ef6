"""`make bench`: run every benchmarks/bench_*.py in turn; each prints its figures and its baseline."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    only = set(sys.argv[1:])
    failures = 0
    try:
        load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:  # pragma: no cover - not on every platform
        load = "load average n/a"
    print(f"# make bench {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {load}", flush=True)
    for path in sorted(here.glob("bench_*.py")):
        name = path.stem
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        print(f"## {name}", flush=True)
        result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=here.parent)
        if result.returncode != 0:
            print(f"{name} exited with {result.returncode}", flush=True)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
