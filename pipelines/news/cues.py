"""Cue words and noun phrases for claim extraction, as regular expressions over fold_variants(text).

All patterns expect the folded form: lowercase, new tone placement ('hòa'), 'sĩ' not 'sỹ', 'tỉ' not 'tỷ'. They
are the vocabulary of provincial police news; `claims.py` holds the logic that combines them.
"""

from __future__ import annotations

import re

from pipelines.news.normalize import UPPER_CHARS

B = r"(?![\wđ])"  # end of word (\w covers Vietnamese letters in Python's re)
# Searched patterns open on a literal in every alternative, so that the regex engine skips ahead to the places
# where one can start instead of trying the whole pattern at every offset of the window. A word boundary before a
# word is therefore written after it: 'sẽ(?<!\wsẽ)' is '\bsẽ' (no letter or digit right before the word); an
# optional opening group or a lookbehind at the start is moved after the first literal the same way.
UNIT_WORD = r"(?:xã|phường|thị trấn|đặc khu)"
UNIT_SEP = r"(?:\s*,\s*|\s+và\s+|\s*/\s*|\s*-\s*)"
UNIT_LIST = UNIT_WORD + r"(?:" + UNIT_SEP + UNIT_WORD + r")*" + B
NOT_POLICE_TRUONG = (r"(?!\s+(?:phòng|ban|đoàn|thôn|ấp|bản|khu|xóm|tổ|nhóm|khoa|trạm|đồn|trại|lão|họ|ngành|bộ|tộc"
                     r"|thành|công an\s+(?:tỉnh|huyện|quận|thành phố|thị xã)))")
ROLE = (r"(?:phó trưởng công an|phó trưởng ca|phó trưởng|phó công an(?!\s+(?:tỉnh|huyện|quận|thành phố|thị xã))"
        r"|trưởng công an|trưởng ca|trưởng" + NOT_POLICE_TRUONG
        + r"|công an viên|điều tra viên|đtv)" + B + r"(?:\s+(?:các\s+)?(?:cấp xã|" + UNIT_LIST + r"))?")
PERSON = (r"(?:cán bộ\s*,?\s*chiến sĩ|cán bộ chiến sĩ|cbcs|cán bộ|chiến sĩ|đồng chí|đ/c|sĩ quan|hạ sĩ quan|học viên"
          r"|công an chính quy|ca chính quy|lượt|người)" + B)
UNIT = (r"(?:đơn vị hành chính cấp xã|đvhc cấp xã|đơn vị cấp xã|đơn vị hành chính cấp huyện|đơn vị hành chính"
        r"|công an (?:các\s+)?(?:cấp xã|" + UNIT_LIST + r")|" + UNIT_LIST
        + r"|huyện\s*,\s*thị xã\s*,\s*thành phố|huyện\s*,\s*thành phố\s*,\s*thị xã|quận\s*,\s*huyện|huyện\s*,\s*thị xã"
        r"|huyện\s*,\s*thành phố|huyện|đơn vị)" + B)
HQ = r"(?:trụ sở|công trình|dự án|nhà làm việc)" + B

HEAD_RE = re.compile(
    r"(?P<pct>\s*(?:%|phần trăm" + B + r"))?"
    r"(?:\s*/\s*(?P<den>\d{1,3}(?:\.\d{3})+|\d+)(?![\d/.,]\d))?"
    r"\s*(?:(?P<role>" + ROLE + r")|(?P<person>" + PERSON + r")|(?P<unit>" + UNIT + r")|(?P<hq>" + HQ + r"))?"
)
# 'đồng chí là Trưởng Công an xã', 'đồng chí có kinh nghiệm giữ chức vụ Phó Trưởng', 'đồng chí Trưởng Công an xã'.
ROLE_LINK = re.compile(
    r"(?:\s*(?:công an chính quy|chính quy))?(?:[^\d;.()]{0,40}?(?:\s|^)(?:đang\s+|đã\s+|được\s+)*"
    r"(?P<verb>là|giữ chức vụ|giữ chức danh|giữ chức|được bổ nhiệm(?:\s+(?:chức danh|làm))?"
    r"|bổ nhiệm(?:\s+(?:chức danh|làm))?|được bố trí(?:\s+làm)?|đảm nhiệm (?:các\s+)?chức (?:vụ|danh)"
    r"|nhận (?:các\s+)?chức danh"
    r"|làm))?\s+(?P<role>" + ROLE + r")(?P<more>\s*(?:,|và)\s*(?:phó|trưởng|công an viên))?"
)
QUALIFIER_WORDS = ("gần như", "gần", "hơn", "trên", "khoảng", "tổng cộng", "xấp xỉ", "chừng", "ước tính", "ít nhất",
                   "dưới", "chưa đến", "chưa tới")
