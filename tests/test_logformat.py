"""The server log keeps a traceback's frames and types, never an exception's message."""

from __future__ import annotations

import io
import logging
import logging.config
from typing import Any

from django.conf import settings

from core.logformat import WITHHELD, WithheldMessageFormatter

NUMBER = "35030320160305457X"


def _log_failure(formatter: logging.Formatter) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.logformat")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"Key (id_number)=({NUMBER}) already exists.")
        except ValueError as exc:
            raise RuntimeError(f"import failed on {NUMBER}") from exc
    except RuntimeError:
        logger.exception("import batch %s failed", 7)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_traceback_keeps_frames_and_types_but_not_messages() -> None:
    out = _log_failure(WithheldMessageFormatter("%(message)s"))
    assert "import batch 7 failed" in out
    assert "ValueError" in out and "RuntimeError" in out and "_log_failure" in out
    assert out.count(WITHHELD) == 2
    assert NUMBER not in out


def test_the_plain_formatter_would_print_the_number() -> None:
    # What the test above guards against: Python's own formatter prints the messages.
    assert NUMBER in _log_failure(logging.Formatter("%(message)s"))


def test_the_server_log_uses_it() -> None:
    config: Any = settings.LOGGING
    assert config["formatters"]["plain"]["()"] == "core.logformat.WithheldMessageFormatter"
    assert config["handlers"]["console"]["formatter"] == "plain"
