"""Row checks of 户籍 / 学籍 files: IDs, dates, codes, regions, duplicates, and what is kept."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date

import polars as pl
import pytest
from django.utils import translation

from conftest import Cast
from core.idnumber import check_character
from exchange.parsing import read_table
from exchange.validation import (
    ELSEWHERE,
    NOT_VILLAGE,
    UNKNOWN,
    RegionIndex,
    Validated,
    village_names,
)
from exchange.validation import (
    validate as run_validate,
)

TODAY = date(2025, 6, 1)
HUKOU = ["户号", "姓名", "公民身份号码", "性别", "出生日期", "户籍地址", "人员状态"]
SCHOOL = ["学籍号", "姓名", "身份证件号", "学校名称", "学校标识码", "年级", "是否住校", "学籍状态", "户口所在地"]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def regions(cast: Cast) -> RegionIndex:
    return RegionIndex.build("350303")


def id_number(birth: str = "20100503", sequence: str = "123", region: str = "350303") -> str:
    first = region + birth + sequence
    return first + check_character(first)


MALE_ID = id_number()  # 17th digit 3: male
FEMALE_ID = id_number(sequence="124")


def person(**changes: str) -> list[str]:
    row = {
        "户号": "001",
        "姓名": "张三",
        "公民身份号码": MALE_ID,
        "性别": "男",
        "出生日期": "2010-05-03",
        "户籍地址": "350303104201",
        "人员状态": "正常",
    }
    row.update(changes)
    return list(row.values())


def check(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = HUKOU,
    *,
    regions: RegionIndex,
    kind: str = "hukou",
    prefix: str = "350303",
) -> Validated:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    table = read_table(buffer.getvalue().encode(), kind=kind, filename="a.csv")
    result = run_validate(kind, table, regions=regions, today=TODAY, batch_prefix=prefix)
    # Nothing is dropped silently.
    assert result.valid.height + result.rows_rejected == table.rows_total
    assert result.errors.schema == pl.Schema(
        {"_row": pl.Int64, "column": pl.String, "value": pl.String, "message": pl.String}
    )
    return result


def errors(result: Validated) -> list[tuple[int, str, str]]:
    return [(r["_row"], r["column"], r["message"]) for r in result.errors.iter_rows(named=True)]


def only_error(result: Validated, column: str) -> str:
    found = errors(result)
    assert [c for _, c, _ in found] == [column], found
    return found[0][2]


# ---------------------------------------------------------------------------------------------
# A good row
# ---------------------------------------------------------------------------------------------


def test_a_valid_hukou_row_is_typed(regions: RegionIndex) -> None:
    header = [*HUKOU, "民族", "与户主关系", "户口性质", "变动日期", "居住地", "联系电话"]
    row = [*person(), "汉", "长子", "农业", "2020/1/2", "福建省泉州市晋江市", "138 1234 5678"]
    result = check([row], header, regions=regions)
    assert errors(result) == []
    assert result.valid.row(0, named=True) == {
        "_row": 2,
        "household_no": "001",
        "name": "张三",
        "id_number": MALE_ID,
        "gender": "1",
        "birth_date": date(2010, 5, 3),
        "ethnicity": "01",
        "relation": "22",
        "region_code": "350303104201",
        "address": "",
        "nature": "农业",
        "person_status": "normal",
        "change_date": date(2020, 1, 2),
        "residence_code": "350582000000",
        "residence": "福建省泉州市晋江市",
        "phone": "13812345678",
    }
    assert result.valid.schema["birth_date"] == pl.Date


def test_a_valid_school_row_is_typed(regions: RegionIndex) -> None:
    row = ["G350303201005031234", "张三", FEMALE_ID, "江口中心小学", "3503031234", "三年级", "否", "在校", ""]
    result = check([row], SCHOOL, regions=regions, kind="school")
    assert errors(result) == []
    assert result.valid.row(0, named=True) == {
        "_row": 2,
        "student_no": "G350303201005031234",
        "name": "张三",
        "id_number": FEMALE_ID,
        "gender": "2",
        "birth_date": date(2010, 5, 3),
        "school_name": "江口中心小学",
        "school_code": "3503031234",
        "grade": "三年级",
        "class_name": "",
        "is_boarding": False,
        "student_status": "enrolled",
        "flagged_left_behind": None,
        "guardian_name": "",
        "guardian_phone": "",
        "region_code": "",
    }


def test_school_rows_may_lack_an_id_number_but_not_a_grade(regions: RegionIndex) -> None:
    rows = [
        ["", "张三", "", "江口中心小学", "", "三年级", "", "在读", ""],
        ["", "李四", "", "江口中心小学", "", "", "", "在读", ""],
    ]
    result = check(rows, SCHOOL, regions=regions, kind="school")
    assert result.valid["name"].to_list() == ["张三"]
    assert errors(result) == [(3, "grade", "年级 is empty. Fill it in.")]


# ---------------------------------------------------------------------------------------------
# ID numbers
# ---------------------------------------------------------------------------------------------


def test_id_number_spaces_lower_case_x_and_full_width_digits(regions: RegionIndex) -> None:
    x_id = id_number(sequence="109")
    assert x_id.endswith("X")
    spaced = x_id[:6] + " " + x_id[6:14] + " " + x_id[14:].lower()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in MALE_ID)
    result = check([person(公民身份号码=spaced), person(公民身份号码=full_width, 姓名="李四")], regions=regions)
    assert errors(result) == []
    assert result.valid["id_number"].to_list() == [x_id, MALE_ID]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("3.50303E+17", "turned into a number by Excel"),
        ("3.503032010050312e+17", "turned into a number by Excel"),
        ("350303201005031000", "have turned into 0"),
        ("350303100503123", "old 15-digit ID number"),
        ("35030320100503123", "has 17"),
        ("35030320100503123A", "only digits"),
        (MALE_ID[:-1] + ("0" if MALE_ID[-1] != "0" else "1"), f"should be {MALE_ID[-1]}"),
        (id_number(birth="20100230"), "(characters 7 to 14: 20100230) is not a real date"),
        (id_number(birth="20300101"), "is in the future"),
        (id_number(birth="18991231"), "before 1900"),
        (id_number(region="990000"), "(990000) are not a known county code"),
        ("", "The ID number is missing"),
    ],
)
def test_bad_id_numbers(regions: RegionIndex, value: str, fragment: str) -> None:
    result = check([person(公民身份号码=value)], regions=regions)
    assert result.valid.is_empty()
    assert fragment in only_error(result, "id_number")


def test_id_number_from_a_numeric_excel_cell(regions: RegionIndex) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HUKOU)
    sheet.append(["001", "张三", 350303201005031234, "男", "2010-05-03", "350303104201", "正常"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), kind="hukou", filename="a.xlsx")
    result = run_validate("hukou", table, regions=regions, today=TODAY, batch_prefix="350303")
    assert "turned into a number by Excel" in only_error(result, "id_number")


def test_id_values_are_masked_in_errors(regions: RegionIndex) -> None:
    bad = MALE_ID[:-1] + ("0" if MALE_ID[-1] != "0" else "1")
    result = check([person(公民身份号码=bad)], [*HUKOU], regions=regions)
    assert result.errors["value"].to_list() == [bad[:6] + "********" + bad[-4:]]
    result = check([person(公民身份号码="3.50303E+17")], regions=regions)
    assert result.errors["value"].to_list() == ["*******E+17"]


def test_birth_date_and_gender_must_agree_with_the_id(regions: RegionIndex) -> None:
    result = check([person(出生日期="2010-05-04", 性别="女")], regions=regions)
    assert errors(result) == [
        (2, "birth_date", "The date of birth does not match the ID number, which gives 2010-05-03. Check both."),
        (
            2,
            "gender",
            "The gender does not match the ID number (its 17th digit is odd for men and even for women). Check both.",
        ),
    ]


def test_birth_date_and_gender_are_taken_from_the_id_when_empty(regions: RegionIndex) -> None:
    result = check([person(出生日期="", 性别="", 公民身份号码=FEMALE_ID)], regions=regions)
    assert errors(result) == []
    assert result.valid.select("gender", "birth_date").row(0) == ("2", date(2010, 5, 3))


def test_messages_follow_the_active_language(regions: RegionIndex) -> None:
    with translation.override("zh-hans"):
        result = check([person(公民身份号码="3.50303E+17")], regions=regions)
    assert "身份证号被 Excel 转成了数字" in only_error(result, "id_number")


# ---------------------------------------------------------------------------------------------
# Dates and codes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2010-05-03",
        "2010-5-3",
        "2010/5/3",
        "2010/05/03",
        "2010.5.3",
        "20100503",
        "2010年5月3日",
        "2010年05月03日",
        "40301",
        "2010-05-03 00:00:00",
        "2010/5/3 8:30",
        "2010-05-03T08:30:00",
    ],
)
def test_date_forms(regions: RegionIndex, value: str) -> None:
    result = check([person(出生日期=value)], regions=regions)
    assert errors(result) == []
    assert result.valid["birth_date"].to_list() == [date(2010, 5, 3)]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2010-02-30", "is not a real date"),
        ("2010-13-01", "is not a real date"),
        ("2010", "is not a real date"),
        ("三月", "is not a real date"),
        ("2030-01-01", "is in the future"),
        ("1899-12-31", "before 1900"),
    ],
)
def test_bad_dates(regions: RegionIndex, value: str, fragment: str) -> None:
    header = [*HUKOU, "变动日期"]
    result = check([[*person(), value]], header, regions=regions)
    message = only_error(result, "change_date")
    assert fragment in message and "变动日期" in message


def test_change_date_before_birth(regions: RegionIndex) -> None:
    result = check([[*person(), "2009-01-01"]], [*HUKOU, "变动日期"], regions=regions)
    assert "before the date of birth" in only_error(result, "change_date")


def test_gender_status_ethnicity_and_relation_words(regions: RegionIndex) -> None:
    header = [*HUKOU, "民族", "与户主关系"]
    rows = [
        [*person(性别="男性", 人员状态="已迁出"), "汉族", "户主"],
        [*person(性别="1", 人员状态="死亡", 公民身份号码=id_number(sequence="135"), 姓名="李四"), "01", "爸爸"],
        [*person(性别="女", 人员状态="注销", 公民身份号码=FEMALE_ID, 姓名="王五"), "回族", "02"],
    ]
    result = check(rows, header, regions=regions)
    assert errors(result) == []
    assert result.valid.select("gender", "person_status", "ethnicity", "relation").rows() == [
        ("1", "moved_out", "01", "02"),
        ("1", "deceased", "01", "51"),
        ("2", "cancelled", "03", "02"),
    ]


def test_unrecognised_words(regions: RegionIndex) -> None:
    header = [*HUKOU, "民族", "与户主关系"]
    result = check([[*person(性别="未知", 人员状态="失联"), "火星族", "邻居的狗"]], header, regions=regions)
    assert {c for _, c, _ in errors(result)} == {"gender", "person_status", "ethnicity", "relation"}


def test_school_words_and_booleans(regions: RegionIndex) -> None:
    header = ["姓名", "身份证件号", "学校名称", "年级", "是否住校", "学籍状态", "是否留守儿童"]
    rows = [
        ["张三", "", "江口中心小学", "一年级", "是", "在读", "Y"],
        ["李四", "", "江口中心小学", "一年级", "否", "休学", "N"],
        ["王五", "", "江口中心小学", "一年级", "1", "转出", "0"],
        ["赵六", "", "江口中心小学", "一年级", "", "辍学", ""],
        ["钱七", "", "江口中心小学", "一年级", "", "毕业", ""],
        ["孙八", "", "江口中心小学", "一年级", "也许", "退出", ""],
    ]
    result = check(rows, header, regions=regions, kind="school")
    assert result.valid.select("is_boarding", "student_status", "flagged_left_behind").rows() == [
        (True, "enrolled", True),
        (False, "suspended", False),
        (True, "transferred", False),
        (None, "dropped_out", None),
        (None, "graduated", None),
    ]
    assert [(r, c) for r, c, _ in errors(result)] == [(7, "is_boarding"), (7, "student_status")]


def test_school_code_must_have_ten_digits(regions: RegionIndex) -> None:
    row = ["", "张三", "", "江口中心小学", "12345", "三年级", "", "在读", ""]
    result = check([row], SCHOOL, regions=regions, kind="school")
    assert only_error(result, "school_code") == "The school identifier must have 10 digits."


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0594-1234567", "0594-1234567"),
        ("(0594)1234567", "0594-1234567"),
        ("05941234567", "05941234567"),
    ],
)
def test_good_phones(regions: RegionIndex, value: str, stored: str) -> None:
    result = check([[*person(), value]], [*HUKOU, "联系电话"], regions=regions)
    assert errors(result) == []
    assert result.valid["phone"].to_list() == [stored]


@pytest.mark.parametrize("value", ["12345", "23812345678", "138123456789", "13812345678/13912345678", "无人接听"])
def test_bad_phones(regions: RegionIndex, value: str) -> None:
    result = check([[*person(), value]], [*HUKOU, "联系电话"], regions=regions)
    assert "phone number is not valid" in only_error(result, "phone")
    masked = result.errors["value"][0]
    assert masked == ("*" * (len(value) - 4) + value[-4:] if len(value) > 4 else "****")


# ---------------------------------------------------------------------------------------------
# Names and whole rows
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","张三")', "+张三", "-张三", "@张三"])
def test_formula_looking_names(regions: RegionIndex, value: str) -> None:
    message = only_error(check([person(姓名=value)], regions=regions), "name")
    assert "would run as a formula" in message and f"“{value[0]}”" in message


@pytest.mark.parametrize(("value", "fragment"), [("张", "at least 2"), ("", "is empty"), ("-", "is empty")])
def test_bad_names(regions: RegionIndex, value: str, fragment: str) -> None:
    assert fragment in only_error(check([person(姓名=value)], regions=regions), "name")


def test_too_long_values(regions: RegionIndex) -> None:
    result = check([[*person(), "农" * 21]], [*HUKOU, "户口性质"], regions=regions)
    assert only_error(result, "nature") == "户口性质 is too long: at most 20 characters."


def test_duplicate_ids_and_repeated_rows(regions: RegionIndex) -> None:
    rows = [
        person(),
        person(姓名="李四", 公民身份号码=FEMALE_ID, 性别="女"),
        person(姓名="张叁"),
        person(),
    ]
    result = check(rows, regions=regions)
    assert result.valid["_row"].to_list() == [2, 3]
    assert errors(result) == [
        (4, "id_number", "The same ID number as row 2. Keep only one row for each person."),
        (5, "", "This row repeats row 2. Delete the repeated row."),
    ]


def test_every_problem_of_a_row_is_listed(regions: RegionIndex) -> None:
    result = check([person(姓名="=x", 性别="X", 人员状态="", 户籍地址="火星")], regions=regions)
    assert [c for _, c, _ in errors(result)] == ["name", "gender", "region_code", "person_status"]
    assert result.rows_rejected == 1


# ---------------------------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "350303104201",
        "江口镇东大村",
        "江口镇东大村委会",
        "江口镇东大村民委员会",
        "江口镇东大",
        "涵江区江口镇东大村",
        "福建省莆田市涵江区江口镇东大村",
        "福建莆田涵江区江口镇东大村",
        "江口镇东大村12号",
        "福建省莆田市涵江区江口镇东大村委会东大村235号之一",
        " 江口镇 东大村 ",
    ],
)
def test_region_forms(regions: RegionIndex, value: str) -> None:
    result = check([person(户籍地址=value)], regions=regions)
    assert errors(result) == []
    assert result.valid["region_code"].to_list() == ["350303104201"]
    assert result.valid["address"].to_list() == ["" if value.isdigit() else value.strip()]


@pytest.mark.parametrize(
    ("value", "prefix", "fragment"),
    [
        ("350303106201", "350303104", "outside your jurisdiction"),
        ("白沙镇白沙村", "350303104", "outside your jurisdiction"),
        ("350304001001", "350303", "outside your jurisdiction"),
        ("荔城区西天尾镇溪白村", "350303", "outside your jurisdiction"),
        ("350303104299", "350303", "not in the list of regions"),
        ("江口镇西大村", "350303", "not in the list of regions"),
        ("火星", "350303", "not in the list of regions"),
        ("江口镇", "350303", "not a village"),
        ("350303104000", "350303", "not a village"),
        ("涵江区", "350303", "not a village"),
        ("3503031042", "350303", "12 digits"),
    ],
)
def test_bad_regions(regions: RegionIndex, value: str, prefix: str, fragment: str) -> None:
    result = check([person(户籍地址=value)], regions=regions, prefix=prefix)
    assert fragment in only_error(result, "region_code")


def test_jurisdiction_of_a_township(regions: RegionIndex) -> None:
    result = check([person(户籍地址="江口镇东大村")], regions=regions, prefix="350303104")
    assert result.valid["region_code"].to_list() == ["350303104201"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("晋江市", "350582000000"),
        ("晋江", "350582000000"),
        ("福建省泉州市晋江市", "350582000000"),
        ("深圳市宝安区", "440306000000"),
        ("广东省深圳市宝安区西乡街道", "440306000000"),
        ("广东深圳", "440300000000"),
        ("350582", "350582000000"),
        ("江口镇东大村", "350303000000"),
        ("外地", ""),
        ("", ""),
    ],
)
def test_residence(regions: RegionIndex, value: str, code: str) -> None:
    result = check([[*person(), value]], [*HUKOU, "居住地"], regions=regions)
    assert errors(result) == []
    assert result.valid.select("residence_code", "residence").row(0) == (code, value)


def test_region_index_without_the_database() -> None:
    index = RegionIndex(
        villages=[("350303104201", "东大村委会"), ("350303001001", "新区社区居委会"), ("350303001002", "顶铺村")],
        townships=[("350303104000", "江口镇"), ("350303001000", "涵东街道")],
        higher=[("350303000000", "涵江区", "county"), ("350304000000", "荔城区", "county")],
    )
    assert index.resolve_village("涵东街道新区社区") == ("350303001001", "")
    assert index.resolve_village("涵东街道办事处新区社区居民委员会") == ("350303001001", "")
    assert index.resolve_village("涵东街道顶铺村委会3号") == ("350303001002", "")
    assert index.resolve_village("涵东街道") == (None, NOT_VILLAGE)
    assert index.resolve_village("荔城区黄石镇") == (None, ELSEWHERE)
    assert index.resolve_village("江口镇东") == (None, UNKNOWN)


def test_village_names() -> None:
    prefix, alone = village_names("东大村委会")
    assert {"东大村委会", "东大村民委员会", "东大村"} <= prefix
    assert alone == {"东大"}
    prefix, alone = village_names("新区社区居委会")
    assert {"新区社区", "新区社区居委会", "新区社区居民委员会"} <= prefix


# ---------------------------------------------------------------------------------------------
# Ledger
# ---------------------------------------------------------------------------------------------


def test_ledger_rows_pass_through_as_text(regions: RegionIndex) -> None:
    with translation.override("zh-hans"):
        from registry.exports import ledger_headers

        headers = [str(h) for h in ledger_headers()]
    row = [""] * len(headers)
    row[3], row[2] = "张三", "东大村委会"
    result = check([row], headers, regions=regions, kind="ledger")
    assert errors(result) == []
    assert result.valid.row(0, named=True)["name"] == "张三"
    assert result.valid.row(0, named=True)["id_number"] == ""


def test_unknown_kind(regions: RegionIndex) -> None:
    table = read_table(",".join(HUKOU).encode() + b"\n" + ",".join(person()).encode(), kind="hukou", filename="a")
    with pytest.raises(ValueError, match="kind"):
        run_validate("other", table, regions=regions, today=TODAY, batch_prefix="350303")


def test_two_excel_mangled_ids_get_one_error_each(regions: RegionIndex) -> None:
    result = check(
        [person(户号="001", 公民身份号码="3.50303E+17"), person(户号="002", 姓名="李四", 公民身份号码="3.50303E+17")],
        regions=regions,
    )
    found = errors(result)
    assert [(row, column) for row, column, _ in found] == [(2, "id_number"), (3, "id_number")], found
