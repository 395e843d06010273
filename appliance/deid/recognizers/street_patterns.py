"""Street, unit and postcode patterns of addresses as many countries write them, for the place recognizer.

A street line with its house number and unit ("6750 Koskikatu 25", "Apt. 595"), streets named before or
after their number in Europe and Latin America, streets named without a number, the parts of an address
that count only beside a street, and a postcode with its town.
"""

from __future__ import annotations

import re

from appliance.deid.text import Document

# A street line as most of the world writes it: house number, street words, and a number after
# ("6750 Koskikatu 25", "3482 Via Franscini 71") or a unit ("Apt. 595", "Suite 838").
# Words of counts and readings that sit between two numbers in a note ("POD 3 DAY 2", "rr 16 sat 97%").
MEASURE_WORDS = frozenset(
    "day days wk wks week weeks hr hrs hour hours min mins sat sats foot feet ft inch inches cm mm kg lb lbs "
    "pod hd bp hr rr temp t ipap epap peep ps kcal kcals cal ml cc mmhg".split()
)
INTL_STREET = re.compile(
    r"(?<![\w.,/-])\d{1,6}[ \t]+(?:[^\W\d_][\w'’.-]*[ \t]+){1,4}?\d{1,4}[A-Za-z]?(?![\w/:.,-]*\d)"
    r"(?:[ \t,]+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Box|Room|Rm)\.?[ \t]*#?\d{1,5}[A-Za-z]?)?"
)
# Streets as Europe and Latin America name them, with the house number after the name: "Brucker
# Bundesstrasse 31", "Via Franscini 71", "Rua do Arenque 1634", "Hammarvägen 15", "Rákóczi út 13".
STREET_WORD = (
    r"(?-i:[^\W\d_a-z][^\W\d_]*)(?:strasse|straße|str\.|gasse|weg|platz|allee|damm|ufer|vej|gade|gatan|vägen|"
    r"veien|gata|katu|tie|kuja|straat|laan|plein|gracht|ulica|cesta|iela|gatvė)"
    r"|(?-i:[^\W\d_a-z][^\W\d_]*)[ \t]+(?:utca|út|u\.|tér|körút|krt\.|sor|köz)"
    r"|(?-i:[^\W\d_]{3,})[ \t]+(?:utca|út|körút)"  # "hegyalja út 98": these words are streets in any case
)
FOREIGN_STREET = re.compile(
    r"(?<![\w-])(?:(?:Rue|Via|Viale|Vicolo|Corso|Piazza|Calle|Avenida|Avda\.|Av\.|Rua|Travessa|Largo|Paseo|Plaza|"
    r"Praça|Boulevard|Bd\.|Chemin|Allée|Quai|Impasse|Carrer|Strada|Ulica|Ul\.|Glorieta|Ronda|Camino|Carretera|"
    r"Travesía|Avinguda|Pº|Pza\.|Ctra\.|ul\.|Cuesta|Callejón|Pasaje|Rambla|Alameda|"
    r"(?:Avenue|Route|Place)(?=[ \t]+(?:de|du|des|d['’])[ \t]))"
    r"(?:[ \t]+[^\W\d_][\w'’.-]*){1,4}|(?<![\w/])C/[ \t]?[A-ZÀ-Þ][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,3}"
    r"|(?:(?-i:[^\W\d_a-z])[\w'’.-]*[ \t]+){0,2}(?:" + STREET_WORD + r"))"
    r",?[ \t]+(?:\d{1,5}[A-Za-z]?(?:[/-]\d{1,4})?\b|s/n\b)"
    r"(?:[ \t,]+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Box|Room|Rm|lok|m)\.?[ \t]*#?\d{1,5}[A-Za-z]?)?"
)
# House number first, then the street: "12 rue des Lilas", "4 Via Roma", "18 Calle Mayor".
NUMBER_STREET = re.compile(
    r"(?<![\w.,/-])\d{1,5}[A-Za-z]?,?[ \t]+(?:rue|Rue|Via|Viale|Calle|Avenida|Rua|Travessa|Largo|Paseo|Plaza|"
    r"Piazza|Corso|Boulevard|boulevard|bd|Chemin|chemin|allée|Allée|place|Place|quai|Quai|impasse|Impasse|Carrer|"
    r"Strada|avenue|montée|rang)"
    r"(?:[ \t]+(?:(?:de|des|du|la|le|del|da|do|dos|das|di|della|l['’])[ \t]*){0,2}[A-ZÀ-Þ][\w'’-]+){1,3}"
    # The words that can only begin a street take the name after them in any case: "36 rue de pologne".
    r"|(?<![\w.,/-])\d{1,5}[A-Za-z]?,?[ \t]+(?:rue|Rue|RUE|Calle|calle|Avenida|avenida|Rua)"
    r"(?:[ \t]+(?:(?:de|des|du|la|le|del|da|do|dos|das|l['’])[ \t]*){0,2}[^\W\d_][\w'’-]+){1,2}"
)
# A named street without a number ("parking on Chestnut Street", "PINE STREET INN").
NAMED_STREET = re.compile(
    r"\b(?:[A-Z][a-z]+[ \t]){1,2}(?:Street|Avenue|Road|Boulevard|Lane|Drive|Parkway|Terrace|Court|Place|Way)\b"
    r"|\b(?:[A-Z]{3,}[ \t]){1,2}(?:STREET|AVENUE|ROAD|BOULEVARD|LANE|DRIVE)\b"
)
# A street named without its number after "on", "at" or "off", also abbreviated or in one case throughout:
# "on Canal St", "lives on tannery lane", "ON CANAL ST".
CUED_STREET = re.compile(
    r"\b(?i:on|at|off)[ \t]+(?P<street>(?:[A-Z][a-z]+|[A-Z]{3,}|[a-z]{3,})(?:[ \t](?:[A-Z][a-z]+|[A-Z]{3,}))?"
    r"[ \t]+(?i:street|st|avenue|ave|road|rd|lane|ln|drive|boulevard|blvd|terrace|circle|court|way|place|parkway))"
    r"\b(?![ \t]*\d)"
)
UNIT = re.compile(r"(?<![\w])(?:Apt|Apartment|Suite|Flat|Unit|P\.?O\.?[ \t]*Box)\.?[ \t]*#?\d{1,5}[A-Za-z]?\b")
# Parts of an address that count only beside a street or another part, on the same line: rural routes
# and post boxes ("RR 2 Box 14", "Box 118", "Apartado 45", "Casilla 3021", "Postfach 12 04"); buildings,
# stairs, floors and doors as other countries write them ("Bât. B", "Esc. 2", "Piso 3", "3º B"); units
# written in lower case, in Portuguese and Spanish ("apto 702", "piso 2") and in India ("Plot 22, Sector 9").
UNIT_BESIDE = re.compile(
    r"(?<![\w])(?:RR[ \t]*\d{1,3}(?:,?[ \t]*Box[ \t]*\d{1,5})?\b|Box[ \t]+\d{1,5}\b"
    r"|(?:apt|suite)\.?[ \t]*#?\d{1,5}[a-z]?\b"  # "avenida praia 1 suite 463": a unit in lower case
    r"|(?:Apartado(?:[ \t]+de[ \t]+[Cc]orreos)?|Casilla|Postfach|Caixa[ \t]+Postal|Case[ \t]+[Pp]ostale)"
    r"[ \t]+\d[\d ]{0,7}\d\b"
    r"|(?:Bât\.?|Bâtiment|Bloc|Escalier|Esc\.|Escalera|Piso|Planta|Dpto\.?|Depto\.?|Puerta|Pta\.|Stiege|Top)"
    r"[ \t]*[A-Z0-9]{1,4}\b"
    r"|(?i:apto|apartamento|andar|piso|dpto|depto|bloco|bloque|plot|sector)\.?[ \t]*#?[A-Za-z0-9]{1,4}\b"
    r"|(?:app\.|bureau)[ \t]*\d{1,4}\b"  # Québec: "rue Fleury Est, app. 4", "bureau 210"
    r"|(?<![\d.])\d{1,2}\.[ \t]*(?:tv|th|mf)\b\.?"  # Danish floors: "3. tv." (third floor, left door)
    r"|(?<![\d.])\d{1,2}[ºª](?:[ \t]*(?:[A-H]\b|\d{1,2}[ºª]))?)"
)
# ", 28013 Madrid", ", 75002 Paris", ", 1010 Wien": a postcode and its town after an address on one line.
POSTCODE_TOWN = re.compile(
    r"[,.]?[ \t]+(?:-[ \t]+)?(?P<code>\d{4,5})[ \t]+(?P<town>[A-ZÀ-Þ][\w'’-]+(?:[ \t-][A-ZÀ-Þ][\w'’-]+)?)"
)
# "Irunlarrea, 4 31008 Pamplona", "Hermanos Falcó, s/n - 02006 Albacete": a house number, then a postcode
# and its town, with the street (no street word) in the capitalised words before the number.
HOUSE_POSTCODE = re.compile(
    r"(?P<street>(?:[A-ZÀ-Þ][\w'’-]*[ \t]+){0,2}[A-ZÀ-Þ][\w'’-]*,?[ \t]+)?"
    r"(?<![\w/.-])(?P<num>\d{1,4}[A-Za-z]?|s/n)(?=" + POSTCODE_TOWN.pattern + r")"
)
# The words a street of `FOREIGN_STREET` starts with or ends in, to skip it fast in notes with none.
FOREIGN_STREET_WORDS = frozenset(
    """
    rue via viale vicolo corso piazza calle avenida avda av rua travessa largo paseo plaza praça boulevard bd
    chemin allée quai impasse carrer strada ulica ul glorieta ronda camino carretera travesía avinguda p pza ctra
    avenue route place cuesta callejón pasaje rambla alameda
    utca út u tér körút krt sor köz
    """.split()
)
FOREIGN_STREET_ENDINGS = (
    "strasse", "straße", "str", "gasse", "weg", "platz", "allee", "damm", "ufer", "vej", "gade", "gatan", "vägen",
    "veien", "gata", "katu", "tie", "kuja", "straat", "laan", "plein", "gracht", "ulica", "cesta", "iela", "gatvė",
)


def may_hold_foreign_street(doc: Document) -> bool:
    """False only when no word of the note can start or end a `FOREIGN_STREET` match."""
    if "C/" in doc.text:
        return True
    return any(
        tok.norm in FOREIGN_STREET_WORDS or tok.norm.endswith(FOREIGN_STREET_ENDINGS) for tok in doc.tokens
    )


# What every such address holds, found fast: the house number right before the postcode and town.
HOUSE_POSTCODE_GATE = re.compile(r"(?:\d[A-Za-z]?|s/n)(?=" + POSTCODE_TOWN.pattern + r")")
