"""Writing a child's file: its fields, family and guardian, the computed eligibility and pinyin keys,
who may write it, and the to-do items that follow it."""

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
from regions.models import Level, Region
from registry.codes import AssistanceKind, ChildStatus, IncomeSource, PovertyFlag
from registry.eligibility import ChildFacts, GuardianFacts, ParentFacts, Thresholds, age_on, evaluate
from registry.models import (
    Child,
    ChildNameKey,
    EntrustedGuardian,
    FamilyMember,
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
    "work_country",
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


def check_in_scope(actor: User, child: Child) -> None:
    if child.pk and not Child.objects.for_user(actor).filter(pk=child.pk).exists():
        raise PermissionDenied


def _check_village(actor: User, village: Region) -> None:
    if village.level != Level.VILLAGE:
        raise ValidationError({"hukou_village": _("Choose a village or community.")})
    if not Region.objects.for_user(actor).filter(pk=village.pk).exists():
        raise ValidationError({"hukou_village": _("This village is outside your jurisdiction.")})


def _organisation(code: str, kind: str, missing: str) -> Organisation:
    """The active organisation of ``kind`` for the region ``code``; ``missing`` says why there is none."""
    organisation = Organisation.objects.filter(region__code=code, kind=kind, is_active=True).first()
    if organisation is None:
        raise ValidationError(missing)
    return organisation


def _township_government(child: Child) -> Organisation:
    return _organisation(
        child.hukou_village.code[:9] + "000",
        OrgKind.TOWNSHIP_GOVERNMENT,
        _("The township of this village has no government organisation in the system yet."),
    )


def _civil_affairs(child: Child) -> Organisation:
    return _organisation(
        child.region_code[:6] + "000000",
        OrgKind.CIVIL_AFFAIRS,
        _("The district has no civil-affairs bureau in the system yet."),
    )


def _village_committee(child: Child) -> Organisation:
    return _organisation(
        child.hukou_village.code,
        OrgKind.VILLAGE_COMMITTEE,
        _("The village has no committee organisation in the system yet."),
    )


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


def district_item(*, actor: Any, child: Child, kind: str, title: str) -> None:
    """An entry or exit for the district's civil-affairs administrators to confirm."""
    _child_item(
        actor=actor,
        kind=kind,
        title=title,
        owner_organisation=_civil_affairs(child),
        owner_role=Role.DISTRICT_ADMIN,
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
        check_in_scope(actor, child)
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
