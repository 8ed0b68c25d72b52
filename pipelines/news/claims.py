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
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from pipelines.news.articles import Article
from pipelines.news.dates import DateMention, find_dates
from pipelines.news.normalize import fold_variants, split_paragraphs, split_sentences
from pipelines.news.numbers import NumberMention, find_numbers, parse_number
from pipelines.news.provinces import detect_province, find_province_mentions


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


@dataclass
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


# --- vocabulary (all patterns run on fold_variants(text): lowercase, 'sĩ' not 'sỹ', 'tỉ' not 'tỷ', 'hòa') ----

_B = r"(?![\wđ])"  # end of word (\w covers Vietnamese letters in Python's re)
_UNIT_WORD = r"(?:xã|phường|thị trấn|đặc khu)"
_UNIT_SEP = r"(?:\s*,\s*|\s+và\s+|\s*/\s*|\s*-\s*)"
_UNIT_LIST = _UNIT_WORD + r"(?:" + _UNIT_SEP + _UNIT_WORD + r")*" + _B
_NOT_POLICE_TRUONG = (r"(?!\s+(?:phòng|ban|đoàn|thôn|ấp|bản|khu|xóm|tổ|nhóm|khoa|trạm|đồn|trại|lão|họ|ngành|bộ|tộc"
                      r"|thành|công an\s+(?:tỉnh|huyện|quận|thành phố|thị xã)))")
_ROLE = (r"(?:phó trưởng công an|phó trưởng ca|phó trưởng|phó công an(?!\s+(?:tỉnh|huyện|quận|thành phố|thị xã))"
         r"|trưởng công an|trưởng ca|trưởng" + _NOT_POLICE_TRUONG
         + r"|công an viên|điều tra viên|đtv)" + _B + r"(?:\s+(?:các\s+)?(?:cấp xã|" + _UNIT_LIST + r"))?")
_PERSON = (r"(?:cán bộ\s*,?\s*chiến sĩ|cán bộ chiến sĩ|cbcs|cán bộ|chiến sĩ|đồng chí|đ/c|sĩ quan|hạ sĩ quan|học viên"
           r"|công an chính quy|ca chính quy|lượt|người)" + _B)
_UNIT = (r"(?:đơn vị hành chính cấp xã|đvhc cấp xã|đơn vị cấp xã|đơn vị hành chính cấp huyện|đơn vị hành chính"
         r"|công an (?:các\s+)?(?:cấp xã|" + _UNIT_LIST + r")|" + _UNIT_LIST
         + r"|huyện\s*,\s*thị xã\s*,\s*thành phố|huyện\s*,\s*thành phố\s*,\s*thị xã|quận\s*,\s*huyện|huyện\s*,\s*thị xã"
         r"|huyện\s*,\s*thành phố|huyện|đơn vị)" + _B)
_HQ = r"(?:trụ sở|công trình|dự án|nhà làm việc)" + _B

_HEAD_RE = re.compile(
    r"(?P<pct>\s*(?:%|phần trăm" + _B + r"))?"
    r"(?:\s*/\s*(?P<den>\d{1,3}(?:\.\d{3})+|\d+)(?![\d/.,]\d))?"
    r"\s*(?:(?P<role>" + _ROLE + r")|(?P<person>" + _PERSON + r")|(?P<unit>" + _UNIT + r")|(?P<hq>" + _HQ + r"))?"
)
# 'đồng chí là Trưởng Công an xã', 'đồng chí có kinh nghiệm giữ chức vụ Phó Trưởng', 'đồng chí Trưởng Công an xã'.
_ROLE_LINK = re.compile(
    r"(?:\s*(?:công an chính quy|chính quy))?(?:[^\d;.()]{0,40}?(?:\s|^)(?:đang\s+|đã\s+|được\s+)*"
    r"(?P<verb>là|giữ chức vụ|giữ chức danh|giữ chức|được bổ nhiệm(?:\s+(?:chức danh|làm))?"
    r"|bổ nhiệm(?:\s+(?:chức danh|làm))?|được bố trí(?:\s+làm)?|đảm nhiệm (?:các\s+)?chức (?:vụ|danh)|nhận (?:các\s+)?chức danh"
    r"|làm))?\s+(?P<role>" + _ROLE + r")(?P<more>\s*(?:,|và)\s*(?:phó|trưởng|công an viên))?"
)
_QUALIFIER = re.compile(
    r"(?:^|(?<=[\s(]))(gần như|gần|hơn|trên|khoảng|tổng cộng|xấp xỉ|chừng|ước tính|ít nhất|dưới|chưa đến|chưa tới)\s+$"
)

# Numbers that are never claims: document numbers ('Nghị định 42/2021/NĐ-CP', 'Kế hoạch số 12/KH-CAT', 'Đề án
# 06'). Phone numbers ('0239.3855.222') and dates never parse as numbers or are masked as dates.
_DOC_BEFORE = re.compile(
    r"(?:nghị định|quyết định|thông tư|kế hoạch|chỉ thị|nghị quyết|công văn|đề án|luật|hướng dẫn|thông báo"
    r"|chương trình|văn bản|tờ trình|báo cáo|hiệu lệnh|mã số|mã)\s+(?:số\s*)?$")
