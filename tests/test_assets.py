"""Nothing is loaded from outside the app: users are on an intranet."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", re.I)


def _own_files() -> list[Path]:
    files = [p for p in ROOT.rglob("*.html") if ".venv" not in p.parts and "node_modules" not in p.parts]
    files += list((ROOT / "static" / "shouhu").rglob("*"))
    return [p for p in files if p.is_file() and "var" not in p.relative_to(ROOT).parts[:1]]


def test_templates_and_own_static_load_nothing_external() -> None:
    offenders = [str(p) for p in _own_files() if EXTERNAL.search(p.read_text(encoding="utf-8", errors="ignore"))]
    assert offenders == []


def test_vendor_assets_are_served_by_the_app() -> None:
    for path in [
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/htmx/htmx.min.js",
        "vendor/echarts/echarts.min.js",
        "vendor/bootstrap-icons/bootstrap-icons.min.css",
    ]:
        assert finders.find(path), f"{path} missing: run `make assets`"


def test_bootstrap_icons_fonts_are_local() -> None:
    css = (ROOT / "static" / "vendor" / "bootstrap-icons" / "bootstrap-icons.min.css").read_text()
    assert not re.search(r"url\(\s*[\"']?(?:https?:)?//", css) and "fonts/bootstrap-icons.woff2" in css


def test_no_cdn_in_rendered_login(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/accounts/login/").content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', body):
        assert url.startswith(("/", "#", "?")), url
    assert settings.STATIC_URL.strip("/") in body


def test_no_template_comment_spans_lines() -> None:
    """Django's {# #} comment ends at the line's end: one spread over lines is printed on the page."""
    offenders = [
        f"{p.relative_to(ROOT)}:{number}"
        for p in _own_files()
        if p.suffix == ".html"
        for number, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert offenders == []


def test_no_template_has_inline_script() -> None:
    """The Content-Security-Policy runs scripts from the site's files only: an inline <script> or an
    on…="" handler would not run (and would be what an injection looks like)."""
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
    offenders = [
        str(p.relative_to(ROOT))
        for p in _own_files()
        if p.suffix == ".html"
        and (handler.search(p.read_text(encoding="utf-8")) or script.search(p.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_pages_carry_the_content_security_policy(client) -> None:  # type: ignore[no-untyped-def]
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_every_page_has_the_apps_icon(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/accounts/login/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', body)
    assert icon is not None and finders.find("shouhu/favicon.svg")
