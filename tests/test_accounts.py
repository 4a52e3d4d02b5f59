from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import User
from accounts.permissions import Perm, assignable_roles, has_perm
from accounts.roles import OrgKind, Role
from conftest import Cast, client_for
from core.models import AuditEvent
from tests.factories import PASSWORD

GOOD_PASSWORD = "Cun-zhuren-2026"


def login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_chinese(db: None) -> None:
    body = Client().get(reverse("login")).content.decode()
    assert "登录" in body and 'lang="zh-CN"' in body


@pytest.mark.parametrize(
    ("attr", "expected_text"),
    [
        ("director_a", "东大村委会"),
        ("supervisor_a", "江口镇"),
        ("district_admin", "涵江区"),
        ("school_liaison_a", "江口镇"),
        ("police_a_officer", "江口镇"),
        ("leader", "涵江区"),
    ],
)
def test_each_role_lands_on_its_home_page(cast: Cast, attr: str, expected_text: str) -> None:
    user: User = getattr(cast, attr)
    client = Client()
    response = login(client, user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")  # type: ignore[attr-defined]
    body = client.get(reverse("home")).content.decode()
    assert user.display_name in body
    assert expected_text in body or user.get_role_display() in body


def test_wrong_password_gives_chinese_error_and_is_audited(cast: Cast) -> None:
    response = login(Client(), cast.director_a.username, "wrong-password")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "用户名或密码错误" in response.content.decode()  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action="auth.login_failed").exists()


def test_account_locks_after_configured_failures(cast: Cast) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, cast.director_a.username, "wrong-password")
    response = login(client, cast.director_a.username, PASSWORD)
    assert response.status_code == 429  # type: ignore[attr-defined]
    body = response.content.decode()  # type: ignore[attr-defined]
    assert "锁定" in body and "15" in body
    # Another account from the same address is not locked: the lock is per account.
    assert login(Client(), cast.director_b.username, PASSWORD).status_code == 302  # type: ignore[attr-defined]


def test_lockout_and_idle_defaults() -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_TOUCH_SECONDS == 60


def test_session_expiry_moves_at_most_once_a_minute(cast: Cast) -> None:
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = client_for(cast.director_a)
    assert client.get(reverse("home")).status_code == 200
    # An early expiry, as if the last save had been 29 minutes ago, and touched just now: a request
    # within the minute does not write the session.
    soon = timezone.now() + timedelta(minutes=1)
    Session.objects.update(expire_date=soon)
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get().expire_date == soon
    # Touched a minute ago or more: the next request moves the expiry 30 minutes ahead.
    session = client.session
    session["touched"] -= settings.SESSION_TOUCH_SECONDS
    session.save()
    Session.objects.update(expire_date=soon)
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get().expire_date > timezone.now() + timedelta(minutes=29)


def test_idle_session_expires(cast: Cast) -> None:
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = client_for(cast.director_a)
    assert client.get(reverse("home")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "password",
    ["short1A!", "alllowercaseletters", "1234567890123", "password123456", "ABCDEFGHIJKLMN"],
)
def test_weak_passwords_are_refused(cast: Cast, password: str) -> None:
    with pytest.raises(ValidationError):
        services.user_change_own_password(user=cast.director_a, password=password)


def test_new_user_must_change_password_first(cast: Cast) -> None:
    created = services.user_create(
        actor=cast.supervisor_a,
        username="new_director",
        name="新主任",
        organisation=cast.committee_a,
        role=Role.VILLAGE_DIRECTOR,
        password=GOOD_PASSWORD,
    )
    client = Client()
    login(client, created.username, GOOD_PASSWORD)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    response = client.post(
        reverse("password_change"),
        {"old_password": GOOD_PASSWORD, "new_password1": "Another-pass-77", "new_password2": "Another-pass-77"},
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="user.change_password", object_id=str(created.pk)).exists()


