"""Admins curate sources and their spellings here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from sources.models import Report, Source, SourceAlias


class SourceAliasInline(admin.TabularInline[SourceAlias, Any]):
    model = SourceAlias
    extra = 1
    fields = ["alias", "normalized"]
    readonly_fields = ["normalized"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin[Source]):
    list_display = ["name", "name_ar", "kind", "affiliation", "country", "active"]
    list_filter = ["kind", "active", "country"]
    search_fields = ["name", "name_ar", "name_en", "aliases__normalized"]
    inlines = [SourceAliasInline]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin[Report]):
    list_display = ["__str__", "publisher", "published_on", "language"]
    list_filter = ["language", "publisher"]
    search_fields = ["title", "url"]
    readonly_fields = ["content_hash", "entered_by", "import_batch", "created_at", "updated_at"]
    raw_id_fields = ["publisher"]
