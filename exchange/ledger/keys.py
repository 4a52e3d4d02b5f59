"""The columns of the registry ledger (登记表 layout): their keys and header msgids.

``LEDGER_KEYS`` follows the order of ``registry.exports.ledger_headers()``; ``column_label`` gives
a column's header in the active language.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# (key, header msgid) in the order of registry.exports.ledger_headers().
LEDGER_KEYS: list[tuple[str, str]] = [
    ("no", gettext_noop("No.")),
    ("township", gettext_noop("Township")),
    ("village", gettext_noop("Village")),
    ("name", gettext_noop("Full name")),
    ("gender", gettext_noop("Gender")),
    ("ethnicity", gettext_noop("Ethnicity")),
    ("birth_date", gettext_noop("Date of birth")),
    ("id_number", gettext_noop("Citizen ID number")),
    ("health", gettext_noop("Health")),
    ("schooling", gettext_noop("Schooling")),
    ("school", gettext_noop("School")),
    ("grade", gettext_noop("Grade")),
    ("is_boarding", gettext_noop("Boarding")),
    ("living_arrangement", gettext_noop("Living arrangement")),
    ("father_name", gettext_noop("Father's name")),
    ("father_id_number", gettext_noop("Father's ID number")),
    ("father_phone", gettext_noop("Father's phone")),
    ("father_status", gettext_noop("Father's situation")),
    ("father_work_place", gettext_noop("Father's place of work")),
    ("mother_name", gettext_noop("Mother's name")),
    ("mother_id_number", gettext_noop("Mother's ID number")),
    ("mother_phone", gettext_noop("Mother's phone")),
    ("mother_status", gettext_noop("Mother's situation")),
    ("mother_work_place", gettext_noop("Mother's place of work")),
    ("guardian_name", gettext_noop("Entrusted guardian")),
    ("guardian_relationship", gettext_noop("Guardian's relationship")),
    ("guardian_phone", gettext_noop("Guardian's phone")),
    ("guardianship_type", gettext_noop("Guardianship type")),
    ("guardianship_assessment", gettext_noop("Guardianship assessment")),
    ("left_behind_kind", gettext_noop("Kind of left-behind child")),
    ("flags", gettext_noop("Flags")),
    ("status", gettext_noop("Status")),
    ("entry_date", gettext_noop("Entry date")),
]
HEADER_MSGIDS: dict[str, str] = dict(LEDGER_KEYS)


def column_label(key: str) -> str:
    """The column's header in the active language ("" for a problem with the whole row)."""
    return _(HEADER_MSGIDS[key]) if key in HEADER_MSGIDS else ""
