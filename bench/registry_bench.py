# ruff: noqa: E402  (Django is set up before the app's modules are imported)
"""The registry benchmark: 100,000 children, then the pages officers use most, timed.

Run by ``make bench-registry`` through ``scripts/bench_registry.sh``, once on SQLite and once on a
throwaway PostgreSQL cluster. It fills an *empty* database (``DATABASE_URL``; it refuses any other)
with Hanjiang's regions, the demo organisations and users, and 100,000 synthetic children spread
over the district's 200 villages, each with a father and a mother, an entrusted guardian (unless
the child lives alone), pinyin search keys, audit history and, for pending files, a to-do item.

Then, in process with Django's test ``Client`` (no network, no web server), it times each page
request (``time.perf_counter`` around ``client.get``) for the district administrator ``mzj``
(whole county) and the township supervisor ``dd104`` (江口镇): searches by pinyin initials and by
the last 6 characters of an ID number, lists with filters (first and later pages), and the dossier
page. For every request it also times the bare SQL of the same page in the same run: the
statements that fetch the page's data (as the ORM sends them, captured with
``connection.execute_wrapper``), executed again through a plain cursor and fetched. Last, it times
the ledger export of 10,000 rows. It prints a table and ``GOAL MISSED`` lines; it always exits 0
(a measurement, not a test).

Settings through the environment: ``BENCH_CHILDREN`` (100000), ``BENCH_REQUESTS`` (50 per scenario,
after 5 warm-up requests), ``BENCH_SEED`` (2026), ``BENCH_EXPLAIN=1`` to print the query plans of
the slowest request of each scenario.
"""

from __future__ import annotations

import os

# A measurement of the production code paths: no query logging (DEBUG), no HTTPS redirect, and the
# test client's host allowed, whatever a local .env says.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ["DEBUG"] = "false"
os.environ["SECURE_HTTPS"] = "false"
os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"

import django

django.setup()

import contextlib
import io
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import astuple, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.roles import OrgKind, Role
from core.idnumber import check_character, mask
from core.models import AuditEvent
from core.pagination import CappedPaginator
from core.scoping import get_for_user_or_404
from regions.models import Level, Region
from registry import selectors
from registry.codes import ChildStatus, LivingArrangement
from registry.demo import WORK_COUNTIES, _schooling
from registry.eligibility import ChildFacts, GuardianFacts, ParentFacts, age_on, evaluate
from registry.exports import ledger_headers, ledger_rows, ledger_xlsx, workbook_bytes
from registry.models import Child, ChildNameKey, EntrustedGuardian, FamilyMember
from registry.pinyin import name_keys
from registry.selectors import ChildFilters, children_for
from registry.services import thresholds
from registry.views import LIST_MAX_PAGES
from worklist.models import ItemKind, WorkItem

BASE_DIR = Path(settings.BASE_DIR)
COUNTY = "350303000000"
CHUNK = 5000  # children per transaction while loading
SEARCH_GOAL_MS = 100.0
RATIO_GOAL = 3.0
LEDGER_ROWS = 10_000
LEDGER_GOAL_S = 5.0
WARMUP = 5

# Putian's common surnames, roughly by frequency (林 and 陈 lead there), with a few that test the
# pinyin rules (单 read shan, 曾 read zeng, the compound 欧阳).
SURNAMES: list[tuple[str, int]] = [
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
    ("单", 3),
    ("欧阳", 2),
]
GIVEN_BOY = "明华伟杰磊涛鑫宇浩轩晨阳俊豪博文睿泽宏志强辉振航乐佳子一天"
GIVEN_GIRL = "芳婷静怡欣涵雪琳丽娜颖佳萱诗雨梦思婉晓敏秀玉蓉乐可心一子"
GIVEN_FATHER = "建国志明文华金水清荣德福"
GIVEN_MOTHER = "秀英美玲丽珍春梅淑琴"
GIVEN_ELDER = "福贵兰英金水秀珍德财"


@dataclass
class LoadReport:
    children: int = 0
    family: int = 0
    guardians: int = 0
    name_keys: int = 0
    audit_events: int = 0
    work_items: int = 0
    seconds: float = 0.0


@dataclass
class Request:
    url: str
    bare: list[tuple[str, Any]]  # the SQL statements (and parameters) that fetch the page's data


@dataclass
class Scenario:
    name: str
    who: str
    requests: list[Request]
    warmup: list[Request]
    goal: bool = True  # the goal (p95 < 100 ms, within 3x of the bare query) applies
    htmx_too: bool = False  # also time the htmx partial (the rows only), in the same loop
    floor: bool = False  # a page with no data of its own: what any page costs (no bare query)


