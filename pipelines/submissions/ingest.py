"""Ingest whatever is new in the landing zone as ONE batch, with full row accounting (no Dagster import).

Steps: hash every landing file -> skip hashes already in audit.submission_files (re-ingesting is a no-op) ->
archive new files immutably (content-addressed) -> read them in bulk (reader.py) -> type and check every row
in SQL over the whole batch -> append loaded rows to raw.submission_rows, quarantined cells to
audit.quarantine_rows, one line per file to audit.submission_files -> mark older versions of a
province-period superseded. All writes of a batch happen in one transaction: a crash leaves nothing half-loaded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.landing import ContentIds, archive_bytes, landing_files, sha256_bytes
from pipelines.landing import refusal as landing_refusal
from pipelines.submissions import contract, reader

SUBMISSION_SUFFIXES = {".csv", ".xlsx"}
PLAUSIBLE_MAX_OFFICERS = 150  # no commune-level police unit has more; a typo like 999 is caught here
PLAUSIBLE_MAX_DEPUTIES = 10
PLAUSIBLE_MAX_CA_VIEN = 200

DDL = """
create schema if not exists raw;
create schema if not exists audit;
create table if not exists audit.ingest_batches (
    batch_id varchar primary key, started_at timestamptz, finished_at timestamptz, files_seen integer,
    files_new integer, files_accepted integer, files_rejected integer, rows_received bigint,
    rows_loaded bigint, rows_quarantined bigint);
create table if not exists audit.submission_files (
    file_id varchar primary key, file_name varchar, landing_path varchar, archive_path varchar, size_bytes bigint,
    format varchar, encoding varchar, sheet varchar, province_code varchar, period varchar, map_version varchar,
    received_at timestamptz, ingested_at timestamptz, ingest_batch_id varchar, status varchar,
    superseded_by varchar, rows_received integer, rows_loaded integer, rows_quarantined integer,
    reason varchar, warnings varchar, quality_status varchar, quality_checked_at timestamptz);
create table if not exists audit.quarantine_rows (
    file_id varchar, file_name varchar, sheet varchar, row_number integer, column_name varchar,
    raw_value varchar, reason varchar, ingest_batch_id varchar);
create table if not exists raw.submission_rows (
    file_id varchar, ingest_batch_id varchar, sheet varchar, row_number integer, province_code varchar,
    period varchar, map_version varchar, unit_code varchar, unit_name varchar, unit_type varchar,
    regular_officers integer, semi_professional_officers integer, heads integer, deputies integer,
    ca_vien integer, investigators integer, head_is_investigator boolean, deputies_investigators integer,
    officers_trained integer, hq_status varchar, notes varchar);
