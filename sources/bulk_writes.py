"""Statements that write their own history and queue rows, set-based (the bulk import path).

pghistory records an insert event per row from a trigger that calls a function per row; for a million rows
that is a large part of the import. Inside ``bulk_writes()`` the insert triggers of the models the bulk path
writes (their ``WHEN`` condition below) and the discrepancy queue's claim trigger stand aside, and the caller
writes the same events and queue rows in one statement each. The setting is local to the transaction and
switched off again on leaving (or undone with the savepoint on an error), so no other write of the
transaction goes unrecorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pgtrigger
from django.db import connection

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
