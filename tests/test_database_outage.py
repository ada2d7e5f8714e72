"""The database unreachable: pages answer 503 "database unavailable" at once, and work again as soon as it is
back, without restarting the app.

"Unreachable" is real: the app's connection is pointed at a TCP port of this machine where nothing listens,
so PostgreSQL's client library gets "connection refused", as from a stopped server.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from config.errors import database_unavailable
from incidents.models import Claim
from tests.factories import make_incident, make_source

# The connection is closed and reopened inside the tests, which a test wrapped in a transaction cannot do.
pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def database_refusing_connections() -> Iterator[None]:
    """While the block runs, every new connection of the app is refused."""
    default = connections["default"]
    saved = default.settings_dict
    default.close()
    default.settings_dict = {**saved, "HOST": "127.0.0.1", "PORT": str(_closed_port())}
    try:
        yield
    finally:
        default.close()
        default.settings_dict = saved


@pytest.fixture(autouse=True)
def roles(transactional_db: None) -> None:
    """The roles, which the migration creates and each test here empties with the rest of the database."""
    import importlib

    from django.apps import apps

    importlib.import_module("incidents.migrations.0003_create_roles").create_roles(apps, None)


@pytest.fixture
def analyst_browser(analyst) -> Client:
    # A browser, not a test harness: the server's error page is the answer, not a re-raised exception.
    client = Client(raise_request_exception=False)
    client.force_login(analyst)
    return client


def _claim_form(source_pk: int) -> dict[str, str]:
    return {
        "claimed_by": str(source_pk),
        "outcome": "killed",
        "category": "civilians",
        "party": "",
        "qualifier": "exact",
        "low": "12",
        "high": "12",
        "words": "",
        "evidence": "",
        "stated_on": "",
        "note": "entered while the database was down",
    }


def test_a_page_asked_for_while_the_database_is_down_answers_503_with_the_error_page(analyst_browser):
    with database_refusing_connections():
        response = analyst_browser.get(reverse("incidents:list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    page = response.content.decode()
    assert "The database is unavailable" in page
    assert "css/error.css" in page


def test_a_claim_saved_while_the_database_is_down_answers_503_and_is_recorded_once_it_is_back(
    analyst_browser,
):
    """The first query of a write runs in the history middleware, before the view: answered 503 as well."""
    incident = make_incident("Shelling of al-Dajaj")
    source = make_source("SOHR")
    url = reverse("entry:claim_create", args=[incident.pk])
    with database_refusing_connections():
        refused = analyst_browser.post(url, _claim_form(source.pk))
    assert refused.status_code == 503
    assert "The database is unavailable" in refused.content.decode()
    assert not Claim.objects.filter(incident=incident).exists()

    retried = analyst_browser.post(url, _claim_form(source.pk))
    assert retried.status_code == 302
    assert Claim.objects.get(incident=incident).low == 12


def test_the_app_serves_pages_again_as_soon_as_the_database_is_back(analyst_browser):
    incident = make_incident("Airstrike on Hajin")
    with database_refusing_connections():
        assert analyst_browser.get(incident.get_absolute_url()).status_code == 503
    # The same process and session, no restart: the next request connects again.
    response = analyst_browser.get(incident.get_absolute_url())
    assert response.status_code == 200
    assert "Airstrike on Hajin" in response.content.decode()


def test_a_query_cancelled_by_a_timeout_is_an_ordinary_error_not_an_unavailable_database():
    """Only a database that cannot be reached gets the "try again shortly" page; a query the database
    cancelled is a fault of the app, answered 500 and looked into."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '10ms'")
        with pytest.raises(OperationalError) as cancelled:
            cursor.execute("SELECT pg_sleep(1)")
    assert not database_unavailable(cancelled.value)
