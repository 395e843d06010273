"""Care services named by what they do, after a preposition: "dialyzes at riverside dialysis", "meds sent
to harbor drug", "nurse from tri-county vna", "BIB HARBOR EMS"; and workplaces named by plain words at the end of
a clause ("works 2nd shift at crane precision."). Part of the `facility` and `organisation` recognizers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.lexicon import VOCABULARY_ENDINGS, WordClass
from appliance.deid.recognizers.locations import NAME_LIKE
from appliance.deid.recognizers.name_rules import MONTH_WORDS
from appliance.deid.spans import LOCATION, Span
from appliance.deid.text import Document, Token

# A word of a service's name: not a preposition ("bib police from westbrook high school" names the school).
_NAME_WORD = r"(?!(?:at|to|from|via|by|with|for|in|on|of)\b)[a-z][a-z'’-]*"
# What a care service does, after its name: "riverside dialysis", "harbor drug", "tri-county vna".
_SERVICE_NAME_AND_KIND = (
    r"(?P<name>" + _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,2}?)[ \t]+"
    r"(?:dialysis(?:[ \t]+(?:center|unit))?|infusion|vna|drug|ems|chair[ \t]+car|"
    r"(?:critical[ \t]+(?:care[ \t]+)?)?(?:ambulance|transport)|(?-i:Critical[ \t]+Care|CRITICAL[ \t]+CARE|Renal)|"
    r"dme|snf|ltach|staffing|apothecary|hh|"
    r"air[ \t]+med(?:ical)?|"
    r"(?:oxygen|o2)(?:[ \t]+(?:supply|supplies))?|paratransit|med[ \t]?flight|life[ \t]?flight|"
    r"(?:home[ \t]+)?medical(?:[ \t]+(?:supply|supplies|rentals?|equipment|transport(?:ation)?))?|"
    r"supply|supplies|rentals|home[ \t]+health|home[ \t]+care|home[ \t]+aides|hospice|transit|rides|pharmacy|"
    r"medi-?van|cab|"
    r"elementary|(?:middle|high)[ \t]+school|detox|recovery[ \t]+(?:ctr|center)|(?:ortho[ \t]+)?assoc|otp|"
    r"visiting[ \t]+nurses?(?:[ \t]+(?:association|assoc|services))?|"
    r"(?P<weak>recovery|counseling|counselling|pediatrics|clubhouse|associates|commons|kidney[ \t]+care))\b"
)
_SERVICE = re.compile(
    r"(?i)(?:\b(?P<prep>at|to|from|via|bib|by|w/|w(?=[ \t])|with|thru|through|called|contact|contacted|unit|vna|"
    r"pharmacy(?:[ \t]+of[ \t]+choice(?:[ \t]+is)?|[ \t]+is))[ \t]+|\(|:[ \t]*)"
    + _SERVICE_NAME_AND_KIND
)
# The same after a comma or "and", in a list of places: "glen meadow rehab, oakhaven snf and ...".
_LISTED_SERVICE = re.compile(r"(?i)(?P<listed>,|\band\b)[ \t]+" + _SERVICE_NAME_AND_KIND)
# The same opening a clause or a line, for the kinds that only a service's name stands before:
# "transport called. blue ridge ambulance bls stretcher", "hd tx note, chair 6 - eastgate dialysis".
_STARTING_SERVICE = re.compile(
    r"(?im)(?:^|(?<=[.;!?])[ \t]+|(?<=[ \t][-–])[ \t]+)(?P<name>" + _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD
    + r"){0,2}?)[ \t]+(?:dialysis|ambulance|ems|vna|hospice|home[ \t]+health|home[ \t]+care)\b"
)
# A transport company between its label and the vehicle it sends: "TRANSPORT: GEM CITY WHEELS STRETCHER",
# "Ambulance: Rescue Plus ALS", "Transport by Bluegrass Wheelchair Van".
_TRANSPORT_VENDOR = re.compile(
    r"(?i)\b(?:transport(?:ation)?|carrier|ambulance|vendor)[ \t]*(?::|by|via|thru|through|w/|with)[ \t]*"
    r"(?P<name>" + _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,2}?)[ \t]+"
    r"(?:wheelchair[ \t]+van|w/c[ \t]+van|chair[ \t]+car|stretcher|als|bls|cct|rotor|fixed[ \t]+wing|ambulette)\b"
)
# A transport company in brackets after the service it sends: "via BLS (AMR)", "secure ambulance (Secure Care UK)".
_VENDOR_IN_BRACKETS = re.compile(
    r"(?i:\b(?:bls|als|cct|ambulance|stretcher|wheelchair[ \t]+van|chair[ \t]+car|ambulette|medevac))[ \t]*\("
    r"(?P<name>[A-Z][\w&'’.-]*(?:[ \t]+[A-Z][\w&'’.-]*){0,3})\)"
)
# What is sent or phoned to a place, right before "to": after it the words name the place, not a verb
# ("rx called to hilltop pharmacy", "faxed to lakeside hospice").
_SENT_TO = re.compile(
    r"(?i)\b(?:(?:rx|script|meds?|orders?|prescriptions?|refills?)[ \t]+(?:called|phoned)|sent|faxed|e-?scribed|"
    r"e-?prescribed|transferred|discharged|d/c'?d|dc'?d|referred|delivered|mailed|forwarded|routed|transmitted|rx|"
    r"script|refills?)(?:[ \t]+in)?[ \t]+$"
)
# Words that say what kind of service, not which one.
SERVICE_GENERIC = frozenset(
    """
    the a an our his her their your this that home outpatient inpatient local hospital in-center peritoneal
    hemo iv oral retail specialty mail order mail-order private emergency his her usual regular same new old
    nearest nearby ground air bls als critical care wheelchair stretcher durable last next first prior previous
    recent daily weekly public mass car bus van free portable supplemental continuous nocturnal liquid
    """.split()
)

# Words that say how a patient travels, not with whom: "via patient transport", "Transport: road ambulance".
KINDS_OF_TRANSPORT = frozenset({"patient", "ambulance", "road", "adapted", "secure"})


def vocabulary_like(norm: str) -> bool:
    """A word no list knows that ends like vocabulary ("-ate", "-ine"), unless like a place's or a brand's
    compound ("eastgate", "careline", "careride")."""
    return norm.endswith(VOCABULARY_ENDINGS) and not norm.endswith(("gate", "line", "ride"))


# Places named by plain words before a word that says what they are, right after a preposition of place:
# "notes from pine tree clinic", "day program at open door workshop", "AT SHORE ORTHOPAEDIC GROUP".
_CUED_HEADED = re.compile(
    r"(?i)\b(?:at|from|to|by|via|thru|through|attends|with|w/|called|vendor|dme)[ \t]+(?P<the>the[ \t]+)?"
    r"(?P<name>[^\W\d_][\w'’-]*(?:[ \t]+(?!(?:to|at|from|by|via|with)[ \t])[^\W\d_][\w'’-]*){0,2}?)[ \t]+"
    r"(?P<head>clinic|workshop|residence|residential|group(?![ \t]+home)|lab|cc|college|outreach(?:[ \t]+team)?|"
    r"hospice|shelter|academy|ltach|home[ \t]+medical|pantry|neuro|neurology|cardiology|radiology|"
    # suppliers and programmes named by plain words ("via yellow line taxi", "at golden age club"), or, before
    # a word care also uses, by a word no list knows ("courier to clearline labs", "at medequip express")
    r"(?P<trade>software|solutions|homecare|doulas|distribution)|taxi|club|"
    r"(?P<supplier>labs|mobility|respiratory|specialty|express|housing)|"
    r"dermatology|urology|oncology|family[ \t]+(?:medicine|practice)|internal[ \t]+medicine|"
    r"(?:adolescent|youth|children's|childrens)[ \t]+unit|children's|childrens|"
    # places of work and stay, named after "the" as often as not ("line cook at the golden wok restaurant")
    r"(?P<business>restaurant|grill|grille|diner|cafe|café|bakery|motel|hotel|gym|tavern|pub|market|"
    r"hardware|laundromat|salon|garage|auto[ \t]+body|body[ \t]+shop|seafood|lumber|bistro|brewery|pizzeria|deli))"
    r"(?![\w'’-])"
)
_CUED_HEADED_CUES = frozenset(
    {"at", "from", "to", "by", "via", "thru", "through", "attends", "with", "w", "called", "vendor", "dme"}
)
# Words that say what kind of clinic or group, not which one.
_KIND_WORDS = frozenset(
    """
    well child walk same day support therapy care team peer family parent parents patient patients study
    research control treatment focus discussion skills drop weekly daily monthly evening morning
    corner grocery convenience super flea farmers fish street food coffee hotel hospital airport station sports
    fitness fast chinese italian mexican thai indian greek
    """.split()
)


def cued_headed(doc: Document, facility_generic: frozenset[str]) -> Iterator[Span]:
    """ "notes from pine tree clinic", "AT SHORE ORTHOPAEDIC GROUP": one to three plain words, none a
    function or generic word, the first and the last no clinical one (so "hand clinic", "support group",
    "the lab", "cardiac surgery group" name none, and "CVH ortho clinic" is left to the initials' rule)."""
    for m in doc.matches_at_words(_CUED_HEADED, _CUED_HEADED_CUES):
        words = doc.tokens_in(m.start("name"), m.end("name"))
        if not words or any(
            w.cls & (WordClass.CLINICAL | WordClass.MEDICAL) and not w.cls & (NAME_LIKE | WordClass.CITY)
            for w in (words[0], words[-1])
        ) and not _names_beside_clinical(words):
            continue  # "to cardiac surgery group", "at CVH ortho clinic": a service, or a hospital's service
        if any(
            w.cls & WordClass.STOP
            or w.norm in facility_generic
            or w.norm in SERVICE_GENERIC
            or w.norm in _KIND_WORDS
            or w.norm in MONTH_WORDS
            or w.cls == WordClass.NONE and vocabulary_like(w.norm)
            for w in words
        ):
            continue
        if (
            len(words) == 1
            and words[0].cls & WordClass.ENGLISH
            and not words[0].cls & (NAME_LIKE | WordClass.CITY)
            and not m.group("trade")
        ):
            continue  # "at swim clinic", "to study group": one everyday word says what, not which ("bluebell homecare")
        if m.group("supplier") and all(w.cls & ~WordClass.FREQUENT for w in words):
            continue  # "to detect impending respiratory", "to improve bed mobility": words, not a supplier's name
        if m.group("the") and not m.group("business"):
            continue  # "to the oncology clinic", "at the teaching hospital": "the" before a kind of care names none
        yield Span(words[0].start, m.end("head"), LOCATION, "facility", 0.7, "facility")


def _names_beside_clinical(words: list[Token]) -> bool:
    """ "pine tree clinic", "open door workshop": two or three words, one a place or a name that is no
    clinical word, the others everyday words that are also clinical ("tree", "open")."""
    return len(words) >= 2 and any(
        w.cls & (NAME_LIKE | WordClass.CITY) and not w.cls & (WordClass.CLINICAL | WordClass.MEDICAL | WordClass.STOP)
        for w in words
    ) and all(w.cls & WordClass.ENGLISH for w in words)


# Homes named "the <plural> at <town>": "the meadows at brookline", "The Willows at Hadley".
_PLURAL_AT_TOWN = re.compile(
    r"(?i)\bthe[ \t]+(?P<name>[^\W\d_][\w'’-]*s)[ \t]+at[ \t]+(?P<town>[^\W\d_][\w'’-]*)"
    r"(?P<more>[ \t]+(?:park|hill|heights|green|village|commons|place|square|gardens|pointe?|creek|river|lake|brook|"
    r"falls|woods|pond|ridge|valley|springs|meadows?))?"
)
# Homes named for trees in the plural, alone or before the kind of home: "from the willows (ltc since august)",
# "referrals out to: the pines", "THE LARCHES CARE HOME" ("the X at <town>" is the pattern above).
_THE_TREES = re.compile(
    r"(?i)\bthe[ \t]+(?:willows|pines|oaks|elms|maples|birches|larches|cedars|meadows|laurels|beeches|poplars|"
    r"lindens|aspens|sycamores|magnolias|chestnuts|junipers|hawthorns|rowans|orchards|hollies|cypresses)\b"
    r"(?![ \t]+at[ \t])(?:[ \t]+(?:assisted[ \t]+living|care[ \t]+home|nursing[ \t]+home|rest[ \t]+home|rehab)\b)?"
)
_AMONG_TREES = re.compile(r"(?i)\b(?:under|beneath|among|amongst|between|through|past|of)[ \t]+$")
_PEOPLE = frozenset(
    """
    patients kids children nurses doctors parents friends people staffs folks residents girls boys others sisters
    brothers daughters sons grandchildren neighbors neighbours twins families visitors students teachers
    """.split()
)


def plural_at_town(doc: Document) -> Iterator[Span]:
    """ "the meadows at brookline": a plural word, not people, then "at" and a town or a name."""
    for m in _PLURAL_AT_TOWN.finditer(doc.text):
        name = doc.tokens_in(m.start("name"), m.end("name"))
        town = doc.tokens_in(m.start("town"), m.end("town"))
        if len(name) != 1 or len(town) != 1 or name[0].norm in _PEOPLE:
            continue
        if name[0].cls & (WordClass.STOP | WordClass.CLINICAL) or town[0].cls & (WordClass.STOP | WordClass.CLINICAL):
            continue
        if not m.group("more") and (
            not town[0].cls & (WordClass.CITY | NAME_LIKE)
            or town[0].cls & WordClass.ENGLISH and not town[0].cls & WordClass.CITY
        ):
            continue  # "the kids at home": after "at", a town, a name, or a place's name ("Harrow Park")
        yield Span(m.start(), m.end(), LOCATION, "facility", 0.7, "facility")
    for m in _THE_TREES.finditer(doc.text):
        if not _AMONG_TREES.search(doc.text, max(0, m.start() - 12), m.start()):  # not "sat under the oaks"
            yield Span(m.start(), m.end(), LOCATION, "facility", 0.75, "facility")


# Parishes, schools and hospitals named for Mary: "our lady of czestochowa", "OUR LADY OF THE SNOWS".
# Programmes, shelters and clinics named for a new start: "detox at new dawn recovery", "w/ new road clinic",
# "New Beginnings", after a word of place or written with a capital inside a sentence.
_NEW_PROGRAMME = re.compile(
    r"(?i)(?:(?P<cue>\b(?:at|to|from|via|w/|with|thru|through|attends|attended|prefers|of|in)[ \t]+|[-:][ \t]*)|\b)"
    r"(?P<new>new[ \t]+(?:beginnings|dawn|horizons?|leaf|pathways?|directions|hope|roads?|journey|outlook|seasons))\b"
    r"(?:[ \t]+(?:recovery|detox|clinic|clubhouse|shelter|house|center|centre|program|programme|"
    r"(?:specialty[ \t]+)?hospital|treatment[ \t]+center|counseling|counselling|rehab|residence|home|ministries|"
    r"church|fellowship)\b)?"
)
_OUR_LADY = re.compile(
    r"(?i)\bour[ \t]+lady[ \t]+of[ \t]+(?:the[ \t]+)?[^\W\d_][\w'’-]+(?:[ \t]+(?:hospital|church|parish|school))?"
)


def care_services(doc: Document, facility_generic: frozenset[str]) -> Iterator[Span]:
    """ "dialyzes at riverside dialysis", "meds sent to harbor drug", "nurse from tri-county vna",
    "BIB HARBOR EMS": a care service named by one to three words before what it does, right after a
    preposition, in any case. Generic words ("home infusion", "outpatient dialysis") name none."""
    tokens = doc.tokens
    for m in (
        *_SERVICE.finditer(doc.text),
        *_LISTED_SERVICE.finditer(doc.text),
        *_STARTING_SERVICE.finditer(doc.text),
        *_TRANSPORT_VENDOR.finditer(doc.text),
        *_VENDOR_IN_BRACKETS.finditer(doc.text),
    ):
        words = doc.tokens_in(m.start("name"), m.end("name"))
        # After a first word that names ("pine tree medical supply"), a clinical word may follow.
        named_first = bool(words) and bool(words[0].cls & (NAME_LIKE | WordClass.CITY)) and not words[0].cls & (
            WordClass.CLINICAL | WordClass.STOP
        )
        if (
            not words
            or any(
                w.norm in SERVICE_GENERIC
                or w.norm in MONTH_WORDS
                or w.cls & WordClass.STOP
                and not w.cls & NAME_LIKE
                or w.cls & WordClass.CLINICAL
                and not w.cls & NAME_LIKE
                and not (named_first and k > 0)
                for k, w in enumerate(words)
            )
            or all(w.norm in facility_generic for w in words)
            or all(w.norm in KINDS_OF_TRANSPORT for w in words)
        ):
            continue  # "north shore vna" names one; "home infusion", "the dialysis" do not
        bracketed = m.re is _VENDOR_IN_BRACKETS  # "BLS (AMR)": the word before is the service, not the name's
        if words[0].index > 0 and tokens[words[0].index - 1].norm in SERVICE_GENERIC and not bracketed:
            continue
        listed = "listed" in m.re.groupindex
        if m.re is _STARTING_SERVICE and (
            not any(w.cls & (NAME_LIKE | WordClass.CITY) or not w.cls for w in words)
            or any(w.text[0].isupper() != doc.text[m.end() - 1].isupper() for w in words)
        ):
            continue  # "Outpatient hospice.", "vendor Blue Heron Ambulance": a kind, or a word before the name
        if (
            not listed
            and (m.groupdict().get("prep") or "").lower() == "to"
            and (words[0].cls == WordClass.ENGLISH or words[0].cls & WordClass.STOP)
            and not _SENT_TO.search(doc.text, max(0, m.start("prep") - 24), m.start("prep"))
        ):
            continue  # "progressed to require dialysis", "reminded to call hospice": a verb after "to"
        if (m.groupdict().get("weak") or listed) and not any(
            w.cls & (NAME_LIKE | WordClass.CITY) or not w.cls for w in words
        ):
            continue  # "to full recovery", "from routine pediatrics": ordinary words before a weak head
        if listed and any(
            w.cls & (WordClass.STOP | WordClass.CLINICAL)
            or w.cls & WordClass.ENGLISH
            and not w.cls & (NAME_LIKE | WordClass.CITY)
            or vocabulary_like(w.norm)
            for w in words
        ):
            continue  # ", then dialysis", "and intracoronary adenosine infusion": in a list, only names
        end = m.end("name") if m.re in (_TRANSPORT_VENDOR, _VENDOR_IN_BRACKETS) else m.end()
        yield Span(m.start("name"), end, LOCATION, "facility", 0.7, "facility")
    for m in _OUR_LADY.finditer(doc.text):
        yield Span(m.start(), m.end(), LOCATION, "facility", 0.85, "facility")
    for m in _NEW_PROGRAMME.finditer(doc.text):
        new = doc.tokens[doc.token_index_at(m.start("new"))]
        if m.group("cue") or m.group("new")[0] == "N" and not doc.caseless and not new.sent_start:
            yield Span(m.start("new"), m.end(), LOCATION, "facility", 0.8, "facility")


# Words of when or how much one works, not where: "works at night", "job at weekends".
_NOT_A_WORKPLACE = frozenset(
    """
    night nights day days weekend weekends evening evenings morning mornings shift shifts times time least
    present moment baseline full part hours home school work all most aware notified paged updated informed
    bedside desk station years months weeks decades duty
    """.split()
)
# Words that start what is said after a workplace's name: "lost job at the dollar barn last month".
_AFTER_A_WORKPLACE = frozenset("until since last and but who where when which run in on as because so x".split())
# A cue for where someone works, right before the name: "works at", "job at the", "line cook at".
_WORKPLACE_BEFORE = re.compile(
    r"(?i)\b(?:(?:works?|worked|working|volunteers?|volunteered|volunteering)(?:[ \t]+[a-z][a-z0-9/]*){0,2}|"
    r"employed|job|shift|cook|teacher|cashier|clerk|mechanic|driver|custodian|barista|carrier|"
    r"employee|chef|server|waitress|waiter|bartender)[ \t]+(?:at|for|by|with|thru|through)(?:[ \t]+the)?[ \t]+$"
)


def workplace_end(doc: Document, i: int, generic: frozenset[str]) -> int | None:
    """ "works 2nd shift at crane precision.", "line cook at the copper kettle,": in one case, two or three
    plain words that end the clause after a cue for a workplace (no function, clinical, time or generic word)."""
    tokens = doc.tokens
    if not _WORKPLACE_BEFORE.search(doc.text, max(0, tokens[i].start - 48), tokens[i].start):
        return None
    last = i
    while last + 1 < len(tokens) and last - i < 2 and doc.gap(tokens[last], tokens[last + 1]) == " ":
        last += 1
    for end in range(last, i, -1):
        after = doc.text[tokens[end].end : tokens[end].end + 2]
        if not (
            after[:1] in (".", ",", ";", ")", "\n")
            or after == " ("
            or after == ""
            or end + 1 < len(tokens)
            and tokens[end + 1].norm in _AFTER_A_WORKPLACE
            and doc.gap(tokens[end], tokens[end + 1]) == " "
        ):
            continue
        words = tokens[i : end + 1]
        if all(
            w.norm.isalpha()
            and not w.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.MEDICAL)
            and w.norm not in generic
            and w.norm not in _NOT_A_WORKPLACE
            and w.norm not in MONTH_WORDS
            for w in words
        ):
            return end
        return None
    return None


