"""The officials' workbook (openpyxl): national summary per view, provinces at the latest period, completeness,
HQ status, outliers and news-claim conflicts, with Vietnamese headers, number formats and frozen headers.

Every text cell is formula-safe: a string starting with = + - @ (or tab, CR, LF) is stored as text with a
leading apostrophe and Excel's quote prefix, so no spreadsheet (or CSV saved from it) evaluates it.

The workbook is write-only (openpyxl keeps no cell objects) and its rows are streamed as pre-rendered XML, the same
XML openpyxl's cell writer produces: building and serializing an element per cell was most of the reports step's
CPU on national data. write_sheet also fills a normal workbook, through openpyxl cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from math import isinf, isnan
from pathlib import Path
from typing import Any

from openpyxl import LXML, Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.reports.data import ProvinceData, ViewData
from pipelines.reports.formatting import (
    CLAIM_STATUS_LABELS,
    METRIC_LABELS,
    OUTLIER_LABELS,
    SUBMISSION_LABELS,
    VIEW_NOTES,
    VIEW_SHORT,
    VIEW_TITLES,
    period_label,
)
from pipelines.reports.queries import LEGACY, V2025, Row

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
VIETNAM = timezone(timedelta(hours=7))
FORMATS = {"int": "#,##0", "dec": "#,##0.00", "pct": "0.0%", "date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm"}
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
HEADER_FONT = Font(bold=True)
MAX_WIDTH = 60
NO_CLAIMS = "Chưa có số liệu báo chí được đối chiếu (no news claims yet)."
SOURCE_MAP_LABELS = {LEGACY: "63 tỉnh", V2025: "34 tỉnh"}


def safe_text(value: str) -> str:
    """Neutralize a string a spreadsheet could read as a formula; drop characters XLSX cannot hold."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


TEXT, QUOTED, PLAIN = "text", "quoted", "plain"  # style keys besides the FORMATS kinds
HEADER = "header"
TEXT_KEYS = frozenset({TEXT, QUOTED, HEADER, HEADER + QUOTED})
TIME_TYPES = (datetime, date, time, timedelta)


def stored_value(value: Any, kind: str = "text") -> tuple[Any, str]:
    """What a cell holds for this value and column kind, and its style key: TEXT or QUOTED (a formula-safe string,
    QUOTED when it was neutralized), PLAIN (a bool, no format), or the kind (a number or date shown with FORMATS[kind]).

    None stays None (an empty cell)."""
    if value is None:
        return None, TEXT
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, datetime):
        value = (value.astimezone(VIETNAM) if value.tzinfo else value).replace(tzinfo=None)
    if isinstance(value, str) or kind == "text":
        text = value if isinstance(value, str) else str(value)
        neutral = safe_text(text)
        return neutral, (TEXT if neutral == text else QUOTED)
    if isinstance(value, bool):
        return value, PLAIN
    if not isinstance(value, (int, float, *TIME_TYPES)):
        raise ValueError(f"Cannot convert {value!r} to Excel")
    if kind == "pct" and isinstance(value, (int, float)):
        value = float(value) / 100.0
    elif isinstance(value, (int, float)) and kind == "int":
        value = round(float(value)) if abs(float(value) - round(float(value))) < 1e-6 else float(value)
    return value, (kind if kind in FORMATS else PLAIN)


def set_cell(ws: Worksheet, row: int, column: int, value: Any, kind: str = "text") -> None:
    """Write one value into a (normal-mode) sheet: strings always as (formula-safe) text, numbers and dates with
    their format."""
    cell = ws.cell(row=row, column=column)
    stored, key = stored_value(value, kind)
    if stored is None:
        return
    cell.value = stored
    if key in (TEXT, QUOTED):
        cell.data_type = "s"  # never a formula, whatever the text
        if key == QUOTED:
            cell.quotePrefix = True
    elif key in FORMATS:
        cell.number_format = FORMATS[key]


@dataclass(frozen=True)
class Column:
    """A sheet column: header, how to get the value from a row, and its kind (text/int/dec/pct/date/datetime)."""

    header: str
    get: Callable[[Row], Any]
    kind: str = "text"
    width: float | None = None


def col(header: str, key: str, kind: str = "text", width: float | None = None) -> Column:
    return Column(header, lambda r: r.get(key), kind, width)


