"""50 concurrent users for 60 s against gunicorn on the synthetic dataset: zero errors expected, p95 printed.

Run: ``uv run python bench/load.py`` (``make bench-load``; ``LOAD_USERS`` and ``LOAD_SECONDS`` override).
Each user is a thread with its own session (logged in through the login form, CSRF token from its cookie)
that loops without pause over what people do: browse the list and its next page, filter (governorate,
conflicting only, an Arabic search), open incidents; analysts (two thirds of the users) also enter claims
through the claim form; editors comment on flags and resolve them (each editor works on its own flags, so
version conflicts, which the app reports as 409 by design, do not arise). An error is any response other
than 200/302, or a failed connection. The writes stay in the bench database (new claims, comments and
resolutions on top of the synthetic data).
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchdb import ANALYST, EDITOR, ROOT, gunicorn, log_in
from bench.dataset import N_INCIDENTS, N_SOURCES, ensure_dataset

PORT = int(os.environ.get("LOAD_PORT", "8766"))
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
SEARCHES = ["غارة الزيتون", "قصف", "Airstrike Hamra", "تل الشمس"]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, action: str, seconds: float, status: int | str, ok: bool) -> None:
        with self.lock:
            self.latencies.setdefault(action, []).append(seconds)
            self.statuses[f"{action} {status}"] += 1
            if not ok:
                self.errors.append(f"{action}: {status}")


class User:
    """One browser: a keep-alive connection, a session cookie and a CSRF token."""

    def __init__(self, port: int, cookie: str, stats: Stats) -> None:
        self.port = port
        self.cookie = cookie
        token = re.search(r"csrftoken=([^;]+)", cookie)
        self.csrf = token.group(1) if token else ""
        self.stats = stats
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, action: str, method: str, path: str, form: dict[str, str] | None = None) -> str:
        """One request; a page is expected to answer 200, a form 302 (saved: a refused form answers 200)."""
        headers = {"Cookie": self.cookie, "Referer": f"http://127.0.0.1:{self.port}/"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form | {"csrfmiddlewaretoken": self.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode()
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            text, status = "", type(exc).__name__
        self.stats.record(
            action, time.perf_counter() - started, status, status == (200 if form is None else 302)
        )
        return text


def browse(user: User, rng: random.Random, governorates: list[int]) -> None:
    page = user.request("list", "GET", "/")
    cursor = re.search(r"after=([0-9-]+_[0-9]+)", page)
    if cursor:
        user.request("list next page", "GET", f"/?after={cursor.group(1)}")
    choice = rng.randrange(3)
    if choice == 0:
        user.request("filter place", "GET", f"/?place={rng.choice(governorates)}")
    elif choice == 1:
        user.request("filter conflicting", "GET", "/?conflicting=on")
    else:
        user.request("search", "GET", "/?" + urllib.parse.urlencode({"q": rng.choice(SEARCHES)}))
    user.request("incident", "GET", f"/incidents/{rng.randint(1, N_INCIDENTS)}/")


def enter_claim(user: User, rng: random.Random, run: str, n: int) -> None:
    incident = rng.randint(1, N_INCIDENTS)
    user.request("claim form", "GET", f"/incidents/{incident}/claims/new/")
    figure = str(rng.randint(1, 80))
    user.request(
        "claim post",
        "POST",
        f"/incidents/{incident}/claims/new/",
        {
            "claimed_by": str(rng.randint(1, N_SOURCES)),
            "outcome": "killed",
            "category": "civilians",
            "party": "",
            "qualifier": "exact",
            "low": figure,
            "high": figure,
            "words": f"{figure} مدنيا",
            "evidence": "",
            "stated_on": "2024-06-01",
            "note": f"load {run} {n}",
        },
    )


def work_on_flag(user: User, rng: random.Random, flags: list[int]) -> None:
    if not flags:
        return
    flag = flags.pop()
    page = user.request("flag", "GET", f"/queue/flags/{flag}/")
    user.request("flag comment", "POST", f"/queue/flags/{flag}/comments/", {"body": "Checked under load."})
    version = re.search(r'name="version" value="(\d+)"', page)
    if version and "Resolve" in page and rng.random() < 0.5:
        user.request(
            "flag resolve",
            "POST",
            f"/queue/flags/{flag}/resolve/",
            {"low": "10", "high": "", "note": "Resolved under load.", "version": version.group(1)},
        )


def uv_on_path() -> None:
    """benchdb starts gunicorn with ``uv``, which make finds in .tools/ when it is not installed (``uv run``
    names it in ``$UV``): put it on the PATH for that."""
    if shutil.which("uv") is None:
        uv = Path(os.environ.get("UV") or ROOT / ".tools" / "bin" / "uv")
        os.environ["PATH"] = f"{uv.parent}{os.pathsep}{os.environ.get('PATH', '')}"


def main() -> int:
    uv_on_path()
    url = ensure_dataset()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM incidents_place WHERE level = 1")
        governorates = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT id FROM incidents_flag WHERE status IN ('open', 'under_review') ORDER BY id")
        open_flags = [row[0] for row in cur.fetchall()]
    stats = Stats()
    run = str(int(time.time()))
    editors = USERS // 3
    with gunicorn(url, PORT) as (base, _master):
        cookies = {ANALYST: log_in(base, ANALYST), EDITOR: log_in(base, EDITOR)}
        stop = time.monotonic() + SECONDS

        def user_loop(index: int) -> None:
            rng = random.Random(index)
            editor = index < editors
            user = User(PORT, cookies[EDITOR if editor else ANALYST], stats)
            mine = [flag for flag in open_flags if flag % editors == index] if editor else []
            n = 0
            while time.monotonic() < stop:
                browse(user, rng, governorates)
                n += 1
                if editor:
                    work_on_flag(user, rng, mine)
                else:
                    enter_claim(user, rng, run, n)

        threads = [threading.Thread(target=user_loop, args=(i,)) for i in range(USERS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    every = sorted(t for values in stats.latencies.values() for t in values)
    total = len(every)
    print(
        f"\n{USERS} users ({editors} editors, {USERS - editors} analysts) for {elapsed:.0f} s: {total:,} requests "
        f"({total / elapsed:.1f} req/s), errors: {len(stats.errors)}"
    )
    print(f"{'action':20} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for action, values in sorted(stats.latencies.items()):
        values.sort()
        print(
            f"{action:20} {len(values):8d} {_pct(values, 50):8.0f} {_pct(values, 95):8.0f} {_pct(values, 99):8.0f}"
        )
    print(f"{'all':20} {total:8d} {_pct(every, 50):8.0f} {_pct(every, 95):8.0f} {_pct(every, 99):8.0f}")
    print("responses: " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items())))
    for error in Counter(stats.errors).most_common(10):
        print(f"  error {error[0]} x{error[1]}")
    lost = lost_writes(stats, run)
    for problem in lost:
        print(f"  lost: {problem}")
    return 1 if stats.errors or lost else 0


def lost_writes(stats: Stats, run: str) -> list[str]:
    """Saved claims and comments (the app answered 302) that are not in the database."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents_claim WHERE note LIKE %s", [f"load {run} %"])
        claims = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM incidents_flagcomment WHERE body = %s AND created_at >= to_timestamp(%s)",
            ["Checked under load.", int(run)],
        )
        comments = cur.fetchone()[0]
    saved_claims, saved_comments = stats.statuses["claim post 302"], stats.statuses["flag comment 302"]
    print(
        f"in the database: {claims} of {saved_claims} saved claims, {comments} of {saved_comments} comments"
    )
    problems = []
    if claims != saved_claims:
        problems.append(f"{saved_claims - claims} claims")
    if comments != saved_comments:
        problems.append(f"{saved_comments - comments} comments")
    return problems


def _pct(values: list[float], percent: int) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * percent / 100))] * 1000


if __name__ == "__main__":
    sys.exit(main())
