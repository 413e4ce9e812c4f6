"""``manage.py portfolio_metrics [--as-of DATE] [--team NAME | --user EMAIL] [--weeks 12] [--format …]``:
the spec's five portfolio metrics of a scope over the weeks ending at ``--as-of`` (default: the Sunday
that just ended), oldest first.  Weeks not stored yet are computed from the facts as of that day and
stored (``reports.metric_history``), so the next run — and the digest's trend — reads them in one query."""

from __future__ import annotations

import csv
import io
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.cli import as_of_date
from accounts.models import Team, User
from reports import metric_history as mh
from sponsors.config import rules_config

FORMATS = ("table", "json", "md", "csv")


def scope_from(*, team: str | None, user: str | None) -> mh.Scope:
    if team and user:
        raise CommandError("give --team or --user, not both")
    if team:
        found = Team.objects.filter(name__iexact=team.strip()).first()
        if found is None:
            known = ", ".join(Team.objects.order_by("name").values_list("name", flat=True)) or "none yet"
            raise CommandError(f"--team {team!r}: no such team (teams: {known})")
        return mh.scope_team(found)
    if user:
        found = User.objects.filter(email__iexact=user.strip()).first()
        if found is None:
            raise CommandError(f"--user {user!r}: no user with that e-mail")
        return mh.scope_user(found)
    return mh.scope_all()


def _cell(metric) -> str:
    return metric.value_text


def rows(points, config):
    """``[(day, accounts, (Metric, …) | None)]`` for the renderers."""
    return [(day, p.accounts if p else None, p.metrics(config) if p else None) for day, p in points]


def render_table(scope, data, config) -> str:
    labels = [m.label for m in mh.blank_metrics(config)]
    widths = [10, 8, *(max(len(label), 12) for label in labels)]
    head = ["as of", "accounts", *labels]
    lines = [f"{scope.label}", "  ".join(h.ljust(w) for h, w in zip(head, widths))]
    for day, n, metrics in data:
        cells = [day.isoformat(), "-" if n is None else str(n),
                 *([_cell(m) for m in metrics] if metrics else ["not stored"] * len(labels))]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    targets = mh.blank_metrics(config)
    lines.append("targets: " + "; ".join(f"{m.label} {m.target_text}" for m in targets))
    return "\n".join(lines) + "\n"


def render_md(scope, data, config) -> str:
    blank = mh.blank_metrics(config)
    head = "| as of | accounts | " + " | ".join(f"{m.label} ({m.target_text})" for m in blank) + " |"
    out = [f"**{scope.label}**", "", head, "|" + "---|" * (len(blank) + 2)]
    for day, n, metrics in data:
        cells = [_cell(m) for m in metrics] if metrics else ["not stored"] * len(blank)
        out.append(f"| {day.isoformat()} | {'-' if n is None else n} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def render_csv(scope, data, config) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    keys = [m.key for m in mh.blank_metrics(config)]
    writer.writerow(["scope", "as_of", "accounts", *keys])
    for day, n, metrics in data:
        values = [("" if m.value is None else round(m.value, 4)) for m in metrics] if metrics else [""] * len(keys)
        writer.writerow([scope.key, day.isoformat(), "" if n is None else n, *values])
    return buf.getvalue()


def render_json(scope, data, config) -> str:
    blank = mh.blank_metrics(config)
    doc = {
        "scope": {"key": scope.key, "label": scope.label},
        "metrics": [{"key": m.key, "label": m.label, "unit": m.unit, "target": m.target,
                     "met_when": "above" if m.above else "below"} for m in blank],
        "weeks": [{"as_of": day.isoformat(), "accounts": n,
                   "values": {m.key: m.value for m in metrics} if metrics else None,
                   "met": {m.key: m.met for m in metrics} if metrics else None} for day, n, metrics in data],
    }
    return json.dumps(doc, indent=2) + "\n"


RENDERERS = {"table": render_table, "json": render_json, "md": render_md, "csv": render_csv}


class Command(BaseCommand):
    help = "The five portfolio metrics of all accounts, a team or a user's accounts over the last weeks."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=as_of_date, help="last day (YYYY-MM-DD); default: last Sunday")
        parser.add_argument("--team", help="a team's accounts (its name)")
        parser.add_argument("--user", help="what this user (e-mail) sees: a manager's teams, a CSM's book")
        parser.add_argument("--weeks", type=int, default=12, help="weeks, one day a week apart (default 12)")
        parser.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *, as_of, team, user, weeks, format, **options):
        if not 1 <= weeks <= 520:
            raise CommandError(f"--weeks {weeks}: give 1 to 520 weeks")
        scope = scope_from(team=team, user=user)
        config = rules_config()
        as_of = as_of or mh.week_end(timezone.localdate())
        points = mh.series(scope, as_of=as_of, weeks=weeks, compute_missing="all", config=config)
        self.stdout.write(RENDERERS[format](scope, rows(points, config), config), ending="")
