"""Pinyin search keys for children's names (registry.pinyin). Pure functions, no database."""

from __future__ import annotations

import re

import pytest

from registry.pinyin import (
    COMPOUND_SURNAMES,
    MAX_VARIANTS,
    SURNAMES,
    NameKeys,
    is_pinyin_query,
    name_keys,
    normalise_query,
    search_text,
)


def matches(name: str, query: str) -> bool:
    """What the caller does: token-prefix match, SQL ``search_text LIKE '% ' || q || '%'``."""
    q = normalise_query(query)
    assert q is not None, query
    return (" " + q) in search_text(name)


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("单小明", "shanxiaoming", "sxm"),
        ("曾国藩", "zengguofan", "zgf"),
        ("解放", "xiefang", "xf"),
        ("区小华", "ouxiaohua", "oxh"),
        ("仇大伟", "qiudawei", "qdw"),
        ("朴春花", "piaochunhua", "pch"),
        ("查文", "zhawen", "zw"),
        ("盖丽", "geli", "gl"),
        ("乐平", "yueping", "yp"),
        ("员军", "yunjun", "yj"),
        ("缪斌", "miaobin", "mb"),
        ("繁星", "poxing", "px"),
        ("覃军", "qinjun", "qj"),
        ("翟军", "zhaijun", "zj"),
        ("召军", "shaojun", "sj"),
        ("秘军", "bijun", "bj"),
        ("句军", "goujun", "gj"),
        ("黑军", "hejun", "hj"),
        ("重军", "chongjun", "cj"),
        ("种军", "chongjun", "cj"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("万俟卨", "moqixie", "mqx"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
        ("单于洋", "chanyuyang", "cyy"),
        ("澹台明", "tantaiming", "ttm"),
        ("宰父明", "zaifuming", "zfm"),
        ("欧阳修", "ouyangxiu", "oyx"),
        ("诸葛亮", "zhugeliang", "zgl"),
        ("吕布", "lvbu", "lb"),
        ("女娲", "nvwa", "nw"),
        ("李乐", "lile", "ll"),
        ("阿依古丽·买买提", "ayigulimaimaiti", "ayglmmt"),
        ("Tom张3", "tomzhang", "tz"),
    ],
)
def test_main_reading_and_initials(name: str, full: str, initials: str) -> None:
    keys = name_keys(name)
    assert (keys.full, keys.initials) == (full, initials)
    assert keys.variants[0] == full
    assert keys.initial_variants[0] == initials


def test_special_surname_is_main_and_everyday_reading_is_a_variant() -> None:
    keys = name_keys("单小明")
    assert keys.full == "shanxiaoming"
    assert keys.full != "danxiaoming"
    assert "danxiaoming" in keys.variants
    assert name_keys("曾国藩").variants[:2] == ("zengguofan", "cengguofan")


@pytest.mark.parametrize(
    ("name", "prefix"),
    [("解放", "xie"), ("区", "ou"), ("仇", "qiu"), ("朴", "piao"), ("查", "zha"), ("万俟卨", "moqi")],
)
def test_surname_prefix(name: str, prefix: str) -> None:
    assert name_keys(name).full.startswith(prefix)


def test_surname_tables_are_lowercase_ascii() -> None:
    syllable = re.compile(r"[a-z]+")
    for surname, readings in COMPOUND_SURNAMES.items():
        assert len(surname) == 2 and len(readings) == 2
        assert all(syllable.fullmatch(r) for r in readings), surname
    for surname, reading in SURNAMES.items():
        assert len(surname) == 1 and syllable.fullmatch(reading), surname


def test_given_name_heteronym_gives_both_readings() -> None:
    keys = name_keys("李乐")
    assert keys.full == "lile"
    assert {"lile", "liyue"} <= set(keys.variants)
    assert {"ll", "ly"} <= set(keys.initial_variants)
    assert matches("李乐", "liyue")
    assert matches("李乐", "lile")
    assert matches("李乐", "ly")


