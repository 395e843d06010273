"""Dictated and transcribed notes (operative notes, clinic letters, examinations), in normal case and in
capitals: what the engine over-marked in them and the span boundaries it got wrong. Every example is
invented for this test; `phi` must be covered, `keep` untouched.
"""

from __future__ import annotations

import pytest

from appliance.deid import DeidEngine
from tests.deid.test_deid_real_shapes import Case, assert_case

BOUNDARIES = [
    Case(
        "initial-then-sentence",
        "She will follow up with Dr. Q. She was given return precautions.",
        phi=("Q",),
        keep=("She was given",),
    ),
    Case("initial-then-article", "Seen earlier by Dr. K. The wound was clean.", phi=("K",), keep=("The wound",)),
    Case("initial-then-name", "Reviewed with Dr. J. Okonkwo this morning.", phi=("J. Okonkwo",)),
    Case("initial-surname-stop", "Signed: R. Will, MD", phi=("R. Will",)),
]

THINGS_NAMED_AFTER_PEOPLE = [
    Case(
        "article-instrument",
        "Hemostasis was obtained with a Brannock. The Brannock was then removed.",
        keep=("Brannock",),
    ),
    Case("article-maker", "A Lindqvist Prime tibial tray was impacted.", keep=("Lindqvist",)),
    Case(
        "thing-once-then-alone",
        "An Esterbrook was placed on the thigh. Esterbrook released after closure.",
        keep=("Esterbrook",),
    ),
    Case("name-as-adjective", "Unlike the Halvorsen novel, this one ends well.", phi=("Halvorsen",)),
    Case("title-still-person", "Mr. Brannock was seen. The Brannock was used.", phi=("Brannock",)),
]

SCORES_AND_GRADES = [
    Case(
        "pain-ratings",
        "VAS pain scale is rated as 6/10 for average pain, 10/10 for worst pain, and 3/10 at best.",
        keep=("6/10", "10/10", "3/10"),
    ),
    Case("stress-rating", "Rates her stress level as an 8/10 today.", keep=("8/10",)),
    Case("reflex-grades", "Reflexes 2/2 biceps, 4/4 patellae, 1/1 Achilles.", keep=("2/2", "4/4", "1/1")),
    Case("strength-minus", "Knee flexors 4/4-, ankle flexion 4-/4-, tibialis 2/2-.", keep=("4/4", "2/2")),
    Case("date-out-of-ten", "Seen in clinic on 3/10, pain improved since.", phi=("3/10",)),
    Case("shorthand-date-stays", "Foley removed 9/7, voiding since.", phi=("9/7",)),
    Case("exam-finding-grade", "She had Quellmore 2 anteriorly and Quellmore 1 posteriorly.", keep=("Quellmore 2",)),
    Case("grade-slash", "Peroneals 3-/3-, mild atrophy.", keep=("Peroneals 3",)),
    Case("ward-still-found", "Transfer to Finard 4 when a bed opens.", phi=("Finard 4",)),
]

CAPITALS = [
    Case("modal-may", "THIS MAY RESULT IN WEAKNESS. THIS MAY HAVE BEEN POSITIONAL.", keep=("MAY",)),
    Case("month-may-caps", "SEEN ON MAY 3 IN CLINIC.", phi=("MAY 3",)),
    Case("month-may-prose", "Surgery is planned for this May.", phi=("May",)),
    Case("town-words-no-cue", "THEN CUT OFF THE EXCESS SUTURE.", keep=("CUT OFF",)),
    Case("dose-of-product", "APPROXIMATELY 10 CC OF CONRAY INJECTED.", keep=("CONRAY",)),
    Case("dose-of-mixed", "Approximately 10 cc of Conray was injected.", keep=("Conray",)),
    Case("range-weeks-no-street", "LIMITED MOTION UNTIL THE 4-6 WEEK POINT.", keep=("4-6 WEEK POINT",)),
    Case("street-still-found", "Home: 14 Birch Point Road, Apt 2.", phi=("14 Birch Point Road, Apt 2",)),
    Case("transitional-care", "ADMITTED TO THE TCU AT HOLLOWAY HEALTH SERVICES.", keep=("TCU",)),
    Case("step-down", "Transferred to the SDU in stable condition.", keep=("SDU",)),
]

