"""Gazetteer files -> plain place records, and how several records for one P-code combine. No ORM.

Two formats are read:

- OCHA COD-AB attribute tables (CSV, or the ``properties`` of a GeoJSON FeatureCollection): one row per
  administrative unit or populated place, with ``ADMn_EN`` / ``ADMn_AR`` / ``ADMn_PCODE`` columns for the
  unit and each of its ancestors (n = 0 country ... 4 community), alternative names in ``ADMn_REF``,
  ``ADMnALTmEN``, ``ADMnALTmAR`` (and other ``ADMn_xx`` language columns), and for populated places
  ``PP_PCODE`` / ``PP_NAME_EN`` / ``PP_REF_NAM`` / ``PP_ALTm_EN`` plus coordinates (``_CX``/``_CY``,
  ``LON``/``LAT`` ...). A row's deepest unit is the row's own place; its ancestors are *implied* by it.
- Open-Syria ``data-geography`` JSON (governorates, districts, subdistricts, localities): a list of objects
  with ``name.en``/``name.ar``, ``aliases[].value``, ``centroid`` and ``externalIds.ochaPcode``; the parent is
  named by ``governorateId``/``districtId``/``subdistrictId``. These files describe Syria, so governorates are
  placed under the country "SY".

Records are keyed by P-code. ``merge_records`` folds them, in the order read, onto the places already stored:
a row's own place sets the names, parent, level and coordinates it gives (a replaced name is kept as an alias,
so text that uses it still matches); an implied ancestor only fills what is missing (so loading a table of
communities never renames a governorate). Aliases only accumulate, deduplicated ignoring case and spacing.
``plan_changes`` then says what to create and update, and checks every parent is known.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from incidents.models import PlaceLevel
from sources.importers.decoding import UndecodableFile, decode_upload

EXTENSIONS = (".csv", ".json", ".geojson")
MAX_NAME = 200  # Place.name_en / name_ar / each alias
MAX_PCODE = 20
MAX_ERRORS = 20  # more than this many bad rows: the file is wrong, not the rows
COORDINATE_STEP = Decimal("0.000001")

# Open-Syria files describe Syria; their governorates hang from this country.
OPEN_SYRIA_COUNTRY_PCODE = "SY"
OPEN_SYRIA_COUNTRY_NAMES = ("Syria", "سوريا", ("Syrian Arab Republic", "الجمهورية العربية السورية"))

LATITUDE_COLUMNS = ("LATITUDE", "LAT", "_CY", "POINT_Y", "CENTER_LAT", "Y")
LONGITUDE_COLUMNS = ("LONGITUDE", "LON", "LONG", "_CX", "POINT_X", "CENTER_LON", "X")
_ADM_PCODE = re.compile(r"ADM([0-4])_PCODE")
# Alternative names: ADM3_REF, ADM3ALT1EN, ADM3_ALT1_AR, another language's name (ADM1_FR), and the same for
# populated places (PP_REF_NAM, PP_ALT1_EN, PP_NAME_FR).
_ADM_ALIAS = r"ADM{n}(?:_REF(?:_NAM)?|_?ALT\d+_?[A-Z]{{2}}|_(?!EN$|AR$)[A-Z]{{2}})"
_PP_ALIAS = re.compile(r"PP_(?:REF(?:_NAM)?|ALT\d+_?[A-Z]{2}|NAME_(?!EN$|AR$)[A-Z]{2})")


class GazetteerError(ValueError):
    """A file cannot be loaded; ``messages`` name the file, and the row and column or key, of each problem."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        shown = self.messages[:MAX_ERRORS]
        more = len(self.messages) - len(shown)
        super().__init__("\n".join([*shown, *([f"... and {more} more"] if more > 0 else [])]))


class NotGazetteerData(ValueError):
    """The file is readable but holds no places (e.g. a source list): skipped in a folder, refused by name."""


@dataclass(frozen=True)
class PlaceRecord:
    """One place as a file (or the database) describes it. ``origin`` says where, for error messages;
    ``implied`` marks an ancestor read from a row's parent columns, which adds to a place but never
    overrides it."""

    pcode: str
    level: int
    name_en: str
    name_ar: str = ""
    aliases: tuple[str, ...] = ()
    parent_pcode: str | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    origin: str = ""
    implied: bool = False


