"""Time of a 10,000-row dry run of Hasila's import format against the database (target: under 10 s).

Run: `uv run python bench/imports.py` (the database of config.settings, migrated). The sources and places
the file names are created inside a transaction that is rolled back at the end, so the database is left
as it was. Prints figures; asserts nothing.
"""

from __future__ import annotations

import csv
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")  # the development database; a bench never runs against production

import django

django.setup()

from django.db import transaction  # noqa: E402 - after django.setup()

from incidents.services import create_place  # noqa: E402
from sources.importers.hasila import COLUMN_NAMES, HasilaImporter  # noqa: E402
from sources.services import upsert_source  # noqa: E402

ROWS = 10_000
COMMIT_ROWS = 1_000
CLAIMS_PER_INCIDENT = 4
SOURCES = (("Bench SANA", "بنش سانا"), ("Bench SOHR", "بنش المرصد"), ("Bench Airwars", "بنش إيروورز"))
CATEGORIES = ("civilians", "children", "women", "combatants")
QUALIFIERS = (
    ("exact", "{n}", "{n}"),
    ("at_least", "{n}", ""),
    ("range", "{n}", "{m}"),
    ("about", "{n}", "{n}"),
)


class _Rollback(Exception):
    pass


def write_file(path: Path, places: list[str]) -> None:
    """A file of ROWS claims: CLAIMS_PER_INCIDENT per incident, each with a report carrying its text."""
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=[c for c in COLUMN_NAMES if c != "is_current"])
        writer.writeheader()
        for i in range(ROWS):
            incident = i // CLAIMS_PER_INCIDENT
            name, spelling = SOURCES[i % len(SOURCES)]
            qualifier, low, high = QUALIFIERS[i % len(QUALIFIERS)]
            n = 5 + i % 40
            day = datetime.date(2016, 1, 1) + datetime.timedelta(days=incident % 1500)
            writer.writerow(
                {
                    "incident_key": f"bench:{incident}",
                    "incident_title": f"غارات على القرية رقم {incident}",
                    "incident_date_start": day.isoformat(),
                    "incident_type": "airstrike",
                    "places": places[incident % len(places)],
                    "claim_key": f"bench:{i}",
                    "source": spelling if i % 2 else name,
                    "outcome": "killed",
                    "category": CATEGORIES[(i // len(SOURCES)) % len(CATEGORIES)],
                    "qualifier": qualifier,
                    "low": low.format(n=n, m=n + 7),
                    "high": high.format(n=n, m=n + 7),
                    "words": f"{n} مدنيا",
                    "evidence": f"أفاد المصدر بمقتل {n} مدنيا في القصف",
                    "stated_on": day.isoformat(),
                    "report_publisher": name,
                    "report_url": f"https://example.org/bench/{incident}/{i % len(SOURCES)}",
                    "report_title": f"تقرير {incident}",
                    "report_published_on": day.isoformat(),
                    "report_text": f"نص التقرير {incident} عن مقتل {n} مدنيا. " * 5,
                }
            )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        try:
            with transaction.atomic():
                for name, spelling in SOURCES:
                    upsert_source(name=name, aliases=[spelling])
                country = create_place(name_en="Benchland", level=0, pcode="BENCH0")
                places = [
                    create_place(
                        name_en=f"Bench village {k}", parent=country, level=4, pcode=f"BENCH{k:03d}"
                    ).pcode
                    or ""
                    for k in range(1, 51)
                ]
                write_file(path, places)
                data = path.read_bytes()
                timings = []
                for _ in range(3):
                    started = time.perf_counter()
                    result = HasilaImporter().run(data, filename=path.name, user=None, dry_run=True)
                    timings.append(time.perf_counter() - started)
                # A commit of the first COMMIT_ROWS rows, through the same services the web import uses.
                head = b"\n".join(data.splitlines()[: COMMIT_ROWS + 1]) + b"\n"
                started = time.perf_counter()
                committed = HasilaImporter().run(head, filename=path.name, user=None, dry_run=False)
                commit_time = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
    best = min(timings)
    print(f"file: {ROWS:,} rows, {len(data) / 1_048_576:.1f} MB CSV")
    print(f"dry run: {result.created:,} to create, {len(result.errors)} problems")
    print(
        f"dry run time: best {best:.2f} s of 3 ({ROWS / best:,.0f} rows/s); runs: {', '.join(f'{t:.2f}' for t in timings)} s"
    )
    print(
        f"commit: {COMMIT_ROWS:,} rows ({committed.created:,} created, {len(committed.errors)} problems) in "
        f"{commit_time:.2f} s ({COMMIT_ROWS / commit_time:,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
