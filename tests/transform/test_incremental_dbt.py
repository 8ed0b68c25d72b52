"""dbt builds only what changed (pipelines/transform/changes.py): the plan on a real build database, and a real
refresh sequence - full, one new province file, nothing new - whose marts equal those of a full rebuild."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.transform import changes
from tests.conftest import REPO, copy_sample_inputs, run_refresh

MANIFEST = REPO / "dbt_project" / "target" / "manifest.json"
PROJECT_DIR = REPO / "dbt_project"


@pytest.fixture()
def build_copy(sample_run, tmp_path) -> Path:
    """A private copy of the sample run's build database (its last dbt build succeeded and was recorded)."""
    dest = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_run.build, dest)
    return dest


def _names(manifest, predicate) -> set[str]:
    return {n["name"] for n in manifest["nodes"].values() if predicate(n)}


def test_nothing_changed_builds_nothing(build_copy) -> None:
    manifest = changes.load_manifest(MANIFEST)
    with duckdb.connect(str(build_copy)) as con:
        plan = changes.plan_build(con, manifest, PROJECT_DIR)
    assert plan.changed_sources == []
    assert plan.builds_nothing
    models = [uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    assert sorted(plan.unchanged_models) == sorted(models)
    # parents before children, as Dagster requires of a multi-asset's outputs
    order = {uid: i for i, uid in enumerate(plan.unchanged_models)}
    for uid in plan.unchanged_models:
        for parent in manifest["nodes"][uid]["depends_on"]["nodes"]:
            if parent in order:
                assert order[parent] < order[uid], (parent, uid)


def test_a_changed_news_source_rebuilds_only_what_reads_it(build_copy) -> None:
    manifest = changes.load_manifest(MANIFEST)
    with duckdb.connect(str(build_copy)) as con:
        con.execute("delete from raw.news_claims where claim_id = (select min(claim_id) from raw.news_claims)")
        plan = changes.plan_build(con, manifest, PROJECT_DIR)
    assert [s.rsplit(".", 2)[-2:] for s in plan.changed_sources] == [["raw_news", "news_claims"]]
    excluded = set(plan.exclude)
    # rebuilt: everything downstream of raw.news_claims, with the tests on it
    for name in ("stg_news_claims", "fct_news_claim", "mart_claim_reconciliation"):
        assert name not in excluded
    rebuilt_tests = _names(manifest, lambda n: n["resource_type"] == "test" and "fct_news_claim" in n["name"])
    assert rebuilt_tests and not rebuilt_tests & excluded
    # left as they are: the admin reference, the submissions facts, the staged articles
    for name in ("dim_commune", "bridge_commune_2025", "fct_staffing_snapshot", "mart_province_staffing",
                 "stg_news_articles"):
        assert name in excluded
    assert not plan.builds_everything and not plan.builds_nothing


def test_project_change_missing_table_or_no_state_build_everything(build_copy, tmp_path) -> None:
    manifest = changes.load_manifest(MANIFEST)
    edited = copy.deepcopy(manifest)
    uid = next(u for u, n in edited["nodes"].items() if n["name"] == "dim_province")
    edited["nodes"][uid]["checksum"] = {"name": "sha256", "checksum": "edited"}
    with duckdb.connect(str(build_copy)) as con:
        plan = changes.plan_build(con, edited, PROJECT_DIR)
        assert plan.builds_everything and "project changed" in plan.reason

        con.execute("drop table marts.mart_facility_summary")
        plan = changes.plan_build(con, manifest, PROJECT_DIR)
        assert plan.builds_everything and "missing" in plan.reason

        con.execute(f"delete from {changes.STATE_TABLE}")
        plan = changes.plan_build(con, manifest, PROJECT_DIR)
        assert plan.builds_everything and "no earlier successful build" in plan.reason


def test_fingerprint_sees_a_changed_value_and_cancelling_duplicates(tmp_path) -> None:
    manifest = {"sources": {"source.p.s.t": {"schema": "main", "identifier": "t"}}}
    with duckdb.connect(str(tmp_path / "f.duckdb")) as con:
        con.execute("create table t as select range as id, 'x' as v from range(1000)")
        first = changes.source_fingerprints(con, manifest)
        con.execute("update t set v = 'y' where id = 500")
        second = changes.source_fingerprints(con, manifest)
        con.execute("update t set v = 'x' where id = 500")
        con.execute("insert into t select id, v from t where id in (1, 1)")  # one duplicated row
        third = changes.source_fingerprints(con, manifest)
        con.execute("insert into t select id, v from t where id = 1")  # two copies now: the XOR cancels
        fourth = changes.source_fingerprints(con, manifest)
    assert len({first["source.p.s.t"], second["source.p.s.t"], third["source.p.s.t"],
                fourth["source.p.s.t"]}) == 4
    assert changes.source_fingerprints(duckdb.connect(), manifest) == {"source.p.s.t": "missing"}


MART_TABLES = ["marts.fct_staffing_snapshot", "marts.fct_facility_status", "marts.mart_province_staffing", "marts.mart_facility_summary",
               "marts.mart_submission_completeness", "marts.mart_staffing_outliers", "marts.fct_news_claim",
               "marts.mart_claim_reconciliation", "ref.dim_commune", "ref.bridge_commune_2025"]


def _contents(db: Path) -> dict[str, list]:
    """Every table's rows, without the columns that say when a file arrived (`*_at`: a scratch run receives the
    same files later)."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in MART_TABLES:
            cols = ", ".join('"' + c + '"' for c, *_ in con.execute(f"describe {table}").fetchall()
                             if not c.endswith("_at"))
            out[table] = con.execute(f"select {cols} from {table} order by all").fetchall()
    return out


def _dbt_results(data_dir: Path) -> tuple[int, float]:
    path = data_dir / "build" / "dbt_target" / "run_results.json"
    return len(json.loads(path.read_text())["results"]), path.stat().st_mtime


@pytest.mark.slow
def test_incremental_refresh_equals_a_full_rebuild(tmp_path) -> None:
    raw = copy_sample_inputs(tmp_path / "raw_inputs")
    data = tmp_path / "data"
    first = run_refresh(data, raw)
    assert first.returncode == 0, first.stderr[-3000:]
    total_nodes, _ = _dbt_results(data)
    manifest = changes.load_manifest(MANIFEST)
    assert total_nodes == sum(n["resource_type"] in ("model", "test") for n in manifest["nodes"].values())

    # one new province file for a new month (the 2025 map: province 04 = Cao Bằng)
    subprocess.run([sys.executable, "-m", "pipelines.submissions.generate", "--from", "2026-11", "--to", "2026-11",
                    "--provinces", "04", "--out", str(raw / "submissions"), "--seed", "3", "--missing-rate", "0",
                    "--resubmit-rate", "0", "--xlsx-share", "0"], check=True, cwd=REPO, capture_output=True)
    # and a corrected version of a file loaded in the first run: it supersedes the rows of the first version
    first_version = raw / "submissions" / "34_2025-05.csv"
    lines = first_version.read_bytes().split(b"\n")
    row = next(i for i, line in enumerate(lines) if line.startswith(b"1,"))
    fields = lines[row].split(b",")
    fields[2] = str(int(fields[2]) + 7).encode()  # "Công an chính quy" of unit 1
    lines[row] = b",".join(fields)
    (raw / "submissions" / "34_2025-05_v2.csv").write_bytes(b"\n".join(lines))
    corrected_unit = fields[8].decode()
    second = run_refresh(data, raw)
    assert second.returncode == 0, second.stderr[-3000:]
    built, _ = _dbt_results(data)
    assert 0 < built < total_nodes  # only what reads the submissions
    assert "incremental build: changed sources" in second.stderr
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.mart_province_staffing where period = '2026-11'"
                           ).fetchone()[0] == 1
        rows = con.execute("select regular_officers, source_file_name from marts.fct_staffing_snapshot "
                           "where period = '2025-05' and province_code = '34' and unit_code = ?",
                           [corrected_unit]).fetchall()
        assert rows == [(int(fields[2]), "34_2025-05_v2.csv")]
        # the warehouse gate read only the new files' rows for the facts' row-level rules, and still judged the
        # whole table: its counts are the table's, and the keys of every current file are recorded as passed
        facts = con.execute("select count(*) from marts.fct_staffing_snapshot").fetchone()[0]
        element = con.execute(
            "select element_count from audit.quality_results where suite = 'fct_staffing_snapshot' "
            "and expectation = 'expect_column_values_to_not_be_null' order by validated_at desc limit 1").fetchone()
        assert element == (facts,)
        current = {str(f) for (f,) in con.execute(
            "select distinct source_file_id from marts.fct_staffing_snapshot").fetchall()}
        passed = {k for (k,) in con.execute("select key_value from audit.quality_validated_keys "
                                            "where suite = 'fct_staffing_snapshot'").fetchall()}
        assert current <= passed

    # the outliers were recomputed for the provinces whose files changed only (04 in the 2025 map, 34 legacy)
    executed = next((data / "build" / "dbt_target" / "compiled").rglob("mart_staffing_outliers.sql")).read_text()
    assert "mart_staffing_outliers__inputs" in executed and "province_code) in (" in executed
    with duckdb.connect(str(data / "build" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "select count(*) from (select map_version, province_code, source_file_id, count(*) "
            "from marts.fct_staffing_snapshot group by all "
            "except select * from staging.mart_staffing_outliers__inputs)").fetchone()[0] == 0

    results_written = _dbt_results(data)[1]
    third = run_refresh(data, raw)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "(dbt is not run)" in third.stderr
    assert _dbt_results(data)[1] == results_written

    # the same inputs built from scratch give the same marts
    scratch = run_refresh(tmp_path / "scratch", raw)
    assert scratch.returncode == 0, scratch.stderr[-3000:]
    assert _contents(data / "warehouse.duckdb") == _contents(tmp_path / "scratch" / "warehouse.duckdb")


def test_dbt_resource_overrides_still_apply() -> None:
    """WarehouseDbtCliResource replaces two private hooks of dagster-dbt (a `dbt --version` subprocess and an
    in-process adapter, 7 s per dbt step): fail loudly if a dagster-dbt upgrade renames them, instead of
    silently paying the cost again."""
    import inspect

    from dagster_dbt import DbtCliResource

    from pipelines.resources import dbt_resource

    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source and "self._initialize_dbt_core_adapter(" in source
    resource = dbt_resource()
    from importlib.metadata import version

    assert str(resource._cli_version) == version("dbt-core")
    assert resource._initialize_dbt_core_adapter(["build"]) is None
