"""The discrepancy queue (``/queue/``) and flags: pages and the actions editors post."""

from __future__ import annotations

from django.urls import path

from incidents import flag_views

app_name = "flags"
urlpatterns = [
    path("", flag_views.queue, name="queue"),
    path("flag/", flag_views.flag_create, name="create"),
    path("flags/<int:pk>/", flag_views.flag_detail, name="detail"),
    path("flags/<int:pk>/assign/", flag_views.flag_assign, name="assign"),
    path("flags/<int:pk>/status/", flag_views.flag_status, name="status"),
    path("flags/<int:pk>/resolve/", flag_views.flag_resolve, name="resolve"),
    path("flags/<int:pk>/dismiss/", flag_views.flag_dismiss, name="dismiss"),
    path("flags/<int:pk>/comments/", flag_views.flag_comment, name="comment"),
]
