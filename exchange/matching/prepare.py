"""Prepared frames: the integer columns matching works on, and the 户籍 households.

:func:`_setup` conforms the registry and a source extract to their schemas, cleans the names and
prepares both sides; for a 户籍 extract it adds household ids, parent groups, ages, who lives away,
and the parent names of each row (the household signal of scoring).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from exchange.matching.ids import _clean_id, _id_checksum
from exchange.matching.names import _Names, _with_names
from exchange.matching.schemas import HUKOU_SCHEMA, REGISTRY_SCHEMA, STUDENT_SCHEMA, _conform


def _age(birth: pl.Expr, today: date) -> pl.Expr:
    before = (birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day()) > today.month * 100 + today.day
    return today.year - birth.dt.year().cast(pl.Int32) - before.cast(pl.Int32)


def _prepare(frame: pl.DataFrame, names: _Names, *, parents: bool) -> pl.DataFrame:
    """Add the integer columns matching works on; ``idx`` is the row position.

    ``frame`` already has the cleaned names (:func:`_with_names`): ``_name`` and, with ``parents``, ``_fa``
    and ``_mo``.
    """
    idn = _clean_id(pl.col("id_number"))
    ok = idn.str.contains(r"^\d{17}[\dX]$").fill_null(False)
    d17 = pl.when(ok).then(idn.str.slice(0, 17).cast(pl.Int64, strict=False))
    last = idn.str.slice(17, 1)
    chk = pl.when(ok).then(pl.when(last == "X").then(10).otherwise(last.cast(pl.Int64, strict=False)))
    id_birth = pl.when(ok).then(idn.str.slice(6, 8).str.to_date("%Y%m%d", strict=False))
    id_gender = pl.when(ok).then(idn.str.slice(16, 1).cast(pl.Int32, strict=False) % 2)
    gender = (
        pl.col("gender").fill_null("").replace({"男": "1", "女": "2", "M": "1", "F": "2"}).cast(pl.Int8, strict=False)
    )
    gender = pl.when(gender.is_in([1, 2])).then(gender).when(id_gender == 1).then(1).when(id_gender == 0).then(2)
    out = frame.with_row_index("idx").with_columns(
        pl.col("birth_date").fill_null(id_birth).alias("_birth"),
        d17.alias("d17"),
        chk.alias("chk"),
        gender.alias("g"),
        pl.col("region_code").cast(pl.Int64, strict=False).alias("v"),
    )
    out = out.with_columns(
        (pl.col("d17") * 11 + pl.col("chk")).alias("idk"),
        pl.col("_birth").cast(pl.Int32).alias("bd"),
        (
            pl.col("_birth").dt.year().cast(pl.Int32) * 10000
            + pl.col("_birth").dt.month().cast(pl.Int32) * 100
            + pl.col("_birth").dt.day().cast(pl.Int32)
        )
        .cast(pl.Int32)
        .alias("ymd"),
        (_id_checksum(pl.col("d17")) == pl.col("chk")).fill_null(False).alias("idv"),
    )
    out = names.ids(out, "_name", "nm").join(names.frame.select("nm", "py"), on="nm", how="left")
    if parents:
        out = names.ids(names.ids(out, "_fa", "fa"), "_mo", "mo")
    return out.sort("idx")


# --- Households (户籍) ----------------------------------------------------------------------------


def _hukou_frame(hukou: pl.DataFrame, names: _Names, today: date, county_prefix: str) -> pl.DataFrame:
    """Prepared hukou rows plus household id, parent groups, age and whether the person lives away."""
    b = _prepare(hukou, names, parents=False)
    rel = pl.col("relation").cast(pl.Int32, strict=False)
    residence = pl.col("residence").fill_null("").str.strip_chars()
    code = pl.col("residence_code").fill_null("").str.strip_chars()
    away = ((residence != "") | (code != "")) & ~code.str.starts_with(county_prefix)
    return b.with_columns(
        pl.when(pl.col("household_no").fill_null("").str.strip_chars() != "")
        .then(pl.col("household_no").str.strip_chars().rank("dense"))
        .cast(pl.UInt32)
        .alias("hh"),
        # The group a person's parents are in, and the group the person is a parent in (relative to the head).
        pl.when(rel.is_between(20, 39))
        .then(1)
        .when(rel.is_between(40, 49))
        .then(2)
        .when(rel.is_between(1, 12) | rel.is_between(70, 79))
        .then(3)
        .cast(pl.Int8)
        .alias("pgrp"),
        pl.when(rel.is_between(1, 12))
        .then(1)
        .when(rel.is_between(20, 39))
        .then(2)
        .when(rel.is_between(50, 59))
        .then(3)
        .cast(pl.Int8)
        .alias("grp"),
        _age(pl.col("_birth"), today).alias("age"),
        away.alias("away"),
        (pl.col("person_status").fill_null("normal") == "normal").alias("normal"),
        (pl.col("person_status").fill_null("normal") == "normal").cast(pl.Int8).alias("prio"),
    )


def _parent_names(b: pl.DataFrame) -> pl.DataFrame:
    members = b.filter(pl.col("grp").is_not_null() & pl.col("hh").is_not_null()).select(
        "hh", "grp", pl.col("nm").alias("pnm")
    )
    kids = b.filter(pl.col("pgrp").is_not_null() & pl.col("hh").is_not_null()).select(
        "idx", "hh", pl.col("pgrp").alias("grp")
    )
    return kids.join(members, on=["hh", "grp"]).select("idx", "pnm").drop_nulls().unique()


# --- Setup ---------------------------------------------------------------------------------------


def _source_kind(source: pl.DataFrame) -> str:
    return "hukou" if "household_no" in source.columns or "relation" in source.columns else "school"


def _setup(
    registry: pl.DataFrame, source: pl.DataFrame, kind: str, today: date, county_prefix: str
) -> tuple[pl.DataFrame, pl.DataFrame, _Names, pl.DataFrame | None]:
    reg = _conform(registry, REGISTRY_SCHEMA, ["child_id", "name", "birth_date"]).sort("child_id")
    schema = HUKOU_SCHEMA if kind == "hukou" else STUDENT_SCHEMA
    src = _conform(source, schema, ["record_id", "name"]).sort("record_id")
    reg, src = _with_names(reg, parents=True), _with_names(src, parents=False)
    names = _Names([reg["_name"], reg["_fa"], reg["_mo"], src["_name"]])
    a = _prepare(reg, names, parents=True)
    if kind == "hukou":
        b = _hukou_frame(src, names, today, county_prefix)
        return a, b, names, _parent_names(b)
    status = pl.col("student_status").fill_null("enrolled")
    b = _prepare(src, names, parents=False).with_columns(
        pl.when(status == "enrolled")
        .then(2)
        .when(status.is_in(["suspended", "dropped_out"]))
        .then(1)
        .otherwise(0)
        .cast(pl.Int8)
        .alias("prio")
    )
    return a, b, names, None
