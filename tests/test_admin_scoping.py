"""The admin respects teams: a staff CSM holding every model permission cannot read or write another
team's records through any admin page, form select, list filter, inline or autocomplete.

The cast: Dana (a CSM of team East) works "Mine"; Olga (team West) works "Theirs".  Every probe has a
control that does the same with Dana's own records and succeeds, so a probe that passes is not
passing because its request was malformed."""

from datetime import date, datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.forms import ModelChoiceField
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, Goal, Team, User
from sponsors.models import Alert, Contact, Interaction, InteractionParticipant, NewsFeed, OrgChange, PlannedTouchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    csm, outsider = cast["csm"], cast["outsider"]
    west = Team.objects.create(name="West")
    west.members.add(outsider)
    west_lead = User.objects.create_user(username="wes@vendor.example", email="wes@vendor.example", password="pw",
                                         role=User.Role.MANAGER)
    west.managers.add(west_lead)
    w = {"csm": csm, "outsider": outsider, "west_lead": west_lead, "west": west, "east": Team.objects.get(name="East")}
    for side, person in (("mine", csm), ("theirs", outsider)):
        account = Account.objects.create(external_id=f"acc_{side}", name=side.capitalize(), tier="enterprise",
                                         owner=person)
        AccountTeamMember.objects.create(account=account, user=person, role="csm")
        contact = Contact.objects.create(account=account, name=f"{side} exec", title="VP", roles=["vp"])
        interaction = Interaction.objects.create(account=account, type="call", direction="meeting",
                                                 occurred_at=timezone.make_aware(datetime(2026, 11, 2, 10)))
        InteractionParticipant.objects.create(interaction=interaction, contact=contact)
        w[side] = {
            "account": account, "contact": contact, "interaction": interaction,
            "orgchange": OrgChange.objects.create(account=account, contact=contact, kind="promotion",
                                                  occurred_on=date(2026, 11, 1), source="manual",
                                                  headline=f"{side} promoted"),
            "plannedtouchpoint": PlannedTouchpoint.objects.create(account=account, planned_on=date(2026, 12, 1),
                                                                  type="one_on_one", planned_by=person),
            "alert": Alert.objects.create(account=account, code="no_backup_sponsor", severity="medium",
                                          message=f"{side} has no backup", contact=contact),
            "newsfeed": NewsFeed.objects.create(account=account, url=f"https://news.example/{side}.rss"),
            "goal": Goal.objects.create(account=account, name=f"{side} goal"),
            "user": person,
        }
    w["mine"]["plannedtouchpoint"].contacts.add(w["mine"]["contact"])
    w["theirs"]["plannedtouchpoint"].contacts.add(w["theirs"]["contact"])
    return w


@pytest.fixture
def staff_csm(client, world):
    csm = world["csm"]
    csm.is_staff = True
    csm.save()
    csm.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["accounts", "sponsors"]))
    client.force_login(csm)
    return client


def theirs_ids(world, model):
    """The pks of ``model`` rows that belong to the other team (their account, their people)."""
    t = world["theirs"]
    if model is Account:
        return {t["account"].pk}
    if model is User:
        return {world["outsider"].pk, world["west_lead"].pk}
    if model is Team:
        return {world["west"].pk}
    if model is InteractionParticipant:
        return set(InteractionParticipant.objects.filter(interaction__account=t["account"]).values_list("pk",
                                                                                                         flat=True))
    if "account" in {f.name for f in model._meta.get_fields()}:
        return set(model.objects.filter(account=t["account"]).values_list("pk", flat=True))
    return set()


def registered(app_label):
    return sorted((m for m in admin.site._registry if m._meta.app_label == app_label), key=lambda m: m.__name__)


ADMIN_MODELS = registered("accounts") + registered("sponsors")


# --- reading -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_changelists_and_searches_show_none_of_their_records(staff_csm, world, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    for params in ({}, {"q": "theirs"}, {"q": "olga"}, {"q": "West"}):
        response = staff_csm.get(url, params)
        assert response.status_code == 200, (url, params)
        shown = {obj.pk for obj in response.context["cl"].result_list}
        assert not shown & theirs_ids(world, model), (model, params)
        for spec in response.context["cl"].filter_specs:      # list filters list no names of theirs
            for choice in spec.choices(response.context["cl"]):
                assert "Theirs" not in str(choice.get("display")) and "olga" not in str(choice.get("display"))


READABLE = ["account", "contact", "interaction", "orgchange", "plannedtouchpoint", "alert", "newsfeed", "user"]


@pytest.mark.parametrize("kind", READABLE)
def test_their_change_pages_do_not_open_and_mine_do(staff_csm, world, kind):
    obj = world["theirs"][kind]
    app = obj._meta.app_label
    theirs = staff_csm.get(reverse(f"admin:{app}_{obj._meta.model_name}_change", args=[obj.pk]))
    mine = staff_csm.get(reverse(f"admin:{app}_{obj._meta.model_name}_change", args=[world["mine"][kind].pk]))
    assert mine.status_code == 200
    assert theirs.status_code == 302 and "theirs" not in theirs.content.decode().lower()


