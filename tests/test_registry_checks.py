"""Checks found in a user test of the child's file: exits, impossible family data, what an
entrustment scan really is, storage paths kept from users, the logged edit form, the error summary."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import Cast, client_for
from core.models import AuditEvent, change_rows
from registry import services
from registry.models import Child, ChildChange
from tests.factories import make_child, make_registered_child
from tests.test_change_review import edit_data
from tests.test_registry import form_data

PDF = b"%PDF-1.4 scan"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


def _exit(cast: Cast, child: Child, **data: str) -> Any:
    return client_for(cast.director_a).post(reverse("child_action", args=[child.pk, "propose_exit"]), data)


# --- 1. Exit requests -------------------------------------------------------------------------


def test_exit_reason_starts_blank_and_is_required(cast: Cast) -> None:
    child = make_registered_child(cast)
    page = client_for(cast.director_a).get(reverse("child_detail", args=[child.pk])).content.decode()
    assert '<option value="" selected>请选择…</option>' in page
    response = _exit(cast, child, exit_date=timezone.localdate().isoformat())
    assert response.status_code == 200
    assert response.context["exit_form"].errors["reason"] == ["请选择退出原因。"]
    assert 'id="exit" open' in response.content.decode()
    assert not Child.objects.get(pk=child.pk).exit_reason


def test_turned_16_is_refused_for_a_young_child_at_the_field(cast: Cast) -> None:
    child = make_registered_child(cast, birth_date=date(2022, 3, 5))
    response = _exit(cast, child, reason="turned_16", exit_date=timezone.localdate().isoformat())
    assert response.status_code == 200
    (message,) = response.context["exit_form"].errors["reason"]
    assert "未满 16 周岁" in message and message in response.content.decode()
    assert not Child.objects.get(pk=child.pk).exit_reason
    # Every caller of the service meets the same check.
    with pytest.raises(ValidationError) as caught:
        services.child_propose_exit(
            actor=cast.director_a, child=child, reason="turned_16", exit_date=timezone.localdate()
        )
    assert "reason" in caught.value.error_dict


def test_turned_16_is_accepted_from_the_16th_birthday(cast: Cast) -> None:
    today = timezone.localdate()
    child = make_registered_child(cast, birth_date=services.birthday(today, -16))
    services.child_propose_exit(actor=cast.director_a, child=child, reason="turned_16", exit_date=today)
    assert Child.objects.get(pk=child.pk).exit_reason == "turned_16"


def test_exit_date_before_entry_or_birth_is_refused(cast: Cast) -> None:
    child = make_registered_child(cast)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = _exit(cast, child, reason="parent_returned", exit_date=yesterday)
    (message,) = response.context["exit_form"].errors["exit_date"]
    assert "纳入登记" in message
    child.entry_date = None
    with pytest.raises(ValidationError) as caught:
        services.child_propose_exit(
            actor=cast.director_a, child=child, reason="parent_returned", exit_date=date(2015, 1, 1)
        )
    assert "出生日期" in caught.value.error_dict["exit_date"][0].message


# --- 2. Impossible family data ------------------------------------------------------------------


def test_member_cannot_leave_before_being_born(cast: Cast) -> None:
    data = form_data(cast, **{"family-0-birth_date": "1990-05-01", "family-0-left_on": "1989-02-01"})
    response = client_for(cast.director_a).post(reverse("child_create"), data)
    assert response.status_code == 200
    assert "早于此人的出生日期" in response.context["family"].forms[0].errors["left_on"][0]
    assert not Child.objects.exists()


def test_returned_before_birth_is_refused(cast: Cast) -> None:
    data = form_data(
        cast, **{"family-1-birth_date": "1990-05-01", "family-1-left_on": "", "family-1-last_returned_on": "1988-02-01"}
    )
    response = client_for(cast.director_a).post(reverse("child_create"), data)
    assert "早于此人的出生日期" in response.context["family"].forms[1].errors["last_returned_on"][0]


def test_entrusted_guardian_must_be_an_adult(cast: Cast) -> None:
    born = services.birthday(timezone.localdate(), -11)
    response = client_for(cast.director_a).post(
        reverse("child_create"), form_data(cast, **{"guardian-birth_date": born.isoformat()})
    )
    assert response.status_code == 200
    assert "须为成年人" in response.context["guardian"].errors["birth_date"][0]
    adult = services.birthday(timezone.localdate(), -18)
    response = client_for(cast.director_a).post(
        reverse("child_create"), form_data(cast, **{"guardian-birth_date": adult.isoformat()})
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("relationship", "born", "refused"),
    [("51", "2018-01-01", True), ("52", "2003-03-06", True), ("57", "2002-03-05", False), ("62", "2010-01-01", False)],
)
def test_parent_is_at_least_14_years_older_than_the_child(
    cast: Cast, relationship: str, born: str, refused: bool
) -> None:
    # The child is born 2016-03-05 (form_data).
    overrides = {"family-0-relationship": relationship, "family-0-birth_date": born, "family-0-left_on": "2024-02-01"}
    response = client_for(cast.director_a).post(reverse("child_create"), form_data(cast, **overrides))
    if refused:
        assert response.status_code == 200
        (message,) = response.context["family"].forms[0].errors["birth_date"]
        assert "至少大 14 岁" in message and "2016-03-05" in message
        # Found after the row was validated on its own, and marked at the field all the same.
        assert "is-invalid" in response.context["family"].forms[0].fields["birth_date"].widget.attrs["class"]
        assert not Child.objects.exists()
    else:
        assert response.status_code == 302


# --- 3. What an entrustment scan is ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "accepted"),
    [
        ("fake.pdf", b"just some text", False),
        ("photo.jpg", PNG, False),
        ("photo.png", JPEG, False),
        ("confirm.pdf", PDF, True),
        ("photo.PNG", PNG, True),
        ("photo.jpeg", JPEG, True),
    ],
)
def test_scan_contents_must_match_the_name(cast: Cast, name: str, content: bytes, accepted: bool) -> None:
    data: dict[str, Any] = dict(form_data(cast))
    data["entrustment_scan"] = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client_for(cast.director_a).post(reverse("child_create"), data)
    if accepted:
        assert response.status_code == 302
        assert Child.objects.get().entrustment_scan.read() == content
    else:
        assert response.status_code == 200
        assert "与文件名不符" in response.context["form"].errors["entrustment_scan"][0]


@pytest.mark.parametrize(
    ("name", "content", "content_type", "inline"),
    [
        ("confirm.pdf", PDF, "application/pdf", True),
        ("photo.png", PNG, "image/png", True),
        ("photo.jpg", JPEG, "image/jpeg", True),
        # Uploaded before the contents were checked: served by its bytes, as a download.
        ("fake.pdf", b"<html><script>alert(1)</script>", "application/octet-stream", False),
    ],
)
def test_scan_is_served_with_the_type_of_its_bytes(
    cast: Cast, name: str, content: bytes, content_type: str, inline: bool
) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    child.entrustment_scan.save(name, ContentFile(content), save=True)
    response = client_for(cast.director_a).get(reverse("entrustment_scan", args=[child.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline" if inline else "attachment")
    assert b"".join(response.streaming_content) == content  # type: ignore[attr-defined]


def test_change_scan_is_served_with_the_type_of_its_bytes(cast: Cast) -> None:
    child = make_registered_child(cast)
    scan = SimpleUploadedFile("confirm.png", PNG, content_type="application/pdf")
    response = client_for(cast.director_a).post(
        reverse("child_update", args=[child.pk]), {**edit_data(child), "entrustment_scan": scan}
    )
    assert response.status_code == 302
    response = client_for(cast.supervisor_a).get(reverse("child_change_scan", args=[child.pk]))
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"


# --- 4. No storage paths shown ----------------------------------------------------------------------


def test_change_rows_name_no_storage_path() -> None:
    rows = change_rows(
        Child,
        {
            "entrustment_scan": ["entrustments/2026/scan.png", "entrustments/2026/scan2.jpg"],
            "grade": ["四年级", "五年级"],
        },
    )
    assert rows == [("委托确认书扫描件", "已上传", "已更换为新文件"), ("年级", "四年级", "五年级")]
    assert change_rows(Child, {"entrustment_scan": [None, "entrustments/2026/a.pdf"]})[0][1:] == (None, "已上传")
    assert change_rows(Child, {"entrustment_scan": ["entrustments/2026/a.pdf", ""]})[0][1:] == ("已上传", "已删除")


def test_dossier_and_timeline_show_no_storage_path(cast: Cast) -> None:
    child = make_registered_child(cast)
    child.entrustment_scan.save("scan.png", ContentFile(PNG), save=True)
    scan = SimpleUploadedFile("scan2.jpg", JPEG, content_type="image/jpeg")
    response = client_for(cast.director_a).post(
        reverse("child_update", args=[child.pk]), {**edit_data(child), "entrustment_scan": scan}
    )
    assert response.status_code == 302
    assert ChildChange.objects.get(child=child).changes["entrustment_scan"]
    page = client_for(cast.supervisor_a).get(reverse("child_detail", args=[child.pk])).content.decode()
    assert "已更换为新文件" in page and "entrustments/" not in page
    services.child_approve(actor=cast.supervisor_a, child=child)
    page = client_for(cast.supervisor_a).get(reverse("child_detail", args=[child.pk])).content.decode()
    assert 'data-testid="timeline"' in page and "已更换为新文件" in page and "entrustments/" not in page


def test_edit_form_links_the_scan_through_the_logged_view(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    child.entrustment_scan.save("fake.pdf", ContentFile(PDF), save=True)
    page = client_for(cast.director_a).get(reverse("child_update", args=[child.pk])).content.decode()
    assert f'href="{reverse("entrustment_scan", args=[child.pk])}"' in page
    assert "查看已上传的确认书" in page and "删除已上传的扫描件" in page
    assert 'name="entrustment_scan-clear"' in page
    assert "entrustments/" not in page and "/media/" not in page


def test_edit_form_links_the_scan_sent_with_a_change(cast: Cast) -> None:
    child = make_registered_child(cast)
    scan = SimpleUploadedFile("confirm.pdf", PDF, content_type="application/pdf")
    client = client_for(cast.director_a)
    client.post(reverse("child_update", args=[child.pk]), {**edit_data(child), "entrustment_scan": scan})
    page = client.get(reverse("child_update", args=[child.pk])).content.decode()
    assert f'href="{reverse("child_change_scan", args=[child.pk])}"' in page


# --- 5. The edit form is a logged read ---------------------------------------------------------------


def test_opening_the_edit_form_is_logged(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    client = client_for(cast.director_a)
    before = AuditEvent.objects.count()
    response = client.get(reverse("child_update", args=[child.pk]))
    assert response.status_code == 200
    (event,) = AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - before]
    assert event.action == "child.edit_view" and event.kind == "read"
    assert event.actor == cast.director_a and event.object_id == str(child.pk)
    assert event.action_label == "打开编辑页（显示完整证件号和电话）"
    # Opening the form to register a new child reveals nothing stored.
    client.get(reverse("child_create"))
    assert AuditEvent.objects.filter(action="child.edit_view").count() == 1


# --- 6. The error summary ---------------------------------------------------------------------------


def test_error_summary_links_each_field_in_error(cast: Cast) -> None:
    overrides = {
        "name": "",
        "family-1-birth_date": "2018-01-01",
        "guardian-birth_date": services.birthday(timezone.localdate(), -11).isoformat(),
    }
    data: dict[str, Any] = dict(form_data(cast, **overrides))
    data["entrustment_scan"] = SimpleUploadedFile("confirm.pdf", PDF, content_type="application/pdf")
    response = client_for(cast.director_a).post(reverse("child_create"), data)
    assert response.status_code == 200
    summary = [(e.label, e.anchor) for e in response.context["error_summary"]]
    assert summary == [
        ("姓名", "id_name"),
        ("家庭成员第 2 行：出生日期", "id_family-1-birth_date"),
        ("受委托监护人：出生日期", "id_guardian-birth_date"),
    ]
    page = response.content.decode()
    assert 'data-testid="error-summary"' in page and 'href="#id_family-1-birth_date"' in page
    assert 'data-testid="lost-upload"' in page and "shouhu/form-errors.js" in page


def test_error_summary_follows_the_order_of_the_fields(cast: Cast) -> None:
    # The date of leaving is found wrong by the row's own check, the birth date by the formset's
    # later one: the summary lists them as the row shows them.
    overrides = {"family-0-birth_date": "2018-01-01", "family-0-left_on": "2017-01-01"}
    response = client_for(cast.director_a).post(reverse("child_create"), form_data(cast, **overrides))
    assert [e.anchor for e in response.context["error_summary"]] == ["id_family-0-birth_date", "id_family-0-left_on"]


def test_error_summary_links_a_list_of_choices_to_its_first_choice(cast: Cast) -> None:
    data: dict[str, Any] = dict(form_data(cast, income_sources="nonsense"))
    response = client_for(cast.director_a).post(reverse("child_create"), data)
    anchors = [e.anchor for e in response.context["error_summary"]]
    assert anchors == ["id_income_sources_0"]
    assert 'id="id_income_sources_0"' in response.content.decode()


def test_no_summary_and_no_log_when_the_form_is_first_shown(cast: Cast) -> None:
    response = client_for(cast.director_a).get(reverse("child_create"))
    assert response.context["error_summary"] == [] and 'data-testid="error-summary"' not in response.content.decode()


def test_selects_with_nothing_chosen_read_choose(cast: Cast) -> None:
    body = client_for(cast.director_a).get(reverse("child_create")).content.decode()
    assert "---------" not in body and '<option value="" selected>请选择…</option>' in body
