"""gunicorn's settings for Hasila: ``gunicorn -c config/gunicorn.py config.wsgi``."""

from __future__ import annotations

import multiprocessing
import os

# Sync workers: a page is CPU-bound Python around a few short queries, so two workers per core keep every
# core busy while a worker waits on PostgreSQL; more only add memory and contention (measured on 2 cores
# with bench/web.py; threaded workers served more requests but with a far longer tail). WEB_CONCURRENCY
# overrides, as on most hosts.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
# Reused database connections (CONN_MAX_AGE) live in the workers; a slow request is cut after this long.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
