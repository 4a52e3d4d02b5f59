"""Row checks for a parsed 户籍 or 学籍 file, column-wise in polars.

``validate`` turns the strings of a ``ParsedTable`` into typed values with the models' codes and
lists every problem as (row, column, masked value, translated reason). A row with any problem is
rejected whole; the others go on, so valid rows + rejected rows = data rows.

Per-row work is done by polars expressions; Python only maps the *distinct* values of a column
(gender words, status words, place names), which are few even in a large file.

The package, by seam:

- ``core``: ``validate``, ``Validated``, the output fields, the per-column dispatch and the checks
  across columns and rows (birth date and gender against the ID number, duplicates);
- ``builder``: the frame being widened column by column and the checks found so far (``_Builder``),
  and the expression helpers every column check shares;
- ``regions``: ``RegionIndex``, which resolves a village code or name path and a place of residence;
- ``ids``: ID numbers (GB 11643) and other identifier codes;
- ``dates``: ``parse_dates`` and the date columns;
- ``fields``: word lists, gender, ethnicity, relation, status, yes/no, phone and region columns.
"""

from exchange.validation.core import (
    BOOLEAN_FIELDS,
    DATE_FIELDS,
    ERROR_SCHEMA,
    HUKOU_FIELDS,
    SCHOOL_FIELDS,
    VALUE_LENGTH,
    Validated,
    validate,
)
from exchange.validation.dates import EARLIEST_DATE, EXCEL_EPOCH, parse_dates
from exchange.validation.fields import BOOLEAN_WORDS, PERSON_STATUS_WORDS, STUDENT_STATUS_WORDS
from exchange.validation.regions import (
    AMBIGUOUS,
    COUNTY,
    ELSEWHERE,
    NOT_VILLAGE,
    PREFECTURE,
    PROVINCE,
    TOWNSHIP,
    UNKNOWN,
    VILLAGE,
    RegionIndex,
    place_key,
    township_names,
    village_names,
)

__all__ = [
    "AMBIGUOUS",
    "BOOLEAN_FIELDS",
    "BOOLEAN_WORDS",
    "COUNTY",
    "DATE_FIELDS",
    "EARLIEST_DATE",
    "ELSEWHERE",
    "ERROR_SCHEMA",
    "EXCEL_EPOCH",
    "HUKOU_FIELDS",
    "NOT_VILLAGE",
    "PERSON_STATUS_WORDS",
    "PREFECTURE",
    "PROVINCE",
    "SCHOOL_FIELDS",
    "STUDENT_STATUS_WORDS",
    "TOWNSHIP",
    "UNKNOWN",
    "VALUE_LENGTH",
    "VILLAGE",
    "RegionIndex",
    "Validated",
    "parse_dates",
    "place_key",
    "township_names",
    "validate",
    "village_names",
]