@dataclass
class GazetteerBatch:
    """The records read from some files, in order, and the files read or skipped."""

    records: list[PlaceRecord] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)


@dataclass(frozen=True)
class PlaceChange:
    """An existing place whose stored fields differ from the files: ``fields`` names them."""

    before: PlaceRecord
    after: PlaceRecord
    fields: tuple[str, ...]


@dataclass
class GazetteerPlan:
    """What loading the records does: places to create (parents first), places to update, the rest."""

    create: list[PlaceRecord] = field(default_factory=list)
    update: list[PlaceChange] = field(default_factory=list)
    unchanged: int = 0


# Reading files --------------------------------------------------------------------------------------------


def read_gazetteer(paths: Iterable[Path | str]) -> GazetteerBatch:
    """Read files and folders (recursively, in name order) into records. A file named explicitly must be
    gazetteer data; files in a folder that are not (a licence, a source list) are skipped and listed."""
    batch = GazetteerBatch()
    errors: list[str] = []
    entries: list[PlaceRecord | _OpenSyriaItem] = []
    for path, explicit in _files(paths, errors):
        name = str(path)
        try:
            records, items = parse_file(path.read_bytes(), filename=name)
        except NotGazetteerData as exc:
            if explicit:
                errors.append(str(exc))
            else:
                batch.skipped.append((name, str(exc)))
            continue
        except GazetteerError as exc:
            errors.extend(exc.messages)
            continue
        except UndecodableFile as exc:
            errors.append(str(exc))  # it names the file
            continue
        except OSError as exc:
            errors.append(f"{name}: {exc.strerror or exc}")
            continue
        batch.files.append(name)
        entries.extend(records)
        entries.extend(items)
    try:
        batch.records = _resolve_open_syria(entries)
    except GazetteerError as exc:
        errors.extend(exc.messages)
    if errors:
        raise GazetteerError(errors)
    return batch


def _files(paths: Iterable[Path | str], errors: list[str]) -> Iterator[tuple[Path, bool]]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in EXTENSIONS:
                    yield child, False
        elif not path.exists():
            errors.append(f"{path}: no such file or folder.")
        elif path.suffix.lower() not in EXTENSIONS:
            errors.append(f"{path}: not a gazetteer file (expected {', '.join(EXTENSIONS)}).")
        else:
            yield path, True


def parse_file(data: bytes, *, filename: str) -> tuple[list[PlaceRecord], list[_OpenSyriaItem]]:
    """Records of a COD-AB CSV / GeoJSON, or Open-Syria items whose parents are resolved once every file
    has been read. The format is told by the extension, then by the columns or keys."""
    text = decode_upload(data, filename=filename)
    if filename.lower().endswith(".csv"):
        return parse_cod_csv(text, filename=filename), []
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GazetteerError([f"{filename}: not valid JSON (line {exc.lineno}: {exc.msg})."]) from exc
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        return _parse_geojson(document, filename=filename), []
    if _is_open_syria(document):
        return [], _parse_open_syria(document, filename=filename)
    raise NotGazetteerData(
        f"{filename}: not gazetteer data (neither a list of Open-Syria places with name and externalIds, "
        "nor a GeoJSON FeatureCollection)."
    )


# OCHA COD-AB ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """The columns of one level of a COD-AB table. Without a name column, an ancestor level only names the
    parent by P-code: that place must already be stored or be in another file loaded."""

    level: int
    pcode: str
    name_en: str | None
    name_ar: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class _CodLayout:
    units: tuple[_Unit, ...]  # top-down, the row's own place last
    latitude: str | None
    longitude: str | None


def parse_cod_csv(text: str, *, filename: str) -> list[PlaceRecord]:
    """Records of an OCHA COD-AB attribute table in CSV (comma, semicolon or tab separated)."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise NotGazetteerData(f"{filename}: the file is empty.")
    layout = _cod_layout(header, filename=filename)
    rows = (
        (f"{filename}, line {reader.line_num}", dict(zip(header, values, strict=False)))
        for values in reader
        if any(value.strip() for value in values)
    )
    return _cod_records(rows, layout)


