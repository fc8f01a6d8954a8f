"""Extract tasks with deadlines from directive documents (kết luận, kế hoạch, hướng dẫn, giao ban reports).

A candidate is a sentence, or a clause of it when one sentence assigns several tasks with different
deadlines ("...trước ngày 30/6/2025; đại hội cấp huyện hoàn thành trước ngày 31/8/2025"), that carries a
deadline (dated, recurring or relative) and reads as an assignment rather than a report of past work.

Rules, in the order they apply:
- Clauses: a sentence is cut at ";" and ", đồng thời" only when two or more of its pieces carry a
  deadline; pieces without one join the next piece that has one (or the last).
- Scene-setting adverbials ("Trong quý III/2024, ...") are not deadlines, unless the sentence has no other
  and gives an order ("Trong quý IV/2025, các huyện phải hoàn thành ...").
- Past work is dropped: a main-clause "đã" in the deadline's piece ("đã hoàn thành trước ngày ..."), or a
  date with a written year before the document date, unless a directive word (phải, cần, yêu cầu, đề nghị,
  sẽ, dự kiến, phấn đấu, khẩn trương) says otherwise. Shortcoming lists ("Hạn chế: ...", "Tuy nhiên, ...")
  and entitlements ("được hưởng", "có quyền", "có giá trị") are dropped.
- Relative deadlines ("trước Đại hội") and bare routines ("báo cáo hằng quý") count only with a body in
  charge: without one they are standing rules, not assignments.
- Owner: the subject body at the head of the clause (after labels such as "Nhiệm vụ 1:", list markers and
  scene-setting adverbials), up to its verb; when that body assigns the work ("BTV Tỉnh ủy yêu cầu X ...")
  or there is no subject body ("Phát biểu chỉ đạo, đồng chí ... đề nghị X ..."), the body it is assigned
  to. "Sở Nội vụ: chủ trì ..." and "Cơ quan chủ trì: Sở Nội vụ" name it by label. A clause without one
  inherits from the previous clause of its sentence; a first clause without one takes the owner of the
  deadline-less sentences just before it, which are then quoted with it ("Sở Tài chính hướng dẫn ... .
  Hướng dẫn này được ban hành trong tháng 6/2024.").
- Table rows as the reader joins them ("1 | Xây dựng đề án | Sở Nội vụ | Các sở | Quý IV/2025"): the
  deadline is the last cell that reads as one, the owner the first later cell naming a body.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from index.deadlines import WRAP_DAYS, DeadlineMatch, bare_deadline, choose, find_deadlines, flex, flex_any
from index.model import Document
from index.text import fold, split_sentences


@dataclass(frozen=True)
class TaskCandidate:
    doc: str
    paragraph: int  # 1-based
    text: str  # the sentence or clause, exactly as in the paragraph
    owner: str | None
    deadline: dt.date | None
    recurring: str | None
    deadline_text: str | None


# ---------------------------------------------------------------------------------------------------------
# Vocabulary of the genre.


def _words(spec: str) -> tuple[str, ...]:
    """Phrases written one after another, separated by "|"."""
    return tuple(" ".join(w.split()) for w in spec.split("|") if w.strip())


_W = r"(?<![\w])"
_WE = r"(?![\w])"

# Words that start the name of a body in charge.
_BODY_HEADS = flex_any(
    *_words(
        """
    sở | ủy ban | ubnd | hđnd | ubmttq | ubkt | văn phòng | công an | thủ trưởng | chủ tịch | giám đốc |
    người đứng đầu | đảng ủy | đảng đoàn | đảng bộ | chi bộ | cấp ủy | tiểu ban | hội đồng | cơ quan |
    btv | bch | bts | tỉnh ủy | huyện ủy | thành ủy | thị ủy | mttq | mặt trận | trung tâm | bệnh viện |
    ngành | đơn vị | địa phương | ban chỉ đạo | ban thường vụ | ban tổ chức | ban tuyên giáo | ban dân
    vận | ban nội chính | ban cán sự | ban chấp hành | ban quản lý | kho bạc | chi cục | thanh tra |
    tỉnh đoàn | liên đoàn | bảo hiểm xã hội | tổ công tác | tổ chức cơ sở đảng | cấp huyện | cấp xã
        """
    )
)
# Capitalised only: "Ban Tổ chức", "Bộ Nội vụ", "Hội Nông dân", "Đoàn ..." (lower case they are common words).
_CAP_HEADS = re.compile(r"(?:Ban|Bộ|Hội|Đoàn|Viện|Tổ|Báo|Đài|Trường|Phòng|Cục)\s+[A-ZÀ-ỸĐ]")
_QUANTIFIERS = flex_any("các", "mỗi", "từng", "những", "toàn bộ các")
_BODY_NOUNS = flex_any(
    *_words(
        """
    sở | ban | ngành | huyện | xã | phường | thị trấn | tỉnh | địa phương | cơ quan | đơn vị | huyện ủy
    | thành ủy | thị ủy | đảng ủy | đảng bộ | chi bộ | cấp ủy | tổ chức | phòng | trường | bệnh viện |
    doanh nghiệp | hội | đoàn thể | ủy ban | ubnd | tiểu ban | bộ | ban thường vụ | btv | đảng đoàn |
    ban cán sự | cấp | thành viên | tổ
        """
    )
)
_BODY_START = re.compile(rf"{_W}(?:{_BODY_HEADS}|{_QUANTIFIERS}\s+{_BODY_NOUNS}){_WE}", re.IGNORECASE)
_NOT_BODY = re.compile(
    rf"{_W}{flex_any('hội nghị', 'hội thảo', 'cơ quan tiếp nhận hồ sơ')}{_WE}", re.IGNORECASE
)
# Words after which the next word is still part of the name: any word after "ban" ("Ban tổ chức các huyện
# ủy", "Ban Chỉ đạo", "Ủy ban bầu cử"), "tổ chức" after "ngành" or a quantifier ("ngành tổ chức", "các tổ
# chức cơ sở đảng"); a verb after those ends the name ("Các sở, ngành rà soát ...").
_NAME_GLUE = re.compile(rf"{_W}(?i:ban){_WE}")
_TO_CHUC_GLUE = re.compile(rf"{_W}(?i:{_QUANTIFIERS}|{flex('ngành')})\s+(?i:{flex('tổ chức')}){_WE}")
# The second half of a noun that looks like a verb: "công lập", "sáp nhập", "Sở Giáo dục và Đào tạo".
_COMPOUNDS = frozenset(
    fold(pair)
    for pair in (
        "công lập", "độc lập", "xác lập", "thành lập", "sáp nhập", "thu nhập", "đào tạo", "sáng tạo",
        "kiến tạo", "cải tạo", "chế tạo", "bầu cử", "ứng cử", "đề cử",
    )
)  # fmt: skip

# Verbs that open a predicate: a body's name ends where one starts (lower case inside a name).
_VERBS = flex_any(
    *_words(
        """
    đã | đang | vừa | chưa | không | vẫn | cũng | chủ động | tích cực | kịp thời | thường xuyên | sớm |
    nghiêm túc | quan tâm | phát huy | nâng cao | khắc phục | ứng dụng | vận hành | xét | chủ trì | phối
    hợp | hoàn thành | hoàn thiện | hoàn tất | xây dựng | ban hành | tổ chức | triển khai | thực hiện |
    lập | gửi | báo cáo | rà soát | thẩm định | trình | tổng hợp | chỉ đạo | hướng dẫn | kiểm tra | kiểm
    kê | cập nhật | chuẩn bị | đề xuất | tham mưu | theo dõi | đôn đốc | giải quyết | bố trí | chọn |
    chỉ định | mở | duy trì | nâng cấp | số hóa | tập trung | phấn đấu | chú trọng | đẩy mạnh | tăng
    cường | xem xét | ra | công bố | tích hợp | tái cấu trúc | kiện toàn | đánh giá | chịu trách nhiệm |
    phải | cần | có trách nhiệm | được | sẽ | định kỳ | hằng | hàng | tiếp tục | khẩn trương | quán
    triệt | chuẩn hóa | làm | dự kiến | là | căn cứ | lãnh đạo | định hướng | ưu tiên | bảo đảm | đảm
    bảo | phê duyệt | quyết định | xác định | nghiên cứu | phân công | cử | đăng ký | nộp | thông báo |
    công khai | sửa đổi | bổ sung | thành lập | sơ kết | tổng kết | giám sát | phản ánh | vận động |
    tuyên truyền | phổ biến | nắm | đề nghị | yêu cầu | giao | nhập | hỗ trợ | lấy | xử lý | điều chỉnh
    | chi trả | thống kê | tiến hành | đưa | cho | phát động | biểu dương | khen thưởng | họp | tham gia
    | thống nhất | kết luận | nhấn mạnh | tạo | đạt | giảm | tăng | ký | trả lời | cung cấp | hoàn chỉnh
    | tập huấn | bồi dưỡng | duyệt | cắt giảm | kết nạp | điều động | xác minh | xác nhận | khai giảng | bàn
    giao | thẩm tra | niêm yết | công nhận | bổ nhiệm | luân chuyển | phân bổ | khảo sát | soạn
    thảo | hợp nhất | ký kết | cam kết
        """
    )
)
_VERB_AT = re.compile(rf"{_VERBS}{_WE}", re.IGNORECASE)
# Words no name goes on with, even after "ban": "Phòng Tổ chức cán bộ của Ban được giao ..."
_AUXILIARIES = flex_any(
    *_words(
        "đã | đang | vừa | chưa | không | vẫn | cũng | được | sẽ | phải | cần | chủ trì | phối hợp | có trách nhiệm"
    )
)
_AUXILIARY = re.compile(rf"{_AUXILIARIES}{_WE}", re.IGNORECASE)
_ASSIGNERS = re.compile(
    rf"{_W}(?<!được )(?<!đã )(?:{flex_any('yêu cầu', 'đề nghị', 'lưu ý', 'đôn đốc')}"
    rf"|[Gg]iao(?!\s+(?-i:ban\s+[a-zà-ỹđ])))\s+(?:cho\s+)?",
    re.IGNORECASE,
)
_ADVERBIALS = flex_any(
    *_words(
        """
    chậm nhất | muộn nhất | hạn chót | về | đối với | trong | hằng | hàng | định kỳ | sau khi | sau |
    đến | tới | năm | tháng | quý | tại | theo | căn cứ | để | nhằm | kết thúc | phát biểu | dịp | sáng
    | chiều | tối | ngày | riêng | ngoài ra | bên cạnh | trên cơ sở | thực hiện | từ | trước | đồng thời
    | nhân dịp | qua
        """
    )
)
_ADVERBIAL_START = re.compile(rf"\s*{_ADVERBIALS}{_WE}", re.IGNORECASE)
_CO_WORKER = re.compile(
    rf"{flex('phối hợp')}\s+(?:với\s+)?(?=(?-i:[A-ZĐ])|{flex_any('công an')})", re.IGNORECASE
)
_TRIM_OWNER = re.compile(rf"\s+{flex_any('trên địa bàn', 'trong tỉnh', 'toàn tỉnh')}{_WE}.*$", re.IGNORECASE)

_PAST = re.compile(rf"{_W}(?:đã|vừa)(?=\s)", re.IGNORECASE)
_PAST_EXEMPT = re.compile(
    rf"{_W}{flex_any('nếu', 'khi', 'mà', 'căn cứ', 'theo')}\s+(?:\S+\s+){{0,3}}$",
    re.IGNORECASE,
)
_DIRECTIVE_WORDS = flex_any("phải", "cần", "yêu cầu", "đề nghị", "sẽ", "dự kiến", "phấn đấu", "khẩn trương")
# Words that make a sentence an order even when its only time is a scene-setting period.
_ORDER = re.compile(
    rf"{_W}{flex_any('phải', 'cần', 'yêu cầu', 'đề nghị', 'khẩn trương', 'hoàn thành', 'chậm nhất')}{_WE}",
    re.IGNORECASE,
)
_DIRECTIVE = re.compile(rf"{_W}{_DIRECTIVE_WORDS}{_WE}", re.IGNORECASE)
# an obligation on someone acting ("phải hoàn thiện"), not on a thing ("Số dôi dư phải được giải quyết")
_OBLIGED = rf"{flex_any('phải', 'cần', 'có trách nhiệm')}{_WE}(?!\s+{flex('được')}{_WE})"
_MUST = re.compile(rf"{_W}(?:{_OBLIGED}|{flex('khẩn trương')}{_WE}(?!\s+{flex('được')}{_WE}))", re.IGNORECASE)
# People ordered to act, not bodies: "Người trúng tuyển phải hoàn thiện hồ sơ ...", "Học viên ... phải nộp ..."
_PEOPLE = flex_any(
    *_words(
        "người | đảng viên | công chức | viên chức | cán bộ | thí sinh | học viên | thành viên | đại biểu | cá nhân"
    )
)
_PERSON_SUBJECT = re.compile(rf"\s*(?P<who>{_PEOPLE}(?:\s+[^\s,;:()]+){{0,9}}?)\s+{_OBLIGED}", re.IGNORECASE)
_COPULA_END = re.compile(rf"{_W}{flex('là')}\s*$", re.IGNORECASE)
_SHORTCOMING = re.compile(
    rf"^\s*{flex_any('hạn chế', 'tuy nhiên', 'tuy vậy', 'tồn tại', 'khó khăn')}{_WE}", re.IGNORECASE
)
_ENTITLEMENT = re.compile(
    rf"{_W}{flex_any('có giá trị', 'có quyền', 'được hưởng', 'được bảo lưu', 'được hỗ trợ', 'được miễn')}"
    rf"{_WE}",
    re.IGNORECASE,
)
_ROUTINE_MARK = re.compile(rf"{flex('định kỳ')}|{flex_any('định kì')}", re.IGNORECASE)
_PASSIVE = re.compile(rf"{_W}được{_WE}", re.IGNORECASE)
_INDEFINITE = re.compile(rf"{_W}nào{_WE}", re.IGNORECASE)
_SEPARATORS = re.compile(rf";\s*|,\s*(?={flex('đồng thời')}{_WE})", re.IGNORECASE)
_CUT = re.compile(rf",\s*|\s+{flex('và')}\s+", re.IGNORECASE)  # between two deadlines of one piece
_MAX_OWNER_WORDS = 24
# "Cơ quan chủ trì: Sở Nội vụ", "Đơn vị thực hiện: ..."
_OWNER_LABEL = re.compile(
    rf"\s*(?:{flex_any('cơ quan', 'đơn vị')}\s+)?{flex_any('chủ trì', 'thực hiện', 'phụ trách')}"
    rf"(?:\s+{flex('thực hiện')})?\s*:\s*",
    re.IGNORECASE,
)
_LIST_MARK = re.compile(r"\s*(?:[-+•*–]|\(?\d{1,2}[.)]|\(?[a-zđ]\)|[IVX]{1,4}\.)\s+")


# ---------------------------------------------------------------------------------------------------------
# Owners.


def _word_starts(text: str, lo: int, hi: int) -> list[int]:
    return [m.start() for m in re.finditer(r"[^\s,;:()\"“”]+", text[lo:hi])]


def _noun_phrase(text: str, start: int, hi: int, label: bool = False) -> tuple[str, int] | None:
    """The body named at text[start:] and where its verb starts; None if no verb follows the name.
    With `label`, a name that ends at a colon ("Sở Nội vụ: chủ trì ...") counts too."""
    if not (_BODY_START.match(text, start) or _CAP_HEADS.match(text, start)) or _NOT_BODY.match(text, start):
        return None
    words = [start + w for w in _word_starts(text, start, hi)]
    glued = False
    for i, pos in enumerate(words[: _MAX_OWNER_WORDS + 1]):
        stop = next((ch for ch in text[start:pos] if ch in "(;:."), None)
        if stop:
            colon = text.find(":", start, pos)
            if label and stop == ":" and (name := _clean_owner(text[start:colon])):
                return name, colon + 1
            return None
        if i > 0 and (not glued or _AUXILIARY.match(text, pos)):
            verb = _VERB_AT.match(text, pos)
            if verb and text[pos].islower() and not _compound(text, words[i - 1], pos):
                name = text[start:pos].strip(" ,")
                co = _CO_WORKER.match(text, pos)
                partner = _noun_phrase(text, co.end(), hi) if co else None
                if co and partner and (partner[0][0].isupper() or partner[0].lower().startswith("công an")):
                    name = f"{name} {text[pos : co.end()].strip()} {partner[0]}"
                    pos = partner[1]
                cleaned = _clean_owner(name)
                return (cleaned, pos) if cleaned else None
        glued = bool(_NAME_GLUE.match(text, pos) or _TO_CHUC_GLUE.match(text, pos))
    return None


def _compound(text: str, prev: int, pos: int) -> bool:
    """'Đào tạo', 'công lập': the word at pos ends a two-syllable noun begun by the word at prev."""
    pair = fold(text[prev:pos] + text[pos:].split(maxsplit=1)[0]).lower()
    return " ".join(pair.split()) in _COMPOUNDS


def _clean_owner(name: str) -> str | None:
    name = _TRIM_OWNER.sub("", name).strip(" ,;")
    if not name or _INDEFINITE.search(name):
        return None
    return name


def _owner(text: str, lo: int, hi: int) -> str | None:
    """The body in charge in text[lo:hi]: the subject at its head, or the body it assigns the work to
    ("BTV Tỉnh ủy yêu cầu các cấp ủy ..."); without a subject body, the object of any assigning verb
    ("Phát biểu chỉ đạo, đồng chí ... yêu cầu X ...")."""
    subject = _subject(text, lo, hi)
    if subject:
        name, verb_at = subject
        assigned = _ASSIGNERS.match(text, verb_at)
        target = _noun_phrase(text, assigned.end(), hi) if assigned else None
        return target[0] if target else name
    for m in _ASSIGNERS.finditer(text, lo, hi):
        found = _noun_phrase(text, m.end(), hi)
        if found:
            return found[0]
    person = _PERSON_SUBJECT.match(text, _skip_mark(text, lo), hi)
    return _clean_owner(person["who"]) if person else None


def _has_verb(text: str, lo: int, hi: int) -> bool:
    return any(text[lo + w].islower() and _VERB_AT.match(text, lo + w) for w in _word_starts(text, lo, hi))


def _skip_mark(text: str, pos: int) -> int:
    """Past a list marker: "- ", "1. ", "a) ", "II. "."""
    m = _LIST_MARK.match(text, pos)
    return m.end() if m else pos


def _subject(text: str, lo: int, hi: int) -> tuple[str, int] | None:
    """The body at the head of text[lo:hi], after a label ("Nhiệm vụ 1:") and scene-setting adverbials."""
    starts = [_skip_mark(text, lo)]
    named = _OWNER_LABEL.match(text, starts[0], hi)
    if named:
        end = next((i for i in range(named.end(), hi) if text[i] in ".;("), hi)
        owner = _clean_owner(text[named.end() : end])
        return (owner, end) if owner else None
    colon = text.find(":", lo, hi)
    if colon != -1 and colon - lo < 100:
        labelled = _noun_phrase(text, starts[0], hi, label=True)
        if labelled:
            return labelled
        starts.append(colon + 1)
    for s in starts:
        pos = s
        for _ in range(5):
            while pos < hi and text[pos] in " ,":
                pos += 1
            found = _noun_phrase(text, pos, hi)
            if found:
                return found
            comma = text.find(",", pos, hi)
            if comma == -1:
                break
            # the first chunk may be an adverbial ("Về ..., "); later ones only continue it, without a verb
            skippable = _ADVERBIAL_START.match(text, pos) if pos <= s + 1 else not _has_verb(text, pos, comma)
            if not skippable:
                break
            pos = comma + 1
    return None


# ---------------------------------------------------------------------------------------------------------
# Sentences and clauses.


def _sentence_spans(paragraph: str) -> list[tuple[int, int]]:
    spans, cursor = [], 0
    for sentence in split_sentences(paragraph):
        at = paragraph.find(sentence, cursor)
        if at == -1:
            continue
        spans.append((at, at + len(sentence)))
        cursor = at + len(sentence)
    return spans


def _segments(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    pieces, start = [], lo
    for m in _SEPARATORS.finditer(text, lo, hi):
        pieces.append((start, m.start()))
        start = m.end()
    pieces.append((start, hi))
    return [(s, e) for s, e in pieces if text[s:e].strip()]


def _clauses(text: str, lo: int, hi: int, ref: dt.date | None) -> list[tuple[int, int, DeadlineMatch | None]]:
    """Group the pieces of a sentence so that each group holds one deadline.

    A scene-setting "Trong quý IV/2025, ..." is the deadline only of a sentence that has no other and
    gives an order ("Trong quý IV/2025, các huyện phải hoàn thành ...")."""
    found = [(s, e, find_deadlines(text, ref, s, e)) for s, e in _segments(text, lo, hi)]
    pieces = [part for s, e, ms in found for part in _split_between(text, s, e, [m for m in ms if not m.frame])]
    if not any(ms for _, _, ms in pieces) and _ORDER.search(text, lo, hi):
        pieces = found
    if sum(1 for _, _, ms in pieces if ms) <= 1:
        return [(lo, hi, choose([m for _, _, ms in pieces for m in ms]))]
    groups: list[tuple[int, int, DeadlineMatch | None]] = []
    start: int | None = None
    for s, e, ms in pieces:
        start = s if start is None else start
        if ms:
            groups.append((start, e, choose(ms)))
            start = None
    if start is not None:
        gs, _, gm = groups[-1]
        groups[-1] = (gs, pieces[-1][1], gm)
    return groups


def _split_between(
    text: str, lo: int, hi: int, matches: list[DeadlineMatch]
) -> list[tuple[int, int, list[DeadlineMatch]]]:
    """text[lo:hi] cut after each deadline that another one follows, at the first comma or "và" between
    them: "đợt 1 trước ngày 15/3/2024, đợt 2 trước ngày 15/8/2024" is two tasks. Deadlines with nothing
    between them ("từ ngày 15/7 đến ngày 30/8/2024") stay together."""
    out: list[tuple[int, int, list[DeadlineMatch]]] = []
    start, held = lo, []
    for i, m in enumerate(matches):
        held.append(m)
        cut = _CUT.search(text, m.end, matches[i + 1].start) if i + 1 < len(matches) else None
        if cut:
            out.append((start, cut.start(), held))
            start, held = cut.end(), []
    out.append((start, hi, held))
    return [(s, e, ms) for s, e, ms in out if text[s:e].strip()]


def _sentence_owner(text: str, lo: int, hi: int) -> str | None:
    owners: list[str] = []
    for s, e in _segments(text, lo, hi):
        found = _owner(text, s, e)
        if found and found not in owners:
            owners.append(found)
    return "; ".join(owners) if owners else None


def _clause_owner(text: str, lo: int, hi: int, match: DeadlineMatch | None) -> str | None:
    """Prefer the piece that holds the deadline, then the others in order."""
    pieces = _segments(text, lo, hi)
    if match:
        pieces.sort(key=lambda p: not (p[0] <= match.start < p[1]))
    for s, e in pieces:
        found = _owner(text, s, e)
        if found:
            return found
    return None


# ---------------------------------------------------------------------------------------------------------
# Is it a task?


def _is_past(piece: str, match: DeadlineMatch, ref: dt.date | None) -> bool:
    """A report of work done: a main-clause "đã", or a date with a written year before the document's."""
    if _DIRECTIVE.search(piece):
        return False
    for m in _PAST.finditer(piece):
        if not _PAST_EXEMPT.search(piece[: m.start()]):
            return True
    date = match.deadline.date
    if not (ref and date and date < ref):
        return False
    # a year-less date or period in the three months before the document ("nâng tổng số trong 6 tháng đầu
    # năm lên 903" in a July report) is what was done (an older one was read as next year's: WRAP_DAYS)
    return match.year_written or (ref - date).days <= WRAP_DAYS


