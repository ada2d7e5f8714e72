"""Background imports on procrastinate (PostgreSQL-backed): ``enqueue_import`` and the worker's tasks.

A job runs the importer itself (``sources.importers``), whose write is all-or-nothing in one transaction:

- A worker killed mid-import leaves nothing half-written (PostgreSQL rolls the transaction back when its
  connection drops). Procrastinate sees the dead worker's heartbeat stop; ``retry_stalled_imports`` (a
  periodic task every worker runs) puts its job back in the queue, and the retry runs the whole import
  again. Imports are idempotent, so every row ends up stored exactly once.
- Two jobs importing the same file wait for each other (an advisory lock on the file's hash, taken in the
  import's transaction): the second one then finds everything stored and changes nothing.
- Two different files creating the same new incident at once: the later transaction fails on the unique
  key. The job then checks the file again (a dry run); if that passes, the failure came from the other
  import and the job raises ``ImportConflict``, which procrastinate retries.

Large Hasila CSV files (more rows than ``IMPORT_JOB_THRESHOLD``) take the bulk path
(``sources.importers.bulk``): COPY into a staging table, every rule checked in SQL, INSERT ... SELECT. It
stores what the row importer stores; what it does not write (changes to stored claims, revisions it cannot
place...) it hands back, and the row importer then runs on the whole file in the same transaction.

Progress (rows read, valid, written, problems so far) is written to the ``ImportJob`` row on a second
connection of its own, in autocommit: the import's transaction stays open until the end, and the job
page must see progress before that. The import's transaction never locks the ``ImportJob`` row until its
final update, so the progress writes never wait for it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from typing import Any

import pghistory
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, InterfaceError, OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.jobs import Status

from sources.importers import IMPORTERS, Importer, ImportResult, summary
from sources.importers.bulk import BulkUnsupported, bulk_import
from sources.importers.hasila import HasilaImporter
from sources.models import ImportJob, ImportJobStatus

logger = logging.getLogger(__name__)

QUEUE = "imports"
ERRORS_KEPT = 50  # problems stored on a failed job and shown on its page
# Formats always imported in the background: their rows are geocoded and written event by event.
BACKGROUND_FORMATS = frozenset({"ged", "acled"})
# Distinguishes these advisory locks from any other user of pg_advisory_xact_lock(int, int).
_LOCK_NAMESPACE = 0x4A0B


class ImportConflict(Exception):
    """The import failed on a row another transaction wrote at the same time; running it again will pass."""


def runs_in_background(importer_key: str, rows: int) -> bool:
    """Whether an import of ``rows`` rows in this format runs as a background job rather than inline."""
    return importer_key in BACKGROUND_FORMATS or rows > settings.IMPORT_JOB_THRESHOLD


def enqueue_import(
    *, importer_key: str, filename: str, data: bytes, user: User, create_sources: bool = False, rows: int = 0
) -> ImportJob:
    """Record an import job and queue it for a worker, in one transaction (no job without its queue entry)."""
    if importer_key not in IMPORTERS:
        raise ValueError(f"unknown import format {importer_key!r}")
    with transaction.atomic():
        job = ImportJob.objects.create(
            importer=importer_key,
            filename=filename,
            data=data,
            content_hash=hashlib.sha256(data).hexdigest(),
            create_sources=create_sources,
            user=user,
            rows_total=rows,
        )
        job.procrastinate_job_id = run_import_job.defer(import_job_id=job.pk)
        job.save(update_fields=["procrastinate_job_id"])
    return job


class _ProgressWriter:
    """Writes an import's progress to its ``ImportJob`` row on a connection of its own (autocommit)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.table = ImportJob._meta.db_table
        self.connection: BaseDatabaseWrapper = connections.create_connection("default")
        # For tests and demonstrations of a worker killed mid-import: a pause after each progress step.
        self.pause = float(os.environ.get("HASILA_IMPORT_JOB_PAUSE", "0") or 0)

    def _update(self, assignments: str, params: list[Any]) -> None:
        # The table name comes from the model, the values are parameters.
        with self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {self.table} SET {assignments} WHERE id = %s", [*params, self.job_id])  # noqa: S608

    def started(self, attempt: int) -> None:
        self._update(
            "status = %s, started_at = %s, attempts = %s, rows_read = 0, rows_valid = 0, rows_written = 0, "
            "errors_so_far = 0, errors = '[]'::jsonb",
            [ImportJobStatus.RUNNING, timezone.now(), attempt],
        )

    def __call__(self, rows_read: int, rows_valid: int, errors: int, rows_written: int) -> None:
        self._update(
            "rows_read = %s, rows_valid = %s, errors_so_far = %s, rows_written = %s",
            [rows_read, rows_valid, errors, rows_written],
        )
        if self.pause:
            time.sleep(self.pause)

    def close(self) -> None:
        self.connection.close()


def _importer(job: ImportJob) -> Importer:
    importer = IMPORTERS[job.importer]
    if job.create_sources and isinstance(importer, HasilaImporter):
        return HasilaImporter(create_missing_sources=True)
    return importer


def takes_bulk_path(job: ImportJob) -> bool:
    """Whether a job's file goes through the bulk path: a Hasila CSV above the threshold, no sources to create."""
    if job.importer != HasilaImporter.key or job.create_sources or not job.filename.lower().endswith(".csv"):
        return False
    rows = job.rows_total or bytes(job.data).count(b"\n")
    return rows > int(settings.IMPORT_JOB_THRESHOLD)


