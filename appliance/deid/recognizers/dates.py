"""Dates: every element except the year alone (full dates, "7/22", "March 3rd", "03-Mar-2021",
"the 3rd of May", "May 2021", "in March", holidays), and birth years that reveal an age over 89.

The hard part is what must *not* match: doses ("1/2 tab"), fractions ("2/3 of"), scores ("pain 7/10",
"strength 5/5"), blood pressure ("120/80"), clock times and years alone. A slash pair without a year
is taken as a date only when it cannot be a fraction (day 13-31) or a cue says it is a date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid import dates as datefmt
from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon
from appliance.deid.recognizers.base import register
from appliance.deid.recognizers.date_cues import (
    COUNT_AFTER,
    CULTURE_BEFORE,
    DATE_CUE,
    IMAGE_REFERENCE,
    MURMUR_AFTER,
    NODES_AFTER,
    NOT_DATE_CUE,
    PERCENT_AFTER,
    QUANTITY_AFTER,
    RATING_WORDS,
    SETTING_CUE,
    VENTILATION,
    month_alone_is_date,
)
from appliance.deid.spans import DATE, Span
from appliance.deid.text import Document

_M = datefmt.MONTH_RE
_EDGE_L = r"(?<![\w/.\-])"
_EDGE_R = r"(?![\w/]|[.\-]\d)"
_NOT_A_QUANTITY = r"(?!\s*(?:mg|mcg|ml|units?|%|tabs?|tablets?|times|x\b|doses?|pills?|hours?|hrs?|minutes?|min\b))"

_ISO = re.compile(_EDGE_L + r"\d{4}([-/.])\d{1,2}\1\d{1,2}(?=T\d|[^\w/.\-]|[.\-](?!\d)|$)")
_NUMERIC_WITH_YEAR = re.compile(
    _EDGE_L
    + r"(?:\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})|\d{1,2}-\d{1,2}-(?:\d{4}|\d{2})|\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2}))"
    + _EDGE_R
)
_SHORT_DOTTED = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2}")
_TWO_DIGIT_PART = re.compile(r"\d\d\.|\d\.\d\d\.")
_VERSION_CUE = re.compile(r"(?i)(?:\bv|version|ver|release|build|rev|firmware|software)\.?[ \t]*$")
_MONTH_YEAR_NUMERIC = re.compile(_EDGE_L + r"(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}" + _EDGE_R)
_SLASH_PAIR = re.compile(
    _EDGE_L + r"(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\w/]|[.,]\d)"
    r"(?!\s*(?i:mg|mcg|ml|tabs?|tablets?|caps?|capsules?|pills?|units?|doses?|of\b|cups?|cm|mm|%|strength|"
    r"pain|scale|score|power|inch|inches|teaspoons?|tsp|tbsp|ns\b|normal))"
)
_MONTH_NAME_FORMS = re.compile(
    r"(?i)\b(?:"
    # March 3rd, 2021 / Mar. 3 / Mar-03-2021 / March 3 2021
    r"(?P<mdy>" + _M + r"\.?(?:\s+|-|/|\.\s*)[0-3]?\d(?:st|nd|rd|th)?(?!\d)(?:(?:,\s*|\s+|-|/)(?:\d{4}|'\d{2})(?!\d))?)"
    # 3 March 2021 / 03-Mar-2021 / 3rd of May / 3-MAR-21
    r"|(?P<dmy>[0-3]?\d(?:st|nd|rd|th)?(?:\s+of\s+|\s+|-|/|\.[ \t]?)"
    + _M
    + r"\b\.?(?:(?:,?\s+|-|/|\.)(?:\d{4}|\d{2})(?!\d))?)"
    # May 2021 / Sept. 2019 / March of 2020
    r"|(?P<my>" + _M + r"\.?(?:,?\s+(?:of\s+)?|-|/)(?:\d{4}|'\d{2})(?!\d))"
    r")" + _NOT_A_QUANTITY
)
MONTH_TOKENS = frozenset(
    """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sept sep oct nov dec
    """.split()
)
_MONTH_WORD = re.compile(
    r"(?i)\b(?P<mn>january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?"
)
# A month on its own is a date element after these ("in March", "since May", "late Dec.", "since about April").
_MONTH_CUE = re.compile(
    r"(?i)\b(?:in|since|during|until|till|through|thru|early|mid|late|last|next|this|of|by|before|after|"
    r"around|from|to|end\s+of|beginning\s+of|start\s+of|admit|admitted|discharged|last\s+seen|expires|expiring|"
    r"expired|renews|due)\s+(?:(?:about|around|approx\.?|approximately|roughly|circa|ca\.?)\s+)?(?:-\s*|~\s*)?$"
    r"|(?:^|\s)~\s*$"
)
# A part of a month written as one word: "mid-march", "EARLY-JUNE", "late-Dec".
_PART_OF_MONTH = re.compile(
    r"(?i)\b(?:early|mid|late)-(?P<mn>january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b"
)
_CJK_DATE = re.compile(r"(?:\d{4}[ \t]*年[ \t]*)?\d{1,2}[ \t]*月[ \t]*\d{1,2}[ \t]*日")
_MODAL_MAY = re.compile(r"(?i)\b(?:this|that)\s+may\b")
_WORD_AFTER = re.compile(r"[ \t]+[A-Za-z]")
_VERB_PARTICLE = re.compile(r"(?i)[ \t]+(?:out|down|up|along|into|through|forward|ahead|away|back)\b")
# A day of the month on its own: "on the 23rd", "by the 3rd", after its weekday "admitted Sat 23rd".
_ORDINAL_DAY = re.compile(
    r"(?i)\b(?:(?:on|by|until|till|from|since|before|after|due|starting|to|through|thru|and|do)\s+the|"
    r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\.?(?:\s+the)?)\s+"
    r"(?P<day>(?:[12]?\d|3[01])(?:st|nd|rd|th))\b"
    r"(?!\s+(?:of\s+)?(?:day|week|month|year|percentile|cycle|dose|time|attempt|rib|intercostal|floor|grade|"
    r"trimester|generation|line|degree|decade|century|hour|minute|visit|session|shift|opinion|round)s?\b)"
)
_HOLIDAY = re.compile(
    r"(?i)\b(?:christmas(?:\s+(?:eve|day))?|thanksgiving(?:\s+day)?|easter(?:\s+sunday)?|"
    r"new\s+year'?s(?:\s+(?:eve|day))?|halloween|independence\s+day|fourth\s+of\s+july|"
    r"memorial\s+day|labor\s+day|veterans\s+day|valentine'?s\s+day|mother'?s\s+day|father'?s\s+day)\b"
)
_BIRTH_YEAR = re.compile(
    r"(?i)\b(?:born(?:\s+in)?|dob|d\.o\.b\.?|date\s+of\s+birth|yob|year\s+of\s+birth|birth\s+year|b\.)"
    r"\s*[:\-]?\s*(?:in\s+)?(?P<y>(?:18|19|20)\d{2})(?![\d/\-])"
)
# "9/7 - 9/12"? a slash pair followed by more slashes or a dash and digits belongs to something longer.
_IN_A_RANGE = re.compile(r"\s*(?:x|X)\s*\d")
# Month and two-digit year ("MI 6/85"): the second number cannot be a day.
_MONTH_SHORT_YEAR = re.compile(
    r"(?<![\w/.\-+])(?:0?[1-9]|1[0-2])/(?:3[2-9]|[4-9]\d)" + _EDGE_R + r"(?!\s*%)"  # not "PRVC 420/16/+8/40%"
)
# Month and day with a hyphen ("on 7-8"): a range unless a date cue comes first.
_HYPHEN_PAIR = re.compile(
    _EDGE_L + r"(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])"
    r"(?![\w/]|[.\-]\d|\s*(?:x|%|mg|ml|l\b)|\s*(?i:wks?|weeks?|days?|hrs?|hours?|mos?|months?|yrs?|years?|times)\b)"
)
_COMMON_FRACTIONS = frozenset({(1, 2), (1, 3), (2, 3), (1, 4), (3, 4)})
# Out of 5 with no date cue: muscle strength ("grip 4/5", "hemiparesis 2/5").
_SCALE_DENOMINATORS = frozenset({5})


def _in_prose(text: str, start: int, end: int) -> bool:
    """A month/day pair standing in running text: not inside a list of numbers or a table row."""
    if QUANTITY_AFTER.match(text, end):
        return False
    window = text[max(0, start - 12) : min(len(text), end + 12)]
    # Several numbers packed around the pair ("5/5 4/5 5/5", "2/3/4") are scores or a grid.
    return sum(ch.isdigit() for ch in window) <= (end - start) + 3


def _rating(text: str, start: int, end: int) -> bool:
    """ "pain 10/10 at worst, 3/10 at rest": out of ten, with a word of rating in the same sentence (before
    the pair only, when `end` is its start)."""
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start), start - 60)
    right = [i for i in (text.find(".", end), text.find("\n", end), end + 40) if i >= 0] if end > start else [start]
    return bool(RATING_WORDS.search(text, left + 1, min(right)))


_GESTATION_BEFORE = re.compile(r"(?<!\d)[2-4]\d[ \t]+$")


def _range_end(text: str, m: re.Match[str]) -> re.Match[str] | None:
    """ "3/4-3/9", "3/9 - 3/21": the second month/day pair of a range that starts at `m`, when it is later
    than the first and the two are not both common fractions ("1/2-3/4 tab")."""
    other = _RANGE_END.match(text, m.end())
    if other is None:
        return None
    a, b = (int(m.group("m")), int(m.group("d"))), (int(other.group("m")), int(other.group("d")))
    valid = all(1 <= month <= 12 and 1 <= day <= 31 for month, day in (a, b))
    fractions = a in _COMMON_FRACTIONS and b in _COMMON_FRACTIONS
    if not valid or fractions or a >= b or (a[1] == b[1] and a[1] <= 10):
        return None  # "5/5-10/5": pressure over PEEP, stepped
    line_start = text.rfind("\n", 0, m.start()) + 1
    return None if _SETTING_NEAR.search(text, max(line_start, m.start() - 40), m.start()) else other


# Ventilation or blood pressure anywhere shortly before a range: its pairs are settings or readings.
_SETTING_NEAR = re.compile(r"(?i)\b(?:" + VENTILATION + r"|bp|sbp)\b")
_BIRTH_CUE = re.compile(r"(?i)\b(?:dob|d\.o\.b\.?|born|birth|b\.)[ \t:]*$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_HOURS_AFTER = re.compile(r"(?i)[ \t]*(?:h|hrs?|horas?|hours?)\b")
_RANGE_END = re.compile(r"[ \t]*-[ \t]*(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])")


# Between two dates of a list or a range ("on 2/3 and 2/10", "7/22-7/25").
_LIST_GAP = re.compile(r"(?i)\s*(?:,|and|or|to|-|through|thru|&)\s*(?:(?:again|then|on|also)\s+)*")
_LISTED_PAIR = re.compile(_LIST_GAP.pattern + r"(?P<pair>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))(?![\w/]|[.,]\d)")
# Month words that are also everyday words or abbreviations ("may", "mar", "dec" = decreased).
_AMBIGUOUS_MONTHS = frozenset({"may", "mar", "dec", "jan", "sep", "sept"})
# With a day after them, these are still words as often as months ("PT MAY 2X", "2 DEC BREATH SOUNDS").
_AMBIGUOUS_WITH_DAY = frozenset({"may", "mar", "dec"})
# "3/8 1900 Brookhaven called back": a line of a log opened by its date and hour.
_CLOCK_AFTER = re.compile(r"[ \t]+(?:[01]\d|2[0-3])[0-5]\d(?:[ \t]|$)")
_TIME_AFTER = re.compile(
    r"\s*(?:at\s+|@\s*)?\d{1,2}(?::\d{2}|\s*(?:am|pm)\b)|\s+\d{4}\s*(?:h|hrs)\b|\s*@\s*[0-2]\d[0-5]\d\b"
    r"|[ \t]+(?:[01]\d|2[0-3])[0-5]\d(?=[ \t]*(?:\n|$|[,;]|\.(?!\d)))",  # "7/2 1630" heading a note, "svd 6/12 2214,"
    re.IGNORECASE,
)


def _cased_month_ok(doc: Document, start: int, month_text: str) -> bool:
    """In a normally cased line "may", "mar", "march" and "dec" in lower case are words, not months."""
    index = doc.token_index_at(start)
    caseless = index < len(doc.tokens) and doc.tokens[index].caseless
    if caseless or not month_text.islower():
        return True
    return month_text.lower() not in (
        "may",
        "mar",
        "jan",
        "dec",
        "sep",
        "sept",
        "oct",
        "jun",
        "jul",
        "aug",
        "apr",
        "nov",
        "feb",
        "march",  # "to march out": the verb
    )


# Month names of the other languages notes and letters arrive in (French, Spanish, Portuguese, Italian,
# German, Dutch, Polish, Swedish, Turkish, Indonesian, Romanian, Filipino), written out in full; English
# names and abbreviations are the parser's.
# Only with a day before or a year after: "le 4 mai 2022", "12 de marzo de 2011", "février 2019", "3. März".
_FOREIGN_MONTHS = (
    r"janvier|f[ée]vrier|avril|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|"
    r"janeiro|fevereiro|mar[çc]o|maio|junho|julho|setembro|outubro|novembro|dezembro|"
    r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    r"januar|februar|m[äa]rz|juni|juli|oktober|dezember|januari|februari|maart|mei|augustus|"
    r"mars|mai|"
    r"stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|wrze[sś]nia|pa[zź]dziernika|listopada|grudnia|"
    r"stycze[nń]|luty|marzec|kwiecie[nń]|czerwiec|lipiec|sierpie[nń]|wrzesie[nń]|pa[zź]dziernik|listopad|grudzie[nń]|"
    r"maj|augusti|"
    r"ocak|[şs]ubat|mart|nisan|may[ıi]s|haziran|temmuz|a[ğg]ustos|eyl[üu]l|ekim|kas[ıi]m|aral[ıi]k|"
    r"maret|agustus|desember|ianuarie|februarie|martie|aprilie|iunie|iulie|septembrie|octombrie|noiembrie|"
    r"decembrie|pebrero|marso|hunyo|hulyo|setyembre|oktubre|nobyembre|disyembre|"
    r"okt|mrt|dez|fev|abr|ago|dic|ene|janv|f[ée]vr|juil|déc"  # abbreviated, with a day or a year: "14 okt 2025"
)
# A month alone in another language after a word of when, or in brackets: "sinds uw operatie in januari",
# "depuis novembre", "(noviembre)", "le ricevute di ottobre". Months that are also words or names ("mars",
# "mai", "Mayo") need a day or a year.
_FOREIGN_MONTH_CUE = re.compile(
    r"(?i)(?:\b(?:in|since|until|depuis|desde|sinds|seit|im|en|de|di|del|van|of|from|fin|d[ée]but|inizio|fine|a|em|"
    r"end\s+of)[ \t]+|\()$"
)
_FOREIGN_MONTH_ALONE = re.compile(
    r"(?i)(?P<mn>janvier|f[ée]vrier|avril|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre|enero|febrero|marzo|"
    r"abril|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|janeiro|fevereiro|março|maio|"
    r"junho|julho|setembro|outubro|novembro|dezembro|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|"
    r"ottobre|dicembre|januar|februar|m[äa]rz|oktober|dezember|januari|februari|maart|augustus)(?![\w-])"
)
# A month's abbreviation and a year, as CVs write them: "mar/2019 - present", "fev/2014".
_MONTH_SLASH_YEAR = re.compile(
    r"(?i)(?<![\w/])(?:jan|fev|feb|mar|abr|apr|mai|may|jun|jul|ago|aug|set|sep|out|oct|nov|dez|dec)/(?:19|20)\d{2}\b"
)
_YEAR_AFTER_SLASH = re.compile(r"/(?:19|20)\d{2}\b")
# The first day of a range before a month's name: "runs 14-15 August 2025".
_DAY_RANGE_START = re.compile(r"(?<![\w/.-])(?P<day>[0-3]?\d)(?P<sfx>st|nd|rd|th)?[ \t]*(?:[-–]|and|to)[ \t]*$")
FOREIGN_MONTH = re.compile(r"(?i)(?:" + _FOREIGN_MONTHS + r")")
_FOREIGN_DATE = re.compile(
    r"(?i)(?<![\w/.-])(?:(?P<d>[0-3]?\d)(?:er|º|°|\.)?[ \t]+(?:de[ \t]+)?)?"
    r"(?P<mn>" + _FOREIGN_MONTHS + r")(?![\w-])(?:\.(?=[ \t]+(?:1[89]|20)\d\d))?"  # "14 févr. 2025"
    r"(?:[ \t]+(?:de[ \t]+|del[ \t]+|di[ \t]+)?(?P<y>(?:1[89]|20)\d\d)(?![\w/-]|\.\d))?"
)


# A day and month with stops and no year, as German and Scandinavian letters write them, two digits each,
# after a word of when: "from 15.04.", "ab 01.07." (not "hgb 8.9 from 10.4.", a value that ends a sentence).
_DOTTED_DAY_MONTH = re.compile(
    r"(?<![\w.])(?P<date>(?:0[1-9]|[12]\d|3[01])\.(?:0[1-9]|1[0-2])(?:\.|(?=[ \t]+via\b|[;,)])))(?![\w.])"
)
_DOTTED_DAY_CUE = re.compile(
    r"(?i)\b(?:from|until|till|since|ab|am|vom|bis|seit|zum|den|fra|til|visit|seen|on|le|du|au|admitted)[ \t]+$"
)


class _Dates:
    def __init__(self, config: DeidConfig) -> None:
        self.reference_year = config.reference_year
        self.max_age = config.max_age_kept

    @staticmethod
    def _day_first_in_prose(text: str, m: re.Match[str]) -> bool:
        """ "injury at football 18/11", "repeat bone profile 22/4": a day over twelve first, then a month,
        standing in running text with no word of a score, a setting or a count before it."""
        before = text[max(0, m.start() - 30) : m.start()]
        day, month = int(m.group("m")), int(m.group("d"))
        return (
            day <= _DAYS_IN_MONTH[month - 1]  # "Humphrey 30/2": a visual field programme
            and not _HOURS_AFTER.match(text, m.end())  # "25/8 h": a dose every eight hours
            and _in_prose(text, m.start(), m.end())
            and not NOT_DATE_CUE.search(before)
            and not SETTING_CUE.search(before)
            and not _SETTING_NEAR.search(text, max(text.rfind("\n", 0, m.start()) + 1, m.start() - 40), m.start())
        )

    def _ok(self, text: str) -> bool:
        return datefmt.parse(text, self.reference_year) is not None

    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        ends: list[int] = []
        for pattern in (_ISO, _NUMERIC_WITH_YEAR):
            for m in pattern.finditer(text):
                if pattern is _NUMERIC_WITH_YEAR and (
                    SETTING_CUE.search(text, max(0, m.start() - 30), m.start()) or PERCENT_AFTER.match(text, m.end())
                ):
                    continue  # "SIMV 20/5/40", "LUNG REST 10/10/30%": rate, PEEP and FiO2, not a date
                if _SHORT_DOTTED.fullmatch(m.group()) and (
                    _VERSION_CUE.search(text, max(0, m.start() - 12), m.start())
                    or not _TWO_DIGIT_PART.match(m.group())
                    and not _DOTTED_DAY_CUE.search(text, max(0, m.start() - 8), m.start())  # "a1c 9.4 on 6.2.24"
                ):
                    continue  # "version 2.1.23", "1.5.10": a dotted date with a short year has a two-digit day or month
                if self._ok(m.group()):
                    ends.append(m.end())
                    yield Span(m.start(), m.end(), DATE, "date", 0.95, "date")
        for m in _MONTH_YEAR_NUMERIC.finditer(text):
            ends.append(m.end())
            yield Span(m.start(), m.end(), DATE, "month_year", 0.8, "date")
        for m in self._month_name_forms(doc):
            span = self._month_name_form(doc, m)
            if span is not None:
                ends.append(span.end)
                yield span
                first = _DAY_RANGE_START.search(text, max(0, span.start - 14), span.start)
                if first is not None and 1 <= int(first.group("day")) <= 31 and text[span.start].isdigit():
                    yield Span(first.start("day"), max(first.end("day"), first.end("sfx")), DATE, "day", 0.8, "date")
        for m in _FOREIGN_DATE.finditer(text):
            if m.group("d") or m.group("y"):  # a month name alone is a word ("Mars", "mai")
                ends.append(m.end())
                yield Span(m.start(), m.end(), DATE, "date" if m.group("d") else "month_year", 0.85, "date")
            elif _FOREIGN_MONTH_ALONE.fullmatch(m.group("mn")) and _FOREIGN_MONTH_CUE.search(
                text, max(0, m.start() - 12), m.start()
            ):
                yield Span(m.start("mn"), m.end("mn"), DATE, "month", 0.75, "date")  # "sinds ... in januari"
        for m in _SLASH_PAIR.finditer(text):
            month, day = int(m.group("m")), int(m.group("d"))
            day_first = 12 < month <= 31 and 1 <= day <= 12 and m.group() != "24/7"  # "24/7": all the time
            if day_first and (
                DATE_CUE.search(text, max(0, m.start() - 30), m.start())
                or _TIME_AFTER.match(text, m.end())
                or m.group("d").startswith("0")  # "nights 14/03", "bed available 22/01": no score is written so
                or self._day_first_in_prose(text, m)
            ):
                ends.append(m.end())  # "delivered on 29/10", "27/03 14:20": day first, as most of the world writes it
                yield Span(m.start(), m.end(), DATE, "month_day", 0.8, "date")
                other = _RANGE_END.match(text, m.end())
                if other is not None and 1 <= int(other.group("d")) <= 12 and 1 <= int(other.group("m")) <= 31:
                    ends.append(other.end())  # "nights 14/03-15/03": the range's last day
                    yield Span(other.start("m"), other.end(), DATE, "month_day", 0.8, "date")
                continue
            if not self._ok(m.group()):
                continue
            if day == 7 and month <= 6 and _GESTATION_BEFORE.search(text, max(0, m.start() - 4), m.start()):
                continue  # "born at 30 4/7 wks": a gestational age in weeks and days
            before = text[max(0, m.start() - 30) : m.start()]
            if NOT_DATE_CUE.search(before) or SETTING_CUE.search(before) or _IN_A_RANGE.match(text, m.end()):
                continue
            if day in (4, 6) and month <= day and MURMUR_AFTER.match(text, m.end()):
                continue  # "NEW 3/6 HSM LLSB": a murmur's grade
            if month <= day <= 4 and CULTURE_BEFORE.search(before):
                continue  # "BLOOD CX 2/2 PENDING": bottles grown of bottles drawn, not a date
            if day == 10 and month <= 10 and _rating(text, m.start(), m.start()):
                continue  # "PAIN DOWN FROM 9/10 TO 4/10": rated before, out of ten, even after "from" and "to"
            second = _range_end(text, m)
            if second is not None:
                ends.append(second.end())
                yield Span(m.start(), m.end(), DATE, "month_day", 0.8, "date")
                yield Span(second.start("m"), second.end(), DATE, "month_day", 0.8, "date")
                continue
            cued = (
                bool(DATE_CUE.search(before))
                or (m.start() == 0 or text[m.start() - 1] == "\n") and bool(_CLOCK_AFTER.match(text, m.end()))
                or bool(CULTURE_BEFORE.search(before))  # "bc 11/8 and 11/9 still +": when they were drawn
                or bool(_TIME_AFTER.match(text, m.end()))
                or any(_LIST_GAP.fullmatch(text, end, m.start()) for end in ends if 0 < m.start() - end <= 12)
            )
            if cued:
                ends.append(m.end())
                yield Span(m.start(), m.end(), DATE, "month_day", 0.85, "date")
            elif m.group() == "2/2" and _WORD_AFTER.match(text, m.end()):
                continue  # "ARDS 2/2 H1N1", "sob 2/2 chf": "secondary to", not the second of February
            elif m.group("d").startswith("0") and len(m.group("d")) == 2:
                ends.append(m.end())  # "seen in clinic 1/05": no fraction or score is written with a leading zero
                yield Span(m.start(), m.end(), DATE, "month_day", 0.7, "date")
            elif day > 12 and month <= 12 and not NODES_AFTER.match(text, m.end()):  # not "(2/19 nodes)"
                ends.append(m.end())
                yield Span(m.start(), m.end(), DATE, "month_day", 0.7, "date")
            elif (
                (month, day) not in _COMMON_FRACTIONS
                and not (day in _SCALE_DENOMINATORS and month <= day)
                and not (day == 10 and _rating(text, m.start(), m.end()))
                and _in_prose(text, m.start(), m.end())
            ):
                # "Foley removed 9/7, voiding since": clinical shorthand dates carry no cue at all; a
                # fraction or a score would have its unit or its name beside it.
                ends.append(m.end())
                yield Span(m.start(), m.end(), DATE, "month_day", 0.6, "date")
        for end in sorted(ends):
            listed = _LISTED_PAIR.match(text, end)
            if listed is not None and listed.end() not in ends and self._ok(listed.group("pair")):
                ends.append(listed.end())  # "HUS 9/15 and 10/8 normal": the list's next date, whatever follows it
                yield Span(listed.start("pair"), listed.end(), DATE, "month_day", 0.8, "date")
        if _YEAR_AFTER_SLASH.search(text):
            for m in _MONTH_SLASH_YEAR.finditer(text):
                yield Span(m.start(), m.end(), DATE, "month_year", 0.8, "date")
        for m in _DOTTED_DAY_MONTH.finditer(text):
            if _DOTTED_DAY_CUE.search(text, max(0, m.start() - 12), m.start()) or DATE_CUE.search(
                text, max(0, m.start() - 30), m.start()
            ):  # "vom 3.4.", "TRANSFERRED 02.03.", "ECHO 05.03."
                yield Span(m.start("date"), m.end("date"), DATE, "month_day", 0.8, "date")
        for m in _MONTH_SHORT_YEAR.finditer(text):
            if NOT_DATE_CUE.search(text, max(0, m.start() - 30), m.start()) or IMAGE_REFERENCE.search(
                text, max(0, m.start() - 60), m.start()
            ):
                continue
            if m.group().endswith("/52") and not _BIRTH_CUE.search(text, max(0, m.start() - 12), m.start()):
                continue  # "clinic 2/52", "review in 6/52": weeks, as British notes write them
            ends.append(m.end())
            yield Span(m.start(), m.end(), DATE, "month_year", 0.7, "date")
        for m in _HYPHEN_PAIR.finditer(text):
            if COUNT_AFTER.match(text, m.end()):
                continue  # "TITRATE TO 3-4 BM", "up to 2-3 times": a range of counts after "to"
            before = text[max(0, m.start() - 30) : m.start()]
            if not self._ok(m.group().replace("-", "/")) or not DATE_CUE.search(before):
                continue  # "7-8" is a range unless a cue says date ("seen on 7-8")
            ends.append(m.end())
            yield Span(m.start(), m.end(), DATE, "month_day", 0.8, "date")
        for m in doc.matches_at_words(_MONTH_WORD, MONTH_TOKENS):
            if not _MONTH_CUE.search(text, max(0, m.start() - 24), m.start()) and not (
                text[m.start() - 1 : m.start()] == "(" and text[m.end() : m.end() + 1] == ")" and len(m.group("mn")) > 4
            ) and not month_alone_is_date(text, m.group("mn"), m.end()):
                continue  # "in March", "~march", "(February)", "Sept admission": a month alone needs a cue
            if _VERB_PARTICLE.match(text, m.end()):
                continue  # "to march out", "may go up": the verb with its particle
            if _MODAL_MAY.search(text, max(0, m.start("mn") - 6), m.start("mn") + 4) and _WORD_AFTER.match(
                text, m.end()
            ):
                continue  # "THIS MAY RESULT IN": the verb after a subject, in capitals as in prose
            if _cased_month_ok(doc, m.start("mn"), m.group("mn")):
                yield Span(m.start("mn"), m.end(), DATE, "month", 0.7, "date")
        low = text.lower()
        parts = _PART_OF_MONTH.finditer(text) if "mid-" in low or "early-" in low or "late-" in low else ()
        for m in parts:
            if _cased_month_ok(doc, m.start("mn"), m.group("mn")):
                yield Span(m.start("mn"), m.end("mn"), DATE, "month", 0.7, "date")
        for m in _ORDINAL_DAY.finditer(text):
            yield Span(m.start("day"), m.end("day"), DATE, "day", 0.75, "date")
        if "月" in text:
            for m in _CJK_DATE.finditer(text):  # "2024年10月3日", "10月3日"
                yield Span(m.start(), m.end(), DATE, "date", 0.95, "date")
        for m in _HOLIDAY.finditer(text):
            if re.match(r"\s+(?:disease|factor)\b", text[m.end() : m.end() + 10], re.IGNORECASE):
                continue  # "Christmas disease" is haemophilia B, not a date
            yield Span(m.start(), m.end(), DATE, "holiday", 0.85, "date")
        for m in _BIRTH_YEAR.finditer(text):
            year = int(m.group("y"))
            if self.reference_year - year > self.max_age:
                yield Span(m.start("y"), m.end("y"), DATE, "birth_year", 0.9, "date")

    @staticmethod
    def _month_name_forms(doc: Document) -> Iterator[re.Match[str]]:
        """`_MONTH_NAME_FORMS` matches, searched only around month words (a date of this kind has one)."""
        text = doc.text
        last_end = 0
        for tok in doc.tokens:
            if tok.norm not in MONTH_TOKENS or tok.end <= last_end:
                continue
            # A match starts at most "the 31st of " (12 characters) before the month word.
            start = max(last_end, tok.start - 14)
            for m in _MONTH_NAME_FORMS.finditer(text, start, min(len(text), tok.end + 40)):
                if m.start() <= tok.start < m.end():
                    last_end = m.end()
                    yield m
                    break

    def _month_name_form(self, doc: Document, m: re.Match[str]) -> Span | None:
        kind = m.lastgroup or "mdy"
        span_text = m.group()
        start, end = m.start(), m.end()
        if span_text.lower().startswith("the "):
            start += 4
            span_text = span_text[4:]
        month_match = re.search(_M, span_text, re.IGNORECASE)
        if month_match is None or not self._ok(re.sub(r"^(\d{1,2})\.[ \t]?", r"\1 ", span_text)):  # "19. november"
            return None
        month_start = start + month_match.start()
        full = kind != "my" and bool(re.search(r"\d{4}$", span_text))  # "4 jun 2024": a day, a month, a year
        if not full and re.match(r"\d{1,2}\.[ \t]", span_text):
            return None  # "Hb 12. May be low", "2. January statement": a value or a list's number, then a word
        if not full and not _cased_month_ok(doc, month_start, month_match.group()):
            return None
        index = doc.token_index_at(month_start)
        caseless = index < len(doc.tokens) and doc.tokens[index].caseless
        has_year = bool(re.search(r"\d{4}|'\d{2}|[-/.]\d{2}$", span_text))
        if caseless and month_match.group().lower() in _AMBIGUOUS_WITH_DAY and not has_year:
            # "PT 2 MAY NEED", "2 DEC BREATH SOUNDS": in capitals only an ordinal, "of", a cue before
            # or the note's heading line tells a date.
            before = doc.text[max(0, start - 30) : start]
            heading = doc.text.find("\n", 0, start) < 0  # "MICU NURSING - DEC 2 NIGHTS": the note's first line
            if not (re.search(r"(?i)\d(?:st|nd|rd|th)|\bof\b", span_text) or DATE_CUE.search(before) or heading):
                return None
        subtype = "month_year" if kind == "my" else "date"
        return Span(start, end, DATE, subtype, 0.9, "date")


@register("date", "Dates and date elements other than the year alone, holidays, and birth years implying age 90+.")
def _dates(config: DeidConfig, lexicon: Lexicon) -> _Dates:
    return _Dates(config)
