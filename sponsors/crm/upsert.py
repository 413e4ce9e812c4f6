"""Generic bulk writes of the sync: compare what is stored with what the source sends and write only
what is new or changed (PostgreSQL ``COPY`` for many new rows, ``bulk_create``/``bulk_update`` otherwise),
and ``ANALYZE`` tables that got many new rows."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar

import orjson
from django.db import connection, transaction
from django.utils import timezone
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format

from ..bulk import copy_from_stdin

COPY_THRESHOLD = 500        # new rows above this go through COPY on PostgreSQL
UPSERT_BATCH_SIZE = 2000
PROGRESS_EVERY = 5000


class _Progress:
    def __init__(self, callback):
        self.callback = callback

    def __call__(self, n):
        if self.callback and n:
            self.callback(n)


def is_postgres():
    return connection.vendor == "postgresql"


def _attnames(model, names):
    return [model._meta.get_field(n).attname for n in names]


# Column types (Django's ``db_type`` without its size) that COPY sends in PostgreSQL's binary format, by the
# name psycopg knows them: the sync always hands their values over as psycopg's binary dumpers take them (texts
# as str, aware datetimes, dates, booleans, JSON as encoded bytes; keys — primary and foreign, ``bigint`` — as
# ints).  Binary spares both sides the text conversion: 100,000 interactions 0.58 → 0.38 s.  A table with any
# other column type (numbers from a file: numeric, double precision, integer) is COPYed as text.
_BINARY_COPY_TYPES = {"varchar": "varchar", "text": "text", "timestamp with time zone": "timestamptz",
                      "date": "date", "boolean": "bool", "jsonb": "jsonb"}


class _EncodedJsonbDumper(Dumper):
    """jsonb in COPY's binary format from JSON the caller already encoded (bytes): version 1, then the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj):
        return b"\x01" + obj


def _binary_copy_types(model, columns) -> list[str] | None:
    """The psycopg type name of each column for a binary COPY, or None when one of them goes as text."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    types = []
    for name in columns:
        field = fields[name]
        db_type = field.db_type(connection).split("(")[0]
        if db_type == "bigint" and (field.primary_key or field.is_relation):
            types.append("int8")
        elif db_type in _BINARY_COPY_TYPES:
            types.append(_BINARY_COPY_TYPES[db_type])
        else:
            return None
    return types


def copy_new(model, columns, rows):
    """COPY rows (sequences in ``columns`` order) into the model's table; a JSON column's value is its encoded
    JSON (``orjson.dumps``, bytes)."""
    table = model._meta.db_table
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    types = _binary_copy_types(model, columns)
    if types is None:
        json_at = [i for i, name in enumerate(columns) if _is_json(model, name)]
        with copy_from_stdin(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                for i in json_at:
                    row[i] = row[i].decode()
                copy.write_row(row)
        return
    with copy_from_stdin(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)",
                         dumpers=[(None, _EncodedJsonbDumper)]) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def copy_integers(model, columns, rows, *, chunk=20000):
    """COPY rows of integers only (e.g. link-table pairs) into the model's table: written as text in chunks,
    several times faster than a ``write_row`` per row (integers need no escaping)."""
    table = model._meta.db_table
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with copy_from_stdin(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for start in range(0, len(rows), chunk):
            copy.write("".join(["\t".join(map(str, row)) + "\n" for row in rows[start:start + chunk]]))


def _is_json(model, name) -> bool:
    return model._meta.get_field(name).get_internal_type() == "JSONField"


def next_ids(model, count: int) -> list[int]:
    """``count`` new primary keys from the table's own sequence, in one query (PostgreSQL): rows COPYed
    with them need no read-back of the numbers the database gave them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)::regclass::oid", [model._meta.db_table,
                                                                                model._meta.pk.column])
        sequence = cursor.fetchone()[0]
        # A constant sequence (the oid as a literal): nextval resolved per row costs five times as much.
        cursor.execute(f"SELECT nextval({int(sequence)}::oid::regclass) FROM generate_series(1, %s)", [count])
        return [row[0] for row in cursor.fetchall()]


def _insert_new(model, *, names, new, extra, auto_now, now, ids, progress):
    """Insert ``new`` ([(key, values)]) and record their primary keys in ``ids``: COPY above
    ``COPY_THRESHOLD`` rows on PostgreSQL (with keys taken from the sequence first), ``bulk_create``
    otherwise."""
    if is_postgres() and len(new) > COPY_THRESHOLD:
        pks = next_ids(model, len(new))
        # Every other column gets what bulk_create would give it (its default: "" for a text column without
        # one, which COPY would otherwise leave NULL — a NOT NULL violation).
        given = {*names, *extra, *auto_now}
        unset = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in given]
        columns = [model._meta.pk.attname, *_attnames(model, names), *_attnames(model, extra), *auto_now,
                   *(f.attname for f in unset)]
        defaults = [f.get_default() for f in unset]
        tail = [*extra.values(), *([now] * len(auto_now)),
                *(orjson.dumps(v) if v is not None and _is_json(model, f.name) else v for f, v in zip(unset, defaults))]
        json_at = [1 + i for i, name in enumerate(names) if _is_json(model, name)]  # JSON columns go in encoded

        def rows():
            for n, ((key, values), pk) in enumerate(zip(new, pks), 1):
                row = [pk, *key, *values, *tail]
                for i in json_at:
                    row[i] = orjson.dumps(row[i])
                yield row
                if n % PROGRESS_EVERY == 0:
                    progress(PROGRESS_EVERY)
            progress(len(new) % PROGRESS_EVERY)

        copy_new(model, columns, rows())
        ids.update((key, pk) for (key, _values), pk in zip(new, pks))
        return
    objs = [model(**dict(zip(_attnames(model, names), (*key, *values))), **extra) for key, values in new]
    for start in range(0, len(objs), UPSERT_BATCH_SIZE):
        model.objects.bulk_create(objs[start:start + UPSERT_BATCH_SIZE])
        progress(len(objs[start:start + UPSERT_BATCH_SIZE]))
    ids.update((key, obj.pk) for (key, _v), obj in zip(new, objs))


