-- The bare limit: raw province CSV files -> unit x period staffing rows -> province x period staffing mart, in one
-- DuckDB SQL script, with no validation, no audit, no orchestration. benchmarks/baseline_bare.py runs it.
--
-- Set before it runs (by baseline_bare.py):
--   variable csv_globs  : list of globs of the CSV files (the landing folder, plus the XLSX files converted to CSV
--                         outside the timing: DuckDB reads no XLSX without an extension)
--   table aliases       : (folded header text, canonical column) from pipelines/submissions/contract.py
--
-- Files are read as grids of text cells, like the pipeline's reader: the header row is found by its wording, each
-- file's columns are mapped by position, data rows are the rows with a numeric unit code and a unit name. Clean
-- generated files only use two dialects: UTF-8 (with or without BOM) comma-separated, and UTF-16 tab-separated.

create or replace macro fold(x) as
    trim(regexp_replace(lower(strip_accents(replace(replace(replace(x, chr(65279), ''), 'Đ', 'D'), 'đ', 'd'))),
                        '[\s_:./()\-]+', ' ', 'g'));

create or replace macro to_count(x) as try_cast(try_cast(nullif(trim(x), '') as double) as integer);

-- UTF-16 files start with a byte-order mark; everything else is read as UTF-8.
set variable utf16_files = (
    select coalesce(list(filename order by filename), [])
    from read_blob(getvariable('csv_globs'))
    where content[1:2] = '\xFF\xFE'::blob
);
set variable utf8_files = (
    select coalesce(list(filename order by filename), [])
    from read_blob(getvariable('csv_globs'))
    where not content[1:2] = '\xFF\xFE'::blob
);

create temp table grid as
select filename,
       [c00, c01, c02, c03, c04, c05, c06, c07, c08, c09, c10, c11,
        c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22, c23] as cells
from read_csv(getvariable('utf8_files'), header = false, auto_detect = false, delim = ',', quote = '"',
              escape = '"', encoding = 'utf-8', null_padding = true, strict_mode = false, filename = true,
              columns = {'c00': 'varchar', 'c01': 'varchar', 'c02': 'varchar', 'c03': 'varchar', 'c04': 'varchar',
                         'c05': 'varchar', 'c06': 'varchar', 'c07': 'varchar', 'c08': 'varchar', 'c09': 'varchar',
                         'c10': 'varchar', 'c11': 'varchar', 'c12': 'varchar', 'c13': 'varchar', 'c14': 'varchar',
                         'c15': 'varchar', 'c16': 'varchar', 'c17': 'varchar', 'c18': 'varchar', 'c19': 'varchar',
                         'c20': 'varchar', 'c21': 'varchar', 'c22': 'varchar', 'c23': 'varchar'})
union all by name
select filename,
       [c00, c01, c02, c03, c04, c05, c06, c07, c08, c09, c10, c11,
        c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22, c23] as cells
from read_csv(getvariable('utf16_files'), header = false, auto_detect = false, delim = '\t', quote = '"',
              escape = '"', encoding = 'utf-16', null_padding = true, strict_mode = false, filename = true,
              columns = {'c00': 'varchar', 'c01': 'varchar', 'c02': 'varchar', 'c03': 'varchar', 'c04': 'varchar',
                         'c05': 'varchar', 'c06': 'varchar', 'c07': 'varchar', 'c08': 'varchar', 'c09': 'varchar',
                         'c10': 'varchar', 'c11': 'varchar', 'c12': 'varchar', 'c13': 'varchar', 'c14': 'varchar',
                         'c15': 'varchar', 'c16': 'varchar', 'c17': 'varchar', 'c18': 'varchar', 'c19': 'varchar',
                         'c20': 'varchar', 'c21': 'varchar', 'c22': 'varchar', 'c23': 'varchar'});

-- Header rows: rows without a numeric cell (titles, header block, header) where at least 3 cells are known headers.
create temp table column_positions as
with candidates as (
    select filename, cells, row_number() over () as candidate_id
    from grid
    where not list_bool_or(list_transform(cells, lambda x: coalesce(regexp_full_match(trim(x), '[0-9]+(\.0)?'), false)))
),

