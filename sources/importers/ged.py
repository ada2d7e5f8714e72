"""UCDP Georeferenced Event Dataset (GED) events, from its CSV export: one event per row.

Columns read (any others, and GED has about fifty, are ignored):

- required: ``id``, ``date_start``, ``date_end``, ``side_a``, ``side_b``, ``deaths_a``, ``deaths_b``,
  ``deaths_civilians``, ``deaths_unknown``, ``low``, ``best``, ``high``;
- used when present: ``date_prec``, ``type_of_violence``, ``conflict_name``, ``where_prec``,
  ``where_coordinates``, ``where_description``, ``adm_1``, ``adm_2``, ``country``, ``latitude``,
  ``longitude``, ``source_article``, ``source_original``.

Each event becomes (or updates) the incident with external id ``ged:<id>``:

- dates ``date_start`` / ``date_end`` (a time of day is ignored; the end is left empty for one day);
  ``date_prec`` 1 -> day, 2 (within 2-6 days) and 3 -> week, 4 -> month, 5 -> year;
- places: ``adm_1``, ``adm_2`` and ``where_coordinates`` are matched, broadest first, against the
  gazetteer's English and Arabic names and aliases (normalised; a trailing "governorate", "district", "town",
  "village" ... is dropped), each name within the place matched before it; the incident is placed at the
  most specific match. A name the gazetteer lacks is not an error: the names as given, the coordinates and
  the names that matched nothing are kept in the description;
- type "other": GED records who fought whom (``type_of_violence`` 1 state-based, 2 non-state, 3 one-sided,
  kept in the description), not the weapon. It is set when the incident is created only, so an analyst's
  correction survives a re-import; every other field follows the file;
- alleged perpetrator ``side_a``.

Claims, all confirmed, claimed by the source "UCDP GED" (found by any spelling, created as a dataset
source if missing), external ids ``ged:<id>:<part>``:

- ``total``: killed, people: ``low``-``high`` as a range, or exact when ``low`` = ``high``; the note gives
  the best estimate and how GED splits it;
- ``civilians``: killed, civilians, exactly ``deaths_civilians``;
- ``side_a`` / ``side_b``: killed, with that side as the party, exactly ``deaths_a`` / ``deaths_b``;
  security forces when the side is a government ("Government of ..."), else combatants. A one-sided event's
  side B is "Civilians", whose deaths GED counts in ``deaths_civilians``: it gets no claim of its own;
- ``deaths_unknown`` (deaths whose status GED could not tell) has no row of its own: it is part of the total
  and stated in the notes.

The ``deaths_*`` columns split the best estimate (GED: they add up to ``best``, which is checked). A part of
0 makes no claim: GED's 0 means none was identified, and a "0 civilians" row would seem to contradict every
other source's civilian count. A part that an earlier import recorded and that is now 0 is revised to 0.

Attribution: GED compiles others' reports. ``source_original`` (who GED read, e.g. "SOHR; Airwars") is
given in every claim's note, and ``source_article`` (GED's citations), exactly as written, is stored as a
report published by UCDP GED that the claims point to (events citing identical text share it).

Checked: figures are whole numbers, 0 or more; ``low`` <= ``best`` <= ``high``; the ``deaths_*`` add up to
``best``; dates are dates and the end is not before the start; codes are known; each event appears once.
"""

from __future__ import annotations

from typing import Any

from incidents.models import Category, DatePrecision, Incident, IncidentType, Outcome, Qualifier
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
from sources.models import Language, SourceKind

