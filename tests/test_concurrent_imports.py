"""Two imports of the same changed file, in two real processes at once, leave exactly the rows and
alerts of one import: one waits for the other (the per-source advisory lock), then finds nothing
to do.  CRM-diff org changes are keyed, so even a sync that slipped past the lock could not store
one twice; a large import ANALYZEs the tables it filled.

The reference ("one import") is the same import run once, in this process, inside a transaction
that is rolled back before the two processes start."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account, User
from sponsors.crm.demo import demo_snapshot
from sponsors.crm.snapshot import parse_snapshot
from sponsors.crm.sync import SYNC_LOCK_CLASS, SyncBusy, SyncConflict, sync_accounts
from sponsors.models import Alert, Interaction, InteractionParticipant, OrgChange
from sponsors.services.alerts import evaluate_accounts
from sponsors.services.scores import recompute_scores

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 20)
NEW_INTERACTIONS = 1500


def changed(document):
    """The next day's export: new titles, departed primary sponsors, and many new interactions."""
    doc = copy.deepcopy(document)
    doc["exported_at"] = "2026-11-21T09:00:00Z"
    titles = ["Chief Revenue Officer", "Chief Strategy Officer", "General Counsel", "Head of Procurement"]
    n = 0
    for i, entry in enumerate(doc["accounts"]):
        for j, contact in enumerate(entry["contacts"]):
            if contact.get("sponsor") == "primary" and i % 3 == 0:
                contact["status"] = "departed"
            elif j % 2 == 0:
                contact["title"] = titles[(i + j) % len(titles)]
        ids = [c["id"] for c in entry["contacts"]]
        for k in range(NEW_INTERACTIONS // len(doc["accounts"]) + 1):
            if n == NEW_INTERACTIONS or not ids:
                break
            entry["interactions"].append({
                "id": f"new_{i}_{k}", "type": "call", "direction": "meeting", "contact_ids": [ids[k % len(ids)]],
                "occurred_at": f"2026-11-{1 + k % 20:02d}T10:00:00Z"})
            n += 1
    return doc


def outcome():
    """What an import and its refresh leave behind, as plain data."""
    return {
        "org changes": Counter(OrgChange.objects.values_list("source", "kind", "state")),
        "crm org changes": sorted(OrgChange.objects.filter(source="crm").values_list(
            "contact__external_id", "kind", "old_value", "new_value")),
        "interactions": Interaction.objects.count(),
        "participants": InteractionParticipant.objects.count(),
        "alerts": Counter(Alert.objects.values_list("code", "severity", "status")),
        "alerts per subject": Counter(Alert.objects.values_list("account__external_id", "code",
                                                                "contact__external_id")),
    }


def subprocess_env():
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": "",                           # eager Celery: each import refreshes its accounts in-process
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EXEC_SPONSOR_QUIET_EMBEDDED": "1",
    }


def analyze_count(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", ["changed file", "new file"])
def test_two_processes_importing_the_same_file_leave_the_rows_and_alerts_of_one(tmp_path, case):
    first = demo_snapshot(accounts=24, as_of=AS_OF, seed=11)
    if case == "changed file":
        sync_accounts(parse_snapshot(first))
    second = changed(first)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(second))
    today = timezone.localdate()

    with transaction.atomic():                                  # the reference: one import, then rolled back
        sync_accounts(parse_snapshot(second))
        ids = list(Account.objects.values_list("pk", flat=True))
        recompute_scores(account_ids=ids, as_of=today)
        evaluate_accounts(account_ids=ids, as_of=today)
        reference = outcome()
        transaction.set_rollback(True)
    assert reference["alerts"] and (reference["crm org changes"] or case == "new file"), "something to do"
    analyzed_before = analyze_count("sponsors_interaction")

    command = [sys.executable, "manage.py", "import_snapshot", str(path), "--no-progress"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(*run.communicate(timeout=300), run.returncode) for run in runs]

    for _out, err, code in results:
        assert code == 0 and "Traceback" not in err, err
    verdicts = sorted("already up to date" if "already up to date" in out else "imported" for out, _, _ in results)
    assert verdicts == ["already up to date", "imported"], [r[0] for r in results]
    assert outcome() == reference
    assert analyze_count("sponsors_interaction") > analyzed_before, "the import analysed the table it filled"


@pytest.mark.django_db(transaction=True)
def test_a_second_sync_of_the_same_source_waits_or_is_refused(document):
    """While one connection holds the source's lock, ``wait=False`` is refused with a clear problem."""
    from django.db import connections

    other = connections.create_connection("default")
    try:
        other.connect()
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [SYNC_LOCK_CLASS, "snapshot"])
            with pytest.raises(SyncBusy) as refused:
                sync_accounts(parse_snapshot(document), wait=False)
            cursor.execute("ROLLBACK")
    finally:
        other.close()
    assert "another import or sync of source 'snapshot' is running" in str(refused.value.problems[0])
    assert not Account.objects.exists()
    sync_accounts(parse_snapshot(document), wait=False)        # the lock is free again
    assert Account.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sources_creating_the_same_colleagues_at_once_both_succeed(tmp_path):
    """Users are shared by every source's sync: a colleague both create at the same moment is one user."""
    path = tmp_path / "both.json"
    path.write_text(json.dumps(demo_snapshot(accounts=12, as_of=AS_OF, seed=5)))
    runs = [subprocess.Popen([sys.executable, "manage.py", "import_snapshot", str(path), "--no-progress", "--source",
                              source], cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for source in ("hubspot", "salesforce")]
    results = [(*run.communicate(timeout=300), run.returncode) for run in runs]

    for out, err, code in results:
        assert code == 0 and "Traceback" not in err and "imported" in out, err
    assert Account.objects.filter(source="hubspot").count() == Account.objects.filter(source="salesforce").count() == 12
    emails = list(User.objects.values_list("email", flat=True))
    assert len(emails) == len(set(emails))


@pytest.mark.django_db
@pytest.mark.parametrize("spoil,words", [
    (lambda snap: snap.accounts[0].goals.__setitem__(0, ("Goal", "on_track", 5.0)), "(goal_progress_0_1)"),
    (lambda snap: setattr(snap.accounts[0], "currency", "EURO"), "the database refused a value"),
], ids=["a check constraint", "a value too long"])
def test_a_row_the_database_refuses_is_a_problem_not_a_traceback(document, spoil, words):
    """Records that bypassed the file checks (another connector's bug, a race): the sync reports the
    refusal as a problem and writes nothing."""
    snapshot = parse_snapshot(document)
    spoil(snapshot)
    with pytest.raises(SyncConflict) as refused:
        sync_accounts(snapshot)
    assert words in str(refused.value.problems[0]) and "nothing" in str(refused.value.problems[0])
    assert not Account.objects.exists()
