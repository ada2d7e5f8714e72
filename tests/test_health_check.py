"""The reused connection's check (config/postgresql): no round trip while the connection is sound, and a
connection the server dropped is replaced before a request uses it."""

from __future__ import annotations

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connection

# The app's connection is terminated from outside and reopened, which a test in a transaction cannot do.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def roles(transactional_db: None) -> None:
    """The roles, which the migration creates and each test here empties with the rest of the database."""
    import importlib

    from django.apps import apps

    importlib.import_module("incidents.migrations.0003_create_roles").create_roles(apps, None)


def outside() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def last_query_of(pid: int) -> str:
    with outside() as other:
        row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def test_the_backend_is_the_projects():
    from django.db import connections

    from config.postgresql.base import DatabaseWrapper

    assert settings.DATABASES["default"]["ENGINE"] == "config.postgresql"

    assert isinstance(connections["default"], DatabaseWrapper)


def test_a_sound_idle_connection_is_usable_without_a_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), 'marker-before-the-check'")
        pid, _ = cursor.fetchone()
    assert connection.is_usable()
    assert "marker-before-the-check" in last_query_of(pid)  # no SELECT 1 was sent


def test_a_connection_the_server_terminated_is_replaced_before_the_next_request(analyst_client, hajin):
    assert analyst_client.get("/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with outside() as other:
        # With a timeout, PostgreSQL returns once the backend has gone (its socket closed), not when signalled.
        terminated = other.execute("SELECT pg_terminate_backend(%s, 10000)", [pid]).fetchone()
    assert terminated == (True,)
    # The next request: Django marks the reused connection for checking when a request starts (the test client
    # leaves that out, so it is done here); the check sees the server's goodbye on the socket, and the page is
    # served on a new connection.
    close_old_connections()
    response = analyst_client.get("/")
    assert response.status_code == 200
    assert "Coalition strikes on Hajin" in response.content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != pid
