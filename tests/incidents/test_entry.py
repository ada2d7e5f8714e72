"""Entering incidents, claims and articles by hand, through the test client on PostgreSQL."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents import services
from incidents.models import Claim, Incident
from sources.models import Report
from tests.factories import make_claim, make_place, make_source
from tests.incidents.test_views import text_of

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}

# Written for these tests: two sources on the Hajin strike and one on an unrelated figure.
ARTICLE = (
    "غارات على هجين\n"
    "قالت سانا إن غارات لطائرات التحالف على بلدة هجين أسفرت عن استشهاد 16 مدنيا.\n"
    "وأكد المرصد السوري لحقوق الإنسان أن 13 مدنيا قتلوا في الغارات على هجين."
)


def claim_data(source, **overrides):
    data = {
        "claimed_by": source.pk,
        "outcome": "killed",
        "category": "civilians",
        "party": "",
        "qualifier": "exact",
        "low": "",
        "high": "",
        "words": "",
        "evidence": "",
        "stated_on": "",
        "note": "",
    }
    data.update(overrides)
    return data


# Incidents --------------------------------------------------------------------------------------------------


def test_analyst_creates_an_incident_at_gazetteer_places(analyst_client, analyst, hajin):
    url = reverse("entry:incident_create")
    assert "Create incident" in text_of(analyst_client.get(url))
    response = analyst_client.post(
        url,
        {
            "title": "Strike on al-Shafa",
            "date_start": "2018-11-06",
            "date_precision": "day",
            "type": "airstrike",
            "places": [hajin["hajin_place"].pk, hajin["deir"].pk],
        },
    )
    incident = Incident.objects.get(title="Strike on al-Shafa")
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert incident.created_by == analyst
    assert set(incident.places.all()) == {hajin["hajin_place"], hajin["deir"]}


def test_incident_form_shows_each_error_next_to_its_field_and_saves_nothing(analyst_client, hajin):
    before = Incident.objects.count()
    response = analyst_client.post(
        reverse("entry:incident_create"),
        {
            "title": "",
            "date_start": "2018-11-06",
            "date_end": "2018-11-01",
            "date_precision": "day",
            "type": "x",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="id_title".*?class="error"[^>]*>This field is required', html, re.S)
    assert re.search(r'id="id_type".*?class="error"[^>]*>Select a valid choice', html, re.S)
    assert Incident.objects.count() == before


def test_find_places_without_javascript_lists_matches_and_saves_nothing(analyst_client, hajin):
    response = analyst_client.post(
        reverse("entry:incident_create"),
        {"title": "T", "date_start": "2018-11-06", "date_precision": "day", "type": "other", "q": "هجين",
         "find_places": "1"},
    )  # fmt: skip
    html = response.content.decode()
    assert f'name="places" value="{hajin["hajin_place"].pk}"' in html
    assert "هجين Hajin — Abu Kamal — Deir ez-Zor" in html
    assert not Incident.objects.filter(title="T").exists()


def test_analyst_cannot_edit_someone_elses_incident_but_an_editor_can(analyst_client, editor_client, hajin):
    incident = hajin["incident"]
    url = reverse("entry:incident_edit", args=[incident.pk])
    assert analyst_client.get(url).status_code == 403
    data = {"title": "Coalition strikes on Hajin (corrected)", "date_start": "2018-11-03", "date_precision": "day",
            "type": "airstrike", "places": [hajin["hajin_place"].pk]}  # fmt: skip
    assert analyst_client.post(url, data).status_code == 403
    response = editor_client.post(url, data, headers=HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == incident.get_absolute_url()
    incident.refresh_from_db()
    assert incident.title == "Coalition strikes on Hajin (corrected)"


# Claims -----------------------------------------------------------------------------------------------------


def test_claim_form_is_a_partial_for_htmx_and_a_page_otherwise(analyst_client, hajin):
    url = reverse("entry:claim_create", args=[hajin["incident"].pk])
    partial = analyst_client.get(url, headers=HTMX).content.decode()
    assert partial.lstrip().startswith("<form") and "<html" not in partial
    assert 'hx-post="' + url in partial
    page = analyst_client.get(url).content.decode()
    assert "<html" in page and "Add a claim" in page


def test_at_least_14_is_stored_as_such(analyst_client, analyst, hajin):
    airwars = make_source("Airwars")
    response = analyst_client.post(
        reverse("entry:claim_create", args=[hajin["incident"].pk]),
        claim_data(airwars, qualifier="at_least", low="14", words="at least 14 civilians"),
    )
    assert response.status_code == 302
    claim = Claim.objects.get(claimed_by=airwars)
    assert (claim.qualifier, claim.low, claim.high) == ("at_least", 14, None)
    assert claim.entered_by == analyst and claim.is_current and claim.figure == "at least 14"


def test_an_exact_figure_needs_only_the_lowest(analyst_client, hajin):
    airwars = make_source("Airwars")
    analyst_client.post(
        reverse("entry:claim_create", args=[hajin["incident"].pk]), claim_data(airwars, low="21")
    )
    claim = Claim.objects.get(claimed_by=airwars)
    assert (claim.qualifier, claim.low, claim.high) == ("exact", 21, 21)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"qualifier": "at_least", "low": "14", "high": "20"}, "high", "has no upper bound"),
        ({"qualifier": "at_least"}, "low", "the lowest figure is missing"),
        ({"qualifier": "range", "low": "20", "high": "14"}, "high", "must be above its lowest"),
        ({"qualifier": "up_to", "low": "3"}, "high", "the highest figure is missing"),
        ({"qualifier": "unspecified", "low": "10"}, "low", "has no figure"),
        ({"low": "-1"}, "low", "greater than or equal to 0"),
    ],
)
def test_a_figure_that_does_not_fit_its_qualifier_is_explained_next_to_the_field(
    analyst_client, hajin, overrides, field, message
):
    airwars = make_source("Airwars")
    response = analyst_client.post(
        reverse("entry:claim_create", args=[hajin["incident"].pk]),
        claim_data(airwars, **overrides),
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf'id="new-claim-{field}".*?class="error"[^>]*>[^<]*{message}', html, re.S)
    assert not Claim.objects.filter(claimed_by=airwars).exists()


def test_analyst_edits_own_claim_but_not_another_analysts(make_user, client, hajin):
    author, other = make_user("Analyst", username="author"), make_user("Analyst", username="other")
    claim = make_claim(hajin["incident"], make_source("Airwars"), 14, entered_by=author)
    url = reverse("entry:claim_edit", args=[claim.pk])
    client.force_login(other)
    assert client.get(url).status_code == 403
    assert client.post(url, claim_data(claim.claimed_by, low="99")).status_code == 403
    client.force_login(author)
    assert client.post(url, claim_data(claim.claimed_by, qualifier="at_least", low="15")).status_code == 302
    claim.refresh_from_db()
    assert (claim.qualifier, claim.low, claim.high) == ("at_least", 15, None)


def test_editor_corrects_anyones_claim(editor_client, hajin):
    claim = Claim.objects.get(incident=hajin["incident"], claimed_by=hajin["sana"])
    response = editor_client.post(
        reverse("entry:claim_edit", args=[claim.pk]), claim_data(hajin["sana"], low="16"), headers=HTMX
    )
    assert response["HX-Redirect"] == hajin["incident"].get_absolute_url()
    claim.refresh_from_db()
    assert claim.low == claim.high == 16


def test_candidate_claim_is_confirmed_from_the_incident_page(analyst_client, analyst, hajin):
    claim = make_claim(
        hajin["incident"], make_source("Airwars"), 14, 21, status="candidate", entered_by=analyst
    )
    detail = analyst_client.get(hajin["incident"].get_absolute_url()).content.decode()
    assert reverse("entry:claim_confirm", args=[claim.pk]) in detail
    assert analyst_client.post(reverse("entry:claim_confirm", args=[claim.pk])).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "confirmed" and claim.is_current


def test_incident_page_offers_only_the_controls_the_user_may_use(
    analyst_client, editor_client, analyst, hajin
):
    own = make_claim(hajin["incident"], make_source("Airwars"), 14, entered_by=analyst)
    sana = Claim.objects.get(incident=hajin["incident"], claimed_by=hajin["sana"])
    page = analyst_client.get(hajin["incident"].get_absolute_url()).content.decode()
    assert "Add claim" in page and "Edit incident" not in page
    assert reverse("entry:claim_edit", args=[own.pk]) in page
    assert reverse("entry:claim_edit", args=[sana.pk]) not in page
    page = editor_client.get(hajin["incident"].get_absolute_url()).content.decode()
    assert "Edit incident" in page and reverse("entry:claim_edit", args=[sana.pk]) in page


# Autocomplete -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [("المرصد السوري لحقوق الانسان", "SOHR"), ("sana", "SANA"), ("سانا", "SANA"), ("العالم", "Al-Alam")],
)
def test_sources_are_found_by_any_normalised_spelling(analyst_client, hajin, query, expected):
    html = analyst_client.get(
        reverse("entry:autocomplete_sources"), {"q": query}, headers=HTMX
    ).content.decode()
    options = re.findall(r"<option value=\"(\d+)\">([^<]*)</option>", html)
    assert options and options[0][1].startswith(expected)


def test_source_autocomplete_runs_a_fixed_number_of_queries(
    analyst_client, hajin, django_assert_max_num_queries
):
    for n in range(30):
        make_source(f"Sanaa outlet {n}")
    with django_assert_max_num_queries(5) as captured:
        html = analyst_client.get(reverse("entry:autocomplete_sources"), {"q": "sana"}).content.decode()
    assert html.count("<option") == 20
    assert len(captured.captured_queries) <= 5


def test_places_show_their_hierarchy_in_a_fixed_number_of_queries(
    analyst_client, hajin, django_assert_max_num_queries
):
    url = reverse("entry:autocomplete_places")
    for n in range(25):
        make_place(f"Hajin farm {n}", parent=hajin["hajin_place"])
    with django_assert_max_num_queries(6):
        html = analyst_client.get(url, {"q": "hajin"}, headers=HTMX).content.decode()
    assert "هجين Hajin — Abu Kamal — Deir ez-Zor" in html
    assert html.count("<li>") == 20
    picked = analyst_client.get(url, {"pick": hajin["hajin_place"].pk, "name": "new-places"}).content.decode()
    assert f'name="new-places" value="{hajin["hajin_place"].pk}" checked' in picked
    unknown_field = analyst_client.get(
        url, {"pick": hajin["hajin_place"].pk, "name": "evil"}
    ).content.decode()
    assert 'name="places"' in unknown_field


# Articles ---------------------------------------------------------------------------------------------------


def step1(hajin, **overrides):
    data = {
        "publisher": Report.objects.get(pk=hajin["report"].pk).publisher_id,
        "url": "https://example.org/hajin-full",
        "published_on": "2018-11-04",
        "title": "",
        "language": "",
        "text": ARTICLE,
    }
    data.update(overrides)
    return data


def review_data(response) -> dict:
    """The review page's form as the browser would submit it, from the rendered inputs."""
    html = response.content.decode()
    data: dict[str, list[str]] = {}
    form = html[html.index('action="' + reverse("entry:article_confirm")) :]
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name[1] == "q":
            continue
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind[1] in ("checkbox", "radio") and " checked" not in tag:
            continue
        default = "on" if kind and kind[1] in ("checkbox", "radio") else ""
        data.setdefault(name[1], []).append(_unescape(value[1]) if value else default)
    for name, block in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', block)
        data[name] = [selected[1] if selected else ""]
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>\n?(.*?)</textarea>', form, re.S):
        data[name] = [_unescape(value)]
    return data


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


