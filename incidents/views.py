"""Incident pages. Views stay thin: selectors read, services write, templates render."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails

from incidents.filters import IncidentFilter
from incidents.selectors import (
    InvalidCursor,
    comparison_matrix,
    incident_list_queryset,
    incident_page,
    keyset_page,
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
@login_required
@permission_required("incidents.view_incident", raise_exception=True)
def incident_list(request: HtmxHttpRequest) -> HttpResponse:
    """The incident list; an htmx request gets only the results partial, so filters update in place."""
    filterset = IncidentFilter(request.GET, queryset=incident_list_queryset())
    status = 200
    page = None
    if filterset.is_valid():
        sort = filterset.form.cleaned_data.get("sort") or "newest"
        try:
            page = keyset_page(
                filterset.qs, sort=sort, after=request.GET.get("after"), size=settings.PAGE_SIZE
            )
        except InvalidCursor:
            status = 400
        if page is not None and page.items:
            filterset.menu_version = page.items[0].menu_version  # read with the list's rows
    else:
        status = 400
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "after": request.GET.get("after"),
    }
    template = "incidents/incident_list.html#results" if request.htmx and not request.htmx.boosted else None
    return render(request, template or "incidents/incident_list.html", context, status=status)


@require_GET
@login_required
@permission_required("incidents.view_incident", raise_exception=True)
def incident_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One incident: every source's figures side by side, with spreads, consensus and checks."""
    incident = incident_page(pk)
    if incident is None:
        raise Http404("No such incident")
    matrix = comparison_matrix(incident)
    return render(request, "incidents/incident_detail.html", {"incident": incident, "matrix": matrix})
