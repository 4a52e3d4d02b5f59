from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from regions.models import Region


def region_roots_for(user: Any) -> QuerySet[Region]:
    """The top of what the user can see: their own jurisdiction, or provinces for the whole country."""
    scoped = Region.objects.for_user(user).active()
    jurisdiction = getattr(user, "jurisdiction", None)
    if jurisdiction is not None:
        return scoped.filter(pk=jurisdiction.pk)
    return scoped.filter(parent__isnull=True)


def children_of(user: Any, region: Region, query: str = "") -> QuerySet[Region]:
    qs = Region.objects.for_user(user).active().filter(parent=region)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(code__startswith=query))
    return qs.annotate(child_count=Count("children", filter=Q(children__is_active=True))).order_by("code")
