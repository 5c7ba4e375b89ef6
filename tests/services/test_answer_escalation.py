"""Answer deadlines: an addressed state that has not answered in time is escalated once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from atlas_coord.models import Event, utcnow
from atlas_coord.models.requests import RequestAddressee
from atlas_coord.services.requests import escalate_overdue_answers
from tests.factories import request_payload


def test_unanswered_states_are_escalated_once_after_the_deadline(api, database):
    request_id = api.post("/api/v1/requests", "demo-cc-be", json=request_payload(addressees=["FR", "DE"])).get_json()["id"]
    assert api.post(f"/api/v1/requests/{request_id}/answers/FR/refuse", "demo-ca-fr", json={"reason": "units committed at home"}).status_code == 200

    with database.transaction() as s:
        assert escalate_overdue_answers(s, utcnow()) == 0  # the deadline is an hour away
    later = utcnow() + timedelta(hours=2)
    with database.transaction() as s:
        assert escalate_overdue_answers(s, later) == 1  # only Germany is still silent
    with database.transaction() as s:
        assert escalate_overdue_answers(s, later + timedelta(minutes=5)) == 0  # never twice
        rows = dict(s.execute(sa.select(RequestAddressee.state_code, RequestAddressee.escalated_at)
                              .where(RequestAddressee.request_id == request_id)).all())
        assert rows["FR"] is None and rows["DE"] is not None
        overdue = s.scalars(sa.select(Event).where(Event.type == "request.answer_overdue")).all()
        assert len(overdue) == 1
        assert overdue[0].data["state"] == "DE"
        assert {"requests:BE", "requests:DE", "observers"} <= set(overdue[0].audience)
