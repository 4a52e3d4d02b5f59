"""Set-based reconciliation of the registry with 户籍 (hukou) and 学籍 (student status) extracts.

Pure functions on polars DataFrames: no ORM, no I/O, no logging. The caller loads the frames from the
database (schemas below), calls a function and stores its output. Everything is vectorised; the only
Python loops run over code tables, a few thousand distinct characters, and the findings themselves.

Input frames (columns missing from a frame are taken as null; extra columns are ignored)
-------------------------------------------------------------------------------------------
* :data:`REGISTRY_SCHEMA` — one row per child file (all statuses: an exited child still "uses up" its
  hukou row, so that it does not come back as an omission). ``region_code`` is the hukou village,
  ``id_number`` is null or ``""`` when the child has none, ``father_name``/``mother_name``/``father_id``/
  ``mother_id`` come from the file's family members 51/52, ``school_name`` is the school's name.
* :data:`HUKOU_SCHEMA` — one row per person of a 户籍 extract; ``relation`` is the GB/T 4761 code relative
  to the head of household, ``residence``/``residence_code`` say where an adult really lives.
* :data:`STUDENT_SCHEMA` — one row per student of a 学籍 extract.

Output frames
-------------
* :func:`match` → :data:`MATCH_SCHEMA`: one-to-one pairs of registry child and source record.
* :func:`reconcile_hukou`, :func:`reconcile_school`, :func:`registry_duplicates` →
  :data:`DISCREPANCY_SCHEMA`: one row per finding; ``kind`` is a ``DiscrepancyKind`` value, ``key`` identifies
  the finding across re-imports and holds no personal data in clear, ``fields`` is a JSON object
  ``{field: [registry_value, source_value]}`` for updates and corrections and ``{}`` otherwise.

How matching works
------------------
1. Identical, well-formed ID numbers pair first (``method="id"``); such a pair is still scored, so a file
   that carries a sibling's ID (other name, other birth date) is not taken for that sibling.
2. The rest are blocked: same birth date and same pinyin, same birth date and the name with one character
   masked, same birth date and village, same pinyin and village / year and month / year and day /
   month and day. A key held by too many rows of one side is skipped (common names in a big village).
   ID numbers one wrong digit or one adjacent swap apart: either error breaks the MOD 11-2 check, so for
   each invalid number the (at most 35) valid numbers it could have been are computed and joined.
3. Each candidate pair gets points from the signals in :data:`WEIGHTS` (ID, name, birth date, gender,
   village, parents); a pair with the same name and birth date, in the same county, that is the only
   such candidate of both sides gets a small bonus. Pairs at or above the threshold are assigned
   one-to-one, best score first (rounds of mutual best choices). ``score`` is points / 10, capped at 1.

Reason codes (``reasons``): the signals of the pair, from id_exact, id_one_digit, id_transposed,
id_close, id_conflict, name_same, name_homophone, name_lookalike, name_one_char, name_diff, birth_same,
birth_near, birth_diff, gender_same, gender_diff, village_same, household_parent, parent_same,
parents_differ, unique_candidate; and per kind: hukou_exit starts with the person status (moved_out,
deceased, cancelled), school_dropout with the student status (dropped_out, suspended); hukou_not_found
has no_match (+ record_taken, with ``record_id`` the record another file got); hukou_omission under_age,
parents_away, no_match; hukou_village_gap omission_candidates (``fields`` ``{"children": [0, n]}``);
school_missing school_age, no_match; school_omission flagged_left_behind, no_match; a duplicate pair
reached only through a third file adds same_group.

Names are compared per character: pinyin is computed once per distinct character (a few thousand) and
joined back; a homophone is a character with a reading in common (the surname readings of
``registry.pinyin`` included), a look-alike comes from :data:`LOOKALIKE_GROUPS`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from registry.pinyin import SURNAMES, _alone, _heteronyms

__all__ = [
    "DISCREPANCY_SCHEMA",
    "HUKOU_SCHEMA",
    "LOOKALIKE_GROUPS",
    "MATCH_SCHEMA",
    "REGISTRY_SCHEMA",
    "STUDENT_SCHEMA",
    "WEIGHTS",
    "match",
    "reconcile_hukou",
    "reconcile_school",
    "registry_duplicates",
]

REGISTRY_SCHEMA = pl.Schema(
    {
        "child_id": pl.Int64(),
        "name": pl.Utf8(),
        "gender": pl.Utf8(),  # "1" male, "2" female (GB/T 2261.1)
        "birth_date": pl.Date(),
        "id_number": pl.Utf8(),
        "region_code": pl.Utf8(),  # hukou village, 12 digits
        "status": pl.Utf8(),  # registry.codes.ChildStatus
        "is_left_behind": pl.Boolean(),
        "father_name": pl.Utf8(),
        "mother_name": pl.Utf8(),
        "father_id": pl.Utf8(),
        "mother_id": pl.Utf8(),
        "schooling": pl.Utf8(),  # registry.codes.SchoolingStatus
        "school_name": pl.Utf8(),
        "grade": pl.Utf8(),
        "is_boarding": pl.Boolean(),
    }
)
HUKOU_SCHEMA = pl.Schema(
    {
        "record_id": pl.Int64(),
        "row_no": pl.Int64(),
        "household_no": pl.Utf8(),
        "name": pl.Utf8(),
        "id_number": pl.Utf8(),
        "gender": pl.Utf8(),
        "birth_date": pl.Date(),
        "relation": pl.Utf8(),  # GB/T 4761, relative to the head of household
        "region_code": pl.Utf8(),
        "address": pl.Utf8(),
        "person_status": pl.Utf8(),  # exchange.models.PersonStatus
        "change_date": pl.Date(),
        "residence_code": pl.Utf8(),  # county code where an adult lives, "" when unknown
        "residence": pl.Utf8(),  # non-empty: lives elsewhere (even when the code did not resolve)
    }
)
STUDENT_SCHEMA = pl.Schema(
    {
        "record_id": pl.Int64(),
        "row_no": pl.Int64(),
        "student_no": pl.Utf8(),
        "name": pl.Utf8(),
        "id_number": pl.Utf8(),
        "gender": pl.Utf8(),
        "birth_date": pl.Date(),
        "school_name": pl.Utf8(),
        "school_code": pl.Utf8(),
        "grade": pl.Utf8(),
        "class_name": pl.Utf8(),
        "is_boarding": pl.Boolean(),
        "student_status": pl.Utf8(),  # exchange.models.StudentStatus
        "flagged_left_behind": pl.Boolean(),
        "region_code": pl.Utf8(),
    }
)
MATCH_SCHEMA = pl.Schema(
    {
        "child_id": pl.Int64(),
        "record_id": pl.Int64(),
        "method": pl.Utf8(),  # "id" | "fuzzy"
        "score": pl.Float64(),
        "reasons": pl.List(pl.Utf8()),
    }
)
DISCREPANCY_SCHEMA = pl.Schema(
    {
        "kind": pl.Utf8(),
        "child_id": pl.Int64(),
        "other_child_id": pl.Int64(),
        "record_id": pl.Int64(),
        "region_code": pl.Utf8(),
        "key": pl.Utf8(),
        "score": pl.Float64(),
        "fields": pl.Utf8(),
        "reasons": pl.List(pl.Utf8()),
    }
)

#: Points per signal; a pair matches at ``threshold * 10`` points (default 7).
WEIGHTS: dict[str, float] = {
    "id_exact": 10.0,
    "id_one_digit": 4.0,
    "id_transposed": 4.0,
    "id_conflict": -6.0,  # both numbers valid and further apart: two people (namesakes)
    "id_close": 0.0,  # both valid, one digit and the check apart, names alike: a typo with the check redone
    "name_same": 3.0,
    "name_homophone": 2.5,
    "name_lookalike": 2.5,
    # One other character differs (not a homophone nor in LOOKALIKE_GROUPS): twins look like this, so it
    # is no evidence either way; with an ID one digit off the pair still matches.
    "name_one_char": 0.0,
    "name_diff": -4.0,
    "birth_same": 2.5,
    "birth_near": 1.0,  # one digit, two adjacent digits swapped, or day and month swapped
    "birth_diff": -4.0,
    "gender_same": 0.5,
    "gender_diff": -2.0,
    "village_same": 1.5,
    "household_parent": 2.0,  # a parent's name in the 户籍 household matches the file's father or mother
    "parent_same": 2.0,  # duplicates: same father's or mother's name on both files, none different
    "parents_differ": -2.0,  # duplicates: a parent's name differs, none is the same
    "unique_candidate": 1.0,  # same name and birth date, the only such pair of both, in the same county
}
THRESHOLD = 0.7

#: Characters that are easily misread or mistyped for one another (one group per line of confusion).
LOOKALIKE_GROUPS: tuple[str, ...] = (
    "己已巳", "未末", "土士", "戊戌戍", "日曰", "王玉主壬", "大太犬天夭", "人入八", "刀力", "千干于",
    "田由甲申", "白百自", "今令", "免兔", "候侯", "拔拨", "折拆", "辨辩辫瓣", "贝见", "问间", "木本术禾",
    "午牛", "住往佳", "宇字", "轩轨", "阳阴", "豪毫", "博搏傅", "泽择", "辉挥", "航舫", "陈阵", "李季",
    "吴吕昊", "杨扬汤场", "方万", "宋宗", "戴载", "姚桃", "江汪", "唐庸", "怡恰", "颖颍频", "思恩", "秀季",
    "心必", "子孑了", "涛寿", "明朋", "晨晟", "睛晴情清请精", "婷停", "琳淋", "雪雷", "萱宣", "诗持",
    "婉碗", "蓉容", "可司", "一二", "文又丈", "伟传", "华毕", "俊峻浚", "彬杉", "钰珏", "磊晶", "欣忻", "涵函",
    "娜哪", "郑邓", "林材", "刘浏", "蔡察", "许浒", "朱米", "余佘", "徐涂", "卓桌", "翁翕", "周同", "何河",
    "洪供", "柯珂", "肖宵", "彭膨", "谢榭", "潘番", "魏巍", "邱丘", "玲铃", "珍诊", "梅海", "淑叔", "英央",
    "春椿", "兰栏", "贵责", "财材", "福幅副", "金全", "水永小", "国图", "建健键", "强弛", "杰烈", "浩洁",
)  # fmt: skip

_MAXPOS = 6  # names compared character by character up to this length (longer: exact only)
_MASK = "\x1f"
_BIG_BLOCK = 50  # max rows per side of a block for the strong keys
_SMALL_BLOCK = 20  # ... and for the weak ones (same pinyin in a village, a month or a month-day)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ACTIVE_EXIT = "exited"
_REGISTERED = "registered"
_EXIT_STATUSES = ("moved_out", "deceased", "cancelled")
# Name classes of a pair (smaller is better).
_SAME, _HOMOPHONE, _LOOKALIKE, _ONE_CHAR, _DIFF = 0, 1, 2, 3, 4
_NAME_REASONS = ("name_same", "name_homophone", "name_lookalike", "name_one_char", "name_diff")


# --- Normalisation -------------------------------------------------------------------------------


def _conform(frame: pl.DataFrame, schema: pl.Schema, required: Sequence[str]) -> pl.DataFrame:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    return frame.select(
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in schema.items()
    )


def _clean_name(expr: pl.Expr) -> pl.Expr:
    cleaned = expr.str.normalize("NFKC").str.replace_all(r"\s+", "").str.replace_all("[•・．]", "·")
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def _with_names(frame: pl.DataFrame, parents: bool) -> pl.DataFrame:
    columns = {"_name": "name", "_fa": "father_name", "_mo": "mother_name"} if parents else {"_name": "name"}
    return frame.with_columns(_clean_name(pl.col(c)).alias(alias) for alias, c in columns.items())


def _clean_id(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_uppercase().str.replace_all(r"\s+", "")


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null("").str.normalize("NFKC").str.replace_all(r"\s+", "")


def _sha(value: str) -> str:
    return hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()[:24]


def _age(birth: pl.Expr, today: date) -> pl.Expr:
    before = (birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day()) > today.month * 100 + today.day
    return today.year - birth.dt.year().cast(pl.Int32) - before.cast(pl.Int32)


# --- Names and pinyin ----------------------------------------------------------------------------


class _Names:
    """Every distinct name in play, with an id, its length, pinyin key and masked variants."""

    def __init__(self, columns: Iterable[pl.Series]) -> None:
        names = pl.concat([s.alias("name") for s in columns]).drop_nulls().unique().to_frame()
        names = names.with_row_index("nm").with_columns(pl.col("name").str.len_chars().alias("nlen"))
        chars = names["name"].str.split("").explode(empty_as_null=True).drop_nulls().unique().to_list()
        self.readings: dict[str, list[str]] = {}
        main: dict[str, str] = {}
        for char in chars:
            first = _alone(char) or char
            main[char] = first
            self.readings[char] = list(dict.fromkeys([first, *_heteronyms(char), SURNAMES.get(char, first)]))
        surname = {c: SURNAMES.get(c, r) for c, r in main.items()}
        parts = [
            pl.col("name").str.slice(j, 1).replace_strict(surname if j == 0 else main, default="")
            for j in range(_MAXPOS)
        ]
        pinyin = pl.when(pl.col("nlen") <= _MAXPOS).then(pl.concat_str(parts, separator="'")).otherwise("name")
        names = names.with_columns(pinyin.alias("pinyin"))
        self.frame = names.with_columns(pl.col("pinyin").rank("dense").cast(pl.UInt32).alias("py"))
        short = names.filter(pl.col("nlen").is_between(2, _MAXPOS)).select("nm", "name", "nlen")
        masked = [
            short.filter(pl.col("nlen") > j).select(
                "nm", pl.concat_str(pl.col("name").str.slice(0, j), pl.lit(_MASK), pl.col("name").str.slice(j + 1))
            )
            for j in range(_MAXPOS)
        ]
        variants = pl.concat(masked).rename({"name": "masked"})
        self.masked = variants.select("nm", pl.col("masked").rank("dense").cast(pl.UInt32).alias("mk"))

    def ids(self, frame: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
        """``frame`` with ``alias`` = the id of the cleaned name in ``column`` (null when blank)."""
        lookup = self.frame.select(pl.col("name").alias("_n"), pl.col("nm").alias(alias))
        return frame.join(lookup, left_on=column, right_on="_n", how="left", coalesce=True)

    def classify(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """Name class of distinct ``(nm_a, nm_b)`` pairs of different names."""
        info = self.frame.select("nm", "name", "nlen", "py")
        p = pairs.join(info, left_on="nm_a", right_on="nm").join(info, left_on="nm_b", right_on="nm", suffix="_b")
        p = p.with_row_index("row")
        same_len = pl.col("nlen") == pl.col("nlen_b")
        diffs = [
            (pl.col("name").str.slice(j, 1) != pl.col("name_b").str.slice(j, 1)) & (pl.col("nlen") > j)
            for j in range(_MAXPOS)
        ]
        p = p.with_columns(
            (same_len & (pl.col("py") == pl.col("py_b"))).alias("homo_all"),
            pl.when(same_len & (pl.col("nlen") <= _MAXPOS)).then(pl.sum_horizontal(diffs)).alias("ndiff"),
        )
        few = p.filter(~pl.col("homo_all") & pl.col("ndiff").is_between(1, 2))
        chars = pl.concat(
            few.filter(diffs[j]).select(
                "row", pl.col("name").str.slice(j, 1).alias("ca"), pl.col("name_b").str.slice(j, 1).alias("cb")
            )
            for j in range(_MAXPOS)
        )
        table = chars.select("ca", "cb").unique()
        readings = pl.DataFrame(
            {"c": list(self.readings), "r": list(self.readings.values())},
            schema={"c": pl.Utf8(), "r": pl.List(pl.Utf8)},
        )
        table = (
            table.join(readings, left_on="ca", right_on="c", how="left")
            .join(readings, left_on="cb", right_on="c", how="left", suffix="_b")
            .join(_lookalikes(), on=["ca", "cb"], how="left")
            .select(
                "ca",
                "cb",
                (pl.col("r").list.set_intersection("r_b").list.len() > 0).fill_null(False).alias("homo"),
                pl.col("look").fill_null(False),
            )
        )
        per_row = (
            chars.join(table, on=["ca", "cb"])
            .group_by("row")
            .agg(
                (pl.col("homo") | pl.col("look")).all().alias("ok"),
                (~pl.col("homo") & pl.col("look")).any().alias("look"),
            )
        )
        p = p.join(per_row, on="row", how="left")
        ncls = (
            pl.when(pl.col("homo_all"))
            .then(_HOMOPHONE)
            .when(pl.col("ok") & pl.col("look"))
            .then(_LOOKALIKE)
            .when(pl.col("ok"))
            .then(_HOMOPHONE)
            .when(pl.col("ndiff") == 1)
            .then(_ONE_CHAR)
            .otherwise(_DIFF)
        )
        return p.select("nm_a", "nm_b", ncls.cast(pl.Int8).alias("ncls"))


def _lookalikes() -> pl.DataFrame:
    pairs = {(a, b) for group in LOOKALIKE_GROUPS for a, b in itertools.permutations(group, 2)}
    return pl.DataFrame(sorted(pairs), schema={"ca": pl.Utf8(), "cb": pl.Utf8}, orient="row").with_columns(
        pl.lit(True).alias("look")
    )


# --- Prepared frames -----------------------------------------------------------------------------


def _prepare(frame: pl.DataFrame, names: _Names, *, parents: bool) -> pl.DataFrame:
    """Add the integer columns matching works on; ``idx`` is the row position.

    ``frame`` already has the cleaned names (:func:`_with_names`): ``_name`` and, with ``parents``, ``_fa``
    and ``_mo``.
    """
    idn = _clean_id(pl.col("id_number"))
    ok = idn.str.contains(r"^\d{17}[\dX]$").fill_null(False)
    d17 = pl.when(ok).then(idn.str.slice(0, 17).cast(pl.Int64, strict=False))
    last = idn.str.slice(17, 1)
    chk = pl.when(ok).then(pl.when(last == "X").then(10).otherwise(last.cast(pl.Int64, strict=False)))
    id_birth = pl.when(ok).then(idn.str.slice(6, 8).str.to_date("%Y%m%d", strict=False))
    id_gender = pl.when(ok).then(idn.str.slice(16, 1).cast(pl.Int32, strict=False) % 2)
    gender = (
        pl.col("gender").fill_null("").replace({"男": "1", "女": "2", "M": "1", "F": "2"}).cast(pl.Int8, strict=False)
    )
    gender = pl.when(gender.is_in([1, 2])).then(gender).when(id_gender == 1).then(1).when(id_gender == 0).then(2)
    out = frame.with_row_index("idx").with_columns(
        pl.col("birth_date").fill_null(id_birth).alias("_birth"),
        d17.alias("d17"),
        chk.alias("chk"),
        gender.alias("g"),
        pl.col("region_code").cast(pl.Int64, strict=False).alias("v"),
    )
    out = out.with_columns(
        (pl.col("d17") * 11 + pl.col("chk")).alias("idk"),
        pl.col("_birth").cast(pl.Int32).alias("bd"),
        (
            pl.col("_birth").dt.year().cast(pl.Int32) * 10000
            + pl.col("_birth").dt.month().cast(pl.Int32) * 100
            + pl.col("_birth").dt.day().cast(pl.Int32)
        )
        .cast(pl.Int32)
        .alias("ymd"),
        (_id_checksum(pl.col("d17")) == pl.col("chk")).fill_null(False).alias("idv"),
    )
    out = names.ids(out, "_name", "nm").join(names.frame.select("nm", "py"), on="nm", how="left")
    if parents:
        out = names.ids(names.ids(out, "_fa", "fa"), "_mo", "mo")
    return out.sort("idx")


def _id_checksum(d17: pl.Expr) -> pl.Expr:
    total = pl.sum_horizontal([(d17 // 10 ** (16 - k)) % 10 * w for k, w in enumerate(_ID_WEIGHTS)])
    return (12 - total % 11) % 11


def _digit(x: pl.Expr, k: int, width: int) -> pl.Expr:
    return (x // 10 ** (width - 1 - k)) % 10


# --- Candidate pairs -----------------------------------------------------------------------------


def _block(a: pl.DataFrame, b: pl.DataFrame | None, keys: list[str], cap: int) -> pl.DataFrame:
    """Pairs ``(ai, bi)`` sharing ``keys``; ``b=None`` joins ``a`` with itself (``ai < bi``).

    Keys are hashed into one column (a collision only adds a candidate, which scoring rejects); a key held
    by more than ``cap`` rows of one side is skipped: it says too little to be worth the pairs.
    """

    def keyed(frame: pl.DataFrame, least: int) -> pl.DataFrame:
        k = frame.select("idx", *keys).drop_nulls(keys).select("idx", pl.struct(keys).hash().alias("k"))
        sizes = k.group_by("k").len().filter(pl.col("len").is_between(least, cap))
        return k.join(sizes, on="k", how="semi")

    if b is None:
        ka = keyed(a, 2)
        pairs = ka.join(ka, on="k", suffix="_b").filter(pl.col("idx") < pl.col("idx_b"))
    else:
        pairs = keyed(a, 1).join(keyed(b, 1), on="k", suffix="_b")
    return pairs.select(pl.col("idx").alias("ai"), pl.col("idx_b").alias("bi"))


def _candidates(a: pl.DataFrame, b: pl.DataFrame | None, names: _Names) -> pl.DataFrame:
    def keyed(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            "idx",
            "bd",
            "py",
            "v",
            "nm",
            "d17",
            "chk",
            "idk",
            "idv",
            (pl.col("ymd") // 10000).alias("y"),
            (pl.col("ymd") // 100 % 100).alias("m"),
            (pl.col("ymd") % 100).alias("d"),
            (pl.col("ymd") % 10000).alias("md"),
        )

    ka = keyed(a)
    kb = None if b is None else keyed(b)
    found = [
        _block(ka, kb, ["bd", "py"], _BIG_BLOCK),
        _block(ka, kb, ["bd", "v"], _BIG_BLOCK),
        _block(ka, kb, ["py", "v"], _SMALL_BLOCK),
        # One wrong digit in the birth date: two of year, month and day still agree.
        _block(ka, kb, ["py", "y", "m"], _SMALL_BLOCK),
        _block(ka, kb, ["py", "y", "d"], _SMALL_BLOCK),
        _block(ka, kb, ["py", "md"], _SMALL_BLOCK),
    ]

    def masked(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select("idx", "bd", "nm").join(names.masked, on="nm")

    found.append(_block(masked(ka), None if kb is None else masked(kb), ["bd", "mk"], _BIG_BLOCK))

    found.append(_id_near_pairs(ka, kb))
    return pl.concat(found).unique()


def _id_near(a: tuple[str, str], b: tuple[str, str]) -> pl.Expr:
    """How two different ID numbers relate: 2 one character differs, 3 two adjacent ones are swapped,
    5 one digit and the check character differ (a wrong digit with the check recomputed, or twins'
    neighbouring sequence numbers: no evidence either way), else 0."""
    xs = [_digit(pl.col(a[0]), k, 17) for k in range(17)] + [pl.col(a[1])]
    ys = [_digit(pl.col(b[0]), k, 17) for k in range(17)] + [pl.col(b[1])]
    ham = pl.sum_horizontal([(x != y).cast(pl.Int8) for x, y in zip(xs, ys, strict=True)])
    swap = pl.any_horizontal([(xs[k] == ys[k + 1]) & (xs[k + 1] == ys[k]) & (xs[k] != ys[k]) for k in range(17)])
    recomputed = (ham == 2) & (xs[17] != ys[17])
    return pl.when(ham == 1).then(2).when((ham == 2) & swap).then(3).when(recomputed).then(5).otherwise(0).cast(pl.Int8)


def _id_repairs(frame: pl.DataFrame) -> pl.DataFrame:
    """``idx, k``: the valid numbers one wrong digit or one adjacent swap away from each invalid number.

    Both errors always break the MOD 11-2 check character, so one number of such a pair is invalid and
    there are at most 35 valid numbers it could have been: for each position the one digit that makes the
    check come right (if it is a digit), and each adjacent swap that does.
    """
    inv = frame.filter(pl.col("d17").is_not_null() & ~pl.col("idv")).select("idx", "d17", "chk")
    xs = [_digit(pl.col("d17"), k, 17) for k in range(17)]
    inv = inv.with_columns(
        *(x.alias(f"x{k}") for k, x in enumerate(xs)),
        (pl.sum_horizontal([x * w for x, w in zip(xs, _ID_WEIGHTS, strict=True)]) % 11).alias("s"),
    )
    s, chk, d17 = pl.col("s"), pl.col("chk"), pl.col("d17")
    target = (12 - chk) % 11  # the weighted sum (mod 11) that makes ``chk`` right
    found = [(d17 * 11 + (12 - s) % 11).alias("k")]  # the check character itself was wrong
    for p, w in enumerate(_ID_WEIGHTS):
        x = pl.col(f"x{p}")
        y = (x + (target - s + 11) * pow(w, -1, 11)) % 11
        found.append(pl.when(y <= 9).then((d17 + (y - x) * 10 ** (16 - p)) * 11 + chk).alias("k"))
    for p in range(16):
        x, z = pl.col(f"x{p}"), pl.col(f"x{p + 1}")
        turned = (s + (z - x) * (_ID_WEIGHTS[p] - _ID_WEIGHTS[p + 1]) + 121) % 11
        value = (d17 + (z - x) * 10 ** (16 - p) + (x - z) * 10 ** (15 - p)) * 11 + chk
        found.append(pl.when((x != z) & (turned == target)).then(value).alias("k"))
    x16 = pl.col("x16")
    turned = (s + (chk - x16) * _ID_WEIGHTS[16] + 121) % 11
    last = (chk <= 9) & (chk != x16) & ((12 - turned) % 11 == x16)
    found.append(pl.when(last).then((d17 + chk - x16) * 11 + x16).alias("k"))
    return pl.concat([inv.select("idx", k) for k in found]).drop_nulls()


def _id_near_pairs(ka: pl.DataFrame, kb: pl.DataFrame | None) -> pl.DataFrame:
    """Pairs ``(ai, bi)`` whose ID numbers are one wrong digit or one adjacent swap apart."""
    valid_a = ka.filter(pl.col("idv")).select("idx", pl.col("idk").alias("k"))
    if kb is None:
        pairs = _id_repairs(ka).join(valid_a, on="k", suffix="_b")
        return pairs.select(
            pl.min_horizontal("idx", "idx_b").alias("ai"), pl.max_horizontal("idx", "idx_b").alias("bi")
        )
    valid_b = kb.filter(pl.col("idv")).select("idx", pl.col("idk").alias("k"))
    forward = _id_repairs(ka).join(valid_b, on="k", suffix="_b").select(ai="idx", bi="idx_b")
    backward = _id_repairs(kb).join(valid_a, on="k", suffix="_b").select(ai="idx_b", bi="idx")
    return pl.concat([forward, backward])


# --- Scoring -------------------------------------------------------------------------------------

_SIGNAL_COLUMNS = ("idx", "nm", "bd", "ymd", "g", "v", "d17", "chk", "idk", "idv")


def _gather(frame: pl.DataFrame, index: pl.Series, columns: Sequence[str], suffix: str) -> pl.DataFrame:
    return frame.select(pl.col(c).gather(index).alias(f"{c}{suffix}") for c in columns)


def _score(
    pairs: pl.DataFrame,
    a: pl.DataFrame,
    b: pl.DataFrame,
    names: _Names,
    *,
    household: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Signals and points of candidate pairs ``(ai, bi)``.

    Parent signal: with ``household`` (long frame ``idx, pnm`` of the parent names of each source row) a
    parent name in it equal to the file's father or mother; without it both frames carry ``fa``/``mo``.
    """
    cols = list(_SIGNAL_COLUMNS)
    has_parents = "fa" in a.columns
    both_parents = has_parents and "fa" in b.columns
    ca = [*cols, "fa", "mo"] if has_parents else cols
    cb = [*cols, "fa", "mo"] if both_parents else cols
    p = _gather(a, pairs["ai"], ca, "_a").hstack(_gather(b, pairs["bi"], cb, "_b"))
    differ = p.filter(pl.col("nm_a") != pl.col("nm_b")).select("nm_a", "nm_b").unique()
    p = p.join(names.classify(differ), on=["nm_a", "nm_b"], how="left").with_columns(
        pl.when(pl.col("nm_a") == pl.col("nm_b")).then(_SAME).otherwise(pl.col("ncls").fill_null(_DIFF)).alias("ncls")
    )
    # ID: 0 none/unknown, 1 exact, 2 one digit, 3 transposed, 4 conflict.
    # A wrong digit or a swap breaks the check character: pairs with an invalid number can be near; two
    # valid numbers only need a closer look where the names fit (conflict or not).
    p = p.with_row_index("row")
    both = pl.col("idk_a").is_not_null() & pl.col("idk_b").is_not_null()
    fitting = ~(pl.col("idv_a") & pl.col("idv_b")) | (pl.col("ncls") <= _ONE_CHAR)
    suspect = both & (pl.col("idk_a") != pl.col("idk_b")) & fitting
    near = p.filter(suspect).select("row", _id_near(("d17_a", "chk_a"), ("d17_b", "chk_b")).alias("idn"))
    p = p.join(near, on="row", how="left")
    idcls = (
        pl.when(both & (pl.col("idk_a") == pl.col("idk_b")))
        .then(1)
        .when(pl.col("idn").is_in([2, 3]) | ((pl.col("idn") == 5) & (pl.col("ncls") <= _LOOKALIKE)))
        .then(pl.col("idn"))
        .when(both & pl.col("idv_a") & pl.col("idv_b"))  # twins: close numbers, other names
        .then(4)
        .otherwise(0)
    )
    # Birth: 0 unknown, 1 same, 2 near, 3 differs; "near" only matters where the name or the ID fits.
    bdig = [(_digit(pl.col("ymd_a"), k, 8), _digit(pl.col("ymd_b"), k, 8)) for k in range(8)]
    bham = pl.sum_horizontal([(x != y).cast(pl.Int8) for x, y in bdig])
    bswap = pl.any_horizontal(
        [(x == bdig[k + 1][1]) & (bdig[k + 1][0] == y) & (x != y) for k, (x, y) in enumerate(bdig[:7])]
    )
    md_swap = ((pl.col("ymd_a") // 100) % 100 == pl.col("ymd_b") % 100) & (
        pl.col("ymd_a") % 100 == (pl.col("ymd_b") // 100) % 100
    )
    same_year = pl.col("ymd_a") // 10000 == pl.col("ymd_b") // 10000
    fits = (pl.col("ncls") <= _ONE_CHAR) | (both & (pl.col("idk_a") == pl.col("idk_b"))) | (pl.col("idn") > 0)
    close = p.filter((pl.col("ymd_a") != pl.col("ymd_b")) & fits).select(
        "row", ((bham == 1) | ((bham == 2) & bswap) | (same_year & md_swap)).alias("bnear")
    )
    p = p.join(close, on="row", how="left")
    bcls = (
        pl.when(pl.col("ymd_a").is_null() | pl.col("ymd_b").is_null())
        .then(0)
        .when(pl.col("ymd_a") == pl.col("ymd_b"))
        .then(1)
        .when(pl.col("bnear").fill_null(False))
        .then(2)
        .otherwise(3)
    )
    gcls = (
        pl.when(pl.col("g_a").is_null() | pl.col("g_b").is_null())
        .then(0)
        .when(pl.col("g_a") == pl.col("g_b"))
        .then(1)
        .otherwise(2)
    )
    p = p.with_columns(
        idcls.cast(pl.Int8).alias("idc"),
        bcls.cast(pl.Int8).alias("bc"),
        gcls.cast(pl.Int8).alias("gc"),
        (pl.col("v_a") == pl.col("v_b")).fill_null(False).alias("vs"),
        (pl.col("v_a") // 10**6 == pl.col("v_b") // 10**6).fill_null(False).alias("county"),
    )
    if household is not None and has_parents:
        hit = (
            p.select("idx_a", "idx_b", "fa_a", "mo_a")
            .join(household, left_on="idx_b", right_on="idx")
            .filter((pl.col("pnm") == pl.col("fa_a")) | (pl.col("pnm") == pl.col("mo_a")))
            .select("idx_a", "idx_b", pl.lit(1, pl.Int8).alias("pc"))
            .unique()
        )
        p = p.join(hit, on=["idx_a", "idx_b"], how="left").with_columns(pl.col("pc").fill_null(0))
    elif both_parents:
        same = ((pl.col("fa_a") == pl.col("fa_b")) | (pl.col("mo_a") == pl.col("mo_b"))).fill_null(False)
        other = ((pl.col("fa_a") != pl.col("fa_b")) | (pl.col("mo_a") != pl.col("mo_b"))).fill_null(False)
        pc = pl.when(same & ~other).then(2).when(other & ~same).then(3).otherwise(0)
        p = p.with_columns(pc.cast(pl.Int8).alias("pc"))
    else:
        p = p.with_columns(pl.lit(0, pl.Int8).alias("pc"))
    w = WEIGHTS
    points = (
        pl.col("idc").replace_strict(
            {
                0: 0.0,
                1: w["id_exact"],
                2: w["id_one_digit"],
                3: w["id_transposed"],
                4: w["id_conflict"],
                5: w["id_close"],
            }
        )
        + pl.col("ncls").replace_strict({i: w[r] for i, r in enumerate(_NAME_REASONS)})
        + pl.col("bc").replace_strict({0: 0.0, 1: w["birth_same"], 2: w["birth_near"], 3: w["birth_diff"]})
        + pl.col("gc").replace_strict({0: 0.0, 1: w["gender_same"], 2: w["gender_diff"]})
        + pl.col("vs").cast(pl.Float64) * w["village_same"]
        + pl.col("pc").replace_strict({0: 0.0, 1: w["household_parent"], 2: w["parent_same"], 3: w["parents_differ"]})
    )
    return p.select(
        pl.col("idx_a").alias("ai"),
        pl.col("idx_b").alias("bi"),
        "idc",
        "ncls",
        "bc",
        "gc",
        "vs",
        "pc",
        "county",
        points.alias("points"),
    )


def _reasons() -> pl.Expr:
    codes = [
        pl.col("idc").replace_strict(
            {1: "id_exact", 2: "id_one_digit", 3: "id_transposed", 4: "id_conflict", 5: "id_close"}, default=None
        ),
        pl.col("ncls").replace_strict(dict(enumerate(_NAME_REASONS))),
        pl.col("bc").replace_strict({1: "birth_same", 2: "birth_near", 3: "birth_diff"}, default=None),
        pl.col("gc").replace_strict({1: "gender_same", 2: "gender_diff"}, default=None),
        pl.when(pl.col("vs")).then(pl.lit("village_same")),
        pl.col("pc").replace_strict({1: "household_parent", 2: "parent_same", 3: "parents_differ"}, default=None),
        pl.when(pl.col("uq")).then(pl.lit("unique_candidate")),
    ]
    return pl.concat_list(codes).list.drop_nulls()


def _assign(scored: pl.DataFrame) -> pl.DataFrame:
    """One-to-one: rounds of mutual best choices, best score first (ties: higher priority, lower index)."""
    cand = scored.sort(["points", "prio", "ai", "bi"], descending=[True, True, False, False])
    chosen = []
    while cand.height:
        best_a = cand.unique("ai", keep="first", maintain_order=True)
        best_b = cand.unique("bi", keep="first", maintain_order=True).select("ai", "bi")
        mutual = best_a.join(best_b, on=["ai", "bi"], how="semi")
        chosen.append(mutual)
        cand = cand.join(mutual, on="ai", how="anti").join(mutual, on="bi", how="anti")
    return pl.concat(chosen) if chosen else scored.clear()


def _pairs(
    a: pl.DataFrame,
    b: pl.DataFrame,
    names: _Names,
    threshold: float,
    household: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One-to-one matches of prepared frames ``a`` (registry) and ``b`` (source), with their signals."""
    limit = threshold * 10
    prio = b.select(pl.col("idx").alias("bi"), "prio")
    first = _score(_same_id(a, b), a, b, names, household=household).with_columns(pl.lit(False).alias("uq"))
    chosen = _assign(first.filter(pl.col("points") >= limit).join(prio, on="bi"))
    rest_a = a.join(chosen.select(pl.col("ai").alias("idx")), on="idx", how="anti")
    rest_b = b.join(chosen.select(pl.col("bi").alias("idx")), on="idx", how="anti")
    scored = _score(_candidates(rest_a, rest_b, names), a, b, names, household=household)
    strong = (pl.col("ncls") == _SAME) & (pl.col("bc") == 1) & pl.col("county")
    sole = (pl.len().over("ai") == 1) & (pl.len().over("bi") == 1)
    unique = scored.filter(strong).select("ai", "bi", sole.alias("uq"))
    scored = scored.join(unique, on=["ai", "bi"], how="left").with_columns(pl.col("uq").fill_null(False))
    scored = scored.with_columns(pl.col("points") + pl.col("uq").cast(pl.Float64) * WEIGHTS["unique_candidate"])
    scored = scored.filter(pl.col("points") >= limit).join(prio, on="bi")
    return pl.concat([chosen, _assign(scored)]).with_columns(
        _reasons().alias("reasons"),
        pl.when(pl.col("idc") == 1).then(pl.lit("id")).otherwise(pl.lit("fuzzy")).alias("method"),
        (pl.col("points") / 10).clip(0.0, 1.0).round(3).alias("score"),
    )


def _same_id(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    pairs = a.select("idx", "idk").drop_nulls().join(b.select("idx", "idk").drop_nulls(), on="idk", suffix="_b")
    return pairs.select(pl.col("idx").alias("ai"), pl.col("idx_b").alias("bi"))


def _taken(
    lost: pl.DataFrame, b: pl.DataFrame, names: _Names, threshold: float, household: pl.DataFrame | None
) -> pl.DataFrame:
    """``idx, taken``: for files left without a match, the record they would match that another file got
    (the file is then probably a duplicate of that other one)."""
    pairs = pl.concat([_same_id(lost, b), _candidates(lost, b, names)]).unique()
    scored = _score(pairs, lost, b, names, household=household).filter(pl.col("points") >= threshold * 10)
    best = scored.sort("points", "bi", descending=[True, False]).unique("ai", keep="first")
    return best.select(pl.col("ai").alias("idx"), taken=b["record_id"].gather(best["bi"]))


# --- Households (户籍) ----------------------------------------------------------------------------


def _hukou_frame(hukou: pl.DataFrame, names: _Names, today: date, county_prefix: str) -> pl.DataFrame:
    """Prepared hukou rows plus household id, parent groups, age and whether the person lives away."""
    b = _prepare(hukou, names, parents=False)
    rel = pl.col("relation").cast(pl.Int32, strict=False)
    residence = pl.col("residence").fill_null("").str.strip_chars()
    code = pl.col("residence_code").fill_null("").str.strip_chars()
    away = ((residence != "") | (code != "")) & ~code.str.starts_with(county_prefix)
    return b.with_columns(
        pl.when(pl.col("household_no").fill_null("").str.strip_chars() != "")
        .then(pl.col("household_no").str.strip_chars().rank("dense"))
        .cast(pl.UInt32)
        .alias("hh"),
        # The group a person's parents are in, and the group the person is a parent in (relative to the head).
        pl.when(rel.is_between(20, 39))
        .then(1)
        .when(rel.is_between(40, 49))
        .then(2)
        .when(rel.is_between(1, 12) | rel.is_between(70, 79))
        .then(3)
        .cast(pl.Int8)
        .alias("pgrp"),
        pl.when(rel.is_between(1, 12))
        .then(1)
        .when(rel.is_between(20, 39))
        .then(2)
        .when(rel.is_between(50, 59))
        .then(3)
        .cast(pl.Int8)
        .alias("grp"),
        _age(pl.col("_birth"), today).alias("age"),
        away.alias("away"),
        (pl.col("person_status").fill_null("normal") == "normal").alias("normal"),
        (pl.col("person_status").fill_null("normal") == "normal").cast(pl.Int8).alias("prio"),
    )


def _parent_names(b: pl.DataFrame) -> pl.DataFrame:
    members = b.filter(pl.col("grp").is_not_null() & pl.col("hh").is_not_null()).select(
        "hh", "grp", pl.col("nm").alias("pnm")
    )
    kids = b.filter(pl.col("pgrp").is_not_null() & pl.col("hh").is_not_null()).select(
        "idx", "hh", pl.col("pgrp").alias("grp")
    )
    return kids.join(members, on=["hh", "grp"]).select("idx", "pnm").drop_nulls().unique()


# --- Public API ----------------------------------------------------------------------------------


def _source_kind(source: pl.DataFrame) -> str:
    return "hukou" if "household_no" in source.columns or "relation" in source.columns else "school"


def _setup(
    registry: pl.DataFrame, source: pl.DataFrame, kind: str, today: date, county_prefix: str
) -> tuple[pl.DataFrame, pl.DataFrame, _Names, pl.DataFrame | None]:
    reg = _conform(registry, REGISTRY_SCHEMA, ["child_id", "name", "birth_date"]).sort("child_id")
    schema = HUKOU_SCHEMA if kind == "hukou" else STUDENT_SCHEMA
    src = _conform(source, schema, ["record_id", "name"]).sort("record_id")
    reg, src = _with_names(reg, parents=True), _with_names(src, parents=False)
    names = _Names([reg["_name"], reg["_fa"], reg["_mo"], src["_name"]])
    a = _prepare(reg, names, parents=True)
    if kind == "hukou":
        b = _hukou_frame(src, names, today, county_prefix)
        return a, b, names, _parent_names(b)
    status = pl.col("student_status").fill_null("enrolled")
    b = _prepare(src, names, parents=False).with_columns(
        pl.when(status == "enrolled")
        .then(2)
        .when(status.is_in(["suspended", "dropped_out"]))
        .then(1)
        .otherwise(0)
        .cast(pl.Int8)
        .alias("prio")
    )
    return a, b, names, None


def _joined(a: pl.DataFrame, b: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Matched pairs with the registry columns and the source columns (suffix ``_s`` on clashes)."""
    return pairs.join(a.rename({"idx": "ai"}), on="ai").join(b.rename({"idx": "bi"}), on="bi", suffix="_s")


def match(
    registry: pl.DataFrame,
    source: pl.DataFrame,
    *,
    threshold: float = THRESHOLD,
    today: date | None = None,
    county_prefix: str = "",
) -> pl.DataFrame:
    """One-to-one matches between registry children and the rows of a 户籍 or 学籍 extract.

    ``source`` is a hukou frame when it has ``household_no``/``relation`` columns (then the household's
    parents count as a signal), else a student frame. Returns :data:`MATCH_SCHEMA`, ordered by child.
    """
    kind = _source_kind(source)
    a, b, names, household = _setup(registry, source, kind, today or date.today(), county_prefix or "-")
    pairs = _pairs(a, b, names, threshold, household)
    pairs = pairs.with_columns(child_id=a["child_id"].gather(pairs["ai"]), record_id=b["record_id"].gather(pairs["bi"]))
    return pairs.select(MATCH_SCHEMA.names()).sort("child_id").cast(MATCH_SCHEMA)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=DISCREPANCY_SCHEMA)


def _findings(frame: pl.DataFrame, kind: str, key: pl.Expr, **columns: pl.Expr) -> pl.DataFrame:
    defaults: dict[str, pl.Expr] = {
        "child_id": pl.lit(None, pl.Int64),
        "other_child_id": pl.lit(None, pl.Int64),
        "record_id": pl.lit(None, pl.Int64),
        "score": pl.lit(1.0),
        "fields": pl.lit("{}"),
        "reasons": pl.lit([], pl.List(pl.Utf8)),
    }
    defaults.update(columns)
    out = frame.select(
        pl.lit(kind).alias("kind"),
        *(expr.alias(name) for name, expr in defaults.items()),
        pl.col("region_code").fill_null(""),
        (pl.lit(f"{kind}:") + key).alias("key"),
    )
    return out.select(DISCREPANCY_SCHEMA.names()).cast(DISCREPANCY_SCHEMA)


def _hashed_key(frame: pl.DataFrame) -> pl.Series:
    """sha1 of the ID number, or of name and birth date when there is none (never in clear)."""
    ident = pl.when(pl.col("d17").is_not_null()).then(_clean_id(pl.col("id_number")))
    fallback = pl.concat_str(pl.col("_name").fill_null(""), pl.col("_birth").cast(pl.Utf8).fill_null(""), separator="|")
    values = frame.select(pl.coalesce(ident, fallback)).to_series().to_list()
    return pl.Series("hk", [_sha(v) for v in values], dtype=pl.Utf8)


def _fields_json(frame: pl.DataFrame, fields: Sequence[str]) -> pl.Series:
    """``{field: [registry, source]}`` for each field whose ``<field>_diff`` is true."""
    rows = frame.select(
        *(pl.col(f"{f}_diff") for f in fields), *(pl.col(f"{f}_r") for f in fields), *(pl.col(f"{f}_s") for f in fields)
    ).iter_rows(named=True)
    out = []
    for row in rows:
        diff = {f: [_plain(row[f"{f}_r"]), _plain(row[f"{f}_s"])] for f in fields if row[f"{f}_diff"]}
        out.append(json.dumps(diff, ensure_ascii=False, sort_keys=True))
    return pl.Series("fields", out, dtype=pl.Utf8)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def reconcile_hukou(
    registry: pl.DataFrame,
    hukou: pl.DataFrame,
    *,
    today: date,
    county_prefix: str,
    age_limit: int = 16,
    threshold: float = THRESHOLD,
    stats: dict[str, int] | None = None,
) -> pl.DataFrame:
    """Discrepancies between the registry and a 户籍 extract (:data:`DISCREPANCY_SCHEMA`).

    ``stats``, when given, receives ``matched``: how many extract rows matched a file.

    hukou_exit / hukou_correction for matched files that are not exited; hukou_not_found for registered
    children of the villages the extract covers that did not match; hukou_omission for unmatched people
    under ``age_limit`` whose parent-generation adults in the household (one at least) all live outside
    the county (``county_prefix``); hukou_village_gap for villages with omissions and no registered child.
    """
    a, b, names, household = _setup(registry, hukou, "hukou", today, county_prefix)
    pairs = _pairs(a, b, names, threshold, household)
    if stats is not None:
        stats["matched"] = pairs.height
    out: list[pl.DataFrame] = []
    villages = b["region_code"].drop_nulls().unique()
    m = _joined(a, b, pairs)
    m = m.filter(pl.col("status").fill_null("") != _ACTIVE_EXIT)
    exits = m.filter(pl.col("person_status").is_in(_EXIT_STATUSES))
    out.append(
        _findings(
            exits,
            "hukou_exit",
            pl.col("child_id").cast(pl.Utf8),
            child_id=pl.col("child_id"),
            record_id=pl.col("record_id"),
            score=pl.col("score"),
            reasons=pl.concat_list(pl.col("person_status"), pl.col("reasons")),
        )
    )
    staying = m.filter(~pl.col("person_status").fill_null("normal").is_in(_EXIT_STATUSES))
    compare = {
        "name": (pl.col("name"), pl.col("name_s"), pl.col("nm") != pl.col("nm_s")),
        "gender": (pl.col("gender"), pl.col("g_s").cast(pl.Utf8), pl.col("g") != pl.col("g_s")),
        "birth_date": (pl.col("birth_date"), pl.col("_birth_s"), pl.col("bd") != pl.col("bd_s")),
        "region_code": (pl.col("region_code"), pl.col("region_code_s"), pl.col("v") != pl.col("v_s")),
        "id_number": (
            pl.col("id_number"),
            _clean_id(pl.col("id_number_s")),
            pl.col("idv_s") & (pl.col("idk").is_null() | (pl.col("idk") != pl.col("idk_s"))),
        ),
    }
    staying = staying.with_columns(
        *(diff.fill_null(False).alias(f"{f}_diff") for f, (_, _, diff) in compare.items()),
        *(reg.alias(f"{f}_r") for f, (reg, _, _) in compare.items()),
        *(src.alias(f"{f}_s") for f, (_, src, _) in compare.items()),
    )
    fixes = staying.filter(pl.any_horizontal(pl.col(f"{f}_diff") for f in compare))
    if fixes.height:
        fixes = fixes.with_columns(_fields_json(fixes, list(compare)))
        out.append(
            _findings(
                fixes,
                "hukou_correction",
                pl.col("child_id").cast(pl.Utf8),
                child_id=pl.col("child_id"),
                record_id=pl.col("record_id"),
                score=pl.col("score"),
                fields=pl.col("fields"),
                reasons=pl.col("reasons"),
            )
        )

    lost = a.filter((pl.col("status") == _REGISTERED) & pl.col("region_code").is_in(villages.implode())).join(
        pairs.select(pl.col("ai").alias("idx")), on="idx", how="anti"
    )
    # _score gathers by position: give the lost files positions of their own.
    lost = lost.with_row_index("_pos")
    taken = _taken(lost.with_columns(pl.col("_pos").alias("idx")), b, names, threshold, household)
    lost = lost.join(taken.rename({"idx": "_pos"}), on="_pos", how="left")
    out.append(
        _findings(
            lost,
            "hukou_not_found",
            pl.col("child_id").cast(pl.Utf8),
            child_id=pl.col("child_id"),
            record_id=pl.col("taken"),
            reasons=pl.concat_list(
                pl.lit("no_match"), pl.when(pl.col("taken").is_not_null()).then(pl.lit("record_taken"))
            ).list.drop_nulls(),
        )
    )

    adults = b.filter(
        pl.col("grp").is_not_null() & pl.col("hh").is_not_null() & pl.col("normal") & (pl.col("age") >= 18)
    )
    homes = adults.group_by("hh", "grp").agg(pl.len().alias("n"), pl.col("away").sum().alias("n_away"))
    kids = b.filter(pl.col("normal") & pl.col("age").is_between(0, age_limit - 1) & pl.col("pgrp").is_not_null()).join(
        pairs.select(pl.col("bi").alias("idx")), on="idx", how="anti"
    )
    omitted = kids.join(homes, left_on=["hh", "pgrp"], right_on=["hh", "grp"]).filter(
        (pl.col("n") >= 1) & (pl.col("n_away") == pl.col("n"))
    )
    omitted = omitted.with_columns(_hashed_key(omitted))
    out.append(
        _findings(
            omitted,
            "hukou_omission",
            pl.col("hk"),
            record_id=pl.col("record_id"),
            reasons=pl.lit(["under_age", "parents_away", "no_match"], pl.List(pl.Utf8)),
        )
    )
    registered = a.filter(pl.col("status") == _REGISTERED).select("region_code").unique()
    gaps = (
        omitted.group_by("region_code")
        .len("n")
        .join(registered, on="region_code", how="anti")
        .with_columns(pl.concat_str(pl.lit('{"children": [0, '), pl.col("n"), pl.lit("]}")).alias("fields"))
    )
    out.append(
        _findings(
            gaps,
            "hukou_village_gap",
            pl.col("region_code"),
            fields=pl.col("fields"),
            reasons=pl.lit(["omission_candidates"], pl.List(pl.Utf8)),
        )
    )
    return pl.concat(out).sort("kind", "region_code", "key")


def _prefixes(codes: pl.Series) -> list[str]:
    """Region codes trimmed of trailing all-zero levels: a township's code covers its villages."""
    out = set()
    for code in codes.drop_nulls().unique().to_list():
        code = code.strip()
        while len(code) > 6 and code.endswith("000"):
            code = code[:-3]
        if code:
            out.add(code)
    return sorted(out)


def reconcile_school(
    registry: pl.DataFrame,
    students: pl.DataFrame,
    *,
    today: date,
    age_limit: int = 16,
    covered_prefixes: Sequence[str] | None = None,
    threshold: float = THRESHOLD,
    stats: dict[str, int] | None = None,
) -> pl.DataFrame:
    """Discrepancies between the registry and a 学籍 extract (:data:`DISCREPANCY_SCHEMA`).

    school_update (school, grade or boarding differ) and school_dropout (dropped out or suspended) for
    matched files that are not exited; school_missing for registered children aged 6 to ``age_limit - 1``
    in the covered area (``covered_prefixes``, default: the students' region codes) with no student record
    and no known reason (schooling dropped_out / not_in_school); school_omission for students flagged
    left-behind, under ``age_limit``, not matched to any file.
    """
    a, b, names, _ = _setup(registry, students, "school", today, "-")
    pairs = _pairs(a, b, names, threshold)
    if stats is not None:
        stats["matched"] = pairs.height
    out: list[pl.DataFrame] = []
    m = _joined(a, b, pairs)
    m = m.filter(pl.col("status").fill_null("") != _ACTIVE_EXIT)
    dropped = m.filter(pl.col("student_status").is_in(["dropped_out", "suspended"]))
    out.append(
        _findings(
            dropped,
            "school_dropout",
            pl.col("child_id").cast(pl.Utf8),
            child_id=pl.col("child_id"),
            record_id=pl.col("record_id"),
            score=pl.col("score"),
            reasons=pl.concat_list(pl.col("student_status"), pl.col("reasons")),
        )
    )
    enrolled = m.filter(pl.col("student_status").fill_null("enrolled") == "enrolled")
    compare = {
        "school_name": (
            pl.col("school_name"),
            pl.col("school_name_s"),
            (_text(pl.col("school_name")) != _text(pl.col("school_name_s"))) & (_text(pl.col("school_name_s")) != ""),
        ),
        "grade": (
            pl.col("grade"),
            pl.col("grade_s"),
            (_text(pl.col("grade")) != _text(pl.col("grade_s"))) & (_text(pl.col("grade_s")) != ""),
        ),
        "is_boarding": (
            pl.col("is_boarding"),
            pl.col("is_boarding_s"),
            pl.col("is_boarding_s").is_not_null() & (pl.col("is_boarding").fill_null(False) != pl.col("is_boarding_s")),
        ),
    }
    enrolled = enrolled.with_columns(
        *(diff.fill_null(False).alias(f"{f}_diff") for f, (_, _, diff) in compare.items()),
        *(reg.alias(f"{f}_r") for f, (reg, _, _) in compare.items()),
        *(src.alias(f"{f}_s") for f, (_, src, _) in compare.items()),
    )
    updates = enrolled.filter(pl.any_horizontal(pl.col(f"{f}_diff") for f in compare))
    if updates.height:
        updates = updates.with_columns(_fields_json(updates, list(compare)))
        out.append(
            _findings(
                updates,
                "school_update",
                pl.col("child_id").cast(pl.Utf8),
                child_id=pl.col("child_id"),
                record_id=pl.col("record_id"),
                score=pl.col("score"),
                fields=pl.col("fields"),
                reasons=pl.col("reasons"),
            )
        )
    prefixes = list(covered_prefixes) if covered_prefixes is not None else _prefixes(b["region_code"])
    covered = pl.any_horizontal(
        [pl.col("region_code").fill_null("").str.starts_with(p) for p in prefixes] or [pl.lit(False)]
    )
    missing = a.filter(
        (pl.col("status") == _REGISTERED)
        & _age(pl.col("_birth"), today).is_between(6, age_limit - 1)
        & ~pl.col("schooling").fill_null("").is_in(["dropped_out", "not_in_school"])
        & covered
    ).join(pairs.select(pl.col("ai").alias("idx")), on="idx", how="anti")
    out.append(
        _findings(
            missing,
            "school_missing",
            pl.col("child_id").cast(pl.Utf8),
            child_id=pl.col("child_id"),
            reasons=pl.lit(["school_age", "no_match"], pl.List(pl.Utf8)),
        )
    )
    flagged = b.filter(
        pl.col("flagged_left_behind").fill_null(False)
        & ~pl.col("student_status").fill_null("enrolled").is_in(["graduated", "transferred"])
        & (_age(pl.col("_birth"), today) < age_limit).fill_null(True)
    ).join(pairs.select(pl.col("bi").alias("idx")), on="idx", how="anti")
    flagged = flagged.with_columns(_hashed_key(flagged))
    out.append(
        _findings(
            flagged,
            "school_omission",
            pl.col("hk"),
            record_id=pl.col("record_id"),
            reasons=pl.lit(["flagged_left_behind", "no_match"], pl.List(pl.Utf8)),
        )
    )
    return pl.concat(out).sort("kind", "region_code", "key")


def registry_duplicates(registry: pl.DataFrame, *, threshold: float = THRESHOLD) -> pl.DataFrame:
    """Pairs of registry files (not exited) that are probably the same child (:data:`DISCREPANCY_SCHEMA`).

    Same ID number, or a fuzzy pair as in :func:`match` (the parents' names on both files count instead of
    the household). Groups are closed transitively: each member is paired with the group's lowest id.
    """
    reg = _conform(registry, REGISTRY_SCHEMA, ["child_id", "name", "birth_date"])
    reg = reg.filter(pl.col("status").fill_null("") != _ACTIVE_EXIT).sort("child_id")
    reg = _with_names(reg, parents=True)
    names = _Names([reg["_name"], reg["_fa"], reg["_mo"]])
    a = _prepare(reg, names, parents=True)
    same_id = a.select("idx", "idk").drop_nulls()
    same_id = same_id.join(same_id, on="idk", suffix="_b").filter(pl.col("idx") < pl.col("idx_b"))
    pairs = pl.concat(
        [same_id.select(pl.col("idx").alias("ai"), pl.col("idx_b").alias("bi")), _candidates(a, None, names)]
    )
    scored = _score(pairs.unique(), a, a, names).with_columns(pl.lit(False).alias("uq"))
    edges = scored.filter((pl.col("points") >= threshold * 10) | (pl.col("idc") == 1))
    if edges.is_empty():
        return _empty()
    # Connected components by label propagation (groups are tiny).
    label = pl.concat([edges["ai"], edges["bi"]]).unique().to_frame("n").with_columns(pl.col("n").alias("root"))
    while True:
        links = pl.concat(
            [
                edges.select(pl.col("ai").alias("n"), pl.col("bi").alias("m")),
                edges.select(pl.col("bi").alias("n"), pl.col("ai").alias("m")),
            ]
        )
        proposals = links.join(label.rename({"n": "m", "root": "r"}), on="m").group_by("n").agg(pl.col("r").min())
        updated = label.join(proposals, on="n", how="left").with_columns(pl.min_horizontal("root", "r").alias("new"))
        if (updated["new"] == updated["root"]).all():
            break
        label = updated.select("n", pl.col("new").alias("root"))
    edges = edges.with_columns(_reasons().alias("reasons"))
    both_ways = pl.concat(
        [
            edges.select("ai", "bi", "points", "reasons"),
            edges.select(ai="bi", bi="ai", points="points", reasons="reasons"),
        ]
    )
    members = label.filter(pl.col("n") != pl.col("root"))
    direct = members.join(both_ways, left_on=["root", "n"], right_on=["ai", "bi"], how="left")
    best = (
        both_ways.sort("points", descending=True)
        .unique("bi", keep="first")
        .select(pl.col("bi").alias("n"), pl.col("points").alias("p2"), pl.col("reasons").alias("r2"))
    )
    rows = direct.join(best, on="n", how="left").with_columns(
        pl.coalesce("points", "p2").alias("points"),
        pl.when(pl.col("points").is_not_null())
        .then(pl.col("reasons"))
        .otherwise(pl.col("r2").list.concat(pl.lit(["same_group"])))
        .alias("reasons"),
    )
    rows = rows.with_columns(
        child_id=a["child_id"].gather(rows["root"]),
        other_child_id=a["child_id"].gather(rows["n"]),
        region_code=a["region_code"].gather(rows["root"]),
    )
    out = _findings(
        rows,
        "duplicate",
        pl.concat_str(pl.col("child_id"), pl.col("other_child_id"), separator=":"),
        child_id=pl.col("child_id"),
        other_child_id=pl.col("other_child_id"),
        score=(pl.col("points") / 10).clip(0.0, 1.0).round(3),
        reasons=pl.col("reasons"),
    )
    return out.sort("region_code", "child_id", "other_child_id")
