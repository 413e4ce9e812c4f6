"""``manage.py import_snapshot``: the snapshot format end to end, on PostgreSQL."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from accounts.models import Account, AccountTeamMember, Goal, StrategicAlignment, User, ValueMetric
from sponsors.models import Contact, Interaction, InteractionParticipant, OrgChange

pytestmark = pytest.mark.django_db


def run_import(*paths):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_snapshot", *paths, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def table_state():
    """Every row of every table of ours, to prove a failed import wrote nothing."""
    state = {}
    for model in [*apps.get_app_config("accounts").get_models(), *apps.get_app_config("sponsors").get_models()]:
        state[model.__name__] = sorted(map(repr, model.objects.order_by("pk").values_list()))
    return state


def test_it_imports_every_part_of_the_spec_example(document, write_snapshot):
    out, _ = run_import(write_snapshot(document))

    account = Account.objects.get(external_id="acc_123")
    assert (account.name, account.tier, account.industry) == ("Northwind Health", "enterprise", "Healthcare")
    assert account.owner.email == "dana@vendor.example"
    assert account.arr == Decimal("480000.00") and account.currency == "USD"
    assert (account.contract_start, account.renewal_date) == (date(2024, 2, 1), date(2027, 1, 31))
    roles = dict(AccountTeamMember.objects.filter(account=account).values_list("user__email", "role"))
    assert roles == {"dana@vendor.example": "csm", "li@vendor.example": "account_executive",
                     "sam@vendor.example": "manager"}
    # Team members named in a snapshot become users, inactive until invited.
    assert not User.objects.get(email="li@vendor.example").is_active
    assert User.objects.get(email="sam@vendor.example").role == "manager"
    assert Goal.objects.get(account=account).progress == 0.55
    assert StrategicAlignment.objects.get(account=account).alignment == "high"
    metric = ValueMetric.objects.get(account=account)
    assert (metric.as_of, metric.roi, metric.executive_dashboard_views) == (date(2026, 11, 1), 3.1, 14)

    priya = Contact.objects.get(account=account, external_id="c_1")
    assert priya.sponsor == "primary" and priya.is_executive and priya.in_role_since == date(2023, 5, 1)
    assert priya.priorities == ["Operational efficiency"] and priya.communication_preference == "in_person"
    assert Contact.objects.get(external_id="c_2").sponsor == "backup"
    assert not Contact.objects.get(external_id="c_3").is_executive

    qbr = Interaction.objects.get(external_id="i_2")
    assert qbr.occurred_at == datetime(2026, 10, 1, 12, 0, tzinfo=UTC)  # +02:00 kept as the same instant
    assert sorted(qbr.participants.values_list("external_id", flat=True)) == ["c_1", "c_3"]
    email = Interaction.objects.get(external_id="i_3")
    assert email.responded_at == datetime(2026, 11, 11, 10, 30, tzinfo=UTC)
    assert email.purpose == "strategic"  # the default
    assert Interaction.objects.get(external_id="i_1").logged_by == "dana@vendor.example"

    change = OrgChange.objects.get(account=account)
    assert (change.kind, change.contact, change.confidence, change.state) == ("promotion", priya, 0.9, "confirmed")
    assert change.evidence["headline"] == "Priya Natarajan promoted"
    assert "interactions: 3 created" in out


def test_it_changes_nothing_when_the_same_file_is_imported_twice(document, write_snapshot):
    path = write_snapshot(document)
    run_import(path)
    before = table_state()
    stamps = list(Contact.objects.order_by("pk").values_list("updated_at", flat=True))

    out, _ = run_import(path)

    assert table_state() == before
    assert list(Contact.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
    assert "already up to date" in out


def test_it_updates_changed_records_and_keeps_history(document, write_snapshot):
    run_import(write_snapshot(document))
    document["accounts"][0]["contacts"][1]["title"] = "SVP Finance"
    document["accounts"][0]["interactions"] = document["accounts"][0]["interactions"][:1]  # a shorter export
    document["accounts"][0]["account"]["goals"] = []
    document["accounts"][0]["interactions"][0]["contact_ids"] = ["c_1", "c_2"]

    out, _ = run_import(write_snapshot(document, "second.json"))

    assert Contact.objects.get(external_id="c_2").title == "SVP Finance"
    assert Interaction.objects.count() == 3, "interactions missing from a later export are history, kept"
    assert Goal.objects.count() == 0, "goals are the CRM's current list"
    assert sorted(Interaction.objects.get(external_id="i_1").participants.values_list("external_id", flat=True)) \
        == ["c_1", "c_2"]
    assert "contacts: 1 updated, 2 unchanged" in out


def test_a_new_primary_from_the_crm_takes_over(document, write_snapshot):
    run_import(write_snapshot(document))
    contacts = document["accounts"][0]["contacts"]
    contacts[0]["sponsor"], contacts[1]["sponsor"] = "backup", "primary"

    run_import(write_snapshot(document, "swap.json"))

    assert dict(Contact.objects.values_list("external_id", "sponsor")) == {"c_1": "backup", "c_2": "primary",
                                                                           "c_3": ""}


def test_a_reimport_keeps_the_csm_review_of_an_org_change(document, write_snapshot):
    path = write_snapshot(document)
    run_import(path)
    OrgChange.objects.update(state="dismissed")
    run_import(path)
    assert OrgChange.objects.get().state == "dismissed"


def test_low_confidence_org_changes_await_confirmation(document, write_snapshot):
    document["accounts"][0]["org_changes"][0]["confidence"] = 0.4
    run_import(write_snapshot(document))
    assert OrgChange.objects.get().state == "pending"


def test_same_external_id_in_another_source_is_another_account(document, write_snapshot):
    path = write_snapshot(document)
    run_import(path)
    call_command("import_snapshot", path, "--source", "hubspot", "--no-progress", stdout=io.StringIO())
    assert sorted(Account.objects.values_list("source", flat=True)) == ["hubspot", "snapshot"]


def _second_account(document):
    """A valid first account and a second one the test breaks: nothing of either may be written."""
    import copy

    second = copy.deepcopy(document["accounts"][0])
    second["account"]["id"] = "acc_456"
    document["accounts"].append(second)
    return second


BAD_INPUTS = [
    # (what, mutate(document) -> None, expected path, expected words)
    ("wrong format", lambda d: d.update(format="exec-sponsor-snapshot/2"), "format", "exec-sponsor-snapshot/1"),
    ("missing account name", lambda d: _second_account(d)["account"].pop("name"), "accounts[1].account.name",
     "required"),
    ("missing occurred_at", lambda d: _second_account(d)["interactions"][2].pop("occurred_at"),
     "accounts[1].interactions[2].occurred_at", "required"),
    ("wrong type", lambda d: _second_account(d)["account"]["contract"].update(arr="lots"),
     "accounts[1].account.contract.arr", "expected number"),
    ("negative ARR", lambda d: _second_account(d)["account"]["contract"].update(arr=-5),
     "accounts[1].account.contract.arr", "minimum"),
    ("unknown tier", lambda d: _second_account(d)["account"].update(tier="platinum"), "accounts[1].account.tier",
     "'platinum' is not one of"),
    ("unknown interaction type", lambda d: _second_account(d)["interactions"][0].update(type="lunch"),
     "accounts[1].interactions[0].type", "'lunch' is not one of"),
    ("date-time without zone", lambda d: _second_account(d)["interactions"][1].update(
        occurred_at="2026-10-01T14:00:00"), "accounts[1].interactions[1].occurred_at", "date-time"),
    ("impossible date", lambda d: _second_account(d)["contacts"][0].update(in_role_since="2023-02-30"),
     "accounts[1].contacts[0].in_role_since", "not a real calendar date"),
    ("impossible date-time", lambda d: _second_account(d)["interactions"][0].update(
        occurred_at="2026-13-03T15:00:00Z"), "accounts[1].interactions[0].occurred_at", "not a real date-time"),
    ("duplicate account id", lambda d: _second_account(d)["account"].update(id="acc_123"), "accounts[1].account.id",
     "duplicate account id"),
    ("duplicate contact id", lambda d: _second_account(d)["contacts"][2].update(id="c_1"),
     "accounts[1].contacts[2].id", "duplicate contact id"),
    ("duplicate interaction id", lambda d: _second_account(d)["interactions"][2].update(id="i_1"),
     "accounts[1].interactions[2].id", "duplicate interaction id"),
    ("second primary sponsor", lambda d: _second_account(d)["contacts"][1].update(sponsor="primary"),
     "accounts[1].contacts[1].sponsor", "second primary sponsor"),
    ("unknown contact in an interaction", lambda d: _second_account(d)["interactions"][1]["contact_ids"].append(
        "c_99"), "accounts[1].interactions[1].contact_ids[2]", "unknown contact 'c_99'"),
    ("unknown contact in an org change", lambda d: _second_account(d)["org_changes"][0].update(contact_id="c_42"),
     "accounts[1].org_changes[0].contact_id", "unknown contact 'c_42'"),
    ("confidence above 1", lambda d: _second_account(d)["org_changes"][0].update(confidence=1.5),
     "accounts[1].org_changes[0].confidence", "maximum"),
    ("unknown sponsor value", lambda d: _second_account(d)["contacts"][0].update(sponsor="main"),
     "accounts[1].contacts[0].sponsor", "'main' is not one of"),
]


@pytest.mark.parametrize("what,mutate,path,words", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_names_the_path_and_writes_nothing(what, mutate, path, words, document, write_snapshot):
    run_import(write_snapshot(document, "existing.json"))  # something stored already must stay as it was
    Contact.objects.filter(external_id="c_3").update(title="Edited by hand")
    before = table_state()
    mutate(document)
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_snapshot", write_snapshot(document), "--no-progress", stdout=io.StringIO(), stderr=err)

    lines = [line.strip() for line in err.getvalue().splitlines()]
    assert any(line.startswith(f"{path}:") and words in line for line in lines), err.getvalue()
    assert table_state() == before


def test_malformed_json_names_line_and_column(write_snapshot):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_snapshot", write_snapshot('{"format": "exec-sponsor-snapshot/1",\n "accounts": [}'),
                     stdout=io.StringIO(), stderr=err)
    assert "malformed JSON at line 2, column" in err.getvalue()
    assert Account.objects.count() == 0


def test_a_missing_file_is_a_clear_error(tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_snapshot", str(tmp_path / "nope.json"), stdout=io.StringIO(), stderr=err)
    assert "cannot read the file" in err.getvalue()


def test_one_bad_file_does_not_stop_the_good_one(document, write_snapshot):
    good = write_snapshot(document, "good.json")
    bad = write_snapshot("[]", "bad.json")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("import_snapshot", bad, good, "--no-progress", stdout=io.StringIO(), stderr=err)
    assert Account.objects.count() == 1
    assert "a snapshot is one JSON object" in err.getvalue()


def test_unknown_keys_are_ignored(document, write_snapshot):
    document["accounts"][0]["account"]["crm_color"] = "blue"
    document["accounts"][0]["interactions"][0]["sentiment"] = 0.7
    run_import(write_snapshot(document))
    assert Interaction.objects.count() == 3


def test_a_large_file_goes_through_copy_and_stays_idempotent(write_snapshot):
    """Above COPY_THRESHOLD rows the PostgreSQL COPY path writes interactions and participants."""
    from sponsors.crm.demo import demo_snapshot
    from sponsors.crm.sync import COPY_THRESHOLD

    doc = demo_snapshot(accounts=20, as_of=date(2026, 11, 20), seed=3, interactions_scale=2)
    expected = sum(len(a["interactions"]) for a in doc["accounts"])
    assert expected > COPY_THRESHOLD
    path = write_snapshot(doc)
    run_import(path)
    assert Interaction.objects.count() == expected
    assert InteractionParticipant.objects.count() == sum(
        len(set(i["contact_ids"])) for a in doc["accounts"] for i in a["interactions"])
    one = doc["accounts"][5]["interactions"][7]
    stored = Interaction.objects.get(account__external_id=doc["accounts"][5]["account"]["id"],
                                     external_id=one["id"])
    assert stored.topics == one["topics"] and stored.type == one["type"]
    # New rows made by COPY get ids the sequence knows about: a later ORM insert must not collide.
    Interaction.objects.create(account=stored.account, type="call", occurred_at=stored.occurred_at,
                               direction="meeting")
    before = table_state()
    out, _ = run_import(path)
    assert table_state() == before and "already up to date" in out
