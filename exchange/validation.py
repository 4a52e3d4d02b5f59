"""Row checks for a parsed 户籍 or 学籍 file, column-wise in polars.

``validate`` turns the strings of a ``ParsedTable`` into typed values with the models' codes and
lists every problem as (row, column, masked value, translated reason). A row with any problem is
rejected whole; the others go on, so valid rows + rejected rows = data rows.

Per-row work is done by polars expressions; Python only maps the *distinct* values of a column
(gender words, status words, place names), which are few even in a large file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

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
from registry.codes import ethnicity_from_text, gender_from_text, relationship_from_text

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

EARLIEST_DATE: Final = date(1900, 1, 1)
EXCEL_EPOCH: Final = date(1899, 12, 30)
# Placeholders people type into an empty cell.
_PLACEHOLDERS: Final = ["-", "--", "—", "——", "－", "/", "\\", "无", "暂无", "空", "N/A", "n/a", "NULL", "null", "#N/A"]
_FORMULA_START: Final = r"^[=+\-@]"
_EXCEL_NUMBER: Final = r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)E[+-]?[0-9]+|[0-9]*\.[0-9]*)$"
_FULL_WIDTH: Final = [chr(c) for c in range(0xFF10, 0xFF1A)] + ["Ｘ", "ｘ", "Ｅ", "ｅ", "．", "＋", "－", "（", "）"]
_HALF_WIDTH: Final = [chr(c) for c in range(0x30, 0x3A)] + ["X", "x", "E", "e", ".", "+", "-", "(", ")"]

PERSON_STATUS_WORDS: Final = {
    "normal": ("正常", "在册", "有效", "户籍正常", "正常户口", "normal"),
    "moved_out": ("迁出", "已迁出", "迁移", "外迁", "户口迁出", "迁往外地", "迁出注销", "moved_out", "movedout"),
    "deceased": ("死亡", "已死亡", "亡故", "去世", "已故", "死亡注销", "deceased", "dead"),
    "cancelled": ("注销", "已注销", "户口注销", "销户", "cancelled", "canceled"),
}
STUDENT_STATUS_WORDS: Final = {
    "enrolled": ("在读", "在校", "在籍", "在学", "正常", "enrolled"),
    "suspended": ("休学", "suspended"),
    "transferred": ("转出", "已转出", "转学", "转走", "transferred"),
    "dropped_out": ("辍学", "失学", "退学", "dropped_out", "droppedout"),
    "graduated": ("毕业", "已毕业", "graduated"),
}
BOOLEAN_WORDS: Final = {
    True: ("是", "y", "yes", "1", "true", "√", "住校", "寄宿", "留守", "留守儿童"),
    False: ("否", "n", "no", "0", "false", "×", "走读", "不住校", "非住校", "非寄宿", "非留守", "不是"),
}


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


# ---------------------------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------------------------

PROVINCE, PREFECTURE, COUNTY, TOWNSHIP, VILLAGE = "province", "prefecture", "county", "township", "village"
_PREFIX_LENGTH: Final = {PROVINCE: 2, PREFECTURE: 4, COUNTY: 6, TOWNSHIP: 9, VILLAGE: 12}
_PLACEHOLDER_NAMES: Final = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
_SHORT_SUFFIXES: Final = {
    PROVINCE: ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"),
    PREFECTURE: ("地区", "市", "盟"),
    COUNTY: ("市", "县", "区"),
}
_VILLAGE_COMMITTEE: Final = ("村民委员会", "村委会")
_RESIDENTS_COMMITTEE: Final = ("社区居民委员会", "社区居委会", "居民委员会", "居委会")

# Why a place could not be resolved.
UNKNOWN, NOT_VILLAGE, AMBIGUOUS, ELSEWHERE = "unknown", "not_village", "ambiguous", "elsewhere"


def place_key(text: str) -> str:
    """Place text reduced for matching: half-width, no spaces, no leading country name."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for country in ("中华人民共和国", "中国"):
        if value.startswith(country):
            value = value[len(country) :]
    return value


def _short_forms(name: str, level: str) -> set[str]:
    forms = set()
    for suffix in _SHORT_SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            forms.add(name[: -len(suffix)])
            break
    return forms


