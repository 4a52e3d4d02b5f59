"""Settings fail closed when DEBUG is off."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _import_settings(tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import a copy of the settings in a folder with no .env, so only ``env`` counts."""
    shutil.copytree(ROOT / "config", tmp / "config", ignore=shutil.ignore_patterns("__pycache__"))
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_HTTPS"}}
    clean.update(env)
    clean["PYTHONPATH"] = str(tmp)
    code = (
        "import config.settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    return subprocess.run(  # noqa: S603  (our own interpreter and code)
        [sys.executable, "-c", code], cwd=tmp, env=clean, capture_output=True, text=True, check=False
    )


def test_missing_secret_key_fails(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, DEBUG="false", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_missing_allowed_hosts_fails(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, DEBUG="false", SECRET_KEY="k" * 60)
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr


def test_production_defaults_to_https_protections(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, DEBUG="false", SECRET_KEY="k" * 60, ALLOWED_HOSTS="example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "31536000"]


def test_bad_boolean_is_an_error_not_a_guess(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG" in result.stderr


def test_language_and_time_zone() -> None:
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"


def test_access_log_keeps_no_query_string_or_referrer() -> None:
    """Searches carry names and full ID numbers in the query string: gunicorn's log (its
    ``gunicorn.conf.py``, read from the project folder) names the path only."""
    import datetime as dt
    import runpy
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    number = "350303201107039121"
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/children/ledger.xlsx",
        "QUERY_STRING": f"q={number}",
        "RAW_URI": f"/children/ledger.xlsx?q={number}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.8",
        "HTTP_REFERER": f"http://shouhu/children/?q={number}",
        "HTTP_USER_AGENT": "Chrome",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    atoms = Logger(config).atoms(response, SimpleNamespace(headers=[]), environ, dt.timedelta(seconds=0.1))
    line = config.access_log_format % atoms
    assert "/children/ledger.xlsx" in line and "10.0.0.8" in line
    assert number not in line and "q=" not in line
