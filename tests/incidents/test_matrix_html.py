"""The incident page's figures side by side, whose rows are built in Python (``hasila.matrix_rows``): what each
cell, verdict and consensus shows, who sees the flag link and the flag form, and that stored text stays inert."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.urls import reverse

from incidents import services
from tests.factories import make_claim, make_incident, make_source

pytestmark = pytest.mark.django_db


def matrix_rows(response) -> dict[str, str]:
    """Each row of the matrix's body by its ``data-row``."""
    page = response.content.decode()
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return {
        html.unescape(match.group(1)): match.group(0)
        for match in re.finditer(r'<tr class="[^"]*" data-row="([^"]*)">.*?</tr>', body, flags=re.S)
    }


def detail(client, incident):
    response = client.get(reverse("incidents:detail", args=[incident.pk]))
    assert response.status_code == 200
    return response


def test_each_cell_shows_the_figure_words_evidence_and_report(analyst_client, hajin):
    rows = matrix_rows(detail(analyst_client, hajin["incident"]))
    civilians = rows["killed-civilians"]
    assert 'class="conflict"' in civilians and "✕ Conflict" in civilians
    assert '<span class="figure num" data-source="SANA">15</span>' in civilians
    assert '<q class="words" lang="ar" dir="rtl">15 مدنيا</q>' in civilians
    assert '<blockquote lang="ar" dir="rtl">استشهاد 15 مدنيا</blockquote>' in civilians
    assert "via <bdi>Al-Alam</bdi>" in civilians
    assert '<a href="https://example.org/hajin" rel="noopener noreferrer">report</a>' in civilians
    assert "spread 1 (7%)" in civilians
    # The consensus: the lowest lower bound to the highest figure, and the rule that gave it.
    assert '<td class="consensus"><span class="num">14–15</span>' in civilians
    # A source without a figure for a row shows a dash; a single source is no agreement.
    children = rows["killed-children"]
    assert "This source gives no figure for this row" in children
    assert "● Single source" in children and "spread" not in children
    assert "combatants" in " ".join(rows) and "killed-combatants-isis" in rows


def test_a_revised_figure_lists_the_earlier_ones_and_an_undated_one_says_so(analyst_client, hajin):
    incident, sana = hajin["incident"], hajin["sana"]
    make_claim(incident, sana, 20, stated_on=datetime.date(2018, 11, 6), note="toll rises")
    civilians = matrix_rows(detail(analyst_client, incident))["killed-civilians"]
    assert '<span class="figure num" data-source="SANA">20</span>' in civilians
    assert "Stated 6 Nov 2018" in civilians
    assert "Earlier figures from this source:" in civilians
    # The first figure was stated when its report was published.
    assert '<li><span class="num">15</span> <span class="muted">4 Nov 2018</span></li>' in civilians
    assert "revised ↻" in civilians
    # A figure with neither a date nor a report.
    army = matrix_rows(detail(analyst_client, hajin["quiet"]))["killed-security_forces-syrian-army"]
    assert "Stated (date unknown)</p>" in army and "via" not in army and "revised" not in army


def test_the_flag_form_is_offered_to_editors_on_conflicting_rows_only(analyst_client, editor_client, hajin):
    editor_rows = matrix_rows(detail(editor_client, hajin["incident"]))
    assert 'class="row-flag flag-form"' in editor_rows["killed-civilians"]
    assert 'name="csrfmiddlewaretoken"' in editor_rows["killed-civilians"]
    assert "flag-form" not in editor_rows["killed-children"]
    analyst_rows = matrix_rows(detail(analyst_client, hajin["incident"]))
    assert "flag-form" not in analyst_rows["killed-civilians"]


def test_a_flagged_row_links_its_flag_and_shows_what_was_retained(analyst_client, editor, hajin):
    flag = services.flag_discrepancy(
        incident=hajin["incident"], outcome="killed", category="civilians", user=editor, note="15 vs 14"
    )
    civilians = matrix_rows(detail(analyst_client, hajin["incident"]))["killed-civilians"]
    assert "Flag: Open" in civilians
    assert f'<a href="{reverse("flags:detail", args=[flag.pk])}">View flag ›</a>' in civilians
    assert "flag-form" not in civilians and "Retained" not in civilians
    services.resolve_flag(flag=flag, user=editor, low=14, high=15, note="both", expected_version=flag.version)
    civilians = matrix_rows(detail(analyst_client, hajin["incident"]))["killed-civilians"]
    assert "Flag: Resolved" in civilians
    assert "<strong>Retained: 14–15</strong>" in civilians


def test_hostile_text_in_a_cell_is_escaped(analyst_client):
    source = make_source('<img src=x onerror="alert(1)">')
    incident = make_incident("Hostile", date=datetime.date(2020, 1, 1))
    make_claim(
        incident,
        source,
        3,
        party="<b>x</b>",
        words="<script>alert(1)</script>\u202e",
        evidence='"><svg onload=alert(1)>',
    )
    page = detail(analyst_client, incident).content.decode()
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "<script>" not in body and "<svg" not in body and "<img" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\u202e" in body
    assert 'data-source="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"' in body
    assert 'data-row="killed-civilians-bxb"' in body
