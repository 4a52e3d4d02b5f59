"""Opening and closing to-do items. Called by other areas' services, inside their transactions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from accounts.models import Organisation
from core import audit
from worklist.models import ItemStatus, WorkItem


@transaction.atomic
def item_open(
    *,
    actor: Any,
    kind: str,
    title: str,
    target: models.Model,
    region_code: str,
    owner_organisation: Organisation,
    owner_role: str,
    url: str,
    due_in_days: int = 7,
    note: str = "",
) -> WorkItem:
    item = WorkItem.objects.create(
        kind=kind,
        title=title[:200],
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        region_code=region_code,
        owner_organisation=owner_organisation,
        owner_role=owner_role,
        url=url,
        due_date=timezone.localdate() + timedelta(days=due_in_days),
        note=note,
    )
    audit.record_change(actor=actor, action="worklist.open", obj=item)
    return item


@transaction.atomic
def items_close_for(*, actor: Any, target: models.Model, kinds: list[str] | None = None, resolution: str) -> int:
    """Close the open items about ``target`` (of ``kinds``, or all): the work they asked for is done."""
    items = WorkItem.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk), status=ItemStatus.OPEN
    )
    if kinds:
        items = items.filter(kind__in=kinds)
    closed = 0
    for item in items.select_for_update():
        before = audit.snapshot(item, ["status", "resolution"])
        item.status = ItemStatus.DONE
        item.closed_at = timezone.now()
        item.closed_by = actor if getattr(actor, "pk", None) else None
        item.resolution = resolution[:200]
        item.save(update_fields=["status", "closed_at", "closed_by", "resolution", "updated_at"])
        audit.record_change(
            actor=actor,
            action="worklist.close",
            obj=item,
            before=before,
            after=audit.snapshot(item, ["status", "resolution"]),
        )
        closed += 1
    return closed


@transaction.atomic
def items_move(
    *, actor: Any, target: models.Model, region_code: str, owners: dict[str, Organisation], reason: str
) -> int:
    """The open items about ``target`` follow it to ``region_code`` (a file transferred to another
    village): an item owned by a role in ``owners`` passes to that role's organisation there."""
    items = WorkItem.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk), status=ItemStatus.OPEN
    ).select_for_update()
    fields = ["region_code", "owner_organisation"]
    moved = 0
    for item in items:
        before = audit.snapshot(item, fields)
        item.region_code = region_code
        item.owner_organisation = owners.get(item.owner_role, item.owner_organisation)
        item.save(update_fields=[*fields, "updated_at"])
        audit.record_change(
            actor=actor,
            action="worklist.move",
            obj=item,
            before=before,
            after=audit.snapshot(item, fields),
            detail=reason,
        )
        moved += 1
    return moved
