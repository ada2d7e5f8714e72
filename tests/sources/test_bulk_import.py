"""The bulk path of large Hasila CSV files (COPY, checks in SQL, INSERT ... SELECT) against the row importer.

The same file is imported both ways from the same starting state (each inside a transaction rolled back
afterwards) and what is stored is compared row by row, ids and timestamps aside.
"""

from __future__ import annotations

import re
import signal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client

from incidents.models import Claim, ClaimEvent, Incident
from sources.importers.bulk import BulkUnsupported, bulk_import
from sources.importers.hasila import HasilaImporter
from sources.jobs import enqueue_import, run_job
from sources.models import ImportJob, Report
from tests.factories import make_claim, make_source
from tests.sources.test_jobs import (
    CONFIRM,
    PREVIEW,
    _job,
    _wait_for,
    assert_two_imports_at_once_end_as_one,
    claims_csv,
    stored,
    text_of,
    workers,
)

HEADER = (
    "incident_key,incident_title,incident_date_start,incident_date_end,incident_type,incident_description,"
    "places,claim_key,source,outcome,category,party,qualifier,low,high,words,stated_on,status,"
    "report_publisher,report_url,report_title,report_published_on,report_text"
)
ROWS = [
    # Two sources on one incident with a place; a report with text read by both.
    'b:1,Strike on Hajin,2018-11-05,,airstrike,"Coalition jets, night",Hajin,b-1,SOHR,killed,civilians,,,14,,'
    "14 مدنيا,,,العالم,https://example.org/a,غارات,2018-11-04,نص التقرير الأول",
    "b:1,,,,,,,b-2,سانا,killed,civilians,,,15,,15 مدنيا,,,Al-Alam,https://example.org/a,غارات,2018-11-04,"
    "نص التقرير الأول",
    # A range, an open figure, a party, a candidate.
    "b:1,,,,,,,b-3,SOHR,killed,combatants,ISIS,range,9,12,,,,,,,,",
    "b:1,,,,,,,b-4,SANA,injured,people,,at_least,20,,,,candidate,,,,,",
    # The same source's revisions of one row, by the date stated: the latest is current.
    # A date with a time after it, as spreadsheets write them: the date is kept.
    "b:2,Shelling of al-Dajaj,2018-11-06,2018-11-07,shelling,,Idlib,b-5,SOHR,killed,people,,,4,,,2018-11-08T09:30,,,,,,",
    "b:2,,,,,,,b-6,SOHR,killed,people,,,3,,,2018-11-07,,,,,,",
    "b:2,,,,,,,b-7,SOHR,killed,people,,about,6,,,2018-11-09,,,,,,",
    # A report without text (URL only) and one by title only.
    "b:3,Raid,2018-11-10,,,,,b-8,SANA,killed,men,,,2,,,,,SANA,https://example.org/u,,2018-11-10,",
    "b:3,,,,,,,b-9,SANA,killed,women,,up_to,,3,,,,SANA,,Bulletin,2018-11-11,",
    # An incident alone, and an unspecified figure.
    "b:4,Quiet day,2018-11-12,,,,Deir ez-Zor|Hajin,,,,,,,,,,,,,,,,",
    "b:5,Dozens,2018-11-13,,other,,,b-10,Al-Alam,killed,people,,unspecified,,,عشرات,,,,,,,",
]