def form_querysets(response):
    """Every model-choice field (a select, not an inline's hidden row id) of the page's main form and its
    inlines: ``{name: queryset}``."""
    found = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        if isinstance(field, ModelChoiceField):
            found[name] = field.queryset
    for inline in response.context["inline_admin_formsets"]:
        for name, field in inline.formset.empty_form.fields.items():
            if isinstance(field, ModelChoiceField) and not field.widget.is_hidden:
                found[f"{inline.formset.prefix}.{name}"] = field.queryset
    return found


@pytest.mark.parametrize("model", [m for m in ADMIN_MODELS if m is not InteractionParticipant],
                         ids=lambda m: m._meta.label)
def test_add_and_change_forms_offer_none_of_their_records(staff_csm, world, model):
    app, name = model._meta.app_label, model._meta.model_name
    pages = [reverse(f"admin:{app}_{name}_add")]
    mine = world["mine"].get(name) or (world["csm"] if model is User else world["east"] if model is Team else None)
    if mine is not None:
        pages.append(reverse(f"admin:{app}_{name}_change", args=[mine.pk]))
    checked = 0
    for url in pages:
        response = staff_csm.get(url)
        if response.status_code == 403:          # e.g. the outbox has no add page
            continue
        assert response.status_code == 200, url
        for field, queryset in form_querysets(response).items():
            leaked = set(queryset.values_list("pk", flat=True)) & theirs_ids(world, queryset.model)
            assert not leaked, (url, field)
            checked += 1
    if model in (Contact, Interaction, OrgChange, PlannedTouchpoint, Alert, NewsFeed, Account, Team):
        assert checked, "the forms of this model have selects to check"


AUTOCOMPLETES = [(ma.model, field) for ma in admin.site._registry.values() for field in ma.autocomplete_fields] + [
    (inline.model, field) for ma in admin.site._registry.values() for inline in ma.inlines
    for field in inline.autocomplete_fields]


@pytest.mark.parametrize("model,field", AUTOCOMPLETES, ids=lambda v: getattr(v, "__name__", v))
def test_autocompletes_offer_none_of_their_records(staff_csm, world, model, field):
    remote = model._meta.get_field(field).related_model
    ids = set()
    for term in ("", "theirs", "olga", "exec"):
        response = staff_csm.get(reverse("admin:autocomplete"), {
            "app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field,
            "term": term})
        assert response.status_code == 200, response.content
        ids |= {int(r["id"]) for r in response.json()["results"]}
    assert ids, "the autocomplete answers with the CSM's own records"
    assert not ids & theirs_ids(world, remote)


# --- writing -----------------------------------------------------------------------------------------

def split(dt):
    return {"_0": dt.strftime("%Y-%m-%d"), "_1": dt.strftime("%H:%M:%S")}


def with_split(prefix, dt):
    return {f"{prefix}{k}": v for k, v in split(dt).items()}


def contact_form(account, **kw):
    return {"account": account.pk, "name": "New Exec", "title": "CFO", "email": "", "roles": ["c_level"],
            "sponsor": "", "status": "active", "priorities": "[]", "communication_preference": "",
            "linkedin_url": "", "in_role_since": "", "departed_on": "", "external_id": "", **kw}


def interaction_form(account, contact, **kw):
    return {"account": account.pk, "external_id": "", "type": "call", "direction": "meeting",
            "purpose": "strategic", "topics": "[]", "outcome": "", "logged_by": "",
            **with_split("occurred_at", datetime(2026, 11, 5, 9)), "responded_at_0": "", "responded_at_1": "",
            "participant_links-TOTAL_FORMS": "1", "participant_links-INITIAL_FORMS": "0",
            "participant_links-MIN_NUM_FORMS": "0", "participant_links-MAX_NUM_FORMS": "1000",
            "participant_links-0-contact": contact.pk, **kw}


def orgchange_form(account, contact, **kw):
    return {"account": account.pk, "contact": contact.pk, "external_id": "", "kind": "departure",
            "occurred_on": "2026-11-10", "source": "manual", "headline": "Left", "url": "", "confidence": "1",
            "evidence": "{}", "state": "pending", "old_value": "", "new_value": "", "fingerprint": "",
            "reviewed_by": "", "reviewed_at_0": "", "reviewed_at_1": "", **kw}


def touchpoint_form(account, contacts, **kw):
    return {"account": account.pk, "planned_on": "2026-12-10", "type": "one_on_one", "direction": "meeting",
            "purpose": "strategic", "objective": "", "contacts": [c.pk for c in contacts], "team_attendees": [],
            "planned_by": "", "status": "planned", **kw}


