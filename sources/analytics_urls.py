from __future__ import annotations

from django.urls import path

from sources import analytics_views as views

app_name = "analytics"
urlpatterns = [
    path("", views.pair_matrix, name="matrix"),
    path("sources/<int:pk>/", views.source_deviation, name="source"),
    path("timeline/", views.claims_timeline, name="timeline"),
    path("history/incident/<int:pk>/", views.incident_history, name="history_incident"),
    path("history/claim/<int:pk>/", views.claim_history, name="history_claim"),
    path("history/source/<int:pk>/", views.source_history, name="history_source"),
    path("history/flag/<int:pk>/", views.flag_history, name="history_flag"),
    path("history/claim/<int:pk>/restore/<int:event_id>/", views.restore_claim, name="restore_claim"),
]
