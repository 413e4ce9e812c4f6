"""News feeds: real RSS 2.0 and Atom 1.0 documents from a local HTTP server (pytest-httpserver),
entries matched to the account's executives by name, ETag respected, news unconfirmed by default."""

from datetime import date

import pytest

from accounts.models import User
from sponsors.models import Alert, Contact, NewsFeed, OrgChange
from sponsors.orgchanges.news import poll_news_feed, poll_news_feeds
from sponsors.orgchanges.review import org_change_confirm, org_change_dismiss
from sponsors.services.alerts import evaluate_accounts

from .guardrails_support import AS_OF, account, import_document

pytestmark = pytest.mark.django_db

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Healthcare IT News: Northwind Health</title>
    <link>https://news.example/northwind</link>
    <description>News about Northwind Health</description>
    <item>
      <title>Priya Natarajan steps down as COO of Northwind Health</title>
      <link>https://news.example/northwind/priya-steps-down</link>
      <guid>https://news.example/northwind/priya-steps-down</guid>
      <pubDate>Wed, 18 Nov 2026 09:00:00 GMT</pubDate>
      <description>After three years, the operations chief leaves the insurer.</description>
    </item>
    <item>
      <title>Northwind Health announces layoffs in its claims unit</title>
      <link>https://news.example/northwind/layoffs</link>
      <guid>northwind-layoffs-2026</guid>
      <pubDate>Mon, 16 Nov 2026 14:30:00 GMT</pubDate>
      <description>About 200 roles are affected.</description>
    </item>
    <item>
      <title>Lena Fischer joins panel on hospital IT</title>
      <link>https://news.example/northwind/lena-panel</link>
      <guid>lena-panel</guid>
      <pubDate>Sun, 15 Nov 2026 10:00:00 GMT</pubDate>
      <description>The director of IT joins a panel.</description>
    </item>
    <item>
      <title>Priya Natarajan to keynote HIMSS</title>
      <link>https://news.example/northwind/keynote</link>
      <guid>keynote</guid>
      <pubDate>Sat, 14 Nov 2026 10:00:00 GMT</pubDate>
      <description>A talk on claims automation.</description>
    </item>
    <item>
      <title>Globex acquires Initech</title>
      <link>https://news.example/other/globex</link>
      <guid>globex-initech</guid>
      <pubDate>Fri, 13 Nov 2026 10:00:00 GMT</pubDate>
      <description>Unrelated deal.</description>
    </item>
  </channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Northwind Health press releases</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-11-19T08:00:00Z</updated>
  <link href="https://press.example/northwind"/>
  <entry>
    <title type="html">Marcus Holt named Chief Financial Officer</title>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <link href="https://press.example/northwind/cfo"/>
    <updated>2026-11-19T08:00:00Z</updated>
    <summary type="html">&lt;p&gt;The board appointed &lt;b&gt;Marcus Holt&lt;/b&gt;,
      formerly VP Finance.&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Northwind Health completes reorganization of operations</title>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b</id>
    <link href="https://press.example/northwind/reorg"/>
    <updated>2026-11-17T08:00:00Z</updated>
    <summary>Two divisions merge under one operations group.</summary>
  </entry>
