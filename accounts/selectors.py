"""Reads for accounts and the home page. Every one starts from a jurisdiction-scoped queryset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import Organisation, User
from accounts.roles import Role
from core.models import AuditEvent
from regions.models import Level, Region


def users_for(
    user: User, *, query: str = "", role: str = "", organisation_id: str = "", active: str = ""
) -> QuerySet[User]:
    qs = User.objects.for_user(user).select_related("organisation__region")
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(username__icontains=query) | Q(organisation__name__icontains=query))
    if role:
        qs = qs.filter(role=role)
    if organisation_id.isdigit():
        qs = qs.filter(organisation_id=int(organisation_id))
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs


def organisations_for(user: User, *, query: str = "", kind: str = "", member: str = "") -> QuerySet[Organisation]:
    qs = (
        Organisation.objects.for_user(user)
        .select_related("region")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("region__code", "kind", "name")
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(region__full_name__icontains=query))
    if kind:
        qs = qs.filter(kind=kind)
    if member == "1":
        qs = qs.filter(is_joint_meeting_member=True)
    return qs


def audit_events_for(
    user: User,
    *,
    kind: str = "",
    action: str = "",
    actor: str = "",
    object_type: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.for_user(user)
    if kind:
        qs = qs.filter(kind=kind)
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_name__icontains=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs


@dataclass
class DirectorCoverage:
    region: Region
    villages: int
    staffed: int

    @property
    def missing(self) -> int:
        return self.villages - self.staffed

    @property
    def percent(self) -> int:
        return round(100 * self.staffed / self.villages) if self.villages else 0


def _villages_with_director(user: User) -> QuerySet[Region]:
    has_director = User.objects.filter(organisation__region=OuterRef("pk"), role=Role.VILLAGE_DIRECTOR, is_active=True)
    return (
        Region.objects.for_user(user).active().filter(level=Level.VILLAGE).annotate(has_director=Exists(has_director))
    )


def director_coverage_by_township(user: User) -> list[DirectorCoverage]:
    """For each township in the user's jurisdiction: villages, and how many have a child director."""
    villages = list(_villages_with_director(user).values("parent_id", "has_director"))  # type: ignore[misc]
    townships = {r.pk: r for r in Region.objects.for_user(user).active().filter(level=Level.TOWNSHIP)}
    if not townships:
        # A village officer's jurisdiction holds no township: report their own township's line.
        return []
    totals: dict[int, list[int]] = {pk: [0, 0] for pk in townships}
    for row in villages:
        if row["parent_id"] in totals:
            totals[row["parent_id"]][0] += 1
            totals[row["parent_id"]][1] += int(row["has_director"])
    return [DirectorCoverage(townships[pk], v, s) for pk, (v, s) in totals.items()]


@dataclass
class VillageStaffing:
    village: Region
    directors: list[User]


def village_staffing(user: User) -> list[VillageStaffing]:
    """Each village in the user's jurisdiction with its active child directors (two queries)."""
    villages = list(Region.objects.for_user(user).active().filter(level=Level.VILLAGE).order_by("code"))
    directors: dict[int, list[User]] = {}
    for director in (
        User.objects.for_user(user)
        .filter(role=Role.VILLAGE_DIRECTOR, is_active=True)
        .select_related("organisation")
        .order_by("name")
    ):
        if director.organisation is not None:
            directors.setdefault(director.organisation.region_id, []).append(director)
    return [VillageStaffing(v, directors.get(v.pk, [])) for v in villages]


def villages_without_director(user: User, limit: int = 50) -> list[Region]:
    missing = _villages_with_director(user).filter(has_director=False)  # type: ignore[misc]
    return list(missing.select_related("parent")[:limit])


def home_summary(user: User) -> dict[str, Any]:
    regions = Region.objects.for_user(user).active()
    return {
        "township_count": regions.filter(level=Level.TOWNSHIP).count(),
        "village_count": regions.filter(level=Level.VILLAGE).count(),
        "organisation_count": Organisation.objects.for_user(user).filter(is_active=True).count(),
        "user_count": User.objects.for_user(user).filter(is_active=True).count(),
    }


def colleagues_of(user: User) -> QuerySet[User]:
    return User.objects.for_user(user).filter(organisation=user.organisation, is_active=True).exclude(pk=user.pk)


def supervisors_for_village(user: User) -> QuerySet[User]:
    """The township supervisors a village officer reports to (their names and phones are not secret)."""
    region = user.jurisdiction
    if region is None or region.parent_id is None:
        return User.objects.none()
    return User.objects.filter(
        organisation__region_id=region.parent_id, role=Role.TOWNSHIP_SUPERVISOR, is_active=True
    ).select_related("organisation")
