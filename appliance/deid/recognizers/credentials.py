"""Credentials written after a clinician's name ("J. Smith, RN", "Dr Ahmed MRCP"), and the words around
them that say the text goes on as a sentence or a list, or names a role by post rather than a person.
"""

from __future__ import annotations

import re

# Tried only at tokens that can start a credential (see `names._NameContext._credentials`), never across
# the whole text: a separator pattern scanned at every position is quadratic on long runs of blanks.
CREDENTIAL_SEP = re.compile(r"\.?,[ \t]*|\.?[ \t]+")
CREDENTIAL = re.compile(
    r"(?P<cred>M\.?D\.?|D\.?O\.?|R\.?N\.?|NP|NP-C|PA-C|PA|Ph\.?D\.?|MSW|LCSW|"
    r"LICSW|DPT|PT|OT|PharmD|PHARMD|RPh|EMT-[BPI]|EMT|AEMT|NRP|CCP|CFRN|CCRN|RDCS|RDMS|CNA|LPN|LVN|APRN|ARNP|FNP|FNP-BC|ANP|ACNP|CRNA|DDS|DMD|MBBS|MPH|MSN|BSN|CNM|RD|RRT|SLP|DNP|"
    r"CMA|MA|FACP|FACC|FACS|MRCGP|MICGP|MRCP|MRCPI|FRCP|FRCPC|FRCS|FRACP|FRCSI)"
    r"(?![\w-]|/[A-Za-z])"  # "PT/OT", "RN/MD": services and roles in a list, no credential
)
# First letters of each credential as the tokeniser sees them ("M.D." starts with the token "M").
CREDENTIAL_STARTS = frozenset(
    """
    M MD D DO R RN NP NP-C PA PA-C Ph PhD MSW LCSW LICSW DPT PT OT PharmD PHARMD RPh EMT-B EMT-P EMT-I EMT AEMT NRP
    CCP CFRN CCRN RDCS RDMS CNA LPN LVN APRN ARNP FNP FNP-BC ANP
    ACNP CRNA DDS
    DMD MBBS MPH MSN BSN CNM RD RRT SLP DNP CMA MA FACP FACC FACS MRCGP MICGP MRCP MRCPI FRCP FRCPC FRCS FRACP
    FRCSI
    """.split()
)
# Credentials in lower case, as words: what follows "rn" in "vp rn cwon" is a second credential, not a name.
CREDENTIAL_WORDS = frozenset(word.lower() for word in CREDENTIAL_STARTS if len(word) > 1) | frozenset(
    "cwon cwocn wocn cwcn ccrn ocn cnl crnp cpnp rnc cde ibclc lmhc lmsw lpc lmft ccm otr cota ccc-slp bcc cnn cacp"
    " rdn ldn cdn cdces bcps bcpps cnrn cen cpn ncsn crrn rgn rmn rnc-nic rnc-ob".split()
)
# Every credential as a word, for the signatures that close a note (`initials`): the words above, less
# those that end a sentence as often ("will do", "pa", "ph", "ma"), and the ones only signatures show.
SIGNATURE_CREDENTIALS = (CREDENTIAL_WORDS - {"do", "pa", "ph", "ma"}) | frozenset(
    "rt ms cm otr/l pta mdiv cht cscs atc cpt cnp crt".split()
)
SENTENCE_GOES_ON = re.compile(
    r"(?i)[ \t]+(?:is|was|has|had|states|stated|reports|denies|c/o|will|tolerated|tolerating|ambulated|"
    r"ambulating|remains|seen|sent|taken|transferred|to|and|on|in|with|w/|at|for|now|also|alert|a&o|asked|asks|"
    r"says|said|agrees|agreed|declined|declines|prefers|wants|wanted|refused|refuses|requests|requested|"
    r"verbalized|verbalizes|understands|feels|felt|appears|lives)\b"
)
LIST_GOES_ON = re.compile(r",[ \t]*(?P<next>[A-Z][A-Z0-9]{1,5})\b")
# Credentials that are also everyday abbreviations ("PT" = patient/physical therapy): comma only.
COMMA_ONLY_CREDENTIALS = frozenset({"PT", "OT", "PA", "MA", "RD", "DO", "D.O.", "MS", "CMA"})
# Verbs that ask a role for something, written right before it: "page slp", "call rt", "notify md".
ASKING_VERBS = frozenset(
    "page paged call called notify notified ask asked tell told consult consulted contact contacted update updated"
    " inform informed text texted".split()
)
# Words that say which nurse or doctor by post or shift, right before the credential: "floor rn", "covering md".
ROLE_QUALIFIERS = frozenset(
    "floor unit home charge night day float resource primary covering bedside triage transport travel agency staff"
    " admitting accepting receiving sending oncoming outgoing center centre transfer placement wound".split()
)
