"""Report queries against the warehouse marts (plain Python, no Dagster).

Every input value travels as a bound parameter (`?`). The SQL text is made only of constants in this module; the
optional claim fragments are chosen by booleans from the catalog, never built from data.

A *view* is a geography reports are drawn in:
* `legacy_63`: the 63 provinces, periods before 2025-07 as submitted;
* `v2025_34`: today's 34 provinces, 2025 periods as submitted plus legacy periods rolled up to the province each
  legacy province merged into (whole provinces merged, so province totals are exact).
National series of both views are sums of the rows *as submitted*, so a back-cast national figure equals the
legacy one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

LEGACY = "legacy_63"
V2025 = "v2025_34"
VIEWS = (LEGACY, V2025)
REFORM_PERIOD = "2025-07"

Row = dict[str, Any]


@dataclass(frozen=True)
class Province:
    """A province of a view's map."""

    code: str
    name: str
    short_name: str


# Which province of a view each submitted (map_version, province_code) belongs to.
_PROVINCE_MAP = """
province_map as (
    select 'legacy_63' as geography, map_version as source_map_version, province_code as source_province_code,
           province_code
    from ref.dim_province
    where map_version = 'legacy_63'
    union all
    select 'v2025_34', map_version, province_code, province_code
    from ref.dim_province
    where map_version = 'v2025_34'
    union all
    select 'v2025_34', 'legacy_63', legacy_province_code, new_province_code
    from ref.bridge_province_2025
),

province_map_size as (
    select geography, source_map_version, province_code, count(*) as source_provinces_expected
    from province_map
    group by all
)"""


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    """Run a query and return its rows as dicts keyed by column name."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether a table or view exists in the catalog (news marts may not be built yet)."""
    found = con.execute(
        """
        select count(*) from (
            select schema_name, table_name as name from duckdb_tables()
            union all
            select schema_name, view_name from duckdb_views() where not internal
        ) where schema_name = ? and name = ?
        """,
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def columns_of(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> set[str]:
    """Column names of a relation (empty when it does not exist)."""
    found = con.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ?", [schema, name]
    ).fetchall()
    return {r[0] for r in found}


def provinces(con: duckdb.DuckDBPyConnection, view: str) -> list[Province]:
    """Provinces of the view's map, by code."""
    found = con.execute(
        "select province_code, province_name, province_short_name from ref.dim_province "
        "where map_version = ? order by province_code",
        [view],
    ).fetchall()
    return [Province(*r) for r in found]


def province_links(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Legacy province -> the 2025 province it merged into."""
    return rows(con, """
        select legacy_province_code, legacy_province_name, new_province_code, new_province_name
        from ref.bridge_province_2025
        order by new_province_code, legacy_province_code
    """)


# --- staffing ------------------------------------------------------------------------------------------------

NATIONAL_STAFFING_SQL = "with " + _PROVINCE_MAP + """,

staffing as (
    select s.*
    from marts.mart_province_staffing as s
    inner join province_map as m
        on m.source_map_version = s.source_map_version and m.source_province_code = s.province_code
    where s.geography = s.source_map_version and m.geography = ?
),

map_size as (
    select map_version, count(*) as provinces from ref.dim_province group by map_version
)

select
    staffing.period,
    any_value(staffing.period_start)                                           as period_start,
    any_value(staffing.source_map_version)                                     as source_map_version,
    count(*)                                                                   as provinces_reported,
    any_value(map_size.provinces)                                              as provinces_expected,
    sum(units_expected)                                                        as units_expected,
    sum(units_reported)                                                        as units_reported,
    sum(units_with_regular_police)                                             as units_with_regular_police,
    round(100.0 * sum(units_with_regular_police) / nullif(sum(units_expected), 0), 2) as coverage_pct,
    sum(officers_total)                                                        as officers_total,
    round(sum(officers_total) / nullif(sum(units_reported), 0), 2)             as officers_per_unit,
    sum(semi_professional_total)                                               as semi_professional_total,
    sum(heads_total)                                                           as heads_total,
    sum(deputies_total)                                                        as deputies_total,
    sum(ca_vien_total)                                                         as ca_vien_total,
    sum(investigators_total)                                                   as investigators_total,
    -- the mart has the share per province; weight it back by the units reported
    round(sum(pct_units_head_investigator * units_reported) / nullif(sum(units_reported), 0), 2)
                                                                               as pct_units_head_investigator,
    count(investigators_total)                                                 as provinces_with_investigators,
    sum(officers_trained)                                                      as officers_trained,
    count(officers_trained)                                                    as provinces_with_trained,
    -- provinces that do not report training stay out of the denominator too
    round(100.0 * sum(officers_trained)
          / nullif(sum(officers_total) filter (where officers_trained is not null), 0), 2) as pct_trained
from staffing
inner join map_size on map_size.map_version = staffing.source_map_version
group by staffing.period
order by staffing.period
"""

PROVINCE_STAFFING_SQL = """
select
    province_code, province_name, period, period_start, source_map_version, units_expected, units_reported,
    units_with_regular_police, coverage_pct, officers_total, officers_per_unit, semi_professional_total,
    heads_total, deputies_total, ca_vien_total, investigators_total, pct_units_head_investigator,
    officers_trained, pct_trained, source_provinces_reported, source_provinces_expected
from marts.mart_province_staffing
where geography = ?
order by province_code, period
"""


def national_staffing(con: duckdb.DuckDBPyConnection, view: str) -> list[Row]:
    """National staffing per period of the view (sums of the provinces that reported)."""
    return rows(con, NATIONAL_STAFFING_SQL, [view])


def province_staffing(con: duckdb.DuckDBPyConnection, view: str) -> list[Row]:
    """Province x period staffing in the view's geography (back-cast rows included in v2025_34)."""
    return rows(con, PROVINCE_STAFFING_SQL, [view])


# --- facilities (HQ status) ----------------------------------------------------------------------------------

_FACILITY_IN_VIEW = "with " + _PROVINCE_MAP + """,

facility as (
    select m.province_code as view_province_code, f.*
    from marts.mart_facility_summary as f
    inner join province_map as m
        on m.source_map_version = f.map_version and m.source_province_code = f.province_code
    where m.geography = ?
)
"""

# HQ status counts summed over whatever rows a query groups (national or per view province).
_HQ_AGGREGATES = """\
    sum(units_reported)                                                    as units_reported,
    sum(hq_independent)                                                    as hq_independent,
    sum(hq_shared_with_ppc)                                                as hq_shared_with_ppc,
    sum(hq_under_construction)                                             as hq_under_construction,
    sum(hq_missing)                                                        as hq_missing,
    round(100.0 * sum(hq_independent) / nullif(sum(units_reported), 0), 2) as pct_independent
"""

NATIONAL_FACILITY_SQL = _FACILITY_IN_VIEW + """
select
    period,
    any_value(period_start)                                                as period_start,
    any_value(map_version)                                                 as source_map_version,
    count(*)                                                               as provinces_reported,
""" + _HQ_AGGREGATES + """from facility
group by period
order by period
"""

PROVINCE_FACILITY_SQL = _FACILITY_IN_VIEW + """
select
    facility.view_province_code                                            as province_code,
    facility.period,
    any_value(facility.period_start)                                       as period_start,
    any_value(facility.map_version)                                        as source_map_version,
    count(*)                                                               as source_provinces_reported,
    any_value(size.source_provinces_expected)                              as source_provinces_expected,
""" + _HQ_AGGREGATES + """from facility
inner join province_map_size as size
    on size.geography = ? and size.source_map_version = facility.map_version
    and size.province_code = facility.view_province_code
group by facility.view_province_code, facility.period
order by facility.view_province_code, facility.period
"""


def national_facility(con: duckdb.DuckDBPyConnection, view: str) -> list[Row]:
    """National HQ status counts per period of the view."""
    return rows(con, NATIONAL_FACILITY_SQL, [view])


def province_facility(con: duckdb.DuckDBPyConnection, view: str) -> list[Row]:
    """Province x period HQ status counts in the view (legacy rows summed into their 2025 province)."""
    return rows(con, PROVINCE_FACILITY_SQL, [view, view])


# --- submission completeness ---------------------------------------------------------------------------------

_COMPLETENESS_IN_VIEW = "with " + _PROVINCE_MAP + """,

completeness as (
    select m.province_code as view_province_code, c.*
    from marts.mart_submission_completeness as c
    inner join province_map as m
        on m.source_map_version = c.map_version and m.source_province_code = c.province_code
    where m.geography = ?
)
"""

NATIONAL_COMPLETENESS_SQL = _COMPLETENESS_IN_VIEW + """
select
    period,
    any_value(period_start)                                                 as period_start,
    any_value(map_version)                                                  as source_map_version,
    sum(expected_reports)                                                   as expected_reports,
    sum(actual_reports)                                                     as actual_reports,
    sum(on_time_reports)                                                    as on_time_reports,
    count(*) filter (where submission_status = 'on_time')                   as on_time,
    count(*) filter (where submission_status = 'late')                      as late,
    count(*) filter (where submission_status = 'missing')                   as missing,
    count(*) filter (where submission_status = 'rejected')                  as rejected,
    round(100.0 * sum(actual_reports) / nullif(sum(expected_reports), 0), 2)  as reporting_rate,
    round(100.0 * sum(on_time_reports) / nullif(sum(expected_reports), 0), 2) as on_time_rate
from completeness
group by period
order by period
"""

COMPLETENESS_ROWS_SQL = _COMPLETENESS_IN_VIEW + """
select
    view_province_code, map_version, province_code, province_name, period, period_start, deadline_at,
    expected_reports, actual_reports, on_time_reports, submission_status, days_late, files_received,
    resubmissions, files_rejected, first_accepted_at, last_received_at, rows_quarantined_current
from completeness
order by period, view_province_code, map_version, province_code
"""


def national_completeness(con: duckdb.DuckDBPyConnection, view: str) -> list[Row]:
    """National reporting and on-time rates per period of the view."""
    return rows(con, NATIONAL_COMPLETENESS_SQL, [view])


def completeness_rows(con: duckdb.DuckDBPyConnection, view: str) -> list[Row]:
    """Every expected province-period report in the view, with the province of the view it counts for."""
    return rows(con, COMPLETENESS_ROWS_SQL, [view])


# --- staffing outliers ---------------------------------------------------------------------------------------

_OUTLIERS_IN_VIEW = "with " + _PROVINCE_MAP + """,

outliers as (
    select
        m.province_code as view_province_code,
        o.*,
        case o.rule
            when 'officers_jump' then abs(o.regular_officers - coalesce(o.previous_officers, 0))
            when 'lost_regular_police' then coalesce(o.previous_officers, 0)
            else o.regular_officers
        end as magnitude
    from marts.mart_staffing_outliers as o
    inner join province_map as m
        on m.source_map_version = o.map_version and m.source_province_code = o.province_code
    where m.geography = ?
)
"""

TOP_OUTLIERS_SQL = _OUTLIERS_IN_VIEW + """
select
    view_province_code, map_version, province_code, period, rule, unit_code, unit_name, unit_type,
    regular_officers, previous_officers, previous_period, magnitude, source_file_name, source_row_number
from outliers
where period = ? and (cast(? as varchar) is null or view_province_code = ?)
order by magnitude desc, province_code, unit_code, rule
limit ?
"""

OUTLIER_COUNTS_SQL = _OUTLIERS_IN_VIEW + """
select rule, count(*) as outliers, count(distinct commune_sk) as units
from outliers
where period = ? and (cast(? as varchar) is null or view_province_code = ?)
group by rule
order by outliers desc, rule
"""


# Every province's outliers at its own latest period in one query each (not two queries per province: at 10 years
# of history those 200 scans of the outlier mart were 2 s of every report run). Same order and limit per province
# as TOP_OUTLIERS_SQL / OUTLIER_COUNTS_SQL, keyed by (view_province_code, period).
TOP_OUTLIERS_BY_PROVINCE_SQL = _OUTLIERS_IN_VIEW + """
select * exclude (rank_in_province) from (
    select
        view_province_code, map_version, province_code, period, rule, unit_code, unit_name, unit_type,
        regular_officers, previous_officers, previous_period, magnitude, source_file_name, source_row_number,
        row_number() over (partition by view_province_code, period
                           order by magnitude desc, province_code, unit_code, rule) as rank_in_province
    from outliers
    where list_contains(?, view_province_code || '/' || period)
)
where rank_in_province <= ?
order by view_province_code, period, rank_in_province
"""

OUTLIER_COUNTS_BY_PROVINCE_SQL = _OUTLIERS_IN_VIEW + """
select view_province_code, period, rule, count(*) as outliers, count(distinct commune_sk) as units
from outliers
where list_contains(?, view_province_code || '/' || period)
group by view_province_code, period, rule
order by view_province_code, period, outliers desc, rule
"""


def outliers_by_province(con: duckdb.DuckDBPyConnection, view: str, latest: dict[str, str], limit: int
                         ) -> tuple[dict[str, list[Row]], dict[str, list[Row]]]:
    """For each province code -> its latest period in ``latest``: the top ``limit`` outliers (rows as
    :func:`top_outliers` gives them) and the rule counts (as :func:`outlier_counts`)."""
    wanted = [f"{code}/{period}" for code, period in latest.items()]
    top: dict[str, list[Row]] = {code: [] for code in latest}
    for row in rows(con, TOP_OUTLIERS_BY_PROVINCE_SQL, [view, wanted, limit]):
        top[row["view_province_code"]].append(row)
    counts: dict[str, list[Row]] = {code: [] for code in latest}
    for row in rows(con, OUTLIER_COUNTS_BY_PROVINCE_SQL, [view, wanted]):
        code = row.pop("view_province_code")
        row.pop("period")
        counts[code].append(row)
    return top, counts


def top_outliers(con: duckdb.DuckDBPyConnection, view: str, period: str, province_code: str | None = None,
                 limit: int = 20) -> list[Row]:
    """The largest staffing outliers of a period (all provinces, or one province of the view)."""
    return rows(con, TOP_OUTLIERS_SQL, [view, period, province_code, province_code, limit])


def outlier_counts(con: duckdb.DuckDBPyConnection, view: str, period: str,
                   province_code: str | None = None) -> list[Row]:
    """Outlier rule hits of a period, by rule."""
    return rows(con, OUTLIER_COUNTS_SQL, [view, period, province_code, province_code])


# --- news claim reconciliation (optional: built by the news pipeline) ----------------------------------------

CLAIM_RECONCILIATION = ("marts", "mart_claim_reconciliation")
NEWS_CLAIM = ("marts", "fct_news_claim")
NEWS_ARTICLE = ("marts", "dim_news_article")


def claims_available(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the claim reconciliation mart exists in this warehouse."""
    return relation_exists(con, *CLAIM_RECONCILIATION)


def claim_rows(con: duckdb.DuckDBPyConnection, view: str) -> list[Row]:
    """Claim reconciliation rows of the view (every column of the mart), conflicts first, with the province of
    the view (`view_province_code`), the evidence (`claim_evidence`) and the article (`article_title`,
    `article_url`, `article_published`) when the news marts carry them.

    The mart's province_code is the legacy code of the article's province; in v2025_34 it is rolled up to the
    province it merged into. A claim belongs to the legacy view when its figure is in the legacy map (its
    compared/own map_version, else its as-of date before 2025-07-01); the 2025 view shows every claim. Claims
    without a province appear on the national pages only.
    """
    if not claims_available(con):
        return []
    recon = columns_of(con, *CLAIM_RECONCILIATION)
    claim = columns_of(con, *NEWS_CLAIM) if relation_exists(con, *NEWS_CLAIM) else set()
    article = columns_of(con, *NEWS_ARTICLE) if relation_exists(con, *NEWS_ARTICLE) else set()
    join_claim = "claim_id" in claim and ("evidence" not in recon or "article_id" not in recon)

    date_map = ("case when r.as_of_date < date '2025-07-01' then 'legacy_63' "
                "when r.as_of_date is not null then 'v2025_34' end") if "as_of_date" in recon else "null"
    if "compared_map_version" in recon:
        map_expr = "coalesce(r.compared_map_version, " + date_map + ")"
    elif "map_version" in recon:
        map_expr = "coalesce(r.map_version, " + date_map + ")"
    else:
        map_expr = date_map

    if "evidence" in recon:
        evidence = "r.evidence"
    elif join_claim and "evidence" in claim:
        evidence = "n.evidence"
    else:
        evidence = "null"
    if "article_id" in recon:
        article_id = "r.article_id"
    elif join_claim and "article_id" in claim:
        article_id = "n.article_id"
    else:
        article_id = None
    with_article = article_id is not None and "article_id" in article
    title = "a.title" if with_article and "title" in article else "null"
    url = "a.url" if with_article and "url" in article else "null"
    published = "a.published" if with_article and "published" in article else "null"
    status_rank = "case r.status when 'conflict' then 0 when 'within_tolerance' then 1 when 'no_data' then 2 else 3 end"
    relative = "abs(r.relative_difference) desc nulls last, " if "relative_difference" in recon else ""

    sql = ("with " + _PROVINCE_MAP + """,

claims as (
    select r.*, """ + map_expr + """ as claim_map_version
    from marts.mart_claim_reconciliation as r
)

select
    m.province_code as view_province_code, r.*,
    """ + evidence + " as claim_evidence, " + title + " as article_title, " + url + " as article_url, "
           + published + """ as article_published
from claims as r
left join province_map as m
    on m.geography = ? and m.source_map_version = 'legacy_63' and m.source_province_code = r.province_code
""" + (" left join marts.fct_news_claim as n on n.claim_id = r.claim_id" if join_claim else "")
           + (" left join marts.dim_news_article as a on a.article_id = " + article_id if with_article else "")
           + """
where ? = 'v2025_34' or r.claim_map_version = 'legacy_63'
order by """ + status_rank + ", " + relative + "r.claim_id")
    return rows(con, sql, [view, view])
