"""A catalogue of bad input files, each with the outcome the ingest must record for it.

Every case is built here from code (no binary fixture is committed: zip and XML bombs, corrupt workbooks and
oversized files are generated when a test asks for them). A case is one or more landing files (the bad file and,
where it matters, a valid companion such as the earlier submission a conflicting resubmission replaces) and the
expected audit outcome of each file: its status, substrings of the file's reason, the rows loaded and quarantined,
and the quarantined cells (row, column, reason substring) that must name where the problem is.

Data rows are the first units of Thái Bình (34, legacy map, period 2025-06) or Hưng Yên (33, 2025 map, period
2025-08). With the default CSV layout (title, `Mã tỉnh`, `Kỳ báo cáo`, header row) data row i (0-based) is on
line 5 + i of the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from pipelines.news import ingest as news_ingest
from pipelines.reference import admin_units
from pipelines.submissions import contract
from pipelines.submissions.generate import encode_cp1258

HEADERS = ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Công an chính quy", "Trưởng Công an", "Phó Trưởng Công an",
           "Công an viên", "Điều tra viên", "Trưởng CA là điều tra viên", "Đã tập huấn", "Trụ sở", "Ghi chú"]
# positions in a data row
CODE, UNIT_NAME, TYPE, OFFICERS, HEADS, DEPUTIES, CA_VIEN, INVESTIGATORS, HEAD_INV, TRAINED, HQ, NOTES = range(12)
FIRST_DATA_LINE = 5  # title, Mã tỉnh, Kỳ báo cáo, header row, then data
N_UNITS = 4


@dataclass(frozen=True)
class InputFile:
    """One landing file: its name and either its bytes (or a builder of them) or a function writing it."""

    name: str
    content: bytes | Callable[[], bytes] | None = None
    write: Callable[[Path], None] | None = None  # for what bytes cannot express: symlinks, sparse huge files
    mtime_offset: int = 0  # seconds after the case's base time (received time; newer resubmissions win)

    def materialize(self, folder: Path, base_mtime: int) -> Path:
        path = folder / self.name
        if self.write is not None:
            self.write(path)
        else:
            data = self.content() if callable(self.content) else self.content
            assert data is not None
            path.write_bytes(data)
        if not path.is_symlink():
            os.utime(path, (base_mtime + self.mtime_offset, base_mtime + self.mtime_offset))
        return path


@dataclass(frozen=True)
class Expect:
    """The audit outcome of one file. `loaded`/`quarantined` are rows (submissions) or articles (news)."""

    name: str
    status: str  # accepted | rejected | superseded | skipped (same bytes as another file: a recorded no-op)
    reasons: tuple[str, ...] = ()  # substrings of audit reason (all must appear)
    loaded: int | None = None
    quarantined: int | None = None
    cells: tuple[tuple[int | None, str | None, str], ...] = ()  # (row, column, reason substring) quarantined
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    source: str  # submissions | news
    files: tuple[InputFile, ...]
    expect: tuple[Expect, ...]
    note: str = ""


# --- builders ----------------------------------------------------------------------------------------------

def units(province: str = "34", map_version: str = contract.MAP_LEGACY, n: int = N_UNITS) -> list:
    return [u for u in admin_units.units(map_version) if u.province_code == province][:n]


def clean_rows(province: str = "34", map_version: str = contract.MAP_LEGACY, n: int = N_UNITS) -> list[list[str]]:
    """Valid rows for the first n real units of a province."""
    rows = []
    for i, u in enumerate(units(province, map_version, n)):
        officers = 8 + i
        rows.append([u.unit_code, u.unit_name, u.unit_type, str(officers), "1", "2", "0", "2", "1" if i % 2 else "0",
                     str(officers - 1), ["doc_lap", "Chung trụ sở UBND", "Đang xây dựng", "chua_co"][i % 4], ""])
    return rows


def rows_with(changes: dict[tuple[int, int], str], province: str = "34",
              map_version: str = contract.MAP_LEGACY) -> list[list[str]]:
    rows = clean_rows(province, map_version)
    for (r, c), value in changes.items():
        rows[r][c] = value
    return rows


def csv_text(rows: list[list[str]], province: str = "34", period: str = "2025-06", headers: list[str] = HEADERS,
             delimiter: str = ",", header_block: bool = True, newline: str = "\r\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    if header_block:
        writer.writerow(["BÁO CÁO LỰC LƯỢNG VÀ TRỤ SỞ CÔNG AN CẤP XÃ"])
        writer.writerow(["Mã tỉnh", province])
        writer.writerow(["Kỳ báo cáo", period])
    writer.writerow(headers)
    writer.writerows(rows)
    return buf.getvalue()


def csv_bytes(rows: list[list[str]] | None = None, encoding: str = "utf-8", **kwargs) -> bytes:
    return csv_text(clean_rows() if rows is None else rows, **kwargs).encode(encoding)


def xlsx_bytes(rows: list[list[str]] | None = None, province: str = "34", period: str = "2025-06",
               guide_sheet: bool = False, headers: list[str] = HEADERS,
               edit: Callable[[openpyxl.worksheet.worksheet.Worksheet], None] | None = None) -> bytes:
    """A workbook like the official template: header block on sheet 'Báo cáo', header row on row 3."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if guide_sheet:
        ws.title = "Hướng dẫn"
        ws.append(["Điền số liệu vào sheet Báo cáo"])
        ws = wb.create_sheet("Báo cáo")
    else:
        ws.title = "Báo cáo"
    ws.append([f"Mã tỉnh: {province}"])
    ws.append([f"Kỳ báo cáo: {period}"])
    ws.append(headers)
    for row in clean_rows() if rows is None else rows:
        ws.append([int(c) if c.isdigit() and i != CODE else c for i, c in enumerate(row)])
    if edit is not None:
        edit(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
          compresslevel: int = 6) -> bytes:
    """Rewrite a workbook's zip with some parts replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED,
                                                                 compresslevel=compresslevel) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode("utf-8")


def xlsx_with_formulas() -> bytes:
    """D4 '=7+1' with Excel's cached value 8, D5 '=1/0' cached as #DIV/0!, D6 '=2*4' without a cached value."""
    data = xlsx_bytes(edit=lambda ws: [ws.__setitem__("D4", "=7+1"), ws.__setitem__("D5", "=1/0"),
                                       ws.__setitem__("D6", "=2*4")])
    xml = sheet_xml(data)
    xml = re.sub(r'(<c r="D4"[^>]*>)<f>7\+1</f><v\s*/?>(</v>)?', r'\1<f>7+1</f><v>8</v>', xml)
    xml = re.sub(r'<c r="D5"([^>]*?)(?: t="\w+")?>(<f>1/0</f>)<v\s*/?>(</v>)?',
                 r'<c r="D5"\1 t="e">\2<v>#DIV/0!</v>', xml)
    assert "<v>8</v>" in xml and "#DIV/0!" in xml, xml[:2000]
    return rezip(data, replace={"xl/worksheets/sheet1.xml": xml.encode("utf-8")})


