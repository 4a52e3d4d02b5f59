"""Reads of the registry. Each starts from the jurisdiction-scoped queryset."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Concat
from django.utils.translation import get_language, gettext_lazy

from accounts.models import Organisation
from accounts.roles import OrgKind
from core.idnumber import check_character, mask
from core.models import AuditEvent
from core.scoping import scope_prefix_of
from regions.models import Level, Region, significant_prefix
from registry import changes
from registry.codes import ChildStatus
from registry.models import OPEN_CHANGE_STATUSES, Child, ChildChange, ChildNameKey, ChildTransfer, TransferStatus
from registry.pinyin import name_keys, normalise_query

SORTS = {
    "name": ("name_sort", "name", "id"),
    "-name": ("-name_sort", "-name", "-id"),
    "birth_date": ("birth_date", "id"),
    "-birth_date": ("-birth_date", "-id"),
    "village": ("region_code", "name_sort", "id"),
    "updated": ("-updated_at", "-id"),
}
_NO_LIMIT = 1_000_000_000
_AFTER_Z = "{"  # the character after "z" in SQLite's binary order: a prefix range is [q, q + "{")


def _prefix_range(column: str, prefix: str) -> Q:
    """``column`` starts with ``prefix``, written so that an index serves it on each database.

    On PostgreSQL, ``LIKE 'prefix%'``, served by a ``varchar_pattern_ops`` index (Django adds one
    to every indexed CharField; ``ChildNameKey.key`` has its own). A range up to ``prefix + "{"``
    would be wrong there under any collation but C: under zh_CN or an ICU collation "{" sorts
    before the letters and digits, and the range comes out empty. On SQLite, the range: its LIKE
    ignores case and so cannot use an index, and its binary order puts "{" right after "z".
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{column}__startswith": prefix})
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": prefix + _AFTER_Z})


def search_filter(query: str) -> Q | None:
    """What a search box query means: an ID number or its last digits, pinyin, or a Chinese name."""
    # Numbers pasted from Excel or typed with a Chinese input method: full-width digits and x,
    # no-break and ideographic spaces (NFKC makes them ASCII; split() drops every kind of space).
    text = "".join(unicodedata.normalize("NFKC", query).split()).upper()
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
        # The LIMIT is never reached (there are about three keys per child); it keeps PostgreSQL
        # from flattening the subquery into a join that it could then probe child by child in name
        # order (see _collect_then_sort): the matches are collected first, whatever the statistics.
        keys = ChildNameKey.objects.filter(_prefix_range("key", pinyin)).values("child_id")[:_NO_LIMIT]
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
        # The area is read from its code (no lookup); one outside the user's jurisdiction matches nothing.
        area, scope = significant_prefix(filters.village), scope_prefix_of(user)
        if scope is not None and filters.village.isdigit() and len(filters.village) == 12 and area.startswith(scope):
            qs = qs.filter(_prefix_range("region_code", area))
        else:
            qs = qs.none()
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
    order = SORTS.get(filters.sort, SORTS["name"])
    return qs.order_by(*(_collect_then_sort(order) if condition is not None else order))


def _collect_then_sort(order: tuple[str, ...]) -> list[str | OrderBy]:
    """The order of a search's matches, as an expression that no index provides.

    Pinyin initials are the first letters of ``name_sort``, so the matches of "lh" all sit in one
    stretch of the name order. Given ``ORDER BY name_sort``, PostgreSQL may walk the ``name_sort``
    index from "a", expecting 25 matches early, and read 30,000 children before "lin…" (200 ms
    instead of 10). Sorting by ``name_sort || ''`` leaves it one plan: collect the matches through
    the name-key index, then sort them (a search matches at most a few thousand children).
    """
    keys: list[str | OrderBy] = []
    for name in order:
        if name.lstrip("-") == "name_sort":
            expression = Concat(F("name_sort"), Value(""))
            keys.append(expression.desc() if name.startswith("-") else expression.asc())
        else:
            keys.append(name)
    return keys


def page_rows(user: Any, ids: list[int]) -> list[dict[str, Any]]:
    """The children of one list page, in the order of ``ids``: the values the rows show.

    The list pages over ``children_for(...).values_list("pk")``: a narrow query that can sort and
    skip on an index alone. Only the page's 25 rows are then read, by primary key, instead of the
    database joining and carrying every column of every match until the sort is done. They are
    read as plain values (no model instances, none of the file's other 40 columns).
    """
    rows = {row["pk"]: row for row in Child.objects.for_user(user).filter(pk__in=ids).values(*LIST_COLUMNS)}
    return [rows[pk] for pk in ids if pk in rows]


