"""The alerts inbox (``/alerts/``): the open and acknowledged alerts of every account the user may see
(a CSM's book, a manager's teams, everything for an admin), what is due this week first, then by severity
and due date; acknowledge or resolve each in place; and the org changes awaiting review.

One page view with its fragments (``reports/inbox.html``) and two POST actions, through the sponsors
services.  A fixed number of queries whatever the portfolio: one aggregate, one page of alerts, the
pending org changes and their count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import accounts_visible_to, sees_every_account
from accounts.vocabulary import SEVERITIES, SEVERITIES_MOST_FIRST
from reports.form_renderer import PYTHON_WIDGETS
from reports.links import Link
from reports.page_cache import kept_while_unchanged
from reports.panels import AlertItem, OrgChangeItem
from reports.portfolio_page import owners
from sponsors.models import Alert, OrgChange
from sponsors.orgchanges.review import org_change_confirm, org_change_dismiss
from sponsors.rules.alert_codes import ALERT_CODES
from sponsors.services.alerts import alert_acknowledge, alert_acknowledge_many, alert_resolve, evaluate_accounts

PAGE = "reports/inbox.html"
PAGE_SIZE = 25
DUE_SOON_DAYS = 7
ORG_CHANGES_SHOWN = 50
UNRESOLVED = (Alert.Status.OPEN, Alert.Status.ACKNOWLEDGED)


class InboxFilterForm(forms.Form):
    default_renderer = PYTHON_WIDGETS
    severity = forms.ChoiceField(required=False, label="Severity",
                                 choices=[("", "All severities"),
                                          *((s, s.capitalize()) for s in SEVERITIES_MOST_FIRST)])
    kind = forms.ChoiceField(required=False, label="Alert",
                             choices=[("", "Every kind"), *((c.code, c.title) for c in ALERT_CODES.values())])
    owner = forms.TypedChoiceField(required=False, label="Account owner", coerce=int, empty_value=None)
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, widget=forms.HiddenInput)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Everyone's"), *owners]


@dataclass(frozen=True)
class InboxFilters:
    """Which of the user's unresolved alerts the inbox lists (beside the severity, which cuts the runs)."""

    kind: str = ""                  # an alert code
    owner: int | None = None        # the accounts' owner (a user id)


# What a row shows (reports/inbox.html#alert_row): reading every column of the alert, its account, the owner,
# whoever acknowledged it and the proposed sponsor (which the inbox does not show) built five wide model
# instances per row.
_PERSON = ("first_name", "last_name", "email", "username")          # str(user)
ROW_FIELDS = ("account_id", "code", "severity", "status", "message", "due_on", "opened_at", "acknowledged_by_id",
              "account__name", "account__owner_id", *(f"account__owner__{f}" for f in _PERSON),
              *(f"acknowledged_by__{f}" for f in _PERSON))


class InboxLinks:
    """The links of the inbox's rows (``reports.links.Link``: one ``reverse()`` each per page, not per row)."""

    def __init__(self):
        self.account = Link("reports:account", Link.ID)
        self.acknowledge = Link("reports:inbox_alert", Link.ID, "acknowledge")
        self.resolve = Link("reports:inbox_alert", Link.ID, "resolve")


@dataclass(frozen=True)
class InboxItem(AlertItem):
    today: date = date.min
    links: InboxLinks | None = None

    @property
    def account_url(self) -> str:
        return self.links.account(self.alert.account_id)

    @property
    def acknowledge_url(self) -> str:
        return self.links.acknowledge(self.alert.pk)

    @property
    def resolve_url(self) -> str:
        return self.links.resolve(self.alert.pk)

    @property
    def due_this_week(self) -> bool:
        return self.alert.due_on is not None and self.alert.due_on <= self.today + timedelta(days=DUE_SOON_DAYS)

    @property
    def overdue(self) -> bool:
        return self.alert.due_on is not None and self.alert.due_on < self.today