SERVICES_AND_ROLES = [
    Case("ambulance-by", "NARCAN GIVEN BY BRIGHTWATER AMBULANCE EN ROUTE.", phi=("BRIGHTWATER AMBULANCE",)),
    Case("ems-by-word", "Transport by Seaview EMS at 1500 with a sitter.", phi=("Seaview EMS",)),
    Case("ems-in-brackets", "bib ems (tri-town ems) from home.", phi=("tri-town ems",)),
    Case("home-medical", "commode ordered from harborside home medical today.", phi=("harborside home medical",)),
    Case("rentals", "HOSP BED FROM QUARRY MEDICAL RENTALS.", phi=("QUARRY MEDICAL RENTALS",)),
    Case("county-vna", "dressing change q3d by bristol county vna.", phi=("bristol county vna",)),
    Case("recovery-named", "pt was at Quabbin Recovery last month, left ama.", phi=("Quabbin Recovery",)),
    Case("recovery-word", "expected to make a full recovery. progressed to full recovery.", keep=("full recovery",)),
    Case("generic-transport", "sent by ground ambulance; then by city ambulance.", keep=("ground", "city")),
    Case("last-infusion", "on ocrelizumab (last infusion 15/03/2022).", keep=("last infusion",)),
    Case("social-worker-caps", "SW PRIYANKA TO SEE RE DETOX.", phi=("PRIYANKA",), keep=("DETOX",)),
    Case("role-caps-word", "SW AWARE. RN CALLED HO.", keep=("AWARE", "CALLED")),
    Case("daughter-abbrev", "roxanol given by dtr rosemond w/ effect.", phi=("rosemond",)),
    Case("aide-and-clerk", "aide bettina in am; records clerk yusra has the copy.", phi=("bettina", "yusra")),
    Case("train-of-four", "CISATRACURIUM 2MCG/KG/MIN, TOF 2/4.", keep=("2/4",)),
    Case("apgars", "baby boy 3.4 kg, apgars 8/9.", keep=("8/9",)),
    Case("chest-pain-rating", "c/o cp x 2h, 7/10, radiating to l arm.", keep=("7/10",)),
    Case("tunnelled-line", "L chest Hickman intact, flushed.", keep=("Hickman",)),
    Case("extension-after-name", "questions to sw ilana perez x5531 or the unit.", phi=("ilana perez", "5531")),
    Case("times-not-extension", "NS 2 x1000 ml given; walked x2000 steps.", keep=("x1000", "x2000")),
    Case("building-named", "HD today in the basement of the Gardiner Building.", phi=("Gardiner Building",)),
    Case("building-verb", "the riff and building energy of the song", keep=("building",)),
    Case("building-generic", "Parking is behind the Main Building.", keep=("Main Building",)),
    Case("parish", "pt attends st. kateri parish in schenectady.", phi=("st. kateri parish", "schenectady")),
    Case("church-generic", "Her Catholic Church friends visited.", keep=("Catholic Church",)),
    Case("temple-anatomy", "LAC TO R TEMPLE, STERI-STRIPS APPLIED.", keep=("TEMPLE",)),
    Case("clinic-with-service-word", "f/u at barrow diabetes center 9/7.", phi=("barrow diabetes center", "9/7")),
    Case("family-med", "PCP DR MOREAU AT QUINEBAUG FAMILY MED.", phi=("MOREAU", "QUINEBAUG FAMILY MED")),
    Case("regional-caps-unknown", "INTUBATED IN LAKESHORE REGIONAL ED AND SENT.", phi=("LAKESHORE REGIONAL",)),
    Case("hyphenated-centimetres", "a 1-cm paramedian incision was made.", keep=("paramedian",)),
    Case("last-seen-month", "DIABETES CLINIC, LAST SEEN JUNE. PLAN: LANTUS.", phi=("JUNE",)),
]

SITES = [
    Case("city-before-clinic", "Treat Daniel H. from our Dallas clinic how?", phi=("Dallas",), keep=("clinic",)),
    Case("state-named-city-clinic", "Seen at our New York clinic on April 7.", phi=("New York",)),
    Case("state-named-city", "Evaluated at our New York City branch.", phi=("New York City",)),
    Case("state-alone-stays", "Moved here from New York; family in Texas.", keep=("New York", "Texas")),
]

POSTCODES = [
    Case("code-before-town", "Avda. Reyes Católicos, 2, 28040, Madrid.", phi=("28040",)),
    Case("code-after-floor", "C/ Colón, 28-1º. 36201 Vigo. e-mail aside.", phi=("36201",)),
    Case("labelled-code", "Localidad: Buenos Aires. CP:B1827. Datos.", phi=("B1827",)),
    Case("labelled-dotted", "Colonia Granada, c.p. 11520. México.", phi=("11520",)),
    Case("chest-pain-time", "C/O CP 0300, NTG X1 WITH RELIEF.", keep=("0300",)),
    Case("count-before-word", "Platelets 15000 Today after transfusion.", keep=("15000",)),
]