QUALIFIER = re.compile(r"(?:^|(?<=[\s(]))(" + "|".join(QUALIFIER_WORDS) + r")\s+$")

# Numbers that are never claims: document numbers ('Nghị định 42/2021/NĐ-CP', 'Kế hoạch số 12/KH-CAT', 'Đề án
# 06'). Phone numbers ('0239.3855.222') and dates never parse as numbers or are masked as dates.
DOC_BEFORE = re.compile(
    r"(?:nghị định|quyết định|thông tư|kế hoạch|chỉ thị|nghị quyết|công văn|đề án|luật|hướng dẫn|thông báo"
    r"|chương trình|văn bản|tờ trình|báo cáo|hiệu lệnh|mã số|mã)\s+(?:số\s*)?$")
# What DOC_BEFORE's match ends with (a cheap test before the regex).
DOC_ENDINGS = ("nghị định", "quyết định", "thông tư", "kế hoạch", "chỉ thị", "nghị quyết", "công văn", "đề án", "luật",
               "hướng dẫn", "thông báo", "chương trình", "văn bản", "tờ trình", "báo cáo", "hiệu lệnh", "mã", "số")
DOC_AFTER = re.compile(r"\s*(?:/\s*(?:\d{2,4}\s*/\s*)?[a-zđ]|-[a-zđ]{2,}/)")
RATE_LEFT = re.compile(r"(?:mỗi(?<!\wmỗi)|bình quân|trung bình|tối thiểu|tối đa|định mức|theo quy định)\s")
RATE_RIGHT = re.compile(r"[^,;.\d/]{0,30}(?:/\s*(?:\d[\d.]*\s+|một\s+)?"
                        r"(?:xã|phường|thị trấn|đơn vị|người|trụ sở|công an)"
                        r"|mỗi|một xã|trên một)")
RANGE_LEFT = re.compile(r"\d\s*(?:[-–]|đến|tới)\s*$")
RANGE_RIGHT = re.compile(r"\s*(?:[-–]|đến|tới)\s*\d")
RANGE_WORDS = ("-", "–", "đến", "tới")  # what RANGE_LEFT's match ends with
PLAN = re.compile(
    r"phấn đấu|dự kiến|dự tính|sẽ(?<!\wsẽ)\b|mục tiêu|chỉ tiêu|theo kế hoạch|theo lộ trình|đề xuất|đề nghị|kiến nghị"
    r"|cần(?<!\wcần)\b(?!\s+thơ)|nếu(?<!\wnếu)\b|giai đoạn (?:1|2|3|i|ii|iii|một|hai|ba)\b"
)
PLAN_WORDS = ("phấn đấu", "dự kiến", "dự tính", "sẽ", "mục tiêu", "chỉ tiêu", "kế hoạch", "lộ trình", "đề xuất",
              "đề nghị", "kiến nghị", "cần", "nếu", "giai đoạn")
