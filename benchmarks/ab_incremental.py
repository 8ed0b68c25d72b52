"""A/B of the incremental refresh of two checkouts, interleaved on the same machine state.

    git worktree add /tmp/before <rev>
    (cd /tmp/before/dbt_project && "$OLDPWD/.venv/bin/dbt" parse --profiles-dir .)   # its manifest
    .venv/bin/python benchmarks/ab_incremental.py --old /tmp/before --new . --years 10 1 --runs 2

On a shared machine, figures from different hours do not compare (the same code measured 28 s one day and 41 s the
next); an interleaved A/B does. For each checkout and size of history: a full refresh of the generated national
data (`make bench` must have generated it under --bench-dir), kept as a snapshot; then, per run, the snapshot is
restored at the same path (so dbt's partial parse stays valid), one new province file lands, and the incremental
refresh is timed with the same code `make bench` uses (each checkout's own `benchmarks/bench_pipeline.py`).
Every round runs each size for both checkouts (old/new, then new/old in the next round). Prints one line per run (wall, CPU of the process tree, stages) and writes the
figures as JSON to --out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from types import ModuleType


def load_bench(root: Path, name: str) -> ModuleType:
    """A checkout's bench_pipeline module (its ROOT is that checkout, so refreshes run its code)."""
    spec = importlib.util.spec_from_file_location(name, root / "benchmarks" / "bench_pipeline.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def generated(inputs: Path, first: str, last: str) -> Path:
    """The generated set covering first..last (months), made by `make bench` (the newest, if several)."""
    found = [p for p in inputs.glob(f"gen-{first}-{last}-*") if not p.name.endswith("-xlsx-as-csv")]
    if not found:
        sys.exit(f"no generated data for {first}..{last} under {inputs}: run `make bench` first")
    return max(found, key=lambda p: p.stat().st_mtime)  # the newest generator's


def months(last_period: str, years: int) -> tuple[str, str]:
    """(first month of `years` of history ending at `last_period`, the month after it): ('2016-11', '2026-11')."""
    year, month = map(int, last_period.split("-"))
    return f"{year - years + month // 12}-{month % 12 + 1:02d}", f"{year + month // 12}-{month % 12 + 1:02d}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", type=Path, required=True, help="checkout measured as 'old'")
    ap.add_argument("--new", type=Path, required=True, help="checkout measured as 'new'")
    ap.add_argument("--years", type=int, nargs="+", default=[10, 1])
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--last-period", default="2026-10")
    ap.add_argument("--new-file", default="04_2026-11.csv", help="the province file that lands (next month)")
    ap.add_argument("--bench-dir", type=Path, default=Path("/tmp/cpw-bench"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/cpw-ab"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/cpw-ab/results.json"))
    args = ap.parse_args()

    nxt = months(args.last_period, 1)[1]
    new_file = generated(args.bench_dir / "inputs", nxt, nxt) / args.new_file
    benches = {"old": load_bench(args.old.resolve(), "bench_old"), "new": load_bench(args.new.resolve(), "bench_new")}
    logs = args.work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    results = []
    for years in args.years:  # a full refresh per checkout and size, kept as a snapshot
        gen = generated(args.bench_dir / "inputs", months(args.last_period, years)[0], args.last_period)
        for variant, bench in benches.items():
            base = args.work / variant
            data, snap, landing = base / f"data-{years}y", base / f"data-{years}y.snap", base / f"landing-{years}y"
            if not snap.exists():
                shutil.rmtree(data, ignore_errors=True)
                bench.make_landing(landing, gen)
                full = bench.run_refresh(data, landing, logs)
                print(f"full {variant} {years} y: {full['wall_s']:.1f} s ok={full['ok']}", flush=True)
                subprocess.run(["cp", "-a", str(data), str(snap)], check=True)
    # Sizes and checkouts interleaved within every round, so a change of machine speed between rounds moves
    # both sides of the 10 y / 1 y ratio and of the old / new comparison alike.
    for run in range(args.runs):
        for years in args.years:
            for variant in (["old", "new"] if run % 2 == 0 else ["new", "old"]):
                bench, base = benches[variant], args.work / variant
                data, snap, landing = base / f"data-{years}y", base / f"data-{years}y.snap", base / f"landing-{years}y"
                shutil.rmtree(data)
                subprocess.run(["cp", "-a", str(snap), str(data)], check=True)
                landed = landing / "submissions" / new_file.name
                shutil.copy2(new_file, landed)
                r = bench.run_refresh(data, landing, logs)
                landed.unlink()
                cpu = r["cpu_user_s"] + r["cpu_sys_s"]
                print(f"{variant} {years} y run {run + 1}: wall {r['wall_s']:.1f} s, CPU {cpu:.1f} s, ok={r['ok']}; "
                      + ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items()), flush=True)
                results.append({"variant": variant, "years": years, "run": run + 1, "wall_s": r["wall_s"],
                                "cpu_s": cpu, "ok": r["ok"], "stages": r["stages"]})
    for variant in benches:
        walls = {y: statistics.median(r["wall_s"] for r in results if r["variant"] == variant and r["years"] == y)
                 for y in args.years}
        line = ", ".join(f"{y} y {w:.1f} s" for y, w in walls.items())
        if len(walls) > 1:
            line += f"; {max(walls)} y / {min(walls)} y = {walls[max(walls)] / walls[min(walls)]:.2f}x"
        print(f"{variant}: median wall {line}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
