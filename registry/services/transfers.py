"""Transfers of a file between villages: sent by the holder or asked for by the new village, decided
by the other side, once."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.permissions import Perm, has_perm
from accounts.roles import OrgKind, Role
from core import audit
from core.idnumber import mask
from regions.models import Level, Region
from registry.codes import ChildStatus
from registry.models import (
    OPEN_CHANGE_STATUSES,
    Child,
    ChildChange,
    ChildTransfer,
    TransferStatus,
)
from registry.services.files import _check_village, _township_government, _village_committee, check_in_scope
from registry.services.review import _drop_open_changes
from worklist import services as worklist
from worklist.models import ItemKind, WorkItem

# --- Transfers between villages --------------------------------------------------------------


def _check_transfer_possible(child: Child, to_village: Region) -> None:
    if to_village.level != Level.VILLAGE or not to_village.is_active:
        raise ValidationError({"to_village": _("Choose a village or community.")})
    if to_village.pk == child.hukou_village_id:
        raise ValidationError({"to_village": _("The child is already registered in this village.")})
    if child.status == ChildStatus.EXITED:
        raise ValidationError(_("This child has exited the registry; the file is kept read-only."))
    if ChildTransfer.objects.filter(child=child, status=TransferStatus.PENDING).exists():
        raise ValidationError(_("A transfer of this child is already waiting for a decision."))


@transaction.atomic
def transfer_send(*, actor: User, child: Child, to_village: Region, reason: str) -> ChildTransfer:
    """The holding village or township sends the file; the receiving village accepts it."""
    if not has_perm(actor, Perm.EDIT_CHILDREN):
        raise PermissionDenied
    check_in_scope(actor, child)
    _check_transfer_possible(child, to_village)
    transfer = ChildTransfer.objects.create(
        child=child,
        from_code=child.region_code,
        to_village=to_village,
        to_code=to_village.code,
        reason=reason[:200],
        requested_by=actor,
    )
    audit.record(
        actor=actor, kind="write", action="child.transfer_send", obj=child, detail=f"→ {to_village.full_name}：{reason}"
    )
    receiver = Organisation.objects.filter(region=to_village, kind=OrgKind.VILLAGE_COMMITTEE, is_active=True).first()
    if receiver is None:
        raise ValidationError({"to_village": _("The village has no committee organisation in the system yet.")})
    worklist.item_open(
        actor=actor,
        kind=ItemKind.DECIDE_TRANSFER,
        title=_("Accept the file of %(name)s from %(village)s?")
        % {"name": child.name, "village": child.hukou_village.full_name},
        target=transfer,
        region_code=to_village.code,
        owner_organisation=receiver,
        owner_role=Role.VILLAGE_DIRECTOR,
        url=reverse("transfer_detail", args=[transfer.pk]),
    )
    return transfer


@transaction.atomic
def transfer_request(*, actor: User, id_number: str, to_village: Region, reason: str) -> ChildTransfer:
    """A village that found a child registered elsewhere asks the holding township for the file.

    The file itself stays hidden from the asking side until the holder accepts.
    """
    if not has_perm(actor, Perm.EDIT_CHILDREN):
        raise PermissionDenied
    _check_village(actor, to_village)
    # Deliberately not scoped: the asking side may only learn that the file exists elsewhere.
    child = Child.objects.filter(id_number=id_number.strip().upper()).select_related("hukou_village").first()
    if child is None:
        raise ValidationError(_("No file with this ID number was found."))
    if Child.objects.for_user(actor).filter(pk=child.pk).exists():
        raise ValidationError(_("This file is already in your jurisdiction."))
    if child.status == ChildStatus.EXITED:
        # The asking side learns no more of the file than where it is held, not even that it exited.
        township = child.hukou_village.parent
        raise ValidationError(
            _("This file cannot be transferred. Ask %(township)s about it.")
            % {"township": township.full_name if township else child.region_code[:9]}
        )
    _check_transfer_possible(child, to_village)
    transfer = ChildTransfer.objects.create(
        child=child,
        from_code=child.region_code,
        to_village=to_village,
        to_code=to_village.code,
        requested_by_receiver=True,
        reason=reason[:200],
        requested_by=actor,
    )
    audit.record(
        actor=actor,
        kind="write",
        action="child.transfer_request",
        obj=child,
        detail=f"→ {to_village.full_name}：{reason}",
    )
    worklist.item_open(
        actor=actor,
        kind=ItemKind.DECIDE_TRANSFER,
        title=_("%(village)s asks for the file of %(name)s") % {"village": to_village.full_name, "name": child.name},
        target=transfer,
        region_code=child.region_code,
        owner_organisation=_township_government(child),
        owner_role=Role.TOWNSHIP_SUPERVISOR,
        url=reverse("transfer_detail", args=[transfer.pk]),
    )
    return transfer


def _on_side(actor: User, code: str) -> bool:
    prefix = actor.scope_prefix
    return prefix is not None and code.startswith(prefix)


def can_withdraw(actor: User, transfer: ChildTransfer) -> bool:
    """The side that started a transfer may take it back while the other side has not decided."""
    if transfer.status != TransferStatus.PENDING or not has_perm(actor, Perm.EDIT_CHILDREN):
        return False
    return _on_side(actor, transfer.to_code if transfer.requested_by_receiver else transfer.from_code)


def _lock_pending(actor: User, transfer: ChildTransfer) -> None:
    """Read the transfer again under a lock, and refuse unless it still waits for a decision.

    Two people may press "accept" (or one accept, one withdraw) at once: the second must find the
    transfer decided, not move the file a second time.
    """
    if not ChildTransfer.objects.for_user(actor).filter(pk=transfer.pk).exists():
        raise PermissionDenied
    ChildTransfer.objects.select_for_update().get(pk=transfer.pk)
    transfer.refresh_from_db()
    if transfer.status != TransferStatus.PENDING:
        raise ValidationError(_("This transfer has already been decided."))


@transaction.atomic
def transfer_withdraw(*, actor: User, transfer: ChildTransfer) -> ChildTransfer:
    """A transfer sent to the wrong village, or asked for by mistake, is taken back by its sender."""
    _lock_pending(actor, transfer)
    if not can_withdraw(actor, transfer):
        raise ValidationError(_("Only the side that started the transfer can withdraw it."))
    transfer.status = TransferStatus.WITHDRAWN
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit.record(
        actor=actor,
        kind="write",
        action="child.transfer_withdraw",
        obj=transfer.child,
        detail=f"→ {transfer.to_village.full_name}",
    )
    worklist.items_close_for(actor=actor, target=transfer, resolution=_("Withdrawn"))
    return transfer


def transfer_decider_side(transfer: ChildTransfer) -> str:
    """Which side decides: the holder when the receiver asked, the receiver when the holder sent."""
    return "from" if transfer.requested_by_receiver else "to"


def can_decide(actor: User, transfer: ChildTransfer) -> bool:
    if transfer.status != TransferStatus.PENDING or not has_perm(actor, Perm.EDIT_CHILDREN):
        return False
    prefix = actor.scope_prefix
    if prefix is None:
        return False
    code = transfer.from_code if transfer_decider_side(transfer) == "from" else transfer.to_code
    return code.startswith(prefix)


@transaction.atomic
def transfer_decide(*, actor: User, transfer: ChildTransfer, accept: bool, note: str = "") -> ChildTransfer:
    _lock_pending(actor, transfer)
    if not can_decide(actor, transfer):
        raise ValidationError(_("The other side decides on this transfer."))
    if not accept and not note.strip():
        raise ValidationError({"note": _("Say why the transfer is refused.")})
    child = Child.objects.select_for_update().get(pk=transfer.child_id)
    if accept and child.status == ChildStatus.EXITED:
        raise ValidationError(_("This child has exited the registry; the file is kept read-only."))
    transfer.status = TransferStatus.ACCEPTED if accept else TransferStatus.REJECTED
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.decision_note = note.strip()[:200]
    transfer.save()
    if accept:
        before = audit.snapshot(child, ["hukou_village", "region_code"])
        child.hukou_village = transfer.to_village
        child.region_code = transfer.to_code
        child.save(update_fields=["hukou_village", "region_code", "updated_at"])
        audit.record(
            actor=actor,
            kind="write",
            action="child.transfer_accept",
            obj=child,
            changes=audit.diff(before, audit.snapshot(child, ["hukou_village", "region_code"])),
            detail=transfer.reason,
        )
        if ChildChange.objects.filter(child=child, status__in=OPEN_CHANGE_STATUSES).exists():
            # A change the old village proposed is not the new village's to defend: dropped.
            _drop_open_changes(actor, child, resolution=_("The file has moved to another village"))
        _move_items(actor, child)
    else:
        audit.record(
            actor=actor, kind="write", action="child.transfer_reject", obj=child, detail=transfer.decision_note
        )
    worklist.items_close_for(
        actor=actor, target=transfer, resolution=_("Accepted") if accept else _("Refused: %(note)s") % {"note": note}
    )
    _tell_starter(actor, transfer, child, accept)
    return transfer


def _move_items(actor: User, child: Child) -> None:
    """What is still to do about the file (a new file's review or correction, a child living alone,
    an exit to check) passes to the people of its new village and township."""
    owners: dict[str, Organisation] = {}
    for role, find in ((Role.VILLAGE_DIRECTOR, _village_committee), (Role.TOWNSHIP_SUPERVISOR, _township_government)):
        try:
            owners[role] = find(child)
        except ValidationError:
            continue  # no such organisation there yet: the item stays where it was
    worklist.items_move(
        actor=actor,
        target=child,
        region_code=child.region_code,
        owners=owners,
        reason=_("The file has moved to another village"),
    )


def _tell_starter(actor: User, transfer: ChildTransfer, child: Child, accept: bool) -> None:
    """The side that started a transfer learns the decision in its to-do list.

    A file sent and accepted has simply gone where it was sent: nothing to tell. A village that
    asked for a file and was refused still sees only the number it typed, masked.
    """
    starter = transfer.requested_by
    if starter is None or starter.organisation is None or (accept and not transfer.requested_by_receiver):
        return
    if accept:
        title = _("The file of %(name)s has been transferred to your village") % {"name": child.name}
    elif transfer.requested_by_receiver:
        title = _("Your request for the file %(number)s was refused: %(note)s") % {
            "number": mask(child.id_number),
            "note": transfer.decision_note,
        }
    else:
        title = _("The transfer of %(name)s was refused: %(note)s") % {
            "name": child.name,
            "note": transfer.decision_note,
        }
    worklist.item_open(
        actor=actor,
        kind=ItemKind.TRANSFER_DECIDED,
        title=title,
        target=transfer,
        region_code=transfer.to_code if transfer.requested_by_receiver else transfer.from_code,
        owner_organisation=starter.organisation,
        owner_role=starter.role,
        url=reverse("transfer_detail", args=[transfer.pk]),
    )


def has_decision_to_acknowledge(actor: User, transfer: ChildTransfer) -> bool:
    """Whether the actor has the transfer's decision still to acknowledge in its to-do list."""
    return (
        WorkItem.objects.owned_by(actor)
        .open()
        .filter(kind=ItemKind.TRANSFER_DECIDED, target_type="registry.childtransfer", target_id=str(transfer.pk))
        .exists()
    )


@transaction.atomic
def transfer_acknowledge(*, actor: User, transfer: ChildTransfer) -> None:
    """The starter has read the decision: its to-do item closes."""
    if not ChildTransfer.objects.for_user(actor).filter(pk=transfer.pk).exists():
        raise PermissionDenied
    if not has_decision_to_acknowledge(actor, transfer):
        raise ValidationError(_("There is nothing to acknowledge on this transfer."))
    worklist.items_close_for(
        actor=actor, target=transfer, kinds=[ItemKind.TRANSFER_DECIDED], resolution=_("Decision seen")
    )
