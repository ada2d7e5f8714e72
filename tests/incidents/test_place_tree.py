"""The place filter reads ``Incident.place_tree``, which the database keeps: whatever changes an incident's
places or moves a place in the gazetteer, the list filtered by a place shows the incidents below it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from incidents.gazetteer import PlaceRecord
from incidents.models import Incident
from incidents.services import update_incident, upsert_places
from tests.factories import make_incident, make_place

pytestmark = pytest.mark.django_db
LIST = reverse("incidents:list")


def listed(client, place) -> set[str]:
    response = client.get(LIST, {"place": place.pk})
    assert response.status_code == 200
    return {incident.title for incident in response.context["page"].items}


@pytest.fixture
def tree(db):
    syria = make_place("Syria", pcode="SY")
    deir = make_place("Deir ez-Zor", parent=syria, pcode="SY09")
    abu_kamal = make_place("Abu Kamal", parent=deir, pcode="SY0903")
    hajin = make_place("Hajin", parent=abu_kamal, pcode="C5000")
    idlib = make_place("Idlib", parent=syria, pcode="SY07")
    return {"syria": syria, "deir": deir, "abu_kamal": abu_kamal, "hajin": hajin, "idlib": idlib}


def test_an_incident_is_listed_under_its_place_and_every_upper_place(analyst_client, tree):
    make_incident("Strike on Hajin", places=[tree["hajin"]])
    make_incident("Shelling in Idlib", places=[tree["idlib"]])
    assert listed(analyst_client, tree["hajin"]) == {"Strike on Hajin"}
    assert listed(analyst_client, tree["deir"]) == {"Strike on Hajin"}
    assert listed(analyst_client, tree["syria"]) == {"Strike on Hajin", "Shelling in Idlib"}
    assert listed(analyst_client, tree["idlib"]) == {"Shelling in Idlib"}


def test_changing_an_incidents_places_moves_it_between_the_filtered_lists(analyst_client, analyst, tree):
    incident = make_incident("Strike", places=[tree["hajin"]], created_by=analyst)
    update_incident(incident=incident, user=analyst, places=[tree["idlib"]])
    assert listed(analyst_client, tree["deir"]) == set()
    assert listed(analyst_client, tree["idlib"]) == {"Strike"}
    # Links written without the services (the ORM's own add and remove) are followed as well.
    incident.places.add(tree["abu_kamal"])
    assert listed(analyst_client, tree["deir"]) == {"Strike"}
    incident.places.clear()
    assert listed(analyst_client, tree["syria"]) == set()


def test_a_place_moved_in_the_gazetteer_takes_its_incidents_along(analyst_client, tree):
    make_incident("Strike on Hajin", places=[tree["hajin"]])
    # Abu Kamal (and with it Hajin, below it) moves from Deir ez-Zor to Idlib.
    upsert_places(records=[PlaceRecord("SY0903", 2, "Abu Kamal", parent_pcode="SY07")])
    assert listed(analyst_client, tree["deir"]) == set()
    assert listed(analyst_client, tree["idlib"]) == {"Strike on Hajin"}
    assert listed(analyst_client, tree["abu_kamal"]) == {"Strike on Hajin"}


def test_links_written_in_raw_sql_and_a_truncate_are_followed(tree):
    incident = make_incident("Strike")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO incidents_incident_places (incident_id, place_id) VALUES (%s, %s)",
            [incident.pk, tree["hajin"].pk],
        )
        incident.refresh_from_db()
        expected = [tree[name].pk for name in ("syria", "deir", "abu_kamal", "hajin")]
        assert incident.place_tree == sorted(expected)
        cursor.execute("UPDATE incidents_incident_places SET place_id = %s", [tree["idlib"].pk])
        incident.refresh_from_db()
        assert incident.place_tree == sorted([tree["syria"].pk, tree["idlib"].pk])
        # (The test's transaction holds the inserted link's foreign key checks, which TRUNCATE would refuse.)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE incidents_incident_places")
    incident.refresh_from_db()
    assert incident.place_tree == []


def test_keeping_the_tree_writes_no_history_event(tree):
    incident = make_incident("Strike", date=datetime.date(2018, 11, 3))
    events = incident.events.count()
    incident.places.add(tree["hajin"])
    incident.refresh_from_db()
    assert tree["deir"].pk in incident.place_tree
    assert incident.events.count() == events


def test_the_place_filter_reads_no_link_table_per_incident(analyst_client, tree):
    """The filter is one array test on the incident's row (or the GIN index), not a join per incident."""
    for n in range(3):
        make_incident(f"Strike {n}", places=[tree["hajin"]])
    sql = str(Incident.objects.filter(place_tree__contains=[tree["deir"].pk]).query)
    assert "incidents_incident_places" not in sql
    assert listed(analyst_client, tree["deir"]) == {"Strike 0", "Strike 1", "Strike 2"}


def test_saving_an_instance_read_before_its_places_changed_keeps_the_tree(analyst, tree):
    incident = make_incident("Strike", created_by=analyst)
    stale = Incident.objects.get(pk=incident.pk)  # read before the incident had places
    incident.places.add(tree["hajin"])
    stale.title = "Strike on Hajin"
    stale.save()
    stale.refresh_from_db()
    assert stale.title == "Strike on Hajin"
    assert tree["deir"].pk in stale.place_tree