cells as (
    select filename, candidate_id, unnest(cells) as cell, generate_subscripts(cells, 1) as pos
    from candidates
),

matched as (
    select cells.filename, cells.candidate_id, cells.pos, aliases.name
    from cells
    inner join aliases on aliases.folded = fold(cells.cell)
),

header_rows as (
    select filename, candidate_id from matched group by all having count(*) >= 3
)

select filename,
       max(pos) filter (where name = 'unit_code')                  as p_unit_code,
       max(pos) filter (where name = 'unit_name')                  as p_unit_name,
       max(pos) filter (where name = 'unit_type')                  as p_unit_type,
       max(pos) filter (where name = 'regular_officers')           as p_regular_officers,
       max(pos) filter (where name = 'semi_professional_officers') as p_semi_professional_officers,
       max(pos) filter (where name = 'heads')                      as p_heads,
       max(pos) filter (where name = 'deputies')                   as p_deputies,
       max(pos) filter (where name = 'ca_vien')                    as p_ca_vien,
       max(pos) filter (where name = 'investigators')              as p_investigators,
       max(pos) filter (where name = 'head_is_investigator')       as p_head_is_investigator,
       max(pos) filter (where name = 'deputies_investigators')     as p_deputies_investigators,
       max(pos) filter (where name = 'officers_trained')           as p_officers_trained
from matched
semi join header_rows using (filename, candidate_id)
group by filename;

-- Province and period come from the file name; of several files for one province-period the latest version wins
-- ('01_2025-07_v2' sorts after '01_2025-07.').
create temp table files as
select filename,
       parse_filename(filename)                                              as file_name,
       regexp_extract(parse_filename(filename), '^([0-9]{2})_', 1)           as province_code,
       regexp_extract(parse_filename(filename), '^[0-9]{2}_([0-9]{4}-[0-9]{2})', 1) as period
from column_positions
qualify parse_filename(filename) = max(parse_filename(filename)) over (partition by province_code, period);

create or replace table staffing_snapshot as
with rows_typed as (
    select files.province_code,
           files.period,
           files.file_name,
           lpad(cast(try_cast(trim(cells[p.p_unit_code]) as double) as bigint)::varchar, 5, '0') as unit_code,
           trim(cells[p.p_unit_name])                                    as unit_name,
           trim(cells[p.p_unit_type])                                    as unit_type,
           to_count(cells[p.p_regular_officers])                         as regular_officers,
           to_count(cells[p.p_semi_professional_officers])               as semi_professional_officers,
           to_count(cells[p.p_heads])                                    as heads,
           to_count(cells[p.p_deputies])                                 as deputies,
           to_count(cells[p.p_ca_vien])                                  as ca_vien,
           to_count(cells[p.p_investigators])                            as investigators,
           fold(cells[p.p_head_is_investigator]) in ('1', 'co', 'x', 'yes', 'true', 'dung') as head_is_investigator,
           to_count(cells[p.p_deputies_investigators])                   as deputies_investigators,
           to_count(cells[p.p_officers_trained])                         as officers_trained
    from grid
    inner join files using (filename)
    inner join column_positions p using (filename)
    where regexp_full_match(trim(cells[p.p_unit_code]), '[0-9]{1,5}(\.0)?')
      and nullif(trim(cells[p.p_unit_name]), '') is not null
)

select case when period >= '2025-07' then 'v2025_34' else 'legacy_63' end as map_version,
       cast(period || '-01' as date)                                      as period_start,
       *
from rows_typed;

create or replace table province_staffing as
select map_version,
       province_code,
       period,
       count(*)                                         as units_reported,
       count(*) filter (where regular_officers > 0)     as units_with_regular_police,
       sum(regular_officers)                            as officers_total,
       sum(semi_professional_officers)                  as semi_professional_total,
       sum(heads)                                       as heads_total,
       sum(deputies)                                    as deputies_total,
       sum(ca_vien)                                     as ca_vien_total,
       sum(investigators)                               as investigators_total,
       count(*) filter (where head_is_investigator)     as units_head_investigator,
       sum(officers_trained)                            as officers_trained
from staffing_snapshot
group by all;
