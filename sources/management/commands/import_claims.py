"""``manage.py import_claims FILE [--dry-run]``: import claims in Hasila's own format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pghistory
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sources.importers import summary
from sources.importers.hasila import HasilaImporter


class Command(BaseCommand):
    help = (
        "Import claims in Hasila's format (CSV, JSON or XLSX; one row per claim). Every row is checked "
        "first; the file is written only if no row has a problem, and then all of it in one transaction. "
        "Re-importing a file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv, .json or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check every row and write nothing")
        parser.add_argument(
            "--user",
            help="username to record as the entries' author; their rights apply (default: the operator, "
            "who may change any entry)",
        )
        parser.add_argument(
            "--create-sources", action="store_true", help="create the sources the file names that are unknown"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user called {options['user']!r}.")
        importer = HasilaImporter(create_missing_sources=options["create_sources"])
        with pghistory.context(command="import_claims", user=user.pk if user else None):
            result = importer.run(data, filename=path.name, user=user, dry_run=options["dry_run"])
        for error in result.errors:
            self.stderr.write(str(error))
        if result.missing_sources and not options["create_sources"]:
            self.stderr.write(
                "Unknown sources: " + ", ".join(result.missing_sources) + " (--create-sources adds them)."
            )
        if result.errors:
            raise CommandError(summary(result))
        self.stdout.write(summary(result))
