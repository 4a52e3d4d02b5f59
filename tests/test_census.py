"""Census campaigns: villages certify, townships countersign, the district signs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import OrgKind, Role
from census import services
from census.models import Campaign, TownshipCountersign, VillageReturn
from conftest import Cast, _region, client_for
from core.models import AuditEvent
from regions.models import Kind, Level
from tests.factories import OrganisationFactory, UserFactory
from worklist.models import ItemStatus, WorkItem
from worklist.selectors import my_items


def open_campaign(cast: Cast, name: str = "2026年第四季度摸底排查", days: int = 30, start_in: int = 0) -> Campaign:
    """Open a campaign starting ``start_in`` days from today (campaigns of a district may not overlap)."""
    start = timezone.localdate() + timedelta(days=start_in)
    return services.campaign_open(
        actor=cast.district_admin,
        name=name,
        district=cast.county,
        starts_on=start,
        ends_on=start + timedelta(days=days),
        description="全区农村留守儿童摸底排查",
    )


def return_of(campaign: Campaign, village: Any) -> VillageReturn:
    return VillageReturn.objects.get(campaign=campaign, region_code=village.code)


def countersign_of(campaign: Campaign, township: Any) -> TownshipCountersign:
    return TownshipCountersign.objects.get(campaign=campaign, region_code=township.code)


def fill_and_certify(director: User, row: VillageReturn, children: int = 40, left_behind: int = 12) -> None:
    services.village_return_save(
        actor=director,
        village_return=row,
        households_visited=120,
        children_found=children,
        left_behind_found=left_behind,
    )
    services.village_return_certify(actor=director, village_return=row)


def certify_all(cast: Cast, campaign: Campaign) -> None:
    fill_and_certify(cast.director_a, return_of(campaign, cast.village_a))
    fill_and_certify(cast.director_b, return_of(campaign, cast.village_b))


def second_village_in_a(cast: Cast) -> tuple[Any, User]:
    village = _region("350303104202", "西山村委会", Level.VILLAGE, Kind.VILLAGE_COMMITTEE, cast.township_a)
    committee = OrganisationFactory.create(name="西山村委会", kind=OrgKind.VILLAGE_COMMITTEE, region=village)
    director = UserFactory.create(
        username="dir_a2", name="儿童主任西山", role=Role.VILLAGE_DIRECTOR, organisation=committee
    )
    return village, director


def certify_items() -> Any:
    return WorkItem.objects.filter(kind=services.CERTIFY_ITEM)


# --- Opening -----------------------------------------------------------------------------------


def test_district_opens_a_campaign_with_a_to_do_item_per_village(cast: Cast) -> None:
    today = timezone.localdate()
    response = client_for(cast.district_admin).post(
        reverse("campaign_create"),
        {
            "name": "2026年第四季度摸底排查",
            "district": str(cast.county.pk),
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=20)).isoformat(),
            "description": "不重不漏",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("campaign_detail", args=[campaign.pk])
    assert campaign.region_code == "350303000000" and campaign.opened_by == cast.district_admin
    assert sorted(VillageReturn.objects.values_list("region_code", flat=True)) == [
        cast.village_a.code,
        cast.village_b.code,
    ]
    assert sorted(TownshipCountersign.objects.values_list("region_code", flat=True)) == [
        cast.township_a.code,
        cast.township_b.code,
    ]
    items = certify_items().order_by("region_code")
    assert [(i.owner_organisation, i.owner_role, i.region_code) for i in items] == [
        (cast.committee_a, Role.VILLAGE_DIRECTOR, cast.village_a.code),
        (cast.committee_b, Role.VILLAGE_DIRECTOR, cast.village_b.code),
    ]
    assert all(i.due_date == campaign.ends_on for i in items)
    assert "东大村委会" in items[0].title
    assert items[0].url == reverse("village_return", args=[campaign.pk, cast.village_a.code])
    assert [i.target_id for i in my_items(cast.director_a)] == [str(return_of(campaign, cast.village_a).pk)]
    assert not my_items(cast.supervisor_a).exists()
    event = AuditEvent.objects.get(action="census.open")
    assert event.actor == cast.district_admin and event.region_code == "350303000000"


def test_a_village_without_a_committee_gets_no_item_and_the_district_is_told(cast: Cast) -> None:
    _region("350303106202", "新村委会", Level.VILLAGE, Kind.VILLAGE_COMMITTEE, cast.township_b)
    client = client_for(cast.district_admin)
    form = client.get(reverse("campaign_create"))
    assert form.status_code == 200 and list(form.context["form"].fields["district"].queryset) == [cast.county]
    today = timezone.localdate()
    response = client.post(
        reverse("campaign_create"),
        {"name": "补充排查", "district": str(cast.county.pk), "starts_on": today, "ends_on": today},
        follow=True,
    )
    assert VillageReturn.objects.count() == 3 and certify_items().count() == 2
    assert any("新村委会" in str(m) for m in response.context["messages"])


@pytest.mark.parametrize("role", ["supervisor_a", "director_a", "leader", "police_a_officer"])
def test_only_the_district_opens_campaigns(cast: Cast, role: str) -> None:
    user = getattr(cast, role)
    assert client_for(user).get(reverse("campaign_create")).status_code == 403
    with pytest.raises(PermissionDenied):
        services.campaign_open(
            actor=user,
            name="x",
            district=cast.county,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
        )


def test_opening_checks_the_dates_and_the_district(cast: Cast) -> None:
    today = timezone.localdate()
    client = client_for(cast.district_admin)
    response = client.post(
        reverse("campaign_create"),
        {
            "name": "倒排",
            "district": str(cast.county.pk),
            "starts_on": today.isoformat(),
            "ends_on": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200 and "ends_on" in response.context["form"].errors
    with pytest.raises(ValidationError) as exc:
        services.campaign_open(
            actor=cast.district_admin, name="倒排", district=cast.county, starts_on=today, ends_on=today - timedelta(1)
        )
    assert "ends_on" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.campaign_open(
            actor=cast.outsider, name="外区", district=cast.county, starts_on=today, ends_on=today + timedelta(1)
        )
    assert "district" in exc.value.error_dict
    assert not Campaign.objects.exists() and not WorkItem.objects.exists()


# --- The village -------------------------------------------------------------------------------


def test_village_director_fills_in_and_certifies(cast: Cast) -> None:
    campaign = open_campaign(cast)
    url = reverse("village_return", args=[campaign.pk, cast.village_a.code])
    client = client_for(cast.director_a)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"households_visited": "120", "children_found": "40", "left_behind_found": "12", "note": "含寄宿生"}
    )
    assert response.status_code == 302
    row = return_of(campaign, cast.village_a)
    assert (row.households_visited, row.children_found, row.left_behind_found, row.note) == (120, 40, 12, "含寄宿生")
    assert not row.is_certified

    response = client.post(reverse("village_certify", args=[campaign.pk, cast.village_a.code]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.certified_by == cast.director_a and row.certified_at is not None
    item = certify_items().get(region_code=cast.village_a.code)
    assert item.status == ItemStatus.DONE and item.closed_by == cast.director_a
    # Township A has one village: its supervisor now has the countersignature to do.
    countersign_item = WorkItem.objects.get(kind=services.COUNTERSIGN_ITEM)
    assert countersign_item.owner_organisation == cast.township_gov_a
    assert countersign_item.owner_role == Role.TOWNSHIP_SUPERVISOR
    assert list(my_items(cast.supervisor_a)) == [countersign_item]
    assert not my_items(cast.supervisor_b).exists()
    actions = list(
        AuditEvent.objects.filter(object_type="census.villagereturn")
        .order_by("id")
        .values_list("action", "region_code")
    )
    assert actions == [("census.save", cast.village_a.code), ("census.certify", cast.village_a.code)]
    save = AuditEvent.objects.get(action="census.save")
    assert save.changes["children_found"] == [None, 40]


def test_return_validation_at_the_field(cast: Cast) -> None:
    campaign = open_campaign(cast)
    row = return_of(campaign, cast.village_a)
    client = client_for(cast.director_a)
    url = reverse("village_return", args=[campaign.pk, cast.village_a.code])
    response = client.post(url, {"households_visited": "-1", "children_found": "5", "left_behind_found": "3"})
    assert response.status_code == 200 and list(response.context["form"].errors) == ["households_visited"]
    response = client.post(url, {"households_visited": "10", "children_found": "5", "left_behind_found": "6"})
    assert response.status_code == 200 and list(response.context["form"].errors) == ["left_behind_found"]
    with pytest.raises(ValidationError) as exc:
        services.village_return_save(
            actor=cast.director_a, village_return=row, households_visited=-3, children_found=2, left_behind_found=3
        )
    assert set(exc.value.error_dict) == {"households_visited", "left_behind_found"}
    row.refresh_from_db()
    assert row.households_visited is None


def test_certifying_needs_a_filled_return_and_happens_once(cast: Cast) -> None:
    campaign = open_campaign(cast)
    row = return_of(campaign, cast.village_a)
    with pytest.raises(ValidationError):
        services.village_return_certify(actor=cast.director_a, village_return=row)
    fill_and_certify(cast.director_a, row)
    with pytest.raises(ValidationError):
        services.village_return_certify(actor=cast.director_a, village_return=row)
    response = client_for(cast.director_a).post(reverse("village_certify", args=[campaign.pk, cast.village_a.code]))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="census.certify").count() == 1


def test_a_certified_return_is_locked_until_the_supervisor_returns_it(cast: Cast) -> None:
    campaign = open_campaign(cast)
    row = return_of(campaign, cast.village_a)
    fill_and_certify(cast.director_a, row)
    with pytest.raises(ValidationError):
        services.village_return_save(
            actor=cast.director_a, village_return=row, households_visited=1, children_found=1, left_behind_found=1
        )
    url = reverse("village_return", args=[campaign.pk, cast.village_a.code])
    response = client_for(cast.director_a).post(
        url, {"households_visited": "1", "children_found": "1", "left_behind_found": "0"}
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    row.refresh_from_db()
    assert row.households_visited == 120

    # The village cannot reopen its own return; the supervisor must give a reason.
    with pytest.raises(PermissionDenied):
        services.village_return_reopen(actor=cast.director_a, village_return=row, reason="重报")
    reopen = reverse("village_reopen", args=[campaign.pk, cast.village_a.code])
    response = client_for(cast.supervisor_a).post(reopen, {"reason": "  "})
    assert response.status_code == 200 and list(response.context["reopen_form"].errors) == ["reason"]
    assert len(response.context["reopen_form"].errors["reason"]) == 1
    response = client_for(cast.supervisor_a).post(reopen, {"reason": "漏报两户外出务工家庭"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert not row.is_certified and row.reopen_reason == "漏报两户外出务工家庭"
    assert AuditEvent.objects.get(action="census.reopen").detail == "漏报两户外出务工家庭"
    # The countersignature item is withdrawn and the village has its item again, with the reason.
    assert WorkItem.objects.get(kind=services.COUNTERSIGN_ITEM).status == ItemStatus.DONE
    again = certify_items().get(region_code=cast.village_a.code, status=ItemStatus.OPEN)
    assert again.note == "漏报两户外出务工家庭"

    services.village_return_save(
        actor=cast.director_a, village_return=row, households_visited=122, children_found=42, left_behind_found=14
    )
    services.village_return_certify(actor=cast.director_a, village_return=row)
    assert WorkItem.objects.filter(kind=services.COUNTERSIGN_ITEM, status=ItemStatus.OPEN).count() == 1


# --- The township and the district -------------------------------------------------------------


def test_supervisor_countersigns_only_when_every_village_has_certified(cast: Cast) -> None:
    village_2, director_2 = second_village_in_a(cast)
    campaign = open_campaign(cast)
    countersign = countersign_of(campaign, cast.township_a)
    fill_and_certify(cast.director_a, return_of(campaign, cast.village_a))
    assert not WorkItem.objects.filter(kind=services.COUNTERSIGN_ITEM).exists()
    with pytest.raises(ValidationError):
        services.township_countersign(actor=cast.supervisor_a, countersign=countersign)
    url = reverse("township_countersign", args=[campaign.pk, cast.township_a.code])
    assert client_for(cast.supervisor_a).post(url).status_code == 302
    countersign.refresh_from_db()
    assert not countersign.is_signed

    fill_and_certify(director_2, return_of(campaign, village_2))
    assert WorkItem.objects.get(kind=services.COUNTERSIGN_ITEM).status == ItemStatus.OPEN
    # Only the township's supervisor countersigns.
    with pytest.raises(PermissionDenied):
        services.township_countersign(actor=cast.district_admin, countersign=countersign)
    with pytest.raises(PermissionDenied):
        services.township_countersign(actor=cast.supervisor_b, countersign=countersign)
    response = client_for(cast.supervisor_a).post(url, {"note": "经核查无误"})
    assert response.status_code == 302
    countersign.refresh_from_db()
    assert countersign.signed_by == cast.supervisor_a and countersign.note == "经核查无误"
    assert WorkItem.objects.get(kind=services.COUNTERSIGN_ITEM).status == ItemStatus.DONE
    with pytest.raises(ValidationError):
        services.township_countersign(actor=cast.supervisor_a, countersign=countersign)
    # Countersigned: the supervisor can no longer reopen a return.
    with pytest.raises(ValidationError):
        services.village_return_reopen(
            actor=cast.supervisor_a, village_return=return_of(campaign, village_2), reason="再查"
        )
    event = AuditEvent.objects.get(action="census.countersign")
    assert event.region_code == cast.township_a.code and event.actor == cast.supervisor_a
    # Township B has not countersigned: the district has nothing to sign yet.
    assert not WorkItem.objects.filter(kind=services.SIGN_ITEM).exists()


def test_district_signs_after_every_township_and_that_closes_the_campaign(cast: Cast) -> None:
    campaign = open_campaign(cast)
    certify_all(cast, campaign)
    services.township_countersign(actor=cast.supervisor_a, countersign=countersign_of(campaign, cast.township_a))
    with pytest.raises(ValidationError):
        services.campaign_sign(actor=cast.district_admin, campaign=campaign)
    services.township_countersign(actor=cast.supervisor_b, countersign=countersign_of(campaign, cast.township_b))
    sign_item = WorkItem.objects.get(kind=services.SIGN_ITEM)
    assert sign_item.owner_organisation == cast.civil_affairs and sign_item.owner_role == Role.DISTRICT_ADMIN
    assert list(my_items(cast.district_admin)) == [sign_item]

    with pytest.raises(PermissionDenied):
        services.campaign_sign(actor=cast.supervisor_a, campaign=campaign)
    with pytest.raises(PermissionDenied):
        services.campaign_sign(actor=cast.outsider, campaign=campaign)
    response = client_for(cast.district_admin).post(reverse("campaign_sign", args=[campaign.pk]))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.is_closed and campaign.district_signed_by == cast.district_admin
    sign_item.refresh_from_db()
    assert sign_item.status == ItemStatus.DONE
    assert AuditEvent.objects.get(action="census.sign").region_code == "350303000000"
    assert not WorkItem.objects.filter(status=ItemStatus.OPEN).exists()
    with pytest.raises(ValidationError):
        services.campaign_sign(actor=cast.district_admin, campaign=campaign)
    with pytest.raises(ValidationError):
        services.village_return_reopen(
            actor=cast.supervisor_a, village_return=return_of(campaign, cast.village_a), reason="再查"
        )
    body = client_for(cast.district_admin).get(reverse("campaign_list")).content.decode()
    assert "100%" in body


# --- Who sees what -----------------------------------------------------------------------------


def test_a_village_director_cannot_reach_another_village(cast: Cast) -> None:
    campaign = open_campaign(cast)
    other = reverse("village_return", args=[campaign.pk, cast.village_a.code])
    client = client_for(cast.director_b)
    assert client.get(other).status_code == 404
    data = {"households_visited": "1", "children_found": "1", "left_behind_found": "1"}
    assert client.post(other, data).status_code == 404
    assert client.post(reverse("village_certify", args=[campaign.pk, cast.village_a.code])).status_code == 404
    assert return_of(campaign, cast.village_a).households_visited is None
    with pytest.raises(PermissionDenied):
        services.village_return_save(
            actor=cast.director_b,
            village_return=return_of(campaign, cast.village_a),
            households_visited=1,
            children_found=1,
            left_behind_found=1,
        )
    # Their own village's form is there; the campaign page leads to it and to nothing else.
    own = client.get(reverse("village_return", args=[campaign.pk, cast.village_b.code]))
    assert own.status_code == 200 and 'data-testid="return-form"' in own.content.decode()
    body = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "白沙村委会" in body and "东大村委会" not in body and "江口镇" not in body


def test_township_pages_are_for_that_township(cast: Cast) -> None:
    campaign = open_campaign(cast)
    fill_and_certify(cast.director_a, return_of(campaign, cast.village_a), children=40)
    url = reverse("township_progress", args=[campaign.pk, cast.township_a.code])
    assert client_for(cast.supervisor_b).get(url).status_code == 404
    assert client_for(cast.director_a).get(url).status_code == 404
    assert client_for(cast.outsider).get(url).status_code == 404
    response = client_for(cast.supervisor_a).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "东大村委会" in body and 'data-testid="countersign"' in body
    # Township B's supervisor sees the campaign, with their own township only.
    body = client_for(cast.supervisor_b).get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "白沙镇" in body and "江口镇" not in body
    assert client_for(cast.outsider).get(reverse("campaign_detail", args=[campaign.pk])).status_code == 404
    assert "2026年第四季度" not in client_for(cast.outsider).get(reverse("campaign_list")).content.decode()


def test_the_campaign_page_shows_progress_by_township(cast: Cast) -> None:
    campaign = open_campaign(cast)
    fill_and_certify(cast.director_a, return_of(campaign, cast.village_a), children=40, left_behind=12)
    response = client_for(cast.district_admin).get(reverse("campaign_detail", args=[campaign.pk]))
    rows = {row.countersign.township.name: row.progress for row in response.context["townships"]}
    assert (rows["江口镇"].certified, rows["江口镇"].total, rows["江口镇"].children) == (1, 1, 40)
    assert (rows["白沙镇"].certified, rows["白沙镇"].total, rows["白沙镇"].percent) == (0, 1, 0)
    assert response.context["progress"].percent == 50
    body = response.content.decode()
    assert 'class="progress-bar' in body
    assert reverse("township_progress", args=[campaign.pk, cast.township_a.code]) in body
    listing = client_for(cast.district_admin).get(reverse("campaign_list")).content.decode()
    assert "1/2 · 50%" in listing


def test_the_campaign_list_does_not_query_per_campaign(cast: Cast) -> None:
    open_campaign(cast, "第一次")
    client = client_for(cast.district_admin)
    client.get(reverse("campaign_list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("campaign_list"))
    open_campaign(cast, "第二次", start_in=40)
    open_campaign(cast, "第三次", start_in=80)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("campaign_list"))
    assert len(three) == len(one)


def test_certifying_from_the_form_saves_what_is_on_screen(cast: Cast) -> None:
    campaign = open_campaign(cast)
    client = client_for(cast.director_a)
    url = reverse("village_return", args=[campaign.pk, cast.village_a.code])
    client.post(url, {"households_visited": "120", "children_found": "40", "left_behind_found": "3", "note": ""})
    # The officer corrects a number and certifies without saving first.
    response = client.post(
        reverse("village_certify", args=[campaign.pk, cast.village_a.code]),
        {"households_visited": "120", "children_found": "40", "left_behind_found": "12", "note": ""},
    )
    assert response.status_code == 302
    row = return_of(campaign, cast.village_a)
    assert row.left_behind_found == 12 and row.is_certified
    # Invalid numbers on the screen: nothing is certified.
    other = open_campaign(cast, name="第二次", start_in=40)
    response = client.post(
        reverse("village_certify", args=[other.pk, cast.village_a.code]),
        {"households_visited": "-1", "children_found": "40", "left_behind_found": "50", "note": ""},
    )
    assert response.status_code == 200
    assert not return_of(other, cast.village_a).is_certified


def test_a_campaign_name_is_not_used_twice_in_a_district(cast: Cast) -> None:
    first = open_campaign(cast)
    with pytest.raises(ValidationError):
        open_campaign(cast)
    # The database holds the rule too (two officers pressing "open" at once), except for a
    # cancelled campaign, whose name is free again.
    from django.db import IntegrityError, transaction

    copy = {
        "name": first.name,
        "region_code": first.region_code,
        "starts_on": first.starts_on,
        "ends_on": first.ends_on,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(**copy)
    services.campaign_cancel(actor=cast.district_admin, campaign=first, reason="重开")
    Campaign.objects.create(**copy)


# --- Found in a user test ------------------------------------------------------------------------


def _error_texts(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


def test_absurd_and_inconsistent_counts_are_refused_at_the_field(cast: Cast) -> None:
    campaign = open_campaign(cast)
    row = return_of(campaign, cast.village_a)
    client = client_for(cast.director_a)
    url = reverse("village_return", args=[campaign.pk, cast.village_a.code])
    # An extra digit or two: refused before it reaches PostgreSQL's integer column.
    response = client.post(url, {"households_visited": "99999999999", "children_found": "5", "left_behind_found": "2"})
    assert response.status_code == 200 and list(response.context["form"].errors) == ["households_visited"]
    assert "100000" in response.context["form"].errors["households_visited"][0]
    # Children found in no household visited.
    response = client.post(url, {"households_visited": "0", "children_found": "5", "left_behind_found": "2"})
    assert response.status_code == 200 and list(response.context["form"].errors) == ["households_visited"]
    with pytest.raises(ValidationError) as exc:
        services.village_return_save(
            actor=cast.director_a, village_return=row, households_visited=0, children_found=3, left_behind_found=0
        )
    assert set(exc.value.error_dict) == {"households_visited"}
    with pytest.raises(ValidationError) as exc:
        services.village_return_save(
            actor=cast.director_a,
            village_return=row,
            households_visited=10,
            children_found=200_001,
            left_behind_found=0,
        )
    assert set(exc.value.error_dict) == {"children_found"}
    row.refresh_from_db()
    assert row.households_visited is None
    # A village with no children at all is a real answer.
    empty = {"households_visited": "0", "children_found": "0", "left_behind_found": "0"}
    assert client.post(url, empty).status_code == 302


def test_a_campaign_longer_than_a_year_is_refused_at_the_end_date(cast: Cast) -> None:
    today = timezone.localdate()
    response = client_for(cast.district_admin).post(
        reverse("campaign_create"),
        {"name": "年份输错", "district": str(cast.county.pk), "starts_on": "0001-01-01", "ends_on": "9999-12-31"},
    )
    assert response.status_code == 200 and list(response.context["form"].errors) == ["ends_on"]
    with pytest.raises(ValidationError) as exc:
        services.campaign_open(
            actor=cast.district_admin,
            name="年份输错",
            district=cast.county,
            starts_on=today,
            ends_on=today.replace(year=today.year + 2),
        )
    assert "ends_on" in exc.value.error_dict
    assert not Campaign.objects.exists()
    open_campaign(cast, days=366)


def test_to_do_items_name_their_campaign(cast: Cast) -> None:
    first = open_campaign(cast, name="第一季度排查")
    open_campaign(cast, name="第二季度排查", start_in=40)
    titles = sorted(certify_items().filter(region_code=cast.village_a.code).values_list("title", flat=True))
    assert len(set(titles)) == 2 and "第一季度排查" in titles[0] + titles[1] and "第二季度排查" in titles[0] + titles[1]
    fill_and_certify(cast.director_a, return_of(first, cast.village_a))
    assert "第一季度排查" in WorkItem.objects.get(kind=services.COUNTERSIGN_ITEM).title


def test_a_page_left_open_says_why_nothing_changed(cast: Cast) -> None:
    campaign = open_campaign(cast)
    row = return_of(campaign, cast.village_a)
    url = reverse("village_return", args=[campaign.pk, cast.village_a.code])
    fill_and_certify(cast.director_a, row)
    # The officer's second tab still shows the form: saving tells them the return is certified.
    response = client_for(cast.director_a).post(
        url, {"households_visited": "1", "children_found": "1", "left_behind_found": "0"}
    )
    assert response.status_code == 200 and len(_error_texts(response)) == 1
    assert _error_texts(response)[0] in response.content.decode()
    # The supervisor's page was open before the township countersigned.
    services.township_countersign(actor=cast.supervisor_a, countersign=countersign_of(campaign, cast.township_a))
    response = client_for(cast.supervisor_a).post(
        reverse("village_reopen", args=[campaign.pk, cast.village_a.code]), {"reason": "再查"}
    )
    assert response.status_code == 200 and len(_error_texts(response)) == 1
    assert _error_texts(response)[0] in response.content.decode()
    assert return_of(campaign, cast.village_a).is_certified


def test_countersigning_with_a_note_too_long_keeps_it_unsigned(cast: Cast) -> None:
    campaign = open_campaign(cast)
    fill_and_certify(cast.director_a, return_of(campaign, cast.village_a))
    response = client_for(cast.supervisor_a).post(
        reverse("township_countersign", args=[campaign.pk, cast.township_a.code]), {"note": "核" * 2001}, follow=True
    )
    assert response.status_code == 200 and len(_error_texts(response)) == 1
    assert not countersign_of(campaign, cast.township_a).is_signed


def test_totals_count_certified_returns_only(cast: Cast) -> None:
    campaign = open_campaign(cast)
    fill_and_certify(cast.director_a, return_of(campaign, cast.village_a), children=40, left_behind=12)
    services.village_return_save(
        actor=cast.director_b,
        village_return=return_of(campaign, cast.village_b),
        households_visited=999,
        children_found=99,
        left_behind_found=9,
    )
    response = client_for(cast.district_admin).get(reverse("campaign_detail", args=[campaign.pk]))
    progress = response.context["progress"]
    assert (progress.households, progress.children, progress.left_behind) == (120, 40, 12)
    rows = {row.countersign.township.name: row.progress for row in response.context["townships"]}
    assert (rows["白沙镇"].households, rows["白沙镇"].children) == (0, 0)


# --- Cancelling --------------------------------------------------------------------------------


def test_the_district_cancels_a_campaign_opened_by_mistake(cast: Cast) -> None:
    campaign = open_campaign(cast, name="荒谬")
    fill_and_certify(cast.director_a, return_of(campaign, cast.village_a))
    assert WorkItem.objects.filter(status=ItemStatus.OPEN).exists()
    client = client_for(cast.district_admin)
    page = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="campaign-cancel"' in page

    # A reason is required; nothing changes without one.
    response = client.post(reverse("campaign_cancel", args=[campaign.pk]), {"reason": " "}, follow=True)
    assert "请说明撤销排查活动的原因。" in response.content.decode()
    campaign.refresh_from_db()
    assert not campaign.is_cancelled

    client.post(reverse("campaign_cancel", args=[campaign.pk]), {"reason": "年份填错"})
    campaign.refresh_from_db()
    assert campaign.is_cancelled and campaign.is_closed and not campaign.is_signed
    assert campaign.cancelled_by == cast.district_admin and campaign.cancel_reason == "年份填错"
    # Every to-do item of the campaign is closed; what the village typed stays on record.
    assert not WorkItem.objects.filter(status=ItemStatus.OPEN).exists()
    assert return_of(campaign, cast.village_a).children_found == 40
    event = AuditEvent.objects.get(action="census.cancel")
    assert event.actor == cast.district_admin and event.region_code == "350303000000"

    page = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "已撤销" in page and "年份填错" in page and 'data-testid="campaign-cancel"' not in page
    # No township is shown as still having work to do in it.
    assert "无需办理（活动已撤销）" in page and "村（社区）确认中" not in page and "待会签" not in page
    assert "已撤销" in client.get(reverse("campaign_list")).content.decode()
    # Nothing can be done in it any more, and it cannot be cancelled or signed again.
    with pytest.raises(ValidationError, match="撤销"):
        services.village_return_save(
            actor=cast.director_b,
            village_return=return_of(campaign, cast.village_b),
            households_visited=1,
            children_found=0,
            left_behind_found=0,
        )
    with pytest.raises(ValidationError):
        services.campaign_cancel(actor=cast.district_admin, campaign=campaign, reason="再撤")
    with pytest.raises(ValidationError):
        services.campaign_sign(actor=cast.district_admin, campaign=campaign)
    # Its name is free again: the corrected campaign is opened under it.
    assert open_campaign(cast, name="荒谬").pk != campaign.pk


@pytest.mark.parametrize("role", ["supervisor_a", "director_a", "leader", "outsider"])
def test_only_the_district_cancels(cast: Cast, role: str) -> None:
    campaign = open_campaign(cast)
    with pytest.raises(PermissionDenied):
        services.campaign_cancel(actor=getattr(cast, role), campaign=campaign, reason="误开")
    response = client_for(getattr(cast, role)).post(reverse("campaign_cancel", args=[campaign.pk]), {"reason": "误开"})
    assert response.status_code in (403, 404)
    campaign.refresh_from_db()
    assert not campaign.is_cancelled


def test_a_signed_campaign_cannot_be_cancelled(cast: Cast) -> None:
    campaign = open_campaign(cast)
    certify_all(cast, campaign)
    services.township_countersign(actor=cast.supervisor_a, countersign=countersign_of(campaign, cast.township_a))
    services.township_countersign(actor=cast.supervisor_b, countersign=countersign_of(campaign, cast.township_b))
    services.campaign_sign(actor=cast.district_admin, campaign=campaign)
    with pytest.raises(ValidationError, match="已签署"):
        services.campaign_cancel(actor=cast.district_admin, campaign=campaign, reason="误开")
    page = client_for(cast.district_admin).get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert 'data-testid="campaign-cancel"' not in page


def test_a_campaign_that_has_not_started_says_so(cast: Cast) -> None:
    today = timezone.localdate()
    campaign = services.campaign_open(
        actor=cast.district_admin,
        name="明年第一季度",
        district=cast.county,
        starts_on=today + timedelta(days=10),
        ends_on=today + timedelta(days=40),
    )
    client = client_for(cast.district_admin)
    assert "未开始" in client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "未开始" in client.get(reverse("campaign_list")).content.decode()
    started = open_campaign(cast, days=5)
    assert "未开始" not in client.get(reverse("campaign_detail", args=[started.pk])).content.decode()


def test_a_campaign_over_the_dates_of_an_open_one_is_refused(cast: Cast) -> None:
    first = open_campaign(cast, days=30)
    with pytest.raises(ValidationError, match=first.name):
        open_campaign(cast, name="并行测试", days=10)
    # Once the first is cancelled (or signed and closed), the dates are free.
    services.campaign_cancel(actor=cast.district_admin, campaign=first, reason="日期有误")
    assert open_campaign(cast, name="并行测试", days=10).pk


def test_a_village_fills_in_its_return_only_once_the_campaign_has_started(cast: Cast) -> None:
    campaign = open_campaign(cast, name="下月排查", start_in=10)
    row = return_of(campaign, cast.village_a)
    with pytest.raises(ValidationError) as refused:
        services.village_return_save(
            actor=cast.director_a, village_return=row, households_visited=1, children_found=0, left_behind_found=0
        )
    assert campaign.starts_on.isoformat() in refused.value.messages[0]
    client = client_for(cast.director_a)
    url = reverse("village_return", args=[campaign.pk, cast.village_a.code])
    page = client.get(url).content.decode()
    assert 'data-testid="not-started"' in page and 'data-testid="return-form"' not in page
    response = client.post(url, {"households_visited": "1", "children_found": "0", "left_behind_found": "0"})
    assert return_of(campaign, cast.village_a).households_visited is None
    assert "开始" in response.content.decode()
    # The township and the district see the page without the notice meant for the village.
    assert 'data-testid="not-started"' not in client_for(cast.supervisor_a).get(url).content.decode()
