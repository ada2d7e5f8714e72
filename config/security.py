"""Security helpers the settings refer to by name (README, "Security")."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csp_nonce(request: HttpRequest) -> dict[str, object]:
    """Templates' ``csp_nonce``: the request's Content-Security-Policy nonce, which django-htmx's
    ``{% htmx_script %}`` puts on its script tags. django-csp names it ``request.csp_nonce``; it stays lazy,
    so a page that never uses it sends no nonce in its header."""
    return {"csp_nonce": getattr(request, "csp_nonce", None)}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """django-axes' answer to a locked-out login (``AXES_LOCKOUT_CALLABLE``): a page saying why and for how
    long, with status 429 (Too Many Requests)."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    context = {
        "username": (credentials or {}).get("username") or request.POST.get("username", ""),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
    }
    return render(request, "registration/locked_out.html", context, status=429)