def _parse_geojson(document: dict[str, Any], *, filename: str) -> list[PlaceRecord]:
    """The features' properties as COD-AB rows; a Point geometry gives the coordinates."""
    rows: list[tuple[str, dict[str, str]]] = []
    for n, feature in enumerate(document.get("features") or [], 1):
        if not isinstance(feature, dict):
            continue
        properties = {
            str(key): "" if value is None else str(value)
            for key, value in (feature.get("properties") or {}).items()
        }
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Point":
            longitude, latitude = geometry["coordinates"][:2]
            properties.setdefault("_CX", str(longitude))
            properties.setdefault("_CY", str(latitude))
        rows.append((f"{filename}, feature {n}", properties))
    header = list(dict.fromkeys(key for _, properties in rows for key in properties))
    return _cod_records(iter(rows), _cod_layout(header, filename=filename))


def _cod_layout(header: Sequence[str], *, filename: str) -> _CodLayout:
    columns = {name.strip().upper(): name for name in header}
    levels = sorted(int(m.group(1)) for name in columns if (m := _ADM_PCODE.fullmatch(name)))
    if not levels and "PP_PCODE" not in columns:
        raise NotGazetteerData(f"{filename}: not gazetteer data (no ADMn_PCODE or PP_PCODE column).")
    units = []
    for n in levels:
        pattern = re.compile(_ADM_ALIAS.format(n=n))
        units.append(
            _Unit(
                level=n,
                pcode=columns[f"ADM{n}_PCODE"],
                name_en=columns.get(f"ADM{n}_EN"),
                name_ar=columns.get(f"ADM{n}_AR"),
                aliases=tuple(columns[c] for c in columns if pattern.fullmatch(c)),
            )
        )
    if "PP_PCODE" in columns:
        units.append(
            _Unit(
                level=PlaceLevel.COMMUNITY,
                pcode=columns["PP_PCODE"],
                name_en=columns.get("PP_NAME_EN"),
                name_ar=columns.get("PP_NAME_AR"),
                aliases=tuple(columns[c] for c in columns if _PP_ALIAS.fullmatch(c)),
            )
        )
    missing = []
    own = units[-1]
    if own.name_en is None:
        # The row's own place needs its English name; an ancestor may be named by P-code alone.
        missing.append(
            "PP_NAME_EN"
            if own.level == PlaceLevel.COMMUNITY and "PP_PCODE" in columns
            else f"ADM{own.level}_EN"
        )
    latitude = next((columns[c] for c in LATITUDE_COLUMNS if c in columns), None)
    longitude = next((columns[c] for c in LONGITUDE_COLUMNS if c in columns), None)
    if (latitude is None) != (longitude is None):
        missing.append(
            "a longitude column (LON, _CX ...)" if longitude is None else "a latitude column (LAT, _CY ...)"
        )
    if missing:
        raise GazetteerError([f"{filename}: column {name} is missing." for name in missing])
    return _CodLayout(tuple(units), latitude, longitude)


def _cod_records(rows: Iterator[tuple[str, dict[str, str]]], layout: _CodLayout) -> list[PlaceRecord]:
    records: list[PlaceRecord] = []
    errors: list[str] = []
    for origin, row in rows:
        try:
            records.extend(_cod_row(origin, row, layout))
        except GazetteerError as exc:
            errors.extend(exc.messages)
            if len(errors) > MAX_ERRORS:
                break
    if errors:
        raise GazetteerError(errors)
    return records


