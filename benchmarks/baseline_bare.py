"""The bare-DuckDB limit: run benchmarks/baseline_bare.sql over a folder of submission files, nothing else.

    python benchmarks/baseline_bare.py --csv-dir SUBMISSIONS --csv-dir XLSX_AS_CSV --out bare.duckdb
    python benchmarks/baseline_bare.py --convert-xlsx SUBMISSIONS --to XLSX_AS_CSV   # once, outside any timing

DuckDB reads no XLSX without an extension, so the bare script is given the XLSX files already converted to CSV
(every sheet's cells, one after the other) by `--convert-xlsx`, which the benchmark runs before and outside the
timing: the bare figure is therefore a lower bound (the pipeline parses those XLSX files inside its timing).
Prints one JSON line: seconds spent in the SQL (in all and per statement), rows and province-months produced.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL = Path(__file__).with_name("baseline_bare.sql")
STATEMENT_RE = re.compile(r"^(?:create (?:or replace )?(?:temp )?(?:table|macro)|set variable) (\w+)", re.MULTILINE)


def alias_rows() -> list[tuple[str, str]]:
    """(folded header text, canonical column) for every header the contract accepts."""
    sys.path.insert(0, str(ROOT))
    from pipelines.submissions import contract

    rows = {}
    for col in contract.COLUMNS:
        for label in (col.header_vi, col.name, *col.aliases):
            rows[contract.fold(label)] = col.name
    for name, aliases in contract.META_COLUMNS.items():
        for label in (name, *aliases):
            rows[contract.fold(label)] = name
    return sorted(rows.items())


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def convert_xlsx(src: Path, dest: Path) -> int:
    """Write every src/*.xlsx as dest/<same stem>.csv (UTF-8, all sheets one after the other); files written."""
    from python_calamine import CalamineWorkbook

    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for path in sorted(src.glob("*.xlsx")):
        workbook = CalamineWorkbook.from_path(str(path))
        with open(dest / (path.stem + ".csv"), "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            for sheet in workbook.sheet_names:
                for row in workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False):
                    writer.writerow([_cell_text(v) for v in row])
        n += 1
    return n


def run(csv_dirs: list[Path], out: Path) -> dict:
    """Run the SQL script into a fresh DuckDB file; seconds and counts."""
    import duckdb

    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    con.execute("create table aliases (folded varchar, name varchar)")
    con.executemany("insert into aliases values (?, ?)", alias_rows())
    globs = [str(d / "*.csv") for d in csv_dirs if any(d.glob("*.csv"))]
    con.execute("set variable csv_globs = ?", [globs])
    statements, started = {}, time.perf_counter()
    for statement in (s for s in SQL.read_text(encoding="utf-8").split(";\n") if s.strip()):
        t = time.perf_counter()
        con.execute(statement)
        label = STATEMENT_RE.search(statement)
        statements[label.group(1) if label else f"statement {len(statements) + 1}"] = time.perf_counter() - t
    seconds = time.perf_counter() - started
    rows = con.execute("select count(*) from staffing_snapshot").fetchone()[0]
    marts = con.execute("select count(*) from province_staffing").fetchone()[0]
    con.close()
    return {"sql_seconds": seconds, "unit_rows": rows, "province_months": marts, "statements_s": statements}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv-dir", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--convert-xlsx", type=Path, help="folder whose *.xlsx to convert (then exit)")
    parser.add_argument("--to", type=Path, help="destination folder of --convert-xlsx")
    args = parser.parse_args(argv)
    if args.convert_xlsx:
        if not args.to:
            parser.error("--convert-xlsx needs --to")
        print(json.dumps({"converted": convert_xlsx(args.convert_xlsx, args.to)}))
        return 0
    if not args.csv_dir or not args.out:
        parser.error("--csv-dir and --out are required")
    print(json.dumps(run(args.csv_dir, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
