"""Shared judgements for the name recognizers: which words may be part of a name, and how a name
grows from one word to its neighbours ("J. Smith", "Mary Ann O'Neil", "Smith, John A.").

The level of evidence decides what is accepted:
* after a title or a strong label ("Dr.", "Name:", "seen by") any capitalised word may be a name;
* next to a word already taken as a name, only name-list words, initials and particles join;
* a word on its own needs the name lists and, if it is also an English word, more (see names.py).
"""

from __future__ import annotations

import re

from appliance.deid.lexicon import NAME_BITS, VERBS_AFTER_NAMES, WordClass
from appliance.deid.recognizers.credentials import CREDENTIAL
from appliance.deid.spans import NAME, Span
from appliance.deid.text import Document, Shape, Token

PARTICLES = frozenset(
    {
        "van",
        "von",
        "de",
        "del",
        "della",
        "der",
        "den",
        "da",
        "di",
        "du",
        "le",
        "la",
        "bin",
        "ibn",
        "al",
        "el",
        "ter",
        "ten",
        "st",
        "mac",
    }
)
# Field names of note headers: a label's value stops before the next field ("Name: JOHN SMITH MRN: ...").
HEADER_WORDS = frozenset(
    """
    mrn dob date age sex gender dos admission admit discharge room bed unit phone ssn acct account id fin
    location service attending pcp allergies allergy diagnosis visit time signed tel fax email address
    city state zip insurance member policy dx cc hpi race ethnicity language religion marital status dept
    department provider md rn np pa do phd referring physician resident note type encounter
    male female mr mrs ms dr disch adm acct dict trans attg
    wife husband spouse partner son daughter mother father mom dad sister brother sibling aunt uncle
    niece nephew cousin grandson granddaughter grandmother grandfather friend neighbor neighbour
    roommate caregiver guardian companion child children grandchild fiance fiancee boyfriend girlfriend
    """.split()
)
MONTH_WORDS = frozenset(
    """
    january february march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
    """.split()
)
#: Words after an eponym that show the medical sense: "Foley catheter", "Bell's palsy".
EPONYM_HEADS = frozenset(
    """
    disease diseases syndrome sign signs palsy catheter catheters monitor test tests score scores scale restraint
    criteria classification fracture fractures cyst cysts lymphoma sarcoma tumor tumour maneuver manoeuvre vest vests
    reflex triad phenomenon disorder chorea thyroiditis esophagus oesophagus node nodes procedure operation repair
    fundoplication ulcer ulcers virus protein equation formula stage staging grade position tube belt balloon line
    diet filter dementia ataxia encephalopathy anomaly bodies body cell cells rule rules coma stockings hose method
    technique neuroma contracture sclerosis aneurysm murmur respiration breathing category hump biplane sarcoidosis
    spots nodules lines stain lactate solution act variant anemia wave waves holder frame lift level
    """.split()
)
# Before an eponym, an operation the patient has had: "S/P WHIPPLE", "POD 1 WHIPPLE", "BIDIRECTIONAL GLENN".
_OPERATION_BEFORE = re.compile(
    r"(?i)\b(?:s/p|status\s+post|bidirectional|(?:pod|post-?op\s+day)\s*#?\d{1,2}|lap(?:aroscopic)?|robotic)\s+$"
)

# Words after a surname that make it a medical or scientific name whatever the surname is
# ("Merkel cell", "Wistar rats", "Cox regression", "Hansson pin"), beside EPONYM_HEADS.
SCIENCE_HEADS = EPONYM_HEADS | frozenset(
    """
    rat rats mouse mice strain strains species pouch valve valves prosthesis model models regression hazards
    hazard type types medium reaction effect law index apparatus battery questionnaire inventory infection
    infections canal duct ampulla sphincter space pin pins screw screws plate nail graft grafts shunt flap
    incision approach classification culture agar stain staining method lesion lesions granule granules
    organ organs gland glands bundle fibers fibres gene genes antigen antibody assay tube vein artery nerve
    ligament tendon muscle operation pump device implant clamp forceps needle curve curves chart charts
    analysis analyses proportional stricture metaplasia bioprosthesis experience coefficient coefficients plot
    drain drains table cautery drill retractor retractors dressing bandage splint clip clips stapler scissors
    elevator rongeur rongeurs curette frame mask cannula sheath tourniquet electrode electrodes dilator
    dilators speculum hook hooks blade knife saw burr gauze wrap wire wires rod rods punch punches wax silk
    holder holders component components block
    """.split()
)


