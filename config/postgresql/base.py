"""Django's PostgreSQL backend, with a cheaper check of a reused connection.

``CONN_HEALTH_CHECKS`` makes Django check a reused connection before a request's first query, so that a
connection the server dropped (a restart, a crash, a terminated backend) is replaced instead of failing the
request. Django checks with ``SELECT 1``: a round trip on every request, about a twentieth of an incident
page's time on the benchmark's two cores. A server that drops a connection writes to it or closes it (an
error message, then end of file), so an idle connection with nothing to read on its socket is usable without
asking; one with something to read, or in a transaction, is checked with Django's round trip. A connection
lost without a word (a network cut) is not seen here: its first query fails, and Django closes it after that
request, as without health checks.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return bool(super().is_usable())
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable or bool(super().is_usable())
