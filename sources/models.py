"""Who says what: sources, the spellings of their names, and the documents their claims are read in."""

from __future__ import annotations

import hashlib

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models.functions import Upper

from config.paths import path_for
from sources.bulk_writes import UNLESS_BULK
from sources.extraction.normalize import normalize_search
from sources.normalized import NormalizedKeysModel


class SourceKind(models.TextChoices):
    STATE_MEDIA = "state_media", "State media"
    NEWS_AGENCY = "news_agency", "News agency / outlet"
    MONITOR = "monitor", "Monitoring NGO"
    ARMED_FORCE = "armed_force", "Armed force / government"
    INTERNATIONAL = "international", "International body"
    ACTIVISTS = "activists", "Local activists"
    DATASET = "dataset", "Conflict dataset"
    OTHER = "other", "Other"


class Language(models.TextChoices):
    ARABIC = "ar", "Arabic"
    ENGLISH = "en", "English"
    OTHER = "other", "Other"


def search_vector(field: str = "search_key") -> SearchVector:
    """The full-text vector of a normalised search key; ``simple`` config: no stemming, any language."""
    return SearchVector(field, config="simple")


def search_index(name: str, field: str = "search_key") -> GinIndex:
    """A GIN index matching ``search_vector`` exactly, so word and prefix searches use it."""
    return GinIndex(search_vector(field), name=name)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Source(NormalizedKeysModel):
    """An organisation that originates or publishes casualty claims."""

    name = models.CharField(max_length=200, unique=True, help_text="Short canonical name, e.g. SANA.")
    name_ar = models.CharField("Arabic name", max_length=300, blank=True)
    name_en = models.CharField("English name", max_length=300, blank=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)
    affiliation = models.CharField(
        max_length=200, blank=True, help_text="Alignment, e.g. 'Syrian government' or 'opposition'."
    )
    country = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    search_key = models.TextField(editable=False, default="")

    search_keys = {"search_key": ("name", "name_en", "name_ar")}

    class Meta:
        ordering = [Upper("name")]
        indexes = [search_index("source_search")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return path_for("sources:detail", self.pk)


# History pages read this model's events by source (event tables index only what is read).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    meta={"indexes": [models.Index(fields=["source"], name="sourcealiasevent_by_source")]},
)
class SourceAlias(NormalizedKeysModel):
    """A spelling of a source's name met in text; matched on its normalised form, which is unique."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=300)
    normalized = models.CharField(max_length=300, editable=False, default="")

    search_keys = {"normalized": ("alias",)}

    @staticmethod
    def normalizer(text: str | None) -> str:
        """Aliases match on the whole folded spelling, not word by word."""
        return normalize_search(text)

    class Meta:
        verbose_name_plural = "source aliases"
        ordering = ["alias"]
        constraints = [
            models.UniqueConstraint(fields=["normalized"], name="sourcealias_unique_normalized"),
            models.CheckConstraint(condition=~models.Q(normalized=""), name="sourcealias_not_blank"),
        ]

    def __str__(self) -> str:
        return self.alias


def content_hash(text: str) -> str | None:
    """SHA-256 of a report's text exactly as given; no hash for a report without text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None


@pghistory.track(
    pghistory.InsertEvent(condition=UNLESS_BULK), pghistory.UpdateEvent(), pghistory.DeleteEvent()
)
class Report(NormalizedKeysModel):
    """One published document. Its text is kept exactly as given; re-importing the same text is a no-op."""

    publisher = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="reports")
    url = models.URLField("URL", max_length=2000, blank=True)
    title = models.CharField(max_length=500, blank=True)
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ARABIC)
    text = models.TextField(blank=True)
    # NULL for a report without text: several such reports may exist, while equal texts may not.
    content_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    search_key = models.TextField(editable=False, default="")
    # Not indexed, as ``Incident.created_by``: shown, never searched by.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    import_batch = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    search_keys = {"search_key": ("title", "text")}

    class Meta:
        ordering = ["-published_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["content_hash"], name="report_unique_content_hash"),
        ]
        indexes = [search_index("report_search")]

    def __str__(self) -> str:
        return self.title or self.url or f"Report {self.pk}"

    def fill_search_keys(self) -> None:
        super().fill_search_keys()
        self.content_hash = content_hash(self.text)


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """An import run by a background worker (``sources.jobs``), with its progress while it runs.

    The file's bytes are kept in the row until the import is done, so that any worker (on any host) can run
    it and a retried job reads the same file. Progress columns are written on their own connection while
    the import's transaction is still open, so the job page sees them.
    """

    importer = models.CharField(max_length=20)
    filename = models.CharField(max_length=255)
    data = models.BinaryField(editable=False)
    content_hash = models.CharField(max_length=64, db_index=True, editable=False)
    create_sources = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="import_jobs"
    )
    status = models.CharField(max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    rows_valid = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    errors_so_far = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # the first problems, as RowError strings
    summary = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    procrastinate_job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="importjob_user_recent")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return path_for("imports:job", self.pk)

    @property
    def finished(self) -> bool:
        return self.status in (ImportJobStatus.DONE, ImportJobStatus.FAILED)
