"""Writes of the data-exchange area: upload, apply, discard and undo a batch; resolve a
discrepancy; merge a duplicate. Each runs in one transaction and is audited."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from pathlib import PurePath
from typing import Any

import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation
from accounts.permissions import Perm, has_perm
from accounts.roles import OrgKind, Role
from core import audit
from core.idnumber import mask
from exchange import frames, pipeline
from exchange.models import (
    BatchStatus,
    Discrepancy,
    DiscrepancyKind,
    DiscrepancyStatus,
    HukouRecord,
    ImportBatch,
    Phase,
    SourceKind,
    StudentRecord,
)
from exchange.selectors import significant
from registry.codes import ChildStatus, ExitReason
from registry.models import Child
from worklist.models import ItemKind, ItemStatus, WorkItem

logger = logging.getLogger(__name__)

ALLOWED_SUFFIXES = {".xlsx", ".xls", ".csv"}
ENCODINGS = {"auto", "utf-8", "gb18030"}

audit.register_actions(
    {
        "exchange.upload": gettext_lazy("Uploaded an exchange file"),
        "exchange.apply": gettext_lazy("Applied an exchange file"),
        "exchange.discard": gettext_lazy("Discarded an exchange file"),
        "exchange.undo": gettext_lazy("Undid a ledger import"),
        "exchange.resolve": gettext_lazy("Resolved a discrepancy"),
        "exchange.merge": gettext_lazy("Merged a duplicate file"),
        "exchange.school_update": gettext_lazy("Updated schooling from the student-status extract"),
        "exchange.export": gettext_lazy("Exported exchange data"),
        "child.delete": gettext_lazy("Deleted a child's file"),
    }
)


def _require(actor: Any, perm: Perm) -> None:
    if not has_perm(actor, perm):
        raise PermissionDenied


def _check_region(actor: Any, region_code: str) -> None:
    prefix = actor.scope_prefix
    if prefix is None or not region_code.startswith(prefix):
        raise PermissionDenied


def enqueue(task: str, *args: Any) -> None:
    """Hand a job to the background worker once the current transaction has committed."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(task, *args, group="exchange"))