# What a row of the list shows (registry/_child_rows.html).
LIST_COLUMNS = (
    "pk",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "status",
    "is_left_behind",
    "is_key_target",
    "flags",
    "hukou_village__name",
    "hukou_village__parent__name",
)


def _flag_q(flag: str) -> Q:
    # JSON lists of short words: a substring test on the JSON text works on SQLite and PostgreSQL.
    return Q(flags__icontains=f'"{flag}"')


def villages_for(user: Any) -> QuerySet[Region]:
    return Region.objects.for_user(user).active().filter(level=Level.VILLAGE).select_related("parent").order_by("code")


# The filter lists (a county's villages, its schools) are names, not personal data, and change a few
# times a year: each process keeps them for this many seconds instead of reading them per request.
CHOICES_SECONDS = 300
WHOLE_TOWNSHIP = gettext_lazy("(whole township)")


def village_choices(user: Any) -> list[tuple[str, str]]:
    """(code, "township village") for the filter list: plain values, no model instances.

    Kept per jurisdiction in the cache for CHOICES_SECONDS: a new or renamed village appears in the
    list within that time."""
    key = f"registry:village-choices:{scope_prefix_of(user)}:{get_language()}"
    choices: list[tuple[str, str]] | None = cache.get(key)
    if choices is None:
        rows = list(villages_for(user).values_list("code", "parent__code", "parent__name", "name"))
        townships = {(township_code, township) for _code, township_code, township, _name in rows if township_code}
        choices = []
        for code, township_code, township, name in rows:
            if len(townships) > 1 and township_code and (not choices or choices[-1][0][:9] != code[:9]):
                # A jurisdiction of several townships (the district) filters and exports one
                # township too: its entry comes first among its villages.
                choices.append((township_code, f"{township} {WHOLE_TOWNSHIP}"))
            choices.append((code, f"{township or ''} {name}"))
        cache.set(key, choices, CHOICES_SECONDS)
    return choices


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


class SchoolChoice(NamedTuple):
    pk: int
    name: str


def school_choices(region_code: str) -> list[SchoolChoice]:
    """``schools_near()`` as plain (pk, name) values, for the list filter: no model instances.

    Kept per county in the cache for CHOICES_SECONDS, as the village list is."""
    key = f"registry:school-choices:{region_code[:6]}"
    choices: list[SchoolChoice] | None = cache.get(key)
    if choices is None:
        choices = [SchoolChoice(pk, name) for pk, name in schools_near(region_code).values_list("pk", "name")]
        cache.set(key, choices, CHOICES_SECONDS)
    return choices


@dataclass
class ChangeReview:
    """A village's change to a file that is still open, as the dossier and the edit form show it."""

    change: ChildChange
    rows: list[tuple[str, Any, Any]]
    stale: bool  # the file has been changed since the change was made
    stale_event: AuditEvent | None  # the last such write: who and when


def open_change(user: Any, child: Child) -> ChangeReview | None:
    change = (
        ChildChange.objects.for_user(user)
        .filter(child=child, status__in=OPEN_CHANGE_STATUSES)
        .select_related("proposed_by", "decided_by")
        .first()
    )
    if change is None:
        return None
    stale = changes.is_stale(change, child)
    return ChangeReview(
        change=change,
        rows=change.change_rows(),
        stale=stale,
        stale_event=changes.stale_by(change, child) if stale else None,
    )


def timeline(child: Child) -> QuerySet[AuditEvent]:
    changes = AuditEvent.objects.filter(object_type="registry.child", object_id=str(child.pk), kind="write")
    return changes.order_by("-at", "-id")


# --- Transfers -----------------------------------------------------------------------------


@dataclass
class TransferShown:
    """A transfer as one side may see it.

    A village that asked for a file found elsewhere typed only its ID number: until the holder
    accepts, it sees that number masked and the holding township, never the holder's name, sex,
    birth date or village for it (the request would otherwise look any ID number up). A holder
    that sends a file shows the receiving side who is coming, from which village.
    """

    transfer: ChildTransfer
    sees_file: bool
    shows_child: bool
    child_label: str
    from_label: str


def pending_transfer_for(user: Any, id_number: str) -> ChildTransfer | None:
    """A transfer of the file with this ID number that waits for a decision and that the user's
    side is part of (its own request, or one it must decide): shown instead of asking again."""
    if not id_number:
        return None
    return (
        ChildTransfer.objects.for_user(user)
        .filter(child__id_number=id_number, status=TransferStatus.PENDING)
        .order_by("-created_at")
        .first()
    )


