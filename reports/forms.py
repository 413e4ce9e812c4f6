"""Filters of the portfolio page (bad input -> an error naming the field; dates inside the product range)."""

from django import forms

from accounts.forms import ProductDateField
from accounts.vocabulary import ENGAGEMENT_LEVELS, RISK_LEVELS, SEVERITIES_MOST_FIRST, TIER_LABELS, TIERS
from reports.form_renderer import PYTHON_WIDGETS
from reports.portfolio_page import DEFAULT_SORT, SORTS, Filters

SORT_CHOICES = [(f"{sign}{key}", f"{key}{' (descending)' if sign else ''}") for key in SORTS for sign in ("", "-")]


class PortfolioFilterForm(forms.Form):
    default_renderer = PYTHON_WIDGETS
    q = forms.CharField(required=False, max_length=100, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Account or sponsor"}))
    owner = forms.TypedChoiceField(required=False, label="Owner", coerce=int, empty_value=None,
                                   choices=[("", "All owners")])
    tier = forms.ChoiceField(required=False, label="Tier",
                             choices=[("", "All tiers"), *((t, TIER_LABELS[t]) for t in TIERS)])
    level = forms.ChoiceField(required=False, label="Engagement",
                              choices=[("", "All levels"), *((lv, lv) for lv in ENGAGEMENT_LEVELS)])
    risk = forms.ChoiceField(required=False, label="Risk",
                             choices=[("", "All risks"), *((r, r) for r in reversed(RISK_LEVELS))])
    severity = forms.ChoiceField(required=False, label="Open alerts",
                                 choices=[("", "Any or none"),
                                          *((s, f"{s.capitalize()}{' or worse' if s != 'critical' else ''}")
                                            for s in SEVERITIES_MOST_FIRST)])
    renewal = forms.IntegerField(required=False, min_value=0, max_value=3650, label="Renewal within (days)",
                                 widget=forms.NumberInput(attrs={"placeholder": "e.g. 90", "inputmode": "numeric"}))
    as_of = ProductDateField(required=False, label="As of",
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, widget=forms.HiddenInput)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "All owners"), *owners]

    def filters(self) -> Filters:
        """The valid filters (call after ``is_valid()``)."""
        d = self.cleaned_data
        return Filters(q=d["q"] or "", owner=d["owner"], tier=d["tier"] or "", level=d["level"] or "",
                       risk=d["risk"] or "", severity=d["severity"] or "", renewal_days=d["renewal"],
                       sort=d["sort"] or DEFAULT_SORT, page=d["page"] or 1)
