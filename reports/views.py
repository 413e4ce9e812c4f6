"""Pages: the portfolio, the account report and its downloads, and the actions of the report page's
panels (acknowledge an alert, accept a succession, confirm or dismiss an org change).  Thin: parse,
check who may see what (``accounts_visible_to``), call the builders or the sponsors services, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.http import require_POST

from accounts.selectors import accounts_visible_to
from reports.builder import build_sponsor_report
from reports.exports import FORMATS, export_report
from reports.forms import PortfolioFilterForm
from reports.panels import alerts_panel, changes_panel, org_changes_panel, sponsors_panel
from reports.params import BadParameter, parse_as_of
from reports.portfolio import load_portfolio
from reports.render_html import html_context
from sponsors.models import Alert, Contact, OrgChange
from sponsors.orgchanges.review import org_change_confirm, org_change_dismiss
from sponsors.services.alerts import alert_acknowledge, evaluate_accounts
from sponsors.services.sponsors import SponsorError, contact_mark_departed, set_sponsor_role, sponsor_accept_succession

PRINT_PAGE_CSP = {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "img-src": ["data:"],
                  "base-uri": [CSP.NONE], "form-action": [CSP.NONE], "frame-ancestors": [CSP.NONE]}
DOWNLOADS = (("md", "Markdown"), ("pdf", "PDF"), ("json", "JSON"), ("ics", "Calendar (.ics)"))


@login_required
def portfolio(request):
    form = PortfolioFilterForm(request.GET or None)
    filters = {"tier": "", "level": "", "q": ""}
    as_of = timezone.localdate()
    if form.is_bound and form.is_valid():
        filters = {k: form.cleaned_data[k] or "" for k in filters}
        as_of = form.cleaned_data["as_of"] or as_of
    accounts = accounts_visible_to(request.user)
    everything = load_portfolio(accounts, as_of=as_of)
    shown = everything.filtered(**filters)
    context = {
        "form": form,
        "as_of": as_of,
        "has_accounts": bool(everything.rows),
        "rows": shown.rows,
        "metrics": shown.metrics(),
        "total": len(everything.rows),
    }
    template = "reports/portfolio.html#results" if request.htmx else "reports/portfolio.html"
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
def account_report(request, pk):
    account = get_object_or_404(accounts_visible_to(request.user), pk=pk)
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except BadParameter as exc:
        context = {"account": account, "error": str(exc), "as_of": timezone.localdate(), "downloads": ()}
        return render(request, "reports/account_report.html", context, status=400)
    report = build_sponsor_report(account=account, as_of=as_of)
    context = {
        "account": account,
        "as_of": as_of,
        "downloads": DOWNLOADS,
        **html_context(report),
        **changes_panel(account=account, as_of=as_of),
        **alerts_panel(account=account, as_of=as_of),
        **org_changes_panel(account=account),
        **sponsors_panel(account=account, user=request.user),
    }
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


# --- the report page's panel actions ----------------------------------------------------------------
# POST only.  The account must be one the user may see and the alert or org change must be that
# account's, else 404.  An HTMX request gets the panel fragment back; a plain form post is sent back
# to the report page with a message.

def _visible_account(request, pk):
    return get_object_or_404(accounts_visible_to(request.user), pk=pk)


def _posted_as_of(request):
    """The page's ``as_of`` (a hidden field of every action form), or None when missing or bad."""
    try:
        return parse_as_of(request.POST.get("as_of")) if request.POST.get("as_of") else None
    except BadParameter:
        return None


def _back_to_report(request, account, as_of, *, notice="", error=""):
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    url = reverse("reports:account_report", args=[account.pk])
    return redirect(f"{url}?as_of={as_of.isoformat()}" if as_of else url)


def _alerts_response(request, account, *, notice="", error=""):
    as_of = _posted_as_of(request)
    if not request.htmx:
        return _back_to_report(request, account, as_of, notice=notice, error=error)
    context = {"account": account, "as_of": as_of or timezone.localdate(),
               **alerts_panel(account=account, as_of=as_of, notice=notice, error=error)}
    return render(request, "reports/account_report.html#alerts_panel", context)


def _org_changes_response(request, account, *, notice="", error=""):
    """The org-change panel, and the alerts panel out of band (confirming a change can open an alert)."""
    as_of = _posted_as_of(request)
    if not request.htmx:
        return _back_to_report(request, account, as_of, notice=notice, error=error)
    context = {"account": account, "as_of": as_of or timezone.localdate(),
               **org_changes_panel(account=account, notice=notice, error=error),
               **alerts_panel(account=account, as_of=as_of)}
    return render(request, "reports/account_report.html#org_review_response", context)


