"""Fixed links and car ferries between landmasses: the only places a road route may leave one.

Each :class:`Link` joins two terminals on different landmasses (or, for a ferry that shortens a
long drive, on the same one). Its time is ``boarding_min + crossing_min``:

* ``crossing_min``: the operator's published crossing time, or the length at driving speed for a
  bridge or tunnel driven over;
* ``boarding_min``: check-in, loading and the average wait for the next departure (half the
  headway) [M]: a police convoy may be given priority, so these are upper planning figures.

Sources are the operators' route pages named in ``source``; crossing times are those pages'
typical figures (not re-checked in this change: see docs/transport.md). ``[M]`` marks an assumption.

Left out on purpose, so that the unit flies: Iceland (Seyðisfjörður–Hirtshals, about 2 days),
Cyprus (no car ferry to the EU mainland), the Canaries, Madeira and the Azores (more than a day),
Ireland–France (about 18 h), Piraeus–Rhodes (about 15 h).

A terminal is a named point; the landmass it stands on is looked up in :mod:`.land` when the
graph is built, so the list never names landmass ids.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ['LINKS', 'Link', 'Terminal']


@dataclass(frozen=True)
class Terminal:
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Link:
    """A fixed link or car ferry. ``kind`` is 'bridge' (driven over), 'shuttle' (car train) or 'ferry'."""

    name: str
    kind: str
    a: Terminal
    b: Terminal
    crossing_min: float
    boarding_min: float
    source: str

    @property
    def minutes(self) -> float:
        return self.boarding_min + self.crossing_min


def _bridge(name: str, a: Terminal, b: Terminal, minutes: float, source: str) -> Link:
    """A fixed link driven over: no boarding."""
    return Link(name, 'bridge', a, b, minutes, 0.0, source)


_WIKI = 'https://en.wikipedia.org/wiki/'
#: Boarding for a ferry with departures at least hourly: 30 min check-in + 15 min average wait [M].
_FERRY_FREQUENT = 45.0
#: Boarding for a ferry with a few departures a day: 45 min check-in + 45 min average wait [M].
_FERRY_DAILY = 90.0

LINKS: tuple[Link, ...] = (
    # --- Denmark, Sweden, Germany
    _bridge('Øresund Bridge', Terminal('Copenhagen (Amager)', 55.62, 12.62), Terminal('Malmö', 55.57, 12.98),
            15.0, 'https://www.oresundsbron.com/en/info/facts-about-the-bridge (16 km bridge and tunnel, toll)'),
    _bridge('Copenhagen harbour bridges', Terminal('Amager', 55.64, 12.60), Terminal('Copenhagen', 55.68, 12.55),
            5.0, _WIKI + 'Amager (city bridges and Langebro) [M: 5 min]'),
    _bridge('Great Belt Fixed Link', Terminal('Korsør', 55.33, 11.14), Terminal('Nyborg', 55.31, 10.80),
            15.0, 'https://storebaelt.dk/en/ (18 km, toll) '),
    _bridge('Little Belt bridges', Terminal('Middelfart', 55.45, 9.85), Terminal('Fredericia', 55.57, 9.60),
            15.0, _WIKI + 'New_Little_Belt_Bridge [M: 15 min terminal to terminal]'),
    _bridge('Guldborgsund crossing', Terminal('Nykøbing Falster', 54.77, 11.87), Terminal('Lolland', 54.75, 11.75),
            8.0, _WIKI + 'Guldborgsund_Tunnel [M: 8 min]'),
    Link('Rødby–Puttgarden ferry', 'ferry', Terminal('Rødby', 54.655, 11.35), Terminal('Puttgarden', 54.50, 11.23),
         45.0, _FERRY_FREQUENT, 'https://www.scandlines.com/ (45 min crossing, departures every 30 min)'),
    _bridge('Fehmarnsund Bridge', Terminal('Fehmarn', 54.45, 11.15), Terminal('Großenbrode', 54.37, 11.05),
            8.0, _WIKI + 'Fehmarnsund_Bridge [M: 8 min]'),
    Link('Helsingør–Helsingborg ferry', 'ferry', Terminal('Helsingør', 56.04, 12.61),
         Terminal('Helsingborg', 56.04, 12.69), 20.0, _FERRY_FREQUENT,
         'https://www.forsea.se/en/ (20 min crossing, departures every 15-30 min)'),
    _bridge('Als bridges', Terminal('Als', 54.92, 9.85), Terminal('Sønderborg west', 54.90, 9.72),
            5.0, _WIKI + 'Alssund_Bridge [M: 5 min]'),
    _bridge('Rügen Bridge', Terminal('Rügen', 54.33, 13.15), Terminal('Stralsund', 54.30, 13.06),
            6.0, _WIKI + 'Rügen_Bridge [M: 6 min]'),
    Link('Ystad–Rønne ferry', 'ferry', Terminal('Ystad', 55.43, 13.82), Terminal('Rønne', 55.10, 14.70),
         80.0, _FERRY_DAILY, 'https://www.bornholmslinjen.com/ (fast ferry about 1 h 20)'),
    _bridge('Öland Bridge', Terminal('Kalmar', 56.66, 16.33), Terminal('Färjestaden', 56.66, 16.47),
            8.0, _WIKI + 'Öland_Bridge (6 km) [M: 8 min]'),
    Link('Nynäshamn–Visby ferry', 'ferry', Terminal('Nynäshamn', 58.90, 17.95), Terminal('Visby', 57.64, 18.29),
         195.0, _FERRY_DAILY, 'https://www.destinationgotland.se/en/ (about 3 h 15)'),
    Link('Hirtshals–Kristiansand ferry', 'ferry', Terminal('Hirtshals', 57.59, 9.96),
         Terminal('Kristiansand', 58.15, 8.00), 195.0, _FERRY_DAILY, 'https://www.colorline.com/ (about 3 h 15)'),
    # --- Baltic, Finland
    Link('Helsinki–Tallinn ferry', 'ferry', Terminal('Helsinki', 60.16, 24.95), Terminal('Tallinn', 59.44, 24.77),
         120.0, _FERRY_FREQUENT, 'https://www.tallink.com/ (about 2 h, departures every 1-2 h)'),
    Link('Umeå–Vaasa ferry', 'ferry', Terminal('Umeå (Holmsund)', 63.71, 20.35), Terminal('Vaasa', 63.09, 21.57),
         240.0, _FERRY_DAILY, 'https://www.wasaline.com/en/ (about 4 h)'),
    Link('Kapellskär–Mariehamn ferry', 'ferry', Terminal('Kapellskär', 59.72, 19.07),
         Terminal('Mariehamn', 60.10, 19.93), 135.0, _FERRY_DAILY, 'https://www.vikingline.com/ (about 2 h 15)'),
    Link('Mariehamn–Turku ferry', 'ferry', Terminal('Mariehamn port', 60.09, 19.93), Terminal('Turku', 60.44, 22.22),
         300.0, _FERRY_DAILY, 'https://www.vikingline.com/ (about 5 h)'),
    Link('Virtsu–Kuivastu ferry', 'ferry', Terminal('Virtsu', 58.57, 23.51), Terminal('Kuivastu', 58.58, 23.39),
         30.0, _FERRY_FREQUENT, 'https://www.praamid.ee/ (28 min crossing)'),
    _bridge('Väinameri causeway', Terminal('Muhu', 58.58, 23.25), Terminal('Saaremaa (Orissaare)', 58.56, 23.08),
            8.0, _WIKI + 'Väike_väin_causeway (3.6 km) [M: 8 min]'),
    # --- British Isles
    Link('Channel Tunnel (Le Shuttle)', 'shuttle', Terminal('Folkestone', 51.095, 1.12),
         Terminal('Coquelles', 50.93, 1.81), 35.0, 45.0,
         'https://www.eurotunnel.com/ (35 min crossing; check-in 30 min to 2 h before) [M: boarding 45 min]'),
    Link('Dover–Calais ferry', 'ferry', Terminal('Dover', 51.125, 1.33), Terminal('Calais', 50.965, 1.86),
         90.0, _FERRY_FREQUENT, 'https://www.poferries.com/ (about 1 h 30; check-in 45 min)'),
    Link('Holyhead–Dublin ferry', 'ferry', Terminal('Holyhead', 53.31, -4.63), Terminal('Dublin', 53.35, -6.20),
         195.0, _FERRY_DAILY, 'https://www.stenaline.co.uk/ (about 3 h 15)'),
    _bridge('Menai bridges', Terminal('Anglesey', 53.22, -4.20), Terminal('Bangor', 53.20, -4.10),
            5.0, _WIKI + 'Britannia_Bridge [M: 5 min]'),
    Link('Cairnryan–Belfast ferry', 'ferry', Terminal('Cairnryan', 54.97, -5.02), Terminal('Belfast', 54.62, -5.90),
         135.0, _FERRY_DAILY, 'https://www.stenaline.co.uk/ (about 2 h 15)'),
    _bridge('Skye Bridge', Terminal('Skye (Kyleakin)', 57.27, -5.74), Terminal('Kyle of Lochalsh', 57.29, -5.60),
            5.0, _WIKI + 'Skye_Bridge [M: 5 min]'),
    # --- Mediterranean
    Link('Strait of Messina ferry', 'ferry', Terminal('Villa San Giovanni', 38.22, 15.64),
         Terminal('Messina', 38.20, 15.56), 20.0, _FERRY_FREQUENT,
         'https://carontetourist.it/en/ (about 20 min, departures every 20-40 min)'),
    Link('Pozzallo–Valletta ferry', 'ferry', Terminal('Pozzallo', 36.72, 14.84), Terminal('Valletta', 35.89, 14.52),
         105.0, _FERRY_DAILY, 'https://www.virtuferries.com/ (catamaran about 1 h 45)'),
    Link('Ċirkewwa–Mġarr ferry', 'ferry', Terminal('Ċirkewwa', 35.99, 14.33), Terminal('Mġarr (Gozo)', 36.02, 14.30),
         25.0, _FERRY_FREQUENT, 'https://www.gozochannel.com/ (25 min, departures every 45 min)'),
    Link('Civitavecchia–Olbia ferry', 'ferry', Terminal('Civitavecchia', 42.09, 11.79), Terminal('Olbia', 40.92, 9.52),
         330.0, _FERRY_DAILY, 'https://www.tirrenia.it/ (day crossing about 5 h 30)'),
    Link('Livorno–Bastia ferry', 'ferry', Terminal('Livorno', 43.55, 10.30), Terminal('Bastia', 42.70, 9.45),
         240.0, _FERRY_DAILY, 'https://www.corsica-ferries.co.uk/ (about 4 h)'),
    Link('Bonifacio–Santa Teresa ferry', 'ferry', Terminal('Bonifacio', 41.39, 9.16),
         Terminal('Santa Teresa Gallura', 41.24, 9.19), 50.0, _FERRY_DAILY, 'https://www.mobylines.com/ (about 50 min)'),
    Link('Barcelona–Palma ferry', 'ferry', Terminal('Barcelona', 41.37, 2.18), Terminal('Palma', 39.56, 2.63),
         450.0, _FERRY_DAILY, 'https://www.balearia.com/en (about 7 h 30)'),
    Link('Dénia–Ibiza ferry', 'ferry', Terminal('Dénia', 38.84, 0.11), Terminal('Ibiza', 38.91, 1.45),
         120.0, _FERRY_DAILY, 'https://www.balearia.com/en (fast ferry about 2 h)'),
    Link('Bari–Igoumenitsa ferry', 'ferry', Terminal('Bari', 41.13, 16.87), Terminal('Igoumenitsa', 39.50, 20.26),
         570.0, _FERRY_DAILY, 'https://www.superfast.com/ (about 9 h 30)'),
    Link('Igoumenitsa–Corfu ferry', 'ferry', Terminal('Igoumenitsa port', 39.50, 20.26),
         Terminal('Corfu', 39.62, 19.92), 90.0, _FERRY_FREQUENT, _WIKI + 'Igoumenitsa (about 1 h 30); travellers: "1 1/2 Stunden" '
         '(leselagune.info Griechenland_Korfu1) [M: typical crossing]'),
    Link('Piraeus–Heraklion ferry', 'ferry', Terminal('Piraeus', 37.94, 23.64), Terminal('Heraklion', 35.34, 25.14),
         540.0, _FERRY_DAILY, 'https://www.anek.gr/en/ (overnight about 9 h)'),
    _bridge('Krk Bridge', Terminal('Krk', 45.20, 14.60), Terminal('Kraljevica', 45.26, 14.57),
            5.0, _WIKI + 'Krk_Bridge [M: 5 min]'),
)
