"""Permission matrix rows for entering data by hand and from articles (collected by tests/test_permissions.py).

The Hajin fixture's incident and claims were entered by nobody in particular (an import), so only editors and
admins may change them; analysts may add to them. An empty POST is answered by the form with its errors.
"""

from __future__ import annotations

from incidents.models import Claim

ROLES = ("anonymous", "nobody", "Analyst", "Editor", "Admin")
ANALYSTS = {"anonymous": 302, "nobody": 403, "Analyst": 200, "Editor": 200, "Admin": 200}
EDITORS = {"anonymous": 302, "nobody": 403, "Analyst": 403, "Editor": 200, "Admin": 200}
EDITORS_REDIRECTED = {"anonymous": 302, "nobody": 403, "Analyst": 403, "Editor": 302, "Admin": 302}
NOT_ALLOWED = dict.fromkeys(ROLES, 405)


def _claim(d) -> int:
    return Claim.objects.filter(incident=d["incident"], claimed_by=d["sana"]).values_list("pk", flat=True)[0]


CASES = [
    ("entry:incident_create", lambda d: "/incidents/new/", "get", ANALYSTS),
    ("entry:incident_create", lambda d: "/incidents/new/", "post", ANALYSTS),
    ("entry:incident_edit", lambda d: f"/incidents/{d['incident'].pk}/edit/", "get", EDITORS),
    ("entry:incident_edit", lambda d: f"/incidents/{d['incident'].pk}/edit/", "post", EDITORS),
    ("entry:claim_create", lambda d: f"/incidents/{d['incident'].pk}/claims/new/", "get", ANALYSTS),
    ("entry:claim_create", lambda d: f"/incidents/{d['incident'].pk}/claims/new/", "post", ANALYSTS),
    ("entry:claim_edit", lambda d: f"/claims/{_claim(d)}/edit/", "get", EDITORS),
    ("entry:claim_edit", lambda d: f"/claims/{_claim(d)}/edit/", "post", EDITORS),
    ("entry:claim_confirm", lambda d: f"/claims/{_claim(d)}/confirm/", "get", NOT_ALLOWED),
    ("entry:claim_confirm", lambda d: f"/claims/{_claim(d)}/confirm/", "post", EDITORS_REDIRECTED),
    ("entry:article_new", lambda d: "/articles/new/", "get", ANALYSTS),
    ("entry:article_new", lambda d: "/articles/new/", "post", NOT_ALLOWED),
    ("entry:article_review", lambda d: "/articles/review/", "get", NOT_ALLOWED),
    ("entry:article_review", lambda d: "/articles/review/", "post", ANALYSTS),
    ("entry:article_confirm", lambda d: "/articles/confirm/", "get", NOT_ALLOWED),
    ("entry:article_confirm", lambda d: "/articles/confirm/", "post", ANALYSTS),
    ("entry:autocomplete_sources", lambda d: "/autocomplete/sources/?q=sana", "get", ANALYSTS),
    ("entry:autocomplete_sources", lambda d: "/autocomplete/sources/", "post", NOT_ALLOWED),
    ("entry:autocomplete_places", lambda d: "/autocomplete/places/?q=hajin", "get", ANALYSTS),
    ("entry:autocomplete_places", lambda d: "/autocomplete/places/", "post", NOT_ALLOWED),
]