def transfers_shown(user: Any, transfers: list[ChildTransfer]) -> list[TransferShown]:
    prefix = scope_prefix_of(user)
    child_ids = {t.child_id for t in transfers}
    seen = set(Child.objects.for_user(user).filter(pk__in=child_ids).values_list("pk", flat=True))
    codes = {t.from_code for t in transfers} | {t.from_code[:9] + "000" for t in transfers}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "full_name"))
    shown = []
    for t in transfers:
        holder_side = prefix is not None and t.from_code.startswith(prefix)
        shows = t.child_id in seen or holder_side or not t.requested_by_receiver or t.status == TransferStatus.ACCEPTED
        township = t.from_code[:9] + "000"
        shown.append(
            TransferShown(
                transfer=t,
                sees_file=t.child_id in seen,
                shows_child=shows,
                child_label=t.child.name if shows else mask(t.child.id_number),
                from_label=names.get(t.from_code if shows else township, t.from_code if shows else township),
            )
        )
    return shown


# --- Duplicates -----------------------------------------------------------------------------


@dataclass
class DuplicateReport:
    same_id_here: Child | None = None
    same_id_elsewhere: str = ""  # the township that holds it, and nothing more
    # The file found elsewhere, for the read log only (the holder's township sees who asked).
    found_elsewhere: Child | None = None
    probable: list[tuple[Child, str]] = field(default_factory=list)
    # Probable duplicates outside the user's jurisdiction, in the same county: the township that
    # holds each and why it looks the same, and nothing more (as for the same ID number).
    probable_elsewhere: list[tuple[str, str]] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return self.same_id_here is not None or bool(self.same_id_elsewhere)

    @property
    def needs_confirmation(self) -> bool:
        return not self.blocking and bool(self.probable or self.probable_elsewhere)


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
                report.same_id_elsewhere = _township_name(same)
                report.found_elsewhere = same
            return report

    def look(children: QuerySet[Child]) -> list[tuple[Child, str]]:
        found: dict[int, tuple[Child, str]] = {}
        if birth_date and name:
            key = name_keys(name).full
            for child in children.filter(birth_date=birth_date, name_keys__key=key).distinct()[:10]:
                found.setdefault(child.pk, (child, "same_name_and_birth_date"))
        if id_number and len(id_number) == 18 and id_number[:17].isascii() and id_number[:17].isdigit():
            # Looked up on the ID index, not among the children born the same day: a slip in the
            # number's birth date (20230212 typed 20230221) comes with that wrong birth date in the
            # form too, since the two must agree.
            for child in children.filter(id_number__in=_one_slip_away(id_number))[:10]:
                found.setdefault(child.pk, (child, "id_one_digit_apart"))
        ids = [p for p in parent_ids if p]
        if ids:
            for child in children.filter(family__id_number__in=ids).distinct()[:10]:
                if not birth_date or abs((child.birth_date - birth_date).days) < 300:
                    found.setdefault(child.pk, (child, "same_parents"))
        return list(found.values())

    report.probable = look(mine)
    prefix = scope_prefix_of(user)
    county = (prefix or "")[:6]
    if prefix and len(prefix) > 6 and len(county) == 6:
        # The same child registered by the next village or township (where it lives, and where
        # its household is registered) is the duplicate a census most often makes.
        others = everyone.filter(region_code__startswith=county).exclude(region_code__startswith=prefix)
        shown = {(_township_name(child), why) for child, why in look(others.select_related("hukou_village__parent"))}
        report.probable_elsewhere = sorted(shown)
    return report


def _township_name(child: Child) -> str:
    township = child.hukou_village.parent
    return township.full_name if township else child.region_code[:9]


def _one_slip_away(number: str) -> list[str]:
    """Every valid ID number whose 17 digits differ from ``number``'s by one digit or one swap of
    neighbours (about 170), each with its own check character: a mistyped digit is typed with the
    check character of the number it became."""
    digits = number[:17]
    near: set[str] = set()
    for i, current in enumerate(digits):
        near.update(digits[:i] + d + digits[i + 1 :] for d in "0123456789" if d != current)
        if i + 1 < len(digits) and digits[i + 1] != current:
            near.add(digits[:i] + digits[i + 1] + current + digits[i + 2 :])
    return sorted(first + check_character(first) for first in near)
