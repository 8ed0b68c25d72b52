"""A naive pandas pipeline for the same staffing marts: read each file with pandas, append, concat, group.

    python benchmarks/baseline_pandas.py --submissions DIR --out marts.csv

What a competent analyst would write without the warehouse: for every file, pandas.read_csv (UTF-16 tab-separated
or UTF-8 comma-separated, by the byte-order mark) or pandas.read_excel (calamine engine, every sheet) as a grid of
text, find the header row by its wording (the contract's header aliases), rename, keep the rows with a numeric unit
code and a name, append; then concat, keep the latest file of each province-month, type the counts and group by
province and month. XLSX files are read here, inside the timing. Prints one JSON line with seconds and counts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.submissions import contract  # noqa: E402  (only the header aliases and fold())

COUNTS = ("regular_officers", "semi_professional_officers", "heads", "deputies", "ca_vien", "investigators",
          "deputies_investigators", "officers_trained")
KEEP = ("unit_code", "unit_name", "unit_type", *COUNTS, "head_is_investigator")
ALIASES = {contract.fold(label): col.name for col in contract.COLUMNS
           for label in (col.header_vi, col.name, *col.aliases)}
NAME_RE = re.compile(r"^(\d{2})_(\d{4}-\d{2})")


def header_row(grid: pd.DataFrame) -> int | None:
    """Index of the first row (of the first 30) where at least 3 cells are known headers."""
    for i, row in enumerate(grid.head(30).itertuples(index=False)):
        if sum(1 for cell in row if isinstance(cell, str) and contract.fold(cell) in ALIASES) >= 3:
            return i
    return None


def table_from_grid(grid: pd.DataFrame) -> pd.DataFrame | None:
    h = header_row(grid)
    if h is None:
        return None
    names = [ALIASES.get(contract.fold(c), None) if isinstance(c, str) else None for c in grid.iloc[h]]
    body = grid.iloc[h + 1:]
    keep = {i: n for i, n in enumerate(names) if n in KEEP}
    body = body[list(keep)]
    body.columns = list(keep.values())
    return body


def read_file(path: Path) -> pd.DataFrame | None:
    if path.suffix.lower() == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="calamine")
        for grid in sheets.values():
            table = table_from_grid(grid)
            if table is not None:
                return table
        return None
    with open(path, "rb") as fh:
        utf16 = fh.read(2) == b"\xff\xfe"
    grid = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False,
                       sep="\t" if utf16 else ",", encoding="utf-16" if utf16 else "utf-8-sig",
                       names=range(24))
    return table_from_grid(grid)


def run(submissions: Path, out: Path) -> dict:
    started = time.perf_counter()
    frames = []
    for path in sorted(submissions.iterdir()):
        if path.suffix.lower() not in (".csv", ".xlsx"):
            continue
        m = NAME_RE.match(path.name)
        table = read_file(path)
        if m is None or table is None:
            continue
        table = table.assign(province_code=m.group(1), period=m.group(2), file_name=path.name)
        frames.append(table)
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["unit_code"].astype(str).str.strip().str.fullmatch(r"\d{1,5}(\.0)?")
                & rows["unit_name"].fillna("").astype(str).str.strip().ne("")]
    latest = rows.groupby(["province_code", "period"])["file_name"].transform("max")
    rows = rows[rows["file_name"] == latest].copy()
    for col in COUNTS:
        rows[col] = pd.to_numeric(rows[col], errors="coerce") if col in rows else float("nan")
    rows["head_is_investigator"] = (rows["head_is_investigator"].fillna("").map(contract.fold)
                                    .isin(list(contract.FLAG_TRUE)))
    rows["map_version"] = rows["period"].map(lambda p: "v2025_34" if p >= contract.REFORM_PERIOD else "legacy_63")
    rows["has_regular_police"] = rows["regular_officers"] > 0
    marts = rows.groupby(["map_version", "province_code", "period"]).agg(
        units_reported=("unit_code", "size"),
        units_with_regular_police=("has_regular_police", "sum"),
        officers_total=("regular_officers", "sum"),
        semi_professional_total=("semi_professional_officers", "sum"),
        heads_total=("heads", "sum"),
        deputies_total=("deputies", "sum"),
        ca_vien_total=("ca_vien", "sum"),
        investigators_total=("investigators", "sum"),
        units_head_investigator=("head_is_investigator", "sum"),
        officers_trained=("officers_trained", "sum"),
    ).reset_index()
    marts.to_csv(out, index=False)
    return {"seconds": time.perf_counter() - started, "files": len(frames), "unit_rows": len(rows),
            "province_months": len(marts)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.submissions, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