def _cod_row(origin: str, row: dict[str, str], layout: _CodLayout) -> list[PlaceRecord]:
    """The row's own place and the ancestors it names, top-down."""
    errors: list[str] = []

    def value(column: str | None) -> str:
        return _clean(row.get(column) or "") if column else ""

    own = layout.units[-1]
    if not value(own.pcode):
        raise GazetteerError([f"{origin}: {own.pcode} is empty."])
    if not value(own.name_en):
        raise GazetteerError([f"{origin}: {own.name_en} is empty (P-code {value(own.pcode)})."])
    chain: list[tuple[int, str]] = []  # (level, P-code) of the units read so far, named or not
    found: list[PlaceRecord] = []
    for unit in layout.units:
        pcode, name_en, name_ar = value(unit.pcode), value(unit.name_en), value(unit.name_ar)
        if not pcode:
            continue  # an ancestor level left blank: the row hangs from the next level up
        aliases = [value(column) for column in unit.aliases]
        if chain and chain[-1][1] == pcode:
            # A populated place with its community's P-code (Syria's ADM4): one place, the ADM4 name first.
            chain.pop()
            if found and found[-1].pcode == pcode:
                previous = found.pop()
                aliases = [name_en, name_ar, *previous.aliases, *aliases]
                name_en, name_ar = previous.name_en, previous.name_ar or name_ar
        parent = next((code for level, code in reversed(chain) if level < unit.level), None)
        chain.append((unit.level, pcode))
        if name_en:
            found.append(
                _record(
                    errors,
                    origin=origin,
                    pcode=pcode,
                    level=unit.level,
                    name_en=name_en,
                    name_ar=name_ar,
                    aliases=aliases,
                    parent_pcode=parent,
                    implied=True,
                )
            )
    latitude = longitude = None
    if layout.latitude and layout.longitude:
        latitude = _decimal(errors, origin, layout.latitude, value(layout.latitude), 90)
        longitude = _decimal(errors, origin, layout.longitude, value(layout.longitude), 180)
        if (latitude is None) != (longitude is None):
            errors.append(f"{origin}: only one of {layout.latitude} and {layout.longitude} is given.")
    if errors:
        raise GazetteerError(errors)
    found[-1] = replace(found[-1], latitude=latitude, longitude=longitude, implied=False)
    return found


# Open-Syria -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OpenSyriaItem:
    """An Open-Syria place before its parent's id is turned into a P-code."""

    id: str
    parent_id: str | None
    record: PlaceRecord


def _is_open_syria(document: Any) -> bool:
    return (
        isinstance(document, list)
        and bool(document)
        and all(isinstance(item, dict) for item in document)
        and isinstance(document[0].get("name"), dict)
        and "externalIds" in document[0]
    )


def _parse_open_syria(items: list[dict[str, Any]], *, filename: str) -> list[_OpenSyriaItem]:
    parsed: list[_OpenSyriaItem] = []
    errors: list[str] = []
    for n, item in enumerate(items, 1):
        item_id = str(item.get("id") or "")
        origin = f"{filename}, record {n}" + (f" ({item_id})" if item_id else "")
        name: dict[str, Any] = item["name"] if isinstance(item.get("name"), dict) else {}
        pcode = _clean(str((item.get("externalIds") or {}).get("ochaPcode") or ""))
        if not pcode:
            errors.append(f"{origin}: key externalIds.ochaPcode is missing.")
            continue
        if not _clean(str(name.get("en") or "")):
            errors.append(f"{origin}: key name.en is missing.")
            continue
        parent_keys: tuple[str, ...]
        if "kind" in item or "subdistrictId" in item:
            level, parent_keys = PlaceLevel.COMMUNITY, ("subdistrictId", "districtId", "governorateId")
        elif "districtId" in item:
            level, parent_keys = PlaceLevel.SUBDISTRICT, ("districtId",)
        elif "governorateId" in item:
            level, parent_keys = PlaceLevel.DISTRICT, ("governorateId",)
        else:
            level, parent_keys = PlaceLevel.GOVERNORATE, ()
        parent_id = next((str(item[key]) for key in parent_keys if item.get(key)), None)
        centroid: dict[str, Any] = item.get("centroid") or {}
        aliases = [
            _clean(str(alias.get("value") or "") if isinstance(alias, dict) else str(alias))
            for alias in item.get("aliases") or []
        ]
        record = _record(
            errors,
            origin=origin,
            pcode=pcode,
            level=level,
            name_en=_clean(str(name["en"])),
            name_ar=_clean(str(name.get("ar") or "")),
            aliases=aliases,
            parent_pcode=OPEN_SYRIA_COUNTRY_PCODE if level == PlaceLevel.GOVERNORATE else None,
            latitude=_decimal(errors, origin, "centroid.latitude", centroid.get("latitude"), 90),
            longitude=_decimal(errors, origin, "centroid.longitude", centroid.get("longitude"), 180),
        )
        parsed.append(_OpenSyriaItem(item_id, parent_id, record))
        if len(errors) > MAX_ERRORS:
            break
    if errors:
        raise GazetteerError(errors)
    return parsed


