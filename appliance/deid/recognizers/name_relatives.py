"""Names of relatives and of the care team, found by who they are to the patient.

`relatives`: after a kinship or care-team word ("her son John", "NP Garcia aware"); `possessive_relatives`:
before one, with a possessive ("tom brightwater's daughter"); `relative_after`: named first and then said
who they are ("frank (son)", "hope, the pt's niece"); `patient_before_age`: the patient named before the
stated age ("pt ruby tallchief, 34 yo f"). Part of the `name_context` recognizer (names.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.lexicon import NAME_BITS, VERBS_AFTER_NAMES, WEEKDAYS, WordClass
from appliance.deid.recognizers.credentials import CREDENTIAL_WORDS
from appliance.deid.recognizers.name_rules import HEADER_WORDS, grow, name_span, name_word
from appliance.deid.spans import NAME, Span
from appliance.deid.text import Document, Shape


def _first_token_at(doc: Document, offset: int) -> int | None:
    index = doc.token_index_at(offset)
    if index < len(doc.tokens) and doc.tokens[index].start - offset <= 1:
        return index
    return None


# Softer cues: only name-list words after them ("Patient John Smith", "per Smith", "called Grace").
RELATIVE = re.compile(
    r"(?i)\b(?P<rel>wife|husband|spouse|partner|son|daughter|mother|father|mom|dad|sister|brother|sibling|aunt|uncle|"
    r"mum|mam|mummy|mommy|mama|papa|daddy|auntie|aunty|granny|gran|nana|nanna|tita|tito|lola|lolo|kuya|"
    r"niece|nephew|cousin|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|stepson|stepdaughter|"
    r"stepmother|stepfather|fianc[eé]e?|boyfriend|girlfriend|friend|neighbou?r|roommate|caregiver|guardian|"
    r"companion|child|grandchild|godson|goddaughter|baby(?:[ \t]+(?:boy|girl))?|"
    # people of the care team, named by their role ("NP Garcia aware", "case mgr Paulette", "cm frank")
    r"case\s+(?:mgr|manager|worker)|caseworker|navigator|matron|paramedic|emt|medic|detective|officer|sergeant|sgt|"
    r"deputy|constable|pct|"
    r"cm|sw|social\s+worker|charge\s+nurse|rn|np|pa|interpreter|chaplain|"
    r"attending|resident|fellow|intern|pcp|dietitian|nutritionist|pharmacist|therapist|nurse|educator|lc|rt|"
    r"admissions|coordinator|liaison|fr\.|sr\.|dtr|cnm|midwife|doula|sponsor|aide|clerk|ibclc|sitter|pca|cna|lpn|"
    r"rrt|hha|secretary|receptionist|volunteer|slp|atty|attorney|counsel|rep|daughters|sons|sisters|brothers|"
    r"nieces|nephews|granddaughters|grandsons|fob|mob|sib|(?:sister|brother|mother|father|son|daughter)-in-law|"
    r"coach|security|trooper|pastor|deacon|rabbi|imam|counsel(?:l)?or|lactation|ot|ho|hospitalist|intensivist|md|pharmd|"
    r"parents|twin[ \t]+[ab]|tech|technician|technologist|prosthetist|orthotist|audiologist|podiatrist|"
    r"perfusionist|gf|bf|house[ \t]+sup(?:ervisor)?|supervisor|research[ \t]+(?:rn|nurse|coordinator)|"
    r"(?:outreach|support|key|youth|peer)[ \t]+worker|carer|fdw|maid|nanny|housekeeper|"
    r"(?-i:RD|rd)(?![ \t]*,)|child[ \t]+life|(?-i:ma|na))"  # a dietitian ("Rd" is a road); assistants
    r"(?:'s)?(?:(?:,)?[ \t]+(?:(?:named|is|was|called|on[ \t]+call|on-call)[ \t]+)?|[ \t]*\((?=[^\W\d_][\w'’-]*[,)]))"
)

_INITIAL_THEN_SURNAME = re.compile(r"[^\W\d_]\.[ \t]?(?P<surname>[^\W\d_][\w'’]+(?:-[^\W\d_][\w'’]+)?)")
_PREPOSITIONS = frozenset({"in", "at", "on", "to", "from", "by", "with", "of", "and", "or"})
_TITLES_AFTER_ROLE = frozenset({"dr", "bro", "fr", "rev", "mr", "mrs", "ms", "atty"})
# Role abbreviations that are also units after a number ("8 cm", "2 pa").
_UNITS = frozenset({"cm", "pa"})
_NICKNAME = re.compile(r"""[ \t]*\([ \t]*["“'‘](?P<n>[^\W\d_][\w'’-]{1,20})["”'’][ \t]*\)""")
# Words that cannot follow a modal verb: after "son will", "wife may" they make it a name.
_NO_VERB_AFTER = frozenset({"is", "was", "at", "aware", "hcp", "here", "called", "visited", "and"})
_MADE_AWARE = frozenset({"aware", "notified", "paged", "updated", "informed"})
_MEASURE_BEFORE = re.compile(r"\d[ \t-]*$")
_CREDENTIAL_BEFORE = re.compile(r",[ \t]*$")
_NUMBER_AFTER = re.compile(r"[ \t]*[(,:-]?[ \t]*\+?\(?\d{3}\)?[-. /]?\d{3}")

# A relative named first and then said who they are: "frank (son)", "rosa (daughter, hcp)", "Hope, the
# pt's niece", "bill, her husband".
_KIN = (
    r"wife|husband|spouse|partner|son|daughter|mother|father|mom|dad|sister|brother|aunt|uncle|niece|nephew|"
    r"cousin|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|stepson|stepdaughter|fianc[eé]e?|"
    r"boyfriend|girlfriend|friend|neighbou?r|roommate|caregiver|guardian|hcp|poa"
)
_RELATIVE_AFTER = re.compile(
    r"(?i)(?:[ \t]*\((?:the[ \t]+)?(?:(?:pt|patient|pt's|patient's|pts|his|her)[ \t]+)?(?:"
    + _KIN
    + r")\b[^()\n]{0,24}\)"
    r"|,[ \t]+(?:the[ \t]+)?(?:pt['’]?s|patient['’]s|his|her|their)[ \t]+(?:" + _KIN + r")\b"
    r"|,[ \t]+(?:" + _KIN + r")(?=[ \t]*[,)]))"  # "(Leopold, son, and Rosamund, daughter)"
)

_POSSESSIVE_RELATIVE = re.compile(
    r"(?i)['’]s[ \t]+(?P<rel>wife|husband|spouse|partner|son|daughter|mother|father|mom|dad|sister|brother|"
    r"aunt|uncle|niece|nephew|cousin|grandson|granddaughter|grandmother|grandfather|fianc[eé]e?|boyfriend|"
    r"girlfriend|caregiver|guardian)\b"
)
RELATIVE_WORDS = frozenset(
    """
    wife husband spouse partner son daughter mother father mom dad sister brother sibling aunt uncle niece nephew
    cousin grandson granddaughter grandmother grandfather grandma grandpa stepson stepdaughter stepmother stepfather
    fiance fiancee fiancé fiancée boyfriend girlfriend friend neighbor neighbour roommate caregiver guardian
    companion child grandchild godson goddaughter baby case cm sw social charge rn np pa interpreter chaplain
    attending resident fellow intern pcp dietitian nutritionist pharmacist therapist nurse educator lc rt admissions
    coordinator liaison fr sr dtr cnm midwife doula sponsor aide clerk ibclc sitter pca cna lpn rrt hha secretary
    receptionist volunteer slp atty attorney counsel rep daughters sons sisters brothers nieces nephews
    granddaughters grandsons fob mob sib sister-in-law brother-in-law mother-in-law father-in-law son-in-law
    daughter-in-law coach security trooper pastor deacon rabbi imam counselor counsellor lactation ot ho hospitalist
    intensivist md pharmd caseworker navigator matron paramedic emt medic detective officer sergeant sgt deputy
    constable pct parents twin tech technician technologist prosthetist orthotist audiologist podiatrist
    perfusionist gf bf house supervisor research outreach support key youth peer carer fdw maid nanny housekeeper
    mum mam mummy mommy mama papa daddy auntie aunty granny gran nana nanna tita tito lola lolo kuya rd
    """.split()
)


def relatives(doc: Document) -> Iterator[Span]:
    for m in doc.matches_at_words(RELATIVE, RELATIVE_WORDS):
        index = _first_token_at(doc, m.end())
        if index is None:
            continue
        if _MEASURE_BEFORE.search(doc.text, max(0, m.start() - 8), m.start()) and m.group("rel").lower() in _UNITS:
            continue  # "8 cm long": centimetres, not a case manager
        tok = doc.tokens[index]
        if tok.norm in CREDENTIAL_WORDS:
            continue  # "vp rn cwon": a second credential, not a name
        if tok.caseless and tok.norm in _PREPOSITIONS:
            continue  # "HER MOTHER IN SCRANTON": "In" is a given name too, but not after a kin word in capitals
        if tok.norm in _TITLES_AFTER_ROLE:
            continue  # "CHAPLAIN BRO. ANSELM", "PCP DR MOREAU": the title's own rule takes the name
        initial = _INITIAL_THEN_SURNAME.match(doc.text, tok.start)
        if initial is not None and len(tok.text) == 1:
            words = doc.tokens_in(initial.start("surname"), initial.end("surname"))
            if words and not words[0].cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.ENGLISH):
                yield Span(tok.start, initial.end("surname"), NAME, "clinician", 0.8, "name_context")
                continue  # "house sup j. okonkwo", "hospitalist m. farouk": an initial and a surname
        if m.group("rel").lower() == "md" and (
            _CREDENTIAL_BEFORE.search(doc.text, max(0, m.start() - 3), m.start()) or m.end() != m.end("rel") + 1
        ):
            continue  # "Victor Anand, MD, Orthopaedic Surgery": a credential after a name, not a role before one
        if tok.caseless:
            # "WIFE ROSE", "SON JOHN", "SISTER RAHUL COOK"; not "SON WILL VISIT", "WIFE PRESENT".
            nxt = doc.tokens[index + 1] if index + 1 < len(doc.tokens) else None
            before_surname = bool(
                nxt is not None
                and doc.gap(tok, nxt) == " "
                and name_word(nxt)
                and nxt.cls & WordClass.LAST
                and not nxt.cls & WordClass.CLINICAL
                and (tok.cls == WordClass.NONE or not nxt.cls & WordClass.COMMON)
            )
            ok = (
                name_word(tok)
                and not tok.cls & WordClass.CLINICAL
                and (bool(tok.cls & WordClass.FIRST) or not tok.cls & WordClass.COMMON or before_surname)
            ) or (tok.cls == WordClass.NONE and len(tok.norm) > 2 and before_surname)
            # "SON-IN-LAW WILL GARRETT": a given name that is also a word, before a surname
            ok = ok or bool(tok.cls & WordClass.FIRST and before_surname and tok.norm not in WEEKDAYS)
            # "SW PRIYANKA TO SEE": in capitals, a longer word no list knows after the role
            ok = ok or (tok.cls == WordClass.NONE and len(tok.norm) >= 5 and tok.text.isalpha())
            # "admissions tamsin", "fr. tomasz": in a note all in lower case, a word no list knows
            ok = ok or (
                tok.cls == WordClass.NONE
                and len(tok.norm) >= 4
                and tok.shape is Shape.LOWER
                and not any(ch.isdigit() for ch in tok.text)
                and tok.norm not in VERBS_AFTER_NAMES  # "sitter req'd"
            )
            # "SON WILL IS HCP", "wife may aware": a given name that is also a verb, where no verb can follow;
            # "RT SPARROW AWARE", "np crow notified": a surname that is also a word, before what staff are made
            ok = ok or bool(
                (
                    tok.cls & WordClass.FIRST
                    or tok.cls & WordClass.LAST and not tok.cls & (WordClass.STOP | WordClass.CLINICAL)
                )
                and nxt is not None
                and doc.gap(tok, nxt) == " "
                and nxt.norm in _NO_VERB_AFTER
            )
            # "hcp son will (774-555-0155)": a given name that is also a word, then a number to call
            ok = ok or bool(
                tok.cls & WordClass.FIRST
                and not tok.cls & (WordClass.CLINICAL | WordClass.MEDICAL)
                and _NUMBER_AFTER.match(doc.text, tok.end)
            )
            surname_made_aware = bool(
                tok.cls & WordClass.LAST
                and not tok.cls & (WordClass.CLINICAL | WordClass.STOP | WordClass.MEDICAL)
                and nxt is not None
                and doc.gap(tok, nxt) == " "
                and nxt.norm in _MADE_AWARE
            )
            if not ok and surname_made_aware:
                yield Span(tok.start, tok.end, NAME, "clinician", 0.75, "name_context")
                continue
            # "HCP IS HUSBAND WILL, SEEN IN ...", "DAUGHTER MAY + SON-IN-LAW": a given name that is also a word,
            # then a comma or a joining sign, where no verb can follow
            ok = ok or bool(
                tok.cls & WordClass.FIRST
                and not tok.cls & (WordClass.CLINICAL | WordClass.MEDICAL)
                and re.match(r"[ \t]*[,+&]", doc.text[tok.end : tok.end + 3]) is not None
            )
            # "PARENTS FOLA AND ADE": after a plural kin word, a word no list knows before "and"
            ok = ok or bool(
                m.group("rel").lower() == "parents"
                and tok.cls == WordClass.NONE
                and len(tok.norm) >= 3
                and tok.text.isalpha()
                and nxt is not None
                and nxt.norm == "and"
            )
            # "TWIN A (JUNIPER)": a name alone in brackets right after who it is
            ok = ok or bool(
                doc.text[tok.start - 1 : tok.start] == "("
                and (tok.cls & NAME_BITS or tok.cls == WordClass.NONE)
                and not tok.cls & (WordClass.CLINICAL | WordClass.STOP)
                and doc.text.startswith(")", tok.end)
            )
            ok = ok and tok.norm not in WEEKDAYS  # "mother thurs.": the day she comes
        elif m.group("rel").lower().startswith("tech") and not m.group("rel").islower():
            continue  # "Sandstone Tech Park": in a cased line "Tech" is part of a name, not a role before one
        elif m.group("rel").lower() == "parents" and not tok.cls & WordClass.FIRST:
            continue  # "T1D Parents Aotearoa": a group of parents, not parents named
        else:
            # "her son Will": in a cased line a capitalised first name counts even if it is a word.
            ok = (
                tok.shape is Shape.TITLE
                and (bool(tok.cls & WordClass.FIRST) or not tok.cls & (WordClass.STOP | WordClass.CLINICAL))
                and tok.norm not in HEADER_WORDS
            )
        if not ok:
            continue
        first, last = grow(doc, index, index)
        first = max(first, index)  # "prosthetist dale": the role before is no part of the name
        # "wife maría josé", "daughter Anne Marie": a second given name after the first.
        while last + 1 < len(doc.tokens) and last - first < 2 and _second_given_name(doc, last):
            last += 1
        if last == first and last + 1 < len(doc.tokens) and _unlisted_surname(doc, last):
            last += 1
        span = name_span(doc, first, last, "relative", 0.85, "name_context")
        if span:
            yield span
            nickname = _NICKNAME.match(doc.text, span.end)
            if nickname:  # 'SON RICHARD ("RICH")': the name the family uses
                yield Span(nickname.start("n"), nickname.end("n"), NAME, "relative", 0.8, "name_context")
            if m.group("rel").lower().endswith("s") and last + 2 < len(doc.tokens):  # "sons", "parents"
                yield from _second_of_pair(doc, last)


def _second_of_pair(doc: Document, last: int) -> Iterator[Span]:
    """ "SONS ARVID AND LENNART": after a plural kin word and a first name, the name after "and"."""
    conj, tok = doc.tokens[last + 1], doc.tokens[last + 2]
    if conj.norm != "and" or doc.gap(doc.tokens[last], conj) != " " or doc.gap(conj, tok) != " ":
        return
    if tok.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.ENGLISH) and not tok.cls & WordClass.FIRST:
        return
    if tok.cls & NAME_BITS or (tok.cls == WordClass.NONE and len(tok.norm) >= 4):
        span = name_span(doc, tok.index, tok.index, "relative", 0.8, "name_context")
        if span:
            yield span


