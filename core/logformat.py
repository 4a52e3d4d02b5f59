"""The server log's format: tracebacks without the exception's message.

A database error's message quotes the row it failed on (PostgreSQL's ``DETAIL: Key (id_number)=(…)``),
and an import's error can quote a cell of the file: a child's ID number or name. The log is read by
people who may not see that child's file, so a traceback keeps its frames (where it failed) and the
exception's type, never its message.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

WITHHELD = "(message withheld: it may hold personal data)"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def _name(exc_type: type[BaseException]) -> str:
    module = exc_type.__module__
    return exc_type.__qualname__ if module == "builtins" else f"{module}.{exc_type.__qualname__}"


class WithheldMessageFormatter(logging.Formatter):
    def formatException(self, ei: ExcInfo) -> str:
        exc_type, exc, _ = ei
        if exc_type is None or exc is None:
            return ""
        parts: list[str] = []
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            frames = "".join(traceback.format_tb(current.__traceback__))
            parts.append(f"Traceback (most recent call last):\n{frames}{_name(type(current))} {WITHHELD}")
            current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
        # The innermost first, as Python prints a chain.
        return "\n\nDuring handling of the above exception, another exception occurred:\n\n".join(reversed(parts))