def _resolve_open_syria(entries: Sequence[PlaceRecord | _OpenSyriaItem]) -> list[PlaceRecord]:
    """The records in the order read, Open-Syria parents found by id among all the files read. An
    administrative unit whose parent's file was not loaded takes its parent from its P-code (OCHA's P-codes
    nest: SY0902 is in SY09); governorates hang from Syria, added (implied) before the first of them."""
    pcodes = {entry.id: entry.record.pcode for entry in entries if isinstance(entry, _OpenSyriaItem)}
    records: list[PlaceRecord] = []
    errors: list[str] = []
    country_added = False
    for entry in entries:
        if isinstance(entry, PlaceRecord):
            records.append(entry)
            continue
        record = entry.record
        if record.level == PlaceLevel.GOVERNORATE:
            if not country_added:
                records.append(_open_syria_country())
                country_added = True
            records.append(record)
            continue
        parent = pcodes.get(entry.parent_id or "")
        if parent is None and record.level in (PlaceLevel.DISTRICT, PlaceLevel.SUBDISTRICT):
            parent = record.pcode[:-2]
        if parent is None:
            errors.append(
                f"{record.origin}: parent {entry.parent_id or '(none)'} is not in the files loaded; "
                "load its subdistricts/districts file with it."
            )
            continue
        records.append(replace(record, parent_pcode=parent))
    if errors:
        raise GazetteerError(errors)
    return records


def _open_syria_country() -> PlaceRecord:
    name_en, name_ar, aliases = OPEN_SYRIA_COUNTRY_NAMES
    return PlaceRecord(
        pcode=OPEN_SYRIA_COUNTRY_PCODE,
        level=PlaceLevel.COUNTRY,
        name_en=name_en,
        name_ar=name_ar,
        aliases=aliases,
        origin="Open-Syria (the country of its governorates)",
        implied=True,
    )


# Shared helpers -------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Surrounding whitespace (including no-break spaces and stray newlines) removed; nothing else."""
    return text.strip()


def alias_key(text: str) -> str:
    """Two aliases are the same when they differ only in case or spacing."""
    return " ".join(text.split()).casefold()


def damaged(name: str) -> bool:
    """A name that lost letters in a past encoding conversion ("Bir Abu Sha?af"): "?" or U+FFFD in it."""
    return "?" in name or "\ufffd" in name


def _better(new: str, old: str) -> str:
    """The new spelling, unless it is damaged and the old one is not."""
    return old if new and old and damaged(new) and not damaged(old) else new


def combine_aliases(*groups: Iterable[str], names: Iterable[str] = ()) -> tuple[str, ...]:
    """The aliases in order of first appearance, without duplicates, blanks, damaged spellings or the names
    themselves."""
    seen = {alias_key(name) for name in names if name}
    combined: list[str] = []
    for group in groups:
        for alias in group:
            key = alias_key(alias)
            if key and key not in seen and not damaged(alias):
                seen.add(key)
                combined.append(alias)
    return tuple(combined)


def _record(
    errors: list[str],
    *,
    origin: str,
    pcode: str,
    level: int,
    name_en: str,
    name_ar: str,
    aliases: Iterable[str],
    parent_pcode: str | None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    implied: bool = False,
) -> PlaceRecord:
    record = PlaceRecord(
        pcode=pcode,
        level=level,
        name_en=name_en,
        name_ar=name_ar,
        aliases=combine_aliases(aliases, names=(name_en, name_ar)),
        parent_pcode=parent_pcode,
        latitude=latitude,
        longitude=longitude,
        origin=origin,
        implied=implied,
    )
    if len(pcode) > MAX_PCODE:
        errors.append(f"{origin}: P-code {pcode!r} is longer than {MAX_PCODE} characters.")
    errors.extend(
        f"{origin}: name {text[:40]!r}... is longer than {MAX_NAME} characters."
        for text in (name_en, name_ar, *record.aliases)
        if len(text) > MAX_NAME
    )
    if (latitude is None) != (longitude is None):
        errors.append(f"{origin}: only one of latitude and longitude is given.")
    return record