def xlsx_with_error_cells() -> bytes:
    """Error values as Excel stores them (t="e"): #REF! in officers, #N/A in heads."""
    def edit(ws) -> None:
        ws["D4"] = "#REF!"  # openpyxl stores known error codes as error cells
        ws["E5"] = "#N/A"
    return xlsx_bytes(edit=edit)


def xlsx_merged() -> bytes:
    """A title merged across the table, and one HQ status cell merged over two units (only the first holds it)."""
    def edit(ws) -> None:
        ws.insert_rows(1)
        ws["A1"] = "BÁO CÁO LỰC LƯỢNG VÀ TRỤ SỞ CÔNG AN CẤP XÃ"
        ws.merge_cells("A1:L1")
        ws["K6"] = "Độc lập"  # header on row 4: data rows 5..8; K6:K7 merged
        ws.merge_cells("K6:K7")
        ws["C5"] = "Phường"
        ws.merge_cells("C5:C6")
    return xlsx_bytes(edit=edit)


def truncated_xlsx() -> bytes:
    data = xlsx_bytes()
    return data[: len(data) // 2]


def ratio_bomb_xlsx() -> bytes:
    """A valid workbook carrying one extra part of 40 MB of zeros (compresses about 1000:1)."""
    return rezip(xlsx_bytes(), add={"xl/media/image1.bin": bytes(40 * 1024 * 1024)}, compresslevel=1)


def oversized_xlsx() -> bytes:
    """A workbook whose parts expand past the total limit, each part at an innocent ratio (random-ish text)."""
    # 2 MB of 1 KB random blocks each repeated 16 times: compresses about 20:1, under the ratio limit
    chunk = b"".join(os.urandom(512).hex().encode() * 16 for _ in range(128))
    parts = {f"xl/media/image{i}.bin": chunk for i in range(contract.MAX_XLSX_UNCOMPRESSED_BYTES // len(chunk) + 1)}
    return rezip(xlsx_bytes(), add=parts, compresslevel=1)


def lying_size_xlsx() -> bytes:
    """A zip whose headers declare a tiny size for a part that really inflates to 5 MB (a bomb that lies)."""
    data = bytearray(rezip(xlsx_bytes(), add={"xl/media/image1.bin": b"A" * (5 * 1024 * 1024)}))
    name = b"xl/media/image1.bin"
    for sig, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (pos := data.find(sig, start)) >= 0:
            name_len = struct.unpack_from("<H", data, pos + (26 if sig == b"PK\x03\x04" else 28))[0]
            header = 30 if sig == b"PK\x03\x04" else 46
            if bytes(data[pos + header: pos + header + name_len]) == name:
                struct.pack_into("<I", data, pos + size_offset, 1000)
            start = pos + 4
    return bytes(data)


def many_entries_xlsx() -> bytes:
    return rezip(xlsx_bytes(), add={f"customXml/item{i}.xml": b"<a/>" for i in range(contract.MAX_XLSX_ENTRIES)})


def xml_bomb_xlsx() -> bytes:
    """Billion laughs in the sheet part: a DTD with nested entities (OOXML never carries a DTD)."""
    xml = sheet_xml(xlsx_bytes())
    lol = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE worksheet [\n <!ENTITY lol "lol">\n'
           + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
                     for i in range(1, 10)) + "]>\n")
    xml = re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)
    xml = xml.replace("<v>", "<v>&lol9;", 1) if "<v>" in xml else xml
    return rezip(xlsx_bytes(), replace={"xl/worksheets/sheet1.xml": (lol + xml).encode("utf-8")})


def empty_workbook() -> bytes:
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    return buf.getvalue()


def sparse(size: int) -> Callable[[Path], None]:
    """A file of `size` bytes that takes no disk space (never read whole by the ingest)."""
    def write(path: Path) -> None:
        with path.open("wb") as handle:
            handle.truncate(size)
    return write


def symlink_outside(content: bytes) -> Callable[[Path], None]:
    """A landing entry that is a symbolic link to a file outside the landing folder (../outside/...)."""
    def write(path: Path) -> None:
        outside = path.parent.parent / "outside"
        outside.mkdir(exist_ok=True)
        target = outside / "secret.csv"
        target.write_bytes(content)
        path.symlink_to(os.path.relpath(target, path.parent))
    return write


def news_jsonl(*records: object) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records).encode() + b"\n"