_DOC_AFTER = re.compile(r"\s*(?:/\s*(?:\d{2,4}\s*/\s*)?[a-zđ]|-[a-zđ]{2,}/)")
_RATE_LEFT = re.compile(r"(?:\bmỗi|bình quân|trung bình|tối thiểu|tối đa|định mức|theo quy định)\s")
_RATE_RIGHT = re.compile(r"^[^,;.\d/]{0,30}(?:/\s*(?:\d[\d.]*\s+|một\s+)?(?:xã|phường|thị trấn|đơn vị|người|trụ sở|công an)"
                         r"|mỗi|một xã|trên một)")
_RANGE_LEFT = re.compile(r"\d\s*(?:[-–]|đến|tới)\s*$")
_RANGE_RIGHT = re.compile(r"\s*(?:[-–]|đến|tới)\s*\d")
_PLAN = re.compile(
    r"phấn đấu|dự kiến|dự tính|\bsẽ\b|mục tiêu|chỉ tiêu|theo kế hoạch|theo lộ trình|đề xuất|đề nghị|kiến nghị"
    r"|\bcần\b(?!\s+thơ)|\bnếu\b|giai đoạn (?:1|2|3|i|ii|iii|một|hai|ba)\b"
)
_PRESENT_AFTER_PLAN = re.compile(r"đến nay|hiện nay|hiện có|hiện đã|\bđã có|như vậy")
_DATE_PLAN = re.compile(r"so với|lộ trình|kế hoạch|mục tiêu|phấn đấu|dự kiến|dự tính|\bsẽ\b|hạn chót|trước ngày")
_CHANGE_LEFT = re.compile(r"(?:tăng|giảm|sáp nhập|nhập|thành lập mới|giải thể)\s*(?:thêm\s*)?$")
_BEFORE_MERGER = re.compile(r"trước (?:khi )?(?:hợp nhất|sáp nhập|sắp xếp)|trước đây|\bcũ\b\s*(?:có|gồm)")
# A named district or commune ('huyện Hải Hậu', 'huyện miền núi Kỳ Sơn', 'xã Ia Dom'), found on the original text.
_SUBSCOPE = re.compile(r"(?i:\b(?:huyện|quận|thị xã|thành phố|tp\.?|xã|phường|thị trấn|đặc khu))"
                       r"((?:\s+(?:miền núi|vùng cao|biên giới|đảo|ven biển|nghèo|đặc biệt khó khăn))?)\s+(?=\w)")
_WHOLE_PROVINCE = re.compile(r"toàn tỉnh|toàn thành phố|cả tỉnh|trên địa bàn tỉnh|trên địa bàn thành phố"
                             r"|toàn lực lượng|công an tỉnh|công an thành phố")
# One unit rather than the province: 'Riêng xã Y...', a clause opening on a bare 'xã ...', or a per-unit allocation
# ('đối với các xã còn lại bố trí 3 đồng chí').
_RIENG = re.compile(r"(?:^|\W)riêng\s+(?!(?:đợt|năm|trong|tháng|quý|lần)\b)")
_CLAUSE_OPENS_ON_UNIT = re.compile(r"\s*(?:trong đó,?\s*)?(?:xã|phường|thị trấn|đặc khu)\s+(?!và\b|,)")
_PER_UNIT_ALLOCATION = re.compile(r"(?<!công an )(?:các|những)\s+(?:xã|phường|thị trấn)[^,;\d]{0,40}(?:được\s+)?bố trí\s*$")
# 'của huyện' with no name after it: the district the article is about ('13/13 xã, thị trấn của huyện').
_DISTRICT_RIGHT = re.compile(r"^[^;.]{0,30}(?i:của huyện|toàn huyện|trên địa bàn huyện|của thị xã|của quận|trong huyện)"
                             r"(?!\s+[A-ZĐÀÁẢÃẠÂẤẦẨẪẬĂẮẰẲẴẶÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ])")
_SEMI_PRO = re.compile(r"^\s*bán chuyên trách")
_WAVE_SUBSET = re.compile(r"trong (?:số\s+)?\d[\d.]*\s+\S+(?:\s+\S+){0,4}?\s+(?:được điều động|lần này|đợt này)")
_SINGLE_UNIT_SUBJECT = re.compile(r"(?:^|[^\w])(?<!trưởng )(?<!lãnh đạo )công an (?:xã|phường|thị trấn|đặc khu)\s+(?:hiện\s+)?(?:có|gồm)\s*$")

_COMMUNE_CUE = re.compile(r"\bxã\b|phường|thị trấn|cấp xã|chính quy|cơ sở|đặc khu")
_PROVINCE_LEVEL = re.compile(r"công an (?:tỉnh|thành phố)\s+(?:hiện\s+)?(?:có|gồm)\s*(?:tổng số\s*)?$|toàn lực lượng")
_POLICE_NOUN = r"(?:công an|lực lượng|cán bộ|đồng chí|chiến sĩ|cbcs|\d)"
_REGULAR = re.compile(r"chính quy|cacq|ra mắt|đảm nhiệm|(?:bố trí|điều động|tăng cường)(?:\s+[^\s\d]+){0,3}?\s+"
                      + _POLICE_NOUN)
