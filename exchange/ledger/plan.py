"""``plan_ledger``: sorts every row of a parsed ledger into new, changed, unchanged, conflict
or error (with duplicates within the file and files the actor may not change), writing nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from exchange.ledger.cells import CHUNK, _existing_view, _Masked, _masked_form, _Row
from exchange.ledger.entries import Action, LedgerEntry, LedgerIssue, LedgerPlan
from exchange.ledger.planner import _Planner
from registry import services
from registry.codes import ChildStatus
from registry.models import Child, EntrustedGuardian, FamilyMember


def _resolve_masked(row: _Row, view: Mapping[str, Any]) -> None:
    """A masked cell that is the masked form of the stored value means "unchanged"; else an error."""
    for key, value in list(row.given.items()):
        if not isinstance(value, _Masked):
            continue
        stored = view.get(key) or ""
        if stored and _masked_form(key, stored) == value:
            del row.given[key]
        else:
            row.issues.append(
                LedgerIssue(
                    key,
                    _("This number is masked and differs from the file: type the full number."),
                    value,
                )
            )


def plan_ledger(rows: pl.DataFrame, *, actor: User, region_prefix: str) -> LedgerPlan:
    """Sort every row of a parsed ledger into new, changed, unchanged, conflict or error. Writes nothing."""
    planner = _Planner(actor, region_prefix, rows.columns)
    read = [planner.read(raw) for raw in rows.iter_rows(named=True)]
    planner.preload(read)

    entries: dict[int, LedgerEntry] = {}
    matched: dict[int, Child | None] = {}
    for index, row in enumerate(read):
        action, child, reason = planner.match(row)
        if action is not None:
            column = "id_number" if action == Action.ERROR or row.id_number else "name"
            issues = [*row.issues, LedgerIssue(column, reason)]
            action = Action.ERROR if row.issues else action
            entries[index] = LedgerEntry(row.row_no, action, errors=issues)
            continue
        matched[index] = child

    # The same child twice in the file: none of its rows is applied.
    groups: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for index, child in matched.items():
        row = read[index]
        if child is not None:
            groups[("file", child.pk)].append(index)
        elif row.id_number:
            groups[("id", row.id_number)].append(index)
        elif row.texts.get("name") and row.given.get("birth_date"):
            groups[("person", (row.texts["name"], row.given["birth_date"]))].append(index)
    for (kind, _key), indexes in groups.items():
        if len(indexes) < 2:
            continue
        for index in indexes:
            others = "、".join(str(read[i].row_no) for i in indexes if i != index)
            reason = (
                _("The same ID number is also on row %(rows)s of the file.")
                if kind == "id"
                else _("Row %(rows)s of the file is for the same child.")
            ) % {"rows": others}
            column = "id_number" if kind == "id" else "name"
            entries[index] = LedgerEntry(read[index].row_no, Action.CONFLICT, errors=[LedgerIssue(column, reason)])

    known = [child.pk for child in matched.values() if child is not None]
    family: dict[int, list[FamilyMember]] = defaultdict(list)
    guardians: dict[int, EntrustedGuardian] = {}
    for start in range(0, len(known), CHUNK):
        chunk = known[start : start + CHUNK]
        for member in FamilyMember.objects.filter(child_id__in=chunk).select_related("work_region").order_by("id"):
            family[member.child_id].append(member)
        guardians.update({g.child_id: g for g in EntrustedGuardian.objects.filter(child_id__in=chunk)})

    for index, child in matched.items():
        if index not in entries:
            entries[index] = _classify(planner, read[index], child, family, guardians)
    return LedgerPlan(
        region_prefix=region_prefix,
        entries=[entries[i] for i in range(len(read))],
        found_elsewhere=planner.found_elsewhere,
    )


def _classify(
    planner: _Planner,
    row: _Row,
    child: Child | None,
    family: Mapping[int, list[FamilyMember]],
    guardians: Mapping[int, EntrustedGuardian],
) -> LedgerEntry:
    members = family.get(child.pk, []) if child is not None else []
    guardian = guardians.get(child.pk) if child is not None else None
    changed: list[str] = []
    if child is not None:
        view = _existing_view(child, members, guardian)
        _resolve_masked(row, view)
        changed = [
            key for key, value in row.given.items() if value != view.get(key) and not _same_school(key, value, view)
        ]
    else:
        for key, value in row.given.items():
            if isinstance(value, _Masked):
                row.issues.append(LedgerIssue(key, _("This number is masked: type the full number."), value))
    if row.issues:
        return LedgerEntry(row.row_no, Action.ERROR, child.pk if child else None, errors=row.issues)
    if child is not None and not changed:
        return LedgerEntry(row.row_no, Action.UNCHANGED, child.pk)
    if child is not None:
        refusal = _cannot_change(planner.actor, child)
        if refusal:
            return LedgerEntry(row.row_no, Action.CONFLICT, child.pk, changed, [LedgerIssue("", refusal)])
    write = planner.validate(row, child, members, guardian)
    if write is None:
        return LedgerEntry(row.row_no, Action.ERROR, child.pk if child else None, changed, row.issues)
    if child is None:
        return LedgerEntry(row.row_no, Action.NEW, None, write=write)
    becomes = {key: shown for key in changed if (shown := planner.becomes(key, row.given[key])) is not None}
    return LedgerEntry(row.row_no, Action.CHANGED, child.pk, changed, write=write, becomes=becomes)


def _cannot_change(actor: User, child: Child) -> str:
    """The reason child_save would refuse to change this file, or ""."""
    if child.status == ChildStatus.EXITED:
        return _("This child has exited the registry; the file is kept read-only.")
    if actor.role == Role.VILLAGE_DIRECTOR and child.status not in services.EDITABLE_BY_VILLAGE:
        return _("This file is being reviewed and cannot be changed now.")
    return ""


def _same_school(key: str, given: Any, stored: Any) -> bool:
    """The same school named two ways (a school of the list, or its name typed in) is no change."""
    if key != "school" or not isinstance(given, tuple) or not isinstance(stored.get(key), tuple):
        return False
    from exchange.ledger.cells import _fold

    return _fold(_school_label(given)) == _fold(_school_label(stored[key]))


def _school_label(value: tuple[str, Any]) -> str:
    kind, school = value
    if kind == "org":
        from accounts.models import Organisation

        return str(Organisation.objects.filter(pk=school).values_list("name", flat=True).first() or "").strip()
    return str(school or "").strip()
