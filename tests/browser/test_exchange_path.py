"""Data matching in a real browser: the township uploads a 户籍 file, watches the progress bar,
applies the preview, and the village verifies a discrepancy from its to-do list."""

from __future__ import annotations

import importlib
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from conftest import Cast
from exchange import services
from exchange.models import Discrepancy
from registry.models import Child
from tests.browser.test_roles import PC, PHONE, sign_in
from tests.exchange.test_services import CHEN, LIN, hukou_csv
from tests.factories import make_child
from worklist.models import WorkItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run_later(task: str, *args: Any) -> None:
    """Stand in for the background worker: run the job in another thread a moment later."""
    module, name = task.rsplit(".", 1)
    function = getattr(importlib.import_module(module), name)

    def work() -> None:
        try:
            function(*args)
        finally:
            connection.close()

    transaction.on_commit(lambda: threading.Timer(0.8, work).start())


def test_upload_progress_apply_and_verify(
    browser: Any, live_server: Any, cast: Cast, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "enqueue", _run_later)
    for name, number, born in (("陈虹", CHEN, date(2015, 6, 6)), ("林东", LIN, date(2014, 7, 7))):
        child = make_child(
            cast.village_a,
            actor=cast.district_admin,
            name=name,
            id_number=number,
            hukou_unregistered=False,
            birth_date=born,
        )
        Child.objects.filter(pk=child.pk).update(status="registered")
    base = live_server.url

    # 1. The township supervisor uploads the police extract (GBK, as Chinese Excel saves it).
    context = browser.new_context(viewport=PC, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Apply this file now?"
    sign_in(page, base, cast.supervisor_a.username)
    page.get_by_role("link", name="数据比对", exact=True).click()
    page.get_by_test_id("imports-link").click()
    page.get_by_test_id("batch-upload").click()
    page.select_option("[name=kind]", "hukou")
    page.select_option("[name=region]", cast.township_a.code)
    page.fill("[name=period]", "2026年第四季度")
    page.set_input_files(
        "[name=file]", {"name": "江口镇户籍.csv", "mimeType": "text/csv", "buffer": hukou_csv().encode("gbk")}
    )
    page.screenshot(path=str(artifacts / "exchange-upload-pc.png"), full_page=True)
    page.get_by_test_id("upload-submit").click()

    # 2. The progress bar runs while the worker reads, checks and matches, then the preview shows.
    page.get_by_test_id("batch-progress").wait_for()
    page.locator("[data-testid=batch-panel][data-status=ready]").wait_for(timeout=30_000)
    assert page.get_by_test_id("batch-progress").get_attribute("aria-valuenow") == "100"
    assert page.get_by_test_id("rows-total").inner_text() == "5"
    assert page.get_by_test_id("count-new").inner_text() == "1"
    page.screenshot(path=str(artifacts / "exchange-preview-pc.png"), full_page=True)

    # 3. Applying runs in the worker too; the page follows it to the end.
    page.get_by_test_id("batch-apply").click()
    page.locator("[data-testid=batch-panel][data-status=applied]").wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "exchange-applied-pc.png"), full_page=True)
    page.get_by_role("link", name="数据比对", exact=True).click()
    page.get_by_test_id("discrepancy-row").first.wait_for()
    page.screenshot(path=str(artifacts / "exchange-discrepancies-pc.png"), full_page=True)
    page.get_by_test_id("completeness-link").click()
    assert "待核实" in page.get_by_test_id("area-row").first.inner_text()
    page.screenshot(path=str(artifacts / "exchange-completeness-pc.png"), full_page=True)
    context.close()

    # 4. The village child director verifies a discrepancy from the to-do list, on a phone.
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, base, cast.director_a.username)
    page.goto(f"{base}/todo/")
    item = page.get_by_test_id("todo-item").filter(has_text="遗漏").first
    item.get_by_role("link").first.click()
    assert "王小明" in page.content()
    page.screenshot(path=str(artifacts / "exchange-discrepancy-phone.png"), full_page=True)
    page.get_by_label("已更正：已修改档案或已登记该儿童").check()
    page.fill("[name=note]", "已入户核实，父母在晋江务工，已登记")
    page.get_by_test_id("resolve-submit").click()
    page.get_by_test_id("discrepancy-status").wait_for()
    assert "已更正" in page.get_by_test_id("discrepancy-status").inner_text()
    context.close()
    omission = Discrepancy.objects.get(kind="hukou_omission")
    assert WorkItem.objects.get(target_id=str(omission.pk), kind="verify").status == "done"
