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