RATE_WORDS = ("mỗi", "bình quân", "trung bình", "tối thiểu", "tối đa", "định mức", "theo quy định")
PRESENT_AFTER_PLAN = re.compile(r"đến nay|hiện nay|hiện có|hiện đã|đã có(?<!\wđã có)|như vậy")
DATE_PLAN = re.compile(r"so với|lộ trình|kế hoạch|mục tiêu|phấn đấu|dự kiến|dự tính|sẽ(?<!\wsẽ)\b|hạn chót|trước ngày")
CHANGE_LEFT = re.compile(r"(?:tăng|giảm|sáp nhập|nhập|thành lập mới|giải thể)\s*(?:thêm\s*)?$")
CHANGE_WORDS = ("tăng", "giảm", "nhập", "thành lập mới", "giải thể", "thêm")  # what CHANGE_LEFT's match ends with
BEFORE_MERGER = re.compile(r"trước (?:khi )?(?:hợp nhất|sáp nhập|sắp xếp)|trước đây|cũ(?<!\wcũ)\b\s*(?:có|gồm)")
# A named district or commune ('huyện Hải Hậu', 'huyện miền núi Kỳ Sơn', 'xã Ia Dom'): run on the folded text; the
# name must be capitalised in the original text (checked in code).
SUBSCOPE = re.compile(r"(?:huyện|quận|thị xã|thành phố|tp\.?|xã|phường|thị trấn|đặc khu)"
                      r"((?:\s+(?:miền núi|vùng cao|biên giới|đảo|ven biển|nghèo|đặc biệt khó khăn))?)\s+(?=\w)")
WHOLE_PROVINCE = re.compile(r"toàn tỉnh|toàn thành phố|cả tỉnh|trên địa bàn tỉnh|trên địa bàn thành phố"
                            r"|toàn lực lượng|công an tỉnh|công an thành phố")
# One unit rather than the province: 'Riêng xã Y...', a clause opening on a bare 'xã ...', or a per-unit allocation
# ('đối với các xã còn lại bố trí 3 đồng chí').
RIENG = re.compile(r"(?<!\w)riêng\s+(?!(?:đợt|năm|trong|tháng|quý|lần)\b)")
CLAUSE_OPENS_ON_UNIT = re.compile(r"\s*(?:trong đó,?\s*)?(?:xã|phường|thị trấn|đặc khu)\s+(?!và\b|,)")
UNIT_OPENINGS = ("trong đó", "xã", "phường", "thị trấn", "đặc khu")  # what CLAUSE_OPENS_ON_UNIT starts with
PER_UNIT_ALLOCATION = re.compile(
    r"(?:các(?<!công an các)|những(?<!công an những))\s+(?:xã|phường|thị trấn)[^,;\d]{0,40}(?:được\s+)?bố trí\s*$")
# 'của huyện' with no name after it: the district the article is about ('13/13 xã, thị trấn của huyện').
DISTRICT_RIGHT = re.compile(r"^[^;.]{0,30}(?i:của huyện|toàn huyện|trên địa bàn huyện|của thị xã|của quận|trong huyện)"
                            r"(?!\s+[" + UPPER_CHARS + "])")
WAVE_SUBSET = re.compile(r"trong (?:số\s+)?\d[\d.]*\s+\S+(?:\s+\S+){0,4}?\s+(?:được điều động|lần này|đợt này)")
SINGLE_UNIT_SUBJECT = re.compile(
    r"công an(?<!\wcông an)(?<!trưởng công an)(?<!lãnh đạo công an) (?:xã|phường|thị trấn|đặc khu)\s+(?:hiện\s+)?"
    r"(?:có|gồm)\s*$")

COMMUNE_CUE = re.compile(r"xã(?<!\wxã)\b|phường|thị trấn|cấp xã|chính quy|cơ sở|đặc khu|công an viên")
PROVINCE_LEVEL = re.compile(r"công an (?:tỉnh|thành phố)\s+(?:hiện\s+)?(?:có|gồm)\s*(?:tổng số\s*)?$|toàn lực lượng")
POLICE_NOUN = r"(?:công an|lực lượng|cán bộ|đồng chí|chiến sĩ|cbcs|\d)"
# '(?:bố trí|điều động|tăng cường)X' written as 'bố trí X|điều động X|tăng cường X' (the same alternatives in the
# same order) so that every alternative opens on a literal.
REGULAR = re.compile(r"chính quy|cacq|ra mắt|đảm nhiệm|"
                     + "|".join(verb + r"(?:\s+[^\s\d]+){0,3}?\s+" + POLICE_NOUN
                                for verb in ("bố trí", "điều động", "tăng cường")))