def _is_task(sentence: str, piece: str, match: DeadlineMatch, owner: str | None, ref: dt.date | None) -> bool:
    """`piece` is the part of the clause between ";" that holds the deadline."""
    if _SHORTCOMING.match(sentence) or _ENTITLEMENT.search(piece) or _is_past(piece, match, ref):
        return False
    if match.kind == "relative":
        # "thời hạn nhận hồ sơ là 30 ngày kể từ ..." defines a period; "Người trúng tuyển phải hoàn thiện hồ
        # sơ trong 30 ngày ..." is an order to someone who is not a body (`_MUST`)
        at = piece.find(match.deadline.text)
        if at > 0 and _COPULA_END.search(piece, 0, at):
            return False
        return owner is not None or bool(_MUST.search(piece))
    if match.kind == "recurring":
        routine = bool(_ROUTINE_MARK.search(match.deadline.text)) or "," in (match.deadline.recurring or "")
        return routine or (owner is not None and not _PASSIVE.search(piece))
    return True


def _piece_of(text: str, lo: int, hi: int, at: int) -> str:
    return next((text[s:e] for s, e in _segments(text, lo, hi) if s <= at < e), text[lo:hi])


_MAX_CONTEXT = 3  # deadline-less sentences a following deadline may take its owner and quote from