</feed>
"""


@pytest.fixture
def acc(document):
    import_document(document)
    return account()


def feed_for(acc, httpserver, path):
    return NewsFeed.objects.create(account=acc, url=httpserver.url_for(path))


def changes(source="news"):
    return {(c.contact.external_id if c.contact else None, c.kind): c for c in OrgChange.objects.filter(source=source)}


def test_an_rss_feed_is_matched_to_executives_by_name(acc, httpserver):
    httpserver.expect_request("/northwind.rss").respond_with_data(RSS, content_type="application/rss+xml")
    feed = feed_for(acc, httpserver, "/northwind.rss")

    outcome = poll_news_feed(feed=feed)

    found = changes()
    assert set(found) == {("c_1", "departure"), (None, "layoffs")}      # Lena is no executive; the rest no news
    assert (outcome.status, outcome.entries, outcome.created) == ("fetched", 5, 2)
    departure = found[("c_1", "departure")]
    assert departure.occurred_on == date(2026, 11, 18)
    assert departure.url == "https://news.example/northwind/priya-steps-down"
    assert departure.headline == "Priya Natarajan steps down as COO of Northwind Health"
    assert departure.evidence["matched"] == "Priya Natarajan" and departure.evidence["feed"] == feed.url
    assert found[(None, "layoffs")].occurred_on == date(2026, 11, 16)


def test_an_atom_feed_is_read_too_html_and_all(acc, httpserver):
    httpserver.expect_request("/press.atom").respond_with_data(ATOM, content_type="application/atom+xml")
    poll_news_feed(feed=feed_for(acc, httpserver, "/press.atom"))

    found = changes()
    assert set(found) == {("c_2", "promotion"), (None, "reorg")}
    promotion = found[("c_2", "promotion")]
    assert promotion.occurred_on == date(2026, 11, 19)
    assert "<b>" not in promotion.evidence["summary"] and "Marcus Holt" in promotion.evidence["summary"]


def test_news_waits_for_a_csm_and_alerts_once_confirmed(acc, httpserver):
    httpserver.expect_request("/northwind.rss").respond_with_data(RSS, content_type="application/rss+xml")
    poll_news_feed(feed=feed_for(acc, httpserver, "/northwind.rss"))
    departure = changes()[("c_1", "departure")]
    assert departure.state == "pending" and departure.confidence < 0.7

    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)
    news_subjects = [f"org_change:{pk}" for pk in OrgChange.objects.filter(source="news").values_list("pk", flat=True)]
    assert not Alert.objects.filter(code="sponsor_departed").exists()
    assert not Alert.objects.filter(subject__in=news_subjects).exists()

    org_change_confirm(change=departure, by=User.objects.get(email="dana@vendor.example"))
    evaluate_accounts(account_ids=[acc.pk], as_of=AS_OF)

    priya = Contact.objects.get(external_id="c_1")
    assert priya.status == "departed"
    assert Alert.objects.filter(code="sponsor_departed", contact=priya, status="open").exists()


def test_the_etag_is_sent_back_and_a_304_changes_nothing(acc, httpserver):
    httpserver.expect_oneshot_request("/northwind.rss").respond_with_data(
        RSS, content_type="application/rss+xml",
        headers={"ETag": '"v1"', "Last-Modified": "Wed, 18 Nov 2026 09:00:00 GMT"})
    httpserver.expect_oneshot_request("/northwind.rss", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304)
    feed = feed_for(acc, httpserver, "/northwind.rss")
    poll_news_feed(feed=feed)
    feed.refresh_from_db()
    assert (feed.etag, feed.modified) == ('"v1"', "Wed, 18 Nov 2026 09:00:00 GMT")
    before = OrgChange.objects.count()

    outcome = poll_news_feed(feed=feed)

    assert outcome.status == "not modified"
    second_request = httpserver.log[1][0]
    assert second_request.headers["If-Modified-Since"] == "Wed, 18 Nov 2026 09:00:00 GMT"
    assert OrgChange.objects.count() == before
    httpserver.check_assertions()


def test_polling_the_same_entries_again_adds_nothing(acc, httpserver):
    httpserver.expect_request("/northwind.rss").respond_with_data(RSS, content_type="application/rss+xml")
    feed = feed_for(acc, httpserver, "/northwind.rss")
    poll_news_feed(feed=feed)
    count = OrgChange.objects.count()

    assert poll_news_feed(feed=feed).created == 0
    assert OrgChange.objects.count() == count


def test_dismissed_news_stays_dismissed_when_another_feed_repeats_it(acc, httpserver):
    httpserver.expect_request("/press.atom").respond_with_data(ATOM, content_type="application/atom+xml")
    httpserver.expect_request("/mirror.atom").respond_with_data(
        ATOM.replace("urn:uuid:1225c695-cfb8-4ebb-aaaa", "urn:uuid:ffffffff-cfb8-4ebb-aaaa"),
        content_type="application/atom+xml")
    poll_news_feed(feed=feed_for(acc, httpserver, "/press.atom"))
    org_change_dismiss(change=changes()[("c_2", "promotion")], by=None)

    poll_news_feed(feed=feed_for(acc, httpserver, "/mirror.atom"))

    promotions = OrgChange.objects.filter(source="news", kind="promotion")
    assert promotions.count() == 2
    assert set(promotions.values_list("state", flat=True)) == {"dismissed"}


def test_a_broken_feed_records_its_error_and_the_others_are_still_polled(acc, httpserver):
    httpserver.expect_request("/broken").respond_with_data("oops", status=500)
    httpserver.expect_request("/press.atom").respond_with_data(ATOM, content_type="application/atom+xml")
    broken = feed_for(acc, httpserver, "/broken")
    feed_for(acc, httpserver, "/press.atom")

    summary = poll_news_feeds()

    broken.refresh_from_db()
    assert "500" in broken.last_error and broken.last_polled_at is not None
    assert "1 error" in summary and "1 fetched" in summary and "2 org changes" in summary
    assert changes()


def test_news_trusted_enough_to_be_confirmed_on_arrival_marks_the_departed_contact(acc, httpserver, settings):
    settings.EXEC_SPONSOR_TRIAGE = {"news_confidence": 0.95}           # above the 0.7 threshold: no CSM review
    httpserver.expect_request("/northwind.rss").respond_with_data(RSS, content_type="application/rss+xml")
    poll_news_feed(feed=feed_for(acc, httpserver, "/northwind.rss"))
    priya = Contact.objects.get(external_id="c_1")
    assert changes()[("c_1", "departure")].state == OrgChange.State.CONFIRMED
    assert (priya.status, priya.departed_on) == ("departed", date(2026, 11, 18))


def test_unconfirmed_news_leaves_the_contact_as_it_is(acc, httpserver):
    httpserver.expect_request("/northwind.rss").respond_with_data(RSS, content_type="application/rss+xml")
    poll_news_feed(feed=feed_for(acc, httpserver, "/northwind.rss"))
    assert changes()[("c_1", "departure")].state == OrgChange.State.PENDING
    assert Contact.objects.get(external_id="c_1").status == "active"
