"""Citizen ID numbers (GB 11643): cleaning, the MOD 11-2 check and near misses.

A wrong digit or an adjacent swap breaks the check character, so for each invalid number the (at most
35) valid numbers it could have been are computed and joined (:func:`_id_near_pairs`);
:func:`_id_near` says how two different numbers relate. :func:`_digit` (the k-th digit of a number) is
also used on birth dates.
"""

from __future__ import annotations

import polars as pl

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _clean_id(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_uppercase().str.replace_all(r"\s+", "")


def _id_checksum(d17: pl.Expr) -> pl.Expr:
    total = pl.sum_horizontal([(d17 // 10 ** (16 - k)) % 10 * w for k, w in enumerate(_ID_WEIGHTS)])
    return (12 - total % 11) % 11


def _digit(x: pl.Expr, k: int, width: int) -> pl.Expr:
    return (x // 10 ** (width - 1 - k)) % 10


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
