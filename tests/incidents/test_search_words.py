"""The list's search finds incidents by the start of their last word through the words the database lists
(incidents_search_word): whatever writes the incidents and places, the list finds what a prefix match of the
text index finds."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from incidents import filters
from incidents.services import update_incident
from sources.extraction.normalize import search_terms
from tests.factories import make_incident, make_place
from tests.incidents.test_views import text_of

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")


def listed_titles(client, query: str, titles: list[str]) -> set[str]:
    """Which of ``titles`` the list shows for ``query`` (one page: the tests' matches fit on it)."""
    text = text_of(client.get(LIST, {"q": query}))
    return {title for title in titles if title in text}


def prefix_matches(query: str) -> set[str]:
    """The titles of the incidents that the text index matches with the query's last word as a prefix, or that
    are filed under a place whose names match it: the list's answer, worked out without the word list."""
    terms = search_terms(query)
    raw = " & ".join([*(f"'{t}'" for t in terms[:-1]), f"'{terms[-1]}':*"])
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.title FROM incidents_incident i
               WHERE to_tsvector('simple', i.search_key) @@ to_tsquery('simple', %(q)s)
                  OR i.id IN (SELECT ip.incident_id FROM incidents_incident_places ip
                              JOIN incidents_place p ON p.id = ip.place_id
                              WHERE to_tsvector('simple', p.search_key) @@ to_tsquery('simple', %(q)s))""",
            {"q": raw},
        )
        return {title for (title,) in cursor.fetchall()}


@pytest.fixture
def titled(hajin):
    """Incidents whose words share their starts, in places whose names do too."""
    qaryatayn = make_place("Al-Qaryatayn", name_ar="القريتين", parent=hajin["syria"])
    titles = [
        "Shelling of Qaryatayn outskirts",
        "Raid near Qaryat al-Asad",
        "Airstrike on the Qaryatayn road",
        "غارة على قرية الزيتون",
        "غارات على الزيتونة",
        "Explosion in a market",
    ]
    for title in titles:
        make_incident(title, places=[qaryatayn] if "market" in title else [])
    return [*titles, "Coalition strikes on Hajin", "Shelling of al-Dajaj"]


@pytest.mark.parametrize(
    "query",
    [
        "qaryat",
        "qary",
        "Qaryatayn",
        "shelling qar",
        "زيتون",
        "الزيتو",
        "غارة الزيت",
        "قري",
        "market",
        "hajin",
        "xyz",
    ],
)
def test_a_search_finds_what_a_prefix_match_of_the_text_finds(analyst_client, titled, query):
    assert listed_titles(analyst_client, query, titled) == prefix_matches(query) & set(titled)


def test_a_partly_typed_word_finds_every_word_it_starts(analyst_client, titled):
    assert listed_titles(analyst_client, "qaryat", titled) == {
        "Shelling of Qaryatayn outskirts",
        "Raid near Qaryat al-Asad",
        "Airstrike on the Qaryatayn road",
        "Explosion in a market",  # filed under al-Qaryatayn
    }
    assert listed_titles(analyst_client, "غارة الزيتو", titled) == {"غارة على قرية الزيتون"}


# Each new word below starts like a word already listed: a search that missed the new word would show the
# incidents of the old one only (a start that no listed word has is sent as a prefix, and would find it anyway).


def test_a_new_incident_is_found_by_the_start_of_its_new_word(analyst_client, titled):
    make_incident("Drone strike on Qaryatain")
    titled.append("Drone strike on Qaryatain")
    assert "Drone strike on Qaryatain" in listed_titles(analyst_client, "qaryat", titled)


def test_a_retitled_incident_is_found_by_its_new_words(analyst_client, titled, admin_user):
    from incidents.models import Incident

    incident = Incident.objects.get(title="Shelling of Qaryatayn outskirts")
    update_incident(incident=incident, user=admin_user, title="Shelling of Qaryatiya outskirts")
    titled.append("Shelling of Qaryatiya outskirts")
    assert "Shelling of Qaryatiya outskirts" in listed_titles(analyst_client, "qaryat", titled)


def test_a_renamed_place_is_searched_by_its_new_name(analyst_client, titled):
    from incidents.models import Place

    place = Place.objects.get(name_en="Al-Qaryatayn")
    place.name_en, place.name_ar = "Shellal", ""
    place.fill_search_keys()
    place.save()
    # "shel" starts "shelling" (two titles) and now "shellal", the market's place.
    assert listed_titles(analyst_client, "shel", titled) == {
        "Shelling of Qaryatayn outskirts",
        "Shelling of al-Dajaj",
        "Explosion in a market",
    }


def test_a_start_of_too_many_words_is_still_matched_as_a_prefix(analyst_client, titled, monkeypatch):
    monkeypatch.setattr(filters, "PREFIX_WORDS", 1)  # "qaryat" starts two words: more than one
    assert filters.list_tsquery("qaryat") == "'qaryat':*"
    assert len(listed_titles(analyst_client, "qaryat", titled)) == 4


def test_the_list_asks_for_the_whole_words_a_prefix_stands_for(titled):
    assert filters.list_tsquery("shelling qaryat") == "'shelling' & ('qaryat' | 'qaryatayn')"
    assert filters.list_tsquery("qaryata") == "'qaryatayn'"
    assert filters.list_tsquery("zzz") == "'zzz':*"  # no listed word starts with it
    # Text that PostgreSQL's word parser would split is left as the prefix it was.
    assert filters.list_tsquery("a_b") == "'a_b':*"


def test_words_with_quotes_and_backslashes_are_quoted_for_the_query(analyst_client, hajin):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO incidents_search_word (word) VALUES ('qu''ote'), ('qu\\ote')")
    # Both round-trip through to_tsquery or are left out: the query runs and finds nothing.
    response = analyst_client.get(LIST, {"q": "qu"})
    assert response.status_code == 200
    assert "Coalition strikes on Hajin" not in text_of(response)


def test_the_start_of_a_number_is_matched_as_a_prefix(analyst_client, titled):
    # Numbers are not listed (most of them would be figures and dates): their starts are sent as prefixes.
    make_incident("Strike 1234 on Hajin")
    make_incident("Strike 1290 on Hajin")
    titled += ["Strike 1234 on Hajin", "Strike 1290 on Hajin"]
    assert filters.list_tsquery("strike 12") == "'strike' & '12':*"
    assert listed_titles(analyst_client, "strike 12", titled) == {
        "Strike 1234 on Hajin",
        "Strike 1290 on Hajin",
    }