def test_review_highlights_every_candidate_right_to_left_and_saves_nothing(analyst_client, hajin):
    reports, claims = Report.objects.count(), Claim.objects.count()
    response = analyst_client.post(reverse("entry:article_review"), step1(hajin))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="text" dir="rtl" lang="ar">' in html
    assert '<mark id="mark-0" data-index="0">16 مدنيا</mark>' in html
    assert '<mark id="mark-1" data-index="1">13 مدنيا</mark>' in html
    # Sources resolved through their aliases; the Hajin incident proposed first and chosen.
    data = review_data(response)
    assert data["claims-0-claimed_by"] == [str(hajin["sana"].pk)]
    assert data["claims-1-claimed_by"] == [str(hajin["sohr"].pk)]
    assert data["incident"] == [str(hajin["incident"].pk)]
    assert data["new-type"] == ["airstrike"] and data["new-date_start"] == ["2018-11-04"]
    assert data["new-places"] == [str(hajin["hajin_place"].pk)]
    assert (Report.objects.count(), Claim.objects.count()) == (reports, claims)


def test_confirm_writes_the_report_and_kept_claims_into_the_chosen_incident(analyst_client, analyst, hajin):
    data = review_data(analyst_client.post(reverse("entry:article_review"), step1(hajin)))
    data["claims-1-qualifier"], data["claims-1-low"] = ["at_least"], ["13"]
    response = analyst_client.post(reverse("entry:article_confirm"), data)
    incident = hajin["incident"]
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    report = Report.objects.get(url="https://example.org/hajin-full")
    assert report.text == ARTICLE and report.entered_by == analyst and report.title == "غارات على هجين"
    claims = {c.claimed_by.name: c for c in Claim.objects.filter(report=report)}
    assert claims["SANA"].figure == "16" and claims["SANA"].words == "16 مدنيا" and claims["SANA"].is_current
    assert (claims["SOHR"].qualifier, claims["SOHR"].low, claims["SOHR"].high) == ("at_least", 13, None)
    sentence = claims["SANA"].evidence
    assert ARTICLE[claims["SANA"].evidence_start : claims["SANA"].evidence_end] == sentence
    page = text_of(analyst_client.get(incident.get_absolute_url()))
    assert "Recorded 2 claims" in page and "at least 13" in page


