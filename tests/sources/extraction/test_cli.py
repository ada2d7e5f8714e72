"""`python -m sources.extraction`: JSON lines out, bad files reported without stopping the others."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sources.extraction", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        check=False,
    )


def lines(out: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.decode("utf-8").splitlines()]


def test_prints_one_json_object_per_file(tmp_path: Path) -> None:
    first = tmp_path / "a.txt"
    first.write_text("قتل 4 مدنيين في القصف.", encoding="utf-8")
    second = tmp_path / "b.txt"
    second.write_text("Three soldiers were killed.", encoding="utf-8")
    result = run(str(first), str(second))
    assert result.returncode == 0
    rows = lines(result.stdout)
    assert [(r["file"], r["language"]) for r in rows] == [(str(first), "ar"), (str(second), "en")]
    assert [c["low"] for c in rows[0]["claims"]] == [4]
    assert "مدنيين" in result.stdout.decode("utf-8")  # ensure_ascii=False


def test_bad_utf8_is_reported_by_name_and_exits_2_after_the_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00 not utf-8 \xc3")
    good = tmp_path / "good.txt"
    good.write_text("قتل 4 مدنيين.", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    result = run(str(bad), str(good), str(missing))
    assert result.returncode == 2
    assert [r["file"] for r in lines(result.stdout)] == [str(good)]
    errors = result.stderr.decode("utf-8")
    assert str(bad) in errors and "UTF-8" in errors and str(missing) in errors


def test_dash_reads_standard_input() -> None:
    result = run("-", stdin="أصيب 7 أشخاص بجروح.".encode())
    assert result.returncode == 0
    (row,) = lines(result.stdout)
    assert row["file"] == "-"
    assert [(c["outcome"], c["low"]) for c in row["claims"]] == [("injured", 7)]


def test_alias_file_gives_canonical_sources(tmp_path: Path) -> None:
    aliases = tmp_path / "aliases.json"
    aliases.write_text(json.dumps({"SOHR": ["المرصد السوري لحقوق الإنسان", "SOHR"]}), encoding="utf-8")
    text = tmp_path / "t.txt"
    text.write_text("وقال المرصد السوري لحقوق الانسان إن 5 مسلحين قتلوا.", encoding="utf-8")
    (row,) = lines(run("--aliases", str(aliases), str(text)).stdout)
    assert [c["source"] for c in row["claims"]] == ["SOHR"]
