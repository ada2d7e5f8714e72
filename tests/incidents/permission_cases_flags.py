"""Permission matrix rows for the discrepancy queue and flags (collected by tests/test_permissions.py).

POSTs carry no data: a role allowed to act gets the form's 400, the others are stopped before it.
"""

from __future__ import annotations

from incidents.models import Flag

READ = {"anonymous": 302, "nobody": 403, "Analyst": 200, "Editor": 200, "Admin": 200}
EDITORS_ONLY = {"anonymous": 302, "nobody": 403, "Analyst": 403, "Editor": 400, "Admin": 400}
NOT_ALLOWED = dict.fromkeys(("anonymous", "nobody", "Analyst", "Editor", "Admin"), 405)


def _flag_url(d, suffix: str = "") -> str:
    flag, _ = Flag.objects.get_or_create(incident=d["incident"], outcome="killed", category="civilians")
    return f"/queue/flags/{flag.pk}/{suffix}"


CASES = [
    ("flags:queue", lambda d: "/queue/", "get", READ),
    ("flags:queue", lambda d: "/queue/", "post", NOT_ALLOWED),
    ("flags:create", lambda d: "/queue/flag/", "post", EDITORS_ONLY),
    ("flags:create", lambda d: "/queue/flag/", "get", NOT_ALLOWED),
    ("flags:detail", lambda d: _flag_url(d), "get", READ),
    ("flags:detail", lambda d: _flag_url(d), "post", NOT_ALLOWED),
    *(
        (f"flags:{name}", lambda d, suffix=suffix: _flag_url(d, suffix), method, expected)
        for name, suffix in (
            ("assign", "assign/"),
            ("status", "status/"),
            ("resolve", "resolve/"),
            ("dismiss", "dismiss/"),
            ("comment", "comments/"),
        )
        for method, expected in (("post", EDITORS_ONLY), ("get", NOT_ALLOWED))
    ),
]
