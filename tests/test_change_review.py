"""A village's change to a registered file waits for the township: accept, return, withdraw."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import Cast, client_for
from core.models import AuditEvent
from registry import changes, services
from registry.codes import ChildStatus
from registry.models import ChangeStatus, Child, ChildChange
from tests.factories import make_registered_child
from worklist.models import ItemKind, WorkItem


def edit_data(child: Child, **overrides: str) -> dict[str, Any]:
    """The edit form of ``child`` posted back as the file holds it, with ``overrides``."""
    data: dict[str, Any] = {
        "name": child.name,
        "gender": child.gender,
        "ethnicity": child.ethnicity,
        "birth_date": child.birth_date.isoformat(),
        "id_number": child.id_number,
        "hukou_village": str(child.hukou_village_id),
        "hukou_nature": child.hukou_nature,
        "current_address": child.current_address,
        "health": child.health,
        "schooling": child.schooling,
        "school_name": child.school_name,
        "grade": child.grade,
        "living_arrangement": child.living_arrangement,
        "guardianship_type": child.guardianship_type,
        "guardianship_assessment": child.guardianship_assessment,
    }
    if child.hukou_unregistered:
        data["hukou_unregistered"] = "on"
    members = list(child.family.order_by("pk"))
    data.update(
        {
            "family-TOTAL_FORMS": str(len(members) + 1),
            "family-INITIAL_FORMS": str(len(members)),
            "family-MIN_NUM_FORMS": "0",
            "family-MAX_NUM_FORMS": "1000",
        }
    )
    for i, member in enumerate(members):
        data.update(
            {
                f"family-{i}-id": str(member.pk),
                f"family-{i}-relationship": member.relationship,
                f"family-{i}-name": member.name,
                f"family-{i}-status": member.status,
                f"family-{i}-work_place": member.work_region.name if member.work_region else "",
                f"family-{i}-left_on": member.left_on.isoformat() if member.left_on else "",
            }
        )
    data[f"family-{len(members)}-status"] = "at_home"
    data.update(overrides)
    return data


def propose(cast: Cast, child: Child, **overrides: Any) -> Any:
    return client_for(cast.director_a).post(reverse("child_update", args=[child.pk]), edit_data(child, **overrides))


def open_items(child: Child, kind: str) -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(target_id=str(child.pk), target_type="registry.child", kind=kind, status="open")
    )


def test_village_change_is_held_until_the_township_accepts_it(cast: Cast) -> None:
    child = make_registered_child(cast)
    response = propose(cast, child, name="张三丰", **{"family-0-status": "at_home", "family-0-work_place": ""})
    assert response.status_code == 302, response.context and response.context["form"].errors

    # Nothing is applied yet.
    stored = Child.objects.get(pk=child.pk)
    assert stored.name == "张三" and stored.status == ChildStatus.REGISTERED
    assert stored.family.get(relationship="51").status == "away_for_work"
    change = ChildChange.objects.get(child=child)
    assert change.status == ChangeStatus.PENDING and change.proposed_by == cast.director_a
    assert change.values["name"] == "张三丰"
    assert change.changes["name"] == ["张三", "张三丰"]
    assert any(key.endswith("外出情况") or "·" in key for key in change.changes if key != "name")
    (item,) = open_items(child, ItemKind.REVIEW_CHILD)
    assert item.owner_organisation == cast.township_gov_a and "张三" in item.title
    assert AuditEvent.objects.filter(action="child.propose_change", actor=cast.director_a).exists()

    # The township sees the change field by field, old → new, and can accept it.
    page = client_for(cast.supervisor_a).get(reverse("child_detail", args=[child.pk])).content.decode()
    assert 'data-testid="pending-change"' in page and 'data-testid="accept-change"' in page
    assert "张三丰" in page and cast.director_a.name in page
    # The village sees that its change awaits review, and edits the change, not the file.
    village = client_for(cast.director_a)
    page = village.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert 'data-testid="pending-change"' in page and 'data-testid="accept-change"' not in page
    form_page = village.get(reverse("child_update", args=[child.pk]))
    assert form_page.context["prefilled"] and form_page.context["form"]["name"].value() == "张三丰"
    father = next(f for f in form_page.context["family"].forms if f.instance.relationship == "51")
    assert father["status"].value() == "at_home"

    # Accepting writes it through the path of a direct save; the timeline names both people.
    response = client_for(cast.supervisor_a).post(reverse("child_action", args=[child.pk, "approve"]))
    assert response.status_code == 302
    stored = Child.objects.get(pk=child.pk)
    assert stored.name == "张三丰" and stored.family.get(relationship="51").status == "at_home"
    # The father is home: the child is no longer left behind, re-evaluated on acceptance.
    assert not stored.is_left_behind
    assert ChildChange.objects.get(pk=change.pk).status == ChangeStatus.ACCEPTED
    assert not open_items(child, ItemKind.REVIEW_CHILD)
    event = AuditEvent.objects.get(action="child.accept_change", object_id=str(child.pk))
    assert event.actor == cast.supervisor_a and cast.director_a.name in event.detail
    assert event.changes["name"] == ["张三", "张三丰"]
    page = client_for(cast.district_admin).get(reverse("child_detail", args=[child.pk])).content.decode()
    assert 'data-testid="pending-change"' not in page
    timeline = page[page.index('data-testid="timeline"') :]
    assert cast.supervisor_a.name in timeline and cast.director_a.name in timeline
    assert "张三丰" in timeline


def test_returned_change_leaves_the_file_and_shows_the_comment(cast: Cast) -> None:
    child = make_registered_child(cast)
    propose(cast, child, grade="五年级")
    township = client_for(cast.supervisor_a)
    response = township.post(reverse("child_action", args=[child.pk, "return"]), {"comment": "请附上学籍证明"})
    assert response.status_code == 302

    assert Child.objects.get(pk=child.pk).grade == "四年级"
    change = ChildChange.objects.get(child=child)
    assert change.status == ChangeStatus.RETURNED and change.review_comment == "请附上学籍证明"
    assert change.decided_by == cast.supervisor_a
    assert not open_items(child, ItemKind.REVIEW_CHILD)
    (fix,) = open_items(child, ItemKind.FIX_RETURNED)
    assert fix.owner_organisation == cast.committee_a and fix.note == "请附上学籍证明"

    village = client_for(cast.director_a)
    page = village.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert "请附上学籍证明" in page and "五年级" in page and 'data-testid="withdraw-change"' in page
    assert "请附上学籍证明" in village.get(reverse("todo_list")).content.decode()
    form_page = village.get(reverse("child_update", args=[child.pk]))
    assert form_page.context["form"]["grade"].value() == "五年级"
    assert "请附上学籍证明" in form_page.content.decode()

    # Corrected and sent again: the same proposal awaits review again.
    propose(cast, child, grade="五年级", school_name="江口中心小学（本部）")
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING and change.values["school_name"] == "江口中心小学（本部）"
    assert not open_items(child, ItemKind.FIX_RETURNED)
    assert len(open_items(child, ItemKind.REVIEW_CHILD)) == 1
    assert Child.objects.get(pk=child.pk).grade == "四年级"

    # Withdrawn: nothing changes, nothing is left to do.
    village.post(reverse("child_action", args=[child.pk, "withdraw_change"]))
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN
    assert not open_items(child, ItemKind.REVIEW_CHILD) and not open_items(child, ItemKind.FIX_RETURNED)
    assert Child.objects.get(pk=child.pk).grade == "四年级"


def test_editing_again_replaces_the_pending_change(cast: Cast) -> None:
    child = make_registered_child(cast)
    propose(cast, child, grade="五年级")
    propose(cast, child, grade="六年级")
    change = ChildChange.objects.get(child=child)
    assert change.values["grade"] == "六年级" and change.changes["grade"] == ["四年级", "六年级"]
    assert len(open_items(child, ItemKind.REVIEW_CHILD)) == 1
    assert AuditEvent.objects.filter(action="child.propose_change").count() == 2


def test_a_change_that_changes_nothing_is_not_stored(cast: Cast) -> None:
    # Saved as it was: back to the dossier with a note, not an error to correct.
    child = make_registered_child(cast)
    response = client_for(cast.director_a).post(reverse("child_update", args=[child.pk]), edit_data(child), follow=True)
    assert response.redirect_chain[-1][0] == reverse("child_detail", args=[child.pk])
    body = response.content.decode()
    assert "未作任何修改，无需提交审核。" in body and 'data-testid="error-summary"' not in body
    assert not ChildChange.objects.exists() and not open_items(child, ItemKind.REVIEW_CHILD)


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("id_number", "350303201603051230", "id_number"),  # wrong check character
        ("birth_date", "2099-01-01", "birth_date"),  # in the future
        ("name", "", "name"),
        ("schooling", "junior", None),  # no school given: checked by the form
    ],
)
def test_bad_input_stores_nothing(cast: Cast, field: str, value: str, error_field: str | None) -> None:
    child = make_registered_child(cast)
    overrides = {field: value, "school_name": ""} if field == "schooling" else {field: value}
    if field == "id_number":
        overrides["hukou_unregistered"] = ""
    response = propose(cast, child, **overrides)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors.get(error_field) if error_field else errors, errors
    assert not ChildChange.objects.exists()
    assert not open_items(child, ItemKind.REVIEW_CHILD)
    assert not AuditEvent.objects.filter(action="child.propose_change").exists()


def test_service_checks_a_change_like_a_direct_save(cast: Cast) -> None:
    """The model's own checks run in the rehearsed save, and nothing of it is kept."""
    child = make_registered_child(cast)
    members = [services.MemberData(values={"relationship": "71", "name": "张哥", "status": "at_home"})]
    with pytest.raises(ValidationError) as raised:
        services.child_save(
            actor=cast.director_a, values={"grade": "五年级"}, members=members, guardian={"name": "王奶奶"}, child=child
        )
    assert "relationship" in raised.value.message_dict
    assert not ChildChange.objects.exists()
    assert child.family.count() == 2 and Child.objects.get(pk=child.pk).grade == "四年级"


