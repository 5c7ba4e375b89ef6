"""The airport table every module reads: airportsdata with its known position errors corrected."""

from atlas_coord.domain.airports import airports_by
from atlas_coord.domain.geo import geodesic_m

BRUSSELS_ARP = (50.90139, 4.48444)  # Belgian AIP, AD 2 EBBR 2.2


def test_brussels_airport_and_melsbroek_are_at_zaventem_not_near_nivelles():
    for table, code in (("ICAO", "EBBR"), ("IATA", "BRU"), ("ICAO", "EBMB")):
        row = airports_by(table)[code]
        assert geodesic_m(row["lat"], row["lon"], *BRUSSELS_ARP) < 1_500, code


def test_other_airports_keep_the_package_positions():
    cdg = airports_by("ICAO")["LFPG"]
    assert geodesic_m(cdg["lat"], cdg["lon"], 49.0128, 2.55) < 1_000
