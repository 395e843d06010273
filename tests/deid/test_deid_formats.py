"""Date reading/writing and identifier checksums, one table each."""

from __future__ import annotations

import pytest

from appliance.deid import dates as datefmt
from appliance.deid import validators as v

PARSE = [
    ("03/04/2021", (2021, 3, 4)),
    ("3/4/21", (2021, 3, 4)),
    ("3/4/99", (1999, 3, 4)),  # two-digit years never land after the reference year
    ("25/12/2020", (2020, 12, 25)),  # day first when the first number cannot be a month
    ("2021-03-04", (2021, 3, 4)),
    ("7/22", (None, 7, 22)),
    ("2/29", (None, 2, 29)),
    ("March 3rd, 2021", (2021, 3, 3)),
    ("the 3rd of May", (None, 5, 3)),
    ("03-Mar-2021", (2021, 3, 3)),
    ("Sept. 5", (None, 9, 5)),
    ("May 2021", (2021, 5, None)),
    ("March", (None, 3, None)),
    ("Christmas Eve", (None, 12, 24)),
]


@pytest.mark.parametrize(("text", "expected"), PARSE)
def test_parse(text: str, expected: tuple[int | None, int, int | None]) -> None:
    parsed = datefmt.parse(text, 2024)
    assert parsed is not None
    assert (parsed.year, parsed.month, parsed.day) == expected


@pytest.mark.parametrize("text", ["2/30/2021", "13/13/2021", "0/4", "120/80", "Mayday"])
def test_not_dates(text: str) -> None:
    assert datefmt.parse(text, 2024) is None


SHIFT = [
    ("03/04/2021", -10, "02/22/2021"),
    ("3/4/2021", -10, "2/22/2021"),
    ("2021-01-05", -10, "2020-12-26"),
    ("March 3rd, 2021", -1, "March 2nd, 2021"),
    ("MARCH 1ST 2021", -1, "FEBRUARY 28TH 2021"),
    ("the 3rd of May", 30, "the 2nd of June"),
    ("03-Mar-2021", -3, "28-Feb-2021"),
    ("Sept. 30", 1, "Oct. 1"),
    ("May 2021", -31, "April 2021"),
    ("7/22", -1, "7/21"),
    ("3/1/20", -1, "2/29/20"),
]


@pytest.mark.parametrize(("text", "days", "expected"), SHIFT)
def test_shift_keeps_layout(text: str, days: int, expected: str) -> None:
    parsed = datefmt.parse(text, 2024)
    assert parsed is not None
    assert datefmt.shift(parsed, days) == expected


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (v.luhn_valid, "4111 1111 1111 1111", True),
        (v.luhn_valid, "4111 1111 1111 1112", False),
        (v.ssn_valid, "078-05-1120", True),
        (v.ssn_valid, "666-12-3456", False),
        (v.ssn_valid, "900-12-3456", False),
        (v.ssn_valid, "123-00-4567", False),
        (v.ssn_valid, "123-45-0000", False),
        (v.npi_valid, "1234567893", True),
        (v.npi_valid, "1234567890", False),
        (v.dea_valid, "AB1234563", True),
        (v.dea_valid, "AB1234567", False),
        (v.vin_valid, "1HGCM82633A004352", True),
        (v.vin_valid, "1HGCM82633A004353", False),
        (v.ip_valid, "192.168.0.1", True),
        (v.ip_valid, "256.1.1.1", False),
        (v.ip_valid, "fe80::1", True),
    ],
)
def test_validators(check: object, value: str, expected: bool) -> None:
    assert check(value) is expected  # type: ignore[operator]
