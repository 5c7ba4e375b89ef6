"""Every `atlas-coord` command the README shows works as written, in a fresh clone, after the
set-up `make run` does (`make setup`: instance/secret_key, instance/demo_password, `db upgrade`,
`seed --demo`), without any ATLAS_* variable and without starting a server.

This is what a newcomer does (issue 19): before, every such command stopped with
"server.secret_key: not set", because `make run` handed the generated key to its own processes
only. The README is parsed, so a command added to it that this test does not run (or does not
name as deliberately not run, with the reason) fails the test; so does a command listed here
that the README no longer shows.

The clone is `git clone` of this repository plus the working tree's uncommitted changes (so the
test checks the code under test, like every other test); ignored files (instance/, .venv,
node_modules) never come along, as in a real clone. The clone's .venv is a symlink to this
one's (no install per test) and PYTHONPATH points at the clone, so its code is the code run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-long-enough-password"

# Inline `atlas-coord ...` spans of the README (whitespace normalised) that are run as written.
RUN = {
    "atlas-coord db upgrade",
    "atlas-coord audit verify",
    "atlas-coord backup atlas.sqlite",
    "atlas-coord restore --force atlas.sqlite",
    "atlas-coord scheduler",
    "atlas-coord roster export ca-FR > roster-fr.csv",
    "atlas-coord roster import ca-FR roster-fr.csv",
    "atlas-coord mfa reseal",
}
# Spans shown but not run here, and why.
NOT_RUN = {
    "atlas-coord serve": "the server: it would take port 5000 (make run's); tests/test_shutdown.py runs it",
    "atlas-coord serve --no-scheduler": "a production server (port 5000); tests/test_shutdown.py runs it",
}
CLI_SPAN = re.compile(r"^(?:\S*/)?atlas-coord\s+[a-z]")


def readme_commands(text: str) -> tuple[list[str], set[str]]:
    """The fenced ``sh`` blocks that run atlas-coord, and the inline spans naming a command."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", text, flags=re.M | re.S)
    cli_blocks = [block for block in blocks if "atlas-coord " in block]
    prose = re.sub(r"^```.*?^```$", "", text, flags=re.M | re.S)
    spans = {" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose)}
    return cli_blocks, {span for span in spans if CLI_SPAN.match(span)}


def clone_for_test(target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    changed = subprocess.run(["git", "ls-files", "-z", "--modified", "--others", "--exclude-standard"],
                             cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    deleted = subprocess.run(["git", "ls-files", "-z", "--deleted"], cwd=ROOT, check=True,
                             capture_output=True).stdout.decode().split("\0")
    for name in filter(None, changed):
        if (ROOT / name).is_file() and not (ROOT / name).is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    for name in filter(None, deleted):
        (target / name).unlink(missing_ok=True)
    assert not (target / "instance").exists()
    (target / ".venv").symlink_to((ROOT / ".venv").resolve(), target_is_directory=True)
    return target


def newcomer_env(clone: Path) -> dict[str, str]:
    """A shell in the clone with the venv on PATH (what `. .venv/bin/activate` does) and no
    ATLAS_* variable: nothing tells the CLI where the key is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATLAS_", "PYTEST_", "WERKZEUG_"))}
    env.update(PYTHONPATH=str(clone), PATH=f"{clone / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               PYTHONUNBUFFERED="1")
    return env


def sh(command: str, clone: Path, env: dict[str, str], *, stdin: str = "", check: bool = True):
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=clone, env=env, input=stdin,
                            capture_output=True, text=True, timeout=240)
    if check:
        assert result.returncode == 0, f"{command!r} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def audit_head(output: str) -> str:
    match = re.search(r"audit trail intact: \d+ records, head (\S+)", output)
    assert match, output
    return match.group(1)


def test_the_readme_lists_no_command_this_test_does_not_know():
    blocks, spans = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) == 1, "one sh block of atlas-coord commands, run below as a script"
    assert spans == RUN | set(NOT_RUN), (
        f"shown in the README but neither run nor excused here: {sorted(spans - RUN - set(NOT_RUN))}; "
        f"listed here but gone from the README: {sorted((RUN | set(NOT_RUN)) - spans)}")


@pytest.mark.live
def test_every_readme_command_works_in_a_fresh_clone_after_make_runs_set_up(tmp_path):
    if shutil.which("make") is None or shutil.which("git") is None:
        pytest.fail("make and git are needed to follow the README")
    clone = clone_for_test(tmp_path / "atlas-coord")
    env = newcomer_env(clone)
    readme = (clone / "README.md").read_text(encoding="utf-8")
    [block], spans = readme_commands(readme)
    assert spans == RUN | set(NOT_RUN)

    # make run's set-up, from its own Makefile; -o: the symlinked venv counts as installed (it is).
    setup = sh("make -o .venv/.installed setup", clone, env)
    assert (clone / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert "password for every demo account" in setup.stdout
    assert "warning" not in (setup.stdout + setup.stderr).lower(), setup.stdout + setup.stderr

    # The README's block, as one script; `read -rs PASSWORD` reads the password from stdin.
    ran = sh(block, clone, env, stdin=PASSWORD + "\n")
    assert "created user duty-officer-be" in ran.stdout and "created user gsg9-commander" in ran.stdout
    assert "audit trail intact" in ran.stdout
    assert re.search(r"backup instance/atlas-coord\.db -> instance/backup-\d{8}-\d{6}\.sqlite", ran.stdout)
    assert "scheduler run:" in ran.stdout
    assert "secret_key" not in ran.stdout + ran.stderr

    # The inline commands, in the order the README tells them (Backups: the head hash after a
    # restore is the one before the backup).
    assert "database at head" in sh("atlas-coord db upgrade", clone, env).stdout
    head = audit_head(sh("atlas-coord audit verify", clone, env).stdout)
    assert "alembic revision" in sh("atlas-coord backup atlas.sqlite", clone, env).stdout
    sh(".venv/bin/atlas-coord user add later --role observer --password-stdin", clone, env, stdin=PASSWORD + "\n")
    assert audit_head(sh("atlas-coord audit verify", clone, env).stdout) != head
    assert "restored atlas.sqlite" in sh("atlas-coord restore --force atlas.sqlite", clone, env).stdout
    assert audit_head(sh("atlas-coord audit verify", clone, env).stdout) == head

    # Duty rosters: the demo roster out to a CSV file and back in.
    sh("atlas-coord roster export ca-FR > roster-fr.csv", clone, env)
    assert "timezone,,,,,,,,Europe/Paris" in (clone / "roster-fr.csv").read_text()
    assert "imported roster ca-FR" in sh("atlas-coord roster import ca-FR roster-fr.csv", clone, env).stdout

    # `atlas-coord scheduler` runs until SIGTERM: start it as written, let it run, stop it.
    log_path = tmp_path / "scheduler.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(["bash", "-c", "exec atlas-coord scheduler"], cwd=clone, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while "scheduler running" not in log_path.read_text():
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            # A run in progress finishes before the scheduler stops; its first run (the transport
            # model's land data and road graph, the demo trainings' schedules) once took over 30 s
            # on a loaded CI machine, so the stop gets 90 s.
            assert process.wait(timeout=90) == 0, log_path.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)
    assert "scheduler stopped" in log_path.read_text()


def test_serve_still_refuses_to_start_without_any_secret_key(tmp_path):
    """The one command that signs (sessions, CSRF) keeps the error when truly nothing is set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATLAS_")}
    env.update(PYTHONPATH=str(ROOT), ATLAS_CONFIG="")
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "atlas-coord"), "serve", "--port", "1"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "server.secret_key: not set" in result.stderr
    assert "instance/secret_key" in result.stderr
