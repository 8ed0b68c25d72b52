"""Benchmark pipelines.quality.gx_runner on synthetic DuckDB data.

    python benchmarks/bench_gx.py                  # 1.2 M rows x 15 columns, 11 expectations, + fixed cost
    python benchmarks/bench_gx.py --rows 300000 --sizes 300000,1200000 --batch-rows 100000
    python benchmarks/bench_gx.py --rows 9600000 --sizes "" --duckdb-memory-limit 64MB

Prints: GX import/session set-up time, per-run fixed cost (10-row table, 5 expectations), the big run's
seconds and peak RSS, and peak RSS for several table sizes (each in a fresh process) to show that memory levels
off instead of growing with the rows: the runner holds one batch at a time, and DuckDB's buffer pool (which caches
the pages it scans) is capped with memory_limit for that series.
Suites: expectations/_examples/bench_synthetic.yml and bench_tiny.yml.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "expectations" / "_examples"
sys.path.insert(0, str(ROOT))

CREATE_SQL = """
CREATE OR REPLACE TABLE main.bench_units AS
SELECT
    lpad(CAST(i % 100000 AS VARCHAR), 5, '0')                      AS unit_code,
    '2025-' || lpad(CAST(1 + i // 100000 AS VARCHAR), 2, '0')       AS period,
    'p' || lpad(CAST(1 + i % 34 AS VARCHAR), 2, '0')                AS province_code,
    'Unit ' || CAST(i % 100000 AS VARCHAR)                          AS unit_name,
    (['Xã', 'Phường', 'Thị trấn', 'Đặc khu'])[1 + i % 4]            AS unit_type,
    CAST(i % 97 AS INTEGER)                                          AS regular_officers,
    CAST(i % 97 + i % 13 AS INTEGER)                                 AS total_officers,
    CAST(i % 11 AS INTEGER)                                          AS auxiliary_officers,
    CAST(i % 7 AS INTEGER)                                           AS vehicles,
    i % 3 = 0                                                        AS has_hq,
    CAST(i % 5 AS INTEGER)                                           AS hq_status,
    DATE '2025-07-01' + CAST(i % 28 AS INTEGER)                      AS reported_on,
    CAST(i % 1000 AS DOUBLE) / 10                                    AS area_km2,
    CAST(i % 50000 AS BIGINT)                                        AS population,
    'batch-' || CAST(i % 3 AS VARCHAR)                               AS ingest_batch
FROM range({rows}) t(i)
"""

TINY_SQL = """
CREATE OR REPLACE TABLE main.bench_tiny AS
SELECT lpad(CAST(i AS VARCHAR), 5, '0') AS unit_code, CAST(i AS INTEGER) AS regular_officers,
       'Xã' AS unit_type
FROM range(10) t(i)
"""


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make_db(path: Path, rows: int) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute(CREATE_SQL.format(rows=int(rows)))
    con.execute(TINY_SQL)
    con.close()


def child(db: str, batch_rows: int, repeat_tiny: int, memory_limit: str | None) -> dict:
    """Runs in a fresh process: set-up, fixed cost, big run; returns the figures."""
    t0 = time.perf_counter()
    import duckdb

    from pipelines.quality import gx_runner as R

    big = R.load_suite(SUITES / "bench_synthetic.yml")
    tiny = R.load_suite(SUITES / "bench_tiny.yml")
    R.get_session()
    setup = time.perf_counter() - t0

    con = duckdb.connect(db, read_only=True)
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    R.validate(con, tiny)  # warm-up: builds the GX suite objects once
    times, cpus = [], []
    for _ in range(repeat_tiny):
        t, c = time.perf_counter(), time.process_time()
        R.validate(con, tiny)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    fixed = sorted(times)[len(times) // 2]
    fixed_cpu = sorted(cpus)[len(cpus) // 2]

    base = _rss_now_mb()
    t, c = time.perf_counter(), time.process_time()
    res = R.validate(con, big, batch_rows=batch_rows)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "setup_s": setup,
        "fixed_cost_s": fixed,
        "fixed_cost_cpu_s": fixed_cpu,
        "rows": res.rows_validated,
        "batches": res.batches,
        "gx_runs": res.gx_runs,
        "expectations": len(res.results),
        "seconds": seconds,
        "cpu_s": cpu,
        "rss_before_mb": base,
        "peak_rss_mb": _peak_rss_mb(),
        "success": res.success,
        "failed": [o.name for o in res.results if not o.success],
    }


def run_child(db: Path, batch_rows: int, repeat_tiny: int, memory_limit: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", str(db), "--batch-rows", str(batch_rows),
           "--repeat-tiny", str(repeat_tiny)]
    if memory_limit:
        cmd += ["--duckdb-memory-limit", memory_limit]
    out = subprocess.run(
        cmd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_200_000)
    ap.add_argument("--batch-rows", type=int, default=250_000)
    ap.add_argument("--sizes", default="300000,1200000,2400000,4800000",
                    help="row counts for the memory-vs-rows check ('' to skip)")
    ap.add_argument("--repeat-tiny", type=int, default=10)
    ap.add_argument("--duckdb-memory-limit", default=None,
                    help="SET memory_limit for DuckDB in the big run, e.g. 256MB")
    ap.add_argument(
        "--series-memory-limit",
        default="64MB",
        help="DuckDB memory_limit for the memory-vs-rows series: DuckDB's buffer pool caches the pages it scans "
        "up to this limit, which would otherwise show up as growth with the table size ('' for no limit)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.batch_rows, args.repeat_tiny, args.duckdb_memory_limit)))
        return

    with tempfile.TemporaryDirectory(prefix="bench_gx_") as tmp:
        db = Path(tmp) / "bench.duckdb"
        make_db(db, args.rows)
        r = run_child(db, args.batch_rows, args.repeat_tiny, args.duckdb_memory_limit)
        print(f"GX import + session set-up      : {r['setup_s']:.2f} s (once per process)")
        print(
            f"fixed cost per run (10 rows, 5 exp): {r['fixed_cost_s'] * 1000:.0f} ms wall, "
            f"{r['fixed_cost_cpu_s'] * 1000:.0f} ms CPU (median of {args.repeat_tiny})"
        )
        print(
            f"big run: {r['rows']:,} rows x 15 cols, {r['expectations']} expectations, "
            f"{r['batches']} batches of {args.batch_rows:,}, {r['gx_runs']} GX runs: {r['seconds']:.2f} s wall, "
            f"{r['cpu_s']:.2f} s CPU"
        )
        print(f"  RSS before run {r['rss_before_mb']:.0f} MB, peak RSS {r['peak_rss_mb']:.0f} MB")
        print(f"  success={r['success']} failed={r['failed']}")

        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        if sizes:
            limit = args.series_memory_limit or None
            print(f"memory vs rows (fresh process each, DuckDB memory_limit={limit or 'default'}):")
            for n in sizes:
                make_db(db, n)
                r = run_child(db, args.batch_rows, 1, limit)
                print(
                    f"  {n:>10,} rows: {r['seconds']:6.2f} s ({r['cpu_s']:.2f} s CPU)  peak RSS {r['peak_rss_mb']:6.0f} MB "
                    f"(+{r['peak_rss_mb'] - r['rss_before_mb']:.0f} MB over pre-run RSS)"
                )


if __name__ == "__main__":
    main()
