"""factory_boy factories for the project's models."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password
from factory.declarations import LazyAttribute, Sequence, SubFactory

from accounts.models import Organisation, User
from accounts.roles import OrgKind, Role
from core.models import AuditEvent, AuditKind
from regions.models import Kind, Level, Region

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
