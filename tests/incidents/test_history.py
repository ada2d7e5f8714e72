"""History pages: who changed what, field by field (bulk writes included), and restoring a claim."""

from __future__ import annotations

import pghistory
import pytest
from django.test import Client

from incidents import history, services
from incidents.models import Claim, Flag, FlagComment, Incident
from sources.models import SourceAlias
from tests.factories import make_claim, make_incident, make_source
from tests.incidents.test_views import text_of

pytestmark = pytest.mark.django_db


def sana_claim(hajin) -> Claim:
    return hajin["incident"].claims.get(claimed_by=hajin["sana"], category="civilians")


def field_changes(change) -> dict[str, tuple[str, str]]:
    return {f.field: (f.before, f.after) for f in change.fields}


def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_an_edit_lists_who_changed_which_field_from_what_to_what(hajin, editor):
    claim = sana_claim(hajin)
    with pghistory.context(user=editor.pk):
        services.update_claim(claim=claim, user=editor, low=17, high=17, words="17 مدنيا")
    latest, *_, first = history.history("claim", claim.pk)
    assert (latest.label, latest.user, latest.user_id) == ("update", "eddie", editor.pk)
    assert field_changes(latest) == {
        "low": ("15", "17"),
        "high": ("15", "17"),
        "words": ("15 مدنيا", "17 مدنيا"),
    }
    assert first.label == "insert"
    assert first.user == history.SYSTEM
    assert field_changes(first)["claimed_by"] == ("", "SANA")


def test_the_history_page_shows_the_change_field_by_field(analyst_client, hajin, editor):
    claim = sana_claim(hajin)
    with pghistory.context(user=editor.pk):
        services.update_claim(claim=claim, user=editor, note="Corrected after SANA's update")
    response = analyst_client.get(f"/analytics/history/claim/{claim.pk}/")
    assert response.status_code == 200
    text = text_of(response)
    assert "by eddie" in text
    assert "Note (empty) Corrected after SANA&#x27;s update" in text
    assert "by system/import" in text  # the fixture's claims were written outside any request
    assert "Restore this version" not in text


def test_bulk_writes_appear_in_the_history_as_system_changes(analyst_client, hajin):
    updated = Claim.objects.filter(incident=hajin["incident"]).update(note="checked in bulk")
    assert updated == 5
    changes = history.history("incident", hajin["incident"].pk)
    bulk = [c for c in changes if c.model == "claim" and "note" in field_changes(c)]
    assert len(bulk) == 5
    assert {c.user for c in bulk} == {history.SYSTEM}
    assert {field_changes(c)["note"] for c in bulk} == {("", "checked in bulk")}
    text = text_of(analyst_client.get(f"/analytics/history/incident/{hajin['incident'].pk}/"))
    assert text.count("checked in bulk") == 5
    assert "SOHR: killed children" in text


def test_derived_columns_are_not_shown_as_changes(hajin, editor):
    incident = hajin["incident"]
    with pghistory.context(user=editor.pk):
        services.update_incident(incident=incident, user=editor, title="Coalition raids on Hajin")
    changes = [c for c in history.history("incident", incident.pk) if c.model == "incident"]
    assert [c.label for c in changes] == ["update", "insert"]  # claim summaries refreshed: no event
    assert field_changes(changes[0]) == {"title": ("Coalition strikes on Hajin", "Coalition raids on Hajin")}
    shown = {f.field for c in changes for f in c.fields}
    assert not shown & {"search_key", "summary", "has_conflict", "source_count", "updated_at", "created_at"}