# Endings of medical words ("myotomy", "thyroiditis", "sarcoma", "anemia", "neuropathy").
_MEDICAL_SUFFIX = re.compile(
    r"(?:otomy|ectomy|ostomy|plasty|pexy|rrhaphy|scopy|graphy|itis|osis|oma|omas|emia|aemia|pathy|algia|trophy|"
    r"plasia|penia|cytosis|uria|lysis)$"
)
# A species epithet: lower-case Latin ("albicans", "aureus", "coli", "pneumoniae").
_BINOMIAL = re.compile(r"[a-z]{3,}(?:us|is|ii|ae|um|ans|ens|ensis|oides|alis|ica|ata|osa|ium|a|i)")


def science_name(doc: Document, tok: Token) -> bool:
    """A surname inside a medical or scientific name: "Merkel cell", "Wistar Furth rats", "Klinefelter's"."""
    tokens = doc.tokens
    for step in (1, 2):
        k = tok.index + step
        if k >= len(tokens):
            return False
        nxt = tokens[k]
        gap = doc.gap(tokens[k - 1], nxt)
        if gap in (" (", "'s (", "’s (") and k + 1 < len(tokens):
            close = doc.text.find(")", nxt.end, nxt.end + 30)
            after = tokens[k + 1]
            head = after.norm in SCIENCE_HEADS or bool(_MEDICAL_SUFFIX.search(after.norm))
            if close >= 0 and after.start > close and head:
                return True  # "Baker's (popliteal) cyst": the head word after a parenthesis
        if gap not in (" ", "-", "'s ", "’s ", "' "):
            return False
        if nxt.norm in SCIENCE_HEADS or nxt.norm.rstrip("s") in SCIENCE_HEADS:
            return True
        if nxt.cls & WordClass.MEDICAL and not nxt.cls & NAME_BITS and nxt.norm not in HEADER_WORDS:
            return True  # "Barrett metaplasia", "Ionescu-Shiley pericardial bioprosthesis"
        if _MEDICAL_SUFFIX.search(nxt.norm) and not nxt.cls & NAME_BITS:
            return True  # "Heller myotomy", "Hashimoto thyroiditis", "Kaposi sarcoma"
        if step == 1 and gap == " " and _BINOMIAL.fullmatch(nxt.text) and not nxt.cls & WordClass.ENGLISH:
            return True  # "Candida albicans", "Wistar furth"? a genus and its species epithet
        if step == 1 and not (nxt.capitalised and nxt.cls & NAME_BITS):
            return False  # only one more name may stand between ("Wistar Furth rats")
    return False


NAME_LIMIT = 5  # words in one name; longer runs are headings or lists, not one person


def _unknown_title(tok: Token) -> bool:
    """A capitalised word no list knows, in a normally written line ("Yefremova", "Gelencsér")."""
    return tok.cls == WordClass.NONE and tok.shape is Shape.TITLE and not tok.caseless and len(tok.norm) > 2


def name_word(tok: Token) -> bool:
    """In the name lists, not a stop word, and written like a name where case tells."""
    return bool(tok.cls & NAME_BITS) and not tok.cls & WordClass.STOP and tok.capitalised


def glued_to_digit(doc: Document, tok: Token) -> bool:
    """ "PaCO2", "CHA2DS2", "B12", "10-French": letters run into digits are codes, formulas and sizes, not names."""
    text = doc.text
    if tok.end < len(text) and text[tok.end].isdigit():
        return True
    # "10-French": a size before the word; "G-6" is not this shape (the digit follows).
    return tok.start > 0 and (
        text[tok.start - 1].isdigit()
        or text[max(0, tok.start - 2) : tok.start - 1].isdigit()
        and text[tok.start - 1] == "-"
    )


