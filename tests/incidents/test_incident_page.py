"""The incident page's one-statement read: the same objects and relations as the ORM would load, and no
query after it."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Model

from incidents import services
from incidents.models import Claim, Flag, Incident
from incidents.selectors import comparison_matrix, incident_page, incident_pages
from tests.factories import make_claim, make_source


def values(obj: Model | None) -> dict | None:
    """Every loaded column of ``obj`` (deferred ones are not read, so that reading them costs no query)."""
    if obj is None:
        return None
    deferred = obj.get_deferred_fields()
    return {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in deferred
    }


def same(loaded: Model | None, stored: Model | None) -> None:
    """``loaded`` holds the stored values of the columns it loaded, and at least the id and the names shown."""
    if stored is None:
        assert loaded is None
        return
    assert loaded is not None
    got = values(loaded)
    assert got is not None
    assert got == {name: getattr(stored, name) for name in got}
    assert got["id"] == stored.pk


def busy_incident(hajin, editor, make_user):
    """Hajin with a revision, a claim outside any report, a resolved flag with comments (one by a deleted
    user) and an open, assigned one."""
    incident = hajin["incident"]
    make_claim(incident, hajin["sana"], 20, stated_on=datetime.date(2018, 11, 6), note="toll rises")
    make_claim(incident, make_source("Monitor without report"), 12, category="people")
    flag = services.flag_discrepancy(
        incident=incident, outcome="killed", category="civilians", user=editor, note="SANA higher"
    )
    gone = make_user("Editor", username="gone")
    services.comment_on_flag(flag=flag, user=gone, body="تحقق من المصدر")
    services.comment_on_flag(flag=flag, user=editor, body="checked")
    gone.delete()
    flag.refresh_from_db()
    services.resolve_flag(
        flag=flag, user=editor, low=14, high=20, note="kept both", expected_version=flag.version
    )
    services.flag_discrepancy(
        incident=incident, outcome="killed", category="children", user=editor, assigned_to=editor
    )
    return incident


def test_the_page_loads_what_the_orm_would(hajin, editor, make_user):
    incident = busy_incident(hajin, editor, make_user)
    page = incident_page(incident.pk)
    assert page is not None
    same(page, Incident.objects.get(pk=incident.pk))

    stored_claims = list(
        Claim.objects.filter(incident=incident)
        .select_related("claimed_by", "report__publisher", "entered_by")
        .order_by("stated_on", "created_at", "id")
    )
    claims = list(page.claims.all())
    assert [c.pk for c in claims] == [c.pk for c in stored_claims]
    for claim, stored in zip(claims, stored_claims, strict=True):
        same(claim, stored)
        same(claim.claimed_by, stored.claimed_by)
        same(claim.report, stored.report)
        same(claim.report and claim.report.publisher, stored.report and stored.report.publisher)
        same(claim.entered_by, stored.entered_by)
    assert any(c.report is None for c in claims) and any(c.supersedes_id for c in claims)

    stored_flags = list(
        Flag.objects.filter(incident=incident).select_related("assigned_to", "created_by", "resolved_by")
    )
    flags = list(page.flags.all())
    assert [f.pk for f in flags] == [f.pk for f in stored_flags]  # the model's order: latest change first
    for flag, stored_flag in zip(flags, stored_flags, strict=True):
        same(flag, stored_flag)
        for name in ("assigned_to", "created_by", "resolved_by"):
            same(getattr(flag, name), getattr(stored_flag, name))
        stored_comments = list(stored_flag.comments.select_related("author"))
        assert [c.pk for c in flag.comments.all()] == [c.pk for c in stored_comments]
        for comment, stored_comment in zip(flag.comments.all(), stored_comments, strict=True):
            same(comment, stored_comment)
            same(comment.author, stored_comment.author)
    comments = [c for f in flags for c in f.comments.all()]
    assert [c.body for c in comments] == ["تحقق من المصدر", "checked"] and comments[0].author is None

    (place,) = page.places.all()
    assert (place.name_en, place.name_ar) == ("Hajin", "هجين")
    assert place.parent is not None and place.parent.parent is not None
    assert (place.parent.name_en, place.parent.parent.name_en) == ("Abu Kamal", "Deir ez-Zor")


def test_reading_everything_the_page_shows_costs_one_query(
    hajin, editor, make_user, django_assert_num_queries
):
    incident = busy_incident(hajin, editor, make_user)
    with django_assert_num_queries(1):
        page = incident_page(incident.pk)
    assert page is not None
    with django_assert_num_queries(0):
        matrix = comparison_matrix(page)
        shown: list[tuple[Any, ...]] = [
            (
                c.claimed_by.name,
                c.report and c.report.publisher.name,
                c.entered_by and c.entered_by.get_username(),
            )
            for c in page.claims.all()
        ]
        shown += [
            (p.name_en, p.parent and p.parent.parent and p.parent.parent.name_en) for p in page.places.all()
        ]
        for flag in page.flags.all():
            shown += [(flag.assigned_to and flag.assigned_to.get_username(), flag.get_status_display())]
            shown += [(c.body, c.author and c.author.get_username()) for c in flag.comments.all()]
    assert matrix.rows and matrix.reports and ("SANA", "Al-Alam", None) in shown


def test_several_incidents_load_in_one_query_and_unknown_ids_are_absent(hajin, django_assert_num_queries):
    with django_assert_num_queries(1):
        pages = incident_pages([hajin["incident"].pk, hajin["quiet"].pk, 999_999])
    assert set(pages) == {hajin["incident"].pk, hajin["quiet"].pk}
    assert [c.figure for c in pages[hajin["quiet"].pk].claims.all()] == ["4"]
    assert list(pages[hajin["quiet"].pk].flags.all()) == []
    assert incident_page(999_999) is None


def test_the_busy_incident_page_renders_in_four_queries_for_an_editor(
    editor_client, hajin, editor, make_user, django_assert_max_num_queries
):
    """Whatever the template reads (authors, assignees, reports, revisions, candidates) was loaded by the one
    statement: no deferred field is fetched on the way. The queries: session, user, the incident's statement,
    and the editor's badge of flags assigned to them."""
    from django.urls import reverse

    incident = busy_incident(hajin, editor, make_user)
    make_claim(incident, hajin["sohr"], 2, category="men", status="candidate")
    with django_assert_max_num_queries(4):
        response = editor_client.get(reverse("incidents:detail", args=[incident.pk]))
    text = response.content.decode()
    assert "Earlier figures from this source" in text and "Candidates to confirm" in text
    assert "تحقق من المصدر" in text and "checked" in text and "Retained" in text
