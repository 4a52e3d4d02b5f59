"""Data exchange: import batches of 户籍 / 学籍 / ledger files, their staged rows, and the
discrepancies that reconciliation finds between them and the registry.

Staged rows (``HukouRecord``, ``StudentRecord``) are plain typed copies of a file's valid rows,
loaded set-wise (PostgreSQL ``COPY``, SQLite ``executemany``); they carry the region code of the
row so that they are scoped like everything else and so that a province-wide table can be
partitioned by it.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.scoping import ScopedQuerySet


class SourceKind(models.TextChoices):
    HUKOU = "hukou", _("Household registration (hukou) extract")
    SCHOOL = "school", _("Student status (xueji) extract")
    LEDGER = "ledger", _("Registry ledger")


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Processing")
    READY = "ready", _("Ready to apply")
    REJECTED = "rejected", _("File rejected")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")
    DISCARDED = "discarded", _("Discarded")


class Phase(models.TextChoices):
    WAITING = "waiting", _("Waiting for the worker")
    READ = "read", _("Reading the file")
    VALIDATE = "validate", _("Checking rows")
    STAGE = "stage", _("Storing rows")
    MATCH = "match", _("Matching with the registry")
    DONE = "done", _("Done")


class ImportBatch(TimeStampedModel):
    scope_path: ClassVar[str] = "region_code"

    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices)
    # The jurisdiction the file covers: the uploader's own, or a township of it.
    region_code = models.CharField(_("jurisdiction code"), max_length=12, db_index=True)
    period = models.CharField(_("period"), max_length=20, blank=True)
    file = models.FileField(_("file"), upload_to="exchange/%Y/%m/", max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20, default="auto")
    detected_encoding = models.CharField(_("encoding used"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, default=Phase.WAITING)
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rejected rows"), default=0)
    rows_matched = models.PositiveIntegerField(_("rows matched"), default=0)
    header_row = models.PositiveIntegerField(_("header row"), default=0)
    column_map = models.JSONField(_("columns"), default=dict, blank=True)
    unknown_columns = models.JSONField(_("ignored columns"), default=list, blank=True)
    # Counts for the preview: {"new": n, "changed": n, "unchanged": n, "conflict": n, ...}.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # For a ledger batch: what applying it did, so that it can be undone.
    applied_changes = models.JSONField(default=dict, blank=True)
    error_message = models.CharField(_("reason"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def audit_region_code(self) -> str:
        return self.region_code


class RowError(models.Model):
    """A rejected row of a batch, with the column and a Chinese reason. Values are masked."""

    scope_path: ClassVar[str] = "batch__region_code"

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="row_errors")
    row_no = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=40, blank=True)
    value = models.CharField(_("value"), max_length=100, blank=True)
    message = models.CharField(_("reason"), max_length=300)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rejected row")
        verbose_name_plural = _("rejected rows")
        ordering = ["batch", "row_no", "id"]

    def __str__(self) -> str:
        return f"{self.row_no}: {self.message}"


class PersonStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    MOVED_OUT = "moved_out", _("Moved out")
    DECEASED = "deceased", _("Deceased")
    CANCELLED = "cancelled", _("Registration cancelled")


class HukouRecord(models.Model):
    """One valid row of a 户籍 extract."""

    scope_path: ClassVar[str] = "region_code"

    # Staged rows are loaded by COPY and always read per batch: the composite indexes below start
    # with the batch, so neither a separate batch index nor a database-enforced foreign key
    # (checked row by row during COPY) is kept; the pipeline deletes a batch's rows itself.
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="hukou_records", db_index=False, db_constraint=False
    )
    row_no = models.PositiveIntegerField(_("row"))
    household_no = models.CharField(_("household number"), max_length=30, blank=True)
    name = models.CharField(_("full name"), max_length=50)
    id_number = models.CharField(_("citizen ID number"), max_length=18, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, blank=True)
    relation = models.CharField(_("relation to the head of household"), max_length=2, blank=True)
    region_code = models.CharField(_("village code"), max_length=12, db_index=True)
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    nature = models.CharField(_("household nature"), max_length=20, blank=True)
    person_status = models.CharField(
        _("status"), max_length=10, choices=PersonStatus.choices, default=PersonStatus.NORMAL
    )
    change_date = models.DateField(_("date of change"), null=True, blank=True)
    # Where an adult actually lives (residence permit): a county code when it resolves.
    residence_code = models.CharField(_("place of residence code"), max_length=12, blank=True)
    residence = models.CharField(_("place of residence"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("household registration record")
        verbose_name_plural = _("household registration records")
        indexes = [
            models.Index(fields=["batch", "id_number"], name="hukou_batch_id"),
            models.Index(fields=["batch", "household_no"], name="hukou_batch_household"),
        ]

    def __str__(self) -> str:
        return f"#{self.batch_id}:{self.row_no}"

    @property
    def relation_label(self) -> str:
        """The GB/T 4761 name of the relation to the head of household."""
        from registry.codes import Relationship

        return str(dict(Relationship.choices).get(self.relation, self.relation))


class StudentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    SUSPENDED = "suspended", _("Suspended")
    TRANSFERRED = "transferred", _("Transferred out")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    GRADUATED = "graduated", _("Graduated")


class StudentRecord(models.Model):
    """One valid row of a 学籍 extract."""

    scope_path: ClassVar[str] = "region_code"

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="student_records", db_index=False, db_constraint=False
    )
    row_no = models.PositiveIntegerField(_("row"))
    student_no = models.CharField(_("national student number"), max_length=30, blank=True)
    name = models.CharField(_("full name"), max_length=50)
    id_number = models.CharField(_("citizen ID number"), max_length=18, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    school_name = models.CharField(_("school"), max_length=100, blank=True)
    school_code = models.CharField(_("school identifier"), max_length=10, blank=True)
    grade = models.CharField(_("grade"), max_length=20, blank=True)
    class_name = models.CharField(_("class"), max_length=20, blank=True)
    is_boarding = models.BooleanField(_("boarding at school"), null=True, blank=True)
    student_status = models.CharField(
        _("student status"), max_length=12, choices=StudentStatus.choices, default=StudentStatus.ENROLLED
    )
    flagged_left_behind = models.BooleanField(_("flagged left-behind by the school"), null=True, blank=True)
    guardian_name = models.CharField(_("guardian"), max_length=50, blank=True)
    guardian_phone = models.CharField(_("guardian's phone"), max_length=20, blank=True)
    # The household-registration village when the file gives one, else the batch's jurisdiction.
    region_code = models.CharField(_("village code"), max_length=12)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("student status record")
        verbose_name_plural = _("student status records")
        indexes = [models.Index(fields=["batch", "id_number"], name="student_batch_id")]

    def __str__(self) -> str:
        return f"#{self.batch_id}:{self.row_no}"


class DiscrepancyKind(models.TextChoices):
    HUKOU_NOT_FOUND = "hukou_not_found", _("Not found in the household registration: verify identity")
    HUKOU_EXIT = "hukou_exit", _("Moved out or deceased: exit candidate")
    HUKOU_CORRECTION = "hukou_correction", _("Differs from the household registration: correction")
    HUKOU_OMISSION = "hukou_omission", _("Child with parents living elsewhere, not in the registry: omission candidate")
    HUKOU_VILLAGE_GAP = "hukou_village_gap", _("Village with such children but none registered")
    SCHOOL_UPDATE = "school_update", _("School, grade or boarding changed")
    SCHOOL_MISSING = "school_missing", _("School-age child without a student record: possibly out of school")
    SCHOOL_DROPOUT = "school_dropout", _("Dropped out or suspended: follow up")
    SCHOOL_OMISSION = "school_omission", _("Flagged left-behind by the school, not in the registry: omission candidate")
    DUPLICATE = "duplicate", _("The same child twice in the registry: merge")


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed")
    CORRECTED = "corrected", _("Corrected")
    DISMISSED = "dismissed", _("Dismissed")


class Discrepancy(TimeStampedModel):
    """A difference between a source and the registry, to be verified by the village."""

    scope_path: ClassVar[str] = "region_code"

    kind = models.CharField(_("kind"), max_length=20, choices=DiscrepancyKind.choices)
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import batch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="discrepancies",
    )
    # The village the discrepancy belongs to (its to-do item goes to that village's director).
    region_code = models.CharField(_("village code"), max_length=12, db_index=True)
    child = models.ForeignKey(
        "registry.Child",
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="discrepancies",
    )
    other_child = models.ForeignKey(
        "registry.Child",
        verbose_name=_("other file"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    hukou_record = models.ForeignKey(HukouRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    student_record = models.ForeignKey(
        StudentRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The person as the source has them (name, birth date, masked ID…) and the fields that differ:
    # {"person": {...}, "fields": {field: [registry, source]}, "score": 0.93, "reasons": [...]}.
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Identifies the same finding across batches, so a re-import does not open it twice.
    key = models.CharField(max_length=80, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    resolution_note = models.CharField(_("resolution"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["status", "region_code", "kind", "id"]
        indexes = [models.Index(fields=["region_code", "status"], name="discrepancy_region_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def audit_region_code(self) -> str:
        return self.region_code
