"""The incident pages through the test client on PostgreSQL."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.urls import reverse

from tests.factories import make_claim, make_incident, make_place, make_source

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")


def text_of(response) -> str:
    """The page's visible text, whitespace folded."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_list_shows_the_range_across_sources_and_a_conflict_badge(analyst_client, hajin):
    response = analyst_client.get(LIST)
    assert response.status_code == 200
    text = text_of(response)
    assert "Coalition strikes on Hajin" in text
    assert "Killed: 14–15 civilians" in text
    assert "⚠ Conflict" in text


def test_conflicting_only_hides_incidents_whose_sources_agree(analyst_client, hajin):
    text = text_of(analyst_client.get(LIST, {"conflicting": "on"}))
    assert "Coalition strikes on Hajin" in text
    assert "Shelling of al-Dajaj" not in text


def test_place_filter_includes_sub_places(analyst_client, hajin):
    text = text_of(analyst_client.get(LIST, {"place": hajin["deir"].pk}))
    assert "Coalition strikes on Hajin" in text
    assert "Shelling of al-Dajaj" not in text
    text = text_of(analyst_client.get(LIST, {"place": hajin["syria"].pk}))
    assert "Coalition strikes on Hajin" in text and "Shelling of al-Dajaj" in text


@pytest.mark.parametrize("query", ["هجين", "هجّين", "وهجين", "hajin", "HAJIN", "Haj"])
def test_search_matches_normalised_arabic_and_english(analyst_client, hajin, query):
    text = text_of(analyst_client.get(LIST, {"q": query}))
    assert "Coalition strikes on Hajin" in text
    assert "Shelling of al-Dajaj" not in text


def test_source_outcome_and_category_filters_apply_to_one_claim(analyst_client, hajin):
    sohr = hajin["sohr"].pk
    assert "Coalition strikes on Hajin" in text_of(
        analyst_client.get(LIST, {"source": sohr, "category": "women"})
    )
    text = text_of(analyst_client.get(LIST, {"source": hajin["sana"].pk, "category": "women"}))
    assert "No incidents match" in text


def test_htmx_filter_request_returns_only_the_results(analyst_client, hajin):
    response = analyst_client.get(LIST, {"conflicting": "on"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    assert "Coalition strikes on Hajin" in html


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "not-a-date"},
        {"place": "999999"},
        {"place": "abc"},
        {"source": "-1"},
        {"outcome": "exploded"},
        {"sort": "random"},
        {"after": "garbage"},
        {"after": "2018-13-45_1"},
        {"after": "1_2_3_4"},
    ],
)
def test_malformed_filters_give_a_400_page_not_a_500(analyst_client, hajin, params):
    response = analyst_client.get(LIST, params)
    assert response.status_code == 400
    assert "could not be applied" in text_of(response) or "Select a valid choice" in text_of(response)


def test_keyset_pagination_walks_every_incident_once(analyst_client, hajin, settings):
    settings.PAGE_SIZE = 3
    source = make_source("Airwars")
    for day in range(7):
        incident = make_incident(f"Page test {day}", date=datetime.date(2020, 1, 1 + day))
        make_claim(incident, source, day)
    seen: list[str] = []
    params: dict[str, str] = {"q": "page test"}
    for _ in range(5):
        response = analyst_client.get(LIST, params)
        assert response.status_code == 200
        seen += re.findall(r"Page test \d", response.content.decode())
        match = re.search(r'href="\?[^"]*after=([^"&]+)"', response.content.decode())
        if not match:
            break
        params = {"q": "page test", "after": match.group(1)}
    assert seen == [f"Page test {d}" for d in range(6, -1, -1)]


def test_list_runs_a_fixed_number_of_queries(analyst_client, hajin, django_assert_max_num_queries):
    source = make_source("Airwars")
    for day in range(20):
        make_claim(make_incident(f"Extra {day}", places=[hajin["idlib"]]), source, day)
    # The session; the user with their permissions and roles; the incidents with their places and retained
    # figures; the menus' version, and the menus themselves when they changed since this process built them.
    with django_assert_max_num_queries(6):
        assert analyst_client.get(LIST).status_code == 200
    # A place (or source) the menus list is taken from them: no query of its own; a search looks up the
    # words its last term starts (incidents_search_word).
    with django_assert_max_num_queries(5):
        response = analyst_client.get(
            LIST, {"q": "extra", "place": hajin["syria"].pk, "source": source.pk, "conflicting": ""}
        )
    assert response.status_code == 200 and "Extra 19" in text_of(response)


def test_a_place_below_the_menus_levels_is_looked_up_and_shown_selected(
    analyst_client, hajin, django_assert_num_queries
):
    hamlet = make_place("Hajin farms", parent=hajin["hajin_place"])
    make_incident("Raid on the farms", places=[hamlet])
    analyst_client.get(LIST)  # the menus, built once
    # The four of every page, the place's look-up for the filter and its entry in the menu.
    with django_assert_num_queries(6):
        response = analyst_client.get(LIST, {"place": hamlet.pk})
    text = text_of(response)
    assert "Raid on the farms" in text and "Coalition strikes on Hajin" not in text
    assert f'<option value="{hamlet.pk}" selected>' in response.content.decode()


