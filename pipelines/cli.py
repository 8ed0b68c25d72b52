"""Command line: `python -m pipelines.cli refresh | rollback [RELEASE] | releases`.

`refresh` runs the `refresh` job once against the persistent Dagster instance under data/dagster_home
(SQLite by default), so the run shows up in the UI like any other, then prints where the outputs are.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from pipelines import paths

# A full disk shows up differently depending on who hit it first: DuckDB and Python say ENOSPC, Dagster's SQLite
# run storage says "database or disk is full" or only "disk I/O error"; so the free space is looked at too.
NO_SPACE_SIGNS = ("No space left on device", "database or disk is full")
LOW_SPACE_BYTES = 16 * 1024 * 1024


def _instance():
    from dagster import DagsterInstance

    paths.ensure_dirs()
    os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home()))
    paths.ensure_instance_config()
    return DagsterInstance.get()


def refresh() -> int:
    """Run the whole refresh once; non-zero exit when any step or blocking check failed."""
    from pipelines.quality import gx_worker

    gx_worker.prestart()  # GX imports in its own process while this one imports Dagster and ingests
    from pipelines.definitions import defs

    from pipelines import runs

    instance = _instance()
    for run_id in runs.fail_dead_runs(instance):
        print(f"marked run {run_id} failed: its process was gone (killed or crashed) while it was STARTED",
              file=sys.stderr)
    try:
        result = defs.get_job_def("refresh").execute_in_process(instance=instance, raise_on_error=False)
    except Exception as exc:  # Dagster itself failed (e.g. its run storage could not write): say why, plainly
        print(f"refresh FAILED: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
              file=sys.stderr)
        _explain_failure(repr(exc) + repr(exc.__cause__))
        print("the published warehouse was left as it was", file=sys.stderr)
        return 1
    failed_checks = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.asset_check_evaluation_data.passed
    ]
    for check in failed_checks:
        label = "check failed" if check.severity.value == "ERROR" else "check warning"
        print(f"{label}: {check.asset_key.to_user_string()} / {check.check_name} "
              f"({check.severity.value})", file=sys.stderr)
    print(f"run id:              {result.run_id}")
    print(f"build database:      {paths.build_db()}")
    print(f"published warehouse: {paths.published_db()}")
    print(f"reports:             {paths.reports_dir()}")
    print(f"quality docs:        {paths.quality_docs_dir() / 'index.html'}")
    if not result.success:
        errors = []
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE" and event.step_failure_data.error is not None:
                error = event.step_failure_data.error
                cause = error.cause or error
                errors.append(cause.message)
                print(f"step {event.step_key} failed: {cause.message.strip().splitlines()[0]}", file=sys.stderr)
        _explain_failure("\n".join(errors))
        print("refresh FAILED: the published warehouse was left as it was", file=sys.stderr)
        return 1
    print("refresh succeeded")
    return 0


def _explain_failure(error_text: str) -> None:
    """Name a full disk when that is what the failure looks like (the raw errors differ by who hit it first)."""
    try:
        usage = shutil.disk_usage(paths.data_dir())
    except OSError:
        return
    if usage.free < LOW_SPACE_BYTES or any(sign in error_text for sign in NO_SPACE_SIGNS):
        print(f"No space left on device: the disk holding {paths.data_dir()} has {usage.free // 1024 ** 2} MB free "
              f"of {usage.total // 1024 ** 2} MB; free some space and run the refresh again", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("refresh", help="run the whole refresh once")
    rb = sub.add_parser("rollback", help="publish an earlier release again (default: the previous one)")
    rb.add_argument("release", nargs="?", help="release id, as listed by `releases`")
    sub.add_parser("releases", help="list the kept releases, newest first")
    sub.add_parser("init", help="create the data folders and the Dagster instance config (dagster.yaml)")
    args = parser.parse_args(argv)

    if args.command == "refresh":
        return refresh()
    if args.command == "init":
        paths.ensure_dirs()
        print(paths.ensure_instance_config())
        return 0
    from pipelines.publish import release

    if args.command == "releases":
        current = release.current_release_id()
        for path in release.list_releases():
            rid = path.stem.removeprefix("warehouse-")
            print(f"{rid}{'  (published)' if rid == current else ''}")
        return 0
    target = release.rollback(args.release)
    print(f"published {target.name} -> {paths.published_db()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
