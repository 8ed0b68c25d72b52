"""National reports from the warehouse (plain Python, no Dagster)."""

from __future__ import annotations

import html
import os
from pathlib import Path

import duckdb


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_reports(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Write the national HTML report; returns the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = con.execute(
        "select map_version, province_code, province_name, district_count, commune_level_unit_count "
        "from ref.dim_province order by map_version, province_code"
    ).fetchall()
    body = "".join(
        f"<tr><td>{html.escape(m)}</td><td>{html.escape(c)}</td><td>{html.escape(n)}</td>"
        f"<td>{d}</td><td>{u}</td></tr>"
        for m, c, n, d, u in rows
    )
    page = (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>Báo cáo toàn quốc</title></head>"
        "<body><h1>Đơn vị hành chính cấp xã theo tỉnh</h1><table><thead><tr><th>Bản đồ</th><th>Mã tỉnh</th>"
        f"<th>Tỉnh</th><th>Số huyện</th><th>Số đơn vị cấp xã</th></tr></thead><tbody>{body}</tbody></table>"
        "</body></html>"
    )
    path = out_dir / "national.html"
    _write_atomic(path, page)
    return [path]
