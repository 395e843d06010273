"""Shapes found in notes and letters written blind to the engine, after the twenty-first batch: crews and
staff fields with an initial and a surname in capitals, credentials of paramedics, a date listed after another
whatever follows it, dates before a clock time closing a sentence and after ends and rewarming, a month after
"since about", a day and month with stops after a word of when, names after a plural kin word, after "twin A"
in brackets, after a technician and before a comma, towns named with their river or coast, a lower-case state
code before a ZIP code, a form's state field, houses on numbered roads, a unit before the street's number, a
pharmacy after what was phoned to it, signatures with a second credential or a unit, initials after a nurse
closing a note, names after roles on call and before where they are, names that are words before a joining sign
or after a detective, businesses written with a capital inside or named after "the", wards named after people,
file numbers of letters, a year and a serial, French labels, dates after "week of" and "signed" and a day first
before its hour, a postcode opening the line before its town, a town and its state in a column, towns that are
surnames in capitals, a girlfriend and a perfusionist by name, months in other languages alone after a word of
when or abbreviated with a year, ordinal days after "to the" and the first day of a range, dates after a tilde,
a procedure of two words, a unit, a scene or the OR with its hour, ages over 89 in brackets after kin, with a
"y" or to come, register numbers after councils, SIRETs and paybills, speakers of two words and log handles,
names under closings and after greetings in other languages, the second person greeted, initials signing with a
role, first names in a report's staff fields, a surname and a comma before a given name, and their look-alikes;
and names that end before what the person does ("partner joaquim works", "girlfriend destiny visited, pt"),
ratings out of ten after "from" and "to", counts after "to" and operations after "s/p", which are no dates or names;
places a bed search asked before what they answered, a town's police department, a regional hospital abbreviated
and a home at a place of two words.

Every example is invented for this test; each case lists words that must stay.
"""

from __future__ import annotations

import pytest

from appliance.deid import DeidConfig, DeidEngine
from tests.deid.test_deid_real_shapes import Case, assert_case

STAFF_AND_FAMILY = [
    Case(
        "crews-and-staff-fields-with-an-initial-and-a-surname-in-capitals",
        "CREW: R. VANTERPOOL EMT-P / S. ADEYEMI EMT-B\nHOUSE SUPERVISOR: J. MORCOMBE-ADE EXT 44120\n"
        "TECH: A. LINE PLACED.",
        phi=("R. VANTERPOOL", "S. ADEYEMI", "J. MORCOMBE-ADE"),
        keep=("LINE", "EMT-P"),
    ),
    Case(
        "names-after-a-plural-kin-word-a-twin-in-brackets-a-technician-and-before-a-comma",
        "POA IS BROTHER WILL, LIVES IN TOWN. PARENTS KEMI AND OBI AT BEDSIDE. TWIN B (ROWAN) IN LEVEL II, "
        "TWIN A (VERTEX) HERE. SPIKES PER EEG TECH LORENZO. PARENTS AWARE AND AGREE. THE TECH WILL DRAW.",
        phi=("WILL", "KEMI", "OBI", "ROWAN", "LORENZO"),
        keep=("AWARE", "AGREE", "TECH WILL", "VERTEX"),
    ),
    Case("twin-gestations-are-no-name", "The risk in twin gestations was higher.", keep=("gestations",)),
    Case("a-signature-with-a-second-credential", "wound care done.\n- kt rn cwon x4471", phi=("kt",), keep=("cwon",)),
    Case("a-signature-with-the-unit-after-a-comma", "school called re pickup.\n- jr rn, peds 4", phi=("jr",)),
    Case("a-counsellor-signing", "intake 5/2 pending.\n- dqm, lmhc", phi=("dqm",), keep=("lmhc",)),
    Case("initials-after-a-nurse-closing-the-note", "family in lobby.\ntriage rn pb", phi=("pb",), keep=("triage",)),
    Case(
        "names-after-roles-on-call-and-before-where-they-are-in-lower-case",
        "0410 pharmacist on call tobias x 6-2291 re vanco. facility slp wren at maplewood notified. prosthetist "
        "dale at the limb lab. - ola rn / pct benny j.",
        phi=("tobias", "wren", "dale", "benny j."),
        keep=("pharmacist", "slp", "prosthetist", "pct"),
    ),
    Case(
        "names-that-are-words-after-kin-before-a-joining-sign-and-after-a-detective",
        "FAMILY: DAUGHTER MAY + SON-IN-LAW IN WAITING RM. POLICE (DET. STRONG) CALLED FOR STATUS.",
        phi=("MAY", "STRONG"),
        keep=("SON-IN-LAW", "POLICE", "DET"),
    ),
]

