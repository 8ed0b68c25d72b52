"""Unicode and spelling normalization for Vietnamese news text, with offsets kept intact.

Every folding function here maps an NFC string to a string of the SAME length, character for character, so a
regex match on the folded copy gives offsets that are valid in the original text. Callers fold an NFC text
(`Article.text` is NFC already); `nfc` is the one step that may change the length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

_WORD_CHARS = "a-zA-Z0-9àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ" \
              "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
UPPER_CHARS = "A-ZÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
WORD_CLASS = f"[{_WORD_CHARS}]"
NOT_WORD_BEFORE = f"(?<![{_WORD_CHARS}])"
NOT_WORD_AFTER = f"(?![{_WORD_CHARS}])"

# Tone marks by vowel: plain, grave, acute, hook, tilde, dot.
_TONES = {
    "a": "aàáảãạ", "o": "oòóỏõọ", "u": "uùúủũụ", "y": "yỳýỷỹỵ", "i": "iìíỉĩị", "e": "eèéẻẽẹ",
}


def nfc(text: str) -> str:
    """Compose decomposed diacritics (e.g. 'a' + U+0301) into single code points."""
    return unicodedata.normalize("NFC", text)


def _lower_same_length(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few exotic characters lower to two code points; keep those unchanged to protect offsets.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _old_tone_fixes() -> list[tuple[re.Pattern[str], dict[str, str]]]:
    """Old tone placement ('hoà', 'thuỷ', 'khoẻ') -> new ('hòa', 'thủy', 'khỏe') in open syllables."""
    fixes = []
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        marked = _TONES[second][1:]
        mapping = {}
        for tone in range(1, 6):
            mapping[first + _TONES[second][tone]] = _TONES[first][tone] + second
        # Patterns start with a literal so the regex engine can skip ahead fast; 'quý' is checked in code.
        pattern = re.compile(f"{first}[{marked}]{NOT_WORD_AFTER}")
        fixes.append((pattern, mapping))
    return fixes


_TONE_FIXES = _old_tone_fixes()
# 'tỷ'/'tỉ', 'sỹ'/'sĩ', 'kỹ'/'kĩ', 'lý'/'lí', 'mỹ'/'mĩ': a single consonant + y as the whole syllable. The pattern
# starts at the (rare) y so the regex engine skips ahead on it, and the lookbehind drops the y's after a vowel
# ('ngày', 'này', 'quy': 6 of 7) without a Python call; that the consonant starts the syllable is checked in code.
_Y_CONSONANTS = frozenset("bcdđhklmnstv")
_Y_AS_I = re.compile(f"[yỳýỷỹỵ](?<=[{''.join(sorted(_Y_CONSONANTS))}].){NOT_WORD_AFTER}")
_Y_TO_I = dict(zip(_TONES["y"], _TONES["i"]))
_LETTER = re.compile(WORD_CLASS)


def _is_letter(ch: str) -> bool:
    return bool(_LETTER.match(ch))


@lru_cache(maxsize=256)
def fold_variants(text: str) -> str:
    """Lowercase and fold spelling variants (tone placement, y/i) so both spellings match one pattern.

    The input must be NFC; the output has the same length as the input. Cached: an article's text is folded
    once although province detection, date, number and claim finding all need the folded copy.
    """
    out = _lower_same_length(text)
    for pattern, mapping in _TONE_FIXES:
        out = pattern.sub(lambda m, mp=mapping, src=out: _fix_tone(m, mp, src), out)
    # 'quy', 'chính quy' end on a y too, so most y's stay: find the ones to change, then rebuild only if any,
    # from slices (a list of every character and its join cost more than the rest of the folding).
    changes = [m.start() for m in _Y_AS_I.finditer(out) if _y_is_i(out, m.start())]
    if not changes:
        return out
    pieces = []
    prev = 0
    for pos in changes:
        pieces.append(out[prev:pos])
        pieces.append(_Y_TO_I[out[pos]])
        prev = pos + 1
    pieces.append(out[prev:])
    return "".join(pieces)


def _fix_tone(m: re.Match[str], mapping: dict[str, str], source: str) -> str:
    pos = m.start()
    if m.group(0)[0] == "u" and pos > 0 and source[pos - 1] == "q":
        return m.group(0)  # 'quý' keeps its spelling
    return mapping[m.group(0)]


def _y_is_i(source: str, y_pos: int) -> bool:
    """The y at y_pos ends a syllable of one consonant and the y ('tỷ', 'kỹ', 'lý'), unlike 'quy' or 'huy'."""
    pos = y_pos - 1  # the consonant before the y; the syllable must start with it
    return pos >= 0 and source[pos] in _Y_CONSONANTS and (pos == 0 or not _is_letter(source[pos - 1]))


@lru_cache(maxsize=1)
def _accent_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii():
            table[cp] = base
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


def strip_accents(text: str) -> str:
    """Remove diacritics ('Đắk Lắk' -> 'Dak Lak'); same length as the NFC input, case kept."""
    return text.translate(_accent_table())


def fold_ascii(text: str) -> str:
    """Accent-free, lowercase, variant-folded form used for diacritic-insensitive matching."""
    return strip_accents(fold_variants(text))


# --- fast scanning ------------------------------------------------------------------------------------------
# Python's regex engine skips ahead quickly only when a pattern starts with a literal or a character class; a
# pattern opening on an alternation of groups is tried at every position of a 4 KB article. These helpers give
# the same matches as `pattern.finditer(text)` by trying the pattern only where a match can start.


def finditer_at(pattern: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """The matches of `pattern.finditer(text)`, provided every match starts at one of `starts` (ascending).

    Like finditer, a match hides later candidates inside it. The pattern must not match the empty string.
    """
    end = 0
    for pos in starts:
        if pos < end:
            continue
        m = pattern.match(text, pos)
        if m is not None:
            end = m.end()
            yield m


def literal_positions(text: str, literals: Iterable[str]) -> list[int]:
    """Sorted offsets where any of `literals` occurs in text (str.find is much faster than a regex scan)."""
    found = set()
    for literal in literals:
        pos = text.find(literal)
        while pos != -1:
            found.add(pos)
            pos = text.find(literal, pos + 1)
    return sorted(found)


def collapse_whitespace(text: str) -> str:
    """Collapse runs of whitespace to one space and trim."""
    return " ".join(text.split())


# --- sentence splitting ------------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset({
    "tp", "đ/c", "đc", "ths", "th.s", "ts", "pgs", "gs", "bs", "ks", "cn", "v.v", "vv", "tt", "p", "q", "tx", "x",
    "tr", "st", "mr", "ms", "no", "đ.c", "ttg", "ttxvn", "nxb", "đ/ c",
})
# A sentence boundary: a run of '.!?…', closing quotes or brackets, and whitespace; or a line break and the
# whitespace after it. Written to open on a character class so that the regex engine skips ahead in C (the dots
# inside numbers, '1.394', '7.4.2021', fail at once); the parts of a punctuation match are told apart in code.
_BOUNDARY = re.compile(r"[.!?…\n](?:(?<=\n)\s*|[.!?…]*[\"”’')\]]*\s+)")


def _is_abbreviation(text: str, dot_pos: int) -> bool:
    """True when the '.' at dot_pos closes an abbreviation such as 'TP.' or 'Đ/c.' or an initial 'N.'."""
    # The last run of non-space characters before the dot, within 12 characters (what the regex '(\S+)$' searched
    # over that window finds; like '$', it may end before a final newline).
    window = text[max(0, dot_pos - 12):dot_pos]
    if window.endswith("\n"):
        window = window[:-1]
    if not window or window[-1].isspace():
        return False
    token = window.rsplit(None, 1)[-1].lstrip("(\"“'")
    if token.lower() in _ABBREVIATIONS:
        return True
    return len(token) == 1 and token.isupper()


def _starts_sentence(text: str, pos: int) -> bool:
    if pos >= len(text):
        return True
    ch = text[pos]
    return ch.isupper() or ch.isdigit() or ch in "\"“‘'(-–•*[" or not ch.isalpha()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) over text; see `_split_sentences` (cached per text)."""
    return list(_split_sentences(text))


