"""Writes of the census. Each is atomic, audited, and keeps the to-do items in step: a village's
item to certify, its township's item to countersign once every village has certified, and the
district's item to sign once every township has countersigned."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organisation, User
from accounts.roles import OrgKind, Role
from census.models import Campaign, TownshipCountersign, VillageReturn
from core import audit
from exchange.selectors import open_discrepancy_count, significant
from regions.models import Level, Region
from worklist import services as worklist

# Kinds of to-do item (worklist.models.ItemKind has no census entries yet).
CERTIFY_ITEM = "census_certify"
COUNTERSIGN_ITEM = "census_countersign"
SIGN_ITEM = "census_sign"

RETURN_FIELDS = ["households_visited", "children_found", "left_behind_found", "note"]
NOT_NEGATIVE = gettext_lazy("Enter zero or a positive number.")
# Far above any village's figures (Hanjiang's largest community has a few thousand households):
# a larger number is a typing slip, and would overflow PostgreSQL's integer column.
MAX_COUNT = 100_000
TOO_LARGE = gettext_lazy("This number is too large for one village; check it (at most 100000).")
CHILDREN_WITHOUT_HOUSEHOLDS = gettext_lazy(
    "Children were found, so at least one household must have been visited; check the number of households."
)
# A census runs for a quarter or a year; a longer period is a slip in the year of a date.
MAX_CAMPAIGN_DAYS = 366
PERIOD_TOO_LONG = gettext_lazy("A campaign lasts at most one year; check the year of the dates.")
LEFT_BEHIND_TOO_MANY = gettext_lazy("Left-behind children found cannot be more than children found.")
END_BEFORE_START = gettext_lazy("The end date cannot be before the start date.")
REASON_REQUIRED = gettext_lazy("Give the reason for returning the return.")
CANCEL_REASON_REQUIRED = gettext_lazy("Say why the campaign is cancelled.")
CANCELLED = gettext_lazy("This campaign was cancelled by the district.")
DUPLICATE_NAME = gettext_lazy("This district already has a campaign with this name.")


class Step(StrEnum):
    OPEN = "open"
    FILL = "fill"
    CERTIFY = "certify"
    REOPEN = "reopen"
    COUNTERSIGN = "countersign"
    SIGN = "sign"
    CANCEL = "cancel"


def may(actor: User | object, step: Step) -> bool:
    """Whether the actor's role takes this step of a campaign (jurisdiction is checked apart)."""
    district = {Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN}
    roles = {
        Step.OPEN: district,
        Step.FILL: {Role.VILLAGE_DIRECTOR},
        Step.CERTIFY: {Role.VILLAGE_DIRECTOR},
        Step.REOPEN: {Role.TOWNSHIP_SUPERVISOR},
        Step.COUNTERSIGN: {Role.TOWNSHIP_SUPERVISOR},
        Step.SIGN: district,
        Step.CANCEL: district,
    }[step]
    return getattr(actor, "role", None) in roles


def _require(actor: User, step: Step, row: Campaign | VillageReturn | TownshipCountersign) -> None:
    """The role takes the step, and the row lies in the actor's jurisdiction; else 403."""
    if not may(actor, step):
        raise PermissionDenied
    if not type(row).objects.for_user(actor).filter(pk=row.pk).exists():
        raise PermissionDenied


def _due_in_days(campaign: Campaign) -> int:
    return max((campaign.ends_on - timezone.localdate()).days, 0)


def _organisation(region_code: str, kind: str) -> Organisation | None:
    return Organisation.objects.filter(region__code=region_code, kind=kind, is_active=True).order_by("id").first()


def _check_open(campaign: Campaign) -> None:
    if campaign.is_cancelled:
        raise ValidationError(CANCELLED)
    if campaign.is_closed:
        raise ValidationError(_("This campaign has been closed by the district."))


def _check_started(campaign: Campaign) -> None:
    """Villages count what they find during the campaign's period, not before it."""
    if not campaign.has_started:
        raise ValidationError(
            _("This campaign starts on %(date)s: the village's return can be filled in from then.")
            % {"date": campaign.starts_on.isoformat()}
        )


