"""Replacements: realistic surrogates (default) or bracketed masks.

Consistency: every choice is drawn from a pseudo-random generator seeded with
HMAC-SHA256(patient key, kind + original), where the patient key is HMAC-SHA256(secret, patient id).
So within one patient the same original always gets the same surrogate ("Smith" -> "Okafor" in every
note of that patient, whatever its case), another patient gets an unrelated one, and nobody without
the secret can recompute or reverse the mapping. Two different originals may, rarely, share a surrogate.

Dates move by one offset per patient (see `date_offset`), so intervals survive. Ages over the limit
become "90+". ZIP codes keep their first three digits, or become 000 for the sparsely populated
prefixes Safe Harbor lists; the last two digits become 00.

Surrogates are chosen to be safe as well as realistic: phone numbers use the 555-01xx range reserved
for fiction, e-mail and web addresses use the example.* domains reserved by RFC 2606, IP addresses the
documentation ranges of RFC 5737/3849, and SSNs start with 9 (never issued).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from appliance.deid import dates as datefmt
from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon, normalise, read_list
from appliance.deid.recognizers.facilities import FACILITY_GENERIC, FACILITY_HEADS
from appliance.deid.recognizers.locations import STREET_SUFFIXES
from appliance.deid.spans import AGE, CONTACT, DATE, ID, LOCATION, NAME, PatientId, Span

_PARTICLES = frozenset(
    {"van", "von", "de", "del", "della", "der", "den", "da", "di", "du", "le", "la", "bin", "ibn", "al", "el"}
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def patient_key(secret: bytes, patient_id: str) -> bytes:
    return hmac.new(secret, b"patient\x00" + patient_id.encode("utf-8"), hashlib.sha256).digest()


def date_offset(secret: bytes, patient_id: str, low: int, high: int) -> int:
    """The patient's date shift in days, uniform over [low, high], fixed by secret and patient id."""
    digest = hmac.new(secret, b"date-shift\x00" + patient_id.encode("utf-8"), hashlib.sha256).digest()
    return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


@dataclass(frozen=True)
class SurrogateContext:
    """Everything a replacer needs for one patient."""

    key: bytes
    date_shift: int
    config: DeidConfig
    lexicon: Lexicon

    def rng(self, kind: str, original: str) -> random.Random:
        digest = hmac.new(self.key, kind.encode() + b"\x00" + original.encode("utf-8"), hashlib.sha256).digest()
        return random.Random(int.from_bytes(digest, "big"))

    def pick(self, kind: str, original: str, options: tuple[str, ...]) -> str:
        """A stand-in from `options` for `original`, never equal to it (case-insensitively)."""
        rng = self.rng(kind, original.lower())
        index = rng.randrange(len(options))
        for step in range(len(options)):
            choice = options[(index + step) % len(options)]
            if choice.lower() != original.lower():
                return choice
        return options[index]


def _match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template.islower():
        return word.lower()
    return word


def _scramble(ctx: SurrogateContext, kind: str, original: str, *, first_digit: str | None = None) -> str:
    """Same layout, new characters: digits stay digits, letters stay letters of the same case."""
    rng = ctx.rng(kind, original)
    out = []
    first = True
    for ch in original:
        if ch.isdigit():
            if first and first_digit is not None:
                out.append(first_digit)
            else:
                out.append(str(rng.randrange(1 if first else 0, 10)))
            first = False
        elif ch.isalpha() and ch.isascii():
            letter = chr(ord("A") + rng.randrange(26))
            out.append(letter if ch.isupper() else letter.lower())
            first = False
        else:
            out.append(ch)
    return "".join(out)


@functools.lru_cache(maxsize=1)
def _name_ranks(lexicon: Lexicon) -> tuple[dict[str, float], dict[str, float]]:
    # Frequency ranks (the lists are ordered most frequent first). A word in both lists is replaced
    # from the list where it ranks higher: "Will" by a first name, "Brown" by a surname.
    first = {normalise(n): float(i) for i, n in enumerate(lexicon.first_names)}
    last = {normalise(n): float(i) for i, n in enumerate(lexicon.last_names)}
    return first, last


