"""Source analytics, aggregated by the database over current claims.

Every comparison takes each source's current figure for the same incident, outcome, category and party (a
"row"). Two figures agree when their comparison intervals (``cmp_low``..``cmp_high``, a NULL high being
unbounded) overlap; a difference is one source's point figure (``coalesce(low, high)``) minus another's.
Figures without an interval (an unspecified amount such as "dozens") are left out.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Coalesce, TruncMonth

from config.paths import path_for
from incidents.models import Claim, Place
from sources.models import Source

UNBOUNDED = 2147483647


# Tables ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A table cell that links somewhere on the page; CSV keeps its text."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


Cell = str | int | float | Link | None


@dataclass(frozen=True)
class Table:
    """A chart's data, rendered as the HTML table beside the chart and as its CSV download."""

    caption: str
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    numeric: frozenset[int] = frozenset()


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


# The pair matrix ------------------------------------------------------------------------------------------

_CURRENT_CTE = """
cur AS (
    SELECT incident_id, outcome, category, party, claimed_by_id,
           coalesce(low, high) AS figure, cmp_low, coalesce(cmp_high, 2147483647) AS cmp_high
    FROM incidents_claim
    WHERE is_current AND cmp_low IS NOT NULL
      AND (%(outcome)s::text IS NULL OR outcome = %(outcome)s)
      AND (%(category)s::text IS NULL OR category = %(category)s)
)"""

_SAME_ROW = """o.incident_id = m.incident_id AND o.outcome = m.outcome AND o.category = m.category
  AND o.party = m.party AND o.claimed_by_id <> m.claimed_by_id"""

# The SQL below is assembled from constant fragments only; every value is a query parameter.
_PAIRS_SQL = f"""
WITH {_CURRENT_CTE}
SELECT m.claimed_by_id, ms.name, o.claimed_by_id, os.name,
       count(DISTINCT m.incident_id) AS incidents,
       count(*) AS shared_rows,
       count(*) FILTER (WHERE m.cmp_low <= o.cmp_high AND o.cmp_low <= m.cmp_high) AS agreements,
       avg(m.figure - o.figure)::float AS mean_difference,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.figure - o.figure) AS median_difference
FROM cur m
JOIN cur o ON {_SAME_ROW}
JOIN sources_source ms ON ms.id = m.claimed_by_id
JOIN sources_source os ON os.id = o.claimed_by_id
GROUP BY m.claimed_by_id, ms.name, o.claimed_by_id, os.name
"""  # noqa: S608


@dataclass(frozen=True)
class PairStats:
    """How source ``a``'s current figures compare with source ``b``'s; differences are a minus b."""

    a_id: int
    a_name: str
    b_id: int
    b_name: str
    incidents: int
    shared_rows: int
    agreements: int
    mean_difference: float
    median_difference: float

    @property
    def conflicts(self) -> int:
        return self.shared_rows - self.agreements

    @property
    def agreement_rate(self) -> float:
        return self.agreements / self.shared_rows


def pair_stats(*, outcome: str | None = None, category: str | None = None) -> list[PairStats]:
    """Every ordered pair of sources with a shared row: shared incidents and rows, agreements, mean and
    median signed difference; one query."""
    with connection.cursor() as cursor:
        cursor.execute(_PAIRS_SQL, {"outcome": outcome or None, "category": category or None})
        return [PairStats(*row) for row in cursor.fetchall()]


METRICS = {
    "agreement": "Agreement (% of shared rows)",
    "mean": "Mean difference (row − column)",
    "median": "Median difference (row − column)",
    "incidents": "Shared incidents",
}


def metric_value(stats: PairStats, metric: str) -> float:
    """The number a heatmap cell shows for ``metric`` (one of ``METRICS``)."""
    if metric == "agreement":
        return round(100 * stats.agreement_rate, 1)
    if metric == "mean":
        return round(stats.mean_difference, 1)
    if metric == "median":
        return round(stats.median_difference, 1)
    return stats.incidents


