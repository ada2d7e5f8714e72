"""What the dataset importers (UCDP GED, ACLED) share: reading their CSV rows, parsing cells, matching place
names against the gazetteer, and turning one event per row into an incident with its claims.

Each importer reads its rows with ``read_rows`` and parses them with ``Cells`` (every problem becomes a
``RowError`` naming the row and column), then describes each event as an ``EventSpec``: the incident's
fields and places, and the claims (with the reports they were read in) that the row gives.
``import_events`` compares the specs with what is stored in a fixed number of queries however many rows
there are, collects every problem first, and only when there is none and this is not a dry run writes the
differences through the services, in one transaction. Values equal to the stored ones are not written, so
re-importing a file changes nothing and records no history.

Keys: an incident is found by its external id ("ged:268767"), a claim by its source and external id
("ged:268767:civilians"), a report by its text (its content hash), as everywhere in Hasila.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import models, transaction

from incidents.models import Claim, ClaimStatus, Incident, Place
from incidents.services import (
    can_edit,
    create_claim,
    create_incident,
    deferred_summaries,
    update_claim,
    update_incident,
)
from sources.extraction.normalize import normalize_search
from sources.importers.base import (
    ImportResult,
    ImportRollback,
    Progress,
    ProgressCounter,
    RowError,
    write_or_rollback,
)
from sources.importers.tabular import Table, TableError, read_table
from sources.models import Report, Source, content_hash
from sources.services import create_report, find_source, upsert_source

PREVIEW_ROWS = 20
# Words that datasets append to place names ("Dayr az Zawr governorate", "Hajin town") but gazetteers do not.
PLACE_SUFFIXES = (
    "governorate",
    "province",
    "muhafazah",
    "district",
    "mantiqah",
    "subdistrict",
    "sub district",
    "nahiya",
    "nahiyah",
    "town",
    "village",
    "city",
    "camp",
    "area",
)
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_INTEGRAL = re.compile(r"^\d+(?:\.0+)?$")
T = TypeVar("T")


# Reading ---------------------------------------------------------------------------------------------------


def read_rows(
    data: bytes, *, filename: str, extensions: Sequence[str], required: Sequence[str], what: str
) -> tuple[Table | None, list[RowError]]:
    """The file's rows, or the problems that stop it being read: a wrong file type, an encoding, binary
    data or size that ``decode_upload`` refuses, no data rows, required columns missing (one error listing
    them all) or a column named twice. Columns the importer does not use are allowed: dataset exports have
    many more than it reads."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in extensions:
        return None, [
            RowError(None, None, f"{filename}: {what} are read from {', '.join(extensions)} files.")
        ]
    try:
        table = read_table(data, filename=filename)
    except TableError as exc:
        return None, [exc.as_row_error()]
    errors: list[RowError] = []
    missing = [name for name in required if name not in table.columns]
    if missing:
        errors.append(
            RowError(None, ", ".join(missing), f"required column missing from the header row of {what}")
        )
    repeated = sorted({name for name in table.columns if table.columns.count(name) > 1})
    if repeated:
        errors.append(RowError(None, ", ".join(repeated), "column appears more than once in the header row"))
    return table, errors


def fit(text: str, limit: int) -> str:
    """The text, shortened with an ellipsis to ``limit`` characters when longer (the same way every time, so
    a re-import compares equal)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;") + "…"


def max_length(model: type[models.Model], name: str) -> int:
    """The database limit of a character column."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.CharField)
    assert model_field.max_length is not None
    return model_field.max_length


