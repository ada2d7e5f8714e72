"""Hasila's own import format: one row per claim, carrying the keys of its incident and of the claim.

The same columns come out of an export (``sources.exporting``), so an export imports back unchanged. CSV,
JSON (a list of objects) and XLSX (first sheet) are read alike; see ``COLUMNS`` for what each column holds.

How rows become data:

- An **incident** is identified by ``incident_key`` (its external id). Several rows (its claims) share it;
  its columns may be filled on one row only, but where two rows fill one they must agree.
- A **claim** is identified by ``claim_key`` within its ``source`` (external ids are unique per source). A
  key already stored updates that claim; an unknown key creates one.
- A **report** is identified by its text when it has one (the same text is the same report), else by its
  publisher and URL, else by its publisher, title and date. A stored report is used as it is: an import
  never changes a report.
- Objects entered in the web interface have no external id; an export names them ``hasila:incident:<id>``
  and ``hasila:claim:<id>``, and an import matches such a key to the object with that id (when its title or
  date, or its source, agree), so re-importing an export changes nothing.

Everything is validated before anything is written, every problem is reported with its row and column, and
the writes (through the services, in one transaction) happen only when there is none. Values equal to the
stored ones are not written, so re-importing a file changes nothing and writes no history.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Prefetch, Q

from incidents.models import (
    Category,
    Claim,
    ClaimStatus,
    DatePrecision,
    Incident,
    IncidentType,
    Outcome,
    Place,
    Qualifier,
)
from incidents.services import (
    can_edit,
    confirm_claim,
    create_claim,
    create_incident,
    deferred_summaries,
    update_claim,
)
from incidents.services import update_incident as update_incident_service
from sources.extraction import detect_language
from sources.extraction.normalize import DIGITS, normalize_search
from sources.importers.base import (
    ImportResult,
    ImportRollback,
    Progress,
    ProgressCounter,
    RowError,
    write_or_rollback,
)
from sources.importers.tabular import TableError, check_columns, read_table
from sources.models import Language, Report, Source, SourceAlias, SourceKind, content_hash
from sources.services import create_report, upsert_source

INCIDENT_KEY_PREFIX = "hasila:incident:"
CLAIM_KEY_PREFIX = "hasila:claim:"
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class Column:
    """A column of the format: its name in the header row and what it holds."""

    name: str
    help: str
    required: bool = False  # must appear in the header row (its cells may still be blank, see help)
    export_only: bool = False  # written by an export for the reader; ignored by an import


COLUMNS: tuple[Column, ...] = (
    Column(
        "incident_key", "The incident's stable key, e.g. ged:268767 or my-team:2018-hajin.", required=True
    ),
    Column("incident_title", "The incident's title. Required for a new incident."),
    Column("incident_date_start", "First (or only) day, YYYY-MM-DD. Required for a new incident."),
    Column("incident_date_end", "Last day of a date range, YYYY-MM-DD; empty for a single day."),
    Column("incident_date_precision", "day, week, month or year (default day)."),
    Column("incident_type", "airstrike, shelling, ground_clash, explosive_device, execution or other."),
    Column("incident_perpetrator", "The alleged perpetrator."),
    Column("incident_description", "Free text."),
    Column("places", "P-codes or place names separated by |, e.g. SY090300|Hajin."),
    Column("claim_key", "The claim's stable key, unique for its source.", required=True),
    Column("source", "Who states the figure: any known spelling of a source's name.", required=True),
    Column("outcome", "killed, injured or killed_or_injured.", required=True),
    Column(
        "category", "people, civilians, children, women, men, combatants or security_forces.", required=True
    ),
    Column("party", "The victims' armed group or force, e.g. ISIS."),
    Column(
        "qualifier",
        "exact, about, at_least, more_than, up_to, range or unspecified; empty: exact for one figure, "
        "range for two, unspecified for none.",
    ),
    Column("low", "The lower figure (whole number, 0 or more); empty for up_to and unspecified."),
    Column(
        "high", "The higher figure; empty for at_least, more_than and unspecified; equal to low for exact."
    ),
    Column("words", "The figure's words exactly as written, e.g. 15 مدنيا."),
    Column("evidence", "The sentence stating the figure."),
    Column("evidence_start", "Character offset of the evidence in the report's text."),
    Column("evidence_end", "Character offset just after the evidence."),
    Column("stated_on", "When the source stated the figure, YYYY-MM-DD (default: the report's date)."),
    Column("status", "confirmed (default) or candidate (to be reviewed by an analyst)."),
    Column("supersedes_key", "claim_key of the same source's earlier figure that this one revises."),
    Column("note", "Free text."),
    Column("report_publisher", "Publisher of the report the figure was read in (any spelling of a source)."),
    Column("report_url", "The report's URL."),
    Column("report_title", "The report's title."),
    Column("report_published_on", "The report's date, YYYY-MM-DD."),
    Column("report_language", "ar, en or other (default: guessed from the text)."),
    Column("report_text", "The report's full text, exactly as published."),
    Column(
        "flag_status",
        "Written by exports: the editors' flag on the claim's row (open, under_review, resolved, dismissed).",
        export_only=True,
    ),
    Column(
        "retained_low",
        "Written by exports: the low of the figure editors retained for the row.",
        export_only=True,
    ),
    Column("retained_high", "Written by exports: the high of the figure editors retained.", export_only=True),
    Column("retained_reason", "Written by exports: why the editors retained that figure.", export_only=True),
    Column(
        "is_current", "Written by exports: whether the claim is its source's latest figure.", export_only=True
    ),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
REQUIRED_COLUMNS = tuple(column.name for column in COLUMNS if column.required)
REPORT_COLUMNS = (
    "report_publisher",
    "report_url",
    "report_title",
    "report_published_on",
    "report_language",
    "report_text",
)
CLAIM_COLUMNS = ("claim_key", "source", "outcome", "category", "party", "qualifier", "low", "high", "words")
INCIDENT_FIELDS = {
    "incident_title": "title",
    "incident_date_start": "date_start",
    "incident_date_end": "date_end",
    "incident_date_precision": "date_precision",
    "incident_type": "type",
    "incident_perpetrator": "perpetrator",
    "incident_description": "description",
}
# Value of an incident field whose column is present but blank on every row of the incident.
INCIDENT_BLANKS: dict[str, Any] = {
    "date_end": None,
    "date_precision": DatePrecision.DAY,
    "type": IncidentType.OTHER,
    "perpetrator": "",
    "description": "",
}
# Text columns kept exactly as written; the others lose surrounding spaces.
VERBATIM = {"words", "evidence", "note", "report_text", "incident_description"}


def _max_length(model: type[models.Model], name: str) -> int:
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.CharField)
    assert model_field.max_length is not None
    return model_field.max_length


# Columns whose length the database limits, and the limit.
MAX_LENGTHS = {
    "incident_key": _max_length(Incident, "external_id"),
    "incident_title": _max_length(Incident, "title"),
    "incident_perpetrator": _max_length(Incident, "perpetrator"),
    "claim_key": _max_length(Claim, "external_id"),
    "supersedes_key": _max_length(Claim, "external_id"),
    "party": _max_length(Claim, "party"),
    "words": _max_length(Claim, "words"),
    "report_url": _max_length(Report, "url"),
    "report_title": _max_length(Report, "title"),
}
# Which bounds each qualifier takes: (low, high, how they compare when both are given).
BOUNDS: dict[str, tuple[bool, bool, str]] = {
    Qualifier.EXACT: (True, True, "equal"),
    Qualifier.ABOUT: (True, True, "equal"),
    Qualifier.AT_LEAST: (True, False, ""),
    Qualifier.MORE_THAN: (True, False, ""),
    Qualifier.UP_TO: (False, True, ""),
    Qualifier.RANGE: (True, True, "less"),
    Qualifier.UNSPECIFIED: (False, False, ""),
}
_URL = URLValidator()
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$")

# A source named by a file: a stored source's id, or the normalised name of one to create.
SourceRef = int | str


def incident_key(incident: Incident) -> str:
    """The key an export gives an incident: its external id, else one naming its id in this database."""
    return incident.external_id or f"{INCIDENT_KEY_PREFIX}{incident.pk}"


def claim_key(claim: Claim) -> str:
    """The key an export gives a claim: its external id, else one naming its id in this database."""
    return claim.external_id or f"{CLAIM_KEY_PREFIX}{claim.pk}"


def _id_in_key(key: str, prefix: str) -> int | None:
    rest = key[len(prefix) :] if key.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


@dataclass
class HasilaImportResult(ImportResult):
    """An import's result, plus the source names the file uses that are not known (yet)."""

    missing_sources: list[str] = field(default_factory=list)
    sources_created: int = 0


