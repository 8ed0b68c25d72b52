"""Vietnamese numbers: '2.150' (dot = thousands), '4,7' (comma = decimal), '95%', and numbers in words.

Word numbers are only recognised in running text when a count noun follows ('năm xã', 'hai mươi cán bộ'),
because several number words are also ordinary words: 'năm' is 'year', 'tư' is 'private', 'ba' is 'father'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import attrgetter

from pipelines.news.normalize import (NOT_WORD_AFTER, NOT_WORD_BEFORE, finditer_at, fold_variants,
                                      literal_positions)
from pipelines.news.records import fast_constructor

DIGITS = {
    "không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "nhăm": 5,
    "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9,
}
_UNIT_AFTER_TENS = {"mốt": 1, "một": 1, "tư": 4, "bốn": 4, "lăm": 5, "năm": 5, "nhăm": 5}
_PLAIN_DIGITS = {w: v for w, v in DIGITS.items() if w not in ("mốt", "tư", "lăm", "nhăm")}
MULTIPLIERS = {"nghìn": 1_000, "ngàn": 1_000, "triệu": 1_000_000, "tỉ": 1_000_000_000, "tỷ": 1_000_000_000}
_SMALL_WORDS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]

# Nouns that make a preceding word number a count ('năm xã' = five communes, 'năm 2021' = the year 2021).
COUNT_NOUNS = (
    "xã", "phường", "thị trấn", "đặc khu", "đơn vị", "huyện", "quận", "thị xã", "thành phố", "cán bộ", "chiến sĩ",
    "đồng chí", "đ/c", "người", "trụ sở", "công trình", "dự án", "trưởng", "phó", "công an", "điều tra viên",
    "lớp", "sĩ quan", "hạ sĩ quan", "cbcs", "nhà", "tỉnh", "địa phương", "phần trăm",
)


def format_number(value: int) -> str:
    """An int written the Vietnamese way: 2150 -> '2.150', -1234567 -> '-1.234.567'."""
    return f"{value:,}".replace(",", ".")


_NUMBER_SHAPE = re.compile(r"\d+(?:[.,]\d+)*")


def parse_number(token: str) -> float | None:
    """A number written in digits: '2.150' -> 2150, '4,7' -> 4.7, '95%' -> 95, '1.234,5' -> 1234.5.

    Returns None when the token is not a number ('7.4.2021' looks like a date, not a number).
    """
    if token.isdigit():
        return float(token)
    s = token.strip().rstrip("%").strip()
    if not s or not _NUMBER_SHAPE.fullmatch(s):
        return None
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        if s.rfind(",") > s.rfind("."):  # Vietnamese: 1.234,5
            return _grouped(s.split(",")[0], ".", s.split(",")[1] if commas == 1 else None)
        return _grouped(s.split(".")[0], ",", s.split(".")[1] if dots == 1 else None)
    if dots:
        if _is_grouped(s, "."):
            return float(s.replace(".", ""))
        return float(s) if dots == 1 else None
    if commas:
        if commas == 1:
            return float(s.replace(",", "."))
        return float(s.replace(",", "")) if _is_grouped(s, ",") else None
    return float(s)


def _is_grouped(s: str, sep: str) -> bool:
    parts = s.split(sep)
    return 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])


def _grouped(integer: str, sep: str, decimals: str | None) -> float | None:
    if decimals is None or not _is_grouped(integer, sep):
        return None
    return float(integer.replace(sep, "") + "." + decimals)


def number_to_words(value: int) -> str:
    """Vietnamese words for a non-negative int: 21 -> 'hai mươi mốt', 105 -> 'một trăm linh năm'."""
    if value < 0:
        raise ValueError("negative numbers are not written in words here")
    if value < 1000:
        return _chunk_words(value, full=False)
    for word, size in (("tỷ", 1_000_000_000), ("triệu", 1_000_000), ("nghìn", 1_000)):
        if value >= size:
            head, rest = divmod(value, size)
            words = number_to_words(head) + " " + word
            if rest == 0:
                return words
            tail = number_to_words(rest) if rest >= 1000 else _chunk_words(rest, full=True)
            return words + " " + tail
    raise AssertionError("unreachable")


def _chunk_words(value: int, full: bool) -> str:
    """Words for 0..999; full=True writes leading 'không trăm' / 'linh' as inside a larger number."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    out: list[str] = []
    if hundreds or full:
        out += [_SMALL_WORDS[hundreds], "trăm"]
    if tens == 0:
        if units and out:
            out += ["linh", _SMALL_WORDS[units]]
        elif units or not out:
            out.append(_SMALL_WORDS[units])
        return " ".join(out)
    out += ["mười"] if tens == 1 else [_SMALL_WORDS[tens], "mươi"]
    if units == 1:
        out.append("một" if tens == 1 else "mốt")
    elif units == 4:
        out.append("bốn" if tens == 1 else "tư")
    elif units == 5:
        out.append("lăm")
    elif units:
        out.append(_SMALL_WORDS[units])
    return " ".join(out)


