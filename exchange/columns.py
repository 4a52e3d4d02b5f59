"""The columns of each import kind: canonical field, Chinese header, aliases, whether required.

The canonical field names are the field names of ``HukouRecord`` and ``StudentRecord`` (and, for
the registry ledger, one key per column of ``registry.exports.ledger_headers()``). Headers and
aliases are data as they appear in real extracts (see docs: formats), not msgids; the help texts
shown in the template's instructions sheet are msgids.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from exchange.ledger.keys import LEDGER_KEYS as _LEDGER_KEY_HEADERS

HUKOU: Final = "hukou"
SCHOOL: Final = "school"
LEDGER: Final = "ledger"
KINDS: Final = (HUKOU, SCHOOL, LEDGER)

# How a column's values are read; also decides the cell format in the template.
TEXT: Final = "text"
ID: Final = "id"
DATE: Final = "date"
GENDER: Final = "gender"
ETHNICITY: Final = "ethnicity"
RELATION: Final = "relation"
REGION: Final = "region"
RESIDENCE: Final = "residence"
PERSON_STATUS: Final = "person_status"
STUDENT_STATUS: Final = "student_status"
BOOLEAN: Final = "boolean"
PHONE: Final = "phone"
CODE: Final = "code"  # digits kept as text (school identifier, student number, household number)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    type: str = TEXT
    max_length: int | None = None
    help: StrOrPromise = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


HUKOU_COLUMNS: Final = (
    Column(
        "household_no",
        "户号",
        ("户编号",),
        required=True,
        type=CODE,
        max_length=30,
        help=_("Household number; links the members of one household."),
    ),
    Column("name", "姓名", ("户籍姓名",), required=True, max_length=50, help=_("Full name, 2 to 50 characters.")),
    Column(
        "id_number",
        "公民身份号码",
        ("身份证号", "身份证号码", "公民身份证号码", "身份号码"),
        required=True,
        type=ID,
        max_length=18,
        help=_("18-character citizen ID number. Format the column as text so that Excel keeps every digit."),
    ),
    Column(
        "gender",
        "性别",
        required=True,
        type=GENDER,
        help=_("男 or 女 (or 1 or 2). If left empty, it is taken from the ID number."),
    ),
    Column(
        "birth_date",
        "出生日期",
        required=True,
        type=DATE,
        help=_("A date such as 2010-05-03, 2010/5/3 or 20100503. If left empty, it is taken from the ID number."),
    ),
    Column("ethnicity", "民族", type=ETHNICITY, help=_("Name such as 汉族 or 汉, or the two-digit code.")),
    Column(
        "relation",
        "与户主关系",
        ("关系", "与户主的关系"),
        type=RELATION,
        help=_("Relation to the head of household: a GB/T 4761 name such as 户主, 子, 女, 孙子, or its code."),
    ),
    Column(
        "region_code",
        "户籍地址",
        ("户籍地", "户籍地址代码", "户籍地代码"),
        required=True,
        type=REGION,
        max_length=200,
        help=_("The village as a 12-digit code, or as a name such as 江口镇东大村 (the district may come first)."),
    ),
    Column(
        "nature",
        "户口性质",
        ("户别",),
        max_length=20,
        help=_("As in the household register, such as 农业, 非农业, 居民 or 家庭户."),
    ),
    Column(
        "person_status",
        "人员状态",
        ("状态", "户籍状态"),
        required=True,
        type=PERSON_STATUS,
        help=_("正常, 迁出, 死亡 or 注销."),
    ),
    Column("change_date", "变动日期", ("迁出日期",), type=DATE, help=_("Date of moving out or of death, if any.")),
    Column(
        "residence",
        "居住地",
        ("现居住地", "居住证签发地", "现住址"),
        type=RESIDENCE,
        max_length=100,
        help=_(
            "Where the person actually lives, for adults living elsewhere: a county such as 晋江市 or 深圳市宝安区."
        ),
    ),
    Column(
        "phone",
        "联系电话",
        ("手机号", "手机号码", "电话", "联系方式"),
        type=PHONE,
        max_length=20,
        help=_("An 11-digit mobile number, or a landline with its area code such as 0594-1234567."),
    ),
)

SCHOOL_COLUMNS: Final = (
    Column(
        "student_no",
        "全国学籍号",
        ("学籍号", "学籍辅号"),
        type=CODE,
        max_length=30,
        help=_("National student number, as in the student status system."),
    ),
    Column("name", "姓名", ("学生姓名",), required=True, max_length=50, help=_("Full name, 2 to 50 characters.")),
    Column(
        "id_number",
        "身份证件号",
        ("身份证号", "身份证号码", "公民身份号码", "身份证件号码"),
        required=True,
        type=ID,
        max_length=18,
        help=_(
            "18-character citizen ID number. Format the column as text so that Excel keeps every digit. "
            "May be left empty for a student without one."
        ),
    ),
    Column(
        "gender",
        "性别",
        type=GENDER,
        help=_("男 or 女 (or 1 or 2). If left empty, it is taken from the ID number."),
    ),
    Column(
        "birth_date",
        "出生日期",
        type=DATE,
        help=_("A date such as 2010-05-03, 2010/5/3 or 20100503. If left empty, it is taken from the ID number."),
    ),
    Column(
        "school_name",
        "学校名称",
        ("学校", "就读学校"),
        required=True,
        max_length=100,
        help=_("Full name of the school."),
    ),
    Column(
        "school_code",
        "学校标识码",
        ("学校代码",),
        type=CODE,
        max_length=10,
        help=_("The school's 10-digit identifier."),
    ),
    Column(
        "grade",
        "年级",
        ("就读年级",),
        required=True,
        max_length=20,
        help=_("As in the student status system, such as 一年级, 七年级, 高一 or 幼儿园小班."),
    ),
    Column("class_name", "班级", ("班别",), max_length=20, help=_("Class, such as 3班.")),
    Column("is_boarding", "是否住校", ("住校", "是否寄宿", "寄宿"), type=BOOLEAN, help=_("是 or 否.")),
    Column(
        "student_status",
        "学籍状态",
        ("在校状态",),
        required=True,
        type=STUDENT_STATUS,
        help=_("在读, 休学, 转出, 辍学 or 毕业."),
    ),
    Column(
        "flagged_left_behind",
        "是否留守儿童",
        ("留守儿童", "是否留守"),
        type=BOOLEAN,
        help=_("是 or 否: the school's own flag."),
    ),
    Column("guardian_name", "监护人姓名", ("监护人",), max_length=50, help=_("Full name of the guardian, if known.")),
    Column(
        "guardian_phone",
        "监护人电话",
        ("监护人联系电话", "监护人手机号", "联系电话"),
        type=PHONE,
        max_length=20,
        help=_("An 11-digit mobile number, or a landline with its area code such as 0594-1234567."),
    ),
    Column(
        "region_code",
        "户口所在地",
        ("户籍地", "户籍地址", "户口所在地代码"),
        type=REGION,
        max_length=200,
        help=_("The village of household registration as a 12-digit code or a name such as 江口镇东大村. Optional."),
    ),
)

# One key per column of registry.exports.ledger_headers(), in the same order; the list itself is
# exchange.ledger.keys', which the ledger import reads the same columns by.
LEDGER_KEYS: Final = tuple(key for key, _header in _LEDGER_KEY_HEADERS)
LEDGER_REQUIRED: Final = frozenset({"name", "village"})
_LEDGER_TYPES: Final = {
    "birth_date": DATE,
    "entry_date": DATE,
    "id_number": ID,
    "father_id_number": ID,
    "mother_id_number": ID,
    "father_phone": PHONE,
    "mother_phone": PHONE,
    "guardian_phone": PHONE,
}


@functools.cache
def _ledger_columns(language: str) -> tuple[Column, ...]:
    from registry.exports import ledger_headers

    with translation.override("zh-hans"):
        chinese = [str(h) for h in ledger_headers()]
    with translation.override(None):
        english = [str(h) for h in ledger_headers()]
    with translation.override(language):
        current = [str(h) for h in ledger_headers()]
    if not len(chinese) == len(english) == len(current) == len(LEDGER_KEYS):
        raise RuntimeError("exchange.columns.LEDGER_KEYS is out of step with registry.exports.ledger_headers()")
    columns = []
    for key, zh, en, cur in zip(LEDGER_KEYS, chinese, english, current, strict=True):
        aliases = tuple(dict.fromkeys(a for a in (cur, en) if a != zh))
        columns.append(Column(key, zh, aliases, required=key in LEDGER_REQUIRED, type=_LEDGER_TYPES.get(key, TEXT)))
    return tuple(columns)


def columns_for(kind: str) -> tuple[Column, ...]:
    if kind == HUKOU:
        return HUKOU_COLUMNS
    if kind == SCHOOL:
        return SCHOOL_COLUMNS
    if kind == LEDGER:
        return _ledger_columns(translation.get_language() or "zh-hans")
    raise ValueError(f"unknown import kind {kind!r}")


# Markers that templates and forms put around a header: a leading or trailing asterisk, and a
# bracketed "required" / "optional" note.
_MARKER_WORDS: Final = "必填|必录|必填项|选填|可选|非必填|可不填|required|optional"
_BRACKET_MARKER: Final = re.compile(rf"[(\[【<]\s*(?:{_MARKER_WORDS})\s*[)\]】>]$", re.IGNORECASE)
_STARS: Final = "*★☆※"
_INVISIBLE: Final = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def normalise_header(text: object) -> str:
    """Header text reduced for matching: no spaces or line breaks, half-width, no required markers."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    value = _INVISIBLE.sub("", value)
    previous = None
    while previous != value:
        previous = value
        value = value.strip(_STARS + ":：")
        value = _BRACKET_MARKER.sub("", value)
    return value.casefold()


def header_lookup(kind: str) -> dict[str, str]:
    """Normalised header or alias -> canonical field. The main header wins over another's alias."""
    lookup: dict[str, str] = {}
    columns = columns_for(kind)
    for column in columns:
        lookup[normalise_header(column.header)] = column.field
    for column in columns:
        for alias in column.aliases:
            lookup.setdefault(normalise_header(alias), column.field)
    return lookup


def column_by_field(kind: str) -> dict[str, Column]:
    return {column.field: column for column in columns_for(kind)}


def required_fields(kind: str) -> list[str]:
    return [column.field for column in columns_for(kind) if column.required]
