"""Loading and updating the region tree from a division-code CSV (code,name,level,parent_code)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core import audit
from core.models import AuditKind
from regions.models import LEVEL_DEPTH, PREFIX_LENGTH, Kind, Level, Region

REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


class RegionFileError(ValueError):
    """The file cannot be loaded; the message is for the person who gave it."""


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    errors: list[str] = field(default_factory=list)


def normalise_code(raw: str) -> str:
    code = raw.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise ValueError(f"不是有效的行政区划代码：{raw!r}")
    return code.ljust(12, "0")


def infer_kind(name: str, level: str) -> str:
    if level == Level.PROVINCE:
        return Kind.PROVINCE
    if level == Level.PREFECTURE:
        return Kind.PREFECTURE
    if level == Level.COUNTY:
        return Kind.COUNTY
    if level == Level.TOWNSHIP:
        for suffix, kind in (("街道", Kind.SUBDISTRICT), ("镇", Kind.TOWN), ("乡", Kind.TOWNSHIP)):
            if name.endswith(suffix):
                return kind
        if "开发区" in name or "管委会" in name or "园区" in name:
            return Kind.DEVELOPMENT_ZONE
        return Kind.OTHER
    if name.endswith("村委会") or name.endswith("村民委员会"):
        return Kind.VILLAGE_COMMITTEE
    return Kind.RESIDENTS_COMMITTEE


def infer_parent_code(code: str, level: str) -> str | None:
    """The code of the nearest enclosing level, from the code's own digits."""
    depth = LEVEL_DEPTH[Level(level)]
    if depth == 0:
        return None
    parent_len = list(PREFIX_LENGTH.values())[depth - 1]
    return code[:parent_len].ljust(12, "0")


def read_rows(content: bytes) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegionFileError(f"缺少必需的列：{'、'.join(missing)}")
    return [dict(row) for row in reader]


# Names the national code table gives to levels that are not places of their own: a municipality's
# districts and counties, a province's directly administered county-level cities.
PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@transaction.atomic
def regions_load(*, actor: Any, content: bytes, release: str, retire_missing: bool = False) -> LoadResult:
    """Create or update regions from a CSV; idempotent. Rows with errors stop the whole load."""
    result = LoadResult()
    parsed: list[tuple[str, str, str, str | None]] = []
    for line_no, row in enumerate(read_rows(content), start=2):
        try:
            code = normalise_code(row.get("code") or "")
            name = (row.get("name") or "").strip()
            level = (row.get("level") or "").strip()
            if not name:
                raise ValueError("名称为空")
            if level not in Level.values:
                raise ValueError(f"未知的层级：{level!r}")
            parent_raw = (row.get("parent_code") or "").strip()
            parent_code = normalise_code(parent_raw) if parent_raw else infer_parent_code(code, level)
        except ValueError as exc:
            result.errors.append(f"第 {line_no} 行：{exc}")
            continue
        parsed.append((code, name, level, parent_code))
    if result.errors:
        return result
    parsed.sort(key=lambda item: (LEVEL_DEPTH[Level(item[2])], item[0]))

    existing = {r.code: r for r in Region.objects.all()}
    seen: set[str] = set()
    for code, name, level, parent_code in parsed:
        parent = existing.get(parent_code) if parent_code else None
        # The code table's placeholder levels (上海市 → 市辖区 → 浦东新区) are not said: 上海市浦东新区.
        full_name = f"{parent.full_name}{'' if name in PLACEHOLDER_NAMES else name}" if parent else name
        values = {
            "name": name,
            "level": level,
            "kind": infer_kind(name, level),
            "parent": parent,
            "full_name": full_name,
            "release": release,
            "is_active": True,
        }
        seen.add(code)
        region = existing.get(code)
        if region is None:
            region = Region.objects.create(code=code, **values)
            existing[code] = region
            result.created += 1
            continue
        changed = [k for k, v in values.items() if k != "release" and getattr(region, k) != v]
        if changed:
            for key, value in values.items():
                setattr(region, key, value)
            region.save()
            result.updated += 1
        else:
            result.unchanged += 1

    if retire_missing and parsed:
        levels = {level for _, _, level, _ in parsed}
        roots = {
            code[: PREFIX_LENGTH[Level(level)]]
            for code, _, level, _ in parsed
            if level == min(levels, key=lambda lv: LEVEL_DEPTH[Level(lv)])
        }
        for region in existing.values():
            if (
                region.is_active
                and region.code not in seen
                and region.level in levels
                and any(region.code.startswith(root) for root in roots)
            ):
                region.is_active = False
                region.save(update_fields=["is_active"])
                result.retired += 1

    if result.created or result.updated or result.retired:
        audit.record(
            actor=actor,
            kind=AuditKind.WRITE,
            action="regions.load",
            object_type="regions.region",
            object_repr=release,
            detail=f"新增 {result.created}，更新 {result.updated}，停用 {result.retired}",
        )
    return result
