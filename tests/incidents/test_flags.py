"""Flags on discrepancies: services, pages, concurrent editors, reopening on new claims, the nav badge."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.models import Claim, ClaimStatus, Flag, FlagComment, FlagStatus
from tests.factories import make_claim
from tests.incidents.test_views import text_of

pytestmark = pytest.mark.django_db


def flag_civilians(hajin, editor, **kwargs) -> Flag:
    return services.flag_discrepancy(
        incident=hajin["incident"],
        outcome="killed",
        category="civilians",
        user=editor,
        note=kwargs.pop("note", "SANA 15 vs SOHR 14"),
        **kwargs,
    )


def resolve_range(flag: Flag, editor) -> Flag:
    return services.resolve_flag(
        flag=flag, user=editor, low=14, high=15, note="range 14-15", expected_version=flag.version
    )


def detail_url(flag: Flag) -> str:
    return reverse("flags:detail", args=[flag.pk])


# Services -------------------------------------------------------------------------------------------------


def test_an_editor_flags_a_conflict_with_a_note(hajin, editor):
    flag = flag_civilians(hajin, editor)
    assert flag.status == FlagStatus.OPEN
    assert flag.version == 1
    assert flag.note == "SANA 15 vs SOHR 14"
    assert flag.created_by == editor


def test_a_row_is_flagged_once_and_the_second_attempt_says_so(hajin, editor):
    flag_civilians(hajin, editor)
    with pytest.raises(ValidationError, match="already flagged"):
        flag_civilians(hajin, editor)
    assert Flag.objects.count() == 1


def test_a_row_without_any_figure_cannot_be_flagged(hajin, editor):
    with pytest.raises(ValidationError, match="nothing to flag"):
        services.flag_discrepancy(
            incident=hajin["incident"], outcome="injured", category="people", user=editor
        )


def test_analysts_can_neither_flag_nor_resolve_nor_comment(hajin, editor, analyst):
    with pytest.raises(PermissionDenied):
        flag_civilians(hajin, analyst)
    flag = flag_civilians(hajin, editor)
    with pytest.raises(PermissionDenied):
        resolve_range(flag, analyst)
    with pytest.raises(PermissionDenied):
        services.comment_on_flag(flag=flag, user=analyst, body="I disagree")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN and flag.version == 1


def test_resolving_with_a_range_records_the_range_the_reason_and_who(hajin, editor):
    flag = resolve_range(flag_civilians(hajin, editor), editor)
    flag.refresh_from_db()
    assert (flag.status, flag.resolution_low, flag.resolution_high) == (FlagStatus.RESOLVED, 14, 15)
    assert flag.resolution_note == "range 14-15"
    assert flag.resolved_by == editor and flag.resolved_at is not None
    assert flag.version == 2


def test_resolving_with_one_figure_stores_no_upper_bound(hajin, editor):
    flag = flag_civilians(hajin, editor)
    flag = services.resolve_flag(
        flag=flag,
        user=editor,
        low=14,
        high=14,
        note="SOHR's 14 retained: names list published",
        expected_version=1,
    )
    assert (flag.resolution_low, flag.resolution_high) == (14, None)


@pytest.mark.parametrize(("low", "high", "note", "message"), [(14, 15, " ", "why"), (15, 14, "x", "below")])
def test_a_resolution_needs_a_reason_and_an_ordered_range(hajin, editor, low, high, note, message):
    flag = flag_civilians(hajin, editor)
    with pytest.raises(ValidationError, match=message):
        services.resolve_flag(flag=flag, user=editor, low=low, high=high, note=note, expected_version=1)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN and flag.version == 1


def test_flags_are_assigned_to_editors_only(hajin, editor, analyst):
    flag = flag_civilians(hajin, editor)
    with pytest.raises(ValidationError, match="editors"):
        services.assign_flag(flag=flag, user=editor, assignee=analyst, expected_version=1)
    flag = services.assign_flag(flag=flag, user=editor, assignee=editor, expected_version=1)
    assert flag.assigned_to == editor and flag.version == 2


def test_status_moves_to_under_review_and_back_to_open_but_not_to_resolved(hajin, editor):
    flag = flag_civilians(hajin, editor)
    flag = services.change_flag_status(flag=flag, user=editor, status="under_review", expected_version=1)
    assert flag.status == FlagStatus.UNDER_REVIEW
    with pytest.raises(ValidationError, match="resolve or dismiss"):
        services.change_flag_status(flag=flag, user=editor, status="resolved", expected_version=2)


def test_dismissing_needs_a_reason_and_clears_any_figure(hajin, editor):
    flag = flag_civilians(hajin, editor)
    with pytest.raises(ValidationError):
        services.dismiss_flag(flag=flag, user=editor, note="", expected_version=1)
    flag = services.dismiss_flag(flag=flag, user=editor, note="different scopes", expected_version=1)
    assert flag.status == FlagStatus.DISMISSED and flag.resolution_low is None


def test_the_second_of_two_editors_on_the_same_version_gets_flag_changed_and_overwrites_nothing(
    hajin, editor, make_user
):
    other = make_user("Editor", username="second")
    flag_civilians(hajin, editor)
    first_view = Flag.objects.get()
    second_view = Flag.objects.get()
    resolve_range(first_view, editor)
    with pytest.raises(services.FlagChanged) as caught:
        services.resolve_flag(
            flag=second_view, user=other, low=15, note="SANA's 15", expected_version=second_view.version
        )
    assert "changed since you opened it" in str(caught.value)
    assert caught.value.flag.status == FlagStatus.RESOLVED and caught.value.flag.version == 2
    for change in (
        lambda: services.assign_flag(flag=second_view, user=other, assignee=other, expected_version=1),
        lambda: services.change_flag_status(flag=second_view, user=other, status="open", expected_version=1),
        lambda: services.dismiss_flag(flag=second_view, user=other, note="no", expected_version=1),
    ):
        with pytest.raises(services.FlagChanged):
            change()
    stored = Flag.objects.get()
    assert (stored.resolution_low, stored.resolution_high, stored.resolution_note) == (14, 15, "range 14-15")
    assert stored.resolved_by == editor and stored.assigned_to is None and stored.version == 2


def test_two_editors_resolving_at_the_same_moment_cannot_both_win(transactional_db, hajin, make_user):
    """Two threads, two database connections, both holding version 1: the UPDATE ... WHERE version = 1 lets
    exactly one through, whatever the interleaving, and the other gets FlagChanged."""
    import importlib
    from concurrent.futures import ThreadPoolExecutor

    from django.apps import apps

    # A transactional test may follow another that emptied the tables, groups included.
    importlib.import_module("incidents.migrations.0003_create_roles").create_roles(apps, None)
    first, second = make_user("Editor", username="first"), make_user("Editor", username="second")
    pk = flag_civilians(hajin, first).pk

    def attempt(user, low: int) -> str:
        try:
            services.resolve_flag(
                flag=Flag.objects.get(pk=pk), user=user, low=low, note=f"{low} retained", expected_version=1
            )
            return f"won with {low}"
        except services.FlagChanged:
            return "changed"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(attempt, [first, second], [14, 15]))
    assert sorted(results)[0] == "changed" and sorted(results)[1].startswith("won with")
    stored = Flag.objects.get(pk=pk)
    assert stored.version == 2
    assert f"won with {stored.resolution_low}" in results


# Reopening on new claims ----------------------------------------------------------------------------------


def test_a_new_claim_that_changes_a_resolved_row_reopens_its_flag_with_an_automatic_comment(hajin, editor):
    flag = resolve_range(flag_civilians(hajin, editor), editor)
    make_claim(hajin["incident"], hajin["sana"], 20, stated_on=datetime.date(2018, 11, 6), note="toll rises")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    assert flag.version == 3
    assert flag.resolution_low is None and flag.resolved_at is None
    comment = FlagComment.objects.get(flag=flag)
    assert comment.automatic and comment.author is None
    assert comment.body == (
        "Reopened: SANA reported 20 on 2018-11-06 (before: 15); the figure retained was 14–15 (range 14-15)."
    )


def test_a_dismissed_flag_reopens_too(hajin, editor):
    flag = flag_civilians(hajin, editor)
    services.dismiss_flag(flag=flag, user=editor, note="different scopes", expected_version=1)
    make_claim(hajin["incident"], hajin["sohr"], 16, stated_on=datetime.date(2018, 11, 6), note="rises")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    assert "the flag had been dismissed (different scopes)" in flag.comments.get().body


def test_a_new_source_on_the_row_reopens_the_flag(hajin, editor):
    from tests.factories import make_source

    flag = resolve_range(flag_civilians(hajin, editor), editor)
    make_claim(hajin["incident"], make_source("Airwars"), 14, 21)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    assert flag.comments.get().body.startswith("Reopened: Airwars reported 14–21;")


def test_claims_that_leave_the_rows_figures_unchanged_do_not_reopen(hajin, editor):
    incident, sana = hajin["incident"], hajin["sana"]
    flag = resolve_range(flag_civilians(hajin, editor), editor)
    # The same figure restated later, an older statement entered late, a candidate, a note corrected, and
    # a figure on another row.
    make_claim(incident, sana, 15, stated_on=datetime.date(2018, 11, 8))
    make_claim(incident, sana, 11, stated_on=datetime.date(2018, 11, 3))
    make_claim(incident, sana, 30, status=ClaimStatus.CANDIDATE)
    current = Claim.objects.get(incident=incident, claimed_by=sana, category="civilians", is_current=True)
    services.update_claim(claim=current, user=editor, note="checked against the original")
    make_claim(incident, sana, 3, category="children")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED and flag.version == 2
    assert not flag.comments.exists()


def test_correcting_a_current_figure_reopens_the_flag(hajin, editor):
    flag = resolve_range(flag_civilians(hajin, editor), editor)
    claim = Claim.objects.get(incident=hajin["incident"], claimed_by=hajin["sohr"], category="civilians")
    services.update_claim(claim=claim, user=editor, low=13, high=13)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    assert flag.comments.get().body.startswith("Reopened: SOHR reported 13 on 2018-11-04 (before: 14);")


def test_confirming_a_candidate_that_changes_the_row_reopens_the_flag(hajin, editor):
    flag = resolve_range(flag_civilians(hajin, editor), editor)
    candidate = make_claim(
        hajin["incident"],
        hajin["sana"],
        18,
        stated_on=datetime.date(2018, 11, 7),
        status=ClaimStatus.CANDIDATE,
    )
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED
    services.confirm_claim(claim=candidate, user=editor)
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN
    assert "SANA reported 18 on 2018-11-07 (before: 15)" in flag.comments.get().body


def test_an_open_flag_is_left_alone_by_new_claims(hajin, editor):
    flag = flag_civilians(hajin, editor)
    make_claim(hajin["incident"], hajin["sana"], 20, stated_on=datetime.date(2018, 11, 6))
    flag.refresh_from_db()
    assert flag.version == 1 and not flag.comments.exists()


# Pages ----------------------------------------------------------------------------------------------------


def row_html(response, row: str) -> str:
    match = re.search(rf'data-row="{row}">(.*?)</tr>', response.content.decode(), re.S)
    assert match, row
    return match.group(1)


def test_editors_get_a_flag_form_on_conflicting_rows_only(editor_client, analyst_client, hajin):
    url = reverse("incidents:detail", args=[hajin["incident"].pk])
    response = editor_client.get(url)
    civilians = row_html(response, "killed-civilians")
    assert 'action="/queue/flag/"' in civilians and 'hx-post="/queue/flag/"' in civilians
    assert 'name="category" value="civilians"' in civilians
    assert "/queue/flag/" not in row_html(response, "killed-children")
    assert "/queue/flag/" not in analyst_client.get(url).content.decode()


def test_flagging_without_javascript_lands_on_the_flag_page(editor_client, hajin):
    data = {"incident": hajin["incident"].pk, "outcome": "killed", "category": "civilians", "note": "check"}
    response = editor_client.post(reverse("flags:create"), data, follow=True)
    flag = Flag.objects.get()
    assert response.redirect_chain == [(detail_url(flag), 302)]
    text = text_of(response)
    assert "Discrepancy flagged." in text and "check" in text
    # The same row again: the existing flag, not an error or a second flag.
    response = editor_client.post(reverse("flags:create"), data, follow=True)
    assert "This row was already flagged." in text_of(response) and Flag.objects.count() == 1


def test_flagging_with_htmx_swaps_in_a_link_to_the_flag(editor_client, hajin):
    data = {"incident": hajin["incident"].pk, "outcome": "killed", "category": "civilians", "note": ""}
    response = editor_client.post(reverse("flags:create"), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'href="{detail_url(Flag.objects.get())}"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_a_refused_flag_with_htmx_gives_the_form_back_open_with_the_note_and_the_reason(editor_client, hajin):
    data = {
        "incident": hajin["incident"].pk,
        "outcome": "injured",
        "category": "people",
        "note": "<b>why</b>",
    }
    response = editor_client.post(reverse("flags:create"), data, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "<details open>" in html and 'name="csrfmiddlewaretoken"' in html
    assert ">&lt;b&gt;why&lt;/b&gt;</textarea>" in html  # the note kept, escaped
    assert 'name="outcome" value="injured"' in html
    assert '<p class="error" role="alert">' in html and "nothing to flag" in text_of(response)
    assert not Flag.objects.exists()


def test_flagging_a_row_without_figures_shows_the_reason(editor_client, hajin):
    data = {"incident": hajin["incident"].pk, "outcome": "injured", "category": "people"}
    response = editor_client.post(reverse("flags:create"), data)
    assert response.status_code == 400
    assert "nothing to flag" in text_of(response)
    assert not Flag.objects.exists()


def test_the_flag_page_shows_the_figures_and_editors_actions(editor_client, hajin, editor):
    flag = flag_civilians(hajin, editor)
    response = editor_client.get(detail_url(flag))
    html, text = response.content.decode(), text_of(response)
    assert 'data-source="SANA">15<' in html and 'data-source="SOHR">14<' in html
    assert "✕ Conflict" in text and "spread 1 (7%)" in text
    for action in ("assign", "status", "resolve", "dismiss", "comments"):
        assert f'action="{detail_url(flag)}{action}/"' in html
    assert 'name="version" value="1"' in html


def test_analysts_see_flags_and_comments_but_no_controls(analyst_client, editor_client, hajin, editor):
    flag = resolve_range(flag_civilians(hajin, editor), editor)
    services.comment_on_flag(flag=flag, user=editor, body="Airwars also gives 14-21")
    response = analyst_client.get(detail_url(flag))
    text = text_of(response)
    assert "Retained: 14–15" in text and "range 14-15" in text and "Airwars also gives 14-21" in text
    assert "<form" not in response.content.decode().split('<main id="main">')[1]
    assert (
        analyst_client.post(f"{detail_url(flag)}resolve/", {"version": 2, "low": 1, "note": "x"}).status_code
        == 403
    )


def test_resolving_through_the_page_shows_the_retained_range_everywhere(
    editor_client, analyst_client, hajin, editor
):
    flag = flag_civilians(hajin, editor)
    response = editor_client.post(
        f"{detail_url(flag)}resolve/",
        {"version": 1, "low": 14, "high": 15, "note": "range 14-15"},
        follow=True,
    )
    assert "Flag resolved." in text_of(response)
    text = text_of(analyst_client.get(reverse("incidents:detail", args=[hajin["incident"].pk])))
    assert "Retained: 14–15" in text
    assert "Resolved — retained: 14–15 · range 14-15" in text


def test_a_stale_form_gets_a_409_saying_the_flag_changed_and_showing_the_new_state(
    editor_client, hajin, editor, make_user
):
    flag = flag_civilians(hajin, editor)
    opened = editor_client.get(detail_url(flag)).content.decode()
    assert 'name="version" value="1"' in opened
    # Another editor resolves first.
    resolve_range(Flag.objects.get(), make_user("Editor", username="quick"))
    response = editor_client.post(
        f"{detail_url(flag)}resolve/", {"version": 1, "low": 15, "note": "SANA's 15 retained"}
    )
    assert response.status_code == 409
    text = text_of(response)
    assert "changed since you opened it" in text
    assert "It is now Resolved (version 2), retained 14–15" in text
    # The editor's input is kept, against the new version, for a deliberate resubmit.
    assert "SANA&#x27;s 15 retained" in response.content.decode() or "SANA's 15 retained" in text
    assert 'name="version" value="2"' in response.content.decode()
    stored = Flag.objects.get()
    assert (stored.resolution_low, stored.resolution_high, stored.resolution_note) == (14, 15, "range 14-15")


def test_a_stale_htmx_action_gets_the_message_in_place(editor_client, hajin, editor):
    flag = flag_civilians(hajin, editor)
    services.assign_flag(flag=flag, user=editor, assignee=editor, expected_version=1)
    response = editor_client.post(
        f"{detail_url(flag)}status/", {"version": 1, "status": "under_review"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "changed since you opened it" in text_of(response)
    assert "<html" not in response.content.decode()
    assert Flag.objects.get().status == FlagStatus.OPEN


def test_an_invalid_resolution_is_a_400_with_the_reason(editor_client, hajin, editor):
    flag = flag_civilians(hajin, editor)
    response = editor_client.post(
        f"{detail_url(flag)}resolve/", {"version": 1, "low": 15, "high": 14, "note": "x"}
    )
    assert response.status_code == 400
    assert "The high figure cannot be below the low one." in text_of(response)
    assert Flag.objects.get().status == FlagStatus.OPEN


def test_assigning_changing_status_and_commenting_through_the_page(editor_client, hajin, editor):
    flag = flag_civilians(hajin, editor)
    url = detail_url(flag)
    assert editor_client.post(f"{url}assign/", {"version": 1, "assigned_to": editor.pk}).status_code == 302
    assert editor_client.post(f"{url}status/", {"version": 2, "status": "under_review"}).status_code == 302
    assert editor_client.post(f"{url}comments/", {"body": "Asked SOHR for the list"}).status_code == 302
    assert editor_client.post(f"{url}comments/", {"body": ""}).status_code == 400
    text = text_of(editor_client.get(url))
    assert "Under review" in text and "Assigned to eddie" in text and "Asked SOHR for the list" in text


def test_the_flag_page_runs_a_fixed_number_of_queries(
    editor_client, hajin, editor, django_assert_max_num_queries
):
    from tests.factories import make_source

    flag = flag_civilians(hajin, editor)
    with django_assert_max_num_queries(20) as small:
        editor_client.get(detail_url(flag))
    for n in range(8):
        make_claim(hajin["incident"], make_source(f"Extra {n}"), n)
        services.comment_on_flag(flag=flag, user=editor, body=f"comment {n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        editor_client.get(detail_url(flag))


def test_the_incident_page_lists_its_flags_with_the_latest_comments(analyst_client, hajin, editor):
    flag = flag_civilians(hajin, editor)
    for n in range(5):
        services.comment_on_flag(flag=flag, user=editor, body=f"comment {n}")
    text = text_of(analyst_client.get(reverse("incidents:detail", args=[hajin["incident"].pk])))
    assert "Flags Killed · Civilians Open" in text
    assert "comment 4" in text and "comment 2" in text and "comment 1" not in text


# The nav badge --------------------------------------------------------------------------------------------


def test_the_badge_counts_open_flags_assigned_to_the_editor_in_one_query(hajin, editor, rf):
    flag = flag_civilians(hajin, editor, assigned_to=editor)
    services.flag_discrepancy(
        incident=hajin["incident"], outcome="killed", category="children", user=editor, assigned_to=editor
    )
    services.resolve_flag(flag=flag, user=editor, low=14, note="x", expected_version=1)
    request = rf.get("/")
    request.user = editor
    template = Template('{% include "incidents/_nav_flags.html" %}')
    context = Context({"request": request, "user": editor, "perms": _perms(editor)})
    editor.has_perm("incidents.view_flag")  # permissions cached, as on a page that already checked them
    with CaptureQueriesContext(connection) as queries:
        html = template.render(context)
    assert len(queries.captured_queries) == 1 and "COUNT" in queries.captured_queries[0]["sql"]
    assert re.search(r'class="badge flag-count"[^>]*>1<', html)


def test_analysts_see_the_queue_link_without_a_badge(analyst_client, editor_client, hajin, editor):
    flag_civilians(hajin, editor, assigned_to=editor)
    analyst_html = analyst_client.get(reverse("incidents:list")).content.decode()
    assert 'href="/queue/">Queue</a>' in analyst_html
    assert "flag-count" in editor_client.get(reverse("incidents:list")).content.decode()


def _perms(user):
    from django.contrib.auth.context_processors import PermWrapper

    return PermWrapper(user)
