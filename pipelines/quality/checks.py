"""The quality gate: GX suites (expectations/*.yml) run as Dagster asset checks on the assets they guard.

* `submission_batch_gate` guards raw.submission_rows before dbt builds the facts: it validates the rows of
  accepted files that have not passed yet (what this run ingested; a failed batch stays pending, so it keeps
  blocking until it is fixed or superseded by a resubmission) and never re-validates passed history.
* `warehouse_gate` validates every other suite in one step after dbt (one GX session, one Data Docs build).
  Suites with an `incremental_key` (the incremental facts) carry over the row-level and uniqueness verdicts of
  the file groups that passed before (audit.quality_validated_keys; voided by a full dbt build), so a refresh that
  adds one file reads that file's rows for the row-level rules, and for uniqueness only the rows sharing a key
  value with them, not the whole history; row-count and query rules still read the whole table.

GX itself runs in a worker process (gx_worker.py) that the refresh starts first thing, so that importing GX (5-7 s)
overlaps the rest of the start-up instead of delaying the gate; this module never imports GX.

A suite's check fails with ERROR severity (blocking: reports and publishing do not run) when an error-severity
expectation fails, and with WARN severity (reported, not blocking) when only warn-severity ones fail.
Every outcome is appended to audit.quality_results.
"""

import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    asset_check,
    multi_asset_check,
)

from pipelines import paths, warehouse
from pipelines.quality import gx_runner, gx_worker
from pipelines.transform.project import MANIFEST_PATH

BATCH_SUITE = "submission_batch"
SAMPLE_ROWS = 10
# This run's batch result, so the warehouse gate's Data Docs show every suite of the run (in-process executor).
_RUN_RESULTS: dict[str, list[gx_runner.SuiteResult]] = {}


def _suites() -> dict[str, gx_runner.SuiteSpec]:
    # Expectation types are checked against GX by the worker that validates them (GX is not imported here).
    return gx_runner.load_suites(paths.expectations_dir(), check_types=False)


