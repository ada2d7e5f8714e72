"""The bulk path of large Hasila claims CSV files: COPY into a staging table, checks in SQL, INSERT ... SELECT.

A background job (``sources.jobs``) takes this path for a CSV file of more than ``IMPORT_JOB_THRESHOLD`` rows.
It stores what the row-by-row importer (``sources.importers.hasila``) stores for the same file, and reports
the same problems with the same rows, columns and messages; it is only faster:

1. Python reads the CSV and streams its rows, as given, into a temporary table with COPY. What is Python's
   to derive it derives once per distinct cell, not per row: the cell as the row importer reads it (a
   neutralised formula's quote dropped, trimmed), the slug of a choice, ISO dates (Python's reading of them
   is the format's rule), the normalised spelling of source and place names (camel-tools) and their look-up
   in the alias tables, URLs (Django's validator), report hashes, languages and search keys. These go into
   small lookup tables, and one statement joins them to the rows; the other cells are trimmed in SQL, with
   the characters Python's ``str.strip`` removes.
2. SQL applies every rule to all rows at once: required and empty cells, choices, whole numbers, the
   figure's bounds and qualifier, lengths, values two rows of one incident disagree on, places, the same
   claim twice, reports given twice with other details, new incidents without title or date, matches
   against the stored incidents, claims and reports. A problem is a row of the query's result; Python only
   words it, with the row importer's message templates.
3. If no row has a problem, new reports, claims and incidents are written with INSERT ... SELECT in the
   caller's transaction (ids are taken from the sequences first, so that claims can name their incident
   and predecessor). ``is_current`` and ``supersedes`` follow each source's figures for a row ordered by the
   date stated, as ``incidents.services`` places them one by one; the incidents' summary columns are
   computed from the inserted claims by one statement. The insert events pghistory's triggers would record
   are written set-based, under the caller's ``pghistory.context``. Where the database role may, the
   per-row foreign-key checks are turned off for these inserts, and the stored rows the new ones name are
   locked and checked once per table instead (``key_checks_off``, ``_hold_references``).

What this path does not write is left to the row importer, which then runs on the whole file in the same
transaction (``BulkUnsupported``): changes to stored incidents or claims (their services check who may edit
and keep revision chains and flags right), ``supersedes_key``, keys naming a database id
(``hasila:incident:<id>``), sources created by the import, a figure joining a source's row that already has
a current figure or a closed flag, revisions without a date, and files the table reader would refuse.
Re-importing a file is on this path: every row is then unchanged and nothing is written.
"""

# Every statement of this module is put together from its own constants and the format's column names (a file
# whose header names other columns is refused first); file data reaches PostgreSQL only through COPY and
# query parameters.
# ruff: noqa: S608

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, models, transaction

from incidents.models import Claim, Incident, Qualifier
from incidents.services import HEADLINE_CATEGORY_ORDER
from sources.bulk_writes import bulk_writes, key_checks_off
from sources.extraction import detect_language
from sources.extraction.normalize import search_document
from sources.importers.base import Progress, RowError
from sources.importers.decoding import UndecodableFile, decode_upload
from sources.importers.hasila import (
    _CATEGORIES,
    _LANGUAGES,
    _OUTCOMES,
    _PRECISIONS,
    _QUALIFIERS,
    _STATUSES,
    _TYPES,
    _URL,
    BOUNDS,
    CLAIM_COLUMNS,
    CLAIM_KEY_PREFIX,
    COLUMN_NAMES,
    INCIDENT_KEY_PREFIX,
    MAX_LENGTHS,
    REPORT_COLUMNS,
    REQUIRED_COLUMNS,
    VERBATIM,
    HasilaImportResult,
    _Places,
    _slug,
    _Sources,
    parse_date,
)
from sources.importers.tabular import FORMULA_STARTS, _delimiter, check_columns, column_name
from sources.models import Report, content_hash

MAX_INT = 2_147_483_647
# For the bulk import's transaction only (``BulkImport._memory``); memory is taken as the statements need it.
WORK_MEM = "256MB"
TEMP_BUFFERS = "1GB"
# The staging tables are analysed for the planner's row counts and the spread of their keys, which a sample of
# 3,000 rows gives as well as PostgreSQL's 30,000 for plans of hash joins over whole tables: on 250,000 rows
# their ANALYZE took 2.4-2.9 s at the default target (100) and 0.25 s at this one. The transaction analyses
# only its temporary tables.
STATISTICS_TARGET = "10"
_DATE_COLUMNS = {
    "incident_date_start": "d_start",
    "incident_date_end": "d_end",
    "stated_on": "d_stated",
    "report_published_on": "d_pub",
}
# Choice columns: the slug shipped to SQL, and the table of allowed values.
_CHOICE_TABLES: dict[str, dict[str, str]] = {
    "incident_date_precision": _PRECISIONS,
    "incident_type": _TYPES,
    "outcome": _OUTCOMES,
    "category": _CATEGORIES,
    "qualifier": _QUALIFIERS,
    "status": _STATUSES,
    "report_language": _LANGUAGES,
}


class BulkUnsupported(Exception):
    """The file needs something only the row importer writes (or reports); the message says what."""


@dataclass
class BulkOutcome:
    """The result as the row importer gives it, and how many rows of each table were inserted."""

    result: HasilaImportResult
    incidents: int = 0
    claims: int = 0
    reports: int = 0
    timings: list[tuple[str, float]] = field(default_factory=list)  # statement, seconds


