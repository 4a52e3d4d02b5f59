"""``validate`` and ``Validated``: the checks of every column, across columns and across rows.

``validate`` blanks placeholder cells, runs the check of each column type (``_HANDLERS``, from
``ids``, ``dates`` and ``fields``), compares birth date and gender with the ID number, finds
repeated rows and ID numbers, then splits the frame into typed valid rows and masked errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

import polars as pl
from django.utils.translation import gettext as _

from core import idnumber
from exchange.columns import (
    BOOLEAN,
    CODE,
    DATE,
    ETHNICITY,
    GENDER,
    HUKOU,
    ID,
    LEDGER,
    PERSON_STATUS,
    PHONE,
    REGION,
    RELATION,
    RESIDENCE,
    SCHOOL,
    STUDENT_STATUS,
    TEXT,
    Column,
    column_by_field,
)
from exchange.parsing import ROW_COLUMN, ParsedTable
from exchange.validation.builder import _FORMULA_START, _Builder, _fmt, _Handler
from exchange.validation.dates import EARLIEST_DATE, _date
from exchange.validation.fields import (
    BOOLEAN_WORDS,
    PERSON_STATUS_WORDS,
    STUDENT_STATUS_WORDS,
    _choice,
    _gender,
    _phone,
    _region,
    _residence,
    _words,
)
from exchange.validation.ids import _code, _id_number
from exchange.validation.regions import RegionIndex
from registry.codes import ethnicity_from_text, relationship_from_text

# The columns of ``Validated.valid`` after "_row", in the models' field order.
HUKOU_FIELDS: Final = (
    "household_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "ethnicity",
    "relation",
    "region_code",
    "address",
    "nature",
    "person_status",
    "change_date",
    "residence_code",
    "residence",
    "phone",
)
SCHOOL_FIELDS: Final = (
    "student_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "school_name",
    "school_code",
    "grade",
    "class_name",
    "is_boarding",
    "student_status",
    "flagged_left_behind",
    "guardian_name",
    "guardian_phone",
    "region_code",
)
DATE_FIELDS: Final = frozenset({"birth_date", "change_date"})
BOOLEAN_FIELDS: Final = frozenset({"is_boarding", "flagged_left_behind"})
ERROR_SCHEMA: Final = {ROW_COLUMN: pl.Int64, "column": pl.String, "value": pl.String, "message": pl.String}
VALUE_LENGTH: Final = 100  # RowError.value
# Placeholders people type into an empty cell.
_PLACEHOLDERS: Final = ["-", "--", "—", "——", "－", "/", "\\", "无", "暂无", "空", "N/A", "n/a", "NULL", "null", "#N/A"]


@dataclass
class Validated:
    # "_row" then every canonical field, typed (dates pl.Date, booleans pl.Boolean, strings "" when
    # blank); for 户籍 also "address" (the 户籍地址 text) and "residence_code".
    valid: pl.DataFrame
    # _row, column (canonical field, "" for the whole row), value (masked), message (translated).
    errors: pl.DataFrame

    @property
    def rows_rejected(self) -> int:
        return self.errors[ROW_COLUMN].n_unique()


def validate(kind: str, table: ParsedTable, *, regions: RegionIndex, today: date, batch_prefix: str) -> Validated:
    """Type and check every row of ``table``; see ``Validated``."""
    if kind == LEDGER:
        strings = [c for c in table.frame.columns if c != ROW_COLUMN]
        return Validated(
            valid=table.frame.with_columns(pl.col(c).fill_null("") for c in strings),
            errors=pl.DataFrame(schema=ERROR_SCHEMA),
        )
    if kind not in (HUKOU, SCHOOL):
        raise ValueError(f"unknown import kind {kind!r}")

    columns = column_by_field(kind)
    present = [c for c in table.frame.columns if c in columns]
    frame = table.frame.with_columns(
        *(pl.when(pl.col(c).is_in(_PLACEHOLDERS)).then(None).otherwise(pl.col(c)).alias(c) for c in present),
        *(pl.lit(None, dtype=pl.String).alias(f) for f in columns if f not in present),
    )
    builder = _Builder(frame, columns)
    for column in columns.values():
        _check_column(builder, kind, column, today=today, regions=regions, batch_prefix=batch_prefix)
    _cross_checks(builder, columns)
    duplicates = _duplicates(builder, present)

    names = [f"__check{i}" for i in range(len(builder.checks))]
    result = builder.frame.with_columns(
        *(check.condition.fill_null(False).alias(name) for check, name in zip(builder.checks, names, strict=True))
    ).with_columns(
        (pl.any_horizontal(*names) | pl.col(ROW_COLUMN).is_in(duplicates[ROW_COLUMN].implode())).alias("__rejected")
    )
    output = HUKOU_FIELDS if kind == HUKOU else SCHOOL_FIELDS
    valid = (
        result.lazy()
        .filter(~pl.col("__rejected"))
        .select(pl.col(ROW_COLUMN), *(_output(f, builder.outputs) for f in output))
        .collect()
    )
    rejected = result.filter(pl.col("__rejected"))
    parts = [
        rejected.filter(pl.col(name)).select(
            pl.col(ROW_COLUMN),
            pl.lit(check.field).alias("column"),
            _masked(check.field, columns),
            (check.message if isinstance(check.message, pl.Expr) else pl.lit(check.message)).alias("message"),
        )
        for check, name in zip(builder.checks, names, strict=True)
    ]
    errors = (
        pl.concat([duplicates, *parts], how="vertical_relaxed")
        .with_row_index("__order")
        .sort(ROW_COLUMN, "__order")
        .drop("__order")
    )
    return Validated(valid=valid, errors=errors)


def _output(field: str, outputs: Mapping[str, pl.Expr]) -> pl.Expr:
    value = outputs.get(field, pl.col(field))
    if field in DATE_FIELDS:
        return value.cast(pl.Date).alias(field)
    if field in BOOLEAN_FIELDS:
        return value.cast(pl.Boolean).alias(field)
    return value.cast(pl.String).fill_null("").alias(field)


def _masked(field: str, columns: Mapping[str, Column]) -> pl.Expr:
    """The value as the file has it; an ID number keeps its first 6 and last 4, a phone its last 4."""
    if field not in columns:
        return pl.lit("").alias("value")
    value = pl.col(field).fill_null("")
    kind = columns[field].type
    if kind in (ID, PHONE):
        length = value.str.len_chars()
        last4 = value.str.slice(-4, 4)
        stars = pl.lit("*" * VALUE_LENGTH).str.slice(0, (length - 4).clip(lower_bound=0))
        masked = pl.when(length > 4).then(pl.concat_str(stars, last4)).otherwise(pl.lit("****").str.slice(0, length))
        if kind == ID:
            first6 = pl.concat_str(value.str.slice(0, 6), pl.lit("*" * 8), last4)
            masked = pl.when(length == idnumber.LENGTH).then(first6).otherwise(masked)
        value = masked
    return value.str.slice(0, VALUE_LENGTH).alias("value")


def _check_column(
    builder: _Builder, kind: str, column: Column, *, today: date, regions: RegionIndex, batch_prefix: str
) -> None:
    field, header = column.field, column.header
    raw = pl.col(field)
    derivable = field in ("gender", "birth_date")  # taken from the ID number when left empty
    if column.required and not derivable and not (kind == SCHOOL and field == "id_number"):
        empty = str(idnumber.EMPTY_MESSAGE) if column.type == ID else _("%(column)s is empty. Fill it in.")
        builder.check(field, raw.is_null(), empty % {"column": header} if "%(" in empty else empty)
    if column.type in (TEXT, CODE, RESIDENCE, REGION):
        builder.check(
            field,
            raw.str.contains(_FORMULA_START),
            _fmt(
                _(
                    "%(column)s starts with “%(character)s”, which a spreadsheet would run as a formula. "
                    "Remove that character."
                ),
                column=header,
                character=raw.str.slice(0, 1),
            ),
        )
        if column.max_length:
            builder.check(
                field,
                raw.str.len_chars() > column.max_length,
                _("%(column)s is too long: at most %(count)s characters.")
                % {"column": header, "count": column.max_length},
            )
    if field in ("name", "guardian_name"):
        builder.check(
            field,
            (raw.str.len_chars() < 2) & ~raw.str.contains(_FORMULA_START),
            _("%(column)s must have at least 2 characters.") % {"column": header},
        )
    handler = _HANDLERS.get(column.type)
    if handler is not None:
        handler(builder, column, today, regions, batch_prefix)


_HANDLERS: Final[dict[str, _Handler]] = {
    RESIDENCE: _residence,
    CODE: _code,
    ID: _id_number,
    DATE: _date,
    GENDER: _choice(lambda: _("The gender must be 男 or 女 (or 1 or 2)."), _gender, pl.String()),
    ETHNICITY: _choice(
        lambda: _("The ethnic group is not recognised. Write its name, such as 汉族, or its two-digit code."),
        ethnicity_from_text,
        pl.String(),
    ),
    RELATION: _choice(
        lambda: _(
            "The relation to the head of household is not recognised. Use a name such as 户主, 配偶, 子, 女 or "
            "孙子, or its GB/T 4761 code."
        ),
        relationship_from_text,
        pl.String(),
    ),
    PERSON_STATUS: _choice(
        lambda: _("The status must be 正常, 迁出, 死亡 or 注销."), _words(PERSON_STATUS_WORDS), pl.String()
    ),
    STUDENT_STATUS: _choice(
        lambda: _("The student status must be 在读, 休学, 转出, 辍学 or 毕业."),
        _words(STUDENT_STATUS_WORDS),
        pl.String(),
    ),
    BOOLEAN: _choice(lambda: _("%(column)s must be 是 or 否."), _words(BOOLEAN_WORDS), pl.Boolean()),
    PHONE: _phone,
    REGION: _region,
}


def _cross_checks(builder: _Builder, columns: Mapping[str, Column]) -> None:
    """Birth date and gender against the ID number; taken from it when left empty."""
    outputs = builder.outputs
    id_birth, id_sex = pl.col("__id_birth"), pl.col("__id_sex")
    birth, gender = outputs["birth_date"], outputs["gender"]
    builder.check(
        "birth_date",
        birth.is_not_null() & id_birth.is_not_null() & (birth != id_birth),
        _fmt(
            _("The date of birth does not match the ID number, which gives %(date)s. Check both."),
            date=id_birth.dt.strftime("%Y-%m-%d"),
        ),
    )
    builder.check(
        "gender",
        gender.is_not_null() & id_sex.is_not_null() & (gender != id_sex),
        _("The gender does not match the ID number (its 17th digit is odd for men and even for women). Check both."),
    )
    outputs["birth_date"] = pl.coalesce(birth, id_birth)
    outputs["gender"] = pl.coalesce(gender, id_sex)
    if "change_date" in columns:
        builder.check(
            "change_date",
            (outputs["change_date"] < outputs["birth_date"]) & (outputs["change_date"] >= EARLIEST_DATE),
            _("%(column)s is before the date of birth. Check both.") % {"column": columns["change_date"].header},
        )


def _duplicates(builder: _Builder, present: list[str]) -> pl.DataFrame:
    """Errors for a later row identical to an earlier one, or with the same ID number.

    Identical rows have the same ID number, so only rows whose ID number repeats (or is empty) are
    compared field by field.
    """
    row = pl.col(ROW_COLUMN)
    frame = builder.frame
    candidates = frame.filter(pl.col("__id").is_null() | pl.col("__id").is_duplicated())
    if candidates.is_empty():
        return pl.DataFrame(schema=ERROR_SCHEMA)
    marked = candidates.with_columns(
        row.min().over(present).alias("__same_row"),
        pl.when(pl.col("__id").is_not_null()).then(row.min().over("__id")).alias("__same_id"),
    )
    repeated = marked.filter(pl.col("__same_row") != row).select(
        row,
        pl.lit("").alias("column"),
        pl.lit("").alias("value"),
        _fmt(
            _("This row repeats row %(row)s. Delete the repeated row."), row=pl.col("__same_row").cast(pl.String)
        ).alias("message"),
    )
    # An ID number that is itself wrong (Excel's 3.50303E+17, a bad checksum) already has its own
    # error; "same as row N" would only repeat it.
    sound = pl.col("__id_problem").is_null() if "__id_problem" in marked.columns else pl.lit(True)
    same_id = marked.filter((pl.col("__same_row") == row) & (pl.col("__same_id") != row) & sound).select(
        row,
        pl.lit("id_number").alias("column"),
        _masked("id_number", builder.columns),
        _fmt(
            _("The same ID number as row %(row)s. Keep only one row for each person."),
            row=pl.col("__same_id").cast(pl.String),
        ).alias("message"),
    )
    return pl.concat([repeated, same_id]).cast(ERROR_SCHEMA)  # type: ignore[arg-type]
