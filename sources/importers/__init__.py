"""Import formats, by key: Hasila's own claims format, UCDP GED events and ACLED events.

``IMPORTERS`` is what the command line and the web interface offer. Each importer follows
``sources.importers.base.Importer``: bytes in, a dry run or an all-or-nothing commit, row errors out.

The registry is built on first use: importers write through ``incidents.services``, which itself reads
uploads with ``sources.importers.decoding``, so importing them with this package would be circular.
"""

from __future__ import annotations

import functools
import importlib

from sources.importers.base import Importer, ImportResult, RowError

__all__ = ["IMPORTERS", "ImportResult", "Importer", "RowError", "registry", "summary"]

_IMPORTER_CLASSES = (
    ("sources.importers.hasila", "HasilaImporter"),
    ("sources.importers.ged", "GedImporter"),
    ("sources.importers.acled", "AcledImporter"),
)

IMPORTERS: dict[str, Importer]  # provided by __getattr__ below


@functools.cache
def registry() -> dict[str, Importer]:
    """Every import format by key, in the order they are offered."""
    importers: list[Importer] = []
    for module_name, class_name in _IMPORTER_CLASSES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            # A dataset importer missing from this checkout: the formats that are here stay usable.
            continue
        importers.append(getattr(module, class_name)())
    return {importer.key: importer for importer in importers}


def summary(result: ImportResult) -> str:
    """One sentence on what an import did, or would do for a dry run."""
    if result.dry_run:
        counts = f"{result.created} to create, {result.updated} to update, {result.unchanged} unchanged"
    else:
        counts = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
    rows = f"{result.rows} row{'s' if result.rows != 1 else ''}"
    text = f"{'Dry run: ' if result.dry_run else ''}{rows}: {counts}"
    if result.candidates:
        text += f"; {result.candidates} candidate claims for review"
    if result.errors:
        text += f". {len(result.errors)} problem{'s' if len(result.errors) != 1 else ''}: nothing was written"
    return text + "."


def __getattr__(name: str) -> dict[str, Importer]:
    if name == "IMPORTERS":
        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
