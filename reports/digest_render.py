"""The weekly digest rendered: an e-mail (subject, plain text, HTML with a trend chart made of table
cells — mail clients block SVG and scripts, Gmail and Outlook render ``bgcolor`` cells) and a Slack
Block Kit message.  Every item links into the app (absolute URLs from ``SITE_URL``)."""

from __future__ import annotations

from sponsors.outbox.email import RenderedEmail, render_email
from sponsors.outbox.slack import escape, link

from .digest import Digest, MetricLine, bar_heights

TEMPLATE = "weekly_digest"
CHART_HEIGHT = 36
MET, MISSED, GAP = "#2e7d32", "#c62828", "#d0d0d0"


def _met(line: MetricLine, value) -> bool:
    target = line.metric.target
    return value > target if line.metric.above else value < target


def chart(line: MetricLine) -> list[dict]:
    """One bar per week: pixel height, colour (target met or not), and a title for screen readers."""
    heights = bar_heights(line.trend, height=CHART_HEIGHT)
    bars = []
    for value, height in zip(line.trend, heights):
        if value is None:
            bars.append({"height": 2, "pad": CHART_HEIGHT - 2, "color": GAP, "title": "no data"})
            continue
        bars.append({"height": height, "pad": CHART_HEIGHT - height, "color": MET if _met(line, value) else MISSED,
                     "title": f"{value:.1f}".removesuffix(".0")})
    return bars


def context(digest: Digest) -> dict:
    return {
        "digest": digest,
        "groups": [g for g in digest.groups if g.total],
        "metrics": [{"line": line, "bars": chart(line)} for line in digest.metrics],
        "links": digest.links,
        "chart_height": CHART_HEIGHT,
    }


def email(digest: Digest) -> RenderedEmail:
    return render_email(TEMPLATE, context(digest))


def _item_line(item) -> str:
    due = f" — due {item.due_on.isoformat()}" if item.due_on else ""
    return f"• {link(item.url, item.account_name)}: {escape(item.text)}{due}"


def slack_payload(digest: Digest) -> dict:
    """Block Kit: a header, one section per non-empty group (at most 3,000 characters each), the metrics
    as fields with their change and a sparkline, and a link to the portfolio."""
    head = f"Weekly digest — {digest.scope_label}, {digest.first_day:%b %-d} to {digest.as_of:%b %-d}"
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": head[:150]}}]
    if digest.all_clear:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
            f":white_check_mark: *All clear* — nothing needs attention across {digest.accounts} account(s).")}})
    for g in digest.groups:
        if not g.total:
            continue
        lines = [f"*{escape(g.title)}* ({g.total})", *(_item_line(i) for i in g.items)]
        if g.more:
            lines.append(f"… {link(g.more_url, f'and {g.more} more')}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    fields = [{"type": "mrkdwn", "text": (
        f"*{escape(m.metric.label)}* {escape(m.metric.value_text)} (target {escape(m.metric.target_text)})\n"
        f"{escape(m.change_text)}  `{m.sparkline or '–'}`")} for m in digest.metrics]
    if fields:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "fields": fields[:10]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link(
        digest.links.get("portfolio", ""), "Open the portfolio")}]})
    summary = "all clear" if digest.all_clear else f"{digest.exceptions} item(s) need attention"
    return {"text": f"{head}: {summary}", "blocks": blocks}