def eponym_use(doc: Document, tok: Token) -> bool:
    """True when this eponym is used in its medical sense here ("Parkinson's disease", "Foley catheter")."""
    if not tok.cls & WordClass.EPONYM:
        return False
    possessive = tok.text[-2:].lower() in ("'s", "’s")
    if possessive and tok.cls & WordClass.EPONYM_ALONE:
        return True
    nxt = doc.tokens[tok.index + 1] if tok.index + 1 < len(doc.tokens) else None
    if nxt is not None and doc.gap(tok, nxt) in (" ", "-", "'s ", "’s ") and nxt.norm in EPONYM_HEADS:
        return True
    if _OPERATION_BEFORE.search(doc.text, max(0, tok.start - 20), tok.start):
        return True
    # "Braden 18", "Gleason 7", "Apgar 9/9": an eponymous score with its value.
    if re.match(r"(?:['’]s)?\s*(?:score\s*)?[:=]?\s*\d", doc.text[tok.end : tok.end + 12]):
        return True
    # "Glasgow Coma Scale", "Kerley B lines": one more word in between.
    after = doc.tokens[tok.index + 2] if tok.index + 2 < len(doc.tokens) else None
    return bool(
        nxt is not None
        and after is not None
        and (nxt.cls & (WordClass.EPONYM | WordClass.ENGLISH) or nxt.shape is Shape.INITIAL)
        and after.norm in EPONYM_HEADS
    )


def value_word(tok: Token, *, strict: bool) -> bool:
    """May this word be part of a name right after a title or a label?

    `strict` (labels, caseless lines) refuses stop, clinical and header words unless the word is a
    name-list word; after a title in a cased line any capitalised word is taken ("Dr. Will").
    """
    if tok.shape is Shape.LOWER and not tok.caseless:
        return False
    if tok.shape is Shape.MIXED and not tok.text[:1].isupper():
        return False
    listed = bool(tok.cls & NAME_BITS)
    if tok.norm in HEADER_WORDS and not (listed and tok.shape is Shape.TITLE):
        return False
    if tok.cls & WordClass.STOP:
        # "Dr. Will", "Patient: Will Rice": a capitalised stop word that is a first name, in a cased line.
        return tok.shape is Shape.TITLE and not tok.caseless and (not strict or bool(tok.cls & WordClass.FIRST))
    if tok.cls & WordClass.CLINICAL and not listed:
        return False
    return True


_FIELD_AHEAD = re.compile(r"[^\s:]{1,12}:(?!\d)")


def _dotted_letter(doc: Document, tok: Token) -> bool:
    """ "hyuuma t. maida": in a note all in one case, a letter with a full stop is an initial."""
    return tok.caseless and len(tok.text) == 1 and tok.text.isalpha() and doc.text.startswith(".", tok.end)


def _ends_name(doc: Document, tok: Token) -> bool:
    """In a line written in one case, a word that says what the person did or how to reach them, or "w/"."""
    return tok.caseless and (tok.norm in VERBS_AFTER_NAMES or doc.text.startswith("/", tok.end))


