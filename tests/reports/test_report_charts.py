"""SVG charts and Vietnamese formatting, alone."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from pipelines.reports import charts
from pipelines.reports.charts import Marker, Series
from pipelines.reports.formatting import fmt_dec, fmt_int, fmt_number, fmt_pct, period_label, slugify

PERIODS = ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]


def parse(svg: str) -> list[tuple[str, dict]]:
    """(tag, attrs) of every element; fails on badly nested markup."""
    found: list[tuple[str, dict]] = []
    stack: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))
            stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            found.append((tag, dict(attrs)))

        def handle_endtag(self, tag):
            assert stack and stack.pop() == tag, f"bad nesting at </{tag}>"

    Parser().feed(svg)
    assert not stack
    return found


def test_line_chart_has_title_axes_legend_and_breaks_at_gaps():
    svg = charts.line_chart("Tỷ lệ đơn vị có Công an chính quy", PERIODS,
                            [Series("Tỷ lệ", [50, 60, None, 80, 90]), Series("Đúng hạn", [40, 45, 50, 55, 60])],
                            y_label="% đơn vị", y_max=100, markers=[Marker(2.5, "01/07/2025")])
    elements = parse(svg)
    assert elements[0][0] == "svg" and elements[0][1]["role"] == "img"
    assert "<title" in svg and "Tỷ lệ đơn vị có Công an chính quy" in svg
    assert "% đơn vị" in svg and "Kỳ báo cáo" in svg and "04/2025" in svg and "100" in svg
    assert "01/07/2025" in svg
    polylines = [a for t, a in elements if t == "polyline"]
    assert len(polylines) == 3  # the gap splits the first series in two
    assert "http" not in svg


def test_bar_chart_stacks_series_and_escapes_labels():
    svg = charts.bar_chart("Trụ sở <độc lập>", PERIODS[:2],
                           [Series("A & B", [3, 4]), Series("Chưa có", [1, 0])], y_label="Số đơn vị")
    parse(svg)
    assert "Trụ sở &lt;độc lập&gt;" in svg and "A &amp; B" in svg and "<độc lập>" not in svg
    assert len(re.findall(r"<rect [^>]*><title>", svg)) == 3  # zero values draw nothing


def test_empty_charts_say_there_is_no_data():
    assert "Chưa có số liệu" in charts.line_chart("X", PERIODS, [Series("a", [None] * 5)], y_label="y")
    assert "Chưa có số liệu" in charts.bar_chart("X", [], [], y_label="y")
    assert "Chưa có số liệu" in charts.hbar_chart("X", [], [], x_label="x")
    assert "Chưa có số liệu" in charts.status_grid("X", [], PERIODS, {}, {})


def test_hbar_and_status_grid():
    svg = charts.hbar_chart("Theo tỉnh", ["Hà Nội", "Thái Bình"], [35.5, 7.2], x_label="Cán bộ/đơn vị")
    parse(svg)
    assert "Hà Nội" in svg and "35,50" in svg
    grid = charts.status_grid("Nộp báo cáo", ["Hà Nội"], PERIODS, {(0, 0): "on_time", (0, 1): "late"},
                              {"on_time": ("#0a0", "Đúng hạn"), "late": ("#aa0", "Trễ hạn")})
    parse(grid)
    assert "Hà Nội, 04/2025: Đúng hạn" in grid and "Trễ hạn" in grid


def test_ticks():
    assert charts.nice_ticks(0, 97) == [0, 20, 40, 60, 80, 100]
    assert charts.nice_ticks(0, 1.1, integer=True) == [0, 1, 2]
    many = [f"{y}-{m:02d}" for y in range(2019, 2027) for m in range(1, 13)]
    assert charts.period_ticks(many) == [(i * 12, str(2019 + i)) for i in range(8)]
    assert charts.period_ticks(PERIODS)[0] == (0, "04/2025")


@pytest.mark.parametrize(("value", "text"), [(2150, "2.150"), (1234567.4, "1.234.567"), (0, "0"), (None, "–"),
                                             (-1500, "-1.500")])
def test_fmt_int(value, text):
    assert fmt_int(value) == text


def test_fmt_decimals_percent_period_and_slug():
    assert fmt_dec(7.234) == "7,23" and fmt_dec(1234.5, 1) == "1.234,5"
    assert fmt_pct(98.294) == "98,3%" and fmt_pct(None) == "–"
    assert fmt_number(12.0) == "12" and fmt_number(7.256) == "7,26"
    assert period_label("2025-04") == "04/2025"
    assert slugify("Thái Bình") == "thai-binh" and slugify("Đắk Lắk") == "dak-lak"
    assert slugify("Bà Rịa - Vũng Tàu") == "ba-ria-vung-tau" and slugify("<>") == "tinh"
