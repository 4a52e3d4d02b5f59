from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True for a partial-page request made by htmx (django-htmx sets request.htmx).

    A history-restore request (htmx asking for a page it did not keep, on Back) wants the whole
    page, so it is not one."""
    details = getattr(request, "htmx", None)
    return bool(details) and not getattr(details, "history_restore_request", False)