def test_a_change_saying_the_child_lives_alone_raises_the_report_at_once(cast: Cast) -> None:
    child = make_registered_child(cast)
    propose(cast, child, living_arrangement="alone")
    stored = Child.objects.get(pk=child.pk)
    assert stored.living_arrangement != "alone" and "lives_alone" not in stored.flags
    (report,) = open_items(child, ItemKind.LIVES_ALONE)
    assert report.owner_organisation == cast.township_gov_a
    assert report.due_date == timezone.localdate() + timedelta(days=1)
    # Sending the change again or accepting it raises no second report.
    propose(cast, child, living_arrangement="alone", grade="五年级")
    services.child_approve(actor=cast.supervisor_a, child=child)
    assert "lives_alone" in Child.objects.get(pk=child.pk).flags
    assert WorkItem.objects.filter(kind=ItemKind.LIVES_ALONE, target_id=str(child.pk)).count() == 1


def test_another_township_gets_404(cast: Cast) -> None:
    child = make_registered_child(cast)
    propose(cast, child, grade="五年级", entrustment_scan=SimpleUploadedFile("c.pdf", b"%PDF-1.4"))
    outsider = client_for(cast.supervisor_b)
    for name in ("child_detail", "child_update", "child_change_scan"):
        assert outsider.get(reverse(name, args=[child.pk])).status_code == 404, name
    for action in ("approve", "return", "withdraw_change"):
        response = outsider.post(reverse("child_action", args=[child.pk, action]), {"comment": "x"})
        assert response.status_code == 404, action
    with pytest.raises(PermissionDenied):
        changes.change_accept(actor=cast.supervisor_b, child=child)
    assert ChildChange.objects.get(child=child).status == ChangeStatus.PENDING
    assert not ChildChange.objects.for_user(cast.supervisor_b).exists()
    assert client_for(cast.supervisor_a).get(reverse("child_change_scan", args=[child.pk])).status_code == 200


