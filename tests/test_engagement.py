"""Score snapshots: the recompute service, its history selectors, and the signals that queue it."""

import io
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Goal
from sponsors import signals, tasks
from sponsors.config import rules_config
from sponsors.models import Contact, Interaction, InteractionParticipant, OrgChange, ScoreSnapshot
from sponsors.rules.scoring import score_account
from sponsors.selectors.facts import load_account_facts
from sponsors.selectors.history import score_changes, score_history
from sponsors.services.scores import recompute_scores

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 20)
FACTOR_KEYS = ["meeting_frequency", "responsiveness", "qbr_attendance", "strategic_alignment"]


def run_import(write_snapshot, document):
    call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO())
    return Account.objects.get(external_id=document["accounts"][0]["account"]["id"])


@pytest.fixture
def northwind(document, write_snapshot):
    """The spec's example account: Priya (primary, C-level), Marcus (backup, VP), Lena (director)."""
    return run_import(write_snapshot, document)


def contact(account, external_id):
    return Contact.objects.get(account=account, external_id=external_id)


def seed(n, *, seed=3, as_of="2026-11-26"):
    call_command("seed_demo", "--accounts", str(n), "--as-of", as_of, "--seed", str(seed),
                 "--output", f"/tmp/engagement-{n}-{seed}.json", stdout=io.StringIO())


def test_it_writes_one_snapshot_per_scored_executive_and_one_for_the_account(northwind):
    result = recompute_scores(as_of=AS_OF)

    assert (result.accounts, result.contacts, result.snapshots) == (1, 2, 3)
    rows = {s.contact.external_id if s.contact else None: s for s in ScoreSnapshot.objects.filter(as_of=AS_OF)}
    assert set(rows) == {"c_1", "c_2", None}            # Lena is a director: not scored
    priya = rows["c_1"]
    assert priya.account == northwind
    assert [f["key"] for f in priya.breakdown["factors"]] == FACTOR_KEYS
    # What the row's columns and the vocabulary already say is not stored again (labels come from the keys)
    assert set(priya.breakdown) == {"factors", "reasons", "contact", "last_touch", "last_direct_contact",
                                    "advocacy_signals"}
    assert all(set(f) == {"key", "score", "note"} for f in priya.breakdown["factors"])
    assert sum(f["score"] for f in priya.breakdown["factors"]) == priya.score
    assert priya.breakdown["factors"][0]["note"] == "Target 12: Actual 2"     # the 1:1 and the QBR
    assert priya.breakdown["factors"][2]["note"] == "1/1 QBRs"
    assert priya.breakdown["reasons"]
    assert priya.breakdown["contact"]["name"] == "Priya Natarajan"
    assert priya.breakdown["last_touch"] == "2026-11-03"

    overall = rows[None]
    assert overall.breakdown["cadence"] == {
        "tier": "enterprise", "cadence_days": 30, "last_touch": "2026-11-11",   # Marcus replied on the 11th
        "days_since": 9, "next_due": "2026-12-11", "overdue": False,
    }
    assert overall.breakdown["method"].startswith("50% primary sponsor Priya Natarajan")
    assert set(overall.breakdown) == {"method", "cadence", "qbrs"}


def test_the_stored_scores_are_those_of_the_pure_rules(northwind):
    recompute_scores(as_of=AS_OF)

    config = rules_config().scoring
    engagement = score_account(load_account_facts([northwind.pk], as_of=AS_OF)[northwind.pk], as_of=AS_OF,
                               config=config)
    stored = {s.contact_id: s for s in ScoreSnapshot.objects.filter(account=northwind, as_of=AS_OF)}
    assert (stored[None].score, stored[None].level, stored[None].risk) == (
        engagement.score, engagement.level, engagement.risk)
    assert stored[None].breakdown["method"] == engagement.method
    for b in engagement.sponsors:
        s = stored[b.contact_id]
        assert (s.score, s.level, s.risk) == (b.total, b.level, b.risk)
        assert [(f["key"], f["score"], f["note"]) for f in s.breakdown["factors"]] == [
            (f.key, f.score, f.note) for f in b.factors]
        assert s.breakdown["reasons"] == list(b.reasons)


def test_it_replaces_the_days_snapshots_and_keeps_other_days(northwind):
    recompute_scores(as_of=date(2026, 11, 19))
    recompute_scores(as_of=AS_OF)
    recompute_scores(as_of=AS_OF)
    assert ScoreSnapshot.objects.filter(as_of=AS_OF).count() == 3
    assert ScoreSnapshot.objects.filter(as_of=date(2026, 11, 19)).count() == 3

    # Marcus stops being an executive: his row of the day goes on the next run, yesterday's stays.
    marcus = contact(northwind, "c_2")
    Contact.objects.filter(pk=marcus.pk).update(roles=["director"], is_executive=False, sponsor="")
    recompute_scores(as_of=AS_OF)
    assert not ScoreSnapshot.objects.filter(contact=marcus, as_of=AS_OF).exists()
    assert ScoreSnapshot.objects.filter(contact=marcus, as_of=date(2026, 11, 19)).exists()


