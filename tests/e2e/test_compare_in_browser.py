"""An analyst, in a real browser, finds the Hajin conflict and sees the figures side by side."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in


def test_analyst_filters_to_conflicts_and_sees_15_and_14_side_by_side(page: Page, demo_site):
    base = demo_site.url
    log_in(page, base, "analyst")

    page.get_by_label("Conflicting only").check()
    # htmx swaps the results in place and pushes the filter into the URL, so it can be shared.
    expect(page).to_have_url(re.compile(r"conflicting=on"))
    results = page.locator("#results")
    expect(results.get_by_text("⚠ Conflict").first).to_be_visible()
    for badge_row in results.locator("tbody tr").all():
        expect(badge_row.get_by_text("⚠ Conflict")).to_be_visible()

    results.get_by_role("link", name=re.compile("Hajin")).first.click()
    row = page.locator('tr[data-row="killed-civilians"]')
    expect(row.locator('[data-source="SANA"]')).to_have_text("15")
    expect(row.locator('[data-source="SOHR"]')).to_have_text("14")
    expect(row.get_by_text("✕ Conflict")).to_be_visible()
    expect(page.locator('tr[data-row="killed-children"] [data-source="SOHR"]')).to_have_text("5")
    expect(page.locator('tr[data-row="killed-women"] [data-source="SOHR"]')).to_have_text("5")
    expect(page.locator('tr[data-row="killed-combatants-isis"] [data-source="SOHR"]')).to_have_text("9")

    # The words as written render right to left.
    words = row.locator("td", has=page.locator('[data-source="SANA"]')).locator("q.words")
    expect(words).to_have_text("15 مدنيا")
    expect(words).to_have_attribute("dir", "rtl")
    assert words.evaluate("el => getComputedStyle(el).direction") == "rtl"


def test_filtering_works_without_javascript(browser, demo_site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = demo_site.url
    log_in(page, base, "analyst")
    page.get_by_label("Conflicting only").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"conflicting=on"))
    expect(page.locator("#results").get_by_role("link", name=re.compile("Hajin")).first).to_be_visible()
    context.close()