def test_new_entrustment_scan_waits_with_the_change(cast: Cast) -> None:
    child = make_registered_child(cast)
    propose(cast, child, entrustment_scan=SimpleUploadedFile("confirm.pdf", b"%PDF-1.4 new"))
    assert not Child.objects.get(pk=child.pk).entrustment_scan
    change = ChildChange.objects.get(child=child)
    assert change.entrustment_scan and change.values["entrustment_scan"] == change.entrustment_scan.name
    # Sent again without a new upload, the change keeps the scan it carried.
    propose(cast, child, grade="五年级")
    change.refresh_from_db()
    assert change.entrustment_scan and change.values["entrustment_scan"] == change.entrustment_scan.name
    services.child_approve(actor=cast.supervisor_a, child=child)
    stored = Child.objects.get(pk=child.pk)
    assert stored.entrustment_scan.name == change.entrustment_scan.name and stored.grade == "五年级"
    assert stored.entrustment_scan.read() == b"%PDF-1.4 new"


def test_a_change_made_on_a_file_changed_since_is_not_accepted(cast: Cast) -> None:
    child = make_registered_child(cast)
    propose(cast, child, grade="五年级")
    # The township's own edit applies at once (and makes the village's change stale).
    services.child_save(
        actor=cast.supervisor_a,
        values={"current_address": "江口镇东大村 12 号"},
        members=[],
        guardian=None,
        child=child,
    )
    assert Child.objects.get(pk=child.pk).current_address == "江口镇东大村 12 号"
    township = client_for(cast.supervisor_a)
    page = township.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert 'data-testid="change-stale"' in page and 'data-testid="accept-change"' not in page
    response = township.post(reverse("child_action", args=[child.pk, "approve"]), follow=True)
    assert "不能按原样接受" in response.content.decode()
    stored = Child.objects.get(pk=child.pk)
    assert stored.grade == "四年级" and stored.current_address == "江口镇东大村 12 号"
    assert ChildChange.objects.get(child=child).status == ChangeStatus.PENDING
    # The village redoes it on the file as it is now: the form is not filled with the old change.
    form_page = client_for(cast.director_a).get(reverse("child_update", args=[child.pk]))
    assert not form_page.context["prefilled"] and form_page.context["form"]["grade"].value() == "四年级"
    propose(cast, Child.objects.get(pk=child.pk), grade="五年级")
    services.child_approve(actor=cast.supervisor_a, child=child)
    stored = Child.objects.get(pk=child.pk)
    assert stored.grade == "五年级" and stored.current_address == "江口镇东大村 12 号"


