"""The comparison maths, pure (no database), with hypothesis where inputs vary."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from incidents.comparison import (
    Figure,
    Interval,
    RowFigure,
    compare,
    comparison_interval,
    consistency_problems,
    pair_stats,
)


def exact(source: str, n: int) -> Figure:
    return Figure(source, n, n, "exact")


def test_fifteen_and_fourteen_conflict_with_spread_one():
    row = compare([exact("SANA", 15), exact("SOHR", 14)])
    assert row.conflict
    assert (row.lowest, row.highest, row.spread) == (14, 15, 1)
    assert round(row.relative_spread or 0, 3) == round(1 / 14, 3)


def test_at_least_fourteen_does_not_conflict_with_fifteen():
    row = compare([Figure("SOHR", 14, None, "at_least"), exact("SANA", 15)])
    assert row.agree is True


def test_more_than_twenty_means_at_least_twenty_one():
    assert comparison_interval(20, None, "more_than") == Interval(21, None)
    assert compare([Figure("A", 20, None, "more_than"), exact("B", 20)]).conflict


def test_about_allows_ten_percent_and_at_least_one():
    assert comparison_interval(100, 100, "about") == Interval(90, 110)
    assert comparison_interval(3, 3, "about") == Interval(2, 4)
    assert compare([Figure("A", 15, 15, "about"), exact("B", 14)]).agree


def test_range_agrees_with_figures_inside_it():
    row = compare([Figure("Airwars", 14, 21, "range"), exact("SANA", 15), exact("SOHR", 14)])
    # Airwars overlaps both, but SANA and SOHR do not overlap each other: the row conflicts.
    assert row.conflict
    assert row.consensus == Interval(14, 21)


def test_unspecified_amounts_state_no_number_and_never_conflict():
    row = compare([Figure("A", None, None, "unspecified"), exact("B", 3)])
    assert row.agree is None
    assert row.consensus == Interval(3, 3)
    assert "single source" in row.consensus_rule


def test_consensus_rule_names_the_sources_behind_each_bound():
    row = compare([exact("SANA", 15), exact("SOHR", 14)])
    assert row.consensus == Interval(14, 15)
    assert "SOHR" in row.consensus_rule.split(";")[0]
    assert "SANA" in row.consensus_rule.split(";")[1]


def test_children_and_women_above_civilians_is_a_problem():
    def rf(category: str, n: int) -> RowFigure:
        return RowFigure("SOHR", "killed", category, "", exact("SOHR", n))

    assert consistency_problems([rf("civilians", 14), rf("children", 5), rf("women", 5)]) == []
    problems = consistency_problems([rf("civilians", 8), rf("children", 5), rf("women", 5)])
    assert len(problems) == 1
    assert "children 5 + women 5 = 10 is more than civilians 8" in problems[0]


def test_pair_stats_counts_agreement_and_signed_difference():
    stats = pair_stats([(exact("A", 15), exact("B", 14)), (exact("A", 10), exact("B", 10))])
    assert (stats.shared, stats.agreements, stats.conflicts) == (2, 1, 1)
    assert stats.mean_difference == 0.5


figures = st.builds(
    lambda source, qualifier, a, b: Figure(
        source,
        *{
            "exact": (a, a),
            "about": (a, a),
            "at_least": (a, None),
            "more_than": (a, None),
            "up_to": (None, a),
            "range": (min(a, b), max(a, b) + 1),
            "unspecified": (None, None),
        }[qualifier],
        qualifier,
    ),
    st.sampled_from(["A", "B", "C", "D"]),
    st.sampled_from(["exact", "about", "at_least", "more_than", "up_to", "range", "unspecified"]),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)


@given(st.lists(figures, min_size=2, max_size=6))
def test_agreement_is_exactly_pairwise_overlap(fs):
    row = compare(fs)
    intervals = [f.interval for f in fs if f.interval is not None]
    if len(intervals) < 2:
        assert row.agree is None
    else:
        pairwise = all(a.overlaps(b) for a in intervals for b in intervals)
        assert row.agree == pairwise


@given(st.lists(figures, min_size=1, max_size=6))
def test_consensus_contains_every_stated_number_and_lowest_bound(fs):
    row = compare(fs)
    stated = [n for f in fs if f.interval is not None for n in f.stated]
    if not stated:
        assert row.consensus is None
        return
    lows = [f.interval.low for f in fs if f.interval is not None]
    assert row.consensus is not None
    assert row.consensus.low == min(lows)
    assert row.consensus.high == max(min(lows), *stated)
    assert row.spread == max(stated) - min(stated)


@given(figures)
def test_every_figure_lies_in_its_own_interval(f):
    interval = f.interval
    if interval is None:
        assert f.qualifier == "unspecified"
        return
    if f.qualifier == "more_than":
        assert f.low is not None and interval == Interval(f.low + 1, None)
        return
    for n in f.stated:
        assert interval.low <= n and (interval.high is None or n <= interval.high)