def words_to_number(words: str) -> int | None:
    """Parse a whole word number ('hai mươi mốt' -> 21, 'một nghìn không trăm linh năm' -> 1005), else None."""
    tokens = fold_variants(words).split()
    return _parse_tokens(tokens) if tokens else None


def _parse_tokens(tokens: list[str]) -> int | None:
    for word, size in (("tỉ", 1_000_000_000), ("tỷ", 1_000_000_000), ("triệu", 1_000_000),
                       ("nghìn", 1_000), ("ngàn", 1_000)):
        if word in tokens:
            i = tokens.index(word)
            head = _parse_tokens(tokens[:i]) if i else None
            if head is None or head == 0:
                return None
            rest = tokens[i + 1:]
            if not rest:
                return head * size
            tail = _parse_tokens(rest)
            if tail is None or tail >= size:
                return None
            return head * size + tail
    return _parse_chunk(tokens)


def _parse_chunk(tokens: list[str]) -> int | None:
    """0..999 in words."""
    hundreds = 0
    if "trăm" in tokens:
        i = tokens.index("trăm")
        if i != 1 or tokens[0] not in _PLAIN_DIGITS:
            return None
        hundreds = _PLAIN_DIGITS[tokens[0]] * 100
        tokens = tokens[2:]
        if not tokens:
            return hundreds
        if tokens[0] in ("linh", "lẻ"):
            if len(tokens) == 2 and tokens[1] in _PLAIN_DIGITS and tokens[1] != "không":
                return hundreds + _PLAIN_DIGITS[tokens[1]]
            return None
        if len(tokens) == 1 and tokens[0] != "mười":
            return None  # 'hai trăm năm' is ambiguous (250 colloquially, or 'two hundred years')
    tens = _parse_tens(tokens)
    return None if tens is None else hundreds + tens


def _parse_tens(tokens: list[str]) -> int | None:
    if len(tokens) == 1 and tokens[0] in _PLAIN_DIGITS:
        return _PLAIN_DIGITS[tokens[0]]
    if tokens and tokens[0] == "mười":
        if len(tokens) == 1:
            return 10
        if len(tokens) == 2:
            unit = tokens[1]
            if unit in ("lăm", "năm", "nhăm"):
                return 15
            if unit in _PLAIN_DIGITS and unit != "không" or unit == "tư":
                return 10 + DIGITS[unit]
        return None
    if len(tokens) >= 2 and tokens[1] == "mươi" and tokens[0] in _PLAIN_DIGITS and DIGITS[tokens[0]] >= 2:
        base = DIGITS[tokens[0]] * 10
        if len(tokens) == 2:
            return base
        if len(tokens) == 3:
            unit = tokens[2]
            if unit in _UNIT_AFTER_TENS:
                return base + _UNIT_AFTER_TENS[unit]
            if unit in _PLAIN_DIGITS and unit != "không":
                return base + _PLAIN_DIGITS[unit]
        return None
    return None


