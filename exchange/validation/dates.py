"""Date columns: ``parse_dates`` for the ways people and Excel write a date, and the date checks."""

from __future__ import annotations

from datetime import date
from typing import Final

import polars as pl
from django.utils.translation import gettext as _

from exchange.columns import Column
from exchange.validation.builder import _Builder

EARLIEST_DATE: Final = date(1900, 1, 1)
EXCEL_EPOCH: Final = date(1899, 12, 30)


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
