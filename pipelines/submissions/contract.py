"""The province submission contract: columns, header aliases, HQ status labels, file naming.

One file per province per reporting month, one row per commune-level unit. This module is the single
source of truth for the contract; the reader, the generator, the XLSX template and raw_inputs/README.md
all follow it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

REFORM_PERIOD = "2025-07"  # first month reported in the 2025 (34-province) map
MAP_LEGACY = "legacy_63"
MAP_2025 = "v2025_34"


@dataclass(frozen=True)
class Column:
    """One contract column: canonical name, kind, the header a province writes, accepted aliases."""

    name: str
    kind: str  # "code" | "text" | "count" | "flag" | "hq_status"
    header_vi: str
    aliases: tuple[str, ...]
    required: bool
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("unit_code", "code", "Mã đơn vị", ("mã xã", "mã đvhc", "ma don vi", "unit code", "unit_code", "code"),
           True, "5-digit commune-level unit code of the period's map"),
    Column("unit_name", "text", "Tên đơn vị", ("tên xã", "ten don vi", "unit name", "unit_name", "name"),
           True, "unit name as the province writes it"),
    Column("unit_type", "text", "Loại đơn vị", ("loại", "cấp", "loai don vi", "unit type", "unit_type", "type"),
           False, "Xã / Phường / Thị trấn / Đặc khu"),
    Column("regular_officers", "count", "Công an chính quy",
           ("số công an chính quy", "số cacq", "cacq", "ca chính quy", "cong an chinh quy", "regular officers",
            "regular_officers", "officers"),
           True, "regular police officers working in the unit (heads and deputies included)"),
    Column("semi_professional_officers", "count", "Công an bán chuyên trách",
           ("bán chuyên trách", "ca bán chuyên trách", "cong an ban chuyen trach", "semi professional officers",
            "semi_professional_officers"),
           False, "semi-professional officers still serving (2019-2020 transition only)"),
    Column("heads", "count", "Trưởng Công an", ("trưởng ca", "truong cong an", "heads", "head"),
           True, "heads of the unit's police (0 or 1)"),
    Column("deputies", "count", "Phó Trưởng Công an", ("phó trưởng ca", "pho truong cong an", "deputies", "deputy"),
           True, "deputy heads"),
    Column("ca_vien", "count", "Công an viên", ("cong an vien", "ca viên", "ca_vien", "police posts", "ca vien"),
           False, "công an viên posts"),
    Column("investigators", "count", "Điều tra viên", ("số điều tra viên", "đtv", "dieu tra vien", "investigators"),
           False, "officers holding the investigator title"),
    Column("head_is_investigator", "flag", "Trưởng CA là điều tra viên",
           ("trưởng ca là đtv", "truong ca la dieu tra vien", "head is investigator", "head_is_investigator"),
           False, "1/Có if the head is an investigator, 0/Không otherwise"),
    Column("deputies_investigators", "count", "Phó Trưởng CA là điều tra viên",
           ("phó trưởng ca là đtv", "pho truong ca la dieu tra vien", "deputies investigators",
            "deputies_investigators"),
           False, "deputy heads who are investigators"),
    Column("officers_trained", "count", "Đã tập huấn",
           ("số được tập huấn", "cán bộ đã tập huấn", "da tap huan", "officers trained", "officers_trained", "trained"),
           False, "officers who completed the training course"),
    Column("hq_status", "hq_status", "Trụ sở",
           ("tình trạng trụ sở", "trụ sở làm việc", "tru so", "hq status", "hq_status", "headquarters"),
           True, "doc_lap / chung_ubnd / dang_xay_dung / chua_co (Vietnamese labels accepted)"),
    Column("notes", "text", "Ghi chú", ("ghi chu", "notes", "note", "remarks"), False, "free text"),
)

# Province code and period may come as columns instead of a header block.
META_COLUMNS: dict[str, tuple[str, ...]] = {
    "province_code": ("mã tỉnh", "ma tinh", "province code", "province_code"),
    "period": ("kỳ báo cáo", "ky bao cao", "period", "tháng báo cáo", "reporting period"),
}

COUNT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "count")
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

HQ_STATUSES: dict[str, str] = {
    "doc_lap": "Độc lập",
    "chung_ubnd": "Chung trụ sở UBND",
    "dang_xay_dung": "Đang xây dựng",
    "chua_co": "Chưa có",
}
HQ_ALIASES: dict[str, str] = {
    "doc lap": "doc_lap", "tru so doc lap": "doc_lap", "independent": "doc_lap", "rieng": "doc_lap",
    "chung ubnd": "chung_ubnd", "chung tru so ubnd": "chung_ubnd", "lam viec chung ubnd": "chung_ubnd",
    "chung": "chung_ubnd", "shared": "chung_ubnd", "o chung ubnd": "chung_ubnd",
    "dang xay dung": "dang_xay_dung", "dang xd": "dang_xay_dung", "under construction": "dang_xay_dung",
    "chua co": "chua_co", "khong co": "chua_co", "none": "chua_co", "chua co tru so": "chua_co",
}
UNIT_TYPES: dict[str, str] = {"xa": "Xã", "phuong": "Phường", "thi tran": "Thị trấn", "dac khu": "Đặc khu"}
FLAG_TRUE = {"1", "co", "x", "yes", "true", "dung"}
FLAG_FALSE = {"0", "khong", "no", "false", ""}

# Header block lines above the table, e.g. "Mã tỉnh: 34" and "Kỳ báo cáo: 2025-06".
HEADER_BLOCK_KEYS: dict[str, tuple[str, ...]] = META_COLUMNS

# ASCII digits only (\d would also take look-alikes such as '３４'); \Z, not $, so a trailing newline does not match.
FILE_NAME_RE = re.compile(r"^(?P<province>\d{2})_(?P<period>\d{4}-\d{2})(?:_(?P<suffix>[A-Za-z0-9\-]{1,32}))?\.(?P<ext>csv|xlsx)\Z",
                          re.IGNORECASE | re.ASCII)
PERIOD_RE = re.compile(r"^\s*(?:(?P<y>\d{4})[-/.](?P<m>\d{1,2})|(?P<m2>\d{1,2})[-/.](?P<y2>\d{4}))\s*$")

# Deadline: a period's file is due by this day of the following month (documented in raw_inputs/README.md).
DEADLINE_DAY_OF_NEXT_MONTH = 5

# Size limits, checked before anything parses the file (raw_inputs/README.md, "Limits"). A province file is
# 10-100 KB and one row about 100 bytes; a real XLSX part compresses about 5-10:1 and a workbook has ~15 parts.
MAX_SUBMISSION_BYTES = 20 * 1024 * 1024  # per file, as it lies in the landing folder; larger is never read
MAX_LINE_BYTES = 64 * 1024  # per CSV line (one unit's row)
MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # all parts of a workbook together, once decompressed
MAX_XLSX_ENTRIES = 1000  # parts (zip entries) in a workbook
MAX_XLSX_COMPRESSION_RATIO = 100  # per part larger than XLSX_RATIO_MIN_BYTES once decompressed
XLSX_RATIO_MIN_BYTES = 1024 * 1024


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ -> d) and collapse spaces/underscores: the key headers are matched on."""
    text = unicodedata.normalize("NFD", str(text).replace("Đ", "D").replace("đ", "d"))
    # Mn: the diacritics; Cf: invisible format characters (a doubled BOM, zero-width spaces pasted from the web)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf")).lower()
    text = re.sub(r"[\s_:./()\-]+", " ", text)
    return text.strip()


