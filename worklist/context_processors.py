from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from worklist.selectors import open_count


def todo(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"todo_count": open_count(user)}
