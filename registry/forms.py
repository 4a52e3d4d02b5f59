"""Forms of the child's file. Field-level checks here; whole-file rules in the services."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import phone_validator
from core.forms import BootstrapFormMixin
from core.idnumber import InvalidIdNumber, parse
from regions.countries import country_from_text, country_name, without_frame
from regions.models import Level, Region
from registry import scans
from registry.codes import (
    AssistanceKind,
    ChildStatus,
    ExitReason,
    IncomeSource,
    ParentStatus,
    PovertyFlag,
    Relationship,
)
from registry.eligibility import age_on
from registry.models import Child, EntrustedGuardian, FamilyMember
from registry.services import CHILD_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Father and mother (GB/T 4761: 51 father, 52 mother, 57 stepfather, 58 stepmother) and the sex
# their ID number must carry.
PARENT_SEX = {"51": "1", "57": "1", "52": "2", "58": "2"}
# Not a legal limit but a plausibility check against typing errors (a father born after the child).
PARENT_MIN_AGE_GAP = 14
GUARDIAN_MIN_AGE = 18
# The relationships people pick most, first in the lists (GB/T 4761 has 85): a family's parents,
# grandparents and siblings; an entrusted guardian's grandparents, uncles and aunts.
USUAL_MEMBERS = ("51", "52", "57", "58", "61", "62", "63", "64", "71", "73", "75", "77")
USUAL_GUARDIANS = ("62", "61", "64", "63", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "71", "75")


def grouped_relationships(usual: tuple[str, ...]) -> list[Any]:
    """The relationship choices with the usual ones in a group of their own, then all the others."""
    labels = dict(Relationship.choices)
    return [
        ("", _("Choose…")),
        (_("Usual"), [(code, labels[code]) for code in usual]),
        (_("Other relationships (GB/T 4761)"), [(c, label) for c, label in Relationship.choices if c not in usual]),
    ]


SCHOOLING_WITH_SCHOOL = {"kindergarten", "primary", "junior", "senior", "vocational"}


def _clean_id(value: str, *, today: date | None = None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return parse(value, today=today).number
    except InvalidIdNumber as exc:
        raise forms.ValidationError(str(exc.message), code=str(exc.code)) from exc


def loosen_id_field(form: forms.BaseForm) -> None:
    """People paste numbers with spaces ("350303 20160315 1235"): accept up to 30 characters here,
    and let the ID check normalise them to 18."""
    field = form.fields["id_number"]
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.max_length = 30  # type: ignore[attr-defined]
    field.widget.attrs["maxlength"] = "30"


def _check_id_against_birth_date(form: forms.BaseForm, data: dict[str, Any]) -> None:
    """The birth date and the ID number must agree; a blank birth date is taken from the ID (a
    guardian's age, for one, decides whether the child is left without a capable guardian)."""
    number, born = data.get("id_number"), data.get("birth_date")
    if not number or "birth_date" in form.errors:
        return
    from_id = parse(number).birth_date
    if born is None:
        data["birth_date"] = from_id
    elif born != from_id:
        form.add_error("birth_date", _("The ID number gives the birth date %(date)s.") % {"date": from_id.isoformat()})


def _not_future(value: date | None) -> date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))
    return value


class ScanInput(forms.ClearableFileInput):
    """The entrustment scan without its storage path or media URL (which is not served): a link to
    the view that checks who may open it and logs the read, and a clearly labelled delete box."""

    template_name = "registry/widgets/scan_input.html"
    clear_checkbox_label = _("Delete the uploaded scan")  # type: ignore[assignment]

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"accept": ".pdf,.jpg,.jpeg,.png", **(attrs or {})})
        self.view_url = ""

    def is_initial(self, value: Any) -> bool:
        return bool(value and getattr(value, "name", ""))

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["view_url"] = self.view_url
        return context


