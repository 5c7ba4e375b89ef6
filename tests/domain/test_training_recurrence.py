"""Recurring trainings: a planner's series must land on the right wall-clock time, every time.

The stories use 2027, whose clock changes fall on the last Sundays of March (28 March) and
October (31 October). Europe/Lisbon changes at 01:00 local, Europe/Berlin at 02:00 and
Europe/Helsinki at 03:00, all at 01:00 UTC.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atlas_coord.domain.recurrence import (
    OccurrenceOverride,
    align_start,
    expand,
    last_start,
    orphaned_overrides,
    resolve_local,
    until_in_utc,
    validate_rrule,
)

YEAR_2027 = {'window_start_utc': datetime(2027, 1, 1, tzinfo=UTC),
             'window_end_utc': datetime(2028, 1, 1, tzinfo=UTC)}
EIGHT_HOURS = timedelta(hours=8)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def wall_in_utc(tz, *args):
    """What zoneinfo itself says a wall time in ``tz`` is in UTC (first occurrence if repeated)."""
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


# --------------------------------------------------------------------------- monthly: every 3rd Wednesday


@pytest.mark.parametrize('rule', ['FREQ=MONTHLY;BYDAY=WE;BYSETPOS=3', 'FREQ=MONTHLY;BYDAY=+3WE'])
def test_third_wednesday_table_top_stays_at_nine_local_across_the_march_switch(rule):
    """GSG 9 hosts a table-top every 3rd Wednesday at 09:00 in Sankt Augustin (Europe/Berlin).

    Both spellings of "3rd Wednesday" give the same dates. In March it is 08:00 UTC (CET),
    in April 07:00 UTC (CEST): the wall time stays, the UTC instant moves.
    """
    occurrences = expand(datetime(2027, 1, 20, 9), 'Europe/Berlin', EIGHT_HOURS, rule, **YEAR_2027)

    assert [o.recurrence_id.date().isoformat() for o in occurrences[:5]] == [
        '2027-01-20', '2027-02-17', '2027-03-17', '2027-04-21', '2027-05-19']
    assert all(o.start_local.hour == 9 and o.end_local.hour == 17 for o in occurrences)
    march, april = occurrences[2], occurrences[3]
    assert march.start_utc == utc(2027, 3, 17, 8) == wall_in_utc('Europe/Berlin', 2027, 3, 17, 9)
    assert april.start_utc == utc(2027, 4, 21, 7) == wall_in_utc('Europe/Berlin', 2027, 4, 21, 9)
    assert march.start_local.utcoffset() == timedelta(hours=1)
    assert april.start_local.utcoffset() == timedelta(hours=2)
    assert len(occurrences) == 12


def test_yearly_common_challenge_on_the_second_tuesday_of_october():
    """The Common Challenge is held every year on the 2nd Tuesday of October, 08:00 Lisbon."""
    occurrences = expand(
        datetime(2027, 10, 12, 8), 'Europe/Lisbon', timedelta(hours=36), 'FREQ=YEARLY;BYMONTH=10;BYDAY=2TU',
        window_start_utc=utc(2027, 1, 1), window_end_utc=utc(2030, 1, 1))

    assert [o.start_utc for o in occurrences] == [utc(2027, 10, 12, 7), utc(2028, 10, 10, 7), utc(2029, 10, 9, 7)]
    # 36 hours of exercise: ends on Wednesday 20:00 local
    assert occurrences[0].end_local.replace(tzinfo=None) == datetime(2027, 10, 13, 20)


# --------------------------------------------------------------------------- the clock-change Sundays

ZONES = [  # zone, the hour that is skipped in March and repeated in October
    ('Europe/Lisbon', 1),
    ('Europe/Berlin', 2),
    ('Europe/Helsinki', 3),
]


@pytest.mark.parametrize(('tz', 'hour'), ZONES)
def test_a_sunday_session_in_the_skipped_hour_moves_forward(tz, hour):
    """A weekly Sunday night drill is set at hh:30 in the hour the clocks skip on 28 March.

    That local time does not exist; RFC 5545 reads it with the offset before the gap, so the
    drill starts one hour later on the clock (01:30 UTC in all three zones). The week before
    and the week after keep hh:30 local.
    """
    occurrences = expand(datetime(2027, 3, 21, hour, 30), tz, timedelta(hours=2), 'FREQ=WEEKLY;BYDAY=SU',
                         window_start_utc=utc(2027, 3, 20), window_end_utc=utc(2027, 4, 5))

    before, switch_day, after = occurrences
    assert switch_day.recurrence_id == datetime(2027, 3, 28, hour, 30)  # the nominal time, as EXDATE uses it
    assert switch_day.start_utc == utc(2027, 3, 28, 1, 30)
    assert switch_day.start_utc == wall_in_utc(tz, 2027, 3, 28, hour, 30)  # zoneinfo fold=0 agrees
    assert (switch_day.start_local.hour, switch_day.start_local.minute) == (hour + 1, 30)
    assert (before.start_local.hour, after.start_local.hour) == (hour, hour)
    assert after.start_utc - before.start_utc == timedelta(days=14, hours=-1)


@pytest.mark.parametrize(('tz', 'hour'), ZONES)
def test_a_sunday_session_in_the_repeated_hour_takes_the_first_one(tz, hour):
    """On 31 October hh:30 happens twice; the drill is at the first (still summer time)."""
    occurrences = expand(datetime(2027, 10, 24, hour, 30), tz, timedelta(minutes=45), 'FREQ=WEEKLY',
                         window_start_utc=utc(2027, 10, 30), window_end_utc=utc(2027, 11, 1))

    (switch_day,) = occurrences
    assert switch_day.start_utc == utc(2027, 10, 31, 0, 30)
    assert switch_day.start_local.utcoffset() - ZoneInfo(tz).utcoffset(datetime(2027, 12, 1)) == timedelta(hours=1)
    assert switch_day.start_local.replace(tzinfo=None) == datetime(2027, 10, 31, hour, 30)


@pytest.mark.parametrize(('tz', 'hour'), ZONES)
def test_a_saturday_training_keeps_its_local_hours_over_both_switches(tz, hour):
    """A Saturday 08:00-16:00 training every week of 2027: never moves on the wall clock."""
    occurrences = expand(datetime(2027, 1, 2, 8), tz, EIGHT_HOURS, 'FREQ=WEEKLY', **YEAR_2027)

    assert len(occurrences) == 52
    assert {(o.start_local.hour, o.end_local.hour) for o in occurrences} == {(8, 16)}
    offsets = {o.start_local.utcoffset() for o in occurrences}
    assert len(offsets) == 2  # winter and summer time
    for o in occurrences:
        assert o.start_utc == wall_in_utc(tz, *o.recurrence_id.timetuple()[:5])


def test_an_overnight_exercise_ends_at_its_wall_clock_hour_when_the_clocks_go_forward():
    """Saturday 20:00 to Sunday 08:00 in Berlin: on 27/28 March it is one hour shorter."""
    occurrences = expand(datetime(2027, 3, 20, 20), 'Europe/Berlin', timedelta(hours=12), 'FREQ=WEEKLY',
                         window_start_utc=utc(2027, 3, 20), window_end_utc=utc(2027, 4, 1))

    assert [o.end_local.hour for o in occurrences] == [8, 8]
    assert [o.end_utc - o.start_utc for o in occurrences] == [timedelta(hours=12), timedelta(hours=11)]


# --------------------------------------------------------------------------- exceptions and edits

SERIES = (datetime(2027, 1, 20, 9), 'Europe/Berlin', EIGHT_HOURS, 'FREQ=MONTHLY;BYDAY=+3WE')


def test_exdate_skips_the_may_session():
    """May's session clashes with a national holiday: the planner excludes it."""
    occurrences = expand(*SERIES, exdates=[datetime(2027, 5, 19, 9)], **YEAR_2027)

    assert datetime(2027, 5, 19, 9) not in [o.recurrence_id for o in occurrences]
    assert len(occurrences) == 11


