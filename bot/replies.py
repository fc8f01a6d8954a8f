"""Pure formatting of the bot's messages (Telegram HTML). No Telegram objects, no I/O.

Every piece of corpus text goes through `escape` (or `highlight`, which escapes); every message stays
within Telegram's 4096 visible characters, cutting long passages at a sentence boundary with "…".
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence

from index.model import DocMeta, Hit
from index.text import fold, split_sentences

MAX_MESSAGE = 4096  # visible characters (after entity parsing), Telegram's limit
PASSAGES_PER_ANSWER = 3
ELLIPSIS = "…"

_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")


def escape(text: str) -> str:
    """Escape corpus or user text for parse_mode=HTML."""
    return html.escape(text, quote=False)


def visible_len(markup: str) -> int:
    """Length of an HTML message as Telegram counts it (tags dropped, entities decoded, UTF-16 units)."""
    plain = html.unescape(_TAG.sub("", markup))
    return len(plain.encode("utf-16-le")) // 2


def _folded_terms(terms: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for term in terms:
        out.update(w for w in _WORD.findall(fold(term).lower().replace("_", " ")) if w)
    return out


def highlight(text: str, terms: Iterable[str]) -> str:
    """Escape `text` and wrap the words matching `terms` in <b>…</b>.

    Matching ignores case and Vietnamese diacritics ("luong" marks "lương"); the original spelling is
    what appears in bold.
    """
    wanted = _folded_terms(terms)
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        if fold(m.group(0)).lower() in wanted:
            out.append(escape(text[pos : m.start()]))
            out.append(f"<b>{escape(m.group(0))}</b>")
            pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out).replace("</b> <b>", " ")


def cut(text: str, limit: int) -> tuple[str, bool]:
    """Shorten `text` to at most `limit` characters at a sentence boundary, ending with "…".

    Returns (text, was_cut). When even the first sentence is too long, cut at a word boundary.
    """
    text = text.strip()
    if len(text) <= limit:
        return text, False
    room = limit - 2  # " …"
    kept: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        extra = len(sentence) + (1 if kept else 0)
        if used + extra > room:
            break
        kept.append(sentence)
        used += extra
    if kept:
        return " ".join(kept) + " " + ELLIPSIS, True
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip() + ELLIPSIS, True


def split_to_fit(text: str, limit: int) -> list[str]:
    """Split `text` into pieces of at most `limit` characters: whole sentences where they fit, else
    whole words, else (a "word" longer than the limit) hard cuts."""
    units: list[str] = []
    for sentence in split_sentences(text):
        if len(sentence) <= limit:
            units.append(sentence)
            continue
        for word in sentence.split():
            units.extend(word[i : i + limit] for i in range(0, len(word), limit))
    pieces: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current} {unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces


def format_date(date: dt.date | None) -> str:
    return date.strftime("%d/%m/%Y") if date else ""


def source_line(meta: DocMeta, paragraph: int, number: int | None = None) -> str:
    """ "[1] <i>Title</i> — Agency — 27/03/2024 — đoạn 5" (each field escaped; empty fields left out)."""
    parts = [f"<i>{escape(meta.title)}</i>"]
    if meta.agency:
        parts.append(escape(meta.agency))
    if meta.date:
        parts.append(format_date(meta.date))
    parts.append(f"đoạn {paragraph}")
    prefix = f"<b>[{number}]</b> " if number is not None else "📄 "
    return prefix + " — ".join(parts)


def answer_message(
    hits: Sequence[Hit], first_number: int = 1, limit: int = MAX_MESSAGE
) -> tuple[str, list[bool]]:
    """The quoted passages: each a blockquote with the matched words in bold, then its source line.

    Returns the HTML and, per hit, whether its passage was cut to fit (its full text is one tap away).
    """
    sources = [source_line(h.meta, h.passage.paragraph, first_number + i) for i, h in enumerate(hits)]
    overhead = sum(visible_len(s) + 3 for s in sources)  # newline after the quote, blank line between
    budget = max(200, (limit - overhead) // max(len(hits), 1))
    blocks: list[str] = []
    was_cut: list[bool] = []
    for hit, source in zip(hits, sources, strict=True):
        text, shortened = cut(hit.passage.text, budget)
        was_cut.append(shortened)
        blocks.append(f"<blockquote>{highlight(text, hit.matched_terms)}</blockquote>\n{source}")
    return "\n\n".join(blocks), was_cut


def full_text_messages(
    meta: DocMeta, paragraphs: Sequence[tuple[int, str]], focus: int, limit: int = MAX_MESSAGE
) -> list[str]:
    """The paragraph `focus` with its neighbours, under the document's source line; as many messages
    as needed, each within `limit`. The focus paragraph is quoted, its neighbours are plain."""
    header = source_line(meta, focus)
    room = limit - visible_len(header) - 10
    blocks: list[str] = []
    for number, text in paragraphs:
        for piece in split_to_fit(text, room):
            if number == focus:
                blocks.append(f"<blockquote>{escape(piece)}</blockquote>")
            else:
                blocks.append(f"<i>Đoạn {number}:</i> {escape(piece)}")
    messages: list[str] = []
    current = header
    for block in blocks:
        candidate = f"{current}\n\n{block}"
        if visible_len(candidate) > limit:
            messages.append(current)
            current = block
        else:
            current = candidate
    messages.append(current)
    return messages


# --------------------------------------------------------------------------------------------------
# The three levels of an answer (`Answer.confidence`): "high" quotes the passages (`answer_message`),
# "low" quotes the closest one or two under a caveat (`uncertain_message`), "none" says nothing related
# was found and offers what it can (`not_found_message`).

UNCERTAIN_PASSAGES = 2  # passages quoted under the caveat
NOT_FOUND_DOCS = 8  # documents listed in the not-found reply
UNCERTAIN_ONE = (
    "⚠️ <b>Chưa tìm thấy đoạn nào chắc chắn trả lời câu hỏi này.</b> Đoạn gần nhất dưới đây có thể chưa đúng "
    "ý anh/chị, xin đối chiếu trước khi sử dụng:"
)
UNCERTAIN_MANY = (
    "⚠️ <b>Chưa tìm thấy đoạn nào chắc chắn trả lời câu hỏi này.</b> Hai đoạn gần nhất dưới đây có thể chưa "
    "đúng ý anh/chị, xin đối chiếu trước khi sử dụng:"
)
NOTHING_RELATED = "Không tìm thấy đoạn nào liên quan đến câu hỏi này trong {n} tài liệu hiện có."
REPHRASE = (
    "Anh/chị thử hỏi lại bằng từ ngữ khác (dùng cách gọi trong văn bản), hoặc nêu rõ tên tỉnh, số hiệu "
    "văn bản, quý hoặc năm."
)
DOCS_HEADER = "<b>Các tài liệu đang có</b> (mới nhất trước):"
DOCS_MORE = "… và {n} tài liệu khác."


def uncertain_message(hits: Sequence[Hit], first_number: int = 1, limit: int = MAX_MESSAGE) -> tuple[str, list[bool]]:
    """The "low" reply: the caveat, then the closest one or two passages quoted under it (as
    `answer_message` quotes them). Returns the HTML and, per quoted hit, whether it was cut."""
    quoted = list(hits[:UNCERTAIN_PASSAGES])
    caveat = UNCERTAIN_MANY if len(quoted) > 1 else UNCERTAIN_ONE
    if not quoted:
        return caveat, []
    body, was_cut = answer_message(quoted, first_number, limit - visible_len(caveat) - 2)
    return f"{caveat}\n\n{body}", was_cut


def not_found_message(docs: Sequence[DocMeta], limit: int = MAX_MESSAGE) -> str:
    """The "none" reply: nothing related was found, a suggestion to rephrase, and the newest documents
    of the index (titles and dates) so the user sees what can be asked about."""
    lines = [NOTHING_RELATED.format(n=len(docs)), REPHRASE]
    if not docs:
        return "\n".join(lines)
    ordered = sorted(docs, key=lambda d: (d.date or dt.date.min, d.path), reverse=True)
    listed = [
        "• " + escape(cut(d.title, 200)[0]) + (f" ({format_date(d.date)})" if d.date else "")
        for d in ordered[:NOT_FOUND_DOCS]
    ]
    rest = len(ordered) - len(listed)
    tail = [DOCS_MORE.format(n=rest)] if rest else []
    while listed and visible_len("\n".join([*lines, "", DOCS_HEADER, *listed, *tail])) > limit:
        listed.pop()
        rest += 1
        tail = [DOCS_MORE.format(n=rest)]
    return "\n".join([*lines, "", DOCS_HEADER, *listed, *tail])


def quoted_hits(hits: Sequence[Hit], confidence: str, floor: float = 0.3) -> list[Hit]:
    """The hits a reply quotes, best first: for "high", those scoring at least `floor` of the best;
    for "low", the closest `UNCERTAIN_PASSAGES`; for "none", none."""
    if confidence == "high" and hits:
        best = hits[0].score
        return [h for h in hits if best <= 0 or h.score >= floor * best]
    if confidence == "low":
        return list(hits[:UNCERTAIN_PASSAGES])
    return []


# --------------------------------------------------------------------------------------------------
# Fixed sentences

NOT_FOUND = (
    "Không tìm thấy đoạn nào trong các tài liệu trả lời được câu hỏi này; anh/chị thử hỏi cụ thể hơn, "
    "ví dụ thêm tên tỉnh, số hiệu văn bản hoặc quý, năm."
)
NO_MORE = "Không còn đoạn liên quan nào khác."
ASK_USAGE = "Anh/chị gõ câu hỏi ngay sau lệnh, ví dụ: /hoi {example}"
THANKS = "Cảm ơn anh/chị đã góp ý!"
GONE = "Không còn tìm thấy nội dung này (chỉ mục đã được cập nhật); anh/chị vui lòng hỏi lại."
BUSY = "Hệ thống đang bận, anh/chị vui lòng hỏi lại sau ít phút."
BTN_MORE = "Xem thêm"
BTN_FULL = "Toàn văn"
BTN_UP = "👍"
BTN_DOWN = "👎"


def stranger_text(chat_id: int) -> str:
    return (
        "Xin lỗi, trợ lý này chỉ phục vụ các đơn vị đã được cấp quyền; anh/chị vui lòng gửi mã "
        f"<code>{chat_id}</code> cho quản trị viên để được cấp quyền sử dụng."
    )


def example_questions(docs: Sequence[DocMeta], n: int = 3) -> list[str]:
    """Example questions drawn from the indexed documents' titles (newest first), not from a fixed list."""
    ordered = sorted(docs, key=lambda d: (d.date or dt.date.min, d.path), reverse=True)
    out: list[str] = []
    for doc in ordered:
        clause = re.split(r"[,:;(]| – | - ", doc.title)[0].strip()
        words = clause.split()
        if len(words) < 3:
            continue
        question = " ".join(words[:14]).rstrip(".?!") + " như thế nào?"
        if question not in out:
            out.append(question)
        if len(out) == n:
            break
    return out


