"""What happened, where, and what each source claims about it."""

from __future__ import annotations

from typing import Any

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Ceil, Floor, Greatest

from config.paths import path_for
from incidents.comparison import figure_errors
from sources.bulk_writes import UNLESS_BULK
from sources.models import Report, Source, search_index
from sources.normalized import NormalizedKeysModel


class PlaceLevel(models.IntegerChoices):
    COUNTRY = 0, "Country"
    GOVERNORATE = 1, "Governorate"
    DISTRICT = 2, "District"
    SUBDISTRICT = 3, "Sub-district"
    COMMUNITY = 4, "Community"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Place(NormalizedKeysModel):
    """A gazetteer node. ``path`` holds the ids from the root ("/1/5/42/") so a sub-tree is one prefix."""

    name_en = models.CharField("English name", max_length=200)
    name_ar = models.CharField("Arabic name", max_length=200, blank=True)
    aliases = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    level = models.PositiveSmallIntegerField(choices=PlaceLevel.choices)
    # NULL where unknown, so that the unique constraint applies to real P-codes only.
    pcode = models.CharField("P-code", max_length=20, null=True, blank=True, unique=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    path = models.CharField(max_length=255, editable=False, default="")
    search_key = models.TextField(editable=False, default="")

    search_keys = {"search_key": ("name_en", "name_ar", "aliases")}

    class Meta:
        ordering = ["level", "name_en"]
        indexes = [
            models.Index(OpClass("path", name="varchar_pattern_ops"), name="place_path_prefix"),
            search_index("place_search"),
            # The list's place menu: the upper levels in tree order, without reading every community.
            models.Index(fields=["path"], condition=Q(level__lte=PlaceLevel.DISTRICT), name="place_menu"),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} / {self.name_ar}" if self.name_ar else self.name_en


class IncidentType(models.TextChoices):
    AIRSTRIKE = "airstrike", "Airstrike"
    SHELLING = "shelling", "Shelling / artillery"
    GROUND_CLASH = "ground_clash", "Ground clash"
    EXPLOSIVE_DEVICE = "explosive_device", "Explosive device / car bomb"
    EXECUTION = "execution", "Execution / killing"
    OTHER = "other", "Other"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


# Incident columns the database derives (from claims, from places): statements in SQL write them, never an
# update from an instance, whose copy may be older than the row's (an incident saved after its places changed).
INCIDENT_DERIVED_COLUMNS = ("summary", "has_conflict", "source_count", "place_tree")


@pghistory.track(
    pghistory.InsertEvent(condition=UNLESS_BULK),
    # The derived columns' refresh is not an edit of the incident.
    pghistory.UpdateEvent(
        condition=pghistory.AnyChange(exclude=[*INCIDENT_DERIVED_COLUMNS, "search_key", "updated_at"])
    ),
    pghistory.DeleteEvent(),
    # Derived from the places, which the history of the place links keeps; not copied into every event.
    exclude=["place_tree"],
)
class Incident(NormalizedKeysModel):
    """An event: when, where, what kind, and by whom it is alleged to have been carried out."""

    title = models.CharField(max_length=300)
    date_start = models.DateField()
    date_end = models.DateField(null=True, blank=True, help_text="Empty for a single day.")
    date_precision = models.CharField(max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY)
    places = models.ManyToManyField(Place, related_name="incidents", blank=True)
    type = models.CharField(max_length=20, choices=IncidentType.choices, default=IncidentType.OTHER)
    perpetrator = models.CharField("alleged perpetrator", max_length=200, blank=True)
    description = models.TextField(blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="Stable key from an import, e.g. 'ged:268767' or 'demo:hajin'."
    )
    # Who entered a row is shown with it, never searched by: no index to keep on every write (deleting a user,
    # which sets these to NULL, reads the table instead).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Derived from the current claims by incidents.services.refresh_incident_summaries (one SQL statement),
    # so that the list can show and filter on them without aggregating per request.
    summary = models.JSONField(default=dict, editable=False)
    has_conflict = models.BooleanField(default=False, editable=False)
    source_count = models.PositiveIntegerField(default=0, editable=False)
    search_key = models.TextField(editable=False, default="")
    # The ids of the places the incident is filed under and of all their upper places, kept by the database
    # (migration 0011): a place filter is one array test on the incident's own row, or one index look-up,
    # instead of a join to its places per incident read.
    place_tree = ArrayField(models.BigIntegerField(), default=list, db_default=[], editable=False)

    search_keys = {"search_key": ("title", "description", "perpetrator")}

    class Meta:
        ordering = ["-date_start", "-id"]
        indexes = [
            models.Index(fields=["-date_start", "-id"], name="incident_date_keyset"),
            models.Index(
                fields=["-date_start", "-id"], condition=Q(has_conflict=True), name="incident_conflict_keyset"
            ),
            # The "most sources" sort and its keyset cursor.
            models.Index(fields=["-source_count", "-date_start", "-id"], name="incident_sources_keyset"),
            search_index("incident_search"),
            GinIndex(fields=["place_tree"], name="incident_place_tree"),
        ]
        permissions = [
            ("edit_others_entries", "Can edit incidents, reports and claims entered by others"),
            ("resolve_flag", "Can resolve or dismiss flags"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_end__isnull=True) | Q(date_end__gte=F("date_start")),
                name="incident_date_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="incident_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date_start:%Y-%m-%d} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            # What Django's save would write (the loaded fields), less the derived columns.
            skipped = {*INCIDENT_DERIVED_COLUMNS, *self.get_deferred_fields()}
            kwargs["update_fields"] = [
                field.attname
                for field in self._meta.concrete_fields
                if not field.primary_key and field.attname not in skipped
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return path_for("incidents:detail", self.pk)


class Outcome(models.TextChoices):
    KILLED = "killed", "Killed"
    INJURED = "injured", "Injured"
    KILLED_OR_INJURED = "killed_or_injured", "Killed or injured"


class Category(models.TextChoices):
    PEOPLE = "people", "People"
    CIVILIANS = "civilians", "Civilians"
    CHILDREN = "children", "Children"
    WOMEN = "women", "Women"
    MEN = "men", "Men"
    COMBATANTS = "combatants", "Combatants"
    SECURITY_FORCES = "security_forces", "Security forces"


class Qualifier(models.TextChoices):
    EXACT = "exact", "exactly"
    AT_LEAST = "at_least", "at least"
    MORE_THAN = "more_than", "more than"
    ABOUT = "about", "about"
    UP_TO = "up_to", "up to"
    RANGE = "range", "range"
    UNSPECIFIED = "unspecified", "unspecified amount"


class ClaimStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate (from extraction)"
    CONFIRMED = "confirmed", "Confirmed by an analyst"


def _qualifier_bounds(qualifier: Qualifier, low: bool, high: bool, equal: bool | None = None) -> Q:
    q = Q(qualifier=qualifier, low__isnull=not low, high__isnull=not high)
    if equal is True:
        q &= Q(low=F("high"))
    elif equal is False:
        q &= Q(low__lt=F("high"))
    return q


# The interval used for comparison, derived by the database from the figure as stated (README, "Comparison
# rules"): exact n -> [n, n]; about n -> [n - 10%, n + 10%] widened to at least +-1; at least n -> [n, inf);
# more than n -> [n + 1, inf); up to n -> [0, n]; range a-b -> [a, b]; an unspecified amount -> no interval.
# A NULL cmp_high means unbounded above.
ABOUT_MARGIN = 0.1
CMP_LOW = Case(
    When(qualifier=Qualifier.MORE_THAN, then=F("low") + 1),
    When(qualifier=Qualifier.UP_TO, then=Value(0)),
    When(
        qualifier=Qualifier.ABOUT,
        then=Greatest(Value(0), Floor(F("low") - Greatest(Value(1.0), F("low") * ABOUT_MARGIN))),
    ),
    default=F("low"),
    output_field=models.IntegerField(),
)
CMP_HIGH = Case(
    When(qualifier=Qualifier.ABOUT, then=Ceil(F("high") + Greatest(Value(1.0), F("high") * ABOUT_MARGIN))),
    default=F("high"),
    output_field=models.IntegerField(),
)


# History pages read this model's events by incident (event tables index only what is read).
@pghistory.track(
    pghistory.InsertEvent(condition=UNLESS_BULK),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    meta={"indexes": [models.Index(fields=["incident"], name="claimevent_by_incident")]},
)
class Claim(models.Model):
    """One source's figure for one outcome and category of one incident, with its words as written."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="claims")
    claimed_by = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="claims",
        help_text="The source that states the figure.",
    )
    # Indexed only where set (claim_by_report): most claims of a large import name no report, and a null
    # entry in the index would cost every such insert and be read by no query.
    report = models.ForeignKey(
        Report,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        db_index=False,
        help_text="Where the figure was read; its publisher may differ from the claimant.",
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    party = models.CharField(
        max_length=100, blank=True, help_text="The victims' armed group or force, e.g. ISIS or Syrian army."
    )
    low = models.PositiveIntegerField(null=True, blank=True)
    high = models.PositiveIntegerField(null=True, blank=True)
    qualifier = models.CharField(max_length=12, choices=Qualifier.choices, default=Qualifier.EXACT)
    words = models.CharField("words as written", max_length=500, blank=True)
    evidence = models.TextField(blank=True)
    evidence_start = models.PositiveIntegerField(null=True, blank=True)
    evidence_end = models.PositiveIntegerField(null=True, blank=True)
    stated_on = models.DateField(null=True, blank=True, help_text="When the source stated the figure.")
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.CONFIRMED)
    # A claim is superseded by at most one revision: claim_supersedes_once, unique where set (as the report).
    supersedes = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions", db_index=False
    )
    # Maintained by incidents.services: the source's latest confirmed claim for this row of the matrix.
    is_current = models.BooleanField(default=False, editable=False)
    external_id = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)
    # Not indexed, as ``Incident.created_by``.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    cmp_low = models.GeneratedField(expression=CMP_LOW, output_field=models.IntegerField(), db_persist=True)
    cmp_high = models.GeneratedField(expression=CMP_HIGH, output_field=models.IntegerField(), db_persist=True)

    class Meta:
        ordering = ["incident", "outcome", "category", "party", "claimed_by"]
        # A current claim's matrix row (incident, outcome, category, party) is found through the unique
        # constraint claim_one_current_per_source_row, which leads with the incident: an index of its own
        # would only cost every write (about a tenth of a bulk import's claim INSERT).
        indexes = [
            models.Index(
                fields=["claimed_by", "incident"],
                condition=Q(is_current=True),
                name="claim_current_by_source",
            ),
            models.Index(fields=["report"], condition=Q(report__isnull=False), name="claim_by_report"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="claim_low_lte_high",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(low__gte=0), name="claim_low_nonnegative"
            ),
            models.CheckConstraint(
                condition=(
                    _qualifier_bounds(Qualifier.EXACT, low=True, high=True, equal=True)
                    | _qualifier_bounds(Qualifier.ABOUT, low=True, high=True, equal=True)
                    | _qualifier_bounds(Qualifier.AT_LEAST, low=True, high=False)
                    | _qualifier_bounds(Qualifier.MORE_THAN, low=True, high=False)
                    | _qualifier_bounds(Qualifier.UP_TO, low=False, high=True)
                    | _qualifier_bounds(Qualifier.RANGE, low=True, high=True, equal=False)
                    | _qualifier_bounds(Qualifier.UNSPECIFIED, low=False, high=False)
                ),
                name="claim_qualifier_matches_bounds",
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status=ClaimStatus.CONFIRMED),
                name="claim_current_is_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(evidence_start__isnull=True)
                | Q(evidence_end__isnull=True)
                | Q(evidence_start__lte=F("evidence_end")),
                name="claim_evidence_span_ordered",
            ),
            # At most one current claim per source and row of the comparison matrix.
            models.UniqueConstraint(
                fields=["incident", "claimed_by", "outcome", "category", "party"],
                condition=Q(is_current=True),
                name="claim_one_current_per_source_row",
            ),
            models.UniqueConstraint(
                fields=["supersedes"], condition=Q(supersedes__isnull=False), name="claim_supersedes_once"
            ),
            models.UniqueConstraint(
                fields=["claimed_by", "external_id"],
                condition=~Q(external_id=""),
                name="claim_unique_external_id_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claimed_by}: {self.outcome} {self.category} {self.figure}"

    def clean(self) -> None:
        """The figure's bounds must fit its qualifier (the same rules as the database constraints, checked
        here without a query so that services and forms can name the field)."""
        errors = figure_errors(self.low, self.high, self.qualifier)
        if errors:
            raise ValidationError(errors)

    @property
    def figure(self) -> str:
        """The figure in words a reader expects: "15", "at least 14", "14-21", "dozens (unspecified)"."""
        return figure_text(self.low, self.high, self.qualifier)


def figure_text(low: int | None, high: int | None, qualifier: str) -> str:
    """A stated figure in words (``Claim.figure``)."""
    if qualifier == Qualifier.UNSPECIFIED:
        return "unspecified"
    if qualifier == Qualifier.RANGE:
        return f"{low}–{high}"
    if qualifier == Qualifier.EXACT:
        return str(low)
    value = high if qualifier == Qualifier.UP_TO else low
    return f"{Qualifier(qualifier).label} {value}"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


# History pages read this model's events by incident (event tables index only what is read).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    meta={"indexes": [models.Index(fields=["incident"], name="flagevent_by_incident")]},
)
class Flag(models.Model):
    """An editor's record that a discrepancy (incident x outcome x category x party) needs attention."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="flags")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    party = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    note = models.TextField(blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_flags",
    )
    resolution_low = models.PositiveIntegerField(null=True, blank=True)
    resolution_high = models.PositiveIntegerField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped on every change; guards concurrent edits."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "outcome", "category", "party"], name="flag_one_per_row"
            ),
            models.CheckConstraint(
                condition=Q(resolution_low__isnull=True)
                | Q(resolution_high__isnull=True)
                | Q(resolution_low__lte=F("resolution_high")),
                name="flag_resolution_low_lte_high",
            ),
            models.CheckConstraint(
                condition=~Q(status=FlagStatus.RESOLVED) | Q(resolution_low__isnull=False),
                name="flag_resolved_has_figure",
            ),
        ]

    def __str__(self) -> str:
        return f"Flag on {self.incident_id}: {self.outcome} {self.category} ({self.status})"


# History pages read this model's events by flag (event tables index only what is read).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    meta={"indexes": [models.Index(fields=["flag"], name="flagcommentevent_by_flag")]},
)
class FlagComment(models.Model):
    """A comment in a flag's thread."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    automatic = models.BooleanField(default=False, help_text="Written by Hasila, not a person.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on flag {self.flag_id}"