ARTICLE = ("Ngày 19/5/2025, Công an tỉnh Thái Bình cho biết toàn tỉnh có 242 đơn vị hành chính cấp xã và đã bố trí "
           "1.749 cán bộ, chiến sĩ về công tác tại 242/242 xã, phường, thị trấn.")


# --- the catalogue -----------------------------------------------------------------------------------------

S, N = "submissions", "news"
OK4 = dict(loaded=N_UNITS, quarantined=0)
LINE = lambda i: FIRST_DATA_LINE + i  # noqa: E731 - data row i (0-based) -> file line


def accepted(name: str, loaded: int = N_UNITS, quarantined: int = 0, **kw) -> Expect:
    return Expect(name, "accepted", loaded=loaded, quarantined=quarantined, **kw)


def rejected(name: str, *reasons: str, received: int = N_UNITS) -> Expect:
    return Expect(name, "rejected", tuple(reasons), loaded=0, quarantined=received)


def one_bad_cell(case: str, category: str, row: int, column: int, value: str, column_name: str, reason: str,
                 name: str = "34_2025-06.csv") -> Case:
    """A CSV whose data row `row` has `value` in `column`: that row quarantined, the others loaded."""
    return Case(case, category, S, (InputFile(name, csv_bytes(rows_with({(row, column): value}))),),
                (accepted(name, N_UNITS - 1, 1, cells=((LINE(row), column_name, reason),)),))


NAME = "34_2025-06.csv"
XNAME = "34_2025-06.xlsx"
UTF8_ROWS = csv_text(clean_rows())
MIXED = (csv_text(clean_rows()[:2]).encode("utf-8")
         + encode_cp1258(csv_text(clean_rows()[2:], header_block=False, headers=[]).lstrip("\r\n")))
OTHER_PROVINCE_UNIT = units("36")[0].unit_code
V2025_ROWS = clean_rows("33", contract.MAP_2025)