class _Styles(dict):
    """A sheet's template cell per style key (TEXT, QUOTED, PLAIN, a FORMATS kind, HEADER, HEADER + QUOTED),
    made on first use so the workbook registers only the styles its cells have, in the order they appear."""

    def __init__(self, ws: Any):
        super().__init__()
        self.ws = ws

    def __missing__(self, key: str) -> Cell:
        cell = self[key] = Cell(self.ws)
        if key.startswith(HEADER):
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if key.endswith(QUOTED):
            cell.quotePrefix = True
        if key in FORMATS:
            cell.number_format = FORMATS[key]
        return cell


def _cell(ws: Any, value: Any, key: str, templates: _Styles, row: int | None = None,
          column: int | None = None) -> Cell | None:
    """An openpyxl cell for a stored value (None for an empty cell)."""
    if value is None:
        return None
    cell = Cell(ws, row=row, column=column, value=value, style_array=templates[key]._style)
    if key in TEXT_KEYS:
        cell.data_type = "s"  # never a formula (or an error code), whatever the text
    elif isinstance(value, TIME_TYPES) and key in FORMATS:
        cell.number_format = FORMATS[key]  # binding a date may have replaced a non-date format
    return cell


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


class _RowXml:
    """Renders a sheet's rows as SpreadsheetML, byte for byte what openpyxl's own cell writer produces (inline
    strings with t="inlineStr", numbers and Excel date serials with t="n", booleans with t="b") at a fraction of
    its cost."""

    def __init__(self, ws: Any, templates: _Styles, width: int):
        self.letters = [get_column_letter(c) for c in range(1, width + 1)]
        self.templates = templates
        self.styles: dict[str, str] = {}  # style key -> ' s="<cellXfs index>"' (registered on first use)
        self.epoch = ws.parent.epoch

    def style(self, key: str) -> str:
        cell = self.templates[key]
        attr = self.styles[key] = f' s="{cell.style_id}"' if cell.has_style else ""
        return attr

    def row(self, r: int, cells: Sequence[tuple[Any, str]], attrs: str = "") -> str:
        out = [f'<row r="{r}"{attrs}>']
        for letter, (value, key) in zip(self.letters, cells):
            if value is None:
                continue
            style = self.styles.get(key)
            if style is None:
                style = self.style(key)
            if isinstance(value, str):
                if value == "":
                    out.append(f'<c r="{letter}{r}"{style} t="inlineStr" />')
                    continue
                stripped = value.strip()
                space = ' xml:space="preserve"' if stripped and stripped != value else ""
                out.append(f'<c r="{letter}{r}"{style} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>')
            elif isinstance(value, bool):
                out.append(f'<c r="{letter}{r}"{style} t="b"><v>{int(value)}</v></c>')
            else:
                number = to_excel(value, self.epoch) if isinstance(value, TIME_TYPES) else value
                shown = "<v />" if isnan(number) or isinf(number) else f"<v>{number:.16g}</v>"
                out.append(f'<c r="{letter}{r}"{style} t="n">{shown}</c>')
        out.append("</row>")
        return "".join(out)


def _stream_rows(ws: Any, rows: list[list[tuple[Any, str]]], templates: _Styles) -> None:
    """Append the rows to a write-only sheet. openpyxl's cell writer builds and serializes an ElementTree element
    per cell (most of the workbook's cost), so each row goes to the sheet's XML stream pre-rendered; if the stream
    is not the one this relies on (et_xmlfile's writer, when lxml is absent), openpyxl writes the cells itself."""
    header_attrs = "".join(f' {k}="{v}"' for k, v in ws.row_dimensions[1]) if 1 in ws.row_dimensions else ""
    xml = _RowXml(ws, templates, max((len(r) for r in rows), default=0))
    get_writer = getattr(ws, "_get_writer", None)
    if get_writer is not None:
        get_writer()
    writer = getattr(ws, "_writer", None)
    openpyxl_write_row = getattr(writer, "write_row", None)
    if openpyxl_write_row is None:  # an openpyxl whose write-only sheet works otherwise: plain cells
        for cells in rows:
            ws.append([_cell(ws, value, key, templates) for value, key in cells])
        return

    def write_row(xf: Any, _cells: Any, row_idx: int) -> None:
        raw = getattr(xf, "_file", None)
        cells = rows[row_idx - 1]
        if LXML or not callable(raw):
            openpyxl_write_row(xf, [c for c in (_cell(ws, v, k, templates, row_idx, column)
                                                for column, (v, k) in enumerate(cells, start=1)) if c is not None],
                               row_idx)
            return
        raw(xml.row(row_idx, cells, header_attrs if row_idx == 1 else ""))

    writer.write_row = write_row
    for _ in rows:
        ws.append(())


