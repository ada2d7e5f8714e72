"""The queue's rows, which PostgreSQL keeps from the claims, flags and incident dates (migrations
incidents 0005 and 0013): whatever writes them, through the services or not, the queue shows the current state."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from incidents import services
from incidents.models import Claim, Flag
from incidents.selectors import QueueFilters, discrepancy_page
from tests.factories import make_claim, make_incident, make_source

pytestmark = pytest.mark.django_db


def queue(**filters) -> list[tuple[int, str, str, bool, int]]:
    page = discrepancy_page(QueueFilters(**filters), after=None, size=100)
    return [
        (item.incident_id, item.outcome, item.category, item.conflict, item.spread) for item in page.items
    ]


def test_a_conflicting_figure_enters_the_queue_and_a_correction_takes_it_out(editor):
    a, b = make_source("Source A"), make_source("Source B")
    incident = make_incident("Shelling of Kafr Nabl")
    make_claim(incident, a, 10)
    assert queue() == []
    claim = make_claim(incident, b, 14)
    assert queue() == [(incident.pk, "killed", "civilians", True, 4)]
    services.update_claim(claim=claim, user=editor, low=10, high=10)
    assert queue() == []


def test_a_revision_replaces_the_sources_figure_in_the_queue():
    a, b = make_source("Source A"), make_source("Source B")
    incident = make_incident("Airstrike on Ariha")
    make_claim(incident, a, 10)
    make_claim(incident, b, 12)
    make_claim(incident, b, 20)  # B's later figure supersedes its 12
    page = discrepancy_page(QueueFilters(), after=None, size=10)
    assert [(f.source, f.figure) for f in page.items[0].figures] == [("Source A", "10"), ("Source B", "20")]
    assert page.items[0].spread == 10


def test_writes_outside_the_services_keep_the_queue_exact():
    a, b = make_source("Source A"), make_source("Source B")
    incident = make_incident("Car bomb in Azaz")
    make_claim(incident, a, 10)
    second = make_claim(incident, b, 10)
    assert queue() == []
    Claim.objects.filter(pk=second.pk).update(low=30, high=30)  # one UPDATE statement, no service
    assert queue() == [(incident.pk, "killed", "civilians", True, 20)]
    Claim.objects.filter(incident=incident).delete()
    assert queue() == []


def test_one_statement_inserting_claims_of_several_incidents_brings_each_into_the_queue():
    a, b = make_source("Source A"), make_source("Source B")
    first, second, third = (
        make_incident(title) for title in ("Strike on Hajin", "Strike on Susat", "Strike on Sha'fa")
    )
    for incident in (first, second, third):
        make_claim(incident, a, 10)
    # One INSERT of three rows, no service: the queue's trigger sees every row of the statement.
    Claim.objects.bulk_create(
        Claim(
            incident=incident,
            claimed_by=b,
            outcome="killed",
            category="civilians",
            low=low,
            high=low,
            qualifier="exact",
            is_current=True,
        )
        for incident, low in ((first, 14), (second, 10), (third, 30))
    )
    assert sorted(queue()) == sorted(
        [(first.pk, "killed", "civilians", True, 4), (third.pk, "killed", "civilians", True, 20)]
    )


def test_a_flag_brings_an_agreeing_row_into_the_queue_until_it_is_removed(editor):
    a, b = make_source("Source A"), make_source("Source B")
    incident = make_incident("Shelling of Saraqib")
    make_claim(incident, a, 10)
    make_claim(incident, b, 10)
    flag = services.flag_discrepancy(incident=incident, outcome="killed", category="civilians", user=editor)
    assert queue() == [(incident.pk, "killed", "civilians", False, 0)]
    assert queue(status="unflagged") == []
    Flag.objects.filter(pk=flag.pk).delete()
    assert queue() == []


def test_the_date_sort_follows_a_changed_incident_date(editor):
    a, b = make_source("Source A"), make_source("Source B")
    older = make_incident("Older", date=datetime.date(2019, 1, 1))
    newer = make_incident("Newer", date=datetime.date(2020, 1, 1))
    for incident in (older, newer):
        make_claim(incident, a, 10)
        make_claim(incident, b, 15)
    assert [row[0] for row in queue(sort="date")] == [newer.pk, older.pk]
    services.update_incident(incident=older, user=editor, date_start=datetime.date(2021, 1, 1))
    assert [row[0] for row in queue(sort="date")] == [older.pk, newer.pk]


def kept_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT incident_id, outcome, category, party, conflict, flagged, lowest, highest "
            "FROM incidents_discrepancy_row ORDER BY 1, 2, 3, 4"
        )
        return cursor.fetchall()


def test_every_conflicting_or_flagged_row_is_kept_as_an_aggregate_over_the_current_claims(editor, hajin):
    """The kept rows equal the aggregate the queue used to compute per request, over the rows it shows."""
    incident = hajin["incident"]
    make_claim(incident, make_source("Airwars"), 14, 21)
    services.flag_discrepancy(incident=incident, outcome="killed", category="children", user=editor)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT * FROM (
                SELECT incident_id, outcome, category, party,
                       count(cmp_low) >= 2 AND max(cmp_low) > min(coalesce(cmp_high, 2147483647)) AS conflict,
                       EXISTS (SELECT 1 FROM incidents_flag f WHERE f.incident_id = c.incident_id
                               AND f.outcome = c.outcome AND f.category = c.category AND f.party = c.party)
                           AS flagged,
                       min(coalesce(low, high)) FILTER (WHERE cmp_low IS NOT NULL),
                       max(coalesce(high, low)) FILTER (WHERE cmp_low IS NOT NULL)
                FROM incidents_claim c WHERE is_current GROUP BY 1, 2, 3, 4
            ) AS every_row WHERE conflict OR flagged ORDER BY 1, 2, 3, 4
            """
        )
        expected = cursor.fetchall()
    # The Hajin fixture's matrix has rows of one source only: the flagged one is kept, the others are not.
    assert any(row[5] and not row[4] for row in expected)
    assert kept_rows() == expected