def test_a_change_through_a_real_request_records_the_logged_in_user(admin_user, hajin):
    sohr = hajin["sohr"]
    arabic = "المرصد السوري لحقوق الإنسان"
    aliases = list(SourceAlias.objects.filter(source=sohr).order_by("pk"))
    client = admin_client(admin_user)
    response = client.post(
        f"/admin/sources/source/{sohr.pk}/change/",
        {
            "name": "SOHR",
            "name_ar": "المرصد السوري لحقوق الإنسان",
            "name_en": "Syrian Observatory for Human Rights",
            "kind": "monitor",
            "affiliation": "",
            "country": "UK",
            "website": "",
            "notes": "",
            "active": "on",
            "aliases-TOTAL_FORMS": str(len(aliases)),
            "aliases-INITIAL_FORMS": str(len(aliases)),
            "aliases-MIN_NUM_FORMS": "0",
            "aliases-MAX_NUM_FORMS": "1000",
            **{
                key: value
                for n, alias in enumerate(aliases)
                for key, value in {
                    f"aliases-{n}-id": alias.pk,
                    f"aliases-{n}-source": sohr.pk,
                    f"aliases-{n}-alias": "المرصد السوري" if alias.alias == arabic else alias.alias,
                }.items()
            },
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    changes = history.history("source", sohr.pk)
    source_change = next(c for c in changes if c.model == "source")
    assert source_change.user == "adm"
    assert field_changes(source_change)["country"] == ("", "UK")
    alias_change = next(c for c in changes if c.model == "sourcealias")
    assert alias_change.user == "adm"
    assert field_changes(alias_change) == {"alias": (arabic, "المرصد السوري")}


def test_flag_history_includes_its_comments(analyst_client, hajin, editor):
    with pghistory.context(user=editor.pk):
        flag = Flag.objects.create(incident=hajin["incident"], outcome="killed", category="civilians")
        FlagComment.objects.create(flag=flag, author=editor, body="SANA counts two more")
    response = analyst_client.get(f"/analytics/history/flag/{flag.pk}/")
    assert response.status_code == 200
    text = text_of(response)
    assert "SANA counts two more" in text
    assert "by eddie" in text
    incident_text = text_of(analyst_client.get(f"/analytics/history/incident/{hajin['incident'].pk}/"))
    assert "killed civilians" in incident_text


def test_a_deleted_claim_keeps_its_history(analyst_client, hajin):
    quiet_claim = hajin["quiet"].claims.get()
    pk = quiet_claim.pk
    quiet_claim.delete()
    response = analyst_client.get(f"/analytics/history/claim/{pk}/")
    assert response.status_code == 200
    assert "(deleted)" in text_of(response)
    assert [c.label for c in history.history("claim", pk)] == ["delete", "insert"]


def test_unknown_objects_are_404(analyst_client, db):
    for kind in ("incident", "claim", "source", "flag"):
        assert analyst_client.get(f"/analytics/history/{kind}/999999/").status_code == 404
    assert analyst_client.get("/analytics/history/report/1/").status_code == 404


def test_incident_page_links_to_its_history(analyst_client, hajin):
    incident = hajin["incident"]
    html = analyst_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'href="/analytics/history/incident/{incident.pk}/"' in html


# Restore --------------------------------------------------------------------------------------------------


def test_an_admin_restores_an_earlier_version_as_a_new_recorded_change(admin_user, hajin, editor):
    claim = sana_claim(hajin)
    original = history.history("claim", claim.pk)[-1].event_id
    with pghistory.context(user=editor.pk):
        services.update_claim(claim=claim, user=editor, low=40, high=40, words="40 مدنيا")
    assert Incident.objects.get(pk=hajin["incident"].pk).summary["killed"]["high"] == 40

    client = admin_client(admin_user)
    page = text_of(client.get(f"/analytics/history/claim/{claim.pk}/"))
    assert "Restore this version" in page
    response = client.post(f"/analytics/history/claim/{claim.pk}/restore/{original}/")
    assert response.status_code == 302
    assert response["Location"] == f"/analytics/history/claim/{claim.pk}/"

    claim.refresh_from_db()
    assert (claim.low, claim.high, claim.words) == (15, 15, "15 مدنيا")
    assert Incident.objects.get(pk=hajin["incident"].pk).summary["killed"]["high"] == 15
    restored = history.history("claim", claim.pk)[0]
    assert (restored.user, restored.restored_from) == ("adm", original)
    assert field_changes(restored)["low"] == ("40", "15")
    followed = text_of(client.get(response["Location"]))
    assert f"Restored version {original}: high, low, words." in followed
    assert f"restored from version {original}" in followed


def test_restoring_the_values_the_claim_already_has_changes_nothing(admin_user, hajin):
    claim = sana_claim(hajin)
    original = history.history("claim", claim.pk)[-1].event_id
    before = len(history.history("claim", claim.pk))
    response = admin_client(admin_user).post(
        f"/analytics/history/claim/{claim.pk}/restore/{original}/", follow=True
    )
    assert "The claim already has the values of that version." in text_of(response)
    assert len(history.history("claim", claim.pk)) == before


def test_a_version_of_another_claim_cannot_be_restored(admin_user, hajin):
    claim = sana_claim(hajin)
    other = hajin["quiet"].claims.get()
    other_event = history.history("claim", other.pk)[-1].event_id
    response = admin_client(admin_user).post(
        f"/analytics/history/claim/{claim.pk}/restore/{other_event}/", follow=True
    )
    assert "This version does not belong to this claim." in text_of(response)
    claim.refresh_from_db()
    assert claim.category == "civilians"


def test_restoring_an_earlier_row_moves_the_claim_back_into_that_rows_chain(admin_user, hajin):
    sana, incident = hajin["sana"], hajin["incident"]
    claim = make_claim(incident, sana, 3, category="children")
    first = history.history("claim", claim.pk)[-1].event_id
    services.update_claim(claim=claim, user=admin_user, category="women")
    later = make_claim(incident, sana, 4, category="children")
    admin_client(admin_user).post(f"/analytics/history/claim/{claim.pk}/restore/{first}/")
    claim.refresh_from_db()
    later.refresh_from_db()
    assert (claim.category, claim.is_current) == ("children", True)
    assert later.is_current is False
    assert (
        Claim.objects.filter(incident=incident, claimed_by=sana, category="children", is_current=True).count()
        == 1
    )


def test_a_version_whose_report_is_gone_cannot_be_restored(admin_user, hajin):
    from sources.services import create_report

    old_report, _ = create_report(publisher=hajin["sana"], text="قتل 3 مدنيين", title="old")
    new_report, _ = create_report(publisher=hajin["sana"], text="قتل 3 مدنيين في هجين", title="new")
    claim = make_claim(hajin["incident"], hajin["sana"], 3, category="men", report=old_report)
    first = history.history("claim", claim.pk)[-1].event_id
    services.update_claim(claim=claim, user=admin_user, report=new_report)
    old_report.delete()
    response = admin_client(admin_user).post(
        f"/analytics/history/claim/{claim.pk}/restore/{first}/", follow=True
    )
    assert "The report of that version no longer exists." in text_of(response)
    claim.refresh_from_db()
    assert claim.report == new_report


@pytest.mark.parametrize("role", ["Analyst", "Editor"])
def test_only_admins_may_restore(make_user, hajin, role):
    claim = sana_claim(hajin)
    original = history.history("claim", claim.pk)[-1].event_id
    client = Client()
    client.force_login(make_user(role))
    assert client.post(f"/analytics/history/claim/{claim.pk}/restore/{original}/").status_code == 403
    assert "Restore this version" not in text_of(client.get(f"/analytics/history/claim/{claim.pk}/"))


# Query counts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("edits", [3, 30])
def test_history_pages_cost_the_same_queries_however_long_the_history(
    analyst_client, make_user, edits, django_assert_max_num_queries
):
    editors = [make_user("Editor", username=f"editor{n}") for n in range(3)]
    source = make_source("SANA")
    incident = make_incident("Strike")
    claim = make_claim(incident, source, 1)
    for n in range(edits):
        user = editors[n % 3]
        with pghistory.context(user=user.pk):
            services.update_claim(claim=claim, user=user, low=n + 2, high=n + 2)
            services.update_incident(incident=incident, user=user, description=f"Revision {n}")
            SourceAlias.objects.create(source=source, alias=f"spelling {n}")
    flag = Flag.objects.create(incident=incident, outcome="killed", category="civilians")
    for n in range(edits):
        FlagComment.objects.create(flag=flag, author=editors[0], body=f"comment {n}")
    for url in (
        f"/analytics/history/claim/{claim.pk}/",
        f"/analytics/history/incident/{incident.pk}/",
        f"/analytics/history/source/{source.pk}/",
        f"/analytics/history/flag/{flag.pk}/",
    ):
        with django_assert_max_num_queries(14):
            assert analyst_client.get(url).status_code == 200


@pytest.mark.django_db
def test_event_tables_index_the_columns_histories_read_and_no_other_copied_key():
    """Every event is written to each index of its table: the histories' lookups are indexed, the context and
    the other foreign keys copied from the tracked rows are not."""
    from django.apps import apps
    from django.db import connection

    from incidents.history import KINDS

    read = {(source.event_model, source.lookup) for _, sources in KINDS.values() for source in sources}
    with connection.cursor() as cursor:
        for label in {model for model, _ in read} | {"sources.ReportEvent", "incidents.IncidentEvent"}:
            event = apps.get_model(label)
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = i.indkey[0] WHERE i.indrelid = %s::regclass",
                [event._meta.db_table],
            )
            leading = {name for (name,) in cursor.fetchall()}
            lookups = {lookup for model, lookup in read if model == label}
            assert lookups | {"pgh_obj_id"} <= leading, label
            # An event's context is read by the context's primary key; no page looks events up by context.
            assert "pgh_context_id" not in leading, label
            copied = {
                f.column
                for f in event._meta.concrete_fields
                if f.is_relation and not f.name.startswith("pgh_")
            }
            assert not (copied - lookups) & leading, label