SOURCE = "UCDP GED"
DATASET = DatasetSource(
    name=SOURCE,
    fields={
        "name_en": "UCDP Georeferenced Event Dataset",
        "kind": SourceKind.DATASET,
        "affiliation": "Academic (Uppsala University)",
        "country": "Sweden",
        "website": "https://ucdp.uu.se",
        "notes": "Each event has low, best and high estimates of deaths.",
    },
)
REQUIRED = (
    "id",
    "date_start",
    "date_end",
    "side_a",
    "side_b",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "low",
    "best",
    "high",
)
DEATHS = ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown")
DATE_PRECISIONS = {
    "1": DatePrecision.DAY,
    "2": DatePrecision.WEEK,
    "3": DatePrecision.WEEK,
    "4": DatePrecision.MONTH,
    "5": DatePrecision.YEAR,
}
VIOLENCE = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}
WHERE_PRECISION = {
    "1": "exact location",
    "2": "within 25 km of a known point",
    "3": "second-order administrative division",
    "4": "first-order administrative division",
    "5": "a line, or several first-order divisions",
    "6": "country only",
    "7": "international waters or airspace",
}
TITLE_MAX = max_length(Incident, "title")
PERPETRATOR_MAX = max_length(Incident, "perpetrator")
PARTY_MAX = 100  # incidents.Claim.party


def side_category(side: str) -> Category:
    """GED names states "Government of ...": their deaths are security forces', anyone else's combatants'."""
    return Category.SECURITY_FORCES if side.casefold().startswith("government of") else Category.COMBATANTS


class GedImporter(DatasetImporter):
    """UCDP GED events (CSV): one incident per event, claimed by UCDP GED; dry run, then all-or-nothing."""

    key = "ged"
    label = "UCDP GED events (CSV)"
    dataset = DATASET
    required = REQUIRED
    what = "UCDP GED events"

    def event(
        self, cells: Cells, gazetteer: Gazetteer, duplicates: Duplicates, context: Any
    ) -> EventSpec | None:
        return _event(cells, gazetteer, duplicates)