class ChildForm(BootstrapFormMixin, forms.ModelForm[Child]):
    income_sources = forms.MultipleChoiceField(
        label=_("sources of family income"),
        choices=IncomeSource.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    assistance = forms.MultipleChoiceField(
        label=_("assistance received"),
        choices=AssistanceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    poverty_flags = forms.MultipleChoiceField(
        label=_("poverty registration"),
        choices=PovertyFlag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Child
        fields = list(CHILD_FIELDS)
        widgets = {"birth_date": DATE_INPUT, "entrustment_date": DATE_INPUT, "entrustment_scan": ScanInput}

    def __init__(self, *args: Any, villages: Any, schools: Any, scan_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["entrustment_scan"].widget
        assert isinstance(widget, ScanInput)
        widget.view_url = scan_url
        self.fields["hukou_village"].queryset = villages  # type: ignore[attr-defined]
        self.fields["hukou_village"].label_from_instance = lambda r: f"{r.parent.name if r.parent else ''} {r.name}"  # type: ignore[attr-defined]
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        self.fields["id_number"].help_text = _("18 characters; leave empty only if the household is not registered.")
        self.fields["entrustment_scan"].help_text = _("A scan or photo of the signed confirmation (PDF, JPG or PNG).")
        loosen_id_field(self)

    def _get_validation_exclusions(self) -> set[str]:
        # A repeated ID number is reported by the duplicate check, which says where the file is.
        return {*super()._get_validation_exclusions(), "id_number"}  # type: ignore[misc]

    def clean_id_number(self) -> str:
        return _clean_id(self.cleaned_data.get("id_number", ""))

    def clean_birth_date(self) -> date | None:
        born = _not_future(self.cleaned_data.get("birth_date"))
        limit = settings.LEFT_BEHIND_AGE_LIMIT
        if born and age_on(born, timezone.localdate()) >= limit:
            raise forms.ValidationError(
                _("The child is %(age)s: the registry holds children under %(limit)s.")
                % {"age": age_on(born, timezone.localdate()), "limit": limit}
            )
        return born

    def clean_entrustment_date(self) -> date | None:
        return _not_future(self.cleaned_data.get("entrustment_date"))

    def clean_entrustment_scan(self) -> Any:
        scan = self.cleaned_data.get("entrustment_scan")
        if scan and hasattr(scan, "size"):
            if scan.size > settings.UPLOAD_MAX_MB * 1024 * 1024:
                raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": settings.UPLOAD_MAX_MB})
            expected = scans.expected_type(scan.name or "")
            if expected is None:
                raise forms.ValidationError(_("Upload a PDF, JPG or PNG file."))
            scan.seek(0)
            actual = scans.content_type(scans.read_head(scan))
            if actual != expected:
                raise forms.ValidationError(
                    _(
                        "The contents of this file are not a %(kind)s, whatever its name says. "
                        "Upload the scan or photo itself as a PDF, JPG or PNG file."
                    )
                    % {"kind": scans.LABELS[expected]}
                )
        return scan

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number, gender = data.get("id_number"), data.get("gender")
        if not number and not data.get("hukou_unregistered") and "id_number" not in self.errors:
            self.add_error("id_number", _("Enter the ID number, or tick “household not registered”."))
        if number:
            parsed = parse(number)
            _check_id_against_birth_date(self, data)
            if gender in ("1", "2") and parsed.sex != gender:
                self.add_error(
                    "gender",
                    _("The ID number belongs to a %(sex)s.") % {"sex": _("boy") if parsed.sex == "1" else _("girl")},
                )
        if data.get("health") == "ill" and not data.get("illness"):
            self.add_error("illness", _("Name the illness."))
        if data.get("health") == "disabled" and not data.get("disability_category"):
            self.add_error("disability_category", _("Choose the category of disability."))
        if data.get("schooling") in SCHOOLING_WITH_SCHOOL and not (data.get("school") or data.get("school_name")):
            self.add_error("school", _("Choose the school, or type its name below."))
        return data


@dataclass(frozen=True)
class Abroad:
    """A place of work outside China: the country's ISO 3166-1 code."""

    code: str

    def __str__(self) -> str:
        return country_name(self.code)


class WorkPlaceField(forms.CharField):
    """Where a parent works, typed as a code or a name: “晋江市”, “晋江”, “广东省深圳市宝安区”,
    “北京市朝阳区”, or a city or province when the county is not known (“深圳市”, “香港”); abroad,
    the country (“马来西亚”, “国外：新加坡”)."""

    def clean(self, value: Any) -> Region | Abroad | None:
        typed = (super().clean(value) or "").strip()
        text = typed.replace(" ", "")
        if not text:
            return None
        places = Region.objects.filter(level__in=[Level.COUNTY, Level.PREFECTURE, Level.PROVINCE], is_active=True)
        if text.isdigit() and len(text) in (6, 12):
            match = places.filter(code=text.ljust(12, "0")).first()
            if match is None:
                raise forms.ValidationError(_("No county has the code %(code)s.") % {"code": text})
            return match
        rows = list(places.values_list("pk", "name", "full_name", "level"))
        candidates = _match_places(text, rows)
        bare = _place_in_china(typed)
        if not candidates and bare != text:
            candidates = _match_places(bare, rows)
        if not candidates:
            country = country_from_text(typed)
            if country is not None:
                return Abroad(country)
            raise forms.ValidationError(
                _(
                    "No place is called “%(name)s”. Type the county or city, e.g. 晋江市 or 深圳市宝安区, or the "
                    "country for work abroad, e.g. 马来西亚."
                )
                % {"name": typed}
            )
        if len(candidates) > 1:
            names = "、".join(full for _pk, _name, full, _level in candidates[:5])
            raise forms.ValidationError(
                _("Several places match: %(names)s. Add the province or city.") % {"names": names}
            )
        return Region.objects.get(pk=candidates[0][0])


# Hong Kong, Macao and Taiwan written in English, or framed as "abroad": places of the code table.
ENGLISH_PLACES = {"hongkong": "香港", "hk": "香港", "macau": "澳门", "macao": "澳门", "taiwan": "台湾"}
PLACE_FRAMES = ("中国", "境外", "国外", "在")


def _place_in_china(typed: str) -> str:
    """The place without the words around it: "中国香港", "境外：澳门", "在晋江", "Hong Kong"."""
    text = "".join(unicodedata.normalize("NFKC", typed).split())
    english = ENGLISH_PLACES.get(text.replace(".", "").casefold())
    if english is not None:
        return english
    return without_frame(without_frame(text, PLACE_FRAMES), PLACE_FRAMES)  # "境外：中国香港"


PLACE_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "区", "县", "旗")


def _plain_place(name: str) -> str:
    """A place name without the "市辖区" filler of municipalities, for comparing."""
    return name.replace("市辖区", "").replace("省直辖县级行政区划", "").replace("自治区直辖县级行政区划", "")


def _ends_with(wanted: str, name: str, full: str) -> bool:
    """``wanted`` is the place's name (with or without its suffix) after words of its full name."""
    stem = name
    for suffix in PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            break
    for end in {name, stem}:
        if len(end) >= 2 and len(wanted) > len(end) and wanted.endswith(end):
            head = wanted[: -len(end)]
            plain_head = head
            for suffix in PLACE_SUFFIXES:
                plain_head = plain_head.replace(suffix, "")
            if len(plain_head) >= 2 and (head in full or all(part in full for part in _pieces(head))):
                return True
    return False


def _pieces(head: str) -> list[str]:
    """ "福建省泉州" -> ["福建", "泉州"]: the names in a run of place names, without their suffixes."""
    pieces, current = [], ""
    for char in head:
        current += char
        if current.endswith(PLACE_SUFFIXES):
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def _match_places(text: str, rows: list[tuple[int, str, str, str]]) -> list[tuple[int, str, str, str]]:
    """Best matches first: the exact name or full name; then a full name that ends with the text;
    then a name that is the text plus a suffix (晋江 → 晋江市). Counties win over cities over provinces."""
    wanted = _plain_place(text)
    order = {Level.COUNTY: 0, Level.PREFECTURE: 1, Level.PROVINCE: 2}
    tests: list[Callable[[str, str], bool]] = [
        lambda name, full: name == wanted or _plain_place(full) == wanted,
        lambda name, full: _plain_place(full).endswith(wanted) and len(wanted) >= 3,
        lambda name, full: any(name == wanted + suffix for suffix in PLACE_SUFFIXES),
        # The province or city, then the county: "福建省晋江市", "泉州晋江", "福建晋江".
        lambda name, full: _ends_with(wanted, name, _plain_place(full)),
    ]
    for test in tests:
        found = [row for row in rows if test(row[1], row[2])]
        if found:
            best = min(order.get(Level(row[3]), 3) for row in found)
            return [row for row in found if order.get(Level(row[3]), 3) == best]
    return []


def work_place_text(region: Region | None, country: str) -> str:
    """A stored place of work as its form field shows it."""
    if country:
        return country_name(country)
    return region.full_name if region is not None else ""


class FamilyMemberForm(BootstrapFormMixin, forms.ModelForm[FamilyMember]):
    work_place = WorkPlaceField(label=_("place of work (county, or the country abroad)"), required=False, max_length=60)

    class Meta:
        model = FamilyMember
        fields = [
            "relationship",
            "name",
            "birth_date",
            "id_number",
            "phone",
            "status",
            "employer",
            "left_on",
            "last_returned_on",
            "contact_frequency",
        ]
        widgets = {"birth_date": DATE_INPUT, "left_on": DATE_INPUT, "last_returned_on": DATE_INPUT}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(phone_validator)
        loosen_id_field(self)
        self.fields["relationship"].choices = grouped_relationships(USUAL_MEMBERS)  # type: ignore[attr-defined]
        if self.instance.pk and not self.is_bound:
            self.initial["work_place"] = work_place_text(self.instance.work_region, self.instance.work_country)

    def clean_id_number(self) -> str:
        return _clean_id(self.cleaned_data.get("id_number", ""))

    def clean_birth_date(self) -> date | None:
        return _not_future(self.cleaned_data.get("birth_date"))

    def clean_left_on(self) -> date | None:
        return _not_future(self.cleaned_data.get("left_on"))

    def clean_last_returned_on(self) -> date | None:
        return _not_future(self.cleaned_data.get("last_returned_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("status") == ParentStatus.AWAY_FOR_WORK
            and not data.get("work_place")
            and "work_place" not in self.errors
        ):
            self.add_error("work_place", _("Where does this person work?"))
        _check_id_against_birth_date(self, data)
        number, relationship = data.get("id_number"), data.get("relationship")
        if number and relationship in PARENT_SEX and parse(number).sex != PARENT_SEX[relationship]:
            self.add_error(
                "id_number",
                _("This ID number belongs to a man: check the relationship or the number.")
                if parse(number).sex == "1"
                else _("This ID number belongs to a woman: check the relationship or the number."),
            )
        left, returned, born = data.get("left_on"), data.get("last_returned_on"), data.get("birth_date")
        if left and returned and returned < left:
            self.add_error("last_returned_on", _("The last return cannot be before leaving."))
        for name in ("left_on", "last_returned_on"):
            if born and data.get(name) and data[name] < born and name not in self.errors:
                self.add_error(
                    name, _("This date is before the person's birth (%(date)s).") % {"date": born.isoformat()}
                )
        return data

    def values(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in {"DELETE", "id", "work_place"}}
        place = self.cleaned_data.get("work_place")
        data["work_region"] = place if isinstance(place, Region) else None
        data["work_country"] = place.code if isinstance(place, Abroad) else ""
        return data


class BaseFamilyFormSet(forms.BaseModelFormSet):  # type: ignore[type-arg]
    # The child's birth date, from the child's form, set by the view before validating: a parent
    # must be old enough to be one.
    child_birth_date: date | None = None

    def clean(self) -> None:
        super().clean()
        if self.child_birth_date is not None:
            for form in self.forms:
                _check_parent_age(form, self.child_birth_date)
        relationships = [
            form.cleaned_data.get("relationship")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if (
            sum(1 for r in relationships if r in {"51", "57"}) > 1
            or sum(1 for r in relationships if r in {"52", "58"}) > 1
        ):
            raise forms.ValidationError(_("Record one father and one mother."))


def _check_parent_age(form: forms.BaseForm, child_born: date) -> None:
    data = getattr(form, "cleaned_data", None) or {}
    born, relationship = data.get("birth_date"), data.get("relationship")
    if data.get("DELETE") or not born or relationship not in PARENT_SEX or "birth_date" in form.errors:
        return
    if age_on(born, child_born) < PARENT_MIN_AGE_GAP:
        form.add_error(
            "birth_date",
            _("A parent must be at least %(years)s years older than the child (born %(date)s).")
            % {"years": PARENT_MIN_AGE_GAP, "date": child_born.isoformat()},
        )


FamilyFormSet = forms.modelformset_factory(
    FamilyMember, form=FamilyMemberForm, formset=BaseFamilyFormSet, extra=1, can_delete=True
)


class GuardianForm(BootstrapFormMixin, forms.ModelForm[EntrustedGuardian]):
    class Meta:
        model = EntrustedGuardian
        fields = ["name", "relationship", "id_number", "phone", "birth_date", "health", "address"]
        widgets = {"birth_date": DATE_INPUT}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["phone"].validators.append(phone_validator)
        loosen_id_field(self)
        self.fields["relationship"].choices = grouped_relationships(USUAL_GUARDIANS)  # type: ignore[attr-defined]

    def clean_id_number(self) -> str:
        return _clean_id(self.cleaned_data.get("id_number", ""))

    def clean_birth_date(self) -> date | None:
        return _not_future(self.cleaned_data.get("birth_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("name") and not data.get("relationship"):
            self.add_error("relationship", _("Choose the guardian's relationship to the child."))
        if not data.get("name") and any(data.get(k) for k in ("id_number", "phone", "address", "relationship")):
            self.add_error("name", _("Enter the guardian's name."))
        typed_birth_date = data.get("birth_date")
        _check_id_against_birth_date(self, data)
        born = data.get("birth_date")
        if born and "birth_date" not in self.errors:
            age = age_on(born, timezone.localdate())
            if age < GUARDIAN_MIN_AGE:
                self.add_error(
                    "birth_date" if typed_birth_date else "id_number",
                    _("The entrusted guardian must be an adult (%(limit)s or older); this person is %(age)s.")
                    % {"limit": GUARDIAN_MIN_AGE, "age": age},
                )
        return data

    def values(self) -> dict[str, Any] | None:
        if not self.cleaned_data.get("name"):
            return None
        data = dict(self.cleaned_data)
        data["health"] = data.get("health") or "healthy"
        return data


class ReturnForm(BootstrapFormMixin, forms.Form):
    comment = forms.CharField(
        label=_("What needs correcting"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


class ExitForm(BootstrapFormMixin, forms.Form):
    # No reason is chosen for the user: a preselected "turned 16" was sent for young children.
    reason = forms.ChoiceField(
        label=_("exit reason"),
        choices=[("", _("Choose…")), *ExitReason.choices],
        error_messages={"required": _("Choose the reason for the exit.")},
    )
    exit_date = forms.DateField(label=_("exit date"), widget=DATE_INPUT)
    note = forms.CharField(label=_("exit note"), required=False, max_length=200)

    def clean_exit_date(self) -> date | None:
        return _not_future(self.cleaned_data.get("exit_date"))


class ChildFilterForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, pinyin (zs), ID number or its last digits"),
                "aria-label": _("Search"),
            }
        ),
    )
    # The village and school lists are long (a county has 200 villages): they are checked against
    # the lists in clean_*() and rendered by the view, not through ChoiceField's choice machinery.
    village = forms.CharField(label=_("Village or community"), required=False)
    school = forms.CharField(label=_("school"), required=False)
    status = forms.ChoiceField(label=_("status"), required=False, choices=[("", _("Not exited")), *ChildStatus.choices])
    left_behind = forms.ChoiceField(
        label=_("left-behind child"),
        required=False,
        choices=[("", _("All children")), ("1", _("Left-behind only")), ("0", _("Not left-behind"))],
    )
    flag = forms.ChoiceField(
        label=_("flags"),
        required=False,
        choices=[
            ("", _("Any flag")),
            ("key_target", _("Key target")),
            ("lives_alone", _("Living alone without a guardian")),
            ("in_difficulty", _("Child in difficulty")),
            ("de_facto_unsupported", _("De-facto unsupported child")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Full name")),
            ("village", _("Village")),
            ("birth_date", _("Oldest first")),
            ("-birth_date", _("Youngest first")),
            ("updated", _("Recently changed")),
        ],
    )

    def __init__(
        self, *args: Any, villages: Sequence[tuple[str, str]], schools: Sequence[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.village_choices = villages
        self.school_choices = schools
        for name in ("village", "school"):  # rendered as <select>s by the view
            self.fields[name].widget.attrs["class"] = "form-select"

    @staticmethod
    def _invalid(value: str) -> forms.ValidationError:
        return forms.ValidationError(
            forms.ChoiceField.default_error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )

    def clean_village(self) -> str:
        value: str = self.cleaned_data.get("village", "")
        if value and value not in {code for code, _label in self.village_choices}:
            raise self._invalid(value)
        return value

    def clean_school(self) -> int | None:
        value: str = self.cleaned_data.get("school", "")
        if not value:
            return None
        if not value.isdigit() or int(value) not in {pk for pk, _name in self.school_choices}:
            raise self._invalid(value)
        return int(value)


class TransferForm(BootstrapFormMixin, forms.Form):
    to_village = forms.ModelChoiceField(
        label=_("to village"),
        queryset=Region.objects.none(),
        error_messages={"required": _("Choose the village the file goes to.")},
    )
    reason = forms.CharField(
        label=_("reason"), max_length=200, error_messages={"required": _("Give the reason for the transfer.")}
    )

    def __init__(self, *args: Any, villages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_village"].queryset = villages  # type: ignore[attr-defined]
        self.fields["to_village"].label_from_instance = lambda r: f"{r.parent.name if r.parent else ''} {r.name}"  # type: ignore[attr-defined]


class TransferRequestForm(TransferForm):
    """A village asks another township for a file it holds, by the child's ID number."""

    id_number = forms.CharField(
        label=_("Citizen ID number"),
        max_length=30,
        error_messages={"required": _("Enter the child's citizen ID number.")},
    )

    field_order = ["id_number", "to_village", "reason"]

    def clean_id_number(self) -> str:
        return _clean_id(self.cleaned_data.get("id_number", ""))


class TransferDecisionForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("decision note"), max_length=200, required=False)
