"""Self-contained HTML pages: national page per view, one page per province per view, and an index.

Pages carry their CSS and inline SVG charts; they reference nothing outside the report folder. Every text from
the warehouse is escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape

from pipelines.reports import charts
from pipelines.reports.charts import Marker, Series
from pipelines.reports.data import ProvinceData, ViewData
from pipelines.reports.formatting import (
    CLAIM_STATUS_LABELS,
    HQ_LABELS,
    METRIC_LABELS,
    MISSING,
    OUTLIER_LABELS,
    SUBMISSION_LABELS,
    UNIT_TYPE_LABELS,
    VIEW_NOTES,
    VIEW_SHORT,
    VIEW_TITLES,
    fmt_dec,
    fmt_int,
    fmt_number,
    fmt_pct,
    period_label,
)
from pipelines.reports.queries import LEGACY, V2025, Row

VIETNAM = timezone(timedelta(hours=7), "ICT")
GRID_PERIODS = 24
HQ_COLORS = {"hq_independent": "#1b9e77", "hq_shared_with_ppc": "#56a0d3", "hq_under_construction": "#e08a00",
             "hq_missing": "#c8452c"}
STATUS_COLORS = {"on_time": "#1b9e77", "late": "#e6b400", "partial": "#56a0d3", "missing": "#c8452c",
                 "rejected": "#7b5ea7"}
STATUS_PALETTE = {
    "on_time": (STATUS_COLORS["on_time"], SUBMISSION_LABELS["on_time"]),
    "late": (STATUS_COLORS["late"], SUBMISSION_LABELS["late"]),
    "partial": (STATUS_COLORS["partial"], "Nộp một phần (tỉnh cũ)"),
    "missing": (STATUS_COLORS["missing"], SUBMISSION_LABELS["missing"]),
    "rejected": (STATUS_COLORS["rejected"], SUBMISSION_LABELS["rejected"]),
}
CLAIM_COLORS = {"conflict": "#c8452c", "within_tolerance": "#e6b400", "consistent": "#1b9e77", "no_data": "#9ca3af"}

CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --accent:#0b5fa5; --bg:#f8fafc; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif;
       color:var(--ink); background:#fff; line-height:1.45; font-size:15px; }
header.top { background:var(--accent); color:#fff; padding:18px 32px 14px; }
header.top h1 { margin:0 0 4px; font-size:24px; }
header.top p { margin:2px 0; opacity:.92; font-size:14px; }
header.top a { color:#fff; }
nav.crumbs { font-size:13px; margin-bottom:6px; }
main { max-width:1100px; margin:0 auto; padding:8px 32px 40px; }
nav.toc { background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:10px 18px; margin:18px 0; }
nav.toc h2 { font-size:15px; margin:0 0 6px; }
nav.toc ol { margin:0; padding-left:20px; columns:2; font-size:14px; }
section { margin:28px 0; }
section h2 { font-size:19px; border-bottom:2px solid var(--line); padding-bottom:4px; }
section h3 { font-size:16px; margin:18px 0 6px; }
.kpis { display:grid; grid-template-columns:repeat(auto-fill, minmax(200px, 1fr)); gap:10px; }
.kpi { border:1px solid var(--line); border-radius:6px; padding:10px 12px; background:var(--bg); }
.kpi .label { font-size:12.5px; color:var(--muted); }
.kpi .value { font-size:22px; font-weight:650; margin-top:2px; }
.kpi .note { font-size:12px; color:var(--muted); }
figure { margin:14px 0; }
figure svg { max-width:100%; height:auto; display:block; }
figcaption, .note { font-size:13px; color:var(--muted); }
table { border-collapse:collapse; width:100%; font-size:13px; margin:8px 0; }
th, td { border-bottom:1px solid var(--line); padding:4px 6px; text-align:left; vertical-align:top; }
th { background:var(--bg); font-weight:600; position:sticky; top:0; }
td a { white-space:nowrap; }
td.num { text-align:right; white-space:nowrap; font-variant-numeric: tabular-nums; }
th.num { text-align:right; }
.table-wrap { max-height:640px; overflow:auto; border:1px solid var(--line); border-radius:4px; }
.badge { display:inline-block; padding:0 6px; border-radius:9px; font-size:12px; color:#fff; white-space:nowrap; }
.empty { color:var(--muted); font-style:italic; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(250px, 1fr)); gap:6px 16px; padding:0;
         list-style:none; }
footer { color:var(--muted); font-size:12px; border-top:1px solid var(--line); margin-top:30px; padding-top:8px; }
@media print { nav.toc { display:none; } .table-wrap { max-height:none; overflow:visible; } }
"""