def village_names(name: str) -> tuple[set[str], set[str]]:
    """(names the village may be written as at the start of an address, names accepted only alone).

    东大村委会 may be written 东大村委会, 东大村民委员会 or 东大村, and alone as 东大; 新区社区居委会 as
    新区社区 or 新区社区居民委员会.
    """
    key = place_key(name)
    prefix, alone = {key}, set()
    for suffix in _VILLAGE_COMMITTEE:
        if key.endswith(suffix) and len(key) > len(suffix):
            base = key[: -len(suffix)]
            prefix |= {base + s for s in _VILLAGE_COMMITTEE}
            prefix.add(base if base.endswith("村") else base + "村")
            alone.add(base.removesuffix("村") or base)
            return prefix, alone
    for suffix in _RESIDENTS_COMMITTEE:
        if key.endswith(suffix) and len(key) > len(suffix):
            base = key[: -len(suffix)]
            prefix |= {base + s for s in _RESIDENTS_COMMITTEE}
            prefix |= {base + "社区", base + "居委会", base + "居民委员会"}
            alone.add(base)
            return prefix, alone
    if key.endswith("村"):
        prefix |= {key + "委会", key + "民委员会"}
        alone.add(key[:-1])
    elif key.endswith("社区"):
        prefix |= {key + "居委会", key + "居民委员会"}
        alone.add(key[:-2])
    return prefix, {a for a in alone if len(a) >= 2}


def township_names(name: str) -> set[str]:
    key = place_key(name)
    names = {key}
    if key.endswith("街道"):
        names |= {key + "办事处", key + "办"}
    return names


class _Names:
    """Name -> codes, looked up by every name length present, longest first."""

    def __init__(self) -> None:
        self.codes: dict[str, set[str]] = {}
        self.lengths: list[int] = []

    def add(self, name: str, code: str) -> None:
        if name:
            self.codes.setdefault(name, set()).add(code)

    def freeze(self) -> None:
        self.lengths = sorted({len(n) for n in self.codes}, reverse=True)

    def at_start(self, text: str) -> Iterable[tuple[str, int]]:
        for length in self.lengths:
            if length <= len(text):
                for code in self.codes.get(text[:length], ()):
                    yield code, length


