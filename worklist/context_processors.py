"""The number of open to-do items in the navigation.

Counting runs a query over the user's jurisdiction on every page, so the count is kept in the
session for ``TTL_SECONDS``: an item that someone else assigns shows in the badge within a minute.
A change the user makes themselves (any POST) drops it at once (``core.middleware`` clears the
session's ``cache:`` keys), and the to-do list page always counts afresh. The count is worked out
only when a template shows it: htmx fragments, which have no navigation, never pay for it.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from django.http import HttpRequest

from worklist.selectors import open_count

TTL_SECONDS = 60
SESSION_KEY = "cache:todo_count"  # [count, expiry as a Unix time]
FRESH_ON = {"todo_list"}  # pages that always count afresh


def cached_open_count(request: HttpRequest, user: Any) -> int:
    session = getattr(request, "session", None)
    match = getattr(request, "resolver_match", None)
    now = time.time()
    if session is not None and (match is None or match.url_name not in FRESH_ON):
        kept = session.get(SESSION_KEY)
        if isinstance(kept, list) and len(kept) == 2 and isinstance(kept[0], int) and now < kept[1]:
            return kept[0]
    count = open_count(user)
    if session is not None:
        session[SESSION_KEY] = [count, now + TTL_SECONDS]
    return count


def todo(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def todo_count() -> int:  # templates call it, once, only where the badge is drawn
        return cached_open_count(request, user)

    return {"todo_count": todo_count}
