"""Forms of the data-exchange area: upload, discrepancy filters, resolution."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapFormMixin
from exchange.models import DiscrepancyKind, DiscrepancyStatus, SourceKind
from regions.models import Level, Region

ENCODING_CHOICES = [
    ("auto", _("Detect automatically")),
    ("utf-8", _("UTF-8")),
    ("gb18030", _("GBK / GB18030 (Chinese Excel)")),
]


def jurisdiction_regions(user: Any) -> list[Region]:
    """The user's own region and, for a county, its townships: the areas a file may cover."""
    region: Region | None = getattr(user, "jurisdiction", None)
    if region is None:
        return list(Region.objects.filter(level=Level.COUNTY, is_active=True).order_by("code")[:50])
    regions = [region]
    if region.level in {Level.COUNTY, Level.PREFECTURE, Level.PROVINCE}:
        regions += list(Region.objects.filter(parent=region, is_active=True).order_by("code"))
    return regions


class UploadForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind of file"), choices=SourceKind.choices)
    region = forms.ChoiceField(label=_("area the file covers"))
    period = forms.CharField(label=_("period"), max_length=20, required=False, help_text=_("For example: 2026 Q4."))
    file = forms.FileField(
        label=_("file"),
        help_text=_("Excel (.xlsx, .xls) or CSV; the header row may sit below a title."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    encoding = forms.ChoiceField(
        label=_("encoding of a CSV file"),
        choices=ENCODING_CHOICES,
        initial="auto",
        help_text=_("Leave on automatic unless the names come out garbled."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [
            (r.code, r.full_name or r.name) for r in jurisdiction_regions(user)
        ]


class DiscrepancyFilterForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), required=False, choices=[("", _("All kinds")), *DiscrepancyKind.choices])
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[("", _("All statuses")), *DiscrepancyStatus.choices],
        initial=DiscrepancyStatus.OPEN,
    )
    region = forms.ChoiceField(label=_("area"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region: Region | None = getattr(user, "jurisdiction", None)
        areas = (
            Region.objects.filter(parent=region, is_active=True).order_by("code") if region else Region.objects.none()
        )
        choices = [("", _("All areas"))] + [(r.prefix, r.name) for r in areas]
        # A deeper area (a village, from the 不重不漏 page) is accepted too; rows stay scoped.
        asked = str(self.data.get("region", "")) if self.is_bound else ""
        if asked.isdigit() and len(asked) <= 12 and asked not in {code for code, _label in choices}:
            named = Region.objects.filter(code=asked.ljust(12, "0")).first()
            choices.append((asked, named.name if named else asked))
        cast(forms.ChoiceField, self.fields["region"]).choices = choices


class ResolveForm(BootstrapFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("outcome"),
        choices=[
            (DiscrepancyStatus.CONFIRMED, _("Confirmed: the registry is right")),
            (DiscrepancyStatus.CORRECTED, _("Corrected: the file was fixed or the child registered")),
            (DiscrepancyStatus.DISMISSED, _("Dismissed: not a real problem")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("what was found"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when dismissing."),
    )
