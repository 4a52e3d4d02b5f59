"""What the edit form of a child's file shows beyond its fields: where the entrustment scan is
opened."""

from __future__ import annotations

from django.urls import reverse

from registry.models import Child, ChildChange


def scan_url(child: Child | None, shown: Child, proposal: ChildChange | None) -> str:
    """Where the form links the scan it shows: the one sent with the change, or the file's own."""
    if child is None or not shown.entrustment_scan:
        return ""
    sent = proposal is not None and proposal.entrustment_scan
    if sent and proposal is not None and proposal.entrustment_scan.name == shown.entrustment_scan.name:
        return reverse("child_change_scan", args=[child.pk])
    return reverse("entrustment_scan", args=[child.pk])
