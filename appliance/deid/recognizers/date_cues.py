"""Words around a pair of numbers that make it a date ("on 2/3", "DOS 3/4") or no date: a score, a
rating, a murmur's grade, a fraction, a quantity, a culture's count of bottles or a ventilator, pump or
pacemaker setting ("pain 7/10", "CPAP 10/5", "NEW 3/6 HSM", "BCX 2/2", "3-4 BM/DAY"). Used by the date
recognizer (`dates`)."""

from __future__ import annotations

import re

# Words right before a slash pair that make it a date ("on 2/3", "since 7/22", "DOS 3/4", "to micu 3/4",
# "FROM OR 1430 10/3", "failed ~2/3").
DATE_CUE = re.compile(
    r"(?i)(?:\b(?:on|since|from|to|until|till|thru|through|by|before|after|dated?|dos|seen|visit(?:ed)?|"
    r"(?:re)?admitted|admission|admit|adm|available|avail|discharged?|transferred|started|stopped|began|last|next|as\s+of|f/u|follow[\s-]?up|faxed|"
    r"effective|starting|ending|ends|ended|rewarm|signed|resumed?|restart(?:ed)?|between|returns?|returned|scheduled|surgery|procedure|again|delivered|planned|"
    r"d/c\s+home|d/c|"
    r"cxr|ct|cta|mri|mra|echo|tte|tee|ekg|ecg|eeg|cath|egd|colonoscopy|kub|pet|bx|biopsy|redo|cabg|repeat|prior|bal|"
    r"ex-fix|orif|s/p\s+(?:[lr]\s+)?[a-z][a-z/-]{1,10}(?:\s+[a-z][a-z/-]{2,14})?|"
    r"diagnosed|dx'?d|intubated|extubated|reintubated|ercp|bronch|bronchoscopy|lp|swab|swabbed|trached|peg|picc|cvl|"
    r"drawn|pulled|removed|placed|inserted|change|changed|replaced|clinic|resited|discontinued|dc'?d|d/c'?d|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|"
    r"week\s+of|day\s+of|date|appt|appointment|today|yesterday|tomorrow|due|lmp|edd|onset|"
    r"dob|birth|born|died|expired|deceased|injury|accident|fall|fell|mvc|mva|"
    r"lkw|lsw|lsn|last\s+(?:drink|drank|used|use|seen\s+(?:well|normal)|known\s+well)|"
    r"(?:last|next)\s+(?:hd|pd|bm|dose|dialysis|tx|treatment|session|menses|period)|"
    r"(?:via|in|to|from|thru|through)\s+(?:the\s+)?(?:ed|er|or|micu|sicu|ccu|icu|csru|nicu|picu|pacu|tsicu|scene)"
    r"(?:\s+(?:[01]\d|2[0-3])[0-5]\d)?)\b|(?:^|\s)~)\s*[:\-]?\s*$"
)
# Words right before a slash pair that make it a score, a fraction or a pressure ("pain 7/10").
NOT_DATE_CUE = re.compile(
    r"(?i)\b(?:bp|b/p|blood\s+pressure|pressure|pain|strength|power|motor|reflexes|grade|murmur|scale|score|"
    r"ratio|gcs|apgar|vision|visual|acuity|va|rated|rates?|sbp|dbp|map|breath\s+sounds|x|times|(?<!as )(?<!week )of|"
    r"grip|grasp|"
    r"hemiparesis|weakness|headache|ha|ue|le|rue|lue|rle|lle|bue|ble|mae|bilat|pulses?|edema|reflex(?:es)?|"
    r"sedation|rass|cam|sats|spo2|leak|tof|apgars?|section|berg|fim|mmt|ciwa|cows|sve|latch|monofilament|"
    r"barthel|moca|mmse|slums|borg|phq-?9?|gad-?7?|nihss|epds|edss|allred|c/o|(?<!of )day|obs|stop-bang|"
    r"score[ \t]+(?:was|is|of))\s*[:=]?\s*$|\d[ \t]*=[ \t]*$"
)
# Ventilator, pump and monitor settings written like dates ("CPAP 10/5", "PS 5/5", "SIMV 20/5/40").
VENTILATION = (
    r"cpap|bipap|bi-pap|peep|ps|psv|pressure\s+support|simv|imv|a/?c|ac|prvc|vc|pc|aprv|ipap|epap|vent|"
    r"vented|ventilator|settings?|mode|fio2|tv|vt|rate|ie|i:e|hfov|nippv|niv|trach\s+mask"
)
SETTING_CUE = re.compile(
    r"(?i)\b(?:" + VENTILATION + r"|pupils?|perrla?|"
    r"pulses?|edema|dtrs?|g|gravida|para|gtts?|drips?|rhythm|cuff|eye|ears?|size|ma|sens|sensing|output|"
    r"ddd|vvi|aai|ddi|cough|(?<!last )(?<!next )trials?|attempts?)\s*[:=]?\s*(?:\d+\s*/\s*)?$"
)
# Blood cultures counted as bottles ("BCX 2/2", "cultures 1/4 positive").
CULTURE_BEFORE = re.compile(r"(?i)\b(?:[bu]?cx|bc|cultures?|bottles?|sets?)\s*[:=]?\s*$")

