"""Graceful shutdown of the real processes: a supervisor (systemd, Kubernetes, honcho) sends
SIGTERM, or an operator presses Ctrl-C. `atlas-coord serve` stops accepting, lets the request in
flight finish, disconnects live clients (they reconnect elsewhere and catch up), stops its
embedded scheduler, closes the database pool, logs it and exits 0; so does `atlas-coord scheduler`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.realtime.servers import LiveClient, ServerProcess

ROOT = Path(__file__).resolve().parent.parent


def env_for(db_url: str) -> dict[str, str]:
    return {"ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "shutdown-test-key", "ATLAS_CONFIG": "",
            "ATLAS_LOG_FORMAT": "json"}


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def wait_until(predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.05)


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


def token_for(url: str, username: str) -> str:
    import urllib.request

    request = urllib.request.Request(
        f"{url}/api/v1/auth/token", data=json.dumps({"username": username, "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["token"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_finishes_the_request_in_flight_then_exits_cleanly(db_url, tmp_path, signum):
    server = ServerProcess(env_for(db_url), tmp_path / "serve.log", module_args=["-m", "atlas_coord.cli", "serve"]).wait()
    live = None
    try:
        live = LiveClient(server.url, token=token_for(server.url, "demo-ca-fr")).connect()
        # A sign-in whose body is still arriving when the signal comes.
        body = json.dumps({"username": "demo-cc-be", "password": DEMO_PASSWORD}).encode()
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        slow.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
        time.sleep(1.0)  # let the server pick the request up (the log below proves it did)

        server.process.send_signal(signum)
        wait_until(lambda: refuses_connections(server.port), "refusing new connections")
        wait_until(lambda: not live.sio.connected, "the live client being disconnected")

        slow.sendall(body[10:])
        answer = b""
        while chunk := slow.recv(65536):
            answer += chunk
        slow.close()
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert b'"token"' in answer

        assert server.process.wait(timeout=15) == 0
    finally:
        if live is not None:
            live.close()
        server.stop()
    lines = json_lines(server.log())
    name = signal.Signals(signum).name
    [stopping] = [line for line in lines if line["message"].startswith("shutting down")]
    assert f"({name})" in stopping["message"]
    assert "disconnecting 1 live client(s); up to 20.0s for 1 request(s) in flight" in stopping["message"]
    [stopped] = [line for line in lines if line["message"].startswith("atlas-coord stopped")]
    assert stopped["message"].endswith(
        ": 1 live client(s) disconnected, requests finished, scheduler stopped, database pool closed")
    assert not any("live connection(s) to close" in line["message"] or line["message"].startswith("disconnected")
                   for line in lines)  # one count, in one place
    assert stopped["level"] == "INFO" and stopped["logger"] == "atlas_coord.serve"
    assert any(line["message"] == "Scheduler has been shut down" for line in lines)


def test_serve_exits_at_once_when_idle(db_url, tmp_path):
    server = ServerProcess(env_for(db_url), tmp_path / "serve.log").wait()
    try:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
    finally:
        server.stop()
    [stopped] = [line for line in json_lines(server.log()) if line["message"].startswith("atlas-coord stopped (SIGTERM)")]
    assert stopped["message"].endswith(": requests finished, database pool closed")  # no client, no scheduler
    [stopping] = [line for line in json_lines(server.log()) if line["message"].startswith("shutting down")]
    assert "disconnecting 0 live client(s); up to 20.0s for 0 request(s) in flight" in stopping["message"]


def test_a_long_polling_client_is_counted_as_a_live_client_not_a_request(db_url, tmp_path):
    """The issue's log: a console on the polling transport was "0 live connection(s) to close"
    (its pending poll counted as a request in flight), then "disconnected 1 live client(s)"."""
    import socketio

    server = ServerProcess(env_for(db_url), tmp_path / "serve.log").wait()
    client = socketio.Client(reconnection=False)
    try:
        client.connect(server.url, auth={"token": token_for(server.url, "demo-ca-fr")}, transports=["polling"],
                       wait_timeout=10)
        time.sleep(0.5)  # its next long poll is now waiting on the server
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    finally:
        client.disconnect()
        server.stop()
    lines = json_lines(server.log())
    [stopping] = [line for line in lines if line["message"].startswith("shutting down")]
    assert "disconnecting 1 live client(s); up to 20.0s for 0 request(s) in flight" in stopping["message"]
    [stopped] = [line for line in lines if line["message"].startswith("atlas-coord stopped")]
    assert stopped["message"].endswith(": 1 live client(s) disconnected, requests finished, database pool closed")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_scheduler_process_stops_cleanly(db_url, tmp_path, signum):
    log_path = tmp_path / "scheduler.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "atlas_coord.cli", "scheduler", "--interval", "1"],
            cwd=ROOT, env={**os.environ, **env_for(db_url), "PYTHONUNBUFFERED": "1", "ATLAS_LOG_LEVEL": "DEBUG"},
            stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: any(line["message"].startswith("scheduler running")
                                   for line in json_lines(log_path.read_text())), "the scheduler starting")
            # An idle run logs at DEBUG only (env below); APScheduler's per-run INFO lines are off.
            wait_until(lambda: any(line["message"].endswith("nothing due") for line in json_lines(log_path.read_text())),
                       "a first dispatch run")
            process.send_signal(signum)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)
    lines = json_lines(log_path.read_text())
    assert any(line["message"].startswith(f"scheduler stopping ({signal.Signals(signum).name})") for line in lines)
    assert lines[-1]["message"] == "scheduler stopped: database pool closed"
