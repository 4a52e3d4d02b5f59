"""The administrative-division tree, keyed by 12-digit statistical codes."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopedQuerySet


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    PREFECTURE = "prefecture", _("Prefecture")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / subdistrict")
    VILLAGE = "village", _("Village / community")


# How many leading digits of a 12-digit code identify a region of each level; a region's
# subtree is exactly the codes that start with them.
PREFIX_LENGTH = {
    Level.PROVINCE: 2,
    Level.PREFECTURE: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}
LEVEL_DEPTH = {level: depth for depth, level in enumerate(PREFIX_LENGTH)}


def significant_prefix(code: str) -> str:
    """The digits of a 12-digit code that identify its region, read from the code alone: a
    level's digits are never all zero, so "350303104000" is the township 350303104."""
    for size in (2, 4, 6, 9):
        if code[size:].strip("0") == "":
            return code[:size]
    return code


class Kind(models.TextChoices):
    PROVINCE = "province", _("Province")
    PREFECTURE = "prefecture", _("Prefecture-level city")
    COUNTY = "county", _("County-level division")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", pgettext_lazy("region kind", "Township")
    DEVELOPMENT_ZONE = "development_zone", _("Development zone")
    RESIDENTS_COMMITTEE = "residents_committee", _("Residents' committee")
    VILLAGE_COMMITTEE = "village_committee", _("Village committee")
    OTHER = "other", _("Other")


class RegionQuerySet(ScopedQuerySet["Region"]):
    def active(self) -> RegionQuerySet:
        return self.filter(is_active=True)


class Region(models.Model):
    scope_path: ClassVar[str] = "code"

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    full_name = models.CharField(_("complete name"), max_length=300, db_index=True)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    release = models.CharField(_("source release"), max_length=100, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[Level(self.level)]]

    @property
    def audit_region_code(self) -> str:
        return self.code

    def contains(self, other: Region) -> bool:
        return other.code.startswith(self.prefix)

    def ancestors(self) -> list[Region]:
        """From the top of the tree down to the parent, in one query."""
        prefixes = [self.code[:n].ljust(12, "0") for n in PREFIX_LENGTH.values() if n < len(self.prefix)]
        by_code = {r.code: r for r in Region.objects.filter(code__in=prefixes)}
        return [by_code[c] for c in prefixes if c in by_code and c != self.code]
