"""Background imports: large files and GED/ACLED files run as a procrastinate job with live progress.

The jobs run for real: in this process where a test only needs the job's logic, and in worker processes
(``manage.py procrastinate worker`` against the test database) for what only a worker shows: a worker
killed mid-import, two workers importing the same file at once.
"""

from __future__ import annotations

import datetime
import html
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from procrastinate.contrib.django.models import ProcrastinateJob

from incidents.models import Claim, Incident
from incidents.services import create_incident
from sources.importers import IMPORTERS
from sources.importers.hasila import HasilaImporter
from sources.jobs import ImportConflict, enqueue_import, run_job
from sources.models import ImportJob, ImportJobStatus
from tests.factories import make_source
from tests.incidents import test_views

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
PREVIEW = reverse("imports:preview")
CONFIRM = reverse("imports:confirm")
HEADER = "incident_key,incident_title,incident_date_start,claim_key,source,outcome,category,low"


def claims_csv(rows: int, *, prefix: str = "job") -> bytes:
    """``rows`` claims by SOHR, each on an incident of its own."""
    lines = [HEADER]
    lines += [
        f"{prefix}:{i},Strike {i},2018-11-05,{prefix}-claim-{i},SOHR,killed,civilians,{i % 40}"
        for i in range(1, rows + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


def text_of(response) -> str:
    return html.unescape(test_views.text_of(response))


def stored(prefix: str = "job") -> tuple[int, int, int]:
    """Incidents and claims of the file, and distinct claim keys among them: each row exactly once."""
    claims = Claim.objects.filter(external_id__startswith=f"{prefix}-claim-")
    return (
        Incident.objects.filter(external_id__startswith=f"{prefix}:").count(),
        claims.count(),
        claims.values("external_id").distinct().count(),
    )


@pytest.fixture
def roles(transactional_db) -> None:
    """A transactional test may follow another that emptied the tables, groups included."""
    importlib.import_module("incidents.migrations.0003_create_roles").create_roles(apps, None)


@pytest.fixture
def sohr(transactional_db):
    return make_source("SOHR", kind="monitor")


@pytest.fixture(autouse=True)
def _staging_in_tmp(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = str(tmp_path / "staged")


# The web flow --------------------------------------------------------------------------------------------


def test_a_file_above_the_threshold_is_queued_and_the_job_page_shows_it(settings, analyst_client, analyst):
    make_source("SOHR", kind="monitor")
    settings.IMPORT_JOB_THRESHOLD = 3
    data = claims_csv(4)
    preview = analyst_client.post(PREVIEW, {"format": "hasila", "file": SimpleUploadedFile("big.csv", data)})
    assert "imported in the background" in text_of(preview)
    token = next(reversed(analyst_client.session["imports.staged"]))
    response = analyst_client.post(CONFIRM, {"token": token})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
    assert (job.status, job.rows_total, job.filename, job.user) == ("queued", 4, "big.csv", analyst)
    assert bytes(job.data) == data
    # Queued for a worker, in the same transaction; nothing imported yet.
    queued = ProcrastinateJob.objects.get(id=job.procrastinate_job_id)
    assert (queued.task_name, queued.args, queued.status) == (
        "sources.run_import_job",
        {"import_job_id": job.pk},
        "todo",
    )
    assert stored() == (0, 0, 0)
    page = analyst_client.get(response["Location"])
    assert "Import of big.csv" in text_of(page) and "Waiting for a worker." in text_of(page)
    # The staged upload is handed over: confirming again is refused.
    assert analyst_client.post(CONFIRM, {"token": token}).status_code == 400


def test_a_small_file_is_still_imported_at_once(analyst_client):
    make_source("SOHR", kind="monitor")
    analyst_client.post(PREVIEW, {"format": "hasila", "file": SimpleUploadedFile("small.csv", claims_csv(3))})
    token = next(reversed(analyst_client.session["imports.staged"]))
    response = analyst_client.post(CONFIRM, {"token": token})
    assert response["Location"] == reverse("imports:start")
    assert stored() == (3, 3, 3) and not ImportJob.objects.exists()


def test_every_ged_file_is_imported_in_the_background_whatever_its_size(analyst_client, hajin):
    data = (FIXTURES / "ged_events.csv").read_bytes()
    analyst_client.post(PREVIEW, {"format": "ged", "file": SimpleUploadedFile("ged.csv", data)})
    token = next(reversed(analyst_client.session["imports.staged"]))
    response = analyst_client.post(CONFIRM, {"token": token})
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.importer, job.rows_total, job.status) == ("ged", 3, "queued")


def make_job(user, **fields) -> ImportJob:
    defaults = {"importer": "hasila", "filename": "claims.csv", "data": b"x", "content_hash": "0" * 64}
    return ImportJob.objects.create(user=user, **{**defaults, **fields})


def test_the_progress_partial_keeps_polling_while_the_job_runs(analyst_client, analyst):
    job = make_job(
        analyst, status="running", rows_total=2000, rows_read=1500, rows_valid=1499, errors_so_far=1
    )
    response = analyst_client.get(job.get_absolute_url(), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # the partial alone
    assert 'hx-trigger="every 1s"' in body and f'hx-get="/imports/jobs/{job.pk}/"' in body
    assert '<progress id="import-rows-read" max="2000" value="1500">' in body
    text = text_of(response)
    assert "Rows read 1,500" in text and "Rows valid 1,499" in text and "Problems so far 1" in text


def test_the_progress_partial_stops_polling_once_the_job_is_done(analyst_client, analyst):
    job = make_job(analyst, status="done", rows_total=3, rows_read=3, summary="3 rows: 3 created.")
    response = analyst_client.get(job.get_absolute_url(), headers={"HX-Request": "true"})
    assert "hx-trigger" not in response.content.decode()
    assert "3 rows: 3 created." in text_of(response)


def test_without_javascript_a_running_job_page_refreshes_itself(analyst_client, analyst):
    job = make_job(analyst, status="running")
    body = analyst_client.get(job.get_absolute_url()).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in body
    assert f'<a href="/imports/jobs/{job.pk}/">Refresh</a>' in body


def test_a_failed_job_lists_its_problems(analyst_client, analyst):
    job = make_job(
        analyst,
        status="failed",
        errors=["row 2, column 'source': 'Nobody' is not a known source"],
        errors_so_far=80,
        summary="2 rows. 80 problems: nothing was written.",
    )
    text = text_of(analyst_client.get(job.get_absolute_url()))
    assert "row 2, column 'source': 'Nobody' is not a known source" in text
    assert "The first 1 of 80 problems are shown." in text


def test_only_the_owner_and_editors_see_a_job(make_user, analyst, editor_client):
    job = make_job(analyst)
    other = Client()
    other.force_login(make_user("Analyst", username="other"))
    assert other.get(job.get_absolute_url()).status_code == 404
    assert editor_client.get(job.get_absolute_url()).status_code == 200


def test_my_imports_lists_my_jobs_only_and_editors_see_everyones(
    make_user, analyst, analyst_client, editor_client, django_assert_max_num_queries
):
    other = make_user("Analyst", username="other")
    for n in range(3):
        make_job(analyst, filename=f"mine-{n}.csv")
        make_job(other, filename=f"theirs-{n}.csv")
    with django_assert_max_num_queries(8):
        mine = text_of(analyst_client.get(reverse("imports:jobs")))
    assert "mine-2.csv" in mine and "theirs-0.csv" not in mine
    with django_assert_max_num_queries(8):
        everyone = text_of(editor_client.get(reverse("imports:jobs")))
    assert "mine-0.csv" in everyone and "theirs-2.csv" in everyone and "other" in everyone


def test_the_job_page_makes_a_fixed_number_of_queries(analyst, analyst_client, django_assert_max_num_queries):
    job = make_job(analyst, errors=[f"row {n}: bad" for n in range(50)], status="failed")
    with django_assert_max_num_queries(6):
        assert analyst_client.get(job.get_absolute_url()).status_code == 200


# Progress reported by the importers -----------------------------------------------------------------------


def test_the_importer_reports_progress_while_validating(hajin, analyst):
    calls: list[tuple[int, int, int, int]] = []
    result = HasilaImporter().run(
        claims_csv(1200), filename="c.csv", user=analyst, dry_run=True, progress=lambda *a: calls.append(a)
    )
    assert result.ok
    assert {(500, 500, 0, 0), (1000, 1000, 0, 0)} <= set(calls)  # every 500 rows (or half a second)
    assert calls[-1] == (1200, 1200, 0, 0)  # the end of validation; a dry run writes nothing
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_the_importer_reports_progress_while_writing(hajin, analyst):
    calls: list[tuple[int, int, int, int]] = []
    result = HasilaImporter().run(
        claims_csv(30), filename="c.csv", user=analyst, dry_run=False, progress=lambda *a: calls.append(a)
    )
    assert result.ok
    assert (30, 30, 0, 0) in calls  # validated
    assert calls[-1] == (30, 30, 0, 30)  # written
    assert [c[3] for c in calls] == sorted(c[3] for c in calls)


def test_the_dataset_importers_report_progress_too(hajin, analyst):
    calls: list[tuple[int, int, int, int]] = []
    data = (FIXTURES / "ged_events.csv").read_bytes()
    result = IMPORTERS["ged"].run(
        data, filename="ged.csv", user=analyst, dry_run=False, progress=lambda *a: calls.append(a)
    )
    assert result.ok
    assert (3, 3, 0, 0) in calls and calls[-1] == (3, 3, 0, 3)


def test_progress_counts_rows_with_problems(hajin, analyst):
    calls: list[tuple[int, int, int, int]] = []
    data = claims_csv(600).replace(b"job-claim-7,SOHR,", b"job-claim-7,Nobody,")
    result = HasilaImporter().run(
        data, filename="c.csv", user=analyst, dry_run=True, progress=lambda *a: calls.append(a)
    )
    assert not result.ok
    assert calls[-1] == (600, 599, 1, 0)


# Jobs run in this process (the worker's code without the worker) ---------------------------------------


def test_a_job_imports_the_file_and_records_the_outcome(roles, sohr, make_user):
    user = make_user("Analyst", username="ana")
    job = enqueue_import(importer_key="hasila", filename="c.csv", data=claims_csv(40), user=user, rows=40)
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_read, job.rows_valid, job.rows_written, job.errors_so_far) == (
        "done",
        40,
        40,
        40,
        0,
    )
    assert job.summary == "40 rows: 40 created, 0 updated, 0 unchanged."
    assert bytes(job.data) == b""  # the file is not kept once imported
    assert job.started_at is not None and job.finished_at is not None and job.attempts == 1
    assert stored() == (40, 40, 40)
    run_job(job.pk)  # a retry of a finished job does nothing
    assert stored() == (40, 40, 40)


def test_a_job_with_bad_rows_fails_writes_nothing_and_keeps_the_problems(roles, sohr, make_user):
    user = make_user("Analyst", username="ana")
    data = claims_csv(60).replace(b",SOHR,", b",Nobody,")
    job = enqueue_import(importer_key="hasila", filename="c.csv", data=data, user=user, rows=60)
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.errors_so_far == 60 and len(job.errors) == 50
    assert "'Nobody'" in job.errors[0]
    assert "nothing was written" in job.summary
    assert stored() == (0, 0, 0)


def test_a_job_whose_user_was_disabled_is_not_run(roles, sohr, make_user):
    user = make_user("Analyst", username="ana")
    job = enqueue_import(importer_key="hasila", filename="c.csv", data=claims_csv(3), user=user)
    user.is_active = False
    user.save()
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "disabled" in job.errors[0]
    assert stored() == (0, 0, 0)


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.parametrize("threshold", [5000, 2], ids=["row by row", "bulk path"])
def test_a_job_that_collides_with_another_import_creating_the_same_incident_asks_to_be_retried(
    roles, sohr, make_user, settings, threshold
):
    """Another transaction creates incident job:2 while the job runs: the job's insert waits for it, then
    fails on the unique key. The file itself is fine, so the job asks to be run again (ImportConflict,
    which procrastinate retries), and the retry stores every row once."""
    settings.IMPORT_JOB_THRESHOLD = threshold
    user = make_user("Analyst", username="ana")
    job = enqueue_import(importer_key="hasila", filename="c.csv", data=claims_csv(5), user=user)
    created, release = threading.Event(), threading.Event()

    def other_import() -> None:
        try:
            with transaction.atomic():
                create_incident(
                    title="Strike 2",
                    date_start=datetime.date(2018, 11, 5),
                    created_by=user,
                    places=[],
                    external_id="job:2",
                )
                created.set()
                release.wait(30)
        finally:
            connections["default"].close()

    outcome: list[BaseException | None] = []

    def job_thread() -> None:
        try:
            run_job(job.pk)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
        finally:
            connections["default"].close()

    other = threading.Thread(target=other_import)
    other.start()
    assert created.wait(30)
    worker = threading.Thread(target=job_thread)
    worker.start()
    _wait_for(_someone_waits_on_a_lock, 30, "the job to wait for the other transaction")
    release.set()
    other.join(30)
    worker.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], ImportConflict)
    assert stored() == (1, 0, 0)  # only the other transaction's incident
    run_job(job.pk, attempt=2)
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2
    assert stored() == (5, 5, 5)


