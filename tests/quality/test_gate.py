"""The quality gate end to end: a clean run passes every suite; injected bad data fails the right expectation,
the run fails naming it, and the published warehouse and the reports stay byte-identical."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import PipelineRun, run_refresh

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def gx_results(run_dir: Path, run_id: str | None = None) -> list[tuple]:
    con = duckdb.connect(str(run_dir / "build" / "warehouse.duckdb"), read_only=True)
    try:
        sql = "select suite, expectation_name, success from audit.quality_results"
        if run_id:
            return con.execute(sql + " where run_id = ?", [run_id]).fetchall()
        return con.execute(sql).fetchall()
    finally:
        con.close()


def run_id_of(run: PipelineRun) -> str:
    return next(line.split()[-1] for line in run.stdout.splitlines() if line.startswith("run id:"))


@pytest.fixture()
def gated_copy(sample_run, tmp_path) -> PipelineRun:
    """A private copy of the sample run's data dir (published file, reports, build db, Dagster home)."""
    data = tmp_path / "data"
    shutil.copytree(sample_run.data_dir, data)
    (data / "dagster_home" / "dagster.yaml").unlink(missing_ok=True)
    return PipelineRun(data, sample_run.raw_inputs, 0, "", "")


def test_clean_run_passes_every_suite(sample_run) -> None:
    results = gx_results(sample_run.data_dir, run_id_of(sample_run))
    suites = {r[0] for r in results}
    assert {"submission_batch", "fct_staffing_snapshot", "fct_facility_status", "mart_province_staffing",
            "mart_facility_summary", "mart_submission_completeness"} <= suites
    failed_errors = [r for r in results if not r[2] and r[1] != "expect_column_mean_to_be_between__actual_reports"]
    assert failed_errors == []
    assert (sample_run.data_dir / "quality_docs" / "index.html").exists()
    # the published copy carries the quality history for analysts
    assert sample_run.query("select count(*) from audit.quality_results")[0][0] >= len(results)


# (suite expectation that must fail, SQL that injects the bad data into the build database)
BATCH_CASES = {
    "negative_count": ("expect_column_values_to_be_between__regular_officers",
                       "update raw.submission_rows set regular_officers = -3 where rowid = (select min(rowid) from raw.submission_rows)"),
    "two_heads": ("expect_column_values_to_be_in_set__heads",
                  "update raw.submission_rows set heads = 2 where rowid = (select min(rowid) from raw.submission_rows)"),
    "officers_below_heads_and_deputies": (
        "officers_cover_heads_and_deputies",
        "update raw.submission_rows set regular_officers = 1, semi_professional_officers = null, heads = 1, "
        "deputies = 3, investigators = 0 where rowid = (select min(rowid) from raw.submission_rows)"),
    "investigators_above_officers": (
        "expect_column_pair_values_a_to_be_greater_than_b__regular_officers__investigators",
        "update raw.submission_rows set investigators = regular_officers + 5 "
        "where rowid = (select min(rowid) from raw.submission_rows)"),
    "unknown_code": ("unit_exists_in_period_map",
                     "update raw.submission_rows set unit_code = '99999' where rowid = (select min(rowid) from raw.submission_rows)"),
    "type_mismatch": ("unit_type_matches_reference",
                      "update raw.submission_rows set unit_type = case unit_type when 'xã' then 'phường' else 'xã' end "
                      "where rowid = (select min(rowid) from raw.submission_rows)"),
    "duplicated_unit": ("expect_compound_columns_to_be_unique__file_id__unit_code",
                        "insert into raw.submission_rows select * from raw.submission_rows "
                        "where rowid = (select min(rowid) from raw.submission_rows)"),
    "bad_hq_status": ("expect_column_values_to_be_in_set__hq_status",
                      "update raw.submission_rows set hq_status = 'tam_muon' where rowid = (select min(rowid) from raw.submission_rows)"),
    "bad_code_format": ("expect_column_values_to_match_regex__unit_code",
                        "update raw.submission_rows set unit_code = '1234' where rowid = (select min(rowid) from raw.submission_rows)"),
}


@pytest.mark.parametrize("case", sorted(BATCH_CASES))
def test_bad_submission_rows_fail_the_batch_gate_and_nothing_is_published(gated_copy, case) -> None:
    expectation, sql = BATCH_CASES[case]
    build = gated_copy.build
    con = duckdb.connect(str(build))
    try:
        # the injected row belongs to an accepted file that now counts as not yet validated
        con.execute(sql)
        con.execute("update audit.submission_files set quality_status = null where file_id = "
                    "(select file_id from raw.submission_rows where rowid = (select min(rowid) from raw.submission_rows))")
    finally:
        con.close()
    published_before = hashlib.sha256(gated_copy.published.read_bytes()).hexdigest()
    reports_before = tree_digest(gated_copy.data_dir / "reports")
    run = run_refresh(gated_copy.data_dir, gated_copy.raw_inputs)
    assert run.returncode != 0
    assert "gx_submission_batch" in run.stderr
    failed = {(s, e) for s, e, ok in gx_results(gated_copy.data_dir, run_id_of(run)) if not ok}
    assert ("submission_batch", expectation) in failed, failed
    assert hashlib.sha256(gated_copy.published.read_bytes()).hexdigest() == published_before
    assert tree_digest(gated_copy.data_dir / "reports") == reports_before


# Mart rules: the marts are rebuilt from the facts every run, so the bad data is injected by tightening the
# suite instead (a copy of expectations/ with one rule the sample's real figures violate).
MART_CASES = {
    "percent_out_of_range": ("mart_province_staffing", "expect_column_values_to_be_between__coverage_pct",
                             {"column": "coverage_pct", "min_value": 0, "max_value": 1}),
    "facility_counts": ("mart_facility_summary", "expect_column_values_to_be_between__pct_independent",
                        {"column": "pct_independent", "min_value": 0, "max_value": 1}),
    "facts_keys": ("fct_staffing_snapshot", "expect_column_values_to_be_between__regular_officers",
                   {"column": "regular_officers", "min_value": 0, "max_value": 1}),
}


@pytest.mark.parametrize("case", sorted(MART_CASES))
def test_failed_mart_suite_blocks_reports_and_publish(gated_copy, tmp_path, case) -> None:
    suite, expectation, kwargs = MART_CASES[case]
    strict = tmp_path / "expectations"
    shutil.copytree(REPO / "expectations", strict)
    spec = yaml.safe_load((strict / f"{suite}.yml").read_text(encoding="utf-8"))
    for entry in spec["expectations"]:
        if entry.get("kwargs", {}).get("column") == kwargs["column"] and entry["type"].endswith("to_be_between"):
            entry["kwargs"] = kwargs
            entry["severity"] = "error"
    (strict / f"{suite}.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    published_before = hashlib.sha256(gated_copy.published.read_bytes()).hexdigest()
    reports_before = tree_digest(gated_copy.data_dir / "reports")
    run = run_refresh(gated_copy.data_dir, gated_copy.raw_inputs,
                      extra_env={"WAREHOUSE_EXPECTATIONS_DIR": str(strict)})
    assert run.returncode != 0
    assert f"gx_{suite}" in run.stderr
    failed = {(s, e) for s, e, ok in gx_results(gated_copy.data_dir, run_id_of(run)) if not ok}
    assert (suite, expectation) in failed, failed
    assert hashlib.sha256(gated_copy.published.read_bytes()).hexdigest() == published_before
    assert tree_digest(gated_copy.data_dir / "reports") == reports_before
