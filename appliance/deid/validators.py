"""Checksums and validity rules for identifier formats.

Recall comes first: a string shaped like an identifier is redacted even when its checksum fails.
These checks only raise or lower the confidence and pick the subtype ("a valid SSN" vs "an ID-shaped
number"), so a typo in an SSN is still removed.
"""

from __future__ import annotations

import ipaddress


def digits_of(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def luhn_valid(number: str) -> bool:
    """Luhn (mod 10) check used by payment cards, NPIs (with the 80840 prefix) and IMEIs."""
    digits = digits_of(number)
    if len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def ssn_valid(number: str) -> bool:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    digits = digits_of(number)
    if len(digits) != 9:
        return False
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    return area != 0 and area != 666 and area < 900 and group != 0 and serial != 0


def npi_valid(number: str) -> bool:
    """National Provider Identifier: 10 digits, Luhn over "80840" + the number."""
    digits = digits_of(number)
    return len(digits) == 10 and digits[0] in "12" and luhn_valid("80840" + digits)


def dea_valid(number: str) -> bool:
    """DEA registration: 2 letters + 7 digits; check digit = (d1+d3+d5 + 2*(d2+d4+d6)) mod 10."""
    number = number.strip().upper()
    if len(number) != 9 or not number[:2].isalpha() and not (number[0].isalpha() and number[1] == "9"):
        return False
    tail = number[2:]
    if not tail.isdigit():
        return False
    d = [int(c) for c in tail]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


_VIN_VALUES = {
    **{str(i): i for i in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_valid(vin: str) -> bool:
    """North American VIN check digit (position 9). Many non-US VINs have none: callers must not
    drop a 17-character VIN-shaped string only because this returns False."""
    vin = vin.upper()
    if len(vin) != 17 or any(ch not in _VIN_VALUES for ch in vin):
        return False
    total = sum(_VIN_VALUES[ch] * w for ch, w in zip(vin, _VIN_WEIGHTS, strict=True))
    check = total % 11
    return vin[8] == ("X" if check == 10 else str(check))


def ip_valid(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
