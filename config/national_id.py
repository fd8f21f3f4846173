"""The date of birth a Norwegian national id number (fødselsnummer, D-number) tells.

An 11-digit number is DDMMYY, a three-digit individual number and two check digits. The century
follows from the individual number (Skatteetaten's rules):

* 000-499: 1900-1999;
* 500-749 with YY 54-99: 1854-1899;
* 500-999 with YY 00-39: 2000-2039;
* 900-999 with YY 40-99: 1940-1999.

A D-number (given to people without a fødselsnummer) has 4 added to its first digit (day 41-71);
an H-number 4 added to the month's first digit; test numbers (Skatteetaten's synthetic ones, as
in the demo school) 8. Check digits are not verified: the roster is the source of the number,
and a mistyped one still carries its birth date.

Used to tell namesakes apart (``User.birthDate``, the admin console) and by the incident register
(``notifyAffected``), which tells the guardians of an affected minor too: a person counts as an
adult only when the number shows they are 18 or older.
"""

from __future__ import annotations

from datetime import date

#: the age of majority in Norway (vergemålsloven § 2)
MAJORITY = 18


def birth_date(national_id: str | None) -> date | None:
    """The date of birth ``national_id`` encodes (spaces ignored), or None when it encodes none
    (wrong length, not digits, no such date, an individual number outside the century rules)."""
    if national_id is None:
        return None
    digits = national_id.strip().replace(" ", "")
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return None
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    individual = int(digits[6:9])
    if day > 40:  # D-number
        day -= 40
    if month > 80:  # synthetic test number
        month -= 80
    elif month > 40:  # H-number
        month -= 40
    century = _century(individual, year)
    if century is None:
        return None
    try:
        return date(century + year, month, day)
    except ValueError:
        return None


def _century(individual: int, year: int) -> int | None:
    if individual <= 499:
        return 1900
    if individual <= 749 and year >= 54:
        return 1800
    if year <= 39:
        return 2000
    if individual >= 900:
        return 1900
    return None


def age_on(born: date, today: date) -> int:
    """Whole years from ``born`` to ``today`` (a birthday on 29 February counts on 1 March)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def is_known_adult(national_id: str | None, today: date) -> bool:
    """True only when the number shows the person is at least 18 on ``today``."""
    born = birth_date(national_id)
    return born is not None and age_on(born, today) >= MAJORITY