# Parsed rows -----------------------------------------------------------------------------------------------


@dataclass
class _ReportPlan:
    first_row: int
    publisher: SourceRef
    url: str
    title: str
    published_on: datetime.date | None
    language: str
    text: str
    existing: Report | None = None
    stored: Report | None = None  # the report once written

    @property
    def identity(self) -> tuple[Any, ...]:
        if self.text:
            return ("text", content_hash(self.text))
        if self.url:
            return ("url", self.publisher, self.url)
        return ("title", self.publisher, self.title, self.published_on)


@dataclass
class _IncidentPlan:
    key: str
    first_row: int
    values: dict[str, tuple[Any, int]] = field(default_factory=dict)  # field -> (value, row giving it)
    filled: set[str] = field(default_factory=set)  # fields with a cell that is not blank (valid or not)
    columns: set[str] = field(default_factory=set)  # incident fields whose column the file has
    places: tuple[frozenset[int], int] | None = None  # place ids, row giving them
    places_column: bool = False
    existing: Incident | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    places_changed: bool = False
    stored: Incident | None = None

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changes or self.places_changed else "unchanged"


@dataclass
class _ClaimPlan:
    row: int
    key: str
    source: SourceRef
    source_name: str  # as written
    incident: _IncidentPlan
    fields: dict[str, Any]  # claim fields the file gives
    report: _ReportPlan | None
    report_given: bool  # the file has report columns
    supersedes_key: str
    status: str
    existing: Claim | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    confirm: bool = False
    supersedes: Claim | _ClaimPlan | None = None
    stored: Claim | None = None

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changes or self.confirm else "unchanged"


@dataclass
class _Plan:
    incidents: dict[str, _IncidentPlan] = field(default_factory=dict)
    reports: dict[tuple[Any, ...], _ReportPlan] = field(default_factory=dict)
    claims: list[_ClaimPlan] = field(default_factory=list)
    incident_rows: list[tuple[int, _IncidentPlan]] = field(default_factory=list)  # rows without a claim
    new_sources: dict[str, str] = field(default_factory=dict)  # normalised name -> name as first written


