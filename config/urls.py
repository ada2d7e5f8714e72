from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

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
