from __future__ import annotations

from django.core.management import call_command

from accounts.models import Organisation, User
from accounts.roles import Role
from tests.test_regions import DATA


def test_demo_data_is_complete_marked_and_idempotent(db: None, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("load_regions", str(DATA / "china-counties-2024.csv"), verbosity=0)
    call_command("load_regions", str(DATA / "hanjiang-350303-villages-2020.csv"), verbosity=0)
    call_command("load_demo")
    first = (User.objects.count(), Organisation.objects.count())
    call_command("load_demo")
    assert (User.objects.count(), Organisation.objects.count()) == first
    assert User.objects.filter(role=Role.TOWNSHIP_SUPERVISOR).count() == 13
    assert User.objects.filter(role=Role.VILLAGE_DIRECTOR).count() == 200
    assert Organisation.objects.filter(is_joint_meeting_member=True).count() == 22
    assert not User.objects.filter(is_demo=False).exists()
    assert not Organisation.objects.filter(is_demo=False).exists()
    for role in Role.values:
        assert User.objects.filter(role=role).exists(), role
    assert "Shouhu-demo-2026" in capsys.readouterr().out


def test_demo_children_go_to_the_demo_schools_where_there_are_some(db: None) -> None:
    from registry.demo import load_demo_children
    from registry.models import Child

    call_command("load_regions", str(DATA / "china-counties-2024.csv"), verbosity=0)
    call_command("load_regions", str(DATA / "hanjiang-350303-villages-2020.csv"), verbosity=0)
    call_command("load_demo")
    load_demo_children(per_village=3)
    in_jiangkou = Child.objects.filter(region_code__startswith="350303104", school__isnull=False)
    jiangkou_schools = {"江口中心幼儿园（演示）", "江口中心小学（演示）", "江口中学（演示）"}
    assert {c.school.name for c in in_jiangkou if c.school} <= jiangkou_schools
    assert in_jiangkou.exists()
    # Elsewhere the school is a name, as typed: every child at school has one or the other.
    at_school = Child.objects.filter(schooling__in=["kindergarten", "primary", "junior", "senior"])
    assert not at_school.filter(school__isnull=True, school_name="").exists()


def test_some_demo_fathers_work_abroad_and_their_children_are_left_behind(db: None) -> None:
    from registry.demo import load_demo_children
    from registry.models import FamilyMember

    call_command("load_regions", str(DATA / "china-counties-2024.csv"), verbosity=0)
    call_command("load_regions", str(DATA / "hanjiang-350303-villages-2020.csv"), verbosity=0)
    call_command("load_demo")
    load_demo_children(per_village=3)
    fathers = FamilyMember.objects.filter(relationship="51", status="away_for_work")
    abroad = fathers.exclude(work_country="")
    assert 0.04 < abroad.count() / fathers.count() < 0.2
    assert not abroad.filter(work_region__isnull=False).exists()
    assert abroad.filter(child__is_left_behind=True).exists()
