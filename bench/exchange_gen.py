"""Synthetic 户籍 extracts and registries with known truth, for the exchange benchmark.

Everything here is invented (names drawn from character pools, ID numbers built with a valid check
character) and seeded: the same ``seed``, sizes and ``today`` give the same data. No Django, no
database: plain Python and polars, so the 1,000,000-row frames can be built in a process that only
measures the matcher.

What is generated
-----------------
* **Households** spread over Hanjiang's 200 villages (``regions/data/hanjiang-350303-villages-2020.csv``),
  each with a 户号 and GB/T 4761 relation codes relative to the head (02 head, 10/11/12 spouse, 20-29
  sons and sons-in-law, 30-39 daughters and daughters-in-law, 40-49 grandchildren, 50-59 parents of the
  head, 60-69 grandparents of the head):

  - nuclear (head = father, 12 wife, 2x/3x children, sometimes the head's parents 51/52 and, rarely,
    his grandparents 61/62);
  - three generations (head = grandfather or widowed grandmother, the married son 22 and his wife 38,
    or the daughter 32 and her husband 28, and the grandchildren 41/42 or 43/44);
  - households without minors (elderly couples, young couples, adult children).

  A child's parents are always members of the child's household and are the only members of the
  parents' generation there (no uncles or aunts next to grandchildren), so whether "the parents all
  live elsewhere" can be read from the relation codes alone.
* **ID numbers** (GB 11643): 350303 for everyone born from 1983; people born earlier keep
  350303 or carry the old 莆田县 code 350321. Unique; odd sequence for men, even for women. Twins get
  the same birth date and neighbouring sequence numbers.
* **Parents away**: in about a third of the households with children both parents live elsewhere
  (居住地 = a county outside 350303: 晋江市 350582, 深圳市宝安区 440306, …), in a quarter one of them does.
  A few people at home have 居住地 = 涵江区 itself (350303), which does not count as away.
* **Moves and deaths**: some children have moved out (迁出), some grandparents have died (死亡), some
  adults of households without minors have moved out.
* **The registry (census)**: 97% of the left-behind children (under 16, parents all away, 正常) and
  60% of the other children under 16 are registered (16 and 17-year-olds would be exited files, which
  the app leaves out of matching, so there are none). Registry records copy the 户籍 record with
  mistakes: a wrong ID (one digit changed, or two neighbours swapped, the check character kept as
  legacy ledgers have it; ``Rates.wrong_id_valid`` recomputes it for a share), no ID, a name typo
  (homophone: same pinyin, another character; or look-alike: 己/已, 未/末, 宇/字 …), another village
  (the child moved). The father's and mother's names come along, and their ID numbers mostly. Some
  children are entered twice (the second record with a name typo or none, no ID or a wrong one, in
  another village 40% of the time; never the same ID, which the registry takes once).
* **Filler**: when the registry must be larger than the census of the extract's households
  (``registry_children`` = the benchmark's 1,000,000), the rest are children registered in Putian's
  other counties (城厢区 350302, 荔城区 350304, 秀屿区 350305, 仙游县 350322): same mistakes and
  duplicates, but no 户籍 record in the extract.

Truth kept
----------
* ``links``: registry child id -> 户籍 record id (the person the record is about; filler: none).
* ``duplicate_pairs``: pairs (lower id, higher id) of registry records of the same child.
* ``omissions``: 户籍 record ids of left-behind children (under 16 on ``today``, 正常, every parent
  living outside 350303) that are not in the registry under any record.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import polars as pl

ROOT: Final = Path(__file__).resolve().parent.parent
VILLAGES_CSV: Final = ROOT / "regions" / "data" / "hanjiang-350303-villages-2020.csv"
COUNTY: Final = "350303"
OLD_COUNTY: Final = "350321"  # 莆田县, before 1983 (and its ID numbers are valid for life)
CHECK_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS: Final = "10X98765432"

# The 户籍 columns of /work/shared/formats.md, in the police system's order.
HUKOU_HEADERS: Final = [
    "户号",
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "民族",
    "与户主关系",
    "户籍地址",
    "户口性质",
    "人员状态",
    "变动日期",
    "居住地",
    "联系电话",
]

# Putian's common surnames with rough weights, plus 单 (shan), 曾 (zeng) and 解 (xie), whose surname
# readings differ from the everyday ones, and the compound 欧阳.
SURNAMES: Final[list[tuple[str, int]]] = [
    ("林", 140),
    ("陈", 120),
    ("黄", 90),
    ("郑", 80),
    ("李", 60),
    ("吴", 50),
    ("王", 50),
    ("张", 40),
    ("刘", 40),
    ("杨", 30),
    ("蔡", 30),
    ("许", 30),
    ("方", 30),
    ("朱", 30),
    ("余", 20),
    ("徐", 20),
    ("卓", 20),
    ("宋", 20),
    ("翁", 20),
    ("戴", 20),
    ("周", 20),
    ("何", 20),
    ("洪", 20),
    ("柯", 15),
    ("肖", 10),
    ("曾", 10),
    ("彭", 10),
    ("谢", 10),
    ("姚", 10),
    ("苏", 10),
    ("游", 10),
    ("潘", 10),
    ("魏", 10),
    ("邱", 10),
    ("江", 10),
    ("傅", 10),
    ("关", 5),
    ("唐", 5),
    ("单", 4),
    ("解", 3),
    ("欧阳", 2),
]
BOY: Final = "明华伟杰磊涛鑫宇浩轩晨阳俊豪博文睿泽宏志强辉振航乐佳子一天彬斌凯锦祥荣森炜铭"
GIRL: Final = "芳婷静怡欣涵雪琳丽娜颖萱诗雨梦思婉晓敏秀玉蓉可心琪晴婧娟钰千慧妍露"
MAN: Final = "建国志明文华金水清荣德福春林忠伟平军海东"
WOMAN: Final = "秀英美玲丽珍春梅淑琴兰芳霞凤燕红玉娟"
ELDER: Final = "福贵兰英金水秀珍德财阿妹桂花玉"

# Same pinyin (tones ignored), another character: what an input method offers next.
HOMOPHONES: Final[dict[str, str]] = {
    "明": "名鸣铭",
    "华": "桦骅",
    "伟": "玮炜",
    "杰": "洁捷",
    "磊": "蕾垒",
    "涛": "韬滔",
    "鑫": "欣馨",
    "宇": "雨语羽",
    "浩": "皓昊",
    "轩": "萱宣",
    "晨": "辰臣",
    "阳": "杨洋",
    "俊": "骏峻",
    "豪": "濠毫",
    "博": "波伯",
    "文": "雯闻",
    "睿": "瑞锐",
    "泽": "择",
    "宏": "鸿红",
    "志": "智芝",
    "强": "蔷",
    "辉": "晖徽",
    "振": "震镇",
    "航": "杭",
    "佳": "家嘉",
    "子": "梓紫",
    "一": "依怡",
    "天": "添",
    "彬": "斌滨",
    "斌": "彬滨",
    "凯": "楷铠",
    "锦": "金今",
    "祥": "翔",
    "荣": "蓉容",
    "炜": "伟玮",
    "铭": "明鸣",
    "芳": "方",
    "婷": "庭亭",
    "静": "靖婧",
    "怡": "仪宜",
    "欣": "鑫馨",
    "涵": "含寒",
    "雪": "薛",
    "琳": "林霖",
    "丽": "莉俐",
    "娜": "那",
    "颖": "莹盈",
    "萱": "轩宣",
    "诗": "师",
    "雨": "宇语",
    "梦": "蒙",
    "思": "丝斯",
    "婉": "宛琬",
    "晓": "小筱",
    "敏": "闽珉",
    "秀": "绣",
    "玉": "钰煜",
    "蓉": "容荣",
    "可": "珂",
    "心": "欣馨",
    "琪": "棋奇",
    "晴": "青清",
    "婧": "静靖",
    "娟": "涓鹃",
    "钰": "玉煜",
    "千": "倩茜",
    "慧": "惠蕙",
    "妍": "研岩",
    "露": "璐路",
}
# Characters that look alike on a form or a bad print-out.
LOOKALIKES: Final[dict[str, str]] = {
    "己": "已",
    "已": "己",
    "未": "末",
    "末": "未",
    "宇": "字",
    "思": "恩",
    "明": "朋",
    "子": "孑",
    "天": "夭",
    "玉": "王",
    "晴": "睛",
    "千": "干",
    "彬": "杉",
    "娟": "涓",
    "钰": "珏",
    "颖": "频",
    "博": "搏",
    "心": "必",
    "土": "士",
    "人": "入",
    "大": "太",
    "日": "曰",
    "戊": "戌",
    "候": "侯",
}

# Where parents work: (12-digit county code, how a 居住地 column may spell it).
AWAY_COUNTIES: Final[list[tuple[str, list[str]]]] = [
    ("350582000000", ["350582", "晋江市", "福建省泉州市晋江市"]),
    ("440306000000", ["440306", "深圳市宝安区", "广东省深圳市宝安区"]),
    ("350206000000", ["350206", "厦门市湖里区", "福建省厦门市湖里区"]),
    ("350203000000", ["350203", "厦门市思明区"]),
    ("350104000000", ["350104", "福州市仓山区", "福建省福州市仓山区"]),
    ("350181000000", ["350181", "福清市"]),
    ("440106000000", ["440106", "广州市天河区", "广东省广州市天河区"]),
    ("330782000000", ["330782", "义乌市", "浙江省金华市义乌市"]),
    ("310115000000", ["310115", "浦东新区", "上海市浦东新区"]),
]
HOME_RESIDENCE: Final = ("350303000000", ["350303", "涵江区", "莆田市涵江区"])
FILLER_COUNTIES: Final = ["350302", "350304", "350305", "350322"]

STATUS_NORMAL: Final = "normal"
STATUS_MOVED_OUT: Final = "moved_out"
STATUS_DECEASED: Final = "deceased"
STATUS_LABEL: Final = {STATUS_NORMAL: "正常", STATUS_MOVED_OUT: "迁出", STATUS_DECEASED: "死亡"}


@dataclass(frozen=True)
class Rates:
    """How often each situation and each mistake occurs (fractions)."""

    both_away: float = 0.34  # households with children: both parents live elsewhere
    one_away: float = 0.26  # one parent does
    home_residence: float = 0.05  # a parent at home with 居住地 = 涵江区 itself
    twins: float = 0.02
    child_moved_out: float = 0.01
    elder_deceased: float = 0.04
    adult_moved_out: float = 0.03
    census_left_behind: float = 0.97  # 1 - the omission rate
    census_other: float = 0.60
    # Children of 16 and 17 have exited files, which the app leaves out of matching (frames.registry_frame).
    census_teen: float = 0.0
    parent_id_missing: float = 0.08  # registry: a parent's ID number not recorded
    wrong_id: float = 0.015
    # Of the wrong IDs, the share whose check character was recomputed (so the number is valid and
    # differs in two places); 0 by default: one digit wrong or two swapped, as legacy ledgers have them.
    wrong_id_valid: float = 0.0
    no_id: float = 0.025
    name_typo: float = 0.03
    moved_village: float = 0.02
    duplicate: float = 0.01
    invalid_csv_row: float = 0.003  # rows of the CSV file the validation must reject


@dataclass
class Dataset:
    """The generated 户籍 extract and registry, columnar, with the truth."""

    today: date
    hukou: pl.DataFrame
    registry: pl.DataFrame
    links: dict[int, int] = field(default_factory=dict)  # registry child id -> 户籍 record id
    duplicate_pairs: set[tuple[int, int]] = field(default_factory=set)
    omissions: set[int] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)  # what was generated, for the report


_HEAD_SUMS: dict[str, int] = {}


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2, as core.idnumber.check_character (kept here so the generator needs no Django).

    The weighted sum of the first 14 digits (county and birth date) is cached: many people share them.
    """
    head = first17[:14]
    total = _HEAD_SUMS.get(head)
    if total is None:
        total = _HEAD_SUMS[head] = sum(int(d) * w for d, w in zip(head, CHECK_WEIGHTS, strict=False))
    total += int(first17[14]) * 8 + int(first17[15]) * 4 + int(first17[16]) * 2
    return CHECK_CHARACTERS[total % 11]