_TRAINING = re.compile(r"tập huấn|bồi dưỡng|đào tạo|huấn luyện")
_INVESTIGATOR = re.compile(r"điều tra viên|\bđtv\b")
_BOTH_LEADERS = re.compile(r"cả trưởng và phó|trưởng và phó trưởng|trưởng và các phó|trưởng, phó trưởng|cả trưởng, phó")
_HEAD_WORD = re.compile(r"\btrưởng\b")
_WAVE = re.compile(r"đợt|\bthêm\b|tăng cường|bổ sung|trao quyết định|lễ ra mắt|tiếp nhận|vừa điều động")
_DEPLOY = re.compile(r"điều động|tăng cường|nhận nhiệm vụ|về nhận công tác")
_CUMULATIVE = re.compile(r"đến nay|tổng số|tổng cộng|nâng tổng|hiện có|hiện nay|toàn bộ|lũy kế|tất cả|\bbố trí\b"
                         r"|đến thời điểm (?:này|hiện tại)|tính đến")
_RAISED_TOTAL = re.compile(r"nâng tổng số(?:\s+\S+){0,12}?\s+lên\s*$")
_NEGATION = re.compile(r"\bchưa\b|\bkhông\b")
_SUBSET_TAIL = re.compile(r"^\s*(?:[^\s\d,;]+\s+){0,3}?(?:là\s+(?!(?:điều tra viên|trưởng|phó|công an viên|lãnh đạo"
                          r"|chỉ huy|cán bộ))|có trình độ|có bằng|đạt trình độ|được khen|bị\s|thuộc diện|đạt yêu cầu"
                          r"|đạt loại|xếp loại|tham gia đạt|nữ\b|tham gia (?!(?:\S+\s+){0,3}?(?:lớp|tập huấn|bồi dưỡng"
                          r"|đào tạo|huấn luyện)))")
_PASS_RATE = re.compile(r"đạt yêu cầu|khá|giỏi|xuất sắc|hoàn thành tốt")
_BENEFICIARY = re.compile(r"\bcho\s*$")
_HQ_CUE = re.compile(r"trụ sở|nơi làm việc|nhà làm việc|làm việc chung|chung với ubnd|làm việc tại ubnd")
_TOTAL_LEFT = re.compile(
    r"(?:\bcó|gồm|bao gồm|với|tổng số|\bcòn|\blà|trong đó|trong đó có|\(|thành|xuống|lên|tổng cộng)\s*(?:tổng số\s*)?$"
)
_LIST_LEFT = re.compile(r"^\s*(?:,|;|và|,\s*và|cùng)\s*$")
_DESCRIPTOR_TAIL = re.compile(r"^\s*(?:biên giới|miền núi|vùng cao|vùng sâu|đặc biệt khó khăn|trọng điểm|ven biển"
                              r"|nông thôn mới|loại|khu vực|giáp|thuộc diện|có đồng bào|mới\b|đã được sáp nhập)")
_ATTACHED_PCT = re.compile(r"^[^;.%]{0,40}(?:[,(]\s*(?:đạt|bằng|chiếm)|\(|,)\s*(?:tỉ lệ\s*)?$")
_DEPLOY_TARGET = re.compile(r"^\s*(?:\S+\s+){0,6}?(?:về|tại|cho|ở|đến)\s+"
                            r"(?:công tác tại\s+)?(?:các\s+|công an\s+|công an các\s+)?$")
_ROLE_BEFORE = re.compile(r"(?P<role>" + _ROLE + r")(?:[^;.\d]{0,60}?(?:\bcó|\blà|gồm|:))?\s*(?:tổng số\s*)?(?:gần|hơn|khoảng|trên)?\s*$")

_HQ_STATUS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hq_missing", re.compile(r"chưa có (?:trụ sở|nơi làm việc)")),
    ("hq_shared_with_ppc", re.compile(
        r"(?:chung|nhờ|mượn|tạm|tại|cùng)[^;]{0,30}(?:ubnd|ủy ban|trụ sở xã|trụ sở phường|hội trường xã)")),
    ("hq_under_construction", re.compile(
        r"đang\s+(?:được\s+)?(?:khẩn trương\s+)?(?:triển khai\s+)?(?:xây dựng|thi công|xây|hoàn thiện(?! thủ tục| hồ sơ))"
        r"|khởi công|đang được xây")),
    ("hq_independent", re.compile(r"độc lập|làm việc riêng|trụ sở riêng|riêng biệt")),
    ("hq_completed", re.compile(r"hoàn thành|xây dựng xong|đưa vào sử dụng|đưa vào hoạt động|khánh thành|bàn giao"
                                r"|đã (?:được )?xây dựng|hoàn thiện và")),
    ("hq_projects", re.compile(r"(?:được\s+(?:\S+\s+){0,3}?)?đầu tư xây dựng|phê duyệt|chủ trương đầu tư")),
)
_VERB_END = r"(?:\s+(?:thêm|được|mới|đồng loạt))?\s*$"
# Verbs right before an HQ figure, by priority: being built, built, planned/approved.
_HQ_VERB_BEFORE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hq_under_construction", re.compile(r"(?:đang\s+(?:được\s+)?(?:xây dựng|thi công|triển khai xây dựng)"
                                         r"|khởi công(?:\s+đồng loạt)?(?:\s+xây dựng)?)" + _VERB_END)),
    ("hq_completed", re.compile(r"(?:xây dựng xong|xây dựng mới|hoàn thành|khánh thành|bàn giao|đưa vào sử dụng"
                                r"|đưa vào hoạt động)" + _VERB_END)),
    ("hq_projects", re.compile(r"(?<!để )(?<!nhằm )(?:(?:đầu tư\s+)?xây dựng|triển khai|phê duyệt(?:\s+\S+){0,3}?)"
                               + _VERB_END)),
)
# Any HQ verb earlier in the clause ('khánh thành dự án trụ sở công an 36 xã').
_HQ_VERB_BEFORE_ANY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hq_under_construction", re.compile(r"khởi công|đang (?:được )?(?:xây dựng|thi công)")),
    ("hq_completed", re.compile(r"khánh thành|hoàn thành|bàn giao|đưa vào sử dụng|xây dựng xong")),
)
_HQ_SKIP = re.compile(r"thủ tục|chuẩn bị đầu tư|bố trí vốn|kinh phí|mặt bằng|quỹ đất")

