"""Analyst query latency: every docs/cookbook/*.sql on a published warehouse, through a read-only connection.

    python benchmarks/bench_queries.py --db DATA_DIR/warehouse.duckdb [--repeat 20] [--warmup 1]

Each query is run `--warmup` times untimed, then `--repeat` times timed (execute + fetch all rows, one connection
opened once, as an analyst's session would). Prints one JSON line: p50/p95/max in ms per query and over all timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import percentile  # noqa: E402

COOKBOOK = ROOT / "docs" / "cookbook"


def run(db: Path, repeat: int, warmup: int) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    per_query, pooled = {}, []
    try:
        for path in sorted(COOKBOOK.glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            for _ in range(warmup):
                con.execute(sql).fetchall()
            times = []
            rows = 0
            for _ in range(repeat):
                t = time.perf_counter()
                rows = len(con.execute(sql).fetchall())
                times.append((time.perf_counter() - t) * 1000)
            pooled += times
            per_query[path.stem] = {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
                                    "max_ms": max(times), "rows": rows}
    finally:
        con.close()
    return {"repeat": repeat, "warmup": warmup, "queries": per_query,
            "overall": {"p50_ms": percentile(pooled, 50), "p95_ms": percentile(pooled, 95), "max_ms": max(pooled)},
            "worst_query_p95_ms": max(q["p95_ms"] for q in per_query.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.db, args.repeat, args.warmup)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
