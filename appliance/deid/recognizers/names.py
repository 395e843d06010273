"""Names of patients, relatives and clinicians found from their context.

`name_context`: titles ("Dr.", "Mrs."), credentials after a name (", MD", " DO"), labels ("Patient:",
"Name:", "PCP:"), phrases ("seen by", "signed by", "discussed with"), relatives ("her son John", in
name_relatives.py), lists of first names and what a person does ("Mehrudin shouted").
Context beats the word lists: "Dr. Will", "Name: Hope Brown" are names. The word-list recognizer is
in name_dictionary.py, signature initials in initials.py, shared judgements in name_rules.py.

Recall first: missing a name is worse than redacting a word, so ties go to "name".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import NAME_BITS, NOT_INITIALS, VERBS_AFTER_NAMES, Lexicon, WordClass
from appliance.deid.recognizers.base import register
from appliance.deid.recognizers.credentials import (
    ASKING_VERBS,
    COMMA_ONLY_CREDENTIALS,
    CREDENTIAL,
    CREDENTIAL_SEP,
    CREDENTIAL_STARTS,
    CREDENTIAL_WORDS,
    LIST_GOES_ON,
    ROLE_QUALIFIERS,
    SENTENCE_GOES_ON,
)
from appliance.deid.recognizers.name_forms import family_name_first, initial_and_particle, nicknames
from appliance.deid.recognizers.name_relatives import (
    addressed,
    patient_before_age,
    possessive_relatives,
    relative_after,
    relatives,
)
from appliance.deid.recognizers.name_rules import (
    HEADER_WORDS,
    PARTICLES,
    grow,
    name_span,
    name_word,
    take_value,
)
from appliance.deid.spans import Span
from appliance.deid.text import Document, Shape, Token

_TITLE = re.compile(
    r"\b(?P<title>Dott\.?ssa|Dr\.ssa|Prof\.ssa|Dott|Dr|Drs|Doctor|Mr|Mrs|Ms|Miss|Mx|Mme|Mlle|Prof|Professor|Rev|Reverend|Nurse|Sister|Dame|Sir|"
    r"Madam|Capt|Sgt|Officer|Judge|Attorney|Atty|Bro|Det|Detective|Tpr|Trooper)\b\.?[ \t]+",
    re.IGNORECASE,
)
_CLINICIAN_TITLES = frozenset({"dr", "drs", "doctor", "prof", "professor", "nurse"})
_ARTICLES = frozenset({"the", "a", "an", "your", "my", "his", "her", "their", "our", "this", "that"})
TITLE_WORDS = frozenset(
    """
    dr drs doctor mr mrs ms miss mx mme mlle prof professor rev reverend nurse sister dame sir madam capt sgt
    officer judge attorney atty bro det detective tpr trooper shri sri smt shrimati schw dott
    """.split()
)

_LABEL_PATTERNS: tuple[tuple[str, str, bool], ...] = (
    # (regex, subtype, needs a colon)
    (
        r"patient(?:'s)?\s+name|pt\.?\s+name|name\s+of\s+patient|patient|pt|name|full\s+name|legal\s+name|"
        r"preferred\s+name|alias|aka|maiden\s+name|nombre|apellidos?|pr[ée]nom|cognome|nome",
        "patient",
        True,
    ),
    (
        r"attending(?:\s+physician)?|resident|intern|fellow|physician|provider|surgeon|anesthesiologist|"
        r"nurse|rn|pcp|primary\s+care(?:\s+(?:physician|provider|doctor))?|referring(?:\s+(?:physician|provider|md))?|"
        r"consultant|author|cc|dictated|transcribed|signed|cosigned|co-signed|clinician|therapist|pharmacist|"
        r"social\s+worker|case\s+manager|ordering(?:\s+(?:physician|provider))?|authenticated|from|to|attn|"
        r"m[ée]dico|remitido\s+por|responsable\s+cl[íi]nico|firmado\s+por",
        "clinician",
        True,
    ),
    (
        r"emergency\s+contact|contact|next\s+of\s+kin|nok|guardian|caregiver|interpreter|health\s*care\s+proxy|hcp|"
        r"poa|spouse|mother|father|son|daughter|wife|husband|sister|brother|witness|parent",
        "relative",
        True,
    ),
    (
        r"seen\s+by|signed\s+by|electronically\s+signed\s+by|dictated\s+by|transcribed\s+by|cosigned\s+by|"
        r"co-signed\s+by|reviewed\s+by|authored\s+by|examined\s+by|evaluated\s+by|referred\s+by|accompanied\s+by|"
        r"performed\s+by|interpreted\s+by|read\s+by|verified\s+by|approved\s+by|entered\s+by|"
        r"seen\s+and\s+examined\s+by|discussed\s+with|spoke\s+with|spoke\s+to|d/w|care\s+of|attention",
        "clinician",
        False,
    ),
)
# One pass over the note for all labels: group gN is the N-th entry of _LABEL_PATTERNS.
_LABELS = re.compile(
    r"(?i)(?<![\w/])(?:"
    + "|".join(
        f"(?P<g{n}>(?:{pattern})" + (r"\s*[:#]\s*" if colon else r"\s*[:\-]?\s*") + ")"
        for n, (pattern, _subtype, colon) in enumerate(_LABEL_PATTERNS)
    )
    + ")"
)
LABEL_WORDS = frozenset(
    """
    nombre apellido apellidos prénom prenom cognome nome médico medico remitido responsable firmado
    patient pt name full legal preferred alias aka maiden attending resident intern fellow physician provider
    surgeon anesthesiologist anesthesia nurse rn pcp primary referring consultant author cc dictated
    transcribed signed cosigned co-signed clinician therapist pharmacist social case ordering authenticated
    from to attn emergency contact next nok guardian caregiver interpreter health healthcare hcp poa spouse
    mother father son daughter wife husband sister brother witness parent seen electronically reviewed
    authored examined evaluated referred accompanied performed interpreted read verified approved entered
    discussed spoke d care attention
    """.split()
)
# What a person does, written right after their name at a sentence's start ("Mehrudin shouted at Todd",
# "Irenka lives on ..."): enough for a capitalised word no list knows.
_PERSON_VERB = re.compile(
    r"[ \t]+(?:lives|lived|shouted|whispered|replied|explained|began|started|works|worked|wrote|writes|"
    r"says|said|told|asked|texted|emailed|joined|moved|married|spent|will\s+be\s+(?:talking|speaking|visiting))\b"
)


# Units and services that stand before a credential without being anyone's initials ("ICU RN").
_CREDITED_UNITS = frozenset(
    """
    ED ER OR ICU CCU PCP GI ID ENT CT IR OB GYN IV NP PA MD DO RN PT OT SW UR HD PACU NICU MICU SICU CVICU
    ICN ANES RT SLP EP IM FM EM VA CSRU TSICU TICU PCU NH SNF LTC VNA SCN NOC ONCOMING
    """.split()
)
# In capitals, "AT MD" is initials only after a cue ("CONSULTS: AT MD", "SEEN WITH AN MD" stays prose).
_INITIALS_CUE = re.compile(r"(?i)(?::|\b(?:with|by|signed|consults?|attending|physician|examined|cc))\s*$")


def _first_token_at(doc: Document, offset: int) -> int | None:
    index = doc.token_index_at(offset)
    if index < len(doc.tokens) and doc.tokens[index].start - offset <= 1:
        return index
    return None


def _enough(tokens: list[Token]) -> bool:
    """A label's value counts as a name only with some name evidence of its own."""
    if not tokens:
        return False
    if any(t.cls & NAME_BITS or t.shape is Shape.INITIAL for t in tokens):
        return True
    return sum(1 for t in tokens if t.norm not in PARTICLES) >= 2


