"""Who has left, read from the database for the readers that build no facts (the workspace, the portfolio,
the sponsor service): THE rule of ``AccountFacts.departures`` — a contact has left when its CRM status is
``departed`` or a confirmed ``departure`` org change dated on or before the day names it (LinkedIn, the news,
a webhook or a CSM may know before the CRM)."""

from __future__ import annotations

from datetime import date

from ..models import OrgChange


def confirmed_departures(*, as_of: date, **scope):
    """The confirmed departures naming a contact, dated on or before ``as_of`` (a queryset); ``scope``
    narrows them (``account=``, ``account_id__in=``, ``contact=`` …)."""
    return OrgChange.objects.filter(kind="departure", state=OrgChange.State.CONFIRMED, contact__isnull=False,
                                    occurred_on__lte=as_of, **scope)


def departure_days(*, as_of: date, **scope) -> dict:
    """``{contact id: the day their latest confirmed departure says they left}`` (one query)."""
    return dict(confirmed_departures(as_of=as_of, **scope).order_by("occurred_on", "pk")
                .values_list("contact_id", "occurred_on"))
