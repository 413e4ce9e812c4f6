"""The account workspace's forms: log (or edit) an interaction, plan a touchpoint, add or edit an executive,
filter the timeline.  They only parse and check shapes; the rules (guardrail 4, times, contacts of the
account, sponsor rules) are the services', whose ``ValidationError`` lands on the field it names
(``add_service_errors``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from accounts.forms import ProductDateField, validate_product_date
from accounts.vocabulary import (
    CONTACT_ROLE_LABELS,
    CONTACT_ROLES,
    DIRECTIONS,
    INTERACTION_LABELS,
    INTERACTION_TYPES,
    PURPOSES,
    label,
)
from reports.form_renderer import PYTHON_WIDGETS

TYPE_CHOICES = [(t, INTERACTION_LABELS[t]) for t in INTERACTION_TYPES]
DIRECTION_CHOICES = [(d, label(d)) for d in DIRECTIONS]
PURPOSE_CHOICES = [(p, label(p)) for p in PURPOSES]
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MAX_LIST_ITEMS = 20


def text_list(value: str, *, field: str) -> list[str]:
    """"a, b; c" (commas, semicolons or lines) -> ["a", "b", "c"]: at most 20 items of 200 characters."""
    items = [" ".join(part.split()) for chunk in (value or "").splitlines() for part in chunk.replace(";", ",")
             .split(",")]
    items = [i for i in items if i]
    if len(items) > MAX_LIST_ITEMS:
        raise ValidationError(f"At most {MAX_LIST_ITEMS} {field}, separated by commas.")
    if any(len(i) > 200 for i in items):
        raise ValidationError(f"Each of the {field} is at most 200 characters.")
    return list(dict.fromkeys(items))


class ContactChoices(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"required": "Choose at least one person."})
        super().__init__(**kwargs)


class TeamChoices(forms.MultipleChoiceField):
    """Who of our side took part (optional): the account team and the owner."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "From our team")
        super().__init__(required=False, **kwargs)


def team_choices(form, team) -> dict:
    """Offer ``team`` (``(user, role label)`` pairs) on ``form``'s ``team_attendees``; ``{id: user}``."""
    form.fields["team_attendees"].choices = [(str(u.pk), f"{u} ({role})" if role else str(u)) for u, role in team]
    return {str(u.pk): u for u, _ in team}


class ServiceErrors:
    """Put a service's ``ValidationError`` beside the field it names (``FIELD_MAP`` renames service fields);
    anything else becomes a form-wide error."""

    FIELD_MAP: dict = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for name, errors in error.message_dict.items():
            name = self.FIELD_MAP.get(name, name)
            self.add_error(name if name in self.fields else None, errors)


class InteractionForm(ServiceErrors, forms.Form):
    """Log an interaction that happened (or correct one you logged)."""

    default_renderer = PYTHON_WIDGETS
    FIELD_MAP = {"contacts": "participants", "touchpoint": None}      # a plan's problem: above the form
    prefix = "log"

    type = forms.ChoiceField(choices=TYPE_CHOICES, initial="one_on_one")
    occurred_at = forms.DateTimeField(label="Date and time", widget=DATETIME_WIDGET,
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                                      validators=[validate_product_date])
    participants = ContactChoices(label="Who took part")
    team_attendees = TeamChoices()
    direction = forms.ChoiceField(choices=DIRECTION_CHOICES, initial="meeting")
    purpose = forms.ChoiceField(choices=PURPOSE_CHOICES, initial="strategic")
    topics = forms.CharField(required=False, max_length=2000, help_text="Separated by commas.")
    outcome = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    responded_at = forms.DateTimeField(required=False, label="They replied on", widget=DATETIME_WIDGET,
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                                       validators=[validate_product_date],
                                       help_text="For an outbound message: when they answered.")
    touchpoint = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)   # the plan it fulfils

    def __init__(self, *args, contacts=(), team=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contacts = {str(c.pk): c for c in contacts}
        self.fields["participants"].choices = [(str(c.pk), _person(c)) for c in contacts]
        self.team = team_choices(self, team)

    def clean_topics(self):
        return text_list(self.cleaned_data["topics"], field="topics")

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"contacts": [self.contacts[pk] for pk in d["participants"]], "occurred_at": d["occurred_at"],
                "type": d["type"], "direction": d["direction"], "purpose": d["purpose"], "outcome": d["outcome"],
                "topics": d["topics"], "responded_at": d["responded_at"],
                "team_attendees": [self.team[pk] for pk in d["team_attendees"]]}


