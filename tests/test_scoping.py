"""Walk every scoped model and every URL: out of jurisdiction is a 404 or an empty list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Organisation, User
from census import services as census
from census.models import Campaign, TownshipCountersign, VillageReturn
from conftest import Cast, client_for
from core.models import AuditEvent
from core.scoping import get_for_user_or_404, is_scoped_model
from regions.models import Region
from registry import services
from registry.models import EntrustedGuardian
from tests.factories import AuditEventFactory, make_child, make_registered_child
from worklist.models import WorkItem

PROJECT_APPS = {"core", "regions", "accounts", "worklist", "registry", "census", "exchange"}

# Models that are deliberately not scoped, with the reason. Everything else must be.
UNSCOPED_MODELS: dict[str, str] = {}


def _project_models() -> list[type[Any]]:
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def test_every_project_model_is_scoped_or_explained() -> None:
    for model in _project_models():
        label = model._meta.label
        assert is_scoped_model(model) or label in UNSCOPED_MODELS, f"{label} has no jurisdiction scoping"


# For each scoped model: make a row that lies in township A (江口镇).
def _child_a(c: Cast) -> Any:
    return make_child(c.village_a, actor=c.district_admin, name="江口孩子")


def _family_a(c: Cast) -> Any:
    return _child_a(c).family.first()


def _guardian_a(c: Cast) -> Any:
    child = _child_a(c)
    return EntrustedGuardian.objects.create(child=child, name="江口奶奶", relationship="62")


def _item_a(c: Cast) -> Any:
    child = _child_a(c)
    services.child_submit(actor=c.district_admin, child=child)
    return WorkItem.objects.get(target_id=str(child.pk))


def _campaign_a(c: Cast) -> Any:
    """A campaign that reaches township A only (village B is no longer in use when it opens)."""
    from django.utils import timezone

    c.village_b.is_active = False
    c.village_b.save(update_fields=["is_active"])
    today = timezone.localdate()
    existing = Campaign.objects.filter(name="江口镇的摸底排查").first()
    if existing is not None:
        return existing
    return census.campaign_open(
        actor=c.district_admin, name="江口镇的摸底排查", district=c.county, starts_on=today, ends_on=today
    )


def _village_return_a(c: Cast) -> Any:
    return VillageReturn.objects.get(campaign=_campaign_a(c), region_code=c.village_a.code)


def _countersign_a(c: Cast) -> Any:
    return TownshipCountersign.objects.get(campaign=_campaign_a(c), region_code=c.township_a.code)


def _census_kwargs(c: Cast, level: str = "") -> dict[str, Any]:
    campaign = _campaign_a(c)
    if level == "township":
        return {"pk": campaign.pk, "code": c.township_a.code}
    if level == "village":
        return {"pk": campaign.pk, "code": c.village_a.code}
    return {"pk": campaign.pk}


def _transfer_a(c: Cast) -> Any:
    """A transfer between two villages of township A: in scope on both sides only there."""
    second = Region.objects.create(
        code="350303104202",
        name="东二村委会",
        full_name="东二村委会",
        level="village",
        kind="village_committee",
        parent=c.township_a,
    )
    Organisation.objects.create(name="东二村委会", kind="village_committee", region=second)
    return services.transfer_send(actor=c.district_admin, child=_child_a(c), to_village=second, reason="搬迁")


def _child_with_scan_a(c: Cast) -> Any:
    from django.core.files.base import ContentFile

    child = _child_a(c)
    child.entrustment_scan.save("confirm.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return child


def _change_a(c: Cast) -> Any:
    """A village's change awaiting review, with a new entrustment scan."""
    from django.core.files.base import ContentFile

    from registry.models import ChildChange

    existing = ChildChange.objects.filter(child__region_code=c.village_a.code).first()
    if existing is not None:
        return existing
    child = make_registered_child(c, name="江口孩子")
    scan = ContentFile(b"%PDF-1.4", name="confirm.pdf")
    services.child_save(
        actor=c.director_a, values={"grade": "五年级", "entrustment_scan": scan}, members=[], guardian=None, child=child
    )
    return ChildChange.objects.get(child=child)


