"""``RegionIndex``: places in a file resolved to region codes, without polars.

A village by its 12-digit code or by a name path such as 福建省莆田市涵江区江口镇东大村, and a place
of residence to the most precise province, prefecture or county code; also the name variants
(``village_names``, ``township_names``) and the reasons a place could not be resolved.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

PROVINCE, PREFECTURE, COUNTY, TOWNSHIP, VILLAGE = "province", "prefecture", "county", "township", "village"
_PREFIX_LENGTH: Final = {PROVINCE: 2, PREFECTURE: 4, COUNTY: 6, TOWNSHIP: 9, VILLAGE: 12}
_PLACEHOLDER_NAMES: Final = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
_SHORT_SUFFIXES: Final = {
    PROVINCE: ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"),
    PREFECTURE: ("地区", "市", "盟"),
    COUNTY: ("市", "县", "区"),
}
_VILLAGE_COMMITTEE: Final = ("村民委员会", "村委会")
_RESIDENTS_COMMITTEE: Final = ("社区居民委员会", "社区居委会", "居民委员会", "居委会")

# Why a place could not be resolved.
UNKNOWN, NOT_VILLAGE, AMBIGUOUS, ELSEWHERE = "unknown", "not_village", "ambiguous", "elsewhere"


def place_key(text: str) -> str:
    """Place text reduced for matching: half-width, no spaces, no leading country name."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for country in ("中华人民共和国", "中国"):
        if value.startswith(country):
            value = value[len(country) :]
    return value


def _short_forms(name: str, level: str) -> set[str]:
    forms = set()
    for suffix in _SHORT_SUFFIXES.get(level, ()):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            forms.add(name[: -len(suffix)])
            break
    return forms


def village_names(name: str) -> tuple[set[str], set[str]]:
    """(names the village may be written as at the start of an address, names accepted only alone).

    东大村委会 may be written 东大村委会, 东大村民委员会 or 东大村, and alone as 东大; 新区社区居委会 as
    新区社区 or 新区社区居民委员会.
    """
    key = place_key(name)
    prefix, alone = {key}, set()
    for suffix in _VILLAGE_COMMITTEE:
        if key.endswith(suffix) and len(key) > len(suffix):
            base = key[: -len(suffix)]
            prefix |= {base + s for s in _VILLAGE_COMMITTEE}
            prefix.add(base if base.endswith("村") else base + "村")
            alone.add(base.removesuffix("村") or base)
            return prefix, alone
    for suffix in _RESIDENTS_COMMITTEE:
        if key.endswith(suffix) and len(key) > len(suffix):
            base = key[: -len(suffix)]
            prefix |= {base + s for s in _RESIDENTS_COMMITTEE}
            prefix |= {base + "社区", base + "居委会", base + "居民委员会"}
            alone.add(base)
            return prefix, alone
    if key.endswith("村"):
        prefix |= {key + "委会", key + "民委员会"}
        alone.add(key[:-1])
    elif key.endswith("社区"):
        prefix |= {key + "居委会", key + "居民委员会"}
        alone.add(key[:-2])
    return prefix, {a for a in alone if len(a) >= 2}


def township_names(name: str) -> set[str]:
    key = place_key(name)
    names = {key}
    if key.endswith("街道"):
        names |= {key + "办事处", key + "办"}
    return names


class _Names:
    """Name -> codes, looked up by every name length present, longest first."""

    def __init__(self) -> None:
        self.codes: dict[str, set[str]] = {}
        self.lengths: list[int] = []

    def add(self, name: str, code: str) -> None:
        if name:
            self.codes.setdefault(name, set()).add(code)

    def freeze(self) -> None:
        self.lengths = sorted({len(n) for n in self.codes}, reverse=True)

    def at_start(self, text: str) -> Iterable[tuple[str, int]]:
        for length in self.lengths:
            if length <= len(text):
                for code in self.codes.get(text[:length], ()):
                    yield code, length


