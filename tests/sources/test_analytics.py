"""Source analytics: pair matrix, deviation distribution, claims over time; pages, CSV, query counts."""

from __future__ import annotations

import csv
import datetime
import io
import re
from html import unescape

import pytest

from incidents import services
from sources import analytics
from tests.factories import make_claim, make_incident, make_source
from tests.incidents.test_views import text_of

pytestmark = pytest.mark.django_db

MATRIX = "/analytics/"
TIMELINE = "/analytics/timeline/"


def source_page(source) -> str:
    return f"/analytics/sources/{source.pk}/"


def pair(stats, a, b):
    return next(s for s in stats if s.a_id == a.pk and s.b_id == b.pk)


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def html_table(response) -> list[list[str]]:
    """The chart-data table's header and body cells as text ("–" for an empty cell, as in the CSV: "")."""
    html = response.content.decode()
    found = re.search(r'<table class="chart-table">(.*?)</table>', html, re.S)
    assert found is not None
    table = found.group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([unescape(" ".join(re.sub(r"<[^>]+>", " ", c).split())) for c in cells])
    return [["" if c == "–" else c for c in row] for row in rows]


# The pair matrix ------------------------------------------------------------------------------------------


def test_sana_and_sohr_share_one_row_and_disagree_by_one(hajin, django_assert_num_queries):
    with django_assert_num_queries(1):
        stats = analytics.pair_stats()
    sana_sohr = pair(stats, hajin["sana"], hajin["sohr"])
    assert (sana_sohr.incidents, sana_sohr.shared_rows, sana_sohr.agreements) == (1, 1, 0)
    assert sana_sohr.mean_difference == 1
    assert sana_sohr.median_difference == 1
    assert pair(stats, hajin["sohr"], hajin["sana"]).mean_difference == -1
    assert len(stats) == 2  # Al-Alam only publishes; nobody else shares a row


def test_overlapping_intervals_count_as_agreement(hajin):
    airwars = make_source("Airwars")
    make_claim(hajin["incident"], airwars, 14, qualifier="at_least")
    stats = analytics.pair_stats()
    assert pair(stats, airwars, hajin["sana"]).agreements == 1
    assert pair(stats, airwars, hajin["sohr"]).agreements == 1
    assert pair(stats, airwars, hajin["sana"]).mean_difference == -1


def test_only_current_figures_with_an_interval_are_compared(hajin):
    # SOHR revises its toll to 15: the old 14 no longer counts.
    make_claim(hajin["incident"], hajin["sohr"], 15, stated_on=datetime.date(2018, 11, 5))
    dozens = make_source("Local activists")
    make_claim(hajin["incident"], dozens, None, qualifier="unspecified", words="عشرات")
    stats = analytics.pair_stats()
    sana_sohr = pair(stats, hajin["sana"], hajin["sohr"])
    assert (sana_sohr.agreements, sana_sohr.mean_difference) == (1, 0)
    assert not [s for s in stats if dozens.pk in (s.a_id, s.b_id)]


def test_pairs_filter_by_outcome_and_category(hajin):
    assert analytics.pair_stats(category="children") == []
    assert len(analytics.pair_stats(outcome="killed", category="civilians")) == 2


