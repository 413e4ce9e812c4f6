"""Foreign keys checked once per statement instead of once per row, on the tables written in bulk.

PostgreSQL checks an ordinary foreign key with one lookup and one row lock *per written row*.  On the tables
the import, the CRM sync and the nightly recompute write hundreds of thousands of rows into (interactions, their
participants, contacts, score snapshots, the CRM mirror) those per-row checks were a third to a half of the
write (about 1.1 s of a 100,000-interaction import; 22–26 s of the 550,000-record sync).

A foreign key declared ``db_constraint=False`` on a model (and not ``on_delete=DO_NOTHING``, which says it may
dangle by design, as the audit history's do) gets, instead of the built-in constraint, triggers
that enforce the same rule set-wise — still in the database, whatever writes (ORM, COPY, raw SQL, admin):

* **new rows** (statement-level ``AFTER INSERT`` with the statement's new rows as a transition table): the
  referenced rows are locked ``FOR KEY SHARE`` in key order, as the built-in check locks each one (so a
  concurrent delete of a parent waits, then fails on the check below), and the statement fails with
  ``foreign_key_violation`` (Django's ``IntegrityError``) naming the first missing key if any is missing;
* **a changed key** (row-level ``AFTER UPDATE OF`` the column, only when its value changes: an UPDATE that does
  not set the column costs nothing): the same check for that row;
* **parents removed** (statement-level ``AFTER DELETE`` on the referenced table with the deleted rows as a
  transition table; row-level on a changed primary key): fails if a row still references one;
* **parent truncated** (``AFTER TRUNCATE``, after every table of the statement is emptied): fails if a row
  still references the emptied table.

Unlike the built-in constraint, these checks are immediate (at the end of each statement), not deferred to
the commit: a child row must be written after its parent, which every writer here does.

``install(db)`` puts them on every such foreign key of the installed models and removes those of a key that
is a built-in constraint again; it runs after every ``migrate`` (``sponsors/apps.py``), so a new
``db_constraint=False`` key is covered by its migration.  PostgreSQL only: the embedded SQLite default (the
demo) leaves these references to Django's own cascades.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.apps import apps
from django.db import models

PREFIX = "swk_"

FUNCTIONS_SQL = r"""
CREATE OR REPLACE FUNCTION swk_refuse_missing_parent(child text, key_name text, col text, key text, parent text)
RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key "%"', child, key_name
        USING ERRCODE = 'foreign_key_violation', TABLE = child, COLUMN = col,
              DETAIL = format('Key (%s)=(%s) is not present in table "%s".', col, key, parent);
END $f$;

CREATE OR REPLACE FUNCTION swk_check_new_rows() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    col text := TG_ARGV[0]; parent text := TG_ARGV[1]; parent_key text := TG_ARGV[2];
    wanted bigint; present bigint; missing text;
BEGIN
    EXECUTE format(
        'WITH wanted AS (SELECT DISTINCT %1$I AS key FROM new_rows WHERE %1$I IS NOT NULL), '
        'present AS (SELECT p.%3$I FROM %2$I p WHERE p.%3$I IN (SELECT key FROM wanted) '
        '            ORDER BY p.%3$I FOR KEY SHARE OF p) '
        'SELECT (SELECT count(*) FROM wanted), (SELECT count(*) FROM present)', col, parent, parent_key)
        INTO wanted, present;
    IF present < wanted THEN
        EXECUTE format('SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
                       '(SELECT 1 FROM %2$I p WHERE p.%3$I = n.%1$I) LIMIT 1', col, parent, parent_key)
            INTO missing;
        PERFORM swk_refuse_missing_parent(TG_TABLE_NAME, TG_NAME, col, missing, parent);
    END IF;
    RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION swk_check_changed_row() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    col text := TG_ARGV[0]; parent text := TG_ARGV[1]; parent_key text := TG_ARGV[2]; found boolean;
BEGIN
    -- only rows whose key changed get here (the trigger's WHEN); ($1).col keeps the column's type, so the index
    -- of the parent's key serves the lookup
    EXECUTE format('SELECT ($1).%3$I IS NULL OR EXISTS (SELECT 1 FROM %1$I p WHERE p.%2$I = ($1).%3$I '
                   'FOR KEY SHARE OF p)', parent, parent_key, col) INTO found USING NEW;
    IF NOT found THEN
        PERFORM swk_refuse_missing_parent(TG_TABLE_NAME, TG_NAME, col, to_jsonb(NEW) ->> col, parent);
    END IF;
    RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION swk_check_removed_parents() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    child text := TG_ARGV[0]; col text := TG_ARGV[1]; parent_key text := TG_ARGV[2]; still text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT c.%2$I::text FROM %1$I c WHERE c.%2$I IS NOT NULL LIMIT 1', child, col) INTO still;
    ELSIF TG_LEVEL = 'ROW' THEN     -- a parent's key changed (the trigger's WHEN)
        EXECUTE format('SELECT c.%2$I::text FROM %1$I c WHERE c.%2$I = ($1).%3$I LIMIT 1', child, col, parent_key)
            INTO still USING OLD;
    ELSE
        EXECUTE format('SELECT c.%2$I::text FROM %1$I c WHERE c.%2$I IS NOT NULL '
                       'AND c.%2$I IN (SELECT o.%3$I FROM old_rows o) LIMIT 1',
                       child, col, parent_key) INTO still;
    END IF;
    IF still IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "%" violates foreign key "%" on table "%"',
                        TG_TABLE_NAME, TG_NAME, child
            USING ERRCODE = 'foreign_key_violation', TABLE = child, COLUMN = col,
                  DETAIL = format('Key (%s)=(%s) is still referenced from table "%s".', parent_key, still, child);
    END IF;
    RETURN NULL;
