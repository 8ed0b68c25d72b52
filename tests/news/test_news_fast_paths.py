"""The extractor's fast paths give exactly what the plain regex scans give.

Several finders try a pattern only where it can start (`normalize.finditer_at`) and test a cheap substring before a
regex. These shortcuts must be invisible: the tests compare them with the plain `re` calls on the development corpus
and on texts built to hit the edge cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.news import dates, normalize
from pipelines.news.articles import read_articles
from pipelines.news.normalize import finditer_at, fold_variants, literal_positions

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "news"


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix.lower() in (".txt", ".jsonl", ".html") and not path.name.endswith(".gold.json"):
            texts.extend(a.text for a in read_articles(path))
    return texts


TEXTS = _corpus_texts()
EDGE_TEXTS = [
    "Ngày 7/4, từ 15-3-2022 đến ngày 30.4.2022; sáng  ngày 5 / 6 và hôm 12.3 (7/4) 9 tháng đầu năm, chín tháng, "
    "sáu tháng cuối năm 2021, tính đến nay, hiện nay, tới thời điểm hiện tại, 1.394 cán bộ, 25/25 xã, 0239.3855.222",
    "Huyện Hải Hậu, thị xã Kỳ Anh, khu phố 3, tổ dân phố Nam Định, đường Hà Nội, Công an tỉnh Nam Định (mới), "
    "Thái Bình cũ, TP.HCM, thành phố Hồ Chí Minh, Chủ tịch Hồ Chí Minh, Hà Nam Ninh, Điện Biên Phủ",
    "hai mươi mốt xã, một trăm linh năm cán bộ, ba  mươi đồng chí, xba hai xã, năm 2021 có năm xã, 1,2 nghìn người",
    "Kỹ sư, sỹ quan, tỷ lệ, Hoà Bình, thuỷ lợi, quý I/2023, khoẻ, Quý, lý do, mỹ thuật, TP. Vinh, Đ/c. Nam.",
    "Trong 91 cán bộ được điều động lần này có 65 đồng chí là Trưởng Công an xã; tỉ lệ xã có công an chính quy "
    "đạt 100%. Công an tỉnh hiện có 2.150 cán bộ.",
]


def test_finditer_at_same_as_finditer() -> None:
    pattern = re.compile(r"(?:ba|hai|một)(?:\s+(?:mươi|ba|hai))*")
    for text in TEXTS + EDGE_TEXTS:
        folded = fold_variants(text)
        starts = literal_positions(folded, ("ba", "hai", "một"))
        assert [m.span() for m in finditer_at(pattern, folded, starts)] == \
            [m.span() for m in pattern.finditer(folded)]


def test_literal_positions() -> None:
    assert literal_positions("ba ba hai ba", ("ba", "hai")) == [0, 3, 6, 10]
    assert literal_positions("aaa", ("aa",)) == [0, 1]
    assert literal_positions("xyz", ("q",)) == []


def test_date_patterns_tried_only_where_they_can_start() -> None:
    for text in TEXTS + EDGE_TEXTS:
        folded = fold_variants(text)
        for kind, pattern in dates._PATTERNS:
            starts = dates._starts(kind, folded)
            if starts is None:
                continue
            assert [m.span() for m in finditer_at(pattern, folded, starts)] == \
                [m.span() for m in pattern.finditer(folded)], kind


def test_sentence_boundaries_same_as_plain_scan() -> None:
    for text in TEXTS + EDGE_TEXTS:
        starts = (m.start() for m in normalize._BOUNDARY_START.finditer(text))
        assert [m.span() for m in finditer_at(normalize._BOUNDARY, text, starts)] == \
            [m.span() for m in normalize._BOUNDARY.finditer(text)]


def test_fast_constructor_builds_the_same_frozen_object() -> None:
    import dataclasses
    import pickle

    from pipelines.news.claims import Claim
    from pipelines.news.records import fast_constructor

    make = fast_constructor(Claim)
    fields = ("officers_total", 12.0, None, None, "hơn", "hơn 12 cán bộ", 3, 16, "2021-01-01")
    fast, slow = make(*fields), Claim(*fields)
    assert type(fast) is Claim
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
    assert pickle.loads(pickle.dumps(fast)) == slow
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.value = 3.0  # type: ignore[misc]


def test_strip_leading_cue_same_as_regex() -> None:
    leading_cue = re.compile(r"\s*(?:ngày|sáng|chiều|tối|trưa|đêm|hôm)?\s*$")  # what _strip_leading_cue replaces
    windows = ["", " ", "ngày", "ngày ngày ", "x ngày\n", "Kế hoạch số 12 ngày  ", "thôm", "hôm \n", "từ sáng"]
    for text in TEXTS + EDGE_TEXTS:
        folded = fold_variants(text)
        windows += [folded[max(0, m.start() - 40):m.start()] for m in re.finditer(r"\d", folded)]
    for window in windows:
        assert dates._strip_leading_cue(window) == leading_cue.sub("", window), window
