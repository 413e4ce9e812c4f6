"""The weekly digest: who gets one, when, and writing it to the outbox exactly once.

* **Who.** Active users with an e-mail address whose choice says so (``User.gets_digest``: managers by
  default, CSMs and admins who opt in); each gets the accounts they may see (``accounts_visible_to``: a
  manager's teams, a CSM's book).  Teams with an enabled Slack channel get their accounts' digest there.
* **When.** On ``DigestConfig.send_weekday`` (Monday) from ``send_hour`` (08:00) in the recipient's own
  time zone (``User.time_zone``; a team's: its first manager's); the beat asks every quarter of an hour.
* **Exactly once.** One outbox row per recipient and week, keyed ``digest:user:<id>:<send day>`` (unique):
  a second beat, a re-run of ``send_digests``, a retried task or two workers racing all find the key
  taken; the send is the outbox's (claim, lease, retries), so a worker killed mid-send is covered too.

``WEEKLY_JOBS`` is what ``reports`` provides to ``sponsors.digests`` (the Celery tasks' port).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.models import Team, User
from accounts.timezones import zone
from sponsors import queue
from sponsors.config import rules_config
from sponsors.digests import WeeklyJobs
from sponsors.models import OutboundEmail, SlackChannel
from sponsors.outbox.email import address, outbox_email, queue_outbox
from sponsors.outbox.links import account_url, url

from . import digest_queries as q
from . import digest_render, metric_history
from .digest import Digest, MetricLine, due_week, group, movers, period, renewals_at_risk, risk_crossings

UNSUBSCRIBE_SALT = "reports.digest.unsubscribe"


def digest_key(user_id, week: date) -> str:
    return f"digest:user:{user_id}:{week.isoformat()}"


def team_digest_key(team_id, week: date) -> str:
    return f"digest:team:{team_id}:{week.isoformat()}:slack"


def unsubscribe_token(user) -> str:
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


def user_from_token(token: str):
    """The user an unsubscribe token names, or None (tampered, or the user is gone)."""
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def recipients():
    """Everyone who gets the weekly digest by e-mail."""
    wants = Q(wants_digest=True) | Q(wants_digest__isnull=True, role=User.Role.MANAGER)
    return User.objects.filter(wants, is_active=True).exclude(email="").order_by("pk")


def user_zone(user):
    return zone(user.time_zone, settings.TIME_ZONE)


def team_zone(team):
    first = min(team.managers.all(), key=lambda m: m.pk, default=None)
    return zone(first.time_zone if first else "", settings.TIME_ZONE)


def last_send_day(today: date) -> date:
    """The most recent send weekday on or before ``today``."""
    return today - timedelta(days=(today.weekday() - rules_config().digest.send_weekday) % 7)


# --- building -----------------------------------------------------------------------------------------

def metric_lines(scope, *, as_of: date, save: bool) -> tuple[int, tuple[MetricLine, ...]]:
    config = rules_config()
    points = metric_history.series(scope, as_of=as_of, weeks=config.digest.trend_weeks, save=save)
    latest = points[-1][1]
    lines = []
    for metric in latest.metrics(config):
        trend = tuple(p.values.get(metric.key) if p else None for _, p in points)
        lines.append(MetricLine(metric, trend[-2] if len(trend) > 1 else None, trend))
    return latest.accounts, tuple(lines)


def build(scope, *, recipient: str, week: date, tz, links: dict, save: bool = True) -> Digest:
    """The digest of ``scope`` sent on ``week``: a fixed number of queries whatever the scope's size."""
    config = rules_config()
    conf, renewal_days = config.digest, config.report.renewal_urgent_days
    first, last = period(week)
    start, end = (datetime.combine(d, time.min, tzinfo=tz) for d in (first, week))
    more, accounts = links["portfolio"], scope.accounts
    scores = q.score_rows(accounts, now=last, then=last - timedelta(days=7))
    drops, rises = movers(*scores["contacts"], count=conf.movers, min_points=conf.mover_min_points, url=account_url)
    found = (
        ("escalations", "Departures and escalations", q.escalation_items(accounts, start=start, end=end,
                                                                          url=account_url)),
        ("risk", "Crossed into High or Critical risk", risk_crossings(*scores["accounts"], url=account_url)),
        ("cadence", "Cadence breaches", q.open_alert_items(accounts, q.CADENCE_CODES, url=account_url)),
        ("renewals", "Renewals at risk", renewals_at_risk(
            scores["accounts"][0], q.renewal_rows(accounts, start=week, end=week + timedelta(days=renewal_days)),
            week=week, url=account_url)),
        ("no_backup", "Still missing a backup sponsor", q.open_alert_items(accounts, q.BACKUP_CODES,
                                                                            url=account_url)),
        ("org_changes", "Org changes awaiting confirmation", q.pending_change_items(accounts, url=account_url)),
        ("drops", "Biggest score drops", drops),
        ("rises", "Biggest score rises", rises),
    )
    groups = tuple(group(key, title, items, limit=conf.group_limit, more_url=more) for key, title, items in found)
    count, lines = metric_lines(scope, as_of=last, save=save)
    return Digest(recipient=recipient, scope_label=scope.label, week=week, accounts=count, groups=groups,
                  metrics=lines, links=links)


