"""Shapes found in notes and letters written blind to the engine, after the twenty-second batch: numbers that
are no dates (a murmur's grade, a pacemaker's output, a setting of three parts with a percent, a series and
image after a measured finding, swallow trials, pain rated at rest or with mobility), operations after a
post-operative day, eponyms of signs, measures and fat pads, lab values in a row, a weekday over a message's
time and a word in brackets after a place, which are no identifiers; and a day over twelve before its month
in running text, a month with a leading zero, the end of such a range, dates after "adm" and "available" and
dotted dates after a visit, a letter's town before its date, streets named after Avenue, Route or Place with the
number after, an Eircode after its town, surnames alone before degrees and credentials, a case manager's
initials closing a note, an initial and a surname after a role, house supervisors and research nurses by name,
subacute units, and hospitals named by their emergency department. After the twenty-third batch too: user
names after an at sign or "u/", mothers, aunts and grandparents as other Englishes and Tagalog write them, wards
after the word "ward", companies booked for a ride, carers and outreach workers by name,
ages over 89 glued to the sex after a name or after "she was", dotted dates with a short year or without the
closing stop after a word of when; and weeks written over 52, ratings after "c/o", scales before a pair and
eponymous scores, signs and fluids, which are no identifiers.

Every example is invented for this test; each case lists words that must stay.
"""

from __future__ import annotations

from tests.deid.test_deid_real_shapes import Case, batch_case_tests

NUMBERS_THAT_ARE_NO_DATES = [
    Case(
        "a-murmurs-grade-out-of-six",
        "CV: SR 80S. NEW 2/6 HSM AT APEX. Soft 3/6 systolic murmur RUSB, grade 1/4 diastolic m.",
        keep=("2/6", "3/6", "1/4"),
    ),
    Case(
        "a-pacemakers-output-and-a-setting-with-a-percent",
        "EPICARDIAL WIRES DDD 80, MA 10/10, SENS 2/2. LUNG PROTECTIVE REST SETTINGS 10/10/40% OVERNIGHT.",
        keep=("10/10", "2/2", "10/10/40"),
    ),
    Case(
        "series-and-image-after-a-measured-finding",
        "6 mm ground-glass nodule in the lingula (5/72), stable.",
        keep=("5/72",),
    ),
    Case(
        "swallow-trials-and-pain-at-rest",
        "thin liquid by straw - cough 2/2; puree 0/3.\nsubj: 7/10 r knee at rest, 9/10 w/ ambulation.",
        keep=("2/2", "7/10", "9/10"),
    ),
    Case("a-last-trial-is-still-a-date", "sbt today. last trial 5/4 failed at 20 min.", phi=("5/4",)),
]

WORDS_THAT_ARE_NO_IDENTIFIERS = [
    Case(
        "operations-after-a-post-operative-day-and-eponyms",
        "POD 2 WHIPPLE, DOING WELL. Wedge-shaped opacity (Hampton hump). CO 5.1 (Fick). Hoffa fat pad edema. "
        "Parkinson's (Hoehn & Yahr 2). Crea 96 umol/L.",
        keep=("WHIPPLE", "Hampton", "Fick", "Hoffa", "Hoehn", "Yahr", "Crea"),
    ),
    Case("lab-values-in-a-row", "GI: TF AT GOAL. LFTS AST 188 ALT 97, T BILI 1.1.", keep=("188", "ALT", "97")),
    Case(
        "a-weekday-over-a-messages-time",
        "Reply YES to confirm.\n\nYES\n\nWed 09:41\nThank you, see you then.",
        keep=("Wed",),
    ),
    Case(
        "words-in-brackets-after-a-place",
        "lives in Marquetteville (sic), prays at st. wenceslas's (church) weekly.",
        phi=("Marquetteville",),
        keep=("sic", "church"),
    ),
    Case("credentials-after-a-surname", "f/u in 1 wk. -j. ravensdale rn cnn", phi=("j. ravensdale",), keep=("cnn",)),
]

DATES_TOWNS_AND_ADDRESSES = [
    Case(
        "a-day-over-twelve-before-its-month-and-a-leading-zero",
        "hx: fell off ladder 19/10, seen by gp. nights 16/02-17/02 on ward. repeat lfts 27/5 then d/c.",
        phi=("19/10", "16/02", "17/02", "27/5"),
    ),
    Case(
        "dates-after-adm-and-available",
        "adm 8/3, d/c 8/6. Bed available 24/01 pending funding.",
        phi=("8/3", "8/6", "24/01"),
    ),
    Case("a-dotted-date-after-a-visit", "home visit 04.07. wound healing well.", phi=("04.07.",)),
    Case(
        "a-street-after-avenue-with-its-number-and-postcode",
        "Cabinet médical\nAvenue des Tilleuls 17\n1207 Genève",
        phi=("Avenue des Tilleuls 17", "1207"),
    ),
    Case("route-of-administration-is-no-street", "Route changed to 2 per pharmacy.", keep=("Route", "changed")),
    Case("a-cell-line-is-no-eircode", "HT-29, A-549, and R3260BK cells were used.", keep=("and",)),
]

