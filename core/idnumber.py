"""Chinese citizen ID numbers (公民身份号码, GB 11643-1999).

An ID number has 18 characters: a 6-digit address code, the birth date as YYYYMMDD, a 3-digit
sequence number (odd for men, even for women) and a check character (a digit or ``X``) computed
with ISO 7064 MOD 11-2.

The address code is the county where the number was first issued, not the birthplace, and people
keep their number for life: a code retired long ago is still valid, and a code may be younger than
its holder (Hanjiang, 350303, dates from 1983 but was given to people born long before). So the
code is only checked against the set of county codes of any era: python-stdnum's historic table
plus the counties in ``regions/data/china-counties-2024.csv``. For the same reason this module does
not use ``stdnum.cn.ric.validate``, which rejects a code that did not exist when its holder was born.

Pure functions only: no models and no database, so it can be used in forms, imports and tests.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Final

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from stdnum import numdb

LENGTH: Final = 18
WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS: Final = "10X98765432"
EARLIEST_BIRTH_DATE: Final = date(1900, 1, 1)

# Sex codes of GB/T 2261.1.
SEX_MALE: Final = "1"
SEX_FEMALE: Final = "2"

COUNTIES_CSV: Final = Path(__file__).resolve().parent.parent / "regions" / "data" / "china-counties-2024.csv"


class IdErrorCode(StrEnum):
    EMPTY = "empty"
    LENGTH = "length"
    FORMAT = "format"
    EXCEL_SCIENTIFIC = "excel_scientific"
    CHECKSUM = "checksum"
    BIRTH_DATE = "birth_date"
    FUTURE_BIRTH_DATE = "future_birth_date"
    UNKNOWN_REGION = "unknown_region"


# The English messages, one per error code (translated through the project's catalogue).
EMPTY_MESSAGE: Final = _(
    "The ID number is missing. Enter the 18-character number from the ID card or household register."
)
LENGTH_MESSAGE: Final = _(
    "The ID number must have 18 characters, but this one has %(length)s. Check for missing or extra digits."
)
LEGACY_LENGTH_MESSAGE: Final = _(
    "This is an old 15-digit ID number. Enter the new 18-character number from the ID card or household register."
)
FORMAT_MESSAGE: Final = _(
    "The ID number may contain only digits, except the last character, which may also be X. "
    "Check for letters or other symbols."
)
EXCEL_SCIENTIFIC_MESSAGE: Final = _(
    "The ID number was turned into a number by Excel (such as 3.50303E+17) and its digits are lost. "
    "Format the column as text and type it again."
)
CHECKSUM_MESSAGE: Final = _(
    "The last character of the ID number does not match the others "
    "(check character should be %(expected)s). Check each digit."
)
BIRTH_DATE_MESSAGE: Final = _(
    "The birth date in the ID number (characters 7 to 14: %(digits)s) is not a real date. Check these digits."
)
EARLY_BIRTH_DATE_MESSAGE: Final = _(
    "The birth date in the ID number (characters 7 to 14: %(digits)s) is before 1900. Check these digits."
)
FUTURE_BIRTH_DATE_MESSAGE: Final = _(
    "The birth date in the ID number (characters 7 to 14: %(digits)s) is in the future. Check these digits."
)
UNKNOWN_REGION_MESSAGE: Final = _(
    "The first 6 digits of the ID number (%(region)s) are not a known county code. Check these digits."
)

MESSAGES: Final[Mapping[IdErrorCode, StrOrPromise]] = {
    IdErrorCode.EMPTY: EMPTY_MESSAGE,
    IdErrorCode.LENGTH: LENGTH_MESSAGE,
    IdErrorCode.FORMAT: FORMAT_MESSAGE,
    IdErrorCode.EXCEL_SCIENTIFIC: EXCEL_SCIENTIFIC_MESSAGE,
    IdErrorCode.CHECKSUM: CHECKSUM_MESSAGE,
    IdErrorCode.BIRTH_DATE: BIRTH_DATE_MESSAGE,
    IdErrorCode.FUTURE_BIRTH_DATE: FUTURE_BIRTH_DATE_MESSAGE,
    IdErrorCode.UNKNOWN_REGION: UNKNOWN_REGION_MESSAGE,
}


def _interpolate(template: StrOrPromise, params: Mapping[str, object]) -> str:
    return str(template) % params


# Interpolated when shown, so the message follows the language active at that moment.
_interpolate_lazy = lazy(_interpolate, str)


class InvalidIdNumber(ValueError):
    """The value is not a valid ID number; ``code`` says why and ``message`` tells the user."""

    code: IdErrorCode
    params: dict[str, object]
    message: StrOrPromise

    def __init__(
        self,
        code: IdErrorCode,
        params: Mapping[str, object] | None = None,
        *,
        message: StrOrPromise | None = None,
    ) -> None:
        self.code = code
        self.params = dict(params or {})
        template = MESSAGES[code] if message is None else message
        self.message = _interpolate_lazy(template, self.params) if self.params else template
        super().__init__(code.value)

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True, repr=False)
class IdNumber:
    number: str
    birth_date: date
    sex: str  # SEX_MALE ("1") or SEX_FEMALE ("2")
    region_code: str

    def __repr__(self) -> str:
        # Never put a whole ID number into logs or tracebacks.
        return f"IdNumber(number={mask(self.number)!r}, birth_date={self.birth_date!r}, sex={self.sex!r})"


# Full-width ASCII (U+FF01-U+FF5E) to half-width; the ideographic space to a space; invisible
# characters that come with copy and paste removed.
_HALF_WIDTH: Final[dict[int, int | str | None]] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {
    0x3000: " ",
    0x200B: None,
    0x200C: None,
    0x200D: None,
    0x2060: None,
    0xFEFF: None,
}
_EXCEL_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)E[+-]?[0-9]+|[+-]?[0-9]*\.[0-9]*", re.ASCII)
_WELL_FORMED: Final = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_GROUPED: Final = re.compile(r"[0-9]{2,}(?:-[0-9]{2,})+-?[0-9]*X?", re.ASCII)


def normalise(raw: object) -> str:
    """Clean a typed, pasted or imported value; does not validate it.

    Removes all spaces (including full-width ones) and the hyphens of a number written in groups,
    converts full-width digits and letters to half-width and upper-cases (so ``x`` becomes ``X``).
    Accepts ``str`` and ``int``; ``None`` is empty. Raises ``InvalidIdNumber`` when the value is
    empty, when Excel has turned it into a number (any ``float``, or text in scientific or decimal
    notation, whose last digits are lost), or for any other type.
    """
    if raw is None:
        raise InvalidIdNumber(IdErrorCode.EMPTY)
    if isinstance(raw, float):
        raise InvalidIdNumber(IdErrorCode.EXCEL_SCIENTIFIC)
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise InvalidIdNumber(IdErrorCode.FORMAT)
    cleaned = "".join(raw.translate(_HALF_WIDTH).split()).upper()
    if _GROUPED.fullmatch(cleaned) and len(cleaned.replace("-", "")) == LENGTH:  # 350303-20221019-938X
        cleaned = cleaned.replace("-", "")
    if not cleaned:
        raise InvalidIdNumber(IdErrorCode.EMPTY)
    if _EXCEL_NUMBER.fullmatch(cleaned) and any(c.isdigit() for c in cleaned):
        raise InvalidIdNumber(IdErrorCode.EXCEL_SCIENTIFIC)
    return cleaned


def check_character(first17: str) -> str:
    """The MOD 11-2 check character ("0"-"9" or "X") for the first 17 digits."""
    if len(first17) != LENGTH - 1 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_character() needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse(raw: object, *, today: date | None = None) -> IdNumber:
    """Validate an ID number and return its parts; raises ``InvalidIdNumber``.

    Checks, in this order: empty or mangled by Excel, length, characters, birth date (a real date,
    from 1900-01-01 up to ``today``), address code (a county code of any era), check character.
    """
    number = normalise(raw)
    if len(number) != LENGTH:
        if len(number) == 15 and number.isascii() and number.isdigit():
            raise InvalidIdNumber(IdErrorCode.LENGTH, message=LEGACY_LENGTH_MESSAGE)
        raise InvalidIdNumber(IdErrorCode.LENGTH, {"length": len(number)})
    if not _WELL_FORMED.fullmatch(number):
        raise InvalidIdNumber(IdErrorCode.FORMAT)

    digits = number[6:14]
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidIdNumber(IdErrorCode.BIRTH_DATE, {"digits": digits}) from None
    if birth_date < EARLIEST_BIRTH_DATE:
        raise InvalidIdNumber(IdErrorCode.BIRTH_DATE, {"digits": digits}, message=EARLY_BIRTH_DATE_MESSAGE)
    if birth_date > (today or date.today()):
        raise InvalidIdNumber(IdErrorCode.FUTURE_BIRTH_DATE, {"digits": digits})

    region_code = number[:6]
    if region_code not in known_region_codes():
        raise InvalidIdNumber(IdErrorCode.UNKNOWN_REGION, {"region": region_code})

    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber(IdErrorCode.CHECKSUM, {"expected": expected})

    sex = SEX_MALE if int(number[16]) % 2 == 1 else SEX_FEMALE
    return IdNumber(number=number, birth_date=birth_date, sex=sex, region_code=region_code)


def is_valid(raw: object) -> bool:
    try:
        parse(raw)
    except InvalidIdNumber:
        return False
    return True


@functools.cache
def _stdnum_region_codes() -> frozenset[str]:
    """Every county code in python-stdnum's historic table (stdnum/cn/loc.dat), whatever its era.

    The table nests 4-digit county parts under 2-digit provinces; a county part carries a
    ``county`` property such as ``"[1983-]涵江区"`` or ``"[-1983]市区,[1984-]城区"``.
    """
    codes: set[str] = set()
    pending = [("", entry) for entry in numdb.get("cn/loc").prefixes]
    while pending:
        head, (length, low, high, props, children) = pending.pop()
        parts = [low] if low == high else [f"{n:0{length}d}" for n in range(int(low), int(high) + 1)]
        for part in parts:
            code = head + part
            if len(code) == 6:
                if props.get("county"):
                    codes.add(code)
            elif len(code) < 6:
                pending.extend((code, child) for child in children)
    return frozenset(codes)


@functools.cache
def _csv_region_codes() -> frozenset[str]:
    """The county codes of the 2024 table, so counties newer than stdnum's table are known too."""
    with COUNTIES_CSV.open(encoding="utf-8-sig", newline="") as f:
        return frozenset(
            row["code"]
            for row in csv.DictReader(f)
            if row["level"] == "county" and len(row["code"]) == 6 and row["code"].isascii() and row["code"].isdigit()
        )


