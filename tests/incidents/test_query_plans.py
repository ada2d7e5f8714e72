"""The list's search and place filter are written so that PostgreSQL can answer them from their indexes: the
statements the pages send, explained with sequential and plain index scans discouraged (a tiny test table
would otherwise be read whole, or walked in a primary key's order), name the indexes that their conditions
select rows from. A condition that stopped matching its index's expression would not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")


def plan(sql: str, params) -> str:
    """EXPLAIN of a statement with sequential and plain index scans discouraged (bitmap scans still name
    their index), on statistics of the test's own rows: without the ANALYZE, the plan depended on what
    autovacuum had last seen of tables that earlier tests filled and emptied (one full run in a dozen read the
    places by primary key instead of their text index)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE incidents_incident, incidents_place, incidents_incident_places, incidents_claim"
        )
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        text = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    return text


def plan_of_list(client, params) -> str:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LIST, params).status_code == 200
    (statement,) = [q["sql"] for q in captured.captured_queries if 'FROM "incidents_incident"' in q["sql"]]
    return plan(statement, ())


@pytest.fixture
def filler():
    """2,000 more places and incidents, one linked to each, that no search of the tests matches: with the
    fixtures' handful of rows alone, the cheapest plan reads every incident's places and tests each place's
    names, which at scale would read the whole link table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO incidents_place (id, name_en, name_ar, aliases, level, path, search_key)
               SELECT id, 'Filler ' || n, '', '{}', 4, '/' || id || '/', 'filler ' || n
               FROM (SELECT nextval(pg_get_serial_sequence('incidents_place', 'id')) AS id, n
                     FROM generate_series(1, 2000) n) s"""
        )
        cursor.execute(
            """INSERT INTO incidents_incident (title, date_start, date_precision, type, perpetrator, description,
                   external_id, created_at, updated_at, summary, has_conflict, source_count, search_key, place_tree)
               SELECT 'Filler ' || n, date '2010-01-01' + n, 'day', 'other', '', '', '', now(), now(), '{}', false,
                      0, 'filler ' || n, '{}' FROM generate_series(1, 2000) n"""
        )
        cursor.execute(
            """INSERT INTO incidents_incident_places (incident_id, place_id)
               SELECT i.id, p.id
               FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM incidents_incident
                     WHERE title LIKE 'Filler %') i
               JOIN (SELECT id, row_number() OVER (ORDER BY id) AS n FROM incidents_place
                     WHERE name_en LIKE 'Filler %') p USING (n)"""
        )


def test_a_search_reads_the_text_indexes_of_incidents_and_places(analyst_client, hajin, filler):
    plan = plan_of_list(analyst_client, {"q": "غارة هجين"})
    assert "incident_search" in plan
    assert "place_search" in plan


def test_a_place_filter_reads_the_place_tree_index(analyst_client, hajin):
    plan = plan_of_list(analyst_client, {"place": hajin["deir"].pk})
    assert "incident_place_tree" in plan


def test_the_claims_of_a_report_or_a_revision_are_found_through_their_partial_indexes():
    """The report and predecessor of a claim are indexed only where set (most imported claims have neither):
    reading claims by either, as deleting a report or a claim does (test_models), still uses the index."""
    from incidents.models import Claim

    for queryset, index in (
        (Claim.objects.filter(report_id=1), "claim_by_report"),
        (Claim.objects.filter(supersedes_id=1), "claim_supersedes_once"),
    ):
        assert index in plan(*queryset.query.sql_with_params())


def test_a_search_finds_the_words_its_last_term_starts_in_their_index(analyst_client, hajin, filler):
    # The filler adds 2,001 words ("filler", "1" ... "2000"); the index is a btree in byte order ("C"), in
    # which a LIKE 'start%' is a range.
    with CaptureQueriesContext(connection) as captured:
        assert analyst_client.get(LIST, {"q": "غارة هجي"}).status_code == 200
    (lookup,) = [q["sql"] for q in captured.captured_queries if "incidents_search_word" in q["sql"]]
    assert "incidents_search_word_pkey" in plan(lookup.replace("%", "%%"), ())
