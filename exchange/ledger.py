"""Importing the registry's own ledger (登记表 layout) back: plan, apply, undo.

``plan_ledger`` reads the rows of a parsed ledger (one text column per key of ``LEDGER_KEYS``
and ``_row``, the row number in the file), turns the cells into the registry's form data and
sorts every row into new, changed, unchanged, conflict or error, without writing anything.
The rules are the registry's own: each row goes through ``ChildForm``, ``FamilyMemberForm``
and ``GuardianForm``, and ``apply_ledger`` writes through ``registry.services.child_save``, so
the audit trail, the eligibility and the to-do items follow as if the files had been typed in.

What a blank cell means:

* a cell that the registry cannot leave empty (name, gender, schooling, village…) keeps the
  existing value of a known child; for a new child it takes the field's default (Han ethnicity,
  healthy, not boarding; a parent "at home") or, without one, is reported as missing;
* a cell that may be empty (school, grade, a phone…) is written empty;
* a father, mother or guardian whose cells are all blank is left as the registry has them:
  the ledger never removes people from a file.

``left_behind_kind``, ``flags``, ``status`` and ``entry_date`` are computed or set by the
workflow and are read but not imported. New children are created as drafts.

Masked numbers (``350303********1234``, ``138****5678``, from a ledger exported without full
numbers) cannot be imported: such a cell counts as unchanged when it is the masked form of what
the registry holds, and is an error otherwise.

Nothing here logs or puts personal data into exceptions.
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import polars as pl
from django import forms
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.permissions import Perm, has_perm
from accounts.roles import Role
from core import audit
from core.idnumber import InvalidIdNumber, mask, mask_phone, parse
from core.models import AuditEvent
from regions.models import Level, Region
from registry import services
from registry.codes import (
    ChildStatus,
    GuardianshipAssessment,
    GuardianshipType,
    HealthStatus,
    LivingArrangement,
    ParentStatus,
    SchoolingStatus,
    choice_from_text,
    ethnicity_from_text,
    gender_from_text,
    relationship_from_text,
)
from registry.forms import ChildForm, FamilyMemberForm, GuardianForm, WorkPlaceField
from registry.models import Child, ChildNameKey, EntrustedGuardian, FamilyMember
from registry.selectors import schools_near
from worklist import services as worklist

if TYPE_CHECKING:
    from exchange.models import ImportBatch

# (key, header msgid) in the order of registry.exports.ledger_headers().
LEDGER_KEYS: list[tuple[str, str]] = [
    ("no", gettext_noop("No.")),
    ("township", gettext_noop("Township")),
    ("village", gettext_noop("Village")),
    ("name", gettext_noop("Full name")),
    ("gender", gettext_noop("Gender")),
    ("ethnicity", gettext_noop("Ethnicity")),
    ("birth_date", gettext_noop("Date of birth")),
    ("id_number", gettext_noop("Citizen ID number")),
    ("health", gettext_noop("Health")),
    ("schooling", gettext_noop("Schooling")),
    ("school", gettext_noop("School")),
    ("grade", gettext_noop("Grade")),
    ("is_boarding", gettext_noop("Boarding")),
    ("living_arrangement", gettext_noop("Living arrangement")),
    ("father_name", gettext_noop("Father's name")),
    ("father_id_number", gettext_noop("Father's ID number")),
    ("father_phone", gettext_noop("Father's phone")),
    ("father_status", gettext_noop("Father's situation")),
    ("father_work_place", gettext_noop("Father's place of work")),
    ("mother_name", gettext_noop("Mother's name")),
    ("mother_id_number", gettext_noop("Mother's ID number")),
    ("mother_phone", gettext_noop("Mother's phone")),
    ("mother_status", gettext_noop("Mother's situation")),
    ("mother_work_place", gettext_noop("Mother's place of work")),
    ("guardian_name", gettext_noop("Entrusted guardian")),
    ("guardian_relationship", gettext_noop("Guardian's relationship")),
    ("guardian_phone", gettext_noop("Guardian's phone")),
    ("guardianship_type", gettext_noop("Guardianship type")),
    ("guardianship_assessment", gettext_noop("Guardianship assessment")),
    ("left_behind_kind", gettext_noop("Kind of left-behind child")),
    ("flags", gettext_noop("Flags")),
    ("status", gettext_noop("Status")),
    ("entry_date", gettext_noop("Entry date")),
]
HEADER_MSGIDS: dict[str, str] = dict(LEDGER_KEYS)


def column_label(key: str) -> str:
    """The column's header in the active language ("" for a problem with the whole row)."""
    return _(HEADER_MSGIDS[key]) if key in HEADER_MSGIDS else ""


