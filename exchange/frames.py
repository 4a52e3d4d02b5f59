"""Registry and staged rows as polars frames, the input of ``exchange.matching``.

Rows are fetched with plain ``values_list`` cursors (no model instances) and turned into
columnar frames once; matching then runs in process on both databases.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db.models import F
from django.db.models.functions import Coalesce

from exchange.models import HukouRecord, ImportBatch, StudentRecord
from registry.codes import ChildStatus, Relationship
from registry.models import Child, FamilyMember

REGISTRY_SCHEMA: dict[str, Any] = {
    "child_id": pl.Int64,
    "name": pl.Utf8,
    "gender": pl.Utf8,
    "birth_date": pl.Date,
    "id_number": pl.Utf8,
    "region_code": pl.Utf8,
    "status": pl.Utf8,
    "is_left_behind": pl.Boolean,
    "schooling": pl.Utf8,
    "school_name": pl.Utf8,
    "grade": pl.Utf8,
    "is_boarding": pl.Boolean,
}
PARENT_SCHEMA: dict[str, Any] = {"child_id": pl.Int64, "relationship": pl.Utf8, "pname": pl.Utf8, "pid": pl.Utf8}

HUKOU_FIELDS = [
    "id",
    "row_no",
    "household_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "relation",
    "region_code",
    "address",
    "person_status",
    "change_date",
    "residence_code",
    "residence",
]
STUDENT_FIELDS = [
    "id",
    "row_no",
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
    "region_code",
]
_DATE_FIELDS = {"birth_date", "change_date"}
_BOOL_FIELDS = {"is_boarding", "flagged_left_behind"}


def registry_frame(prefix: str, *, include_exited: bool = True) -> pl.DataFrame:
    """Children whose household village lies under ``prefix``, with their parents' names and IDs.

    Exited files are included: an exited child still accounts for its 户籍 row, so that it does
    not come back as an omission (matching reports "not found" for registered files only).
    """
    children = Child.objects.filter(region_code__startswith=prefix)
    if not include_exited:
        children = children.exclude(status=ChildStatus.EXITED)
    rows = children.annotate(school_label=Coalesce(F("school__name"), F("school_name"))).values_list(
        "pk",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "region_code",
        "status",
        "is_left_behind",
        "schooling",
        "school_label",
        "grade",
        "is_boarding",
    )
    frame = pl.DataFrame(list(rows.iterator(chunk_size=5000)), schema=REGISTRY_SCHEMA, orient="row")
    parents = FamilyMember.objects.filter(
        child__in=children, relationship__in=[Relationship.FATHER, Relationship.MOTHER]
    ).values_list("child_id", "relationship", "name", "id_number")
    parent_frame = pl.DataFrame(list(parents.iterator(chunk_size=5000)), schema=PARENT_SCHEMA, orient="row")
    for code, label in ((Relationship.FATHER, "father"), (Relationship.MOTHER, "mother")):
        one = (
            parent_frame.filter(pl.col("relationship") == code)
            .group_by("child_id")
            .agg(pl.col("pname").first().alias(f"{label}_name"), pl.col("pid").first().alias(f"{label}_id"))
        )
        frame = frame.join(one, on="child_id", how="left")
    return frame.with_columns(pl.col("id_number").replace("", None))


def _staged(model: type[HukouRecord] | type[StudentRecord], batch: ImportBatch, fields: list[str]) -> pl.DataFrame:
    schema: dict[str, Any] = {}
    for name in fields:
        if name in _DATE_FIELDS:
            schema[name] = pl.Date
        elif name in _BOOL_FIELDS:
            schema[name] = pl.Boolean
        elif name in {"id", "row_no"}:
            schema[name] = pl.Int64
        else:
            schema[name] = pl.Utf8
    rows = model.objects.filter(batch=batch).order_by("row_no").values_list(*fields)
    frame = pl.DataFrame(list(rows.iterator(chunk_size=10000)), schema=schema, orient="row")
    return frame.rename({"id": "record_id"}).with_columns(pl.col("id_number").replace("", None))


def hukou_frame(batch: ImportBatch) -> pl.DataFrame:
    return _staged(HukouRecord, batch, HUKOU_FIELDS)


def student_frame(batch: ImportBatch) -> pl.DataFrame:
    return _staged(StudentRecord, batch, STUDENT_FIELDS)
