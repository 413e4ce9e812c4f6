"""``{% load workspace %}``: small display filters of the pages (money, days, dates) and the sparkline tag."""


from django import template
from django.template.base import render_value_in_context
from django.utils.safestring import mark_safe

from reports.health import money_text, preference_label

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """``1234567.5|money:"USD"`` -> ``USD 1,234,568``; empty for no amount."""
    return money_text(amount, currency)


@register.filter
def preference(value) -> str:
    """``"in_person"|preference`` -> ``In person`` (the CRM's codes as the report writes them; other text as is)."""
    return preference_label(value or "")


@register.filter
def days_text(days) -> str:
    """``0`` -> today, ``1`` -> in 1 day, ``-3`` -> 3 days ago."""
    if days is None:
        return ""
    if days == 0:
        return "today"
    if days > 0:
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"{-days} day{'s' if days != -1 else ''} ago"


@register.filter(expects_localtime=True)
def ymd(value) -> str:
    """``|date:"Y-m-d"`` without its per-call format parsing (a date in a row loop costs ~50 µs that way):
    a date, or an aware datetime in the current time zone, as ``2026-01-31``; empty for none."""
    if value in (None, ""):
        return ""
    try:
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    except AttributeError:
        return ""


@register.filter(expects_localtime=True)
def ymd_hm(value) -> str:
    """``|date:"Y-m-d H:i"`` likewise: ``2026-01-31 09:05``."""
    if value in (None, ""):
        return ""
    try:
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"
    except AttributeError:
        return ""


@register.simple_tag(takes_context=True)
def sparkline(context, chart, css_class: str = "") -> str:
    """The SVG of a ``reports.charts.Sparkline``, as ``reports/_sparkline.html`` writes it (with its final new
    line), without an ``{% include %}`` per chart: a page draws up to a dozen (tests/test_charts.py compares)."""
    if chart.empty:
        return mark_safe('<span class="spark-empty">no history yet</span>\n')

    def text(value) -> str:                 # {{ value }} in the caller's context (localization, escaping)
        return render_value_in_context(value, context)

    css = f" {text(css_class)}" if css_class else ""
    width, height = text(chart.width), text(chart.height)
    target = ""
    if chart.target_y is not None:
        ty = text(chart.target_y)
        target = (f'<line class="spark-target" x1="{text(chart.target_x1)}" y1="{ty}" x2="{text(chart.target_x2)}" '
                  f'y2="{ty}"/>')
    line = f'<polyline class="spark-line" fill="none" points="{text(chart.points)}"/>' if chart.points else ""
    return mark_safe(
        f'<svg class="sparkline{css}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{text(chart.description)}"><title>{text(chart.title)}</title>{target}{line}'
        f'<circle class="spark-dot" cx="{text(chart.last_x)}" cy="{text(chart.last_y)}" r="2.5"/></svg>\n')
