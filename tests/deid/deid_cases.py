"""Hand-made test notes: identifiers that must be found and clinical text that must be left alone.

Written independently of the synthetic generator, so the engine is not tuned to one template set.
Each row: (case id, text, expected identifiers as (substring, label)). A substring must be covered by
one detected span of that label (or, for NAME/LOCATION, of either of those two labels: a city that is
also a surname is PHI either way).
"""

from __future__ import annotations

IDENTIFIER_CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    # --- names
    ("name_titles", "Seen today by Dr. Okonkwo and Mrs. Abernathy.", [("Okonkwo", "NAME"), ("Abernathy", "NAME")]),
    ("name_full", "Patient John Smith reports chest pain.", [("John Smith", "NAME")]),
    ("name_header", "Patient Name: Rodriguez, Maria E.\nMRN: 445566", [("Rodriguez, Maria E.", "NAME")]),
    (
        "name_initial",
        "Discussed with J. Smith, MD and A. B. Castillo.",
        [("J. Smith", "NAME"), ("A. B. Castillo", "NAME")],
    ),
    (
        "name_word_names",
        "Her daughter Hope and son Will visited; Grace Brown is the HCP.",
        [("Hope", "NAME"), ("Will", "NAME"), ("Grace Brown", "NAME")],
    ),
    ("name_signed", "Electronically signed by Priya Raghunathan, NP 03/04/2021", [("Priya Raghunathan", "NAME")]),
    ("name_credential", "Kwame Mensah, RN noted the change.", [("Kwame Mensah", "NAME")]),
    ("name_relative_caps", "CONTACT: WIFE MARGARET OLSEN AT BEDSIDE.", [("MARGARET OLSEN", "NAME")]),
    (
        "name_caps_note",
        "PT JOHN MCALLISTER SEEN WITH DR. BROWN FOR FOLLOW UP OF CHF.",
        [("JOHN MCALLISTER", "NAME"), ("BROWN", "NAME")],
    ),
    ("name_possessive", "Per Dr. Nakamura's note the rash resolved.", [("Nakamura", "NAME")]),
    (
        "name_hyphen",
        "Consulted Dr. Garcia-Lopez and Mary-Kate O'Brien.",
        [("Garcia-Lopez", "NAME"), ("Mary-Kate O'Brien", "NAME")],
    ),
    ("name_initials_sig", "Plan reviewed.\n-- JS\nJS/mk", [("JS", "NAME")]),
    ("name_again", "Mr. Whitfield was admitted. Whitfield denies pain.", [("Whitfield", "NAME")]),
    (
        "name_lower_note",
        "pt seen with wife mary jones at bedside, she will call dr. patel tomorrow about meds and labs",
        [("mary jones", "NAME"), ("patel", "NAME")],
    ),
    # --- locations
    (
        "street",
        "Lives at 1452 N. Maplewood Ave, Apt 3B with her sister.",
        [("1452 N. Maplewood Ave, Apt 3B", "LOCATION")],
    ),
    ("street_caps", "ADDRESS: 77 OLD MILL ROAD", [("77 OLD MILL ROAD", "LOCATION")]),
    ("po_box", "Mail to P.O. Box 4411 please.", [("P.O. Box 4411", "LOCATION")]),
    ("city_state_zip", "Springfield, IL 62704", [("Springfield", "LOCATION"), ("62704", "LOCATION")]),
    ("city_cue", "She moved from Tucson last year.", [("Tucson", "LOCATION")]),
    ("zip4", "Billing zip 02115-3821 on file.", [("02115-3821", "LOCATION")]),
    (
        "facility",
        "Transferred from St. Vincent's Medical Center to Lakeside Nursing Home.",
        [("St. Vincent's Medical Center", "LOCATION"), ("Lakeside Nursing Home", "LOCATION")],
    ),
    (
        "facility_of",
        "Admitted to the Hospital of the University of Pennsylvania overnight.",
        [("Hospital of the University of Pennsylvania", "LOCATION")],
    ),
    ("county", "Resident of Suffolk County since 1990.", [("Suffolk County", "LOCATION")]),
    # --- dates
    ("date_numeric", "Admitted 03/14/2021, discharged 3/18/21.", [("03/14/2021", "DATE"), ("3/18/21", "DATE")]),
    (
        "date_iso",
        "Collected 2021-03-14T08:30 and resulted 2021-03-15.",
        [("2021-03-14", "DATE"), ("2021-03-15", "DATE")],
    ),
    ("date_month_day", "Follow up on 7/22 and again 8/2.", [("7/22", "DATE"), ("8/2", "DATE")]),
    ("date_fraction_cued", "Last seen on 2/3 in clinic.", [("2/3", "DATE")]),
    (
        "date_words",
        "Surgery was March 3rd; biopsy on the 3rd of May; seen Jan. 5, 2020.",
        [("March 3rd", "DATE"), ("3rd of May", "DATE"), ("Jan. 5, 2020", "DATE")],
    ),
    ("date_dmy_abbrev", "Echo 03-Mar-2021 and CT 3-MAR-21.", [("03-Mar-2021", "DATE"), ("3-MAR-21", "DATE")]),
    (
        "date_month_year",
        "Symptoms began in May 2019 and worsened in August.",
        [("May 2019", "DATE"), ("August", "DATE")],
    ),
    ("date_holiday", "Fell on Christmas Eve at home.", [("Christmas Eve", "DATE")]),
    ("birth_year_old", "Born in 1925, lives alone.", [("1925", "DATE")]),
    # --- ages
    (
        "age_numeric",
        "A 92-year-old woman; her husband is 95 yo; aged 101.",
        [("92", "AGE"), ("95", "AGE"), ("101", "AGE")],
    ),
    (
        "age_words",
        "She is ninety-three years old and her mother died at age 99.",
        [("ninety-three", "AGE"), ("99", "AGE")],
    ),
    ("age_header", "Age/Sex: 94F", [("94", "AGE")]),
    ("age_decade", "Patient in her late 90s.", [("90s", "AGE")]),
    # --- contact
    (
        "phone",
        "Call (617) 555-0134 or 617.555.0199 x22; cell +1 857 555 0142.",
        [("(617) 555-0134", "CONTACT"), ("617.555.0199 x22", "CONTACT"), ("+1 857 555 0142", "CONTACT")],
    ),
    ("fax", "Fax: 617-555-0100", [("617-555-0100", "CONTACT")]),
    ("pager", "Paged at pager 48812.", [("48812", "CONTACT")]),
    ("email", "Email: k.mensah+clinic@healthmail.org", [("k.mensah+clinic@healthmail.org", "CONTACT")]),
    (
        "url",
        "Portal https://mychart.example-hospital.org/p/123 and www.familysite.com.",
        [("https://mychart.example-hospital.org/p/123", "CONTACT"), ("www.familysite.com", "CONTACT")],
    ),
    (
        "ip",
        "Device at 192.168.10.44 and fe80::1ff:fe23:4567:890a.",
        [("192.168.10.44", "CONTACT"), ("fe80::1ff:fe23:4567:890a", "CONTACT")],
    ),
    # --- identifiers
    ("ssn", "SSN 078-05-1120; social security number 219099999.", [("078-05-1120", "ID"), ("219099999", "ID")]),
    (
        "mrn",
        "MRN: 00452211; MR# A7734521; Medical record number 98-22-101.",
        [("00452211", "ID"), ("A7734521", "ID"), ("98-22-101", "ID")],
    ),
    (
        "health_plan",
        "Member ID: XJH448812901, Policy #88123-A, Medicare 1EG4-TE5-MK73.",
        [("XJH448812901", "ID"), ("88123-A", "ID"), ("1EG4-TE5-MK73", "ID")],
    ),
    ("account", "Acct #: 4471-99821, encounter no. 771203.", [("4471-99821", "ID"), ("771203", "ID")]),
    (
        "license",
        "Driver's license S123-4567-8901; DEA AB1234563; NPI 1234567893.",
        [("S123-4567-8901", "ID"), ("AB1234563", "ID"), ("1234567893", "ID")],
    ),
    ("vehicle", "Plate 7ABC123; VIN 1HGCM82633A004352.", [("7ABC123", "ID"), ("1HGCM82633A004352", "ID")]),
    ("device", "Pacemaker serial number PJN884211K; S/N: 99-A-7712.", [("PJN884211K", "ID"), ("99-A-7712", "ID")]),
    ("card", "Paid with 4111 1111 1111 1111.", [("4111 1111 1111 1111", "ID")]),
    ("other_id", "Specimen #: S21-004471; accession 88821455.", [("S21-004471", "ID"), ("88821455", "ID")]),
]