def _event(cells: Cells, gazetteer: Gazetteer, duplicates: Duplicates) -> EventSpec | None:
    """The row's event, or None when it has a problem (each one added to the errors)."""
    before = len(cells.errors)
    ged_id = cells.text("id", required=True)
    if ged_id and not ged_id.isdigit():
        cells.error("id", f"{ged_id!r} is not a GED event id (a whole number)")
    elif ged_id:
        duplicates.check(cells, "id", ged_id)
    date_start = cells.date("date_start")
    date_end = cells.date("date_end", required=False)
    if date_start and date_end and date_end < date_start:
        cells.error("date_end", f"{date_end:%Y-%m-%d} is before date_start {date_start:%Y-%m-%d}")
    precision = cells.choice("date_prec", DATE_PRECISIONS, DatePrecision.DAY)
    violence = cells.choice("type_of_violence", VIOLENCE, "")
    where_prec = cells.choice("where_prec", WHERE_PRECISION, "")
    side_a, side_b = cells.text("side_a", required=True), cells.text("side_b", required=True)
    latitude, longitude = cells.coordinate("latitude", 90), cells.coordinate("longitude", 180)
    figures = {column: cells.count(column) for column in ("low", "best", "high", *DEATHS)}
    low, best, high = figures["low"], figures["best"], figures["high"]
    if low is not None and best is not None and low > best:
        cells.error("low", f"low {low} is above best {best}; GED has low <= best <= high")
    if best is not None and high is not None and best > high:
        cells.error("high", f"high {high} is below best {best}; GED has low <= best <= high")
    deaths = [figures[column] for column in DEATHS]
    if best is not None and all(d is not None for d in deaths):
        total = sum(d for d in deaths if d is not None)
        if total != best:
            cells.error(
                "best", f"deaths_a + deaths_b + deaths_civilians + deaths_unknown = {total}, not {best}"
            )
    if len(cells.errors) > before:
        return None
    assert date_start is not None
    assert low is not None
    assert best is not None
    assert high is not None
    a, b, civilians, unknown = (figures[column] or 0 for column in DEATHS)

    names = [cells.text("adm_1"), cells.text("adm_2"), cells.text("where_coordinates")]
    match = gazetteer.match(names)
    where = names[2] or names[1] or names[0] or cells.text("country") or "an unknown place"
    original = cells.text("source_original")
    attribution = f" UCDP GED's sources: {original}." if original else ""
    split = f"side A {a}, side B {b}, civilians {civilians}, unknown {unknown}"

    location = "; ".join(dict.fromkeys(n for n in (*reversed(names), cells.text("country")) if n))
    if where_prec:
        location += f" ({where_prec})"
    if latitude is not None and longitude is not None:
        location += f", at {latitude}, {longitude}"
    conflict = cells.text("conflict_name")
    lines = [
        f"UCDP GED event {ged_id}"
        + (f": {violence}" if violence else "")
        + (f" ({conflict})" if conflict else "")
        + ".",
        f"Side A: {side_a}. Side B: {side_b}.",
        f"Location as given: {location}." if location else "",
        f"Location note: {cells.text('where_description')}." if cells.text("where_description") else "",
        f"Not matched in the gazetteer: {'; '.join(match.unmatched)}." if match.unmatched else "",
        f"Deaths, best estimate {best}: {split}.",
        f"UCDP GED's sources: {original}." if original else "",
    ]
    one_sided = side_b.casefold() == "civilians"
    title = f"{side_a} against civilians in {where}" if one_sided else f"{side_a} vs {side_b} in {where}"
    article = cells.raw("source_article")
    report = (
        ReportSpec(
            publisher=SOURCE,
            text=article,
            title=f"Sources cited by UCDP GED for event {ged_id}",
            language=Language.ENGLISH,
        )
        if article.strip()
        else None
    )

    def claim(part: str, category: str, figure: int, *, party: str = "", words: str, note: str) -> ClaimSpec:
        return ClaimSpec(
            key=f"ged:{ged_id}:{part}",
            source=SOURCE,
            report=report,
            only_update=figure == 0 and part != "total",
            fields={
                "outcome": Outcome.KILLED,
                "category": category,
                "party": party,
                "low": figure,
                "high": figure,
                "qualifier": Qualifier.EXACT,
                "words": words,
                "evidence": "",
                "evidence_start": None,
                "evidence_end": None,
                "note": note,
            },
        )

    total_claim = claim(
        "total",
        Category.PEOPLE,
        low,
        words=f"low {low}, best {best}, high {high}",
        note=f"Best estimate {best} ({split}; deaths of unknown status have no row of their own).{attribution}",
    )
    if low < high:
        total_claim.fields.update(high=high, qualifier=Qualifier.RANGE)
    part_note = f"Part of UCDP GED's best estimate of {best} deaths.{attribution}"
    claims = [
        total_claim,
        claim(
            "civilians", Category.CIVILIANS, civilians, words=f"deaths_civilians {civilians}", note=part_note
        ),
        claim(
            "side_a",
            side_category(side_a),
            a,
            party=fit(side_a, PARTY_MAX),
            words=f"deaths_a {a}",
            note=part_note,
        ),
    ]
    if not one_sided:
        claims.append(
            claim(
                "side_b",
                side_category(side_b),
                b,
                party=fit(side_b, PARTY_MAX),
                words=f"deaths_b {b}",
                note=part_note,
            )
        )
    killed = f"{low}–{high}" if low < high else str(low)
    return EventSpec(
        row=cells.number,
        key=f"ged:{ged_id}",
        key_column="id",
        fields={
            "title": fit(title, TITLE_MAX),
            "date_start": date_start,
            "date_end": date_end if date_end and date_end != date_start else None,
            "date_precision": precision,
            "type": IncidentType.OTHER,
            "perpetrator": fit(side_a, PERPETRATOR_MAX),
            "description": "\n".join(line for line in lines if line),
        },
        create_only=frozenset({"type"}),
        places=frozenset([match.place_id]) if match.place_id is not None else frozenset(),
        claims=claims,
        preview={
            "incident": f"ged:{ged_id}",
            "date": f"{date_start:%Y-%m-%d}",
            "title": fit(title, TITLE_MAX),
            "place": gazetteer.names.get(match.place_id, "") if match.place_id is not None else "",
            "killed": f"{killed} (best {best}; civilians {civilians})",
            "notes": f"Not matched in the gazetteer: {'; '.join(match.unmatched)}" if match.unmatched else "",
        },
    )