class Cells:
    """One row's cells, parsed column by column; each problem is added to ``errors`` with row and column."""

    def __init__(self, number: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.number = number
        self.cells = cells
        self.errors = errors

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))

    def raw(self, column: str) -> str:
        """The cell exactly as written ("" when the column is absent)."""
        return self.cells.get(column, "")

    def text(self, column: str, *, required: bool = False) -> str:
        value = " ".join(self.raw(column).split())
        if required and not value:
            self.error(column, "is empty")
        return value

    def count(self, column: str) -> int | None:
        """A required whole number, 0 or more ("14" or "14.0" as spreadsheets write it)."""
        value = self.text(column)
        if not value:
            self.error(column, "is empty; give a whole number (0 or more)")
            return None
        if value.startswith("-") and _INTEGRAL.match(value[1:]):
            self.error(column, f"{value!r} is negative; figures are 0 or more")
            return None
        if not _INTEGRAL.match(value):
            self.error(column, f"{value!r} is not a whole number")
            return None
        return int(value.split(".")[0])

    def choice(self, column: str, table: dict[str, T], default: T) -> T:
        """The value a code in the cell stands for; ``default`` for a blank cell or an absent column."""
        value = self.text(column)
        if not value:
            return default
        found = table.get(value.casefold())
        if found is None:
            self.error(column, f"{value!r} is not one of: {', '.join(table)}")
            return default
        return found

    def date(
        self, column: str, *, required: bool = True, formats: Sequence[str] = ()
    ) -> datetime.date | None:
        """A date as YYYY-MM-DD (a time of day after it is ignored) or in one of ``formats``."""
        value = self.text(column)
        if not value:
            if required:
                self.error(column, "is empty; give a date as YYYY-MM-DD")
            return None
        iso = _ISO_DATE.match(value)
        candidates = [(iso.group(1), "%Y-%m-%d")] if iso else [(value, fmt) for fmt in formats]
        for text, fmt in candidates:
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        self.error(column, f"{value!r} is not a date (YYYY-MM-DD)")
        return None

    def coordinate(self, column: str, limit: int) -> Decimal | None:
        """An optional latitude (``limit`` 90) or longitude (180) in decimal degrees."""
        value = self.text(column)
        if not value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) > limit:
            self.error(column, f"{value!r} is not a coordinate between -{limit} and {limit}")
            return None
        return number


class Duplicates:
    """Remembers each event key's first row, so that a key given twice is an error naming both rows."""

    def __init__(self) -> None:
        self.first: dict[str, int] = {}

    def check(self, cells: Cells, column: str, key: str) -> bool:
        first = self.first.setdefault(key, cells.number)
        if first != cells.number:
            cells.error(column, f"event {key!r} appears again (first on row {first}); give each event once")
            return False
        return True


# Places ----------------------------------------------------------------------------------------------------


def place_keys(name: str) -> list[str]:
    """The normalised forms a dataset's place name may match: as written, then without a trailing
    "governorate", "district", "town", ... ("Hajin town" -> "hajin town", "hajin")."""
    key = normalize_search(name)
    keys = [key] if key else []
    for suffix in PLACE_SUFFIXES:
        if key.endswith(f" {suffix}"):
            keys.append(key[: -len(suffix) - 1].strip())
            break
    return keys


@dataclass(frozen=True)
class PlaceMatch:
    """The most specific gazetteer place the names denote (if any), and the names that matched no single
    place (none, or several)."""

    place_id: int | None
    unmatched: tuple[str, ...]


class Gazetteer:
    """The gazetteer's names (English, Arabic, aliases; normalised) and paths, loaded in one query."""

    def __init__(self) -> None:
        self.by_name: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.names: dict[int, str] = {}
        for pk, name_en, name_ar, aliases, path in Place.objects.values_list(
            "pk", "name_en", "name_ar", "aliases", "path"
        ):
            self.names[pk] = name_en
            for key in {normalize_search(name) for name in (name_en, name_ar, *aliases) if name}:
                if key:
                    self.by_name[key].append((pk, path))
        self.paths = {pk: path for entries in self.by_name.values() for pk, path in entries}

    def match(self, names: Iterable[str]) -> PlaceMatch:
        """Match names from the broadest (governorate) to the narrowest (town): each name is looked for
        below the place matched so far, so that a village name that exists in several governorates is
        resolved by the governorate. A name that matches no place, or several, is returned as unmatched."""
        scope: int | None = None
        unmatched: list[str] = []
        for name in names:
            if not name:
                continue
            found = self._find(name, scope)
            if found is None:
                unmatched.append(name)
            else:
                scope = found
        return PlaceMatch(scope, tuple(unmatched))

    def _find(self, name: str, scope: int | None) -> int | None:
        prefix = self.paths[scope] if scope is not None else ""
        for key in place_keys(name):
            found = {pk for pk, path in self.by_name.get(key, ()) if path.startswith(prefix)}
            if scope in found and len(found) > 1:
                found.discard(scope)  # a district named like its governorate: the narrower one
            if len(found) == 1:
                return found.pop()
        return None


