"""The whole permission matrix: role x URL x method -> status, enforced by the server."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "nobody", "Analyst", "Editor", "Admin")
READ = {"anonymous": 302, "nobody": 403, "Analyst": 200, "Editor": 200, "Admin": 200}
ADMIN_ONLY = {"anonymous": 302, "nobody": 302, "Analyst": 302, "Editor": 302, "Admin": 200}
NOT_ALLOWED = dict.fromkeys(ROLES, 405)

# (url name, how to build the path from the fixture data, method) -> expected status per role
MATRIX = [
    ("incidents:list", lambda d: "/", "get", READ),
    ("incidents:list", lambda d: "/", "post", NOT_ALLOWED),
    ("incidents:detail", lambda d: f"/incidents/{d['incident'].pk}/", "get", READ),
    ("incidents:detail", lambda d: f"/incidents/{d['incident'].pk}/", "post", NOT_ALLOWED),
    ("sources:list", lambda d: "/sources/", "get", READ),
    ("sources:list", lambda d: "/sources/", "post", NOT_ALLOWED),
    ("sources:detail", lambda d: f"/sources/{d['sohr'].pk}/", "get", READ),
    ("sources:detail", lambda d: f"/sources/{d['sohr'].pk}/", "post", NOT_ALLOWED),
    ("admin:index", lambda d: "/admin/", "get", ADMIN_ONLY),
    ("admin:sources_source_changelist", lambda d: "/admin/sources/source/", "get", ADMIN_ONLY),
    (
        "admin:sources_source_change",
        lambda d: f"/admin/sources/source/{d['sohr'].pk}/change/",
        "get",
        ADMIN_ONLY,
    ),
    ("admin:auth_user_changelist", lambda d: "/admin/auth/user/", "get", ADMIN_ONLY),
    ("admin:incidents_claim_changelist", lambda d: "/admin/incidents/claim/", "get", ADMIN_ONLY),
    (
        "login",
        lambda d: "/accounts/login/",
        "get",
        {**dict.fromkeys(ROLES, 302), "anonymous": 200, "nobody": 302},
    ),
]


def _feature_cases() -> list[tuple]:
    """Each feature adds its rows in a ``tests/**/permission_cases_*.py`` module as ``CASES``."""
    import importlib
    from pathlib import Path

    cases: list[tuple] = []
    root = Path(__file__).parent
    for path in sorted(root.rglob("permission_cases_*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        cases += importlib.import_module(module).CASES
    return cases


MATRIX += _feature_cases()

# Every named URL of the project's own apps must appear in MATRIX (the admin's are sampled above).
OWN_NAMESPACES = ("incidents", "sources", "imports", "flags", "analytics", "entry")


def _names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_own_url_is_in_the_matrix():
    own = {name for name in _names(get_resolver()) if name.split(":")[0] in OWN_NAMESPACES}
    covered = {name for name, *_ in MATRIX}
    assert own <= covered, f"add these URLs to the permission matrix: {sorted(own - covered)}"


@pytest.fixture
def clients(make_user):
    clients = {"anonymous": Client()}
    for role in ROLES[1:]:
        client = Client()
        client.force_login(make_user(None if role == "nobody" else role, username=f"{role.lower()}-user"))
        clients[role] = client
    return clients


@pytest.mark.parametrize(
    ("name", "path", "method", "expected"), MATRIX, ids=[f"{m[2]} {m[0]}" for m in MATRIX]
)
def test_permission_matrix(clients, hajin, name, path, method, expected):
    url = path(hajin)
    got = {role: getattr(clients[role], method)(url).status_code for role in ROLES}
    assert got == expected
