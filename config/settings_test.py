"""Settings of the test suite: the production settings on the real services (PostgreSQL and Redis on
127.0.0.1 unless ``DATABASE_URL`` / ``REDIS_URL`` say otherwise), static files served from the app
folders (no collectstatic), a test-only secret key, plain HTTP, and no embedded-defaults notice.
The Content-Security-Policy stays on, so the browser tests prove the pages work under it."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/exec_sponsor")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("EXEC_SPONSOR_QUIET_EMBEDDED", "1")
# The suite's own key (tests only; production refuses to start without DJANGO_SECRET_KEY), and plain
# HTTP for the test client and the browser tests' live server.  tests/test_production_settings.py runs
# `check --deploy` with the production environment.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-suite-only-key-" + "k" * 40)
os.environ.setdefault("DJANGO_HTTPS", "0")

from .settings import *  # noqa: E402, F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
# Real hashing costs ~0.5 s per user; tests only need passwords to round-trip.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
