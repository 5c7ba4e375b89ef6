"""Direct fan-out: one frame per event written straight to each websocket, with safe fallbacks."""

from __future__ import annotations

import socket

import pytest
from wsproto.frame_protocol import FrameProtocol

from atlas_coord.realtime import fanout
from atlas_coord.services import events
from tests.conftest import app_settings

from .servers import LiveClient, ThreadServer


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_a_prebuilt_frame_is_a_valid_websocket_text_frame(size):
    payload = "x" * size
    client = FrameProtocol(client=True, extensions=[])
    client.receive_bytes(fanout.text_frame(payload.encode()))
    frames = list(client.received_frames())
    assert len(frames) == 1
    assert frames[0].payload == payload
    assert frames[0].message_finished


class FakeDirect:
    def __init__(self, sock) -> None:
        self.ws = type("WS", (), {"sock": sock, "connected": True})()


@pytest.fixture
def socket_pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_an_idle_client_is_written_to_directly(socket_pair):
    server_side, client_side = socket_pair
    tracked = fanout.TrackedQueue()
    assert fanout._write_or_queue(FakeDirect(server_side), tracked, b"frame", "packet") is True
    assert client_side.recv(100) == b"frame"
    assert tracked.empty()


def test_a_client_with_queued_or_in_flight_packets_keeps_its_order(socket_pair):
    server_side, _ = socket_pair
    tracked = fanout.TrackedQueue()
    tracked.put("earlier")
    assert fanout._write_or_queue(FakeDirect(server_side), tracked, b"frame", "packet") is False
    assert tracked.get() == "earlier"  # now in the writer's hands, not yet sent
    assert fanout._write_or_queue(FakeDirect(server_side), tracked, b"frame", "packet2") is False
    assert tracked.get_nowait() == "packet"
    assert tracked.get_nowait() == "packet2"
    for _ in range(3):
        tracked.sent()
    assert fanout._write_or_queue(FakeDirect(server_side), tracked, b"frame", "packet3") is True


def test_a_slow_reader_never_blocks_the_fan_out(socket_pair):
    """A full socket buffer: what fits is written, the rest of the frame goes to the client's
    own writer thread, and later events queue behind it."""
    server_side, client_side = socket_pair
    server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    tracked = fanout.TrackedQueue()
    direct = FakeDirect(server_side)
    big = b"y" * 1_000_000
    assert fanout._write_or_queue(direct, tracked, big, "packet") is True
    remainder = tracked.get_nowait()
    assert isinstance(remainder, fanout.RawFramePacket)
    assert 0 < len(remainder.frame) < len(big)
    assert fanout._write_or_queue(direct, tracked, b"next", "next-packet") is False
    assert tracked.get_nowait() == "next-packet"


def test_a_full_socket_queues_the_whole_event(socket_pair):
    server_side, _ = socket_pair
    server_side.setblocking(False)
    try:
        while True:
            server_side.send(b"z" * 65536)
    except BlockingIOError:
        pass
    server_side.setblocking(True)
    tracked = fanout.TrackedQueue()
    assert fanout._write_or_queue(FakeDirect(server_side), tracked, b"frame", "packet") is False
    assert tracked.get_nowait() == "packet"


@pytest.mark.parametrize("direct_fanout", [True, False])
def test_live_events_arrive_in_order_with_and_without_direct_fan_out(db_url, api_for, monkeypatch, direct_fanout):
    from atlas_coord import create_app
    from atlas_coord.db import Database

    written = []
    original = fanout.emit_direct

    def counting(*args, **kwargs):
        written.append(original(*args, **kwargs))
        return written[-1]

    monkeypatch.setattr("atlas_coord.realtime.sequencer.emit_direct", counting)
    app = create_app(app_settings(db_url, realtime={"direct_fanout": direct_fanout}))
    database = Database(db_url)
    try:
        with ThreadServer(app) as server:
            api = api_for(app)
            clients = [LiveClient(server.url, token=api.token(user)).connect() for user in ("demo-observer", "demo-ca-fr")]
            for client in clients:
                client.wait_for("ready")
            seqs = []
            for i in range(20):
                with database.transaction() as session:
                    row = events.publish(session, "test.order", "test", {"i": i}, [events.ROOM_ALL])
                seqs.append(row.seq)  # numbered when the transaction committed
            for client in clients:
                client.wait_for("event", predicate=lambda e: e["seq"] == seqs[-1])
                assert [e["seq"] for e in client.events()] == seqs
                client.close()
    finally:
        database.dispose()
        app.extensions["atlas_db"].dispose()
    if direct_fanout:
        assert sum(written) >= 20  # most writes went straight to the sockets
    else:
        assert written == []