def test_a_moved_session_appears_at_its_new_time_and_a_cancelled_one_disappears():
    """June's session moves to Thursday 10:00-18:00; July's is cancelled."""
    overrides = {
        datetime(2027, 6, 16, 9): OccurrenceOverride(datetime(2027, 6, 17, 10), datetime(2027, 6, 17, 18),
                                                     title='Table-top (moved)'),
        datetime(2027, 7, 21, 9): OccurrenceOverride(cancelled=True),
    }
    occurrences = expand(*SERIES, overrides=overrides, **YEAR_2027)
    by_id = {o.recurrence_id: o for o in occurrences}

    june = by_id[datetime(2027, 6, 16, 9)]
    assert june.overridden
    assert june.title == 'Table-top (moved)'
    assert (june.start_utc, june.end_utc) == (utc(2027, 6, 17, 8), utc(2027, 6, 17, 16))
    assert datetime(2027, 7, 21, 9) not in by_id
    assert not by_id[datetime(2027, 8, 18, 9)].overridden
    assert len(occurrences) == 11


def test_a_session_moved_into_the_window_is_found_and_one_moved_out_is_not():
    """A February calendar view: January's session moved to 3 February shows up; February's own
    session, moved to March, does not."""
    overrides = {
        datetime(2027, 1, 20, 9): OccurrenceOverride(datetime(2027, 2, 3, 9)),
        datetime(2027, 2, 17, 9): OccurrenceOverride(datetime(2027, 3, 3, 9)),
    }
    occurrences = expand(*SERIES, overrides=overrides,
                         window_start_utc=utc(2027, 2, 1), window_end_utc=utc(2027, 3, 1))

    assert [(o.recurrence_id, o.start_local.replace(tzinfo=None)) for o in occurrences] == [
        (datetime(2027, 1, 20, 9), datetime(2027, 2, 3, 9))]
    assert occurrences[0].end_local.hour == 17  # the duration is kept when only the start is given


