"""Classification markings: read a marking as people type it, compare levels, write the banner.

The vocabulary is :class:`atlas_coord.domain.choices.Marking` (UNCLASSIFIED and the EU levels of
Council Decision 2013/488/EU). A marking is read from its code, a short EU form (``RESTREINT UE``,
``EU SECRET``) or a national equivalent (``VS-NUR FÜR DEN DIENSTGEBRAUCH``), case-insensitively,
and always stored and shown as its canonical code. Which national markings map to which EU level,
and which of those mappings are assumptions, is documented in docs/markings.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from atlas_coord.domain.choices import Marking

__all__ = ['ALIASES', 'banner', 'exceeds', 'highest', 'ical_class', 'level', 'marking_code', 'marking_of_copy', 'parse_marking', 'read_marking']

_LEVELS: dict[Marking, int] = {marking: index for index, marking in enumerate(Marking)}

# Alias -> level. Written as on the material; keys are normalised by _key (case, spaces, accents
# kept). Sources and the mappings that are assumptions: docs/markings.md.
_ALIAS_TABLE: dict[Marking, tuple[str, ...]] = {
    Marking.UNCLASSIFIED: ('UNCLASSIFIED', 'NON CLASSIFIÉ', 'NON CLASSIFIE'),
    Marking.RESTREINT_UE: (
        'RESTREINT UE', 'EU RESTRICTED', 'R-UE', 'R-EU', 'RESTRICTED',
        'VS-NUR FÜR DEN DIENSTGEBRAUCH', 'VS-NUR FUER DEN DIENSTGEBRAUCH', 'VS-NFD',  # DE
        'EINGESCHRÄNKT',  # AT
        'DIFFUSION RESTREINTE', 'BEPERKTE VERSPREIDING',  # FR, BE (assumption: not a legal level)
        'DEPARTEMENTAALVERTROUWELIJK',  # NL
        'RISERVATO',  # IT
        'DIFUSIÓN LIMITADA', 'DIFUSION LIMITADA',  # ES
        'ZASTRZEŻONE',  # PL
    ),
    Marking.CONFIDENTIEL_UE: (
        'CONFIDENTIEL UE', 'EU CONFIDENTIAL', 'C-UE', 'C-EU', 'CONFIDENTIAL',
        'VS-VERTRAULICH',  # DE
        'VERTRAULICH',  # AT
        'CONFIDENTIEL', 'VERTROUWELIJK',  # BE, LU
        'STG. CONFIDENTIEEL',  # NL
        'RISERVATISSIMO',  # IT
        'CONFIDENCIAL',  # ES
        'POUFNE',  # PL
    ),
    Marking.SECRET_UE: (
        'SECRET UE', 'EU SECRET', 'S-UE', 'S-EU', 'SECRET',
        'GEHEIM',  # DE, AT, BE
        'STG. GEHEIM',  # NL
        'SEGRETO',  # IT
        'RESERVADO',  # ES
        'TAJNE',  # PL
    ),
    Marking.TRES_SECRET_UE: (
        'TRÈS SECRET UE', 'TRES SECRET UE', 'EU TOP SECRET', 'TS-UE', 'TS-EU', 'TOP SECRET', 'TRÈS SECRET',
        'STRENG GEHEIM',  # DE, AT
        'ZEER GEHEIM', 'STG. ZEER GEHEIM',  # BE, NL
        'SEGRETISSIMO',  # IT
        'SECRETO',  # ES
        'ŚCIŚLE TAJNE',  # PL
    ),
}


def _key(text: str) -> str:
    """The form aliases are compared in: upper case, single spaces, no spaces around '/'."""
    return re.sub(r'\s*/\s*', '/', ' '.join(text.split())).upper()


def _aliases() -> dict[str, Marking]:
    """Every code and alias in compared form; one that would name two levels stops the import."""
    aliases: dict[str, Marking] = {}
    for marking, texts in _ALIAS_TABLE.items():
        for text in (marking.value, *texts):
            if aliases.setdefault(_key(text), marking) is not marking:
                raise ValueError(f"marking alias {text!r} names both {aliases[_key(text)]} and {marking}")
    return aliases


ALIASES: dict[str, Marking] = _aliases()


def read_marking(text: str) -> Marking | None:
    """The marking ``text`` names (a code or an alias, any case), or None."""
    return ALIASES.get(_key(text))


def marking_code(text: str) -> str:
    """The code of the marking ``text`` names; text that names none (a value recorded before
    markings were checked) is returned as written, so that nothing is silently relabelled."""
    marking = read_marking(text)
    return text if marking is None else marking.value


def parse_marking(text: str) -> Marking:
    """The marking ``text`` names.

    :raise ValueError: naming the known codes, when ``text`` is no known marking.
    """
    marking = read_marking(text)
    if marking is None:
        raise ValueError(f"unknown marking {text!r}; use one of {', '.join(Marking.codes())} "
                         "or a national equivalent (docs/markings.md)")
    return marking


def level(marking: Marking) -> int:
    """The rank of ``marking``: 0 for UNCLASSIFIED, 4 for TRÈS SECRET UE/EU TOP SECRET."""
    return _LEVELS[marking]


def exceeds(marking: Marking, ceiling: Marking) -> bool:
    """True when ``marking`` is above ``ceiling`` (the installation may not hold it)."""
    return level(marking) > level(ceiling)


def highest(markings: Iterable[Marking]) -> Marking:
    """The highest of ``markings``; UNCLASSIFIED when there are none."""
    return max(markings, key=level, default=Marking.UNCLASSIFIED)


def marking_of_copy(values: Iterable[str], ceiling: Marking) -> tuple[Marking, list[str]]:
    """The marking of a copy (a backup) holding crises marked ``values``: the highest of them,
    and the values that name no marking. Such a value (recorded before markings were checked)
    may stand for anything up to ``ceiling``, so the copy then carries at least ``ceiling``."""
    values = list(values)
    unknown = sorted({text for text in values if read_marking(text) is None})
    known = [marking for marking in map(read_marking, values) if marking is not None]
    return highest([*known, *([ceiling] if unknown else [])]), unknown


def banner(marking: Marking, *, exercise: bool = False) -> str:
    """The text of the banner at the top and the bottom of a page or document that carries
    ``marking``; an exercise says so on both sides, as exercise material conventionally does."""
    return f"EXERCISE · {marking.value} · EXERCISE" if exercise else marking.value


def ical_class(marking: Marking) -> str:
    """RFC 5545 CLASS for material of ``marking``: PUBLIC only when unclassified, else
    CONFIDENTIAL. CLASS is a calendar access hint, not a marking; the marking itself travels in
    the ``X-ATLAS-MARKING`` property."""
    return 'PUBLIC' if marking is Marking.UNCLASSIFIED else 'CONFIDENTIAL'
