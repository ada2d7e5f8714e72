"""What the list, detail and queue pages ask of the database: nothing counted over a whole table, menus only
when the form is shown, searches served by the indexes, and the filter menus as before."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_claim, make_incident, make_place, make_source
from tests.incidents.test_views import text_of

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")
BIG_TABLES = re.compile(r'\bFROM\s+"?(incidents_incident|incidents_claim)"?\s', re.IGNORECASE)


def unfiltered_counts(client, url: str, params: dict[str, str] | None = None) -> list[str]:
    """The COUNTs of a request that read the incidents or claims table without any condition."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == 200
    found = []
    for query in context.captured_queries:
        sql = query["sql"]
        if "COUNT(" in sql.upper() and BIG_TABLES.search(sql) and " WHERE " not in sql.upper():
            found.append(sql)
    return found


@pytest.mark.parametrize(
    "params", [{}, {"conflicting": "on"}, {"q": "hajin"}, {"sort": "sources"}, {"flag_status": "open"}]
)
def test_the_list_counts_no_whole_table(editor_client, hajin, params):
    assert unfiltered_counts(editor_client, LIST, params) == []


def test_the_detail_and_the_queue_count_no_whole_table(editor_client, hajin):
    assert unfiltered_counts(editor_client, reverse("incidents:detail", args=[hajin["incident"].pk])) == []
    assert unfiltered_counts(editor_client, reverse("flags:queue")) == []
    assert unfiltered_counts(editor_client, reverse("flags:queue"), {"sort": "recent"}) == []


def test_an_htmx_filter_change_does_not_read_the_menus(analyst_client, hajin, django_assert_max_num_queries):
    """The results partial has no form, so the menus are not read for it; their version comes with the list's
    own statement on every list page, never as a statement of its own."""
    # The session, the user (with permissions and roles), the incidents (with places and retained figures).
    with django_assert_max_num_queries(3), CaptureQueriesContext(connection) as context:
        response = analyst_client.get(LIST, {"conflicting": "on"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert not [
        q
        for q in context.captured_queries
        if '"sources_source"' in q["sql"] or '"incidents_place" ' in q["sql"]
    ]
    analyst_client.get(LIST, {"conflicting": "on"})  # builds this process's menus
    with django_assert_max_num_queries(3), CaptureQueriesContext(connection) as context:
        analyst_client.get(LIST, {"conflicting": "on"})
    (version_read,) = [q["sql"] for q in context.captured_queries if "menu_version" in q["sql"]]
    assert version_read.startswith('SELECT "incidents_incident"."id"')


def test_the_menus_list_the_upper_places_and_every_source_with_the_choice_selected(analyst_client, hajin):
    html = analyst_client.get(LIST, {"place": hajin["deir"].pk, "source": hajin["sohr"].pk}).content.decode()
    assert f'<option value="{hajin["deir"].pk}" selected>— Deir ez-Zor / دير الزور</option>' in html
    assert f'<option value="{hajin["syria"].pk}">Syria / سوريا</option>' in html
    assert f'<option value="{hajin["sohr"].pk}" selected>SOHR</option>' in html
    assert "Hajin / هجين</option>" not in html  # communities are not in the menu unless chosen
    village = hajin["incident"].places.get()
    html = analyst_client.get(LIST, {"place": village.pk}).content.decode()
    assert f'<option value="{village.pk}" selected>— — — Hajin / هجين</option>' in html


def test_menu_labels_are_escaped(analyst_client, hajin):
    make_source("<b>Bold & Co</b>")
    html = analyst_client.get(LIST).content.decode()
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;</option>" in html
    assert "<b>Bold" not in html


def test_search_finds_incidents_by_the_name_of_their_place(analyst_client, hajin):
    village = make_place("Tal Hamra", name_ar="تل الحمراء", parent=hajin["idlib"])
    incident = make_incident("Shelling at dawn", places=[village])
    make_claim(incident, make_source("Airwars"), 3)
    for query in ("الحمراء", "حمراء", "tal hamra"):
        text = text_of(analyst_client.get(LIST, {"q": query}))
        assert "Shelling at dawn" in text
        assert "Coalition strikes on Hajin" not in text


def test_a_search_matching_nothing_says_so(analyst_client, hajin):
    assert "No incidents match" in text_of(analyst_client.get(LIST, {"q": "xyzzy"}))


def titles_page_by_page(client, params: dict[str, str], title: str, pages: int = 10) -> list[str]:
    """What ``title`` (a pattern) finds on the list's pages, following each page's "Next page" cursor."""
    seen: list[str] = []
    query = dict(params)
    for _ in range(pages):
        html = client.get(LIST, query).content.decode()
        seen += re.findall(title, html)
        cursor = re.search(r'href="\?[^"]*after=([^"&]+)"', html)
        if not cursor:
            return seen
        query = {**params, "after": cursor.group(1)}
    raise AssertionError(f"more than {pages} pages")


def test_the_most_sources_sort_pages_by_cursor_through_every_incident(analyst_client, hajin, settings):
    settings.PAGE_SIZE = 2
    sources = [make_source(f"Source {n}") for n in range(4)]
    for n in range(5):
        incident = make_incident(f"Sorted {n}")
        for source in sources[: n % 4 + 1]:
            make_claim(incident, source, 10)
    seen = titles_page_by_page(analyst_client, {"q": "sorted", "sort": "sources"}, r"Sorted \d")
    assert sorted(seen) == [f"Sorted {n}" for n in range(5)]
    assert seen[0] == "Sorted 3"  # four sources


def test_search_matches_whole_words_and_the_start_of_the_last_one(analyst_client, hajin):
    """As typed into a box: the last word may be unfinished; the words before it are whole words."""
    for query in ("coalition strik", "Coalition strikes on haj", "هجين"):
        assert "Coalition strikes on Hajin" in text_of(analyst_client.get(LIST, {"q": query})), query
    assert "No incidents match" in text_of(analyst_client.get(LIST, {"q": "coal strikes"}))


def test_a_search_pages_newest_first_through_matches_by_text_and_by_place(analyst_client, hajin, settings):
    import datetime

    settings.PAGE_SIZE = 2
    village = make_place("Kafr Ruma", name_ar="كفر روما", parent=hajin["idlib"])
    expected = []
    for day in range(1, 8):
        # Odd days match by their own title, even days by their place only; one of each day does not match.
        if day % 2:
            found = make_incident(f"Raid on Kafr Ruma {day}", date=datetime.date(2019, 1, day))
        else:
            found = make_incident(f"Raid {day}", date=datetime.date(2019, 1, day), places=[village])
        make_incident(f"Raid elsewhere {day}", date=datetime.date(2019, 1, day), places=[hajin["idlib"]])
        expected.append(found.title)
    seen = titles_page_by_page(analyst_client, {"q": "kafr ruma"}, r">(Raid[^<]*)</a>")
    assert seen == expected[::-1]  # newest first, each once, across four pages