class RegionIndex:
    """Villages and townships under a code prefix, plus every province, prefecture and county.

    Built once per import (``RegionIndex.build``); resolves a 12-digit code or a name path such as
    福建省莆田市涵江区江口镇东大村 to a village code, and a place of residence to a county code.
    """

    def __init__(
        self,
        *,
        villages: Iterable[tuple[str, str]],
        townships: Iterable[tuple[str, str]],
        higher: Iterable[tuple[str, str, str]],
    ) -> None:
        self.village_codes: set[str] = set()
        self.township_codes: set[str] = set()
        self.higher_level: dict[str, str] = {}
        self._higher = {PROVINCE: _Names(), PREFECTURE: _Names(), COUNTY: _Names()}
        self._higher_short = {PROVINCE: _Names(), PREFECTURE: _Names(), COUNTY: _Names()}
        self._townships = _Names()
        self._villages: dict[str, _Names] = {}  # township code -> names
        self._villages_alone: dict[str, dict[str, set[str]]] = {}
        for code, name, level in higher:
            if level not in self._higher or name in _PLACEHOLDER_NAMES:
                continue
            self.higher_level[code] = level
            self._higher[level].add(place_key(name), code)
            for short in _short_forms(place_key(name), level):
                self._higher_short[level].add(short, code)
        for code, name in townships:
            self.township_codes.add(code)
            for variant in township_names(name):
                self._townships.add(variant, code)
        for code, name in villages:
            self.village_codes.add(code)
            township = code[:9] + "000"
            prefix, alone = village_names(name)
            names = self._villages.setdefault(township, _Names())
            for variant in prefix:
                names.add(variant, code)
            for variant in alone:
                self._villages_alone.setdefault(township, {}).setdefault(variant, set()).add(code)
        for names in (*self._higher.values(), *self._higher_short.values(), self._townships, *self._villages.values()):
            names.freeze()
        self._covered = {c[:n] for c in self.village_codes | self.township_codes for n in (2, 4, 6)}

    @classmethod
    def build(cls, prefix: str) -> RegionIndex:
        from regions.models import Level, Region

        local = Region.objects.filter(code__startswith=prefix, level__in=[Level.TOWNSHIP, Level.VILLAGE])
        rows = list(local.order_by("-is_active", "code").values_list("code", "name", "level"))
        higher = Region.objects.filter(level__in=[Level.PROVINCE, Level.PREFECTURE, Level.COUNTY])
        return cls(
            villages=[(c, n) for c, n, level in rows if level == Level.VILLAGE],
            townships=[(c, n) for c, n, level in rows if level == Level.TOWNSHIP],
            higher=higher.order_by("-is_active", "code").values_list("code", "name", "level"),
        )

    def _within(self, code: str, ancestor: str | None) -> bool:
        return ancestor is None or code.startswith(ancestor[: _PREFIX_LENGTH[self.higher_level[ancestor]]])

    def _ancestor_splits(self, text: str, *, short_counties: bool) -> list[tuple[str, str | None]]:
        """Every way to strip a leading province, prefecture and county name: (rest, deepest code)."""
        stage: list[tuple[str, str | None]] = [(text, None)]
        for level in (PROVINCE, PREFECTURE, COUNTY):
            tables = [self._higher[level]]
            if level != COUNTY or short_counties:
                tables.append(self._higher_short[level])
            found = [
                (rest[length:], code)
                for rest, ancestor in stage
                for table in tables
                for code, length in table.at_start(rest)
                if self._within(code, ancestor)
            ]
            stage += found
        return stage

    def resolve_village(self, text: str) -> tuple[str | None, str]:
        """(village code, "") or (None, why): unknown, not_village, ambiguous or elsewhere."""
        key = place_key(text)
        if not key:
            return None, UNKNOWN
        found: set[str] = set()
        problems: set[str] = set()
        for rest, ancestor in self._ancestor_splits(key, short_counties=False):
            if ancestor is not None and ancestor[: _PREFIX_LENGTH[self.higher_level[ancestor]]] not in self._covered:
                problems.add(ELSEWHERE)
                continue
            if not rest and ancestor is not None:
                problems.add(NOT_VILLAGE)
            for township, length in self._townships.at_start(rest):
                if not self._within(township, ancestor):
                    continue
                remainder = rest[length:]
                if not remainder:
                    problems.add(NOT_VILLAGE)
                    continue
                names = self._villages.get(township)
                matches = {code for code, _length in names.at_start(remainder)} if names else set()
                if names and matches:
                    # Only the longest name that matches counts (东大村委会 before 东大村).
                    longest = max(length for _code, length in names.at_start(remainder))
                    matches = {code for code, n in names.at_start(remainder) if n == longest}
                matches |= self._villages_alone.get(township, {}).get(remainder, set())
                found |= matches
        if len(found) == 1:
            return found.pop(), ""
        if found:
            return None, AMBIGUOUS
        for problem in (NOT_VILLAGE, ELSEWHERE):
            if problem in problems:
                return None, problem
        return None, UNKNOWN

    def resolve_residence(self, text: str) -> str | None:
        """The most precise code (county, else prefecture or province) for a place of residence."""
        key = place_key(text)
        if not key:
            return None
        if key.isascii() and key.isdigit() and len(key) in (6, 9, 12):
            code = key.ljust(12, "0")
            county = code[:6] + "000000"
            if county in self.higher_level:
                return county
            return code if code in self.higher_level else None
        best: set[str] = set()
        best_depth = -1
        for _rest, ancestor in self._ancestor_splits(key, short_counties=True):
            if ancestor is None:
                continue
            depth = _PREFIX_LENGTH[self.higher_level[ancestor]]
            if depth > best_depth:
                best, best_depth = {ancestor}, depth
            elif depth == best_depth:
                best.add(ancestor)
        if len(best) == 1:
            return best.pop()
        if not best:
            village, _problem = self.resolve_village(key)
            if village:
                return village[:6] + "000000"
        return None
