"""Writes to organisations and users. Each is atomic and leaves an audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.permissions import Perm, assignable_roles, has_perm
from accounts.roles import ORG_KIND_LEVEL, ROLE_ORG_KINDS
from core import audit
from regions.models import Level, Region

ORGANISATION_FIELDS = (
    "name",
    "kind",
    "region",
    "parent",
    "unit_code",
    "is_joint_meeting_member",
    "duties",
    "phone",
    "address",
    "is_active",
)
USER_FIELDS = ("username", "name", "phone", "organisation", "role", "is_active")


def _check_region_in_scope(actor: User, region: Region) -> None:
    if not Region.objects.for_user(actor).filter(pk=region.pk).exists():
        raise PermissionDenied


def _check_org_in_scope(actor: User, organisation: Organisation) -> None:
    if not Organisation.objects.for_user(actor).filter(pk=organisation.pk).exists():
        raise PermissionDenied


def validate_organisation(*, kind: str, region: Region) -> None:
    expected = ORG_KIND_LEVEL.get(kind)
    if expected is not None and region.level != expected:
        message = _("An organisation of this kind must be tied to a region of level “%(level)s”.")
        raise ValidationError({"region": message % {"level": Level(expected).label}})


@transaction.atomic
def organisation_create(*, actor: User, **values: Any) -> Organisation:
    if not has_perm(actor, Perm.MANAGE_ORGANISATIONS):
        raise PermissionDenied
    _check_region_in_scope(actor, values["region"])
    validate_organisation(kind=values["kind"], region=values["region"])
    organisation = Organisation(**{k: v for k, v in values.items() if k in ORGANISATION_FIELDS})
    organisation.full_clean()
    organisation.save()
    audit.record_change(actor=actor, action="organisation.create", obj=organisation)
    return organisation


@transaction.atomic
def organisation_update(*, actor: User, organisation: Organisation, **values: Any) -> Organisation:
    if not has_perm(actor, Perm.MANAGE_ORGANISATIONS):
        raise PermissionDenied
    _check_org_in_scope(actor, organisation)
    region = values.get("region", organisation.region)
    _check_region_in_scope(actor, region)
    validate_organisation(kind=values.get("kind", organisation.kind), region=region)
    before = audit.snapshot(organisation)
    for key, value in values.items():
        if key in ORGANISATION_FIELDS:
            setattr(organisation, key, value)
    organisation.full_clean()
    organisation.save()
    audit.record_change(actor=actor, action="organisation.update", obj=organisation, before=before)
    return organisation


def validate_membership(*, role: str, organisation: Organisation | None) -> None:
    if organisation is None:
        raise ValidationError({"organisation": _("Every user belongs to an organisation.")})
    if organisation.kind not in ROLE_ORG_KINDS.get(role, frozenset()):
        raise ValidationError(
            {"role": _("This role cannot be held by a member of “%(org)s”.") % {"org": organisation.name}}
        )


def _check_can_manage(actor: User, *, role: str, organisation: Organisation | None) -> None:
    if not has_perm(actor, Perm.MANAGE_USERS) or role not in assignable_roles(actor):
        raise PermissionDenied
    if organisation is not None:
        _check_org_in_scope(actor, organisation)


@transaction.atomic
def user_create(
    *,
    actor: User,
    username: str,
    name: str,
    organisation: Organisation,
    role: str,
    password: str,
    phone: str = "",
) -> User:
    _check_can_manage(actor, role=role, organisation=organisation)
    validate_membership(role=role, organisation=organisation)
    user = User(username=username, name=name, phone=phone, organisation=organisation, role=role)
    user.must_change_password = True
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    audit.record_change(actor=actor, action="user.create", obj=user)
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, **values: Any) -> User:
    _check_can_manage(actor, role=user.role, organisation=user.organisation)
    new_role = values.get("role", user.role)
    new_org = values.get("organisation", user.organisation)
    _check_can_manage(actor, role=new_role, organisation=new_org)
    validate_membership(role=new_role, organisation=new_org)
    if user.pk == actor.pk and (new_role != user.role or values.get("is_active", True) is False):
        raise ValidationError(_("You cannot change your own role or deactivate yourself."))
    before = audit.snapshot(user)
    for key, value in values.items():
        if key in USER_FIELDS:
            setattr(user, key, value)
    user.full_clean()
    user.save()
    audit.record_change(actor=actor, action="user.update", obj=user, before=before)
    return user


@transaction.atomic
def user_reset_password(*, actor: User, user: User, password: str) -> User:
    _check_can_manage(actor, role=user.role, organisation=user.organisation)
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit.record(actor=actor, kind="write", action="user.reset_password", obj=user)
    return user


@transaction.atomic
def user_change_own_password(*, user: User, password: str) -> User:
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record(actor=user, kind="write", action="user.change_password", obj=user)
    return user
