"""The import pipeline the worker runs for a batch: read → validate → stage → match → ready.

Each phase writes its progress to the batch row at once (outside any transaction), so the
progress page sees it while the job runs. A file that cannot be read ends as "rejected" with a
reason; an unexpected failure ends as "failed" and leaves no staged rows behind. Nothing here
changes the registry: that happens only when a user applies the batch (``exchange.services``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from core import audit
from core.idnumber import mask, mask_phone
from exchange import frames, matching
from exchange.columns import column_by_field
from exchange.loading import stage
from exchange.models import (
    BatchStatus,
    DiscrepancyKind,
    HukouRecord,
    ImportBatch,
    PersonStatus,
    Phase,
    RowError,
    SourceKind,
    StudentRecord,
    StudentStatus,
)
from exchange.parsing import FileRejected, ParsedTable, read_table
from exchange.selectors import significant
from exchange.validation import RegionIndex, validate
from regions.models import Region

logger = logging.getLogger(__name__)

SAMPLES_PER_KIND = 20
ERROR_CHUNK = 5000


def _update(batch: ImportBatch, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(batch, name, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**fields, updated_at=timezone.now())


def county_prefix(region_code: str) -> str:
    return region_code[:6]


def read(batch: ImportBatch) -> ParsedTable:
    def progress(rows: int) -> None:
        _update(batch, rows_read=rows)

    with batch.file.open("rb") as handle:
        content = handle.read()
    table = read_table(
        content,
        kind=batch.kind,
        filename=batch.original_name,
        encoding=batch.encoding,
        max_rows=settings.EXCHANGE_MAX_ROWS,
        progress=progress,
    )
    _update(
        batch,
        rows_total=table.rows_total,
        rows_read=table.rows_total,
        header_row=table.header_row,
        column_map=table.column_map,
        unknown_columns=table.unknown_columns,
        detected_encoding=table.encoding,
    )
    return table


def store_errors(batch: ImportBatch, errors: pl.DataFrame) -> int:
    """Every rejected row, with its row number, column and reason (values are masked already)."""
    RowError.objects.filter(batch=batch).delete()
    if errors.height == 0:
        return 0
    # The column as the file heads it (公民身份号码), not the field's name in the code.
    headers = {field: column.header for field, column in column_by_field(batch.kind).items()}
    rows = errors.select(
        pl.col("_row").cast(pl.Int64),
        pl.col("column").fill_null("").replace(headers).str.slice(0, 40),
        pl.col("value").fill_null("").str.slice(0, 100),
        pl.col("message").fill_null("").str.slice(0, 300),
    )
    for offset in range(0, rows.height, ERROR_CHUNK):
        RowError.objects.bulk_create(
            [
                RowError(batch=batch, row_no=row_no, column=column, value=value, message=message)
                for row_no, column, value, message in rows.slice(offset, ERROR_CHUNK).iter_rows()
            ]
        )
    return int(errors.get_column("_row").n_unique())


@dataclass
class Import:
    """What the read/validate/stage part did (the figure the import benchmark measures)."""

    rows_total: int
    rows_valid: int
    rows_rejected: int
    seconds: float


def import_rows(batch: ImportBatch) -> Import:
    """Read the file, validate its rows, store rejected rows and stage the valid ones."""
    started = time.perf_counter()
    _update(batch, phase=Phase.READ)
    table = read(batch)
    _update(batch, phase=Phase.VALIDATE)
    checked = validate(
        batch.kind,
        table,
        regions=RegionIndex.build(county_prefix(batch.region_code)),
        today=timezone.localdate(),
        batch_prefix=significant(batch.region_code),
    )
    rejected = store_errors(batch, checked.errors)
    _update(batch, phase=Phase.STAGE, rows_rejected=rejected)
    valid = checked.valid
    if "region_code" in valid.columns:
        # A student row without 户口所在地 belongs to the area the batch covers.
        valid = valid.with_columns(
            pl.when(pl.col("region_code").fill_null("") == "")
            .then(pl.lit(batch.region_code))
            .otherwise(pl.col("region_code"))
            .alias("region_code")
        )
    with transaction.atomic():
        HukouRecord.objects.filter(batch=batch).delete()
        StudentRecord.objects.filter(batch=batch).delete()
        staged = stage(batch, valid)
    _update(batch, rows_valid=staged)
    return Import(table.rows_total, staged, rejected, time.perf_counter() - started)


def reconcile(batch: ImportBatch) -> tuple[int, pl.DataFrame]:
    """How many source rows match a registry child, and the discrepancies, as a frame."""
    today = timezone.localdate()
    limit = settings.LEFT_BEHIND_AGE_LIMIT
    registry = frames.registry_frame(significant(batch.region_code))
    stats: dict[str, int] = {"matched": 0}
    if batch.kind == SourceKind.HUKOU:
        found = matching.reconcile_hukou(
            registry,
            frames.hukou_frame(batch),
            today=today,
            county_prefix=county_prefix(batch.region_code),
            age_limit=limit,
            stats=stats,
        )
    else:
        # A school-age child is "missing" only in the villages the extract names: a file from one
        # school must not flag every other village of the township.
        students = frames.student_frame(batch)
        villages = sorted({code for code in students.get_column("region_code").to_list() if code and code[9:] != "000"})
        found = matching.reconcile_school(
            registry, students, today=today, age_limit=limit, covered_prefixes=villages, stats=stats
        )
    matched = stats["matched"]
    found = _drop_rejected_people(batch, registry, found)
    duplicates = matching.registry_duplicates(registry)
    return int(matched), pl.concat([found, duplicates], how="diagonal_relaxed")


def _drop_rejected_people(batch: ImportBatch, registry: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
    """A child whose row of the file was rejected is not "not found" or "missing": the file has the
    child, only with an error to correct. Rejected rows keep masked ID numbers, so a child is set
    aside when its masked number is among them."""
    masked = set(
        RowError.objects.filter(batch=batch, value__regex=r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$").values_list(
            "value", flat=True
        )
    )
    if not masked or found.height == 0:
        return found
    ids = registry.select("child_id", "id_number").drop_nulls()
    hidden = [cid for cid, number in ids.iter_rows() if number and mask(number) in masked]
    kinds = [DiscrepancyKind.HUKOU_NOT_FOUND, DiscrepancyKind.SCHOOL_MISSING]
    return found.filter(~(pl.col("kind").is_in(kinds) & pl.col("child_id").is_in(hidden)))


def summarise(batch: ImportBatch, found: pl.DataFrame) -> dict[str, Any]:
    counts = dict.fromkeys(DiscrepancyKind.values, 0)
    if found.height:
        for kind, number in found.group_by("kind").len().iter_rows():
            counts[str(kind)] = int(number)
    if batch.kind == SourceKind.HUKOU:
        changed = counts[DiscrepancyKind.HUKOU_CORRECTION] + counts[DiscrepancyKind.HUKOU_EXIT]
        new = counts[DiscrepancyKind.HUKOU_OMISSION]
        conflict = counts[DiscrepancyKind.HUKOU_NOT_FOUND] + counts[DiscrepancyKind.DUPLICATE]
    else:
        changed = counts[DiscrepancyKind.SCHOOL_UPDATE] + counts[DiscrepancyKind.SCHOOL_DROPOUT]
        new = counts[DiscrepancyKind.SCHOOL_OMISSION]
        conflict = counts[DiscrepancyKind.SCHOOL_MISSING] + counts[DiscrepancyKind.DUPLICATE]
    matched = batch.rows_matched
    return {
        "kinds": counts,
        "new": new,
        "changed": changed,
        "unchanged": max(matched - changed, 0),
        "conflict": conflict,
        "matched": matched,
    }


def person_details(row: dict[str, Any]) -> dict[str, Any]:
    """What a discrepancy shows of the person as the source has them (the ID masked)."""
    person = {
        "name": row.get("name") or "",
        "birth_date": row["birth_date"].isoformat() if row.get("birth_date") else "",
        "id_number": mask(row.get("id_number") or "") if row.get("id_number") else "",
        "gender": row.get("gender") or "",
    }
    for extra in (
        "household_no",
        "address",
        "school_name",
        "grade",
        "relation",
        "residence",
        "row_no",
        "guardian_name",
        "guardian_phone",
    ):
        if row.get(extra) not in (None, ""):
            person[extra] = row[extra]
    if row.get("guardian_phone"):
        person["guardian_phone"] = mask_phone(str(row["guardian_phone"]))
    if row.get("person_status") not in (None, "", PersonStatus.NORMAL):
        person["status"] = str(PersonStatus(row["person_status"]).label)
    if row.get("change_date"):
        person["change_date"] = row["change_date"].isoformat()
    if row.get("student_status") not in (None, ""):
        person["status"] = str(StudentStatus(row["student_status"]).label)
    if not person.get("address") and row.get("region_code"):
        place = Region.objects.filter(code=row["region_code"]).select_related("parent").first()
        if place is not None:
            person["address"] = place.full_name or place.name
    return person


def process(batch_id: int) -> str:
    """The worker's job for one uploaded batch. Never raises: the outcome is on the batch."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status != BatchStatus.QUEUED:
        return f"batch {batch_id} is {batch.status}"
    _update(batch, status=BatchStatus.RUNNING, started_at=timezone.now())
    with translation.override(settings.LANGUAGE_CODE):
        try:
            if batch.kind == SourceKind.LEDGER:
                _process_ledger(batch)
            else:
                import_rows(batch)
                _update(batch, phase=Phase.MATCH)
                matched, found = reconcile(batch)
                _update(batch, rows_matched=matched)
                _update(batch, summary=summarise(batch, found))
            _update(batch, status=BatchStatus.READY, phase=Phase.DONE, finished_at=timezone.now())
        except FileRejected as exc:
            _update(batch, status=BatchStatus.REJECTED, error_message=str(exc)[:500], finished_at=timezone.now())
        except Exception as exc:  # the outcome goes on the batch; the worker goes on
            logger.exception("import batch %s failed: %s", batch_id, type(exc).__name__)
            HukouRecord.objects.filter(batch=batch).delete()
            StudentRecord.objects.filter(batch=batch).delete()
            _update(
                batch,
                status=BatchStatus.FAILED,
                error_message=translation.gettext(
                    "The file could not be processed because of an internal error. It has been logged; "
                    "nothing was changed. Please tell the system administrator."
                ),
                finished_at=timezone.now(),
            )
    return f"batch {batch_id}: {batch.status}"


