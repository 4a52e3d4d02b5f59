from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.pagination import paginate, querystring_without_page
from worklist.models import ItemKind
from worklist.selectors import area_names, my_items


@login_required
def todo_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in {"open", "overdue", "done"}:
        show = "open"
    kind = request.GET.get("kind", "")
    if kind not in ItemKind.values:
        kind = ""
    q = request.GET.get("q", "").strip()[:50]
    page = paginate(request, my_items(request.user, show=show, kind=kind, q=q))
    areas = area_names(list(page))
    return render(
        request,
        "worklist/todo_list.html",
        {
            "page": page,
            "rows": [(item, areas.get(item.region_code, "")) for item in page],
            "querystring": querystring_without_page(request),
            "show": show,
            "kind": kind,
            "kinds": ItemKind.choices,
            "q": q,
            "today": timezone.localdate(),
        },
    )
