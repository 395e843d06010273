"""Clinician initials in signatures and dictation marks: "-- JS", "JS/mk", "seen by JS"."""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import NAME_BITS, NOT_INITIALS, Lexicon, WordClass
from appliance.deid.recognizers.base import register
from appliance.deid.recognizers.credentials import CREDENTIAL_WORDS, SIGNATURE_CREDENTIALS
from appliance.deid.recognizers.name_rules import HEADER_WORDS
from appliance.deid.recognizers.names import TITLE_WORDS
from appliance.deid.spans import NAME, Span
from appliance.deid.text import Document

INITIALS_CUE_WORDS = frozenset(
    "seen signed initials by per cosigned dictated transcribed d rn md report handoff co co-signed verified "
    "witnessed double double-checked".split()
)
_SIGNATURE_INITIALS = re.compile(r"(?m)(?:^|[ \t])(?:--|-|/|~|—|–)[ \t]*(?P<i>[A-Z]{2,3})[ \t]*/?[ \t]*$")
# A care-team role in brackets after the person: "(charge rn)", "(RT)", "(sw)".
_ROLE_IN_BRACKETS = (
    r"[ \t]+\((?i:(?:charge|night|day|float|resource)[ \t]+)?"
    r"(?i:rn|np|md|pa|rt|rrt|lpn|cna|pct|slp|sw|cm|msw|lcsw|licsw|pharmd|rd|float|cm[ \t]+asst|pta)\)"
)
# Initials with the person's role in brackets after them: "d/w jt (charge rn)", "MK (RT) AWARE".
_INITIALS_BEFORE_ROLE = re.compile(r"(?<![\w/.-])(?P<i>[A-Za-z]{2,3})" + _ROLE_IN_BRACKETS)
# A name with the person's role in brackets after it: "hope (sw) to see", "MAUREEN (CHARGE RN)".
_NAME_BEFORE_ROLE = re.compile(r"(?<![\w/.-])(?P<n>[^\W\d_][\w'’-]{2,})" + _ROLE_IN_BRACKETS)
# A title, an initial with its full stop and a surname, in any case: "d/w ho dr. k. ng re lasix", "sr p. naidoo"
# (a sister, as nurses are titled in South Africa and Britain), "CNC R. TALAKAI".
_TITLE_ROLES = frozenset(
    "dr np pa rn rt rrt rd sw cm slp ot pharmd pharmacist chaplain rev fr sr sn cnc cns schw".split()
)
_TITLE_INITIAL_SURNAME = re.compile(
    r"(?i)\b(?:dr|np|pa|rn|rt|rrt|rd|sw|cm|slp|ot|pharmd|pharmacist|chaplain|rev|fr|sr|sn|cnc|cns|schw)\.?[ \t]+"
    r"(?P<n>[^\W\d_]\.[ \t]?[^\W\d_][\w'’-]+)"
)
# Dictation marks stand on their own at the end of a line: "JS/mk", "ABC:def".
_DICTATION_INITIALS = re.compile(r"(?m)(?:^|[ \t])(?P<i>[A-Z]{2,3})[/:](?P<j>[a-z]{2,3}|[A-Z]{2,3})[ \t]*$")
# Lower-case initials after a transcription or signature mark: "Transcribed by lh", "dictated by: jm".
_LOWER_INITIALS = re.compile(
    r"(?i:\b(?:transcribed|dictated|typed|entered|signed)\s+by)[:\s]+(?P<i>[a-z]{2,3})(?=[\s.,;]|$)"
)
_CRED = "(?:" + "|".join(sorted((re.escape(w) for w in SIGNATURE_CREDENTIALS), key=len, reverse=True)) + ")"
# A pager or extension after a signature: "c. ambroise ms rd ldn, pgr 2214".
_PAGER_TAIL = (
    r"(?:[ \t]*,?[ \t]*(?:pgr|pager|beeper|bpr|x|ext\.?|cell|tel)[ \t]*#?[ \t]*(?:\(\d{3}\)[ \t]*)?\d[\d-]{2,8})?"
)
# A signature that ends a note's line: initials, then the writer's credentials ("-ck rn", "thurs. bs rn",
# "2 boarders. gh rn supervisor", "LB/RN", "-mb, ms ccc-slp", "sp rn cm", "b.w. rn"). After a line's start, a
# sentence's end or a dash or slash only.
_SIGNED_WITH_CREDENTIAL = re.compile(
    r"(?im)(?:^|[.;][ \t]+|[ \t][-/~—–]+[ \t]*|^[-/~—–]+[ \t]*)(?P<i>[^\W\d_]{2,3}|[a-z]\.[a-z]\.(?:[a-z]\.)?)"
    r"(?:[ \t]*[,/][ \t]*|[ \t]+)"
    r"(?:(?:(?:transfer|center|centre|charge|night|day|float|resource|bed|placement|triage|wound|case|unit|clinical|"
    r"nurse|icu|ed|er)[ \t]+){1,3}(?:rn|lpn)"  # "-- jmk, transfer center rn"
    r"|rn|lpn|bed[ \t]+(?:mgr|manager)|palliative[ \t]+sw"  # "-- ds bed mgr", "DM palliative SW"
    r"|rrt|crt|np|slp|ccc-slp|otr/l|cna|licsw|lcsw|lmsw|lmhc|lpc|lmft|msw|rd|pta|cota|cnm|chaplain|interp(?:reter)?|pharmd"
    r"|crrn|cpn|rgn|rmn|rnc-nic|rnc-ob|cnm[12]|anp"  # Irish nurse managers' and advanced practitioners' grades
    r"|cht"
    r"|(?<=\.[ \t])(?:pt|ot)"  # "- d.v. pt": dotted initials, then the therapist's credential
    r"|pt(?=[ \t,]+dpt\b)|(?<=,[ \t])cm"  # "-jl pt, dpt", "-mb, cm"
    r"|ms(?=[ \t,]+(?:rd|ccc-slp|slp|rn|ldn|otr/l)\b))\b"
    r"(?:(?:[ \t]*[,/][ \t]*|[ \t]+)" + _CRED + r"){0,3}\b"
    r"[ \t]*(?:supervisor|charge|resident|svcs|services|student|,[ \t]*[a-z]{2,8}(?:[ \t]+\d{1,2}[a-z]?)?)?"
    + _PAGER_TAIL
    + r"[ \t.]*$"
)
# A signature with a name at a line's end: an initial and a surname or a first name and an initial, then
# one or more credentials ("l. amaral, otr/l", "chloé d., rn", "a. rosenthal, ms, rd, ldn",
# "n. pereira-st. john, rn cm", "BRONWYN S. RN"), in any case.
_SIGNED_NAME = re.compile(
    r"(?im)(?:^|[.;:][ \t]+|[ \t][-/~—–]+[ \t]*|^[-/~—–]+[ \t]*)(?:(?:rev|fr|sr|chaplain)\.?[ \t]+)?"
    r"(?P<name>[^\W\d_]\.[ \t]?[^\W\d_][\w'’-]+(?:[ \t.]+[^\W\d_][\w'’-]+)??|[^\W\d_][\w'’-]+[ \t]+[^\W\d_]\."
    r"|[^\W\d_][\w'’]+-[^\W\d_][\w'’-]+(?=/)"  # "AL-HADDAD/RN": a hyphenated surname before a slash
    r"|(?P<bare>[^\W\d_][\w'’-]+[ \t]+[^\W\d_])(?=[ \t]*,?[ \t]+))"  # "ANDREA P, RN", "SUE B RN"
    r"[ \t]*[,/]?[ \t]*"
    + _CRED
    + r"(?:[ \t]*[,/]?[ \t]*"
    + _CRED
    + r"){0,3}\b[ \t]*(?:,[ \t]*(?:[A-Za-z]{2,6}[ \t]+)?)?(?:supervisor|charge)?"  # "K. Oyelaran, RN, ED Charge"
    + _PAGER_TAIL
    + r"[ \t.]*$"
)
# A signature after a dash at a line's end, with the writer's first name and surname and a credential
# after ("-fatou ndiaye otr/l", "-FRANCESCA L RN"), or the writer's role before an initial and surname
# ("-- CM K. OYELARAN").
_DASHED_SIGNATURE = re.compile(
    r"(?im)(?:^|[ \t])[-~—–]+[ \t]*(?:(?P<role>rn|np|cm|sw|rt|rrt|pt|ot|slp|rd|pharmd|md|pa|msw|lcsw|licsw)\.?[ \t]+)?"
    r"(?P<name>[^\W\d_][\w'’-]{3,}(?=[ \t]+ms[ \t]+\w)"  # "-lindqvist ms ccc-slp": a surname alone, then degrees
    r"|[^\W\d_][\w'’-]+[ \t]+[^\W\d_](?:[\w'’-]*|\.)|[^\W\d_]\.[ \t]?[^\W\d_][\w'’-]+)"
    r"(?P<cred>(?:[ \t]*[,/]?[ \t]*" + _CRED + r"){0,4})\b" + _PAGER_TAIL + r"[ \t.]*$"
)
_LAST_CREDENTIAL = re.compile(
    r"\b" + _CRED + r"(?:(?:[ \t]*,[ \t]*(?:[a-z]{2,6}[ \t]+)?|[ \t]+)(?:supervisor|charge))?" + _PAGER_TAIL + "$"
)
# The writer's initials alone on a note's last line: "...CALL BACK IN AM.\nLMCK".
# In one case, after a sentence's end, a dash or a nurse's credential: "dtr updated. dk", "... # 508 555 0114. -lg",
# "... in lobby.\ntriage rn jt".
_CLOSING_INITIALS = re.compile(
    r"(?:\n[-—–]*|(?<=\.)[ \t]+|[ \t][-—–]+"
    r"|(?:(?<=\brn)|(?<=\blpn)|(?<=\bpct)|(?<=\bRN)|(?<=\bLPN)|(?<=-cm)|(?<=-sw)|(?<=\bnurse))[ \t]+)"
    r"[ \t]*(?P<i>[A-Za-z]\.?[A-Za-z]\.?(?:[A-Za-z]\.?){0,2})[ \t]*\s*\Z"
)
# An initial and a surname alone on a note's last line, maybe with a role after a comma: "O. FRANCOEUR",
# "A. Mbeki, SW".
_CLOSING_NAME = re.compile(
    r"\n[ \t—–-]*(?P<name>[A-Z]\.[ \t]?(?P<surname>[A-Z][\w'’-]+))(?:,[ \t]*[A-Za-z]{2,6})?[ \t.]*\s*\Z"
)
# A nurse's title and name alone on a note's last line: "SN REMYA K.", "SSN NUR AISYAH", "-sr jincy" (a staff
# nurse, a senior staff nurse, a sister), "SPL MARIT E.", "/SSK ÅL", "INF. G. SPADARO", "PIEL. K. NOWICKA" (nurses
# in Norway, Sweden, Italy or France, Poland); two who shared the shift with a slash ("SN ANU/ SN DEEPTHI").
_NURSE_TITLE = r"(?i:sn|ssn|sr|spl|ssr|ssk|inf|piel|sister|sist|staff[ \t]+nurse)\.?[ \t]+"
_TITLED_NAME = (
    r"[^\W\d_]\.(?:-[^\W\d_]\.)?[ \t]?[^\W\d_][\w'’-]+"
    r"|[^\W\d_][\w'’-]+(?:[ \t]+[^\W\d_][\w'’-]+)?(?:[ \t]+[^\W\d_]\.)?"
)
_CLOSING_TITLED = re.compile(
    r"(?:\n[ \t—–/-]*|[.;][ \t]+[—–/-]+[ \t]*)" + _NURSE_TITLE + r"(?P<name>" + _TITLED_NAME + r")"
    r"(?:[ \t]*/[ \t]*" + _NURSE_TITLE + r"(?P<second>" + _TITLED_NAME + r"))?[ \t.]*\s*\Z"
)
_DOTTED = re.compile(r"(?i)[a-z]\.[a-z]\.(?:[a-z]\.)?")
# A double or long dash right before a note's closing initials: "--OB", "— GI" sign the note.
_DASHED = re.compile(r"(?:--|[—–])[ \t]*$")
# Words a note can end on alone in capitals that are no one's initials: a code status, an order.
_LAST_LINE_WORDS = frozenset({"DNR", "DNI", "CMO", "NPO", "PRN", "OOB", "NKA", "NKDA", "AMA", "ICU", "ED", "OR"})
_CREDENTIALS = frozenset(
    {"MD", "DO", "RN", "NP", "PA", "PT", "OT", "RT", "CM", "SW", "NA", "RRT", "LPN", "CNA", "SLP", "RD", "PTA", "COTA"}
)
_CUED_INITIALS = re.compile(
    r"(?i:\b(?:seen\s+by|signed\s+by|signed|initials|by|per|cosigned\s+by|dictated\s+by|transcribed\s+by|d/w|rn|md"
    # hand-offs and second checks: "REPORT GIVEN TO DK", "MEDS CO-SIGNED W/ LP", "double-checked with KT"
    r"|(?:report|handoff)\s+(?:given\s+)?to|(?:co-?signed|verified|double-?checked)\s+(?:w/|with|by)|witnessed\s+by)"
    r"(?:\b|(?<=/))[:\s]+)"
    r"(?P<i>[A-Z]\.?[A-Z]\.?(?:[A-Z]\.?)?)(?![\w])"
)

