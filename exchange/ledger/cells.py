"""Reading a ledger's cells: which keys make up the child, parent and guardian blocks, which
cells keep the stored value when blank, which may be masked, the choice fields, and the helpers
that normalise text, parse dates, mask cells for reports and map form errors back to columns.
``_Row`` holds one row as read; ``_existing_view`` puts a stored file in the same terms, for
comparing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from core.idnumber import mask, mask_phone
from exchange.ledger.entries import LedgerIssue
from regions.models import Region
from registry import services
from registry.codes import (
    GuardianshipAssessment,
    GuardianshipType,
    HealthStatus,
    LivingArrangement,
    ParentStatus,
    SchoolingStatus,
)
from registry.forms import Abroad, WorkPlaceField
from registry.models import Child, EntrustedGuardian, FamilyMember

CHILD_KEYS = (
    "village",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "health",
    "schooling",
    "school",
    "grade",
    "is_boarding",
    "living_arrangement",
    "guardianship_type",
    "guardianship_assessment",
)
PARENT_PARTS = ("name", "id_number", "phone", "status", "work_place")
GUARDIAN_KEYS = ("guardian_name", "guardian_relationship", "guardian_phone")
BLOCKS: dict[str, tuple[str, ...]] = {
    "father": tuple(f"father_{part}" for part in PARENT_PARTS),
    "mother": tuple(f"mother_{part}" for part in PARENT_PARTS),
    "guardian": GUARDIAN_KEYS,
}
PARENT_CODES = {"father": services.FATHER_CODES, "mother": services.MOTHER_CODES}
NEW_PARENT_CODE = {"father": "51", "mother": "52"}
# Cells the registry cannot leave empty: blank keeps what a known file has.
KEEP_WHEN_BLANK = {
    "village",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "health",
    "schooling",
    "is_boarding",
    "living_arrangement",
    "guardianship_type",
    "guardianship_assessment",
    "father_status",
    "mother_status",
}
MASKABLE = {"id_number", "father_id_number", "mother_id_number", "father_phone", "mother_phone", "guardian_phone"}
NAME_KEYS = {"name", "father_name", "mother_name", "guardian_name"}
CHOICES: dict[str, type[models.TextChoices]] = {
    "health": HealthStatus,
    "schooling": SchoolingStatus,
    "living_arrangement": LivingArrangement,
    "guardianship_type": GuardianshipType,
    "guardianship_assessment": GuardianshipAssessment,
    "father_status": ParentStatus,
    "mother_status": ParentStatus,
}
YES = {"是", "yes", "y", "true", "1", "寄宿", "住校", "√", "✓"}
NO = {"否", "no", "n", "false", "0", "不寄宿", "非寄宿", "走读", "×", "x"}
_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)
_VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")
_TOWNSHIP_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
CHUNK = 500


class _Masked(str):
    """A masked number as typed: usable only if it is the masked form of the stored one."""


def _text(value: Any) -> str:
    return "" if value is None else unicodedata.normalize("NFKC", str(value)).strip()


def _fold(text: str) -> str:
    """For comparing names: cells are read NFKC-normalised (``_text``), so the names they are
    compared with are too ("江口中学（演示）" in the registry is "江口中学(演示)" in a cell)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _strip_suffixes(name: str, suffixes: tuple[str, ...]) -> str:
    name = _fold(name)
    stripped = True
    while stripped:
        stripped = False
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) > len(suffix):
                name, stripped = name[: -len(suffix)], True
    return name


def parse_date(text: str) -> date | None:
    """2010-05-03, 2010/5/3, 2010.5.3, 20100503, 2010年5月3日 (a time after the date is ignored)."""
    text = _text(text)
    for form in _DATE_FORMS:
        found = form.fullmatch(text)
        if found:
            try:
                return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
            except ValueError:
                return None
    return None


