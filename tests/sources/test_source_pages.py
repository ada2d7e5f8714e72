"""Source list and detail: kinds, spellings, incidents, and how a source's figures compare."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.selectors import source_comparisons
from tests.factories import make_claim, make_incident, make_source
from tests.incidents.test_views import text_of

pytestmark = pytest.mark.django_db


def test_source_comparison_counts_agreements_and_signed_difference(hajin):
    rows = {row.other_name: row for row in source_comparisons(hajin["sana"])}
    assert set(rows) == {"SOHR"}
    assert (rows["SOHR"].shared, rows["SOHR"].agreements, rows["SOHR"].conflicts) == (1, 0, 1)
    assert rows["SOHR"].mean_difference == 1.0
    reverse_rows = {row.other_name: row for row in source_comparisons(hajin["sohr"])}
    assert reverse_rows["SANA"].mean_difference == -1.0


def test_source_detail_shows_spellings_incidents_and_comparison(analyst_client, hajin):
    response = analyst_client.get(reverse("sources:detail", args=[hajin["sana"].pk]))
    text = text_of(response)
    assert response.status_code == 200
    assert "سانا" in text
    assert "Coalition strikes on Hajin" in text and "Shelling of al-Dajaj" in text
    assert "SOHR 1 0 1 +1.0 +1.0" in text


def test_source_list_searches_spellings_in_arabic(analyst_client, hajin):
    text = text_of(analyst_client.get(reverse("sources:list"), {"q": "الوكاله العربيه"}))
    assert "SANA" in text and "SOHR" not in text


def test_source_pages_run_a_fixed_number_of_queries(analyst_client, hajin, django_assert_max_num_queries):
    for n in range(15):
        source = make_source(f"Monitor {n}", aliases=(f"مرصد {n}",))
        make_claim(make_incident(f"Extra {n}"), source, n)
        make_claim(hajin["incident"], source, n)
    with django_assert_max_num_queries(8):
        assert analyst_client.get(reverse("sources:list")).status_code == 200
    with django_assert_max_num_queries(11):
        assert analyst_client.get(reverse("sources:detail", args=[hajin["sana"].pk])).status_code == 200


def test_unknown_source_is_a_404(analyst_client, hajin):
    assert analyst_client.get("/sources/999999/").status_code == 404
