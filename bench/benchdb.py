"""Where the web benchmarks' data lives, and how to serve the app against it.

The benchmark database is a separate database (``hasila_bench``) on the server the project already uses:
the one ``DATABASE_URL`` names, else the embedded PostgreSQL of ``.pgdata/``. It is never the development
database nor a test database.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "hasila_bench")
BENCH_PASSWORD = "bench-password-7f3a"
ANALYST = "bench_analyst"
EDITOR = "bench_editor"


def cpu_reference(seconds: float = 3.0) -> str:
    """How fast this machine runs Python, to compare figures taken on different machines: a fixed
    1,000,000-step loop run again and again for ``seconds``; its median and range. Machines sold as the same
    "2 cores" have differed here by 3x, and one machine's speed has halved for seconds at a time (a
    neighbour's load); every figure of these benchmarks scales with it."""
    times = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        begun = time.perf_counter()
        total = 0
        for step in range(1_000_000):
            total += step
        times.append((time.perf_counter() - begun) * 1000)
    times.sort()
    return (
        f"CPU reference: a 1,000,000-step Python loop in {times[len(times) // 2]:.0f} ms"
        f" (median of {len(times)}; {times[0]:.0f}-{times[-1]:.0f} ms; lower is faster)"
    )


def server_url() -> str:
    """A URL of the server (no database name picked yet): ``DATABASE_URL``, else the embedded PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    sys.path.insert(0, str(ROOT))
    from config.embedded_postgres import database_settings

    host = database_settings()["HOST"]
    return f"postgres://postgres@/hasila?host={urllib.parse.quote(host)}"


def database_url(name: str = BENCH_DATABASE) -> str:
    """The server's URL with its database swapped for ``name`` (refuses the dev and test databases)."""
    if name == "hasila" or name.startswith("test_"):
        raise SystemExit(f"refusing to use database {name!r} for benchmarks")
    parts = urllib.parse.urlsplit(server_url())
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def connect_kwargs(url: str) -> dict[str, Any]:
    """psycopg keyword arguments for a ``postgres://`` URL (socket given as ``?host=/dir`` or in the netloc)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    kwargs: dict[str, Any] = {
        "dbname": parts.path.lstrip("/"),
        "user": urllib.parse.unquote(parts.username or "postgres"),
        "host": query.get("host") or urllib.parse.unquote(parts.hostname or "") or None,
    }
    if parts.password:
        kwargs["password"] = urllib.parse.unquote(parts.password)
    if parts.port:
        kwargs["port"] = parts.port
    return {k: v for k, v in kwargs.items() if v is not None}


def app_environment(url: str) -> dict[str, str]:
    """The environment of a production-like app process (DEBUG off) against the database at ``url``."""
    env = dict(os.environ)
    env.update(
        # The production settings, even when started from the test suite (whose settings are in the environment).
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=url,
        DEBUG="0",
        SECRET_KEY="bench-secret-key-not-for-production-0123456789abcdef",
        ALLOWED_HOSTS="127.0.0.1",
        HTTPS="0",
        LOG_LEVEL="ERROR",
    )
    return env


class Served(NamedTuple):
    base: str  # http://127.0.0.1:PORT
    pid: int  # gunicorn's master process


@contextmanager
def gunicorn(
    url: str, port: int, workers: int | None = None, timeout: int = 30, log_path: Path | None = None
) -> Iterator[Served]:
    """Serve the app with gunicorn on 127.0.0.1:``port`` against ``url``; yields its base URL and master's
    pid. Workers as ``config/gunicorn.py`` sets them unless given. The app's error log goes to ``log_path``
    when given (else to this process's stderr). gunicorn and manage.py run on this interpreter (the project's
    environment under ``make bench``), so ``uv`` need not be on the PATH."""
    env = app_environment(url)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
    command += [*(["-w", str(workers)] if workers else []), "-b", f"127.0.0.1:{port}"]
    command += ["--timeout", str(timeout), "--log-level", "warning"]
    with ExitStack() as stack:
        log = stack.enter_context(log_path.open("w")) if log_path else None
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{base}/accounts/login/", timeout=5)
                    break
                except OSError:
                    time.sleep(0.5)
            else:
                raise SystemExit(f"gunicorn did not start{f' (see {log_path})' if log_path else ''}")
            yield Served(base, process.pid)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def log_in(base: str, username: str) -> str:
    """Log in through the login form (CSRF token included); returns the Cookie header of the session."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise SystemExit("no CSRF token on the login page")
    body = urllib.parse.urlencode(
        {"username": username, "password": BENCH_PASSWORD, "csrfmiddlewaretoken": match.group(1)}
    ).encode()
    request = urllib.request.Request(f"{base}/accounts/login/", data=body, headers={"Referer": base})
    opener.open(request).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"login as {username} failed")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
