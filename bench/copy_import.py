"""Bulk import benchmark: a 1,000,000-row Hasila claims CSV through the background job's bulk path, beside a
plain COPY of the same file (the limit). Prints figures; asserts nothing.

    uv run python bench/copy_import.py [--rows N] [--again] [--without-history]

Uses its own database (``hasila_bench_import``, recreated each run) on the server ``DATABASE_URL`` names, else
the embedded PostgreSQL (``bench/benchdb.py``). ``--without-history`` also imports a second file of the same
size with pghistory's insert triggers disabled, to show what history costs. ``--again`` imports a second file
of the same size (new incidents and claims) into the database the first one filled: what an import costs once
the database holds data.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchdb import connect_kwargs, cpu_reference, database_url  # noqa: E402

DATABASE = "hasila_bench_import"
CLAIMS_PER_INCIDENT = 4
SOURCES = ["SOHR", "SANA", "Al-Alam", "Airwars", "UCDP GED", *[f"Monitor {n}" for n in range(1, 16)]]
OUTCOMES = ["killed", "injured"]
CATEGORIES = ["people", "civilians", "children", "women", "men", "combatants", "security_forces"]
TYPES = ["airstrike", "shelling", "ground_clash", "explosive_device", "other"]
TARGET_ROWS, TARGET_SECONDS = 1_000_000, 60
HEADER = (
    "incident_key,incident_title,incident_date_start,incident_type,places,claim_key,source,outcome,category,"
    "qualifier,low,high,words\n"
)


def recreate(url: str) -> None:
    admin = connect_kwargs(url) | {"dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def prepare() -> tuple[Any, list[str]]:
    """Sources, places and an analyst the file refers to."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from incidents.services import create_place
    from sources.services import upsert_source
    from tests.factories import UserFactory

    call_command("migrate", "--noinput", verbosity=0)
    for name in SOURCES:
        upsert_source(name=name, kind="monitor")
    syria = create_place(name_en="Syria", level=0, pcode="SY")
    pcodes = []
    for g in range(1, 15):
        governorate = create_place(name_en=f"Governorate {g}", level=1, parent=syria, pcode=f"SY{g:02d}")
        for d in range(1, 6):
            pcode = f"SY{g:02d}{d:02d}"
            create_place(name_en=f"District {g}-{d}", level=2, parent=governorate, pcode=pcode)
            pcodes.append(pcode)
    user = UserFactory(username="bench_importer")
    user.groups.add(Group.objects.get(name="Analyst"))
    return user, pcodes


def claims_csv(rows: int, pcodes: list[str], prefix: str) -> bytes:
    """``rows`` claims, four per incident, from different sources; figures exact, ranges and "at least"."""
    rng = random.Random(7)
    lines = [HEADER]
    for n in range(rows):
        incident = n // CLAIMS_PER_INCIDENT
        day = 1 + incident % 28
        low = rng.randint(0, 60)
        kind = rng.random()
        if kind < 0.7:
            qualifier, high = "exact", ""
        elif kind < 0.85:
            qualifier, high = "range", str(low + rng.randint(1, 9))
        else:
            qualifier, high = "at_least", ""
        lines.append(
            f"{prefix}:{incident},Strike {incident} on district {incident % 70},2019-{1 + incident % 12:02d}-{day:02d},"
            f"{TYPES[incident % 5]},{pcodes[incident % len(pcodes)]},{prefix}-{n},"
            f"{SOURCES[n % CLAIMS_PER_INCIDENT + (incident % 4) * 4]},{OUTCOMES[n % 2]},"
            f"{CATEGORIES[(n // 2) % 7]},{qualifier},{low},{high},{low} قتلى\n"
        )
    return "".join(lines).encode()


def server_settings(url: str) -> str:
    """The server settings a bulk import's time depends on most (README, "Benchmarks")."""
    names = ("shared_buffers", "max_wal_size", "work_mem", "synchronous_commit", "server_version")
    with psycopg.connect(**connect_kwargs(url)) as conn:
        values = [conn.execute(f"SHOW {name}").fetchone()[0] for name in names]  # type: ignore[index]
    return "server: " + ", ".join(f"{name} {value}" for name, value in zip(names, values, strict=True))


