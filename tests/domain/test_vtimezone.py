"""VTIMEZONE onsets against zoneinfo, for every zone of the seeded states, 2026-2030 (issue 19).

icalendar's ``Timezone.from_tzid`` wrote the spring-forward onset one hour late (Europe/Brussels
``DTSTART:20270328T030000`` with ``TZOFFSETFROM:+0100`` = 02:00 UTC; the change is at 01:00 UTC).
The block we write is read back twice: with icalendar, and with ``ical``, a second parser that
does not share icalendar's code; both must give zoneinfo's transitions exactly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream
from ical.timezone import IcsTimezoneInfo

from atlas_coord.domain.calendar_ics import TrainingCal, training_to_ical

SEED = Path(__file__).resolve().parents[2] / "atlas_coord" / "seed" / "directory.json"
ZONES = sorted({state["timezone"] for state in json.loads(SEED.read_text(encoding="utf-8"))["states"]})
YEARS = range(2026, 2031)


def zoneinfo_transitions(tzid: str) -> set[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of every offset change in 2026-2030, found
    hour by hour (every change in these zones is on the hour)."""
    zone, found = ZoneInfo(tzid), set()
    instant = datetime(YEARS[0], 1, 1, tzinfo=UTC)
    previous = instant.astimezone(zone).utcoffset()
    while instant.year <= YEARS[-1]:
        instant += timedelta(hours=1)
        offset = instant.astimezone(zone).utcoffset()
        if offset != previous:
            found.add((instant.replace(tzinfo=None), previous, offset))
            previous = offset
    return found


def calendar_for(tzid: str) -> bytes:
    """One weekly training in ``tzid`` through 2030: its VTIMEZONE covers 2025-2031."""
    return training_to_ical([TrainingCal(
        uid=f"t-{tzid}", title="Joint exercise", tz=tzid, start_local=datetime(2026, 1, 7, 9),
        end_local=datetime(2026, 1, 7, 17), last_modified=datetime(2026, 1, 1, tzinfo=UTC),
        rrule="FREQ=WEEKLY;UNTIL=20301231T000000")], calendar_name=f"test {tzid}")


def in_years(onsets):
    return {o for o in onsets if o[0].year in YEARS}


def icalendar_onsets(text: bytes) -> set[tuple[datetime, timedelta, timedelta]]:
    (zone,) = icalendar.Calendar.from_ical(text).walk("VTIMEZONE")
    onsets = set()
    for observance in zone.subcomponents:
        before, after = observance["TZOFFSETFROM"].td, observance["TZOFFSETTO"].td
        rdates = observance.get("RDATE", [])
        locals_ = [observance["DTSTART"].dt] + [p.dt for r in (rdates if isinstance(rdates, list) else [rdates])
                                                for p in r.dts]
        if before != after:
            onsets |= {(local - before, before, after) for local in locals_}  # DTSTART is in the old offset
    return in_years(onsets)


def ical_onsets(text: bytes) -> tuple[set[tuple[datetime, timedelta, timedelta]], IcsTimezoneInfo]:
    (zone,) = IcsCalendarStream.calendar_from_ics(text.decode()).timezones
    onsets = set()
    for observance in [*zone.standard, *zone.daylight]:
        before, after = observance.tz_offset_from.offset, observance.tz_offset_to.offset
        if before != after:
            onsets |= {(local - before, before, after) for local in observance.as_ruleset()
                       if local.year <= YEARS[-1] + 1}
    return in_years(onsets), IcsTimezoneInfo.from_timezone(zone)


@pytest.mark.parametrize("tzid", ZONES)
def test_every_onset_of_a_seeded_states_zone_is_zoneinfos(tzid):
    expected = zoneinfo_transitions(tzid)
    text = calendar_for(tzid)
    assert icalendar_onsets(text) == expected

    onsets, tzinfo = ical_onsets(text)
    assert onsets == expected
    # And ical's own time-zone reading of the block agrees on the wall clock on either side of
    # every change (the latest wall time before it, the first after it: never in a gap or fold).
    zone = ZoneInfo(tzid)
    for instant, before, after in expected:
        for wall in (instant + min(before, after) - timedelta(minutes=1), instant + max(before, after)):
            assert tzinfo.utcoffset(wall) == wall.replace(tzinfo=zone).utcoffset(), (tzid, wall)


def test_the_seeded_zones_include_the_ones_of_the_issue_and_a_zone_without_summer_time():
    assert {"Europe/Brussels", "Europe/Lisbon", "Europe/Dublin", "Atlantic/Reykjavik"} <= set(ZONES)
    assert zoneinfo_transitions("Atlantic/Reykjavik") == set()
    assert len(zoneinfo_transitions("Europe/Brussels")) == 2 * len(YEARS)


@pytest.mark.parametrize(("tzid", "spring_2027"), [("Europe/Brussels", "20270328T020000"),
                                                   ("Europe/Lisbon", "20270328T010000")])
def test_the_spring_onset_of_the_issue_is_written_in_the_offset_before_it(tzid, spring_2027):
    text = icalendar.Calendar.from_ical(calendar_for(tzid))
    (zone,) = text.walk("VTIMEZONE")
    [daylight] = [c for c in zone.subcomponents if c.name == "DAYLIGHT"]
    assert spring_2027 in daylight.to_ical().decode()
    assert daylight["TZOFFSETFROM"].td == ZoneInfo(tzid).utcoffset(datetime(2027, 1, 1))
