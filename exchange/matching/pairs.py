"""Pairs: blocking into candidate pairs, scoring them, and the one-to-one assignment (:func:`match`).

Candidates share a blocking key (birth date, pinyin, masked name, village, parts of the birth date) or
have ID numbers one wrong digit or one adjacent swap apart; each gets points from :data:`WEIGHTS`;
pairs at or above the threshold are assigned one-to-one, best score first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from exchange.matching.ids import _digit, _id_near, _id_near_pairs
from exchange.matching.names import _DIFF, _LOOKALIKE, _NAME_REASONS, _ONE_CHAR, _SAME, _Names
from exchange.matching.prepare import _setup, _source_kind
from exchange.matching.schemas import MATCH_SCHEMA

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


_BIG_BLOCK = 50  # max rows per side of a block for the strong keys
_SMALL_BLOCK = 20  # ... and for the weak ones (same pinyin in a village, a month or a month-day)


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


# --- Public API ----------------------------------------------------------------------------------


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
