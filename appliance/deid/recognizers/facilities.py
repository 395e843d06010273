"""Care facilities: hospitals, clinics, nursing homes, named in the note.

Found from their head word ("Hospital", "Clinic", "Nursing Home") walking left over capitalised words,
after movement verbs ("transferred to Holy Cross"), as "St. Name", and at the top of the note as a
letterhead. A name counts only when at least one word says *which* facility ("Mercy Hospital" yes,
"the Community Hospital" no). The refiner finds a facility's distinctive words again in the note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon, WordClass, read_list
from appliance.deid.recognizers.base import register
from appliance.deid.recognizers.facility_patterns import (
    HEAD_FIRST,
    HEAD_FIRST_CAPS,
    LOWER_SAINT,
    MOVEMENT_CUE,
    NOTE_WORDS,
    PLACE_PREPOSITIONS,
    QUALIFIED_HEADS,
    SAINT_PLACE,
    SEGMENT,
    SERVICE_HEADS,
    WARD,
    enclosed_start,
)
from appliance.deid.recognizers.locations import NAME_LIKE
from appliance.deid.recognizers.name_dictionary import language_named
from appliance.deid.recognizers.name_rules import MONTH_WORDS
from appliance.deid.recognizers.rides import booked_companies, unheaded_rides
from appliance.deid.recognizers.services import (
    camel_named,
    care_services,
    cued_headed,
    named_emergency_rooms,
    placement_answers,
    plural_at_town,
    town_departments,
)
from appliance.deid.recognizers.wards import NUMBER_AFTER
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document, Shape, Token


def _facility_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    heads: set[str] = set()
    generic: set[str] = set()
    practices: set[str] = set()
    for line in read_list("facility_words.txt"):
        kind, word = line.split(" ", 1)
        (heads if kind == "head" else practices if kind == "practice" else generic).add(word)
    return frozenset(heads | practices), frozenset(generic), frozenset(practices)


# PRACTICE_HEADS: heads that name a practice by what it does ("Green Mountain Neurology").
FACILITY_HEADS, FACILITY_GENERIC, PRACTICE_HEADS = _facility_words()
# Every word that says what kind of place, head or generic ("Pharmacy", "Dental", "SNF").
_KIND_WORDS = FACILITY_HEADS | FACILITY_GENERIC
CONNECTORS = frozenset({"of", "the", "and", "&", "for"})
# Everyday words that do start facility names ("Good Samaritan", "Our Lady of Lourdes").
# Words of the religious names many hospitals carry ("Sacred Heart", "Good Samaritan", "Holy Cross"):
# they say which facility, though each is an everyday word.
_RELIGIOUS = frozenset(
    {"sacred", "heart", "cross", "spirit", "faith", "hope", "grace", "mercy", "providence", "trinity", "angel"}
    | {"angels", "shepherd", "redeemer", "samaritan", "rosary", "assumption", "resurrection", "holy", "lady"}
)
_NAMING_STOP_WORDS = (
    frozenset({"good", "new", "old", "great", "little", "our", "lady", "holy", "mount", "all"}) | _RELIGIOUS
)
_JOINING_GAPS = frozenset({" ", "-", " & ", "'s ", "’s "})
_FACILITY_WORDS_MAX = 7  # words on either side of the head word; longer runs are headings, not names
_TEST_HEADS = frozenset({"lab", "labs", "laboratory", "laboratories"})
# Heads that are everyday words: the name before them must hold a name, a place or a word no list knows.
_NAMED_HEADS = frozenset(
    {"group", "room", "building", "school", "schools", "academy", "detox", "tavern", "trucking", "distribution"}
    | {"nurses", "bank", "ward", "restaurant", "grill", "grille", "diner", "cafe", "café", "bakery", "motel", "hotel"}
    | {"gym"}
)
SAINTS = frozenset({"st", "saint", "ste", "mt", "mount"})
_MOUNTS = frozenset({"mt", "mount"})


def _describes_next(doc: Document, head: Token) -> bool:
    """True if a word that names a service is followed by a lower-case word that is no function word."""
    nxt = doc.tokens[head.index + 1] if head.index + 1 < len(doc.tokens) else None
    return head.norm in SERVICE_HEADS and nxt is not None and doc.gap(head, nxt) == " " and (
        nxt.shape is Shape.LOWER and not nxt.cls & WordClass.STOP
    )


# Eponymous scores written with their value, as a ward is with its floor.
_SCORES = frozenset("braden morse norton waterlow glasgow apgar caprini wells gleason killip ranson".split())


class _Facility:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def _word_ok(self, tok: Token) -> bool:
        if tok.norm in CONNECTORS:
            return True
        if not tok.capitalised:
            return False
        if tok.caseless and not self._caseless_naming(tok):
            return False  # "A SINGLE URBAN HOSPITAL", "MONTHS HOSPITAL": in capitals, prose before the head
        if tok.cls & WordClass.STOP and tok.norm not in FACILITY_GENERIC and tok.norm not in _NAMING_STOP_WORDS:
            return False
        return True

    @staticmethod
    def _caseless_naming(tok: Token) -> bool:
        """In capitals, a word that can be part of a facility's name: a name, a place, a word no list
        knows, a saint, or a generic facility word ("GENERAL", "MEMORIAL")."""
        if tok.norm in FACILITY_GENERIC or tok.norm in _NAMING_STOP_WORDS or tok.norm in SAINTS:
            return True
        if tok.norm in FACILITY_HEADS:
            return True
        return bool(tok.cls & (NAME_LIKE | WordClass.CITY)) or not tok.cls & (WordClass.ENGLISH | WordClass.CLINICAL)

    def _specific(self, tok: Token) -> bool:
        if tok.norm in _RELIGIOUS:
            return True
        if tok.norm.endswith(("ology", "ologie", "iatry", "iatrics")) or tok.norm in _CARE_SERVICES:
            return False  # "the Neurooncology Clinic", "Geriatrics Clinic": a service, not which facility
        if tok.norm in FACILITY_GENERIC or tok.norm in CONNECTORS or tok.norm in FACILITY_HEADS:
            return False
        if tok.caseless and tok.cls & WordClass.ENGLISH and not tok.cls & (NAME_LIKE | WordClass.CITY):
            return False
        if tok.caseless and tok.cls == WordClass.NONE and len(tok.norm) < 5:
            return False  # "CARDIAC SURG CLINIC", "nwh surgical clinic": short unknown words are abbreviations
        return not (tok.cls & (WordClass.CLINICAL | WordClass.STOP)) or bool(
            tok.cls & NAME_LIKE and tok.shape is Shape.TITLE
        )

    def find(self, doc: Document) -> Iterator[Span]:
        yield from self._headed(doc)
        yield from self._head_first(doc)
        yield from self._cued(doc)
        yield from self._saints(doc)
        yield from self._letterhead(doc)
        yield from self._wards(doc)
        yield from self._generic_tail(doc)
        yield from self._lower_saints(doc)
        yield from care_services(doc, FACILITY_GENERIC)
        yield from camel_named(doc, _KIND_WORDS)
        yield from placement_answers(doc, _KIND_WORDS)
        yield from town_departments(doc)
        yield from cued_headed(doc, FACILITY_GENERIC)
        yield from plural_at_town(doc)
        yield from named_emergency_rooms(doc)
        yield from booked_companies(doc)
        yield from unheaded_rides(doc)

    def _lower_saints(self, doc: Document) -> Iterator[Span]:
        """ "sent from st. brigid's", "to st. michael's (smh)": in a note all in one case, a saint's name
        after "st." is a hospital's when the name is a first name ("st elevation" is no saint)."""
        if not doc.caseless:
            return
        for m in LOWER_SAINT.finditer(doc.text):
            index = doc.token_index_at(m.start("name"))
            if index >= len(doc.tokens):
                continue
            word = doc.tokens[index]
            if not word.cls & WordClass.FIRST or word.cls & (WordClass.CLINICAL | WordClass.STOP):
                continue
            yield Span(m.start(), m.end(), LOCATION, "facility", 0.7, "facility")

    def _generic_tail(self, doc: Document) -> Iterator[Span]:
        """ "Kessler Memorial", "Lakeside Regional", "Dorchester House": a facility named with a generic
        word in place of its head word. The words before must say which hospital (a name, a place or a
        word no list knows), and only a function word may follow in lower case ("Regional anesthesia" is no
        hospital)."""
        tokens = doc.tokens
        for i, tail in enumerate(tokens):
            if tail.norm not in _TAIL_HEADS or i == 0 or not tail.capitalised:
                continue
            if tail.shape is Shape.LOWER and not tail.caseless:
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if (
                nxt is not None
                and doc.gap(tail, nxt) == " "
                and (
                    nxt.shape is Shape.LOWER
                    and len(nxt.norm) > 1
                    and not nxt.cls & WordClass.STOP
                    and (not nxt.caseless or nxt.cls & (WordClass.ENGLISH | WordClass.MEDICAL))
                    or nxt.norm in FACILITY_HEADS
                )
            ):
                continue  # "Regional anesthesia", "general anesthesia"; "Kessler Memorial Hospital" is the head rule's
            first = i
            while first > 0 and i - first < 3:
                prev = tokens[first - 1]
                if doc.gap(prev, tokens[first]) != " " or not prev.capitalised or prev.shape is Shape.MIXED:
                    break
                if prev.cls & WordClass.STOP or prev.norm in HEADER_TITLES:
                    break
                if (
                    prev.caseless
                    and prev.cls & (WordClass.ENGLISH | WordClass.CLINICAL)
                    and not prev.cls & (NAME_LIKE | WordClass.CITY)
                ):
                    break  # "admitted oakhurst general": in one case throughout, the name starts after the verb
                first -= 1
                if prev.sent_start:
                    break
            words = tokens[first:i]
            if not words or all(w.norm in FACILITY_GENERIC for w in words):
                continue  # "a halfway house", "sober house": a kind of place, not one
            after_place = (
                first > 0
                and tokens[first - 1].norm in PLACE_PREPOSITIONS
                and tokens[first - 1].shape is Shape.LOWER
                and not tail.caseless
            )
            if not after_place and (
                any(w.cls & WordClass.CLINICAL for w in words)
                or not any(w.cls & (NAME_LIKE | WordClass.CITY) or w.cls == WordClass.NONE for w in words)
            ):
                continue  # "seen at Mass General": after a preposition of place any capitalised words name it
            if tail.caseless and not any(
                w.cls & (NAME_LIKE | WordClass.CITY) or (w.cls == WordClass.NONE and len(w.norm) >= 5) for w in words
            ):
                continue  # "LAKESHORE REGIONAL": in capitals a name, a place or a longer word no list knows
            yield Span(words[0].start, tail.end, LOCATION, "facility", 0.7, "facility")

    def _wards(self, doc: Document) -> Iterator[Span]:
        """A ward or unit written as a building's name and a floor, in any case: "back to ellison 16",
        "admitted to cardinal cushing 4", "WILL RETURN TO YAWKEY 9", "moved from Wang ACC 6", "Tower 14C".

        After "to", "on", "from", "at", "in" or "(", one to three words then a floor number (one or two
        digits, a letter allowed) that no unit, slash, decimal or further digit follows; at least one word
        must say *which* building: a name or place from the lists, or a capitalised word no list knows
        (5 letters or more), or a capitalised building word ("Tower 14C"); and no word
        may be clinical vocabulary unless it is also a name ("on levo 5", "to micu 3" stay).
        """
        text = doc.text
        for m in WARD.finditer(text):
            words = doc.tokens_in(m.start("name"), m.end("name"))
            if not 1 <= len(words) <= 3 or any(
                w.norm in MONTH_WORDS or w.cls & WordClass.STOP or w.norm in _SCORES for w in words
            ):
                continue  # "(Braden 15)", "to Morse 45": an eponymous score with its value
            if m.group().startswith("(") and not text.startswith(")", m.end()):
                continue  # "(ellison 16)" alone in brackets; "(grado 4 de Fuhrman)" is not a ward
            distinctive = False
            for w in words:
                named = bool(w.cls & (NAME_LIKE | WordClass.CITY)) and not w.cls & WordClass.COMMON
                if w.cls & WordClass.CLINICAL and not w.cls & WordClass.FREQUENT:
                    named = False  # "on levo 5": a drug at its dose; LEVO is only a rare surname
                generic = w.norm in FACILITY_GENERIC and w.shape is not Shape.LOWER  # "Children's Pavilion 6"
                if not named and not generic and w.cls & (WordClass.CLINICAL | WordClass.COUNTRY) and not distinctive:
                    break  # "on levo 5", "to micu 3"; a unit after the building is fine ("Wang ACC 6")
                unknown = w.cls == WordClass.NONE and len(w.norm) >= 5 and w.shape in (Shape.TITLE, Shape.UPPER)
                building = w.norm in _BUILDINGS and w.shape is not Shape.LOWER and not w.caseless
                if named or unknown or building:
                    distinctive = True
            else:
                if distinctive and words[0].norm not in HEADER_TITLES:
                    yield Span(words[0].start, m.end(), LOCATION, "facility", 0.7, "facility")

    def _head_first(self, doc: Document) -> Iterator[Span]:
        """ "Hospital Santa Luzia", "Clinique des Tilleuls", "Klinikum Rechts der Isar": the head word
        first, as many languages write it, then the capitalised words that name it; in capitals only with
        the particle after the head ("HOSPITAL DO DIVINO ESPÍRITO SANTO")."""
        for m in HEAD_FIRST_CAPS.finditer(doc.text):
            words = doc.tokens_in(m.start("name"), m.end("name"))
            kept = 0
            for w in words:
                if w.cls & (WordClass.STOP | WordClass.CLINICAL) or (
                    w.cls & WordClass.ENGLISH and not w.cls & (NAME_LIKE | WordClass.CITY)
                ):
                    break  # "... SANTO FOR FOLLOW-UP": the name ends before everyday words
                kept += 1
            if kept:
                yield Span(m.start(), words[kept - 1].end, LOCATION, "facility", 0.8, "facility")
        for m in HEAD_FIRST.finditer(doc.text):
            words = doc.tokens_in(m.start("name"), m.end("name"))
            if words and words[0].cls & WordClass.ENGLISH and not words[0].cls & (NAME_LIKE | WordClass.CITY):
                continue  # "Hospital Course:", "Hospital Day 3": a heading, not a facility
            if doc.text.startswith(":", m.end()) and words and words[0].cls & WordClass.ENGLISH:
                continue  # "Hospital Course:" even where "Course" is also a surname
            if words and any(self._specific(w) for w in words):
                yield Span(m.start(), m.end(), LOCATION, "facility", 0.8, "facility")

    def _letterhead(self, doc: Document) -> Iterator[Span]:
        """The facility's name at the top of a note: alone on the first line ("Holy Cross"), or as one
        part of a title line ("PROGRESS NOTE - HD#4 - Riverbend")."""
        text = doc.text
        pos = 0
        seen_lines = 0
        while pos < len(text) and seen_lines < 3:
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            line = text[pos:end]
            if line.strip() and len(line) <= 200:  # a letterhead line is short
                parts = [(m.start() + pos, m.end() + pos) for m in SEGMENT.finditer(line)]
                if len(parts) > 1 or seen_lines == 0:
                    for start, stop in parts:
                        span = self._letterhead_part(doc, start, stop)
                        if span is not None:
                            yield span
                seen_lines += 1
            pos = end + 1

    def _letterhead_part(self, doc: Document, start: int, stop: int) -> Span | None:
        segment = doc.text[start:stop]
        if not segment.strip() or any(ch.isdigit() or ch in ":#/&" for ch in segment):
            return None
        words = doc.tokens_in(start, stop)
        if not 1 <= len(words) <= 5 or any(not w.capitalised or w.shape is Shape.MIXED for w in words):
            return None
        if any(w.norm in NOTE_WORDS or w.cls & WordClass.CLINICAL for w in words):
            return None
        if any(
            w.caseless and not w.cls & (NAME_LIKE | WordClass.CITY) and (w.cls & WordClass.ENGLISH or len(w.norm) <= 3)
            for w in words
        ):
            return None  # "REFERRAL FORM", "NPN": a heading in capitals
        if not any(self._specific(w) for w in words):
            return None
        return Span(words[0].start, words[-1].end, LOCATION, "facility", 0.6, "facility")

    def _headed(self, doc: Document) -> Iterator[Span]:
        tokens = doc.tokens
        for i, head in enumerate(tokens):
            if (head.norm not in FACILITY_HEADS and head.norm not in QUALIFIED_HEADS) or not head.capitalised:
                continue
            if head.shape is Shape.UPPER and not head.caseless and len(head.norm) <= 3 and head.norm != "va":
                continue
            if head.caseless and head.norm in _TEST_HEADS:
                continue  # "DIC LABS SENT", "AM LAB": in capitals, labs are tests, not a laboratory
            if head.norm in _NAMED_HEADS and head.shape is Shape.LOWER:
                continue  # "the riff and building energy", "the upper caliceal group": in lower case, words
            qualifiers = QUALIFIED_HEADS.get(head.norm)
            if qualifiers and (i == 0 or tokens[i - 1].norm not in qualifiers):
                continue
            if qualifiers is not None and not qualifiers and (head.caseless or head.shape is not Shape.TITLE):
                continue  # "Eastside Pediatrics" is a practice; "PEDIATRICS" in capitals is a service
            if qualifiers is not None and not qualifiers and _describes_next(doc, head):
                continue  # "Routine Dental care": a word describing the next
            first = i
            while first > 0 and i - first < _FACILITY_WORDS_MAX:
                prev = tokens[first - 1]
                gap = doc.gap(prev, tokens[first])
                if gap not in _JOINING_GAPS and not (gap in (". ", ".") and prev.norm in SAINTS):
                    break
                if not self._word_ok(prev) or (prev.sent_start and prev.norm in CONNECTORS):
                    break
                first -= 1
                if prev.sent_start:
                    break
            if head.caseless:
                first = enclosed_start(doc, first)
            while first < i and tokens[first].norm in CONNECTORS:
                first += 1
            last = i
            # "Hospital of the University of Pennsylvania": follow "of" + capitalised words.
            while (
                last + 2 < len(tokens)
                and tokens[last + 1].norm == "of"
                and doc.gap(tokens[last], tokens[last + 1]) == " "
            ):
                k = last + 2
                if tokens[k].norm == "the" and k + 1 < len(tokens):
                    k += 1
                if tokens[k].capitalised and tokens[k].shape is not Shape.LOWER and not tokens[k].cls & WordClass.STOP:
                    last = k
                else:
                    break
            words = tokens[first : last + 1]
            if head.norm in _NAMED_HEADS and not any(
                t.cls & (NAME_LIKE | WordClass.CITY) and not t.cls & WordClass.COMMON or t.cls == WordClass.NONE
                for t in words
                if t is not head
            ):
                continue  # "Holden Pediatric Group" is a practice; "AGE GROUP", "Support Group" are not
            if head.norm in PRACTICE_HEADS and (
                head.caseless or any(t.cls & (WordClass.MEDICAL | WordClass.CLINICAL) for t in words if t is not head)
            ):
                continue  # "Green Mountain Neurology" is a practice; "Magnetic Resonance Imaging" is not
            specific = [t for t in words if t is not head and self._specific(t)]
            if any(t.norm in _CARE_SERVICES for t in words) and all(t.norm in _RELIGIOUS for t in specific):
                continue  # "Heart Failure Clinic": "heart" names a service here, not the Sacred Heart
            if not specific:
                if last == i and _named_by_generic_words(doc, first, i):
                    yield Span(tokens[first].start, head.end, LOCATION, "facility", 0.7, "facility")
                continue
            yield Span(tokens[first].start, tokens[last].end, LOCATION, "facility", 0.85, "facility")

    def _cued(self, doc: Document) -> Iterator[Span]:
        tokens = doc.tokens
        for i, tok in enumerate(tokens):
            if tok.caseless or tok.shape is not Shape.TITLE or tok.sent_start:
                continue
            if not MOVEMENT_CUE.search(doc.text, max(0, tok.start - 40), tok.start):
                continue
            last = i
            while last + 1 < len(tokens) and last - i < 3:
                nxt = tokens[last + 1]
                if doc.gap(tokens[last], nxt) not in (" ", "-") or nxt.shape is not Shape.TITLE:
                    break
                last += 1
            words = tokens[i : last + 1]
            if words[-1].norm in _ROOM_WORDS:
                continue  # "brought to the Operating Room": a room of this hospital
            while words and not self._specific(words[-1]) and words[-1].norm not in FACILITY_HEADS:
                words = words[:-1]
            if not words or not any(self._specific(t) for t in words):
                continue
            if words[0].norm in HEADER_TITLES or any(
                t.cls & WordClass.CLINICAL and not t.cls & NAME_LIKE for t in words
            ):
                continue
            if len(words) == 1 and language_named(doc, words[0]):
                continue  # "sent in English and Portuguese": languages, not a place
            floor = FLOOR_AFTER.match(doc.text, words[-1].end)  # "from Overlook 4": the ward with its floor
            yield Span(words[0].start, floor.end() if floor else words[-1].end, LOCATION, "facility", 0.7, "facility")

    def _saints(self, doc: Document) -> Iterator[Span]:
        for m in SAINT_PLACE.finditer(doc.text):
            before = doc.token_index_at(m.start()) - 1
            if (
                before >= 0
                and doc.tokens[before].cls & WordClass.FIRST
                and doc.gap(doc.tokens[before], doc.tokens[before + 1]) == " "
            ):
                continue  # "Rod St. Clair": a surname, left to the name recognizers
            name = m.group("name")
            index = doc.token_index_at(m.start("name"))
            if index < len(doc.tokens) and doc.tokens[index].caseless:
                # "ST WITH PVCS", "ST ELEVATION": in capitals ST is sinus tachycardia unless a saint's
                # name follows (a first name, or a word no list knows).
                word = doc.tokens[index]
                if word.cls & (WordClass.STOP | WordClass.CLINICAL) or (
                    word.cls & WordClass.ENGLISH and not word.cls & WordClass.FIRST
                ):
                    continue
            if m.group("saint").lower() in _MOUNTS:
                word = doc.tokens[index]
                if word.sent_start or word.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.COMMON):
                    continue  # "Mount Sinai", "Mt. Auburn"; not "Mount the bag", "MT ABOVE"
                if doc.tokens[index - 1].sent_start and m.group("saint").lower() == "mount":
                    continue  # "Mount Everest" opens a sentence as often as "Mount X-ray films"
            caseless_saint = m.group("saint").isupper() and len(m.group("saint")) > 1
            if caseless_saint != name.isupper() and len(name) > 1:
                continue  # "ST. Brendan" / "St. BRENDAN": mixed forms are abbreviations, not names
            floor = NUMBER_AFTER.match(doc.text, m.end("name"))
            end = floor.end() if floor is not None and floor.group("n")[0].isdigit() else m.end("name")
            yield Span(m.start(), end, LOCATION, "facility", 0.7, "facility")  # "ST. BRIGID 4": its floor too


