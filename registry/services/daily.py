"""The daily sweep: re-evaluation (birthdays change ages) and exits proposed at 16."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from registry.codes import ChildStatus
from registry.eligibility import age_on
from registry.models import (
    Child,
)
from registry.services.files import ELIGIBILITY_FIELDS, apply_eligibility, district_item, thresholds
from worklist.models import ItemKind

# --- Daily sweep -----------------------------------------------------------------------------


def birthday(born: date, age: int) -> date:
    """The date someone born on ``born`` turns ``age`` (29 February birthdays: 1 March)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return date(born.year + age, 3, 1)


def _propose_turned_16(child: Child, limit: int) -> None:
    child.exit_reason, child.exit_date = "turned_16", birthday(child.birth_date, limit)
    child.save(update_fields=["exit_reason", "exit_date"])
    audit.record(
        actor=None, kind="write", action="child.propose_exit", obj=child, detail=child.get_exit_reason_display()
    )
    district_item(
        actor=None,
        child=child,
        kind=ItemKind.PROPOSED_EXIT,
        title=_("%(name)s has turned %(age)s: confirm the exit") % {"name": child.name, "age": limit},
    )


def daily_reevaluation(*, today: date | None = None) -> str:
    """Re-evaluate every active child (birthdays change ages) and propose exits for those turning 16."""
    today = today or timezone.localdate()
    changed = proposed = 0
    limit = thresholds().age_limit
    for child in Child.objects.active().exclude(evaluated_on=today).iterator(chunk_size=500):
        with transaction.atomic():
            if apply_eligibility(child, today=today):
                child.save(update_fields=[*ELIGIBILITY_FIELDS, "evaluated_on"])
                changed += 1
            else:
                Child.objects.filter(pk=child.pk).update(evaluated_on=today)
            turned = age_on(child.birth_date, today) >= limit
            if child.status == ChildStatus.REGISTERED and not child.exit_reason and turned:
                _propose_turned_16(child, limit)
                proposed += 1
    return f"{changed} re-evaluated with a different result; {proposed} exits proposed"