# --- Opening ---------------------------------------------------------------------------------


@transaction.atomic
def campaign_open(
    *, actor: User, name: str, district: Region, starts_on: date, ends_on: date, description: str = ""
) -> Campaign:
    """Open a campaign in a district: one return per village, one countersignature per township,
    and a to-do item for each village committee's child director."""
    if not may(actor, Step.OPEN):
        raise PermissionDenied
    if district.level != Level.COUNTY or not Region.objects.for_user(actor).filter(pk=district.pk).exists():
        raise ValidationError({"district": _("Choose a district within your jurisdiction.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the campaign a name.")})
    # A cancelled campaign leaves its name free: it is usually opened again, corrected.
    if Campaign.objects.filter(region_code=district.code, name=name.strip(), cancelled_at=None).exists():
        raise ValidationError({"name": DUPLICATE_NAME})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": END_BEFORE_START})
    if ends_on < timezone.localdate():
        raise ValidationError({"ends_on": _("The end date cannot be in the past.")})
    if (ends_on - starts_on).days > MAX_CAMPAIGN_DAYS:
        raise ValidationError({"ends_on": PERIOD_TOO_LONG})
    overlapping = (
        Campaign.objects.filter(
            region_code=district.code,
            cancelled_at=None,
            district_signed_at=None,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        .order_by("starts_on")
        .first()
    )
    if overlapping is not None:
        # Every village would get two census items for the same weeks.
        raise ValidationError(
            {
                "starts_on": _(
                    "The campaign %(name)s (%(start)s – %(end)s) is still open over these dates. "
                    "Choose other dates, or cancel or close that campaign first."
                )
                % {"name": overlapping.name, "start": overlapping.starts_on, "end": overlapping.ends_on}
            }
        )
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, is_active=True, code__startswith=district.prefix).order_by("code")
    )
    if not villages:
        raise ValidationError(_("This district has no villages in the system yet."))
    townships = {
        t.code: t for t in Region.objects.filter(level=Level.TOWNSHIP, code__in={v.code[:9] + "000" for v in villages})
    }
    missing = sorted({v.code[:9] + "000" for v in villages} - set(townships))
    if missing:
        raise ValidationError(
            _("The townships of some villages are missing from the region tree: %(codes)s")
            % {"codes": ", ".join(missing)}
        )

    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(
                name=name.strip(),
                region_code=district.code,
                starts_on=starts_on,
                ends_on=ends_on,
                description=description.strip(),
                opened_by=actor,
            )
    except IntegrityError:  # opened by someone else since the check above
        raise ValidationError({"name": DUPLICATE_NAME}) from None
    TownshipCountersign.objects.bulk_create(
        [TownshipCountersign(campaign=campaign, township=t, region_code=t.code) for t in townships.values()]
    )
    returns = VillageReturn.objects.bulk_create(
        [
            VillageReturn(campaign=campaign, village=v, township=townships[v.code[:9] + "000"], region_code=v.code)
            for v in villages
        ]
    )
    audit.record_change(
        actor=actor,
        action="census.open",
        obj=campaign,
        detail=_("%(villages)s villages in %(townships)s townships")
        % {"villages": len(villages), "townships": len(townships)},
    )
    committees = {
        o.region_id: o
        for o in Organisation.objects.filter(
            region__in=villages, kind=OrgKind.VILLAGE_COMMITTEE, is_active=True
        ).order_by("-id")
    }
    for village_return in returns:
        _open_certify_item(actor, campaign, village_return, committees.get(village_return.village_id))
    return campaign