def take_value(doc: Document, index: int, *, strict: bool, limit: int = NAME_LIMIT) -> list[Token]:
    """Name words starting at token `index`: capitalised words, initials, particles, "Last, First"."""
    tokens = doc.tokens
    taken: list[Token] = []
    comma_used = False
    i = index
    while i < len(tokens) and len(taken) < limit:
        tok = tokens[i]
        if taken:
            gap = doc.gap(taken[-1], tok)
            prev = taken[-1]
            # "Smith, John" / "NAKAMURA, NGOZI": the first name after the comma may be any name-like word.
            comma_ok = (
                gap in (", ", ",")
                and not comma_used
                and (bool(tok.cls & WordClass.FIRST) or (strict and value_word(tok, strict=True)))
                # "DR ROSENTHAL, WILL DEFER", "DR YOUNG, FEMSTOP X 20 MIN", "DR ROOK, TICI 2B": in one case, a
                # verb or a device and its count after the comma, not the first name
                and not (tok.caseless and (tok.cls & WordClass.STOP or _COUNT_AFTER.match(doc.text, tok.end)))
            )
            if comma_ok:
                comma_used = True
            if comma_ok and tok.cls & WordClass.FIRST and tok.capitalised and tok.shape is not Shape.LOWER:
                taken.append(tok)  # "Cole, Will": after "Surname," a first name may be a stop word
                i += 1
                continue
            initial_gap = (prev.shape is Shape.INITIAL or _dotted_letter(doc, prev)) and gap in (". ", ".")
            if gap not in (" ", "  ") and not comma_ok and not initial_gap:
                break
            if initial_gap and gap == ". " and tok.cls & WordClass.STOP:
                break  # "Dr. X. He was given": the initial's full stop ends the sentence
        if tok.norm in PARTICLES and tok.shape is Shape.LOWER and i + 1 < len(tokens) and taken:
            nxt = tokens[i + 1]
            if doc.gap(tok, nxt) == " " and nxt.capitalised:
                taken.append(tok)
                i += 1
                continue
        if taken and _FIELD_AHEAD.match(doc.text, tok.start):
            break  # "Ana Ruiz  NºCol: 28": a word ending in a colon names the next field
        if taken and tok.caseless and (tok.norm == "re" or (len(tok.norm) == 1 and glued_to_digit(doc, tok))):
            break  # "PAGED DR LAMB X2 RE BP": a count and "regarding" after the name in capitals
        if taken and _ends_name(doc, tok):
            break  # "DR TOURANGEAU PGR #31842", "DR HOLZAPFEL W/ ALBUMIN"
        if taken and tok.shape is Shape.UPPER and CREDENTIAL.fullmatch(tok.text):
            break  # "Dr Siobhan Kelleher MICGP": the credential after the name
        # In capitals a further word needs name evidence of its own: "DR SMITH AWARE" ends at SMITH.
        further_ok = not (
            taken
            and tok.caseless
            and tok.cls
            and (
                not tok.cls & NAME_BITS
                or (tok.cls & WordClass.CLINICAL and not tok.cls & WordClass.FREQUENT)  # "dr. o'connor re: cath"
            )
        )
        if (
            tok.shape is Shape.INITIAL
            or (taken and _dotted_letter(doc, tok))
            or (value_word(tok, strict=strict) and further_ok)
        ):
            taken.append(tok)
            i += 1
            continue
        break
    while taken and taken[-1].norm in PARTICLES and taken[-1].shape is Shape.LOWER:
        taken.pop()
    return taken


_COUNT_AFTER = re.compile(r"[ \t]+(?:[xX][ \t]*)?\d(?!\d{0,2}[ \t]*(?i:y|yo|yrs?)\b)")  # not "76Y M", an age
# Roles written before a person's name that are also given names ("Deacon Dobbs", "Pastor Lee").
_ROLES_BEFORE_NAMES = frozenset({"pastor", "deacon", "rabbi", "imam", "chaplain", "trooper", "bishop", "elder"})


