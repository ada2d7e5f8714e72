"""Comparison maths: pure functions over figures, no database.

The comparison interval of a figure mirrors the generated columns ``Claim.cmp_low`` / ``Claim.cmp_high``
(a test checks both agree on PostgreSQL). ``None`` as an upper bound means unbounded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean, median

ABOUT_MARGIN = 0.1


@dataclass(frozen=True)
class Interval:
    low: int
    high: int | None  # None: no upper bound

    def overlaps(self, other: Interval) -> bool:
        return (self.high is None or other.low <= self.high) and (
            other.high is None or self.low <= other.high
        )


@dataclass(frozen=True)
class Figure:
    """A figure as a source stated it."""

    source: str
    low: int | None
    high: int | None
    qualifier: str

    @property
    def interval(self) -> Interval | None:
        return comparison_interval(self.low, self.high, self.qualifier)

    @property
    def stated(self) -> tuple[int, ...]:
        """The numbers the source actually wrote."""
        return tuple(sorted({n for n in (self.low, self.high) if n is not None}))


def comparison_interval(low: int | None, high: int | None, qualifier: str) -> Interval | None:
    """The interval a stated figure stands for; ``None`` for an unspecified amount (no number stated)."""
    if qualifier == "unspecified" or (low is None and high is None):
        return None
    if qualifier == "more_than":
        assert low is not None
        return Interval(low + 1, None)
    if qualifier == "at_least":
        assert low is not None
        return Interval(low, None)
    if qualifier == "up_to":
        return Interval(0, high)
    if qualifier == "about":
        assert low is not None
        assert high is not None
        return Interval(
            max(0, math.floor(low - max(1.0, low * ABOUT_MARGIN))),
            math.ceil(high + max(1.0, high * ABOUT_MARGIN)),
        )
    assert low is not None
    return Interval(low, high)


# Which bounds each qualifier states (low, high), mirroring the database constraint
# ``claim_qualifier_matches_bounds``; exact and about state one number (low = high), a range two (low < high).
QUALIFIER_BOUNDS: dict[str, tuple[bool, bool]] = {
    "exact": (True, True),
    "about": (True, True),
    "at_least": (True, False),
    "more_than": (True, False),
    "up_to": (False, True),
    "range": (True, True),
    "unspecified": (False, False),
}


def figure_errors(low: int | None, high: int | None, qualifier: str) -> dict[str, str]:
    """What is wrong with a stated figure, by field, in words an analyst can act on; empty when valid."""
    if qualifier not in QUALIFIER_BOUNDS:
        return {"qualifier": f"Unknown qualifier {qualifier!r}."}
    errors: dict[str, str] = {}
    for name, value in (("low", low), ("high", high)):
        if value is not None and value < 0:
            errors[name] = "A figure cannot be negative."
    if errors:
        return errors
    wants_low, wants_high = QUALIFIER_BOUNDS[qualifier]
    label = qualifier.replace("_", " ")
    if wants_low and low is None:
        errors["low"] = f"'{label}' needs the lowest figure."
    if not wants_low and low is not None:
        errors["low"] = f"'{label}' states no lowest figure: leave it empty."
    if wants_high and high is None:
        errors["high"] = f"'{label}' needs the highest figure (for one number, the same as the lowest)."
    if not wants_high and high is not None:
        errors["high"] = f"'{label}' has no upper bound: leave the highest figure empty."
    if errors or low is None or high is None:
        return errors
    if low > high:
        errors["high"] = "The highest figure is below the lowest."
    elif qualifier in ("exact", "about") and low != high:
        errors["high"] = (
            f"'{label}' states one number: the highest figure must equal the lowest (or use range)."
        )
    elif qualifier == "range" and low == high:
        errors["high"] = "A range needs two different figures (for one number, use exactly)."
    return errors


@dataclass(frozen=True)
class RowComparison:
    """How the sources' figures for one row (outcome x category x party) relate."""

    figures: tuple[Figure, ...]
    lowest: int | None  # the lowest number stated
    highest: int | None  # the highest number stated
    spread: int | None  # highest - lowest
    relative_spread: float | None  # spread / lowest
    agree: bool | None  # None with fewer than two comparable figures
    consensus: Interval | None
    consensus_rule: str

    @property
    def conflict(self) -> bool:
        return self.agree is False


