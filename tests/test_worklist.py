from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from conftest import Cast, client_for
from registry import services
from tests.factories import make_child
from worklist.models import WorkItem
from worklist.selectors import my_items, open_count


def test_items_reach_their_owners_only(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    services.child_submit(actor=cast.director_a, child=child)
    assert open_count(cast.supervisor_a) == 1
    assert open_count(cast.supervisor_b) == 0
    assert open_count(cast.director_a) == 0
    assert open_count(cast.district_admin) == 0  # owned by the township's supervisors
    body = client_for(cast.supervisor_a).get(reverse("home")).content.decode()
    assert 'data-testid="todo-count">1<' in body
    assert 'data-testid="todo-count-menu">1<' in body  # on a phone, the menu button shows it too
    assert 'aria-label="菜单, 待办 1 项"' in body


def test_overdue_items_are_highlighted_and_filtered(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    services.child_submit(actor=cast.director_a, child=child)
    WorkItem.objects.update(due_date=timezone.localdate() - timedelta(days=1))
    item = WorkItem.objects.get()
    assert item.is_overdue()
    assert list(my_items(cast.supervisor_a, show="overdue")) == [item]
    body = client_for(cast.supervisor_a).get(reverse("todo_list"), {"show": "overdue"}).content.decode()
    assert "table-danger" in body
    WorkItem.objects.update(due_date=timezone.localdate() + timedelta(days=3))
    assert list(my_items(cast.supervisor_a, show="overdue")) == []


def test_done_items_are_listed_with_resolution(cast: Cast) -> None:
    child = make_child(cast.village_a, actor=cast.director_a)
    services.child_submit(actor=cast.director_a, child=child)
    services.child_approve(actor=cast.supervisor_a, child=child)
    done = list(my_items(cast.supervisor_a, show="done"))
    assert len(done) == 1 and done[0].closed_by == cast.supervisor_a
    assert WorkItem.objects.get(status="open").owner_role == Role.DISTRICT_ADMIN


def test_the_list_names_where_each_item_is_and_can_be_searched(cast: Cast) -> None:
    first = make_child(cast.village_a, actor=cast.director_a, name="甲童")
    second = make_child(cast.village_a, actor=cast.director_a, name="乙童")
    services.child_submit(actor=cast.director_a, child=first)
    services.child_submit(actor=cast.director_a, child=second)
    client = client_for(cast.supervisor_a)
    body = client.get(reverse("todo_list")).content.decode()
    assert f"{cast.township_a.name} {cast.village_a.name}" in body
    body = client.get(reverse("todo_list"), {"q": "乙童"}).content.decode()
    assert "乙童" in body and "甲童" not in body
    body = client.get(reverse("todo_list"), {"kind": "census_sign"}).content.decode()
    assert "乙童" not in body and "甲童" not in body
    body = client.get(reverse("todo_list"), {"kind": "review_child"}).content.decode()
    assert "乙童" in body and "甲童" in body


def test_the_to_do_search_finds_a_place_too(cast: Cast) -> None:
    from tests.test_census import second_village_in_a

    village, director = second_village_in_a(cast)
    here = make_child(cast.village_a, actor=cast.director_a, name="甲童")
    there = make_child(village, actor=director, name="乙童")
    services.child_submit(actor=cast.director_a, child=here)
    services.child_submit(actor=director, child=there)
    found = {item.target_id for item in my_items(cast.supervisor_a, q="西山")}
    assert found == {str(there.pk)}
    body = client_for(cast.supervisor_a).get(reverse("todo_list"), {"q": "西山"}).content.decode()
    assert "乙童" in body and "甲童" not in body