@dataclass(frozen=True)
class PairMatrix:
    """Sources on both axes (the ``limit`` sharing most rows, by name) and a cell per ordered pair."""

    sources: list[tuple[int, str]]
    cells: dict[tuple[int, int], PairStats]
    left_out: int

    def values(self, metric: str) -> list[list[float | None]]:
        return [
            [
                metric_value(self.cells[(a, b)], metric) if (a, b) in self.cells else None
                for b, _ in self.sources
            ]
            for a, _ in self.sources
        ]

    def notes(self) -> list[list[str]]:
        return [
            [
                _pair_note(self.cells[(a, b)])
                if (a, b) in self.cells
                else f"{a_name} and {b_name}: no shared row"
                for b, b_name in self.sources
            ]
            for a, a_name in self.sources
        ]


def _pair_note(s: PairStats) -> str:
    return (
        f"{s.a_name} vs {s.b_name}: {s.incidents} shared incidents, {s.shared_rows} rows, "
        f"{s.agreements} agree, mean {s.mean_difference:+.1f}, median {s.median_difference:+.1f}"
    )


def pair_matrix(stats: Sequence[PairStats], *, limit: int = 30) -> PairMatrix:
    """Arrange pair statistics as a source x source matrix."""
    rows_per_source: dict[tuple[int, str], int] = defaultdict(int)
    for s in stats:
        rows_per_source[(s.a_id, s.a_name)] += s.shared_rows
    busiest = sorted(rows_per_source, key=lambda k: (-rows_per_source[k], k[1].casefold()))[:limit]
    sources = sorted(busiest, key=lambda k: k[1].casefold())
    return PairMatrix(
        sources=sources,
        cells={(s.a_id, s.b_id): s for s in stats},
        left_out=len(rows_per_source) - len(sources),
    )


def pair_table(stats: Sequence[PairStats]) -> Table:
    """Each unordered pair once (A before B by name); differences are A minus B."""
    rows: list[tuple[Cell, ...]] = []
    ordered = [s for s in stats if (s.a_name.casefold(), s.a_id) < (s.b_name.casefold(), s.b_id)]
    for s in sorted(ordered, key=lambda s: (-s.shared_rows, s.a_name.casefold(), s.b_name.casefold())):
        rows.append(
            (
                Link(s.a_name, path_for("analytics:source", s.a_id)),
                Link(s.b_name, path_for("analytics:source", s.b_id)),
                s.incidents,
                s.shared_rows,
                s.agreements,
                s.conflicts,
                round(100 * s.agreement_rate, 1),
                _round(s.mean_difference),
                _round(s.median_difference),
            )
        )
    return Table(
        caption="Pairs of sources on the rows both report; differences are source A minus source B",
        headers=(
            "Source A",
            "Source B",
            "Shared incidents",
            "Shared rows",
            "Agree",
            "Conflict",
            "Agreement %",
            "Mean difference",
            "Median difference",
        ),
        rows=rows,
        numeric=frozenset(range(2, 9)),
    )


# One source's deviation from the others -------------------------------------------------------------------

# (label, lowest, highest) of each bar, deviations rounded away from zero (a median of others can be a half).
DEVIATION_BINS: tuple[tuple[str, int | None, int | None], ...] = (
    ("< −100", None, -101),
    ("−100 … −51", -100, -51),
    ("−50 … −26", -50, -26),
    ("−25 … −11", -25, -11),
    ("−10 … −6", -10, -6),
    ("−5 … −2", -5, -2),
    ("−1", -1, -1),
    ("0", 0, 0),
    ("+1", 1, 1),
    ("+2 … +5", 2, 5),
    ("+6 … +10", 6, 10),
    ("+11 … +25", 11, 25),
    ("+26 … +50", 26, 50),
    ("+51 … +100", 51, 100),
    ("> +100", 101, None),
)


