"""Set-wise loading of a batch's valid rows into the staging tables.

PostgreSQL gets one ``COPY … FROM STDIN`` of CSV text that polars writes; SQLite gets one
``executemany`` per chunk. Neither builds a model instance per row.
"""

from __future__ import annotations

import polars as pl
from django.db import connection, models

from exchange.models import HukouRecord, ImportBatch, SourceKind, StudentRecord

CHUNK_ROWS = 50_000


def staging_model(kind: str) -> type[models.Model]:
    if kind == SourceKind.HUKOU:
        return HukouRecord
    if kind == SourceKind.SCHOOL:
        return StudentRecord
    raise ValueError(f"no staging table for {kind}")


def _columns(model: type[models.Model]) -> list[models.Field]:  # type: ignore[type-arg]
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in {"batch", "row_no"}
    ]


def prepare(batch: ImportBatch, valid: pl.DataFrame) -> tuple[list[str], pl.DataFrame]:
    """The valid frame in the staging table's column order, NOT NULL text columns filled."""
    model = staging_model(batch.kind)
    fields = _columns(model)
    exprs: list[pl.Expr] = [
        pl.lit(batch.pk, dtype=pl.Int64).alias("batch_id"),
        pl.col("_row").cast(pl.Int64).alias("row_no"),
    ]
    for field in fields:
        name = field.name
        present = name in valid.columns
        if isinstance(field, models.DateField):
            expr = pl.col(name).cast(pl.Date) if present else pl.lit(None, dtype=pl.Date)
        elif isinstance(field, models.BooleanField):
            expr = pl.col(name).cast(pl.Boolean) if present else pl.lit(None, dtype=pl.Boolean)
        else:
            expr = pl.col(name).cast(pl.Utf8) if present else pl.lit(None, dtype=pl.Utf8)
            if not field.null:
                default = field.default if isinstance(field.default, str) else ""
                expr = expr.fill_null(default)
            expr = expr.str.slice(0, field.max_length or 200)
        exprs.append(expr.alias(field.column))
    frame = valid.select(exprs)
    return frame.columns, frame


def stage(batch: ImportBatch, valid: pl.DataFrame) -> int:
    """Load ``valid`` (the validation stage's typed frame) into the batch's staging table."""
    if valid.height == 0:
        return 0
    model = staging_model(batch.kind)
    columns, frame = prepare(batch, valid)
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({column_list}) FROM STDIN WITH (FORMAT csv)"
            with cursor.copy(sql) as copy:
                for offset in range(0, frame.height, CHUNK_ROWS):
                    chunk = frame.slice(offset, CHUNK_ROWS)
                    copy.write(chunk.write_csv(include_header=False, quote_style="non_numeric", null_value=""))
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608 (model identifiers)
            dated = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
            for offset in range(0, dated.height, CHUNK_ROWS):
                cursor.executemany(sql, dated.slice(offset, CHUNK_ROWS).rows())
    return frame.height
