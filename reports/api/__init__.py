"""The REST API.

``/api/v1/`` (``urls.py``): DRF viewsets over the visible accounts, executive contacts, interactions,
planned touchpoints, org changes, alerts, the report JSON, the portfolio metrics and the current user, with
an OpenAPI 3.1 schema (drf-spectacular), cursor pagination, django-filter filters, personal tokens and one
error shape.  Every queryset is scoped by ``accounts.selectors.accounts_visible_to`` in ``get_queryset``
(``base.VisibleQuerysetMixin``): another team's objects are a 404 and never listed.  Every write goes
through a ``sponsors`` service.

``/api/…`` (``legacy.py``): the first, hand-written endpoints, kept as they were for existing clients.
"""
