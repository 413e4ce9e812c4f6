"""``{% load inputs %}``: the product's input rules in templates.

``{{ value|safe_url }}`` is THE safe-URL rule (``accounts.inputs.safe_url``: absolute http/https
only, else ''), for every link a page or an e-mail renders from data::

    {% with url=org_change.url|safe_url %}{% if url %}<a href="{{ url }}">source</a>{% endif %}{% endwith %}
"""

from django import template

from accounts.inputs import safe_url as _safe_url

register = template.Library()


@register.filter
def safe_url(value) -> str:
    return _safe_url(value)