SOCIAL_WORK_AND_TRANSFERS = [
    Case(
        "bracketed-short-name",
        "from scn at cape ann community hospital (cach). mom still there.",
        phi=("cape ann community hospital", "cach"),
    ),
    Case("memorial-abbrev-lower", "seen at sturbridge mem (stmh) ed 3/3.", phi=("sturbridge mem", "stmh")),
    Case(
        "general-after-verb-lower",
        "admitted oakhurst general, then home.",
        phi=("oakhurst general",),
        keep=("admitted",),
    ),
    Case("general-anesthesia-lower", "done under general anesthesia, tolerated well.", keep=("general",)),
    Case("town-only-surname", "niece corinna in albuquerque calls weekly.", phi=("corinna", "albuquerque")),
    Case("delivered-may", "DELIVERED MAY 3 AT HOME, D/C HOME MAY 4.", phi=("MAY 3", "MAY 4")),
    Case("modal-may-count", "PT MAY 2X AMBULATE IN HALL.", keep=("MAY",)),
    Case("planned-jan", "d/c planned jan 23 by chair car.", phi=("jan 23",)),
    Case("plural-kin", "met w/ pt's daughters honora and bridie re dispo.", phi=("honora",)),
    Case("kin-after-comma", "Family (Leopold, son, and Rosamund, daughter) notified.", phi=("Leopold", "Rosamund")),
    Case("brother-title", "CHAPLAIN BRO. ANSELM CALLED.", phi=("ANSELM",), keep=("CHAPLAIN",)),
    Case("attorney-title", "Hospital counsel (Atty Oakeshott) aware.", phi=("Oakeshott",)),
    Case("therapist-role", "valve trial today w/ slp wilhelmina x 20 min.", phi=("wilhelmina",)),
    Case("practice-group", "PARENTS WANT DR ESSELSTYN AT HOLDEN PEDIATRIC GROUP.", phi=("HOLDEN PEDIATRIC GROUP",)),
    Case("support-group", "She joined a weekly Support Group in the fall.", keep=("Support Group",)),
    Case("funeral-chapel", "FAMILY CHOSE WOJCIK-MARSH FUNERAL CHAPEL.", phi=("WOJCIK-MARSH FUNERAL CHAPEL",)),
    Case("parish-caps", "FR. KOWAL FROM HOLY CROSS POLISH PARISH VISITED.", phi=("HOLY CROSS POLISH PARISH",)),
    Case("air-rescue", "came via Northwind Air Rescue rotor wing.", phi=("Northwind Air Rescue",)),
    Case("conference-room", "Huddle 1100 in the Moynihan Conference Room.", phi=("Moynihan Conference Room",)),
    Case("family-lodge", "Mom staying at Larkspur Family Lodge tonight.", phi=("Larkspur Family Lodge",)),
    Case("ltach-lower", "plan: back to tall pines ltach when ready.", phi=("tall pines ltach",)),
    Case("date-ranges", "general 3/4-3/9, then rehab 3/9-3/21.", phi=("3/4", "3/9", "3/21")),
    Case("fraction-range", "take 1/2-3/4 tab prn.", keep=("1/2", "3/4")),
    Case("settings-range", "SIMV 12/600/5, 5/5-10/5 trial.", keep=("5/5", "10/5")),
    Case("gestational-age", "BORN AT 30 4/7 WKS BY C/S.", keep=("4/7",)),
    Case("numbered-road", "motorcyclist vs pickup on route 1a in rowley.", phi=("route 1a", "rowley")),
    Case("agency-with", "home w/ hopkinton vna + pendant.", phi=("hopkinton vna",)),
    Case(
        "critical-care-transport",
        "by kidsfirst critical care transport for rds.",
        phi=("kidsfirst critical care transport",),
    ),
    Case(
        "outside-hospital-bracket", "FROM MARSTON MEMORIAL (OSH). NEURO: OK.", phi=("MARSTON MEMORIAL",), keep=("OSH",)
    ),
    Case(
        "eponym-grade",
        "SAH, HUNT-HESS 3, FISHER 4, FROM ASSABET REGIONAL.",
        phi=("ASSABET REGIONAL",),
        keep=("FISHER 4",),
    ),
    Case("unit-before-credential", "PT B (CSRU OVERFLOW) W/ CSRU RN GAETANE.", phi=("GAETANE",), keep=("CSRU",)),
]

