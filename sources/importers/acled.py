"""ACLED events, from its CSV export: one event per row, and the figures its notes quote from others.

Columns read (any others are ignored):

- required: ``event_id_cnty``, ``event_date``, ``event_type``, ``sub_event_type``, ``actor1``, ``fatalities``;
- used when present: ``time_precision``, ``actor2``, ``country``, ``admin1``, ``admin2``, ``admin3``,
  ``location``, ``latitude``, ``longitude``, ``geo_precision``, ``source``, ``source_scale``, ``notes``.

Each event becomes (or updates) the incident with external id ``acled:<event_id_cnty>``:

- date ``event_date`` (YYYY-MM-DD, or "03 November 2018" as older exports write it); ``time_precision``
  1 -> day, 2 -> week, 3 -> month;
- places: ``admin1``, ``admin2``, ``admin3`` and ``location`` matched, broadest first, against the gazetteer
  (as for GED, see ``sources.importers.csvrows.Gazetteer``); the incident is placed at the most specific
  match, and names the gazetteer lacks are kept in the description;
- type from ``sub_event_type``: Air/drone strike -> airstrike; Shelling/artillery/missile attack -> shelling;
  Armed clash, Government regains territory, Non-state actor overtakes territory (any Battles) -> ground
  clash; Remote explosive/landmine/IED, Suicide bomb, Grenade -> explosive device; Attack (violence against
  civilians) -> execution / killing; anything else -> other;
- alleged perpetrator ``actor1``; the description is the notes, then the event's codes, actors, location
  and ACLED's sources.

Claims:

- ``acled:<id>:fatalities``, confirmed, claimed by the source "ACLED" (found by any spelling, created as a
  dataset source if missing): killed, people, **at least** ``fatalities``. ACLED codes the most conservative
  figure its sources report, so its number is a floor, not an estimate. A figure of 0 (no fatality
  reported) makes no claim; a claim recorded by an earlier import is revised to "at least 0";
- the ``notes`` are stored, exactly as written, as a report published by ACLED (language detected), which the
  claims point to, and go through the extraction engine with the database's source spellings: each figure
  it finds that a known source states ("According to SOHR, 12 civilians were killed") becomes a
  **candidate** claim of that source, ``acled:<id>:notes:<n>`` (n = the figure's position among the
  figures found), with its words, evidence sentence and offsets in the notes, for an analyst to review
  (candidates are never current). A figure with no source, or a source the database does not know, is not
  stored; the preview says which were left out. ``ImportResult.candidates`` counts the candidate claims
  the import creates (none when re-importing). A re-import updates candidates that are still candidates;
  one an analyst has confirmed is theirs, and is left as it is. Candidates that changed notes no longer
  give are left as they are too (an import never deletes).
"""

from __future__ import annotations

from typing import Any

from incidents.models import (
    Category,
    Claim,
    ClaimStatus,
    DatePrecision,
    Incident,
    IncidentType,
    Outcome,
    Qualifier,
)
from sources.extraction import CandidateClaim, detect_language, extract
from sources.importers.csvrows import (
    Cells,
    ClaimSpec,
    DatasetImporter,
    DatasetSource,
    Duplicates,
    EventSpec,
    Gazetteer,
    ReportSpec,
    fit,
    max_length,
)
from sources.models import SourceKind
from sources.selectors import alias_table

