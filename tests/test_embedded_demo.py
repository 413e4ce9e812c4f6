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

# Runs in the demo's process: signs in with each printed login and visits the pages a user of that role uses.
VISIT = r"""
import json, re, sys
import django
django.setup()
from django.test import Client
from django.utils import timezone
from sponsors.models import Interaction

logins, out = json.loads(sys.argv[1]), {}
for email, password in logins.items():
    client, seen = Client(HTTP_HOST="127.0.0.1"), {}
    signed_in = client.post("/accounts/login/", {"username": email, "password": password})
    seen["POST /accounts/login/"] = signed_in.status_code
    portfolio = client.get("/")
    seen["/"] = portfolio.status_code
    accounts = re.findall(r'href="/accounts/(\d+)/"', portfolio.content.decode())
    paths = ["/?sort=-arr&page=2", "/?risk=High", "/alerts/", "/alerts/?page=2", "/alerts/?severity=critical",
             "/calendar/", "/settings/digest/", "/settings/api-tokens/"]
    if accounts:
        paths += [f"/accounts/{accounts[0]}/", f"/accounts/{accounts[0]}/report/",
                  f"/accounts/{accounts[0]}/report.md"]
    for path in paths:
        seen[path] = client.get(path).status_code
    if email.startswith("dana@") and accounts:
        page = client.get(f"/accounts/{accounts[0]}/").content.decode()
        who = re.search(r'name="log-participants" value="([^"]+)"', page).group(1)
        before = Interaction.objects.filter(account_id=accounts[0]).count()
        logged = client.post(f"/accounts/{accounts[0]}/interactions/", {
            "log-type": "one_on_one", "log-direction": "meeting", "log-purpose": "strategic",
            "log-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "log-participants": [who],
            "log-outcome": "Agreed the renewal plan"})
        seen["POST log a 1:1"] = logged.status_code
        seen["interactions added"] = Interaction.objects.filter(account_id=accounts[0]).count() - before
    out[email] = {"accounts shown": len(accounts), **seen}
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
        outputs[step[0]] = result.stdout
    return env, outputs


def test_the_demo_recipe_is_what_the_readme_promises():
    names = [step[0] for step in demo_steps()]
    assert names[:3] == ["migrate", "collectstatic", "seed_demo"]
    assert {"recompute_scores", "check_guardrails", "demo_logins", "store_portfolio_metrics"} <= set(names)


def test_each_demo_login_uses_every_main_page_and_the_csm_logs_a_one_on_one(demo):
    env, outputs = demo
    logins = {m[1]: m[2] for m in re.finditer(r"^ (?:Admin|Manager|CSM)\s+(\S+)\s+(\S+)\s+sees",
                                               outputs["demo_logins"], re.M)}
    assert len(logins) == 3, outputs["demo_logins"]
    result = subprocess.run([sys.executable, "-c", VISIT, json.dumps(logins)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    visits = json.loads(result.stdout.strip().splitlines()[-1])
    for email, seen in visits.items():
        assert seen.pop("POST /accounts/login/") == 302, f"{email} could not sign in"
        assert seen.pop("accounts shown") > 0, f"{email} sees no account"
        logged = seen.pop("POST log a 1:1", None), seen.pop("interactions added", None)
        if email.startswith("dana@"):
            assert logged == (302, 1), f"the CSM's 1:1: {logged}"
        failed = {path: status for path, status in seen.items() if status != 200}
        assert not failed, f"{email}: {failed}"
