"""Numbers that identify a person or a thing: SSN, MRN, health-plan, account, licence, vehicle, device.

Three layers, from most to least certain:
* `labelled_id`: a value after a label ("MRN: 0012345", "Member ID XJH448812", "VIN ...");
* `checksum_id`: formats with a check digit or a fixed shape (VIN, payment card, NPI, DEA, MBI, IMEI);
* `generic_id`: any long digit run or long letter-digit code, at lower confidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from appliance.deid.config import DeidConfig
from appliance.deid.lexicon import Lexicon
from appliance.deid.recognizers.base import register
from appliance.deid.spans import ID, Span
from appliance.deid.text import Document
from appliance.deid.validators import dea_valid, luhn_valid, npi_valid, ssn_valid, vin_valid

_SSN = re.compile(r"(?<![\w-])(?P<a>\d{3})(?P<sep>[- ])\d{2}(?P=sep)\d{4}(?![\w-]|\.\d)")
_SSN_CUED = re.compile(r"(?i)\b(?:ssn|ss#|social\s+security(?:\s+(?:number|no\.?|#))?|soc\.?\s+sec\.?)\W{0,4}(\d{9})\b")

_NUM = r"(?:\s*(?i:number|no\.?|num\.?|nbr|id|#|n[º°]))?"
# Labels in front of an identifier, grouped by subtype. Longer labels first inside each group so
# "license plate" is a vehicle label, not a licence label. Labels that are also ordinary words or
# units ("DL" is decilitre in mg/dL, "SN" a nerve) are matched in capitals only.
_LABELS: dict[str, str] = {
    "vehicle": r"(?i:(?:vehicle\s+)?(?:licen[cs]e\s+)?plate|tag\s*(?:#|no\.?|number)|vin|targa|"
    r"vehicle(?:\s+(?:id|identification))?)",
    # Labels as forms in other languages write them: Spanish NASS/NUSS, "seguridad social", French
    # "sécurité sociale", "NSS" in capitals.
    "ssn": r"(?i:ssn(?:\s+last\s?4)?|ss#|social\s+security|soc\.?\s+sec\.?|nass|nuss|seguridad\s+social|"
    r"s[ée]curit[ée]\s+sociale|cpf|cnpj|pesel|ppsn|aadhaar|tfn|last\s?4|f\.\s?nr|phn)|NSS|SIN|RG|BSN",
    "mrn": r"(?i:mrn|mr\s*#|mr\s+no\.?|medical\s+record|med\.?\s+rec(?:ord)?|chart\s*(?:#|no\.?|number|id)|"
    r"unit\s+(?:no\.?|number)|hospital\s+(?:no\.?|number)|patient\s+(?:id|identifier|no\.?|number)|pt\.?\s+(?:id|no\.?)|"
    r"record\s*(?:#|no\.?|number)|nhc|historia\s+cl[ií]nica|n[º°]\s*(?:de\s+)?historia|cipa|"
    r"n[º°]\s*(?:de\s+)?(?:paciente|expediente)|"
    # inpatient, hospital, docket and folder numbers as Indian, African and Caribbean wards write them
    r"ip\.?\s*(?:no\.?|number|#)|hosp\.?\s*(?:no\.?|#)|docket\s*(?:no\.?|#)|folder(?:\s*(?:no\.?|#))?(?=\s*:?\s*[A-Z]{0,4}\s?\d{5}))",
    "health_plan": r"(?i:member|subscriber|policy|group\s*(?:#|no\.?|number|id)|group(?=\s*:?\s*\d{4})|"
    r"insurance(?!\s+card)|"
    r"medicare|medicaid|mbi|hicn|beneficiary|health\s+plan|plan\s+(?:id|no\.?|number)|insured\s+id|payer\s+id)",
    "account": r"(?i:acct|account|billing|encounter|visit\s+(?:id|no\.?|number)|fin|csn|har|invoice|claim|"
    r"membership|konto|dossier|matr[ií]cula|carteirinha|paybill|payroll(?:\s*(?:no\.?|#|number))?)",
    "license": r"(?i:licen[cs]e|lic\.?|driver'?s?\s+licen[cs]e|dea|npi|upin|passport|certificate|"
    r"passaporto|passeport|pasaporte|reisepass|paspoort|patente(?:\s+n\.)?|"
    r"n[º°]\s*(?:de\s+)?col(?:egiado)?\.?|colegiado|dni|nif|nie|codice\s+fiscale|siret|siren|"
    r"permis(?:[ \t]+[A-Z]{2,4})?(?=[ \t]*(?:n[o°º]\.?)?[ \t]*:?[ \t]*\d))|DL|(?:CRM|CREA|COREN)(?:-[A-Z]{2})?",
    "device": r"(?i:serial|s/n|device\s+(?:id|identifier)|udi|imei|pacemaker\s+(?:id|serial)|"
    r"lot\s*(?:#|no\.?|number))|SN",
    "other": r"(?i:identifier|case\s*(?:#|no\.?|number)|accession|specimen\s*(?:#|no\.?|number|id)|"
    r"order\s*(?:#|no\.?|number|id)|ref(?:erence)?\s*(?:#|no\.?|number)|employee\s+(?:id|no\.?|number)|emp(?:loyee)?\s*#|(?:id\s+)?badge|"
    r"student\s+(?:id|no\.?|number)|frequent\s+fl(?:y|i)er|bag\s+tag|(?:reg|org)\.?\s*nr|voucher|"
    r"(?:eeg|ecg|ekg|echo|exam)\s*(?:#|no\.?)|"
    r"study\s+(?:id|no\.?|number)|requisition|confirmation\s*(?:#|no\.?|number)|ticket|"
    r"booking\s+(?:ref(?:erence)?|code|no\.?|number)|reservation\s*(?:#|no\.?|number|code)|pnr|"
    r"card(?=\s*(?:#|no\.?|number)?\s*:?\s*\d(?:\d{3}|[ ]\d{4}))|"
    r"ref(?:erence)?(?=\.?[ \t]*:?[ \t]*(?:[A-Za-z]{0,5}[/-]?|\d{2,4}/){0,3}\d{3})|"  # not "reference 30-400"
    r"(?:blood\s+)?unit\s*#|(?:booking|confirmation)(?=[ \t]+(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{6}\b)|"
    r"report\s*(?:#|no\.?|number)|(?:prior\s+)?auth(?:orization)?\s*(?:#|no\.?|number)|"
    r"(?:insurance|health|id)\s+card\s*(?:#|no\.?|number)|trauma\s*(?:#|no\.?|number)|"
    r"health\s+services\s*(?:#|no\.?|number)|(?:interpreter|staff|provider)\s+(?:id|no\.?|number)|"
    r"adm(?:ission)?\.?\s+no\.?|nric|mcrn|ramq|nhi|shipment|consignment|waybill|tracking|"
    r"health\s+card(?=\s*:|\s+\d{3})|id(?=[ \t]*#?[ \t]*\d{5,9}\b)|uhid|trip\s+id|incident)"
    r"|ID|ABN|ACN|RUT",
}
_LABELLED = re.compile(
    r"(?<![\w/])(?:"
    + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _LABELS.items())
    + r")(?![A-Za-z])(?:\.(?=[ \t]))?"  # "ref. REK/2025/06/114"
    + r"(?:[ \t]*\([A-Z]{2,6}\))?"  # "Booking reference (PNR): QX7LMR"
    + _NUM
    + r"\)?\s*[:#=\-]?\s*(?:(?i:is)\s+)?"  # "card (RAMQ) TREM 4712 0915"
    # A short first group counts when more groups of digits follow ("NASS: 47 29373947 55").
    # Plates and cards printed in groups start with a short one ("GH 417 KP", "CHUA 2003 5412").
    # a letter or three before groups of digits: "A 7734 1192 05", "MTA 55 0912 334"
    + r"(?P<value>[A-Z]{1,3}(?=(?: \d{2,8}){2,}\b)"
    + r"|[A-Za-z0-9](?:[A-Za-z0-9]|[-/.](?=[A-Za-z0-9])){2,29}|\d{1,2}(?= \d{2,8})|[A-Z]{2}(?= \d{2,8}\b))"
    + r"(?![\w])"
)
_VISIT_FREQUENCY = re.compile(r"(?i)\d{1,2}[wd]\d{1,2}")
_BARE_PLATE = re.compile(r"(?i)plate\s+")  # "plate" with neither "license" before nor "#"/":" after
_VEHICLE_NEAR = re.compile(
    r"(?i)\b(?:cars?|vehicles?|trucks?|vans?|auto|motorcycles?|parked|parking|drives?|driving)\b"
)
_PLATE_TAIL = re.compile(r"[ -][A-Z0-9]{2,5}\b")
_DIGIT_GROUPS = re.compile(
    r"(?: \d{2,8}){1,3}(?: \d(?!\d|[.,/]\d))?"  # a check digit alone at the end: "2951 48376 1"
    r"(?!\w|\.\d|\s*(?:mg|mcg|ml|units?|%|days?|hours?|weeks?|years?)|\s*(?i:yo|y/o|y\.o\.|yrs?)\b)"
)
#: Words an identifier label can start with (see `Document.matches_at_words`).
LABEL_FIRST_WORDS = frozenset(
    """
    vehicle license licence plate tag vin ssn ss social soc mrn mr medical med chart unit hospital patient pt
    record member subscriber policy group insurance medicare medicaid mbi hicn beneficiary health plan insured
    payer acct account billing encounter visit fin csn har invoice claim lic driver drivers dea npi upin
    passport certificate dl serial s device udi imei pacemaker lot sn identifier case accession specimen
    order ref reference report auth authorization prior employee emp badge student study requisition confirmation
    ticket id
    nass nuss seguridad securite sécurité nss nhc historia cipa nº n°  nºcol n°col colegiado dni nif nie codice
    cpf cnpj pesel ppsn aadhaar tfn sin rg bsn booking reservation pnr card trauma interpreter staff provider adm
    admission nric mcrn ramq nhi frequent bag reg org voucher eeg ecg ekg echo exam membership konto dossier
    matrícula matricula carteirinha passaporto passeport pasaporte reisepass paspoort patente crm crea coren
    shipment consignment waybill tracking targa abn acn rut uhid permis siret siren paybill crm-sp
    ip hosp docket folder last last4 f phn trip incident payroll blood
    """.split()
)
# The last digits a card or account is shown by: "credit card ending 6614", "account ending in 0042".
_CARD_ENDING = re.compile(
    r"(?i)\b(?:card|account|acct|visa|mastercard|amex|maestro|debit|credit)[ \t]+(?:number[ \t]+)?ending(?:[ \t]+in)?"
    r"[ \t]*:?[ \t]*(?P<value>\d{4})\b"
)
# A register's initials, then its number: "IMC no. 021874", "GMC No: 7012345".
_REGISTER_NUMBER = re.compile(r"\b[A-Z]{2,6}[ \t]+(?:[Nn]o\.?|#|[Nn]umber)[ \t]*:?[ \t]*(?P<value>\d{4,10})\b")
# Number labels written as one compound word in Germanic languages: "Fødselsnummer: 120487 44913",
# "Kundennr. 4471 2209", "Saksnummer 2025/118842".
_COMPOUND_NUMBER = re.compile(
    r"(?i)\b[^\W\d_]{3,}(?:nummer|nr\.?)[ \t]*:?[ \t]*(?P<value>\d{2,}(?:(?:[ /.-])\d{2,}){0,4})(?![\w/]|[.,]\d)"
)
# A file number of an office's letters, a year and a serial: "HA/23/118402", "SMH/2023/0088163",
# "MMC 2009/04/1873" (no date has a serial of four digits or more after its month).
_SLASHED_FILE_NUMBER = re.compile(r"\b[A-Z]{2,5}(?:/(?:\d{2}|\d{4})|[ \t]\d{4}/\d{2})/\d{4,8}\b(?!/)")
_HASH_NUMBER = re.compile(r"(?<![\w#])#\s?:?\s?(?P<value>\d{4,12}(?:[ ]\d{3,4}){0,3})\b")

# An Italian tax code: six letters of the name, the year, a month letter, the day, a town code and a check letter.
_CODICE_FISCALE = re.compile(r"\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b")
_VIN = re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b", re.IGNORECASE)
_CARD = re.compile(r"(?<![\d-])(?:\d{4}[ -]){3}\d{1,7}(?![\d-])|(?<!\d)\d{13,19}(?!\d)")
_NPI = re.compile(r"(?<![\d-])[12]\d{9}(?!\d)")
_DEA = re.compile(r"\b[ABCDEFGHJKLMPRSTUX][A-Z9]\d{7}\b")
_MBI = re.compile(
    r"\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y]{2}\d{2}\b"
)

# International bank account numbers, grouped or not ("DE89 3704 0044 0532 0130 00").
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_LONG_DIGITS = re.compile(r"(?<![\w.,/-])\d{7,}(?![\w/]|[.,]\d)")
_GROUPED_DIGITS = re.compile(r"(?<![\w.,/-])\d+(?:-\d+){1,5}(?![\w/]|[.,]\d|-\d)")
_ISO_TIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2}T\d")  # 2021-03-14T08:30 is a date and a time
_DECADES = re.compile(r"(?i)\d+'?s(?:-\d+'?s)?")
_CODE = re.compile(
    r"(?<![\w-])(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{4,24}[A-Za-z0-9](?![\w-])"
)
_UNIT_TAIL = re.compile(
    r"(?i)\d(?:mg|mcg|ug|g|kg|ml|l|dl|meq|mmol|iu|units?|cc|mm|cm|hrs?|h|min|x|mmhg|bpm|am|pm|c?gy)$"
)


class _Ssn:
    def find(self, doc: Document) -> Iterator[Span]:
        for m in _SSN.finditer(doc.text):
            valid = ssn_valid(m.group())
            yield Span(m.start(), m.end(), ID, "ssn", 0.95 if valid else 0.75, "ssn")
        for m in _SSN_CUED.finditer(doc.text):
            yield Span(m.start(1), m.end(1), ID, "ssn", 0.95, "ssn")


def _in_capitals(doc: Document, pos: int) -> bool:
    index = doc.token_index_at(pos)
    return index < len(doc.tokens) and doc.tokens[index].caseless


class _LabelledId:
    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in doc.matches_at_words(_LABELLED, LABEL_FIRST_WORDS):
            value = m.group("value").rstrip()
            if _VISIT_FREQUENCY.fullmatch(value):
                continue  # "SN 2w3": skilled nursing twice a week for three weeks
            subtype = next(name for name in _LABELS if m.group(name) is not None)
            has_digit = any(ch.isdigit() for ch in value)
            start, end = m.start("value"), m.end("value")
            if not has_digit and value.isupper() and len(value) <= 4 and value not in ("ID", "NO", "NUM"):
                groups = _DIGIT_GROUPS.match(text, end)  # "member ID XKH 8840012 03": a prefix, then digits
                if groups:
                    end, has_digit = groups.end(), True
            if (
                subtype == "vehicle"
                and _BARE_PLATE.fullmatch(text, m.start("vehicle"), start)
                and not _VEHICLE_NEAR.search(text, max(0, m.start() - 40), m.start())
            ):
                continue  # "locking plate C3-C5", "SACRAL PLATE WITH 28": a plate with no car about is an implant
            if not has_digit and not (subtype == "vehicle" and value.isupper() and not _in_capitals(doc, start)):
                continue  # a plate of letters only, in a normally written line ("END PLATE MOVEMENT" is none)
            if subtype == "vehicle":
                # Plates are often written in two groups: "ABC 1234".
                tail = _PLATE_TAIL.match(text, end)
                if tail:
                    end = tail.end()
                    has_digit = True
            elif value.isdigit() or value[0].isalpha() and value[1:].isdigit():
                # Numbers printed in groups: "DL# 507 353 349", "BLOOD BANK ID W0417 25 336 221".
                tail = _DIGIT_GROUPS.match(text, end)
                if tail:
                    end = tail.end()
            if has_digit or len(text[start:end]) >= 4:
                yield Span(start, end, ID, subtype, 0.95, "labelled_id")
        for m in _HASH_NUMBER.finditer(text):
            yield Span(m.start("value"), m.end("value"), ID, "other", 0.8, "labelled_id")
        for m in _COMPOUND_NUMBER.finditer(text):
            yield Span(m.start("value"), m.end("value"), ID, "other", 0.85, "labelled_id")
        for m in _CARD_ENDING.finditer(text):
            yield Span(m.start("value"), m.end("value"), ID, "account", 0.9, "labelled_id")
        for m in _REGISTER_NUMBER.finditer(text):
            yield Span(m.start("value"), m.end("value"), ID, "license", 0.85, "labelled_id")
        for m in _SLASHED_FILE_NUMBER.finditer(text):
            yield Span(m.start(), m.end(), ID, "other", 0.85, "labelled_id")


class _ChecksumId:
    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _VIN.finditer(text):
            vin = m.group()
            if vin.isdigit() or vin.isalpha():
                continue
            yield Span(m.start(), m.end(), ID, "vehicle", 0.95 if vin_valid(vin) else 0.7, "checksum_id")
        for m in _CARD.finditer(text):
            digits = sum(ch.isdigit() for ch in m.group())
            if 13 <= digits <= 19 and luhn_valid(m.group()):
                subtype = "device" if digits == 15 and " " not in m.group() else "account"  # IMEI: 15 digits
                yield Span(m.start(), m.end(), ID, subtype, 0.9, "checksum_id")
        for m in _NPI.finditer(text):
            if npi_valid(m.group()):
                yield Span(m.start(), m.end(), ID, "license", 0.8, "checksum_id")
        for m in _DEA.finditer(text):
            yield Span(m.start(), m.end(), ID, "license", 0.95 if dea_valid(m.group()) else 0.6, "checksum_id")
        for m in _IBAN.finditer(text):
            if sum(ch.isdigit() for ch in m.group()) >= 10:
                yield Span(m.start(), m.end(), ID, "account", 0.9, "checksum_id")
        for m in _MBI.finditer(text):
            yield Span(m.start(), m.end(), ID, "health_plan", 0.9, "checksum_id")
        for m in _CODICE_FISCALE.finditer(text):
            yield Span(m.start(), m.end(), ID, "ssn", 0.9, "checksum_id")


# Tidal volume x rate ("AC700X10", "600x14") and a range with its rhythm ("61-64SR").
_PHONE_KIND = re.compile(r"(?i)\d-(?:office|fax|mobile|cell|home|work|landline)$")
_SETTING_CODE = re.compile(r"(?i)[a-z]{0,5}\d{1,4}x\d{1,3}[a-z]{0,3}|\d{2,3}-\d{2,3}[a-z]{1,4}")
# Obstetric history in gravida/para notation: "G2P2002", "G3P1".
_GRAVIDA_PARA = re.compile(r"(?i)g\d{1,2}p\d{1,5}")


class _GenericId:
    """Long numbers and codes with no label. Lower confidence: they may be a lab accession or a
    catalogue number, but in a note about one patient they are unique identifiers far more often."""

    def find(self, doc: Document) -> Iterator[Span]:
        text = doc.text
        for m in _LONG_DIGITS.finditer(text):
            yield Span(m.start(), m.end(), ID, "other", 0.6, "generic_id")
        for m in _GROUPED_DIGITS.finditer(text):
            groups = m.group().split("-")
            digits = sum(len(g) for g in groups)
            if digits >= 7 and (len(groups) >= 3 or max(len(g) for g in groups) >= 5):
                yield Span(m.start(), m.end(), ID, "other", 0.55, "generic_id")
        for m in _CODE.finditer(text):
            code = m.group()
            digits = sum(ch.isdigit() for ch in code)
            if digits < 4 or _UNIT_TAIL.search(code) or _DECADES.fullmatch(code) or _ISO_TIME.match(code):
                continue
            if _SETTING_CODE.fullmatch(code) or _GRAVIDA_PARA.fullmatch(code):
                continue  # "AC700X10", "600x14", "61-64SR", "G2P2002": settings, heart-rate ranges, obstetric history
            if _PHONE_KIND.search(code):
                continue  # "788-063-Office": a telephone number and its kind, found as a phone
            yield Span(m.start(), m.end(), ID, "other", 0.55, "generic_id")


@register(
    "ssn", "Social Security numbers (###-##-####, or nine digits after an SSN label); SSA rules set the confidence."
)
def _ssn(config: DeidConfig, lexicon: Lexicon) -> _Ssn:
    return _Ssn()


@register(
    "labelled_id", "A value after an identifier label: MRN, member/policy, account, licence, plate/VIN, serial, other."
)
def _labelled(config: DeidConfig, lexicon: Lexicon) -> _LabelledId:
    return _LabelledId()


@register("checksum_id", "Self-checking formats: VIN, payment card (Luhn), NPI, DEA, Medicare MBI, IMEI.")
def _checksum(config: DeidConfig, lexicon: Lexicon) -> _ChecksumId:
    return _ChecksumId()


@register("generic_id", "Unlabelled long digit runs (7+) and letter-digit codes, at lower confidence.")
def _generic(config: DeidConfig, lexicon: Lexicon) -> _GenericId:
    return _GenericId()