def _masked_cell(key: str, text: str) -> str:
    """The cell as it may appear in a report: numbers masked, names left out."""
    if key in NAME_KEYS:
        return ""
    if key.endswith("id_number"):
        return text if "*" in text else mask("".join(text.split()))
    if key.endswith("phone"):
        return text if "*" in text else mask_phone(text)
    return text[:100]


def _form_messages(form: forms.BaseForm, columns: Mapping[str, str], default: str) -> list[LedgerIssue]:
    issues: list[LedgerIssue] = []
    for name, errors in form.errors.items():
        column = columns.get(name, default) if name != NON_FIELD_ERRORS else default
        issues.extend(LedgerIssue(column, str(message)) for message in errors)
    return issues


CHILD_FORM_COLUMNS = {
    "name": "name",
    "gender": "gender",
    "ethnicity": "ethnicity",
    "birth_date": "birth_date",
    "id_number": "id_number",
    "hukou_unregistered": "id_number",
    "hukou_village": "village",
    "health": "health",
    "illness": "health",
    "disability_category": "health",
    "disability_grade": "health",
    "schooling": "schooling",
    "school": "school",
    "school_name": "school",
    "grade": "grade",
    "is_boarding": "is_boarding",
    "living_arrangement": "living_arrangement",
    "guardianship_type": "guardianship_type",
    "guardianship_assessment": "guardianship_assessment",
}
FORM_CHILD_FIELDS = [f for f in services.CHILD_FIELDS if f != "entrustment_scan"]


def place_key(region_id: int | None, country: str) -> int | str | None:
    """A place of work as a plan compares it: the region's key in China, the country's code abroad."""
    return country or region_id


class _CachedWorkPlaceField(WorkPlaceField):
    """The registry's place-of-work rules, each distinct text resolved once per import."""

    def __init__(self, cache: dict[str, Region | Abroad | ValidationError | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache = cache

    def clean(self, value: Any) -> Region | Abroad | None:
        key = _text(value)
        if key not in self.cache:
            try:
                self.cache[key] = super().clean(value)
            except ValidationError as exc:
                self.cache[key] = exc
        found = self.cache[key]
        if isinstance(found, ValidationError):
            raise found
        return found


@dataclass
class _Row:
    row_no: int
    given: dict[str, Any]
    texts: dict[str, str]
    blocks: set[str]
    issues: list[LedgerIssue]
    id_number: str = ""  # normalised, when the cell holds a valid full number
    id_masked: str = ""
    child: Child | None = None


def _existing_view(child: Child, members: list[FamilyMember], guardian: EntrustedGuardian | None) -> dict[str, Any]:
    """A file in the same terms as the parsed cells, for comparing."""
    view: dict[str, Any] = {
        "village": child.hukou_village_id,
        "name": child.name,
        "gender": child.gender,
        "ethnicity": child.ethnicity,
        "birth_date": child.birth_date,
        "id_number": child.id_number,
        "health": child.health,
        "schooling": child.schooling,
        "school": ("org", child.school_id) if child.school_id else ("text", child.school_name),
        "grade": child.grade,
        "is_boarding": child.is_boarding,
        "living_arrangement": child.living_arrangement,
        "guardianship_type": child.guardianship_type,
        "guardianship_assessment": child.guardianship_assessment,
    }
    for block, codes in PARENT_CODES.items():
        member = next((m for m in members if m.relationship in codes), None)
        view[f"{block}_name"] = member.name if member else ""
        view[f"{block}_id_number"] = member.id_number if member else ""
        view[f"{block}_phone"] = member.phone if member else ""
        view[f"{block}_status"] = member.status if member else None
        view[f"{block}_work_place"] = place_key(member.work_region_id, member.work_country) if member else None
    view["guardian_name"] = guardian.name if guardian else ""
    view["guardian_relationship"] = guardian.relationship if guardian else None
    view["guardian_phone"] = guardian.phone if guardian else ""
    return view


def _masked_form(key: str, value: str) -> str:
    return mask_phone(value) if key.endswith("phone") else mask(value)