# Events ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSpec:
    """A report to store (or find, by its text) and link to claims."""

    publisher: str
    text: str
    title: str
    language: str


@dataclass
class ClaimSpec:
    """A claim a row gives. ``only_update``: a figure of 0 creates no claim but revises one imported before."""

    key: str
    source: str  # a source's canonical name
    fields: dict[str, Any]
    report: ReportSpec | None = None
    status: str = ClaimStatus.CONFIRMED
    only_update: bool = False


@dataclass
class EventSpec:
    """One row's event: the incident (found by ``key``), its places and its claims, and the preview cells."""

    row: int
    key: str
    key_column: str
    fields: dict[str, Any]
    places: frozenset[int]
    claims: list[ClaimSpec]
    preview: dict[str, str]
    create_only: frozenset[str] = frozenset()  # fields a re-import leaves as they are


@dataclass(frozen=True)
class DatasetSource:
    """The dataset itself as a source: found by any spelling of ``name``, created with ``fields`` if absent."""

    name: str
    fields: dict[str, Any]


@dataclass
class _ClaimPlan:
    spec: ClaimSpec
    existing: Claim | None
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "skip" if self.spec.only_update else "create"
        return "update" if self.changes else "unchanged"


@dataclass
class _EventPlan:
    spec: EventSpec
    existing: Incident | None
    changes: dict[str, Any] = field(default_factory=dict)
    places_changed: bool = False
    claims: list[_ClaimPlan] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        if self.changes or self.places_changed or any(c.action in ("create", "update") for c in self.claims):
            return "update"
        return "unchanged"


def operator() -> User:
    """Whoever runs an import from the command line has shell access to the database: they may change any
    entry. This unsaved user carries that right into the services' permission checks; nothing refers to it."""
    return User(username="command-line", is_active=True, is_superuser=True)


def may_import(user: User | None) -> bool:
    """Importing creates incidents, claims and reports: an analyst's rights (the command line has them)."""
    return user is None or user.has_perms(
        ["incidents.add_incident", "incidents.add_claim", "sources.add_report"]
    )


