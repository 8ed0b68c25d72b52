"""The official ready-to-fill XLSX form a province downloads for one reporting month.

python -m pipelines.submissions.template --province 34 --period 2025-06 --out DIR
python -m pipelines.submissions.template --province all --period 2025-07 --out DIR

The form is named like the submission it becomes (`34_2025-06.xlsx`), so a clerk fills it in and sends it back
unchanged. Sheet "Báo cáo": title, header block (Mã tỉnh, Kỳ báo cáo, Hạn nộp), then the contract table with every
unit of the province in that period's map pre-filled (code, name, type) and the figures left empty behind data
validation. Sheet "Hướng dẫn": what goes in each column, in Vietnamese.

`save_workbook_stable` is shared with the generator: it writes byte-identical XLSX for identical content (fixed
document dates, fixed zip entry times), which normal openpyxl saving does not.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from pipelines.reference import admin_units
from pipelines.submissions import contract
from pipelines.submissions.contract import Column

DATA_SHEET = "Báo cáo"
GUIDE_SHEET = "Hướng dẫn"
TITLE = "BÁO CÁO LỰC LƯỢNG VÀ TRỤ SỞ CÔNG AN CẤP XÃ"
FIXED_DOC_TIME = datetime(2025, 1, 1, 0, 0, 0)  # workbook created/modified: fixed so bytes are reproducible
ZIP_TIME = (2025, 1, 1, 0, 0, 0)
SEMI_PRO_LAST_PERIOD = "2020-12"  # the semi-professional column belongs to the 2019-2020 transition only
INVESTIGATOR_FIRST_PERIOD = "2023-01"  # investigator columns appear when commune police get investigators
INVESTIGATOR_COLUMNS = ("investigators", "head_is_investigator", "deputies_investigators")
PREFILLED = ("unit_code", "unit_name", "unit_type")

# What a clerk reads on the "Hướng dẫn" sheet, per contract column (the contract's own descriptions are English).
GUIDE_VI: dict[str, str] = {
    "unit_code": "Mã đơn vị hành chính cấp xã (5 chữ số) theo danh mục của kỳ báo cáo. Đã điền sẵn, không sửa.",
    "unit_name": "Tên xã, phường, thị trấn (đặc khu). Đã điền sẵn.",
    "unit_type": "Xã / Phường / Thị trấn / Đặc khu. Đã điền sẵn.",
    "regular_officers": "Tổng số Công an chính quy đang công tác tại đơn vị, KỂ CẢ Trưởng và Phó Trưởng Công an. "
                        "Số nguyên >= 0; đơn vị chưa bố trí Công an chính quy ghi 0.",
    "semi_professional_officers": "Số Công an bán chuyên trách còn công tác (chỉ trong giai đoạn chuyển đổi "
                                  "2019-2020). Để trống nếu không còn.",
    "heads": "Trưởng Công an của đơn vị: 1 nếu có, 0 nếu khuyết.",
    "deputies": "Số Phó Trưởng Công an.",
    "ca_vien": "Số Công an viên (thường ở xã, thị trấn; phường ghi 0).",
    "investigators": "Số cán bộ có chức danh Điều tra viên (kể cả Trưởng, Phó Trưởng). Không lớn hơn cột "
                     "Công an chính quy.",
    "head_is_investigator": "1 (hoặc Có) nếu Trưởng Công an là Điều tra viên, 0 (hoặc Không) nếu không.",
    "deputies_investigators": "Số Phó Trưởng Công an là Điều tra viên. Không lớn hơn số Phó Trưởng Công an.",
    "officers_trained": "Số cán bộ, chiến sĩ đã hoàn thành tập huấn, bồi dưỡng. Không lớn hơn cột Công an chính quy.",
    "hq_status": "Tình trạng trụ sở: chọn trong danh sách (Độc lập / Chung trụ sở UBND / Đang xây dựng / Chưa có).",
    "notes": "Ghi chú (không bắt buộc).",
}
WIDTHS: dict[str, int] = {"unit_code": 12, "unit_name": 30, "unit_type": 11, "hq_status": 22, "notes": 30}


def template_columns(period: str) -> tuple[Column, ...]:
    """The contract columns the official form carries for a period."""
    out = []
    for col in contract.COLUMNS:
        if col.name == "semi_professional_officers" and (period > SEMI_PRO_LAST_PERIOD
                                                         or contract.map_version_for_period(period)
                                                         != contract.MAP_LEGACY):
            continue
        if col.name in INVESTIGATOR_COLUMNS and period < INVESTIGATOR_FIRST_PERIOD:
            continue
        out.append(col)
    return tuple(out)


class _StableZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed timestamp (openpyxl otherwise stamps the wall clock)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # noqa: D102
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=ZIP_TIME)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # noqa: D102
        with open(filename, "rb") as fh:
            self.writestr(arcname or str(filename), fh.read())


def workbook_bytes_stable(wb: Workbook) -> bytes:
    """Serialise a workbook (normal or write-only) to XLSX bytes that depend only on its content."""
    wb.properties.created = FIXED_DOC_TIME
    wb.properties.modified = FIXED_DOC_TIME
    wb.properties.creator = "commune-police-warehouse"
    buf = io.BytesIO()
    with _StableZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return buf.getvalue()


def build_template(province_code: str, period: str) -> Workbook:
    """The ready-to-fill form for one province and reporting month."""
    map_version = contract.map_version_for_period(period)
    names = admin_units.provinces(map_version)
    if province_code not in names:
        raise ValueError(f"province {province_code!r} does not exist in the {map_version} map used for {period}")
    units = [u for u in admin_units.units(map_version) if u.province_code == province_code]
    columns = template_columns(period)
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    header_row = _write_heading(ws, province_code, names[province_code], period, len(columns))
    _write_table(ws, header_row, columns, units)
    _add_validations(ws, header_row, columns, len(units))
    _write_guide(wb.create_sheet(GUIDE_SHEET), province_code, period, map_version, columns)
    return wb


def _write_heading(ws, province_code: str, province_name: str, period: str, width: int) -> int:
    """Title rows and the header block; returns the row number of the table header."""
    bold = Font(bold=True)
    ws.append([TITLE])
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    month, year = period[5:], period[:4]
    ws.append([f"Công an {province_name[0].lower()}{province_name[1:]} - kỳ báo cáo tháng {month}/{year}"])
    ws["A2"].font = Font(italic=True)
    ws.append([])
    ws.append(["Mã tỉnh", province_code])
    ws.append(["Kỳ báo cáo", period])
    ws.append(["Hạn nộp", contract.period_deadline(period)])
    for row in (4, 5, 6):
        ws.cell(row, 1).font = bold
        ws.cell(row, 2).alignment = Alignment(horizontal="left")
    ws["B4"].number_format = "@"
    ws["B5"].number_format = "@"
    ws["B6"].number_format = "dd/mm/yyyy"
    ws.append([])
    return 8


def _write_table(ws, header_row: int, columns: Sequence[Column], units: Sequence[admin_units.Unit]) -> None:
    fill = PatternFill("solid", fgColor="DDEBF7")
    locked_fill = PatternFill("solid", fgColor="F2F2F2")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(header_row, j, col.header_vi)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = border
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(j)].width = WIDTHS.get(col.name, 14)
    ws.row_dimensions[header_row].height = 45
    for i, unit in enumerate(units, start=header_row + 1):
        for j, col in enumerate(columns, start=1):
            if col.name in PREFILLED:
                cell = ws.cell(i, j, getattr(unit, col.name))
                cell.fill = locked_fill
                if col.name == "unit_code":
                    cell.number_format = "@"  # keep the leading zeros of codes like 00004
    ws.freeze_panes = ws.cell(header_row + 1, 3)
    ws.print_title_rows = f"{header_row}:{header_row}"


def _add_validations(ws, header_row: int, columns: Sequence[Column], n_units: int) -> None:
    """Whole numbers >= 0 for counts, 0..1 for heads and the head-investigator flag, a list for HQ status."""
    if n_units == 0:
        return
    first, last = header_row + 1, header_row + n_units
    non_negative = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                  showErrorMessage=True, errorTitle="Số không hợp lệ",
                                  error="Nhập số nguyên không âm (0, 1, 2, ...).")
    zero_one = DataValidation(type="whole", operator="between", formula1="0", formula2="1", allow_blank=True,
                              showErrorMessage=True, errorTitle="Chỉ nhập 0 hoặc 1",
                              error="Cột này chỉ nhận 0 hoặc 1.")
    labels = ",".join(contract.HQ_STATUSES.values())
    hq_list = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True, showErrorMessage=True,
                             errorTitle="Trụ sở", error="Chọn một giá trị trong danh sách.",
                             showInputMessage=True, promptTitle="Trụ sở", prompt=labels.replace(",", " / "))
    for j, col in enumerate(columns, start=1):
        ref = f"{get_column_letter(j)}{first}:{get_column_letter(j)}{last}"
        if col.name in ("heads", "head_is_investigator"):
            zero_one.add(ref)
        elif col.kind == "count":
            non_negative.add(ref)
        elif col.kind == "hq_status":
            hq_list.add(ref)
    for dv in (non_negative, zero_one, hq_list):
        if dv.sqref:
            ws.add_data_validation(dv)


def _write_guide(ws, province_code: str, period: str, map_version: str, columns: Sequence[Column]) -> None:
    deadline = contract.period_deadline(period)
    ws.append(["HƯỚNG DẪN ĐIỀN BIỂU MẪU"])
    ws["A1"].font = Font(bold=True, size=13)
    general = [
        f"Mỗi tỉnh nộp một tệp cho mỗi kỳ báo cáo, mỗi dòng là một đơn vị cấp xã. Tệp này: "
        f"{contract.file_name(province_code, period, 'xlsx')}.",
        f"Hạn nộp: ngày {deadline:%d/%m/%Y} (ngày {contract.DEADLINE_DAY_OF_NEXT_MONTH} tháng sau kỳ báo cáo).",
        f"Danh mục đơn vị: {'63 tỉnh (trước sắp xếp)' if map_version == contract.MAP_LEGACY else '34 tỉnh (từ 07/2025)'}"
        f" ({map_version}). Không thêm, xóa hoặc đổi mã đơn vị.",
        "Nộp bổ sung/sửa: gửi tệp mới cùng tên thêm hậu tố _v2, _v3 (ví dụ "
        f"{contract.file_name(province_code, period, 'xlsx', 'v2')}); tệp mới thay thế tệp cũ.",
        "Không đổi tên cột, không thêm dòng tổng cộng, không ghi chữ vào cột số.",
        "Cột Trụ sở: Độc lập / Chung trụ sở UBND / Đang xây dựng / Chưa có.",
    ]
    for line in general:
        ws.append([line])
    ws.append([])
    ws.append(["Cột", "Bắt buộc", "Kiểu", "Cách ghi", "Tên khác được chấp nhận"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    kinds = {"code": "Mã (chữ số)", "text": "Chữ", "count": "Số nguyên >= 0", "flag": "0/1", "hq_status": "Danh sách"}
    for col in columns:
        ws.append([col.header_vi, "Có" if col.required else "Không", kinds[col.kind], GUIDE_VI[col.name],
                   "; ".join(col.aliases)])
    for letter, width in zip("ABCDE", (30, 10, 16, 90, 60)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_template(province_code: str, period: str, out_dir: Path) -> Path:
    """Build and save one form; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / contract.file_name(province_code, period, "xlsx")
    path.write_bytes(workbook_bytes_stable(build_template(province_code, period)))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--province", required=True, help="province code of the period's map, or 'all'")
    parser.add_argument("--period", required=True, help="reporting month YYYY-MM")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    period = contract.parse_period(args.period)
    if period is None:
        parser.error(f"bad period {args.period!r}")
    map_version = contract.map_version_for_period(period)
    codes = (sorted(admin_units.provinces(map_version)) if args.province == "all"
             else [c.strip().zfill(2) for c in args.province.split(",")])
    for code in codes:
        try:
            print(write_template(code, period, args.out))
        except ValueError as exc:
            parser.error(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
