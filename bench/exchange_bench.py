# ruff: noqa: E402  (Django is set up before the app's modules are imported)
"""The exchange benchmark: 户籍 imports, reconciliation at 1,000,000 rows, and splink, with known truth.

Run by ``make bench-exchange`` through ``scripts/bench_exchange.sh``, which calls the parts below in
separate processes and puts their results (JSON) in ``$BENCH_OUT``:

``import``
    On the database of ``DATABASE_URL`` (a fresh SQLite file, then a throwaway PostgreSQL cluster):
    migrate, load the region tables, write a synthetic 户籍 CSV of ``BENCH_IMPORT_ROWS`` rows (200,000;
    the same file for both databases, ``bench/exchange_gen.py``), then time, interleaved,
    ``BENCH_IMPORT_RUNS`` (3) runs of each of:

    * **the app**: ``exchange.pipeline.import_rows(batch)``, what the worker does before matching:
      read the uploaded file from storage, parse it (``parsing.read_table``), type and check every
      row (``validation.validate``, with ``RegionIndex.build``), store the rejected rows
      (``RowError``) and stage the valid ones (``loading.stage``: ``COPY`` on PostgreSQL,
      ``executemany`` on SQLite), with its progress updates on the batch row;
    * **the floor**: on PostgreSQL, ``COPY`` of the same file (the bytes as they are, ``HEADER``,
      ``FORCE_NOT_NULL`` for text) into ``bench_raw_hukou``, created ``LIKE exchange_hukourecord
      INCLUDING ALL``: the same columns, indexes and constraints (the staging table keeps no
      database foreign key to its batch, so neither does the copy); on
      SQLite, ``csv.reader`` and ``executemany`` into a copy of the table's DDL and indexes.

    The staging tables are emptied before every run. One more run of the app is split into its
    phases (``read_table``, ``validate``, ``stage``) to show where the time goes. Last,
    django-import-export: a ``ModelResource`` for ``HukouRecord`` with its defaults (one
    ``import_data`` call, ``dry_run=False``; row by row, in a transaction), on the first
    ``BENCH_IE_ROWS`` (20,000) rows of the same file, because it is too slow for all of them.
``match``
    ``match-gen`` builds the 户籍 extract (``BENCH_MATCH_ROWS`` = 1,000,000 people) and the registry
    (``BENCH_REGISTRY_ROWS``, the same number of children) in memory with the generator, as the
    frames ``exchange.frames`` would give (not through the database), and saves them as Parquet;
    then ``match-run``, in a fresh process, times ``matching.reconcile_hukou``, ``matching.match``
    and ``matching.registry_duplicates`` (what ``pipeline.reconcile`` calls), takes the process's peak
    memory (``ru_maxrss``), and scores the duplicates and omission candidates against the truth.
``splink``
    See ``bench/exchange_splink.py``.
``report``
    Prints the table and writes ``docs/exchange-benchmarks.md`` (between its figure markers).

It refuses a database that already holds import batches. It prints no personal data: only counts
and times. It always exits 0 when the measurements ran (a measurement, not a test).
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ["DEBUG"] = "false"

import django

django.setup()

import csv
import io
import json
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from bench import exchange_gen as gen

BASE_DIR = Path(settings.BASE_DIR)
COUNTY_CODE = "350303000000"
DOC = BASE_DIR / "docs" / "exchange-benchmarks.md"
FIGURES_START = "<!-- figures: written by make bench-exchange -->"
FIGURES_END = "<!-- end of figures -->"

GOAL_PG_ROWS_S = 30_000
GOAL_SQLITE_ROWS_S = 15_000
GOAL_COPY_RATIO = 2.0
GOAL_IE_FACTOR = 50.0
GOAL_MATCH_S = 120.0
GOAL_MATCH_GIB = 4.0
GOAL_QUALITY = 0.99

TEXT_COLUMNS = [
    "household_no",
    "name",
    "id_number",
    "gender",
    "ethnicity",
    "relation",
    "region_code",
    "nature",
    "person_status",
    "residence",
    "phone",
]
# The CSV's columns (gen.HUKOU_HEADERS, in order) as the staging table's columns, for the raw loads.
RAW_COLUMNS = [
    "household_no",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "ethnicity",
    "relation",
    "region_code",
    "nature",
    "person_status",
    "change_date",
    "residence",
    "phone",
]


# --- Small helpers ----------------------------------------------------------------------------------------


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def out_dir() -> Path:
    path = Path(os.environ.get("BENCH_OUT") or Path(tempfile.gettempdir()) / "shouhu-bench-exchange")
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mib() -> float:
    import psutil  # type: ignore[import-untyped]

    return float(psutil.Process().memory_info().rss) / 1024 / 1024


def machine() -> dict[str, Any]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
                break
    except OSError:
        pass
    return {
        "cpus": cpus,
        "cpu": model or platform.processor() or "?",
        "memory": memory or "?",
        "python": platform.python_version(),
        "django": django.get_version(),
        "polars": pl.__version__,
        "platform": platform.platform(),
    }


def database_label() -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    return f"PostgreSQL {str(row[0]).split()[0] if row else '?'}"


def save(name: str, payload: dict[str, Any]) -> None:
    (out_dir() / name).write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


# --- The 户籍 file -----------------------------------------------------------------------------------------


def hukou_csv(rows: int, seed: int, encoding: str, today: date) -> Path:
    """The benchmark's 户籍 file, generated once per run directory and shared by both databases."""
    path = out_dir() / f"hukou-{rows}-{seed}-{encoding}.csv"
    if not path.exists():
        started = time.perf_counter()
        data = gen.generate(hukou_persons=rows, seed=seed, today=today)
        partial = path.with_suffix(".part")
        written = gen.write_hukou_csv(data, partial, encoding=encoding, seed=seed)
        partial.rename(path)
        print(
            f"Wrote a 户籍 CSV of {written:,} rows ({path.stat().st_size / 1e6:.1f} MB, {encoding}) "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return path


# --- The import benchmark ---------------------------------------------------------------------------------


def prepare_database() -> Any:
    from accounts.models import User
    from accounts.roles import Role
    from exchange.models import ImportBatch

    call_command("migrate", interactive=False, verbosity=0)
    if ImportBatch.objects.exists():
        raise SystemExit("The benchmark needs an empty database: this one already holds import batches.")
    with redirect_stdout(io.StringIO()):
        data = BASE_DIR / "regions" / "data"
        call_command("load_regions", str(data / "china-counties-2024.csv"), release="国家统计局 2024")
        call_command("load_regions", str(data / "hanjiang-350303-villages-2020.csv"), release="国家统计局 2020")
    user, _ = User.objects.get_or_create(
        username="bench-exchange", defaults={"name": "benchmark", "role": Role.SYSTEM_ADMIN}
    )
    return user


def new_batch(user: Any, content: bytes, name: str) -> Any:
    from exchange.models import ImportBatch, SourceKind

    batch = ImportBatch(
        kind=SourceKind.HUKOU,
        region_code=COUNTY_CODE,
        original_name=name,
        size=len(content),
        created_by=user,
    )
    batch.file.save(name, ContentFile(content), save=False)
    batch.save()
    return batch


def empty_tables(*tables: str) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {connection.ops.quote_name(table)} CASCADE")
            else:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608


def count_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def make_raw_table(batch_id: int) -> int:
    """``bench_raw_hukou``: the staging table's columns, indexes and constraints; returns its index count."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TABLE IF EXISTS bench_raw_hukou")
            cursor.execute("DROP SEQUENCE IF EXISTS bench_raw_row")
            cursor.execute("CREATE TABLE bench_raw_hukou (LIKE exchange_hukourecord INCLUDING ALL)")
            cursor.execute("CREATE SEQUENCE bench_raw_row START 2")
            cursor.execute(
                f"ALTER TABLE bench_raw_hukou ALTER COLUMN batch_id SET DEFAULT {int(batch_id)}, "
                "ALTER COLUMN row_no SET DEFAULT nextval('bench_raw_row'), "
                "ALTER COLUMN address SET DEFAULT '', ALTER COLUMN residence_code SET DEFAULT ''"
            )
            cursor.execute("SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'bench_raw_hukou'")
            raw = cursor.fetchone()
            cursor.execute("SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'exchange_hukourecord'")
            app = cursor.fetchone()
        else:
            cursor.execute("DROP TABLE IF EXISTS bench_raw_hukou")
            cursor.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'exchange_hukourecord'")
            ddl = cursor.fetchall()
            for kind, name, sql in sorted(ddl, key=lambda row: row[0] != "table"):
                if not sql:
                    continue  # automatic indexes come with the table
                sql = sql.replace('"exchange_hukourecord"', '"bench_raw_hukou"')
                if kind == "index":
                    sql = sql.replace(f'"{name}"', f'"bench_raw_{name}"', 1)
                cursor.execute(sql)
            cursor.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bench_raw_hukou'")
            raw = cursor.fetchone()
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'exchange_hukourecord'"
            )
            app = cursor.fetchone()
    if not raw or not app or raw[0] != app[0]:
        raise SystemExit(f"bench_raw_hukou has {raw} indexes, exchange_hukourecord {app}")
    return int(raw[0])


def raw_copy(path: Path, encoding: str) -> int:
    """PostgreSQL: the file's bytes straight into ``COPY … FROM STDIN``; returns the rows loaded."""
    pg_encoding = "GBK" if encoding.lower() in ("gbk", "gb18030") else "UTF8"
    columns = ", ".join(RAW_COLUMNS)
    not_null = ", ".join(TEXT_COLUMNS)
    sql = (
        f"COPY bench_raw_hukou ({columns}) FROM STDIN WITH "
        f"(FORMAT csv, HEADER true, ENCODING '{pg_encoding}', FORCE_NOT_NULL ({not_null}))"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        content = path.read_bytes()
        with cursor.copy(sql) as copy:
            for offset in range(0, len(content), 1 << 20):
                copy.write(content[offset : offset + (1 << 20)])
        return int(cursor.rowcount)


def raw_executemany(path: Path, encoding: str, batch_id: int) -> int:
    """SQLite: ``csv.reader`` rows as they are, with ``executemany`` in chunks of 50,000."""
    columns = ["batch_id", "row_no", *RAW_COLUMNS, "address", "residence_code"]
    sql = (
        f"INSERT INTO bench_raw_hukou ({', '.join(columns)}) "  # noqa: S608 (fixed identifiers)
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    n = 0
    with transaction.atomic(), connection.cursor() as cursor, path.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        chunk: list[tuple[Any, ...]] = []
        for number, row in enumerate(reader, start=2):
            chunk.append(
                (batch_id, number, *[value or None if i in (4, 10) else value for i, value in enumerate(row)], "", "")
            )
            if len(chunk) == 50_000:
                cursor.executemany(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            n += len(chunk)
    return n


def import_phases(user: Any, content: bytes) -> dict[str, float]:
    """One more run of the app, its phases timed one by one."""
    from exchange.loading import stage
    from exchange.parsing import read_table
    from exchange.pipeline import county_prefix
    from exchange.validation import RegionIndex, validate

    batch = new_batch(user, content, "hukou.csv")
    phases: dict[str, float] = {}
    seconds, table = timed(lambda: read_table(content, kind="hukou", filename="hukou.csv", encoding="auto"))
    phases["read_table"] = seconds
    seconds, regions = timed(lambda: RegionIndex.build(county_prefix(COUNTY_CODE)))
    phases["RegionIndex.build"] = seconds
    seconds, checked = timed(
        lambda: validate("hukou", table, regions=regions, today=timezone.localdate(), batch_prefix="350303")
    )
    phases["validate"] = seconds

    def load() -> int:
        with transaction.atomic():
            return stage(batch, checked.valid)

    seconds, staged = timed(load)
    phases["stage"] = seconds
    phases["rows_valid"] = staged
    phases["rows_rejected"] = checked.errors.get_column("_row").n_unique() if checked.errors.height else 0
    return phases


def import_export_run(path: Path, encoding: str, user: Any, rows: int) -> dict[str, Any]:
    """django-import-export with its defaults on the first ``rows`` rows of the same file."""
    import tablib  # type: ignore[import-untyped]
    from import_export import fields, resources  # type: ignore[import-untyped]

    from exchange.models import HukouRecord

    with path.open(encoding=encoding, newline="") as f:
        lines = [line for _, line in zip(range(rows + 1), f, strict=False)]
    text = "".join(lines)
    batch = new_batch(user, text.encode(encoding), "hukou-import-export.csv")
    counter = iter(range(2, rows + 3))

    labels = dict(zip(RAW_COLUMNS, gen.HUKOU_HEADERS, strict=True))

    class HukouResource(resources.ModelResource):  # type: ignore[misc]
        household_no = fields.Field(attribute="household_no", column_name=labels["household_no"])
        name = fields.Field(attribute="name", column_name=labels["name"])
        id_number = fields.Field(attribute="id_number", column_name=labels["id_number"])
        gender = fields.Field(attribute="gender", column_name=labels["gender"])
        birth_date = fields.Field(
            attribute="birth_date", column_name=labels["birth_date"], widget=resources.widgets.DateWidget()
        )
        ethnicity = fields.Field(attribute="ethnicity", column_name=labels["ethnicity"])
        relation = fields.Field(attribute="relation", column_name=labels["relation"])
        region_code = fields.Field(attribute="region_code", column_name=labels["region_code"])
        nature = fields.Field(attribute="nature", column_name=labels["nature"])
        person_status = fields.Field(attribute="person_status", column_name=labels["person_status"])
        change_date = fields.Field(
            attribute="change_date", column_name=labels["change_date"], widget=resources.widgets.DateWidget()
        )
        residence = fields.Field(attribute="residence", column_name=labels["residence"])
        phone = fields.Field(attribute="phone", column_name=labels["phone"])

        class Meta:
            model = HukouRecord
            fields = ("id", *RAW_COLUMNS)

        def init_instance(self, row: Any = None) -> HukouRecord:
            # The batch and the row number are not columns of the file.
            return HukouRecord(batch=batch, row_no=next(counter))

    def run() -> Any:
        dataset = tablib.Dataset().load(text, format="csv")
        return HukouResource().import_data(dataset, dry_run=False)

    seconds, result = timed(run)
    loaded = HukouRecord.objects.filter(batch=batch).count()
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_loaded": loaded,
        "errors": bool(result.has_errors() or result.has_validation_errors()),
        "rows_per_s": rows / seconds,
    }


def cmd_import() -> None:
    from exchange.models import HukouRecord
    from exchange.pipeline import import_rows

    if os.environ.get("BENCH") != "1" or not os.environ.get("DATABASE_URL"):
        raise SystemExit("Run through scripts/bench_exchange.sh: it needs BENCH=1 and a throwaway DATABASE_URL.")
    rows = env_int("BENCH_IMPORT_ROWS", 200_000)
    runs = env_int("BENCH_IMPORT_RUNS", 3)
    ie_rows = min(rows, env_int("BENCH_IE_ROWS", 20_000))
    seed = env_int("BENCH_SEED", 2026)
    encoding = os.environ.get("BENCH_IMPORT_ENCODING", "utf-8")
    db = database_label()
    print(f"== Import on {db}, {time.strftime('%Y-%m-%d %H:%M %Z')}; load average {load_average()} ==", flush=True)
    started = time.perf_counter()
    user = prepare_database()
    print(f"Migrated and loaded the region tables in {time.perf_counter() - started:.0f} s", flush=True)
    path = hukou_csv(rows, seed, encoding, timezone.localdate())
    content = path.read_bytes()
    staging = HukouRecord._meta.db_table
    holder = new_batch(user, b"-", "raw.csv")  # the raw table's rows need a batch to refer to
    indexes = make_raw_table(holder.pk)
    baseline = "COPY" if connection.vendor == "postgresql" else "executemany"

    app: list[float] = []
    raw: list[float] = []
    outcome: dict[str, int] = {}
    for run in range(1, runs + 1):
        empty_tables(staging, "bench_raw_hukou")
        batch = new_batch(user, content, path.name)
        seconds, result = timed(lambda: import_rows(batch))  # noqa: B023 (called at once)
        app.append(seconds)
        outcome = {
            "rows_total": result.rows_total,
            "rows_valid": result.rows_valid,
            "rows_rejected": result.rows_rejected,
        }
        if count_rows(staging) != result.rows_valid:
            raise SystemExit("the staging table does not hold the valid rows")
        empty_tables(staging, "bench_raw_hukou")
        if connection.vendor == "postgresql":
            seconds, loaded = timed(lambda: raw_copy(path, encoding))
        else:
            seconds, loaded = timed(lambda: raw_executemany(path, encoding, holder.pk))
        raw.append(seconds)
        if loaded != rows:
            raise SystemExit(f"the raw load gave {loaded} rows, not {rows}")
        print(
            f"  run {run}: import_rows {app[-1]:.2f} s ({rows / app[-1]:,.0f} rows/s, {outcome['rows_valid']:,} valid, "
            f"{outcome['rows_rejected']:,} rejected); raw {baseline} {raw[-1]:.2f} s ({rows / raw[-1]:,.0f} rows/s)",
            flush=True,
        )
    empty_tables(staging, "bench_raw_hukou")
    phases = import_phases(user, content)
    print("  phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items() if not k.startswith("rows")), flush=True)
    empty_tables(staging, "bench_raw_hukou")

    ie: dict[str, Any] | None = None
    if connection.vendor == "postgresql" or os.environ.get("BENCH_IE_SQLITE") == "1":
        print(f"  django-import-export on the first {ie_rows:,} rows …", flush=True)
        ie = import_export_run(path, encoding, user, ie_rows)
        print(f"  django-import-export: {ie['seconds']:.1f} s, {ie['rows_per_s']:,.0f} rows/s", flush=True)
        empty_tables(staging)

    save(
        f"import-{connection.vendor}.json",
        {
            "database": db,
            "vendor": connection.vendor,
            "rows": rows,
            "runs": runs,
            "encoding": encoding,
            "file_mb": len(content) / 1e6,
            "indexes": indexes,
            "app_seconds": app,
            "raw_seconds": raw,
            "baseline": baseline,
            "outcome": outcome,
            "phases": phases,
            "import_export": ie,
            "load_average": load_average(),
            "finished": time.strftime("%Y-%m-%d %H:%M %Z"),
        },
    )


# --- The reconciliation benchmark ------------------------------------------------------------------------


def registry_frame(data: gen.Dataset) -> pl.DataFrame:
    """The generator's registry in the schema of ``exchange.frames.registry_frame`` (no truth columns)."""
    from exchange.frames import REGISTRY_SCHEMA

    r = data.registry
    blank = pl.lit(None, dtype=pl.String)
    return r.select(
        pl.col("child_id"),
        pl.col("name"),
        pl.col("gender"),
        pl.col("birth_date"),
        pl.col("id_number").replace("", None),
        pl.col("region_code"),
        pl.col("status"),
        pl.col("is_left_behind"),
        blank.alias("schooling"),
        blank.alias("school_name"),
        blank.alias("grade"),
        pl.lit(None, dtype=pl.Boolean).alias("is_boarding"),
        pl.col("father_name"),
        pl.col("father_id").replace("", None),
        pl.col("mother_name"),
        pl.col("mother_id").replace("", None),
    ).cast(REGISTRY_SCHEMA)  # type: ignore[arg-type]


def hukou_frame(data: gen.Dataset) -> pl.DataFrame:
    """The generator's 户籍 extract in the schema of ``exchange.frames.hukou_frame``."""
    from exchange.frames import HUKOU_FIELDS

    h = data.hukou.with_columns(
        (pl.col("record_id") + 1).alias("row_no"),
        pl.lit("").alias("address"),
        pl.col("id_number").replace("", None),
    )
    return h.select([("record_id" if f == "id" else f) for f in HUKOU_FIELDS])


def cmd_match() -> None:
    """Generate the frames in one process and match them in another, so that the matching process's
    peak memory is the matcher's (and the generator's memory is returned before matching starts)."""
    work = out_dir() / "match"
    work.mkdir(exist_ok=True)
    for step in ("match-gen", "match-run"):
        subprocess.run([sys.executable, "-m", "bench.exchange_bench", step, str(work)], check=True)  # noqa: S603


def cmd_match_gen(work: Path) -> None:
    people = env_int("BENCH_MATCH_ROWS", 1_000_000)
    children = env_int("BENCH_REGISTRY_ROWS", people)
    seed = env_int("BENCH_SEED", 2026)
    today = timezone.localdate()
    print(f"== Reconciliation: {children:,} registry children against {people:,} 户籍 records ==", flush=True)
    seconds, data = timed(
        lambda: gen.generate(hukou_persons=people, registry_children=children, seed=seed, today=today)
    )
    print(f"Generated in {seconds:.0f} s: {json.dumps(data.counts)}", flush=True)
    registry_frame(data).write_parquet(work / "registry.parquet")
    hukou_frame(data).write_parquet(work / "hukou.parquet")
    pl.DataFrame(sorted(data.duplicate_pairs), schema={"a": pl.Int64, "b": pl.Int64}, orient="row").write_parquet(
        work / "truth-duplicates.parquet"
    )
    pl.DataFrame({"record_id": sorted(data.omissions)}, schema={"record_id": pl.Int64}).write_parquet(
        work / "truth-omissions.parquet"
    )
    pl.DataFrame(
        sorted(data.links.items()), schema={"child_id": pl.Int64, "record_id": pl.Int64}, orient="row"
    ).write_parquet(work / "truth-links.parquet")
    (work / "meta.json").write_text(
        json.dumps({"today": today.isoformat(), "counts": data.counts, "people": people, "children": children}),
        encoding="utf-8",
    )
    print(f"Generator process peak RSS {peak_rss_mib():,.0f} MiB", flush=True)


def quality(predicted: set[Any], truth: set[Any]) -> dict[str, float | int]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "predicted": len(predicted),
        "truth": len(truth),
        "correct": hits,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def link_quality(predicted: set[tuple[int, int]], links: dict[int, int]) -> dict[str, float | int]:
    """Links scored per 户籍 record: a record with two registry files (a duplicate) is found when either
    is linked to it, so a one-to-one matcher can reach a recall of 1."""
    correct = {record for child, record in predicted if links.get(child) == record}
    hits = sum(1 for child, record in predicted if links.get(child) == record)
    truth = set(links.values())
    precision = hits / len(predicted) if predicted else 1.0
    recall = len(correct) / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "predicted": len(predicted),
        "truth": len(truth),
        "correct": hits,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def duplicate_pairs(found: pl.DataFrame) -> set[tuple[int, int]]:
    """(lower, higher) child ids of the duplicate findings."""
    if found.height == 0:
        return set()
    other = "other_child_id" if "other_child_id" in found.columns else "other_child"
    rows = found.select(pl.col("child_id").cast(pl.Int64), pl.col(other).cast(pl.Int64)).rows()
    return {(min(a, b), max(a, b)) for a, b in rows if a is not None and b is not None}


def omission_records(found: pl.DataFrame) -> set[int]:
    if found.height == 0:
        return set()
    column = "record_id" if "record_id" in found.columns else "hukou_record_id"
    omitted = found.filter(pl.col("kind") == "hukou_omission")
    return {int(v) for v in omitted.get_column(column).drop_nulls().to_list()}


def matched_links(matched: pl.DataFrame) -> set[tuple[int, int]]:
    column = "record_id" if "record_id" in matched.columns else "source_id"
    return {(int(a), int(b)) for a, b in matched.select("child_id", column).rows() if a is not None and b is not None}


def cmd_match_run(work: Path) -> None:
    from exchange import matching

    meta = json.loads((work / "meta.json").read_text(encoding="utf-8"))
    today = date.fromisoformat(meta["today"])
    base_rss = current_rss_mib()
    registry = pl.read_parquet(work / "registry.parquet")
    hukou = pl.read_parquet(work / "hukou.parquet")
    frames_rss = current_rss_mib()
    print(
        f"Frames loaded: registry {registry.height:,} rows ({registry.estimated_size('mb'):.0f} MB), 户籍 "
        f"{hukou.height:,} rows ({hukou.estimated_size('mb'):.0f} MB); process RSS {frames_rss:.0f} MiB "
        f"(before loading {base_rss:.0f} MiB); load average {load_average()}",
        flush=True,
    )
    limit = settings.LEFT_BEHIND_AGE_LIMIT
    timings: dict[str, float] = {}
    peaks: dict[str, float] = {}
    started = time.perf_counter()
    seconds, found = timed(
        lambda: matching.reconcile_hukou(registry, hukou, today=today, county_prefix="350303", age_limit=limit)
    )
    timings["reconcile_hukou"] = seconds
    peaks["reconcile_hukou"] = peak_rss_mib()
    seconds, matched = timed(lambda: matching.match(registry, hukou))
    timings["match"] = seconds
    peaks["match"] = peak_rss_mib()
    seconds, duplicates = timed(lambda: matching.registry_duplicates(registry))
    timings["registry_duplicates"] = seconds
    peaks["registry_duplicates"] = peak_rss_mib()
    total = time.perf_counter() - started
    peak = peak_rss_mib()
    print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + f"; peak RSS {peak:,.0f} MiB", flush=True)

    truth_dups = {(a, b) for a, b in pl.read_parquet(work / "truth-duplicates.parquet").rows()}
    truth_omissions = set(pl.read_parquet(work / "truth-omissions.parquet").get_column("record_id").to_list())
    truth_links = dict(pl.read_parquet(work / "truth-links.parquet").rows())
    kinds = dict(found.group_by("kind").len().iter_rows()) if found.height else {}
    result = {
        "people": hukou.height,
        "children": registry.height,
        "counts": meta["counts"],
        "timings": timings,
        "seconds": total,
        "peak_rss_mib": peak,
        "peaks": peaks,
        "frames_rss_mib": frames_rss,
        "base_rss_mib": base_rss,
        "findings": {str(k): int(v) for k, v in kinds.items()},
        "duplicates": quality(duplicate_pairs(duplicates), truth_dups),
        "omissions": quality(omission_records(found), truth_omissions),
        "links": link_quality(matched_links(matched), truth_links),
        "threads": pl.thread_pool_size(),
        "load_average": load_average(),
        "finished": time.strftime("%Y-%m-%d %H:%M %Z"),
    }
    for what in ("duplicates", "omissions", "links"):
        q = result[what]
        print(
            f"  {what}: predicted {q['predicted']:,}, truth {q['truth']:,}, precision {q['precision']:.4f}, "
            f"recall {q['recall']:.4f}",
            flush=True,
        )
    save("match.json", result)


# --- Report -------------------------------------------------------------------------------------------------


def _load(directory: Path, name: str) -> dict[str, Any] | None:
    path = directory / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _yes(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def _size_note(actual: int, goal: int) -> str:
    return "" if actual == goal else f" (measured at {actual:,}, the goal is for {goal:,})"


def report_lines(directory: Path) -> tuple[list[str], list[str]]:
    """The Markdown figures and the GOAL MISSED lines, from the JSON results of the parts that ran."""
    sqlite = _load(directory, "import-sqlite.json")
    pg = _load(directory, "import-postgresql.json")
    match = _load(directory, "match.json")
    splink = _load(directory, "splink.json")
    info = machine()
    started = float(os.environ.get("BENCH_STARTED", "0") or 0)
    lines: list[str] = []
    goals: list[tuple[str, str, bool]] = []
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    lines.append(f"## Results, {when}")
    lines.append("")
    command = os.environ.get("BENCH_COMMAND", "make bench-exchange")
    took = f"; the whole run took {(time.time() - started) / 60:.0f} min" if started else ""
    lines.append(f"* Command: `{command}` in `{BASE_DIR}`{took}.")
    lines.append(
        f"* Machine: {info['cpus']} CPU cores available (nproc), {info['cpu']}, {info['memory']}; "
        f"{info['platform']}. Python {info['python']}, Django {info['django']}, polars {info['polars']}"
        + (f", splink {splink['versions']['splink']}, DuckDB {splink['versions']['duckdb']}" if splink else "")
        + "."
    )
    loads = [
        f"{label} {part['load_average']}"
        for label, part in (
            ("SQLite import", sqlite),
            ("PostgreSQL import", pg),
            ("matching", match),
            ("splink", splink),
        )
        if part
    ]
    lines.append(
        "* Load average (1, 5, 15 min) at the end of each part: "
        + "; ".join(loads)
        + f". With {info['cpus']} cores, a load above {info['cpus']} means the benchmark shared the machine: "
        "other work skews these timings."
    )
    lines.append("")

    imports = [(label, part) for label, part in (("SQLite", sqlite), ("PostgreSQL", pg)) if part]
    if imports:
        first = imports[0][1]
        lines.append(
            f"### Import of a 户籍 CSV: {first['rows']:,} rows, {first['file_mb']:.1f} MB, {first['encoding']}"
        )
        lines.append("")
        lines.append(
            f"Median and best of {first['runs']} interleaved runs; rows/s = rows in the file ÷ median time. "
            f"Of the rows, {first['outcome'].get('rows_valid', 0):,} are valid and "
            f"{first['outcome'].get('rows_rejected', 0):,} rejected (with a reason each)."
        )
        lines.append("")
        lines.append("| database | what | rows | median s | best s | rows/s | |")
        lines.append("|---|---|--:|--:|--:|--:|---|")
        for label, part in imports:
            rows = part["rows"]
            app = statistics.median(part["app_seconds"])
            raw = statistics.median(part["raw_seconds"])
            lines.append(
                f"| {part['database']} | app: `pipeline.import_rows` | {rows:,} | {app:.2f} | "
                f"{min(part['app_seconds']):.2f} | {rows / app:,.0f} | |"
            )
            floor = (
                "raw `COPY` into an equally indexed table"
                if part["baseline"] == "COPY"
                else ("raw `executemany` into an equally indexed table")
            )
            lines.append(
                f"| {part['database']} | {floor} | {rows:,} | {raw:.2f} | {min(part['raw_seconds']):.2f} | "
                f"{rows / raw:,.0f} | app takes {app / raw:.2f}x |"
            )
            ie = part.get("import_export")
            if ie:
                lines.append(
                    f"| {part['database']} | django-import-export, defaults | {ie['rows']:,} (first rows only) | "
                    f"{ie['seconds']:.2f} | | {ie['rows_per_s']:,.0f} | app is {rows / app / ie['rows_per_s']:.0f}x "
                    f"faster |"
                )
            target = GOAL_PG_ROWS_S if part["vendor"] == "postgresql" else GOAL_SQLITE_ROWS_S
            note = _size_note(rows, 200_000)
            goals.append(
                (f"{label}: import ≥ {target:,} rows/s{note}", f"{rows / app:,.0f} rows/s", rows / app >= target)
            )
            if part["vendor"] == "postgresql":
                goals.append(
                    (
                        f"PostgreSQL: import within {GOAL_COPY_RATIO:.0f}x of raw COPY{note}",
                        f"{app / raw:.2f}x",
                        app / raw <= GOAL_COPY_RATIO,
                    )
                )
                if ie:
                    factor = rows / app / ie["rows_per_s"]
                    goals.append(
                        (
                            f"PostgreSQL: import ≥ {GOAL_IE_FACTOR:.0f}x django-import-export "
                            f"(its rate on {ie['rows']:,} rows)",
                            f"{factor:.0f}x",
                            factor >= GOAL_IE_FACTOR,
                        )
                    )
        lines.append("")
        lines.append("Where the app's time goes (one more run, phase by phase, seconds):")
        lines.append("")
        names = [k for k in imports[0][1]["phases"] if not k.startswith("rows")]
        lines.append("| database | " + " | ".join(f"`{k}`" for k in names) + " |")
        lines.append("|---|" + "--:|" * len(names))
        for _label, part in imports:
            lines.append(
                f"| {part['database']} | " + " | ".join(f"{part['phases'].get(k, 0):.2f}" for k in names) + " |"
            )
        lines.append("")

    if match:
        t = match["timings"]
        gib = match["peak_rss_mib"] / 1024
        lines.append(
            f"### Reconciliation: {match['children']:,} registry children against {match['people']:,} 户籍 records"
        )
        lines.append("")
        lines.append(
            f"Frames built in memory by the generator (not read from the database); polars on "
            f"{match['threads']} threads. Peak memory is the matching process's `ru_maxrss` "
            f"({match['base_rss_mib']:.0f} MiB after start-up and imports, {match['frames_rss_mib']:.0f} MiB with "
            f"both frames loaded)."
        )
        lines.append("")
        lines.append("| step | seconds | peak RSS after it |")
        lines.append("|---|--:|--:|")
        for step, seconds in t.items():
            lines.append(f"| `matching.{step}` | {seconds:.1f} | {match['peaks'][step] / 1024:.2f} GiB |")
        lines.append(f"| **total** | **{match['seconds']:.1f}** | **{gib:.2f} GiB** |")
        lines.append("")
        lines.append("| finding | truth | found | correct | precision | recall |")
        lines.append("|---|--:|--:|--:|--:|--:|")
        for what, label in (
            ("duplicates", "duplicate pairs (`registry_duplicates`)"),
            ("omissions", "omission candidates (`reconcile_hukou`, hukou_omission)"),
            ("links", "registry ↔ 户籍 links (`match`), per 户籍 record"),
        ):
            q = match[what]
            lines.append(
                f"| {label} | {q['truth']:,} | {q['predicted']:,} | {q['correct']:,} | {q['precision']:.4f} | "
                f"{q['recall']:.4f} |"
            )
        lines.append("")
        found = ", ".join(f"{k} {v:,}" for k, v in sorted(match["findings"].items()))
        lines.append(f"All findings of `reconcile_hukou`: {found}.")
        counts = match["counts"]
        lines.append("")
        lines.append(
            f"Generated: {counts.get('hukou_households', 0):,} households, {counts.get('hukou_minors', 0):,} minors "
            f"in 户籍, of whom {counts.get('hukou_left_behind', 0):,} left-behind; registry: "
            f"{counts.get('registry_census', 0):,} census files of these households and "
            f"{counts.get('registry_filler', 0):,} of other Putian counties; mistakes: "
            f"{counts.get('registry_wrong_id', 0):,} wrong IDs, {counts.get('registry_no_id', 0):,} without ID, "
            f"{counts.get('registry_name_typo', 0):,} name typos, {counts.get('registry_moved_village', 0):,} "
            f"moved villages, {counts.get('registry_duplicate_records', 0):,} second files; "
            f"{counts.get('twins', 0):,} twins."
        )
        lines.append("")
        note = _size_note(match["children"], 1_000_000)
        goals.append(
            (
                f"reconciliation under {GOAL_MATCH_S:.0f} s{note}",
                f"{match['seconds']:.1f} s",
                match["seconds"] < GOAL_MATCH_S,
            )
        )
        goals.append((f"reconciliation under {GOAL_MATCH_GIB:.0f} GiB{note}", f"{gib:.2f} GiB", gib < GOAL_MATCH_GIB))
        for what in ("duplicates", "omissions"):
            q = match[what]
            goals.append(
                (
                    f"{what}: precision and recall ≥ {GOAL_QUALITY}",
                    f"{q['precision']:.4f} / {q['recall']:.4f}",
                    q["precision"] >= GOAL_QUALITY and q["recall"] >= GOAL_QUALITY,
                )
            )

    if splink:
        lines.append(
            f"### Matching against splink: {splink['children']:,} registry children and {splink['people']:,} "
            f"户籍 records"
        )
        lines.append("")
        lines.append(
            f"{splink['truth_links']:,} 户籍 records have a registry file. splink: threshold "
            f"{splink['threshold']}, u estimated on {splink['u_pairs']:.0e} pairs; "
            f"{splink['splink']['pairs_above_threshold']:,} pairs above the threshold before one-to-one."
        )
        lines.append("")
        lines.append("| method | seconds | links | precision | recall | F1 |")
        lines.append("|---|--:|--:|--:|--:|--:|")
        for key, label in (("ours", "`exchange.matching.match`"), ("splink", "splink 5, DuckDB")):
            q = splink[key]
            lines.append(
                f"| {label} | {q['seconds']:.1f} | {q['predicted']:,} | {q['precision']:.4f} | {q['recall']:.4f} | "
                f"{q['f1']:.4f} |"
            )
        lines.append("")
        ours, theirs = splink["ours"], splink["splink"]
        note = _size_note(splink["people"], 50_000)
        goals.append(
            (
                f"matching: F1 ≥ splink's, in less time{note}",
                f"F1 {ours['f1']:.4f} vs {theirs['f1']:.4f}; {ours['seconds']:.1f} s vs {theirs['seconds']:.1f} s",
                ours["f1"] >= theirs["f1"] and ours["seconds"] < theirs["seconds"],
            )
        )

    lines.append("### Goals")
    lines.append("")
    lines.append("| goal | measured | met |")
    lines.append("|---|---|:-:|")
    for goal, measured, ok in goals:
        lines.append(f"| {goal} | {measured} | {_yes(ok)} |")
    missed = [f"GOAL MISSED: {goal}: {measured}" for goal, measured, ok in goals if not ok]
    return lines, missed


def report(directory: Path, *, write: bool) -> None:
    lines, missed = report_lines(directory)
    print()
    print("\n".join(lines))
    for line in missed:
        print(line)
    if not write:
        return
    figures = "\n".join([FIGURES_START, "", *lines, "", FIGURES_END])
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if FIGURES_START in text and FIGURES_END in text:
        head, rest = text.split(FIGURES_START, 1)
        tail = rest.split(FIGURES_END, 1)[1]
        text = head + figures + tail
    else:
        text = (text.rstrip() + "\n\n" if text else "# 数据交换性能测试 Exchange benchmarks\n\n") + figures + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(f"\nWrote the figures to {DOC.relative_to(BASE_DIR)}")


# --- Entry point --------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "import":
        cmd_import()
    elif command == "match":
        cmd_match()
    elif command == "match-gen":
        cmd_match_gen(Path(argv[2]))
    elif command == "match-run":
        cmd_match_run(Path(argv[2]))
    elif command == "splink":
        from bench.exchange_splink import run as splink_run

        save("splink.json", splink_run())
    elif command == "report":
        report(out_dir(), write=os.environ.get("BENCH_WRITE_DOC", "1") == "1")
    else:
        raise SystemExit("usage: python -m bench.exchange_bench import|match|splink|report")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