def user_links(user) -> dict:
    return {"portfolio": url("reports:portfolio"), "preferences": url("reports:digest_preferences"),
            "unsubscribe": url("reports:digest_unsubscribe", unsubscribe_token(user))}


def user_digest(user, week: date, *, save: bool = True) -> Digest:
    return build(metric_history.scope_user(user), recipient=str(user), week=week, tz=user_zone(user),
                 links=user_links(user), save=save)


# --- writing to the outbox, once -------------------------------------------------------------------------

def _save_once(row) -> bool:
    """Save ``row`` unless its dedupe key is taken (then someone else's row is the one); queue it."""
    try:
        with transaction.atomic():
            row.save()
            queue_outbox([row])
    except IntegrityError:
        return False
    return True


def write_digest(*, user_id: int, week: date) -> str:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active or not user.email:
        return "skipped: no such active user with an e-mail address"
    if not user.gets_digest:
        return "skipped: opted out"
    key = digest_key(user.pk, week)
    if OutboundEmail.objects.filter(dedupe_key=key).exists():
        return "exists"
    digest = user_digest(user, week)
    links = digest.links
    row = outbox_email(name=digest_render.TEMPLATE, dedupe_key=key, to=[address(str(user), user.email)],
                       ctx=digest_render.context(digest),
                       headers={"List-Unsubscribe": f"<{links['unsubscribe']}>",
                                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    return "written" if _save_once(row) else "exists"


def team_digest(team, week: date, *, save: bool = True) -> Digest:
    return build(metric_history.scope_team(team), recipient=f"team {team.name}", week=week, tz=team_zone(team),
                 links={"portfolio": url("reports:portfolio")}, save=save)


def write_team_digest(*, team_id: int, week: date) -> str:
    channel = SlackChannel.objects.select_related("team").filter(team_id=team_id, enabled=True).first()
    if channel is None:
        return "skipped: the team has no enabled Slack channel"
    key = team_digest_key(team_id, week)
    if OutboundEmail.objects.filter(dedupe_key=key).exists():
        return "exists"
    payload = digest_render.slack_payload(team_digest(channel.team, week))
    row = OutboundEmail(channel=OutboundEmail.Channel.SLACK, dedupe_key=key, kind=digest_render.TEMPLATE,
                        slack_channel=channel, subject=payload["text"][:255], body_text=payload["text"],
                        payload=payload)
    return "written" if _save_once(row) else "exists"


# --- on schedule -------------------------------------------------------------------------------------------

def due_now(now: datetime) -> dict:
    """``{dedupe key: (task, id, week)}`` of every digest whose own send time has come this week."""
    conf = rules_config().digest
    due = {}
    for user in recipients():
        week = due_week(now, user_zone(user), weekday=conf.send_weekday, hour=conf.send_hour)
        if week:
            due[digest_key(user.pk, week)] = (queue.WRITE_DIGEST, user.pk, week)
    teams = Team.objects.filter(slack_channel__enabled=True).prefetch_related("managers")
    for team in teams:
        week = due_week(now, team_zone(team), weekday=conf.send_weekday, hour=conf.send_hour)
        if week:
            due[team_digest_key(team.pk, week)] = (queue.WRITE_TEAM_DIGEST, team.pk, week)
    return due


def queue_due_digests(*, now: datetime) -> dict:
    """Queue the build of every digest due and not written yet (three queries, then one task each)."""
    due = due_now(now)
    written = set(OutboundEmail.objects.filter(dedupe_key__in=list(due)).values_list("dedupe_key", flat=True))
    todo = [v for k, v in due.items() if k not in written]
    for task, pk, week in todo:
        queue.queue_on_commit(task, pk, week.isoformat())
    return {"due": len(due), "queued": len(todo)}


def store_metrics(*, as_of: date | None) -> dict:
    return metric_history.store_all_scopes(as_of=as_of)


WEEKLY_JOBS = WeeklyJobs(queue_due_digests=queue_due_digests, write_digest=write_digest,
                         write_team_digest=write_team_digest, store_metrics=store_metrics)
