"""The inbox service: every kind of item is one source; the inbox merges them by deadline."""

from __future__ import annotations

from datetime import timedelta

from atlas_coord.models import utcnow
from atlas_coord.services import inbox
from tests.factories import in_hours, raise_request, signed_in


def test_a_new_kind_of_item_is_one_more_source_and_sorts_with_the_others(database):
    request_id = raise_request(database, addressees=["FR"], answer_deadline=in_hours(2))

    def duty_alerts(session, actor, now):
        """A stand-in for duty alerts (issue 15): due in one hour, so first."""
        yield inbox.InboxItem(kind="duty_alert", title="Acknowledge the duty alert", request_id=request_id,
                              reference=f"Request #{request_id}", requesting_state="BE", marking="UNCLASSIFIED",
                              deadline=now + timedelta(hours=1), link="#/alerts/1")

    with signed_in(database, "demo-ca-fr") as (session, actor):
        items = inbox.inbox(session, actor, sources=[*inbox.SOURCES, duty_alerts], now=utcnow())
        assert [item.kind for item in items] == ["duty_alert", "answer_due"]
        assert [item.kind for item in inbox.inbox(session, actor)] == ["answer_due"]