def test_township_and_district_edits_apply_directly(cast: Cast) -> None:
    child = make_registered_child(cast)
    for user, grade in ((cast.supervisor_a, "五年级"), (cast.district_admin, "六年级")):
        response = client_for(user).post(reverse("child_update", args=[child.pk]), edit_data(child, grade=grade))
        assert response.status_code == 302
        assert Child.objects.get(pk=child.pk).grade == grade
    assert not ChildChange.objects.exists() and not open_items(child, ItemKind.REVIEW_CHILD)


def test_drafts_are_still_edited_directly_by_the_village(cast: Cast) -> None:
    from tests.factories import make_child

    child = make_child(cast.village_a, actor=cast.director_a)
    services.child_save(actor=cast.director_a, values={"grade": "五年级"}, members=[], guardian=None, child=child)
    assert Child.objects.get(pk=child.pk).grade == "五年级" and not ChildChange.objects.exists()


def test_an_exit_drops_the_open_change(cast: Cast) -> None:
    child = make_registered_child(cast)
    propose(cast, child, grade="五年级")
    services.child_propose_exit(
        actor=cast.director_a, child=child, reason="parent_returned", exit_date=timezone.localdate()
    )
    services.child_confirm_exit(actor=cast.district_admin, child=child)
    assert ChildChange.objects.get(child=child).status == ChangeStatus.WITHDRAWN
    assert not open_items(child, ItemKind.REVIEW_CHILD)


def test_family_members_removed_and_added_by_a_change(cast: Cast) -> None:
    child = make_registered_child(cast)
    mother = child.family.get(relationship="52")
    overrides = {
        "family-1-DELETE": "on",
        "family-2-relationship": "62",
        "family-2-name": "张奶奶",
        "family-2-status": "at_home",
    }
    response = propose(cast, child, **overrides)
    assert response.status_code == 302, response.context and response.context["family"].errors
    change = ChildChange.objects.get(child=child)
    assert {"id": mother.pk, "delete": True} == {k: v for k, v in change.members[1].items() if k != "values"}
    assert child.family.count() == 2

    # The form opens with the mother ticked for removal and the grandmother as a new row.
    form_page = client_for(cast.director_a).get(reverse("child_update", args=[child.pk]))
    forms = form_page.context["family"].forms
    ticked = [f for f in forms if f.instance.pk == mother.pk]
    assert ticked and ticked[0]["DELETE"].value() is True
    assert any(f["name"].value() == "张奶奶" and not f.instance.pk for f in forms)
    father = next(f for f in forms if f.instance.relationship == "51")
    assert father["work_place"].value() == "福建省泉州市晋江市"

    services.child_approve(actor=cast.supervisor_a, child=child)
    assert sorted(child.family.values_list("name", flat=True)) == ["张奶奶", "张父"]
    event = AuditEvent.objects.get(action="child.accept_change")
    assert any("李母" in key for key in event.changes) and any("张奶奶" in key for key in event.changes)


