"""core.xlsx: the ledger's writer produces workbooks that Excel-compatible readers read back."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from core.xlsx import column_letter, sheet_bytes, sheet_title


def read(content: bytes) -> Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert isinstance(sheet, Worksheet)
    return sheet


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA")])
def test_column_letters(index: int, letters: str) -> None:
    assert column_letter(index) == letters


def test_values_round_trip_through_openpyxl_and_calamine() -> None:
    rows = [
        [1, "林小明", "350303201503021234", None, "", 2.5, True, date(2015, 3, 2)],
        [2, "a < b & c > d", "  spaced  ", "line\nbreak", "x", -3, False, float("nan")],
    ]
    headers = ["序号", "姓名", "身份证号", "空", "空串", "数", "布尔", "日期"]
    content = sheet_bytes("台账", headers, rows, text_columns={2: 20})

    sheet = read(content)
    assert sheet.title == "台账"
    assert [c.value for c in sheet[1]] == headers
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    # A date is a date, shown as 2015-03-02, so that a spreadsheet sorts and filters it as one.
    first = [1, "林小明", "350303201503021234", None, None, 2.5, True, datetime(2015, 3, 2)]
    assert [c.value for c in sheet[2]] == first
    assert sheet["H2"].is_date and sheet["H2"].number_format == "yyyy\\-mm\\-dd"
    assert [c.value for c in sheet[3]] == [2, "a < b & c > d", "  spaced  ", "line\nbreak", "x", -3, False, "nan"]
    assert sheet["C2"].data_type == "s"
    assert sheet["C2"].number_format == "@"
    assert sheet.column_dimensions["C"].width == 20

    calamine = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert calamine[1][:3] == [1.0, "林小明", "350303201503021234"]
    assert calamine[2][1] == "a < b & c > d"
    assert calamine[1][7] == date(2015, 3, 2)


def test_text_that_would_run_as_a_formula_is_neutralised() -> None:
    content = sheet_bytes("s", ["h"], [["=1+1"], ["+86 138"], ["-"], ["@SUM(A1)"], ['=HYPERLINK("x")'], ["1=1"]])
    sheet = read(content)
    values = [sheet.cell(row=r, column=1).value for r in range(2, 8)]
    assert values == ["'=1+1", "'+86 138", "'-", "'@SUM(A1)", '\'=HYPERLINK("x")', "1=1"]
    assert all(sheet.cell(row=r, column=1).data_type == "s" for r in range(2, 8))
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


def test_control_characters_are_dropped_not_fatal() -> None:
    content = sheet_bytes("s", ["h"], [["a\x01b\x0bc"], ["tab\there"]])
    sheet = read(content)
    assert sheet["A2"].value == "abc"
    assert sheet["A3"].value == "tab\there"


def test_many_rows_and_rows_wider_than_the_header() -> None:
    rows = [[n, f"名{n}"] + (["extra"] if n == 1999 else []) for n in range(2000)]
    sheet = read(sheet_bytes("s", ["n", "name"], rows))
    assert sheet.max_row == 2001
    assert sheet.cell(row=2001, column=1).value == 1999
    assert sheet.cell(row=2001, column=3).value == "extra"
    assert sheet.cell(row=1001, column=2).value == "名999"


@pytest.mark.parametrize(
    ("title", "expected"),
    [("台账", "台账"), ("a/b[c]:d*e?f\\g", "a b c  d e f g"), ("x" * 40, "x" * 31), ("[]", "Sheet1")],
)
def test_sheet_titles_excel_accepts(title: str, expected: str) -> None:
    assert sheet_title(title) == expected
    assert read(sheet_bytes(title, ["h"], [])).title == expected
