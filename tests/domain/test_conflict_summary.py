"""A planner facing a hundred conflicts reads counts by kind, state and capability first."""

from __future__ import annotations

from datetime import UTC, datetime

from atlas_coord.domain.choices import ConflictKind
from atlas_coord.domain.conflict_summary import NETWORK_LABEL, summarise
from atlas_coord.domain.training_rules import Conflict

START = datetime(2026, 12, 9, 7, 0, tzinfo=UTC)
END = datetime(2026, 12, 11, 17, 0, tzinfo=UTC)
NAMES = {"ENV_AIRCRAFT": "Aircraft", "ENV_MARITIME": "Maritime", "NEG": "Crisis negotiation", "CBRN": "CBRN protection"}


def guard(state: str, capability: str) -> Conflict:
    return Conflict(kind=ConflictKind.READINESS_GUARD, message="...", window_start=START, window_end=END,
                    state=state, capability=capability, figure=0)


def coverage(point: str, capability: str, minutes: float | str, start: datetime = START) -> Conflict:
    return Conflict(kind=ConflictKind.COVERAGE_THRESHOLD, message="...", window_start=start, window_end=END,
                    capability=capability, point=point, unit_id=2, figure=minutes)


def overlap(unit_id: int, state: str) -> Conflict:
    return Conflict(kind=ConflictKind.UNIT_OVERLAP, message="...", window_start=START, window_end=None,
                    state=state, unit_id=unit_id, figure=480)


def four_unit_exercise() -> list[Conflict]:
    """What GIGN hosting RAID, GSG 9 and DSI for three days adds, in miniature."""
    return [
        guard("DE", "ENV_MARITIME"),
        guard("FR", "ENV_AIRCRAFT"), guard("FR", "NEG"), guard("FR", "ENV_MARITIME"),
        guard("NL", "NEG"),
        coverage("Paris", "CBRN", 263.3), coverage("London", "CBRN", "no capable unit"),
        coverage("Luxembourg", "CBRN", 244.9, start=datetime(2026, 12, 9, 9, 0, tzinfo=UTC)),
        coverage("Paris", "NEG", 250.0),
    ]


def test_counts_come_first_by_kind_in_the_order_they_block_a_plan():
    summary = summarise(four_unit_exercise(), capability_names=NAMES)

    assert summary.total == 9
    assert summary.not_listed == 0
    assert [(k.kind, k.label, k.count) for k in summary.kinds] == [
        ("readiness_guard", "Readiness guard", 5),
        ("coverage_threshold", "Coverage threshold", 4),
    ]


def test_readiness_guards_are_grouped_by_state_most_affected_first_with_capability_names():
    guards = summarise(four_unit_exercise(), capability_names=NAMES).kinds[0]

    assert [(s.state, s.name, s.count) for s in guards.states] == [
        ("FR", "France", 3), ("DE", "Germany", 1), ("NL", "the Netherlands", 1),
    ]
    france = guards.states[0]
    assert [g.capability_name for g in france.groups] == ["Aircraft", "Crisis negotiation", "Maritime"]
    assert all(g.count == 1 and (g.window_start, g.window_end) == (START, END) for g in france.groups)


def test_coverage_gaps_are_grouped_by_capability_across_the_network_with_the_capitals_and_the_worst_figure():
    gaps = summarise(four_unit_exercise(), capability_names=NAMES).kinds[1]

    assert [(s.state, s.name, s.count) for s in gaps.states] == [(None, NETWORK_LABEL, 4)]
    cbrn, neg = gaps.states[0].groups
    assert (cbrn.capability, cbrn.capability_name, cbrn.count) == ("CBRN", "CBRN protection", 3)
    assert cbrn.points == ("London", "Luxembourg", "Paris")
    assert cbrn.worst_figure == "no capable unit"
    assert (cbrn.window_start, cbrn.window_end) == (START, END)
    assert (neg.capability_name, neg.count, neg.worst_figure) == ("Crisis negotiation", 1, 250.0)


def test_each_group_points_at_its_conflicts_in_the_list_so_details_open_on_demand():
    conflicts = four_unit_exercise()
    summary = summarise(conflicts, capability_names=NAMES)

    positions = [i for k in summary.kinds for s in k.states for g in s.groups for i in g.conflict_indexes]
    assert sorted(positions) == list(range(len(conflicts)))
    cbrn = summary.kinds[1].states[0].groups[0]
    assert {conflicts[i].point for i in cbrn.conflict_indexes} == {"Paris", "London", "Luxembourg"}


def test_an_unknown_capability_code_is_shown_humanised_never_raw():
    summary = summarise([guard("FR", "ENV_SPACE_STATION")], capability_names=NAMES)

    assert summary.kinds[0].states[0].groups[0].capability_name == "Env space station"


def test_overlaps_name_their_units_and_an_open_ended_window_stays_open():
    summary = summarise([overlap(11, "FR"), overlap(10, "FR")], capability_names=NAMES)

    (group,) = summary.kinds[0].states[0].groups
    assert summary.kinds[0].label == "Unit overlap"
    assert (group.capability, group.capability_name, group.unit_ids) == (None, None, (10, 11))
    assert group.window_end is None


def test_conflicts_left_out_of_the_list_are_still_counted():
    summary = summarise(four_unit_exercise()[:2], capability_names=NAMES, total=250)

    assert (summary.total, summary.not_listed) == (250, 248)


def test_no_conflict_gives_an_empty_summary():
    summary = summarise([])

    assert (summary.total, summary.not_listed, summary.kinds) == (0, 0, ())