def test_an_entrusted_guardian_added_by_a_change(cast: Cast) -> None:
    child = make_registered_child(cast)
    guardian = {"guardian-name": "张奶奶", "guardian-relationship": "62", "guardian-birth_date": "1950-01-01"}
    assert propose(cast, child, **guardian).status_code == 302
    assert not hasattr(Child.objects.get(pk=child.pk), "guardian")
    form_page = client_for(cast.director_a).get(reverse("child_update", args=[child.pk]))
    assert form_page.context["guardian"]["name"].value() == "张奶奶"
    services.child_approve(actor=cast.supervisor_a, child=child)
    stored = Child.objects.get(pk=child.pk)
    assert stored.guardian.name == "张奶奶" and stored.is_key_target  # the guardian is over 70


def test_a_registered_child_no_longer_left_behind_is_checked_by_the_village(cast: Cast) -> None:
    child = make_registered_child(cast)
    assert child.is_left_behind
    client = client_for(cast.supervisor_a)  # the township's own edit applies at once
    response = client.post(reverse("child_update", args=[child.pk]), edit_data(child, **{"family-1-status": "at_home"}))
    assert response.status_code == 302
    child.refresh_from_db()
    assert not child.is_left_behind and child.status == ChildStatus.REGISTERED
    items = open_items(child, ItemKind.CHECK_EXIT)
    assert len(items) == 1 and items[0].owner_role == "village_director" and "已不再符合留守儿童条件" in items[0].title
    # The mother's earlier place of work is no longer shown as where she works.
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert "曾在" in page
    # The mother leaves again: the check is no longer needed.
    client.post(reverse("child_update", args=[child.pk]), edit_data(child, **{"family-1-status": "away_for_work"}))
    assert open_items(child, ItemKind.CHECK_EXIT) == []


def test_proposing_the_exit_closes_the_village_check(cast: Cast) -> None:
    child = make_registered_child(cast)
    client_for(cast.supervisor_a).post(
        reverse("child_update", args=[child.pk]), edit_data(child, **{"family-1-status": "at_home"})
    )
    assert len(open_items(child, ItemKind.CHECK_EXIT)) == 1
    services.child_propose_exit(
        actor=cast.director_a, child=child, reason="parent_returned", exit_date=timezone.localdate()
    )
    assert open_items(child, ItemKind.CHECK_EXIT) == []


def test_a_reviewer_who_reveals_the_numbers_sees_those_of_the_change(cast: Cast) -> None:
    child = make_registered_child(cast)
    guardian_phone = "13912345678"
    data = edit_data(child, **{"family-0-phone": "13800001111"})
    data.update({"guardian-name": "王奶奶", "guardian-relationship": "62", "guardian-phone": guardian_phone})
    response = client_for(cast.director_a).post(reverse("child_update", args=[child.pk]), data)
    assert response.status_code == 302
    client = client_for(cast.supervisor_a)
    page = client.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert guardian_phone not in page and "13800001111" not in page  # masked until asked
    revealed = client.post(reverse("child_reveal", args=[child.pk])).content.decode()
    assert 'data-testid="change-numbers"' in revealed
    assert guardian_phone in revealed and "13800001111" in revealed
    assert AuditEvent.objects.filter(action="child.reveal", object_id=str(child.pk)).exists()


def test_a_revealing_reviewer_sees_a_proposed_disability_certificate_in_full(cast: Cast) -> None:
    child = make_registered_child(cast)
    certificate = "35030320160305457X43"
    data = edit_data(
        child,
        health="disabled",
        disability_category="physical",
        disability_grade="3",
        disability_certificate=certificate,
    )
    assert client_for(cast.director_a).post(reverse("child_update", args=[child.pk]), data).status_code == 302
    client = client_for(cast.supervisor_a)
    assert certificate not in client.get(reverse("child_detail", args=[child.pk])).content.decode()
    assert certificate in client.post(reverse("child_reveal", args=[child.pk])).content.decode()
