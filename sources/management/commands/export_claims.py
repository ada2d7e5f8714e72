"""``manage.py export_claims [--format csv|json|xlsx] [filters]``: incidents and their claims, importable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from incidents.filters import SORTS, IncidentFilter
from incidents.models import Category, FlagStatus, Incident, Outcome, Place
from sources.exporting import FORMATS, claim_rows, csv_chunks, json_chunks, write_xlsx
from sources.services import find_source


class Command(BaseCommand):
    help = (
        "Export incidents and all their claims in Hasila's import format, filtered as on the incident list "
        "(all incidents without filters). Text formats go to standard output unless --output is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--output", "-o", type=Path, help="file to write (needed for xlsx)")
        parser.add_argument("--q", help="search text")
        parser.add_argument("--date-from", help="YYYY-MM-DD")
        parser.add_argument("--date-to", help="YYYY-MM-DD")
        parser.add_argument("--place", help="place id, P-code or English name (its sub-places included)")
        parser.add_argument("--source", help="source id or any spelling of its name")
        parser.add_argument("--outcome", choices=Outcome.values)
        parser.add_argument("--category", choices=Category.values)
        parser.add_argument(
            "--conflicting", action="store_true", help="only incidents whose sources conflict"
        )
        parser.add_argument("--flag-status", choices=FlagStatus.values)
        parser.add_argument("--sort", choices=sorted(SORTS), default="newest")

    def handle(self, *args: Any, **options: Any) -> None:
        filterset = IncidentFilter(self._filter_data(options), queryset=Incident.objects.all())
        if not filterset.is_valid():
            problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
            raise CommandError(f"These filters cannot be applied: {problems}")
        rows = claim_rows(filterset.qs)
        output: Path | None = options["output"]
        if options["format"] == "xlsx":
            if output is None:
                raise CommandError("XLSX is binary: give a file with --output.")
            with output.open("wb") as target:
                write_xlsx(rows, target)
            return
        chunks = csv_chunks(rows) if options["format"] == "csv" else json_chunks(rows)
        if output is None:
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            return
        # newline="" keeps the CSV's own line endings.
        with output.open("w", encoding="utf-8", newline="") as target:
            target.writelines(chunks)

    def _filter_data(self, options: dict[str, Any]) -> dict[str, str]:
        data = {
            name: str(options[option])
            for name, option in (
                ("q", "q"),
                ("date_from", "date_from"),
                ("date_to", "date_to"),
                ("outcome", "outcome"),
                ("category", "category"),
                ("flag_status", "flag_status"),
                ("sort", "sort"),
            )
            if options[option]
        }
        if options["conflicting"]:
            data["conflicting"] = "on"
        if options["place"]:
            value = options["place"]
            place = (
                Place.objects.filter(
                    Q(pk=int(value)) if value.isdigit() else Q(pcode__iexact=value) | Q(name_en__iexact=value)
                )
                .order_by("level", "pk")
                .first()
            )
            if place is None:
                raise CommandError(f"No place {value!r}.")
            data["place"] = str(place.pk)
        if options["source"]:
            value = options["source"]
            source = find_source(value) if not value.isdigit() else None
            data["source"] = str(source.pk) if source else value
        return data
