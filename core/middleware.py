from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from core.errors import method_not_allowed
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


# Scripts, styles, fonts and images come from this site only (static files, never a CDN); no
# page has inline script (static/shouhu/shouhu.js handles data-confirm and data-print), so an
# injected <script> or onclick="" does not run. Inline styles stay allowed: pages use style="…"
# and htmx adds its indicator style. Bootstrap's form controls draw their arrows as data: images.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Every response says where its page may load from (``CONTENT_SECURITY_POLICY``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class PrivateResponseMiddleware:
    """What a signed-in user is shown is personal data: browsers and proxies must not keep it
    (``Cache-Control: no-store``). A bare 405 (a link to an address that takes only a form) gets
    the Chinese error page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if response.status_code == 405 and not getattr(response, "streaming", False) and not response.content:
                response = method_not_allowed(request, response)
            patch_cache_control(response, no_store=True, private=True)
        return response


# When the session was last saved by SessionTouchMiddleware (seconds since the epoch).
SESSION_TOUCHED = "touched"


class SessionTouchMiddleware:
    """The idle timeout without a database write on every request.

    A signed-in user's session is marked modified (so SessionMiddleware saves it with a new expiry)
    only when it was last touched SESSION_TOUCH_SECONDS ago or more. Reads of a session that has
    expired in the database fail as before: the user is signed out after the idle time.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(time.time())
            touched = session.get(SESSION_TOUCHED)
            if not isinstance(touched, int) or now - touched >= settings.SESSION_TOUCH_SECONDS:
                session[SESSION_TOUCHED] = now
        return response


def forget_session_caches(request: HttpRequest) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    # SessionBase has keys() but no __iter__.
    for key in [key for key in session.keys() if key.startswith(SESSION_CACHE_PREFIX)]:  # noqa: SIM118
        del session[key]
