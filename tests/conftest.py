"""Shared fixtures: users in each role, and a logged-in client per role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import UserFactory

ROLES = ("Analyst", "Editor", "Admin")


@pytest.fixture
def make_user(db):
    def make(role: str | None = None, **kwargs):
        user = UserFactory(is_staff=role == "Admin", **kwargs)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def analyst(make_user):
    return make_user("Analyst", username="ana")


@pytest.fixture
def editor(make_user):
    return make_user("Editor", username="eddie")


@pytest.fixture
def admin_user(make_user):
    return make_user("Admin", username="adm")


@pytest.fixture
def analyst_client(analyst) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


@pytest.fixture
def editor_client(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def hajin(db):
    """The sample article's Hajin strike, written for the tests: SANA 15 vs SOHR 14 (+5 children, 5 women,
    9 ISIS), in a small place hierarchy."""
    import datetime

    from sources.services import create_report
    from tests.factories import make_claim, make_incident, make_place, make_source

    syria = make_place("Syria", name_ar="سوريا")
    deir = make_place("Deir ez-Zor", name_ar="دير الزور", parent=syria)
    abu_kamal = make_place("Abu Kamal", name_ar="البوكمال", parent=deir)
    hajin_place = make_place("Hajin", name_ar="هجين", parent=abu_kamal)
    idlib = make_place("Idlib", name_ar="إدلب", parent=syria)
    sana = make_source(
        "SANA", aliases=("سانا",), name_ar="الوكالة العربية السورية للأنباء", kind="state_media"
    )
    sohr = make_source("SOHR", aliases=("المرصد السوري لحقوق الإنسان",), kind="monitor")
    alalam = make_source("Al-Alam", aliases=("العالم",), kind="state_media")
    report, _ = create_report(
        publisher=alalam,
        text="أسفر القصف عن استشهاد 15 مدنيا. وقال المرصد إن 14 مدنيا بينهم 5 أطفال و5 نساء قتلوا.",
        title="غارات على هجين",
        published_on=datetime.date(2018, 11, 4),
        url="https://example.org/hajin",
    )
    incident = make_incident(
        "Coalition strikes on Hajin", date=datetime.date(2018, 11, 3), places=[hajin_place], type="airstrike"
    )
    make_claim(incident, sana, 15, report=report, words="15 مدنيا", evidence="استشهاد 15 مدنيا")
    make_claim(incident, sohr, 14, report=report, words="14 مدنيا")
    make_claim(incident, sohr, 5, category="children", report=report, words="5 أطفال")
    make_claim(incident, sohr, 5, category="women", report=report, words="5 نساء")
    make_claim(
        incident, sohr, 9, category="combatants", party="ISIS", report=report, words="9 عناصر من تنظيم داعش"
    )
    quiet = make_incident(
        "Shelling of al-Dajaj", date=datetime.date(2018, 11, 4), places=[idlib], type="shelling"
    )
    make_claim(quiet, sana, 4, category="security_forces", party="Syrian army")
    return {
        "incident": incident,
        "quiet": quiet,
        "sana": sana,
        "sohr": sohr,
        "syria": syria,
        "deir": deir,
        "idlib": idlib,
        "hajin_place": hajin_place,
        "report": report,
    }
