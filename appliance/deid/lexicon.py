"""The shipped word lists (first names, surnames, cities, ...) and fast per-word lookups.

All lists live under ``appliance/deid/data/`` and are read once per process (`load_lexicon` is
cached), never per note. Lookups take a *normalised* word: lower case, possessive "'s" removed and
apostrophes dropped (the census lists spell O'Brien as OBRIEN).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources

DATA_PACKAGE = "appliance.deid.data"


class WordClass:
    """Bit flags: what the shipped lists say about one normalised word. Several bits may be set.

    Plain ints rather than enum.IntFlag: every token of every note is tested against these, and
    IntFlag arithmetic is an order of magnitude slower.
    """

    NONE = 0
    FIRST = 1  # a first name in the census lists
    LAST = 2  # a surname in the census lists
    COMMON = 4  # also an ordinary English word ("hope", "brown")
    STOP = 8  # never a name without a title or label in front ("will", "may")
    CLINICAL = 16  # clinical vocabulary ("ward", "foley", "lasix")
    EPONYM = 32  # a person's name used for a disease, sign or device ("parkinson")
    EPONYM_ALONE = 64  # an eponym whose possessive alone marks the medical sense ("crohn's")
    CITY = 128  # a one-word city or county name
    ENGLISH = 256  # an English dictionary word (so a capitalised word with no bit at all is unknown)
    COUNTRY = 512  # a one-word country name: not an identifier under Safe Harbor, never a person
    FREQUENT = 1024  # among the commonest first names or surnames (see FREQUENT_FIRST / FREQUENT_LAST)
    MEDICAL = 2048  # a word of medical vocabulary (MeSH): after a surname it makes an eponym ("Barrett metaplasia")


#: Clinical abbreviations in capitals that are never a person's initials ("MD", "ICU", "PRN").
NOT_INITIALS = frozenset(
    """
    MD DO RN NP PA PT OT ED ER OR ICU CT MRI EKG ECG IV IM PO PR SC SQ BID TID QID PRN NPO HS AM PM US UK OK NA ND NKA
    NKDA WNL ROS HPI PMH CC DX TX RX SX HX FX ABG CBC BMP CMP LFT INR PTT TSH EEG EMG ENT GI GU OB HEENT CV CHF COPD
    CAD HTN DM MI CVA TIA DVT PE UTI AKI CKD ESRD SOB CP HR BP RR LE UE RUQ LUQ RLQ LLQ AP PA LL RL LUL RUL LLL RLL NG
    OG ET PEG PICC CVC ABX VS VSS AOX NAD HIV HCV HBV STD STI ASA NPN MICU SICU CCU CSRU NICU PICU PACU TSICU CVICU
    NSICU PGR GF BF
    """.split()
)

#: The days of the week, written out and abbreviated ("Thu 10:17", "mother thurs.", "Monday, 3 March").
WEEKDAYS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed weds thu thur thurs fri sat sun".split()
)


def weekday_word(norm: str) -> bool:
    """A day of the week, or days joined by hyphens ("monday-friday")."""
    return any(part in WEEKDAYS for part in norm.split("-"))

NAME_BITS = WordClass.FIRST | WordClass.LAST
# Words that follow a name in a note written in one case and that the census also lists as surnames:
# what the person did, where they went, and how to reach them.
VERBS_AFTER_NAMES = frozenset(
    """
    brought gave went needs need wants asked came comes left took takes spoke speaks said says told states stated
    reports reported feels felt called calls visited visits home here there via pgr pager bpr beeper ext cell
    also still now then today tonight tomorrow updated aware notified paged works worked working cooks cooked
    drives drove stays stayed helps helped resides resided lives lived visited visiting picking picked agrees
    agreed declined prefers preferred ok okay ok'd cc'd cced req'd mon tue tues wed weds thu thur thurs fri sat sun
    """.split()
)
#: Endings of drug, chemical, anatomical and everyday words, seldom of a place's or a business's name
#: ("betadine", "intracoronary", "formalin"): a word no list knows with one of them is vocabulary.
VOCABULARY_ENDINGS = (
    "ine", "in", "al", "ate", "ide", "ol", "ous", "ic", "itis", "osis", "oma", "emia", "ectomy", "otomy", "ology",
    "ase", "ium", "ity", "ment", "tion", "sion", "ness", "ing", "ed", "ly", "ary", "ive", "ism", "ist",
)
#: How many of the most frequent first names and surnames count as FREQUENT. In capitals a lone name
#: with no context is believed only among these: the long tail of the census lists is full of
#: abbreviations ("ENDO", "LEVO", "RISS", "PAC" are all somebody's surname).
FREQUENT_FIRST = 1200
FREQUENT_LAST = 5000
WordBits = int  # a combination of WordClass bits


def _read_words(filename: str) -> list[str]:
    text = resources.files(DATA_PACKAGE).joinpath(filename).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


_APOSTROPHES = re.compile(r"['’`]")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)


def normalise(word: str) -> str:
    """Lower-case, drop a trailing possessive and inner apostrophes: "O'Brien's" -> "obrien"."""
    return _APOSTROPHES.sub("", _POSSESSIVE.sub("", word)).lower()


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per process
class Lexicon:
    """Read-only word lists. Sequences keep the source order (most frequent first) for surrogates."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    cities: tuple[str, ...]
    classes: dict[str, WordBits] = field(repr=False)
    multiword_cities: dict[str, tuple[tuple[str, ...], ...]] = field(repr=False)
    #: Countries of several words ("united states", "new zealand"), by first word.
    multiword_countries: dict[str, tuple[tuple[str, ...], ...]] = field(repr=False)
    #: Stand-ins for surrogates: frequent entries that are not also English, clinical or stop words.
    surrogate_first: tuple[str, ...] = field(repr=False)
    surrogate_last: tuple[str, ...] = field(repr=False)
    surrogate_cities: tuple[str, ...] = field(repr=False)
    #: Towns abroad of 15,000 or more, one word, by normalised name: places only after a word of place. They
    #: carry no word class, so a name like theirs ("Kemi", "Obi") still reads as a person's.
    towns: frozenset[str] = field(repr=False, default=frozenset())

    def word_class(self, norm: str) -> WordBits:
        bits = self.classes.get(norm)
        if bits is None and not norm.isascii():
            # "Núñez", "Zoë", "Wójcik": the census lists spell names without diacritics.
            bits = self.classes.get(fold_diacritics(norm))
        if bits is None and len(norm) > 3 and norm.endswith("s"):
            # "snfs", "abgs", "plts": the plural of a clinical word is clinical too.
            base = self.classes.get(norm[:-1], WordClass.NONE)
            if base & WordClass.CLINICAL and not base & NAME_BITS:
                bits = WordClass.CLINICAL
        return bits if bits is not None else WordClass.NONE