END $f$;
"""


@dataclass(frozen=True)
class SetWiseKey:
    """A foreign key ``child.column → parent.parent_key`` enforced by triggers."""

    child: str
    column: str
    parent: str
    parent_key: str

    def triggers(self) -> dict[tuple[str, str], str]:
        """{(table, trigger name): CREATE statement} of its five triggers."""
        args = f"'{self.column}', '{self.parent}', '{self.parent_key}'"
        on_parent = f"'{self.child}', '{self.column}', '{self.parent_key}'"
        new, changed = _name(self, "new"), _name(self, "changed")
        gone, rekeyed, emptied = _name(self, "gone"), _name(self, "rekeyed"), _name(self, "emptied")
        return {
            (self.child, new): f'CREATE OR REPLACE TRIGGER {new} AFTER INSERT ON "{self.child}" REFERENCING NEW '
                               f"TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION swk_check_new_rows({args})",
            (self.child, changed): f'CREATE OR REPLACE TRIGGER {changed} AFTER UPDATE OF "{self.column}" ON '
                                   f'"{self.child}" FOR EACH ROW WHEN (OLD."{self.column}" IS DISTINCT FROM '
                                   f'NEW."{self.column}") EXECUTE FUNCTION swk_check_changed_row({args})',
            (self.parent, gone): f'CREATE OR REPLACE TRIGGER {gone} AFTER DELETE ON "{self.parent}" REFERENCING '
                                 f"OLD TABLE AS old_rows FOR EACH STATEMENT "
                                 f"EXECUTE FUNCTION swk_check_removed_parents({on_parent})",
            (self.parent, rekeyed): f'CREATE OR REPLACE TRIGGER {rekeyed} AFTER UPDATE OF "{self.parent_key}" ON '
                                    f'"{self.parent}" FOR EACH ROW WHEN (OLD."{self.parent_key}" IS DISTINCT FROM '
                                    f'NEW."{self.parent_key}") EXECUTE FUNCTION swk_check_removed_parents({on_parent})',
            (self.parent, emptied): f'CREATE OR REPLACE TRIGGER {emptied} AFTER TRUNCATE ON "{self.parent}" '
                                    f"FOR EACH STATEMENT EXECUTE FUNCTION swk_check_removed_parents({on_parent})",
        }


def _name(key: SetWiseKey, role: str) -> str:
    name = f"{PREFIX}{key.child}_{key.column}_{role}"
    if len(name) > 63:        # PostgreSQL's identifier limit: shorten, unique by a digest of the long name
        name = f"{name[:50]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return name


def set_wise_keys() -> list[SetWiseKey]:
    """Every foreign key of the installed models declared ``db_constraint=False`` whose rows must not dangle: a key
    that may dangle by design says ``on_delete=DO_NOTHING`` (the audit history's copies of deleted rows)."""
    keys = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        for field in model._meta.local_fields:
            if (isinstance(field, models.ForeignKey) and not field.db_constraint
                    and field.remote_field.on_delete is not models.DO_NOTHING):
                target = field.target_field
                keys.append(SetWiseKey(child=model._meta.db_table, column=field.column,
                                       parent=target.model._meta.db_table, parent_key=target.column))
    return keys


def install(db) -> list[str]:
    """Create (or replace) the functions and every key's triggers; drop ``swk_`` triggers no key wants any more.
    Returns the names of the triggers in place.  PostgreSQL only."""
    if db.vendor != "postgresql":
        return []
    wanted = {}
    with db.cursor() as cursor:
        for key in set_wise_keys():
            # a table a later migration creates is not there yet when an earlier one installs
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
                           [f'"{key.child}"', f'"{key.parent}"'])
            if cursor.fetchone()[0]:
                wanted.update(key.triggers())
        cursor.execute(FUNCTIONS_SQL)
        cursor.execute("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE t.tgname LIKE %s AND NOT t.tgisinternal", [PREFIX.replace("_", r"\_") + "%"])
        for table, name in cursor.fetchall():
            if (table, name) not in wanted:
                cursor.execute(f'DROP TRIGGER {name} ON "{table}"')
        for statement in wanted.values():
            cursor.execute(statement)
    return sorted(name for _, name in wanted)
