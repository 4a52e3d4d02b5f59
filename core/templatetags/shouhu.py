from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template

register = template.Library()


@register.filter
def minutes(value: Any) -> int:
    """Whole minutes of a timedelta, rounded up (a lockout of 14.5 minutes reads as 15)."""
    if isinstance(value, timedelta):
        return int(-(-value.total_seconds() // 60))
    return 0


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def mask_id(value: Any) -> str:
    from core.idnumber import mask

    return mask(str(value or ""))


@register.filter
def mask_phone(value: Any) -> str:
    from core.idnumber import mask_phone as _mask_phone

    return _mask_phone(str(value or ""))