class RegionIndex:
    """Villages and townships under a code prefix, plus every province, prefecture and county.

    Built once per import (``RegionIndex.build``); resolves a 12-digit code or a name path such as
    福建省莆田市涵江区江口镇东大村 to a village code, and a place of residence to a county code.
    """

    def __init__(
        self,
        *,
        villages: Iterable[tuple[str, str]],
        townships: Iterable[tuple[str, str]],
        higher: Iterable[tuple[str, str, str]],
    ) -> None:
        self.village_codes: set[str] = set()
        self.township_codes: set[str] = set()
        self.higher_level: dict[str, str] = {}
        self._higher = {PROVINCE: _Names(), PREFECTURE: _Names(), COUNTY: _Names()}
        self._higher_short = {PROVINCE: _Names(), PREFECTURE: _Names(), COUNTY: _Names()}
        self._townships = _Names()
        self._villages: dict[str, _Names] = {}  # township code -> names
        self._villages_alone: dict[str, dict[str, set[str]]] = {}
        for code, name, level in higher:
            if level not in self._higher or name in _PLACEHOLDER_NAMES:
                continue
            self.higher_level[code] = level
            self._higher[level].add(place_key(name), code)
            for short in _short_forms(place_key(name), level):
                self._higher_short[level].add(short, code)
        for code, name in townships:
            self.township_codes.add(code)
            for variant in township_names(name):
                self._townships.add(variant, code)
        for code, name in villages:
            self.village_codes.add(code)
            township = code[:9] + "000"
            prefix, alone = village_names(name)
            names = self._villages.setdefault(township, _Names())
            for variant in prefix:
                names.add(variant, code)
            for variant in alone:
                self._villages_alone.setdefault(township, {}).setdefault(variant, set()).add(code)
        for names in (*self._higher.values(), *self._higher_short.values(), self._townships, *self._villages.values()):
            names.freeze()
        self._covered = {c[:n] for c in self.village_codes | self.township_codes for n in (2, 4, 6)}

    @classmethod
    def build(cls, prefix: str) -> RegionIndex:
        from regions.models import Level, Region

        local = Region.objects.filter(code__startswith=prefix, level__in=[Level.TOWNSHIP, Level.VILLAGE])
        rows = list(local.order_by("-is_active", "code").values_list("code", "name", "level"))
        higher = Region.objects.filter(level__in=[Level.PROVINCE, Level.PREFECTURE, Level.COUNTY])
        return cls(
            villages=[(c, n) for c, n, level in rows if level == Level.VILLAGE],
            townships=[(c, n) for c, n, level in rows if level == Level.TOWNSHIP],
            higher=higher.order_by("-is_active", "code").values_list("code", "name", "level"),
        )

    def _within(self, code: str, ancestor: str | None) -> bool:
        return ancestor is None or code.startswith(ancestor[: _PREFIX_LENGTH[self.higher_level[ancestor]]])

    def _ancestor_splits(self, text: str, *, short_counties: bool) -> list[tuple[str, str | None]]:
        """Every way to strip a leading province, prefecture and county name: (rest, deepest code)."""
        stage: list[tuple[str, str | None]] = [(text, None)]
        for level in (PROVINCE, PREFECTURE, COUNTY):
            tables = [self._higher[level]]
            if level != COUNTY or short_counties:
                tables.append(self._higher_short[level])
            found = [
                (rest[length:], code)
                for rest, ancestor in stage
                for table in tables
                for code, length in table.at_start(rest)
                if self._within(code, ancestor)
            ]
            stage += found
        return stage

    def resolve_village(self, text: str) -> tuple[str | None, str]:
        """(village code, "") or (None, why): unknown, not_village, ambiguous or elsewhere."""
        key = place_key(text)
        if not key:
            return None, UNKNOWN
        found: set[str] = set()
        problems: set[str] = set()
        for rest, ancestor in self._ancestor_splits(key, short_counties=False):
            if ancestor is not None and ancestor[: _PREFIX_LENGTH[self.higher_level[ancestor]]] not in self._covered:
                problems.add(ELSEWHERE)
                continue
            if not rest and ancestor is not None:
                problems.add(NOT_VILLAGE)
            for township, length in self._townships.at_start(rest):
                if not self._within(township, ancestor):
                    continue
                remainder = rest[length:]
                if not remainder:
                    problems.add(NOT_VILLAGE)
                    continue
                names = self._villages.get(township)
                matches = {code for code, _length in names.at_start(remainder)} if names else set()
                if names and matches:
                    # Only the longest name that matches counts (东大村委会 before 东大村).
                    longest = max(length for _code, length in names.at_start(remainder))
                    matches = {code for code, n in names.at_start(remainder) if n == longest}
                matches |= self._villages_alone.get(township, {}).get(remainder, set())
                found |= matches
        if len(found) == 1:
            return found.pop(), ""
        if found:
            return None, AMBIGUOUS
        for problem in (NOT_VILLAGE, ELSEWHERE):
            if problem in problems:
                return None, problem
        return None, UNKNOWN

    def resolve_residence(self, text: str) -> str | None:
        """The most precise code (county, else prefecture or province) for a place of residence."""
        key = place_key(text)
        if not key:
            return None
        if key.isascii() and key.isdigit() and len(key) in (6, 9, 12):
            code = key.ljust(12, "0")
            county = code[:6] + "000000"
            if county in self.higher_level:
                return county
            return code if code in self.higher_level else None
        best: set[str] = set()
        best_depth = -1
        for _rest, ancestor in self._ancestor_splits(key, short_counties=True):
            if ancestor is None:
                continue
            depth = _PREFIX_LENGTH[self.higher_level[ancestor]]
            if depth > best_depth:
                best, best_depth = {ancestor}, depth
            elif depth == best_depth:
                best.add(ancestor)
        if len(best) == 1:
            return best.pop()
        if not best:
            village, _problem = self.resolve_village(key)
            if village:
                return village[:6] + "000000"
        return None


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

_PLACEHOLDER: Final = re.compile(r"%\((\w+)\)s")


def _fmt(template: str, **params: pl.Expr | str) -> pl.Expr:
    """A translated template with %(name)s placeholders filled per row."""
    pieces: list[pl.Expr] = []
    for i, part in enumerate(_PLACEHOLDER.split(template)):
        if i % 2:
            value = params[part]
            pieces.append(value if isinstance(value, pl.Expr) else pl.lit(value))
        elif part:
            pieces.append(pl.lit(part.replace("%%", "%")))
    return pl.concat_str(pieces)


@dataclass
class _Check:
    field: str  # "" for the whole row
    condition: pl.Expr  # true on a row with this problem
    message: pl.Expr | str  # evaluated on the rejected rows only


