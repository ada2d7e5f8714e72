"""Permission matrix rows for the analytics and history pages (collected by tests/test_permissions.py)."""

from __future__ import annotations

READ = {"anonymous": 302, "nobody": 403, "Analyst": 200, "Editor": 200, "Admin": 200}
NOT_ALLOWED = dict.fromkeys(("anonymous", "nobody", "Analyst", "Editor", "Admin"), 405)
# The restore redirects back to the history page (with a message); only admins get that far.
ADMIN_WRITE = {"anonymous": 302, "nobody": 403, "Analyst": 403, "Editor": 403, "Admin": 302}


def _claim(d):
    return d["incident"].claims.get(claimed_by=d["sana"])


def _flag(d):
    from incidents.models import Flag

    flag, _ = Flag.objects.get_or_create(incident=d["incident"], outcome="killed", category="civilians")
    return flag


def _first_version(d):
    from incidents.history import history

    claim = _claim(d)
    return f"/analytics/history/claim/{claim.pk}/restore/{history('claim', claim.pk)[-1].event_id}/"


PAGES = [
    ("analytics:matrix", lambda d: "/analytics/"),
    ("analytics:matrix", lambda d: "/analytics/?format=csv"),
    ("analytics:source", lambda d: f"/analytics/sources/{d['sohr'].pk}/"),
    ("analytics:source", lambda d: f"/analytics/sources/{d['sohr'].pk}/?format=csv"),
    ("analytics:timeline", lambda d: "/analytics/timeline/"),
    ("analytics:timeline", lambda d: "/analytics/timeline/?format=csv"),
    ("analytics:history_incident", lambda d: f"/analytics/history/incident/{d['incident'].pk}/"),
    ("analytics:history_claim", lambda d: f"/analytics/history/claim/{_claim(d).pk}/"),
    ("analytics:history_source", lambda d: f"/analytics/history/source/{d['sohr'].pk}/"),
    ("analytics:history_flag", lambda d: f"/analytics/history/flag/{_flag(d).pk}/"),
]

CASES = [
    *((name, path, "get", READ) for name, path in PAGES),
    *((name, path, "post", NOT_ALLOWED) for name, path in PAGES),
    ("analytics:restore_claim", _first_version, "post", ADMIN_WRITE),
    ("analytics:restore_claim", _first_version, "get", NOT_ALLOWED),
]
