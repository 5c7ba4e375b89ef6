"""Find a crisis site typed as coordinates, an airport code or a place name (issue #13, item 5).

The reading itself is pure domain code (``domain/places.py``); this module adds who may ask
(anyone who may read the directory) and the rule for a new crisis: a ``site_query`` that does not
resolve to exactly one place is a 422 naming ``crisis.site_query``, with the candidates or the
closest matches, before anything is written.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from atlas_coord.domain.choices import SiteStatus
from atlas_coord.domain.places import MAX_QUERY, Resolution, ResolvedPlace, resolve_site
from atlas_coord.policy import Action, Actor, can

from .errors import Forbidden, Invalid
from .inputs import Strict

SiteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY)]


class PlaceQuery(Strict):
    q: SiteText = Field(description="coordinates (50.9010, 4.4844 or 50°54′04″N 4°29′04″E), an ICAO or IATA "
                                    "airport code (EBBR, BRU) or a place name in an ATLAS state (Lisbon)")


def find_site(actor: Actor, text: str) -> Resolution:
    """What ``text`` names: one place, the candidates, or nothing with the closest matches.

    :raise Forbidden: the actor may not read the directory.
    """
    if not can(actor, Action.DIRECTORY_READ):
        raise Forbidden("you may not read the directory")
    return resolve_site(text)


def site_for_crisis(text: str, field: str = "crisis.site_query") -> ResolvedPlace:
    """The one place ``text`` names, for a new crisis's site.

    :raise Invalid: naming ``field``, when ``text`` names no place (with the closest matches) or
        several (with the candidates); the error carries them as ``closest`` or ``candidates``.
    """
    found = resolve_site(text)
    if found.status == SiteStatus.RESOLVED:
        return found.places[0]
    if found.status == SiteStatus.AMBIGUOUS:
        candidates = [f"{place.name} ({place.country})" for place in found.places]
        raise Invalid(f"{field}: {found.message}", fields={field: "ambiguous: " + "; ".join(candidates)},
                      candidates=candidates)
    hint = "closest: " + ", ".join(found.closest) if found.closest else "no close match"
    raise Invalid(f"{field}: {found.message}", fields={field: f"unknown: {hint}"}, closest=list(found.closest))
