"""The children list (search, filters, pages, htmx rows) and the ledger export of the same filters."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.forms import BoundField
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Perm, require
from core import audit
from core.http import is_htmx
from core.idnumber import mask
from core.pagination import paginate, querystring_without_page
from registry import exports, selectors
from registry.forms import (
    ChildFilterForm,
)
from registry.models import Child
from registry.views.common import user_of


def _filters(request: HttpRequest, user: User) -> tuple[ChildFilterForm, selectors.ChildFilters]:
    county = (user.jurisdiction.code if user.jurisdiction else "350303000000")[:6]
    form = ChildFilterForm(
        request.GET or None, villages=selectors.village_choices(user), schools=selectors.school_choices(county)
    )
    # A filter that is not valid here (a village of another township, a value typed into the URL) is
    # dropped and named on the page (_child_rows.html); the others still apply.
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # cleaned_data then holds the fields that are valid
        data = form.cleaned_data
    return form, selectors.ChildFilters(
        q=data.get("q", ""),
        village=data.get("village", ""),
        school=data.get("school"),
        status=data.get("status", ""),
        left_behind=data.get("left_behind", ""),
        flag=data.get("flag", ""),
        sort=data.get("sort", "") or "name",
    )


# The list serves at most this many pages (1,250 rows with 25 a page); past that, it asks the user
# to narrow the filters. Deep OFFSETs are slow on every database, and no one pages through them.
LIST_MAX_PAGES = 50


_SELECTED = " selected"


@lru_cache(maxsize=256)
def _options(choices: tuple[tuple[Any, Any], ...]) -> str:
    """The ``<option>``s of a list, none selected; kept per list (a county's 200 villages are the
    same on every request). Every value and label goes through ``html.escape``."""
    return "".join(f'<option value="{escape(str(code))}">{escape(str(label))}</option>' for code, label in choices)


def _select(field: BoundField, choices: Any = None) -> SafeString:
    """A filter's ``<select>``, the markup of Django's widget template, built without a template.

    Rendering a ``<select>`` through the widget templates costs a template render per option;
    a county's village list has 200 options, and the filter form is on every list page.
    """
    value = field.value()
    selected = "" if value is None else str(value)
    options = _options(tuple((str(code), str(label)) for code, label in choices or field.field.choices))  # type: ignore[attr-defined]
    chosen = f'<option value="{escape(selected)}">'
    options = options.replace(chosen, chosen[:-1] + _SELECTED + ">", 1)
    attrs = flatatt({"name": field.html_name, **field.field.widget.attrs, "id": field.auto_id})
    return mark_safe(f"<select{attrs}>{options}</select>")  # noqa: S308  (attrs by flatatt, the rest escaped above)


def _search_input(field: BoundField) -> SafeString:
    widget = field.field.widget
    value = field.value()
    attrs: dict[str, Any] = {"type": getattr(widget, "input_type", "text"), "name": field.html_name}
    if value:
        attrs["value"] = value
    return format_html("<input{}>", flatatt({**attrs, **widget.attrs, "id": field.auto_id}))


def _filter_controls(form: ChildFilterForm) -> dict[str, SafeString]:
    controls = {name: _select(form[name]) for name in ("status", "left_behind", "flag", "sort")}
    controls["village"] = _select(form["village"], [("", _("All villages")), *form.village_choices])
    controls["school"] = _select(form["school"], [("", _("All schools")), *form.school_choices])
    controls["q"] = _search_input(form["q"])
    return controls


def _list_rows(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each row of the list shows, as plain values, ID numbers masked.

    The template then finds each value in a dict at the first try; model attributes, filters and
    ``{% url %}`` in a 25-row loop cost a chain of lookups each. Labels are looked up once per page,
    not through get_FOO_display() (which rebuilds the choices each call).
    """
    labels = exports.choice_labels(Child, "gender", "status")
    genders, statuses = labels["gender"], labels["status"]
    return [
        {
            "url": reverse("child_detail", args=[c["pk"]]),
            "name": c["name"],
            "gender": genders.get(c["gender"], ""),
            "birth_date": c["birth_date"].isoformat() if c["birth_date"] else "",
            "id_number": mask(c["id_number"]) if c["id_number"] else "",
            "village": f"{c['hukou_village__parent__name'] or ''} {c['hukou_village__name']}",
            "status": statuses.get(c["status"], ""),
            "left_behind": c["is_left_behind"],
            "key_target": c["is_key_target"],
            "alone": "lives_alone" in (c["flags"] or []),
        }
        for c in children
    ]


def _ledger_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    for key in ("page", "full"):
        params.pop(key, None)
    return params.urlencode()


@require(Perm.VIEW_CHILDREN)
def child_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form, filters = _filters(request, user)
    # The page is counted and cut on the children's keys alone; then its rows are read by key.
    page = paginate(
        request, selectors.children_for(user, filters).values_list("pk", flat=True), max_pages=LIST_MAX_PAGES
    )
    context: dict[str, Any] = {
        "form": form,
        "ignored_filters": [str(form.fields[name].label) for name in form.errors],
        "page": page,
        "rows": _list_rows(selectors.page_rows(user, list(page)) if len(page) else []),
        "querystring": querystring_without_page(request),
        # The export links carry the list's filters, never its page or a ``full`` typed into the
        # address (the plain link must export masked numbers).
        "ledger_query": _ledger_query(request),
    }
    if is_htmx(request):
        return render(request, "registry/_child_rows.html", {**context, "partial": True})
    context["filters"] = _filter_controls(form)
    return render(request, "registry/child_list.html", context)


@require(Perm.EXPORT_LEDGER)
def ledger_export(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form, filters = _filters(request, user)
    if form.errors:
        # Never export more than the user asked for: a filter that does not apply here stops the export.
        messages.error(
            request,
            _("The ledger was not exported: some filters are not valid here (%(fields)s).")
            % {"fields": "、".join(str(form.fields[name].label) for name in form.errors)},
        )
        return redirect(f"{reverse('child_list')}?{request.GET.urlencode()}")
    full = request.GET.get("full") == "1"
    children = selectors.children_for(user, filters)
    jurisdiction = user.jurisdiction
    area = exports.ledger_area(
        jurisdiction=jurisdiction.name if jurisdiction else "", village=filters.village, villages=form.village_choices
    )
    title = area + exports.ledger_title(left_behind_only=filters.left_behind == "1")
    content, count = exports.ledger_xlsx(children, full=full, title=title)
    detail = _("%(count)s rows; full ID numbers and phones: %(full)s") % {
        "count": count,
        "full": _("yes") if full else _("no"),
    }
    applied = exports.filters_text(form) if form.is_bound else ""
    audit.record_access(
        actor=user,
        action="ledger.export",
        export=True,
        # Filed under the village exported, so that its township sees it; else the user's jurisdiction.
        region_code=filters.village or (jurisdiction.code if jurisdiction else ""),
        object_type="registry.child",
        detail=f"{detail}；{applied}" if applied else detail,
    )
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f"attachment; filename=\"ledger-{stamp}.xlsx\"; filename*=UTF-8''{quote(f'{title}-{stamp}.xlsx')}"
    )
    return response