def test_supervisor_creates_director_in_own_township_and_it_is_audited(cast: Cast) -> None:
    client = client_for(cast.supervisor_a)
    response = client.post(
        reverse("user_create"),
        {
            "username": "cz_new",
            "name": "张新",
            "phone": "13800001111",
            "organisation": cast.committee_a.pk,
            "role": Role.VILLAGE_DIRECTOR,
            "password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(username="cz_new")
    event = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert event.actor == cast.supervisor_a
    assert event.region_code == cast.village_a.code
    assert event.changes["name"] == [None, "张新"]
    assert "password" not in event.changes


def test_supervisor_cannot_create_user_in_another_township(cast: Cast) -> None:
    client = client_for(cast.supervisor_a)
    response = client.post(
        reverse("user_create"),
        {
            "username": "intruder",
            "name": "外人",
            "organisation": cast.committee_b.pk,
            "role": Role.VILLAGE_DIRECTOR,
            "password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not User.objects.filter(username="intruder").exists()
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=cast.supervisor_a,
            username="intruder",
            name="外人",
            organisation=cast.committee_b,
            role=Role.VILLAGE_DIRECTOR,
            password=GOOD_PASSWORD,
        )


def test_supervisor_cannot_hand_out_higher_roles(cast: Cast) -> None:
    assert Role.DISTRICT_ADMIN not in assignable_roles(cast.supervisor_a)
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=cast.supervisor_a,
            username="boss",
            name="越权",
            organisation=cast.township_gov_a,
            role=Role.DISTRICT_ADMIN,
            password=GOOD_PASSWORD,
        )


def test_role_must_fit_the_organisation(cast: Cast) -> None:
    with pytest.raises(ValidationError) as info:
        services.user_create(
            actor=cast.district_admin,
            username="misfit",
            name="错配",
            organisation=cast.school_a,
            role=Role.VILLAGE_DIRECTOR,
            password=GOOD_PASSWORD,
        )
    assert "role" in info.value.error_dict


def test_user_update_records_old_and_new(cast: Cast) -> None:
    services.user_update(actor=cast.district_admin, user=cast.director_a, name="改名后", is_active=False)
    event = AuditEvent.objects.filter(action="user.update").latest("at")
    assert event.changes["name"] == ["儿童主任东大", "改名后"]
    assert event.changes["is_active"] == [True, False]
    cast.director_a.refresh_from_db()
    assert not cast.director_a.is_active


def test_cannot_deactivate_oneself(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        services.user_update(actor=cast.district_admin, user=cast.district_admin, is_active=False)


def test_reset_password_forces_change(cast: Cast) -> None:
    client = client_for(cast.district_admin)
    response = client.post(reverse("user_reset_password", args=[cast.director_a.pk]), {"password": GOOD_PASSWORD})
    assert response.status_code == 302
    cast.director_a.refresh_from_db()
    assert cast.director_a.must_change_password and cast.director_a.check_password(GOOD_PASSWORD)


def test_permissions_by_role(cast: Cast) -> None:
    assert has_perm(cast.district_admin, Perm.MANAGE_ORGANISATIONS)
    assert not has_perm(cast.supervisor_a, Perm.MANAGE_ORGANISATIONS)
    assert has_perm(cast.supervisor_a, Perm.MANAGE_USERS)
    assert not has_perm(cast.director_a, Perm.VIEW_USERS)
    assert not has_perm(cast.leader, Perm.MANAGE_USERS)
    assert client_for(cast.leader).get(reverse("user_create")).status_code == 403
    assert "无权" in client_for(cast.director_a).get(reverse("user_list")).content.decode()


def test_district_admin_creates_and_edits_an_organisation(cast: Cast) -> None:
    client = client_for(cast.district_admin)
    response = client.post(
        reverse("organisation_create"),
        {"name": "江口中学", "kind": OrgKind.SCHOOL, "region": cast.township_a.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    org = cast.township_a.organisations.get(name="江口中学")
    response = client.post(
        reverse("organisation_update", args=[org.pk]),
        {"name": "江口第一中学", "kind": OrgKind.SCHOOL, "region": cast.township_a.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="organisation.update").latest("at")
    assert event.changes["name"] == ["江口中学", "江口第一中学"]


def test_organisation_kind_must_fit_region_level(cast: Cast) -> None:
    client = client_for(cast.district_admin)
    response = client.post(
        reverse("organisation_create"),
        {"name": "错层级村委会", "kind": OrgKind.VILLAGE_COMMITTEE, "region": cast.township_a.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["region"]


def test_bad_phone_is_refused_with_chinese_message(cast: Cast) -> None:
    client = client_for(cast.supervisor_a)
    response = client.post(
        reverse("user_create"),
        {
            "username": "badphone",
            "name": "电话错",
            "phone": "12345",
            "organisation": cast.committee_a.pk,
            "role": Role.VILLAGE_DIRECTOR,
            "password": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "11位手机号码" in response.content.decode()


def test_user_list_query_count_does_not_grow_with_rows(cast: Cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = client_for(cast.district_admin)
    client.get(reverse("user_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("user_list"))
