from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

# A 503 "database unavailable" page when the database cannot be reached, else the usual 500 page.
handler500 = "config.errors.server_error"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("sources/", include("sources.urls")),
    path("imports/", include("sources.import_urls")),
    path("queue/", include("incidents.flag_urls")),
    path("analytics/", include("sources.analytics_urls")),
    path("", include("incidents.entry_urls")),
    path("", include("incidents.urls")),
]
