"""Who is a minor by the national identity number (config/national_id.py, docs/incidents.md).

The century comes from the individual number (Skatteetaten's rules); D-numbers add 4 to the
first digit of the day, H-numbers 4 and synthetic test numbers 8 to the first digit of the month.
"""

from __future__ import annotations

from datetime import date

import pytest

from config.national_id import age_on, birth_date, is_known_adult


@pytest.mark.parametrize(
    ("number", "born"),
    [
        ("02861250137", date(2012, 6, 2)),  # elev.ola, synthetic: month + 80, individual 501
        ("04827910153", date(1979, 2, 4)),  # foresatt.kari, individual 101: 1900s
        ("01018012345", date(1980, 1, 1)),  # individual 000-499: 1900-1999
        ("01015570012", date(1855, 1, 1)),  # 500-749 with year 54-99: 1854-1899
        ("01010550012", date(2005, 1, 1)),  # 500-999 with year 00-39: 2000-2039
        ("01014595012", date(1945, 1, 1)),  # 900-999 with year 40-99: 1940-1999
        ("41018012345", date(1980, 1, 1)),  # D-number: day + 40
        ("01418012345", date(1980, 1, 1)),  # H-number: month + 40
        ("0101801 2345", date(1980, 1, 1)),  # a space typed inside
    ],
)
def test_birth_dates(number: str, born: date) -> None:
    assert birth_date(number) == born


@pytest.mark.parametrize(
    "number",
    [
        None,
        "",
        "0101801234",  # ten digits
        "0101801234X",
        "31028012345",  # 31 February
        "01014560012",  # 500-749 with year 40-53: no century
        "01014580012",  # 750-899 with year 40-99: no century
    ],
)
def test_unreadable_numbers_have_no_birth_date(number: str | None) -> None:
    assert birth_date(number) is None


def test_age_turns_on_the_birthday() -> None:
    born = date(2008, 12, 1)
    assert age_on(born, date(2026, 11, 30)) == 17
    assert age_on(born, date(2026, 12, 1)) == 18


def test_only_a_readable_number_of_someone_18_or_older_is_a_known_adult() -> None:
    today = date(2026, 11, 30)
    assert is_known_adult("04827910153", today)  # born 1979
    assert not is_known_adult("02861250137", today)  # born 2012
    assert not is_known_adult(None, today)
    assert not is_known_adult("garbage", today)
    assert not is_known_adult("01920850012", date(2026, 11, 30))  # 18 on 1 December 2026
    assert is_known_adult("01920850012", date(2026, 12, 1))