def grow(doc: Document, first: int, last: int) -> tuple[int, int]:
    """Extend a name over neighbouring name words, initials and particles (token indices, inclusive)."""
    tokens = doc.tokens
    # Leftwards: first names, initials ("J. Smith"), particles ("van Gogh").
    while first > 0 and last - first + 1 < NAME_LIMIT:
        prev, cur = tokens[first - 1], tokens[first]
        gap = doc.gap(prev, cur)
        if prev.norm in HEADER_WORDS:
            break  # "Adm Sun 4/14": a field's label ("Adm") is no first name
        if prev.shape is Shape.INITIAL and (gap in (". ", ".") or gap == " " and not prev.caseless):
            first -= 1  # "J. Smith" (in capitals "A LONG" is an article, so the full stop is needed)
        elif (
            gap == " "
            and prev.norm in PARTICLES
            and prev.shape is Shape.LOWER
            and first - 2 >= 0
            and name_word(tokens[first - 2])
        ):
            first -= 1
        elif (
            gap == " "
            and name_word(prev)
            and prev.cls & WordClass.FIRST
            and not prev.cls & WordClass.CLINICAL
            and not (prev.caseless and prev.cls & WordClass.COMMON)
            and prev.norm not in MONTH_WORDS | HEADER_WORDS | _ROLES_BEFORE_NAMES
        ):
            first -= 1
        elif (
            gap in (", ", ",")
            and first == last
            and cur.cls & WordClass.FIRST
            and name_word(prev)
            and prev.cls & WordClass.LAST
            and prev.shape is Shape.TITLE
            and cur.shape is Shape.TITLE
            and not prev.cls & WordClass.CLINICAL
        ):
            first -= 1  # "Small, Duke": surname, comma, first name
        elif (
            gap == " "
            and prev.cls == WordClass.NONE
            and (prev.shape is Shape.TITLE or prev.caseless)
            and cur.cls & WordClass.LAST
            and len(prev.norm) > 2
            and not glued_to_digit(doc, prev)
        ):
            first -= 1  # "Ngozi Nakamura", "OLUWASEUN COLLINS": a first name no list holds (and no English word)
        elif (
            gap == " "
            and prev.cls & WordClass.FIRST
            and prev.shape is Shape.TITLE
            and not prev.caseless
            and (
                cur.shape is Shape.INITIAL
                or (cur.shape is Shape.TITLE and cur.cls & WordClass.LAST and not prev.sent_start)
            )
        ):
            first -= 1  # "Will P. Cole", "is Will Carter": a first name that is also a stop word
        else:
            break
    # Rightwards: surnames, initials, particles, and one unknown capitalised word after a first name.
    while last + 1 < len(tokens) and last - first + 1 < NAME_LIMIT:
        cur, nxt = tokens[last], tokens[last + 1]
        gap = doc.gap(cur, nxt)
        if cur.shape is Shape.INITIAL:
            ok_gap = gap in (". ", " ", ".")
        else:
            ok_gap = gap == " "
        if not ok_gap or nxt.norm == "re" or (len(nxt.norm) == 1 and glued_to_digit(doc, nxt)):
            break  # "PAGED DR LAMB X2 RE BP": a count and "regarding" after the name, not its parts
        if _ends_name(doc, nxt):
            break  # "ROOMMATE BRIANNA BROUGHT PT'S METER", "DR TOURANGEAU PGR #31842", "DR HOLZAPFEL W/ ALBUMIN"
        if cur.shape is Shape.INITIAL and _unknown_title(nxt) and not nxt.sent_start:
            last += 1  # after a middle initial, a surname no list knows
            continue
        if (
            nxt.norm in ("st", "ste")
            and nxt.shape in (Shape.TITLE, Shape.UPPER)
            and cur.cls & WordClass.FIRST
            and last + 2 < len(tokens)
            and doc.gap(nxt, tokens[last + 2]) in (". ", " ")
            and tokens[last + 2].shape in (Shape.TITLE, Shape.UPPER)
        ):
            last += 2  # "Rod St. Clair": a saint's name as a surname
        elif (
            nxt.shape is Shape.INITIAL
            and last + 2 < len(tokens)
            and (name_word(tokens[last + 2]) or _unknown_title(tokens[last + 2]))
            and doc.gap(nxt, tokens[last + 2]) in (". ", " ")
        ):
            last += 1  # "Jildau S Bouts", "Faina D. Yefremova": a middle initial, then the surname
        elif (
            nxt.shape is Shape.INITIAL
            and gap == " "
            and cur.shape is not Shape.INITIAL
            and cur.cls & WordClass.FIRST
            and _TRAILING_INITIAL.match(doc.text, nxt.end)
        ):
            last += 1  # "Sarah P., 54", "seen by Emily T. at": a surname cut to its initial
        elif (
            nxt.norm in PARTICLES
            and nxt.shape is Shape.LOWER
            and last + 2 < len(tokens)
            and tokens[last + 2].capitalised
            and doc.gap(nxt, tokens[last + 2]) == " "
        ):
            last += 1
        elif (
            name_word(nxt)
            and nxt.cls & WordClass.LAST
            and nxt.norm not in MONTH_WORDS | HEADER_WORDS
            and not eponym_use(doc, nxt)
            and (
                not nxt.cls & WordClass.CLINICAL
                or nxt.shape is Shape.TITLE
                # "JOHN WALKER": in capitals, a clinical surname only after an unambiguous first name
                or (cur.cls & WordClass.FIRST and not cur.cls & (WordClass.COMMON | WordClass.CLINICAL))
            )
        ):
            last += 1
        elif (
            nxt.cls & WordClass.STOP
            and nxt.cls & WordClass.LAST
            and nxt.shape is Shape.TITLE
            and not nxt.caseless
            and cur.shape in (Shape.TITLE, Shape.INITIAL)
        ):
            last += 1  # "Wade Will", "Rusty K. Will": a capitalised stop word after a name is a surname
        elif (
            (cur.cls & WordClass.FIRST or (cur.cls == WordClass.NONE and cur.shape is Shape.TITLE))
            and nxt.cls == WordClass.NONE
            and len(nxt.norm) > 2
            and not glued_to_digit(doc, nxt)
            and (
                (not nxt.caseless and nxt.shape is Shape.TITLE and not nxt.sent_start)
                or (nxt.caseless and not cur.cls & (WordClass.COMMON | WordClass.CLINICAL))
            )
        ):
            last += 1  # "Mary Xiomara", "JOHN LINDQVIST": a surname the census list does not hold
        else:
            break
    return first, last