_ROLE_METRIC = {"head": "heads_total", "deputy": "deputies_total", "ca_vien": "ca_vien_total",
                "investigator": "investigators_total"}
_UNIT_ORDER = ("xã", "phường", "thị trấn", "đặc khu")
_PERSON_METRICS = ("officers_total", "officers_deployed", "officers_trained", "heads_total", "deputies_total",
                   "ca_vien_total", "investigators_total", "units_head_investigator", "officers_ward",
                   "officers_commune_town")


def _role_name(phrase: str) -> str:
    if phrase.startswith("phó"):
        return "deputy"
    if phrase.startswith("trưởng"):
        return "head"
    if phrase.startswith("công an viên"):
        return "ca_vien"
    return "investigator"


def _unit_type(phrase: str) -> str | None:
    """Canonical unit type of a unit noun phrase: 'xã, thị trấn', 'phường'... or None ('đơn vị')."""
    if "cấp xã" in phrase or phrase.startswith("đơn vị") or phrase.startswith("đvhc"):
        return None
    found = [u for u in _UNIT_ORDER if re.search(r"(?<![\w])" + u + _B, phrase.replace("thị xã", ""))]
    return ", ".join(found) if found else None


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
    dates = [d for d in all_dates if _usable_date(d, article.published, folded, sentences)]
    mentions = find_province_mentions(text, folded)
    paragraphs = split_paragraphs(text)
    districts = _district_regex(_district_names(text, mentions, province_code))
    claims: list[Claim] = []
    n_index = 0
    p_index = 0
    for s_start, s_end in sentences:
        while p_index + 1 < len(paragraphs) and paragraphs[p_index][1] <= s_start:
            p_index += 1
        while n_index < len(numbers) and numbers[n_index].start < s_start:
            n_index += 1
        sentence_numbers = []
        while n_index < len(numbers) and numbers[n_index].start < s_end:
            sentence_numbers.append(numbers[n_index])
            n_index += 1
        if not sentence_numbers:
            continue
        items = [it for it in (_make_item(n, text, folded, s_start, s_end) for n in sentence_numbers) if it]
        if not items:
            continue
        para_start = paragraphs[p_index][0] if paragraphs and paragraphs[p_index][0] <= s_start else s_start
        ctx = _SentenceContext(text, folded, s_start, s_end, para_start, items, mentions, province_code, districts)
        ctx.previous = [c for c in claims if c.start >= para_start]
        for i, item in enumerate(items):
            item.metric = _classify(ctx, i)
        _propagate_lists(ctx)
        if "nâng tổng" in folded[s_start:s_end]:
            _resolve_raised_totals(ctx)
        for i, item in enumerate(items):
            if item.metric and _out_of_scope(ctx, i):
                item.metric = None
        for item in items:
            if item.metric is None:
                continue
            as_of = _as_of(item.num_start, s_start, s_end, dates, para_start, article.published)
            claims.append(Claim(item.metric, item.value, item.denominator, _claim_unit_type(item), item.qualifier,
                                text[item.start:item.end], item.start, item.end, as_of))
    return claims


def _usable_date(d: DateMention, published: date | None, folded: str, sentences: list[tuple[int, int]]) -> bool:
    """Dates that can serve as as-of: not a document's date, not after publication, not a plan or comparison."""
    if d.role == "document" or d.year is None:
        return False
    if published is not None and (d.year, d.month or 1, d.day or 1) > (published.year, published.month,
                                                                       published.day):
        return False
    s_start = next((s for s, e in sentences if s <= d.start < e), max(0, d.start - 200))
    clause = folded[max(s_start, folded.rfind(";", s_start, d.start) + 1, folded.rfind(",", s_start, d.start) + 1,
                        d.start - 60):d.start]
    return not _DATE_PLAN.search(clause)


def _unmasked_numbers(numbers: list[NumberMention], dates: list[DateMention], folded: str) -> list[NumberMention]:
    """Numbers that are not part of a date or a document number."""
    spans = sorted((d.start, d.end) for d in dates if d.precision != "now")
    kept = []
    j = 0
    for n in numbers:  # both lists are sorted by offset
        while j < len(spans) and spans[j][1] <= n.start:
            j += 1
        if j < len(spans) and spans[j][0] < n.end:
            continue
        if _DOC_BEFORE.search(folded, max(0, n.start - 30), n.start) or _DOC_AFTER.match(folded, n.end):
            continue
        kept.append(n)
    return kept


