"""France's competent authority keeps its duty roster: import and export it as CSV, see who is on
duty at 03:00, where the roster leaves nobody on duty, and what a bad roster is told."""

from datetime import UTC, datetime

import pytest

from atlas_coord.services import duty
from atlas_coord.services.errors import Forbidden, Invalid, NotFound
from tests.factories import actor_named, put_roster, roster_csv

CSV = roster_csv("demo-ca-fr", "demo-cc-fr", primary_contacts=(("email", "ca-fr@duty.example"), ("sms", "+33123456789")),
                 backup_contacts=(("email", "cc-fr@duty.example"),), fallback="permanence@interieur.example")


def test_a_roster_imported_as_csv_says_who_is_on_duty_at_three_and_exports_the_same(database):
    put_roster(database, "ca-FR", CSV)
    with database.transaction() as session:
        actor = actor_named(session, "demo-ca-fr")
        org, _, found = duty.on_duty(session, actor, "ca-FR", datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
        assert (found.primary, found.backup) == ("demo-ca-fr", "demo-cc-fr")
        exported = duty.export_csv(session, org)
    assert sorted(exported.splitlines()) == sorted(CSV.splitlines())


def test_a_roster_with_bad_rows_imports_nothing_and_names_every_bad_row(database):
    bad = roster_csv("demo-ca-fr", extra_rows=("contact,,,,,,demo-ca-fr,email,not-an-address",
                                                 "shift,funday,08:00,09:00,demo-ca-fr,,,,",
                                                 "contact,,,,,,demo-ca-fr,sms,0612345678"))
    with database.transaction() as session, pytest.raises(Invalid) as refused:
        duty.import_csv(session, None, "ca-FR", bad)
    assert set(refused.value.fields) == {"row 17", "row 18", "row 19"}
    assert "email" in refused.value.fields["row 17"] and "E.164" in refused.value.fields["row 19"]
    with database.transaction() as session:
        assert duty.load_org(session, "ca-FR") is None


def test_overlapping_shifts_are_refused_naming_the_rows_of_the_clash(database):
    clash = roster_csv("demo-ca-fr", extra_rows=("shift,mon,11:00,13:00,demo-cc-fr,,,,",))
    with database.transaction() as session, pytest.raises(Invalid) as refused:
        duty.import_csv(session, None, "ca-FR", clash)
    assert "row 17" in refused.value.fields and "overlaps" in refused.value.message


def test_unknown_officers_are_named(database):
    with database.transaction() as session, pytest.raises(Invalid) as refused:
        duty.import_csv(session, None, "ca-FR", roster_csv("nobody-at-all"))
    assert refused.value.fields["row 3 (primary)"] == "no active user 'nobody-at-all'"


def test_the_weekend_gap_of_an_office_hours_roster_is_reported(database):
    office = "\n".join(["record,day,start,end,primary,backup,officer,channel,address", "timezone,,,,,,,,Europe/Brussels",
                        *(f"shift,{d},08:00,18:00,demo-cc-be,,,," for d in ("mon", "tue", "wed", "thu", "fri"))])
    put_roster(database, "cc-BE", office)
    with database.transaction() as session:
        _, found = duty.gaps(session, actor_named(session, "demo-cc-be"), "cc-BE",
                             datetime(2026, 12, 4, 12, tzinfo=UTC), datetime(2026, 12, 7, 12, tzinfo=UTC))
    assert [(g.start.isoformat(), g.end.isoformat()) for g in found] == [
        ("2026-12-04T17:00:00+00:00", "2026-12-07T07:00:00+00:00")]


def test_another_states_roster_is_not_even_visible_and_a_reader_may_not_change_it(database):
    put_roster(database, "ca-FR", CSV)
    with database.transaction() as session:
        with pytest.raises(NotFound):
            duty.get_roster(session, actor_named(session, "demo-ca-be"), "ca-FR")
        with pytest.raises(Forbidden):
            duty.import_csv(session, actor_named(session, "demo-observer"), "ca-FR", CSV)
