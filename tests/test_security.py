"""Deployment hardening: Django's deploy checks, the security headers on every page, the login rate limit and
the session lifetime."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"


def test_production_settings_pass_djangos_deploy_checks():
    """`manage.py check --deploy` with the settings a production server runs with reports nothing."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "hasila.example",
    }
    # The browser tests' conftest sets this for their live server; a production process never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified no issues" in output


# Headers --------------------------------------------------------------------------------------------------


def csp_of(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def pages(d) -> list[str]:
    return [
        "/",
        f"/incidents/{d['incident'].pk}/",
        "/sources/",
        f"/sources/{d['sohr'].pk}/",
        "/analytics/",
        "/analytics/timeline/",
        f"/analytics/history/incident/{d['incident'].pk}/",
        "/queue/",
        "/imports/",
        "/incidents/new/",
        "/articles/new/",
    ]


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def assert_strict_policy(response) -> None:
    policy = csp_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert all(v.startswith("'nonce-") for v in policy["script-src"][1:])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    header = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_page_sends_a_strict_content_security_policy_and_the_security_headers(admin_client, hajin):
    for path in pages(hajin):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert_strict_policy(response)


def test_the_login_page_the_errors_and_htmx_partials_send_the_policy_too(admin_client, hajin):
    assert_strict_policy(Client().get(LOGIN))
    assert_strict_policy(admin_client.get("/incidents/999999999/"))
    assert_strict_policy(admin_client.get("/", headers={"HX-Request": "true"}))
    assert_strict_policy(Client(enforce_csrf_checks=True).post(LOGIN, {"username": "x"}))


def test_the_htmx_script_carries_the_nonce_the_policy_names(admin_client, hajin):
    response = admin_client.get("/")
    nonces = re.findall(rb'<script [^>]*nonce="([^"]+)"', response.content)
    assert nonces, "the htmx script tag has no nonce"
    assert {f"'nonce-{nonce.decode()}'" for nonce in nonces} == set(csp_of(response)["script-src"][1:])
    # A fresh nonce per response.
    assert csp_of(admin_client.get("/"))["script-src"] != csp_of(response)["script-src"]


INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(rb"<[^>]+\s(on[a-z]+|style|hx-on[:\w-]*)\s*=", re.I)


def test_no_page_has_inline_scripts_styles_or_event_handlers(admin_client, hajin):
    """The policy would block them in the browser: the pages must not need them."""
    responses = [admin_client.get(path) for path in pages(hajin)]
    responses += [Client().get(LOGIN), admin_client.get("/incidents/999999999/")]
    for response in responses:
        assert not INLINE_SCRIPT.search(response.content), response.wsgi_request.path
        assert b"<style" not in response.content, response.wsgi_request.path
        match = INLINE_HANDLER.search(response.content)
        assert match is None, (response.wsgi_request.path, match and match.group(0))


def test_the_error_pages_take_their_style_from_a_static_file():
    from django.template.loader import render_to_string

    for name in ("400.html", "403.html", "403_csrf.html", "404.html", "500.html"):
        page = render_to_string(name).encode()
        assert b"css/error.css" in page
        assert not INLINE_HANDLER.search(page), name


def test_a_form_sent_without_its_csrf_token_is_refused_with_a_page_saying_why(admin_user, hajin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(f"/incidents/{hajin['incident'].pk}/edit/", {"title": "changed"})
    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content
    assert b"Nothing was changed" in response.content
    assert_strict_policy(response)


def test_filtered_htmx_results_bring_export_links_with_the_same_filters(analyst_client, hajin):
    """The export links used to read the address bar in an inline handler; now the results bring them."""
    response = analyst_client.get("/?conflicting=on", headers={"HX-Request": "true"})
    assert b'id="export-links" hx-swap-oob="true"' in response.content
    assert b"/imports/export/?conflicting=on&amp;format=csv" in response.content
    full = analyst_client.get("/?conflicting=on")
    assert b'hx-swap-oob="true"' not in full.content
    assert full.content.count(b'id="export-links"') == 1


# Login rate limit (django-axes) ---------------------------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    """The rate limit as in production (settings_test.py switches it off for Client.login)."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def user(make_user, role: str, username: str, password: str):
    account = make_user(role, username=username)
    account.set_password(password)
    account.save()
    return account


def log_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_five_failed_logins_lock_that_user_out_with_a_clear_message(axes_on, make_user):
    user(make_user, "Analyst", "ana", "right-pass")
    client = Client()
    for _ in range(4):
        response = log_in(client, "ana", "wrong")
        assert response.status_code == 200
        assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content
    response = log_in(client, "ana", "wrong")
    assert response.status_code == 429

    # Even the right password is refused now, with a page that says why and for how long.
    response = log_in(client, "ana", "right-pass")
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert b"failed 5 times in a row" in response.content
    assert b"locked for 15 minutes" in response.content
    assert "_auth_user_id" not in client.session
    assert_strict_policy(response)


def test_a_lockout_does_not_affect_other_users_or_the_same_user_elsewhere(axes_on, make_user):
    user(make_user, "Analyst", "ana", "right-pass")
    user(make_user, "Editor", "eddie", "other-pass")
    for _ in range(5):
        log_in(Client(), "ana", "wrong")
    assert log_in(Client(), "ana", "right-pass").status_code == 429

    response = log_in(Client(), "eddie", "other-pass")
    assert response.status_code == 302
    # The lockout is for the username from that address: ana on another machine still gets in.
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert log_in(elsewhere, "ana", "right-pass").status_code == 302


def test_a_successful_login_resets_the_failure_count(axes_on, make_user):
    user(make_user, "Analyst", "ana", "right-pass")
    for _ in range(4):
        log_in(Client(), "ana", "wrong")
    assert log_in(Client(), "ana", "right-pass").status_code == 302
    for _ in range(4):
        assert log_in(Client(), "ana", "wrong").status_code == 200
    assert log_in(Client(), "ana", "right-pass").status_code == 302


def test_the_rate_limit_is_on_by_default_in_the_real_settings():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    source = (ROOT / "config" / "settings.py").read_text()
    assert 'AXES_ENABLED = env.bool("AXES_ENABLED", default=True)' in source
    assert 'AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)' in source


# Session lifetime ------------------------------------------------------------------------------------------


def test_a_session_lasts_session_cookie_age_seconds(settings, make_user):
    settings.SESSION_COOKIE_AGE = 600
    user(make_user, "Analyst", "ana", "right-pass")
    client = Client()
    response = log_in(client, "ana", "right-pass")
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 600
    assert client.session.get_expiry_age() == 600
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


def test_an_expired_or_deleted_session_logs_the_user_out_and_logging_out_ends_it(make_user):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user(make_user, "Analyst", "ana", "right-pass")
    client = Client()
    assert log_in(client, "ana", "right-pass").status_code == 302
    assert client.get("/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    # Expired in the database (the cookie still sent): back to the login page.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")

    assert log_in(client, "ana", "right-pass").status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/").status_code == 200
    Session.objects.filter(session_key=key).delete()
    assert client.get("/").status_code == 302

    # Logging out deletes the session: its cookie, sent again by someone who copied it, opens nothing.
    assert log_in(client, "ana", "right-pass").status_code == 302
    copied = Client()
    copied.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert copied.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert copied.get("/").status_code == 302


def test_a_page_reads_the_session_in_one_query(analyst_client, hajin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert analyst_client.get("/").status_code == 200
    session_reads = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]
    assert len(session_reads) == 1
    assert session_reads[0].startswith('SELECT "session_data" FROM "django_session"')
