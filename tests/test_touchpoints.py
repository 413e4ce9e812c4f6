"""Guardrails 4 and 5 where touchpoints are planned: operational outreach to executives refused,
conflicting outreach within 7 days warned about, the account team told."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from sponsors.models import Contact, Interaction, OutboundEmail, PlannedTouchpoint
from sponsors.rules.outreach import PlannedOutreach, conflict_message
from sponsors.services.touchpoints import interaction_log, touchpoint_plan

from .guardrails_support import account, fast_password_hashing, import_document

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture(autouse=True)
def _before_the_planned_days():
    """The plans below are for early December 2026: the clock stands before them (plans in the past are refused)."""
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def acc(cast, document):
    import_document(document)     # after the cast: dana, li and sam are the cast's users
    return account()


def contact(ref):
    return Contact.objects.get(external_id=ref)


def plan(acc, by, *, on=DAY, who="c_1", **kw):
    kw = {"type": "one_on_one", "direction": "meeting", "purpose": "strategic", **kw}
    return touchpoint_plan(account=acc, contacts=[contact(who)], planned_on=on, by=by, **kw)


def test_operational_outreach_to_an_executive_is_refused_naming_the_field(acc, cast):
    with pytest.raises(ValidationError) as refused:
        plan(acc, cast["csm"], type="call", direction="outbound", purpose="operational")

    message = refused.value.message_dict["purpose"][0]
    assert "Executives are not contacted for operational issues" in message
    assert "Priya Natarajan (Chief Operating Officer) is an executive" in message
    assert "Lena Fischer (Director of IT)" in message          # the operational route: a non-executive contact
    assert not PlannedTouchpoint.objects.exists() and not OutboundEmail.objects.exists()


def test_operational_work_with_a_non_executive_and_inbound_issues_are_fine(acc, cast):
    tp, conflicts = plan(acc, cast["csm"], who="c_3", type="call", direction="outbound", purpose="operational")
    assert tp.pk and conflicts == []
    assert not OutboundEmail.objects.exists()                 # no executive: nothing to coordinate
    tp, _ = plan(acc, cast["csm"], type="call", direction="inbound", purpose="operational")
    assert tp.pk


def test_logging_an_operational_outbound_contact_with_an_executive_is_refused(acc, cast):
    when = datetime(2026, 11, 19, 10, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        interaction_log(account=acc, contacts=[contact("c_2")], occurred_at=when, type="email",
                        direction="outbound", purpose="operational", by=cast["csm"])
    assert "Marcus Holt (VP Finance) is an executive" in refused.value.message_dict["purpose"][0]
    before = Interaction.objects.count()
    interaction_log(account=acc, contacts=[contact("c_2")], occurred_at=when, type="email", direction="outbound",
                    purpose="strategic", by=cast["csm"])
    assert Interaction.objects.count() == before + 1


@pytest.mark.parametrize("days_apart, conflict", [(7, True), (-7, True), (8, False), (-8, False)])
def test_outreach_by_another_team_member_within_7_days_conflicts(acc, cast, days_apart, conflict):
    first, _ = plan(acc, cast["csm"])
    on = DAY + timedelta(days=days_apart)

    second, conflicts = plan(acc, cast["teammate"], on=on)

    if not conflict:
        assert conflicts == []
        return
    expected = conflict_message(
        PlannedOutreach(id=second.pk, contact_id=contact("c_1").pk, planner=cast["teammate"].email, planned_on=on),
        [PlannedOutreach(id=first.pk, contact_id=contact("c_1").pk, planner=cast["csm"].email, planned_on=DAY)],
        contact_name="Priya Natarajan")
    assert [c.message for c in conflicts] == [expected]
    assert conflicts[0].others[0].id == first.pk


def test_the_same_planner_twice_is_no_conflict(acc, cast):
    plan(acc, cast["csm"])
    _tp, conflicts = plan(acc, cast["csm"], on=DAY + timedelta(days=1))
    assert conflicts == []


def test_the_account_team_is_told_with_the_conflict_warning(acc, cast):
    plan(acc, cast["csm"])
    second, conflicts = plan(acc, cast["teammate"], on=DAY + timedelta(days=3), objective="Renewal scope")

    email = OutboundEmail.objects.get(dedupe_key=f"touchpoint:{second.pk}:planned")
    assert email.kind == "touchpoint_planned" and email.status == "pending" and email.message_id
    addresses = [a.split("<")[-1].rstrip(">") for a in email.to]
    assert addresses == ["dana@vendor.example", "sam@vendor.example"]      # not the planner (li)
    assert email.subject.startswith("[Conflict] Northwind Health: 1:1 with Priya Natarajan planned for 2026-12-04")
    assert conflicts[0].message in email.body_text and "Renewal scope" in email.body_text
    assert "Conflict warning" in email.body_html


@pytest.mark.parametrize("field, kw", [
    ("type", {"type": "lunch"}),
    ("direction", {"direction": "sideways"}),
    ("purpose", {"purpose": "social"}),
])
def test_unknown_choices_are_refused_naming_the_field(acc, cast, field, kw):
    with pytest.raises(ValidationError) as refused:
        plan(acc, cast["csm"], **kw)
    assert list(refused.value.message_dict) == [field]
    assert not PlannedTouchpoint.objects.exists()


def test_the_api_returns_the_refusal_and_the_conflict_warning(acc, cast, client):
    body = {"account": acc.pk, "contacts": [contact("c_1").pk], "planned_on": "2026-12-01", "type": "one_on_one"}
    client.force_login(cast["csm"])
    assert client.post("/api/touchpoints/", body, content_type="application/json").status_code == 201

    client.force_login(cast["teammate"])
    response = client.post("/api/touchpoints/", {**body, "planned_on": "2026-12-05"}, content_type="application/json")
    assert response.status_code == 201
    warnings = response.json()["warnings"]
    assert len(warnings) == 1 and "dana@vendor.example on 2026-12-01" in warnings[0]

    refused = client.post("/api/touchpoints/", {**body, "type": "call", "direction": "outbound",
                                                "purpose": "operational"}, content_type="application/json")
    assert refused.status_code == 400
    assert "Executives are not contacted for operational issues" in refused.json()["purpose"][0]

    client.force_login(cast["outsider"])
    hidden = client.post("/api/touchpoints/", body, content_type="application/json")
    assert hidden.status_code == 400 and "account" in hidden.json()
    assert PlannedTouchpoint.objects.count() == 2