def test_overrides_that_match_no_session_are_ignored_and_reported():
    """The rule was changed to the 2nd Wednesday; an old edit for a 3rd Wednesday is orphaned."""
    overrides = {datetime(2027, 3, 17, 9): OccurrenceOverride(cancelled=True)}
    rule = 'FREQ=MONTHLY;BYDAY=+2WE'
    start = align_start(datetime(2027, 1, 1, 9), rule, 'Europe/Berlin')

    assert len(expand(start, 'Europe/Berlin', EIGHT_HOURS, rule, overrides=overrides, **YEAR_2027)) == 12
    assert orphaned_overrides(start, 'Europe/Berlin', rule, overrides) == [datetime(2027, 3, 17, 9)]
    assert orphaned_overrides(*SERIES[:2], SERIES[3], overrides) == []


def test_a_one_off_training_can_be_moved_too():
    occurrences = expand(datetime(2027, 9, 8, 9), 'Europe/Helsinki', EIGHT_HOURS, None,
                         overrides={datetime(2027, 9, 8, 9): OccurrenceOverride(datetime(2027, 9, 9, 9))},
                         **YEAR_2027)

    assert [(o.start_utc, o.overridden) for o in occurrences] == [(utc(2027, 9, 9, 6), True)]


# --------------------------------------------------------------------------- ends of a series