# Words that make a slash pair a quantity when they follow it ("2/3 of", "1/2 tab" are caught by
# _SLASH_PAIR itself); these are the ones only prose shows.
QUANTITY_AFTER = re.compile(
    r"(?i)\s*(?:\+|strength|sites?\b|points?\b|nodes?\b|power|motor|pulses?|reflex|murmur|ratio|split|rule|mmhg|cmh2o|"
    r"patellae?|achilles|"
    r"biceps|triceps|brachioradialis|dtrs?\b)|-(?!\s*\d)"
)
# What a range of counts counts: "3-4 BM/DAY", "2-3 times", "4-6 hrs".
COUNT_AFTER = re.compile(
    r"(?i)[ \t]*(?:bms?|stools?|times|x\b|days?|hours?|hrs?|wks?|weeks?|months?|mos?|episodes?|beats|puffs?|tabs?|"
    r"caps?|drops?|l\b|lpm|liters?|litres?|mg|ml|cc|cm|kg|lbs?|units?|servings?|meals?|glasses|cups?|steps|stairs|"
    r"flights?|blocks?|pillows?|people|kids|children|visits?|doses?|sessions?|per|/)"
)
# Words of a rating on a 0-10 scale, anywhere in the sentence ("VAS pain scale is rated as 6/10").
RATING_WORDS = re.compile(
    r"(?i)\b(?:pain|scale|score|rated?|rates|rating|level|vas|nrs|intensity|discomfort|cp|subj|soreness|ache|aching|"
    r"(?:w/|with)\s*(?:activity|mobility|movement|ambulation|exertion)|at\s+(?:worst|best))\b"
)
# A murmur's grade out of six (or four): "NEW 3/6 HSM", "soft 2/6 systolic murmur".
MURMUR_AFTER = re.compile(
    r"(?i)[ \t]*(?:(?:soft|harsh|loud|blowing|early|late|mid|crescendo|decrescendo|high|low|pitched|-)[ \t]*){0,3}"
    r"(?:holo|pan)?(?:systolic|diastolic|hsm|sem|dm|ejection|murmur|mur|m\b|rub)"
)
# "LUNG REST 10/10/30%": a setting's three parts, the last a percent.
PERCENT_AFTER = re.compile(r"[ \t]*%")
# "nodule (4/88)": series and image of a finding measured in the same sentence, not a month and year.
IMAGE_REFERENCE = re.compile(r"(?i)\d[ \t]*(?:mm|cm)\b[^.\n]{0,40}\($")
# Words after a month alone that make it a date: "MARCH LAST YR", "(Sept admission for PNA)".
MONTH_AFTER = re.compile(
    r"(?i)[ \t]+(?:(?:of[ \t]+)?(?:last|this|next)[ \t]+(?:yr|year)|admission|admit|hospitali[sz]ation|stay|"
    r"appt|appointment|visit)\b"
)
# "pT2 N1 (2/19 nodes)": lymph nodes involved of those examined.
NODES_AFTER = re.compile(r"(?i)[ \t]*(?:lymph[ \t]+)?(?:nodes?|lns?)\b")
# Months no other word is spelled like: a date alone ("quantiferon jan neg", "updated sept"; not "OCT", a scan).
_ALONE_MONTH = re.compile(r"(?i)january|february|april|july|september|october|november|december|jan|feb|sept|nov")
# After a month alone, a dose or a drip's rate ("nov 100 mcg"), or a possessive ("December's fair").
_NO_DATE_AFTER = re.compile(r"[ \t.]*\d|['’]s\b")


def month_alone_is_date(text: str, month: str, end: int) -> bool:
    """A month with no cue before it is a date when a word after it says so ("MARCH LAST YR", "Sept
    admission"; not "(OCT)"), or when no other word is spelled like it and no dose or possessive follows."""
    if MONTH_AFTER.match(text, end) and month.lower() != "may":
        return True
    return bool(_ALONE_MONTH.fullmatch(month)) and not _NO_DATE_AFTER.match(text, end)
