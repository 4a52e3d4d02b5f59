"""Forms that ask before they act (data-confirm, static/shouhu/shouhu.js, no inline script)."""

from __future__ import annotations

from typing import Any

import pytest

from census.models import Campaign
from conftest import Cast
from tests.browser.test_roles import PC, sign_in
from tests.test_census import open_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cancelling_a_campaign_asks_first(browser: Any, live_server: Any, cast: Cast) -> None:
    campaign = open_campaign(cast)
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server.url, cast.district_admin.username)
    page.goto(f"{live_server.url}/census/{campaign.pk}/")
    page.get_by_test_id("campaign-cancel-box").locator("summary").click()
    page.get_by_label("撤销原因").fill("年份填错")
    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_test_id("campaign-cancel").click()
    page.wait_for_timeout(300)
    assert asked and "确定撤销本次排查活动" in asked[0]
    assert not Campaign.objects.get(pk=campaign.pk).is_cancelled  # "no" sends nothing
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_test_id("campaign-cancel").click()
    page.wait_for_load_state()
    page.get_by_test_id("cancel-reason").wait_for()
    assert Campaign.objects.get(pk=campaign.pk).is_cancelled
    context.close()
