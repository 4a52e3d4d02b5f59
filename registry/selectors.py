"""Reads of the registry. Each starts from the jurisdiction-scoped queryset."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Organisation
from accounts.roles import OrgKind
from core.idnumber import one_edit_apart
from core.models import AuditEvent
from regions.models import Level, Region
from registry.codes import ChildStatus
from registry.models import Child, ChildNameKey
from registry.pinyin import name_keys, normalise_query

SORTS = {
    "name": ("name_sort", "name", "id"),
    "-name": ("-name_sort", "-name", "-id"),
    "birth_date": ("birth_date", "id"),
    "-birth_date": ("-birth_date", "-id"),
    "village": ("region_code", "name_sort", "id"),
    "updated": ("-updated_at", "-id"),
}
_AFTER_Z = "{"  # the character after "z": a prefix range is [q, q + "{")


def _prefix_range(column: str, prefix: str) -> Q:
    """``column`` starts with ``prefix``, as a range that a plain B-tree index serves on any database."""
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": prefix + _AFTER_Z})


def search_filter(query: str) -> Q | None:
    """What a search box query means: an ID number or its last digits, pinyin, or a Chinese name."""
    text = query.strip().replace(" ", "").upper()
    if not text:
        return None
    if text.rstrip("X").isdigit() and len(text) >= 4:
        if len(text) == 18:
            return Q(id_number=text)
        suffix = _prefix_range("id_reversed", text[::-1])
        # Six digits or more may also be the start of the number (the county code, a birth date).
        return suffix | _prefix_range("id_number", text) if len(text) >= 6 else suffix
    pinyin = normalise_query(query)
    if pinyin:
        keys = ChildNameKey.objects.filter(_prefix_range("key", pinyin)).values("child_id")
        return Q(pk__in=keys)
    return Q(name__contains=query.strip())


@dataclass
class ChildFilters:
    q: str = ""
    village: str = ""
    school: int | None = None
    status: str = ""
    flag: str = ""
    left_behind: str = ""
    sort: str = "name"


def children_for(user: Any, filters: ChildFilters | None = None) -> QuerySet[Child]:
    filters = filters or ChildFilters()
    qs = Child.objects.for_user(user).select_related("hukou_village__parent", "school")
    condition = search_filter(filters.q) if filters.q else None
    if condition is not None:
        qs = qs.filter(condition)
    if filters.village:
        area = Region.objects.for_user(user).filter(code=filters.village).first()
        qs = qs.filter(_prefix_range("region_code", area.prefix)) if area is not None else qs.none()
    if filters.school:
        qs = qs.filter(school_id=filters.school)
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif not filters.q:
        qs = qs.exclude(status=ChildStatus.EXITED)
    if filters.left_behind == "1":
        qs = qs.filter(is_left_behind=True)
    elif filters.left_behind == "0":
        qs = qs.filter(is_left_behind=False)
    if filters.flag == "key_target":
        qs = qs.filter(is_key_target=True)
    elif filters.flag:
        qs = qs.filter(_flag_q(filters.flag))
    return qs.order_by(*SORTS.get(filters.sort, SORTS["name"]))


def _flag_q(flag: str) -> Q:
    # JSON lists of short words: a substring test on the JSON text works on SQLite and PostgreSQL.
    return Q(flags__icontains=f'"{flag}"')


def villages_for(user: Any) -> QuerySet[Region]:
    return Region.objects.for_user(user).active().filter(level=Level.VILLAGE).select_related("parent").order_by("code")


def village_choices(user: Any) -> list[tuple[str, str]]:
    """(code, "township village") for the filter list: plain values, no model instances."""
    rows = villages_for(user).values_list("code", "parent__name", "name")
    return [(code, f"{township or ''} {name}") for code, township, name in rows]


def county_villages(region_code: str) -> QuerySet[Region]:
    """Every village of a county: where a file can be transferred to (names only, not personal data)."""
    return (
        Region.objects.filter(level=Level.VILLAGE, is_active=True, code__startswith=region_code[:6])
        .select_related("parent")
        .order_by("code")
    )


def schools_near(region_code: str) -> QuerySet[Organisation]:
    """Schools and kindergartens of the county: a public list, not personal data, so not scoped."""
    return Organisation.objects.filter(
        kind__in=[OrgKind.SCHOOL, OrgKind.KINDERGARTEN], is_active=True, region__code__startswith=region_code[:6]
    ).order_by("name")


def timeline(child: Child) -> QuerySet[AuditEvent]:
    changes = AuditEvent.objects.filter(object_type="registry.child", object_id=str(child.pk), kind="write")
    return changes.order_by("-at", "-id")


# --- Duplicates -----------------------------------------------------------------------------


@dataclass
class DuplicateReport:
    same_id_here: Child | None = None
    same_id_elsewhere: str = ""  # the township that holds it, and nothing more
    probable: list[tuple[Child, str]] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return self.same_id_here is not None or bool(self.same_id_elsewhere)


def find_duplicates(
    user: Any,
    *,
    name: str,
    birth_date: date | None,
    id_number: str,
    parent_ids: list[str],
    exclude_pk: int | None = None,
) -> DuplicateReport:
    report = DuplicateReport()
    everyone = Child.objects.exclude(pk=exclude_pk) if exclude_pk else Child.objects.all()
    mine = Child.objects.for_user(user).exclude(pk=exclude_pk) if exclude_pk else Child.objects.for_user(user)
    if id_number:
        same = everyone.filter(id_number=id_number).select_related("hukou_village__parent").first()
        if same is not None:
            if mine.filter(pk=same.pk).exists():
                report.same_id_here = same
            else:
                township = same.hukou_village.parent
                report.same_id_elsewhere = township.full_name if township else same.region_code[:9]
            return report

    seen: set[int] = set()

    def add(child: Child, why: str) -> None:
        if child.pk not in seen:
            seen.add(child.pk)
            report.probable.append((child, why))

    if birth_date and name:
        key = name_keys(name).full
        same_name = mine.filter(birth_date=birth_date, name_keys__key=key).distinct()[:10]
        for child in same_name:
            add(child, "same_name_and_birth_date")
    if id_number and len(id_number) == 18:
        # One wrong or transposed digit keeps the birth date in the number most of the time.
        near = mine.filter(birth_date=birth_date) if birth_date else mine.none()
        for child in near.exclude(id_number="")[:200]:
            # Compare the 17 digits: a mistyped digit comes with a check character of its own.
            if one_edit_apart(child.id_number[:17], id_number[:17]):
                add(child, "id_one_digit_apart")
    ids = [p for p in parent_ids if p]
    if ids:
        for child in mine.filter(family__id_number__in=ids).distinct()[:10]:
            if not birth_date or abs((child.birth_date - birth_date).days) < 300:
                add(child, "same_parents")
    return report
