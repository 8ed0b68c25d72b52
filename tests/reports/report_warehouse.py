"""A small warehouse with the columns of the marts the reports read, built in a temp DuckDB file.

Three legacy provinces (Hà Nội, Hưng Yên, Thái Bình) and a crafted one whose names start with '=' (formula
injection) and hold HTML; Hưng Yên and Thái Bình merge into Hưng Yên in the 2025 map. Legacy periods 2025-05 and
2025-06, 2025-map periods 2025-07 and 2025-08. `claims` adds the news marts, with evidence starting with "=".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

EVIL_NAME = '=1+2 <b>Tỉnh Thử</b> & "Co"'
EVIL_SHORT = "=cmd|' /C calc'!A0 Thử"
EVIL_UNIT = "=HYPERLINK(1) Xã Độc"
EVIL_EVIDENCE = "=2+5 trụ sở độc lập"
PLUS_EXPLANATION = "+không khớp: báo nêu 300, tỉnh báo cáo 242"
AT_TITLE = "@Công an xã Thái Bình"

LEGACY_PROVINCES = [
    # code, name, short name, units
    ("01", "Thành phố Hà Nội", "Hà Nội", 526),
    ("33", "Tỉnh Hưng Yên", "Hưng Yên", 139),
    ("34", "Tỉnh Thái Bình", "Thái Bình", 242),
    ("98", EVIL_NAME, EVIL_SHORT, 10),
]
V2025_PROVINCES = [
    ("01", "Thành phố Hà Nội", "Hà Nội", 126),
    ("33", "Tỉnh Hưng Yên", "Hưng Yên", 104),
    ("98", EVIL_NAME, EVIL_SHORT, 5),
]
MERGES = {"01": "01", "33": "33", "34": "33", "98": "98"}
LEGACY_PERIODS = ["2025-05", "2025-06"]
V2025_PERIODS = ["2025-07", "2025-08"]
VN = timezone(timedelta(hours=7))


def _create(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict]) -> None:
    con.register("_rows", pa.Table.from_pylist(rows))
    con.execute(f"create table {name} as select * from _rows")
    con.unregister("_rows")


def _month_start(period: str) -> date:
    return date(int(period[:4]), int(period[5:]), 1)


def _deadline(period: str) -> datetime:
    start = _month_start(period)
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 6)
    return datetime(nxt.year, nxt.month, nxt.day, tzinfo=VN).astimezone(timezone.utc)


def _staffing_row(geography: str, source: str, code: str, name: str, period: str, expected: int, reported: float,
                  officers: float, sources: tuple[int, int] = (1, 1)) -> dict:
    return {
        "province_period_id": f"{geography}:{code}@{period}", "geography": geography, "source_map_version": source,
        "province_code": code, "province_name": name, "period": period, "period_start": _month_start(period),
        "units_expected": expected, "units_reported": float(reported), "units_with_regular_police": float(reported),
        "coverage_pct": round(100.0 * reported / expected, 2), "officers_total": float(officers),
        "officers_per_unit": round(officers / reported, 2), "semi_professional_total": None,
        "heads_total": float(reported), "deputies_total": float(reported * 2), "ca_vien_total": 0.0,
        "investigators_total": float(round(officers / 4)), "pct_units_head_investigator": 50.0,
        "officers_trained": float(round(officers * 0.9)), "pct_trained": 90.0,
        "source_provinces_reported": sources[0], "source_provinces_expected": sources[1],
    }


def build_warehouse(path: Path, claims: str | None = None) -> Path:
    """Create the small warehouse at `path` (a new DuckDB file).

    claims: None (no news marts), "join" (the reconciliation has only the documented core columns; evidence and
    article come through fct_news_claim) or "inline" (the reconciliation carries evidence and article_id too).
    """
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema ref; create schema marts")
        provinces = [
            {"province_sk": f"{m}:{c}", "map_version": m, "province_code": c, "province_name": n,
             "province_short_name": s, "commune_level_unit_count": u}
            for m, plist in (("legacy_63", LEGACY_PROVINCES), ("v2025_34", V2025_PROVINCES))
            for c, n, s, u in plist
        ]
        _create(con, "ref.dim_province", provinces)
        names = {(p["map_version"], p["province_code"]): p["province_name"] for p in provinces}
        _create(con, "ref.bridge_province_2025", [
            {"legacy_province_code": old, "legacy_province_name": names[("legacy_63", old)],
             "new_province_code": new, "new_province_name": names[("v2025_34", new)],
             "legacy_unit_count": next(u for c, _, _, u in LEGACY_PROVINCES if c == old)}
            for old, new in MERGES.items()
        ])

        staffing, facility, completeness, outliers = [], [], [], []
        legacy_officers = {"01": 4000, "33": 1000, "34": 1750, "98": 70}
        for i, period in enumerate(LEGACY_PERIODS):
            for code, name, _, units in LEGACY_PROVINCES:
                missing = code == "34" and period == "2025-06"  # Thái Bình misses its last legacy report
                status = "missing" if missing else ("late" if code == "01" else "on_time")
                first = None if missing else _deadline(period) + timedelta(days=3 if status == "late" else -2)
                completeness.append({
                    "province_period_id": f"legacy_63:{code}@{period}", "map_version": "legacy_63",
                    "province_code": code, "province_name": name, "period": period,
                    "period_start": _month_start(period), "deadline_at": _deadline(period), "expected_reports": 1,
                    "actual_reports": 0 if missing else 1, "on_time_reports": 1 if status == "on_time" else 0,
                    "submission_status": status, "days_late": 3 if status == "late" else None,
                    "files_received": 0 if missing else 1, "resubmissions": 0, "files_rejected": 0,
                    "first_accepted_at": first, "last_received_at": first, "rows_quarantined_current": 0})
                if missing:
                    continue
                officers = legacy_officers[code] + 10 * i
                staffing.append(_staffing_row("legacy_63", "legacy_63", code, name, period, units, units, officers))
                facility.append({
                    "province_period_id": f"legacy_63:{code}@{period}", "map_version": "legacy_63",
                    "province_code": code, "province_name": name, "period": period,
                    "period_start": _month_start(period), "units_reported": units,
                    "hq_independent": units - 6, "hq_shared_with_ppc": 3, "hq_under_construction": 2,
                    "hq_missing": 1, "pct_independent": round(100.0 * (units - 6) / units, 2)})
            # back-cast rows of the 2025 geography: legacy provinces summed into their 2025 province
            for new_code, new_name, _, _ in V2025_PROVINCES:
                parts = [r for r in staffing if r["geography"] == "legacy_63" and r["period"] == period
                         and MERGES[r["province_code"]] == new_code]
                expected = sum(u for c, _, _, u in LEGACY_PROVINCES if MERGES[c] == new_code)
                n_sources = sum(1 for c in MERGES if MERGES[c] == new_code)
                staffing.append(_staffing_row(
                    "v2025_34", "legacy_63", new_code, new_name, period, expected,
                    sum(r["units_reported"] for r in parts), sum(r["officers_total"] for r in parts),
                    (len(parts), n_sources)))
        for i, period in enumerate(V2025_PERIODS):
            for code, name, _, units in V2025_PROVINCES:
                officers = {"01": 4400, "33": 2700, "98": 120}[code] + 5 * i
                staffing.append(_staffing_row("v2025_34", "v2025_34", code, name, period, units, units, officers))
                facility.append({
                    "province_period_id": f"v2025_34:{code}@{period}", "map_version": "v2025_34",
                    "province_code": code, "province_name": name, "period": period,
                    "period_start": _month_start(period), "units_reported": units,
                    "hq_independent": units - 2, "hq_shared_with_ppc": 1, "hq_under_construction": 1,
                    "hq_missing": 0, "pct_independent": round(100.0 * (units - 2) / units, 2)})
                first = _deadline(period) - timedelta(days=1)
                completeness.append({
                    "province_period_id": f"v2025_34:{code}@{period}", "map_version": "v2025_34",
                    "province_code": code, "province_name": name, "period": period,
                    "period_start": _month_start(period), "deadline_at": _deadline(period), "expected_reports": 1,
                    "actual_reports": 1, "on_time_reports": 1, "submission_status": "on_time", "days_late": None,
                    "files_received": 1, "resubmissions": 0, "files_rejected": 0, "first_accepted_at": first,
                    "last_received_at": first, "rows_quarantined_current": 0})
        for map_version, period, code, unit, officers in (
            ("legacy_63", "2025-06", "98", EVIL_UNIT, 40),
            ("legacy_63", "2025-06", "33", "Xã Tân Lập", 31),
            ("v2025_34", "2025-08", "98", "@SUM(A1) Phường Lạ", 75),
            ("v2025_34", "2025-08", "33", "Phường Hưng Yên", 66),
        ):
            outliers.append({
                "outlier_id": f"{map_version}:{code}001@{period}#officers_high_for_unit_type",
                "snapshot_id": f"{map_version}:{code}001@{period}", "rule": "officers_high_for_unit_type",
                "detail": f"{officers} regular officers", "period": period, "map_version": map_version,
                "province_code": code, "unit_code": f"{code}001", "commune_sk": f"{map_version}:{code}001",
                "unit_name": unit, "unit_type": "xã", "regular_officers": officers, "previous_officers": officers,
                "previous_period": "2025-05" if map_version == "legacy_63" else "2025-07",
                "source_file_name": f"{code}_{period}.csv", "source_row_number": 7})
        _create(con, "marts.mart_province_staffing", staffing)
        _create(con, "marts.mart_facility_summary", facility)
        _create(con, "marts.mart_submission_completeness", completeness)
        _create(con, "marts.mart_staffing_outliers", outliers)
        if claims:
            _add_claims(con, inline=claims == "inline")
    finally:
        con.close()
    return path


def _add_claims(con: duckdb.DuckDBPyConnection, inline: bool) -> None:
    _create(con, "marts.dim_news_article", [
        {"article_id": "a1", "url": "local-article-1", "title": AT_TITLE, "published": date(2025, 6, 20)},
        {"article_id": "a2", "url": "local-article-2", "title": "Hưng Yên sau sáp nhập",
         "published": date(2025, 8, 20)},
    ])
    _create(con, "marts.fct_news_claim", [
        {"claim_id": "c1", "article_id": "a1", "evidence": EVIL_EVIDENCE, "metric": "hq_independent"},
        {"claim_id": "c2", "article_id": "a1", "evidence": "242/242 xã", "metric": "units_with_regular_police"},
        {"claim_id": "c3", "article_id": "a2", "evidence": "2.700 cán bộ, chiến sĩ", "metric": "officers_total"},
    ])
    rows = [
        # claim, check, metric, province (legacy code), as_of, claimed, reference, status, period, map, explanation
        ("c1", "submissions", "hq_independent", "34", date(2025, 5, 31), 7.0, 236.0, "conflict", "2025-05",
         "legacy_63", PLUS_EXPLANATION),
        ("c2", "submissions", "units_with_regular_police", "34", date(2025, 5, 31), 242.0, 242.0, "consistent",
         "2025-05", "legacy_63", "khớp"),
        ("c3", "submissions", "officers_total", "34", date(2025, 8, 15), 2700.0, 2705.0, "within_tolerance",
         "2025-08", "v2025_34", "-chênh lệch nhỏ"),
    ]
    evidence = {"c1": EVIL_EVIDENCE, "c2": "242/242 xã", "c3": "2.700 cán bộ, chiến sĩ"}
    article = {"c1": "a1", "c2": "a1", "c3": "a2"}
    recon = []
    for c, chk, m, p, d, cv, rv, st, per, mv, ex in rows:
        row = {"claim_id": c, "check": chk, "metric": m, "province_code": p, "as_of_date": d, "claimed_value": cv,
               "reference_value": rv, "difference": cv - rv, "relative_difference": (cv - rv) / rv, "status": st,
               "compared_period": per, "explanation": ex}
        if inline:
            row.update({"reconciliation_id": f"{c}#{chk}", "compared_map_version": mv, "evidence": evidence[c],
                        "article_id": article[c]})
        recon.append(row)
    _create(con, "marts.mart_claim_reconciliation", recon)