DATES_AND_PLACES = [
    Case(
        "a-date-listed-after-another-and-dates-after-ends-rewarming-and-before-a-clock-time",
        "Neuro - HUS 9/14 and 10/6 normal. HEPARIN ENDS 11/3 0800. REWARM 4/2, MRI DAY 5. PEEP 10/5 and 5/5. "
        "skin itchy since about March. Rückkehr ab 12.05. geplant. hgb 8.2 from 10.4. today.",
        phi=("10/6", "11/3", "4/2", "March", "12.05."),
        keep=("10/5", "5/5", "10.4", "8.2"),
    ),
    Case(
        "towns-named-with-their-river-or-coast",
        "Moved from Kingston upon Thames to Stratford-upon-Avon; post from Offenbach am Main. DUE AM LABS sent.",
        phi=("Kingston upon Thames", "Stratford-upon-Avon", "Offenbach am Main"),
        keep=("DUE", "AM", "LABS"),
    ),
    Case(
        "a-state-code-before-a-zip-a-state-field-numbered-roads-and-a-unit-before-the-number",
        "City: Tulsa   State: OK   ZIP: 74104\n"
        "Mental state: OK\nCedar Run Family Practice\n640 Route 22W, Suite 4\nSomerville, NJ 08876\n"
        "farm at 2210 county rd 14, elk river. Level 2, 118 Flinders Lane\nMelbourne VIC 3000\ntook 2 hwy 9 exits",
        phi=("OK", "640 Route 22W", "2210 county rd 14", "Level 2, 118 Flinders Lane"),
        keep=("Mental state", "hwy 9"),
    ),
    Case(
        "a-state-code-before-a-zip-in-a-lower-case-note",
        "home: 22 pound hill rd, rindge nh 03461 - lives alone.",
        phi=("nh", "03461"),
    ),
    Case(
        "a-pharmacy-after-what-was-phoned-to-it",
        "out of lancets, rx called to hilltop pharmacy. refills faxed to brookside apothecary. progressed to "
        "require dialysis. referred to inpatient hospice.",
        phi=("hilltop pharmacy", "brookside apothecary"),
        keep=("dialysis", "inpatient hospice"),
    ),
]

BUSINESSES_NUMBERS_AND_TOWNS = [
    Case(
        "businesses-written-with-a-capital-inside-and-after-the",
        "Chat with BrightLedger Pharmacy support. thanks for contacting BrightLedger. "
        "#WalkingHome\nARREST AT MILLWORKS GYM, BYSTANDER CPR. LINE COOK AT THE COPPER POT GRILLE. "
        "ate at the hospital cafe.",
        phi=("BrightLedger Pharmacy", "BrightLedger", "MILLWORKS GYM", "COPPER POT GRILLE"),
        keep=("WalkingHome", "hospital cafe"),
    ),
    Case(
        "wards-named-after-people-and-an-institute-abbreviated",
        "Bed on Pemberton Ward since Tuesday; back to the ward later. TRANSFER TO NORTHERN HEART INST.",
        phi=("Pemberton Ward", "NORTHERN HEART INST"),
        keep=("the ward",),
    ),
    Case(
        "file-numbers-of-letters-a-year-and-a-serial-and-labels-in-french",
        "Ref: Housing application HB/24/227310. UHID: KMH/2022/0071954. Reg. No. KMC 2011/06/2291. "
        "Permis 2-11834. Appelez le 450-555-0190 poste 27. BP 120/80, seen 2019/10/04.",
        phi=("HB/24/227310", "KMH/2022/0071954", "KMC 2011/06/2291", "2-11834", "27"),
        keep=("120/80",),
    ),
    Case(
        "dates-after-week-of-and-signed-and-a-day-first-before-its-hour",
        "Rota for the week of 4/14. POLST SIGNED 2/9 W/ SON. Flow note 27/03 14:20. grip 4 of 5/5.",
        phi=("4/14", "2/9", "27/03"),
        keep=("5/5",),
    ),
    Case(
        "a-postcode-opening-the-line-before-its-town",
        "Praxis am Ring\nBahnhofstraße 12\n04109 Leipzig\n\nKeizersgracht 12\n1015 CJ Amsterdam",
        phi=("04109", "1015 CJ"),
    ),
    Case(
        "a-town-and-its-state-in-a-column-and-towns-that-are-surnames-in-capitals",
        "FROM: MERCY ST. ANSELM HOSPITAL, KEOKUK IA   TO: SNF\nLIVED INDEPENDENTLY IN ARLINGTON UNTIL MAY. "
        "MVC IN WATERBURY. TREATING MD IN MEXICO.",
        phi=("KEOKUK", "IA", "ARLINGTON", "WATERBURY"),
        keep=("TREATING", "MEXICO"),
    ),
    Case("no-medical-words-before-a-camel-case-word", "NaCl 0.9% and MoAb were added.", keep=("NaCl", "MoAb")),
    Case(
        "a-girlfriend-and-a-perfusionist-named-in-capitals",
        "LAST DRINK PER GF CRYSTAL ON SAT. PERFUSIONIST DIEGO AT BS.",
        phi=("CRYSTAL", "DIEGO"),
        keep=("GF", "PERFUSIONIST"),
    ),
]

