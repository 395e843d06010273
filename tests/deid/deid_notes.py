"""Hand-written whole notes with their gold identifiers marked inline as [[text|LABEL]].

Independent of the synthetic generator: different layouts, a capitals-only note, a lower-case note,
names that are words, and clinical numbers everywhere.
"""

from __future__ import annotations

import re

from appliance.deid import Span

_MARK = re.compile(r"\[\[(.+?)\|([A-Z]+)\]\]", re.DOTALL)


def parse_marked(marked: str) -> tuple[str, list[Span]]:
    """Strip [[text|LABEL]] marks; return the plain text and the gold spans."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(marked):
        chunk = marked[pos : m.start()]
        out.append(chunk)
        length += len(chunk)
        value = m.group(1)
        spans.append(Span(length, length + len(value), m.group(2)))
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(marked[pos:])
    return "".join(out), spans


MARKED_NOTES: list[str] = [
    """[[Lakeview Regional Hospital|LOCATION]] - Emergency Department
Patient: [[Okafor, Chinedu A.|NAME]]    MRN: [[0048812|ID]]    DOB: [[11/02/1958|DATE]]
Date of visit: [[March 3rd, 2021|DATE]]  Arrival 14:30

HPI: [[Chinedu|NAME]] is a 62-year-old man with HTN and DM2 (HbA1c 8.1%) who presents with 2 days of
chest pain 7/10, worse with exertion. He took 1/2 tab of aspirin 325 mg. BP 152/94, HR 104, RR 18,
SpO2 95% on RA, T 99.1 F. Troponin 0.04, K 4.1, Cr 1.2. EKG: ST depressions in V4-V6.
His wife [[Grace|NAME]] ([[617-555-0143|CONTACT]]) reports he was at [[Fenway Park|LOCATION]] on [[7/22|DATE]].
Lives at [[88 Beacon Street|LOCATION]], [[Brookline|LOCATION]], MA [[02446|LOCATION]]. Works as a bus driver.

Plan: admit to cardiology, heparin gtt, cath in AM. Discussed with Dr. [[Hope Whitaker|NAME]] (cardiology).
Will follow up troponin q6h. Brown stool guaiac negative.

Electronically signed by [[Samuel R. Adeyemi|NAME]], MD on [[03/03/2021|DATE]] 16:05
""",
    """DISCHARGE SUMMARY
NAME: [[BROWN, WILLIAM T|NAME]]   ACCT: [[55120987|ID]]   ADMIT: [[02-FEB-2020|DATE]]   DISCH: [[09-FEB-2020|DATE]]
ATTENDING: [[ANNA KOWALCZYK|NAME]], MD

HOSPITAL COURSE: MR. [[BROWN|NAME]] IS A [[93|AGE]] YEAR OLD MAN ADMITTED WITH PNEUMONIA. TREATED WITH
CEFTRIAXONE 1 G IV DAILY. O2 WEANED TO RA. HE WILL FOLLOW UP WITH HIS PCP DR. [[LEE|NAME]] IN 1-2 WEEKS.
HIS DAUGHTER [[MARGARET|NAME]] WILL PICK HIM UP. PHONE [[(508) 555-0177|CONTACT]].
DISCHARGE MEDS: AMOXICILLIN 500 MG PO TID X 5 DAYS, METOPROLOL 25 MG BID.
FOLLOW-UP: [[ST. JUDE CLINIC|LOCATION]] ON [[2/16|DATE]] AT 10:00.
""",
    """progress note - pt seen w/ son [[tomas|NAME]] at bedside. pain 3/10, ambulating with walker.
wbc 11.2 from 14.5, cr 0.9. will d/c foley today. plan to discharge home friday [[5/14|DATE]] if stable.
contact [[tomas|NAME]] at [[tomas.rivera@example.net|CONTACT]]
""",
    """Radiology report - [[Mercy General Hospital|LOCATION]]
Exam: CT abdomen/pelvis with contrast, [[2019-08-30|DATE]]
Ordering: [[Rebecca Stone-Harrington|NAME]], PA-C   Accession: [[CT88231145|ID]]
Comparison: CT [[January 2018|DATE]].
Findings: 2.3 x 1.8 cm hypodense lesion in segment 7, previously 1.9 x 1.5 cm. No free air.
Impression: Enlarging hepatic lesion; recommend MRI. Called to Dr. [[Patel|NAME]] at 11:42 on [[8/30|DATE]].
Device: infusion pump serial [[SN-7731-QX|ID]] removed. Remote viewer IP [[10.22.4.8|CONTACT]].
""",
    """Social work note
Pt is a [[101|AGE]] y/o widow, lives alone in [[Hope|LOCATION]], AR with her cat. Daughter [[June Carter|NAME]]
visits on Sundays ([[870-555-0199|CONTACT]]). Medicaid ID [[AR7712099|ID]]. Moved from [[Little Rock|LOCATION]] in 1998.
Discussed advance directives; HCP is [[Will Carter|NAME]] (grandson). Will meet again next week.
""",
]
