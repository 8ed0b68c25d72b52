"""pipelines.quality.gx_runner: real GX validations of real DuckDB files (no mocks of GX or DuckDB).

The fixture warehouse has a clean staffing table (5,000 rows: 2,500 units x 2 periods), a copy with injected
defects, a reference unit list and province totals. Suites are the example files in expectations/_examples/.
"""

from __future__ import annotations

import json
import socket
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipelines.quality import gx_runner as R
from pipelines.quality.gx_suites import SuiteFileError, load_suite, load_suites

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "expectations" / "_examples"

FIXTURE_SQL = """
CREATE SCHEMA IF NOT EXISTS ref;
CREATE TABLE main.fct_staffing AS
SELECT
    i AS rid,
    lpad(CAST(i % 2500 AS VARCHAR), 5, '0')                         AS unit_code,
    CASE WHEN i < 2500 THEN '2025-07' ELSE '2025-08' END            AS period,
    'P' || lpad(CAST(1 + (i % 2500) % 34 AS VARCHAR), 2, '0')        AS province_code,
    'Xã ' || CAST(i % 2500 AS VARCHAR)                               AS unit_name,
    (['Xã', 'Phường', 'Thị trấn', 'Đặc khu'])[1 + i % 4]             AS unit_type,
    CAST(5 + i % 40 AS INTEGER)                                      AS regular_officers,
    CAST(5 + i % 40 + i % 7 AS INTEGER)                              AS total_officers,
    CASE WHEN i < 2500 THEN 1 ELSE 2 END                             AS ingest_batch_id,
    DATE '2025-07-01' + CAST(i % 28 AS INTEGER)                      AS reported_on
FROM range(5000) t(i)
ORDER BY i;

CREATE TABLE ref.admin_units AS
SELECT DISTINCT unit_code FROM main.fct_staffing ORDER BY unit_code;

CREATE TABLE main.province_totals AS
SELECT period, province_code, sum(regular_officers) AS regular_officers FROM main.fct_staffing GROUP BY ALL;

CREATE TABLE main.fct_staffing_bad AS SELECT * FROM main.fct_staffing ORDER BY rid;
UPDATE main.fct_staffing_bad SET unit_name = NULL WHERE rid IN (10, 20, 30);
UPDATE main.fct_staffing_bad SET unit_code = '12A45' WHERE rid = 40;
UPDATE main.fct_staffing_bad SET unit_code = '123' WHERE rid = 41;
UPDATE main.fct_staffing_bad SET unit_type = 'Huyện' WHERE rid = 50;
UPDATE main.fct_staffing_bad SET regular_officers = -1 WHERE rid = 60;
UPDATE main.fct_staffing_bad SET regular_officers = 500, total_officers = 520 WHERE rid = 61;
UPDATE main.fct_staffing_bad SET total_officers = regular_officers - 1 WHERE rid = 70;
UPDATE main.fct_staffing_bad SET unit_code = '00081' WHERE rid = 80;
UPDATE main.fct_staffing_bad SET province_code = 'P99' WHERE rid = 90;

CREATE TABLE main.province_totals_bad AS
SELECT period, province_code,
       sum(regular_officers) + CASE WHEN province_code = 'P05' AND period = '2025-07' THEN 5 ELSE 0 END
           AS regular_officers
FROM main.fct_staffing_bad GROUP BY period, province_code;
"""


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gx_runner") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(FIXTURE_SQL)
    con.close()
    return path


