"""Writes to sources, aliases and reports. Every write in Hasila goes through a service."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from sources.extraction.normalize import normalize_search
from sources.models import Report, Source, SourceAlias, content_hash


@transaction.atomic
def upsert_source(*, name: str, aliases: tuple[str, ...] | list[str] = (), **fields: Any) -> Source:
    """Create or update the source called ``name`` and add any missing aliases (its names included)."""
    source = Source.objects.filter(name=name).first()
    if source is None:
        source = Source(name=name, **fields)
        source.fill_search_keys()
        source.full_clean()
        source.save()
    else:
        changed = {k: v for k, v in fields.items() if getattr(source, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(source, key, value)
            source.fill_search_keys()
            source.full_clean()
            source.save()
    for alias in (name, source.name_en, source.name_ar, *aliases):
        if alias and normalize_search(alias):
            add_alias(source=source, alias=alias)
    return source


@transaction.atomic
def add_alias(*, source: Source, alias: str) -> SourceAlias:
    """Record a spelling of a source's name; a spelling already known (once normalised) is left as it is."""
    normalized = normalize_search(alias)
    existing = SourceAlias.objects.filter(normalized=normalized).select_related("source").first()
    if existing is not None:
        if existing.source_id != source.pk:
            raise ValueError(f"The spelling {alias!r} already names {existing.source}.")
        return existing
    record = SourceAlias(source=source, alias=alias)
    record.save()
    return record


def find_source(name: str) -> Source | None:
    """The source one of whose spellings matches ``name`` once normalised."""
    normalized = normalize_search(name)
    if not normalized:
        return None
    alias = SourceAlias.objects.filter(normalized=normalized).select_related("source").first()
    return alias.source if alias else None


@transaction.atomic
def create_report(
    *,
    publisher: Source,
    text: str = "",
    url: str = "",
    title: str = "",
    published_on: datetime.date | None = None,
    language: str = "ar",
    entered_by: User | None = None,
    import_batch: str = "",
) -> tuple[Report, bool]:
    """Store a report exactly as given; the same text again returns the existing report and ``False``."""
    digest = content_hash(text)
    if digest is not None:
        existing = Report.objects.filter(content_hash=digest).first()
        if existing is not None:
            return existing, False
    report = Report(
        publisher=publisher,
        text=text,
        url=url,
        title=title,
        published_on=published_on,
        language=language,
        entered_by=entered_by,
        import_batch=import_batch,
    )
    report.fill_search_keys()
    report.full_clean()
    report.save()
    return report, True