def test_until_is_inclusive_and_accepted_as_utc_floating_or_date():
    """"Until the December session" in three spellings ends with the December session."""
    for until in ('20271215T080000Z', '20271215T090000', '20271215'):
        occurrences = expand(*SERIES[:3], f'FREQ=MONTHLY;BYDAY=+3WE;UNTIL={until}',
                             window_start_utc=utc(2027, 1, 1), window_end_utc=utc(2030, 1, 1))
        assert occurrences[-1].recurrence_id == datetime(2027, 12, 15, 9), until
        assert len(occurrences) == 12

    assert until_in_utc('FREQ=WEEKLY;UNTIL=20271231', 'Europe/Berlin') == 'FREQ=WEEKLY;UNTIL=20271231T225959Z'
    assert last_start(*SERIES[:2], 'FREQ=MONTHLY;BYDAY=+3WE;UNTIL=20271215') == datetime(2027, 12, 15, 9)
    assert last_start(*SERIES[:2], SERIES[3]) is None


def test_count_includes_excluded_sessions_as_rfc_5545_says():
    """Six sessions are planned; excluding one leaves five, it does not add a seventh."""
    occurrences = expand(*SERIES[:3], 'FREQ=MONTHLY;BYDAY=+3WE;COUNT=6', exdates=[datetime(2027, 2, 17, 9)],
                         **YEAR_2027)

    assert [o.recurrence_id.month for o in occurrences] == [1, 3, 4, 5, 6]


def test_the_window_is_half_open_and_overlapping_sessions_count():
    """A window that starts mid-session includes it; one that ends as a session starts does not."""
    occurrences = expand(*SERIES, window_start_utc=utc(2027, 3, 17, 12), window_end_utc=utc(2027, 4, 21, 7))

    assert [o.recurrence_id for o in occurrences] == [datetime(2027, 3, 17, 9)]


def test_max_count_caps_an_open_ended_daily_series():
    occurrences = expand(datetime(2027, 1, 1, 7), 'Europe/Lisbon', timedelta(hours=1), 'FREQ=DAILY',
                         max_count=50, **YEAR_2027)

    assert len(occurrences) == 50
    assert occurrences[-1].recurrence_id == datetime(2027, 2, 19, 7)


# --------------------------------------------------------------------------- validation


def test_a_start_that_is_not_a_session_is_refused_and_align_start_fixes_it():
    """The planner says "every 3rd Wednesday from New Year's Day": the series starts 20 January."""
    with pytest.raises(ValueError, match='not an occurrence.*2027-01-20 09:00.*align_start'):
        expand(datetime(2027, 1, 1, 9), *SERIES[1:], **YEAR_2027)

    assert align_start(datetime(2027, 1, 1, 9), SERIES[3], 'Europe/Berlin') == datetime(2027, 1, 20, 9)
    with pytest.raises(ValueError, match='no occurrence'):
        align_start(datetime(2028, 1, 1, 9), 'FREQ=MONTHLY;BYDAY=+3WE;UNTIL=20271231T000000Z', 'Europe/Berlin')


