"""Places as clinical notes write them: wards and units named after people ("transfer to Finard 4"),
hospitals by their initials after a movement ("admitted to MGH"), places no list holds after a
residence cue ("lives in Sommervile"), postcodes of other countries with the town before them, and
addresses as the world writes them (street name before or after the house number, units, the lines of
an address block, whatever follows an address label, street corners, military mail).

Hospital wards are the commonest place in inpatient notes and no list can hold them: they are found
from their shape (a name and a small number) after a word that moves the patient. Generic units
("MICU", "the floor", "OR 3") are not identifiers and are refused by a shipped word set.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import NAME_BITS, VOCABULARY_ENDINGS, WEEKDAYS, Lexicon, WordClass
from appliance.deid.recognizers.base import register
from appliance.deid.recognizers.facilities import FACILITY_HEADS
from appliance.deid.recognizers.locations import (
    COMPASS_ABBREVIATIONS,
    STATE_CODES,
    STATE_NAMES,
    leading_number,
    places_after,
    town_after,
)
from appliance.deid.recognizers.name_rules import MONTH_WORDS
from appliance.deid.recognizers.postal import postal_places, town_before
from appliance.deid.recognizers.street_patterns import (
    CUED_STREET,
    FOREIGN_STREET,
    HOUSE_POSTCODE,
    HOUSE_POSTCODE_GATE,
    INTL_STREET,
    MEASURE_WORDS,
    NAMED_STREET,
    NUMBER_STREET,
    POSTCODE_TOWN,
    UNIT,
    UNIT_BESIDE,
    may_hold_foreign_street,
)
from appliance.deid.recognizers.wards import GENERIC_PLACES, ward, ward_framed
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document, Shape, Token

# A word that moves the patient, then "to", "from", "at", "on" ...: the place follows.
_MOVE = re.compile(
    r"(?i)\b(?:transfer(?:red|ring|s)?|tx(?:'?d)?|admit(?:ted|s)?|readmitted|sent|moved?|going|go(?:es)?|went|"
    r"return(?:ed|ing|s)?|back|came|come|arrived|brought|taken|discharged?|d/c(?:'?d)?|dc(?:'?d)?|accepted|"
    r"presented|bed(?:\s+(?:available|assigned|ready))?|called|report(?:\s+given)?|floated|boarding|boarded|"
    r"seen|followed|f/u|stays?|stayed|lives|living|resides|residing|transported|to\s+go|referr(?:al|ed|ing))"
    r"\s+(?:back\s+|up\s+|down\s+|over\s+)?(?:to|from|at|on|in|into|via)\s+(?:the\s+)?$"
    r"|\b(?:accepting|receiving|referring|sending)(?:\s+(?:facility|hospital|site))?\s*:\s*$"  # "Accepting: RBWH"
)
# In a note all in lower case, a word after "at"/"from" that is only a surname may be a hospital named
# after a person ("at lahey"); these classes say it is something else.
_NOT_A_HOSPITAL_NAME = WordClass.FIRST | WordClass.COMMON | WordClass.ENGLISH | WordClass.CLINICAL | WordClass.STOP
_NOT_A_HOSPITAL_NAME |= WordClass.EPONYM
_DIGIT = re.compile(r"\d")
_AT_CUE = re.compile(r"(?i)\b(?:at|@)\s+(?:the\s+)?$")
# "pt from bwh": where a patient came from, even without a verb that moves them; only in a
# note written all in lower case; "FROM HPLC" in capitals and "from HPLC" in prose are no hospitals.
_FROM_CUE = re.compile(r"(?i)\bfrom\s+$")


def _after_facility(doc: Document, tok: Token) -> bool:
    """ "North Shore Medical Center (NSMC)": initials in brackets right after a facility's head word."""
    if tok.index == 0 or doc.text[tok.start - 1 : tok.start] != "(":
        return False
    prev = doc.tokens[tok.index - 1]
    return doc.gap(prev, tok) == " (" and prev.norm in FACILITY_HEADS