class TouchpointForm(ServiceErrors, forms.Form):
    """Plan a touchpoint (the conflict check reads the same fields)."""

    default_renderer = PYTHON_WIDGETS
    prefix = "plan"

    planned_on = ProductDateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    type = forms.ChoiceField(choices=TYPE_CHOICES, initial="one_on_one")
    contacts = ContactChoices(label="With")
    team_attendees = TeamChoices()
    direction = forms.ChoiceField(choices=DIRECTION_CHOICES, initial="meeting")
    purpose = forms.ChoiceField(choices=PURPOSE_CHOICES, initial="strategic")
    objective = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, contacts=(), team=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contacts = {str(c.pk): c for c in contacts}
        self.fields["contacts"].choices = [(str(c.pk), _person(c)) for c in contacts]
        self.team = team_choices(self, team)

    def chosen(self) -> list:
        return [self.contacts[pk] for pk in self.cleaned_data["contacts"]]

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"contacts": self.chosen(), "planned_on": d["planned_on"], "type": d["type"],
                "direction": d["direction"], "purpose": d["purpose"], "objective": d["objective"],
                "team_attendees": [self.team[pk] for pk in d["team_attendees"]]}


class ContactForm(ServiceErrors, forms.Form):
    """Add an executive, or edit a contact's title, roles and preferences."""

    default_renderer = PYTHON_WIDGETS
    prefix = "contact"

    name = forms.CharField(max_length=255)
    title = forms.CharField(required=False, max_length=255)
    email = forms.EmailField(required=False, max_length=254)
    roles = forms.MultipleChoiceField(choices=[(r, CONTACT_ROLE_LABELS[r]) for r in CONTACT_ROLES],
                                      widget=forms.CheckboxSelectMultiple, initial=["vp"],
                                      error_messages={"required": "Choose at least one role."})
    communication_preference = forms.CharField(required=False, max_length=64, label="Prefers",
                                               help_text="e.g. in person, e-mail, phone")
    priorities = forms.CharField(required=False, max_length=2000, help_text="Separated by commas.")
    in_role_since = ProductDateField(required=False, label="In role since",
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_priorities(self):
        return text_list(self.cleaned_data["priorities"], field="priorities")

    def changes(self) -> dict:
        d = self.cleaned_data
        return {"name": d["name"].strip(), "title": d["title"].strip(), "email": d["email"], "roles": d["roles"],
                "communication_preference": d["communication_preference"].strip(), "priorities": d["priorities"],
                "in_role_since": d["in_role_since"]}

    @classmethod
    def initial_for(cls, contact) -> dict:
        return {"name": contact.name, "title": contact.title, "email": contact.email, "roles": contact.roles,
                "communication_preference": contact.communication_preference,
                "priorities": ", ".join(contact.priorities or ()), "in_role_since": contact.in_role_since}


class TimelineFilterForm(forms.Form):
    default_renderer = PYTHON_WIDGETS
    person = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Person")
    type = forms.ChoiceField(required=False, choices=[("", "All types"), *TYPE_CHOICES], label="Type")
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, widget=forms.HiddenInput)

    def __init__(self, *args, contacts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "Everyone"), *((c.pk, c.name) for c in contacts)]


def _person(contact) -> str:
    parts = [contact.name, contact.title]
    if contact.status == "departed":
        parts.append("departed")
    return " — ".join(p for p in parts if p)