class _NameContext:
    def find(self, doc: Document) -> Iterator[Span]:
        yield from self._titles(doc)
        yield from self._credentials(doc)
        yield from self._labels(doc)
        yield from relatives(doc)
        yield from addressed(doc)
        yield from possessive_relatives(doc)
        yield from relative_after(doc)
        yield from patient_before_age(doc)
        yield from nicknames(doc)
        yield from family_name_first(doc)
        yield from initial_and_particle(doc)
        yield from self._name_lists(doc)
        yield from self._acting(doc)

    def _name_lists(self, doc: Document) -> Iterator[Span]:
        """ "They had 6: Efimiya, Mary, Ariana, Isabel": in a list of single capitalised words where most
        are first names the lists know, the others are names too, unless a list knows them as something
        else (a word, a clinical term, a place)."""
        tokens = doc.tokens
        i = 0
        while i < len(tokens):
            items = [i]
            j = i
            while j + 1 < len(tokens) and doc.gap(tokens[j], tokens[j + 1]) in (", ", " and ", ", and "):
                j += 1
                items.append(j)
            i = j + 1
            if len(items) < 3:
                continue
            words = [tokens[k] for k in items]
            if any(w.shape is not Shape.TITLE for w in words):
                continue
            listed = [
                w
                for w in words
                if w.cls & WordClass.FIRST and not w.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.CITY)
            ]
            if 2 * len(listed) < len(words):
                continue
            for w in words:
                if w.cls & (
                    WordClass.STOP | WordClass.CLINICAL | WordClass.COUNTRY | WordClass.MEDICAL | WordClass.CITY
                ):
                    continue
                if w.cls & WordClass.ENGLISH and not w.cls & NAME_BITS:
                    continue
                if w not in listed:
                    span = name_span(doc, w.index, w.index, "person", 0.75, "name_context")
                    if span:
                        yield span

    def _acting(self, doc: Document) -> Iterator[Span]:
        """ "Mehrudin shouted at Todd", "Cendrillon Coudert lives at ...": at a sentence's start, one or two
        capitalised words no list knows (or names the lists know), then what a person does."""
        tokens = doc.tokens
        for m in _PERSON_VERB.finditer(doc.text):
            last = doc.token_index_at(m.start()) - 1
            if last < 0 or tokens[last].end != m.start():
                continue
            first = last
            if first > 0 and doc.gap(tokens[first - 1], tokens[first]) == " " and not tokens[first].sent_start:
                first -= 1
            words = tokens[first : last + 1]
            if not words[0].sent_start or any(w.shape is not Shape.TITLE or w.caseless for w in words):
                continue
            if any(
                w.cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.COUNTRY | WordClass.MEDICAL) for w in words
            ):
                continue
            if any(
                w.cls & (WordClass.ENGLISH | WordClass.COMMON | WordClass.CITY) and not w.cls & NAME_BITS for w in words
            ):
                continue
            if any(w.norm in HEADER_WORDS or len(w.norm) < 3 for w in words):
                continue
            span = name_span(doc, first, last, "person", 0.75, "name_context")
            if span:
                yield span

    def _titles(self, doc: Document) -> Iterator[Span]:
        for m in doc.matches_at_words(_TITLE, TITLE_WORDS):
            title = m.group("title")
            index = _first_token_at(doc, m.end())
            if index is None:
                continue
            caseless = doc.tokens[index].caseless
            before = doc.tokens[index - 2].norm if index >= 2 else ""
            capitalised_after = doc.tokens[index].shape in (Shape.TITLE, Shape.INITIAL) and before not in _ARTICLES
            if not caseless and not title[0].isupper() and capitalised_after and title.lower() in ("dr", "mr", "mrs"):
                title = title.capitalize()  # "dr. S.K. Ramdin", "mr Okafor": a title written small before a name
            if not caseless and not (title[0].isupper()):
                after = doc.tokens[index]
                short = title.lower() in ("dr", "mr", "mrs", "ms")
                named = after.cls & NAME_BITS and not after.cls & WordClass.COMMON or after.cls == WordClass.NONE
                if short and named and len(after.norm) > 1 and not after.cls & WordClass.STOP and not (
                    len(after.norm) > 2 and after.norm in CREDENTIAL_WORDS  # "amara s. ms rdn ldn"
                ):
                    # "hi dr chen": a short title in lower case before a name the lists know, or a word no
                    # list knows, is still a title ("the doctor said" is not).
                    lower_span = name_span(doc, index, index, "clinician", 0.8, "name_context")
                    if lower_span:
                        yield lower_span
                continue
            taken = take_value(doc, index, strict=caseless)
            if not taken:
                continue
            if caseless and not (taken[0].cls & NAME_BITS or taken[0].shape is Shape.INITIAL):
                # In capitals "DR", "MR" and "MS" are also abbreviations: a plain English word after them
                # is no name, nor, after an undotted "MR"/"MS", a word no list knows.
                dotted = doc.text[m.end("title") : m.end("title") + 1] == "."
                if taken[0].cls or (title.upper() in ("MR", "MS") and not dotted):
                    continue  # "DR RATS", "MR ANGIOGRAPHY" (magnetic resonance), "MS LESIONS"
            first, last = grow(doc, taken[0].index, taken[-1].index)
            nxt = doc.tokens[last + 1] if last + 1 < len(doc.tokens) else None
            if nxt is not None and nxt.shape is Shape.TITLE and _stop_surname_after_name(doc, nxt):
                last += 1  # "Dr. Jack Will": after a title, first name + capitalised stop-word surname
            subtype = "clinician" if title.lower() in _CLINICIAN_TITLES else "person"
            span = name_span(doc, first, last, subtype, 0.95, "name_context")
            if span:
                yield span

    def _credentials(self, doc: Document) -> Iterator[Span]:
        tokens = doc.tokens
        text = doc.text
        upper_text: str | None = None
        for cred_tok in tokens:
            if cred_tok.index == 0:
                continue
            lower_note = doc.caseless and cred_tok.shape is Shape.LOWER
            if cred_tok.text not in CREDENTIAL_STARTS and not (
                lower_note and cred_tok.text.upper() in CREDENTIAL_STARTS
            ):
                continue
            if lower_note:
                # "p. lee rn", "k. abernathy rn": a note all in lower case writes credentials so too.
                upper_text = upper_text if upper_text is not None else text.upper()
                m = CREDENTIAL.match(upper_text, cred_tok.start)
            else:
                m = CREDENTIAL.match(text, cred_tok.start)
            if m is None:
                continue
            prev = tokens[cred_tok.index - 1]
            sep = text[prev.end : cred_tok.start]
            more = LIST_GOES_ON.match(text, m.end())
            if "," in sep and more and not CREDENTIAL.fullmatch(more.group("next")):
                continue  # "CBC, GS, PT, PTT, ESR": a list of tests, not a name and a credential
            if not CREDENTIAL_SEP.fullmatch(sep) or not _credential_follows_name(doc, prev, m.group("cred"), sep):
                continue
            if m.group("cred") in ("PT", "OT") and SENTENCE_GOES_ON.match(text, m.end()):
                continue  # "pastor dobbs visited, pt is a 70 yo man": the patient, in a sentence that goes on
            taken = _name_before_credential(doc, prev.index)
            if len(taken) == 1 and taken[0].norm in ASKING_VERBS:
                continue  # "page slp w/ questions", "notify md": a request to the role, no name
            if taken and taken[-1].norm in ROLE_QUALIFIERS:
                continue  # "handoff to floor rn", "f/u. covering rn notified": which nurse, not who
            if taken:
                span = name_span(doc, taken[0].index, taken[-1].index, "clinician", 0.9, "name_context")
                if span:
                    yield span

    def _labels(self, doc: Document) -> Iterator[Span]:
        for m in doc.matches_at_words(_LABELS, LABEL_WORDS):
            group = m.lastgroup or "g0"
            _pattern, subtype, colon = _LABEL_PATTERNS[int(group[1:])]
            index = _first_token_at(doc, m.end())
            if index is None:
                continue
            tok = doc.tokens[index]
            # Skip a title after the label; the title rule takes it from there.
            if tok.norm in ("dr", "mr", "mrs", "ms", "miss", "prof") and tok.capitalised:
                continue
            label_start = doc.token_index_at(m.start())
            if label_start < len(doc.tokens) and not doc.tokens[label_start].caseless:
                label_tok = doc.tokens[label_start]
                if colon and label_tok.shape is Shape.LOWER and not label_tok.sent_start:
                    continue  # "... to: " mid-sentence lower case is prose
            taken = take_value(doc, index, strict=True)
            if not _enough(taken):
                continue
            if len(taken) == 1 and taken[0].caseless and taken[0].text in ("A", "I"):
                continue  # "ACCOMPANIED BY A RELATIVE": an article, not an initial
            if not colon and not any(t.shape is not Shape.LOWER for t in taken):
                continue
            if not colon and taken[0].caseless and taken[0].cls & WordClass.ENGLISH and not taken[0].cls & NAME_BITS:
                continue  # "SIGNED BY DURABLE POWER OF ATTORNEY": in capitals, a plain word after a phrase
            first, last = grow(doc, taken[0].index, taken[-1].index)
            span = name_span(doc, first, last, subtype, 0.9, "name_context")
            if span:
                yield span


