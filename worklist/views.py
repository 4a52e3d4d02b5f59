from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.pagination import paginate, querystring_without_page
from worklist.selectors import my_items


@login_required
def todo_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in {"open", "overdue", "done"}:
        show = "open"
    return render(
        request,
        "worklist/todo_list.html",
        {
            "page": paginate(request, my_items(request.user, show=show)),
            "querystring": querystring_without_page(request),
            "show": show,
            "today": timezone.localdate(),
        },
    )
