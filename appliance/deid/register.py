"""Which register a text is written in: a patient's record, or medical literature about many patients.

Published medical text (abstracts, reviews, guidelines) names places, institutions, study periods,
eponyms, strains and compound codes that look like identifiers but are not about any one patient:
"patients treated at the Mayo Clinic between June 1984 and February 1990", "Barrett metaplasia",
"ionophore A23187". A record has the opposite shape: one patient, header fields, shorthand.

`reads_as_literature` answers from the text's own wording, case-insensitively (so a text in capitals
reads the same): it counts the *kinds* of research phrasing present (a cohort counted in numbers,
first-person research statements, abstract section heads, statistics, research verbs in the passive,
research vocabulary) and calls the text literature when at least ``LITERATURE_KINDS`` kinds occur and
nothing in it reads as a record of one patient (record header fields such as an MRN or a date of
birth, a titled person, a form label "Patient:"). The phrases are grammar, not vocabulary lists: each
kind is one pattern.

In literature the engine keeps only identifiers with their own strong evidence (see
`DeidEngine.detect`): contact details, labelled or check-digit numbers, titled names, full dates and
ages over 89. Names, places and codes believed from the word lists or from their shape alone are
dropped there, since in that register they are eponyms, study sites and reagents.
"""

from __future__ import annotations

import re

from appliance.deid.spans import AGE, CONTACT, DATE, LOCATION, NAME, Span

#: How many different kinds of research phrasing make a text literature.
LITERATURE_KINDS = 2

_NUMBER = (
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|"
    r"[a-z]+ty(?:-[a-z]+)?|hundred|thousand)"
)
_KINDS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE | re.MULTILINE)
    for p in (
        # A cohort counted: "75 patients", "Seventeen men", "34 New Zealand White rabbits".
        rf"\b(?!(?:19|20)\d\d\b){_NUMBER}[- ](?:[a-z-]+ ){{0,3}}(?:patients|subjects|cases|participants|"
        r"children|women|men|infants|neonates|adults|volunteers|rats|mice|dogs|rabbits|pigs|specimens|samples|individuals|"
        r"persons|families|hospitals|practices)\b",
        # First-person plural research statements and self-reference of a publication.
        r"\b(?:we (?:studied|report|describe|examined|investigated|evaluated|conclude|found|present|propose|"
        r"compared|reviewed|analy[sz]ed|measured|assessed|determined|developed|used|performed|observed|show|"
        r"demonstrate|have)|our (?:results|study|studies|data|findings|experience|series|institution|knowledge)|"
        r"(?:this|the present|the current) (?:study|article|report|paper|review|trial|investigation))\b",
        # Abstract section heads: "CONCLUSIONS:", "SETTING--", "Results."
        r"(?:^|[.\n] ?)(?:conclusions?|results|methods|objectives?|background|design|setting|purpose|"
        r"main outcome measures?|study objectives?)\s*(?::|--|\.)",
        # Statistics.
        r"\b(?:p\s*(?:<|>|=|less than|greater than)\s*0?\.\d|(?:statistically )?significant(?:ly)?|"
        r"correlat\w+|randomi[sz]ed|95% (?:ci|confidence)|confidence intervals?|odds ratios?|relative risk|"
        r"multivariate|regression analysis)\b",
        # Research verbs in the passive: "were reviewed", "was evaluated".
        r"\b(?:were|was) (?:studied|examined|analy[sz]ed|evaluated|reviewed|enrolled|randomi[sz]ed|compared|"
        r"assessed|investigated|identified|determined|recruited|selected)\b",
        # Research vocabulary.
        r"\b(?:in vitro|in vivo|et al|incidence|prevalence|literature|cohort|these (?:results|findings|data)|"
        r"(?:suggest|indicate)(?:s|d)? that)\b",
        # Patients in the plural: a record is about one.
        r"\b(?:patients|subjects|participants)\b",
        # Statements about a disease or a field rather than a person.
        r"\b(?:ha(?:s|ve) been (?:shown|reported|described|suggested|proposed|used|studied|demonstrated|found)|"
        r"(?:is|are) (?:characteri[sz]ed|defined) by|(?:is|are) (?:a |an )?(?:common|rare|uncommon|frequent|"
        r"important|major)\b|may (?:be|lead|play|contribute)|(?:remains?|is) (?:unclear|unknown|controversial))",
    )
)

