"""Checks of the other typed columns: coded words, yes/no, phone numbers, regions and residence.

Words (gender, ethnic group, relation, person and student status, yes/no) are looked up for the
distinct values of a column only; the region column is resolved to a village code in the batch's
jurisdiction with ``RegionIndex``, the place of residence to a county code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final

import polars as pl
from django.utils.translation import gettext as _

from core import idnumber
from exchange.columns import Column
from exchange.validation.builder import _FULL_WIDTH, _HALF_WIDTH, _Builder, _Handler, _on_odd_values
from exchange.validation.regions import AMBIGUOUS, ELSEWHERE, NOT_VILLAGE, UNKNOWN, RegionIndex
from registry.codes import gender_from_text

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