class _Builder:
    """The frame, widened column by column with helper columns, and the checks found so far."""

    def __init__(self, frame: pl.DataFrame, columns: Mapping[str, Column]) -> None:
        self.frame = frame
        self.columns = columns
        self.checks: list[_Check] = []
        self.outputs: dict[str, pl.Expr] = {}  # field -> typed value, over the widened frame

    def add(self, **exprs: pl.Expr) -> None:
        self.frame = self.frame.with_columns(**exprs)

    def check(self, field: str, condition: pl.Expr, message: pl.Expr | str) -> None:
        self.checks.append(_Check(field, condition, message))

    def mapped(self, source: str, function: Callable[[Any], Any], dtype: pl.DataType) -> pl.Expr:
        """``function`` of each distinct value of a column, as an expression (null where it gives None)."""
        uniques = self.frame.get_column(source).drop_nulls().unique()
        results = pl.Series([function(value) for value in uniques.to_list()], dtype=dtype)
        if uniques.is_empty():
            return pl.lit(None, dtype=dtype)
        return pl.col(source).replace_strict(uniques, results, default=None, return_dtype=dtype)

    def mapped_series(self, source: str, function: Callable[[pl.Series], pl.Series], dtype: pl.DataType) -> pl.Expr:
        """Like ``mapped`` with a vectorised ``function`` over the distinct values."""
        uniques = self.frame.get_column(source).drop_nulls().unique()
        if uniques.is_empty():
            return pl.lit(None, dtype=dtype)
        return pl.col(source).replace_strict(uniques, function(uniques), default=None, return_dtype=dtype)


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