def upsert(model, *, key_fields, value_fields, desired, existing_qs, progress=None, extra_on_create=None,
           update_fields=None, created=None):
    """Write ``desired`` ({key tuple: value tuple}) into ``model``; return ({key: pk}, counts).

    ``existing_qs`` scopes what is compared (the accounts of this sync).  Only new or changed rows
    are written.  ``extra_on_create`` (a dict) adds column values for new rows only; ``update_fields``
    (default: all value fields) are the columns an existing row's update may touch; ``created`` (a set), if
    given, gets the keys of the rows created.
    """
    progress = _Progress(progress)
    update_fields = list(update_fields if update_fields is not None else value_fields)
    compare_idx = [value_fields.index(f) for f in update_fields]
    stored = {}
    for row in existing_qs.values_list("pk", *key_fields, *update_fields).iterator(chunk_size=10000):
        stored[tuple(row[1:1 + len(key_fields)])] = (row[0], tuple(row[1 + len(key_fields):]))
    ids, new, changed = {}, [], []
    unchanged = 0
    for key, values in desired.items():
        hit = stored.get(key)
        if hit is None:
            new.append((key, values))
        else:
            ids[key] = hit[0]
            if tuple(values[i] for i in compare_idx) != hit[1]:
                changed.append((key, values))
            else:
                unchanged += 1
    now = timezone.now()
    auto_now = [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)
                or getattr(f, "auto_now_add", False)]
    names = [*key_fields, *value_fields]
    if new:
        _insert_new(model, names=names, new=new, extra=extra_on_create or {}, auto_now=auto_now, now=now,
                    ids=ids, progress=progress)
        if created is not None:
            created.update(key for key, _values in new)
    if changed:
        objs = [model(pk=ids[key], **dict(zip(_attnames(model, names), (*key, *values)))) for key, values in changed]
        for obj in objs:
            for name in auto_now:
                setattr(obj, name, now)
        writable = [f for f in update_fields if f not in key_fields]
        if "updated_at" in auto_now:
            writable.append("updated_at")
        model.objects.bulk_update(objs, _attnames(model, writable), batch_size=UPSERT_BATCH_SIZE)
        progress(len(objs))
    progress(unchanged)
    return ids, Counter(created=len(new), updated=len(changed), unchanged=unchanged)


def replace_set(model, *, scope_qs, key_fields, value_fields, desired):
    """Make ``scope_qs`` hold exactly ``desired`` ({key: values}): ``upsert`` what is new or changed,
    delete what the source no longer lists; return counts."""
    ids, counts = upsert(model, key_fields=key_fields, value_fields=value_fields, desired=desired,
                         existing_qs=scope_qs)
    _total, per_model = scope_qs.exclude(pk__in=list(ids.values())).delete()
    counts["removed"] = per_model.get(model._meta.label, 0)
    return counts


# --- ANALYZE after large imports ----------------------------------------------------------------

ANALYZE_MIN_ROWS = 1000     # a table that got at least this many new rows is analysed after the commit
ANALYZE_GROWTH = 0.1        # inside analyze_once(): re-analysed at the end when it grew by this share since (as
                            # autovacuum's default analyze_scale_factor)

# Inside ``analyze_once()`` (a CRM sync applying its accounts in many transactions): per table analysed so far,
# [rows the run had created in it when it was analysed, rows created since].
_run_tables: ContextVar[dict | None] = ContextVar("analyze_once", default=None)


def _analyze(table) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def analyze_on_commit(model, counts) -> None:
    """PostgreSQL plans with table statistics; autovacuum may be late or off, so fresh bulk rows get
    ``ANALYZE`` right after the commit (otherwise the portfolio query can take minutes).  Inside
    ``analyze_once()`` a table is analysed after the first commit that filled it and, if it grew much more,
    once at the end (an ANALYZE samples up to 30,000 pages: per batch of a large sync it cost more than the
    batch's writes)."""
    created = counts.get("created", 0)
    if not (created and is_postgres()):
        return
    table = connection.ops.quote_name(model._meta.db_table)
    tables = _run_tables.get()
    if tables is not None and table in tables:
        tables[table][1] += created
        return
    if created < ANALYZE_MIN_ROWS:
        return
    if tables is not None:
        tables[table] = [created, 0]
    transaction.on_commit(lambda: _analyze(table), robust=True)


@contextmanager
def analyze_once():
    """Many transactions of one bulk job: each table ``analyze_on_commit`` names is analysed after its first
    commit and, if it grew by ``ANALYZE_GROWTH`` or more after that, once when the block ends (not after every
    commit)."""
    token = _run_tables.set({})
    try:
        yield
    finally:
        tables = _run_tables.get()
        _run_tables.reset(token)
    for table, (at_analysis, since) in sorted(tables.items()):
        if since >= ANALYZE_MIN_ROWS and since >= ANALYZE_GROWTH * at_analysis:
            _analyze(table)