def _make_item(n: NumberMention, text: str, folded: str, s_start: int, s_end: int) -> _Item | None:
    """The number with its '%', '/M' and head noun; None when no known head follows."""
    m = _HEAD_RE.match(folded, n.end, s_end)
    if m is None or m.end() == n.end:
        return None
    pct, den = m.group("pct"), m.group("den")
    head, detail, head_end = "none", "", m.end()
    for name in ("role", "person", "unit", "hq"):
        if m.group(name):
            head, detail = name, m.group(name)
            break
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
    start, qualifier = n.start, None
    q = _QUALIFIER.search(folded, max(s_start, n.start - 12), n.start)
    if q:
        start, qualifier = q.start(1), q.group(1)
    item = _Item(n.start, n.end, n.value, denominator, kind, head, detail, end, start, qualifier)
    if head == "person":
        link = _ROLE_LINK.match(folded, end, min(s_end, end + 140))
        if link and not link.group("more"):  # 'đảm nhiệm chức vụ trưởng, phó công an xã' lists roles: no single role
            item.role_link = _role_name(link.group("role"))
            item.role_verb = link.group("verb") or ""
            item.end = link.end("role")
    return item


def _trim_named_unit(text: str, detail: str, start: int, end: int) -> tuple[str, int]:
    """'20 phường và đặc khu Phú Quý': the last unit word names one unit, so the list ends before it."""
    after = text[end:end + 3].lstrip()
    if not after or not after[0].isupper() or not re.search(_UNIT_SEP, detail):
        return detail, end
    seps = list(re.finditer(_UNIT_SEP, detail))
    cut = seps[-1].start()
    return detail[:cut], start + cut


class _SentenceContext:
    """Text windows around the items of one sentence."""

    def __init__(self, text: str, folded: str, start: int, end: int, para_start: int, items: list[_Item],
                 mentions: list, province_code: str | None, districts: re.Pattern[str] | None = None) -> None:
        self.text, self.folded, self.start, self.end = text, folded, start, end
        self.para_start = para_start
        self.previous: list[Claim] = []
        # Cue positions found once per sentence, then looked up per figure.
        self.plans = [(m.start(), m.end()) for m in _PLAN.finditer(folded, start, end)]
        self.present = [m.start() for m in _PRESENT_AFTER_PLAN.finditer(folded, start, end)] if self.plans else []
        self.rates = [m.start() for m in _RATE_LEFT.finditer(folded, start, end)]
        self.rieng = [m.start() for m in _RIENG.finditer(folded, start, end)]
        self.subscopes = [start + m.end() for m in _SUBSCOPE.finditer(text[start:end])
                          if text[start + m.end()].isupper()]
        self.district_hits = [m.start() for m in districts.finditer(text, start, end)] if districts else []
        self.items = items
        self.mentions = [m for m in mentions if start <= m.start < end]
        self.province_code = province_code

    def clause_start(self, pos: int) -> int:
        cut = self.folded.rfind(";", self.start, pos)
        return self.start if cut == -1 else cut + 1

    def clause_end(self, pos: int) -> int:
        cut = self.folded.find(";", pos, self.end)
        return self.end if cut == -1 else cut

    def left(self, i: int) -> str:
        """From the previous item (or the clause start) to this item's evidence start."""
        item = self.items[i]
        bound = self.clause_start(item.num_start)
        if i > 0:
            bound = max(bound, self.items[i - 1].end)
        return self.folded[bound:item.start]

    def clause_left(self, i: int) -> str:
        item = self.items[i]
        return self.folded[self.clause_start(item.num_start):item.start]

    def sentence_left(self, i: int) -> str:
        return self.folded[self.start:self.items[i].start]

    def right(self, i: int) -> str:
        """From this item's head to the next item (or the clause end)."""
        item = self.items[i]
        bound = self.clause_end(item.end)
        if i + 1 < len(self.items):
            bound = min(bound, self.items[i + 1].start)
        return self.folded[item.end:max(item.end, bound)]

    def right_wide(self, i: int, limit: int = 100) -> str:
        """From this item's head to the clause end, across later items (at most `limit` characters)."""
        item = self.items[i]
        return self.folded[item.end:min(self.clause_end(item.end), item.end + limit)]

    def paragraph_before(self, i: int) -> str:
        return self.folded[self.para_start:self.items[i].start]

    def original_clause_left(self, i: int) -> str:
        item = self.items[i]
        return self.text[self.clause_start(item.num_start):item.start]

    def other_province_before(self, i: int) -> bool:
        item = self.items[i]
        lo = self.clause_start(item.num_start)
        codes = {m.code for m in self.mentions if lo <= m.start < item.start}
        return bool(codes) and self.province_code not in codes


_CLAUSE_COMMA = re.compile(r";|,(?!\s*(?:xã|phường|thị trấn|đặc khu)\b)")