# Any "to", "from", "on", "at", or a room label: enough before a ward's shape (a name and a small number).
_WARD_CUE = re.compile(
    r"(?i)(?:\b(?:to|from|on|at|in|into|via)\s+(?:the\s+|our\s+)?|\b(?:room|rm|unit|ward|floor|location|bed)\s*[:#]\s*|"
    r"\bunit[ \t]+|\b(?:antepartum|postpartum|tele|telemetry|stepdown|step-down)[ \t]*,[ \t]*)$"
)
# Shared with the recognizers of facilities named without a head word.
MOVE_CUE = _MOVE
_STREET_PARTICLES = frozenset(
    {"de", "del", "dei", "da", "do", "di", "la", "le", "du", "des", "van", "von", "der", "rue", "via", "u", "ul"}
)
# Strong residence cues; whatever capitalised word follows is a place, listed or not (misspelled).
_RESIDENCE = re.compile(
    r"(?i)\b(?:lives|living|lived|resides|residing|resident|moved|relocated|born|hometown|native|originally|"
    r"grew\s+up|raised|flew|travel(?:l?ing|l?ed)|returned|based|headquartered|i\s+am|i'm|home|closer|nearer)"
    r"(?:\s+(?:alone|here|there|now|currently|locally|independently))?(?:\s+(?:of|in|to|from|at)|(?<=lives))\s+"
    r"(?P<compass>(?:" + "|".join(sorted(COMPASS_ABBREVIATIONS)) + r")\.\s*)?$"
)
_POSSESSIVE_PRONOUNS = frozenset({"her", "his", "their", "my", "our", "your", "its"})
_DIGIT_GROUP_BEFORE = re.compile(r"\d[ \t]+$")
# A preposition of place right before a word, and the end of a clause right after it.
_IN_PLACE_CUE = re.compile(r"(?i)\b(?:in|near|from)[ \t]+$")
_CLAUSE_ENDS = re.compile(r"(?i)[ \t]*(?:[.,;:)]|\n|$|w/|and\b)")
# A Canadian province before its postal code, a Brazilian state before its CEP.
_REGION_BEFORE_CODE = re.compile(
    r"\b(?P<region>(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT|ab|bc|mb|nb|nl|ns|nt|nu|on|pe|qc|sk|yt)[ \t]+"
    r"(?P<code>[A-Za-z]\d[A-Za-z][ \t]?\d[A-Za-z]\d)"
    r"|(?:AC|AL|AP|AM|BA|CE|DF|ES|GO|MA|MT|MS|MG|PA|PB|PR|PE|PI|RJ|RN|RS|RO|RR|SC|SP|SE|TO)[ \t]+"
    r"(?P<cep>\d{5}-\d{3}))\b"
)
# An Irish county after the town of an address (", Co. Galway"), or any of the island's counties after
# "Co." or "County" ("a fisherman from Co. Mayo", "CO DONEGAL").
_IRISH_COUNTY = re.compile(
    r"(?<=,[ \t])Co\.[ \t]?[A-Z][a-z]+"
    r"|(?i:\b(?:co\.?|county)[ \t]+(?:carlow|cavan|clare|cork|donegal|dublin|galway|kerry|kildare|kilkenny|laois|"
    r"leitrim|limerick|longford|louth|mayo|meath|monaghan|offaly|roscommon|sligo|tipperary|waterford|westmeath|"
    r"wexford|wicklow|antrim|armagh|fermanagh|derry|londonderry|tyrone)\b)"
)
# Postcodes that need the town after them to be told from a dose or a count: the Netherlands ("3531 CJ
# Utrecht") and Poland ("00-514 Warszawa"), at the start of a line or after a comma; Irish Eircodes
# ("Dublin, D15 X2N4"), their second half holding a letter and a digit.
_CODE_THEN_TOWN = re.compile(
    r"(?m)(?:^[ \t>]*|,[ \t]*)(?P<code>[1-9]\d{3}[ \t][A-Z]{2}|\d{2}-\d{3})[ \t]+(?P<town>[A-ZÀ-Þ][a-zà-ÿ'’-]+)"
)
_EIRCODE = re.compile(
    r"(?m)(?:^[ \t>]*|,[ \t]*|(?<=[a-z])[ \t])(?P<code>[AC-FHKNPRTV-Y]\d[\dW][ \t]?(?=[0-9AC-FHKNPRTV-Y]*\d)"
    r"(?=[0-9]*[AC-FHKNPRTV-Y])"
    r"[0-9AC-FHKNPRTV-Y]{4})(?![\w-])"
)
# "Address:", "Home address:", "Mailing address -": the value is a place, whatever its format.
# The same labels as forms in other languages write them ("Domicilio:", "Localidad/ Provincia:", "Adresse :",
# "Indirizzo:", "Endereço:", "Anschrift:"), and town and postcode labels ("City:", "CP: 28041", "PLZ:").
_ADDRESS_LABEL = re.compile(
    r"(?im)^[ \t>]*(?:(?:home\s+|mailing\s+|billing\s+|street\s+|postal\s+)?address"
    r"|domicilio|direcci[oó]n|localidad(?:[ \t]*/[ \t]*provincia)?|provincia|municipio|poblaci[oó]n|ciudad"
    r"|adresse|ville|commune|indirizzo|comune|endere[cç]o|morada|localidade|anschrift|wohnort"
    r"|(?P<one>city|town|(?:post|postal|zip)[ \t]?code|zip|postcode|c[oó]digo[ \t]+postal|code[ \t]+postal"
    r"|(?:cp|c\.p\.|plz|cap)(?=[ \t]*:[ \t]*\d{4,5}\b)))[ \t]*[:\-][ \t]*"
)
# "the corner of 25 Dili Gianni Street and King Forges": two streets.
_CORNER = re.compile(
    r"\bcorner\s+of\s+(?P<a>[^\W_][\w'’.-]*(?:[ \t]+[^\W_][\w'’.-]*){0,4}?)[ \t]+and[ \t]+"
    r"(?P<b>[^\W\d_][\w'’.-]*(?:[ \t]+[^\W_][\w'’.-]*){0,3}?)(?=[.,;:!?\n]|$)"
)
# Postcodes: United Kingdom ("HG1 4QT", "SW1A 2AA") and Canada ("K1A 0B1"), upper case with the space
# ("C57BL", "CD45RA" are a mouse strain and a cell marker).
_POSTCODE = re.compile(
    r"(?<![\w-])(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[ABD-HJLNP-UW-Z]{2}|[ABCEGHJ-NPRSTVXY]\d[A-Z][ \t]\d[A-Z]\d)(?![\w-])"
)


