"""`python -m pipelines.docs` (make docs): dbt docs of the build database into data/dbt_docs/, served offline,
without touching the dbt manifest the Dagster definitions load."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO

DAGSTER_MANIFEST = REPO / "dbt_project" / "target" / "manifest.json"
EXTERNAL_ASSET = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//", re.I)


def docs_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "WAREHOUSE_DATA_DIR": str(data_dir)}


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def published_columns(published: Path, schema: str, table: str) -> list[str]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position", [schema, table]).fetchall()]
    finally:
        con.close()


def test_without_a_build_database_it_says_to_run_make_run(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pipelines.docs"], cwd=REPO, env=docs_env(tmp_path / "data"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "make run" in proc.stderr and "build" in proc.stderr
    assert not (tmp_path / "data" / "dbt_docs").exists()


@pytest.mark.slow
def test_docs_generate_into_data_dir(sample_run) -> None:
    manifest_before = digest(DAGSTER_MANIFEST)
    proc = subprocess.run([sys.executable, "-m", "pipelines.docs"], cwd=REPO, env=docs_env(sample_run.data_dir),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = sample_run.data_dir / "dbt_docs"
    index = out / "index.html"
    assert str(index) in proc.stdout  # the path is printed
    for name in ("index.html", "static_index.html", "catalog.json", "manifest.json"):
        assert (out / name).is_file(), name

    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    nodes = {(n["metadata"]["schema"], n["metadata"]["name"]): n for n in catalog["nodes"].values()}
    fct = nodes[("marts", "fct_staffing_snapshot")]
    expected = published_columns(sample_run.published, "marts", "fct_staffing_snapshot")
    assert {"snapshot_id", "period", "map_version", "commune_sk", "regular_officers"} <= set(expected)
    assert {c.lower() for c in fct["columns"]} == set(expected)
    assert ("marts", "mart_province_staffing") in nodes and ("ref", "dim_commune") in nodes

    # the column descriptions of the model YAML are in the manifest the docs site reads
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    model = manifest["nodes"]["model.commune_police_warehouse.fct_staffing_snapshot"]
    assert model["columns"]["regular_officers"]["description"]

    # offline: no script, stylesheet or image from another host; the static page inlines manifest and catalog
    html = index.read_text(encoding="utf-8")
    assert not EXTERNAL_ASSET.search(html)
    static = (out / "static_index.html").read_text(encoding="utf-8")
    assert not EXTERNAL_ASSET.search(static)
    assert "fct_staffing_snapshot" in static

    # its own target path: the manifest the Dagster definitions load is left alone
    assert digest(DAGSTER_MANIFEST) == manifest_before
    assert not (REPO / "dbt_project" / "target" / "catalog.json").exists()


@pytest.mark.slow
def test_docs_serve_on_localhost(sample_run) -> None:
    proc = subprocess.Popen([sys.executable, "-u", "-m", "pipelines.docs", "--serve", "0"], cwd=REPO,
                            env=docs_env(sample_run.data_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        url = None
        deadline = time.monotonic() + 300
        lines = []
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"serving dbt docs on (http://127\.0\.0\.1:\d+/)", line)
            url = match.group(1) if match else None
        assert url, "".join(lines)[-3000:]
        with urllib.request.urlopen(url + "index.html", timeout=30) as resp:
            assert resp.status == 200 and b"<html" in resp.read(4096).lower()
        with urllib.request.urlopen(url + "catalog.json", timeout=30) as resp:
            assert "model.commune_police_warehouse.fct_staffing_snapshot" in json.load(resp)["nodes"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