def _first_clause(tail: str) -> str:
    """A tail up to its first comma, semicolon or plan word ('..., dự kiến hoàn thành' is not a status); a comma
    inside a unit list ('xã, thị trấn') does not end it."""
    cut = len(tail)
    for m in (_CLAUSE_COMMA.search(tail), _PLAN.search(tail)):
        if m:
            cut = min(cut, m.start())
    return tail[:cut]


def _classify(ctx: _SentenceContext, i: int) -> str | None:
    """The metric code of item i, or None when the figure is not a catalog claim."""
    item = ctx.items[i]
    left, right, clause_left = ctx.left(i), ctx.right(i), ctx.clause_left(i)
    if item.detail == "lượt" or _skip_context(ctx, i, left, right, clause_left):
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
    """Rates, ranges, plans, changes, single units, semi-professional police and other provinces."""
    item = ctx.items[i]
    lo = item.start - len(clause_left)
    if any(lo <= p < item.start for p in ctx.rates) or _RATE_RIGHT.match(ctx.folded, item.end, item.end + 50):
        return True
    if re.search(r"/\s*$", ctx.folded[max(ctx.start, item.num_start - 3):item.num_start]):
        return True  # the '1 xã' of '5 cán bộ/ 1 xã' is the rate's divisor
    if _RANGE_LEFT.search(left) or _RANGE_RIGHT.match(ctx.folded, item.num_end):
        return True
    if _is_plan(ctx, item.start) or _PLAN.search(re.split(r"[,;]", right, maxsplit=1)[0]):
        return True
    if _CHANGE_LEFT.search(left) and not re.search(r"tăng cường\s*(?:thêm\s*)?$", left):
        return True
    left_start = max(item.start - len(left), item.start - 80)
    if any(lo <= p < item.start for p in ctx.rieng) or _CLAUSE_OPENS_ON_UNIT.match(clause_left) \
            or _PER_UNIT_ALLOCATION.search(ctx.folded, left_start, item.start):
        return True
    if item.head == "person" and _SINGLE_UNIT_SUBJECT.search(ctx.folded, left_start, item.start):
        return True
    if _SEMI_PRO.match(right) or (item.head in ("person", "role") and item.value < 2):
        return True
    return ctx.other_province_before(i)


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
            _DEPLOY.search(ctx.clause_left(i)):
        return False
    item_end = item.end
    if _DISTRICT_RIGHT.match(ctx.text[item_end:min(ctx.clause_end(item_end), item_end + 100)]):
        return True
    lo = ctx.clause_start(item.num_start)
    sub = [p for p in ctx.subscopes if lo <= p < item.start]
    if sub:
        absolute = sub[-1]
        own = any(m.start == absolute and m.code == ctx.province_code for m in ctx.mentions)
        if not own and not _WHOLE_PROVINCE.search(ctx.folded, absolute, item.start):
            return True
    return any(lo <= p < item.start for p in ctx.district_hits)


_DISTRICT_WORD = re.compile(r"(?i:\b(?:huyện|quận|thị xã))\s+")


def _district_names(text: str, mentions: list, province_code: str | None) -> tuple[str, ...]:
    """Names of districts the article mentions ('huyện Hưng Nguyên' -> 'Hưng Nguyên'), so that a later bare
    'Hưng Nguyên đã điều động...' is recognised as one district's figure."""
    names = set()
    for m in _DISTRICT_WORD.finditer(text):
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


@lru_cache(maxsize=256)
def _district_regex(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?!\w)")


def _classify_percent(ctx: _SentenceContext, i: int, left: str, right: str, clause_left: str) -> str | None:
    item = ctx.items[i]
    if i > 0 and _ATTACHED_PCT.match(left) and ctx.items[i - 1].metric in ("units_with_regular_police",
                                                                           "officers_trained"):
        return {"units_with_regular_police": "regular_police_coverage_pct",
                "officers_trained": "trained_pct"}[ctx.items[i - 1].metric]
    if item.head == "role":
        return None
    tail = right[:80]
    if _PASS_RATE.search(tail[:40]) or _SUBSET_TAIL.match(tail):
        return None
    if item.head in ("none", "person"):
        if item.head == "person" and (_TRAINING.search(tail) or _TRAINING.search(left)):
            return "trained_pct"
        if item.head == "person" and "chính quy" in item.detail and re.match(
                r"^\s*(?:về|tại|cho|ở)\s+(?:các\s+)?(?:xã|phường|thị trấn)", tail):
            return "regular_police_coverage_pct"  # 'bố trí 100% công an chính quy về xã'
        if re.search(r"tỉ lệ[^;]{0,60}(?:tập huấn|bồi dưỡng|đào tạo)[^;]{0,30}(?:đạt|là|chiếm)?\s*$", left):
            return "trained_pct"
    if _HQ_CUE.search(tail) or _INVESTIGATOR.search(tail):
        return None
    if item.head == "unit" and _unit_family(item.detail) != "district":
        if _REGULAR.search(tail) or _REGULAR.search(left) or re.search(r"(?:có|được)\s+(?:lực lượng\s+)?công an", tail):
            return "regular_police_coverage_pct"
        return None
    if item.head == "none" and re.search(r"tỉ lệ[^;]{0,60}(?:chính quy|bố trí)[^;]{0,40}(?:đạt|là)\s*$", left):
        return "regular_police_coverage_pct"
    return None