MONTHS_AGES_AND_REGISTERS = [
    Case(
        "months-in-other-languages-alone-after-a-word-of-when-and-abbreviated-with-a-year",
        "Palpitations depuis novembre. Sinds uw operatie in januari loopt u slecht. Vuelve al final (octubre). "
        "Ingeniera, mar/2019 - presente; fev/2014 - fev/2019. Date: di 14 okt 2025. "
        "Distensión del marco cólico.",
        phi=("novembre", "januari", "octubre", "mar/2019", "fev/2014", "fev/2019", "14 okt 2025"),
        keep=("marco",),
    ),
    Case(
        "an-ordinal-day-after-to-the-and-the-first-day-of-a-range",
        "We stay from the 12th to the 14th. Orientation runs 14-15 August 2025.",
        phi=("12th", "14th", "14-15 August 2025"),
    ),
    Case(
        "dates-after-a-tilde-a-procedure-of-two-words-a-unit-a-scene-and-the-or-with-its-hour",
        "PUMP FAILED ~2/3. s/p sleeve gastrectomy 1/4 at clinic. transferred to micu 3/4 for bp. "
        "ARRIVED FROM OR 1430 10/3. FLOWN FROM SCENE 7/4. take ~1/2 tab.",
        phi=("2/3", "1/4", "3/4", "10/3", "7/4"),
        keep=("1/2",),
    ),
    Case(
        "ages-over-89-in-brackets-after-kin-with-a-y-and-to-come",
        "Re: Mrs Winifred Ashdown, 94 y, seen today. LIVES W/ WIFE LEONIE (94). Your mother (91) is well. "
        "says i'll be 92, wants to go home. mother (95%) sat.",
        phi=("94", "91", "92"),
        keep=("95%",),
    ),
    Case(
        "register-numbers-after-councils-sirets-and-paybills",
        "Dr. Renato Ishikawa, CRM-SP 118734, emitido. Dre Gagnon\nPermis CMQ 1-08453\nSIRET 812 447 390 00018. "
        "M-Pesa Paybill 522014.",
        phi=("118734", "1-08453", "812 447 390 00018", "522014"),
    ),
]

CHATS_LETTERS_AND_STAFF_FIELDS = [
    Case(
        "speakers-of-two-words-answering-someone-and-log-handles-after-a-date-and-time",
        "Tamsin Pengelly: @Rhys Morgan yes, rang the vets\nRhys Morgan: thanks!\nTamsin Pengelly: @Rhys see you\n"
        "2024/05/08 21:40  ohweiling:\nHi! yes correct\n2024/05/09 10:02  ohweiling:\nreceived",
        phi=("Tamsin Pengelly", "ohweiling"),
    ),
    Case(
        "headings-of-several-words-are-no-speakers",
        "Past Medical History: none\nChief Complaint: chest pain\nPlan: home",
        keep=("Past Medical History", "Chief Complaint", "Plan"),
    ),
    Case(
        "names-under-closings-in-other-languages",
        "Merci !\n\nGros bisous,\nLou\n\nAtenciosamente,\nMaria Clara Fontoura dos Reis\n\nGroeten,\nDaan Tjin-A-Kwie",
        phi=("Lou", "Maria Clara Fontoura dos Reis", "Daan Tjin-A-Kwie"),
    ),
    Case(
        "the-second-person-greeted-and-greetings-in-other-languages",
        "Hi Keala and Jordan,\n\nGood news. Sevgili Elif, dear Nikos, thanks. Kia ora Mereana and team,",
        phi=("Jordan", "Nikos", "Mereana"),
    ),
    Case(
        "initials-signing-with-a-role-a-therapist-or-a-hand-therapist",
        "tentative for 10/15.\n-- jmk, transfer center RN\nreferral sent. - d.v. pt\nnext visit thurs. - jd cht",
        phi=("jmk", "d.v.", "jd"),
        keep=("transfer center", "cht"),
    ),
    Case(
        "first-names-in-lower-case-and-initials-in-a-report-s-staff-fields",
        "Fellow: Dr. Aubrey   RN: frank   CVT: S. Ocampo\nRN: Kelly; CVT: marco\nTech: amber h.\n"
        "Transcribed: jk / 04/18/2025\nGrossed by: LM (PA)\nTech: none",
        phi=("frank", "marco", "amber h.", "jk", "LM"),
        keep=("none",),
    ),
    Case(
        "a-surname-and-a-comma-before-a-given-name",
        "0205 ED HOLD YOUNG, RAYMOND ASSIGNED BED 4. They had three: Gaetane, Hannah and Jo.",
        phi=("YOUNG", "RAYMOND"),
    ),
]