# A business written as one word with a capital inside: "CareFirst", "SmileWorks", "NorthShore", "ParcelHub".
# Each part is a word of three letters or more ("NaCl", "MoAb", "HeLa" are chemistry); family names joined
# to a prefix ("McGill", "MacLeod", "DeMeester") are left to the name rules; a product's mark ("CritiCool®")
# or a label's colon ("MutationTaster: deleterious") says it is no business.
_CAMEL = re.compile(r"(?<![\w'’@#./-])(?:[A-Z][a-z]{2,}){2,3}(?![\w'’@®™-]|\.[a-z]|:)")
_INNER_CAPITAL = re.compile(r"[a-z][A-Z][a-z]")
_KIND_AFTER = re.compile(r"[ \t]+(?P<kind>[A-Z][a-z]+)\b")
_NAME_PREFIXES = ("Mc", "Mac", "De", "Di", "Da", "La", "Le", "Van", "Von", "Du", "St")
# Products and public programmes written that way, which name no one's business.
_PRODUCTS = frozenset(
    """
    whatsapp epipen github linkedin macbook youtube powerpoint javascript facetime mychart paypal masshealth
    philhealth novorapid novolog humalog airfit genbank eurocollins foresight lefort medrec bipap pleurx purewick
    """.split()
)


def camel_named(doc: Document, kinds: frozenset[str]) -> Iterator[Span]:
    """ "Chat with CareFirst", "ride by SecureRide": a capital inside one word marks a business's name, with
    a word of `kinds` written after it ("CareFirst Pharmacy", "SmileWorks Dental")."""
    if _INNER_CAPITAL.search(doc.text) is None:
        return
    for m in _CAMEL.finditer(doc.text):
        word = m.group()
        if word.startswith(_NAME_PREFIXES) or word.lower() in _PRODUCTS:
            continue
        tokens = doc.tokens_in(m.start(), m.end())
        if len(tokens) != 1 or tokens[0].cls & (WordClass.CLINICAL | WordClass.MEDICAL | NAME_LIKE):
            continue
        kind = _KIND_AFTER.match(doc.text, m.end())
        end = kind.end() if kind is not None and kind.group("kind").lower() in kinds else m.end()
        yield Span(m.start(), end, LOCATION, "organisation", 0.7, "facility")