def _credential_follows_name(doc: Document, prev: Token, cred: str, sep: str) -> bool:
    """Whether the word before a credential can end a name ("JM DO" yes; "I DO", "HOME PT" no)."""
    if prev.caseless and prev.shape is Shape.INITIAL and not _dotted_initial(doc, prev):
        return False  # "ML/H, MD NOTIFIED": a lone capital letter in a capitals line is no initial
    if (
        prev.caseless
        and prev.cls & WordClass.STOP
        and not _dotted_initial(doc, prev)
        and not _INITIALS_CUE.search(doc.text, max(0, prev.start - 24), prev.start)
    ):
        return False  # "SEEN BY AN MD" stays prose; "CONSULTS: AN MD" is initials
    if prev.caseless and sep.startswith(".") and len(prev.norm) > 1 and not _initials_word(prev, relaxed=False):
        return False  # "FAILED BEDSIDE SWALLOW SCREEN. SLP EVAL AM": in capitals, the role opens the next sentence
    if cred in COMMA_ONLY_CREDENTIALS and "," not in sep:
        if sep.startswith(".") and len(prev.norm) > 1:
            return False  # "GOAL 3-4 BM. PT ON LIST": a sentence ends, and the next is about the patient
        return bool(
            _initials_word(prev, relaxed=True)
            or _dotted_initial(doc, prev)
            or (prev.shape is Shape.TITLE and prev.cls & NAME_BITS and not prev.caseless)
        )
    return True


