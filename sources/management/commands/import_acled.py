"""``manage.py import_acled FILE [--dry-run]``: import ACLED events (CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pghistory
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sources.importers import Importer, summary
from sources.importers.acled import AcledImporter


class EventImportCommand(BaseCommand):
    """Runs one dataset importer on a file: problems go to stderr and end in ``CommandError`` (exit status
    1) with nothing written; otherwise one line says what was (or, with ``--dry-run``, would be) done."""

    command = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv file as the dataset exports it")
        parser.add_argument("--dry-run", action="store_true", help="check every row and write nothing")
        parser.add_argument(
            "--user",
            help="username to record as the entries' author; their rights apply (default: the operator, "
            "who may change any entry)",
        )

    def import_file(self, importer: Importer, **options: Any) -> None:
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
        with pghistory.context(command=self.command, user=user.pk if user else None):
            result = importer.run(data, filename=path.name, user=user, dry_run=options["dry_run"])
        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors:
            raise CommandError(summary(result))
        self.stdout.write(summary(result))


class Command(EventImportCommand):
    help = (
        "Import ACLED events from its CSV export: each event becomes an incident (external id "
        "acled:<event_id_cnty>) with ACLED's fatalities as an 'at least' claim, and the figures its notes "
        "quote from known sources as candidate claims for review. Every row is checked first; the file is "
        "written only if no row has a problem, and then all of it in one transaction. Re-importing a file "
        "changes nothing."
    )
    command = "import_acled"

    def handle(self, *args: Any, **options: Any) -> None:
        self.import_file(AcledImporter(), **options)
