"""A village's change to a registered file, held until the township accepts it (待审核的修改).

The village child director edits a registered file as usual; ``registry.services.child_save``
hands the edit to ``change_propose``, which

1. rehearses the save: it writes the whole file through ``services.write_file`` inside a
   savepoint and rolls it back, so the change meets every check of a direct save (the same
   messages at the same fields) and yields what it would change and the eligibility it implies;
2. stores the whole proposed file as plain JSON on a ``ChildChange`` (one open per child;
   editing again replaces it) together with the file as it was (``base``);
3. opens the township's review item, and at once, without waiting for the review, the
   mandatory-report item if the change says that the child lives alone.

The township accepts (``change_accept``: the proposal goes through ``services.write_file``, the
path of a direct save, audited with the proposer named) or returns it with a comment
(``change_return``: nothing is written; the village gets a to-do item and sees its proposal and
the comment). The village may edit and send it again, or withdraw it (``change_withdraw``).

A change made on a file that someone else has changed since is refused, not merged: see
``is_stale`` and docs/registry.md for why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Perm, has_perm
from accounts.roles import Role
from core import audit
from core.models import AuditEvent
from registry import services
from registry.codes import ChildStatus
from registry.models import (
    OPEN_CHANGE_STATUSES,
    ChangeStatus,
    Child,
    ChildChange,
    EntrustedGuardian,
    FamilyMember,
)
from worklist import services as worklist
from worklist.models import ItemKind, WorkItem

# The code of the error a save without any change raises: not a mistake to correct at a field.
NOTHING_CHANGED = "nothing_changed"

# The audit actions that change what a proposal was made on.
FILE_WRITES = ("child.update", "child.accept_change", "child.transfer_accept")

# --- The stored form of a file: plain JSON ---------------------------------------------------


def _plain(field: models.Field[Any, Any], value: Any) -> Any:
    if isinstance(field, models.FileField):
        return value.name or "" if isinstance(value, FieldFile) else value or ""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return value


def plain_values(model: type[models.Model], values: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Form values as JSON: foreign keys as primary keys, dates as ISO text, files by name."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    result = {name: _plain(fields[name], values[name]) for name in names if name in values}
    return json.loads(json.dumps(result, cls=DjangoJSONEncoder))


def python_values(model: type[models.Model], data: Mapping[str, Any]) -> dict[str, Any]:
    """The reverse of ``plain_values``: the values a save takes (a file stays a stored name)."""
    result: dict[str, Any] = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            related: Any = field.related_model
            result[name] = related._default_manager.filter(pk=value).first() if value is not None else None
        elif isinstance(field, models.DateField) and isinstance(value, str):
            result[name] = date.fromisoformat(value) if value else None
        else:
            result[name] = value
    return result


def _stored(obj: models.Model, names: tuple[str, ...]) -> dict[str, Any]:
    return plain_values(type(obj), {name: getattr(obj, name) for name in names}, names)


def file_state(child: Child) -> dict[str, Any]:
    """The whole stored file (child, family, guardian) as JSON."""
    guardian = EntrustedGuardian.objects.filter(child=child).first()
    return {
        "child": _stored(Child.objects.get(pk=child.pk), services.CHILD_FIELDS),
        "members": {
            str(member.pk): _stored(member, services.MEMBER_FIELDS)
            for member in FamilyMember.objects.filter(child=child).order_by("pk")
        },
        "guardian": _stored(guardian, services.GUARDIAN_FIELDS) if guardian is not None else None,
    }


def is_stale(change: ChildChange, child: Child) -> bool:
    """Has the file changed since the village made this change?"""
    return file_state(child) != change.base


def stale_by(change: ChildChange, child: Child) -> AuditEvent | None:
    """The last write to the file after the change was made: who changed it under the proposal."""
    return (
        AuditEvent.objects.filter(
            object_type="registry.child", object_id=str(child.pk), action__in=FILE_WRITES, at__gt=change.proposed_at
        )
        .order_by("-at", "-id")
        .first()
    )


def proposed_file(
    change: ChildChange, child: Child
) -> tuple[dict[str, Any], list[services.MemberData], dict[str, Any] | None]:
    """The proposal as the arguments of a save: child values, family members, guardian."""
    values = python_values(Child, change.values)
    members = []
    for entry in change.members:
        instance = FamilyMember.objects.filter(pk=entry["id"], child=child).first() if entry.get("id") else None
        if entry.get("id") and instance is None:
            raise ValidationError(_("A family member in this change is no longer in the file."))
        members.append(
            services.MemberData(
                values=python_values(FamilyMember, entry.get("values") or {}),
                instance=instance,
                delete=bool(entry.get("delete")),
            )
        )
    guardian = python_values(EntrustedGuardian, change.guardian) if change.guardian else None
    return values, members, guardian


def open_change(child: Child) -> ChildChange | None:
    return (
        ChildChange.objects.filter(child=child, status__in=OPEN_CHANGE_STATUSES).select_related("proposed_by").first()
    )


# --- Proposing -----------------------------------------------------------------------------


class _Rehearsal(Exception):
    """Raised inside the savepoint of a rehearsed save, to roll it back."""


def _scan_value(values: Mapping[str, Any]) -> tuple[Any, File | None]:  # type: ignore[type-arg]
    """The entrustment scan as a stored name for the rehearsal, and the new upload if there is one.

    The rehearsal must not write the upload to storage: it stands in with the name it would get.
    """
    scan = values.get("entrustment_scan")
    if isinstance(scan, FieldFile):
        return scan.name or "", None
    if isinstance(scan, File):
        field = ChildChange._meta.get_field("entrustment_scan")
        assert isinstance(field, models.FileField)
        return field.generate_filename(None, scan.name or "scan"), scan
    return scan or "", None


@transaction.atomic
def change_propose(
    *,
    actor: User,
    child: Child,
    values: Mapping[str, Any],
    members: list[services.MemberData],
    guardian: Mapping[str, Any] | None,
) -> ChildChange:
    """Hold a village's change to a registered file for the township (see the module's notes)."""
    stored = Child.objects.select_for_update().get(pk=child.pk)
    base = file_state(stored)
    change = ChildChange.objects.select_for_update().filter(child=stored, status__in=OPEN_CHANGE_STATUSES).first()
    values = dict(values)
    if "entrustment_scan" in values:
        values["entrustment_scan"], upload = _scan_value(values)
    else:
        upload = None

    # Taken before the rehearsal: deleting a member in it clears the instance's primary key.
    proposed_members = [
        {
            "id": data.instance.pk if data.instance is not None and data.instance.pk else None,
            "delete": data.delete,
            "values": plain_values(FamilyMember, data.values, services.MEMBER_FIELDS),
        }
        for data in members
    ]
    rehearsed: dict[str, Any] = {}
    try:
        with transaction.atomic():
            saved, diff = services.write_file(
                actor=actor, values=values, members=members, guardian=guardian, child=stored
            )
            rehearsed = {"changes": diff, "flags": list(saved.flags or [])}
            raise _Rehearsal
    except _Rehearsal:
        pass
    stored = Child.objects.get(pk=child.pk)
    diff = rehearsed["changes"]
    if not diff:
        if change is not None:
            raise ValidationError(
                _("This is the file as it is: nothing to send. To drop your change, withdraw it on the dossier."),
                code=NOTHING_CHANGED,
            )
        raise ValidationError(_("Nothing has changed: there is nothing to send for review."), code=NOTHING_CHANGED)

    returned = change is not None and change.status == ChangeStatus.RETURNED
    change = change or ChildChange(child=stored)
    scan_name = values.get("entrustment_scan", base["child"]["entrustment_scan"])
    if upload is not None:
        change.entrustment_scan.save(upload.name or "scan", upload, save=False)
        scan_name = change.entrustment_scan.name
        diff["entrustment_scan"] = [diff.get("entrustment_scan", [None])[0], scan_name]
    elif change.entrustment_scan and scan_name != change.entrustment_scan.name:
        # The village no longer sends the scan it uploaded with an earlier version of the change.
        change.entrustment_scan = ""
    change.values = {
        **base["child"],
        **plain_values(Child, values, services.CHILD_FIELDS),
        "entrustment_scan": scan_name,
    }
    change.members = proposed_members
    change.guardian = plain_values(EntrustedGuardian, guardian, services.GUARDIAN_FIELDS) if guardian else None
    change.base = base
    change.changes = diff
    change.proposed_by = actor
    change.proposed_at = timezone.now()
    change.status = ChangeStatus.PENDING
    change.save()

    audit.record(actor=actor, kind="write", action="child.propose_change", obj=stored, changes=diff)
    if returned:
        worklist.items_close_for(
            actor=actor, target=stored, kinds=[ItemKind.FIX_RETURNED], resolution=_("Change sent again")
        )
    if not services.has_open_item(stored, ItemKind.REVIEW_CHILD):
        services.township_review_item(
            actor=actor, child=stored, title=_("Review the change to the file of %(name)s") % {"name": stored.name}
        )
    if "lives_alone" in rehearsed["flags"] and "lives_alone" not in (stored.flags or []):
        # Safety does not wait for the review.
        services.raise_lives_alone(
            actor=actor, child=stored, note=_("Reported by the village in a change that awaits review.")
        )
    return change


# --- Deciding ------------------------------------------------------------------------------


def _pending(child: Child) -> ChildChange:
    change = ChildChange.objects.select_for_update().filter(child=child, status=ChangeStatus.PENDING).first()
    if change is None:
        raise ValidationError(_("No change to this file is awaiting review."))
    return change


def _proposer(change: ChildChange) -> str:
    return change.proposed_by.display_name if change.proposed_by is not None else _("unknown")


@transaction.atomic
def change_accept(*, actor: User, child: Child) -> ChildChange:
    """The township accepts: the change is written as a direct save would write it."""
    if not has_perm(actor, Perm.REVIEW_CHILDREN):
        raise PermissionDenied
    services.check_in_scope(actor, child)
    child = Child.objects.select_for_update().get(pk=child.pk)
    change = _pending(child)
    if child.status != ChildStatus.REGISTERED:
        raise ValidationError(_("This step is not possible in the file's current status."))
    if is_stale(change, child):
        raise ValidationError(
            _(
                "The file has been changed since the village made this change, so it cannot be accepted as it is. "
                "Return it: the village makes it again on the file as it is now."
            )
        )
    values, members, guardian = proposed_file(change, child)
    proposed_at = timezone.localtime(change.proposed_at).strftime("%Y-%m-%d %H:%M")
    # The lives-alone item was raised when the change was made; do not raise it a second time.
    reported = WorkItem.objects.filter(
        target_type="registry.child",
        target_id=str(child.pk),
        kind=ItemKind.LIVES_ALONE,
        created_at__gte=change.created_at,
    ).exists()
    services.write_file(
        actor=actor,
        values=values,
        members=members,
        guardian=guardian,
        child=child,
        action="child.accept_change",
        detail=_("proposed by %(name)s on %(date)s") % {"name": _proposer(change), "date": proposed_at},
        report_lives_alone=not reported,
    )
    change.status = ChangeStatus.ACCEPTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    worklist.items_close_for(actor=actor, target=child, kinds=[ItemKind.REVIEW_CHILD], resolution=_("Change accepted"))
    return change


@transaction.atomic
def change_return(*, actor: User, child: Child, comment: str) -> ChildChange:
    """The township returns the change with a comment; the file stays as it is."""
    if not has_perm(actor, Perm.REVIEW_CHILDREN):
        raise PermissionDenied
    if not comment.strip():
        raise ValidationError({"comment": _("Say what needs correcting.")})
    services.check_in_scope(actor, child)
    change = _pending(child)
    change.status = ChangeStatus.RETURNED
    change.review_comment = comment.strip()[:500]
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "review_comment", "decided_by", "decided_at", "updated_at"])
    audit.record(actor=actor, kind="write", action="child.return_change", obj=child, detail=change.review_comment)
    worklist.items_close_for(actor=actor, target=child, kinds=[ItemKind.REVIEW_CHILD], resolution=_("Returned"))
    services.village_fix_item(
        actor=actor,
        child=child,
        title=_("Correct the change to the file of %(name)s") % {"name": child.name},
        note=change.review_comment,
    )
    return change


@transaction.atomic
def change_withdraw(*, actor: User, child: Child) -> ChildChange:
    """The village drops its change (awaiting review or returned); the file stays as it is."""
    if not has_perm(actor, Perm.EDIT_CHILDREN) or actor.role != Role.VILLAGE_DIRECTOR:
        raise PermissionDenied
    services.check_in_scope(actor, child)
    change = ChildChange.objects.select_for_update().filter(child=child, status__in=OPEN_CHANGE_STATUSES).first()
    if change is None:
        raise ValidationError(_("There is no change to withdraw."))
    change.status = ChangeStatus.WITHDRAWN
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit.record(actor=actor, kind="write", action="child.withdraw_change", obj=child)
    worklist.items_close_for(
        actor=actor,
        target=child,
        kinds=[ItemKind.REVIEW_CHILD, ItemKind.FIX_RETURNED],
        resolution=_("Change withdrawn by the village"),
    )
    return change


# --- Full numbers, for a reviewer who asks ----------------------------------------------------

NUMBER_FIELDS = ("id_number", "phone", "disability_certificate")


def revealed_numbers(change: ChildChange) -> list[tuple[str, str, str]]:
    """The ID numbers and phones a change sets, in full: (who · field, before, proposed).

    The change's table masks them, as the history does; a reviewer who asks for the full numbers
    of the file (a logged read, ``child.reveal``) sees these too, to check what they accept."""
    rows: list[tuple[str, str, str]] = []

    def compare(who: str, model: type[models.Model], old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for name in NUMBER_FIELDS:
            if name not in new:
                continue
            before, after = old.get(name) or "", new.get(name) or ""
            if before != after:
                label = str(getattr(model._meta.get_field(name), "verbose_name", name))
                rows.append((f"{who} · {label}" if who else label, before, after))

    base = change.base or {}
    compare("", Child, base.get("child") or {}, change.values or {})
    old_members = base.get("members") or {}
    relationships = dict(FamilyMember._meta.get_field("relationship").flatchoices)
    for entry in change.members or []:
        if entry.get("delete"):
            continue
        values = entry.get("values") or {}
        who = f"{relationships.get(values.get('relationship'), '')}{values.get('name', '')}"
        compare(who, FamilyMember, old_members.get(str(entry.get("id"))) or {}, values)
    if change.guardian is not None:
        compare(str(_("Entrusted guardian")), EntrustedGuardian, base.get("guardian") or {}, change.guardian)
    return rows
