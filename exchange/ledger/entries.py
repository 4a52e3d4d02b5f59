"""What planning a ledger import produces: the action for each row (``Action``), why a row
cannot be imported (``LedgerIssue``), one row's outcome (``LedgerEntry``, with the ``_Write`` that
applying it performs) and the whole plan (``LedgerPlan``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import polars as pl

from exchange.ledger.keys import column_label


class Action(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    ERROR = "error"


@dataclass(frozen=True)
class LedgerIssue:
    """Why a row cannot be imported. ``column`` is a key of LEDGER_KEYS ("" for the whole row);
    ``value`` is the cell as typed, masked for numbers and empty for names."""

    column: str
    message: str
    value: str = ""

    @property
    def column_label(self) -> str:
        return column_label(self.column)


@dataclass
class _Write:
    """What applying a row writes; kept off repr so that no personal data is printed."""

    values: dict[str, Any]
    members: list[tuple[int | None, dict[str, Any]]]
    guardian: dict[str, Any] | None
    id_number: str
    updated_at: datetime | None = None


@dataclass
class LedgerEntry:
    row_no: int
    action: Action
    child_id: int | None = None
    changed: list[str] = field(default_factory=list)  # keys of LEDGER_KEYS
    errors: list[LedgerIssue] = field(default_factory=list)  # for errors and conflicts
    write: _Write | None = field(default=None, repr=False, compare=False)
    # What a changed cell becomes, for cells the import reads into something else than the text
    # (a place of work, a school): "台湾" becomes 台湾省. Never a name or a number.
    becomes: dict[str, str] = field(default_factory=dict)

    @property
    def changed_labels(self) -> list[str]:
        return [
            f"{column_label(key)}：{self.becomes[key] or '—'}" if key in self.becomes else column_label(key)
            for key in self.changed
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for a preview: no names, numbers masked."""
        return {
            "row_no": self.row_no,
            "action": str(self.action),
            "child_id": self.child_id,
            "changed": self.changed_labels,
            "errors": [
                {"column": e.column, "column_label": e.column_label, "value": e.value, "message": e.message}
                for e in self.errors
            ],
        }


@dataclass
class LedgerPlan:
    region_prefix: str
    entries: list[LedgerEntry]
    # (row number, child's key) for each ID number in the file that is registered outside the
    # importer's jurisdiction: the holding township's read log records that it was looked up.
    found_elsewhere: list[tuple[int, int]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = {str(action): 0 for action in Action}
        for entry in self.entries:
            counts[str(entry.action)] += 1
        return counts

    def summary(self, *, limit: int = 200) -> dict[str, Any]:
        """Counts, and the first ``limit`` rows that are not unchanged, for the preview."""
        shown = [entry.as_dict() for entry in self.entries if entry.action != Action.UNCHANGED][:limit]
        return {**self.counts, "rows": len(self.entries), "entries": shown}

    def error_count(self) -> int:
        """Rows in error (bad data). Conflicts are not counted: they are left out when applying."""
        return sum(1 for entry in self.entries if entry.action == Action.ERROR)

    def issues(self, *, conflicts: bool = True) -> Iterator[tuple[int, LedgerIssue]]:
        """(row number, issue) for every error (and conflict), in row order."""
        for entry in self.entries:
            if entry.action == Action.ERROR or (conflicts and entry.action == Action.CONFLICT):
                for issue in entry.errors:
                    yield entry.row_no, issue

    def errors_frame(self, *, conflicts: bool = True) -> pl.DataFrame:
        """The rejected rows for ``RowError``: ``_row``, ``column`` (the header in the active
        language), ``value`` (masked, no names) and ``message``."""
        found = list(self.issues(conflicts=conflicts))
        return pl.DataFrame(
            {
                "_row": [row_no for row_no, _issue in found],
                "column": [issue.column_label for _row_no, issue in found],
                "value": [issue.value for _row_no, issue in found],
                "message": [issue.message for _row_no, issue in found],
            },
            schema={"_row": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "message": pl.Utf8},
        )
