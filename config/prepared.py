"""Reads sent as prepared statements: PostgreSQL plans them once per connection instead of on every request.

Django binds parameters in the client by default (the SQL goes out with the values written in), so every
statement is planned again. The reads every page makes (the request's user) and the incident page's one
statement took PostgreSQL longer to plan than to run (0.4 ms and 1.3 ms against 0.1 and 0.3 ms, EXPLAIN on
the benchmark's data). ``prepared_cursor`` gives Django's cursor (its query log, error translation and
connection health check) over psycopg's server-side binding, and prepares each statement it runs. Only for
fixed SQL with ids and keys as parameters, whose one plan suits every value: PostgreSQL plans a prepared
statement for its first five runs and then keeps one plan only if it costs no more than those (one id does;
an array of ids, expected to match several rows, never did, so it was planned on every run anyway). Where statements are rewritten
on their way (pghistory's context during a write request is sent as a statement before each one, and a
prepared statement holds one), Django's own cursor is used instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

_ServerBinding: Any = ServerBindingCursor  # psycopg's cursor with Django's additions; untyped in the stubs


class _PreparingCursor(_ServerBinding):  # type: ignore[misc]
    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs["prepare"] = True
        return super().execute(query, params, **kwargs)


class _LoggedPreparedCursor(CursorDebugWrapper):
    """Django's query log for a prepared statement. Django reads the SQL it logs back from the cursor, which
    holds none when it ran a statement by name; it is composed here from the statement and its values."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        try:
            shown = self.db.ops.compose_sql(sql, params)
        except (psycopg.Error, TypeError):  # a value the client cannot write out: the log keeps the statement
            shown = sql
        with self.debug_sql(shown, params):
            return CursorWrapper.execute(self, sql, params)


@contextmanager
def prepared_cursor(using: str = DEFAULT_DB_ALIAS) -> Iterator[CursorWrapper]:
    """A cursor whose statements are prepared on this connection (psycopg keeps each connection's own)."""
    connection = connections[using]
    if connection.execute_wrappers:
        # Something rewrites statements (pghistory adds its context to each one during a write request, as a
        # second statement): Django's own cursor, unprepared.
        with connection.cursor() as cursor:
            yield cursor
        return
    # What Django's connection.cursor() does before making a cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
    connection.validate_thread_sharing()
    wrapper = _LoggedPreparedCursor if connection.queries_logged else CursorWrapper
    cursor = wrapper(raw, connection)
    with cursor:
        yield cursor
