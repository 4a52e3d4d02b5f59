"""Base model, jurisdiction-scoped querysets and the audit trail."""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedQuerySet


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditKind(models.TextChoices):
    WRITE = "write", _("Change")
    READ = "read", _("Read of personal data")
    EXPORT = "export", _("Export")
    LOGIN = "login", _("Sign-in")


def _readable(value: Any) -> Any:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return value


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit record."""


class AuditEventQuerySet(ScopedQuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One entry of the audit trail. Written only through core.audit; never changed."""

    scope_path: ClassVar[str] = "region_code"

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=AuditKind.choices, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    region_code = models.CharField(_("jurisdiction code"), max_length=12, blank=True, db_index=True)
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["region_code", "at"], name="audit_region_at"),
            # One object's history (a child's timeline).
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only.")

    @property
    def action_label(self) -> str:
        from core.audit import action_label

        return str(action_label(self.action))

    def change_rows(self) -> list[tuple[str, Any, Any]]:
        """The changed fields with their display labels, for people to read."""
        model = None
        if self.object_type:
            try:
                model = apps.get_model(self.object_type)
            except (LookupError, ValueError):
                model = None
        return change_rows(model, self.changes)


def change_rows(model: type[models.Model] | None, changes: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """``{field: [old, new]}`` as rows of (label, old, new): a field's verbose name where ``model``
    has such a field, otherwise the key as it is (a family member's "母亲李母 · 外出情况")."""
    rows = []
    for name, values in (changes or {}).items():
        label, is_file = name, False
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                field = model._meta.get_field(name)
                label = str(getattr(field, "verbose_name", name))
                is_file = isinstance(field, models.FileField)
        old, new = [*values, None, None][:2] if isinstance(values, list) else (None, values)
        if is_file:
            old, new = _file_states(old, new)
        rows.append((label, _readable(old), _readable(new)))
    return rows


def _file_states(old: Any, new: Any) -> tuple[str | None, str | None]:
    """A file as people read it: its storage path means nothing to them (and its media URL is
    not served); the file itself is opened through the view that checks and logs the read."""
    before = gettext("Uploaded") if old else None
    if not new:
        return before, gettext("Removed") if old else None
    return before, gettext("Replaced with a new file") if old else gettext("Uploaded")
