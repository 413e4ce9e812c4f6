"""Pages: the portfolio, the account report and its downloads, and the actions of the workspace's panels
(acknowledge an alert, accept a succession, confirm or dismiss an org change, sponsor roles).  Thin: parse,
check who may see what (``accounts_visible_to``), call the builders or the sponsors services, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import accounts_visible_to
from reports import portfolio_export
from reports.builder import build_sponsor_report
from reports.exports import FORMATS, export_report
from reports.forms import PortfolioFilterForm
from reports.page_cache import kept_while_unchanged
from reports.params import BadParameter, form_errors, parse_as_of
from reports.portfolio_page import SORT_LABELS, Filters, load_page, owners
from reports.render_html import html_context
from reports.workspace_views import respond
from sponsors.config import rules_config
from sponsors.models import Alert, Contact, OrgChange
from sponsors.orgchanges.review import org_change_confirm, org_change_dismiss
from sponsors.services.alerts import alert_acknowledge, evaluate_accounts
from sponsors.services.sponsors import SponsorError, contact_mark_departed, set_sponsor_role, sponsor_accept_succession

PRINT_PAGE_CSP = {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "img-src": ["data:"],
                  "base-uri": [CSP.NONE], "form-action": [CSP.NONE], "frame-ancestors": [CSP.NONE]}
DOWNLOADS = (("md", "Markdown"), ("pdf", "PDF"), ("json", "JSON"), ("ics", "Calendar (.ics)"))


def ping(request):
    """The trivial page the ``bench_pages`` benchmark compares the pages with (the load balancer probes are
    ``/healthz`` and ``/readyz``, config/health.py): it goes
    through the same middleware and reads the session and the user like every page, and renders nothing."""
    signed_in = request.user.is_authenticated          # reads the session and the user, as every page does
    return HttpResponse(f"ok{' (signed in)' if signed_in else ''}\n", content_type="text/plain; charset=utf-8")


# Columns whose first click sorts the largest (or worst) first.
DESCENDING_FIRST = {"risk", "alerts", "arr", "touch"}


def sort_columns(sort: str) -> list[dict]:
    """The sortable columns' headers: label, the sort a click asks for, and ``aria-sort`` of the current one."""
    out = []
    for key, label in SORT_LABELS.items():
        state = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
        following = {"ascending": f"-{key}", "descending": key}.get(state) or (
            f"-{key}" if key in DESCENDING_FIRST else key)
        out.append({"key": key, "label": label, "next": following, "state": state})
    return out


def portfolio_query(request):
    """The user's accounts, their owners (the filter's choices), and the page's filters parsed from the query
    string: ``(accounts, owner choices, form, filters, as_of)``; the form holds any errors."""
    accounts = accounts_visible_to(request.user)
    owner_choices = owners(accounts)
    form = PortfolioFilterForm(request.GET or None, owners=owner_choices)
    filters, as_of = Filters(), timezone.localdate()
    if form.is_bound and form.is_valid():
        filters, as_of = form.filters(), form.cleaned_data["as_of"] or as_of
    return accounts, owner_choices, form, filters, as_of


