from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class ShouhuModelBackend(ModelBackend):
    """The default backend, loading the user's organisation and region with the user."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User.objects.select_related("organisation__region").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
