"""Chinese citizen ID numbers: core.idnumber (no database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.utils import translation
from django.utils.functional import Promise
from stdnum import numdb
from stdnum.cn import ric

from core.idnumber import (
    SEX_FEMALE,
    SEX_MALE,
    IdErrorCode,
    IdNumber,
    InvalidIdNumber,
    _csv_region_codes,
    _stdnum_region_codes,
    check_character,
    is_valid,
    known_region_codes,
    mask,
    mask_phone,
    normalise,
    one_edit_apart,
    parse,
)

TODAY = date(2025, 6, 1)


def make(region: str = "350303", birth: str = "20150607", sequence: str = "123") -> str:
    """A valid ID number with the given parts."""
    first17 = region + birth + sequence
    return first17 + check_character(first17)


def with_digit_check(region: str = "350303", birth: str = "20150607") -> str:
    """A valid ID number whose check character is a digit (so it can be an int)."""
    return next(n for n in (make(region, birth, f"{s:03d}") for s in range(1000)) if n[-1] != "X")


def with_x_check(region: str = "350303", birth: str = "20150607") -> str:
    return next(n for n in (make(region, birth, f"{s:03d}") for s in range(1000)) if n[-1] == "X")


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _swap(number: str, i: int, j: int) -> str:
    chars = list(number)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _replace(number: str, i: int, char: str) -> str:
    return number[:i] + char + number[i + 1 :]


VALID = make()
X_NUMBER = with_x_check()
DIGIT_NUMBER = with_digit_check()
RETIRED = "350126"  # 长乐县, 1983-1994 in stdnum's table; now 长乐区 350112


# --- the check character -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first17, expected",
    [
        ("11010519491231002", "X"),  # the example in GB 11643-1999
        ("36042619910101007", "1"),  # python-stdnum's doctest
        ("35030320150607123", ric.calc_check_digit(make())),
    ],
)
def test_check_character(first17: str, expected: str) -> None:
    assert check_character(first17) == expected


@pytest.mark.parametrize("first17", ["3503032015060712", "350303201506071234", "3503032015060712X", "３" * 17])
def test_check_character_needs_17_ascii_digits(first17: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_character(first17)


def test_check_character_agrees_with_stdnum() -> None:
    for sequence in range(0, 1000, 7):
        number = make(sequence=f"{sequence:03d}")
        assert number[17] == ric.calc_check_digit(number)


# --- valid numbers and normalisation -------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, number",
    [
        (VALID, VALID),
        ("11010519491231002X", "11010519491231002X"),
        ("360426199101010071", "360426199101010071"),
        (X_NUMBER, X_NUMBER),
        (X_NUMBER.lower(), X_NUMBER),  # lower-case x
        (f"  {VALID}  ", VALID),
        (f"{VALID[:6]} {VALID[6:14]} {VALID[14:]}", VALID),
        (f"\t{VALID[:6]}\u3000{VALID[6:]}\n", VALID),  # full-width space
        (full_width(VALID), VALID),  # full-width digits
        (full_width(X_NUMBER.lower()), X_NUMBER),  # full-width ｘ
        (full_width(X_NUMBER[:9]) + "\u3000" + X_NUMBER[9:], X_NUMBER),
        ("\ufeff" + VALID + "\u200b", VALID),  # invisible characters from copy and paste
        (int(DIGIT_NUMBER), DIGIT_NUMBER),  # int input
        (f"{X_NUMBER[:6]}-{X_NUMBER[6:14]}-{X_NUMBER[14:].lower()}", X_NUMBER),  # written in groups
        (f"{VALID[:6]}－{VALID[6:14]}－{VALID[14:]}", VALID),  # full-width hyphens
    ],
)
def test_valid_numbers_are_normalised(raw: object, number: str) -> None:
    assert normalise(raw) == number
    assert parse(raw, today=TODAY).number == number
    assert is_valid(raw)


def test_parse_returns_the_parts() -> None:
    assert parse("11010519491231002X") == IdNumber(
        number="11010519491231002X", birth_date=date(1949, 12, 31), sex=SEX_FEMALE, region_code="110105"
    )
    result = parse(make("350303", "20150607", "123"), today=TODAY)
    assert (result.region_code, result.birth_date, result.sex) == ("350303", date(2015, 6, 7), SEX_MALE)


@pytest.mark.parametrize(
    "sequence, sex",
    [("001", SEX_MALE), ("123", SEX_MALE), ("999", SEX_MALE), ("000", SEX_FEMALE), ("124", SEX_FEMALE), ("998", "2")],
)
def test_sex_comes_from_the_17th_character(sequence: str, sex: str) -> None:
    assert parse(make(sequence=sequence), today=TODAY).sex == sex
    assert SEX_MALE == "1" and SEX_FEMALE == "2"


@pytest.mark.parametrize(
    "birth, today",
    [
        ("19000101", TODAY),  # the earliest accepted
        ("20250601", TODAY),  # born today
        ("20000229", TODAY),  # leap day
    ],
)
def test_birth_date_limits(birth: str, today: date) -> None:
    assert parse(make(birth=birth), today=today).birth_date.strftime("%Y%m%d") == birth


def test_today_defaults_to_the_real_today() -> None:
    assert is_valid(make(birth=date.today().strftime("%Y%m%d")))
    assert not is_valid(make(birth="29991231"))


# --- address codes -------------------------------------------------------------------------------


def test_hanjiang_code_is_accepted_for_people_born_before_it_existed() -> None:
    """350303 dates from 1983; stdnum.cn.ric.validate would reject this holder."""
    number = make("350303", "19700315", "021")
    assert parse(number, today=TODAY).birth_date == date(1970, 3, 15)


def test_a_retired_code_is_still_accepted() -> None:
    assert RETIRED in _stdnum_region_codes()
    assert RETIRED not in _csv_region_codes()
    assert parse(make(RETIRED, "19900101", "031"), today=TODAY).region_code == RETIRED
    # and for someone born after it was retired, who may have been registered before a move
    assert is_valid(make(RETIRED, "20100101", "032"))


def test_a_county_only_in_the_2024_table_is_accepted() -> None:
    code = min(_csv_region_codes() - _stdnum_region_codes())
    assert is_valid(make(code, "20100101", "032"))


@pytest.mark.parametrize("region", ["999999", "350399", "000000", "350303"[:5] + "9"])
def test_unknown_region(region: str) -> None:
    assert region not in known_region_codes()
    with pytest.raises(InvalidIdNumber) as caught:
        parse(make(region=region), today=TODAY)
    assert caught.value.code == IdErrorCode.UNKNOWN_REGION
    assert region in str(caught.value.message)


def test_region_codes_are_six_digit_strings_loaded_once() -> None:
    codes = known_region_codes()
    assert isinstance(codes, frozenset)
    assert known_region_codes() is codes
    assert len(codes) > 6000
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert {"350303", "110105", RETIRED} <= codes


def test_stdnum_codes_are_the_counties_of_its_table() -> None:
    db = numdb.get("cn/loc")
    for code in _stdnum_region_codes():
        parts = db.info(code)
        assert [part for part, _ in parts] == [code[:2], code[2:]]
        assert parts[-1][1].get("county")


# --- invalid numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, code",
    [
        # empty
        ("", IdErrorCode.EMPTY),
        ("   ", IdErrorCode.EMPTY),
        ("\u3000\u3000", IdErrorCode.EMPTY),
        (None, IdErrorCode.EMPTY),
        # mangled by Excel
        (3.50303e17, IdErrorCode.EXCEL_SCIENTIFIC),
        (350303200501011000.0, IdErrorCode.EXCEL_SCIENTIFIC),
        (float(DIGIT_NUMBER), IdErrorCode.EXCEL_SCIENTIFIC),
        ("3.50303E+17", IdErrorCode.EXCEL_SCIENTIFIC),
        ("3.50303e+17", IdErrorCode.EXCEL_SCIENTIFIC),
        (" 3.50303200501011E+17 ", IdErrorCode.EXCEL_SCIENTIFIC),
        ("3.5E17", IdErrorCode.EXCEL_SCIENTIFIC),
        ("350303200501011000.0", IdErrorCode.EXCEL_SCIENTIFIC),
        ("350303200501011000.", IdErrorCode.EXCEL_SCIENTIFIC),
        (full_width("3.50303E+17"), IdErrorCode.EXCEL_SCIENTIFIC),
        # length
        (VALID[:17], IdErrorCode.LENGTH),
        (VALID + "1", IdErrorCode.LENGTH),
        ("350303150607123", IdErrorCode.LENGTH),  # an old 15-digit number
        ("350303", IdErrorCode.LENGTH),
        # characters
        (VALID[:8] + "A" + VALID[9:], IdErrorCode.FORMAT),
        (VALID[:8] + "X" + VALID[9:], IdErrorCode.FORMAT),
        (VALID[:17] + "Y", IdErrorCode.FORMAT),
        (VALID[:8] + "-" + VALID[9:], IdErrorCode.FORMAT),
        (VALID[:8] + "\u0663" + VALID[9:], IdErrorCode.FORMAT),  # Arabic-Indic three
        (VALID[:8] + "\u00b2" + VALID[9:], IdErrorCode.FORMAT),  # superscript two
        (-int(DIGIT_NUMBER[1:]), IdErrorCode.FORMAT),
        (True, IdErrorCode.FORMAT),
        (b"350303201506071234", IdErrorCode.FORMAT),
        # check character
        (wrong_check(VALID), IdErrorCode.CHECKSUM),
        (wrong_check(X_NUMBER), IdErrorCode.CHECKSUM),
        (_swap(VALID, 14, 15), IdErrorCode.CHECKSUM),  # two digits swapped
        # birth date
        (make(birth="20150230"), IdErrorCode.BIRTH_DATE),
        (make(birth="20151301"), IdErrorCode.BIRTH_DATE),
        (make(birth="20150000"), IdErrorCode.BIRTH_DATE),
        (make(birth="00000000"), IdErrorCode.BIRTH_DATE),
        (make(birth="18991231"), IdErrorCode.BIRTH_DATE),  # before 1900
        (make(birth="20250602"), IdErrorCode.FUTURE_BIRTH_DATE),
        (make(birth="20990101"), IdErrorCode.FUTURE_BIRTH_DATE),
    ],
)
def test_invalid_numbers(raw: object, code: IdErrorCode) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse(raw, today=TODAY)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == str(caught.value.message) != ""
    assert "%(" not in str(caught.value.message)
    if raw != make(birth="20250602"):  # is_valid() compares with the real today
        assert not is_valid(raw)


@pytest.mark.parametrize("raw", [3.50303e17, "3.50303E+17", "", None, "  "])
def test_normalise_raises_for_empty_and_excel_values(raw: object) -> None:
    with pytest.raises(InvalidIdNumber):
        normalise(raw)


@pytest.mark.parametrize("raw", ["35030320150230", "abc", VALID + "99"])
def test_normalise_only_cleans(raw: str) -> None:
    assert normalise(raw) == raw.upper()


@pytest.fixture
def english() -> Iterator[None]:
    """The message tests read the English msgids; the Chinese catalogue is tested in test_i18n."""
    with translation.override("en"):
        yield


def test_messages_are_translated() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse("3.50303E+17", today=TODAY)
    assert "Excel" in str(caught.value) and "文本" in str(caught.value)


@pytest.mark.usefixtures("english")
def test_checksum_message_names_the_expected_character() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse(VALID[:17] + ("0" if VALID[17] != "0" else "1"), today=TODAY)
    assert caught.value.params == {"expected": VALID[17]}
    assert f"check character should be {VALID[17]})" in str(caught.value.message)


@pytest.mark.parametrize(
    "raw, words",
    [
        ("", "missing"),
        ("3.50303E+17", "Format the column as text"),
        (VALID[:17], "this one has 17"),
        ("350303150607123", "old 15-digit"),
        (VALID[:8] + "A" + VALID[9:], "only digits"),
        (make(birth="20150230"), "characters 7 to 14: 20150230) is not a real date"),
        (make(birth="18991231"), "before 1900"),
        (make(birth="20990101"), "in the future"),
        (make(region="999999"), "(999999) are not a known county code"),
    ],
)
@pytest.mark.usefixtures("english")
def test_messages_are_specific(raw: object, words: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse(raw, today=TODAY)
    assert words in str(caught.value)


def test_messages_with_values_stay_lazy() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse(wrong_check(VALID), today=TODAY)
    assert isinstance(caught.value.message, Promise)


def test_a_wrong_birth_date_is_reported_before_the_check_character() -> None:
    number = wrong_check(make(birth="20150230"))
    with pytest.raises(InvalidIdNumber) as caught:
        parse(number, today=TODAY)
    assert caught.value.code == IdErrorCode.BIRTH_DATE


def test_error_codes_are_lower_snake_strings() -> None:
    assert [code.value for code in IdErrorCode] == [
        "empty",
        "length",
        "format",
        "excel_scientific",
        "checksum",
        "birth_date",
        "future_birth_date",
        "unknown_region",
    ]
    assert isinstance(IdErrorCode.EXCEL_SCIENTIFIC, str)
    assert f"{IdErrorCode.EXCEL_SCIENTIFIC}" == "excel_scientific"


def test_repr_does_not_show_the_whole_number() -> None:
    text = repr(parse(VALID, today=TODAY))
    assert VALID not in text and mask(VALID) in text


# --- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, masked",
    [
        ("350303201506071234", "350303********1234"),
        ("11010519491231002X", "110105********002X"),
        ("350303150607123", "***********7123"),  # 15 digits
        ("12345", "*2345"),
        ("1234", "****"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask(number: str, masked: str) -> None:
    assert mask(number) == masked
    assert len(mask(number)) == len(number)


@pytest.mark.parametrize(
    "phone, masked",
    [
        ("13812345678", "138****5678"),
        ("19900001111", "199****1111"),
        ("0594-1234567", "0594-***4567"),
        ("010-12345678", "010-****5678"),
        ("0594 1234567", "0594 ***4567"),
        ("1234567", "***4567"),  # no area code
        ("+8613812345678", "**********5678"),
        ("23812345678", "*******5678"),  # 11 digits but not a mobile
        ("5678", "****"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
    assert len(mask_phone(phone)) == len(phone)


# --- near duplicates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("350303201506071234", "350303201506071234", False),  # equal
        ("350303201506071234", "350303201506071284", True),  # one digit wrong
        ("350303201506071234", "350303201506071235", True),  # last character
        ("350303201506071234", "450303201506071234", True),  # first character
        ("11010519491231002X", "110105194912310021", True),  # X against a digit
        ("350303201506071234", "350303201560071234", True),  # adjacent transposition 06 -> 60
        ("350303201506071234", "350303201506071243", True),  # adjacent transposition at the end
        ("350303201506071234", "530303201506071234", True),  # adjacent transposition at the start
        ("350303201506071234", "350303201506071299", False),  # two digits wrong
        ("350303201506071234", "350303201506071432", False),  # non-adjacent swap
        ("350303201506071234", "350303201506073214", False),  # non-adjacent swap
        ("350303201506071234", "35030320150607123", False),  # different lengths
        ("350303201506071234", "350303201506071243X", False),
    ],
)
def test_one_edit_apart(a: str, b: str, expected: bool) -> None:
    assert one_edit_apart(a, b) is expected
    assert one_edit_apart(b, a) is expected


def test_one_edit_apart_over_every_position() -> None:
    for i in range(18):
        assert one_edit_apart(VALID, _replace(VALID, i, "X"))
    for i in range(17):
        swapped = _swap(VALID, i, i + 1)
        assert one_edit_apart(VALID, swapped) is (swapped != VALID)
    assert not one_edit_apart(VALID, _swap(VALID, 0, 2))
