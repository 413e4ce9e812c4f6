"""Settings of the test suite: the production settings on the real services (PostgreSQL and Redis on
127.0.0.1 unless ``DATABASE_URL`` / ``REDIS_URL`` say otherwise), static files served from the app
folders (no collectstatic), and no embedded-defaults notice."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/exec_sponsor")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("EXEC_SPONSOR_QUIET_EMBEDDED", "1")

from .settings import *  # noqa: E402, F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
# Real hashing costs ~0.5 s per user; tests only need passwords to round-trip.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
