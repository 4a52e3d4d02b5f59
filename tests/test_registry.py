"""The child registry: entry, checks, duplicates, review workflow, search, masking, ledger."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from conftest import Cast, client_for
from core.idnumber import check_character, mask
from core.models import AuditEvent
from registry import selectors, services
from registry.codes import ChildStatus
from registry.models import Child
from tests.factories import make_child
from worklist.models import ItemKind, WorkItem


def id_for(born: date, seq: str = "123", county: str = "350303") -> str:
    first = f"{county}{born:%Y%m%d}{seq}"
    return first + check_character(first)


def form_data(cast: Cast, **overrides: str) -> dict[str, str]:
    data = {
        "name": "王小明",
        "gender": "1",
        "ethnicity": "01",
        "birth_date": "2016-03-05",
        "id_number": id_for(date(2016, 3, 5), "123"),
        "hukou_village": str(cast.village_a.pk),
        "hukou_nature": "rural",
        "health": "healthy",
        "schooling": "primary",
        "school_name": "江口中心小学",
        "grade": "四年级",
        "living_arrangement": "with_grandparents",
        "guardianship_type": "fair",
        "guardianship_assessment": "fair",
        "family-TOTAL_FORMS": "3",
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "1000",
        "family-0-relationship": "51",
        "family-0-name": "王父",
        "family-0-status": "away_for_work",
        "family-0-work_place": "晋江市",
        "family-0-left_on": "2024-02-01",
        "family-0-phone": "13800001234",
        "family-1-relationship": "52",
        "family-1-name": "李母",
        "family-1-status": "away_for_work",
        "family-1-work_place": "广东省深圳市宝安区",
        "family-1-left_on": "2024-02-01",
        "family-2-relationship": "",
        "family-2-status": "at_home",
        "guardian-name": "王奶奶",
        "guardian-relationship": "62",
        "guardian-birth_date": "1950-01-01",
        "guardian-health": "healthy",
        "guardian-phone": "13800005678",
    }
    data.update(overrides)
    return data


def test_village_director_registers_a_child(cast: Cast) -> None:
    client = client_for(cast.director_a)
    response = client.post(reverse("child_create"), form_data(cast))
    assert response.status_code == 302, response.context and response.context["form"].errors
    child = Child.objects.get(name="王小明")
    assert child.status == ChildStatus.DRAFT
    assert child.region_code == cast.village_a.code
    assert child.is_left_behind and child.left_behind_kind == "both_away"
    assert child.is_key_target  # the entrusted grandmother is over 70
    assert child.family.count() == 2
    work_region = child.family.get(relationship="51").work_region
    assert work_region is not None and work_region.code == "350582000000"  # 晋江市
    assert child.guardian.name == "王奶奶"
    event = AuditEvent.objects.get(action="child.create", object_id=str(child.pk))
    assert event.actor == cast.director_a and event.region_code == cast.village_a.code
    assert event.changes["name"] == [None, "王小明"]
    # ID numbers and phones never appear in full in the history.
    assert child.id_number not in str(event.changes)
    assert "13800001234" not in str(event.changes)


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("id_number", "350303201603051230", "id_number"),  # wrong check character
        ("id_number", "3.50303E+17", "id_number"),  # mangled by Excel
        ("birth_date", "2016-03-06", "birth_date"),  # contradicts the ID number
        ("gender", "2", "gender"),  # sequence 123 is odd: a boy
        ("birth_date", "2009-01-01", "birth_date"),  # 16 or older
        ("birth_date", "2099-01-01", "birth_date"),  # in the future
        ("family-0-phone", "12345", None),  # malformed phone
        ("name", "", "name"),  # required
        ("family-0-left_on", "2099-01-01", None),  # future date
        ("family-0-work_place", "不存在县", None),  # unknown place of work
    ],
)
def test_bad_input_is_refused_and_nothing_saved(cast: Cast, field: str, value: str, error_field: str | None) -> None:
    data = form_data(cast, **{field: value})
    if field == "birth_date" and value not in ("2016-03-06",):
        data["id_number"] = ""
        data["hukou_unregistered"] = "on"
    response = client_for(cast.director_a).post(reverse("child_create"), data)
    assert response.status_code == 200
    if error_field:
        assert response.context["form"].errors.get(error_field), response.context["form"].errors
    else:
        assert response.context["family"].errors[0], response.context["family"].errors
    assert not Child.objects.exists()


def test_missing_id_needs_the_unregistered_tick(cast: Cast) -> None:
    response = client_for(cast.director_a).post(reverse("child_create"), form_data(cast, id_number=""))
    assert response.status_code == 200 and response.context["form"].errors["id_number"]
    data = form_data(cast, id_number="", hukou_unregistered="on")
    assert client_for(cast.director_a).post(reverse("child_create"), data).status_code == 302


def test_village_director_cannot_register_in_another_village(cast: Cast) -> None:
    data = form_data(cast, hukou_village=str(cast.village_b.pk))
    response = client_for(cast.director_a).post(reverse("child_create"), data)
    assert response.status_code == 200 and response.context["form"].errors["hukou_village"]
    assert not Child.objects.exists()


def test_same_id_in_jurisdiction_points_to_the_file(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5))
    existing = make_child(cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False)
    response = client_for(cast.director_a).post(reverse("child_create"), form_data(cast, id_number=number))
    assert response.status_code == 200
    assert reverse("child_detail", args=[existing.pk]) in response.content.decode()
    assert Child.objects.count() == 1


def test_same_id_elsewhere_names_only_the_township(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5))
    make_child(cast.village_b, actor=cast.district_admin, id_number=number, hukou_unregistered=False, name="白沙孩子")
    response = client_for(cast.director_a).post(reverse("child_create"), form_data(cast, id_number=number))
    body = response.content.decode()
    assert response.status_code == 200
    assert "白沙镇" in str(response.context["form"].errors["id_number"])
    assert "白沙孩子" not in body and "/children/" + str(Child.objects.get().pk) not in body
    # The holding township sees, in its read log, that the number was typed elsewhere and by whom.
    event = AuditEvent.objects.get(action="child.found_elsewhere")
    assert event.actor == cast.director_a and event.region_code == cast.village_b.code
    assert event.object_id == str(Child.objects.get().pk)


def test_probable_duplicate_needs_confirmation(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="王小明", birth_date=date(2016, 3, 5))
    client = client_for(cast.director_a)
    data = form_data(cast)
    response = client.post(reverse("child_create"), data)
    assert response.status_code == 200 and response.context["duplicates"].probable
    assert Child.objects.count() == 1
    data["not_duplicate"] = "1"
    assert client.post(reverse("child_create"), data).status_code == 302
    assert Child.objects.count() == 2


def test_a_probable_duplicate_in_another_township_names_only_the_township(cast: Cast) -> None:
    other = make_child(
        cast.village_b, actor=cast.district_admin, name="王小明", birth_date=date(2016, 3, 5), address="白沙秘密地址"
    )
    client = client_for(cast.director_a)
    data = form_data(cast)
    response = client.post(reverse("child_create"), data)
    body = response.content.decode()
    report = response.context["duplicates"]
    assert response.status_code == 200 and report.needs_confirmation and not report.probable
    assert report.probable_elsewhere == [(cast.township_b.full_name, "same_name_and_birth_date")]
    assert 'data-testid="duplicate-probable-elsewhere"' in body and cast.township_b.full_name in body
    assert reverse("child_detail", args=[other.pk]) not in body and cast.village_b.name not in body
    assert "白沙秘密地址" not in body
    assert Child.objects.count() == 1
    data["not_duplicate"] = "1"
    assert client.post(reverse("child_create"), data).status_code == 302
    assert Child.objects.count() == 2
    # The district sees both files as its own: a probable duplicate with its link, nothing "elsewhere".
    report = selectors.find_duplicates(
        cast.district_admin, name="王小明", birth_date=date(2016, 3, 5), id_number="", parent_ids=[]
    )
    assert len(report.probable) == 2 and report.probable_elsewhere == []


def test_id_one_digit_apart_is_a_probable_duplicate(cast: Cast) -> None:
    born = date(2016, 3, 5)
    number = id_for(born, "123")
    make_child(
        cast.village_a,
        actor=cast.district_admin,
        name="李四",
        birth_date=born,
        id_number=number,
        hukou_unregistered=False,
    )
    report = selectors.find_duplicates(
        cast.director_a, name="王五", birth_date=born, id_number=id_for(born, "133"), parent_ids=[]
    )
    assert [why for _, why in report.probable] == ["id_one_digit_apart"]


def test_full_review_path_with_worklist(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    village, township, district = (client_for(u) for u in (cast.director_a, cast.supervisor_a, cast.district_admin))

    assert village.post(reverse("child_action", args=[child.pk, "submit"])).status_code == 302
    child.refresh_from_db()
    assert child.status == ChildStatus.AWAITING_REVIEW
    todo = township.get(reverse("todo_list")).content.decode()
    assert child.name in todo
    assert WorkItem.objects.get(kind=ItemKind.REVIEW_CHILD).owner_organisation == cast.township_gov_a
    # The other township's supervisor has nothing to do with it.
    assert child.name not in client_for(cast.supervisor_b).get(reverse("todo_list")).content.decode()

    township.post(reverse("child_action", args=[child.pk, "return"]), {"comment": "请补充母亲电话"})
    child.refresh_from_db()
    assert child.status == ChildStatus.RETURNED and child.review_comment == "请补充母亲电话"
    assert "请补充母亲电话" in village.get(reverse("todo_list")).content.decode()

    village.post(reverse("child_action", args=[child.pk, "submit"]))
    township.post(reverse("child_action", args=[child.pk, "approve"]))
    child.refresh_from_db()
    assert child.status == ChildStatus.AWAITING_CONFIRMATION
    assert WorkItem.objects.get(kind=ItemKind.CONFIRM_ENTRY, status="open").owner_organisation == cast.civil_affairs

    district.post(reverse("child_action", args=[child.pk, "confirm"]))
    child.refresh_from_db()
    assert child.status == ChildStatus.REGISTERED and child.entry_date == timezone.localdate()
    assert not WorkItem.objects.filter(target_id=str(child.pk), status="open").exists()
    events = AuditEvent.objects.filter(object_id=str(child.pk), object_type="registry.child")
    actions = list(events.values_list("action", flat=True))
    for action in ("child.create", "child.submit", "child.return", "child.approve", "child.confirm"):
        assert action in actions
    page = district.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert 'data-testid="timeline"' in page and cast.supervisor_a.name in page


def test_village_cannot_approve_its_own_file(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    services.child_submit(actor=cast.director_a, child=child)
    client_for(cast.director_a).post(reverse("child_action", args=[child.pk, "approve"]))
    child.refresh_from_db()
    assert child.status == ChildStatus.AWAITING_REVIEW


def _registered(cast: Cast, **kw: Any) -> Child:
    child = make_child(cast.village_a, actor=cast.director_a, **kw)
    services.child_submit(actor=cast.director_a, child=child)
    services.child_approve(actor=cast.supervisor_a, child=child)
    services.child_confirm(actor=cast.district_admin, child=child)
    return child


def test_change_to_a_registered_file_goes_to_the_township(cast: Cast) -> None:
    child = _registered(cast)
    data = form_data(cast, name="张三丰", id_number="", hukou_unregistered="on", birth_date="2016-03-05")
    data.update({"family-TOTAL_FORMS": "2", "family-INITIAL_FORMS": "2"})
    members = list(child.family.order_by("relationship"))
    for i, member in enumerate(members):
        data[f"family-{i}-id"] = str(member.pk)
        data[f"family-{i}-relationship"] = member.relationship
        data[f"family-{i}-name"] = member.name
    data.pop("family-2-relationship")
    data.pop("family-2-status")
    response = client_for(cast.director_a).post(reverse("child_update", args=[child.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    child.refresh_from_db()
    # Held for review: the file is unchanged until the township accepts (tests/test_change_review.py).
    assert child.name == "张三" and child.status == ChildStatus.REGISTERED
    item = WorkItem.objects.get(kind=ItemKind.REVIEW_CHILD, status="open")
    assert item.owner_organisation == cast.township_gov_a
    services.child_approve(actor=cast.supervisor_a, child=child)
    child.refresh_from_db()
    assert child.name == "张三丰"
    assert not WorkItem.objects.filter(kind=ItemKind.REVIEW_CHILD, status="open").exists()


def test_exit_is_proposed_then_confirmed_by_the_district(cast: Cast) -> None:
    child = _registered(cast)
    client_for(cast.director_a).post(
        reverse("child_action", args=[child.pk, "propose_exit"]),
        {"reason": "parent_returned", "exit_date": timezone.localdate().isoformat(), "note": "母亲返乡"},
    )
    child.refresh_from_db()
    assert child.exit_reason == "parent_returned" and child.status == ChildStatus.REGISTERED
    client_for(cast.district_admin).post(reverse("child_action", args=[child.pk, "confirm_exit"]))
    child.refresh_from_db()
    assert child.status == ChildStatus.EXITED
    # An exited file is read-only.
    response = client_for(cast.director_a).post(reverse("child_update", args=[child.pk]), form_data(cast))
    assert response.status_code == 200
    assert Child.objects.get(pk=child.pk).name == "张三"


def test_daily_sweep_proposes_exit_at_16(cast: Cast) -> None:
    today = timezone.localdate()
    born = services.birthday(today, -16)
    child = _registered(cast, birth_date=born + timedelta(days=1))
    result = services.daily_reevaluation(today=today + timedelta(days=1))
    child.refresh_from_db()
    assert "1 exits proposed" in result
    assert child.exit_reason == "turned_16" and not child.is_left_behind
    assert WorkItem.objects.filter(kind=ItemKind.PROPOSED_EXIT, owner_organisation=cast.civil_affairs).exists()


@pytest.mark.parametrize(
    ("query", "found"),
    [("zs", True), ("zhangsan", True), ("Zhang San", True), ("张三", True), ("张", True), ("ls", False)],
)
def test_search_by_name_and_pinyin(cast: Cast, query: str, found: bool) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="张三")
    names = [c.name for c in selectors.children_for(cast.director_a, selectors.ChildFilters(q=query))]
    assert (names == ["张三"]) is found


def test_special_surname_reading(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="单小明")
    assert [c.name for c in selectors.children_for(cast.director_a, selectors.ChildFilters(q="sxm"))] == ["单小明"]


def test_search_by_id_suffix_and_full_id_is_scoped(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5), "457")
    make_child(cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False)
    for query in (number, number[-4:], number[-6:]):
        assert selectors.children_for(cast.director_a, selectors.ChildFilters(q=query)).count() == 1
        assert selectors.children_for(cast.director_b, selectors.ChildFilters(q=query)).count() == 0


def test_list_masks_ids_and_reveal_is_logged(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5), "457")
    child = make_child(cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False)
    client = client_for(cast.director_a)
    assert number not in client.get(reverse("child_list")).content.decode()
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert number not in page and number[-4:] in page
    assert AuditEvent.objects.filter(action="child.view", actor=cast.director_a).exists()
    revealed = client.post(reverse("child_reveal", args=[child.pk])).content.decode()
    assert number in revealed
    assert AuditEvent.objects.filter(action="child.reveal", actor=cast.director_a, object_id=str(child.pk)).exists()


def test_a_disability_certificate_number_is_masked_until_revealed(cast: Cast) -> None:
    # A 残疾人证号 is the child's ID number and two digits: it is as sensitive as the ID number.
    number = id_for(date(2016, 3, 5), "457")
    child = make_child(
        cast.village_a,
        actor=cast.district_admin,
        id_number=number,
        hukou_unregistered=False,
        health="disabled",
        disability_category="physical",
        disability_grade="3",
        disability_certificate=number + "43",
    )
    client = client_for(cast.director_a)
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert number not in page and "********" in page
    # Shown masked in the identity block (the one "show full numbers" redraws) and the history only.
    assert 'data-testid="child-disability-certificate"' in page and page.count(mask(number + "43")) == 2
    revealed = client.post(reverse("child_reveal", args=[child.pk])).content.decode()
    assert number + "43" in revealed
    # The printed sheet and the PDF carry it too, masked unless the full numbers are asked for.
    printed = client.get(reverse("child_print", args=[child.pk])).content.decode()
    assert mask(number + "43") in printed and number not in printed
    full = client.get(reverse("child_print", args=[child.pk]), {"full": "1"}).content.decode()
    assert number + "43" in full and f"{reverse('child_pdf', args=[child.pk])}?full=1" in full


def test_ledger_export_masked_safe_and_logged(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5), "457")
    make_child(
        cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False, name="=HYPERLINK(1)"
    )
    client = client_for(cast.supervisor_a)
    response = client.get(reverse("ledger_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    header, row = rows
    assert header[3] and row[3] == "'=HYPERLINK(1)"
    assert number not in [str(v) for v in row]
    assert AuditEvent.objects.filter(action="ledger.export", kind="export", actor=cast.supervisor_a).exists()
    full = load_workbook(io.BytesIO(client.get(reverse("ledger_export"), {"full": "1"}).content)).active
    assert full is not None
    assert number in [str(v) for v in list(full.iter_rows(values_only=True))[1]]


def test_ledger_export_is_named_and_logged_with_its_village_and_filters(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5), "457")
    make_child(cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False)
    client = client_for(cast.supervisor_a)
    response = client.get(reverse("ledger_export"), {"village": cast.village_a.code, "q": number, "full": "1"})
    assert response.status_code == 200
    # The download and its sheet say whose ledger it is.
    assert quote(cast.village_a.name) in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and cast.village_a.name in sheet.title
    # The read log says which village and which filters, filed under the village, and keeps the
    # searched ID number masked like every number in it.
    event = AuditEvent.objects.get(action="ledger.export")
    assert event.region_code == cast.village_a.code
    assert cast.village_a.name in event.detail and mask(number) in event.detail and number not in event.detail
    # Without filters, the file is named after the user's jurisdiction.
    response = client.get(reverse("ledger_export"))
    assert quote(cast.township_a.name) in response["Content-Disposition"]


def test_printing_full_numbers_is_logged_as_such(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.district_admin)
    client = client_for(cast.director_a)
    client.get(reverse("child_print", args=[child.pk]))
    client.get(reverse("child_print", args=[child.pk]), {"full": "1"})
    details = list(AuditEvent.objects.filter(action="child.print").order_by("id").values_list("detail", flat=True))
    assert len(details) == 2 and details[0] == "" and details[1] != ""


def test_roles_without_child_access(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin)
    for user in (cast.school_liaison_a, cast.police_a_officer, cast.leader):
        assert client_for(user).get(reverse("child_list")).status_code == 403


def test_filter_by_school_status_and_flag(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="在校生", school=cast.school_a, school_name="")
    make_child(cast.village_a, actor=cast.district_admin, name="别校生", health="ill", illness="哮喘")
    client = client_for(cast.supervisor_a)
    body = client.get(reverse("child_list"), {"school": cast.school_a.pk}).content.decode()
    assert "在校生" in body and "别校生" not in body
    body = client.get(reverse("child_list"), {"flag": "key_target"}).content.decode()
    assert "别校生" in body and "在校生" not in body
    body = client.get(reverse("child_list"), {"status": "draft", "sort": "-birth_date"}).content.decode()
    assert "在校生" in body and "别校生" in body


def test_filter_by_village_and_area_codes(cast: Cast) -> None:
    from registry import selectors

    make_child(cast.village_a, actor=cast.district_admin, name="甲村童")
    make_child(cast.village_b, actor=cast.district_admin, name="乙村童")
    client = client_for(cast.district_admin)
    body = client.get(reverse("child_list"), {"village": cast.village_a.code}).content.decode()
    assert "甲村童" in body and "乙村童" not in body
    assert f'<option value="{cast.village_a.code}" selected>' in body
    # A village of another township is not in the supervisor's list: the filter is refused and
    # the list stays unfiltered within the jurisdiction.
    body = client_for(cast.supervisor_a).get(reverse("child_list"), {"village": cast.village_b.code}).content.decode()
    assert "甲村童" in body and "乙村童" not in body
    # Read from the code alone: a township code selects its villages; out of scope or malformed, nothing.
    township = selectors.ChildFilters(village=cast.township_a.code)
    assert [c.name for c in selectors.children_for(cast.district_admin, township)] == ["甲村童"]
    for code in (cast.village_b.code, "35030310400x", "3503"):
        assert not selectors.children_for(cast.supervisor_a, selectors.ChildFilters(village=code)).exists()


def test_family_and_guardian_ids_agree_with_birth_date_and_sex(cast: Cast) -> None:
    client = client_for(cast.director_a)
    father_born = date(1985, 6, 1)
    # The guardian's birth date, left blank, is read from the ID number (her age counts for eligibility).
    grandmother = id_for(date(1950, 4, 2), "122")  # 17th digit even: a woman
    response = client.post(
        reverse("child_create"),
        form_data(
            cast,
            **{"family-0-id_number": id_for(father_born, "131"), "guardian-id_number": grandmother},
            **{"guardian-birth_date": ""},
        ),
    )
    assert response.status_code == 302
    child = Child.objects.get()
    assert child.guardian.birth_date == date(1950, 4, 2)
    assert child.family.get(relationship="51").birth_date == father_born

    # A birth date that contradicts the ID, and a father whose ID number is a woman's: each at its field.
    errors = client.post(
        reverse("child_create"),
        form_data(
            cast,
            id_number=id_for(date(2016, 3, 5), "153"),
            **{"family-0-id_number": id_for(father_born, "142"), "guardian-id_number": grandmother},
            **{"family-1-id_number": id_for(date(1987, 1, 1), "162"), "family-1-birth_date": "1987-01-02"},
        ),
    ).content.decode()
    assert "身份证号码显示此人为女性" in errors
    assert "1987-01-01" in errors
    assert "1950-04-02" in errors  # the guardian: typed 1950-01-01, the ID says 1950-04-02
    assert Child.objects.count() == 1


def test_id_pasted_with_spaces_is_accepted(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5), "123")
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    response = client_for(cast.director_a).post(reverse("child_create"), form_data(cast, id_number=spaced))
    assert response.status_code == 302
    assert Child.objects.get().id_number == number


def test_found_elsewhere_offers_a_transfer_request_with_the_typed_values(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5))
    make_child(cast.village_b, actor=cast.district_admin, id_number=number, hukou_unregistered=False)
    body = client_for(cast.director_a).post(reverse("child_create"), form_data(cast, id_number=number)).content.decode()
    assert f'name="id_number" value="{number}"' in body
    assert f'name="to_village" value="{cast.village_a.pk}"' in body


def test_edit_offers_an_empty_family_row_and_records_member_changes(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    page = client_for(cast.director_a).get(reverse("child_update", args=[child.pk])).content.decode()
    assert 'name="family-TOTAL_FORMS" value="3"' in page  # two members and one empty row
    father = child.family.get(relationship="51")
    services.child_save(
        actor=cast.director_a,
        child=child,
        values={},
        members=[services.MemberData(values={"employer": "晋江某鞋厂"}, instance=father)],
        guardian=None,
    )
    event = AuditEvent.objects.filter(action="child.update").latest("at")
    assert any("晋江某鞋厂" in str(pair) for pair in event.changes.values()), event.changes


def test_history_of_a_new_file_lists_only_filled_fields(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a, income_sources=["farming"])
    event = AuditEvent.objects.get(action="child.create", object_id=str(child.pk))
    assert "illness" not in event.changes and "is_boarding" not in event.changes
    assert event.changes["income_sources"] == [None, "务农收入"]


def test_a_child_living_alone_raises_an_urgent_item_for_the_township(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a, living_arrangement="alone")
    item = WorkItem.objects.get(kind=ItemKind.LIVES_ALONE)
    assert item.owner_organisation == cast.township_gov_a
    assert item.due_date <= timezone.localdate() + timedelta(days=1)
    assert "lives_alone" in child.flags
    # Saving again does not raise a second alarm.
    services.child_save(
        actor=cast.director_a, child=child, values={"current_address": "东大村"}, members=[], guardian=None
    )
    assert WorkItem.objects.filter(kind=ItemKind.LIVES_ALONE).count() == 1


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("晋江", "350582000000"),
        ("宝安区", "440306000000"),
        ("广东省深圳市宝安区", "440306000000"),
        ("深圳市", "440300000000"),
    ],
)
def test_place_of_work_is_understood(cast: Cast, typed: str, code: str) -> None:
    from registry.forms import WorkPlaceField

    region = WorkPlaceField(required=False).clean(typed)
    assert region is not None and region.code == code


def test_search_by_the_start_of_an_id(cast: Cast) -> None:
    number = id_for(date(2016, 3, 5), "457")
    make_child(cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False)
    assert selectors.children_for(cast.director_a, selectors.ChildFilters(q=number[:10])).count() == 1


def test_ledger_columns_follow_the_register(cast: Cast) -> None:
    from registry.exports import ledger_headers, ledger_rows

    make_child(
        cast.village_a,
        actor=cast.district_admin,
        name="台账孩子",
        family=[
            {
                "relationship": "51",
                "name": "台账父",
                "status": "away_for_work",
                "left_on": date(2024, 2, 1),
                "phone": "13800001234",
            },
            {"relationship": "52", "name": "台账母", "status": "seriously_ill"},
        ],
    )
    rows = list(ledger_rows(selectors.children_for(cast.district_admin), full=False))
    row = dict(zip(ledger_headers(), rows[0], strict=True))
    assert row["姓名"] == "台账孩子" and row["村（社区）"] == "东大村委会"
    assert row["父亲姓名"] == "台账父" and row["父亲联系电话"] == "138****1234"
    assert row["母亲状况"] == "重病" and row["留守类型"] == "一方外出务工、另一方无监护能力"
    assert row["状态"] == "草稿"


def test_ledger_cells_are_text_and_never_formulas(cast: Cast) -> None:
    from registry.exports import TEXT_COLUMNS, ledger_headers, ledger_xlsx

    number = id_for(date(2016, 3, 5), "457")
    make_child(
        cast.village_a,
        actor=cast.district_admin,
        name="=HYPERLINK(1)",
        id_number=number,
        hukou_unregistered=False,
        family=[
            {"relationship": "51", "name": "+1", "status": "away_for_work", "phone": "13800001234"},
            {"relationship": "52", "name": "@SUM(A1)", "status": "at_home", "phone": "-2"},
        ],
    )
    content, count = ledger_xlsx(selectors.children_for(cast.district_admin), full=True)
    assert count == 1
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet is not None and sheet.freeze_panes == "A2"
    header, row = list(sheet.iter_rows())
    assert [c.value for c in header] == ledger_headers() and all(c.font.b for c in header)
    values = dict(zip(ledger_headers(), row, strict=True))
    # Text a spreadsheet would run gets an apostrophe; nothing is stored as a formula.
    assert values["姓名"].value == "'=HYPERLINK(1)"
    assert values["父亲姓名"].value == "'+1" and values["母亲姓名"].value == "'@SUM(A1)"
    assert values["母亲联系电话"].value == "'-2"
    assert all(cell.data_type != "f" for cell in row)
    # Dates are dates (sortable and filterable as dates), not text.
    born = values["出生日期"]
    assert isinstance(born.value, datetime) and born.value.date() == date(2016, 3, 5)
    # ID numbers and phones stay text, in columns formatted as text; the row number is a number.
    assert values["公民身份号码"].value == number and values["公民身份号码"].data_type == "s"
    assert values["公民身份号码"].number_format == "@"
    assert values["父亲联系电话"].value == "13800001234" and values["父亲联系电话"].number_format == "@"
    assert row[0].value == 1
    for column in TEXT_COLUMNS:
        assert str(header[column].value).endswith(("身份号码", "身份证号", "联系电话"))
        letter = get_column_letter(column + 1)
        assert sheet.column_dimensions[letter].number_format == "@"  # also for what someone types later
        assert row[column].value is None or row[column].number_format == "@"


def test_clearing_the_entrustment_scan(cast: Cast) -> None:
    from django.core.files.base import ContentFile

    child = make_child(cast.village_a, actor=cast.district_admin)
    child.entrustment_scan.save("confirm.pdf", ContentFile(b"%PDF-1.4"), save=True)
    # The form's "clear" box gives False for the file.
    services.child_save(
        actor=cast.district_admin, values={"entrustment_scan": False}, members=[], guardian=None, child=child
    )
    assert not Child.objects.get(pk=child.pk).entrustment_scan


def test_an_edit_that_keeps_the_identity_does_not_ask_about_duplicates_again(cast: Cast) -> None:
    from tests.test_change_review import edit_data

    make_child(cast.village_b, actor=cast.district_admin, name="王小明", birth_date=date(2016, 3, 5))
    client = client_for(cast.director_a)
    data = form_data(cast, not_duplicate="1")
    assert client.post(reverse("child_create"), data).status_code == 302
    child = Child.objects.get(region_code=cast.village_a.code)
    # Only the schooling changes: saved at once, no question.
    response = client.post(reverse("child_update", args=[child.pk]), edit_data(child, grade="五年级"))
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.grade == "五年级"
    # The birth date changes (to another child's, say): the question comes back.
    make_child(cast.village_b, actor=cast.district_admin, name="王小明", birth_date=date(2016, 4, 6))
    response = client.post(
        reverse("child_update", args=[child.pk]),
        edit_data(child, birth_date="2016-04-06", id_number="", hukou_unregistered="on"),
    )
    assert response.status_code == 200 and response.context["duplicates"].needs_confirmation