"""


FILE_COLUMNS = ["file_id", "file_name", "landing_path", "archive_path", "size_bytes", "format", "encoding", "sheet",
                "province_code", "period", "map_version", "received_at", "ingested_at", "ingest_batch_id", "status",
                "superseded_by", "rows_received", "rows_loaded", "rows_quarantined", "reason", "warnings"]


@dataclass
class BatchResult:
    """What one ingest batch did, for asset metadata and logs."""

    batch_id: str
    files_seen: int = 0
    files_new: int = 0
    files_accepted: int = 0
    files_rejected: int = 0
    files_superseded: int = 0
    rows_received: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    new_file_ids: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # file name -> reason


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)
    # databases created before the quality gate existed get its columns
    con.execute("alter table audit.submission_files add column if not exists quality_status varchar")
    con.execute("alter table audit.submission_files add column if not exists quality_checked_at timestamptz")


def _fold_sql(expr: str) -> str:
    """SQL twin of contract.fold(): lower case, no diacritics, separators collapsed to one space."""
    return (f"trim(regexp_replace(lower(strip_accents(replace(replace(trim({expr}), 'Đ', 'D'), 'đ', 'd'))), "
            f"'[\\s_:./()\\-]+', ' ', 'g'))")


def _count_expr(col: str) -> str:
    return f"case when regexp_full_match(trim({col}), '[0-9]{{1,9}}') then cast(trim({col}) as integer) end"


def _count_problem(col: str, required: bool) -> str:
    """A struct describing why a count cell is unusable, or null."""
    label = contract.COLUMN_BY_NAME[col].header_vi
    missing = (f"when {col} is null or trim({col}) = '' then "
               f"{{'column': '{col}', 'value': {col}, 'reason': 'missing value in column \"{label}\"'}}"
               if required else f"when {col} is null or trim({col}) = '' then null")
    return (
        f"case when {col}_v is not null then null {missing} "
        f"when regexp_full_match(trim({col}), '[0-9]{{10,}}') then "
        f"{{'column': '{col}', 'value': {col}, 'reason': 'implausible: a count of 10 or more digits in column "
        f"\"{label}\"'}} "
        f"when regexp_full_match(trim({col}), '-\\s*[0-9]+') then "
        f"{{'column': '{col}', 'value': {col}, 'reason': 'negative count in column \"{label}\"'}} "
        f"when regexp_full_match(trim({col}), '[0-9]{{1,3}}([.,][0-9]{{3}})+') then "
        f"{{'column': '{col}', 'value': {col}, 'reason': 'count with a thousands separator in column \"{label}\" "
        f"(write whole numbers without separators)'}} "
        f"else {{'column': '{col}', 'value': {col}, 'reason': 'not a whole number in column \"{label}\"'}} end"
    )


def _labels_table() -> pa.Table:
    """Folded label -> canonical code, for HQ status and unit type (the contract's labels and aliases)."""
    keys, codes, kinds = [], [], []
    for code, label in contract.HQ_STATUSES.items():
        for key in {contract.fold(code), contract.fold(label)}:
            keys.append(key), codes.append(code), kinds.append("hq")
    for alias, code in contract.HQ_ALIASES.items():
        keys.append(contract.fold(alias)), codes.append(code), kinds.append("hq")
    for folded, label in contract.UNIT_TYPES.items():
        keys.append(folded), codes.append(label.lower()), kinds.append("unit_type")
    for value in contract.FLAG_TRUE:
        keys.append(value), codes.append("true"), kinds.append("flag")
    for value in contract.FLAG_FALSE - {""}:
        keys.append(value), codes.append("false"), kinds.append("flag")
    unique = {(kind, key): code for key, code, kind in zip(keys, codes, kinds)}
    return pa.table({"label_key": [k[1] for k in unique], "code": list(unique.values()),
                     "kind": [k[0] for k in unique]})


def _split_top_level(sql: str) -> list[str]:
    """Split a comma-separated SQL expression list at its top-level commas (outside brackets and quotes)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(sql):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(sql[start:i].strip())
            start = i + 1
    parts.append(sql[start:].strip())
    return [p for p in parts if p]


def _problems_sql() -> str:
    """`problems`: the list of problem structs of a row (empty for a clean row); a totals row has only that one."""
    counts = {c.name: c.required for c in contract.COLUMNS if c.kind == "count"}
    count_problems = ",\n            ".join(_count_problem(c, req) for c, req in counts.items())
    rules = _split_top_level(f"""
        case when row_problem is not null then {{'column': null, 'value': null, 'reason': row_problem}} end,
        case
            when code is null or code = '' then {{'column': 'unit_code', 'value': unit_code, 'reason': 'missing unit code'}}
            when not regexp_full_match(code, '[0-9]{{5}}') then
                {{'column': 'unit_code', 'value': unit_code, 'reason': 'unit code must be 5 digits'}}
            when ref_province is null then
                {{'column': 'unit_code', 'value': unit_code,
                  'reason': 'unit code ' || code || ' does not exist in the ' ||
                            case map_version when 'legacy_63' then 'legacy 63-province map (periods before 2025-07)'
                                 else '2025 34-province map (periods from 2025-07)' end}}
            when ref_province <> file_province then
                {{'column': 'unit_code', 'value': unit_code,
                  'reason': 'unit code ' || code || ' belongs to province ' || ref_province ||
                            ', not to this file''s province ' || file_province}}
        end,
        case when code_occurrences > 1 and regexp_full_match(coalesce(code, ''), '[0-9]{{5}}') then
            {{'column': 'unit_code', 'value': unit_code,
              'reason': 'unit ' || code || ' appears ' || code_occurrences || ' times in this file (rows ' ||
                        array_to_string(list_sort(code_rows), ', ') || '): none of them is loaded'}}
        end,
        case when unit_name is null or trim(unit_name) = '' then
            {{'column': 'unit_name', 'value': unit_name, 'reason': 'missing unit name'}} end,
        case when unit_type_key <> '' and unit_type_code is null then
                {{'column': 'unit_type', 'value': unit_type, 'reason': 'unknown unit type (xã, phường, thị trấn, đặc khu)'}}
             when unit_type_code is not null and ref_unit_type is not null and unit_type_code <> ref_unit_type then
                {{'column': 'unit_type', 'value': unit_type,
                  'reason': 'unit type ' || unit_type || ' but the reference says ' || ref_unit_type}}
        end,
        {count_problems},
        case when hq_status is null or trim(hq_status) = '' then
                {{'column': 'hq_status', 'value': hq_status, 'reason': 'missing HQ status'}}
             when hq_code is null then
                {{'column': 'hq_status', 'value': hq_status,
                  'reason': 'unknown HQ status (doc_lap / chung_ubnd / dang_xay_dung / chua_co or their labels)'}}
        end,
        case when flag_key <> '' and flag_code is null then
            {{'column': 'head_is_investigator', 'value': head_is_investigator, 'reason': 'expected 1/0 or Có/Không'}}
        end,
        case when meta_province_code is not null and trim(meta_province_code) <> '' and
                  lpad(trim(meta_province_code), 2, '0') <> file_province then
            {{'column': 'province_code', 'value': meta_province_code,
              'reason': 'row says province ' || trim(meta_province_code) || ' but the file is for ' || file_province}}
        end,
        case when meta_period is not null and trim(meta_period) <> '' and
                  coalesce(meta_period_norm, '') <> file_period then
            {{'column': 'period', 'value': meta_period,
              'reason': 'row says period ' || trim(meta_period) || ' but the file is for ' || file_period}}
        end,
        case when heads_v > 1 then {{'column': 'heads', 'value': heads, 'reason': 'a unit has at most 1 head'}} end,
        case when regular_officers_v > {PLAUSIBLE_MAX_OFFICERS} then
            {{'column': 'regular_officers', 'value': regular_officers,
              'reason': 'implausible: more than {PLAUSIBLE_MAX_OFFICERS} regular officers in one unit'}} end,
        case when deputies_v > {PLAUSIBLE_MAX_DEPUTIES} then
            {{'column': 'deputies', 'value': deputies,
              'reason': 'implausible: more than {PLAUSIBLE_MAX_DEPUTIES} deputy heads in one unit'}} end,
        case when ca_vien_v > {PLAUSIBLE_MAX_CA_VIEN} then
            {{'column': 'ca_vien', 'value': ca_vien,
              'reason': 'implausible: more than {PLAUSIBLE_MAX_CA_VIEN} công an viên in one unit'}} end,
        case when regular_officers_v is not null and heads_v is not null and deputies_v is not null
                  and regular_officers_v + coalesce(semi_professional_officers_v, 0) < heads_v + deputies_v then
            {{'column': 'regular_officers', 'value': regular_officers,
              'reason': 'officers (' || (regular_officers_v + coalesce(semi_professional_officers_v, 0)) ||
                        ') fewer than heads + deputies (' || (heads_v + deputies_v) || ')'}} end,
        case when investigators_v > regular_officers_v then
            {{'column': 'investigators', 'value': investigators,
              'reason': 'more investigators (' || investigators_v || ') than regular officers (' ||
                        regular_officers_v || ')'}} end,
        case when deputies_investigators_v > deputies_v then
            {{'column': 'deputies_investigators', 'value': deputies_investigators,
              'reason': 'more deputy investigators than deputies (' || deputies_v || ')'}} end,
        case when officers_trained_v > regular_officers_v + coalesce(semi_professional_officers_v, 0) then
            {{'column': 'officers_trained', 'value': officers_trained,
              'reason': 'more officers trained (' || officers_trained_v || ') than officers'}} end,
        case when flag_code = 'true' and heads_v = 0 then
            {{'column': 'head_is_investigator', 'value': head_is_investigator,
              'reason': 'head is an investigator but the unit reports no head'}} end
""")
    totals = f"""{{'column': 'unit_name', 'value': unit_name,
           'reason': 'a totals row, not a unit: totals are computed by the warehouse, not loaded'}}"""
    totals_test = (f"(code is null or code = '') and regexp_matches({_fold_sql('unit_name')}, "
                   "'^(tong cong|tong so|tong|cong|total)( |$)')")
    # _checked keeps only what the inserts need: the raw text columns stay in _incoming (half the memory).
    dropped = ", ".join(["unit_code", "unit_type", "head_is_investigator", "hq_status", "meta_province_code",
                         "meta_period", "row_problem", "hq_key", "unit_type_key", "flag_key", "code_occurrences",
                         "code_rows", "meta_period_digits", "ref_province", "ref_unit_name", "meta_period_norm"]
                        + list(counts))
    return f"""resolved.* exclude ({dropped}),
    case when coalesce({totals_test}, false) then [{totals}]
         else list_filter([{", ".join(rules)}], lambda p: p is not null) end as problems
from resolved
"""


def _check_rows_sql() -> str:
    """The row-rule statement over the whole batch (column names are contract constants, not input)."""
    counts = {c.name: c.required for c in contract.COLUMNS if c.kind == "count"}
    typed_counts = ",\n        ".join(f"{_count_expr(c)} as {c}_v" for c in counts)
    count_problems = ",\n            ".join(_count_problem(c, req) for c, req in counts.items())
    return f"""
create or replace temp table _checked as
with keyed as (
    select i.*, f.province_code as file_province, f.period as file_period, f.map_version,
        -- Excel drops leading zeros of numeric-looking codes ("00001" -> "1"): left-pad digit-only codes.
        case when regexp_full_match(trim(i.unit_code), '[0-9]{{1,5}}') then lpad(trim(i.unit_code), 5, '0')
             else trim(i.unit_code) end as code
    from _incoming as i
    inner join _batch_files as f on f.file_id = i.file_id
),
-- Units that occur more than once in a file, with the rows they occur on (an aggregate, not a per-row window).
dups as (
    select file_id, code, count(*) as code_occurrences, list(row_number order by row_number) as code_rows
    from keyed group by file_id, code having count(*) > 1
),
-- Label columns have few distinct values: fold each distinct value once, then join on the raw text.
label_values as (
    select v.kind, v.raw, {_fold_sql('v.raw')} as folded
    from (select distinct 'hq' as kind, hq_status as raw from _incoming
          union all select distinct 'unit_type', unit_type from _incoming
          union all select distinct 'flag', head_is_investigator from _incoming) as v
    where v.raw is not null
),
label_codes as (
    select v.kind, v.raw, v.folded, l.code
    from label_values as v left join _labels as l on l.kind = v.kind and l.label_key = v.folded
),
base as (
    select keyed.*,
        {typed_counts},
        hq.folded as hq_key, ut.folded as unit_type_key, fl.folded as flag_key,
        hq.code as hq_code, ut.code as unit_type_code, fl.code as flag_code,
        coalesce(d.code_occurrences, 1) as code_occurrences, d.code_rows,
        regexp_replace(trim(keyed.meta_period), '^[^0-9]*', '') as meta_period_digits
    from keyed
    left join dups as d on d.file_id = keyed.file_id and d.code = keyed.code
    left join label_codes as hq on hq.kind = 'hq' and hq.raw = keyed.hq_status
    left join label_codes as ut on ut.kind = 'unit_type' and ut.raw = keyed.unit_type
    left join label_codes as fl on fl.kind = 'flag' and fl.raw = keyed.head_is_investigator
),
resolved as (
    select base.*,
        u.province_code as ref_province, u.unit_type as ref_unit_type, u.unit_name as ref_unit_name,
        case
            when meta_period_digits is null then null
            when regexp_full_match(meta_period_digits, '[0-9]{{4}}[-/.][0-9]{{1,2}}')
                then printf('%s-%02d', regexp_extract(meta_period_digits, '^([0-9]{{4}})', 1),
                            cast(regexp_extract(meta_period_digits, '([0-9]{{1,2}})$', 1) as integer))
            when regexp_full_match(meta_period_digits, '[0-9]{{1,2}}[-/.][0-9]{{4}}')
                then printf('%s-%02d', regexp_extract(meta_period_digits, '([0-9]{{4}})$', 1),
                            cast(regexp_extract(meta_period_digits, '^([0-9]{{1,2}})', 1) as integer))
        end as meta_period_norm
    from base
    left join _ref_units as u on u.map_version = base.map_version and u.unit_code = base.code
)
select {_problems_sql()}
"""


def _ref_units(con: duckdb.DuckDBPyConnection) -> None:
    """Both maps' units (from the raw reference tables the reference asset loaded) as a temp table."""
    con.execute("""
        create or replace temp table _ref_units as
        select 'legacy_63' as map_version, "wardCode" as unit_code, "provinceCode" as province_code,
               lower("wardType") as unit_type, "ward" as unit_name
        from raw.admin_units_legacy where "wardCode" is not null
        union all
        select 'v2025_34', "wardCode", "provinceCode", lower("wardType"), "ward" from raw.admin_units_2025
    """)


def _check_meta_columns(con: duckdb.DuckDBPyConnection, files: list[reader.ParsedFile]) -> None:
    """Province/period given as columns: one value throughout that contradicts the file name rejects the file.

    (Values that vary from row to row are row-level problems and quarantine only those rows.)
    """
    by_id = {p.file_id: p for p in files if not p.errors}
    rows = con.execute(
        "select file_id, list(distinct trim(meta_province_code)) filter (where trim(meta_province_code) <> ''), "
        "list(distinct trim(meta_period)) filter (where trim(meta_period) <> '') from _incoming_all "
        "where meta_province_code is not null or meta_period is not null group by file_id").fetchall()
    for file_id, provinces, periods in rows:
        parsed = by_id.get(file_id)
        if parsed is None:
            continue
        if provinces and len(provinces) == 1 and provinces[0].zfill(2) != parsed.province_code:
            parsed.errors.append(f"file name says province {parsed.province_code} but every row says "
                                 f"{provinces[0]}")
        normalized = {contract.parse_period(p) for p in periods or []}
        if len(normalized) == 1 and None not in normalized and parsed.period not in normalized:
            parsed.errors.append(f"file name says period {parsed.period} but every row says {periods[0]}")


def _provinces_by_map(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return set(con.execute("select distinct map_version, province_code from _ref_units").fetchall())


def ingest(con: duckdb.DuckDBPyConnection, landing: Path, archive_root: Path,
           now: datetime | None = None) -> BatchResult:
    """Ingest every new file under `landing` as one batch; returns counts. Idempotent for unchanged files."""
    ensure_tables(con)
    now = now or datetime.now(timezone.utc)
    batch = BatchResult(batch_id=f"{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}")
    known = {r[0] for r in con.execute("select file_id from audit.submission_files").fetchall()}

    parsed_files: list[reader.ParsedFile] = []
    contents: dict[str, bytes] = {}
    landing_paths: dict[str, Path] = {}
    content_ids = ContentIds(con, "submissions")
    for path in landing_files(landing):
        batch.files_seen += 1
        refused = landing_refusal(path)  # a symbolic link: never followed, not even to stat its target
        st = path.lstat() if refused else path.stat()
        size = st.st_size
        if refused or size > reader.MAX_FILE_BYTES:
            data = b""  # never read an oversized file into memory; it is rejected below by size
            file_id = (f"{'refused' if refused else 'oversize'}-"
                       f"{sha256_bytes(f'{path.name}:{size}:{path.lstat().st_mtime_ns}'.encode())}")
        else:
            recorded = content_ids.recorded(path, st)
            if recorded in known:
                content_ids.remember(path, st, recorded)
                continue  # unchanged since its content was hashed and ingested
            data = path.read_bytes()
            file_id = sha256_bytes(data)
            content_ids.remember(path, st, file_id)
        if file_id in known or file_id in contents:
            continue  # same content already ingested (or twice in this batch): a no-op
        contents[file_id] = data
        landing_paths[file_id] = path
        name_province, name_period, name_error = reader.parse_file_name(path.name)
        parsed = reader.ParsedFile(path, file_id, name_province, name_period)
        if refused:
            parsed.errors.append(refused)
        elif size > reader.MAX_FILE_BYTES:
            parsed.errors.append(f"file is {size:,} bytes, over the {reader.MAX_FILE_BYTES:,}-byte limit")
        elif path.suffix.lower() not in SUBMISSION_SUFFIXES:
            parsed.errors.append(f"unsupported file type {path.suffix or '(none)'!r}: submissions are .csv or .xlsx")
        elif name_error:
            parsed.errors.append(name_error)
        if parsed.errors and data:
            reader.count_rejected_rows(parsed, data)
        parsed_files.append(parsed)
    batch.files_new = len(parsed_files)
    content_ids.save(con)
    if not parsed_files:
        return batch

    archive_paths = {p.file_id: archive_bytes(archive_root, "submissions", p.file_id, p.path.suffix,
                                                 contents[p.file_id])
                     for p in parsed_files if contents[p.file_id]}
    _ref_units(con)
    readable = [p for p in parsed_files if not p.errors]
    reader.read_batch(con, readable, contents)
    # The bytes are archived and read: keep only their sizes (78 MB of files at 10 years of history).
    sizes = {file_id: len(data) for file_id, data in contents.items()}
    contents.clear()
    provinces = _provinces_by_map(con)
    rows_per_file = dict(con.execute("select file_id, count(*) from _incoming_all group by 1").fetchall())
    for parsed in readable:
        if not parsed.errors and not rows_per_file.get(parsed.file_id):
            parsed.errors.append("no data rows under the header row")
    _check_meta_columns(con, readable)
    for parsed in parsed_files:
        if parsed.period and not parsed.errors:
            map_version = contract.map_version_for_period(parsed.period)
            if parsed.province_code and (map_version, parsed.province_code) not in provinces:
                parsed.errors.append(
                    f"province code {parsed.province_code} does not exist in the "
                    f"{'legacy 63-province' if map_version == contract.MAP_LEGACY else '2025 34-province'} map "
                    f"used for period {parsed.period}")
    accepted_ids = [p.file_id for p in parsed_files if not p.errors]
    batch_files = pa.table({
        "file_id": [p.file_id for p in parsed_files],
        "province_code": [p.province_code for p in parsed_files],
        "period": [p.period for p in parsed_files],
        "map_version": [contract.map_version_for_period(p.period) if p.period else None for p in parsed_files],
        "accepted": [not p.errors for p in parsed_files],
    })
    # Rows of files rejected after reading (e.g. unknown province) are accounted as rejected-file rows.
    late_rejected = [p for p in parsed_files if p.errors and p.rows_received == 0 and p.shape is not None]

    con.execute("begin transaction")
    try:
        con.register("_batch_files_all", batch_files)
        con.register("_labels", _labels_table())
        con.execute("create or replace temp table _batch_files as select * from _batch_files_all where accepted")
        # a view, not a copy: the batch's rows are held once (_incoming_all), then once more as _checked
        con.execute("create or replace temp view _incoming as select i.* from _incoming_all i "
                    "semi join _batch_files f on f.file_id = i.file_id")
        for parsed in late_rejected:
            rows = con.execute("select row_number, concat_ws(' | ', unit_code, unit_name, regular_officers) "
                               "from _incoming_all where file_id = ? order by row_number", [parsed.file_id]).fetchall()
            parsed.raw_lines = [(r[0], r[1]) for r in rows]
            parsed.rows_received = len(rows)
        con.execute(_check_rows_sql())
        con.execute("drop view _incoming")
        con.execute("drop table _incoming_all")  # _checked holds what the inserts need
        con.execute("""
            insert into raw.submission_rows
            select file_id, ?, sheet, row_number, file_province, file_period, map_version, code,
                   trim(unit_name), coalesce(unit_type_code, ref_unit_type), regular_officers_v,
                   semi_professional_officers_v, heads_v, deputies_v, ca_vien_v, investigators_v,
                   case flag_code when 'true' then true when 'false' then false end,
                   deputies_investigators_v, officers_trained_v, hq_code, notes
            from _checked where len(problems) = 0
        """, [batch.batch_id])
        con.execute("""
            insert into audit.quarantine_rows
            select c.file_id, null, c.sheet, c.row_number, p.problem.column, left(p.problem.value, 500),
                   p.problem.reason, ?
            from _checked as c, unnest(c.problems) as p(problem)
        """, [batch.batch_id])
        rejected_rows = [(p.file_id, p.sheet, n, text[:500], "file rejected: " + "; ".join(p.errors))
                         for p in parsed_files if p.errors for n, text in p.raw_lines]
        if rejected_rows:
            con.register("_rejected_rows", pa.table({
                "file_id": [r[0] for r in rejected_rows], "sheet": [r[1] for r in rejected_rows],
                "row_number": pa.array([r[2] for r in rejected_rows], pa.int32()),
                "raw_value": [r[3] for r in rejected_rows], "reason": [r[4] for r in rejected_rows]}))
            con.execute("insert into audit.quarantine_rows select file_id, null, sheet, row_number, null, raw_value, "
                        "reason, ? from _rejected_rows", [batch.batch_id])
        counts = dict(((r[0], (r[1], r[2])) for r in con.execute(
            "select file_id, count(*), count(*) filter (where len(problems) = 0) from _checked group by 1"
        ).fetchall()))
        con.execute("drop table _checked")
        file_rows = []
        for parsed in parsed_files:
            received, loaded = counts.get(parsed.file_id, (parsed.rows_received, 0))
            if parsed.errors:
                received, loaded = parsed.rows_received, 0
            quarantined = received - loaded
            status = "rejected" if parsed.errors else "accepted"
            reason = "; ".join(parsed.errors) if parsed.errors else (
                f"{quarantined} row(s) quarantined" if quarantined else None)
            ignored = parsed.shape.ignored_headers if parsed.shape else ()
            warnings = parsed.warnings + ([f"ignored columns: {', '.join(ignored)}"] if ignored else [])
            received_at = datetime.fromtimestamp(landing_paths[parsed.file_id].stat().st_mtime, timezone.utc)
            file_rows.append((
                parsed.file_id, parsed.path.name, str(landing_paths[parsed.file_id]),
                str(archive_paths.get(parsed.file_id, "")) or None, sizes[parsed.file_id] or
                parsed.path.stat().st_size, parsed.fmt, parsed.encoding, parsed.sheet, parsed.province_code,
                parsed.period, contract.map_version_for_period(parsed.period) if parsed.period else None,
                received_at, now, batch.batch_id, status, None, received, loaded, quarantined, reason,
                "; ".join(warnings) or None))
            batch.rows_received += received
            batch.rows_loaded += loaded
            batch.rows_quarantined += quarantined
            if parsed.errors:
                batch.files_rejected += 1
                batch.rejected[parsed.path.name] = reason or ""
            else:
                batch.files_accepted += 1
        con.register("_file_rows", pa.table(list(zip(*file_rows)), names=FILE_COLUMNS))
        con.execute("insert into audit.submission_files by name select * from _file_rows")
        con.execute("update audit.quarantine_rows q set file_name = f.file_name from audit.submission_files f "
                    "where q.file_id = f.file_id and q.ingest_batch_id = ?", [batch.batch_id])
        batch.files_superseded = _supersede(con, batch.batch_id)
        batch.new_file_ids = [p.file_id for p in parsed_files]
        con.execute("insert into audit.ingest_batches values (?, ?, now(), ?, ?, ?, ?, ?, ?, ?)",
                    [batch.batch_id, now, batch.files_seen, batch.files_new, batch.files_accepted,
                     batch.files_rejected, batch.rows_received, batch.rows_loaded, batch.rows_quarantined])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for name in ("_batch_files_all", "_labels", "_rejected_rows", "_file_rows"):
            try:
                con.unregister(name)
            except Exception:
                pass
    return batch


def _supersede(con: duckdb.DuckDBPyConnection, batch_id: str) -> int:
    """In every province-period this batch touched, only the latest accepted file stays 'accepted'."""
    before = con.execute("select count(*) from audit.submission_files where status = 'superseded'").fetchall()[0][0]
    con.execute("""
        with touched as (
            select distinct province_code, period from audit.submission_files where ingest_batch_id = ?
        ),
        ranked as (
            select f.file_id, f.status,
                first_value(f.file_id) over (partition by f.province_code, f.period
                                             order by f.received_at desc,
                                                      -- version suffixes compare as numbers: _v10 after _v9
                                                      try_cast(regexp_extract(f.file_name, '_[vV]?([0-9]+)[.][A-Za-z]+$', 1)
                                                               as integer) desc nulls last,
                                                      f.file_name desc, f.file_id) as latest
            from audit.submission_files as f
            inner join touched using (province_code, period)
            where f.status in ('accepted', 'superseded')
        )
        update audit.submission_files as f
        set status = case when ranked.file_id = ranked.latest then 'accepted' else 'superseded' end,
            superseded_by = case when ranked.file_id = ranked.latest then null else ranked.latest end
        from ranked where ranked.file_id = f.file_id
    """, [batch_id])
    after = con.execute("select count(*) from audit.submission_files where status = 'superseded'").fetchall()[0][0]
    return after - before