SOURCE = "ACLED"
DATASET = DatasetSource(
    name=SOURCE,
    fields={
        "name_en": "Armed Conflict Location & Event Data",
        "kind": SourceKind.DATASET,
        "affiliation": "Independent",
        "country": "United States",
        "website": "https://acleddata.com",
        "notes": "Codes the most conservative fatality figure its sources report.",
    },
)
REQUIRED = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1", "fatalities")
DATE_FORMATS = ("%d %B %Y", "%d-%B-%Y", "%d %b %Y")
TIME_PRECISIONS = {"1": DatePrecision.DAY, "2": DatePrecision.WEEK, "3": DatePrecision.MONTH}
GEO_PRECISION = {
    "1": "the town itself",
    "2": "near the town, or part of a region",
    "3": "a larger region",
}
SUB_EVENT_TYPES = {
    "air/drone strike": IncidentType.AIRSTRIKE,
    "shelling/artillery/missile attack": IncidentType.SHELLING,
    "armed clash": IncidentType.GROUND_CLASH,
    "government regains territory": IncidentType.GROUND_CLASH,
    "non-state actor overtakes territory": IncidentType.GROUND_CLASH,
    "remote explosive/landmine/ied": IncidentType.EXPLOSIVE_DEVICE,
    "suicide bomb": IncidentType.EXPLOSIVE_DEVICE,
    "grenade": IncidentType.EXPLOSIVE_DEVICE,
    "attack": IncidentType.EXECUTION,
}
EVENT_TYPES = {"battles": IncidentType.GROUND_CLASH}
TITLE_MAX = max_length(Incident, "title")
PERPETRATOR_MAX = max_length(Incident, "perpetrator")
EXTERNAL_ID_MAX = max_length(Claim, "external_id")
WORDS_MAX = max_length(Claim, "words")
PARTY_MAX = max_length(Claim, "party")


def incident_type(event_type: str, sub_event_type: str) -> str:
    """Hasila's incident type for ACLED's event and sub-event types."""
    return SUB_EVENT_TYPES.get(
        sub_event_type.casefold(), EVENT_TYPES.get(event_type.casefold(), IncidentType.OTHER)
    )


class AcledImporter(DatasetImporter):
    """ACLED events (CSV): one incident per event, ACLED's fatalities, and candidates from the notes."""

    key = "acled"
    label = "ACLED events (CSV)"
    dataset = DATASET
    required = REQUIRED
    what = "ACLED events"

    def context(self, table: Any) -> dict[str, list[str]]:
        # The alias table resolves the sources quoted in the notes; no notes, no query.
        return alias_table() if any(row.get("notes", "").strip() for _, row in table.rows) else {}

    def event(
        self, cells: Cells, gazetteer: Gazetteer, duplicates: Duplicates, context: Any
    ) -> EventSpec | None:
        return _event(cells, gazetteer, duplicates, context)