@dataclass
class Result:
    scenario: Scenario
    name: str
    page_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)  # time inside cursor.execute during the page
    queries: list[int] = field(default_factory=list)


# --- Small helpers --------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Capture:
    """An execute wrapper that keeps the statements the ORM sends."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


class SqlTimer:
    """An execute wrapper that counts the statements of a request and adds up their time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


def database_label() -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


def machine_info() -> list[str]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = ""
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
                break
    except OSError:
        pass
    return [
        f"Machine: {cpus} CPU cores available (nproc), {model or platform.processor() or '?'}, {memory or '?'}; "
        f"{load_average()}",
        f"Python {platform.python_version()}, Django {django.get_version()}, {platform.platform()}",
    ]


def load_average() -> str:
    """Other work on the machine skews the timings: say how busy it was."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


# --- Loading ----------------------------------------------------------------------------------------


def prepare_database() -> None:
    """Tables, regions, the demo organisations and users; refuses a database that holds children."""
    call_command("migrate", interactive=False, verbosity=0)
    if Child.objects.exists():
        raise SystemExit("The benchmark needs an empty database: this one already holds children.")
    with redirect_stdout(io.StringIO()):
        data = BASE_DIR / "regions" / "data"
        call_command("load_regions", str(data / "china-counties-2024.csv"), release="国家统计局 2024")
        call_command("load_regions", str(data / "hanjiang-350303-villages-2020.csv"), release="国家统计局 2020")
        call_command("load_demo")


def _spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` split over ``parts`` with some variation (villages differ in size), summing exactly."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


class Generator:
    """Synthetic but plausible children, families and guardians; valid, unique ID numbers."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311  (synthetic data, not security)
        self.today = timezone.localdate()
        self.limits = thresholds()
        self.used_ids: set[str] = set()
        self.keys: dict[str, tuple[str, list[str]]] = {}
        self.surnames = [s for s, _ in SURNAMES]
        self.surname_weights = list(self._cumulative([w for _, w in SURNAMES]))
        self.counties = {r.code: r for r in Region.objects.filter(code__in=WORK_COUNTIES)}
        self.work_counties = [self.counties[c] for c in WORK_COUNTIES if c in self.counties]
        self.schools: dict[str, dict[str, Organisation]] = {}
        for org in Organisation.objects.filter(kind__in=[OrgKind.SCHOOL, OrgKind.KINDERGARTEN]).select_related(
            "region"
        ):
            kind = "kindergarten" if org.kind == OrgKind.KINDERGARTEN else "junior" if "中学" in org.name else "primary"
            self.schools.setdefault(org.region.code, {})[kind] = org

    @staticmethod
    def _cumulative(weights: list[int]) -> Iterator[int]:
        total = 0
        for weight in weights:
            total += weight
            yield total

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_weights)[0]

    def given(self, pool: str) -> str:
        rng = self.rng
        return rng.choice(pool) if rng.random() < 0.15 else rng.choice(pool) + rng.choice(pool)

    def id_number(self, born: date, male: bool) -> str:
        while True:
            seq = self.rng.randrange(1000)
            if seq % 2 != (1 if male else 0):
                seq ^= 1  # odd for men, even for women
            first = f"350303{born:%Y%m%d}{seq:03d}"
            number = first + check_character(first)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def phone(self) -> str:
        return f"1380{self.rng.randrange(10**7):07d}"

    def readings(self, name: str) -> tuple[str, list[str]]:
        """The sort key (full reading) and the search keys of a name, as registry.services stores them."""
        known = self.keys.get(name)
        if known is None:
            readings = name_keys(name)
            tokens = [t[:64] for t in dict.fromkeys([*readings.variants, *readings.initial_variants]) if t]
            known = self.keys[name] = (readings.full, tokens)
        return known

    def child(
        self, village: Region, director: User | None
    ) -> tuple[Child, list[FamilyMember], EntrustedGuardian | None]:
        rng, today = self.rng, self.today
        born = today - timedelta(days=rng.randint(60, 17 * 365 + 300))
        male = rng.random() < 0.53
        surname = self.surname()
        name = surname + self.given(GIVEN_BOY if male else GIVEN_GIRL)
        number = "" if rng.random() < 0.005 else self.id_number(born, male)

        roll = rng.random()
        father_status, mother_status = "away_for_work", "away_for_work"
        if roll < 0.15:
            mother_status = rng.choice(["seriously_ill", "seriously_disabled", "deceased", "imprisoned", "missing"])
        elif roll < 0.23:
            mother_status = "at_home"
        elif roll < 0.26:
            father_status = rng.choice(["deceased", "imprisoned", "seriously_ill"])
        elif roll < 0.30:
            father_status = mother_status = "at_home"
        left = today - timedelta(days=rng.randint(60, 3000))
        father_born = born - timedelta(days=rng.randint(22 * 365, 42 * 365))
        mother_born = born - timedelta(days=rng.randint(20 * 365, 40 * 365))
        family = [
            FamilyMember(
                relationship="51",
                name=surname + rng.choice(GIVEN_FATHER) + rng.choice(GIVEN_FATHER),
                birth_date=father_born,
                id_number=self.id_number(father_born, True),
                status=father_status,
                work_region=rng.choice(self.work_counties) if father_status == "away_for_work" else None,
                left_on=left if father_status == "away_for_work" else None,
                phone=self.phone(),
                contact_frequency=rng.choice(["weekly", "monthly", "quarterly"]),
            ),
            FamilyMember(
                relationship="52",
                name=self.surname() + rng.choice(GIVEN_MOTHER) + rng.choice(GIVEN_MOTHER),
                birth_date=mother_born,
                id_number=self.id_number(mother_born, False),
                status=mother_status,
                work_region=rng.choice(self.work_counties) if mother_status == "away_for_work" else None,
                left_on=left if mother_status == "away_for_work" else None,
                phone=self.phone(),
            ),
        ]
        living = rng.choices(
            ["with_grandparents", "with_one_parent", "with_other_relatives", "boarding_school", "alone"],
            weights=[70, 18, 7, 4, 1],
        )[0]
        guardian_age = rng.randint(70, 82) if rng.random() < 0.08 else rng.randint(45, 69)
        guardian_born = today - timedelta(days=guardian_age * 365 + rng.randint(0, 300))
        guardian = (
            None
            if living == "alone"
            else EntrustedGuardian(
                name=surname + rng.choice(GIVEN_ELDER) + rng.choice(GIVEN_ELDER),
                id_number=self.id_number(guardian_born, rng.random() < 0.5),
                relationship=rng.choice(["61", "62", "63", "64"]),
                birth_date=guardian_born,
                health=rng.choices(["healthy", "chronic_illness", "serious_illness"], weights=[80, 17, 3])[0],
                phone=self.phone(),
                address=village.full_name,
            )
        )

        age = age_on(born, today)
        health = rng.choices(["healthy", "ill", "disabled"], weights=[95, 3, 2])[0]
        if age >= 16:
            status = ChildStatus.EXITED if rng.random() < 0.7 else ChildStatus.REGISTERED
        else:
            status = rng.choices(
                [
                    ChildStatus.REGISTERED,
                    ChildStatus.AWAITING_REVIEW,
                    ChildStatus.AWAITING_CONFIRMATION,
                    ChildStatus.DRAFT,
                    ChildStatus.RETURNED,
                    ChildStatus.EXITED,
                ],
                weights=[86, 4, 3, 3, 1, 3],
            )[0]
        schooling = _schooling(age)
        township = village.parent
        school = self.schools.get(township.code if township else "", {}).get(
            {"kindergarten": "kindergarten", "primary": "primary", "junior": "junior"}.get(schooling, "")
        )
        entered = status in (ChildStatus.REGISTERED, ChildStatus.EXITED)
        entry = today - timedelta(days=rng.randint(30, 1500)) if entered else None
        child = Child(
            name=name,
            name_sort=self.readings(name)[0],
            gender="1" if male else "2",
            ethnicity="01" if rng.random() > 0.01 else "22",
            birth_date=born,
            id_number=number,
            id_reversed=number[::-1],
            hukou_unregistered=not number,
            hukou_village=village,
            region_code=village.code,
            hukou_nature="rural" if rng.random() > 0.02 else "non_rural",
            current_address=village.full_name,
            health=health,
            illness="哮喘" if health == "ill" else "",
            disability_category="physical" if health == "disabled" else "",
            disability_grade="3" if health == "disabled" else "",
            schooling=schooling,
            school=school,
            school_name="" if school or schooling in ("not_in_kindergarten", "senior") else f"{village.name}学校",
            grade="",
            is_boarding=living == "boarding_school",
            living_arrangement=living,
            income_sources=["wages_remitted"] + (["farming"] if rng.random() < 0.3 else []),
            assistance=["dibao"] if rng.random() < 0.05 else [],
            guardianship_type="unsupervised"
            if living == "alone"
            else rng.choices(["fair", "good", "entrusted_insufficient"], weights=[45, 48, 7])[0],
            guardianship_assessment=rng.choices(["good", "fair", "poor"], weights=[58, 38, 4])[0],
            poverty_flags=["dibao_household"] if rng.random() < 0.06 else [],
            status=status,
            entry_date=entry,
            exit_date=today - timedelta(days=rng.randint(1, 300)) if status == ChildStatus.EXITED else None,
            exit_reason=("turned_16" if age >= 16 else "parent_returned") if status == ChildStatus.EXITED else "",
            created_by=director,
        )
        facts = ChildFacts(
            birth_date=born,
            rural_hukou=child.hukou_nature == "rural",
            health=health,
            living_arrangement=living,
            guardianship_type=child.guardianship_type,
            guardianship_assessment=child.guardianship_assessment,
            poverty_flags=frozenset(child.poverty_flags),
            father=ParentFacts(status=father_status, left_on=left if father_status == "away_for_work" else None),
            mother=ParentFacts(status=mother_status, left_on=left if mother_status == "away_for_work" else None),
            guardian=GuardianFacts(age=guardian_age, health=guardian.health) if guardian else None,
        )
        result = evaluate(facts, today=today, limits=self.limits)
        child.is_left_behind = result.is_left_behind
        child.left_behind_kind = result.kind
        child.flags = sorted(result.flags)
        child.eligibility_reasons = result.reasons
        child.is_key_target = "key_target" in result.flags
        child.evaluated_on = today
        return child, family, guardian