def csv_file(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


class _Undo(Exception):
    pass


def snapshot() -> dict[str, Any]:
    """Everything an import stores, keyed naturally: no ids, no timestamps."""
    report_key = {r.pk: (r.content_hash, r.url, r.title) for r in Report.objects.all()}
    claim_key = {c.pk: (c.claimed_by_id, c.external_id) for c in Claim.objects.all()}
    incidents = sorted(
        (
            (
                i.external_id,
                i.title,
                i.date_start,
                i.date_end,
                i.date_precision,
                i.type,
                i.perpetrator,
                i.description,
                i.created_by_id,
                i.summary,
                i.has_conflict,
                i.source_count,
                i.search_key,
                tuple(sorted(p.pk for p in i.places.all())),
                tuple(i.place_tree),
            )
            for i in Incident.objects.prefetch_related("places")
        ),
        key=repr,
    )
    claims = sorted(
        (
            (
                c.claimed_by_id,
                c.external_id,
                c.incident.external_id,
                report_key.get(c.report_id or 0),
                c.outcome,
                c.category,
                c.party,
                c.low,
                c.high,
                c.qualifier,
                c.words,
                c.evidence,
                c.evidence_start,
                c.evidence_end,
                c.stated_on,
                c.status,
                claim_key.get(c.supersedes_id or 0),
                c.is_current,
                c.note,
                c.entered_by_id,
                c.cmp_low,
                c.cmp_high,
            )
            for c in Claim.objects.select_related("incident")
        ),
        key=repr,
    )
    reports = sorted(
        (
            (
                r.publisher_id,
                r.url,
                r.title,
                r.published_on,
                r.language,
                r.text,
                r.content_hash,
                r.search_key,
                r.entered_by_id,
                r.import_batch,
            )
            for r in Report.objects.all()
        ),
        key=repr,
    )
    with connection.cursor() as cursor:
        # The discrepancy queue's rows, which the database keeps per incident and matrix row.
        cursor.execute(
            "SELECT i.external_id, r.outcome, r.category, r.party, r.conflict, r.flagged, r.lowest, r.highest, "
            "r.spread, r.date_start FROM incidents_discrepancy_row r JOIN incidents_incident i ON i.id = r.incident_id"
        )
        queue = sorted(cursor.fetchall(), key=repr)
    return {"incidents": incidents, "claims": claims, "reports": reports, "queue": queue}


def both_ways(data: bytes, user) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """The row importer's and the bulk path's results and stored rows, each from the same starting state."""
    outcomes = []
    for way in ("row", "bulk"):
        try:
            with transaction.atomic():
                if way == "row":
                    result = HasilaImporter().run(data, filename="big.csv", user=user, dry_run=False)
                else:
                    result = bulk_import(data, filename="big.csv", user=user).result
                outcomes.append((result, snapshot()))
                raise _Undo
        except _Undo:
            pass
    (row_result, row_state), (bulk_result, bulk_state) = outcomes
    return row_result, bulk_result, row_state, bulk_state


def test_the_bulk_path_stores_what_the_row_importer_stores(hajin, analyst):
    row_result, bulk_result, row_state, bulk_state = both_ways(csv_file(ROWS), analyst)
    assert row_result.ok, row_result.errors
    assert bulk_result.ok, bulk_result.errors
    assert (bulk_result.rows, bulk_result.created, bulk_result.updated, bulk_result.unchanged) == (
        row_result.rows,
        row_result.created,
        row_result.updated,
        row_result.unchanged,
    )
    assert bulk_state["reports"] == row_state["reports"]
    assert bulk_state["incidents"] == row_state["incidents"]
    # Each incident's place tree holds its places and their upper places (Hajin's: Abu Kamal, Deir ez-Zor, Syria).
    for *_, places, tree in bulk_state["incidents"]:
        assert set(places) < set(tree) if places else tree == ()
    assert bulk_state["claims"] == row_state["claims"]
    assert bulk_state["queue"] == row_state["queue"] and any(row[4] for row in row_state["queue"])


# Cells as spreadsheets and people write them: spaces (and no-break or ideographic spaces) around values,
# formulas neutralised with a quote, choices in other cases, Arabic digits, a cell over two lines with a tab and
# a backslash in it, a short row, a blank line and a row of spaces (numbered but skipped), places with spaces.
SPACES = "\u00a0 \u3000"
MESSY_ROWS = [
    f"m:1,'=Strike on Hajin{SPACES},2018-11-05 ,, Airstrike ,  the night's raid  , Hajin |Deir ez-Zor| Hajin ,"
    f"m-1, SOHR{SPACES},Killed ,Civilians,,,١٤,,'+14 dead  ,,,,,,,",
    "",
    "  ,  , ,,,,,,,,,,,,,,,,,,,,",
    'm:1,,,,,,,m-2,سانا,killed,civilians,,at least,15,,"fifteen\tcivilians\nkilled \\ in all",,,'
    "العالم ,https://example.org/m , غارات ,2018-11-04, نص ",
    "m:1,,,,,,,m-3,SANA,injured,people,,up to,,٣٠,'@mention,,candidate,العالم,https://example.org/m, غارات ,"
    "2018-11-04,نص",
    "m:2,  Shelling  ,  2018-11-06,,Shelling,,Idlib,m-4,Al-Alam,killed,people",
]


def test_messy_cells_are_read_as_the_row_importer_reads_them(hajin, analyst):
    row_result, bulk_result, row_state, bulk_state = both_ways(csv_file(MESSY_ROWS), analyst)
    assert row_result.ok, row_result.errors
    assert bulk_result.ok, bulk_result.errors
    assert (bulk_result.rows, bulk_result.created, bulk_result.unchanged) == (
        row_result.rows,
        row_result.created,
        row_result.unchanged,
    )
    assert bulk_state == row_state
    words = {claim[1]: claim[10] for claim in bulk_state["claims"] if claim[1].startswith("m-")}
    assert words == {
        "m-1": "+14 dead  ",
        "m-2": "fifteen\tcivilians\nkilled \\ in all",
        "m-3": "@mention",
        "m-4": "",
    }
    # Two texts differing only in their spaces are two reports (the text is kept as given).
    assert sorted(report[5] for report in bulk_state["reports"] if report[1] == "https://example.org/m") == [
        " نص ",
        "نص",
    ]
    assert {incident[0]: incident[1] for incident in bulk_state["incidents"] if incident[0]} == {
        "m:1": "=Strike on Hajin",
        "m:2": "Shelling",
    }


def test_a_file_separated_by_semicolons_takes_the_bulk_path_too(hajin, analyst):
    rows = [
        "s:1;Strike;2018-11-05;;;;Hajin;s-1;SOHR;killed;civilians;;;14;;14, maybe more;;;;;;;",
        "s:1;;;;;;;s-2;SANA;killed;civilians;;;15;;;;;;;;;",
    ]
    data = ("\n".join([HEADER.replace(",", ";"), *rows]) + "\n").encode()
    row_result, bulk_result, row_state, bulk_state = both_ways(data, analyst)
    assert row_result.ok and bulk_result.ok and bulk_result.created == 2
    assert bulk_state == row_state


def test_a_bulk_import_adds_claims_to_a_stored_incident_as_the_services_do(hajin, analyst):
    data = csv_file(
        [
            "b:9,Strike,2018-11-05,,,,,b-1,SOHR,killed,civilians,,,3,,,,,,,,,",
            # hajin's incident has no external id: a new key on the same incident is not possible here, so
            # the stored incident is one of this file's, imported first.
        ]
    )
    HasilaImporter().run(data, filename="c.csv", user=analyst, dry_run=False)
    # One file for both: a claim on the stored incident and a new incident with claims of its own (their
    # summaries are computed from claims read in two ways).
    more = csv_file(
        [
            "b:9,,,,,,,b-2,SANA,killed,civilians,,,5,,,,,,,,,",
            "b:10,Raid,2018-11-06,,,,,b-3,SOHR,killed,people,,,2,,,,,,,,,",
            "b:10,,,,,,,b-4,SANA,killed,people,,at_least,2,,,,,,,,,",
        ]
    )
    row_result, bulk_result, row_state, bulk_state = both_ways(more, analyst)
    assert bulk_result.ok and row_result.ok
    assert (
        (bulk_result.created, bulk_result.unchanged) == (row_result.created, row_result.unchanged) == (3, 0)
    )
    assert bulk_state == row_state


def test_a_bulk_import_refreshes_the_queue_rows_of_a_stored_flagged_incident_whose_figures_agree(
    hajin, analyst, editor
):
    from incidents.models import Incident
    from incidents.services import flag_discrepancy

    HasilaImporter().run(
        csv_file(["b:9,Strike,2018-11-05,,,,,b-1,SOHR,killed,civilians,,,3,,,,,,,,,"]),
        filename="c.csv",
        user=analyst,
        dry_run=False,
    )
    incident = Incident.objects.get(external_id="b:9")
    flag_discrepancy(incident=incident, outcome="killed", category="civilians", user=editor)
    # Another source agrees (no conflict anywhere): the flagged row's sources and range still change.
    more = csv_file(["b:9,,,,,,,b-2,SANA,killed,civilians,,at_least,2,,,,,,,,,"])
    row_result, bulk_result, row_state, bulk_state = both_ways(more, analyst)
    assert bulk_result.ok and row_result.ok
    assert bulk_state["queue"] == row_state["queue"]
    [(_, _, _, _, conflict, flagged, lowest, highest, *_)] = [
        row for row in bulk_state["queue"] if row[0] == "b:9"
    ]
    assert (conflict, flagged, lowest, highest) == (False, True, 2, 3)


def test_new_incidents_of_a_bulk_import_enter_the_queue_only_where_their_figures_conflict(hajin, analyst):
    data = csv_file(
        [
            "b:1,Agree,2018-11-05,,,,,b-1,SOHR,killed,civilians,,,3,,,,,,,,,",
            "b:1,,,,,,,b-2,SANA,killed,civilians,,range,2,4,,,,,,,,",
            "b:2,Conflict,2018-11-06,,,,,b-3,SOHR,killed,civilians,,,3,,,,,,,,,",
            "b:2,,,,,,,b-4,SANA,killed,civilians,,,5,,,,,,,,,",
        ]
    )
    row_result, bulk_result, row_state, bulk_state = both_ways(data, analyst)
    assert bulk_result.ok and row_result.ok
    assert bulk_state["queue"] == row_state["queue"]
    mine = [
        (key, conflict, low, high) for key, _, _, _, conflict, _, low, high, *_ in bulk_state["queue"] if key
    ]
    assert mine == [("b:2", True, 3, 5)]


BAD_ROWS = [
    "",
    " , ,,,,,,,,,,,,,,,,,,,,,",
    "b:1,Strike,2018-11-05,,airstrike,,Hajin,b-1,Nobody,killed,civilians,,,14,,,,,,,,,",
    "b:1,Other title,2018-11-06,,,,,b-2,SOHR,slain,civilians,,,x,,,,,,,,,",
    "b:2,,2018-02-30,,bombing,,Atlantis,b-3,SOHR,killed,,,,-3,,,,,,,,,",
    "b:3,Range,2018-11-05,2018-11-01,,,,b-4,SOHR,killed,people,,,9,4,,,,,,,,",
    "b:3,,,,,,,b-5,SOHR,killed,people,,exact,4,5,,,,,,,,",
    "b:3,,,,,,,b-5,SOHR,killed,men,,range,4,4,,soon,maybe,,,,,",
    "b:3,,,,,,,,SOHR,killed,people,,up_to,4,,,,,,,,,",
    "b:4,Four,2018-11-05,,,,,b-6,SOHR,injured,people,,,1.5,,,,,,notaurl,,,",
    "b:4,,,,,,,b-7,SOHR,injured,people,,,99999999999,,,,,SOHR,https://example.org/r,T1,,",
    "b:5,Places,2018-11-05,,,,Hajin| Atlantis |Nowhere,b-10,SOHR,killed,people,,,1,,,,,,,,,",
    "b:4,,,,,,,b-8,SOHR,injured,men,,,١٬٢٠٠,,,,,SOHR,https://example.org/r,T2,,",
    ",,,,,,,b-9,SOHR,killed,people,,,1,,,,,,,,,",
]


def test_bad_rows_get_the_row_importers_problems_and_nothing_is_written(hajin, analyst):
    before = snapshot()
    row_result, bulk_result, _, bulk_state = both_ways(csv_file(BAD_ROWS), analyst)
    assert [str(e) for e in row_result.errors]  # the file is bad
    assert [str(e) for e in bulk_result.errors] == [str(e) for e in row_result.errors]
    assert (bulk_result.created, bulk_result.unchanged) == (row_result.created, row_result.unchanged)
    assert bulk_state == before


def test_reimporting_on_the_bulk_path_changes_nothing(hajin, analyst):
    data = csv_file(ROWS)
    first = bulk_import(data, filename="big.csv", user=analyst).result
    assert first.ok and first.created == len(ROWS)
    stored, events = snapshot(), ClaimEvent.objects.count()
    again = bulk_import(data, filename="big.csv", user=analyst).result
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, len(ROWS))
    assert snapshot() == stored and ClaimEvent.objects.count() == events
    # The row importer agrees that there is nothing to do.
    row = HasilaImporter().run(data, filename="big.csv", user=analyst, dry_run=True)
    assert (row.created, row.updated, row.unchanged) == (0, 0, len(ROWS))


