"""Checks of identifier columns: the 公民身份号码 (GB 11643) and codes such as 户号, 学籍号, 学校标识码.

Both undo what Excel and typing do to them (full-width digits, spaces, a leading apostrophe,
scientific notation) before checking; the ID number check also yields the birth date and sex it
encodes, for ``core._cross_checks``.
"""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl
from django.utils.translation import gettext as _

from core import idnumber
from exchange.columns import Column
from exchange.validation.builder import _FORMULA_START, _FULL_WIDTH, _HALF_WIDTH, _Builder, _fmt, _on_odd_values
from exchange.validation.dates import EARLIEST_DATE

_EXCEL_NUMBER: Final = r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)E[+-]?[0-9]+|[0-9]*\.[0-9]*)$"


def _clean_code(value: pl.Expr) -> pl.Expr:
    """Digits and letters half-width, spaces and Excel's leading apostrophe removed, upper case."""
    return (
        value.str.replace_many(_FULL_WIDTH, _HALF_WIDTH)
        .str.replace_all(r"[\s\u3000\u200b\ufeff]", "")
        .str.strip_prefix("'")
        .str.to_uppercase()
    )


def _code(builder: _Builder, column: Column, *_rest: object) -> None:
    field = column.field
    value = _on_odd_values(builder, field, r"^[0-9A-Za-z]+$", _clean_code)
    builder.add(**{f"__code_{field}": value})
    value = pl.col(f"__code_{field}")
    builder.outputs[field] = value
    builder.check(
        field,
        value.str.contains(_EXCEL_NUMBER) & value.str.contains("[0-9]"),
        _(
            "Excel turned %(column)s into a number and its digits are lost. Format the column as text "
            "and type the values again."
        )
        % {"column": column.header},
    )
    if field == "school_code":
        builder.check(
            field,
            ~value.str.contains(r"^[0-9]{10}$") & ~pl.col(field).str.contains(_FORMULA_START),
            _("The school identifier must have 10 digits."),
        )


def _id_format_problem(number: pl.Expr) -> pl.Expr:
    """Why a value that is not 17 digits and a digit or X is refused (for its distinct values only)."""
    length = number.str.len_chars()
    return (
        pl.when(number.str.contains(_EXCEL_NUMBER) & number.str.contains("[0-9]"))
        .then(pl.lit("excel"))
        .when((length == 15) & number.str.contains(r"^[0-9]+$"))
        .then(pl.lit("legacy"))
        .when(length != idnumber.LENGTH)
        .then(pl.lit("length"))
        .otherwise(pl.lit("format"))
    )


def _id_message() -> pl.Expr:
    """The message for each problem of __id_problem, built on the rejected rows only."""
    number, problem = pl.col("__id"), pl.col("__id_problem")
    digits = number.str.slice(6, 8)
    expected = pl.lit(idnumber.CHECK_CHARACTERS).str.slice(pl.col("__id_sum") % 11, 1)
    messages: list[tuple[str, pl.Expr]] = [
        ("excel", pl.lit(str(idnumber.EXCEL_SCIENTIFIC_MESSAGE))),
        ("legacy", pl.lit(str(idnumber.LEGACY_LENGTH_MESSAGE))),
        ("length", _fmt(str(idnumber.LENGTH_MESSAGE), length=number.str.len_chars().cast(pl.String))),
        ("format", pl.lit(str(idnumber.FORMAT_MESSAGE))),
        ("birth", _fmt(str(idnumber.BIRTH_DATE_MESSAGE), digits=digits)),
        ("early", _fmt(str(idnumber.EARLY_BIRTH_DATE_MESSAGE), digits=digits)),
        ("future", _fmt(str(idnumber.FUTURE_BIRTH_DATE_MESSAGE), digits=digits)),
        ("region", _fmt(str(idnumber.UNKNOWN_REGION_MESSAGE), region=number.str.slice(0, 6))),
        (
            "zeros",
            pl.lit(
                _(
                    "The last digits of the ID number have turned into 0 because Excel keeps only 15 digits of a "
                    "number. Format the column as text and type the number again."
                )
            ),
        ),
        ("checksum", _fmt(str(idnumber.CHECKSUM_MESSAGE), expected=expected)),
    ]
    return pl.coalesce(pl.when(problem == key).then(message) for key, message in messages)


def _id_number(builder: _Builder, column: Column, today: date, *_rest: object) -> None:
    """GB 11643 checks in integer arithmetic; the ID's birth date and sex go to __id_birth and __id_sex.

    Values that are not 17 digits and a digit or X are few; why each is wrong is worked out for
    their distinct values only.
    """
    field = column.field
    well_formed = r"^[0-9]{17}[0-9X]$"
    builder.add(__id=_on_odd_values(builder, field, well_formed, _clean_code))
    number = pl.col("__id")
    builder.add(
        __id17=pl.when(number.str.contains(well_formed)).then(number.str.slice(0, 17).str.to_integer(strict=False)),
        __id_last=number.str.slice(17, 1),
    )
    first17 = pl.col("__id17")
    total = pl.sum_horizontal((first17 // 10 ** (16 - i)) % 10 * weight for i, weight in enumerate(idnumber.WEIGHTS))
    builder.add(
        __id_birth_any=pl.when(first17.is_not_null()).then(number.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)),
        __id_sum=total,
        __id_check=pl.when(pl.col("__id_last") == "X")
        .then(10)
        .otherwise(pl.col("__id_last").cast(pl.Int64, strict=False)),
    )
    birth = pl.col("__id_birth_any")
    checksum_wrong = (12 - pl.col("__id_sum") % 11) % 11 != pl.col("__id_check")
    known = sorted(int(code) for code in idnumber.known_region_codes())
    odd = builder.frame.filter(number.is_not_null() & first17.is_null()).get_column("__id").unique()
    odd_problem = odd.to_frame("v").select(_id_format_problem(pl.col("v"))).to_series()
    builder.add(
        __id_problem=pl.when(number.is_null())
        .then(None)
        .when(first17.is_null())
        .then(number.replace_strict(odd, odd_problem, default=None, return_dtype=pl.String))
        .when(birth.is_null())
        .then(pl.lit("birth"))
        .when(birth < EARLIEST_DATE)
        .then(pl.lit("early"))
        .when(birth > today)
        .then(pl.lit("future"))
        .when(~(first17 // 100_000_000_000).is_in(known))
        .then(pl.lit("region"))
        .when(checksum_wrong & number.str.ends_with("000"))
        .then(pl.lit("zeros"))
        .when(checksum_wrong)
        .then(pl.lit("checksum"))
    )
    fine = number.is_not_null() & pl.col("__id_problem").is_null()
    builder.add(
        __id_birth=pl.when(fine).then(birth),
        __id_sex=pl.when(fine).then(
            pl.when(first17 % 2 == 1).then(pl.lit(idnumber.SEX_MALE)).otherwise(pl.lit(idnumber.SEX_FEMALE))
        ),
    )
    builder.check(field, pl.col("__id_problem").is_not_null(), _id_message())
    builder.outputs[field] = number
