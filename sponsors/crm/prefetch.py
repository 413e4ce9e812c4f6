"""Read a connector's pages ahead while the sync stores the ones before them.

``prefetched(pages)`` runs the page iterator in a thread and hands its pages over in order: while the sync
waits for PostgreSQL to store page n (and for its commit), the thread already waits for the CRM's answer for
page n + 1 and maps it.  Nothing else changes: pages are stored one by one, in order, each with its watermark
in its own transaction, by the caller; a connector error is raised where the page it stopped at would have
been (after every page before it is stored); when the caller stops early (a failure while storing, the
generator closed), the thread stops after the page it is reading.  The thread touches no database: a
connector only speaks HTTP."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

AHEAD = 2              # pages read ahead at most (besides the one being read)
_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


def prefetched(pages: Iterable, *, ahead: int = AHEAD) -> Iterator:
    """Yield the items of ``pages`` in order, read by a thread up to ``ahead`` items in advance."""
    handed: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handed.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read():
        source = iter(pages)
        try:
            for page in source:
                if not put(page):
                    break
            else:
                put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
            put(_Failed(exc))
        finally:
            getattr(source, "close", lambda: None)()      # a generator's own clean-up runs in its thread

    reader = threading.Thread(target=read, name="crm-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = handed.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()      # the caller stopped early or reached the end: the thread ends after its current read
