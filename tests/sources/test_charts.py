"""Server-drawn SVG charts: accessible, numbers printed, labels escaped. Pure: no database."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from sources import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & "SANA"'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(svg: str) -> list[str]:
    return [el.text or "" for el in parse(svg).iter(f"{SVG}text")]


def test_heatmap_is_an_accessible_image_with_a_title():
    svg = charts.heatmap(
        title="Sources compared",
        rows=["SANA", "SOHR"],
        columns=["SANA", "SOHR"],
        values=[[None, 1], [-1, None]],
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Sources compared"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == "Sources compared"


def test_heatmap_prints_every_value_and_a_dash_for_empty_cells():
    svg = charts.heatmap(
        title="t",
        rows=["A", "B"],
        columns=["A", "B"],
        values=[[None, 1.5], [-1.5, None]],
        format_value=charts.signed,
        diverging=True,
    )
    shown = texts(svg)
    assert "+1.5" in shown
    assert "−1.5" in shown
    assert shown.count("–") == 2


def test_heatmap_colours_differ_above_and_below_zero_on_a_diverging_scale():
    above = charts.cell_colour(5, scale=5, diverging=True)
    below = charts.cell_colour(-5, scale=5, diverging=True)
    assert above != below
    assert charts.cell_colour(0, scale=5, diverging=True) == "#ffffff"


def test_hostile_labels_are_escaped_in_every_chart():
    drawn = [
        charts.heatmap(title=HOSTILE, rows=[HOSTILE], columns=[HOSTILE], values=[[1]], notes=[[HOSTILE]]),
        charts.histogram(title=HOSTILE, bins=[(HOSTILE, 3)], x_label=HOSTILE),
        charts.line_chart(title=HOSTILE, x_labels=[HOSTILE], series=[(HOSTILE, [2])], y_label=HOSTILE),
    ]
    for svg in drawn:
        assert "<script" not in svg
        assert "&lt;script&gt;" in svg
        root = parse(svg)  # still well-formed XML
        assert root.get("aria-label") == HOSTILE


def test_histogram_prints_each_count_above_its_bar():
    svg = charts.histogram(title="Deviation", bins=[("−1", 4), ("0", 0), ("+1", 17)], x_label="difference")
    shown = texts(svg)
    for label, count in (("−1", "4"), ("0", "0"), ("+1", "17")):
        assert label in shown
        assert count in shown
    assert len(parse(svg).findall(f".//{SVG}rect")) == 3


def test_line_chart_has_a_legend_with_totals_and_a_tooltip_per_point():
    svg = charts.line_chart(
        title="Claims",
        x_labels=["2018-11", "2018-12"],
        series=[("SANA", [2, 0]), ("SOHR", [4, 1])],
        y_label="claims",
    )
    shown = texts(svg)
    assert "SANA (2)" in shown
    assert "SOHR (5)" in shown
    tooltips = [el.text for el in parse(svg).iter(f"{SVG}title")]
    assert "SOHR · 2018-12: 1" in tooltips
    # Lines differ by dash pattern, not by colour only.
    dashes = {el.get("stroke-dasharray") for el in parse(svg).iter(f"{SVG}polyline")}
    assert len(dashes) == 2


def test_line_chart_with_one_month_still_draws_points():
    svg = charts.line_chart(title="t", x_labels=["2018-11"], series=[("SANA", [3])], y_label="claims")
    assert parse(svg).find(f".//{SVG}circle") is not None


def test_charts_without_data_are_still_valid_svg():
    assert parse(charts.histogram(title="t", bins=[], x_label="x")).get("role") == "img"
    assert parse(charts.line_chart(title="t", x_labels=[], series=[], y_label="y")).get("role") == "img"
    assert parse(charts.heatmap(title="t", rows=[], columns=[], values=[])).get("role") == "img"


def test_signed_numbers_use_a_real_minus_sign():
    assert [charts.signed(v) for v in (1, -2.5, 0)] == ["+1", "−2.5", "0"]


def test_long_labels_are_shortened_with_the_full_name_as_tooltip():
    name = "Syrian Observatory for Human Rights (London)"
    svg = charts.heatmap(title="t", rows=[name], columns=[name], values=[[None]])
    assert name in [el.text for el in parse(svg).iter(f"{SVG}title")]
    assert any(re.fullmatch(r".{21}…", text) for text in texts(svg))


def test_value_axes_step_in_whole_numbers():
    svg = charts.histogram(title="t", bins=[("a", 5), ("b", 3)], x_label="x")
    assert [t for t in texts(svg) if t in {"0", "2", "4", "6", "8"}][:5] == ["0", "2", "4", "6", "8"]
    assert not [t for t in texts(svg) if "." in t]