def _event(
    cells: Cells, gazetteer: Gazetteer, duplicates: Duplicates, aliases: dict[str, list[str]]
) -> EventSpec | None:
    """The row's event, or None when it has a problem (each one added to the errors)."""
    before = len(cells.errors)
    acled_id = cells.text("event_id_cnty", required=True)
    if len(f"acled:{acled_id}:notes:000") > EXTERNAL_ID_MAX:
        cells.error("event_id_cnty", f"is longer than ACLED's ids ({len(acled_id)} characters)")
    elif acled_id:
        duplicates.check(cells, "event_id_cnty", acled_id)
    date = cells.date("event_date", formats=DATE_FORMATS)
    precision = cells.choice("time_precision", TIME_PRECISIONS, DatePrecision.DAY)
    geo_precision = cells.choice("geo_precision", GEO_PRECISION, "")
    event_type = cells.text("event_type", required=True)
    sub_event_type = cells.text("sub_event_type")
    actor1 = cells.text("actor1", required=True)
    latitude, longitude = cells.coordinate("latitude", 90), cells.coordinate("longitude", 180)
    fatalities = cells.count("fatalities")
    if len(cells.errors) > before:
        return None
    assert date is not None
    assert fatalities is not None

    names = [cells.text(column) for column in ("admin1", "admin2", "admin3", "location")]
    match = gazetteer.match(names)
    where = (
        next((name for name in reversed(names) if name), "") or cells.text("country") or "an unknown place"
    )
    location = "; ".join(dict.fromkeys(n for n in (*reversed(names), cells.text("country")) if n))
    if geo_precision:
        location += f" ({geo_precision})"
    if latitude is not None and longitude is not None:
        location += f", at {latitude}, {longitude}"
    actors = "; ".join(
        cells.text(c) for c in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2") if cells.text(c)
    )
    sources, scale = cells.text("source"), cells.text("source_scale")
    said_by = f"ACLED's sources: {sources}" + (f" ({scale})" if scale else "") + "." if sources else ""
    notes = cells.raw("notes")
    lines = [
        notes.strip(),
        f"ACLED event {acled_id}: {event_type}" + (f" — {sub_event_type}" if sub_event_type else "") + ".",
        f"Actors: {actors}.",
        f"Location as given: {location}." if location else "",
        f"Not matched in the gazetteer: {'; '.join(match.unmatched)}." if match.unmatched else "",
        said_by,
    ]
    report = (
        ReportSpec(
            publisher=SOURCE,
            text=notes,
            title=f"ACLED event {acled_id}: notes",
            language=detect_language(notes),
        )
        if notes.strip()
        else None
    )
    claims = [
        ClaimSpec(
            key=f"acled:{acled_id}:fatalities",
            source=SOURCE,
            report=report,
            only_update=fatalities == 0,
            fields={
                "outcome": Outcome.KILLED,
                "category": Category.PEOPLE,
                "party": "",
                "low": fatalities,
                "high": None,
                "qualifier": Qualifier.AT_LEAST,
                "words": f"fatalities {fatalities}",
                "evidence": "",
                "evidence_start": None,
                "evidence_end": None,
                "note": "ACLED codes the most conservative figure its sources report: a floor, recorded as "
                "'at least'." + (f" {said_by}" if said_by else ""),
            },
        )
    ]
    skipped: list[str] = []
    if report is not None:
        for n, candidate in enumerate(extract(notes, aliases=aliases)):
            if candidate.source is None:
                skipped.append(_skipped(candidate))
                continue
            claims.append(_candidate(acled_id, n, candidate, report))
    title = fit(f"{sub_event_type or event_type} in {where}", TITLE_MAX)
    remarks = [f"Not matched in the gazetteer: {'; '.join(match.unmatched)}" if match.unmatched else ""]
    remarks += [f"Left out: {text}" for text in skipped]
    return EventSpec(
        row=cells.number,
        key=f"acled:{acled_id}",
        key_column="event_id_cnty",
        fields={
            "title": title,
            "date_start": date,
            "date_end": None,
            "date_precision": precision,
            "type": incident_type(event_type, sub_event_type),
            "perpetrator": fit(actor1, PERPETRATOR_MAX),
            "description": "\n".join(line for line in lines if line),
        },
        places=frozenset([match.place_id]) if match.place_id is not None else frozenset(),
        claims=claims,
        preview={
            "incident": f"acled:{acled_id}",
            "date": f"{date:%Y-%m-%d}",
            "title": title,
            "place": gazetteer.names.get(match.place_id, "") if match.place_id is not None else "",
            "killed": f"at least {fatalities}",
            "candidates": "; ".join(
                f"{c.source}: {c.fields['words']}" for c in claims if c.status == ClaimStatus.CANDIDATE
            ),
            "notes": "; ".join(remark for remark in remarks if remark),
        },
    )


def _skipped(candidate: CandidateClaim) -> str:
    who = (
        f"unknown source {candidate.source_as_written!r}"
        if candidate.source_as_written
        else "no source named"
    )
    return f"{candidate.words!r} ({who})"


def _candidate(acled_id: str, n: int, candidate: CandidateClaim, report: ReportSpec) -> ClaimSpec:
    assert candidate.source is not None
    return ClaimSpec(
        key=f"acled:{acled_id}:notes:{n}",
        source=candidate.source,
        report=report,
        status=ClaimStatus.CANDIDATE,
        fields={
            "outcome": candidate.outcome,
            "category": candidate.category,
            "party": fit(candidate.party or "", PARTY_MAX),
            "low": candidate.low,
            "high": candidate.high,
            "qualifier": candidate.qualifier,
            "words": fit(candidate.words, WORDS_MAX),
            "evidence": candidate.evidence,
            "evidence_start": candidate.sentence_start,
            "evidence_end": candidate.sentence_end,
            "note": f"Found in ACLED's notes on event {acled_id}, attributed there to "
            f"{candidate.source_as_written or candidate.source}; review before confirming.",
        },
    )