def test_rows_that_cannot_be_in_the_queue_are_not_kept_and_come_in_when_they_can(editor):
    a, b = make_source("Source A"), make_source("Source B")
    incident = make_incident("Airstrike on Maarat al-Numan")
    make_claim(incident, a, 10)  # one source: nothing to compare
    make_claim(incident, b, 10, category="children")  # another row, one source too
    make_claim(incident, b, 10)  # agrees with A
    assert kept_rows() == []
    flag = services.flag_discrepancy(incident=incident, outcome="killed", category="civilians", user=editor)
    assert kept_rows() == [(incident.pk, "killed", "civilians", "", False, True, 10, 10)]
    make_claim(incident, a, 12, category="children")  # children now conflict: kept beside the flagged row
    assert kept_rows() == [
        (incident.pk, "killed", "children", "", True, False, 10, 12),
        (incident.pk, "killed", "civilians", "", False, True, 10, 10),
    ]
    # The flag moved to the children's row (outside the services): the civilians' row goes, the other stays.
    Flag.objects.filter(pk=flag.pk).update(category="children")
    assert kept_rows() == [(incident.pk, "killed", "children", "", True, True, 10, 12)]
    assert queue(status="unflagged") == []


def test_the_backfill_gives_queue_rows_to_incidents_without_any_and_changes_nothing_else():
    import importlib

    backfill = importlib.import_module("incidents.migrations.0008_queue_rows_of_bulk_imported_incidents")
    a, b = make_source("Source A"), make_source("Source B")
    missing, kept = make_incident("Strike on Saraqib"), make_incident("Shelling of Ariha")
    for incident in (missing, kept):
        make_claim(incident, a, 10)
        make_claim(incident, b, 30)
    before = queue()
    assert {row[0] for row in before} == {missing.pk, kept.pk}
    with connection.cursor() as cursor:
        # As a bulk import before migration 0007 left them: the incident's claims stored, no queue row.
        cursor.execute("DELETE FROM incidents_discrepancy_row WHERE incident_id = %s", [missing.pk])
        assert [row[0] for row in queue()] == [kept.pk]
        cursor.execute(backfill.BACKFILL)
        assert queue() == before
        cursor.execute(backfill.BACKFILL)  # again: nothing to do
    assert queue() == before
