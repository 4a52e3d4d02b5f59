"""To-do items with an owner, a due date and escalation, reused by every area of the policy."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.roles import Role
from core.models import TimeStampedModel
from core.scoping import ScopedQuerySet


class ItemKind(models.TextChoices):
    REVIEW_CHILD = "review_child", _("Review a child's file")
    CONFIRM_ENTRY = "confirm_entry", _("Confirm an entry into the registry")
    CONFIRM_EXIT = "confirm_exit", _("Confirm an exit from the registry")
    FIX_RETURNED = "fix_returned", _("Correct a returned file")
    PROPOSED_EXIT = "proposed_exit", _("Check a proposed exit")
    DECIDE_TRANSFER = "decide_transfer", _("Decide on a transfer")
    LIVES_ALONE = "lives_alone", _("Child living alone: verify and report at once")
    CENSUS_CERTIFY = "census_certify", _("Certify a village census")
    CENSUS_COUNTERSIGN = "census_countersign", _("Countersign a township census")
    CENSUS_SIGN = "census_sign", _("Sign and close a census campaign")
    VERIFY = "verify", _("Verify a discrepancy found by data matching")
    CHECK_EXIT = "check_exit", _("Check whether a child still belongs in the registry")
    TRANSFER_DECIDED = "transfer_decided", _("See the decision on a transfer you started")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkItemQuerySet(ScopedQuerySet["WorkItem"]):
    def open(self) -> WorkItemQuerySet:
        return self.filter(status=ItemStatus.OPEN)

    def owned_by(self, user: object) -> WorkItemQuerySet:
        organisation_id = getattr(user, "organisation_id", None)
        role = getattr(user, "role", None)
        return self.filter(
            models.Q(owner_user=user)
            | models.Q(owner_user__isnull=True, owner_organisation_id=organisation_id, owner_role=role)
        )


class WorkItem(TimeStampedModel):
    scope_path: ClassVar[str] = "region_code"

    kind = models.CharField(_("kind"), max_length=24, choices=ItemKind.choices)
    title = models.CharField(_("title"), max_length=200)
    region_code = models.CharField(_("jurisdiction code"), max_length=12, db_index=True)
    owner_organisation = models.ForeignKey(
        Organisation, verbose_name=_("owner organisation"), on_delete=models.PROTECT, related_name="work_items"
    )
    owner_role = models.CharField(_("owner role"), max_length=24, choices=Role.choices)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    due_date = models.DateField(_("due date"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    target_type = models.CharField(_("target type"), max_length=64)
    target_id = models.CharField(_("target ID"), max_length=64)
    url = models.CharField(_("link"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(_("resolution"), max_length=200, blank=True)

    objects = WorkItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("to-do item")
        verbose_name_plural = _("to-do items")
        ordering = ["status", "due_date", "id"]
        indexes = [
            models.Index(fields=["owner_organisation", "owner_role", "status"], name="workitem_owner_status"),
            models.Index(fields=["target_type", "target_id", "status"], name="workitem_target_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_region_code(self) -> str:
        return self.region_code

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == ItemStatus.OPEN and self.due_date < (today or timezone.localdate())
