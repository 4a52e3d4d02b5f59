"""Background jobs of the registry, run by the worker."""

from __future__ import annotations

from registry.services import daily_reevaluation as _daily


def daily_reevaluation() -> str:
    return _daily()
