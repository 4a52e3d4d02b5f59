from __future__ import annotations

from typing import Any

from django.utils import timezone

from worklist.models import WorkItem, WorkItemQuerySet


def my_items(user: Any, *, show: str = "open") -> WorkItemQuerySet:
    items = WorkItem.objects.for_user(user).owned_by(user)
    if show == "done":
        return items.exclude(status="open").order_by("-closed_at", "-id")
    items = items.open()
    if show == "overdue":
        items = items.filter(due_date__lt=timezone.localdate())
    return items.order_by("due_date", "id")


def open_count(user: Any) -> int:
    return WorkItem.objects.for_user(user).owned_by(user).open().count()
