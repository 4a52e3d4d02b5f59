"""Spreadsheets of the data-exchange area: the validation report, reconciliation results and
discrepancy lists, and the monthly exchange files to civil affairs, police and education.

Every cell goes through ``core.exports.safe_cell`` (text beginning with = + - @ is neutralised).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exports import date_text, xlsx_bytes
from core.idnumber import mask
from exchange.models import Discrepancy, ImportBatch, RowError
from registry.codes import ChildStatus, Relationship
from registry.exports import kind_label
from registry.models import Child, FamilyMember

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def errors_xlsx(batch: ImportBatch, errors: QuerySet[RowError]) -> bytes:
    headers = [_("Row"), _("Column"), _("Value"), _("Reason")]
    rows = ((e.row_no, e.column, e.value, e.message) for e in errors.iterator(chunk_size=5000))
    return xlsx_bytes(_("Rejected rows"), headers, rows)


def _fields_text(details: dict[str, Any]) -> str:
    from exchange.selectors import field_rows

    return "；".join(
        f"{label}：{ours or '—'} → {theirs or '—'}" for label, ours, theirs in field_rows(details.get("fields") or {})
    )


def discrepancy_rows(rows: QuerySet[Discrepancy]) -> Iterator[Sequence[Any]]:
    for d in rows.iterator(chunk_size=2000):
        person = (d.details or {}).get("person", {})
        child = d.child
        yield (
            d.pk,
            str(d.get_kind_display()),
            d.region_code,
            child.name if child else person.get("name", ""),
            mask(child.id_number) if child and child.id_number else person.get("id_number", ""),
            date_text(child.birth_date) if child else person.get("birth_date", ""),
            _fields_text(d.details or {}),
            str(d.get_status_display()),
            date_text(d.due_date),
            d.resolution_note,
        )


def discrepancies_xlsx(rows: QuerySet[Discrepancy]) -> bytes:
    headers = [
        _("No."),
        _("Kind"),
        _("Village code"),
        _("Full name"),
        _("Citizen ID number"),
        _("Date of birth"),
        _("Differences (registry → source)"),
        _("Status"),
        _("Due date"),
        _("Resolution"),
    ]
    return xlsx_bytes(_("Discrepancies"), headers, discrepancy_rows(rows.select_related("child")))


MONTHLY_TARGETS = ("civil", "police", "education")


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _parents(children: QuerySet[Child]) -> dict[tuple[int, str], tuple[str, str]]:
    found: dict[tuple[int, str], tuple[str, str]] = {}
    for child_id, relationship, name, id_number in FamilyMember.objects.filter(
        child__in=children, relationship__in=[Relationship.FATHER, Relationship.MOTHER]
    ).values_list("child_id", "relationship", "name", "id_number"):
        found.setdefault((child_id, relationship), (name, id_number))
    return found


def _township(child: Child) -> str:
    parent = child.hukou_village.parent
    return parent.name if parent is not None else ""


def monthly_xlsx(target: str, children: QuerySet[Child]) -> tuple[bytes, int]:
    """The monthly exchange file for ``target`` (civil affairs, police or education), full numbers."""
    today = timezone.localdate()
    registered = children.filter(status=ChildStatus.REGISTERED).select_related("hukou_village__parent", "school")
    registered = registered.order_by("region_code", "name_sort", "id")
    parents = _parents(registered)
    rows: list[Sequence[Any]] = []
    if target == "police":
        headers = [
            _("Village code"),
            _("Village"),
            _("Full name"),
            _("Gender"),
            _("Date of birth"),
            _("Citizen ID number"),
            _("Father's name"),
            _("Father's ID number"),
            _("Mother's name"),
            _("Mother's ID number"),
            _("Kind of left-behind child"),
        ]
        for child in registered.iterator(chunk_size=2000):
            father = parents.get((child.pk, Relationship.FATHER), ("", ""))
            mother = parents.get((child.pk, Relationship.MOTHER), ("", ""))
            rows.append(
                (
                    child.region_code,
                    child.hukou_village.name,
                    child.name,
                    child.get_gender_display(),
                    date_text(child.birth_date),
                    child.id_number,
                    *father,
                    *mother,
                    kind_label(child),
                )
            )
        title = _("To the police")
    elif target == "education":
        headers = [
            _("Township"),
            _("Village"),
            _("Full name"),
            _("Gender"),
            _("Date of birth"),
            _("Citizen ID number"),
            _("Schooling"),
            _("School"),
            _("Grade"),
            _("Boarding"),
            _("Kind of left-behind child"),
        ]
        for child in registered.iterator(chunk_size=2000):
            if not 3 <= _age(child.birth_date, today) < 18:
                continue
            rows.append(
                (
                    _township(child),
                    child.hukou_village.name,
                    child.name,
                    child.get_gender_display(),
                    date_text(child.birth_date),
                    child.id_number,
                    child.get_schooling_display(),
                    child.school.name if child.school else child.school_name,
                    child.grade,
                    _("yes") if child.is_boarding else _("no"),
                    kind_label(child),
                )
            )
        title = _("To education")
    else:
        headers = [
            _("Township"),
            _("Village"),
            _("Full name"),
            _("Gender"),
            _("Date of birth"),
            _("Citizen ID number"),
            _("Kind of left-behind child"),
            _("Key target"),
            _("Guardianship type"),
            _("Entry date"),
        ]
        for child in registered.iterator(chunk_size=2000):
            rows.append(
                (
                    _township(child),
                    child.hukou_village.name,
                    child.name,
                    child.get_gender_display(),
                    date_text(child.birth_date),
                    child.id_number,
                    kind_label(child),
                    _("yes") if child.is_key_target else _("no"),
                    child.get_guardianship_type_display(),
                    date_text(child.entry_date),
                )
            )
        title = _("To civil affairs")
    return xlsx_bytes(str(title), [str(h) for h in headers], rows), len(rows)