def _name_before_credential(doc: Document, index: int) -> list[Token]:
    """The name that ends at token `index` (right before a credential), or [] if there is none."""
    tokens = doc.tokens
    taken: list[Token] = []
    i = index
    while i >= 0 and len(taken) < 4:
        tok = tokens[i]
        if taken and doc.gap(tok, taken[-1]) not in (" ", ". ", "."):
            break
        if tok.caseless and tok.norm in VERBS_AFTER_NAMES or len(tok.norm) > 2 and tok.norm in CREDENTIAL_WORDS:
            break  # "girlfriend destiny visited, pt asked", "ms rdn ldn": what the person did or their credentials
        if taken and doc.gap(tok, taken[-1]) == ". " and len(tok.text) > 1 and not _initials_word(tok, relaxed=False):
            break  # "MVC IN WATERBURY. TREATING MD": a sentence ends; only an initial takes a full stop
        lower_initial = bool(taken) and tok.caseless and len(tok.text) == 1 and doc.gap(tok, taken[-1]) in (". ", ".")
        if (
            tok.shape is Shape.INITIAL
            or lower_initial  # "p. lee rn" in a note all in lower case
            or (not taken and _lower_initials(tok))  # "lh rn"
            or _credential_name_word(tok)
            or _initials_word(tok, relaxed=not taken)
        ):
            taken.append(tok)
        elif not taken and _stop_surname_after_name(doc, tok):
            taken.append(tok)  # "JACK WILL, MD": a surname that is also a stop word
        else:
            break
        i -= 1
    taken.reverse()

    def has_evidence(t: Token) -> bool:
        return (
            bool(t.cls & NAME_BITS)
            or t.shape is Shape.INITIAL
            or (t.caseless and len(t.text) == 1)
            or (t.index == index and _lower_initials(t))
            or _initials_word(t, relaxed=t.index == index)
        )

    if any(has_evidence(t) for t in taken):
        while not has_evidence(taken[0]):
            taken = taken[1:]  # "Consult Jane Smith, MD": the name starts at the name
        return taken
    titled = len(taken) >= 2 and all(t.shape is Shape.TITLE and not t.caseless for t in taken)
    return taken if titled else []


