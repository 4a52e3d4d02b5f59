"""Test settings: only what the tests need differs from production."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-" + "x" * 60)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_HTTPS", "false")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The live server of the browser tests shares the test database connection across threads;
# health checks at the end of each request would try to close it from the wrong thread.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405