NAMES_END_BEFORE_WHAT_PEOPLE_DO = [
    Case(
        "a-name-ends-before-the-verb-the-weekday-or-ok-after-it-in-lower-case",
        "family mtg w/ pt's mother renée thurs. partner joaquim works construction. wife mei-ling cooks on wknds. "
        "brother lonnie ok to receive info. d/w dr haddad, ok to cont bipap. sister bonnie picking him up.",
        phi=("renée", "joaquim", "mei-ling", "lonnie", "haddad", "bonnie"),
        keep=("thurs", "works", "cooks", "ok", "picking"),
    ),
    Case(
        "a-name-ends-before-the-verb-in-capitals",
        "WIFE DOLORES RESIDES AT THE HOME. DAD DERRICK WASHINGTON WORKS NIGHTS.",
        phi=("DOLORES", "DERRICK WASHINGTON"),
        keep=("RESIDES", "WORKS"),
    ),
    Case(
        "a-name-ends-before-the-verb-and-a-patient-after-a-comma",
        "girlfriend destiny visited, pt asked her to leave.",
        phi=("destiny",),
        keep=("visited",),
    ),
    Case(
        "ratings-out-of-ten-after-from-and-to-counts-after-to-and-operations-after-s-p",
        "PAIN DOWN FROM 9/10 TO 4/10. pain 6/10, relief to 2/10 after oxycodone. LACTULOSE, TITRATE TO 3-4 BM/DAY. "
        "HLHS S/P NORWOOD, NOW S/P BIDIRECTIONAL GLENN 2/26. S/P HARTMANN'S 5/9. seen on 7-8 for f/u.",
        phi=("2/26", "5/9", "7-8"),
        keep=("9/10", "4/10", "6/10", "2/10", "3-4", "NORWOOD", "GLENN", "HARTMANN"),
    ),
]

PLACEMENTS_AND_DEPARTMENTS = [
    Case(
        "places-a-bed-search-asked-before-what-they-answered",
        "BED SEARCH UPDATED:\n- ARDMORE: NO ADOL MALE BEDS\n- KRI: DECLINED\n- PEMBERTON: WAITLIST, #3\n"
        "- DCI WARE: NO CHAIRS\n- SNF: PENDING\n- PT: DECLINED",
        phi=("ARDMORE", "KRI", "PEMBERTON", "DCI WARE"),
        keep=("SNF", "PT"),
    ),
    Case(
        "places-named-before-their-answer-in-brackets",
        "bed offers: maplecrest (accepts, bed avail 4/22), heritage hall (declined, no male bed), rehab (pending).",
        phi=("maplecrest", "heritage hall"),
        keep=("rehab",),
    ),
    Case(
        "a-town-s-police-department-and-a-regional-hospital-abbreviated",
        "DETECTIVE FROM MILLBROOK PD HERE. OFFICER OF WESTBORO PD CALLED. CALLED BY STATE POLICE. BURN FROM SHED "
        "FIRE. HX OF PD. PREV CHOLE AT DUNMORE REG'L.",
        phi=("MILLBROOK PD", "WESTBORO PD", "DUNMORE REG'L"),
        keep=("STATE POLICE", "SHED FIRE", "HX OF PD"),
    ),
    Case(
        "a-home-at-a-place-of-two-words",
        "ASHBURY - PENDING; THE GARDENS AT MILL CREEK - ACCEPTED.",
        phi=("THE GARDENS AT MILL CREEK",),
    ),
]


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine(DeidConfig())


TABLES = {
    "staff-and-family": STAFF_AND_FAMILY,
    "dates-and-places": DATES_AND_PLACES,
    "businesses-numbers-and-towns": BUSINESSES_NUMBERS_AND_TOWNS,
    "months-ages-and-registers": MONTHS_AGES_AND_REGISTERS,
    "chats-letters-and-staff-fields": CHATS_LETTERS_AND_STAFF_FIELDS,
    "names-end-before-what-people-do": NAMES_END_BEFORE_WHAT_PEOPLE_DO,
    "placements-and-departments": PLACEMENTS_AND_DEPARTMENTS,
}
CASES = [(table, case) for table, cases in TABLES.items() for case in cases]


@pytest.mark.parametrize("case", [case for _, case in CASES], ids=[f"{table}-{case.id}" for table, case in CASES])
def test_blind_shapes(engine: DeidEngine, case: Case) -> None:
    """Every identifier of each invented case is marked and none of its words to keep is touched."""
    assert_case(engine, case)