# What a placement or bed search says of each place it asked: "- HRI: DECLINED", "PEMBROKE: WAITLIST, #3",
# "The Larches (declined - no female beds)", "DCI FALL RIVER: NO CHAIRS UNTIL MID-NOV".
_PLACEMENT_STATUS = (
    r"(?:declined|accepted|accepts|waitlist(?:ed)?|wait[ \t]+list|pending|no[ \t]+(?:[a-z]+[ \t]+){0,3}beds?|"
    r"no[ \t]+chairs?|full|reviewing|under[ \t]+review|bed[ \t]+(?:offered|available|avail)|referral[ \t]+sent|"
    r"clinicals?[ \t]+(?:sent|faxed)|denied|on[ \t]+hold)\b"
)
_NAME_WORDS = r"(?P<name>[A-Za-z][A-Za-z'’&.-]*(?:[ \t]+[A-Za-z][A-Za-z'’&.-]*){0,3}?)"
_PLACEMENT_LINE = re.compile(r"(?im)^[ \t]*[-•*][ \t]*" + _NAME_WORDS + r"[ \t]*:[ \t]*" + _PLACEMENT_STATUS)
_PLACEMENT_BRACKET = re.compile(
    r"(?:[:,;][ \t]*|\b(?:to|and)[ \t]+)" + _NAME_WORDS + r"[ \t]*\((?i:" + _PLACEMENT_STATUS + ")"
)