def possessive_relatives(doc: Document) -> Iterator[Span]:
    """ "tom brightwater's daughter", "MRS. ABARA'S SON": a person named by whose relative they are.
    The word before "'s" must read as a name (a name-list word, or a word no list knows when a first
    name stands before it) and not as a word, a clinical term or a field name ("the patient's son")."""
    tokens = doc.tokens
    for m in _POSSESSIVE_RELATIVE.finditer(doc.text):
        index = doc.token_index_at(m.start("rel")) - 1
        if index < 0:
            continue
        owner = tokens[index]
        if owner.norm in HEADER_WORDS or owner.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.COUNTRY):
            continue
        if owner.shape is Shape.LOWER and not owner.caseless or owner.shape is Shape.MIXED:
            continue
        prev = tokens[index - 1] if index > 0 else None
        first_before = bool(
            prev is not None
            and doc.gap(prev, owner) == " "
            and prev.cls & WordClass.FIRST
            and not prev.cls & (WordClass.STOP | WordClass.CLINICAL)
            and prev.norm not in HEADER_WORDS
        )
        listed = bool(owner.cls & NAME_BITS) and not owner.cls & WordClass.COMMON
        unknown = owner.cls & ~WordClass.FREQUENT == WordClass.NONE and len(owner.norm) > 2
        if not (listed or (unknown and first_before) or (owner.cls & NAME_BITS and first_before)):
            continue
        first = index - 1 if first_before else index
        span = name_span(doc, first, index, "person", 0.8, "name_context")
        if span:
            yield span


