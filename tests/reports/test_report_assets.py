"""The report assets: keys, deps, and one materialization over the small warehouse with its metadata."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from pipelines.reports.assets import HTML_KEY, MART_DEPS, XLSX_KEY, national_report, report_deps

MARTS = [AssetKey(["marts", name]) for name in ("mart_province_staffing", "mart_facility_summary",
                                                "mart_submission_completeness", "mart_staffing_outliers")]


def test_asset_keys_group_and_deps():
    assert set(national_report.keys) == {HTML_KEY, XLSX_KEY}
    assert HTML_KEY == AssetKey(["reports", "national_report"])
    for key in national_report.keys:
        assert national_report.specs_by_key[key].group_name == "reports"
        deps = {d.asset_key for d in national_report.specs_by_key[key].deps}
        assert set(MARTS) <= deps
    assert set(MARTS) <= set(MART_DEPS) and set(MART_DEPS) <= set(report_deps())


def test_materialization_writes_reports_and_metadata(mini_warehouse: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "build").mkdir()
    shutil.copy(mini_warehouse, tmp_path / "build" / "warehouse.duckdb")
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path))
    with DagsterInstance.ephemeral() as instance:
        result = materialize([national_report], instance=instance)
    assert result.success
    events = {e.asset_key: e.metadata for e in result.get_asset_materialization_events()
              for e in [e.event_specific_data.materialization]}
    html_meta, xlsx_meta = events[HTML_KEY], events[XLSX_KEY]
    index = Path(html_meta["index"].value)
    assert index == tmp_path / "reports" / "index.html" and index.is_file()
    assert Path(html_meta["national_legacy_63"].value).is_file()
    assert Path(html_meta["national_v2025_34"].value).is_file()
    assert html_meta["html_pages"].value == 10
    assert html_meta["legacy_63_province_pages"].value == 4
    preview = html_meta["preview"].value
    assert "| Cán bộ, chiến sĩ | 5.100 | 7.235 |" in preview
    workbook = Path(xlsx_meta["path"].value)
    assert workbook.is_file() and openpyxl.load_workbook(workbook).sheetnames[0] == "Toàn quốc 63 tỉnh"