def load_children(total: int, seed: int) -> LoadReport:
    report = LoadReport()
    started = time.perf_counter()
    gen = Generator(seed)
    villages = list(
        Region.objects.filter(code__startswith=COUNTY[:6], level=Level.VILLAGE, is_active=True)
        .select_related("parent")
        .order_by("code")
    )
    slots = [v for v, n in zip(villages, _spread(total, len(villages), gen.rng), strict=True) for _ in range(n)]
    gen.rng.shuffle(slots)  # children of a village are entered over time, interleaved with others
    directors = {
        u.organisation.region.code: u
        for u in User.objects.filter(role=Role.VILLAGE_DIRECTOR).select_related("organisation__region")
        if u.organisation
    }
    admin = User.objects.get(username="mzj")
    governments = {
        o.region.code: o for o in Organisation.objects.filter(kind=OrgKind.TOWNSHIP_GOVERNMENT).select_related("region")
    }
    committees = {
        o.region.code: o for o in Organisation.objects.filter(kind=OrgKind.VILLAGE_COMMITTEE).select_related("region")
    }
    civil = Organisation.objects.get(kind=OrgKind.CIVIL_AFFAIRS, region__code=COUNTY)
    status_label = {value: str(label) for value, label in ChildStatus.choices}
    living_label = {value: str(label) for value, label in LivingArrangement.choices}

    for start in range(0, total, CHUNK):
        with transaction.atomic():
            # (village, child, family, guardian) for each child of this chunk
            made = [(v, *gen.child(v, directors.get(v.code))) for v in slots[start : start + CHUNK]]
            children = [c for _, c, _, _ in made]
            Child.objects.bulk_create(children, batch_size=1000)
            members: list[FamilyMember] = []
            guardians: list[EntrustedGuardian] = []
            keys: list[ChildNameKey] = []
            events: list[AuditEvent] = []
            items: list[WorkItem] = []
            for village, child, family, guardian in made:
                for member in family:
                    member.child = child
                    members.append(member)
                if guardian is not None:
                    guardian.child = child
                    guardians.append(guardian)
                keys.extend(ChildNameKey(child=child, key=token) for token in gen.readings(child.name)[1])
                director = directors.get(village.code)
                common = {
                    "kind": "write",
                    "object_type": "registry.child",
                    "object_id": str(child.pk),
                    "object_repr": child.name,
                    "region_code": child.region_code,
                }
                events.append(
                    AuditEvent(
                        actor=director,
                        actor_name=director.name if director else "",
                        action="child.create",
                        changes={
                            "name": [None, child.name],
                            "gender": [None, "男" if child.gender == "1" else "女"],
                            "birth_date": [None, child.birth_date.isoformat()],
                            "id_number": [None, mask(child.id_number)],
                            "hukou_village": [None, village.full_name],
                            "living_arrangement": [None, living_label[child.living_arrangement]],
                        },
                        **common,
                    )
                )
                if child.status in (ChildStatus.REGISTERED, ChildStatus.EXITED):
                    events.append(
                        AuditEvent(
                            actor=admin,
                            actor_name=admin.name,
                            action="child.confirm",
                            changes={
                                "status": [
                                    status_label[ChildStatus.AWAITING_CONFIRMATION],
                                    status_label[ChildStatus.REGISTERED],
                                ]
                            },
                            **common,
                        )
                    )
                if child.status == ChildStatus.EXITED:
                    events.append(
                        AuditEvent(
                            actor=admin,
                            actor_name=admin.name,
                            action="child.exit",
                            changes={
                                "status": [status_label[ChildStatus.REGISTERED], status_label[ChildStatus.EXITED]]
                            },
                            **common,
                        )
                    )
                township_code = child.region_code[:9] + "000"
                owner = {
                    ChildStatus.AWAITING_REVIEW: (
                        ItemKind.REVIEW_CHILD,
                        governments.get(township_code),
                        Role.TOWNSHIP_SUPERVISOR,
                        "审核",
                    ),
                    ChildStatus.AWAITING_CONFIRMATION: (ItemKind.CONFIRM_ENTRY, civil, Role.DISTRICT_ADMIN, "确认"),
                    ChildStatus.RETURNED: (
                        ItemKind.FIX_RETURNED,
                        committees.get(child.region_code),
                        Role.VILLAGE_DIRECTOR,
                        "修改",
                    ),
                }.get(ChildStatus(child.status))
                if owner is not None and owner[1] is not None:
                    items.append(
                        WorkItem(
                            kind=owner[0],
                            title=f"{owner[3]} {child.name} 的档案",
                            region_code=child.region_code,
                            owner_organisation=owner[1],
                            owner_role=owner[2],
                            due_date=gen.today + timedelta(days=gen.rng.randint(-5, 10)),
                            target_type="registry.child",
                            target_id=str(child.pk),
                            url=f"/children/{child.pk}/",
                        )
                    )
            FamilyMember.objects.bulk_create(members, batch_size=2000)
            EntrustedGuardian.objects.bulk_create(guardians, batch_size=2000)
            ChildNameKey.objects.bulk_create(keys, batch_size=5000)
            AuditEvent.objects.bulk_create(events, batch_size=2000)
            WorkItem.objects.bulk_create(items, batch_size=2000)
        report.children += len(children)
        report.family += len(members)
        report.guardians += len(guardians)
        report.name_keys += len(keys)
        report.audit_events += len(events)
        report.work_items += len(items)
        if report.children % 20_000 == 0 or report.children == total:
            print(f"  {report.children:>7,} / {total:,} children ({time.perf_counter() - started:.0f} s)", flush=True)
    report.seconds = time.perf_counter() - started
    return report


