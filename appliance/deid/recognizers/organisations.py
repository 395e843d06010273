"""Organisations a note names that no head word marks: vendors, agencies, pharmacies, ambulance services
and companies after the word that says what they are ("DME vendor Lincare", "services from Partners
HealthCare at Home", "transported by Boston EMS"), companies by their legal suffix ("Acme Inc"),
hospitals named with a possessive ("to Brigham and Women's"), hospital initials before an emergency
department or clinic ("via BMC ED"). US states are left, as Safe Harbor allows.

Each is a place under Safe Harbor's "geographic subdivisions" or names the patient's providers, so it is
reported as LOCATION.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon, WordClass, normalise, read_list
from appliance.deid.recognizers.base import register, register_refiner
from appliance.deid.recognizers.facilities import FACILITY_HEADS, HEADER_TITLES
from appliance.deid.recognizers.locations import NAME_LIKE, STATE_CODES, STATE_NAMES
from appliance.deid.recognizers.name_rules import MONTH_WORDS, SCIENCE_HEADS
from appliance.deid.recognizers.services import workplace_end
from appliance.deid.spans import LOCATION, NAME, Span
from appliance.deid.text import Document, Shape, Token


def _chain_table() -> dict[str, tuple[tuple[tuple[str, ...], bool], ...]]:
    table: dict[str, list[tuple[tuple[str, ...], bool]]] = {}
    for line in read_list("chains.txt"):
        cued = line.endswith("*")
        parts = tuple(normalise(w) for w in line.rstrip("*").split() if w != "&")
        table.setdefault(parts[0], []).append((parts, cued))
    return {k: tuple(sorted(v, key=lambda o: -len(o[0]))) for k, v in table.items()}


_CHAINS = _chain_table()
_PLACE_WORDS_BEFORE = frozenset({"to", "at", "from", "via", "with", "w/", "by", "thru", "through"})
# The word before an organisation's name that says what it is.
_ORG_CUE = re.compile(
    r"(?i)\b(?:vendor|supplier|agency|pharmacy|hospice|company|employer|contractor|"
    r"(?:services?|equipment|supplies|oxygen|o2|care|nursing|delivery)\s+(?:from|through|via|by|with)|"
    r"(?:work|works|worked|working|employed|job|volunteers?|volunteered|volunteering)\s+"
    r"(?:(?:nights|days|evenings|weekends|part[\s-]time|full[\s-]time|"
    r"(?:1st|2nd|3rd|first|second|third|night|day|evening)\s+shift)\s+)?"
    # a few words of what or when between: "works yard at", "volunteering sat mornings at", "works day labor thru"
    r"(?:(?!(?:at|for|by|with|thru|through|and|but|to|from|in|on|notes?|letters?|forms?|excuse)\b)[a-z][a-z0-9/]*\s+){0,2}"
    r"(?:at|for|by|with|thru|through)(?:\s+the(?=\s))?|"
    r"(?:driver|drives|drove|cook|teacher|cashier|clerk|mechanic|hygienist|janitor|custodian|barista|carrier|"
    r"waitress|waiter|bartender|dishwasher|baker|butcher|machinist|welder|electrician|plumber|carpenter|foreman|"
    r"laborer|labourer|landscaper|receptionist|secretary|accountant|engineer|librarian|hairdresser|stylist|barber|"
    r"manager|supervisor|owner|employee|technician|paraprofessional|professor|coach|chef|server)\s+(?:for|at)"
    r"(?:\s+the(?=\s))?|"
    r"(?:transported|transferred|brought|taken|sent|delivered|shipped|couriered|dispatched)\s+(?:in\s+)?by|"
    r"(?-i:address)\s+of|"
    r"retired\s+from|laid\s+off\s+from|(?:from\s+)?work(?=\s*\()|(?:run|operated|owned|managed)\s+by|"
    r"dme|vna)\b[ \t]*[:(]?[ \t]*"
)
# Legal and service suffixes after a company's name: "Acme Inc", "Harbor Medical LLC", "Boston EMS".
_ORG_SUFFIXES = frozenset(
    {"inc", "llc", "ltd", "corp", "corporation", "gmbh", "plc", "pllc", "llp", "incorporated", "ems", "ambulance"}
    | {"pvt", "pte", "srl", "bv"}
)
# The legal suffixes proper: after any capitalised words they make a company ("Climate Corporation").
_LEGAL_SUFFIXES = frozenset(
    {"inc", "llc", "ltd", "corp", "corporation", "gmbh", "plc", "pllc", "llp", "incorporated"}
    | {"pvt", "pte", "srl", "bv"}
)
# Words a company's name ends in ("Loveland Technologies", "Otc Markets"); like the legal suffixes, they
# count only after a word that says which company (a name, a place, a word no list knows).
_BUSINESS_SUFFIXES = frozenset(
    """
    technologies technology solutions software systems group holdings consulting analytics networks capital
    partners ventures enterprises industries associates markets media logistics resources insight insights
    labs studios communications pharmaceuticals brands interactive innovations dynamics worldwide
    """.split()
)
# The business words that end hardly anything but a company's name: after capitalised plain words too
# ("Tableau Software", "Rapid Cycle Solutions"), as long as none of them is a clinical word.
_PLAIN_BUSINESS_SUFFIXES = frozenset(
    "software solutions technologies analytics ventures holdings consulting enterprises logistics".split()
)
# Words that end an employer's or a shop's name written in one case: "kennebrook paper co", "hale bros".
_TRADE_WORDS = frozenset(
    """
    co company bros brothers sons mill mills paper bakery farm farms market markets foods diner cafe restaurant
    grill pub tavern store stores shop hardware construction masonry landscaping plumbing electric auto motors
    trucking freight lumber quarry cannery fisheries dairy orchards warehouse logistics salon body garage
    elementary academy nursery school dental bank library hotel motel casino gym deli pizza pizzeria kitchen tire
    tires works
    """.split()
)
_CONNECTORS = frozenset({"at", "of", "and", "&", "for"})
# "pastor from X", "priest (name) from X", "her sponsor from X": X is a church, a parish or a group.
_CONGREGATION = re.compile(
    r"(?i)\b(?:pastor|priest|minister|rabbi|imam|deacon|reverend|rev\.|fr\.|father|elders?|sponsor|"
    r"church[ \t]+members?)(?:[ \t]+[^\W\d_][\w'’-]*){0,3}?[ \t]+from[ \t]+"
    r"(?P<org>[^\W\d_][\w'’-]*(?:[ \t]+(?:&[ \t]+)?[^\W\d_][\w'’-]*){0,4})"
)
_CLAUSE_VERBS = frozenset(
    """
    visited visits visiting visit called calls came comes here to in at will is was has and with today brought
    brings prayed prays gave gives stopped stops dropped phoned left stayed sat
    """.split()
)
_CHURCH_WORDS = frozenset(
    "church parish chapel congregation temple synagogue mosque the our her his their aa na".split()
)
# "White, Willis and Hoffman", "owens, duran and oneal": a firm named after three people.
_FIRM = re.compile(
    r"(?<!, )(?<![\w])(?P<a>[^\W\d_]{2,})[ \t]*,[ \t]+(?P<b>[^\W\d_]{2,}),?[ \t]+(?:and|&)[ \t]+(?P<c>[^\W\d_]{2,})\b"
)
_GENERIC = frozenset(
    """
    icu micu sicu ccu nicu picu pacu ed er ew or ir pt ot slp rt snf nh ltc osh pcp md rn np pa
    home house floor unit ward the a an his her their our this that same other new old main local
    """.split()
)
# "to Brigham and Women's", "BRIGHAM AND WOMEN'S": two capitalised words joined by "and", the second
# possessive, as hospitals named after their founders are.
_POSSESSIVE = re.compile(
    r"\b(?P<a>[A-Z][a-z]+|[A-Z]{3,})[ \t]+(?:and|AND|&)[ \t]+(?P<b>[A-Z][a-z]+|[A-Z]{3,})['’][sS]\b"
)
_PLACE_BEFORE = re.compile(r"(?i)\b(?:to|at|from|in|into|via|of)[ \t]+(?:the[ \t]+)?$")
# "via BMC ED", "at NWH clinic": a hospital's initials before its emergency department or a clinic.
_INITIALS_BEFORE_UNIT = re.compile(
    r"(?<![\w/-])(?P<i>[A-Z]{2,5}|[a-z]{3,5})[ \t]+(?:ED|ER|EW|E\.D\.|clinic|Clinic|CLINIC|emergency|EMERGENCY)\b"
)


def _plain_name(words: list[Token]) -> bool:
    """ "Civic Insight", "Compared Care": after a cue that says an organisation follows, two or more
    capitalised words are its name even if every one is an English word; not a service of the hospital
    ("Social Work", "Case Management": clinical vocabulary throughout), nor a generic word or a month."""
    named = [w for w in words if w.norm not in _CONNECTORS]
    return (
        len(named) >= 2
        and all(w.shape is Shape.TITLE and not w.caseless for w in named)
        and not all(w.cls & (WordClass.CLINICAL | WordClass.MEDICAL) for w in named)
        and not any(w.norm in _GENERIC or w.norm in MONTH_WORDS for w in named)
    )


def in_brackets(text: str, start: int) -> bool:
    """True if `start` is inside an open bracket on its line, opened at most 80 characters before."""
    window = text[max(0, start - 80) : start]
    opened = window.rfind("(")
    return opened >= 0 and ")" not in window[opened:] and "\n" not in window[opened:]


class _Organisations:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def find(self, doc: Document) -> Iterator[Span]:
        yield from self._chains(doc)
        yield from self._cued(doc)
        yield from self._suffixed(doc)
        yield from self._possessive(doc)
        yield from self._initials(doc)
        yield from self._firms(doc)
        yield from self._congregations(doc)

    def _chains(self, doc: Document) -> Iterator[Span]:
        """ "rx sent to walgreens", "DAVITA SWANSEA", "works at Market Basket": a chain's branch, with the
        town written right after it when there is one."""
        tokens = doc.tokens
        for i, tok in enumerate(tokens):
            options = _CHAINS.get(tok.norm)
            if not options:
                continue
            for parts, cued in options:
                last = i + len(parts) - 1
                if last >= len(tokens) or tuple(t.norm for t in tokens[i : last + 1]) != parts:
                    continue
                words = tokens[i : last + 1]
                if any(len(doc.text[a.end : b.start]) > 5 for a, b in zip(words, words[1:], strict=False)):
                    continue  # the words of the name, with at most " & " or " and " between them
                placed = i > 0 and tokens[i - 1].norm in _PLACE_WORDS_BEFORE and doc.gap(tokens[i - 1], tok) == " "
                if cued and not placed:
                    continue  # "CVS: RRR", "DCI ON DAY 7": the abbreviation, not the shop
                end = tokens[last].end
                town = tokens[last + 1] if last + 1 < len(tokens) else None
                if (
                    town is not None
                    and doc.gap(tokens[last], town) in (" ", " - ", ", ")
                    and town.cls & WordClass.CITY
                    and town.capitalised
                    and not town.cls & (WordClass.STOP | WordClass.CLINICAL)
                    and town.norm not in STATE_NAMES
                    and town.text not in STATE_CODES
                ):
                    end = town.end  # "WALGREENS MARLBORO": the branch by its town
                yield Span(tok.start, end, LOCATION, "facility", 0.7, "organisation")
                break

    @staticmethod
    def _capitalised_stop(doc: Document, i: int) -> bool:
        """ "works for Us News", "from Can Capital": a stop word capitalised inside a sentence, then
        another capitalised word, opens a name."""
        tokens = doc.tokens
        tok = tokens[i]
        if tok.caseless or tok.sent_start or tok.shape is not Shape.TITLE or i + 1 >= len(tokens):
            return False
        nxt = tokens[i + 1]
        return doc.gap(tok, nxt) == " " and nxt.shape is Shape.TITLE and not nxt.cls & WordClass.STOP

    @staticmethod
    def _naming(tok: Token) -> bool:
        """A word that says *which* organisation: a name, a place, or a word no list knows."""
        if tok.norm in _GENERIC or tok.norm in MONTH_WORDS or tok.norm in HEADER_TITLES:
            return False
        if tok.cls & WordClass.CLINICAL and not tok.cls & NAME_LIKE:
            return False
        return bool(tok.cls & (NAME_LIKE | WordClass.CITY)) or not tok.cls & (WordClass.ENGLISH | WordClass.STOP)

    def _cued(self, doc: Document) -> Iterator[Span]:
        tokens = doc.tokens
        text = doc.text
        cue_ends = {m.end() for m in _ORG_CUE.finditer(text)}  # one pass, not one search per word
        if not cue_ends:
            return
        for i, tok in enumerate(tokens):
            if tok.start not in cue_ends:
                continue
            if tok.norm in _GENERIC or tok.norm in _CONNECTORS:
                continue
            if tok.cls & WordClass.STOP and not self._capitalised_stop(doc, i):
                continue
            if doc.caseless or tok.shape is Shape.LOWER:
                # Lower case or capitals: one word no list knows ("dme vendor lincare contacted").
                if tok.cls == WordClass.NONE and len(tok.norm) >= 4 and tok.norm.isalpha():
                    last = i  # and the plain words after it: "WORKS AT KENNEBROOK PAPER CO"
                    while last + 1 < len(tokens) and last - i < 3 and doc.gap(tokens[last], tokens[last + 1]) == " ":
                        nxt = tokens[last + 1]
                        if nxt.norm not in _TRADE_WORDS and (nxt.cls != WordClass.NONE or not nxt.norm.isalpha()):
                            break
                        last += 1
                    yield Span(tok.start, tokens[last].end, LOCATION, "facility", 0.6, "organisation")
                elif (trade := self._trade_name_end(doc, i)) is not None:
                    yield Span(tok.start, tokens[trade].end, LOCATION, "facility", 0.6, "organisation")
                elif (clause := workplace_end(doc, i, _GENERIC)) is not None:
                    yield Span(tok.start, tokens[clause].end, LOCATION, "facility", 0.6, "organisation")
                continue
            last = i
            while last + 1 < len(tokens) and last - i < 4:
                nxt = tokens[last + 1]
                if doc.gap(tokens[last], nxt) not in (" ", "-", " & "):
                    break
                if nxt.norm in _CONNECTORS and nxt.norm != "&":
                    if last + 2 < len(tokens) and tokens[last + 2].shape in (Shape.TITLE, Shape.UPPER, Shape.MIXED):
                        last += 2
                        continue
                    break
                if nxt.shape not in (Shape.TITLE, Shape.UPPER, Shape.MIXED):
                    break
                last += 1
            words = tokens[i : last + 1]
            if not any(self._naming(w) or w.shape is Shape.MIXED for w in words) and not _plain_name(words):
                continue
            if words[0].shape is Shape.UPPER and words[0].cls & WordClass.CLINICAL and not words[0].cls & NAME_LIKE:
                continue  # "services from PT and OT"
            yield Span(words[0].start, words[-1].end, LOCATION, "facility", 0.7, "organisation")

    def _congregations(self, doc: Document) -> Iterator[Span]:
        """ "PASTOR FROM CORNERSTONE BAPTIST VISITED", "pastor gene from first congregational": the church a
        pastor, priest or sponsor comes from, in any case, up to the verb or the end of the clause."""
        for m in _CONGREGATION.finditer(doc.text):
            words = doc.tokens_in(m.start("org"), m.end("org"))
            cut = next((k for k, w in enumerate(words) if w.norm in _CLAUSE_VERBS), len(words))
            words = words[:cut]
            while words and words[-1].norm in _CONNECTORS:
                words.pop()
            if not words or words[0].norm in _CONNECTORS or words[0].norm in _GENERIC:
                continue
            if any(w.cls & WordClass.STOP and w.norm not in _CONNECTORS or w.norm in MONTH_WORDS for w in words):
                continue
            if all(w.norm in FACILITY_HEADS or w.norm in _CHURCH_WORDS for w in words):
                continue  # "pastor from church", "priest from the parish": which one is not said
            yield Span(words[0].start, words[-1].end, LOCATION, "facility", 0.7, "organisation")

    @staticmethod
    def _trade_name_end(doc: Document, i: int) -> int | None:
        """ "works at pinnacle nail salon", "driver for granite ridge trucking": in one case, two or three
        plain words and then a trade word end a business's name, whatever the words are."""
        tokens = doc.tokens
        if tokens[i].cls & WordClass.CLINICAL and not tokens[i].cls & NAME_LIKE:
            return None
        end = None
        for j in range(i + 1, min(i + 4, len(tokens))):
            tok = tokens[j]
            if doc.gap(tokens[j - 1], tok) != " " or not tok.norm.isalpha() or tok.cls & WordClass.STOP:
                break
            if tok.norm in _TRADE_WORDS:
                end = j if j - i >= 2 else end
        return end  # clinical words may sit inside: "franklin middle school", "bright smile family dental"

    def _suffixed(self, doc: Document) -> Iterator[Span]:
        tokens = doc.tokens
        for i, tok in enumerate(tokens):
            if tok.norm not in _ORG_SUFFIXES and tok.norm not in _BUSINESS_SUFFIXES:
                continue
            if i == 0:
                continue
            legal = tok.norm in _LEGAL_SUFFIXES
            if tok.caseless or tok.shape is Shape.LOWER:
                if legal and doc.caseless:
                    yield from self._caseless_suffixed(doc, i)
                continue
            first = i
            while first > 0 and i - first < 4:
                prev = tokens[first - 1]
                if doc.gap(prev, tokens[first]) not in (" ", ", ", " & ") or prev.shape not in (
                    Shape.TITLE,
                    Shape.UPPER,
                    Shape.MIXED,
                ):
                    break
                if prev.cls & WordClass.STOP or prev.norm in HEADER_TITLES:
                    break
                first -= 1
                if prev.sent_start:
                    break
            words = tokens[first:i]
            if words and in_brackets(doc.text, words[0].start):
                continue  # "(Carl Zeiss Inc)", "(Cyberonics, Inc.)": a maker cited beside a device
            # A legal suffix makes a company of plain words too ("Climate Corporation"), and so do the
            # plainest business words ("Tableau Software"); the others do not ("the Control Group").
            plain = tok.norm in _PLAIN_BUSINESS_SUFFIXES and not any(
                w.cls & WordClass.CLINICAL or w.norm in _GENERIC or w.norm in MONTH_WORDS for w in words
            )
            # "Otc Markets", "Asc Partners": initials written as a word, as company names are, not as
            # clinical shorthand is (in capitals).
            initials = any(
                w.shape is Shape.TITLE and len(w.norm) <= 4 and w.cls & ~WordClass.FREQUENT == WordClass.CLINICAL
                for w in words
            )
            if words and (legal or plain or initials or any(self._naming(w) for w in words)):
                if not any(w.cls & WordClass.CLINICAL and w.shape is Shape.UPPER for w in words):
                    yield Span(words[0].start, tok.end, LOCATION, "facility", 0.7, "organisation")

    def _caseless_suffixed(self, doc: Document, i: int) -> Iterator[Span]:
        """ "stillwater supercomputing inc." in a note all in one case: up to three words before a legal
        suffix, none of them a stop or clinical word."""
        tokens = doc.tokens
        first = i
        while first > 0 and i - first < 3:
            prev = tokens[first - 1]
            if doc.gap(prev, tokens[first]) not in (" ", ", ") or prev.cls & (WordClass.STOP | WordClass.CLINICAL):
                break
            if prev.norm in _GENERIC or prev.norm in MONTH_WORDS or not prev.norm.isalpha():
                break
            first -= 1
        if first < i and in_brackets(doc.text, tokens[first].start):
            return  # "(CYBERONICS, INC.)": a maker cited beside a device
        if first < i and any(self._naming(w) for w in tokens[first:i]):
            yield Span(tokens[first].start, tokens[i].end, LOCATION, "facility", 0.7, "organisation")

    def _possessive(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _POSSESSIVE.finditer(text):
            after = text[m.end() : m.end() + 20].lstrip(" \t")
            word = re.match(r"[^\W\d_]+", after)
            headed = word is not None and word.group().lower() in FACILITY_HEADS
            if not headed and (word is not None and word.group().islower()):
                continue  # "Smith and Jones's study": a possessive before a common noun
            if not headed and not _PLACE_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                continue
            first = doc.tokens[doc.token_index_at(m.start())]
            if first.cls & (WordClass.STOP | WordClass.CLINICAL) or first.norm in MONTH_WORDS:
                continue
            yield Span(m.start(), m.end(), LOCATION, "facility", 0.7, "organisation")

    def _initials(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _INITIALS_BEFORE_UNIT.finditer(text):
            index = doc.token_index_at(m.start("i"))
            if index >= len(doc.tokens):
                continue
            tok = doc.tokens[index]
            if tok.norm in _GENERIC or tok.cls or tok.text in STATE_CODES:
                continue  # "the ICU ED", "ER": units; words any list knows are no initials
            if tok.shape is Shape.LOWER and not doc.caseless:
                continue
            if not _PLACE_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                continue
            yield Span(tok.start, tok.end, LOCATION, "facility", 0.7, "organisation")

    def _firms(self, doc: Document) -> Iterator[Span]:
        """ "White, Willis and Hoffman": three surnames in a list of their own, each one the lists know as a
        surname, at most one of them also a word, all written alike (capitalised, or a note in lower case)."""
        for m in _FIRM.finditer(doc.text):
            words = [doc.tokens[doc.token_index_at(m.start(g))] for g in ("a", "b", "c")]
            if not all(w.cls & WordClass.LAST and not w.cls & (WordClass.STOP | WordClass.CLINICAL) for w in words):
                continue
            if sum(1 for w in words if w.cls & (WordClass.COMMON | WordClass.ENGLISH)) > 1:
                continue
            if sum(1 for w in words if w.cls & WordClass.EPONYM) > 1:
                continue  # "Kaplan, Meier and Cox": methods named after their authors
            after = re.match(r"[ \t]+([^\W\d_]+)", doc.text[m.end() : m.end() + 24])
            if after is not None and after.group(1).lower() in SCIENCE_HEADS:
                continue  # "Kaplan, Meier and Cox models": a method named after its authors
            lower = doc.caseless and all(w.shape is Shape.LOWER for w in words)
            if not lower and not all(w.shape is Shape.TITLE for w in words):
                continue
            yield Span(m.start(), m.end(), NAME, "person", 0.7, "organisation")


@register("organisation", "Vendors, agencies and companies after a cue or a legal suffix; possessive hospital names.")
def _organisations(config: DeidConfig, lexicon: Lexicon) -> _Organisations:
    return _Organisations(lexicon)


# "Abby Holloway of Opencounter", "Amadeo Vitorović from Rapid Cycle Solutions": where a person named in
# full comes from or works, written right after the name.
_AFFILIATION = re.compile(r"[ \t]+(?:from|of|at)[ \t]+(?:the[ \t]+)?(?=[^\W\d_])")
_JOINED = re.compile(r"\.?,?[ \t]+(?:and|&)[ \t]+(?=[^\W\d_])")


class _Affiliation:
    """The organisation or place after a person's full name and "from", "of" or "at": capitalised words
    up to the clause's end, not a month or weekday, a title, a country or state alone (Safe Harbor keeps
    those), nor clinical vocabulary throughout ("Dr. Lee from Cardiology")."""

    def refine(self, doc: Document, spans: list[Span]) -> Iterator[Span]:
        if doc.caseless:
            return
        tokens = doc.tokens
        ends = {s.end: False for s in spans if s.label == NAME and len(doc.tokens_in(s.start, s.end)) >= 2}
        # "Enervee Corporation and Civic Insight": a second company joined to one found by its suffix.
        ends.update({s.end: True for s in spans if s.source == "organisation" and s.label == LOCATION})
        for end, joined in sorted(ends.items()):
            m = (_JOINED if joined else _AFFILIATION).match(doc.text, end)
            if m is None:
                continue
            i = doc.token_index_at(m.end())
            if i >= len(tokens) or tokens[i].start != m.end():
                continue
            words = self._run(doc, i)
            if not words:
                continue
            if joined and not (_plain_name(words) or any(_Organisations._naming(w) for w in words)):
                continue
            named = [w for w in words if w.norm not in _CONNECTORS]
            if any(w.norm in MONTH_WORDS or w.norm in HEADER_TITLES or w.norm in _GENERIC for w in named):
                continue
            if all(w.cls & (WordClass.CLINICAL | WordClass.MEDICAL) for w in named) and (
                named[-1].norm not in _BUSINESS_SUFFIXES and named[-1].norm not in _ORG_SUFFIXES
            ):
                continue
            if all(w.cls & WordClass.COUNTRY for w in named) or " ".join(w.norm for w in named) in STATE_NAMES:
                continue
            if named[0].cls & WordClass.STOP and not _Organisations._capitalised_stop(doc, named[0].index):
                continue
            yield Span(words[0].start, words[-1].end, LOCATION, "facility", 0.65, "affiliation")

    @staticmethod
    def _run(doc: Document, i: int) -> list[Token]:
        """Up to four capitalised words from token `i`, "and", "&" or "of" inside when a capital follows."""
        tokens = doc.tokens
        if tokens[i].shape not in (Shape.TITLE, Shape.UPPER, Shape.MIXED) or tokens[i].caseless:
            return []
        last = i
        while last + 1 < len(tokens) and last - i < 3:
            nxt = tokens[last + 1]
            if doc.gap(tokens[last], nxt) not in (" ", "-", " & "):
                break
            if nxt.norm in _CONNECTORS:
                if last + 2 < len(tokens) and tokens[last + 2].shape in (Shape.TITLE, Shape.UPPER, Shape.MIXED):
                    last += 2
                    continue
                break
            if nxt.shape not in (Shape.TITLE, Shape.UPPER, Shape.MIXED):
                break
            last += 1
        return tokens[i : last + 1]


@register_refiner(
    "affiliation",
    "The organisation or place after a person's full name and 'from', 'of' or 'at'.",
    follows=("name_context", "name_dictionary", "crf"),
)
def _affiliation(config: DeidConfig, lexicon: Lexicon) -> _Affiliation:
    return _Affiliation()