TRAINING = re.compile(r"tập huấn|bồi dưỡng|đào tạo|huấn luyện")
INVESTIGATOR = re.compile(r"điều tra viên|đtv(?<!\wđtv)\b")
BOTH_LEADERS = re.compile(r"cả trưởng và phó|trưởng và phó trưởng|trưởng và các phó|trưởng, phó trưởng|cả trưởng, phó")
HEAD_WORD = re.compile(r"trưởng(?<!\wtrưởng)\b")
WAVE = re.compile(r"đợt|thêm(?<!\wthêm)\b|tăng cường|bổ sung|trao quyết định|lễ ra mắt|tiếp nhận|vừa điều động")
DEPLOY = re.compile(r"điều động|tăng cường|nhận nhiệm vụ|về nhận công tác")
CUMULATIVE = re.compile(r"đến nay|tổng số|tổng cộng|nâng tổng|hiện có|hiện nay|toàn bộ|lũy kế|tất cả|bố trí(?<!\wbố trí)\b"
                        r"|đến thời điểm (?:này|hiện tại)|tính đến")
RAISED_TOTAL = re.compile(r"nâng tổng số(?:\s+\S+){0,12}?\s+lên\s*$")
NEGATION = re.compile(r"chưa(?<!\wchưa)\b|không(?<!\wkhông)\b")
SUBSET_TAIL = re.compile(r"^\s*(?:[^\s\d,;]+\s+){0,3}?(?:là\s+(?!(?:điều tra viên|trưởng|phó|công an viên|lãnh đạo"
                         r"|chỉ huy|cán bộ))|có trình độ|có bằng|đạt trình độ|được khen|bị\s|thuộc diện|đạt yêu cầu"
                         r"|đạt loại|xếp loại|tham gia đạt|nữ\b|tham gia (?!(?:\S+\s+){0,3}?(?:lớp|tập huấn|bồi dưỡng"
                         r"|đào tạo|huấn luyện)))")
PASS_RATE = re.compile(r"đạt yêu cầu|khá|giỏi|xuất sắc|hoàn thành tốt")
BENEFICIARY = re.compile(r"cho(?<!\wcho)\s*$")
HQ_CUE = re.compile(r"trụ sở|nơi làm việc|nhà làm việc|làm việc chung|chung với ubnd|làm việc tại ubnd")
TOTAL_LEFT = re.compile(
    r"(?:có(?<!\wcó)|gồm|bao gồm|với|tổng số|còn(?<!\wcòn)|là(?<!\wlà)|trong đó|trong đó có|\(|xuống|lên|tổng cộng)"
    r"\s*(?:tổng số\s*)?$"
)
LIST_LEFT = re.compile(r"^\s*(?:,|;|và|,\s*và|cùng)\s*$")
DESCRIPTOR_TAIL = re.compile(r"^\s*(?:biên giới|miền núi|vùng cao|vùng sâu|đặc biệt khó khăn|trọng điểm|ven biển"
                             r"|nông thôn mới|loại|khu vực|giáp|thuộc diện|có đồng bào|mới\b|đã được sáp nhập)")
ATTACHED_PCT = re.compile(r"^[^;.%]{0,40}(?:[,(]\s*(?:đạt|bằng|chiếm)|\(|,)\s*(?:tỉ lệ\s*)?$")
DEPLOY_TARGET = re.compile(r"^\s*(?:\S+\s+){0,6}?(?:về|tại|cho|ở|đến)\s+"
                           r"(?:công tác tại\s+)?(?:các\s+|công an\s+|công an các\s+)?$")
ROLE_BEFORE = re.compile(
    r"(?P<role>" + ROLE + r")(?:[^;.\d]{0,60}?(?:\bcó|\blà|gồm|:))?\s*(?:tổng số\s*)?(?:gần|hơn|khoảng|trên)?\s*$")

