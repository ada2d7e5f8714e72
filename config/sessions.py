"""Sessions in the database, as Django's ``db`` engine keeps them, read with one written-out query.

Every page reads the session first. Django's engine reads it through the ORM, whose building of that
one-line query cost more than PostgreSQL took to answer it; this engine sends the same query written out,
as a prepared statement (``config.prepared``).
Writing, expiry, key rotation and clean-up are Django's own (``SESSION_ENGINE = "config.sessions"``).
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.utils import timezone

from config.prepared import prepared_cursor


def _database() -> str:
    return router.db_for_read(Session) or DEFAULT_DB_ALIAS


@functools.cache
def _load_sql() -> str:
    quote = connections[_database()].ops.quote_name
    # Django's session model names its columns after its fields.
    table = quote(Session._meta.db_table)
    data, key, expires = (quote(name) for name in ("session_data", "session_key", "expire_date"))
    # Names from the model; the key and the time are parameters.
    return f"SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s"  # noqa: S608


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        """The session's data, or an empty session (and no key) when it is missing or has expired."""
        if self.session_key is None:
            return {}
        with prepared_cursor(_database()) as cursor:
            cursor.execute(_load_sql(), [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(row[0])
        return data
