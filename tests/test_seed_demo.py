"""seed_demo: a realistic demo portfolio, loaded through the importer."""

import io
import json
from collections import Counter
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, Team
from sponsors.models import Contact, Interaction, OrgChange

pytestmark = pytest.mark.django_db


def seed(tmp_path, *args):
    out = io.StringIO()
    path = tmp_path / "demo.json"
    call_command("seed_demo", "--as-of", "2026-11-26", "--output", str(path), *args, stdout=out)
    return out.getvalue(), path


def test_it_loads_about_sixty_accounts_with_the_showcase_cases(tmp_path):
    out, path = seed(tmp_path)
    assert Account.objects.count() == 60
    tiers = Counter(Account.objects.values_list("tier", flat=True))
    assert set(tiers) == {"enterprise", "mid_market", "smb"} and min(tiers.values()) >= 10
    accounts_without_primary = Account.objects.exclude(contacts__sponsor="primary").count()
    accounts_without_backup = Account.objects.exclude(contacts__sponsor="backup").count()
    assert 1 <= accounts_without_primary < 10
    assert 10 <= accounts_without_backup < 40
    departures = list(OrgChange.objects.filter(kind="departure").select_related("contact"))
    assert 1 <= len(departures) <= 6
    for departure in departures:  # reported by LinkedIn days ago, not yet in the CRM
        assert departure.contact.sponsor == "primary" and departure.contact.status == "active"
        assert departure.state == "confirmed" and (date(2026, 11, 26) - departure.occurred_on).days <= 7
    assert OrgChange.objects.filter(state="pending").exists(), "a low-confidence news item awaits a CSM"
    qbrs = Interaction.objects.filter(type__in=["qbr", "business_review"])
    with_exec = qbrs.filter(participants__is_executive=True).distinct().count()
    assert 0 < with_exec < qbrs.count(), "QBRs with and without executives"
    assert Interaction.objects.filter(purpose="operational", direction="outbound",
                                      participants__is_executive=True).exists()
    assert Team.objects.count() == 2 and all(t.managers.exists() for t in Team.objects.all())
    # The file it wrote is a valid snapshot of the same portfolio.
    document = json.loads(path.read_text())
    assert document["format"] == "exec-sponsor-snapshot/1" and len(document["accounts"]) == 60
    assert f"{sum(len(a['interactions']) for a in document['accounts'])} interactions" in out


def test_the_mix_of_sponsor_engagement_is_realistic(tmp_path):
    """Champions have recent 1:1s and advocacy; disengaged sponsors went quiet months ago."""
    seed(tmp_path)
    advocacy = Interaction.objects.filter(type__in=["referral", "advocacy"]).values("account").distinct().count()
    assert 5 <= advocacy <= 25
    primaries = Contact.objects.filter(sponsor="primary")
    quiet = [c for c in primaries if not c.interactions.filter(direction="meeting",
                                                              occurred_at__date__gte=date(2026, 6, 1)).exists()]
    assert 3 <= len(quiet) <= 25


def test_running_it_again_changes_nothing(tmp_path):
    seed(tmp_path)
    counts = (Account.objects.count(), Contact.objects.count(), Interaction.objects.count())
    out, _ = seed(tmp_path)
    assert (Account.objects.count(), Contact.objects.count(), Interaction.objects.count()) == counts
    assert "interactions: 1" in out and "unchanged" in out and "created" not in out.split("users:")[1]


def test_it_scales(tmp_path):
    seed(tmp_path, "--accounts", "150", "--seed", "3")
    assert Account.objects.count() == 150


def test_it_refuses_a_bad_account_count(tmp_path):
    with pytest.raises(CommandError, match="--accounts"):
        seed(tmp_path, "--accounts", "0")