def test_minority_name_drops_middle_dot() -> None:
    keys = name_keys("阿依古丽·买买提")
    assert keys.full == "ayigulimaimaiti"
    assert "·" not in search_text("阿依古丽·买买提")
    assert matches("阿依古丽·买买提", "ayiguli")


def test_non_han_characters() -> None:
    assert name_keys("") == NameKeys(full="", initials="", variants=(), initial_variants=())
    assert name_keys("123").full == ""
    assert search_text("") == ""
    assert name_keys("ＡＢ李").full == "abli"  # full-width Latin letters are folded, kept lower-cased


@pytest.mark.parametrize("name", ["长乐行朝重", "长乐行朝重长乐行朝重", "阿依古丽·买买提", "单于乐行"])
def test_variants_are_bounded_and_deduplicated(name: str) -> None:
    keys = name_keys(name)
    assert 1 < len(keys.variants) <= MAX_VARIANTS
    assert 1 <= len(keys.initial_variants) <= MAX_VARIANTS
    assert len(set(keys.variants)) == len(keys.variants)
    assert len(set(keys.initial_variants)) == len(keys.initial_variants)
    assert keys.variants[0] == keys.full
    assert keys.initial_variants[0] == keys.initials


@pytest.mark.parametrize("name", ["张三", "单小明", "李乐", "长乐行朝重", "阿依古丽·买买提", "吕布", "Tom张3"])
def test_search_text_shape(name: str) -> None:
    text = search_text(name)
    assert re.fullmatch(r"( [a-z]+)+ ", text), text
    keys = name_keys(name)
    tokens = text.split()
    assert tokens[:2] == [keys.full, keys.initials]
    assert set(tokens) == set(keys.variants) | set(keys.initial_variants)
    assert len(tokens) == len(set(tokens))


@pytest.mark.parametrize(
    ("name", "query", "expected"),
    [
        ("张三", "zs", True),
        ("张三", "zhangs", True),
        ("张三", "zhangsan", True),
        ("张三", "Zhang San", True),
        ("张三", "Zhang'San", True),
        ("张三", "ZHANGSAN", True),
        ("张三", "z", True),
        ("张三", "an", False),
        ("张三", "san", False),
        ("张三", "zsx", False),
        ("张三", "lisi", False),
        ("单小明", "sxm", True),
        ("单小明", "shanxiao", True),
        ("单小明", "danxiaoming", True),
        ("单小明", "xiaoming", False),
        ("尉迟恭", "ycg", True),
        ("欧阳修", "oyx", True),
        ("欧阳修", "ouyang xiu", True),
        ("吕布", "lvbu", True),
        ("吕布", "lübu", True),
        ("吕布", "lubu", False),
    ],
)
def test_token_prefix_matching(name: str, query: str, expected: bool) -> None:
    assert matches(name, query) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zs", "zs"),
        ("zhang san", "zhangsan"),
        ("Zhang'San", "zhangsan"),
        ("ZHANGSAN", "zhangsan"),
        ("  zhang-san ", "zhangsan"),
        ("lü", "lv"),
        ("Lǚ Bù", "lvbu"),
        ("ｚｓ", "zs"),
        ("张三", None),
        ("zhang三", None),
        ("3501", None),
        ("zs1", None),
        ("", None),
        ("   ", None),
        ("'", None),
        ("a%b", None),
        ("a_b", None),
    ],
)
def test_normalise_query(query: str, expected: str | None) -> None:
    assert normalise_query(query) == expected
    assert is_pinyin_query(query) is (expected is not None)


def test_pypinyin_global_dictionaries_are_not_mutated() -> None:
    from pypinyin import lazy_pinyin

    name_keys("单小明")
    name_keys("尉迟恭")
    assert lazy_pinyin("单") == ["dan"]
    assert lazy_pinyin("尉") == ["wei"]
