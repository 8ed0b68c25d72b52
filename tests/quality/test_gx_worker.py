"""pipelines.quality.gx_worker: GX in its own process gives the same results as in this one, reports errors with
their traceback, survives its own death, and never holds the database while idle."""

from __future__ import annotations

import os
import signal
import textwrap
from pathlib import Path

import duckdb
import pytest

from pipelines.quality import gx_runner, gx_worker


@pytest.fixture()
def db(tmp_path) -> Path:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select range as id, case when range = 7 then null else range % 5 end as v "
                    "from range(1000)")
    return path


@pytest.fixture()
def suite(tmp_path) -> Path:
    path = tmp_path / "t_suite.yml"
    path.write_text(textwrap.dedent("""\
        name: t_suite
        table: main.t
        expectations:
          - type: expect_column_values_to_not_be_null
            kwargs: {column: v}
          - type: expect_column_values_to_be_between
            kwargs: {column: v, min_value: 0, max_value: 4}
          - type: expect_column_values_to_be_unique
            kwargs: {column: id}
        """), encoding="utf-8")
    return path


def test_worker_results_equal_in_process_results(db, suite, tmp_path) -> None:
    (result,), docs = gx_worker.validate_suites(db, [suite], docs_dir=tmp_path / "docs", run_id="r1")
    with duckdb.connect(str(db), read_only=True) as con:
        local = gx_runner.validate(con, gx_runner.load_suite(suite))
    assert [(o.name, o.success, o.unexpected_count) for o in result.results] == \
           [(o.name, o.success, o.unexpected_count) for o in local.results]
    assert [o.success for o in result.results] == [False, True, True]
    assert result.results[0].unexpected_count == 1 and result.rows_validated == 1000
    assert docs is not None and docs.name == "index.html"
    gx_worker.sync()  # the docs are written after the reply
    assert docs.exists()
    # idle, the worker holds no connection: this process can write the database
    with duckdb.connect(str(db)) as con:
        con.execute("insert into t values (1000, 1)")


def test_an_error_in_the_worker_is_raised_with_its_traceback(db, tmp_path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("name: bad\ntable: main.no_such_table\nexpectations:\n"
                   "  - type: expect_column_values_to_not_be_null\n    kwargs: {column: v}\n", encoding="utf-8")
    with pytest.raises(gx_worker.GxWorkerError, match="no_such_table"):
        gx_worker.validate_suites(db, [bad])
    unknown = tmp_path / "unknown.yml"  # expectation types are checked against GX in the worker
    unknown.write_text("name: unknown\ntable: main.t\nexpectations:\n"
                       "  - type: expect_the_moon\n    kwargs: {column: v}\n", encoding="utf-8")
    with pytest.raises(gx_worker.GxWorkerError, match="expect_the_moon"):
        gx_worker.validate_suites(db, [unknown])


def test_a_dead_worker_is_replaced(db, suite) -> None:
    """Killed between two gates (or before the first), the next call starts a new worker."""
    gx_worker.prestart()
    proc = gx_worker._CLIENT._proc
    assert proc is not None and proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    (result,), _ = gx_worker.validate_suites(db, [suite])
    assert result.rows_validated == 1000
    assert gx_worker._CLIENT._proc.pid != proc.pid


def test_a_worker_dying_during_a_request_raises(db, suite, monkeypatch) -> None:
    """A worker that dies before answering (killed, out of memory) fails the gate with its exit code."""
    gx_worker.shutdown()
    monkeypatch.setattr(gx_worker.sys, "executable", "/bin/false")  # a "worker" that exits at once
    with pytest.raises(gx_worker.GxWorkerError, match=r"exited \(code 1\)"):
        gx_worker.validate_suites(db, [suite])
    monkeypatch.undo()
    (result,), _ = gx_worker.validate_suites(db, [suite])
    assert result.rows_validated == 1000
