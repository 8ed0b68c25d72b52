"""Smoke tests of the benchmark harness (benchmarks/): the process-tree measurement, the event-log stage times,
the report's hand-written part kept, and the two baselines agreeing on a tiny generated set (marked slow)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import bench_pipeline  # noqa: E402
from measure import percentile, run_measured, summary  # noqa: E402

CHILD_ALLOCATES = (
    "import subprocess, sys; "
    "subprocess.run([sys.executable, '-c', 'import time; b = bytearray(200 * 2**20); b[::4096] = b\"x\" * len(b[::4096]); "
    "time.sleep(0.6)'], check=True)"
)


def test_peak_rss_counts_the_whole_process_tree() -> None:
    m = run_measured([sys.executable, "-c", CHILD_ALLOCATES], interval=0.02)
    assert m.returncode == 0
    assert m.max_processes >= 2  # the parent and its child were seen together
    assert m.peak_tree_rss_mb > 200  # the child's 200 MB counted in the tree
    assert m.max_process_rss_mb > 200  # wait4's ru_maxrss covers the waited-for child too
    assert 0.6 < m.wall_s < 30


def test_failing_command_keeps_its_exit_code_and_output() -> None:
    m = run_measured([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"])
    assert (m.returncode, m.stdout.strip()) == (3, "out")


def test_summary_and_percentile() -> None:
    assert summary([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert summary([])["median"] is None
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)


def test_step_times_from_the_event_log(tmp_path: Path) -> None:
    runs = tmp_path / "dagster_home" / "history" / "runs"
    runs.mkdir(parents=True)
    con = sqlite3.connect(runs / "abc.db")
    con.execute("create table event_logs (id integer primary key, dagster_event_type text, step_key text, "
                "timestamp timestamp)")
    con.executemany("insert into event_logs (dagster_event_type, step_key, timestamp) values (?, ?, ?)", [
        ("STEP_START", "ingest_submissions", "2026-01-01 00:00:01.000000"),
        ("STEP_SUCCESS", "ingest_submissions", "2026-01-01 00:00:03.500000"),
        ("STEP_START", "dbt_models", "2026-01-01 00:00:03.600000"),
        ("STEP_FAILURE", "dbt_models", "2026-01-01 00:00:04.600000"),
    ])
    con.commit()
    con.close()
    steps = {s["step"]: s for s in bench_pipeline.step_times(tmp_path, "abc")}
    assert steps["ingest_submissions"]["seconds"] == pytest.approx(2.5)
    assert steps["dbt_models"]["status"] == "failure"
    assert bench_pipeline.step_times(tmp_path, "missing") == []


def test_markdown_keeps_the_hand_written_part(tmp_path: Path) -> None:
    md = tmp_path / "BENCHMARKS.md"
    md.write_text(f"# Benchmarks\n\nmy notes\n\n{bench_pipeline.START_MARK}\nold\n{bench_pipeline.END_MARK}\n\n"
                  "## After\n\nmore notes\n", encoding="utf-8")
    results = {
        "started": "s", "finished": "f", "mode": "quick", "runs": 1, "commands": ["make bench"],
        "machine": {"cpu_model": "cpu", "cpus_allowed": 2, "logical_cpus": 2, "memory_gb": 4.0, "os": "linux",
                    "load_average_at_start": (1.0, 1.0, 1.0)},
        "load_average_at_end": (1.0, 1.0, 1.0), "versions": {"python": "3.11"},
        "git": {"commit": "abc", "pipeline_code_uncommitted_changes": False}, "inputs": {}, "targets": [],
    }
    bench_pipeline.write_markdown(results, md)
    text = md.read_text(encoding="utf-8")
    assert "my notes" in text and "more notes" in text and "old" not in text
    assert text.count(bench_pipeline.START_MARK) == 1 and "Latest run" in text


@pytest.mark.slow  # generator + two baseline subprocesses: about 10 s
def test_bare_and_pandas_baselines_agree_on_a_tiny_set(tmp_path: Path) -> None:
    gen = tmp_path / "gen"
    subprocess.run([sys.executable, "-m", "pipelines.submissions.generate", "--from", "2025-06", "--to", "2025-07",
                    "--provinces", "01,22,33", "--seed", "1", "--xlsx-share", "0.5", "--out", str(gen)],
                   cwd=REPO, check=True, capture_output=True)
    bench = REPO / "benchmarks"
    subprocess.run([sys.executable, str(bench / "baseline_bare.py"), "--convert-xlsx", str(gen), "--to",
                    str(tmp_path / "x")], check=True, capture_output=True)
    bare = subprocess.run([sys.executable, str(bench / "baseline_bare.py"), "--csv-dir", str(gen), "--csv-dir",
                           str(tmp_path / "x"), "--out", str(tmp_path / "bare.duckdb")],
                          check=True, capture_output=True, text=True)
    pandas = subprocess.run([sys.executable, str(bench / "baseline_pandas.py"), "--submissions", str(gen), "--out",
                             str(tmp_path / "pandas.csv")], check=True, capture_output=True, text=True)
    b, p = json.loads(bare.stdout), json.loads(pandas.stdout)
    assert b["unit_rows"] == p["unit_rows"] > 0
    assert b["province_months"] == p["province_months"] > 0
    cols = ", ".join(f"coalesce({c}, 0)::double" for c in bench_pipeline.MART_COLUMNS)
    con = duckdb.connect()
    con.execute("attach ? as b (read_only)", [str(tmp_path / "bare.duckdb")])
    differ = con.execute(
        f"select count(*) from (select map_version, province_code, period, {cols} from b.province_staffing "
        f"except select map_version, province_code, period, {cols} from read_csv(?, types = "
        "{'province_code': 'varchar', 'period': 'varchar'}))", [str(tmp_path / "pandas.csv")]).fetchone()[0]
    assert differ == 0


def test_ab_months_and_generated_set(tmp_path: Path) -> None:
    import ab_incremental

    assert ab_incremental.months("2026-10", 10) == ("2016-11", "2026-11")
    assert ab_incremental.months("2026-12", 1) == ("2026-01", "2027-01")
    older, newer = tmp_path / "gen-2016-11-2026-10-aaaa", tmp_path / "gen-2016-11-2026-10-bbbb"
    for d in (newer, older, tmp_path / "gen-2016-11-2026-10-cccc-xlsx-as-csv"):
        d.mkdir()
    os.utime(older, (1, 1))
    assert ab_incremental.generated(tmp_path, "2016-11", "2026-10") == newer
