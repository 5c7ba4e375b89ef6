"""``python -m benchmarks.loadtest.gunicorn_server --host H --port P``: the Procfile's web process
(``web1``: gunicorn's threaded worker serving ``atlas_coord.wsgi:app``), with its flags as the
Procfile says them and only the bind address changed, so that ``make loadtest`` measures the
server the production layout runs, not the development server of ``atlas-coord serve``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


def procfile_command(name: str = "web1", procfile: Path = PROCFILE) -> list[str]:
    """The Procfile's command of process ``name``, split as a shell would."""
    for line in procfile.read_text(encoding="utf-8").splitlines():
        key, sep, command = line.partition(":")
        if sep and key.strip() == name and not line.lstrip().startswith("#"):
            return shlex.split(command)
    raise LookupError(f"{procfile} has no {name!r} process")


def with_bind(command: list[str], address: str) -> list[str]:
    """``command`` with its ``--bind``/``-b`` value replaced by ``address`` (added if absent)."""
    out, rest = [], iter(command)
    for arg in rest:
        if arg in ("--bind", "-b"):
            next(rest, None)
            continue
        if arg.startswith("--bind="):
            continue
        out.append(arg)
    return [*out[:1], "--bind", address, *out[1:]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadtest.gunicorn_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    command = with_bind(procfile_command(), f"{args.host}:{args.port}")
    if Path(command[0]).name != "gunicorn":
        raise SystemExit(f"the Procfile's web1 process is not gunicorn: {command[0]}")
    from gunicorn.app.wsgiapp import run
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # Recent gunicorn releases open a control socket at one path per user: two servers of the run (or of two
        # runs) on one machine would take it from each other.
        command.insert(1, "--no-control-socket")
    sys.argv = command
    run()


if __name__ == "__main__":
    main()
