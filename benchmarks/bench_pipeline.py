"""The benchmark of issue #7: `make bench` (BENCH_ARGS=...) or `python benchmarks/bench_pipeline.py [options]`.

    python benchmarks/bench_pipeline.py                       # 1, 5 and 10 years, 3 runs each
    python benchmarks/bench_pipeline.py --years 1 10 --runs 1
    python benchmarks/bench_pipeline.py --quick               # smoke run: 1 year, 1 run, fewer repeats

National submission data (all provinces, monthly, N years ending --last-period) is generated once per set of
generator arguments under $BENCH_DIR (default /tmp/cpw-bench, never in git) and reused. Every measurement runs as
a subprocess whose wall time and process-tree peak RSS are measured (benchmarks/measure.py); figures are the
median, min and max over --runs runs:

- full refresh from an empty data dir (`python -m pipelines.cli refresh`), with per-step times from the run's
  Dagster event log;
- incremental refresh after one new province file (next month, one province) lands, at 1 and 10 years;
- the bare limit (benchmarks/baseline_bare.sql: raw files -> marts in one DuckDB script; XLSX pre-converted to CSV
  outside the timing) and a naive pandas pipeline (benchmarks/baseline_pandas.py, reads the XLSX itself);
- news extraction throughput (benchmarks/bench_news.py, one core);
- analyst query p50/p95 of docs/cookbook/*.sql on the published file (benchmarks/bench_queries.py).

Writes benchmarks/results/latest.json and the generated part of BENCHMARKS.md (between the markers; the rest of
the file is hand-written and kept).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from measure import Measurement, run_measured, summary  # noqa: E402

PY = sys.executable
GENERATOR = ROOT / "pipelines" / "submissions" / "generate.py"
RESULTS_JSON = HERE / "results" / "latest.json"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
START_MARK, END_MARK = "<!-- generated:start -->", "<!-- generated:end -->"
INGEST_STEP = "ingest_submissions"
RUN_ID_RE = re.compile(r"^run id:\s+(\S+)", re.MULTILINE)

TARGETS = {
    "full_refresh_wall_s": 30.0,
    "full_refresh_peak_rss_mb": 1536.0,
    "ingest_over_bare": 1.5,
    "pandas_over_ingest": 2.0,
    "incremental_wall_s": 12.0,
    "incremental_10y_over_1y": 1.2,
    "news_articles_per_s": 500.0,
    "query_p95_ms": 50.0,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Inputs: generated once per set of generator arguments, then reused.

def month_add(period: str, months: int) -> str:
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def generated(bench_dir: Path, first: str, last: str, seed: int, provinces: str = "all") -> Path:
    """Folder of generated submission files for these arguments (generated on first use; keyed by the arguments
    and the generator's source, so a changed generator regenerates)."""
    args = ["--from", first, "--to", last, "--provinces", provinces, "--seed", str(seed)]
    key = hashlib.sha256((" ".join(args) + GENERATOR.read_text(encoding="utf-8")).encode()).hexdigest()[:12]
    out = bench_dir / "inputs" / f"gen-{first}-{last}-{key}"
    done = out / ".complete"
    if done.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    log(f"generating {first}..{last} into {out}")
    t = time.perf_counter()
    proc = subprocess.run([PY, "-m", "pipelines.submissions.generate", *args, "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"generator failed:\n{proc.stderr}")
    done.write_text(json.dumps({"args": args, "seconds": time.perf_counter() - t,
                                "summary": proc.stderr.strip().splitlines()[-1]}), encoding="utf-8")
    return out


def xlsx_as_csv(gen: Path) -> Path:
    """The generated XLSX files converted to CSV for the bare script (cached beside the generated folder)."""
    out = gen.with_name(gen.name + "-xlsx-as-csv")
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([PY, str(HERE / "baseline_bare.py"), "--convert-xlsx", str(gen), "--to", str(out)],
                       check=True, capture_output=True)
        (out / ".complete").write_text("", encoding="utf-8")
    return out


def input_stats(gen: Path) -> dict:
    files = [p for p in gen.iterdir() if p.suffix in (".csv", ".xlsx")]
    info = json.loads((gen / ".complete").read_text(encoding="utf-8"))
    rows = re.search(r"(\d+) data rows", info.get("summary", ""))
    return {"files": len(files), "xlsx_files": sum(p.suffix == ".xlsx" for p in files),
            "bytes": sum(p.stat().st_size for p in files), "rows": int(rows.group(1)) if rows else None,
            "generator_args": info["args"], "folder": str(gen)}


def make_landing(dest: Path, gen: Path) -> Path:
    """A landing folder: submissions hard-linked from the generated set (read-only use), news from raw_inputs."""
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "submissions").mkdir(parents=True)
    for path in gen.iterdir():
        if path.suffix in (".csv", ".xlsx"):
            try:
                os.link(path, dest / "submissions" / path.name)
            except OSError:
                shutil.copy2(path, dest / "submissions" / path.name)
    shutil.copytree(ROOT / "raw_inputs" / "news", dest / "news")
    return dest


# ---------------------------------------------------------------------------------------------------------------
# The refresh and its stage times.

def refresh_env(data_dir: Path, landing: Path) -> dict[str, str]:
    (data_dir / "dagster_home").mkdir(parents=True, exist_ok=True)
    return {**os.environ, "WAREHOUSE_DATA_DIR": str(data_dir), "RAW_INPUTS_DIR": str(landing),
            "DAGSTER_HOME": str(data_dir / "dagster_home"), "PYTHONUNBUFFERED": "1"}


def _utc_epoch(value: object) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc).timestamp()


def step_times(data_dir: Path, run_id: str | None) -> list[dict]:
    """[{step, start, end, seconds, status}] from the run's SQLite event log (Dagster's default storage)."""
    if not run_id:
        return []
    db = data_dir / "dagster_home" / "history" / "runs" / f"{run_id}.db"
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute("select dagster_event_type, step_key, timestamp from event_logs "
                           "where dagster_event_type in ('STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE') "
                           "order by id").fetchall()
    finally:
        con.close()
    steps: dict[str, dict] = {}
    for kind, key, stamp in rows:
        if kind == "STEP_START":
            steps[key] = {"step": key, "start": _utc_epoch(stamp), "end": None, "seconds": None, "status": "started"}
        elif key in steps:
            steps[key]["end"] = _utc_epoch(stamp)
            steps[key]["seconds"] = steps[key]["end"] - steps[key]["start"]
            steps[key]["status"] = "success" if kind == "STEP_SUCCESS" else "failure"
    return list(steps.values())


def stages(m: Measurement, steps: list[dict]) -> dict[str, float]:
    """Seconds per stage: start-up (process start to first step), each step, and the rest (gaps and exit)."""
    done = [s for s in steps if s["seconds"] is not None]
    if not done:
        return {}
    out = {"startup (imports, instance)": max(0.0, min(s["start"] for s in done) - m.started_at)}
    for s in done:
        out[s["step"]] = s["seconds"]
    out["other (between steps, exit)"] = max(0.0, m.wall_s - sum(out.values()))
    return out


def run_refresh(data_dir: Path, landing: Path, logs: Path) -> dict:
    m = run_measured([PY, "-m", "pipelines.cli", "refresh"], env=refresh_env(data_dir, landing), cwd=ROOT,
                     log_dir=logs)
    found = RUN_ID_RE.search(m.stdout)
    run_id = found.group(1) if found else None
    steps = step_times(data_dir, run_id)
    result = {**m.figures(), "run_id": run_id, "ok": m.returncode == 0, "stages": stages(m, steps)}
    if m.returncode:
        result["error_tail"] = (m.stderr.strip().splitlines() or [""])[-3:]
        log(f"refresh FAILED (exit {m.returncode}): {' | '.join(result['error_tail'])}")
    return result


def stage_summary(runs: list[dict]) -> dict[str, dict]:
    names: list[str] = []
    for r in runs:
        names += [n for n in r["stages"] if n not in names]
    return {n: summary([r["stages"].get(n) for r in runs if n in r["stages"]]) for n in names}


def figures_summary(runs: list[dict]) -> dict:
    ok = [r for r in runs if r.get("ok", True)]
    return {"wall_s": summary([r["wall_s"] for r in ok]), "peak_tree_rss_mb": summary([r["peak_tree_rss_mb"] for r in ok]),
            "max_process_rss_mb": summary([r["max_process_rss_mb"] for r in ok]),
            "cpu_s": summary([r["cpu_user_s"] + r["cpu_sys_s"] for r in ok]), "failed_runs": len(runs) - len(ok)}


# ---------------------------------------------------------------------------------------------------------------
# The measurements.

def bench_full(years: int, gen: Path, work: Path, runs: int) -> tuple[dict, Path]:
    landing = make_landing(work / f"landing-{years}y", gen)
    data_dir = work / f"data-{years}y"
    results = []
    for i in range(runs):
        shutil.rmtree(data_dir, ignore_errors=True)
        log(f"full refresh, {years} y, run {i + 1}/{runs}")
        r = run_refresh(data_dir, landing, work / "logs")
        log(f"  {r['wall_s']:.1f} s, peak tree RSS {r['peak_tree_rss_mb']:.0f} MB")
        results.append(r)
    return {"runs": results, **figures_summary(results), "stages": stage_summary(results)}, data_dir


def bench_incremental(years: int, data_dir: Path, landing: Path, next_files: list[Path], runs: int,
                      work: Path) -> dict:
    """After the full refresh left data_dir at `years`, land one new province file per run and refresh."""
    results = []
    for i in range(runs):
        new = next_files[i % len(next_files)]
        shutil.copy2(new, landing / "submissions" / new.name)
        log(f"incremental refresh, {years} y, run {i + 1}/{runs}: + {new.name}")
        r = run_refresh(data_dir, landing, work / "logs")
        r["new_file"] = new.name
        log(f"  {r['wall_s']:.1f} s, peak tree RSS {r['peak_tree_rss_mb']:.0f} MB")
        results.append(r)
    return {"runs": results, **figures_summary(results), "stages": stage_summary(results)}


def _baseline_runs(label: str, runs: int, work: Path, cmd: list[str]) -> list[dict]:
    """Run a baseline script `runs` times, measured; each run's figures plus the JSON its last stdout line holds."""
    results = []
    for i in range(runs):
        log(f"{label}, run {i + 1}/{runs}")
        m = run_measured(cmd, cwd=ROOT, log_dir=work / "logs")
        r = {**m.figures(), "ok": m.returncode == 0}
        if m.returncode == 0:
            r.update(json.loads(m.stdout.strip().splitlines()[-1]))
        else:
            log(f"  FAILED: {m.stderr.strip().splitlines()[-1:]}")
        log(f"  {r['wall_s']:.1f} s, peak tree RSS {r['peak_tree_rss_mb']:.0f} MB")
        results.append(r)
    return results


def bench_bare(years: int, gen: Path, work: Path, runs: int) -> dict:
    csv_dir = xlsx_as_csv(gen)
    out = work / f"bare-{years}y.duckdb"
    results = _baseline_runs(f"bare DuckDB script, {years} y", runs, work,
                             [PY, str(HERE / "baseline_bare.py"), "--csv-dir", str(gen), "--csv-dir", str(csv_dir),
                              "--out", str(out)])
    ok = [r for r in results if r["ok"]]
    names = list(ok[0].get("statements_s", {})) if ok else []
    return {"runs": results, **figures_summary(results), "output": str(out),
            "sql_s": summary([r.get("sql_seconds") for r in ok]),
            "statements_s": {n: summary([r["statements_s"].get(n) for r in ok]) for n in names}}


def bench_pandas(years: int, gen: Path, work: Path, runs: int) -> dict:
    out = work / f"pandas-{years}y.csv"
    results = _baseline_runs(f"naive pandas pipeline, {years} y", runs, work,
                             [PY, str(HERE / "baseline_pandas.py"), "--submissions", str(gen), "--out", str(out)])
    return {"runs": results, **figures_summary(results), "output": str(out)}


MART_COLUMNS = ("units_reported", "units_with_regular_police", "officers_total", "semi_professional_total",
                "heads_total", "deputies_total", "ca_vien_total", "investigators_total", "officers_trained")


def compare_marts(published: Path, bare_db: Path | None, pandas_csv: Path | None) -> dict:
    """How many province-months of the baselines equal the pipeline's mart_province_staffing (as submitted)."""
    import duckdb

    con = duckdb.connect()
    out: dict = {}
    try:
        con.execute("attach ? as p (read_only)", [str(published)])
        cols = ", ".join(f"coalesce({c}, 0)::double as {c}" for c in MART_COLUMNS)
        pipeline = (f"select geography as map_version, province_code, period, {cols} "
                    "from p.marts.mart_province_staffing where geography = source_map_version")
        out["pipeline_province_months"] = con.execute(f"select count(*) from ({pipeline})").fetchone()[0]
        sources = {}
        if bare_db and bare_db.exists():
            con.execute("attach ? as b (read_only)", [str(bare_db)])
            sources["bare"] = f"select map_version, province_code, period, {cols} from b.province_staffing"
        if pandas_csv and pandas_csv.exists():
            sources["pandas"] = (f"select map_version, province_code, period, {cols} from read_csv(?, "
                                 "types = {'province_code': 'varchar', 'period': 'varchar'})")
        for name, sql in sources.items():
            params = [str(pandas_csv)] if name == "pandas" else []
            total = con.execute(f"select count(*) from ({sql})", params).fetchone()[0]
            same = con.execute(f"select count(*) from ({sql} intersect {pipeline})", params).fetchone()[0]
            out[name] = {"province_months": total, "equal_to_pipeline": same}
    except duckdb.Error as exc:
        out["error"] = str(exc).splitlines()[0]
    finally:
        con.close()
    return out


def bench_queries(published: Path, repeat: int, work: Path) -> dict:
    m = run_measured([PY, str(HERE / "bench_queries.py"), "--db", str(published), "--repeat", str(repeat)],
                     cwd=ROOT, log_dir=work / "logs")
    if m.returncode:
        return {"ok": False, "error": m.stderr.strip().splitlines()[-1:]}
    return {"ok": True, **json.loads(m.stdout.strip().splitlines()[-1])}


NEWS_RE = re.compile(r"articles/s \((CPU|wall)\):\s*median\s+([\d.]+),\s*min\s+([\d.]+),\s*max\s+([\d.]+)")


def bench_news(runs: int, articles: int | None, work: Path) -> dict:
    command = [PY, str(HERE / "bench_news.py"), "--runs", str(runs)]
    if articles:
        command += ["--articles", str(articles)]
    log("news extraction throughput (benchmarks/bench_news.py)")
    m = run_measured(command, cwd=ROOT, log_dir=work / "logs")
    out: dict = {"ok": m.returncode == 0, "command": " ".join(["python", *command[1:]]).replace(str(ROOT) + "/", ""),
                 "output": m.stdout.strip().splitlines()}
    for kind, median, lo, hi in NEWS_RE.findall(m.stdout):
        out[f"articles_per_s_{kind.lower()}"] = {"median": float(median), "min": float(lo), "max": float(hi)}
    if m.returncode:
        out["error"] = m.stderr.strip().splitlines()[-3:]
    return out


# ---------------------------------------------------------------------------------------------------------------
# Machine, versions, report.

def machine() -> dict:
    mem_kb = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor() or "unknown")
    return {"cpu_model": model, "logical_cpus": os.cpu_count(), "cpus_allowed": len(os.sched_getaffinity(0)),
            "memory_gb": round(mem_kb / 1024 / 1024, 1), "os": platform.platform(),
            "load_average_at_start": os.getloadavg()}


def versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ("duckdb", "dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "great-expectations", "pandas",
                 "pyarrow", "python-calamine"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def git_state() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--", "pipelines", "dbt_project", "expectations")
    return {"commit": git("rev-parse", "--short", "HEAD"), "pipeline_code_uncommitted_changes": bool(dirty)}


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def evaluate(results: dict) -> list[dict]:
    """The issue's targets against the figures (at 10 years where the target says so)."""
    full, bare, pandas = results.get("full_refresh", {}), results.get("bare", {}), results.get("pandas", {})
    inc, news, queries = results.get("incremental", {}), results.get("news", {}), results.get("queries", {})
    big = max((int(k) for k in full), default=None)
    at10 = "10" in full
    label = f"{big} y" if big is not None else "-"
    rows = []

    def add(target: str, value: float | None, limit: float, higher_is_better: bool, unit: str, scope: str,
            note: str = "") -> None:
        if value is None:
            verdict = "not measured"
        else:
            verdict = "pass" if (value >= limit if higher_is_better else value <= limit) else "MISS"
        rows.append({"target": target, "value": value, "limit": limit, "unit": unit, "scope": scope,
                     "verdict": verdict, "note": note})

    scope_note = "" if at10 else "target is for 10 years; shown at the largest size measured"
    if big is not None:
        f = full[str(big)]
        add("full refresh wall", f["wall_s"]["median"], TARGETS["full_refresh_wall_s"], False, "s", label, scope_note)
        add("full refresh peak RSS (process tree)", f["peak_tree_rss_mb"]["median"],
            TARGETS["full_refresh_peak_rss_mb"], False, "MB", label, scope_note)
        ingest = f["stages"].get(INGEST_STEP, {}).get("median")
        b = bare.get(str(big), {}).get("wall_s", {}).get("median")
        p = pandas.get(str(big), {}).get("wall_s", {}).get("median")
        add("ingest stage / bare DuckDB", ratio(ingest, b), TARGETS["ingest_over_bare"], False, "x", label, scope_note)
        add("naive pandas / ingest stage", ratio(p, ingest), TARGETS["pandas_over_ingest"], True, "x", label,
            scope_note)
    for y in sorted(inc, key=int):
        add(f"incremental refresh wall ({y} y)", inc[y]["wall_s"]["median"], TARGETS["incremental_wall_s"], False,
            "s", f"{y} y")
    if "1" in inc and "10" in inc:
        add("incremental 10 y / 1 y", ratio(inc["10"]["wall_s"]["median"], inc["1"]["wall_s"]["median"]),
            TARGETS["incremental_10y_over_1y"], False, "x", "10 y vs 1 y")
    else:
        add("incremental 10 y / 1 y", None, TARGETS["incremental_10y_over_1y"], False, "x", "10 y vs 1 y",
            "needs --years with 1 and 10")
    add("news extraction (CPU, one core)", news.get("articles_per_s_cpu", {}).get("median"),
        TARGETS["news_articles_per_s"], True, "articles/s", "one core")
    if queries:
        qbig = str(max(int(k) for k in queries))
        q = queries[qbig]
        if q.get("ok"):
            add("analyst query p95 (all timings pooled)", q["overall"]["p95_ms"], TARGETS["query_p95_ms"], False,
                "ms", f"{qbig} y")
            add("analyst query p95 (slowest query)", q["worst_query_p95_ms"], TARGETS["query_p95_ms"], False, "ms",
                f"{qbig} y")
    return rows


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def sm(s: dict | None, digits: int = 1) -> str:
    """'median (min-max)' of a summary."""
    if not s or s.get("median") is None:
        return "-"
    if s["n"] == 1:
        return fmt(s["median"], digits)
    return f"{fmt(s['median'], digits)} ({fmt(s['min'], digits)}-{fmt(s['max'], digits)})"


def reading(results: dict) -> list[str]:
    """A short generated reading of what dominates the time."""
    lines = []
    full = results.get("full_refresh", {})
    if full:
        big = str(max(int(k) for k in full))
        st = {k: v["median"] for k, v in full[big]["stages"].items() if v["median"] is not None}
        total = full[big]["wall_s"]["median"]
        if st and total:
            top = sorted(st.items(), key=lambda kv: -kv[1])[:3]
            parts = ", ".join(f"`{k}` {v:.1f} s ({100 * v / total:.0f} %)" for k, v in top)
            lines.append(f"- Full refresh at {big} y ({total:.1f} s median): the largest stages are {parts}.")
        b = results.get("bare", {}).get(big, {}).get("wall_s", {}).get("median")
        p = results.get("pandas", {}).get(big, {}).get("wall_s", {}).get("median")
        ingest = st.get(INGEST_STEP)
        if b and total:
            lines.append(f"- The whole refresh takes {total / b:.1f}x the bare DuckDB script ({b:.1f} s) at {big} y; "
                         f"the ingest step alone {fmt(ratio(ingest, b), 2)}x; naive pandas takes "
                         f"{fmt(ratio(p, ingest), 2)}x the ingest step."
                         if ingest else f"- The whole refresh takes {total / b:.1f}x the bare DuckDB script.")
        bare_steps = {k: v["median"] for k, v in results.get("bare", {}).get(big, {}).get("statements_s", {}).items()
                      if v["median"] is not None}
        if bare_steps and b:
            name, seconds = max(bare_steps.items(), key=lambda kv: kv[1])
            lines.append(f"- In the bare script at {big} y, `{name}` takes {seconds:.1f} s of its {b:.1f} s.")
        sizes = sorted(full, key=int)
        if len(sizes) > 1 and INGEST_STEP in full[sizes[0]]["stages"]:
            growth = []
            for k in sizes:
                s = full[k]["stages"]
                growth.append(f"{k} y: total {full[k]['wall_s']['median']:.1f} s, ingest "
                              f"{fmt(s.get(INGEST_STEP, {}).get('median'))} s, dbt "
                              f"{fmt(s.get('dbt_models', {}).get('median'))} s")
            lines.append("- Growth with history: " + "; ".join(growth) + ".")
    inc = results.get("incremental", {})
    for y in sorted(inc, key=int):
        st = {k: v["median"] for k, v in inc[y]["stages"].items() if v["median"] is not None}
        if st:
            top = sorted(st.items(), key=lambda kv: -kv[1])[:3]
            lines.append(f"- Incremental refresh at {y} y ({inc[y]['wall_s']['median']:.1f} s): "
                         + ", ".join(f"`{k}` {v:.1f} s" for k, v in top) + ".")
    m = results.get("machine", {})
    load = m.get("load_average_at_start")
    if load:
        lines.append(f"- Load average at start {load[0]:.1f} / at end {fmt((results.get('load_average_at_end') or [None])[0])}"
                     f" on {m.get('cpus_allowed')} CPUs: on a shared machine wall times include waiting for the CPU.")
    return lines


def render(results: dict) -> str:
    out = [START_MARK, "", "## Latest run (generated by `benchmarks/bench_pipeline.py`; do not edit by hand)", ""]
    m, v, g = results["machine"], results["versions"], results["git"]
    out += [f"Run {results['started']} to {results['finished']} ({results['mode']}), "
            f"commit `{g['commit']}`{' with uncommitted pipeline changes' if g['pipeline_code_uncommitted_changes'] else ''}.",
            "",
            f"- **Machine:** {m['cpu_model']}, {m['cpus_allowed']} CPUs usable ({m['logical_cpus']} logical), "
            f"{m['memory_gb']} GB memory, {m['os']}; load average at start "
            f"{' '.join(f'{x:.2f}' for x in m['load_average_at_start'])}, at end "
            f"{' '.join(f'{x:.2f}' for x in results.get('load_average_at_end') or [])}.",
            "- **Versions:** " + ", ".join(f"{k} {val}" for k, val in v.items() if val),
            f"- **Runs:** median (min-max) of {results['runs']} run(s) per figure; wall seconds, peak RSS of the "
            "whole process tree (sampled every 50 ms, summed over the process and its descendants).",
            "", "### Reproduce", "", "```bash", *results["commands"], "```", ""]

    out += ["### Inputs", "", "| years | periods | files (XLSX) | unit-month rows | MB |", "|---|---|---|---|---|"]
    for y, s in sorted(results["inputs"].items(), key=lambda kv: int(kv[0])):
        a = s["generator_args"]
        out.append(f"| {y} | {a[1]}..{a[3]} | {s['files']:,} ({s['xlsx_files']:,}) | {fmt(s['rows'], 0)} | "
                   f"{s['bytes'] / 2**20:.0f} |")
    out.append("")

    out += ["### Targets", "", "| target | scope | measured | limit | verdict | note |", "|---|---|---|---|---|---|"]
    for t in results["targets"]:
        op = ">=" if t["target"].startswith(("news", "naive")) else "<="
        out.append(f"| {t['target']} | {t['scope']} | {fmt(t['value'], 2)} {t['unit']} | {op} {t['limit']:g} "
                   f"{t['unit']} | {t['verdict']} | {t['note']} |")
    out.append("")

    def table(title: str, data: dict, extra: str) -> None:
        if not data:
            return
        out.extend([f"### {title}", "", extra, "", "| years | wall s | peak tree RSS MB | largest process RSS MB | "
                    "CPU s | failed runs |", "|---|---|---|---|---|---|"])
        for y, d in sorted(data.items(), key=lambda kv: int(kv[0])):
            out.append(f"| {y} | {sm(d['wall_s'])} | {sm(d['peak_tree_rss_mb'], 0)} | "
                       f"{sm(d['max_process_rss_mb'], 0)} | {sm(d['cpu_s'])} | {d['failed_runs']} |")
        out.append("")

    def stage_table(title: str, data: dict) -> None:
        if not data:
            return
        sizes = sorted(data, key=int)
        names: list[str] = []
        for y in sizes:
            names += [n for n in data[y]["stages"] if n not in names]
        out.extend([f"#### {title}: stages (seconds, from the Dagster event log)", "",
                    "| stage | " + " | ".join(f"{y} y" for y in sizes) + " |", "|---" * (len(sizes) + 1) + "|"])
        for n in names:
            out.append(f"| `{n}` | " + " | ".join(sm(data[y]["stages"].get(n), 2) for y in sizes) + " |")
        out.append("")

    table("Full refresh from an empty data dir", results.get("full_refresh", {}),
          "`python -m pipelines.cli refresh` with a fresh `WAREHOUSE_DATA_DIR`; landing = the generated files "
          "plus the shipped news sample.")
    stage_table("Full refresh", results.get("full_refresh", {}))
    table("Incremental refresh after one new province file", results.get("incremental", {}),
          "After the full refresh above, one province's file for the next month is copied into the landing "
          "folder and the refresh runs again (a different province each run).")
    stage_table("Incremental refresh", results.get("incremental", {}))
    inc = results.get("incremental", {})
    if "1" in inc and "10" in inc:
        out += [f"Incremental 10 y / 1 y: {fmt(ratio(inc['10']['wall_s']['median'], inc['1']['wall_s']['median']), 2)}x.",
                ""]
    table("Bare DuckDB limit", results.get("bare", {}),
          "`benchmarks/baseline_bare.sql` run by `benchmarks/baseline_bare.py`: raw CSV files -> unit rows -> "
          "province x period staffing, no validation, no audit, no orchestration. XLSX files are converted to "
          "CSV before and outside the timing (DuckDB reads no XLSX without an extension), so this is a lower bound.")
    bare = results.get("bare", {})
    if any(d.get("statements_s") for d in bare.values()):
        sizes = sorted(bare, key=int)
        names: list[str] = []
        for y in sizes:
            names += [n for n in bare[y].get("statements_s", {}) if n not in names]
        out.extend(["#### Bare DuckDB limit: seconds per SQL statement (what is created)", "",
                    "| statement | " + " | ".join(f"{y} y" for y in sizes) + " |", "|---" * (len(sizes) + 1) + "|"])
        for n in names:
            out.append(f"| `{n}` | " + " | ".join(sm(bare[y].get("statements_s", {}).get(n), 2) for y in sizes) + " |")
        out.append("")
    table("Naive pandas pipeline", results.get("pandas", {}),
          "`benchmarks/baseline_pandas.py`: pandas.read_csv / read_excel (calamine) per file, find the header, "
          "append, concat, latest file per province-month, group. Reads the XLSX itself.")

    comp = results.get("ratios", {})
    if comp:
        out += ["### Ratios", "", "| years | refresh / bare | ingest step / bare | pandas / ingest step | "
                "pandas / bare | baseline marts equal to the pipeline's |", "|---|---|---|---|---|---|"]
        for y, c in sorted(comp.items(), key=lambda kv: int(kv[0])):
            eq = c.get("marts_check", {})
            parts = []
            for name in ("bare", "pandas"):
                if name in eq:
                    parts.append(f"{name} {eq[name]['equal_to_pipeline']}/{eq['pipeline_province_months']}")
            out.append(f"| {y} | {fmt(c.get('refresh_over_bare'), 2)} | {fmt(c.get('ingest_over_bare'), 2)} | "
                       f"{fmt(c.get('pandas_over_ingest'), 2)} | {fmt(c.get('pandas_over_bare'), 2)} | "
                       f"{', '.join(parts) or eq.get('error', '-')} |")
        out += ["", "Marts compared: `marts.mart_province_staffing` rows in the map they were submitted in "
                "(units reported and with regular police, officers, semi-professional, heads, deputies, công an "
                "viên, investigators, trained), province-months equal in every column.", ""]

    news = results.get("news", {})
    if news:
        out += ["### News extraction", "", f"`{news.get('command', '')}`", "", "```", *news.get("output", []), "```",
                ""]
    queries = results.get("queries", {})
    if queries:
        for y, q in sorted(queries.items(), key=lambda kv: int(kv[0])):
            if not q.get("ok"):
                out += [f"### Analyst queries ({y} y): failed: {q.get('error')}", ""]
                continue
            out += [f"### Analyst queries ({y} y warehouse)", "",
                    f"Each `docs/cookbook/*.sql` on the published file through a read-only connection: "
                    f"{q['warmup']} warm-up, then {q['repeat']} timed runs (execute + fetch).", "",
                    "| query | p50 ms | p95 ms | max ms | rows |", "|---|---|---|---|---|"]
            for name, s in q["queries"].items():
                out.append(f"| {name} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['max_ms']:.1f} | {s['rows']} |")
            o = q["overall"]
            out += [f"| **all** | {o['p50_ms']:.1f} | {o['p95_ms']:.1f} | {o['max_ms']:.1f} | |", ""]

    out += ["### Reading (generated)", "", *reading(results), "", END_MARK]
    return "\n".join(out) + "\n"


HAND_WRITTEN = """# Benchmarks

How fast and how big the refresh is on national data, against a bare DuckDB script and a naive pandas pipeline
(issue #7). Run `make bench` (`BENCH_ARGS="--years 1 10 --runs 1"`, `--quick` for a smoke run); the part between
the markers below is rewritten by `benchmarks/bench_pipeline.py` from its own measurements
(raw figures in `benchmarks/results/latest.json`); everything outside the markers is hand-written and kept.

## Commentary (hand-written)

_Add notes on the latest figures here; the script never touches this section._

"""


def write_markdown(results: dict, path: Path) -> None:
    block = render(results)
    text = path.read_text(encoding="utf-8") if path.exists() else HAND_WRITTEN
    if START_MARK in text and END_MARK in text:
        head, rest = text.split(START_MARK, 1)
        tail = rest.split(END_MARK, 1)[1]
        text = head + block.rstrip("\n") + tail
        if not text.endswith("\n"):
            text += "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5, 10], help="sizes of history (default 1 5 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--incremental-years", type=int, nargs="*",
                        help="sizes for the incremental refresh (default: 1 and 10 among --years)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 year, 1 run, 5 query repeats, 500 news articles x 1 run")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["full", "incremental", "bare", "pandas", "news", "queries"])
    parser.add_argument("--last-period", default="2026-10", help="last generated month (default 2026-10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--query-repeat", type=int, default=20)
    parser.add_argument("--bench-dir", type=Path, default=Path(os.environ.get("BENCH_DIR") or "/tmp/cpw-bench"))
    parser.add_argument("--json", type=Path, default=RESULTS_JSON)
    parser.add_argument("--markdown", type=Path, default=BENCHMARKS_MD)
    parser.add_argument("--no-write", action="store_true", help="print the results only; write no files in git")
    args = parser.parse_args(argv)
    if args.quick:
        args.years, args.runs, args.query_repeat = [1], 1, 5
    years = sorted(set(args.years))
    inc_years = sorted(set(args.incremental_years if args.incremental_years is not None
                           else [y for y in years if y in (1, 10)] or years[:1]))
    skip = set(args.skip)
    bench_dir = args.bench_dir.resolve()
    if bench_dir == ROOT or ROOT in bench_dir.parents:
        parser.error("--bench-dir must be outside the git working tree")
    work = bench_dir / "work"
    work.mkdir(parents=True, exist_ok=True)

    command = "make bench" + (f' BENCH_ARGS="{" ".join(argv if argv is not None else sys.argv[1:])}"'
                              if (argv if argv is not None else sys.argv[1:]) else "")
    results: dict = {
        "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "runs": args.runs, "years": years, "incremental_years": inc_years, "bench_dir": str(bench_dir),
        "machine": machine(), "versions": versions(), "git": git_state(), "targets_spec": TARGETS,
        "commands": [command,
                     "# or: .venv/bin/python benchmarks/bench_pipeline.py " + " ".join(
                         argv if argv is not None else sys.argv[1:]),
                     f"# data: python -m pipelines.submissions.generate --from <first> --to {args.last_period} "
                     f"--provinces all --seed {args.seed} --out $BENCH_DIR/inputs/..."],
        "inputs": {}, "full_refresh": {}, "incremental": {}, "bare": {}, "pandas": {}, "queries": {},
        "ratios": {},
    }
    next_period = month_add(args.last_period, 1)
    next_files: list[Path] = []
    if "incremental" not in skip and inc_years:
        next_gen = generated(bench_dir, next_period, next_period, args.seed)
        next_files = sorted(p for p in next_gen.iterdir()
                            if re.fullmatch(rf"\d{{2}}_{next_period}\.(csv|xlsx)", p.name))

    for y in years:
        gen = generated(bench_dir, month_add(args.last_period, -12 * y + 1), args.last_period, args.seed)
        results["inputs"][str(y)] = input_stats(gen)
        log(f"{y} y: {results['inputs'][str(y)]['files']} files, {results['inputs'][str(y)]['rows']} rows")
        data_dir = None
        if "full" not in skip or (y in inc_years and "incremental" not in skip) or "queries" not in skip:
            full, data_dir = bench_full(y, gen, work, 1 if "full" in skip else args.runs)
            if "full" not in skip:
                results["full_refresh"][str(y)] = full
        bare = pandas = None
        if "bare" not in skip:
            results["bare"][str(y)] = bench_bare(y, gen, work, args.runs)
            bare = Path(results["bare"][str(y)]["output"])
        if "pandas" not in skip:
            results["pandas"][str(y)] = bench_pandas(y, gen, work, args.runs)
            pandas = Path(results["pandas"][str(y)]["output"])
        published = data_dir / "warehouse.duckdb" if data_dir else None
        if published and published.exists():
            f = results["full_refresh"].get(str(y), {})
            ingest = f.get("stages", {}).get(INGEST_STEP, {}).get("median")
            b = results["bare"].get(str(y), {}).get("wall_s", {}).get("median")
            p = results["pandas"].get(str(y), {}).get("wall_s", {}).get("median")
            results["ratios"][str(y)] = {
                "refresh_over_bare": ratio(f.get("wall_s", {}).get("median"), b),
                "ingest_over_bare": ratio(ingest, b), "pandas_over_ingest": ratio(p, ingest),
                "pandas_over_bare": ratio(p, b), "marts_check": compare_marts(published, bare, pandas)}
            if "queries" not in skip:
                log(f"analyst queries on the {y} y warehouse")
                results["queries"][str(y)] = bench_queries(published, args.query_repeat, work)
        if y in inc_years and "incremental" not in skip and data_dir:
            results["incremental"][str(y)] = bench_incremental(y, data_dir, work / f"landing-{y}y", next_files,
                                                               args.runs, work)
    if "news" not in skip:
        results["news"] = bench_news(1 if args.quick else max(3, args.runs), 500 if args.quick else None, work)

    results["finished"] = datetime.now().astimezone().isoformat(timespec="seconds")
    results["load_average_at_end"] = os.getloadavg()
    results["targets"] = evaluate(results)
    for t in results["targets"]:
        log(f"target {t['target']} ({t['scope']}): {fmt(t['value'], 2)} {t['unit']} -> {t['verdict']}")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (bench_dir / "results").mkdir(exist_ok=True)
    (bench_dir / "results" / f"{stamp}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    if not args.no_write:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        write_markdown(results, args.markdown)
        log(f"wrote {args.json} and {args.markdown}")
    else:
        print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
