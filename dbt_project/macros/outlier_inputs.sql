{#- The record of the fact rows mart_staffing_outliers was last built from (see that model), and the provinces
    whose rows changed since: every (map_version, province_code) whose files or file row counts differ between
    fct_staffing_snapshot now and the record. Without a record, every province of the facts and of the mart. -#}

{% macro outlier_inputs_relation() -%}
    {%- do return(api.Relation.create(database=this.database, schema=generate_schema_name('staging', model),
                                      identifier='mart_staffing_outliers__inputs')) -%}
{%- endmacro %}


{% macro outlier_provinces_to_redo() -%}
    {%- set record = outlier_inputs_relation() -%}
    {%- set exists = adapter.get_relation(database=record.database, schema=record.schema,
                                          identifier=record.identifier) is not none -%}
    {%- if exists -%}
    select coalesce(current_files.map_version, recorded.map_version),
           coalesce(current_files.province_code, recorded.province_code)
    from (select map_version, province_code, source_file_id, count(*) as row_count
          from {{ ref('fct_staffing_snapshot') }} group by all) as current_files
    full join {{ record }} as recorded
        on current_files.map_version = recorded.map_version and current_files.province_code = recorded.province_code
        and current_files.source_file_id = recorded.source_file_id
    where current_files.row_count is distinct from recorded.row_count
    {%- else -%}
    select map_version, province_code from {{ ref('fct_staffing_snapshot') }}
    union
    select map_version, province_code from {{ this }}
    {%- endif -%}
{%- endmacro %}
