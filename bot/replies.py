"""Pure formatting of the bot's messages (Telegram HTML). No Telegram objects, no I/O.

Every piece of corpus text goes through `escape` (or `highlight`, which escapes); every message stays
within Telegram's 4096 visible characters (UTF-16 units, `bot.fit`), cutting long passages at a sentence
boundary with "…". A title is shown at most TITLE_SHOWN units long, so it is shortened before a quote is.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.fit import TEXT_LIMIT, Line, cut_plain, fit, units, visible_len
from index.abbreviations import expand_abbreviations
from index.model import DocMeta, Hit
from index.text import fold, normalise, split_sentences

MAX_MESSAGE = TEXT_LIMIT  # visible UTF-16 units (after entity parsing), Telegram's limit
MAX_CALLBACK_DATA = 64  # bytes of a button's callback data, Telegram's limit
PASSAGES_PER_ANSWER = 3
ELLIPSIS = "…"
TITLE_SHOWN = 200  # a title longer than this (UTF-16 units) is shortened in every message

_WORD = re.compile(r"\w+")


def callback_data(data: str) -> str:
    """`data` for a button, checked against Telegram's limit (a ValueError: a bug in the caller)."""
    if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def page_nav(page: int, pages: int, labels: tuple[str, str], data: Callable[[int], str]) -> list[tuple[str, str]]:
    """The ◀ ▶ buttons of page `page` (0-based) of `pages` as (label, callback data of the page it turns to);
    none past either end."""
    return [(label, data(to)) for label, to in zip(labels, (page - 1, page + 1), strict=True) if 0 <= to < pages]


def escape(text: str) -> str:
    """Escape corpus or user text for parse_mode=HTML."""
    return html.escape(text, quote=False)


