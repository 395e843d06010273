"""General English text (letters, chat, signatures, addresses from many countries): shapes the clinical
rules did not cover. Every example is invented for this test; `phi` must be covered, `keep` untouched.
"""

from __future__ import annotations

import pytest

from appliance.deid import DeidEngine
from tests.deid.test_deid_real_shapes import Case, assert_case

PHONES = [
    Case(
        "intl-phone-before-kind",
        "Marta Lindqvist\n+46 70 812 44 19-Fax\n+353 (0)87 412 90 33-Mobile",
        phi=("+46 70 812 44 19", "+353 (0)87 412 90 33"),
        keep=("Fax", "Mobile"),
    ),
    Case("grouped-phone-office", "Reach the desk: 0161 496 0732-Office", phi=("0161 496 0732",), keep=("Office",)),
    Case("range-not-phone", "Doses 10-20 were given on days 3-5.", keep=("10-20", "3-5")),
]

ORGANISATIONS = [
    Case(
        "affiliation-from",
        "Tomasz Wrona from Bright Harbor Analytics opens the meeting.",
        phi=("Tomasz Wrona", "Bright Harbor Analytics"),
        keep=("opens", "meeting"),
    ),
    Case(
        "affiliation-of",
        "Keiko Arai of Fennel Labs gave the talk.",
        phi=("Keiko Arai", "Fennel Labs"),
        keep=("gave", "talk"),
    ),
    Case(
        "affiliation-capitalised-stop-word",
        "Priya Nair from Us Freight Lines joins us.",
        phi=("Priya Nair", "Us Freight Lines"),
        keep=("joins",),
    ),
    Case("work-for-plain-words", "I work for Silver Pine Studios in town.", phi=("Silver Pine Studios",)),
    Case("works-at-plain-words", "My cousin works at Civic Orchard now.", phi=("Civic Orchard",), keep=("now",)),
    Case(
        "company-joined-to-suffixed-one",
        "Bids came from Harlow Corporation and Quiet Meadow Foods.",
        phi=("Harlow Corporation", "Quiet Meadow Foods"),
    ),
    Case(
        "address-of-company",
        "The address of Summit And Vale is printed below.",
        phi=("Summit And Vale",),
        keep=("printed",),
    ),
    Case("initials-as-word-before-business-word", "He trades on Otc Partners daily.", phi=("Otc Partners",)),
    Case("clinical-initials-in-capitals", "Results from the HIV Group were shared.", keep=("HIV", "Group")),
    # Negatives: a department of the hospital, a month, a country alone.
    Case("clinician-from-department", "Dr. Ellen Marsh from Cardiology called back.", keep=("Cardiology",)),
    Case("name-at-month", "We met Olga Petrova at December's fair.", keep=("December",)),
    Case("name-from-country", "Said Hamdi from Morocco arrived today.", phi=("Said Hamdi",), keep=("Morocco",)),
]