def test_same_text_again_is_recognised_and_not_stored_twice(analyst_client, hajin):
    data = review_data(analyst_client.post(reverse("entry:article_review"), step1(hajin)))
    analyst_client.post(reverse("entry:article_confirm"), data)
    again = analyst_client.post(reverse("entry:article_review"), step1(hajin, url=""))
    text = text_of(again)
    assert "This text is already stored" in text and "Coalition strikes on Hajin" in text
    response = analyst_client.post(reverse("entry:article_confirm"), review_data(again), follow=True)
    assert Report.objects.filter(text=ARTICLE).count() == 1
    assert Claim.objects.filter(report__text=ARTICLE).count() == 2
    assert "already stored" in text_of(response) and "were skipped" in text_of(response)


def test_an_invalid_claim_at_confirm_saves_nothing(analyst_client, hajin):
    data = review_data(analyst_client.post(reverse("entry:article_review"), step1(hajin)))
    data["claims-1-qualifier"], data["claims-1-low"], data["claims-1-high"] = ["range"], ["13"], ["2"]
    reports, claims = Report.objects.count(), Claim.objects.count()
    response = analyst_client.post(reverse("entry:article_confirm"), data)
    assert response.status_code == 200
    assert "must be above its lowest" in text_of(response)
    assert '<mark id="mark-1" data-index="1">13 مدنيا</mark>' in response.content.decode()
    assert (Report.objects.count(), Claim.objects.count()) == (reports, claims)


