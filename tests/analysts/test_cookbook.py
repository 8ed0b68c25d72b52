"""The analysts' cookbook: every docs/cookbook/*.sql runs on the published warehouse through a read-only
connection and returns rows (slow: needs the sample run), and docs/ANALYSTS.md carries each query verbatim (fast:
docs and tests cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO

COOKBOOK = REPO / "docs" / "cookbook"
ANALYSTS_MD = REPO / "docs" / "ANALYSTS.md"
QUERIES = sorted(COOKBOOK.glob("*.sql"))


def test_cookbook_has_at_least_ten_numbered_queries_with_a_question() -> None:
    assert len(QUERIES) >= 10, QUERIES
    numbers = [q.name[:2] for q in QUERIES]
    assert len(set(numbers)) == len(numbers), "two cookbook files share a number"
    for query in QUERIES:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.sql", query.name), query.name
        first = query.read_text(encoding="utf-8").splitlines()[0]
        assert re.match(r"-- question: \S.+", first), f"{query.name}: first line must be '-- question: ...'"


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_query_is_in_analysts_md_verbatim(query: Path) -> None:
    sql = query.read_text(encoding="utf-8").strip()
    assert sql in ANALYSTS_MD.read_text(encoding="utf-8"), (
        f"docs/ANALYSTS.md does not contain {query.name} verbatim: paste the file into its ```sql block")


@pytest.fixture(scope="module")
def published_ro(sample_run):
    """One read-only connection to the published file of the sample run."""
    con = duckdb.connect(str(sample_run.published), read_only=True)
    yield con
    con.close()


@pytest.mark.slow
@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_query_runs_read_only_and_returns_rows(published_ro, query: Path) -> None:
    result = published_ro.execute(query.read_text(encoding="utf-8"))
    columns = [d[0] for d in result.description]
    rows = result.fetchall()
    assert rows, f"{query.name} returned no rows on the sample warehouse"
    assert len(columns) == len(set(columns)), f"{query.name}: duplicate column names {columns}"


@pytest.mark.slow
def test_read_only_connection_refuses_writes(published_ro) -> None:
    """What ANALYSTS.md promises: the read-only connection cannot change the published file."""
    with pytest.raises(duckdb.Error):
        published_ro.execute("create table marts.scratch as select 1 as x")
    published_ro.execute("create temp table scratch as select 1 as x")  # temp tables are fine
    assert published_ro.execute("select x from scratch").fetchall() == [(1,)]
    published_ro.execute("drop table scratch")
