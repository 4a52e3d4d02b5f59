"""Importing the registry's own ledger (登记表 layout) back: plan, apply, undo.

``plan_ledger`` reads the rows of a parsed ledger (one text column per key of ``LEDGER_KEYS``
and ``_row``, the row number in the file), turns the cells into the registry's form data and
sorts every row into new, changed, unchanged, conflict or error, without writing anything.
The rules are the registry's own: each row goes through ``ChildForm``, ``FamilyMemberForm``
and ``GuardianForm``, and ``apply_ledger`` writes through ``registry.services.child_save``, so
the audit trail, the eligibility and the to-do items follow as if the files had been typed in.

What a blank cell means:

* a cell that the registry cannot leave empty (name, gender, schooling, village…) keeps the
  existing value of a known child; for a new child it takes the field's default (Han ethnicity,
  healthy, not boarding; a parent "at home") or, without one, is reported as missing;
* a cell that may be empty (school, grade, a phone…) is written empty;
* a father, mother or guardian whose cells are all blank is left as the registry has them:
  the ledger never removes people from a file.

``left_behind_kind``, ``flags``, ``status`` and ``entry_date`` are computed or set by the
workflow and are read but not imported. New children are created as drafts.

Masked numbers (``350303********1234``, ``138****5678``, from a ledger exported without full
numbers) cannot be imported: such a cell counts as unchanged when it is the masked form of what
the registry holds, and is an error otherwise.

Nothing here logs or puts personal data into exceptions.

The package: ``keys`` (the columns), ``entries`` (the plan and its rows), ``cells`` (reading
cells), ``planner`` (turning a row into values, matching it and validating it into form data),
``plan``, ``apply`` and ``undo``.
"""

from exchange.ledger.apply import apply_ledger
from exchange.ledger.cells import parse_date
from exchange.ledger.entries import Action, LedgerEntry, LedgerIssue, LedgerPlan
from exchange.ledger.keys import LEDGER_KEYS, column_label
from exchange.ledger.plan import plan_ledger
from exchange.ledger.undo import undo_ledger

__all__ = [
    "LEDGER_KEYS",
    "Action",
    "LedgerEntry",
    "LedgerIssue",
    "LedgerPlan",
    "apply_ledger",
    "column_label",
    "parse_date",
    "plan_ledger",
    "undo_ledger",
]
