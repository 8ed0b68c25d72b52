"""Everything one report view needs, read once from the warehouse and sliced per province in memory."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import duckdb

from pipelines.reports import queries
from pipelines.reports.formatting import slugify
from pipelines.reports.queries import LEGACY, REFORM_PERIOD, V2025, Province, Row

TOP_OUTLIERS = 20
ALL_OUTLIERS = 5000  # the workbook lists every outlier of the latest period, up to this many


@dataclass
class ProvinceData:
    """One province of a view: its series over the view's periods and its latest figures."""

    province: Province
    file_name: str
    staffing: list[Row] = field(default_factory=list)
    facility: list[Row] = field(default_factory=list)
    completeness: list[Row] = field(default_factory=list)
    outliers: list[Row] = field(default_factory=list)
    outlier_counts: list[Row] = field(default_factory=list)
    claims: list[Row] = field(default_factory=list)
    related: list[tuple[str, Province, str]] = field(default_factory=list)  # (view, province, file name)

    @property
    def latest_period(self) -> str | None:
        return self.staffing[-1]["period"] if self.staffing else None

    def staffing_at(self, period: str | None) -> Row | None:
        return next((r for r in self.staffing if r["period"] == period), None)

    def facility_at(self, period: str | None) -> Row | None:
        return next((r for r in self.facility if r["period"] == period), None)

    def completeness_at(self, period: str | None) -> list[Row]:
        return [r for r in self.completeness if r["period"] == period]


@dataclass
class ViewData:
    """A view (legacy_63 or v2025_34): national series, the provinces, outliers and claims."""

    view: str
    periods: list[str]
    national_staffing: list[Row]
    national_facility: list[Row]
    national_completeness: list[Row]
    completeness: list[Row]
    provinces: list[ProvinceData]
    outliers: list[Row]
    outliers_all: list[Row]
    outlier_counts: list[Row]
    claims: list[Row]
    claims_available: bool

    @property
    def latest_period(self) -> str | None:
        return self.national_staffing[-1]["period"] if self.national_staffing else None

    @property
    def latest_completeness_period(self) -> str | None:
        return self.national_completeness[-1]["period"] if self.national_completeness else None

    @property
    def reform_index(self) -> int | None:
        """Index of the first 2025-map period when the view spans the reform (for a marker on charts)."""
        if self.view != V2025 or not self.periods or self.periods[0] >= REFORM_PERIOD:
            return None
        return next((i for i, p in enumerate(self.periods) if p >= REFORM_PERIOD), None)

    def national_at(self, rows: list[Row], period: str | None) -> Row | None:
        return next((r for r in rows if r["period"] == period), None)


def province_file_name(province: Province) -> str:
    """'34-thai-binh.html'."""
    return f"{province.code}-{slugify(province.short_name)}.html"


def _by_province(rows: list[Row], key: str = "province_code") -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def load_view(con: duckdb.DuckDBPyConnection, view: str, top_n: int = TOP_OUTLIERS) -> ViewData:
    """Read one view's national and province data."""
    national_staffing = queries.national_staffing(con, view)
    national_completeness = queries.national_completeness(con, view)
    periods = sorted({r["period"] for r in national_completeness} | {r["period"] for r in national_staffing})
    staffing = _by_province(queries.province_staffing(con, view))
    facility = _by_province(queries.province_facility(con, view))
    completeness = queries.completeness_rows(con, view)
    completeness_by_province = _by_province(completeness, "view_province_code")
    claims_available = queries.claims_available(con)
    claims = queries.claim_rows(con, view) if claims_available else []
    claims_by_province = _by_province([c for c in claims if c["view_province_code"]], "view_province_code")
    latest = national_staffing[-1]["period"] if national_staffing else None
    outliers_all = queries.top_outliers(con, view, latest, None, ALL_OUTLIERS) if latest else []

    provinces = []
    for province in queries.provinces(con, view):
        provinces.append(ProvinceData(
            province=province,
            file_name=province_file_name(province),
            staffing=staffing.get(province.code, []),
            facility=facility.get(province.code, []),
            completeness=completeness_by_province.get(province.code, []),
            claims=claims_by_province.get(province.code, []),
        ))
    latest_by_province = {p.province.code: p.latest_period for p in provinces if p.latest_period}
    top, counts = queries.outliers_by_province(con, view, latest_by_province, top_n)
    for data in provinces:
        if data.latest_period:
            data.outliers = top[data.province.code]
            data.outlier_counts = counts[data.province.code]

    return ViewData(
        view=view,
        periods=periods,
        national_staffing=national_staffing,
        national_facility=queries.national_facility(con, view),
        national_completeness=national_completeness,
        completeness=completeness,
        provinces=provinces,
        outliers=outliers_all[:top_n],
        outliers_all=outliers_all,
        outlier_counts=queries.outlier_counts(con, view, latest, None) if latest else [],
        claims=claims,
        claims_available=claims_available,
    )


def link_views(views: dict[str, ViewData], links: list[Row]) -> None:
    """Cross-link each legacy province with the 2025 province it merged into, and back."""
    if LEGACY not in views or V2025 not in views:
        return
    legacy = {p.province.code: p for p in views[LEGACY].provinces}
    current = {p.province.code: p for p in views[V2025].provinces}
    for link in links:
        old, new = legacy.get(link["legacy_province_code"]), current.get(link["new_province_code"])
        if old is None or new is None:
            continue
        old.related.append((V2025, new.province, new.file_name))
        new.related.append((LEGACY, old.province, old.file_name))
