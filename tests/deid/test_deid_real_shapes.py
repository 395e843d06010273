"""Shapes of real clinical text that the synthetic notes never had: one table per failure category.

Every example is invented for this test. `phi` lists substrings that must be covered entirely by
detected spans (every letter-or-digit run of them); `keep` lists substrings that must not be touched.
A substring that occurs more than once is checked at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from appliance.deid import DeidEngine

_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    phi: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # phi substring -> expected label, where it matters


PLACES = [
    Case("town-name-and-landscape-word", "son lives in brackenfold heights, on his way.", phi=("brackenfold heights",)),
    Case("town-direction-and-name", "FARM IN UPPER WYNSTAN; PARTNER AT BS.", phi=("UPPER WYNSTAN",), keep=("PARTNER",)),
    Case("town-fort-abbreviated", "GRANDSON ARRIVES FROM FT. MERRIDEW TOMORROW.", phi=("FT. MERRIDEW",)),
    Case(
        "falls-are-no-town", "pt has had multiple falls in the past, pain in lower extremity.", keep=("falls", "lower")
    ),
    Case(
        "facility-tail-before-count", "Transfer requests: Thornbury Regional x1 (NSTEMI).", phi=("Thornbury Regional",)
    ),
    Case(
        "caps-saint-ward-with-floor-at-heading",
        "POSTPARTUM NPN 0700-1930 - ST. ODILIA 4 MOTHER/BABY. VSS, FUNDUS FIRM.",
        phi=("ST. ODILIA 4",),
        keep=("MOTHER", "FUNDUS"),
    ),
    Case(
        "caps-hospital-in-brackets",
        "INTUBATED AT OSH (HERON COVE HOSP) 3/2, TO US 3/3.",
        phi=("HERON COVE HOSP",),
        keep=("INTUBATED", "OSH"),
    ),
    Case(
        "lower-hospital-after-from",
        "transferred from granite hill hospital overnight.",
        phi=("granite hill hospital",),
    ),
    Case(
        "caps-generic-hospital-kept",
        "PT FROM THE COMMUNITY HOSPITAL, SEE HOSPITAL COURSE.",
        keep=("COMMUNITY", "COURSE"),
    ),
    Case("ward-after-transfer", "Plan: transfer to Finard 4 tomorrow if stable.", phi=("Finard 4",)),
    Case("ward-caps", "PLAN: TRANSFER TO FINARD 4 IN AM. FAMILY AWARE.", phi=("FINARD 4",)),
    Case("ward-lower", "pt to go back to ellison 11 later today, report called.", phi=("ellison 11",)),
    Case("saint-ward", "Transferred back to St. Agnes 3 at 1400, family informed.", phi=("St. Agnes 3",)),
    Case("hospital-abbrev", "Admitted to MGH last week for chest pain, then sent home.", phi=("MGH",)),
    Case("hospital-abbrev-caps", "PT WAS TRANSFERRED FROM BWH FOR CARDIAC CATH.", phi=("BWH",)),
    Case("rehab-lower", "d/c to hebrew rehab planned for tomorrow am.", phi=("hebrew rehab",)),
    Case("nursing-home", "Lives at Maplewood Nursing Home, dependent for ADLs.", phi=("Maplewood Nursing Home",)),
    Case("misspelled-city", "She lives in Sommervile with her daughter.", phi=("Sommervile",)),
    Case("misspelled-city-lower", "pt came in from worchester w/ cellulitis, abx started.", phi=("worchester",)),
    Case("misspelled-city-caps", "WANTS REHAB CLOSER TO HOME IN FRAMINGHM. CM AWARE.", phi=("FRAMINGHM",)),
    Case("misspelled-word-is-no-city", "pt in respiratry distress, placed on bipap.", keep=("respiratry",)),
    Case(
        "address-unit", "Home address: 48 Birch Hill Rd, Apt 3B, Medford.", phi=("48 Birch Hill Rd, Apt 3B", "Medford")
    ),
    Case("po-box", "Mail to P.O. Box 4471, Greenfield.", phi=("P.O. Box 4471", "Greenfield")),
    Case(
        "uk-address",
        "Address: 17 Mill Lane, Harrogate HG1 4QT, United Kingdom.",
        phi=("17 Mill Lane", "Harrogate", "HG1 4QT"),
    ),
    Case(
        "practice-name",
        "Referring: Dr. Henley, Bayside Sports Medicine. PCP at Oak Street Primary Care.",
        phi=("Bayside Sports Medicine", "Oak Street Primary Care"),
    ),
    Case("mesh-city", "pt's daughter called from stuttgart, updated.", phi=("stuttgart",)),
    Case("hospital-initials-from-lower", "pt from bwh, sent back after cath.", phi=("bwh",)),
    Case("from-lab-method-is-no-hospital", "purified from HPLC fractions.", keep=("HPLC",)),
    Case("osh-is-generic", "Transferred from OSH with a GI bleed; ICU bed requested.", keep=("OSH", "ICU")),
    Case("ward-without-cue", "Will return to Baker 12 or Yawkey 9 when stable.", phi=("Yawkey 9",)),
    Case("generic-tail-memorial", "Pt transferring to Pellegrino Memorial for rehab.", phi=("Pellegrino Memorial",)),
    Case("generic-tail-house", "Follow-up: PCP at Mattapoisett House, 2/22, labs then.", phi=("Mattapoisett House",)),
    Case("generic-tail-regional", "Seen in the Thornbury Regional ED overnight.", phi=("Thornbury Regional",)),
    Case(
        "generic-tail-words",
        "Regional anesthesia was used, per the Surgeon General's advice.",
        keep=("Regional", "General"),
    ),
    Case("building-floor", "Admitted to Lindell (Tower 9B) on the day of surgery.", phi=("Tower 9B",)),
    Case("pavilion-floor", "Moved to Women's Pavilion 4 East overnight.", phi=("Women's Pavilion 4 East",)),
    Case("building-word-lower", "tower 3 lift is out; went to building 2 for a scan.", keep=("tower 3", "building 2")),
    Case("ward-two-words-lower", "na 152. admitted to cardinal cushing 4. iv d5w.", phi=("cardinal cushing 4",)),
    Case("ward-in-brackets", "back to the floor (pemberton 16) 3/6, stable.", phi=("pemberton 16",)),
    Case("ward-then-unit", "Pt moved from Tanaka ACC 6 infusion to the floor.", phi=("Tanaka ACC 6",)),
    Case("ward-caps-or", "WILL RETURN TO BAKER 12 OR QUIMBY 9 WHEN STABLE.", phi=("QUIMBY 9",)),
    Case(
        "settings-are-no-ward", "weaned to peep 5, on ps 10, to go to 12 hours of cpap.", keep=("peep 5", "ps 10", "12")
    ),
    Case("drug-dose-is-no-ward", "on levo 5, neo 2 mcg. ON LEVO 5 NOW.", keep=("levo 5", "neo 2", "LEVO 5")),
    Case("grade-is-no-ward", "Carcinoma renal (grado 4 de Fuhrman), hemoglobina 9,4 g/dL.", keep=("grado 4", "9,4")),
    Case("score-is-no-ward", "Hunt Hess 3 on arrival; Braden 18.", keep=("Hess 3", "Braden 18")),
    Case("room-label", "ROOM: Bigelow 11, bed 22", phi=("Bigelow 11",)),
    Case("initials-after-at", "HX LYMPHOMA S/P BMT AT DFCI IN 2022.", phi=("DFCI",)),
    Case("initials-in-brackets", "Seen at North Shore Medical Center (NSMC) for chest pain.", phi=("NSMC",)),
    Case(
        "head-first-facility",
        "Transferred from Hospital Santa Luzia, Lisbon, last week.",
        phi=("Hospital Santa Luzia",),
    ),
    Case("religious-facility", "pt to return to sacred heart manor when cleared.", phi=("sacred heart manor",)),
    Case("named-street", "Parking is available in the garage on Chestnut Street.", phi=("Chestnut Street",)),
    Case(
        "floor-unit", "Our office is at 25 Shattuck Street, 4th Floor, Boston.", phi=("25 Shattuck Street, 4th Floor",)
    ),
    Case(
        "number-rue",
        "Clinique des Tilleuls, 12 rue des Lilas, Paris.",
        phi=("Clinique des Tilleuls", "12 rue des Lilas"),
    ),
    Case("lower-residence-misspelled", "pt lives alone in sommerville, neighbor checks daily.", phi=("sommerville",)),
    Case(
        "lower-town-after-street",
        "lives w/ wife at 47 pleasant st, malden, 14 stairs.",
        phi=("47 pleasant st", "malden"),
    ),
    Case("lower-hospital-surname", "wife works nights at lahey. pt previously independent.", phi=("lahey",)),
    Case("called-time-is-no-phone", "daughter called 0500, says pt often confused.", keep=("0500",)),
    Case("lower-city-weak-cue", "84 yo f from maplewood nursing home in framingham, sent to ed.", phi=("framingham",)),
    Case("ward-after-any-to", "pt comfortable, possibly to stevens 4 tomorrow if bed.", phi=("stevens 4",)),
    Case("stage-is-no-ward", "The tumour progressed to Stage 2 despite therapy.", keep=("Stage 2",)),
    Case("generic-units", "Transfer to MICU once bed available; CCU aware.", keep=("MICU", "CCU")),
    # Organisations named without a head word: after the word that says what they are, before a legal suffix.
    Case("lower-vendor", "o2 set up. dme vendor quarnell notified, pt aware.", phi=("quarnell",), keep=("notified",)),
    Case(
        "home-care-company",
        "Discharged home with services from Tillbury Homecare Partners; VNA to visit.",
        phi=("Tillbury Homecare Partners",),
    ),
    Case("ambulance-company", "Transported by Westvale EMS to the ED.", phi=("Westvale EMS",), keep=("ED",)),
    Case("employer-suffix", "Pt works as a driver for Brannock Freight LLC.", phi=("Brannock Freight LLC",)),
    Case("maker-in-brackets", "A stapler (Corvant Devices Inc) was used.", keep=("Corvant", "Devices")),
    Case("therapy-services", "Home with services from PT and OT.", keep=("PT", "OT")),
    Case("possessive-hospital", "Admitted to Harrow and Linden's (6 North) on 4/2.", phi=("Harrow and Linden's",)),
    Case("possessive-hospital-caps", "TRANSFERRED TO HARROW AND LINDEN'S FOR CATH.", phi=("HARROW AND LINDEN'S",)),
    Case("possessive-study", "Results of Harrow and Linden's trial were mixed.", keep=("and",)),
    Case("initials-before-ed", "Came in via QMC ED after a fall.", phi=("QMC",), keep=("ED",)),
    # Address parts other countries write, beside a street: post boxes, buildings, floors and doors.
    Case("rural-route-box", "Address: 40 Mill Pond Rd, RR 3 Box 27, Greyfield", phi=("RR 3 Box 27",)),
    Case(
        "spanish-address",
        "Domicilio: Calle Olmedo 14, Esc. 2, 3º B, 41012 Sevilla.",
        phi=("Calle Olmedo 14", "Esc. 2", "3º B", "41012 Sevilla"),
    ),
    Case(
        "french-address", "Adresse : 7 rue de la Tour, Bât. C, 69003 Lyon", phi=("7 rue de la Tour", "Bât. C", "69003")
    ),
    Case(
        "unit-words-alone", "Temp 38º C, Box 3 ticked on the form; Piso 3 sin cambios.", keep=("38º", "Box 3", "Piso")
    ),
    # A street with no street word, or one written with a comma before its number, then postcode and town.
    Case(
        "house-number-postcode-town",
        "Unidad de Ictus. Orvalle, 7 48113 Tresmonte. Tel.: 944",
        phi=("Orvalle, 7", "48113 Tresmonte"),
        keep=("Ictus", "Tel"),
    ),
    Case(
        "no-number-postcode-town",
        "Centro de Salud, Llanoverde, s/n - 09214 Quintanar. Tel.: 900",
        phi=("Llanoverde, s/n", "09214 Quintanar"),
        keep=("Tel",),
    ),
    Case(
        "comma-before-number",
        "Servicio de Medicina. Paseo de los Almendros, 118, 37005 Villalba.",
        phi=("Paseo de los Almendros, 118", "37005 Villalba"),
    ),
    Case(
        "calle-abbreviated",
        "Servicio de Pediatría. C/Almenara, 12 Email: a@b.es",
        phi=("C/Almenara, 12",),
        keep=("Pediatría",),
    ),
    # Facilities named head first with particles between the words ("Complejo Hospitalario de ...").
    Case(
        "complejo-hospitalario",
        "Servicio de Cirugía. Complejo Hospitalario de Tresmonte. Tel.: 944",
        phi=("Complejo Hospitalario de Tresmonte",),
        keep=("Cirugía",),
    ),
    Case(
        "head-first-two-particles",
        "Se traslada al Hospital Universitario Virgen de las Almenas.",
        phi=("Hospital Universitario Virgen de las Almenas",),
    ),
    Case(
        "faculty-university",
        "Facultad de Odontología, Universidad de Quintanar.",
        phi=("Facultad de Odontología", "Universidad de Quintanar"),
    ),
    # A building or postcode number written before the street's own number, and Hungarian street words.
    Case("number-before-street", "She lives at 5120 88 Tarnow Lane, Brockfield.", phi=("5120 88 Tarnow Lane",)),
    Case("number-before-street-line", "Mr. Quell\n\n412 Dorottya tér 7.\nSzentmárk", phi=("412 Dorottya tér 7",)),
    Case("number-after-word-stays", "Room 4 Calle Mayor 3; took 2 tabs.", keep=("Room",)),
    Case(
        "region-after-town",
        "Av. Olmeda 21 03570 Vallenueva. Tresmontes. Tel.: 965",
        phi=("Olmeda 21", "03570 Vallenueva", "Tresmontes"),
        keep=("Tel",),
    ),
    Case(
        "region-in-brackets", "Calle Olmo 4, 28001 Robledal (Montefrío). Correo: a@b.es", phi=("Robledal", "Montefrío")
    ),
    Case(
        "sentence-after-town", "Calle Olmo 4, 28001 Robledal. The patient was seen.", phi=("Robledal",), keep=("The",)
    ),
    Case("dose-then-units", "Given 3 10000 Units of heparin; Dose 2 12000 IU Daily.", keep=("Units", "IU", "Daily")),
    Case(
        "state-goes-with-its-address",
        "Home: 14 Birch Lane, Tewkbury, NH 03801. Lived in NH all her life.",
        phi=("14 Birch Lane", "NH 03801"),
        keep=("Lived", "all"),
    ),
]

DATES = [
    Case("culture-bottles-no-date", "BLOOD CX 2/2 PENDING SPECIATION, ON VANC.", keep=("2/2",)),
    Case("culture-date-kept-as-date", "SPUTUM CX 9/7 PENDING.", phi=("9/7",)),
    Case("part-of-month-hyphen", "court hearing likely mid-march, family aware.", phi=("march",), keep=("family",)),
    Case("part-of-month-hyphen-caps", "TO RETURN TO WORK EARLY-JUNE PER PCP.", phi=("JUNE",), keep=("WORK",)),
    Case("bare-month-day", "Foley removed 9/7, voiding since.", phi=("9/7",)),
    Case("followup-month-day", "Follow up in clinic 6/12 with labs.", phi=("6/12",)),
    Case("hyphen-month-day", "Last seen by cardiology on 7-8, no changes made.", phi=("7-8",)),
    Case("month-year-short", "Hx of MI 6/85, CABG later.", phi=("6/85",)),
    Case("december", "CT head 12/07 negative.", phi=("12/07",)),
    Case("vent-settings", "On CPAP 10/5 with FiO2 40%, PS 5/5 tolerated.", keep=("10/5", "5/5")),
    Case("vent-triple", "SIMV 20/5/40 overnight, weaned to PS.", keep=("20/5/40",)),
    Case("strength", "Strength 5/5 in all extremities.", keep=("5/5",)),
    Case("bp", "BP 128/74, HR 80.", keep=("128/74",)),
    Case(
        "french-date",
        "Lyon, le 9 juin 2021\nChère consœur, diagnostic posé en février 2018.",
        phi=("9 juin 2021", "février 2018"),
    ),
    Case("spanish-date", "Ingresó el 14 de octubre de 2016 por disnea.", phi=("14 de octubre de 2016",)),
    Case("foreign-month-alone", "Mars and mai are words here; Mai Tran, MD.", keep=("Mars", "and", "are")),
]

NAMES = [
    Case("relative-in-brackets", "spoke with frank (son) re plan, he agrees.", phi=("frank",)),
    Case("relative-in-brackets-role", "Called Odalys (daughter, HCP), updated.", phi=("Odalys",)),
    Case("relative-apposition", "message left for hope, the pt's niece.", phi=("hope",)),
    Case(
        "relative-bracket-needs-a-name",
        "pain (son reports 6/10) improved; visit (wife) later.",
        keep=("pain", "visit"),
    ),
    Case(
        "field-label-is-no-name",
        "Médico: Inés Arrabal Quintero\nNASS: 28 1234567 09\nPaís: Uruguay",
        phi=("Inés Arrabal",),
        keep=("Médico", "NASS", "País"),
    ),
    Case("dr-lower", "pt seen by dr jones this am, plan to continue abx.", phi=("jones",)),
    Case("two-given-names-lower", "wife ana lucía asked about home services.", phi=("ana lucía",), keep=("asked",)),
    Case("two-given-names-caps", "SON JEAN PIERRE CALLED, UPDATED.", phi=("JEAN PIERRE",), keep=("CALLED",)),
    Case("possessive-relative", "it's carol, sam whitlowe's daughter, calling about meds.", phi=("sam whitlowe",)),
    Case("possessive-relative-caps", "MRS. ABARA'S SON AT BEDSIDE.", phi=("ABARA",), keep=("SON", "BEDSIDE")),
    Case("patients-relative", "the patient's son called; pt's wife at bedside.", keep=("patient", "son", "wife")),
    Case("husband-lower", "husband bob at bedside, updated on plan.", phi=("bob",)),
    Case("np-aware", "NP Garcia aware of low urine output.", phi=("Garcia",)),
    Case("rn-after-name", "report given to mary ellis rn at 1900.", phi=("mary ellis",)),
    Case("initial-surname", "D. Ng to call back with results.", phi=("D. Ng",)),
    Case("common-word-name", "Discussed with Dr. Rose Page and her team.", phi=("Rose Page",)),
    Case(
        "diacritics", "Referred by Dr. José Núñez; seen with interpreter Zoë Müller.", phi=("José Núñez", "Zoë Müller")
    ),
    Case("role-name-caps", "CASE MGR PAULETTE WORKING ON PLACEMENT.", phi=("PAULETTE",)),
    Case("role-name-lower", "cm frank to arrange home vna.", phi=("frank",)),
    Case("lower-dr-in-cased-note", "Message: hi dr chen - dad's sugars are high. Thanks, Linda", phi=("chen",)),
    Case("name-suffix", "Patient Dwayne Ellis Jr., 22 y/o, wrestler.", phi=("Dwayne Ellis Jr.",)),
    Case("lower-credential", "lovenox starts in am. p. lee rn", phi=("p. lee",)),
    Case("signature-initial-surname-otr", "adl goals reviewed.\nv. okafor-brandt, otr/l", phi=("v. okafor-brandt",)),
    Case("signature-credentials-list", "tube feeds advanced. t. villanueva, ms, rd, ldn", phi=("t. villanueva",)),
    Case("signature-first-initial", "family updated by phone. maribel k., licsw", phi=("maribel k.",)),
    Case("signature-first-initial-caps", "PLAN REVIEWED W/ TEAM. ESPERANZA V. RN", phi=("ESPERANZA V.",)),
    Case("signature-service-is-no-name", "d/c home tomorrow w. pt, ot", keep=("pt", "ot", "home")),
    Case("signature-hyphenated-surname-slash", "REPORT GIVEN TO SICU. BEN-AMARA/RN", phi=("BEN-AMARA",)),
    Case("signature-services-slash-no-name", "CONT PLAN. PT-OT/RN", keep=("PT", "OT")),
    Case("signature-then-pager", "rd will follow. g. okonjo ms rd ldn, pgr 3318", phi=("g. okonjo", "3318")),
    Case("signature-lactation-credential", "pumping q3h. marisol t., ibclc", phi=("marisol t.",)),
    Case("initials-credential-chain", "will see mon/thurs. kq rn, cwocn", phi=("kq",)),
    Case("role-name-in-brackets-caps", "LACTATION (WILHELMINA) BROUGHT PUMP.", phi=("WILHELMINA",), keep=("PUMP",)),
    Case("role-in-brackets-no-name", "lactation (pending), intake (done).", keep=("pending", "done")),
    Case("pastor-lower", "pt attends church - pastor ebenezer offered a room.", phi=("ebenezer",)),
    Case("intake-is-no-role", "FOOD INTAKE, VOMITUS AND STOOL RECORDED.", keep=("VOMITUS",)),
    Case("lower-transcriber", "Dictated by Rhea Kapoor, MD. Transcribed by lh 12/19/2019.", phi=("lh",)),
    Case("name-before-re", "f/u w/ dr. o'connor re: cath results, family aware.", phi=("o'connor",), keep=("re",)),
    Case("caps-wife", "WIFE MARY IN TO VISIT, UPDATED BY RN.", phi=("MARY",)),
    Case("caps-dr", "DR SMITH AWARE OF K 3.2, REPLETED.", phi=("SMITH",), keep=("AWARE",)),
]

CAPS = [
    Case(
        "caps-abbreviations",
        "NEURO: ALERT, MAE, PERRL. ENDO: RISS COVERAGE. STERNAL INCISION C/D/I. PAC'S NOTED. LEVO GTT OFF.\n"
        "BRADY TO 50S THIS AM. MAX TEMP 99.1. SAT 95% ON 4L NC.",
        keep=("MAE", "ENDO", "RISS", "STERNAL", "PAC", "LEVO", "BRADY", "MAX", "SAT"),
    ),
    Case(
        "caps-headers",
        "NPN 7P-7A\nST WITH OCC PVCS. DIC LABS SENT. ADVANCE DIRECTIVES DISCUSSED WITH FAMILY.",
        keep=("NPN", "ST WITH", "DIC LABS", "ADVANCE DIRECTIVES"),
    ),
    Case(
        "caps-vent",
        "RESP: AC700X10, FIO2 40%, RR 600x14 OVERBREATHING. HR 61-64SR, NO ECTOPY.",
        keep=("AC700X10", "600x14", "61-64SR"),
    ),
    Case("lower-brady", "pt brady to 40s when sleeping, Sat 92% on RA.", keep=("brady", "Sat")),
]

PHONES = [
    Case("pager-spaced", "renal fellow paged, pgr 6 3302, will see pt.", phi=("6 3302",)),
    Case("beeper-spaced-in-brackets", "ct surg fellow dr abiola (beeper 4 0172) aware.", phi=("4 0172",)),
    Case("pg-volume-is-no-pager", "PG 2 1000 ML NS GIVEN.", keep=("1000",)),
    Case("slashes", "Daughter's cell 617/555/0123 if any change.", phi=("617/555/0123",)),
    Case("spaced-hyphens", "Call 617- 555- 0199 with questions.", phi=("617- 555- 0199",)),
    Case("parens-spaced", "Contact (617 555 01234) after 5pm.", phi=("617 555 01234",)),
    Case("pager-pg", "Covering resident PG 12345 overnight.", phi=("12345",)),
    Case("in-house-pager", "Page Dr. Q at 4-7721 with questions.", phi=("4-7721",)),
    Case("international", "Son in London: +44 20 7946 0958.", phi=("+44 20 7946 0958",)),
    Case("german", "Tochter erreichbar unter +49 (0)30 1234567.", phi=("+49 (0)30 1234567",)),
    # Grouped digits after a phrase that asks for a call, and numbers with their kind written after them.
    Case("call-me-on", "Please call me on 8316 2047 after lunch.", phi=("8316 2047",)),
    Case("answering-at", "Nobody is answering at 64 318 207 today.", phi=("64 318 207",)),
    Case("call-at-time", "Will call me at 2100 after the meeting.", keep=("2100",)),
    Case(
        "spanish-phone-cues",
        "28001 Robledal Teléfono: 911 42 07 63. Tfno. 848 602211; móvil: 655 210 348",
        phi=("911 42 07 63", "848 602211", "655 210 348"),
    ),
    Case("cue-then-dose", "Call at 2 100000 units given.", keep=("100000",)),
    Case(
        "kind-after-number",
        "Vale Street 9\n(44) 612-208-Office, 08812 417 530-Fax",
        phi=("(44) 612-208", "08812 417 530"),
        keep=("Fax",),
    ),
]

BOUNDARIES = [
    Case(
        "name-ends-at-name",
        "Dr. Helen Carter to review the films tomorrow.",
        phi=("Helen Carter",),
        keep=("to review",),
    ),
    Case("name-then-verb", "Discussed with Dr. Alan Brooks who agrees.", phi=("Alan Brooks",), keep=("who agrees",)),
    Case("name-caps-then-word", "DR. HELEN CARTER TO REVIEW FILMS.", phi=("HELEN CARTER",), keep=("REVIEW",)),
]

MEDICAL_LANGUAGE = [
    Case(
        "eponyms",
        "Findings consistent with Barrett's esophagus. A Holter monitor was placed. After the Fontan procedure "
        "and in Gaucher disease, Candida infection was treated.",
        keep=("Barrett", "Holter", "Fontan", "Gaucher", "Candida"),
    ),
    Case(
        "eponym-before-procedure",
        "Dysphagia after Heller myotomy. Ruptured Baker's (popliteal) cyst. Grip 4/5 on the right.",
        keep=("Heller", "Baker", "4/5"),
    ),
    Case(
        "study-vocabulary",
        "Study design: a randomized trial. Stage III tumours were studied in vivo in Sprague-Dawley rats "
        "in Denmark and Brazil.",
        keep=("Study", "Stage", "vivo", "Sprague-Dawley", "Denmark", "Brazil"),
    ),
]

# Forms in other languages: field labels for addresses, towns, postcodes and identifiers.
FOREIGN_FORMS = [
    Case(
        "spanish-form",
        "NHC: 5512093.\nNASS: 31 40917263 08.\nDomicilio: C/ Almendro 9, 2º A.\nLocalidad/ Provincia: Tordelaguna."
        "\nCP: 28190.\nDatos asistenciales.",
        phi=("5512093", "31 40917263 08", "C/ Almendro 9", "Tordelaguna", "28190"),
        keep=("Datos", "asistenciales"),
    ),
    Case("licence-number-in-groups", "Médico: Dra. Nerea Olabarri Zubia NºCol: 48 48 71235.", phi=("48 48 71235",)),
    Case(
        "name-labels",
        "Nombre: Itziar.\nApellidos: Olabeaga Zurrunte.\nNHC: 5512093.",
        phi=("Itziar", "Olabeaga Zurrunte"),
    ),
    Case(
        "clinician-label-stops-at-next-field",
        "Médico: Ainhoa Bereziartu Lasa  NºCol: 48 48 71235.\nInforme",
        phi=("Ainhoa Bereziartu Lasa",),
        keep=("NºCol", "Informe"),
    ),
    Case("cp-is-chest-pain", "CP: none today. City: Tessaly Falls", phi=("Tessaly Falls",), keep=("none", "today")),
]

GENERAL_ENGLISH = [
    Case("town-in-capitals-after-origin", "I'm Rhea, originally from KORVALA, and I'm 31.", phi=("KORVALA",)),
    Case("town-in-capitals-after-based", "Tessio is a design agency based in VANTAMO.", phi=("VANTAMO",)),
    Case("unit-in-capitals-after-return", "She returned to ICU after the CT scan.", keep=("ICU", "CT")),
    Case(
        "firm-of-three-surnames",
        "She spent a year at Jones, Mitchell and Williams as a clerk.",
        phi=("Jones, Mitchell and Williams",),
    ),
    Case("name-in-a-list-of-names", "Their children: Ovidiya, Mary, Ariana and Teresa.", phi=("Ovidiya",)),
    Case(
        "drug-list-is-no-name-list", "Lasix, Coumadin, Metoprolol and Aspirin were held.", keep=("Lasix", "Metoprolol")
    ),
    Case(
        "unknown-word-then-person-verb",
        "Mehrudin shouted at the nurse. Cendrillon Coudert lives nearby.",
        phi=("Mehrudin", "Cendrillon Coudert"),
    ),
    Case(
        "drug-then-verb-is-no-person", "Sertraline began last week. Family lives nearby.", keep=("Sertraline", "Family")
    ),
    Case("postcode-after-country", "Kiannonkatu 98\nOULU\nFinland 80896", phi=("80896",)),
    Case("year-after-country-stays", "Enrolled in France 2004 and Italy 350.", keep=("2004", "350")),
    Case("zip-code-is", "My zip code is 76400, thanks.", phi=("76400",)),
    Case(
        "corner-of-two-streets",
        "it is the corner of Bygget 64 and Komel Club.",
        phi=("the corner of Bygget 64 and Komel Club",),
    ),
    Case("authors-of-a-method", "Survival by Kaplan, Meier and Cox models.", keep=("Cox",)),
    Case("firm-lower-case", "employer: hubbard, fox and gillespie", phi=("hubbard", "gillespie")),
    Case(
        "company-by-business-word", "He now works for Loveland Technologies in sales.", phi=("Loveland Technologies",)
    ),
    Case("business-word-after-plain-words", "Results from Rapid Cycle Solutions were poor.", keep=("Rapid", "Cycle")),
    Case(
        "languages-are-no-names",
        "Summary sent in English and Portuguese; speaks French only.",
        keep=("English", "Portuguese", "French"),
    ),
    Case("language-surname-kept", "Wife Odile English called; seen by Dr. French.", phi=("Odile English", "French")),
    Case("hospital-course-heading", "Hospital Course: stable on room air.", keep=("Hospital", "Course")),
    Case("self-naming-lower", "hello, my name is ondrava and i lost my card", phi=("ondrava",), keep=("lost",)),
    Case("call-me-lower", "friends call me keshvani these days", phi=("keshvani",)),
    Case("call-me-back", "please call me back when you can", keep=("back",)),
    Case("zip-label", "ZIP: 4471", phi=("4471",)),
    Case("grew-up-in", "He grew up in Veltrana and moved here later.", phi=("Veltrana",)),
    Case("greeting-name", "Hi Vinicio, I'm writing about my order.", phi=("Vinicio",)),
    Case("says-name", '"We are moving in that direction," says Bergqvist.', phi=("Bergqvist",)),
    Case("maiden-name", "She was born in 1951. Her maiden name is LeBatelier.", phi=("LeBatelier",)),
    Case("calls-me", "My name is Aantje Mourik but everyone calls me Aantje.", phi=("Aantje Mourik",)),
    Case(
        "middle-initial-unknown-surname",
        "Directed by Leena O Sasi and Faina D. Yefremova.",
        phi=("Leena O Sasi", "Faina D. Yefremova"),
    ),
    Case("unknown-given-and-family", "My friend is Priya Raghunathan from work.", phi=("Priya Raghunathan",)),
    Case(
        "military-address",
        "Send it to PSC 2581, Box 0041, APO AE 20040 please.",
        phi=("PSC 2581, Box 0041", "APO AE 20040"),
    ),
    Case(
        "street-number-after", "Tomomi lives at 86036 Rua do Arenque 1634, Goiânia.", phi=("86036 Rua do Arenque 1634",)
    ),
    Case("street-name-first", "Ship to Brucker Bundesstrasse 31, Suite 245.", phi=("Brucker Bundesstrasse 31",)),
    Case("via-number", "Sophie lives at Via Franscini 71 near the lake.", phi=("Via Franscini 71",)),
    Case("during-is-no-street", "EEGs recorded during 93 nights were read twice.", keep=("during 93",)),
    Case(
        "address-label",
        "Name: Martim A Pereira\nAddress: 17693 Király u. 15.\nLyss 50662\nPhone: none",
        phi=("17693 Király u. 15.", "Lyss 50662"),
    ),
    Case(
        "street-corner",
        "My new address is the corner of Beiteveien 2 and Sieda Radial.",
        phi=("Beiteveien 2", "Sieda Radial"),
    ),
    Case("originally-from", "I'm Quarto Angelo, originally from Križe, and I'm 41.", phi=("Križe",)),
    Case("grouped-phone-label", "Name: Emilie Broberg\nPhone: 72 128 827", phi=("72 128 827",)),
    Case("national-phones", "Call 020 7946 0958 or 0412 345 678.", phi=("020 7946 0958", "0412 345 678")),
    Case("iban", "IBAN DE89 3704 0044 0532 0130 00 for the refund.", phi=("DE89 3704 0044 0532 0130 00",)),
    Case("ordinal-day", "See you on the 23rd at the clinic.", phi=("23rd",), keep=("clinic",)),
    Case("ordinal-not-day", "Improved on the 3rd day of antibiotics.", keep=("3rd",)),
]

CASES = PLACES + DATES + NAMES + CAPS + PHONES + BOUNDARIES + MEDICAL_LANGUAGE + FOREIGN_FORMS + GENERAL_ENGLISH


@pytest.fixture(scope="module")
def engine() -> DeidEngine:
    return DeidEngine()


def _tokens(text: str, sub: str) -> list[tuple[int, int]]:
    start = text.index(sub)
    return [(start + m.start(), start + m.end()) for m in _TOKEN.finditer(sub)]


def assert_case(engine: DeidEngine, case: Case, *, inside: bool = False) -> None:
    """Every token of each identifier is marked (overlapped by a span, or with `inside` lying within one)
    and no token of the text to keep is touched."""
    spans = engine.detect(case.text)

    def marked(a: int, b: int) -> bool:
        return any((s.start <= a and b <= s.end) if inside else (s.start < b and a < s.end) for s in spans)

    def touched(a: int, b: int) -> bool:
        return any(s.start < b and a < s.end for s in spans)

    missed = [sub for sub in case.phi if not all(marked(a, b) for a, b in _tokens(case.text, sub))]
    over = [sub for sub in case.keep if any(touched(a, b) for a, b in _tokens(case.text, sub))]
    assert not missed and not over, f"{case.id}: missed {missed}, over-redacted {over}"


def batch_case_tests(tables: dict[str, list[Case]], by_the_rules_alone: list[Case]) -> tuple[Any, Any]:
    """The two tests of a module of cases from a blind batch: every case on the whole engine (ids "<table>-<case>"),
    and the cases the rules find on their own on the engine without the learned recognizer. Bind both to names
    starting with "test_" in the module so they are collected."""
    cases = [(table, case) for table, table_cases in tables.items() for case in table_cases]

    @pytest.mark.parametrize("case", [case for _, case in cases], ids=[f"{table}-{case.id}" for table, case in cases])
    def test_shapes(deid_engine: DeidEngine, case: Case) -> None:
        """Every identifier of each invented case is marked and none of its words to keep is touched."""
        assert_case(deid_engine, case)

    @pytest.mark.parametrize("case", by_the_rules_alone, ids=[case.id for case in by_the_rules_alone])
    def test_shapes_by_the_rules_alone(rules_engine: DeidEngine, case: Case) -> None:
        """The same, with the learned recognizer left out: the rules find these without it."""
        assert_case(rules_engine, case)

    return test_shapes, test_shapes_by_the_rules_alone


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_real_text_shapes(engine: DeidEngine, case: Case) -> None:
    assert_case(engine, case)


def test_name_found_again_in_capitals(engine: DeidEngine) -> None:
    """A first name found with a relative cue is found again later in a note in capitals."""
    text = "SOCIAL: SON FRANK IN. FRANK CAN BE REACHED AT HOME."
    second = text.index("FRANK", text.index("FRANK") + 1)
    spans = engine.detect(text)
    assert any(s.start <= second and second + len("FRANK") <= s.end for s in spans)
    assert not any(s.start < text.index("CAN") + 3 and text.index("CAN") < s.end for s in spans)
