"""Which province an article is about."""

from __future__ import annotations

import pytest

from pipelines.news.provinces import detect_province, find_province_mentions, new_to_legacy_code, short_names

LEAD = "Công an tỉnh đã tổ chức hội nghị sơ kết công tác xây dựng Công an xã chính quy.\n"


@pytest.mark.parametrize(("title", "text", "expected"), [
    ("Công an Nam Định sơ kết Công an xã chính quy", LEAD, ("Nam Định", "36")),
    (None, "Sáng 7/4, Công an tỉnh Thái Bình tổ chức hội nghị. Tỉnh có 260 xã.", ("Thái Bình", "34")),
    ("TP.HCM ra mắt Công an chính quy tại 58 xã", LEAD, ("Hồ Chí Minh", "79")),
    (None, "Công an TPHCM đã bố trí 1.380 cán bộ về các xã.", ("Hồ Chí Minh", "79")),
    (None, "Công an Thành phố Hồ Chí Minh tổng kết năm.", ("Hồ Chí Minh", "79")),
    (None, "Công an Thủ đô Hà Nội đã bố trí Công an chính quy.", ("Hà Nội", "01")),
    ("Thừa Thiên Huế: Công an xã chính quy sau 3 năm", LEAD, ("Huế", "46")),
    ("BR-VT: Công an xã chính quy giữ vững bình yên", LEAD, ("Bà Rịa - Vũng Tàu", "77")),
    (None, "Công an tỉnh Bà Rịa – Vũng Tàu có 82 xã, phường, thị trấn.", ("Bà Rịa - Vũng Tàu", "77")),
    (None, "Đến nay, Công an tỉnh Đắc Lắc đã bố trí Công an chính quy.", ("Đắk Lắk", "66")),
    (None, "Công an tỉnh Hoà Bình có 151 xã, phường, thị trấn.", ("Hòa Bình", "17")),
    ("Cong an tinh Nam Dinh so ket", "Cong an tinh Nam Dinh da bo tri 1.394 can bo.", ("Nam Định", "36")),
])
def test_detects_province(title: str | None, text: str, expected: tuple[str, str]) -> None:
    assert detect_province(title, text) == expected


@pytest.mark.parametrize(("name", "legacy_code"), [
    ("Lào Cai", "10"), ("Gia Lai", "64"), ("Bắc Ninh", "27"), ("Tây Ninh", "72"), ("Đồng Tháp", "87"),
    ("An Giang", "89"), ("Quảng Trị", "45"), ("Huế", "46"), ("Ninh Bình", "37"),
])
def test_merged_2025_names_map_to_the_same_name_legacy_code(name: str, legacy_code: str) -> None:
    text = f"Từ ngày 1/7/2025, Công an tỉnh {name} (mới) đã vận hành Công an cấp xã."
    assert detect_province(f"{name}: Công an cấp xã vận hành thông suốt", text) == (name, legacy_code)
    assert legacy_code in new_to_legacy_code().values()


def test_every_legacy_and_2025_province_has_a_short_name() -> None:
    names = short_names()
    assert len(names) == 63 and names["36"] == "Nam Định" and names["01"] == "Hà Nội"
    assert len(new_to_legacy_code()) == 34


@pytest.mark.parametrize("text", [
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.",  # the person, not the city
    "Hội nghị thống nhất năm định hướng lớn.",  # 'năm định' is not 'Nam Định'
    "Kỷ niệm 70 năm Chiến thắng Điện Biên Phủ.",  # the battle
    "Đại biểu nguyên là cán bộ tỉnh Hà Nam Ninh cũ.",  # the former province
    "Tàu cá đánh bắt trên Thái Bình Dương.",  # the Pacific
    "Công an xã Hòa Bình, huyện Kim Bôi giải quyết tin báo.",  # a commune named like a province
    "Người dân mong muốn cuộc sống hòa bình.",  # peace
])
def test_traps_are_not_province_mentions(text: str) -> None:
    assert find_province_mentions(text) == []


def test_passing_mention_does_not_win() -> None:
    text = ("Ngày 14/9, Công an tỉnh Hà Tĩnh tổ chức hội nghị sơ kết Công an xã chính quy. Toàn tỉnh có 216 xã.\n"
            "Dịp này, đoàn công tác Công an tỉnh Quảng Bình đến học tập kinh nghiệm tại Hà Tĩnh.\n"
            "Trước đó, Công an tỉnh đã trao đổi kinh nghiệm với tỉnh Nghệ An và tỉnh Quảng Trị.")
    assert detect_province("Hà Tĩnh: 100% xã có Công an chính quy", text) == ("Hà Tĩnh", "42")


def test_province_from_the_lead_beats_later_mentions() -> None:
    text = ("Công an tỉnh Khánh Hòa công bố quyết định thành lập Công an 65 xã, phường, đặc khu.\n"
            "Tỉnh Khánh Hòa mới được hợp nhất từ tỉnh Khánh Hòa và tỉnh Ninh Thuận. Tại tỉnh Ninh Thuận cũ, "
            "nhiều trụ sở được cải tạo; tỉnh Ninh Thuận cũ có 65 xã.")
    assert detect_province(None, text) == ("Khánh Hòa", "56")


def test_url_names_the_province_when_the_text_does_not() -> None:
    assert detect_province(None, LEAD, "https://baohaiduong.vn/xa-hoi/tin-128866") == ("Hải Dương", "30")


def test_national_round_up_has_no_province() -> None:
    text = ("Sáng 6/9, Bộ Công an tổ chức hội nghị toàn quốc. Cả nước đã bố trí hơn 57.000 cán bộ.\n"
            "Một số địa phương như Hà Nội, TP.HCM, Nam Định đã hoàn thành xây dựng trụ sở.")
    assert detect_province("Cả nước: 5 năm xây dựng Công an xã chính quy", text) == (None, None)


def test_no_province_at_all() -> None:
    assert detect_province(None, LEAD) == (None, None)