HOSPITAL_UNITS_AND_ROUNDS = [
    Case("ward-in-heading", "TELE NPN 7P-7A HAZELTINE 7 88 YO M ADM W/ AFIB.", phi=("HAZELTINE 7",)),
    Case("ward-before-room", "1:1 sitter note, macomber 8 rm 812: pt 52 yo m.", phi=("macomber 8",)),
    Case("ward-before-service", "ot tx note tolman 3 rehab: pt 83 yo m.", phi=("tolman 3",)),
    Case("score-before-colon", "BRADEN 18: HIGH RISK. SAFETY: MORSE 65, BED ALARM ON.", keep=("BRADEN", "MORSE")),
    Case("town-police", "security escorted him out, stow pd officer responded.", phi=("stow",), keep=("officer",)),
    Case("street-without-number", "FOUND DOWN AT THE TAVERN ON CANAL ST, ATHOL.", phi=("CANAL ST", "ATHOL")),
    Case("street-lower", "lives on greeley street in a 2-family.", phi=("greeley street",)),
    Case("on-call-not-street", "Dr. on call rd 2 aware; on the street at night.", keep=("call", "street")),
    Case("date-at-time", "S/P NSVD 6/7 @ 2218, 2ND DEG LAC REPAIRED.", phi=("6/7",)),
    Case("saturday-date", "PT TO RESUME DIALYSIS THERE SAT 11/9.", phi=("11/9",)),
    Case("legal-section", "voluntary (section 10/11), left the unit.", keep=("10/11",)),
    Case("balance-score", "BERG 9/56, FIM TRANSFERS 2.", keep=("9/56",)),
    Case("father-of-baby", "SOCIAL: FOB DEVANTE PRESENT.", phi=("DEVANTE",)),
    Case("kin-pair", "SONS ARVID AND LENNART BY PHONE.", phi=("ARVID", "LENNART")),
    Case("in-law", "SISTER-IN-LAW ELSBETH AT BEDSIDE.", phi=("ELSBETH",)),
    Case("school", "SENIOR AT OLD ROCHESTER VOCATIONAL, ON TRACK.", phi=("OLD ROCHESTER VOCATIONAL",)),
    Case("school-district", "PT DRIVES A BUS FOR PLYMPTON PUBLIC SCHOOLS.", phi=("PLYMPTON PUBLIC SCHOOLS",)),
    Case("school-word", "Go to school in the am. PUBLIC SCHOOLS CLOSED.", keep=("school", "PUBLIC SCHOOLS")),
    Case("detox-named", "REFERRAL TO HARBORLIGHT DETOX FAXED.", phi=("HARBORLIGHT DETOX",)),
    Case("detox-word", "PT WANTS DETOX, SW AWARE.", keep=("DETOX",)),
    Case("initials-dash-credential", "diuresis, strict i/o, tele.\n-ck rn", phi=("ck",), keep=("rn",)),
    Case("initials-after-sentence", "family mtg w/ mother thurs. bs rn", phi=("bs",), keep=("thurs",)),
    Case("initials-supervisor", "2 ed boarders. gh rn supervisor", phi=("gh",), keep=("ed",)),
    Case("unit-before-credential-lower", "report called to ed rn", keep=("ed",)),
    Case("med-ctr", "LAST ADMIT HAMPDEN VALLEY MED CTR (HVMC) 1/14-1/19.", phi=("HAMPDEN VALLEY MED CTR", "HVMC")),
]

CASES = (
    HOSPITAL_UNITS_AND_ROUNDS
    + SITES
    + POSTCODES
    + SOCIAL_WORK_AND_TRANSFERS
    + BOUNDARIES
    + THINGS_NAMED_AFTER_PEOPLE
    + SCORES_AND_GRADES
    + CAPITALS
    + SERVICES_AND_ROLES
)


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_transcribed_note_shapes(engine: DeidEngine, case: Case) -> None:
    assert_case(engine, case)


def test_short_name_found_again(engine: DeidEngine) -> None:
    """A facility's short name given in brackets is found again later in the note."""
    text = "from cape ann community hospital (cach) by transport. mom still at cach pp."
    later = text.rindex("cach")
    assert any(s.start <= later and later + 4 <= s.end for s in engine.detect(text))