def load_villages() -> list[str]:
    with VILLAGES_CSV.open(encoding="utf-8-sig", newline="") as f:
        return [row["code"] for row in csv.DictReader(f) if row["level"] == "village"]


def _confusable(a: str, b: str) -> bool:
    """Equal, or one character apart by a homophone or a look-alike (twins must not be)."""
    if len(a) != len(b):
        return False
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if not diff:
        return True
    return len(diff) == 1 and (
        diff[0][1] in HOMOPHONES.get(diff[0][0], "")
        or diff[0][0] in HOMOPHONES.get(diff[0][1], "")
        or diff[0][1] in LOOKALIKES.get(diff[0][0], "")
        or diff[0][0] in LOOKALIKES.get(diff[0][1], "")
    )


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


HUKOU_SCHEMA: Final = {
    "record_id": pl.Int64,
    "household_no": pl.String,
    "name": pl.String,
    "id_number": pl.String,
    "gender": pl.String,
    "birth_date": pl.Date,
    "ethnicity": pl.String,
    "relation": pl.String,
    "region_code": pl.String,
    "nature": pl.String,
    "person_status": pl.String,
    "change_date": pl.Date,
    "residence_code": pl.String,
    "residence": pl.String,
    "phone": pl.String,
}
REGISTRY_SCHEMA: Final = {
    "child_id": pl.Int64,
    "name": pl.String,
    "id_number": pl.String,
    "gender": pl.String,
    "birth_date": pl.Date,
    "region_code": pl.String,
    "status": pl.String,
    "is_left_behind": pl.Boolean,
    "father_name": pl.String,
    "father_id": pl.String,
    "mother_name": pl.String,
    "mother_id": pl.String,
    "hukou_record": pl.Int64,  # truth: the 户籍 record the child is (null for filler)
    "person": pl.Int64,  # truth: one number per real child (duplicates share it)
}


