"""Reading 户籍 / 学籍 / ledger files: file types, encodings, header rows, cells as text."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter  # type: ignore[import-untyped]
import xlwt  # type: ignore[import-untyped]
from django.utils import translation
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from core.idnumber import check_character
from exchange.columns import LEDGER_KEYS, columns_for, header_lookup, normalise_header
from exchange.parsing import FileRejected, ParsedTable, cell_text, read_table
from exchange.template_files import template_xlsx

HEADER = ["户号", "姓名", "公民身份号码", "性别", "出生日期", "户籍地址", "人员状态"]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def id_number(birth: str = "20100503", sequence: str = "123", region: str = "350303") -> str:
    first = region + birth + sequence
    return first + check_character(first)


def person(name: str = "张三", sequence: str = "123") -> list[Any]:
    return ["001", name, id_number(sequence=sequence), "男", "2010-05-03", "350303104201", "正常"]


def csv_bytes(rows: Sequence[Sequence[Any]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]], *, merge_title: int = 0) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    if merge_title:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=merge_title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("户籍")
    day = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, value, day)
            elif value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def values(table: ParsedTable, field: str) -> list[Any]:
    return table.frame.get_column(field).to_list()


def rejected(data: bytes, name: str = "file.xlsx", **kwargs: Any) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_table(data, kind=kwargs.pop("kind", "hukou"), filename=name, **kwargs)
    assert caught.value.message == str(caught.value)
    return caught.value


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------


def test_xlsx_with_merged_title_blank_rows_total_row_and_unknown_column() -> None:
    rows = [
        ["江口镇户籍人口信息表"],
        [],
        [*HEADER, "备注"],
        [*person(), "  note  "],
        [None] * 8,
        person("李四", "124"),
        ["合计", "2人"],
    ]
    table = read_table(xlsx_bytes(rows, merge_title=8), kind="hukou", filename="户籍.xlsx")
    assert table.encoding == ""
    assert table.header_row == 3
    assert table.rows_total == 2
    assert values(table, "_row") == [4, 6]
    assert values(table, "name") == ["张三", "李四"]
    assert table.unknown_columns == ["备注"]
    assert table.column_map["公民身份号码"] == "id_number"
    assert table.frame.columns == [
        "_row",
        "household_no",
        "name",
        "id_number",
        "gender",
        "birth_date",
        "region_code",
        "person_status",
    ]


def test_xlsx_cells_become_text() -> None:
    rows: list[list[Any]] = [
        [*HEADER, "联系电话", "变动日期"],
        ["001", "  张三 ", 350303201005031234, "男", date(2010, 5, 3), 350303104201, "正常", 13812345678, None],
        ["002", "李四", id_number(), "女", datetime(2010, 5, 3, 8, 30), "350303104201", "正常", None, 1.5],
    ]
    table = read_table(xlsx_bytes(rows), kind="hukou", filename="a.xlsx")
    ids = values(table, "id_number")
    # Excel kept 15 digits: the value stays in scientific form so that validation can say so.
    assert ids[0].startswith("3.50303") and ids[0].endswith("e+17")
    assert ids[1] == id_number()
    assert values(table, "name") == ["张三", "李四"]
    assert values(table, "birth_date") == ["2010-05-03", "2010-05-03 08:30:00"]
    assert values(table, "region_code") == ["350303104201", "350303104201"]
    assert values(table, "phone") == ["13812345678", None]
    assert values(table, "change_date") == [None, "1.5"]


def test_cell_text() -> None:
    assert cell_text(None) is None
    assert cell_text(3.0) == "3"
    assert cell_text(13812345678.0) == "13812345678"
    assert cell_text(3.503032010050312e17) == "3.503032010050312e+17"
    assert cell_text(True) == "TRUE"
    assert cell_text(date(2010, 5, 3)) == "2010-05-03"
    assert cell_text(datetime(2010, 5, 3)) == "2010-05-03"
    assert cell_text(float("nan")) is None


def test_formula_cells_give_their_cached_value() -> None:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, person())
    sheet.write_formula(1, 1, '=CONCATENATE("王","五")', None, "王五")
    workbook.close()
    table = read_table(buffer.getvalue(), kind="hukou", filename="a.xlsx")
    assert values(table, "name") == ["王五"]


def test_xls_file() -> None:
    row: list[Any] = ["001", "张三", id_number(), "男", date(2010, 5, 3), "350303104201", "正常"]
    rows: list[list[Any]] = [["2024年第三季度户籍数据"], HEADER, row]
    table = read_table(xls_bytes(rows), kind="hukou", filename="a.xls")
    assert table.header_row == 2
    assert values(table, "_row") == [3]
    assert values(table, "birth_date") == ["2010-05-03"]
    assert values(table, "id_number") == [id_number()]


def test_type_is_decided_by_content_not_name() -> None:
    rows = [HEADER, person()]
    assert read_table(xlsx_bytes(rows), kind="hukou", filename="a.csv").encoding == ""
    assert read_table(csv_bytes(rows), kind="hukou", filename="a.xlsx").encoding == "utf-8"


def test_first_sheet_with_a_header_row_is_used() -> None:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.add_worksheet("封面").write(0, 0, "江口镇户籍数据")
    data = workbook.add_worksheet("数据")
    data.write_row(0, 0, HEADER)
    data.write_row(1, 0, person())
    workbook.close()
    table = read_table(buffer.getvalue(), kind="hukou", filename="a.xlsx")
    assert values(table, "name") == ["张三"]


# ---------------------------------------------------------------------------------------------
# CSV and encodings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8"), ("gbk", b"", "gb18030")],
)
def test_csv_encodings_are_detected(encoding: str, prefix: bytes, expected: str) -> None:
    data = prefix + csv_bytes([HEADER, person(), person("欧阳娜娜", "124")], encoding)
    table = read_table(data, kind="hukou", filename="a.csv")
    assert table.encoding == expected
    assert values(table, "name") == ["张三", "欧阳娜娜"]
    assert values(table, "household_no") == ["001", "001"]  # leading zeros kept
    assert table.column_map == {h: header_lookup("hukou")[normalise_header(h)] for h in HEADER}


def test_chosen_encoding_is_honoured() -> None:
    data = csv_bytes([HEADER, person()], "gbk")
    assert read_table(data, kind="hukou", filename="a.csv", encoding="gbk").encoding == "gb18030"
    data = csv_bytes([HEADER, person()], "utf-8")
    assert read_table(data, kind="hukou", filename="a.csv", encoding="utf-8").encoding == "utf-8"


def test_mislabelled_encoding_is_rejected_with_the_likely_one() -> None:
    error = rejected(csv_bytes([HEADER, person()], "gbk"), "a.csv", encoding="utf-8")
    assert error.code == "encoding"
    assert "GBK" in error.message and "UTF-8" in error.message
    error = rejected(csv_bytes([HEADER, person()], "utf-8"), "a.csv", encoding="gbk")
    assert error.code == "encoding"
    assert error.message.index("UTF-8") < error.message.index("GBK")


def test_gbk_file_with_ascii_start_falls_back_after_the_first_block() -> None:
    rows = [HEADER] + [["001", "Zhang San", id_number(), "1", "2010-05-03", "350303104201", "1"]] * 30_000
    rows.append(person("张三"))
    table = read_table(csv_bytes(rows, "gbk"), kind="hukou", filename="a.csv")
    assert table.encoding == "gb18030"
    assert values(table, "name")[-1] == "张三"


def test_csv_title_line_blank_lines_and_total_row() -> None:
    text = "\r\n".join(
        [
            "江口镇户籍人口",
            ",".join(HEADER),
            ",".join(person()),
            "",
            ",,,,,,",
            ",".join(person("李四", "124")),
            "合计,2人,,,,,",
            "",
        ]
    )
    table = read_table(text.encode("utf-8"), kind="hukou", filename="a.csv")
    assert table.header_row == 2
    assert values(table, "_row") == [3, 6]
    assert table.rows_total == 2


def test_csv_quoted_cells_and_excel_text_trick() -> None:
    text = ",".join(HEADER) + "\n" + f'001,"张三",="{id_number()}",男,2010-05-03,"江口镇东大村, 12号",正常\n'
    table = read_table(text.encode(), kind="hukou", filename="a.csv")
    assert values(table, "id_number") == [id_number()]
    assert values(table, "region_code") == ["江口镇东大村, 12号"]


def test_old_mac_line_ends_and_a_quote_left_open() -> None:
    text = ",".join(HEADER) + "\r" + ",".join(person()) + "\r"
    assert values(read_table(text.encode(), kind="hukou", filename="a.csv"), "name") == ["张三"]
    text = ",".join(HEADER) + "\n" + '001,"张三,' + ",".join(person()[2:]) + "\n"
    assert rejected(text.encode(), "a.csv").code == "csv"


def test_tab_separated_utf16_text() -> None:
    data = b"\xff\xfe" + csv_bytes([HEADER, person()], "utf-16-le", delimiter="\t")
    table = read_table(data, kind="hukou", filename="a.txt")
    assert table.encoding == "utf-16"
    assert values(table, "name") == ["张三"]


def test_path_source(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes([HEADER, person()]))
    assert read_table(path, kind="hukou", filename="a.csv").rows_total == 1
    assert read_table(str(path), kind="hukou", filename="a.csv").rows_total == 1


# ---------------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------------


def test_header_markers_spaces_and_aliases() -> None:
    header = ["*户编号", "姓 名", "身份证号(必填)", "性别（必填）", "出生\n日期", "户籍地", "状态", "现居住地"]
    header.append("手机号")
    row = [*person(), "晋江市", "13812345678"]
    table = read_table(csv_bytes([header, row]), kind="hukou", filename="a.csv")
    assert table.frame.columns == [
        "_row",
        "household_no",
        "name",
        "id_number",
        "gender",
        "birth_date",
        "region_code",
        "person_status",
        "residence",
        "phone",
    ]
    assert table.unknown_columns == []
    assert table.column_map["出生\n日期"] == "birth_date"


def test_normalise_header() -> None:
    assert normalise_header(" *公民身份号码（必填） ") == "公民身份号码"
    assert normalise_header("ＩＤ") == "id"
    assert normalise_header("村（社区）") == "村(社区)"
    assert normalise_header(None) == ""


def test_a_repeated_column_is_reported_and_ignored() -> None:
    table = read_table(csv_bytes([[*HEADER, "姓名"], [*person(), "别名"]]), kind="hukou", filename="a.csv")
    assert values(table, "name") == ["张三"]
    assert table.unknown_columns == ["姓名"]


def test_missing_required_columns_are_named_in_chinese() -> None:
    error = rejected(csv_bytes([HEADER[:5], person()[:5]]), "a.csv")
    assert error.code == "missing_columns"
    assert "户籍地址" in error.message and "人员状态" in error.message
    assert "姓名" not in error.message


def test_no_header_row() -> None:
    error = rejected(csv_bytes([["a", "b"], ["1", "2"]]), "a.csv")
    assert error.code == "no_header"
    assert "公民身份号码" in error.message


def test_school_kind_columns() -> None:
    header = ["学籍号", "姓名", "身份证件号", "学校", "年级", "班级", "住校", "在校状态", "留守儿童", "户口所在地"]
    row = ["G1", "张三", id_number(), "江口中心小学", "三年级", "2班", "是", "在读", "否", "江口镇东大村"]
    table = read_table(csv_bytes([header, row]), kind="school", filename="a.csv")
    assert table.frame.row(0, named=True) == {
        "_row": 2,
        "student_no": "G1",
        "name": "张三",
        "id_number": id_number(),
        "school_name": "江口中心小学",
        "grade": "三年级",
        "class_name": "2班",
        "is_boarding": "是",
        "student_status": "在读",
        "flagged_left_behind": "否",
        "region_code": "江口镇东大村",
    }


def test_ledger_headers_map_to_keys() -> None:
    with translation.override("zh-hans"):
        headers = [c.header for c in columns_for("ledger")]
    assert headers[3] == "姓名"
    row = [""] * len(headers)
    row[3], row[2] = "张三", "东大村委会"
    table = read_table(csv_bytes([headers, row]), kind="ledger", filename="台账.csv")
    assert set(table.column_map.values()) == set(LEDGER_KEYS)
    assert values(table, "name") == ["张三"]
    assert values(table, "village") == ["东大村委会"]


# ---------------------------------------------------------------------------------------------
# Files that are refused
# ---------------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"  \r\n\r\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (PNG, "not_a_table"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "not_a_table"),
        (b"%PDF-1.7\n...", "not_a_table"),
        (b"\x00\x01\x02\x03" * 50, "not_a_table"),
        (b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></body></html>", "html"),
    ],
)
def test_not_a_table(data: bytes, code: str) -> None:
    assert rejected(data, "户籍.xlsx").code == code


def test_png_named_xlsx_says_it_is_a_picture() -> None:
    assert "a picture" in rejected(PNG, "户籍.xlsx").message


def zip_with(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_zip_files_that_are_not_workbooks() -> None:
    assert "Word" in rejected(zip_with(["word/document.xml"]), "a.xlsx").message
    assert "archive" in rejected(zip_with(["photos/1.jpg"]), "a.xlsx").message


def test_truncated_and_corrupted_workbooks() -> None:
    data = xlsx_bytes([HEADER, person()])
    assert rejected(data[: len(data) // 2]).code == "damaged"
    assert rejected(zip_with(["xl/workbook.xml"])).code == "damaged"
    xls = xls_bytes([HEADER, person()])
    assert rejected(xls[:600], "a.xls").code == "damaged"


def test_header_only_file() -> None:
    error = rejected(csv_bytes([["江口镇户籍"], HEADER]), "a.csv")
    assert error.code == "no_data"
    assert "row 2" in error.message
    assert rejected(xlsx_bytes([HEADER, [None] * 7])).code == "no_data"


def test_row_limit() -> None:
    rows = [HEADER] + [person(sequence=f"{n:03d}") for n in range(5)]
    assert read_table(csv_bytes(rows), kind="hukou", filename="a.csv", max_rows=5).rows_total == 5
    error = rejected(csv_bytes(rows), "a.csv", max_rows=4)
    assert error.code == "too_many_rows"
    assert "4" in error.message and "5" in error.message


def test_progress_is_reported() -> None:
    seen: list[int] = []
    read_table(csv_bytes([HEADER, person(), person()]), kind="hukou", filename="a.csv", progress=seen.append)
    assert seen[-1] == 2


def test_unknown_kind_or_encoding_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="kind"):
        read_table(csv_bytes([HEADER]), kind="other", filename="a.csv")
    with pytest.raises(ValueError, match="encoding"):
        read_table(csv_bytes([HEADER]), kind="hukou", filename="a.csv", encoding="latin-1")


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["hukou", "school", "ledger"])
def test_template_reads_back(kind: str) -> None:
    content = template_xlsx(kind)
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert workbook.sheet_names == ["Data", "Instructions"]
    header = workbook.get_sheet_by_index(0).to_python()[0]
    required = [c for c in columns_for(kind) if c.required]
    assert [h for h in header if str(h).startswith("*")] == ["*" + c.header for c in required]
    notes = workbook.get_sheet_by_index(1).to_python()
    assert {row[0] for row in notes} >= {c.header for c in columns_for(kind)}
    # The template is a valid file with no rows yet.
    error = rejected(content, kind=kind)
    assert error.code == "no_data"