def _evaluate_now(account) -> None:
    """Run the account's guardrails at once, so the alerts panel shows what the action caused.  The
    signals queue the same evaluation on commit; running it twice is harmless (idempotent, locked)."""
    evaluate_accounts(account_ids=[account.pk], as_of=timezone.localdate())


@require_POST
@login_required
def alert_acknowledge_action(request, pk, alert_id):
    account = _visible_account(request, pk)
    alert = get_object_or_404(Alert.objects.filter(account=account), pk=alert_id)
    was = alert.status
    alert = alert_acknowledge(alert=alert, by=request.user)
    if alert.status == Alert.Status.RESOLVED:
        return _alerts_response(request, account, notice="This alert has already resolved itself.")
    if was == Alert.Status.ACKNOWLEDGED:
        return _alerts_response(request, account, notice="This alert was already acknowledged.")
    return _alerts_response(request, account, notice="Alert acknowledged.")


@require_POST
@login_required
def alert_accept_succession_action(request, pk, alert_id):
    account = _visible_account(request, pk)
    alert = get_object_or_404(Alert.objects.filter(account=account), pk=alert_id)
    try:
        contact = sponsor_accept_succession(alert=alert, by=request.user)
    except (SponsorError, Contact.DoesNotExist) as exc:
        error = str(exc) if isinstance(exc, SponsorError) else "The proposed backup sponsor no longer exists."
        return _alerts_response(request, account, error=f"Not changed: {error}")
    _evaluate_now(account)
    notice = f"{contact.name} is now the primary sponsor."
    if not request.htmx:
        return _back_to_report(request, account, _posted_as_of(request), notice=notice)
    return render(request, "reports/account_report.html#succession_response",
                  _refreshed(request, account, alerts=alerts_panel(account=account, notice=notice)))


def _review_org_change(request, pk, change_id, *, confirm: bool):
    account = _visible_account(request, pk)
    change = get_object_or_404(OrgChange.objects.filter(account=account), pk=change_id)
    if change.state != OrgChange.State.PENDING:
        return _org_changes_response(
            request, account, notice=f"This change was already {change.get_state_display().lower()}.")
    if confirm:
        change = org_change_confirm(change=change, by=request.user)
        _evaluate_now(account)
        notice = f"Confirmed: {change}."
        if change.kind == "departure" and change.contact is not None:
            notice += f" {change.contact.name} is now marked departed."
    else:
        change = org_change_dismiss(change=change, by=request.user)
        notice = f"Dismissed: {change}. The same change will not be raised again."
    return _org_changes_response(request, account, notice=notice)


@require_POST
@login_required
def org_change_confirm_action(request, pk, change_id):
    return _review_org_change(request, pk, change_id, confirm=True)


@require_POST
@login_required
def org_change_dismiss_action(request, pk, change_id):
    return _review_org_change(request, pk, change_id, confirm=False)


# --- sponsor roles (admins) ---------------------------------------------------------------------------------

def _refreshed(request, account, *, alerts=None, sponsors=None) -> dict:
    """The context of a response that swaps the panels and the report below them (as of today), so the
    page never shows a sponsor map the action has just changed."""
    as_of = timezone.localdate()
    return {"account": account, "as_of": as_of,
            **(alerts if alerts is not None else alerts_panel(account=account)),
            **(sponsors if sponsors is not None else sponsors_panel(account=account, user=request.user)),
            **html_context(build_sponsor_report(account=account, as_of=as_of))}


def _sponsors_response(request, account, *, notice="", error=""):
    """The sponsors panel, and the alerts panel and the report out of band (a role change can open or
    resolve alerts and changes the report)."""
    if not request.htmx:
        return _back_to_report(request, account, None, notice=notice, error=error)
    context = _refreshed(request, account, sponsors=sponsors_panel(account=account, user=request.user,
                                                                   notice=notice, error=error))
    return render(request, "reports/account_report.html#sponsors_response", context)


def _admin_contact(request, pk, contact_id):
    account = _visible_account(request, pk)
    if not request.user.is_admin:
        raise PermissionDenied("Only admins change sponsor roles.")
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
        return _sponsors_response(request, account, error=f"Not changed: {exc}")
    _evaluate_now(account)
    contact.refresh_from_db()
    role = contact.get_sponsor_display() if contact.sponsor else "no longer a sponsor"
    return _sponsors_response(request, account, notice=f"{contact.name}: {role}.")


@require_POST
@login_required
def contact_departed_action(request, pk, contact_id):
    account, contact = _admin_contact(request, pk, contact_id)
    contact_mark_departed(contact=contact, by=request.user, reason="marked departed on the account page")
    _evaluate_now(account)
    return _sponsors_response(request, account, notice=f"{contact.name} is marked departed.")
