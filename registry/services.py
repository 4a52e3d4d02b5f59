"""Writes to the child registry. Each is atomic, audited against the child, and keeps the
computed eligibility, the pinyin search keys and the to-do items in step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.permissions import Perm, has_perm
from accounts.roles import OrgKind, Role
from core import audit
from core.idnumber import mask
from regions.models import Level, Region
from registry.codes import AssistanceKind, ChildStatus, ExitReason, IncomeSource, PovertyFlag
from registry.eligibility import ChildFacts, GuardianFacts, ParentFacts, Thresholds, age_on, evaluate
from registry.models import (
    OPEN_CHANGE_STATUSES,
    ChangeStatus,
    Child,
    ChildChange,
    ChildNameKey,
    ChildTransfer,
    EntrustedGuardian,
    FamilyMember,
    TransferStatus,
)
from registry.pinyin import name_keys
from worklist import services as worklist
from worklist.models import ItemKind, ItemStatus, WorkItem

# The child's own fields, in the order of the edit form's page (registry/templates/registry/
# child_form.html): the timeline and the error summary list them in that order.
CHILD_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "hukou_unregistered",
    "hukou_village",
    "hukou_nature",
    "current_address",
    "health",
    "illness",
    "disability_category",
    "disability_grade",
    "disability_certificate",
    "schooling",
    "school",
    "school_name",
    "grade",
    "is_boarding",
    "guardianship_type",
    "guardianship_assessment",
    "living_arrangement",
    "entrustment_date",
    "entrustment_scan",
    "income_sources",
    "assistance",
    "assistance_other",
    "poverty_flags",
)
MEMBER_FIELDS = (
    "relationship",
    "name",
    "birth_date",
    "id_number",
    "phone",
    "status",
    "work_region",
    "employer",
    "left_on",
    "last_returned_on",
    "contact_frequency",
)
GUARDIAN_FIELDS = ("name", "id_number", "phone", "relationship", "address", "birth_date", "health")
ELIGIBILITY_FIELDS = ["is_left_behind", "left_behind_kind", "flags", "eligibility_reasons", "is_key_target"]
EDITABLE_BY_VILLAGE = {ChildStatus.DRAFT, ChildStatus.RETURNED, ChildStatus.REGISTERED}
FATHER_CODES = {"51", "57"}
MOTHER_CODES = {"52", "58"}


def thresholds() -> Thresholds:
    return Thresholds(
        age_limit=getattr(settings, "LEFT_BEHIND_AGE_LIMIT", 16),
        months_away=getattr(settings, "LEFT_BEHIND_MONTHS_AWAY", 6),
        guardian_max_age=getattr(settings, "GUARDIAN_MAX_AGE", 70),
    )


# --- Eligibility --------------------------------------------------------------------------


def _parent(members: Iterable[FamilyMember], codes: set[str]) -> ParentFacts | None:
    for member in members:
        if member.relationship in codes:
            return ParentFacts(status=member.status, left_on=member.left_on, last_returned_on=member.last_returned_on)
    return None


def facts_of(child: Child, members: list[FamilyMember], guardian: EntrustedGuardian | None, today: date) -> ChildFacts:
    return ChildFacts(
        birth_date=child.birth_date,
        rural_hukou=child.hukou_nature == "rural",
        health=child.health,
        living_arrangement=child.living_arrangement,
        guardianship_type=child.guardianship_type,
        guardianship_assessment=child.guardianship_assessment,
        poverty_flags=frozenset(child.poverty_flags or []),
        assistance=frozenset(child.assistance or []),
        father=_parent(members, FATHER_CODES),
        mother=_parent(members, MOTHER_CODES),
        guardian=GuardianFacts(
            age=age_on(guardian.birth_date, today) if guardian.birth_date else None, health=guardian.health
        )
        if guardian is not None
        else None,
    )


def apply_eligibility(child: Child, *, today: date | None = None) -> bool:
    """Re-evaluate and store the result on ``child`` (not saved). True if anything changed."""
    today = today or timezone.localdate()
    members = list(child.family.all()) if child.pk else []
    guardian = EntrustedGuardian.objects.filter(child=child).first() if child.pk else None
    result = evaluate(facts_of(child, members, guardian, today), today=today, limits=thresholds())
    new = {
        "is_left_behind": result.is_left_behind,
        "left_behind_kind": result.kind,
        "flags": sorted(result.flags),
        "eligibility_reasons": result.reasons,
        "is_key_target": "key_target" in result.flags,
    }
    changed = any(getattr(child, key) != value for key, value in new.items())
    for key, value in new.items():
        setattr(child, key, value)
    child.evaluated_on = today
    return changed


def _save_name_keys(child: Child) -> None:
    keys = name_keys(child.name)
    tokens = list(dict.fromkeys([*keys.variants, *keys.initial_variants]))
    ChildNameKey.objects.filter(child=child).delete()
    ChildNameKey.objects.bulk_create([ChildNameKey(child=child, key=token[:64]) for token in tokens if token])


# --- Who may do what to which child ---------------------------------------------------------


def _check_in_scope(actor: User, child: Child) -> None:
    if child.pk and not Child.objects.for_user(actor).filter(pk=child.pk).exists():
        raise PermissionDenied


def _check_village(actor: User, village: Region) -> None:
    if village.level != Level.VILLAGE:
        raise ValidationError({"hukou_village": _("Choose a village or community.")})
    if not Region.objects.for_user(actor).filter(pk=village.pk).exists():
        raise ValidationError({"hukou_village": _("This village is outside your jurisdiction.")})


def _township_government(child: Child) -> Organisation:
    village = child.hukou_village
    organisation = Organisation.objects.filter(
        region__code=village.code[:9] + "000", kind=OrgKind.TOWNSHIP_GOVERNMENT, is_active=True
    ).first()
    if organisation is None:
        raise ValidationError(_("The township of this village has no government organisation in the system yet."))
    return organisation


def _civil_affairs(child: Child) -> Organisation:
    organisation = Organisation.objects.filter(
        region__code=child.region_code[:6] + "000000", kind=OrgKind.CIVIL_AFFAIRS, is_active=True
    ).first()
    if organisation is None:
        raise ValidationError(_("The district has no civil-affairs bureau in the system yet."))
    return organisation


def _village_committee(child: Child) -> Organisation:
    organisation = Organisation.objects.filter(
        region=child.hukou_village, kind=OrgKind.VILLAGE_COMMITTEE, is_active=True
    ).first()
    if organisation is None:
        raise ValidationError(_("The village has no committee organisation in the system yet."))
    return organisation


def _child_item(
    *,
    actor: Any,
    kind: str,
    title: str,
    child: Child,
    owner_organisation: Organisation,
    owner_role: str,
    note: str = "",
    due_in_days: int = 7,
) -> None:
    """A to-do item about a child's file, linking to its dossier."""
    worklist.item_open(
        actor=actor,
        kind=kind,
        title=title,
        target=child,
        region_code=child.region_code,
        owner_organisation=owner_organisation,
        owner_role=owner_role,
        url=reverse("child_detail", args=[child.pk]),
        note=note,
        due_in_days=due_in_days,
    )


