"""The readiness reasons a deployment writes, and what a viewer may read of them."""

from __future__ import annotations

from atlas_coord.domain import readiness_reasons as rr


def test_a_generated_reason_names_its_request_and_has_a_neutral_form():
    committed, back = rr.committed(13, 6), rr.returned(13, 6)
    assert (rr.request_of(committed), rr.request_of(back)) == (13, 13)
    assert (rr.neutral(committed), rr.neutral(back)) == (rr.NEUTRAL_COMMITTED, rr.NEUTRAL_RETURNED)


def test_the_full_reason_only_for_a_viewer_who_may_see_the_request():
    reason = rr.committed(13, 6)
    assert rr.shown(reason, lambda request_id: request_id == 13) == reason
    assert rr.shown(reason, lambda request_id: False) == rr.NEUTRAL_COMMITTED
    assert rr.shown(reason, None) == rr.NEUTRAL_COMMITTED  # a broadcast has no viewer
    assert rr.shown(reason, rr.everyone) == reason


def test_a_commander_s_own_reason_is_shown_as_written():
    for reason in ("crew rest", "see request 13", None, "committed to request 13"):
        assert rr.request_of(reason) is None
        assert rr.shown(reason, None) == reason
