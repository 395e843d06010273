"""Shapes found in notes and letters written blind to the engine, after the twenty-fourth batch: a day of the
month after its weekday ("admitted Sat 23rd"), a month alone before "last yr" or "admission", ages over 89
in a header's field ("| 92 M |"), after a named resident and a comma, or before a quote, the writer's
initials before the credentials of rehabilitation, community and neonatal nurses ("-pq crrn", "-gen
rnc-nic", "ch rgn"), a town in lower case after an address line's comma or with hyphens before its
postcode, a whole address in lower case with its postcode, an employee number after "emp#", care services
after "w" or a comma ("booked w swiftline transport", ", northgate dialysis"), a hospital's initials after a
referral, and a surname no list knows after a given name and a kin word; and numbers that are no
identifiers: a course day over its length ("day 5/14"), a receptor score ("Allred 8/8"), ventilator and feed
settings written like a house number and a street ("ipap 14 epap 6", "24 kcal 28"), office hours after a
weekday ("Monday-Friday 8 a.m.", "Tue/Thu 8a"), a weekday before a date, a lumbar level, and eponymous
scores and devices. After the twenty-fifth batch: dotted dates with their closing stop after a word of when
("TRANSFERRED 04.02.", "ECHO 07.02."), a town right after "lives" ("LIVES BALLYHAUNIS."), and a sister or a
nurse consultant by initial and surname ("sr t. mokoena", "CNC L. FAKATAVA"), phones after "HP" (a
handphone) and "mob", with five digits before the space; and no name in a specimen's part ("A. Left
breast") or a volume before a verb ("1.5 L. Given"), no date in lymph nodes counted, a sum, a score "was", a
sleep-apnoea screen or hourly observations, and no name before a role that opens the next sentence; a
hospital's initials after "Accepting:" or "Receiving facility:", and a transport company in brackets after
the service it sends ("via BLS (AMR)").

Every example is invented for this test; each case lists words that must stay.
"""

from __future__ import annotations

from tests.deid.test_deid_real_shapes import Case, batch_case_tests

DATES_AND_AGES = [
    Case(
        "a-day-after-its-weekday",
        "Transfer note. 81 yr old woman admitted Thurs 9th via GP with sepsis; seen again Sat 11th.",
        phi=("9th", "11th"),
    ),
    Case("a-shift-after-a-weekday-stays", "dialysis chair M/W/Sat 2nd shift, unchanged.", keep=("2nd", "shift")),
    Case(
        "a-month-alone-before-last-year-or-an-admission",
        "HX 2 PRIOR INTUBATIONS (OCTOBER LAST YR). Previous hospital (Feb admission for CAP).",
        phi=("OCTOBER", "Feb"),
    ),
    Case("may-before-a-visit-stays-a-word", "family may visit after 1800.", keep=("may",)),
    Case(
        "an-age-in-a-headers-field",
        "ICU -> WARD TRANSFER\nOksana Bilyk | MRN 55012873 | 96 F | bed 4",
        phi=("Oksana Bilyk", "55012873", "96"),
    ),
    Case("a-temperature-in-a-table-stays", "T | 99 F | HR 88 | BP 121/70", keep=("99",)),
    Case(
        "an-age-after-a-named-resident",
        "quarterly review. resident marguerite ouellet, 97, long-term unit. wt stable.",
        phi=("marguerite ouellet", "97"),
    ),
    Case(
        "an-age-before-a-quote",
        'She said he was 92 "going on twenty" and still drove to the market.',
        phi=("92",),
    ),
]

STAFF_PLACES_AND_NUMBERS = [
    Case("initials-before-a-rehab-nurses-credential", "pt ambulated 40 ft w/ rw. -tq crrn", phi=("tq",)),
    Case("initials-before-a-neonatal-nurses-credential", "tolerating feeds.\n-dar rnc-nic", phi=("dar",)),
    Case("initials-before-an-irish-nurses-credential", "next visit fri. mk rgn", phi=("mk",)),
    Case(
        "a-lower-case-town-before-its-postcode",
        "seen at home 22 haddon walk, darlington DL3 6PQ. leg ulcer redressed.",
        phi=("22 haddon walk", "darlington", "DL3 6PQ"),
    ),
    Case(
        "a-lower-case-address-with-its-postcode",
        "d/c home 3/5 to flat 4, 27 tanners row, kendal, la9 4hj.\n- district nurses to visit.",
        phi=("flat 4, 27 tanners row", "kendal", "la9 4hj"),
    ),
    Case("a-lumbar-level-is-no-postcode", "mri: bulge l4-5, l5 1st nerve root, no stenosis.", keep=("l5", "1st")),
    Case(
        "a-hyphenated-town-before-its-postcode",
        "Unit 4, Meadow Court, Newcastle-under-Lyme ST5 1LZ",
        phi=("Newcastle-under-Lyme", "ST5 1LZ"),
    ),
    Case("an-employee-number", "Ticket opened by J. Farrow (RN, emp# 770214).", phi=("770214",)),
    Case(
        "services-after-w-and-a-comma",
        "ride booked w swiftline transport for 0900. hd note, chair 3, northgate dialysis.",
        phi=("swiftline transport", "northgate dialysis"),
    ),
    Case(
        "a-hospitals-initials-after-a-referral",
        "PLAN: ?ECMO REFERRAL TO KMC IF NO BETTER. referral to pt/ot placed.",
        phi=("KMC",),
        keep=("pt/ot",),
    ),
    Case(
        "an-unlisted-surname-after-a-kin-word",
        "ATTENDANT: MOTHER SUNANDA GHOLAPKAR, MOB 98220 44110.",
        phi=("SUNANDA GHOLAPKAR",),
    ),
]

