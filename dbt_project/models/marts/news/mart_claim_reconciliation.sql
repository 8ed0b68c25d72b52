-- Every news claim checked against the data, one row per claim and check:
--   check = 'reference'  : unit and district counts (and the M of "N/M xã") vs the admin reference in force at the
--                          as-of date: legacy_63 before the reform (the claim's province code), v2025_34 from it
--                          (the 2025 province with the same short name; a merged-away province has no data);
--   check = 'submissions': staffing and HQ figures vs the province's submission nearest to the as-of date (within
--                          3 months, same map, as submitted, never back-cast). Whole-province figures come from
--                          mart_province_staffing / mart_facility_summary; a claim about some unit types only
--                          ("204/204 xã, thị trấn") is compared with the same unit types, summed from the facts.
-- Metrics with no counterpart get one 'submissions' row with status no_data, so every claim appears at least once.
{%- set reference_value_metrics = ['commune_level_units_total', 'communes_total', 'wards_total', 'towns_total',
                                   'districts_total'] %}
{%- set reference_denominator_metrics = ['units_with_regular_police', 'units_head_investigator',
                                         'units_head_and_deputy_investigators'] %}
{%- set submission_metrics = ['officers_total', 'units_with_regular_police', 'regular_police_coverage_pct',
                              'heads_total', 'deputies_total', 'ca_vien_total', 'investigators_total',
                              'officers_trained', 'trained_pct', 'units_head_investigator', 'hq_independent',
                              'hq_shared_with_ppc', 'hq_under_construction', 'hq_missing'] %}
{%- set staffing_metrics = ['officers_total', 'units_with_regular_police', 'regular_police_coverage_pct',
                            'heads_total', 'deputies_total', 'ca_vien_total', 'investigators_total',
                            'officers_trained', 'trained_pct', 'units_head_investigator'] %}
{%- set max_months_apart = 3 %}
{#- SQL text of a number ('1,749', '95.08'), and of a signed difference ('+8', '-1.63'); @x is the expression -#}
{%- set number_text = "case when @x is null then 'nothing' "
                      ~ "when @x = round(@x) then format('{:,}', cast(round(@x) as bigint)) "
                      ~ "else format('{:,.2f}', @x) end" %}
{%- set signed_text = "case when @x < 0 then '-' else '+' end "
                      ~ "|| case when @x = round(@x) then format('{:,}', cast(round(abs(@x)) as bigint)) "
                      ~ "else format('{:,.2f}', abs(@x)) end" %}

with claims as (
    select * from {{ ref('fct_news_claim') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

communes as (
    select * from {{ ref('dim_commune') }}
),

districts as (
    select * from {{ ref('dim_district') }}
),

province_bridge as (
    select * from {{ ref('bridge_province_2025') }}
),

province_staffing as (
    select * from {{ ref('mart_province_staffing') }}
),

facility_summary as (
    select * from {{ ref('mart_facility_summary') }}
),

staffing_snapshots as (
    select * from {{ ref('fct_staffing_snapshot') }}
),

facility_status as (
    select * from {{ ref('fct_facility_status') }}
),

-- The claim's province in the map in force at its as-of date, and the unit types it talks about (null = all).
claim_scope as (
    select
        claims.*,
        legacy.province_short_name,
        case
            when claims.map_version = 'legacy_63' then legacy.province_code
            when claims.map_version = 'v2025_34' then current_map.province_code
        end                                                                 as map_province_code,
        province_bridge.new_province_name                                   as merged_into_name,
        case
            when claims.metric = 'communes_total' then ['xã']
            when claims.metric = 'wards_total' then ['phường']
            when claims.metric = 'towns_total' then ['thị trấn']
            when claims.unit_type is null then null
            when list_has_all(string_split(claims.unit_type, ', '), ['xã', 'phường', 'thị trấn']) then null
            else string_split(claims.unit_type, ', ')
        end                                                                 as unit_types
    from claims
    left join provinces as legacy
        on legacy.map_version = 'legacy_63' and legacy.province_code = claims.province_code
    left join provinces as current_map
        on current_map.map_version = 'v2025_34' and current_map.province_short_name = legacy.province_short_name
    left join province_bridge on province_bridge.legacy_province_code = claims.province_code
),

province_units as (
    select map_version, province_code, unit_type, count(*) as units
    from communes
    group by map_version, province_code, unit_type
),

claim_units as (
    select
        claim_scope.claim_id,
        coalesce(sum(province_units.units) filter (
            where claim_scope.unit_types is null or list_contains(claim_scope.unit_types, province_units.unit_type)
        ), 0)                                                               as units_in_scope,
        coalesce(sum(province_units.units), 0)                              as units_in_province
    from claim_scope
    left join province_units
        on province_units.map_version = claim_scope.map_version
        and province_units.province_code = claim_scope.map_province_code
    group by claim_scope.claim_id
),

province_districts as (
    select province_code, count(*) as districts
    from districts
    group by province_code
),

scoped as (
    select
        claim_scope.*,
        claim_units.units_in_scope,
        claim_units.units_in_province,
        claim_scope.unit_types is not null
            and claim_units.units_in_scope < claim_units.units_in_province  as is_unit_type_subset,
        case when claim_scope.unit_types is null then 'commune-level units'
             else array_to_string(claim_scope.unit_types, '/') || ' units' end as scope_label,
        case
            when claim_scope.province_code is null then 'the article names no province'
            when claim_scope.province_short_name is null
                then 'province code ' || claim_scope.province_code || ' is not in the 63-province map'
            when claim_scope.as_of_date is null then 'the claim has no as-of date'
            when claim_scope.map_version is null
                then 'the as-of date ' || claim_scope.as_of_date || ' is before the 63-province map (2008-08-01)'
            when claim_scope.map_province_code is null
                then claim_scope.province_short_name || ' no longer exists in the 2025 map (merged into '
                     || coalesce(claim_scope.merged_into_name, 'another province') || ') at '
                     || claim_scope.as_of_date
        end                                                                 as scope_problem
    from claim_scope
    inner join claim_units on claim_units.claim_id = claim_scope.claim_id
),

-- (a) reference --------------------------------------------------------------------------------------------------
reference_claims as (
    select *, 'value' as claimed_figure, value as claimed_value
    from scoped
    where metric in ('{{ reference_value_metrics | join("', '") }}')
    union all
    select *, 'denominator', denominator
    from scoped
    where metric in ('{{ reference_denominator_metrics | join("', '") }}') and denominator is not null
),

reference_compared as (
    select
        reference_claims.*,
        'reference'                                                         as check_kind,
        case
            when reference_claims.scope_problem is not null then null
            when reference_claims.metric = 'districts_total' and reference_claims.map_version = 'v2025_34' then null
            when reference_claims.metric = 'districts_total'
                then cast(coalesce(province_districts.districts, 0) as double)
            else cast(reference_claims.units_in_scope as double)
        end                                                                 as reference_value,
        cast(null as varchar)                                               as compared_period,
        case when reference_claims.metric = 'districts_total' then 'ref.dim_district'
             else 'ref.dim_commune' end                                     as compared_source,
        false                                                               as is_percentage,
        case
            when reference_claims.scope_problem is not null then reference_claims.scope_problem
            when reference_claims.metric = 'districts_total' and reference_claims.map_version = 'v2025_34'
                then 'the 2025 map has no district level'
        end                                                                 as no_data_reason,
        -- {claimed} and {reference} are filled in once both figures are known (see `classified`)
        case when reference_claims.claimed_figure = 'denominator'
             then 'The article''s denominator (N/{claimed})' else 'The article''s {claimed}' end
            || case when reference_claims.metric = 'districts_total' then ' districts'
                    else ' ' || reference_claims.scope_label end
            || ' vs the ' || coalesce(reference_claims.map_version, '?') || ' reference map: '
            || coalesce(reference_claims.province_short_name, '?') || ' has {reference} '
            || case when reference_claims.metric = 'districts_total' then 'districts'
                    else reference_claims.scope_label end
            || ' on ' || coalesce(cast(reference_claims.as_of_date as varchar), '?')
            -- the reference holds the legacy map as it stood on 2025-06-30, not the mergers of 2019-2025
            || case when reference_claims.map_version = 'legacy_63' and reference_claims.as_of_date < date '2025-01-01'
                    then ' (the legacy map as it stood on 2025-06-30; earlier commune mergers are not in it)'
                    else '' end                                             as comparison_text
    from reference_claims
    left join province_districts
        on province_districts.province_code = reference_claims.map_province_code
        and reference_claims.map_version = 'legacy_63'
),

-- (b) submissions ------------------------------------------------------------------------------------------------
submission_claims as (
    select *, 'value' as claimed_figure, value as claimed_value
    from scoped
    where metric in ('{{ submission_metrics | join("', '") }}')
),

-- Periods as submitted (back-cast legacy rows of the 2025 geography are estimates and are not used).
submitted_periods as (
    select geography as map_version, province_code, period, period_start, 'staffing' as family
    from province_staffing
    where source_map_version = geography
    union all
    select map_version, province_code, period, period_start, 'facilities'
    from facility_summary
),

nearest_period as (
    select
        submission_claims.claim_id,
        submitted_periods.period,
        abs(date_diff('month', submitted_periods.period_start, date_trunc('month', submission_claims.as_of_date)))
                                                                            as months_apart
    from submission_claims
    inner join submitted_periods
        on submitted_periods.map_version = submission_claims.map_version
        and submitted_periods.province_code = submission_claims.map_province_code
        and submitted_periods.family = case when submission_claims.metric in ('{{ staffing_metrics | join("', '") }}')
                                            then 'staffing' else 'facilities' end
        and abs(date_diff('month', submitted_periods.period_start,
                          date_trunc('month', submission_claims.as_of_date))) <= {{ max_months_apart }}
    -- nearest first; on a tie the earlier period (what was known at the time)
    qualify row_number() over (partition by submission_claims.claim_id
                               order by months_apart, submitted_periods.period_start) = 1
),

province_figures as (
    unpivot (
        select
            geography                                                       as map_version,
            province_code,
            period,
            officers_total,
            units_with_regular_police,
            coverage_pct                                                    as regular_police_coverage_pct,
            heads_total,
            deputies_total,
            ca_vien_total,
            investigators_total,
            officers_trained,
            pct_trained                                                     as trained_pct,
            -- the mart keeps the share; it is exact to 0.005 points, so the count is recovered exactly
            round(pct_units_head_investigator * units_reported / 100.0)     as units_head_investigator
        from province_staffing
        where source_map_version = geography
    )
    on officers_total, units_with_regular_police, regular_police_coverage_pct, heads_total, deputies_total,
       ca_vien_total, investigators_total, officers_trained, trained_pct, units_head_investigator
    into name metric value figure
),

facility_figures as (
    unpivot (
        select
            map_version,
            province_code,
            period,
            cast(hq_independent as double)                                  as hq_independent,
            cast(hq_shared_with_ppc as double)                              as hq_shared_with_ppc,
            cast(hq_under_construction as double)                           as hq_under_construction,
            cast(hq_missing as double)                                      as hq_missing
        from facility_summary
    )
    on hq_independent, hq_shared_with_ppc, hq_under_construction, hq_missing
    into name metric value figure
),

whole_province_figures as (
    select *, 'marts.mart_province_staffing' as compared_source from province_figures
    union all
    select *, 'marts.mart_facility_summary' from facility_figures
),

-- The province-periods that claims about some unit types only are compared with: the per-unit-type figures are
-- computed for these alone, not for the whole history of the facts (at 10 years: 1.0 -> 0.3 s).
subset_periods as (
    select distinct
        submission_claims.map_version,
        submission_claims.map_province_code                                 as province_code,
        nearest_period.period
    from submission_claims
    inner join nearest_period on nearest_period.claim_id = submission_claims.claim_id
    where submission_claims.is_unit_type_subset
),

-- Additive figures per unit type, for claims about some unit types only.
unit_type_figures as (
    select
        staffing_snapshots.map_version,
        staffing_snapshots.province_code,
        staffing_snapshots.period,
        communes.unit_type,
        count(*) filter (where staffing_snapshots.has_regular_police)      as units_with_regular_police,
        sum(staffing_snapshots.regular_officers)                           as officers_total,
        sum(staffing_snapshots.heads)                                      as heads_total,
        sum(staffing_snapshots.deputies)                                   as deputies_total,
        sum(staffing_snapshots.ca_vien)                                    as ca_vien_total,
        sum(staffing_snapshots.investigators)                              as investigators_total,
        sum(staffing_snapshots.officers_trained)                           as officers_trained,
        count(*) filter (where staffing_snapshots.head_is_investigator)    as units_head_investigator,
        count(facility_status.snapshot_id) filter (where facility_status.hq_status = 'doc_lap')
                                                                            as hq_independent,
        count(facility_status.snapshot_id) filter (where facility_status.hq_status = 'chung_ubnd')
                                                                            as hq_shared_with_ppc,
        count(facility_status.snapshot_id) filter (where facility_status.hq_status = 'dang_xay_dung')
                                                                            as hq_under_construction,
        count(facility_status.snapshot_id) filter (where facility_status.hq_status = 'chua_co')
                                                                            as hq_missing
    from staffing_snapshots
    inner join subset_periods
        on subset_periods.map_version = staffing_snapshots.map_version
        and subset_periods.province_code = staffing_snapshots.province_code
        and subset_periods.period = staffing_snapshots.period
    inner join communes on communes.commune_sk = staffing_snapshots.commune_sk
    left join facility_status on facility_status.snapshot_id = staffing_snapshots.snapshot_id
    group by all
),

subset_figures as (
    select
        submission_claims.claim_id,
        case submission_claims.metric
            when 'units_with_regular_police' then sum(unit_type_figures.units_with_regular_police)
            when 'regular_police_coverage_pct'
                then round(100.0 * sum(unit_type_figures.units_with_regular_police)
                           / nullif(any_value(submission_claims.units_in_scope), 0), 2)
            when 'officers_total' then sum(unit_type_figures.officers_total)
            when 'heads_total' then sum(unit_type_figures.heads_total)
            when 'deputies_total' then sum(unit_type_figures.deputies_total)
            when 'ca_vien_total' then sum(unit_type_figures.ca_vien_total)
            when 'investigators_total' then sum(unit_type_figures.investigators_total)
            when 'officers_trained' then sum(unit_type_figures.officers_trained)
            when 'trained_pct'
                then round(100.0 * sum(unit_type_figures.officers_trained)
                           / nullif(sum(unit_type_figures.officers_total), 0), 2)
            when 'units_head_investigator' then sum(unit_type_figures.units_head_investigator)
            when 'hq_independent' then sum(unit_type_figures.hq_independent)
            when 'hq_shared_with_ppc' then sum(unit_type_figures.hq_shared_with_ppc)
            when 'hq_under_construction' then sum(unit_type_figures.hq_under_construction)
            when 'hq_missing' then sum(unit_type_figures.hq_missing)
        end                                                                 as figure
    from submission_claims
    inner join nearest_period on nearest_period.claim_id = submission_claims.claim_id
    inner join unit_type_figures
        on unit_type_figures.map_version = submission_claims.map_version
        and unit_type_figures.province_code = submission_claims.map_province_code
        and unit_type_figures.period = nearest_period.period
        and list_contains(submission_claims.unit_types, unit_type_figures.unit_type)
    where submission_claims.is_unit_type_subset
    group by submission_claims.claim_id, submission_claims.metric
),

submission_compared as (
    select
        submission_claims.*,
        'submissions'                                                       as check_kind,
        case
            when submission_claims.scope_problem is not null then null
            when submission_claims.is_unit_type_subset then cast(subset_figures.figure as double)
            else whole_province_figures.figure
        end                                                                 as reference_value,
        nearest_period.period                                               as compared_period,
        case when submission_claims.is_unit_type_subset
             then case when submission_claims.metric like 'hq_%' then 'marts.fct_facility_status'
                       else 'marts.fct_staffing_snapshot' end
             else coalesce(whole_province_figures.compared_source,
                           case when submission_claims.metric like 'hq_%' then 'marts.mart_facility_summary'
                                else 'marts.mart_province_staffing' end)
        end                                                                 as compared_source,
        submission_claims.metric in ('regular_police_coverage_pct', 'trained_pct') as is_percentage,
        case
            when submission_claims.scope_problem is not null then submission_claims.scope_problem
            when nearest_period.period is null
                then 'no submission for ' || submission_claims.province_short_name || ' ('
                     || submission_claims.map_version || ' map) within {{ max_months_apart }} months of '
                     || submission_claims.as_of_date
            when (submission_claims.is_unit_type_subset and subset_figures.figure is null)
                or (not submission_claims.is_unit_type_subset and whole_province_figures.figure is null)
                then 'the ' || nearest_period.period || ' submission has no figure for ' || submission_claims.metric
        end                                                                 as no_data_reason,
        'The article''s {claimed} (' || submission_claims.metric
            || case when submission_claims.is_unit_type_subset
                    then ', ' || array_to_string(submission_claims.unit_types, '/') || ' only' else '' end
            || ') vs the ' || coalesce(submission_claims.province_short_name, '?') || ' submission for '
            || coalesce(nearest_period.period, '?') || ' (the nearest to '
            || coalesce(cast(submission_claims.as_of_date as varchar), '?') || '): {reference}'
                                                                            as comparison_text
    from submission_claims
    left join nearest_period on nearest_period.claim_id = submission_claims.claim_id
    left join whole_province_figures
        on whole_province_figures.map_version = submission_claims.map_version
        and whole_province_figures.province_code = submission_claims.map_province_code
        and whole_province_figures.period = nearest_period.period
        and whole_province_figures.metric = submission_claims.metric
    left join subset_figures on subset_figures.claim_id = submission_claims.claim_id
),

-- Claims no check covers (e.g. officers_deployed, hq_projects): accounted for, with nothing to compare.
unreconcilable as (
    select
        scoped.*,
        'value'                                                             as claimed_figure,
        scoped.value                                                        as claimed_value,
        'submissions'                                                       as check_kind,
        cast(null as double)                                                as reference_value,
        cast(null as varchar)                                               as compared_period,
        cast(null as varchar)                                               as compared_source,
        false                                                               as is_percentage,
        'metric ' || scoped.metric || ' has no counterpart in the admin reference or the submissions'
                                                                            as no_data_reason,
        ''                                                                  as comparison_text
    from scoped
    where scoped.metric not in ('{{ submission_metrics | join("', '") }}')
        and not (scoped.metric in ('{{ reference_value_metrics | join("', '") }}'))
        and not (scoped.metric in ('{{ reference_denominator_metrics | join("', '") }}')
                 and scoped.denominator is not null)
),

compared as (
    select * from reference_compared
    union all by name
    select * from submission_compared
    union all by name
    select * from unreconcilable
),

measured as (
    select
        compared.*,
        case when no_data_reason is null then claimed_value - reference_value end       as difference,
        case when no_data_reason is null and reference_value <> 0
             then (claimed_value - reference_value) / abs(reference_value) end          as relative_difference,
        case when is_approximate then 0.10 else 0.05 end                                as tolerance
    from compared
),

classified as (
    select
        measured.*,
        case
            when no_data_reason is not null or reference_value is null then 'no_data'
            when abs(difference) < 1e-9 then 'consistent'
            when is_percentage and abs(difference) <= 0.5 then 'consistent'
            when abs(relative_difference) <= tolerance then 'within_tolerance'
            else 'conflict'
        end                                                                             as status,
        replace(replace(comparison_text,
                        '{claimed}', {{ number_text | replace('@x', 'claimed_value') }}),
                '{reference}', {{ number_text | replace('@x', 'reference_value') }})             as comparison
    from measured
)

select
    claim_id || '#' || check_kind                                                       as reconciliation_id,
    claim_id,
    check_kind                                                                          as "check",
    metric,
    claimed_figure,
    province_code,
    province_name,
    as_of_date,
    claimed_value,
    qualifier,
    is_approximate,
    reference_value,
    round(difference, 6)                                                                as difference,
    round(relative_difference, 6)                                                       as relative_difference,
    status,
    compared_period,
    case when no_data_reason is null then map_version end                               as compared_map_version,
    case when map_province_code is not null and no_data_reason is null
         then map_version || ':' || map_province_code end                               as compared_province_sk,
    compared_source,
    case status
        when 'no_data' then 'Nothing to compare: ' || no_data_reason || '.'
        when 'consistent' then comparison
            || case when is_percentage and abs(difference) >= 1e-9
                    then '. Consistent (within 0.5 percentage points).' else '. Consistent.' end
        when 'within_tolerance' then comparison || '. Within tolerance: off by '
            || {{ signed_text | replace('@x', 'difference') }} || ' (' || format('{:+.1f}', 100 * relative_difference)
            || '%; tolerance ' || cast(cast(100 * tolerance as integer) as varchar) || '%'
            || case when is_approximate then ' for an approximate figure ("' || qualifier || '")' else '' end || ').'
        else comparison || '. Conflict: off by ' || {{ signed_text | replace('@x', 'difference') }}
            || coalesce(' (' || format('{:+.1f}', 100 * relative_difference) || '%)', '')
            || ', beyond the ' || cast(cast(100 * tolerance as integer) as varchar) || '% tolerance.'
    end                                                                                 as explanation,
    evidence,
    article_id
from classified