def test_it_recomputes_only_the_accounts_asked_for(document, write_snapshot):
    northwind = run_import(write_snapshot, document)
    document["accounts"][0]["account"]["id"] = "acc_456"
    document["accounts"][0]["account"]["name"] = "Southwind"
    southwind = run_import(write_snapshot, document)
    recompute_scores(as_of=AS_OF)
    before = ScoreSnapshot.objects.get(account=southwind, contact=None, as_of=AS_OF)

    result = recompute_scores(account_ids=[northwind.pk], as_of=AS_OF)

    assert result.accounts == 1
    after = ScoreSnapshot.objects.get(account=southwind, contact=None, as_of=AS_OF)
    assert (after.pk, after.computed_at) == (before.pk, before.computed_at)
    assert ScoreSnapshot.objects.filter(account=northwind, as_of=AS_OF).count() == 3


def test_the_query_count_is_fixed_and_copy_and_bulk_insert_agree():
    seed(3, seed=1)
    with CaptureQueriesContext(connection) as small:
        recompute_scores(as_of=date(2026, 11, 26))            # bulk_create
    seed(30, seed=2)
    with CaptureQueriesContext(connection) as large:
        result = recompute_scores(as_of=date(2026, 11, 26))   # streamed through COPY
    assert result.accounts == Account.objects.count() == 30     # the ids of the first 3 come again
    assert len(large) == len(small) <= 13      # 12, and the confirmed departures scoring counts since 2026-11-28
    streamed = {(s.account_id, s.contact_id): (s.score, s.level, s.breakdown)
                for s in ScoreSnapshot.objects.filter(as_of=date(2026, 11, 26))}

    for account in Account.objects.all():
        recompute_scores(account_ids=[account.pk], as_of=date(2026, 11, 26))
    one_by_one = {(s.account_id, s.contact_id): (s.score, s.level, s.breakdown)
                  for s in ScoreSnapshot.objects.filter(as_of=date(2026, 11, 26))}
    assert one_by_one == streamed
    assert len(streamed) == 30 + result.contacts


def test_it_keeps_a_history_and_the_change_over_days(northwind):
    for day in (1, 10, 15, 20):
        recompute_scores(as_of=date(2026, 11, day))
    priya = contact(northwind, "c_1")

    history = score_history(account=northwind, days=30, as_of=AS_OF)

    assert [p.as_of.day for p in history.account] == [1, 10, 15, 20]
    assert [p.as_of.day for p in history.points(priya.pk)] == [1, 10, 15, 20]
    assert history.names[priya.pk] == "Priya Natarajan"
    first, last = history.points(priya.pk)[0], history.points(priya.pk)[-1]
    assert history.change(priya.pk, days=19) == last.score - first.score
    assert history.change(priya.pk, days=5) == last.score - history.points(priya.pk)[2].score
    assert history.change(priya.pk, days=30) is None          # the history does not reach that far
    assert score_history(account=northwind.pk, days=6, as_of=AS_OF).account[0].as_of == date(2026, 11, 15)


def test_it_says_what_changed_since_last_week(northwind):
    recompute_scores(as_of=date(2026, 11, 13))
    marcus = contact(northwind, "c_2")
    meeting = Interaction.objects.create(account=northwind, type="one_on_one", direction="meeting",
                                         occurred_at=datetime(2026, 11, 18, 15, tzinfo=UTC))
    InteractionParticipant.objects.create(interaction=meeting, contact=marcus)
    recompute_scores(as_of=AS_OF)

    changes = score_changes(account=northwind, as_of=AS_OF, days=7)

    assert (changes.now_as_of, changes.then_as_of) == (AS_OF, date(2026, 11, 13))
    by_name = {c.name: c for c in changes.contacts}
    marcus_change = by_name["Marcus Holt"]
    assert marcus_change.delta == marcus_change.score_now - marcus_change.score_then > 0
    meetings = next(f for f in marcus_change.factors if f.key == "meeting_frequency")
    assert (meetings.note_then, meetings.note_now) == ("Target 12: Actual 0", "Target 12: Actual 1")
    assert meetings.delta == 2
    assert "strategic_alignment" not in [f.key for f in marcus_change.factors]   # unchanged: not listed
    assert changes.account.delta == changes.account.score_now - changes.account.score_then
    assert marcus_change in changes.changed