AFTER_THE_TWENTY_FIFTH_BATCH = [
    Case(
        "dotted-dates-with-their-closing-stop-after-a-word-of-when",
        "INFANT TRANSFERRED 04.02.\nCV: PDA ON ECHO 07.02. - IBUPROFEN STARTED. ROP SCREEN PLANNED 21.02. BY DR X.",
        phi=("04.02.", "07.02.", "21.02."),
    ),
    Case(
        "phones-after-hp-and-mob",
        "Son at Tampines. HP 8123 6604. ATTENDANT: WIFE, MOB 98440 27351. HP 5/5 strength, mob 2 assist.",
        phi=("8123 6604", "98440 27351"),
        keep=("5/5", "mob 2"),
    ),
    Case(
        "specimen-parts-and-a-volume-before-a-verb",
        "Specimen: A. Left breast core. B. Right axillary node.\nEBL ~800 mL. Given oxytocin; EBL 1.2 L. Given TXA.",
        keep=("Left", "Right", "Given"),
    ),
    Case(
        "counts-and-scores-written-like-dates",
        "pT3 N1 (3/21 nodes). Grade 2 (3+2+1 = 6/9). Her prep score was 7/9. STOP-BANG 5/8. NEURO OBS 2/24.",
        keep=("3/21", "6/9", "7/9", "5/8", "2/24"),
    ),
    Case(
        "a-role-opening-the-next-sentence-in-capitals",
        "GI: NPO - FAILED BEDSIDE SWALLOW SCREEN. SLP EVAL AM.\nGU: VOIDING.",
        keep=("SWALLOW", "SCREEN"),
    ),
    Case(
        "a-role-opening-the-next-sentence-in-lower-case",
        "diet: soft, small frequent meals. slp to see for chewing. wt 2x/wk.",
        keep=("small", "frequent", "meals"),
    ),
    Case(
        "a-hospitals-initials-after-accepting-and-a-vendor-in-brackets",
        "Accepting: KMCH trauma, ICU bed confirmed. Receiving facility: JMTH maternity.\n"
        "Transfer 0900 via BLS (KMR), stretcher (Non-emergency). ACCEPTING: ICU TEAM.",
        phi=("KMCH", "JMTH", "KMR"),
        keep=("Non-emergency", "ICU", "TEAM"),
    ),
    Case("a-decimal-value-stays", "K 3.4, MG 2.10. PHOS 1.05.", keep=("3.4", "2.10", "1.05")),
    Case(
        "a-town-right-after-lives",
        "NOK: SON DECLAN, LIVES BALLYHAUNIS. Wife Orla lives Tullamore, does not drive.",
        phi=("BALLYHAUNIS", "Tullamore"),
    ),
    Case(
        "lives-alone-and-weekdays-stay",
        "pt lives alone. lives independently. visits lives tuesday.",
        keep=("alone", "tuesday"),
    ),
    Case(
        "a-sister-or-nurse-consultant-by-initial-and-surname",
        "contact tracing done. sr t. mokoena\nDIABETES EDUC (CNC L. FAKATAVA) TO SEE TMRW. HR 80 SR P. WAVES NORMAL.",
        phi=("t. mokoena", "L. FAKATAVA"),
        keep=("WAVES",),
    ),
]

NUMBERS_THAT_ARE_NO_IDENTIFIERS = [
    Case(
        "a-course-day-and-a-receptor-score",
        "cefazolin 2 g iv q8h, day 6/14 (end 7/2). ER positive (Allred 7/8).",
        keep=("6/14", "Allred", "7/8"),
        phi=("7/2",),
    ),
    Case(
        "settings-like-a-house-and-a-street",
        "pt on bipap ipap 16 epap 8 fio2 35%. feeds ebm 22 kcal 30 ml q3h.",
        keep=("16", "epap", "22", "kcal", "30"),
    ),
    Case(
        "office-hours-after-a-weekday",
        "Call us Monday-Friday 9 a.m. to 5 p.m.\nTue/Thu 8a-12p - aide covering.",
        keep=("Monday-Friday", "Tue/Thu"),
    ),
    Case("a-weekday-before-a-date", "Check-in: Thu 12 Sep 2024 (from 15:00)", keep=("Thu",), phi=("12 Sep 2024",)),
    Case(
        "eponymous-scores-and-devices",
        "Post-endoscopy Rockall 4. Modic 2 change L5-S1. IMPELLA CP placed. desires Nexplanon.",
        keep=("Rockall", "Modic", "Nexplanon"),
    ),
]

# Found by the rules with the learned recognizer left out.
FOUND_BY_THE_RULES_ALONE = DATES_AND_AGES[:1] + DATES_AND_AGES[2:3] + DATES_AND_AGES[4:5] + STAFF_PLACES_AND_NUMBERS[:4]
FOUND_BY_THE_RULES_ALONE += STAFF_PLACES_AND_NUMBERS[4:5] + STAFF_PLACES_AND_NUMBERS[8:10]
FOUND_BY_THE_RULES_ALONE += AFTER_THE_TWENTY_FIFTH_BATCH[:1] + AFTER_THE_TWENTY_FIFTH_BATCH[2:3]


TABLES = {
    "dates-and-ages": DATES_AND_AGES,
    "staff-places-and-numbers": STAFF_PLACES_AND_NUMBERS,
    "numbers-that-are-no-identifiers": NUMBERS_THAT_ARE_NO_IDENTIFIERS,
    "after-the-twenty-fifth-batch": AFTER_THE_TWENTY_FIFTH_BATCH,
}
test_blind_batch_shapes, test_blind_batch_shapes_by_the_rules_alone = batch_case_tests(TABLES, FOUND_BY_THE_RULES_ALONE)
