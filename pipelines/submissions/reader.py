"""Read province submission files into one Arrow table of raw cell text, in bulk (no Dagster import).

Per file we only sniff the head in Python (encoding, delimiter, header block, header row). The data rows of
CSV files are then read by DuckDB's CSV reader, many files per call (files with the same shape share one
`read_csv`), and XLSX sheets through python-calamine into Arrow. Every value stays text here: typing and row
rules happen in SQL over the whole batch (see ingest.py), so that every cell can be quarantined with its raw
value and a reason.

A file that cannot be read as a submission (wrong encoding, no header row, missing required columns, name and
content disagreeing...) is rejected whole with reasons; its rows are still counted so that
received = loaded + quarantined holds for every file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.submissions import contract

MAX_FILE_BYTES = contract.MAX_SUBMISSION_BYTES  # the size limits live in the contract
HEAD_LINES = 30  # the header row must appear within the first lines
MIN_HEADER_MATCHES = 3
SNIFF_DELIMITERS = (",", ";", "\t", "|")
ROW_COLUMNS = ("file_id", "sheet", "row_number") + tuple(c.name for c in contract.COLUMNS) + (
    "meta_province_code", "meta_period", "row_problem")


@dataclass
class FileShape:
    """What sniffing the head of a file found."""

    kind: str  # csv | xlsx
    encoding: str | None = None  # python codec for CSV
    delimiter: str = ","
    header_index: int = 0  # 0-based line/row index of the header row
    raw_headers: tuple[str, ...] = ()
    columns: dict[str, int] = field(default_factory=dict)  # canonical name -> position
    meta: dict[str, str] = field(default_factory=dict)  # province_code / period from the header block
    ignored_headers: tuple[str, ...] = ()
    sheet: str | None = None
    mixed_newlines: bool = False  # CRLF, LF and CR mixed: read by the exact Python path, not DuckDB's


@dataclass
class ParsedFile:
    """One input file after reading: its identity, what it claims to be, and either rows or rejection reasons."""

    path: Path
    file_id: str  # sha256 of the content
    name_province: str | None
    name_period: str | None
    province_code: str | None = None
    period: str | None = None
    fmt: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows_received: int = 0
    shape: FileShape | None = None
    raw_lines: list[tuple[int, str]] = field(default_factory=list)  # (row number, raw text) for rejected files

    @property
    def rejected(self) -> bool:
        return bool(self.errors)


def parse_file_name(name: str) -> tuple[str | None, str | None, str | None]:
    """(province, period, error) from '<province>_<YYYY-MM>[_suffix].csv|xlsx'."""
    m = contract.FILE_NAME_RE.match(name)
    if not m:
        return None, None, (f"file name {name!r} does not follow '<province code>_<YYYY-MM>[_<suffix>].csv|xlsx' "
                            "(e.g. 34_2025-06.csv)")
    period = contract.parse_period(m.group("period"))
    if period is None:
        return m.group("province"), None, f"file name {name!r} has an impossible period {m.group('period')!r}"
    return m.group("province"), period, None


def _decode(data: bytes) -> tuple[str | None, str | None, str | None]:
    """(text, python codec, error) for the encodings the contract accepts."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None, None, "UTF-32 text is not accepted: save the file as 'CSV UTF-8' or 'Unicode text'"
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and data[:4096].count(b"\x00") * 4 > len(
            data[:4096]):
        return None, None, ("looks like UTF-16 without a byte-order mark (NUL bytes between the letters): "
                            "save the file as 'CSV UTF-8' or 'Unicode text'")
    if data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    elif data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        codec = "utf-16"
    else:
        codec = "utf-8"
    try:
        return data.decode(codec), codec, None
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, None, (f"not valid {codec.upper().replace('-SIG', ' with BOM')} text (byte 0x{data[exc.start]:02x} "
                            f"at offset {exc.start}, line {line}): save the file as 'CSV UTF-8' or 'Unicode text'")


