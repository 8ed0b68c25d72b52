"""write_reports over a small crafted warehouse: layout, HTML, workbook, formula injection, news claims."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import openpyxl
import pytest
from report_warehouse import AT_TITLE, EVIL_EVIDENCE, EVIL_NAME, EVIL_UNIT, PLUS_EXPLANATION, build_warehouse

from pipelines.reports import queries, xlsx
from pipelines.reports.build import XLSX_NAME, ReportSet, write_reports

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
EXPECTED_PAGES = [
    "index.html",
    "legacy_63/national.html",
    "legacy_63/provinces/01-ha-noi.html",
    "legacy_63/provinces/33-hung-yen.html",
    "legacy_63/provinces/34-thai-binh.html",
    "legacy_63/provinces/98-cmd-c-calc-a0-thu.html",
    "v2025_34/national.html",
    "v2025_34/provinces/01-ha-noi.html",
    "v2025_34/provinces/33-hung-yen.html",
    "v2025_34/provinces/98-cmd-c-calc-a0-thu.html",
]


class PageChecker(HTMLParser):
    """Checks nesting of non-void elements and collects links, resource references and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.links: list[str] = []
        self.resources: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("href", "xlink:href"):
                self.links.append(value or "")
            if name in ("src", "srcset", "action", "data", "poster", "background"):
                self.resources.append(value or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_page(path: Path) -> PageChecker:
    parser = PageChecker()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def write(db: Path, out: Path) -> ReportSet:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return write_reports(con, out)
    finally:
        con.close()


@pytest.fixture(scope="module")
def reports(mini_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportSet:
    return write(mini_warehouse, tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def workbook(reports: ReportSet) -> openpyxl.Workbook:
    return openpyxl.load_workbook(reports.xlsx)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def sheet_rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]


# --- layout --------------------------------------------------------------------------------------------------

def test_every_expected_page_and_the_workbook_exist(reports: ReportSet):
    out = reports.out_dir
    for page in EXPECTED_PAGES:
        assert (out / page).is_file(), page
    assert (out / XLSX_NAME).is_file()
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.html")) == sorted(EXPECTED_PAGES)
    assert reports.counts["html_pages"] == len(EXPECTED_PAGES)
    assert reports.counts["legacy_63_province_pages"] == 4 and reports.counts["v2025_34_province_pages"] == 3
    assert not list(out.rglob("*.tmp")), "temp files left behind"


def test_one_page_per_province_of_each_map(reports: ReportSet, mini_warehouse: Path):
    for view in queries.VIEWS:
        (count,) = query(mini_warehouse, "select count(*) from ref.dim_province where map_version = ?", [view])[0]
        assert len(list((reports.out_dir / view / "provinces").glob("*.html"))) == count


# --- HTML ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", EXPECTED_PAGES)
def test_pages_are_well_formed_self_contained_and_link_only_existing_pages(reports: ReportSet, page: str):
    path = reports.out_dir / page
    text = path.read_text(encoding="utf-8")
    checker = check_page(path)
    assert not checker.errors, checker.errors[:5]
    assert checker.stack == [], f"unclosed elements: {checker.stack}"
    assert text.startswith("<!DOCTYPE html>") and '<html lang="vi">' in text and '<meta charset="utf-8">' in text
    # nothing fetched from anywhere: no scripts, stylesheets, fonts, images or any http(s) address
    assert not {"script", "link", "img", "iframe", "object"} & checker.tags
    assert not checker.resources
    assert "http://" not in text and "https://" not in text
    assert "url(" not in text and "@import" not in text
    for href in checker.links:
        parsed = urlparse(href)
        assert not parsed.scheme and not parsed.netloc, href
        if parsed.path:
            assert (path.parent / parsed.path).resolve().exists(), f"{page} links missing {href}"


@pytest.mark.parametrize("page", ["legacy_63/national.html", "v2025_34/national.html",
                                  "v2025_34/provinces/33-hung-yen.html"])
def test_pages_have_vietnamese_labels_and_svg_charts(reports: ReportSet, page: str):
    text = (reports.out_dir / page).read_text(encoding="utf-8")
    for label in ("Tỷ lệ đơn vị có Công an chính quy", "Bình quân cán bộ", "Điều tra viên", "Trụ sở độc lập",
                  "Làm việc chung trụ sở UBND", "Tiến độ nộp báo cáo", "Số liệu bất thường", "Mục lục"):
        assert label in text, label
    assert text.count("<svg") >= 5
    assert '<nav class="toc"' in text


def test_national_page_shows_the_latest_national_figures(reports: ReportSet, mini_warehouse: Path):
    text = (reports.out_dir / "legacy_63/national.html").read_text(encoding="utf-8")
    officers, provinces = query(mini_warehouse, """
        select sum(officers_total)::bigint, count(*) from marts.mart_province_staffing
        where geography = 'legacy_63' and period = '2025-06'""")[0]
    assert f"{officers:,}".replace(",", ".") in text  # 5.100 in Vietnamese notation
    assert f"{provinces}/4" in text
    assert "kỳ 06/2025" in text
    assert "Chưa nộp" in text  # Thái Bình missed 2025-06


def test_v2025_pages_mark_the_reform_and_link_legacy_provinces(reports: ReportSet):
    national = (reports.out_dir / "v2025_34/national.html").read_text(encoding="utf-8")
    assert "01/07/2025" in national
    page = (reports.out_dir / "v2025_34/provinces/33-hung-yen.html").read_text(encoding="utf-8")
    assert "../../legacy_63/provinces/34-thai-binh.html" in page
    assert "../../legacy_63/provinces/33-hung-yen.html" in page
    assert "Tỉnh Thái Bình (cũ)" in page
    legacy = (reports.out_dir / "legacy_63/provinces/34-thai-binh.html").read_text(encoding="utf-8")
    assert "../../v2025_34/provinces/33-hung-yen.html" in legacy


def test_text_from_the_warehouse_is_escaped(reports: ReportSet):
    page = (reports.out_dir / "legacy_63/national.html").read_text(encoding="utf-8")
    assert "<b>Tỉnh Thử</b>" not in page
    assert "=1+2 &lt;b&gt;Tỉnh Thử&lt;/b&gt; &amp; &quot;Co&quot;" in page
    assert "".join(check_page(reports.out_dir / "legacy_63/national.html").text).count(EVIL_NAME) >= 1


def test_without_news_marts_the_claims_section_says_so(reports: ReportSet):
    for page in ("legacy_63/national.html", "v2025_34/provinces/33-hung-yen.html"):
        assert "no news claims yet" in (reports.out_dir / page).read_text(encoding="utf-8")
    assert not reports.claims_available
    assert "no news claims yet" in reports.preview_md


def test_rewriting_replaces_files_and_drops_stale_province_pages(mini_warehouse: Path, tmp_path: Path):
    stale = tmp_path / "legacy_63" / "provinces" / "99-cu.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    first = write(mini_warehouse, tmp_path)
    assert not stale.exists()
    second = write(mini_warehouse, tmp_path)
    assert [p.name for p in first.paths] == [p.name for p in second.paths]
    assert not list(tmp_path.rglob("*.tmp"))


# --- workbook ------------------------------------------------------------------------------------------------

def test_workbook_has_the_sheets_with_vietnamese_headers_and_frozen_rows(workbook: openpyxl.Workbook):
    assert workbook.sheetnames == xlsx.sheet_names(queries.VIEWS)
    national = workbook["Toàn quốc 63 tỉnh"]
    headers = [c.value for c in national[1]]
    assert headers[0] == "Kỳ báo cáo" and "Tỷ lệ đơn vị có Công an chính quy" in headers
    for ws in workbook.worksheets:
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), ws.title
        assert ws.column_dimensions["A"].width and ws.column_dimensions["A"].width > 5


def test_workbook_national_values_match_sql_totals(workbook: openpyxl.Workbook, mini_warehouse: Path):
    for view, sheet in (("legacy_63", "Toàn quốc 63 tỉnh"), ("v2025_34", "Toàn quốc 34 tỉnh")):
        rows = sheet_rows(workbook[sheet])
        expected = query(mini_warehouse, """
            select period, sum(officers_total), sum(units_reported), count(*),
                   100.0 * sum(units_with_regular_police) / sum(units_expected)
            from marts.mart_province_staffing
            where geography = source_map_version and (? = 'v2025_34' or geography = 'legacy_63')
            group by period order by period desc""", [view])
        assert len(rows) == len(expected)
        for row, (period, officers, units, provinces, coverage) in zip(rows, expected):
            assert row["Kỳ báo cáo"] == f"{period[5:]}/{period[:4]}"
            assert row["Cán bộ, chiến sĩ"] == pytest.approx(officers)
            assert row["Đơn vị đã báo cáo"] == pytest.approx(units)
            assert row["Số tỉnh đã báo cáo"] == provinces
            assert row["Tỷ lệ đơn vị có Công an chính quy"] == pytest.approx(coverage / 100, abs=1e-4)
    cell = workbook["Toàn quốc 63 tỉnh"]["H2"]
    assert cell.number_format == "0.0%"


def test_workbook_province_and_completeness_sheets_match_sql(workbook: openpyxl.Workbook, mini_warehouse: Path):
    provinces = sheet_rows(workbook["Các tỉnh 63 tỉnh kỳ mới nhất"])
    assert [r["Mã tỉnh"] for r in provinces] == ["01", "33", "34", "98"]
    thai_binh = next(r for r in provinces if r["Mã tỉnh"] == "34")
    assert thai_binh["Cán bộ, chiến sĩ"] is None and thai_binh["Tình trạng nộp báo cáo kỳ mới nhất"] == "Chưa nộp"
    hanoi = next(r for r in provinces if r["Mã tỉnh"] == "01")
    (officers,) = query(mini_warehouse, """select officers_total from marts.mart_province_staffing
        where geography = 'legacy_63' and province_code = '01' and period = '2025-06'""")[0]
    assert hanoi["Cán bộ, chiến sĩ"] == officers
    merged = next(r for r in sheet_rows(workbook["Các tỉnh 34 tỉnh kỳ mới nhất"]) if r["Mã tỉnh"] == "33")
    assert merged["Kỳ báo cáo"] == "08/2025"
    completeness = sheet_rows(workbook["Tiến độ nộp báo cáo"])
    (total,) = query(mini_warehouse, "select count(*) from marts.mart_submission_completeness")[0]
    assert len(completeness) == total
    assert {r["Tình trạng"] for r in completeness} == {"Đúng hạn", "Trễ hạn", "Chưa nộp"}
    hq = sheet_rows(workbook["Trụ sở"])
    (hq_total,) = query(mini_warehouse, "select sum(hq_independent) from marts.mart_facility_summary")[0]
    assert sum(r["Trụ sở độc lập"] for r in hq) == hq_total


def all_cells(wb: openpyxl.Workbook):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def test_no_cell_is_a_formula_and_no_text_starts_like_one(workbook: openpyxl.Workbook, reports: ReportSet):
    for cell in all_cells(workbook):
        assert cell.data_type != "f", (cell.parent.title, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_START), (cell.parent.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(reports.xlsx) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode("utf-8"), name


def test_names_starting_with_formula_characters_are_neutralized(workbook: openpyxl.Workbook):
    values = {cell.value: cell for cell in all_cells(workbook) if isinstance(cell.value, str)}
    province = values["'" + EVIL_NAME]
    assert province.data_type == "s" and province.quotePrefix
    assert "'" + EVIL_UNIT in values  # outlier unit name (legacy view)
    assert "'@SUM(A1) Phường Lạ" in values  # outlier unit name (2025 view)
    assert EVIL_NAME not in values


def test_safe_text_and_set_cell_cover_every_trigger():
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, text in enumerate(["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "a=1", "Tỉnh Thái Bình"], start=1):
        xlsx.set_cell(ws, i, 1, text)
        cell = ws.cell(row=i, column=1)
        assert cell.data_type == "s"
        if text[0] in "=+-@\t\r":
            assert cell.value == "'" + text and cell.quotePrefix
        else:
            assert cell.value == text
    xlsx.set_cell(ws, 10, 1, "x\x00y\x07")  # characters XLSX cannot hold are dropped, not fatal
    assert ws.cell(row=10, column=1).value == "xy"


EDGE_ROWS = [
    {"t": "=1+1", "i": 3, "d": Decimal("2.5"), "p": 97.25, "day": date(2025, 6, 30),
     "at": datetime(2025, 7, 4, 23, 30, tzinfo=timezone.utc)},
    {"t": "#N/A", "i": 2.0000001, "d": float("nan"), "p": 0, "day": None, "at": datetime(2025, 7, 5, 8, 0)},
    {"t": "  a < b & c > d  ", "i": 2.4, "d": True, "p": None, "day": date(1900, 2, 1), "at": None},
    {"t": "", "i": -7, "d": 1e20, "p": 12, "day": None, "at": None},
    {"t": 17, "i": None, "d": -0.1, "p": 3.5, "day": None, "at": None},
    {"t": "Xã\r\nmới\t", "i": 10**12, "d": 0.30000000000000004, "p": 100, "day": None, "at": None},
]
EDGE_COLUMNS = [xlsx.col("Tên", "t"), xlsx.col("=Số", "i", "int"), xlsx.col("Thập phân", "d", "dec"),
                xlsx.col("Tỷ lệ", "p", "pct"), xlsx.col("Ngày", "day", "date"), xlsx.col("Lúc", "at", "datetime")]


def edge_sheet_xml(path: Path, workbook: openpyxl.Workbook) -> str:
    xlsx.write_sheet(workbook, "Tỉnh", EDGE_COLUMNS, EDGE_ROWS, frozen_columns=1)
    workbook.save(path)
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def normal_workbook() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def test_streamed_rows_are_the_xml_openpyxl_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The report's workbook streams pre-rendered rows; they must be the bytes openpyxl's own cell writer produces
    for the same cells, whether openpyxl writes them from a write-only or a normal workbook."""
    normal = edge_sheet_xml(tmp_path / "normal.xlsx", normal_workbook())
    with monkeypatch.context() as m:
        m.setattr(xlsx, "LXML", True)  # the fallback: openpyxl's cell writer in the write-only workbook
        fallback = edge_sheet_xml(tmp_path / "fallback.xlsx", openpyxl.Workbook(write_only=True))

    def no_cell_writer(*args, **kwargs):
        raise AssertionError("the streamed path must not go through openpyxl's per-cell writer")

    with monkeypatch.context() as m:
        m.setattr(openpyxl.worksheet._writer, "write_cell", no_cell_writer)
        streamed = edge_sheet_xml(tmp_path / "streamed.xlsx", openpyxl.Workbook(write_only=True))
    assert streamed == fallback == normal
    ws = openpyxl.load_workbook(tmp_path / "streamed.xlsx")["Tỉnh"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:F7" and ws.row_dimensions[1].height == 32
    assert ws["A1"].font.b and ws["B1"].value == "'=Số" and ws["B1"].quotePrefix and ws["B1"].font.b
    assert [ws.cell(row=r, column=1).value for r in range(2, 8)] == [
        "'=1+1", "#N/A", "  a < b & c > d  ", None, "17", "Xã\nmới\t"]  # XML reads the CR back as LF
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in (2, 3, 4, 6, 7))
    assert ws["A2"].quotePrefix and not ws["A3"].quotePrefix
    assert [ws.cell(row=r, column=2).value for r in range(2, 8)] == [3, 2, 2.4, -7, None, 10**12]
    assert ws["C2"].value == 2.5 and ws["C4"].value is True and ws["C2"].number_format == "#,##0.00"
    assert ws["D2"].value == pytest.approx(0.9725) and ws["D2"].number_format == "0.0%"
    assert ws["E2"].value == datetime(2025, 6, 30) and ws["E2"].number_format == "dd/mm/yyyy"
    assert ws["F2"].value == datetime(2025, 7, 5, 6, 30)  # UTC shown in Vietnam time
    assert ws["F3"].number_format == "dd/mm/yyyy hh:mm"


# --- news claims ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def claim_reports(mini_warehouse_claims: Path, tmp_path_factory: pytest.TempPathFactory) -> ReportSet:
    return write(mini_warehouse_claims, tmp_path_factory.mktemp("claim_reports"))


def test_claim_conflicts_appear_on_the_pages(claim_reports: ReportSet):
    assert claim_reports.claims_available
    legacy = (claim_reports.out_dir / "legacy_63/national.html").read_text(encoding="utf-8")
    assert "Mâu thuẫn" in legacy and "no news claims yet" not in legacy
    assert EVIL_EVIDENCE in legacy and AT_TITLE in legacy  # shown as text, escaped by the parser check below
    assert "1 mâu thuẫn" in claim_reports.preview_md
    # a legacy claim about Thái Bình (34) shows on the 2025 page of Hưng Yên, which Thái Bình merged into
    merged = (claim_reports.out_dir / "v2025_34/provinces/33-hung-yen.html").read_text(encoding="utf-8")
    assert EVIL_EVIDENCE in merged and "Chênh lệch trong ngưỡng" in merged
    # the 2025-map claim is not in the legacy view
    assert "2.700 cán bộ" not in legacy
    for page in ("legacy_63/national.html", "v2025_34/national.html", "v2025_34/provinces/33-hung-yen.html"):
        checker = check_page(claim_reports.out_dir / page)
        assert not checker.errors and not checker.stack


def test_claim_evidence_starting_with_formula_characters_is_neutralized(claim_reports: ReportSet):
    wb = openpyxl.load_workbook(claim_reports.xlsx)
    rows = sheet_rows(wb["Đối chiếu báo chí"])
    assert len(rows) == 3
    conflict = rows[0]
    assert conflict["Kết quả"] == "Mâu thuẫn"
    assert conflict["Trích dẫn"] == "'" + EVIL_EVIDENCE
    assert conflict["Giải thích"] == "'" + PLUS_EXPLANATION
    assert conflict["Bài báo"] == "'" + AT_TITLE
    assert conflict["Chênh lệch tương đối"] == pytest.approx((7 - 236) / 236)
    assert {r["Giải thích"] for r in rows} >= {"'-chênh lệch nhỏ"}
    for cell in all_cells(wb):
        assert cell.data_type != "f"
        if isinstance(cell.value, str):
            assert not cell.value.startswith(FORMULA_START)


def test_national_shares_leave_out_provinces_without_the_figure(tmp_path: Path):
    con = duckdb.connect(str(build_warehouse(tmp_path / "w.duckdb")))
    try:
        con.execute("""update marts.mart_province_staffing
                       set officers_trained = null, pct_trained = null, investigators_total = null
                       where province_code = '01' and geography = 'legacy_63'""")
        latest = queries.national_staffing(con, "legacy_63")[-1]
    finally:
        con.close()
    assert latest["provinces_reported"] == 3
    assert latest["provinces_with_trained"] == 2 and latest["provinces_with_investigators"] == 2
    assert latest["pct_trained"] == pytest.approx(90.0, abs=0.05)  # not diluted by Hà Nội's untrained count


def test_queries_bind_values_instead_of_formatting_them(mini_warehouse: Path):
    con = duckdb.connect(str(mini_warehouse), read_only=True)
    try:
        assert queries.top_outliers(con, "legacy_63", "2025-06", "x' or '1'='1", 10) == []
        assert queries.national_staffing(con, "legacy_63' or 1=1 --") == []
        assert len(queries.top_outliers(con, "legacy_63", "2025-06", None, 10)) == 2
    finally:
        con.close()
    source = Path(queries.__file__).read_text(encoding="utf-8")
    assert not re.search(r"f\"\"\"|f'''|\.format\(|%s", source), "queries must not format values into SQL"


@pytest.mark.parametrize("limit", [1, 2, 20])
def test_outliers_of_every_province_in_one_query_equal_the_per_province_queries(mini_warehouse: Path, limit):
    """load_view reads every province's outliers at its latest period in one query per view: the rows, their order
    and the per-province limit are those of top_outliers / outlier_counts asked province by province."""
    con = duckdb.connect(str(mini_warehouse), read_only=True)
    try:
        for view in ("legacy_63", "v2025_34"):
            latest = {p.code: period for p in queries.provinces(con, view)
                      for period in [row["period"] for row in queries.province_staffing(con, view)
                                     if row["province_code"] == p.code][-1:]}
            latest["99"] = "2025-06"  # a code without outliers
            top, counts = queries.outliers_by_province(con, view, latest, limit)
            found = 0
            for code, period in latest.items():
                assert top[code] == queries.top_outliers(con, view, period, code, limit), (view, code)
                assert counts[code] == queries.outlier_counts(con, view, period, code), (view, code)
                found += len(top[code])
            assert found > 0 and top["99"] == [] and counts["99"] == []
    finally:
        con.close()
