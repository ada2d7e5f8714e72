"""Reads for the incident pages: querysets with their relations loaded, and the comparison matrix."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from incidents.comparison import Figure, RowComparison, RowFigure, compare, consistency_problems
from incidents.filters import SORTS
from incidents.models import Category, Claim, ClaimStatus, Flag, FlagComment, Incident, Outcome, Place
from sources.models import Report, Source


class InvalidCursor(ValueError):
    """A pagination cursor that does not decode for the requested sort."""


def incident_list_queryset() -> QuerySet[Incident]:
    """Incidents with their places, ready for the list (the summary columns carry the figures)."""
    return Incident.objects.prefetch_related(
        Prefetch("places", queryset=Place.objects.order_by("level", "name_en"))
    )


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _cursor_values(obj: Incident, sort: str) -> list[str]:
    return [str(getattr(obj, name.lstrip("-"))) for name in SORTS[sort]]


def _decode_cursor(cursor: str, sort: str) -> list[Any]:
    names = [name.lstrip("-") for name in SORTS[sort]]
    parts = cursor.split("_")
    if len(parts) != len(names):
        raise InvalidCursor(cursor)
    values: list[Any] = []
    try:
        for name, part in zip(names, parts, strict=True):
            values.append(datetime.date.fromisoformat(part) if name == "date_start" else int(part))
    except ValueError as exc:
        raise InvalidCursor(cursor) from exc
    return values


def keyset_page(queryset: QuerySet[Incident], *, sort: str, after: str | None, size: int) -> Page:
    """One page after ``after`` in ``sort`` order, found by a row comparison that the sort's index serves:
    a page deep in the list costs what the first page costs, and nothing is counted."""
    if after:
        values = _decode_cursor(after, sort)
        columns = ", ".join(f'"incidents_incident"."{name.lstrip("-")}"' for name in SORTS[sort])
        operator = "<" if SORTS[sort][0].startswith("-") else ">"
        placeholders = ", ".join(["%s"] * len(values))
        # Column names come from SORTS, never from the request; the cursor's values are parameters.
        condition = f"({columns}) {operator} ({placeholders})"
        queryset = queryset.filter(RawSQL(condition, values, output_field=BooleanField()))  # noqa: S611
    items = list(queryset[: size + 1])
    next_cursor = "_".join(_cursor_values(items[size - 1], sort)) if len(items) > size else None
    return Page(items=items[:size], next_cursor=next_cursor)


# Detail ---------------------------------------------------------------------------------------------------


def incident_detail_queryset() -> QuerySet[Incident]:
    """An incident with everything its page shows, in a fixed number of queries."""
    claims = Claim.objects.select_related("claimed_by", "report__publisher", "entered_by").order_by(
        "stated_on", "created_at", "id"
    )
    flags = Flag.objects.select_related("assigned_to", "created_by", "resolved_by").prefetch_related(
        Prefetch("comments", queryset=FlagComment.objects.select_related("author"))
    )
    return Incident.objects.select_related("created_by").prefetch_related(
        Prefetch("places", queryset=Place.objects.select_related("parent__parent__parent").order_by("level")),
        Prefetch("claims", queryset=claims),
        Prefetch("flags", queryset=flags),
    )


@dataclass
class Cell:
    claim: Claim
    earlier: list[Claim] = field(default_factory=list)  # the source's superseded figures, oldest first


@dataclass
class MatrixRow:
    outcome: str
    category: str
    party: str
    cells: list[Cell | None]
    comparison: RowComparison
    flag: Flag | None

    @property
    def label(self) -> str:
        label = f"{Outcome(self.outcome).label} · {Category(self.category).label}"
        return f"{label} ({self.party})" if self.party else label


@dataclass
class Matrix:
    sources: list[Source]
    rows: list[MatrixRow]
    problems: list[str]
    reports: list[Report]
    candidates: list[Claim]


_OUTCOME_ORDER = {value: i for i, value in enumerate(Outcome.values)}
_CATEGORY_ORDER = {value: i for i, value in enumerate(Category.values)}


def comparison_matrix(incident: Incident) -> Matrix:
    """Rows = outcome x category x party, columns = sources, cells = each source's current confirmed claim.

    Works on the claims prefetched by ``incident_detail_queryset``: no further queries.
    """
    claims: list[Claim] = list(incident.claims.all())
    current = [c for c in claims if c.is_current]
    by_id = {c.pk: c for c in claims}
    sources = sorted({c.claimed_by for c in current}, key=lambda s: s.name.casefold())
    column = {s.pk: i for i, s in enumerate(sources)}
    rows_claims: dict[tuple[str, str, str], list[Claim]] = defaultdict(list)
    for claim in current:
        rows_claims[(claim.outcome, claim.category, claim.party)].append(claim)
    flags = {(f.outcome, f.category, f.party): f for f in incident.flags.all()}

    rows: list[MatrixRow] = []
    for key in sorted(rows_claims, key=lambda k: (_OUTCOME_ORDER[k[0]], _CATEGORY_ORDER[k[1]], k[2])):
        cells: list[Cell | None] = [None] * len(sources)
        for claim in rows_claims[key]:
            earlier: list[Claim] = []
            previous = by_id.get(claim.supersedes_id) if claim.supersedes_id else None
            while previous is not None and len(earlier) < 50:
                earlier.insert(0, previous)
                previous = by_id.get(previous.supersedes_id) if previous.supersedes_id else None
            cells[column[claim.claimed_by_id]] = Cell(claim=claim, earlier=earlier)
        figures = [_figure(c) for c in rows_claims[key]]
        rows.append(MatrixRow(*key, cells=cells, comparison=compare(figures), flag=flags.get(key)))

    problems = consistency_problems(
        [RowFigure(c.claimed_by.name, c.outcome, c.category, c.party, _figure(c)) for c in current]
    )
    for claim in current:
        before = by_id.get(claim.supersedes_id) if claim.supersedes_id else None
        if before is not None and _lowered(before, claim) and not claim.note.strip():
            problems.append(
                f"{claim.claimed_by.name} lowered its {claim.outcome} {claim.category} figure from "
                f"{before.figure} to {claim.figure} without a comment"
            )
    reports = sorted(
        {c.report for c in claims if c.report is not None},
        key=lambda r: (r.published_on or datetime.date.min, r.pk),
    )
    candidates = [c for c in claims if c.status == ClaimStatus.CANDIDATE]
    return Matrix(sources=sources, rows=rows, problems=problems, reports=reports, candidates=candidates)


def _figure(claim: Claim) -> Figure:
    return Figure(source=claim.claimed_by.name, low=claim.low, high=claim.high, qualifier=claim.qualifier)


def _lowered(before: Claim, after: Claim) -> bool:
    old, new = _figure(before).stated, _figure(after).stated
    return bool(old and new) and max(new) < max(old)


# Sources compared -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceComparison:
    """How a source's current figures compare with another source's on the rows both report."""

    other_id: int
    other_name: str
    shared: int
    agreements: int
    conflicts: int
    mean_difference: float | None
    median_difference: float | None


# Both sides take the source's current figure for the same incident, outcome, category and party. Overlap of
# the comparison intervals is agreement; the difference is this source's point figure minus the other's.
_SOURCE_COMPARISON_SQL = """
SELECT o.claimed_by_id, s.name, count(*) AS shared,
       count(*) FILTER (WHERE m.cmp_low <= coalesce(o.cmp_high, 2147483647)
                          AND o.cmp_low <= coalesce(m.cmp_high, 2147483647)) AS agreements,
       avg(coalesce(m.low, m.high) - coalesce(o.low, o.high))::float AS mean_difference,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(m.low, m.high) - coalesce(o.low, o.high)) AS median