def _paragraph_tasks(doc: Document, number: int, paragraph: str) -> list[TaskCandidate]:
    ref = doc.date
    out: list[TaskCandidate] = []
    context: list[tuple[int, str | None]] = []  # (start, owner) of the sentences without deadline just before
    for s_lo, s_hi in _sentence_spans(paragraph):
        clauses = _clauses(paragraph, s_lo, s_hi, ref)
        if clauses[0][2] is None:
            context = [*context, (s_lo, _sentence_owner(paragraph, s_lo, s_hi))][-_MAX_CONTEXT:]
            continue
        inherited: str | None = None
        prev_lo = s_lo
        for i, (c_lo, c_hi, match) in enumerate(clauses):
            assert match is not None
            owner = _clause_owner(paragraph, c_lo, c_hi, match)
            # a clause without a verb ("…, đợt 2 trước ngày 15/8/2024") is quoted with the one it continues
            text_lo = prev_lo if i > 0 and not _has_verb(paragraph, c_lo, c_hi) else c_lo
            context_owner = next((o for _, o in reversed(context) if o), None)
            label_line = match.start <= s_lo + 1  # "Thời hạn: 30/9/2025." after the task it dates
            if owner is None and i == 0 and context and (context_owner or label_line):
                owner, text_lo = context_owner, context[0][0]
            elif owner is None:
                owner = inherited
            inherited, prev_lo = owner, text_lo
            piece = _piece_of(paragraph, c_lo, c_hi, match.start)
            if _is_task(paragraph[s_lo:s_hi], piece, match, owner, ref):
                out.append(_candidate(doc, number, paragraph[text_lo:c_hi].strip(" ;,"), owner, match))
        context = []
    return out


