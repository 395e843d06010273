"""Synthetic identities and the surface forms in which their identifiers appear in notes.

A `Phi` is one planted identifier: the exact text that goes into the note plus its gold label. Renderers
return sequences of `Piece` (plain strings and `Phi`), so that a title such as "Mr. " or a unit such as
"year-old" stays outside the gold span while the identifier itself is inside it.

All randomness comes from the `random.Random` passed in; nothing here touches the global generator.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from appliance.synthetic import vocab

# Gold labels and their subtypes. Every planted identifier carries one of these pairs.
PHI_SUBTYPES: dict[str, tuple[str, ...]] = {
    "NAME": ("patient", "relative", "clinician"),
    "LOCATION": ("street", "city", "zip", "facility"),
    # Date subtypes name the surface format, which is what makes dates hard to find.
    "DATE": ("mdy_slash", "month_day", "long", "dmy_abbrev", "iso"),
    "AGE": ("over_89",),
    "CONTACT": ("phone", "fax", "email", "url", "ip"),
    "ID": ("ssn", "mrn", "health_plan", "account", "license", "vehicle", "device"),
}


@dataclass(frozen=True)
class Phi:
    """One planted identifier: `text` goes into the note verbatim and is covered by one gold span."""

    text: str
    label: str
    subtype: str | None = None

    def __post_init__(self) -> None:
        if self.label not in PHI_SUBTYPES or (
            self.subtype is not None and self.subtype not in PHI_SUBTYPES[self.label]
        ):
            raise ValueError(f"unknown PHI label {self.label}/{self.subtype}")
        if not self.text or self.text != self.text.strip():
            raise ValueError("a PHI span must be non-empty and carry no surrounding whitespace")


Piece = str | Phi

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def fmt_date(d: date, subtype: str, rng: Random) -> Phi:
    """Render `d` in the named surface format (one of `PHI_SUBTYPES["DATE"]`)."""
    if subtype == "mdy_slash":
        text = f"{d.month:02d}/{d.day:02d}/{d.year}" if rng.random() < 0.6 else f"{d.month}/{d.day}/{d.year}"
    elif subtype == "month_day":
        text = f"{d.month}/{d.day}"
    elif subtype == "long":
        month = _MONTHS[d.month - 1]
        if rng.random() < 0.25:
            month = month[:3] + ("." if len(month) > 3 else "")
        text = f"{month} {d.day}, {d.year}" if rng.random() < 0.8 else f"{d.day} {month} {d.year}"
    elif subtype == "dmy_abbrev":
        text = f"{d.day:02d}-{_MONTHS[d.month - 1][:3]}-{d.year}"
    elif subtype == "iso":
        text = d.isoformat()
    else:
        raise ValueError(f"unknown date format {subtype!r}")
    return Phi(text, "DATE", subtype)


# Formats that carry a year; "month_day" (3/14) only appears where the year is obvious from context.
FULL_DATE_FORMATS: tuple[str, ...] = ("mdy_slash", "long", "dmy_abbrev", "iso")


def any_date(d: date, rng: Random, formats: Sequence[str] = FULL_DATE_FORMATS) -> Phi:
    return fmt_date(d, rng.choice(formats), rng)


def age_pieces(age: int) -> Piece:
    """Ages above 89 are identifiers under Safe Harbor; younger ages are not and get no span."""
    return Phi(str(age), "AGE", "over_89") if age > 89 else str(age)


def age_on(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    middle: str  # one upper-case initial
    sex: str  # "F" | "M"

    @property
    def title(self) -> str:
        return "Ms." if self.sex == "F" else "Mr."


@dataclass(frozen=True)
class Clinician:
    person: Person
    credential: str  # "MD", "DO", "NP", "PA-C", "RN"


@dataclass(frozen=True)
class Facility:
    name: str  # full name, e.g. "Mercy Valley Regional Medical Center"
    short: str  # place word, e.g. "Mercy Valley"
    city: str
    state: str
    phone: str
    fax: str
    slug: str  # for portal URLs


@dataclass(frozen=True)
class Address:
    street: str  # "1423 Maple Ave, Apt 4B"
    city: str
    state: str
    zip: str


@dataclass(frozen=True)
class Identity:
    """Everything identifying about one synthetic patient; constant across all of the patient's notes."""

    person: Person
    dob: date
    address: Address
    phone: str
    email: str
    mrn: str
    ssn: str
    health_plan: str
    account: str
    license: str
    plate: str
    vin: str
    device: str
    ip: str
    url: str
    relative: Person
    relation: str
    relative_phone: str
    occupation: str


# ---------------------------------------------------------------------------------------------------
# Value makers