def _import(
    job: ImportJob, importer: Importer, data: bytes, user: User, progress: _ProgressWriter
) -> tuple[ImportResult, bool]:
    """The import itself, in the caller's transaction: the bulk path when it applies, else the importer.
    Also says whether the bulk path did it."""
    if takes_bulk_path(job):
        try:
            outcome = bulk_import(data, filename=job.filename, user=user, progress=progress)
            slowest = sorted(outcome.timings, key=lambda timing: -timing[1])[:8]
            logger.info(
                "import job %s: bulk path, %s",
                job.pk,
                "; ".join(f"{seconds:.1f} s {statement}" for statement, seconds in slowest),
            )
            return outcome.result, True
        except BulkUnsupported as exc:
            logger.info("import job %s: row by row (%s)", job.pk, exc)
        except IntegrityError as exc:
            # A unique key taken meanwhile by another import's transaction: the retry will find it stored.
            raise ImportConflict(f"import job {job.pk}: {exc}") from exc
    return importer.run(data, filename=job.filename, user=user, dry_run=False, progress=progress), False


def _finish(job_id: int, status: str, **fields: Any) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=status, finished_at=timezone.now(), **fields)


def _fail(job_id: int, messages: list[str], result: ImportResult | None = None) -> None:
    _finish(
        job_id,
        ImportJobStatus.FAILED,
        errors=messages[:ERRORS_KEPT],
        errors_so_far=len(messages),
        summary=summary(result) if result is not None else messages[0],
    )


def run_job(import_job_id: int, *, attempt: int = 1) -> None:
    """Run one import job to its end: done (all rows written) or failed (nothing written, problems kept).

    Raises ``ImportConflict`` (or a database connection error) when running it again should succeed.
    """
    job = ImportJob.objects.select_related("user").filter(pk=import_job_id).first()
    if job is None or job.finished:
        return  # deleted, or a retry of a job whose import had already committed
    user = job.user
    if user is None or not user.is_active:
        _fail(job.pk, ["The account that started this import no longer exists or is disabled."])
        return
    importer = _importer(job)
    data = bytes(job.data)
    progress = _ProgressWriter(job.pk)
    try:
        progress.started(attempt)
        with transaction.atomic(), pghistory.context(user=user.pk, import_job=job.pk):
            with connections["default"].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)",
                    [_LOCK_NAMESPACE, int(job.content_hash[:7], 16)],
                )
            result, bulk = _import(job, importer, data, user, progress)
            if result.ok:
                # In the import's transaction: the rows and "done" are committed together or not at all.
                _finish(
                    job.pk,
                    ImportJobStatus.DONE,
                    summary=summary(result),
                    rows_total=result.rows,
                    rows_read=result.rows,
                    rows_valid=result.rows,
                    rows_written=result.rows,
                    errors_so_far=0,
                    data=b"",
                )
                return
        # The bulk path's problems all come from checking the file: it has no write that can fail on a row.
        if not bulk and importer.run(data, filename=job.filename, user=user, dry_run=True).ok:
            raise ImportConflict(f"import job {job.pk}: {result.errors[0]}")
        _fail(job.pk, [str(error) for error in result.errors], result)
    finally:
        progress.close()


MAX_ATTEMPTS = 5
RETRY = RetryStrategy(
    max_attempts=MAX_ATTEMPTS,
    wait=2,
    retry_exceptions={ImportConflict, OperationalError, InterfaceError},
)
STOPPED = "The import stopped on an unexpected error ({error}); nothing was written. Import the file again."


@app.task(name="sources.run_import_job", queue=QUEUE, retry=RETRY, pass_context=True)
def run_import_job(context: JobContext, import_job_id: int) -> None:
    """Run an import job (in a worker thread; Django's connections are per thread, closed at the end)."""
    attempt = context.job.attempts + 1
    try:
        run_job(import_job_id, attempt=attempt)
    except Exception as exc:
        if not isinstance(exc, (ImportConflict, OperationalError, InterfaceError)) or attempt >= MAX_ATTEMPTS:
            # Procrastinate will not run it again: the job page must say it ended.
            connections.close_all()
            _fail(import_job_id, [STOPPED.format(error=type(exc).__name__)])
        raise
    finally:
        connections.close_all()


def _give_up(procrastinate_job_id: int) -> None:
    job_id = ImportJob.objects.filter(procrastinate_job_id=procrastinate_job_id).values_list("pk", flat=True)
    for pk in job_id:
        _fail(pk, [STOPPED.format(error=f"the worker stopped {MAX_ATTEMPTS} times")])
    connections.close_all()


@app.periodic(cron=f"* * * * * */{settings.IMPORT_JOB_STALLED_CHECK_SECONDS}")
@app.task(
    name="sources.retry_stalled_imports",
    queue=QUEUE,
    queueing_lock="retry_stalled_imports",
    pass_context=True,
)
async def retry_stalled_imports(context: JobContext, timestamp: int) -> None:
    """Queue again the import jobs of workers that stopped sending heartbeats (killed, or their host died);
    after ``MAX_ATTEMPTS`` runs a job is failed instead (a file that kills its worker every time)."""
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(
        task_name=run_import_job.name, seconds_since_heartbeat=settings.IMPORT_JOB_STALLED_SECONDS
    )
    for job in stalled:
        assert job.id is not None
        if job.attempts + 1 < MAX_ATTEMPTS:
            await manager.retry_job(job)
        else:
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            await sync_to_async(_give_up)(job.id)