def compare(figures: Sequence[Figure]) -> RowComparison:
    """Compare the figures of one row: spread, agreement (all intervals share a point) and consensus range.

    In one dimension, intervals that overlap pairwise share a common point, so agreement is
    ``max(low) <= min(high)``. The consensus follows Airwars / UCDP: low is the most conservative figure
    (the lowest lower bound), high the highest figure any source stated.
    """
    comparable = [f for f in figures if f.interval is not None]
    numbers = [n for f in comparable for n in f.stated]
    lowest = min(numbers) if numbers else None
    highest = max(numbers) if numbers else None
    spread = highest - lowest if lowest is not None and highest is not None else None
    relative = spread / lowest if spread is not None and lowest else None
    agree: bool | None = None
    consensus: Interval | None = None
    rule = "no figure stated"
    if comparable:
        intervals = [f.interval for f in comparable if f.interval is not None]
        max_low = max(i.low for i in intervals)
        highs = [i.high for i in intervals if i.high is not None]
        if len(comparable) >= 2:
            agree = not highs or max_low <= min(highs)
        low_source = min(comparable, key=lambda f: (f.interval.low if f.interval else 0, f.source))
        high_source = max(comparable, key=lambda f: (max(f.stated), f.source))
        low_value = min(i.low for i in intervals)
        # "more than 20" alone states 20 but means at least 21: the high never falls below the low.
        high_value = max(low_value, max(max(f.stated) for f in comparable))
        consensus = Interval(low_value, high_value)
        if len(comparable) == 1:
            rule = f"single source ({low_source.source})"
        else:
            rule = (
                f"low: most conservative figure ({low_source.source}); "
                f"high: highest figure stated ({high_source.source})"
            )
    return RowComparison(
        figures=tuple(figures),
        lowest=lowest,
        highest=highest,
        spread=spread,
        relative_spread=relative,
        agree=agree,
        consensus=consensus,
        consensus_rule=rule,
    )


@dataclass(frozen=True)
class PairStats:
    """How one source's figures relate to another's on the rows both report."""

    shared: int
    agreements: int
    conflicts: int
    mean_difference: float | None
    median_difference: float | None


def pair_stats(pairs: Sequence[tuple[Figure, Figure]]) -> PairStats:
    """Agreement counts and signed differences (first minus second, on the point figures) over shared rows."""
    agreements = conflicts = 0
    differences: list[int] = []
    for mine, theirs in pairs:
        a, b = mine.interval, theirs.interval
        if a is None or b is None:
            continue
        if a.overlaps(b):
            agreements += 1
        else:
            conflicts += 1
        differences.append(point(mine) - point(theirs))
    return PairStats(
        shared=len(pairs),
        agreements=agreements,
        conflicts=conflicts,
        mean_difference=mean(differences) if differences else None,
        median_difference=median(differences) if differences else None,
    )


def point(figure: Figure) -> int:
    """The single number a figure is compared by: its low, else its high, else 0."""
    if figure.low is not None:
        return figure.low
    return figure.high or 0


@dataclass(frozen=True)
class RowFigure:
    """A source's current figure on one row, for the consistency checks."""

    source: str
    outcome: str
    category: str
    party: str
    figure: Figure


WHOLE_OF = {"children": "civilians", "women": "civilians", "men": "civilians"}


def consistency_problems(figures: Sequence[RowFigure]) -> list[str]:
    """Within one source and outcome: parts above their whole (children + women > civilians, a category
    above civilians or people). Figures are compared on their lowest stated number."""
    problems: list[str] = []
    by_key: dict[tuple[str, str], dict[str, int]] = {}
    for row in figures:
        if row.party or not row.figure.stated:
            continue
        by_key.setdefault((row.source, row.outcome), {})[row.category] = min(row.figure.stated)
    for (source, outcome), values in sorted(by_key.items()):
        civilians, people = values.get("civilians"), values.get("people")
        parts = {k: v for k, v in values.items() if k in WHOLE_OF}
        if civilians is not None and parts and sum(parts.values()) > civilians:
            named = " + ".join(f"{k} {v}" for k, v in sorted(parts.items()))
            problems.append(
                f"{source}, {outcome}: {named} = {sum(parts.values())} is more than civilians {civilians}"
            )
        if people is not None:
            for category, value in sorted(values.items()):
                if category != "people" and value > people:
                    problems.append(f"{source}, {outcome}: {category} {value} is more than people {people}")
    return problems
