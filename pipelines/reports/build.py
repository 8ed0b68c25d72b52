"""Write the whole report set from a warehouse connection: HTML pages for both views, the index, the workbook.

Layout under out_dir:
    index.html
    legacy_63/national.html, legacy_63/provinces/<code>-<slug>.html
    v2025_34/national.html,  v2025_34/provinces/<code>-<slug>.html
    bao_cao_cong_an_xa.xlsx
Every file is written to a temp file beside it and renamed over the old one, so a reader never sees a partial
file; the index is written last, so it links only pages that exist.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipelines.reports import html, queries, xlsx
from pipelines.reports.data import ViewData, link_views, load_view
from pipelines.reports.formatting import VIEW_SHORT, fmt_dec, fmt_int, fmt_pct, period_label

XLSX_NAME = "bao_cao_cong_an_xa.xlsx"
INDEX_NAME = "index.html"
NATIONAL_NAME = "national.html"
PROVINCES_DIR = "provinces"


@dataclass
class ReportSet:
    """What write_reports wrote."""

    out_dir: Path
    index: Path
    xlsx: Path
    national: dict[str, Path] = field(default_factory=dict)
    provinces: dict[str, list[Path]] = field(default_factory=dict)
    latest_periods: dict[str, str | None] = field(default_factory=dict)
    provinces_with_data: dict[str, int] = field(default_factory=dict)
    claims_available: bool = False
    preview_md: str = ""

    @property
    def html_paths(self) -> list[Path]:
        return [self.index, *self.national.values(), *(p for pages in self.provinces.values() for p in pages)]

    @property
    def paths(self) -> list[Path]:
        return [*self.html_paths, self.xlsx]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"html_pages": len(self.html_paths), "xlsx_files": 1}
        for view, pages in self.provinces.items():
            counts[f"{view}_province_pages"] = len(pages)
            counts[f"{view}_provinces_with_data"] = self.provinces_with_data.get(view, 0)
        return counts


def write_atomic(path: Path, text: str) -> None:
    """Write text to a temp file in the same folder, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; reports are meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    """Drop province pages of an earlier run that this run did not write (e.g. a renamed province)."""
    for page in folder.glob("*.html"):
        if page not in keep:
            page.unlink(missing_ok=True)


def load_views(con: duckdb.DuckDBPyConnection) -> dict[str, ViewData]:
    """Both views, cross-linked."""
    views = {view: load_view(con, view) for view in queries.VIEWS}
    link_views(views, queries.province_links(con))
    return views


def preview_markdown(views: dict[str, ViewData]) -> str:
    """National KPIs of the latest period per view, as a markdown table (Dagster metadata preview)."""
    header = "| Chỉ số | " + " | ".join(VIEW_SHORT[v] for v in views) + " |"
    lines = [header, "|---|" + "---|" * len(views)]

    def value(vd: ViewData, fn) -> str:
        staff = vd.national_at(vd.national_staffing, vd.latest_period)
        return fn(staff, vd.national_at(vd.national_facility, vd.latest_period)) if staff else "–"

    rows = [
        ("Kỳ mới nhất", lambda s, f: period_label(s["period"])),
        ("Tỉnh đã báo cáo", lambda s, f: f"{s['provinces_reported']}/{s['provinces_expected']}"),
        ("Đơn vị cấp xã đã báo cáo", lambda s, f: fmt_int(s["units_reported"])),
        ("Tỷ lệ đơn vị có Công an chính quy", lambda s, f: fmt_pct(s["coverage_pct"])),
        ("Cán bộ, chiến sĩ", lambda s, f: fmt_int(s["officers_total"])),
        ("Bình quân cán bộ/đơn vị", lambda s, f: fmt_dec(s["officers_per_unit"])),
        ("Điều tra viên", lambda s, f: fmt_int(s["investigators_total"])),
        ("% đơn vị có Trưởng Công an là điều tra viên", lambda s, f: fmt_pct(s["pct_units_head_investigator"])),
        ("% cán bộ đã tập huấn", lambda s, f: fmt_pct(s["pct_trained"])),
        ("Trụ sở độc lập / chung UBND / đang xây / chưa có",
         lambda s, f: " / ".join(fmt_int(f[k]) for k in ("hq_independent", "hq_shared_with_ppc",
                                                         "hq_under_construction", "hq_missing")) if f else "–"),
    ]
    for label, fn in rows:
        lines.append(f"| {label} | " + " | ".join(value(vd, fn) for vd in views.values()) + " |")
    claims = [c for vd in views.values() for c in vd.claims]
    if any(vd.claims_available for vd in views.values()):
        conflicts = {(c["claim_id"], c.get("check")) for c in claims if c["status"] == "conflict"}
        lines.append(f"\nĐối chiếu báo chí: {len(conflicts)} mâu thuẫn.")
    else:
        lines.append("\nĐối chiếu báo chí: no news claims yet (chưa có số liệu báo chí).")
    return "\n".join(lines)


def write_reports(con: duckdb.DuckDBPyConnection, out_dir: Path,
                  generated_at: datetime | None = None) -> ReportSet:
    """Write every page of both views, the workbook and the index; return what was written."""
    generated_at = generated_at or datetime.now(timezone.utc)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    views = load_views(con)
    ctx = html.PageContext(generated_at=generated_at, xlsx_name=XLSX_NAME)
    result = ReportSet(out_dir=out_dir, index=out_dir / INDEX_NAME, xlsx=out_dir / XLSX_NAME)
    for view, vd in views.items():
        folder = out_dir / view / PROVINCES_DIR
        pages = []
        for pd in vd.provinces:
            path = folder / pd.file_name
            write_atomic(path, html.render_province(vd, pd, ctx))
            pages.append(path)
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale(folder, set(pages))
        national = out_dir / view / NATIONAL_NAME
        write_atomic(national, html.render_national(vd, ctx))
        result.national[view] = national
        result.provinces[view] = pages
        result.latest_periods[view] = vd.latest_period
        result.provinces_with_data[view] = sum(1 for pd in vd.provinces if pd.staffing)
    xlsx.write_workbook(views, result.xlsx, generated_at)
    write_atomic(result.index, html.render_index(views, ctx))
    result.claims_available = any(vd.claims_available for vd in views.values())
    result.preview_md = preview_markdown(views)
    return result