def after_load() -> str:
    """What a production database would have by the time anyone searches it."""
    if connection.vendor == "postgresql":
        # Autovacuum would analyse (and, for insert-only tables, vacuum) these within minutes; doing it
        # now makes the run repeatable instead of racing the autovacuum daemon.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        return "VACUUM ANALYZE after loading (what autovacuum would do)"
    # Nothing in the app runs ANALYZE on SQLite, so neither does the benchmark: the planner works
    # without statistics, as it would in production.
    return "no ANALYZE (the app never runs it on SQLite)"


# --- Scenarios -------------------------------------------------------------------------------------


class ListRequests:
    """List URLs, and the statements the list view sends for their data: village lookup, count, the
    page's keys, the page's rows.

    The lookup and the count are captured as the ORM sends them (run once per set of filters). The
    page is cut on the children's keys, as the view cuts it: that SELECT is compiled by the same
    compiler and run once here, to learn the keys; the statement that reads those 25 rows
    (``selectors.page_rows``) is then captured as the ORM sends it.
    """

    def __init__(self, user: User) -> None:
        self.user = user
        assert user.scope_prefix is not None  # loads (and caches) the user's organisation and region
        self.counted: dict[tuple[Any, ...], tuple[QuerySet[Child], int, list[tuple[str, Any]]]] = {}

    def __call__(self, params: dict[str, str]) -> Request:
        filters = ChildFilters(
            q=params.get("q", "").strip(),
            village=params.get("village", ""),
            status=params.get("status", ""),
            left_behind=params.get("left_behind", ""),
            flag=params.get("flag", ""),
            sort=params.get("sort", "") or "name",
        )
        key = astuple(filters)
        if key not in self.counted:
            capture = Capture()
            with connection.execute_wrapper(capture):
                queryset = children_for(self.user, filters)
                total = queryset.count()
            self.counted[key] = (queryset, total, capture.statements)
        queryset, total, statements = self.counted[key]
        # The view's paginator: at most LIST_MAX_PAGES pages, a page number past them gives the last one.
        paginator = CappedPaginator(queryset.values_list("pk", flat=True), settings.PAGE_SIZE, max_pages=LIST_MAX_PAGES)
        paginator.__dict__["count"] = total  # what the view's paginator counts with the statement above
        page = paginator.get_page(params.get("page"))
        with contextlib.suppress(EmptyResultSet):  # an empty page: the ORM sends no SELECT for it either
            statements = [*statements, page.object_list.query.sql_with_params()]  # type: ignore[attr-defined]
        ids = list(page)
        if ids:
            capture = Capture()
            with connection.execute_wrapper(capture):
                selectors.page_rows(self.user, ids)
            statements = [*statements, *capture.statements]
        return Request(f"{reverse('child_list')}?{urlencode(params)}", statements)


