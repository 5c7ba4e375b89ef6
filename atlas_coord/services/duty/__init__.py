"""Duty rosters: who answers for an organisation at any hour (issue 15)."""

from .csvio import export_csv, import_csv
from .rosters import (
    gaps,
    get_roster,
    ladder_at,
    list_rosters,
    load_org,
    on_duty,
    parse_org,
    replace_roster,
    usernames,
)

__all__ = ["export_csv", "gaps", "get_roster", "import_csv", "ladder_at", "list_rosters", "load_org", "on_duty",
           "parse_org", "replace_roster", "usernames"]
