"""Set-based reconciliation of the registry with 户籍 (hukou) and 学籍 (student status) extracts.

Pure functions on polars DataFrames: no ORM, no I/O, no logging. The caller loads the frames from the
database (schemas below), calls a function and stores its output. Everything is vectorised; the only
Python loops run over code tables, a few thousand distinct characters, and the findings themselves.

Input frames (columns missing from a frame are taken as null; extra columns are ignored)
-------------------------------------------------------------------------------------------
* :data:`REGISTRY_SCHEMA` — one row per child file (all statuses: an exited child still "uses up" its
  hukou row, so that it does not come back as an omission). ``region_code`` is the hukou village,
  ``id_number`` is null or ``""`` when the child has none, ``father_name``/``mother_name``/``father_id``/
  ``mother_id`` come from the file's family members 51/52, ``school_name`` is the school's name.
* :data:`HUKOU_SCHEMA` — one row per person of a 户籍 extract; ``relation`` is the GB/T 4761 code relative
  to the head of household, ``residence``/``residence_code`` say where an adult really lives.
* :data:`STUDENT_SCHEMA` — one row per student of a 学籍 extract.

Output frames
-------------
* :func:`match` → :data:`MATCH_SCHEMA`: one-to-one pairs of registry child and source record.
* :func:`reconcile_hukou`, :func:`reconcile_school`, :func:`registry_duplicates` →
  :data:`DISCREPANCY_SCHEMA`: one row per finding; ``kind`` is a ``DiscrepancyKind`` value, ``key`` identifies
  the finding across re-imports and holds no personal data in clear, ``fields`` is a JSON object
  ``{field: [registry_value, source_value]}`` for updates and corrections and ``{}`` otherwise.

How matching works
------------------
1. Identical, well-formed ID numbers pair first (``method="id"``); such a pair is still scored, so a file
   that carries a sibling's ID (other name, other birth date) is not taken for that sibling.
2. The rest are blocked: same birth date and same pinyin, same birth date and the name with one character
   masked, same birth date and village, same pinyin and village / year and month / year and day /
   month and day. A key held by too many rows of one side is skipped (common names in a big village).
   ID numbers one wrong digit or one adjacent swap apart: either error breaks the MOD 11-2 check, so for
   each invalid number the (at most 35) valid numbers it could have been are computed and joined.
3. Each candidate pair gets points from the signals in :data:`WEIGHTS` (ID, name, birth date, gender,
   village, parents); a pair with the same name and birth date, in the same county, that is the only
   such candidate of both sides gets a small bonus. Pairs at or above the threshold are assigned
   one-to-one, best score first (rounds of mutual best choices). ``score`` is points / 10, capped at 1.

Reason codes (``reasons``): the signals of the pair, from id_exact, id_one_digit, id_transposed,
id_close, id_conflict, name_same, name_homophone, name_lookalike, name_one_char, name_diff, birth_same,
birth_near, birth_diff, gender_same, gender_diff, village_same, household_parent, parent_same,
parents_differ, unique_candidate; and per kind: hukou_exit starts with the person status (moved_out,
deceased, cancelled), school_dropout with the student status (dropped_out, suspended); hukou_not_found
has no_match (+ record_taken, with ``record_id`` the record another file got); hukou_omission under_age,
parents_away, no_match; hukou_village_gap omission_candidates (``fields`` ``{"children": [0, n]}``);
school_missing school_age, no_match; school_omission flagged_left_behind, no_match; a duplicate pair
reached only through a third file adds same_group.

Names are compared per character: pinyin is computed once per distinct character (a few thousand) and
joined back; a homophone is a character with a reading in common (the surname readings of
``registry.pinyin`` included), a look-alike comes from :data:`LOOKALIKE_GROUPS`.

Modules
-------
* ``schemas`` — the frame schemas above and conforming an input frame to one.
* ``names`` — name cleaning, pinyin, homophones and look-alikes (:data:`LOOKALIKE_GROUPS`).
* ``ids`` — ID numbers: cleaning, the MOD 11-2 check, near misses (one digit, one adjacent swap).
* ``prepare`` — the prepared frames matching works on, 户籍 households, setting up both sides.
* ``pairs`` — blocking, scoring (:data:`WEIGHTS`), one-to-one assignment and :func:`match`.
* ``reconcile`` — :func:`reconcile_hukou`, :func:`reconcile_school`, :func:`registry_duplicates` and their
  findings.
"""

from exchange.matching.names import LOOKALIKE_GROUPS
from exchange.matching.pairs import THRESHOLD as THRESHOLD
from exchange.matching.pairs import WEIGHTS, match
from exchange.matching.reconcile import reconcile_hukou, reconcile_school, registry_duplicates
from exchange.matching.schemas import (
    DISCREPANCY_SCHEMA,
    HUKOU_SCHEMA,
    MATCH_SCHEMA,
    REGISTRY_SCHEMA,
    STUDENT_SCHEMA,
)

__all__ = [
    "DISCREPANCY_SCHEMA",
    "HUKOU_SCHEMA",
    "LOOKALIKE_GROUPS",
    "MATCH_SCHEMA",
    "REGISTRY_SCHEMA",
    "STUDENT_SCHEMA",
    "WEIGHTS",
    "match",
    "reconcile_hukou",
    "reconcile_school",
    "registry_duplicates",
]