def _dbt_relations() -> set[str]:
    """schema.table of every dbt model in the manifest (suites for models not built yet are not registered)."""
    manifest = json.loads(Path(MANIFEST_PATH).read_text(encoding="utf-8"))
    return {f"{n['schema']}.{n['name']}" for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def _key(table: str) -> AssetKey:
    return AssetKey(table.split("."))


def _check_name(suite: str) -> str:
    return f"gx_{suite}"


def _store(results: list[gx_runner.SuiteResult], run_id: str) -> None:
    """Append the outcomes to audit.quality_results (history for analysts); remember the keys whose rows passed
    the row-level and uniqueness rules of incremental suites."""
    records = [{**record, "expectation_name": outcome.name}
               for res in results for record, outcome in zip(res.to_records(run_id), res.results)]
    with warehouse.connect() as con:
        if any(r.rules_checksum for r in results):
            gx_runner.record_validated_keys(con, results, run_id)
        if not records:
            return
        table = pa.Table.from_pylist(records)
        con.execute(gx_runner.QUALITY_RESULTS_DDL)
        con.execute("alter table audit.quality_results add column if not exists expectation_name varchar")
        con.register("_quality_records", table)
        try:
            con.execute("insert into audit.quality_results by name select * from _quality_records")
        finally:
            con.unregister("_quality_records")


def _check_result(result: gx_runner.SuiteResult, docs: Path | None) -> AssetCheckResult:
    failed = [o for o in result.results if not o.success]
    errors = [o for o in failed if o.severity == "error"]
    severity = AssetCheckSeverity.ERROR if errors else AssetCheckSeverity.WARN
    details = [
        {
            "expectation": o.name,
            "severity": o.severity,
            "description": o.description,
            "observed_value": o.observed_value,
            "unexpected_count": o.unexpected_count,
            "sample": (o.sample or [])[:SAMPLE_ROWS],
            "exception": o.exception,
        }
        for o in failed
    ]
    metadata = {
        "suite": result.suite if hasattr(result, "suite") else "",
        "rows_validated": MetadataValue.int(result.rows_validated),
        "rows_carried_over": MetadataValue.int(result.rows_carried_over),
        "batches": MetadataValue.int(result.batches),
        "expectations": MetadataValue.int(len(result.results)),
        "failed_errors": MetadataValue.int(len(errors)),
        "failed_warnings": MetadataValue.int(len(failed) - len(errors)),
        "seconds": MetadataValue.float(round(result.seconds, 3)),
        "failed_expectations": MetadataValue.json(json.loads(json.dumps(details, default=str))),
    }
    if docs is not None:
        metadata["data_docs"] = MetadataValue.path(str(docs))
    if failed:
        metadata["summary"] = MetadataValue.md(
            "\n".join(f"- **{o.name}** ({o.severity}): {o.description or ''} observed `{o.observed_value}`, "
                      f"unexpected {o.unexpected_count}" for o in failed))
    return AssetCheckResult(passed=not failed, severity=severity, metadata=metadata)


@asset_check(
    asset=AssetKey(["raw", "submission_rows"]),
    name=_check_name(BATCH_SUITE),
    blocking=True,
    description="GX suite expectations/submission_batch.yml on the submission rows not yet validated "
                "(this run's batch): contract columns, types, plausible counts, heads <= 1, officers >= heads + "
                "deputies, investigators <= officers, codes in the period's map with the right type, no unit "
                "twice in a file. Blocks the facts, reports and publishing when it fails.",
)
def submission_batch_gate(context: AssetCheckExecutionContext) -> AssetCheckResult:
    suite = _suites()[BATCH_SUITE]
    with warehouse.connect(read_only=True) as con:
        pending = con.execute(
            "select list(file_id) from audit.submission_files "
            "where status = 'accepted' and quality_status is distinct from 'passed'").fetchall()[0][0] or []
    (result,), docs = gx_worker.validate_suites(paths.build_db(), [suite.path], docs_dir=paths.quality_docs_dir(),
                                                run_id=context.run.run_id)
    _store([result], context.run.run_id)
    checked_at = datetime.now(timezone.utc)
    with warehouse.connect() as con:
        con.execute("update audit.submission_files set quality_status = ?, quality_checked_at = ? "
                    "where list_contains(?, file_id)",
                    ["passed" if result.success else "failed", checked_at, pending])
    _RUN_RESULTS[context.run.run_id] = [result]
    context.log.info("submission batch: %s files, %s rows, success=%s", len(pending), result.rows_validated,
                     result.success)
    check = _check_result(result, docs)
    check.metadata["files_validated"] = MetadataValue.int(len(pending))
    return check


def _warehouse_suites() -> list[gx_runner.SuiteSpec]:
    relations = _dbt_relations()
    return [s for name, s in sorted(_suites().items()) if name != BATCH_SUITE and s.table in relations]


@multi_asset_check(
    specs=[
        AssetCheckSpec(name=_check_name(s.name), asset=_key(s.table), blocking=True,
                       description=f"GX suite expectations/{s.name}.yml: {s.description or ''}".strip())
        for s in _warehouse_suites()
    ],
    name="warehouse_gate",
    description="Runs every GX suite guarding the facts and report marts in one GX session.",
)
def warehouse_gate(context: AssetCheckExecutionContext):
    suites = _warehouse_suites()
    results, docs = gx_worker.validate_suites(
        paths.build_db(), [suite.path for suite in suites], docs_dir=paths.quality_docs_dir(),
        run_id=context.run.run_id, earlier_results=_RUN_RESULTS.pop(context.run.run_id, []), incremental=True)
    _store(results, context.run.run_id)
    for suite, result in zip(suites, results):
        check = _check_result(result, docs)
        yield AssetCheckResult(asset_key=_key(suite.table), check_name=_check_name(suite.name),
                               passed=check.passed, severity=check.severity, metadata=check.metadata)
