from __future__ import annotations

from django.urls import path

from incidents import entry_views as views

app_name = "entry"
urlpatterns = [
    path("incidents/new/", views.incident_create, name="incident_create"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/claims/new/", views.claim_create, name="claim_create"),
    path("claims/<int:pk>/edit/", views.claim_edit, name="claim_edit"),
    path("claims/<int:pk>/confirm/", views.claim_confirm, name="claim_confirm"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/review/", views.article_review, name="article_review"),
    path("articles/confirm/", views.article_confirm, name="article_confirm"),
    path("autocomplete/sources/", views.source_autocomplete, name="autocomplete_sources"),
    path("autocomplete/places/", views.place_autocomplete, name="autocomplete_places"),
]
