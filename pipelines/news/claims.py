"""Extract staffing and facility claims ('241/241 xã', '1.394 cán bộ, chiến sĩ', '16 trụ sở độc lập') from news.

How it works, per article:
1. Fold the text (lowercase, spelling variants) keeping offsets; find dates, numbers (digits and words) and the
   spans that are never claims (dates, decree and plan numbers, phone numbers).
2. Turn each number into an *item*: the number, what is glued to it ('%', '/M', a noun phrase) and the qualifier
   before it ('hơn', 'gần'...). Only numbers followed by a known head noun become items: people ('cán bộ, chiến
   sĩ', 'đồng chí'), roles ('Trưởng Công an', 'Công an viên', 'Điều tra viên'), units ('xã', 'xã, thị trấn',
   'đơn vị hành chính cấp xã'), buildings ('trụ sở', 'công trình', 'dự án') or '%'.
3. Classify each item from the words around it, within its sentence: the *local* context runs from the previous
   item (or the clause start) to the next item (or the clause end); the clause ends at ';' and sentence ends.
   Cue words decide the metric (tập huấn -> trained, độc lập -> independent HQ, đang thi công -> under
   construction, chính quy/bố trí -> regular police...). Rates ('6 đồng chí/xã', 'mỗi xã', 'bình quân'), ranges,
   plans ('phấn đấu', 'sẽ', 'dự kiến'), sub-areas ('huyện X', 'Riêng xã Y') and other provinces are skipped.
4. The as-of date is the nearest date before the number in its sentence (else the first after it), else the
   nearest earlier date in its paragraph, else the published date; dates of documents and dates after
   publication are ignored.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from pipelines.news import cues
from pipelines.news.articles import Article
from pipelines.news.dates import DateMention, find_dates
from pipelines.news.normalize import (finditer_at, fold_variants, literal_positions, split_paragraphs,
                                      split_sentences)
from pipelines.news.numbers import NumberMention, find_numbers, parse_number
from pipelines.news.provinces import detect_province, find_province_mentions
from pipelines.news.records import fast_constructor


@dataclass(frozen=True)
class Claim:
    """One figure stated by an article, with its evidence span (evidence == article.text[start:end])."""

    metric: str
    value: float
    denominator: float | None
    unit_type: str | None
    qualifier: str | None
    evidence: str
    start: int
    end: int
    as_of: str | None


_new_claim = fast_constructor(Claim)


@dataclass(slots=True)
class _Item:
    """A number and the words glued to it."""

    num_start: int
    num_end: int
    value: float
    denominator: float | None
    kind: str  # "count" | "fraction" | "percent"
    head: str  # "role" | "person" | "unit" | "hq" | "none"
    detail: str  # role name, unit type, hq noun or person noun
    end: int  # end of the head phrase (evidence end)
    start: int  # evidence start (qualifier included)
    qualifier: str | None
    role_link: str | None = None  # 'đồng chí là Trưởng Công an' -> 'head'
    role_verb: str = ""  # the linking verb ('là', 'đảm nhiệm chức danh'...)
    metric: str | None = None


def _role_name(phrase: str) -> str:
    if phrase.startswith("phó"):
        return "deputy"
    if phrase.startswith("trưởng"):
        return "head"
    if phrase.startswith("công an viên"):
        return "ca_vien"
    return "investigator"


_UNIT_WORDS = tuple((u, re.compile(r"(?<!\w)" + u + cues.B)) for u in cues.UNIT_ORDER)


@lru_cache(maxsize=512)
def _unit_type(phrase: str) -> str | None:
    """Canonical unit type of a unit noun phrase: 'xã, thị trấn', 'phường'... or None ('đơn vị')."""
    if "cấp xã" in phrase or phrase.startswith("đơn vị") or phrase.startswith("đvhc"):
        return None
    phrase = phrase.replace("thị xã", "")
    found = [u for u, pattern in _UNIT_WORDS if pattern.search(phrase)]
    return ", ".join(found) if found else None


@lru_cache(maxsize=1024)
def _unit_family(phrase: str) -> str:
    """'commune_level' (all units), 'xã', 'phường', 'thị trấn', 'district', or 'other'."""
    if "cấp huyện" in phrase or phrase.startswith(("huyện", "quận")):
        return "district"
    if "cấp xã" in phrase or phrase.startswith("đvhc"):
        return "commune_level"
    if phrase.startswith("đơn vị") and phrase != "đơn vị hành chính":
        return "other"
    utype = _unit_type(phrase)
    if utype is None:
        return "other"
    return "commune_level" if "," in utype else utype


# --- extraction ---------------------------------------------------------------------------------------------

def extract_claims(article: Article, province_code: str | None = None) -> list[Claim]:
    """All catalog claims an article states, in text order.

    `province_code` is the article's legacy province code if the caller knows it (it is detected otherwise);
    a figure whose clause names a different province is skipped.
    """
    text = article.text
    folded = fold_variants(text)
    if province_code is None:
        province_code = detect_province(article.title, text, article.url)[1]
    all_dates = find_dates(text, article.published, folded)
    numbers = _unmasked_numbers(find_numbers(text, folded), all_dates, folded)
    if not numbers:
        return []
    sentences = split_sentences(text)
    sentence_starts = [s for s, _ in sentences]
    dates = [d for d in all_dates if _usable_date(d, article.published, folded, sentences, sentence_starts)]
    date_starts = [d.start for d in dates]
    # The as-of strings, formatted once per date rather than once per claim.
    date_isos = [d.iso for d in dates]
    published_iso = article.published.isoformat() if article.published else None
    mentions = find_province_mentions(text, folded)
    paragraphs = split_paragraphs(text)
    districts = _district_names(text, folded, mentions, province_code)
    shared = _ArticleCues(folded, mentions)
    claims: list[Claim] = []
    # Only sentences holding a number matter: go from number to number and find each one's sentence by
    # bisection (sentences and paragraphs are sorted and disjoint) instead of walking every sentence.
    para_ends = [e for _, e in paragraphs]
    last_para = len(paragraphs) - 1
    n_count = len(numbers)
    n_index = 0
    k = 0
    while n_index < n_count:
        pos = numbers[n_index].start
        k = bisect_right(sentence_starts, pos, k) - 1  # the last sentence starting at or before the number
        if k < 0:
            k = 0
            n_index += 1
            continue
        s_start, s_end = sentences[k]
        if pos >= s_end:  # between two sentences (whitespace): in no sentence
            n_index += 1
            continue
        first = n_index
        while n_index < n_count and numbers[n_index].start < s_end:
            n_index += 1
        items = []
        for n in numbers[first:n_index]:
            it = _make_item(n, text, folded, s_start, s_end)
            if it:
                items.append(it)
        if not items:
            continue
        p_index = min(bisect_right(para_ends, s_start), last_para) if paragraphs else 0
        para_start = paragraphs[p_index][0] if paragraphs and paragraphs[p_index][0] <= s_start else s_start
        ctx = _SentenceContext(text, folded, s_start, s_end, para_start, items, shared, province_code, districts)
        ctx.claims = claims
        for i, item in enumerate(items):
            item.metric = _classify(ctx, i)
        _propagate_lists(ctx)
        if folded.find("nâng tổng", s_start, s_end) != -1:
            _resolve_raised_totals(ctx)
        for i, item in enumerate(items):
            if item.metric and _out_of_scope(ctx, i):
                item.metric = None
        for item in items:
            if item.metric is None:
                continue
            as_of = _as_of(item.num_start, s_start, s_end, date_isos, date_starts, para_start, published_iso)
            claims.append(_new_claim(item.metric, item.value, item.denominator, _claim_unit_type(item),
                                     item.qualifier, text[item.start:item.end], item.start, item.end, as_of))
    return claims


def _usable_date(d: DateMention, published: date | None, folded: str, sentences: list[tuple[int, int]],
                 sentence_starts: list[int]) -> bool:
    """Dates that can serve as as-of: not a document's date, not after publication, not a plan or comparison."""
    if d.role == "document" or d.year is None:
        return False
    if published is not None and (d.year, d.month or 1, d.day or 1) > (published.year, published.month,
                                                                       published.day):
        return False
    k = bisect_right(sentence_starts, d.start) - 1  # the sentence holding the date, if any
    s_start = sentences[k][0] if k >= 0 and d.start < sentences[k][1] else max(0, d.start - 200)
    clause = folded[max(s_start, folded.rfind(";", s_start, d.start) + 1, folded.rfind(",", s_start, d.start) + 1,
                        d.start - 60):d.start]
    return not cues.DATE_PLAN.search(clause)