class EventImport:
    """Plans ``specs`` against the database, then (unless a dry run, and only without problems) writes them."""

    def __init__(
        self,
        specs: list[EventSpec],
        *,
        dataset: DatasetSource,
        user: User | None,
        batch: str,
    ) -> None:
        self.specs = specs
        self.dataset = dataset
        self.user = user
        self.actor = user if user is not None else operator()
        self.batch = batch
        self.sources: dict[str, Source] = {}
        self.reports: dict[str, Report] = {}  # by content hash
        self.plans: list[_EventPlan] = []

    # Planning: a fixed number of queries ---------------------------------------------------------------

    def plan(self, errors: list[RowError]) -> None:
        """Compare every spec with what is stored; problems (rights to change an entry) go to ``errors``."""
        dataset_source = find_source(self.dataset.name)
        if dataset_source is not None:
            self.sources[self.dataset.name] = dataset_source
        other_names = {c.source for s in self.specs for c in s.claims} - {self.dataset.name}
        if other_names:
            self.sources.update({s.name: s for s in Source.objects.filter(name__in=other_names)})
        incidents = {
            incident.external_id: incident
            for incident in Incident.objects.filter(
                external_id__in=[s.key for s in self.specs]
            ).prefetch_related(models.Prefetch("places", queryset=Place.objects.only("pk")))
        }
        claims = {
            (claim.claimed_by_id, claim.external_id): claim
            for claim in Claim.objects.filter(
                claimed_by__in=list(self.sources.values()),
                external_id__in=[c.key for s in self.specs for c in s.claims],
            )
        }
        hashes = {content_hash(c.report.text) for s in self.specs for c in s.claims if c.report is not None}
        self.reports = {
            report.content_hash: report
            for report in Report.objects.filter(content_hash__in=[h for h in hashes if h])
            if report.content_hash
        }
        for spec in self.specs:
            self.plans.append(self._plan_event(spec, incidents.get(spec.key), claims, errors))

    def _plan_event(
        self,
        spec: EventSpec,
        existing: Incident | None,
        claims: dict[tuple[int, str], Claim],
        errors: list[RowError],
    ) -> _EventPlan:
        plan = _EventPlan(spec=spec, existing=existing)
        if existing is not None:
            plan.changes = {
                name: value
                for name, value in spec.fields.items()
                if name not in spec.create_only and getattr(existing, name) != value
            }
            stored_places = {place.pk for place in existing.places.all()}
            plan.places_changed = bool(spec.places) and set(spec.places) != stored_places
            if (plan.changes or plan.places_changed) and not can_edit(self.actor, existing.created_by_id):
                errors.append(
                    RowError(
                        spec.row,
                        spec.key_column,
                        f"incident {spec.key!r} was entered by someone else; only editors can change it",
                    )
                )
        for claim_spec in spec.claims:
            source = self.sources.get(claim_spec.source)
            stored = claims.get((source.pk, claim_spec.key)) if source is not None else None
            claim_plan = _ClaimPlan(spec=claim_spec, existing=stored)
            if stored is not None:
                claim_plan.changes = self._claim_changes(claim_spec, stored)
                if claim_plan.changes and not can_edit(self.actor, stored.entered_by_id):
                    errors.append(
                        RowError(
                            spec.row,
                            spec.key_column,
                            f"claim {claim_spec.key!r} was entered by someone else; only editors can change it",
                        )
                    )
            plan.claims.append(claim_plan)
        return plan

    def _claim_changes(self, spec: ClaimSpec, stored: Claim) -> dict[str, Any]:
        if spec.status == ClaimStatus.CANDIDATE and stored.status == ClaimStatus.CONFIRMED:
            # An analyst confirmed this candidate: it is their figure now, and a re-import leaves it.
            return {}
        changes = {name: value for name, value in spec.fields.items() if getattr(stored, name) != value}
        report = self.reports.get(content_hash(spec.report.text) or "") if spec.report is not None else None
        if spec.report is None and stored.report_id is not None:
            changes["report"] = None
        elif spec.report is not None and (report is None or report.pk != stored.report_id):
            changes["report"] = spec.report  # resolved to the stored report when written
        return changes

    def count(self, result: ImportResult) -> None:
        """Fill the result's counts and preview from the plan."""
        for plan in self.plans:
            action = plan.action
            setattr(result, _COUNTERS[action], getattr(result, _COUNTERS[action]) + 1)
            result.candidates += sum(
                1 for c in plan.claims if c.spec.status == ClaimStatus.CANDIDATE and c.action == "create"
            )
        result.preview = [
            {"row": str(plan.spec.row), "action": plan.action, **plan.spec.preview}
            for plan in self.plans[:PREVIEW_ROWS]
        ]

    # Writing ---------------------------------------------------------------------------------------------

    def write(self, counter: ProgressCounter | None = None) -> RowError | None:
        """Write the plan through the services in one transaction; the first failure undoes all of it."""
        counter = counter or ProgressCounter(None, [])
        try:
            with transaction.atomic(), deferred_summaries():
                if self.dataset.name not in self.sources:
                    self.sources[self.dataset.name] = write_or_rollback(
                        None, None, lambda: upsert_source(name=self.dataset.name, **self.dataset.fields)
                    )
                for plan in self.plans:
                    self._write_event(plan)
                    counter.row_written()
                counter.report()
        except ImportRollback as exc:
            return exc.error
        return None

    def _write_event(self, plan: _EventPlan) -> None:
        spec = plan.spec
        places = list(Place.objects.filter(pk__in=spec.places)) if spec.places else []
        if plan.existing is None:
            fields = dict(spec.fields)
            title, date_start = fields.pop("title"), fields.pop("date_start")
            incident = write_or_rollback(
                spec.row,
                spec.key_column,
                lambda: create_incident(
                    title=title,
                    date_start=date_start,
                    created_by=self.user,
                    places=places,
                    external_id=spec.key,
                    **fields,
                ),
            )
        else:
            incident = plan.existing
            if plan.changes or plan.places_changed:
                write_or_rollback(
                    spec.row,
                    spec.key_column,
                    lambda: update_incident(
                        incident=incident,
                        user=self.actor,
                        places=places if plan.places_changed else None,
                        **plan.changes,
                    ),
                )
        for claim in plan.claims:
            self._write_claim(spec, incident, claim)

    def _report(self, spec: EventSpec, report: ReportSpec | None) -> Report | None:
        if report is None:
            return None
        digest = content_hash(report.text) or ""
        if digest not in self.reports:
            publisher = self.sources[report.publisher]
            self.reports[digest], _ = write_or_rollback(
                spec.row,
                spec.key_column,
                lambda: create_report(
                    publisher=publisher,
                    text=report.text,
                    title=report.title,
                    language=report.language,
                    entered_by=self.user,
                    import_batch=self.batch,
                ),
            )
        return self.reports[digest]

    def _write_claim(self, event: EventSpec, incident: Incident, plan: _ClaimPlan) -> None:
        spec = plan.spec
        if plan.action == "create":
            source = self.sources[spec.source]
            report = self._report(event, spec.report)
            write_or_rollback(
                event.row,
                event.key_column,
                lambda: create_claim(
                    incident=incident,
                    claimed_by=source,
                    report=report,
                    status=spec.status,
                    external_id=spec.key,
                    entered_by=self.user,
                    **spec.fields,
                ),
            )
        elif plan.action == "update" and plan.existing is not None:
            changes = dict(plan.changes)
            if "report" in changes:
                changes["report"] = self._report(event, spec.report)
            claim = plan.existing
            write_or_rollback(
                event.row, event.key_column, lambda: update_claim(claim=claim, user=self.actor, **changes)
            )