HQ_STATUS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hq_missing", re.compile(r"chưa có (?:trụ sở|nơi làm việc)")),
    ("hq_shared_with_ppc", re.compile(
        r"(?:chung|nhờ|mượn|tạm|tại|cùng)[^;]{0,30}(?:ubnd|ủy ban|trụ sở xã|trụ sở phường|hội trường xã)")),
    ("hq_under_construction", re.compile(
        r"đang\s+(?:được\s+)?(?:khẩn trương\s+)?(?:triển khai\s+)?"
        r"(?:xây dựng|thi công|xây|hoàn thiện(?! thủ tục| hồ sơ))"
        r"|khởi công|đang được xây")),
    ("hq_independent", re.compile(r"độc lập|làm việc riêng|trụ sở riêng|riêng biệt")),
    ("hq_completed", re.compile(r"hoàn thành|xây dựng xong|đưa vào sử dụng|đưa vào hoạt động|khánh thành|bàn giao"
                                r"|đã (?:được )?xây dựng|hoàn thiện và")),
    ("hq_projects", re.compile(r"được\s+(?:\S+\s+){0,3}?đầu tư xây dựng|đầu tư xây dựng|phê duyệt|chủ trương đầu tư")),
)
VERB_END = r"(?:\s+(?:thêm|được|mới|đồng loạt))?\s*$"
# Verbs right before an HQ figure, by priority: being built, built, planned/approved.
HQ_VERB_BEFORE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hq_under_construction", re.compile(r"(?:đang\s+(?:được\s+)?(?:xây dựng|thi công|triển khai xây dựng)"
                                        r"|khởi công(?:\s+đồng loạt)?(?:\s+xây dựng)?)" + VERB_END)),
    ("hq_completed", re.compile(r"(?:xây dựng xong|xây dựng mới|hoàn thành|khánh thành|bàn giao|đưa vào sử dụng"
                               r"|đưa vào hoạt động)" + VERB_END)),
    ("hq_projects", re.compile(r"(?<!để )(?<!nhằm )(?:(?:đầu tư\s+)?xây dựng|triển khai|phê duyệt(?:\s+\S+){0,3}?)"
                              + VERB_END)),
)
# Any HQ verb earlier in the clause ('khánh thành dự án trụ sở công an 36 xã').
HQ_VERB_BEFORE_ANY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hq_under_construction", re.compile(r"khởi công|đang (?:được )?(?:xây dựng|thi công)")),
    ("hq_completed", re.compile(r"khánh thành|hoàn thành|bàn giao|đưa vào sử dụng|xây dựng xong")),
)
HQ_SKIP = re.compile(r"thủ tục|chuẩn bị đầu tư|bố trí vốn|kinh phí|mặt bằng|quỹ đất")

UNIT_SEP_RE = re.compile(UNIT_SEP)
COMMA = re.compile(r"[,;]")
REINFORCE_END = re.compile(r"tăng cường\s*(?:thêm\s*)?$")
TO_UNITS = re.compile(r"\s*(?:về|tại|cho|ở)\s+(?:các\s+)?(?:xã|phường|thị trấn)")
TRAINED_RATE_LEFT = re.compile(r"tỉ lệ[^;]{0,60}(?:tập huấn|bồi dưỡng|đào tạo)[^;]{0,30}(?:đạt|là|chiếm)?\s*$")
COVERAGE_RATE_LEFT = re.compile(r"tỉ lệ[^;]{0,60}(?:chính quy|bố trí)[^;]{0,40}(?:đạt|là)\s*$")
HAS_POLICE = re.compile(r"(?:có|được)\s+(?:lực lượng\s+)?công an")
SUMMARY = re.compile(r"\s*như vậy")
DEPLOYED_TAIL = re.compile(r"\s*(?:được|đã được)\s+(?:điều động|điều về)")
AMONG_THEM = re.compile(r"\s*trong (?:đó|số (?:này|đó))")
APPOINT_END = re.compile(r"bổ nhiệm\s*$")
HQ_OF_POLICE_END = re.compile(r"trụ sở(?: làm việc)?(?: của)? công an(?: các)?\s*$")
INDEPENDENT = re.compile(r"độc lập|riêng")
POLICE_END = re.compile(r"công an\s+$")
BUILD_WORDS = re.compile(r"xây dựng|trụ sở|cải tạo")

ROLE_METRIC = {"head": "heads_total", "deputy": "deputies_total", "ca_vien": "ca_vien_total",
               "investigator": "investigators_total"}
UNIT_ORDER = ("xã", "phường", "thị trấn", "đặc khu")
PERSON_METRICS = ("officers_total", "officers_deployed", "officers_trained", "heads_total", "deputies_total",
                  "ca_vien_total", "investigators_total", "units_head_investigator", "officers_ward",
                  "officers_commune_town")