# The province or region written after a postcode's town, up to the end of the clause.
_REGION = re.compile(
    r"(?:[.,][ \t]*|[ \t]\()(?P<region>[A-ZÀ-Þ][\w'’-]+(?:[ \t][A-ZÀ-Þ][\w'’-]+)?)(?=\)|[.,;]|[ \t]*(?:\n|$|\())"
)
# Lines that continue an address block: short, with no sentence in them.
_BLOCK_LINE = re.compile(r"[ \t>]*(?P<line>[^\n:@]{2,40}?)[ \t.?]*(?=\n|$)")
# What a spreadsheet export writes for a field left empty ("Tujetsch\nnan\n7188"): no end of the block.
_EMPTY_FIELDS = frozenset({"nan", "null", "none"})
_LABEL_LINE = re.compile(r"(?i)\b(?:phone|mobile|tel|fax|e-?mail|website|desk|office|home|work|cell)\b")


# "... Old Farm Rd, RR 2 Box 14": a street the street-address recognizer found, then a part of the address.
_AFTER_STREET_SUFFIX = re.compile(
    r"(?i)\b(?:rd|road|st|street|ave|avenue|ln|lane|dr|drive|way|ct|court|pl|place|blvd|hwy|highway|pike|tpke|"
    r"terrace|ter|circle|cir|route|rte)\.?,?[ \t]+$"
)


def _common(w: Token) -> bool:
    """A stop, clinical or everyday English word that is no name or town."""
    return (
        bool(
            w.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.ENGLISH)
            and not w.cls & (NAME_BITS | WordClass.CITY)
        )
        or w.norm in MONTH_WORDS
        or _LABEL_LINE.fullmatch(w.norm) is not None
    )


def _joined(text: str, end: int, start: int) -> bool:
    """True if only a comma and blanks on one line lie between `end` and `start`."""
    return 0 <= start - end <= 3 and text[end:start].strip(" \t,") == ""