def relative_after(doc: Document) -> Iterator[Span]:
    """ "frank (son)", "Hope, the pt's niece": a word the name lists know, or a capitalised word no list
    knows, right before a bracket or an apposition that says which relative it is."""
    tokens = doc.tokens
    for tok in tokens:
        if len(tok.norm) < 3 or tok.norm in HEADER_WORDS or tok.norm in RELATIVE_WORDS:
            continue
        if tok.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.COUNTRY) and not tok.cls & WordClass.FIRST:
            continue
        listed = bool(tok.cls & NAME_BITS)
        unknown = tok.cls & ~WordClass.FREQUENT == WordClass.NONE and (tok.shape is Shape.TITLE or doc.caseless)
        if not (listed or unknown) or tok.shape is Shape.MIXED:
            continue
        if not _RELATIVE_AFTER.match(doc.text, tok.end):
            continue
        first = tok.index
        prev = tokens[first - 1] if first > 0 else None
        if (
            prev is not None
            and doc.gap(prev, tok) == " "
            and prev.cls & WordClass.FIRST
            and not prev.cls & (WordClass.STOP | WordClass.CLINICAL)
            and prev.norm not in HEADER_WORDS
            and prev.norm not in RELATIVE_WORDS
            and (prev.shape is tok.shape or doc.caseless)
        ):
            first -= 1  # "tom brightwater (son)"
        span = name_span(doc, first, tok.index, "relative", 0.8, "name_context")
        if span:
            yield span