# --- finding numbers in running text ------------------------------------------------------------------------

@dataclass(frozen=True)
class NumberMention:
    """A number found in text: offsets into the text, its value, and whether it was written in words."""

    start: int
    end: int
    value: float
    in_words: bool


_new_number = fast_constructor(NumberMention)
# Opening on a character class ('\d', not a lookbehind) lets the regex engine skip ahead fast. Tokens preceded by
# '/', '.' or ',' ('7/4/2021', '1.394') are not numbers: the lookbehind after the first digit rejects them, and
# every later digit of them (preceded by a digit, '.' or ','), inside the regex engine. A token never starts right
# after a digit anyway, since the previous token would have taken that digit.
_DIGIT_TOKEN = re.compile(r"\d(?<![/.,\d]\d)\d*(?:[.,]\d+)*")
_MULTIPLIER_AFTER = re.compile(r"\s+(nghìn|ngàn|triệu)" + NOT_WORD_AFTER)
_NUMBER_WORDS = sorted(set(DIGITS) | {"mười", "mươi", "trăm", "linh", "lẻ"} | set(MULTIPLIERS), key=len,
                       reverse=True)
_START_WORDS = ("một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "bẩy", "tám", "chín", "mười")
# Tried only where a start word occurs (`finditer_at`); the word boundary before it is checked in code.
_WORD_RUN = re.compile(
    "(?:" + "|".join(_START_WORDS) + ")" + NOT_WORD_AFTER
    + "(?:\\s+(?:" + "|".join(_NUMBER_WORDS) + ")" + NOT_WORD_AFTER + ")*"
)
_LETTER_OR_DIGIT = re.compile(r"\w")


def _count_noun_regex(nouns: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(fold_variants(n)) for n in sorted(nouns, key=len, reverse=True))
    return re.compile(r"\s*(?:" + alternatives + ")" + NOT_WORD_AFTER + r"|\s*%")


_COUNT_NOUN_AFTER = _count_noun_regex(COUNT_NOUNS)


def find_numbers(text: str, folded: str | None = None) -> list[NumberMention]:
    """Numbers in digits anywhere, and numbers in words when a count noun or '%' follows.

    `folded` is `fold_variants(text)` if the caller already has it. Digits followed by 'nghìn'/'triệu' scale
    ('1,2 nghìn' = 1200).
    """
    folded = fold_variants(text) if folded is None else folded
    found: list[NumberMention] = []
    multipliers = "nghìn" in folded or "ngàn" in folded or "triệu" in folded
    for m in _DIGIT_TOKEN.finditer(folded):
        token = m.group()
        value = float(token) if token.isdigit() else parse_number(token)  # most tokens are plain digits
        if value is None:
            continue
        start, end = m.span()
        mult = _MULTIPLIER_AFTER.match(folded, end) if multipliers else None
        if mult:
            value *= MULTIPLIERS[mult.group(1)]
            end = mult.end()
        found.append(_new_number(start, end, value, False))
    for m in finditer_at(_WORD_RUN, folded, literal_positions(folded, _START_WORDS)):
        if m.start() > 0 and _LETTER_OR_DIGIT.match(folded[m.start() - 1]):
            continue
        mention = _word_mention(folded, m.start(), m.group(0))
        if mention is not None:
            found.append(mention)
    found.sort(key=_START)
    return found


_NON_SPACE = re.compile(r"\S+")
_START = attrgetter("start")


def _word_mention(folded: str, start: int, run: str) -> NumberMention | None:
    """The longest prefix of a run of number words that parses and is followed by a count noun."""
    spans = [(m.start(), m.end()) for m in _NON_SPACE.finditer(run)]
    for n in range(len(spans), 0, -1):
        words = run[: spans[n - 1][1]]
        value = _parse_tokens(words.split())
        if value is None:
            continue
        end = start + spans[n - 1][1]
        if _COUNT_NOUN_AFTER.match(folded, end):
            return _new_number(start, end, float(value), True)
    return None
