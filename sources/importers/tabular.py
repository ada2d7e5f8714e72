"""Reading an uploaded table (CSV, JSON or XLSX) into numbered rows of text cells, and checking its header.

CSV is read with django-import-export's tablib format. XLSX is read with openpyxl directly: import-export's
reader needs every row as long as the header row, which sheets written by streaming writers (openpyxl's
write-only mode, Hasila's own exports) are not, since they omit trailing empty cells. JSON is read with the
json module: tablib aligns the values of each object by position rather than by key, so a hand-written file
whose objects list their keys in another order would be silently misread.

Every cell comes back as text ("" for an empty cell): numbers written by a spreadsheet as 15.0 become "15",
dates become YYYY-MM-DD. A cell that an export neutralised against formula injection ("'=1+2") gets its
apostrophe back off, so an exported CSV or XLSX imports to the same values.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import tablib
from import_export.formats.base_formats import CSV
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sources.importers.base import RowError
from sources.importers.decoding import UndecodableFile, decode_upload, max_upload_bytes

FORMATS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}
# The characters an export neutralises (see sources.exporting) when they start a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_XLSX_MAGIC = b"PK\x03\x04"


class TableError(ValueError):
    """The file cannot be read as a table; the message says why and what to do."""

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row

    def as_row_error(self) -> RowError:
        return RowError(self.row, None, str(self))


@dataclass(frozen=True)
class Table:
    """Column names (lower case, spaces as underscores) and the data rows, numbered from 1 after the header."""

    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


def column_name(header: object) -> str:
    """ "Incident Key", " incident-key " and "incident_key" all name the column ``incident_key``."""
    text = "" if header is None else str(header)
    return "_".join(text.strip().lower().replace("-", " ").split())


def table_format(filename: str) -> str:
    """The table format of a file name: csv, json or xlsx."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in FORMATS:
        raise TableError(
            f"{filename} is not a CSV, JSON or XLSX file. Save the spreadsheet as CSV (UTF-8) or XLSX."
        )
    return FORMATS[suffix]


def read_table(data: bytes, *, filename: str) -> Table:
    """The rows of a CSV, JSON or XLSX upload; raises ``TableError`` for anything that is not such a table."""
    fmt = table_format(filename)
    if not data:
        raise TableError(f"{filename} is empty.")
    if len(data) > max_upload_bytes():
        raise TableError(
            f"{filename} is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{max_upload_bytes() / 1_048_576:.0f} MB. Split the file and import the parts."
        )
    if fmt == "xlsx":
        headers, values = _read_xlsx(data, filename)
        unneutralise = True
    else:
        try:
            text = decode_upload(data, filename=filename)
        except UndecodableFile as exc:
            raise TableError(str(exc)) from exc
        if fmt == "csv":
            headers, values = _read_csv(text, filename)
            unneutralise = True
        else:
            headers, values = _read_json(text, filename)
            unneutralise = False
    return _table(headers, values, filename=filename, unneutralise=unneutralise)


def check_columns(columns: Iterable[str], *, required: Iterable[str], known: Iterable[str]) -> list[RowError]:
    """Errors for missing required columns, columns the format does not know, and repeated columns."""
    columns = list(columns)
    errors: list[RowError] = []
    missing = [name for name in required if name not in columns]
    if missing:
        errors.append(RowError(None, ", ".join(missing), "required column missing from the header row"))
    known_set = set(known)
    unknown = [name for name in dict.fromkeys(columns) if name not in known_set]
    if unknown:
        errors.append(
            RowError(
                None, ", ".join(unknown), "unknown column; correct its name or remove it (see the format)"
            )
        )
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        errors.append(RowError(None, ", ".join(repeated), "column appears more than once in the header row"))
    return errors


def _read_csv(text: str, filename: str) -> tuple[list[Any], list[list[Any]]]:
    # Reports can be long: a cell may be as large as the whole upload.
    csv.field_size_limit(max(csv.field_size_limit(), max_upload_bytes()))
    delimiter = _delimiter(text)
    try:
        dataset = CSV().create_dataset(text, delimiter=delimiter)
    except tablib.InvalidDimensions as exc:
        raise TableError(
            f"{filename}: this row has more cells than the header row has columns; a text cell that "
            "contains the separator must be quoted.",
            row=_first_long_row(text, delimiter),
        ) from exc
    except csv.Error as exc:
        raise TableError(f"{filename} is not valid CSV: {exc}.") from exc
    return list(dataset.headers or []), [list(row) for row in dataset]


def _delimiter(text: str) -> str:
    """Comma unless the header line is clearly separated by semicolons or tabs (spreadsheets in some
    locales save CSV with semicolons)."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _first_long_row(text: str, delimiter: str) -> int | None:
    # Numbered as tablib numbers data rows: blank lines are skipped.
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    width = len(next(reader, []))
    number = 0
    for row in reader:
        if row:
            number += 1
            if len(row) > width:
                return number
    return None


def _read_json(text: str, filename: str) -> tuple[list[Any], list[list[Any]]]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TableError(
            f"{filename} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from exc
    if not isinstance(items, list):
        raise TableError(f"{filename} must hold a JSON list of objects, one per row.")
    headers: dict[str, None] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise TableError("this item is not a JSON object of column names and values.", row=number)
        for key, value in item.items():
            if isinstance(value, dict | list):
                raise TableError(f"the value of {key!r} must be text, a number or null.", row=number)
            headers.setdefault(key)
    names = list(headers)
    return names, [[item.get(name) for name in names] for item in items]


def _read_xlsx(data: bytes, filename: str) -> tuple[list[Any], list[list[Any]]]:
    if not data.startswith(_XLSX_MAGIC):
        raise TableError(f"{filename} is not an Excel workbook (.xlsx); save it as XLSX or CSV and retry.")
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter for the values.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                rows = workbook.worksheets[0].iter_rows(values_only=True)
                headers = list(next(rows, ()))
                values = [list(row) for row in rows]
            finally:
                workbook.close()
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        IndexError,
        OSError,
        ValueError,
        TypeError,
    ) as exc:
        raise TableError(
            f"{filename} could not be read as an Excel workbook; save it again as XLSX or CSV."
        ) from exc
    if not headers:
        raise TableError(f"{filename}: the first sheet is empty.")
    return headers, values


def _table(headers: list[Any], values: list[list[Any]], *, filename: str, unneutralise: bool) -> Table:
    columns = [column_name(header) for header in headers]
    # Spreadsheets often carry empty columns past the data; a nameless column with values is an error.
    keep = [i for i, name in enumerate(columns) if name]
    for i, name in enumerate(columns):
        if not name and any(_cell(row[i], unneutralise) for row in values if i < len(row)):
            raise TableError(f"{filename}: column {i + 1} has values but no name in the header row.")
    if not keep:
        raise TableError(f"{filename} has no header row naming its columns.")
    rows: list[tuple[int, dict[str, str]]] = []
    for number, row in enumerate(values, start=1):
        if any(_cell(value, unneutralise) for value in row[len(columns) :]):
            raise TableError(
                f"{filename}: this row has more cells than the header row has columns.", row=number
            )
        cells = {columns[i]: _cell(row[i], unneutralise) if i < len(row) else "" for i in keep}
        if any(value.strip() for value in cells.values()):
            rows.append((number, cells))
    if not rows:
        raise TableError(f"{filename} has a header row but no data rows.")
    return Table(columns=[columns[i] for i in keep], rows=rows)


def _cell(value: object, unneutralise: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if unneutralise and len(text) > 1 and text[0] == "'" and text[1] in "".join(FORMULA_STARTS):
        return text[1:]
    return text
