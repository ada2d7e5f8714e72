"""Reads for the incident pages: querysets with their relations loaded, and the comparison matrix."""

from __future__ import annotations

import base64
import datetime
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import BooleanField, DateField, DecimalField, IntegerField, JSONField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.text import slugify

from config.paths import path_for
from config.prepared import prepared_cursor
from incidents.comparison import Figure, RowComparison, RowFigure, compare, consistency_problems
from incidents.filters import MENU_VERSION_SQL, SORTS
from incidents.models import (
    Category,
    Claim,
    ClaimStatus,
    Flag,
    FlagComment,
    FlagStatus,
    Incident,
    Outcome,
    Place,
    figure_text,
)
from sources.models import Report, Source


class InvalidCursor(ValueError):
    """A pagination cursor that does not decode for the requested sort."""


# The list's places and the figures editors retained, read with each incident in the same query as JSON:
# two prefetch queries per page cost more in building than in running. Evaluated for the page's rows only.
_LIST_PLACES = """(SELECT coalesce(jsonb_agg(jsonb_build_object('name_en', p.name_en, 'name_ar', p.name_ar)
                                      ORDER BY p.level, p.name_en), '[]')
                   FROM incidents_incident_places ip JOIN incidents_place p ON p.id = ip.place_id
                   WHERE ip.incident_id = incidents_incident.id)"""
_RETAINED = """(SELECT coalesce(jsonb_agg(jsonb_build_object('outcome', f.outcome, 'category', f.category,
                                       'party', f.party, 'low', f.resolution_low, 'high', f.resolution_high)
                                   ORDER BY f.outcome, f.category, f.party), '[]')
                FROM incidents_flag f WHERE f.incident_id = incidents_incident.id AND f.status = %s)"""


LIST_COLUMNS = ("title", "date_start", "date_end", "type", "summary", "has_conflict", "source_count")