def _folded_terms(terms: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for term in terms:
        out.update(w for w in _WORD.findall(fold(term).lower().replace("_", " ")) if w)
    return out


def _spellings(question: str) -> tuple[dict[str, set[str]], set[str]]:
    """How the question spells each of its words (abbreviations read as their full forms): per folded
    word the spellings typed with diacritics, and the folded words typed without them."""
    exact: dict[str, set[str]] = {}
    loose: set[str] = set()
    for word in _WORD.findall(normalise(expand_abbreviations(question)).lower().replace("_", " ")):
        folded = fold(word)
        if folded == word:
            loose.add(folded)
        else:
            exact.setdefault(folded, set()).add(word)
    return exact, loose


def highlight(text: str, terms: Iterable[str], question: str | None = None) -> str:
    """Escape `text` and wrap the words matching `terms` in <b>…</b>; the original spelling is what
    appears in bold.

    Without `question`, matching ignores case and diacritics ("luong" marks "lương"). With it, a word
    the question typed with diacritics marks only that spelling ("lương" marks "lương", not "lượng");
    a word typed without them marks every spelling; a term the question does not hold (read by the
    search from an acronym) marks every spelling.
    """
    wanted = _folded_terms(terms)
    exact, loose = _spellings(question) if question is not None else ({}, set())
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        folded = fold(m.group(0)).lower()
        if folded not in wanted:
            continue
        if folded in exact and folded not in loose and normalise(m.group(0)).lower() not in exact[folded]:
            continue
        out.append(escape(text[pos : m.start()]))
        out.append(f"<b>{escape(m.group(0))}</b>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out).replace("</b> <b>", " ")


def cut(text: str, limit: int) -> tuple[str, bool]:
    """Shorten plain `text` to at most `limit` UTF-16 units at a sentence boundary, ending with "…".

    Returns (text, was_cut). When even the first sentence is too long, cut at a word boundary.
    """
    text = text.strip()
    if units(text) <= limit:
        return text, False
    room = limit - 2  # " …"
    kept: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        extra = units(sentence) + (1 if kept else 0)
        if used + extra > room:
            break
        kept.append(sentence)
        used += extra
    if kept:
        return " ".join(kept) + " " + ELLIPSIS, True
    return cut_plain(text, max(limit, 1)), True


def split_to_fit(text: str, limit: int) -> list[str]:
    """Split `text` into pieces of at most `limit` characters: whole sentences where they fit, else
    whole words, else (a "word" longer than the limit) hard cuts."""
    limit = max(limit, 2)
    parts: list[str] = []
    for sentence in split_sentences(text):
        if units(sentence) <= limit:
            parts.append(sentence)
            continue
        for word in sentence.split():
            parts.extend(_hard_split(word, limit))
    pieces: list[str] = []
    current = ""
    for unit in parts:
        candidate = f"{current} {unit}" if current else unit
        if units(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces


def _hard_split(word: str, limit: int) -> list[str]:
    """A word longer than `limit` UTF-16 units in pieces of at most `limit` (a pair never split)."""
    out: list[str] = []
    current = ""
    for ch in word:
        if units(current + ch) > limit:
            out.append(current)
            current = ""
        current += ch
    return [*out, current] if current else out


def shown_title(title: str) -> str:
    """The title as messages show it: at most TITLE_SHOWN units, cut at a word boundary with "…"."""
    return cut_plain(title, TITLE_SHOWN)


def format_date(date: dt.date | None) -> str:
    return date.strftime("%d/%m/%Y") if date else ""


def source_line(meta: DocMeta, paragraph: int, number: int | None = None) -> str:
    """ "[1] <i>Title</i> — Agency — 27/03/2024 — đoạn 5" (each field escaped; empty fields left out)."""
    parts = [f"<i>{escape(shown_title(meta.title))}</i>"]
    if meta.agency:
        parts.append(escape(meta.agency))
    if meta.date:
        parts.append(format_date(meta.date))
    parts.append(f"đoạn {paragraph}")
    prefix = f"<b>[{number}]</b> " if number is not None else "📄 "
    return prefix + " — ".join(parts)


def answer_message(
    hits: Sequence[Hit], first_number: int = 1, limit: int = MAX_MESSAGE, *, question: str | None = None
) -> tuple[str, list[bool]]:
    """The quoted passages: each a blockquote with the matched words in bold (spelt as in `question`,
    see `highlight`), then its source line.

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
        blocks.append(f"<blockquote>{highlight(text, hit.matched_terms, question)}</blockquote>\n{source}")
    # A guard: the quotes above are already budgeted; the source lines are never cut.
    lines = [Line(line, keep=not line.startswith("<blockquote>")) for line in "\n\n".join(blocks).split("\n")]
    return fit(lines, limit), was_cut


def full_text_messages(
    meta: DocMeta, paragraphs: Sequence[tuple[int, str]], focus: int, limit: int = MAX_MESSAGE
) -> list[str]:
    """The paragraph `focus` with its neighbours, under the document's source line; as many messages
    as needed, each within `limit`. The focus paragraph is quoted, its neighbours are plain."""
    header = source_line(meta, focus)
    room = max(200, limit - visible_len(header) - 10)
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
    return [fit(m, limit) for m in messages]


# --------------------------------------------------------------------------------------------------
# The three levels of an answer (`Answer.confidence`): "high" quotes the passages (`answer_message`),
# "low" quotes the closest one or two under a caveat (`uncertain_message`), "none" says nothing related
# was found and offers what it can (`not_found_message`).

UNCERTAIN_PASSAGES = 2  # passages quoted under the caveat
NOT_FOUND_DOCS = 8  # documents listed in the not-found reply
DOCS_PER_PAGE = 15  # documents per page of the list behind the "Danh sách tài liệu" button
UNCERTAIN_ONE = (
    "⚠️ <b>Chưa tìm thấy đoạn nào chắc chắn trả lời câu hỏi này</b>; đoạn gần nhất dưới đây có thể chưa đúng "
    "ý anh/chị, xin đối chiếu trước khi sử dụng:"
)
UNCERTAIN_MANY = (
    "⚠️ <b>Chưa tìm thấy đoạn nào chắc chắn trả lời câu hỏi này</b>; hai đoạn gần nhất dưới đây có thể chưa "
    "đúng ý anh/chị, xin đối chiếu trước khi sử dụng:"
)
REPHRASE = (
    "Anh/chị cũng có thể hỏi lại bằng từ ngữ khác, dùng cách gọi trong văn bản (ví dụ «tinh giản biên chế», "
    "«dôi dư»), hoặc xem các tài liệu đang có dưới đây."
)
DOCS_HEADER = "<b>Các tài liệu đang có</b> (mới nhất trước):"
DOCS_MORE = "… và {n} tài liệu khác."
BTN_DOCS = "📄 Danh sách tài liệu"
BTN_PREV = "◀ Trước"
BTN_NEXT = "Sau ▶"


def uncertain_message(
    hits: Sequence[Hit], first_number: int = 1, limit: int = MAX_MESSAGE, *, question: str | None = None
) -> tuple[str, list[bool]]:
    """The "low" reply: the caveat, then the closest one or two passages quoted under it (as
    `answer_message` quotes them). Returns the HTML and, per quoted hit, whether it was cut."""
    quoted = list(hits[:UNCERTAIN_PASSAGES])
    caveat = UNCERTAIN_MANY if len(quoted) > 1 else UNCERTAIN_ONE
    if not quoted:
        return caveat, []
    body, was_cut = answer_message(quoted, first_number, limit - visible_len(caveat) - 2, question=question)
    return f"{caveat}\n\n{body}", was_cut


def newest_first(docs: Sequence[DocMeta]) -> list[DocMeta]:
    return sorted(docs, key=lambda d: (d.date or dt.date.min, d.path), reverse=True)


def _doc_item(d: DocMeta) -> str:
    return "• " + escape(cut(d.title, 200)[0]) + (f" ({format_date(d.date)})" if d.date else "")


def not_found_message(docs: Sequence[DocMeta], limit: int = MAX_MESSAGE) -> str:
    """The "none" reply: the not-found sentence (`NOT_FOUND`), a suggestion to rephrase, and the newest
    documents of the index (titles and dates) so the user sees what can be asked about; the whole list
    is behind the `BTN_DOCS` button (`documents_page`)."""
    lines = [NOT_FOUND, REPHRASE]
    if not docs:
        return "\n".join(lines)
    ordered = newest_first(docs)
    listed = [_doc_item(d) for d in ordered[:NOT_FOUND_DOCS]]
    rest = len(ordered) - len(listed)
    tail = [DOCS_MORE.format(n=rest)] if rest else []
    while listed and visible_len("\n".join([*lines, "", DOCS_HEADER, *listed, *tail])) > limit:
        listed.pop()
        rest += 1
        tail = [DOCS_MORE.format(n=rest)]
    return "\n".join([*lines, "", DOCS_HEADER, *listed, *tail])


def documents_pages(n_docs: int, per_page: int | None = None) -> int:
    return max(1, -(-n_docs // (per_page or DOCS_PER_PAGE)))


def documents_page(docs: Sequence[DocMeta], page: int, per_page: int | None = None) -> tuple[str, int]:
    """Page `page` (0-based, clamped) of the documents list, newest first: the HTML and the page shown.
    Each item: title, agency and date."""
    per_page = per_page or DOCS_PER_PAGE
    pages = documents_pages(len(docs), per_page)
    page = max(0, min(page, pages - 1))
    ordered = newest_first(docs)[page * per_page : (page + 1) * per_page]
    header = f"<b>Tài liệu đang có: {len(docs)}</b>" + (f" (trang {page + 1}/{pages})" if pages > 1 else "")
    items = []
    for d in ordered:
        extra = " — ".join(x for x in (escape(d.agency) if d.agency else "", format_date(d.date)) if x)
        items.append(f"• <i>{escape(shown_title(d.title))}</i>" + (f" — {extra}" if extra else ""))
    return fit([Line(x) for x in [header, "", *items]], MAX_MESSAGE), page


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
NOT_ADMIN = "Xin lỗi, chức năng này chỉ dành cho quản trị viên của trợ lý."
SORRY = "Xin lỗi, đã có lỗi khi xử lý yêu cầu này. Quản trị viên đã được báo; anh/chị vui lòng thử lại sau."
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


# --------------------------------------------------------------------------------------------------
# Commands: the menus (bot.app registers them per scope) and /help


@dataclass(frozen=True)
class CommandHelp:
    name: str  # without the slash
    description: str  # the menu line (Telegram: 1 to 256 characters)
    example: str  # a full example, shown by /help


USER_COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp("hoi", "Hỏi về nội dung các văn bản", "/hoi lương cơ sở từ 1/7/2024 là bao nhiêu?"),
    CommandHelp("tasks", "Các công việc đang mở (tuần này, tháng này, quá hạn)", "/tasks tuần này"),
    CommandHelp("task", "Chi tiết một công việc theo mã", "/task 12"),
    CommandHelp("task_add", "Thêm một công việc có hạn", "/task_add 20/12/2026 Gửi báo cáo sơ kết quý IV"),
    CommandHelp("task_edit", "Sửa hạn hoặc nội dung một công việc", "/task_edit 12 30/12/2026"),
    CommandHelp("done", "Đánh dấu công việc đã hoàn thành", "/done 12"),
    CommandHelp("task_delete", "Xoá một công việc (hỏi lại trước khi xoá)", "/task_delete 12"),
    CommandHelp("subscriptions", "Các đơn vị mà chat này theo dõi nhắc hạn", "/subscriptions"),
    CommandHelp("export", "Tải danh sách công việc (Excel và lịch .ics)", "/export"),
    CommandHelp("help", "Hướng dẫn sử dụng và câu hỏi mẫu", "/help"),
)
ADMIN_COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp("subscribe", "Nhận nhắc hạn công việc trong nhóm này", "/subscribe (gõ trong nhóm)"),
    CommandHelp("unsubscribe", "Thôi nhận nhắc hạn trong nhóm này", "/unsubscribe (gõ trong nhóm)"),
    CommandHelp("tasks_review", "Duyệt nhiệm vụ trích từ văn bản", "/tasks_review"),
    CommandHelp("docs", "Danh sách tài liệu trong chỉ mục", "/docs"),
    CommandHelp("docs_remove", "Xoá một tài liệu (theo mã in trong /docs) vào thùng rác", "/docs_remove 3f9a1c2b"),
    CommandHelp("docs_trash", "Xem thùng rác tài liệu", "/docs_trash"),
    CommandHelp("docs_restore", "Khôi phục tài liệu từ thùng rác", "/docs_restore 3f9a1c2b"),
    CommandHelp("docs_trash_empty", "Xoá hẳn các tài liệu trong thùng rác", "/docs_trash_empty"),
    CommandHelp("reindex", "Cập nhật chỉ mục tài liệu (/reindex cancel để dừng)", "/reindex"),
    CommandHelp("stats", "Thống kê sử dụng", "/stats"),
    CommandHelp("allow", "Cấp quyền cho nhóm hoặc người dùng", "/allow -1001234567890"),
    CommandHelp("deny", "Thu hồi quyền của nhóm hoặc người dùng", "/deny -1001234567890"),
    CommandHelp("chat_subscriptions", "Xem nhóm và tin nhắn riêng nào đang nhận nhắc hạn", "/chat_subscriptions"),
    CommandHelp("unsubscribe_chat", "Dừng nhắc hạn cho một nhóm", "/unsubscribe_chat -1001234567890"),
)


def commands_for(admin: bool) -> tuple[CommandHelp, ...]:
    """The commands a user may use: everyone's, and the admins' for an admin."""
    return USER_COMMANDS + ADMIN_COMMANDS if admin else USER_COMMANDS


def command_lines(admin: bool) -> list[str]:
    """One line per command: the command, what it does, an example."""
    return [
        f"• /{c.name} — {escape(c.description)}; ví dụ: <code>{escape(c.example)}</code>" for c in commands_for(admin)
    ]


def help_text(docs: Sequence[DocMeta], bot_username: str | None, in_group: bool = False, admin: bool = False) -> str:
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
        lines.append(f"• Trong nhóm: gõ /hoi kèm câu hỏi, nhắc tên {mention}hoặc trả lời (reply) tin nhắn của tôi.")
    else:
        lines.append("• Gõ thẳng câu hỏi, có dấu hay không dấu, viết tắt đều được.")
        lines.append("• Trong nhóm: gõ /hoi kèm câu hỏi, hoặc nhắc tên tôi.")
    lines.append("• Nêu rõ tỉnh, số hiệu văn bản, quý hoặc năm để kết quả chính xác hơn.")
    lines.append(
        "• Hỏi tiếp bằng cách trả lời (reply) câu trả lời của tôi, ví dụ «còn ở Sóc Trăng thì sao?», "
        "«thế còn quý III?»: tôi giữ nguyên phần còn lại của câu hỏi trước."
    )
    lines.append(
        "• Nút «Xem thêm» cho các đoạn tiếp theo, «Toàn văn» cho cả đoạn kèm đoạn trước và sau; 👍/👎 để góp ý."
    )
    if examples:
        lines += ["", "<b>Ví dụ</b>"]
        lines += [f"• {escape(q)}" for q in examples]
        lines.append(f"• {escape(fold(examples[0]).lower())} <i>(không dấu)</i>")
    lines += ["", "<b>Lệnh</b>", *command_lines(admin)]
    lines += [
        "",
        "<b>Công việc và nhắc hạn</b>",
        "• Công việc có hạn được trích từ văn bản (quản trị viên duyệt) hoặc thêm bằng /task_add; "
        "/tasks liệt kê các việc đang mở, /done đánh dấu đã xong.",
        "• Nhóm đã đăng ký nhắc hạn (quản trị viên gõ /subscribe trong nhóm) nhận tin nhắc trước mỗi hạn "
        "và tin tổng hợp các việc quá hạn.",
    ]
    return "\n".join(lines)


def unknown_command_text(command: str, admin: bool) -> str:
    """The answer to a command the bot does not have: the commands it has."""
    names = ", ".join(f"/{c.name}" for c in commands_for(admin))
    return (
        f"Không có lệnh /{escape(command)}. Các lệnh anh/chị dùng được: {names}. "
        "Gõ /help để xem ví dụ cho từng lệnh, hoặc gõ thẳng câu hỏi."
    )


NOT_TEXT_PHOTO = (
    "Tôi chỉ đọc câu hỏi gõ bằng chữ, chưa đọc được ảnh. Tài liệu mới do quản trị viên thêm vào kho; "
    "anh/chị gõ câu hỏi để tra cứu, hoặc /help để xem hướng dẫn."
)
PAGE_SENT = "Các đoạn tiếp theo đã được gửi ở trên."
VOTED = "Anh/chị đã góp ý cho câu trả lời này rồi; cảm ơn anh/chị!"


def understood_line(question: str) -> str:
    """What a follow-up was read as, above its answer."""
    return f"<i>Hiểu câu hỏi là: {escape(question)}</i>"


NOT_TEXT_STICKER = "Tôi chỉ trả lời câu hỏi gõ bằng chữ 🙂 Anh/chị gõ câu hỏi, hoặc /help để xem hướng dẫn."
