"""Reads of the census. Each starts from the jurisdiction-scoped querysets, so the progress a user
sees counts only the villages in their jurisdiction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum

from accounts.models import Organisation
from accounts.roles import OrgKind
from census.models import Campaign, CampaignQuerySet, TownshipCountersign, VillageReturn, VillageReturnQuerySet
from regions.models import Level, Region, RegionQuerySet


@dataclass
class Progress:
    total: int = 0
    certified: int = 0
    households: int = 0
    children: int = 0
    left_behind: int = 0

    @property
    def percent(self) -> int:
        return self.certified * 100 // self.total if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.certified == self.total

    def add(self, other: Progress) -> None:
        self.total += other.total
        self.certified += other.certified
        self.households += other.households
        self.children += other.children
        self.left_behind += other.left_behind


@dataclass
class TownshipRow:
    countersign: TownshipCountersign
    progress: Progress


_CERTIFIED = Q(certified_at__isnull=False)
# The sums count certified returns only: a village's draft is not yet its figure, and a total
# that mixed the two would change under the reader as villages type.
_TOTALS = {
    "total": Count("id"),
    "certified": Count("id", filter=_CERTIFIED),
    "households": Sum("households_visited", filter=_CERTIFIED),
    "children": Sum("children_found", filter=_CERTIFIED),
    "left_behind": Sum("left_behind_found", filter=_CERTIFIED),
}


def _progress(row: dict[str, Any]) -> Progress:
    return Progress(**{key: row.get(key) or 0 for key in _TOTALS})


def campaigns_for(user: Any) -> CampaignQuerySet:
    return Campaign.objects.for_user(user).order_by("-starts_on", "-id")


def attach_progress(user: Any, campaigns: Iterable[Campaign]) -> list[tuple[Campaign, Progress]]:
    """Each campaign with the progress of the villages the user can see."""
    campaigns = list(campaigns)
    rows = (
        VillageReturn.objects.for_user(user)
        .filter(campaign__in=campaigns)
        .order_by()
        .values("campaign_id")
        .annotate(**_TOTALS)
    )
    by_campaign = {row["campaign_id"]: _progress(row) for row in rows}
    return [(campaign, by_campaign.get(campaign.pk, Progress())) for campaign in campaigns]


def returns_for(user: Any, campaign: Campaign, *, township: Region | None = None) -> VillageReturnQuerySet:
    returns = VillageReturn.objects.for_user(user).filter(campaign=campaign)
    if township is not None:
        returns = returns.filter(township=township)
    return returns.select_related("village", "township", "certified_by").order_by("region_code")


def countersign_of(user: Any, village_return: VillageReturn) -> TownshipCountersign | None:
    """The township's countersignature of this return's township, if the user can see it."""
    return (
        TownshipCountersign.objects.for_user(user)
        .filter(campaign_id=village_return.campaign_id, township_id=village_return.township_id)
        .first()
    )


def townships_of(user: Any, campaign: Campaign) -> list[TownshipRow]:
    """The townships the user can see, each with its villages' progress."""
    totals = {
        row["township_id"]: _progress(row)
        for row in VillageReturn.objects.for_user(user)
        .filter(campaign=campaign)
        .order_by()
        .values("township_id")
        .annotate(**_TOTALS)
    }
    countersigns = (
        TownshipCountersign.objects.for_user(user)
        .filter(campaign=campaign)
        .select_related("township", "signed_by")
        .order_by("region_code")
    )
    return [TownshipRow(c, totals.get(c.township_id, Progress())) for c in countersigns]


def township_progress(user: Any, countersign: TownshipCountersign) -> Progress:
    row = (
        VillageReturn.objects.for_user(user)
        .filter(campaign_id=countersign.campaign_id, township_id=countersign.township_id)
        .aggregate(**_TOTALS)
    )
    return _progress(row)


def total_of(rows: Iterable[Progress]) -> Progress:
    total = Progress()
    for row in rows:
        total.add(row)
    return total


def districts_for(user: Any) -> RegionQuerySet:
    return Region.objects.for_user(user).filter(level=Level.COUNTY, is_active=True).order_by("code")


def villages_without_committee(user: Any, campaign: Campaign) -> list[str]:
    """Villages of the campaign with no committee in the system (they got no to-do item)."""
    with_committee = Organisation.objects.filter(kind=OrgKind.VILLAGE_COMMITTEE, is_active=True).values("region_id")
    return list(
        VillageReturn.objects.for_user(user)
        .filter(campaign=campaign)
        .exclude(village_id__in=with_committee)
        .order_by("region_code")
        .values_list("village__name", flat=True)
    )
