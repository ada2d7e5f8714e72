"""The import pages: upload, dry-run preview, confirm; every bad input explained, nothing half-written."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from incidents.models import Claim, Incident
from sources.import_views import STAGED, staging_dir
from sources.models import Source
from tests.incidents import test_views
from tests.sources.test_import_hasila import csv_of, row

pytestmark = pytest.mark.django_db

START = reverse("imports:start")
PREVIEW = reverse("imports:preview")
CONFIRM = reverse("imports:confirm")
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _staging_in_tmp(settings, tmp_path):
    """Uploads waiting for confirmation go to the test's own directory."""
    settings.IMPORT_STAGING_DIR = str(tmp_path / "staged")


def text_of(response) -> str:
    """The page's visible text, entities decoded."""
    return html.unescape(test_views.text_of(response))


def upload(client: Client, data: bytes, name: str = "claims.csv", fmt: str = "hasila"):
    return client.post(PREVIEW, {"format": fmt, "file": SimpleUploadedFile(name, data)})


def token_of(client: Client) -> str:
    return next(reversed(client.session[STAGED]))


def test_the_import_page_offers_the_formats_and_documents_the_columns(analyst_client, hajin):
    response = analyst_client.get(START)
    assert response.status_code == 200
    text = text_of(response)
    assert "Hasila claims (CSV, JSON or XLSX)" in text
    assert "incident_key required" in text
    assert "Files up to 20 MB" in text
    assert b'href="/imports/"' in response.content  # the navigation link


def test_the_navigation_hides_import_from_users_who_cannot_import(make_user, hajin):
    client = Client()
    client.force_login(make_user(None, username="reader"))
    response = client.get(reverse("sources:list"))
    assert b'href="/imports/"' not in response.content


def test_upload_shows_a_preview_and_confirm_imports_it(analyst_client, hajin):
    response = upload(analyst_client, (FIXTURES / "claims.csv").read_bytes())
    assert response.status_code == 200
    text = text_of(response)
    assert "Dry run: 3 rows: 3 to create, 0 to update, 0 unchanged." in text
    assert "Confirm import" in text
    assert "ما لا يقل عن 17 مدنيا" in text
    assert not Incident.objects.filter(external_id="test:hajin-2").exists()

    response = analyst_client.post(CONFIRM, {"token": token_of(analyst_client)}, follow=True)
    assert response.redirect_chain == [(START, 302)]
    assert "claims.csv imported. 3 rows: 3 created, 0 updated, 0 unchanged." in text_of(response)
    assert Claim.objects.filter(incident__external_id="test:hajin-2").count() == 3
    assert not analyst_client.session[STAGED]

    # The staged upload is gone once imported: confirming again is refused, nothing is imported twice.
    response = analyst_client.post(CONFIRM, {"token": "x" * 32})
    assert response.status_code == 400
    assert "This upload has expired or has already been imported" in text_of(response)


def test_a_file_with_problems_lists_each_with_row_and_column_and_offers_no_confirm(analyst_client, hajin):
    response = upload(analyst_client, csv_of(row(low="twenty"), row(key="b", source="Airwarz")))
    assert response.status_code == 200
    text = text_of(response)
    assert "Nothing has been written. Correct these 2 problems" in text
    assert "1 low 'twenty' is not a whole number" in text
    assert "2 source unknown source 'Airwarz'" in text
    assert "ask an admin to add the source" in text
    assert "Confirm import" not in text
    assert "Create this source" not in text  # analysts may not create sources
    assert not Incident.objects.filter(external_id="test:susah").exists()


def test_admins_may_create_missing_sources_from_the_preview(admin_user, hajin):
    client = Client()
    client.force_login(admin_user)
    response = upload(client, csv_of(row(source="Airwars")))
    assert "Create this source and check again" in text_of(response)
    token = token_of(client)
    response = client.post(PREVIEW, {"token": token, "create_sources": "1"})
    text = text_of(response)
    assert "The import will create these sources: Airwars" in text
    assert not Source.objects.filter(name="Airwars").exists()
    client.post(CONFIRM, {"token": token})
    assert Claim.objects.get(external_id="sana-1").claimed_by.name == "Airwars"