def _batch_a(c: Cast, kind: str = "hukou") -> Any:
    from exchange.models import ImportBatch

    existing = ImportBatch.objects.filter(region_code=c.township_a.code, kind=kind).first()
    if existing is not None:
        return existing
    batch = ImportBatch(
        kind=kind,
        region_code=c.township_a.code,
        original_name="江口镇户籍.csv",
        status="ready",
        created_by=c.supervisor_a,
        summary={"new": 1, "changed": 0, "unchanged": 0, "conflict": 0},
    )
    batch.file.name = "exchange/none.csv"
    batch.save()
    return batch


def _row_error_a(c: Cast) -> Any:
    from exchange.models import RowError

    return RowError.objects.create(batch=_batch_a(c), row_no=3, column="name", message="江口镇的错误")


def _hukou_a(c: Cast) -> Any:
    from exchange.models import HukouRecord

    return HukouRecord.objects.create(batch=_batch_a(c), row_no=2, name="江口孩子", region_code=c.village_a.code)


def _student_a(c: Cast) -> Any:
    from exchange.models import StudentRecord

    return StudentRecord.objects.create(
        batch=_batch_a(c, "school"), row_no=2, name="江口孩子", region_code=c.village_a.code
    )


def _discrepancy_a(c: Cast) -> Any:
    from exchange.models import Discrepancy

    return Discrepancy.objects.create(
        kind="hukou_omission",
        batch=_batch_a(c),
        region_code=c.village_a.code,
        key="hukou_omission:test",
        details={"person": {"name": "江口孩子", "id_number": "350303********1234"}},
    )


ROW_IN_TOWNSHIP_A: dict[str, Callable[[Cast], Any]] = {
    "exchange.ImportBatch": _batch_a,
    "exchange.RowError": _row_error_a,
    "exchange.HukouRecord": _hukou_a,
    "exchange.StudentRecord": _student_a,
    "exchange.Discrepancy": _discrepancy_a,
    "registry.ChildTransfer": _transfer_a,
    "registry.ChildChange": _change_a,
    "registry.Child": _child_a,
    "registry.ChildNameKey": lambda c: _child_a(c).name_keys.first(),
    "registry.FamilyMember": _family_a,
    "registry.EntrustedGuardian": _guardian_a,
    "worklist.WorkItem": _item_a,
    "regions.Region": lambda c: c.village_a,
    "accounts.Organisation": lambda c: c.committee_a,
    "accounts.User": lambda c: c.director_a,
    "core.AuditEvent": lambda c: AuditEventFactory.create(region_code=c.village_a.code),
    "census.Campaign": _campaign_a,
    "census.VillageReturn": _village_return_a,
    "census.TownshipCountersign": _countersign_a,
}


def test_every_scoped_model_has_a_walker_row() -> None:
    scoped = {m._meta.label for m in _project_models() if is_scoped_model(m)}
    assert scoped == set(ROW_IN_TOWNSHIP_A)


@pytest.mark.parametrize("label", sorted(ROW_IN_TOWNSHIP_A))
def test_scoped_model_hides_rows_outside_jurisdiction(cast: Cast, label: str) -> None:
    model = apps.get_model(label)
    row = ROW_IN_TOWNSHIP_A[label](cast)
    manager = model._default_manager
    for outsider in (cast.supervisor_b, cast.director_b, cast.outsider):
        assert not manager.for_user(outsider).filter(pk=row.pk).exists(), f"{outsider} sees {label}"
    for insider in (cast.supervisor_a, cast.district_admin, cast.system_admin, cast.leader):
        assert manager.for_user(insider).filter(pk=row.pk).exists(), f"{insider} does not see {label}"


def test_anonymous_and_inactive_users_see_nothing(cast: Cast) -> None:
    from django.contrib.auth.models import AnonymousUser

    cast.district_admin.is_active = False
    for user in (AnonymousUser(), None, cast.district_admin):
        assert not Region.objects.for_user(user).exists()
        assert not User.objects.for_user(user).exists()


def test_get_for_user_or_404_raises_404_out_of_scope(cast: Cast) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        get_for_user_or_404(Organisation, cast.supervisor_b, pk=cast.committee_a.pk)
    assert get_for_user_or_404(Organisation, cast.supervisor_a, pk=cast.committee_a.pk) == cast.committee_a
    with pytest.raises(TypeError):
        get_for_user_or_404(apps.get_model("contenttypes.ContentType"), cast.supervisor_a, pk=1)


