"""The children list as users met it in a browser: filters that do not apply, the ledger links that
follow the filters, the ledger's name, and what every signed-in page tells browsers about caching."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from conftest import Cast, client_for
from tests.factories import make_child


def test_ledger_links_follow_filters_changed_in_place(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="甲村童")
    client = client_for(cast.supervisor_a)
    page = client.get(reverse("child_list")).content.decode()
    assert 'id="ledger-links"' in page
    # The filters change through htmx: the rows come back with the ledger links for those filters.
    rows = client.get(
        reverse("child_list"), {"village": cast.village_a.code, "left_behind": "1"}, HTTP_HX_REQUEST="true"
    )
    body = rows.content.decode()
    assert 'id="ledger-links" hx-swap-oob="true"' in body
    assert f"{reverse('ledger_export')}?village={cast.village_a.code}&amp;left_behind=1" in body
    assert f"village={cast.village_a.code}&amp;left_behind=1&amp;full=1" in body


def test_the_plain_ledger_link_never_carries_full_numbers_or_the_page(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="甲村童")
    client = client_for(cast.supervisor_a)
    page = client.get(reverse("child_list"), {"left_behind": "1", "full": "1", "page": "2"}).content.decode()
    links = re.findall(r'href="(/children/ledger\.xlsx[^"]*)"', page)
    assert links == ["/children/ledger.xlsx?left_behind=1", "/children/ledger.xlsx?left_behind=1&amp;full=1"]


def test_a_filter_that_does_not_apply_is_named_and_the_others_still_apply(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="甲村童")
    make_child(cast.village_a, actor=cast.district_admin, name="乙村童", health="ill", illness="哮喘")
    client = client_for(cast.supervisor_a)
    body = client.get(reverse("child_list"), {"village": cast.village_b.code, "flag": "key_target"}).content.decode()
    assert 'data-testid="ignored-filters"' in body and "村（社区）" in body
    assert "乙村童" in body and "甲村童" not in body  # the flag filter still applies
    body = client.get(reverse("child_list"), {"flag": "key_target"}).content.decode()
    assert 'data-testid="ignored-filters"' not in body


def test_the_ledger_is_not_exported_with_a_filter_that_does_not_apply(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="甲村童")
    client = client_for(cast.supervisor_a)
    response = client.get(reverse("ledger_export"), {"village": cast.village_b.code, "full": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("child_list"))
    assert "台账未导出" in client.get(response["Location"]).content.decode()


def test_the_ledger_is_named_after_what_it_holds(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="甲村童")
    client = client_for(cast.supervisor_a)
    every = client.get(reverse("ledger_export"))
    assert "儿童信息台账-" in unquote(every["Content-Disposition"]) and "留守" not in unquote(
        every["Content-Disposition"]
    )
    sheet = load_workbook(io.BytesIO(every.content)).active
    assert sheet is not None and sheet.title == f"{cast.township_a.name}儿童信息台账"
    left_behind = client.get(reverse("ledger_export"), {"left_behind": "1"})
    assert "留守儿童信息台账-" in unquote(left_behind["Content-Disposition"])


def test_filter_lists_are_selects(cast: Cast) -> None:
    body = client_for(cast.supervisor_a).get(reverse("child_list")).content.decode()
    assert '<select class="form-select" id="id_village" name="village">' in body
    assert '<select class="form-select" id="id_school" name="school">' in body


def test_signed_in_pages_are_not_kept_by_browsers(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.district_admin)
    client = client_for(cast.supervisor_a)
    for url in (reverse("child_list"), reverse("child_detail", args=[child.pk]), reverse("ledger_export")):
        cache = client.get(url)["Cache-Control"]
        assert "no-store" in cache and "private" in cache
    # Nobody signed in: nothing personal, no such header.
    assert "no-store" not in (Client().get("/healthz").get("Cache-Control") or "")


def test_a_link_to_a_form_only_address_gets_the_chinese_page(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.district_admin)
    response = client_for(cast.director_a).get(reverse("transfer_send", args=[child.pk]))
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert "无法这样操作" in response.content.decode()


def test_relationship_lists_start_with_the_usual_ones(cast: Cast) -> None:
    page = client_for(cast.director_a).get(reverse("child_create")).content.decode()
    guardian = page[page.index('name="guardian-relationship"') :]
    guardian = guardian[: guardian.index("</select>")]
    assert guardian.index('<optgroup label="常用">') < guardian.index('value="62"') < guardian.index("其他关系")
    assert guardian.index('value="62"') < guardian.index('value="01"')  # 祖母 before 本人


def test_a_history_restore_request_gets_the_whole_page(cast: Cast) -> None:
    client = client_for(cast.supervisor_a)
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    body = client.get(reverse("child_list"), {"flag": "key_target"}, headers=headers).content.decode()
    assert body.lstrip().startswith("<!doctype html>")
    assert 'hx-swap-oob="true"' not in body
    assert '"historyCacheSize": 0' in body


def test_the_district_filters_and_exports_one_township(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="甲村童")
    make_child(cast.village_b, actor=cast.district_admin, name="乙村童")
    client = client_for(cast.district_admin)
    page = client.get(reverse("child_list")).content.decode()
    assert f'<option value="{cast.township_a.code}">{cast.township_a.name} （全镇）</option>' in page
    body = client.get(reverse("child_list"), {"village": cast.township_a.code}).content.decode()
    assert "甲村童" in body and "乙村童" not in body and 'data-testid="ignored-filters"' not in body
    ledger = client.get(reverse("ledger_export"), {"village": cast.township_a.code})
    assert f"{cast.township_a.name}儿童信息台账-" in unquote(ledger["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(ledger.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert any("甲村童" in r for r in rows) and not any("乙村童" in r for r in rows)
    # A township's own supervisor has one township: its list holds villages only.
    page = client_for(cast.supervisor_a).get(reverse("child_list")).content.decode()
    assert "（全镇）" not in page
