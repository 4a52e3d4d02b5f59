"""``_Planner``: turns one row's cells into values (villages, schools, choices, dates,
places of work), matches the row against the registry's files, and validates it through the
registry's own ``ChildForm``, ``FamilyMemberForm`` and ``GuardianForm`` into a ``_Write``.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.idnumber import InvalidIdNumber, mask, parse
from exchange.ledger.cells import (
    _TOWNSHIP_SUFFIXES,
    _VILLAGE_SUFFIXES,
    BLOCKS,
    CHILD_FORM_COLUMNS,
    CHILD_KEYS,
    CHOICES,
    CHUNK,
    FORM_CHILD_FIELDS,
    KEEP_WHEN_BLANK,
    MASKABLE,
    NEW_PARENT_CODE,
    NO,
    PARENT_CODES,
    PARENT_PARTS,
    YES,
    _CachedWorkPlaceField,
    _fold,
    _form_messages,
    _Masked,
    _masked_cell,
    _Row,
    _strip_suffixes,
    _text,
    parse_date,
    place_key,
)
from exchange.ledger.entries import Action, LedgerIssue, _Write
from regions.countries import country_name
from regions.models import Level, Region
from registry import services
from registry.codes import (
    ParentStatus,
    choice_from_text,
    ethnicity_from_text,
    gender_from_text,
    relationship_from_text,
)
from registry.forms import Abroad, ChildForm, FamilyMemberForm, GuardianForm
from registry.models import Child, EntrustedGuardian, FamilyMember
from registry.selectors import schools_near


class _Planner:
    def __init__(self, actor: User, region_prefix: str, columns: Iterable[str]) -> None:
        self.actor = actor
        self.prefix = region_prefix
        self.columns = set(columns)
        self.choice_cache: dict[tuple[str, str], str | None] = {}
        self.place_cache: dict[str, Region | Abroad | ValidationError | None] = {}
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
        self.school_names: dict[int, str] = {}
        for pk, name in self.schools.values_list("pk", "name"):
            self.school_ids.setdefault(_fold(name), pk)
            self.school_names[pk] = name
        self.place_names: dict[int, str] = {}
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

    def becomes(self, key: str, value: Any) -> str | None:
        """What a parsed cell is, as the registry will show it: for a place of work and a school
        (the cells the import reads into something else than their text), else None."""
        if key.endswith("_work_place"):
            if isinstance(value, str):
                return country_name(value)
            if isinstance(value, int):
                if value not in self.place_names:
                    self.place_names[value] = (
                        Region.objects.filter(pk=value).values_list("full_name", flat=True).first() or ""
                    )
                return self.place_names[value]
            return ""
        if key == "school" and isinstance(value, tuple):
            kind, school = value
            return self.school_names.get(school, "") if kind == "org" else str(school or "")
        return None

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
            if isinstance(place, Abroad):
                return place_key(None, place.code)
            return place_key(place.pk, "") if place is not None else None
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
        self.found_elsewhere: list[tuple[int, int]] = []
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
                self.found_elsewhere.append((row.row_no, child.pk))
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
            data["work_place"] = member.work_country or (
                member.work_region.code if member.work_region_id and member.work_region else ""
            )
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