def _classify_role(item: _Item, left: str, right: str) -> str | None:
    role = _role_name(item.detail)
    tail = right[:70]
    if role == "investigator" and _appointment_wave(left, left):
        return None
    if role in ("head", "deputy") and _INVESTIGATOR.search(tail) and not _TRAINING.search(tail):
        if role == "head":
            return "units_head_investigator"
        return None
    if item.kind == "fraction":
        return None
    if _TRAINING.search(tail) or _SUBSET_TAIL.match(tail):
        return None
    return _ROLE_METRIC[role]


def _role_before_metric(left: str) -> str | None:
    """'Trưởng Công an xã có 141 đồng chí', 'Số Trưởng Công an xã là Điều tra viên: 58/116 đồng chí'."""
    m = _ROLE_BEFORE.search(left)
    if not m:
        return None
    role = _role_name(m.group("role"))
    rest = left[m.start():]
    if role == "head" and _INVESTIGATOR.search(rest):
        return "units_head_investigator"
    if role == "deputy" and _INVESTIGATOR.search(rest):
        return None
    return _ROLE_METRIC[role]


def _classify_person(ctx: _SentenceContext, i: int, left: str, right: str, clause_left: str) -> str | None:
    item = ctx.items[i]
    tail = right[:80]
    deploying = _DEPLOY.search(left) and not _CUMULATIVE.search(clause_left)
    if item.role_link and not (deploying and item.role_verb.startswith(("đảm nhiệm", "nhận"))):
        if _is_wave_subset(ctx, i, clause_left):
            return None
        if item.role_link == "investigator":
            return None if _appointment_wave(left, clause_left) else "investigators_total"
        return None if item.kind == "fraction" else _ROLE_METRIC[item.role_link]
    before = _role_before_metric(left)
    if before:
        return None if _is_wave_subset(ctx, i, clause_left) else before
    if item.detail == "người" or _SUBSET_TAIL.match(tail):
        return None
    trained_left = _TRAINING.search(left)
    if trained_left or _TRAINING.search(tail[:50]) or item.detail == "học viên":
        if item.detail == "học viên" and not (_TRAINING.search(clause_left) or _TRAINING.search(tail)):
            return None
        return "officers_trained"
    if item.kind == "fraction" or _BENEFICIARY.search(left):
        return None
    own_words = ctx.folded[item.num_end:item.end]
    if not (_COMMUNE_CUE.search(clause_left) or _COMMUNE_CUE.search(ctx.right_wide(i)) or
            _COMMUNE_CUE.search(own_words)):
        return None
    if _PROVINCE_LEVEL.search(left) or _is_wave_subset(ctx, i, clause_left):
        return None
    split = _ward_split(ctx, i, clause_left, tail)
    if split:
        return split
    summary = re.match(r"\s*như vậy", ctx.folded[ctx.para_start:ctx.para_start + 20])
    if _CUMULATIVE.search(left) or item.qualifier == "tổng cộng" or summary:
        return "officers_total"
    if _WAVE.search(left) or _WAVE.search(tail[:40]) or deploying:
        return "officers_deployed"
    if re.match(r"^\s*(?:được|đã được)\s+(?:điều động|điều về)", tail):
        return "officers_deployed"
    return "officers_total"


def _is_wave_subset(ctx: _SentenceContext, i: int, clause_left: str) -> bool:
    """Role counts inside one deployment wave ('Trong 91 cán bộ được điều động lần này có 65...', or 'Trong đó...'
    right after a wave) are not the province's role totals."""
    if _WAVE_SUBSET.search(clause_left):
        return True
    if re.match(r"\s*trong (?:đó|số (?:này|đó))", clause_left):
        people = [c for c in ctx.previous if c.metric in ("officers_total", "officers_deployed")]
        earlier = [it for it in ctx.items[:i] if it.metric in ("officers_total", "officers_deployed")]
        last = earlier[-1].metric if earlier else (people[-1].metric if people else None)
        return last == "officers_deployed"
    return False


def _appointment_wave(left: str, clause_left: str) -> bool:
    """'bổ nhiệm 88 điều tra viên' is one appointment event, not the number of investigators."""
    return bool(re.search(r"bổ nhiệm\s*$", left)) and not _CUMULATIVE.search(clause_left)


