"""Ages over 89 (Safe Harbor lets ages up to 89 stay). The span covers the number only, so
"92-year-old" becomes "90+-year-old" and the sentence still reads.

Temperatures ("T 99 F", "101 F") look like "92 F": a number followed by M/F is an age only after
"a"/"an"/"pt" or at the start of a line, never after a temperature cue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon, WordClass
from appliance.deid.recognizers.base import register
from appliance.deid.spans import AGE, Span
from appliance.deid.text import Document

_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_WORD_VALUES: dict[str, int] = {"ninety": 90, "hundred": 100, "one hundred": 100, "a hundred": 100}
for _i, _u in enumerate(_UNITS, start=1):
    _WORD_VALUES[f"ninety {_u}"] = 90 + _i
    _WORD_VALUES[f"ninety-{_u}"] = 90 + _i
    _WORD_VALUES[f"one hundred and {_u}"] = 100 + _i
    _WORD_VALUES[f"one hundred {_u}"] = 100 + _i
_WORDS = (
    r"(?:ninety(?:[-\s](?:"
    + "|".join(_UNITS)
    + r"))?|(?:one|a)\s+hundred(?:\s+(?:and\s+)?(?:"
    + "|".join(_UNITS)
    + r"|ten))?)"
)

_YEARS_OLD = r"(?:-|\s)?(?:years?|yrs?|yr|y)\.?(?:-|\s)?(?:old|of\s+age|o\.?)\b"
_NUMBER_AGE = re.compile(r"(?i)(?<![\d.])(?P<n>\d{2,3})\s*(?:" + _YEARS_OLD + r"|(?:y/o|yo|y\.o\.?|yrs?)(?:[mf])?\b)")
_LABEL_AGE = re.compile(
    r"(?i)\b(?:age|aged|age\s+at\s+(?:death|diagnosis|admission|onset)|age\s*/\s*(?:sex|gender|s))"
    r"\s*(?:of\s+|is\s+|was\s+|[:=]\s*)?(?P<n>\d{2,3})(?!\d|\.\d)"
    r"(?!\s*(?:days?|d\b|weeks?|wks?|months?|mos?\b|hours?|h\b|%|mg|kg|lbs?|cm))"
)
# Ages of relatives and events: "mother alive at 93", "died at age 97", "at age 95".
_EVENT_AGE = re.compile(
    r"(?i)\b(?:(?:alive|living|died|deceased|passed(?:\s+away)?|expired|death|diagnosed|dx)\s+(?:at|aged?)|at\s+age)"
    r"\s+(?:of\s+)?(?:age\s+)?(?P<n>\d{2,3})(?!\d|\.\d)"
)
_TURNED = re.compile(r"(?i)\b(?:turned|turns|turning|celebrat\w+\s+(?:his|her|their)\s+)\s*(?P<n>\d{2,3})(?:th)?\b")
_SEX_SUFFIX = re.compile(r"(?<![\w.])(?P<n>\d{2,3})\s?(?:M|F|yo[MF]|y/o\s?[MF])\b")
# "92 F" is an age only at a line start, in a header's field ("| 91 M |") or after "a", "an", "pt" ("T 99 F"
# is a temperature).
_SEX_SUFFIX_BEFORE = re.compile(r"(?:^|\n|\|[ \t]*|\b[Aa]n?\s+|\b[Pp]t:?\s+)[ \t]*$")
_TEMPERATURE_BEFORE = re.compile(r"(?i)\b(?:t|temp|tmax|tm|temperature)[ \t:|]*$")
# "Gloria Vanterpool, 93, metastatic ...", "Ezra Lindqvist, 93 M": the number after a person's name heading
# a note; "de 91 anos", "91 Jahre alt": years in other languages.
_NAME_COMMA_AGE = re.compile(
    r"(?<![\w.])[A-Z][^\W\d_A-Z]+(?:[-'][A-Z]?[^\W\d_A-Z]+)*[ \t]+"
    r"(?:(?:van|von|de|der|den|da|del|di|du|le|la|ter|ten|bin|al)[ \t]+){0,2}"
    r"[A-Z][^\W\d_A-Z]+(?:[-'][A-Z]?[^\W\d_A-Z]+)*,[ \t]*"
    r"(?P<n>\d{2,3})(?=[ \t]*(?:,|[MF]\b|y\b|$))",
    re.M,
)
# "resident yvette thibodeau, 93, résidence ...": in any case, after a word that says a person is named.
_NAMED_COMMA_AGE = re.compile(
    r"(?i)\b(?:resident|patient|pt|client|employee|mr|mrs|ms|miss)\.?[ \t]+[^\W\d_][\w'’-]+(?:[ \t]+[^\W\d_][\w'’-]+)?"
    r",[ \t]*(?P<n>\d{2,3})(?=[ \t]*(?:,|[mf]\b|y\b|$))",
    re.M,
)
# "she is 93 and still ...", "he's 91": an age stated of a person in a sentence.
_IS_AGE = re.compile(
    r"(?i)\b(?:she|he|who)(?:\s+is|\s+was|'s|’s)\s+(?:now\s+)?(?P<n>\d{2,3})(?=\s*(?:and|,|\.|;|$|years|yrs|now|\(|[\"“]))"
)
# "you will be 94 this year", "la abuela cumple 91": an age to come, of a person.
_WILL_BE = re.compile(
    r"(?i)\b(?:(?:you|she|he|they|mom|dad|grandma|grandpa|i)\s+will\s+be|i['’]ll\s+be|cumple|cumplirá|fará|wird)\s+"
    r"(?P<n>\d{2,3})"
    r"(?=\s*(?:this|next|on|in|y\b|e\b|und\b|,|\.|;|$|years|años|anos|jahre))"
)
# "WIFE LEONIE (94)", "your mother (91)": a relative's age in brackets after them.
_KIN_BRACKET_AGE = re.compile(
    r"(?i)\b(?:wife|husband|spouse|partner|mother|father|mom|mum|dad|aunt|uncle|sister|brother|grandmother|"
    r"grandfather|grandma|grandpa|gran|nana)\b(?:[ \t]+[^\W\d_][\w'’-]*){0,2}[ \t]*\((?P<n>\d{2,3})\)"
)
# "rose delacroix 91f adm 2/11", "MAUREEN FITZGERALD 91F,": the age glued to the sex after a name.
_GLUED_SEX = re.compile(r"(?<=[^\W\d_]{2}[ \t])(?P<n>\d{2,3})[mfMF](?=[ \t,.;)]|$)", re.M)
_NOT_BEFORE_GLUED = frozenset({"temp", "tmax", "tm", "max", "febrile", "afebrile", "fever", "spiked", "to", "of", "at"})
# "82 años", "91 ans", or the Italian way, the years after: "di anni 91".
_FOREIGN_YEARS = re.compile(
    r"(?i)(?<![\d.])(?P<n>\d{2,3})"
    r"(?:\s+(?:anos|años|ans|jahre|jaar|anni|lat)\b|(?<=anni[ \t]\d\d)(?!\d)|(?<=anni[ \t]\d\d\d))"
)
_NUMBER_PATTERNS = (
    _NUMBER_AGE, _LABEL_AGE, _EVENT_AGE, _TURNED, _SEX_SUFFIX, _NAME_COMMA_AGE, _FOREIGN_YEARS, _IS_AGE, _WILL_BE,
    _KIN_BRACKET_AGE, _GLUED_SEX, _NAMED_COMMA_AGE,
)
# Cheap test first: no number from 90 to 125 and no spelled age means no age over 89 to find.
_ANY_OLD_AGE = re.compile(r"(?<!\d)(?:9\d|1[01]\d|12[0-5])(?!\d)|(?i:ninet|hundred)")
_SPELLED = re.compile(
    r"(?i)(?:\b(?P<w>" + _WORDS + r")" + _YEARS_OLD + r"|\b(?:aged?|age\s+of)\s+(?P<w2>" + _WORDS + r")\b)"
)
_DECADE = re.compile(
    r"(?i)\b(?:in\s+)?(?:his|her|their|the\s+patient'?s)\s+(?:early\s+|mid\s+|mid-|late\s+)?(?P<n>(?:9|1[0-2])0'?s|nineties)\b"
)


class _Ages:
    def __init__(self, config: DeidConfig) -> None:
        self.limit = config.max_age_kept

    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        if self.limit >= 89 and not _ANY_OLD_AGE.search(text):
            return
        for pattern in _NUMBER_PATTERNS:
            if pattern is _KIN_BRACKET_AGE and "(" not in text:
                continue
            for m in pattern.finditer(text):
                if pattern is _SEX_SUFFIX and (
                    not _SEX_SUFFIX_BEFORE.search(text, max(0, m.start() - 8), m.start())
                    or _TEMPERATURE_BEFORE.search(text, max(0, m.start() - 16), m.start())
                ):
                    continue
                if pattern is _GLUED_SEX:
                    before = doc.tokens[doc.token_index_at(m.start()) - 1]
                    if before.norm in _NOT_BEFORE_GLUED or before.cls & (WordClass.STOP | WordClass.CLINICAL):
                        continue  # "TEMP 99F", "SPIKED TO 101F": a temperature
                value = int(m.group("n"))
                if self.limit < value <= 125:
                    yield Span(m.start("n"), m.end("n"), AGE, "over_89", 0.9, "age")
        for m in _SPELLED.finditer(text):
            group = "w" if m.group("w") else "w2"
            words = re.sub(r"\s+", " ", m.group(group).lower())
            value = _WORD_VALUES.get(words, 110 if "hundred" in words else 90)
            if value > self.limit:
                yield Span(m.start(group), m.end(group), AGE, "over_89", 0.85, "age")
        for m in _DECADE.finditer(text):
            # "in her 90s" reveals an age over 89 whatever the limit (the decade starts at 90).
            yield Span(m.start("n"), m.end("n"), AGE, "over_89", 0.8, "age")


@register("age", "Ages over the limit (89): numbers, spelled out, 'in her 90s'; the number only.")
def _ages(config: DeidConfig, lexicon: Lexicon) -> _Ages:
    return _Ages(config)
