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


BOUNDARY_EDGES = ["a. B", "a.. B", "a…\" B", "a.”) B", "a.\n\nB", "x\n  y", "1.394 và 7.4.2021. B", "TP. Vinh", "a!\t\nb",
                  "a.\u00a0B", "(a.) b", "a?’ c", "\n", ".", "a. ", "Đ/c. Nam"]


def test_sentence_boundaries_same_as_plain_pattern() -> None:
    """`_BOUNDARY` opens on a character class; its matches are those of the plain pattern with three groups
    (punctuation, closing quotes, whitespace) or a line break, and the punctuation part is the match's rstrip."""
    plain = re.compile(r"([.!?…]+)([\"”’')\]]*)(\s+)|\n\s*")
    for text in TEXTS + EDGE_TEXTS + BOUNDARY_EDGES:
        fast, slow = list(normalize._BOUNDARY.finditer(text)), list(plain.finditer(text))
        assert [m.span() for m in fast] == [m.span() for m in slow]
        for f, s in zip(fast, slow):
            if s.group(1) is not None:
                assert f.group().rstrip() == s.group(1) + s.group(2)


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


def _windows(texts: list[str]):
    """(folded text, start, end) windows of several sizes over the texts."""
    for text in texts:
        folded = fold_variants(text)
        for size in (12, 40, 90, 200):
            for start in range(0, max(1, len(folded) - size), 7):
                yield folded, start, start + size


def _same_search(fast: re.Pattern[str], plain: re.Pattern[str], texts: list[str]) -> None:
    for folded, start, end in _windows(texts):
        window = folded[start:end]
        for a, b in ((fast.search(window), plain.search(window)), (fast.search(folded, start, end),
                                                                    plain.search(folded, start, end))):
            assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups())), (fast.pattern, window)


LOOKBEHIND_EDGES = ["sẽ xsẽ _sẽ 1sẽ cần thơ cần nếu cũ có xã axã đtv xđtv trưởng atrưởng thêm bố trí abố trí chưa "
                    "không cho acho có còn là alà công an tỉnh xcông an ca tỉnh aca tp. atp thủ đô thành phố đã có "
                    "mỗi amỗi trưởng công an xã có lãnh đạo công an xã có công an các xã được bố trí các xã bố trí "
                    "được giao đầu tư xây dựng bố trí 3 công an điều động về cán bộ"]


def test_word_boundary_written_after_the_word() -> None:
    """Searched cue patterns write '\\bword' as 'word(?<!\\wword)' so that every alternative opens on a literal;
    they find what the '\\b' spelling finds."""
    from pipelines.news import cues, provinces

    patterns = [cues.RATE_LEFT, cues.PLAN, cues.PRESENT_AFTER_PLAN, cues.DATE_PLAN, cues.BEFORE_MERGER,
                cues.COMMUNE_CUE, cues.INVESTIGATOR, cues.HEAD_WORD, cues.WAVE, cues.CUMULATIVE, cues.NEGATION,
                cues.BENEFICIARY, cues.TOTAL_LEFT, provinces._STRONG_BEFORE, provinces._PROVINCE_BEFORE,
                provinces._CITY_BEFORE]
    texts = TEXTS[:12] + EDGE_TEXTS + LOOKBEHIND_EDGES
    for fast in patterns:
        plain_source = re.sub(r"((?:\w| )+)\(\?<!\\w\1\)", r"\\b\1", fast.pattern)
        assert plain_source != fast.pattern
        _same_search(fast, re.compile(plain_source), texts)


def test_patterns_rewritten_to_open_on_a_literal() -> None:
    from pipelines.news import cues

    plain = {
        cues.REGULAR: r"chính quy|cacq|ra mắt|đảm nhiệm|(?:bố trí|điều động|tăng cường)(?:\s+[^\s\d]+){0,3}?\s+"
                      + cues.POLICE_NOUN,
        cues.SINGLE_UNIT_SUBJECT: r"(?<!\w)(?<!trưởng )(?<!lãnh đạo )công an (?:xã|phường|thị trấn|đặc khu)\s+"
                                  r"(?:hiện\s+)?(?:có|gồm)\s*$",
        cues.PER_UNIT_ALLOCATION: r"(?<!công an )(?:các|những)\s+(?:xã|phường|thị trấn)[^,;\d]{0,40}(?:được\s+)?"
                                  r"bố trí\s*$",
        dict(cues.HQ_STATUS)["hq_projects"]: r"(?:được\s+(?:\S+\s+){0,3}?)?đầu tư xây dựng|phê duyệt"
                                             r"|chủ trương đầu tư",
    }
    for fast, source in plain.items():
        _same_search(fast, re.compile(source), TEXTS[:12] + EDGE_TEXTS + LOOKBEHIND_EDGES)


def test_digit_tokens_and_abbreviations_same_as_plain_scans() -> None:
    from pipelines.news import numbers

    plain_token = re.compile(r"\d+(?:[.,]\d+)*")
    plain_before = re.compile(r"(\S+)$")
    for text in TEXTS + EDGE_TEXTS + ["1/2/3 ,5 a.1 5, 12/2021/NĐ 1.394.000 7.4.2021 x1,2"]:
        folded = fold_variants(text)
        expected = [m.span() for m in plain_token.finditer(folded) if not (m.start() and folded[m.start() - 1] in "/.,")]
        assert [m.span() for m in numbers._DIGIT_TOKEN.finditer(folded)] == expected
    for text in TEXTS[:5] + BOUNDARY_EDGES + ["a\n.", "TP\n.", "x (TP.", " \n."]:
        for dot in range(len(text) + 1):
            m = plain_before.search(text, max(0, dot - 12), dot)
            token = m.group(1).lstrip("(\"“'") if m else None
            expected = bool(m) and (token.lower() in normalize._ABBREVIATIONS or (len(token) == 1 and token.isupper()))
            assert normalize._is_abbreviation(text, dot) == expected, (text, dot)


def test_y_folding_same_as_checking_every_y() -> None:
    every_y = re.compile(f"[yỳýỷỹỵ]{normalize.NOT_WORD_AFTER}")
    for text in TEXTS + EDGE_TEXTS:
        lowered = text.lower()
        expected = [m.start() for m in every_y.finditer(lowered) if normalize._y_is_i(lowered, m.start())]
        assert [m.start() for m in normalize._Y_AS_I.finditer(lowered) if normalize._y_is_i(lowered, m.start())] \
            == expected
