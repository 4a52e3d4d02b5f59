"""The whole registry path in a real browser: village registers, township approves, district confirms."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import Cast
from core.idnumber import check_character
from registry.models import Child
from tests.browser.test_roles import PC, PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _id(born: date) -> str:
    first = f"350303{born:%Y%m%d}135"
    return first + check_character(first)


def test_register_review_confirm_and_timeline(browser: Any, live_server: Any, cast: Cast, artifacts: Path) -> None:
    base = live_server.url
    born = date(2015, 6, 7)

    # 1. The village child director registers a child and submits the file.
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, cast.director_a.username)
    page.get_by_role("link", name="儿童信息", exact=True).click()
    page.get_by_test_id("child-create").click()
    page.fill("[name=name]", "陈小红")
    page.select_option("[name=gender]", "1")
    page.fill("[name=birth_date]", born.isoformat())
    page.fill("[name=id_number]", _id(born))
    page.select_option("[name=schooling]", "primary")
    page.fill("[name=school_name]", "江口中心小学")
    page.select_option("[name=living_arrangement]", "with_grandparents")
    page.select_option("[name=guardianship_type]", "fair")
    page.select_option("[name=guardianship_assessment]", "fair")
    page.fill("[name=family-0-name]", "陈大明")
    page.fill("[name=family-0-work_place]", "晋江市")
    page.fill("[name=family-0-left_on]", "2023-03-01")
    page.fill("[name=family-1-name]", "林秀英")
    page.fill("[name=family-1-work_place]", "宝安区")
    page.fill("[name=family-1-left_on]", "2023-03-01")
    page.fill("[name=guardian-name]", "陈奶奶")
    page.select_option("[name=guardian-relationship]", "62")
    page.fill("[name=guardian-birth_date]", "1952-02-02")
    page.screenshot(path=str(artifacts / "registry-form-pc.png"), full_page=True)
    page.get_by_test_id("child-save").click()
    page.get_by_test_id("eligibility").wait_for()
    assert (
        "双方外出务工" in page.get_by_test_id("eligibility").inner_text()
        or "外出务工" in page.get_by_test_id("eligibility").inner_text()
    )
    assert _id(born) not in page.content()  # masked by default
    page.screenshot(path=str(artifacts / "registry-dossier-draft-pc.png"), full_page=True)
    page.get_by_test_id("submit").click()
    page.get_by_test_id("child-status").wait_for()
    assert "待审核" in page.get_by_test_id("child-status").inner_text()
    child_url = page.url
    context.close()

    # 2. The township supervisor finds it in the to-do list and approves it.
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, base, cast.supervisor_a.username)
    page.goto(f"{base}/todo/")
    page.screenshot(path=str(artifacts / "registry-todo-phone.png"), full_page=True)
    page.get_by_test_id("todo-item").get_by_role("link").first.click()
    page.get_by_test_id("approve").click()
    page.get_by_test_id("child-status").wait_for()
    assert "待确认" in page.get_by_test_id("child-status").inner_text()
    context.close()

    # 3. The district confirms the entry; the timeline shows every step.
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, cast.district_admin.username)
    assert page.get_by_test_id("todo-count").inner_text() == "1"
    page.goto(f"{base}/todo/")
    page.get_by_test_id("todo-item").get_by_role("link").first.click()
    page.get_by_test_id("confirm").click()
    page.get_by_test_id("child-status").wait_for()
    assert "已登记" in page.get_by_test_id("child-status").inner_text()
    timeline = page.get_by_test_id("timeline").inner_text()
    for who in (cast.director_a.name, cast.supervisor_a.name, cast.district_admin.name):
        assert who in timeline
    page.get_by_test_id("reveal").click()
    page.get_by_text(_id(born)).wait_for()
    page.screenshot(path=str(artifacts / "registry-dossier-registered-pc.png"), full_page=True)
    context.close()

    # 4. The second village's officer gets a 404 for it.
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, cast.director_b.username)
    response = page.goto(child_url)
    assert response is not None and response.status == 404
    assert "陈小红" not in page.content()
    context.close()
    assert Child.objects.get().status == "registered"


def test_village_change_is_accepted_by_the_township(
    browser: Any, live_server: Any, cast: Cast, artifacts: Path
) -> None:
    from tests.factories import make_registered_child

    base = live_server.url
    child = make_registered_child(cast, name="陈小兰")
    dossier = f"{base}/children/{child.pk}/"

    # 1. The village changes the grade: the change waits for the township, the file does not change.
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    sign_in(page, base, cast.director_a.username)
    page.goto(dossier)
    page.get_by_test_id("child-edit").click()
    page.fill("[name=grade]", "五年级")
    page.get_by_test_id("child-save").click()
    page.get_by_test_id("pending-change").wait_for()
    card = page.get_by_test_id("pending-change").inner_text()
    assert "待审核的修改" in card and "五年级" in card and "四年级" in card
    assert "已登记" in page.get_by_test_id("child-status").inner_text()
    page.screenshot(path=str(artifacts / "registry-change-pending-village-pc.png"), full_page=True)
    context.close()
    assert Child.objects.get(pk=child.pk).grade == "四年级"

    # 2. The township finds it in the to-do list and accepts it; the history shows old → new and who.
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, base, cast.supervisor_a.username)
    page.goto(f"{base}/todo/")
    page.get_by_test_id("todo-item").filter(has_text="陈小兰").get_by_role("link").first.click()
    page.get_by_test_id("change-rows").wait_for()
    page.screenshot(path=str(artifacts / "registry-change-review-phone.png"), full_page=True)
    page.get_by_test_id("accept-change").click()
    page.get_by_test_id("timeline").wait_for()
    assert page.get_by_test_id("pending-change").count() == 0
    timeline = page.get_by_test_id("timeline")
    timeline.locator("details").first.locator("summary").click()
    text = timeline.inner_text()
    assert "乡镇审核通过，修改已生效" in text and cast.supervisor_a.name in text and cast.director_a.name in text
    assert "五年级" in text
    context.close()
    assert Child.objects.get(pk=child.pk).grade == "五年级"
