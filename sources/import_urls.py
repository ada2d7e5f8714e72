from __future__ import annotations

from django.urls import path

from sources import import_views, job_views

app_name = "imports"
urlpatterns = [
    path("", import_views.import_start, name="start"),
    path("preview/", import_views.import_preview, name="preview"),
    path("confirm/", import_views.import_confirm, name="confirm"),
    path("export/", import_views.export, name="export"),
    path("jobs/", job_views.import_jobs, name="jobs"),
    path("jobs/<int:pk>/", job_views.import_job, name="job"),
]