_TRAILING_INITIAL = re.compile(r"\.(?:[,;:)?]|\s|$)")  # the initial's full stop, then no further word part
_NAME_SUFFIX = re.compile(r",?[ \t]+(?:Jr\.?|Sr\.?|II|III|IV)(?![\w])")


def name_span(doc: Document, first: int, last: int, subtype: str, confidence: float, source: str) -> Span | None:
    """The span of tokens[first..last], without a trailing possessive or particle."""
    tokens = doc.tokens
    while last >= first and tokens[last].norm in PARTICLES and tokens[last].shape is Shape.LOWER:
        last -= 1
    if last < first:
        return None
    start, end = tokens[first].start, tokens[last].end
    suffix = _NAME_SUFFIX.match(doc.text, end)
    if suffix is not None and tokens[last].text[-2:].lower() not in ("'s", "’s"):
        end = suffix.end()  # "Dwayne Ellis Jr.", "John Smith, III"
    elif tokens[last].text[-2:].lower() in ("'s", "’s"):
        end -= 2
    elif tokens[last].shape is Shape.INITIAL and doc.text[end : end + 1] == ".":
        end += 1  # "S.F.B.", "Smith J.": the full stop belongs to the initial
    if end <= start:
        return None
    return Span(start, end, NAME, subtype, confidence, source)


_ARTICLES = frozenset({"a", "an", "the"})


def after_article(doc: Document, tok: Token) -> bool:
    """True when an article stands right before this word: people are not written "a Kling" or "the
    Bovie"; devices, dressings and instruments named after their makers are."""
    if tok.index == 0:
        return False
    prev = doc.tokens[tok.index - 1]
    return prev.norm in _ARTICLES and doc.gap(prev, tok) == " "


def things_named(doc: Document) -> frozenset[str]:
    """Capitalised words this note writes after an article and before no lower-case noun somewhere ("the
    Bovie.", "an Esmarch and", "A Zimmer NexGen"): things, here. "The Johnson novel" or "the Smith family"
    is someone's name used as an adjective, and says nothing."""
    return doc.memo("things_named", lambda: _things_named(doc))


def _things_named(doc: Document) -> frozenset[str]:
    tokens = doc.tokens
    found = set()
    for t in tokens:
        if not t.capitalised or t.caseless or not after_article(doc, t):
            continue
        nxt = tokens[t.index + 1] if t.index + 1 < len(tokens) else None
        if nxt is None or doc.gap(t, nxt) != " " or nxt.cls & WordClass.STOP or nxt.shape is not Shape.LOWER:
            found.add(t.norm)
    return frozenset(found)
