"""The demo data set and ``manage.py load_demo``: idempotent, faithful to the sample article, and demo
accounts only with DEBUG on."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from incidents.demo import (
    DEMO_ACCOUNTS,
    DEMO_PUBLISHER,
    ILLUSTRATIVE,
    INCIDENTS,
    create_demo_accounts,
    load_demo,
)
from incidents.models import Claim, Incident, Place

pytestmark = pytest.mark.django_db

COUNTED = [
    "sources.Source",
    "sources.SourceAlias",
    "sources.Report",
    "incidents.Place",
    "incidents.Incident",
    "incidents.Claim",
    # History (django-pghistory): a second run must not record any insert or update.
    "sources.SourceEvent",
    "sources.SourceAliasEvent",
    "sources.ReportEvent",
    "incidents.PlaceEvent",
    "incidents.IncidentEvent",
    "incidents.ClaimEvent",
]


def _counts() -> dict[str, int]:
    return {label: apps.get_model(label).objects.count() for label in COUNTED}


def _claim(slug: str, n: int) -> Claim:
    return Claim.objects.select_related("claimed_by", "report", "supersedes").get(
        external_id=f"demo:{slug}:{n}"
    )


def test_load_demo_creates_every_incident_and_claim_on_first_run():
    result = load_demo()

    assert result.created["incidents"] == len(INCIDENTS) == Incident.objects.count()
    assert result.created["claims"] == sum(len(i.claims) for i in INCIDENTS) == Claim.objects.count()
    assert result.present["incidents"] == 0
    assert "created 10 incidents" in result.summary()


def test_load_demo_twice_creates_and_changes_nothing_and_records_no_history():
    load_demo()
    counts = _counts()
    stamps = list(Claim.objects.order_by("pk").values_list("pk", "updated_at", "is_current"))
    summaries = list(Incident.objects.order_by("pk").values_list("pk", "updated_at", "summary"))

    again = load_demo()

    assert _counts() == counts
    assert list(Claim.objects.order_by("pk").values_list("pk", "updated_at", "is_current")) == stamps
    assert list(Incident.objects.order_by("pk").values_list("pk", "updated_at", "summary")) == summaries
    assert not again.created_anything
    assert again.present["incidents"] == len(INCIDENTS)
    assert again.present["claims"] == counts["incidents.Claim"]


def test_hajin_shows_sana_15_against_sohr_14_civilians_killed_as_a_conflict():
    load_demo()
    hajin = Incident.objects.get(external_id="demo:hajin-2018")

    current = {
        c.claimed_by.name: c.figure
        for c in hajin.claims.filter(is_current=True, outcome="killed", category="civilians").select_related(
            "claimed_by"
        )
    }

    assert current == {"SANA": "15", "SOHR": "14", "UCDP GED": "14–21", "Airwars": "14–21"}
    assert hajin.has_conflict is True
    # The list shows the civilians row: lowest 14 (SOHR, UCDP, Airwars), highest 21 (UCDP and Airwars ranges).
    assert hajin.summary["killed"] == {
        "category": "civilians",
        "party": "",
        "low": 14,
        "high": 21,
        "open": False,
        "conflict": True,
        "sources": 4,
    }
    assert hajin.source_count == 4
    assert set(hajin.places.values_list("pcode", flat=True)) == {"C5175", "C5183", "C5186"}


def test_hajin_claims_keep_the_articles_words_and_point_at_their_evidence_in_the_report():
    load_demo()
    sana, sohr_isis = _claim("hajin-2018", 1), _claim("hajin-2018", 5)

    assert sana.words == "15 مدنيا"
    assert sana.report is not None
    assert sana.report.publisher.name == "Al-Alam"
    assert sana.report.language == "ar"
    assert sana.stated_on == datetime.date(2018, 11, 4)
    assert sohr_isis.party == "ISIS"
    assert sohr_isis.words == "9 عناصر من تنظيم داعش"
    for claim in Claim.objects.filter(report__isnull=False).select_related("report"):
        assert claim.words in claim.evidence
        assert claim.report is not None
        assert claim.report.text[claim.evidence_start : claim.evidence_end] == claim.evidence


def test_hmeymim_centre_claims_four_syrian_soldiers_killed_and_one_injured():
    load_demo()
    killed, injured = _claim("idlib-hama-shelling-2018", 1), _claim("idlib-hama-shelling-2018", 2)

    assert killed.claimed_by.name == "Russian Hmeymim reconciliation centre"
    assert (killed.outcome, killed.category, killed.party, killed.low) == (
        "killed",
        "security_forces",
        "Syrian army",
        4,
    )
    assert (injured.outcome, injured.category, injured.low, injured.words) == (
        "injured",
        "security_forces",
        1,
        "إصابة واحد آخر",
    )
    assert set(killed.incident.places.values_list("pcode", flat=True)) == {"C4082", "C3316"}


def test_a_raised_toll_supersedes_the_earlier_one_and_only_the_latest_is_current():
    load_demo()
    earlier, latest = _claim("ramadi-2015", 1), _claim("ramadi-2015", 3)

    assert (earlier.low, latest.low) == (12, 20)
    assert latest.supersedes == earlier
    assert (earlier.stated_on, latest.stated_on) == (datetime.date(2015, 3, 10), datetime.date(2015, 3, 11))
    assert latest.is_current is True
    assert earlier.is_current is False


def test_a_lowered_toll_supersedes_the_earlier_one_and_says_why():
    load_demo()
    earlier, latest = _claim("kharkiv-2022", 1), _claim("kharkiv-2022", 3)

    assert (earlier.low, latest.low) == (8, 6)
    assert latest.supersedes == earlier
    assert "counted twice" in latest.note
    assert not earlier.is_current
    assert not Incident.objects.get(external_id="demo:kharkiv-2022").has_conflict


def test_at_least_20_does_not_conflict_with_an_exact_23():
    load_demo()
    mosul = Incident.objects.get(external_id="demo:mosul-2017")

    assert _claim("mosul-2017", 1).figure == "at least 20"
    assert mosul.has_conflict is False
    assert mosul.summary["killed"]["open"] is True


def test_an_unspecified_amount_is_kept_with_its_arabic_words_and_no_number():
    load_demo()
    dozens = _claim("aleppo-2016", 2)

    assert (dozens.qualifier, dozens.low, dozens.high, dozens.words) == (
        "unspecified",
        None,
        None,
        "عشرات الجرحى",
    )
    assert Incident.objects.get(external_id="demo:aleppo-2016").has_conflict is True


def test_invented_incidents_and_reports_are_labelled_illustrative():
    load_demo()
    real = {"demo:hajin-2018", "demo:idlib-hama-shelling-2018"}

    for incident in Incident.objects.exclude(external_id__in=real):
        assert incident.description.startswith(ILLUSTRATIVE)
        assert "illustrative" in incident.title
    for incident in Incident.objects.filter(external_id__in=real):
        assert not incident.description.startswith(ILLUSTRATIVE)
    demo_wire = Claim.objects.filter(report__publisher__name=DEMO_PUBLISHER).values_list(
        "report__title", flat=True
    )
    assert all("Illustrative" in title or "توضيحي" in title for title in demo_wire)


def test_demo_spans_five_countries_both_languages_and_2015_to_2024():
    load_demo()

    for pcode in ("SY", "IQ", "YE", "PS", "UA"):
        country = Place.objects.get(pcode=pcode)
        assert Incident.objects.filter(places__path__startswith=country.path).exists(), pcode
    assert set(Claim.objects.values_list("report__language", flat=True)) >= {"ar", "en"}
    years = {d.year for d in Incident.objects.values_list("date_start", flat=True)}
    assert min(years) == 2015
    assert max(years) == 2024


def test_demo_accounts_log_in_with_the_given_password_in_their_groups():
    assert create_demo_accounts("first-pass") == ["analyst", "editor", "admin"]
    assert create_demo_accounts("second-pass") == ["analyst", "editor", "admin"]

    users = get_user_model().objects.filter(username__in=[name for name, _ in DEMO_ACCOUNTS])
    assert users.count() == 3
    for username, role in DEMO_ACCOUNTS:
        user = users.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.is_superuser is False
        assert user.is_staff is (role == "Admin")
        assert Client().login(username=username, password="second-pass")
        assert not Client().login(username=username, password="first-pass")


def test_demo_accounts_keep_an_existing_users_other_fields(make_user):
    make_user("Analyst", username="editor", email="kept@example.org")

    create_demo_accounts("pw")

    editor = get_user_model().objects.get(username="editor")
    assert editor.email == "kept@example.org"
    assert set(editor.groups.values_list("name", flat=True)) == {"Analyst", "Editor"}
    assert Client().login(username="editor", password="pw")


def test_command_prints_the_demo_accounts_when_debug_is_on(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-pw"
    out = StringIO()

    call_command("load_demo", stdout=out)

    assert "Demo accounts (DEBUG only): analyst / editor / admin, password: demo-pw" in out.getvalue()
    assert "created 10 incidents" in out.getvalue()
    assert Client().login(username="admin", password="demo-pw")


def test_command_creates_no_accounts_when_debug_is_off(settings):
    settings.DEBUG = False
    out = StringIO()

    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)

    assert "Demo accounts not created: DEBUG is off." in out.getvalue()
    assert "created 0 incidents" in out.getvalue()
    assert "already present: 10 incidents" in out.getvalue()
    assert not get_user_model().objects.filter(username__in=["analyst", "editor", "admin"]).exists()
