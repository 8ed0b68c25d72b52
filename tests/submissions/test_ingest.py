"""Ingestion with full row accounting, on real DuckDB files: formats, encodings, row rules, file rejections."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pytest

from pipelines import warehouse
from pipelines.reference import admin_units
from pipelines.submissions import contract, ingest

REPO = Path(__file__).resolve().parents[2]
HEADERS = ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Công an chính quy", "Trưởng Công an", "Phó Trưởng Công an",
           "Công an viên", "Điều tra viên", "Trưởng CA là điều tra viên", "Đã tập huấn", "Trụ sở", "Ghi chú"]


@pytest.fixture()
def db(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A build database holding the raw reference tables, as the reference asset loads them."""
    path = tmp_path / "build.duckdb"
    with warehouse.connect(path) as con:
        warehouse.replace_table(con, "raw.admin_units_legacy", pa.table(admin_units.legacy_units_columns()))
        warehouse.replace_table(con, "raw.admin_units_2025", pa.table(admin_units.current_units_columns()))
    con = duckdb.connect(str(path))
    yield con
    con.close()


def unit_rows(province: str, map_version: str, n: int | None = None) -> list[list[str]]:
    """Clean rows for the real units of a province in a map."""
    units = [u for u in admin_units.units(map_version) if u.province_code == province][:n]
    rows = []
    for i, u in enumerate(units):
        officers = 6 + i % 5
        rows.append([u.unit_code, u.unit_name, u.unit_type, str(officers), "1", "2", "3", "2", "Có" if i % 2 else "0",
                     str(officers - 1), ["doc_lap", "Chung trụ sở UBND", "Đang xây dựng", "chua_co"][i % 4], ""])
    return rows


def write_csv(path: Path, rows: list[list[str]], province: str, period: str, encoding: str = "utf-8",
              delimiter: str = ",", headers: list[str] = HEADERS, header_block: bool = True) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if header_block:
        writer.writerow(["BÁO CÁO SỐ LIỆU CÔNG AN XÃ"])
        writer.writerow(["Mã tỉnh", province])
        writer.writerow(["Kỳ báo cáo", period])
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[str]], province: str, period: str) -> Path:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Hướng dẫn"
    notes.append(["Điền số liệu vào sheet Báo cáo"])
    ws = wb.create_sheet("Báo cáo")
    ws.append([f"Mã tỉnh: {province}"])
    ws.append([f"Kỳ báo cáo: {period}"])
    ws.append(HEADERS)
    for row in rows:
        ws.append([int(c) if c.isdigit() and i not in (0,) else c for i, c in enumerate(row)])
    wb.save(path)
    return path


def files(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "select file_name, status, rows_received, rows_loaded, rows_quarantined, reason "
        "from audit.submission_files").fetchall()}


def quarantine(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    return con.execute("select row_number, column_name, raw_value, reason from audit.quarantine_rows "
                       "where file_name = ? order by row_number, column_name", [name]).fetchall()


def assert_accounting(con: duckdb.DuckDBPyConnection) -> None:
    bad = con.execute("""
        select f.file_name from audit.submission_files f
        left join (select file_id, count(distinct coalesce(sheet, '') || row_number) n
                   from audit.quarantine_rows group by 1) q using (file_id)
        left join (select file_id, count(*) n from raw.submission_rows group by 1) l using (file_id)
        where f.rows_received <> f.rows_loaded + f.rows_quarantined
           or coalesce(q.n, 0) <> f.rows_quarantined or coalesce(l.n, 0) <> f.rows_loaded
    """).fetchall()
    assert bad == []


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ","), ("utf-8-sig", ","), ("utf-16", "\t"),
                                                ("utf-8", ";")])
