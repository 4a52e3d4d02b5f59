"""Sign-in, sign-out and failed sign-in go into the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from core import audit
from core.models import AuditKind


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(actor=user, kind=AuditKind.LOGIN, action="auth.login", obj=user)


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(actor=user, kind=AuditKind.LOGIN, action="auth.logout", obj=user)


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The typed user name is not stored: it may be someone's ID number or phone typed by mistake.
    audit.record(actor=None, kind=AuditKind.LOGIN, action="auth.login_failed", detail="")