CASES: list[Case] = [
    # --- encodings and byte-order marks
    Case("cp1258_ansi_csv", "encoding", S, (InputFile(NAME, encode_cp1258(UTF8_ROWS)),),
         (rejected(NAME, "not valid UTF-8", "Windows-1258", "line 1"),)),
    Case("cp1252_ansi_csv", "encoding", S, (InputFile(NAME, UTF8_ROWS.encode("cp1252", errors="replace")),),
         (rejected(NAME, "not valid UTF-8", "save the file as 'CSV UTF-8'"),)),
    Case("mixed_utf8_and_ansi_lines", "encoding", S, (InputFile(NAME, MIXED),),
         (rejected(NAME, "not valid UTF-8", f"line {LINE(2)}"),)),
    Case("utf8_with_bom", "encoding", S, (InputFile(NAME, csv_bytes(encoding="utf-8-sig")),), (accepted(NAME),)),
    Case("utf16le_bom_tab", "encoding", S, (InputFile(NAME, csv_bytes(encoding="utf-16", delimiter="\t")),),
         (accepted(NAME),)),
    Case("utf16be_bom_tab", "encoding", S,
         (InputFile(NAME, codecs.BOM_UTF16_BE + csv_text(clean_rows(), delimiter="\t").encode("utf-16-be")),),
         (accepted(NAME),)),
    Case("utf16_without_bom", "encoding", S,
         (InputFile(NAME, csv_text(clean_rows(), delimiter="\t").encode("utf-16-le")),),
         (rejected(NAME, "UTF-16 without a byte-order mark"),)),
    Case("utf32_bom", "encoding", S, (InputFile(NAME, csv_text(clean_rows()).encode("utf-32")),),
         (rejected(NAME, "UTF-32"),)),
    Case("bom_then_header_row_first", "encoding", S,
         (InputFile(NAME, codecs.BOM_UTF8 + codecs.BOM_UTF8 + csv_bytes(header_block=False)),),
         (accepted(NAME),), note="a doubled BOM is invisible in Excel; it must not hide the first header"),
    Case("zero_width_space_in_header", "encoding", S,
         (InputFile(NAME, csv_bytes(headers=["\u200bMã đơn vị"] + HEADERS[1:])),), (accepted(NAME),)),
    # --- line endings
    Case("crlf_line_endings", "line endings", S, (InputFile(NAME, csv_bytes(newline="\r\n")),), (accepted(NAME),)),
    Case("lf_line_endings", "line endings", S, (InputFile(NAME, csv_bytes(newline="\n")),), (accepted(NAME),)),
    Case("cr_only_line_endings", "line endings", S, (InputFile(NAME, csv_bytes(newline="\r")),), (accepted(NAME),)),
    Case("mixed_line_endings", "line endings", S,
         (InputFile(NAME, csv_text(clean_rows()).replace("\r\n", "\n", 3).encode()),), (accepted(NAME),)),
    Case("no_final_newline", "line endings", S, (InputFile(NAME, UTF8_ROWS.rstrip("\r\n").encode()),),
         (accepted(NAME),)),
    # --- empty and header-only
    Case("empty_csv", "empty", S, (InputFile(NAME, b""),), (rejected(NAME, "file is empty", received=0),)),
    Case("blank_lines_only", "empty", S, (InputFile(NAME, b"\r\n , ,\r\n\r\n"),),
         (rejected(NAME, "file is empty", received=0),)),
    Case("bom_only", "empty", S, (InputFile(NAME, codecs.BOM_UTF8),), (rejected(NAME, "file is empty", received=0),)),
    Case("header_only_csv", "empty", S, (InputFile(NAME, csv_bytes([])),),
         (rejected(NAME, "no data rows under the header row", received=0),)),
    Case("header_block_without_table", "empty", S,
         (InputFile(NAME, "Mã tỉnh,34\r\nKỳ báo cáo,2025-06\r\n".encode()),),
         (rejected(NAME, "no header row", received=2),)),
    Case("empty_xlsx", "empty", S, (InputFile(XNAME, empty_workbook),),
         (rejected(XNAME, "no sheet has a header row", received=0),)),
    Case("header_only_xlsx", "empty", S, (InputFile(XNAME, lambda: xlsx_bytes([])),),
         (rejected(XNAME, "no data rows under the header row", received=0),)),
    # --- columns
    Case("extra_columns", "columns", S,
         (InputFile(NAME, csv_bytes([["1"] + r + ["?"] for r in clean_rows()], headers=["STT"] + HEADERS + ["Cột phụ"])),),
         (accepted(NAME, warnings=("ignored columns: STT, Cột phụ",)),)),
    Case("missing_required_column", "columns", S,
         (InputFile(NAME, csv_bytes([r[:HQ] + r[HQ + 1:] for r in clean_rows()], headers=HEADERS[:HQ] + HEADERS[HQ + 1:])),),
         (rejected(NAME, "required column(s) missing: 'Trụ sở' (hq_status)"),)),
    Case("two_headers_same_column", "columns", S,
         (InputFile(NAME, csv_bytes([r + [r[CODE]] for r in clean_rows()], headers=HEADERS + ["Mã xã"])),),
         (rejected(NAME, "'Mã đơn vị' and 'Mã xã' both mean unit_code"),)),
    Case("row_with_extra_cells", "columns", S,
         (InputFile(NAME, csv_bytes([r + (["lạc cột"] if i == 1 else []) for i, r in enumerate(clean_rows())])),),
         (accepted(NAME, 3, 1, cells=((LINE(1), None, "row has 13 cells but the header has 12"),)),)),
    Case("row_with_missing_cells", "columns", S,
         (InputFile(NAME, csv_bytes([r[:6] if i == 2 else r for i, r in enumerate(clean_rows())])),),
         (accepted(NAME, 3, 1, cells=((LINE(2), None, "row has 6 cells but the header has 12"),)),)),
    Case("unclosed_quote", "columns", S,
         (InputFile(NAME, UTF8_ROWS.replace(clean_rows()[1][UNIT_NAME], '"' + clean_rows()[1][UNIT_NAME], 1).encode()),),
         (Expect(NAME, "accepted", loaded=1, quarantined=1, cells=((LINE(1), None, "cells"),)),),
         note="the quote swallows the rest of the file into one record, which is quarantined"),
    Case("header_row_too_far_down", "columns", S,
         (InputFile(NAME, ("Ghi chú\r\n" * 31).encode() + csv_bytes(header_block=False)),),
         (Expect(NAME, "rejected", ("no header row with the contract's column names in the first 30 lines",),
                 loaded=0),)),
    # --- XLSX structure
    Case("xlsx_guide_sheet_first", "xlsx", S, (InputFile(XNAME, lambda: xlsx_bytes(guide_sheet=True)),),
         (accepted(XNAME, warnings=("other sheets ignored: Hướng dẫn",)),)),
    Case("xlsx_merged_cells", "xlsx", S, (InputFile(XNAME, xlsx_merged),),
         (accepted(XNAME, 3, 1, cells=((7, "hq_status", "missing HQ status"),)),),
         note="a merged cell holds its value in the top-left cell only: the unit under it has no HQ status"),
    Case("xlsx_formulas", "xlsx", S, (InputFile(XNAME, xlsx_with_formulas),),
         (accepted(XNAME, 2, 2, cells=((5, "regular_officers", "not a whole number"),
                                       (5, None, "Excel error #DIV/0! in cell D5"),
                                       (6, "regular_officers", "missing value"),
                                       (6, None, "formula in cell D6 was saved without its value"))),),
         note="a formula reads as its cached value; an error result is quarantined with the error text, a formula "
              "saved without a value as such"),
    Case("xlsx_error_cells", "xlsx", S, (InputFile(XNAME, xlsx_with_error_cells),),
         (accepted(XNAME, 2, 2, cells=((4, "regular_officers", "not a whole number"),
                                       (4, None, "Excel error #REF! in cell D4"),
                                       (5, "heads", "not a whole number"),
                                       (5, None, "Excel error #N/A in cell E5"))),),
         note="calamine reads error cells as empty; the sheet XML is searched for them so the reason names the "
              "error and the cell"),
    Case("xlsx_truncated", "xlsx", S, (InputFile(XNAME, truncated_xlsx),),
         (rejected(XNAME, "not a readable XLSX workbook", received=0),)),
    Case("xlsx_random_bytes", "xlsx", S, (InputFile(XNAME, b"PK\x03\x04" + bytes(range(256)) * 8),),
         (rejected(XNAME, "not a readable XLSX workbook", received=0),)),
    Case("csv_named_xlsx", "xlsx", S, (InputFile(XNAME, csv_bytes()),),
         (rejected(XNAME, "not a readable XLSX workbook", received=0),)),
    Case("xlsx_named_csv", "xlsx", S, (InputFile(NAME, xlsx_bytes),), (accepted(NAME),),
         note="the content decides: an XLSX saved under a .csv name is read as a workbook"),
    Case("xlsx_no_contract_header", "xlsx", S,
         (InputFile(XNAME, lambda: xlsx_bytes(headers=["Cột A", "Cột B", "Cột C"])),),
         (rejected(XNAME, "no sheet has a header row", received=0),)),
    Case("xlsx_fractional_counts", "xlsx", S,
         (InputFile(XNAME, lambda: xlsx_bytes(edit=lambda ws: ws.__setitem__("D5", 6.5))),),
         (accepted(XNAME, 3, 1, cells=((5, "regular_officers", "not a whole number"),)),)),
    # --- bombs and size limits
    Case("zip_bomb_ratio", "bombs and limits", S, (InputFile(XNAME, ratio_bomb_xlsx),),
         (rejected(XNAME, "zip bomb", "compression ratio", received=0),)),
    Case("zip_bomb_total_size", "bombs and limits", S, (InputFile(XNAME, oversized_xlsx),),
         (rejected(XNAME, "zip bomb", "expands to", received=0),)),
    Case("zip_bomb_lying_sizes", "bombs and limits", S, (InputFile(XNAME, lying_size_xlsx),),
         (rejected(XNAME, "not a readable XLSX workbook", received=0),)),
    Case("zip_many_entries", "bombs and limits", S, (InputFile(XNAME, many_entries_xlsx),),
         (rejected(XNAME, "entries", received=0),)),
    Case("xml_bomb_billion_laughs", "bombs and limits", S, (InputFile(XNAME, xml_bomb_xlsx),),
         (rejected(XNAME, "DOCTYPE", received=0),)),
    Case("file_over_size_limit", "bombs and limits", S,
         (InputFile(NAME, write=sparse(contract.MAX_SUBMISSION_BYTES + 1)),),
         (rejected(NAME, "over the", "byte limit", received=0),)),
    Case("huge_row", "bombs and limits", S,
         (InputFile(NAME, csv_bytes(rows_with({(2, NOTES): "x" * (contract.MAX_LINE_BYTES + 10)}))),),
         (rejected(NAME, f"line {LINE(2)} is", "bytes long", "per line"),)),
    # --- numbers
    one_bad_cell("thousands_separator_dot", "numbers", 1, OFFICERS, "1.287", "regular_officers", "thousands separator"),
    one_bad_cell("thousands_separator_comma", "numbers", 1, OFFICERS, "1,287", "regular_officers",
                 "thousands separator"),
    one_bad_cell("number_in_words", "numbers", 0, OFFICERS, "năm", "regular_officers", "not a whole number"),
    one_bad_cell("number_with_unit", "numbers", 0, DEPUTIES, "2 đ/c", "deputies", "not a whole number"),
    one_bad_cell("decimal_count", "numbers", 3, CA_VIEN, "2.5", "ca_vien", "not a whole number"),
    one_bad_cell("fullwidth_digits", "numbers", 3, OFFICERS, "１０", "regular_officers", "not a whole number"),
    one_bad_cell("negative_count", "numbers", 2, DEPUTIES, "-3", "deputies", "negative count"),
    one_bad_cell("absurd_count", "numbers", 2, OFFICERS, "999", "regular_officers", "implausible"),
    one_bad_cell("twenty_digit_count", "numbers", 2, OFFICERS, "12345678901234567890", "regular_officers",
                 "implausible"),
    one_bad_cell("two_heads", "numbers", 1, HEADS, "2", "heads", "at most 1 head"),
    one_bad_cell("missing_required_count", "numbers", 1, HEADS, "", "heads", "missing value"),
    one_bad_cell("heads_deputies_exceed_officers", "numbers", 0, OFFICERS, "2", "regular_officers",
                 "fewer than heads + deputies"),
    # --- units
    one_bad_cell("unknown_unit_code", "units", 0, CODE, "99999", "unit_code",
                 "does not exist in the legacy 63-province map"),
    Case("legacy_code_in_2025_file", "units", S,
         (InputFile("33_2025-08.csv", csv_bytes([[units()[0].unit_code] + V2025_ROWS[0][1:]] + V2025_ROWS[1:],
                                                province="33", period="2025-08")),),
         (accepted("33_2025-08.csv", 3, 1, cells=((LINE(0), "unit_code", "does not exist in the 2025 34-province map"),)),)),
    one_bad_cell("unit_of_another_province", "units", 3, CODE, OTHER_PROVINCE_UNIT, "unit_code",
                 "belongs to province 36"),
    one_bad_cell("unit_code_with_letters", "units", 1, CODE, "12A33", "unit_code", "must be 5 digits"),
    one_bad_cell("unknown_hq_status", "units", 1, HQ, "Tạm mượn nhà văn hóa", "hq_status", "unknown HQ status"),
    Case("duplicated_unit", "units", S, (InputFile(NAME, csv_bytes(clean_rows() + [clean_rows()[1]])),),
         (accepted(NAME, 3, 2, cells=((LINE(1), "unit_code", "appears 2 times"),
                                      (LINE(4), "unit_code", "appears 2 times"))),)),
    Case("total_row", "units", S,
         (InputFile(NAME, csv_bytes(clean_rows() + [["", "Tổng cộng", "", "1.287", "4", "8", "", "", "", "", "", ""]])),),
         (accepted(NAME, 4, 1, cells=((LINE(4), "unit_name", "a totals row"),)),)),
    # --- province / period between name and content
    Case("province_mismatch", "name vs content", S, (InputFile("36_2025-06.csv", csv_bytes()),),
         (rejected("36_2025-06.csv", "file name says province 36 but the file says 34"),)),
    Case("period_mismatch", "name vs content", S, (InputFile("34_2025-05.csv", csv_bytes()),),
         (rejected("34_2025-05.csv", "file name says period 2025-05 but the file says 2025-06"),)),
    Case("period_mismatch_in_columns", "name vs content", S,
         (InputFile(NAME, csv_bytes([r + ["34", "05/2025"] for r in clean_rows()], header_block=False,
                                    headers=HEADERS + ["Mã tỉnh", "Kỳ báo cáo"])),),
         (rejected(NAME, "file name says period 2025-06 but every row says 05/2025"),)),
    Case("one_row_of_another_province", "name vs content", S,
         (InputFile(NAME, csv_bytes([r + ["36" if i == 2 else "34", "2025-06"] for i, r in enumerate(clean_rows())],
                                    header_block=False, headers=HEADERS + ["Mã tỉnh", "Kỳ báo cáo"])),),
         (accepted(NAME, 3, 1, cells=((4, "province_code", "row says province 36 but the file is for 34"),)),)),
    Case("unparseable_period_in_header", "name vs content", S,
         (InputFile(NAME, csv_bytes(period="quý 2/2025")),), (rejected(NAME, "'quý 2/2025' is not a month"),)),
    Case("province_not_in_map", "name vs content", S, (InputFile("99_2025-06.csv", csv_bytes(province="99")),),
         (rejected("99_2025-06.csv", "province code 99 does not exist in the legacy 63-province map"),)),
    Case("legacy_province_after_reform", "name vs content", S,
         (InputFile("34_2025-08.csv", csv_bytes(period="2025-08")),),
         (rejected("34_2025-08.csv", "province code 34 does not exist in the 2025 34-province map"),)),
    Case("impossible_period_in_name", "name vs content", S, (InputFile("34_2025-13.csv", csv_bytes()),),
         (rejected("34_2025-13.csv", "impossible period '2025-13'"),)),
    # --- resubmissions
    Case("conflicting_resubmission", "resubmissions", S,
         (InputFile(NAME, csv_bytes()),
          InputFile("34_2025-06_v2.csv", csv_bytes(rows_with({(0, OFFICERS): "12", (1, HQ): "doc_lap"})), mtime_offset=60)),
         (Expect(NAME, "superseded", loaded=N_UNITS, quarantined=0), accepted("34_2025-06_v2.csv"))),
    Case("resubmission_received_earlier_loses", "resubmissions", S,
         (InputFile(NAME, csv_bytes(), mtime_offset=60),
          InputFile("34_2025-06_v2.csv", csv_bytes(rows_with({(0, OFFICERS): "12"})))),
         (accepted(NAME), Expect("34_2025-06_v2.csv", "superseded", loaded=N_UNITS, quarantined=0)),
         note="the contract: the later received time wins, whatever the suffix"),
    Case("v10_beats_v9_on_equal_times", "resubmissions", S,
         (InputFile("34_2025-06_v9.csv", csv_bytes()),
          InputFile("34_2025-06_v10.csv", csv_bytes(rows_with({(0, OFFICERS): "12"})))),
         (Expect("34_2025-06_v9.csv", "superseded", loaded=N_UNITS, quarantined=0), accepted("34_2025-06_v10.csv"))),
    Case("broken_resubmission_keeps_previous", "resubmissions", S,
         (InputFile(NAME, csv_bytes()),
          InputFile("34_2025-06_v2.csv", encode_cp1258(csv_text(clean_rows())), mtime_offset=60)),
         (accepted(NAME), rejected("34_2025-06_v2.csv", "not valid UTF-8"))),
    Case("same_bytes_twice", "resubmissions", S,
         (InputFile(NAME, csv_bytes()), InputFile("34_2025-06_copy.csv", csv_bytes(), mtime_offset=60)),
         (accepted(NAME), Expect("34_2025-06_copy.csv", "skipped"))),
    # --- file names
    Case("backslash_traversal_name", "file names", S, (InputFile("x\\..\\..\\34_2025-06.csv", csv_bytes()),),
         (rejected("x\\..\\..\\34_2025-06.csv", "does not follow"),)),
    Case("symlink_out_of_landing", "file names", S, (InputFile(NAME, write=symlink_outside(csv_bytes())),),
         (Expect(NAME, "rejected", ("symbolic link",), loaded=0, quarantined=0),)),
    Case("fullwidth_digits_in_name", "file names", S, (InputFile("３４_２０２５-０６.csv", csv_bytes()),),
         (rejected("３４_２０２５-０６.csv", "does not follow"),)),
    Case("cyrillic_lookalike_extension", "file names", S, (InputFile("34_2025-06.\u0441sv", csv_bytes()),),
         (rejected("34_2025-06.\u0441sv", "unsupported file type"),)),
    Case("zero_width_after_extension", "file names", S, (InputFile("34_2025-06.csv\u200b", csv_bytes()),),
         (rejected("34_2025-06.csv\u200b", "unsupported file type"),)),
    Case("newline_in_name", "file names", S, (InputFile("34_2025-06\n.csv", csv_bytes()),),
         (rejected("34_2025-06\n.csv", "does not follow"),)),
    Case("very_long_name", "file names", S, (InputFile("34_2025-06_" + "v" * 230 + ".csv", csv_bytes()),),
         (rejected("34_2025-06_" + "v" * 230 + ".csv", "does not follow"),)),
    Case("very_long_extension", "file names", S, (InputFile("34_2025-06." + "c" * 240, csv_bytes()),),
         (rejected("34_2025-06." + "c" * 240, "unsupported file type"),)),
    Case("no_extension", "file names", S, (InputFile("34_2025-06", csv_bytes()),),
         (rejected("34_2025-06", "unsupported file type '(none)'"),)),
    Case("upper_case_extension", "file names", S, (InputFile("34_2025-06.CSV", csv_bytes()),),
         (accepted("34_2025-06.CSV"),)),
    # --- news files
    Case("news_empty_txt", "news", N, (InputFile("empty.txt", b""),), (Expect("empty.txt", "rejected", ("empty file",)),)),
    Case("news_whitespace_txt", "news", N, (InputFile("blank.txt", b"\n \r\n\t\n"),),
         (Expect("blank.txt", "rejected", ("empty file",)),)),
    Case("news_binary_txt", "news", N, (InputFile("scan.txt", b"%PDF-1.4\x00\x01\x02\x03binary"),),
         (Expect("scan.txt", "rejected", ("binary file",)),)),
    Case("news_png_named_html", "news", N, (InputFile("photo.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),),
         (Expect("photo.html", "rejected", ("binary file",)),)),
    Case("news_utf16_txt", "news", N, (InputFile("utf16.txt", ARTICLE.encode("utf-16")),),
         (Expect("utf16.txt", "rejected", ("UTF-16", "save it as UTF-8")),)),
    Case("news_cp1258_txt", "news", N, (InputFile("ansi.txt", encode_cp1258("tiêu đề\n\n" + ARTICLE)),),
         (Expect("ansi.txt", "rejected", ("invalid UTF-8 at byte", "line 1")),)),
    Case("news_jsonl_bad_second_line", "news", N,
         (InputFile("mixed.jsonl", news_jsonl({"url": "https://a.vn/1", "text": ARTICLE}, "{not json")),),
         (Expect("mixed.jsonl", "rejected", ("line 2: invalid JSON",)),),
         note="the valid first line is not loaded either: a file loads whole or not at all"),
    Case("news_jsonl_missing_text", "news", N, (InputFile("notext.jsonl", news_jsonl({"url": "https://a.vn/2"})),),
         (Expect("notext.jsonl", "rejected", ("line 1: missing or empty 'text' field",)),)),
    Case("news_jsonl_array_line", "news", N, (InputFile("array.jsonl", news_jsonl("[1, 2, 3]")),),
         (Expect("array.jsonl", "rejected", ("line 1: expected a JSON object",)),)),
    Case("news_txt_headers_only", "news", N, (InputFile("headers.txt", b"url: https://a.vn/3\ntitle: X\n\n"),),
         (Expect("headers.txt", "rejected", ("no article text",)),)),
    Case("news_html_without_text", "news", N, (InputFile("empty.html", b"<html><head></head><body></body></html>"),),
         (Expect("empty.html", "rejected", ("no article text",)),)),
    Case("news_unsupported_type", "news", N, (InputFile("report.pdf", b"%PDF-1.4 ..."),),
         (Expect("report.pdf", "rejected", ("unsupported file type '.pdf'",)),)),
    Case("news_over_size_limit", "news", N, (InputFile("huge.txt", write=sparse(news_ingest.MAX_FILE_BYTES + 1)),),
         (Expect("huge.txt", "rejected", ("over the", "byte limit")),)),
    Case("news_symlink_out_of_landing", "news", N,
         (InputFile("linked.txt", write=symlink_outside(ARTICLE.encode())),),
         (Expect("linked.txt", "rejected", ("symbolic link",)),)),
    Case("news_very_long_extension", "news", N, (InputFile("a." + "t" * 240, ARTICLE.encode()),),
         (Expect("a." + "t" * 240, "rejected", ("unsupported file type",)),)),
]

# a valid file of each kind, ingested next to the whole catalogue to show bad neighbours do not hurt it
VALID_SUBMISSION = InputFile("37_2025-09.csv", lambda: csv_bytes(clean_rows("37", contract.MAP_2025), province="37",
                                                                  period="2025-09"))
VALID_NEWS = InputFile("valid_article.txt", ("title: Thái Bình\n\n" + ARTICLE).encode())


def categories() -> list[str]:
    return sorted({c.category for c in CASES})
