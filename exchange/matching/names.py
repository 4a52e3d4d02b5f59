"""Names: cleaning, pinyin per character, homophones and look-alike characters.

:class:`_Names` holds every distinct name in play (pinyin computed once per distinct character, masked
variants for blocking) and classifies pairs of different names into the classes below
(same, homophone, look-alike, one other character, different).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import polars as pl

from registry.pinyin import SURNAMES, _alone, _heteronyms

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
# Name classes of a pair (smaller is better).
_SAME, _HOMOPHONE, _LOOKALIKE, _ONE_CHAR, _DIFF = 0, 1, 2, 3, 4
_NAME_REASONS = ("name_same", "name_homophone", "name_lookalike", "name_one_char", "name_diff")


def _clean_name(expr: pl.Expr) -> pl.Expr:
    cleaned = expr.str.normalize("NFKC").str.replace_all(r"\s+", "").str.replace_all("[•・．]", "·")
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def _with_names(frame: pl.DataFrame, parents: bool) -> pl.DataFrame:
    columns = {"_name": "name", "_fa": "father_name", "_mo": "mother_name"} if parents else {"_name": "name"}
    return frame.with_columns(_clean_name(pl.col(c)).alias(alias) for alias, c in columns.items())


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