def _unlisted_surname(doc: Document, last: int) -> bool:
    """ "FATHER RAJENDRA PAWAR, MOB ...": after a given name, a word no list knows, written like it, that
    closes the clause: the surname."""
    cur, nxt = doc.tokens[last], doc.tokens[last + 1]
    if doc.gap(cur, nxt) != " " or nxt.shape is not cur.shape:
        return False
    if cur.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.ENGLISH):
        return False
    closes = re.match(r"[ \t]*(?:[,;(]|\n|$)", doc.text[nxt.end : nxt.end + 2]) is not None
    return closes and nxt.cls == WordClass.NONE and len(nxt.norm) >= 4 and nxt.text.isalpha()


def _second_given_name(doc: Document, last: int) -> bool:
    """Whether the word after token `last` is a further given name: a first name of the lists, written
    like the one before it, that no list reads as a word, a clinical term or a field name."""
    cur, nxt = doc.tokens[last], doc.tokens[last + 1]
    if doc.gap(cur, nxt) != " " or nxt.shape is not cur.shape or not nxt.cls & WordClass.FIRST:
        return False
    if nxt.cls & (WordClass.COMMON | WordClass.STOP | WordClass.CLINICAL | WordClass.ENGLISH):
        return False
    return nxt.norm not in HEADER_WORDS and len(nxt.norm) > 2