def plain_copy(url: str, data: bytes) -> float:
    """Seconds to COPY the file into an unlogged table of text columns: what any import costs at least."""
    columns = HEADER.strip().split(",")
    with psycopg.connect(**connect_kwargs(url)) as conn:
        conn.execute(f"CREATE UNLOGGED TABLE plain_copy ({', '.join(f'{c} text' for c in columns)})")
        started = time.perf_counter()
        with conn.cursor().copy("COPY plain_copy FROM STDIN (FORMAT csv, HEADER true)") as copy:
            for offset in range(0, len(data), 1 << 20):
                copy.write(data[offset : offset + (1 << 20)])
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE plain_copy")
    return elapsed


def bulk(user: Any, data: bytes, *, history: bool) -> tuple[float, str]:
    """Seconds to run the import job end to end (read the job, bulk path, commit), and its summary."""
    from sources.importers import bulk as bulk_path
    from sources.jobs import enqueue_import, run_job
    from sources.models import ImportJob

    written = bulk_path.BulkImport._history
    if not history:
        # The bulk path writes the insert events itself, set-based (the triggers are skipped): leave them out.
        bulk_path.BulkImport._history = lambda self: None  # type: ignore[method-assign]
    job = enqueue_import(importer_key="hasila", filename="claims.csv", data=data, user=user, rows=0)
    started = time.perf_counter()
    run_job(job.pk)
    elapsed = time.perf_counter() - started
    job = ImportJob.objects.defer("data").get(pk=job.pk)
    bulk_path.BulkImport._history = written  # type: ignore[method-assign]
    if job.status != "done":
        return elapsed, f"{job.status}: {job.summary} {job.errors[:3]}"
    return elapsed, job.summary


def figure(label: str, seconds: float, rows: int, note: str) -> str:
    """One result line: what was timed, seconds, rows per second, and a note."""
    return f"  {label + ':':<40}{seconds:6.1f} s  {rows / seconds:>10,.0f} rows/s  ({note})"


def target(rows: int, seconds: float) -> str:
    """The issue's target beside the figure: 1,000,000 rows committed in 60 s or less (the same rate for
    another --rows)."""
    rate = TARGET_ROWS / TARGET_SECONDS
    verdict = "met" if rows / seconds >= rate else "NOT MET"
    return f"{TARGET_ROWS:,} rows in <= {TARGET_SECONDS} s ({rate:,.0f} rows/s or more): {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--again", action="store_true", help="a second file into the filled database")
    parser.add_argument("--without-history", action="store_true")
    args = parser.parse_args()
    url = database_url(DATABASE)
    recreate(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DEBUG", "1")
    os.environ["IMPORT_MAX_BYTES"] = str(1 << 31)  # the web's upload limit does not bind a bulk load
    import logging

    import django

    django.setup()
    logging.basicConfig(level=logging.WARNING, format="    %(message)s")
    logging.getLogger("sources.jobs").setLevel(logging.INFO)
    user, pcodes = prepare()
    data = claims_csv(args.rows, pcodes, "bench")
    print(cpu_reference())
    print(
        f"bulk import: {args.rows:,} claims, {args.rows // CLAIMS_PER_INCIDENT:,} incidents, "
        f"{len(data) / 1_048_576:.0f} MB CSV; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    print(f"  {server_settings(url)}")
    seconds = plain_copy(url, data)
    print(figure("plain COPY into an unlogged text table", seconds, args.rows, "the limit"))
    seconds, summary = bulk(user, data, history=True)
    print(figure("bulk import job, with history", seconds, args.rows, summary))
    print(f"  target: {target(args.rows, seconds)}")
    if args.again:
        seconds, summary = bulk(user, claims_csv(args.rows, pcodes, "again"), history=True)
        print(figure(f"again, into those {args.rows:,} claims", seconds, args.rows, summary))
    if args.without_history:
        other = claims_csv(args.rows, pcodes, "nohist")
        seconds, summary = bulk(user, other, history=False)
        print(figure("bulk import job, history off", seconds, args.rows, summary))
    print(f"  load average after: {os.getloadavg()[0]:.2f}; {cpu_reference()}")


if __name__ == "__main__":
    main()