class _Errors(list[RowError]):
    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.append(RowError(row, column, message))


# Cell parsing ----------------------------------------------------------------------------------------------


def parse_date(value: str) -> datetime.date | None:
    """A cell's date: YYYY-MM-DD, with any time after it ignored (spreadsheets add one); None if not a date.
    The row importer and the bulk path read dates with this one function."""
    if len(value) > 10 and value[10] in "T ":
        value = value[:10]
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _slug(value: str) -> str:
    return "_".join(value.strip().lower().replace("-", " ").split())


def _choices(choices: type[models.TextChoices]) -> dict[str, str]:
    table = {_slug(str(label)): value for value, label in choices.choices}
    table.update({value: value for value in choices.values})
    return table


_OUTCOMES = _choices(Outcome)
_CATEGORIES = _choices(Category)
_QUALIFIERS = {**_choices(Qualifier), "unspecified": Qualifier.UNSPECIFIED}
_STATUSES = {**_choices(ClaimStatus), "candidate": ClaimStatus.CANDIDATE, "confirmed": ClaimStatus.CONFIRMED}
_TYPES = _choices(IncidentType)
_PRECISIONS = _choices(DatePrecision)
_LANGUAGES = _choices(Language)


class _Cells:
    """One row's cells, parsed column by column; problems go to ``errors`` with the row and column."""

    def __init__(self, number: int, cells: dict[str, str], errors: _Errors) -> None:
        self.number = number
        self.cells = cells
        self.errors = errors

    def has(self, column: str) -> bool:
        return column in self.cells

    def text(self, column: str) -> str:
        value = self.cells.get(column, "")
        value = value if column in VERBATIM else value.strip()
        limit = MAX_LENGTHS.get(column)
        if limit is not None and len(value) > limit:
            self.errors.add(
                self.number, column, f"is {len(value)} characters long; at most {limit} are allowed"
            )
        return value

    def blank(self, columns: Iterable[str]) -> bool:
        """Whether all these cells are empty (or their columns absent)."""
        return not any(self.cells.get(column, "").strip() for column in columns)

    def choice(self, column: str, table: dict[str, str], default: str | None = None) -> str | None:
        value = self.text(column)
        if not value:
            if default is None and self.has(column):
                self.errors.add(self.number, column, "is empty")
            return default
        found = table.get(_slug(value))
        if found is None:
            allowed = ", ".join(sorted(set(table.values())))
            self.errors.add(self.number, column, f"{value!r} is not one of: {allowed}")
        return found

    def number_(self, column: str) -> int | None:
        value = self.text(column).translate(DIGITS).replace("\u066c", ",")
        if not value:
            return None
        if _THOUSANDS.match(value):
            value = value.replace(",", "")
        try:
            number = float(value) if "." in value else int(value)
        except ValueError:
            self.errors.add(self.number, column, f"{value!r} is not a whole number")
            return None
        if number < 0:
            self.errors.add(self.number, column, f"{value!r} is negative; figures are 0 or more")
            return None
        if isinstance(number, float):
            if not number.is_integer():
                self.errors.add(self.number, column, f"{value!r} is not a whole number")
                return None
            number = int(number)
        if number > 2_147_483_647:
            self.errors.add(self.number, column, f"{value!r} is too large")
            return None
        return number

    def date(self, column: str) -> datetime.date | None:
        value = self.text(column)
        if not value:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.errors.add(self.number, column, f"{value!r} is not a date; write it as YYYY-MM-DD")
        return parsed


# Lookups ---------------------------------------------------------------------------------------------------


class _Sources:
    """Every source spelling, loaded once: resolving a name is a dictionary look-up."""

    def __init__(self) -> None:
        self.by_spelling: dict[str, int] = dict(SourceAlias.objects.values_list("normalized", "source_id"))
        self.names: dict[int, str] = dict(Source.objects.values_list("pk", "name"))
        self._normalized: dict[str, str] = {}

    def normalize(self, name: str) -> str:
        if name not in self._normalized:
            self._normalized[name] = normalize_search(name)
        return self._normalized[name]

    def resolve(self, name: str) -> int | None:
        return self.by_spelling.get(self.normalize(name))

    def name(self, ref: SourceRef) -> str:
        return self.names.get(ref, "") if isinstance(ref, int) else ref


class _Places:
    """The gazetteer's P-codes and names (English, Arabic, aliases; normalised), loaded once."""

    def __init__(self) -> None:
        self.by_pcode: dict[str, int] = {}
        self.by_name: dict[str, set[int]] = defaultdict(set)
        for pk, pcode, name_en, name_ar, aliases in Place.objects.values_list(
            "pk", "pcode", "name_en", "name_ar", "aliases"
        ):
            if pcode:
                self.by_pcode[pcode.upper()] = pk
            for name in (name_en, name_ar, *aliases):
                if name:
                    self.by_name[normalize_search(name)].add(pk)

    def resolve(self, token: str) -> tuple[int | None, str]:
        """The place a P-code or name denotes, or None and why not."""
        pk = self.by_pcode.get(token.upper())
        if pk is not None:
            return pk, ""
        found = self.by_name.get(normalize_search(token), set())
        if len(found) == 1:
            return next(iter(found)), ""
        if found:
            return None, f"{token!r} names {len(found)} places; use the P-code"
        return None, f"unknown place {token!r}; use a P-code or a name from the gazetteer"


