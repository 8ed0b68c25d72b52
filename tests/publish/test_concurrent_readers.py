"""Analysts reading while refreshes publish: 4 reader processes keep opening data/warehouse.duckdb read-only and
querying it while 3 refreshes run back to back. No reader ever fails, every connection sees one complete
release from its first query to its last (even while new releases are published over it), and new connections
pick up each new release."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, PipelineRun, run_refresh

pytestmark = pytest.mark.slow

READERS = 4
REFRESHES = 3
READER_DEADLINE_S = 60 * 60  # hard stop of a reader, whatever happens to the test (3 refresh timeouts + margin)
LONG_HOLD_S = 20.0  # reader 0 keeps each connection this long, so publishes happen under open connections

# Row counts that identify a release: the facts, the marts, and the audit history that grows every refresh.
COUNTED_TABLES = ("marts.fct_staffing_snapshot", "marts.mart_province_staffing", "marts.mart_submission_completeness",
                  "marts.mart_claim_reconciliation", "audit.submission_files", "audit.quality_results",
                  "ref.dim_commune")

# A reader: loops until the stop file appears (or its own deadline / loop cap), one connection per loop.
# Each loop: open read-only, read the release id and the counts, run the cookbook queries (repeatedly, for
# LONG_HOLD_S seconds on reader 0), read release id and counts again, close. Touches <report>.ready after its
# first loop; writes a JSON report at the end.
READER = r"""
import json, random, sys, time, traceback
from pathlib import Path
import duckdb

published, report, stop_file, cookbook = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
deadline = time.monotonic() + float(sys.argv[5])
hold = float(sys.argv[6])
tables = json.loads(sys.argv[7])
max_loops = 100_000
queries = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(cookbook.glob("*.sql"))]

def snapshot(con):
    release_id = con.execute("select release_id from meta.release").fetchall()[0][0]
    counts = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables}
    return release_id, counts

connections, errors, loops = [], [], 0
started = time.time()
while loops < max_loops and time.monotonic() < deadline and not stop_file.exists():
    loops += 1
    rec = {"loop": loops, "opened_at": time.time()}
    try:
        con = duckdb.connect(published, read_only=True)
        try:
            rec["release_id"], rec["counts"] = snapshot(con)
            rec["seen"] = []
            batch_deadline = time.monotonic() + hold
            while True:
                for name, sql in queries:
                    if not con.execute(sql).fetchall():
                        raise AssertionError(f"{name} returned no rows")
                rec["seen"].append(snapshot(con))
                if time.monotonic() >= batch_deadline or stop_file.exists():
                    break
                time.sleep(0.5)
            time.sleep(random.uniform(0, 0.05))
            rec["end_release_id"], rec["end_counts"] = snapshot(con)
        finally:
            con.close()
        rec["closed_at"] = time.time()
        connections.append(rec)
        if len(connections) == 1:
            report.with_suffix(".ready").touch()
    except Exception:
        errors.append({"loop": loops, "at": time.time(), "error": traceback.format_exc()})
    time.sleep(0.1)  # an analyst, not a busy loop: leave CPU to the refresh
report.write_text(json.dumps({"loops": loops, "started": started, "finished": time.time(),
                              "connections": connections, "errors": errors}), encoding="utf-8")
"""


def release_counts(path: Path) -> tuple[str, dict[str, int]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        release_id = con.execute("select release_id from meta.release").fetchall()[0][0]
        return release_id, {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in COUNTED_TABLES}
    finally:
        con.close()


@pytest.fixture()
def refresh_copy(sample_run, tmp_path) -> PipelineRun:
    """A private copy of the sample run's data dir (published file, releases, build db, Dagster home)."""
    data = tmp_path / "data"
    shutil.copytree(sample_run.data_dir, data)
    (data / "dagster_home" / "dagster.yaml").unlink(missing_ok=True)
    return PipelineRun(data, sample_run.raw_inputs, 0, "", "")


