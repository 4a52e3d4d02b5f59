"""Downloadable import templates: the header row of each kind, and a sheet that explains every column."""

from __future__ import annotations

import io
from typing import Final

import xlsxwriter  # type: ignore[import-untyped]
from django.utils.translation import gettext as _

from exchange.columns import (
    BOOLEAN,
    CODE,
    DATE,
    GENDER,
    ID,
    PERSON_STATUS,
    PHONE,
    REGION,
    STUDENT_STATUS,
    Column,
    columns_for,
)

# Kept as text so that Excel does not turn them into numbers (and lose the digits of an ID number).
TEXT_TYPES: Final = frozenset({ID, PHONE, CODE, REGION})
# Suggestions offered in a drop-down list; other accepted spellings can still be typed.
CHOICES: Final = {
    GENDER: ["男", "女"],
    PERSON_STATUS: ["正常", "迁出", "死亡", "注销"],
    STUDENT_STATUS: ["在读", "休学", "转出", "辍学", "毕业"],
    BOOLEAN: ["是", "否"],
}
TEMPLATE_ROWS: Final = 10_000  # rows that get the drop-down lists
REQUIRED_MARK: Final = "*"


def _generic_help(column: Column) -> str:
    """For ledger columns, which have no help text of their own."""
    if column.type == ID:
        return _("18-character citizen ID number. Format the column as text so that Excel keeps every digit.")
    if column.type == DATE:
        return _("A date such as 2010-05-03, 2010/5/3 or 20100503.")
    if column.type == PHONE:
        return _("An 11-digit mobile number, or a landline with its area code such as 0594-1234567.")
    return ""


def template_xlsx(kind: str) -> bytes:
    """An empty import file for ``kind`` (header row only) with an instructions sheet."""
    columns = columns_for(kind)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    required_header = workbook.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "font_color": "#C00000"}
    )
    text = workbook.add_format({"num_format": "@"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    bold = workbook.add_format({"bold": True})

    data = workbook.add_worksheet(_("Data"))
    for index, column in enumerate(columns):
        title = REQUIRED_MARK + column.header if column.required else column.header
        data.write_string(0, index, title, required_header if column.required else header)
        width = max(10, 2 * len(column.header) + 4)
        if column.type == ID:
            width = 22
        cell_format = text if column.type in TEXT_TYPES else day if column.type == DATE else None
        data.set_column(index, index, width, cell_format)
        if column.type in CHOICES:
            data.data_validation(
                1,
                index,
                TEMPLATE_ROWS,
                index,
                {"validate": "list", "source": CHOICES[column.type], "show_error": False},
            )
    data.freeze_panes(1, 0)

    notes = workbook.add_worksheet(_("Instructions"))
    notes.set_column(0, 0, 18)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 70)
    notes.set_column(3, 3, 30)
    lines = [
        _("Fill in the data sheet from row 2, one person per row. Do not change the header row."),
        _("Columns marked with * are required. Other columns may be left out or left empty."),
        _(
            "The ID number, phone and code columns are formatted as text: keep them so, or Excel turns long "
            "numbers into 3.50303E+17 and the digits are lost."
        ),
        _("Files are accepted as .xlsx, .xls or .csv (UTF-8 or GBK)."),
    ]
    for row, line in enumerate(lines):
        notes.write_string(row, 0, line)
    top = len(lines) + 1
    for index, title in enumerate([_("Column"), _("Required"), _("What to enter"), _("Also accepted as")]):
        notes.write_string(top, index, title, bold)
    for offset, column in enumerate(columns, start=1):
        notes.write_string(top + offset, 0, column.header, wrap)
        notes.write_string(top + offset, 1, _("Required") if column.required else _("Optional"), wrap)
        notes.write_string(top + offset, 2, str(column.help) or _generic_help(column), wrap)
        notes.write_string(top + offset, 3, "、".join(column.aliases), wrap)

    workbook.close()
    return buffer.getvalue()
