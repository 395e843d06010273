"""Patterns of the facility recognizer: head words written first ("Hospital Santa Luzia"), movement cues,
saints' names, wards with their floor, the words of note titles (which name a document, not a place), and
the heads that name a facility only with the right word before them.
"""

from __future__ import annotations

import re

from appliance.deid.lexicon import WordClass
from appliance.deid.text import Document

HEAD_FIRST = re.compile(
    r"\b(?:Hospital(?![ \t]+Day\b)|Hôpital|Hopital|Clinique|Clinica|Clínica|Klinik|Klinikum|Ospedale|Policlinico|"
    r"Centre\s+Hospitalier|"
    r"Centro\s+Hospitalar|Hospital\s+(?:de|do|da|del|das|dos)|Compl[e]?[jx]o\s+Hospitalario|Centro\s+de\s+Salud|"
    r"Centro\s+M[eé]dico|Universidad|Universitat|Universidade|Università|Facultad|Instituto|Fundaci[oó]n?)"
    r"(?P<name>(?:[ \t]+(?:(?:de|do|da|del|des|du|la|le|los|las|dos|das|di|der|von|zum|zur|am|St\.?|Sankt|San|Santa|"
    r"Santo|São|Saint|Sainte)[ \t]*){0,2}[A-ZÀ-Þ][\w'’-]+){1,4})"
)
HEAD_FIRST_CAPS = re.compile(
    r"\b(?:HOSPITAL|HÔPITAL|HOPITAL|CLÍNICA|CLINICA|CLINIQUE|CENTRO[ \t]+HOSPITALAR)[ \t]+"
    r"(?:DE|DO|DA|DEL|DAS|DOS|DI|DES|DU|LA|LE)[ \t]+"
    r"(?P<name>(?:(?:SAN|SANTA|SANTO|SÃO|SAINT|SAINTE|LA|DE|DO|DA)[ \t]+)?"
    r"[A-ZÀ-Þ][\w'’-]+(?:[ \t]+[A-ZÀ-Þ][\w'’-]+){0,3})"
)
# "Transferred to Holy Cross", "admitted at Riverbend": a capitalised place after a movement verb.
MOVEMENT_CUE = re.compile(
    r"(?i)\b(?:transferred|transfer|admitted|readmitted|discharged|accepted|presented|brought|sent|referred|"
    r"hospitali[sz]ed|treated|seen|evaluated|followed|delivered|born|rehab(?:bed)?|stayed|diagnosed|reviewed|"
    r"operated|checked\s+in|consulted|examined|imaged|scanned|tested|vaccinated|managed)\s+(?:back\s+)?"
    r"(?:to|from|at|in)\s+(?:the\s+)?$"
)
SAINT_PLACE = re.compile(
    r"\b(?P<saint>St|Saint|Ste|ST|SAINT|Mt|MT|Mount|MOUNT)\.?[ \t]+(?P<name>[A-Z][A-Za-z]+(?:['’][sS])?)"
)
LOWER_SAINT = re.compile(r"\b(?:st|saint)\.?[ \t]+(?P<name>[a-z]+)(?:['’]s)?")
WARD = re.compile(
    r"(?i)(?:\b(?:to|on|from|at|in|onto|or|ward)[ \t]+(?:the[ \t]+)?|\()"
    r"(?P<name>[^\W\d_]+(?:['’][^\W\d_]+)?(?:[ \t-][^\W\d_]+(?:['’][^\W\d_]+)?){0,2})[ \t]+\d{1,2}[a-z]?"
    r"(?:[ \t]+(?:north|south|east|west))?"
    r"(?![\w/:%-]|[.,]\d|[ \t]*(?:mg|mcg|ml|cc|units?|%|x\b|hrs?|min|days?|wks?|weeks?|months?|years?|yrs?))"
)
SEGMENT = re.compile(r"[^|\u2013\u2014]+?(?=[ \t]+[-|\u2013\u2014][ \t]+|[ \t]*\|[ \t]*|$)")
# Words of note titles ("DISCHARGE SUMMARY", "H&P", "SOAP NOTE"): a title line segment made of them
# names the document, not a place.
NOTE_WORDS = frozenset(
    """
    note notes summary report consult consultation progress admission discharge history physical soap daily
    nursing radiology operative procedure op brief transfer event emergency department visit follow up
    addendum letter imaging exam study result results order orders plan assessment d c hd day night shift
    interval evaluation h p ed er icu final preliminary amended corrected template document record
    """.split()
)