def write_sheet(wb: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Row],
                frozen_columns: int = 0) -> Worksheet | WriteOnlyWorksheet:
    """A sheet with a styled, frozen, filterable header row and sized columns. In a write-only workbook (the
    report's) the rows are streamed; in a normal one they are appended as openpyxl cells."""
    ws = wb.create_sheet(title=title)
    widths = [min(max(len(column.header) * 0.9, 8), 28) for column in columns]
    table = [[(safe_text(column.header), HEADER if safe_text(column.header) == column.header else HEADER + QUOTED)
              for column in columns]]
    for row in rows:
        cells = []
        for c, column in enumerate(columns):
            value = column.get(row)
            if value is not None:
                shown = len(f"{value:,.2f}") if isinstance(value, float) else len(str(value))
                widths[c] = max(widths[c], min(shown + 2, MAX_WIDTH))
            cells.append(stored_value(value, column.kind))
        table.append(cells)
    count = len(table) - 1
    # everything but the cells is set first: a write-only sheet writes it before its first row
    for c, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = column.width or widths[c - 1]
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = f"{get_column_letter(frozen_columns + 1)}2"
    last = get_column_letter(max(len(columns), 1))
    if count:
        ws.auto_filter.ref = f"A1:{last}{count + 1}"
    templates = _Styles(ws)
    if isinstance(ws, WriteOnlyWorksheet):
        ws.calculate_dimension = lambda: f"A1:{last}{count + 1}"  # the <dimension> a normal sheet writes
        _stream_rows(ws, table, templates)
    else:
        for cells in table:
            ws.append([_cell(ws, value, key, templates) for value, key in cells])
    return ws


# --- sheet contents ------------------------------------------------------------------------------------------

def _national_rows(vd: ViewData) -> list[Row]:
    facility = {r["period"]: r for r in vd.national_facility}
    completeness = {r["period"]: r for r in vd.national_completeness}
    out = []
    for staff in reversed(vd.national_staffing):
        row = dict(staff)
        row["period_label"] = period_label(staff["period"])
        row["source_map_label"] = SOURCE_MAP_LABELS.get(staff["source_map_version"], staff["source_map_version"])
        row.update({k: v for k, v in facility.get(staff["period"], {}).items() if k.startswith("hq_")})
        for key in ("reporting_rate", "on_time_rate"):
            row[key] = completeness.get(staff["period"], {}).get(key)
        out.append(row)
    return out


NATIONAL_COLUMNS = [
    col("Kỳ báo cáo", "period_label", width=11),
    col("Bản đồ của số liệu", "source_map_label", width=11),
    col("Số tỉnh đã báo cáo", "provinces_reported", "int"),
    col("Số tỉnh phải báo cáo", "provinces_expected", "int"),
    col("Đơn vị cấp xã (theo danh mục, các tỉnh đã báo cáo)", "units_expected", "int", 16),
    col("Đơn vị đã báo cáo", "units_reported", "int"),
    col("Đơn vị có Công an chính quy", "units_with_regular_police", "int"),
    col("Tỷ lệ đơn vị có Công an chính quy", "coverage_pct", "pct"),
    col("Cán bộ, chiến sĩ", "officers_total", "int"),
    col("Bình quân cán bộ/đơn vị", "officers_per_unit", "dec"),
    col("Trưởng Công an", "heads_total", "int"),
    col("Phó Trưởng Công an", "deputies_total", "int"),
    col("Công an viên", "ca_vien_total", "int"),
    col("Điều tra viên", "investigators_total", "int"),
    col("Số tỉnh có số liệu điều tra viên", "provinces_with_investigators", "int"),
    col("Tỷ lệ đơn vị có Trưởng Công an là điều tra viên", "pct_units_head_investigator", "pct", 16),
    col("Cán bộ đã tập huấn", "officers_trained", "int"),
    col("Số tỉnh có số liệu tập huấn", "provinces_with_trained", "int"),
    col("Tỷ lệ cán bộ đã tập huấn", "pct_trained", "pct"),
    col("Trụ sở độc lập", "hq_independent", "int"),
    col("Làm việc chung trụ sở UBND", "hq_shared_with_ppc", "int"),
    col("Đang xây dựng trụ sở", "hq_under_construction", "int"),
    col("Chưa có trụ sở", "hq_missing", "int"),
    col("Tỷ lệ nộp báo cáo", "reporting_rate", "pct"),
    col("Tỷ lệ nộp đúng hạn", "on_time_rate", "pct"),
]


