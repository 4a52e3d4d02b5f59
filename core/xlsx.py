"""A one-sheet .xlsx writer for large exports (the registry ledger: 10,000 rows and more).

The general-purpose writers build an object or call a method per cell; for a 33-column ledger
that is most of the export's time. This module writes the sheet's XML directly, a row at a time,
into a deflated zip stream, so time and memory grow only with the text written. It writes what
the exports need and nothing else: strings (as inline strings), numbers, dates (as dates that
show as 2016-03-05, so that a spreadsheet sorts, filters and counts them as dates), a bold header
row frozen at the top, and columns formatted as text with a width.

The output is plain SpreadsheetML (ECMA-376) read by Excel, WPS, LibreOffice, openpyxl and
calamine; ``tests/test_xlsx.py`` reads it back with the last two.

Every string is written as text, never as a formula: a cell of type ``inlineStr`` holds no
formula whatever it starts with. Text beginning with ``= + - @`` (or a tab or carriage return)
still gets a leading apostrophe, as in ``core.exports.safe_cell``, so that it stays inert when
someone edits the cell and presses Enter.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

# Characters XML 1.0 cannot carry at all (a spreadsheet cannot either): dropped.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ROWS_PER_WRITE = 500
# Text a spreadsheet would run as a formula (CSV/formula injection); ``core.exports`` uses it too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_INVALID_TITLE = re.compile(r"[\[\]:*?/\\]")

STYLE_TEXT = 1
STYLE_BOLD = 2
STYLE_DATE = 3  # styles.xml's cellXfs below
_EPOCH = dt.date(1899, 12, 30)  # day 0 of a spreadsheet's dates (1900 system, past Lotus's 29 Feb 1900)

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    "</Relationships>"
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Shouhu</dc:creator></cp:coreProperties>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    "</Relationships>"
)
# Style 0: general; 1: text ("@", built-in format 49); 2: bold; 3: a date as yyyy-mm-dd.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def sheet_title(title: str) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\."""
    return _INVALID_TITLE.sub(" ", title).strip()[:31] or "Sheet1"


def _workbook_xml(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name={quoteattr(sheet_title(title))} sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def _sheet_head(widths: Mapping[int, float], text_columns: Iterable[int]) -> str:
    text = set(text_columns)
    text_style = f' style="{STYLE_TEXT}"'
    cols = "".join(
        f'<col min="{c + 1}" max="{c + 1}" width="{widths.get(c, 10):g}"'
        f'{text_style if c in text else ""} customWidth="1"/>'
        for c in sorted(set(widths) | text)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
    )


class _Cells:
    """Each column's cell openings, built once: a row is then mostly string concatenation."""

    def __init__(self, styles: dict[int, int]) -> None:
        self.styles = styles
        self.opening: list[str] = []
        self.text: list[str] = []
        self.number: list[str] = []
        self.boolean: list[str] = []

    def grow(self, count: int) -> None:
        for column in range(len(self.opening), count):
            style = f' s="{self.styles[column]}"' if column in self.styles else ""
            self.opening.append(f'<c r="{column_letter(column)}')
            self.text.append(f'"{style} t="inlineStr"><is><t xml:space="preserve">')
            self.number.append(f'"{style}><v>')
            self.boolean.append(f'"{style} t="b"><v>')

    def row(self, number: int, row: Sequence[Any]) -> str:
        if len(row) > len(self.opening):
            self.grow(len(row))
        at = str(number)
        opening, text, numeric = self.opening, self.text, self.number
        cells = [f'<row r="{at}">']
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                cells.append(opening[column] + at + self.boolean[column] + ("1" if value else "0") + "</v></c>")
                continue
            if type(value) is dt.date:
                cells.append(f'{opening[column]}{at}" s="{STYLE_DATE}"><v>{(value - _EPOCH).days}</v></c>')
                continue
            if not isinstance(value, (str, int)) and not (isinstance(value, float) and math.isfinite(value)):
                value = str(value)  # a date, a Decimal, nan: its text
            if isinstance(value, str):
                if value.startswith(FORMULA_STARTS):
                    value = "'" + value
                if "&" in value or "<" in value or ">" in value:
                    value = escape(value)
                cells.append(opening[column] + at + text[column] + value + "</t></is></c>")
            else:
                cells.append(opening[column] + at + numeric[column] + repr(value) + "</v></c>")
        cells.append("</row>")
        xml = "".join(cells)
        # Control characters have no place in XML: drop them (they are never in the markup).
        # (isprintable() is a fast test that is true for nearly every row.)
        return xml if xml.isprintable() or not _ILLEGAL.search(xml) else _ILLEGAL.sub("", xml)


def sheet_bytes(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    text_columns: Mapping[int, float] | None = None,
    widths: Mapping[int, float] | None = None,
) -> bytes:
    """A workbook of one sheet: a bold, frozen header row, then ``rows`` (strings, numbers,
    booleans, dates; None leaves the cell empty; anything else is written as its text).
    ``text_columns`` maps column indexes to widths; those columns are formatted as text, so
    that what someone types into them later (an ID number) is not turned into a number."""
    text_columns = dict(text_columns or {})
    all_widths = {**(widths or {}), **text_columns}
    cells = _Cells(dict.fromkeys(text_columns, STYLE_TEXT))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("docProps/core.xml", _CORE)
        archive.writestr("xl/workbook.xml", _workbook_xml(title))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(all_widths, text_columns).encode())
            bold = _Cells(dict.fromkeys(range(len(headers)), STYLE_BOLD))
            chunk = [bold.row(1, [str(header) for header in headers])]
            for number, row in enumerate(rows, start=2):
                chunk.append(cells.row(number, row))
                if len(chunk) >= _ROWS_PER_WRITE:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            chunk.append("</sheetData></worksheet>")
            sheet.write("".join(chunk).encode())
    return buffer.getvalue()
