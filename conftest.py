"""The fixed cast every test can use.

Hanjiang (350303) with two townships, 江口镇 (A) and 白沙镇 (B), and one village in each; their
officers; the district civil-affairs administrator; a school and a police station in township
A; and an outsider from another county (荔城区, 350304).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import Organisation, User
from accounts.roles import OrgKind, Role
from regions.models import Kind, Level, Region
from tests.factories import PASSWORD, OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: lists kept per jurisdiction (registry.selectors) must
    not carry one test's villages and schools into the next."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class Cast:
    county: Region
    township_a: Region
    township_b: Region
    village_a: Region
    village_b: Region
    other_county: Region
    civil_affairs: Organisation
    township_gov_a: Organisation
    township_gov_b: Organisation
    committee_a: Organisation
    committee_b: Organisation
    school_a: Organisation
    police_a: Organisation
    outsider_org: Organisation
    system_admin: User
    district_admin: User
    supervisor_a: User
    supervisor_b: User
    director_a: User
    director_b: User
    school_liaison_a: User
    police_a_officer: User
    leader: User
    outsider: User

    password: str = PASSWORD


def _region(code: str, name: str, level: str, kind: str, parent: Region | None) -> Region:
    full = f"{parent.full_name}{name}" if parent else name
    region, _ = Region.objects.get_or_create(
        code=code, defaults={"name": name, "full_name": full, "level": level, "kind": kind, "parent": parent}
    )
    return region


@pytest.fixture
def cast(db: None) -> Cast:
    province = _region("350000000000", "福建省", Level.PROVINCE, Kind.PROVINCE, None)
    prefecture = _region("350300000000", "莆田市", Level.PREFECTURE, Kind.PREFECTURE, province)
    county = _region("350303000000", "涵江区", Level.COUNTY, Kind.COUNTY, prefecture)
    township_a = _region("350303104000", "江口镇", Level.TOWNSHIP, Kind.TOWN, county)
    township_b = _region("350303106000", "白沙镇", Level.TOWNSHIP, Kind.TOWN, county)
    village_a = _region("350303104201", "东大村委会", Level.VILLAGE, Kind.VILLAGE_COMMITTEE, township_a)
    village_b = _region("350303106201", "白沙村委会", Level.VILLAGE, Kind.VILLAGE_COMMITTEE, township_b)
    other_county = _region("350304000000", "荔城区", Level.COUNTY, Kind.COUNTY, prefecture)
    # Places where parents work.
    quanzhou = _region("350500000000", "泉州市", Level.PREFECTURE, Kind.PREFECTURE, province)
    _region("350582000000", "晋江市", Level.COUNTY, Kind.COUNTY, quanzhou)
    guangdong = _region("440000000000", "广东省", Level.PROVINCE, Kind.PROVINCE, None)
    shenzhen = _region("440300000000", "深圳市", Level.PREFECTURE, Kind.PREFECTURE, guangdong)
    _region("440306000000", "宝安区", Level.COUNTY, Kind.COUNTY, shenzhen)
    guangzhou = _region("440100000000", "广州市", Level.PREFECTURE, Kind.PREFECTURE, guangdong)
    _region("440106000000", "天河区", Level.COUNTY, Kind.COUNTY, guangzhou)

    civil = OrganisationFactory.create(name="涵江区民政局", kind=OrgKind.CIVIL_AFFAIRS, region=county)
    gov_a = OrganisationFactory.create(name="江口镇人民政府", kind=OrgKind.TOWNSHIP_GOVERNMENT, region=township_a)
    gov_b = OrganisationFactory.create(name="白沙镇人民政府", kind=OrgKind.TOWNSHIP_GOVERNMENT, region=township_b)
    committee_a = OrganisationFactory.create(name="东大村委会", kind=OrgKind.VILLAGE_COMMITTEE, region=village_a)
    committee_b = OrganisationFactory.create(name="白沙村委会", kind=OrgKind.VILLAGE_COMMITTEE, region=village_b)
    school_a = OrganisationFactory.create(name="江口中心小学", kind=OrgKind.SCHOOL, region=township_a)
    police_a = OrganisationFactory.create(name="江口派出所", kind=OrgKind.POLICE_STATION, region=township_a)
    outsider_org = OrganisationFactory.create(name="荔城区民政局", kind=OrgKind.CIVIL_AFFAIRS, region=other_county)

    return Cast(
        county=county,
        township_a=township_a,
        township_b=township_b,
        village_a=village_a,
        village_b=village_b,
        other_county=other_county,
        civil_affairs=civil,
        township_gov_a=gov_a,
        township_gov_b=gov_b,
        committee_a=committee_a,
        committee_b=committee_b,
        school_a=school_a,
        police_a=police_a,
        outsider_org=outsider_org,
        system_admin=UserFactory.create(
            username="sysadmin", name="系统管理员甲", role=Role.SYSTEM_ADMIN, organisation=civil
        ),
        district_admin=UserFactory.create(
            username="district", name="民政管理员乙", role=Role.DISTRICT_ADMIN, organisation=civil
        ),
        supervisor_a=UserFactory.create(
            username="sup_a", name="督导员江口", role=Role.TOWNSHIP_SUPERVISOR, organisation=gov_a
        ),
        supervisor_b=UserFactory.create(
            username="sup_b", name="督导员白沙", role=Role.TOWNSHIP_SUPERVISOR, organisation=gov_b
        ),
        director_a=UserFactory.create(
            username="dir_a", name="儿童主任东大", role=Role.VILLAGE_DIRECTOR, organisation=committee_a
        ),
        director_b=UserFactory.create(
            username="dir_b", name="儿童主任白沙", role=Role.VILLAGE_DIRECTOR, organisation=committee_b
        ),
        school_liaison_a=UserFactory.create(
            username="school_a", name="学校联络员", role=Role.SCHOOL_LIAISON, organisation=school_a
        ),
        police_a_officer=UserFactory.create(
            username="police_a", name="民警江口", role=Role.POLICE_OFFICER, organisation=police_a
        ),
        leader=UserFactory.create(username="leader", name="领导丙", role=Role.LEADER, organisation=civil),
        outsider=UserFactory.create(
            username="outsider", name="外区管理员", role=Role.DISTRICT_ADMIN, organisation=outsider_org
        ),
    )


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
