"""Speakers' names at the start of the lines of a chat or transcript: "Nicole: Remember me?".

A note's section headers have the same shape ("Plan: continue", "Neuro: intact", "NEURO: A&O x3"), so a
speaker is believed only when the case and the word lists say it can be nobody else:

* the word is written as a name (capitalised, not in capitals) and no list knows it as an English,
  clinical or stop word or a header field;
* it is a first name or surname the lists know, or a word no list knows at all ("Vsevolod") with a
  vowel and four letters or more ("Shx:", "Slp:" are shorthand);
* at least two lines of the text start so, and more than start with a header ("Plan:", "Neuro:"): a
  conversation has two sides, while one "Word: text" line is more likely a label;
* what follows the colon on the same line is English speech: it starts with an English word, maybe in
  quotes; not a dose, a value, or the field of a record in another language ("Nombre: José").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import NAME_BITS, Lexicon, WordClass
from appliance.deid.recognizers.base import register, register_refiner
from appliance.deid.recognizers.name_rules import HEADER_WORDS
from appliance.deid.recognizers.names import TITLE_WORDS
from appliance.deid.spans import NAME, Span
from appliance.deid.text import Document, Shape

# "Nicole: hi", "Morwenna Trelawney: @Kath yes", "Anneke de Vries: Welcome": a speaker opening a line of a chat.
_SPEAKER_LINE = re.compile(
    r"(?m)^[ \t>]*(?P<name>[A-Z][a-z]+(?:-[a-z]+)?"
    r"(?:[ \t]+(?:(?:de|van|der|da|dos|del|la|le|bin|al)[ \t]+)?[A-Z][\w'’-]+){0,2})"
    r"[ \t]*:[ \t]*[\"'“‘@]?(?P<said>[^\W\d_]+)"
)
# "What's your name? Jildau S Bouts": the answer to a question for a name, in a chat or a form.
_NAME_QUESTION = re.compile(
    r"(?i)\b(?:what(?:'s|’s|[ \t]+is)[ \t]+your|your)[ \t]+(?:full[ \t]+)?name[ \t]*\?[ \t]*(?:\n[ \t>]*)?"
    r"(?P<answer>[^\W\d_][\w'’-]*(?:\.?[ \t]+[^\W\d_][\w'’-]*){0,3})\.?[ \t]*(?=\n|$|[.!?,])"
)
# A user name joined by "_" or ".", after "@" or opening a line of a feed or chat, maybe after its time
# ("@coach.danny.r", "jess_okonkwo · 2h", "[18:05] jun.dc: yes", "mateo.r 10:12 new client"), or joined by
# "_" anywhere; one word
# after "@" when a feed's dot or a colon follows ("@marcusrides · Jul 15"); not inside a mail or web address.
_HANDLE = re.compile(
    r"(?<![\w.@/-])(?:@(?P<at>[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+){1,3})(?![\w@-]|\.[A-Za-z])"
    r"|@(?P<bare>[A-Za-z][A-Za-z0-9]{2,29})(?=[ \t]*(?::|·))"
    r"|(?m:^)[ \t>]*(?:\[?\d[\d/:.\- ]{3,18}\]?[ \t]+)?"
    r"(?P<line>[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+){1,3})(?=[ \t]*(?::|·|[0-2]?\d:[0-5]\d\b))"
    r"|(?P<under>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+){1,3})(?![\w@.-])"
    # one lower-case word after a log line's date and time: "2024/05/08 21:40  ngweixuan: received"
    r"|(?m:^)[ \t>]*\[?\d[\d/.\-]{5,9}[ \t]+\d{1,2}:\d{2}\]?[ \t]+(?P<stamped>[a-z][a-z0-9]{3,20})(?=:)"
    # a login of an initial and a surname in a ticket's log, after "by", a bracket or a time, before ":", "("
    # or ",": "Opened 08:14 by mhassan (Service Desk)", "10:02 tkowalski: remoted", "(kpatel, Tier 1)"
    r"|(?:(?<=\bby[ \t])|(?<=\()|(?<=\d:\d\d[ \t]))(?P<login>[a-z]{6,20})(?=[ \t]*[:(,]))"
)
# The name under a closing line of a letter or a message ("thank you so much\nHà", "thank u\nlola").
_SIGN_OFF = re.compile(
    r"(?im)^[ \t>]*(?:(?:many[ \t]+)?thanks?(?:[ \t]+(?:you|u))?(?:[ \t]+(?:so|very)[ \t]+much)?(?:[ \t]+again)?|"
    r"thx|ty|cheers|(?:kind(?:est)?|best|warm(?:est)?)?[ \t]*regards|best(?:[ \t]+wishes)?|love|sincerely|"
    r"yours(?:[ \t]+(?:sincerely|truly|faithfully))?|take[ \t]+care|talk[ \t]+soon|hugs|xoxo|"
    # in other languages: "Gros bisous", "Atenciosamente", "Met vriendelijke groet", "Viele Grüße"
    r"(?:gros[ \t]+)?bisous|bises|cordialement|atenciosamente|abra[çc]os|beijos|(?:un[ \t]+)?saludos?|besos|"
    r"un[ \t]+abrazo|(?:met[ \t]+vriendelijke[ \t]+)?groet(?:en)?|(?:viele|liebe|herzliche)[ \t]+gr[üu](?:ß|ss)e|"
    r"mit[ \t]+freundlichen[ \t]+gr[üu](?:ß|ss)en|cordiali[ \t]+saluti|un[ \t]+abbraccio|(?:med[ \t]+v[äe]nlig[ \t]+)?"
    r"h[äa]lsning(?:ar)?|(?:med[ \t]+venlig[ \t]+)?hilsen|pozdrawiam|z[ \t]+powa[żz]aniem)"
    r"[ \t]*[,.!]*[ \t]*(?:[x❤🙏]+)?[ \t]*\n"
    r"[ \t>]*(?P<name>[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){0,2}"
    r"(?:[ \t]+(?:dos|das|da|de|van|von|der|del)[ \t]+[^\W\d_][\w'’-]*)?)[ \t]*[,.!]?[ \t]*(?:x+)?[ \t]*(?=\n|$)"
)
# A person saying who they are: "hi its lorraine mcateer", "it's linda, tom's daughter", "this is Marek".
_INTRODUCED = re.compile(
    r"(?i)\b(?:it'?s|it’s|this[ \t]+is)[ \t]+(?P<name>[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*)?)"
)
_PARTICLES = frozenset({"de", "van", "von", "der", "da", "das", "dos", "del", "la", "le", "bin", "al"})
_VOWEL = re.compile(r"[aeiouyàáâäåèéêëìíîïòóôöøùúûüý]")
_NOT_A_NAME = WordClass.ENGLISH | WordClass.CLINICAL | WordClass.STOP | WordClass.MEDICAL | WordClass.COUNTRY


class _Speakers:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def find(self, doc: Document) -> Iterator[Span]:
        yield from self._answered(doc)
        yield from self._speakers(doc)
        yield from self._handles(doc)
        yield from self._signed_off(doc)
        yield from self._introduced(doc)

    def _signed_off(self, doc: Document) -> Iterator[Span]:
        """One to three words alone under "thanks", "regards", "love": a name, an initial, or words no list
        knows, in any case; not a word of the letter ("thanks\nDone", "regards\nThe team")."""
        for m in _SIGN_OFF.finditer(doc.text):
            words = doc.tokens_in(m.start("name"), m.end("name"))
            kept = [w for w in words if w.norm not in _PARTICLES] or words
            if not kept or any(
                cls & (WordClass.STOP | WordClass.CLINICAL | WordClass.COUNTRY)
                or w.norm in HEADER_WORDS
                or cls & WordClass.ENGLISH and not cls & NAME_BITS
                for w, cls in ((w, self._class_of_parts(w.norm)) for w in kept)
            ):
                continue
            yield Span(words[0].start, words[-1].end, NAME, "person", 0.75, "speaker")

    def _class_of_parts(self, norm: str) -> int:
        """The lists' bits of a word, or of the parts of a hyphenated name longer than a letter
        ("tjoe-a-fong": the "a" says nothing)."""
        if "-" not in norm:
            return self.lexicon.word_class(norm)
        cls = 0
        for part in norm.split("-"):
            if len(part) > 1:
                cls |= self.lexicon.word_class(part)
        return cls

    def _introduced(self, doc: Document) -> Iterator[Span]:
        """ "its lorraine mcateer": after "it's" or "this is", a given name the lists know and is no English
        word, with the word after it when that is a surname or a word no list knows."""
        for m in _INTRODUCED.finditer(doc.text):
            words = doc.tokens_in(m.start("name"), m.end("name"))
            if not words or not words[0].cls & WordClass.FIRST or words[0].cls & (
                WordClass.ENGLISH | WordClass.STOP | WordClass.CLINICAL
            ):
                continue
            if len(words) > 1 and not (
                words[1].cls & WordClass.LAST and not words[1].cls & (WordClass.ENGLISH | WordClass.STOP)
                or words[1].cls == WordClass.NONE
            ):
                words = words[:1]
            yield Span(words[0].start, words[-1].end, NAME, "person", 0.75, "speaker")

    def _handles(self, doc: Document) -> Iterator[Span]:
        """User names that hold a given name or a surname the lists know ("jess_okonkwo", "@coach.danny.r")."""
        if "_" not in doc.text and "@" not in doc.text and "." not in doc.text and ":" not in doc.text:
            return
        for m in _HANDLE.finditer(doc.text):
            group = next(g for g in ("at", "bare", "line", "under", "stamped", "login") if m.group(g))
            if group == "login":
                login = m.group(group)
                surname = self.lexicon.word_class(login[1:])
                if self.lexicon.word_class(login) == WordClass.NONE and surname & WordClass.LAST and not (
                    surname & _NOT_A_NAME
                ):
                    yield Span(m.start(group), m.end(group), NAME, "person", 0.7, "speaker")
                continue
            if group == "stamped":
                if not self.lexicon.word_class(m.group(group)) & _NOT_A_NAME:
                    yield Span(m.start(group), m.end(group), NAME, "person", 0.7, "speaker")
                continue
            parts = [p.lower() for p in re.split(r"[._]", m.group(group)) if p.isalpha() and len(p) >= 3]
            classes = [self.lexicon.word_class(p) for p in parts]
            if (
                group == "bare"
                or group == "at" and doc.text[m.end(group) : m.end(group) + 1] == ":"  # "@hemi.parata: saw it"
                or any(
                    cls & NAME_BITS and not cls & WordClass.CLINICAL and not (group == "under" and cls & _NOT_A_NAME)
                    for cls in classes
                )
                or group != "under" and "_" in m.group(group) and WordClass.NONE in classes
            ):  # "wanderlust_kemi": a user name by its "_", with a part no list knows
                yield Span(m.start(group), m.end(group), NAME, "person", 0.7, "speaker")

    def _answered(self, doc: Document) -> Iterator[Span]:
        """The name given right after a question for it: its first word a name or a word no list knows,
        no stop word among them; in a normally written line every word capitalised or an initial, in a
        line all in one case none an English word unless it is also a name."""
        if "?" not in doc.text:
            return
        for m in _NAME_QUESTION.finditer(doc.text):
            words = doc.tokens_in(m.start("answer"), m.end("answer"))
            if not words or any(w.cls & WordClass.STOP and len(w.norm) > 1 for w in words):
                continue
            first = words[0]
            if not (first.cls & NAME_BITS or first.cls == WordClass.NONE) or len(first.norm) < 2:
                continue
            if first.caseless:
                named = all(len(w.norm) == 1 or w.cls & NAME_BITS or not w.cls & _NOT_A_NAME for w in words)
            else:
                named = all(w.shape in (Shape.TITLE, Shape.INITIAL) for w in words)
            if named:
                yield Span(first.start, words[-1].end, NAME, "person", 0.75, "speaker")

    def _speakers(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        if ":" not in text:
            return
        found, headers = [], 0
        for m in _SPEAKER_LINE.finditer(text):
            said_name = text[m.start("said") - 1] == "@"  # "Ros Kowalczyk: @Kath": an answer to someone
            names = m.group("name").lower().split()
            if (said_name or self._speech(m.group("said").lower())) and all(
                self._speaker(n) for n in names if n not in _PARTICLES
            ):
                found.append(m)
            else:
                headers += 1
        if len(found) < 2 or headers >= len(found):
            return  # one "Word: text" line is a label; lines of "Plan:", "Neuro:" make a note, not a chat
        for m in found:
            yield Span(m.start("name"), m.end("name"), NAME, "person", 0.7, "speaker")

    def _speech(self, word: str) -> bool:
        """An English word, not a name that is also one ("Nombre: Victor", "Apellidos: Pose")."""
        if len(word) < 2 and word not in ("i", "a"):
            return False  # "Domicilio: C/ Mayor"
        cls = self.lexicon.word_class(word)
        if cls & WordClass.STOP:
            return True
        return bool(cls & WordClass.ENGLISH) and not cls & NAME_BITS

    def _speaker(self, word: str) -> bool:
        if word in HEADER_WORDS:
            return False
        cls = self.lexicon.word_class(word)
        if cls & _NOT_A_NAME and not (cls & WordClass.FIRST and cls & WordClass.FREQUENT):
            return False  # "Plan:", "Lasix:", "Will:"; a common first name that is also a word still counts
        if cls & NAME_BITS:
            return True
        # A word no list knows: a name has a vowel and some length, shorthand often not ("Shx:", "Slp:").
        return cls == WordClass.NONE and len(word) >= 4 and _VOWEL.search(word) is not None


@register("speaker", "Speakers' names at the start of the lines of a chat or transcript (Nicole: hi).")
def _speakers(config: DeidConfig, lexicon: Lexicon) -> _Speakers:
    return _Speakers(lexicon)


class _PairedNames:
    """ "Hemi & Sarah Parata-Whitlock", "Dear Ana and José Ferreira": a given name joined by "&" or "and"
    to a full name already found is the other person of the pair."""

    def refine(self, doc: Document, spans: list[Span]) -> Iterator[Span]:
        text = doc.text
        for span in spans:
            if span.label != NAME or " " not in text[span.start : span.end]:
                continue
            m = _PAIRED_BEFORE.search(text, max(0, span.start - 24), span.start)
            if m is None:
                continue
            words = doc.tokens_in(m.start("given"), m.end("given"))
            if len(words) != 1:
                continue
            given = words[0]
            if given.norm in TITLE_WORDS or given.norm in HEADER_WORDS:
                continue
            if given.cls & (WordClass.STOP | WordClass.COUNTRY) or (
                given.cls & (WordClass.ENGLISH | WordClass.CLINICAL) and not given.cls & WordClass.FIRST
            ):
                continue
            if given.cls & WordClass.FIRST or given.cls == WordClass.NONE and len(given.norm) >= 3:
                yield Span(given.start, given.end, NAME, "person", 0.75, "paired_names")


_PAIRED_BEFORE = re.compile(r"(?<![\w'’-])(?P<given>[A-Z][a-zà-ÿ'’-]+)[ \t]+(?:&|and)[ \t]+$")


@register_refiner(
    "paired_names",
    "A given name joined by '&' or 'and' to a full name already found.",
    follows=("name_context", "name_dictionary", "crf", "speaker"),
)
def _paired_names(config: DeidConfig, lexicon: Lexicon) -> _PairedNames:
    return _PairedNames()
