"""Background housekeeping run by the worker on a schedule."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone


def daily_housekeeping() -> str:
    """Remove expired sessions and login-failure records older than 30 days."""
    from axes.models import AccessAttempt, AccessFailureLog

    call_command("clearsessions")
    cutoff = timezone.now() - timedelta(days=30)
    attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    failures, _ = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    return f"sessions cleared; {attempts + failures} old login-failure records removed"