@dataclass(frozen=True)
class Link:
    """A table cell or list item linking to another report page (relative href chosen by our code)."""

    text: str
    href: str


@dataclass(frozen=True)
class Badge:
    text: str
    color: str


Cell = str | Link | Badge | None


@dataclass
class Section:
    anchor: str
    title: str
    body: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PageContext:
    """What every page shows in its header and footer."""

    generated_at: datetime
    xlsx_name: str | None = None


# --- small building blocks -----------------------------------------------------------------------------------

def esc(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


def _cell(value: Cell) -> str:
    if value is None:
        return MISSING
    if isinstance(value, Link):
        return f'<a href="{esc(value.href)}">{esc(value.text)}</a>'
    if isinstance(value, Badge):
        return f'<span class="badge" style="background:{esc(value.color)}">{esc(value.text)}</span>'
    return esc(value)


def table(headers: Sequence[str], body: Sequence[Sequence[Cell]], numeric: Sequence[int] = (),
          empty: str = "Không có dòng nào.", scroll: bool = False) -> str:
    """An HTML table; `numeric` columns are right-aligned."""
    if not body:
        return f'<p class="empty">{esc(empty)}</p>'
    num = set(numeric)
    head = "".join(f'<th{" class=num" if i in num else ""} scope="col">{esc(h)}</th>' for i, h in enumerate(headers))
    lines = []
    for row in body:
        cells = "".join(f'<td{" class=num" if i in num else ""}>{_cell(v)}</td>' for i, v in enumerate(row))
        lines.append(f"<tr>{cells}</tr>")
    html_table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    return f'<div class="table-wrap">{html_table}</div>' if scroll else html_table


def kpis(cards: Sequence[tuple[str, str, str]]) -> str:
    """KPI cards: (label, value, note)."""
    items = "".join(
        f'<div class="kpi"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
        f'<div class="note">{esc(note)}</div></div>'
        for label, value, note in cards
    )
    return f'<div class="kpis">{items}</div>'


def figure(svg: str, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure>{svg}{cap}</figure>"


def para(text: str, css: str = "note") -> str:
    return f'<p class="{css}">{esc(text)}</p>'


def page(title: str, subtitle: str, crumbs: Sequence[Link | str], sections: Sequence[Section],
         ctx: PageContext) -> str:
    """A whole page: header, table of contents, sections, footer."""
    crumb_html = " › ".join(_cell(c) for c in crumbs)
    toc = "".join(f'<li><a href="#{esc(s.anchor)}">{esc(s.title)}</a></li>' for s in sections)
    body = "".join(f'<section id="{esc(s.anchor)}"><h2>{esc(s.title)}</h2>{"".join(s.body)}</section>'
                   for s in sections)
    generated = ctx.generated_at.astimezone(VIETNAM).strftime("%H:%M ngày %d/%m/%Y")
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header class="top"><nav class="crumbs">{crumb_html}</nav><h1>{esc(title)}</h1>'
        f"<p>{esc(subtitle)}</p><p>Lập lúc {esc(generated)} (giờ Việt Nam) từ kho dữ liệu Công an cấp xã.</p>"
        "</header>\n<main>\n"
        f'<nav class="toc" aria-label="Mục lục"><h2>Mục lục</h2><ol>{toc}</ol></nav>\n{body}\n'
        "<footer>Báo cáo tự động từ kho dữ liệu Công an cấp xã (các bảng marts). Số liệu theo báo cáo của các "
        "tỉnh; tỷ lệ tính trên tổng số đơn vị cấp xã của các tỉnh đã báo cáo trong kỳ.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


# --- series helpers ------------------------------------------------------------------------------------------

def _series(periods: Sequence[str], rows: Sequence[Row], column: str) -> list[float | None]:
    by_period = {r["period"]: r.get(column) for r in rows}
    return [None if by_period.get(p) is None else float(by_period[p]) for p in periods]


def _markers(vd: ViewData) -> list[Marker]:
    index = vd.reform_index
    return [] if index is None else [Marker(index - 0.5, "01/07/2025: sắp xếp còn 34 tỉnh")]


def _pct_fmt(value: float | None) -> str:
    return fmt_pct(value, 0) if value is not None and float(value).is_integer() else fmt_pct(value)


def _coverage_chart(vd: ViewData, rows: Sequence[Row], name: str) -> str:
    return charts.line_chart(
        f"Tỷ lệ đơn vị cấp xã có Công an chính quy — {name}", vd.periods,
        [Series("Tỷ lệ đơn vị có Công an chính quy", _series(vd.periods, rows, "coverage_pct"))],
        y_label="% đơn vị cấp xã", fmt=_pct_fmt, y_max=100, markers=_markers(vd))


def _officers_chart(vd: ViewData, rows: Sequence[Row], name: str) -> str:
    return charts.line_chart(
        f"Bình quân cán bộ, chiến sĩ trên một đơn vị cấp xã — {name}", vd.periods,
        [Series("Cán bộ bình quân/đơn vị", _series(vd.periods, rows, "officers_per_unit"), charts.PALETTE[1])],
        y_label="Cán bộ/đơn vị", markers=_markers(vd))


def _investigator_charts(vd: ViewData, rows: Sequence[Row], name: str) -> list[str]:
    bars = charts.bar_chart(
        f"Điều tra viên tại Công an cấp xã — {name}", vd.periods,
        [Series("Điều tra viên", _series(vd.periods, rows, "investigators_total"), charts.PALETTE[4])],
        y_label="Số điều tra viên", markers=_markers(vd))
    shares = charts.line_chart(
        f"Trưởng Công an là điều tra viên; cán bộ đã tập huấn — {name}", vd.periods,
        [Series("% đơn vị có Trưởng Công an là điều tra viên",
                _series(vd.periods, rows, "pct_units_head_investigator"), charts.PALETTE[4]),
         Series("% cán bộ đã tập huấn", _series(vd.periods, rows, "pct_trained"), charts.PALETTE[2])],
        y_label="%", fmt=_pct_fmt, y_max=100, markers=_markers(vd))
    return [figure(bars), figure(shares)]


def _hq_chart(vd: ViewData, rows: Sequence[Row], name: str) -> str:
    return charts.bar_chart(
        f"Tình trạng trụ sở Công an cấp xã — {name}", vd.periods,
        [Series(label, _series(vd.periods, rows, key), HQ_COLORS[key]) for key, label in HQ_LABELS.items()],
        y_label="Số đơn vị cấp xã", markers=_markers(vd))


def _completeness_chart(vd: ViewData, rows: Sequence[Row], name: str) -> str:
    return charts.line_chart(
        f"Tỷ lệ nộp báo cáo và nộp đúng hạn — {name}", vd.periods,
        [Series("Tỷ lệ nộp báo cáo", _series(vd.periods, rows, "reporting_rate"), charts.PALETTE[0]),
         Series("Tỷ lệ nộp đúng hạn (trước ngày 5 tháng sau)", _series(vd.periods, rows, "on_time_rate"),
                charts.PALETTE[2])],
        y_label="% báo cáo phải nộp", fmt=_pct_fmt, y_max=100, markers=_markers(vd))


def _combined_status(rows: Sequence[Row]) -> str:
    """One status for a province-period made of one or several source reports."""
    expected = sum(r["expected_reports"] for r in rows)
    actual = sum(r["actual_reports"] for r in rows)
    if actual == 0:
        return "rejected" if any(r["submission_status"] == "rejected" for r in rows) else "missing"
    if actual < expected:
        return "partial"
    return "on_time" if all(r["submission_status"] == "on_time" for r in rows) else "late"


def _rates_by_period(rows: Sequence[Row]) -> list[Row]:
    """Reporting and on-time rates per period from completeness rows (a province's source reports)."""
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["period"]].append(row)
    out = []
    for period, group in sorted(grouped.items()):
        expected = sum(r["expected_reports"] for r in group)
        out.append({"period": period,
                    "reporting_rate": 100.0 * sum(r["actual_reports"] for r in group) / expected,
                    "on_time_rate": 100.0 * sum(r["on_time_reports"] for r in group) / expected})
    return out


def _when(value: datetime | None) -> str:
    if value is None:
        return MISSING
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def _status_badge(status: str) -> Badge:
    color, label = STATUS_PALETTE.get(status, ("#9ca3af", status))
    return Badge(label, color)


def _completeness_table(rows: Sequence[Row]) -> str:
    body = [[r["province_name"], period_label(r["period"]), _status_badge(r["submission_status"]),
             fmt_int(r["days_late"]) if r["days_late"] is not None else MISSING,
             fmt_int(r["files_received"]), fmt_int(r["files_rejected"]), _when(r["first_accepted_at"]),
             _when(r["deadline_at"])] for r in rows]
    return table(["Tỉnh", "Kỳ", "Tình trạng", "Số ngày trễ", "Tệp đã nhận", "Tệp bị từ chối", "Nộp lần đầu",
                  "Hạn nộp"], body, numeric=(3, 4, 5), empty="Tất cả các tỉnh đã nộp đúng hạn.", scroll=True)


def _outlier_section(rows: Sequence[Row], counts: Sequence[Row], period: str | None,
                     province_names: dict[str, str]) -> list[str]:
    if not period:
        return [para("Chưa có số liệu.", "empty")]
    out = [para(f"Kỳ {period_label(period)}. Các quy tắc phát hiện: số cán bộ thay đổi từ 5 người và từ 50% trở "
                "lên so với kỳ trước; đơn vị không còn Công an chính quy; quá 25 cán bộ ở xã, thị trấn hoặc quá 60 "
                "ở phường, đặc khu; có cán bộ nhưng không có Trưởng Công an.")]
    out.append("<h3>Số trường hợp theo quy tắc</h3>")
    out.append(table(["Quy tắc", "Số trường hợp", "Số đơn vị"],
                     [[OUTLIER_LABELS.get(c["rule"], c["rule"]), fmt_int(c["outliers"]), fmt_int(c["units"])]
                      for c in counts], numeric=(1, 2), empty="Không có trường hợp bất thường."))
    if rows:
        out.append(f"<h3>{esc(f'{len(rows)} trường hợp lớn nhất')}</h3>")
        body = [[province_names.get(r["view_province_code"], r["province_code"]), r["unit_name"],
                 UNIT_TYPE_LABELS.get(r["unit_type"], r["unit_type"]),
                 OUTLIER_LABELS.get(r["rule"], r["rule"]), fmt_int(r["regular_officers"]),
                 fmt_int(r["previous_officers"]) if r["previous_officers"] is not None else MISSING,
                 period_label(r["previous_period"]) if r["previous_period"] else MISSING,
                 f"{r['source_file_name']} (dòng {r['source_row_number']})"]
                for r in rows]
        out.append(table(["Tỉnh", "Đơn vị", "Loại", "Quy tắc", "Cán bộ kỳ này", "Cán bộ kỳ trước", "Kỳ trước",
                          "Tệp nguồn"], body, numeric=(4, 5), scroll=True))
    return out


def _claims_section(vd: ViewData, claims: Sequence[Row], province_names: dict[str, str],
                    national: bool) -> list[str]:
    if not vd.claims_available:
        return [para("Chưa có tin báo chí nào được đối chiếu (no news claims yet): bảng "
                     "marts.mart_claim_reconciliation chưa có trong kho dữ liệu.", "empty")]
    if not claims:
        return [para("Chưa có tin báo chí nào được đối chiếu cho phạm vi này.", "empty")]
    out = []
    counts: dict[str, int] = defaultdict(int)
    for c in claims:
        counts[c["status"]] += 1
    order = [s for s in CLAIM_STATUS_LABELS if counts.get(s)]
    order += sorted(s for s in counts if s not in CLAIM_STATUS_LABELS)
    out.append(kpis([(CLAIM_STATUS_LABELS.get(s, s), fmt_int(counts[s]), "số liệu báo chí") for s in order]))
    if national:
        by_metric: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for c in claims:
            by_metric[c["metric"]][c["status"]] += 1
        metrics = sorted((m for m in by_metric if by_metric[m].get("conflict")),
                         key=lambda m: (-by_metric[m]["conflict"], m))[:15]
        if metrics:
            out.append(figure(charts.hbar_chart(
                "Số liệu báo chí mâu thuẫn với báo cáo, theo chỉ tiêu",
                [METRIC_LABELS.get(m, m) for m in metrics], [float(by_metric[m]["conflict"]) for m in metrics],
                x_label="Số số liệu mâu thuẫn", color=CLAIM_COLORS["conflict"], integer=True)))
    shown = [c for c in claims if c["status"] in ("conflict", "within_tolerance")][:50]
    out.append("<h3>Mâu thuẫn và chênh lệch (lớn nhất trước)</h3>")
    body = []
    for c in shown:
        color = CLAIM_COLORS.get(c["status"], "#9ca3af")
        source = c.get("article_title") or ""
        if c.get("article_published"):
            source = f"{source} ({c['article_published']:%d/%m/%Y})" if hasattr(c["article_published"], "strftime") \
                else f"{source} ({c['article_published']})"
        where = province_names.get(c["view_province_code"], c["province_code"] or "Toàn quốc")
        about = c.get("province_name")
        if about and vd.view == V2025 and about not in where:
            where = f"{where} (tỉnh cũ: {about})"
        body.append([
            where,
            METRIC_LABELS.get(c["metric"], c["metric"]),
            c["as_of_date"].strftime("%d/%m/%Y") if hasattr(c.get("as_of_date"), "strftime") else c.get("as_of_date"),
            fmt_number(c["claimed_value"]), fmt_number(c["reference_value"]),
            fmt_pct(100 * c["relative_difference"]) if c["relative_difference"] is not None else MISSING,
            Badge(CLAIM_STATUS_LABELS.get(c["status"], c["status"]), color),
            c.get("explanation"), c.get("claim_evidence"), source or None,
        ])
    out.append(table(["Tỉnh", "Chỉ tiêu", "Ngày số liệu", "Báo chí nêu", "Báo cáo", "Chênh lệch", "Kết quả",
                      "Giải thích", "Trích dẫn", "Bài báo"], body, numeric=(3, 4, 5),
                     empty="Không có mâu thuẫn.", scroll=True))
    return out


# --- pages ---------------------------------------------------------------------------------------------------

def _national_kpis(vd: ViewData) -> list[str]:
    period = vd.latest_period
    staff = vd.national_at(vd.national_staffing, period)
    if staff is None:
        return [para("Chưa có số liệu báo cáo.", "empty")]
    hq = vd.national_at(vd.national_facility, period)
    cards = [
        ("Tỉnh đã báo cáo", f"{staff['provinces_reported']}/{staff['provinces_expected']}",
         f"kỳ {period_label(period)}"),
        ("Đơn vị cấp xã đã báo cáo", fmt_int(staff["units_reported"]),
         f"trên {fmt_int(staff['units_expected'])} đơn vị của các tỉnh đã báo cáo"),
        ("Tỷ lệ đơn vị có Công an chính quy", fmt_pct(staff["coverage_pct"]),
         f"{fmt_int(staff['units_with_regular_police'])} đơn vị"),
        ("Cán bộ, chiến sĩ", fmt_int(staff["officers_total"]), "Công an chính quy cấp xã"),
        ("Bình quân cán bộ/đơn vị", fmt_dec(staff["officers_per_unit"]), "trên đơn vị đã báo cáo"),
        ("Điều tra viên", fmt_int(staff["investigators_total"]),
         _coverage_note("tại Công an cấp xã", staff["provinces_with_investigators"], staff["provinces_reported"])),
        ("Trưởng Công an là điều tra viên", fmt_pct(staff["pct_units_head_investigator"]), "% đơn vị"),
        ("Cán bộ đã tập huấn", fmt_pct(staff["pct_trained"]),
         _coverage_note(f"{fmt_int(staff['officers_trained'])} cán bộ", staff["provinces_with_trained"],
                        staff["provinces_reported"])),
    ]
    if hq:
        for key, label in HQ_LABELS.items():
            share = 100.0 * hq[key] / hq["units_reported"] if hq["units_reported"] else None
            cards.append((label, fmt_int(hq[key]), f"{fmt_pct(share)} đơn vị đã báo cáo"))
    if vd.claims_available:
        conflicts = sum(1 for c in vd.claims if c["status"] == "conflict")
        cards.append(("Tin báo chí mâu thuẫn", fmt_int(conflicts), f"trên {fmt_int(len(vd.claims))} số liệu"))
    return [kpis(cards)]


def _coverage_note(note: str, with_value: int, reported: int) -> str:
    """Say how many reporting provinces gave a figure that some leave out."""
    return note if with_value >= reported else f"{note}; {with_value}/{reported} tỉnh có số liệu"


def _province_names(vd: ViewData) -> dict[str, str]:
    return {p.province.code: p.province.name for p in vd.provinces}


def _province_rows_table(vd: ViewData, href_prefix: str) -> str:
    period = vd.latest_period
    status_by_province: dict[str, list[Row]] = defaultdict(list)
    for r in vd.completeness:
        if r["period"] == vd.latest_completeness_period:
            status_by_province[r["view_province_code"]].append(r)
    body = []
    for p in vd.provinces:
        s, f = p.staffing_at(period), p.facility_at(period)
        status = status_by_province.get(p.province.code)
        body.append([
            p.province.code, Link(p.province.name, href_prefix + p.file_name),
            f"{fmt_int(s['units_reported'])}/{fmt_int(s['units_expected'])}" if s else MISSING,
            fmt_pct(s["coverage_pct"]) if s else MISSING, fmt_int(s["officers_total"]) if s else MISSING,
            fmt_dec(s["officers_per_unit"]) if s else MISSING, fmt_int(s["investigators_total"]) if s else MISSING,
            fmt_pct(s["pct_trained"]) if s else MISSING, fmt_pct(f["pct_independent"]) if f else MISSING,
            _status_badge(_combined_status(status)) if status else None,
            period_label(p.latest_period) if p.latest_period else "chưa có",
        ])
    return table(["Mã", "Tỉnh, thành phố", "Đơn vị báo cáo/danh mục", "Có CA chính quy", "Cán bộ", "Cán bộ/đơn vị",
                  "Điều tra viên", "Đã tập huấn", "Trụ sở độc lập", "Nộp báo cáo", "Kỳ có số liệu gần nhất"],
                 body, numeric=(2, 3, 4, 5, 6, 7, 8), scroll=True)


def _national_grid(vd: ViewData) -> str:
    periods = vd.periods[-GRID_PERIODS:]
    index = {p: i for i, p in enumerate(periods)}
    rows_of = {p.province.code: r for r, p in enumerate(vd.provinces)}
    grouped: dict[tuple[int, int], list[Row]] = defaultdict(list)
    for row in vd.completeness:
        if row["period"] in index and row["view_province_code"] in rows_of:
            grouped[(rows_of[row["view_province_code"]], index[row["period"]])].append(row)
    cells = {key: _combined_status(group) for key, group in grouped.items()}
    palette = {k: v for k, v in STATUS_PALETTE.items() if k != "partial" or vd.view == V2025}
    return charts.status_grid(f"Tình trạng nộp báo cáo theo tỉnh, {len(periods)} kỳ gần nhất",
                              [p.province.short_name for p in vd.provinces], periods, cells, palette)


def render_national(vd: ViewData, ctx: PageContext) -> str:
    """The national page of a view."""
    name = "Toàn quốc"
    period = vd.latest_period
    names = _province_names(vd)
    sections = [Section("chi-so", f"Chỉ số chính, kỳ {period_label(period)}", _national_kpis(vd))]
    sections.append(Section("bao-phu", "Tỷ lệ đơn vị có Công an chính quy", [
        figure(_coverage_chart(vd, vd.national_staffing, name),
               "Số đơn vị có Công an chính quy trên tổng số đơn vị cấp xã của các tỉnh đã báo cáo trong kỳ."),
    ]))
    latest_rows = [(p, p.staffing_at(period)) for p in vd.provinces]
    ranked = sorted(((p, s) for p, s in latest_rows if s and s["officers_per_unit"] is not None),
                    key=lambda ps: -ps[1]["officers_per_unit"])
    sections.append(Section("binh-quan", "Cán bộ bình quân trên một đơn vị", [
        figure(_officers_chart(vd, vd.national_staffing, name)),
        figure(charts.hbar_chart(f"Bình quân cán bộ/đơn vị theo tỉnh, kỳ {period_label(period)}",
                                 [p.province.short_name for p, _ in ranked],
                                 [float(s["officers_per_unit"]) for _, s in ranked], x_label="Cán bộ/đơn vị",
                                 color=charts.PALETTE[1]),
               "Chỉ gồm các tỉnh đã báo cáo trong kỳ."),
    ]))
    sections.append(Section("dieu-tra-vien", "Điều tra viên và tập huấn", [
        *_investigator_charts(vd, vd.national_staffing, name),
        para("Số điều tra viên và số cán bộ đã tập huấn chỉ gồm các tỉnh có báo cáo các số liệu này; tỷ lệ đã "
             "tập huấn tính trên cán bộ của chính các tỉnh đó."),
    ]))
    hq_body = [figure(_hq_chart(vd, vd.national_facility, name))]
    if vd.view == V2025 and vd.reform_index is not None:
        hq_body.append(para("Các kỳ trước 07/2025 đếm theo đơn vị cấp xã cũ (trước sắp xếp)."))
    sections.append(Section("tru-so", "Trụ sở làm việc", hq_body))
    completeness_period = vd.latest_completeness_period
    not_on_time = [r for r in vd.completeness
                   if r["period"] == completeness_period and r["submission_status"] != "on_time"]
    sections.append(Section("nop-bao-cao", "Tiến độ nộp báo cáo", [
        figure(_completeness_chart(vd, vd.national_completeness, name),
               "Mỗi tỉnh phải nộp báo cáo hằng tháng, hạn ngày 5 tháng sau (giờ Việt Nam)."),
        figure(_national_grid(vd)),
        f"<h3>{esc(f'Tỉnh chưa nộp hoặc nộp trễ, kỳ {period_label(completeness_period)}')}</h3>",
        _completeness_table(not_on_time),
    ]))
    sections.append(Section("bat-thuong", "Số liệu bất thường",
                            _outlier_section(vd.outliers, vd.outlier_counts, period, names)))
    sections.append(Section("doi-chieu", "Đối chiếu với số liệu báo chí",
                            _claims_section(vd, vd.claims, names, national=True)))
    sections.append(Section("cac-tinh", f"Các tỉnh, thành phố, kỳ {period_label(period)}",
                            [_province_rows_table(vd, "provinces/")]))
    sections.append(Section("ghi-chu", "Ghi chú", [para(VIEW_NOTES[vd.view], "")]))
    title = f"Công an cấp xã — Toàn quốc, {VIEW_TITLES[vd.view]}"
    crumbs = [Link("Trang chủ báo cáo", "../index.html"), VIEW_SHORT[vd.view]]
    return page(title, f"Số liệu đến kỳ {period_label(period)}.", crumbs, sections, ctx)


def _province_kpis(vd: ViewData, pd: ProvinceData) -> list[str]:
    period = pd.latest_period
    staff = pd.staffing_at(period)
    if staff is None:
        return [para("Tỉnh chưa có số liệu báo cáo trong kho dữ liệu.", "empty")]
    cards = [
        ("Kỳ có số liệu gần nhất", period_label(period),
         "kỳ mới nhất toàn quốc: " + period_label(vd.latest_period)),
        ("Đơn vị cấp xã đã báo cáo", fmt_int(staff["units_reported"]),
         f"trên {fmt_int(staff['units_expected'])} đơn vị"),
        ("Tỷ lệ đơn vị có Công an chính quy", fmt_pct(staff["coverage_pct"]),
         f"{fmt_int(staff['units_with_regular_police'])} đơn vị"),
        ("Cán bộ, chiến sĩ", fmt_int(staff["officers_total"]), "Công an chính quy cấp xã"),
        ("Bình quân cán bộ/đơn vị", fmt_dec(staff["officers_per_unit"]), "trên đơn vị đã báo cáo"),
        ("Điều tra viên", fmt_int(staff["investigators_total"]), "tại Công an cấp xã"),
        ("Trưởng Công an là điều tra viên", fmt_pct(staff["pct_units_head_investigator"]), "% đơn vị"),
        ("Cán bộ đã tập huấn", fmt_pct(staff["pct_trained"]), f"{fmt_int(staff['officers_trained'])} cán bộ"),
    ]
    hq = pd.facility_at(period)
    if hq:
        for key, label in HQ_LABELS.items():
            share = 100.0 * hq[key] / hq["units_reported"] if hq["units_reported"] else None
            cards.append((label, fmt_int(hq[key]), f"{fmt_pct(share)} đơn vị đã báo cáo"))
    out = [kpis(cards)]
    if staff["source_map_version"] != vd.view and staff["source_provinces_expected"]:
        out.append(para(f"Số liệu kỳ này quy đổi từ {staff['source_provinces_reported']}/"
                        f"{staff['source_provinces_expected']} tỉnh cũ đã báo cáo; tỷ lệ tính trên tổng số đơn "
                        "vị của các tỉnh cũ hợp thành."))
    return out


def _province_grid(vd: ViewData, pd: ProvinceData) -> str:
    sources: dict[tuple[str, str], str] = {}
    for r in pd.completeness:
        label = r["province_name"] + (" (cũ)" if vd.view == V2025 and r["map_version"] == LEGACY else "")
        sources.setdefault((r["map_version"], r["province_code"]), label)
    keys = sorted(sources, key=lambda k: (k[0] != LEGACY, k[1]))
    row_of = {k: i for i, k in enumerate(keys)}
    col_of = {p: i for i, p in enumerate(vd.periods)}
    cells = {(row_of[(r["map_version"], r["province_code"])], col_of[r["period"]]): r["submission_status"]
             for r in pd.completeness if r["period"] in col_of}
    palette = {k: v for k, v in STATUS_PALETTE.items() if k != "partial"}
    return charts.status_grid("Tình trạng nộp báo cáo theo kỳ", [sources[k] for k in keys], vd.periods, cells,
                              palette)


def render_province(vd: ViewData, pd: ProvinceData, ctx: PageContext) -> str:
    """A province page of a view."""
    name = pd.province.name
    names = _province_names(vd)
    sections = [Section("chi-so", "Chỉ số chính, kỳ gần nhất", _province_kpis(vd, pd))]
    if pd.related:
        items = []
        for view, province, file_name in pd.related:
            href = f"../../{view}/provinces/{file_name}"
            items.append(f"<li>{_cell(Link(f'{province.name} ({VIEW_SHORT[view]})', href))}</li>")
        lead = ("Từ 01/07/2025 thuộc:" if vd.view == LEGACY else "Hợp thành từ các tỉnh cũ:")
        sections[0].body.append(f'<p class="note">{esc(lead)}</p><ul class="cards">{"".join(items)}</ul>')
    backcast_note = ("Ở các kỳ quy đổi, khi một tỉnh cũ chưa nộp báo cáo, tỷ lệ vẫn tính trên toàn bộ đơn vị của các "
                     "tỉnh cũ hợp thành nên thấp hơn thực tế." if len(pd.related) > 1 and vd.view == V2025 else "")
    no_data = [para("Chưa có số liệu.", "empty")]
    sections.append(Section("bao-phu", "Tỷ lệ đơn vị có Công an chính quy",
                            [figure(_coverage_chart(vd, pd.staffing, name), backcast_note)] if pd.staffing
                            else no_data))
    sections.append(Section("binh-quan", "Cán bộ bình quân trên một đơn vị",
                            [figure(_officers_chart(vd, pd.staffing, name))] if pd.staffing else no_data))
    sections.append(Section("dieu-tra-vien", "Điều tra viên và tập huấn",
                            _investigator_charts(vd, pd.staffing, name) if pd.staffing else no_data))
    sections.append(Section("tru-so", "Trụ sở làm việc",
                            [figure(_hq_chart(vd, pd.facility, name))] if pd.facility else no_data))
    not_on_time = [r for r in pd.completeness if r["submission_status"] != "on_time"]
    several_sources = len({(r["map_version"], r["province_code"]) for r in pd.completeness}) > 1
    rates = [figure(_completeness_chart(vd, _rates_by_period(pd.completeness), name))] if several_sources else []
    sections.append(Section("nop-bao-cao", "Tiến độ nộp báo cáo", [
        *rates,
        figure(_province_grid(vd, pd), "Hạn nộp: ngày 5 tháng sau (giờ Việt Nam)."),
        "<h3>Các kỳ chưa nộp hoặc nộp trễ</h3>",
        _completeness_table(list(reversed(not_on_time))),
    ]))
    sections.append(Section("bat-thuong", "Số liệu bất thường",
                            _outlier_section(pd.outliers, pd.outlier_counts, pd.latest_period, names)))
    sections.append(Section("doi-chieu", "Đối chiếu với số liệu báo chí",
                            _claims_section(vd, pd.claims, names, national=False)))
    sections.append(Section("ghi-chu", "Ghi chú", [para(VIEW_NOTES[vd.view], "")]))
    title = f"Công an cấp xã — {name}"
    crumbs = [Link("Trang chủ báo cáo", "../../index.html"), Link(VIEW_SHORT[vd.view], "../national.html"), name]
    return page(title, f"{VIEW_TITLES[vd.view]}. Mã tỉnh {pd.province.code}.", crumbs, sections, ctx)


def render_index(views: dict[str, ViewData], ctx: PageContext) -> str:
    """The index linking every page of every view and the workbook."""
    sections = []
    for view, vd in views.items():
        staff = vd.national_at(vd.national_staffing, vd.latest_period)
        body = [para(VIEW_NOTES[view], ""),
                f'<p><a href="{esc(view)}/national.html"><strong>Báo cáo toàn quốc ({esc(VIEW_SHORT[view])})'
                f'</strong></a></p>']
        if staff:
            body.append(kpis([
                ("Kỳ mới nhất", period_label(vd.latest_period),
                 f"{staff['provinces_reported']}/{staff['provinces_expected']} tỉnh đã báo cáo"),
                ("Tỷ lệ đơn vị có Công an chính quy", fmt_pct(staff["coverage_pct"]), "các tỉnh đã báo cáo"),
                ("Cán bộ, chiến sĩ", fmt_int(staff["officers_total"]), "Công an chính quy cấp xã"),
            ]))
        rows = [[p.province.code, Link(p.province.name, f"{view}/provinces/{p.file_name}"),
                 period_label(p.latest_period) if p.latest_period else "chưa có số liệu"] for p in vd.provinces]
        body.append(table(["Mã", "Tỉnh, thành phố", "Kỳ có số liệu gần nhất"], rows, scroll=True))
        sections.append(Section(view, VIEW_TITLES[view], body))
    if ctx.xlsx_name:
        sections.append(Section("excel", "Bảng tính Excel", [
            f'<p><a href="{esc(ctx.xlsx_name)}">{esc(ctx.xlsx_name)}</a>: tổng hợp toàn quốc theo kỳ, các tỉnh '
            "kỳ mới nhất, tiến độ nộp báo cáo, trụ sở, số liệu bất thường và đối chiếu báo chí, cho cả hai bản "
            "đồ hành chính.</p>"]))
    return page("Báo cáo Công an cấp xã", "Bố trí Công an chính quy và trụ sở làm việc của Công an cấp xã.",
                ["Trang chủ báo cáo"], sections, ctx)