FROM incidents_claim m
JOIN incidents_claim o
  ON o.incident_id = m.incident_id AND o.outcome = m.outcome AND o.category = m.category
 AND o.party = m.party AND o.claimed_by_id <> m.claimed_by_id AND o.is_current AND o.cmp_low IS NOT NULL
JOIN sources_source s ON s.id = o.claimed_by_id
WHERE m.claimed_by_id = %s AND m.is_current AND m.cmp_low IS NOT NULL
GROUP BY o.claimed_by_id, s.name
ORDER BY shared DESC, s.name
"""


def source_comparisons(source: Source) -> list[SourceComparison]:
    """Per other source: shared rows, agreements, conflicts, mean and median signed difference (in SQL)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_SOURCE_COMPARISON_SQL, [source.pk])
        return [
            SourceComparison(
                other_id=other_id,
                other_name=name,
                shared=shared,
                agreements=agreements,
                conflicts=shared - agreements,
                mean_difference=mean,
                median_difference=median,
            )
            for other_id, name, shared, agreements, mean, median in cursor.fetchall()
        ]


def source_incidents(source: Source, limit: int = 100) -> QuerySet[Incident]:
    """The incidents a source has a current claim on, newest first."""
    return (
        incident_list_queryset()
        .filter(claims__claimed_by=source, claims__is_current=True)
        .distinct()
        .order_by("-date_start", "-id")[:limit]
    )
