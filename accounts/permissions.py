"""What each role may *do*. What a user may *see* is core.scoping's business, not this module's."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from accounts.roles import Role


class Perm(StrEnum):
    VIEW_REGIONS = "view_regions"
    VIEW_ORGANISATIONS = "view_organisations"
    MANAGE_ORGANISATIONS = "manage_organisations"
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    VIEW_CHILDREN = "view_children"
    EDIT_CHILDREN = "edit_children"
    REVIEW_CHILDREN = "review_children"
    CONFIRM_CHILDREN = "confirm_children"
    EXPORT_LEDGER = "export_ledger"
    IMPORT_DATA = "import_data"
    VERIFY_DISCREPANCIES = "verify_discrepancies"


_EVERYONE = frozenset({Perm.VIEW_REGIONS, Perm.VIEW_ORGANISATIONS})

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.SYSTEM_ADMIN: frozenset(Perm),
    Role.DISTRICT_ADMIN: frozenset(Perm),
    Role.DEPARTMENT_LIAISON: _EVERYONE,
    Role.TOWNSHIP_SUPERVISOR: _EVERYONE
    | {
        Perm.VIEW_USERS,
        Perm.MANAGE_USERS,
        Perm.VIEW_AUDIT,
        Perm.VIEW_CHILDREN,
        Perm.EDIT_CHILDREN,
        Perm.REVIEW_CHILDREN,
        Perm.EXPORT_LEDGER,
        Perm.IMPORT_DATA,
        Perm.VERIFY_DISCREPANCIES,
    },
    Role.VILLAGE_DIRECTOR: _EVERYONE
    | {Perm.VIEW_CHILDREN, Perm.EDIT_CHILDREN, Perm.EXPORT_LEDGER, Perm.VERIFY_DISCREPANCIES},
    Role.SCHOOL_LIAISON: _EVERYONE,
    Role.POLICE_OFFICER: _EVERYONE,
    Role.SERVICE_PROVIDER: _EVERYONE,
    Role.LEADER: _EVERYONE | {Perm.VIEW_USERS},
}

# Which roles a user manager may give: never more than they hold themselves.
ASSIGNABLE_ROLES: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: frozenset(Role.values),
    Role.DISTRICT_ADMIN: frozenset(Role.values) - {Role.SYSTEM_ADMIN},
    Role.TOWNSHIP_SUPERVISOR: frozenset({Role.VILLAGE_DIRECTOR, Role.SERVICE_PROVIDER}),
}


def has_perm(user: Any, perm: Perm) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role, frozenset())


def permissions_of(user: Any) -> frozenset[Perm]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return ROLE_PERMISSIONS.get(user.role, frozenset())


def assignable_roles(user: Any) -> frozenset[str]:
    if not has_perm(user, Perm.MANAGE_USERS):
        return frozenset()
    return ASSIGNABLE_ROLES.get(user.role, frozenset())


_V = TypeVar("_V", bound=Callable[..., HttpResponseBase])


def require(perm: Perm) -> Callable[[_V], _V]:
    """View decorator: sign-in required, then the permission (403 without it)."""

    def decorator(view: _V) -> _V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_perm(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator
