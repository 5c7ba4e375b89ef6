"""The training calendar a unit subscribes to must say what the app says, in every client.

Each test parses the exported bytes back with ``icalendar.Calendar.from_ical`` and, where it
matters, expands the RRULE found in the file with dateutil the way a calendar client would,
then compares with :func:`atlas_coord.domain.recurrence.expand`.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from atlas_coord.domain.calendar_ics import CalAttendee, CalOverride, TrainingCal, training_to_ical
from atlas_coord.domain.recurrence import OccurrenceOverride, expand

WINDOW = {'window_start_utc': datetime(2027, 1, 1, tzinfo=UTC),
          'window_end_utc': datetime(2028, 1, 1, tzinfo=UTC)}

TABLE_TOP = TrainingCal(
    uid='training-42@atlas-coord',
    title='Aircraft hijack table-top',
    description='Joint table-top on an aircraft hijack (Art. 5 of Decision 2008/617/JHA).',
    location_name='GSG 9, Sankt Augustin',
    lat=50.77, lon=7.19,
    tz='Europe/Berlin',
    start_local=datetime(2027, 1, 20, 9), end_local=datetime(2027, 1, 20, 17),
    rrule='FREQ=MONTHLY;BYDAY=+3WE;UNTIL=20271231',
    exdates=[datetime(2027, 5, 19, 9)],
    overrides=[
        (datetime(2027, 6, 16, 9), datetime(2027, 6, 17, 10), datetime(2027, 6, 17, 18), False),
        CalOverride(datetime(2027, 7, 21, 9), cancelled=True),
    ],
    attendees=[
        ('DSU', None, 'ACCEPTED', 'REQ-PARTICIPANT', 'BE-DSU'),
        CalAttendee('EKO Cobra', None, 'DECLINED', unit_id='AT-COBRA'),
        CalAttendee('Lynx Commando', None, 'NEEDS-ACTION', 'OPT-PARTICIPANT'),
        ('Exercise director', 'director@example.org', 'TENTATIVE', 'CHAIR'),
    ],
    organizer_name='ATLAS Support Office',
    sequence=3,
    last_modified=datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
)


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def client_side_starts(cal: Calendar, uid: str, until: datetime) -> dict[datetime, tuple[datetime, datetime]]:
    """Expand the series in ``cal`` as a calendar client does: RRULE from DTSTART, minus EXDATE,
    then replace by the RECURRENCE-ID events (dropping cancelled ones). Returns
    ``{recurrence-id in UTC: (start UTC, end UTC)}``."""
    events = [e for e in cal.walk('VEVENT') if str(e['UID']) == uid]
    (master,) = [e for e in events if 'RECURRENCE-ID' not in e]
    start, end = master.start, master.end
    rule = rrulestr(master['RRULE'].to_ical().decode(), dtstart=start)
    excluded = {d.astimezone(UTC) for d in master.exdates}
    result = {}
    for s in rule.between(start, until, inc=True):
        if s.astimezone(UTC) not in excluded:
            result[s.astimezone(UTC)] = (s.astimezone(UTC), (s + (end - start)).astimezone(UTC))
    for e in events:
        if 'RECURRENCE-ID' in e:
            rid = e['RECURRENCE-ID'].dt.astimezone(UTC)
            if str(e.get('STATUS')) == 'CANCELLED':
                result.pop(rid, None)
            else:
                result[rid] = (e.start.astimezone(UTC), e.end.astimezone(UTC))
    return result


def app_side_starts(t: TrainingCal) -> dict[datetime, tuple[datetime, datetime]]:
    overrides = {o[0] if isinstance(o, tuple) else o.recurrence_id:
                 OccurrenceOverride(*o[1:4]) if isinstance(o, tuple)
                 else OccurrenceOverride(o.start_local, o.end_local, o.cancelled) for o in t.overrides}
    occurrences = expand(t.start_local, t.tz, t.end_local - t.start_local, t.rrule,
                         exdates=t.exdates, overrides=overrides, **WINDOW)
    return {o.recurrence_id.replace(tzinfo=ZoneInfo(t.tz)).astimezone(UTC): (o.start_utc, o.end_utc)
            for o in occurrences}


# --------------------------------------------------------------------------- the story


def test_the_calendar_names_itself_and_carries_the_berlin_time_zone():
    cal = parse(training_to_ical([TABLE_TOP], calendar_name='ATLAS joint trainings 2027'))

    assert str(cal['X-WR-CALNAME']) == 'ATLAS joint trainings 2027'
    assert str(cal['PRODID']) == '-//atlas-coord//training calendar//EN'
    (vtimezone,) = cal.walk('VTIMEZONE')
    assert str(vtimezone['TZID']) == 'Europe/Berlin'
    assert {c.name for c in vtimezone.subcomponents} == {'STANDARD', 'DAYLIGHT'}
    master = cal.walk('VEVENT')[0]
    assert master['DTSTART'].params['TZID'] == 'Europe/Berlin'
    assert master['DTEND'].params['TZID'] == 'Europe/Berlin'
    assert master['DTSTART'].to_ical() == b'20270120T090000'


def test_a_client_expanding_the_file_gets_the_same_instants_as_the_app():
    """The client and the app agree on every session of 2027, including the moved June one
    and the missing May (excluded) and July (cancelled) ones."""
    cal = parse(training_to_ical([TABLE_TOP], calendar_name='ATLAS'))

    client = client_side_starts(cal, TABLE_TOP.uid, datetime(2028, 1, 1, tzinfo=UTC))
    assert client == app_side_starts(TABLE_TOP)
    assert len(client) == 10


def test_the_sessions_either_side_of_the_march_switch_are_at_nine_local():
    """Checked against zoneinfo directly: 17 March is 08:00 UTC (CET), 21 April 07:00 UTC (CEST)."""
    cal = parse(training_to_ical([TABLE_TOP], calendar_name='ATLAS'))
    starts = {s for s, _ in client_side_starts(cal, TABLE_TOP.uid, datetime(2028, 1, 1, tzinfo=UTC)).values()}

    berlin = ZoneInfo('Europe/Berlin')
    for local in (datetime(2027, 3, 17, 9), datetime(2027, 4, 21, 9)):
        assert local.replace(tzinfo=berlin).astimezone(UTC) in starts
    assert datetime(2027, 3, 17, 8, tzinfo=UTC) in starts
    assert datetime(2027, 4, 21, 7, tzinfo=UTC) in starts


def test_until_is_written_in_utc_as_rfc_5545_requires_with_a_tzid_start():
    cal = parse(training_to_ical([TABLE_TOP], calendar_name='ATLAS'))

    rrule = cal.walk('VEVENT')[0]['RRULE']
    assert rrule.to_ical() == b'FREQ=MONTHLY;UNTIL=20271231T225959Z;BYDAY=+3WE'


def test_units_appear_as_attendees_with_their_answers():
    cal = parse(training_to_ical([TABLE_TOP], calendar_name='ATLAS'))
    master = cal.walk('VEVENT')[0]

    attendees = {str(a.params['CN']): a for a in master.attendees}
    assert {cn: (str(a), a.params['PARTSTAT'], a.params['ROLE']) for cn, a in attendees.items()} == {
        'DSU': ('urn:atlas-coord:unit:BE-DSU', 'ACCEPTED', 'REQ-PARTICIPANT'),
        'EKO Cobra': ('urn:atlas-coord:unit:AT-COBRA', 'DECLINED', 'REQ-PARTICIPANT'),
        'Lynx Commando': ('urn:atlas-coord:unit:lynx-commando', 'NEEDS-ACTION', 'OPT-PARTICIPANT'),
        'Exercise director': ('mailto:director@example.org', 'TENTATIVE', 'CHAIR'),
    }
    assert attendees['DSU'].params['CUTYPE'] == 'GROUP'
    assert str(master['ORGANIZER'].params['CN']) == 'ATLAS Support Office'
    assert str(master['LOCATION']) == 'GSG 9, Sankt Augustin'
    assert (master['GEO'].latitude, master['GEO'].longitude) == (50.77, 7.19)
    assert int(master['SEQUENCE']) == 3


def test_the_moved_and_the_cancelled_session_are_their_own_events():
    cal = parse(training_to_ical([TABLE_TOP], calendar_name='ATLAS'))
    master, moved, cancelled = cal.walk('VEVENT')

    assert [str(e['UID']) for e in (moved, cancelled)] == [TABLE_TOP.uid] * 2
    assert moved['RECURRENCE-ID'].params['TZID'] == 'Europe/Berlin'
    assert moved['RECURRENCE-ID'].dt.replace(tzinfo=None) == datetime(2027, 6, 16, 9)
    assert moved.start.replace(tzinfo=None) == datetime(2027, 6, 17, 10)
    assert str(moved['STATUS']) == 'CONFIRMED'
    assert cancelled['RECURRENCE-ID'].dt.replace(tzinfo=None) == datetime(2027, 7, 21, 9)
    assert str(cancelled['STATUS']) == 'CANCELLED'
    assert [d.replace(tzinfo=None) for d in master.exdates] == [datetime(2027, 5, 19, 9)]


def test_edits_of_sessions_the_series_no_longer_has_are_left_out():
    """An old edit for 19 May (now excluded) and one for a Tuesday (never a session) would show
    up as stray events in some clients; the export drops them, as the app does."""
    stale = [(datetime(2027, 5, 19, 9), datetime(2027, 5, 20, 9), None, False),
             (datetime(2027, 9, 14, 9), None, None, True)]
    fields = {f: getattr(TABLE_TOP, f) for f in TABLE_TOP.__dataclass_fields__} | {
        'overrides': [*TABLE_TOP.overrides, *stale]}
    cal = parse(training_to_ical([TrainingCal(**fields)], calendar_name='ATLAS'))

    rids = [e['RECURRENCE-ID'].dt.replace(tzinfo=None) for e in cal.walk('VEVENT') if 'RECURRENCE-ID' in e]
    assert rids == [datetime(2027, 6, 16, 9), datetime(2027, 7, 21, 9)]


@pytest.mark.parametrize(('tz', 'hour'), [('Europe/Lisbon', 1), ('Europe/Berlin', 2), ('Europe/Helsinki', 3)])
def test_a_sunday_night_drill_in_the_skipped_hour_agrees_with_clients(tz, hour):
    """Set in the hour that does not exist on 28 March: file and app both say 01:30 UTC."""
    drill = TrainingCal(uid=f'drill-{tz}', title='Night drill', tz=tz,
                        start_local=datetime(2027, 3, 14, hour, 30), end_local=datetime(2027, 3, 14, hour + 2, 30),
                        rrule='FREQ=WEEKLY;COUNT=8', last_modified=datetime(2027, 1, 1, tzinfo=UTC))
    cal = parse(training_to_ical([drill], calendar_name='Drills'))

    client = client_side_starts(cal, drill.uid, datetime(2028, 1, 1, tzinfo=UTC))
    assert client == app_side_starts(drill)
    assert client[datetime(2027, 3, 28, 1, 30, tzinfo=UTC)][0] == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_one_vtimezone_per_zone_used():
    lisbon = TrainingCal(uid='t-lis', title='Maritime', tz='Europe/Lisbon', start_local=datetime(2027, 4, 6, 9),
                         end_local=datetime(2027, 4, 6, 17), last_modified=datetime(2027, 1, 1, tzinfo=UTC))
    helsinki = TrainingCal(uid='t-hel', title='Metro', tz='Europe/Helsinki', start_local=datetime(2027, 10, 26, 9),
                           end_local=datetime(2027, 10, 27, 12), rrule='FREQ=YEARLY',
                           last_modified=datetime(2027, 1, 1, tzinfo=UTC))
    cal = parse(training_to_ical([helsinki, TABLE_TOP, lisbon], calendar_name='All'))

    assert sorted(str(z['TZID']) for z in cal.walk('VTIMEZONE')) == [
        'Europe/Berlin', 'Europe/Helsinki', 'Europe/Lisbon']
    assert 'RRULE' not in [e for e in cal.walk('VEVENT') if str(e['UID']) == 't-lis'][0]


def test_the_same_trainings_give_the_same_bytes():
    """Webcal clients poll; identical input must give an identical file (stable ETag)."""
    first = training_to_ical([TABLE_TOP], calendar_name='ATLAS', refresh_interval=timedelta(hours=6))
    assert first == training_to_ical([TABLE_TOP], calendar_name='ATLAS', refresh_interval=timedelta(hours=6))
    assert b'REFRESH-INTERVAL;VALUE=DURATION:PT6H' in first
    assert b'X-PUBLISHED-TTL:PT6H' in first


def test_a_cancelled_series_is_marked_cancelled():
    cancelled = TrainingCal(uid='t-x', title='Cancelled course', tz='Europe/Berlin', status='CANCELLED',
                            start_local=datetime(2027, 2, 1, 9), end_local=datetime(2027, 2, 1, 12),
                            last_modified=datetime(2027, 1, 1, tzinfo=UTC))
    (event,) = parse(training_to_ical([cancelled], calendar_name='x')).walk('VEVENT')

    assert str(event['STATUS']) == 'CANCELLED'


@pytest.mark.parametrize(('change', 'message'), [
    ({'attendees': [('DSU', None, 'MAYBE', 'REQ-PARTICIPANT')]}, 'PARTSTAT'),
    ({'attendees': [('DSU', None, 'ACCEPTED', 'BOSS')]}, 'ROLE'),
    ({'start_local': datetime(2027, 1, 1, 9), 'end_local': datetime(2027, 1, 1, 17)}, 'not an occurrence'),
    ({'end_local': datetime(2027, 1, 20, 8)}, 'end must be after'),
    ({'tz': 'Mars/Olympus'}, 'unknown time zone'),
    ({'rrule': 'FREQ=HOURLY'}, 'at most daily'),
    ({'status': 'POSTPONED'}, 'STATUS'),
    ({'lon': None}, 'lat and lon'),
])
def test_bad_trainings_are_refused(change, message):
    fields = {f: getattr(TABLE_TOP, f) for f in TABLE_TOP.__dataclass_fields__} | change
    with pytest.raises(ValueError, match=message):
        training_to_ical([TrainingCal(**fields)], calendar_name='x')
