"""Static checks over every template file of the project."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
OPEN_COMMENT = re.compile(r"\{#(?!.*#\})")


def template_files() -> list[Path]:
    return [path for folder in TEMPLATE_DIRS for path in sorted(folder.rglob("*.html"))]


def test_there_are_templates_to_check() -> None:
    assert len(template_files()) > 20


def test_no_comment_spans_lines() -> None:
    # Django's {# #} comment ends on its own line; one that runs on is printed on the page.
    unclosed = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in template_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OPEN_COMMENT.search(line)
    ]
    assert unclosed == []
