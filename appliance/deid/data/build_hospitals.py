"""Rebuild hospital_names.txt from the CMS hospital list (a one-off, offline step; not imported by the appliance).

Source: the US Centers for Medicare & Medicaid Services "Hospital General Information" table
(``Hospital_General_Information.csv``, one row per Medicare-registered hospital; a work of the US
government, public domain). The script never downloads anything: pass the CSV's path.

    python appliance/deid/data/build_hospitals.py --cms Hospital_General_Information.csv

From each "Hospital Name" it keeps, lower-cased (see README.md):

* ``name``: the distinctive core of a name of two words or more ("beth israel deaconess",
  "brigham and women's"), with the head and generic words around it removed, kept only if one of its
  words is neither an English, medical, state nor country word, so that "good samaritan" stays with the
  facility rules;
* ``word``: one-word cores that no list reads as an English, clinical or medical word ("lahey");
* ``initials``: the first letters of the name's words, 3 to 6 of them ("cmc", "bidmc").
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Words around a hospital's distinctive core that say nothing about which hospital it is.
_GENERIC = frozenset(
    """
    hospital hospitals medical center centers centre clinic clinics health healthcare system systems services
    regional general memorial community county district municipal university college of the and & at for in
    inc llc lp dba campus institute infirmary rehabilitation rehab specialty surgical surgery heart behavioral
    psychiatric children's childrens women's womens cancer orthopedic orthopaedic sciences science care
    critical access acute long term long-term st saint mount mt valley city state national area network
    north south east west northeast northwest southeast southwest central mid upper lower new
    """.split()
)
_HEADS = frozenset(
    """
    hospital hospitals medical center centre clinic clinics health healthcare hlth system systems infirmary
    rehabilitation rehab institute campus hosp med ctr regional memorial community general cah llc inc
    """.split()
)
# Shortened words of hospital names that notes use for something else ("colo": colonoscopy).
_SHORTENED = frozenset({"univ", "prov", "colo", "hosp", "regl", "mem", "med", "hlth", "systm", "ctr", "cntr"})
_JOINERS = frozenset({"of", "and", "&", "the"})
_WORD = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]|&")


def _words(name: str) -> list[str]:
    return _WORD.findall(name.lower().replace("’", "'").replace("-", " ").replace("/", " "))


def _bare(word: str) -> str:
    """Without a possessive: "john's" -> "john"."""
    return word[:-2] if word.endswith("'s") else word


def _core(toks: list[str]) -> list[str]:
    """The words before the first head word ("beth israel deaconess" of "... medical center needham"),
    or, where the name starts with one ("hospital of saint raphael"), the words after it."""
    cut = next((i for i, t in enumerate(toks) if t in _HEADS), len(toks))
    core = toks[:cut] if cut else toks[1:]
    start, end = 0, len(core)
    while start < end and core[start] in _GENERIC:
        start += 1
    while end > start and core[end - 1] in _GENERIC:
        end -= 1
    return core[start:end] if end - start <= 4 else []


def _list(filename: str) -> set[str]:
    lines = (HERE / filename).read_text(encoding="utf-8").splitlines()
    return {line.strip().lower() for line in lines if line.strip() and not line.startswith("#")}


def build(cms: Path, out: Path | None = None) -> list[str]:
    with cms.open(encoding="utf-8", newline="") as handle:
        names = [row["Hospital Name"] for row in csv.DictReader(handle)]
    english = _list("english_words.txt") | _list("common_words.txt") | _list("stop_words.txt")
    medical = _list("medical_words.txt") | _list("clinical_abbreviations.txt") | _list("drug_names.txt")
    places = {w for line in _list("us_states.txt") | _list("countries.txt") for w in line.split()}
    cities = {w for line in _list("cities_us.txt") | _list("cities_world.txt") for w in line.split()}
    first = {w.lower() for w in _list("first_names.txt")}
    ordinary = english | medical | places | _GENERIC | first
    cores: set[str] = set()
    words: set[str] = set()
    initials: set[str] = set()
    for name in names:
        toks = _words(name)
        letters = "".join(t[0] for t in toks if t not in _JOINERS and t != "'s")
        if 3 <= len(letters) <= 6:
            initials.add(letters)
        core = _core(toks)
        content = [t for t in core if t not in _JOINERS]
        plain = english | medical | places | _GENERIC
        if len(content) >= 2 and any(_bare(t) not in plain and len(_bare(t)) >= 4 for t in content):
            cores.add(" ".join(core))
        for t in map(_bare, content):
            if len(t) >= 4 and t not in ordinary and t not in cities and t not in _SHORTENED:
                words.add(t)
    lines = [f"name {c}" for c in sorted(cores)] + [f"word {w}" for w in sorted(words)]
    lines += [f"initials {i}" for i in sorted(initials)]
    header = [
        "Generated by build_hospitals.py from the CMS Hospital General Information table (public domain);",
        "see README.md. name: a distinctive multiword core; word: a distinctive word; initials: a name's initials.",
    ]
    target = out or HERE / "hospital_names.txt"
    target.write_text("".join(f"# {c}\n" for c in header) + "\n".join(lines) + "\n", encoding="utf-8")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cms", type=Path, required=True, help="Hospital_General_Information.csv")
    parser.add_argument("--out", type=Path, help="where to write (default: hospital_names.txt here)")
    args = parser.parse_args()
    lines = build(args.cms, args.out)
    print(f"{len(lines)} entries")


if __name__ == "__main__":
    main()