def _candidate(
    doc: Document, number: int, text: str, owner: str | None, match: DeadlineMatch
) -> TaskCandidate:
    d = match.deadline
    return TaskCandidate(doc.path, number, text, owner, d.date, d.recurring, d.text)


# ---------------------------------------------------------------------------------------------------------
# Table rows ("1 | Xây dựng đề án ... | Sở Nội vụ | Các sở, ngành | Quý IV/2025"), as the reader joins them.

_CELL = re.compile(r"[^|\s](?:[^|]*[^|\s])?")  # a cell's text without the bars and spaces around it
_MIN_CELLS = 3
_MAX_OWNER_CELL_WORDS = 14


def _row_task(doc: Document, number: int, row: str) -> TaskCandidate | None:
    """A plan table row: its deadline is a cell that is a deadline expression, its owner the first cell
    naming a body; the task is the whole row."""
    cells = [(m.start(), m.end()) for m in _CELL.finditer(row)]
    match = None
    for lo, hi in reversed(cells):
        found = choose(find_deadlines(row, doc.date, lo, hi)) or bare_deadline(row, doc.date, lo, hi)
        if found:
            match = found
            break
    if match is None:
        return None
    owner = next((o for lo, hi in cells[1:] if (o := _owner_cell(row[lo:hi]))), None)
    if _is_past(row, match, doc.date):
        return None
    return _candidate(doc, number, row, owner, match)


