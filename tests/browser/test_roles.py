"""Sign in as three roles in a real browser, at office-PC and phone widths, and navigate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import Cast
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PC = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}
ENGLISH_UI_WORDS = re.compile(r"\b(Sign in|Home|Users|Organisations|Regions|Audit trail|Save|Cancel|Next|Previous)\b")


def sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base_url}/")


MANAGER_NAV = ["待办", "儿童信息", "摸底排查", "数据比对", "行政区划", "单位", "用户", "操作日志"]


@pytest.mark.parametrize(
    ("attr", "jurisdiction", "nav"),
    [
        ("director_a", "东大村委会", ["待办", "儿童信息", "摸底排查", "数据比对", "行政区划", "单位"]),
        ("supervisor_a", "江口镇", MANAGER_NAV),
        ("district_admin", "涵江区", MANAGER_NAV),
    ],
)
def test_role_signs_in_and_navigates_on_pc(
    browser: Any, live_server: Any, cast: Cast, artifacts: Path, attr: str, jurisdiction: str, nav: list[str]
) -> None:
    user = getattr(cast, attr)
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else external.append(r.url))
    sign_in(page, live_server.url, user.username)
    assert jurisdiction in page.get_by_test_id("jurisdiction").inner_text()
    assert user.display_name in page.get_by_test_id("home-title").inner_text()
    page.screenshot(path=str(artifacts / f"home-{attr}-pc.png"), full_page=True)
    navbar = page.locator("#nav-main")
    labels = [t.strip() for t in navbar.locator(".navbar-nav").first.locator("a.nav-link").all_inner_texts()]
    assert labels == ["首页", *nav]
    for label in nav:
        navbar.get_by_role("link", name=label, exact=True).click()
        page.wait_for_load_state()
        assert page.locator("h1").first.is_visible()
        assert not ENGLISH_UI_WORDS.search(page.locator("body").inner_text()), page.url
        page.screenshot(path=str(artifacts / f"{attr}-{label}-pc.png"), full_page=True)
    assert external == []
    context.close()


@pytest.mark.parametrize("attr", ["director_a", "supervisor_a", "district_admin"])
def test_role_uses_the_menu_on_a_phone(browser: Any, live_server: Any, cast: Cast, artifacts: Path, attr: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server.url, getattr(cast, attr).username)
    page.screenshot(path=str(artifacts / f"home-{attr}-phone.png"), full_page=True)
    # No horizontal scrolling at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    menu = page.locator("#nav-main")
    assert not menu.is_visible()
    page.get_by_role("button", name="菜单").click()
    menu.get_by_role("link", name="单位", exact=True).wait_for(state="visible")
    menu.get_by_role("link", name="单位", exact=True).click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts / f"{attr}-orgs-phone.png"), full_page=True)
    context.close()


def test_other_township_gets_a_chinese_404(browser: Any, live_server: Any, cast: Cast, artifacts: Path) -> None:
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server.url, cast.supervisor_b.username)
    response = page.goto(f"{live_server.url}/users/{cast.director_a.pk}/")
    assert response is not None and response.status == 404
    assert "页面不存在" in page.locator("h1").inner_text() or "找不到" in page.locator("h1").inner_text()
    assert cast.director_a.name not in page.content()
    page.screenshot(path=str(artifacts / "outsider-404.png"))
    context.close()


def test_wrong_password_then_lockout_in_browser(browser: Any, live_server: Any, cast: Cast, artifacts: Path) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.get_by_label("用户名").fill(cast.director_b.username)
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        if page.get_by_test_id("locked-out").count():
            break
        assert "用户名或密码错误" in page.locator("body").inner_text()
    page.screenshot(path=str(artifacts / "login-error-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(cast.director_b.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("locked-out").wait_for()
    page.screenshot(path=str(artifacts / "locked-out-phone.png"), full_page=True)
    context.close()
