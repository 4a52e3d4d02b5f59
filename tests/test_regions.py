from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from regions.models import Kind, Level, Region
from regions.services import regions_load

DATA = Path(__file__).resolve().parent.parent / "regions" / "data"


@pytest.fixture
def hanjiang(db: None) -> None:
    call_command("load_regions", str(DATA / "china-counties-2024.csv"), release="NBS 2024", verbosity=0)
    call_command("load_regions", str(DATA / "hanjiang-350303-villages-2020.csv"), release="NBS 2020", verbosity=0)


def test_hanjiang_loads_with_levels_kinds_and_parents(hanjiang: None) -> None:
    county = Region.objects.get(code="350303000000")
    assert county.parent is not None and county.parent.code == "350300000000"
    townships = Region.objects.filter(parent=county, level=Level.TOWNSHIP)
    assert townships.count() == 13
    assert Region.objects.filter(code__startswith="350303", level=Level.VILLAGE).count() == 200
    assert Region.objects.get(code="350303001000").kind == Kind.SUBDISTRICT
    assert Region.objects.get(code="350303104000").kind == Kind.TOWN
    assert Region.objects.get(code="350303200000").kind == Kind.TOWNSHIP
    assert Region.objects.get(code="350303500000").kind == Kind.DEVELOPMENT_ZONE
    assert Region.objects.get(code="350303001001").kind == Kind.RESIDENTS_COMMITTEE
    assert Region.objects.get(code="350303104201").kind == Kind.VILLAGE_COMMITTEE
    village = Region.objects.get(code="350303104201")
    assert village.full_name.startswith("福建省莆田市涵江区江口镇")
    assert [a.code for a in village.ancestors()] == ["350000000000", "350300000000", "350303000000", "350303104000"]
    assert Region.objects.filter(level=Level.COUNTY).count() > 2800


def test_loading_twice_changes_nothing(hanjiang: None) -> None:
    count = Region.objects.count()
    events = AuditEvent.objects.count()
    result = regions_load(
        actor=None, content=(DATA / "hanjiang-350303-villages-2020.csv").read_bytes(), release="NBS 2020"
    )
    assert (result.created, result.updated) == (0, 0)
    assert Region.objects.count() == count
    assert AuditEvent.objects.count() == events


def test_a_newer_release_renames_adds_and_retires(hanjiang: None) -> None:
    content = (
        "code,name,level,parent_code\n"
        "350303000000,涵江区,county,\n"
        "350303104000,江口镇,township,350303000000\n"
        "350303104201,东大新村委会,village,350303104000\n"
        "350303104999,新设社区居委会,village,350303104000\n"
    ).encode()
    result = regions_load(actor=None, content=content, release="NBS 2030", retire_missing=True)
    assert result.created == 1 and result.updated >= 1
    assert Region.objects.get(code="350303104201").name == "东大新村委会"
    assert not Region.objects.get(code="350303104202").is_active
    assert Region.objects.get(code="350303106000").is_active is False
    assert Region.objects.get(code="350300000000").is_active  # above the file's top level


def test_gbk_file_and_six_digit_codes_load(db: None) -> None:
    content = "code,name,level,parent_code\n350000,福建省,province,\n350300,莆田市,prefecture,350000\n".encode("gbk")
    result = regions_load(actor=None, content=content, release="test")
    assert result.created == 2
    assert Region.objects.get(code="350300000000").parent == Region.objects.get(code="350000000000")


def test_placeholder_levels_are_not_said_in_full_names(db: None) -> None:
    content = (
        "code,name,level,parent_code\n310000,上海市,province,\n310100,市辖区,prefecture,310000\n"
        "310115,浦东新区,county,310100\n420000,湖北省,province,\n429000,省直辖县级行政区划,prefecture,420000\n"
        "429004,仙桃市,county,429000\n"
    ).encode()
    assert not regions_load(actor=None, content=content, release="test").errors
    assert Region.objects.get(code="310115000000").full_name == "上海市浦东新区"
    assert Region.objects.get(code="429004000000").full_name == "湖北省仙桃市"
    assert Region.objects.get(code="310100000000").name == "市辖区"  # the row itself keeps its name


def test_bad_rows_stop_the_load_with_row_numbers(db: None) -> None:
    content = (
        "code,name,level,parent_code\n350000,福建省,province,\n3503X0,坏代码,prefecture,\n350300,,prefecture,\n"
    ).encode()
    result = regions_load(actor=None, content=content, release="test")
    assert Region.objects.count() == 0
    assert result.errors[0].startswith("第 3 行") and result.errors[1].startswith("第 4 行")


def test_missing_column_is_named(tmp_path: Path, db: None) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("code,name\n350000,福建省\n", encoding="utf-8")
    with pytest.raises(CommandError, match="parent_code"):
        call_command("load_regions", str(path))


def test_region_pages_scope(hanjiang: None, client) -> None:  # type: ignore[no-untyped-def]
    from accounts.models import Organisation, User
    from accounts.roles import OrgKind, Role

    township = Region.objects.get(code="350303104000")
    org = Organisation.objects.create(name="江口镇人民政府", kind=OrgKind.TOWNSHIP_GOVERNMENT, region=township)
    user = User.objects.create(username="s", name="督导", organisation=org, role=Role.TOWNSHIP_SUPERVISOR)
    client.force_login(user)
    assert client.get("/regions/").status_code == 200
    body = client.get("/regions/350303104000/").content.decode()
    assert "东大村委会" in body
    assert client.get("/regions/350303106000/").status_code == 404
    assert client.get("/regions/350303000000/").status_code == 404
    assert client.get("/regions/350303104000/", {"q": "东大"}).status_code == 200