def replace_name(original: str, span: Span, ctx: SurrogateContext) -> str:
    first_rank, last_rank = _name_ranks(ctx.lexicon)

    def word(m: re.Match[str]) -> str:
        text = m.group()
        norm = normalise(text)
        if len(text) == 1:
            return ctx.pick("initial", text.upper(), tuple("ABCDEFGHIJKLMNOPRSTW"))
        if norm in _PARTICLES and text.islower():
            return text
        if span.subtype == "initials" and text.isupper() and len(text) <= 3:
            rng = ctx.rng("initials", text)
            return "".join(chr(ord("A") + rng.randrange(26)) for _ in text)
        as_first = first_rank.get(norm)
        as_last = last_rank.get(norm)
        use_first = as_first is not None and (as_last is None or as_first <= as_last)
        options = ctx.lexicon.surrogate_first if use_first else ctx.lexicon.surrogate_last
        return _match_case(text, ctx.pick("first" if use_first else "last", norm, options))

    return _WORD.sub(word, original)


def replace_date(original: str, span: Span, ctx: SurrogateContext) -> str:
    if span.subtype == "birth_year":
        return f"{ctx.config.reference_year - ctx.config.max_age_kept - 1} or earlier"
    parsed = datefmt.parse(original, ctx.config.reference_year)
    if parsed is None:
        return "[DATE]"  # a date-like string we cannot read back: never keep it
    return datefmt.shift(parsed, ctx.date_shift)


def replace_age(original: str, span: Span, ctx: SurrogateContext) -> str:
    return f"{ctx.config.max_age_kept + 1}+"


def replace_zip(original: str, span: Span, ctx: SurrogateContext) -> str:
    digits = "".join(ch for ch in original if ch.isdigit())
    prefix = digits[:3]
    if prefix in ctx.config.restricted_zip_prefixes:
        prefix = "000"
    new = prefix + "00"
    if "-" in original:
        new += "-0000"
    return new


_STREET = re.compile(r"(?P<num>\d+[A-Za-z]?(?:-\d+)?)(?P<rest>.*)", re.DOTALL)
_SUFFIXES = frozenset(w.lower() for w in STREET_SUFFIXES)
_UNIT_WORDS = frozenset(
    {"apt", "apartment", "suite", "ste", "unit", "fl", "floor", "rm", "room", "bldg", "building", "lot", "space"}
)
_DIRECTIONS = frozenset({"n", "s", "e", "w", "north", "south", "east", "west", "ne", "nw", "se", "sw"})


_STATE_ROWS = tuple(line.split(" ", 1) for line in read_list("us_states.txt"))
_STATE_CODES_LIST = tuple(code for code, _ in _STATE_ROWS)
_STATE_NAMES_LIST = tuple(name for _, name in _STATE_ROWS)
_COUNTRIES = tuple(read_list("countries.txt"))
_STATE_NAMES_LOWER = frozenset(name.lower() for name in _STATE_NAMES_LIST)
_COUNTRIES_LOWER = frozenset(name.lower() for name in _COUNTRIES)


def replace_street(original: str, span: Span, ctx: SurrogateContext) -> str:
    """A street line: a new number and street name, unit words kept with new digits. An address written
    on into its town, postcode and country ("12 Oak St, Apt 2, Springfield, IL") has each later comma
    part replaced on its own: units keep their words, towns, states and countries get stand-ins."""
    m = _STREET.match(original)
    if m is None:  # PO Box and other forms: keep words, change numbers
        return _scramble(ctx, "street-number", original)
    number = _scramble(ctx, "street-number", m.group("num"))
    first, *later = re.split(r"(,)", m.group("rest"))
    street_done = False
    in_unit = False

    def word(w: re.Match[str]) -> str:
        nonlocal street_done, in_unit
        text = w.group()
        low = text.lower().rstrip(".")
        if low in _UNIT_WORDS:
            in_unit = True
            return text
        if in_unit or low in _SUFFIXES or low in _DIRECTIONS:
            return text
        if street_done:
            return ""
        street_done = True
        return _match_case(text, ctx.pick("street", low, ctx.lexicon.surrogate_last))

    rest = re.sub(r"[A-Za-z][A-Za-z'.-]*", word, first)
    rest = re.sub(r" {2,}", " ", rest)
    rest += "".join(part if part == "," else _address_part(part, span, ctx) for part in later)
    unit_rng = ctx.rng("unit", original)
    rest = re.sub(r"\d", lambda d: str(unit_rng.randrange(10)), rest)
    return number + rest


