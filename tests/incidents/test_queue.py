"""The discrepancy queue: rows computed by PostgreSQL, filters, sorts, keyset pages, a fixed query count."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from incidents import services
from incidents.models import Flag, Incident
from incidents.selectors import QueueFilters, discrepancy_page
from tests.factories import make_claim, make_incident, make_source
from tests.incidents.test_views import text_of

pytestmark = pytest.mark.django_db
QUEUE = reverse("flags:queue")


def rows(response) -> list[str]:
    """The queue's rows as "incident id-outcome-category[-party]", in order."""
    return re.findall(r'data-discrepancy="([^"]+)"', response.content.decode())


def make_conflicts(count: int, place=None) -> list[int]:
    """``count`` incidents whose two sources conflict on killed civilians, spreads 1..count."""
    a, b = make_source("Source A"), make_source("Source B")
    ids = []
    for n in range(1, count + 1):
        incident = make_incident(f"Conflict {n}", places=[place] if place else [])
        make_claim(incident, a, 10)
        make_claim(incident, b, 10 + n)
        ids.append(incident.pk)
    return ids


def test_the_queue_lists_the_hajin_conflict_with_figures_spread_and_flag_status(analyst_client, hajin):
    response = analyst_client.get(QUEUE)
    assert response.status_code == 200
    hajin_id = hajin["incident"].pk
    # Only the conflicting row: children, women and ISIS have one source each; al-Dajaj has one source.
    assert rows(response) == [f"{hajin_id}-killed-civilians"]
    text = text_of(response)
    assert "Coalition strikes on Hajin" in text
    assert "Killed · Civilians ✕ Conflict" in text
    assert "SANA: 15 (2018-11-04)" in text and "SOHR: 14 (2018-11-04)" in text
    assert "1 7%" in text  # the spread, absolute and relative
    assert "Not flagged" in text and "ago" in text


def test_overlapping_figures_are_not_a_discrepancy(analyst_client, hajin):
    make_claim(hajin["incident"], make_source("Airwars"), 5, 9, category="children")
    make_claim(hajin["incident"], hajin["sana"], 9, qualifier="at_least", category="combatants", party="ISIS")
    assert rows(analyst_client.get(QUEUE)) == [f"{hajin['incident'].pk}-killed-civilians"]


def test_a_flagged_row_shows_its_status_assignee_and_retained_figure(analyst_client, hajin, editor):
    flag = services.flag_discrepancy(
        incident=hajin["incident"], outcome="killed", category="civilians", user=editor, assigned_to=editor
    )
    services.resolve_flag(flag=flag, user=editor, low=14, high=15, note="range 14-15", expected_version=1)
    text = text_of(analyst_client.get(QUEUE))
    assert "Resolved" in text and "→ eddie" in text and "Retained: 14–15" in text


def test_a_flagged_row_stays_in_the_queue_after_its_sources_come_to_agree(analyst_client, hajin, editor):
    services.flag_discrepancy(incident=hajin["incident"], outcome="killed", category="civilians", user=editor)
    make_claim(hajin["incident"], hajin["sana"], 14, stated_on=datetime.date(2018, 11, 6), note="revised")
    response = analyst_client.get(QUEUE)
    assert rows(response) == [f"{hajin['incident'].pk}-killed-civilians"]
    assert "✓ Agree now" in text_of(response)


