"""Permission matrix rows for the import pages and the export (collected by tests/test_permissions.py)."""

from __future__ import annotations

ROLES = ("anonymous", "nobody", "Analyst", "Editor", "Admin")
NOT_ALLOWED = dict.fromkeys(ROLES, 405)
# Without a file (or a token) the preview and the confirm explain what is missing: 400, never a 500.
IMPORTERS_ONLY_EMPTY_POST = {"anonymous": 302, "nobody": 403, "Analyst": 400, "Editor": 400, "Admin": 400}

CASES = [
    (
        "imports:start",
        lambda d: "/imports/",
        "get",
        {"anonymous": 302, "nobody": 403, "Analyst": 200, "Editor": 200, "Admin": 200},
    ),
    ("imports:start", lambda d: "/imports/", "post", NOT_ALLOWED),
    ("imports:preview", lambda d: "/imports/preview/", "post", IMPORTERS_ONLY_EMPTY_POST),
    ("imports:preview", lambda d: "/imports/preview/", "get", NOT_ALLOWED),
    ("imports:confirm", lambda d: "/imports/confirm/", "post", IMPORTERS_ONLY_EMPTY_POST),
    ("imports:confirm", lambda d: "/imports/confirm/", "get", NOT_ALLOWED),
    (
        "imports:export",
        lambda d: "/imports/export/?format=csv",
        "get",
        {"anonymous": 302, "nobody": 403, "Analyst": 200, "Editor": 200, "Admin": 200},
    ),
    ("imports:export", lambda d: "/imports/export/", "post", NOT_ALLOWED),
]
