"""Source pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from incidents.filters import search
from incidents.selectors import source_comparisons, source_incidents
from sources.selectors import source_list_queryset


@require_GET
@login_required
@permission_required("sources.view_source", raise_exception=True)
def source_list(request: HttpRequest) -> HttpResponse:
    """Every source with its kind, affiliation, spellings and number of incidents."""
    query = request.GET.get("q", "")[:200]
    sources = search(source_list_queryset(), query) if query else source_list_queryset()
    return render(request, "sources/source_list.html", {"sources": sources, "q": query})


@require_GET
@login_required
@permission_required("sources.view_source", raise_exception=True)
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A source, the incidents it reports, and how its figures compare with other sources'."""
    source = get_object_or_404(source_list_queryset(), pk=pk)
    context = {
        "source": source,
        "incidents": source_incidents(source),
        "comparisons": source_comparisons(source),
    }
    return render(request, "sources/source_detail.html", context)
