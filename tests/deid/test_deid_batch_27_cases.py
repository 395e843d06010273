"""Shapes found in notes written blind to the engine, after the twenty-sixth batch: towns abroad of 15,000 people or
more after a word of place ("AUNT FLYING IN FROM APIA"), while eponyms that are also towns stay ("Chiari I
malformation", "Epworth 14/24"); a nurse's title and name alone on a note's last line ("SN DIVYA R.", "-sr bincy")
and logins of an initial and a surname in a ticket's log ("by rnovak (Service Desk)"); inpatient, docket and folder
numbers, a veteran's last four and a personal health number; a month no other word is spelled like, alone
("quantiferon jan neg"); and suppliers, carriers and programmes named by plain words after a cue ("via clearline
labs", "called hawthorne recovery ctr"). After the twenty-seventh batch: a barangay's name ("BRGY. SAN ISIDRO"),
hospitals named with their kind ("COUNTY REFERRAL", "MUNICIPAL", "SPECIALIST"), two staff nurses sharing a closing
line, therapists' and case managers' initials before their credentials ("-ké ms otr/l", "-rj, cm"), nurses and
doctors titled in other languages ("INF. L. MARCHETTI", "Dott.ssa"), no name in a body part after a title; and no
name or place in a letter's role ("Dear Parent/Guardian"), the German "Sie", granulation tissue ("red gran"),
Morison's pouch or a clinic named by what it treats ("Heart Failure Clinic").

Every example is invented for this test; each case lists words that must stay.
"""

from __future__ import annotations

from tests.deid.test_deid_real_shapes import Case, batch_case_tests

PLACES = [
    Case("a-town-abroad-without-a-cue", "SOCIAL: AUNT FLYING IN FROM APIA TMRW, SW AWARE.", phi=("APIA",)),
    Case(
        "eponyms-that-are-also-towns-stay",
        "Consistent with Chiari I malformation. Epworth 14/24. Bakri balloon not needed. Lugano stage II. "
        "Merkel cell carcinoma. Wistar rats.",
        keep=("Chiari", "Epworth", "Bakri", "Lugano", "Merkel", "Wistar"),
    ),
    Case(
        "suppliers-and-programmes-named-by-plain-words",
        "cbc sent by courier to clearline labs. called hawthorne recovery ctr re bed.",
        phi=("clearline labs", "hawthorne recovery ctr"),
    ),
    Case(
        "a-barangay-and-hospitals-named-with-their-kind",
        "FROM BRGY. SAN ISIDRO, HIT BY JEEPNEY.\nHDU - NYAMIRA COUNTY REFERRAL HOSPITAL\n"
        "ICU RECORD - KITA-MORI MUNICIPAL HOSPITAL\nREPORT - ADEKUNLE MEMORIAL SPECIALIST HOSPITAL",
        phi=("SAN ISIDRO", "NYAMIRA", "KITA-MORI", "ADEKUNLE"),
        keep=("JEEPNEY",),
    ),
    Case(
        "a-kind-of-transport-or-supply-stays",
        "pt moved via patient transport. order via bariatric supply. w/ home health.",
        keep=("patient", "bariatric", "home", "health"),
    ),
]

