"""The contract every importer follows: bytes in, a dry run or a commit, row errors named by row and column.

An import is all-or-nothing: the importer validates every row and writes nothing unless all rows are valid;
a dry run validates and writes nothing at all. Re-running the same file changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError

T = TypeVar("T")

# Called while an import runs with (rows read, rows valid, problems so far, rows written): while validating
# every ``PROGRESS_EVERY`` rows (or ``PROGRESS_SECONDS``, whichever comes first) and at the end, then the
# same while writing. A background job shows it.
Progress = Callable[[int, int, int, int], None]
PROGRESS_EVERY = 500
PROGRESS_SECONDS = 0.5


@dataclass(frozen=True)
class RowError:
    """A problem with one row (1-based, counting data rows after the header) or with the whole file."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class ImportResult:
    """What an import did or, for a dry run, would do."""

    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    candidates: int = 0  # candidate claims proposed from text (e.g. ACLED notes), for an analyst to review
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, str]] = field(default_factory=list)  # the first rows as they will be written

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRollback(Exception):
    """Raised inside an import's transaction to undo all of it, carrying the problem to report."""

    def __init__(self, error: RowError) -> None:
        self.error = error


def write_or_rollback(row: int | None, column: str | None, write: Callable[[], T]) -> T:
    """Run one service call of an import; a refusal becomes ``ImportRollback`` naming the row and column."""
    try:
        return write()
    except ValidationError as exc:
        raise ImportRollback(RowError(row, column, "; ".join(exc.messages))) from exc
    except PermissionDenied as exc:
        raise ImportRollback(RowError(row, column, str(exc))) from exc
    except (DatabaseError, ValueError) as exc:
        raise ImportRollback(RowError(row, column, f"could not be saved: {exc}")) from exc


class ProgressCounter:
    """Counts an import's rows for a ``Progress`` callback, calling it every ``PROGRESS_EVERY`` rows.

    ``errors`` is the import's growing list of problems: a row is valid if reading it added none.
    """

    def __init__(self, progress: Progress | None, errors: list[RowError]) -> None:
        self.progress = progress
        self.errors = errors
        self.read = 0
        self.faulty = 0
        self.written = 0
        self.reported_at = time.monotonic()

    def row_read(self, errors_before: int) -> None:
        self.read += 1
        self.faulty += len(self.errors) > errors_before
        if self.read % PROGRESS_EVERY == 0 or self._due():
            self.report()

    def row_written(self, rows: int = 1) -> None:
        before = self.written // PROGRESS_EVERY
        self.written += rows
        if self.written // PROGRESS_EVERY > before or self._due():
            self.report()

    def _due(self) -> bool:
        return self.progress is not None and time.monotonic() - self.reported_at >= PROGRESS_SECONDS

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self.read, self.read - self.faulty, len(self.errors), self.written)
            self.reported_at = time.monotonic()


class Importer(Protocol):
    """An import format. ``run`` never raises for bad input: problems come back as ``errors``."""

    key: str  # "hasila", "ged", "acled"
    label: str  # shown in the UI, e.g. "UCDP GED events (CSV)"
    extensions: tuple[str, ...]  # accepted file name endings, e.g. (".csv",)

    def run(
        self,
        data: bytes,
        *,
        filename: str,
        user: User | None,
        dry_run: bool,
        progress: Progress | None = None,
    ) -> ImportResult: ...