def _province_row(vd: ViewData, pd: ProvinceData, statuses: dict[str, list[Row]]) -> Row:
    period = vd.latest_period
    row: Row = {"province_code": pd.province.code, "province_name": pd.province.name,
                "period_label": period_label(period),
                "latest_label": period_label(pd.latest_period) if pd.latest_period else "chưa có số liệu"}
    staff, hq = pd.staffing_at(period), pd.facility_at(period)
    if staff:
        row.update(staff)
        if staff["source_map_version"] != vd.view:
            row["note"] = (f"Quy đổi từ {staff['source_provinces_reported']}/{staff['source_provinces_expected']} "
                           "tỉnh cũ đã báo cáo")
    if hq:
        row.update({k: v for k, v in hq.items() if k.startswith("hq_")})
    reports = statuses.get(pd.province.code, [])
    if reports:
        row["submission"] = "; ".join(
            (f"{r['province_name']}: " if len(reports) > 1 else "")
            + SUBMISSION_LABELS.get(r["submission_status"], r["submission_status"]) for r in reports)
    return row


PROVINCE_COLUMNS = [
    col("Mã tỉnh", "province_code", width=8),
    col("Tỉnh, thành phố", "province_name", width=26),
    col("Kỳ báo cáo", "period_label", width=11),
    col("Đơn vị cấp xã", "units_expected", "int"),
    col("Đơn vị đã báo cáo", "units_reported", "int"),
    col("Đơn vị có Công an chính quy", "units_with_regular_police", "int"),
    col("Tỷ lệ đơn vị có Công an chính quy", "coverage_pct", "pct"),
    col("Cán bộ, chiến sĩ", "officers_total", "int"),
    col("Bình quân cán bộ/đơn vị", "officers_per_unit", "dec"),
    col("Trưởng Công an", "heads_total", "int"),
    col("Phó Trưởng Công an", "deputies_total", "int"),
    col("Công an viên", "ca_vien_total", "int"),
    col("Điều tra viên", "investigators_total", "int"),
    col("Tỷ lệ đơn vị có Trưởng Công an là điều tra viên", "pct_units_head_investigator", "pct", 16),
    col("Cán bộ đã tập huấn", "officers_trained", "int"),
    col("Tỷ lệ cán bộ đã tập huấn", "pct_trained", "pct"),
    col("Trụ sở độc lập", "hq_independent", "int"),
    col("Làm việc chung trụ sở UBND", "hq_shared_with_ppc", "int"),
    col("Đang xây dựng trụ sở", "hq_under_construction", "int"),
    col("Chưa có trụ sở", "hq_missing", "int"),
    col("Tình trạng nộp báo cáo kỳ mới nhất", "submission", width=22),
    col("Kỳ có số liệu gần nhất", "latest_label", width=12),
    col("Ghi chú", "note", width=34),
]


def _province_rows(vd: ViewData) -> list[Row]:
    statuses: dict[str, list[Row]] = {}
    for r in vd.completeness:
        if r["period"] == vd.latest_completeness_period:
            statuses.setdefault(r["view_province_code"], []).append(r)
    return [_province_row(vd, pd, statuses) for pd in vd.provinces]


def _labelled(rows: Iterable[Row], **labels: dict[str, str]) -> list[Row]:
    """Copy rows adding '<key>_label' for coded columns (status, rule, metric, map)."""
    out = []
    for r in rows:
        row = dict(r)
        for key, mapping in labels.items():
            row[key + "_label"] = mapping.get(r.get(key), r.get(key))
        row["period_label"] = period_label(r.get("period")) if r.get("period") else None
        out.append(row)
    return out


