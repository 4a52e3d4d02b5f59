from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.request_context import reset_client_ip, set_client_ip

# Session keys under this prefix hold values derived from the database and kept for a short time
# (the to-do count in the navigation). A request that may change data drops them, so that users
# see the effect of their own changes at once.
SESSION_CACHE_PREFIX = "cache:"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For is trusted only behind a configured proxy."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidate = forwarded.split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            forget_session_caches(request)
        token = set_client_ip(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            reset_client_ip(token)


def forget_session_caches(request: HttpRequest) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    # SessionBase has keys() but no __iter__.
    for key in [key for key in session.keys() if key.startswith(SESSION_CACHE_PREFIX)]:  # noqa: SIM118
        del session[key]
