"""The review workflow: village submits, township approves or returns, district confirms; exits
proposed and confirmed."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Perm, has_perm
from core import audit
from registry.codes import ChildStatus, ExitReason
from registry.eligibility import age_on
from registry.models import (
    OPEN_CHANGE_STATUSES,
    ChangeStatus,
    Child,
    ChildChange,
)
from registry.services.files import (
    check_in_scope,
    district_item,
    thresholds,
    township_review_item,
    village_fix_item,
)
from worklist import services as worklist
from worklist.models import ItemKind

# --- Review workflow -------------------------------------------------------------------------


def _transition(actor: User, child: Child, *, allowed_from: set[str], to: str, action: str, detail: str = "") -> None:
    check_in_scope(actor, child)
    if child.status not in allowed_from:
        raise ValidationError(_("This step is not possible in the file's current status."))
    before = {"status": child.get_status_display()}
    child.status = to
    child.save(
        update_fields=["status", "review_comment", "entry_date", "exit_date", "exit_reason", "exit_note", "updated_at"]
    )
    audit.record(
        actor=actor,
        kind="write",
        action=action,
        obj=child,
        changes=audit.diff(before, {"status": child.get_status_display()}),
        detail=detail,
    )


@transaction.atomic
def child_submit(*, actor: User, child: Child) -> Child:
    if not has_perm(actor, Perm.EDIT_CHILDREN):
        raise PermissionDenied
    child.review_comment = ""
    _transition(
        actor,
        child,
        allowed_from={ChildStatus.DRAFT, ChildStatus.RETURNED},
        to=ChildStatus.AWAITING_REVIEW,
        action="child.submit",
    )
    worklist.items_close_for(actor=actor, target=child, kinds=[ItemKind.FIX_RETURNED], resolution=_("Submitted again"))
    township_review_item(actor=actor, child=child, title=_("Review the new file of %(name)s") % {"name": child.name})
    return child


@transaction.atomic
def child_approve(*, actor: User, child: Child) -> Child:
    """The township approves: a new file goes to the district for confirmation; a village's change
    to a registered file is accepted and written (registry.changes)."""
    if not has_perm(actor, Perm.REVIEW_CHILDREN):
        raise PermissionDenied
    check_in_scope(actor, child)
    if child.status == ChildStatus.REGISTERED:
        from registry import changes  # registry.changes builds on this module

        changes.change_accept(actor=actor, child=child)
        child.refresh_from_db()
        return child
    child.review_comment = ""
    _transition(
        actor,
        child,
        allowed_from={ChildStatus.AWAITING_REVIEW},
        to=ChildStatus.AWAITING_CONFIRMATION,
        action="child.approve",
    )
    worklist.items_close_for(actor=actor, target=child, kinds=[ItemKind.REVIEW_CHILD], resolution=_("Approved"))
    district_item(
        actor=actor,
        child=child,
        kind=ItemKind.CONFIRM_ENTRY,
        title=_("Confirm the entry of %(name)s") % {"name": child.name},
    )
    return child


@transaction.atomic
def child_return(*, actor: User, child: Child, comment: str) -> Child:
    """The township or district returns a new file, or the township a village's change to a
    registered file, to the village with a comment."""
    if not (has_perm(actor, Perm.REVIEW_CHILDREN) or has_perm(actor, Perm.CONFIRM_CHILDREN)):
        raise PermissionDenied
    if not comment.strip():
        raise ValidationError({"comment": _("Say what needs correcting.")})
    check_in_scope(actor, child)
    if child.status == ChildStatus.REGISTERED:
        from registry import changes  # registry.changes builds on this module

        changes.change_return(actor=actor, child=child, comment=comment)
        return child
    child.review_comment = comment.strip()[:500]
    _transition(
        actor,
        child,
        allowed_from={ChildStatus.AWAITING_REVIEW, ChildStatus.AWAITING_CONFIRMATION},
        to=ChildStatus.RETURNED,
        action="child.return",
        detail=child.review_comment,
    )
    worklist.items_close_for(
        actor=actor, target=child, kinds=[ItemKind.REVIEW_CHILD, ItemKind.CONFIRM_ENTRY], resolution=_("Returned")
    )
    title = _("Correct the file of %(name)s") % {"name": child.name}
    village_fix_item(actor=actor, child=child, title=title, note=child.review_comment)
    return child


@transaction.atomic
def child_confirm(*, actor: User, child: Child) -> Child:
    """The district confirms the entry: the child is registered from today."""
    if not has_perm(actor, Perm.CONFIRM_CHILDREN):
        raise PermissionDenied
    child.entry_date = timezone.localdate()
    _transition(
        actor,
        child,
        allowed_from={ChildStatus.AWAITING_CONFIRMATION},
        to=ChildStatus.REGISTERED,
        action="child.confirm",
    )
    worklist.items_close_for(actor=actor, target=child, kinds=[ItemKind.CONFIRM_ENTRY], resolution=_("Confirmed"))
    return child


def _check_exit(child: Child, reason: str, exit_date: date) -> None:
    """An exit's reason must be true on its date, and the date within the child's time on file."""
    errors: dict[str, str] = {}
    if reason not in ExitReason.values:
        errors["reason"] = _("Choose the reason for the exit.")
    limit = thresholds().age_limit
    if reason == ExitReason.TURNED_16 and child.birth_date and age_on(child.birth_date, exit_date) < limit:
        errors["reason"] = _(
            "The child is %(age)s on the exit date (born %(born)s), not yet %(limit)s: choose another reason."
        ) % {"age": age_on(child.birth_date, exit_date), "born": child.birth_date.isoformat(), "limit": limit}
    if exit_date > timezone.localdate():
        errors["exit_date"] = _("The date cannot be in the future.")
    elif child.birth_date and exit_date < child.birth_date:
        errors["exit_date"] = _("The exit date cannot be before the child's birth (%(date)s).") % {
            "date": child.birth_date.isoformat()
        }
    elif child.entry_date and exit_date < child.entry_date:
        errors["exit_date"] = _("The exit date cannot be before the entry into the registry (%(date)s).") % {
            "date": child.entry_date.isoformat()
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def child_propose_exit(*, actor: User, child: Child, reason: str, exit_date: date, note: str = "") -> Child:
    """Village or township proposes an exit; the district confirms it."""
    if not has_perm(actor, Perm.EDIT_CHILDREN):
        raise PermissionDenied
    check_in_scope(actor, child)
    if child.status != ChildStatus.REGISTERED:
        raise ValidationError(_("Only a registered child can exit the registry."))
    _check_exit(child, reason, exit_date)
    child.exit_reason, child.exit_date, child.exit_note = reason, exit_date, note[:200]
    child.save(update_fields=["exit_reason", "exit_date", "exit_note", "updated_at"])
    audit.record(
        actor=actor,
        kind="write",
        action="child.propose_exit",
        obj=child,
        detail=f"{child.get_exit_reason_display()} {exit_date.isoformat()} {child.exit_note}".strip(),
    )
    worklist.items_close_for(actor=actor, target=child, kinds=[ItemKind.CHECK_EXIT], resolution=_("Exit proposed"))
    district_item(
        actor=actor,
        child=child,
        kind=ItemKind.CONFIRM_EXIT,
        title=_("Confirm the exit of %(name)s") % {"name": child.name},
    )
    return child


@transaction.atomic
def child_confirm_exit(*, actor: User, child: Child) -> Child:
    if not has_perm(actor, Perm.CONFIRM_CHILDREN):
        raise PermissionDenied
    if not child.exit_reason or not child.exit_date:
        raise ValidationError(_("No exit has been proposed for this child."))
    _transition(actor, child, allowed_from={ChildStatus.REGISTERED}, to=ChildStatus.EXITED, action="child.exit")
    _drop_open_changes(actor, child, resolution=_("The child has exited the registry"))
    worklist.items_close_for(
        actor=actor, target=child, kinds=[ItemKind.CONFIRM_EXIT, ItemKind.PROPOSED_EXIT], resolution=_("Exit confirmed")
    )
    return child


@transaction.atomic
def child_reject_exit(*, actor: User, child: Child) -> Child:
    if not has_perm(actor, Perm.CONFIRM_CHILDREN):
        raise PermissionDenied
    check_in_scope(actor, child)
    detail = child.get_exit_reason_display()
    child.exit_reason, child.exit_date, child.exit_note = "", None, ""
    child.save(update_fields=["exit_reason", "exit_date", "exit_note", "updated_at"])
    audit.record(actor=actor, kind="write", action="child.reject_exit", obj=child, detail=detail)
    worklist.items_close_for(
        actor=actor, target=child, kinds=[ItemKind.CONFIRM_EXIT, ItemKind.PROPOSED_EXIT], resolution=_("Exit rejected")
    )
    return child


def _drop_open_changes(actor: User, child: Child, *, resolution: str) -> None:
    """A village's change that can no longer be decided (the child exited or moved) is dropped."""
    for change in ChildChange.objects.select_for_update().filter(child=child, status__in=OPEN_CHANGE_STATUSES):
        change.status = ChangeStatus.WITHDRAWN
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit.record(actor=actor, kind="write", action="child.withdraw_change", obj=child, detail=resolution)
    worklist.items_close_for(
        actor=actor, target=child, kinds=[ItemKind.REVIEW_CHILD, ItemKind.FIX_RETURNED], resolution=resolution
    )
