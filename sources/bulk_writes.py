"""Statements that write their own history and queue rows, set-based (the bulk import path).

pghistory records an insert event per row from a trigger that calls a function per row; for a million rows
that is a large part of the import. Inside ``bulk_writes()`` the insert triggers of the models the bulk path
writes (their ``WHEN`` condition below) and the discrepancy queue's claim trigger stand aside, and the caller
writes the same events and queue rows in one statement each. The setting is local to the transaction and
switched off again on leaving (or undone with the savepoint on an error), so no other write of the
transaction goes unrecorded.

``key_checks_off()`` goes further where the database role may: no per-row trigger fires at all, foreign-key
checks included, and the caller does their work itself once per table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pgtrigger
from django.db import ProgrammingError, connection, transaction
from psycopg import errors

SETTING = "hasila.bulk"

# The WHEN condition of the insert triggers: evaluated by PostgreSQL itself, with no function call per row.
UNLESS_BULK = pgtrigger.Condition(f"current_setting('{SETTING}', true) IS DISTINCT FROM 'on'")


@contextmanager
def bulk_writes() -> Iterator[None]:
    """Within: the history insert triggers and the queue's claim trigger do nothing (this transaction only).

    Use inside ``transaction.atomic()``. On an error the setting is not switched back here: the transaction
    is aborted and would refuse the statement, hiding the error (a unique key taken by another import must
    reach the job as an IntegrityError). Rolling back to the atomic block's savepoint undoes the setting."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [SETTING])
        yield
        cursor.execute("SELECT set_config(%s, 'off', true)", [SETTING])


REPLICATION_ROLE = "session_replication_role"


@contextmanager
def key_checks_off() -> Iterator[bool]:
    """Within, if this database role may set ``session_replication_role``: PostgreSQL fires no ordinary
    trigger, and so checks no foreign key of the rows inserted. Yields whether it could (this transaction only).

    Each foreign key of each inserted row is otherwise checked by a trigger at commit, one look-up per row and
    key: on a million-row import, a seventh of its time. The caller must then do, once for the whole insert,
    what those checks did (``BulkImport._hold_references``): lock every stored row the new rows name, so that
    no other transaction deletes it before this one commits, and fail if one is already gone. Only the bulk
    path uses this, and only inside ``bulk_writes()``, where every other insert trigger of the tables it writes
    already stands aside (a test holds that). A role without the right (PostgreSQL 15 and later can grant it:
    ``GRANT SET ON PARAMETER session_replication_role TO ...``) keeps the checks at commit: slower, the same end
    state."""
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SELECT set_config(%s, 'replica', true)", [REPLICATION_ROLE])
        except ProgrammingError as exc:
            if not isinstance(exc.__cause__, errors.InsufficientPrivilege):
                raise
            yield False
            return
        yield True
        # As in bulk_writes: not switched back on an error; the savepoint's rollback undoes the setting.
        cursor.execute("SELECT set_config(%s, 'origin', true)", [REPLICATION_ROLE])
