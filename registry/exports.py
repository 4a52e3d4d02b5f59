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


def _parent_cells(member: FamilyMember | None, full: bool) -> list[Any]:
    if member is None:
        return ["", "", "", "", ""]
    return [
        member.name,
        member.id_number if full else mask(member.id_number),
        member.phone if full else mask_phone(member.phone),
        member.get_status_display(),
        member.work_region.full_name if member.work_region else "",
    ]


def ledger_rows(children: QuerySet[Child], *, full: bool) -> Iterator[Sequence[Any]]:
    queryset = children.select_related("hukou_village__parent", "school", "guardian").prefetch_related(
        Prefetch("family", queryset=FamilyMember.objects.select_related("work_region"))
    )
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
            child.get_gender_display(),
            child.get_ethnicity_display(),
            date_text(child.birth_date),
            child.id_number if full else mask(child.id_number),
            child.get_health_display(),
            child.get_schooling_display(),
            child.school.name if child.school else child.school_name,
            child.grade,
            _("yes") if child.is_boarding else _("no"),
            child.get_living_arrangement_display(),
            *_parent_cells(father, full),
            *_parent_cells(mother, full),
            guardian.name if guardian else "",
            guardian.get_relationship_display() if guardian else "",
            (guardian.phone if full else mask_phone(guardian.phone)) if guardian else "",
            child.get_guardianship_type_display(),
            child.get_guardianship_assessment_display(),
            kind_label(child),
            "、".join(flag_labels(child)),
            child.get_status_display(),
            date_text(child.entry_date),
        ]


def ledger_xlsx(children: QuerySet[Child], *, full: bool) -> tuple[bytes, int]:
    rows = list(ledger_rows(children, full=full))
    return xlsx_bytes(_("Ledger of left-behind children"), ledger_headers(), rows), len(rows)
