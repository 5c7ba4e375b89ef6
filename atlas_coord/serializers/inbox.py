"""The inbox's wire shape: what needs the signed-in user's action now (``GET /api/v1/inbox``)."""

from __future__ import annotations

from pydantic import Field

from . import IsoTime, Out


class InboxItemOut(Out):
    """One thing to do, in plain words, with the request it concerns and where to do it."""

    kind: str = Field(description="answer_due, counter_to_decide, deployment_step or alert_to_acknowledge (more kinds may come)")
    title: str = Field(description="what to do, in plain language")
    request_id: int | None = Field(description="the request concerned (a duty alert about no request has none)")
    reference: str = Field(description="the request as people name it: number, crisis, place, requesting state")
    requesting_state: str | None = Field(description="the requesting State: the deadline is shown in its zone too")
    marking: str = Field(description="the request's classification marking (EU code): the view's banner shows the highest")
    deadline: IsoTime | None = Field(description="by when: the answer deadline, the time units are needed, or the ETA")
    link: str = Field(description="where in the console to act (a hash route)")
    state: str | None = Field(description="the State the item concerns (the answering State, the unit's State)")
    deployment_id: int | None
    unit_id: int | None
    alert_id: int | None = Field(None, description="the duty alert to acknowledge (POST /api/v1/alerts/<id>/ack)")


class InboxOut(Out):
    """The items, soonest deadline first, and how many there are."""

    items: list[InboxItemOut]
    total: int

    @classmethod
    def of(cls, items: list) -> InboxOut:
        return cls(items=[InboxItemOut.model_validate(item) for item in items], total=len(items))
