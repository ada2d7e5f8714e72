"""Claim services: current figures, revisions, summaries, permissions and history."""

from __future__ import annotations

import datetime

import pghistory
import pytest
from django.core.exceptions import PermissionDenied

from incidents import services
from incidents.models import Claim, ClaimStatus
from tests.factories import make_claim, make_incident, make_source

pytestmark = pytest.mark.django_db


def test_a_later_claim_supersedes_the_sources_current_one(hajin):
    incident, sana = hajin["incident"], hajin["sana"]
    first = Claim.objects.get(incident=incident, claimed_by=sana, category="civilians")
    later = make_claim(incident, sana, 20, stated_on=datetime.date(2018, 11, 6))
    first.refresh_from_db()
    assert later.supersedes == first
    assert later.is_current and not first.is_current
    incident.refresh_from_db()
    assert incident.summary["killed"]["low"] == 14 and incident.summary["killed"]["high"] == 20


def test_candidate_claims_do_not_count_until_confirmed(hajin, analyst):
    incident = make_incident("Quiet day")
    candidate = make_claim(incident, hajin["sana"], 3, status=ClaimStatus.CANDIDATE, entered_by=analyst)
    incident.refresh_from_db()
    assert incident.summary == {} and incident.source_count == 0
    services.confirm_claim(claim=candidate, user=analyst)
    incident.refresh_from_db()
    assert incident.summary["killed"]["low"] == 3 and incident.source_count == 1


def test_summary_marks_a_conflict_and_clears_it_when_figures_agree(hajin, editor):
    incident = hajin["incident"]
    incident.refresh_from_db()
    assert incident.has_conflict
    sana_claim = Claim.objects.get(incident=incident, claimed_by=hajin["sana"], category="civilians")
    services.update_claim(claim=sana_claim, user=editor, low=14, high=None, qualifier="at_least")
    incident.refresh_from_db()
    assert not incident.has_conflict


def test_analysts_cannot_edit_someone_elses_claim_but_editors_can(hajin, analyst, editor, make_user):
    other = make_user("Analyst", username="other")
    claim = make_claim(make_incident(), hajin["sohr"], 7, entered_by=other)
    with pytest.raises(PermissionDenied):
        services.update_claim(claim=claim, user=analyst, low=8, high=8)
    services.update_claim(claim=claim, user=editor, low=8, high=8)
    claim.refresh_from_db()
    assert claim.low == 8


def test_history_records_each_claim_change_and_who_made_it(hajin, editor):
    claim = Claim.objects.get(incident=hajin["incident"], claimed_by=hajin["sohr"], category="civilians")
    with pghistory.context(user=editor.pk):
        services.update_claim(claim=claim, user=editor, note="names list published")
    events = claim.events.order_by("pgh_id")
    assert [e.pgh_label for e in events] == ["insert", "update"]
    assert events.last().note == "names list published"
    assert events.last().pgh_context.metadata["user"] == editor.pk


def test_bulk_updates_are_recorded_in_history_too(hajin):
    from incidents.models import ClaimEvent

    before = ClaimEvent.objects.count()
    updated = Claim.objects.filter(incident=hajin["incident"]).update(note="bulk checked")
    assert ClaimEvent.objects.count() == before + updated


def test_place_paths_give_sub_trees(hajin):
    subtree = set(services.place_subtree(hajin["deir"]).values_list("name_en", flat=True))
    assert subtree == {"Deir ez-Zor", "Abu Kamal", "Hajin"}


def test_sources_with_one_spelling_are_found_by_any_alias(hajin):
    from sources.services import find_source

    assert find_source("سانا") == hajin["sana"]
    assert find_source("  SANA ") == hajin["sana"]
    assert find_source("المرصد السوري لحقوق الانسان") == hajin["sohr"]
    assert find_source("unknown agency") is None
    assert make_source("SANA").pk == hajin["sana"].pk  # upsert: same source


def test_an_old_statement_entered_late_joins_the_chain_without_becoming_current(hajin):
    incident, sana = hajin["incident"], hajin["sana"]
    first = Claim.objects.get(incident=incident, claimed_by=sana, category="civilians")  # 15, 4 Nov
    latest = make_claim(incident, sana, 20, stated_on=datetime.date(2018, 11, 8))
    middle = make_claim(incident, sana, 17, stated_on=datetime.date(2018, 11, 6))
    for claim in (first, latest, middle):
        claim.refresh_from_db()
    assert latest.is_current and not middle.is_current and not first.is_current
    assert latest.supersedes == middle and middle.supersedes == first


def test_moving_a_claim_to_another_row_restores_the_previous_figure(hajin, editor):
    incident, sana = hajin["incident"], hajin["sana"]
    first = Claim.objects.get(incident=incident, claimed_by=sana, category="civilians")
    mistaken = make_claim(incident, sana, 3, stated_on=datetime.date(2018, 11, 6))
    services.update_claim(claim=mistaken, user=editor, category="children")
    first.refresh_from_db()
    mistaken.refresh_from_db()
    assert first.is_current and mistaken.is_current
    assert mistaken.supersedes is None and mistaken.category == "children"


def test_place_coordinates_are_rounded_to_what_is_stored(hajin):
    place = services.create_place(name_en="Somewhere", latitude=34.686891234, longitude=36.1)
    place.refresh_from_db()
    assert str(place.latitude) == "34.686891"
