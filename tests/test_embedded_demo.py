"""The newcomer's first run: ``make demo``'s own steps on the embedded defaults (SQLite, eager Celery, console
e-mail), then every main page as each demo login, and a 1:1 logged as the CSM.

The rest of the suite runs on PostgreSQL; this is what keeps the SQLite demo working (the alerts inbox once
answered 500 there: SQLite has no LIMIT inside a UNION).  The steps are read from the Makefile's ``demo``
recipe, so the test follows the README's command as it is; each runs the real ``manage.py`` in a fresh
process with ``config.settings`` and no ``DATABASE_URL`` / ``REDIS_URL``, on a database file of its own."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Runs in the demo's process: signs in with each printed login and follows, breadth first, every link and HTMX
# fragment (href, hx-get) of each page it reaches, at most two of each shape of URL (/accounts/N/ …).
VISIT = r"""
import collections, json, re, sys
import django
django.setup()
from django.test import Client
from django.utils import timezone
from sponsors.models import Interaction

SKIP = re.compile(r"^/(static/|accounts/logout|admin/logout)")
logins, out = json.loads(sys.argv[1]), {}
for email, password in logins.items():
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    signed_in = client.post("/accounts/login/", {"username": email, "password": password})
    queue, status, shapes = collections.deque(["/", "/alerts/?page=2", "/admin/"]), {}, collections.Counter()
    while queue and len(status) < 300:
        url = queue.popleft()
        if url in status:
            continue
        response = client.get(url)
        status[url] = response.status_code
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            for link in re.findall(r'(?:href|hx-get)="(/[^"#]*)"', response.content.decode()):
                link = link.replace("&amp;", "&")
                path, _, query = link.partition("?")
                shape = re.sub(r"\d+", "N", path) + "?" + re.sub(r"=[^&]*", "=", query)
                if not SKIP.match(link) and shapes[shape] < 2:
                    shapes[shape] += 1
                    queue.append(link)
    seen = {"signed in": signed_in.status_code, "pages": status}
    accounts = [u for u in status if re.fullmatch(r"/accounts/\d+/", u)]
    if email.startswith("dana@") and accounts:
        page = client.get(accounts[0]).content.decode()
        who = re.search(r'name="log-participants" value="([^"]+)"', page).group(1)
        before = Interaction.objects.filter(account_id=accounts[0].split("/")[2]).count()
        logged = client.post(f"{accounts[0]}interactions/", {
            "log-type": "one_on_one", "log-direction": "meeting", "log-purpose": "strategic",
            "log-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "log-participants": [who],
            "log-outcome": "Agreed the renewal plan"})
        seen["logged"] = [logged.status_code,
                          Interaction.objects.filter(account_id=accounts[0].split("/")[2]).count() - before]
    out[email] = seen
print(json.dumps(out))
"""


def demo_steps() -> list[list[str]]:
    """The ``manage.py`` commands of the Makefile's ``demo`` recipe, in order, but the server it ends with."""
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    steps = []
    for line in recipe.splitlines():
        words = shlex.split(line.strip().replace("$(PORT)", "8000"))
        if words[:2] == ["$(PY)", "manage.py"] and words[2] != "runserver":
            steps.append(words[2:])
    return steps


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""),
           "DJANGO_SETTINGS_MODULE": "config.settings", "EXEC_SPONSOR_QUIET_EMBEDDED": "1",
           "EXEC_SPONSOR_SQLITE_PATH": str(tmp_path_factory.mktemp("demo") / "db.sqlite3")}
    outputs = {}
    for step in demo_steps():
        result = subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, f"manage.py {' '.join(step)}:\n{result.stdout}\n{result.stderr}"
        for noise in ("WARNING", "System check identified"):        # a newcomer's first run reads clean
            assert noise not in result.stderr, f"manage.py {' '.join(step)}:\n{result.stderr}"
        outputs[step[0]] = result.stdout
    return env, outputs


def test_the_demo_recipe_is_what_the_readme_promises():
    names = [step[0] for step in demo_steps()]
    assert names[:3] == ["migrate", "collectstatic", "seed_demo"]
    assert {"recompute_scores", "check_guardrails", "demo_logins", "store_portfolio_metrics"} <= set(names)


def test_every_link_and_fragment_each_demo_login_reaches_answers_and_the_csm_logs_a_one_on_one(demo):
    env, outputs = demo
    logins = {m[1]: m[2] for m in re.finditer(r"^ (?:Admin|Manager|CSM)\s+(\S+)\s+(\S+)\s+sees",
                                               outputs["demo_logins"], re.M)}
    assert len(logins) == 3, outputs["demo_logins"]
    result = subprocess.run([sys.executable, "-c", VISIT, json.dumps(logins)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "WARNING kombu" not in result.stderr, result.stderr      # the in-process broker names its host
    visits = json.loads(result.stdout.strip().splitlines()[-1])
    for email, seen in visits.items():
        assert seen["signed in"] == 302, f"{email} could not sign in"
        pages = seen["pages"]
        assert "/" in pages and any(re.fullmatch(r"/accounts/\d+/", u) for u in pages), f"{email}: {sorted(pages)}"
        failed = {url: status for url, status in pages.items() if status not in (200, 301, 302)}
        assert not failed, f"{email}: {failed}"
    assert visits["dana@vendor.example"]["logged"] == [302, 1], "the CSM's 1:1 was not logged"
    assert len(visits["admin@localhost"]["pages"]) > 60, "the admin reaches the Django admin's pages too"
