"""Organisations and the people who sign in, each tied to a region of jurisdiction."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import OrgKind, Role
from core.models import TimeStampedModel
from core.scoping import ScopedQuerySet
from regions.models import Region


class OrganisationQuerySet(ScopedQuerySet["Organisation"]):
    pass


class Organisation(TimeStampedModel):
    scope_path: ClassVar[str] = "region__code"

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=OrgKind.choices, db_index=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="organisations")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("superior organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subordinates",
    )
    unit_code = models.CharField(
        _("unit code"),
        max_length=32,
        blank=True,
        help_text=_("Unified social credit code, or the 10-digit school identifier for schools."),
    )
    is_joint_meeting_member = models.BooleanField(_("joint-meeting member unit"), default=False)
    duties = models.TextField(_("duties"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["region__code", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="org_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return self.region.code


class UserQuerySet(ScopedQuerySet["User"]):
    pass


class ShouhuUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    scope_path: ClassVar[str] = "organisation__region__code"

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, db_index=True)
    must_change_password = models.BooleanField(_("must change password at next sign-in"), default=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    objects = ShouhuUserManager()  # type: ignore[misc]

    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["organisation__region__code", "username"]

    def __str__(self) -> str:
        return f"{self.name}（{self.username}）" if self.name else self.username

    @property
    def display_name(self) -> str:
        return self.name or self.username

    @property
    def jurisdiction(self) -> Region | None:
        if self.role == Role.SYSTEM_ADMIN:
            return None
        return self.organisation.region if self.organisation_id and self.organisation else None

    @property
    def scope_prefix(self) -> str | None:
        """See core.scoping: "" sees everything, None nothing."""
        if not self.is_active:
            return None
        if self.role == Role.SYSTEM_ADMIN:
            return ""
        region = self.jurisdiction
        return region.prefix if region is not None else None

    @property
    def audit_region_code(self) -> str:
        region = self.organisation.region if self.organisation_id and self.organisation else None
        return region.code if region else ""