def test_matrix_page_draws_the_heatmap_with_its_numbers_and_the_table(analyst_client, hajin):
    response = analyst_client.get(MATRIX, {"metric": "mean"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert ">+1<" in svg
    assert ">−1<" in svg
    rows = html_table(response)
    assert rows[0][:4] == ["Source A", "Source B", "Shared incidents", "Shared rows"]
    assert rows[1] == ["SANA", "SOHR", "1", "1", "0", "1", "0.0", "1.0", "1.0"]


def test_matrix_csv_matches_the_table(analyst_client, hajin):
    page = analyst_client.get(MATRIX)
    download = analyst_client.get(MATRIX, {"format": "csv"})
    assert download["Content-Disposition"] == 'attachment; filename="source-pairs.csv"'
    assert csv_rows(download) == html_table(page)


def test_matrix_without_shared_rows_says_so(analyst_client, db):
    response = analyst_client.get(MATRIX)
    assert response.status_code == 200
    assert "No two sources give a figure for the same row yet." in text_of(response)


def test_matrix_rejects_an_unknown_outcome_without_an_error_page(analyst_client, hajin):
    response = analyst_client.get(MATRIX, {"outcome": "eaten"})
    assert response.status_code == 400
    assert "could not be applied" in text_of(response)


def test_htmx_filter_renders_only_the_results(analyst_client, hajin):
    response = analyst_client.get(MATRIX, {"metric": "incidents"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html


def test_hostile_source_names_are_escaped_in_chart_table_and_csv(analyst_client, hajin):
    hostile = make_source('<script>alert("x")</script>')
    formula = make_source('=HYPERLINK("http://evil")')
    make_claim(hajin["incident"], hostile, 20)
    make_claim(hajin["incident"], formula, 30)
    response = analyst_client.get(MATRIX)
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    rows = csv_rows(analyst_client.get(MATRIX, {"format": "csv"}))
    names = {row[0] for row in rows[1:]} | {row[1] for row in rows[1:]}
    assert '<script>alert("x")</script>' in names
    assert '\'=HYPERLINK("http://evil")' in names
    assert not any(name.startswith("=") for name in names)


def _many_sources(count: int) -> None:
    incidents = [make_incident(date=datetime.date(2019, month, 1)) for month in (1, 2, 3)]
    for n in range(count):
        source = make_source(f"Source {n:02d}")
        for incident in incidents:
            make_claim(incident, source, 10 + n)


@pytest.mark.parametrize("count", [3, 30])
def test_analytics_pages_cost_the_same_queries_with_3_or_30_sources(
    analyst_client, db, count, django_assert_max_num_queries
):
    _many_sources(count)
    source = analytics.Source.objects.get(name="Source 01")
    for url, params in (
        (MATRIX, {}),
        (MATRIX, {"format": "csv"}),
        (source_page(source), {}),
        (source_page(source), {"format": "csv"}),
        (TIMELINE, {}),
        (TIMELINE, {"format": "csv", "sources": [source.pk]}),
    ):
        with django_assert_max_num_queries(8):
            assert analyst_client.get(url, params).status_code == 200


def test_heatmap_keeps_the_busiest_sources_and_the_table_keeps_all(db):
    _many_sources(5)
    matrix = analytics.pair_matrix(analytics.pair_stats(), limit=3)
    assert len(matrix.sources) == 3
    assert matrix.left_out == 2
    assert len(analytics.pair_table(analytics.pair_stats()).rows) == 10


# Deviation from the others --------------------------------------------------------------------------------


def bins(distribution) -> dict[str, int]:
    return {label: count for label, count in distribution.bins if count}


def test_hajin_deviations_are_one_above_and_one_below(hajin):
    sana = analytics.deviation_distribution(hajin["sana"])
    assert (bins(sana), sana.rows, sana.mean, sana.median, sana.above) == ({"+1": 1}, 1, 1.0, 1.0, 1)
    sohr = analytics.deviation_distribution(hajin["sohr"])
    assert (bins(sohr), sohr.below, sohr.equal) == ({"−1": 1}, 1, 0)


def test_deviation_is_from_the_median_of_the_other_sources(db):
    incident = make_incident()
    a, b, c = make_source("A"), make_source("B"), make_source("C")
    make_claim(incident, a, 10)
    make_claim(incident, b, 14)
    make_claim(incident, c, 20)
    assert bins(analytics.deviation_distribution(a)) == {"−10 … −6": 1}  # 10 - median(14, 20) = -7
    assert bins(analytics.deviation_distribution(b)) == {"−1": 1}  # 14 - 15
    assert bins(analytics.deviation_distribution(c)) == {"+6 … +10": 1}  # 20 - 12
    assert analytics.deviation_distribution(b).mean == -1
    largest = analytics.largest_deviations(a)
    assert [(row.figure, row.others_median, row.others, row.deviation) for row in largest] == [
        (10, 17, 2, -7)
    ]


def test_source_page_shows_the_histogram_table_and_largest_deviations(analyst_client, hajin):
    response = analyst_client.get(source_page(hajin["sohr"]))
    assert response.status_code == 200
    text = text_of(response)
    assert "Rows compared 1" in text
    assert "Coalition strikes on Hajin" in text
    html = response.content.decode()
    assert "<svg" in html
    rows = html_table(response)
    assert ["−1", "1"] in rows
    assert csv_rows(analyst_client.get(source_page(hajin["sohr"]), {"format": "csv"})) == rows


def test_source_page_for_an_unknown_source_is_404(analyst_client, db):
    assert analyst_client.get("/analytics/sources/999999/").status_code == 404


def test_source_without_shared_rows_says_so(analyst_client, hajin):
    response = analyst_client.get(source_page(hajin["sana"]), {"category": "security_forces"})
    assert "No row where another source gives a figure too." in text_of(response)


# Claims over time -----------------------------------------------------------------------------------------


def series(data) -> dict[str, list[int]]:
    return {s.name: s.claims for s in data.series}


def test_timeline_counts_current_claims_per_month_and_source(hajin):
    data = analytics.timeline(analytics.TimelineFilters())
    assert data.months == [datetime.date(2018, 11, 1)]
    assert series(data) == {"SOHR": [4], "SANA": [2]}
    assert {s.name: s.totals for s in data.series} == {"SOHR": [33], "SANA": [19]}


def test_timeline_filters_by_place_subtree_source_outcome_category_and_dates(hajin):
    filters = analytics.TimelineFilters
    assert series(analytics.timeline(filters(place=hajin["deir"]))) == {"SOHR": [4], "SANA": [1]}
    assert series(analytics.timeline(filters(place=hajin["idlib"]))) == {"SANA": [1]}
    assert series(analytics.timeline(filters(sources=[hajin["sana"]]))) == {"SANA": [2]}
    assert series(analytics.timeline(filters(category="children"))) == {"SOHR": [1]}
    assert series(analytics.timeline(filters(outcome="injured"))) == {}
    assert series(analytics.timeline(filters(date_from=datetime.date(2018, 11, 4)))) == {"SANA": [1]}
    assert series(analytics.timeline(filters(date_to=datetime.date(2018, 11, 3)))) == {
        "SOHR": [4],
        "SANA": [1],
    }


def test_timeline_fills_empty_months_and_groups_the_quieter_sources(hajin):
    later = make_incident(date=datetime.date(2019, 1, 20))
    for name in ("X", "Y"):
        make_claim(later, make_source(name), 3)
    data = analytics.timeline(analytics.TimelineFilters(), top=2)
    assert [m.isoformat() for m in data.months] == ["2018-11-01", "2018-12-01", "2019-01-01"]
    assert series(data) == {"SOHR": [4, 0, 0], "SANA": [2, 0, 0], analytics.OTHERS: [0, 0, 2]}


def test_timeline_page_draws_the_chart_and_its_csv_matches_the_table(analyst_client, hajin):
    params = {"place": hajin["deir"].pk, "measure": "total"}
    response = analyst_client.get(TIMELINE, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "SOHR (33)" in html  # legend with the total
    rows = html_table(response)
    assert rows == [["Month", "SOHR", "SANA"], ["2018-11", "33", "15"]]
    assert csv_rows(analyst_client.get(TIMELINE, {**params, "format": "csv"})) == rows


def test_timeline_rejects_a_start_after_the_end(analyst_client, hajin):
    response = analyst_client.get(TIMELINE, {"date_from": "2019-01-01", "date_to": "2018-01-01"})
    assert response.status_code == 400
    assert "The start date is after the end date." in text_of(response)
    bad_csv = analyst_client.get(TIMELINE, {"date_from": "not a date", "format": "csv"})
    assert bad_csv.status_code == 400
    assert not bad_csv["Content-Type"].startswith("text/csv")


def test_analytics_link_in_the_navigation_and_on_the_source_page(analyst_client, hajin):
    assert 'href="/analytics/">Analytics</a>' in analyst_client.get("/").content.decode()
    detail = analyst_client.get(f"/sources/{hajin['sohr'].pk}/").content.decode()
    assert f'href="/analytics/sources/{hajin["sohr"].pk}/"' in detail
    assert f'href="/analytics/history/source/{hajin["sohr"].pk}/"' in detail


def test_a_corrected_figure_replaces_the_old_one_in_the_comparison(hajin, admin_user):
    sana_claim = hajin["incident"].claims.get(claimed_by=hajin["sana"])
    services.update_claim(claim=sana_claim, user=admin_user, low=16, high=16)
    assert pair(analytics.pair_stats(), hajin["sana"], hajin["sohr"]).mean_difference == 2