def test_readers_see_one_consistent_release_per_connection_during_refreshes(refresh_copy, tmp_path) -> None:
    data = refresh_copy.data_dir
    published = data / "warehouse.duckdb"
    releases_before = {p.name for p in (data / "releases").glob("warehouse-*.duckdb")}
    stop_file = tmp_path / "stop-readers"
    reports = [tmp_path / f"reader-{i}.json" for i in range(READERS)]
    readers: list[subprocess.Popen] = []
    refresh_times: list[tuple[float, float]] = []
    try:
        for i, report in enumerate(reports):
            hold = LONG_HOLD_S if i == 0 else 0.0
            readers.append(subprocess.Popen(
                [sys.executable, "-c", READER, str(published), str(report), str(stop_file),
                 str(REPO / "docs" / "cookbook"), str(READER_DEADLINE_S), str(hold), json.dumps(COUNTED_TABLES)],
                cwd=tmp_path, env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        # the readers are reading (one full loop each) before the first refresh starts
        wait_until = time.monotonic() + 120
        while not all(r.with_suffix(".ready").exists() for r in reports) and time.monotonic() < wait_until:
            assert all(r.poll() is None for r in readers), "a reader stopped before the refreshes started"
            time.sleep(0.2)
        assert all(r.with_suffix(".ready").exists() for r in reports), "the readers did not get going"

        for n in range(REFRESHES):
            started = time.time()
            run = run_refresh(data, refresh_copy.raw_inputs)
            refresh_times.append((started, time.time()))
            assert run.returncode == 0, f"refresh {n + 1} failed:\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
        # let the short-hold readers open the last release a few times
        time.sleep(5)
    finally:
        stop_file.touch()
        for proc in readers:
            try:
                proc.wait(timeout=LONG_HOLD_S + 60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    outputs = [proc.stdout.read() if proc.stdout else "" for proc in readers]
    for proc in readers:
        if proc.stdout:
            proc.stdout.close()

    for i, (proc, report) in enumerate(zip(readers, reports)):
        assert proc.returncode == 0 and report.exists(), f"reader {i} crashed:\n{outputs[i][-3000:]}"
    results = [json.loads(report.read_text(encoding="utf-8")) for report in reports]

    # 1. no reader ever failed to open or query the published file
    errors = [e for res in results for e in res["errors"]]
    assert errors == [], "\n".join(e["error"] for e in errors[:5])

    # 2. readers ran for the whole duration of the refreshes, and kept looping
    first_refresh, last_refresh = refresh_times[0][0], refresh_times[-1][1]
    for i, res in enumerate(results):
        assert res["started"] < first_refresh and res["finished"] > last_refresh, f"reader {i} did not run throughout"
        assert res["loops"] >= (3 if i == 0 else 20), f"reader {i} only made {res['loops']} loops"
        assert len(res["connections"]) == res["loops"]

    # 3. every connection saw one release from its first query to its last: the same release id and row counts
    connections = [c for res in results for c in res["connections"]]
    for c in connections:
        assert c["end_release_id"] == c["release_id"], c
        assert c["end_counts"] == c["counts"], c
        for release_id, counts in c["seen"]:
            assert (release_id, counts) == (c["release_id"], c["counts"]), c

    # ... and the counts are those of that release (the kept release files), identical across connections
    counts_by_release: dict[str, dict[str, int]] = {}
    for c in connections:
        assert counts_by_release.setdefault(c["release_id"], c["counts"]) == c["counts"], c["release_id"]
    kept = {}
    for path in (data / "releases").glob("warehouse-*.duckdb"):
        release_id, counts = release_counts(path)
        kept[release_id] = counts
    for release_id, counts in counts_by_release.items():
        if release_id in kept:
            assert counts == kept[release_id], release_id

    # 4. each refresh published a new release and the readers saw them all (new connections get the new file)
    new_releases = sorted(p.name[len("warehouse-"):-len(".duckdb")]
                          for p in (data / "releases").glob("warehouse-*.duckdb") if p.name not in releases_before)
    assert len(new_releases) == REFRESHES, new_releases
    observed = set(counts_by_release)
    assert len(observed) >= 3, observed
    assert set(new_releases) <= observed, (new_releases, observed)
    assert release_counts(published)[0] == new_releases[-1]
    # the audit history grows with every refresh, so each release really is a different version
    assert len({counts_by_release[r]["audit.quality_results"] for r in new_releases}) == REFRESHES

    # 5. some connections stayed open while a newer release was published and still read their own release
    spanning = [c for c in connections
                if any(o["release_id"] > c["release_id"] and o["opened_at"] < c["closed_at"] for o in connections)]
    assert spanning, "no connection was open across a publish"
    print(f"readers: loops {[res['loops'] for res in results]}, releases seen {len(observed)}, connections "
          f"{len(connections)} of which {len(spanning)} open across a publish; refreshes "
          f"{[round(b - a) for a, b in refresh_times]} s")