def unresolved_alerts(user, filters: InboxFilters = InboxFilters()):
    """The open and acknowledged alerts of the accounts ``user`` may see (an admin: all of them, unfiltered,
    so the count and the sort read the partial index of unresolved alerts alone), of one kind and one
    owner's accounts when ``filters`` say so."""
    qs = Alert.objects.filter(status__in=UNRESOLVED)
    if filters.kind:
        qs = qs.filter(code=filters.kind)
    if filters.owner:
        qs = qs.filter(account__owner_id=filters.owner)
    return qs if sees_every_account(user) else qs.filter(account__in=accounts_visible_to(user).values("pk"))


def inbox_segments(*, today: date) -> list[tuple[str, Q]]:
    """The inbox's order — due this week first (overdue included), then most severe, soonest due, newest
    opened — cut into runs of one severity and one kind of due date — due this week, due later, no due
    date — in that order.  Within a run the order is the index's own (severity, due date) plus
    the newest first, so a page reads only the runs it shows instead of sorting every unresolved alert."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    runs = [(f"{s}_soon", Q(severity=s, due_on__lte=soon)) for s in SEVERITIES_MOST_FIRST]
    for s in SEVERITIES_MOST_FIRST:
        runs += [(f"{s}_later", Q(severity=s, due_on__gt=soon)), (f"{s}_undated", Q(severity=s, due_on=None))]
    return runs


def inbox_counts(user, *, today: date, filters: InboxFilters = InboxFilters()) -> dict:
    """How many unresolved alerts, how many due this week, per severity, and per run of the order
    (``inbox_segments``): one grouped query over the narrow index of unresolved alerts.

    Grouped by severity alone (the index's first column) with the due-date kinds as filtered counts:
    grouping by a CASE of the due date as well built a text key per alert and took 2-3x as long."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    counts = dict.fromkeys(("total", "due_soon", *SEVERITIES, *(name for name, _ in inbox_segments(today=today))), 0)
    for row in (unresolved_alerts(user, filters).values("severity")
                .annotate(n=Count("pk"), soon=Count("pk", filter=Q(due_on__lte=soon)),
                          undated=Count("pk", filter=Q(due_on=None))).order_by()):
        severity, n, due_soon, undated = row["severity"], row["n"], row["soon"], row["undated"]
        counts[f"{severity}_soon"], counts[f"{severity}_undated"] = due_soon, undated
        counts[f"{severity}_later"] = n - due_soon - undated
        counts[severity] += n
        counts["total"] += n
        counts["due_soon"] += due_soon
    return counts


class InboxOrder:
    """The ids of the user's unresolved alerts (of one severity, if given) in the inbox's order, sliced as a
    Paginator slices, in one query.

    Every account's alerts (an admin's: tens of thousands) are read from the runs the slice spans
    (``inbox_segments``, counted by ``inbox_counts``), each run in index order with its own LIMIT and OFFSET,
    instead of sorting them all (on SQLite, which has no LIMIT inside a UNION, a query per run spanned).
    A CSM's or a manager's alerts are those of their accounts, found through the account index: they are
    ranked by run and sorted in one plain query, which PostgreSQL plans and Django builds once, where a part
    per run repeated the visibility rule in each (9 ms against 2 ms for a CSM of 50 accounts at 5,000)."""

    def __init__(self, user, *, today: date, severity: str, counts: dict, filters: InboxFilters = InboxFilters()):
        self.base, self.counts = unresolved_alerts(user, filters), counts
        self.every_account = sees_every_account(user)
        self.severity = severity
        self.runs = [(name, where) for name, where in inbox_segments(today=today)
                     if not severity or name.startswith(f"{severity}_")]

    def __len__(self) -> int:
        return sum(self.counts[name] for name, _ in self.runs)

    def __getitem__(self, window: slice) -> list[int]:
        if not self.every_account:
            return list(self._ranked()[window.start or 0:window.stop])
        start, stop = window.start or 0, window.stop
        parts, first = [], 0
        for position, (name, where) in enumerate(self.runs):
            size = self.counts[name]
            low, high = max(start - first, 0), min(stop - first, size)
            if low < high:
                parts.append(self.base.filter(where).annotate(run=Value(position))
                             .order_by("due_on", "-opened_at", "-pk")
                             .values_list("run", "due_on", "opened_at", "pk")[low:high])
            first += size
        if len(parts) > 1 and connections[self.base.db].features.supports_slicing_ordering_in_compound:
            parts = [parts[0].union(*parts[1:], all=True).order_by("run", "due_on", "-opened_at", "-pk")]
        # Elsewhere (SQLite: no LIMIT inside a UNION) each run is read on its own, in the runs' order.
        return [row[3] for part in parts for row in part]

    def _ranked(self):
        """The user's alerts ranked by the run they are in, in the inbox's order (ids)."""
        run = Case(*(When(where, then=Value(position)) for position, (_, where) in enumerate(self.runs)),
                   output_field=IntegerField())
        qs = self.base.filter(severity=self.severity) if self.severity else self.base
        return qs.annotate(run=run).order_by("run", "due_on", "-opened_at", "-pk").values_list("pk", flat=True)


def pending_changes(user, *, owner: int | None = None) -> tuple[list, int]:
    """The org changes awaiting review on the accounts the user may see (of one owner's accounts, if given)."""
    qs = OrgChange.objects.filter(account__in=accounts_visible_to(user).values("pk"), state=OrgChange.State.PENDING)
    if owner:
        qs = qs.filter(account__owner_id=owner)
    qs = qs.select_related("account", "contact").order_by("-occurred_on", "-pk")
    items = [OrgChangeItem(c) for c in qs[:ORG_CHANGES_SHOWN]]
    return items, (len(items) if len(items) < ORG_CHANGES_SHOWN else qs.count())


def inbox_query(request) -> str:
    """The inbox's query string (filters, page), carried by its actions so that what comes back — the HTMX
    fragment, or the page a plain form post is sent back to — is the same view of the inbox."""
    return f"?{request.GET.urlencode()}" if request.GET else ""


def inbox_context(request, *, notice: str = "", org_notice: str = "") -> dict:
    today = timezone.localdate()
    form = InboxFilterForm(request.GET or None, owners=owners(accounts_visible_to(request.user)))
    severity, page, filters = "", 1, InboxFilters()
    if form.is_bound and form.is_valid():
        severity, page = form.cleaned_data["severity"], form.cleaned_data["page"] or 1
        filters = InboxFilters(kind=form.cleaned_data["kind"], owner=form.cleaned_data["owner"])
    counts = inbox_counts(request.user, today=today, filters=filters)
    # The page's ids first (from the runs of the order it spans), then its 25 rows (messages, details) by id.
    order = InboxOrder(request.user, today=today, severity=severity, counts=counts, filters=filters)
    paginator = Paginator(order, PAGE_SIZE)
    paginator.__dict__["count"] = counts[severity] if severity else counts["total"]    # counted just above
    alerts_page = paginator.get_page(page)
    ids = list(alerts_page.object_list)
    by_id = Alert.objects.select_related("account__owner", "acknowledged_by").only(*ROW_FIELDS).in_bulk(ids)
    changes, changes_total = pending_changes(request.user, owner=filters.owner)
    links = InboxLinks()
    items = [InboxItem(by_id[pk], today=today, links=links) for pk in ids if pk in by_id]
    return {"form": form, "today": today, "page": alerts_page, "counts": counts,
            "items": items, "open_shown": [item.alert.pk for item in items if item.can_acknowledge], "notice": notice,
            "org_change_items": changes, "org_changes_total": changes_total, "org_notice": org_notice,
            "severity": severity, "filtered": bool(filters.kind or filters.owner), "inbox_query": inbox_query(request)}


@require_GET
@login_required
@kept_while_unchanged
def inbox(request):
    context = inbox_context(request)
    if request.htmx and request.htmx.target == "inbox-alerts":
        return render(request, f"{PAGE}#alerts", context)
    return render(request, PAGE, context, status=400 if context["form"].errors else 200)


ALERT_ACTIONS = {"acknowledge", "resolve"}


@require_POST
@login_required
def acknowledge_shown(request):
    """Acknowledge the open alerts a page of the inbox showed (``alert``: their ids, at most a page); HTMX gets
    the alerts section back, a plain form post the same inbox page."""
    ids = request.POST.getlist("alert")
    if not ids or len(ids) > PAGE_SIZE or not all(i.isascii() and i.isdigit() and len(i) < 19 for i in ids):
        return HttpResponseBadRequest(f"alert: the ids of the alerts shown, 1 to {PAGE_SIZE} of them.",
                                      content_type="text/plain; charset=utf-8")
    alerts = list(Alert.objects.filter(pk__in=ids, account__in=accounts_visible_to(request.user).values("pk")))
    if len(alerts) != len(set(ids)):
        raise Http404("No such alert among yours.")
    count = alert_acknowledge_many(alerts=alerts, by=request.user)
    skipped = len(alerts) - count
    notice = f"Acknowledged {count} alert{'' if count == 1 else 's'}." + (
        f" {skipped} had been acknowledged or resolved already." if skipped else "")
    if not request.htmx:
        messages.success(request, notice)
        return redirect(reverse("reports:inbox") + inbox_query(request))
    return render(request, f"{PAGE}#alerts", inbox_context(request, notice=notice))


@require_POST
@login_required
def alert_action(request, alert_id, action):
    """Acknowledge or resolve one alert of an account the user may see; HTMX gets its row back."""
    if action not in ALERT_ACTIONS:
        raise Http404(f"No alert action {action!r}")
    alert = get_object_or_404(Alert.objects.filter(account__in=accounts_visible_to(request.user).values("pk")),
                              pk=alert_id)
    if action == "acknowledge":
        alert = alert_acknowledge(alert=alert, by=request.user)
        notice = "Acknowledged." if alert.status != Alert.Status.RESOLVED else "It had already resolved itself."
    else:
        alert = alert_resolve(alert=alert, by=request.user)
        notice = "Resolved. If its condition still holds, the next check opens it again."
    if not request.htmx:
        messages.success(request, f"{alert.title} ({alert.account.name}): {notice}")
        return redirect(reverse("reports:inbox") + inbox_query(request))
    alert = Alert.objects.select_related("account", "account__owner", "acknowledged_by", "proposed_primary").get(
        pk=alert.pk)
    context = {"item": InboxItem(alert, today=timezone.localdate(), links=InboxLinks()), "row_notice": notice,
               "inbox_query": inbox_query(request)}
    return render(request, f"{PAGE}#alert_row", context)


@require_POST
@login_required
def org_change_action(request, change_id, action):
    """Confirm or dismiss an org change awaiting review; HTMX gets the inbox's org-change section back."""
    if action not in {"confirm", "dismiss"}:
        raise Http404(f"No org-change action {action!r}")
    change = get_object_or_404(OrgChange.objects.filter(account__in=accounts_visible_to(request.user).values("pk")),
                               pk=change_id)
    if change.state != OrgChange.State.PENDING:
        notice = f"This change was already {change.get_state_display().lower()}."
    elif action == "confirm":
        change = org_change_confirm(change=change, by=request.user)
        evaluate_accounts(account_ids=[change.account_id], as_of=timezone.localdate())
        notice = f"Confirmed: {change}."
    else:
        change = org_change_dismiss(change=change, by=request.user)
        notice = f"Dismissed: {change}."
    if not request.htmx:
        messages.success(request, notice)
        return redirect(reverse("reports:inbox") + inbox_query(request))
    return render(request, f"{PAGE}#org_changes_response", inbox_context(request, org_notice=notice))
