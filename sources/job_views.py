"""Background import pages: one job's live progress (polled by htmx) and the list of one's imports.

A job is shown to whoever started it and to editors (``incidents.edit_others_entries``); to anyone else it
does not exist (404). Without JavaScript the job page refreshes itself while the job runs.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from incidents.services import can_edit
from incidents.views import HtmxHttpRequest
from sources.models import ImportJob

# Columns the pages show: never the file's bytes.
_SHOWN = ("data",)


def _visible_jobs(user: User) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.defer(*_SHOWN).select_related("user")
    if user.has_perm("incidents.edit_others_entries"):
        return jobs
    return jobs.filter(user=user)


@require_GET
@login_required
@permission_required("sources.add_report", raise_exception=True)
def import_job(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A job's progress bar and counts; an htmx request gets the progress partial alone (polled each second
    until the job is done or failed)."""
    user = request.user
    assert isinstance(user, User)
    job = get_object_or_404(ImportJob.objects.defer(*_SHOWN).select_related("user"), pk=pk)
    if not can_edit(user, job.user_id):
        raise Http404("No such import.")
    template = "sources/imports/job_detail.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"job": job})


@require_GET
@login_required
@permission_required("sources.add_report", raise_exception=True)
def import_jobs(request: HtmxHttpRequest) -> HttpResponse:
    """My imports (an editor sees everyone's), newest first."""
    user = request.user
    assert isinstance(user, User)
    jobs = list(_visible_jobs(user)[: settings.PAGE_SIZE * 2])
    return render(
        request,
        "sources/imports/job_list.html",
        {"jobs": jobs, "everyone": user.has_perm("incidents.edit_others_entries")},
    )
