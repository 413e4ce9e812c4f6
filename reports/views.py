"""Pages: the portfolio, the account report and its downloads.  Thin: parse, check who may see
what (``accounts_visible_to``), call the builders, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.selectors import accounts_visible_to
from reports.builder import build_sponsor_report
from reports.exports import FORMATS, export_report
from reports.forms import PortfolioFilterForm
from reports.params import BadParameter, parse_as_of
from reports.portfolio import load_portfolio
from reports.render_html import html_context

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
    disposition = "inline" if fmt == "html" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{export.filename}"'
    return response
