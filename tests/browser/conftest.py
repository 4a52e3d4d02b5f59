"""Playwright (Python) driving Debian's Chromium against the live test server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures in
# the same thread are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# What the browser reported against the Content-Security-Policy (or as a script error) during
# the current test: every context made through the fixture below listens.
BROWSER_PROBLEMS: list[str] = []


def _listen(message: Any) -> None:
    if "Content Security Policy" in message.text or (message.type == "error" and "Refused" in message.text):
        BROWSER_PROBLEMS.append(message.text)


class ListeningBrowser:
    """The browser, whose new contexts report CSP violations and uncaught script errors."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **kwargs: Any) -> Any:
        context = self._browser.new_context(**kwargs)
        context.on("console", _listen)
        context.on("weberror", lambda error: BROWSER_PROBLEMS.append(str(error.error)))
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield ListeningBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def no_browser_problems() -> Iterator[None]:
    BROWSER_PROBLEMS.clear()
    yield
    assert BROWSER_PROBLEMS == [], "the browser reported CSP violations or script errors"


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
