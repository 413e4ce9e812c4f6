"""The CRM sync reads pages ahead in a thread (``sponsors.crm.prefetch``) while it stores the ones before:
pages arrive in order, a connector error is raised after every page before it, reading stays at most a few
pages ahead, and a caller that stops early stops the reading.  No database, no timing."""

from __future__ import annotations

import threading
import time

import pytest

from sponsors.crm.connectors.base import ConnectorError
from sponsors.crm.prefetch import prefetched


def test_pages_arrive_in_order_and_all_of_them():
    assert list(prefetched(iter(range(1000)))) == list(range(1000))


def test_a_connector_error_is_raised_after_the_pages_before_it():
    def pages():
        yield from ("p1", "p2")
        raise ConnectorError("HubSpot answered 401")

    got = []
    with pytest.raises(ConnectorError, match="401"):
        for page in prefetched(pages()):
            got.append(page)
    assert got == ["p1", "p2"]


def test_reading_stays_a_few_pages_ahead_and_stops_when_the_caller_stops():
    read, closed = [], threading.Event()

    def pages():
        try:
            for n in range(100):
                read.append(n)
                yield n
        finally:
            closed.set()

    reader = prefetched(pages(), ahead=2)
    assert next(reader) == 0
    time.sleep(0.5)     # room to run ahead (the bound below holds however long this is)
    # The thread reads at most ``ahead`` pages beyond the one handed over, plus the one it holds.
    assert 1 <= len(read) <= 4
    reader.close()                              # the sync failed storing page 0
    assert closed.wait(5), "the page iterator was not closed after the caller stopped"
    assert len(read) <= 4