def test_record_article_is_one_transaction(analyst, hajin):
    reports, incidents = Report.objects.count(), Incident.objects.count()
    good = services.ArticleClaim(hajin["sana"], "killed", "civilians", 16, 16, "exact", start=0, end=3)
    bad = services.ArticleClaim(hajin["sohr"], "killed", "civilians", 13, 2, "range")
    with pytest.raises(ValidationError):
        services.record_article(
            publisher=hajin["sana"],
            text=ARTICLE,
            published_on=datetime.date(2018, 11, 4),
            language="ar",
            claims=[good, bad],
            user=analyst,
            new_incident=services.NewIncident("New", datetime.date(2018, 11, 4), "airstrike"),
        )
    assert (Report.objects.count(), Incident.objects.count()) == (reports, incidents)


def test_confirm_into_a_new_incident_with_prefilled_fields(analyst_client, analyst, hajin):
    data = review_data(analyst_client.post(reverse("entry:article_review"), step1(hajin)))
    data["incident"] = ["new"]
    data["new-title"] = ["Strikes on Hajin, 4 November"]
    analyst_client.post(reverse("entry:article_confirm"), data)
    incident = Incident.objects.get(title="Strikes on Hajin, 4 November")
    assert incident.type == "airstrike" and incident.date_start == datetime.date(2018, 11, 4)
    assert list(incident.places.all()) == [hajin["hajin_place"]] and incident.created_by == analyst
    assert incident.claims.count() == 2


