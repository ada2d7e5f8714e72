"""Reads for the source pages."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from sources.models import Source, SourceAlias


def source_list_queryset() -> QuerySet[Source]:
    """Sources with their aliases and the number of incidents on which they have a current claim."""
    return Source.objects.prefetch_related(
        Prefetch("aliases", queryset=SourceAlias.objects.order_by("alias"))
    ).annotate(
        incident_count=Count("claims__incident", filter=Q(claims__is_current=True), distinct=True),
    )


def alias_table() -> dict[str, list[str]]:
    """Every source's spellings, for the extraction engine: canonical name -> aliases."""
    table: dict[str, list[str]] = {}
    for name, alias in SourceAlias.objects.values_list("source__name", "alias").order_by(
        "source__name", "alias"
    ):
        table.setdefault(name, []).append(alias)
    return table