def _bin_case() -> str:
    # Built from the constant bins above only; nothing from a request reaches this SQL.
    whens = [
        f"WHEN rounded <= {high} THEN {k}"
        for k, (_, _low, high) in enumerate(DEVIATION_BINS)
        if high is not None
    ]
    return f"CASE {' '.join(whens)} ELSE {len(DEVIATION_BINS) - 1} END"


_DEVIATION_ROWS_CTE = f"""
WITH {_CURRENT_CTE},
dev AS (
    SELECT m.incident_id, m.outcome, m.category, m.party, m.figure,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY o.figure) AS others_median,
           count(*) AS others
    FROM cur m
    JOIN cur o ON {_SAME_ROW}
    WHERE m.claimed_by_id = %(source)s
    GROUP BY m.incident_id, m.outcome, m.category, m.party, m.figure
), binned AS (
    SELECT dev.*, figure - others_median AS deviation,
           sign(figure - others_median) * ceil(abs(figure - others_median)) AS rounded
    FROM dev
)"""  # noqa: S608

_DISTRIBUTION_SQL = f"""
{_DEVIATION_ROWS_CTE}
SELECT {_bin_case()} AS bin, count(*),
       avg(deviation)::float,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY deviation),
       count(*) FILTER (WHERE deviation > 0),
       count(*) FILTER (WHERE deviation < 0)
FROM binned
GROUP BY GROUPING SETS ((1), ())
"""  # noqa: S608

_LARGEST_SQL = f"""
{_DEVIATION_ROWS_CTE}
SELECT b.incident_id, i.title, i.date_start, b.outcome, b.category, b.party, b.figure, b.others_median,
       b.others, b.deviation::float
FROM binned b JOIN incidents_incident i ON i.id = b.incident_id
ORDER BY abs(b.deviation) DESC, i.date_start DESC, b.incident_id
LIMIT %(limit)s
"""  # noqa: S608


@dataclass(frozen=True)
class Distribution:
    """A source's deviations (its figure minus the median of the other sources' figures on the row)."""

    bins: list[tuple[str, int]]
    rows: int
    mean: float | None
    median: float | None
    above: int
    below: int

    @property
    def equal(self) -> int:
        return self.rows - self.above - self.below


def deviation_distribution(
    source: Source, *, outcome: str | None = None, category: str | None = None
) -> Distribution:
    """Counts per deviation bin (every bin, zero included) with overall mean and median; one query."""
    counts = dict.fromkeys(range(len(DEVIATION_BINS)), 0)
    total, mean, median, above, below = 0, None, None, 0, 0
    params = {"source": source.pk, "outcome": outcome or None, "category": category or None}
    with connection.cursor() as cursor:
        cursor.execute(_DISTRIBUTION_SQL, params)
        for bin_index, count, row_mean, row_median, row_above, row_below in cursor.fetchall():
            if bin_index is None:
                total, mean, median, above, below = count, row_mean, row_median, row_above, row_below
            else:
                counts[bin_index] = count
    return Distribution(
        bins=[(label, counts[k]) for k, (label, _, _) in enumerate(DEVIATION_BINS)],
        rows=total,
        mean=_round(mean),
        median=_round(median),
        above=above,
        below=below,
    )


def distribution_table(distribution: Distribution) -> Table:
    return Table(
        caption="Rows per deviation from the median of the other sources' figures",
        headers=("Deviation", "Rows"),
        rows=[(label, count) for label, count in distribution.bins],
        numeric=frozenset({1}),
    )


@dataclass(frozen=True)
class Deviation:
    incident_id: int
    title: str
    date: datetime.date
    outcome: str
    category: str
    party: str
    figure: int
    others_median: float
    others: int
    deviation: float


def largest_deviations(
    source: Source, *, outcome: str | None = None, category: str | None = None, limit: int = 20
) -> list[Deviation]:
    """The rows where this source stands furthest from the others, largest first; one query."""
    params = {"source": source.pk, "outcome": outcome or None, "category": category or None, "limit": limit}
    with connection.cursor() as cursor:
        cursor.execute(_LARGEST_SQL, params)
        return [Deviation(*row) for row in cursor.fetchall()]


