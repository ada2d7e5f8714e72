"""Database constraints and derived columns, on PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.comparison import Interval, comparison_interval
from incidents.models import Claim
from tests.factories import make_claim, make_incident, make_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    return make_incident("Strikes on Hajin")


@pytest.fixture
def sohr():
    return make_source("SOHR", aliases=("المرصد السوري لحقوق الإنسان",))


def _raw_claim(incident, source, **fields):
    defaults = {"outcome": "killed", "category": "civilians", "qualifier": "exact", "low": 1, "high": 1}
    defaults.update(fields)
    return Claim(incident=incident, claimed_by=source, **defaults)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"low": 5, "high": 3, "qualifier": "range"}, "claim_low_lte_high"),
        ({"low": 14, "high": None, "qualifier": "exact"}, "claim_qualifier_matches_bounds"),
        ({"low": 14, "high": 15, "qualifier": "exact"}, "claim_qualifier_matches_bounds"),
        ({"low": 14, "high": 20, "qualifier": "at_least"}, "claim_qualifier_matches_bounds"),
        ({"low": None, "high": None, "qualifier": "range"}, "claim_qualifier_matches_bounds"),
        ({"low": 3, "high": None, "qualifier": "unspecified"}, "claim_qualifier_matches_bounds"),
        ({"low": 7, "high": 7, "qualifier": "range"}, "claim_qualifier_matches_bounds"),
    ],
)
def test_database_refuses_figures_inconsistent_with_their_qualifier(incident, sohr, fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        _raw_claim(incident, sohr, **fields).save()


def test_database_refuses_two_current_claims_for_one_source_and_row(incident, sohr):
    make_claim(incident, sohr, 14)
    with pytest.raises(IntegrityError, match="claim_one_current_per_source_row"), transaction.atomic():
        _raw_claim(incident, sohr, low=15, high=15, is_current=True, status="confirmed").save()


def test_database_refuses_a_second_revision_of_one_claim(incident, sohr):
    first = make_claim(incident, sohr, 14)
    _raw_claim(incident, sohr, low=15, high=15, supersedes=first, status="candidate").save()
    with pytest.raises(IntegrityError, match="claim_supersedes_once"), transaction.atomic():
        _raw_claim(incident, sohr, low=16, high=16, supersedes=first, status="candidate").save()
    # Claims that revise nothing are not limited: any number of them.
    for low in (17, 18):
        _raw_claim(incident, sohr, low=low, high=low, status="candidate").save()
    assert Claim.objects.filter(incident=incident, supersedes__isnull=True).count() == 3


def test_deleting_a_revised_claim_keeps_its_revision_and_a_named_report_cannot_be_deleted(incident, sohr):
    from django.db.models import ProtectedError

    from sources.models import Report
    from sources.services import create_report

    report, _ = create_report(publisher=sohr, title="Daily toll", text="قتل 14 مدنيا")
    first = make_claim(incident, sohr, 14)
    revision = _raw_claim(
        incident, sohr, low=15, high=15, supersedes=first, status="candidate", report=report
    )
    revision.save()
    first.delete()
    revision.refresh_from_db()
    assert revision.supersedes_id is None  # the revision stays, no longer pointing at the deleted claim
    with pytest.raises(ProtectedError), transaction.atomic():
        report.delete()
    assert Report.objects.filter(pk=report.pk).exists()
    assert Claim.objects.get(pk=revision.pk).report_id == report.pk


def test_service_validation_names_the_field_for_a_bad_figure(incident, sohr):
    with pytest.raises(ValidationError) as excinfo:
        make_claim(incident, sohr, 14, None, qualifier="range")
    assert "needs the highest figure" in excinfo.value.message_dict["high"][0]
    assert not Claim.objects.filter(incident=incident).exists()


QUALIFIERS = ["exact", "about", "at_least", "more_than", "up_to", "range", "unspecified"]


def test_python_figure_rules_accept_exactly_what_the_database_accepts(incident, sohr):
    from incidents.comparison import figure_errors

    for qualifier in QUALIFIERS:
        for low in (None, 3, 5):
            for high in (None, 3, 5):
                python_ok = not figure_errors(low, high, qualifier)
                try:
                    with transaction.atomic():
                        _raw_claim(incident, sohr, qualifier=qualifier, low=low, high=high).save()
                    database_ok = True
                except IntegrityError:
                    database_ok = False
                assert python_ok == database_ok, (qualifier, low, high)


@pytest.mark.parametrize(
    ("low", "high", "qualifier"),
    [
        (15, 15, "exact"),
        (14, None, "at_least"),
        (20, None, "more_than"),
        (None, 30, "up_to"),
        (14, 21, "range"),
        (100, 100, "about"),
        (3, 3, "about"),
        (0, 0, "about"),
        (None, None, "unspecified"),
    ],
)
def test_database_comparison_interval_matches_the_python_rule(incident, sohr, low, high, qualifier):
    claim = make_claim(incident, sohr, low, high, qualifier=qualifier)
    claim.refresh_from_db()
    expected = comparison_interval(low, high, qualifier)
    got = None if claim.cmp_low is None else Interval(claim.cmp_low, claim.cmp_high)
    assert got == expected


def test_report_text_is_stored_exactly_and_hashed(sohr):
    from sources.services import create_report

    text = "استشهاد 15 مدنيًا\u200f في هجين"
    report, created = create_report(publisher=sohr, text=text)
    again, created_again = create_report(publisher=sohr, text=text)
    report.refresh_from_db()
    assert created and not created_again
    assert again.pk == report.pk
    assert report.text == text
    assert "مدنيا" in report.search_key


def test_alias_spellings_that_normalise_alike_are_one_alias(sohr):
    from sources.services import add_alias

    first = add_alias(source=sohr, alias="المرصد السوري لحقوق الانسان")
    assert first.alias == "المرصد السوري لحقوق الإنسان"  # the spelling already known is kept
    other = make_source("SANA")
    with pytest.raises(ValueError, match="already names SOHR"):
        add_alias(source=other, alias="المرصد السوري لحقوق الإنسان")
