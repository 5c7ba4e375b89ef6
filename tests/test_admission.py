"""A server process works on a bounded number of API calls at once; the rest wait their turn
(issue #18), while the live channel and the console's pages are never held back."""

from __future__ import annotations

import threading
import time

import pytest

from atlas_coord import create_app
from atlas_coord.admission import CallLimit
from tests.conftest import app_settings


class SlowApp:
    """A WSGI app whose calls stay inside until released, counting how many are in at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        self.release.wait(10)
        with self._lock:
            self.inside -= 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def call_in_threads(app, paths: list[str]) -> list[threading.Thread]:
    threads = [threading.Thread(target=app, args=({"PATH_INFO": path}, lambda *a: None)) for path in paths]
    for thread in threads:
        thread.start()
    return threads


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_a_burst_of_api_calls_is_worked_on_a_few_at_a_time_and_every_call_is_served():
    inner = SlowApp()
    limited = CallLimit(inner, 3)
    threads = call_in_threads(limited, ["/api/v1/requests"] * 10)
    assert wait_until(lambda: inner.inside == 3)
    time.sleep(0.1)  # the other seven are waiting at the door, not inside
    assert inner.inside == 3
    inner.release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert inner.most_inside == 3 and inner.inside == 0


def test_live_connections_and_pages_are_not_held_back_by_busy_api_calls():
    inner = SlowApp()
    limited = CallLimit(inner, 2)
    busy = call_in_threads(limited, ["/api/v1/match"] * 2)
    assert wait_until(lambda: inner.inside == 2)
    others = call_in_threads(limited, ["/socket.io/", "/socket.io/", "/", "/static/js/app.js"])
    assert wait_until(lambda: inner.inside == 6), "a websocket or page waited for an API slot"
    inner.release.set()
    for thread in busy + others:
        thread.join(timeout=10)


def test_the_limit_is_set_per_process_by_configuration(tmp_path):
    url = f"sqlite:///{tmp_path}/a.db"
    limited = create_app(app_settings(url, server={"max_concurrent_calls": 7}))
    assert isinstance(limited.wsgi_app, CallLimit) and limited.wsgi_app.limit == 7
    unlimited = create_app(app_settings(url, server={"max_concurrent_calls": 0}))
    assert not isinstance(unlimited.wsgi_app, CallLimit)


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        CallLimit(SlowApp(), 0)