def test_detail_sets_every_source_figure_side_by_side(analyst_client, hajin):
    response = analyst_client.get(reverse("incidents:detail", args=[hajin["incident"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr class="conflict" data-row="killed-civilians">(.*?)</tr>', html, re.S)
    assert row, "the killed civilians row is marked as a conflict"
    cells = re.findall(r'data-source="(\w+)">(\d+)<', row.group(1))
    assert cells == [("SANA", "15"), ("SOHR", "14")]
    assert "✕ Conflict" in row.group(1)
    assert 'data-row="killed-children"' in html and 'data-row="killed-women"' in html
    isis = re.search(r'data-row="killed-combatants-isis">(.*?)</tr>', html, re.S)
    assert isis and 'data-source="SOHR">9<' in isis.group(1)
    text = text_of(response)
    assert "spread 1 (7%)" in text
    assert "low: most conservative figure (SOHR); high: highest figure stated (SANA)" in text
    assert '<q class="words" lang="ar" dir="rtl">15 مدنيا</q>' in html


def test_detail_lists_the_reports_and_earlier_revisions(analyst_client, hajin):
    incident = hajin["incident"]
    make_claim(incident, hajin["sana"], 20, stated_on=datetime.date(2018, 11, 6), note="toll rises")
    text = text_of(analyst_client.get(reverse("incidents:detail", args=[incident.pk])))
    assert "Earlier figures from this source: 15" in text
    assert "غارات على هجين" in text


def test_detail_reports_a_lowered_toll_without_comment(analyst_client, hajin):
    incident = hajin["incident"]
    make_claim(incident, hajin["sohr"], 12, stated_on=datetime.date(2018, 11, 7))
    text = text_of(analyst_client.get(reverse("incidents:detail", args=[incident.pk])))
    assert "SOHR lowered its killed civilians figure from 14 to 12 without a comment" in text


def test_detail_runs_a_fixed_number_of_queries(analyst_client, hajin, django_assert_max_num_queries):
    incident = hajin["incident"]
    url = reverse("incidents:detail", args=[incident.pk])
    # The session, the user with their permissions, and the incident with everything its page shows.
    with django_assert_max_num_queries(3) as small:
        analyst_client.get(url)
    for n in range(10):
        make_claim(incident, make_source(f"Extra source {n}"), n, category="people")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert "Extra source 9" in analyst_client.get(url).content.decode()


def test_unknown_incident_is_a_404(analyst_client, hajin):
    assert analyst_client.get("/incidents/999999/").status_code == 404


def test_list_and_export_carry_the_figure_editors_retained(analyst_client, hajin, editor):
    from incidents import services

    flag = services.flag_discrepancy(
        incident=hajin["incident"], outcome="killed", category="civilians", user=editor, note="15 vs 14"
    )
    services.resolve_flag(
        flag=flag, user=editor, low=14, high=15, note="range 14-15", expected_version=flag.version
    )
    text = text_of(analyst_client.get(LIST))
    assert "Retained by editors: killed civilians 14–15" in text

    response = analyst_client.get(reverse("imports:export"), {"format": "json", "q": "hajin"})
    exported = json.loads(b"".join(response.streaming_content))
    rows = [row for row in exported if row["category"] == "civilians" and row["source"] == "SANA"]
    assert rows
    assert (rows[0]["flag_status"], rows[0]["retained_low"], rows[0]["retained_high"]) == ("resolved", 14, 15)
    assert rows[0]["retained_reason"] == "range 14-15"


def test_list_rows_link_to_each_incident_under_the_sites_prefix(analyst_client, hajin):
    from django.urls import set_script_prefix

    # The app served under /hasila/ (WSGI's SCRIPT_NAME), then at the root again: the rows follow.
    try:
        for prefix in ("/", "/hasila/", "/"):
            set_script_prefix(prefix)
            html = analyst_client.get("/").content.decode()
            for incident in (hajin["incident"], hajin["quiet"]):
                assert f'href="{prefix}incidents/{incident.pk}/"' in html
    finally:
        set_script_prefix("/")


def test_one_pages_filters_do_not_leak_into_the_next(analyst_client, hajin):
    """The filter form's class is built once per process: each page still gets its own fields and values."""
    first = analyst_client.get(LIST, {"q": "hajin", "place": hajin["deir"].pk, "conflicting": "on"})
    assert "Shelling of al-Dajaj" not in text_of(first)
    second = analyst_client.get(LIST)
    html = second.content.decode()
    assert "Coalition strikes on Hajin" in text_of(second) and "Shelling of al-Dajaj" in text_of(second)
    assert 'value="hajin"' not in html and f'<option value="{hajin["deir"].pk}" selected>' not in html
    assert 'name="conflicting" id="id_conflicting" checked' not in html