# --- URLs -----------------------------------------------------------------------------------

PUBLIC_URLS = {"login", "logout", "healthz"}

# URL name -> kwargs that point at something in township A (None: the URL takes no kwargs and
# is a list or a page of one's own).
DETAIL_URLS: dict[str, Callable[[Cast], dict[str, Any]]] = {
    "region_detail": lambda c: {"code": c.village_a.code},
    "organisation_detail": lambda c: {"pk": c.committee_a.pk},
    "organisation_update": lambda c: {"pk": c.committee_a.pk},
    "user_detail": lambda c: {"pk": c.director_a.pk},
    "user_update": lambda c: {"pk": c.director_a.pk},
    "user_reset_password": lambda c: {"pk": c.director_a.pk},
    "audit_detail": lambda c: {"pk": AuditEventFactory.create(region_code=c.village_a.code).pk},
    "child_detail": lambda c: {"pk": _child_a(c).pk},
    "child_update": lambda c: {"pk": _child_a(c).pk},
    "child_print": lambda c: {"pk": _child_a(c).pk},
    "child_reveal": lambda c: {"pk": _child_a(c).pk},
    "child_action": lambda c: {"pk": _child_a(c).pk, "action": "submit"},
    "child_pdf": lambda c: {"pk": _child_a(c).pk},
    "entrustment_scan": lambda c: {"pk": _child_with_scan_a(c).pk},
    "child_change_scan": lambda c: {"pk": _change_a(c).child_id},
    "transfer_send": lambda c: {"pk": _child_a(c).pk},
    "transfer_detail": lambda c: {"pk": _transfer_a(c).pk},
    "campaign_detail": _census_kwargs,
    "campaign_sign": _census_kwargs,
    "campaign_cancel": _census_kwargs,
    "township_progress": lambda c: _census_kwargs(c, "township"),
    "township_countersign": lambda c: _census_kwargs(c, "township"),
    "village_return": lambda c: _census_kwargs(c, "village"),
    "village_certify": lambda c: _census_kwargs(c, "village"),
    "village_reopen": lambda c: _census_kwargs(c, "village"),
    "batch_detail": lambda c: {"pk": _batch_a(c).pk},
    "batch_errors": lambda c: {"pk": _row_error_a(c).batch_id},
    "batch_results": lambda c: {"pk": _discrepancy_a(c).batch_id},
    "batch_apply": lambda c: {"pk": _batch_a(c).pk},
    "batch_discard": lambda c: {"pk": _batch_a(c).pk},
    "batch_undo": lambda c: {"pk": _batch_a(c).pk},
    "discrepancy_detail": lambda c: {"pk": _discrepancy_a(c).pk},
    "discrepancy_merge": lambda c: {"pk": _discrepancy_a(c).pk},
}
# These take POST only; the walker posts to them.
POST_URLS = {
    "transfer_send",
    "child_reveal",
    "child_action",
    "campaign_sign",
    "campaign_cancel",
    "township_countersign",
    "village_certify",
    "village_reopen",
    "batch_apply",
    "batch_discard",
    "batch_undo",
    "discrepancy_merge",
}
# A successful POST redirects instead of answering 200.
INSIDE_STATUS = {
    "child_action": 302,
    "transfer_send": 302,
    # The district administrator reaches these rows (no 404) but certifying, reopening and
    # countersigning are the village's and the township's to do; signing before the townships
    # have countersigned is refused with a message and a redirect.
    "village_certify": 403,
    "village_reopen": 403,
    "township_countersign": 403,
    "campaign_sign": 302,
    "campaign_cancel": 302,
    "batch_apply": 302,
    "batch_discard": 302,
    # Undoing a 户籍 batch or merging a discrepancy that is not a duplicate is refused with a
    # message and a redirect.
    "batch_undo": 302,
    "discrepancy_merge": 302,
}
LIST_URLS = {
    "home",
    "region_index",
    "organisation_list",
    "organisation_create",
    "user_list",
    "user_create",
    "audit_list",
    "profile",
    "password_change",
    "child_list",
    "child_create",
    "ledger_export",
    "todo_list",
    "campaign_list",
    "campaign_create",
    "transfer_list",
    "batch_list",
    "batch_upload",
    "discrepancy_list",
    "discrepancy_export",
    "completeness",
}
# Pages with arguments that name no row: a template, or an export of one's own jurisdiction.
# They are walked like the lists: nothing of township A shows to an outsider.
OWN_SCOPE_WITH_KWARGS: dict[str, dict[str, str]] = {
    "exchange_template": {"kind": "hukou"},
    "monthly_export": {"target": "police"},
}
# Posts about one's own jurisdiction only: asking another township for a file by its ID number
# reveals no more than the township's name (tests/test_transfers_pdf.py).
OWN_JURISDICTION_POSTS = {"transfer_request"}


