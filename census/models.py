"""Census campaigns (摸底排查): each village certifies "no duplicates, no omissions" (不重不漏),
each township countersigns, the district signs and so closes the campaign."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.scoping import ScopedQuerySet, ScopedUser, scope_prefix_of
from regions.models import Region

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class CampaignQuerySet(ScopedQuerySet["Campaign"]):
    def for_user(self, user: ScopedUser | AnonymousUser | None) -> Self:
        """Campaigns in the user's jurisdiction, and those with a village return in it.

        A campaign sits at the district, above the townships and villages that do its work; they
        see it through their own returns, and so never a campaign that does not reach them.
        """
        prefix = scope_prefix_of(user)
        if not prefix:  # None: nothing; "": everything
            return super().for_user(user)
        reached = VillageReturn.objects.for_user(user).values("campaign_id")
        return self.filter(models.Q(region_code__startswith=prefix) | models.Q(pk__in=reached))


class Campaign(TimeStampedModel):
    scope_path: ClassVar[str] = "region_code"

    name = models.CharField(_("name"), max_length=100)
    # The district's 12-digit code.
    region_code = models.CharField(_("jurisdiction code"), max_length=12, db_index=True)
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"))
    description = models.TextField(_("description"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    district_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by the district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    district_signed_at = models.DateTimeField(_("signed by the district at"), null=True, blank=True)
    # A campaign opened by mistake (wrong period, wrong name) is cancelled, not deleted: its
    # to-do items close and what villages had typed stays on record.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("census campaign")
        verbose_name_plural = _("census campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start"
            ),
            # Two districts' officers pressing "open" at once must not make two campaigns of one
            # name; a cancelled campaign leaves its name free.
            models.UniqueConstraint(
                fields=["region_code", "name"],
                condition=models.Q(cancelled_at__isnull=True),
                name="campaign_one_name_per_district",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return self.region_code

    @property
    def is_signed(self) -> bool:
        return self.district_signed_at is not None

    @property
    def has_started(self) -> bool:
        return self.starts_on <= timezone.localdate()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_closed(self) -> bool:
        """Signed or cancelled: no step can be taken any more."""
        return self.is_signed or self.is_cancelled


class VillageReturnQuerySet(ScopedQuerySet["VillageReturn"]):
    def certified(self) -> VillageReturnQuerySet:
        return self.filter(certified_at__isnull=False)


class VillageReturn(TimeStampedModel):
    """One village's result in a campaign; the rows are made when the campaign opens."""

    scope_path: ClassVar[str] = "region_code"

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("census campaign"), on_delete=models.CASCADE, related_name="returns"
    )
    village = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey(Region, verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    # The village's code, copied for scoping on one indexed column.
    region_code = models.CharField(_("jurisdiction code"), max_length=12, db_index=True)
    # Empty until the village reports.
    households_visited = models.PositiveIntegerField(_("households visited"), null=True, blank=True)
    children_found = models.PositiveIntegerField(_("children found"), null=True, blank=True)
    left_behind_found = models.PositiveIntegerField(_("left-behind children found"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("certified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    certified_at = models.DateTimeField(_("certified at"), null=True, blank=True)
    reopen_reason = models.CharField(_("reason for returning"), max_length=500, blank=True)

    objects = VillageReturnQuerySet.as_manager()

    class Meta:
        verbose_name = _("village census return")
        verbose_name_plural = _("village census returns")
        ordering = ["campaign_id", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "region_code"], name="villagereturn_one_per_village"),
            models.CheckConstraint(
                condition=models.Q(left_behind_found__lte=models.F("children_found")),
                name="villagereturn_left_behind_within_children",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.village}"

    @property
    def audit_region_code(self) -> str:
        return self.region_code

    @property
    def is_filled(self) -> bool:
        return None not in (self.households_visited, self.children_found, self.left_behind_found)

    @property
    def is_certified(self) -> bool:
        return self.certified_at is not None


class TownshipCountersignQuerySet(ScopedQuerySet["TownshipCountersign"]):
    def signed(self) -> TownshipCountersignQuerySet:
        return self.filter(signed_at__isnull=False)


class TownshipCountersign(TimeStampedModel):
    """One township's countersignature of its villages' returns; made, unsigned, when the campaign opens."""

    scope_path: ClassVar[str] = "region_code"

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("census campaign"), on_delete=models.CASCADE, related_name="countersigns"
    )
    township = models.ForeignKey(Region, verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    # The township's code, copied for scoping on one indexed column.
    region_code = models.CharField(_("jurisdiction code"), max_length=12, db_index=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("countersigned by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("countersigned at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = TownshipCountersignQuerySet.as_manager()

    class Meta:
        verbose_name = _("township countersignature")
        verbose_name_plural = _("township countersignatures")
        ordering = ["campaign_id", "region_code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "region_code"], name="townshipcountersign_one_per_township")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.township}"

    @property
    def audit_region_code(self) -> str:
        return self.region_code

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
