"""Demo organisations and users for Hanjiang District (350303). Every row is flagged is_demo.

The names of the joint-meeting member units and their duties follow attachment 2 of
涵政综〔2017〕31号; the people are made up and named as such.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Organisation, User
from accounts.roles import OrgKind, Role
from core import audit
from core.models import AuditKind
from regions.models import Level, Region

DEMO_PASSWORD = "Shouhu-demo-2026"  # noqa: S105  (demo accounts only, printed by make run)
COUNTY_CODE = "350303000000"

# (name, kind, duties) — the 22 member units of the joint meeting, in the seed's order.
MEMBER_UNITS: list[tuple[str, str, str]] = [
    (
        "涵江区民政局",
        OrgKind.CIVIL_AFFAIRS,
        "会同教育、公安等部门开展摸底排查，健全信息报送机制；将符合条件的留守儿童及其家庭纳入社会救助、社会福利保障范围；督促指导乡镇、村（居）开展监护监督。联席会议办公室设在区民政局。",
    ),
    (
        "涵江区教育局",
        OrgKind.DEPARTMENT,
        "完善控辍保学机制，落实教育资助；指导学校、幼儿园加强心理健康教育和安全管理；加强农村寄宿制学校建设。",
    ),
    (
        "莆田市公安局涵江分局",
        OrgKind.POLICE_BUREAU,
        "指导派出所落实强制报告受理、出警调查、应急处置、救助保护、案件侦查、情况通报、监护干预等措施。",
    ),
    ("涵江区综治办", OrgKind.DEPARTMENT, "将留守儿童关爱保护工作纳入社会治安综合治理考核。"),
    ("涵江区文明办", OrgKind.DEPARTMENT, "将留守儿童关爱保护工作纳入未成年人思想道德建设考核。"),
    ("中共涵江区委宣传部", OrgKind.DEPARTMENT, "指导媒体开展专项宣传，指导建立舆情监测预警和应对机制。"),
    ("涵江区编办", OrgKind.DEPARTMENT, "加强未成年人保护队伍建设。"),
    ("涵江区人民法院", OrgKind.COURT, "依法办理涉及留守儿童权益保护的案件，追究失职父母及其他侵害人的法律责任。"),
    ("涵江区人民检察院", OrgKind.PROCURATORATE, "依法惩处侵害留守儿童权益的犯罪，保护救助被害留守儿童。"),
    ("涵江区发改局", OrgKind.DEPARTMENT, "建立儿童福利设施、农村寄宿制学校项目库，争取中央预算内资金。"),
    ("涵江区司法局", OrgKind.DEPARTMENT, "宣传未成年人保护法律法规，为留守儿童及其家庭提供法律援助。"),
    ("涵江区财政局", OrgKind.DEPARTMENT, "按每名留守儿童每年不低于50元列入预算，保障工作经费。"),
    ("涵江区人社局", OrgKind.DEPARTMENT, "落实农民工返乡创业就业政策，开展就业和创业技能培训。"),
    ("涵江区住建局", OrgKind.DEPARTMENT, "配合做好留守儿童家庭住房保障相关工作。"),
    ("涵江区扶贫办", OrgKind.DEPARTMENT, "将困难留守儿童家庭纳入精准扶贫。"),
    ("涵江区卫计局", OrgKind.DEPARTMENT, "为留守儿童提供基本医疗卫生服务和健康教育。"),
    ("涵江区法制办", OrgKind.DEPARTMENT, "为留守儿童关爱保护工作提供法制保障。"),
    ("涵江区总工会", OrgKind.PEOPLES_ORGANISATION, "关心外出务工职工子女，开展关爱活动。"),
    ("共青团涵江区委", OrgKind.PEOPLES_ORGANISATION, "组织志愿者开展结对帮扶等关爱服务。"),
    ("涵江区妇联", OrgKind.PEOPLES_ORGANISATION, "依托妇女之家、儿童之家开展家庭教育指导和关爱服务。"),
    ("涵江区残联", OrgKind.PEOPLES_ORGANISATION, "为残疾留守儿童提供康复和救助服务。"),
    ("涵江区关工委", OrgKind.PEOPLES_ORGANISATION, "组织五老人员参与留守儿童关爱保护。"),
]

# (name, kind, township code or None for the county)
OTHER_ORGANISATIONS: list[tuple[str, str, str | None]] = [
    ("涵江区救助管理站", OrgKind.RELIEF_STATION, None),
    ("涵江医院", OrgKind.HOSPITAL, None),
    ("涵江区江口镇卫生院", OrgKind.HOSPITAL, "350303104000"),
    ("涵江区白沙镇卫生院", OrgKind.HOSPITAL, "350303106000"),
    ("涵江区益心社会工作服务中心（演示）", OrgKind.SOCIAL_WORK, None),
    ("涵东派出所", OrgKind.POLICE_STATION, "350303001000"),
    ("江口派出所", OrgKind.POLICE_STATION, "350303104000"),
    ("白沙派出所", OrgKind.POLICE_STATION, "350303106000"),
    ("庄边派出所", OrgKind.POLICE_STATION, "350303107000"),
    ("江口中心小学（演示）", OrgKind.SCHOOL, "350303104000"),
    ("江口中学（演示）", OrgKind.SCHOOL, "350303104000"),
    ("白沙中心小学（演示）", OrgKind.SCHOOL, "350303106000"),
    ("庄边中学（演示）", OrgKind.SCHOOL, "350303107000"),
    ("新县中心小学（演示）", OrgKind.SCHOOL, "350303108000"),
    ("江口中心幼儿园（演示）", OrgKind.KINDERGARTEN, "350303104000"),
    ("白沙中心幼儿园（演示）", OrgKind.KINDERGARTEN, "350303106000"),
]

TOWNSHIP_GOVERNMENT_SUFFIX = {"街道": "街道办事处", "镇": "镇人民政府", "乡": "乡人民政府"}


def township_government_name(township: Region) -> str:
    for suffix, full in TOWNSHIP_GOVERNMENT_SUFFIX.items():
        if township.name.endswith(suffix):
            return township.name[: -len(suffix)] + full
    return f"{township.name}管委会"


@dataclass
class DemoLogin:
    username: str
    role: str
    where: str


def _org(name: str, kind: str, region: Region, **extra: object) -> Organisation:
    org, _ = Organisation.objects.update_or_create(
        region=region, name=name, defaults={"kind": kind, "is_demo": True, **extra}
    )
    return org


@functools.cache
def _demo_password_hash() -> str:
    # Hashing is slow on purpose; the demo users share one password, so hash it once.
    return make_password(DEMO_PASSWORD)


def _user(username: str, name: str, org: Organisation, role: str, phone: str = "") -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, password=_demo_password_hash())
    user.name = name
    user.organisation = org
    user.role = role
    user.phone = phone
    user.is_demo = True
    user.is_active = True
    user.save()
    return user


def _demo_phone(n: int) -> str:
    # 13800000000-range numbers: obviously synthetic, valid in form.
    return f"1380000{n:04d}"


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    """Create or refresh the demo organisations and users. Idempotent."""
    county = Region.objects.get(code=COUNTY_CODE)
    townships = list(Region.objects.filter(parent=county, level=Level.TOWNSHIP, is_active=True))
    by_code = {t.code: t for t in townships}

    units = {}
    for name, kind, duties in MEMBER_UNITS:
        units[name] = _org(name, kind, county, is_joint_meeting_member=True, duties=duties)
    civil = units["涵江区民政局"]
    police_bureau = units["莆田市公安局涵江分局"]
    education = units["涵江区教育局"]

    others = {}
    for name, kind, township_code in OTHER_ORGANISATIONS:
        region = by_code[township_code] if township_code else county
        parent = (
            police_bureau
            if kind == OrgKind.POLICE_STATION
            else education
            if kind in (OrgKind.SCHOOL, OrgKind.KINDERGARTEN)
            else civil
            if kind == OrgKind.RELIEF_STATION
            else None
        )
        others[name] = _org(name, kind, region, parent=parent)

    logins: list[DemoLogin] = []
    logins.append(
        DemoLogin(
            _user("admin", "系统管理员（演示）", civil, Role.SYSTEM_ADMIN).username,
            str(Role.SYSTEM_ADMIN.label),
            "全部",
        )
    )
    _user("mzj", "区民政局管理员（演示）", civil, Role.DISTRICT_ADMIN, _demo_phone(1))
    logins.append(DemoLogin("mzj", str(Role.DISTRICT_ADMIN.label), county.name))
    _user("leader", "分管领导（演示）", civil, Role.LEADER)
    logins.append(DemoLogin("leader", str(Role.LEADER.label), county.name))
    _user("jyj", "区教育局联络员（演示）", education, Role.DEPARTMENT_LIAISON, _demo_phone(2))
    _user("fl", "区妇联联络员（演示）", units["涵江区妇联"], Role.DEPARTMENT_LIAISON, _demo_phone(3))

    n = 10
    for township in townships:
        gov = _org(township_government_name(township), OrgKind.TOWNSHIP_GOVERNMENT, township, parent=None)
        n += 1
        _user(
            f"dd{township.code[6:9]}",
            f"{township.name}儿童督导员（演示）",
            gov,
            Role.TOWNSHIP_SUPERVISOR,
            _demo_phone(n),
        )
        for village in Region.objects.filter(parent=township, is_active=True):
            committee = _org(village.name, OrgKind.VILLAGE_COMMITTEE, village, parent=gov)
            n += 1
            _user(
                f"cz{village.code[6:]}",
                f"{village.name.removesuffix('委会')}儿童主任（演示）",
                committee,
                Role.VILLAGE_DIRECTOR,
                _demo_phone(n),
            )

    jiangkou = by_code["350303104000"]
    first_village = Region.objects.filter(parent=jiangkou).order_by("code").first()
    logins.append(DemoLogin("dd104", str(Role.TOWNSHIP_SUPERVISOR.label), jiangkou.name))
    if first_village is not None:
        logins.append(
            DemoLogin(
                f"cz{first_village.code[6:]}", str(Role.VILLAGE_DIRECTOR.label), f"{jiangkou.name}{first_village.name}"
            )
        )
    _user("xx104", "江口中心小学联络员（演示）", others["江口中心小学（演示）"], Role.SCHOOL_LIAISON, _demo_phone(900))
    logins.append(DemoLogin("xx104", str(Role.SCHOOL_LIAISON.label), "江口中心小学（演示）"))
    _user("pcs104", "江口派出所民警（演示）", others["江口派出所"], Role.POLICE_OFFICER, _demo_phone(901))
    logins.append(DemoLogin("pcs104", str(Role.POLICE_OFFICER.label), "江口派出所"))
    _user("sg", "社工（演示）", others["涵江区益心社会工作服务中心（演示）"], Role.SERVICE_PROVIDER, _demo_phone(902))
    logins.append(DemoLogin("sg", str(Role.SERVICE_PROVIDER.label), county.name))

    audit.record(
        actor=None,
        kind=AuditKind.WRITE,
        action="demo.load",
        region_code=COUNTY_CODE,
        detail="演示机构和用户已创建或刷新",
    )
    return logins