def _unmasked_numbers(numbers: list[NumberMention], dates: list[DateMention], folded: str) -> list[NumberMention]:
    """Numbers that are not part of a date. Document numbers are dropped later, in `_make_item`: most numbers
    have no head noun and are dropped there anyway, so the document test runs only for candidate figures."""
    spans = sorted((d.start, d.end) for d in dates if d.precision != "now")
    kept = []
    j = 0
    for n in numbers:  # both lists are sorted by offset
        while j < len(spans) and spans[j][1] <= n.start:
            j += 1
        if j < len(spans) and spans[j][0] < n.end:
            continue
        kept.append(n)
    return kept


def _document_number(n: NumberMention, folded: str, slash_after: bool) -> bool:
    """'Nghị định 42/2021/NĐ-CP', 'Kế hoạch số 12/KH-CAT', 'Đề án 06': never a claim. `slash_after`: a '/'
    follows the number (after spaces); otherwise its head noun does, and DOC_AFTER cannot match."""
    if folded[max(0, n.start - 30):n.start].rstrip().endswith(cues.DOC_ENDINGS) and \
            cues.DOC_BEFORE.search(folded, max(0, n.start - 30), n.start):
        return True
    return slash_after and bool(cues.DOC_AFTER.match(folded, n.end))


_HEAD_GROUPS = frozenset(("role", "person", "unit", "hq"))