@lru_cache(maxsize=64)
def _split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans (start, end) over text; end excludes trailing whitespace.

    Splits after '.', '!', '?', '…' followed by whitespace and a capital/digit/quote, and at newlines, but not
    after abbreviations ('TP.', 'đ/c.', initials); a dot between digits ('1.394', '7.4.2021') never splits.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        boundary = m.group()
        if boundary[0] != "\n":
            mark = boundary.rstrip()  # the punctuation and closing quotes; the whitespace follows
            end = m.start() + len(mark)
            hard = "\n" in boundary[len(mark):]
            if not hard and not _starts_sentence(text, m.end()):
                continue
            if not hard and mark == "." and _is_abbreviation(text, m.start()):
                continue
        else:
            end = m.start()
        _add_span(text, spans, start, end)
        start = m.end()
    _add_span(text, spans, start, len(text))
    return tuple(spans)


def _add_span(text: str, spans: list[tuple[int, int]], start: int, end: int) -> None:
    segment = text[start:end]
    lstripped = segment.lstrip()
    if lstripped:
        start += len(segment) - len(lstripped)
        spans.append((start, start + len(lstripped.rstrip())))


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph spans: runs of text separated by line breaks."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"\n", text):
        _add_span(text, spans, start, m.start())
        start = m.end()
    _add_span(text, spans, start, len(text))
    return spans
