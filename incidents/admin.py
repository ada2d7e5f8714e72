"""Admin views of the gazetteer, incidents and claims (day-to-day entry happens in the app's pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from incidents.models import Claim, Flag, FlagComment, Incident, Place


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shown for reference only: these are written through the app's pages and services, which keep the
    derived columns (current claims, incident summaries, place paths) right."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin[Place]):
    """Names, aliases and coordinates are curated here; the hierarchy comes from ``load_gazetteer``."""

    list_display = ["name_en", "name_ar", "level", "pcode", "parent"]
    list_filter = ["level"]
    search_fields = ["name_en", "name_ar", "pcode"]
    readonly_fields = ["parent", "level", "path"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


CLAIM_COLUMNS = (
    "claimed_by",
    "outcome",
    "category",
    "party",
    "low",
    "high",
    "qualifier",
    "status",
    "is_current",
)


class ClaimInline(admin.TabularInline[Claim, Any]):
    model = Claim
    fk_name = "incident"
    extra = 0
    fields = CLAIM_COLUMNS
    readonly_fields = CLAIM_COLUMNS
    can_delete = False
    show_change_link = True


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["title", "date_start", "type", "source_count", "has_conflict"]
    list_filter = ["type", "has_conflict"]
    search_fields = ["title"]
    filter_horizontal = ["places"]
    inlines = [ClaimInline]
    readonly_fields = ["summary", "has_conflict", "source_count"]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = [
        "incident",
        "claimed_by",
        "outcome",
        "category",
        "party",
        "low",
        "high",
        "qualifier",
        "is_current",
    ]
    list_filter = ["outcome", "category", "qualifier", "status"]
    raw_id_fields = ["incident", "report", "supersedes", "claimed_by"]
    readonly_fields = ["is_current", "cmp_low", "cmp_high"]


class FlagCommentInline(admin.TabularInline[FlagComment, Any]):
    model = FlagComment
    extra = 0


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ["incident", "outcome", "category", "party", "status", "assigned_to"]
    list_filter = ["status"]
    raw_id_fields = ["incident"]
    inlines = [FlagCommentInline]