def test_an_analyst_cannot_smuggle_source_creation_into_a_preview(analyst_client, hajin):
    upload(analyst_client, csv_of(row(source="Airwars")))
    token = token_of(analyst_client)
    response = analyst_client.post(PREVIEW, {"token": token, "create_sources": "1"})
    assert "unknown source 'Airwars'" in text_of(response)
    response = analyst_client.post(CONFIRM, {"token": token})
    assert response.status_code == 409
    assert not Source.objects.filter(name="Airwars").exists()


def test_confirm_checks_every_row_again(analyst_client, editor, hajin):
    upload(analyst_client, csv_of(row()))
    # Meanwhile an editor enters the same claim: the analyst's import would now change an editor's entry.
    from sources.importers.hasila import HasilaImporter

    HasilaImporter().run(csv_of(row(low="18", words="18")), filename="e.csv", user=editor, dry_run=False)
    response = analyst_client.post(CONFIRM, {"token": token_of(analyst_client)})
    assert response.status_code == 409
    assert "entered by someone else" in text_of(response)
    assert Claim.objects.get(external_id="sana-1").low == 18


def test_another_session_cannot_confirm_an_upload(analyst_client, editor_client, hajin):
    upload(analyst_client, csv_of(row()))
    response = editor_client.post(CONFIRM, {"token": token_of(analyst_client)})
    assert response.status_code == 400
    assert not Claim.objects.filter(external_id="sana-1").exists()


def test_a_tampered_staged_file_is_refused(analyst_client, hajin):
    upload(analyst_client, csv_of(row()))
    token = token_of(analyst_client)
    (staging_dir() / f"{token}.upload").write_bytes(csv_of(row(low="99")))
    assert analyst_client.post(CONFIRM, {"token": token}).status_code == 400
    assert not Claim.objects.filter(external_id="sana-1").exists()


@pytest.mark.parametrize("token", ["../../etc/passwd", "short", ""])
def test_odd_tokens_are_refused(analyst_client, hajin, token):
    assert analyst_client.post(CONFIRM, {"token": token}).status_code == 400


def test_a_file_over_the_limit_is_refused_before_it_is_stored(analyst_client, hajin, settings):
    settings.IMPORT_MAX_BYTES = 1_048_576
    response = upload(analyst_client, csv_of(row()) + b" " * (2 * 1_048_576))
    assert response.status_code == 413
    assert "the limit is 1 MB. Split the file and import the parts." in text_of(response)
    assert not analyst_client.session.get(STAGED)


def test_a_file_of_another_type_than_the_format_takes_is_refused(analyst_client, hajin):
    response = upload(analyst_client, b"%PDF-1.4", name="report.pdf")
    assert response.status_code == 400
    assert (
        "report.pdf: the Hasila claims (CSV, JSON or XLSX) format takes .csv, .json, .xlsx files."
        in text_of(response)
    )


def test_a_binary_file_named_csv_is_explained(analyst_client, hajin):
    response = upload(analyst_client, bytes(range(256)) * 4)
    assert response.status_code == 200
    assert "claims.csv is not a text file (it contains binary data)." in text_of(response)
    assert "Confirm import" not in text_of(response)


def test_a_post_without_a_file_asks_for_one(analyst_client, hajin):
    response = analyst_client.post(PREVIEW, {"format": "hasila"})
    assert response.status_code == 400
    assert "This field is required." in text_of(response)


def test_the_preview_checks_the_csrf_token(analyst, hajin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    response = client.post(PREVIEW, {"format": "hasila", "file": SimpleUploadedFile("c.csv", csv_of(row()))})
    assert response.status_code == 403


def test_a_preview_of_200_rows_takes_a_fixed_number_of_queries(
    analyst_client, hajin, django_assert_max_num_queries
):
    data = csv_of(*[row(key=f"k{i}", low=str(i)) for i in range(200)])
    with django_assert_max_num_queries(16):
        response = upload(analyst_client, data)
    assert "200 to create" in text_of(response)