class _Places:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def find(self, doc: Document) -> Iterator[Span]:
        yield from self._after_movement(doc)
        yield from self._after_residence(doc)
        if doc.caseless:
            yield from self._unknown_after_in(doc)
        yield from self._postcodes(doc)
        yield from self._address_blocks(doc)
        yield from postal_places(doc)
        yield from self._labelled_address(doc)
        for m in _CORNER.finditer(doc.text):
            # The whole corner is the address ("the corner of A and B"), as one span.
            start = m.start() - 4 if doc.text[max(0, m.start() - 4) : m.start()].lower() == "the " else m.start()
            yield Span(start, m.end("b"), LOCATION, "street", 0.8, "places")

    def _labelled_address(self, doc: Document) -> Iterator[Span]:
        """ "Address: 110 Old Farm Rd" and the short lines under it: whatever follows an address label."""
        text = doc.text
        for m in _ADDRESS_LABEL.finditer(text):
            line = _BLOCK_LINE.match(text, m.end())
            if line is None or not line.group("line").strip():
                continue
            end, cursor = line.end("line"), line.end()
            for _ in range(0 if m.group("one") else 3):  # a town or a postcode label holds one line
                if not text.startswith("\n", cursor):
                    break
                nxt = _BLOCK_LINE.match(text, cursor + 1)
                if nxt is None or _LABEL_LINE.search(nxt.group("line")) or not nxt.group("line").strip():
                    break
                end, cursor = nxt.end("line"), nxt.end()
            yield Span(line.start("line"), end, LOCATION, "street", 0.85, "places")

    def _address_blocks(self, doc: Document) -> Iterator[Span]:
        """A street line, its unit, and the short lines under it (town, region, postcode) as one block."""
        text = doc.text
        starts: list[tuple[int, int]] = [(m.start(), m.end()) for m in UNIT.finditer(text)]
        for m in INTL_STREET.finditer(text):
            words = doc.tokens_in(m.start(), m.end())
            if not words or any(
                (w.cls & WordClass.CLINICAL and not w.cls & NAME_BITS and w.norm not in _STREET_PARTICLES)
                or (w.cls & WordClass.STOP and w.norm not in _STREET_PARTICLES)
                for w in words
            ):
                continue  # "2 puffs 4 times", "5 mg po 3": doses, not streets
            if any(w.shape is Shape.LOWER and not w.caseless and w.norm not in _STREET_PARTICLES for w in words):
                continue
            if any(w.norm in MEASURE_WORDS for w in words) or text.startswith("%", m.end()):
                continue  # "TTM 36 DAY 2", "rr 16 sat 97%": a day count or a reading, no street
            at = doc.token_index_at(m.start())
            if at and doc.tokens[at - 1].cls & WordClass.CLINICAL and any(w.cls & WordClass.CLINICAL for w in words):
                continue  # "AST 212 ALT 98": lab values in a row
            if not any(len(w.norm) >= 3 for w in words) or any(
                w.norm in MONTH_WORDS
                or (w.shape is Shape.UPPER and not w.caseless)
                or (w.caseless and w.cls & WordClass.ENGLISH and not w.cls & (NAME_BITS | WordClass.CITY))
                for w in words
            ):
                continue  # "4 x 10", "1991 Mar 23", "10 ASA 1": quantities, dates and abbreviations
            starts.append((m.start(), m.end()))
        for m in NUMBER_STREET.finditer(text):
            # The street's name ends before a clinical word or a word in lower case that is English:
            # "31 Rue tachkent daily"; none left is no street ("2 rue tablets", "2 calle pain").
            end = m.start()
            for w in [w for w in doc.tokens_in(*m.span()) if w.norm[:1].isalpha()][1:]:  # after "rue" ...
                if (w.cls & WordClass.CLINICAL and not w.cls & NAME_BITS) or (
                    w.shape is Shape.LOWER and w.cls & (WordClass.ENGLISH | WordClass.STOP)
                ):
                    if w.norm not in _STREET_PARTICLES:
                        break
                else:
                    end = w.end
            if end > m.start():
                starts.append((m.start(), end))
        for m in NAMED_STREET.finditer(text):
            words = doc.tokens_in(m.start(), m.end())
            first = words[0]
            if first.cls & (WordClass.STOP | WordClass.CLINICAL) or (
                first.sent_start and first.cls & WordClass.ENGLISH
            ):
                continue  # "The Street", "Main Road" at a sentence start
            yield Span(m.start(), m.end(), LOCATION, "street", 0.7, "places")
        for m in CUED_STREET.finditer(text):
            words = doc.tokens_in(m.start("street"), m.end("street"))
            if not words or words[0].shape is Shape.LOWER and not words[0].caseless:
                continue  # "on the st" in a normally written line
            if any(w.cls & (WordClass.STOP | WordClass.CLINICAL) and not w.cls & NAME_BITS for w in words[:-1]):
                continue  # "ON CALL RD", "at the st"
            if words[0].norm in _POSSESSIVE_PRONOUNS:
                continue  # "on her way", "ON HIS WAY": no street
            yield Span(m.start("street"), m.end("street"), LOCATION, "street", 0.75, "places")
            yield from town_after(doc, m.end("street"))  # "ON CONGRESS ST, BROCKTEN."
        for m in FOREIGN_STREET.finditer(text) if may_hold_foreign_street(doc) else ():
            words = doc.tokens_in(m.start() + (2 if m.group().startswith("C/") else 0), m.end())  # "C/": calle
            if words and not any(
                w.cls & WordClass.CLINICAL and not w.cls & NAME_BITS and w.norm not in _STREET_PARTICLES for w in words
            ):
                starts.append((m.start(), m.end()))
        for m in HOUSE_POSTCODE.finditer(text) if HOUSE_POSTCODE_GATE.search(text) else ():
            after = POSTCODE_TOWN.match(text, m.end())
            place = doc.tokens_in(*after.span("town")) if after else []
            if not place or _common(place[0]):
                continue  # "3 10000 Units", "2 12000 IU": doses
            if _DIGIT_GROUP_BEFORE.search(text, max(0, m.start("num") - 8), m.start("num")):
                continue  # "card 8874 0021 3390 0015 Reason": groups of one long number, no house and postcode
            street = doc.tokens_in(m.start(), m.start("num"))
            starts.append((m.start() if street and not any(_common(w) for w in street) else m.start("num"), m.end()))
        beside = [(m.start(), m.end()) for m in UNIT_BESIDE.finditer(text)]
        for _ in range(3):  # a chain of parts: "Calle Sierpes 22, Esc. 2, Piso 3"
            added = [
                (a, b)
                for a, b in beside
                if (a, b) not in starts
                and (
                    any(_joined(text, e, a) or _joined(text, b, s0) for s0, e in starts)
                    or _AFTER_STREET_SUFFIX.search(text, max(0, a - 16), a)
                )
            ]
            if not added:
                break
            starts.extend(added)
        for start, end in sorted(starts):
            start = leading_number(text, start)
            town = POSTCODE_TOWN.match(text, end)
            if town is not None and not doc.tokens[doc.token_index_at(town.start("town"))].cls & WordClass.STOP:
                words = doc.tokens_in(town.start("town"), town.end("town"))
                end = words[-1].end if len(words) < 2 or not _common(words[-1]) else words[0].end
                region = _REGION.match(text, end)  # "31008 Pamplona. Navarra", "02400 Hellín (Albacete)"
                if region is not None and not any(_common(w) for w in doc.tokens_in(*region.span("region"))):
                    end = region.end("region") + (1 if region.group().startswith(" (") else 0)
            else:
                end = places_after(doc, end)
            pos = cursor = end
            for _ in range(4):
                if not text.startswith("\n", cursor):
                    break
                line = _BLOCK_LINE.match(text, cursor + 1)
                if line is None or _LABEL_LINE.search(line.group("line")):
                    break
                words = doc.tokens_in(line.start("line"), line.end("line"))
                if len(words) > 5 or any(
                    w.shape is Shape.LOWER and not w.caseless and w.norm not in _EMPTY_FIELDS for w in words
                ):
                    break
                pos, cursor = line.end("line"), line.end()
            yield Span(start, pos, LOCATION, "street", 0.8, "places")

    def _after_movement(self, doc: Document) -> Iterator[Span]:
        tokens = doc.tokens
        text = doc.text
        # Cheap tests first: a ward needs a number soon after its name, initials a short word in capitals
        # (or in a note all in one case); only then are the cues before the word searched for.
        digits = [m.start() for m in _DIGIT.finditer(text)]
        for tok in tokens:
            span = None
            at = bisect.bisect_left(digits, tok.end)
            ward_possible = at < len(digits) and digits[at] - tok.end <= 40
            initials_possible = 2 <= len(tok.text) <= 6 and (
                tok.shape is Shape.UPPER or (doc.caseless and tok.shape is Shape.LOWER)
            )
            if not ward_possible and not initials_possible:
                continue
            ward_cued = ward_possible and bool(_WARD_CUE.search(text, max(0, tok.start - 12), tok.start))
            if ward_cued:
                span = ward(doc, tok)
            if (
                span is None
                and initials_possible
                and (
                    _MOVE.search(text, max(0, tok.start - 48), tok.start)
                    or _AT_CUE.search(text, max(0, tok.start - 8), tok.start)
                    or (
                        tok.shape is Shape.LOWER
                        and doc.caseless
                        and _FROM_CUE.search(text, max(0, tok.start - 6), tok.start)
                    )
                    or _after_facility(doc, tok)
                )
            ):
                span = self._initials(doc, tok)
            if span is None and ward_possible and ward_framed(text, tok):
                span = ward(doc, tok)  # "NPN 7P-7A HAZELTINE 7 88 YO", "ot note tolman 3 rehab"
            if span is None and ward_possible and not ward_cued:
                span = ward(doc, tok, cued=False)
            if span is not None:
                yield span

    def _initials(self, doc: Document, tok: Token) -> Span | None:
        """ "admitted to MGH", "transferred from BIDMC": a hospital known by its initials."""
        lower_note = (
            doc.caseless
            and tok.shape is Shape.LOWER
            and (
                3 <= len(tok.text) <= 5
                # "works nights at lahey", "transferred from faulkner": hospitals named after people
                or (len(tok.text) >= 4 and tok.cls & WordClass.LAST and not tok.cls & _NOT_A_HOSPITAL_NAME)
            )
        )
        if (tok.shape is not Shape.UPPER and not lower_note) or not 2 <= len(tok.text) <= 6:
            return None  # "admitted to MGH"; in a note all in lower case, "admitted to mgh"
        if tok.caseless and len(tok.text) < 3:
            return None  # in capitals a two-letter word after "TO" is too often prose ("TO BE")
        surname_hospital = lower_note and tok.cls & WordClass.LAST and not tok.cls & _NOT_A_HOSPITAL_NAME
        if tok.norm in GENERIC_PLACES or (tok.cls and not surname_hospital) or tok.text in STATE_CODES:
            return None
        if tok.norm in STATE_NAMES or tok.norm in MONTH_WORDS:
            return None  # "discharge on monday": a day, not a hospital named after someone
        end = tok.end
        if end < len(doc.text) and doc.text[end].isdigit():
            return None
        return Span(tok.start, end, LOCATION, "facility", 0.6 if tok.caseless else 0.7, "places")

    def _after_residence(self, doc: Document) -> Iterator[Span]:
        for tok in doc.tokens:
            if tok.cls & (WordClass.ENGLISH | WordClass.STOP | WordClass.CLINICAL) or tok.norm in WEEKDAYS:
                continue
            lower_note = (
                doc.caseless
                and tok.shape is Shape.LOWER
                and not tok.cls & (WordClass.FIRST | WordClass.COMMON)
                and len(tok.norm) >= 5
            )
            # "originally from SEINÄJOKI", "I am in ΛΕΥΚΩΣΙΑ": a town in capitals inside a normally written
            # line, a word no list knows.
            capitals = (
                not tok.caseless
                and tok.shape is Shape.UPPER
                and len(tok.norm) >= 4
                and tok.cls & ~(WordClass.FREQUENT | WordClass.CITY | NAME_BITS) == WordClass.NONE
            )
            # "LIVES IN SHERBROOKE", "CLOSER TO SHREWSBERRY": in a note all in capitals, a word no list knows
            # (or only a surname: "SHREWSBERRY").
            caps_note = (
                doc.caseless
                and tok.shape is Shape.UPPER
                and tok.cls & ~WordClass.LAST == WordClass.NONE
                and len(tok.norm) >= 5
            )
            if not lower_note and not capitals and not caps_note and (tok.caseless or tok.shape is not Shape.TITLE):
                continue  # "lives alone in sommerville" counts in a note all in lower case
            cue = None if tok.norm in STATE_NAMES else _RESIDENCE.search(doc.text, max(0, tok.start - 36), tok.start)
            if cue is None:
                continue
            start = cue.start("compass") if cue.group("compass") else tok.start  # "IN NO. ATTLEBURO"
            end = tok.end
            if capitals:  # "ΜΟΝΗ ΑΓΙΩΝ ΑΝΑΡΓΥΡΩΝ": the town's further words in capitals
                nxt = tok.index + 1
                while (
                    nxt < len(doc.tokens)
                    and nxt - tok.index < 4
                    and doc.gap(doc.tokens[nxt - 1], doc.tokens[nxt]) == " "
                    and doc.tokens[nxt].shape is Shape.UPPER
                    and len(doc.tokens[nxt].norm) >= 3
                    and not doc.tokens[nxt].cls & (WordClass.STOP | WordClass.CLINICAL)
                ):
                    end = doc.tokens[nxt].end
                    nxt += 1
            yield Span(start, end, LOCATION, "city", 0.7, "places")

    @staticmethod
    def _unknown_after_in(doc: Document) -> Iterator[Span]:
        """ "a motel in topsfield.", "LIVES W/ MOM IN CHELSAE.", "driving from greenfeild,": in a note all in
        one case, a word no list knows (six letters or more) after "in", "near" or "from", closing its
        clause, is a town, often misspelt."""
        text = doc.text
        for tok in doc.tokens:
            if tok.cls != WordClass.NONE or len(tok.norm) < 6 or not tok.norm.isalpha():
                continue
            if tok.norm.endswith(VOCABULARY_ENDINGS):
                continue  # "soaked in betadine", "received in formalin", "made in inferolateral": vocabulary
            if _IN_PLACE_CUE.search(text, max(0, tok.start - 8), tok.start) and _CLAUSE_ENDS.match(text, tok.end):
                yield Span(tok.start, tok.end, LOCATION, "city", 0.7, "places")

    def _postcodes(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _REGION_BEFORE_CODE.finditer(text):
            # "Winnipeg, MB R3G 0S4", "Campo Belo, SP 04612-090": the province or state with its code.
            yield Span(m.start("region"), m.start("region") + 2, LOCATION, "state", 0.85, "places")
            code = "code" if m.group("code") else "cep"
            yield Span(m.start(code), m.end(code), LOCATION, "zip", 0.85, "places")
        for m in _IRISH_COUNTY.finditer(text):
            yield Span(m.start(), m.end(), LOCATION, "city", 0.8, "places")  # "..., Castlegar, Co. Galway"
        for m in _EIRCODE.finditer(text):
            index = doc.token_index_at(m.start("code")) - 1
            if text[m.start()] in " \t" and (
                " " not in m.group("code") or index < 0 or doc.tokens[index].shape is not Shape.TITLE
            ):
                continue  # after a town only as "Cork T23 XK41", not "and R3230AC" (a cell line)
            yield Span(m.start("code"), m.end("code"), LOCATION, "zip", 0.8, "places")
            yield from town_before(doc, m.start("code"))
        for m in _CODE_THEN_TOWN.finditer(text):
            named = doc.tokens_in(m.start("town"), m.end("town"))
            if not named or named[0].cls & (WordClass.STOP | WordClass.CLINICAL) and not named[0].cls & WordClass.CITY:
                continue  # "10-100 Units": a count, not a postcode
            yield Span(m.start("code"), m.end("code"), LOCATION, "zip", 0.8, "places")
            yield Span(m.start("town"), m.end("town"), LOCATION, "city", 0.8, "places")
        for m in _POSTCODE.finditer(text):
            if not any(ch.isdigit() for ch in m.group()[-3:]):
                continue
            yield Span(m.start(), m.end(), LOCATION, "zip", 0.85, "places")
            yield from town_before(doc, m.start())


@register("places", "Wards named after people, hospital initials after a movement, towns by residence cue or postcode.")
def _places(config: DeidConfig, lexicon: Lexicon) -> _Places:
    return _Places(lexicon)