def _meta_from_cells(cells: list[str], meta: dict[str, str]) -> None:
    """Pick 'Mã tỉnh: 34' / 'Kỳ báo cáo,2025-06' style header-block cells."""
    cells = [c.strip() for c in cells if c is not None and str(c).strip()]
    if not cells:
        return
    first = str(cells[0])
    label, _, inline = first.partition(":")
    key = contract.canonical_header(label)
    if key not in contract.META_COLUMNS:
        return
    value = inline.strip() or (str(cells[1]).strip() if len(cells) > 1 else "")
    if value:
        meta.setdefault(key, value)


def find_header(rows: list[list[str]]) -> tuple[int | None, dict[str, str]]:
    """Index of the header row (first row with >= 3 contract headers) and the header-block meta above it."""
    meta: dict[str, str] = {}
    for index, cells in enumerate(rows[:HEAD_LINES]):
        names = [contract.canonical_header(c) for c in cells]
        if sum(1 for n in names if n and n not in contract.META_COLUMNS) >= MIN_HEADER_MATCHES:
            return index, meta
        _meta_from_cells([str(c) for c in cells], meta)
    return None, meta


def map_headers(raw_headers: list[str]) -> tuple[dict[str, int], list[str], list[str]]:
    """Canonical column -> position; the headers we ignore; errors (duplicate or missing required columns)."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    errors: list[str] = []
    for pos, header in enumerate(raw_headers):
        name = contract.canonical_header(header)
        if name is None:
            if str(header).strip():
                ignored.append(str(header).strip())
            continue
        if name in columns:
            errors.append(f"columns {raw_headers[columns[name]]!r} and {header!r} both mean {name}")
            continue
        columns[name] = pos
    missing = [c for c in contract.REQUIRED_COLUMNS if c not in columns]
    if missing:
        labels = ", ".join(f"{contract.COLUMN_BY_NAME[c].header_vi!r} ({c})" for c in missing)
        errors.append(f"required column(s) missing: {labels}")
    return columns, ignored, errors


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter under which some early line reads as a contract header row (',' when none does)."""
    for line in lines:
        for delim in SNIFF_DELIMITERS:
            if delim not in line:
                continue
            cells = next(csv.reader([line], delimiter=delim))
            if sum(1 for c in cells if contract.canonical_header(c)) >= MIN_HEADER_MATCHES:
                return delim
    return ","


def _count_data_lines(text: str, header_index: int | None) -> list[tuple[int, str]]:
    lines = text.splitlines()
    start = 0 if header_index is None else header_index + 1
    return [(i + 1, line) for i, line in enumerate(lines) if i >= start and line.strip(" ,;\t\r")]


def long_line_error(data: bytes) -> str | None:
    """The first line longer than contract.MAX_LINE_BYTES, as a rejection reason (None when every line fits)."""
    if len(data) <= contract.MAX_LINE_BYTES:
        return None
    separator = b"\n" if b"\n" in data else b"\r"
    lengths = [len(line) for line in data.split(separator)]
    if max(lengths) <= contract.MAX_LINE_BYTES:
        return None
    number = next(i for i, n in enumerate(lengths, start=1) if n > contract.MAX_LINE_BYTES)
    return (f"line {number} is {lengths[number - 1]:,} bytes long, over the {contract.MAX_LINE_BYTES:,}-byte "
            "limit per line: a unit's row is a few hundred bytes")


