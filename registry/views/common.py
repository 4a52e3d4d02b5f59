"""What every registry view needs."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


def user_of(request: HttpRequest) -> User:
    """The signed-in user (every registry view requires one)."""
    assert isinstance(request.user, User)
    return request.user
