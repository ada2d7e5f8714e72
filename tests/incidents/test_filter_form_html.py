"""The filter forms, built in Python (``filter_fields``, the Plain* widgets): what a user typed comes back in
the form, escaped; errors name the field; the menus mark what is selected."""

from __future__ import annotations

import re

from django.urls import reverse

LIST = reverse("incidents:list")
QUEUE = reverse("flags:queue")
HOSTILE = '"><script>alert(1)</script>\u202e<b onmouseover=x>'


def field_html(html: str, name: str) -> str:
    match = re.search(rf'<div class="field field-{name}">(.*?)</div>', html, re.S)
    assert match, f"no field {name}"
    return match.group(1)


def test_a_search_typed_into_the_box_comes_back_escaped(analyst_client, hajin):
    html = analyst_client.get(LIST, {"q": HOSTILE}).content.decode()
    box = field_html(html, "q")
    assert '<label for="id_q">Search</label>' in box
    assert "<script>" not in html and "<b onmouseover" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\u202e&lt;b onmouseover=x&gt;"' in box
    assert 'maxlength="200"' in box and 'id="id_q"' in box


def test_an_invalid_date_is_shown_back_with_an_error_naming_the_field(analyst_client, hajin):
    response = analyst_client.get(LIST, {"date_from": HOSTILE})
    assert response.status_code == 400
    field = field_html(response.content.decode(), "date_from")
    assert 'type="date"' in field and "<script>" not in field
    assert re.search(r'<p class="error" role="alert">From: [^<]*valid date', field)


def test_the_checkbox_the_menus_and_the_sort_keep_what_was_chosen(analyst_client, hajin):
    html = analyst_client.get(
        LIST, {"conflicting": "on", "place": hajin["deir"].pk, "outcome": "killed", "sort": "oldest"}
    ).content.decode()
    assert (
        '<label><input type="checkbox" name="conflicting" id="id_conflicting" checked> Conflicting only</label>'
        in html
    )
    place = field_html(html, "place")
    assert place.count(" selected>") == 1
    assert f'<option value="{hajin["deir"].pk}" selected>' in place
    assert '<option value="">Anywhere</option>' in place  # no longer selected
    assert field_html(html, "outcome").count(" selected>") == 1
    assert '<option value="oldest" selected>Oldest first</option>' in field_html(html, "sort")
    # With nothing chosen, each menu's first entry is the selected one, as Django's Select marks it.
    plain = analyst_client.get(LIST).content.decode()
    assert '<option value="" selected>Anywhere</option>' in field_html(plain, "place")
    assert "checked" not in field_html(plain, "conflicting")


def test_the_queue_form_is_built_the_same_way(editor_client, hajin):
    html = editor_client.get(QUEUE, {"status": "open", "mine": "on", "date_to": "x"}).content.decode()
    assert '<option value="open" selected>Open</option>' in field_html(html, "status")
    assert "checked" in field_html(html, "mine")
    assert re.search(r'<p class="error" role="alert">To: ', field_html(html, "date_to"))
    assert '<a href="/queue/">Clear</a>' in html
