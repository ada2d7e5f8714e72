"""An editor flags the Hajin discrepancy and resolves it with a range; an analyst then sees the resolution."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in

REASON = "Range 14–15: SOHR and SANA counts differ by one; UCDP and Airwars both start at 14"


def test_editor_resolves_the_hajin_conflict_with_a_range_and_an_analyst_sees_it(browser: Browser, demo_site):
    base = demo_site.url
    editor = browser.new_context()
    page = editor.new_page()
    log_in(page, base, "editor")
    page.get_by_role("link", name=re.compile("Hajin pocket")).first.click()
    row = page.locator('tr[data-row="killed-civilians"]')
    expect(row.get_by_text("✕ Conflict")).to_be_visible()

    # Flag the row in place (htmx): the form gives way to a link to the new flag.
    row.get_by_text("Flag", exact=True).click()
    row.get_by_label("Note").fill("SANA says 15, SOHR 14")
    row.get_by_role("button", name="Flag this discrepancy").click()
    expect(row.get_by_text("Discrepancy flagged.")).to_be_visible()
    row.get_by_role("link", name="View flag ›").click()

    expect(page.get_by_role("heading", name="Flag: Killed · Civilians")).to_be_visible()
    expect(page.locator('[data-source="SANA"]')).to_have_text("15")
    page.get_by_label("Retained figure (low)").fill("14")
    page.get_by_label("High (for a range)").fill("15")
    page.get_by_label("Reason", exact=True).fill(REASON)
    page.get_by_role("button", name="Resolve").click()
    flag = page.locator("#flag")
    expect(flag.get_by_text("Flag resolved.")).to_be_visible()
    expect(flag.get_by_text("Retained: 14–15")).to_be_visible()
    expect(flag.get_by_text(REASON)).to_be_visible()
    flag_url = page.url
    editor.close()

    analyst = browser.new_context()
    page = analyst.new_page()
    log_in(page, base, "analyst")
    page.get_by_role("link", name=re.compile("Hajin pocket")).first.click()
    row = page.locator('tr[data-row="killed-civilians"]')
    expect(row.locator("td.consensus")).to_contain_text("Retained: 14–15")
    flags = page.locator("section.flags")
    expect(flags.get_by_text("Resolved — retained: 14–15")).to_be_visible()
    expect(flags.get_by_text(REASON)).to_be_visible()
    expect(page.get_by_text("Flag this discrepancy")).to_have_count(0)

    page.goto(flag_url)
    expect(page.get_by_text("Retained: 14–15")).to_be_visible()
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)
    expect(page.get_by_role("button", name="Dismiss")).to_have_count(0)
    expect(page.get_by_label("Reason", exact=True)).to_have_count(0)
    analyst.close()