STAFF_AND_PLACES = [
    Case(
        "a-surname-alone-before-degrees-and-credentials",
        "teach-back ok.\n-nordqvist ms ccc-slp",
        phi=("nordqvist",),
        keep=("ccc-slp",),
    ),
    Case(
        "a-given-name-and-an-initial-before-degrees",
        "f/u 1 wk.\n-ifeoma t. ms rdn ldn",
        phi=("ifeoma t.",),
        keep=("rdn", "ldn"),
    ),
    Case("a-case-managers-initials-closing-a-note", "ride booked for 1100. -cm tq", phi=("tq",)),
    Case(
        "an-initial-and-a-surname-after-a-role",
        "0930 house sup r. adebowale opened an overflow bed. seen with hospitalist k. vantongeren.",
        phi=("r. adebowale", "k. vantongeren"),
        keep=("overflow",),
    ),
    Case("a-subacute-unit", "- ST. BRENDAN'S SUBACUTE: WAITLIST #2", phi=("ST. BRENDAN'S SUBACUTE",)),
]
PEOPLE_AGES_AND_DATES = [
    Case(
        "user-names-after-an-at-sign-or-u-slash",
        "@kai_te_rangi · Mar 2\nback home!\n  replying to @kai_te_rangi and @HarbourHealthNZ\n"
        "Posted by u/night_owl_rn · 4h. pt @baseline, @ 0700 report.",
        phi=("@kai_te_rangi", "@HarbourHealthNZ", "u/night_owl_rn"),
        keep=("baseline", "0700"),
    ),
    Case("an-outreach-worker-in-capitals", "OUTREACH WORKER ESPERANZA CELL 774-555-0199.", phi=("ESPERANZA",)),
    Case(
        "ages-over-89-glued-to-the-sex-and-after-she-was",
        "pt wilhelmina okoro 93f adm 3/2. HENRIETTA BLAKESLEE 92F, BED 4. She was 97 and sharp. TEMP 99F, tmax 101f.",
        phi=("93", "92", "97"),
        keep=("99F", "101f"),
    ),
    Case(
        "dotted-dates-after-a-word-of-when",
        "a1c 8.1 on 5.3.24, admitted 04.11 via ED, fit to fly from 12.11; hgb 8.9 from 10.4. stable.",
        phi=("5.3.24", "04.11", "12.11"),
        keep=("8.9", "10.4"),
    ),
    Case("signatures-with-a-respiratory-credential-and-after-a-nurse", "no o2 needed at rest. -jt crt", phi=("jt",)),
    Case("initials-after-a-rural-nurse", "follow up with gp in 1 wk. Rural nurse mw", phi=("mw",)),
]

SCALES_WEEKS_AND_EPONYMS = [
    Case(
        "weeks-over-52-and-ratings-after-c-o",
        "f/u stoma clinic 2/52, opd 6/52. c/o 3/10 soreness. BARTHEL 8/20. DOB 4/52.",
        phi=("4/52",),
        keep=("2/52", "6/52", "3/10", "8/20"),
    ),
    Case(
        "eponymous-scores-signs-and-fluids",
        "plantar ulcer wagner 3, borg 5 on exertion. HARTMANN'S @ 150ML/HR. LVEF by Simpson's biplane. "
        "No Lambl's excrescences. modified Bernoulli. (Neer 2-part). Lennox-Gastaut not seen.",
        keep=("wagner", "borg", "HARTMANN", "Simpson", "Lambl", "Bernoulli", "Neer", "Lennox", "Gastaut"),
    ),
]


# Shapes the learned models often find on their own: checked with the rules alone, so each rule holds by itself.
FOUND_BY_THE_RULES_ALONE = [
    Case(
        "a-letters-town-before-its-date",
        "Praxis am Rosenhang\n\nKelheimbach, den 14. März 2024\n\nLausanne-Ouchy, le 3 mai 2023\n\n"
        "Tuesday, 4 June 2024",
        phi=("Kelheimbach", "Lausanne-Ouchy"),
        keep=("Tuesday",),
    ),
    Case(
        "an-eircode-after-its-town",
        "Home: Ardnacrusha Road, Ballyhooly, Mallow P51 XK27.",
        phi=("Mallow", "P51 XK27"),
    ),
    Case(
        "a-hospital-named-by-its-emergency-room",
        "LOADED WITH KEPPRA AT HOLLOW PINES ER, THEN TO US. SENT TO LOCAL ER.",
        phi=("HOLLOW PINES",),
        keep=("LOCAL",),
    ),
    Case(
        "a-mother-in-lower-case",
        "nicu: mum ataahua expressing 6x/day, dad at bs.",
        phi=("ataahua",),
        keep=("expressing",),
    ),
    Case(
        "an-aunt-and-a-domestic-worker",
        "Please call Tita Luningning re: pickup. Caregiver training done with FDW Rosalinda.",
        phi=("Luningning", "Rosalinda"),
        keep=("pickup",),
    ),
    Case(
        "a-ward-after-the-word-ward",
        "chaplaincy visit, ward princess alexandra 4. pt calm.",
        phi=("princess alexandra 4",),
    ),
    Case(
        "a-company-booked-for-a-ride",
        "d/c home today. transport booked w/ quickstep ambulette for 1300. booked w/ cardiology transport for echo.",
        phi=("quickstep ambulette",),
        keep=("cardiology",),
    ),
]


TABLES = {
    "numbers-that-are-no-dates": NUMBERS_THAT_ARE_NO_DATES,
    "words-that-are-no-identifiers": WORDS_THAT_ARE_NO_IDENTIFIERS,
    "dates-towns-and-addresses": DATES_TOWNS_AND_ADDRESSES,
    "staff-and-places": STAFF_AND_PLACES,
    "people-ages-and-dates": PEOPLE_AGES_AND_DATES,
    "scales-weeks-and-eponyms": SCALES_WEEKS_AND_EPONYMS,
}
test_blind_batch_shapes, test_blind_batch_shapes_by_the_rules_alone = batch_case_tests(TABLES, FOUND_BY_THE_RULES_ALONE)
