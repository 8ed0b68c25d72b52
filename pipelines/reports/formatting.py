"""Vietnamese number, period and label formatting shared by the HTML pages and the charts."""

from __future__ import annotations

import functools
import math
import re
import unicodedata

MISSING = "–"

VIEW_TITLES = {
    "legacy_63": "63 tỉnh, thành phố (trước 01/07/2025)",
    "v2025_34": "34 tỉnh, thành phố (từ 01/07/2025)",
}
VIEW_SHORT = {"legacy_63": "63 tỉnh", "v2025_34": "34 tỉnh"}
VIEW_NOTES = {
    "legacy_63": "Bản đồ hành chính 63 tỉnh, thành phố; các kỳ báo cáo trước tháng 7/2025, số liệu như tỉnh đã nộp.",
    "v2025_34": (
        "Bản đồ hành chính 34 tỉnh, thành phố từ 01/07/2025. Các kỳ trước tháng 7/2025 được quy đổi: số liệu của "
        "các tỉnh cũ được cộng vào tỉnh mới mà tỉnh cũ sáp nhập vào (đơn vị cấp xã theo bản đồ cũ)."
    ),
}

HQ_LABELS = {
    "hq_independent": "Trụ sở độc lập",
    "hq_shared_with_ppc": "Làm việc chung trụ sở UBND",
    "hq_under_construction": "Đang xây dựng trụ sở",
    "hq_missing": "Chưa có trụ sở",
}
SUBMISSION_LABELS = {
    "on_time": "Đúng hạn",
    "late": "Trễ hạn",
    "missing": "Chưa nộp",
    "rejected": "Bị từ chối",
}
OUTLIER_LABELS = {
    "officers_jump": "Số cán bộ biến động bất thường",
    "lost_regular_police": "Không còn Công an chính quy",
    "officers_high_for_unit_type": "Số cán bộ cao bất thường so với loại đơn vị",
    "no_head_with_officers": "Có cán bộ nhưng không có Trưởng Công an",
}
CLAIM_STATUS_LABELS = {
    "conflict": "Mâu thuẫn",
    "within_tolerance": "Chênh lệch trong ngưỡng",
    "consistent": "Khớp",
    "no_data": "Không có số liệu đối chiếu",
}
METRIC_LABELS = {
    "commune_level_units_total": "Số đơn vị cấp xã",
    "communes_total": "Số xã",
    "wards_total": "Số phường",
    "towns_total": "Số thị trấn",
    "districts_total": "Số đơn vị cấp huyện",
    "units_with_regular_police": "Đơn vị có Công an chính quy",
    "regular_police_coverage_pct": "Tỷ lệ đơn vị có Công an chính quy (%)",
    "officers_total": "Cán bộ, chiến sĩ",
    "officers_ward": "Cán bộ tại phường",
    "officers_commune_town": "Cán bộ tại xã, thị trấn",
    "officers_deployed": "Cán bộ được bố trí (đợt)",
    "heads_total": "Trưởng Công an",
    "deputies_total": "Phó Trưởng Công an",
    "ca_vien_total": "Công an viên",
    "investigators_total": "Điều tra viên",
    "units_head_investigator": "Đơn vị có Trưởng Công an là điều tra viên",
    "units_head_and_deputy_investigators": "Đơn vị có Trưởng và Phó là điều tra viên",
    "officers_trained": "Cán bộ đã tập huấn",
    "trained_pct": "Tỷ lệ đã tập huấn (%)",
    "hq_independent": "Trụ sở độc lập",
    "hq_shared_with_ppc": "Làm việc chung trụ sở UBND",
    "hq_under_construction": "Trụ sở đang xây dựng",
    "hq_projects": "Dự án xây dựng trụ sở",
    "hq_completed": "Trụ sở đã hoàn thành",
    "hq_missing": "Chưa có trụ sở",
}
UNIT_TYPE_LABELS = {"xã": "Xã", "phường": "Phường", "thị trấn": "Thị trấn", "đặc khu": "Đặc khu"}


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _group_thousands(digits: str) -> str:
    return f"{int(digits):,}".replace(",", ".")


def fmt_int(value: float | int | None) -> str:
    """2150 -> '2.150' (Vietnamese thousands separator); weighted back-cast values are rounded."""
    if _is_missing(value):
        return MISSING
    number = round(float(value))
    sign = "-" if number < 0 else ""
    return sign + _group_thousands(str(abs(number)))


def fmt_dec(value: float | int | None, digits: int = 2) -> str:
    """7.234 -> '7,23' (decimal comma, thousands dot)."""
    if _is_missing(value):
        return MISSING
    text = f"{abs(float(value)):.{digits}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if float(value) < 0 and float(text) != 0 else ""
    return sign + _group_thousands(whole) + ("," + frac if frac else "")


def fmt_pct(value: float | int | None, digits: int = 1) -> str:
    """98.294 -> '98,3%'."""
    return MISSING if _is_missing(value) else fmt_dec(value, digits) + "%"


def fmt_number(value: float | int | None) -> str:
    """Whole numbers without decimals, others with up to two."""
    if _is_missing(value):
        return MISSING
    if abs(float(value) - round(float(value))) < 1e-9:
        return fmt_int(value)
    return fmt_dec(value, 2 if abs(float(value)) < 100 else 1)


@functools.lru_cache(maxsize=4096)
def period_label(period: str | None) -> str:
    """'2025-04' -> '04/2025'. Cached: every chart point of every page asks again for the same few hundred."""
    if not period:
        return MISSING
    match = re.fullmatch(r"(\d{4})-(\d{2})", period)
    return f"{match.group(2)}/{match.group(1)}" if match else period


def slugify(text: str) -> str:
    """'Thái Bình' -> 'thai-binh' (ASCII, for file names)."""
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "tinh"