def township_review_item(*, actor: Any, child: Child, title: str) -> None:
    """A file (or a change to it) for the township's supervisors to review."""
    _child_item(
        actor=actor,
        kind=ItemKind.REVIEW_CHILD,
        title=title,
        owner_organisation=_township_government(child),
        owner_role=Role.TOWNSHIP_SUPERVISOR,
        child=child,
    )


def village_fix_item(*, actor: Any, child: Child, title: str, note: str) -> None:
    """A returned file (or change) for the village's child director to correct, with the comment."""
    _child_item(
        actor=actor,
        kind=ItemKind.FIX_RETURNED,
        title=title,
        owner_organisation=_village_committee(child),
        owner_role=Role.VILLAGE_DIRECTOR,
        note=note,
        child=child,
    )


# --- Writing a file --------------------------------------------------------------------------


@dataclass
class MemberData:
    values: dict[str, Any]
    instance: FamilyMember | None = None
    delete: bool = False


MULTI_CHOICES: dict[str, type[models.TextChoices]] = {
    "income_sources": IncomeSource,
    "assistance": AssistanceKind,
    "poverty_flags": PovertyFlag,
}


def _child_snapshot(child: Child) -> dict[str, Any]:
    """The child's fields as people read them: lists of codes become their names."""
    values = audit.snapshot(child, CHILD_FIELDS)
    for field, choices in MULTI_CHOICES.items():
        known = dict(choices.choices)
        values[field] = "、".join(str(known.get(code, code)) for code in values.get(field) or [])
    return values