# The initials a report's staff fields hold: "Tech: JRM", "Tech: AS/KB", "Sonographer: T.V.", "transcribed ddl",
# or an initial and a surname ("Sonographer: D. Whitcombe, RDCS", "HOUSE SUPERVISOR: M. TRAN-OKONJO").
_FIELD_INITIALS = re.compile(
    r"(?i:\b(?:tech(?:nologist)?|sonographer|transcribed(?:\s+by)?|transcriptionist|scribe|typed\s+by|supervisor|"
    r"grossed\s+by|prosected\s+by|"
    r"crew|dispatcher|perfusionist|circulator|circulating|scrub)\b:?[ \t]+)"
    r"(?P<i>[A-Z]\.[ \t]?[A-Z](?:[a-z][\w'’-]+|[A-Z]+(?:-[A-Z]+)?(?![\w'’-]))"
    r"|[A-Z](?:\.?[A-Z]){1,2}\.?|[a-z]{2,3}(?=\.?[ \t]*(?:$|/)))"
    r"(?:/(?P<j>[A-Z]{2,3}))?(?![\w/])",
    re.M,
)

# A first name in lower case in a cased report's staff field: "RN: frank", "CVT: marco;", "Tech: amber h.".
_FIELD_FIRST_NAME = re.compile(
    r"\b(?:RN|CVT|Tech|Technologist|Fellow|Scrub|Circulator|Nurse|Sonographer|Perfusionist|CRNA|Monitor)[ \t]*:[ \t]*"
    r"(?P<n>[a-z][a-z'’-]{2,})(?:[ \t]+[a-z]\.)?(?=[ \t]*(?:[;,]|\n|$|[ \t]{2,}))"
)
_FIELD_FIRST_WORDS = frozenset(
    "rn cvt tech technologist fellow scrub circulator nurse sonographer perfusionist crna monitor".split()
)