@dataclass
class _Person:
    name: str
    male: bool
    born: date
    relation: str
    id_number: str = ""
    status: str = STATUS_NORMAL
    change: date | None = None
    residence: int = -1  # index in AWAY_COUNTIES, -1 none, -2 home (涵江区)
    village: str = ""  # filler children only: their village outside Hanjiang
    father: _Person | None = None
    mother: _Person | None = None


class Generator:
    """Seeded households, registry records and mistakes. One instance, one dataset."""

    def __init__(self, seed: int, today: date, rates: Rates | None = None) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (synthetic data, not security)
        self.today = today
        self.rates = rates or Rates()
        self.villages = load_villages()
        self.used_ids: set[str] = set()
        self.surnames = [s for s, _ in SURNAMES]
        total = 0
        self.surname_cum: list[int] = []
        for _, w in SURNAMES:
            total += w
            self.surname_cum.append(total)
        self.hukou: dict[str, list[object]] = {k: [] for k in HUKOU_SCHEMA}
        self.registry: dict[str, list[object]] = {k: [] for k in REGISTRY_SCHEMA}
        self.left_behind: list[int] = []  # 户籍 record ids of left-behind children
        self.counts: dict[str, int] = {}

    # --- Small pieces -----------------------------------------------------------------------------

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def given(self, pool: str) -> str:
        rng = self.rng
        return rng.choice(pool) if rng.random() < 0.12 else rng.choice(pool) + rng.choice(pool)

    def birth(self, low_years: float, high_years: float) -> date:
        days = self.rng.randint(int(low_years * 365.25), int(high_years * 365.25))
        return self.today - timedelta(days=days)

    def id_number(self, born: date, male: bool, prefix: str | None = None) -> str:
        if prefix is None:
            prefix = COUNTY if born.year >= 1983 or self.rng.random() < 0.6 else OLD_COUNTY
        rng = self.rng
        while True:
            seq = rng.randrange(1000)
            if seq % 2 != (1 if male else 0):
                seq ^= 1
            first = f"{prefix}{born.year:04d}{born.month:02d}{born.day:02d}{seq:03d}"
            number = first + check_character(first)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def twin_id(self, sibling: str, male: bool) -> str:
        """A neighbouring sequence number on the same birth date."""
        base = int(sibling[14:17])
        for step in (2, 1, 3, 4, 5, 6, 7, 8, 9, 10):
            for seq in (base + step, base - step):
                if 0 <= seq < 1000 and seq % 2 == (1 if male else 0):
                    first = sibling[:14] + f"{seq:03d}"
                    number = first + check_character(first)
                    if number not in self.used_ids:
                        self.used_ids.add(number)
                        return number
        return self.id_number(date(int(sibling[6:10]), int(sibling[10:12]), int(sibling[12:14])), male)

    def wrong_id(self, number: str) -> str:
        """One digit changed or two neighbours swapped; the check character kept (or recomputed, see Rates)."""
        rng = self.rng
        for _ in range(20):
            digits = list(number[:17])
            if rng.random() < 0.6:
                i = rng.randrange(17)
                digits[i] = rng.choice([d for d in "0123456789" if d != digits[i]])
            else:
                i = rng.randrange(16)
                if digits[i] == digits[i + 1]:
                    continue
                digits[i], digits[i + 1] = digits[i + 1], digits[i]
            first = "".join(digits)
            wrong = first + (check_character(first) if rng.random() < self.rates.wrong_id_valid else number[17])
            if wrong != number and wrong not in self.used_ids:
                self.used_ids.add(wrong)  # the registry holds each ID number once
                return wrong
        return ""

    def typo(self, name: str, surname_len: int) -> str:
        """A homophone (70%) or a look-alike (30%) for one character, the given name first."""
        rng = self.rng
        want_lookalike = rng.random() < 0.3
        positions = list(range(surname_len, len(name)))
        rng.shuffle(positions)
        tables = (LOOKALIKES, HOMOPHONES) if want_lookalike else (HOMOPHONES, LOOKALIKES)
        for table in tables:
            for i in positions:
                options = table.get(name[i])
                if options:
                    return name[:i] + rng.choice(options) + name[i + 1 :]
        # Surname homophones that happen in practice.
        swaps = {"徐": "许", "许": "徐", "张": "章", "杨": "阳", "刘": "柳", "吴": "武", "林": "琳", "陈": "晨"}
        if name[0] in swaps:
            return swaps[name[0]] + name[1:]
        return name  # no character of this name has a known homophone or look-alike

    def other_village(self, code: str) -> str:
        """Another village, in the same township half of the time."""
        rng = self.rng
        if rng.random() < 0.5:
            same = [v for v in self.villages if v[:9] == code[:9] and v != code]
            if same:
                return rng.choice(same)
        while True:
            other = rng.choice(self.villages)
            if other != code:
                return other

    def residence_label(self, index: int) -> tuple[str, str]:
        if index == -1:
            return "", ""
        code, spellings = HOME_RESIDENCE if index == -2 else AWAY_COUNTIES[index]
        return code, self.rng.choice(spellings)

    # --- Households ---------------------------------------------------------------------------------

    def household(self) -> tuple[str, list[_Person], list[int]]:
        """(village, members, indexes of the minors' parents); the head first."""
        rng, r = self.rng, self.rates
        village = rng.choice(self.villages)
        kind = rng.random()
        surname = self.surname()
        members: list[_Person] = []
        parents: list[int] = []
        via_daughter = False
        if kind < 0.80:  # with children
            three_gen = kind >= 0.45
            n_children = rng.choices([1, 2, 3, 4], weights=[30, 45, 20, 5])[0]
            first_child_age = rng.uniform(0.2, 17.9)
            father_age = first_child_age + rng.uniform(21, 36)
            mother_age = max(father_age - rng.uniform(-2, 6), first_child_age + 20)
            child_surname = surname
            if three_gen:
                via_daughter = rng.random() < 0.15
                grandpa_age = max(father_age, mother_age) + rng.uniform(21, 32)
                widow = rng.random() < 0.2
                if widow:
                    members.append(
                        _Person(surname + self.given(ELDER), False, self.birth(grandpa_age - 2, grandpa_age), "02")
                    )
                else:
                    members.append(
                        _Person(surname + self.given(ELDER), True, self.birth(grandpa_age, grandpa_age + 1), "02")
                    )
                    members.append(
                        _Person(
                            self.surname() + self.given(ELDER), False, self.birth(grandpa_age - 4, grandpa_age), "12"
                        )
                    )
                if via_daughter:
                    child_surname = self.surname()
                    members.append(
                        _Person(surname + self.given(WOMAN), False, self.birth(mother_age, mother_age + 1), "32")
                    )
                    members.append(
                        _Person(child_surname + self.given(MAN), True, self.birth(father_age, father_age + 1), "28")
                    )
                else:
                    members.append(
                        _Person(surname + self.given(MAN), True, self.birth(father_age, father_age + 1), "22")
                    )
                    members.append(
                        _Person(self.surname() + self.given(WOMAN), False, self.birth(mother_age, mother_age + 1), "38")
                    )
                parents = [len(members) - 2, len(members) - 1]
            else:
                members.append(_Person(surname + self.given(MAN), True, self.birth(father_age, father_age + 1), "02"))
                members.append(
                    _Person(self.surname() + self.given(WOMAN), False, self.birth(mother_age, mother_age + 1), "12")
                )
                parents = [0, 1]
                if rng.random() < 0.35:
                    gp_age = father_age + rng.uniform(21, 32)
                    members.append(_Person(surname + self.given(ELDER), True, self.birth(gp_age, gp_age + 1), "51"))
                    members.append(
                        _Person(self.surname() + self.given(ELDER), False, self.birth(gp_age - 4, gp_age), "52")
                    )
                    if rng.random() < 0.03 and gp_age + 24 < 100:
                        members.append(
                            _Person(surname + self.given(ELDER), False, self.birth(gp_age + 22, gp_age + 26), "62")
                        )
            # The children, oldest first.
            age = first_child_age
            sons = daughters = 0
            previous: _Person | None = None
            for i in range(n_children):
                if i and previous is not None and rng.random() < r.twins:
                    male = rng.random() < 0.5
                    name = previous.name
                    while _confusable(name, previous.name):
                        name = child_surname + self.given(BOY if male else GIRL)
                    twin = _Person(name, male, previous.born, "")
                    twin.id_number = self.twin_id(previous.id_number, male)
                    self.count("twins")
                    child = twin
                else:
                    if i:
                        age -= rng.uniform(1.0, 4.0)
                        if age < 0.05:
                            break
                    male = rng.random() < 0.52
                    child = _Person(
                        child_surname + self.given(BOY if male else GIRL), male, self.birth(age, age + 0.05), ""
                    )
                    child.id_number = self.id_number(child.born, male)
                if child.male:
                    sons += 1
                    child.relation = ("41" if not via_daughter else "43") if three_gen else f"{min(21 + sons, 26)}"
                else:
                    daughters += 1
                    child.relation = ("42" if not via_daughter else "44") if three_gen else f"{min(31 + daughters, 36)}"
                one, other = members[parents[0]], members[parents[1]]
                child.father, child.mother = (one, other) if one.male else (other, one)
                members.append(child)
                previous = child
            # Where the parents live.
            draw = rng.random()
            away = [] if draw >= r.both_away + r.one_away else parents if draw < r.both_away else [rng.choice(parents)]
            place = rng.randrange(len(AWAY_COUNTIES))
            for p in parents:
                if p in away:
                    # Couples mostly work in the same place.
                    members[p].residence = place if rng.random() < 0.8 else rng.randrange(len(AWAY_COUNTIES))
                elif rng.random() < r.home_residence:
                    members[p].residence = -2
        elif kind < 0.90:  # elderly couple or widow(er)
            age = rng.uniform(60, 88)
            members.append(_Person(surname + self.given(ELDER), True, self.birth(age, age + 1), "02"))
            if rng.random() < 0.7:
                members.append(_Person(self.surname() + self.given(ELDER), False, self.birth(age - 5, age), "12"))
        else:  # young couple, or a couple with grown-up children
            age = rng.uniform(22, 60)
            members.append(_Person(surname + self.given(MAN), True, self.birth(age, age + 1), "02"))
            members.append(_Person(self.surname() + self.given(WOMAN), False, self.birth(age - 4, age + 2), "12"))
            if age > 45:
                for i in range(rng.randint(1, 2)):
                    male = rng.random() < 0.5
                    grown = _Person(surname + self.given(MAN if male else WOMAN), male, self.birth(18.2, age - 21), "")
                    grown.relation = f"{22 + i}" if male else f"{32 + i}"
                    members.append(grown)
            for m in members:
                if rng.random() < 0.15:
                    m.residence = rng.randrange(len(AWAY_COUNTIES))
        return village, members, parents

    def build(self, hukou_persons: int, registry_children: int | None) -> Dataset:
        rng, r, today = self.rng, self.rates, self.today
        h = self.hukou
        census: list[tuple[int, _Person, str]] = []  # (record id, person, village) to register
        left_behind_records: set[int] = set()
        record = 0
        household_no = 0
        while record < hukou_persons:
            village, members, parents = self.household()
            household_no += 1
            hno = f"{village[6:9]}{household_no:08d}"
            parents_away = bool(parents) and all(members[p].residence >= 0 for p in parents)
            for person in members:
                if record >= hukou_persons:
                    break
                record += 1
                if not person.id_number:
                    person.id_number = self.id_number(person.born, person.male)
                age = _age_on(person.born, today)
                minor = age < 18 and person.relation[0] in "234" and int(person.relation) not in (28, 38)
                if minor and rng.random() < r.child_moved_out:
                    person.status = STATUS_MOVED_OUT
                elif person.relation[0] in "56" or (person.relation == "02" and age >= 60):
                    if rng.random() < r.elder_deceased:
                        person.status = STATUS_DECEASED
                elif not parents and rng.random() < r.adult_moved_out:
                    person.status = STATUS_MOVED_OUT
                if person.status != STATUS_NORMAL:
                    person.change = max(today - timedelta(days=rng.randint(10, 900)), person.born + timedelta(days=5))
                    self.count(f"hukou_{person.status}")
                residence_code, residence = self.residence_label(person.residence)
                h["record_id"].append(record)
                h["household_no"].append(hno)
                h["name"].append(person.name)
                h["id_number"].append(person.id_number)
                h["gender"].append("1" if person.male else "2")
                h["birth_date"].append(person.born)
                h["ethnicity"].append("01" if rng.random() > 0.004 else "22")  # 汉族, a few 畲族
                h["relation"].append(person.relation)
                h["region_code"].append(village)
                h["nature"].append("农业" if rng.random() > 0.05 else "非农业")
                h["person_status"].append(person.status)
                h["change_date"].append(person.change)
                h["residence_code"].append(residence_code)
                h["residence"].append(residence)
                h["phone"].append(
                    f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" if age >= 18 and rng.random() < 0.6 else ""
                )
                if not minor:
                    continue
                self.count("hukou_minors")
                left_behind = parents_away and age < 16 and person.status == STATUS_NORMAL
                if left_behind:
                    self.left_behind.append(record)
                    left_behind_records.add(record)
                    self.count("hukou_left_behind")
                chance = r.census_teen if age >= 16 else r.census_left_behind if left_behind else r.census_other
                if rng.random() < chance:
                    census.append((record, person, village))
        self.count("hukou_households", household_no)
        self.count("hukou_records", record)

        # The registry: census records, then filler from Putian's other counties, in random order.
        entries: list[tuple[int | None, int, _Person, str]] = [
            (rec, number, person, village) for number, (rec, person, village) in enumerate(census, start=1)
        ]
        self.count("registry_census", len(census))
        target = registry_children if registry_children is not None else len(census)
        wanted = max(0, int(target / (1 + r.duplicate)) - len(census))
        for _ in range(wanted):
            person = self.filler_child()
            entries.append((None, len(entries) + 1, person, person.village))
        rows: list[tuple[int | None, int, _Person, str, bool]] = [(*e, False) for e in entries]
        rows.extend((*e, True) for e in entries if rng.random() < r.duplicate)
        while registry_children is not None and len(rows) < target:
            person = self.filler_child()
            rows.append((None, len(entries) + len(rows) + 1, person, person.village, False))
        rng.shuffle(rows)
        if registry_children is not None and len(rows) > target:
            # Too many by a few (the duplicates are drawn at random): drop filler, never the census.
            excess = len(rows) - target
            drop: set[int] = set()
            for i in range(len(rows) - 1, -1, -1):
                if len(drop) == excess:
                    break
                if rows[i][0] is None and not rows[i][4]:
                    drop.add(i)
            rows = [row for i, row in enumerate(rows) if i not in drop]

        g = self.registry
        by_person: dict[int, list[int]] = {}
        links: dict[int, int] = {}
        for child_id, (rec, number, person, village, second) in enumerate(rows, start=1):
            name, id_number, region = person.name, person.id_number, village
            surname_len = 2 if name.startswith("欧阳") else 1
            if second:
                # The same child entered again (the registry takes an ID number once): a name typo or
                # none, no ID or a wrong one, in another village 40% of the time.
                if rng.random() < 0.6:
                    name = self.typo(name, surname_len)
                id_number = "" if rng.random() < 0.55 else self.wrong_id(id_number)
                if rng.random() < 0.4:
                    region = self.other_village(region) if rec is not None else _other_filler_village(rng, region)
                self.count("registry_duplicate_records")
            else:
                draw = rng.random()
                if draw < r.no_id:
                    id_number = ""
                    self.count("registry_no_id")
                elif draw < r.no_id + r.wrong_id:
                    id_number = self.wrong_id(id_number)
                    self.count("registry_wrong_id")
                if rng.random() < r.name_typo:
                    name = self.typo(name, surname_len)
                    self.count("registry_name_typo")
                if rec is not None and rng.random() < r.moved_village:
                    region = self.other_village(region)
                    self.count("registry_moved_village")
            g["child_id"].append(child_id)
            g["name"].append(name)
            g["id_number"].append(id_number)
            g["gender"].append("1" if person.male else "2")
            g["birth_date"].append(person.born)
            g["region_code"].append(region)
            g["status"].append("exited" if _age_on(person.born, today) >= 16 else "registered")
            g["is_left_behind"].append(rec in left_behind_records if rec is not None else person.residence == 0)
            for label, parent in (("father", person.father), ("mother", person.mother)):
                g[f"{label}_name"].append(parent.name if parent else "")
                g[f"{label}_id"].append(parent.id_number if parent and rng.random() >= r.parent_id_missing else "")
            g["hukou_record"].append(rec)
            g["person"].append(number)
            by_person.setdefault(number, []).append(child_id)
            if rec is not None:
                links[child_id] = rec
        pairs = {(a, b) for ids in by_person.values() if len(ids) > 1 for i, a in enumerate(ids) for b in ids[i + 1 :]}
        registered = set(links.values())
        omissions = {rec for rec in self.left_behind if rec not in registered}
        self.count("registry_records", len(rows))
        self.count("registry_filler", sum(1 for row in rows if row[0] is None))
        self.count("truth_links", len(links))
        self.count("truth_duplicate_pairs", len(pairs))
        self.count("truth_omissions", len(omissions))
        return Dataset(
            today=today,
            hukou=pl.DataFrame(self.hukou, schema=HUKOU_SCHEMA),
            registry=pl.DataFrame(self.registry, schema=REGISTRY_SCHEMA),
            links=links,
            duplicate_pairs=pairs,
            omissions=omissions,
            counts=dict(sorted(self.counts.items())),
        )

    def filler_child(self) -> _Person:
        """A child registered in another Putian county (no record in this 户籍 extract)."""
        rng = self.rng
        prefix = rng.choice(FILLER_COUNTIES)
        male = rng.random() < 0.52
        born = self.birth(0.2, 15.95)  # as the census: no exited files (see Rates.census_teen)
        person = _Person(self.surname() + self.given(BOY if male else GIRL), male, born, "")
        person.id_number = self.id_number(born, male, prefix)
        person.village = f"{prefix}{rng.randint(100, 112):03d}{rng.randint(200, 230):03d}"
        person.residence = 0 if rng.random() < 0.7 else -1  # (here only: left-behind or not)
        father_born = born - timedelta(days=rng.randint(21 * 365, 36 * 365))
        mother_born = father_born + timedelta(days=rng.randint(-700, 2000))
        person.father = _Person(person.name[0] + self.given(MAN), True, father_born, "51")
        person.father.id_number = self.id_number(father_born, True, prefix)
        person.mother = _Person(self.surname() + self.given(WOMAN), False, mother_born, "52")
        person.mother.id_number = self.id_number(mother_born, False, prefix)
        return person


