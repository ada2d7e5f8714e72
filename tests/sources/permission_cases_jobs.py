"""Permission matrix rows for the background import pages (collected by tests/test_permissions.py)."""

from __future__ import annotations

from sources.models import ImportJob

ROLES = ("anonymous", "nobody", "Analyst", "Editor", "Admin")
NOT_ALLOWED = dict.fromkeys(ROLES, 405)


def someone_elses_job(d: dict) -> str:
    """A job none of the matrix's users started: editors see it, an analyst does not (404)."""
    job = ImportJob.objects.create(importer="hasila", filename="c.csv", data=b"x", content_hash="0" * 64)
    return f"/imports/jobs/{job.pk}/"


CASES = [
    (
        "imports:jobs",
        lambda d: "/imports/jobs/",
        "get",
        {"anonymous": 302, "nobody": 403, "Analyst": 200, "Editor": 200, "Admin": 200},
    ),
    ("imports:jobs", lambda d: "/imports/jobs/", "post", NOT_ALLOWED),
    (
        "imports:job",
        someone_elses_job,
        "get",
        {"anonymous": 302, "nobody": 403, "Analyst": 404, "Editor": 200, "Admin": 200},
    ),
    ("imports:job", someone_elses_job, "post", NOT_ALLOWED),
]
