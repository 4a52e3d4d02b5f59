"""Column schemas of the frames matching reads and writes, and conforming a caller's frame to one.

The input schemas (registry, 户籍, 学籍) and the output schemas (pairs, findings) are described in the
package docstring of :mod:`exchange.matching`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

REGISTRY_SCHEMA = pl.Schema(
    {
        "child_id": pl.Int64(),
        "name": pl.Utf8(),
        "gender": pl.Utf8(),  # "1" male, "2" female (GB/T 2261.1)
        "birth_date": pl.Date(),
        "id_number": pl.Utf8(),
        "region_code": pl.Utf8(),  # hukou village, 12 digits
        "status": pl.Utf8(),  # registry.codes.ChildStatus
        "is_left_behind": pl.Boolean(),
        "father_name": pl.Utf8(),
        "mother_name": pl.Utf8(),
        "father_id": pl.Utf8(),
        "mother_id": pl.Utf8(),
        "schooling": pl.Utf8(),  # registry.codes.SchoolingStatus
        "school_name": pl.Utf8(),
        "grade": pl.Utf8(),
        "is_boarding": pl.Boolean(),
    }
)
HUKOU_SCHEMA = pl.Schema(
    {
        "record_id": pl.Int64(),
        "row_no": pl.Int64(),
        "household_no": pl.Utf8(),
        "name": pl.Utf8(),
        "id_number": pl.Utf8(),
        "gender": pl.Utf8(),
        "birth_date": pl.Date(),
        "relation": pl.Utf8(),  # GB/T 4761, relative to the head of household
        "region_code": pl.Utf8(),
        "address": pl.Utf8(),
        "person_status": pl.Utf8(),  # exchange.models.PersonStatus
        "change_date": pl.Date(),
        "residence_code": pl.Utf8(),  # county code where an adult lives, "" when unknown
        "residence": pl.Utf8(),  # non-empty: lives elsewhere (even when the code did not resolve)
    }
)
STUDENT_SCHEMA = pl.Schema(
    {
        "record_id": pl.Int64(),
        "row_no": pl.Int64(),
        "student_no": pl.Utf8(),
        "name": pl.Utf8(),
        "id_number": pl.Utf8(),
        "gender": pl.Utf8(),
        "birth_date": pl.Date(),
        "school_name": pl.Utf8(),
        "school_code": pl.Utf8(),
        "grade": pl.Utf8(),
        "class_name": pl.Utf8(),
        "is_boarding": pl.Boolean(),
        "student_status": pl.Utf8(),  # exchange.models.StudentStatus
        "flagged_left_behind": pl.Boolean(),
        "region_code": pl.Utf8(),
    }
)
MATCH_SCHEMA = pl.Schema(
    {
        "child_id": pl.Int64(),
        "record_id": pl.Int64(),
        "method": pl.Utf8(),  # "id" | "fuzzy"
        "score": pl.Float64(),
        "reasons": pl.List(pl.Utf8()),
    }
)
DISCREPANCY_SCHEMA = pl.Schema(
    {
        "kind": pl.Utf8(),
        "child_id": pl.Int64(),
        "other_child_id": pl.Int64(),
        "record_id": pl.Int64(),
        "region_code": pl.Utf8(),
        "key": pl.Utf8(),
        "score": pl.Float64(),
        "fields": pl.Utf8(),
        "reasons": pl.List(pl.Utf8()),
    }
)


def _conform(frame: pl.DataFrame, schema: pl.Schema, required: Sequence[str]) -> pl.DataFrame:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    return frame.select(
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in schema.items()
    )
