"""What the edit form of a child's file shows beyond its fields: the error summary at the top,
and where the entrustment scan is opened."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse
from django.utils.translation import gettext as _

from core.forms import ErrorEntry, error_entries
from registry.models import Child, ChildChange
from registry.services import CHILD_FIELDS

# The sections of the family members and the entrusted guardian: after which of the child's
# fields each stands on the page (registry/templates/registry/child_form.html).
SECTION_AFTER = {"is_boarding": "@family", "living_arrangement": "@guardian"}
# Where errors are listed from: the form's own errors first, then the fields in page order.
PAGE_ORDER = [
    NON_FIELD_ERRORS,
    *[key for name in CHILD_FIELDS for key in (name, SECTION_AFTER.get(name)) if key is not None],
]


def _within(section: str, entries: list[ErrorEntry]) -> list[ErrorEntry]:
    return [
        ErrorEntry(
            entry.field,
            _("%(section)s: %(field)s") % {"section": section, "field": entry.label} if entry.label else section,
            entry.anchor,
            entry.message,
        )
        for entry in entries
    ]


def error_summary(form: Any, family: Any, guardian: Any) -> list[ErrorEntry]:
    """Every error of the child form, the family rows and the guardian form, in page order."""
    if not (form.errors or family.total_error_count() or guardian.errors):
        return []
    sections: dict[str, list[ErrorEntry]] = {}
    for entry in error_entries(form):
        sections.setdefault(entry.field if entry.field in PAGE_ORDER else NON_FIELD_ERRORS, []).append(entry)
    members = (
        [ErrorEntry("", "", "family", " ".join(str(error) for error in family.non_form_errors()))]
        if family.non_form_errors()
        else []
    )
    for row, member in enumerate(family.forms, start=1):
        section = _("Family member, row %(row)s") % {"row": row}
        members += _within(section, error_entries(member, anchor=f"family-row-{row}"))
    sections["@family"] = [ErrorEntry(e.field, e.label or _("Family members"), e.anchor, e.message) for e in members]
    sections["@guardian"] = _within(_("Entrusted guardian"), error_entries(guardian, anchor="guardian"))
    return [entry for key in PAGE_ORDER for entry in sections.get(key, [])]


def lost_upload(request: Any, form: Any) -> bool:
    """A scan was chosen but the form failed: browsers cannot keep a chosen file, so say so."""
    return bool(request.FILES.get(form.add_prefix("entrustment_scan")))


def scan_url(child: Child | None, shown: Child, proposal: ChildChange | None) -> str:
    """Where the form links the scan it shows: the one sent with the change, or the file's own."""
    if child is None or not shown.entrustment_scan:
        return ""
    sent = proposal is not None and proposal.entrustment_scan
    if sent and proposal is not None and proposal.entrustment_scan.name == shown.entrustment_scan.name:
        return reverse("child_change_scan", args=[child.pk])
    return reverse("entrustment_scan", args=[child.pk])
