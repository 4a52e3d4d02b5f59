from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from accounts import services
from conftest import Cast, client_for
from core import audit
from core.middleware import RequestContextMiddleware
from core.models import AppendOnlyError, AuditEvent, AuditKind
from tests.factories import AuditEventFactory


def test_diff_lists_only_changed_fields() -> None:
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


def test_audit_events_are_append_only(cast: Cast) -> None:
    event = AuditEventFactory.create(region_code=cast.village_a.code)
    event.detail = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_write_and_audit_roll_back_together(cast: Cast) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.user_update(actor=cast.district_admin, user=cast.director_a, name="不会保存")
        raise RuntimeError("failure after the write")
    cast.director_a.refresh_from_db()
    assert cast.director_a.name == "儿童主任东大"
    assert AuditEvent.objects.count() == before


def test_client_address_is_recorded(cast: Cast) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")

    def view(_request: object) -> object:
        return audit.record_access(actor=cast.supervisor_a, action="child.view", region_code=cast.village_a.code)

    event = RequestContextMiddleware(view)(request)  # type: ignore[arg-type]
    assert isinstance(event, AuditEvent)
    assert event.client_ip == "10.1.2.3"
    assert event.kind == AuditKind.READ
    assert event.actor_name == "督导员江口"


def test_export_is_recorded_as_export(cast: Cast) -> None:
    event = audit.record_access(
        actor=cast.district_admin, action="ledger.export", export=True, region_code="350303000000"
    )
    assert event.kind == AuditKind.EXPORT


def test_admin_filters_the_audit_trail(cast: Cast) -> None:
    AuditEventFactory.create(region_code=cast.village_a.code, action="user.create", object_repr="新建对象")
    AuditEventFactory.create(region_code=cast.village_a.code, action="organisation.update", object_repr="修改对象")
    client = client_for(cast.district_admin)
    body = client.get(reverse("audit_list"), {"action": "user."}).content.decode()
    assert "新建对象" in body and "修改对象" not in body
    body = client.get(reverse("audit_list"), {"kind": "read"}).content.decode()
    assert "新建对象" not in body
    htmx = client.get(reverse("audit_list"), {"action": "organisation"}, HTTP_HX_REQUEST="true")
    assert "修改对象" in htmx.content.decode() and "<html" not in htmx.content.decode()


def test_audit_detail_shows_field_labels(cast: Cast) -> None:
    services.user_update(actor=cast.district_admin, user=cast.director_a, name="新名字")
    event = AuditEvent.objects.filter(action="user.update").latest("at")
    body = client_for(cast.district_admin).get(reverse("audit_detail", args=[event.pk])).content.decode()
    assert "新名字" in body and "儿童主任东大" in body
    assert "姓名" in body


def test_login_and_logout_are_audited(cast: Cast) -> None:
    client = client_for(cast.director_a)
    assert AuditEvent.objects.filter(action="auth.login", actor=cast.director_a).exists()
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(action="auth.logout", actor=cast.director_a).exists()


def test_history_masks_a_disability_certificate_number(cast: Cast) -> None:
    """A 残疾人证号 is the child's ID number and two digits: the history (the audit trail and the
    dossier's timeline) must not show it in full, as it does not show the ID number."""
    from registry import services as registry
    from tests.factories import make_child

    child = make_child(cast.village_a, actor=cast.supervisor_a)
    number = "350303201603050013"
    registry.child_save(
        actor=cast.supervisor_a,
        values={
            "health": "disabled",
            "disability_category": "hearing",
            "disability_grade": "1",
            "disability_certificate": number + "21",
        },
        members=[],
        guardian=None,
        child=child,
    )
    event = AuditEvent.objects.filter(action="child.update", object_id=str(child.pk)).latest("pk")
    assert event.changes["disability_certificate"] == ["", "****************1321"]
    response = client_for(cast.supervisor_a).get(reverse("audit_detail", args=[event.pk]))
    assert response.status_code == 200
    assert number not in response.content.decode()