def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for col in COLUMNS:
        for label in (col.header_vi, col.name, *col.aliases):
            index[fold(label)] = col.name
    for name, aliases in META_COLUMNS.items():
        for label in (name, *aliases):
            index[fold(label)] = name
    return index


HEADER_INDEX: dict[str, str] = _alias_index()


def canonical_header(header: object) -> str | None:
    """Map a header cell as a province wrote it to the canonical column name, or None if unknown."""
    if header is None:
        return None
    return HEADER_INDEX.get(fold(str(header)))


def canonical_hq_status(value: object) -> str | None:
    """Map an HQ status label (code or Vietnamese label) to its code, or None if not recognised."""
    if value is None:
        return None
    key = fold(str(value))
    if key.replace(" ", "_") in HQ_STATUSES:
        return key.replace(" ", "_")
    for code, label in HQ_STATUSES.items():
        if key == fold(label):
            return code
    return HQ_ALIASES.get(key)


def parse_period(value: object) -> str | None:
    """Parse 'YYYY-MM', 'YYYY/MM', 'MM/YYYY' (and 'tháng MM/YYYY') into 'YYYY-MM', or None."""
    if value is None:
        return None
    text = fold(str(value)).replace("thang", "").strip().replace(" ", "-")
    m = PERIOD_RE.match(text)
    if not m:
        return None
    year = int(m.group("y") or m.group("y2"))
    month = int(m.group("m") or m.group("m2"))
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return f"{year:04d}-{month:02d}"


def map_version_for_period(period: str) -> str:
    """Periods before 2025-07 use the legacy 63-province map; later ones the 2025 map."""
    return MAP_LEGACY if period < REFORM_PERIOD else MAP_2025


def period_deadline(period: str) -> date:
    """The day a period's submission is due: the DEADLINE_DAY_OF_NEXT_MONTH-th of the next month."""
    year, month = (int(p) for p in period.split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, DEADLINE_DAY_OF_NEXT_MONTH)


def file_name(province_code: str, period: str, ext: str = "csv", suffix: str | None = None) -> str:
    """The contract's file name: '<province>_<YYYY-MM>[_<suffix>].<ext>'."""
    return f"{province_code}_{period}{'_' + suffix if suffix else ''}.{ext}"