@functools.cache
def known_region_codes() -> frozenset[str]:
    """The 6-digit county codes of any era an ID number may start with."""
    return _stdnum_region_codes() | _csv_region_codes()


def _mask_all_but_last4(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask(number: str) -> str:
    """``350303********1234``: an 18-character number keeps its first 6 and last 4 characters.

    Anything else keeps only its last 4 characters (none if it has 4 or fewer). Same length as given.
    """
    if len(number) == LENGTH:
        return number[:6] + "*" * (LENGTH - 10) + number[-4:]
    return _mask_all_but_last4(number)


_MOBILE: Final = re.compile(r"1[0-9]{10}", re.ASCII)
_LANDLINE: Final = re.compile(r"(0[0-9]{2,3}[- ])([0-9]{5,8})", re.ASCII)


def mask_phone(phone: str) -> str:
    """``138****5678`` for a mobile number, ``0594-***4567`` for a landline with its area code.

    Anything else keeps only its last 4 characters (none if it has 4 or fewer).
    """
    if _MOBILE.fullmatch(phone):
        return phone[:3] + "****" + phone[-4:]
    landline = _LANDLINE.fullmatch(phone)
    if landline:
        return landline.group(1) + _mask_all_but_last4(landline.group(2))
    return _mask_all_but_last4(phone)


def one_edit_apart(a: str, b: str) -> bool:
    """Whether two ID numbers differ by one mistyped character or one swap of neighbours.

    Used to spot the same person entered twice with a typo; pass normalised numbers. False when
    they are equal or of different lengths.
    """
    if len(a) != len(b):
        return False
    differences = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(differences) == 1:
        return True
    if len(differences) == 2:
        i, j = differences
        return j == i + 1 and a[i] == b[j] and a[j] == b[i]
    return False