def _named_by_generic_words(doc: Document, first: int, head: int) -> bool:
    """ "admitted to City Hospital", "seen at Memorial Clinic", "at Central Health": generic words in
    capitals, then the head word, right after a preposition of place with no article, name one
    facility ("the Community Hospital" and "a county hospital" name none)."""
    tokens = doc.tokens
    if first == 0 or head - first < 1 or tokens[head].norm not in _GENERIC_NAMED_HEADS:
        return False
    words = tokens[first : head + 1]
    if any(w.caseless or w.shape is not Shape.TITLE or w.sent_start for w in words):
        return False
    if any(w.norm not in FACILITY_GENERIC and w.norm not in FACILITY_HEADS for w in words[:-1]):
        return False
    if any(w.norm in CONNECTORS or w.norm in _CARE_SERVICES for w in words):
        return False  # "at Heart Failure Clinic", "Anticoag Clinic": a service every hospital runs
    prev = tokens[first - 1]
    return prev.norm in PLACE_PREPOSITIONS and prev.shape is Shape.LOWER and doc.gap(prev, words[0]) == " "


# What a clinic treats, which says what kind of clinic, not which: "Heart Failure Clinic", "anticoag clinic".
_CARE_SERVICES = frozenset(
    "failure anticoag anticoagulation coumadin warfarin inr palliative lipid hypertension transplant continence "
    "falls fracture osteoporosis".split()
)
# Heads a name of generic words can close, and the prepositions that make such words a name.
_GENERIC_NAMED_HEADS = frozenset({"hospital", "clinic", "center", "centre", "health", "healthcare", "infirmary"})
HEADER_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "prof"})
# Generic words that stand for the head word in many hospitals' short names.
_TAIL_HEADS = frozenset(
    {"memorial", "regional", "general", "house", "community", "mem", "gen", "reg'l", "regl"}
)
# Words that name a building of a hospital when a floor follows ("Tower 14C", "Pavilion 6").
_BUILDINGS = frozenset({"tower", "pavilion", "building", "wing"})
# A ward's floor right after its name: "Overlook 4", "Hale 8", "Pellham 2B"; not a dose, a count or a time.
FLOOR_AFTER = re.compile(
    r"[ \t]+\d{1,2}[A-Za-z]?(?![\w/:%.,-]\d|[\w/:%-]|[ \t]*(?:mg|mcg|ml|cc|units?|%|x\b|hrs?|min|days?|wks?|am|pm))"
)
_ROOM_WORDS = frozenset({"room", "rooms", "suite", "theatre", "theater", "department", "unit", "bay", "area"})


@register("facility", "Hospitals, clinics, nursing homes and other care facilities named by a head word.")
def _facility(config: DeidConfig, lexicon: Lexicon) -> _Facility:
    return _Facility(lexicon)