@transaction.atomic
def batch_create(
    *,
    actor: Any,
    kind: str,
    upload: UploadedFile,
    region_code: str,
    period: str = "",
    encoding: str = "auto",
) -> ImportBatch:
    """Store an uploaded file as a queued batch; the worker reads it (``pipeline.process``)."""
    _require(actor, Perm.IMPORT_DATA)
    _check_region(actor, region_code)
    if kind not in SourceKind.values:
        raise ValidationError({"kind": _("Choose what kind of file this is.")})
    if encoding not in ENCODINGS:
        raise ValidationError({"encoding": _("Choose an encoding from the list.")})
    name = PurePath(upload.name or "").name
    if PurePath(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise ValidationError({"file": _("Upload an Excel workbook (.xlsx or .xls) or a CSV file (.csv).")})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > settings.EXCHANGE_MAX_BYTES:
        raise ValidationError(
            {
                "file": _(
                    "The file is %(size)s MB; the limit is %(limit)s MB. Split it by township and upload the parts."
                )
                % {"size": round(size / 1024 / 1024, 1), "limit": settings.EXCHANGE_MAX_BYTES // 1024 // 1024}
            }
        )
    batch = ImportBatch(
        kind=kind,
        region_code=region_code,
        period=period.strip()[:20],
        original_name=name[:200],
        size=size,
        encoding=encoding,
        created_by=actor,
    )
    batch.file.save(f"{kind}-{timezone.now():%Y%m%d%H%M%S}{PurePath(name).suffix.lower()}", upload, save=False)
    batch.save()
    audit.record_change(actor=actor, action="exchange.upload", obj=batch)
    enqueue("exchange.pipeline.process", batch.pk)
    return batch


def _check_batch(actor: Any, batch: ImportBatch) -> None:
    _require(actor, Perm.IMPORT_DATA)
    _check_region(actor, batch.region_code)


@transaction.atomic
def batch_discard(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Drop a batch that was not applied, with its staged rows."""
    _check_batch(actor, batch)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in {BatchStatus.READY, BatchStatus.REJECTED, BatchStatus.FAILED}:
        raise ValidationError(_("Only a batch that has not been applied can be discarded."))
    before = audit.snapshot(batch, ["status"])
    HukouRecord.objects.filter(batch=batch).delete()
    StudentRecord.objects.filter(batch=batch).delete()
    batch.status = BatchStatus.DISCARDED
    batch.save(update_fields=["status", "updated_at"])
    audit.record_change(actor=actor, action="exchange.discard", obj=batch, before=before)
    return batch


@transaction.atomic
def batch_request_apply(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Mark a ready batch for applying and hand it to the worker."""
    _check_batch(actor, batch)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != BatchStatus.READY:
        raise ValidationError(_("This batch is not ready to be applied."))
    batch.status = BatchStatus.APPLYING
    batch.applied_by = actor
    batch.error_message = ""
    batch.save(update_fields=["status", "applied_by", "error_message", "updated_at"])
    enqueue("exchange.services.batch_apply_job", batch.pk)
    return batch


def batch_apply_job(batch_id: int) -> str:
    """The worker's job: apply the batch in one transaction; on failure nothing is applied."""
    batch = ImportBatch.objects.select_related("applied_by", "created_by").get(pk=batch_id)
    if batch.status != BatchStatus.APPLYING:
        return f"batch {batch_id} is {batch.status}"
    actor = batch.applied_by or batch.created_by
    with translation.override(settings.LANGUAGE_CODE):
        try:
            batch_apply(actor=actor, batch=batch)
        except (ValidationError, PermissionDenied) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else _("Permission denied.")
            ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.READY, error_message=message[:500])
        except Exception as exc:  # the batch shows the failure; nothing was applied
            logger.exception("applying batch %s failed: %s", batch_id, type(exc).__name__)
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=BatchStatus.READY,
                error_message=_("Applying failed because of an internal error; nothing was changed. Please try again.")[
                    :500
                ],
            )
    return f"batch {batch_id} applied"


@transaction.atomic
def batch_apply(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Apply the batch: discrepancies and verification items (户籍/学籍), or the ledger's files."""
    _check_batch(actor, batch)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in {BatchStatus.READY, BatchStatus.APPLYING}:
        raise ValidationError(_("This batch is not ready to be applied."))
    before = audit.snapshot(batch, ["status"])
    if batch.kind == SourceKind.LEDGER:
        changes = _apply_ledger(actor, batch)
        detail = _("%(new)s new, %(changed)s changed files") % {
            "new": len(changes.get("created", [])),
            "changed": len(changes.get("changed", {})),
        }
    else:
        _matched, found = pipeline.reconcile(batch)
        changes = _apply_findings(actor, batch, found)
        detail = _("%(opened)s discrepancies opened, %(updated)s files updated") % {
            "opened": changes["opened"],
            "updated": changes["updated"],
        }
    batch.status = BatchStatus.APPLIED
    batch.phase = Phase.DONE
    batch.applied_at = timezone.now()
    batch.applied_by = actor
    batch.applied_changes = changes
    batch.error_message = ""
    batch.save()
    audit.record_change(
        actor=actor,
        action="exchange.apply",
        obj=batch,
        before=before,
        after=audit.snapshot(batch, ["status"]),
        detail=str(detail),
    )
    return batch


def _apply_ledger(actor: Any, batch: ImportBatch) -> dict[str, Any]:
    from exchange.ledger import apply_ledger, plan_ledger

    table = pipeline.read(batch)
    plan = plan_ledger(table.frame, actor=actor, region_prefix=significant(batch.region_code))
    if plan.error_count():
        raise ValidationError(_("The ledger has rejected rows; correct them and upload the file again."))
    return apply_ledger(plan, actor=actor, batch=batch)


@transaction.atomic
def batch_undo(*, actor: Any, batch: ImportBatch) -> ImportBatch:
    """Undo an applied ledger batch while nothing depends on it."""
    from exchange.ledger import undo_ledger

    _check_batch(actor, batch)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.kind != SourceKind.LEDGER or batch.status != BatchStatus.APPLIED:
        raise ValidationError(_("Only an applied ledger import can be undone."))
    before = audit.snapshot(batch, ["status"])
    undo_ledger(batch.applied_changes, actor=actor, batch=batch)
    batch.status = BatchStatus.UNDONE
    batch.undone_at = timezone.now()
    batch.save(update_fields=["status", "undone_at", "updated_at"])
    audit.record_change(actor=actor, action="exchange.undo", obj=batch, before=before)
    return batch


# --- Findings → discrepancies and verification items -----------------------------------------


def _key(value: str) -> str:
    return value if len(value) <= 80 else value[:40] + hashlib.sha1(value.encode()).hexdigest()[:40]  # noqa: S324


def _committees(codes: set[str]) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    for organisation in Organisation.objects.filter(
        region__code__in=codes, kind=OrgKind.VILLAGE_COMMITTEE, is_active=True
    ).select_related("region"):
        found.setdefault(organisation.region.code, organisation)
    return found


def _township_governments(codes: set[str]) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    for organisation in Organisation.objects.filter(
        region__code__in={code[:9] + "000" for code in codes}, kind=OrgKind.TOWNSHIP_GOVERNMENT, is_active=True
    ).select_related("region"):
        found.setdefault(organisation.region.code, organisation)
    return found


def _school_updates(actor: Any, found: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Apply schooling updates matched on the ID number; the rest stay as discrepancies."""
    if found.height == 0 or "reasons" not in found.columns:
        return found, 0
    exact = found.filter(
        (pl.col("kind") == DiscrepancyKind.SCHOOL_UPDATE) & pl.col("reasons").list.contains("id_exact")
    )
    updated = 0
    children = Child.objects.in_bulk([int(value) for value in exact.get_column("child_id").to_list()])
    for row in exact.iter_rows(named=True):
        child = children.get(int(row["child_id"]))
        if child is None or child.status == ChildStatus.EXITED:
            continue
        fields = json.loads(row.get("fields") or "{}")
        before = audit.snapshot(child, ["school_name", "grade", "is_boarding"])
        if "school_name" in fields:
            child.school_name = str(fields["school_name"][1] or "")[:100]
            child.school = None
        if "grade" in fields:
            child.grade = str(fields["grade"][1] or "")[:20]
        if "is_boarding" in fields and fields["is_boarding"][1] is not None:
            child.is_boarding = bool(fields["is_boarding"][1])
        child.save(update_fields=["school", "school_name", "grade", "is_boarding", "updated_at"])
        audit.record_change(
            actor=actor,
            action="exchange.school_update",
            obj=child,
            before=before,
            after=audit.snapshot(child, ["school_name", "grade", "is_boarding"]),
        )
        updated += 1
    rest = found.filter(
        ~((pl.col("kind") == DiscrepancyKind.SCHOOL_UPDATE) & pl.col("reasons").list.contains("id_exact"))
    )
    return rest, updated


def _apply_findings(actor: Any, batch: ImportBatch, found: pl.DataFrame) -> dict[str, Any]:
    updated = 0
    if batch.kind == SourceKind.SCHOOL:
        found, updated = _school_updates(actor, found)
    if found.height == 0:
        return {"opened": 0, "updated": updated, "already_open": 0}
    existing = set(
        Discrepancy.objects.filter(
            region_code__startswith=significant(batch.region_code), status=DiscrepancyStatus.OPEN
        ).values_list("key", flat=True)
    )
    source = frames.hukou_frame(batch) if batch.kind == SourceKind.HUKOU else frames.student_frame(batch)
    people = {row["record_id"]: row for row in source.iter_rows(named=True)} if source.height else {}
    due = timezone.localdate() + timedelta(days=settings.EXCHANGE_VERIFY_DAYS)
    rows: list[Discrepancy] = []
    already = 0
    pair_ids = [
        int(v)
        for column in ("child_id", "other_child_id")
        for v in found.filter(pl.col("kind") == DiscrepancyKind.DUPLICATE).get_column(column).to_list()
        if v is not None
    ]
    places = dict(Child.objects.filter(pk__in=pair_ids).values_list("pk", "region_code"))
    names = dict(Child.objects.filter(pk__in=pair_ids).values_list("pk", "name"))
    for row in found.iter_rows(named=True):
        key = _key(str(row["key"]))
        if key in existing:
            already += 1
            continue
        existing.add(key)
        record = people.get(row.get("record_id"))
        fields = json.loads(row.get("fields") or "{}")
        if "id_number" in fields:  # the full numbers stay in the file and the staged row
            fields["id_number"] = [mask(value) if value else "" for value in fields["id_number"]]
        details: dict[str, Any] = {
            "fields": fields,
            "score": row.get("score"),
            "reasons": list(row.get("reasons") or []),
        }
        if record is not None:
            details["person"] = pipeline.person_details(record)
        region_code = str(row["region_code"])
        if row["kind"] == DiscrepancyKind.DUPLICATE:
            first, second = int(row.get("child_id") or 0), int(row.get("other_child_id") or 0)
            region_code = _common_area(places.get(first), places.get(second), region_code)
            details["person"] = {"name": names.get(first, "")}
        rows.append(
            Discrepancy(
                kind=row["kind"],
                batch=batch,
                region_code=region_code,
                child_id=row.get("child_id"),
                other_child_id=row.get("other_child_id"),
                hukou_record_id=record["record_id"] if record is not None and batch.kind == SourceKind.HUKOU else None,
                student_record_id=record["record_id"]
                if record is not None and batch.kind == SourceKind.SCHOOL
                else None,
                details=details,
                key=key,
                due_date=due,
            )
        )
    created = Discrepancy.objects.bulk_create(rows, batch_size=2000)
    if connection_lacks_returning(created):
        created = list(Discrepancy.objects.filter(batch=batch, key__in=[row.key for row in rows]))
    _open_items(created, due, fallback=batch.created_by)
    return {"opened": len(created), "updated": updated, "already_open": already}


def _common_area(first: str | None, second: str | None, default: str) -> str:
    """The smallest area holding both files: their village, else their township, else the county."""
    if not first or not second or first == second:
        return first or default
    for size in (9, 6, 4, 2):
        if first[:size] == second[:size]:
            return first[:size].ljust(12, "0")
    return default


def connection_lacks_returning(created: list[Discrepancy]) -> bool:
    return bool(created) and created[0].pk is None


def _item_title(discrepancy: Discrepancy, names: dict[int, str]) -> str:
    """The kind and whom it is about, so that a village's to-do list tells its items apart."""
    person = (discrepancy.details or {}).get("person", {})
    name = person.get("name") or names.get(discrepancy.child_id or 0, "")
    kind = str(discrepancy.get_kind_display())
    return f"{kind}：{name}" if name else kind


def _open_items(discrepancies: list[Discrepancy], due: Any, *, fallback: Any) -> None:
    """One verification item per discrepancy, for the village's child director (the township
    supervisor's when the village has no committee; the uploader's when the row names no village).
    Bulk-created; the batch's audit event records the count."""
    codes = {d.region_code for d in discrepancies}
    names = dict(
        Child.objects.filter(pk__in=[d.child_id for d in discrepancies if d.child_id]).values_list("pk", "name")
    )
    committees = _committees(codes)
    townships = _township_governments(codes)
    items: list[WorkItem] = []
    for discrepancy in discrepancies:
        owner = committees.get(discrepancy.region_code)
        role = Role.VILLAGE_DIRECTOR
        if owner is None:
            owner = townships.get(discrepancy.region_code[:9] + "000")
            role = Role.TOWNSHIP_SUPERVISOR
        if owner is None:
            owner = fallback.organisation
            role = fallback.role
        items.append(
            WorkItem(
                kind=ItemKind.VERIFY,
                title=_item_title(discrepancy, names)[:200],
                region_code=discrepancy.region_code,
                owner_organisation=owner,
                owner_role=role,
                due_date=due,
                target_type=Discrepancy._meta.label_lower,
                target_id=str(discrepancy.pk),
                url=reverse("discrepancy_detail", args=[discrepancy.pk]),
            )
        )
    WorkItem.objects.bulk_create(items, batch_size=2000)


# --- Resolving ------------------------------------------------------------------------------------


def _check_discrepancy(actor: Any, discrepancy: Discrepancy) -> None:
    _require(actor, Perm.VERIFY_DISCREPANCIES)
    _check_region(actor, discrepancy.region_code)


def _close_items(actor: Any, discrepancy: Discrepancy, resolution: str) -> None:
    from worklist.services import items_close_for

    items_close_for(actor=actor, target=discrepancy, resolution=resolution)


@transaction.atomic
def discrepancy_resolve(*, actor: Any, discrepancy: Discrepancy, outcome: str, note: str = "") -> Discrepancy:
    """Record the verification: confirmed, corrected, or dismissed (with a reason)."""
    _check_discrepancy(actor, discrepancy)
    discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
    if discrepancy.status != DiscrepancyStatus.OPEN:
        raise ValidationError(_("This discrepancy has already been resolved."))
    if outcome not in {DiscrepancyStatus.CONFIRMED, DiscrepancyStatus.CORRECTED, DiscrepancyStatus.DISMISSED}:
        raise ValidationError({"outcome": _("Choose how the discrepancy was resolved.")})
    note = note.strip()
    if outcome == DiscrepancyStatus.DISMISSED and not note:
        raise ValidationError({"note": _("Say why the discrepancy is dismissed.")})
    before = audit.snapshot(discrepancy, ["status", "resolution_note"])
    discrepancy.status = outcome
    discrepancy.resolution_note = note[:300]
    discrepancy.resolved_by = actor
    discrepancy.resolved_at = timezone.now()
    discrepancy.save()
    audit.record_change(
        actor=actor,
        action="exchange.resolve",
        obj=discrepancy,
        before=before,
        after=audit.snapshot(discrepancy, ["status", "resolution_note"]),
    )
    _close_items(actor, discrepancy, str(discrepancy.get_status_display()))
    return discrepancy


@transaction.atomic
def duplicate_merge(*, actor: Any, discrepancy: Discrepancy, keep: Child) -> Child:
    """Merge the same child's two files: ``keep`` stays, the other exits as a duplicate.

    Both files and their histories are kept: the merged file stays readable, exited with the
    reason and a link, and the kept file's history records the merge.
    """
    _check_discrepancy(actor, discrepancy)
    _require(actor, Perm.EDIT_CHILDREN)
    discrepancy = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
    if discrepancy.kind != DiscrepancyKind.DUPLICATE or discrepancy.status != DiscrepancyStatus.OPEN:
        raise ValidationError(_("Only an open duplicate can be merged."))
    pair = {discrepancy.child_id, discrepancy.other_child_id}
    if keep.pk not in pair or None in pair:
        raise ValidationError(_("Choose one of the two files to keep."))
    other_id = next((pk for pk in pair if pk is not None and pk != keep.pk), None)
    if other_id is None:
        raise ValidationError(_("Choose one of the two files to keep."))
    other = Child.objects.select_for_update().get(pk=other_id)
    for child in (keep, other):
        _check_region(actor, child.region_code)
    if other.status == ChildStatus.EXITED:
        raise ValidationError(_("The other file has already exited the registry."))
    before = audit.snapshot(other, ["status", "exit_reason", "exit_date", "exit_note"])
    other.status = ChildStatus.EXITED
    other.exit_reason = ExitReason.OTHER
    other.exit_date = timezone.localdate()
    other.exit_note = (_("Duplicate of file #%(pk)s, merged") % {"pk": keep.pk})[:200]
    other.save(update_fields=["status", "exit_reason", "exit_date", "exit_note", "updated_at"])
    audit.record_change(
        actor=actor,
        action="exchange.merge",
        obj=other,
        before=before,
        after=audit.snapshot(other, ["status", "exit_reason", "exit_date", "exit_note"]),
    )
    audit.record(
        actor=actor,
        kind="write",
        action="exchange.merge",
        obj=keep,
        detail=str(_("File #%(pk)s of the same child was merged into this one") % {"pk": other.pk}),
    )
    # The other file's open work moves to the kept one.
    WorkItem.objects.filter(
        target_type=Child._meta.label_lower, target_id=str(other.pk), status=ItemStatus.OPEN
    ).update(status=ItemStatus.CANCELLED, resolution=str(_("Merged into another file"))[:200])
    discrepancy.status = DiscrepancyStatus.CORRECTED
    discrepancy.resolution_note = str(_("Merged; file #%(pk)s kept") % {"pk": keep.pk})[:300]
    discrepancy.resolved_by = actor
    discrepancy.resolved_at = timezone.now()
    discrepancy.save()
    audit.record_change(actor=actor, action="exchange.resolve", obj=discrepancy)
    _close_items(actor, discrepancy, discrepancy.resolution_note)
    return keep


def discrepancy_registered(*, actor: Any, pk: int, child: Child) -> Discrepancy | None:
    """An omission candidate registered through "登记该儿童": the discrepancy is corrected, with a
    link to the new file, and its to-do item closed. Nothing happens for a discrepancy the user
    may not see or that is no longer open."""
    from exchange.selectors import OMISSION_KINDS

    discrepancy = (
        Discrepancy.objects.for_user(actor)
        .filter(pk=pk, kind__in=OMISSION_KINDS, status=DiscrepancyStatus.OPEN)
        .first()
    )
    if discrepancy is None or not has_perm(actor, Perm.VERIFY_DISCREPANCIES):
        return None
    return discrepancy_resolve(
        actor=actor,
        discrepancy=discrepancy,
        outcome=DiscrepancyStatus.CORRECTED,
        note=_("Registered: file #%(pk)s") % {"pk": child.pk},
    )
