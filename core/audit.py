"""The audit trail: one way to record writes, and one to record reads and exports.

Services call ``record_change`` inside their own transaction, so a write and its audit entry
are committed together or not at all. The client address comes from the request being served
(set by ``core.middleware.RequestContextMiddleware``); background jobs have none.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django_stubs_ext import StrOrPromise

from core.idnumber import mask, mask_phone
from core.models import AuditEvent, AuditKind
from core.request_context import current_client_ip

# Readable names of the actions, filled in by each app (see register_actions).
ACTION_LABELS: dict[str, StrOrPromise] = {}


def register_actions(labels: Mapping[str, StrOrPromise]) -> None:
    ACTION_LABELS.update(labels)


def action_label(action: str) -> StrOrPromise:
    return ACTION_LABELS.get(action, action)


# Never copied into the audit trail, whatever model they sit on.
SECRET_FIELDS = frozenset({"password", "last_login"})
# Copied masked: the history is shown to officers, and must never reveal a full number. A
# disability certificate number (残疾人证号) is the holder's ID number with two digits added.
MASKED_FIELDS = {"id_number": mask, "phone": mask_phone, "disability_certificate": mask}


def _plain(value: Any) -> Any:
    """A JSON-safe, human-readable form of a field value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The current values of ``fields`` (default: all concrete fields) as readable text."""
    result: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS or (fields is not None and field.name not in fields):
            continue
        if field.primary_key:
            continue
        value = getattr(obj, field.name)
        if field.name in MASKED_FIELDS and isinstance(value, str):
            value = MASKED_FIELDS[field.name](value)
        if field.choices and not isinstance(value, models.Model):
            display = getattr(obj, f"get_{field.name}_display", None)
            value = display() if callable(display) else value
        result[field.name] = _plain(value)
    return result


EMPTY: tuple[Any, ...] = (None, "", [], {})


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as ``{field: [old, new]}``; for a new record, the filled ones."""
    keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
    changes = {key: [before.get(key), after.get(key)] for key in keys if before.get(key) != after.get(key)}
    if not before:
        changes = {key: pair for key, pair in changes.items() if pair[1] not in EMPTY and pair[1] is not False}
    return changes


def _actor_name(actor: Any) -> str:
    if actor is None:
        return "系统"
    name = getattr(actor, "display_name", None) or getattr(actor, "get_username", lambda: "")()
    return str(name)[:150]


def _region_code(obj: models.Model | None, region_code: str | None) -> str:
    if region_code is not None:
        return region_code
    code = getattr(obj, "audit_region_code", "") if obj is not None else ""
    return str(code or "")


def record(
    *,
    actor: Any,
    kind: str,
    action: str,
    obj: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    detail: str = "",
    region_code: str | None = None,
    object_type: str | None = None,
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    user = actor if getattr(actor, "pk", None) is not None else None
    return AuditEvent.objects.create(
        actor=user,
        actor_name=_actor_name(actor),
        kind=kind,
        action=action,
        object_type=(object_type or "")[:64],
        object_id=object_id[:64],
        object_repr=object_repr[:200],
        region_code=_region_code(obj, region_code),
        changes=dict(changes or {}),
        detail=detail[:500],
        client_ip=current_client_ip(),
    )


def record_change(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: str = "",
) -> AuditEvent:
    """Record a write; ``before`` is empty for a creation."""
    after = after if after is not None else snapshot(obj)
    return record(
        actor=actor, kind=AuditKind.WRITE, action=action, obj=obj, changes=diff(before or {}, after), detail=detail
    )


def record_access(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    export: bool = False,
    detail: str = "",
    region_code: str | None = None,
    object_type: str | None = None,
) -> AuditEvent:
    """Record that personal data was read (a dossier, a revealed ID number) or exported."""
    return record(
        actor=actor,
        kind=AuditKind.EXPORT if export else AuditKind.READ,
        action=action,
        obj=obj,
        detail=detail,
        region_code=region_code,
        object_type=object_type,
    )