ADDRESSES = [
    Case(
        "town-country-after-street-lower",
        "please post it to 41 ruelle grise 9, oberwil, switzerland 4104 thanks",
        phi=("41 ruelle grise 9", "oberwil", "switzerland 4104"),
        keep=("thanks",),
    ),
    Case(
        "town-after-unit",
        "Ship to 18 Kauppakatu 7 Apt. 12, Kemi, Finland 94100 by next week.",
        phi=("18 Kauppakatu 7 Apt. 12", "Kemi", "Finland 94100"),
        keep=("next", "week"),
    ),
    Case(
        "street-then-clause",
        "She lives at 12 Birch Road, and walks every day.",
        phi=("12 Birch Road",),
        keep=("and", "walks"),
    ),
    Case(
        "state-inside-address",
        "Mail to 9 Quarry Lane, Dover, NH 03820.",
        phi=("9 Quarry Lane", "Dover", "NH", "03820"),
        keep=("Mail",),
    ),
    Case(
        "state-after-town-after-street-no-zip",
        "D/C to Linden Court Rehab, 15 Wharf Lane, Hull, MA. Follow up in 2 weeks.",
        phi=("15 Wharf Lane", "Hull", "MA"),
        keep=("Follow",),
    ),
    Case(
        "state-before-zip-without-street",
        "Return the form to the Office of Records, Nashua, NH 03060 at once.",
        phi=("NH", "03060"),
        keep=("once",),
    ),
    Case(
        "country-ends-address",
        "Home address: Calle Mayor 7, 28013 Madrid, Spain. Phone to follow.",
        phi=("Calle Mayor 7", "28013", "Madrid", "Spain"),
        keep=("Phone",),
    ),
    Case(
        "weekday-after-address-not-name",
        "Return the form to the Office of Records, Nashua, NH 03060 by Friday.",
        phi=("Nashua", "03060"),
        keep=("Friday",),
    ),
    Case(
        "address-label-value-in-capitals",
        "HOME ADDRESS: RUA DAS FLORES 112, 3º ESQ, 4050-262 PORTO, PORTUGAL. TRAVEL INSURER CALLED.",
        phi=("RUA DAS FLORES 112", "3º ESQ", "4050-262", "PORTO", "PORTUGAL"),
        keep=("TRAVEL", "INSURER"),
    ),
    Case(
        "address-label-stops-at-next-label",
        "Address: 14 St. John St., Apt. 4, Salem MA 01970. Phone: call the clinic.",
        phi=("14 St. John St.", "Apt. 4", "Salem", "01970"),
        keep=("Phone", "clinic"),
    ),
    Case("email-address-label-is-no-place", "E-mail address: not given, IP address: none.", keep=("given", "none")),
    Case(
        "state-in-prose-kept",
        "She moved from Ohio to Texas and the trial ran in Norway.",
        keep=("Ohio", "Texas", "Norway"),
    ),
    Case(
        "supplier-town-state-kept-in-prose",
        "Doxorubicin (Adria Laboratories, Columbus, OH) was given weekly.",
        keep=("OH", "weekly"),
    ),
    Case(
        "ordinal-street",
        "the office is at 880 sixth avenue suite 4 in the city",
        phi=("880 sixth avenue suite 4",),
        keep=("city",),
    ),
    Case("ordinal-not-street", "Gave 2 fourth doses today.", keep=("fourth", "doses")),
    Case(
        "empty-field-in-block",
        "Olaf Brekke\n12 Fjordgata 3\nLARVIK\nnan\n3256",
        phi=("12 Fjordgata 3", "LARVIK", "3256"),
    ),
    Case(
        "ship-fleet-post-office",
        "forward my mail to usns barlowe\nfpo ap 61823 please",
        phi=("usns barlowe", "fpo ap 61823"),
        keep=("please",),
    ),
    Case(
        "postcode-after-town-not-time",
        "They hope to open a shop in Grimstad 4876 next year.",
        phi=("Grimstad 4876",),
        keep=("next", "year"),
    ),
    Case(
        "clock-after-town-after-arrival",
        "Transferred from Framingham 1130 via ambulance.",
        phi=("Framingham",),
        keep=("1130",),
    ),
]


CHAT = [
    Case("name-question-answered", "Hi there! What's your name? Ottilie B Vrana", phi=("Ottilie B Vrana",)),
    Case("name-question-lower-case", "what is your name?\nsigrun h dahl", phi=("sigrun h dahl",)),
    Case("name-question-not-answered", "What's your name? Why do you ask?", keep=("Why", "ask")),
    Case("name-question-refused", "what's your name? none of your business", keep=("none", "business")),
]

HOUSE_NUMBERS = [
    Case(
        "building-number-before-hungarian-street",
        "412 Petőfi Sándor u. 9.\nApt. 3\nSzentes",
        phi=("412 Petőfi Sándor u. 9", "Apt. 3", "Szentes"),
    ),
]


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine()


@pytest.mark.parametrize("case", PHONES + ORGANISATIONS + ADDRESSES + CHAT + HOUSE_NUMBERS, ids=lambda c: c.id)
def test_general_english(engine: DeidEngine, case: Case) -> None:
    assert_case(engine, case)