def _log_found_elsewhere(batch: ImportBatch, found: list[tuple[int, int]]) -> None:
    """An ID number in the file that is registered in another township is a read there, as when it
    is typed on the registration form: the holding township's log shows who looked it up, and where.
    (The importer learns only the township's name.)"""
    if not found:
        return
    from registry.models import Child

    region = Region.objects.filter(code=batch.region_code).first()
    place = region.full_name if region is not None else batch.region_code
    children = Child.objects.in_bulk([pk for _row, pk in found])
    with transaction.atomic():
        for row_no, pk in found:
            if pk in children:
                audit.record_access(
                    actor=batch.created_by,
                    action="child.found_elsewhere",
                    obj=children[pk],
                    detail=translation.gettext("ID number on row %(row)s of a ledger imported into %(place)s")
                    % {"row": row_no, "place": place},
                )


def _process_ledger(batch: ImportBatch) -> None:
    from exchange.ledger import plan_ledger

    _update(batch, phase=Phase.READ)
    table = read(batch)
    _update(batch, phase=Phase.VALIDATE)
    plan = plan_ledger(table.frame, actor=batch.created_by, region_prefix=significant(batch.region_code))
    _log_found_elsewhere(batch, plan.found_elsewhere)
    errors = plan.errors_frame()
    rejected = store_errors(batch, errors)
    _update(
        batch,
        rows_valid=table.rows_total - rejected,
        rows_rejected=rejected,
        summary=plan.summary(),
    )