def _make_item(n: NumberMention, text: str, folded: str, s_start: int, s_end: int) -> _Item | None:
    """The number with its '%', '/M' and head noun; None when no known head follows."""
    m = cues.HEAD_RE.match(folded, n.end, s_end)
    if m is None:
        return None
    head_end = m.end()
    if head_end == n.end:
        return None
    pct, den = m.group("pct", "den")
    # The head noun's group is the last one matched (the head patterns have no groups of their own); with no head
    # noun the last group is 'den', 'pct' or none.
    head = m.lastgroup
    if head in _HEAD_GROUPS:
        detail = m.group(head)
    else:
        head, detail = "none", ""
    if head == "unit":
        detail, head_end = _trim_named_unit(text, detail, m.start("unit"), m.end("unit"))
    if pct and den:
        return None
    if pct:
        kind, end = "percent", (head_end if head in ("unit", "person", "role") else m.end("pct"))
        if head not in ("unit", "person", "role"):
            head, detail = "none", ""
    elif head == "none":
        return None
    else:
        kind, end = ("fraction" if den else "count"), head_end
    denominator = parse_number(den) if den else None
    if den and denominator is None:
        return None
    if n.value <= 0 or (kind == "fraction" and denominator and n.value > denominator):
        return None
    if kind != "percent" and n.value != int(n.value):
        return None  # counts of people and units are whole numbers
    if _document_number(n, folded, den is not None):
        return None
    start, qualifier = n.start, None
    window = folded[max(s_start, n.start - 12):n.start]
    q = (cues.QUALIFIER.search(folded, max(s_start, n.start - 12), n.start)
         if window[-1:].isspace() and window.rstrip().endswith(cues.QUALIFIER_WORDS) else None)
    if q:
        start, qualifier = q.start(1), q.group(1)
    item = _Item(n.start, n.end, n.value, denominator, kind, head, detail, end, start, qualifier)
    if head == "person":
        limit = min(s_end, end + 140)
        role_words = folded[end:limit]
        # Every role name contains one of these words; most people figures have none after them.
        link = (cues.ROLE_LINK.match(folded, end, limit) if "trưởng" in role_words or "phó" in role_words or
                "viên" in role_words or "đtv" in role_words else None)
        if link and not link.group("more"):  # 'đảm nhiệm chức vụ trưởng, phó công an xã' lists roles: no single role
            item.role_link = _role_name(link.group("role"))
            item.role_verb = link.group("verb") or ""
            item.end = link.end("role")
    return item


def _trim_named_unit(text: str, detail: str, start: int, end: int) -> tuple[str, int]:
    """'20 phường và đặc khu Phú Quý': the last unit word names one unit, so the list ends before it."""
    after = text[end:end + 3].lstrip()
    if not after or not after[0].isupper() or not cues.UNIT_SEP_RE.search(detail):
        return detail, end
    seps = list(cues.UNIT_SEP_RE.finditer(detail))
    cut = seps[-1].start()
    return detail[:cut], start + cut


class _ArticleCues:
    """Per-article lookups shared by its sentences: where the words of rare cues occur (found once with str.find,
    so a sentence without any of them skips the cue's regex) and the offsets of province mentions."""

    def __init__(self, folded: str, mentions: list) -> None:
        self.mentions = mentions
        self.mention_starts = [m.start for m in mentions]
        self.plan_words = _word_spans(folded, cues.PLAN_WORDS)
        self.rate_words = _word_spans(folded, cues.RATE_WORDS)
        self.rieng_words = _word_spans(folded, ("riêng",))