@pytest.fixture
def con(db_path: Path):
    c = duckdb.connect(str(db_path), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def suites() -> dict[str, R.SuiteSpec]:
    return load_suites(EXAMPLES)


def by_name(result: R.SuiteResult) -> dict[str, R.ExpectationOutcome]:
    return {o.name: o for o in result.results}


def write(tmp_path: Path, text: str, name: str = "suite.yml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


# --------------------------------------------------------------------------------------------------------------
# passing suite


def test_example_suites_load(suites):
    assert {"staffing_ok", "staffing_failures", "staffing_batch", "staffing_warnings", "bench_synthetic"} <= set(suites)
    ok = suites["staffing_ok"]
    scopes = {e.name: e.scope for e in ok.expectations}
    assert scopes["expect_column_values_to_not_be_null__unit_code"] == "batch"
    assert scopes["expect_column_values_to_be_in_set__unit_type"] == "batch"  # CamelCase type resolved
    assert scopes["expect_compound_columns_to_be_unique__unit_code__period"] == "table"
    assert scopes["expect_table_row_count_to_be_between"] == "table"
    assert ok.expectations[-1].query and "{relation}" in ok.expectations[-1].query


@pytest.mark.parametrize("batch_rows", [1_000, 1_000_000])
def test_passing_suite(con, suites, batch_rows):
    res = R.validate(con, suites["staffing_ok"], batch_rows=batch_rows)
    assert res.success, [(o.name, o.observed_value, o.exception) for o in res.results if not o.success]
    assert not res.failed_errors and not res.failed_warnings
    assert res.rows_validated == 5000
    assert res.batches == (5 if batch_rows == 1_000 else 1)
    assert res.seconds > 0
    out = by_name(res)
    assert out["expect_column_values_to_not_be_null__unit_code"].element_count == 5000
    assert out["expect_column_values_to_not_be_null__unit_code"].unexpected_count == 0
    assert out["expect_table_row_count_to_be_between"].observed_value == 5000
    assert out["expect_column_max_to_be_between__total_officers"].observed_value == 50
    assert out["units_exist_in_reference"].observed_value == 0
    assert out["province_totals_match_units"].element_count == 68  # 34 provinces x 2 periods


# --------------------------------------------------------------------------------------------------------------
# failures


@pytest.fixture(scope="module")
def failures(db_path, suites) -> R.SuiteResult:
    c = duckdb.connect(str(db_path), read_only=True)
    try:
        return R.validate(c, suites["staffing_failures"], batch_rows=1_000, sample_size=5)
    finally:
        c.close()


def test_failure_verdicts_and_severities(failures):
    out = by_name(failures)
    failed = {o.name for o in failures.results if not o.success}
    assert failed == {
        "unit_name_present",
        "expect_column_values_to_match_regex__unit_code",
        "expect_column_values_to_be_in_set__unit_type",
        "expect_column_values_to_be_between__regular_officers",
        "expect_column_pair_values_a_to_be_greater_than_b__total_officers__regular_officers",
        "expect_compound_columns_to_be_unique__unit_code__period",
        "expect_column_max_to_be_between__total_officers",
        "expect_column_distinct_values_to_be_in_set__province_code",
        "missing_column",
        "units_exist_in_reference",
        "province_totals_match_units",
    }
    assert not failures.success
    assert {o.name for o in failures.failed_warnings} == {
        "unit_name_present",
        "expect_column_values_to_be_in_set__unit_type",
    }
    assert len(failures.failed_errors) == len(failed) - 2
    assert out["expect_table_row_count_to_be_between"].success


def test_row_rule_counts_and_samples(failures):
    out = by_name(failures)
    nn = out["unit_name_present"]
    assert (nn.element_count, nn.unexpected_count, nn.observed_value) == (5000, 3, 3)
    assert nn.unexpected_percent == pytest.approx(0.06)
    assert nn.sample == [
        {"unit_code": "00010", "period": "2025-07", "unit_name": None},
        {"unit_code": "00020", "period": "2025-07", "unit_name": None},
        {"unit_code": "00030", "period": "2025-07", "unit_name": None},
    ]
    rx = out["expect_column_values_to_match_regex__unit_code"]
    assert rx.unexpected_count == 2
    assert [s["unit_code"] for s in rx.sample] == ["12A45", "123"]
    between = out["expect_column_values_to_be_between__regular_officers"]
    assert between.unexpected_count == 2
    assert sorted(s["regular_officers"] for s in between.sample) == [-1, 500]
    pair = out["expect_column_pair_values_a_to_be_greater_than_b__total_officers__regular_officers"]
    assert pair.unexpected_count == 1
    assert pair.sample[0]["unit_code"] == "00070"
    assert set(pair.sample[0]) == {"unit_code", "period", "total_officers", "regular_officers"}
    in_set = out["expect_column_values_to_be_in_set__unit_type"]
    assert in_set.unexpected_count == 1 and in_set.sample[0]["unit_type"] == "Huyện"


def test_mostly_is_judged_on_the_whole_relation(failures):
    # the 3 NULL names all sit in the first 1,000-row batch: that batch alone is 99.7% < 99.9%,
    # the relation is 99.94% >= 99.9%, so the rule passes.
    o = by_name(failures)["unit_name_mostly_present"]
    assert o.success and o.unexpected_count == 3 and o.frames == 5


def test_table_scope_failures(failures):
    out = by_name(failures)
    uniq = out["expect_compound_columns_to_be_unique__unit_code__period"]
    assert (uniq.element_count, uniq.unexpected_count) == (5000, 2)
    assert sorted(s["unit_code"] for s in uniq.sample) == ["00081", "00081"]
    mx = out["expect_column_max_to_be_between__total_officers"]
    assert mx.observed_value == 520 and mx.unexpected_count is None
    distinct = out["expect_column_distinct_values_to_be_in_set__province_code"]
    assert distinct.sample == ["P99"]


def test_missing_column_reports_the_gx_exception(failures):
    o = by_name(failures)["missing_column"]
    assert not o.success
    assert "station_phone" in o.exception
    rec = [r for r in failures.to_records("run-x") if json.loads(r["kwargs"]).get("column") == "station_phone"][0]
    assert "station_phone" in json.loads(rec["observed_value"])["exception"]


def test_query_rules(failures):
    out = by_name(failures)
    ref = out["units_exist_in_reference"]
    assert ref.observed_value == 2 and ref.scope == "table"
    assert sorted(s["unit_code"] for s in ref.sample) == ["123", "12A45"]
    totals = out["province_totals_match_units"]
    assert totals.unexpected_count == 1 and totals.element_count == 69  # 34 provinces x 2 periods + P99 (July)
    assert totals.sample == [{"period": "2025-07", "province_code": "P05", "diff": 5}]


def test_batching_gives_the_same_results_as_one_batch(con, suites, failures):
    whole = R.validate(con, suites["staffing_failures"], batch_rows=1_000_000, sample_size=5)
    assert (failures.batches, whole.batches) == (5, 1)
    assert failures.gx_runs > whole.gx_runs
    for a, b in zip(failures.results, whole.results, strict=True):
        assert a.name == b.name
        assert (a.success, a.element_count, a.unexpected_count, a.observed_value, a.missing_count) == (
            b.success, b.element_count, b.unexpected_count, b.observed_value, b.missing_count), a.name
        assert a.unexpected_percent == pytest.approx(b.unexpected_percent), a.name
        key = lambda s: json.dumps(s, sort_keys=True)  # noqa: E731 - sample order may differ for table rules
        assert sorted(map(key, a.sample)) == sorted(map(key, b.sample)), a.name
        assert bool(a.exception) == bool(b.exception)


def test_sample_size_caps_the_sample(con, suites):
    res = R.validate(con, suites["staffing_failures"], batch_rows=1_000, sample_size=1)
    assert all(len(o.sample) <= 1 for o in res.results)
    assert by_name(res)["unit_name_present"].unexpected_count == 3


# --------------------------------------------------------------------------------------------------------------
# params, empty relation, warn vs error


def test_params_in_batch_sql(con, suites):
    res = R.validate(con, suites["staffing_batch"], params={"ingest_batch_id": 2, "expected_rows": 2500})
    assert res.success and not res.failed_warnings, [(o.name, o.observed_value) for o in res.results]
    assert res.rows_validated == 2500
    assert res.params == {"ingest_batch_id": 2, "expected_rows": 2500}
    out = by_name(res)
    assert out["expect_table_row_count_to_equal"].observed_value == 2500  # {$PARAMETER: expected_rows}

    res = R.validate(con, suites["staffing_batch"], params={"ingest_batch_id": 2, "expected_rows": 7})
    assert res.success and [o.name for o in res.failed_warnings] == ["expect_table_row_count_to_equal"]


def test_missing_param_raises(con, suites):
    with pytest.raises(ValueError, match=r"\$ingest_batch_id"):
        R.validate(con, suites["staffing_batch"], params={"expected_rows": 1})


def test_empty_relation(con, suites):
    res = R.validate(con, suites["staffing_batch"], params={"ingest_batch_id": 999, "expected_rows": 0},
                     batch_rows=1_000)
    assert res.rows_validated == 0 and res.batches == 0
    out = by_name(res)
    for name in ("expect_column_values_to_not_be_null__unit_code",
                 "expect_column_values_to_be_between__regular_officers",
                 "expect_compound_columns_to_be_unique__unit_code__period",
                 "batch_units_exist_in_reference",
                 "expect_table_row_count_to_equal"):
        assert out[name].success, name  # row-level rules pass vacuously
    assert out["expect_column_values_to_not_be_null__unit_code"].element_count == 0
    row_count = out["expect_table_row_count_to_be_between"]
    assert not row_count.success and row_count.observed_value == 0  # table-level rules still run
    assert [o.name for o in res.failed_errors] == ["expect_table_row_count_to_be_between"]


def test_warn_only_failure_keeps_suite_successful(con, suites):
    res = R.validate(con, suites["staffing_warnings"])
    assert res.success
    assert [o.name for o in res.failed_warnings] == ["expect_column_mean_to_be_between__regular_officers"]
    assert res.failed_warnings[0].observed_value == pytest.approx(24.5)


def test_large_relation_table_rules_use_reduced_frames(con, tmp_path):
    """Above batch_rows, table rules run on DuckDB-reduced frames; results match the one-frame run."""
    path = write(tmp_path, """
        name: reduced
        table: main.fct_staffing_bad
        expectations:
          - {type: expect_column_values_to_be_unique, kwargs: {column: unit_code}, scope: table}
          - {type: expect_column_min_to_be_between, kwargs: {column: regular_officers, min_value: 0}}
          - {type: expect_column_unique_value_count_to_be_between, kwargs: {column: unit_type, max_value: 4}}
          - {type: expect_column_median_to_be_between, kwargs: {column: regular_officers, min_value: 20, max_value: 30}}
          - {type: expect_table_columns_to_match_set, kwargs: {column_set: [rid, unit_code], exact_match: false}}
          - {type: expect_column_values_to_not_be_null, kwargs: {column: unit_name}, scope: table}
          - type: expect_column_values_to_be_between
            kwargs: {column: reported_on, min_value: 2025-07-01, max_value: 2025-07-28}
          - {type: expect_column_values_to_be_between, kwargs: {column: reported_on, min_value: 2025-07-02}, name: late}
        """)
    suite = load_suite(path)
    small, big = (R.validate(con, suite, batch_rows=n) for n in (1_000_000, 700))
    for a, b in zip(small.results, big.results, strict=True):
        assert (a.success, a.observed_value, a.element_count, a.unexpected_count) == (
            b.success, b.observed_value, b.element_count, b.unexpected_count), a.name
    out = by_name(big)
    uniq = out["expect_column_values_to_be_unique__unit_code"]
    # each code appears once per period, so every row is a duplicate except the 5 codes left alone by the
    # defects: '12A45', '123' and the August rows of '00040', '00041', '00080'
    assert uniq.unexpected_count == 4995
    assert out["expect_column_min_to_be_between__regular_officers"].observed_value == -1
    assert not out["expect_column_min_to_be_between__regular_officers"].success
    assert out["expect_column_unique_value_count_to_be_between__unit_type"].observed_value == 5
    assert out["expect_column_values_to_be_between__reported_on"].success  # YAML dates vs DuckDB DATE
    late = out["late"]
    assert not late.success and late.unexpected_count == 179  # rid % 28 == 0 -> reported on 2025-07-01
    assert late.sample[0] == {"reported_on": "2025-07-01"}


def test_to_records_fit_the_audit_table(con, failures, tmp_path):
    recs = failures.to_records("run-42")
    assert len(recs) == len(failures.results)
    assert all(tuple(r) == R.QUALITY_RESULTS_COLUMNS for r in recs)
    for r in recs:
        for col in ("kwargs", "observed_value", "sample"):
            json.loads(r[col])
    w = duckdb.connect(str(tmp_path / "warehouse_audit.duckdb"))
    w.execute("CREATE SCHEMA audit")
    w.execute(R.QUALITY_RESULTS_DDL)
    w.executemany(
        f"INSERT INTO audit.quality_results VALUES ({', '.join('?' * len(R.QUALITY_RESULTS_COLUMNS))})",
        [list(r.values()) for r in recs],
    )
    n, fails = w.execute("SELECT count(*), count(*) FILTER (WHERE NOT success) FROM audit.quality_results").fetchone()
    assert (n, fails) == (len(recs), 11)
    q = w.execute("""SELECT json_extract_string(kwargs, '$.query') FROM audit.quality_results
                     WHERE expectation = 'expect_table_row_count_to_equal'""").fetchone()[0]
    assert "ANTI JOIN ref.admin_units" in q
    w.close()


# --------------------------------------------------------------------------------------------------------------
# suite-file errors


@pytest.mark.parametrize(
    "body, message",
    [
        ("expectations: [{type: expect_column_values_to_not_be_nul, kwargs: {column: a}}]",
         r"unknown expectation type 'expect_column_values_to_not_be_nul' "
         r"\(did you mean expect_column_values_to_not_be_null"),
        ("expectations: [{type: expect_column_values_to_not_be_null, kwargs: {colum: a}}]", r"invalid kwargs.*colum"),
        ("expectations: [{type: expect_column_values_to_be_between, kwargs: {column: a}}]",
         r"invalid kwargs.*min_value and max_value cannot both be None"),
        ("expectations: [{type: expect_column_values_to_be_in_set, kwargs: {column: a, value_set: 3}}]",
         r"invalid kwargs.*value_set"),
        ("expectations: [{type: expect_column_values_to_not_be_null, kwargs: {column: a, severity: warning}}]",
         r"cannot go in `kwargs`"),
        ("expectations: [{type: expect_column_values_to_not_be_null, kwargs: {column: a}, severity: fatal}]",
         r"severity must be one of"),
        ("expectations: [{type: expect_column_values_to_be_unique, kwargs: {column: a}, scope: batch}]",
         r"needs the whole relation"),
        ("expectations: [{type: expect_column_values_to_not_be_null, kwargs: {column: a}, colour: red}]",
         r"unknown key\(s\) \['colour'\]"),
        ("expectations: [{type: unexpected_rows_expectation, kwargs: {unexpected_rows_query: 'select 1'}}]",
         r"not supported by the runner"),
        ("expectations: []", r"non-empty list"),
        ("expectations:\n  - {type: expect_table_row_count_to_equal, kwargs: {value: 1}, name: x}\n"
         "  - {type: expect_table_row_count_to_equal, kwargs: {value: 2}, name: x}", r"used twice"),
    ],
)
def test_suite_file_errors(tmp_path, body, message):
    path = write(tmp_path, f"name: bad\ntable: main.t\n{body}\n")
    with pytest.raises(SuiteFileError, match=message) as err:
        load_suite(path)
    assert str(path) in str(err.value)
    assert "expectations[" in str(err.value) or "expectations`" in str(err.value)


def test_suite_level_errors(tmp_path):
    with pytest.raises(SuiteFileError, match="`table`"):
        load_suite(write(tmp_path, "name: x\nexpectations: [{type: expect_table_row_count_to_equal}]\n"))
    with pytest.raises(SuiteFileError, match=r"unknown key\(s\) \['tabel'\]"):
        load_suite(write(tmp_path, "name: x\ntabel: t\nexpectations: []\n"))
    with pytest.raises(SuiteFileError, match="cannot read suite file"):
        load_suite(write(tmp_path, "name: [unclosed\n"))
    d = tmp_path / "dir"
    d.mkdir()
    body = "table: t\nexpectations: [{type: expect_table_row_count_to_equal, kwargs: {value: 1}}]\n"
    (d / "a.yml").write_text("name: same\n" + body)
    (d / "b.yaml").write_text("name: same\n" + body)
    (d / "_draft.yml").write_text("not: loaded\n")
    with pytest.raises(SuiteFileError, match="already used"):
        load_suites(d)
    (d / "b.yaml").unlink()
    assert list(load_suites(d)) == ["same"]
    assert load_suite(d / "a.yml", check_types=False).expectations[0].scope == "table"


# --------------------------------------------------------------------------------------------------------------
# Data Docs, offline


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to open a non-local socket."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("/"):
            raise AssertionError(f"network access attempted: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(AssertionError(a)))


def test_data_docs(con, suites, failures, tmp_path, no_network, caplog):
    ok = R.validate(con, suites["staffing_ok"])
    out = tmp_path / "quality_docs"
    out.mkdir()
    (out / "keep.txt").write_text("not ours")
    index = R.build_data_docs([ok, failures], out, run_id="run-42")
    assert index == out / "index.html" and index.exists()
    assert (out / "summary.html").exists() and (out / "keep.txt").exists()
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert "expectations/staffing_ok.html" in pages and "expectations/staffing_failures.html" in pages
    val_pages = [p for p in pages if p.startswith("validations/staffing_failures/run-42/")]
    assert len(val_pages) == 1
    text = (out / val_pages[0]).read_text(encoding="utf-8")
    assert "main.fct_staffing_bad" in text and "station_phone" in text
    assert "amazonaws.com" not in text  # logo served from the site's own static/ dir
    idx = index.read_text(encoding="utf-8")
    assert "gx-offline-links" in idx and val_pages[0] in idx
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "http" not in summary and "<script" not in summary  # self-contained
    assert "units_exist_in_reference" in summary and "12A45" in summary

    gx_errors = [r.getMessage()[:300] for r in caplog.records if r.levelname == "ERROR"]
    assert not gx_errors, gx_errors  # GX logs (and skips) renderer failures instead of raising

    # a rebuild replaces the previous site (last validation only)
    index = R.build_data_docs([ok], out, run_id="run-43")
    pages = [p.relative_to(out).as_posix() for p in out.rglob("*.html")]
    assert not any("staffing_failures" in p for p in pages)
    assert (out / "keep.txt").exists()


def test_validation_is_offline(con, suites, no_network):
    res = R.validate(con, suites["staffing_ok"], batch_rows=1_000)
    assert res.success
