"""``undo_ledger``: deletes the files an applied batch created and restores those it changed,
or refuses when anything has happened to them since.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Perm, has_perm
from core import audit
from core.models import AuditEvent
from exchange.ledger.apply import _json
from registry import services
from registry.codes import ChildStatus
from registry.models import Child, ChildNameKey, EntrustedGuardian, FamilyMember
from worklist import services as worklist

if TYPE_CHECKING:
    from exchange.models import ImportBatch


def _decode(model: type[models.Model], name: str, value: Any) -> Any:
    model_field = model._meta.get_field(name)
    if value is None:
        return None
    if isinstance(model_field, models.ForeignKey):
        related: type[models.Model] = model_field.related_model  # type: ignore[assignment]
        return related._default_manager.get(pk=value)
    if isinstance(model_field, models.DateField):
        return date.fromisoformat(value)
    return value


def _depends(child: Child, since_audit_id: int, updated_at: str | None, *, created: bool) -> bool:
    """Whether anything happened to the file after the batch: a change, a step of the workflow, a
    transfer (all audited); for a file the batch created, also anything else that points at it."""
    if updated_at is not None and _json(child.updated_at) != updated_at:
        return True
    later = AuditEvent.objects.filter(
        object_type=Child._meta.label_lower, object_id=str(child.pk), kind="write", id__gt=since_audit_id
    )
    if later.exists():
        return True
    if not created:
        return False
    return any(model._default_manager.filter(**{name: child}).exists() for model, name in _pointing_at_child())


@functools.cache
def _pointing_at_child() -> list[tuple[type[models.Model], str]]:
    """(model, field) of every foreign key to Child, except the rows of the file itself."""
    own = {FamilyMember, EntrustedGuardian, ChildNameKey}
    found = []
    for model in apps.get_models():
        if model in own:
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.ForeignKey) and model_field.related_model is Child:
                found.append((model, model_field.name))
    return found


def _refuse(row_no: Any) -> ValidationError:
    return ValidationError(
        _(
            "This import cannot be undone: the file from row %(row)s has been changed, submitted or "
            "transferred since. Correct it by hand."
        )
        % {"row": row_no}
    )


def undo_ledger(applied_changes: Mapping[str, Any], *, actor: User, batch: ImportBatch) -> None:
    """Delete the files the batch created and restore those it changed, or refuse (ValidationError)
    if anything has happened to them since. Audited; all or nothing."""
    if not has_perm(actor, Perm.EDIT_CHILDREN):
        raise PermissionDenied
    since = int(applied_changes.get("audit_id") or 0)
    created = list(applied_changes.get("created") or [])
    changed = list(applied_changes.get("changed") or [])
    with transaction.atomic():
        children = Child.objects.select_for_update().in_bulk([item["child_id"] for item in (*created, *changed)])
        for item in created:
            child = children.get(item["child_id"])
            if child is not None and (
                child.status != ChildStatus.DRAFT or _depends(child, since, item.get("updated_at"), created=True)
            ):
                raise _refuse(item.get("row_no"))
        for item in changed:
            child = children.get(item["child_id"])
            if child is None or _depends(child, since, item.get("updated_at"), created=False):
                raise _refuse(item.get("row_no"))
        detail = _("Import batch %(id)s undone") % {"id": batch.pk}
        for item in changed:
            _restore(actor, children[item["child_id"]], item)
        for item in created:
            child = children.get(item["child_id"])
            if child is None:
                continue
            if not Child.objects.for_user(actor).filter(pk=child.pk).exists():
                raise PermissionDenied
            worklist.items_close_for(actor=actor, target=child, resolution=detail)
            audit.record(actor=actor, kind="write", action="child.delete", obj=child, detail=detail)
            child.delete()


def _restore(actor: User, child: Child, item: Mapping[str, Any]) -> None:
    values = {name: _decode(Child, name, value) for name, value in (item.get("child") or {}).items()}
    members: list[services.MemberData] = []
    for member_item in item.get("members") or []:
        member = FamilyMember.objects.filter(pk=member_item["id"], child=child).first()
        if member is None:
            raise _refuse(item.get("row_no"))
        if member_item.get("created"):
            members.append(services.MemberData(values={}, instance=member, delete=True))
        else:
            previous = {
                name: _decode(FamilyMember, name, value) for name, value in (member_item.get("values") or {}).items()
            }
            members.append(services.MemberData(values=previous, instance=member))
    guardian_item = item.get("guardian")
    current = EntrustedGuardian.objects.filter(child=child).first()
    guardian: dict[str, Any] | None
    if guardian_item is None:
        guardian = {name: getattr(current, name) for name in services.GUARDIAN_FIELDS} if current else None
    elif guardian_item.get("existed"):
        guardian = {
            name: _decode(EntrustedGuardian, name, value) for name, value in (guardian_item.get("values") or {}).items()
        }
    else:
        guardian = None
    services.child_save(actor=actor, values=values, members=members, guardian=guardian, child=child)
