"""Bulk work (the portfolio recompute, the snapshot import): Python's garbage collector paused, and COPY.

Such work allocates hundreds of thousands of small objects (facts, breakdowns, rows) that live until
the job ends, and almost none of them in reference cycles: every automatic collection walks all of
them for nothing (about a fifth of the import's time).  ``gc_paused()`` freezes what exists (start-up
objects are never examined again) and turns automatic collection off for the block; on leaving, the
previous state is restored and the frozen objects are handed back to the collector.  It also
decorates a function (``@gc_paused()``).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

from django.db import connection


@contextmanager
def gc_paused():
    """Automatic garbage collection off for the block (nested blocks are harmless)."""
    if not gc.isenabled():
        yield
        return
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@contextmanager
def copy_from_stdin(statement: str, *, dumpers=()):
    """psycopg's ``COPY … FROM STDIN`` on Django's connection, under Django's error translation: a refused row
    (a unique or foreign key, a check, a bad value) is an ``IntegrityError`` / ``DataError`` as from any other
    write.  ``dumpers``: (type, psycopg Dumper) pairs registered for this COPY's cursor only."""
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for cls, dumper in dumpers:
            cursor.cursor.adapters.register_dumper(cls, dumper)
        with cursor.copy(statement) as copy:
            yield copy
