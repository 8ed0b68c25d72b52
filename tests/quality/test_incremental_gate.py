"""incremental_key suites: row-level verdicts carried over for the keys that passed before (real GX, real DuckDB).

The carried-over validation must give the whole-relation verdicts and counts that a full validation gives, read
only the new keys' rows for the row-level rules, still catch table-level problems spanning old and new rows, and
void the carried verdicts when the rules change.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb
import pytest

from pipelines.quality import gx_runner as R
from pipelines.quality.gx_suites import load_suite

SUITE = """
name: fct_inc
table: main.fct
incremental_key: file_id
sample_columns: [row_id]
expectations:
  - type: expect_column_values_to_be_unique
    kwargs: {column: row_id}
  - type: expect_column_values_to_not_be_null
    kwargs: {column: unit}
  - type: expect_column_values_to_be_between
    kwargs: {column: officers, min_value: 0, max_value: 100}
  - type: expect_column_values_to_be_between
    name: officers_mostly
    severity: warn
    kwargs: {column: officers, min_value: 0, max_value: 95, mostly: 0.9999}
  - type: expect_column_values_to_be_in_set
    kwargs: {column: kind, value_set: [xa, phuong]}
  - type: expect_table_row_count_to_equal
    name: no_orphans
    kwargs: {value: 0}
    query: SELECT * FROM {relation} WHERE file_id NOT IN (SELECT file_id FROM main.files)
"""

COMPARED = ("success", "element_count", "unexpected_count", "missing_count", "unexpected_percent")


def _write(tmp_path: Path, text: str, name: str = "fct_inc.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _add_file(con: duckdb.DuckDBPyConnection, file_id: int, rows: int, start: int) -> None:
    con.execute("INSERT INTO main.files VALUES (?)", [file_id])
    con.execute(
        "INSERT INTO main.fct SELECT ? , ? + i, 'u' || (? + i), "
        "CASE WHEN i % 9 = 0 THEN NULL ELSE (i * 7) % 90 END, CASE WHEN i % 2 = 0 THEN 'xa' ELSE 'phuong' END "
        "FROM range(?) t(i)", [file_id, start, start, rows])


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA audit")
    con.execute("CREATE TABLE main.files (file_id INTEGER)")
    con.execute("CREATE TABLE main.fct (file_id INTEGER, row_id INTEGER, unit VARCHAR, officers INTEGER, "
                "kind VARCHAR)")
    for f in range(1, 6):
        _add_file(con, f, 3_000, f * 10_000)
    yield con
    con.close()


def _compare(full: R.SuiteResult, inc: R.SuiteResult) -> None:
    assert full.success == inc.success
    for a, b in zip(full.results, inc.results):
        assert a.name == b.name
        for attr in COMPARED:
            va, vb = getattr(a, attr), getattr(b, attr)
            if isinstance(va, float) and isinstance(vb, float):
                assert va == pytest.approx(vb), (a.name, attr)
            else:
                assert va == vb, (a.name, attr, va, vb)


def test_first_run_validates_everything_and_lists_the_keys(con, tmp_path):
    suite = load_suite(_write(tmp_path, SUITE))
    full = R.validate(con, suite, batch_rows=4_000)
    first = R.validate(con, suite, batch_rows=4_000, carry_over=[])
    _compare(full, first)
    assert first.rows_carried_over == 0 and first.rows_validated == 15_000
    assert first.new_keys == ["1", "2", "3", "4", "5"] and first.carry_over_clean
    assert R.record_validated_keys(con, [first], "run-1") == 5
    assert sorted(R.validated_keys(con, suite)) == ["1", "2", "3", "4", "5"]


def test_carried_over_verdicts_equal_a_full_validation(con, tmp_path):
    suite = load_suite(_write(tmp_path, SUITE))
    R.record_validated_keys(con, [R.validate(con, suite, carry_over=[])], "run-1")
    _add_file(con, 6, 2_000, 60_000)
    con.execute("UPDATE main.fct SET officers = 150 WHERE row_id = 60001")  # a bad row in the new file
    con.execute("UPDATE main.fct SET kind = 'huyen' WHERE row_id = 60002")
    keys = R.validated_keys(con, suite)
    inc = R.validate(con, suite, batch_rows=4_000, carry_over=keys)
    full = R.validate(con, suite, batch_rows=4_000)
    _compare(full, inc)
    assert not inc.success
    assert inc.rows_carried_over == 15_000 and inc.rows_validated == 17_000 and inc.new_keys == ["6"]
    between = next(r for r in inc.results if r.expectation == "expect_column_values_to_be_between"
                   and r.severity == "error")
    assert between.unexpected_count == 1 and between.sample[0]["row_id"] == 60001
    assert between.missing_count > 0  # the carried rows' NULLs count as missing, as GX counts them
    assert not inc.carry_over_clean
    assert R.record_validated_keys(con, [inc], "run-2") == 0  # a failing file is validated again next time
    assert "6" not in R.validated_keys(con, suite)


def test_table_rules_still_see_old_and_new_rows(con, tmp_path):
    suite = load_suite(_write(tmp_path, SUITE))
    R.record_validated_keys(con, [R.validate(con, suite, carry_over=[])], "run-1")
    _add_file(con, 6, 10, 10_000)  # row_ids 10000.. duplicate file 1's
    con.execute("INSERT INTO main.fct SELECT 99, 1, 'x', 1, 'xa'")  # a row of a file that is not in main.files
    inc = R.validate(con, suite, carry_over=R.validated_keys(con, suite))
    unique = next(r for r in inc.results if r.expectation == "expect_column_values_to_be_unique")
    orphans = next(r for r in inc.results if r.name == "no_orphans")
    assert not unique.success and unique.unexpected_count == 20  # 10 new rows + the 10 old ones they repeat
    assert not orphans.success and orphans.observed_value == 1
    _compare(R.validate(con, suite), inc)
    # the new files broke uniqueness: not recorded, so they are read again (and the duplicates found again) next time
    assert inc.new_keys == ["6", "99"] and not inc.carry_over_clean
    assert R.record_validated_keys(con, [inc], "run-2") == 0
    again = R.validate(con, suite, carry_over=R.validated_keys(con, suite))
    assert next(r for r in again.results if r.expectation == "expect_column_values_to_be_unique"
                ).unexpected_count == 20


COMPOUND = SUITE.replace("""  - type: expect_column_values_to_be_unique
    kwargs: {column: row_id}""", """  - type: expect_column_values_to_be_unique
    kwargs: {column: row_id}
  - type: expect_compound_columns_to_be_unique
    kwargs: {column_list: [unit, kind]}
    severity: warn""")


@pytest.mark.parametrize("case", ["clean", "dupes_within_new", "dupes_old_new", "null_keys", "compound"])
def test_uniqueness_reads_only_new_values_and_equals_a_full_validation(con, tmp_path, case):
    """Uniqueness with carried-over rows: GX is given the rows whose values occur among the new rows (and NULL
    keys) only, and every count and sample equals a full validation's."""
    suite = load_suite(_write(tmp_path, COMPOUND))
    if case == "null_keys":  # NULL keys in the carried files count as missing, not as duplicates
        con.execute("UPDATE main.fct SET row_id = NULL, kind = NULL WHERE row_id % 1000 = 7")
    first = R.validate(con, suite, carry_over=[])
    assert first.carry_over_clean
    R.record_validated_keys(con, [first], "run-1")
    _add_file(con, 6, 500, 70_000)
    if case == "dupes_within_new":
        con.execute("UPDATE main.fct SET row_id = 70001 WHERE row_id IN (70002, 70003)")
    elif case == "dupes_old_new":
        con.execute("UPDATE main.fct SET row_id = 20005 WHERE row_id = 70004")
    elif case == "null_keys":
        con.execute("UPDATE main.fct SET row_id = NULL WHERE row_id = 70008")
    elif case == "compound":  # a new unit/kind pair that an old file already has
        con.execute("UPDATE main.fct SET unit = 'u30002', kind = 'xa' WHERE row_id = 70010")
    inc = R.validate(con, suite, carry_over=R.validated_keys(con, suite))
    full = R.validate(con, suite)
    _compare(full, inc)
    for a, b in zip(full.results, inc.results):
        if a.expectation in R.UNIQUE_TYPES:
            assert a.sample == b.sample, a.name
    assert inc.rows_carried_over == 15_000
    assert inc.carry_over_clean == (case in ("clean", "null_keys"))