# Claims over time -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineFilters:
    sources: Sequence[Source] = ()
    place: Place | None = None
    outcome: str = ""
    category: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@dataclass
class Series:
    name: str
    source_id: int | None
    claims: list[int] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Timeline:
    """Current claims per month of the incident, one series per source (the busiest ``top``; the rest
    together as "Other sources")."""

    months: list[datetime.date]
    series: list[Series]


OTHERS = "Other sources"

_TIMELINE_SQL = """
WITH base AS ({base}),
ranked AS (
    SELECT claimed_by_id, row_number() OVER (ORDER BY count(*) DESC, claimed_by_id) AS rank
    FROM base GROUP BY claimed_by_id
)
SELECT b.month::date, CASE WHEN r.rank <= %s THEN s.id END AS source_id,
       CASE WHEN r.rank <= %s THEN s.name END AS name,
       count(*) AS claims, coalesce(sum(b.point), 0) AS total
FROM base b
JOIN ranked r ON r.claimed_by_id = b.claimed_by_id
JOIN sources_source s ON s.id = b.claimed_by_id
GROUP BY 1, 2, 3
ORDER BY 1
"""


def _timeline_claims(filters: TimelineFilters) -> Q:
    q = Q(is_current=True)
    if filters.sources:
        q &= Q(claimed_by__in=[s.pk for s in filters.sources])
    if filters.place is not None:
        # The incident's places and their upper places (kept by the database): no join, so an incident at two
        # places of the sub-tree still counts once.
        q &= Q(incident__place_tree__contains=[filters.place.pk])
    if filters.outcome:
        q &= Q(outcome=filters.outcome)
    if filters.category:
        q &= Q(category=filters.category)
    if filters.date_from:
        q &= Q(incident__date_start__gte=filters.date_from)
    if filters.date_to:
        q &= Q(incident__date_start__lte=filters.date_to)
    return q


def _month_range(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(datetime.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def timeline(filters: TimelineFilters, *, top: int = 6) -> Timeline:
    """Claims and the sum of their figures per month and source, months without claims included; one
    query."""
    base = (
        Claim.objects.filter(_timeline_claims(filters))
        .annotate(month=TruncMonth("incident__date_start"), point=Coalesce(F("low"), F("high")))
        .values("month", "claimed_by_id", "point")
        .order_by()
    )
    base_sql, base_params = base.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_TIMELINE_SQL.format(base=base_sql), [*base_params, top, top])
        rows = cursor.fetchall()
    if not rows:
        return Timeline(months=[], series=[])
    months = _month_range(rows[0][0], rows[-1][0])
    index = {month: k for k, month in enumerate(months)}
    by_source: dict[int | None, Series] = {}
    for month, source_id, name, claims, total in rows:
        series = by_source.get(source_id)
        if series is None:
            series = Series(
                name=name or OTHERS, source_id=source_id, claims=[0] * len(months), totals=[0] * len(months)
            )
            by_source[source_id] = series
        series.claims[index[month]] += claims
        series.totals[index[month]] += total
    ordered = sorted(
        by_source.values(), key=lambda s: (s.source_id is None, -sum(s.claims), s.name.casefold())
    )
    return Timeline(months=months, series=ordered)


MEASURES = {"claims": "Claims", "total": "Sum of figures"}


def timeline_table(data: Timeline, measure: str) -> Table:
    """Months down, series across, the chosen measure in the cells."""
    values = [s.totals if measure == "total" else s.claims for s in data.series]
    return Table(
        caption=f"{MEASURES[measure]} per month of the incident and source",
        headers=("Month", *(s.name for s in data.series)),
        rows=[
            (month.strftime("%Y-%m"), *(column[k] for column in values))
            for k, month in enumerate(data.months)
        ],
        numeric=frozenset(range(1, len(data.series) + 1)),
    )
