"""factory_boy factories for the project's models."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.hashers import make_password
from factory.declarations import LazyAttribute, Sequence, SubFactory

from accounts.models import Organisation, User
from accounts.roles import OrgKind, Role
from core.models import AuditEvent, AuditKind
from regions.models import Kind, Level, Region
from registry.models import Child

PASSWORD = "Test-pass-2026"
_PASSWORD_HASH = make_password(PASSWORD, hasher="md5")


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = Sequence(lambda n: f"350303{900 + n % 99:03d}000")
    name = Sequence(lambda n: f"测试{n}镇")
    full_name = LazyAttribute(lambda o: f"{o.parent.full_name if o.parent else ''}{o.name}")
    level = Level.TOWNSHIP
    kind = Kind.TOWN
    parent = None


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = Sequence(lambda n: f"测试单位{n}")
    kind = OrgKind.VILLAGE_COMMITTEE
    region = SubFactory(RegionFactory)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = Sequence(lambda n: f"user{n}")
    name = Sequence(lambda n: f"测试用户{n}")
    password = _PASSWORD_HASH
    role = Role.VILLAGE_DIRECTOR
    organisation = SubFactory(OrganisationFactory)


class AuditEventFactory(factory.django.DjangoModelFactory[AuditEvent]):
    class Meta:
        model = AuditEvent

    kind = AuditKind.WRITE
    action = "test.event"
    actor_name = "测试"
    object_repr = Sequence(lambda n: f"测试对象{n}")


def make_child(village: Region, *, actor: object = None, **overrides: object) -> Child:
    """A child's file written through the service, as a village officer would (draft)."""
    from datetime import date

    from registry import services

    values: dict[str, object] = {
        "name": "张三",
        "gender": "1",
        "ethnicity": "01",
        "birth_date": date(2016, 3, 5),
        "id_number": "",
        "hukou_unregistered": True,
        "hukou_village": village,
        "hukou_nature": "rural",
        "health": "healthy",
        "schooling": "primary",
        "school_name": "江口中心小学",
        "grade": "四年级",
        "living_arrangement": "with_grandparents",
        "guardianship_type": "fair",
        "guardianship_assessment": "fair",
    }
    family: Any = overrides.pop("family", None)
    values.update(overrides)
    members = [
        services.MemberData(values=m)
        for m in (
            family
            if family is not None
            else [
                {"relationship": "51", "name": "张父", "status": "away_for_work", "left_on": date(2024, 2, 1)},
                {"relationship": "52", "name": "李母", "status": "away_for_work", "left_on": date(2024, 2, 1)},
            ]
        )
    ]
    if actor is None:
        from accounts.models import User

        actor = User.objects.filter(role="district_admin").first()
    return services.child_save(actor=actor, values=values, members=members, guardian=None)  # type: ignore[arg-type]


def make_registered_child(cast: Any, **overrides: object) -> Child:
    """A child of 东大村委会 taken through the whole entry workflow: registered, with both parents
    away for work in a known county (so that the file's own form can be posted back unchanged)."""
    from datetime import date

    from registry import services

    if "family" not in overrides:
        jinjiang = Region.objects.get(code="350582000000")
        baoan = Region.objects.get(code="440306000000")
        overrides["family"] = [
            {
                "relationship": "51",
                "name": "张父",
                "status": "away_for_work",
                "work_region": jinjiang,
                "left_on": date(2024, 2, 1),
            },
            {
                "relationship": "52",
                "name": "李母",
                "status": "away_for_work",
                "work_region": baoan,
                "left_on": date(2024, 2, 1),
            },
        ]
    child = make_child(cast.village_a, actor=cast.director_a, **overrides)
    services.child_submit(actor=cast.director_a, child=child)
    services.child_approve(actor=cast.supervisor_a, child=child)
    services.child_confirm(actor=cast.district_admin, child=child)
    child.refresh_from_db()
    return child
