"""`make loadtest` measures the server the production layout runs: the Procfile's gunicorn web
process, whose calls run in a worker forked by its master, so the CPU of both is the server's
(issue #18; benchmarks/loadtest/gunicorn_server.py and stack.py)."""

from __future__ import annotations

import http.client
import time
import urllib.request

from benchmarks.bench_fanout import cpu_seconds_of, proc_stat
from benchmarks.loadtest.stack import GUNICORN_SERVE, process_family, stop_family
from tests.realtime.servers import ServerProcess
from tests.test_shutdown import env_for


def alive(pid: int) -> bool:
    fields = proc_stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has exited


def test_the_load_test_serves_with_the_procfiles_gunicorn_and_counts_its_workers_cpu(db_url, tmp_path):
    server = ServerProcess(env_for(db_url), tmp_path / "web1.log", module_args=GUNICORN_SERVE).wait(timeout=60)
    try:
        family = process_family(server.process.pid)
        assert len(family) == 2, family  # the master and its one worker (-w 1)
        master, worker = family
        worker_before, master_before = cpu_seconds_of(worker), cpu_seconds_of(master)
        for _ in range(60):
            with urllib.request.urlopen(f"{server.url}/livez", timeout=10) as reply:
                assert reply.status == 200
        # The calls were served by the worker: counting the master alone would have missed them.
        assert cpu_seconds_of(worker) - worker_before > cpu_seconds_of(master) - master_before
        assert "Using worker: gthread" in (tmp_path / "web1.log").read_text(errors="replace")
    finally:
        stop_family(server)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in family), [pid for pid in family if alive(pid)]


def test_the_production_server_keeps_an_idle_connection_open_for_the_load_balancer(db_url, tmp_path):
    """A load balancer reuses its idle connections to a server for up to its own idle timeout
    (60 s on most). With gunicorn's default keep-alive of 2 s the server closed them first, and a
    call sent on a connection just being closed failed (the load test's saturation step saw two
    POSTs without an answer): the Procfile's web process keeps idle connections for 75 s."""
    server = ServerProcess(env_for(db_url), tmp_path / "web1.log", module_args=GUNICORN_SERVE).wait(timeout=60)
    try:
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/livez")
        first = connection.getresponse()
        first.read()
        assert first.status == 200 and first.getheader("Connection", "").lower() != "close"
        socket_before = connection.sock
        time.sleep(3)  # past gunicorn's default keep-alive (2 s)
        connection.request("GET", "/livez")
        second = connection.getresponse()
        second.read()
        # Answered on the same connection (had the server closed it, http.client raises RemoteDisconnected).
        assert second.status == 200 and connection.sock is socket_before
        connection.close()
    finally:
        stop_family(server)
