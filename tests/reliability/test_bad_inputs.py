"""Every case of the bad-input catalogue (bad_inputs.py), ingested for real into a fresh DuckDB file.

Per file the audit must hold the expected status and a reason a clerk can act on (naming the row and column where
the problem is one cell), a rejected file must contribute nothing to the loaded tables, and
received = loaded + quarantined must hold for every file. A last test ingests the whole catalogue as ONE batch.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipelines import warehouse
from pipelines.news import ingest as news_ingest
from pipelines.reference import admin_units
from pipelines.submissions import ingest
from tests.reliability.bad_inputs import CASES, VALID_NEWS, VALID_SUBMISSION, Case, Expect, categories

BASE_MTIME = 1_751_000_000  # 2025-06-27


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build database holding the raw reference tables (built once, copied per case)."""
    path = tmp_path_factory.mktemp("reference") / "build.duckdb"
    with warehouse.connect(path) as con:
        warehouse.replace_table(con, "raw.admin_units_legacy", pa.table(admin_units.legacy_units_columns()))
        warehouse.replace_table(con, "raw.admin_units_2025", pa.table(admin_units.current_units_columns()))
    return path


def fresh_db(reference_db: Path, folder: Path) -> duckdb.DuckDBPyConnection:
    path = folder / "build.duckdb"
    shutil.copyfile(reference_db, path)
    return duckdb.connect(str(path))