_COUNTERS = {"create": "created", "update": "updated", "unchanged": "unchanged"}


def run_import(
    result: ImportResult,
    specs: list[EventSpec],
    errors: list[RowError],
    *,
    dataset: DatasetSource,
    user: User | None,
    dry_run: bool,
    batch: str,
    counter: ProgressCounter | None = None,
) -> ImportResult:
    """Plan the specs (the rows without a problem), count them into ``result``, and write them unless this is
    a dry run or a row (or the plan) has a problem; every problem is returned, sorted by row and column."""
    events = EventImport(specs, dataset=dataset, user=user, batch=batch)
    events.plan(errors)
    events.count(result)
    if errors or dry_run:
        result.errors = sorted(errors, key=lambda e: (e.row or 0, e.column or ""))
        return result
    error = events.write(counter)
    if error is not None:
        result.errors = [error]
    return result


class DatasetImporter:
    """What the dataset importers share: rights, reading the CSV, one event per row, then ``run_import``.

    A subclass names its dataset and columns and parses one row (``event``); ``context`` prepares what every
    row's parsing needs beyond the gazetteer (e.g. the alias table for ACLED's notes).
    """

    key: str
    label: str
    extensions: tuple[str, ...] = (".csv",)
    dataset: DatasetSource
    required: tuple[str, ...]
    what: str  # "UCDP GED events": how error messages name the file's rows

    def context(self, table: Any) -> Any:
        return None

    def event(
        self, cells: Cells, gazetteer: Gazetteer, duplicates: Duplicates, context: Any
    ) -> EventSpec | None:
        raise NotImplementedError

    def run(
        self,
        data: bytes,
        *,
        filename: str,
        user: User | None,
        dry_run: bool,
        progress: Progress | None = None,
    ) -> ImportResult:
        """Validate every row, then (unless a dry run, and only if no row has a problem) write them all."""
        result = ImportResult(dry_run=dry_run)
        if not may_import(user):
            result.errors.append(RowError(None, None, "You do not have permission to import events."))
            return result
        table, errors = read_rows(
            data, filename=filename, extensions=self.extensions, required=self.required, what=self.what
        )
        if table is None or errors:
            result.errors = errors
            return result
        result.rows = len(table.rows)
        gazetteer, duplicates, context = Gazetteer(), Duplicates(), self.context(table)
        specs = []
        counter = ProgressCounter(progress, errors)
        for number, row in table.rows:
            errors_before = len(errors)
            spec = self.event(Cells(number, row, errors), gazetteer, duplicates, context)
            if spec is not None:
                specs.append(spec)
            counter.row_read(errors_before)
        counter.report()
        batch = f"{self.key}:" + hashlib.sha256(data).hexdigest()[:16]
        return run_import(
            result,
            specs,
            errors,
            dataset=self.dataset,
            user=user,
            dry_run=dry_run,
            batch=batch,
            counter=counter,
        )