class _Initials:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        closing = list(_CLOSING_INITIALS.finditer(text, max(0, len(text) - 12)))
        found = [
            *((m, "i") for m in _SIGNATURE_INITIALS.finditer(text)),
            *((m, g) for m in _DICTATION_INITIALS.finditer(text) for g in ("i", "j")),
            *((m, "i") for m in doc.matches_at_words(_CUED_INITIALS, INITIALS_CUE_WORDS)),
            *((m, "i") for m in _LOWER_INITIALS.finditer(text)),
            *((m, "i") for m in _INITIALS_BEFORE_ROLE.finditer(text)),
            *((m, "i") for m in closing),
        ]
        signed = list(_SIGNED_WITH_CREDENTIAL.finditer(text))
        found += [(m, "i") for m in signed]
        # Before a credential at a line's end, letters that are also a clinical abbreviation ("bs", "dm")
        # are still the writer's initials; so are both parts of a dictation mark with one part no
        # abbreviation ("KR/SL").
        relaxed = signed + [
            m
            for m, group in found
            if group == "j"
            and text[max(0, m.start("i") - 4) : m.start("i")].rstrip(" \t")[-1:] in ("", ".", "\n")
            and not all(self.lexicon.word_class(m.group(g).lower()) & WordClass.CLINICAL for g in ("i", "j"))
        ]
        for m, group in found:
            value = m.group(group)
            if m in closing and (
                value.replace(".", "").upper() in _LAST_LINE_WORDS
                or text[max(0, m.start("i") - 40) : m.start("i")].rstrip().endswith(":")
            ):
                continue  # "CODE STATUS:\nDNR", "... PT COMFORTABLE.\nDNR": a status closing the note
            if value.replace(".", "").upper() in NOT_INITIALS and not (
                (m in signed or m in closing and self._own_last_line(text, m))
                and value.upper() not in _CREDENTIALS
            ):
                continue  # "... ED", "... PRN"; but "TOES. --OB" closing a note is the writer's mark
            bare = value.replace(".", "").lower()
            word_class = self.lexicon.word_class(bare)
            # The last word of a note on its own, in one case, is the writer's even if it is an abbreviation
            # ("re-ct in am. bm").
            closes = m in closing and (value.islower() or value.isupper())
            excluded = WordClass.STOP | (WordClass.NONE if m in relaxed or closes else WordClass.CLINICAL)
            dotted = m in signed and _DOTTED.fullmatch(value) is not None  # "--t.o. rrt": letters with stops
            if (word_class & excluded or bare in HEADER_WORDS or bare in TITLE_WORDS) and not dotted:
                continue  # "SIGNED BY DR.": a title, not initials
            if m in closing and len(bare) >= 4 and word_class & (WordClass.CLINICAL | WordClass.ENGLISH):
                continue  # "CONT AMIO GTT. TELE.", "...\nHEME": a word of four letters closing the note, no initials
            if closes and (value.upper() in _CREDENTIALS or bare in CREDENTIAL_WORDS):
                continue  # "--t.o. rrt": the credential closing the note is not the writer's initials
            if (
                "." not in value
                and word_class & WordClass.ENGLISH
                and not word_class & WordClass.FREQUENT
                and m not in relaxed
            ):
                continue  # "FOLLOWED BY TWO", "PER USE": a word in capitals, not initials
            yield Span(m.start(group), m.end(group), NAME, "initials", 0.75, "initials")
        for m in _FIELD_INITIALS.finditer(text):
            for group in ("i", "j"):
                value = m.group(group)
                if not value or value.replace(".", "").upper() in NOT_INITIALS:
                    continue
                if value.islower() and self.lexicon.word_class(value) & (
                    WordClass.STOP | WordClass.ENGLISH | WordClass.CLINICAL
                ):
                    continue  # "the tech was in": a word, not a transcriber's initials
                surname = value.rpartition(".")[2].strip()
                surname_cls = self.lexicon.word_class(surname.lower())
                if "." in value and surname.isupper() and len(surname) > 1 and (
                    surname_cls & (WordClass.CLINICAL | WordClass.STOP)
                    or surname_cls & WordClass.ENGLISH and not surname_cls & NAME_BITS
                ):
                    continue  # "TECH: A. FIB": in capitals, an abbreviation after a letter
                yield Span(m.start(group), m.end(group), NAME, "initials", 0.75, "initials")
        yield from self._signed_names(doc)
        if not doc.caseless:
            for m in doc.matches_at_words(_FIELD_FIRST_NAME, _FIELD_FIRST_WORDS):
                cls = self.lexicon.word_class(m.group("n"))
                if cls & WordClass.FIRST and not cls & (WordClass.STOP | WordClass.CLINICAL):
                    yield Span(m.start("n"), m.end(), NAME, "clinician", 0.75, "initials")
        for m in _NAME_BEFORE_ROLE.finditer(text):
            cls = self.lexicon.word_class(m.group("n").lower())
            if cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.ENGLISH) and not cls & WordClass.FIRST:
                continue  # "walker (pt)", "consult (sw)": a thing or a service, not a person
            yield Span(m.start("n"), m.end("n"), NAME, "clinician", 0.8, "initials")
        for m in doc.matches_at_words(_TITLE_INITIAL_SURNAME, _TITLE_ROLES):
            surname = m.group("n").split(".")[-1].strip().lower()
            cls = self.lexicon.word_class(surname)
            if cls & WordClass.CLINICAL and not cls & NAME_BITS:
                continue  # "rn c. diff precautions": an organism, not a person
            if not cls & WordClass.STOP and surname not in HEADER_WORDS:
                yield Span(m.start("n"), m.end("n"), NAME, "clinician", 0.85, "initials")

    @staticmethod
    def _own_last_line(text: str, m: re.Match[str]) -> bool:
        """ "TOES. --OB", or "... 857-204-1193.\nAP": the note's closing letters after a long dash, or two or
        three alone in capitals on its last line."""
        start = m.start("i")
        if _DASHED.search(text, max(0, start - 4), start):
            return True
        line_start = text.rfind("\n", 0, start)
        letters = m.group("i")
        return (
            line_start >= 0
            and not text[line_start + 1 : start].strip(" \t-—–")
            and letters.isupper()
            and len(letters) <= 3  # "AP", "IM"; not "MICU", a unit closing the note
        )

    def _signed_names(self, doc: Document) -> Iterator[Span]:
        closing = _CLOSING_NAME.search(doc.text, max(0, len(doc.text) - 60))
        if closing is not None:
            surname = doc.tokens_in(closing.start("surname"), closing.end("surname"))
            if surname and not surname[0].cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.ENGLISH):
                yield Span(closing.start("name"), closing.end("name"), NAME, "clinician", 0.8, "initials")
        titled = _CLOSING_TITLED.search(doc.text, max(0, len(doc.text) - 80))
        for group in ("name", "second"):
            if titled is None or titled.group(group) is None:
                continue
            words = doc.tokens_in(titled.start(group), titled.end(group))
            if words and not any(
                self._not_a_name(w.norm) or (w.cls & WordClass.ENGLISH and not w.cls & WordClass.FIRST)
                for w in words
                if len(w.norm) > 1
            ):  # "SN DIVYA R.", "-sr hope"; not "INF. LEFT ARM", "sr to review"
                yield Span(titled.start(group), titled.end(group), NAME, "clinician", 0.8, "initials")
        for m in _signatures(doc.text):
            # Initials are not checked; a hyphenated name part by part ("pereira-st. john", not "PT-OT").
            words = doc.tokens_in(m.start("name"), m.end("name"))
            if m.group("bare") and not self.lexicon.word_class(words[0].norm) & WordClass.FIRST:
                continue  # "TOL PO, RN AWARE": a bare initial needs a first name before it
            if any(self._not_a_name(w.norm) for w in words if len(w.norm) > 1 and "-" not in w.norm) or any(
                all(self._not_a_name(p) for p in w.norm.split("-")) for w in words if "-" in w.norm
            ):
                continue  # "w. pt, ot": a preposition and a service, no name
            yield Span(m.start("name"), m.end("name"), NAME, "clinician", 0.8, "initials")
        text = doc.text
        dash = text.find("-")
        if dash < 0 and "—" not in text and "–" not in text:
            return
        for m in _DASHED_SIGNATURE.finditer(text):
            if not m.group("role") and not m.group("cred").strip(" \t,/"):
                continue  # "- will call": no credential, no role, no signature
            words = doc.tokens_in(m.start("name"), m.end("name"))
            if any(
                self._not_a_name(w.norm)
                or w.cls & WordClass.STOP
                or (w.cls & WordClass.ENGLISH and not w.cls & NAME_BITS)
                or w.norm in CREDENTIAL_WORDS
                for w in words
                if len(w.norm) > 1
            ):
                continue  # "- pt tolerating rn", "-jw pharmd cacp": words or credentials, not a person
            yield Span(m.start("name"), m.end("name"), NAME, "clinician", 0.8, "initials")

    def _not_a_name(self, word: str) -> bool:
        cls = self.lexicon.word_class(word)
        return bool(cls & (WordClass.STOP | WordClass.CLINICAL) and not cls & NAME_BITS) or word in HEADER_WORDS


def _signatures(text: str) -> Iterator[re.Match[str]]:
    """`_SIGNED_NAME` matches, tried only at the ends of lines whose last word is a credential."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        tail = text[max(start, end - 30) : end].rstrip(" \t.").lower()
        if tail and _LAST_CREDENTIAL.search(tail):
            m = _SIGNED_NAME.search(text, max(start, end - 90), end)
            if m is not None:
                yield m
        start = end + 1


@register("initials", "Clinician initials in signatures and dictation marks (-- JS, JS/mk, seen by JS).")
def _initials(config: DeidConfig, lexicon: Lexicon) -> _Initials:
    return _Initials(lexicon)
