"""``apply_ledger``: writes a plan's new and changed rows through ``registry.services.child_save``,
all or nothing, and returns what is needed to undo the batch (JSON-safe).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.models import AuditEvent
from exchange.ledger.cells import FORM_CHILD_FIELDS
from exchange.ledger.entries import Action, LedgerEntry, LedgerPlan, _Write
from exchange.ledger.plan import plan_ledger
from regions.models import Region
from registry import services
from registry.models import Child, EntrustedGuardian, FamilyMember

if TYPE_CHECKING:
    from exchange.models import ImportBatch


def _json(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    return value


def _stored(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: _json(obj._meta.get_field(name).value_from_object(obj)) for name in names}  # type: ignore[union-attr]


def _region_prefix(code: str) -> str:
    region = Region.objects.filter(code=code).first()
    return region.prefix if region is not None else code


def _last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _failed(row_no: int, exc: Exception) -> ValidationError:
    if isinstance(exc, ValidationError):
        reason = "；".join(exc.messages)
    elif isinstance(exc, PermissionDenied):
        reason = _("You may not change this file.")
    else:
        reason = _("The file could not be saved.")
    return ValidationError(_("Row %(row)s could not be applied: %(reason)s") % {"row": row_no, "reason": reason})


def _stale(row_no: int) -> ValidationError:
    return ValidationError(
        _("The registry has changed since the preview (row %(row)s): check the file again.") % {"row": row_no}
    )


def apply_ledger(
    plan_or_rows: LedgerPlan | pl.DataFrame,
    *,
    actor: User,
    batch: ImportBatch,
    region_prefix: str | None = None,
) -> dict[str, Any]:
    """Create the new files (drafts) and change the changed ones, all or nothing.

    Given rows, plans them first (in the batch's jurisdiction unless ``region_prefix`` says
    otherwise). Given a plan, checks that the files it saw have not changed since. Rows that are
    unchanged, in conflict or in error are left alone. Raises ``ValidationError`` (with the row
    number) when a row cannot be written; the caller's transaction then rolls everything back.
    Returns what is needed to undo the batch (JSON-safe, for ``ImportBatch.applied_changes``).
    """
    if isinstance(plan_or_rows, LedgerPlan):
        plan = plan_or_rows
    else:
        prefix = region_prefix if region_prefix is not None else _region_prefix(batch.region_code)
        plan = plan_ledger(plan_or_rows, actor=actor, region_prefix=prefix)
    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    with transaction.atomic():
        for entry in plan.entries:
            write = entry.write
            if entry.action not in (Action.NEW, Action.CHANGED) or write is None:
                continue
            try:
                if entry.action == Action.NEW:
                    created.append(_apply_new(actor, entry, write))
                else:
                    changed.append(_apply_change(actor, entry, write))
            except (ValidationError, PermissionDenied, IntegrityError) as exc:
                raise _failed(entry.row_no, exc) from None
        audit_id = _last_audit_id()
        for item in (*created, *changed):
            item["updated_at"] = _json(Child.objects.values_list("updated_at", flat=True).get(pk=item["child_id"]))
    return {
        "version": 1,
        "batch_id": batch.pk,
        "applied_at": timezone.now().isoformat(),
        "audit_id": audit_id,
        "created": created,
        "changed": changed,
    }


def _apply_new(actor: User, entry: LedgerEntry, write: _Write) -> dict[str, Any]:
    if write.id_number and Child.objects.filter(id_number=write.id_number).exists():
        raise _stale(entry.row_no)
    members = [services.MemberData(values=dict(values)) for _pk, values in write.members]
    child = services.child_save(actor=actor, values=write.values, members=members, guardian=write.guardian)
    return {"child_id": child.pk, "row_no": entry.row_no}


def _apply_change(actor: User, entry: LedgerEntry, write: _Write) -> dict[str, Any]:
    child = Child.objects.select_for_update().filter(pk=entry.child_id or 0).first()
    if child is None or child.updated_at != write.updated_at:
        raise _stale(entry.row_no)
    before_child = _stored(child, FORM_CHILD_FIELDS)
    after_child = {name: _json(write.values[name]) for name in FORM_CHILD_FIELDS if name in write.values}
    previous = {name: before_child[name] for name, value in after_child.items() if before_child[name] != value}

    members: list[services.MemberData] = []
    member_undo: list[dict[str, Any]] = []
    for pk, values in write.members:
        if pk is None:
            members.append(services.MemberData(values=dict(values)))
            continue
        member = FamilyMember.objects.filter(pk=pk, child=child).first()
        if member is None:
            raise _stale(entry.row_no)
        member_undo.append({"id": pk, "created": False, "values": _stored(member, services.MEMBER_FIELDS)})
        members.append(services.MemberData(values=dict(values), instance=member))
    before_members = set(FamilyMember.objects.filter(child=child).values_list("pk", flat=True))

    guardian = EntrustedGuardian.objects.filter(child=child).first()
    guardian_undo: dict[str, Any] | None = None
    if write.guardian is not None:
        stored = _stored(guardian, services.GUARDIAN_FIELDS) if guardian is not None else None
        wanted = {name: _json(write.guardian.get(name)) for name in services.GUARDIAN_FIELDS if name in write.guardian}
        if stored is None or any(stored.get(name) != value for name, value in wanted.items()):
            guardian_undo = {"existed": stored is not None, "values": stored or {}}

    services.child_save(actor=actor, values=write.values, members=members, guardian=write.guardian, child=child)
    for pk in FamilyMember.objects.filter(child=child).exclude(pk__in=before_members).values_list("pk", flat=True):
        member_undo.append({"id": pk, "created": True, "values": {}})
    return {
        "child_id": child.pk,
        "row_no": entry.row_no,
        "child": previous,
        "members": member_undo,
        "guardian": guardian_undo,
    }
