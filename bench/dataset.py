"""A realistic synthetic dataset for the web benchmarks, written with COPY into its own database.

200,000 incidents, 1,000,000 claims, 300 sources, 8,000 places in a hierarchy (country, 14 governorates,
districts, sub-districts, communities), Arabic and English titles, conflicting figures, revisions (a
source's earlier figure superseded), candidate claims, reports, flags in every status and their comments.

Run: ``uv run python bench/dataset.py [--force]``. The database is ``hasila_bench`` on the project's server
(``bench/benchdb.py``); it is reused when it already holds this generator's version (``--force``
regenerates), and migrated forward either way. Rows are generated in Python with a fixed seed and copied
with psycopg's ``cursor.copy``; history triggers are skipped for the load (``session_replication_role``),
derived columns are filled as the services would (``is_current`` while generating, summaries by
``refresh_incident_summaries``, search keys by ``search_document``, the queue's rows by the database function
the triggers call), then the tables are ANALYZEd.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench.benchdb import ANALYST, BENCH_DATABASE, BENCH_PASSWORD, EDITOR, connect_kwargs, database_url

# Bump when the generated data changes: a cached database of another version is regenerated.
DATASET_VERSION = "2"  # 2: the incidents' place trees filled
SEED = 20240601
N_SOURCES = 300
N_PLACES = 8_000
N_INCIDENTS = 200_000
N_CLAIMS = 1_000_000
GOVERNORATES = [
    ("Damascus", "دمشق"),
    ("Rural Damascus", "ريف دمشق"),
    ("Aleppo", "حلب"),
    ("Idlib", "إدلب"),
    ("Homs", "حمص"),
    ("Hama", "حماة"),
    ("Latakia", "اللاذقية"),
    ("Tartus", "طرطوس"),
    ("Deir ez-Zor", "دير الزور"),
    ("Raqqa", "الرقة"),
    ("Hasakeh", "الحسكة"),
    ("Daraa", "درعا"),
    ("Quneitra", "القنيطرة"),
    ("As-Sweida", "السويداء"),
]
N_DISTRICTS = 65
N_SUBDISTRICTS = 270
PREFIXES = [
    ("Tal", "تل"),
    ("Ain", "عين"),
    ("Deir", "دير"),
    ("Kafr", "كفر"),
    ("Jisr", "جسر"),
    ("Khirbet", "خربة"),
    ("Bir", "بئر"),
    ("Maarat", "معرة"),
    ("Beit", "بيت"),
    ("Umm", "أم"),
]
ROOTS = [
    ("Hamra", "الحمراء"),
    ("Sultan", "السلطان"),
    ("Shams", "الشمس"),
    ("Nahr", "النهر"),
    ("Zaytoun", "الزيتون"),
    ("Jabal", "الجبل"),
    ("Wadi", "الوادي"),
    ("Sahl", "السهل"),
    ("Qasr", "القصر"),
    ("Burj", "البرج"),
    ("Ghazal", "الغزال"),
    ("Tawil", "الطويل"),
    ("Abyad", "الأبيض"),
    ("Aswad", "الأسود"),
    ("Sharqi", "الشرقي"),
    ("Gharbi", "الغربي"),
    ("Kabir", "الكبير"),
    ("Saghir", "الصغير"),
    ("Jadid", "الجديد"),
    ("Qadim", "القديم"),
]
TYPES = [
    ("airstrike", "Airstrike on", "غارة جوية على"),
    ("shelling", "Shelling of", "قصف مدفعي على"),
    ("ground_clash", "Clashes near", "اشتباكات قرب"),
    ("explosive_device", "Car bomb in", "انفجار سيارة مفخخة في"),
    ("execution", "Executions in", "إعدامات في"),
    ("other", "Attack in", "هجوم في"),
]
PERPETRATORS = ["Syrian army", "Russian air force", "ISIS", "Coalition", "SDF", "HTS", "unknown", ""]
ROWS = [("killed", "civilians"), ("injured", "civilians"), ("killed", "children"), ("killed", "combatants")]
QUALIFIER_WORDS = {"exact": "{n}", "at_least": "at least {n}", "about": "about {n}", "range": "{n}-{m}"}
FIRST_DAY = datetime.date(2011, 3, 15)
DAYS = (datetime.date(2024, 12, 31) - FIRST_DAY).days
NOW = datetime.datetime(2025, 1, 15, 12, 0, tzinfo=datetime.UTC)


def log(message: str, started: float) -> None:
    print(f"  {message} ({time.perf_counter() - started:.1f} s)", flush=True)


def stored_version(url: str) -> str | None:
    """The dataset version recorded in the bench database, or None if there is no complete dataset."""
    try:
        with psycopg.connect(**connect_kwargs(url), connect_timeout=10) as conn:
            row = conn.execute(
                "SELECT version FROM bench_dataset WHERE complete" if _has_meta(conn) else "SELECT NULL"
            ).fetchone()
    except psycopg.OperationalError:
        return None
    return row[0] if row else None


def _has_meta(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT to_regclass('bench_dataset') IS NOT NULL").fetchone()
    return bool(row and row[0])


def recreate_database(url: str) -> None:
    admin = connect_kwargs(url) | {"dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def _copy(
    cursor: psycopg.Cursor[Any], table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _place_name(rng: random.Random) -> tuple[str, str]:
    (pe, pa), (re_, ra) = rng.choice(PREFIXES), rng.choice(ROOTS)
    return f"{pe} {re_}", f"{pa} {ra}"


def _places(rng: random.Random) -> list[tuple[int, int | None, int, str, str, str]]:
    """(id, parent, level, name_en, name_ar, path) for the whole tree, ids from 1 in path order."""
    from sources.extraction.normalize import search_document  # noqa: F401 - warms the import

    places: list[tuple[int, int | None, int, str, str, str]] = [(1, None, 0, "Syria", "سوريا", "/1/")]
    governorates = []
    for en, ar in GOVERNORATES:
        pid = len(places) + 1
        places.append((pid, 1, 1, en, ar, f"/1/{pid}/"))
        governorates.append(places[-1])

    def children(parents: list[Any], count: int, level: int) -> list[Any]:
        made = []
        for k in range(count):
            parent = parents[k % len(parents)] if k < len(parents) else rng.choice(parents)
            en, ar = _place_name(rng)
            pid = len(places) + 1
            places.append((pid, parent[0], level, en, ar, f"{parent[5]}{pid}/"))
            made.append(places[-1])
        return made

    districts = children(governorates, N_DISTRICTS, 2)
    subdistricts = children(districts, N_SUBDISTRICTS, 3)
    children(subdistricts, N_PLACES - len(places), 4)
    return places


@contextmanager
def no_triggers(cursor: psycopg.Cursor[Any]) -> Iterator[None]:
    """Skip the history triggers (and FK checks) of a bulk load whose rows are consistent by construction."""
    cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        cursor.execute("SET session_replication_role = DEFAULT")


def generate(url: str) -> None:
    from django.db import connection

    from sources.extraction.normalize import search_document

    rng = random.Random(SEED)
    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cur, no_triggers(cur):
        # Sources: a few big ones state most claims (skewed like real reporting).
        sources = []
        for k in range(1, N_SOURCES + 1):
            name = f"Source {k:03d}"
            name_ar = f"المصدر {k}"
            sources.append((k, name, name_ar, f"Source number {k}", search_document(f"{name} {name_ar}")))
        _copy(
            cur,
            "sources_source",
            [
                "id",
                "name",
                "name_ar",
                "name_en",
                "kind",
                "affiliation",
                "country",
                "website",
                "notes",
                "active",
                "search_key",
            ],
            ((i, n, a, e, "other", "", "Syria", "", "", True, s) for i, n, a, e, s in sources),
        )
        weights = [1 / (k**0.8) for k in range(1, N_SOURCES + 1)]
        log(f"{N_SOURCES} sources", started)

        places = _places(rng)
        _copy(
            cur,
            "incidents_place",
            ["id", "parent_id", "level", "name_en", "name_ar", "aliases", "pcode", "path", "search_key"],
            (
                (pid, parent, level, en, ar, [], f"SYB{pid:05d}", path, search_document(f"{en} {ar}"))
                for pid, parent, level, en, ar, path in places
            ),
        )
        communities = [p for p in places if p[2] == 4]
        log(f"{len(places):,} places", started)

        # Incidents with their places.
        incident_rows = []
        place_rows = []
        for i in range(1, N_INCIDENTS + 1):
            kind, verb_en, verb_ar = rng.choice(TYPES)
            place = rng.choice(communities)
            arabic = rng.random() < 0.5
            title = f"{verb_ar} {place[4]}" if arabic else f"{verb_en} {place[3]}"
            perpetrator = rng.choice(PERPETRATORS)
            day = FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS))
            incident_rows.append(
                (
                    i,
                    title,
                    day,
                    None,
                    "day",
                    kind,
                    perpetrator,
                    "",
                    f"bench:{i}",
                    NOW,
                    NOW,
                    "{}",
                    False,
                    0,
                    search_document(f"{title} {perpetrator}"),
                )
            )
            place_rows.append((i, place[0]))
            if rng.random() < 0.1:  # also filed under the district
                place_rows.append((i, place[1]))
        _copy(
            cur,
            "incidents_incident",
            [
                "id",
                "title",
                "date_start",
                "date_end",
                "date_precision",
                "type",
                "perpetrator",
                "description",
                "external_id",
                "created_at",
                "updated_at",
                "summary",
                "has_conflict",
                "source_count",
                "search_key",
            ],
            incident_rows,
        )
        _copy(cur, "incidents_incident_places", ["incident_id", "place_id"], place_rows)
        log(f"{N_INCIDENTS:,} incidents, {len(place_rows):,} incident places", started)

        # Reports: one for a quarter of the incidents, published by one of its sources.
        report_ids: dict[tuple[int, int], int] = {}
        claims = list(_claims(rng, weights, incident_rows, report_ids))
        report_rows = []
        for (incident_id, source_id), report_id in report_ids.items():
            text = f"تقرير عن الحادثة {incident_id} من المصدر {source_id}"
            report_rows.append(
                (
                    report_id,
                    source_id,
                    f"https://example.org/bench/{report_id}",
                    text,
                    incident_rows[incident_id - 1][2],
                    "ar",
                    text,
                    hashlib.sha256(text.encode()).hexdigest(),
                    search_document(text),
                    "",
                    NOW,
                    NOW,
                )
            )
        _copy(
            cur,
            "sources_report",
            [
                "id",
                "publisher_id",
                "url",
                "title",
                "published_on",
                "language",
                "text",
                "content_hash",
                "search_key",
                "import_batch",
                "created_at",
                "updated_at",
            ],
            report_rows,
        )
        log(f"{len(report_rows):,} reports", started)
        _copy(
            cur,
            "incidents_claim",
            [
                "id",
                "incident_id",
                "claimed_by_id",
                "report_id",
                "outcome",
                "category",
                "party",
                "low",
                "high",
                "qualifier",
                "words",
                "evidence",
                "stated_on",
                "status",
                "supersedes_id",
                "is_current",
                "external_id",
                "note",
                "created_at",
                "updated_at",
            ],
            claims,
        )
        log(f"{len(claims):,} claims", started)
        for table in (
            "sources_source",
            "incidents_place",
            "incidents_incident",
            "sources_report",
            "incidents_claim",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    refresh_summaries(started)
    with raw.cursor() as cur, no_triggers(cur):
        flags = _flags(cur, rng)
        log(f"{flags:,} flags with comments", started)
    with raw.cursor() as cur:
        # The load skipped the triggers that keep the incidents' place trees (migration incidents 0011) and
        # the queue's rows (incidents 0005): fill them once.
        cur.execute(
            "SELECT incidents_refresh_place_trees(ARRAY(SELECT DISTINCT incident_id FROM incidents_incident_places))"
        )
        cur.execute("SELECT count(*) FROM incidents_incident WHERE place_tree <> '{}'")
        log(f"{cur.fetchone()[0]:,} place trees", started)
        cur.execute("SELECT incidents_refresh_discrepancy_rows(ARRAY(SELECT id FROM incidents_incident))")
        cur.execute("SELECT count(*) FILTER (WHERE conflict OR flagged) FROM incidents_discrepancy_row")
        log(f"{cur.fetchone()[0]:,} discrepancy queue rows", started)
    make_users()
    with raw.cursor() as cur:  # Django's connection is in autocommit mode, as VACUUM needs
        cur.execute("VACUUM ANALYZE")
    log("VACUUM ANALYZE", started)


def _claims(
    rng: random.Random,
    weights: list[float],
    incidents: list[tuple[Any, ...]],
    report_ids: dict[tuple[int, int], int],
) -> Iterator[tuple[Any, ...]]:
    """N_CLAIMS claims: 3 to 7 per incident (5 on average) from 2 to 4 sources, about a third of the
    incidents with figures that do not overlap, a tenth of the claims revisions, 3% candidates."""
    claim_id = 0
    source_ids = list(range(1, N_SOURCES + 1))
    for incident in incidents:
        incident_id, day = incident[0], incident[2]
        budget = 3 + (incident_id % 5)  # 3..7, 5 on average: exactly N_CLAIMS in all
        chosen = list(dict.fromkeys(rng.choices(source_ids, weights=weights, k=4)))[: rng.randint(2, 4)]
        conflicting = rng.random() < 0.3
        base = rng.randint(1, 60)
        with_report = rng.random() < 0.25
        rows: list[list[Any]] = []
        current: dict[tuple[int, str, str], int] = {}  # key -> index in rows of its current claim
        slot = 0
        while len(rows) < budget:
            source = chosen[slot % len(chosen)]
            outcome, category = ROWS[(slot // len(chosen)) % len(ROWS)]
            slot += 1
            key = (source, outcome, category)
            spread = (slot % len(chosen)) * (base // 3 + 2) if conflicting else 0
            n = (base + spread) * (2 if outcome == "injured" else 1)
            qualifier = rng.choice(("exact", "exact", "exact", "at_least", "about", "range"))
            if conflicting and qualifier == "at_least":
                qualifier = "exact"
            # A revision: the source first stated a lower figure, then the current one.
            steps = 2 if budget - len(rows) > 1 and rng.random() < 0.1 else 1
            for step in range(steps):
                claim_id += 1
                figure = n if step == steps - 1 else max(n - rng.randint(1, 5), 0)
                low, high = _bounds(qualifier, figure)
                words = QUALIFIER_WORDS[qualifier].format(n=low, m=high)
                candidate = step == steps - 1 and key not in current and rng.random() < 0.03
                previous = current.get(key)
                supersedes = None
                if not candidate:
                    if previous is not None:
                        rows[previous][15] = False
                        supersedes = rows[previous][0]
                    current[key] = len(rows)
                report_id = None
                if with_report:
                    report_id = report_ids.setdefault((incident_id, source), len(report_ids) + 1)
                rows.append(
                    [
                        claim_id,
                        incident_id,
                        source,
                        report_id,
                        outcome,
                        category,
                        "",
                        low,
                        high,
                        qualifier,
                        words,
                        f"أفادت المصادر بمقتل {words} في الهجوم",
                        day + datetime.timedelta(days=step),
                        "candidate" if candidate else "confirmed",
                        supersedes,
                        not candidate,
                        "",
                        "",
                        NOW,
                        NOW,
                    ]
                )
        yield from rows


def _bounds(qualifier: str, n: int) -> tuple[int | None, int | None]:
    if qualifier == "at_least":
        return n, None
    if qualifier == "range":
        return n, n + max(2, n // 5)
    return n, n


def refresh_summaries(started: float) -> None:
    """Fill the incidents' summary columns in batches, as the services do after a claim is written."""
    from django.db import connection, transaction

    from incidents.services import refresh_incident_summaries

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
    # The service's statement costs grow with the square of the ids it is given (its per-incident
    # subqueries scan the whole batch), so small batches are much faster than one big one.
    batch = 200
    for first in range(1, N_INCIDENTS + 1, batch):
        with transaction.atomic():
            refresh_incident_summaries(range(first, min(first + batch, N_INCIDENTS + 1)))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FILTER (WHERE has_conflict), count(*) FROM incidents_incident")
        conflicting, total = cur.fetchone()
        cur.execute("SET session_replication_role = DEFAULT")
    log(f"summaries of {total:,} incidents ({conflicting:,} with a conflict)", started)


