"""splink 5 (DuckDB) against ``exchange.matching.match`` on the same sample, scored against the truth.

Called by ``python -m bench.exchange_bench splink`` (Django is set up there). The sample is a 户籍 extract
of ``BENCH_SPLINK_ROWS`` (50,000) people in whole households and the registry of those households'
children as the census made it (with its wrong and missing IDs, name typos, moved villages and
duplicates; no filler from other counties), built by ``bench/exchange_gen.py`` with its own seed.
The task is the one ``match`` does: link each registry child to its 户籍 record. The truth is the
generator's: registry child -> 户籍 record. Scored per 户籍 record (``exchange_bench.link_quality``):
precision = correct links / links made; recall = 户籍 records linked to one of their registry files /
户籍 records that have one (a duplicated child has two files and one-to-one matching links one).

**Ours**: ``matching.match(registry, hukou, today=…, county_prefix="350303")``, one-to-one, at its
default threshold. Its time includes everything it does (pinyin of the names, blocking, scoring,
assignment).

**splink**: ``link_only`` between the registry and the 户籍 table on DuckDB, set up as splink's
documentation does it:

* inputs with the same columns on both sides: the name, its pinyin (``registry.pinyin.name_keys``,
  surname readings included: the same help our matcher gets for homophones), birth date, gender, ID
  number (null when none), village code and township code;
* blocking rules for predictions: same birth date; same name (the issue's "on birth date and on name"),
  plus same pinyin and birth year, so that homophone typos can meet too;
* comparisons: name (exact, same pinyin, Levenshtein ≤ 1 i.e. one character, else), birth date
  (exact, else), ID number (exact, Damerau-Levenshtein ≤ 1 i.e. one digit or one swap of neighbours,
  ≤ 2, else; null level), village (same village, same township, else), gender (exact, else);
* training: ``estimate_probability_two_random_records_match`` from deterministic rules (same ID;
  same name and birth date) with recall 0.9, ``estimate_u_using_random_sampling`` with splink's
  default ``max_pairs=1e6`` (``BENCH_SPLINK_U_PAIRS``; the docs suggest 1e7 and more for a final
  model, which took 158 s on a 20,000-person sample here, against 20 s for 1e6, for the same result)
  and ``seed=1``, then expectation maximisation blocked on birth date and on name;
* ``predict(threshold_match_probability=0.9)``; then, to compare like with like, each registry child
  keeps only its most probable 户籍 record (and each 户籍 record its most probable child).

splink's time includes building its input (the pinyin), training and prediction. Both run on the
same cores (DuckDB and polars each use all of them). What splink does not get: the parents' names
(our matcher compares them with the 户籍 household's parents) and the look-alike table.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import date
from typing import Any

import polars as pl
from django.utils import timezone

from bench import exchange_gen as gen


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _pinyin(names: pl.Series) -> pl.Series:
    """Toneless pinyin of each name: the surname's reading (单 shan, 曾 zeng, 欧阳 ouyang …) from
    ``registry.pinyin``, then each character's own reading, computed once per distinct character."""
    from registry.pinyin import COMPOUND_SURNAMES, SURNAMES, _alone

    chars: dict[str, str] = {}
    readings: dict[str, str] = {}
    for name in names.unique().drop_nulls().to_list():
        if name[:2] in COMPOUND_SURNAMES:
            head, rest = "".join(COMPOUND_SURNAMES[name[:2]]), name[2:]
        elif name[:1] in SURNAMES:
            head, rest = SURNAMES[name[0]], name[1:]
        else:
            head, rest = "", name
        for char in rest:
            if char not in chars:
                chars[char] = _alone(char) or char
        readings[name] = head + "".join(chars[c] for c in rest)
    return names.replace_strict(readings, default=None, return_dtype=pl.String)


def splink_input(frame: pl.DataFrame, prefix: str, id_column: str) -> pl.DataFrame:
    return frame.select(
        (pl.lit(prefix) + pl.col(id_column).cast(pl.String)).alias("unique_id"),
        pl.col("name"),
        _pinyin(frame.get_column("name")).alias("name_py"),
        pl.col("birth_date").cast(pl.String).alias("birth_date"),
        pl.col("birth_date").dt.year().cast(pl.String).alias("birth_year"),
        pl.col("gender"),
        pl.col("id_number").replace("", None),
        pl.col("region_code").alias("village"),
        pl.col("region_code").str.slice(0, 9).alias("township"),
    )


