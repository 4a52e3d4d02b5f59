from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone
from django_q.models import Schedule

from core.tasks import daily_housekeeping


def test_daily_housekeeping_is_scheduled(db: None) -> None:
    schedule = Schedule.objects.get(func="core.tasks.daily_housekeeping")
    assert schedule.schedule_type == Schedule.DAILY


def test_daily_housekeeping_removes_expired_sessions(db: None) -> None:
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1))
    assert "sessions cleared" in daily_housekeeping()
    assert not Session.objects.filter(session_key="x" * 32).exists()


def test_health_endpoint(client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
