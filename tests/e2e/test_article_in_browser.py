"""An analyst, in a real browser, pastes the sample Al-Alam article, confirms its Hajin claims into the demo's
Hajin incident and sees the incident page change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in

# Part of the workspace, read at test time (never copied into the repository).
SAMPLE = Path("/work/shared/data/seed/alalam-2018-11-04-hajin-idlib.ar.txt")
HAJIN_TITLE = "Coalition airstrikes on the Hajin pocket, Deir ez-Zor"
URL = "https://www.alalam.ir/news/hajin-2018-11-04-full"
TITLE = "غارات التحالف على هجين والسوسة والشفعة (المقال كاملا)"


def sample_text() -> str:
    if not SAMPLE.exists():
        pytest.fail(f"The sample article {SAMPLE} is missing: it is part of the shared workspace.")
    return SAMPLE.read_text(encoding="utf-8")


def test_analyst_pastes_the_sample_article_and_confirms_its_hajin_claims(page: Page, demo_site):
    from incidents.models import Claim, Incident
    from sources.models import Source

    text = sample_text()
    alalam = Source.objects.get(name="Al-Alam")
    sohr = Source.objects.get(name="SOHR")
    hajin = Incident.objects.get(external_id="demo:hajin-2018")
    base = demo_site.url
    log_in(page, base, "analyst")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Add article").click()
    expect(page.get_by_role("heading", name="Add an article")).to_be_visible()
    # The publisher is found by its Arabic name (htmx narrows the menu to the matching sources).
    page.get_by_label("Find the publisher by any spelling of its name").fill("العالم")
    expect(page.get_by_label("Publisher", exact=True)).to_have_value(str(alalam.pk))
    page.get_by_label("URL").fill(URL)
    page.get_by_label("Published on").fill("2018-11-04")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_role("button", name="Find the claims").click()

    # Review: the text right to left with every candidate highlighted.
    expect(page.get_by_role("heading", name="Review the claims")).to_be_visible()
    article = page.locator('div.text[dir="rtl"][lang="ar"]')
    expect(article.locator("mark", has_text="15 مدنيا")).to_be_visible()
    expect(article.locator("mark", has_text="14 مدنيا")).to_be_visible()
    expect(article.locator("mark", has_text="9 عناصر من تنظيم داعش")).to_be_visible()
    # The demo's Hajin incident is proposed, and chosen.
    expect(page.get_by_role("radio", name=re.compile(re.escape(HAJIN_TITLE)))).to_be_checked()

    # SANA's and SOHR's figures are resolved and kept; the ISIS figure names SOHR's director only as
    # "عبد الرحمن", so the analyst picks SOHR for it. The Idlib figures (unknown source) stay unticked.
    for words in ("15 مدنيا", "14 مدنيا", "5 أطفال", "5 نساء"):
        candidate = page.locator("fieldset.candidate", has=page.locator("legend", has_text=words))
        expect(candidate.get_by_label("Keep")).to_be_checked()
    isis = page.locator("fieldset.candidate", has=page.locator("legend", has_text="9 عناصر"))
    expect(isis.get_by_text("unknown source: عبد الرحمن")).to_be_visible()
    isis.get_by_label("Source", exact=True).select_option(str(sohr.pk))
    isis.get_by_label("Keep").check()
    idlib = page.locator("fieldset.candidate", has=page.locator("legend", has_text="4 عسكريين"))
    expect(idlib.get_by_label("Keep")).not_to_be_checked()
    page.get_by_role("button", name="Confirm and save").click()

    # The incident page: the new report is behind the figures, and the comparison still sets SANA's 15
    # against SOHR's 14, now read in this report.
    expect(page).to_have_url(f"{base}{hajin.get_absolute_url()}")
    expect(page.get_by_text(re.compile(r"Recorded 5 claims"))).to_be_visible()
    expect(page.locator("ul.reports").get_by_role("link", name=TITLE)).to_have_attribute("href", URL)
    row = page.locator('tr[data-row="killed-civilians"]')
    expect(row.locator('[data-source="SANA"]')).to_have_text("15")
    expect(row.locator('[data-source="SOHR"]')).to_have_text("14")
    expect(row.get_by_text("✕ Conflict")).to_be_visible()
    # SANA's current figure is now read in the new report (the same 15: a corroboration, not a revision).
    sana_cell = row.locator("td", has=page.locator('[data-source="SANA"]'))
    expect(sana_cell.locator(f'a[href="{URL}"]')).to_have_count(1)
    expect(sana_cell.get_by_text("revised ↻")).to_have_count(0)
    assert Claim.objects.filter(report__url=URL, incident=hajin, is_current=True).count() == 5