def dossier_request(user: User, pk: int) -> Request:
    """The dossier URL, and the statements for the child row, the family, the guardian, the timeline."""
    capture = Capture()
    with connection.execute_wrapper(capture):
        child = get_for_user_or_404(Child.objects.select_related("hukou_village__parent", "school"), user, pk=pk)
        list(child.family.select_related("work_region").all())
        EntrustedGuardian.objects.filter(child=child).first()
        list(selectors.timeline(child)[:100])
    return Request(reverse("child_detail", args=[pk]), capture.statements)


def build_scenarios(user: User, who: str, rng: random.Random, n: int, *, htmx_variants: bool) -> list[Scenario]:
    list_request = ListRequests(user)
    in_scope = list(Child.objects.for_user(user).values_list("pk", "name", "id_number"))
    villages = list(selectors.villages_for(user).values_list("code", flat=True))
    count = n + WARMUP

    def sample(k: int) -> list[tuple[int, str, str]]:
        return rng.sample(in_scope, k)

    def split(requests: list[Request]) -> tuple[list[Request], list[Request]]:
        return requests[WARMUP:], requests[:WARMUP]

    scenarios: list[Scenario] = []

    initials = [name_keys(name).initials for _, name, _ in sample(count)]
    reqs, warm = split([list_request({"q": q}) for q in initials])
    scenarios.append(Scenario("search: pinyin initials", who, reqs, warm, htmx_too=htmx_variants))

    suffixes = [number[-6:] for _, _, number in sample(count * 2) if number][:count]
    reqs, warm = split([list_request({"q": s}) for s in suffixes])
    scenarios.append(Scenario("search: ID last 6 characters", who, reqs, warm))

    reqs, warm = split(
        [list_request({"village": rng.choice(villages), "flag": "key_target", "sort": "name"}) for _ in range(count)]
    )
    scenarios.append(Scenario("list: village + key target", who, reqs, warm))

    first = {"left_behind": "1", "status": "registered"}
    reqs, warm = split([list_request(first) for _ in range(count)])
    scenarios.append(Scenario("list: left-behind registered, p1", who, reqs, warm, htmx_too=htmx_variants))

    total = children_for(user, ChildFilters(left_behind="1", status="registered")).count()
    # The list serves LIST_MAX_PAGES pages at most (then asks the user to narrow the filters): the
    # pages drawn are those a user can reach.
    pages = max(2, min(-(-total // settings.PAGE_SIZE), LIST_MAX_PAGES))
    reqs, warm = split([list_request({**first, "page": str(rng.randint(2, pages))}) for _ in range(count)])
    scenarios.append(Scenario(f"list: left-behind registered, p2..{pages}", who, reqs, warm))

    reqs, warm = split([dossier_request(user, pk) for pk, _, _ in sample(count)])
    scenarios.append(Scenario("dossier page", who, reqs, warm, goal=False))

    # The floor: the user's own profile page reads nothing but the session and the user, and renders
    # the layout (navigation, jurisdiction bar) around a few lines. No page can cost less.
    reqs, warm = split([Request(reverse("profile"), []) for _ in range(count)])
    scenarios.append(Scenario("floor: layout alone (own profile page)", who, reqs, warm, goal=False, floor=True))
    return scenarios


# --- Measuring ---------------------------------------------------------------------------------------


def run_bare(statements: list[tuple[str, Any]]) -> float:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()
    return time.perf_counter() - start


def run_page(client: Client, url: str, htmx: bool) -> tuple[float, SqlTimer]:
    timer = SqlTimer()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with connection.execute_wrapper(timer):
        start = time.perf_counter()
        response = client.get(url, **headers)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return elapsed, timer


def measure(client: Client, scenario: Scenario) -> list[Result]:
    """The full page (and the htmx partial, if asked) and the bare SQL, for each request in turn."""
    results = [Result(scenario, scenario.name)]
    if scenario.htmx_too:
        # The same bare timings: the partial runs the same statements for its data.
        results.append(Result(scenario, f"{scenario.name} (htmx rows)", bare_ms=results[0].bare_ms))
    for request in scenario.warmup:
        for variant in range(len(results)):
            run_page(client, request.url, htmx=variant == 1)
        run_bare(request.bare)
    for i, request in enumerate(scenario.requests):
        # Alternate which goes first, so that neither always finds the other's pages in the cache.
        if i % 2:
            results[0].bare_ms.append(run_bare(request.bare) * 1000)
        for variant, result in enumerate(results):
            elapsed, timer = run_page(client, request.url, htmx=variant == 1)
            result.page_ms.append(elapsed * 1000)
            result.sql_ms.append(timer.seconds * 1000)
            result.queries.append(timer.count)
        if not i % 2:
            results[0].bare_ms.append(run_bare(request.bare) * 1000)
    return results


def explain(result: Result) -> None:
    """The query plans of the slowest request's data statements."""
    slowest = max(range(len(result.page_ms)), key=result.page_ms.__getitem__)
    request = result.scenario.requests[slowest]
    print(f"\n-- Plans for {result.scenario.who} / {result.name}: {request.url}")
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        for sql, params in request.bare:
            print(f"SQL: {sql}\nparams: {params}")
            cursor.execute(prefix + sql, params)
            for row in cursor.fetchall():
                print("   ", " | ".join(str(c) for c in row))


def measure_ledger(admin: User) -> list[str]:
    lines: list[str] = []
    missed: list[str] = []
    # 1. The export function on exactly 10,000 rows (the district's left-behind children, by name).
    filtered = children_for(admin, ChildFilters(left_behind="1"))
    wanted = min(LEDGER_ROWS, filtered.count())  # fewer only in a run with BENCH_CHILDREN below 100,000
    rows_qs = filtered[:wanted]
    timings: list[float] = []
    for _ in range(2):
        start = time.perf_counter()
        content, count = ledger_xlsx(rows_qs, full=False)
        timings.append(time.perf_counter() - start)
        if count != wanted:
            raise SystemExit(f"ledger gave {count} rows, not {wanted}")
    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        start = time.perf_counter()
        rows = list(ledger_rows(rows_qs, full=False))
        rows_s = time.perf_counter() - start
    start = time.perf_counter()
    workbook_bytes("ledger", ledger_headers(), rows)
    xlsx_s = time.perf_counter() - start
    ok = max(timings) < LEDGER_GOAL_S
    lines.append(
        f"  ledger_xlsx(), {count:,} rows ({len(content) / 1e6:.1f} MB): median {median(timings):.2f} s, "
        f"max {max(timings):.2f} s of 2 runs — goal < {LEDGER_GOAL_S:.0f} s: {'yes' if ok else 'NO'}"
    )
    lines.append(
        f"    a third run in its two parts: ledger_rows() {rows_s:.2f} s ({timer.count} queries, "
        f"{timer.seconds:.2f} s of it inside SQL), then workbook_bytes() {xlsx_s:.2f} s"
    )
    if not ok:
        missed.append(f"GOAL MISSED: ledger_xlsx() of {count:,} rows took up to {max(timings):.2f} s")

    # 2. The HTTP endpoint, for the township whose ledger is closest to 10,000 rows.
    best: tuple[int, User, dict[str, str]] | None = None
    for user in User.objects.filter(role=Role.TOWNSHIP_SUPERVISOR, username__startswith="dd"):
        for params in ({"left_behind": "1"}, {}):
            n = children_for(user, ChildFilters(left_behind=params.get("left_behind", ""))).count()
            if best is None or abs(n - LEDGER_ROWS) < abs(best[0] - LEDGER_ROWS):
                best = (n, user, params)
    assert best is not None
    n, user, params = best
    client = Client()
    client.force_login(user)
    url = f"{reverse('ledger_export')}?{urlencode(params)}"
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    ok = max(timings) < LEDGER_GOAL_S
    lines.append(
        f"  GET {url} as {user.username}, {n:,} rows: median {median(timings):.2f} s, max {max(timings):.2f} s "
        f"of 2 runs — goal < {LEDGER_GOAL_S:.0f} s (for 10,000 rows): {'yes' if ok else 'NO'}"
    )
    if not ok:
        missed.append(f"GOAL MISSED: GET {url} ({n:,} rows) took up to {max(timings):.2f} s")
    return lines + missed


# --- Reporting ---------------------------------------------------------------------------------------


def verdict(result: Result) -> tuple[str, str]:
    """('yes' | 'NO' | 'n/a', why) against the issue's goal: p95 < 100 ms and p95 within 3x of the bare query."""
    page95, bare95 = p95(result.page_ms), p95(result.bare_ms)
    problems = []
    if page95 >= SEARCH_GOAL_MS:
        problems.append(f"p95 {page95:.1f} ms >= {SEARCH_GOAL_MS:.0f} ms")
    if page95 > RATIO_GOAL * bare95:
        problems.append(f"p95 {page95 / bare95:.1f}x the bare query's (> {RATIO_GOAL:.0f}x)")
    if not result.scenario.goal:
        return "n/a", "; ".join(problems)
    return ("NO" if problems else "yes"), "; ".join(problems)


def table(db: str, results: list[Result]) -> list[str]:
    head = (
        f"{'database':<18} {'user':<5} {'scenario':<46} {'page med':>8} {'p95':>7} {'bare med':>8} {'p95':>7} "
        f"{'x med':>6} {'x p95':>6} {'SQL in page':>11} {'queries':>7}  goal met"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        met, _ = verdict(r)
        if r.scenario.floor:
            bare = f"{'-':>8} {'-':>7} {'-':>6} {'-':>6}"
        else:
            bare = (
                f"{median(r.bare_ms):>8.2f} {p95(r.bare_ms):>7.2f} "
                f"{median(r.page_ms) / median(r.bare_ms):>6.1f} {p95(r.page_ms) / p95(r.bare_ms):>6.1f}"
            )
        lines.append(
            f"{db:<18} {r.scenario.who:<5} {r.name:<46} {median(r.page_ms):>8.1f} {p95(r.page_ms):>7.1f} {bare} "
            f"{median(r.sql_ms):>11.1f} {int(median([float(q) for q in r.queries])):>7}  {met}"
        )
    return lines


def main() -> int:
    if os.environ.get("BENCH") != "1" or not os.environ.get("DATABASE_URL"):
        raise SystemExit(
            "Run through scripts/bench_registry.sh (make bench-registry): it needs BENCH=1 and a DATABASE_URL "
            "pointing at an empty, throwaway database."
        )
    total = env_int("BENCH_CHILDREN", 100_000)
    n = env_int("BENCH_REQUESTS", 50)
    seed = env_int("BENCH_SEED", 2026)
    db_full = database_label()
    db = " ".join(db_full.split()[:2])  # "PostgreSQL 15.18", without the packager's suffix
    print(f"== Registry benchmark on {db_full}, {time.strftime('%Y-%m-%d %H:%M %Z')} ==")
    for line in machine_info():
        print(line)

    start = time.perf_counter()
    prepare_database()
    print(f"Migrated, loaded regions and demo users in {time.perf_counter() - start:.0f} s")
    print(f"Loading {total:,} children (seed {seed}) …", flush=True)
    load = load_children(total, seed)
    print(
        f"Loaded {load.children:,} children, {load.family:,} family members, {load.guardians:,} guardians, "
        f"{load.name_keys:,} name keys, {load.audit_events:,} audit events, {load.work_items:,} to-do items "
        f"in {load.seconds:.0f} s"
    )
    start = time.perf_counter()
    note = after_load()
    print(f"{note} ({time.perf_counter() - start:.0f} s)")
    left_behind = Child.objects.filter(is_left_behind=True).count()
    key_targets = Child.objects.filter(is_key_target=True).count()
    print(f"Left-behind: {left_behind:,}; key targets: {key_targets:,}")

    rng = random.Random(seed + 1)  # noqa: S311  (choosing queries, not security)
    results: list[Result] = []
    for username, who, htmx in (("mzj", "mzj", True), ("dd104", "dd104", False)):
        user = User.objects.get(username=username)
        print(f"Preparing {n} requests per scenario for {username} …", flush=True)
        scenarios = build_scenarios(user, who, rng, n, htmx_variants=htmx)
        client = Client()
        client.force_login(user)
        for scenario in scenarios:
            for result in measure(client, scenario):
                results.append(result)
                print(
                    f"  {who:<5} {result.name:<46} page median {median(result.page_ms):6.1f} ms, "
                    f"p95 {p95(result.page_ms):6.1f} ms; bare median {median(result.bare_ms):6.2f} ms",
                    flush=True,
                )

    print(f"\n== Results: {db}, {total:,} children, {n} requests per scenario after {WARMUP} warm-up ==")
    print("Times in ms. page = GET through Django's test client (full HTML page unless marked htmx);")
    print("bare = the page's data SQL run through a plain cursor; x = page / bare; SQL in page = time inside")
    print("cursor.execute during the page request (median); queries = statements per page request.")
    for line in table(db, results):
        print(line)
    floors = {r.scenario.who: p95(r.page_ms) for r in results if r.scenario.floor}
    for r in results:
        met, why = verdict(r)
        if met == "NO":
            floor = floors.get(r.scenario.who, 0.0)
            if RATIO_GOAL * p95(r.bare_ms) < floor:
                why += (
                    f" (3x the bare query's p95 is {RATIO_GOAL * p95(r.bare_ms):.1f} ms, below the p95 of "
                    f"the layout alone, {floor:.1f} ms)"
                )
            print(f"GOAL MISSED: {db} / {r.scenario.who} / {r.name}: {why}")

    print(f"\n== Ledger export: {db} ==")
    for line in measure_ledger(User.objects.get(username="mzj")):
        print(line)
    print(f"Finished on {db}: {load_average()}")

    if os.environ.get("BENCH_EXPLAIN") == "1":
        for r in results:
            if not r.name.endswith("(htmx rows)"):
                explain(r)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