_WORDS = re.compile(r"[^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*)*")


def _address_part(part: str, span: Span, ctx: SurrogateContext) -> str:
    """One comma part after an address's street line: a unit ("Apt 5C") keeps its words; the words of
    a town, state or country are replaced (digits are changed by the caller)."""
    words = _WORDS.search(part)
    if words is None or words.group().split()[0].lower().rstrip(".") in _UNIT_WORDS:
        return part
    text = words.group()
    if text in _STATE_CODES_LIST or text.lower() in _STATE_NAMES_LOWER:
        new = replace_state(text, span, ctx)
    elif text.lower() in _COUNTRIES_LOWER:
        new = replace_country(text, span, ctx)
    else:
        new = replace_city(text, span, ctx)
    return part[: words.start()] + new + part[words.end() :]


def replace_city(original: str, span: Span, ctx: SurrogateContext) -> str:
    suffix = ""
    for word in (" County", " Parish", " Borough", " COUNTY", " PARISH", " BOROUGH"):
        if original.endswith(word):
            original, suffix = original[: -len(word)], word
    new = ctx.pick("city", normalise(original), ctx.lexicon.surrogate_cities)
    return _match_case(original, new) + suffix


def replace_state(original: str, span: Span, ctx: SurrogateContext) -> str:
    """A state written in an address: another state, as a code for a code and a name for a name."""
    if len(original) == 2 and original.isupper():
        return ctx.pick("state", original, _STATE_CODES_LIST)
    return _match_case(original, ctx.pick("state", original, _STATE_NAMES_LIST))


def replace_postcode(original: str, span: Span, ctx: SurrogateContext) -> str:
    """A postcode outside the US ("4050-262", "T12 X4R7"): the same layout, new characters."""
    return _scramble(ctx, "postcode", original)


def replace_country(original: str, span: Span, ctx: SurrogateContext) -> str:
    return _match_case(original, ctx.pick("country", original, _COUNTRIES))


def replace_facility(original: str, span: Span, ctx: SurrogateContext) -> str:
    out: list[str] = []
    pos = 0
    replaced_run = False
    for m in re.finditer(r"[^\W\d_]+(?:['’][^\W\d_]+)*", original):
        text = m.group()
        norm = normalise(text)
        keep = norm in FACILITY_GENERIC or norm in FACILITY_HEADS or text.lower() in FACILITY_GENERIC
        gap = original[pos : m.start()]
        if keep:
            out.append(gap + text)
            replaced_run = False
        elif not replaced_run:
            out.append(gap + _match_case(text, ctx.pick("facility", norm, ctx.lexicon.surrogate_cities)))
            replaced_run = True
        pos = m.end()
    out.append(original[pos:])
    return re.sub(r"\s{2,}", " ", "".join(out))


def replace_phone(original: str, span: Span, ctx: SurrogateContext) -> str:
    rng = ctx.rng("phone", "".join(ch for ch in original if ch.isdigit()))
    digits = [ch for ch in original if ch.isdigit()]
    main = len(digits)
    ext_at = re.search(r"(?i)(x|ext)", original)
    if ext_at:
        main = sum(ch.isdigit() for ch in original[: ext_at.start()])
    if main in (10, 11):
        lead = ["1"] if main == 11 else []
        new = lead + [
            str(rng.randrange(2, 10)),
            str(rng.randrange(10)),
            str(rng.randrange(10)),
            "5",
            "5",
            "5",
            "0",
            "1",
        ]
        new += [str(rng.randrange(10)) for _ in range(2)]
    elif main == 7:
        new = ["5", "5", "5", "0", "1", str(rng.randrange(10)), str(rng.randrange(10))]
    else:
        new = [str(rng.randrange(1, 10))] + [str(rng.randrange(10)) for _ in range(main - 1)]
    new += [str(rng.randrange(10)) for _ in range(len(digits) - main)]
    it = iter(new)
    return "".join(next(it) if ch.isdigit() else ch for ch in original)


