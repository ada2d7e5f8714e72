"""PostgreSQL restarted under a write load: failed requests get the "database unavailable" page, the app
recovers by itself, and no acknowledged write is lost or half-written. A test: exits non-zero otherwise.

Run: ``uv run python bench/faults.py`` (``make bench-faults``; tests/test_faults_bench.py runs it too). It uses
its own embedded PostgreSQL instance (in ``/tmp/hasila-faults-<pid>``, removed at the end), never the
development or bench databases, and its own gunicorn (DEBUG off, 4 workers).

Steps: start and migrate the instance, create an analyst, a source and an incident, serve the app, then
``WRITERS`` threads post claims through the claim form and ``READERS`` threads open the incident and the
list, without pause. Each claim carries a unique marker in its note; a write is acknowledged when the app
answers 302 (the redirect after a saved claim). PostgreSQL goes down twice under that load, gunicorn being
left alone: first a clean restart (``pg_ctl stop``, fast mode: sessions are cut, committed work is flushed),
then a crash (SIGQUIT to the postmaster, PostgreSQL's "immediate" shutdown: nothing is flushed, the restart
replays the write-ahead log). Afterwards:

- every acknowledged marker must be in the database (a write the app confirmed survives both);
- nothing half-written: every stored claim has its history event, each writer's chain of figures has one
  root and one current figure, and the incident's summary columns equal a fresh recomputation;
- requests that failed while PostgreSQL was down or starting got the 503 page within ``HANG_SECONDS``;
- requests started once PostgreSQL was back succeeded (at most ``RECOVERY_SECONDS`` of errors allowed),
  and gunicorn's workers are the ones it started with (no worker restarted or killed).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
import psycopg

from bench.benchdb import ANALYST, BENCH_PASSWORD, ROOT, gunicorn, log_in

DATA_DIR = Path(os.environ.get("FAULTS_PGDATA", f"/tmp/hasila-faults-{os.getpid()}"))
WRITERS = 8
READERS = 2
# Seconds of load before the first outage, PostgreSQL down, and load after each restart.
BEFORE, OUTAGE, AFTER = 6.0, 4.0, 8.0
# A request the client gives up on after this long counts as a hang.
HANG_SECONDS = 20.0
# Once PostgreSQL is back, requests may still fail for this long.
RECOVERY_SECONDS = 5.0
UNAVAILABLE_PAGE = "The database is unavailable"


@dataclass
class Response:
    started: float
    seconds: float
    kind: str
    status: int | str
    unavailable_page: bool

    @property
    def ok(self) -> bool:
        return self.status in (200, 302)


@dataclass
class Log:
    """Every response, and the markers of acknowledged writes."""

    responses: list[Response] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Outage:
    how: str
    stop_requested: float = 0.0
    down: float = 0.0
    back: float = 0.0


def embedded(command: str) -> None:
    env = dict(os.environ, HASILA_PGDATA=str(DATA_DIR))
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "config.embedded_postgres", command],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def crash() -> None:
    """PostgreSQL's immediate shutdown, as after a crash: SIGQUIT to the postmaster, then wait for it to go."""
    pid = int((DATA_DIR / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    os.kill(pid, signal.SIGQUIT)
    postmaster.wait(timeout=30)


def database_url() -> str:
    return f"postgres://postgres@/hasila?host={urllib.parse.quote(str(DATA_DIR))}"


def connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(host=str(DATA_DIR), user="postgres", dbname="hasila")


def manage(url: str, *args: str) -> str:
    env = dict(os.environ, DATABASE_URL=url, DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def prepare(url: str) -> tuple[int, int]:
    """Migrate the instance and create the analyst, a source and an incident; returns their ids."""
    manage(url, "migrate", "--noinput", "-v0")
    script = f"""
import datetime
from django.contrib.auth.models import Group, User
from incidents.services import create_incident
from sources.services import upsert_source
user = User.objects.create_user({ANALYST!r}, password={BENCH_PASSWORD!r})
user.groups.set([Group.objects.get(name="Analyst")])
source = upsert_source(name="Faults source")
incident = create_incident(title="Fault test incident", date_start=datetime.date(2024, 1, 1), created_by=user)
print(source.pk, incident.pk)
"""
    output = manage(url, "shell", "-c", script).split()
    return int(output[-2]), int(output[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Client:
    """One browser tab: a keep-alive connection and the session's cookie."""

    def __init__(self, port: int, cookie: str, kind: str, log: Log, zero: float) -> None:
        self.port, self.cookie, self.kind, self.log, self.zero = port, cookie, kind, log, zero
        csrf = re.search(r"csrftoken=([^;]+)", cookie)
        self.token = csrf.group(1) if csrf else ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG_SECONDS)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        headers = {"Cookie": self.cookie, "Referer": f"http://127.0.0.1:{self.port}/"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form | {"csrfmiddlewaretoken": self.token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        page = ""
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            page = response.read().decode(errors="replace")
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as exc:
            status = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HANG_SECONDS)
        seen = Response(
            started - self.zero, time.monotonic() - started, self.kind, status, UNAVAILABLE_PAGE in page
        )
        with self.log.lock:
            self.log.responses.append(seen)
        return seen


def writer(client: Client, index: int, source: int, incident: int, stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        marker = f"fault-{index}-{n}"
        figure = str(n % 90 + 1)
        form = {
            "claimed_by": str(source),
            "outcome": "killed",
            "category": "civilians",
            # One chain of figures per writer: its claims supersede one another, as a source's revisions do.
            "party": f"writer {index}",
            "qualifier": "exact",
            "low": figure,
            "high": figure,
            "note": marker,
        }
        response = client.request("POST", f"/incidents/{incident}/claims/new/", form)
        if response.status == 302:
            with client.log.lock:
                client.log.acknowledged.append(marker)
        else:
            time.sleep(0.1)  # a person trying again, not a tight loop against a database that is down


def reader(client: Client, incident: int, stop: threading.Event) -> None:
    paths = [f"/incidents/{incident}/", "/"]
    n = 0
    while not stop.is_set():
        n += 1
        client.request("GET", paths[n % 2])
        time.sleep(0.05)


def check_stored(url: str, incident: int, acknowledged: list[str]) -> list[str]:
    """What is wrong with the stored data: lost acknowledged writes, half-written claims or summaries."""
    problems: list[str] = []
    with connect() as conn:
        stored = {
            row[0] for row in conn.execute("SELECT note FROM incidents_claim WHERE note LIKE 'fault-%%'")
        }
        lost = [marker for marker in acknowledged if marker not in stored]
        print(f"acknowledged writes missing from the database: {len(lost)}")
        print(
            f"claims stored but not acknowledged (cut before the answer reached the client): "
            f"{len(stored) - (len(acknowledged) - len(lost))}"
        )
        if lost:
            problems.append(f"{len(lost)} acknowledged writes lost, e.g. {lost[:5]}")
        row = conn.execute(
            """SELECT count(*) FROM incidents_claim c WHERE c.note LIKE 'fault-%%' AND NOT EXISTS (
                   SELECT 1 FROM incidents_claimevent e WHERE e.pgh_obj_id = c.id AND e.pgh_label = 'insert')"""
        ).fetchone()
        without_history = row[0] if row else 0
        print(f"claims without their history event: {without_history}")
        if without_history:
            problems.append(f"{without_history} claims stored without their history event")
        chains = conn.execute(
            """SELECT party, count(*), count(*) FILTER (WHERE is_current),
                      count(*) FILTER (WHERE supersedes_id IS NULL)
               FROM incidents_claim WHERE incident_id = %s GROUP BY party ORDER BY party""",
            [incident],
        ).fetchall()
        broken = [chain for chain in chains if chain[2] != 1 or chain[3] != 1]
        print(
            f"writers' chains of figures: {len(chains)}, broken (not one root and one current): {len(broken)}"
        )
        if broken:
            problems.append(f"chains of figures broken (party, claims, current, roots): {broken}")
    # The incident's list columns, as stored and as the app recomputes them (rolled back).
    script = f"""
from django.db import transaction
from incidents.models import Incident
from incidents.services import refresh_incident_summaries
fields = ("summary", "has_conflict", "source_count")
stored = Incident.objects.values(*fields).get(pk={incident})
with transaction.atomic():
    refresh_incident_summaries([{incident}])
    fresh = Incident.objects.values(*fields).get(pk={incident})
    transaction.set_rollback(True)
print("summary", "consistent" if stored == fresh else f"stale: {{stored}} != {{fresh}}")
"""
    summary = manage(url, "shell", "-c", script).strip().splitlines()[-1]
    print(f"incident {summary}")
    if summary != "summary consistent":
        problems.append(f"incident {summary}")
    return problems


def main() -> int:
    if DATA_DIR.exists():
        embedded("stop")
        shutil.rmtree(DATA_DIR)
    embedded("start")
    url = database_url()
    try:
        source, incident = prepare(url)
        return run(url, source, incident)
    finally:
        embedded("stop")
        shutil.rmtree(DATA_DIR, ignore_errors=True)


def run(url: str, source: int, incident: int) -> int:
    log = Log()
    app_log = Path(f"/tmp/hasila-faults-gunicorn-{os.getpid()}.log")
    port = int(os.environ.get("FAULTS_PORT", "0")) or free_port()
    outages = [Outage("clean restart (pg_ctl stop, fast)"), Outage("crash (immediate shutdown, WAL replay)")]
    with gunicorn(url, port, workers=4, timeout=int(HANG_SECONDS) + 10, log_path=app_log) as served:
        master = psutil.Process(served.pid)
        workers_before = {worker.pid for worker in master.children()}
        cookie = log_in(f"http://127.0.0.1:{port}", ANALYST)
        zero = time.monotonic()
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=writer, args=(Client(port, cookie, "write", log, zero), i, source, incident, stop)
            )
            for i in range(WRITERS)
        ] + [
            threading.Thread(target=reader, args=(Client(port, cookie, "read", log, zero), incident, stop))
            for _ in range(READERS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(BEFORE)
        for outage in outages:
            outage.stop_requested = time.monotonic() - zero
            if outage.how.startswith("crash"):
                crash()
            else:
                embedded("stop")
            outage.down = time.monotonic() - zero
            time.sleep(OUTAGE)
            embedded("start")
            outage.back = time.monotonic() - zero
            time.sleep(AFTER)
        stop.set()
        for thread in threads:
            thread.join()
        workers_after = {worker.pid for worker in master.children()}
    logged = app_log.read_text(errors="replace").count("OperationalError")
    print(f"the app logged {logged} database errors (OperationalError) in {app_log}")
    failures = report(log, outages, workers_before, workers_after) + check_stored(
        url, incident, log.acknowledged
    )
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print(
            "OK: the 503 page during both outages, recovery without restarting gunicorn, "
            "no acknowledged write lost, nothing half-written"
        )
    return 1 if failures else 0


def report(log: Log, outages: list[Outage], workers_before: set[int], workers_after: set[int]) -> list[str]:
    """Print what the clients saw around each outage; returns the failures."""
    failures: list[str] = []

    def phase(start: float, end: float) -> list[Response]:
        """The requests in flight at some point between ``start`` and ``end``."""
        return [r for r in log.responses if r.started < end and r.started + r.seconds >= start]

    def counts(responses: list[Response]) -> dict[str, int]:
        return dict(sorted(Counter(f"{r.kind} {r.status}" for r in responses).items()))

    print(f"requests: {len(log.responses):,}; acknowledged writes: {len(log.acknowledged):,}")
    before = [r for r in log.responses if r.started + r.seconds < outages[0].stop_requested]
    print(f"before the first outage: {counts(before)}")
    ends = [outage.stop_requested for outage in outages[1:]] + [1e9]
    for number, (outage, end) in enumerate(zip(outages, ends, strict=True), 1):
        during = phase(outage.stop_requested, outage.back)
        # Started once PostgreSQL was back, and answered before the next outage began.
        after = [r for r in log.responses if r.started >= outage.back and r.started + r.seconds < end]
        print(
            f"outage {number}, {outage.how}: stop at {outage.stop_requested:.1f} s, down at {outage.down:.1f} s, "
            f"accepting connections again at {outage.back:.1f} s"
        )
        print(f"  while down or starting: {counts(during)}")
        failed = [r for r in during if not r.ok]
        if failed:
            print(
                f"  failed requests answered in {min(r.seconds for r in failed):.3f}-"
                f"{max(r.seconds for r in failed):.3f} s; with the 503 page: "
                f"{sum(r.status == 503 and r.unavailable_page for r in failed)} of {len(failed)}"
            )
        else:
            failures.append(f"outage {number}: no request failed, the outage was not exercised")
        other = [r for r in failed if not (r.status == 503 and r.unavailable_page)]
        if other:
            failures.append(
                f"outage {number}: {len(other)} failed requests without the 503 page: {counts(other)}"
            )
        print(f"  once back: {counts(after)}")
        first_ok = min((r.started for r in after if r.ok), default=None)
        errors_after = [r for r in after if not r.ok]
        late = [r for r in errors_after if r.started >= outage.back + RECOVERY_SECONDS]
        if first_ok is None:
            failures.append(f"outage {number}: the app did not recover (no success once PostgreSQL was back)")
        else:
            last_error = max((r.started + r.seconds - outage.back for r in errors_after), default=None)
            print(
                f"  first success {first_ok - outage.back:.2f} s after PostgreSQL was back; errors among requests "
                f"started once it was back: {len(errors_after)}"
                + (f", the last answered {last_error:.2f} s after" if last_error is not None else "")
            )
        if late:
            failures.append(
                f"outage {number}: {len(late)} errors more than {RECOVERY_SECONDS:.0f} s after recovery"
            )
    slowest = max((r.seconds for r in log.responses), default=0.0)
    hangs = [r for r in log.responses if r.status == "timeout"]
    print(f"slowest response: {slowest:.2f} s; hangs (no answer within {HANG_SECONDS:.0f} s): {len(hangs)}")
    if hangs:
        failures.append(f"{len(hangs)} requests hung instead of failing")
    print(f"gunicorn workers: {sorted(workers_before)} before, {sorted(workers_after)} after")
    if workers_before != workers_after:
        failures.append("gunicorn workers were restarted (killed by the timeout or crashed)")
    return failures


if __name__ == "__main__":
    sys.exit(main())
