"""Real servers and real python-socketio clients for the live-layer tests (and the benchmark).

- :class:`ThreadServer` serves an app in this process exactly as ``socketio.run`` does in
  threading mode (Werkzeug, threaded, simple-websocket), but can be shut down.
- :class:`ServerProcess` runs ``python -m atlas_coord.cli serve`` as a subprocess.
- :class:`LiveClient` is a ``socketio.Client`` (websocket transport) that records what it receives.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import socketio
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base_url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last_error = exc
        time.sleep(0.1)
    raise TimeoutError(f"{base_url} not healthy after {timeout}s: {last_error}")


class ThreadServer:
    """The app on a free loopback port, served by Werkzeug in a background thread."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-test-server", daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class ServerProcess:
    """``atlas-coord serve`` in a subprocess; its output goes to a log file for post-mortems."""

    def __init__(self, env: dict[str, str], log_path: Path, *, module_args: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        args = module_args or ["-m", "atlas_coord.cli", "serve", "--no-scheduler"]
        full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, *args, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 30.0) -> ServerProcess:
        try:
            wait_healthy(self.url, timeout, self.process)
        except Exception as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n--- server log ---\n{self.log()}") from exc
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


class LiveClient:
    """A real python-socketio client that records every event it receives, in order."""

    def __init__(self, url: str, *, token: str | None = None, after: int | None = None, headers: dict | None = None) -> None:
        self.url = url
        self.token = token
        self.after = after
        self.headers = headers or {}
        self.received: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.log: list[tuple[str, Any]] = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record)

    def _record(self, event, *args):
        data = args[0] if args else None
        self.received.put((event, data))

    def connect(self) -> LiveClient:
        auth: dict[str, Any] = {}
        if self.token is not None:
            auth["token"] = self.token
        if self.after is not None:
            auth["after"] = self.after
        self.sio.connect(self.url, headers=self.headers, auth=auth, transports=["websocket"], wait_timeout=10)
        return self

    def next(self, timeout: float = 5.0) -> tuple[str, Any]:
        item = self.received.get(timeout=timeout)
        self.log.append(item)
        return item

    def wait_for(self, name: str, timeout: float = 5.0, predicate=None) -> Any:
        """The next ``name`` event (matching ``predicate``); everything before it stays in ``log``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {name!r} within {timeout}s; received {self.log}")
            try:
                event, data = self.next(remaining)
            except queue.Empty:
                continue
            if event == name and (predicate is None or predicate(data)):
                return data

    def events(self) -> list[dict]:
        """The live ``event`` envelopes logged so far."""
        return [data for event, data in self.log if event == "event"]

    def drain(self, quiet: float = 0.3) -> None:
        """Log whatever arrives until nothing has arrived for ``quiet`` seconds."""
        while True:
            try:
                self.next(quiet)
            except queue.Empty:
                return

    def call(self, event: str, data: Any, timeout: float = 5.0) -> Any:
        return self.sio.call(event, data, timeout=timeout)

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()
