"""Chinese error pages in the app's own layout."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def method_not_allowed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Django's bare 405 (require_POST and friends) as a page in the layout, keeping its Allow header."""
    page = render(request, "errors/405.html", status=405)
    if response.has_header("Allow"):
        page["Allow"] = response["Allow"]
    return page


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the error may have come from one of them.
    return HttpResponse(get_template("errors/500.html").render(), status=500)
