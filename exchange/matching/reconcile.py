"""Reconciliation: findings from the pairs (:data:`DISCREPANCY_SCHEMA` rows).

:func:`reconcile_hukou` and :func:`reconcile_school` compare the registry with a 户籍 or 学籍 extract;
:func:`registry_duplicates` finds files of the same child. The helpers below build the finding rows,
their keys (no personal data in clear) and their ``fields`` JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date

import polars as pl

from exchange.matching.ids import _clean_id
from exchange.matching.names import _Names, _with_names
from exchange.matching.pairs import THRESHOLD, _candidates, _pairs, _reasons, _score, _taken
from exchange.matching.prepare import _age, _prepare, _setup
from exchange.matching.schemas import DISCREPANCY_SCHEMA, REGISTRY_SCHEMA, _conform

_ACTIVE_EXIT = "exited"
_REGISTERED = "registered"
_EXIT_STATUSES = ("moved_out", "deceased", "cancelled")


def _text(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null("").str.normalize("NFKC").str.replace_all(r"\s+", "")


def _sha(value: str) -> str:
    return hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()[:24]


def _joined(a: pl.DataFrame, b: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Matched pairs with the registry columns and the source columns (suffix ``_s`` on clashes)."""
    return pairs.join(a.rename({"idx": "ai"}), on="ai").join(b.rename({"idx": "bi"}), on="bi", suffix="_s")


# --- Findings ------------------------------------------------------------------------------------


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


# --- Public API ----------------------------------------------------------------------------------


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
