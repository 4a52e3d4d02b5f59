"""Transfers between villages, and the PDF dossier."""

from __future__ import annotations

import re
import zlib
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import Cast, client_for
from core.idnumber import check_character, mask
from core.models import AuditEvent
from registry import services
from registry.models import Child, ChildTransfer
from tests.factories import make_child
from worklist.models import ItemKind, WorkItem


def _id(born: date, seq: str = "246") -> str:
    first = f"350303{born:%Y%m%d}{seq}"
    return first + check_character(first)


def test_send_and_accept_a_transfer(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    response = client_for(cast.director_a).post(
        reverse("transfer_send", args=[child.pk]), {"to_village": cast.village_b.pk, "reason": "随祖父母搬迁"}
    )
    assert response.status_code == 302
    transfer = ChildTransfer.objects.get()
    item = WorkItem.objects.get(kind=ItemKind.DECIDE_TRANSFER)
    assert item.owner_organisation == cast.committee_b
    # The receiving village sees the transfer, not the file, until it accepts.
    receiver = client_for(cast.director_b)
    page = receiver.get(reverse("transfer_detail", args=[transfer.pk])).content.decode()
    assert child.name in page and 'data-testid="transfer-accept"' in page
    assert receiver.get(reverse("child_detail", args=[child.pk])).status_code == 404
    # The sender cannot decide its own transfer.
    with pytest.raises(ValidationError):
        services.transfer_decide(actor=cast.director_a, transfer=transfer, accept=True)
    receiver.post(reverse("transfer_detail", args=[transfer.pk]), {"decision": "accept", "note": ""})
    child.refresh_from_db()
    assert child.hukou_village == cast.village_b and child.region_code == cast.village_b.code
    assert receiver.get(reverse("child_detail", args=[child.pk])).status_code == 200
    assert client_for(cast.director_a).get(reverse("child_detail", args=[child.pk])).status_code == 404
    event = AuditEvent.objects.get(action="child.transfer_accept")
    assert event.changes["hukou_village"] == [cast.village_a.name, cast.village_b.name]
    assert not WorkItem.objects.filter(kind=ItemKind.DECIDE_TRANSFER, status="open").exists()


def test_request_a_file_found_elsewhere(cast: Cast) -> None:
    number = _id(date(2016, 3, 5))
    child = make_child(
        cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False, name="甲村孩子"
    )
    response = client_for(cast.director_b).post(
        reverse("transfer_request"), {"id_number": number, "to_village": cast.village_b.pk, "reason": "已迁入本村"}
    )
    assert response.status_code == 302
    transfer = ChildTransfer.objects.get()
    assert transfer.requested_by_receiver
    assert WorkItem.objects.get(kind=ItemKind.DECIDE_TRANSFER).owner_organisation == cast.township_gov_a
    # The asking village cannot decide, and does not see the file yet.
    page = client_for(cast.director_b).get(reverse("transfer_detail", args=[transfer.pk])).content.decode()
    assert 'data-testid="transfer-accept"' not in page and reverse("child_detail", args=[child.pk]) not in page
    # Refusing needs a reason.
    with pytest.raises(ValidationError):
        services.transfer_decide(actor=cast.supervisor_a, transfer=transfer, accept=False, note="")
    services.transfer_decide(actor=cast.supervisor_a, transfer=transfer, accept=False, note="孩子仍在本村生活")
    child.refresh_from_db()
    assert child.hukou_village == cast.village_a
    assert ChildTransfer.objects.get().status == "rejected"


def test_transfers_are_invisible_to_third_parties(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    transfer = services.transfer_send(actor=cast.director_a, child=child, to_village=cast.village_b, reason="搬迁")
    assert client_for(cast.outsider).get(reverse("transfer_detail", args=[transfer.pk])).status_code == 404
    assert ChildTransfer.objects.for_user(cast.outsider).count() == 0
    assert ChildTransfer.objects.for_user(cast.supervisor_b).count() == 1  # the receiving township
    with pytest.raises(ValidationError):
        services.transfer_send(actor=cast.director_a, child=child, to_village=cast.village_b, reason="again")


def _pdf_streams(pdf: bytes) -> list[bytes]:
    """The PDF's streams, decompressed where they are Flate-encoded (font names live inside)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            parts.append(match.group(1))
    return parts


def test_pdf_dossier_has_embedded_chinese_fonts_and_is_logged(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a, name="陈小红")
    response = client_for(cast.director_a).get(reverse("child_pdf", args=[child.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert any(b"CJK-SC" in part or b"CJKsc" in part for part in _pdf_streams(response.content))
    assert AuditEvent.objects.filter(action="child.pdf", kind="export", actor=cast.director_a).exists()
    assert client_for(cast.director_b).get(reverse("child_pdf", args=[child.pk])).status_code == 404


def test_print_view_masks_unless_asked(cast: Cast) -> None:
    number = _id(date(2016, 3, 5))
    child = make_child(cast.village_a, actor=cast.director_a, id_number=number, hukou_unregistered=False)
    client = client_for(cast.director_a)
    assert number not in client.get(reverse("child_print", args=[child.pk])).content.decode()
    assert number in client.get(reverse("child_print", args=[child.pk]), {"full": "1"}).content.decode()
    assert Child.objects.count() == 1


def test_printed_dossier_carries_the_reasons_and_the_family_numbers(cast: Cast) -> None:
    """The paper file is the whole file: why the child is (or is not) on the list, and each
    member's date of leaving and ID number (masked unless asked, like the page)."""
    mother = _id(date(1990, 1, 1))
    child = make_child(
        cast.village_a,
        actor=cast.director_a,
        family=[
            {"relationship": "51", "name": "张父", "status": "away_for_work", "left_on": date(2024, 2, 1)},
            {"relationship": "52", "name": "李母", "status": "at_home", "id_number": mother},
        ],
    )
    client = client_for(cast.director_a)
    page = client.get(reverse("child_print", args=[child.pk])).content.decode()
    assert "母亲在家，未外出务工。" in page and "父亲外出务工已" in page
    assert "2024-02-01" in page and mask(mother) in page and mother not in page
    assert mother in client.get(reverse("child_print", args=[child.pk]), {"full": "1"}).content.decode()


def test_entrustment_scan_upload_is_served_only_in_scope(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_registry import form_data

    data: dict[str, object] = dict(form_data(cast))
    data["entrustment_date"] = "2024-03-01"
    data["entrustment_scan"] = SimpleUploadedFile("confirm.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    client = client_for(cast.director_a)
    assert client.post(reverse("child_create"), data).status_code == 302
    child = Child.objects.get()
    response = client.get(reverse("entrustment_scan", args=[child.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 scan"  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action="child.scan").exists()
    assert client_for(cast.director_b).get(reverse("entrustment_scan", args=[child.pk])).status_code == 404


def test_entrustment_scan_must_be_a_document(cast: Cast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_registry import form_data

    data: dict[str, object] = dict(form_data(cast))
    data["entrustment_scan"] = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    response = client_for(cast.director_a).post(reverse("child_create"), data)
    assert response.status_code == 200 and response.context["form"].errors["entrustment_scan"]
    assert not Child.objects.exists()


def test_the_transfer_form_starts_with_no_village_chosen(cast: Cast) -> None:
    # A user who did not choose would otherwise send the file to the county's first village.
    child = make_child(cast.village_a, actor=cast.director_a)
    client = client_for(cast.director_a)
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    select = re.search(r'<select[^>]*name="to_village"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None and select.group(1).startswith('<option value="">')
    response = client.post(reverse("transfer_send", args=[child.pk]), {"to_village": "", "reason": "搬迁"}, follow=True)
    assert "请选择档案转入的村（社区）。" in response.content.decode()
    assert not ChildTransfer.objects.exists()