def _decimal(errors: list[str], origin: str, column: str, raw: object, limit: int) -> Decimal | None:
    """A coordinate rounded to the six decimals stored; blank is unknown."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        errors.append(f"{origin}: {column} {raw!r} is not a number.")
        return None
    if not number.is_finite() or abs(number) > limit:
        errors.append(f"{origin}: {column} {raw!r} is not a coordinate (between -{limit} and {limit}).")
        return None
    return number.quantize(COORDINATE_STEP)


# Combining records ----------------------------------------------------------------------------------------


def merge(base: PlaceRecord | None, record: PlaceRecord) -> PlaceRecord:
    """``base`` (stored or read earlier) updated by ``record``. A row's own place sets what it gives and keeps
    replaced names as aliases; an implied ancestor only fills blanks and adds its names as aliases."""
    if base is None:
        return replace(
            record, aliases=combine_aliases(record.aliases, names=(record.name_en, record.name_ar))
        )
    if record.implied:
        name_en, name_ar = base.name_en, base.name_ar or record.name_ar
        has_coordinates = base.latitude is not None
        return replace(
            base,
            name_ar=name_ar,
            aliases=combine_aliases(
                base.aliases, (record.name_en, record.name_ar), record.aliases, names=(name_en, name_ar)
            ),
            parent_pcode=base.parent_pcode or record.parent_pcode,
            latitude=base.latitude if has_coordinates else record.latitude,
            longitude=base.longitude if has_coordinates else record.longitude,
            origin=base.origin if base.parent_pcode else record.origin,
        )
    name_en, name_ar = (
        _better(record.name_en, base.name_en),
        _better(record.name_ar, base.name_ar) or base.name_ar,
    )
    has_coordinates = record.latitude is not None
    return replace(
        record,
        name_en=name_en,
        name_ar=name_ar,
        aliases=combine_aliases(
            base.aliases, (base.name_en, base.name_ar), record.aliases, names=(name_en, name_ar)
        ),
        parent_pcode=record.parent_pcode if record.parent_pcode is not None else base.parent_pcode,
        latitude=record.latitude if has_coordinates else base.latitude,
        longitude=record.longitude if has_coordinates else base.longitude,
    )


def merge_records(
    records: Iterable[PlaceRecord], existing: Mapping[str, PlaceRecord]
) -> dict[str, PlaceRecord]:
    """Every P-code's final state: its stored record (if any) updated by each record, in order."""
    merged: dict[str, PlaceRecord] = {}
    for record in records:
        merged[record.pcode] = merge(merged.get(record.pcode) or existing.get(record.pcode), record)
    return merged


def changed_fields(before: PlaceRecord, after: PlaceRecord) -> tuple[str, ...]:
    """The stored fields that differ; aliases compare as sets of spellings (their order means nothing)."""
    names = [
        name
        for name in ("name_en", "name_ar", "level", "parent_pcode", "latitude", "longitude")
        if getattr(before, name) != getattr(after, name)
    ]
    if {alias_key(a) for a in before.aliases} != {alias_key(a) for a in after.aliases}:
        names.append("aliases")
    return tuple(names)


def plan_changes(records: Iterable[PlaceRecord], existing: Mapping[str, PlaceRecord]) -> GazetteerPlan:
    """What to create (parents first) and update so that the stored places match the records. ``existing``
    holds the stored places with these P-codes and their parents' P-codes. Raises ``GazetteerError`` naming
    each row whose parent is unknown or not above it."""
    merged = merge_records(records, existing)
    errors: list[str] = []
    for record in merged.values():
        if record.parent_pcode is None:
            continue
        parent = merged.get(record.parent_pcode) or existing.get(record.parent_pcode)
        if parent is None:
            errors.append(
                f"{record.origin}: parent P-code {record.parent_pcode} of {record.pcode} is neither in the "
                "gazetteer nor in the files loaded."
            )
        elif parent.level >= record.level:
            errors.append(
                f"{record.origin}: {record.pcode} ({PlaceLevel(record.level).label}) cannot be under "
                f"{parent.pcode} ({PlaceLevel(parent.level).label})."
            )
    if errors:
        raise GazetteerError(errors)
    plan = GazetteerPlan()
    for pcode, record in merged.items():
        before = existing.get(pcode)
        if before is None:
            plan.create.append(record)
        elif fields := changed_fields(before, record):
            plan.update.append(PlaceChange(before, record, fields))
        else:
            plan.unchanged += 1
    plan.create.sort(key=lambda r: r.level)
    return plan