@pytest.mark.parametrize(('text', 'normalised'), [
    ('FREQ=MONTHLY;BYDAY=WE;BYSETPOS=3', 'FREQ=MONTHLY;BYDAY=WE;BYSETPOS=3'),
    ('rrule:freq=monthly;byday=+3we', 'FREQ=MONTHLY;BYDAY=+3WE'),
    ('BYMONTH=10;BYDAY=2TU;FREQ=YEARLY', 'FREQ=YEARLY;BYMONTH=10;BYDAY=2TU'),
    ('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=MO', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=MO'),
    ('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29'),
    ('FREQ=DAILY', 'FREQ=DAILY'),  # open-ended is fine: expansion is windowed
])
def test_valid_rules_are_normalised(text, normalised):
    assert validate_rrule(text) == normalised


@pytest.mark.parametrize(('text', 'message'), [
    ('FREQ=HOURLY', 'at most daily'),
    ('FREQ=MINUTELY;COUNT=10', 'at most daily'),
    ('FREQ=SECONDLY', 'at most daily'),
    ('FREQ=FORTNIGHTLY', 'unknown FREQ'),
    ('BYDAY=MO', 'needs FREQ'),
    ('', 'empty'),
    ('FREQ=MONTHLY;BYDAY=XX', 'invalid recurrence rule'),
    ('FREQ=MONTHLY;FOO=1', 'unknown recurrence rule part'),
    ('FREQ=MONTHLY;FREQ=WEEKLY', 'given twice'),
    ('FREQ=DAILY;COUNT=5;UNTIL=20271231T000000Z', 'COUNT or UNTIL'),
    ('FREQ=DAILY;COUNT=0', 'positive'),
    ('FREQ=DAILY;INTERVAL=-1', 'positive'),
    ('FREQ=DAILY;COUNT=1000000', 'too large'),
    ('FREQ=DAILY;UNTIL=next-week', 'UNTIL must look like'),
    ('FREQ=DAILY;BYHOUR=8,14', 'several values'),
    ('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', 'never produces'),
    ('FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31', 'never produces'),
    ('FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6', 'never produces'),
    ('FREQ=WEEKLY\nEXDATE:20270101', 'single RRULE'),
])
def test_invalid_rules_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        validate_rrule(text)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match='unknown time zone'):
        expand(datetime(2027, 1, 20, 9), 'Europe/Atlantis', EIGHT_HOURS, None, **YEAR_2027)
    with pytest.raises(ValueError, match='naive wall time'):
        expand(datetime(2027, 1, 20, 9, tzinfo=UTC), 'Europe/Berlin', EIGHT_HOURS, None, **YEAR_2027)
    with pytest.raises(ValueError, match='timezone-aware'):
        expand(*SERIES, window_start_utc=datetime(2027, 1, 1), window_end_utc=utc(2028, 1, 1))
    with pytest.raises(ValueError, match='positive'):
        expand(*SERIES[:2], timedelta(0), SERIES[3], **YEAR_2027)
    with pytest.raises(ValueError, match='end after'):
        expand(*SERIES, overrides={datetime(2027, 2, 17, 9): OccurrenceOverride(
            datetime(2027, 2, 17, 9), datetime(2027, 2, 17, 8))}, **YEAR_2027)


# --------------------------------------------------------------------------- properties


@settings(max_examples=120, deadline=None)
@given(
    tz=st.sampled_from(['Europe/Berlin', 'Europe/Lisbon', 'Europe/Helsinki', 'Europe/London', 'Atlantic/Reykjavik']),
    rule=st.sampled_from(['FREQ=WEEKLY', 'FREQ=WEEKLY;BYDAY=SU', 'FREQ=MONTHLY;BYDAY=-1SU', 'FREQ=DAILY;INTERVAL=3',
                          'FREQ=MONTHLY;BYDAY=+3WE', 'FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU']),
    start_day=st.dates(min_value=datetime(2026, 1, 1).date(), max_value=datetime(2027, 12, 31).date()),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
)
def test_every_occurrence_is_the_rule_wall_time_resolved_by_zoneinfo(tz, rule, start_day, hour, minute):
    """Whatever the zone and rule: each start is zoneinfo's (fold=0) reading of the nominal wall
    time, which is the start's own wall time unless it falls in a gap, and starts increase."""
    start = align_start(datetime.combine(start_day, datetime.min.time()).replace(hour=hour, minute=minute),
                        rule, tz)
    occurrences = expand(start, tz, timedelta(hours=3), rule,
                         window_start_utc=utc(2026, 1, 1), window_end_utc=utc(2029, 1, 1))

    assert occurrences
    for o in occurrences:
        assert (o.recurrence_id.hour, o.recurrence_id.minute) == (start.hour, start.minute)
        assert o.start_utc == wall_in_utc(tz, *o.recurrence_id.timetuple()[:5])
        assert o.start_utc == resolve_local(o.recurrence_id, tz)[0]
        round_trip = o.start_utc.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        assert round_trip == o.recurrence_id or round_trip - o.recurrence_id == timedelta(hours=1)
    assert all(a.start_utc < b.start_utc for a, b in zip(occurrences, occurrences[1:], strict=False))
