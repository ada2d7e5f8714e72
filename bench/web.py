"""Throughput and latency of the main pages on the synthetic dataset, against gunicorn (DEBUG off).

Run: ``uv run python bench/web.py`` (``make bench``). Generates the dataset first if the bench database
does not hold it (``bench/dataset.py``), serves the app with gunicorn (workers from ``config/gunicorn.py``:
two per core), logs in as the bench analyst (the queue: the bench editor) and measures each page with
``wrk -t2 -c16`` after warming every page up for 2 s (``BENCH_SECONDS`` per page, 10 by default; ``BENCH_PAGES=detail`` measures only the pages
whose name contains it). The queries of each page are counted by
rendering it in-process through Django's test client against the same database, and any ``COUNT`` without a
``WHERE`` on a big table is reported. Prints a table with the targets beside the figures, and the machine's
load before and after (figures from a busy machine are not comparable); asserts nothing.

The list holds 200,000 incidents, so the "deep cursor" page is the keyset page after the 180,000th
incident (90% of the way down): the issue's "500,000 rows deep" cannot exist in a 200,000-row list, and a
keyset page costs the same at any depth.
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchdb import ANALYST, EDITOR, cpu_reference, gunicorn, log_in
from bench.dataset import ensure_dataset

HERE = Path(__file__).resolve().parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 16
BIG_TABLES = (
    "incidents_incident",
    "incidents_claim",
    "sources_report",
    "incidents_incident_places",
    "incidents_flag",
    "incidents_claimevent",
    "incidents_incidentevent",
)
SEARCH = "غارة الزيتون"  # "airstrike" + a place-name word: Arabic titles and place names both searched


@dataclass
class Result:
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def pages() -> list[tuple[str, str, str]]:
    """(name, kind, path) of every measured page; ids and cursors are read from the bench database."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT date_start, id FROM incidents_incident ORDER BY date_start DESC, id DESC "
            "OFFSET 180000 LIMIT 1"
        )
        day, incident_id = cur.fetchone()
        cur.execute("SELECT id FROM incidents_place WHERE level = 1 AND name_en = 'Aleppo'")
        (governorate,) = cur.fetchone()
        # A busy incident: a conflict, a flag with a comment, several sources and a revision.
        cur.execute(
            "SELECT f.incident_id FROM incidents_flag f JOIN incidents_incident i ON i.id = f.incident_id "
            "WHERE i.source_count >= 3 AND EXISTS (SELECT 1 FROM incidents_claim c "
            "WHERE c.incident_id = i.id AND c.supersedes_id IS NOT NULL) ORDER BY f.id LIMIT 1"
        )
        (detail,) = cur.fetchone()
    return [
        ("list: page 1", "list", "/"),
        ("list: deep cursor (180,000 rows)", "list", f"/?after={day.isoformat()}_{incident_id}"),
        ("list: governorate sub-tree", "list", f"/?place={governorate}"),
        ("list: conflicting only", "list", "/?conflicting=on"),
        ("list: Arabic search", "list", "/?" + urllib.parse.urlencode({"q": SEARCH})),
        ("incident detail", "detail", f"/incidents/{detail}/"),
        ("discrepancy queue", "queue", "/queue/"),
    ]


def run_wrk(url: str, cookie: str, seconds: int) -> Result:
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(HERE / "wrk_report.lua"),
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"^HASILA (.*)$", output, re.MULTILINE)
    if match is None:
        raise SystemExit(f"wrk printed no report:\n{output}")
    figures = {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}
    return Result(
        requests_per_second=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50"] / 1000,
        p95_ms=figures["p95"] / 1000,
        p99_ms=figures["p99"] / 1000,
        errors=figures["errors"],
    )


def count_queries(path: str, username: str) -> tuple[int, list[str], float]:
    """Queries of one rendering of ``path`` (in-process), the unfiltered COUNTs among them, and the time
    of the slowest query in ms."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path}: status {response.status_code}")
    counts = []
    for query in context.captured_queries:
        sql = query["sql"]
        upper = sql.upper()
        big = any(f'"{t}"' in sql or f" {t} " in sql for t in BIG_TABLES)
        if "COUNT(" in upper and big and " WHERE " not in upper:
            counts.append(sql[:200])
    slowest = max((float(q["time"]) for q in context.captured_queries), default=0.0) * 1000
    return len(context.captured_queries), counts, slowest


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    if shutil.which("wrk") is None:  # before minutes of generating the dataset
        raise SystemExit("wrk is missing: `make wrk` installs Debian's package")
    url = ensure_dataset()
    reference = cpu_reference()
    load_before = load()
    only = os.environ.get("BENCH_PAGES", "")  # e.g. "detail": the pages whose name contains it
    measured = [page for page in pages() if only in page[0]]
    queries = {}
    for name, kind, path in measured:
        queries[name] = count_queries(path, EDITOR if kind == "queue" else ANALYST)
    results: dict[str, Result] = {}
    with gunicorn(url, PORT) as (base, _master):
        cookies = {ANALYST: log_in(base, ANALYST), EDITOR: log_in(base, EDITOR)}
        # Every page is warmed up before any is measured (worker imports, templates, menus, connections,
        # PostgreSQL's caches), so the first page measured is not also the one that warms the server.
        for _name, kind, path in measured:
            run_wrk(base + path, cookies[EDITOR if kind == "queue" else ANALYST], 2)
        for name, kind, path in measured:
            cookie = cookies[EDITOR if kind == "queue" else ANALYST]
            results[name] = run_wrk(base + path, cookie, SECONDS)
            print(f"  measured {name}", flush=True)
    workers = runpy.run_path(str(HERE.parent / "config" / "gunicorn.py"))["workers"]
    print(f"\nwrk -t2 -c{CONNECTIONS} -d{SECONDS}s against gunicorn -w {workers} (DEBUG off)")
    print(f"before: {load_before}; after: {load()}")
    print(f"before: {reference}\nafter: {cpu_reference()}")
    print(
        "The list holds 200,000 incidents: the deep cursor is the keyset page after the 180,000th (the issue's"
        " 500,000 rows deep cannot exist)."
    )
    print(
        f"{'page':34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'queries':>7}"
        f" {'slowest q ms':>12}  target"
    )
    page_one = results["list: page 1"].requests_per_second if "list: page 1" in results else None
    all_counts: list[str] = []
    for name, kind, _path in measured:
        r = results[name]
        n, counts, slowest = queries[name]
        all_counts += counts
        if kind == "list":
            target = (
                f">= 150 req/s, p95 <= 150 ms: {verdict(r.requests_per_second >= 150 and r.p95_ms <= 150)}"
            )
            if "deep" in name and page_one is not None:
                within = r.requests_per_second >= 0.8 * page_one
                target += f"; within 20% of page 1: {verdict(within)}"
        elif kind == "detail":
            target = f"p95 <= 100 ms: {verdict(r.p95_ms <= 100)}"
        else:
            target = "(no target)"
        print(
            f"{name:34} {r.requests_per_second:8.1f} {r.p50_ms:8.1f} {r.p95_ms:8.1f} {r.p99_ms:8.1f}"
            f" {r.errors:6d} {n:7d} {slowest:12.1f}  {target}"
        )
    print(
        f"exact COUNT over an unfiltered big table on any page: {len(all_counts)} ({verdict(not all_counts)})"
    )
    for sql in all_counts:
        print(f"  {sql}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"web benchmark took {time.perf_counter() - started:.0f} s")