def _word_spans(folded: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    spans = []
    for word in words:
        pos = folded.find(word)
        while pos != -1:
            spans.append((pos, pos + len(word)))
            pos = folded.find(word, pos + 1)
    spans.sort()
    return spans


def _any_within(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """True when one of the (sorted) word spans lies inside [start, end): the word occurs in folded[start:end]."""
    i = bisect_left(spans, (start, -1))
    while i < len(spans) and spans[i][0] < end:
        if spans[i][1] <= end:
            return True
        i += 1
    return False


class _SentenceContext:
    """Text windows around the items of one sentence."""

    def __init__(self, text: str, folded: str, start: int, end: int, para_start: int, items: list[_Item],
                 article: _ArticleCues, province_code: str | None, districts: tuple[str, ...] = ()) -> None:
        self.text, self.folded, self.start, self.end = text, folded, start, end
        self.para_start = para_start
        self.claims: list[Claim] = []  # the article's claims so far
        self.items = items
        starts = article.mention_starts
        lo = bisect_left(starts, start)
        self.mentions = article.mentions[lo:bisect_left(starts, end, lo)]
        self.province_code = province_code
        # Cue positions found once per sentence and looked up per figure; substring tests skip most regexes.
        self.plan_words = _any_within(article.plan_words, start, end)
        self.plans = [(m.start(), m.end()) for m in cues.PLAN.finditer(folded, start, end)] if self.plan_words else []
        self.present = ([m.start() for m in cues.PRESENT_AFTER_PLAN.finditer(folded, start, end)]
                        if self.plans else [])
        self.rates = ([m.start() for m in cues.RATE_LEFT.finditer(folded, start, end)]
                      if _any_within(article.rate_words, start, end) else [])
        self.rieng = ([m.start() for m in cues.RIENG.finditer(folded, start, end)]
                      if _any_within(article.rieng_words, start, end) else [])
        self._districts = districts
        self._subscopes: list[int] | None = None
        self._district_hit_list: list[int] | None = None
        # Each item's clause bounds and text windows, computed once: the rules read them several times per figure.
        # Most sentences have no ';', so their clause is the sentence.
        self._semicolon = semicolon = folded.find(";", start, end) != -1
        self.clause_starts: list[int] = []  # clause start at each item's number
        self.clause_ends: list[int] = []  # clause end after each item's head
        self.lefts: list[str] = []
        self.rights: list[str] = []
        self.clause_lefts: list[str] = []
        last = len(items) - 1
        lo, hi = start, end
        for i, item in enumerate(items):
            if semicolon:
                lo = self.clause_start(item.num_start)
                hi = self.clause_end(item.end)
            self.clause_starts.append(lo)
            self.clause_ends.append(hi)
            left_bound = lo if i == 0 else max(lo, items[i - 1].end)
            right_bound = hi if i == last else min(hi, items[i + 1].start)
            self.lefts.append(folded[left_bound:item.start])
            self.rights.append(folded[item.end:max(item.end, right_bound)])
            self.clause_lefts.append(folded[lo:item.start])

    # Only figures that got a metric are checked for a sub-area, so these are found on first use.
    @property
    def subscopes(self) -> list[int]:
        """Names after 'huyện', 'xã'...: the start of 'Hải Hậu' in 'huyện Hải Hậu' (capitalised in the original)."""
        if self._subscopes is None:
            text, folded = self.text, self.folded
            self._subscopes = [m.end() for m in cues.SUBSCOPE.finditer(folded, self.start, self.end)
                               if text[m.end()].isupper() and not (m.start() and folded[m.start() - 1].isalnum())]
        return self._subscopes

    @property
    def previous(self) -> list[Claim]:
        """The claims found earlier in this sentence's paragraph."""
        return [c for c in self.claims if c.start >= self.para_start]

    @property
    def district_hits(self) -> list[int]:
        if self._district_hit_list is None:
            self._district_hit_list = self._district_hits(self._districts) if self._districts else []
        return self._district_hit_list

    def _district_hits(self, districts: tuple[str, ...]) -> list[int]:
        """Offsets of district names mentioned elsewhere with 'huyện X' ('Hưng Nguyên đã điều động...')."""
        hits = []
        for name in districts:
            pos = self.text.find(name, self.start, self.end)
            while pos != -1:
                before = self.text[pos - 1] if pos else " "
                after = self.text[pos + len(name)] if pos + len(name) < len(self.text) else " "
                if not before.isalnum() and not after.isalnum():
                    hits.append(pos)
                pos = self.text.find(name, pos + 1, self.end)
        return hits

    def clause_start(self, pos: int) -> int:
        if not self._semicolon:
            return self.start
        cut = self.folded.rfind(";", self.start, pos)
        return self.start if cut == -1 else cut + 1

    def clause_end(self, pos: int) -> int:
        if not self._semicolon:
            return self.end
        cut = self.folded.find(";", pos, self.end)
        return self.end if cut == -1 else cut

    def left(self, i: int) -> str:
        """From the previous item (or the clause start) to this item's evidence start."""
        return self.lefts[i]

    def clause_left(self, i: int) -> str:
        return self.clause_lefts[i]

    def sentence_left(self, i: int) -> str:
        return self.folded[self.start:self.items[i].start]

    def right(self, i: int) -> str:
        """From this item's head to the next item (or the clause end)."""
        return self.rights[i]

    def right_wide(self, i: int, limit: int = 100) -> str:
        """From this item's head to the clause end, across later items (at most `limit` characters)."""
        item = self.items[i]
        return self.folded[item.end:min(self.clause_ends[i], item.end + limit)]

    def paragraph_before(self, i: int) -> str:
        return self.folded[self.para_start:self.items[i].start]

    def original_clause_left(self, i: int) -> str:
        return self.text[self.clause_starts[i]:self.items[i].start]

    def other_province_before(self, i: int) -> bool:
        item = self.items[i]
        lo = self.clause_starts[i]
        codes = {m.code for m in self.mentions if lo <= m.start < item.start}
        return bool(codes) and self.province_code not in codes


# Cue tests used many times per figure: a substring test first (every match contains one of these words).
def _training(window: str) -> bool:
    return ("tập huấn" in window or "bồi dưỡng" in window or "đào tạo" in window or "huấn luyện" in window) and \
        cues.TRAINING.search(window) is not None


def _investigator(window: str) -> bool:
    return ("điều tra viên" in window or "đtv" in window) and cues.INVESTIGATOR.search(window) is not None


def _deploy(window: str) -> bool:
    return ("điều động" in window or "tăng cường" in window or "nhận" in window) and \
        cues.DEPLOY.search(window) is not None


_CLAUSE_COMMA = re.compile(r";|,(?!\s*(?:xã|phường|thị trấn|đặc khu)\b)")


def _first_clause(tail: str, plan_words: bool = True) -> str:
    """A tail up to its first comma, semicolon or plan word ('..., dự kiến hoàn thành' is not a status); a comma
    inside a unit list ('xã, thị trấn') does not end it. `plan_words` False: the sentence has no plan word."""
    cut = len(tail)
    comma = _CLAUSE_COMMA.search(tail) if ("," in tail or ";" in tail) else None
    for m in (comma, cues.PLAN.search(tail) if plan_words else None):
        if m:
            cut = min(cut, m.start())
    return tail[:cut]


def _classify(ctx: _SentenceContext, i: int) -> str | None:
    """The metric code of item i, or None when the figure is not a catalog claim."""
    item = ctx.items[i]
    if item.detail == "lượt":
        return None
    left, right, clause_left = ctx.lefts[i], ctx.rights[i], ctx.clause_lefts[i]
    if _skip_context(ctx, i, left, right, clause_left):
        return None
    if item.kind == "percent":
        return _classify_percent(ctx, i, left, right, clause_left)
    if item.head == "role":
        return None if _is_wave_subset(ctx, i, clause_left) else _classify_role(item, left, right)
    if item.head == "person":
        return _classify_person(ctx, i, left, right, clause_left)
    if item.head == "unit":
        return _classify_unit(ctx, i, left, right, clause_left)
    if item.head == "hq":
        return _classify_hq(ctx, i, left, right, clause_left)
    return None


def _skip_context(ctx: _SentenceContext, i: int, left: str, right: str, clause_left: str) -> bool:
    """Rates, ranges, plans, changes, single units, semi-professional police and other provinces.

    Cheap substring tests guard the regexes: most figures have none of these cues nearby.
    """
    item = ctx.items[i]
    if item.value < 2 and item.head in ("person", "role"):
        return True
    folded = ctx.folded
    start = item.start
    lo = start - len(clause_left)
    if ctx.rates and any(lo <= p < start for p in ctx.rates):
        return True
    after = folded[item.end:item.end + 50]
    if ("/" in after or "mỗi" in after or "một" in after) and cues.RATE_RIGHT.match(after):
        return True
    num_start, num_end = item.num_start, item.num_end
    if folded.find("/", max(ctx.start, num_start - 3), num_start) != -1:
        return True  # the '1 xã' of '5 cán bộ/ 1 xã' is the rate's divisor
    if left.rstrip().endswith(cues.RANGE_WORDS) and cues.RANGE_LEFT.search(left, max(0, len(left) - 12)):
        return True
    if cues.RANGE_RIGHT.match(folded, num_end):  # anchored: fails at once after most numbers
        return True
    if ctx.plans and _is_plan(ctx, start):
        return True
    if ctx.plan_words:
        cut = cues.COMMA.search(right, 0, 60)
        first = right[:cut.start() if cut else 60]
        if any(word in first for word in cues.PLAN_WORDS) and cues.PLAN.search(first):
            return True
    near = left[-30:]
    if near.rstrip().endswith(cues.CHANGE_WORDS) and cues.CHANGE_LEFT.search(near) and \
            not cues.REINFORCE_END.search(near):
        return True
    if ctx.rieng and any(lo <= p < start for p in ctx.rieng):
        return True
    if clause_left.lstrip().startswith(cues.UNIT_OPENINGS) and cues.CLAUSE_OPENS_ON_UNIT.match(clause_left):
        return True
    left_start = max(start - len(left), start - 80)
    window = folded[left_start:start]
    if "bố trí" in window and cues.PER_UNIT_ALLOCATION.search(folded, left_start, start):
        return True
    if item.head == "person" and "công an" in window and \
            cues.SINGLE_UNIT_SUBJECT.search(folded, left_start, start):
        return True
    if "bán chuyên trách" in right and right.lstrip().startswith("bán chuyên trách"):
        return True
    return bool(ctx.mentions) and ctx.other_province_before(i)


def _is_plan(ctx: _SentenceContext, pos: int) -> bool:
    """A plan word before the figure in its sentence, not followed by a return to the present ('đến nay')."""
    before = [end for start, end in ctx.plans if end <= pos]
    if not before:
        return False
    return not any(before[-1] <= p < pos for p in ctx.present)


def _out_of_scope(ctx: _SentenceContext, i: int) -> bool:
    """Figures about one district or commune ('huyện Lục Nam', 'của huyện'), except deployment waves, which
    stay province facts wherever the officers go."""
    item = ctx.items[i]
    if item.metric == "officers_deployed":
        return False
    if item.metric == "units_with_regular_police" and item.denominator is None and \
            _deploy(ctx.clause_lefts[i]):
        return False
    item_end = item.end
    window_end = min(ctx.clause_ends[i], item_end + 100)
    folded_window = ctx.folded[item_end:window_end]  # lowercase: the words the case-insensitive pattern needs
    if ("huyện" in folded_window or "quận" in folded_window or "thị xã" in folded_window) and \
            cues.DISTRICT_RIGHT.match(ctx.text[item_end:window_end]):
        return True
    lo = ctx.clause_starts[i]
    sub = [p for p in ctx.subscopes if lo <= p < item.start]
    if sub:
        absolute = sub[-1]
        own = any(m.start == absolute and m.code == ctx.province_code for m in ctx.mentions)
        if not own and not cues.WHOLE_PROVINCE.search(ctx.folded, absolute, item.start):
            return True
    return any(lo <= p < item.start for p in ctx.district_hits)


_DISTRICT_WORD = re.compile(r"(?:huyện|quận|thị xã)\s+")  # on the folded (lowercase) text


def _district_names(text: str, folded: str, mentions: list, province_code: str | None) -> tuple[str, ...]:
    """Names of districts the article mentions ('huyện Hưng Nguyên' -> 'Hưng Nguyên'), so that a later bare
    'Hưng Nguyên đã điều động...' is recognised as one district's figure."""
    names = set()
    for m in finditer_at(_DISTRICT_WORD, folded, literal_positions(folded, ("huyện", "quận", "thị xã"))):
        if m.start() and text[m.start() - 1].isalnum():
            continue
        words = []
        for w in text[m.end():m.end() + 40].split()[:3]:
            w = w.strip(",.;:()\"'“”")
            if not w or not w[0].isupper():
                break
            words.append(w)
        if not words:
            continue
        name = " ".join(words)
        if any(text[p.start:p.end] == name for p in mentions if p.code == province_code):
            continue
        names.add(name)
    return tuple(sorted(names))


def _classify_percent(ctx: _SentenceContext, i: int, left: str, right: str, clause_left: str) -> str | None:
    item = ctx.items[i]
    if i > 0 and cues.ATTACHED_PCT.match(left) and ctx.items[i - 1].metric in ("units_with_regular_police",
                                                                           "officers_trained"):
        return {"units_with_regular_police": "regular_police_coverage_pct",
                "officers_trained": "trained_pct"}[ctx.items[i - 1].metric]
    if item.head == "role":
        return None
    tail = right[:80]
    if cues.PASS_RATE.search(tail[:40]) or cues.SUBSET_TAIL.match(tail):
        return None
    if item.head in ("none", "person"):
        if item.head == "person" and (_training(tail) or _training(left)):
            return "trained_pct"
        if item.head == "person" and "chính quy" in item.detail and cues.TO_UNITS.match(tail):
            return "regular_police_coverage_pct"  # 'bố trí 100% công an chính quy về xã'
        if cues.TRAINED_RATE_LEFT.search(left):
            return "trained_pct"
    if cues.HQ_CUE.search(tail) or _investigator(tail):
        return None
    if item.head == "unit" and _unit_family(item.detail) != "district":
        if cues.REGULAR.search(tail) or cues.REGULAR.search(left) or cues.HAS_POLICE.search(tail):
            return "regular_police_coverage_pct"
        return None
    if item.head == "none" and cues.COVERAGE_RATE_LEFT.search(left):
        return "regular_police_coverage_pct"
    return None


def _classify_role(item: _Item, left: str, right: str) -> str | None:
    role = _role_name(item.detail)
    tail = right[:70]
    if role == "investigator" and _appointment_wave(left, left):
        return None
    if role in ("head", "deputy") and _investigator(tail) and not _training(tail):
        if role == "head":
            return "units_head_investigator"
        return None
    if item.kind == "fraction":
        return None
    if _training(tail) or cues.SUBSET_TAIL.match(tail):
        return None
    return cues.ROLE_METRIC[role]


def _role_before_metric(left: str) -> str | None:
    """'Trưởng Công an xã có 141 đồng chí', 'Số Trưởng Công an xã là Điều tra viên: 58/116 đồng chí'."""
    if not ("trưởng" in left or "phó" in left or "công an viên" in left or "điều tra viên" in left or "đtv" in left):
        return None  # every role name contains one of these
    m = cues.ROLE_BEFORE.search(left)
    if not m:
        return None
    role = _role_name(m.group("role"))
    rest = left[m.start():]
    if role == "head" and _investigator(rest):
        return "units_head_investigator"
    if role == "deputy" and _investigator(rest):
        return None
    return cues.ROLE_METRIC[role]


def _classify_person(ctx: _SentenceContext, i: int, left: str, right: str, clause_left: str) -> str | None:
    item = ctx.items[i]
    tail = right[:80]
    deploying = _deploy(left) and not cues.CUMULATIVE.search(clause_left)
    if item.role_link and not (deploying and item.role_verb.startswith(("đảm nhiệm", "nhận"))):
        if _is_wave_subset(ctx, i, clause_left):
            return None
        if item.role_link == "investigator":
            return None if _appointment_wave(left, clause_left) else "investigators_total"
        return None if item.kind == "fraction" else cues.ROLE_METRIC[item.role_link]
    before = _role_before_metric(left[-120:])
    if before:
        return None if _is_wave_subset(ctx, i, clause_left) else before
    if item.detail == "người" or cues.SUBSET_TAIL.match(tail):
        return None
    trained_left = _training(left)
    if trained_left or _training(tail[:50]) or item.detail == "học viên":
        if item.detail == "học viên" and not (_training(clause_left) or _training(tail)):
            return None
        return "officers_trained"
    if item.kind == "fraction" or cues.BENEFICIARY.search(left, max(0, len(left) - 10)):
        return None
    own_words = ctx.folded[item.num_end:item.end]
    if not (cues.COMMUNE_CUE.search(clause_left) or cues.COMMUNE_CUE.search(ctx.right_wide(i)) or
            cues.COMMUNE_CUE.search(own_words)):
        return None
    if cues.PROVINCE_LEVEL.search(left, max(0, len(left) - 50)) or _is_wave_subset(ctx, i, clause_left):
        return None
    split = _ward_split(ctx, i, clause_left, tail)
    if split:
        return split
    summary = cues.SUMMARY.match(ctx.folded, ctx.para_start)
    if cues.CUMULATIVE.search(left) or item.qualifier == "tổng cộng" or summary:
        return "officers_total"
    if cues.WAVE.search(left) or cues.WAVE.search(tail[:40]) or deploying:
        return "officers_deployed"
    if cues.DEPLOYED_TAIL.match(tail):
        return "officers_deployed"
    return "officers_total"


def _is_wave_subset(ctx: _SentenceContext, i: int, clause_left: str) -> bool:
    """Role counts inside one deployment wave ('Trong 91 cán bộ được điều động lần này có 65...', or 'Trong đó...'
    right after a wave) are not the province's role totals."""
    if cues.WAVE_SUBSET.search(clause_left):
        return True
    if cues.AMONG_THEM.match(clause_left):
        people = [c for c in ctx.previous if c.metric in ("officers_total", "officers_deployed")]
        earlier = [it for it in ctx.items[:i] if it.metric in ("officers_total", "officers_deployed")]
        last = earlier[-1].metric if earlier else (people[-1].metric if people else None)
        return last == "officers_deployed"
    return False


def _appointment_wave(left: str, clause_left: str) -> bool:
    """'bổ nhiệm 88 điều tra viên' is one appointment event, not the number of investigators."""
    return bool(cues.APPOINT_END.search(left, max(0, len(left) - 20))) and not cues.CUMULATIVE.search(clause_left)


_WARD_SUBJECT = re.compile(
    r"công an (?:các\s+|\d[\d.]*\s+)?(?P<units>" + cues.UNIT_LIST + r")\s+(?:hiện\s+)?(?:có|gồm)\s*$")
_WARD_TARGET = re.compile(
    r"^\s*(?:công tác\s+)?(?:tại|ở|cho)\s+(?:công an\s+)?(?:các\s+)?(?P<units>" + cues.UNIT_LIST + r")")


def _ward_split(ctx: _SentenceContext, i: int, clause_left: str, tail: str) -> str | None:
    """officers_ward / officers_commune_town when the figure belongs to 'Công an các phường' vs xã, thị trấn."""
    m = _WARD_SUBJECT.search(clause_left) or _WARD_TARGET.match(tail)
    if not m:
        return None
    utype = _unit_type(m.group("units")) or ""
    if utype == "phường":
        return "officers_ward"
    sentence = ctx.folded[ctx.start:ctx.end]
    if "phường" not in utype and "phường" in sentence:
        return "officers_commune_town"
    return None


def _classify_unit(ctx: _SentenceContext, i: int, left: str, right: str, clause_left: str) -> str | None:
    item = ctx.items[i]
    family = _unit_family(item.detail)
    tail = right[:90]
    if family == "district":
        # 'có 10 huyện, thành phố', or '226 xã, phường, thị trấn thuộc 10 huyện, thành phố' right after a unit total
        after_total = i > 0 and _BELONGS_TO.match(left) and ctx.items[i - 1].metric == "commune_level_units_total"
        if item.kind == "count" and (after_total or _is_total(ctx, i, left, tail)):
            return "districts_total"
        return None
    # Substring tests before each regex: the words every match of the pattern contains.
    if _investigator(tail) and cues.HEAD_WORD.search(tail):
        return "units_head_and_deputy_investigators" if cues.BOTH_LEADERS.search(tail) else "units_head_investigator"
    if _investigator(clause_left):
        return None  # 'bố trí 609 điều tra viên tại 460/460 Công an cấp xã': units with investigators
    first = _first_clause(tail, ctx.plan_words)
    if left.rstrip().endswith(("công an", "các")) and cues.HQ_OF_POLICE_END.search(left, max(0, len(left) - 40)):
        # 'khánh thành trụ sở công an 36 xã': the units' HQ buildings, status from the verb before
        window = left[-80:]
        status = next((m for m, pattern in cues.HQ_VERB_BEFORE_ANY if pattern.search(window)), None)
        return status
    near = left[-40:]
    hq_before = (item.kind == "count" and ("trụ sở" in near or "làm việc" in near or "ubnd" in near)
                 and cues.HQ_CUE.search(near) and not cues.REGULAR.search(left))
    if ("trụ sở" in first or "làm việc" in first or "ubnd" in first) and cues.HQ_CUE.search(first) or hq_before:
        if cues.HQ_SKIP.search(first):
            return None
        status = _hq_status(first)
        if status in ("hq_completed", "hq_projects", None) and cues.INDEPENDENT.search(first):
            status = "hq_independent"
        if status is None:
            # 'nâng tổng số xã có trụ sở độc lập lên 101 xã': the status is stated before the figure.
            before = _hq_status(left[-60:])
            status = before if before in ("hq_independent", "hq_shared_with_ppc", "hq_missing") else None
        return status
    head_tail = tail[:25]
    if ("chưa" in head_tail or "không" in head_tail) and cues.NEGATION.search(head_tail):
        return None
    regular_near = cues.REGULAR.search(left) or cues.REGULAR.search(tail[:60])
    deploy_target = cues.DEPLOY_TARGET.match(left) and (cues.REGULAR.search(clause_left) or
                                                         _deploy(clause_left))
    after_police = left[-1:].isspace() and left.rstrip().endswith("công an") and \
        cues.POLICE_END.search(left, max(0, len(left) - 12))
    if family != "other" or item.detail.startswith("đơn vị"):
        if item.kind == "fraction" and (cues.REGULAR.search(clause_left) or cues.REGULAR.search(tail) or
                                        cues.HAS_POLICE.search(tail)):
            return "units_with_regular_police"
        if item.kind == "count" and (regular_near or deploy_target or after_police):
            if not _training(left[-40:]):
                return "units_with_regular_police"
    if item.kind == "count" and item.detail.startswith("công an") and _is_total(ctx, i, left, tail):
        return "units_with_regular_police"  # 'có 3.319 công an cấp xã': police units
    if item.kind == "count" and family != "other" and _is_total(ctx, i, left, tail):
        if cues.BEFORE_MERGER.search(ctx.folded[ctx.start:item.start]):
            return None
        return {"commune_level": "commune_level_units_total", "xã": "communes_total", "phường": "wards_total",
                "thị trấn": "towns_total"}.get(family)
    return None


_BELONGS_TO = re.compile(r"\s*(?:trên địa bàn\s+|của\s+)?thuộc\s*$|\s*(?:ở|tại|trên)\s*$")


def _is_total(ctx: _SentenceContext, i: int, left: str, tail: str) -> bool:
    """'có 260 đơn vị', 'gồm 12 xã và 2 thị trấn' (a list continues a total); not 'có 34 xã biên giới'."""
    if cues.DESCRIPTOR_TAIL.match(tail):
        return False
    if cues.TOTAL_LEFT.search(left[-30:]):
        return True
    if i > 0 and cues.LIST_LEFT.match(left) and ctx.items[i - 1].metric in (
            "commune_level_units_total", "communes_total", "wards_total", "towns_total", "districts_total"):
        return True
    return False


def _hq_status(window: str) -> str | None:
    """The first HQ status cue in a window after the figure."""
    best: tuple[int, str] | None = None
    for metric, pattern in cues.HQ_STATUS:
        m = pattern.search(window)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), metric)
    return best[1] if best else None