# The importer ----------------------------------------------------------------------------------------------


def _operator() -> User:
    """Whoever runs an import from the command line has shell access to the database: they may change any
    entry. This unsaved user carries that right into the services' permission checks; nothing refers to it."""
    return User(username="command-line", is_active=True, is_superuser=True)


class HasilaImporter:
    """Hasila's own CSV / JSON / XLSX format (``COLUMNS``): dry run, then all-or-nothing commit."""

    key = "hasila"
    label = "Hasila claims (CSV, JSON or XLSX)"
    extensions = (".csv", ".json", ".xlsx")

    def __init__(self, *, create_missing_sources: bool = False) -> None:
        # Creating sources is for admins (sources.add_source); the web view checks before asking for it.
        self.create_missing_sources = create_missing_sources

    def run(
        self,
        data: bytes,
        *,
        filename: str,
        user: User | None,
        dry_run: bool,
        progress: Progress | None = None,
    ) -> HasilaImportResult:
        """Validate every row, then (unless a dry run, and only if no row has a problem) write them all."""
        result = HasilaImportResult(dry_run=dry_run)
        if user is not None and not user.has_perms(
            ["incidents.add_incident", "incidents.add_claim", "sources.add_report"]
        ):
            result.errors.append(RowError(None, None, "You do not have permission to import claims."))
            return result
        try:
            table = read_table(data, filename=filename)
        except TableError as exc:
            result.errors.append(exc.as_row_error())
            return result
        result.rows = len(table.rows)
        errors = _Errors(
            check_columns(
                table.columns,
                required=REQUIRED_COLUMNS,
                known=COLUMN_NAMES,
            )
        )
        if errors:
            result.errors = list(errors)
            return result
        actor = user if user is not None else _operator()
        counter = ProgressCounter(progress, errors)
        plan = _Validation(
            table.rows,
            actor=actor,
            errors=errors,
            create_sources=self.create_missing_sources,
            counter=counter,
        ).run()
        result.missing_sources = sorted(plan.new_sources.values(), key=str.casefold)
        _count(plan, result, errors)
        if errors or dry_run:
            result.errors = sorted(errors, key=lambda e: (e.row or 0, e.column or ""))
            return result
        batch = "hasila:" + hashlib.sha256(data).hexdigest()[:16]
        write_error = _write(plan, user=user, actor=actor, batch=batch, counter=counter)
        if write_error is not None:
            result.errors = [write_error]
        else:
            result.sources_created = len(plan.new_sources)
        return result


def _count(plan: _Plan, result: HasilaImportResult, errors: list[RowError]) -> None:
    """Count rows by what they do: a row creates or updates its claim, or (the first row of an incident
    whose own columns change) its incident; the rest are unchanged. Rows with a problem are not counted."""
    faulty = {error.row for error in errors}
    rows: list[tuple[int, _IncidentPlan, _ClaimPlan | None]] = [
        (number, incident, None) for number, incident in plan.incident_rows
    ]
    rows += [(claim.row, claim.incident, claim) for claim in plan.claims]
    rows.sort(key=lambda item: item[0])
    counted: set[str] = set()
    actions: list[tuple[int, str, dict[str, str]]] = []
    for number, incident, claim in rows:
        action = claim.action if claim is not None else "unchanged"
        if action == "unchanged" and incident.key not in counted:
            action = incident.action
        if number in faulty:
            action = "error"
        counted.add(incident.key)
        cells = _preview(claim) if claim is not None else {"incident": incident.key}
        actions.append((number, action, cells))
    result.created = sum(1 for _, action, _ in actions if action == "create")
    result.updated = sum(1 for _, action, _ in actions if action == "update")
    result.unchanged = sum(1 for _, action, _ in actions if action == "unchanged")
    result.preview = [
        {"row": str(number), "action": action, **cells} for number, action, cells in actions[:PREVIEW_ROWS]
    ]


def _preview(claim: _ClaimPlan) -> dict[str, str]:
    values = claim.fields
    low, high, qualifier = values.get("low"), values.get("high"), values.get("qualifier", "")
    if qualifier == Qualifier.RANGE:
        figure = f"{low}–{high}"
    elif qualifier == Qualifier.UNSPECIFIED:
        figure = "unspecified"
    elif qualifier == Qualifier.EXACT:
        figure = str(low)
    else:
        figure = f"{Qualifier(qualifier).label} {high if qualifier == Qualifier.UP_TO else low}"
    return {
        "incident": claim.incident.key,
        "claim": claim.key,
        "source": claim.source_name,
        "outcome": values.get("outcome") or "",
        "category": values.get("category") or "",
        "party": values.get("party") or "",
        "figure": figure,
        "words": values.get("words") or "",
    }


