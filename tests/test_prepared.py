"""Reads sent as prepared statements (config/prepared.py): planned once per connection, same answers."""

from __future__ import annotations

import pytest
from django.db import connection

from config.prepared import prepared_cursor


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_page_prepares_the_user_session_and_incident_reads_once_and_reuses_them(analyst_client, hajin):
    incident = hajin["incident"]
    assert analyst_client.get(f"/incidents/{incident.pk}/").status_code == 200
    first = prepared_statements()
    assert any("perm_names" in sql for sql in first)  # the request's user
    assert any('FROM "django_session"' in sql for sql in first)
    assert any("WHERE i.id = $1" in sql for sql in first)  # the incident page's statement
    for _ in range(7):
        response = analyst_client.get(f"/incidents/{incident.pk}/")
        assert response.status_code == 200
    assert sorted(prepared_statements()) == sorted(first)  # prepared once, executed again
    # After its first five runs PostgreSQL runs each with the plan it made once, instead of planning again.
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
        reused = dict(cursor.fetchall())
    for marker in ("perm_names", 'FROM "django_session"', "WHERE i.id = $1"):
        (generic,) = [generic for sql, generic in reused.items() if marker in sql]
        assert generic >= 2, marker
    assert "SANA" in response.content.decode() and "SOHR" in response.content.decode()


@pytest.mark.django_db
def test_a_prepared_read_is_logged_and_its_errors_are_djangos(django_assert_num_queries):
    from django.db import ProgrammingError

    with django_assert_num_queries(1), prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
    with pytest.raises(ProgrammingError), prepared_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM django_session")


@pytest.mark.django_db
def test_the_incident_page_reads_under_the_history_context_of_a_write(hajin):
    import pghistory

    incident = hajin["incident"]
    # pghistory rewrites every statement inside its context; the page's read still answers, unprepared.
    from incidents.selectors import incident_page

    with pghistory.context(test="prepared"):
        assert connection.execute_wrappers  # the rewriting is on
        page = incident_page(incident.pk)
    assert page is not None and page.pk == incident.pk