def _classify_hq(ctx: _SentenceContext, i: int, left: str, right: str, clause_left: str) -> str | None:
    item = ctx.items[i]
    tail = right[:90]
    first = _first_clause(tail, ctx.plan_words)
    if cues.HQ_SKIP.search(first[:40]):
        return None
    if item.detail in ("công trình", "dự án") and not (
            cues.HQ_CUE.search(tail) or "trụ sở" in ctx.paragraph_before(i) or "công an" in tail[:30]):
        return None
    status = _hq_status(first)
    window = left[-60:]
    verb = next((metric for metric, pattern in cues.HQ_VERB_BEFORE if pattern.search(window)), None)
    if status is None and verb:
        status = verb
    if item.detail == "dự án" and status in (None, "hq_independent", "hq_projects"):
        return "hq_projects" if cues.BUILD_WORDS.search(tail) or cues.BUILD_WORDS.search(left) else None
    return status


_LIST_JOIN = re.compile(r"^\s*(?:,|và|,\s*và)\s*$")


def _propagate_lists(ctx: _SentenceContext) -> None:
    """'tất cả 188 xã, thị trấn và 47 phường ... đã có công an chính quy': the cue after the last unit of a
    list covers the whole list."""
    items = ctx.items
    if len(items) < 2 or not any(item.metric == "units_with_regular_police" for item in items):
        return  # nothing to propagate

    def joined(a: int, b: int) -> bool:
        x, y = items[a], items[b]
        return (x.head == y.head == "unit" and x.kind == y.kind == "count"
                and bool(_LIST_JOIN.match(ctx.folded[x.end:y.start])))

    for i in range(len(items) - 2, -1, -1):  # the cue after the last unit covers the earlier ones
        if items[i].metric is None and items[i + 1].metric == "units_with_regular_police" and joined(i, i + 1) \
                and not _skip_context(ctx, i, ctx.left(i), ctx.right(i), ctx.clause_left(i)):
            items[i].metric = "units_with_regular_police"
    for i in range(1, len(items)):  # 'tại 3 xã và 1 thị trấn', 'Công an 2.621 xã, 687 phường và 11 đặc khu'
        if items[i].metric is None and items[i - 1].metric == "units_with_regular_police" and joined(i - 1, i) \
                and not _skip_context(ctx, i, ctx.left(i), ctx.right(i), ctx.clause_left(i)):
            items[i].metric = "units_with_regular_police"


