"""The list's place and source menus are built once per process and rebuilt whenever the database says they
changed, however the change was written (incidents/migrations/0006_menu_version.py)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Place, PlaceLevel
from sources.models import Source
from tests.factories import make_source

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")
QUEUE = reverse("flags:queue")


class RolledBack(Exception):
    pass


def menu_html(client, url: str = LIST) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def source_option(source: Source) -> str:
    return f'<option value="{source.pk}">{source.name}</option>'


def test_a_page_with_unchanged_menus_reads_only_their_version(analyst_client, hajin):
    menu_html(analyst_client)
    with CaptureQueriesContext(connection) as context:
        html = menu_html(analyst_client)
    tables = " ".join(query["sql"] for query in context.captured_queries)
    # The version is read inside the list's own statement: no statement of its own.
    (version_read,) = [q["sql"] for q in context.captured_queries if "incidents_menu_version" in q["sql"]]
    assert '"incidents_incident"' in version_read
    assert '"sources_source"' not in tables and '"incidents_place"' not in tables
    assert source_option(hajin["sohr"]) in html  # still shown, from this process's copy


def test_a_list_with_no_rows_still_reads_the_version_for_its_menus(analyst_client, hajin):
    menu_html(analyst_client)
    added = make_source("Airwars")
    with CaptureQueriesContext(connection) as context:
        html = menu_html(analyst_client, LIST + "?q=nothingmatchesthis")
    assert "No incidents match" in html
    assert source_option(added) in html
    assert [q for q in context.captured_queries if q["sql"] == "SELECT version FROM incidents_menu_version"]


def test_sources_added_renamed_and_removed_appear_in_the_menus_at_once(analyst_client, editor_client, hajin):
    menu_html(analyst_client)
    added = make_source("Airwars")
    assert source_option(added) in menu_html(analyst_client)
    # Written behind the ORM's back (no signal, no save()): the database still moves the version.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sources_source SET name = 'Airwars monitor' WHERE id = %s", [added.pk])
    html = menu_html(analyst_client)
    assert f'<option value="{added.pk}">Airwars monitor</option>' in html
    assert ">Airwars</option>" not in html
    # The discrepancy queue offers the same menu.
    assert f'<option value="{added.pk}">Airwars monitor</option>' in menu_html(editor_client, QUEUE)
    Source.objects.filter(pk=added.pk).delete()
    assert "Airwars monitor" not in menu_html(analyst_client)


def test_places_loaded_in_bulk_appear_in_the_place_menu(analyst_client, hajin):
    menu_html(analyst_client)
    Place.objects.bulk_create(
        [
            Place(
                name_en="Raqqa",
                name_ar="الرقة",
                level=PlaceLevel.GOVERNORATE,
                parent=hajin["syria"],
                path="/r/",
            )
        ]
    )
    assert "— Raqqa / الرقة</option>" in menu_html(analyst_client)


def test_an_update_that_changes_nothing_shown_keeps_the_menus(analyst_client, hajin):
    menu_html(analyst_client)
    Source.objects.filter(pk=hajin["sohr"].pk).update(notes="Based in Coventry.")
    with CaptureQueriesContext(connection) as context:
        menu_html(analyst_client)
    assert not [q for q in context.captured_queries if '"sources_source"' in q["sql"]]


def test_menus_built_inside_a_rolled_back_transaction_are_never_reused(analyst_client, hajin):
    """A rolled-back change's version number is not given again, so the menus built while it was visible
    (here, in the same transaction) cannot be mistaken for those of a later change."""

    def add_shown_and_roll_back() -> None:
        with transaction.atomic():
            make_source("Withdrawn source")
            assert ">Withdrawn source</option>" in menu_html(analyst_client)
            raise RolledBack

    with pytest.raises(RolledBack):
        add_shown_and_roll_back()
    kept = make_source("Kept source")
    html = menu_html(analyst_client)
    assert source_option(kept) in html
    assert "Withdrawn source" not in html