def fold_diacritics(word: str) -> str:
    """Letters without their accents ("núñez" -> "nunez"; "ł" -> "l")."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_EXTRA_FOLDS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Letters that Unicode does not decompose into a base letter and a mark.
_EXTRA_FOLDS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae"})


_VOCABULARY = ("clinical_abbreviations.txt", "drug_names.txt", "medical_words.txt", "section_headers.txt")
_AMBIGUOUS = WordClass.COMMON | WordClass.STOP | WordClass.CLINICAL | WordClass.EPONYM


_PLAIN_NAME = re.compile(r"[A-Z][A-Za-z'.-]+(?: [A-Z][A-Za-z'.-]+)?")


def _unambiguous(classes: dict[str, WordBits], names: tuple[str, ...], limit: int, also: WordBits) -> tuple[str, ...]:
    """Stand-ins: plain one- or two-word names that no list reads as anything else."""
    bad = _AMBIGUOUS | also
    out = [
        n
        for n in names
        if len(n) > 2 and _PLAIN_NAME.fullmatch(n) and not (classes.get(normalise(n), WordClass.NONE) & bad)
    ]
    return tuple(out[:limit])


@functools.lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Read every shipped list once per process."""
    first = tuple(_read_words("first_names.txt"))
    last = tuple(_read_words("last_names.txt"))
    us_cities = tuple(_read_words("cities_us.txt"))
    cities = us_cities + tuple(_read_words("cities_world.txt"))
    classes: dict[str, WordBits] = {}

    def mark(words: list[str] | tuple[str, ...], bit: WordBits) -> None:
        for word in words:
            key = normalise(word)
            classes[key] = classes.get(key, WordClass.NONE) | bit

    mark(first, WordClass.FIRST)
    mark(last, WordClass.LAST)
    mark(first[:FREQUENT_FIRST], WordClass.FREQUENT)
    mark(last[:FREQUENT_LAST], WordClass.FREQUENT)
    mark(_read_words("english_words.txt"), WordClass.ENGLISH)
    # Given and family names from many countries: names, but, when they are also English words, only
    # with more evidence (as common_words.txt does for the census names).
    for filename, bit in (("world_first_names.txt", WordClass.FIRST), ("world_last_names.txt", WordClass.LAST)):
        for name in _read_words(filename):
            key = normalise(name)
            bits = classes.get(key, WordClass.NONE)
            if bits & WordClass.ENGLISH and not bits & NAME_BITS:
                bits |= WordClass.COMMON
            classes[key] = bits | bit
    mark(_read_words("common_words.txt"), WordClass.COMMON)
    mark(_read_words("stop_words.txt"), WordClass.STOP)
    mark(_read_words("clinical_terms.txt"), WordClass.CLINICAL)
    # Vocabulary built from open lists (abbreviations as written in notes, drug names, MeSH words,
    # section headers). A word that is also among the commonest names ("ed", "max") only becomes
    # ambiguous: it then needs context to be a name, but context still makes it one.
    # MeSH has places among its headings ("Stuttgart", "Montreal"): a place stays a place.
    places = {normalise(c) for c in cities if " " not in c} | {normalise(c) for c in _read_words("countries.txt")}
    for filename in _VOCABULARY:
        for entry in _read_words(filename):
            for word in re.split(r"[\s/]+", entry):
                key = normalise(word)
                if not key or not key.isalpha() or (filename == "medical_words.txt" and key in places):
                    continue
                bits = classes.get(key, WordClass.NONE)
                vocab_bit = WordClass.COMMON if bits & WordClass.FREQUENT else WordClass.CLINICAL
                if filename == "section_headers.txt":
                    vocab_bit = WordClass.COMMON if bits & NAME_BITS else WordClass.CLINICAL
                if filename == "medical_words.txt":
                    vocab_bit |= WordClass.MEDICAL
                classes[key] = bits | vocab_bit
    for word in _read_words("eponyms.txt"):
        bits = WordClass.EPONYM | (WordClass.EPONYM_ALONE if word.endswith("*") else WordClass.NONE)
        mark([word.rstrip("*")], bits)
    multi: dict[str, list[tuple[str, ...]]] = {}
    for city in cities:
        parts = tuple(normalise(p) for p in city.replace("-", " ").split())
        if len(parts) == 1:
            mark(parts, WordClass.CITY)
        elif parts:
            multi.setdefault(parts[0], []).append(parts)
    towns: set[str] = set()
    for town in _read_words("towns_world.txt"):
        parts = tuple(normalise(p) for p in town.replace("-", " ").split())
        if len(parts) == 1:
            towns.add(parts[0])
        elif parts:
            multi.setdefault(parts[0], []).append(parts)
    multiword = {k: tuple(sorted(v, key=len, reverse=True)) for k, v in multi.items()}
    countries: dict[str, list[tuple[str, ...]]] = {}
    for country in _read_words("countries.txt"):
        parts = tuple(normalise(p) for p in country.replace("-", " ").split())
        if len(parts) == 1:
            mark(parts, WordClass.COUNTRY)
        elif parts:
            countries.setdefault(parts[0], []).append(parts)
    return Lexicon(
        first_names=first,
        last_names=last,
        cities=cities,
        classes=classes,
        multiword_cities=multiword,
        multiword_countries={k: tuple(sorted(v, key=len, reverse=True)) for k, v in countries.items()},
        surrogate_first=_unambiguous(classes, first, 1500, WordClass.CITY | WordClass.LAST),
        surrogate_last=_unambiguous(classes, last, 3000, WordClass.CITY | WordClass.FIRST),
        surrogate_cities=_unambiguous(classes, us_cities[:4000], 2500, WordClass.FIRST | WordClass.LAST),
        towns=frozenset(towns),
    )


def read_list(filename: str) -> list[str]:
    """One shipped list by file name (comments and blank lines removed)."""
    return _read_words(filename)
