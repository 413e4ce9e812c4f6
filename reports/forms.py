"""Filters of the portfolio page (bad input -> an error naming the field; dates inside the product range)."""

from django import forms

from accounts.forms import ProductDateField
from accounts.vocabulary import ENGAGEMENT_LEVELS, TIER_LABELS, TIERS


class PortfolioFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Account or sponsor"}))
    tier = forms.ChoiceField(required=False, label="Tier",
                             choices=[("", "All tiers"), *((t, TIER_LABELS[t]) for t in TIERS)])
    level = forms.ChoiceField(required=False, label="Engagement",
                              choices=[("", "All levels"), *((lv, lv) for lv in ENGAGEMENT_LEVELS)])
    as_of = ProductDateField(required=False, label="As of",
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
