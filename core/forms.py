"""Form rendering in Bootstrap 5 style, for every form of the project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy


class BootstrapFormRenderer(DjangoTemplates):
    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"


def _css_for(widget: forms.Widget) -> str:
    if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "form-check-input"
    if isinstance(widget, (forms.Select, forms.SelectMultiple)):
        return "form-select"
    return "form-control"


DASHES = "---------"  # Django's label for "nothing chosen"


def _name_the_empty_choice(field: forms.Field) -> None:
    """A select with nothing chosen reads "请选择…", not Django's "---------"."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == DASHES:
            field.empty_label = gettext_lazy("Choose…")
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
        choices: list[tuple[Any, Any]] = list(field.choices)  # type: ignore[arg-type]
        if any(value == "" and label == DASHES for value, label in choices):
            field.choices = [
                (value, gettext_lazy("Choose…") if value == "" and label == DASHES else label)
                for value, label in choices
            ]


class BootstrapFormMixin:
    """Adds Bootstrap classes to widgets, and marks invalid fields after validation."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = f"{css} {_css_for(field.widget)}".strip()
            _name_the_empty_choice(field)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in getattr(self, "errors", {}):
            self._mark_invalid(name)

    def add_error(self, field: str | None, error: Any) -> None:
        # Errors added after validation (a formset's check across forms, a view's duplicate
        # check) are marked like the others.
        super().add_error(field, error)  # type: ignore[misc]
        for name in getattr(self, "_errors", None) or {}:
            self._mark_invalid(name)

    def _mark_invalid(self, name: str) -> None:
        if name in self.fields:
            widget = self.fields[name].widget
            css = widget.attrs.get("class", "")
            if "is-invalid" not in css.split():
                widget.attrs["class"] = f"{css} is-invalid".strip()
            widget.attrs["aria-invalid"] = "true"


@dataclass(frozen=True)
class ErrorEntry:
    """One line of a form's error summary: what is wrong, and the id of the control to go to."""

    field: str  # the field's name; NON_FIELD_ERRORS for the form as a whole
    label: str
    anchor: str
    message: str


def error_entries(form: forms.BaseForm, *, anchor: str = "") -> list[ErrorEntry]:
    """The errors of a form, field by field in the order of its fields (not the order in which the
    checks found them), each with the id to link to.

    A field that is a list of choices has no control of its own: its first choice is linked.
    Errors of the form as a whole link to ``anchor`` (or nowhere).
    """
    entries = []
    order = {name: index for index, name in enumerate([NON_FIELD_ERRORS, *form.fields])}
    for name, errors in sorted(form.errors.items(), key=lambda item: order.get(item[0], 0)):
        message = " ".join(str(error) for error in errors)
        if name == NON_FIELD_ERRORS or name not in form.fields:
            entries.append(ErrorEntry(NON_FIELD_ERRORS, "", anchor, message))
            continue
        bound = form[name]
        target = bound.id_for_label or f"{bound.auto_id}_0"
        entries.append(ErrorEntry(name, str(bound.label), target, message))
    return entries
