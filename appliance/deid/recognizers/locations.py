"""Places smaller than a state: street addresses, ZIP codes, cities and counties.

States themselves are allowed by Safe Harbor and are never flagged; they serve as cues ("Boston, MA",
"MA 02115"). Care facilities are in facilities.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.dates import MONTH_RE
from appliance.deid.lexicon import Lexicon, WordClass, normalise, read_list
from appliance.deid.recognizers.base import register
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document, Shape, Token

_STATES = [line.split(" ", 1) for line in read_list("us_states.txt")]
STATE_CODES = frozenset(code for code, _ in _STATES)
STATE_NAMES = frozenset(name.lower() for _, name in _STATES)
_STATE_RE = "|".join(sorted((re.escape(n) for _, n in _STATES), key=len, reverse=True))
_CODE_RE = "|".join(sorted(STATE_CODES))

STREET_SUFFIXES = [w for line in read_list("street_suffixes.txt") for w in line.split()]
_SUFFIX_RE = "|".join(sorted((re.escape(w) for w in STREET_SUFFIXES), key=len, reverse=True))
_DIRECTION = r"(?:[NSEW]|North|South|East|West|NE|NW|SE|SW)\.?"
_STREET = re.compile(
    r"(?i)(?<![\w.,/-])(?P<num>\d{1,6}[A-Za-z]?(?:-\d{1,4})?)[ \t]+(?:" + _DIRECTION + r"[ \t]+)?"
    r"(?P<name>(?:[A-Za-z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th))(?:[ \t]+[A-Za-z][A-Za-z'.-]*){0,3}?)[ \t]+"
    r"(?P<suffix>" + _SUFFIX_RE + r")\b\.?(?:[ \t]+" + _DIRECTION + r"(?![\w]))?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Bldg|Building|Lot|Space|#)\.?\s*#?\s*[A-Za-z0-9-]{1,6}\b)?"
)
# A second street word and the unit after the shortest street match ("Birch Hill" + " Rd, Apt 3B").
_STREET_TAIL = re.compile(
    r"(?i)(?:[ \t]+(?:" + _SUFFIX_RE + r")\b\.?)?"
    r"(?:,?[ \t]*(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Bldg|Building|Lot|Space|Flat|Box|#)\.?[ \t]*#?[ \t]*"
    r"[A-Za-z0-9-]{1,6}\b|,?[ \t]*\d{1,2}(?:st|nd|rd|th)[ \t]+(?:Floor|Fl\b\.?)(?:[ \t]+(?:rear|front|back)\b)?)?"
)
_TOWN_AFTER_LOWER = re.compile(r",[ \t]*(?P<town>[a-z][a-z'.-]+(?:[ \t][a-z][a-z'.-]+)?)(?=[,.;\n]|$)")
_TOWN_AFTER = re.compile(r",[ \t]*(?P<town>[A-Z][A-Za-z'.-]+(?:[ \t][A-Z][A-Za-z'.-]+){0,2})")
# A house number on a numbered road: "880 Route 9W", "1187 county rd 9", "45 State Route 17".
_ROUTE_ADDRESS = re.compile(
    r"(?i)(?<![\w.,/-])\d{2,6}[ \t]+(?:(?:state|us|county|co\.?|old|rural|farm|provincial)[ \t]+)?"
    r"(?:route|rte\.?|highway|hwy\.?|(?<=county )road|(?<=county )rd\.?)[ \t]+\d{1,4}[a-z]?\b"
)
# A unit written before the street's number: "Level 1, 412 Sydney Road", "Flat 3, 22 Marlow Street".
_UNIT_BEFORE = re.compile(
    r"(?i)\b(?:level|floor|unit|suite|flat|apt|apartment|shop|office)\.?[ \t]+[0-9]{1,4}[A-Za-z]?[ \t]*,[ \t]*$"
)
_PO_BOX = re.compile(r"(?i)\b(?:P\.?\s?O\.?\s*Box|Post\s+Office\s+Box)\s*#?\s*\d+")
_ZIP = re.compile(r"(?<![\w-])(?P<zip>\d{5})(?P<plus>-\d{4})?(?![\w-])")
_ZIP_CUE = re.compile(
    r"(?:\b(?:"
    + _CODE_RE
    + r")|(?i:\b(?:"
    + _STATE_RE
    + r"))|(?i:\bzip(?:\s*code)?(?:\s+is)?|\bpostal(?:\s+code)?(?:\s+is)?))\.?,?\s*[:#]?\s*$"
)
# "Finland 80896", "Spain 16200": a postcode written after the country at an address's end. Four to six
# digits, not a year, and nothing but punctuation or the line's end after it.
_POSTCODE_AFTER_COUNTRY = re.compile(r"(?<=[^\W\d_])[ \t]+(?P<code>\d{4,6})(?=[ \t]*(?:[.,;?!)]|$))", re.MULTILINE)
# ", MA 02115" / ", Illinois": the city is the capitalised words right before the comma.
_COMMA_STATE = re.compile(
    r",[ \t]*(?P<state>(?:" + _CODE_RE + r")\b|(?i:" + _STATE_RE + r")\b)(?P<zip>[ \t]+\d{5}(?:-\d{4})?)?"
)
_CITY_CUE = re.compile(
    r"(?i)(?:\b(?:in|from|to|near|at|of|lives|living|resides|residing|resident|moved|visiting|visited|born|"
    r"travel(?:l?ed)?|trip|vacation|outside|downtown|city|town|hometown|relocated)|city\s*:|address\s*:)\s*$"
)
# The cues a town in capitals needs when it is also a surname ("MVC IN WATERBURY", not "LIGAMENT OF STRUTHERS").
_MOVE_CUE = re.compile(r"(?i)\b(?:in|from|to|near)\s*$")
# For a city name that is also a word or a name ("Mobile", "Hope", "Jackson"), only these will do.
_STRONG_CITY_CUE = re.compile(
    r"(?i)(?:\b(?:from|(?:lives|living|lived)(?:\s+(?:alone|independently|(?:with|w/)\s*(?:\w+\s+)?\w+))?\s+in|"
    r"(?:apt|apartment|condo|house|trailer|home)\s+in|resides\s+in|residing\s+in|resident\s+of|moved\s+to|moved\s+from|"
    r"born\s+in|visiting|travel(?:l?ed)?\s+to|hometown\s+of|native\s+of|relocated\s+to)|city\s*:|address\s*:)\s*$"
)
# "our Dallas clinic", "the Austin office": a town named before the kind of site it is.
_FACILITY_AFTER = re.compile(
    r"[ \t]+(?:clinic|hospital|branch|office|campus|site|practice|(?:medical|health)[ \t]+cent(?:er|re))\b"
)
_CITY_WORD_AFTER = re.compile(r"[ \t]+City\b")
STATE_NAME = re.compile(r"\b(?:" + _STATE_RE + r")\b", re.IGNORECASE)
STATE_FIRST_WORDS = frozenset(name.split()[0].lower() for _, name in _STATES)
DOSE_OF = re.compile(r"(?i)\d\s*(?:cc|ml|l|mg|mcg|g|units?|vials?|amps?)\s+of\s+$")
_STATE_AFTER = re.compile(r",\s*(?:" + _CODE_RE + r")\b")
_CREDENTIAL_STATES = frozenset({"MD", "PA", "ME", "MS", "DO", "NP"})
_COUNTY = re.compile(r"\b(?P<name>(?:[A-Z][a-z]+\s){1,2})(?:County|Parish|Borough)\b")
# A Philippine barangay (a village or a town's ward) with its name: "Brgy. San Roque", "BRGY. MALINTA BAGO".
_BARANGAY = re.compile(
    r"\b(?i:brgy|bgy|barangay)\.?[ \t]+(?P<name>[A-ZÑ][\w'’.-]*(?:[ \t]+[A-ZÑ0-9][\w'’.-]*){0,2})"
)
NAME_LIKE = WordClass.FIRST | WordClass.LAST
_MONTH_WORD = re.compile(r"(?i)" + MONTH_RE)
_NOT_STREET = frozenset(
    {"by", "of", "at", "to", "in", "on", "with", "for", "and", "the", "was", "is", "x", "per", "q", "a", "an"}
    | {"minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years"}
)
_NOT_PLACE = WordClass.STOP | WordClass.CLINICAL
# Ordinals name streets ("Fourth Avenue", "first st") though the clinical lists hold them ("fourth ventricle").
_ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth".split())


# "233 Erzsébet tér 19.", "846 31 Rue ...": a building or postcode number written before the street's own.
# Only at a line's start or after a word that introduces a place ("lives at 846 31 Rue ...").
_LEADING_NUMBER = re.compile(r"(?<![\w.,:/-])\d{1,5}[ \t]+$")
_BEFORE_LEADING = re.compile(r"(?:^|[\n>:]|(?i:\b(?:at|to|is|in|address))[ \t])[ \t]*$")


def leading_number(text: str, start: int) -> int:
    """Where an address that starts at `start` really starts, taking a bare number right before it."""
    lead = _LEADING_NUMBER.search(text, max(0, start - 8), start)
    if lead is None or not _BEFORE_LEADING.search(text, max(0, lead.start() - 10), lead.start()):
        return start
    return lead.start()


# ", mohács, hungary 24743", ", Sé, Portugal": the town, region and country written after a street on the
# same line, each after a comma, maybe a postcode after the last.
_PLACE_AFTER_COMMA = re.compile(r",[ \t]*(?P<place>[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){0,2})")
_CODE_AFTER = re.compile(r"[ \t]+\d{4,6}(?![\w/:.,-]*\d)")


def places_after(doc: Document, end: int) -> int:
    """Where an address that ends at `end` really ends: up to three places after commas on the same line
    ("..., Mohács, Hungary 24743"), each a town, a country, a state or a word no list knows as an ordinary
    one. The end is unchanged when nothing fits."""
    text = doc.text
    for _ in range(3):
        m = _PLACE_AFTER_COMMA.match(text, end)
        if m is None:
            break
        words = doc.tokens_in(m.start("place"), m.end("place"))
        if not words or not all(_place_word(w) for w in words):
            break
        if " ".join(w.norm for w in words) in STATE_NAMES or m.group("place") in STATE_CODES:
            break  # a US state: Safe Harbor keeps it, and the ZIP after it is found on its own
        if words[0].shape is Shape.LOWER and not words[0].caseless:
            break  # ", then ...": a clause goes on in a normally written line
        end = words[-1].end
        code = _CODE_AFTER.match(text, end)
        if code is not None:
            return code.end()
    return end


def _place_word(w: Token) -> bool:
    if w.cls & (WordClass.CITY | WordClass.COUNTRY) or w.norm in STATE_FIRST_WORDS:
        return True  # "New" of "New Zealand", "South" of "South Africa"
    if w.cls & WordClass.STOP or len(w.norm) < 2:
        return False
    return bool(w.cls & NAME_LIKE) or not w.cls & (WordClass.CLINICAL | WordClass.ENGLISH | WordClass.COMMON)


class _StreetAddress:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _STREET.finditer(text):
            words = [normalise(w) for w in re.findall(r"(?<![0-9A-Za-z'-])[A-Za-z][A-Za-z'-]*", m.group("name"))]
            if any(
                w in _NOT_STREET or (self.lexicon.word_class(w) & WordClass.CLINICAL and w not in _ORDINALS)
                for w in words
            ):
                continue  # "5 MG BY DR", "2 TABS AT HS"
            if m.group("name").endswith(".") and _MONTH_WORD.fullmatch(m.group("name")[:-1]):
                continue  # "seen 12 June. Dr. Alvarez": a date ends its sentence, a title starts the next
            if m.group("suffix").lower() == "ct" and any(self.lexicon.word_class(w) & WordClass.MEDICAL for w in words):
                continue  # "24H HEAD CT": a scan of a part of the body, not a court
            tokens = doc.tokens_in(m.start("name"), m.end("suffix"))
            if (
                tokens
                and not tokens[0].caseless
                and any(t.shape is Shape.LOWER and not text[t.start - 1].isdigit() for t in tokens)
            ):
                continue  # "5 mg by Dr": street names are capitalised in a normal line
            tail = _STREET_TAIL.match(text, m.end())
            street_end = tail.end() if tail and tail.end() > m.end() else m.end()
            end = places_after(doc, street_end)
            start = leading_number(text, m.start())
            unit = _UNIT_BEFORE.search(text, max(text.rfind("\n", 0, start) + 1, start - 24), start)
            yield Span(unit.start() if unit else start, end, LOCATION, "street", 0.9, "street_address")
            if end == street_end:
                yield from town_after(doc, end)
        for m in _PO_BOX.finditer(text):
            yield Span(m.start(), m.end(), LOCATION, "street", 0.95, "street_address")
            yield from town_after(doc, m.end())
        for m in _ROUTE_ADDRESS.finditer(text):
            tail = _STREET_TAIL.match(text, m.end())
            end = places_after(doc, tail.end() if tail else m.end())
            yield Span(m.start(), end, LOCATION, "street", 0.85, "street_address")


def known_city(lexicon: Lexicon, tokens: list[Token]) -> bool:
    """True if the words are a town of the shipped lists: one word marked as a city, or a listed multiword one."""
    if len(tokens) == 1:
        return bool(tokens[0].cls & WordClass.CITY)
    options = lexicon.multiword_cities.get(tokens[0].norm, ())
    return tuple(t.norm for t in tokens) in options


# ", ID 83301", ", me.": a state's code after a town, then a ZIP code or the end of the clause.
STATE_CODE_AFTER = re.compile(
    r"(?P<sep>,?[ \t]*)(?P<state>[A-Za-z]{2})\b(?=(?P<zip>[ \t]+\d{5}(?:-\d{4})?\b)|[ \t]*(?:[.,;)\n]|$))"
)
_SENTENCE_END_IN_TOWN = re.compile(r"[^\W\d_]{3}\.[ \t]")
COMPASS_ABBREVIATIONS = frozenset({"n", "s", "e", "w", "no", "so"})


def town_after(doc: Document, end: int) -> Iterator[Span]:
    """ "48 Birch Hill Rd, Apt 3B, Medford": the town written right after a street line."""
    m = _TOWN_AFTER.match(doc.text, end)
    if m is None and doc.caseless:
        m = _TOWN_AFTER_LOWER.match(doc.text, end)  # "47 pleasant st, malden" in a lower-case note
    if m is None:
        return
    town_end = m.end("town")
    stop = _SENTENCE_END_IN_TOWN.search(doc.text, m.start("town"), town_end)
    if stop is not None:
        town_end = stop.start() + 3  # "CONGRESS ST, BROCKTEN. SW TO F/U": the town ends with the sentence
    words = doc.tokens_in(m.start("town"), town_end)
    if len(words) > 1 and words[0].norm in COMPASS_ABBREVIATIONS and doc.text.startswith(".", words[0].end):
        words = words[1:]  # "n. andover", "So. Boston": the compass point of the town's name
    if not words or any(w.cls & (WordClass.STOP | WordClass.CLINICAL) for w in words):
        return
    everyday = any(w.caseless and w.cls & WordClass.ENGLISH and not w.cls & (NAME_LIKE | WordClass.CITY) for w in words)
    state = STATE_CODE_AFTER.match(doc.text, town_end)
    if everyday and (state is None or state.group("state").upper() not in STATE_CODES):
        return  # "LIVES ON ELM ST, ALONE.": in one case, an everyday word is no town unless a state follows
    if " ".join(w.norm for w in words) in STATE_NAMES or m.group("town") in STATE_CODES:
        return
    end = town_end
    if doc.text[end - 1] == "." and len(words[-1].norm) > 2:
        end -= 1  # "..., E. Bridgewater.": the sentence's full stop
    yield Span(m.start("town"), end, LOCATION, "city", 0.8, "street_address")


class _ZipCode:
    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _ZIP.finditer(text):
            line_start = text.rfind("\n", 0, m.start()) + 1
            before = text[max(line_start, m.start() - 40) : m.start()]
            if _ZIP_CUE.search(before):
                yield Span(m.start(), m.end(), LOCATION, "zip", 0.9, "zip_code")
            elif m.group("plus"):
                yield Span(m.start(), m.end(), LOCATION, "zip", 0.7, "zip_code")
        for m in _POSTCODE_AFTER_COUNTRY.finditer(text):
            code = m.group("code")
            if len(code) == 4 and 1800 <= int(code) <= 2099:
                continue  # "Spain 2019": a year
            index = doc.token_index_at(m.start()) - 1
            if index >= 0 and doc.tokens[index].cls & WordClass.COUNTRY:
                yield Span(m.start("code"), m.end("code"), LOCATION, "zip", 0.8, "zip_code")


# Towns named with their river or coast: "Newcastle upon Tyne", "Frankfurt am Main", "Halle an der Saale",
# "Stratford-upon-Avon", "Southend-on-Sea", "Boulogne-sur-Mer"; in capitals only with "upon", "sur",
# "an der" or hyphens ("DUE AM LABS" is the morning's labs).
_RIVER_TOWN = re.compile(
    r"\b(?P<a>[A-Z][a-zà-ÿ'’]{2,}|[A-Z]{3,})"
    r"(?:[ \t]+(?:upon|am|an[ \t]+der|sur|UPON|AN[ \t]+DER|SUR)[ \t]+"
    r"|-(?:upon|on|sur|en|le|la|sous|am|UPON|ON|SUR|EN)-)"
    r"(?P<b>[A-Z][\w'’]{2,})"
)


# A form's state field, opening a line or a column: "City: Chicago   State: IL   ZIP: 60660",
# "State/Province: Ontario" (not "Mental state: OK").
_STATE_FIELD = re.compile(
    r"(?m:(?:^|(?<=[ \t]{2})|(?<=\t)|(?<=\|[ \t])|(?<=,[ \t]))[ \t]*)(?i:state(?:[ \t]*/[ \t]*province)?)[ \t]*:[ \t]*"
    r"(?P<state>[A-Z]{2}\b|[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)"
)


# What joins a town to its river, looked for first: most texts have none.
_RIVER_JOIN = re.compile(
    r"[ \t](?:upon|am|an[ \t]+der|sur|UPON|AN[ \t]+DER|SUR)[ \t]|-(?:upon|on|sur|en|le|la|sous|am|UPON|ON|SUR|EN)-"
)


class _City:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._misspelt = _misspelling_index(lexicon)

    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _COMMA_STATE.finditer(text):
            yield from self._city_state(doc, m)
        for m in _COUNTY.finditer(text):
            yield Span(m.start(), m.end(), LOCATION, "county", 0.8, "city")
        for m in _BARANGAY.finditer(text) if "gy" in text or "GY" in text or "angay" in text else ():
            yield Span(m.start("name"), m.end("name"), LOCATION, "city", 0.8, "city")
        for m in _STATE_FIELD.finditer(text) if "tate" in text or "TATE" in text else ():
            state = m.group("state")
            if state in STATE_CODES or state.lower() in STATE_NAMES:
                yield Span(m.start("state"), m.end("state"), LOCATION, "state", 0.8, "city")
        for m in _RIVER_TOWN.finditer(text) if _RIVER_JOIN.search(text) else ():
            first, last = (self.lexicon.word_class(m.group(g).lower()) for g in ("a", "b"))
            if (first | last) & (WordClass.STOP | WordClass.CLINICAL):
                continue
            if m.group("a").isupper() != m.group("b").isupper():
                continue  # "Labs am Tuesday" is no town; "NEWCASTLE UPON TYNE" and "Newcastle upon Tyne" are
            if any(c & WordClass.CITY or c == WordClass.NONE for c in (first, last)):
                yield Span(m.start(), m.end(), LOCATION, "city", 0.8, "city")
        tokens = doc.tokens
        # Words of state names ("New Mexico", "West Virginia") are never a city on their own; a state's
        # name before "City" or a facility word is its city ("New York City", "our New York clinic").
        in_state = set()
        for m in doc.matches_at_words(STATE_NAME, STATE_FIRST_WORDS):
            in_state |= {t.index for t in doc.tokens_in(m.start(), m.end())}
            city = _CITY_WORD_AFTER.match(text, m.end())
            if city is not None or _FACILITY_AFTER.match(text, m.end()):
                yield Span(m.start(), city.end() if city else m.end(), LOCATION, "city", 0.7, "city")
        for i, tok in enumerate(tokens):
            if i in in_state or DOSE_OF.search(text, max(0, tok.start - 16), tok.start):
                continue  # "10 cc of Conray": a substance measured out, not a town
            multi = self.lexicon.multiword_cities.get(tok.norm)
            if multi:
                found = self._multiword(doc, i, multi)
                if found is not None:
                    yield found
                    continue
            if tok.cls & WordClass.CITY:
                found = self._single(doc, tok)
                if found is not None:
                    yield found
            elif tok.norm in self.lexicon.towns and self._town_abroad(doc, tok):
                yield Span(tok.start, tok.end, LOCATION, "city", 0.7, "city")
            elif not tok.cls & ~_MISSPELT_BITS and len(tok.norm) >= _MISSPELT_MIN and self._misspelt_city(doc, tok):
                yield Span(tok.start, tok.end, LOCATION, "city", 0.7, "city")

    @staticmethod
    def _town_abroad(doc: Document, tok: Token) -> bool:
        """ "FLYING IN FROM APIA", "son in Kottayam": a listed town abroad, as a name is written, right after a
        word of place; not a word of any list."""
        if tok.cls & ~WordClass.FREQUENT or not tok.capitalised or tok.shape is Shape.MIXED:
            return False
        return bool(_CITY_CUE.search(doc.text[max(0, tok.start - 24) : tok.start]))

    def _misspelt_city(self, doc: Document, tok: Token) -> bool:
        """ "from sommerville", "in Cambrige", "HOME IN DORCHESTR": a word no list knows (or only as a
        surname), one letter away from a listed city, right after a place cue."""
        if not tok.capitalised or tok.shape is Shape.MIXED or not tok.norm.isalpha():
            return False
        if not _CITY_CUE.search(doc.text[max(0, tok.start - 24) : tok.start]):
            return False
        norm = tok.norm
        variants = [norm] + [norm[:k] + norm[k + 1 :] for k in range(len(norm))]
        return any(v in self._misspelt for v in variants)

    def _city_state(self, doc: Document, m: re.Match[str]) -> Iterator[Span]:
        state = m.group("state")
        index = doc.token_index_at(m.start()) - 1
        city_tokens: list[Token] = []
        while index >= 0 and len(city_tokens) < 4:
            tok = doc.tokens[index]
            follower_start = city_tokens[0].start if city_tokens else m.start()
            gap = doc.text[tok.end : follower_start]
            if gap not in ("", " ", "-", ". ") or not tok.capitalised or tok.shape is Shape.MIXED:
                break
            if gap == "" and city_tokens:
                break
            city_tokens.insert(0, tok)
            index -= 1
        # Keep the words nearest the state that can be a place ("Lives in Boston, MA" -> "Boston").
        kept: list[Token] = []
        for tok in reversed(city_tokens):
            if tok.cls & _NOT_PLACE and not tok.cls & WordClass.CITY:
                break
            kept.insert(0, tok)
        if not kept:
            return
        known = known_city(self.lexicon, kept)
        if kept[0].caseless and not (known or m.group("zip")):
            return  # "SEEN AT BEDSIDE, MS." in capitals: MS is as likely a title as a state
        if state.upper() in _CREDENTIAL_STATES and not m.group("zip") and not known:
            if all(t.cls & NAME_LIKE for t in kept) or state in ("DO", "NP"):
                return  # "Jane Smith, MD": a clinician's credential, left to the name recognizers
        if state.lower() in STATE_NAMES and not state[0].isupper():
            return
        yield Span(kept[0].start, kept[-1].end, LOCATION, "city", 0.85, "city")

    def _multiword(self, doc: Document, i: int, options: tuple[tuple[str, ...], ...]) -> Span | None:
        tokens = doc.tokens
        for parts in options:
            j = i + len(parts)
            if j > len(tokens):
                continue
            window = tokens[i:j]
            if [t.norm for t in window] != list(parts):
                continue
            if any(doc.gap(a, b) not in (" ", "-", ". ") for a, b in zip(window, window[1:], strict=False)):
                continue
            if not all(t.capitalised or t.norm in ("de", "la", "del", "los", "las", "of", "the") for t in window):
                continue
            before = doc.text[max(0, window[0].start - 24) : window[0].start]
            if all(t.caseless and t.cls & (WordClass.ENGLISH | WordClass.STOP) for t in window) and not (
                _STRONG_CITY_CUE.search(before)
                or _CITY_CUE.search(before) and not any(t.cls & WordClass.STOP for t in window)
                or _STATE_AFTER.match(doc.text, window[-1].end)
            ):
                continue  # "THEN CUT OFF THE EXCESS": in capitals, words a town is named with need a cue
            return Span(window[0].start, window[-1].end, LOCATION, "city", 0.85, "city")
        return None

    def _single(self, doc: Document, tok: Token) -> Span | None:
        if tok.cls & (_NOT_PLACE | WordClass.EPONYM) or not tok.capitalised or len(tok.norm) < 3:
            return None
        if tok.norm in _FACILITY_KIND_WORDS:
            return None  # "ot, hand clinic", "REGIONAL": what a facility does or is, not a town
        if tok.shape is Shape.UPPER and not tok.caseless and not _STATE_AFTER.match(doc.text, tok.end):
            return None  # an abbreviation in a normal line ("APACHE II", "SEER")
        before = doc.text[max(0, tok.start - 24) : tok.start]
        state_after = bool(_STATE_AFTER.match(doc.text, tok.end))
        ambiguous = bool(tok.cls & (WordClass.COMMON | NAME_LIKE))
        if ambiguous or tok.caseless:
            strong = state_after or bool(_STRONG_CITY_CUE.search(before) or _FACILITY_AFTER.match(doc.text, tok.end))
            # "niece in albuquerque": a town that is otherwise only a surname needs no more than "in"
            surname_only = not tok.cls & (WordClass.FIRST | WordClass.COMMON | WordClass.ENGLISH)
            # ("MVC IN WATERBURY": in capitals, a longer one)
            strong = strong or (
                surname_only
                and bool(_CITY_CUE.search(before))
                and (
                    tok.shape is not Shape.UPPER
                    or tok.caseless
                    and len(tok.norm) >= 6
                    and not tok.cls & WordClass.COUNTRY
                    and bool(_MOVE_CUE.search(before))
                )
            )
            # "nursing home in framingham", "MVC IN FRAMINGHAM": a city no list reads as anything else needs
            # only a weak cue
            weak = (
                (tok.shape is not Shape.UPPER or tok.caseless and len(tok.norm) >= 5)
                and not ambiguous
                and not tok.cls & WordClass.COUNTRY
                and not tok.cls & WordClass.ENGLISH
                and bool(_CITY_CUE.search(before))
            )
            return Span(tok.start, tok.end, LOCATION, "city", 0.65, "city") if strong or weak else None
        cued = state_after or bool(_CITY_CUE.search(before))
        return Span(tok.start, tok.end, LOCATION, "city", 0.8 if cued else 0.7, "city")


# The words that say what kind of facility, not which ("hand", "regional", "community").
_FACILITY_KIND_WORDS = frozenset(
    line.split(" ", 1)[1] for line in read_list("facility_words.txt") if line.startswith("generic ")
)
_MISSPELT_MIN = 6  # letters; shorter words are a letter away from too many towns
# A misspelt town may be no word at all or read as a surname ("sommerville"); any other list says it is a word.
_MISSPELT_BITS = NAME_LIKE | WordClass.FREQUENT


def _misspelling_index(lexicon: Lexicon) -> frozenset[str]:
    """Every one-word city of `_MISSPELT_MIN` letters or more, and each with one letter deleted. A word
    is one edit (a letter dropped, added or changed) from a city when it or one of its own one-letter
    deletions is in this set."""
    out: set[str] = set()
    for city in lexicon.cities:
        norm = normalise(city)
        if " " in norm or "-" in norm or len(norm) < _MISSPELT_MIN or not norm.isalpha():
            continue
        out.add(norm)
        out.update(norm[:k] + norm[k + 1 :] for k in range(len(norm)))
    return frozenset(out)


@register("street_address", "Street addresses (number, street name, street type, unit) and PO boxes.")
def _street(config: DeidConfig, lexicon: Lexicon) -> _StreetAddress:
    return _StreetAddress(lexicon)


@register("zip_code", "ZIP and ZIP+4 codes after a state or a ZIP label; ZIP+4 alone at lower confidence.")
def _zip(config: DeidConfig, lexicon: Lexicon) -> _ZipCode:
    return _ZipCode()


@register("city", "Cities and counties: 'City, ST', the shipped city list (ambiguous names need a cue), '... County'.")
def _city(config: DeidConfig, lexicon: Lexicon) -> _City:
    return _City(lexicon)
