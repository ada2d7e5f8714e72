"""The article helpers: HTML to text, highlighting by offsets, incident type, dates, places and proposals."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.article import (
    PlaceIndex,
    Span,
    dates_in_text,
    guess_incident_type,
    highlight,
    html_to_text,
    normalize_newlines,
    place_labels,
    propose_incidents,
)
from tests.factories import make_claim, make_incident, make_place, make_source

# A short article written for these tests (not a copy of any published text).
ARTICLE = (
    "قالت سانا إن غارات استهدفت بلدة هجين أسفرت عن استشهاد 15 مدنيا.\n"
    "وذكر المرصد السوري لحقوق الإنسان أن 14 مدنيا قتلوا في القصف."
)


def test_html_is_reduced_to_its_visible_text():
    html = (
        "<html><head><title>عنوان</title><style>p{color:red}</style></head><body>"
        "<script>alert('x') &amp; 15 قتيلا</script>"
        "<p>قتل 15 مدنيا &amp; جرح&nbsp;آخرون</p><p>Second &lt;para&gt;</p>"
        "<div>one<br>two</div><!-- 99 killed --></body></html>"
    )
    text = html_to_text(html)
    assert text == "قتل 15 مدنيا & جرح آخرون\nSecond <para>\none\ntwo"
    assert "alert" not in text and "99" not in text and "color" not in text


def test_html_with_unclosed_tags_still_gives_text():
    assert html_to_text("<p>قتل <b>3 <i>أطفال") == "قتل 3 أطفال"
    assert html_to_text("<script>never closed 5 killed") == ""


def test_newlines_are_normalised_to_lf():
    assert normalize_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


def test_highlight_marks_arabic_spans_at_their_offsets_and_escapes_the_rest():
    text = "<b>قال</b> المرصد إن 14 مدنيا قتلوا & 5 أطفال"
    first = text.index("14 مدنيا")
    second = text.index("5 أطفال")
    html = highlight(
        text, [Span(second, second + len("5 أطفال"), 1), Span(first, first + len("14 مدنيا"), 0)]
    )
    assert '<mark id="mark-0" data-index="0">14 مدنيا</mark>' in html
    assert '<mark id="mark-1" data-index="1">5 أطفال</mark>' in html
    assert html.startswith("&lt;b&gt;قال&lt;/b&gt;")
    assert "&amp;" in html


def test_highlight_skips_overlapping_and_out_of_range_spans():
    html = highlight("abcdef", [Span(0, 3, 0), Span(2, 4, 1), Span(5, 99, 2), Span(4, 4, 3)])
    assert html == '<mark id="mark-0" data-index="0">abc</mark>def'


@given(st.text(max_size=60), st.lists(st.tuples(st.integers(0, 70), st.integers(0, 70)), max_size=5))
def test_highlight_never_loses_or_reorders_text(text, pairs):
    import html as stdlib_html
    import re

    marked = highlight(text, [Span(a, b, i) for i, (a, b) in enumerate(pairs)])
    assert stdlib_html.unescape(re.sub(r"</?mark[^>]*>", "", marked)) == text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("غارات لطائرات التحالف على بلدة هجين", "airstrike"),
        ("قصف مدفعي استهدف بلدة الدجاج", "shelling"),
        ("انفجار سيارة مفخخة قرب السوق", "explosive_device"),
        ("Clashes broke out near the town", "ground_clash"),
        ("وقال المتحدث إن الوضع هادئ", "other"),
    ],
)
def test_incident_type_is_guessed_from_the_words(text, kind):
    assert guess_incident_type(text) == kind


def test_dates_named_in_the_text_take_the_publications_year():
    published = datetime.date(2018, 11, 4)
    text = "منذ 17 أيلول/سبتمبر الماضي، وفي 3 تشرين الثاني 2018، وبتاريخ 2018-11-02 و30 December"
    assert dates_in_text(text, published) == [
        datetime.date(2018, 9, 17),
        datetime.date(2018, 11, 3),
        datetime.date(2017, 12, 30),
        datetime.date(2018, 11, 2),
    ]
    assert dates_in_text("قتل 5 أطفال و31 شباط", published) == []


@pytest.mark.django_db
def test_places_are_found_in_text_with_proclitics_and_spelling_variants(hajin):
    susah = make_place("al-Susah", name_ar="السوسة", parent=hajin["hajin_place"].parent, aliases=["Sosa"])
    index = PlaceIndex.load()
    found = index.find("غارات على بلدات هجين والسوسة في محافظة دير الزور")
    assert {hajin["hajin_place"].pk, susah.pk, hajin["deir"].pk} <= found
    assert index.resolve(["هجين"]) == {hajin["hajin_place"].pk}
    assert "Sosa" in index.names
    # The deepest places, country dropped: Hajin and al-Susah rather than Deir ez-Zor.
    assert index.deepest(found | {hajin["syria"].pk}) == sorted(
        [hajin["hajin_place"].pk, susah.pk], key=lambda pk: index.paths[pk]
    )


@pytest.mark.django_db
def test_place_labels_show_the_hierarchy_in_one_query(hajin, django_assert_num_queries):
    places = [hajin["hajin_place"], hajin["idlib"], hajin["syria"]]
    with django_assert_num_queries(1):
        labels = place_labels(places)
    assert labels[hajin["hajin_place"].pk] == "هجين Hajin — Abu Kamal — Deir ez-Zor"
    assert labels[hajin["idlib"].pk] == "إدلب Idlib"
    assert labels[hajin["syria"].pk] == "سوريا Syria"


@pytest.mark.django_db
def test_proposals_are_near_in_date_and_place_and_ranked_by_shared_sources(
    hajin, django_assert_max_num_queries
):
    airwars = make_source("Airwars")
    near_one_source = make_incident(
        "Another strike near Hajin", date=datetime.date(2018, 11, 5), places=[hajin["deir"]]
    )
    make_claim(near_one_source, airwars, 3)
    make_claim(near_one_source, hajin["sana"], 3)
    make_incident("Too early", date=datetime.date(2018, 10, 20), places=[hajin["hajin_place"]])
    make_incident("Elsewhere", date=datetime.date(2018, 11, 4), places=[make_place("Mosul")])
    with django_assert_max_num_queries(2):
        proposals = propose_incidents(
            dates=[datetime.date(2018, 11, 4)],
            place_paths=[hajin["hajin_place"].path],
            source_ids={hajin["sana"].pk, hajin["sohr"].pk},
        )
    titles = [p.incident.title for p in proposals]
    assert titles == ["Coalition strikes on Hajin", "Another strike near Hajin"]
    assert [p.shared_sources for p in proposals] == [2, 1]
    assert proposals[0].days_apart == 1


@pytest.mark.django_db
def test_without_places_only_incidents_sharing_a_source_are_proposed(hajin):
    make_incident("Unrelated, same day", date=datetime.date(2018, 11, 4))
    proposals = propose_incidents(
        dates=[datetime.date(2018, 11, 4)], place_paths=[], source_ids={hajin["sohr"].pk}
    )
    assert [p.incident.title for p in proposals] == ["Coalition strikes on Hajin"]
