"""Duty rosters: who France's competent authority has on duty at 03:00, across DST, and which
rosters are refused."""

from datetime import UTC, date, datetime, time

import pytest

from atlas_coord.domain.duty import (
    Contact,
    Exception_,
    Roster,
    Shift,
    clashes,
    gaps,
    ladder,
    on_duty,
    valid_email,
    valid_phone,
)

PARIS = "Europe/Paris"


def every_day(start: str, end: str, primary: str, backup: str | None = None) -> tuple[Shift, ...]:
    return tuple(Shift(day, time.fromisoformat(start), time.fromisoformat(end), primary, backup) for day in range(7))


ROUND_THE_CLOCK = Roster(PARIS, every_day("07:00", "19:00", "day-officer", "day-backup")
                         + every_day("19:00", "07:00", "night-officer", "night-backup"))


def test_the_night_officer_is_on_duty_at_three_in_the_morning_paris_time():
    # 02:00 UTC in winter is 03:00 in Paris
    found = on_duty(ROUND_THE_CLOCK, datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    assert (found.primary, found.backup) == ("night-officer", "night-backup")
    assert found.until == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def test_summer_time_moves_the_shift_change_in_utc():
    # 06:30 UTC: 07:30 in winter (day shift), 08:30 in summer (day shift); 05:30 UTC in summer is 07:30
    assert on_duty(ROUND_THE_CLOCK, datetime(2026, 7, 1, 5, 30, tzinfo=UTC)).primary == "day-officer"
    assert on_duty(ROUND_THE_CLOCK, datetime(2026, 12, 1, 5, 30, tzinfo=UTC)).primary == "night-officer"


def test_the_night_of_the_dst_change_is_covered_without_a_gap():
    start, end = datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 30, 12, tzinfo=UTC)
    assert gaps(ROUND_THE_CLOCK, start, end) == []


def test_a_weekend_without_shifts_is_reported_as_a_gap_in_utc():
    weekdays = Roster(PARIS, tuple(Shift(d, time(8), time(18), "officer") for d in range(5)))
    found = gaps(weekdays, datetime(2026, 12, 4, 12, tzinfo=UTC), datetime(2026, 12, 7, 12, tzinfo=UTC))
    # Friday 18:00 Paris (17:00 UTC) to Monday 08:00 Paris (07:00 UTC)
    assert [(g.start, g.end) for g in found] == [
        (datetime(2026, 12, 4, 17, tzinfo=UTC), datetime(2026, 12, 7, 7, tzinfo=UTC))]


def test_an_exception_replaces_the_weekly_shift_and_an_unstaffed_one_is_a_gap():
    roster = Roster(PARIS, ROUND_THE_CLOCK.shifts, (
        Exception_(date(2026, 12, 24), time(19), time(7), "christmas-officer"),
        Exception_(date(2026, 12, 31), time(12), time(14), None),
    ))
    assert on_duty(roster, datetime(2026, 12, 25, 2, tzinfo=UTC)).primary == "christmas-officer"
    assert on_duty(roster, datetime(2026, 12, 31, 12, tzinfo=UTC)) is None
    found = gaps(roster, datetime(2026, 12, 31, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert [(g.start.hour, g.end.hour) for g in found] == [(11, 13)]


@pytest.mark.parametrize(("shifts", "message"), [
    ((Shift(0, time(8), time(8), "a"),), "empty"),
    ((Shift(0, time(8), time(18), "a"), Shift(0, time(17), time(20), "b")), "overlaps"),
    ((Shift(6, time(22), time(6), "a"), Shift(0, time(5), time(9), "b")), "overlaps"),
    ((Shift(0, time(8), time(18), "a", "a"),), "backup is the primary"),
])
def test_empty_or_overlapping_shifts_are_refused_with_the_clash(shifts, message):
    found = clashes(Roster(PARIS, shifts))
    assert found and message in found[0].message


def test_back_to_back_shifts_do_not_clash_and_a_bad_zone_does():
    assert clashes(ROUND_THE_CLOCK) == []
    assert clashes(Roster("Mars/Olympus"))[0].field == "timezone"


@pytest.mark.parametrize(("value", "ok"), [("duty@interieur.example", True), ("no-at-sign", False), ("a@b", False)])
def test_email_addresses(value, ok):
    assert valid_email(value) is ok


@pytest.mark.parametrize(("value", "ok"), [("+33123456789", True), ("0033123456789", False), ("+33 1 23", False)])
def test_phone_numbers_are_e164(value, ok):
    assert valid_phone(value) is ok


def test_the_ladder_goes_primary_then_backup_then_fallback():
    primary = [Contact("console", "p", "p"), Contact("email", "p@x.example", "p"), Contact("sms", "+33123456789", "p")]
    backup = [Contact("console", "b", "b"), Contact("email", "b@x.example", "b")]
    steps = ladder(primary, backup, "duty@x.example", with_backup=False).steps
    assert [[c.address for c in step] for step in steps] == [
        ["p", "p@x.example"], ["+33123456789"], ["b", "b@x.example"], ["duty@x.example"]]
    overdue = ladder(primary, backup, None, with_backup=True).steps
    assert [c.address for c in overdue[0]] == ["p", "p@x.example", "b", "b@x.example"]