# Text that must produce no span at all.
CLEAN_CASES: list[tuple[str, str]] = [
    ("doses", "Metoprolol 25 mg PO BID, take 1/2 tab at bedtime, insulin 10 units, 5 mL q6h."),
    ("fractions", "About 2/3 of doses were given; 1/2 of the meal eaten; 3/4 strength."),
    ("vitals", "BP 120/80, HR 88, RR 16, SpO2 97% on RA, T 98.6 F, Tmax 101.2 F, weight 72 kg."),
    ("labs", "Na 138, K 4.1, Cl 101, HCO3 24, BUN 18, Cr 1.1, Glu 105, WBC 7.2, Hgb 13.4, Plt 250."),
    ("scores", "Pain 7/10, strength 5/5 in all extremities, GCS 15, grade 2/6 murmur, Braden 18."),
    ("times", "Medication given at 14:30 and again at 2:15 pm; next dose 0600."),
    ("years_alone", "Diagnosed with diabetes in 2019; CABG in 2015; smoked from 1990 to 2010."),
    ("young_ages", "A 45-year-old man and his 89 yo father; age 67; 72M with cough."),
    ("common_words", "Hope for recovery is good. Will follow up. Brown stool noted. Grace period applies."),
    (
        "eponyms",
        "History of Parkinson's disease, Bell's palsy and Crohn's; Foley catheter placed; Glasgow Coma Scale 14.",
    ),
    (
        "clinical_caps",
        "ASSESSMENT: STABLE. PLAN: CONTINUE LISINOPRIL 10 MG DAILY. WILL FOLLOW UP IN CLINIC. NO ACUTE DISTRESS.",
    ),
    ("headings", "Chief Complaint: chest pain\nPast Medical History: HTN, DM2\nReview Of Systems: negative"),
    ("units_ranges", "Drain output 100-200 mL per shift; INR goal 2-3; platelets 150-400."),
    ("lab_codes", "HbA1c 7.2%, PaCO2 40, eGFR 60, CHA2DS2-VASc 3, B12 low."),
    ("states", "Moved here from Ohio; family in Texas and New Mexico."),
    (
        "departments",
        "Consulted Physical Therapy, Social Work and Case Management. Follow up with Primary Care and Labor and "
        "Delivery. History of Christmas disease. Held under the Baker Act.",
    ),
    ("month_words", "She may need a dose adjustment; mar reviewed; dec breath sounds at bases."),
]