def test_a_connection_that_used_temporary_tables_before_runs_bulk_imports_too(hajin, analyst, monkeypatch):
    # PostgreSQL refuses a new temp_buffers once a session has used temporary tables: the import then keeps
    # the session's size instead of failing. A size no session here has asks for that refusal every time.
    monkeypatch.setattr("sources.importers.bulk.TEMP_BUFFERS", "1111kB")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE earlier (n integer) ON COMMIT DROP")
        cursor.execute("INSERT INTO earlier VALUES (1)")
    first = bulk_import(csv_file(ROWS), filename="big.csv", user=analyst).result
    again = bulk_import(csv_file(ROWS), filename="big.csv", user=analyst).result
    assert (first.ok, first.created, again.ok, again.unchanged) == (True, len(ROWS), True, len(ROWS))


def test_a_change_to_a_stored_claim_is_left_to_the_row_importer(hajin, analyst):
    data = csv_file(ROWS)
    bulk_import(data, filename="big.csv", user=analyst)
    changed = csv_file([ROWS[0].replace(",14,,14 مدنيا", ",16,,16 مدنيا"), *ROWS[1:]])
    with pytest.raises(BulkUnsupported, match="changes to stored claims"):
        bulk_import(changed, filename="big.csv", user=analyst)
    assert Claim.objects.get(external_id="b-1").low == 14  # nothing written by the attempt


