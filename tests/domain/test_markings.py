"""The vocabulary of classification markings: reading codes and national equivalents, the order
of the levels, the banner, and the marking of a copy (no app, no database)."""

from __future__ import annotations

import pytest

from atlas_coord.domain.choices import Marking
from atlas_coord.domain.markings import (
    ALIASES,
    banner,
    exceeds,
    highest,
    ical_class,
    level,
    marking_code,
    marking_of_copy,
    parse_marking,
    read_marking,
)


def test_the_levels_are_ordered_as_council_decision_2013_488_orders_them():
    assert [level(m) for m in Marking] == [0, 1, 2, 3, 4]
    assert list(Marking) == [Marking.UNCLASSIFIED, Marking.RESTREINT_UE, Marking.CONFIDENTIEL_UE,
                             Marking.SECRET_UE, Marking.TRES_SECRET_UE]
    assert Marking.RESTREINT_UE.label == "RESTREINT UE/EU RESTRICTED"  # shown as written, never humanised


@pytest.mark.parametrize(("text", "marking"), [
    ("RESTREINT UE/EU RESTRICTED", Marking.RESTREINT_UE),
    ("restreint ue / eu restricted", Marking.RESTREINT_UE),
    ("  Restreint   UE ", Marking.RESTREINT_UE),
    ("VS-NUR FÜR DEN DIENSTGEBRAUCH", Marking.RESTREINT_UE),
    ("vs-nur für den dienstgebrauch", Marking.RESTREINT_UE),
    ("VS-NfD", Marking.RESTREINT_UE),
    ("Diffusion Restreinte", Marking.RESTREINT_UE),
    ("VS-Vertraulich", Marking.CONFIDENTIEL_UE),
    ("EU SECRET", Marking.SECRET_UE),
    ("geheim", Marking.SECRET_UE),
    ("Très Secret UE/EU Top Secret", Marking.TRES_SECRET_UE),
    ("tres secret ue", Marking.TRES_SECRET_UE),
    ("Streng geheim", Marking.TRES_SECRET_UE),
    ("unclassified", Marking.UNCLASSIFIED),
])
def test_codes_and_national_equivalents_are_read_in_any_case(text, marking):
    assert parse_marking(text) is marking
    assert marking_code(text) == marking.value


@pytest.mark.parametrize("text", ["", "NONE", "internal", "RESTREINT", "SECRET UE/EU RESTRICTED"])
def test_an_unknown_marking_is_refused_naming_the_codes(text):
    assert read_marking(text) is None
    with pytest.raises(ValueError, match="unknown marking.*UNCLASSIFIED, RESTREINT UE/EU RESTRICTED"):
        parse_marking(text)


def test_every_alias_names_exactly_one_level_and_every_code_reads_as_itself():
    assert all(read_marking(m.value) is m for m in Marking)
    assert set(ALIASES.values()) == set(Marking)


def test_comparisons_and_the_highest_marking():
    assert exceeds(Marking.CONFIDENTIEL_UE, Marking.RESTREINT_UE)
    assert not exceeds(Marking.RESTREINT_UE, Marking.RESTREINT_UE)
    assert not exceeds(Marking.UNCLASSIFIED, Marking.RESTREINT_UE)
    assert highest([Marking.RESTREINT_UE, Marking.UNCLASSIFIED, Marking.SECRET_UE]) is Marking.SECRET_UE
    assert highest([]) is Marking.UNCLASSIFIED


def test_an_unknown_value_is_passed_on_as_written_not_relabelled():
    assert marking_code("internal use") == "internal use"


def test_the_marking_of_a_copy_is_its_highest_and_unknown_values_raise_it_to_the_ceiling():
    assert marking_of_copy([], Marking.RESTREINT_UE) == (Marking.UNCLASSIFIED, [])
    assert marking_of_copy(["UNCLASSIFIED", "RESTREINT UE/EU RESTRICTED"], Marking.RESTREINT_UE) == (
        Marking.RESTREINT_UE, [])
    assert marking_of_copy(["UNCLASSIFIED", "internal"], Marking.CONFIDENTIEL_UE) == (
        Marking.CONFIDENTIEL_UE, ["internal"])


def test_the_banner_and_the_icalendar_class():
    assert banner(Marking.RESTREINT_UE) == "RESTREINT UE/EU RESTRICTED"
    assert banner(Marking.UNCLASSIFIED, exercise=True) == "EXERCISE · UNCLASSIFIED · EXERCISE"
    assert ical_class(Marking.UNCLASSIFIED) == "PUBLIC"
    assert {ical_class(m) for m in Marking if m is not Marking.UNCLASSIFIED} == {"CONFIDENTIAL"}
