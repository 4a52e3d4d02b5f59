from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from regions.models import Level, Region
from worklist.models import WorkItem, WorkItemQuerySet

PLACES_SEARCHED = 20  # at most this many places (by code) are searched for one word


def my_items(user: Any, *, show: str = "open", kind: str = "", q: str = "") -> WorkItemQuerySet:
    items = WorkItem.objects.for_user(user).owned_by(user)
    if kind:
        items = items.filter(kind=kind)
    if q:
        # The words of the title, or a place: "新墩" finds the items of that village (the place
        # column is not in the title).
        where = Q(title__icontains=q)
        for region in Region.objects.for_user(user).filter(name__icontains=q).order_by("code")[:PLACES_SEARCHED]:
            where |= Q(region_code__startswith=region.prefix)
        items = items.filter(where)
    if show == "done":
        return items.exclude(status="open").order_by("-closed_at", "-id")
    items = items.open()
    if show == "overdue":
        items = items.filter(due_date__lt=timezone.localdate())
    return items.order_by("due_date", "id")


def open_count(user: Any) -> int:
    return WorkItem.objects.for_user(user).owned_by(user).open().count()


def area_names(items: list[WorkItem]) -> dict[str, str]:
    """Region code -> "township village" for the items of one page (one query): where each item is."""
    codes = {item.region_code for item in items if item.region_code}
    rows = Region.objects.filter(code__in=codes).values_list("code", "parent__name", "name", "level")
    return {
        code: name if level != Level.VILLAGE or not township else f"{township} {name}"
        for code, township, name, level in rows
    }