COMPLETENESS_COLUMNS = [
    col("Bản đồ", "map_version_label", width=9),
    col("Mã tỉnh", "province_code", width=8),
    col("Tỉnh, thành phố", "province_name", width=26),
    col("Kỳ báo cáo", "period_label", width=11),
    col("Hạn nộp", "deadline_at", "datetime", 17),
    col("Tình trạng", "submission_status_label", width=12),
    col("Số ngày trễ", "days_late", "int"),
    col("Tệp đã nhận", "files_received", "int"),
    col("Số lần nộp lại", "resubmissions", "int"),
    col("Tệp bị từ chối", "files_rejected", "int"),
    col("Nộp lần đầu (được chấp nhận)", "first_accepted_at", "datetime", 17),
    col("Nhận tệp gần nhất", "last_received_at", "datetime", 17),
    col("Dòng bị cách ly (bản hiện hành)", "rows_quarantined_current", "int"),
]

FACILITY_COLUMNS = [
    col("Bản đồ", "source_map_version_label", width=9),
    col("Mã tỉnh", "province_code", width=8),
    col("Tỉnh, thành phố", "province_name", width=26),
    col("Kỳ báo cáo", "period_label", width=11),
    col("Đơn vị đã báo cáo", "units_reported", "int"),
    col("Trụ sở độc lập", "hq_independent", "int"),
    col("Làm việc chung trụ sở UBND", "hq_shared_with_ppc", "int"),
    col("Đang xây dựng trụ sở", "hq_under_construction", "int"),
    col("Chưa có trụ sở", "hq_missing", "int"),
    col("Tỷ lệ trụ sở độc lập", "pct_independent", "pct"),
]

OUTLIER_COLUMNS = [
    col("Bản đồ", "map_version_label", width=9),
    col("Mã tỉnh", "province_code", width=8),
    col("Kỳ báo cáo", "period_label", width=11),
    col("Mã đơn vị", "unit_code", width=9),
    col("Đơn vị", "unit_name", width=24),
    col("Loại", "unit_type", width=9),
    col("Quy tắc", "rule_label", width=34),
    col("Cán bộ kỳ này", "regular_officers", "int"),
    col("Cán bộ kỳ trước", "previous_officers", "int"),
    col("Kỳ trước", "previous_period", width=10),
    col("Tệp nguồn", "source_file_name", width=22),
    col("Dòng", "source_row_number", "int"),
]

CLAIM_COLUMNS = [
    col("Mã số liệu", "claim_id", width=14),
    col("Kết quả", "status_label", width=16),
    col("Chỉ tiêu", "metric_label", width=28),
    col("Mã tỉnh", "province_code", width=8),
    col("Ngày số liệu", "as_of_date", "date", 12),
    col("Kỳ đối chiếu", "compared_period", width=11),
    col("Báo chí nêu", "claimed_value", "dec"),
    col("Báo cáo của tỉnh", "reference_value", "dec"),
    col("Chênh lệch", "difference", "dec"),
    col("Chênh lệch tương đối", "relative_difference_pct", "pct"),
    col("Phép kiểm tra", "check", width=14),
    col("Giải thích", "explanation", width=40),
    col("Trích dẫn", "claim_evidence", width=50),
    col("Bài báo", "article_title", width=40),
    col("Đường dẫn", "article_url", width=40),
]


def _claims(views: dict[str, ViewData]) -> list[Row]:
    """Every reconciled claim once (a claim can appear in both views), conflicts first."""
    seen: dict[tuple[str, str | None], Row] = {}
    for vd in views.values():
        for c in vd.claims:
            seen.setdefault((c["claim_id"], c.get("check")), c)
    order = {"conflict": 0, "within_tolerance": 1, "no_data": 2, "consistent": 3}
    rows = sorted(seen.values(), key=lambda c: (order.get(c["status"], 4),
                                                -abs(c.get("relative_difference") or 0), c["claim_id"]))
    out = _labelled(rows, status=CLAIM_STATUS_LABELS, metric=METRIC_LABELS)
    for row in out:
        rel = row.get("relative_difference")
        row["relative_difference_pct"] = None if rel is None else 100.0 * rel
    return out