def sniff_csv(parsed: ParsedFile, data: bytes) -> None:
    """Decode, find delimiter, header block and header row of a CSV file; sets errors when unreadable."""
    text, codec, error = _decode(data)
    if error:
        # Count the rows anyway so the rejection accounts for every row: Vietnamese ANSI (Windows-1258) is the
        # usual culprit, so look for the header row in that reading first.
        candidates = ["cp1258", "utf-8"]  # a mixed file reads best as UTF-8 with its bad bytes replaced
        if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            candidates.insert(0, "utf-32")
        elif b"\x00" in data[:4096]:
            candidates.insert(0, "utf-16-be" if data[:1] == b"\x00" else "utf-16-le")
        for lenient_codec in candidates + ["cp1258"]:
            lenient = data.decode(lenient_codec, errors="replace")
            lines = lenient.splitlines()[:HEAD_LINES]
            header_index, _ = find_header(list(csv.reader(lines, delimiter=_sniff_delimiter(lines))))
            if header_index is not None:
                break
        if header_index is not None and lenient_codec == "cp1258":
            error += " (it reads as Windows-1258, the old Vietnamese ANSI code page)"
        parsed.errors.append(error)
        parsed.raw_lines = _count_data_lines(lenient, header_index)
        parsed.rows_received = len(parsed.raw_lines)
        return
    parsed.encoding = codec
    if not text.strip(" ,;\t|\r\n\ufeff"):
        parsed.errors.append("file is empty" if not text.strip() else "file is empty (no cell holds a value)")
        return
    head = text.splitlines()[:HEAD_LINES]
    delimiter = _sniff_delimiter(head)
    rows = list(csv.reader(head, delimiter=delimiter))
    header_index, meta = find_header(rows)
    if header_index is None:
        parsed.errors.append(f"no header row with the contract's column names in the first {HEAD_LINES} lines")
        parsed.raw_lines = _count_data_lines(text, None)
        parsed.rows_received = len(parsed.raw_lines)
        return
    raw_headers = [h.strip() for h in rows[header_index]]
    columns, ignored, errors = map_headers(raw_headers)
    crlf = text.count("\r\n")
    endings = (crlf, text.count("\n") - crlf, text.count("\r") - crlf)
    parsed.shape = FileShape("csv", codec, delimiter, header_index, tuple(raw_headers), columns, meta,
                             tuple(ignored), mixed_newlines=sum(1 for n in endings if n) > 1)
    long_line = long_line_error(data)
    if long_line:
        errors.insert(0, long_line)
    if errors:
        parsed.errors.extend(errors)
        parsed.raw_lines = _count_data_lines(text, header_index)
        parsed.rows_received = len(parsed.raw_lines)


