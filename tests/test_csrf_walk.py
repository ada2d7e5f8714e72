"""Every URL of the project, walked: a POST (PUT, DELETE) without a CSRF token is refused and changes nothing,
and a GET never changes data, whoever sends it.

The paths come from the permission matrix (tests/test_permissions.py and the ``permission_cases_*`` modules)
and, for the Django admin, from its model registry; a named URL that neither can build fails the walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, reverse

from tests.test_permissions import MATRIX, ROLES, _names

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
# Named URLs outside the permission matrix (Django's auth views).
OTHER = [("logout", lambda d: reverse("logout"))]


def _admin_paths(names: set[str], d: dict[str, Any]) -> dict[str, str]:
    """A concrete path for each named admin URL, with a real object wherever the URL names one."""
    paths: dict[str, str] = {}
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        obj = model._default_manager.order_by("pk").first()
        for name in names:
            if name.startswith(prefix) and name not in paths:
                try:
                    paths[name] = reverse(name)
                except NoReverseMatch:
                    paths[name] = reverse(name, args=[obj.pk if obj is not None else 1])
    incident = d["incident"]
    paths["admin:app_list"] = reverse("admin:app_list", kwargs={"app_label": "incidents"})
    paths["admin:view_on_site"] = reverse(
        "admin:view_on_site", args=[ContentType.objects.get_for_model(incident).pk, incident.pk]
    )
    for name in names - set(paths):
        try:
            paths[name] = reverse(name)
        except NoReverseMatch:
            continue
    return paths


def url_paths(d: dict[str, Any]) -> dict[str, str]:
    """Every named URL of the project -> one concrete path (the matrix's first, with its fixture ids)."""
    names = _names(get_resolver())
    paths: dict[str, str] = {}
    cases: list[tuple[Any, ...]] = [*MATRIX, *OTHER]
    for name, build, *_ in cases:
        paths.setdefault(name, build(d))
    paths |= _admin_paths({n for n in names if n.startswith("admin:")}, d)
    missing = names - set(paths)
    assert not missing, f"the walk cannot build a path for: {sorted(missing)}"
    return paths


def _tables() -> list[str]:
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    existing = set(connection.introspection.table_names())
    return sorted(tables & existing)


def snapshot() -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows: an insert, update or delete anywhere shows."""
    state = {}
    with connection.cursor() as cursor:
        for table in _tables():
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {quoted} t"
            )
            state[table] = tuple(cursor.fetchone())
    return state


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(table for table in before if before[table] != after[table])


@pytest.fixture
def role_users(make_user) -> dict[str, Any]:
    return {
        role: make_user(None if role == "nobody" else role, username=f"walk-{role.lower()}")
        for role in ROLES[1:]
    }


def _clients(role_users, *, enforce_csrf_checks: bool = False) -> Iterator[tuple[str, Client]]:
    yield "anonymous", Client(enforce_csrf_checks=enforce_csrf_checks)
    for role, user in role_users.items():
        client = Client(enforce_csrf_checks=enforce_csrf_checks)
        client.force_login(user)
        yield role, client


def test_every_url_refuses_a_write_without_a_csrf_token_and_nothing_changes(role_users, hajin):
    paths = url_paths(hajin)
    client = Client(enforce_csrf_checks=True)
    client.force_login(role_users["Admin"])
    before = snapshot()
    refused = {}
    for name, path in sorted(paths.items()):
        for method in WRITE_METHODS:
            response = getattr(client, method)(path, {"title": "changed", "status": "resolved"})
            refused[(name, method)] = (response.status_code, b"CSRF verification failed" in response.content)
    assert changed(before, snapshot()) == []
    # A POST is refused for its missing token; other methods may instead be refused outright (405) by a view
    # that checks the method before the token (the import preview, which must limit the upload's size first).
    not_refused = {
        (name, method): got
        for (name, method), got in refused.items()
        if got != (403, True) and not (method != "post" and got[0] == 405)
    }
    assert not_refused == {}
    # The walk covered the app's writes and the admin's, not just a handful of pages.
    assert {"entry:claim_confirm", "flags:resolve", "imports:confirm", "logout"} <= set(paths)
    assert sum(name.startswith("admin:") for name in paths) > 20


def test_the_write_urls_accept_the_same_post_with_its_token(role_users, hajin):
    """Control for the walk above: the 403s come from the missing token, not from the URL refusing POSTs."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(role_users["Admin"])
    page = client.get(f"/incidents/{hajin['incident'].pk}/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("entry:claim_confirm", args=[hajin["incident"].claims.first().pk]),
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 302


def test_a_get_of_any_url_by_any_role_changes_no_data_and_writes_no_history(role_users, hajin):
    paths = url_paths(hajin)
    for role, client in _clients(role_users):
        before = snapshot()
        statuses = {}
        for name, path in sorted(paths.items()):
            statuses[name] = client.get(path).status_code
            statuses[f"{name} (htmx)"] = client.get(path, headers={"HX-Request": "true"}).status_code
        assert changed(before, snapshot()) == [], role
        assert {name: s for name, s in statuses.items() if s >= 500} == {}, role
