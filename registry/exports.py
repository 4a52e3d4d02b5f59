"""The registry ledger (台账) in the column order of the national 登记表, and display helpers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.idnumber import mask, mask_phone
from core.xlsx import sheet_bytes
from regions.countries import country_name
from registry.codes import ParentStatus
from registry.eligibility import FLAG_LABELS, KIND_LABELS
from registry.models import Child, EntrustedGuardian, FamilyMember
from registry.selectors import WHOLE_TOWNSHIP

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


def _parent_cells(member: tuple[Any, ...] | None, full: bool, statuses: dict[Any, str]) -> list[Any]:
    if member is None:
        return ["", "", "", "", ""]
    name, id_number, phone, status, work_place = member
    return [
        name,
        id_number if full else mask(id_number),
        phone if full else mask_phone(phone),
        statuses.get(status, status),
        # Where a parent works is asked of a parent who is away; an earlier place is not current.
        (work_place or "") if status == ParentStatus.AWAY_FOR_WORK else "",
    ]


def choice_labels(model: type[models.Model], *fields: str) -> dict[str, dict[Any, str]]:
    """Each field's choices as {value: label}, translated once per export, not once per cell."""
    return {name: {value: str(label) for value, label in model._meta.get_field(name).flatchoices} for name in fields}  # type: ignore[union-attr]


CHILD_COLUMNS = (
    "pk",
    "hukou_village__parent__name",
    "hukou_village__name",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "health",
    "schooling",
    "school__name",
    "school_name",
    "grade",
    "is_boarding",
    "living_arrangement",
    "guardian__name",
    "guardian__relationship",
    "guardian__phone",
    "guardianship_type",
    "guardianship_assessment",
    "left_behind_kind",
    "flags",
    "status",
    "entry_date",
)
BATCH = 2000


def _parents_of(ids: list[int]) -> dict[tuple[int, str], tuple[Any, ...]]:
    """(child id, "father" or "mother") -> (name, ID number, phone, situation, place of work)."""
    parents: dict[tuple[int, str], tuple[Any, ...]] = {}
    rows = FamilyMember.objects.filter(child_id__in=ids, relationship__in=FATHER | MOTHER).order_by("id")
    for child_id, relationship, *values in rows.values_list(
        "child_id", "relationship", "name", "id_number", "phone", "status", "work_region__full_name", "work_country"
    ):
        *values, country = values
        if country:  # abroad: the country's name where the place in China would be
            values[-1] = country_name(country)
        parents.setdefault((child_id, "father" if relationship in FATHER else "mother"), tuple(values))
    return parents


def ledger_rows(children: QuerySet[Child], *, full: bool) -> Iterator[Sequence[Any]]:
    """The ledger's rows: plain values in batches (no model instances), labels looked up once."""
    labels = choice_labels(
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
    statuses = choice_labels(FamilyMember, "status")["status"]
    relationships = choice_labels(EntrustedGuardian, "relationship")["relationship"]
    kinds = {code: str(label) for code, label in KIND_LABELS.items()}
    flags = {code: str(label) for code, label in FLAG_LABELS.items()}
    yes, no = _("yes"), _("no")
    number = 0
    batch: list[dict[str, Any]] = []

    def flush() -> Iterator[Sequence[Any]]:
        nonlocal number
        parents = _parents_of([row["pk"] for row in batch])
        for row in batch:
            number += 1
            guardian = row["guardian__name"]
            yield [
                number,
                row["hukou_village__parent__name"] or "",
                row["hukou_village__name"],
                row["name"],
                labels["gender"].get(row["gender"], ""),
                labels["ethnicity"].get(row["ethnicity"], ""),
                row["birth_date"],
                row["id_number"] if full else mask(row["id_number"]),
                labels["health"].get(row["health"], ""),
                labels["schooling"].get(row["schooling"], ""),
                row["school__name"] or row["school_name"],
                row["grade"],
                yes if row["is_boarding"] else no,
                labels["living_arrangement"].get(row["living_arrangement"], ""),
                *_parent_cells(parents.get((row["pk"], "father")), full, statuses),
                *_parent_cells(parents.get((row["pk"], "mother")), full, statuses),
                guardian or "",
                relationships.get(row["guardian__relationship"], "") if guardian else "",
                (row["guardian__phone"] if full else mask_phone(row["guardian__phone"] or "")) if guardian else "",
                labels["guardianship_type"].get(row["guardianship_type"], ""),
                labels["guardianship_assessment"].get(row["guardianship_assessment"], ""),
                kinds.get(row["left_behind_kind"], ""),
                "、".join(flags[f] for f in row["flags"] or [] if f in flags),
                labels["status"].get(row["status"], ""),
                row["entry_date"],
            ]

    for row in children.values(*CHILD_COLUMNS).iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) >= BATCH:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


# Columns written as text ("@"): ID numbers and phones must never become numbers (18 digits lose
# their last three in a spreadsheet) whatever someone later types into them.
TEXT_COLUMNS = {7: 20, 15: 20, 16: 14, 20: 20, 21: 14, 26: 14}  # column index: width
# The date of birth and the entry date are dates (a spreadsheet sorts and filters them as dates).
DATE_COLUMNS = {6: 11, 32: 11}


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The ledger's workbook: ``core.xlsx`` writes it row by row (formulas neutralised, ID and
    phone columns formatted as text, dates as dates)."""
    return sheet_bytes(title, headers, rows, text_columns=TEXT_COLUMNS, widths=DATE_COLUMNS)


def ledger_title(*, left_behind_only: bool) -> str:
    """The ledger's name says what it holds: only left-behind children, or every child listed."""
    return _("Ledger of left-behind children") if left_behind_only else _("Ledger of children")


def ledger_area(*, jurisdiction: str, village: str = "", villages: Sequence[tuple[str, str]] = ()) -> str:
    """Whose ledger it is, for its file and sheet name: the village filtered on, else the user's
    jurisdiction ("江口镇新前村委会", "江口镇", "涵江区"), so that ledgers saved side by side differ."""
    if village:
        # A township's entry reads "江口镇 （全镇）": its ledger is the township's, "江口镇".
        label = str(dict(villages).get(village, "")).removesuffix(f" {WHOLE_TOWNSHIP}")
        return label.replace(" ", "")
    return jurisdiction


def filters_text(form: Any) -> str:
    """The filters a ledger was exported with, in words, for the read log ("村（社区）：江口镇 新前村委会").
    A search with digits in it (an ID number or its end) is written masked, as the log keeps every number."""
    data = form.cleaned_data
    parts = []
    for name in ("q", "village", "school", "status", "left_behind", "flag"):
        value = data.get(name)
        if value in (None, ""):
            continue
        if name == "q":
            text = mask(value) if any(c.isdigit() for c in value) else value
        elif name == "village":
            text = dict(form.village_choices).get(value, value)
        elif name == "school":
            text = dict(form.school_choices).get(value, str(value))
        else:
            text = str(dict(form.fields[name].choices).get(value, value))
        parts.append(f"{form.fields[name].label}：{text}")
    return "；".join(parts)


def ledger_xlsx(children: QuerySet[Child], *, full: bool, title: str = "") -> tuple[bytes, int]:
    counted = [0]

    def rows() -> Iterator[Sequence[Any]]:
        for row in ledger_rows(children, full=full):
            counted[0] += 1
            yield row

    content = workbook_bytes(title or ledger_title(left_behind_only=True), ledger_headers(), rows())
    return content, counted[0]