class _Validation:
    """Builds the plan of an import from its rows, collecting every problem."""

    def __init__(
        self,
        rows: list[tuple[int, dict[str, str]]],
        *,
        actor: User,
        errors: _Errors,
        create_sources: bool,
        counter: ProgressCounter | None = None,
    ) -> None:
        self.rows = rows
        self.counter = counter or ProgressCounter(None, errors)
        self.actor = actor
        self.errors = errors
        self.create_sources = create_sources
        self.plan = _Plan()
        self.sources = _Sources()
        columns = set(rows[0][1]) if rows else set()
        self.places = _Places() if "places" in columns else None
        self.report_given = any(column in columns for column in REPORT_COLUMNS)

    def run(self) -> _Plan:
        for number, cells in self.rows:
            errors_before = len(self.errors)
            self._row(_Cells(number, cells, self.errors))
            self.counter.row_read(errors_before)
        self.counter.report()
        self._match_incidents()
        self._match_reports()
        self._match_claims()
        for incident in self.plan.incidents.values():
            if incident.key:
                self._check_incident(incident)
        return self.plan

    # One row ---------------------------------------------------------------------------------------------

    def _row(self, cells: _Cells) -> None:
        key = cells.text("incident_key")
        if not key:
            self.errors.add(cells.number, "incident_key", "is empty")
        incident = self.plan.incidents.get(key)
        if incident is None:
            incident = self.plan.incidents[key] = _IncidentPlan(key=key, first_row=cells.number)
        self._incident_cells(incident, cells)
        if cells.blank(CLAIM_COLUMNS):
            # A row with no claim describes the incident alone (an export writes one for an incident
            # without claims).
            self.plan.incident_rows.append((cells.number, incident))
            return
        claim_key_ = cells.text("claim_key")
        if not claim_key_:
            self.errors.add(cells.number, "claim_key", "is empty")
        source = self._source(cells, "source", required=True)
        fields: dict[str, Any] = {
            "outcome": cells.choice("outcome", _OUTCOMES),
            "category": cells.choice("category", _CATEGORIES),
        }
        fields.update(self._figure(cells))
        for column in ("party", "words", "evidence", "note"):
            if cells.has(column):
                fields[column] = cells.text(column)
        for column in ("evidence_start", "evidence_end"):
            if cells.has(column):
                fields[column] = cells.number_(column)
        start, end = fields.get("evidence_start"), fields.get("evidence_end")
        if start is not None and end is not None and start > end:
            self.errors.add(
                cells.number, "evidence_start, evidence_end", "the evidence ends before it starts"
            )
        if cells.has("stated_on"):
            fields["stated_on"] = cells.date("stated_on")
        status = cells.choice("status", _STATUSES, default=ClaimStatus.CONFIRMED) or ClaimStatus.CONFIRMED
        supersedes = cells.text("supersedes_key")
        if supersedes and supersedes == claim_key_:
            self.errors.add(cells.number, "supersedes_key", "a claim cannot supersede itself")
        report = self._report(cells)
        if source is None:
            return
        self.plan.claims.append(
            _ClaimPlan(
                row=cells.number,
                key=claim_key_,
                source=source,
                incident=incident,
                fields=fields,
                report=report,
                source_name=self.sources.name(source) if isinstance(source, int) else cells.text("source"),
                report_given=self.report_given,
                supersedes_key=supersedes,
                status=status,
            )
        )

    def _incident_cells(self, incident: _IncidentPlan, cells: _Cells) -> None:
        for column, name in INCIDENT_FIELDS.items():
            if not cells.has(column):
                continue
            incident.columns.add(name)
            if cells.cells[column].strip():
                incident.filled.add(name)
            value: Any
            if name in ("date_start", "date_end"):
                value = cells.date(column)
            elif name == "date_precision":
                value = cells.choice(column, _PRECISIONS, default="")
            elif name == "type":
                value = cells.choice(column, _TYPES, default="")
            else:
                value = cells.text(column)
            if value in (None, ""):
                continue
            given = incident.values.get(name)
            if given is None:
                incident.values[name] = (value, cells.number)
            elif given[0] != value:
                self.errors.add(
                    cells.number,
                    column,
                    f"incident {incident.key!r} has {given[0]!s} on row {given[1]} but {value!s} here",
                )
        if not cells.has("places"):
            return
        incident.places_column = True
        tokens = [token.strip() for token in cells.text("places").split("|") if token.strip()]
        if not tokens or self.places is None:
            return
        ids: set[int] = set()
        unknown = False
        for token in tokens:
            pk, problem = self.places.resolve(token)
            if pk is None:
                self.errors.add(cells.number, "places", problem)
                unknown = True
            else:
                ids.add(pk)
        if unknown:
            return
        if incident.places is None:
            incident.places = (frozenset(ids), cells.number)
        elif incident.places[0] != ids:
            self.errors.add(
                cells.number,
                "places",
                f"incident {incident.key!r} has other places on row {incident.places[1]}",
            )

    def _source(self, cells: _Cells, column: str, *, required: bool) -> SourceRef | None:
        name = cells.text(column)
        if not name:
            if required:
                self.errors.add(cells.number, column, "is empty")
            return None
        pk = self.sources.resolve(name)
        if pk is not None:
            return pk
        normalized = self.sources.normalize(name)
        if not normalized:
            self.errors.add(cells.number, column, f"{name!r} is not a source name")
            return None
        self.plan.new_sources.setdefault(normalized, name)
        if not self.create_sources:
            self.errors.add(
                cells.number,
                column,
                f"unknown source {name!r}: correct the spelling, or ask an admin to add the source "
                "(or this spelling of its name)",
            )
        return normalized

    def _figure(self, cells: _Cells) -> dict[str, Any]:
        low = cells.number_("low") if cells.has("low") else None
        high = cells.number_("high") if cells.has("high") else None
        qualifier = cells.choice("qualifier", _QUALIFIERS, default="") if cells.has("qualifier") else ""
        if low is not None and high is not None and low > high:
            self.errors.add(cells.number, "low, high", f"low ({low}) is greater than high ({high})")
            return {"low": low, "high": high, "qualifier": qualifier or Qualifier.RANGE}
        if not qualifier:
            if low is None and high is None:
                qualifier = Qualifier.UNSPECIFIED
            elif low is not None and high is not None and low < high:
                qualifier = Qualifier.RANGE
            else:
                qualifier = Qualifier.EXACT
        if qualifier in (Qualifier.EXACT, Qualifier.ABOUT) and (low is None) != (high is None):
            # One figure stated exactly (or "about"): the interval is that figure.
            low = high = low if low is not None else high
        wants_low, wants_high, compare = BOUNDS[qualifier]
        label = Qualifier(qualifier).label
        problem = ""
        if wants_low != (low is not None) or wants_high != (high is not None):
            needs = {
                (True, True): "a low and a high figure",
                (True, False): "a low figure and no high figure",
                (False, True): "a high figure and no low figure",
                (False, False): "no figures",
            }[(wants_low, wants_high)]
            problem = f"{label!r} takes {needs}"
        elif compare == "equal" and low != high:
            problem = f"{label!r} takes one figure: low and high must be equal (or use qualifier range)"
        elif compare == "less" and low == high:
            problem = "a range needs low below high; for one figure use qualifier exact"
        if problem:
            self.errors.add(cells.number, "qualifier, low, high", problem)
        return {"low": low, "high": high, "qualifier": qualifier}

    def _report(self, cells: _Cells) -> _ReportPlan | None:
        if cells.blank(REPORT_COLUMNS):
            return None
        publisher = self._source(cells, "report_publisher", required=True)
        url = cells.text("report_url")
        if url:
            try:
                _URL(url)
            except ValidationError:
                self.errors.add(cells.number, "report_url", f"{url!r} is not a valid URL")
        text = cells.text("report_text")
        title = cells.text("report_title")
        language = cells.choice("report_language", _LANGUAGES, default="") or detect_language(text or title)
        if publisher is None:
            return None
        report = _ReportPlan(
            first_row=cells.number,
            publisher=publisher,
            url=url,
            title=title,
            published_on=cells.date("report_published_on"),
            language=language,
            text=text,
        )
        known = self.plan.reports.get(report.identity)
        if known is None:
            self.plan.reports[report.identity] = report
            return report
        for name in ("publisher", "url", "title", "published_on", "language"):
            if getattr(known, name) != getattr(report, name):
                self.errors.add(
                    cells.number,
                    f"report_{name}",
                    f"the same report is given with another {name.replace('_', ' ')} on row {known.first_row}",
                )
        return known

    # Matching against the database ----------------------------------------------------------------------

    def _match_incidents(self) -> None:
        keys = set(self.plan.incidents)
        ids = {pk for key in keys if (pk := _id_in_key(key, INCIDENT_KEY_PREFIX)) is not None}
        stored = Incident.objects.filter(
            Q(external_id__in=keys) | Q(pk__in=ids, external_id="")
        ).prefetch_related(Prefetch("places", queryset=Place.objects.only("pk")))
        by_key: dict[str, Incident] = {}
        for incident in stored:
            if incident.external_id:
                by_key[incident.external_id] = incident
            else:
                by_key.setdefault(f"{INCIDENT_KEY_PREFIX}{incident.pk}", incident)
        for key, plan in self.plan.incidents.items():
            found = by_key.get(key)
            if found is not None and not found.external_id and not self._same_incident(plan, found):
                found = None  # an id from another database: a new incident, keyed as in the file
            plan.existing = found

    @staticmethod
    def _same_incident(plan: _IncidentPlan, incident: Incident) -> bool:
        """Whether a key naming an id denotes this incident: its title or its date agrees (an edited
        export may change one of them), so an id from another database is not taken for this one."""
        return any(
            plan.values.get(name, (getattr(incident, name), 0))[0] == getattr(incident, name)
            for name in ("title", "date_start")
        )

    def _match_reports(self) -> None:
        plans = list(self.plan.reports.values())
        hashes = [content_hash(r.text) for r in plans if r.text]
        urls = [r.url for r in plans if not r.text and r.url]
        titles = [r.title for r in plans if not r.text and not r.url]
        query = Q(content_hash__in=hashes) | Q(url__in=urls) | Q(title__in=titles, text="", url="")
        stored = (
            list(Report.objects.filter(query).defer("text", "search_key").order_by("pk")) if plans else []
        )
        by_hash = {r.content_hash: r for r in stored if r.content_hash}
        by_url: dict[tuple[SourceRef, str], Report] = {}
        by_title: dict[tuple[SourceRef, str, datetime.date | None], Report] = {}
        for known in stored:
            by_url.setdefault((known.publisher_id, known.url), known)
            if not known.content_hash and not known.url:
                by_title.setdefault((known.publisher_id, known.title, known.published_on), known)
        # A report given by URL only is the file's report with that URL and its text, where there is one.
        with_text = {(r.publisher, r.url): r for r in plans if r.text and r.url}
        same_as: dict[int, _ReportPlan] = {}
        for report in plans:
            if report.text:
                report.existing = by_hash.get(content_hash(report.text) or "")
                if report.existing is not None and report.existing.publisher_id != report.publisher:
                    self.errors.add(
                        report.first_row,
                        "report_publisher",
                        f"this report's text is already stored with publisher "
                        f"{self.sources.name(report.existing.publisher_id)!r}",
                    )
            elif report.url:
                same = with_text.get((report.publisher, report.url))
                if same is not None:
                    same_as[id(report)] = same
                elif isinstance(report.publisher, int):
                    report.existing = by_url.get((report.publisher, report.url))
            elif isinstance(report.publisher, int):
                report.existing = by_title.get((report.publisher, report.title, report.published_on))
        if same_as:
            for claim in self.plan.claims:
                if claim.report is not None:
                    claim.report = same_as.get(id(claim.report), claim.report)

    def _match_claims(self) -> None:
        claims = self.plan.claims
        keys = {c.key for c in claims} | {c.supersedes_key for c in claims if c.supersedes_key}
        ids = {pk for key in keys if (pk := _id_in_key(key, CLAIM_KEY_PREFIX)) is not None}
        stored: dict[tuple[int, str], Claim] = {}
        if keys:
            for claim in Claim.objects.filter(Q(external_id__in=keys) | Q(pk__in=ids, external_id="")):
                stored[(claim.claimed_by_id, claim_key(claim))] = claim
        in_file: dict[tuple[SourceRef, str], _ClaimPlan] = {}
        for plan in claims:
            earlier = in_file.get((plan.source, plan.key))
            if earlier is not None:
                self.errors.add(
                    plan.row,
                    "claim_key",
                    f"rows {earlier.row} and {plan.row} are the same claim ({plan.key!r} of "
                    f"{self.sources.name(plan.source)!r}); remove one of them",
                )
                continue
            in_file[(plan.source, plan.key)] = plan
            if isinstance(plan.source, int):
                plan.existing = stored.get((plan.source, plan.key))
        for plan in claims:
            if plan.existing is not None:
                self._compare_claim(plan)
            elif plan.supersedes_key:
                target = in_file.get((plan.source, plan.supersedes_key))
                plan.supersedes = target or (
                    stored.get((plan.source, plan.supersedes_key)) if isinstance(plan.source, int) else None
                )
                if plan.supersedes is None:
                    self.errors.add(
                        plan.row,
                        "supersedes_key",
                        f"no claim {plan.supersedes_key!r} of {self.sources.name(plan.source)!r} "
                        "in this file or in Hasila",
                    )
        self._check_cycles([p for p in claims if p.existing is None])

    def _compare_claim(self, plan: _ClaimPlan) -> None:
        claim = plan.existing
        assert claim is not None
        incident = plan.incident.existing
        if incident is None or claim.incident_id != incident.pk:
            self.errors.add(
                plan.row,
                "incident_key",
                f"claim {plan.key!r} already belongs to another incident; claims cannot move between incidents",
            )
            return
        wanted = dict(plan.fields)
        if plan.report_given:
            wanted["report"] = plan.report
        if "stated_on" in wanted and wanted["stated_on"] is None:
            wanted["stated_on"] = self._report_date(plan.report)
        for name, value in wanted.items():
            if name == "report":
                if not _same_report(value, claim.report_id):
                    plan.changes["report"] = value
            elif getattr(claim, name) != value:
                plan.changes[name] = value
        if plan.status == ClaimStatus.CANDIDATE and claim.status == ClaimStatus.CONFIRMED:
            self.errors.add(plan.row, "status", "a confirmed claim cannot go back to candidate")
        plan.confirm = plan.status == ClaimStatus.CONFIRMED and claim.status == ClaimStatus.CANDIDATE
        if (plan.changes or plan.confirm) and not can_edit(self.actor, claim.entered_by_id):
            self.errors.add(
                plan.row,
                "claim_key",
                f"claim {plan.key!r} was entered by someone else; only editors can change it",
            )

    @staticmethod
    def _report_date(report: _ReportPlan | None) -> datetime.date | None:
        if report is None:
            return None
        if report.existing is not None:
            return report.existing.published_on
        return report.published_on

    def _check_cycles(self, plans: list[_ClaimPlan]) -> None:
        for plan in plans:
            seen = {id(plan)}
            step = plan.supersedes
            while isinstance(step, _ClaimPlan):
                if id(step) in seen:
                    self.errors.add(
                        plan.row, "supersedes_key", "these claims supersede each other in a circle"
                    )
                    break
                seen.add(id(step))
                step = step.supersedes

    def _check_incident(self, plan: _IncidentPlan) -> None:
        values = {name: value for name, (value, _) in plan.values.items()}
        for name in plan.columns:
            if name not in values and name in INCIDENT_BLANKS:
                values[name] = INCIDENT_BLANKS[name]
        start, end = values.get("date_start"), values.get("date_end")
        if plan.existing is None:
            for name, column in (("title", "incident_title"), ("date_start", "incident_date_start")):
                if name not in plan.filled:
                    self.errors.add(plan.first_row, column, f"is needed for the new incident {plan.key!r}")
        else:
            start = start or plan.existing.date_start
            end = end if "date_end" in values else plan.existing.date_end
        if start is not None and end is not None and end < start:
            self.errors.add(
                plan.first_row, "incident_date_start, incident_date_end", "the end is before the start"
            )
        if plan.existing is None:
            plan.changes = values
            return
        plan.changes = {
            name: value for name, value in values.items() if getattr(plan.existing, name) != value
        }
        if plan.places_column:
            wanted = plan.places[0] if plan.places else frozenset()
            plan.places_changed = wanted != {place.pk for place in plan.existing.places.all()}
        if (plan.changes or plan.places_changed) and not can_edit(self.actor, plan.existing.created_by_id):
            self.errors.add(
                plan.first_row,
                "incident_key",
                f"incident {plan.key!r} was entered by someone else; only editors can change it",
            )


