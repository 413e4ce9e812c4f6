"""Production settings are safe by default (README "Deploying / production settings"): no public
fallback secret key, HTTPS with HSTS and secure cookies, Django's Content-Security-Policy, and
`check --deploy` clean with only the documented environment.  Each runs the real `manage.py` in a
fresh process with exactly that environment (config.settings, not the test settings)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEY = "a-long-random-production-key-" + "Zq8#x" * 8
PRODUCTION_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "HOME": os.environ.get("HOME", ""),
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/exec_sponsor",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_HOST": "smtp.example.com",
    "DJANGO_ALLOWED_HOSTS": "tracker.example.com",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
    "DJANGO_SECRET_KEY": KEY,
}


def manage(*args, env, code=None):
    command = [sys.executable, "manage.py", *args] if code is None else [sys.executable, "-c", code]
    return subprocess.run(command, cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_the_documented_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_a_secret_key_production_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert "insecure" not in result.stdout + result.stderr


def test_the_embedded_demo_gets_a_private_random_key_not_a_public_one():
    """`make demo` (no DATABASE_URL, DEBUG unset) starts with a key made for this checkout."""
    env = {"PATH": PRODUCTION_ENV["PATH"], "HOME": PRODUCTION_ENV["HOME"], "EXEC_SPONSOR_QUIET_EMBEDDED": "1"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    first, second = manage(env=env, code=code), manage(env=env, code=code)
    key_file = ROOT / "var" / "secret_key"
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 50
    assert key_file.read_text().strip() == first.stdout.strip()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.stdout.strip() not in (ROOT / "config" / "settings.py").read_text()


def test_the_embedded_demo_can_store_secrets_with_a_key_made_for_this_checkout():
    """A newcomer's first run stores a CRM token or Slack webhook without configuring a key; production does not."""
    code = ("import django; django.setup(); from sponsors import crypto; "
            "print(crypto.decrypt(crypto.encrypt('pat-na1-demo')) or crypto.configuration_problem())")
    demo = manage(env={"PATH": PRODUCTION_ENV["PATH"], "HOME": PRODUCTION_ENV["HOME"],
                       "EXEC_SPONSOR_QUIET_EMBEDDED": "1"}, code=code)
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.strip() == "pat-na1-demo"
    key_file = ROOT / "var" / "encryption_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    production = manage(env=PRODUCTION_ENV, code=code)
    assert production.returncode != 0
    assert "EXEC_SPONSOR_ENCRYPTION_KEYS is not set" in production.stderr


# The production settings as they are, except static files are served from the app folders (this
# checkout has not run collectstatic, which the manifest storage needs).
RESPONSES = """
import django, json
import config.settings as production
production.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
django.setup()
from django.test import Client
client = Client(HTTP_HOST="tracker.example.com")
plain = client.get("/accounts/login/")
proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "https": [proxied.status_code, dict(proxied.headers), {k: dict(v) for k, v in proxied.cookies.items()}],
}))
"""


def test_production_pages_are_https_only_with_hsts_secure_cookies_and_a_csp():
    result = manage(env=PRODUCTION_ENV, code=RESPONSES)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["plain"] == [301, "https://tracker.example.com/accounts/login/"]
    status, headers, cookies = got["https"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert cookies["csrftoken"]["secure"] is True


TEMPLATES = ROOT / "templates"
INLINE = [(re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
          (re.compile(r"<style\b", re.I), "a <style> element"),
          (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
          (re.compile(r"\son[a-z]+\s*=", re.I), "an on…= event handler"),
          (re.compile(r"\bhx-on", re.I), "an hx-on handler (eval)")]
# The printable report is a self-contained download (its own CSP allows only its inline style);
# e-mails are not pages.
NOT_PAGES = {"reports/sponsor_report_print.html"}


PAGE_TEMPLATES = sorted(name for name in (str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
                        if not name.startswith("emails/") and name not in NOT_PAGES)


@pytest.mark.parametrize("template", PAGE_TEMPLATES)
def test_page_templates_have_nothing_the_csp_would_block(template):
    text = (TEMPLATES / template).read_text()
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert not found, f"{template}: {', '.join(found)}"


@pytest.mark.django_db
def test_pages_are_served_with_the_policy_and_the_printable_report_with_its_own(client, cast, document):
    from .guardrails_support import account, import_document

    import_document(document)
    client.force_login(cast["csm"])
    page = client.get("/")
    printable = client.get(f"/accounts/{account().pk}/report.html?as_of=2026-11-20")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert printable.status_code == 200
    assert printable["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")


def test_the_embedded_sqlite_demo_says_crm_sync_needs_postgresql():
    """The CRM mirror is written with PostgreSQL upserts: on the embedded demo the command says so and why."""
    result = manage("sync_crm", env={"PATH": PRODUCTION_ENV["PATH"], "HOME": PRODUCTION_ENV["HOME"],
                                     "EXEC_SPONSOR_QUIET_EMBEDDED": "1"})
    assert result.returncode != 0
    assert "CRM sync needs PostgreSQL: set DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
