"""Make sure the worker's recurring jobs exist after every migrate (idempotent)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver

RECURRING_JOBS = [
    # (name, function, schedule type)
    ("每日维护", "core.tasks.daily_housekeeping", "D"),
    ("每日重新评估留守儿童", "registry.tasks.daily_reevaluation", "D"),
]


@receiver(post_migrate)
def ensure_schedules(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "name", None) != "core":
        return
    from django_q.models import Schedule

    for name, func, schedule_type in RECURRING_JOBS:
        Schedule.objects.get_or_create(func=func, defaults={"name": name, "schedule_type": schedule_type})
