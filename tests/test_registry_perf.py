"""The child list at county scale: the page cap, the statements a page sends, the cached to-do count."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import Cast, client_for
from core.pagination import CappedPaginator
from registry import selectors, services
from registry.views import lists as list_views
from tests.factories import make_child


def _get(client: Client, url: str, **params: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _counts_todo(statements: list[str]) -> bool:
    return any("worklist_workitem" in sql for sql in statements)


def test_capped_paginator_counts_everything_but_serves_max_pages() -> None:
    paginator = CappedPaginator(list(range(130)), 25, max_pages=2)
    assert (paginator.count, paginator.total_pages, paginator.num_pages) == (130, 6, 2)
    assert paginator.capped and paginator.shown == 50
    assert paginator.get_page(6).number == 2  # past the cap: the last page served
    assert list(paginator.get_page(2)) == list(range(25, 50))
    assert list(paginator.get_elided_page_range()) == [1, 2]
    small = CappedPaginator(list(range(30)), 25, max_pages=2)
    assert not small.capped and small.num_pages == 2 and small.shown == 30
    empty = CappedPaginator([], 25, max_pages=2)
    assert empty.num_pages == 1 and not empty.capped and empty.shown == 0


@override_settings(PAGE_SIZE=1)
def test_the_list_stops_at_the_page_cap_and_asks_to_narrow_the_filters(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(list_views, "LIST_MAX_PAGES", 2)
    for name in ("甲一", "乙一", "丙一"):  # in pinyin order: bing, jia, yi
        make_child(cast.village_a, actor=cast.district_admin, name=name)
    client = client_for(cast.supervisor_a)

    body, _ = _get(client, reverse("child_list"))
    cap = re.search(r'data-testid="page-cap">([^<]*)<', body)
    assert cap is not None and "2" in cap.group(1) and "3" in cap.group(1)  # 2 shown of 3
    assert "page=2" in body and "page=3" not in body

    # A page past the cap gives the last page served, with the same message.
    body, _ = _get(client, reverse("child_list"), page="3")
    assert "甲一" in body and "乙一" not in body and 'data-testid="page-cap"' in body
    htmx = client.get(reverse("child_list"), {"page": "2"}, headers={"HX-Request": "true"}).content.decode()
    assert "甲一" in htmx and 'data-testid="page-cap"' in htmx

    # Narrower filters: everything fits, no message.
    body, _ = _get(client, reverse("child_list"), q="jy")
    assert "甲一" in body and 'data-testid="page-cap"' not in body


def test_statements_per_page_do_not_grow_with_the_rows(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="一号")
    client = client_for(cast.supervisor_a)
    _get(client, reverse("child_list"))
    _, one = _get(client, reverse("child_list"))
    for i in range(6):
        make_child(cast.village_a, actor=cast.district_admin, name=f"{i}号孩子")
    body, seven = _get(client, reverse("child_list"))
    assert body.count('data-testid="child-row"') == 7
    assert len(seven) == len(one)
    # Session, user, village and school choices, the count, the page's keys, the page's rows, and
    # the session's save (its UPDATE in a savepoint under the test transaction); the to-do count is
    # not among them once kept in the session (see below).
    assert len(seven) <= 10, "\n".join(seven)


def test_the_todo_count_is_kept_for_a_minute_and_dropped_after_a_change(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a, name="待审")
    services.child_submit(actor=cast.director_a, child=child)
    client = client_for(cast.supervisor_a)

    body, statements = _get(client, reverse("child_list"))
    assert _counts_todo(statements) and 'data-testid="todo-count">1<' in body
    body, statements = _get(client, reverse("child_list"))
    assert not _counts_todo(statements) and 'data-testid="todo-count">1<' in body
    # The rows fragment has no navigation: it never counts.
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("child_list"), headers={"HX-Request": "true"})
    assert not _counts_todo([q["sql"] for q in queries.captured_queries])
    # The to-do list itself always counts afresh.
    _, statements = _get(client, reverse("todo_list"))
    assert sum("COUNT(" in sql and "worklist_workitem" in sql for sql in statements) >= 1

    # The user's own change (a POST) drops the kept count: the badge follows at once.
    client.post(reverse("child_action", args=[child.pk, "approve"]))
    body, statements = _get(client, reverse("child_list"))
    assert _counts_todo(statements) and 'data-testid="todo-count"' not in body


def test_filter_controls_keep_the_choices_and_escape_the_query(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="筛选")
    client = client_for(cast.district_admin)
    body, _ = _get(
        client, reverse("child_list"), village=cast.village_a.code, status="draft", q='"><b>x</b>', sort="village"
    )
    assert f'<option value="{cast.village_a.code}" selected>江口镇 东大村委会</option>' in body
    assert f'<option value="{cast.village_b.code}">白沙镇 白沙村委会</option>' in body
    assert '<option value="draft" selected>' in body and '<option value="village" selected>' in body
    assert 'value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;"' in body and "<b>x</b>" not in body
    assert 'id="id_village"' in body and 'for="id_village"' in body

    body, _ = _get(client, reverse("child_list"), village="999999999999")
    select = re.search(r'<select[^>]*name="village"[^>]*>', body)
    assert select is not None and "is-invalid" in select.group(0)


def test_rows_show_labels_dates_and_masked_numbers(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="标签")
    body, _ = _get(client_for(cast.supervisor_a), reverse("child_list"))
    row = body[body.index('data-testid="child-row"') :]
    row = row[: row.index("</tr>")]
    assert "标签" in row and "男" in row and "2016-03-05" in row and "草稿" in row
    assert "未落户" in row and "留守" in row  # no ID number yet; the left-behind badge


def test_search_results_keep_the_name_order_and_every_match(cast: Cast) -> None:
    # Sorted after collecting (an ORDER BY expression) and read in two steps (keys, then rows).
    for name in ("刘海", "林华", "李浩", "王红"):
        make_child(cast.village_a, actor=cast.district_admin, name=name)
    names = [c.name for c in selectors.children_for(cast.district_admin, selectors.ChildFilters(q="lh"))]
    assert names == ["李浩", "林华", "刘海"]  # li hao, lin hua, liu hai
    backwards = selectors.ChildFilters(q="lh", sort="-name")
    assert [c.name for c in selectors.children_for(cast.district_admin, backwards)] == names[::-1]
    body, _ = _get(client_for(cast.district_admin), reverse("child_list"), q="lh")
    assert [body.index(name) for name in names] == sorted(body.index(name) for name in names)
    assert "王红" not in body
