"""Transfers, duplicates at entry and search, as users met them in a browser (QA of the registry)."""

from __future__ import annotations

from django.urls import reverse

from conftest import Cast, client_for


def test_the_page_head_shows_no_template_comment(cast: Cast) -> None:
    # A {# #} comment spans one line only; a longer one was printed at the top of every page.
    body = client_for(cast.director_a).get(reverse("child_list")).content.decode()
    assert "{#" not in body and "#}" not in body
