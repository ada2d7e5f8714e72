"""``manage.py import_ged FILE [--dry-run]``: import UCDP GED events (CSV)."""

from __future__ import annotations

from typing import Any

from sources.importers.ged import GedImporter
from sources.management.commands.import_acled import EventImportCommand


class Command(EventImportCommand):
    help = (
        "Import UCDP GED events from its CSV export: each event becomes an incident (external id ged:<id>) "
        "with UCDP GED's claims (total low-high, civilians, each side). Every row is checked first; the file "
        "is written only if no row has a problem, and then all of it in one transaction. Re-importing a file "
        "changes nothing."
    )
    command = "import_ged"

    def handle(self, *args: Any, **options: Any) -> None:
        self.import_file(GedImporter(), **options)
