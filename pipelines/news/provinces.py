"""Find the province a news article is about.

Names come from the reference maps (`provinces("legacy_63")` and `provinces("v2025_34")`) plus a few spelling
aliases ('TP.HCM', 'Sài Gòn', 'Thừa Thiên Huế', 'BR-VT', 'Đắc Lắc'). Matching runs on an accent-free copy of
the text, then each hit is checked against the original: diacritics, when written, must be the name's own
(so 'năm định hướng' is not 'Nam Định'), each syllable must be capitalised ('hòa bình' is peace, 'Hòa Bình' a
province), and names that are parts of longer names are skipped ('Hà Nam Ninh', 'Điện Biên Phủ', 'Thái Bình
Dương', 'Chủ tịch Hồ Chí Minh', 'xã Hòa Bình').

The article's province is the best-scoring name: title and lead weigh most, 'Công an tỉnh X' is strong
evidence, a name in a passing context ('học tập kinh nghiệm tại tỉnh Y', 'giáp ranh') counts little.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.news.normalize import UPPER_CHARS, fold_variants, split_sentences, strip_accents
from pipelines.news.records import fast_constructor
from pipelines.reference.admin_units import provinces

_PREFIX = re.compile(r"^(?:Tỉnh|Thành phố)\s+")

# Extra spellings by legacy code; the reference short names are always included.
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "79": ("TP.HCM", "TP. HCM", "TPHCM", "TP HCM", "TP.Hồ Chí Minh", "Sài Gòn", "HCMC"),
    "46": ("Thừa Thiên Huế", "Thừa Thiên - Huế", "TT-Huế", "TT.Huế", "TT Huế"),
    "77": ("BR-VT", "BRVT", "BR - VT", "Bà Rịa-Vũng Tàu", "Vũng Tàu", "Bà Rịa"),
    "66": ("Đắc Lắc", "Đăk Lăk", "Đắk Lắc", "Đăk Lắk", "Đắc Lắk", "Daklak", "Dak Lak"),
    "67": ("Đăk Nông", "Đắc Nông", "Daknong"),
    "62": ("Kontum",),
    "06": ("Bắc Cạn",),
}
# Aliases that only name the province after 'thành phố'/'TP' ('Chủ tịch Hồ Chí Minh' is a person).
NEEDS_CITY_PREFIX = {"ho chi minh"}
# A name followed (or preceded) by these words is part of another name (accent-free, lowercase).
_BLOCK_AFTER: dict[str, tuple[str, ...]] = {"ha nam": ("ninh",), "dien bien": ("phu", "dong"), "thai binh": ("duong",)}
_BLOCK_BEFORE: dict[str, tuple[str, ...]] = {"binh duong": ("thai",), "nam dinh": ("ha",)}
# Context patterns run on fold_variants(text): lowercase WITH diacritics, so 'cả' is not 'CA' and 'tính' is not
# 'tỉnh'. Place-type words make the name a commune, district or street, not the province.
_SUBUNIT_BEFORE = re.compile(
    r"(?:(?<!thành )(?<!thị )\b(?:xã|phường|huyện|quận|thị trấn|thôn|ấp|bản|khu phố|đường|phố|tổ dân phố|khóm"
    r"|làng|trường|bệnh viện|khách sạn|công ty|nhà máy|sông|cầu|chợ)|\bx\.|\bp\.)\s+$"
)
_WEAK_BEFORE = re.compile(r"\bthị xã\s+$")
# A word boundary before a word is written as a lookbehind after it ('ca(?<!\wca)' is '\bca'), so that every
# alternative opens on a literal and a search skips ahead to where one can start instead of trying every offset.
_STRONG_BEFORE = re.compile(
    r"(?:công an(?<!\wcông an)|cong an(?<!\wcong an)|ca(?<!\wca))\s+"
    r"(?:tỉnh|tinh|thành phố|thanh pho|tp\.?|thủ đô|thu do)?\s*$"
)
_PROVINCE_BEFORE = re.compile(r"(?:tỉnh(?<!\wtỉnh)|thành phố(?<!\wthành phố)|tp(?<!\wtp)\.?|thủ đô(?<!\wthủ đô)|địa bàn"
                              r"|toàn tỉnh)\s*$")
# What the 'before' patterns' matches end with (whitespace stripped): a cheap test before each regex.
_SUBUNIT_ENDINGS = ("xã", "phường", "huyện", "quận", "thị trấn", "thôn", "ấp", "bản", "phố", "đường", "khóm", "làng",
                    "trường", "bệnh viện", "khách sạn", "công ty", "nhà máy", "sông", "cầu", "chợ", "x.", "p.")
_STRONG_ENDINGS = ("công an", "cong an", "ca", "tỉnh", "tinh", "thành phố", "thanh pho", "tp", "tp.", "thủ đô",
                   "thu do")
_PROVINCE_ENDINGS = ("tỉnh", "thành phố", "tp", "tp.", "thủ đô", "địa bàn")
_OLD_AFTER = re.compile(r"^\s*(?:\(\s*)?cũ\b")
_NEW_AFTER = re.compile(r"^\s*\(\s*mới\s*\)")
_PASSING = re.compile(
    r"học tập kinh nghiệm|trao đổi kinh nghiệm|tham quan|đoàn công tác|giáp ranh|giáp với|tiếp giáp|phối hợp với"
    r"|so với|các tỉnh|chia sẻ|cùng với|liên kết|kết nghĩa|học hỏi|khu vực giáp"
)
_NATIONAL = re.compile(r"(?:cả nước|toàn quốc|63 tỉnh|34 tỉnh|các tỉnh, thành phố|các địa phương)")


@dataclass(frozen=True)
class ProvinceMention:
    """One province name found in text: offsets, legacy code, and the evidence weight of this mention."""

    start: int
    end: int
    code: str
    weight: float
    strong: bool


_new_mention = fast_constructor(ProvinceMention)


@lru_cache(maxsize=1)
def short_names() -> dict[str, str]:
    """Legacy 2-digit code -> short province name with diacritics ('36' -> 'Nam Định')."""
    return {code: _PREFIX.sub("", name) for code, name in provinces("legacy_63").items()}


@lru_cache(maxsize=1)
def new_to_legacy_code() -> dict[str, str]:
    """2025 province code -> the legacy code of the same-name province ('15' Lào Cai -> '10')."""
    by_name = {name: code for code, name in short_names().items()}
    return {code: by_name[_PREFIX.sub("", name)] for code, name in provinces("v2025_34").items()
            if _PREFIX.sub("", name) in by_name}


@dataclass(frozen=True)
class _AliasTable:
    """Alias keys (lowercase words joined by spaces) -> legacy code, in two spellings."""

    with_diacritics: dict[str, str]  # 'nam định', 'đắc lắc', 'tp hcm' (aliases written in ASCII stay ASCII)
    accent_free: dict[str, str]  # 'nam dinh': only used for texts written without diacritics
    by_first_word: dict[str, tuple[tuple[str, ...], ...]]  # first word -> candidate word tuples, longest first
    lengths: dict[str, tuple[int, ...]]  # first word -> the candidates' word counts, longest first
    keys: dict[tuple[str, ...], str]  # candidate word tuple -> its key ('nam', 'định') -> 'nam định'


@lru_cache(maxsize=1)
def _alias_table() -> _AliasTable:
    with_diacritics: dict[str, str] = {}
    accent_free: dict[str, str] = {}
    for code, name in short_names().items():
        for alias in (name, *EXTRA_ALIASES.get(code, ())):
            key = _spelling_key(alias)
            with_diacritics[key] = code
            accent_free[strip_accents(key)] = code
    candidates: dict[str, set[tuple[str, ...]]] = {}
    for key in list(with_diacritics) + list(accent_free):
        words = tuple(key.split())
        candidates.setdefault(words[0], set()).add(words)
    by_first = {w: tuple(sorted(c, key=len, reverse=True)) for w, c in candidates.items()}
    lengths = {w: tuple(sorted({len(t) for t in c}, reverse=True)) for w, c in candidates.items()}
    keys = {t: " ".join(t) for c in candidates.values() for t in c}
    return _AliasTable(with_diacritics, accent_free, by_first, lengths, keys)


def _spelling_key(alias: str) -> str:
    """'Bà Rịa - Vũng Tàu' -> 'bà rịa vũng tàu', 'TP.HCM' -> 'tp hcm' (variant-folded words)."""
    return " ".join(_WORD.findall(fold_variants(alias)))


_WORD = re.compile(r"\w+")


def _mostly_without_diacritics(text: str) -> bool:
    """True for text typed without Vietnamese diacritics (then accent-free names are matched too)."""
    sample = text[:3000]
    if sample.isascii():
        return True
    extra_bytes = len(sample.encode("utf-8")) - len(sample)  # each marked letter takes 1-2 extra bytes
    return extra_bytes / max(1, len(sample)) < 0.02


def find_province_mentions(text: str, folded: str | None = None) -> list[ProvinceMention]:
    """Province names in text with a per-mention weight (strong 'Công an tỉnh X' mentions weigh more).

    `folded` is accepted for symmetry with the other finders; results are cached per text.
    """
    return list(_mentions(text))


# Province names are capitalised, so only words starting with a capital letter can begin one.
_CAPITAL_WORD = re.compile(f"[{UPPER_CHARS}]\\w*")
_NEXT_WORD = re.compile(r"[\s.\-–—]*(\w+)")


@lru_cache(maxsize=64)
def _mentions(text: str) -> tuple[ProvinceMention, ...]:
    folded = fold_variants(text)
    table = _alias_table()
    plain = _mostly_without_diacritics(text)
    found = []
    consumed = 0
    first_words = table.by_first_word
    # Most capitalised words start no name: one comprehension keeps the few whose folded form starts an alias.
    spans = [m.span() for m in _CAPITAL_WORD.finditer(text)]
    for start, word_end, candidates in [(s, e, c) for s, e in spans if (c := first_words.get(folded[s:e]))]:
        if start < consumed or (start and text[start - 1].isalnum()):
            continue
        hit = _match_at(folded, start, word_end, candidates, table, plain)
        if hit is None:
            continue
        end, code, key = hit
        consumed = end
        if not _capitalised(text[start:end]):
            continue
        before = folded[max(0, start - 40):start]
        after = folded[end:end + 20]
        strong = before.rstrip().endswith(_STRONG_ENDINGS) and bool(_STRONG_BEFORE.search(before))
        weight = _mention_weight(_ascii_key(key), before, after, strong)
        if weight is not None:
            found.append(_new_mention(start, end, code, weight, strong))
    return tuple(found)


@lru_cache(maxsize=512)
def _ascii_key(key: str) -> str:
    """strip_accents of an alias key (a small fixed vocabulary)."""
    return strip_accents(key)


def _match_at(folded: str, start: int, first_end: int, candidates: tuple[tuple[str, ...], ...],
              table: _AliasTable, plain: bool) -> tuple[int, str, str] | None:
    """The longest alias starting at `start`: (end offset, code, key)."""
    words = [folded[start:first_end]]
    ends = [first_end]
    longest = len(candidates[0])
    while len(words) < longest:
        nxt = _NEXT_WORD.match(folded, ends[-1])
        if not nxt:
            break
        words.append(nxt.group(1))
        ends.append(nxt.end())
    keys = table.keys
    for n in table.lengths[words[0]]:  # longest first; at most one candidate of each length fits the words
        if n > len(words):
            continue
        key = keys.get(tuple(words[:n]))
        if key is None:
            continue
        code = table.with_diacritics.get(key)  # exact spellings, incl. names that are ASCII anyway ('Gia Lai')
        if code is None and plain:
            code = table.accent_free.get(key)
        if code is not None:
            return ends[n - 1], code, key
    return None


_NAME_SEPARATORS = re.compile(r"[\s.\-–—]+")


def _capitalised(span: str) -> bool:
    for word in _NAME_SEPARATORS.split(span):
        if word and not (word[0].isupper() or word[0].isdigit()):
            return False
    return True


_CITY_BEFORE = re.compile(r"(?:thành phố(?<!\wthành phố)|tp(?<!\wtp)\.?)\s*$")
_BLOCK_AFTER_RE = {k: re.compile(r"\s+(?:" + "|".join(v) + r")\b") for k, v in _BLOCK_AFTER.items()}
_BLOCK_BEFORE_RE = {k: re.compile(r"\b(?:" + "|".join(v) + r")\s+$") for k, v in _BLOCK_BEFORE.items()}


def _mention_weight(key: str, before: str, after: str, strong: bool | None = None) -> float | None:
    """Evidence weight of one mention from its immediate context; None when it is not the province.

    `strong` is `_STRONG_BEFORE.search(before)` when the caller has it already.
    """
    if key in NEEDS_CITY_PREFIX and not _CITY_BEFORE.search(before):
        return None
    if key in _BLOCK_AFTER_RE and _BLOCK_AFTER_RE[key].match(strip_accents(after)):
        return None
    if key in _BLOCK_BEFORE_RE and _BLOCK_BEFORE_RE[key].search(strip_accents(before)):
        return None
    tail = before.rstrip()
    if tail.endswith(_SUBUNIT_ENDINGS) and _SUBUNIT_BEFORE.search(before):
        return None
    weight = 1.0
    if (tail.endswith("thị xã") and _WEAK_BEFORE.search(before)) or ("cũ" in after and _OLD_AFTER.match(after)):
        weight = 0.4
    if strong is None:
        strong = tail.endswith(_STRONG_ENDINGS) and bool(_STRONG_BEFORE.search(before))
    if strong:
        weight += 3.0
    elif tail.endswith(_PROVINCE_ENDINGS) and _PROVINCE_BEFORE.search(before):
        weight += 1.0
    if "mới" in after and _NEW_AFTER.match(after):
        weight += 2.0
    return weight


def detect_province(title: str | None, text: str, url: str | None = None) -> tuple[str | None, str | None]:
    """(short name with diacritics, legacy 2-digit code) of the province the article is about, or (None, None)."""
    scores: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    strong_lead: set[str] = set()
    lead_end = _lead_end(text)
    if title:
        for m in find_province_mentions(title):
            scores[m.code] = scores.get(m.code, 0.0) + 4.0 + m.weight
            first_seen.setdefault(m.code, -1)
            strong_lead.add(m.code)
    folded = fold_variants(text)
    sentences = split_sentences(text)
    passing: dict[int, bool] = {}  # sentence index -> is a passing context (computed for sentences with names)
    idx = 0
    for m in find_province_mentions(text, folded):
        while idx + 1 < len(sentences) and sentences[idx][1] <= m.start:
            idx += 1
        if idx not in passing:
            passing[idx] = bool(sentences) and bool(_PASSING.search(folded, *sentences[idx]))
        weight = m.weight
        if passing[idx]:
            weight *= 0.3
        if m.start < lead_end:
            weight += 0.0 if passing[idx] else 2.0
            if m.strong:
                strong_lead.add(m.code)
        scores[m.code] = scores.get(m.code, 0.0) + weight
        first_seen.setdefault(m.code, m.start)
    for code in _url_codes(url):
        scores[code] = scores.get(code, 0.0) + 1.5
        first_seen.setdefault(code, len(text))
    return _decide(scores, first_seen, strong_lead, title, folded[:lead_end])


def _lead_end(text: str) -> int:
    """End of the lead: the first paragraph, at most ~400 characters."""
    newline = text.find("\n", 80)
    return min(newline if newline != -1 else len(text), 400)


def _decide(scores: dict[str, float], first_seen: dict[str, int], strong_lead: set[str], title: str | None,
            lead_folded: str) -> tuple[str | None, str | None]:
    if not scores:
        return None, None
    ranked = sorted(scores, key=lambda c: (-scores[c], first_seen[c]))
    best = ranked[0]
    if scores[best] < 1.5:  # one plain mention in the body, or the url alone ('baohaiduong.vn'), is enough
        return None, None
    # A national round-up ('cả nước', 'toàn quốc' in the title, or in a lead naming no province) has no province;
    # 'một trong những tỉnh đầu tiên của cả nước' in a provincial lead does not make it national.
    national_title = _NATIONAL.search(fold_variants(title or ""))
    national_lead = _NATIONAL.search(lead_folded) and first_seen[best] >= len(lead_folded)
    if (national_title or national_lead) and best not in strong_lead:
        return None, None
    if len(ranked) > 1 and scores[ranked[1]] > 0.8 * scores[best] and best not in strong_lead:
        return None, None
    return short_names()[best], best


def _url_codes(url: str | None) -> set[str]:
    """Provinces named in the url: 'baonamdinh.vn', '/cong-an-nam-dinh-...'."""
    if not url:
        return set()
    lowered = url.lower()
    host = re.sub(r"^[a-z]+://", "", lowered).split("/")[0]
    words = " " + re.sub(r"[^a-z0-9]+", " ", lowered) + " "
    codes = set()
    for key, code in _alias_table().accent_free.items():
        compact = key.replace(" ", "")
        if len(compact) >= 5 and compact in host or (" " in key and f" {key} " in words):
            codes.add(code)
    return codes
