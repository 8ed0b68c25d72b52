"""The published warehouse: atomic swap, readable by a separate read-only connection, releases and rollback."""

import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_published_file_opens_read_only(sample_run) -> None:
    con = duckdb.connect(str(sample_run.published), read_only=True)
    try:
        assert con.execute("select count(*) from ref.dim_province").fetchall()[0][0] == 97
        (release_id, run_id) = con.execute("select release_id, run_id from meta.release").fetchall()[0]
        assert release_id and run_id
    finally:
        con.close()


def test_cli_prints_where_outputs_are(sample_run) -> None:
    assert str(sample_run.published) in sample_run.stdout
    assert "refresh succeeded" in sample_run.stdout
    assert (sample_run.data_dir / "reports" / "index.html").exists()
    assert (sample_run.data_dir / "reports" / "v2025_34" / "national.html").exists()


def test_releases_listed_and_rollback_restores_previous(sample_run, tmp_path) -> None:
    from pipelines.publish import release

    env_dir = sample_run.data_dir
    import os

    old = os.environ.get("WAREHOUSE_DATA_DIR")
    os.environ["WAREHOUSE_DATA_DIR"] = str(env_dir)
    try:
        first = release.current_release_id()
        second = release.publish()
        assert release.current_release_id() == second.release_id != first
        out = subprocess.run([sys.executable, "-m", "pipelines.cli", "releases"], cwd=REPO, capture_output=True,
                             text=True, env={**os.environ}, check=True).stdout
        assert f"{second.release_id}  (published)" in out
        release.rollback()
        assert release.current_release_id() == first
    finally:
        if old is None:
            os.environ.pop("WAREHOUSE_DATA_DIR", None)
        else:
            os.environ["WAREHOUSE_DATA_DIR"] = old