def placement_answers(doc: Document, generic: frozenset[str]) -> Iterator[Span]:
    """The places a bed search asked, named before what each answered: one to four words, none a
    function or clinical word, at least one a name, a place or a word no list knows ("SNF: pending",
    "rehab (declined)" name none)."""
    text = doc.text
    bracketed = _PLACEMENT_BRACKET.finditer(text) if "(" in text else ()
    for m in (*_PLACEMENT_LINE.finditer(text), *bracketed):
        words = doc.tokens_in(m.start("name"), m.end("name"))
        named = words[1:] if words and words[0].text in ("The", "THE") else words  # "The Larches (declined"
        if not named or any(
            w.cls & (WordClass.STOP | WordClass.CLINICAL) and not w.cls & (NAME_LIKE | WordClass.CITY) for w in named
        ):
            continue
        if all(w.norm in generic for w in named) or not any(
            w.cls & (NAME_LIKE | WordClass.CITY) or w.cls == WordClass.NONE and len(w.norm) >= 3 for w in named
        ):
            continue
        yield Span(words[0].start, words[-1].end, LOCATION, "facility", 0.75, "facility")


# A town's police or fire department: "DETECTIVE FROM MILLBROOK PD", "officer of Westboro Police Dept".
_DEPARTMENT = re.compile(
    r"\b(?i:from|of|at|by|with|called|to)[ \t]+(?P<town>[A-Z][A-Za-z'’-]+(?:[ \t]+[A-Z][A-Za-z'’-]+)?)[ \t]+"
    r"(?P<dept>PD|P\.D\.|FD|(?i:police|sheriff'?s?)(?:[ \t]+(?i:dept\.?|department|office))?|"
    r"(?i:fire)[ \t]+(?i:dept\.?|department))(?![\w-])"
)