def _digits(rng: Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _letters(rng: Random, n: int, alphabet: str = string.ascii_uppercase) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_phone(rng: Random) -> str:
    area, exch, line = rng.randint(201, 989), rng.randint(200, 999), _digits(rng, 4)
    form = rng.randrange(5)
    if form == 0:
        return f"({area}) {exch}-{line}"
    if form == 1:
        return f"{area}-{exch}-{line}"
    if form == 2:
        return f"{area}.{exch}.{line}"
    if form == 3:
        return f"+1 {area} {exch} {line}"
    return f"{area}-{exch}-{line} x{rng.randint(100, 9999)}"


def make_person(rng: Random, sex: str | None = None, last: str | None = None) -> Person:
    sex = sex or rng.choice("FM")
    first = rng.choice(vocab.FEMALE_FIRST if sex == "F" else vocab.MALE_FIRST)
    return Person(first, last or rng.choice(vocab.LAST), rng.choice(string.ascii_uppercase), sex)


def make_facility(rng: Random, used: set[str]) -> Facility:
    while True:
        short = rng.choice(vocab.FACILITY_PLACES)
        name = f"{short} {rng.choice(vocab.FACILITY_KINDS)}"
        if name not in used:
            used.add(name)
            break
    city, state = rng.choice(vocab.CITIES)
    slug = "".join(ch for ch in short.lower() if ch.isalpha())
    return Facility(name, short, city, state, make_phone(rng), make_phone(rng), slug)


def make_clinician(rng: Random, credential: str) -> Clinician:
    return Clinician(make_person(rng), credential)


def _zip(rng: Random) -> str:
    z = f"{rng.randint(1001, 99950):05d}"
    return z if rng.random() < 0.8 else f"{z}-{_digits(rng, 4)}"


def make_address(rng: Random) -> Address:
    street = f"{rng.randint(1, 9899)} {rng.choice(vocab.STREET_NAMES)} {rng.choice(vocab.STREET_SUFFIXES)}"
    if rng.random() < 0.3:
        unit = rng.choice(vocab.UNIT_FORMS).format(n=rng.randint(1, 40), l=rng.choice("ABCD"))
        street = f"{street}, {unit}"
    city, state = rng.choice(vocab.CITIES)
    return Address(street, city, state, _zip(rng))


_VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # VINs never use I, O or Q


def make_identity(rng: Random, dob: date, facility: Facility) -> Identity:
    person = make_person(rng)
    relation, rel_sex = rng.choice(vocab.RELATIONS)
    # Spouses may keep their own surname; blood relatives mostly share it.
    same_last = rng.random() < (0.5 if relation in ("wife", "husband", "partner") else 0.8)
    relative = make_person(rng, rel_sex, person.last if same_last else None)
    ssn_area = rng.choice([a for a in range(1, 900) if a != 666])
    ssn = f"{ssn_area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    if rng.random() < 0.2:
        ssn = ssn.replace("-", "")
    mbi = (
        f"{rng.randint(1, 9)}{_letters(rng, 2, 'ACDEFGHJKMNPQRTUVWXY')}{rng.randint(0, 9)}-"
        f"{_letters(rng, 1, 'ACDEFGHJKMNPQRTUVWXY')}{_letters(rng, 1, 'ACDEFGHJKMNPQRTUVWXY0123456789')}"
        f"{rng.randint(0, 9)}-{_letters(rng, 2, 'ACDEFGHJKMNPQRTUVWXY')}{_digits(rng, 2)}"
    )
    health_plan = rng.choice([f"{_letters(rng, 3)}{_digits(rng, 9)}", mbi, f"W{_digits(rng, 9)}"])
    license_ = rng.choice(
        [
            f"{_letters(rng, 1)}{_digits(rng, 7)}",
            f"{_letters(rng, 1)}{_digits(rng, 3)}-{_digits(rng, 4)}-{_digits(rng, 4)}",
            f"{_digits(rng, 3)} {_digits(rng, 3)} {_digits(rng, 3)}",
        ]
    )
    plate = rng.choice(
        [
            f"{rng.randint(1, 9)}{_letters(rng, 3)}{_digits(rng, 3)}",
            f"{_letters(rng, 3)}-{_digits(rng, 4)}",
            f"{_letters(rng, 2)}{_digits(rng, 1)} {_letters(rng, 1)}{_digits(rng, 2)}",
        ]
    )
    device = rng.choice(
        [
            f"{_letters(rng, 3)}{_digits(rng, 6)}{_letters(rng, 1)}",
            f"{_digits(rng, 1)}{_letters(rng, 1)}{_digits(rng, 1)}-{_digits(rng, 5)}-{_letters(rng, 1)}",
            f"SN{_digits(rng, 8)}",
        ]
    )
    ip = rng.choice(
        [
            f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"{rng.randint(23, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"192.168.{rng.randint(0, 20)}.{rng.randint(2, 254)}",
            f"2001:db8:{rng.randint(0, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}",
        ]
    )
    user = f"{person.first}.{person.last}".lower().replace(" ", "").replace("'", "")
    email = f"{user}{rng.randint(1, 99) if rng.random() < 0.6 else ''}@{rng.choice(vocab.EMAIL_DOMAINS)}"
    url = rng.choice(
        [
            f"https://portal.{facility.slug}.example.org/patient/{_digits(rng, 6)}",
            f"https://www.{user.replace('.', '')}.example.com",
            f"http://{facility.slug}health.example/mychart/u/{_digits(rng, 7)}",
        ]
    )
    return Identity(
        person=person,
        dob=dob,
        address=make_address(rng),
        phone=make_phone(rng),
        email=email,
        mrn=rng.choice([_digits(rng, 8), f"{rng.randint(1, 9)}{_digits(rng, 6)}", f"E{_digits(rng, 7)}"]),
        ssn=ssn,
        health_plan=health_plan,
        account=rng.choice([_digits(rng, 10), f"A{_digits(rng, 9)}", f"{_digits(rng, 4)}-{_digits(rng, 6)}"]),
        license=license_,
        plate=plate,
        vin="".join(rng.choice(_VIN_ALPHABET) for _ in range(17)),
        device=device,
        ip=ip,
        url=url,
        relative=relative,
        relation=relation,
        relative_phone=make_phone(rng),
        occupation=rng.choice(vocab.OCCUPATIONS),
    )


def random_date(rng: Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


# ---------------------------------------------------------------------------------------------------
# Surface forms of names


def patient_formal(p: Person, rng: Random) -> tuple[Piece, ...]:
    """Header form: 'SMITH, JOHN A' / 'Smith, John' / 'John A. Smith'."""
    form = rng.randrange(4)
    if form == 0:
        text = f"{p.last}, {p.first} {p.middle}".upper()
    elif form == 1:
        text = f"{p.last}, {p.first}"
    elif form == 2:
        text = f"{p.first} {p.middle}. {p.last}"
    else:
        text = f"{p.first} {p.last}"
    return (Phi(text, "NAME", "patient"),)


def patient_ref(p: Person, rng: Random) -> tuple[Piece, ...]:
    """In-text mention of the patient: always carries the surname so notes of one patient agree."""
    form = rng.randrange(4)
    if form == 0:
        return (f"{p.title} ", Phi(p.last, "NAME", "patient"))
    if form == 1:
        return (Phi(f"{p.first} {p.last}", "NAME", "patient"),)
    if form == 2:
        return (Phi(f"{p.first[0]}. {p.last}", "NAME", "patient"),)
    return (f"{p.title} ", Phi(f"{p.first} {p.last}", "NAME", "patient"))


def clinician_ref(c: Clinician, rng: Random) -> tuple[Piece, ...]:
    p = c.person
    physician = c.credential in ("MD", "DO")
    form = rng.randrange(5)
    if form == 0 and physician:
        return ("Dr. ", Phi(f"{p.first} {p.last}", "NAME", "clinician"))
    if form == 1 and physician:
        return ("Dr. ", Phi(p.last, "NAME", "clinician"))
    if form == 2:
        return (Phi(f"{p.first[0]}. {p.last}", "NAME", "clinician"), f", {c.credential}")
    if form == 3:
        # Initials only: the hardest form to catch, typical of nursing and co-signatures.
        initials = f"{p.first[0]}{p.last[0]}" if rng.random() < 0.5 else f"{p.first[0]}.{p.middle}.{p.last[0]}."
        return (Phi(initials, "NAME", "clinician"), f" {c.credential}")
    return (Phi(f"{p.first} {p.last}", "NAME", "clinician"), f", {c.credential}")


def relative_ref(ident: Identity, rng: Random) -> tuple[Piece, ...]:
    r = ident.relative
    form = rng.randrange(3)
    if form == 0:
        return (f"{ident.relation} ", Phi(r.first, "NAME", "relative"))
    if form == 1:
        return (f"{ident.relation} ", Phi(f"{r.first} {r.last}", "NAME", "relative"))
    return (Phi(f"{r.first} {r.last}", "NAME", "relative"), f" ({ident.relation})")


def facility_ref(f: Facility, rng: Random) -> Phi:
    return Phi(f.name if rng.random() < 0.7 else f.short, "LOCATION", "facility")


def address_pieces(a: Address, rng: Random) -> tuple[Piece, ...]:
    return (
        Phi(a.street, "LOCATION", "street"),
        ", ",
        Phi(a.city, "LOCATION", "city"),
        f", {a.state} ",
        Phi(a.zip, "LOCATION", "zip"),
    )


def contact(text: str, subtype: str) -> Phi:
    return Phi(text, "CONTACT", subtype)


def ident(text: str, subtype: str) -> Phi:
    return Phi(text, "ID", subtype)