def _lower_initials(tok: Token) -> bool:
    """ "lh", "jw": a clinician's initials in a note all in lower case, letters no list knows."""
    return tok.caseless and tok.shape is Shape.LOWER and 2 <= len(tok.text) <= 3 and tok.cls == WordClass.NONE


def _initials_word(tok: Token, *, relaxed: bool = False) -> bool:
    """ "TH", "SB", "JRM": a clinician's initials. `relaxed` (right before a credential, "HS DO") lets
    letters that are also abbreviations or stop words through, except units that are themselves
    credited ("ICU RN", "ED MD"); the caller checks the cue a stop word needs in capitals."""
    if tok.shape is not Shape.UPPER or not 2 <= len(tok.text) <= 3:
        return False
    if relaxed:
        return tok.text not in _CREDITED_UNITS
    return (
        tok.text not in NOT_INITIALS
        and not tok.cls & (WordClass.STOP | WordClass.CLINICAL)
        and tok.norm not in HEADER_WORDS
    )


def _dotted_initial(doc: Document, tok: Token) -> bool:
    """The last letter of "H.M.S." or "J." (an initial followed by a full stop)."""
    return tok.shape is Shape.INITIAL and doc.text[tok.end : tok.end + 1] == "."


def _stop_surname_after_name(doc: Document, tok: Token) -> bool:
    """A stop word that is a surname, right after a first name or an initial ("JACK WILL")."""
    if not (tok.cls & WordClass.STOP and tok.cls & WordClass.LAST) or tok.index == 0:
        return False
    prev = doc.tokens[tok.index - 1]
    if doc.gap(prev, tok) not in (" ", ". "):
        return False
    return prev.shape is Shape.INITIAL or (name_word(prev) and bool(prev.cls & WordClass.FIRST))


def _credential_name_word(tok: Token) -> bool:
    if not tok.capitalised or tok.shape is Shape.MIXED:
        return False
    if tok.cls & (WordClass.STOP | WordClass.CLINICAL) and not (tok.cls & NAME_BITS and tok.shape is Shape.TITLE):
        return False
    return tok.norm not in HEADER_WORDS


@register("name_context", "Names after titles, before credentials, after labels and phrases, after relative words.")
def _context(config: DeidConfig, lexicon: Lexicon) -> _NameContext:
    return _NameContext()