def replace_email(original: str, span: Span, ctx: SurrogateContext) -> str:
    local = original.split("@", 1)[0]
    first = ctx.pick("first", local, ctx.lexicon.surrogate_first)
    last = ctx.pick("last", local, ctx.lexicon.surrogate_last)
    domain = ctx.pick("email-domain", original, ("example.com", "example.org", "example.net"))
    return f"{first[0]}{last}".lower() + "@" + domain


def replace_url(original: str, span: Span, ctx: SurrogateContext) -> str:
    rng = ctx.rng("url", original)
    path = "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))
    scheme = re.match(r"(?i)[a-z]+://", original)
    host = "www.example.org" if original.lower().startswith(("www.", "http")) else "example.org"
    return (scheme.group() if scheme else "") + host + ("/" + path if "/" in original.split("://")[-1] else "")


def replace_ip(original: str, span: Span, ctx: SurrogateContext) -> str:
    rng = ctx.rng("ip", original)
    suffix = ""
    if "/" in original:
        original, suffix = original.split("/", 1)
        suffix = "/" + suffix
    if ":" in original:
        return f"2001:db8::{rng.randrange(1, 0xFFFF):x}{suffix}"
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{rng.randrange(1, 255)}{suffix}"


def replace_ssn(original: str, span: Span, ctx: SurrogateContext) -> str:
    return _scramble(ctx, "ssn", original, first_digit="9")


def replace_id(original: str, span: Span, ctx: SurrogateContext) -> str:
    return _scramble(ctx, f"id-{span.subtype}", original)


Replacer = Callable[[str, Span, SurrogateContext], str]

#: (label, subtype) -> replacer; (label, None) is the fallback for a label.
REPLACERS: dict[tuple[str, str | None], Replacer] = {
    (NAME, None): replace_name,
    (LOCATION, None): replace_city,
    (LOCATION, "street"): replace_street,
    (LOCATION, "zip"): replace_zip,
    (LOCATION, "facility"): replace_facility,
    (LOCATION, "state"): replace_state,
    (LOCATION, "country"): replace_country,
    (LOCATION, "postcode"): replace_postcode,
    (DATE, None): replace_date,
    (AGE, None): replace_age,
    (CONTACT, None): replace_phone,
    (CONTACT, "email"): replace_email,
    (CONTACT, "url"): replace_url,
    (CONTACT, "ip"): replace_ip,
    (ID, None): replace_id,
    (ID, "ssn"): replace_ssn,
}


def surrogate(original: str, span: Span, ctx: SurrogateContext) -> str:
    replacer = REPLACERS.get((span.label, span.subtype)) or REPLACERS[(span.label, None)]
    return replacer(original, span, ctx)


def mask(span: Span) -> str:
    return f"[{span.label}]"


def make_context(config: DeidConfig, lexicon: Lexicon, patient_id: PatientId | str, secret: bytes) -> SurrogateContext:
    if not isinstance(secret, bytes | bytearray) or len(secret) < 16:
        raise ValueError("the de-identification secret must be at least 16 bytes")
    pid = str(patient_id)
    return SurrogateContext(
        key=patient_key(bytes(secret), pid),
        date_shift=date_offset(bytes(secret), pid, config.date_shift_min_days, config.date_shift_max_days),
        config=config,
        lexicon=lexicon,
    )


__all__ = ["REPLACERS", "SurrogateContext", "date_offset", "make_context", "mask", "surrogate"]