_WARD_SUBJECT = re.compile(r"công an (?:các\s+|\d[\d.]*\s+)?(?P<units>" + _UNIT_LIST + r")\s+(?:hiện\s+)?(?:có|gồm)\s*$")
_WARD_TARGET = re.compile(r"^\s*(?:công tác\s+)?(?:tại|ở|cho)\s+(?:công an\s+)?(?:các\s+)?(?P<units>" + _UNIT_LIST + r")")


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
        return "districts_total" if item.kind == "count" and _is_total(ctx, i, left, tail) else None
    if _INVESTIGATOR.search(tail) and _HEAD_WORD.search(tail):
        return "units_head_and_deputy_investigators" if _BOTH_LEADERS.search(tail) else "units_head_investigator"
    if _INVESTIGATOR.search(clause_left):
        return None  # 'bố trí 609 điều tra viên tại 460/460 Công an cấp xã': units with investigators
    first = _first_clause(tail)
    if re.search(r"trụ sở(?: làm việc)?(?: của)? công an(?: các)?\s*$", left):
        # 'khánh thành trụ sở công an 36 xã': the units' HQ buildings, status from the verb before
        window = left[-80:]
        status = next((m for m, pattern in _HQ_VERB_BEFORE_ANY if pattern.search(window)), None)
        return status
    if _HQ_CUE.search(first) or (item.kind == "count" and _HQ_CUE.search(left[-40:]) and not _REGULAR.search(left)):
        if _HQ_SKIP.search(first):
            return None
        status = _hq_status(first)
        if status in ("hq_completed", "hq_projects", None) and re.search(r"độc lập|riêng", first):
            status = "hq_independent"
        if status is None:
            # 'nâng tổng số xã có trụ sở độc lập lên 101 xã': the status is stated before the figure.
            before = _hq_status(left[-60:])
            status = before if before in ("hq_independent", "hq_shared_with_ppc", "hq_missing") else None
        return status
    if _NEGATION.search(tail[:25]):
        return None
    regular_near = _REGULAR.search(left) or _REGULAR.search(tail[:60])
    deploy_target = _DEPLOY_TARGET.match(left) and (_REGULAR.search(clause_left) or _DEPLOY.search(clause_left))
    after_police = re.search(r"công an\s+$", left)
    if family != "other" or item.detail.startswith("đơn vị"):
        if item.kind == "fraction" and (_REGULAR.search(clause_left) or _REGULAR.search(tail) or
                                        re.search(r"(?:có|được)\s+(?:lực lượng\s+)?công an", tail)):
            return "units_with_regular_police"
        if item.kind == "count" and (regular_near or deploy_target or after_police):
            if not _TRAINING.search(left[-40:]):
                return "units_with_regular_police"
    if item.kind == "count" and item.detail.startswith("công an") and _is_total(ctx, i, left, tail):
        return "units_with_regular_police"  # 'có 3.319 công an cấp xã': police units
    if item.kind == "count" and family != "other" and _is_total(ctx, i, left, tail):
        if _BEFORE_MERGER.search(ctx.folded[ctx.start:item.start]):
            return None
        return {"commune_level": "commune_level_units_total", "xã": "communes_total", "phường": "wards_total",
                "thị trấn": "towns_total"}.get(family)
    return None


def _is_total(ctx: _SentenceContext, i: int, left: str, tail: str) -> bool:
    """'có 260 đơn vị', 'gồm 12 xã và 2 thị trấn' (a list continues a total); not 'có 34 xã biên giới'."""
    if _DESCRIPTOR_TAIL.match(tail):
        return False
    if _TOTAL_LEFT.search(left[-30:]):
        return True
    if i > 0 and _LIST_LEFT.match(left) and ctx.items[i - 1].metric in (
            "commune_level_units_total", "communes_total", "wards_total", "towns_total", "districts_total"):
        return True
    return False


def _hq_status(window: str) -> str | None:
    """The first HQ status cue in a window after the figure."""
    best: tuple[int, str] | None = None
    for metric, pattern in _HQ_STATUS:
        m = pattern.search(window)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), metric)
    return best[1] if best else None


def _classify_hq(ctx: _SentenceContext, i: int, left: str, right: str, clause_left: str) -> str | None:
    item = ctx.items[i]
    tail = right[:90]
    first = _first_clause(tail)
    if _HQ_SKIP.search(first[:40]):
        return None
    if item.detail in ("công trình", "dự án") and not (
            _HQ_CUE.search(tail) or "trụ sở" in ctx.paragraph_before(i) or "công an" in tail[:30]):
        return None
    status = _hq_status(first)
    window = left[-60:]
    verb = next((metric for metric, pattern in _HQ_VERB_BEFORE if pattern.search(window)), None)
    if status is None and verb:
        status = verb
    if item.detail == "dự án" and status in (None, "hq_independent", "hq_projects"):
        return "hq_projects" if re.search(r"xây dựng|trụ sở|cải tạo", tail + left) else None
    return status


_LIST_JOIN = re.compile(r"^\s*(?:,|và|,\s*và)\s*$")


def _propagate_lists(ctx: _SentenceContext) -> None:
    """'tất cả 188 xã, thị trấn và 47 phường ... đã có công an chính quy': the cue after the last unit of a
    list covers the whole list."""
    items = ctx.items

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
        if not _RAISED_TOTAL.search(ctx.left(i)) and not _RAISED_TOTAL.search(ctx.clause_left(i)):
            continue
        prev = next((j for j in range(i - 1, -1, -1) if ctx.items[j].metric in _PERSON_METRICS), None)
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


def _as_of(pos: int, s_start: int, s_end: int, dates: list[DateMention], para_start: int,
           published: date | None) -> str | None:
    """The date stated in the sentence (nearest before, else first after), else the nearest earlier date of
    the paragraph, else the published date."""
    before = [d for d in dates if s_start <= d.start < pos]
    if before:
        return before[-1].iso
    after = [d for d in dates if pos <= d.start < s_end]
    if after:
        return after[0].iso
    earlier = [d for d in dates if para_start <= d.start < s_start]
    if earlier:
        return earlier[-1].iso
    return published.isoformat() if published else None