# "pt ruby tallchief, 34 yo f", "PT DMITRI VOLKONSKY, 63 YO M", "pt abdullahi warsame 72 yo m", "PT: ANA
# RUIZ 84 F.", "pt anjali raghunathan, 45.": after "pt" or "patient" (and a title), one to four words, a
# stated age or an age and sex, or a bare age between a comma and the clause's end; or two or three words
# opening a line ("vernon bishop 59 yo m, t2dm").
_PATIENT_BEFORE_AGE = re.compile(
    r"(?im)(?:\b(?:pt|patient)\.?:?[ \t]+(?:(?:mr|mrs|ms|miss|mx|ông|bà|sr|sra|señor|señora)\.?[ \t]+)?|"
    r"(?P<line>^[ \t]*))"
    r"(?P<n>[^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,3})(?:,?[ \t]*\d{1,3}[ \t-]*"
    r"(?:yo|y/o|y\.o\.|yrs?|years?|-year|[mf](?=[ \t]*[,.])|(?:wks?|weeks?|mos?|months?|days?)[ \t-]+old)\b"
    r"|,[ \t]*\d{2,3}(?=[.;,](?:\s|$))"  # "pt anjali raghunathan, 45."
    # "pt summer oduya 29, teacher", "pt frank o. mbeki mrn 00482217", "pt rose delacroix-whitby / 44F"
    r"|(?<!:)[ \t]+\d{1,3}(?=,[ \t])|,?[ \t]+(?=(?:mrn|dob|urn?|nhi|uhid)\b)|[ \t]*/[ \t]*\d{1,3}[ \t]*[mf]\b"
    r"|,[ \t]*\d{1,3}[ \t]+(?=[a-z]+[ \t]+[mf]\b))"  # "PT TAN AH KOW, 78 CHINESE M"
)


