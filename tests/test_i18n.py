"""Every English msgid in the code has a Chinese translation."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def parse_po(text: str) -> dict[str, tuple[str, bool]]:
    """msgid -> (msgstr, fuzzy), for a .po written by makemessages."""
    entries: dict[str, tuple[str, bool]] = {}
    for block in re.split(r"\n\s*\n", text):
        fuzzy = "#, fuzzy" in block
        msgid = _field(block, "msgid")
        context = _field(block, "msgctxt")
        msgstr = _field(block, "msgstr") or _field(block, r"msgstr\[0\]")
        if msgid:
            entries[f"{context}\x04{msgid}" if context else msgid] = (msgstr, fuzzy)
    return entries


def _field(block: str, name: str) -> str:
    match = re.search(rf'^{name} ((?:".*"\n?)+)', block, re.M)
    if not match:
        return ""
    return "".join(re.findall(r'"(.*)"', match.group(1)))


def test_committed_catalogue_is_complete() -> None:
    entries = parse_po(PO.read_text(encoding="utf-8"))
    assert len(entries) > 150
    missing = [msgid for msgid, (msgstr, fuzzy) in entries.items() if not msgstr or fuzzy]
    assert missing == []


def test_every_msgid_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    """Extract the msgids afresh from a copy of the sources and compare."""
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", "node_modules", "var", ".git", "static", "*.pyc", "__pycache__", "locale")
    shutil.copytree(ROOT, copy, ignore=ignore)
    (copy / "locale").mkdir()
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v", "0"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = parse_po((copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    committed = parse_po(PO.read_text(encoding="utf-8"))
    untranslated = sorted(m for m in fresh if not committed.get(m, ("", False))[0])
    assert untranslated == [], "run `make messages` and translate these"


def test_pages_render_in_chinese(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/accounts/login/").content.decode()
    assert "Sign in" not in body and "Password" not in body