# Real worker processes --------------------------------------------------------------------------------------

WORKER_SCRIPT = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
from django.conf import settings
settings.DATABASES["default"].update(json.loads(os.environ["HASILA_TEST_DATABASE"]))
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "procrastinate", *sys.argv[1:]])
"""


@contextmanager
def workers(log_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``manage.py procrastinate worker`` on the test database; stopped (or killed) at the end, and
    their log printed (pytest shows it when the test fails)."""
    started: list[subprocess.Popen[bytes]] = []
    db = connection.settings_dict
    log = log_path.open("ab")

    def start(*args: str, **env: str) -> subprocess.Popen[bytes]:
        database = {key: db[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
        environment = {
            **os.environ,
            "HASILA_TEST_DATABASE": json.dumps(database),
            "PROCRASTINATE_HEARTBEAT_SECONDS": "0.5",
            "IMPORT_JOB_STALLED_SECONDS": "2",
            "IMPORT_JOB_STALLED_CHECK_SECONDS": "1",
            **env,
        }
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER_SCRIPT, "worker", "--queues", "imports", *args],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        log.close()
        print(log_path.read_text())


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    with workers(tmp_path / "workers.log") as start:
        yield start


def _job(pk: int) -> ImportJob:
    return ImportJob.objects.defer("data").get(pk=pk)


@pytest.mark.slow
def test_a_worker_runs_a_queued_import_and_the_page_shows_it_done(roles, hajin, start_worker, make_user):
    user = make_user("Analyst", username="ana")
    client = Client()
    client.force_login(user)
    data = (FIXTURES / "ged_events.csv").read_bytes()
    client.post(PREVIEW, {"format": "ged", "file": SimpleUploadedFile("ged.csv", data)})
    token = next(reversed(client.session["imports.staged"]))
    location = client.post(CONFIRM, {"token": token})["Location"]
    worker = start_worker("--one-shot")
    assert worker.wait(120) == 0
    partial = client.get(location, headers={"HX-Request": "true"})
    assert "hx-trigger" not in partial.content.decode()
    assert "3 rows: 3 created, 0 updated, 0 unchanged." in text_of(partial)
    assert Incident.objects.filter(external_id__startswith="ged:").count() == 3
    listing = text_of(client.get(reverse("imports:jobs")))
    assert "ged.csv" in listing and "Done" in listing


@pytest.mark.slow
def test_a_worker_killed_mid_import_leaves_nothing_and_the_retry_stores_every_row_once(
    roles, sohr, make_user, start_worker
):
    user = make_user("Analyst", username="ana")
    # Progress is reported every 500 rows (or half a second) and the worker then pauses a second: with
    # 1,200 rows the writing reports at least twice before its last step, so the kill lands mid-write.
    rows = 1200
    job = enqueue_import(importer_key="hasila", filename="c.csv", data=claims_csv(rows), user=user, rows=rows)
    first = start_worker(HASILA_IMPORT_JOB_PAUSE="1")
    _wait_for(lambda: _job(job.pk).rows_written > 0, 120, "the first worker to write rows")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed = _job(job.pk)
    assert killed.status == "running" and 0 < killed.rows_written < rows
    # Written in the import's transaction, which died with the worker.
    _wait_for(lambda: stored() == (0, 0, 0), 10, "the killed worker's transaction to be rolled back")
    start_worker()
    _wait_for(lambda: _job(job.pk).finished, 180, "the second worker to retry the job")
    done = _job(job.pk)
    assert done.status == "done" and done.attempts == 2, done.errors
    assert stored() == (rows, rows, rows)


def assert_two_imports_at_once_end_as_one(
    make_user, start_worker, *, rows: int, pause: str, **env: str
) -> None:
    """Two workers import the same file at the same time: the end state is that of one import."""
    user = make_user("Analyst", username="ana")
    data = claims_csv(rows)
    jobs = [
        enqueue_import(importer_key="hasila", filename=f"copy-{n}.csv", data=data, user=user, rows=rows)
        for n in (1, 2)
    ]
    workers = [start_worker("--one-shot", HASILA_IMPORT_JOB_PAUSE=pause, **env) for _ in jobs]
    for worker in workers:
        assert worker.wait(180) == 0
    first, second = sorted(
        (_job(job.pk) for job in jobs),
        key=lambda job: job.finished_at.timestamp() if job.finished_at else 0.0,
    )
    assert first.status == second.status == ImportJobStatus.DONE
    assert second.started_at and first.finished_at
    assert second.started_at < first.finished_at  # they did run at the same time
    assert first.summary == f"{rows} rows: {rows} created, 0 updated, 0 unchanged."
    assert second.summary == f"{rows} rows: 0 created, 0 updated, {rows} unchanged."
    assert stored() == (rows, rows, rows)


@pytest.mark.slow
def test_two_imports_of_the_same_file_at_once_end_as_one(roles, sohr, make_user, start_worker):
    assert_two_imports_at_once_end_as_one(make_user, start_worker, rows=100, pause="0.3")