def patient_before_age(doc: Document) -> Iterator[Span]:
    """The patient named between "pt" and the stated age. No word may be a function word, a clinical term
    or a field name, and at least one must read as a name (a name-list word or a word no list knows):
    "pt alert, 63 yo" and "pt seen today, 80 yo" name no one."""
    for m in _PATIENT_BEFORE_AGE.finditer(doc.text):
        first = _first_token_at(doc, m.start("n"))
        if first is None:
            continue
        last = doc.token_index_at(m.end("n")) - 1
        # An initial with its full stop inside the name is no word: "pt frank o. mbeki mrn", "pt kayden m. 6 wk old".
        words = [t for t in doc.tokens[first : last + 1] if len(t.norm) > 1 or doc.text[t.end : t.end + 1] != "."]
        if not words or any(
            t.cls & (WordClass.STOP | WordClass.CLINICAL) or t.norm in HEADER_WORDS or any(c.isdigit() for c in t.text)
            for t in words
        ):
            continue
        if m.group("line") is not None and (len(words) not in (2, 3) or words[0].cls & WordClass.ENGLISH):
            continue  # "Female 82 yo", "Elderly woman, 82 yo": a line that opens with words, not a name
        named_pair = len(words) == 2 and words[0].cls & ~WordClass.FREQUENT == WordClass.FIRST
        if any(t.cls & (WordClass.ENGLISH | WordClass.COMMON) and not t.cls & WordClass.FIRST for t in words) and not (
            named_pair and words[1].cls & WordClass.LAST
        ):
            continue  # "pt alert, 63 yo"; "vernon bishop 59 yo" is a first name and a surname
        if not any(t.cls & NAME_BITS or t.cls & ~WordClass.FREQUENT == WordClass.NONE for t in words):
            continue
        span = name_span(doc, first, last, "patient", 0.85, "name_context")
        if span:
            yield span


