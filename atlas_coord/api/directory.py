"""The directory: states, competent authorities, capabilities, units and readiness.

A readiness reason that names a request is shown in full only to users who may read that request
(``directory.request_reader``); everyone else reads the neutral reason.
"""

from __future__ import annotations

from flask import Blueprint

from atlas_coord.policy import Action, can
from atlas_coord.schemas import Page
from atlas_coord.serializers import Out, PagedPage
from atlas_coord.serializers import Page as ListPage
from atlas_coord.serializers.airlift import StateAirliftOut
from atlas_coord.serializers.directory import (
    AuthorityOut,
    CapabilityOut,
    ReadinessChangeOut,
    StateOut,
    UnitOut,
)
from atlas_coord.services import airlift, directory
from atlas_coord.services.directory_commands import ReadinessUpdate, UnitCreate, UnitFilter, UnitUpdate
from atlas_coord.services.errors import Forbidden

from . import db_session
from .core import current_actor, endpoint

bp = Blueprint("directory", __name__, url_prefix="/api/v1")


def _require_read() -> None:
    if not can(current_actor(), Action.DIRECTORY_READ):
        raise Forbidden("you may not read the directory")


def _unit_view(unit) -> dict:
    """The unit as the signed-in user may read it: a deployment's request only if visible to them."""
    return UnitOut.of(unit, directory.request_reader(db_session(), current_actor())).wire()


def _page_of(model: type[Out], rows: list, page: Page) -> dict:
    """Page a short, fully loaded list (states, authorities, capabilities)."""
    start = (page.page - 1) * page.per_page
    items = [model.of(row) for row in rows[start : start + page.per_page]]
    return PagedPage[model](items=items, total=len(rows), page=page.page, per_page=page.per_page).wire()


@endpoint(bp, "/states", query=Page, summary="Participating states")
def list_states(query: Page):
    """EU members, the associated states (NO, IS, CH) and partners, with their IANA time zone."""
    _require_read()
    return _page_of(StateOut, directory.list_states(db_session()), query)


@endpoint(bp, "/states/<code>/airlift", summary="A state's airlift")
def state_airlift(code: str):
    """The aircraft that may carry the state's units (own, and lent by partners), with their base,
    seats, mobilisation time and source, or the assumption made."""
    _require_read()
    found = airlift.state_airlift(db_session(), code)
    return StateAirliftOut.of(found.state, found.own, found.partners).wire()


@endpoint(bp, "/authorities", query=Page, summary="Competent authorities (Art. 2)")
def list_authorities(query: Page):
    """Who may request assistance and who may answer, per state, with a 24/7 contact channel."""
    _require_read()
    return _page_of(AuthorityOut, directory.list_authorities(db_session()), query)


@endpoint(bp, "/capabilities", query=Page, summary="The capability taxonomy")
def list_capabilities(query: Page):
    """Environments, specialist modules and support capabilities, held as data."""
    _require_read()
    return _page_of(CapabilityOut, directory.list_capabilities(db_session()), query)


@endpoint(bp, "/units", query=UnitFilter, summary="List units with filters and paging")
def list_units(query: UnitFilter):
    """Filter by state, capability, readiness status and text; ordered by state, name, id."""
    _require_read()
    page = directory.list_units(db_session(), query)
    may_see = directory.request_reader(db_session(), current_actor())
    items = [UnitOut.of(u, may_see, stations=page.stations[u.id], holdings=page.holdings[u.id]) for u in page.units]
    return PagedPage[UnitOut](items=items, total=page.total, page=query.page, per_page=query.per_page).wire()


@endpoint(bp, "/units/<int:unit_id>", summary="One unit")
def get_unit(unit_id: int):
    """The unit with its stations, capabilities and current readiness."""
    _require_read()
    return _unit_view(directory.get_unit(db_session(), unit_id))


@endpoint(bp, "/units", "POST", body=UnitCreate, status=201, summary="Add a unit (admin, or the state's competent authority)")
def create_unit(body: UnitCreate):
    """Returns the new unit; the directory change is audited and sent live."""
    return _unit_view(directory.create_unit(db_session(), current_actor(), body))


@endpoint(bp, "/units/<int:unit_id>", "PATCH", body=UnitUpdate, summary="Change a unit's directory entry")
def update_unit(unit_id: int, body: UnitUpdate):
    """Only the fields given change. ``expected_version`` guards against overwriting a concurrent change."""
    return _unit_view(directory.update_unit(db_session(), current_actor(), unit_id, body))


@endpoint(bp, "/units/<int:unit_id>/readiness", "PUT", body=ReadinessUpdate, summary="Report the unit's readiness (its commander)")
def set_readiness(unit_id: int, body: ReadinessUpdate):
    """READY, LIMITED, TRAINING (with break-off minutes) or UNAVAILABLE, with a reason and the three axes."""
    return _unit_view(directory.set_readiness(db_session(), current_actor(), unit_id, body))


@endpoint(bp, "/units/<int:unit_id>/readiness/history", summary="The unit's readiness history, newest first")
def readiness_history(unit_id: int):
    """Every change with its reason, source and author."""
    _require_read()
    may_see = directory.request_reader(db_session(), current_actor())
    rows = [ReadinessChangeOut.of(row, may_see) for row in directory.readiness_history(db_session(), unit_id)]
    return ListPage[ReadinessChangeOut](items=rows, total=len(rows)).wire()