def help_text(docs: Sequence[DocMeta], bot_username: str | None, in_group: bool = False) -> str:
    examples = example_questions(docs)
    lines = [
        "<b>Xin chào! Tôi là trợ lý tra cứu văn bản.</b>",
        "",
        f"Tôi trả lời bằng cách trích nguyên văn các đoạn phù hợp nhất trong {len(docs)} tài liệu "
        "(báo cáo, kết luận, hướng dẫn, kế hoạch…) kèm nguồn: tên văn bản, cơ quan ban hành, ngày "
        "và số đoạn. "
        "Tôi không tự viết thêm nội dung.",
        "",
        "<b>Cách hỏi</b>",
    ]
    if in_group:
        mention = f"@{escape(bot_username)} " if bot_username else ""
        lines.append(
            f"• Trong nhóm: gõ /hoi kèm câu hỏi, nhắc tên {mention}hoặc trả lời (reply) tin nhắn của tôi."
        )
    else:
        lines.append("• Gõ thẳng câu hỏi, có dấu hay không dấu, viết tắt đều được.")
        lines.append("• Trong nhóm: gõ /hoi kèm câu hỏi, hoặc nhắc tên tôi.")
    lines.append("• Nêu rõ tỉnh, số hiệu văn bản, quý hoặc năm để kết quả chính xác hơn.")
    lines.append(
        "• Nút «Xem thêm» cho các đoạn tiếp theo, «Toàn văn» cho cả đoạn kèm đoạn trước và sau; "
        "👍/👎 để góp ý."
    )
    if examples:
        lines += ["", "<b>Ví dụ</b>"]
        lines += [f"• {escape(q)}" for q in examples]
        lines.append(f"• {escape(fold(examples[0]).lower())} <i>(không dấu)</i>")
    return "\n".join(lines)