def test_clean_csv_in_every_accepted_encoding_loads_every_row(db, tmp_path, encoding, delimiter) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    rows = unit_rows("34", "legacy_63")
    write_csv(landing / "34_2025-06.csv", rows, "34", "2025-06", encoding, delimiter)
    batch = ingest.ingest(db, landing, tmp_path / "archive")
    assert (batch.files_accepted, batch.rows_loaded, batch.rows_quarantined) == (1, 242, 0)
    status, received, loaded, quarantined, _ = files(db)["34_2025-06.csv"]
    assert (status, received, loaded, quarantined) == ("accepted", 242, 242, 0)
    first = db.execute("select unit_code, regular_officers, heads, head_is_investigator, hq_status, map_version "
                       "from raw.submission_rows order by row_number limit 2").fetchall()
    assert first[0] == (rows[0][0], int(rows[0][3]), 1, False, "doc_lap", "legacy_63")
    assert first[1][3] is True and first[1][4] == "chung_ubnd"


def test_xlsx_sheet_is_found_and_row_numbers_are_sheet_rows(db, tmp_path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    rows = unit_rows("33", "v2025_34")
    rows[4][3] = "-2"
    write_xlsx(landing / "33_2025-08.xlsx", rows, "33", "2025-08")
    ingest.ingest(db, landing, tmp_path / "archive")
    status, received, loaded, quarantined, _ = files(db)["33_2025-08.xlsx"]
    assert (status, received, loaded, quarantined) == ("accepted", len(rows), len(rows) - 1, 1)
    # header on sheet row 3, so the 5th data row is sheet row 8
    assert quarantine(db, "33_2025-08.xlsx") == [(8, "regular_officers", "-2",
                                                  'negative count in column "Công an chính quy"')]
    assert db.execute("select map_version from raw.submission_rows limit 1").fetchall()[0][0] == "v2025_34"


def test_row_rules_quarantine_with_reasons(db, tmp_path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    rows = unit_rows("34", "legacy_63", 20)
    other = [u for u in admin_units.units("legacy_63") if u.province_code == "36"][0]
    rows[0][3] = "1.234"                       # thousands separator
    rows[1][4] = "2"                           # two heads
    rows[2][3], rows[2][5] = "2", "3"           # officers < heads + deputies
    rows[3][7] = "50"                          # investigators > officers
    rows[4][10] = "Tạm mượn nhà văn hóa"       # unknown HQ status
    rows[5][0] = "99999"                       # code not in the map
    rows[6][0] = other.unit_code               # a code of another province
    rows[7][2] = "Phường" if rows[7][2] != "Phường" else "Xã"  # type contradicts the reference
    rows[8][3] = "năm"                         # a number in words
    rows[9][3] = "999"                         # implausible
    rows.append(list(rows[10]))                # a duplicated unit (rows 11 and 21 of the data)
    rows[12][4] = ""                           # missing required value
    write_csv(landing / "34_2025-05.csv", rows, "34", "2025-05")
    ingest.ingest(db, landing, tmp_path / "archive")
    status, received, loaded, quarantined, _ = files(db)["34_2025-05.csv"]
    assert (status, received) == ("accepted", 21)
    q = quarantine(db, "34_2025-05.csv")
    reasons = {(line, column): reason for line, column, _, reason in q}
    line = lambda i: 5 + i  # header on line 4; data row i (0-based) is on line 5 + i  # noqa: E731
    assert "thousands separator" in reasons[(line(0), "regular_officers")]
    assert reasons[(line(1), "heads")] == "a unit has at most 1 head"
    assert "fewer than heads + deputies" in reasons[(line(2), "regular_officers")]
    assert "more investigators" in reasons[(line(3), "investigators")]
    assert "unknown HQ status" in reasons[(line(4), "hq_status")]
    assert "does not exist in the legacy 63-province map" in reasons[(line(5), "unit_code")]
    assert "belongs to province 36" in reasons[(line(6), "unit_code")]
    assert "but the reference says" in reasons[(line(7), "unit_type")]
    assert "not a whole number" in reasons[(line(8), "regular_officers")]
    assert "implausible" in reasons[(line(9), "regular_officers")]
    assert "appears 2 times" in reasons[(line(10), "unit_code")] and (line(20), "unit_code") in reasons
    assert "missing value" in reasons[(line(12), "heads")]
    assert quarantined == 13 and loaded == 8  # rows 0-9, both copies of the duplicate, row 12
    assert_accounting(db)


@pytest.mark.parametrize("name,content,expected", [
    ("34_2025-06.csv", "cp1258", "not valid UTF-8"),
    ("34_2025-06.csv", "empty", "file is empty"),
    ("34_2025-06.csv", "header_only", "no data rows under the header row"),
    ("34_2025-06.csv", "missing_column", "required column(s) missing: 'Trụ sở' (hq_status)"),
    ("34_2025-05.csv", "mismatch", "file name says period 2025-05 but the file says 2025-06"),
    ("36_2025-06.csv", "mismatch", "file name says province 36 but the file says 34"),
    ("thai_binh_june.csv", "clean", "does not follow"),
    ("34_2025-13.csv", "clean", "impossible period"),
    ("34_2025-08.csv", "clean_08", "province code 34 does not exist in the 2025 34-province map"),
    ("34_2025-06.txt", "clean", "unsupported file type"),
    ("34_2025-06.xlsx", "truncated_xlsx", "not a readable XLSX"),
    ("34_2025-06.csv", "no_header", "no header row"),
])
def test_structurally_bad_files_are_rejected_whole_with_every_row_counted(db, tmp_path, name, content,
                                                                          expected) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    rows = unit_rows("34", "legacy_63", 12)
    path = landing / name
    if content == "cp1258":
        buf = io.StringIO()
        csv.writer(buf).writerows([HEADERS] + rows)
        path.write_bytes(buf.getvalue().encode("cp1258", errors="replace"))
    elif content == "empty":
        path.write_bytes(b"")
    elif content == "header_only":
        write_csv(path, [], "34", "2025-06")
    elif content == "missing_column":
        write_csv(path, [r[:10] + r[11:] for r in rows], "34", "2025-06", headers=HEADERS[:10] + HEADERS[11:])
    elif content == "mismatch":
        write_csv(path, rows, "34", "2025-06")
    elif content in ("clean", "clean_08"):
        write_csv(path, rows, "34", "2025-08" if content == "clean_08" else "2025-06")
    elif content == "truncated_xlsx":
        write_xlsx(tmp_path / "ok.xlsx", rows, "34", "2025-06")
        data = (tmp_path / "ok.xlsx").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content == "no_header":
        path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    batch = ingest.ingest(db, landing, tmp_path / "archive")
    status, received, loaded, quarantined, reason = files(db)[name]
    assert status == "rejected" and expected in reason, reason
    assert loaded == 0 and received == quarantined
    if content not in ("empty", "truncated_xlsx", "header_only"):
        assert received == 12
    assert all(r[3].startswith("file rejected: ") for r in quarantine(db, name))
    assert batch.files_rejected == 1
    assert_accounting(db)


def test_resubmission_supersedes_and_reingest_is_a_noop(db, tmp_path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    rows = unit_rows("34", "legacy_63", 10)
    first = write_csv(landing / "34_2025-06.csv", rows, "34", "2025-06")
    os.utime(first, (1_751_000_000, 1_751_000_000))
    ingest.ingest(db, landing, tmp_path / "archive")
    rows[0][3] = "9"
    second = write_csv(landing / "34_2025-06_v2.csv", rows, "34", "2025-06")
    os.utime(second, (1_751_500_000, 1_751_500_000))
    batch = ingest.ingest(db, landing, tmp_path / "archive")
    assert batch.files_new == 1 and batch.files_superseded == 1
    status = {n: s[0] for n, s in files(db).items()}
    assert status == {"34_2025-06.csv": "superseded", "34_2025-06_v2.csv": "accepted"}
    again = ingest.ingest(db, landing, tmp_path / "archive")
    assert (again.files_seen, again.files_new) == (2, 0)
    assert db.execute("select count(*) from audit.submission_files").fetchall()[0][0] == 2
    archived = sorted(p.name for p in (tmp_path / "archive").rglob("*.csv"))
    assert len(archived) == 2 and all(len(Path(a).stem) == 64 for a in archived)
    assert all(not os.access(p, os.W_OK) or os.geteuid() == 0 for p in (tmp_path / "archive").rglob("*.csv"))


def test_unchanged_landing_files_are_not_read_again_but_any_rewrite_is_seen(db, tmp_path, monkeypatch) -> None:
    """The content hash of a landing file whose stat is unchanged is reused (no read); a rewrite is seen even with
    the same size and the old mtime put back (its ctime changed); a removed file leaves the record."""
    landing = tmp_path / "landing"
    landing.mkdir()
    rows = unit_rows("34", "legacy_63", 10)
    one = write_csv(landing / "34_2025-06.csv", rows, "34", "2025-06")
    two = write_csv(landing / "34_2025-05.csv", rows, "34", "2025-05")
    assert ingest.ingest(db, landing, tmp_path / "archive").files_new == 2
    reads: list[str] = []
    real_read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real_read(self))
    again = ingest.ingest(db, landing, tmp_path / "archive")
    assert (again.files_seen, again.files_new, reads) == (2, 0, [])
    before = one.stat()
    rows[0][3] = "9" if rows[0][3] != "9" else "8"  # same size
    write_csv(one, rows, "34", "2025-06")
    os.utime(one, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert one.stat().st_size == before.st_size and one.stat().st_mtime_ns == before.st_mtime_ns
    changed = ingest.ingest(db, landing, tmp_path / "archive")
    assert changed.files_new == 1 and reads == ["34_2025-06.csv"]
    two.unlink()
    ingest.ingest(db, landing, tmp_path / "archive")
    recorded = [r[0] for r in db.execute("select path from raw.landing_hash_cache where source = 'submissions'"
                                         ).fetchall()]
    assert recorded == [str(one)]


def test_meta_columns_instead_of_header_block_and_english_aliases(db, tmp_path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    english = ["unit_code", "unit_name", "unit_type", "regular_officers", "heads", "deputies", "ca_vien",
               "investigators", "head_is_investigator", "officers_trained", "hq_status", "notes",
               "province_code", "period"]
    rows = [r + ["34", "06/2025"] for r in unit_rows("34", "legacy_63", 8)]
    rows[3][12] = "36"
    write_csv(landing / "34_2025-06.csv", rows, "34", "2025-06", headers=english, header_block=False)
    ingest.ingest(db, landing, tmp_path / "archive")
    status, received, loaded, quarantined, _ = files(db)["34_2025-06.csv"]
    assert (status, received, loaded, quarantined) == ("accepted", 8, 7, 1)
    assert "row says province 36" in quarantine(db, "34_2025-06.csv")[0][3]


def test_generated_dirty_set_every_mistake_is_caught_and_every_row_accounted(db, tmp_path) -> None:
    out = tmp_path / "generated"
    truth = tmp_path / "truth.jsonl"
    subprocess.run([sys.executable, "-m", "pipelines.submissions.generate", "--from", "2025-04", "--to", "2025-09",
                    "--provinces", "34,36,33,37", "--out", str(out), "--seed", "7", "--dirty-rate", "0.6",
                    "--truth", str(truth)], cwd=REPO, check=True, capture_output=True)
    batch = ingest.ingest(db, out, tmp_path / "archive")
    assert batch.files_new == len(list(out.iterdir()))
    assert batch.rows_received == batch.rows_loaded + batch.rows_quarantined
    assert_accounting(db)
    by_name = files(db)
    mistakes = 0
    for line in truth.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        status, received, loaded, quarantined, reason = by_name[item["file"]]
        if item["file_level_error"]:
            assert status == "rejected", (item, reason)
            continue
        assert status in ("accepted", "superseded"), (item, reason)
        assert received == item["rows"], item
        flagged = {r[0] for r in quarantine(db, item["file"])}
        for mistake in item["mistakes"]:
            mistakes += 1
            # truth rows are 1-based data rows; the quarantine names the file's row/line
            header_row = received and db.execute(
                "select min(row_number) - 1 from (select row_number from raw.submission_rows where file_id = "
                "(select file_id from audit.submission_files where file_name = ?) union all select row_number "
                "from audit.quarantine_rows where file_name = ?)", [item["file"], item["file"]]).fetchall()[0][0]
            assert header_row + mistake["row"] in flagged, (item["file"], mistake)
    assert mistakes > 5