def _same_report(value: _ReportPlan | None, report_id: int | None) -> bool:
    if value is None:
        return report_id is None
    return value.existing is not None and value.existing.pk == report_id


# Writing ---------------------------------------------------------------------------------------------------


def _write(
    plan: _Plan, *, user: User | None, actor: User, batch: str, counter: ProgressCounter | None = None
) -> RowError | None:
    """Write the plan through the services in one transaction; the first failure undoes all of it."""
    try:
        with transaction.atomic(), deferred_summaries():
            _Writer(plan, user=user, actor=actor, batch=batch, counter=counter).run()
    except ImportRollback as exc:
        return exc.error
    return None


class _Writer:
    def __init__(
        self,
        plan: _Plan,
        *,
        user: User | None,
        actor: User,
        batch: str,
        counter: ProgressCounter | None = None,
    ) -> None:
        self.plan = plan
        self.counter = counter or ProgressCounter(None, [])
        self.user = user
        self.actor = actor
        self.batch = batch
        self.sources: dict[SourceRef, Source] = {}

    def run(self) -> None:
        refs = {c.source for c in self.plan.claims} | {r.publisher for r in self.plan.reports.values()}
        self.sources.update(Source.objects.in_bulk([ref for ref in refs if isinstance(ref, int)]))
        for normalized, name in self.plan.new_sources.items():
            self.sources[normalized] = self._new_source(name)
        for incident in self.plan.incidents.values():
            self._incident(incident)
        # Rows describing an incident alone are written with the incidents; the other rows are claims.
        self.counter.row_written(len(self.plan.incident_rows))
        for claim in _creation_order(self.plan.claims):
            self._claim(claim)
            self.counter.row_written()
        self.counter.report()

    def _new_source(self, name: str) -> Source:
        source: Source = write_or_rollback(
            None, "source", lambda: upsert_source(name=name, kind=SourceKind.OTHER)
        )
        return source

    def _places(self, plan: _IncidentPlan) -> Iterable[Place]:
        ids = plan.places[0] if plan.places else frozenset()
        return list(Place.objects.filter(pk__in=ids))

    def _incident(self, plan: _IncidentPlan) -> None:
        if plan.existing is None:
            fields = dict(plan.changes)
            title, date_start = fields.pop("title"), fields.pop("date_start")
            plan.stored = write_or_rollback(
                plan.first_row,
                "incident_key",
                lambda: create_incident(
                    title=title,
                    date_start=date_start,
                    created_by=self.user,
                    places=self._places(plan),
                    external_id=plan.key,
                    **fields,
                ),
            )
            return
        plan.stored = plan.existing
        if plan.changes or plan.places_changed:
            existing = plan.existing
            write_or_rollback(
                plan.first_row,
                "incident_key",
                lambda: update_incident_service(
                    incident=existing,
                    user=self.actor,
                    places=self._places(plan) if plan.places_changed else None,
                    **plan.changes,
                ),
            )

    def _report(self, plan: _ReportPlan | None) -> Report | None:
        if plan is None:
            return None
        if plan.existing is not None:
            return plan.existing
        if plan.stored is None:
            publisher = self.sources[plan.publisher]
            plan.stored, _ = write_or_rollback(
                plan.first_row,
                "report_text",
                lambda: create_report(
                    publisher=publisher,
                    text=plan.text,
                    url=plan.url,
                    title=plan.title,
                    published_on=plan.published_on,
                    language=plan.language,
                    entered_by=self.user,
                    import_batch=self.batch,
                ),
            )
        return plan.stored

    def _claim(self, plan: _ClaimPlan) -> None:
        if plan.existing is None:
            incident = plan.incident.stored
            assert incident is not None
            supersedes = plan.supersedes
            fields = dict(plan.fields)
            stored = write_or_rollback(
                plan.row,
                "claim_key",
                lambda: create_claim(
                    incident=incident,
                    claimed_by=self.sources[plan.source],
                    report=self._report(plan.report),
                    status=plan.status,
                    supersedes=supersedes.stored if isinstance(supersedes, _ClaimPlan) else supersedes,
                    external_id=plan.key,
                    entered_by=self.user,
                    **fields,
                ),
            )
            plan.stored = stored
            return
        plan.stored = plan.existing
        changes = dict(plan.changes)
        if "report" in changes:
            changes["report"] = self._report(plan.report)
        claim = plan.existing
        if changes:
            write_or_rollback(
                plan.row, "claim_key", lambda: update_claim(claim=claim, user=self.actor, **changes)
            )
        if plan.confirm:
            write_or_rollback(plan.row, "status", lambda: confirm_claim(claim=claim, user=self.actor))


def _creation_order(plans: list[_ClaimPlan]) -> list[_ClaimPlan]:
    """File order, except that a new claim comes after the new claim it supersedes."""
    ordered: list[_ClaimPlan] = []
    placed: set[int] = set()

    def place(plan: _ClaimPlan) -> None:
        if id(plan) in placed:
            return
        placed.add(id(plan))
        if isinstance(plan.supersedes, _ClaimPlan) and plan.existing is None:
            place(plan.supersedes)
        ordered.append(plan)

    for plan in plans:
        place(plan)
    return ordered