def _field_label(model: type[models.Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _member_label(member: FamilyMember) -> str:
    return f"{member.get_relationship_display()}{member.name}"


def _write_members(child: Child, members: list[MemberData], changes: dict[str, list[Any]]) -> None:
    for data in members:
        member = data.instance
        if data.delete:
            if member is not None and member.pk:
                changes[_("Removed: %(member)s") % {"member": _member_label(member)}] = [_member_label(member), None]
                member.delete()
            continue
        # The form has already changed the instance in memory: compare with what is stored.
        stored = FamilyMember.objects.filter(pk=member.pk).first() if member is not None and member.pk else None
        before = audit.snapshot(stored, MEMBER_FIELDS) if stored is not None else {}
        member = member or FamilyMember(child=child)
        member.child = child
        for key in MEMBER_FIELDS:
            if key in data.values:
                setattr(member, key, data.values[key])
        member.full_clean(exclude=["child"])
        member.save()
        label = _member_label(member)
        for field, values in audit.diff(before, audit.snapshot(member, MEMBER_FIELDS)).items():
            verbose = _field_label(FamilyMember, field)
            changes[f"{label} · {verbose}"] = values


def _write_guardian(child: Child, values: Mapping[str, Any] | None, changes: dict[str, list[Any]]) -> None:
    guardian = EntrustedGuardian.objects.filter(child=child).first()
    if not values:
        if guardian is not None:
            changes[_("Entrusted guardian")] = [guardian.name, None]
            guardian.delete()
        return
    before = audit.snapshot(guardian, GUARDIAN_FIELDS) if guardian else {}
    guardian = guardian or EntrustedGuardian(child=child)
    for key in GUARDIAN_FIELDS:
        if key in values:
            setattr(guardian, key, values[key])
    guardian.full_clean(exclude=["child"])
    guardian.save()
    for field, pair in audit.diff(before, audit.snapshot(guardian, GUARDIAN_FIELDS)).items():
        verbose = _field_label(EntrustedGuardian, field)
        changes[f"{_('Entrusted guardian')} · {verbose}"] = pair


def _check_parents(members: list[MemberData]) -> None:
    fathers = sum(1 for m in members if not m.delete and m.values.get("relationship") in FATHER_CODES)
    mothers = sum(1 for m in members if not m.delete and m.values.get("relationship") in MOTHER_CODES)
    if fathers > 1 or mothers > 1:
        raise ValidationError(_("A child has one father and one mother in the file; record step-parents as such."))


def change_needs_review(actor: User, child: Child) -> bool:
    """A village's change to a registered file waits for the township (registry.changes)."""
    return actor.role == Role.VILLAGE_DIRECTOR and child.status == ChildStatus.REGISTERED


@transaction.atomic
def child_save(
    *,
    actor: User,
    values: Mapping[str, Any],
    members: list[MemberData],
    guardian: Mapping[str, Any] | None,
    child: Child | None = None,
) -> Child:
    """Create a child's file (a draft) or change one; the whole file in one step.

    A village's change to a registered file is not written: it is held for the township's review
    (``registry.changes.change_propose``), after the same checks as a direct save.
    """
    if not has_perm(actor, Perm.EDIT_CHILDREN):
        raise PermissionDenied
    if child is not None:
        _check_in_scope(actor, child)
        if actor.role == Role.VILLAGE_DIRECTOR and child.status not in EDITABLE_BY_VILLAGE:
            raise ValidationError(_("This file is being reviewed and cannot be changed now."))
        if child.status == ChildStatus.EXITED:
            raise ValidationError(_("This child has exited the registry; the file is kept read-only."))
        if change_needs_review(actor, child):
            from registry import changes  # registry.changes builds on this module

            changes.change_propose(actor=actor, child=child, values=values, members=members, guardian=guardian)
            child.refresh_from_db()
            return child
    saved, _changes = write_file(actor=actor, values=values, members=members, guardian=guardian, child=child)
    return saved


def write_file(
    *,
    actor: User,
    values: Mapping[str, Any],
    members: list[MemberData],
    guardian: Mapping[str, Any] | None,
    child: Child | None = None,
    action: str = "",
    detail: str = "",
    report_lives_alone: bool = True,
) -> tuple[Child, dict[str, list[Any]]]:
    """Write the whole file, audited; the one path of a direct save and of an accepted change.

    Returns the child and what changed, as recorded in the audit trail. Callers hold the
    transaction and have checked who may write.
    """
    creating = child is None
    village = values.get("hukou_village") or (child.hukou_village if child else None)
    if village is None:
        raise ValidationError({"hukou_village": _("Choose a village or community.")})
    _check_village(actor, village)
    _check_parents(members)

    before = _child_snapshot(Child.objects.get(pk=child.pk)) if child is not None else {}
    child = child or Child(created_by=actor)
    for key in CHILD_FIELDS:
        if key in values:
            # A cleared upload comes from the form as False; the file field stores no name.
            value = "" if key == "entrustment_scan" and values[key] is False else values[key]
            setattr(child, key, value)
    child.id_number = (child.id_number or "").upper()
    child.id_reversed = child.id_number[::-1]
    child.region_code = child.hukou_village.code
    child.name_sort = name_keys(child.name).full
    child.full_clean(exclude=["created_by"])
    child.save()

    changes = audit.diff(before, _child_snapshot(child))
    _write_members(child, members, changes)
    _write_guardian(child, guardian, changes)
    was_alone = "lives_alone" in (child.flags or []) and not creating
    was_left_behind = child.is_left_behind and not creating
    apply_eligibility(child)
    child.save()
    _save_name_keys(child)
    audit.record(
        actor=actor,
        kind="write",
        action=action or ("child.create" if creating else "child.update"),
        obj=child,
        changes=changes,
        detail=detail,
    )
    if "lives_alone" in child.flags and not was_alone and report_lives_alone:
        raise_lives_alone(actor=actor, child=child)
    _follow_left_behind(actor, child, was_left_behind=was_left_behind)
    return child, changes


def _follow_left_behind(actor: Any, child: Child, *, was_left_behind: bool) -> None:
    """A registered child who is no longer left-behind (a parent came home) is not taken off the
    registry by a save: the village checks, and proposes the exit if it is so."""
    if child.status != ChildStatus.REGISTERED:
        return
    if child.is_left_behind:
        worklist.items_close_for(
            actor=actor, target=child, kinds=[ItemKind.CHECK_EXIT], resolution=_("Left-behind again")
        )
    elif was_left_behind and not child.exit_reason and not has_open_item(child, ItemKind.CHECK_EXIT):
        _child_item(
            actor=actor,
            kind=ItemKind.CHECK_EXIT,
            title=_("%(name)s is no longer a left-behind child: check, and propose the exit if so")
            % {"name": child.name},
            owner_organisation=_village_committee(child),
            owner_role=Role.VILLAGE_DIRECTOR,
            child=child,
        )


def raise_lives_alone(*, actor: Any, child: Child, note: str = "") -> None:
    """Living alone without a guardian is a mandatory-report situation: the township must verify
    it and report it to the police at once, whatever stage the file (or a change to it) is at."""
    if has_open_item(child, ItemKind.LIVES_ALONE):
        return
    _child_item(
        actor=actor,
        kind=ItemKind.LIVES_ALONE,
        title=_("%(name)s lives alone without a guardian: verify and report to the police") % {"name": child.name},
        owner_organisation=_township_government(child),
        owner_role=Role.TOWNSHIP_SUPERVISOR,
        due_in_days=1,
        note=note,
        child=child,
    )


def has_open_item(child: Child, kind: str) -> bool:
    return WorkItem.objects.filter(
        target_type=child._meta.label_lower, target_id=str(child.pk), kind=kind, status=ItemStatus.OPEN
    ).exists()


# --- Review workflow -------------------------------------------------------------------------


def _transition(actor: User, child: Child, *, allowed_from: set[str], to: str, action: str, detail: str = "") -> None:
    _check_in_scope(actor, child)
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
    _check_in_scope(actor, child)
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
    _child_item(
        actor=actor,
        kind=ItemKind.CONFIRM_ENTRY,
        title=_("Confirm the entry of %(name)s") % {"name": child.name},
        owner_organisation=_civil_affairs(child),
        owner_role=Role.DISTRICT_ADMIN,
        child=child,
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
    _check_in_scope(actor, child)
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
    _check_in_scope(actor, child)
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
    _child_item(
        actor=actor,
        kind=ItemKind.CONFIRM_EXIT,
        title=_("Confirm the exit of %(name)s") % {"name": child.name},
        owner_organisation=_civil_affairs(child),
        owner_role=Role.DISTRICT_ADMIN,
        child=child,
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
    _check_in_scope(actor, child)
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


# --- Daily sweep -----------------------------------------------------------------------------


def birthday(born: date, age: int) -> date:
    """The date someone born on ``born`` turns ``age`` (29 February birthdays: 1 March)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return date(born.year + age, 3, 1)


def _propose_turned_16(child: Child, limit: int) -> None:
    child.exit_reason, child.exit_date = "turned_16", birthday(child.birth_date, limit)
    child.save(update_fields=["exit_reason", "exit_date"])
    audit.record(
        actor=None, kind="write", action="child.propose_exit", obj=child, detail=child.get_exit_reason_display()
    )
    _child_item(
        actor=None,
        kind=ItemKind.PROPOSED_EXIT,
        title=_("%(name)s has turned %(age)s: confirm the exit") % {"name": child.name, "age": limit},
        owner_organisation=_civil_affairs(child),
        owner_role=Role.DISTRICT_ADMIN,
        child=child,
    )


def daily_reevaluation(*, today: date | None = None) -> str:
    """Re-evaluate every active child (birthdays change ages) and propose exits for those turning 16."""
    today = today or timezone.localdate()
    changed = proposed = 0
    limit = thresholds().age_limit
    for child in Child.objects.active().exclude(evaluated_on=today).iterator(chunk_size=500):
        with transaction.atomic():
            if apply_eligibility(child, today=today):
                child.save(update_fields=[*ELIGIBILITY_FIELDS, "evaluated_on"])
                changed += 1
            else:
                Child.objects.filter(pk=child.pk).update(evaluated_on=today)
            turned = age_on(child.birth_date, today) >= limit
            if child.status == ChildStatus.REGISTERED and not child.exit_reason and turned:
                _propose_turned_16(child, limit)
                proposed += 1
    return f"{changed} re-evaluated with a different result; {proposed} exits proposed"


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
    _check_in_scope(actor, child)
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
        _drop_open_changes(actor, child, resolution=_("The file has moved to another village"))
    else:
        audit.record(
            actor=actor, kind="write", action="child.transfer_reject", obj=child, detail=transfer.decision_note
        )
    worklist.items_close_for(
        actor=actor, target=transfer, resolution=_("Accepted") if accept else _("Refused: %(note)s") % {"note": note}
    )
    _tell_starter(actor, transfer, child, accept)
    return transfer


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