def splink_links(
    registry: pl.DataFrame, hukou: pl.DataFrame, threshold: float, u_pairs: float
) -> tuple[set[tuple[int, int]], int]:
    """splink's one-to-one links (child id, record id) and the number of pairs it scored above threshold."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    left = splink_input(registry, "r", "child_id")
    right = splink_input(hukou, "h", "record_id")
    db_api = DuckDBAPI()
    tables = [
        db_api.register(left.to_arrow(), dataset_display_name="registry"),
        db_api.register(right.to_arrow(), dataset_display_name="hukou"),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            block_on("name"),
            block_on("name_py", "birth_year"),
        ],
        comparisons=[
            cl.CustomComparison(
                output_column_name="name",
                comparison_levels=[
                    cll.NullLevel("name"),
                    cll.ExactMatchLevel("name"),
                    cll.ExactMatchLevel("name_py"),
                    cll.LevenshteinLevel("name", 1),
                    cll.ElseLevel(),
                ],
            ),
            cl.ExactMatch("birth_date"),
            cl.CustomComparison(
                output_column_name="id_number",
                comparison_levels=[
                    cll.NullLevel("id_number"),
                    cll.ExactMatchLevel("id_number"),
                    cll.DamerauLevenshteinLevel("id_number", 1),
                    cll.DamerauLevenshteinLevel("id_number", 2),
                    cll.ElseLevel(),
                ],
            ),
            cl.CustomComparison(
                output_column_name="village",
                comparison_levels=[
                    cll.NullLevel("village"),
                    cll.ExactMatchLevel("village"),
                    cll.ExactMatchLevel("township"),
                    cll.ElseLevel(),
                ],
            ),
            cl.ExactMatch("gender"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(tables, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number"), block_on("name", "birth_date")], recall=0.9
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    scored = pl.from_arrow(predictions.as_pyarrow_table())  # type: ignore[no-untyped-call]
    assert isinstance(scored, pl.DataFrame)
    above = scored.height
    if above == 0:
        return set(), 0
    # Registry on the left: unique ids start with "r" (registry) or "h" (户籍), whichever side splink put them.
    pairs = scored.select(
        pl.when(pl.col("unique_id_l").str.starts_with("r"))
        .then(pl.col("unique_id_l"))
        .otherwise(pl.col("unique_id_r"))
        .str.slice(1)
        .cast(pl.Int64)
        .alias("child_id"),
        pl.when(pl.col("unique_id_l").str.starts_with("h"))
        .then(pl.col("unique_id_l"))
        .otherwise(pl.col("unique_id_r"))
        .str.slice(1)
        .cast(pl.Int64)
        .alias("record_id"),
        pl.col("match_probability"),
    )
    best = (
        pairs.sort("match_probability", descending=True)
        .unique("child_id", keep="first", maintain_order=True)
        .unique("record_id", keep="first", maintain_order=True)
    )
    return {(int(a), int(b)) for a, b in best.select("child_id", "record_id").rows()}, above


def run() -> dict[str, Any]:
    from bench.exchange_bench import hukou_frame, link_quality, load_average, matched_links, registry_frame
    from exchange import matching

    size = env_int("BENCH_SPLINK_ROWS", 50_000)
    seed = env_int("BENCH_SEED", 2026) + 1
    threshold = float(os.environ.get("BENCH_SPLINK_THRESHOLD", "0.9"))
    u_pairs = float(os.environ.get("BENCH_SPLINK_U_PAIRS", "1e6"))
    today: date = timezone.localdate()
    print(f"== splink 5 (DuckDB) and exchange.matching.match on a {size:,}-person sample ==", flush=True)
    data = gen.generate(hukou_persons=size, seed=seed, today=today)
    registry = registry_frame(data)
    hukou = hukou_frame(data)
    truth = data.links
    print(
        f"Sample: {registry.height:,} registry children, {hukou.height:,} 户籍 records; "
        f"{len(set(truth.values())):,} 户籍 records have a registry file"
    )

    started = time.perf_counter()
    matched = matching.match(registry, hukou, today=today, county_prefix="350303")
    ours_s = time.perf_counter() - started
    ours = link_quality(matched_links(matched), truth)
    print(f"  ours: {ours_s:.1f} s, precision {ours['precision']:.4f}, recall {ours['recall']:.4f}", flush=True)

    started = time.perf_counter()
    links, above = splink_links(registry, hukou, threshold, u_pairs)
    splink_s = time.perf_counter() - started
    theirs = link_quality(links, truth)
    print(
        f"  splink: {splink_s:.1f} s, precision {theirs['precision']:.4f}, recall {theirs['recall']:.4f} "
        f"({above:,} pairs above {threshold})",
        flush=True,
    )
    import duckdb
    import splink

    return {
        "people": hukou.height,
        "children": registry.height,
        "truth_links": len(set(truth.values())),
        "threshold": threshold,
        "u_pairs": u_pairs,
        "ours": {**ours, "seconds": ours_s},
        "splink": {**theirs, "seconds": splink_s, "pairs_above_threshold": above},
        "versions": {"splink": splink.__version__, "duckdb": duckdb.__version__},
        "load_average": load_average(),
        "finished": time.strftime("%Y-%m-%d %H:%M %Z"),
    }