def body_text(response: Any) -> str:
    """The text of an HTML page, or of every cell of an .xlsx download."""
    if "spreadsheetml" in response.get("Content-Type", ""):
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)
    return str(response.content.decode())


def _url_names(resolver: URLResolver | None = None) -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            names |= _url_names(pattern)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_url_is_walked() -> None:
    assert _url_names() == (
        PUBLIC_URLS | set(DETAIL_URLS) | LIST_URLS | OWN_JURISDICTION_POSTS | set(OWN_SCOPE_WITH_KWARGS)
    )


def test_asking_for_a_file_reveals_nothing_on_bad_input(cast: Cast) -> None:
    make_child(cast.village_a, actor=cast.district_admin, name="江口孩子")
    for outsider in (cast.outsider, cast.director_b):
        response = client_for(outsider).post(reverse("transfer_request"), {"id_number": "x"}, follow=True)
        assert response.status_code == 200 and "江口孩子" not in body_text(response)


@pytest.mark.parametrize("name", sorted(DETAIL_URLS))
def test_detail_urls_are_404_outside_jurisdiction(cast: Cast, name: str) -> None:
    url = reverse(name, kwargs=DETAIL_URLS[name](cast))

    def fetch(user: User) -> Any:
        client = client_for(user)
        return client.post(url) if name in POST_URLS else client.get(url)

    # The other township's supervisor, the other village's director and another county's
    # district administrator (who holds every permission in their own county) all get 404 or,
    # if their role lacks the function altogether, 403 — never the page.
    for outsider in (cast.supervisor_b, cast.director_b, cast.outsider):
        response = fetch(outsider)
        assert response.status_code in (403, 404), f"{outsider.username} got {response.status_code} for {url}"
    assert fetch(cast.outsider).status_code == 404
    # Inside the jurisdiction, with the permission, the page is there.
    assert fetch(cast.district_admin).status_code == INSIDE_STATUS.get(name, 200)


@pytest.mark.parametrize("name", sorted(LIST_URLS | set(OWN_SCOPE_WITH_KWARGS)))
def test_list_urls_show_nothing_from_another_jurisdiction(cast: Cast, name: str) -> None:
    AuditEventFactory.create(region_code=cast.village_a.code, object_repr="江口镇的秘密对象")
    make_child(cast.village_a, actor=cast.district_admin, name="江口孩子")
    _discrepancy_a(cast)
    url = reverse(name, kwargs=OWN_SCOPE_WITH_KWARGS.get(name))
    for outsider in (cast.outsider, cast.supervisor_b):
        response = client_for(outsider).get(url)
        assert response.status_code in (200, 403)
        body = body_text(response)
        for secret in ("东大村委会", "儿童主任东大", "江口镇的秘密对象", "江口派出所", "江口孩子"):
            assert secret not in body, f"{outsider.username} sees {secret} on {url}"


def test_anonymous_is_sent_to_login_everywhere(cast: Cast) -> None:
    from django.test import Client

    client = Client()
    for name in sorted(LIST_URLS):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    for name, kwargs in DETAIL_URLS.items():
        url = reverse(name, kwargs=kwargs(cast))
        response = client.post(url) if name in POST_URLS else client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_audit_event_rows_only_in_scope_on_the_list(cast: Cast) -> None:
    AuditEventFactory.create(region_code=cast.village_a.code, object_repr="甲村对象")
    AuditEventFactory.create(region_code=cast.village_b.code, object_repr="乙村对象")
    body = client_for(cast.supervisor_a).get(reverse("audit_list")).content.decode()
    assert "甲村对象" in body and "乙村对象" not in body
    assert AuditEvent.objects.for_user(cast.supervisor_a).filter(object_repr="乙村对象").count() == 0
