"""Reads of the data-exchange area, each starting from the jurisdiction-scoped queryset."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from exchange.models import (
    BatchStatus,
    Discrepancy,
    DiscrepancyStatus,
    HukouRecord,
    ImportBatch,
    RowError,
    SourceKind,
)
from regions.models import Region, significant_prefix


def batches(user: Any) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.for_user(user).select_related("created_by", "applied_by")


def row_errors(batch: ImportBatch) -> QuerySet[RowError]:
    return RowError.objects.filter(batch=batch).order_by("row_no", "id")


def discrepancies(
    user: Any, *, kind: str = "", status: str = "", region: str = "", batch: int | None = None
) -> QuerySet[Discrepancy]:
    rows = Discrepancy.objects.for_user(user).select_related("child", "other_child", "resolved_by")
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if region:
        rows = rows.filter(region_code__startswith=region)
    if batch:
        rows = rows.filter(batch_id=batch)
    return rows


def open_discrepancy_count(prefix: str) -> int:
    """Open discrepancies under a region prefix: while any remain, 不重不漏 cannot be certified."""
    return Discrepancy.objects.filter(region_code__startswith=prefix, status=DiscrepancyStatus.OPEN).count()


significant = significant_prefix


def completeness(user: Any, region: Region) -> list[dict[str, Any]]:
    """不重不漏 state of each area directly under ``region`` (villages of a township, townships of
    a district): open discrepancies by kind, and whether the area is clear."""
    prefix = significant(region.code)
    children = list(Region.objects.filter(parent=region).order_by("code"))
    scoped = Discrepancy.objects.for_user(user).filter(region_code__startswith=prefix)
    width = 12 if region.level == "township" else 9
    counts: dict[str, dict[str, int]] = {}
    for code, kind, number in (
        scoped.filter(status=DiscrepancyStatus.OPEN)
        .values_list("region_code", "kind")
        .annotate(n=Count("id"))
        .values_list("region_code", "kind", "n")
    ):
        area = code[:width]
        counts.setdefault(area, {})
        counts[area][kind] = counts[area].get(kind, 0) + number
    # Areas no applied 户籍 or 学籍 batch has covered are "not compared", not clear.
    covered = [
        significant(code)
        for code in ImportBatch.objects.filter(
            status=BatchStatus.APPLIED, kind__in=[SourceKind.HUKOU, SourceKind.SCHOOL]
        )
        .filter(Q(region_code__startswith=prefix) | Q(region_code__in=_ancestors(region.code)))
        .values_list("region_code", flat=True)
        .distinct()
    ]
    resolved = dict(
        scoped.filter(~Q(status=DiscrepancyStatus.OPEN))
        .values_list("region_code")
        .annotate(n=Count("id"))
        .values_list("region_code", "n")
    )
    result = []
    for place in children:
        key = place.code[:width]
        by_kind = counts.get(key, {})
        done = sum(number for code, number in resolved.items() if code.startswith(key))
        compared = any(key.startswith(c) or c.startswith(key) for c in covered)
        result.append(
            {
                "region": place,
                "open": sum(by_kind.values()),
                "by_kind": by_kind,
                "resolved": done,
                "clear": compared and not by_kind,
                "compared": compared,
            }
        )
    return result


def place_names(codes: set[str]) -> dict[str, str]:
    """Village (or township) names with their township, for showing codes to people."""
    names: dict[str, str] = {}
    for region in Region.objects.filter(code__in=codes).select_related("parent"):
        parent = region.parent.name if region.parent and region.level == "village" else ""
        names[region.code] = f"{parent}{region.name}"
    return names


def reason_labels(codes: list[str]) -> list[str]:
    from exchange.matching_labels import REASON_LABELS

    return [str(REASON_LABELS.get(code, code)) for code in codes]


def field_rows(fields: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(label, registry value, source value) for each field that differs."""
    from django.utils.translation import gettext

    from exchange.matching_labels import FIELD_LABELS
    from registry.codes import Gender

    genders = dict(Gender.choices)
    places = place_names({str(v) for pair in [fields.get("region_code") or []] for v in pair if v})

    def shown(field: str, value: Any) -> Any:
        if isinstance(value, bool):
            return gettext("yes") if value else gettext("no")
        if field == "gender":
            return str(genders.get(value, value or ""))
        if field == "region_code":
            return places.get(str(value), value)
        return value

    rows = []
    for field, pair in fields.items():
        if isinstance(pair, list) and len(pair) == 2:
            rows.append((str(FIELD_LABELS.get(field, field)), shown(field, pair[0]), shown(field, pair[1])))
    return rows


def household_of(user: Any, discrepancy: Discrepancy) -> list[HukouRecord]:
    """The other members of the 户籍 household of the person a discrepancy is about (who lives where).

    Only those the user may see: a county-wide file can hold one household number in two townships."""
    record = discrepancy.hukou_record
    if record is None or not record.household_no:
        return []
    members = HukouRecord.objects.for_user(user).filter(batch_id=record.batch_id, household_no=record.household_no)
    return list(members.exclude(pk=record.pk).order_by("relation", "row_no")[:20])


OMISSION_KINDS = ("hukou_omission", "school_omission")


def registration_initial(user: Any, pk: int, villages: QuerySet[Region]) -> dict[str, Any]:
    """Initial values of a new child's file for an omission candidate the user may see: the name,
    sex, birth date, ID number and village as the 户籍 or 学籍 row gives them."""
    discrepancy = (
        Discrepancy.objects.for_user(user)
        .filter(pk=pk, kind__in=OMISSION_KINDS)
        .select_related("hukou_record", "student_record")
        .first()
    )
    if discrepancy is None:
        return {}
    record = discrepancy.hukou_record or discrepancy.student_record
    if record is None:
        return {}
    initial: dict[str, Any] = {
        "name": record.name,
        "gender": record.gender,
        "birth_date": record.birth_date,
        "id_number": record.id_number,
        "hukou_unregistered": False,
    }
    village = villages.filter(code=discrepancy.region_code).first()
    if village is not None:
        initial["hukou_village"] = village
    if discrepancy.student_record is not None:
        initial["school_name"] = discrepancy.student_record.school_name
        initial["grade"] = discrepancy.student_record.grade
    return {key: value for key, value in initial.items() if value not in (None, "")}


def _ancestors(code: str) -> list[str]:
    """The 12-digit codes of the township, county, city and province above ``code``."""
    return [code[:size].ljust(12, "0") for size in (2, 4, 6, 9) if code[:size].ljust(12, "0") != code]


def is_compared(region: Region) -> bool:
    """Whether an applied 户籍 or 学籍 batch has covered (part of) ``region``."""
    return (
        ImportBatch.objects.filter(status=BatchStatus.APPLIED, kind__in=[SourceKind.HUKOU, SourceKind.SCHOOL])
        .filter(Q(region_code__startswith=region.prefix) | Q(region_code__in=_ancestors(region.code)))
        .exists()
    )