def _resolve_raised_totals(ctx: _SentenceContext) -> None:
    """'bổ nhiệm 25 Trưởng Công an xã là Điều tra viên, nâng tổng số lên 97 đồng chí': 97 takes 25's metric
    (a deployment wave becomes a total) and 25, an increment, is dropped unless it is a deployment."""
    for i, item in enumerate(ctx.items):
        if not cues.RAISED_TOTAL.search(ctx.left(i)) and not cues.RAISED_TOTAL.search(ctx.clause_left(i)):
            continue
        prev = next((j for j in range(i - 1, -1, -1) if ctx.items[j].metric in cues.PERSON_METRICS), None)
        if prev is None or item.head not in ("person", "role"):
            continue
        prev_metric = ctx.items[prev].metric
        item.metric = "officers_total" if prev_metric == "officers_deployed" else prev_metric
        if prev_metric != "officers_deployed":
            ctx.items[prev].metric = None


def _claim_unit_type(item: _Item) -> str | None:
    if item.head == "unit":
        return _unit_type(item.detail)
    return None


def _as_of(pos: int, s_start: int, s_end: int, isos: list[str | None], starts: list[int], para_start: int,
           published: str | None) -> str | None:
    """The date stated in the sentence (nearest before, else first after), else the nearest earlier date of
    the paragraph, else the published date. `isos` are the usable dates' iso strings, sorted by offset; `starts`
    are their offsets; `published` is the published date's iso string."""
    i = bisect_left(starts, pos)
    if i > 0 and starts[i - 1] >= s_start:
        return isos[i - 1]
    if i < len(starts) and starts[i] < s_end:
        return isos[i]
    j = bisect_left(starts, s_start)
    if j > 0 and starts[j - 1] >= para_start:
        return isos[j - 1]
    return published
