"""The contract every importer follows: bytes in, a dry run or a commit, row errors named by row and column.

An import is all-or-nothing: the importer validates every row and writes nothing unless all rows are valid;
a dry run validates and writes nothing at all. Re-running the same file changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.contrib.auth.models import User


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


class Importer(Protocol):
    """An import format. ``run`` never raises for bad input: problems come back as ``errors``."""

    key: str  # "hasila", "ged", "acled"
    label: str  # shown in the UI, e.g. "UCDP GED events (CSV)"
    extensions: tuple[str, ...]  # accepted file name endings, e.g. (".csv",)

    def run(self, data: bytes, *, filename: str, user: User | None, dry_run: bool) -> ImportResult: ...
