"""What the importer tests share: the rows stored (with their history), the problems reported, a CSV built
from a format's default row."""

from __future__ import annotations

import csv
import io

from incidents.models import Claim, ClaimEvent, Incident, IncidentEvent
from sources.models import Report, ReportEvent, Source, SourceEvent


def counts() -> tuple[int, ...]:
    """How many incidents, claims, reports and sources are stored, and history events of each: an import that
    must change nothing leaves these equal."""
    models = (Incident, Claim, Report, Source, IncidentEvent, ClaimEvent, ReportEvent, SourceEvent)
    return tuple(model.objects.count() for model in models)


def messages(result) -> list[str]:
    return [str(error) for error in result.errors]


def csv_of(header: list[str], defaults: dict[str, str], rows: tuple[dict[str, str], ...]) -> bytes:
    """A CSV of ``rows``, each the format's ``defaults`` with its own values over them."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**defaults, **row})
    return out.getvalue().encode()
