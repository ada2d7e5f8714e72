"""``make bench-faults`` as a test: PostgreSQL restarted, then crashed, under a write load served by gunicorn.

The script (bench/faults.py) runs its own PostgreSQL and gunicorn, so it needs no test database; it takes
about a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_postgresql_restarts_lose_no_acknowledged_write_and_the_app_recovers_by_itself():
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    result = subprocess.run(
        [sys.executable, "bench/faults.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    report = result.stdout + result.stderr[-3000:]
    assert result.returncode == 0, report
    assert "acknowledged writes missing from the database: 0" in result.stdout
    assert "with the 503 page" in result.stdout
