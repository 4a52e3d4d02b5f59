"""exchange.matching: pure, set-based reconciliation on small polars frames (no database)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
import pytest

from exchange.matching import (
    DISCREPANCY_SCHEMA,
    MATCH_SCHEMA,
    match,
    reconcile_hukou,
    reconcile_school,
    registry_duplicates,
)
from exchange.models import DiscrepancyKind

TODAY = date(2025, 6, 1)
COUNTY = "350303"
VILLAGE = "350303100201"
VILLAGE_2 = "350303100202"
OTHER_TOWNSHIP_VILLAGE = "350303101201"
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def cid(born: str, seq: str) -> str:
    """A valid citizen ID number of Hanjiang for ``born`` (YYYYMMDD) and ``seq`` (3 digits)."""
    first = f"350303{born}{seq}"
    return first + "10X98765432"[sum(int(c) * w for c, w in zip(first, _W, strict=True)) % 11]


def one_digit(number: str, pos: int) -> str:
    return number[:pos] + str((int(number[pos]) + 1) % 10) + number[pos + 1 :]


def swapped(number: str, pos: int) -> str:
    return number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]


def child(child_id: int, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "child_id": child_id,
        "name": "林浩宇",
        "gender": "1",
        "birth_date": date(2015, 3, 2),
        "id_number": "",
        "region_code": VILLAGE,
        "status": "registered",
        "is_left_behind": True,
        "father_name": "",
        "mother_name": "",
        "father_id": "",
        "mother_id": "",
        "schooling": "primary",
        "school_name": "江口中心小学",
        "grade": "四年级",
        "is_boarding": False,
    }
    row.update(kw)
    return row


def person(record_id: int, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record_id": record_id,
        "row_no": record_id,
        "household_no": f"H{record_id}",
        "name": "林浩宇",
        "id_number": "",
        "gender": "1",
        "birth_date": date(2015, 3, 2),
        "relation": "20",
        "region_code": VILLAGE,
        "address": "",
        "person_status": "normal",
        "change_date": None,
        "residence_code": "",
        "residence": "",
    }
    row.update(kw)
    return row


def parent(record_id: int, household: str, name: str, *, away: bool, relation: str = "02", **kw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "household_no": household,
        "name": name,
        "gender": "1" if relation == "02" else "2",
        "birth_date": date(1985, 1, 1),
        "relation": relation,
        "residence": "广东省深圳市" if away else "",
        "residence_code": "440300000000" if away else "",
    }
    return person(record_id, **{**fields, **kw})


def student(record_id: int, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record_id": record_id,
        "row_no": record_id,
        "student_no": f"G{record_id}",
        "name": "林浩宇",
        "id_number": "",
        "gender": "1",
        "birth_date": date(2015, 3, 2),
        "school_name": "江口中心小学",
        "school_code": "2135000001",
        "grade": "四年级",
        "class_name": "1班",
        "is_boarding": False,
        "student_status": "enrolled",
        "flagged_left_behind": False,
        "region_code": VILLAGE,
    }
    row.update(kw)
    return row


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, infer_schema_length=None)


def hukou_kinds(registry: list[dict[str, Any]], hukou: list[dict[str, Any]]) -> pl.DataFrame:
    return reconcile_hukou(frame(registry), frame(hukou), today=TODAY, county_prefix=COUNTY)


def of_kind(out: pl.DataFrame, kind: str) -> pl.DataFrame:
    return out.filter(pl.col("kind") == kind)


ID = cid("20150302", "123")
SIBLING_ID = cid("20130105", "125")


# --- match(): each signal -------------------------------------------------------------------------

SIGNALS = [
    # (label, registry overrides, hukou overrides, matched, method, reasons that must be present)
    ("id exact", {"id_number": ID}, {"id_number": ID}, True, "id", ["id_exact", "name_same", "birth_same"]),
    (
        "id exact, renamed child",
        {"id_number": ID, "name": "林子轩"},
        {"id_number": ID},
        True,
        "id",
        ["id_exact", "name_diff"],
    ),
    (
        "id lower-case x and spaces",
        {"id_number": "35030320150302000X"},
        {"id_number": " 35030320150302000x"},
        True,
        "id",
        ["id_exact"],
    ),
    (
        "id one wrong digit, moved village",
        {"id_number": ID},
        {"id_number": one_digit(ID, 15), "region_code": VILLAGE_2},
        True,
        "fuzzy",
        ["id_one_digit", "name_same", "birth_same"],
    ),
    (
        "id two adjacent digits swapped",
        {"id_number": ID},
        {"id_number": swapped(ID, 14), "region_code": VILLAGE_2},
        True,
        "fuzzy",
        ["id_transposed"],
    ),
    ("same name, birth, village, no ID", {}, {}, True, "fuzzy", ["name_same", "birth_same", "village_same"]),
    ("homophone", {"name": "陈思涵"}, {"name": "陈思含"}, True, "fuzzy", ["name_homophone", "village_same"]),
    ("homophone, two characters", {"name": "陈思涵"}, {"name": "陈丝含"}, True, "fuzzy", ["name_homophone"]),
    (
        "homophone surname with a special reading",
        {"name": "曾子涵"},
        {"name": "增子涵"},
        True,
        "fuzzy",
        ["name_homophone"],
    ),
    ("look-alike character", {"name": "黄己明"}, {"name": "黄已明"}, True, "fuzzy", ["name_lookalike"]),
    ("look-alike surname", {"name": "王晓明"}, {"name": "玉晓明"}, True, "fuzzy", ["birth_same", "village_same"]),
    ("full-width and spaces", {"name": "林 浩宇"}, {"name": "林浩宇 "}, True, "fuzzy", ["name_same"]),
    (
        "birth day and month swapped, parent in the household",
        {"birth_date": date(2015, 3, 2), "father_name": "林建国"},
        {"birth_date": date(2015, 2, 3)},
        True,
        "fuzzy",
        ["birth_near", "household_parent"],
    ),
    (
        "moved village, parent in the household",
        {"father_name": "林建国"},
        {"region_code": VILLAGE_2},
        True,
        "fuzzy",
        ["household_parent"],
    ),
    ("moved village, only candidate", {}, {"region_code": VILLAGE_2}, True, "fuzzy", ["unique_candidate"]),
    ("different name", {"name": "林子轩"}, {}, False, None, []),
    ("different birth date", {}, {"birth_date": date(2014, 8, 9)}, False, None, []),
    ("one other character, no support", {"name": "林浩然"}, {"region_code": VILLAGE_2}, False, None, []),
    (
        "namesake with another valid ID",
        {"id_number": ID},
        {"id_number": cid("20150302", "457")},
        False,
        None,
        [],
    ),
    (
        "file carrying a sibling's ID",
        {"id_number": SIBLING_ID},
        {"id_number": SIBLING_ID, "name": "林晓敏", "gender": "2", "birth_date": date(2013, 1, 5)},
        False,
        None,
        [],
    ),
]


@pytest.mark.parametrize(
    ("registry_kw", "hukou_kw", "matched", "method", "reasons"),
    [case[1:] for case in SIGNALS],
    ids=[case[0] for case in SIGNALS],
)
def test_match_signals(registry_kw, hukou_kw, matched, method, reasons):
    hukou = [person(10, household_no="H1", **hukou_kw), parent(11, "H1", "林建国", away=True)]
    out = match(frame([child(1, **registry_kw)]), frame(hukou), county_prefix=COUNTY)
    assert out.schema == MATCH_SCHEMA
    if not matched:
        assert out.is_empty()
        return
    row = out.row(0, named=True)
    assert (row["child_id"], row["record_id"], row["method"]) == (1, 10, method)
    assert set(reasons) <= set(row["reasons"])
    assert 0.7 <= row["score"] <= 1.0


def test_match_is_one_to_one_and_prefers_the_better_candidate():
    registry = [
        child(1, name="林思远", id_number=cid("20150302", "111")),
        child(2, name="林思达", id_number=""),
    ]
    hukou = [
        person(10, household_no="H1", name="林思远", id_number=cid("20150302", "111")),
        person(11, household_no="H1", name="林思达"),
    ]
    out = match(frame(registry), frame(hukou))
    assert sorted(zip(out["child_id"], out["record_id"], strict=True)) == [(1, 10), (2, 11)]


def test_twins_are_not_taken_for_each_other():
    # Same household and birth date, names one character apart, distinct valid IDs.
    registry = [child(1, name="林思远", id_number=cid("20150302", "111"), father_name="林建国")]
    hukou = [
        person(10, household_no="H1", name="林思达", id_number=cid("20150302", "113")),
        parent(11, "H1", "林建国", away=True),
    ]
    assert match(frame(registry), frame(hukou)).is_empty()


def test_match_with_students_uses_the_same_signals():
    registry = [child(1, name="陈思涵", gender="2", id_number=ID)]
    students = [student(20, name="陈思含", gender="2", id_number=one_digit(ID, 3))]
    out = match(frame(registry), frame(students))
    assert out.select("child_id", "record_id", "method").row(0) == (1, 20, "fuzzy")
    assert {"id_one_digit", "name_homophone"} <= set(out["reasons"][0])


def test_long_names_compare_exactly():
    name = "阿依古丽·买买提"
    out = match(frame([child(1, name=name)]), frame([person(10, name=name), person(11, name="阿依古丽·买买")]))
    assert out.select("child_id", "record_id").rows() == [(1, 10)]


# --- reconcile_hukou ------------------------------------------------------------------------------


def test_hukou_exit():
    out = hukou_kinds(
        [child(1, id_number=ID)],
        [person(10, id_number=ID, person_status="deceased", change_date=date(2025, 1, 1))],
    )
    assert of_kind(out, DiscrepancyKind.HUKOU_EXIT).select("child_id", "record_id", "key").row(0) == (
        1,
        10,
        "hukou_exit:1",
    )
    assert of_kind(out, DiscrepancyKind.HUKOU_EXIT)["reasons"][0][0] == "deceased"
    assert of_kind(out, DiscrepancyKind.HUKOU_CORRECTION).is_empty()


@pytest.mark.parametrize(
    ("registry_kw", "hukou_kw", "fields"),
    [
        ({"name": "陈思涵"}, {"name": "陈思含"}, {"name": ["陈思涵", "陈思含"]}),
        ({}, {"region_code": VILLAGE_2}, {"region_code": [VILLAGE, VILLAGE_2]}),
        ({}, {"gender": "2"}, {"gender": ["1", "2"]}),
        ({}, {"birth_date": date(2015, 3, 12)}, {"birth_date": ["2015-03-02", "2015-03-12"]}),
        ({"id_number": ""}, {}, {"id_number": [None, ID]}),
        ({"id_number": one_digit(ID, 10)}, {}, {"id_number": [one_digit(ID, 10), ID]}),
    ],
    ids=["name", "village", "gender", "birth date", "missing ID", "wrong ID"],
)
def test_hukou_correction(registry_kw, hukou_kw, fields):
    registry_kw.setdefault("id_number", ID)
    hukou_kw.setdefault("id_number", ID)
    out = hukou_kinds([child(1, **registry_kw)], [person(10, **hukou_kw)])
    fixes = of_kind(out, DiscrepancyKind.HUKOU_CORRECTION)
    assert fixes.height == 1, out
    row = fixes.row(0, named=True)
    assert (row["child_id"], row["record_id"], row["region_code"], row["key"]) == (1, 10, VILLAGE, "hukou_correction:1")
    found = json.loads(row["fields"])
    found.get("id_number", [None])[0] = found.get("id_number", [None])[0] or None
    assert found == fields


def test_hukou_not_found_only_for_registered_children_of_covered_villages():
    registry = [
        child(1, name="林子轩"),
        child(2, name="林子轩", status="draft"),
        child(3, name="林子轩", region_code=OTHER_TOWNSHIP_VILLAGE),
        child(4, name="林子轩", status="exited"),
        child(5, id_number=ID),
    ]
    out = hukou_kinds(registry, [person(10, id_number=ID)])
    lost = of_kind(out, DiscrepancyKind.HUKOU_NOT_FOUND)
    assert lost.select("child_id", "record_id", "key").rows() == [(1, None, "hukou_not_found:1")]
    assert lost["reasons"][0].to_list() == ["no_match"]


@pytest.mark.parametrize(
    "second",
    [{"id_number": ID, "name": "林浩雨"}, {"id_number": "", "father_name": "林建国"}],
    ids=["same ID", "no ID"],
)
def test_hukou_not_found_names_the_record_another_file_took(second):
    registry = [child(1, id_number=ID, father_name="林建国"), child(2, **second)]
    hukou = [person(10, household_no="H1", id_number=ID), parent(11, "H1", "林建国", away=True)]
    lost = of_kind(hukou_kinds(registry, hukou), DiscrepancyKind.HUKOU_NOT_FOUND)
    assert lost.select("child_id", "record_id").rows() == [(2, 10)]
    assert lost["reasons"][0].to_list() == ["no_match", "record_taken"]


def household(kid: dict[str, Any], *adults: dict[str, Any]) -> list[dict[str, Any]]:
    return [kid, *adults]


OMISSIONS = [
    # (label, hukou rows, omission expected)
    (
        "both parents away",
        household(
            person(10, household_no="H1", name="林一诺"),
            parent(11, "H1", "林建国", away=True),
            parent(12, "H1", "陈秀英", away=True, relation="10"),
        ),
        True,
    ),
    (
        "residence not resolved to a code",
        household(
            person(10, household_no="H1", name="林一诺"),
            parent(11, "H1", "林建国", away=True, residence_code=""),
        ),
        True,
    ),
    (
        "one parent at home",
        household(
            person(10, household_no="H1", name="林一诺"),
            parent(11, "H1", "林建国", away=True),
            parent(12, "H1", "陈秀英", away=False, relation="10"),
        ),
        False,
    ),
    (
        "living elsewhere inside the county",
        household(
            person(10, household_no="H1", name="林一诺"),
            parent(11, "H1", "林建国", away=True, residence="涵江区江口镇", residence_code="350303100000"),
        ),
        False,
    ),
    (
        "grandchild whose parents (sons, daughters-in-law of the head) are away",
        household(
            person(10, household_no="H1", name="林一诺", relation="41"),
            parent(11, "H1", "林老福", away=False, relation="02"),
            parent(12, "H1", "林建国", away=True, relation="22"),
            parent(13, "H1", "陈秀英", away=True, relation="38"),
        ),
        True,
    ),
    (
        "the head is the child, parents away",
        household(
            person(10, household_no="H1", name="林一诺", relation="02"),
            parent(11, "H1", "林建国", away=True, relation="51"),
        ),
        True,
    ),
    (
        "a parent at home who moved out does not count",
        household(
            person(10, household_no="H1", name="林一诺"),
            parent(11, "H1", "林建国", away=True),
            parent(12, "H1", "陈秀英", away=False, relation="10", person_status="moved_out"),
        ),
        True,
    ),
    ("no parent-generation adult", [person(10, household_no="H1", name="林一诺")], False),
    (
        "aged 16",
        household(
            person(10, household_no="H1", name="林一诺", birth_date=date(2009, 5, 31)),
            parent(11, "H1", "林建国", away=True),
        ),
        False,
    ),
    (
        "child moved out",
        household(
            person(10, household_no="H1", name="林一诺", person_status="moved_out"),
            parent(11, "H1", "林建国", away=True),
        ),
        False,
    ),
    (
        "child already in the registry",
        household(
            person(10, household_no="H1", name="林浩宇"),
            parent(11, "H1", "林建国", away=True),
        ),
        False,
    ),
]


@pytest.mark.parametrize(("hukou", "expected"), [c[1:] for c in OMISSIONS], ids=[c[0] for c in OMISSIONS])
def test_hukou_omission(hukou, expected):
    out = hukou_kinds([child(1, name="林浩宇")], hukou)
    omitted = of_kind(out, DiscrepancyKind.HUKOU_OMISSION)
    assert omitted["record_id"].to_list() == ([10] if expected else [])
    if expected:
        row = omitted.row(0, named=True)
        assert row["region_code"] == VILLAGE and row["child_id"] is None
        assert row["fields"] == "{}"


def test_exited_child_uses_up_its_hukou_row():
    hukou = [person(10, household_no="H1", person_status="moved_out"), parent(11, "H1", "林建国", away=True)]
    out = hukou_kinds([child(1, status="exited")], hukou)
    assert out.is_empty()


def test_hukou_omission_key_is_stable_and_hides_the_id():
    number = cid("20180101", "222")
    hukou = [person(10, household_no="H1", name="林一诺", id_number=number), parent(11, "H1", "林建国", away=True)]
    first = of_kind(hukou_kinds([child(1)], hukou), DiscrepancyKind.HUKOU_OMISSION)["key"][0]
    hukou[0]["record_id"] = 99  # the next quarter's import
    again = of_kind(hukou_kinds([child(1)], hukou), DiscrepancyKind.HUKOU_OMISSION)["key"][0]
    assert first == again
    assert first.startswith("hukou_omission:") and len(first) <= 80
    assert number not in first and number[-6:] not in first


def test_hukou_village_gap():
    hukou = [
        person(10, household_no="H1", name="林一诺", region_code=VILLAGE_2),
        parent(11, "H1", "林建国", away=True, region_code=VILLAGE_2),
        person(12, household_no="H2", name="陈一诺"),
        parent(13, "H2", "陈建国", away=True),
    ]
    out = hukou_kinds([child(1, status="registered")], hukou)
    gaps = of_kind(out, DiscrepancyKind.HUKOU_VILLAGE_GAP)
    assert gaps.select("region_code", "child_id", "record_id", "key").rows() == [
        (VILLAGE_2, None, None, f"hukou_village_gap:{VILLAGE_2}")
    ]
    assert json.loads(gaps["fields"][0]) == {"children": [0, 1]}


# --- reconcile_school ------------------------------------------------------------------------------


def school(registry: list[dict[str, Any]], students: list[dict[str, Any]], **kw: Any) -> pl.DataFrame:
    return reconcile_school(frame(registry), frame(students), today=TODAY, **kw)


@pytest.mark.parametrize(
    ("student_kw", "fields"),
    [
        (
            {"school_name": "白沙中学", "grade": "七年级"},
            {"school_name": ["江口中心小学", "白沙中学"], "grade": ["四年级", "七年级"]},
        ),
        ({"is_boarding": True}, {"is_boarding": [False, True]}),
        ({"grade": " 四年级"}, None),
        ({"is_boarding": None, "school_name": ""}, None),
    ],
    ids=["school and grade", "boarding", "whitespace only", "unknown in the extract"],
)
def test_school_update(student_kw, fields):
    out = school([child(1, id_number=ID)], [student(20, id_number=ID, **student_kw)])
    updates = of_kind(out, DiscrepancyKind.SCHOOL_UPDATE)
    if fields is None:
        assert updates.is_empty()
        return
    assert updates.select("child_id", "record_id", "key").row(0) == (1, 20, "school_update:1")
    assert json.loads(updates["fields"][0]) == fields


@pytest.mark.parametrize("status", ["dropped_out", "suspended"])
def test_school_dropout(status):
    out = school([child(1, id_number=ID)], [student(20, id_number=ID, student_status=status, grade="一年级")])
    dropped = of_kind(out, DiscrepancyKind.SCHOOL_DROPOUT)
    assert dropped.select("child_id", "record_id").row(0) == (1, 20)
    assert dropped["reasons"][0][0] == status
    assert of_kind(out, DiscrepancyKind.SCHOOL_UPDATE).is_empty()


def test_school_missing():
    registry = [
        child(1, name="林子轩"),  # 10 years old, no record: missing
        child(2, name="林子涵", birth_date=date(2020, 1, 1)),  # 5: not school age
        child(3, name="林子墨", birth_date=date(2009, 5, 1)),  # 16
        child(4, name="林子豪", schooling="dropped_out"),  # already known
        child(5, name="林子航", region_code=OTHER_TOWNSHIP_VILLAGE),  # not covered by the extract
        child(6, name="林子琪", status="awaiting_review"),
        child(7, id_number=ID),  # has a record
    ]
    out = school(registry, [student(20, id_number=ID, region_code="350303100000")])
    missing = of_kind(out, DiscrepancyKind.SCHOOL_MISSING)
    assert missing.select("child_id", "key").rows() == [(1, "school_missing:1")]


def test_school_missing_with_explicit_coverage():
    registry = [child(1, name="林子轩"), child(5, name="林子航", region_code=OTHER_TOWNSHIP_VILLAGE)]
    out = school(registry, [student(20, id_number=ID)], covered_prefixes=["350303"])
    assert of_kind(out, DiscrepancyKind.SCHOOL_MISSING)["child_id"].to_list() == [1, 5]


def test_school_omission():
    students = [
        student(20, name="陈一诺", flagged_left_behind=True),
        student(21, name="陈二诺", flagged_left_behind=False),
        student(22, name="林浩宇", flagged_left_behind=True),  # matched
        student(23, name="陈三诺", flagged_left_behind=True, student_status="graduated"),
    ]
    out = school([child(1)], students)
    omitted = of_kind(out, DiscrepancyKind.SCHOOL_OMISSION)
    assert omitted["record_id"].to_list() == [20]
    assert omitted["key"][0].startswith("school_omission:")


# --- registry_duplicates --------------------------------------------------------------------------

DUPLICATES = [
    # (label, second file's overrides, duplicate expected, a reason)
    ("same ID", {"id_number": ID, "name": "林晓"}, True, "id_exact"),
    ("homophone name, same village", {"name": "林浩雨"}, True, "name_homophone"),
    (
        "look-alike, same parents",
        {"name": "林浩字", "region_code": VILLAGE_2, "father_name": "林建国"},
        True,
        "parent_same",
    ),
    ("ID one digit off", {"id_number": one_digit(ID, 8), "region_code": VILLAGE_2}, True, "id_one_digit"),
    ("same name and birth, elsewhere, nothing else", {"region_code": VILLAGE_2}, False, None),
    ("twins with valid IDs", {"name": "林浩然", "id_number": cid("20150302", "125")}, False, None),
    ("exited file", {"status": "exited"}, False, None),
]


@pytest.mark.parametrize(("second", "expected", "reason"), [c[1:] for c in DUPLICATES], ids=[c[0] for c in DUPLICATES])
def test_registry_duplicates(second, expected, reason):
    first = child(1, id_number=ID, father_name="林建国")
    out = registry_duplicates(frame([first, child(2, **{"father_name": "", **second})]))
    assert out.schema == DISCREPANCY_SCHEMA
    if not expected:
        assert out.is_empty()
        return
    row = out.row(0, named=True)
    assert (row["kind"], row["child_id"], row["other_child_id"], row["region_code"]) == ("duplicate", 1, 2, VILLAGE)
    assert row["key"] == "duplicate:1:2"
    assert reason in row["reasons"]


def test_registry_duplicates_close_groups_on_the_lowest_id():
    files = [
        child(7, id_number=ID),
        child(3, id_number=ID, name="林浩雨"),  # same ID as 7
        child(9, name="林浩雨"),  # like 3, no ID
    ]
    out = registry_duplicates(frame(files))
    assert out.select("child_id", "other_child_id").rows() == [(3, 7), (3, 9)]


# --- shapes ---------------------------------------------------------------------------------------


def test_empty_inputs_give_empty_typed_outputs():
    registry = frame([child(1)]).clear()
    hukou = frame([person(1)]).clear()
    assert reconcile_hukou(registry, hukou, today=TODAY, county_prefix=COUNTY).schema == DISCREPANCY_SCHEMA
    assert reconcile_school(registry, frame([student(1)]).clear(), today=TODAY).schema == DISCREPANCY_SCHEMA
    assert registry_duplicates(registry).schema == DISCREPANCY_SCHEMA
    assert match(registry, hukou).schema == MATCH_SCHEMA


def test_missing_required_column_is_named():
    with pytest.raises(ValueError, match="birth_date"):
        match(frame([child(1)]).drop("birth_date"), frame([person(1)]))


def test_outputs_have_the_discrepancy_schema():
    out = hukou_kinds([child(1, id_number=ID, name="林浩雨")], [person(10, id_number=ID)])
    assert out.schema == DISCREPANCY_SCHEMA
    assert out["kind"].to_list() == ["hukou_correction"]


# --- ID numbers one character apart ----------------------------------------------------------------

VALID = cid("20150302", "125")  # ends in a digit, so every position can be changed


@pytest.mark.parametrize("pos", range(18))
def test_one_wrong_digit_anywhere_is_found(pos):
    wrong = VALID[:pos] + str((int(VALID[pos]) + 3) % 10) + VALID[pos + 1 :]
    # Another village and a name that alone would not match: only the ID can bring the pair together.
    files = [child(1, id_number=VALID, region_code=VILLAGE), child(2, id_number=wrong, region_code=VILLAGE_2)]
    out = registry_duplicates(frame(files))
    assert out.select("child_id", "other_child_id").rows() == [(1, 2)]
    assert "id_one_digit" in out["reasons"][0]


@pytest.mark.parametrize("pos", [p for p in range(17) if VALID[p] != VALID[p + 1]])
def test_two_swapped_digits_anywhere_are_found(pos):
    files = [child(1, id_number=VALID), child(2, id_number=swapped(VALID, pos), region_code=VILLAGE_2)]
    out = registry_duplicates(frame(files))
    assert out.select("child_id", "other_child_id").rows() == [(1, 2)]
    assert "id_transposed" in out["reasons"][0]


def test_wrong_digit_with_recomputed_check_is_neither_support_nor_conflict():
    recomputed = cid("20150302", "127")  # valid, one sequence digit and the check character apart
    registry = [child(1, id_number=recomputed, father_name="林建国")]
    hukou = [person(10, household_no="H1", id_number=VALID), parent(11, "H1", "林建国", away=True)]
    out = match(frame(registry), frame(hukou))
    assert out.select("child_id", "record_id").rows() == [(1, 10)]
    assert "id_close" in out["reasons"][0] and "id_conflict" not in out["reasons"][0]


def test_twins_in_the_registry_are_not_duplicates():
    files = [
        child(1, name="林浩宇", id_number=cid("20150302", "123"), father_name="林建国", mother_name="陈秀英"),
        child(2, name="林浩然", id_number="", father_name="林建国", mother_name="陈秀英"),
        child(3, name="林思琪", gender="2", id_number=cid("20150302", "124"), father_name="林建国"),
    ]
    assert registry_duplicates(frame(files)).is_empty()


def test_namesakes_with_other_parents_are_not_duplicates():
    files = [
        child(1, father_name="林建国", mother_name="陈秀英"),
        child(2, father_name="林志明", mother_name="黄美玲"),
    ]
    assert registry_duplicates(frame(files)).is_empty()


def test_an_enrolled_record_wins_over_a_transferred_one_with_the_same_id():
    students = [
        student(20, id_number=ID, student_status="transferred", school_name="白沙中学"),
        student(21, id_number=ID, student_status="enrolled"),
    ]
    out = match(frame([child(1, id_number=ID)]), frame(students))
    assert out.select("child_id", "record_id").rows() == [(1, 21)]


def test_unknown_sex_code_falls_back_to_the_id_number():
    male_id = cid("20150302", "123")  # odd sequence: male
    out = match(frame([child(1, id_number=male_id, gender="0")]), frame([person(10, id_number="", gender="1")]))
    assert "gender_same" in out["reasons"][0]
    out = match(frame([child(1, gender="1")]), frame([person(10, id_number=male_id, gender="")]))
    assert "gender_same" in out["reasons"][0]