def test_writes_after_a_bulk_import_in_the_same_transaction_record_their_history(hajin, analyst):
    with transaction.atomic():
        bulk_import(csv_file(ROWS), filename="big.csv", user=analyst)
        claim = make_claim(hajin["incident"], hajin["sana"], 3, category="men")
    assert ClaimEvent.objects.filter(pgh_obj_id=claim.pk, pgh_label="insert").count() == 1
    # One insert event per bulk-written claim: the set-based ones, none from the skipped triggers.
    bulk_claims = Claim.objects.filter(external_id__startswith="b-").values("pk")
    assert ClaimEvent.objects.filter(pgh_obj_id__in=bulk_claims, pgh_label="insert").count() == 10
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('hasila.bulk', true)")
        assert cursor.fetchone()[0] in (None, "", "off")


def test_an_error_inside_bulk_writes_surfaces_and_its_savepoint_undoes_the_setting(hajin):
    from django.db import DataError

    from sources.bulk_writes import bulk_writes

    with transaction.atomic():
        with pytest.raises(DataError), transaction.atomic(), bulk_writes(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")  # the error itself, not the aborted transaction's
        claim = make_claim(hajin["incident"], hajin["sana"], 3, category="men")
    assert ClaimEvent.objects.filter(pgh_obj_id=claim.pk, pgh_label="insert").count() == 1


def test_a_job_above_the_threshold_takes_the_bulk_path_under_the_jobs_history_context(
    roles, settings, make_user, caplog
):
    make_source("SOHR", kind="monitor")
    settings.IMPORT_JOB_THRESHOLD = 5
    user = make_user("Analyst", username="ana")
    lines = [f"j:{n},Strike {n},2018-11-05,,,,,j-{n},SOHR,killed,people,,,{n},,,,,,,,," for n in range(1, 21)]
    job = enqueue_import(importer_key="hasila", filename="big.csv", data=csv_file(lines), user=user, rows=20)
    with caplog.at_level("INFO", logger="sources.jobs"):
        run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.errors
    assert job.summary == "20 rows: 20 created, 0 updated, 0 unchanged."
    assert (job.rows_read, job.rows_valid, job.rows_written) == (20, 20, 20)
    assert "row by row" not in caplog.text
    assert Claim.objects.filter(external_id__startswith="j-").count() == 20
    # pghistory recorded every insert, with the job's user and the job.
    events = ClaimEvent.objects.filter(pgh_label="insert", external_id__startswith="j-").select_related(
        "pgh_context"
    )
    assert events.count() == 20
    assert {(e.pgh_context.metadata["user"], e.pgh_context.metadata["import_job"]) for e in events} == {
        (user.pk, job.pk)
    }


def test_a_bulk_job_with_bad_rows_fails_and_lists_them_like_the_row_path(roles, settings, make_user):
    make_source("SOHR", kind="monitor")
    settings.IMPORT_JOB_THRESHOLD = 5
    user = make_user("Analyst", username="ana")
    lines = [f"j:{n},Strike {n},2018-11-05,,,,,j-{n},SOHR,killed,people,,,{n},,,,,,,,," for n in range(1, 21)]
    lines[6] = lines[6].replace(",SOHR,", ",Nobody,")
    data = csv_file(lines)
    job = enqueue_import(importer_key="hasila", filename="big.csv", data=data, user=user, rows=20)
    run_job(job.pk)
    job.refresh_from_db()
    expected = HasilaImporter().run(data, filename="big.csv", user=user, dry_run=True)
    assert job.status == "failed"
    assert job.errors == [str(e) for e in expected.errors]
    assert job.errors[0].startswith("row 7, column 'source': unknown source 'Nobody'")
    assert "19 rows" not in job.summary and "1 problem: nothing was written" in job.summary
    assert not Claim.objects.filter(external_id__startswith="j-").exists()


@pytest.fixture
def roles(transactional_db) -> None:
    import importlib

    from django.apps import apps

    importlib.import_module("incidents.migrations.0003_create_roles").create_roles(apps, None)


def test_the_job_record_keeps_no_file_once_a_bulk_import_is_done(roles, settings, make_user):
    make_source("SOHR", kind="monitor")
    settings.IMPORT_JOB_THRESHOLD = 1
    user = make_user("Analyst", username="ana")
    data = csv_file(
        ["k:1,One,2018-11-05,,,,,k-1,SOHR,killed,people,,,1,,,,,,,,,"] * 1
        + ["k:2,Two,2018-11-05,,,,,k-2,SOHR,killed,people,,,2,,,,,,,,,"]
    )
    job = enqueue_import(importer_key="hasila", filename="big.csv", data=data, user=user, rows=2)
    run_job(job.pk)
    assert bytes(ImportJob.objects.get(pk=job.pk).data) == b""


# Real worker processes (``start_worker`` runs ``manage.py procrastinate worker`` on the test database) -------

BULK = {"IMPORT_JOB_THRESHOLD": "10"}  # the workers take the bulk path above 10 rows


@pytest.fixture
def sohr(transactional_db):
    return make_source("SOHR", kind="monitor")


@pytest.fixture
def start_worker(tmp_path):
    with workers(tmp_path / "workers.log") as start:
        yield start


@pytest.mark.slow
def test_a_worker_killed_mid_bulk_import_leaves_nothing_and_the_retry_stores_every_row_once(
    roles, sohr, make_user, start_worker
):
    user = make_user("Analyst", username="ana")
    rows = 300
    job = enqueue_import(importer_key="hasila", filename="c.csv", data=claims_csv(rows), user=user, rows=rows)
    # The bulk path reports "written" once every row is inserted, then pauses before it commits.
    first = start_worker(HASILA_IMPORT_JOB_PAUSE="2", **BULK)
    _wait_for(lambda: _job(job.pk).rows_written > 0, 120, "the first worker to write the rows")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed = _job(job.pk)
    assert killed.status == "running" and killed.rows_written == rows
    # Inserted in the import's transaction, which died with the worker: nothing of it is visible.
    _wait_for(lambda: stored() == (0, 0, 0), 10, "the killed worker's transaction to be rolled back")
    assert not ClaimEvent.objects.filter(external_id__startswith="job-claim-").exists()
    start_worker(**BULK)
    _wait_for(lambda: _job(job.pk).finished, 180, "the second worker to retry the job")
    done = _job(job.pk)
    assert done.status == "done" and done.attempts == 2, done.errors
    assert done.summary == f"{rows} rows: {rows} created, 0 updated, 0 unchanged."
    assert stored() == (rows, rows, rows)
    assert ClaimEvent.objects.filter(external_id__startswith="job-claim-").count() == rows


@pytest.mark.slow
def test_two_bulk_imports_of_the_same_file_at_once_end_as_one(roles, sohr, make_user, start_worker):
    # The bulk path reports its progress a handful of times: each pause must outlast the second worker's
    # start-up on a loaded machine (0.5 s did not, once: the first import was done before the second began).
    assert_two_imports_at_once_end_as_one(make_user, start_worker, rows=200, pause="1.5", **BULK)


@pytest.mark.slow
def test_an_upload_above_the_threshold_runs_as_a_job_whose_page_shows_progress_then_the_summary(
    roles, sohr, settings, make_user, start_worker
):
    settings.IMPORT_JOB_THRESHOLD = 10
    client = Client()
    client.force_login(make_user("Analyst", username="ana"))
    rows = 120
    client.post(PREVIEW, {"format": "hasila", "file": SimpleUploadedFile("big.csv", claims_csv(rows))})
    token = next(reversed(client.session["imports.staged"]))
    location = client.post(CONFIRM, {"token": token})["Location"]
    assert location.startswith("/imports/jobs/")
    start_worker(HASILA_IMPORT_JOB_PAUSE="1", **BULK)

    def partial() -> str:
        return text_of(client.get(location, headers={"HX-Request": "true"}))

    # While it runs, the polled partial shows the rows read so far.
    _wait_for(
        lambda: f"Rows read {rows:,}" in partial() and "Running" in partial(), 60, "progress on the page"
    )
    _wait_for(lambda: "Done" in partial(), 120, "the job to finish")
    response = client.get(location, headers={"HX-Request": "true"})
    assert "hx-trigger" not in response.content.decode()  # polling stops
    assert f"{rows} rows: {rows} created, 0 updated, 0 unchanged." in text_of(response)
    assert stored() == (rows, rows, rows)


def test_the_incidents_of_a_bulk_import_are_found_by_the_start_of_their_words(hajin, analyst, analyst_client):
    """The search's word list (incidents_search_word) takes the words of incidents the bulk path inserts: "strik"
    starts "strikes" (the Hajin fixture) and, once imported, "strike"."""
    result = bulk_import(csv_file(ROWS), filename="big.csv", user=analyst).result
    assert result.ok, result.errors
    text = text_of(analyst_client.get("/", {"q": "strik"}))
    assert "Strike on Hajin" in text and "Coalition strikes on Hajin" in text


def test_the_summaries_and_history_events_of_a_bulk_import_read_no_stored_claims_they_do_not_need(
    hajin, analyst, monkeypatch
):
    """An import's cost must not grow with the claims already stored: the statements that read claims back (the
    incidents' summaries, the insert events) find the new ones by primary key and the stored incidents' by
    index. Explained as the list's statements are (``plan``: sequential and plain index scans discouraged, or a
    tiny table would be read whole because it is tiny), a statement with no other way to its rows still reads the
    table whole."""
    from sources.importers import bulk
    from tests.incidents.test_query_plans import plan

    # One stored incident receives a claim, so the summaries read a stored incident's claims too.
    HasilaImporter().run(
        csv_file(["b:9,Strike,2018-11-05,,,,,b-0,SOHR,killed,civilians,,,3,,,,,,,,,"]),
        filename="c.csv",
        user=analyst,
        dry_run=False,
    )
    plans: dict[str, str] = {}
    watched = ("CREATE TEMP TABLE hasila_bulk_summaries", "INSERT INTO incidents_claimevent")
    execute = bulk._Sql._execute

    def explained(self, sql: str, params: Any) -> None:
        key = next((start for start in watched if sql.lstrip().startswith(start)), None)
        if key:
            # On the import's own connection, where its temporary tables are.
            plans[key] = plan(sql, params)
        execute(self, sql, params)

    monkeypatch.setattr(bulk._Sql, "_execute", explained)
    rows = [*ROWS, "b:9,,,,,,,b-11,SANA,killed,civilians,,,5,,,,,,,,,"]
    result = bulk_import(csv_file(rows), filename="big.csv", user=analyst).result
    assert result.ok, result.errors
    assert set(plans) == set(watched)
    for statement, text in plans.items():
        assert not re.search(r"Seq Scan on incidents_claim\b", text), (statement, text)
        # The new claims: the primary key between the import's first and last new id.
        assert re.search(r"Index Cond: \(\(id >= .+\) AND \(id <= .+\)\)", text), (statement, text)
    # The stored incident's claims: by an index on the incident.
    assert re.search(r"Index Cond: \(incident_id = ", plans[watched[0]]), plans[watched[0]]
