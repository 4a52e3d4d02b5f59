"""The one place where rows are limited to a user's jurisdiction.

Every scoped model names, in ``scope_path``, the lookup that reaches a 12-digit region code
(for example ``"region__code"``); a row that concerns two places also lists
``also_scope_paths``. A user exposes ``scope_prefix``: ``""`` for everything, the
significant digits of their jurisdiction's code (``"350303104"`` for a township), or ``None``
for nothing. Region codes nest by prefix, so a jurisdiction is a ``startswith`` on one indexed
column, which is also the key a province-wide database is partitioned on.

Views reach scoped rows only through ``Model.objects.for_user(user)`` or
``get_for_user_or_404``; rows out of scope do not exist for them (404, not 403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

_M = TypeVar("_M", bound=models.Model)


class ScopedUser(Protocol):
    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def scope_prefix(self) -> str | None: ...


def scope_prefix_of(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    prefix: str | None = getattr(user, "scope_prefix", None)
    return prefix


class ScopedQuerySet(models.QuerySet[_M]):
    def for_user(self, user: ScopedUser | AnonymousUser | None) -> Self:
        prefix = scope_prefix_of(user)
        if prefix is None:
            return self.none()
        if prefix == "":
            return self.all()
        path: str = getattr(self.model, "scope_path")  # noqa: B009  (declared by each scoped model)
        # A row that concerns two places (a transfer between villages) is in scope from either.
        condition = models.Q(**{f"{path}__startswith": prefix})
        for other in getattr(self.model, "also_scope_paths", ()):
            condition |= models.Q(**{f"{other}__startswith": prefix})
        return self.filter(condition)


def is_scoped_model(model: type[models.Model]) -> bool:
    return isinstance(getattr(model, "scope_path", None), str) and isinstance(
        model._default_manager.all(), ScopedQuerySet
    )


def get_for_user_or_404(
    source: type[_M] | models.QuerySet[_M], user: ScopedUser | AnonymousUser | None, **lookup: Any
) -> _M:
    """Fetch one row the user may see, or raise 404 exactly as if it did not exist."""
    queryset: models.QuerySet[_M] = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    if not isinstance(queryset, ScopedQuerySet):
        raise TypeError(f"{queryset.model.__name__} is not a jurisdiction-scoped model.")
    try:
        return queryset.for_user(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