def _cell_text(value: object) -> str | None:
    """Calamine cell -> text as the clerk typed it: integral floats lose their '.0'; empty -> None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if hasattr(value, "hour") is False else value.isoformat()
    return str(value)


def xlsx_refusal(path: Path) -> str | None:
    """Why a workbook must not be opened (zip or XML bomb), checked on the zip before any XML parser sees it."""
    bomb = "refused as a possible zip bomb"
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > contract.MAX_XLSX_ENTRIES:
            return f"XLSX has {len(infos):,} entries, over the {contract.MAX_XLSX_ENTRIES:,}-entry limit: {bomb}"
        declared = sum(info.file_size for info in infos)
        if declared > contract.MAX_XLSX_UNCOMPRESSED_BYTES:
            return (f"XLSX expands to {declared:,} bytes, over the {contract.MAX_XLSX_UNCOMPRESSED_BYTES:,}-byte "
                    f"limit: {bomb}")
        total = 0
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > contract.XLSX_RATIO_MIN_BYTES and ratio > contract.MAX_XLSX_COMPRESSION_RATIO:
                return (f"XLSX part {info.filename!r} has a compression ratio of {ratio:,.0f}:1, over the "
                        f"{contract.MAX_XLSX_COMPRESSION_RATIO}:1 limit: {bomb}")
            # Decompress for real: sizes in the zip headers can lie (a lie fails the CRC check: BadZipFile), and
            # no XML part of a workbook has a DTD, the vehicle of entity-expansion (billion laughs) bombs.
            is_xml = info.filename.lower().endswith((".xml", ".rels", ".vml"))
            with zf.open(info) as part:
                tail = b""
                while chunk := part.read(1 << 20):
                    total += len(chunk)
                    if total > contract.MAX_XLSX_UNCOMPRESSED_BYTES:
                        return (f"XLSX expands to more than {contract.MAX_XLSX_UNCOMPRESSED_BYTES:,} bytes: {bomb}")
                    if is_xml and (b"<!DOCTYPE" in tail + chunk or b"<!ENTITY" in tail + chunk):
                        return (f"XLSX part {info.filename!r} declares a DTD (<!DOCTYPE>/<!ENTITY>), which no "
                                "workbook has: refused as a possible XML bomb")
                    tail = chunk[-16:]
    return None


def read_xlsx(parsed: ParsedFile) -> list[tuple[int, list[str | None]]] | None:
    """Read the submission sheet of an XLSX file; returns the data rows (with header found) or None on error."""
    from python_calamine import CalamineWorkbook

    try:
        refusal = xlsx_refusal(parsed.path)
        if refusal:
            parsed.errors.append(refusal)
            return None
        workbook = CalamineWorkbook.from_path(str(parsed.path))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        parsed.errors.append(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})")
        return None
    except Exception as exc:  # calamine raises its own error types for corrupt parts
        parsed.errors.append(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})")
        return None
    chosen = None
    for name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:
            parsed.warnings.append(f"sheet {name!r} unreadable ({exc})")
            continue
        text_rows = [[_cell_text(v) for v in row] for row in rows]
        header_index, meta = find_header([[c or "" for c in r] for r in text_rows])
        if header_index is not None:
            chosen = (name, text_rows, header_index, meta)
            break
    if chosen is None:
        parsed.errors.append(f"no sheet has a header row with the contract's column names "
                             f"(sheets: {', '.join(workbook.sheet_names)})")
        return None
    name, text_rows, header_index, meta = chosen
    if len(workbook.sheet_names) > 1:
        parsed.warnings.append(f"read sheet {name!r}; other sheets ignored: "
                               f"{', '.join(s for s in workbook.sheet_names if s != name)}")
    raw_headers = [(c or "").strip() for c in text_rows[header_index]]
    columns, ignored, errors = map_headers(raw_headers)
    parsed.sheet = name
    parsed.shape = FileShape("xlsx", None, ",", header_index, tuple(raw_headers), columns, meta, tuple(ignored),
                             name)
    data = [(i + 1, r) for i, r in enumerate(text_rows) if i > header_index and any(c for c in r)]
    if errors:
        parsed.errors.extend(errors)
        parsed.raw_lines = [(n, " | ".join(c or "" for c in r)) for n, r in data]
        parsed.rows_received = len(data)
        return None
    return data


def _rows_to_columns(parsed: ParsedFile, numbered_rows: list[tuple[int, list[str | None]]],
                     check_width: bool) -> dict[str, list]:
    """(row number, cells) rows -> contract columns, for the Python (XLSX / ragged CSV) path."""
    shape = parsed.shape
    assert shape is not None
    out: dict[str, list] = {name: [] for name in ROW_COLUMNS}
    width = len(shape.raw_headers)
    for number, cells in numbered_rows:
        out["file_id"].append(parsed.file_id)
        out["sheet"].append(shape.sheet)
        out["row_number"].append(number)
        for col in contract.COLUMNS:
            pos = shape.columns.get(col.name)
            out[col.name].append(cells[pos] if pos is not None and pos < len(cells) else None)
        for meta_name, key in (("province_code", "meta_province_code"), ("period", "meta_period")):
            pos = shape.columns.get(meta_name)
            out[key].append(cells[pos] if pos is not None and pos < len(cells) else None)
        extra = [c for c in cells[width:] if c not in (None, "")]
        if check_width and len(cells) != width:
            problem = f"row has {len(cells)} cells but the header has {width}"
        elif extra:
            problem = f"values beyond the header's last column: {extra[:3]}"
        else:
            problem = None
        out["row_problem"].append(problem)
    return out


def _csv_python_rows(parsed: ParsedFile, data: bytes) -> list[tuple[int, list[str | None]]]:
    """Exact CSV path for ragged files: every record with the line it starts on."""
    shape = parsed.shape
    assert shape is not None and shape.encoding is not None
    text = data.decode(shape.encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=shape.delimiter)
    rows: list[tuple[int, list[str | None]]] = []
    start = 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if line <= shape.header_index + 1 or not any(c.strip() for c in record):
            continue
        rows.append((line, [c if c != "" else None for c in record]))
    return rows


def read_csv_group(con: duckdb.DuckDBPyConnection, files: list[ParsedFile]) -> list[ParsedFile]:
    """Read CSV files of one physical layout with one DuckDB read_csv straight into `_incoming_all`.

    Files share a call when they share encoding, delimiter, header line and column count; each file's own
    column order is applied in SQL from a small per-file position table. Line numbers come from WITH
    ORDINALITY (the scan keeps file order). A file in which DuckDB rejected a line (a ragged row) is removed
    again and handed back, to be read whole by the exact Python path.
    """
    shape = files[0].shape
    assert shape is not None
    width = len(shape.raw_headers)
    encoding = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16"}[shape.encoding or "utf-8"]
    targets = [c.name for c in contract.COLUMNS] + ["province_code", "period"]
    positions = {name: [f.shape.columns.get(name) for f in files] for name in targets}
    con.register("_group_files", pa.table({"path": [str(f.path) for f in files],
                                           "file_id": [f.file_id for f in files],
                                           **{f"p_{n}": pa.array(v, pa.int32()) for n, v in positions.items()}}))

    def pick(name: str) -> str:
        # Column references are positions computed here (c0, c1, ...); no input value enters the SQL text.
        branches = " ".join(f"when {i} then r.c{i}" for i in range(width))
        return f"case g.p_{name} {branches} end"

    selects = ", ".join(f"{pick(c.name)} as {c.name}" for c in contract.COLUMNS)
    try:
        con.execute("drop table if exists reject_errors; drop table if exists reject_scans")
        con.execute(
            f"""insert into _incoming_all by name
            select g.file_id, null as sheet,
                   ? + (r.ordinality - min(r.ordinality) over (partition by r.filename) + 1)
                       as row_number,
                   {selects}, {pick("province_code")} as meta_province_code, {pick("period")} as meta_period,
                   null as row_problem
            from read_csv(?, skip = ?, header = true, all_varchar = true,
                          delim = ?, quote = '"', escape = '"', encoding = ?, filename = true,
                          store_rejects = true, null_padding = false, auto_detect = false, columns = ?)
                 with ordinality as r
            inner join _group_files as g on g.path = r.filename""",
            [shape.header_index + 1, [str(f.path) for f in files], shape.header_index, shape.delimiter, encoding,
             {f"c{i}": "VARCHAR" for i in range(width)}],
        )
        rejected = {r[0] for r in con.execute(
            "select distinct g.file_id from reject_errors e join reject_scans s using (scan_id, file_id) "
            "join _group_files g on g.path = s.file_path").fetchall()}
        if rejected:
            con.execute("delete from _incoming_all where list_contains(?, file_id)", [sorted(rejected)])
    finally:
        con.unregister("_group_files")
    return [f for f in files if f.file_id in rejected]


ROW_SCHEMA = pa.schema([("file_id", pa.string()), ("sheet", pa.string()), ("row_number", pa.int64())] +
                       [(name, pa.string()) for name in ROW_COLUMNS[3:]])


def resolve_identity(parsed: ParsedFile) -> None:
    """Cross-check province and period from the file name against the header block (rejects on mismatch)."""
    shape = parsed.shape
    meta = shape.meta if shape else {}
    content_province = meta.get("province_code")
    content_period = contract.parse_period(meta["period"]) if meta.get("period") else None
    if meta.get("period") and content_period is None:
        parsed.errors.append(f"header block period {meta['period']!r} is not a month (YYYY-MM)")
    if content_province is not None:
        content_province = re.sub(r"\D", "", content_province).zfill(2)[:2] if re.search(r"\d", content_province) \
            else content_province
    if content_province and parsed.name_province and content_province != parsed.name_province:
        parsed.errors.append(f"file name says province {parsed.name_province} but the file says {content_province}")
    if content_period and parsed.name_period and content_period != parsed.name_period:
        parsed.errors.append(f"file name says period {parsed.name_period} but the file says {content_period}")
    parsed.province_code = parsed.name_province or content_province
    parsed.period = parsed.name_period or content_period


def count_rejected_rows(parsed: ParsedFile, data: bytes) -> None:
    """For a file rejected before reading (bad name, type): still find and keep its data rows for the audit."""
    errors = list(parsed.errors)
    parsed.errors = []
    if data[:4] == b"PK\x03\x04":
        rows = read_xlsx(parsed)
        if rows is not None:
            parsed.raw_lines = [(n, " | ".join(c or "" for c in r)) for n, r in rows]
            parsed.rows_received = len(rows)
    elif b"\x00" not in data[:4096] or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        sniff_csv(parsed, data)
        if not parsed.errors and parsed.shape is not None:
            text = data.decode(parsed.encoding or "utf-8")
            parsed.raw_lines = _count_data_lines(text, parsed.shape.header_index)
            parsed.rows_received = len(parsed.raw_lines)
    parsed.errors = errors


def read_batch(con: duckdb.DuckDBPyConnection, files: list[ParsedFile], contents: dict[str, bytes]) -> None:
    """Read every readable file of a batch into the temp table `_incoming_all` (raw text cells, one row per row).

    `contents` maps file_id -> bytes (already read for hashing). Files found unreadable get errors and
    rows_received set; the rows of all the others land in `_incoming_all`.
    """
    columns = ", ".join(f"{f.name} {'bigint' if f.type == pa.int64() else 'varchar'}" for f in ROW_SCHEMA)
    con.execute(f"create or replace temp table _incoming_all ({columns})")
    groups: dict[tuple, list[ParsedFile]] = defaultdict(list)
    python_tables: list[pa.Table] = []
    exact: list[ParsedFile] = []  # CSV files read by the exact Python path
    for parsed in files:
        data = contents[parsed.file_id]
        if len(data) > MAX_FILE_BYTES:
            parsed.errors.append(f"file is {len(data):,} bytes, over the {MAX_FILE_BYTES:,}-byte limit")
            continue
        ext = parsed.path.suffix.lower()
        if ext == ".xlsx" or data[:4] == b"PK\x03\x04":
            parsed.fmt = "xlsx"
            numbered = read_xlsx(parsed)
            resolve_identity(parsed)
            if numbered is not None and not parsed.errors:
                python_tables.append(pa.table(_rows_to_columns(parsed, numbered, False), schema=ROW_SCHEMA))
            elif numbered is not None:
                parsed.raw_lines = [(n, " | ".join(c or "" for c in r)) for n, r in numbered]
                parsed.rows_received = len(numbered)
            continue
        parsed.fmt = "csv"
        sniff_csv(parsed, data)
        if parsed.errors:
            continue
        resolve_identity(parsed)
        if parsed.errors:
            parsed.raw_lines = _count_data_lines(data.decode(parsed.encoding or "utf-8"), parsed.shape.header_index)
            parsed.rows_received = len(parsed.raw_lines)
            continue
        shape = parsed.shape
        if shape.mixed_newlines or data.startswith(codecs.BOM_UTF16_BE):
            exact.append(parsed)  # DuckDB reads no row of some mixed-newline files, and no big-endian UTF-16
            continue
        groups[(shape.encoding, shape.delimiter, shape.header_index, len(shape.raw_headers))].append(parsed)
    for group in groups.values():
        try:
            exact.extend(read_csv_group(con, group))
        except duckdb.Error:
            exact.extend(group)  # a layout DuckDB's reader refuses (one statement: nothing was inserted)
    for parsed in exact:
        try:
            rows = _csv_python_rows(parsed, contents[parsed.file_id])
        except csv.Error as exc:
            parsed.errors.append(f"not readable as CSV ({exc})")
            parsed.raw_lines = _count_data_lines(contents[parsed.file_id].decode(parsed.encoding or "utf-8"),
                                                 parsed.shape.header_index)
            parsed.rows_received = len(parsed.raw_lines)
            continue
        python_tables.append(pa.table(_rows_to_columns(parsed, rows, True), schema=ROW_SCHEMA))
    if python_tables:
        con.register("_python_rows", pa.concat_tables(python_tables))
        try:
            con.execute("insert into _incoming_all by name select * from _python_rows")
        finally:
            con.unregister("_python_rows")