def _notes_rows(views: dict[str, ViewData], generated_at: datetime) -> list[Row]:
    rows = [{"k": "Báo cáo", "v": "Công an cấp xã: bố trí Công an chính quy và trụ sở làm việc"},
            {"k": "Lập lúc (giờ Việt Nam)", "v": generated_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")}]
    for view, vd in views.items():
        rows.append({"k": VIEW_TITLES[view], "v": VIEW_NOTES[view]})
        rows.append({"k": f"Kỳ mới nhất ({VIEW_SHORT[view]})", "v": period_label(vd.latest_period)})
    rows += [
        {"k": "Tỷ lệ đơn vị có Công an chính quy",
         "v": "Đơn vị có Công an chính quy / tổng số đơn vị cấp xã (theo danh mục) của các tỉnh đã báo cáo."},
        {"k": "Bình quân cán bộ/đơn vị", "v": "Cán bộ, chiến sĩ / đơn vị đã báo cáo."},
        {"k": "Đúng hạn", "v": "Bản báo cáo đầu tiên được chấp nhận nhận được trước hết ngày 5 tháng sau."},
        {"k": "Số liệu quy đổi",
         "v": "Ở bản đồ 34 tỉnh, số liệu các kỳ trước 07/2025 là tổng của các tỉnh cũ hợp thành; số cán bộ có thể "
              "là số lẻ do phân bổ theo diện tích khi một xã cũ được chia cho nhiều xã mới."},
    ]
    return rows


def build_workbook(views: dict[str, ViewData], generated_at: datetime) -> Workbook:
    """The whole workbook in memory."""
    wb = Workbook(write_only=True)  # rows are streamed: no cell objects kept, no per-cell XML elements
    wb.properties.title = "Báo cáo Công an cấp xã"
    wb.properties.creator = "commune-police-warehouse"
    for view, vd in views.items():
        write_sheet(wb, f"Toàn quốc {VIEW_SHORT[view]}", NATIONAL_COLUMNS, _national_rows(vd), frozen_columns=1)
    for view, vd in views.items():
        write_sheet(wb, f"Các tỉnh {VIEW_SHORT[view]} kỳ mới nhất"[:31], PROVINCE_COLUMNS, _province_rows(vd),
                    frozen_columns=2)
    as_submitted = [r for vd in views.values() for r in vd.completeness
                    if vd.view == r["map_version"]]  # each report once, in its own map
    as_submitted.sort(key=lambda r: (r["period"], r["map_version"], r["province_code"]), reverse=True)
    write_sheet(wb, "Tiến độ nộp báo cáo",
                COMPLETENESS_COLUMNS, _labelled(as_submitted, submission_status=SUBMISSION_LABELS,
                                                map_version=SOURCE_MAP_LABELS), frozen_columns=4)
    facility = []
    for vd in views.values():
        names = {p.province.code: p.province.name for p in vd.provinces}
        for pd in vd.provinces:
            for r in pd.facility:
                if r["source_map_version"] == vd.view:
                    facility.append({**r, "province_name": names.get(r["province_code"])})
    facility.sort(key=lambda r: (r["period"], r["source_map_version"], r["province_code"]), reverse=True)
    write_sheet(wb, "Trụ sở", FACILITY_COLUMNS, _labelled(facility, source_map_version=SOURCE_MAP_LABELS),
                frozen_columns=4)
    outliers = [r for vd in views.values() for r in vd.outliers_all if r["map_version"] == vd.view]
    write_sheet(wb, "Số liệu bất thường", OUTLIER_COLUMNS,
                _labelled(outliers, rule=OUTLIER_LABELS, map_version=SOURCE_MAP_LABELS), frozen_columns=3)
    claims_available = any(vd.claims_available for vd in views.values())
    claim_rows = _claims(views) if claims_available else [{"claim_id": NO_CLAIMS}]
    write_sheet(wb, "Đối chiếu báo chí", CLAIM_COLUMNS, claim_rows, frozen_columns=2)
    write_sheet(wb, "Ghi chú", [col("Mục", "k", width=36), col("Nội dung", "v", width=110)],
                _notes_rows(views, generated_at))
    return wb


def write_workbook(views: dict[str, ViewData], path: Path, generated_at: datetime | None = None) -> Path:
    """Write the workbook atomically (a temp file in the same folder, then rename)."""
    wb = build_workbook(views, generated_at or datetime.now(timezone.utc))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def sheet_names(views: Sequence[str]) -> list[str]:
    """The sheet names a workbook for these views has, in order."""
    return ([f"Toàn quốc {VIEW_SHORT[v]}" for v in views]
            + [f"Các tỉnh {VIEW_SHORT[v]} kỳ mới nhất"[:31] for v in views]
            + ["Tiến độ nộp báo cáo", "Trụ sở", "Số liệu bất thường", "Đối chiếu báo chí", "Ghi chú"])

