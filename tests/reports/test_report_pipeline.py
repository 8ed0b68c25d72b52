"""End to end: the real refresh over the shipped sample writes the report set into data/reports."""

from __future__ import annotations

from html.parser import HTMLParser

import openpyxl
import pytest

pytestmark = pytest.mark.slow


def test_refresh_writes_every_page_and_the_workbook(sample_run):
    reports = sample_run.data_dir / "reports"
    assert (reports / "index.html").is_file()
    for view in ("legacy_63", "v2025_34"):
        assert (reports / view / "national.html").is_file()
        (provinces,) = sample_run.query("select count(*) from ref.dim_province where map_version = ?", [view])[0]
        assert len(list((reports / view / "provinces").glob("*.html"))) == provinces
    page = (reports / "v2025_34" / "national.html").read_text(encoding="utf-8")
    HTMLParser().feed(page)
    assert "<svg" in page and "Tỷ lệ đơn vị có Công an chính quy" in page
    assert "http://" not in page and "https://" not in page


def test_refresh_workbook_matches_the_published_marts(sample_run):
    wb = openpyxl.load_workbook(sample_run.data_dir / "reports" / "bao_cao_cong_an_xa.xlsx")
    for view, sheet in (("legacy_63", "Toàn quốc 63 tỉnh"), ("v2025_34", "Toàn quốc 34 tỉnh")):
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        latest = dict(zip(header, (c.value for c in ws[2])))
        period, officers, units = sample_run.query("""
            select period, sum(officers_total), sum(units_reported) from marts.mart_province_staffing
            where geography = source_map_version and (? = 'v2025_34' or geography = 'legacy_63')
            group by period order by period desc limit 1""", [view])[0]
        assert latest["Kỳ báo cáo"] == f"{period[5:]}/{period[:4]}"
        assert latest["Cán bộ, chiến sĩ"] == pytest.approx(officers)
        assert latest["Đơn vị đã báo cáo"] == pytest.approx(units)
    for row in wb["Tiến độ nộp báo cáo"].iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