def _on_odd_values(builder: _Builder, field: str, usual: str, clean: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``clean`` applied only to the distinct values that do not already match the ``usual`` pattern."""
    raw = pl.col(field)
    odd = builder.frame.filter(raw.is_not_null() & ~raw.str.contains(usual)).get_column(field).unique()
    if odd.is_empty():
        return raw
    cleaned = odd.to_frame("v").select(clean(pl.col("v"))).to_series()
    return raw.replace(odd, cleaned)


def _clean_code(value: pl.Expr) -> pl.Expr:
    """Digits and letters half-width, spaces and Excel's leading apostrophe removed, upper case."""
    return (
        value.str.replace_many(_FULL_WIDTH, _HALF_WIDTH)
        .str.replace_all(r"[\s\u3000\u200b\ufeff]", "")
        .str.strip_prefix("'")
        .str.to_uppercase()
    )


# ---------------------------------------------------------------------------------------------
# Column checks
# ---------------------------------------------------------------------------------------------


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


def parse_dates(raw: pl.Expr) -> pl.Expr:
    """2010-05-03, 2010/5/3, 2010.5.3, 20100503, 2010年5月3日 or an Excel serial, with or without a time."""
    day = raw.str.replace(r"[T\s].*$", "").str.replace(r"日$", "")
    parts = day.str.replace_all(r"[年月/.\-]", "-").str.extract_groups(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
    ymd = pl.concat_str(
        parts.struct.field("1"),
        parts.struct.field("2").str.zfill(2),
        parts.struct.field("3").str.zfill(2),
        separator="-",
    ).str.to_date("%Y-%m-%d", strict=False)
    compact = pl.when(day.str.contains(r"^\d{8}$")).then(day.str.to_date("%Y%m%d", strict=False))
    serial = pl.when(day.str.contains(r"^\d{5}(?:\.\d+)?$")).then(
        pl.lit(EXCEL_EPOCH) + pl.duration(days=day.cast(pl.Float64, strict=False).floor().cast(pl.Int64))
    )
    return pl.coalesce(ymd, compact, serial.cast(pl.Date))


def _date(builder: _Builder, column: Column, today: date, *_rest: object) -> None:
    field, header = column.field, column.header
    raw = pl.col(field)

    def parse(values: pl.Series) -> pl.Series:
        quick = values.str.to_date("%Y-%m-%d", strict=False)
        rest = values.filter(quick.is_null())
        if rest.is_empty():
            return quick
        parsed = rest.to_frame("v").select(parse_dates(pl.col("v"))).to_series()
        return quick.fill_null(values.replace_strict(rest, parsed, default=None, return_dtype=pl.Date))

    builder.add(**{f"__date_{field}": builder.mapped_series(field, parse, pl.Date())})
    value = pl.col(f"__date_{field}")
    builder.outputs[field] = value
    builder.check(
        field,
        raw.is_not_null() & value.is_null(),
        _("%(column)s is not a real date. Write it like 2010-05-03, 2010/5/3 or 20100503.") % {"column": header},
    )
    builder.check(field, value < EARLIEST_DATE, _("%(column)s is before 1900. Check the date.") % {"column": header})
    builder.check(field, value > today, _("%(column)s is in the future. Check the date.") % {"column": header})


def _choice(message: Callable[[], str], function: Callable[[str], Any], dtype: pl.DataType) -> _Handler:
    def handler(builder: _Builder, column: Column, *_rest: object) -> None:
        field = column.field
        builder.add(**{f"__choice_{field}": builder.mapped(field, function, dtype)})
        value = pl.col(f"__choice_{field}")
        builder.outputs[field] = value
        builder.check(field, pl.col(field).is_not_null() & value.is_null(), message() % {"column": column.header})

    return handler


def _words(table: Mapping[Any, tuple[str, ...]]) -> Callable[[str], Any]:
    lookup = {re.sub(r"[\s_]+", "", word).casefold(): value for value, words in table.items() for word in words}

    def function(text: str) -> Any:
        return lookup.get(re.sub(r"[\s_]+", "", unicodedata.normalize("NFKC", text)).casefold())

    return function


def _gender(text: str) -> str | None:
    code = gender_from_text(text)
    return code if code in (idnumber.SEX_MALE, idnumber.SEX_FEMALE) else None


def _clean_phone(value: pl.Expr) -> pl.Expr:
    return (
        value.str.replace_many(_FULL_WIDTH, _HALF_WIDTH)
        .str.replace_all(r"[\s\u3000]", "")
        .str.strip_prefix("'")
        .str.replace(r"^(?:\+?86)(1[0-9]{10})$", "${1}")
        .str.replace(r"^\((0[0-9]{2,3})\)-?", "${1}-")
    )


def _phone(builder: _Builder, column: Column, *_rest: object) -> None:
    field = column.field
    builder.add(**{f"__phone_{field}": _on_odd_values(builder, field, r"^1[3-9][0-9]{9}$", _clean_phone)})
    value = pl.col(f"__phone_{field}")
    builder.outputs[field] = value
    builder.check(
        field,
        ~value.str.contains(r"^(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$"),
        _(
            "The phone number is not valid. Enter one 11-digit mobile number, or a landline with its "
            "area code such as 0594-1234567."
        ),
    )


def _region(builder: _Builder, column: Column, _today: date, regions: RegionIndex, batch_prefix: str) -> None:
    field = column.field
    raw = pl.col(field)

    def resolve(key: str) -> str:
        """The village code, or "!" and why not."""
        if key.isascii() and key.isdigit():
            if len(key) != 12:
                return "!length"
            if not key.startswith(batch_prefix):
                return "!" + ELSEWHERE
            if key in regions.village_codes:
                return key
            if key in regions.township_codes or key in regions.higher_level:
                return "!" + NOT_VILLAGE
            return "!" + UNKNOWN
        code, problem = regions.resolve_village(key)
        if code is None:
            return "!" + problem
        return code if code.startswith(batch_prefix) else "!" + ELSEWHERE

    def resolve_all(uniques: pl.Series) -> pl.Series:
        # House numbers after the village do not help: 江口镇东大村12号 -> 江口镇东大村. Cutting them
        # first leaves about one key per village however many addresses the file has.
        value = pl.col("v").str.replace_all(r"\s", "")
        keys = (
            uniques.to_frame("v")
            .select(
                pl.when(value.str.contains(r"^[0-9]")).then(value).otherwise(value.str.replace(r"[0-9０-９].*$", ""))
            )
            .to_series()
        )
        distinct = keys.unique()
        results = pl.Series([resolve(key) for key in distinct.to_list()], dtype=pl.String)
        return keys.replace_strict(distinct, results, return_dtype=pl.String)

    builder.add(__region=builder.mapped_series(field, resolve_all, pl.String()))
    resolved = pl.col("__region")
    builder.outputs[field] = pl.when(resolved.str.starts_with("!")).then(None).otherwise(resolved)
    builder.outputs["address"] = pl.when(raw.str.contains(r"^[0-9]{12}$")).then(None).otherwise(raw)
    messages = {
        "!length": _("A region code must have 12 digits, such as 350303104201."),
        "!" + UNKNOWN: _(
            "The village is not in the list of regions. Write its 12-digit code, or the township and village "
            "names such as 江口镇东大村."
        ),
        "!" + NOT_VILLAGE: _("This is a township or a county, not a village. Give the village too."),
        "!" + AMBIGUOUS: _("The name fits more than one village. Add the township, or write the 12-digit code."),
        "!" + ELSEWHERE: _(
            "This village is outside your jurisdiction. Import only people of your own area, or send the rows "
            "to the office responsible."
        ),
    }
    builder.check(
        field,
        resolved.str.starts_with("!"),
        resolved.replace_strict(messages, default=messages["!" + UNKNOWN], return_dtype=pl.String),
    )


def _residence(builder: _Builder, column: Column, _today: date, regions: RegionIndex, *_rest: object) -> None:
    builder.add(__residence_code=builder.mapped(column.field, regions.resolve_residence, pl.String()))
    builder.outputs["residence_code"] = pl.col("__residence_code")


_Handler = Callable[[_Builder, Column, date, RegionIndex, str], None]
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


# ---------------------------------------------------------------------------------------------
# Across columns and rows
# ---------------------------------------------------------------------------------------------


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