def test_editors_can_flag_from_the_queue(editor_client, analyst_client, hajin):
    html = editor_client.get(QUEUE).content.decode()
    assert 'hx-post="/queue/flag/"' in html and 'name="category" value="civilians"' in html
    assert "/queue/flag/" not in analyst_client.get(QUEUE).content.decode()
    # The row's form, submitted with the fields the page gave it (its CSRF token included, under a client
    # that checks it), flags that row.
    form = re.search(r'<form class="row-flag flag-form".*?</form>', html, re.S)
    assert form is not None
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0)))
    assert data["incident"] == str(hajin["incident"].pk) and data["outcome"] == "killed"
    checking = Client(enforce_csrf_checks=True)
    checking.cookies = editor_client.cookies
    response = checking.post(
        reverse("flags:create"), data | {"note": "SANA 15, SOHR 14"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert Flag.objects.filter(
        incident=hajin["incident"], outcome="killed", category=data["category"]
    ).exists()


def test_place_filter_takes_the_whole_sub_tree(analyst_client, hajin):
    [other] = make_conflicts(1, place=hajin["idlib"])
    hajin_row = f"{hajin['incident'].pk}-killed-civilians"
    assert rows(analyst_client.get(QUEUE, {"place": hajin["deir"].pk})) == [hajin_row]
    assert rows(analyst_client.get(QUEUE, {"place": hajin["idlib"].pk})) == [f"{other}-killed-civilians"]
    assert len(rows(analyst_client.get(QUEUE, {"place": hajin["syria"].pk}))) == 2


def test_date_source_outcome_and_category_filters(analyst_client, hajin):
    make_conflicts(1)  # dated in 2018 by the factory, never on 3 November
    hajin_row = f"{hajin['incident'].pk}-killed-civilians"
    day = {"date_from": "2018-11-03", "date_to": "2018-11-03"}
    assert rows(analyst_client.get(QUEUE, day)) == [hajin_row]
    assert rows(analyst_client.get(QUEUE, {"source": hajin["sohr"].pk})) == [hajin_row]
    assert len(rows(analyst_client.get(QUEUE, {"category": "civilians", "outcome": "killed"}))) == 2
    assert rows(analyst_client.get(QUEUE, {"category": "women"})) == []
    assert rows(analyst_client.get(QUEUE, {"outcome": "injured"})) == []


def test_status_and_assigned_to_me_filters(editor_client, hajin, editor):
    ids = make_conflicts(3)
    services.flag_discrepancy(
        incident=hajin["incident"], outcome="killed", category="civilians", user=editor, assigned_to=editor
    )
    second = services.flag_discrepancy(
        incident=Incident.objects.get(pk=ids[0]),
        outcome="killed",
        category="civilians",
        user=editor,
    )
    services.dismiss_flag(flag=second, user=editor, note="different scopes", expected_version=1)
    hajin_row = f"{hajin['incident'].pk}-killed-civilians"
    assert rows(editor_client.get(QUEUE, {"mine": "on"})) == [hajin_row]
    assert rows(editor_client.get(QUEUE, {"status": "open"})) == [hajin_row]
    assert rows(editor_client.get(QUEUE, {"status": "active"})) == [hajin_row]
    assert rows(editor_client.get(QUEUE, {"status": "dismissed"})) == [f"{ids[0]}-killed-civilians"]
    assert sorted(rows(editor_client.get(QUEUE, {"status": "unflagged"}))) == sorted(
        f"{pk}-killed-civilians" for pk in ids[1:]
    )


def test_sorting_by_spread_and_by_recency(analyst_client, hajin):
    ids = make_conflicts(3)  # spreads 1, 2, 3, entered in that order
    by_spread = rows(analyst_client.get(QUEUE, {"sort": "spread"}))
    assert by_spread[:3] == [f"{pk}-killed-civilians" for pk in reversed(ids)]
    make_claim(hajin["incident"], hajin["sana"], 16, stated_on=datetime.date(2018, 11, 6), note="rises")
    assert (
        rows(analyst_client.get(QUEUE, {"sort": "recent"}))[0] == f"{hajin['incident'].pk}-killed-civilians"
    )


@pytest.mark.parametrize("sort", ["spread", "recent", "date"])
def test_keyset_pages_walk_every_row_once(analyst_client, hajin, settings, sort):
    settings.PAGE_SIZE = 4
    make_conflicts(9)
    seen: list[str] = []
    params: dict[str, str] = {"sort": sort}
    for _ in range(10):
        response = analyst_client.get(QUEUE, params)
        assert response.status_code == 200
        seen += rows(response)
        match = re.search(r'href="\?[^"]*after=([^"&]+)"', response.content.decode())
        if not match:
            break
        params = {"sort": sort, "after": match.group(1)}
    assert len(seen) == 10 and len(set(seen)) == 10


def test_the_selector_pages_like_the_view(hajin):
    make_conflicts(5)
    first = discrepancy_page(QueueFilters(), after=None, size=3)
    second = discrepancy_page(QueueFilters(), after=first.next_cursor, size=3)
    assert [d.spread for d in first.items] == [5, 4, 3]
    assert [d.spread for d in second.items] == [2, 1, 1] and second.next_cursor is None


@pytest.mark.parametrize(
    "params", [{"after": "not-a-cursor"}, {"after": "WzEsMl0"}, {"date_from": "yesterday"}, {"sort": "size"}]
)
def test_bad_parameters_are_a_400_with_a_message_never_a_500(analyst_client, hajin, params):
    response = analyst_client.get(QUEUE, params)
    assert response.status_code == 400
    assert "could not be applied" in text_of(response)


def test_htmx_gets_only_the_results(analyst_client, hajin):
    response = analyst_client.get(QUEUE, {"sort": "recent"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="results"') and "<form" not in html.split("<table")[0]


def test_consistency_problems_are_listed_beside_the_conflicts(analyst_client, hajin):
    make_claim(
        hajin["incident"], hajin["sohr"], 12, category="children", stated_on=datetime.date(2018, 11, 5)
    )
    make_claim(hajin["incident"], hajin["sohr"], 4, category="women", stated_on=datetime.date(2018, 11, 5))
    text = text_of(analyst_client.get(QUEUE))
    assert "⚠ 2 checks" in text
    assert "SOHR, killed: children 12 + women 4 = 16 is more than civilians 14" in text
    assert "SOHR lowered its killed women figure from 5 to 4 without a comment" in text


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_runs_a_fixed_number_of_queries(
    editor_client, hajin, editor, count, django_assert_max_num_queries
):
    make_conflicts(count, place=hajin["idlib"])
    services.flag_discrepancy(
        incident=hajin["incident"], outcome="killed", category="civilians", user=editor, assigned_to=editor
    )
    # Session, user, permissions (2), history context, the place (filter and menu), sources menu, the queue
    # itself, the page's incidents with their places, claims, flags and comments, the badge, the groups.
    with django_assert_max_num_queries(16):
        response = editor_client.get(QUEUE, {"place": hajin["syria"].pk, "sort": "spread"})
    assert response.status_code == 200
    assert len(rows(response)) == min(count + 1, 25)


def test_the_queue_finds_the_consistency_problems_the_incident_page_finds(analyst_client, hajin):
    """The queue reads only current claims and the figures they replaced; the incident page reads them all:
    both lists are the same, in the same order."""
    from incidents.selectors import comparison_matrix, incident_page, queue_incidents

    incident, sohr, sana = hajin["incident"], hajin["sohr"], hajin["sana"]
    later = datetime.date(2018, 11, 5)
    make_claim(incident, sohr, 12, category="children", stated_on=later)  # parts above the whole
    make_claim(incident, sohr, 4, category="women", stated_on=later)  # lowered, no comment
    make_claim(incident, sana, 10, stated_on=later, note="Recounted by the hospital")  # lowered, explained
    make_claim(incident, sana, 30, 40, category="people", stated_on=later)
    make_claim(incident, sana, 50, category="children", stated_on=later)  # above people
    make_claim(incident, sohr, 20, qualifier="at_least", category="men", party="ISIS")  # a party: not a part
    make_claim(incident, sana, None, qualifier="unspecified", category="women")
    other = make_incident("Nothing wrong")
    make_claim(other, sohr, 3)
    loaded = incident_page(incident.pk)
    assert loaded is not None
    page = comparison_matrix(loaded).problems
    assert len(page) == 4
    found = queue_incidents([incident.pk, other.pk])
    assert found[incident.pk][1] == page
    assert found[other.pk][1] == []
    assert found[incident.pk][0].place_names == ["Hajin"]


def test_the_queue_rows_escape_what_sources_and_analysts_wrote(editor_client, analyst_client, hajin):
    incident = make_incident('<script>alert("t")</script> غارة', places=[hajin["idlib"]])
    make_claim(incident, make_source("<b>Loud</b> & co"), 3)
    make_claim(incident, hajin["sana"], 9)
    html = editor_client.get(QUEUE).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; غارة" in html
    assert '<span class="source">&lt;b&gt;Loud&lt;/b&gt; &amp; co:</span>' in html
    # Editors get a flag form on each unflagged row; analysts, who may not flag, get none.
    assert html.count('class="row-flag flag-form"') == 2
    assert 'class="row-flag flag-form"' not in analyst_client.get(QUEUE).content.decode()
