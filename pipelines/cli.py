"""Command line: `python -m pipelines.cli refresh | rollback [RELEASE] | releases`.

`refresh` runs the `refresh` job once against the persistent Dagster instance under data/dagster_home
(SQLite by default), so the run shows up in the UI like any other, then prints where the outputs are.
"""

from __future__ import annotations

import argparse
import os
import sys

from pipelines import paths


def _instance():
    from dagster import DagsterInstance

    paths.ensure_dirs()
    os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home()))
    paths.ensure_instance_config()
    return DagsterInstance.get()


def refresh() -> int:
    """Run the whole refresh once; non-zero exit when any step or blocking check failed."""
    from pipelines.definitions import defs

    instance = _instance()
    result = defs.get_job_def("refresh").execute_in_process(instance=instance, raise_on_error=False)
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
        print("refresh FAILED: the published warehouse was left as it was", file=sys.stderr)
        return 1
    print("refresh succeeded")
    return 0


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
