"""Forms of the census. Field checks here; the rules of the campaign in census.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from census.services import (
    CANCEL_REASON_REQUIRED,
    CHILDREN_WITHOUT_HOUSEHOLDS,
    END_BEFORE_START,
    LEFT_BEHIND_TOO_MANY,
    MAX_CAMPAIGN_DAYS,
    MAX_COUNT,
    NOT_NEGATIVE,
    PERIOD_TOO_LONG,
    REASON_REQUIRED,
    TOO_LARGE,
)
from core.forms import BootstrapFormMixin
from regions.models import Region

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _count(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_COUNT,
        error_messages={"min_value": NOT_NEGATIVE, "max_value": TOO_LARGE},
    )


class CampaignForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("name"),
        max_length=100,
        help_text=_("For example: the census of the fourth quarter of 2026."),
    )
    district = forms.ModelChoiceField(label=_("district"), queryset=Region.objects.none(), empty_label=None)
    starts_on = forms.DateField(label=_("start date"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("end date"), widget=DATE_INPUT)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args: Any, districts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = districts

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", END_BEFORE_START)
        elif starts_on and ends_on and (ends_on - starts_on).days > MAX_CAMPAIGN_DAYS:
            self.add_error("ends_on", PERIOD_TOO_LONG)
        return data


class VillageReturnForm(BootstrapFormMixin, forms.Form):
    households_visited = _count(_("households visited"))
    children_found = _count(_("children found"))
    left_behind_found = _count(_("left-behind children found"))
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        children, left_behind = data.get("children_found"), data.get("left_behind_found")
        if children is not None and left_behind is not None and left_behind > children:
            self.add_error("left_behind_found", LEFT_BEHIND_TOO_MANY)
        if data.get("households_visited") == 0 and children:
            self.add_error("households_visited", CHILDREN_WITHOUT_HOUSEHOLDS)
        return data


class ReopenForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("reason for returning"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        error_messages={"required": REASON_REQUIRED},
    )


class CountersignForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)


class CancelForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("reason for cancelling"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        error_messages={"required": CANCEL_REASON_REQUIRED},
    )
