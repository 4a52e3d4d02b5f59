"""About 2,000 synthetic children spread over Hanjiang's villages, for trying the system out.

Every name has 演 or 示 as its second character (张演明, 李示华) so that nobody mistakes a demo
file for a real child; ID numbers use sequence numbers 900–999 with valid check characters;
phones are in the 138-0000 range. Every row is flagged ``is_demo``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.roles import OrgKind, Role
from core import audit
from core.idnumber import check_character
from regions.models import Level, Region
from registry.codes import ChildStatus
from registry.eligibility import ChildFacts, GuardianFacts, ParentFacts, age_on, evaluate
from registry.models import Child, ChildNameKey, EntrustedGuardian, FamilyMember
from registry.pinyin import name_keys
from registry.services import thresholds
from worklist import services as worklist
from worklist.models import ItemKind

SURNAMES = "林陈黄郑李吴王张刘杨蔡许方朱余徐卓宋翁戴"
GIVEN = "明华伟芳婷杰磊静涛鑫怡欣宇浩轩涵晨阳"
WORK_COUNTIES = [
    "350582000000",
    "350206000000",
    "350104000000",
    "440306000000",
    "440106000000",
    "330782000000",
    "310115000000",
]
# Hanjiang is a home of overseas Chinese: some fathers work abroad (countries by ISO code).
WORK_ABROAD = ["MY", "SG", "ID", "PH", "AO", "AE", "US", "JP"]
ABROAD_SHARE = 0.1
SCHOOLING_BY_AGE = [(3, "not_in_kindergarten"), (6, "kindergarten"), (12, "primary"), (15, "junior"), (16, "senior")]


def _schooling(age: int) -> str:
    for limit, value in SCHOOLING_BY_AGE:
        if age < limit:
            return value
    return "senior"


def _demo_school(village: Region, age: int) -> str:
    """Every demo child in school has a school, as the registration form requires. The names are
    those of the demo schools where the township has one (江口中学（演示）), so that the school
    filter finds their children."""
    township = village.parent.name if village.parent else ""
    for suffix in ("街道", "镇", "乡"):
        if township.endswith(suffix) and len(township) > len(suffix) + 1:
            township = township[: -len(suffix)]
            break
    if 3 <= age < 6:
        return f"{township}中心幼儿园（演示）"
    if 6 <= age < 12:
        return f"{township}中心小学（演示）"
    if 12 <= age < 15:
        return f"{township}中学（演示）"
    if age >= 15:
        return "涵江区第一中学（演示）"
    return ""


def _demo_id(born: date, seq: int) -> str:
    first = f"350303{born:%Y%m%d}{seq:03d}"
    return first + check_character(first)


@transaction.atomic
def load_demo_children(*, per_village: int = 10, seed: int = 2026) -> int:
    """Create the demo children unless they exist. Returns how many were created."""
    if Child.objects.filter(is_demo=True).exists():
        return 0
    rng = random.Random(seed)
    abroad = random.Random(seed + 1)  # its own draws: the rest of the demo stays as it was
    today = timezone.localdate()
    villages = list(
        Region.objects.filter(code__startswith="350303", level=Level.VILLAGE, is_active=True).select_related("parent")
    )
    counties = {r.code: r for r in Region.objects.filter(code__in=WORK_COUNTIES)}
    schools = {o.name: o for o in Organisation.objects.filter(kind__in=[OrgKind.SCHOOL, OrgKind.KINDERGARTEN])}
    admin = User.objects.filter(username="mzj").first()
    used_ids: set[str] = set()
    children: list[Child] = []
    extras: list[tuple[list[FamilyMember], EntrustedGuardian | None]] = []
    for village in villages:
        for _number in range(rng.randint(per_village - 3, per_village + 3)):
            born = today - timedelta(days=rng.randint(365, 15 * 365 + 300))
            gender = rng.choice("12")
            seq = rng.randrange(900, 1000)
            if seq % 2 != (1 if gender == "1" else 0):
                seq = seq + 1 if seq < 999 else seq - 1
            number = _demo_id(born, seq)
            if number in used_ids:
                continue
            used_ids.add(number)
            surname = rng.choice(SURNAMES)
            name = surname + rng.choice("演示") + rng.choice(GIVEN)
            roll = rng.random()
            father_status, mother_status = "away_for_work", "away_for_work"
            if roll < 0.18:
                mother_status = rng.choice(["seriously_ill", "seriously_disabled", "deceased", "imprisoned"])
            elif roll < 0.26:
                mother_status = "at_home"
            left = today - timedelta(days=rng.randint(200, 3000))
            country = abroad.choice(WORK_ABROAD) if abroad.random() < ABROAD_SHARE else ""
            in_china = counties.get(rng.choice(WORK_COUNTIES))
            family = [
                FamilyMember(
                    relationship="51",
                    name=surname + rng.choice("建国志明文华金水"),
                    status=father_status,
                    work_region=None if country else in_china,
                    work_country=country,
                    left_on=left,
                    phone=f"1380{rng.randrange(10**7):07d}",
                    contact_frequency=rng.choice(["weekly", "monthly", "quarterly"]),
                ),
                FamilyMember(
                    relationship="52",
                    name=rng.choice(SURNAMES) + rng.choice("秀英美玲丽珍"),
                    status=mother_status,
                    work_region=counties.get(rng.choice(WORK_COUNTIES)) if mother_status == "away_for_work" else None,
                    left_on=left if mother_status == "away_for_work" else None,
                    phone=f"1380{rng.randrange(10**7):07d}",
                ),
            ]
            grandparent_age = rng.randint(70, 80) if rng.random() < 0.08 else rng.randint(48, 69)
            guardian = EntrustedGuardian(
                name=surname + rng.choice("演示") + rng.choice("福贵兰英"),
                relationship=rng.choice(["61", "62", "63", "64"]),
                birth_date=today - timedelta(days=grandparent_age * 365 + rng.randint(0, 300)),
                health=rng.choices(["healthy", "chronic_illness", "serious_illness"], weights=[80, 17, 3])[0],
                phone=f"1380{rng.randrange(10**7):07d}",
                address=f"{village.full_name}",
            )
            age = age_on(born, today)
            health = rng.choices(["healthy", "ill", "disabled"], weights=[95, 3, 2])[0]
            living = rng.choices(
                ["with_grandparents", "with_one_parent", "with_other_relatives", "boarding_school", "alone"],
                weights=[70, 18, 7, 4, 1],
            )[0]
            status = rng.choices(
                [
                    ChildStatus.REGISTERED,
                    ChildStatus.AWAITING_REVIEW,
                    ChildStatus.AWAITING_CONFIRMATION,
                    ChildStatus.DRAFT,
                ],
                weights=[88, 5, 3, 4],
            )[0]
            child = Child(
                name=name,
                name_sort=name_keys(name).full,
                gender=gender,
                ethnicity="01" if rng.random() > 0.01 else "22",
                birth_date=born,
                id_number=number,
                id_reversed=number[::-1],
                hukou_village=village,
                region_code=village.code,
                hukou_nature="rural",
                current_address=village.full_name,
                health=health,
                illness="哮喘" if health == "ill" else "",
                disability_category="physical" if health == "disabled" else "",
                disability_grade="3" if health == "disabled" else "",
                schooling=_schooling(age),
                school=schools.get(_demo_school(village, age)),
                school_name="" if _demo_school(village, age) in schools else _demo_school(village, age),
                grade="",
                living_arrangement=living,
                guardianship_type="unsupervised"
                if living == "alone"
                else rng.choices(["fair", "good", "entrusted_insufficient"], weights=[45, 48, 7])[0],
                guardianship_assessment=rng.choices(["good", "fair", "poor"], weights=[58, 38, 4])[0],
                poverty_flags=["dibao_household"] if rng.random() < 0.06 else [],
                status=status,
                entry_date=today - timedelta(days=rng.randint(30, 900)) if status == ChildStatus.REGISTERED else None,
                is_demo=True,
                created_by=admin,
            )
            facts = ChildFacts(
                birth_date=born,
                health=health,
                living_arrangement=living,
                guardianship_type=child.guardianship_type,
                guardianship_assessment=child.guardianship_assessment,
                poverty_flags=frozenset(child.poverty_flags),
                father=ParentFacts(status=father_status, left_on=left),
                mother=ParentFacts(status=mother_status, left_on=left if mother_status == "away_for_work" else None),
                guardian=GuardianFacts(age=grandparent_age, health=guardian.health),
            )
            result = evaluate(facts, today=today, limits=thresholds())
            child.is_left_behind = result.is_left_behind
            child.left_behind_kind = result.kind
            child.flags = sorted(result.flags)
            child.eligibility_reasons = result.reasons
            child.is_key_target = "key_target" in result.flags
            child.evaluated_on = today
            children.append(child)
            extras.append((family, guardian if living != "alone" else None))

    Child.objects.bulk_create(children, batch_size=500)
    members, guardians, keys = [], [], []
    for child, (family, entrusted) in zip(children, extras, strict=True):
        for member in family:
            member.child = child
            members.append(member)
        if entrusted is not None:
            entrusted.child = child
            guardians.append(entrusted)
        readings = name_keys(child.name)
        for token in dict.fromkeys([*readings.variants, *readings.initial_variants]):
            keys.append(ChildNameKey(child=child, key=token[:64]))
    FamilyMember.objects.bulk_create(members, batch_size=1000)
    EntrustedGuardian.objects.bulk_create(guardians, batch_size=1000)
    ChildNameKey.objects.bulk_create(keys, batch_size=2000)
    _open_demo_items(children)
    audit.record(
        actor=None, kind="write", action="demo.load", region_code="350303000000", detail=f"演示儿童 {len(children)} 名"
    )
    return len(children)


def _open_demo_items(children: list[Child]) -> None:
    """The to-do items a real workflow would have left open for the pending files."""
    governments = {
        o.region.code: o for o in Organisation.objects.filter(kind=OrgKind.TOWNSHIP_GOVERNMENT).select_related("region")
    }
    civil = Organisation.objects.filter(kind=OrgKind.CIVIL_AFFAIRS, region__code="350303000000").first()
    for child in children:
        url = reverse("child_detail", args=[child.pk])
        if child.status == ChildStatus.AWAITING_REVIEW:
            township = governments.get(child.region_code[:9] + "000")
            if township is not None:
                worklist.item_open(
                    actor=None,
                    kind=ItemKind.REVIEW_CHILD,
                    title=_("Review the new file of %(name)s") % {"name": child.name},
                    target=child,
                    region_code=child.region_code,
                    owner_organisation=township,
                    owner_role=Role.TOWNSHIP_SUPERVISOR,
                    url=url,
                    due_in_days=random.Random(child.pk).randint(-3, 7),
                )
        elif child.status == ChildStatus.AWAITING_CONFIRMATION and civil is not None:
            worklist.item_open(
                actor=None,
                kind=ItemKind.CONFIRM_ENTRY,
                title=_("Confirm the entry of %(name)s") % {"name": child.name},
                target=child,
                region_code=child.region_code,
                owner_organisation=civil,
                owner_role=Role.DISTRICT_ADMIN,
                url=url,
            )
