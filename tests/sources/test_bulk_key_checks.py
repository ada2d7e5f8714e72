"""The bulk path without PostgreSQL's per-row foreign-key checks (``sources.bulk_writes.key_checks_off``).

Where the database role may set ``session_replication_role`` (the test server's superuser may), the bulk path
turns the per-row triggers off while it inserts and does the foreign-key checks' work itself, once per table:
the stored rows the file names are locked and must still exist. These tests hold that this changes nothing a
user could see: the same rows stored as by a role without that right, a stored row named by the file cannot be
deleted by someone else before the import commits, and a row deleted after the file was checked fails the
import with nothing written.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from incidents.models import Incident, Place
from sources.importers import bulk as bulk_path
from sources.importers.bulk import bulk_import
from tests.factories import make_place
from tests.sources.test_bulk_import import ROWS, csv_file, snapshot
from tests.sources.test_jobs import roles  # noqa: F401  # a fixture: the groups, after a flush

# The tables the bulk path inserts into inside bulk_writes() and key_checks_off().
BULK_TABLES = ("sources_report", "incidents_claim", "incidents_incident", "incidents_incident_places")
PLAIN_ROLE = "hasila_test_plain_importer"  # no superuser, no right to set session_replication_role


class _Undo(Exception):
    pass


def _stored_by(data: bytes, user: Any, *, role: str | None) -> dict[str, Any]:
    """What the bulk path stores (rolled back afterwards), imported as ``role`` (None: the test's own role)."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if role:
                    cursor.execute(f"SET LOCAL ROLE {role}")
                cursor.execute("SELECT current_setting('is_superuser')")
                superuser = cursor.fetchone()[0] == "on"
            assert superuser is (role is None)
            outcome = bulk_import(data, filename="big.csv", user=user)
            assert outcome.result.ok, outcome.result.errors
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('session_replication_role')")
                assert cursor.fetchone()[0] == "origin"  # switched back for the rest of the transaction
            state = snapshot()
            raise _Undo
    except _Undo:
        pass
    return state


def _plain_role() -> None:
    """A role without superuser rights, allowed to read and write the test database's tables."""
    with connection.cursor() as cursor:
        # Roles belong to the server: the other test worker may be creating it at the same moment.
        cursor.execute(
            f"DO $$ BEGIN CREATE ROLE {PLAIN_ROLE} NOSUPERUSER NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {PLAIN_ROLE}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {PLAIN_ROLE}")


def test_every_insert_trigger_of_the_bulk_tables_stands_aside_under_bulk_writes(db):
    # Turning the row triggers off must only remove the foreign-key checks: every other trigger that fires on
    # these tables' inserts already does nothing under bulk_writes (its WHEN condition or its function reads
    # the setting), or fires always (ENABLE ALWAYS). A trigger added later without either fails here.
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.relname, t.tgname FROM pg_trigger t
               JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
               WHERE c.relname = ANY(%s) AND NOT t.tgisinternal AND (t.tgtype & 4) <> 0
                 AND t.tgenabled = 'O'
                 AND NOT (pg_get_triggerdef(t.oid) LIKE '%%hasila.bulk%%' OR p.prosrc LIKE '%%hasila.bulk%%')""",
            [list(BULK_TABLES)],
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = ANY(%s) AND NOT t.tgisinternal AND (t.tgtype & 4) <> 0",
            [list(BULK_TABLES)],
        )
        assert cursor.fetchone()[0] >= 5  # the query does see the history and queue triggers


def test_a_role_that_may_not_turn_key_checks_off_stores_the_same_rows(hajin, analyst):
    _plain_role()
    data = csv_file(ROWS)
    with_checks_off = _stored_by(data, analyst, role=None)
    with_checks_at_commit = _stored_by(data, analyst, role=PLAIN_ROLE)
    assert with_checks_off == with_checks_at_commit
    assert len(with_checks_off["claims"]) == len(snapshot()["claims"]) + 10


@pytest.fixture
def village(roles, hajin):  # noqa: F811
    """A place nothing refers to yet, named by the file below."""
    return make_place("Tall Abyad", name_ar="تل أبيض", parent=hajin["incident"].places.get().parent)


def _rows_in(village: Place) -> bytes:
    return csv_file([row.replace(",Idlib,", f",{village.name_en},") for row in ROWS])


def _other_connection() -> psycopg.Connection[Any]:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def test_a_place_the_import_names_cannot_be_deleted_until_it_commits(village, analyst):
    with transaction.atomic():
        assert bulk_import(_rows_in(village), filename="big.csv", user=analyst).result.ok
        with _other_connection() as other:
            other.execute("SET lock_timeout = '300ms'")
            # The import's lock holds the place: the delete waits (and gives up) instead of going through
            # and leaving the new incident filed under a place that no longer exists.
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM incidents_place WHERE id = %s", [village.pk])
    assert Incident.objects.filter(places=village).count() == 1


def test_a_place_deleted_after_the_file_was_checked_fails_the_import_and_writes_nothing(
    village, analyst, monkeypatch
):
    checked = bulk_path.BulkImport._chains
    deleted = []

    def delete_then_go_on(self: Any) -> None:
        with _other_connection() as other:
            other.execute("DELETE FROM incidents_place WHERE id = %s", [village.pk])
        deleted.append(village.pk)
        checked(self)

    monkeypatch.setattr(bulk_path.BulkImport, "_chains", delete_then_go_on)
    before = snapshot()
    with pytest.raises(IntegrityError, match="incidents_place"), transaction.atomic():
        bulk_import(_rows_in(village), filename="big.csv", user=analyst)
    assert deleted == [village.pk]
    assert not Place.objects.filter(pk=village.pk).exists()
    assert snapshot() == before