def incident_list_queryset() -> QuerySet[Incident]:
    """Incidents ready for the list: the summary columns carry the sources' figures; ``list_places`` holds
    their places' names (``name_en``, ``name_ar``; upper levels first) and ``retained`` the figures editors
    retained on resolved flags (``outcome``, ``category``, ``party``, ``low``, ``high``)."""
    # Only the columns a list row shows (and its sort keys) are read: the description, search key and place
    # tree are long, and turning the two timestamps into datetimes cost a tenth of building a page's rows.
    # The filter menus' version rides along (read once per statement), so the page that renders the menus
    # needs no statement of its own for it (``incidents.filters.filter_menus``).
    return Incident.objects.only(*LIST_COLUMNS).annotate(
        list_places=RawSQL(_LIST_PLACES, [], output_field=JSONField()),  # noqa: S611  # constant SQL
        retained=RawSQL(_RETAINED, [FlagStatus.RESOLVED], output_field=JSONField()),  # noqa: S611
        menu_version=RawSQL(f"({MENU_VERSION_SQL})", [], output_field=IntegerField()),  # noqa: S611
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


# The incident page in one statement. Through prefetch_related the page took five queries whose
# building by the ORM cost about three times their running (profiled on the benchmark's busy incident). The
# statement below is built once per process from the models' own fields, returns the nested rows as JSON
# arrays, and fills the caches that select_related and prefetch_related fill, so that the templates and
# ``comparison_matrix`` read it unchanged and without further queries.


@dataclass(frozen=True)
class _Shape:
    """Some columns of a model, read as one JSON array and turned back into a (partly deferred) instance."""

    model: type[Any]
    fields: tuple[Any, ...]

    @classmethod
    def of(cls, model: type[Any], *, only: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> _Shape:
        fields = tuple(
            f
            for f in model._meta.concrete_fields
            if (not only or f.name in only or f.primary_key) and f.name not in exclude
        )
        if any(isinstance(f, DecimalField) for f in fields):
            raise ValueError(f"{model.__name__}: JSON would read a decimal column as a float")
        return cls(model, fields)

    def sql(self, alias: str) -> str:
        quote = connection.ops.quote_name
        # Numeric goes through text: as a JSON number it would come back a float.
        columns = [
            f"{alias}.{quote(f.column)}" + ("::text" if isinstance(f, DecimalField) else "")
            for f in self.fields
        ]
        return f"json_build_array({', '.join(columns)})"

    def build(self, values: list[Any] | None) -> Any:
        """The instance, or None for the NULL side of an outer join (its primary key is NULL)."""
        if values is None or values[0] is None:
            return None
        return self.model.from_db(
            DEFAULT_DB_ALIAS,
            [f.attname for f in self.fields],
            [_from_json(f, v) for f, v in zip(self.fields, values, strict=True)],
        )


def _from_json(field: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, DateField):  # DateTimeField included: JSON has their ISO text
        return field.to_python(value)
    return value


def _cache(instance: Any, name: str, related: Any) -> None:
    """Cache a foreign key's object on ``instance``, as select_related does."""
    instance._meta.get_field(name).set_cached_value(instance, related)


def _prefetched(instance: Any, name: str, objects: list[Any]) -> None:
    """Give ``instance.<name>.all()`` these objects, as prefetch_related does."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


@functools.cache
def _page_statement() -> tuple[str, dict[str, _Shape]]:
    user = get_user_model()
    shapes = {
        "incident": _Shape.of(Incident, exclude=("search_key", "place_tree")),
        # A place with the names the page shows, and its two upper levels ("Hajin — Deir ez-Zor › Syria").
        "place": _Shape.of(Place, only=("name_en", "name_ar", "parent", "level")),
        "upper": _Shape.of(Place, only=("name_en", "parent")),
        "claim": _Shape.of(Claim),
        "source": _Shape.of(Source, exclude=("search_key",)),
        # A report's full text (often many kilobytes) is not shown here.
        "report": _Shape.of(Report, exclude=("text", "search_key")),
        "user": _Shape.of(user, only=(user.USERNAME_FIELD,)),
        "flag": _Shape.of(Flag),
        "comment": _Shape.of(FlagComment),
    }
    places = Incident._meta.get_field("places")
    table = connection.ops.quote_name
    # Built from model metadata only (table, column names): nothing from a request. The ids are a parameter.
    sql = f"""
SELECT {shapes["incident"].sql("i")},
  (SELECT coalesce(json_agg(json_build_array({shapes["place"].sql("p")}, {shapes["upper"].sql("pp")},
                                             {shapes["upper"].sql("gp")}) ORDER BY p.level, p.name_en, p.id), '[]')
     FROM {table(places.m2m_db_table())} ip
     JOIN {table(Place._meta.db_table)} p ON p.id = ip.{table(places.m2m_reverse_name())}
     LEFT JOIN {table(Place._meta.db_table)} pp ON pp.id = p.parent_id
     LEFT JOIN {table(Place._meta.db_table)} gp ON gp.id = pp.parent_id
    WHERE ip.{table(places.m2m_column_name())} = i.id),
  (SELECT coalesce(json_agg(json_build_array({shapes["claim"].sql("c")}, {shapes["source"].sql("s")},
                                             {shapes["report"].sql("r")}, {shapes["source"].sql("rp")},
                                             {shapes["user"].sql("u")})
                            ORDER BY c.stated_on, c.created_at, c.id), '[]')
     FROM {table(Claim._meta.db_table)} c
     JOIN {table(Source._meta.db_table)} s ON s.id = c.claimed_by_id
     LEFT JOIN {table(Report._meta.db_table)} r ON r.id = c.report_id
     LEFT JOIN {table(Source._meta.db_table)} rp ON rp.id = r.publisher_id
     LEFT JOIN {table(user._meta.db_table)} u ON u.id = c.entered_by_id
    WHERE c.incident_id = i.id),
  (SELECT coalesce(json_agg(json_build_array({shapes["flag"].sql("f")}, {shapes["user"].sql("fa")},
                                             {shapes["user"].sql("fc")}, {shapes["user"].sql("fr")},
     (SELECT coalesce(json_agg(json_build_array({shapes["comment"].sql("m")}, {shapes["user"].sql("ma")})
                               ORDER BY m.created_at, m.id), '[]')
        FROM {table(FlagComment._meta.db_table)} m
        LEFT JOIN {table(user._meta.db_table)} ma ON ma.id = m.author_id
       WHERE m.flag_id = f.id))
                            ORDER BY f.updated_at DESC, f.id DESC), '[]')
     FROM {table(Flag._meta.db_table)} f
     LEFT JOIN {table(user._meta.db_table)} fa ON fa.id = f.assigned_to_id
     LEFT JOIN {table(user._meta.db_table)} fc ON fc.id = f.created_by_id
     LEFT JOIN {table(user._meta.db_table)} fr ON fr.id = f.resolved_by_id
    WHERE f.incident_id = i.id)
FROM {table(Incident._meta.db_table)} i
WHERE """  # noqa: S608
    return sql, shapes


def incident_page(pk: int) -> Incident | None:
    """The incident with what its page shows (places, claims, flags and their comments), in one query."""
    return next(iter(_incident_pages("i.id = %s", pk).values()), None)


def incident_pages(pks: Iterable[int]) -> dict[int, Incident]:
    """By id, the incidents with what their pages show, in one query."""
    return _incident_pages("i.id = ANY(%s::bigint[])", list(pks))


def _incident_pages(condition: str, value: Any) -> dict[int, Incident]:
    sql, shape = _page_statement()
    # Prepared: PostgreSQL took four times longer to plan this statement than to run it (config.prepared).
    # One id is its own statement: with ``= ANY`` of an array PostgreSQL expects several rows, so it never took
    # the plan it made once over planning the statement again for each call (pg_prepared_statements).
    with prepared_cursor() as cursor:
        cursor.execute(sql + condition, [value])
        rows = cursor.fetchall()
    return {incident.pk: incident for incident in (_page_incident(shape, row) for row in rows)}


def _page_incident(shape: dict[str, _Shape], row: tuple[Any, ...]) -> Incident:
    incident_values, place_rows, claim_rows, flag_rows = row
    incident: Incident = shape["incident"].build(incident_values)

    places = []
    for place_values, parent_values, grandparent_values in place_rows:
        place, parent = shape["place"].build(place_values), shape["upper"].build(parent_values)
        if parent is not None:
            _cache(parent, "parent", shape["upper"].build(grandparent_values))
        _cache(place, "parent", parent)
        places.append(place)
    _prefetched(incident, "places", places)

    claims = []
    for claim_values, source_values, report_values, publisher_values, user_values in claim_rows:
        claim = shape["claim"].build(claim_values)
        _cache(claim, "incident", incident)
        _cache(claim, "claimed_by", shape["source"].build(source_values))
        report = shape["report"].build(report_values)
        if report is not None:
            _cache(report, "publisher", shape["source"].build(publisher_values))
        _cache(claim, "report", report)
        _cache(claim, "entered_by", shape["user"].build(user_values))
        claims.append(claim)
    _prefetched(incident, "claims", claims)

    flags = []
    for flag_values, assignee, creator, resolver, comment_rows in flag_rows:
        flag = shape["flag"].build(flag_values)
        _cache(flag, "incident", incident)
        for name, values in (("assigned_to", assignee), ("created_by", creator), ("resolved_by", resolver)):
            _cache(flag, name, shape["user"].build(values))
        comments = []
        for comment_values, author in comment_rows:
            comment = shape["comment"].build(comment_values)
            _cache(comment, "flag", flag)
            _cache(comment, "author", shape["user"].build(author))
            comments.append(comment)
        _prefetched(flag, "comments", comments)
        flags.append(flag)
    _prefetched(incident, "flags", flags)
    return incident


@dataclass
class Cell:
    claim: Claim
    earlier: list[Claim] = field(default_factory=list)  # the source's superseded figures, oldest first

    @property
    def revised(self) -> bool:
        """The source changed its figure (a repeat of the same figure from another report is no revision)."""
        return any(old.figure != self.claim.figure for old in self.earlier)


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

    Works on the claims and flags loaded by ``incident_page``: no further queries.
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

    checked = []
    for claim in current:
        before = by_id.get(claim.supersedes_id) if claim.supersedes_id else None
        checked.append(
            CheckedClaim(
                claim.claimed_by.name,
                claim.outcome,
                claim.category,
                claim.party,
                _figure(claim),
                claim.note,
                None if before is None else _figure(before),
            )
        )
    problems = consistency_checks(checked)
    reports = sorted(
        {c.report for c in claims if c.report is not None},
        key=lambda r: (r.published_on or datetime.date.min, r.pk),
    )
    candidates = [c for c in claims if c.status == ClaimStatus.CANDIDATE]
    return Matrix(sources=sources, rows=rows, problems=problems, reports=reports, candidates=candidates)


def _figure(claim: Claim) -> Figure:
    return Figure(source=claim.claimed_by.name, low=claim.low, high=claim.high, qualifier=claim.qualifier)


@dataclass(frozen=True, slots=True)
class CheckedClaim:
    """What the consistency checks read of a current claim: its row, figure and note, and the figure it
    replaced (None for a first figure)."""

    source: str
    outcome: str
    category: str
    party: str
    figure: Figure
    note: str
    before: Figure | None


def consistency_checks(claims: Sequence[CheckedClaim]) -> list[str]:
    """The consistency problems of an incident's current claims: parts above their whole, and a toll lowered
    without a comment. The incident page and the discrepancy queue both list these."""
    problems = consistency_problems(
        [RowFigure(c.source, c.outcome, c.category, c.party, c.figure) for c in claims]
    )
    for claim in claims:
        if claim.before is not None and _lowered(claim.before, claim.figure) and not claim.note.strip():
            problems.append(
                f"{claim.source} lowered its {claim.outcome} {claim.category} figure from "
                f"{_text(claim.before)} to {_text(claim.figure)} without a comment"
            )
    return problems


def _text(figure: Figure) -> str:
    return figure_text(figure.low, figure.high, figure.qualifier)


def _lowered(before: Figure, after: Figure) -> bool:
    old, new = before.stated, after.stated
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


# Discrepancy queue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFigure:
    source: str
    figure: str
    stated_on: str | None


@dataclass(frozen=True)
class Discrepancy:
    """One row of the queue: an incident's outcome x category x party whose sources conflict (or that an
    editor flagged), with the figures side by side and the flag's state."""

    incident_id: int
    outcome: str
    category: str
    party: str
    conflict: bool
    lowest: int | None
    highest: int | None
    spread: int
    changed_at: datetime.datetime
    title: str
    date_start: datetime.date
    figures: list[QueueFigure]
    flag_id: int | None
    flag_status: str | None
    flag_version: int | None
    assignee: str | None
    resolution_low: int | None
    resolution_high: int | None
    resolution_note: str

    @property
    def label(self) -> str:
        label = f"{Outcome(self.outcome).label} · {Category(self.category).label}"
        return f"{label} ({self.party})" if self.party else label

    @property
    def relative_spread(self) -> float | None:
        return self.spread / self.lowest if self.lowest else None

    @property
    def flag_status_label(self) -> str:
        return str(FlagStatus(self.flag_status).label) if self.flag_status else "Not flagged"

    @property
    def row_key(self) -> str:
        """The ``data-row`` of this row in the incident page's matrix."""
        key = f"{self.outcome}-{self.category}"
        return f"{key}-{slugify(self.party)}" if self.party else key


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters, already validated (``incidents.flag_forms.QueueFilterForm``)."""

    place: Place | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    source: Source | None = None
    outcome: str = ""
    category: str = ""
    status: str = ""  # "", "unflagged", "active" (open or under review) or a FlagStatus
    assigned_to_id: int | None = None
    sort: str = "spread"


# Each sort orders by its key, then by the row's identity, every column descending so that one row
# comparison finds the next page.
QUEUE_SORTS = {"spread": "spread", "recent": "changed_at", "date": "date_start"}
QUEUE_SORT_CHOICES = [
    ("spread", "Largest spread"),
    ("recent", "Recently changed"),
    ("date", "Newest incident"),
]
_QUEUE_KEY = ("incident_id", "outcome", "category", "party")

# The queue reads incidents_discrepancy_row, which the database keeps for each matrix row whose current claims
# conflict or that is flagged (migrations 0005 and 0013): one walk of the sort's index finds a page, and only
# the page's rows have their figures read.
_QUEUE_SQL = """
WITH page AS (
    SELECT r.incident_id, r.outcome, r.category, r.party, r.conflict, r.lowest, r.highest, r.spread,
           r.changed_at, r.date_start, i.title, f.id AS flag_id, f.status AS flag_status,
           f.version AS flag_version, f.assigned_to_id, f.resolution_low, f.resolution_high,
           coalesce(f.resolution_note, '') AS resolution_note
    FROM incidents_discrepancy_row r
    JOIN incidents_incident i ON i.id = r.incident_id
    LEFT JOIN incidents_flag f
      ON f.incident_id = r.incident_id AND f.outcome = r.outcome AND f.category = r.category
     AND f.party = r.party
    WHERE (r.conflict OR r.flagged) AND {keyset} {conditions}
    ORDER BY {order}
    LIMIT {limit}
)
SELECT r.incident_id, r.outcome, r.category, r.party, r.conflict, r.lowest, r.highest, r.spread, r.changed_at,
       r.title, r.date_start,
       (SELECT jsonb_agg(jsonb_build_object('source', s.name, 'low', c.low, 'high', c.high,
                                            'qualifier', c.qualifier, 'stated_on', c.stated_on) ORDER BY s.name)
        FROM incidents_claim c JOIN sources_source s ON s.id = c.claimed_by_id
        WHERE c.is_current AND c.incident_id = r.incident_id AND c.outcome = r.outcome
          AND c.category = r.category AND c.party = r.party) AS figures,
       r.flag_id, r.flag_status, r.flag_version, u.username AS assignee, r.resolution_low, r.resolution_high,
       r.resolution_note
FROM page r
LEFT JOIN auth_user u ON u.id = r.assigned_to_id
ORDER BY {order}
"""


def _queue_conditions(filters: QueueFilters) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on a queue row ``r`` (its incident ``i``, its flag ``f``) and their parameters."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if filters.place is not None:
        conditions.append("AND i.place_tree @> ARRAY[%(place)s]::bigint[]")
        params["place"] = filters.place.pk
    if filters.date_from is not None:
        # An incident over a date range is in if any of its days is.
        conditions.append("AND (i.date_start >= %(date_from)s OR i.date_end >= %(date_from)s)")
        params["date_from"] = filters.date_from
    if filters.date_to is not None:
        conditions.append("AND i.date_start <= %(date_to)s")
        params["date_to"] = filters.date_to
    if filters.outcome:
        conditions.append("AND r.outcome = %(outcome)s")
        params["outcome"] = filters.outcome
    if filters.category:
        conditions.append("AND r.category = %(category)s")
        params["category"] = filters.category
    if filters.source is not None:
        conditions.append(
            "AND EXISTS (SELECT 1 FROM incidents_claim c WHERE c.is_current AND c.incident_id = r.incident_id "
            "AND c.outcome = r.outcome AND c.category = r.category AND c.party = r.party "
            "AND c.claimed_by_id = %(source)s)"
        )
        params["source"] = filters.source.pk
    if filters.status == "unflagged":
        conditions.append("AND f.id IS NULL")
    elif filters.status == "active":
        conditions.append("AND f.status IN ('open', 'under_review')")
    elif filters.status:
        conditions.append("AND f.status = %(status)s")
        params["status"] = filters.status
    if filters.assigned_to_id is not None:
        conditions.append("AND f.assigned_to_id = %(assigned_to)s")
        params["assigned_to"] = filters.assigned_to_id
    return conditions, params


def _encode_queue_cursor(item: Discrepancy, sort: str) -> str:
    key = getattr(item, QUEUE_SORTS[sort])
    value = key.isoformat() if isinstance(key, datetime.date) else key
    raw = json.dumps([value, item.incident_id, item.outcome, item.category, item.party])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_queue_cursor(cursor: str, sort: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, incident_id, outcome, category, party = json.loads(raw)
        if sort == "spread":
            key = int(key)
        elif sort == "recent":
            key = datetime.datetime.fromisoformat(key)
        else:
            key = datetime.date.fromisoformat(key)
        if not isinstance(incident_id, int) or not all(
            isinstance(v, str) for v in (outcome, category, party)
        ):
            raise InvalidCursor(cursor)
    except (ValueError, TypeError) as exc:  # bad base64, JSON, shape or value
        raise InvalidCursor(cursor) from exc
    return [key, incident_id, outcome, category, party]


def _discrepancy(row: dict[str, Any]) -> Discrepancy:
    figures = [
        QueueFigure(
            source=item["source"],
            figure=figure_text(item["low"], item["high"], item["qualifier"]),
            stated_on=item["stated_on"],
        )
        # Django's psycopg setup leaves jsonb undecoded (JSONField decodes it), so raw SQL decodes it here.
        for item in json.loads(row.pop("figures") or "[]")
    ]
    return Discrepancy(figures=figures, **row)


def discrepancy_page(filters: QueueFilters, *, after: str | None, size: int) -> Page:
    """One page of the queue, found by keyset on the rows the database keeps (incidents_discrepancy_row): a
    deep page costs what the first costs, and no claims are aggregated per request."""
    sort_column = QUEUE_SORTS[filters.sort]
    conditions, params = _queue_conditions(filters)
    columns = ", ".join(f"r.{name}" for name in (sort_column, *_QUEUE_KEY))
    keyset = "TRUE"
    if after:
        values = _decode_queue_cursor(after, filters.sort)
        keyset = f"({columns}) < (%(k0)s, %(k1)s, %(k2)s, %(k3)s, %(k4)s)"
        params |= {f"k{i}": value for i, value in enumerate(values)}
    # Every interpolated name and condition is a constant of this module; request values are parameters.
    sql = _QUEUE_SQL.format(
        conditions="\n      ".join(conditions),
        keyset=keyset,
        order=", ".join(f"r.{name} DESC" for name in (sort_column, *_QUEUE_KEY)),
        limit=int(size) + 1,  # written in, so that each filter combination is one fixed statement
    )
    # Prepared (config.prepared): PostgreSQL took as long to plan the page as to run it (2.2 ms and 3 ms).
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        items = [_discrepancy(dict(zip(names, values, strict=True))) for values in cursor.fetchall()]
    next_cursor = _encode_queue_cursor(items[size - 1], filters.sort) if len(items) > size else None
    return Page(items=items[:size], next_cursor=next_cursor)


@dataclass(frozen=True, slots=True)
class QueueIncident:
    """What the queue shows of an incident beside its rows: its title and places, for the consistency checks
    its current claims fail."""

    pk: int
    title: str
    place_names: list[str]  # English names, upper levels first

    def get_absolute_url(self) -> str:
        return path_for("incidents:detail", self.pk)


# Per incident: its places' English names, and its current claims with what the checks read, in the incident
# page's order (``_page_statement``), each with the figure it replaced.
_QUEUE_INCIDENTS_SQL = """
SELECT i.id, i.title,
  ARRAY(SELECT p.name_en FROM incidents_incident_places ip JOIN incidents_place p ON p.id = ip.place_id
        WHERE ip.incident_id = i.id ORDER BY p.level, p.name_en, p.id),
  (SELECT coalesce(json_agg(json_build_array(s.name, c.outcome, c.category, c.party, c.low, c.high, c.qualifier,
                                             c.note, b.low, b.high, b.qualifier, b.id IS NOT NULL)
                            ORDER BY c.stated_on, c.created_at, c.id), '[]')
     FROM incidents_claim c
     JOIN sources_source s ON s.id = c.claimed_by_id
     LEFT JOIN incidents_claim b ON b.id = c.supersedes_id AND b.incident_id = c.incident_id
    WHERE c.incident_id = i.id AND c.is_current)
FROM incidents_incident i WHERE i.id = ANY(%s)
"""


def queue_incidents(incident_ids: Iterable[int]) -> dict[int, tuple[QueueIncident, list[str]]]:
    """The page's incidents (title and places) and each one's consistency problems, in one query: the same
    checks as the incident page (``consistency_checks``), on their current claims only. (The incident pages'
    full read, with every claim, report, flag and comment, took most of the queue's time.)"""
    # Prepared: after its first five runs PostgreSQL keeps one plan for it (pg_prepared_statements).
    with prepared_cursor() as cursor:
        cursor.execute(_QUEUE_INCIDENTS_SQL, [sorted(set(incident_ids))])
        rows = cursor.fetchall()
    found = {}
    for pk, title, places, claims in rows:
        # Each claim: source, outcome, category, party, low, high, qualifier, note, then the replaced figure's
        # low, high and qualifier, and whether there is one (json, which psycopg decodes).
        checked = [
            CheckedClaim(
                c[0],
                c[1],
                c[2],
                c[3],
                Figure(c[0], c[4], c[5], c[6]),
                c[7],
                Figure(c[0], c[8], c[9], c[10]) if c[11] else None,
            )
            for c in claims
        ]
        found[pk] = (QueueIncident(pk, title, places), consistency_checks(checked))
    return found
