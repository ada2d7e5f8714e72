"""Browser tests: Playwright drives Debian's Chromium (headless) against pytest-django's live server.

A missing browser fails these tests with a clear message: it is never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))

# Playwright's sync API runs an event loop in the test thread; the test itself still touches the database
# (fixtures), which Django would otherwise refuse inside a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser` (Debian package 'chromium').")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def demo_site(live_server, transactional_db):
    """The demo data and accounts, served by the live server. The live server needs committed data, so the
    database is emptied after each such test, roles included: they are recreated here by the very function
    the migration runs."""
    import importlib

    from django.apps import apps

    from incidents.demo import create_demo_accounts, load_demo

    importlib.import_module("incidents.migrations.0003_create_roles").create_roles(apps, None)
    load_demo()
    create_demo_accounts("demo")
    return live_server


def log_in(page, base_url: str, username: str, password: str = "demo") -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")