# "Family Bridges Counseling", "Bright Smile Dental": services that name a place in title case only, and
# not before a word they describe ("needs grief counseling", "Routine Dental care").
SERVICE_HEADS = ("counseling", "counselling", "respite", "recovery", "dental")
# Heads that name a facility only with the right word before them ("Nursing Home", not "at Home").
PRACTICES = frozenset({"family", "sports", "internal", "primary", "integrative"})
QUALIFIED_HEADS: dict[str, frozenset[str]] = {
    "home": frozenset(
        {"nursing", "nsg", "care", "rest", "retirement", "group", "foster", "funeral", "convalescent", "veterans"}
        | {"soldiers"}
    ),
    # Practices named by what they do: "Oak Street Primary Care", "Framingham Family Medicine",
    # "Cedar Hill Assisted Living", "Hebrew Senior Life", "Bayside Sports Medicine".
    "care": frozenset({"primary", "urgent", "home", "senior", "elder", "health", "hospice", "palliative", "community"}),
    "medicine": PRACTICES,
    "med": PRACTICES,
    "living": frozenset({"assisted", "senior", "independent"}),
    "nursing": frozenset({"skilled"}),
    "services": frozenset({"elder", "senior", "home", "family", "visiting", "hospice"}),
    "transport": frozenset({"care", "medical", "ambulance"}),
    "rescue": frozenset({"air", "ambulance"}),
    "room": frozenset({"conference"}),
    "life": frozenset({"senior"}),
    **dict.fromkeys(("pediatrics", "cardiology", "orthopedics", "orthopaedics", "dermatology"), frozenset()),
    **dict.fromkeys(SERVICE_HEADS, frozenset()),
    "plan": frozenset({"health"}),  # "Ubuntu Health Plan"
}


# Prepositions after which capitalised words (or, in one case throughout, plain words) name a place.
PLACE_PREPOSITIONS = frozenset({"at", "to", "from", "in", "into", "visited", "visits", "attended", "attends"})
# What may open a facility's name written in one case: a bracket, a label's colon, a query ("? arbor grove
# behavioral").
_OPENERS = ("(", ":", "?")


def enclosed_start(doc: Document, first: int) -> int:
    """In one case throughout, where a facility's name starts when everyday words stopped the walk left:
    up to three more words, none a function or clinical word, right after an opening bracket or a
    preposition of place ("(KESTREL BAY HOSP)", "FROM GRANITE HILL HOSPITAL"). After a label's colon or a
    bracket, an everyday word the clinical lists also hold may be one of them ("hospice: compass rose
    hospice"); after a preposition it may not ("at heart failure clinic" is a service)."""
    tokens = doc.tokens
    k = first
    clinical = False
    while k > 0 and first - k < 3:
        prev = tokens[k - 1]
        opener = doc.text[prev.end : tokens[k].start].strip()
        if prev.norm in PLACE_PREPOSITIONS or opener.endswith(_OPENERS):
            if clinical and not opener.endswith(_OPENERS):
                return first
            return k if k < first and (not opener or opener.endswith(_OPENERS)) else first
        if doc.gap(prev, tokens[k]) != " " or prev.cls & WordClass.STOP or not prev.caseless:
            return first
        if prev.cls & WordClass.CLINICAL and not prev.cls & WordClass.ENGLISH:
            return first  # "to ICU rose hospice": a clinical term only
        clinical = clinical or bool(prev.cls & WordClass.CLINICAL)
        k -= 1
    if k > 0 and k < first and doc.text[tokens[k - 1].end : tokens[k].start].strip().endswith(_OPENERS):
        return k
    return first