def town_departments(doc: Document) -> Iterator[Span]:
    """A police or fire department named by its town: the town a name, a place or a word no list knows
    ("STATE POLICE", "campus police" name none)."""
    low = doc.text.lower()
    if "pd" not in low and "fd" not in low and "police" not in low and "sheriff" not in low and "fire" not in low:
        return
    for m in _DEPARTMENT.finditer(doc.text):
        words = doc.tokens_in(m.start("town"), m.end("town"))
        if not words or any(
            w.cls & (WordClass.STOP | WordClass.CLINICAL) or w.cls & WordClass.ENGLISH and not w.cls & WordClass.CITY
            for w in words
        ):
            continue
        if any(w.cls & (NAME_LIKE | WordClass.CITY) or w.cls == WordClass.NONE and len(w.norm) >= 4 for w in words):
            yield Span(m.start("town"), m.end("dept"), LOCATION, "facility", 0.75, "facility")


# "INTUBATED AT PINE CREST ER", "seen at Mercy Valley ED": a hospital named by its emergency department.
_NAMED_ER = re.compile(
    r"\b(?i:at|from|to|via|thru)[ \t]+(?P<name>[A-Z][A-Za-z'’-]+(?:[ \t]+[A-Z][A-Za-z'’-]+){0,2})[ \t]+"
    r"(?:ER|ED|E\.R\.|(?i:emergency)[ \t]+(?i:dept\.?|department|room))(?![\w-])"
)
_NOT_AN_ER_NAME = frozenset(
    "local outside nearby main peds pediatric paediatric adult our this same another osh area regional community "
    "county city rural urban closest nearest previous prior other".split()
)


def named_emergency_rooms(doc: Document) -> Iterator[Span]:
    """A hospital named before "ER" or "ED" after a preposition, its words none of the clinical or function
    words, nor a word that says which kind of ED ("AT LOCAL ER", "TO PEDS ED" name none)."""
    text = doc.text
    if "ER" not in text and "ED" not in text and "mergency" not in text and "MERGENCY" not in text:
        return
    for m in _NAMED_ER.finditer(text):
        words = doc.tokens_in(m.start("name"), m.end("name"))
        if words and not any(
            w.cls & (WordClass.STOP | WordClass.CLINICAL) or w.norm in _NOT_AN_ER_NAME or w.norm in MONTH_WORDS
            for w in words
        ):
            yield Span(m.start("name"), m.end("name"), LOCATION, "facility", 0.7, "facility")