@login_required
@kept_while_unchanged
def portfolio(request):
    accounts, owner_choices, form, filters, as_of = portfolio_query(request)
    page = load_page(request.user, accounts, filters, as_of=as_of, owner_choices=owner_choices)
    context = {"form": form, "as_of": as_of, "page": page, "rows": page.rows, "has_accounts": page.has_accounts,
               "metrics": tuple(t.metric for t in page.metrics), "total": page.summary.total,
               "sort": SORT_LABELS.get(filters.sort.lstrip("-"), "name"), "columns": sort_columns(filters.sort)}
    template = "reports/portfolio.html#results" if request.htmx else "reports/portfolio.html"
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_GET
def portfolio_csv(request):
    """Every account the portfolio's filters select (the page's query string), in its order, as a CSV file."""
    accounts, owner_choices, form, filters, as_of = portfolio_query(request)
    if form.errors:
        problems = "; ".join(form_errors(form))
        return HttpResponse(f"Bad filter: {problems}\n", status=400, content_type="text/plain; charset=utf-8")
    rows = portfolio_export.rows(accounts, filters, as_of=as_of, today=timezone.localdate(),
                                 owner_names=dict(owner_choices), base_url=settings.SITE_URL,
                                 urgent_days=rules_config().report.renewal_urgent_days)
    response = StreamingHttpResponse(portfolio_export.lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{as_of.isoformat()}.csv"'
    return response


@login_required
def account_report(request, pk):
    """The spec's full report of the account for a day, with its downloads (the workspace links here)."""
    account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except BadParameter as exc:
        context = {"account": account, "error": str(exc), "as_of": timezone.localdate(), "downloads": ()}
        return render(request, "reports/account_report.html", context, status=400)
    report = build_sponsor_report(account=account, as_of=as_of)
    context = {"account": account, "as_of": as_of, "downloads": DOWNLOADS, **html_context(report)}
    return render(request, "reports/account_report.html", context)


@login_required
def account_report_download(request, pk, fmt):
    if fmt not in FORMATS:
        raise Http404(f"No report format {fmt!r}")
    account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except BadParameter as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    export = export_report(build_sponsor_report(account=account, as_of=as_of), fmt)
    response = HttpResponse(export.content, content_type=export.content_type)
    if fmt == "html":
        # The printable page is self-contained (its print CSS is inline, for the PDF renderer too) and
        # has no script at all: allow exactly its inline style, nothing else.
        response._csp_config = PRINT_PAGE_CSP
    disposition = "inline" if fmt == "html" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{export.filename}"'
    return response


# --- the workspace's panel actions -----------------------------------------------------------------------
# POST only.  The account must be one the user may see and the alert or org change must be that
# account's, else 404.  An HTMX request gets the panel fragment back (with what it changed out of band);
# a plain form post is sent back to the workspace with a message.

def _visible_account(request, pk):
    return get_object_or_404(accounts_visible_to(request.user), pk=pk)


def _evaluate_now(account) -> None:
    """Run the account's guardrails at once, so the alerts panel shows what the action caused.  The
    signals queue the same evaluation on commit; running it twice is harmless (idempotent, locked)."""
    evaluate_accounts(account_ids=[account.pk], as_of=timezone.localdate())


def _panel(request, account, fragment, *, key, notice="", error=""):
    notices = {key: notice, f"{key}_error": error}
    return respond(request, account, fragment, notices=notices, done=notice, error=error)


@require_POST
@login_required
def alert_acknowledge_action(request, pk, alert_id):
    account = _visible_account(request, pk)
    alert = get_object_or_404(Alert.objects.filter(account=account), pk=alert_id)
    was = alert.status
    alert = alert_acknowledge(alert=alert, by=request.user)
    if alert.status == Alert.Status.RESOLVED:
        notice = "This alert has already resolved itself."
    elif was == Alert.Status.ACKNOWLEDGED:
        notice = "This alert was already acknowledged."
    else:
        notice = "Alert acknowledged."
    return _panel(request, account, "alerts_panel", key="alerts", notice=notice)


def _admin_only(request, what: str) -> None:
    if not request.user.is_admin:
        raise PermissionDenied(f"Only admins {what}.")


@require_POST
@login_required
def alert_accept_succession_action(request, pk, alert_id):
    account = _visible_account(request, pk)
    alert = get_object_or_404(Alert.objects.filter(account=account), pk=alert_id)
    _admin_only(request, "change sponsor roles")
    try:
        contact = sponsor_accept_succession(alert=alert, by=request.user)
    except (SponsorError, Contact.DoesNotExist) as exc:
        error = str(exc) if isinstance(exc, SponsorError) else "The proposed backup sponsor no longer exists."
        return _panel(request, account, "alerts_panel", key="alerts", error=f"Not changed: {error}")
    _evaluate_now(account)
    return _panel(request, account, "succession_response", key="alerts",
                  notice=f"{contact.name} is now the primary sponsor.")


def _review_org_change(request, pk, change_id, *, confirm: bool):
    account = _visible_account(request, pk)
    change = get_object_or_404(OrgChange.objects.filter(account=account), pk=change_id)
    if change.state != OrgChange.State.PENDING:
        return _panel(request, account, "org_review_response", key="org",
                      notice=f"This change was already {change.get_state_display().lower()}.")
    if confirm:
        change = org_change_confirm(change=change, by=request.user)
        _evaluate_now(account)
        notice = f"Confirmed: {change}."
        if change.kind == "departure" and change.contact is not None:
            notice += f" {change.contact.name} is now marked departed."
    else:
        change = org_change_dismiss(change=change, by=request.user)
        notice = f"Dismissed: {change}. The same change will not be raised again."
    return _panel(request, account, "org_review_response", key="org", notice=notice)


@require_POST
@login_required
def org_change_confirm_action(request, pk, change_id):
    return _review_org_change(request, pk, change_id, confirm=True)


@require_POST
@login_required
def org_change_dismiss_action(request, pk, change_id):
    return _review_org_change(request, pk, change_id, confirm=False)


# --- sponsor roles (admins) ---------------------------------------------------------------------------------

def _admin_contact(request, pk, contact_id):
    account = _visible_account(request, pk)
    _admin_only(request, "change sponsor roles")
    return account, get_object_or_404(Contact.objects.filter(account=account), pk=contact_id)


@require_POST
@login_required
def contact_sponsor_action(request, pk, contact_id):
    """``role`` = primary | backup | none; ``replace`` = 1 lets a new primary replace the current one."""
    account, contact = _admin_contact(request, pk, contact_id)
    try:
        set_sponsor_role(contact=contact, role=request.POST.get("role", ""), by=request.user,
                         replace_current=request.POST.get("replace") == "1")
    except SponsorError as exc:
        return _panel(request, account, "sponsors_response", key="sponsors", error=f"Not changed: {exc}")
    _evaluate_now(account)
    contact.refresh_from_db()
    role = contact.get_sponsor_display() if contact.sponsor else "no longer a sponsor"
    return _panel(request, account, "sponsors_response", key="sponsors", notice=f"{contact.name}: {role}.")


@require_POST
@login_required
def contact_departed_action(request, pk, contact_id):
    account, contact = _admin_contact(request, pk, contact_id)
    contact_mark_departed(contact=contact, by=request.user, reason="marked departed on the account page")
    _evaluate_now(account)
    return _panel(request, account, "sponsors_response", key="sponsors", notice=f"{contact.name} is marked departed.")