def state():
    """What a write could change, as plain data."""
    return {
        "contacts": sorted(Contact.objects.values_list("pk", "account_id", "name", "roles")),
        "interactions": sorted(Interaction.objects.values_list("pk", "account_id")),
        "participants": sorted(InteractionParticipant.objects.values_list("interaction_id", "contact_id")),
        "org_changes": sorted(OrgChange.objects.values_list("pk", "account_id", "contact_id")),
        "touchpoints": sorted(PlannedTouchpoint.objects.values_list("pk", "account_id", "contacts")),
        "feeds": sorted(NewsFeed.objects.values_list("pk", "account_id")),
        "alerts": sorted(Alert.objects.values_list("pk", "account_id", "contact_id")),
        "teams": sorted(Team.objects.values_list("pk", "members", "managers")),
    }


def W(world, side, kind):
    return world[side][kind]


WRITES = {
    # probe: (url name, url args, form data) for "theirs"; the control uses "mine" everywhere.
    "add a contact to their account": lambda w, s: (
        "admin:sponsors_contact_add", [], contact_form(W(w, s, "account"))),
    "move my contact to their account": lambda w, s: (
        "admin:sponsors_contact_change", [W(w, "mine", "contact").pk],
        contact_form(W(w, s, "account"), name="mine exec", title="VP", roles=["vp"])),
    "add an interaction on their account": lambda w, s: (
        "admin:sponsors_interaction_add", [], interaction_form(W(w, s, "account"), W(w, s, "contact"))),
    "add their contact to my interaction": lambda w, s: (
        "admin:sponsors_interaction_add", [], interaction_form(W(w, "mine", "account"), W(w, s, "contact"))),
    "add an org change on their account": lambda w, s: (
        "admin:sponsors_orgchange_add", [], orgchange_form(W(w, s, "account"), W(w, s, "contact"))),
    "name their contact in my org change": lambda w, s: (
        "admin:sponsors_orgchange_change", [W(w, "mine", "orgchange").pk],
        orgchange_form(W(w, "mine", "account"), W(w, s, "contact"), kind="promotion", headline="mine promoted")),
    "plan a touchpoint with their contact": lambda w, s: (
        "admin:sponsors_plannedtouchpoint_add", [], touchpoint_form(W(w, "mine", "account"), [W(w, s, "contact")])),
    "plan a touchpoint on their account": lambda w, s: (
        "admin:sponsors_plannedtouchpoint_add", [], touchpoint_form(W(w, s, "account"), [W(w, s, "contact")])),
    "make their colleague my planner": lambda w, s: (
        "admin:sponsors_plannedtouchpoint_add", [],
        touchpoint_form(W(w, "mine", "account"), [W(w, "mine", "contact")], planned_by=W(w, s, "user").pk)),
    "add a news feed to their account": lambda w, s: (
        "admin:sponsors_newsfeed_add", [], {"account": W(w, s, "account").pk, "url": "https://n.example/x.rss"}),
    "put their colleague on my team": lambda w, s: (
        "admin:accounts_team_change", [w["east"].pk],
        {"name": "East", "managers": [w["east"].managers.get().pk],
         "members": [w["csm"].pk, w["east"].members.exclude(pk=w["csm"].pk).get().pk, W(w, s, "user").pk]
         if s == "theirs" else [w["csm"].pk, w["east"].members.exclude(pk=w["csm"].pk).get().pk]}),
}


@pytest.mark.parametrize("probe", list(WRITES))
def test_writes_across_teams_are_refused_and_change_nothing(staff_csm, world, probe):
    url_name, args, data = WRITES[probe](world, "theirs")
    before = state()

    response = staff_csm.post(reverse(url_name, args=args), data)

    assert response.status_code in (200, 403)
    if response.status_code == 200:                      # the form again, with the error on the field
        errors = response.context["adminform"].form.errors
        inline_errors = [e for f in response.context["inline_admin_formsets"] for e in f.formset.errors if e]
        assert errors or inline_errors, "refused with a message"
    assert state() == before


@pytest.mark.parametrize("probe", list(WRITES))
def test_the_same_write_on_my_own_records_goes_through(staff_csm, world, probe):
    url_name, args, data = WRITES[probe](world, "mine")
    before = state()

    response = staff_csm.post(reverse(url_name, args=args), data)

    assert response.status_code == 302, (response.context["adminform"].form.errors
                                         if response.context and "adminform" in response.context else response)
    if "_add" in url_name:
        assert state() != before


# --- the contact form's roles --------------------------------------------------------------------------

@pytest.mark.parametrize("roles,expected", [
    (["vp"], ["vp"]), ("vp", ["vp"]), (["c_level", "executive_sponsor"], ["c_level", "executive_sponsor"]),
    ("5", None), (["v", "p"], None), (["ceo"], None),
])
def test_the_contact_forms_roles_are_a_multiple_choice(staff_csm, world, roles, expected):
    response = staff_csm.post(reverse("admin:sponsors_contact_add"),
                              contact_form(world["mine"]["account"], name="Roly Poly", roles=roles))
    created = Contact.objects.filter(name="Roly Poly").first()
    if expected is None:
        assert response.status_code == 200 and "roles" in response.context["adminform"].form.errors
        assert created is None
    else:
        assert response.status_code == 302 and created.roles == expected
