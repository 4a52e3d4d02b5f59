"""Reading an uploaded 户籍 / 学籍 / ledger file into a frame of strings, one column per known field.

The type is decided by the content (zip workbook, OLE2 workbook, or text), not by the name, and
anything that is not a readable table is refused with ``FileRejected`` and a message the uploader
can act on. Cells become stripped strings (blank -> null); typing and row checks are the job of
``exchange.validation``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Final

import polars as pl
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from exchange.columns import columns_for, header_lookup, normalise_header

HEADER_SEARCH_ROWS: Final = 20
MIN_HEADER_MATCHES: Final = 2
ROW_COLUMN: Final = "_row"

# Stripped from both ends of every cell: ASCII and full-width spaces, no-break and zero-width spaces.
WHITESPACE: Final = " \t\r\n\u3000\u00a0\u200b\u200c\u200d\u2060\ufeff"
# First non-empty cell of a trailing row that is a total or a signature line, not a person.
_FOOTER: Final = re.compile(r"^(?:合计|总计|小计|共计|制表|填表|填报|审核|负责人|备注|注[:：])")
# Above this magnitude a float no longer holds every digit of an ID number (Excel keeps 15).
_EXACT_FLOAT_LIMIT: Final = 1e15
_PREFIX_BYTES: Final = 256 * 1024

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_ZIP: Final = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

UTF8: Final = "utf-8"
GB18030: Final = "gb18030"
UTF16: Final = "utf-16"
_ENCODING_NAMES: Final = {
    "auto": "auto",
    "": "auto",
    "utf-8": UTF8,
    "utf8": UTF8,
    "utf-8-sig": UTF8,
    "gbk": GB18030,
    "gb2312": GB18030,
    "gb18030": GB18030,
    "cp936": GB18030,
    "ansi": GB18030,
    "utf-16": UTF16,
}
# What the uploader chose or what the file seems to be in, as shown to them.
_ENCODING_LABELS: Final = {UTF8: "UTF-8", GB18030: "GBK", UTF16: "UTF-16"}


class FileRejected(Exception):
    """The whole file cannot be imported; ``message`` (already translated) tells the uploader why."""

    def __init__(self, message: str, *, code: str = "rejected") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


@dataclass
class ParsedTable:
    # "_row" (Int64, the row number shown by Excel) then one Utf8 column per recognised field.
    frame: pl.DataFrame
    encoding: str  # "" for Excel files, else the text encoding actually used
    header_row: int  # 1-based
    column_map: dict[str, str] = field(default_factory=dict)  # header as in the file -> field
    unknown_columns: list[str] = field(default_factory=list)
    rows_total: int = 0


Progress = Callable[[int], None]


def read_table(
    source: str | Path | bytes,
    *,
    kind: str,
    filename: str,
    encoding: str = "auto",
    max_rows: int = 2_000_000,
    progress: Progress | None = None,
) -> ParsedTable:
    """Read a .xlsx, .xls or .csv file; raises ``FileRejected`` when it cannot be imported."""
    chosen = _ENCODING_NAMES.get(encoding.strip().lower())
    if chosen is None:
        raise ValueError(f"unknown encoding {encoding!r}")
    columns_for(kind)  # fails early on an unknown kind
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if len(data) < _PREFIX_BYTES and not data.strip(b" \t\r\n\x00" + _UTF8_BOM):
        raise FileRejected(_("The file is empty. Check that you chose the right file."), code="empty")

    excel = data.startswith(_ZIP) or data.startswith(_OLE2)
    if excel:
        if data.startswith(_ZIP):
            _check_zip_workbook(data)
        raw, header_index = _read_excel(data, kind)
        used_encoding = ""
        text_formula = False
    else:
        _check_text_like(data, filename)
        raw, header_index, used_encoding, utf8 = _read_csv(data, kind, chosen)
        # Searching the bytes once is cheaper than a pattern over every column.
        text_formula = b'="' in utf8

    try:
        table = _build(raw, header_index, kind=kind, encoding=used_encoding, text_formula=text_formula)
    except pl.exceptions.PolarsError as error:  # a malformed file should never end in a traceback
        raise (_damaged() if excel else _bad_csv()) from error
    if table.rows_total > max_rows:
        raise FileRejected(
            _(
                "The file has %(count)s rows, more than the limit of %(limit)s rows. Split it into smaller "
                "files and upload them one by one."
            )
            % {"count": table.rows_total, "limit": max_rows},
            code="too_many_rows",
        )
    if progress is not None:
        progress(table.rows_total)
    return table


# ---------------------------------------------------------------------------------------------
# What kind of file is it?
# ---------------------------------------------------------------------------------------------

_SIGNATURES: Final = (
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"BM", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"RIFF", "image"),
    (b"%PDF", "pdf"),
    (b"Rar!", "archive"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"\x1f\x8b", "archive"),
    (b"{\\rtf", "word"),
)


def _not_a_table(what: str) -> FileRejected:
    descriptions = {
        "image": _("a picture"),
        "pdf": _("a PDF document"),
        "archive": _("a compressed archive"),
        "word": _("a Word document"),
        "presentation": _("a PowerPoint presentation"),
        "binary": _("not a table"),
    }
    return FileRejected(
        _(
            "This file is %(what)s, not a spreadsheet. Upload the .xlsx, .xls or .csv file exported from "
            "the household registration or student status system."
        )
        % {"what": descriptions[what]},
        code="not_a_table",
    )


def _damaged() -> FileRejected:
    return FileRejected(
        _(
            "The file is damaged or incomplete and cannot be read as an Excel workbook. Open it in Excel, "
            "save it again as an Excel workbook (.xlsx) and upload that file."
        ),
        code="damaged",
    )


def _check_zip_workbook(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError):
        raise _damaged() from None
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return
    if b"opendocument.spreadsheet" in mimetype:
        raise FileRejected(
            _(
                "This is an OpenDocument spreadsheet (.ods). Open it and save it as an Excel workbook "
                "(.xlsx), then upload that file."
            ),
            code="ods",
        )
    if "word/document.xml" in names or b"opendocument.text" in mimetype:
        raise _not_a_table("word")
    if "ppt/presentation.xml" in names:
        raise _not_a_table("presentation")
    raise _not_a_table("archive")


def _check_text_like(data: bytes, filename: str) -> None:
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise _not_a_table(what)
    if data.startswith(_UTF16_BOMS):
        return
    head = data[:4096]
    if b"\x00" in head:
        raise _not_a_table("binary")
    start = head.lstrip(_UTF8_BOM + b" \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta")) or b"<table" in head.lower():
        raise FileRejected(
            _(
                "The file is a web page or XML file saved under a spreadsheet name (%(name)s). Open it in "
                "Excel, save it as an Excel workbook (.xlsx) and upload that file."
            )
            % {"name": filename},
            code="html",
        )


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------

Cell = int | float | str | bool | time | date | datetime | timedelta


def cell_text(value: Cell | None) -> str | None:
    """One Excel cell as text: dates as YYYY-MM-DD, whole numbers without ".0".

    A float too large to hold every digit (an ID number Excel turned into 3.50303E+17) keeps its
    scientific form, so that validation can tell the uploader the digits are lost.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if value.is_integer() and abs(value) < _EXACT_FLOAT_LIMIT:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _read_excel(data: bytes, kind: str) -> tuple[pl.DataFrame, int]:
    """The chosen sheet as string columns c0..cN (row i of the frame is Excel row i+1)."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # calamine raises several error types, and pyo3 panics
        raise _excel_error(data) from error
    lookup = header_lookup(kind)
    first_with_data: list[list[Cell]] | None = None
    chosen: tuple[list[list[Cell]], int] | None = None
    try:
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.typ != SheetTypeEnum.WorkSheet or meta.visible != SheetVisibleEnum.Visible:
                continue
            rows = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
            if not any(cell not in ("", None) for row in rows[:1000] for cell in row):
                continue
            if first_with_data is None:
                first_with_data = rows
            top = [[cell_text(cell) for cell in row] for row in rows[:HEADER_SEARCH_ROWS]]
            header_index, score = find_header(top, lookup)
            if score >= MIN_HEADER_MATCHES:
                chosen = (rows, header_index)
                break
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        raise _excel_error(data) from error
    finally:
        workbook.close()
    if chosen is None:
        if first_with_data is None:
            raise FileRejected(_("The workbook has no sheet with data."), code="no_data")
        top = [[cell_text(cell) for cell in row] for row in first_with_data[:HEADER_SEARCH_ROWS]]
        raise _no_header(kind, top)
    rows, header_index = chosen
    return _frame_from_rows(rows), header_index


def _excel_error(data: bytes) -> FileRejected:
    if data.startswith(_OLE2):
        # An encrypted .xlsx is an OLE2 container holding an "EncryptedPackage" stream.
        if "EncryptedPackage".encode("utf-16-le") in data:
            return FileRejected(
                _(
                    "The workbook is protected with a password. Open it in Excel, remove the password "
                    "(File > Info > Protect Workbook), save it and upload it again."
                ),
                code="password",
            )
        if "WordDocument".encode("utf-16-le") in data:
            return _not_a_table("word")
        if "PowerPoint Document".encode("utf-16-le") in data:
            return _not_a_table("presentation")
    return _damaged()


def _frame_from_rows(rows: list[list[Cell]]) -> pl.DataFrame:
    width = max((len(row) for row in rows), default=0)
    if any(len(row) != width for row in rows):
        rows = [row + [""] * (width - len(row)) for row in rows]
    series = []
    for i, values in enumerate(zip(*rows, strict=True)):
        name = f"c{i}"
        try:
            # Most columns hold only text; polars refuses anything else, which is cheaper than looking.
            series.append(pl.Series(name, values, dtype=pl.String, strict=True))
        except TypeError:
            series.append(pl.Series(name, [cell_text(value) for value in values], dtype=pl.String))
    return pl.DataFrame(series)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def _to_utf8(data: bytes, encoding: str) -> bytes | None:
    """The file as UTF-8 bytes without a BOM, or None when it is not valid text in ``encoding``.

    For UTF-8 only the beginning is checked here; polars checks the rest as it reads. Old Mac
    line ends (a lone CR) become LF, which is all polars knows.
    """
    try:
        if encoding == UTF8:
            body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
            _valid_utf8_prefix(body[:_PREFIX_BYTES])
        elif encoding == UTF16:
            body = data.decode("utf-16").encode("utf-8")
        else:
            body = data.decode("gb18030").encode("utf-8")
    except UnicodeError:
        return None
    if b"\n" not in body[:_PREFIX_BYTES] and b"\r" in body[:_PREFIX_BYTES]:
        body = body.replace(b"\r", b"\n")
    return body


def _valid_utf8_prefix(prefix: bytes) -> None:
    """Raise UnicodeDecodeError unless ``prefix`` is UTF-8, allowing a character cut at the end."""
    for cut in range(4):
        try:
            prefix[: len(prefix) - cut].decode("utf-8")
            return
        except UnicodeDecodeError as error:
            if cut == 3 or error.start < len(prefix) - 4:
                raise


@dataclass
class _CsvLayout:
    separator: str
    records: list[list[str]]
    header_index: int
    score: int

    @property
    def found(self) -> bool:
        return self.score >= MIN_HEADER_MATCHES


def _csv_layout(utf8: bytes, lookup: dict[str, str]) -> _CsvLayout:
    prefix = utf8[:_PREFIX_BYTES].decode("utf-8", "ignore")
    best: _CsvLayout | None = None
    for separator in (",", "\t", ";"):
        try:
            reader = csv.reader(io.StringIO(prefix, newline=""), delimiter=separator)
            records = [record for _, record in zip(range(HEADER_SEARCH_ROWS), reader, strict=False)]
        except csv.Error:
            continue
        header_index, score = find_header(records, lookup)
        if best is None or score > best.score:
            best = _CsvLayout(separator, records, header_index, score)
    if best is None:
        raise _not_a_table("binary")
    return best


def _polars_csv(utf8: bytes, layout: _CsvLayout) -> pl.DataFrame | None:
    """The whole file as string columns c0..cN, or None when it is not valid UTF-8 after all."""
    width = max(len(record) for record in layout.records)
    try:
        return pl.read_csv(
            utf8,
            has_header=False,
            schema={f"c{i}": pl.String for i in range(width)},
            separator=layout.separator,
            quote_char='"',
            truncate_ragged_lines=True,
            raise_if_empty=False,
            low_memory=True,
        )
    except pl.exceptions.ComputeError as error:
        if "utf-8" in str(error).lower():
            return None
        raise _bad_csv() from error
    except pl.exceptions.PolarsError as error:
        raise _bad_csv() from error


def _bad_csv() -> FileRejected:
    return FileRejected(
        _(
            "The file cannot be read as a table of comma-separated values. Open it in Excel, save it as "
            "an Excel workbook (.xlsx) and upload that file."
        ),
        code="csv",
    )


def _read_csv(data: bytes, kind: str, chosen: str) -> tuple[pl.DataFrame, int, str, bytes]:
    lookup = header_lookup(kind)
    candidates = [chosen]
    if chosen == "auto":
        candidates = [UTF16] if data.startswith(_UTF16_BOMS) else [UTF8, GB18030]
    layout: _CsvLayout | None = None
    for encoding in candidates:
        utf8 = _to_utf8(data, encoding)
        if utf8 is None:
            continue
        layout = _csv_layout(utf8, lookup)
        if not layout.found:
            break
        raw = _polars_csv(utf8, layout)
        if raw is not None:
            return raw, layout.header_index, encoding, utf8
        layout = None

    if chosen != "auto":
        for other in (UTF8, GB18030, UTF16):
            other_utf8 = None if other == chosen else _to_utf8(data, other)
            if other_utf8 is not None and _csv_layout(other_utf8, lookup).found:
                raise FileRejected(
                    _(
                        "The file seems to be in %(detected)s encoding, not %(chosen)s as chosen. Choose "
                        "%(detected)s or automatic detection and upload it again."
                    )
                    % {"detected": _ENCODING_LABELS[other], "chosen": _ENCODING_LABELS[chosen]},
                    code="encoding",
                )
    if layout is not None:
        raise _no_header(kind, layout.records)
    if chosen != "auto":
        raise FileRejected(
            _(
                "The file is not valid %(chosen)s text. Choose another encoding or automatic detection and "
                "upload it again."
            )
            % {"chosen": _ENCODING_LABELS[chosen]},
            code="encoding",
        )
    raise FileRejected(
        _(
            "The file cannot be read as text in UTF-8 or GBK encoding. Check that it is a .csv file "
            "saved from Excel, or upload the .xlsx file instead."
        ),
        code="encoding",
    )


# ---------------------------------------------------------------------------------------------
# Header and rows
# ---------------------------------------------------------------------------------------------


def find_header(rows: Sequence[Sequence[str | None]], lookup: dict[str, str]) -> tuple[int, int]:
    """(index, score) of the row among the first ones that names the most known fields."""
    best_index, best_score = 0, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        fields = {lookup.get(normalise_header(cell)) for cell in row if cell}
        fields.discard(None)
        if len(fields) > best_score:
            best_index, best_score = index, len(fields)
    return best_index, best_score


def _no_header(kind: str, rows: Sequence[Sequence[str | None]]) -> FileRejected:
    required = [column.header for column in columns_for(kind) if column.required]
    if not any(cell for row in rows for cell in row if cell and cell.strip(WHITESPACE)):
        return FileRejected(_("The file is empty. Check that you chose the right file."), code="empty")
    return FileRejected(
        _(
            "No row of column names was found in the first %(count)s rows. The file needs a header row with "
            "columns such as %(columns)s. Download the template to see the expected columns."
        )
        % {"count": HEADER_SEARCH_ROWS, "columns": "、".join(required)},
        code="no_header",
    )


def _strip(expr: pl.Expr, *, text_formula: bool) -> pl.Expr:
    """Stripped, with "" as null."""
    value = expr.str.strip_chars(WHITESPACE)
    if text_formula:
        # ="0123" is how some systems keep Excel from turning a CSV cell into a number.
        value = value.str.replace(r'^="(.*)"$', "${1}").str.strip_chars(WHITESPACE)
    return pl.when(value == "").then(None).otherwise(value)


def _build(raw: pl.DataFrame, header_index: int, *, kind: str, encoding: str, text_formula: bool) -> ParsedTable:
    lookup = header_lookup(kind)
    headers = raw.row(header_index) if raw.height > header_index else ()
    column_map: dict[str, str] = {}
    selected: dict[str, str] = {}  # raw column -> field
    unknown: list[str] = []
    for name, cell in zip(raw.columns, headers, strict=False):
        text = (cell or "").strip(WHITESPACE)
        if not text:
            continue
        field_name = lookup.get(normalise_header(text))
        if field_name is None or field_name in selected.values():
            unknown.append(text)
            continue
        column_map[text] = field_name
        selected[name] = field_name

    missing = [c.header for c in columns_for(kind) if c.required and c.field not in selected.values()]
    if missing:
        raise FileRejected(
            _(
                "Required columns are missing: %(columns)s. Add them, or rename the columns as in the "
                "template, and upload the file again."
            )
            % {"columns": "、".join(missing)},
            code="missing_columns",
        )

    data = (
        raw.lazy()
        .with_row_index(ROW_COLUMN, offset=1)
        .slice(header_index + 1)
        .with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))
        .with_columns(_strip(pl.col(c), text_formula=text_formula).alias(c) for c in raw.columns)
        .filter(pl.any_horizontal(pl.col(c).is_not_null() for c in raw.columns))
        .collect()
    )
    data = _drop_footer(data, raw.columns)
    order = [c.field for c in columns_for(kind)]
    by_field = {field_name: name for name, field_name in selected.items()}
    fields = [f for f in order if f in by_field]
    frame = data.filter(pl.any_horizontal(pl.col(by_field[f]).is_not_null() for f in fields)).select(
        pl.col(ROW_COLUMN), *(pl.col(by_field[f]).alias(f) for f in fields)
    )
    if frame.height == 0:
        raise FileRejected(
            _("The file has no data below the header row (row %(row)s). Check that you chose the right file.")
            % {"row": header_index + 1},
            code="no_data",
        )
    return ParsedTable(
        frame=frame,
        encoding=encoding,
        header_row=header_index + 1,
        column_map=column_map,
        unknown_columns=unknown,
        rows_total=frame.height,
    )


def _drop_footer(data: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Drop trailing rows whose first non-empty cell starts with 合计, 制表人 and the like."""
    while data.height:
        last = data.row(data.height - 1, named=True)
        first = next((last[c] for c in columns if last[c] is not None), "")
        if not _FOOTER.match(first):
            break
        data = data.head(data.height - 1)
    return data
