"""Transfers, duplicates at entry and search, as users met them in a browser (QA of the registry)."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from conftest import Cast, client_for
from tests.factories import make_child


def test_the_page_head_shows_no_template_comment(cast: Cast) -> None:
    # A {# #} comment spans one line only; a longer one was printed at the top of every page.
    body = client_for(cast.director_a).get(reverse("child_list")).content.decode()
    assert "{#" not in body and "#}" not in body


def test_search_by_id_number_pasted_with_full_width_digits_or_odd_spaces(cast: Cast) -> None:
    from registry.selectors import ChildFilters, children_for

    number = "35030320160305200X"  # sequence 200: an even digit, a girl
    child = make_child(
        cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False, gender="2"
    )
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number.lower())
    for query in (
        full_width,
        "350303\u00a020160305200x",
        "３５０３０３\u3000２０１６０３０５２００ｘ",
        "200x",
        "５２００Ｘ",
    ):
        assert list(children_for(cast.supervisor_a, ChildFilters(q=query))) == [child], query


def _number(first17: str) -> str:
    from core.idnumber import check_character

    return first17 + check_character(first17)


def test_an_id_number_one_slip_away_is_a_probable_duplicate_wherever_the_slip_is(cast: Cast) -> None:
    from registry.selectors import find_duplicates

    existing = make_child(
        cast.village_a,
        actor=cast.district_admin,
        name="余演轩",
        gender="2",
        birth_date=date(2023, 2, 12),
        id_number=_number("35030320230212946"),
        hukou_unregistered=False,
    )
    typed = {
        "two digits of the day swapped": ("35030320230221946", date(2023, 2, 21)),
        "one digit of the day wrong": ("35030320230213946", date(2023, 2, 13)),
        "two digits of the sequence swapped": ("35030320230212496", date(2023, 2, 12)),
        "one digit of the county wrong": ("35030420230212946", date(2023, 2, 12)),
    }
    for slip, (first17, born) in typed.items():
        report = find_duplicates(
            cast.director_a, name="王小红", birth_date=born, id_number=_number(first17), parent_ids=[]
        )
        assert report.probable == [(existing, "id_one_digit_apart")], slip
    # Two slips are another child; and nothing is found outside the user's jurisdiction.
    far = _number("35030320230221496")
    assert not find_duplicates(cast.director_a, name="王小红", birth_date=None, id_number=far, parent_ids=[]).probable
    near = _number("35030320230221946")
    assert not find_duplicates(cast.director_b, name="王小红", birth_date=None, id_number=near, parent_ids=[]).probable


def test_a_request_shows_the_asking_village_only_the_number_it_typed_and_the_township(cast: Cast) -> None:
    from core.idnumber import mask
    from registry.models import ChildTransfer

    number = _number("35030320160305246")
    child = make_child(
        cast.village_a, actor=cast.district_admin, name="甲村孩子", id_number=number, hukou_unregistered=False
    )
    asker = client_for(cast.director_b)
    # A request needs nothing but an ID number: it must not turn the number into a name.
    asker.post(reverse("transfer_request"), {"id_number": number, "to_village": cast.village_b.pk, "reason": "x"})
    transfer = ChildTransfer.objects.get()
    for url in (reverse("transfer_detail", args=[transfer.pk]), reverse("transfer_list")):
        page = asker.get(url).content.decode()
        assert mask(number) in page and cast.township_a.full_name in page, url
        assert "甲村孩子" not in page and cast.village_a.name not in page and "2016-03-05" not in page, url
    # The holding township sees whose file is asked for, and from which village.
    page = client_for(cast.supervisor_a).get(reverse("transfer_detail", args=[transfer.pk])).content.decode()
    assert "甲村孩子" in page and cast.village_a.full_name in page
    # Refused, the asking village still learns nothing; accepted, it holds the file.
    client_for(cast.supervisor_a).post(
        reverse("transfer_detail", args=[transfer.pk]), {"decision": "reject", "note": "仍在本村"}
    )
    assert "甲村孩子" not in asker.get(reverse("transfer_detail", args=[transfer.pk])).content.decode()
    asker.post(reverse("transfer_request"), {"id_number": number, "to_village": cast.village_b.pk, "reason": "y"})
    again = ChildTransfer.objects.get(status="pending")
    client_for(cast.supervisor_a).post(reverse("transfer_detail", args=[again.pk]), {"decision": "accept"})
    child.refresh_from_db()
    assert child.hukou_village == cast.village_b
    assert "甲村孩子" in asker.get(reverse("transfer_detail", args=[again.pk])).content.decode()


def test_an_accepted_transfer_still_says_where_the_file_came_from(cast: Cast) -> None:
    from registry import services

    child = make_child(cast.village_a, actor=cast.director_a, name="乙村孩子")
    transfer = services.transfer_send(actor=cast.director_a, child=child, to_village=cast.village_b, reason="搬迁")
    services.transfer_decide(actor=cast.director_b, transfer=transfer, accept=True)
    for user in (cast.director_a, cast.director_b):
        page = client_for(user).get(reverse("transfer_detail", args=[transfer.pk])).content.decode()
        source = page.split("转出地", 1)[1].split("</dd>", 1)[0]
        assert cast.village_a.full_name in source, user
        # The sender no longer holds the file; it is not told that the file "stays" with it.
        assert "档案仍由原乡镇" not in page


def test_a_decided_transfer_cannot_be_decided_again(cast: Cast) -> None:
    import pytest
    from django.core.exceptions import ValidationError

    from core.models import AuditEvent
    from registry import services
    from registry.models import ChildTransfer

    child = make_child(cast.village_a, actor=cast.director_a)
    sent = services.transfer_send(actor=cast.director_a, child=child, to_village=cast.village_b, reason="搬迁")
    # Two receivers open the page while it is pending; both press a button.
    first, second = ChildTransfer.objects.get(pk=sent.pk), ChildTransfer.objects.get(pk=sent.pk)
    services.transfer_decide(actor=cast.director_b, transfer=first, accept=True)
    with pytest.raises(ValidationError):
        services.transfer_decide(actor=cast.supervisor_b, transfer=second, accept=False, note="不同意")
    assert ChildTransfer.objects.get().status == "accepted"
    assert AuditEvent.objects.filter(action__in=["child.transfer_accept", "child.transfer_reject"]).count() == 1


def test_the_sender_can_withdraw_a_pending_transfer_and_only_the_sender(cast: Cast) -> None:
    from core.models import AuditEvent
    from registry import services
    from registry.models import ChildTransfer
    from worklist.models import ItemKind, WorkItem

    child = make_child(cast.village_a, actor=cast.director_a)
    transfer = services.transfer_send(actor=cast.director_a, child=child, to_village=cast.village_b, reason="选错村")
    url = reverse("transfer_detail", args=[transfer.pk])
    receiver = client_for(cast.director_b)
    assert 'data-testid="transfer-withdraw"' not in receiver.get(url).content.decode()
    receiver.post(url, {"decision": "withdraw"})
    assert ChildTransfer.objects.get().status == "pending"
    sender = client_for(cast.director_a)
    assert 'data-testid="transfer-withdraw"' in sender.get(url).content.decode()
    assert sender.post(url, {"decision": "withdraw"}).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == "withdrawn"
    assert not WorkItem.objects.filter(kind=ItemKind.DECIDE_TRANSFER, status="open").exists()
    assert AuditEvent.objects.filter(action="child.transfer_withdraw", object_id=str(child.pk)).exists()
    # The receiver can no longer accept it; the file can be sent again, to the right village.
    receiver.post(url, {"decision": "accept"})
    child.refresh_from_db()
    assert child.hukou_village == cast.village_a
    services.transfer_send(actor=cast.director_a, child=child, to_village=cast.village_b, reason="搬迁")
    # Out of scope it does not exist.
    assert client_for(cast.outsider).post(url, {"decision": "withdraw"}).status_code == 404


def test_the_side_that_started_a_transfer_learns_the_decision_in_its_to_do_list(cast: Cast) -> None:
    from core.idnumber import mask
    from registry import services
    from registry.models import ChildTransfer
    from worklist.models import ItemKind, WorkItem
    from worklist.selectors import my_items

    def notices(user: object) -> list[str]:
        return [i.title for i in my_items(user) if i.kind == ItemKind.TRANSFER_DECIDED]

    # Sent and refused: the sender is told, with the reason, and closes the item once seen.
    child = make_child(cast.village_a, actor=cast.director_a, name="乙村孩子")
    sent = services.transfer_send(actor=cast.director_a, child=child, to_village=cast.village_b, reason="搬迁")
    services.transfer_decide(actor=cast.director_b, transfer=sent, accept=False, note="不在本村居住")
    assert notices(cast.director_a) == ["乙村孩子的档案转移被拒绝：不在本村居住"]
    assert notices(cast.director_b) == []
    url = reverse("transfer_detail", args=[sent.pk])
    receiver = client_for(cast.director_b)
    assert 'data-testid="transfer-acknowledge"' not in receiver.get(url).content.decode()
    receiver.post(url, {"decision": "acknowledge"})
    assert notices(cast.director_a) != []
    sender = client_for(cast.director_a)
    assert 'data-testid="transfer-acknowledge"' in sender.get(url).content.decode()
    assert sender.post(url, {"decision": "acknowledge"}).status_code == 302
    assert notices(cast.director_a) == []
    assert client_for(cast.outsider).post(url, {"decision": "acknowledge"}).status_code == 404

    # Sent and accepted: the file has gone where it was sent; nothing to tell.
    sent = services.transfer_send(actor=cast.director_a, child=child, to_village=cast.village_b, reason="搬迁")
    services.transfer_decide(actor=cast.director_b, transfer=sent, accept=True)
    assert notices(cast.director_a) == []

    # Asked for and refused: the asking village reads the number it typed, masked, never the name.
    number = _number("35030320160305246")
    other = make_child(
        cast.village_a, actor=cast.district_admin, name="甲村孩子", id_number=number, hukou_unregistered=False
    )
    asked = services.transfer_request(actor=cast.director_b, id_number=number, to_village=cast.village_b, reason="x")
    services.transfer_decide(actor=cast.supervisor_a, transfer=asked, accept=False, note="仍在本村")
    assert notices(cast.director_b) == [f"调取档案 {mask(number)} 的申请被拒绝：仍在本村"]
    assert "甲村孩子" not in " ".join(
        WorkItem.objects.filter(kind=ItemKind.TRANSFER_DECIDED).values_list("title", flat=True)
    )
    # Asked for and accepted: the file is the asking village's now, and it is told so.
    asked = services.transfer_request(actor=cast.director_b, id_number=number, to_village=cast.village_b, reason="y")
    services.transfer_decide(actor=cast.supervisor_a, transfer=asked, accept=True)
    assert f"{other.name}的档案已转入本村" in notices(cast.director_b)
    assert ChildTransfer.objects.filter(status="accepted").count() == 2


def test_a_transfer_without_a_reason_says_so_and_the_decision_reads_in_full(cast: Cast) -> None:
    from registry import services
    from registry.models import ChildTransfer

    number = _number("35030320160305246")
    make_child(cast.village_a, actor=cast.district_admin, name="甲村孩子", id_number=number, hukou_unregistered=False)
    asker = client_for(cast.director_b)
    response = asker.post(
        reverse("transfer_request"),
        {"id_number": number, "to_village": cast.village_b.pk, "reason": "   "},
        follow=True,
    )
    assert "请说明转移的原因。" in response.content.decode()
    assert not ChildTransfer.objects.exists()
    transfer = services.transfer_request(actor=cast.director_b, id_number=number, to_village=cast.village_b, reason="x")
    holder = client_for(cast.supervisor_a)
    url = reverse("transfer_detail", args=[transfer.pk])
    # The holder is told its note goes to a village that may not see the file.
    assert 'data-testid="note-goes-to-asker"' in holder.get(url).content.decode()
    holder.post(url, {"decision": "reject", "note": "仍在本村"})
    page = asker.get(url).content.decode()
    assert 'data-testid="transfer-decision-note">仍在本村<' in page and cast.supervisor_a.display_name in page
    response = asker.post(url, {"decision": "acknowledge"}, follow=True)
    assert "待办事项已关闭。" in response.content.decode()


def test_a_village_can_ask_for_a_file_from_its_own_page_and_a_refused_request_keeps_what_was_typed(
    cast: Cast,
) -> None:
    from registry.models import ChildTransfer

    number = _number("35030320160305262")
    make_child(cast.village_a, actor=cast.district_admin, name="甲村孩子", id_number=number, hukou_unregistered=False)
    asker = client_for(cast.director_b)
    # The transfers page offers the request; its form starts on the director's own village.
    assert 'data-testid="transfer-request-link"' in asker.get(reverse("transfer_list")).content.decode()
    page = asker.get(reverse("transfer_request")).content.decode()
    assert f'<option value="{cast.village_b.pk}" selected>' in page
    url = reverse("transfer_request")
    # An unknown number: the page comes back with the reason and what was typed.
    unknown = _number("35030320160305271")
    response = asker.post(url, {"id_number": unknown, "to_village": cast.village_b.pk, "reason": "三月迁入本村"})
    body = response.content.decode()
    assert response.status_code == 200 and "没有找到该身份证号对应的档案。" in body
    assert f'value="{unknown}"' in body and "三月迁入本村" in body
    # No village chosen (the registration form's box sends the village typed there, maybe none).
    response = asker.post(url, {"id_number": number, "to_village": "", "reason": "三月迁入本村"})
    body = response.content.decode()
    assert "请选择档案转入的村（社区）。" in body and f'value="{number}"' in body
    assert not ChildTransfer.objects.exists()
    # A file already in one's own jurisdiction cannot be asked for.
    own = client_for(cast.director_a).post(url, {"id_number": number, "to_village": cast.village_a.pk, "reason": "x"})
    assert "该档案已在您的辖区内。" in own.content.decode()
    response = asker.post(url, {"id_number": number, "to_village": cast.village_b.pk, "reason": "三月迁入本村"})
    transfer = ChildTransfer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("transfer_detail", args=[transfer.pk])


def test_villages_and_townships_that_register_children_are_offered_the_request(cast: Cast) -> None:
    from accounts.permissions import Perm, has_perm

    offered = {}
    for user in (cast.district_admin, cast.supervisor_a, cast.director_a, cast.outsider, cast.school_liaison_a):
        page = client_for(user).get(reverse("transfer_list"))
        offered[user.username] = 'data-testid="transfer-request-link"' in page.content.decode()
        if not has_perm(user, Perm.EDIT_CHILDREN):
            assert client_for(user).get(reverse("transfer_request")).status_code == 403
    # The district holds every file of the county: asking another township is not for it.
    assert offered == {
        cast.district_admin.username: False,
        cast.supervisor_a.username: True,
        cast.director_a.username: True,
        cast.outsider.username: False,
        cast.school_liaison_a.username: False,
    }


def test_a_file_awaiting_review_keeps_its_review_when_it_moves_to_another_township(cast: Cast) -> None:
    from registry import services
    from registry.models import ChildTransfer
    from worklist.models import ItemKind, WorkItem
    from worklist.selectors import my_items

    number = _number("35030320160305289")
    child = make_child(
        cast.village_a, actor=cast.director_a, name="待审孩子", id_number=number, hukou_unregistered=False
    )
    services.child_submit(actor=cast.director_a, child=child)
    asker = client_for(cast.director_b)
    asker.post(reverse("transfer_request"), {"id_number": number, "to_village": cast.village_b.pk, "reason": "迁入"})
    transfer = ChildTransfer.objects.get()
    client_for(cast.supervisor_a).post(reverse("transfer_detail", args=[transfer.pk]), {"decision": "accept"})
    child.refresh_from_db()
    assert child.status == "awaiting_review" and child.hukou_village == cast.village_b
    review = WorkItem.objects.get(kind=ItemKind.REVIEW_CHILD, status="open")
    assert review.owner_organisation == cast.township_gov_b and review.region_code == cast.village_b.code
    assert review in my_items(cast.supervisor_b) and review not in my_items(cast.supervisor_a)
    # The new township reviews it as usual; the move is in the item's history.
    services.child_approve(actor=cast.supervisor_b, child=child)
    child.refresh_from_db()
    assert child.status == "awaiting_confirmation"
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(action="worklist.move", object_id=str(review.pk)).exists()


def test_asking_for_an_exited_childs_file_names_only_the_township(cast: Cast) -> None:
    from registry.models import Child, ChildTransfer

    number = _number("35030320160305297")
    child = make_child(cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False)
    Child.objects.filter(pk=child.pk).update(status="exited", exit_reason="moved_with_parents")
    response = client_for(cast.director_b).post(
        reverse("transfer_request"), {"id_number": number, "to_village": cast.village_b.pk, "reason": "迁入"}
    )
    body = response.content.decode()
    assert f"该档案不能转移，请向{cast.township_a.full_name}了解情况。" in body
    assert "已退出" not in body and not ChildTransfer.objects.exists()


def test_the_holder_sees_who_asked_and_where_the_file_stands(cast: Cast) -> None:
    from registry.models import ChildTransfer

    number = _number("35030320160305300")
    make_child(cast.village_a, actor=cast.director_a, id_number=number, hukou_unregistered=False)
    client_for(cast.director_b).post(
        reverse("transfer_request"), {"id_number": number, "to_village": cast.village_b.pk, "reason": "迁入"}
    )
    url = reverse("transfer_detail", args=[ChildTransfer.objects.get().pk])
    page = client_for(cast.supervisor_a).get(url).content.decode()
    assert cast.director_b.display_name in page and 'data-testid="transfer-asked-by"' in page
    assert 'data-testid="transfer-file-status">草稿<' in page
    # The asking side sees no status of the file it cannot see.
    assert 'data-testid="transfer-file-status"' not in client_for(cast.director_b).get(url).content.decode()


def test_asking_again_links_to_the_transfer_already_waiting(cast: Cast) -> None:
    from registry.models import ChildTransfer

    number = _number("35030320160305318")
    make_child(cast.village_a, actor=cast.district_admin, id_number=number, hukou_unregistered=False)
    asker = client_for(cast.director_b)
    data = {"id_number": number, "to_village": cast.village_b.pk, "reason": "迁入"}
    asker.post(reverse("transfer_request"), data)
    transfer = ChildTransfer.objects.get()
    link = f'href="{reverse("transfer_detail", args=[transfer.pk])}"'
    again = asker.post(reverse("transfer_request"), data).content.decode()
    assert 'data-testid="pending-transfer"' in again and link in again
    # The registration form shows the waiting transfer instead of offering to ask again.
    from tests.test_registry import form_data

    form = asker.post(
        reverse("child_create"), form_data(cast, id_number=number, gender="2", hukou_village=str(cast.village_b.pk))
    ).content.decode()
    assert 'data-testid="duplicate-elsewhere"' in form and link in form
    assert 'data-testid="transfer-request"' not in form