class Action(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    ERROR = "error"


@dataclass(frozen=True)
class LedgerIssue:
    """Why a row cannot be imported. ``column`` is a key of LEDGER_KEYS ("" for the whole row);
    ``value`` is the cell as typed, masked for numbers and empty for names."""

    column: str
    message: str
    value: str = ""

    @property
    def column_label(self) -> str:
        return column_label(self.column)


@dataclass
class _Write:
    """What applying a row writes; kept off repr so that no personal data is printed."""

    values: dict[str, Any]
    members: list[tuple[int | None, dict[str, Any]]]
    guardian: dict[str, Any] | None
    id_number: str
    updated_at: datetime | None = None


@dataclass
class LedgerEntry:
    row_no: int
    action: Action
    child_id: int | None = None
    changed: list[str] = field(default_factory=list)  # keys of LEDGER_KEYS
    errors: list[LedgerIssue] = field(default_factory=list)  # for errors and conflicts
    write: _Write | None = field(default=None, repr=False, compare=False)

    @property
    def changed_labels(self) -> list[str]:
        return [column_label(key) for key in self.changed]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for a preview: no names, numbers masked."""
        return {
            "row_no": self.row_no,
            "action": str(self.action),
            "child_id": self.child_id,
            "changed": self.changed_labels,
            "errors": [
                {"column": e.column, "column_label": e.column_label, "value": e.value, "message": e.message}
                for e in self.errors
            ],
        }


@dataclass
class LedgerPlan:
    region_prefix: str
    entries: list[LedgerEntry]

    @property
    def counts(self) -> dict[str, int]:
        counts = {str(action): 0 for action in Action}
        for entry in self.entries:
            counts[str(entry.action)] += 1
        return counts

    def summary(self) -> dict[str, int]:
        return {**self.counts, "rows": len(self.entries)}

    def error_count(self) -> int:
        """Rows in error (bad data). Conflicts are not counted: they are left out when applying."""
        return sum(1 for entry in self.entries if entry.action == Action.ERROR)

    def issues(self, *, conflicts: bool = True) -> Iterator[tuple[int, LedgerIssue]]:
        """(row number, issue) for every error (and conflict), in row order."""
        for entry in self.entries:
            if entry.action == Action.ERROR or (conflicts and entry.action == Action.CONFLICT):
                for issue in entry.errors:
                    yield entry.row_no, issue

    def errors_frame(self, *, conflicts: bool = True) -> pl.DataFrame:
        """The rejected rows for ``RowError``: ``_row``, ``column`` (the header in the active
        language), ``value`` (masked, no names) and ``message``."""
        found = list(self.issues(conflicts=conflicts))
        return pl.DataFrame(
            {
                "_row": [row_no for row_no, _issue in found],
                "column": [issue.column_label for _row_no, issue in found],
                "value": [issue.value for _row_no, issue in found],
                "message": [issue.message for _row_no, issue in found],
            },
            schema={"_row": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "message": pl.Utf8},
        )


# --- Reading cells -----------------------------------------------------------------------------

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
    return "".join(text.split()).casefold()


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


class _CachedWorkPlaceField(WorkPlaceField):
    """The registry's place-of-work rules, each distinct text resolved once per import."""

    def __init__(self, cache: dict[str, Region | ValidationError | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache = cache

    def clean(self, value: Any) -> Region | None:
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
        view[f"{block}_work_place"] = member.work_region_id if member else None
    view["guardian_name"] = guardian.name if guardian else ""
    view["guardian_relationship"] = guardian.relationship if guardian else None
    view["guardian_phone"] = guardian.phone if guardian else ""
    return view


def _masked_form(key: str, value: str) -> str:
    return mask_phone(value) if key.endswith("phone") else mask(value)


class _Planner:
    def __init__(self, actor: User, region_prefix: str, columns: Iterable[str]) -> None:
        self.actor = actor
        self.prefix = region_prefix
        self.columns = set(columns)
        self.choice_cache: dict[tuple[str, str], str | None] = {}
        self.place_cache: dict[str, Region | ValidationError | None] = {}
        villages = (
            Region.objects.for_user(actor)
            .active()
            .filter(level=Level.VILLAGE, code__startswith=region_prefix)
            .select_related("parent")
            .order_by("code")
        )
        self.villages = villages
        self.village_list = list(villages)
        self.schools = schools_near(region_prefix[:6])
        self.school_ids: dict[str, int] = {}
        for pk, name in self.schools.values_list("pk", "name"):
            self.school_ids.setdefault(_fold(name), pk)
        self.yes_no = {**{_fold(w): True for w in [*YES, _("yes")]}, **{_fold(w): False for w in [*NO, _("no")]}}

    # -- cells

    def _choice(self, key: str, text: str) -> str | None:
        cache_key = (key, text)
        if cache_key not in self.choice_cache:
            found: str | None
            if key == "gender":
                found = gender_from_text(text)
            elif key == "ethnicity":
                found = ethnicity_from_text(text)
            elif key == "guardian_relationship":
                found = relationship_from_text(text)
            else:
                choices = CHOICES[key]
                found = choice_from_text(choices, text)
                if found is None:
                    with translation.override("zh-hans"):
                        found = choice_from_text(choices, text)
            self.choice_cache[cache_key] = found
        return self.choice_cache[cache_key]

    def _village(self, township: str, village: str) -> Region:
        candidates = self.village_list
        digits = "".join(village.split())
        if digits.isdigit() and len(digits) == 12:
            by_code = [v for v in candidates if v.code == digits]
            if by_code:
                return by_code[0]
            raise ValidationError(
                _("No village with the code %(code)s in the jurisdiction of this import.") % {"code": digits}
            )
        if township:
            wanted = _fold(township)
            plain = _strip_suffixes(township, _TOWNSHIP_SUFFIXES)
            parents = {v.parent_id: v.parent for v in candidates if v.parent is not None}
            matched = [p for p in parents.values() if p.code == wanted or _fold(p.name) == wanted]
            if not matched:
                matched = [p for p in parents.values() if _strip_suffixes(p.name, _TOWNSHIP_SUFFIXES) == plain]
            if not matched:
                raise ValidationError(
                    _("No township called “%(township)s” in the jurisdiction of this import.") % {"township": township}
                )
            ids = {p.pk for p in matched}
            candidates = [v for v in candidates if v.parent_id in ids]
        wanted = _fold(village)
        found = [v for v in candidates if _fold(v.name) == wanted]
        if not found:
            plain = _strip_suffixes(village, _VILLAGE_SUFFIXES)
            found = [v for v in candidates if _strip_suffixes(v.name, _VILLAGE_SUFFIXES) == plain]
        if not found:
            raise ValidationError(
                _("No village called “%(village)s” in the jurisdiction of this import.") % {"village": village}
            )
        if len(found) > 1:
            raise ValidationError(
                _("Several villages are called “%(village)s”: fill in the township.") % {"village": village}
            )
        return found[0]

    def _work_place_field(self) -> _CachedWorkPlaceField:
        return _CachedWorkPlaceField(self.place_cache, required=False, max_length=60)

    def _cell(self, key: str, text: str) -> Any:
        """The parsed value of a non-blank cell; raises ValidationError with a reason."""
        if key in MASKABLE and "*" in text:
            return _Masked(text)
        if key in ("gender", "ethnicity", "guardian_relationship", *CHOICES):
            found = self._choice(key, text)
            if found is None:
                raise ValidationError(_("“%(value)s” is not one of the values of this column.") % {"value": text})
            return found
        if key == "birth_date":
            born = parse_date(text)
            if born is None:
                raise ValidationError(
                    _("“%(value)s” is not a date. Write it as 2010-05-03, 2010/5/3 or 2010年5月3日.") % {"value": text}
                )
            return born
        if key == "is_boarding":
            answer = self.yes_no.get(_fold(text))
            if answer is None:
                raise ValidationError(_("Write 是 or 否."))
            return answer
        if key == "school":
            pk = self.school_ids.get(_fold(text))
            return ("org", pk) if pk is not None else ("text", text)
        if key.endswith("_work_place"):
            place = self._work_place_field().clean(text)
            return place.pk if place is not None else None
        if key.endswith("id_number"):
            return "".join(text.split()).upper()
        if key.endswith("phone"):
            return "".join(text.split())
        return text

    @staticmethod
    def _blank(key: str) -> Any:
        if key == "school":
            return ("text", "")
        if key.endswith("work_place") or key == "guardian_relationship":
            return None
        return ""

    def read(self, raw: Mapping[str, Any]) -> _Row:
        row = _Row(row_no=int(raw.get("_row") or 0), given={}, texts={}, blocks=set(), issues=[])
        for key in (*CHILD_KEYS, *BLOCKS["father"], *BLOCKS["mother"], *BLOCKS["guardian"]):
            if key == "village":
                if "village" not in self.columns:
                    continue
                texts = (_text(raw.get("township")), _text(raw.get("village")))
                row.texts["village"] = texts[1]
                if not texts[1]:
                    continue
                try:
                    row.given["village"] = self._village(*texts).pk
                except ValidationError as exc:
                    row.issues.append(LedgerIssue("village", exc.messages[0], texts[1][:100]))
                continue
            if key not in self.columns:
                continue
            text = _text(raw.get(key))
            row.texts[key] = text
            if not text:
                if key not in KEEP_WHEN_BLANK:
                    row.given[key] = self._blank(key)
                continue
            try:
                row.given[key] = self._cell(key, text)
            except ValidationError as exc:
                row.issues.append(LedgerIssue(key, exc.messages[0], _masked_cell(key, text)))
        for block, keys in BLOCKS.items():
            if any(row.texts.get(key) for key in keys):
                row.blocks.add(block)
            else:
                for key in keys:
                    row.given.pop(key, None)
        number = row.given.get("id_number")
        if isinstance(number, _Masked):
            row.id_masked = number
        elif number:
            try:
                row.id_number = parse(number).number
            except InvalidIdNumber as exc:
                row.issues.append(LedgerIssue("id_number", str(exc.message), _masked_cell("id_number", number)))
                row.given.pop("id_number")
            else:
                row.given["id_number"] = row.id_number
        return row

    # -- matching

    def preload(self, rows: list[_Row]) -> None:
        numbers = sorted({row.id_number for row in rows if row.id_number})
        names = sorted({row.texts.get("name", "") for row in rows} - {""})
        self.by_number: dict[str, Child] = {}
        for start in range(0, len(numbers), CHUNK):
            # Deliberately not scoped: a number registered elsewhere is a conflict to report.
            found = Child.objects.filter(id_number__in=numbers[start : start + CHUNK]).select_related(
                "hukou_village__parent"
            )
            self.by_number.update({child.id_number: child for child in found})
        self.by_name: dict[str, list[Child]] = defaultdict(list)
        mine = Child.objects.for_user(self.actor).filter(region_code__startswith=self.prefix)
        for start in range(0, len(names), CHUNK):
            for child in mine.filter(name__in=names[start : start + CHUNK]).order_by("id"):
                self.by_name[child.name].append(child)
        self.visible: set[int] = set()
        pks = [child.pk for child in self.by_number.values()]
        for start in range(0, len(pks), CHUNK):
            self.visible.update(mine.filter(pk__in=pks[start : start + CHUNK]).values_list("pk", flat=True))

    def match(self, row: _Row) -> tuple[Action | None, Child | None, str]:
        """(None, file or None, "") for a new or known file; (CONFLICT, None, reason) otherwise."""
        if row.id_number:
            child = self.by_number.get(row.id_number)
            if child is None:
                born = row.given.get("birth_date")
                same = [c for c in self.by_name.get(row.texts.get("name", ""), []) if c.birth_date == born]
                if same:
                    return (
                        Action.CONFLICT,
                        None,
                        _(
                            "A file with the same name and date of birth is already in the registry under another "
                            "ID number or none: check whether it is the same child."
                        ),
                    )
                return None, None, ""
            if child.pk not in self.visible:
                township = child.hukou_village.parent
                where = township.full_name if township else child.region_code[:9]
                return (
                    Action.CONFLICT,
                    None,
                    _("This ID number is already registered in %(township)s. Ask that township to transfer the file.")
                    % {"township": where},
                )
            return None, child, ""
        candidates = self.by_name.get(row.texts.get("name", ""), [])
        if row.id_masked:
            found = [c for c in candidates if c.id_number and mask(c.id_number) == row.id_masked]
            if not found:
                return (
                    Action.ERROR,
                    None,
                    _(
                        "The ID number is masked and matches no file here: import a ledger exported with "
                        "full ID numbers."
                    ),
                )
        else:
            born = row.given.get("birth_date")
            same = [c for c in candidates if c.birth_date == born] if born else []
            found = [c for c in same if not c.id_number]
            if any(c.id_number for c in same):
                return (
                    Action.CONFLICT,
                    None,
                    _(
                        "A file with the same name and date of birth but with an ID number is already in the "
                        "registry: fill in the ID number."
                    ),
                )
        if len(found) > 1:
            return Action.CONFLICT, None, _("Several files in the registry match this row: correct them by hand.")
        return None, (found[0] if found else None), ""

    # -- validating

    def _child_form(self, row: _Row, child: Child | None) -> ChildForm:
        if child is not None:
            data: dict[str, Any] = {}
            for name in FORM_CHILD_FIELDS:
                value = Child._meta.get_field(name).value_from_object(child)  # type: ignore[union-attr]
                data[name] = "" if value is None else value
        else:
            data = {}
            for name in FORM_CHILD_FIELDS:
                model_field = Child._meta.get_field(name)
                has_default = getattr(model_field, "has_default", lambda: False)()
                data[name] = model_field.get_default() if has_default else ""  # type: ignore[union-attr]
        given = row.given
        for key in CHILD_KEYS:
            if key not in given or isinstance(given[key], _Masked):
                continue
            value = given[key]
            if key == "village":
                data["hukou_village"] = value
            elif key == "school":
                kind, school = value
                data["school"], data["school_name"] = (school, "") if kind == "org" else ("", school)
            elif key == "is_boarding":
                data["is_boarding"] = value
            elif key == "id_number":
                data["id_number"] = value
                data["hukou_unregistered"] = not value
            else:
                data[key] = "" if value is None else value
        if child is None and not data.get("id_number"):
            data["hukou_unregistered"] = True
        instance = copy.copy(child) if child is not None else Child()
        return ChildForm(data, instance=instance, villages=self.villages, schools=self.schools)

    def _member_form(self, row: _Row, block: str, member: FamilyMember | None) -> FamilyMemberForm:
        fields = list(FamilyMemberForm.Meta.fields)
        if member is not None:
            data: dict[str, Any] = {}
            for name in fields:
                value = FamilyMember._meta.get_field(name).value_from_object(member)  # type: ignore[union-attr]
                data[name] = "" if value is None else value
            data["work_place"] = member.work_region.code if member.work_region_id and member.work_region else ""
        else:
            data = dict.fromkeys(fields, "")
            data.update(relationship=NEW_PARENT_CODE[block], status=ParentStatus.AT_HOME.value, work_place="")
        for part in PARENT_PARTS:
            key = f"{block}_{part}"
            if key not in row.given or isinstance(row.given[key], _Masked):
                continue
            if part == "work_place":
                data["work_place"] = row.texts.get(key, "")
            else:
                data[part] = row.given[key]
        form = FamilyMemberForm(data, instance=copy.copy(member) if member is not None else FamilyMember())
        form.fields["work_place"] = self._work_place_field()
        return form

    def _guardian_form(self, row: _Row, guardian: EntrustedGuardian | None) -> GuardianForm:
        fields = list(GuardianForm.Meta.fields)
        data: dict[str, Any] = dict.fromkeys(fields, "")
        if guardian is not None:
            for name in fields:
                value = EntrustedGuardian._meta.get_field(name).value_from_object(guardian)  # type: ignore[union-attr]
                data[name] = "" if value is None else value
        for key, name in (("guardian_name", "name"), ("guardian_relationship", "relationship")):
            if key in row.given:
                data[name] = row.given[key] or ""
        if "guardian_phone" in row.given and not isinstance(row.given["guardian_phone"], _Masked):
            data["phone"] = row.given["guardian_phone"]
        return GuardianForm(data, instance=copy.copy(guardian) if guardian is not None else EntrustedGuardian())

    def validate(
        self, row: _Row, child: Child | None, members: list[FamilyMember], guardian: EntrustedGuardian | None
    ) -> _Write | None:
        child_form = self._child_form(row, child)
        if not child_form.is_valid():
            row.issues.extend(_form_messages(child_form, CHILD_FORM_COLUMNS, ""))
        written: list[tuple[int | None, dict[str, Any]]] = []
        for block, codes in PARENT_CODES.items():
            if block not in row.blocks:
                continue
            member = next((m for m in members if m.relationship in codes), None)
            form = self._member_form(row, block, member)
            if not form.is_valid():
                columns = {part: f"{block}_{part}" for part in PARENT_PARTS}
                row.issues.extend(_form_messages(form, columns, f"{block}_name"))
            else:
                written.append((member.pk if member else None, form.values()))
        guardian_values: dict[str, Any] | None = None
        if "guardian" in row.blocks:
            guardian_form = self._guardian_form(row, guardian)
            if not guardian_form.is_valid():
                columns = {"name": "guardian_name", "relationship": "guardian_relationship", "phone": "guardian_phone"}
                row.issues.extend(_form_messages(guardian_form, columns, "guardian_name"))
            else:
                guardian_values = guardian_form.values()
        elif guardian is not None:
            guardian_values = {name: getattr(guardian, name) for name in services.GUARDIAN_FIELDS}
        if row.issues:
            return None
        values = {k: v for k, v in child_form.cleaned_data.items() if k in services.CHILD_FIELDS}
        return _Write(
            values=values,
            members=written,
            guardian=guardian_values,
            id_number=values.get("id_number", "") or "",
            updated_at=child.updated_at if child is not None else None,
        )


def _resolve_masked(row: _Row, view: Mapping[str, Any]) -> None:
    """A masked cell that is the masked form of the stored value means "unchanged"; else an error."""
    for key, value in list(row.given.items()):
        if not isinstance(value, _Masked):
            continue
        stored = view.get(key) or ""
        if stored and _masked_form(key, stored) == value:
            del row.given[key]
        else:
            row.issues.append(
                LedgerIssue(
                    key,
                    _("This number is masked and differs from the file: type the full number."),
                    value,
                )
            )


def plan_ledger(rows: pl.DataFrame, *, actor: User, region_prefix: str) -> LedgerPlan:
    """Sort every row of a parsed ledger into new, changed, unchanged, conflict or error. Writes nothing."""
    planner = _Planner(actor, region_prefix, rows.columns)
    read = [planner.read(raw) for raw in rows.iter_rows(named=True)]
    planner.preload(read)

    entries: dict[int, LedgerEntry] = {}
    matched: dict[int, Child | None] = {}
    for index, row in enumerate(read):
        action, child, reason = planner.match(row)
        if action is not None:
            column = "id_number" if action == Action.ERROR or row.id_number else "name"
            issues = [*row.issues, LedgerIssue(column, reason)]
            action = Action.ERROR if row.issues else action
            entries[index] = LedgerEntry(row.row_no, action, errors=issues)
            continue
        matched[index] = child

    # The same child twice in the file: none of its rows is applied.
    groups: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for index, child in matched.items():
        row = read[index]
        if child is not None:
            groups[("file", child.pk)].append(index)
        elif row.id_number:
            groups[("id", row.id_number)].append(index)
        elif row.texts.get("name") and row.given.get("birth_date"):
            groups[("person", (row.texts["name"], row.given["birth_date"]))].append(index)
    for (kind, _key), indexes in groups.items():
        if len(indexes) < 2:
            continue
        for index in indexes:
            others = "、".join(str(read[i].row_no) for i in indexes if i != index)
            reason = (
                _("The same ID number is also on row %(rows)s of the file.")
                if kind == "id"
                else _("Row %(rows)s of the file is for the same child.")
            ) % {"rows": others}
            column = "id_number" if kind == "id" else "name"
            entries[index] = LedgerEntry(read[index].row_no, Action.CONFLICT, errors=[LedgerIssue(column, reason)])

    known = [child.pk for child in matched.values() if child is not None]
    family: dict[int, list[FamilyMember]] = defaultdict(list)
    guardians: dict[int, EntrustedGuardian] = {}
    for start in range(0, len(known), CHUNK):
        chunk = known[start : start + CHUNK]
        for member in FamilyMember.objects.filter(child_id__in=chunk).select_related("work_region").order_by("id"):
            family[member.child_id].append(member)
        guardians.update({g.child_id: g for g in EntrustedGuardian.objects.filter(child_id__in=chunk)})

    for index, child in matched.items():
        if index not in entries:
            entries[index] = _classify(planner, read[index], child, family, guardians)
    return LedgerPlan(region_prefix=region_prefix, entries=[entries[i] for i in range(len(read))])


def _classify(
    planner: _Planner,
    row: _Row,
    child: Child | None,
    family: Mapping[int, list[FamilyMember]],
    guardians: Mapping[int, EntrustedGuardian],
) -> LedgerEntry:
    members = family.get(child.pk, []) if child is not None else []
    guardian = guardians.get(child.pk) if child is not None else None
    changed: list[str] = []
    if child is not None:
        view = _existing_view(child, members, guardian)
        _resolve_masked(row, view)
        changed = [key for key, value in row.given.items() if value != view.get(key)]
    else:
        for key, value in row.given.items():
            if isinstance(value, _Masked):
                row.issues.append(LedgerIssue(key, _("This number is masked: type the full number."), value))
    if row.issues:
        return LedgerEntry(row.row_no, Action.ERROR, child.pk if child else None, errors=row.issues)
    if child is not None and not changed:
        return LedgerEntry(row.row_no, Action.UNCHANGED, child.pk)
    if child is not None:
        refusal = _cannot_change(planner.actor, child)
        if refusal:
            return LedgerEntry(row.row_no, Action.CONFLICT, child.pk, changed, [LedgerIssue("", refusal)])
    write = planner.validate(row, child, members, guardian)
    if write is None:
        return LedgerEntry(row.row_no, Action.ERROR, child.pk if child else None, changed, row.issues)
    if child is None:
        return LedgerEntry(row.row_no, Action.NEW, None, write=write)
    return LedgerEntry(row.row_no, Action.CHANGED, child.pk, changed, write=write)


def _cannot_change(actor: User, child: Child) -> str:
    """The reason child_save would refuse to change this file, or ""."""
    if child.status == ChildStatus.EXITED:
        return _("This child has exited the registry; the file is kept read-only.")
    if actor.role == Role.VILLAGE_DIRECTOR and child.status not in services.EDITABLE_BY_VILLAGE:
        return _("This file is being reviewed and cannot be changed now.")
    return ""


# --- Applying -------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    return value


def _decode(model: type[models.Model], name: str, value: Any) -> Any:
    model_field = model._meta.get_field(name)
    if value is None:
        return None
    if isinstance(model_field, models.ForeignKey):
        related: type[models.Model] = model_field.related_model  # type: ignore[assignment]
        return related._default_manager.get(pk=value)
    if isinstance(model_field, models.DateField):
        return date.fromisoformat(value)
    return value


def _stored(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: _json(obj._meta.get_field(name).value_from_object(obj)) for name in names}  # type: ignore[union-attr]


def _region_prefix(code: str) -> str:
    region = Region.objects.filter(code=code).first()
    return region.prefix if region is not None else code


def _last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _failed(row_no: int, exc: Exception) -> ValidationError:
    if isinstance(exc, ValidationError):
        reason = "；".join(exc.messages)
    elif isinstance(exc, PermissionDenied):
        reason = _("You may not change this file.")
    else:
        reason = _("The file could not be saved.")
    return ValidationError(_("Row %(row)s could not be applied: %(reason)s") % {"row": row_no, "reason": reason})


def _stale(row_no: int) -> ValidationError:
    return ValidationError(
        _("The registry has changed since the preview (row %(row)s): check the file again.") % {"row": row_no}
    )


def apply_ledger(
    plan_or_rows: LedgerPlan | pl.DataFrame,
    *,
    actor: User,
    batch: ImportBatch,
    region_prefix: str | None = None,
) -> dict[str, Any]:
    """Create the new files (drafts) and change the changed ones, all or nothing.

    Given rows, plans them first (in the batch's jurisdiction unless ``region_prefix`` says
    otherwise). Given a plan, checks that the files it saw have not changed since. Rows that are
    unchanged, in conflict or in error are left alone. Raises ``ValidationError`` (with the row
    number) when a row cannot be written; the caller's transaction then rolls everything back.
    Returns what is needed to undo the batch (JSON-safe, for ``ImportBatch.applied_changes``).
    """
    if isinstance(plan_or_rows, LedgerPlan):
        plan = plan_or_rows
    else:
        prefix = region_prefix if region_prefix is not None else _region_prefix(batch.region_code)
        plan = plan_ledger(plan_or_rows, actor=actor, region_prefix=prefix)
    created: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    with transaction.atomic():
        for entry in plan.entries:
            write = entry.write
            if entry.action not in (Action.NEW, Action.CHANGED) or write is None:
                continue
            try:
                if entry.action == Action.NEW:
                    created.append(_apply_new(actor, entry, write))
                else:
                    changed.append(_apply_change(actor, entry, write))
            except (ValidationError, PermissionDenied, IntegrityError) as exc:
                raise _failed(entry.row_no, exc) from None
        audit_id = _last_audit_id()
        for item in (*created, *changed):
            item["updated_at"] = _json(Child.objects.values_list("updated_at", flat=True).get(pk=item["child_id"]))
    return {
        "version": 1,
        "batch_id": batch.pk,
        "applied_at": timezone.now().isoformat(),
        "audit_id": audit_id,
        "created": created,
        "changed": changed,
    }


def _apply_new(actor: User, entry: LedgerEntry, write: _Write) -> dict[str, Any]:
    if write.id_number and Child.objects.filter(id_number=write.id_number).exists():
        raise _stale(entry.row_no)
    members = [services.MemberData(values=dict(values)) for _pk, values in write.members]
    child = services.child_save(actor=actor, values=write.values, members=members, guardian=write.guardian)
    return {"child_id": child.pk, "row_no": entry.row_no}


def _apply_change(actor: User, entry: LedgerEntry, write: _Write) -> dict[str, Any]:
    child = Child.objects.select_for_update().filter(pk=entry.child_id or 0).first()
    if child is None or child.updated_at != write.updated_at:
        raise _stale(entry.row_no)
    before_child = _stored(child, FORM_CHILD_FIELDS)
    after_child = {name: _json(write.values[name]) for name in FORM_CHILD_FIELDS if name in write.values}
    previous = {name: before_child[name] for name, value in after_child.items() if before_child[name] != value}

    members: list[services.MemberData] = []
    member_undo: list[dict[str, Any]] = []
    for pk, values in write.members:
        if pk is None:
            members.append(services.MemberData(values=dict(values)))
            continue
        member = FamilyMember.objects.filter(pk=pk, child=child).first()
        if member is None:
            raise _stale(entry.row_no)
        member_undo.append({"id": pk, "created": False, "values": _stored(member, services.MEMBER_FIELDS)})
        members.append(services.MemberData(values=dict(values), instance=member))
    before_members = set(FamilyMember.objects.filter(child=child).values_list("pk", flat=True))

    guardian = EntrustedGuardian.objects.filter(child=child).first()
    guardian_undo: dict[str, Any] | None = None
    if write.guardian is not None:
        stored = _stored(guardian, services.GUARDIAN_FIELDS) if guardian is not None else None
        wanted = {name: _json(write.guardian.get(name)) for name in services.GUARDIAN_FIELDS if name in write.guardian}
        if stored is None or any(stored.get(name) != value for name, value in wanted.items()):
            guardian_undo = {"existed": stored is not None, "values": stored or {}}

    services.child_save(actor=actor, values=write.values, members=members, guardian=write.guardian, child=child)
    for pk in FamilyMember.objects.filter(child=child).exclude(pk__in=before_members).values_list("pk", flat=True):
        member_undo.append({"id": pk, "created": True, "values": {}})
    return {
        "child_id": child.pk,
        "row_no": entry.row_no,
        "child": previous,
        "members": member_undo,
        "guardian": guardian_undo,
    }


# --- Undoing --------------------------------------------------------------------------------


def _depends(child: Child, since_audit_id: int, updated_at: str | None, *, created: bool) -> bool:
    """Whether anything happened to the file after the batch: a change, a step of the workflow, a
    transfer (all audited); for a file the batch created, also anything else that points at it."""
    if updated_at is not None and _json(child.updated_at) != updated_at:
        return True
    later = AuditEvent.objects.filter(
        object_type=Child._meta.label_lower, object_id=str(child.pk), kind="write", id__gt=since_audit_id
    )
    if later.exists():
        return True
    if not created:
        return False
    return any(model._default_manager.filter(**{name: child}).exists() for model, name in _pointing_at_child())


@functools.cache
def _pointing_at_child() -> list[tuple[type[models.Model], str]]:
    """(model, field) of every foreign key to Child, except the rows of the file itself."""
    own = {FamilyMember, EntrustedGuardian, ChildNameKey}
    found = []
    for model in apps.get_models():
        if model in own:
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.ForeignKey) and model_field.related_model is Child:
                found.append((model, model_field.name))
    return found


def _refuse(row_no: Any) -> ValidationError:
    return ValidationError(
        _(
            "This import cannot be undone: the file from row %(row)s has been changed, submitted or "
            "transferred since. Correct it by hand."
        )
        % {"row": row_no}
    )


def undo_ledger(applied_changes: Mapping[str, Any], *, actor: User, batch: ImportBatch) -> None:
    """Delete the files the batch created and restore those it changed, or refuse (ValidationError)
    if anything has happened to them since. Audited; all or nothing."""
    if not has_perm(actor, Perm.EDIT_CHILDREN):
        raise PermissionDenied
    since = int(applied_changes.get("audit_id") or 0)
    created = list(applied_changes.get("created") or [])
    changed = list(applied_changes.get("changed") or [])
    with transaction.atomic():
        children = Child.objects.select_for_update().in_bulk([item["child_id"] for item in (*created, *changed)])
        for item in created:
            child = children.get(item["child_id"])
            if child is not None and (
                child.status != ChildStatus.DRAFT or _depends(child, since, item.get("updated_at"), created=True)
            ):
                raise _refuse(item.get("row_no"))
        for item in changed:
            child = children.get(item["child_id"])
            if child is None or _depends(child, since, item.get("updated_at"), created=False):
                raise _refuse(item.get("row_no"))
        detail = _("Import batch %(id)s undone") % {"id": batch.pk}
        for item in changed:
            _restore(actor, children[item["child_id"]], item)
        for item in created:
            child = children.get(item["child_id"])
            if child is None:
                continue
            if not Child.objects.for_user(actor).filter(pk=child.pk).exists():
                raise PermissionDenied
            worklist.items_close_for(actor=actor, target=child, resolution=detail)
            audit.record(actor=actor, kind="write", action="child.delete", obj=child, detail=detail)
            child.delete()


def _restore(actor: User, child: Child, item: Mapping[str, Any]) -> None:
    values = {name: _decode(Child, name, value) for name, value in (item.get("child") or {}).items()}
    members: list[services.MemberData] = []
    for member_item in item.get("members") or []:
        member = FamilyMember.objects.filter(pk=member_item["id"], child=child).first()
        if member is None:
            raise _refuse(item.get("row_no"))
        if member_item.get("created"):
            members.append(services.MemberData(values={}, instance=member, delete=True))
        else:
            previous = {
                name: _decode(FamilyMember, name, value) for name, value in (member_item.get("values") or {}).items()
            }
            members.append(services.MemberData(values=previous, instance=member))
    guardian_item = item.get("guardian")
    current = EntrustedGuardian.objects.filter(child=child).first()
    guardian: dict[str, Any] | None
    if guardian_item is None:
        guardian = {name: getattr(current, name) for name in services.GUARDIAN_FIELDS} if current else None
    elif guardian_item.get("existed"):
        guardian = {
            name: _decode(EntrustedGuardian, name, value) for name, value in (guardian_item.get("values") or {}).items()
        }
    else:
        guardian = None
    services.child_save(actor=actor, values=values, members=members, guardian=guardian, child=child)


__all__ = [
    "LEDGER_KEYS",
    "Action",
    "LedgerEntry",
    "LedgerIssue",
    "LedgerPlan",
    "apply_ledger",
    "column_label",
    "parse_date",
    "plan_ledger",
    "undo_ledger",
]
