"""Normalization, Vietnamese numbers and dates (with property-based round trips)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.news.dates import find_dates, parse_date
from pipelines.news.normalize import fold_ascii, fold_variants, nfc, split_sentences, strip_accents
from pipelines.news.numbers import find_numbers, format_number, number_to_words, parse_number, words_to_number

# --- normalize ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("tỷ lệ", "tỉ lệ"), ("chiến sỹ", "chiến sĩ"), ("kỹ năng", "kĩ năng"), ("hoà bình", "hòa bình"),
    ("thuỷ lợi", "thủy lợi"), ("khoẻ", "khỏe"), ("Thanh Hoá", "Thanh Hóa"), ("HOÀ BÌNH", "hòa bình"),
])
def test_spelling_variants_fold_together(a: str, b: str) -> None:
    assert fold_variants(a) == fold_variants(b)


def test_quy_keeps_its_spelling() -> None:
    assert fold_variants("quý I") == "quý i"


def test_composed_and_decomposed_input_fold_alike() -> None:
    composed = "Đắk Lắk, Thừa Thiên Huế"
    assert fold_variants(nfc(unicodedata.normalize("NFD", composed))) == fold_variants(composed)


def test_accent_free_folding() -> None:
    assert fold_ascii("Đắk Lắk Hoà Bình") == "dak lak hoa binh"
    assert strip_accents("Nguyễn Văn Đức") == "Nguyen Van Duc"


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ ,.ÀÉĐ", max_size=80))
def test_folding_keeps_length_so_offsets_stay_valid(text: str) -> None:
    text = nfc(text)
    assert len(fold_variants(text)) == len(text)
    assert len(fold_ascii(text)) == len(text)


def test_sentence_split_keeps_offsets_and_skips_abbreviations() -> None:
    text = ("Ngày 7.4.2021, TP. Hồ Chí Minh có 1.394 cán bộ. Đ/c. Nguyễn Văn A phát biểu!\n"
            "Dòng mới không chấm\nTP.HCM có 312 xã, phường. Ông N. V. Bình nói.")
    spans = split_sentences(text)
    sentences = [text[s:e] for s, e in spans]
    assert sentences == ["Ngày 7.4.2021, TP. Hồ Chí Minh có 1.394 cán bộ.", "Đ/c. Nguyễn Văn A phát biểu!",
                         "Dòng mới không chấm", "TP.HCM có 312 xã, phường.", "Ông N. V. Bình nói."]


# --- numbers --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("token", "value"), [
    ("2.150", 2150), ("1.394", 1394), ("4,7", 4.7), ("95%", 95), ("1.234.567", 1234567), ("1.234,5", 1234.5),
    ("97,9", 97.9), ("100", 100), ("7.4.2021", None), ("0239.3855.222", None), ("", None), ("abc", None),
])
def test_parse_number(token: str, value: float | None) -> None:
    assert parse_number(token) == value


@given(st.integers(min_value=0, max_value=10**12))
def test_format_then_parse_round_trip(n: int) -> None:
    assert parse_number(format_number(n)) == n


def test_words_round_trip_exhaustive_below_1000() -> None:
    assert all(words_to_number(number_to_words(n)) == n for n in range(1000))


@given(st.integers(min_value=0, max_value=999_999_999))
def test_words_round_trip_large(n: int) -> None:
    assert words_to_number(number_to_words(n)) == n


@pytest.mark.parametrize(("words", "value"), [
    ("hai mươi mốt", 21), ("hai mươi tư", 24), ("hai mươi lăm", 25), ("mười lăm", 15), ("mười tư", 14),
    ("một trăm linh năm", 105), ("một trăm lẻ năm", 105), ("ba mươi", 30), ("hai trăm hai mươi tư", 224),
    ("một nghìn không trăm hai mươi", 1020), ("hai ngàn", 2000), ("mười hai nghìn", 12000), ("hai triệu", 2_000_000),
    ("hai trăm năm", None), ("mươi", None),
])
def test_words_to_number(words: str, value: int | None) -> None:
    assert words_to_number(words) == value


def test_nam_is_a_number_only_before_a_count_noun() -> None:
    text = "Năm 2021, tỉnh có năm xã, hai mươi cán bộ và tư pháp; mười lăm trụ sở; một số nơi; 1,2 nghìn cán bộ."
    found = {text[m.start:m.end]: m.value for m in find_numbers(text)}
    assert found == {"2021": 2021, "năm": 5, "hai mươi": 20, "mười lăm": 15, "1,2 nghìn": 1200}


# --- dates ----------------------------------------------------------------------------------------------------

DAY_FORMATS = [
    "ngày {d}/{m}/{y}", "{dd}/{mm}/{y}", "ngày {d}.{m}.{y}", "{d}-{m}-{y}", "ngày {d} tháng {m} năm {y}",
    "Sáng {d}/{m}/{y}", "tính đến ngày {dd}/{mm}/{y}",
]
YEARLESS_FORMATS = ["ngày {d}/{m}", "Chiều {d}/{m}", "ngày {d}.{m}", "ngày {d}-{m}", "ngày {d} tháng {m}"]
MONTH_FORMATS = ["tháng {m}/{y}", "tháng {m}-{y}", "tháng {m} năm {y}", "tháng {m}.{y}"]


def _fields(day: date) -> dict[str, object]:
    return {"d": day.day, "m": day.month, "y": day.year, "dd": f"{day.day:02d}", "mm": f"{day.month:02d}"}


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from(DAY_FORMATS))
def test_day_formats_round_trip(day: date, fmt: str) -> None:
    found = parse_date("Theo báo cáo, " + fmt.format(**_fields(day)) + ", Công an tỉnh có 120 xã.")
    assert found is not None and found.iso == day.isoformat()


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from(YEARLESS_FORMATS))
def test_yearless_dates_take_the_published_year(day: date, fmt: str) -> None:
    published = date(day.year, 12, 31)
    found = parse_date(fmt.format(**_fields(day)) + ", Công an tỉnh họp.", published)
    assert found is not None and found.iso == day.isoformat()


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from(MONTH_FORMATS))
def test_month_formats_round_trip(day: date, fmt: str) -> None:
    found = parse_date("Đến " + fmt.format(**_fields(day)) + ", toàn tỉnh có 12 trụ sở.")
    assert found is not None and found.iso == f"{day.year:04d}-{day.month:02d}"


@settings(max_examples=50)
@given(st.integers(min_value=1990, max_value=2099), st.integers(min_value=1, max_value=4),
       st.sampled_from(["quý {r}/{y}", "quý {q}/{y}", "quý {r} năm {y}", "quý {r}-{y}"]))
def test_quarters(year: int, quarter: int, fmt: str) -> None:
    roman = ["I", "II", "III", "IV"][quarter - 1]
    found = parse_date(fmt.format(r=roman, q=quarter, y=year))
    assert found is not None and found.iso == f"{year:04d}-{quarter * 3:02d}"


@pytest.mark.parametrize(("text", "iso", "role"), [
    ("năm 2021", "2021-12", "point"),
    ("cuối năm 2020", "2020-12", "point"),
    ("6 tháng đầu năm 2023", "2023-06", "point"),
    ("Đến nay", "2022-05-10", "until"),
    ("hiện nay", "2022-05-10", "until"),
    ("năm 2022", "2022-05-10", "point"),  # the publication year: as of publication
    ("từ ngày 1/7/2025", "2025-07-01", "from"),
    ("Kế hoạch số 12/KH-CAT ngày 5/3/2021", "2021-03-05", "document"),
    ("Nghị định 42/2021/NĐ-CP", None, None),
    ("37/37 xã", None, None),
    ("ngày 31/2/2021", None, None),
])
def test_date_expressions(text: str, iso: str | None, role: str | None) -> None:
    found = find_dates(text, date(2022, 5, 10))
    if iso is None:
        assert found == []
    else:
        assert (found[-1].iso, found[-1].role) == (iso, role)


def test_date_without_year_and_without_published_has_no_iso() -> None:
    found = parse_date("ngày 7/4")
    assert found is not None and found.iso is None