def _open_certify_item(
    actor: User, campaign: Campaign, village_return: VillageReturn, committee: Organisation | None, note: str = ""
) -> None:
    # A village with no committee in the system gets no item; the campaign page still lists it.
    if committee is None:
        return
    worklist.item_open(
        actor=actor,
        kind=CERTIFY_ITEM,
        # The campaign's name tells apart the items of two campaigns open at once.
        title=_("Certify the census of %(village)s (%(campaign)s)")
        % {"village": village_return.village.name, "campaign": campaign.name},
        target=village_return,
        region_code=village_return.region_code,
        owner_organisation=committee,
        owner_role=Role.VILLAGE_DIRECTOR,
        url=reverse("village_return", args=[campaign.pk, village_return.region_code]),
        due_in_days=_due_in_days(campaign),
        note=note,
    )


# --- The village -----------------------------------------------------------------------------


def _check_no_open_discrepancies(prefix: str) -> None:
    """不重不漏 cannot be certified while data matching has open discrepancies in the area."""
    count = open_discrepancy_count(prefix)
    if count:
        raise ValidationError(
            _(
                "%(count)s discrepancies found by data matching are still open here; they must be verified "
                "before no duplicates and no omissions can be certified."
            )
            % {"count": count}
        )


def _check_counts(households_visited: int, children_found: int, left_behind_found: int) -> None:
    errors: dict[str, list[ValidationError]] = {}
    for field, value in (
        ("households_visited", households_visited),
        ("children_found", children_found),
        ("left_behind_found", left_behind_found),
    ):
        if value < 0:
            errors[field] = [ValidationError(NOT_NEGATIVE, code="negative")]
        elif value > MAX_COUNT:
            errors[field] = [ValidationError(TOO_LARGE, code="too_large")]
    if "left_behind_found" not in errors and left_behind_found > children_found:
        errors["left_behind_found"] = [ValidationError(LEFT_BEHIND_TOO_MANY, code="too_many")]
    if "households_visited" not in errors and households_visited == 0 and children_found > 0:
        errors["households_visited"] = [ValidationError(CHILDREN_WITHOUT_HOUSEHOLDS, code="no_households")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def village_return_save(
    *,
    actor: User,
    village_return: VillageReturn,
    households_visited: int,
    children_found: int,
    left_behind_found: int,
    note: str = "",
) -> VillageReturn:
    _require(actor, Step.FILL, village_return)
    village_return = VillageReturn.objects.select_for_update().select_related("campaign").get(pk=village_return.pk)
    _check_open(village_return.campaign)
    _check_started(village_return.campaign)
    if village_return.is_certified:
        raise ValidationError(
            _("This return has been certified and cannot be changed; the township supervisor can return it.")
        )
    _check_counts(households_visited, children_found, left_behind_found)
    before = audit.snapshot(village_return, RETURN_FIELDS)
    village_return.households_visited = households_visited
    village_return.children_found = children_found
    village_return.left_behind_found = left_behind_found
    village_return.note = note.strip()
    village_return.save()
    audit.record_change(
        actor=actor,
        action="census.save",
        obj=village_return,
        before=before,
        after=audit.snapshot(village_return, RETURN_FIELDS),
    )
    return village_return


@transaction.atomic
def village_return_certify(*, actor: User, village_return: VillageReturn) -> VillageReturn:
    """The village child director certifies: no duplicates, no omissions (不重不漏)."""
    _require(actor, Step.CERTIFY, village_return)
    # Lock the township's row first, so that two villages certifying at once agree on which is last.
    countersign = (
        TownshipCountersign.objects.select_for_update()
        .select_related("township")
        .get(campaign_id=village_return.campaign_id, township_id=village_return.township_id)
    )
    village_return = (
        VillageReturn.objects.select_for_update().select_related("campaign", "village").get(pk=village_return.pk)
    )
    campaign = village_return.campaign
    _check_open(campaign)
    _check_started(campaign)
    if village_return.is_certified:
        raise ValidationError(_("This return has already been certified."))
    if not village_return.is_filled:
        raise ValidationError(_("Fill in and save the return before certifying it."))
    _check_no_open_discrepancies(village_return.village.prefix)
    before = audit.snapshot(village_return, ["certified_by", "certified_at"])
    village_return.certified_by = actor
    village_return.certified_at = timezone.now()
    village_return.reopen_reason = ""
    village_return.save()
    audit.record_change(
        actor=actor,
        action="census.certify",
        obj=village_return,
        before=before,
        after=audit.snapshot(village_return, ["certified_by", "certified_at"]),
    )
    worklist.items_close_for(
        actor=actor, target=village_return, kinds=[CERTIFY_ITEM], resolution=_("Certified: no duplicates, no omissions")
    )
    pending = VillageReturn.objects.filter(campaign=campaign, township_id=countersign.township_id, certified_at=None)
    if not pending.exists():
        government = _organisation(countersign.region_code, OrgKind.TOWNSHIP_GOVERNMENT)
        if government is not None:
            worklist.item_open(
                actor=actor,
                kind=COUNTERSIGN_ITEM,
                title=_("Countersign the census of %(township)s (%(campaign)s)")
                % {"township": countersign.township.name, "campaign": campaign.name},
                target=countersign,
                region_code=countersign.region_code,
                owner_organisation=government,
                owner_role=Role.TOWNSHIP_SUPERVISOR,
                url=reverse("township_progress", args=[campaign.pk, countersign.region_code]),
                due_in_days=_due_in_days(campaign),
            )
    return village_return


@transaction.atomic
def village_return_reopen(*, actor: User, village_return: VillageReturn, reason: str) -> VillageReturn:
    """The township supervisor returns a certified return to the village, with the reason."""
    _require(actor, Step.REOPEN, village_return)
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    countersign = TownshipCountersign.objects.select_for_update().get(
        campaign_id=village_return.campaign_id, township_id=village_return.township_id
    )
    village_return = (
        VillageReturn.objects.select_for_update().select_related("campaign", "village").get(pk=village_return.pk)
    )
    _check_open(village_return.campaign)
    if countersign.is_signed:
        raise ValidationError(_("The township has already countersigned; the return can no longer be reopened."))
    if not village_return.is_certified:
        raise ValidationError(_("Only a certified return can be returned to the village."))
    before = audit.snapshot(village_return, ["certified_by", "certified_at", "reopen_reason"])
    village_return.certified_by = None
    village_return.certified_at = None
    village_return.reopen_reason = reason.strip()[:500]
    village_return.save()
    audit.record_change(
        actor=actor,
        action="census.reopen",
        obj=village_return,
        before=before,
        after=audit.snapshot(village_return, ["certified_by", "certified_at", "reopen_reason"]),
        detail=village_return.reopen_reason,
    )
    # Not every village has certified any more: the township has nothing to countersign yet.
    worklist.items_close_for(
        actor=actor, target=countersign, kinds=[COUNTERSIGN_ITEM], resolution=_("A village return was reopened")
    )
    committee = _organisation(village_return.region_code, OrgKind.VILLAGE_COMMITTEE)
    _open_certify_item(actor, village_return.campaign, village_return, committee, note=village_return.reopen_reason)
    return village_return


# --- The township and the district ------------------------------------------------------------


@transaction.atomic
def township_countersign(*, actor: User, countersign: TownshipCountersign, note: str = "") -> TownshipCountersign:
    """The township supervisor countersigns once every village of the township has certified."""
    _require(actor, Step.COUNTERSIGN, countersign)
    # Lock the campaign, so that two townships countersigning at once agree on which is last.
    campaign = Campaign.objects.select_for_update().get(pk=countersign.campaign_id)
    countersign = TownshipCountersign.objects.select_for_update().select_related("township").get(pk=countersign.pk)
    _check_open(campaign)
    if countersign.is_signed:
        raise ValidationError(_("This township has already countersigned."))
    pending = VillageReturn.objects.filter(
        campaign=campaign, township_id=countersign.township_id, certified_at=None
    ).count()
    if pending:
        raise ValidationError(
            _("Every village must certify its return before the township countersigns; %(count)s have not yet.")
            % {"count": pending}
        )
    _check_no_open_discrepancies(countersign.township.prefix)
    before = audit.snapshot(countersign, ["signed_by", "signed_at", "note"])
    countersign.signed_by = actor
    countersign.signed_at = timezone.now()
    countersign.note = note.strip()
    countersign.save()
    audit.record_change(
        actor=actor,
        action="census.countersign",
        obj=countersign,
        before=before,
        after=audit.snapshot(countersign, ["signed_by", "signed_at", "note"]),
    )
    worklist.items_close_for(actor=actor, target=countersign, kinds=[COUNTERSIGN_ITEM], resolution=_("Countersigned"))
    if not TownshipCountersign.objects.filter(campaign=campaign, signed_at=None).exists():
        bureau = _organisation(campaign.region_code, OrgKind.CIVIL_AFFAIRS)
        if bureau is not None:
            worklist.item_open(
                actor=actor,
                kind=SIGN_ITEM,
                title=_("Sign and close the census campaign %(campaign)s") % {"campaign": campaign.name},
                target=campaign,
                region_code=campaign.region_code,
                owner_organisation=bureau,
                owner_role=Role.DISTRICT_ADMIN,
                url=reverse("campaign_detail", args=[campaign.pk]),
                due_in_days=_due_in_days(campaign),
            )
    return countersign


@transaction.atomic
def campaign_sign(*, actor: User, campaign: Campaign) -> Campaign:
    """The district signs once every township has countersigned; this closes the campaign."""
    _require(actor, Step.SIGN, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.is_cancelled:
        raise ValidationError(CANCELLED)
    if campaign.is_closed:
        raise ValidationError(_("This campaign has already been signed and closed."))
    pending = TownshipCountersign.objects.filter(campaign=campaign, signed_at=None).count()
    if pending:
        raise ValidationError(
            _("Every township must countersign before the district signs; %(count)s have not yet.") % {"count": pending}
        )
    _check_no_open_discrepancies(significant(campaign.region_code))
    before = audit.snapshot(campaign, ["district_signed_by", "district_signed_at"])
    campaign.district_signed_by = actor
    campaign.district_signed_at = timezone.now()
    campaign.save()
    audit.record_change(
        actor=actor,
        action="census.sign",
        obj=campaign,
        before=before,
        after=audit.snapshot(campaign, ["district_signed_by", "district_signed_at"]),
    )
    worklist.items_close_for(actor=actor, target=campaign, kinds=[SIGN_ITEM], resolution=_("Signed and closed"))
    return campaign


@transaction.atomic
def campaign_cancel(*, actor: User, campaign: Campaign, reason: str) -> Campaign:
    """The district cancels a campaign it opened by mistake, before signing it.

    Every open to-do item of the campaign closes (the villages', the townships' and the
    district's own); the returns stay as typed, on record, and nothing can change any more.
    """
    _require(actor, Step.CANCEL, campaign)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.is_cancelled:
        raise ValidationError(_("This campaign has already been cancelled."))
    if campaign.is_signed:
        raise ValidationError(_("A signed campaign cannot be cancelled."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": CANCEL_REASON_REQUIRED})
    fields = ["cancelled_by", "cancelled_at", "cancel_reason"]
    before = audit.snapshot(campaign, fields)
    campaign.cancelled_by = actor
    campaign.cancelled_at = timezone.now()
    campaign.cancel_reason = reason[:500]
    campaign.save()
    audit.record_change(
        actor=actor, action="census.cancel", obj=campaign, before=before, after=audit.snapshot(campaign, fields)
    )
    resolution = _("Campaign cancelled")
    for village_return in VillageReturn.objects.filter(campaign=campaign):
        worklist.items_close_for(actor=actor, target=village_return, kinds=[CERTIFY_ITEM], resolution=resolution)
    for countersign in TownshipCountersign.objects.filter(campaign=campaign):
        worklist.items_close_for(actor=actor, target=countersign, kinds=[COUNTERSIGN_ITEM], resolution=resolution)
    worklist.items_close_for(actor=actor, target=campaign, kinds=[SIGN_ITEM], resolution=resolution)
    return campaign
