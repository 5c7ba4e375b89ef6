"""Duty rosters (issue 15): read and replace them as JSON or CSV, who is on duty, gaps."""

from __future__ import annotations

from flask import Blueprint

from atlas_coord.serializers.duty import GapOut, GapsOut, OnDutyOut, RosterList, RosterOut, RosterSummaryOut
from atlas_coord.services import duty
from atlas_coord.services.duty.commands import CsvImport, GapsQuery, OnDutyQuery, RosterIn

from . import db_session
from .core import current_actor, endpoint

bp = Blueprint("duty", __name__, url_prefix="/api/v1")


def _roster(org) -> dict:
    return RosterOut.of(org, duty.usernames(db_session(), org)).wire()


@endpoint(bp, "/rosters", summary="The duty rosters the caller may read")
def list_rosters():
    """Competent authorities (``ca-FR``), crisis centres (``cc-FR``) and units (``unit-12``)."""
    rows = duty.list_rosters(db_session(), current_actor())
    return RosterList(items=[RosterSummaryOut(org=o.key, kind=o.kind, state=o.state_code, unit_id=o.unit_id,
                                              timezone=o.timezone, version=o.version) for o in rows],
                      total=len(rows)).wire()


@endpoint(bp, "/rosters/<org>", summary="An organisation's duty roster")
def get_roster(org: str):
    """404 when it keeps none yet, or when it is not the caller's business."""
    return _roster(duty.get_roster(db_session(), current_actor(), org))


@endpoint(bp, "/rosters/<org>", "PUT", body=RosterIn, summary="Replace an organisation's duty roster")
def put_roster(org: str, body: RosterIn):
    """Overlapping or empty shifts, unknown officers, a bad email or phone: 422 naming the field."""
    return _roster(duty.replace_roster(db_session(), current_actor(), org, body))


@endpoint(bp, "/rosters/<org>/csv", summary="An organisation's duty roster as CSV")
def export_roster(org: str):
    """The CSV format of the README (``record,day,start,end,primary,backup,officer,channel,address``)."""
    text = duty.export_csv(db_session(), duty.get_roster(db_session(), current_actor(), org))
    return text, 200, {"Content-Type": "text/csv; charset=utf-8",
                       "Content-Disposition": f'attachment; filename="roster-{org}.csv"'}


@endpoint(bp, "/rosters/<org>/csv", "PUT", body=CsvImport, summary="Replace an organisation's duty roster from CSV")
def import_roster(org: str, body: CsvImport):
    """All or nothing: a CSV with bad rows imports nothing and names every bad row (``row N``)."""
    return _roster(duty.import_csv(db_session(), current_actor(), org, body.csv))


@endpoint(bp, "/rosters/<org>/on-duty", query=OnDutyQuery, summary="Who is on duty now, or at ?at=")
def on_duty(org: str, query: OnDutyQuery):
    """Read in the organisation's time zone (daylight saving time included)."""
    row, at, found = duty.on_duty(db_session(), current_actor(), org, query.at)
    return OnDutyOut(org=row.key, at=at, timezone=row.timezone, primary=found.primary if found else None,
                     backup=found.backup if found else None, shift=found.shift if found else None,
                     until=found.until if found else None).wire()


@endpoint(bp, "/rosters/<org>/gaps", query=GapsQuery, summary="When nobody is on duty between ?from= and ?to=")
def gaps(org: str, query: GapsQuery):
    """At most a year at once; times in UTC."""
    row, found = duty.gaps(db_session(), current_actor(), org, query.from_, query.to)
    return GapsOut(org=row.key, timezone=row.timezone, total=len(found),
                   items=[GapOut(start=g.start, end=g.end, minutes=g.minutes) for g in found]).wire()