# A record of one patient: header fields, a titled person, a form label.
_RECORD = re.compile(
    r"(?i:\b(?:mrn|dob|d\.o\.b|date of birth|medical record (?:number|no)|admission date|discharge date|"
    r"patient name|patient id)\b|\b(?:name|attending|ordering physician|referring physician)\s*:)|"
    r"\b(?:(?:Mr|Mrs|Ms|Dr)\.? [A-Z][a-z]|(?:MR|MRS|MS|DR)\. [A-Z]{3})"
)


def reads_as_literature(text: str) -> bool:
    """True when `text` reads as medical literature rather than a patient's record (see module doc)."""
    if _RECORD.search(text):
        return False
    kinds = 0
    for pattern in _KINDS:
        if pattern.search(text):
            kinds += 1
            if kinds >= LITERATURE_KINDS:
                return True
    return False


# Recognizers whose findings stand on their own evidence (a label, a check digit, a format, a title).
_STRONG_SOURCES = frozenset(
    {
        "name_context",
        "labelled_id",
        "checksum_id",
        "ssn",
        "phone",
        "email",
        "url",
        "ip_address",
        "street_address",
        "zip_code",
        "age",
    }
)
_MONTHS = re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?![a-z])")
_NUMBERS = re.compile(r"\d+")
# The bounds of a period: "between ... and ...", "from ... to/through ...", "since ...", "up to ...".
_PERIOD_CUE = re.compile(r"(?i)\b(?:between|from|since|through|until|to|and)[ \t]+$")


def keep_in_literature(text: str, span: Span) -> bool:
    """Whether `span` still counts as an identifier when its text reads as literature."""
    if span.label in (CONTACT, AGE):
        return True
    if span.label == DATE:
        # A full date (day, month and year) is kept; a month and year ("June 1984") or a bare "5/14" is
        # a study period or a fraction.
        piece = text[span.start : span.end]
        if _PERIOD_CUE.search(text, max(0, span.start - 16), span.start):
            return False  # "between 31 December 1987 and 31 August 1989": a study period
        return len(_NUMBERS.findall(piece)) + (1 if _MONTHS.search(piece) else 0) >= 3
    return span.source in _STRONG_SOURCES


# A name or place that names a study, a score or a publication ("Framingham risk score", "Framingham
# Heart Study", "ADA guidelines", "the 2023 JAMA article") says nothing about a patient, in any register.
_INSTRUMENT_WORDS = (
    r"(?:score|scores|study|studies|trial|trials|cohort|criteria|scale|equation|classification|guidelines?|"
    r"index|article|journal|registry)"
)
_INSTRUMENT_AFTER = re.compile(
    r"(?i)[ \t]+(?:(?:risk|heart|coma|stroke|bleeding|health|offspring)[ \t]+)?" + _INSTRUMENT_WORDS + r"\b"
)
_INSTRUMENT_LAST = re.compile(r"(?i)[ \t]" + _INSTRUMENT_WORDS + r"$")


def names_an_instrument(text: str, span: Span) -> bool:
    """True when a name or place found from lists or shape (not a title, label or format) is the name
    of a study, score or publication: followed by such a word, or ending in one."""
    if span.label not in (NAME, LOCATION) or span.source in _STRONG_SOURCES:
        return False
    if span.end - span.start > 60:
        return False
    return bool(_INSTRUMENT_AFTER.match(text, span.end) or _INSTRUMENT_LAST.search(text, span.start, span.end))