def _other_filler_village(rng: random.Random, code: str) -> str:
    while True:
        other = f"{code[:6]}{rng.randint(100, 112):03d}{rng.randint(200, 230):03d}"
        if other != code:
            return other


def generate(
    *, hukou_persons: int, registry_children: int | None = None, seed: int = 2026, today: date | None = None
) -> Dataset:
    """A dataset with ``hukou_persons`` 户籍 records; the registry is the census of their households, or
    exactly ``registry_children`` records (filled up with children of Putian's other counties)."""
    return Generator(seed, today or date.today()).build(hukou_persons, registry_children)


# --- The CSV file ---------------------------------------------------------------------------------------


def hukou_csv_rows(data: Dataset, *, seed: int, invalid_rate: float | None = None) -> Iterator[list[str]]:
    """The 户籍 rows as the police system exports them: Chinese labels, ISO dates, village codes,
    relation codes, 居住地 as a county code or a name. A few rows are broken the way real files are
    (a digit lost in the ID number, an ID number Excel turned into 3.50303E+17, a missing name), for
    the validation to reject; ``data.hukou`` itself stays clean."""
    rng = random.Random(seed)  # noqa: S311
    rate = Rates().invalid_csv_row if invalid_rate is None else invalid_rate
    gender = {"1": "男", "2": "女"}
    ethnicity = {"01": "汉族", "22": "畲族"}
    for row in data.hukou.iter_rows(named=True):
        number: str = row["id_number"]
        name: str = row["name"]
        if rng.random() < rate:
            kind = rng.randrange(3)
            if kind == 0:
                digits = list(number)
                i = rng.randrange(6, 17)
                digits[i] = "0" if digits[i] != "0" else "1"
                number = "".join(digits)
            elif kind == 1:
                number = f"{int(number[:17] + '0'):.5E}"  # what Excel shows: 3.50303E+17
            else:
                name = ""
        elif number.endswith("X") and rng.random() < 0.3:
            number = number[:-1] + "x"
        change = row["change_date"]
        yield [
            row["household_no"],
            name,
            number,
            gender[row["gender"]],
            row["birth_date"].isoformat(),
            ethnicity.get(row["ethnicity"], "汉族"),
            row["relation"],
            row["region_code"],
            row["nature"],
            STATUS_LABEL[row["person_status"]],
            change.isoformat() if change else "",
            row["residence"],
            row["phone"],
        ]


def write_hukou_csv(data: Dataset, path: Path, *, encoding: str = "utf-8", seed: int = 2026) -> int:
    """Write the extract as CSV (UTF-8, or GBK as Chinese Excel saves it); returns the data rows."""
    n = 0
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HUKOU_HEADERS)
        for row in hukou_csv_rows(data, seed=seed):
            writer.writerow(row)
            n += 1
    return n
