"""What every column check works with: the widening frame (``_Builder``) and shared helpers.

``_Builder`` holds the frame, widened with helper columns, the typed output expression of each
field and the checks found so far; ``_fmt`` fills a translated message per row; ``_on_odd_values``
cleans only the distinct values that are not already in the usual form. ``_Handler`` is the
signature of a column check (see ``core._HANDLERS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import polars as pl

from exchange.columns import Column
from exchange.validation.regions import RegionIndex

_FORMULA_START: Final = r"^[=+\-@]"
_FULL_WIDTH: Final = [chr(c) for c in range(0xFF10, 0xFF1A)] + ["Ｘ", "ｘ", "Ｅ", "ｅ", "．", "＋", "－", "（", "）"]
_HALF_WIDTH: Final = [chr(c) for c in range(0x30, 0x3A)] + ["X", "x", "E", "e", ".", "+", "-", "(", ")"]

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


_Handler = Callable[[_Builder, Column, date, RegionIndex, str], None]


def _on_odd_values(builder: _Builder, field: str, usual: str, clean: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``clean`` applied only to the distinct values that do not already match the ``usual`` pattern."""
    raw = pl.col(field)
    odd = builder.frame.filter(raw.is_not_null() & ~raw.str.contains(usual)).get_column(field).unique()
    if odd.is_empty():
        return raw
    cleaned = odd.to_frame("v").select(clean(pl.col("v"))).to_series()
    return raw.replace(odd, cleaned)