def _flags(cur: psycopg.Cursor[Any], rng: random.Random) -> int:
    """Flags on a tenth of the conflicting incidents, in every status, and a comment on half of them."""
    cur.execute(
        "SELECT id, (summary->'killed'->>'low')::int FROM incidents_incident "
        "WHERE has_conflict AND summary ? 'killed' ORDER BY id"
    )
    conflicting = cur.fetchall()
    picked = [row for row in conflicting if rng.random() < 0.1]
    statuses = ["open", "open", "under_review", "resolved", "dismissed"]
    flags = []
    for flag_id, (incident_id, low) in enumerate(picked, start=1):
        status = rng.choice(statuses)
        resolved = status == "resolved"
        flags.append(
            (
                flag_id,
                incident_id,
                "killed",
                "civilians",
                "",
                status,
                "Figures disagree",
                low if resolved else None,
                low if resolved else None,
                "Retained the lower figure" if resolved else "",
                1,
                NOW,
                NOW,
            )
        )
    _copy(
        cur,
        "incidents_flag",
        [
            "id",
            "incident_id",
            "outcome",
            "category",
            "party",
            "status",
            "note",
            "resolution_low",
            "resolution_high",
            "resolution_note",
            "version",
            "created_at",
            "updated_at",
        ],
        flags,
    )
    _copy(
        cur,
        "incidents_flagcomment",
        ["flag_id", "body", "automatic", "created_at"],
        ((f[0], "Checked the sources' reports.", False, NOW) for f in flags if f[0] % 2),
    )
    for table in ("incidents_flag", "incidents_flagcomment"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    return len(flags)


def make_users() -> None:
    from django.contrib.auth.models import Group, User

    for username, group in ((ANALYST, "Analyst"), (EDITOR, "Editor")):
        user = User.objects.filter(username=username).first() or User(username=username)
        user.set_password(BENCH_PASSWORD)
        user.save()
        user.groups.set([Group.objects.get(name=group)])


def ensure_dataset(force: bool = False) -> str:
    """Make sure the bench database holds this version's dataset (generating it if needed) and is migrated
    forward; returns its URL. Django is set up against it."""
    url = database_url()
    version = None if force else stored_version(url)
    started = time.perf_counter()
    if version == DATASET_VERSION:
        setup_django(url)
        migrate()
        print(f"bench database {BENCH_DATABASE}: reusing dataset version {version} (migrated forward)")
        return url
    print(f"bench database {BENCH_DATABASE}: generating dataset version {DATASET_VERSION}", flush=True)
    recreate_database(url)
    setup_django(url)
    migrate()
    log("migrated", started)
    generate(url)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_dataset (version text, complete boolean, generated_at timestamptz)")
        cur.execute("INSERT INTO bench_dataset VALUES (%s, true, now())", [DATASET_VERSION])
    print(f"dataset ready in {time.perf_counter() - started:.0f} s")
    return url


if __name__ == "__main__":
    ensure_dataset(force="--force" in sys.argv)
