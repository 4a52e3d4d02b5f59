"""One file per child (一人一档): the child, the family, the entrusted guardian."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core.models import TimeStampedModel, change_rows
from core.scoping import ScopedQuerySet
from regions.countries import country_choices, country_name
from regions.models import Region
from registry.codes import (
    ChildStatus,
    ContactFrequency,
    DisabilityCategory,
    DisabilityGrade,
    Ethnicity,
    ExitReason,
    Gender,
    GuardianHealth,
    GuardianshipAssessment,
    GuardianshipType,
    HealthStatus,
    LivingArrangement,
    ParentStatus,
    Relationship,
    SchoolingStatus,
)


class HukouNature(models.TextChoices):
    RURAL = "rural", _("Rural")
    NON_RURAL = "non_rural", _("Non-rural")


class ChildQuerySet(ScopedQuerySet["Child"]):
    def active(self) -> ChildQuerySet:
        return self.exclude(status=ChildStatus.EXITED)


class Child(TimeStampedModel):
    # The household-registration village's code, copied here so that scoping (and, at province
    # scale, partitioning) is one indexed column with no join.
    scope_path: ClassVar[str] = "region_code"

    name = models.CharField(_("full name"), max_length=50)
    # The name's main pinyin reading: lists sort the way people look names up.
    name_sort = models.CharField(max_length=120, blank=True, db_index=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=Ethnicity.choices, default="01")
    birth_date = models.DateField(_("date of birth"))
    id_number = models.CharField(_("citizen ID number"), max_length=18, blank=True, db_index=True)
    # The reversed ID number: "last digits" searches become prefix (range) searches on an index.
    id_reversed = models.CharField(max_length=18, blank=True, db_index=True, editable=False)
    hukou_unregistered = models.BooleanField(_("household not registered"), default=False)
    hukou_village = models.ForeignKey(
        Region, verbose_name=_("household-registration village"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(_("jurisdiction code"), max_length=12, db_index=True, editable=False)
    hukou_nature = models.CharField(
        _("household-registration nature"), max_length=10, choices=HukouNature.choices, default=HukouNature.RURAL
    )
    current_address = models.CharField(_("current address"), max_length=200, blank=True)

    health = models.CharField(_("health"), max_length=10, choices=HealthStatus.choices, default="healthy")
    illness = models.CharField(_("illness"), max_length=100, blank=True)
    disability_category = models.CharField(
        _("disability category"), max_length=16, choices=DisabilityCategory.choices, blank=True
    )
    disability_grade = models.CharField(
        _("disability grade"), max_length=1, choices=DisabilityGrade.choices, blank=True
    )
    disability_certificate = models.CharField(_("disability certificate number"), max_length=30, blank=True)

    schooling = models.CharField(_("schooling"), max_length=24, choices=SchoolingStatus.choices)
    school = models.ForeignKey(
        Organisation, verbose_name=_("school"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school_name = models.CharField(_("school (if not in the list)"), max_length=100, blank=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    is_boarding = models.BooleanField(_("boarding at school"), default=False)

    living_arrangement = models.CharField(_("living arrangement"), max_length=32, choices=LivingArrangement.choices)
    income_sources = models.JSONField(_("sources of family income"), default=list, blank=True)
    assistance = models.JSONField(_("assistance received"), default=list, blank=True)
    assistance_other = models.CharField(_("other assistance"), max_length=100, blank=True)
    poverty_flags = models.JSONField(_("poverty registration"), default=list, blank=True)

    guardianship_type = models.CharField(_("guardianship type"), max_length=32, choices=GuardianshipType.choices)
    guardianship_assessment = models.CharField(
        _("guardianship assessment"), max_length=10, choices=GuardianshipAssessment.choices
    )
    entrustment_date = models.DateField(_("entrustment confirmed on"), null=True, blank=True)
    entrustment_scan = models.FileField(_("entrustment confirmation scan"), upload_to="entrustments/%Y/", blank=True)

    status = models.CharField(
        _("status"), max_length=24, choices=ChildStatus.choices, default=ChildStatus.DRAFT, db_index=True
    )
    entry_date = models.DateField(_("entry date"), null=True, blank=True)
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    exit_reason = models.CharField(_("exit reason"), max_length=24, choices=ExitReason.choices, blank=True)
    exit_note = models.CharField(_("exit note"), max_length=200, blank=True)
    review_comment = models.CharField(_("review comment"), max_length=500, blank=True)

    # Computed by registry.services from registry.eligibility; never typed in.
    is_left_behind = models.BooleanField(_("left-behind child"), default=False, db_index=True)
    left_behind_kind = models.CharField(_("kind"), max_length=32, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    eligibility_reasons = models.JSONField(_("why"), default=list, blank=True)
    evaluated_on = models.DateField(_("evaluated on"), null=True, blank=True)
    is_key_target = models.BooleanField(_("key target"), default=False, db_index=True)

    is_demo = models.BooleanField(_("demo data"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["region_code", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~models.Q(id_number=""), name="child_unique_id_number"
            )
        ]
        indexes = [
            models.Index(fields=["region_code", "status"], name="child_region_status"),
            # The default list: not exited, in pinyin order.
            models.Index(fields=["status", "name_sort", "name", "id"], name="child_status_name"),
            # Counting a jurisdiction's left-behind children without reading the rows.
            models.Index(fields=["status", "is_left_behind", "region_code"], name="child_status_lb_region"),
            # A search's matches (child ids from the name keys) checked against the jurisdiction and
            # sorted by name from the index alone, without reading the rows (see selectors).
            models.Index(fields=["id", "region_code", "name_sort", "name"], name="child_id_scope_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_region_code(self) -> str:
        return self.region_code

    def age(self, today: date | None = None) -> int:
        from registry.eligibility import age_on

        return age_on(self.birth_date, today or timezone.localdate())


class ChildNameKey(models.Model):
    """One pinyin token of a child's name (full reading or initials), for prefix search on an index."""

    scope_path: ClassVar[str] = "child__region_code"

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="name_keys")
    key = models.CharField(max_length=64)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        # Prefix search: on PostgreSQL a LIKE 'lh%' that this operator class serves under any
        # collation (SQLite ignores opclasses and searches a range on a plain index).
        indexes = [models.Index(fields=["key"], name="childnamekey_key", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.key


class FamilyMember(models.Model):
    scope_path: ClassVar[str] = "child__region_code"

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="family")
    relationship = models.CharField(_("relationship"), max_length=2, choices=Relationship.choices)
    name = models.CharField(_("full name"), max_length=50)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    id_number = models.CharField(_("citizen ID number"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(_("situation"), max_length=24, choices=ParentStatus.choices, default="at_home")
    work_region = models.ForeignKey(
        Region,
        verbose_name=_("place of work"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A parent working abroad: the country (ISO 3166-1), and no place of work in China.
    work_country = models.CharField(_("country of work"), max_length=2, blank=True, choices=country_choices)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    left_on = models.DateField(_("left home on"), null=True, blank=True)
    last_returned_on = models.DateField(_("last returned home on"), null=True, blank=True)
    contact_frequency = models.CharField(
        _("contact with the child"), max_length=16, choices=ContactFrequency.choices, blank=True
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["relationship", "id"]
        constraints = [
            models.CheckConstraint(
                name="family_work_in_china_or_abroad",
                condition=models.Q(work_region__isnull=True) | models.Q(work_country=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_relationship_display()} {self.name}"

    @property
    def work_place(self) -> str:
        """Where the person works: the country abroad, else the place's full name in China."""
        if self.work_country:
            return country_name(self.work_country)
        return self.work_region.full_name if self.work_region is not None else ""


class EntrustedGuardian(models.Model):
    scope_path: ClassVar[str] = "child__region_code"

    child = models.OneToOneField(Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="guardian")
    name = models.CharField(_("full name"), max_length=50)
    id_number = models.CharField(_("citizen ID number"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    relationship = models.CharField(_("relationship"), max_length=2, choices=Relationship.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    health = models.CharField(_("health"), max_length=20, choices=GuardianHealth.choices, default="healthy")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("entrusted guardian")
        verbose_name_plural = _("entrusted guardians")

    def __str__(self) -> str:
        return self.name


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChildTransfer(TimeStampedModel):
    """A child's file moving to another village: sent by the holder, or asked for by the new village.

    Either side sees the transfer; the other side decides. Until it is accepted, the asking side
    sees only the child's name and date of birth, never the file.
    """

    scope_path: ClassVar[str] = "from_code"
    also_scope_paths: ClassVar[tuple[str, ...]] = ("to_code",)

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="transfers")
    from_code = models.CharField(_("from"), max_length=12, db_index=True)
    to_village = models.ForeignKey(Region, verbose_name=_("to village"), on_delete=models.PROTECT, related_name="+")
    to_code = models.CharField(_("to"), max_length=12, db_index=True)
    requested_by_receiver = models.BooleanField(_("asked for by the receiving village"), default=False)
    reason = models.CharField(_("reason"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.child} → {self.to_village}"

    @property
    def audit_region_code(self) -> str:
        return self.from_code


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    RETURNED = "returned", _("Returned to the village")
    ACCEPTED = "accepted", _("Accepted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A proposal the village still has to act on (returned) or the township has to decide (pending).
OPEN_CHANGE_STATUSES = (ChangeStatus.PENDING, ChangeStatus.RETURNED)


class ChildChange(TimeStampedModel):
    """A village's change to a registered file, held until the township accepts it.

    ``values``, ``members`` and ``guardian`` are the whole proposed file in plain JSON (dates as
    ISO text, foreign keys as primary keys; see ``registry.changes``); ``base`` is the file as it
    was when the village made the change, so that a change made on a file someone has changed
    since is recognised; ``changes`` is what the change does, as the audit trail would record it.
    A new entrustment scan is kept on the proposal until it is accepted.
    """

    scope_path: ClassVar[str] = "child__region_code"

    child = models.ForeignKey(Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="proposed_changes")
    values = models.JSONField(_("proposed values"), default=dict)
    members = models.JSONField(_("proposed family members"), default=list)
    guardian = models.JSONField(_("proposed entrusted guardian"), null=True, blank=True)
    base = models.JSONField(_("the file when the change was made"), default=dict)
    changes = models.JSONField(_("changed fields"), default=dict)
    entrustment_scan = models.FileField(_("entrustment confirmation scan"), upload_to="entrustments/%Y/", blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING, db_index=True
    )
    review_comment = models.CharField(_("review comment"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(status__in=["pending", "returned"]),
                name="childchange_one_open_per_child",
            )
        ]

    def __str__(self) -> str:
        return f"{self.child} · {self.get_status_display()}"

    @property
    def audit_region_code(self) -> str:
        return self.child.region_code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CHANGE_STATUSES

    def change_rows(self) -> list[tuple[str, object, object]]:
        """What the change does, field by field, labelled like the history of the file."""
        return change_rows(Child, self.changes)
