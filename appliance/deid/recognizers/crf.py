"""A learned recognizer: a linear-chain CRF (CRFsuite) over the note's words and punctuation.

It adds recall on top of the rules: the engine merges its spans with theirs, so a word the rules miss
but the model tags is redacted. Two models tag every note and their spans are merged (`MODEL_FILES`):
the second, trained on more hand-written notes, finds what the first misses, and the first keeps what
the second lost. The weights are trained offline by ``tests/benchmarks/train_deid_crf.py`` on
development halves and synthetic notes only, and ship inside the package
(``appliance/deid/data/crf_deid.crfsuite``, ``crf_deid_2.crfsuite``) each with its SHA-256 beside it
(``.sha256``). They are read from the package, checked against those hashes, and loaded into memory
once per engine; nothing is ever downloaded, and a file whose hash differs is refused.

Tokens are runs of letters and digits, and single punctuation marks, with their offsets. Tags are BIO
over the six Safe Harbor classes. A span's confidence is the lowest marginal probability the model
gives the span's tags. Only names and places are reported (`EMITTED_LABELS`), only above the model's
own floor (`MIN_CONFIDENCE` in normally written text, the stricter `CASELESS_MIN_CONFIDENCE` in a note
all in one case), and a few vetoes drop what it over-tags in prose it never saw: countries and US
states, uncapitalised words, vocabulary, eponyms, codes, services of the hospital.

Hazard: the model sees PHI. Nothing here logs note text, and errors never quote it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import DATA_PACKAGE, Lexicon, WordClass, normalise
from appliance.deid.recognizers.base import register
from appliance.deid.recognizers.crf_checks import (
    DAY_AND_ANY_MONTH,
    DAY_AND_MONTH,
    STREET_WORDS,
    allowed_places,
    field_label,
    science_head_after,
)
from appliance.deid.recognizers.dates import FOREIGN_MONTH
from appliance.deid.recognizers.locations import DOSE_OF
from appliance.deid.recognizers.name_rules import eponym_use, things_named
from appliance.deid.recognizers.organisations import in_brackets
from appliance.deid.spans import AGE, CONTACT, DATE, ID, LOCATION, NAME, Span
from appliance.deid.text import Document
from appliance.errors import IntegrityError, InvalidInput

WEIGHTS_FILE = "crf_deid.crfsuite"
HASH_FILE = "crf_deid.sha256"
#: The packaged models, each with its hash file. Both tag every note (the features are computed once) and
#: their spans are merged: the second, trained on more hand-written notes, finds what the first misses,
#: and the first keeps what the second lost (see tests/benchmarks/train_deid_crf.py for the figures).
MODEL_FILES: tuple[tuple[str, str], ...] = ((WEIGHTS_FILE, HASH_FILE), ("crf_deid_2.crfsuite", "crf_deid_2.sha256"))

#: Runs of letters and digits, or one punctuation mark. Offsets are kept, so tags map back to text.
TOKEN = re.compile(r"[^\W_]+|[^\w\s]|_")

_UNIT_ALONE = re.compile(r"(?i)(?:apt|apartment|suite|ste|unit|rm|room|bed|bay|floor|fl)\.?[ \t#]*\d{1,4}[a-z]?")
_BITS = tuple(
    (name, bit)
    for name, bit in vars(WordClass).items()
    if name.isupper() and isinstance(bit, int) and bit != WordClass.NONE
)
#: Classes the model reports. It learned all six, but dates, ages, contacts and ids are what the rules
#: already find best; the model's extra findings there were mostly numbers in scientific prose.
EMITTED_LABELS: tuple[str, ...] = (NAME, LOCATION)
#: The model's own floor in normally written text. Chosen by two-fold cross-validation on the development
#: halves: the best mean F2 among floors that keep the tuning abstracts under one marked span per fifteen
#: documents (`train_deid_crf.py --choose-floor --meddocan`); it came out at the engine's default threshold.
MIN_CONFIDENCE = 0.5
#: In a note all in capitals or all in lower case the model has no case to go on and over-tags
#: abbreviations ("ENDO", "LEVO"): there it keeps the stricter floor it shipped with.
CASELESS_MIN_CONFIDENCE = 0.95
#: The second model's floor beside the first, chosen the same way (`train_deid_crf.py --second
#: --choose-floor`, each fold's model scored beside the packaged first): it came out at 0.5 too.
SECOND_MIN_CONFIDENCE = 0.5
_WORD_CACHE_LIMIT = 200_000
#: A full stop after a word of four letters or more, before a capital: a sentence may end there.
_SENTENCE_END = re.compile(r"(?<=[^\W\d_]{4})(?<!Prof)(?<!PROF)(?<!Capt)\.(?=[ \t\n]+[^\W\d_a-z])")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[^\W\d_a-z]")  # any upper-case letter (Unicode), not only A-Z
_LOWER = re.compile(r"[^\W\d_A-Z]")
_REPEAT = re.compile(r"(.)\1+")
_ASCII_UPPER = re.compile(r"[A-Z]")
_ASCII_LOWER = re.compile(r"[a-z]")


def _shape(word: str) -> str:
    """'Smith' -> 'Xx', 'AB12' -> 'Xd', '03/04' stays per token: '03' -> 'd'."""
    s = _DIGIT.sub("d", word)
    s = _UPPER.sub("X", s)
    s = _LOWER.sub("x", s)
    return _REPEAT.sub(r"\1", s)


def _word_features(word: str, lexicon: Lexicon) -> _WordFeatures:
    """Features of a word wherever it stands: its own list (with the bias), the extra ones it carries on
    a line without case, the list it gives as a neighbour at offsets -2, -1, +1, +2 (in that order),
    and its lower-case form."""
    low = word.lower()
    shape = _shape(word)
    norm = normalise(word)
    cls = lexicon.word_class(norm) if word[0].isalpha() else WordClass.NONE
    own = [
        "bias",
        "w=" + low,
        "sh=" + shape,
        "p2=" + low[:2],
        "p3=" + low[:3],
        "s2=" + low[-2:],
        "s3=" + low[-3:],
        "len=" + str(min(len(word), 12)),
        "cls=" + str(cls),
    ]
    caseless = ["caseless", "clw=" + low, "clcls=" + str(cls)]
    if word.istitle():
        own.append("title")
    if word.isupper():
        own.append("upper")
    if word.isdigit():
        own.append("digit")
        own.append("nd=" + str(min(len(word), 10)))
    elif any(ch.isdigit() for ch in word):
        own.append("hasdigit")
    own.extend("c:" + name for name, bit in _BITS if cls & bit)
    if not cls and word[0].isalpha():
        own.append("unknown")
    neighbours = []
    for offset in ("-2", "-1", "+1", "+2"):
        near = [offset + "w=" + low, offset + "sh=" + shape, offset + "cls=" + str(cls)]
        if offset in ("-1", "+1"):
            near.extend(offset + "c:" + name for name, bit in _BITS if cls & bit)
            if word.istitle():
                near.append(offset + "title")
        neighbours.append(near)
    m2, m1, p1, p2 = neighbours
    return own, caseless, m2, m1, p1, p2, low


#: A word's features: own (with the bias), on a caseless line, as the word two before, one before,
#: one after and two after, and its lower-case form.
_WordFeatures = tuple[list[str], list[str], list[str], list[str], list[str], list[str], str]
_NO_FEATURES: list[str] = []


def _caseless_lines(text: str, whole_note: bool) -> tuple[list[int], list[bool]]:
    """Line start offsets and whether each line carries no case information (same rule as `text`)."""
    starts, flags = [], []
    pos = 0
    for line in text.split("\n"):
        upper = len(_ASCII_UPPER.findall(line))
        lower = len(_ASCII_LOWER.findall(line))
        letters = upper + lower
        starts.append(pos)
        flags.append(whole_note or (letters >= 8 and upper >= 0.85 * letters))
        pos += len(line) + 1
    return starts, flags


def tokens_and_features(
    text: str, lexicon: Lexicon, whole_note_caseless: bool, cache: dict[str, _WordFeatures] | None = None
) -> tuple[list[tuple[int, int]], list[list[str]]]:
    """The CRF's view of a note: token offsets and one feature list per token.

    Shared by the recognizer and the training script, so both see exactly the same features.
    """
    cache = {} if cache is None else cache
    spans: list[tuple[int, int]] = []
    words: list[_WordFeatures] = []
    for m in TOKEN.finditer(text):
        word = m.group()
        facts = cache.get(word)
        if facts is None:
            facts = cache[word] = _word_features(word, lexicon)
        spans.append(m.span())
        words.append(facts)
    line_starts, caseless = _caseless_lines(text, whole_note_caseless)
    line_starts.append(len(text) + 1)
    out: list[list[str]] = []
    n = len(spans)
    line = 0
    prev_end = 0
    for i in range(n):
        start, end = spans[i]
        while line_starts[line + 1] <= start:
            line += 1
        own, caseless_feats, _m2, _m1, _p1, _p2, low = words[i]
        marks = []
        if i == 0 or "\n" in text[prev_end:start]:
            marks.append("line_start")
        if i and prev_end == start:
            marks.append("glued_left")
        if i + 1 < n and spans[i + 1][0] == end:
            marks.append("glued_right")
        if i >= 1:
            before = words[i - 1]
            marks.append("-1|0=" + before[6] + "|" + low)
        else:
            before = None
        out.append(
            [
                *own,
                *(caseless_feats if caseless[line] else _NO_FEATURES),
                *marks,
                *(words[i - 2][2] if i >= 2 else ("-2:none",)),
                *(before[3] if before is not None else ("-1:none",)),
                *(words[i + 1][4] if i + 1 < n else ("+1:none",)),
                *(words[i + 2][5] if i + 2 < n else ("+2:none",)),
            ]
        )
        prev_end = end
    if len(cache) > _WORD_CACHE_LIMIT:
        cache.clear()
    return spans, out


def _read_verified(weights: Path | None, hash_file: Path | None, packaged: tuple[str, str] = MODEL_FILES[0]) -> bytes:
    """The weights file's bytes (`weights`, or the `packaged` model), after checking them against the
    recorded SHA-256."""
    if weights is None:
        package = resources.files(DATA_PACKAGE)
        weights_file, packaged_hash = packaged
        name = f"appliance/deid/data/{weights_file}"
        try:
            data = package.joinpath(weights_file).read_bytes()
            recorded = package.joinpath(packaged_hash).read_text(encoding="ascii")
        except OSError:
            raise InvalidInput(f"crf recognizer: {name} or its .sha256 is missing; reinstall the appliance") from None
    else:
        name = str(weights)
        hash_path = hash_file if hash_file is not None else weights.with_suffix(".sha256")
        try:
            data = weights.read_bytes()
            recorded = hash_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            raise InvalidInput(f"crf recognizer: cannot read {name} or {hash_path}") from None
    expected = recorded.split()[0].lower() if recorded.split() else ""
    if hashlib.sha256(data).hexdigest() != expected:
        raise IntegrityError(f"crf recognizer: {name} does not match its recorded sha256; reinstall the appliance")
    return data


_WHEN_WORDS = frozenset({"now", "today", "tonight", "yesterday", "tomorrow", "currently", "still", "again", "too"})
_WEEKDAYS = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"})


class CrfRecognizer:
    """Tags notes with the shipped CRF. Build once per engine; `find` is called once per note.

    `weights` (and `hash_file`, default: the weights path with suffix ``.sha256``) point at another
    model file, for the training script and tests; by default the packaged models (`MODEL_FILES`) are used.
    A sequence of paths loads several models (each with its ``.sha256`` beside it), whose spans are merged.
    """

    def __init__(
        self,
        lexicon: Lexicon,
        *,
        weights: Path | Sequence[Path] | None = None,
        hash_file: Path | None = None,
        max_age_kept: int = 89,
        labels: tuple[str, ...] = EMITTED_LABELS,
        min_confidence: float = MIN_CONFIDENCE,
        second_min_confidence: float = SECOND_MIN_CONFIDENCE,
    ) -> None:
        import pycrfsuite

        if weights is None:
            blobs = [_read_verified(None, None, packaged) for packaged in MODEL_FILES]
        elif isinstance(weights, Path):
            blobs = [_read_verified(weights, hash_file)]
        else:
            blobs = [_read_verified(path, None) for path in weights]
        # CRFsuite reads a model in place: the bytes must live as long as its tagger.
        self._model_bytes = blobs
        self._taggers = []
        for blob in blobs:
            tagger = pycrfsuite.Tagger()
            try:
                tagger.open_inmemory(blob)
            except (OSError, ValueError):
                raise InvalidInput("crf recognizer: a weights file is not a CRFsuite model; reinstall") from None
            self._taggers.append(tagger)
        self._item_sequence = pycrfsuite.ItemSequence
        self.lexicon = lexicon
        self.max_age_kept = max_age_kept
        self.labels = frozenset(labels)
        self.min_confidence = min_confidence
        self.second_min_confidence = second_min_confidence
        self._cache: dict[str, _WordFeatures] = {}

    def find(self, doc: Document) -> Iterator[Span]:
        offsets, features = tokens_and_features(doc.text, self.lexicon, doc.caseless, self._cache)
        if not offsets:
            return
        # One conversion of the features for all models: it costs as much as tagging.
        items = self._item_sequence(features) if len(self._taggers) > 1 else features
        for k, tagger in enumerate(self._taggers):
            floor = self.second_min_confidence if k else self.min_confidence
            yield from self._tagged(doc, offsets, tagger, tagger.tag(items), floor)

    def _tagged(
        self, doc: Document, offsets: list[tuple[int, int]], tagger: Any, tags: list[str], floor: float
    ) -> Iterator[Span]:
        text = doc.text
        i, n = 0, len(tags)
        while i < n:
            tag = tags[i]
            if tag == "O":
                i += 1
                continue
            label = tag[2:]
            j = i + 1
            while j < n and tags[j] == "I-" + label:
                j += 1
            first, last = i, j
            i = j
            if label not in self.labels:
                continue
            confidence = min(tagger.marginal(tags[k], k) for k in range(first, last))
            if confidence < (
                max(floor, CASELESS_MIN_CONFIDENCE) if doc.caseless else floor
            ):
                continue
            while last - first > 1 and text[offsets[first][0] : offsets[first][1]].lower() in ("a", "an", "the"):
                first += 1  # "An Esterbrook was placed": the article is no part of the name
            while last - first > 1 and text[offsets[last - 1][0] : offsets[last - 1][1]].lower() in _WHEN_WORDS:
                last -= 1  # "works at Civic Orchard now": when, not part of the place
            start, end = offsets[first][0], offsets[last - 1][1]
            sentence_end = _SENTENCE_END.search(text, start, end)
            if sentence_end is not None and self._plain_word_at(text, sentence_end.end()):
                end = sentence_end.start()  # "Spanish. Delivery": a span ends with its sentence
            if not self._plausible(text[start:end], label, doc.caseless):
                continue
            if last - first == 1 and self._trailing_heading(text, start, end):
                continue  # "... NºCol: 48 48 71235.\nInforme": a heading left at the end, its section missing
            if last - first == 1 and self._ordinary_sentence_start(doc, start):
                continue  # "Hope for recovery is good": capitalised only because a sentence starts
            if label == NAME and last - first == 1 and normalise(text[start:end]) in things_named(doc):
                continue  # "an Esmarch", "the Bovie" somewhere in the note: a thing, not a person
            if label in (NAME, LOCATION) and DOSE_OF.search(text, max(0, start - 16), start):
                continue  # "10 cc of Conray": a product measured out
            if label == LOCATION and any(eponym_use(doc, t) for t in doc.tokens_in(start, end)):
                continue  # "Hunt Hess 3", "Fisher 4": an eponymous grade, not a ward
            if label in (NAME, LOCATION) and (science_head_after(text, end) or field_label(text, start, end)):
                continue  # "Wistar Furth rats", "Struthers' ligament"; "Médico:" heading a line
            if label in (NAME, LOCATION) and self._possessive_term_after(text, end):
                continue  # "Meckel's diverticulum", "Quincke's edema"
            if (
                label == LOCATION
                and _MAKER_SUFFIX.search(text, start, min(len(text), end + 12))
                and in_brackets(text, start)
            ):
                continue  # "(Corvant Devices Inc)": a device's maker cited beside it, as the rules leave it
            if label in (NAME, LOCATION):
                stop = text.find(". ", start, end)
                if stop > start and DAY_AND_MONTH.fullmatch(text, start, stop):
                    end = stop  # "21st May. Delivery": the date, not the next sentence's first word
                english_date = DAY_AND_MONTH.fullmatch(text, start, end)  # "Wednesday 21st May": the engine cuts it
                word_end = text.find(" ", start, end)
                if (
                    not english_date
                    and word_end > start
                    and DAY_AND_ANY_MONTH.fullmatch(text, word_end + 1, end)
                    and normalise(text[start:word_end]) not in STREET_WORDS
                ):
                    start = word_end + 1  # "Tarih 3 Haziran 2024": a field's label and its date
                if english_date or DAY_AND_ANY_MONTH.fullmatch(text, start, end):
                    label = DATE  # "12 June", "June 13": a date the model tagged as a place; its stand-in is a date
            for piece_start, piece_end in self._lines(text, start, end):
                yield Span(piece_start, piece_end, label, None, min(1.0, max(0.0, confidence)), "crf")

    def _lines(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """The span, or where one of its lines is everyday words and no digit, its other lines: in "Rachel
        Fairbairn\nClaims Assessor" the second line is a job title, in "12 Elm Rd\nSuite 4" all is address."""
        if "\n" not in text[start:end]:
            return [(start, end)]
        kept = list(self._kept_lines(text, start, end))
        lines = sum(1 for line in text[start:end].split("\n") if line.strip())
        return kept if len(kept) < lines else [(start, end)]

    def _kept_lines(self, text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
        at = start
        for line in text[start:end].split("\n"):
            piece_start = at + len(line) - len(line.lstrip())
            piece_end = at + len(line.rstrip())
            at += len(line) + 1
            if piece_end <= piece_start:
                continue
            words = _LETTERS.findall(text, piece_start, piece_end)
            everyday = [self.lexicon.word_class(normalise(w)) for w in words]
            if any(ch.isdigit() for ch in text[piece_start:piece_end]) or not all(
                c & _VOCABULARY and not c & _PROPER for c in everyday
            ):
                yield piece_start, piece_end

    def _plain_word_at(self, text: str, at: int) -> bool:
        """Whether the first word from `at` is an everyday word, not a name or a place ("Avda. Constitución")."""
        word = _LETTERS.search(text, at)
        cls = self.lexicon.word_class(normalise(word.group())) if word is not None else WordClass.NONE
        return bool(cls & (WordClass.ENGLISH | WordClass.STOP) and not cls & _PROPER)

    def _trailing_heading(self, text: str, start: int, end: int) -> bool:
        """A capitalised word no list knows, alone on a note's last line after a finished sentence (a
        signature there is initials or a listed name, which the rules take)."""
        word = text[start:end]
        if text[end:].strip() or len(word) < 4 or not word.istitle() or self.lexicon.word_class(normalise(word)):
            return False
        line_start = text.rfind("\n", 0, start) + 1
        return not text[line_start:start].strip() and text[:line_start].rstrip().endswith(".")

    def _ordinary_sentence_start(self, doc: Document, start: int) -> bool:
        """True if the word at `start` opens a sentence and is an ordinary English word."""
        index = doc.token_index_at(start)
        if index >= len(doc.tokens) or doc.tokens[index].start != start:
            return False
        tok = doc.tokens[index]
        return tok.sent_start and bool(tok.cls & (WordClass.ENGLISH | WordClass.COMMON | WordClass.STOP))

    def _possessive_term_after(self, text: str, end: int) -> bool:
        """True if a possessive and a word of medical vocabulary follow: an eponym in use."""
        m = _POSSESSIVE_NEXT.match(text, end, min(len(text), end + 40))
        return m is not None and bool(
            self.lexicon.word_class(normalise(m.group(1))) & (WordClass.MEDICAL | WordClass.CLINICAL)
        )

    def _plausible(self, found: str, label: str, caseless: bool) -> bool:
        """Vetoes for what the model over-tags outside the notes it learned from (scientific prose):
        countries (Safe Harbor keeps them), hyphenated terms read as dates, eponyms and vocabulary
        read as names or places."""
        if label == AGE:
            return _over(found, self.max_age_kept)  # Safe Harbor keeps ages up to the limit
        has_digit = any(ch.isdigit() for ch in found)
        if label in (DATE, ID, CONTACT):
            if label == CONTACT and ("@" in found or "://" in found or "www." in found.lower()):
                return True
            return has_digit or label == DATE and bool(_MONTH.search(found))
        words = _LETTERS.findall(found)
        if not words or has_digit and label == NAME:
            return False
        if label == LOCATION and _UNIT_ALONE.fullmatch(found):
            return False  # "pt in apt 3", "moved to suite 4": a unit with no street is no address
        if _CODE.fullmatch(found):
            return False  # "MDA-330", "EBNA-2", "Ki-B5": cell lines, antigens and genes, no place
        if not caseless and not all(w[0].isupper() or w.islower() and len(w) <= 3 for w in words):
            return False  # "vena cava", "Mac Conkay agar": names and places are capitalised
        if not caseless and not words[0][0].isupper():
            return False  # a short lower-case word only follows a capitalised one ("Rio de Janeiro")
        norms = [normalise(w) for w in words]
        classes = [self.lexicon.word_class(w) for w in norms]
        if label == NAME and len(words) == 1 and FOREIGN_MONTH.fullmatch(words[0]):
            return False  # "Mars", "mai": a month of another language, a date only with a day or a year
        if (
            label == LOCATION
            and any(c & WordClass.CLINICAL for c in classes)
            and all(c & (WordClass.ENGLISH | WordClass.STOP) for c in classes)
        ):
            return False  # "Case Management", "Labor and Delivery": a service of the hospital, no place
        if len(words) == 1 and classes[0] & WordClass.STOP and not classes[0] & (WordClass.FIRST | WordClass.CITY):
            return False  # "French, Spanish": a language or a function word (only a surname, at most), no one
        two_days = len(norms) > 1 and norms[1] in _WEEKDAYS
        if norms[0] in _WEEKDAYS and (label == NAME and len(words) == 1 or has_digit and two_days):
            return False  # "by Friday", "Monday-Friday 9 a": days of the week, not a person or a place
        if allowed_places(norms):
            return False  # countries and US states: Safe Harbor keeps them
        vocabulary = [bool(c & _VOCABULARY and not c & _PROPER) for c in classes]
        if label == NAME:
            # One ordinary or clinical word is enough to doubt a name the rules did not see.
            return not any(vocabulary) and not (len(words) == 1 and classes[0] & WordClass.EPONYM)
        return not all(vocabulary)


#: The word after a span: skips a possessive ("Struthers' ligament") and the far end of a hyphen.
_MAKER_SUFFIX = re.compile(r"\b(?:Inc|LLC|Ltd|Corp|GmbH|AG|SA|Co)\b\.?[ \t]*\)")
_POSSESSIVE_NEXT = re.compile(r"(?:'s|\u2019s)[ \t]+([^\W\d_]+)")
#: One word of letters and digits glued or hyphenated together: a code, never a place's name.
_CODE = re.compile(r"(?=[\w-]*\d)(?=[\w-]*[^\W\d_])[\w]+(?:-[\w]+)*")


_MONTH = re.compile(
    r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
)
_LETTERS = re.compile(r"[^\W\d_]+")
_VOCABULARY = WordClass.ENGLISH | WordClass.CLINICAL | WordClass.COMMON | WordClass.EPONYM
_PROPER = WordClass.FIRST | WordClass.LAST | WordClass.CITY


def _over(text: str, limit: int) -> bool:
    digits = "".join(ch for ch in text if ch.isdigit())
    return not digits or int(digits[:4]) > limit


@register("crf", "A linear-chain CRF trained offline, shipped with the appliance (hash-checked).")
def _crf(config: DeidConfig, lexicon: Lexicon) -> CrfRecognizer:
    return CrfRecognizer(lexicon, max_age_kept=config.max_age_kept)