def test_changed_rules_void_the_carried_verdicts(con, tmp_path):
    suite = load_suite(_write(tmp_path, SUITE))
    R.record_validated_keys(con, [R.validate(con, suite, carry_over=[])], "run-1")
    stricter = load_suite(_write(tmp_path, SUITE.replace("max_value: 100", "max_value: 80"), "stricter.yml"))
    assert stricter.carried_rules_checksum() != suite.carried_rules_checksum()
    assert R.validated_keys(con, stricter) == []
    result = R.validate(con, stricter, carry_over=R.validated_keys(con, stricter))
    assert result.rows_carried_over == 0 and not result.success  # officers up to 89 in every file
    R.record_validated_keys(con, [result], "run-2")
    assert con.execute("SELECT count(*) FROM audit.quality_validated_keys").fetchall()[0][0] == 0
    R.forget_validated_keys(con)
    assert R.validated_keys(con, suite) == []


def test_multi_column_row_rules_are_validated_in_full(con, tmp_path):
    text = SUITE + textwrap.dedent("""
      - type: expect_column_pair_values_a_to_be_greater_than_b
        kwargs: {column_A: officers, column_B: officers, or_equal: true, ignore_row_if: either_value_is_missing}
    """).replace("\n", "\n  ")
    suite = load_suite(_write(tmp_path, text.replace("\n  - type: expect_column_pair", "\n  - type: expect_column_pair")))
    result = R.validate(con, suite, carry_over=["1", "2", "3", "4", "5"])
    assert result.rows_carried_over == 0 and result.rows_validated == 15_000 and result.new_keys == []
