"""Dates in Vietnamese news: 'ngày 7/4', '07/04/2021', '7.4', '7-4-2021', 'tháng 4/2021', 'quý I/2023',
'năm 2021', 'đến nay'. A date without a year takes the article's (published) year.

Each mention also gets a role: 'point', 'from' ('từ ngày...'), 'until' ('đến ngày...', 'tính đến...') or
'document' (the date of a decree or plan: 'Kế hoạch số 12/KH-CAT ngày 5/3/2021'), which claims never use
as their as-of date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from pipelines.news.normalize import NOT_WORD_AFTER, finditer_at, fold_variants, literal_positions
from pipelines.news.records import fast_constructor

ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class DateMention:
    """A date expression: offsets into the text, the resolved parts, its precision and its role."""

    start: int
    end: int
    year: int | None
    month: int | None
    day: int | None
    precision: str  # "day" | "month" | "year" | "now"
    role: str  # "point" | "from" | "until" | "document"

    @property
    def iso(self) -> str | None:
        """'YYYY-MM-DD' for a day, 'YYYY-MM' for a month/quarter/year-end, None when the year is unknown."""
        if self.year is None:
            return None
        if self.precision in ("day", "now"):
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{self.month:02d}"


_new_date = fast_constructor(DateMention)
_YEAR = r"((?:19|20)\d\d)"
_D = r"(\d\d?)"  # not \d{1,2}: a pattern opening on a character class lets the regex engine skip ahead
_M = r"(\d\d?)"
_DAY_CUE = r"(?:ngày|sáng|chiều|tối|trưa|đêm|hôm|từ|đến|tới|hết|trước|sau)"
_NA = NOT_WORD_AFTER
# Date patterns in priority order (longer, more specific first); all run on fold_variants(text). Each starts with
# a literal or a digit so the regex engine can skip ahead quickly; the word boundary before a match and the
# 'cuối/đầu năm' modifiers are checked in code.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("dmy_words", re.compile(r"ngày\s+" + _D + r"\s+tháng\s+" + _M + r"(?:\s*(?:năm|,)\s*" + _YEAR + ")?" + _NA)),
    ("dmy", re.compile(_D + r"([/.-])" + _M + r"\2" + _YEAR + r"(?![\d/])")),
    ("dm_slash", re.compile(_DAY_CUE + r"(?:\s+ngày)?\s+" + _D + r"\s*([/.-])\s*" + _M + r"(?![\d/%]|[.,-]\d)")),
    ("dm_paren", re.compile(r"\(\s*" + _D + r"\s*([/.-])\s*" + _M + r"\s*\)")),
    ("my_words", re.compile(r"tháng\s+" + _M + r"(?:\s*(?:[/.-]|năm)\s*" + _YEAR + r")?(?![\d/%]|[.,-]\d)")),
    ("quarter", re.compile(r"quý\s+(iv|iii|ii|i|[1-4])" + _NA + r"(?:\s*(?:[/.-]|năm)\s*" + _YEAR + ")?")),
    ("months_of_year", re.compile(r"(6|9|sáu|chín)\s+tháng\s+(đầu|cuối)?\s*năm(?:\s+" + _YEAR + ")?" + _NA)),
    ("year", re.compile(r"năm\s+" + _YEAR + r"(?![\d/-])")),
    ("now", re.compile(r"(?:(?:tính\s+(?:đến|tới)|đến|tới)\s+(?:nay|thời\s+điểm\s+(?:này|hiện\s+tại|hiện\s+nay)"
                       r"|hiện\s+tại)|hiện\s+(?:nay|tại))" + _NA)),
)
# Patterns opening on an alternation or a digit would be tried at nearly every offset of the text; they are tried
# only where they can start (`_starts`), which gives the same matches much faster.
_DAY_CUES = ("ngày", "sáng", "chiều", "tối", "trưa", "đêm", "hôm", "từ", "đến", "tới", "hết", "trước", "sau")
_MONTHS_WORDS = ("6", "9", "sáu", "chín")


def _starts(kind: str, folded: str) -> list[int] | None:
    """Every offset where a `kind` pattern can match (a superset), or None to scan the whole text."""
    if kind == "dmy":  # 'D/M/YYYY': the second separator is followed by 19.. or 20..
        seps = literal_positions(folded, ("/19", "/20", ".19", ".20", "-19", "-20"))
        return sorted({q - k for q in seps for k in (5, 4, 3) if q - k >= 0})
    if kind == "dm_slash":  # a day cue, optionally 'ngày', whitespace, then 'D/M': found back from the separator
        found = set()
        for q in literal_positions(folded, ("/", ".", "-")):
            if not q or not (folded[q - 1].isdecimal() or folded[q - 1].isspace()):
                continue  # a sentence end or an abbreviation, not 'D/M'
            end = _whitespace_before(folded, q)
            day = end
            while day > 0 and end - day <= 2 and folded[day - 1].isdecimal():
                day -= 1
            if not 1 <= end - day <= 2:
                continue
            gap = _whitespace_before(folded, day)
            if gap == day:
                continue
            found.update(_words_ending_at(folded, gap, _DAY_CUES))
            if folded.startswith("ngày", gap - 4):
                gap2 = _whitespace_before(folded, gap - 4)
                if gap2 < gap - 4:
                    found.update(_words_ending_at(folded, gap2, _DAY_CUES))
        return sorted(found)
    if kind == "months_of_year":  # '6 tháng đầu năm', 'chín tháng'
        found = set()
        for t in literal_positions(folded, ("tháng",)):
            gap = _whitespace_before(folded, t)
            if gap < t:
                found.update(_words_ending_at(folded, gap, _MONTHS_WORDS))
        return sorted(found)
    if kind == "now":
        return literal_positions(folded, ("tính", "đến", "tới", "hiện"))
    return None


def _whitespace_before(text: str, pos: int) -> int:
    """Start of the run of whitespace that ends at pos (pos itself when there is none)."""
    while pos > 0 and text[pos - 1].isspace():
        pos -= 1
    return pos


def _words_ending_at(text: str, end: int, words: tuple[str, ...]) -> list[int]:
    """Start offsets of the words (of `words`) that end at `end`."""
    if not text.endswith(words, 0, end):  # one C call rejects most places
        return []
    return [end - len(w) for w in words if text.endswith(w, 0, end)]


_YEAR_MODIFIER = re.compile(r"(cuối|hết|đầu|giữa)\s+$")
_WORD_CHAR = re.compile(r"\w")
_UNIT_AFTER = re.compile(r"\s*(?:xã|phường|thị\s+trấn|đơn\s+vị|cán\s+bộ|đồng\s+chí|trụ\s+sở|huyện|công\s+an)" + _NA)
_DOC_BEFORE = re.compile(
    r"(?:số\s*\d+[\w/.-]*|\d+/\d{4}/[\w-]+|\d+/[a-zđ]+-[\w-]+|ban\s+hành|ký|kí)\s*,?\s*$"
)
_FROM_BEFORE = re.compile(r"(?:^|\s)(?:từ|kể\s+từ|bắt\s+đầu\s+từ)\s*$")
_UNTIL_BEFORE = re.compile(r"(?:^|\s)(?:đến|tới|tính\s+đến|tính\s+tới|đến\s+hết|đến\s+cuối|cho\s+đến)\s*$")


def find_dates(text: str, published: date | None, folded: str | None = None) -> list[DateMention]:
    """All date expressions in text, sorted by offset, non-overlapping, resolved against `published`."""
    folded = fold_variants(text) if folded is None else folded
    taken: list[tuple[int, int]] = []
    found: list[DateMention] = []
    for kind, pattern in _PATTERNS:
        starts = _starts(kind, folded)
        matches = pattern.finditer(folded) if starts is None else finditer_at(pattern, folded, starts)
        for m in matches:
            m_start, m_end = m.span()
            before = folded[m_start - 1] if m_start else " "
            if _WORD_CHAR.match(before) if kind != "dmy" else before in "0123456789/.,-":
                continue  # inside a longer word or number
            if taken and _overlaps(taken, m_start, m_end):
                continue
            mention = _resolve(kind, m, folded, published)
            if mention is None:
                continue
            taken.append((m.start(), m.end()))
            found.append(mention)
    found.sort(key=lambda d: d.start)
    return found


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    for s, e in spans:
        if start < e and s < end:
            return True
    return False


def parse_date(text: str, published: date | None = None) -> DateMention | None:
    """The first date expression in text (a convenience for tests and callers with one phrase)."""
    found = find_dates(text, published)
    return found[0] if found else None


def _resolve(kind: str, m: re.Match[str], folded: str, published: date | None) -> DateMention | None:
    start, end = m.start(), m.end()
    pub_year = published.year if published else None
    if kind == "dmy_words":
        return _day(start, end, int(m.group(1)), int(m.group(2)), _int(m.group(3)) or pub_year, folded)
    if kind == "dmy":
        return _day(start, end, int(m.group(1)), int(m.group(3)), int(m.group(4)), folded)
    if kind == "dm_slash":
        if _UNIT_AFTER.match(folded, end):
            return None  # '37/37 xã' is a fraction, not a date
        if m.group(2) == "." and not re.match(r"(?:ngày|sáng|chiều|tối|trưa|đêm|hôm)", m.group(0)):
            return None
        return _day(start, end, int(m.group(1)), int(m.group(3)), pub_year, folded)
    if kind == "dm_paren":
        return _day(start, end, int(m.group(1)), int(m.group(3)), pub_year, folded)
    if kind == "my_words":
        if _UNIT_AFTER.match(folded, end):
            return None
        month = int(m.group(1))
        return _month(start, end, _int(m.group(2)) or pub_year, month, folded)
    if kind == "quarter":
        quarter = ROMAN_QUARTERS[m.group(1)]
        return _month(start, end, _int(m.group(2)) or pub_year, quarter * 3, folded)
    if kind == "months_of_year":
        months = 6 if m.group(1) in ("6", "sáu") else 9
        if m.group(2) == "cuối":
            months = 12
        return _month(start, end, _int(m.group(3)) or pub_year, months, folded)
    if kind == "year":
        modifier = _YEAR_MODIFIER.search(folded, max(0, start - 8), start)
        if modifier:
            start = modifier.start()
        return _year(start, end, int(m.group(1)), modifier.group(1) if modifier else None, published, folded)
    if kind == "now":
        if published is None:
            return _new_date(start, end, None, None, None, "now", "until")
        return _new_date(start, end, published.year, published.month, published.day, "now", "until")
    raise AssertionError(kind)


def _int(group: str | None) -> int | None:
    return int(group) if group else None


def _role(folded: str, start: int) -> str:
    before = _strip_leading_cue(folded[max(0, start - 40):start])
    # Substring tests first: each pattern needs one of these words.
    if ("số" in before or "/" in before or "ban" in before or "ký" in before or "kí" in before) \
            and _DOC_BEFORE.search(before):
        return "document"
    head = folded[start:start + 6]
    if head.startswith(("từ", "kể")) or ("từ" in before and _FROM_BEFORE.search(before)):
        return "from"
    if head.startswith(("đến", "tới", "hết")) or \
            (("đến" in before or "tới" in before) and _UNTIL_BEFORE.search(before)):
        return "until"
    return "point"


_DAY_WORDS = ("ngày", "sáng", "chiều", "tối", "trưa", "đêm", "hôm")


def _strip_leading_cue(before: str) -> str:
    """`_LEADING_CUE.sub("", before)` without a regex: trailing whitespace, one day word, whitespace."""
    stripped = before.rstrip()
    if not stripped.endswith(_DAY_WORDS):  # one C call for the usual case
        return stripped
    for word in _DAY_WORDS:
        if stripped.endswith(word):
            return stripped[:-len(word)].rstrip()
    return stripped


def _day(start: int, end: int, day: int, month: int, year: int | None, folded: str) -> DateMention | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if year is not None:
        try:
            date(year, month, day)
        except ValueError:
            return None
    return _new_date(start, end, year, month, day, "day", _role(folded, start))


def _month(start: int, end: int, year: int | None, month: int, folded: str) -> DateMention | None:
    if not 1 <= month <= 12:
        return None
    return _new_date(start, end, year, month, None, "month", _role(folded, start))


def _year(start: int, end: int, year: int, modifier: str | None, published: date | None,
          folded: str) -> DateMention:
    """'năm 2021' as a point in time: the publication date in the same year, else that year's end (or start)."""
    role = _role(folded, start)
    if modifier == "đầu":
        return _new_date(start, end, year, 1, None, "month", role)
    if modifier is None and published is not None and published.year == year:
        return _new_date(start, end, year, published.month, published.day, "now", role)
    return _new_date(start, end, year, 12, None, "year", role)


def month_end(year: int, month: int) -> date:
    """The last day of a month (handy for callers turning 'YYYY-MM' into a date)."""
    return date(year, month, calendar.monthrange(year, month)[1])
