"""Transfers, duplicates at entry and search, as users met them in a browser (QA of the registry)."""

from __future__ import annotations

from django.urls import reverse

from conftest import Cast, client_for
from tests.factories import make_child


def test_the_page_head_shows_no_template_comment(cast: Cast) -> None:
    # A {# #} comment spans one line only; a longer one was printed at the top of every page.
    body = client_for(cast.director_a).get(reverse("child_list")).content.decode()
    assert "{#" not in body and "#}" not in body


def test_search_by_id_number_pasted_with_full_width_digits_or_odd_spaces(cast: Cast) -> None:
    from registry.selectors import ChildFilters, children_for

    number = "35030320160305200X"  # sequence 200: an even digit, a girl
    child = make_child(
        cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False, gender="2"
    )
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())
    for query in (
        full_width,
        "350303\u00a020160305200x",
        "３５０３０３\u3000２０１６０３０５２００ｘ",
        "200x",
        "５２００Ｘ",
    ):
        assert list(children_for(cast.supervisor_a, ChildFilters(q=query))) == [child], query