def test_what_changed_handles_new_and_missing_history(northwind):
    recompute_scores(as_of=AS_OF)
    changes = score_changes(account=northwind, as_of=AS_OF, days=7)
    assert changes.then_as_of is None
    assert all(c.score_then is None and c.delta is None for c in changes.contacts)
    assert all(f.score_then is None for c in changes.contacts for f in c.factors)
    assert score_changes(account=northwind, as_of=date(2026, 1, 1)).account is None


# --- the signals that queue a recompute -----------------------------------------------------------

@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.refresh_account, "delay", lambda account_id, *a, **k: calls.append(account_id))
    monkeypatch.setattr(tasks.recompute_portfolio, "delay", lambda *a, **k: calls.append("portfolio"))
    monkeypatch.setattr(tasks.sweep_guardrails, "delay", lambda *a, **k: calls.append("sweep"))
    return calls


def test_it_queues_one_recompute_per_account_and_transaction(northwind, django_capture_on_commit_callbacks,
                                                              queued):
    other = Account.objects.create(source="t", external_id="other", name="Other", tier="smb")
    priya = contact(northwind, "c_1")
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for day in range(1, 6):
                i = Interaction.objects.create(account=northwind, type="call", direction="meeting",
                                               occurred_at=datetime(2026, 11, day, tzinfo=UTC))
                i.participants.add(priya)
            Contact.objects.create(account=other, name="Olga", roles=["c_level"])
            OrgChange.objects.create(account=northwind, kind="reorg", occurred_on=AS_OF, source="manual")
            Goal.objects.filter(account=northwind).delete()
    assert sorted(queued) == sorted([northwind.pk, other.pk])


def test_nothing_is_queued_before_commit_nor_for_a_rolled_back_savepoint(northwind,
                                                                          django_capture_on_commit_callbacks, queued):
    other = Account.objects.create(source="t", external_id="other", name="Other", tier="smb")
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            try:
                with transaction.atomic():
                    Interaction.objects.create(account=northwind, type="call", direction="meeting",
                                               occurred_at=datetime(2026, 11, 2, tzinfo=UTC))
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
            Contact.objects.create(account=other, name="Olga", roles=["c_level"])
            assert queued == []
    assert queued == [other.pk]


def test_deleting_a_participant_queues_its_account(northwind, django_capture_on_commit_callbacks, queued):
    link = InteractionParticipant.objects.filter(interaction__account=northwind).first()
    with django_capture_on_commit_callbacks(execute=True):
        InteractionParticipant.objects.get(pk=link.pk).delete()
    assert queued == [northwind.pk]


def test_bulk_maintenance_can_pause_the_signals(northwind, django_capture_on_commit_callbacks, queued):
    with django_capture_on_commit_callbacks(execute=True), signals.paused():
        Interaction.objects.filter(account=northwind).delete()
    assert queued == []


def test_many_accounts_queue_the_portfolio_recompute_and_sweep(queued, monkeypatch):
    monkeypatch.setattr(signals, "PORTFOLIO_THRESHOLD", 2)
    signals.queue_account_refresh([3, 1, 2, 1])
    assert queued == ["portfolio", "sweep"]
    queued.clear()
    signals.queue_account_refresh([2, 1, 2])
    assert queued == [1, 2]


def test_an_import_queues_the_refresh_of_the_accounts_it_changed(document, write_snapshot,
                                                                   django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr(signals, "queue_account_refresh", lambda ids: calls.append(sorted(ids)))
    path = write_snapshot(document)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_snapshot", path, "--no-progress", stdout=io.StringIO())
    assert calls == [[Account.objects.get(external_id="acc_123").pk]]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_snapshot", path, "--no-progress", stdout=io.StringIO())   # nothing changed
    assert len(calls) == 1


def test_the_stored_scores_are_score_account_on_the_full_facts_for_every_account_and_contact():
    """The recompute reads lighter facts than the guardrails (``scoring_only``): whatever it leaves out must
    not change a score.  On a demo portfolio (confirmed departures the CRM does not know yet among its
    cases), every stored account and contact score equals ``score_account`` on the full facts."""
    seed(40, seed=5)
    day = date(2026, 11, 26)
    assert OrgChange.objects.filter(kind="departure", state="confirmed", contact__status="active").exists()
    recompute_scores(as_of=day)
    stored = {(s.account_id, s.contact_id): (s.score, s.level, s.risk, (s.breakdown.get("contact") or {}).get("status"))
              for s in ScoreSnapshot.objects.filter(as_of=day)}
    expected = {}
    for account_id, facts in load_account_facts(as_of=day).items():
        engagement = score_account(facts, as_of=day)
        gone = facts.departed_ids(day)
        expected[(account_id, None)] = (engagement.score, engagement.level, engagement.risk, None)
        for b in engagement.sponsors:
            status = "departed" if b.contact_id in gone else "active"
            expected[(account_id, b.contact_id)] = (b.total, b.level, b.risk, status)
    assert stored == expected
