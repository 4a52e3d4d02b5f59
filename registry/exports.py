"""The registry ledger (台账) in the column order of the national 登记表, and display helpers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from core.exports import date_text, xlsx_bytes
from core.idnumber import mask, mask_phone
from registry.eligibility import FLAG_LABELS, KIND_LABELS
from registry.models import Child, EntrustedGuardian, FamilyMember

FATHER = {"51", "57"}
MOTHER = {"52", "58"}


def flag_labels(child: Child) -> list[str]:
    return [str(FLAG_LABELS[f]) for f in child.flags or [] if f in FLAG_LABELS]


def labels(choices: type[models.TextChoices], values: list[str] | None) -> list[str]:
    known = dict(choices.choices)
    return [str(known[v]) for v in values or [] if v in known]


def kind_label(child: Child) -> str:
    return str(KIND_LABELS.get(child.left_behind_kind, ""))


def ledger_headers() -> list[str]:
    return [
        _("No."),
        _("Township"),
        _("Village"),
        _("Full name"),
        _("Gender"),
        _("Ethnicity"),
        _("Date of birth"),
        _("Citizen ID number"),
        _("Health"),
        _("Schooling"),
        _("School"),
        _("Grade"),
        _("Boarding"),
        _("Living arrangement"),
        _("Father's name"),
        _("Father's ID number"),
        _("Father's phone"),
        _("Father's situation"),
        _("Father's place of work"),
        _("Mother's name"),
        _("Mother's ID number"),
        _("Mother's phone"),
        _("Mother's situation"),
        _("Mother's place of work"),
        _("Entrusted guardian"),
        _("Guardian's relationship"),
        _("Guardian's phone"),
        _("Guardianship type"),
        _("Guardianship assessment"),
        _("Kind of left-behind child"),
        _("Flags"),
        _("Status"),
        _("Entry date"),
    ]


def _parent_cells(member: FamilyMember | None, full: bool, statuses: dict[Any, str]) -> list[Any]:
    if member is None:
        return ["", "", "", "", ""]
    return [
        member.name,
        member.id_number if full else mask(member.id_number),
        member.phone if full else mask_phone(member.phone),
        statuses.get(member.status, member.status),
        member.work_region.full_name if member.work_region else "",
    ]


def _labels(model: type[models.Model], *fields: str) -> dict[str, dict[Any, str]]:
    """Each field's choices as {value: label}, translated once per export, not once per cell."""
    return {name: {value: str(label) for value, label in model._meta.get_field(name).flatchoices} for name in fields}  # type: ignore[union-attr]


def ledger_rows(children: QuerySet[Child], *, full: bool) -> Iterator[Sequence[Any]]:
    queryset = children.select_related("hukou_village__parent", "school", "guardian").prefetch_related(
        Prefetch("family", queryset=FamilyMember.objects.select_related("work_region"))
    )
    child_labels = _labels(
        Child,
        "gender",
        "ethnicity",
        "health",
        "schooling",
        "living_arrangement",
        "guardianship_type",
        "guardianship_assessment",
        "status",
    )
    member_labels = _labels(FamilyMember, "status")
    guardian_labels = _labels(EntrustedGuardian, "relationship")
    kinds = {code: str(label) for code, label in KIND_LABELS.items()}
    flags = {code: str(label) for code, label in FLAG_LABELS.items()}
    yes, no = _("yes"), _("no")

    def show(field: str, value: Any) -> str:
        return child_labels[field].get(value, value or "")

    for number, child in enumerate(queryset.iterator(chunk_size=1000), start=1):
        members = list(child.family.all())
        father = next((m for m in members if m.relationship in FATHER), None)
        mother = next((m for m in members if m.relationship in MOTHER), None)
        try:
            guardian: EntrustedGuardian | None = child.guardian
        except EntrustedGuardian.DoesNotExist:
            guardian = None
        village = child.hukou_village
        yield [
            number,
            village.parent.name if village.parent else "",
            village.name,
            child.name,
            show("gender", child.gender),
            show("ethnicity", child.ethnicity),
            date_text(child.birth_date),
            child.id_number if full else mask(child.id_number),
            show("health", child.health),
            show("schooling", child.schooling),
            child.school.name if child.school else child.school_name,
            child.grade,
            yes if child.is_boarding else no,
            show("living_arrangement", child.living_arrangement),
            *_parent_cells(father, full, member_labels["status"]),
            *_parent_cells(mother, full, member_labels["status"]),
            guardian.name if guardian else "",
            guardian_labels["relationship"].get(guardian.relationship, "") if guardian else "",
            (guardian.phone if full else mask_phone(guardian.phone)) if guardian else "",
            show("guardianship_type", child.guardianship_type),
            show("guardianship_assessment", child.guardianship_assessment),
            kinds.get(child.left_behind_kind, ""),
            "、".join(flags[f] for f in child.flags or [] if f in flags),
            show("status", child.status),
            date_text(child.entry_date),
        ]


def ledger_xlsx(children: QuerySet[Child], *, full: bool) -> tuple[bytes, int]:
    counted = [0]

    def rows() -> Iterator[Sequence[Any]]:
        for row in ledger_rows(children, full=full):
            counted[0] += 1
            yield row

    content = xlsx_bytes(_("Ledger of left-behind children"), ledger_headers(), rows())
    return content, counted[0]