def test_unknown_sources_are_named_and_admins_may_add_them(client, make_user, hajin):
    text = "وقالت شبكة فرات بوست إن 7 مدنيين قتلوا في هجين."
    analyst = make_user("Analyst", username="a2")
    client.force_login(analyst)
    response = client.post(reverse("entry:article_review"), step1(hajin, text=text))
    assert "unknown source: شبكة فرات بوست" in text_of(response)
    assert "Add as a new source" not in text_of(response)
    client.force_login(make_user("Admin", username="adm2"))
    response = client.post(reverse("entry:article_review"), step1(hajin, text=text))
    data = review_data(response)
    data.update(
        {"claims-0-include": ["on"], "claims-0-create_source": ["on"], "claims-0-new_source": ["New monitor"]}
    )
    assert client.post(reverse("entry:article_confirm"), data).status_code == 302
    claim = Claim.objects.get(claimed_by__name="New monitor")
    assert claim.low == 7 and claim.claimed_by.aliases.filter(alias="شبكة فرات بوست").exists()


def test_html_upload_is_reduced_to_text(analyst_client, hajin):
    html = "<html><script>var x = '99 قتيلا';</script><body><p>" + ARTICLE.replace("\n", "</p><p>") + "</p>"
    upload = SimpleUploadedFile("article.html", html.encode("utf-8"), content_type="text/html")
    response = analyst_client.post(reverse("entry:article_review"), {**step1(hajin, text=""), "file": upload})
    data = review_data(response)
    assert data["text"] == [ARTICLE]
    assert "99" not in response.content.decode().split('<div class="text"')[1].split("</div>")[0]


@pytest.mark.parametrize(
    ("overrides", "files", "message"),
    [
        ({"text": "   "}, {}, "Paste the article"),
        ({}, {"file": SimpleUploadedFile("a.pdf", b"%PDF")}, "is not a .txt or .html file"),
        ({"text": ""}, {"file": SimpleUploadedFile("a.txt", b"\x00\x01binary")}, "not a text file"),
        ({}, {"file": SimpleUploadedFile("a.txt", "نص".encode())}, "not both"),
        ({"published_on": "yesterday"}, {}, "Enter a valid date"),
    ],
)
def test_bad_article_input_is_explained_on_the_first_step(analyst_client, hajin, overrides, files, message):
    response = analyst_client.post(reverse("entry:article_review"), {**step1(hajin, **overrides), **files})
    assert response.status_code == 200
    assert message in text_of(response) and "Find the claims" in text_of(response)


def test_crlf_from_a_browser_is_stored_as_lf(analyst_client, hajin):
    data = review_data(
        analyst_client.post(reverse("entry:article_review"), step1(hajin, text=ARTICLE.replace("\n", "\r\n")))
    )
    data["text"] = [data["text"][0].replace("\n", "\r\n")]
    analyst_client.post(reverse("entry:article_confirm"), data)
    assert Report.objects.filter(text=ARTICLE).exists()


def test_entry_controls_keep_the_detail_page_query_count_fixed(
    analyst_client, analyst, hajin, django_assert_max_num_queries
):
    incident = hajin["incident"]
    with django_assert_max_num_queries(12) as small:
        analyst_client.get(incident.get_absolute_url())
    for n in range(5):
        make_claim(incident, make_source(f"Extra {n}"), n, category="people", entered_by=analyst)
        make_claim(incident, make_source(f"Candidate {n}"), n, status="candidate", entered_by=analyst)
    with django_assert_max_num_queries(len(small.captured_queries)):
        analyst_client.get(incident.get_absolute_url())
