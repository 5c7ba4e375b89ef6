"""The live layer with the real requests service: need-to-know on the wire, presence, acknowledgement."""

from __future__ import annotations

from atlas_coord.services import events

from .conftest import raise_request


def test_a_real_request_reaches_only_the_states_it_concerns(clients, database):
    be, fr, de, observer = clients("demo-cc-be"), clients("demo-ca-fr"), clients("demo-ca-de"), clients("demo-observer")
    # People of a concerned state whose role the REST API keeps out of its requests (a commander
    # of a unit that was not asked, a training planner) get nothing on the wire either.
    be_commander, fr_planner = clients("demo-cmd-be"), clients("demo-planner-fr")
    request_id = raise_request(database, "demo-cc-be", ["FR"])
    with database.transaction() as session:
        last = events.publish(session, "test.sentinel", "test", {}, [events.ROOM_ALL])
    last = last.seq  # numbered when the transaction committed

    def request_events(client):
        client.wait_for("event", predicate=lambda e: e["seq"] == last)
        return [e["type"] for e in client.events() if e["subject"] == f"request:{request_id}"]

    assert "request.submitted" in request_events(be)
    assert "request.submitted" in request_events(fr)
    assert "request.submitted" in request_events(observer)
    assert request_events(de) == []
    assert request_events(be_commander) == []
    assert request_events(fr_planner) == []
    assert de.call("watch", {"request_id": request_id})["error"]["code"] == "not_found"

    # The addressed authority watches, is counted, and acknowledges; the requester sees it.
    assert be.call("watch", {"request_id": request_id})["ok"] is True
    watching = fr.call("watch", {"request_id": request_id})["presence"]
    assert watching["count"] == 2
    acked = fr.call("ack", {"request_id": request_id})
    assert acked["ok"] is True
    assert acked["seen"][0]["state"] == "FR"
    seen = be.wait_for("event", predicate=lambda e: e["type"] == "request.seen")
    assert seen["data"]["state"] == "FR"
    assert seen["data"]["seen_by"] == "demo-ca-fr"
    # Only an addressed state's authority acknowledges.
    assert de.call("ack", {"request_id": request_id})["error"]["code"] == "not_found"
