"""What the short codes of ``exchange.matching`` mean, for the people who verify a discrepancy."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REASON_LABELS: dict[str, Promise] = {
    "id_exact": _("same ID number"),
    "id_one_digit": _("ID number differs in one digit"),
    "id_transposed": _("ID number with two digits swapped"),
    "id_conflict": _("different valid ID numbers"),
    "id_close": _("ID number differs in one digit and the check character"),
    "record_taken": _("the record went to another file"),
    "parents_differ": _("the parents' names differ"),
    "same_group": _("linked through another file of the group"),
    "moved_out": _("moved out"),
    "deceased": _("deceased"),
    "cancelled": _("registration cancelled"),
    "dropped_out": _("dropped out"),
    "suspended": _("schooling suspended"),
    "name_same": _("same name"),
    "name_homophone": _("name sounds the same (homophone)"),
    "name_lookalike": _("name with a look-alike character"),
    "name_one_char": _("name differs in one character"),
    "name_diff": _("different name"),
    "birth_same": _("same date of birth"),
    "birth_near": _("date of birth differs slightly"),
    "birth_diff": _("different date of birth"),
    "gender_same": _("same sex"),
    "gender_diff": _("different sex"),
    "village_same": _("same village"),
    "household_parent": _("a parent's name matches the household"),
    "parent_same": _("same father or mother"),
    "unique_candidate": _("the only candidate"),
    "no_match": _("not found in the other source"),
    "under_age": _("under 16"),
    "parents_away": _("the parents live elsewhere"),
    "omission_candidates": _("children with parents away, none registered"),
    "school_age": _("of school age"),
    "flagged_left_behind": _("flagged left-behind by the school"),
}

FIELD_LABELS: dict[str, Promise] = {
    "name": _("full name"),
    "gender": _("gender"),
    "birth_date": _("date of birth"),
    "region_code": _("village"),
    "school_name": _("school"),
    "grade": _("grade"),
    "is_boarding": _("boarding at school"),
    "id_number": _("citizen ID number"),
}
