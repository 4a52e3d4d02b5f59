"""Filters changed in place, then Back: the list, its filter boxes and its ledger link agree."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Cast
from tests.browser.test_roles import PC, sign_in
from tests.factories import make_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_back_after_filtering_in_place_shows_the_filters_applied(browser: Any, live_server: Any, cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="在册童")
    make_child(cast.village_a, actor=cast.district_admin, name="重点童", health="ill", illness="哮喘")
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server.url, cast.supervisor_a.username)
    page.goto(f"{live_server.url}/children/")
    page.select_option("#id_status", "draft")
    page.wait_for_url("**status=draft**")
    page.select_option("#id_flag", "key_target")
    page.wait_for_url("**flag=key_target**")
    page.get_by_text("在册童").wait_for(state="detached")
    page.go_back()
    page.wait_for_url("**status=draft**")
    page.get_by_text("在册童").wait_for()
    assert page.input_value("#id_status") == "draft"
    assert page.input_value("#id_flag") == ""
    assert "flag=key_target" not in (page.get_attribute("[data-testid=ledger-export]", "href") or "")
    # Nothing of the pages is kept in the browser's storage by htmx.
    assert page.evaluate("() => localStorage.getItem('htmx-history-cache')") in (None, "[]")
    context.close()