def submission_audit(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    cur = con.execute("select * from audit.submission_files")
    names = [d[0] for d in cur.description]
    return {row[names.index("file_name")]: dict(zip(names, row)) for row in cur.fetchall()}


def news_audit(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    cur = con.execute("select * from audit.news_files")
    names = [d[0] for d in cur.description]
    return {row[names.index("file_name")]: dict(zip(names, row)) for row in cur.fetchall()}


def assert_submission_accounting(con: duckdb.DuckDBPyConnection) -> None:
    """received = loaded + quarantined per file, and the loaded/quarantined tables agree with the audit."""
    bad = con.execute("""
        select f.file_name, f.status, f.rows_received, f.rows_loaded, f.rows_quarantined, l.n, q.n
        from audit.submission_files f
        left join (select file_id, count(distinct coalesce(sheet, '') || row_number) n
                   from audit.quarantine_rows group by 1) q using (file_id)
        left join (select file_id, count(*) n from raw.submission_rows group by 1) l using (file_id)
        where f.rows_received <> f.rows_loaded + f.rows_quarantined
           or coalesce(q.n, 0) <> f.rows_quarantined or coalesce(l.n, 0) <> f.rows_loaded
           or (f.status = 'rejected' and (f.rows_loaded <> 0 or coalesce(l.n, 0) <> 0))
           or f.reason is null and f.status = 'rejected'
    """).fetchall()
    assert bad == []
    totals = con.execute("select sum(rows_received), sum(rows_loaded), sum(rows_quarantined) "
                         "from audit.ingest_batches").fetchone()
    assert totals[0] == totals[1] + totals[2]


def materialize(case: Case, landing: Path) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    for file in case.files:
        file.materialize(landing, BASE_MTIME)


def check_submission(con: duckdb.DuckDBPyConnection, expect: Expect, audit: dict[str, dict]) -> None:
    if expect.status == "skipped":
        assert expect.name not in audit, f"{expect.name} has the bytes of another file: a no-op, not a new row"
        return
    row = audit[expect.name]
    assert row["status"] == expect.status, (expect.name, row["status"], row["reason"])
    for fragment in expect.reasons:
        assert fragment in (row["reason"] or ""), (expect.name, fragment, row["reason"])
    if expect.loaded is not None:
        assert row["rows_loaded"] == expect.loaded, (expect.name, row)
    if expect.quarantined is not None:
        assert row["rows_quarantined"] == expect.quarantined, (expect.name, row)
    for fragment in expect.warnings:
        assert fragment in (row["warnings"] or ""), (expect.name, fragment, row["warnings"])
    quarantined = con.execute("select row_number, column_name, raw_value, reason, file_name "
                              "from audit.quarantine_rows where file_id = ?", [row["file_id"]]).fetchall()
    assert all(q[4] == expect.name and q[3] for q in quarantined), "every quarantined cell names its file and why"
    for line, column, fragment in expect.cells:
        hits = [q for q in quarantined if q[0] == line and q[1] == column and fragment in q[3]]
        assert hits, (expect.name, (line, column, fragment), quarantined)
    if row["status"] == "rejected":
        assert all(q[3].startswith("file rejected: ") for q in quarantined)
        assert con.execute("select count(*) from raw.submission_rows where file_id = ?",
                           [row["file_id"]]).fetchone()[0] == 0
    if row["archive_path"]:
        assert Path(row["archive_path"]).resolve().is_relative_to(Path(row["archive_path"]).parents[2].resolve())
        assert Path(row["archive_path"]).name.startswith(row["file_id"])


def check_news(con: duckdb.DuckDBPyConnection, expect: Expect, audit: dict[str, dict]) -> None:
    row = audit[expect.name]
    assert row["status"] == expect.status, (expect.name, row["status"], row["reason"])
    for fragment in expect.reasons:
        assert fragment in (row["reason"] or ""), (expect.name, fragment, row["reason"])
    loaded = con.execute("select count(*) from raw.news_articles where file_id = ?", [row["file_id"]]).fetchone()[0]
    assert loaded == row["articles_loaded"]
    if expect.status == "rejected":
        assert loaded == 0 and row["articles_loaded"] == 0
    assert row["articles_received"] == row["articles_loaded"] + row["articles_duplicate"] or expect.status == "rejected"


def test_catalogue_is_large_and_covers_every_category() -> None:
    assert len(CASES) >= 50
    assert len({c.name for c in CASES}) == len(CASES)
    assert {"encoding", "empty", "columns", "xlsx", "bombs and limits", "numbers", "units", "name vs content",
            "resubmissions", "file names", "news"} <= set(categories())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, reference_db: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    materialize(case, landing)
    con = fresh_db(reference_db, tmp_path)
    try:
        if case.source == "submissions":
            ingest.ingest(con, landing, tmp_path / "archive")
            audit = submission_audit(con)
            for expect in case.expect:
                check_submission(con, expect, audit)
            assert_submission_accounting(con)
        else:
            news_ingest.ingest_news(con, landing, tmp_path / "archive")
            audit = news_audit(con)
            for expect in case.expect:
                check_news(con, expect, audit)
    finally:
        con.close()
    outside = tmp_path / "outside"
    assert not (tmp_path / "archive").exists() or all(
        p.resolve().is_relative_to((tmp_path / "archive").resolve()) for p in (tmp_path / "archive").rglob("*"))
    assert not outside.exists() or not any(p.suffix == ".tmp" for p in outside.iterdir())


def test_whole_catalogue_in_one_batch(reference_db: Path, tmp_path: Path) -> None:
    """Every bad file at once, next to one valid submission and one valid article: no exception, full accounting."""
    sub_landing, news_landing = tmp_path / "landing" / "submissions", tmp_path / "landing" / "news"
    for i, case in enumerate(CASES):
        materialize(case, (sub_landing if case.source == "submissions" else news_landing) / f"{i:03d}")
    VALID_SUBMISSION.materialize(sub_landing, BASE_MTIME)
    VALID_NEWS.materialize(news_landing, BASE_MTIME)
    con = fresh_db(reference_db, tmp_path)
    try:
        started = time.monotonic()
        batch = ingest.ingest(con, sub_landing, tmp_path / "archive")
        news = news_ingest.ingest_news(con, news_landing, tmp_path / "archive")
        assert time.monotonic() - started < 60
        assert_submission_accounting(con)
        assert batch.rows_received == batch.rows_loaded + batch.rows_quarantined
        assert batch.files_new == batch.files_accepted + batch.files_rejected
        assert con.execute("select count(*) from audit.ingest_batches").fetchone()[0] == 1
        audit = submission_audit(con)
        assert audit[VALID_SUBMISSION.name]["status"] == "accepted"
        assert audit[VALID_SUBMISSION.name]["rows_loaded"] == 4
        assert all(r["reason"] for r in audit.values() if r["status"] == "rejected")
        news_rows = news_audit(con)
        assert news_rows[VALID_NEWS.name]["status"] == "accepted"
        assert news_rows[VALID_NEWS.name]["articles_loaded"] == 1
        expected_news = {e.name for c in CASES if c.source == "news" for e in c.expect}
        assert {n for n, r in news_rows.items() if r["status"] == "rejected"} == expected_news
        assert news.files_rejected == len(expected_news)
        assert con.execute("select count(*) from raw.news_articles").fetchone()[0] == 1
    finally:
        con.close()