# Words after which a capitalised word stands in the place of a person.
_ADDRESSED = re.compile(
    r"(?:\b(?:Hi|Hello|Hey|Dear|dear|Thanks|Thank\s+you|Cheers|Regards|says|said|asks|asked|told|wrote|writes|"
    # greetings in other languages: "Kia ora Marama", "Sevgili Eleni", "Gentile Sig.ra De Santis", "Querida Ana"
    r"Kia\s+ora|Sevgili|Gentile(?:\s+Sig\.(?:ra|na)?)?|Caro|Cara|Querid[oa]|Estimad[oa]|Lieber?|Beste|Hola|Bonjour|"
    r"Ol[áa]|Hej|Hallo|Ciao|"
    r"according\s+to|my\s+(?:kid|baby|boss|colleague|coworker|co-worker|manager|friend|partner|neighbou?r)|"
    r"(?i:(?:maiden|last|first|middle|family|given|legal|full|real|birth|preferred|sur)\s*name)(?:\s+is)?\??|"
    r"(?i:my\s+name\s+is)|"
    r"(?i:call(?:s|ed)?\s+me)|I'm|I\s+am|named)"
    r"[ \t]*[,:]?[ \t]+)"
)
# The second person greeted: "Hi Kalani and Jordan,".
_SECOND_ADDRESSED = re.compile(r"[ \t]+(?:and|&)[ \t]+(?P<n>[A-Z][a-zà-ÿ'’-]+)[ \t]*[,!:]")
_SELF_NAMING = re.compile(r"name\s+is|call(?:s|ed)?\s+me")
ADDRESSED_WORDS = frozenset(
    """
    hi hello hey dear thanks thank cheers regards says said asks asked told wrote writes according my maiden
    last first middle family given legal full real birth preferred surname call calls called i im named
    kia sevgili gentile caro cara querido querida estimado estimada liebe lieber beste hola bonjour olá ola hej
    hallo ciao
    """.split()
)


# Whom a letter addresses by role: "Dear Parent/Guardian", "Dear Colleague", "Hi Team".
ADDRESSED_ROLES = frozenset(
    "parent parents guardian guardians caregiver carer colleague colleagues team sir madam all friends family "
    "patient patients customer member resident neighbour neighbor applicant client guest student students "
    "everyone".split()
)


def addressed(doc: Document) -> Iterator[Span]:
    """ "Hi Vinicio,", "Dear Katrine", "says Bergqvist.": a capitalised word in the place of a
    person, even when no list knows it (names from everywhere)."""
    for m in doc.matches_at_words(_ADDRESSED, ADDRESSED_WORDS):
        index = _first_token_at(doc, m.end())
        if index is None:
            continue
        tok = doc.tokens[index]
        cue = m.group().lower()
        # "my name is vitoria", "people call me višeslav": a self-naming cue names the word after it
        # in any case; other cues only in a note written all in lower case.
        lower_ok = tok.shape is Shape.LOWER and (doc.caseless and "name" in cue or bool(_SELF_NAMING.search(cue)))
        if not lower_ok and (tok.caseless or tok.shape is not Shape.TITLE or len(tok.norm) < 3):
            continue
        if tok.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.COUNTRY) or tok.norm in HEADER_WORDS:
            continue
        if tok.cls & WordClass.ENGLISH and not tok.cls & NAME_BITS or tok.norm in ADDRESSED_ROLES:
            continue  # "Hi Team", "Dear Parent/Guardian": a word or a role, not a name
        first, last = grow(doc, index, index)
        span = name_span(doc, first, last, "person", 0.8, "name_context")
        if span:
            yield span
            second = _SECOND_ADDRESSED.match(doc.text, span.end)
            if second is not None and m.group().strip()[0].isupper():
                cls = doc.tokens[doc.token_index_at(second.start("n"))].cls
                if cls & NAME_BITS and not cls & (WordClass.STOP | WordClass.CLINICAL) or cls == WordClass.NONE:
                    yield Span(second.start("n"), second.end("n"), NAME, "person", 0.8, "name_context")