def _owner_cell(cell: str) -> str | None:
    cell = cell.strip()
    if len(cell.split()) > _MAX_OWNER_CELL_WORDS or not (_BODY_START.match(cell) or _CAP_HEADS.match(cell)):
        return None
    return _clean_owner(cell)


# A paragraph that is only a deadline label ("- Thời gian hoàn thành: Quý II/2025.") dates the paragraphs
# just before it: a plan laid out one line per field ("1. Xây dựng đề án …", "- Cơ quan chủ trì: Sở Nội vụ.").
_LABEL_PARAGRAPH = re.compile(
    rf"\s*(?:[-+•*–]\s*)?{flex_any('thời gian', 'thời hạn', 'hạn chót', 'hạn')}[^:.;]{{0,40}}:", re.IGNORECASE
)
_MAX_LABELLED = 2  # paragraphs before a label paragraph that it may date


def _labelled(doc: Document, paragraph: str, before: list[int], task: TaskCandidate) -> TaskCandidate:
    """`task`, found alone in `paragraph`, quoted with the task-less paragraphs `before` it when `paragraph`
    is only a deadline label."""
    if task.owner is not None or not before or not _LABEL_PARAGRAPH.match(paragraph):
        return task
    texts = [doc.paragraphs[n - 1] for n in before]
    owner = next((o for t in texts if (o := _sentence_owner(t, 0, len(t)))), None)
    text = " ".join([*texts, task.text])
    return TaskCandidate(task.doc, before[0], text, owner, task.deadline, task.recurring, task.deadline_text)


def _heading(paragraph: str) -> bool:
    letters = [c for c in paragraph if c.isalpha()]
    return paragraph.rstrip().endswith(":") or (bool(letters) and all(c.isupper() for c in letters))


def extract_tasks(doc: Document) -> list[TaskCandidate]:
    """Every task with a deadline, recurrence or relative deadline in the document, in reading order."""
    out: list[TaskCandidate] = []
    before: list[int] = []  # numbers of the task-less paragraphs just before, not headings
    for number, paragraph in enumerate(doc.paragraphs, 1):
        if paragraph.count(" | ") >= _MIN_CELLS - 1:
            row = _row_task(doc, number, paragraph)
            found = [row] if row else []
        else:
            found = _paragraph_tasks(doc, number, paragraph)
            if len(found) == 1:
                found = [_labelled(doc, paragraph, before, found[0])]
        out.extend(found)
        before = [] if found or _heading(paragraph) else [*before, number][-_MAX_LABELLED:]
    return out