STAFF = [
    Case("a-staff-nurse-and-name-closing-a-note", "PLAN: WEAN HFNC, CHEST PHYSIO.\nSN DIVYA R.", phi=("DIVYA R.",)),
    Case("a-sister-by-first-name-closing-a-note", "plan: cont abx, review bloods am.\n-sr bincy", phi=("bincy",)),
    Case("a-title-before-a-verb-closing-a-note-stays", "plan: cont abx.\nsr to review", keep=("review",)),
    Case("two-staff-nurses-closing-a-note", "PLAN: PLT Q6H, STRICT I/O.\nSN ANJALI/ SN REKHA", phi=("ANJALI", "REKHA")),
    Case(
        "nurses-titled-in-other-languages-closing-a-note",
        "MOGLIE IN RSA.\nINF. L. MARCHETTI",
        phi=("L. MARCHETTI",),
    ),
    Case(
        "therapists-and-case-managers-initials-before-their-credentials",
        "home eval booked.\n-ké ms otr/l\n\nauth faxed.\n-rj, cm\n\ngait trained.\n-tl pt, dpt",
        phi=("ké", "rj", "tl"),
    ),
    Case("a-body-part-after-a-title-closing-a-note-stays", "PLAN: DC HOME.\nINF. LEFT ARM", keep=("LEFT", "ARM")),
    Case(
        "a-doctor-titled-in-italian-and-a-man-addressed-in-german",
        "Colloquio con la Dott.ssa Benedetta Galli. Sehr geehrter Herr Brandstetter,",
        phi=("Benedetta Galli", "Brandstetter"),
    ),
    Case(
        "logins-of-an-initial-and-a-surname-in-a-tickets-log",
        "Opened: 03-Feb-2025 07:52 by rnovak (Service Desk)\n08:10 jkowalski: reset token. (apatel, Tier 2)",
        phi=("rnovak", "jkowalski", "apatel"),
    ),
    Case(
        "a-word-in-a-tickets-log-stays",
        "Opened 07:52 by phone (Service Desk)\n08:10 updated: reset token. (reopened, Tier 2)",
        keep=("phone", "updated", "reopened"),
    ),
]

WORDS_THAT_STAY = [
    Case(
        "a-letter-to-a-role-a-german-you-and-a-clinic-by-what-it-treats",
        "Dear Parent/Guardian,\nBitte senden Sie das Formular zurück.\nFollow-up at Heart Failure Clinic, Dr. Okafor.",
        keep=("Parent", "Guardian", "Sie", "Heart", "Failure", "Clinic"),
        phi=("Okafor",),
    ),
    Case(
        "granulation-tissue-and-an-eponymous-pouch",
        "wound bed 70% red gran, 30% slough. FAST: fluid in Morison's pouch.",
        keep=("red", "gran", "Morison's"),
    ),
    Case("a-named-heart-failure-clinic-is-a-place", "seen at Larchmont Heart Failure Clinic today", phi=("Larchmont",)),
]

NUMBERS = [
    Case(
        "inpatient-hospital-docket-and-folder-numbers",
        "pt mr. arvind menon, 64y/m, ip no 25/40718. HOSP NO 5520913. DOCKET NO 512-330. folder no B4419876.",
        phi=("25/40718", "5520913", "512-330", "B4419876"),
    ),
    Case(
        "a-veterans-last-four-a-personal-health-number-and-a-trip",
        "VET, 81 YO, LAST4 5582. phn 9153 208 664. trip id 6610-0487 booked.",
        phi=("5582", "9153 208 664", "6610-0487"),
    ),
    Case(
        "a-month-no-other-word-is-spelled-like-alone",
        "tb screen jan neg. med list updated sept, prior abscess feb drained.",
        phi=("jan", "sept", "feb"),
    ),
    Case("a-month-alone-in-a-letter", "Attached: your January statement and the form.", phi=("January",)),
    Case(
        "a-scan-a-drip-and-a-month-that-is-a-verb-stay",
        "RETINAL OCT (OCT) STABLE. oct 50 mcg/h gtt. family may visit, march out of the room.",
        keep=("OCT", "oct", "may", "march"),
    ),
    Case(
        "a-folder-a-year-and-a-pressure-stay",
        "put the 2023 letters in the folder 2024 tax. ip 40 mmHg over the last 4 days.",
        keep=("2024", "40", "4"),
    ),
]

# Found by the rules with the learned recognizer left out.
FOUND_BY_THE_RULES_ALONE = PLACES[:1] + PLACES[2:4] + STAFF[:2] + STAFF[3:9] + NUMBERS[:4]

TABLES = {"places": PLACES, "staff": STAFF, "numbers": NUMBERS, "words-that-stay": WORDS_THAT_STAY}
test_blind_batch_shapes, test_blind_batch_shapes_by_the_rules_alone = batch_case_tests(TABLES, FOUND_BY_THE_RULES_ALONE)
