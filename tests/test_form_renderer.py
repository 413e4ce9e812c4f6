"""The pages' forms render the same HTML through the inlined widget templates (reports/form_renderer.py, Python) as
through Django's own: every widget of every page form, unbound, bound and valid, bound with errors, and the
widget branches those forms do not reach (optgroups, radio buttons, boolean attributes)."""

from types import SimpleNamespace

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from reports.form_renderer import PYTHON_WIDGETS
from reports.forms import PortfolioFilterForm
from reports.inbox import InboxFilterForm
from reports.workspace_forms import ContactForm, InteractionForm, TimelineFilterForm, TouchpointForm

DJANGO = DjangoTemplates()
PEOPLE = [SimpleNamespace(pk=7, name="Ana <Ruiz>", title="CFO & Treasurer", status="active"),
          SimpleNamespace(pk=12, name="Bo \"B\" Li", title="", status="departed")]


class EveryBranch(forms.Form):
    default_renderer = PYTHON_WIDGETS
    grouped = forms.ChoiceField(choices=[("", "None"), ("Fruit", [("a", "Apple"), ("b", "Banana")]), ("c", "Cherry")])
    radio = forms.ChoiceField(choices=[("x", "X <1>"), ("y", "Y")], widget=forms.RadioSelect)
    grouped_boxes = forms.MultipleChoiceField(choices=[("G", [("1", "One"), ("2", "Two")]), ("3", "Three")],
                                              widget=forms.CheckboxSelectMultiple(attrs={"class": "boxes"}))
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], widget=forms.SelectMultiple)
    flag = forms.BooleanField(required=False)
    attrs = forms.CharField(widget=forms.TextInput(attrs={"autofocus": True, "disabled": False, "data-q": 'a"b<c'}))
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    mail = forms.EmailField()
    when = forms.TimeField()
    hidden = forms.CharField(widget=forms.HiddenInput)


FORMS = {
    "log": lambda **kw: InteractionForm(contacts=PEOPLE, initial={"occurred_at": "2026-11-20T09:05", "type": "email",
                                                                 "participants": ["12"]}, **kw),
    "log bound": lambda **kw: InteractionForm({"log-type": "one_on_one", "log-participants": ["7"],
                                               "log-outcome": "Went <well>\nnext", "log-occurred_at": "not a date"},
                                              contacts=PEOPLE, **kw),
    "plan": lambda **kw: TouchpointForm(contacts=PEOPLE, **kw),
    "plan bound": lambda **kw: TouchpointForm({"plan-planned_on": "2026-12-01", "plan-contacts": ["7", "12"],
                                               "plan-objective": "Q1 <review>"}, contacts=PEOPLE, **kw),
    "contact": lambda **kw: ContactForm(**kw),
    "contact bound": lambda **kw: ContactForm({"contact-name": "", "contact-roles": ["vp", "cfo"],
                                               "contact-in_role_since": "2026-01-02"}, **kw),
    "timeline": lambda **kw: TimelineFilterForm(contacts=PEOPLE, **kw),
    "timeline bound": lambda **kw: TimelineFilterForm({"person": "12", "type": "email", "page": "2"}, contacts=PEOPLE,
                                                      **kw),
    "portfolio": lambda **kw: PortfolioFilterForm(owners=((3, "Cy <Owner>"),), **kw),
    "portfolio bound": lambda **kw: PortfolioFilterForm({"q": "acme \"x\"", "owner": "3", "tier": "enterprise",
                                                         "renewal": "-1", "sort": "-arr"}, owners=((3, "Cy"),), **kw),
    "inbox": lambda **kw: InboxFilterForm(**kw),
    "inbox bound": lambda **kw: InboxFilterForm({"severity": "high", "page": "x"}, **kw),
    "every branch": lambda **kw: EveryBranch(initial={"grouped": "b", "radio": "y", "grouped_boxes": ["2", "3"],
                                                      "many": ["1"], "flag": True, "secret": "s3"}, **kw),
    "every branch bound": lambda **kw: EveryBranch({"grouped": "c", "grouped_boxes": ["1"], "flag": "on",
                                                    "note": "x < y", "mail": "nope"}, **kw),
}


@pytest.mark.parametrize("name", FORMS)
def test_every_widget_renders_as_djangos_own_templates_render_it(name):
    ours, djangos = FORMS[name](), FORMS[name](renderer=DJANGO)
    assert ours.renderer is PYTHON_WIDGETS
    ours.is_bound and ours.is_valid()
    djangos.is_bound and djangos.is_valid()
    for field in ours:
        assert str(field) == str(djangos[field.name]), field.name
    assert ours.as_div() == djangos.as_div()
