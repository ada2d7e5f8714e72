"""Export of incidents and all their claims in Hasila's import format (CSV, JSON, XLSX).

One row per claim (every claim: candidates and superseded figures too, with their status and the key of
the claim they supersede), and one row for an incident without claims, so that a JSON export imported
into an empty database gives the same data back. Rows are produced a chunk of incidents at a time and
written as they come, so memory stays bounded however many incidents are exported.

Spreadsheets run a cell starting with = + - @ (or a tab or carriage return before one) as a formula;
CSV and XLSX cells starting so get a leading apostrophe (the import takes it off again). JSON is data
for programs and is left exactly as stored.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from incidents.models import Claim, Flag, FlagStatus, Incident, Place
from sources.importers.hasila import COLUMN_NAMES, claim_key, incident_key
from sources.importers.tabular import FORMULA_STARTS

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
CHUNK = 500

Row = dict[str, Any]


def neutralise(value: str) -> str:
    """The cell's text with an apostrophe in front if a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def claim_rows(incidents: QuerySet[Incident], *, chunk: int = CHUNK) -> Iterator[Row]:
    """The export's rows for these incidents (in the queryset's order), a few queries per ``chunk``."""
    ids = list(incidents.values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        loaded = Incident.objects.prefetch_related(
            Prefetch("places", queryset=Place.objects.order_by("level", "name_en", "pk"))
        ).in_bulk(part)
        flags = {
            (flag.incident_id, flag.outcome, flag.category, flag.party): flag
            for flag in Flag.objects.filter(incident_id__in=part)
        }
        claims: dict[int, list[Claim]] = defaultdict(list)
        for claim in (
            Claim.objects.filter(incident_id__in=part)
            .select_related("claimed_by", "report__publisher", "supersedes")
            .order_by("incident_id", "pk")
        ):
            claims[claim.incident_id].append(claim)
        for pk in part:
            incident = loaded[pk]
            base = _incident_cells(incident)
            if not claims[pk]:
                yield {**_NO_CLAIM, **base}
            for claim in claims[pk]:
                flag = flags.get((pk, claim.outcome, claim.category, claim.party))
                yield {**base, **_claim_cells(claim), **_flag_cells(flag)}


# The claim columns of the row of an incident without claims.
_NO_CLAIM: Row = {
    **dict.fromkeys(COLUMN_NAMES, ""),
    **dict.fromkeys(("low", "high", "evidence_start", "evidence_end", "is_current"), None),
    **dict.fromkeys(("retained_low", "retained_high"), None),
}


def _flag_cells(flag: Flag | None) -> Row:
    """The editors' flag on the claim's row; the retained figure only once resolved."""
    resolved = flag is not None and flag.status == FlagStatus.RESOLVED
    return {
        "flag_status": flag.status if flag else "",
        "retained_low": flag.resolution_low if resolved and flag else None,
        "retained_high": flag.resolution_high if resolved and flag else None,
        "retained_reason": flag.resolution_note if resolved and flag else "",
    }


def _incident_cells(incident: Incident) -> Row:
    return {
        "incident_key": incident_key(incident),
        "incident_title": incident.title,
        "incident_date_start": _date(incident.date_start),
        "incident_date_end": _date(incident.date_end),
        "incident_date_precision": incident.date_precision,
        "incident_type": incident.type,
        "incident_perpetrator": incident.perpetrator,
        "incident_description": incident.description,
        "places": "|".join(place.pcode or place.name_en for place in incident.places.all()),
    }


def _claim_cells(claim: Claim) -> Row:
    report = claim.report
    return {
        "claim_key": claim_key(claim),
        "source": claim.claimed_by.name,
        "outcome": claim.outcome,
        "category": claim.category,
        "party": claim.party,
        "qualifier": claim.qualifier,
        "low": claim.low,
        "high": claim.high,
        "words": claim.words,
        "evidence": claim.evidence,
        "evidence_start": claim.evidence_start,
        "evidence_end": claim.evidence_end,
        "stated_on": _date(claim.stated_on),
        "status": claim.status,
        "supersedes_key": claim_key(claim.supersedes) if claim.supersedes else "",
        "note": claim.note,
        "report_publisher": report.publisher.name if report else "",
        "report_url": report.url if report else "",
        "report_title": report.title if report else "",
        "report_published_on": _date(report.published_on) if report else "",
        "report_language": report.language if report else "",
        "report_text": report.text if report else "",
        "is_current": claim.is_current,
    }


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Line:
    """A file-like that hands back what csv.writer writes, so each row can be streamed."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterable[Row]) -> Iterator[str]:
    """CSV text, a row at a time; a UTF-8 byte-order mark first so that Excel reads Arabic correctly."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(COLUMN_NAMES)
    for row in rows:
        yield writer.writerow([neutralise(_text(row[name])) for name in COLUMN_NAMES])


def json_chunks(rows: Iterable[Row]) -> Iterator[str]:
    """A JSON list of objects (one per row, keys in column order), a row at a time."""
    yield "["
    separator = "\n"
    for row in rows:
        yield separator + json.dumps({name: row[name] for name in COLUMN_NAMES}, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def write_xlsx(rows: Iterable[Row], target: IO[bytes]) -> None:
    """An XLSX workbook of one sheet, written row by row (openpyxl's write-only mode) into ``target``."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("claims")
    sheet.append(list(COLUMN_NAMES))
    for row in rows:
        sheet.append([_xlsx_cell(row[name]) for name in COLUMN_NAMES])
    workbook.save(target)


def _xlsx_cell(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # Control characters have no place in XLSX; a replacement character shows where one was.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", _text(value))) or None
