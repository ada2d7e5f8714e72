"""``manage.py load_gazetteer PATH [PATH ...]``: load places from OCHA COD-AB and Open-Syria files."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

import pghistory
from django.core.management.base import BaseCommand, CommandError

from incidents.gazetteer import GazetteerError, PlaceChange, PlaceRecord, read_gazetteer
from incidents.models import PlaceLevel
from incidents.services import PlaceLoadResult, upsert_places


class Command(BaseCommand):
    help = (
        "Load gazetteer places from OCHA COD-AB attribute tables (CSV or GeoJSON with ADMn_EN / ADMn_AR / "
        "ADMn_PCODE columns, populated places with PP_PCODE) and Open-Syria data-geography JSON files. "
        "Places are keyed by P-code; re-running changes nothing. Folders are read recursively, in name order "
        "(a later file's names win)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="A gazetteer file or a folder of them.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change and write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        dry_run: bool = options["dry_run"]
        try:
            batch = read_gazetteer(options["paths"])
            with pghistory.context(command="load_gazetteer"):
                result = upsert_places(records=batch.records, dry_run=dry_run)
        except GazetteerError as exc:
            raise CommandError(f"Nothing was loaded.\n{exc}") from exc
        for name in batch.files:
            self.stdout.write(f"Read {name}")
        for name, why in batch.skipped:
            self.stdout.write(f"Skipped {name}: {why.removeprefix(name + ': ')}")
        if dry_run or options["verbosity"] >= 2:
            self._write_changes(result)
        self.stdout.write(self._summary(result, len(batch.records), time.monotonic() - started))

    def _write_changes(self, result: PlaceLoadResult) -> None:
        for record in result.plan.create:
            self.stdout.write(f"create {_describe(record)}")
        for change in result.plan.update:
            self.stdout.write(f"update {change.after.pcode} {change.after.name_en}: {_differences(change)}")

    @staticmethod
    def _summary(result: PlaceLoadResult, records: int, seconds: float) -> str:
        counts = f"{result.created:,} created, {result.updated:,} updated, {result.unchanged:,} unchanged"
        if result.dry_run:
            return f"Dry run, nothing written. {records:,} records: would be {counts}."
        moved = f"; {result.repathed:,} paths recomputed after moves" if result.repathed else ""
        return f"{records:,} records: {counts}{moved} ({seconds:.1f} s)."


def _describe(record: PlaceRecord) -> str:
    names = f"{record.name_en} / {record.name_ar}" if record.name_ar else record.name_en
    parent = f" in {record.parent_pcode}" if record.parent_pcode else ""
    return f"{record.pcode} {PlaceLevel(record.level).label} {names}{parent}"


def _differences(change: PlaceChange) -> str:
    parts = []
    for name in change.fields:
        if name == "aliases":
            added = [a for a in change.after.aliases if a not in change.before.aliases]
            parts.append(f"aliases + {', '.join(added)}" if added else "aliases tidied")
        else:
            parts.append(f"{name} {getattr(change.before, name)!r} -> {getattr(change.after, name)!r}")
    return "; ".join(parts)
