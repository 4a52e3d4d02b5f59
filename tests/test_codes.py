"""The registry's code tables and the helpers that read codes from imported text."""

from __future__ import annotations

import inspect

import pytest
from django.db import models
from django.utils import translation
from django.utils.functional import Promise

from registry import codes
from registry.codes import (
    ETHNICITY_CHINESE,
    GRANDPARENT_RELATIONSHIPS,
    PARENT_RELATIONSHIPS,
    RELATIONSHIP_CHINESE,
    AssistanceKind,
    Ethnicity,
    Gender,
    ParentStatus,
    Relationship,
    SchoolingStatus,
    choice_from_text,
    ethnicity_from_text,
    gender_from_text,
    relationship_from_text,
)

EXPECTED_TABLES = {
    "Gender",
    "Ethnicity",
    "Relationship",
    "ParentStatus",
    "HealthStatus",
    "DisabilityCategory",
    "DisabilityGrade",
    "SchoolingStatus",
    "LivingArrangement",
    "IncomeSource",
    "AssistanceKind",
    "PovertyFlag",
    "GuardianshipType",
    "GuardianshipAssessment",
    "GuardianHealth",
    "ContactFrequency",
    "ChildStatus",
    "ExitReason",
    "DifficultyKind",
}


def _tables() -> list[type[models.TextChoices]]:
    return [
        obj
        for _name, obj in inspect.getmembers(codes, inspect.isclass)
        if issubclass(obj, models.TextChoices) and obj.__module__ == codes.__name__
    ]


TABLES = _tables()


def test_all_tables_are_there() -> None:
    assert {table.__name__ for table in TABLES} == EXPECTED_TABLES


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.__name__)
def test_values_are_unique_and_labels_non_empty(table: type[models.TextChoices]) -> None:
    assert len(set(table.values)) == len(table.values)
    with translation.override(None):
        english = [str(label) for label in table.labels]
    assert all(label.strip() for label in english)
    assert len(set(english)) == len(english)


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.__name__)
def test_labels_are_lazy_translations(table: type[models.TextChoices]) -> None:
    """UI strings are English msgids, translated when rendered."""
    for label in table.labels:
        assert isinstance(label, Promise), label


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.__name__)
def test_values_are_codes_or_lower_snake_words(table: type[models.TextChoices]) -> None:
    for value in table.values:
        assert value.isdigit() or (value.isascii() and value == value.lower() and " " not in value)


def test_gender_codes() -> None:
    assert Gender.MALE.value == "1"
    assert Gender.FEMALE.value == "2"
    assert set(Gender.values) == {"0", "1", "2", "9"}


def test_ethnic_groups() -> None:
    codes_ = [f"{n:02d}" for n in range(1, 57)] + ["97", "98"]
    assert Ethnicity.values == codes_
    assert list(ETHNICITY_CHINESE) == codes_
    names = list(ETHNICITY_CHINESE.values())
    assert len(set(names)) == len(names) == 58
    assert all(name.endswith("族") for name in names[:56])
    assert ETHNICITY_CHINESE["01"] == "汉族"
    assert ETHNICITY_CHINESE["05"] == "维吾尔族"
    assert ETHNICITY_CHINESE["46"] == "德昂族"
    assert ETHNICITY_CHINESE["56"] == "基诺族"
    assert ETHNICITY_CHINESE["98"] == "外国血统中国籍人士"
    with translation.override(None):
        assert str(Ethnicity.HAN.label) == "Han"
        assert str(Ethnicity("56").label) == "Jino"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("汉", "01"),
        ("汉族", "01"),
        ("维吾尔族", "05"),
        ("维吾尔", "05"),
        ("1", "01"),
        ("01", "01"),
        ("０１", "01"),
        (" 蒙古族 ", "02"),
        ("土", "30"),
        ("土家", "15"),
        ("Han", "01"),
        ("de'ang", "46"),
        ("崩龙族", "46"),
        ("其他", "97"),
        ("外国血统中国籍人士", "98"),
    ],
)
def test_ethnicity_from_text(text: str, code: str) -> None:
    assert ethnicity_from_text(text) == code


