"""The Content-Security-Policy in a real browser: the pages and htmx work, and the browser reports no
violation and no console error."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in

# Recorded in the page itself: the browser fires this event for everything the policy blocks.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""
ARTICLE = "قالت سانا إن غارات على هجين أسفرت عن استشهاد 16 مدنيا."


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations")


def test_pages_work_under_the_policy_without_a_single_violation(page: Page, demo_site):
    from incidents.models import Incident
    from sources.models import Source

    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(LISTEN)
    base = demo_site.url
    log_in(page, base, "analyst")
    seen: list[str] = []

    # The incident list, filtered in place by htmx.
    response = page.goto(f"{base}/")
    assert response is not None
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    page.get_by_label("Conflicting only").check()
    expect(page).to_have_url(re.compile(r"conflicting=on"))
    results = page.locator("#results")
    expect(results.get_by_text("⚠ Conflict").first).to_be_visible()
    # The export links follow the filters (swapped in with the results).
    expect(page.locator("#export-links a", has_text="CSV")).to_have_attribute(
        "href", re.compile(r"conflicting=on&.*format=csv")
    )
    seen += violations(page)

    hajin = Incident.objects.get(external_id="demo:hajin-2018")
    page.goto(f"{base}{hajin.get_absolute_url()}")
    expect(page.locator('tr[data-row="killed-civilians"]')).to_be_visible()
    seen += violations(page)

    # The article review page, reached through the form (the publisher menu narrowed by htmx).
    page.goto(f"{base}/articles/new/")
    page.get_by_label("Find the publisher by any spelling of its name").fill("سانا")
    expect(page.get_by_label("Publisher", exact=True)).to_have_value(str(Source.objects.get(name="SANA").pk))
    page.get_by_label("Published on").fill("2018-11-04")
    page.get_by_label("Text", exact=True).fill(ARTICLE)
    page.get_by_role("button", name="Find the claims").click()
    expect(page.get_by_role("heading", name="Review the claims")).to_be_visible()
    expect(page.locator("mark", has_text="16 مدنيا")).to_be_visible()
    seen += violations(page)

    for path in ("/analytics/", "/analytics/timeline/", "/queue/"):
        page.goto(f"{base}{path}")
        expect(page.locator("main h1")).to_be_visible()
        seen += violations(page)

    assert seen == []
    assert errors == []