def _unneutralise(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def _trimmed(raw: str) -> str:
    """A cell as the row importer reads it (none of the looked-up columns is verbatim): a neutralised formula's
    quote dropped, then trimmed."""
    return _unneutralise(raw).strip()


def _url_ok(url: str) -> bool:
    try:
        _URL(url)
    except ValidationError:
        return False
    return True


class _Reader:
    """Reads the CSV's rows for COPY as they are: a number (blank lines are not numbered) and every cell.

    Python's work per row is only the CSV itself; what Python derives (sources, dates, choices, URLs, places,
    reports) it derives once per distinct cell value, after COPY (``BulkImport._lookups``)."""

    def __init__(self, data: bytes, filename: str) -> None:
        try:
            text = decode_upload(data, filename=filename)
        except UndecodableFile as exc:
            raise BulkUnsupported("the file cannot be decoded") from exc
        csv.field_size_limit(max(csv.field_size_limit(), len(data)))
        self.reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
        header = next(self.reader, None)
        if not header:
            raise BulkUnsupported("no header row")
        self.columns = [column_name(name) for name in header]
        if not all(self.columns):
            raise BulkUnsupported("a column without a name")
        if check_columns(self.columns, required=REQUIRED_COLUMNS, known=COLUMN_NAMES):
            raise BulkUnsupported("the header row has a problem")
        self.present = set(self.columns)
        self.places_given = "places" in self.present
        self.report_given = any(column in self.present for column in REPORT_COLUMNS)
        self.read = 0  # numbered rows, space-only ones included
        self.rows = 0  # rows with a value (set once staged)

    @property
    def choices(self) -> list[str]:
        """The choice columns of the file; the slug of each is staged beside the cell."""
        return [name for name in _CHOICE_TABLES if name in self.present]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        width = len(self.columns)
        for raw in self.reader:
            if not raw:
                continue  # the table reader skips blank lines without numbering them
            self.read += 1
            if len(raw) != width:
                if len(raw) > width:
                    raise BulkUnsupported("a row with more cells than the header row")
                raw += [""] * (width - len(raw))
            yield (self.read, *raw)


# SQL helpers --------------------------------------------------------------------------------------------


def _next_id(table: str) -> str:
    """SQL for the next id of ``table``'s sequence, the sequence looked up once per statement (a sub-query):
    pg_get_serial_sequence called for every row was most of the cost of a million ids (2.8 s against 0.3 s)."""
    return f"nextval((SELECT pg_get_serial_sequence('{table}', 'id')::regclass))"


def _new_id_range(column: str, ids: str) -> str:
    """SQL for "``column`` lies between the first and last of the new ids ``ids`` selects", for rows this import
    inserted with ids from their table's sequence (``_next_id``): the primary key then finds them without
    walking the rows stored before them (a merge join walked it whole, a hash join read the table whole). Other
    transactions may have taken ids in that range meanwhile: the caller's own condition leaves them out."""
    return f"{column} BETWEEN (SELECT min(id) FROM ({ids}) n) AND (SELECT max(id) FROM ({ids}) n)"


def _literal(value: str) -> str:
    """A SQL string literal of one of this module's constants (never of file data, which goes through COPY)."""
    return "'" + value.replace("'", "''") + "'"


def _choice_sql(column: str) -> str:
    """The stored value of a choice column's slug, NULL when the slug is not in its table."""
    table = _CHOICE_TABLES[column]
    whens = " ".join(f"WHEN {_literal(slug)} THEN {_literal(value)}" for slug, value in table.items())
    return f"CASE slug_{column} {whens} END"


# A cell's figure as the row importer reads it: Arabic digits to ASCII, the Arabic thousands separator to a
# comma, thousands separators dropped; then a whole number (a decimal point is allowed with zeros after it).
_DIGITS_FROM = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
_DIGITS_TO = "01234567890123456789"


def _number_text_sql(column: str) -> str:
    text = f"replace(translate({column}, {_literal(_DIGITS_FROM)}, {_literal(_DIGITS_TO)}), U&'\\066C', ',')"
    return f"(CASE WHEN {text} ~ '^\\d{{1,3}}(,\\d{{3}})+$' THEN replace({text}, ',', '') ELSE {text} END)"


def _number_value_sql(text: str) -> str:
    """numeric of a figure's text, NULL when Python's int() / float() would refuse it."""
    return (
        f"(CASE WHEN position('.' in {text}) = 0 AND {text} ~ '^[+-]?\\d+(_\\d+)*$' "
        f"THEN replace({text}, '_', '')::numeric "
        f"WHEN {text} ~ '^[+-]?(\\d+\\.\\d*|\\.\\d+)([eE][+-]?\\d+)?$' THEN {text}::numeric END)"
    )


_CREATED_AS = re.compile(r"\s*CREATE TEMP TABLE (\w+) ON COMMIT DROP AS\b")


class _Sql:
    """Runs the statements of one bulk import on Django's connection (pghistory's context reaches them)."""

    def __init__(self) -> None:
        self.cursor = connection.cursor()
        self.timings: list[tuple[str, float]] = []  # each statement's first words and seconds (benchmarks)

    def _execute(self, sql: str, params: Any) -> None:
        started = time.perf_counter()
        self.cursor.execute(sql, params)
        self.timings.append((" ".join(sql.split()[:8]), time.perf_counter() - started))

    def run(self, sql: str, params: Any = None) -> int:
        self._execute(sql, params)
        count = int(self.cursor.rowcount)
        created = _CREATED_AS.match(sql)
        if created:
            # Statistics for the planner: without them it takes a staging table for a few pages and picks
            # nested loops over hundreds of thousands of rows.
            self._execute(f"ANALYZE {created.group(1)}", None)
        return count

    def rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        self._execute(sql, params)
        return list(self.cursor.fetchall())

    def value(self, sql: str, params: Any = None) -> Any:
        self._execute(sql, params)
        row = self.cursor.fetchone()
        return row[0] if row else None


# The staged rows: the cells as the row importer reads them, and what Python derived, from the lookups ----------

# Python's str.strip() removes what str.isspace() calls whitespace; btrim is given the same characters.
_WHITESPACE = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
# The columns read once per distinct cell (``BulkImport._lookups``), and the table of each: (raw, value, ...).
_LOOKUPS = {
    "source": "hasila_bulk_names",
    "report_publisher": "hasila_bulk_names",
    **dict.fromkeys(_DATE_COLUMNS, "hasila_bulk_dates"),
    **dict.fromkeys(_CHOICE_TABLES, "hasila_bulk_slugs"),
    "report_url": "hasila_bulk_urls",
    "places": "hasila_bulk_place_cells",
}


def _unicode_literal(text: str) -> str:
    escaped = (f"\\{ord(c):04X}" if ord(c) <= 0xFFFF else f"\\+{ord(c):06X}" for c in text)
    return "U&'" + "".join(escaped) + "'"


_STRIPPED = _unicode_literal(_WHITESPACE)
_SPACES_ONLY = _unicode_literal("^[" + _WHITESPACE + "]*$")  # a regular expression


def _unneutralise_sql(column: str) -> str:
    starts = ", ".join(_unicode_literal(start) for start in FORMULA_STARTS)
    quote = _literal("'")
    return (
        f"CASE WHEN left({column}, 1) = {quote} AND substr({column}, 2, 1) IN ({starts}) "
        f"THEN substr({column}, 2) ELSE {column} END"
    )


def _rows_sql(reader: _Reader) -> str:
    """hasila_bulk_rows: each row with a value, its cells as the row importer reads them (neutralised formulas
    restored, trimmed unless verbatim), the slugs of its choices, and what Python derived for its cells."""
    present, columns = reader.present, reader.columns
    looked_up = [name for name in columns if name in _LOOKUPS]
    # 1. The cells that are not looked up, read in SQL; the others as given (the lookups' keys).
    read = ["r.row", *(f"r.{name}" for name in looked_up)]
    for name in columns:
        if name not in _LOOKUPS:
            value = _unneutralise_sql(f"r.{name}")
            read.append(
                f"{value} AS {name}" if name in VERBATIM else f"btrim({value}, {_STRIPPED}) AS {name}"
            )
    read += [f"r.{name} AS {name}_raw" for name in ("report_title", "report_text") if name in present]
    # 2. The lookups joined, and which parts of the row are blank.
    cells = [f"l_{name}.value AS {name}" if name in _LOOKUPS else f"c.{name}" for name in columns]
    joins = [f"LEFT JOIN {_LOOKUPS[name]} l_{name} ON l_{name}.raw = c.{name}" for name in looked_up]
    title, text = (f"c.{name}_raw" if name in present else "''" for name in ("report_title", "report_text"))
    joins.append(f"LEFT JOIN hasila_bulk_report_texts rt ON rt.title = {title} AND rt.text = {text}")

    def blank(names: Iterable[str]) -> str:
        tests = [
            f"l_{name}.value = ''"
            if name in _LOOKUPS
            else f"c.{name} ~ {_SPACES_ONLY}"
            if name in VERBATIM
            else f"c.{name} = ''"
            for name in names
            if name in present
        ]
        return "(" + " AND ".join(tests) + ")" if tests else "true"

    def derived(name: str, expression: str, kind: str) -> str:
        return expression if name in present else f"NULL::{kind}"

    # 3. The rows with a value; a blank claim (or report) has no source (or publisher, URL, text) read.
    return f"""
CREATE TEMP TABLE hasila_bulk_rows ON COMMIT DROP AS
SELECT row, {", ".join([*columns, *(f"slug_{name}" for name in reader.choices)])},
       CASE WHEN NOT blank_claim THEN src_id END AS src_id, CASE WHEN NOT blank_claim THEN src_norm END AS src_norm,
       CASE WHEN NOT blank_report THEN pub_id END AS pub_id, CASE WHEN NOT blank_report THEN pub_norm END AS pub_norm,
       d_start, d_end, d_stated, d_pub, CASE WHEN NOT blank_report THEN url_ok END AS url_ok,
       CASE WHEN NOT blank_report THEN rep_hash END AS rep_hash,
       CASE WHEN NOT blank_report THEN rep_lang END AS rep_lang,
       CASE WHEN NOT blank_report THEN rep_search END AS rep_search,
       blank_claim, blank_report, place_ids, places_raw
FROM (
    SELECT c.row, {", ".join(cells)},
           {"".join(f"l_{name}.slug AS slug_{name}, " for name in reader.choices)}
           l_source.id AS src_id, l_source.norm AS src_norm,
           {derived("report_publisher", "l_report_publisher.id", "integer")} AS pub_id,
           {derived("report_publisher", "l_report_publisher.norm", "text")} AS pub_norm,
           {", ".join(derived(name, f"l_{name}.date", "date") + f" AS {alias}" for name, alias in _DATE_COLUMNS.items())},
           {derived("report_url", "l_report_url.ok", "boolean")} AS url_ok,
           rt.hash AS rep_hash, rt.language AS rep_lang, rt.search AS rep_search,
           {derived("places", "l_places.ids", "bigint[]")} AS place_ids,
           {derived("places", "c.places", "text")} AS places_raw,
           {blank(CLAIM_COLUMNS)} AS blank_claim, {blank(REPORT_COLUMNS)} AS blank_report,
           {blank(columns)} AS blank_row
    FROM (SELECT {", ".join(read)} FROM hasila_bulk_raw r OFFSET 0) c
    {" ".join(joins)}
    OFFSET 0
) s
WHERE NOT blank_row
"""


# The rows' parsed values, one row per file row ------------------------------------------------------------


def _parsed_sql(present: set[str]) -> str:
    def col(name: str) -> str:
        return name if name in present else "NULL::text"

    def choice(name: str) -> str:
        return _choice_sql(name) if name in present else "NULL::text"

    number_columns = ("low", "high", "evidence_start", "evidence_end")
    numbers = []
    texts = []  # each figure's text, computed once per row (a plain expression would be repeated in each use)
    for name in number_columns:
        if name in present:
            texts.append(f"{_number_text_sql(name)} AS {name}_t")
            numbers.append(
                f"NULLIF(t.{name}_t, '') AS {name}_text, {_number_value_sql(f't.{name}_t')} AS {name}_num"
            )
        else:
            numbers.append(f"NULL::text AS {name}_text, NULL::numeric AS {name}_num")
    lateral = f"CROSS JOIN LATERAL (SELECT {', '.join(texts)} OFFSET 0) AS t" if texts else ""
    return f"""
CREATE TEMP TABLE hasila_bulk ON COMMIT DROP AS
SELECT row,
       incident_key AS ikey,
       {col("incident_title")} AS title,
       {col("incident_perpetrator")} AS perpetrator,
       {col("incident_description")} AS description,
       {col("incident_date_start")} AS start_text, d_start,
       {col("incident_date_end")} AS end_text, d_end,
       {col("incident_date_precision")} AS precision_text, {choice("incident_date_precision")} AS date_precision,
       {col("incident_type")} AS type_text, {choice("incident_type")} AS type,
       NOT blank_claim AS is_claim,
       claim_key AS ckey, source, src_id, src_norm,
       outcome AS outcome_text, {choice("outcome")} AS outcome,
       category AS category_text, {choice("category")} AS category,
       {col("qualifier")} AS qualifier_text, {choice("qualifier")} AS qualifier_given,
       {col("status")} AS status_text, {choice("status")} AS status_given,
       {", ".join(numbers)},
       {col("party")} AS party, {col("words")} AS words, {col("evidence")} AS evidence, {col("note")} AS note,
       {col("stated_on")} AS stated_text, d_stated,
       NOT blank_report AS has_report,
       {col("report_publisher")} AS publisher, pub_id, pub_norm,
       {col("report_url")} AS url, url_ok,
       {col("report_title")} AS report_title,
       {col("report_published_on")} AS published_text, d_pub,
       {col("report_language")} AS language_text, {choice("report_language")} AS language_given,
       rep_hash, rep_lang, rep_search,
       place_ids
FROM hasila_bulk_rows {lateral}
"""


# The figure's rules (hasila._Validation._figure), set-based: low/high/qualifier as stored, and the problem.
_FIGURE_SQL = f"""
CREATE TEMP TABLE hasila_bulk_figure ON COMMIT DROP AS
WITH n AS MATERIALIZED (
    SELECT row,
           CASE WHEN low_num >= 0 AND low_num = trunc(low_num) AND low_num <= {MAX_INT} THEN low_num::int END AS low,
           CASE WHEN high_num >= 0 AND high_num = trunc(high_num) AND high_num <= {MAX_INT} THEN high_num::int END
               AS high,
           coalesce(qualifier_given, '') AS given
    FROM hasila_bulk WHERE is_claim
), q AS MATERIALIZED (
    SELECT row, low, high,
           (low IS NOT NULL AND high IS NOT NULL AND low > high) AS reversed,
           CASE
               WHEN low IS NOT NULL AND high IS NOT NULL AND low > high THEN coalesce(NULLIF(given, ''), 'range')
               WHEN given <> '' THEN given
               WHEN low IS NULL AND high IS NULL THEN 'unspecified'
               WHEN low IS NOT NULL AND high IS NOT NULL AND low < high THEN 'range'
               ELSE 'exact'
           END AS qualifier
    FROM n
), filled AS MATERIALIZED (
    SELECT row, reversed, qualifier,
           CASE WHEN NOT reversed AND qualifier IN ('exact', 'about') THEN coalesce(low, high) ELSE low END AS low,
           CASE WHEN NOT reversed AND qualifier IN ('exact', 'about') THEN coalesce(high, low) ELSE high END AS high
    FROM q
)
SELECT row, low, high, qualifier,
       CASE
           WHEN reversed THEN 'reversed'
           WHEN (qualifier IN ('exact', 'about', 'at_least', 'more_than', 'range')) <> (low IS NOT NULL)
             OR (qualifier IN ('exact', 'about', 'up_to', 'range')) <> (high IS NOT NULL) THEN 'bounds'
           WHEN qualifier IN ('exact', 'about') AND low <> high THEN 'equal'
           WHEN qualifier = 'range' AND low = high THEN 'less'
       END AS problem
FROM filled
"""


def _figure_message(qualifier: str, problem: str, low: Any, high: Any) -> str:
    if problem == "reversed":
        return f"low ({low}) is greater than high ({high})"
    label = Qualifier(qualifier).label
    wants_low, wants_high, _ = BOUNDS[qualifier]
    if problem == "bounds":
        needs = {
            (True, True): "a low and a high figure",
            (True, False): "a low figure and no high figure",
            (False, True): "a high figure and no low figure",
            (False, False): "no figures",
        }[(wants_low, wants_high)]
        return f"{label!r} takes {needs}"
    if problem == "equal":
        return f"{label!r} takes one figure: low and high must be equal (or use qualifier range)"
    return "a range needs low below high; for one figure use qualifier exact"


# Problems ----------------------------------------------------------------------------------------------------

# (phase, SQL, condition) per rule: each SELECT gives row, column, code and up to four arguments. ``phase``
# orders the problems of one row and column as the row importer finds them (cells first, then the checks of
# the file). ``condition`` is set on the checks of one row alone (``_rules.check``).
_Rule = tuple[int, str, str | None]


def _valid(number: str) -> str:
    """Whether a figure's numeric value is one the row importer accepts (whole, 0 or more, not too large)."""
    return f"({number} >= 0 AND {number} = trunc({number}) AND {number} <= {MAX_INT})"


def _rules(present: set[str], places_given: bool) -> list[_Rule]:
    rules: list[_Rule] = []

    def add(phase: int, sql: str) -> None:
        rules.append((phase, sql, None))

    def check(where: str, column: str, code: str, a: str = "NULL", b: str = "NULL") -> None:
        """A problem found on one row alone, when ``where`` holds; ``code``, ``a`` and ``b`` are SQL. It is
        read from hasila_bulk_suspect, the rows for which some check holds (``BulkImport._problems``)."""
        select = f"row, {_literal(column)}, {code}, {a}, {b}, NULL, NULL"
        rules.append((0, f"SELECT {select} FROM hasila_bulk_suspect WHERE {where}", where))

    def long(column: str, value: str, where: str = "") -> None:
        limit = MAX_LENGTHS[column]
        check(
            f"{where}char_length({value}) > {limit}",
            column,
            "'long'",
            f"char_length({value})::text",
            f"'{limit}'",
        )

    check("ikey = ''", "incident_key", "'empty'")
    long("incident_key", "ikey")
    for column, name in (("incident_title", "title"), ("incident_perpetrator", "perpetrator")):
        if column in present:
            long(column, name)
    for column, text in (("incident_date_start", "start_text"), ("incident_date_end", "end_text")):
        if column in present:
            extra = "d_start" if column == "incident_date_start" else "d_end"
            check(f"{text} <> '' AND {extra} IS NULL", column, "'date'", text)
    for column, slug, value, claim_only in (
        ("incident_date_precision", "precision_text", "date_precision", False),
        ("incident_type", "type_text", "type", False),
        ("outcome", "outcome_text", "outcome", True),
        ("category", "category_text", "category", True),
        ("qualifier", "qualifier_text", "qualifier_given", True),
        ("status", "status_text", "status_given", True),
    ):
        if column not in present:
            continue
        where = "is_claim AND " if claim_only else ""
        check(f"{where}{slug} <> '' AND {value} IS NULL", column, "'choice'", slug, f"'{column}'")
        if column in ("outcome", "category"):
            check(f"is_claim AND {slug} = ''", column, "'empty'")
    if places_given:
        add(
            0,
            "SELECT row, 'places', 'place', token, problem, NULL, position::text "
            "FROM hasila_bulk_place_problems",
        )
    # Claims.
    check("is_claim AND ckey = ''", "claim_key", "'empty'")
    long("claim_key", "ckey", "is_claim AND ")
    check("is_claim AND source = ''", "source", "'empty'")
    unknown = "CASE WHEN {} = '' THEN 'not_source' ELSE 'unknown_source' END"
    check("is_claim AND source <> '' AND src_id IS NULL", "source", unknown.format("src_norm"), "source")
    for name in ("low", "high", "evidence_start", "evidence_end"):
        if name in present:
            number = f"{name}_num"
            check(
                f"is_claim AND {name}_text IS NOT NULL AND ({number} IS NULL OR {number} < 0 "
                f"OR {number} <> trunc({number}) OR {number} > {MAX_INT})",
                name,
                f"CASE WHEN {number} IS NULL THEN 'not_whole' WHEN {number} < 0 THEN 'negative' "
                f"WHEN {number} <> trunc({number}) THEN 'not_whole' ELSE 'too_large' END",
                f"{name}_text",
            )
    add(
        0,
        "SELECT f.row, CASE WHEN f.problem = 'reversed' THEN 'low, high' ELSE 'qualifier, low, high' END, "
        "'figure', f.qualifier, f.problem, f.low::text, f.high::text FROM hasila_bulk_figure f "
        "WHERE f.problem IS NOT NULL",
    )
    for name in ("party", "words"):
        if name in present:
            long(name, name, "is_claim AND ")
    if "evidence_start" in present and "evidence_end" in present:
        check(
            f"is_claim AND evidence_start_num > evidence_end_num AND {_valid('evidence_start_num')} "
            f"AND {_valid('evidence_end_num')}",
            "evidence_start, evidence_end",
            "'evidence'",
        )
    if "stated_on" in present:
        check("is_claim AND stated_text <> '' AND d_stated IS NULL", "stated_on", "'date'", "stated_text")
    # Reports (rows of claims only: a row without a claim describes its incident alone).
    report = "is_claim AND has_report AND "
    if "report_publisher" in present:
        check(f"{report}publisher = ''", "report_publisher", "'empty'")
        check(
            f"{report}publisher <> '' AND pub_id IS NULL",
            "report_publisher",
            unknown.format("pub_norm"),
            "publisher",
        )
    else:
        check("is_claim AND has_report", "report_publisher", "'empty'")
    if "report_url" in present:
        long("report_url", "url", report)
        check(f"{report}NOT url_ok", "report_url", "'url'", "url")
    if "report_title" in present:
        long("report_title", "report_title", report)
    if "report_language" in present:
        check(
            f"{report}language_text <> '' AND language_given IS NULL",
            "report_language",
            "'choice'",
            "language_text",
            "'report_language'",
        )
    if "report_published_on" in present:
        check(
            f"{report}published_text <> '' AND d_pub IS NULL",
            "report_published_on",
            "'date'",
            "published_text",
        )
    # Across rows.
    for column, name in (
        ("incident_title", "title"),
        ("incident_date_start", "d_start"),
        ("incident_date_end", "d_end"),
        ("incident_date_precision", "date_precision"),
        ("incident_type", "type"),
        ("incident_perpetrator", "perpetrator"),
        ("incident_description", "description"),
    ):
        if column not in present:
            continue
        given = f"{name} IS NOT NULL" + (f" AND {name}::text <> ''" if not name.startswith("d_") else "")
        add(
            0,
            f"""SELECT h.row, '{column}', 'conflict', h.ikey, f.value, f.row::text, h.{name}::text
                FROM hasila_bulk h JOIN (
                    SELECT DISTINCT ON (ikey) ikey, row, {name}::text AS value FROM hasila_bulk
                    WHERE ikey IN (SELECT ikey FROM hasila_bulk_conflicting) AND {given} ORDER BY ikey, row
                ) f ON f.ikey = h.ikey
                WHERE h.{given} AND h.{name}::text IS DISTINCT FROM f.value""",
        )
    if places_given:
        add(
            0,
            """SELECT h.row, 'places', 'places_conflict', h.ikey, f.row::text, NULL, NULL
               FROM hasila_bulk h JOIN (
                   SELECT DISTINCT ON (ikey) ikey, row, place_ids FROM hasila_bulk
                   WHERE ikey IN (SELECT ikey FROM hasila_bulk_conflicting) AND place_ids IS NOT NULL
                   ORDER BY ikey, row
               ) f ON f.ikey = h.ikey
               WHERE h.place_ids IS NOT NULL AND h.place_ids <> f.place_ids""",
        )
    add(
        0,
        """SELECT h.row, 'report_' || d.name, 'report_differs', d.name, f.row::text, NULL, NULL
           FROM hasila_bulk_report_rows h
           JOIN hasila_bulk_report_rows f ON f.identity = h.identity AND f.row = h.first_row
           CROSS JOIN LATERAL (VALUES
               ('publisher', h.pub_ref IS DISTINCT FROM f.pub_ref),
               ('url', h.url IS DISTINCT FROM f.url),
               ('title', h.report_title IS DISTINCT FROM f.report_title),
               ('published_on', h.d_pub IS DISTINCT FROM f.d_pub),
               ('language', h.language IS DISTINCT FROM f.language)
           ) AS d(name, differs)
           WHERE h.row <> h.first_row AND d.differs""",
    )
    add(
        1,
        """SELECT r.first_row, 'report_publisher', 'stored_publisher', s.name, NULL, NULL, NULL
           FROM hasila_bulk_reports r JOIN sources_report stored ON stored.id = r.existing_id
           JOIN sources_source s ON s.id = stored.publisher_id
           WHERE r.kind = 'text' AND stored.publisher_id <> r.pub_id""",
    )
    add(
        1,
        # Grouped by hashing, not sorted: only keys given twice or more are joined back.
        """WITH c AS MATERIALIZED (
               SELECT row, ckey, coalesce(src_id::text, 'n:' || src_norm) AS source_ref FROM hasila_bulk
               WHERE is_claim AND (src_id IS NOT NULL OR src_norm <> '')
           ), twice AS (
               SELECT source_ref, ckey, min(row) AS first_row FROM c GROUP BY source_ref, ckey HAVING count(*) > 1
           )
           SELECT c.row, 'claim_key', 'duplicate', t.first_row::text, c.ckey, c.source_ref, NULL
           FROM c JOIN twice t ON t.source_ref = c.source_ref AND t.ckey = c.ckey
           WHERE c.row <> t.first_row""",
    )
    for column, name in (("incident_title", "filled_title"), ("incident_date_start", "filled_start")):
        add(
            2,
            f"SELECT first_row, '{column}', 'needed', ikey, NULL, NULL, NULL FROM hasila_bulk_incidents "
            f"WHERE ikey <> '' AND existing_id IS NULL AND NOT {name}",
        )
    add(
        2,
        "SELECT first_row, 'incident_date_start, incident_date_end', 'end_before_start', NULL, NULL, NULL, "
        "NULL FROM hasila_bulk_incidents WHERE ikey <> '' AND existing_id IS NULL AND date_end < date_start",
    )
    return rules


def _message(code: str, row: int, a: Any, b: Any, c: Any, d: Any, sources: dict[int, str]) -> str:
    if code == "empty":
        return "is empty"
    if code == "long":
        return f"is {a} characters long; at most {b} are allowed"
    if code == "date":
        value = a if not (len(a) > 10 and a[10] in "T ") else a[:10]
        return f"{value!r} is not a date; write it as YYYY-MM-DD"
    if code == "choice":
        allowed = ", ".join(sorted(set(_CHOICE_TABLES[b].values())))
        return f"{a!r} is not one of: {allowed}"
    if code == "place":
        return str(b)  # the gazetteer's own message, from _Places.resolve
    if code == "not_source":
        return f"{a!r} is not a source name"
    if code == "unknown_source":
        return (
            f"unknown source {a!r}: correct the spelling, or ask an admin to add the source "
            "(or this spelling of its name)"
        )
    if code == "not_whole":
        return f"{a!r} is not a whole number"
    if code == "negative":
        return f"{a!r} is negative; figures are 0 or more"
    if code == "too_large":
        return f"{a!r} is too large"
    if code == "figure":
        return _figure_message(a, b, c, d)
    if code == "evidence":
        return "the evidence ends before it starts"
    if code == "url":
        return f"{a!r} is not a valid URL"
    if code == "conflict":
        return f"incident {a!r} has {b} on row {c} but {d} here"
    if code == "places_conflict":
        return f"incident {a!r} has other places on row {b}"
    if code == "report_differs":
        return f"the same report is given with another {a.replace('_', ' ')} on row {b}"
    if code == "stored_publisher":
        return f"this report's text is already stored with publisher {a!r}"
    if code == "duplicate":
        name = c[2:] if c.startswith("n:") else sources.get(int(c), "")
        return f"rows {a} and {row} are the same claim ({b!r} of {name!r}); remove one of them"
    if code == "needed":
        return f"is needed for the new incident {a!r}"
    if code == "end_before_start":
        return "the end is before the start"
    raise AssertionError(code)


# Aggregates over the file -------------------------------------------------------------------------------------

_REPORT_ROWS_SQL = """
CREATE TEMP TABLE hasila_bulk_report_rows ON COMMIT DROP AS
SELECT row, pub_id, pub_ref, url, report_title, d_pub, coalesce(language_given, rep_lang) AS language, rep_hash,
       rep_search, report_text, identity, kind, min(row) OVER (PARTITION BY identity) AS first_row
FROM (
    SELECT h.*, {report_text} AS report_text, coalesce(h.pub_id::text, 'n:' || h.pub_norm) AS pub_ref,
           CASE WHEN h.rep_hash IS NOT NULL THEN 'text' WHEN coalesce(h.url, '') <> '' THEN 'url' ELSE 'title' END
               AS kind,
           CASE WHEN h.rep_hash IS NOT NULL THEN 'h:' || h.rep_hash
                WHEN coalesce(h.url, '') <> '' THEN 'u:' || coalesce(h.pub_id::text, 'n:' || h.pub_norm) || ':' || h.url
                ELSE 't:' || coalesce(h.pub_id::text, 'n:' || h.pub_norm) || ':' || coalesce(h.report_title, '') || ':'
                     || coalesce(h.d_pub::text, '')
           END AS identity
    FROM hasila_bulk h JOIN hasila_bulk_rows r ON r.row = h.row
    WHERE h.is_claim AND h.has_report AND h.pub_norm <> ''
) t
"""

_REPORTS_SQL = """
CREATE TEMP TABLE hasila_bulk_reports ON COMMIT DROP AS
SELECT f.identity, f.kind, f.row AS first_row, f.pub_id, f.pub_ref, coalesce(f.url, '') AS url,
       coalesce(f.report_title, '') AS title, f.d_pub, f.language, f.rep_hash, f.rep_search,
       coalesce(f.report_text, '') AS text,
       CASE f.kind
           WHEN 'text' THEN (SELECT s.id FROM sources_report s WHERE s.content_hash = f.rep_hash)
           WHEN 'url' THEN (SELECT min(s.id) FROM sources_report s WHERE s.publisher_id = f.pub_id AND s.url = f.url)
           ELSE (SELECT min(s.id) FROM sources_report s
                 WHERE s.publisher_id = f.pub_id AND s.content_hash IS NULL AND s.url = ''
                   AND s.title = coalesce(f.report_title, '') AND s.published_on IS NOT DISTINCT FROM f.d_pub)
       END AS existing_id,
       NULL::bigint AS id
FROM hasila_bulk_report_rows f WHERE f.row = f.first_row
"""

_INCIDENTS_SQL = """
CREATE TEMP TABLE hasila_bulk_incidents ON COMMIT DROP AS
SELECT a.*, i.id AS existing_id, NULL::bigint AS id
FROM (
    SELECT ikey, min(row) AS first_row,
           min(NULLIF(title, '') COLLATE "C") AS title,
           min(d_start) AS date_start, min(d_end) AS date_end,
           min(date_precision) AS date_precision, min(type) AS type,
           min(NULLIF(perpetrator, '') COLLATE "C") AS perpetrator,
           min(NULLIF(description, '') COLLATE "C") AS description,
           bool_or(coalesce(title, '') <> '') AS filled_title,
           bool_or(coalesce(start_text, '') <> '') AS filled_start,
           min(place_ids) AS place_ids,  -- the same on every row that gives them, else a problem
           count(DISTINCT title) > 1 OR count(DISTINCT d_start) > 1 OR count(DISTINCT d_end) > 1
             OR count(DISTINCT date_precision) > 1 OR count(DISTINCT type) > 1
             OR count(DISTINCT NULLIF(perpetrator, '')) > 1 OR count(DISTINCT NULLIF(description, '')) > 1
             OR count(DISTINCT place_ids) > 1 AS conflicting
    FROM hasila_bulk GROUP BY ikey
) a
LEFT JOIN incidents_incident i ON i.external_id = a.ikey AND a.ikey <> ''
"""


# The staging tables, dropped when the import ends (and at the latest with its transaction).
_TABLES = (
    "hasila_bulk_raw",
    "hasila_bulk_names",
    "hasila_bulk_dates",
    "hasila_bulk_slugs",
    "hasila_bulk_urls",
    "hasila_bulk_report_texts",
    "hasila_bulk_place_cells",
    "hasila_bulk_place_tokens",
    "hasila_bulk_rows",
    "hasila_bulk_place_problems",
    "hasila_bulk",
    "hasila_bulk_figure",
    "hasila_bulk_suspect",
    "hasila_bulk_report_rows",
    "hasila_bulk_reports",
    "hasila_bulk_incidents",
    "hasila_bulk_conflicting",
    "hasila_bulk_claims",
    "hasila_bulk_new",
    "hasila_bulk_insert",
    "hasila_bulk_summaries",
    "hasila_bulk_search_keys",
    "hasila_bulk_place_trees",
)


class BulkImport:
    """One bulk import, in the caller's transaction."""

    def __init__(
        self, data: bytes, *, filename: str, user: User, batch: str, progress: Progress | None
    ) -> None:
        self.data = data
        self.filename = filename
        self.user = user
        self.batch = batch
        self.progress = progress
        self.sql = _Sql()

    def _report(self, read: int, valid: int, errors: int, written: int) -> None:
        if self.progress is not None:
            self.progress(read, valid, errors, written)

    def run(self) -> BulkOutcome:
        """Stage, check and (if no row has a problem) write the file; raises ``BulkUnsupported`` before
        writing anything when the row importer must do it (the caller rolls back to its savepoint)."""
        outcome = self._run()
        outcome.timings = self.sql.timings
        # On BulkUnsupported or a database error, the caller's savepoint takes the tables away.
        self.sql.run(f"DROP TABLE IF EXISTS {', '.join(_TABLES)}")
        return outcome

    def _memory(self) -> None:
        """Memory for this transaction's statements and staging tables: PostgreSQL's defaults (4 MB per sort or
        hash, 8 MB of buffers for temporary tables) would spill most of a large file to disk. And a smaller
        sample for the staging tables' statistics (``STATISTICS_TARGET``), and no JIT."""
        self.sql.run("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
        self.sql.run("SELECT set_config('default_statistics_target', %s, true)", [STATISTICS_TARGET])
        # No JIT compilation: where the server has it (Debian's PostgreSQL 15 does), the planner's costs for a
        # million rows turn it on, and it compiled for longer than it saved (4.2 s for one statement).
        self.sql.run("SELECT set_config('jit', 'off', true)")
        try:
            with transaction.atomic():
                self.sql.run("SELECT set_config('temp_buffers', %s, true)", [TEMP_BUFFERS])
        except DataError:
            pass  # the connection has used temporary tables at another size, which then stays

    def _run(self) -> BulkOutcome:
        self._memory()
        reader = _Reader(self.data, self.filename)
        self._stage(reader)
        result = HasilaImportResult(dry_run=False, rows=reader.rows)
        self._parse(reader)
        self._row_importer_needed(reader)
        errors = self._problems(reader)
        faulty = {error.row for error in errors}
        self._count(result, faulty)
        if errors:
            result.errors = errors
            self._report(reader.rows, reader.rows - len(faulty), len(errors), 0)
            return BulkOutcome(result)
        # Only now: a revision the services must place is no problem of the file's.
        self._chains()
        self._report(reader.rows, reader.rows, 0, 0)
        outcome = BulkOutcome(result)
        self._write(outcome)
        self._report(reader.rows, reader.rows, 0, reader.rows)
        return outcome

    # Staging ------------------------------------------------------------------------------------------------

    def _stage(self, reader: _Reader) -> None:
        columns = ", ".join(f"{name} text" for name in reader.columns)
        # Unlogged is not possible for a temporary table, and not needed: temporary tables skip the WAL.
        self.sql.run(f"CREATE TEMP TABLE hasila_bulk_raw (row integer, {columns}) ON COMMIT DROP")
        raw = self.sql.cursor.cursor  # psycopg's own cursor: Django's has no COPY
        started = copy_started = time.monotonic()
        with raw.copy(f"COPY hasila_bulk_raw (row, {', '.join(reader.columns)}) FROM STDIN") as copy:
            for row in reader:
                copy.write_row(row)
                if time.monotonic() - started > 0.5:
                    self._report(reader.read, 0, 0, 0)
                    started = time.monotonic()
        self.sql.timings.append(
            ("COPY hasila_bulk_raw (Python reading included)", time.monotonic() - copy_started)
        )
        self._lookups(reader)
        reader.rows = self.sql.run(_rows_sql(reader))
        self._report(reader.rows, 0, 0, 0)
        if reader.rows == 0:
            raise BulkUnsupported("no data rows")
        supersedes = "supersedes_key <> ''" if "supersedes_key" in reader.present else "false"
        unsupported = self.sql.value(
            "SELECT CASE WHEN bool_or(starts_with(incident_key, %s) OR starts_with(claim_key, %s)) "
            f"THEN 'a key naming a database id' WHEN bool_or({supersedes}) THEN 'supersedes_key' END "
            "FROM hasila_bulk_rows",
            [INCIDENT_KEY_PREFIX, CLAIM_KEY_PREFIX],
        )
        if unsupported:
            raise BulkUnsupported(unsupported)
        self.sql.run(
            "CREATE TEMP TABLE hasila_bulk_place_problems ON COMMIT DROP AS "
            + (
                "SELECT r.row, p.position, p.token, p.problem FROM hasila_bulk_rows r "
                "JOIN hasila_bulk_place_tokens p ON p.raw = r.places_raw"
                if reader.places_given
                else "SELECT NULL::integer AS row, NULL::integer AS position, NULL::text AS token, "
                "NULL::text AS problem WHERE false"
            )
        )

    def _lookups(self, reader: _Reader) -> None:
        """What Python derives from cells, once per distinct cell of each column: the cell as the row importer
        reads it (``value``) and what it stands for. The staged rows join these tables on the cell as given."""
        present = reader.present
        singles = [name for name in _LOOKUPS if name in present]
        pair = [
            f"{name} AS {alias}" if name in present else f"''::text AS {alias}"
            for name, alias in (("report_title", "title"), ("report_text", "text"))
        ]
        sets = [f"({name})" for name in singles] + (["(title, text)"] if reader.report_given else [])
        found = self.sql.rows(
            f"SELECT {', '.join([*singles, 'title, text' if reader.report_given else 'NULL, NULL'])} "
            f"FROM (SELECT {', '.join([*singles, *pair])} FROM hasila_bulk_raw) r "
            f"GROUP BY GROUPING SETS ({', '.join(sets)})"
        )
        values: dict[str, set[Any]] = {table: set() for table in _LOOKUPS.values()}
        reports: set[tuple[str, str]] = set()
        for *cells, title, text in found:
            if title is not None:
                reports.add((title, text))
            for name, cell in zip(singles, cells, strict=True):
                if cell is not None:
                    values[_LOOKUPS[name]].add(cell)

        sources = _Sources()

        def source(raw: str) -> tuple[str, str, int | None, str | None]:
            name = _trimmed(raw)
            return (
                (raw, name, sources.resolve(name), sources.normalize(name))
                if name
                else (raw, name, None, None)
            )

        def date(raw: str) -> tuple[str, str, datetime.date | None]:
            value = _trimmed(raw)
            return raw, value, parse_date(value) if value else None

        def choice(raw: str) -> tuple[str, str, str]:
            value = _trimmed(raw)
            return raw, value, _slug(value)

        def url(raw: str) -> tuple[str, str, bool | None]:
            value = _trimmed(raw)
            return raw, value, _url_ok(value) if value else None

        def report(title_raw: str, text_raw: str) -> tuple[str, str, str | None, str, str]:
            title, text = _trimmed(title_raw), _unneutralise(text_raw)  # the text is verbatim
            words = " ".join(part for part in (title, text) if part)
            return (
                title_raw,
                text_raw,
                content_hash(text),
                detect_language(text or title),
                search_document(words),
            )

        for table, columns, read in (
            ("hasila_bulk_names", "id integer, norm text", source),
            ("hasila_bulk_dates", "date date", date),
            ("hasila_bulk_slugs", "slug text", choice),
            ("hasila_bulk_urls", "ok boolean", url),
        ):
            self._staged(f"{table} (raw text, value text, {columns})", map(read, values[table]))
        self._staged(
            "hasila_bulk_report_texts (title text, text text, hash text, language text, search text)",
            (report(title, text) for title, text in reports),
        )
        if reader.places_given:
            self._places(values["hasila_bulk_place_cells"])

    def _places(self, cells: set[str]) -> None:
        """The places of each distinct cell of the column places, and the problems of its names."""
        places = _Places()
        rows: list[tuple[str, str, list[int] | None]] = []
        tokens: list[tuple[str, int, str, str]] = []
        for raw in cells:
            value = _trimmed(raw)
            given = [token.strip() for token in value.split("|") if token.strip()]
            ids: set[int] = set()
            bad = False
            for position, token in enumerate(given):
                pk, problem = places.resolve(token)
                if pk is None:
                    bad = True
                    tokens.append((raw, position, token, problem))
                else:
                    ids.add(pk)
            rows.append((raw, value, sorted(ids) if given and not bad else None))
        self._staged("hasila_bulk_place_cells (raw text, value text, ids bigint[])", rows)
        self._staged(
            "hasila_bulk_place_tokens (raw text, position integer, token text, problem text)", tokens
        )

    def _staged(self, table: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """A temporary table (``table`` is its name and columns) holding ``rows``, copied, with statistics."""
        self.sql.run(f"CREATE TEMP TABLE {table} ON COMMIT DROP")
        name = table.split(" ", 1)[0]
        with self.sql.cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.sql.run(f"ANALYZE {name}")

    def _parse(self, reader: _Reader) -> None:
        self.sql.run(_parsed_sql(reader.present))
        self.sql.run("CREATE INDEX ON hasila_bulk (row)")
        self.sql.run(_FIGURE_SQL)
        self.sql.run("CREATE INDEX ON hasila_bulk_figure (row)")
        text = "r.report_text" if "report_text" in reader.present else "NULL::text"
        self.sql.run(_REPORT_ROWS_SQL.format(report_text=text))
        self.sql.run(_REPORTS_SQL)
        self.sql.run(_INCIDENTS_SQL)
        self.sql.run(
            "CREATE TEMP TABLE hasila_bulk_conflicting ON COMMIT DROP AS "
            "SELECT ikey FROM hasila_bulk_incidents WHERE conflicting"
        )
        self.sql.run(
            """CREATE TEMP TABLE hasila_bulk_claims ON COMMIT DROP AS
               SELECT h.row, h.ikey, h.ckey, h.src_id, c.id AS existing_id, c.incident_id AS existing_incident
               FROM hasila_bulk h
               LEFT JOIN incidents_claim c ON c.claimed_by_id = h.src_id AND c.external_id = h.ckey AND h.ckey <> ''
               WHERE h.is_claim AND h.src_id IS NOT NULL"""
        )

    # What only the row importer does ------------------------------------------------------------------------

    def _row_importer_needed(self, reader: _Reader) -> None:
        present = reader.present
        incident_fields = [
            ("incident_title", "title", "i.title"),
            ("incident_date_start", "date_start", "i.date_start"),
            ("incident_date_end", "date_end", "i.date_end"),
            ("incident_date_precision", "date_precision", "i.date_precision"),
            ("incident_type", "type", "i.type"),
            ("incident_perpetrator", "perpetrator", "i.perpetrator"),
            ("incident_description", "description", "i.description"),
        ]
        blanks = {
            "date_end": "NULL",
            "date_precision": "'day'",
            "type": "'other'",
            "perpetrator": "''",
            "description": "''",
        }
        differs = [
            f"coalesce(a.{name}, {blanks[name]}) IS DISTINCT FROM {stored}"
            if name in blanks
            else f"(a.{name} IS NOT NULL AND a.{name} IS DISTINCT FROM {stored})"
            for column, name, stored in incident_fields
            if column in present
        ]
        if reader.places_given:
            differs.append(
                "coalesce(a.place_ids, '{}') IS DISTINCT FROM (SELECT coalesce(array_agg(p.place_id ORDER BY "
                "p.place_id), '{}') FROM incidents_incident_places p WHERE p.incident_id = i.id)"
            )
        if differs:
            changed = self.sql.value(
                f"SELECT count(*) FROM hasila_bulk_incidents a JOIN incidents_incident i ON i.id = a.existing_id "
                f"WHERE {' OR '.join(differs)}"
            )
            if changed:
                raise BulkUnsupported("changes to stored incidents")
        if self.sql.value(
            "SELECT count(*) FROM hasila_bulk_reports a JOIN hasila_bulk_reports b ON a.kind = 'url' "
            "AND b.kind = 'text' AND b.pub_ref = a.pub_ref AND b.url = a.url"
        ):
            raise BulkUnsupported("a report given by its URL and, on another row, with its text")
        if self.sql.value(
            "SELECT count(*) FROM hasila_bulk_claims c LEFT JOIN hasila_bulk_incidents i ON i.ikey = c.ikey "
            "WHERE c.existing_id IS NOT NULL AND c.existing_incident IS DISTINCT FROM i.existing_id"
        ):
            raise BulkUnsupported("a claim moving to another incident")
        self._claim_changes(reader)
        self._new_claims()

    def _claim_changes(self, reader: _Reader) -> None:
        present = reader.present
        wanted = [
            "c.outcome IS DISTINCT FROM h.outcome",
            "c.category IS DISTINCT FROM h.category",
            "c.low IS DISTINCT FROM f.low",
            "c.high IS DISTINCT FROM f.high",
            "c.qualifier IS DISTINCT FROM f.qualifier",
            "c.status <> coalesce(h.status_given, 'confirmed')",
        ]
        for name in ("party", "words", "evidence", "note"):
            if name in present:
                wanted.append(f"c.{name} IS DISTINCT FROM h.{name}")
        for name in ("evidence_start", "evidence_end"):
            if name in present:
                wanted.append(f"c.{name}::numeric IS DISTINCT FROM h.{name}_num")
        report = (
            "(SELECT coalesce(r.existing_id, -1) FROM hasila_bulk_report_rows rr JOIN hasila_bulk_reports r "
            "ON r.identity = rr.identity WHERE rr.row = h.row)"
        )
        if reader.report_given:
            wanted.append(f"c.report_id IS DISTINCT FROM {report}")
        if "stated_on" in present:
            wanted.append(
                "c.stated_on IS DISTINCT FROM coalesce(h.d_stated, (SELECT s.published_on FROM sources_report s "
                f"WHERE s.id = {report}))"
            )
        changed = self.sql.value(
            f"""SELECT count(*) FROM hasila_bulk_claims b
                JOIN incidents_claim c ON c.id = b.existing_id
                JOIN hasila_bulk h ON h.row = b.row JOIN hasila_bulk_figure f ON f.row = b.row
                WHERE {" OR ".join(wanted)}"""
        )
        if changed:
            raise BulkUnsupported("changes to stored claims")

    def _new_claims(self) -> None:
        """The claims the file adds, with the date each is stated (default: its report's date)."""
        self.sql.run(
            """CREATE TEMP TABLE hasila_bulk_new ON COMMIT DROP AS
               SELECT b.row, h.ikey, b.src_id, h.outcome, h.category, coalesce(h.party, '') AS party,
                      coalesce(h.status_given, 'confirmed') AS status,
                      coalesce(h.d_stated, CASE WHEN r.existing_id IS NOT NULL
                          THEN (SELECT s.published_on FROM sources_report s WHERE s.id = r.existing_id)
                          ELSE r.d_pub END) AS stated_on,
                      rr.identity AS report_identity, inc.existing_id AS existing_incident
               FROM hasila_bulk_claims b
               JOIN hasila_bulk h ON h.row = b.row
               JOIN hasila_bulk_incidents inc ON inc.ikey = b.ikey
               LEFT JOIN hasila_bulk_report_rows rr ON rr.row = b.row
               LEFT JOIN hasila_bulk_reports r ON r.identity = rr.identity
               WHERE b.existing_id IS NULL"""
        )

    def _chains(self) -> None:
        """The new confirmed claims of a source for one row of an incident's matrix: the bulk path places
        them in order of the date stated (as the services do one by one), which needs a date on each when
        there are several, and no stored figure in that row (nor a closed flag, which the services reopen)."""
        unsupported = self.sql.value(
            """SELECT count(*) FROM (
                   SELECT ikey, src_id, outcome, category, party, max(existing_incident) AS incident
                   FROM hasila_bulk_new WHERE status = 'confirmed'
                   GROUP BY ikey, src_id, outcome, category, party
                   HAVING count(*) > 1 AND bool_or(stated_on IS NULL)
                      OR max(existing_incident) IS NOT NULL
               ) g
               WHERE g.incident IS NULL
                  OR EXISTS (SELECT 1 FROM incidents_claim c WHERE c.incident_id = g.incident AND c.is_current
                             AND c.claimed_by_id = g.src_id AND c.outcome = g.outcome AND c.category = g.category
                             AND c.party = g.party)
                  OR EXISTS (SELECT 1 FROM incidents_flag f WHERE f.incident_id = g.incident
                             AND f.outcome = g.outcome AND f.category = g.category AND f.party = g.party
                             AND f.status IN ('resolved', 'dismissed'))"""
        )
        if unsupported:
            raise BulkUnsupported("a revision the services must place")

    # Problems ---------------------------------------------------------------------------------------------------

    def _problems(self, reader: _Reader) -> list[RowError]:
        rules = _rules(reader.present, reader.places_given)
        # The checks of one row at a time read only the rows for which one of them holds, found in one pass,
        # instead of each reading every row (a file without problems then has none).
        wheres = [where for _, _, where in rules if where is not None]
        self.sql.run(
            "CREATE TEMP TABLE hasila_bulk_suspect ON COMMIT DROP AS SELECT * FROM hasila_bulk WHERE "
            + " OR ".join(f"({where})" for where in wheres)
        )
        union = " UNION ALL ".join(
            f"SELECT {phase} AS phase, {n} AS rule, * FROM ({sql}) AS r{n}"
            for n, (phase, sql, _) in enumerate(rules)
        )
        found = self.sql.rows(f"SELECT * FROM ({union}) AS problems")
        if not found:
            return []
        sources = dict(
            self.sql.rows(
                "SELECT id, name FROM sources_source WHERE id::text = ANY(%s)",
                [[str(r[7]) for r in found if r[4] == "duplicate"]],
            )
        )
        keyed: list[tuple[tuple[Any, ...], RowError]] = []
        for phase, rule, row, column, code, a, b, c, d in found:
            message = _message(code, row, a, b, c, d, sources)
            position = int(d) if code == "place" else 0
            keyed.append(((row or 0, column or "", phase, rule, position), RowError(row, column, message)))
        keyed.sort(key=lambda item: item[0])
        return [error for _, error in keyed]

    def _count(self, result: HasilaImportResult, faulty: set[int | None]) -> None:
        """The row importer's counts: a row creates its claim, or its incident if it is the incident's first
        row (and new); the rest are unchanged. Rows with a problem are not counted."""
        rows = self.sql.rows(
            """SELECT h.row, (b.row IS NOT NULL AND b.existing_id IS NULL) AS new_claim,
                      (i.existing_id IS NULL) AS new_incident,
                      h.row = min(h.row) OVER (PARTITION BY h.ikey) AS first
               FROM hasila_bulk h JOIN hasila_bulk_incidents i ON i.ikey = h.ikey
               LEFT JOIN hasila_bulk_claims b ON b.row = h.row
               WHERE NOT h.is_claim OR h.src_id IS NOT NULL OR h.src_norm <> ''"""
        )
        created = unchanged = 0
        for row, new_claim, new_incident, first in rows:
            if row in faulty:
                continue
            if new_claim or (first and new_incident):
                created += 1
            else:
                unchanged += 1
        result.created, result.unchanged = created, unchanged

    # Writing ----------------------------------------------------------------------------------------------------

    def _write(self, outcome: BulkOutcome) -> None:
        # pghistory's insert triggers call a function per row (and pgtrigger's ignore list another, in a
        # sub-transaction): a large part of the import on a million rows. Under ``bulk_writes`` their WHEN
        # condition skips them, and the same events are written set-based afterwards (``_history``), under
        # the same context. The queue's claim trigger stands aside too: the claims go in before their new
        # incidents, so it would find none of them; the queue rows are refreshed once everything is in.
        # Under ``key_checks_off`` (where the role may) the per-row foreign-key checks go too, and
        # ``_hold_references`` does their work once.
        with bulk_writes():
            with key_checks_off() as off:
                if off:
                    self._hold_references()
                self._insert(outcome)
            self._stored_summaries()
        self._history()
        # The queue's rows of the touched incidents. A new incident has no flag and no stored row, so it gets
        # rows only where its figures conflict (the summary's has_conflict, by the queue's own rule): in a file
        # of new incidents that mostly agree, most of the refresh had nothing to write.
        self.sql.run(
            "SELECT incidents_refresh_discrepancy_rows(ARRAY(SELECT id FROM hasila_bulk_summaries "
            "WHERE has_conflict OR NOT new))"
        )

    # The stored rows the inserted ones name (their foreign keys): the table and a query of the ids. New rows
    # name each other too (a claim its new incident, report and predecessor), which exist once all is in.
    _REFERENCES = (
        ("auth_user", "SELECT %s::integer"),
        (
            "sources_source",
            "SELECT src_id FROM hasila_bulk_new UNION SELECT pub_id FROM hasila_bulk_reports WHERE pub_id IS NOT NULL",
        ),
        ("incidents_place", "SELECT unnest(place_ids) FROM hasila_bulk_incidents WHERE existing_id IS NULL"),
        (
            "incidents_incident",
            "SELECT existing_id FROM hasila_bulk_incidents WHERE ikey IN (SELECT ikey FROM hasila_bulk_new)",
        ),
        (
            "sources_report",
            "SELECT existing_id FROM hasila_bulk_reports WHERE identity IN (SELECT report_identity FROM hasila_bulk_new)",
        ),
    )

    def _hold_references(self) -> None:
        """What the foreign-key checks at commit would do, once per table instead of once per row and key: lock
        the stored rows the new rows name (FOR KEY SHARE, the checks' own lock), so that no other transaction can
        delete one before this one commits, and fail if one was deleted after the file was checked. The job
        then runs again (``IntegrityError``, as for a key another import took), and the file's check reports
        the rows naming what is gone."""
        for table, ids in self._REFERENCES:
            params = [self.user.pk, self.user.pk] if "%s" in ids else None
            missing = self.sql.value(
                f"SELECT (SELECT count(DISTINCT id) FROM ({ids}) w(id)) "
                f"- (SELECT count(*) FROM (SELECT 1 FROM {table} WHERE id IN ({ids}) FOR KEY SHARE) held)",
                params,
            )
            if missing:
                raise IntegrityError(
                    f"{missing} row(s) of {table} named by the file were deleted during the import"
                )

    def _history(self) -> None:
        """The insert events pghistory's triggers would have written, one statement per table."""
        context = self.sql.value("SELECT _pgh_attach_context()")
        for model, ids in (
            (Report, "SELECT id FROM hasila_bulk_reports WHERE id IS NOT NULL"),
            (Claim, "SELECT id FROM hasila_bulk_insert"),
            (Incident, "SELECT id FROM hasila_bulk_incidents WHERE id IS NOT NULL"),
        ):
            event = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
            columns = [
                field.column
                for field in event._meta.concrete_fields
                if not field.attname.startswith("pgh_") and not isinstance(field, models.GeneratedField)
            ]
            names = ", ".join(f'"{column}"' for column in columns)
            values = ", ".join(f't."{column}"' for column in columns)
            self.sql.run(
                f"INSERT INTO {event._meta.db_table} ({names}, pgh_context_id, pgh_created_at, pgh_label, "
                f"pgh_obj_id) SELECT {values}, %s::uuid, now(), 'insert', t.id FROM {model._meta.db_table} t "
                f"WHERE {_new_id_range('t.id', ids)} AND t.id IN ({ids}) ORDER BY t.id",
                [context],
            )

    def _insert(self, outcome: BulkOutcome) -> None:
        sql = self.sql
        user, batch = self.user.pk, self.batch
        # Ids first: claims name their incident, report and predecessor before those rows exist (the foreign
        # keys are checked at commit, or not at all under key_checks_off, where all exist by then).
        sql.run(
            f"""UPDATE hasila_bulk_incidents i SET id = n.id
               FROM (SELECT ikey, {_next_id("incidents_incident")} AS id
                     FROM (SELECT ikey FROM hasila_bulk_incidents WHERE existing_id IS NULL ORDER BY first_row) o) n
               WHERE n.ikey = i.ikey"""
        )
        sql.run(
            f"""UPDATE hasila_bulk_reports r SET id = n.id
               FROM (SELECT identity, {_next_id("sources_report")} AS id
                     FROM (SELECT identity FROM hasila_bulk_reports WHERE existing_id IS NULL
                           AND identity IN (SELECT report_identity FROM hasila_bulk_new) ORDER BY first_row) o) n
               WHERE n.identity = r.identity"""
        )
        # The planner's figures for the new ids (taken before they were set, it would count one new incident and
        # join each of them to every place tree in turn).
        sql.run("ANALYZE hasila_bulk_incidents, hasila_bulk_reports")
        outcome.reports = sql.run(
            """INSERT INTO sources_report (id, publisher_id, url, title, published_on, language, text,
                   content_hash, search_key, entered_by_id, import_batch, created_at, updated_at)
               SELECT id, pub_id, url, title, d_pub, language, text, rep_hash, rep_search, %s, %s, now(), now()
               FROM hasila_bulk_reports WHERE id IS NOT NULL ORDER BY first_row""",
            [user, batch],
        )
        # Chains: a source's confirmed figures for one row, by date stated then file order; the last is current
        # and each supersedes the one before. Only a figure of a chain of two or more has a predecessor or is
        # one: the claims' INSERT looks predecessors up among those alone (a file of single figures, the usual
        # case, builds no hash of a million rows for them).
        sql.run(
            f"""CREATE TEMP TABLE hasila_bulk_insert ON COMMIT DROP AS
               SELECT n.*, {_next_id("incidents_claim")} AS id FROM (
                   SELECT n.*, CASE WHEN n.status = 'confirmed' THEN row_number() OVER w END AS place,
                          CASE WHEN n.status = 'confirmed' THEN count(*) OVER g END AS chain
                   FROM hasila_bulk_new n
                   WINDOW g AS (PARTITION BY n.ikey, n.src_id, n.outcome, n.category, n.party, n.status),
                          w AS (g ORDER BY n.stated_on, n.row)
                   ORDER BY n.row
               ) n"""
        )
        outcome.claims = sql.run(
            """INSERT INTO incidents_claim (id, incident_id, claimed_by_id, report_id, outcome, category, party,
                   low, high, qualifier, words, evidence, evidence_start, evidence_end, stated_on, status,
                   supersedes_id, is_current, external_id, note, entered_by_id, created_at, updated_at)
               SELECT n.id, coalesce(inc.existing_id, inc.id), n.src_id, coalesce(r.existing_id, r.id), n.outcome,
                      n.category, n.party, f.low, f.high, f.qualifier, coalesce(h.words, ''),
                      coalesce(h.evidence, ''), h.evidence_start_num::int, h.evidence_end_num::int, n.stated_on,
                      n.status, prev.id, coalesce(n.place = n.chain, false), h.ckey, coalesce(h.note, ''), %s,
                      now(), now()
               FROM hasila_bulk_insert n
               JOIN hasila_bulk h ON h.row = n.row
               JOIN hasila_bulk_figure f ON f.row = n.row
               JOIN hasila_bulk_incidents inc ON inc.ikey = n.ikey
               LEFT JOIN hasila_bulk_reports r ON r.identity = n.report_identity
               LEFT JOIN (SELECT * FROM hasila_bulk_insert WHERE chain > 1) prev
                    ON prev.place = n.place - 1 AND prev.ikey = n.ikey
                    AND prev.src_id = n.src_id AND prev.outcome = n.outcome AND prev.category = n.category
                    AND prev.party = n.party AND prev.status = 'confirmed' AND n.status = 'confirmed'
               ORDER BY n.row""",
            [user],
        )
        # The summaries of the incidents now holding new claims, from their current claims: the services' rules
        # (_REFRESH_SUMMARIES_SQL), with joins instead of sub-queries per incident, and the headline and the
        # conflict taken in one pass over the ranked rows. The claims are read where they are (``current``): a
        # new incident's are all this import's (no other transaction sees the incident), found by the primary
        # key between the first and last new id (``_new_id_range``); a stored incident's by its own index (a
        # lateral join, kept apart by OFFSET 0: a look-up per stored incident, where the planner cannot know how
        # few they are). Joined to the touched incidents instead, PostgreSQL sorted the whole claims table twice
        # whatever its size (a file of 250,000 rows on a database of 1,000,000 claims: 5.6 s against 3.4 s).
        # ``current`` is read by two aggregates, so PostgreSQL keeps it once (a file of 1,000,000 rows on an
        # empty database: 10-15 s, as with the two scans before).
        sql.run(
            f"""CREATE TEMP TABLE hasila_bulk_summaries ON COMMIT DROP AS
               WITH touched AS MATERIALIZED (
                   SELECT DISTINCT coalesce(inc.existing_id, inc.id) AS id, inc.existing_id IS NULL AS new
                   FROM hasila_bulk_insert n JOIN hasila_bulk_incidents inc ON inc.ikey = n.ikey
               ), current AS (
                   SELECT c.incident_id, c.claimed_by_id, c.outcome, c.category, c.party, c.low, c.high,
                          c.cmp_low, c.cmp_high
                   FROM incidents_claim c
                   WHERE {_new_id_range("c.id", "SELECT id FROM hasila_bulk_insert")}
                     AND c.is_current AND c.incident_id IN (SELECT id FROM touched WHERE new)
                   UNION ALL
                   SELECT c.incident_id, c.claimed_by_id, c.outcome, c.category, c.party, c.low, c.high,
                          c.cmp_low, c.cmp_high
                   FROM touched t CROSS JOIN LATERAL (
                       SELECT * FROM incidents_claim c WHERE c.incident_id = t.id AND c.is_current OFFSET 0
                   ) c
                   WHERE NOT t.new
               ), grouped AS (
                   SELECT c.incident_id, c.outcome, c.category, c.party, count(*) AS sources,
                          min(coalesce(c.low, c.high)) AS lo, max(coalesce(c.high, c.low)) AS hi,
                          bool_or(c.high IS NULL AND c.low IS NOT NULL) AS open_high,
                          count(c.cmp_low) >= 2 AND max(c.cmp_low) > min(coalesce(c.cmp_high, 2147483647))
                              AS conflict
                   FROM current c
                   GROUP BY c.incident_id, c.outcome, c.category, c.party
               ), ranked AS (
                   SELECT grouped.*, row_number() OVER (
                       PARTITION BY incident_id, outcome
                       ORDER BY sources DESC, array_position(%s::text[], category), party
                   ) AS rank
                   FROM grouped
               ), heads AS (
                   SELECT incident_id, bool_or(conflict) AS has_conflict,
                          jsonb_object_agg(outcome, jsonb_build_object(
                              'category', category, 'party', party, 'low', lo, 'high', hi,
                              'open', open_high, 'conflict', conflict, 'sources', sources)
                          ) FILTER (WHERE rank = 1) AS summary
                   FROM ranked GROUP BY incident_id
               ), counts AS (
                   SELECT c.incident_id, count(DISTINCT c.claimed_by_id) AS source_count
                   FROM current c
                   GROUP BY c.incident_id
               )
               SELECT t.id, t.new, coalesce(h.summary, '{{}}'::jsonb) AS summary,
                      coalesce(h.has_conflict, false) AS has_conflict, coalesce(n.source_count, 0) AS source_count
               FROM touched t LEFT JOIN heads h ON h.incident_id = t.id LEFT JOIN counts n ON n.incident_id = t.id""",
            [list(HEADLINE_CATEGORY_ORDER)],
        )
        self._incident_search_keys()
        # place_tree (the places and their upper places, which the link triggers keep outside this path): once
        # per distinct set of places in the file, by the triggers' own function (migration incidents 0011).
        sql.run(
            """CREATE TEMP TABLE hasila_bulk_place_trees ON COMMIT DROP AS
               SELECT d.ids, incidents_place_tree(d.ids) AS tree
               FROM (SELECT DISTINCT place_ids AS ids FROM hasila_bulk_incidents
                     WHERE id IS NOT NULL AND place_ids IS NOT NULL) d"""
        )
        outcome.incidents = sql.run(
            """INSERT INTO incidents_incident (id, title, date_start, date_end, date_precision, type, perpetrator,
                   description, external_id, created_by_id, created_at, updated_at, summary, has_conflict,
                   source_count, search_key, place_tree)
               SELECT i.id, i.title, i.date_start, i.date_end, coalesce(i.date_precision, 'day'),
                      coalesce(i.type, 'other'), coalesce(i.perpetrator, ''), coalesce(i.description, ''), i.ikey,
                      %s, now(), now(), coalesce(s.summary, '{}'::jsonb), coalesce(s.has_conflict, false),
                      coalesce(s.source_count, 0), coalesce(k.search_key, ''), coalesce(t.tree, '{}')
               FROM hasila_bulk_incidents i
               LEFT JOIN hasila_bulk_summaries s ON s.id = i.id
               LEFT JOIN hasila_bulk_search_keys k ON k.ikey = i.ikey
               LEFT JOIN hasila_bulk_place_trees t ON t.ids = i.place_ids
               WHERE i.id IS NOT NULL ORDER BY i.first_row""",
            [user],
        )
        sql.run(
            """INSERT INTO incidents_incident_places (incident_id, place_id)
               SELECT i.id, unnest(i.place_ids) FROM hasila_bulk_incidents i
               WHERE i.id IS NOT NULL AND i.place_ids IS NOT NULL"""
        )

    def _stored_summaries(self) -> None:
        """The summaries of stored incidents that received new claims."""
        self.sql.run(
            """UPDATE incidents_incident i
               SET summary = s.summary, has_conflict = s.has_conflict, source_count = s.source_count
               FROM hasila_bulk_summaries s
               WHERE s.id = i.id AND NOT s.new AND (i.summary, i.has_conflict, i.source_count)
                     IS DISTINCT FROM (s.summary, s.has_conflict, s.source_count)"""
        )

    def _incident_search_keys(self) -> None:
        # A new incident's title, description and perpetrator are the first non-empty ones of its rows: the
        # file has no problem, so every non-empty one is the same (the rule "conflict").
        texts = self.sql.rows(
            "SELECT ikey, title, description, perpetrator FROM hasila_bulk_incidents WHERE id IS NOT NULL"
        )
        self._staged(
            "hasila_bulk_search_keys (ikey text, search_key text)",
            (
                (key, search_document(" ".join(part for part in parts if part is not None)))
                for key, *parts in texts
            ),
        )


def bulk_import(data: bytes, *, filename: str, user: User, progress: Progress | None = None) -> BulkOutcome:
    """Import a Hasila claims CSV on the bulk path, in the caller's transaction (a savepoint of its own).

    Raises ``BulkUnsupported`` when the file needs the row importer; nothing is left behind then."""
    batch = "hasila:" + hashlib.sha256(data).hexdigest()[:16]
    with transaction.atomic():
        return BulkImport(data, filename=filename, user=user, batch=batch, progress=progress).run()