@pytest.mark.parametrize("text", ["火星族", "火星", "", "  ", "0", "57", "族"])
def test_ethnicity_from_text_rejects(text: str) -> None:
    assert ethnicity_from_text(text) is None


def test_relationship_table() -> None:
    assert set(RELATIONSHIP_CHINESE) == set(Relationship.values)
    names = list(RELATIONSHIP_CHINESE.values())
    assert len(set(names)) == len(names)
    assert RELATIONSHIP_CHINESE["51"] == "父亲"
    assert RELATIONSHIP_CHINESE["62"] == "祖母"
    assert RELATIONSHIP_CHINESE["99"] == "非亲属"
    assert {"51", "52", "57", "58"} == PARENT_RELATIONSHIPS
    assert {"61", "62", "63", "64"} == GRANDPARENT_RELATIONSHIPS
    assert PARENT_RELATIONSHIPS.issubset(Relationship.values)
    assert GRANDPARENT_RELATIONSHIPS.issubset(Relationship.values)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("父亲", "51"),
        ("51", "51"),
        ("奶奶", "62"),
        ("爸爸", "51"),
        ("妈妈", "52"),
        ("爷爷", "61"),
        ("外公", "63"),
        ("姥爷", "63"),
        ("外婆", "64"),
        ("姥姥", "64"),
        ("伯伯", "81"),
        ("叔叔", "83"),
        ("舅舅", "85"),
        ("姨妈", "88"),
        ("阿姨", "88"),
        ("姑姑", "90"),
        ("姑妈", "90"),
        ("哥哥", "71"),
        ("姐", "75"),
        ("姐姐", "75"),
        ("儿子", "20"),
        ("女儿", "30"),
        ("外祖母", "64"),
        ("堂兄弟、堂姐妹", "91"),
        ("非亲属", "99"),
        ("Maternal grandmother", "64"),
    ],
)
def test_relationship_from_text(text: str, code: str) -> None:
    assert relationship_from_text(text) == code


@pytest.mark.parametrize("text", ["", "邻居家的猫", "98"])
def test_relationship_from_text_rejects(text: str) -> None:
    assert relationship_from_text(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("女", "2"),
        ("男", "1"),
        ("女性", "2"),
        ("M", "1"),
        ("m", "1"),
        ("F", "2"),
        ("1", "1"),
        ("2", "2"),
        ("male", "1"),
        ("Female", "2"),
        ("FEMALE", "2"),
    ],
)
def test_gender_from_text(text: str, code: str) -> None:
    assert gender_from_text(text) == code


@pytest.mark.parametrize("text", ["", "x", "3", "不男不女"])
def test_gender_from_text_rejects(text: str) -> None:
    assert gender_from_text(text) is None


def test_choice_from_text_matches_value_and_english_label() -> None:
    assert choice_from_text(ParentStatus, "away_for_work") == "away_for_work"
    assert choice_from_text(ParentStatus, "Away for work") == "away_for_work"
    assert choice_from_text(ParentStatus, "working away from home") == "away_for_work"
    assert choice_from_text(SchoolingStatus, "PRIMARY SCHOOL") == "primary"
    assert choice_from_text(AssistanceKind, "dibao") == "dibao"
    assert choice_from_text(ParentStatus, "on the moon") is None
    assert choice_from_text(ParentStatus, "") is None


def test_choice_from_text_uses_the_chinese_names_given() -> None:
    chinese = {"away_for_work": "外出务工", "at_home": "在家"}
    assert choice_from_text(ParentStatus, "外出务工", chinese) == "away_for_work"
    assert choice_from_text(ParentStatus, "在家", chinese) == "at_home"
    assert choice_from_text(ParentStatus, "失联", chinese) is None


def test_english_matching_does_not_depend_on_the_active_language() -> None:
    with translation.override("zh-hans"):
        assert choice_from_text(ParentStatus, "Deceased") == "deceased"
        assert ethnicity_from_text("Uyghur") == "05"
