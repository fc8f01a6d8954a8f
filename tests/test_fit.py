"""bot/fit.py: every outgoing text fits Telegram's limit, counted as Telegram counts (UTF-16 units of
the text after entity parsing), is never cut inside a tag or an entity, and keeps its must-keep lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fit import CAPTION_LIMIT, ELLIPSIS, TEXT_LIMIT, Line, cut_markup, fit, lines_of, visible_len
from tests.fake_telegram import parse_html


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("abc", 3),
        ("<b>abc</b>", 3),
        ("&amp;&lt;&gt;&quot;", 4),
        ("😀", 2),  # astral: a surrogate pair
        ("&#128512;", 2),
        ('<a href="https://x.vn/?a=1&amp;b=2">đây</a>', 3),
        ("<blockquote>Nghị quyết <b>số 18</b></blockquote>\n<i>Nguồn</i>", 22),
    ],
)
def test_visible_len(markup: str, expected: int) -> None:
    assert visible_len(markup) == expected
    assert visible_len(markup) == u16(parse_html(markup))


@pytest.mark.parametrize(
    ("markup", "room", "expected"),
    [
        ("Ủy ban nhân dân tỉnh", 30, "Ủy ban nhân dân tỉnh"),
        ("Ủy ban nhân dân tỉnh", 12, "Ủy ban nhân…"),  # at a word boundary
        ("<b>Ủy ban</b> nhân dân tỉnh", 8, "<b>Ủy ban</b>…"),
        ("<b>abcdefghij</b>", 5, "<b>abcd…</b>"),  # the open tag is closed after the ellipsis
        ("ab&amp;&amp;&amp; cd", 4, "ab&amp;…"),  # never half an entity
        ("ab😀😀😀", 6, "ab😀…"),  # never half a surrogate pair: 2 + 2 + 1 = 5 ≤ 6, one more would be 7
        ('<a href="https://x.vn/a&amp;b">liên kết dài</a>', 6, '<a href="https://x.vn/a&amp;b">liên…</a>'),
        ("<blockquote><i>một hai</i> ba</blockquote>", 5, "<blockquote><i>một…</i></blockquote>"),
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ],
)
def test_cut_markup(markup: str, room: int, expected: str) -> None:
    out = cut_markup(markup, room)
    assert out == expected
    parse_html(out)  # valid for parse_mode=HTML
    assert visible_len(out) <= room


def test_lines_are_split_outside_tags_only() -> None:
    assert lines_of("a\n<blockquote>b\nc</blockquote>\nd") == ["a", "<blockquote>b\nc</blockquote>", "d"]


def test_a_reminder_keeps_its_deadline_line() -> None:
    task = "Báo cáo &amp; tổng hợp 😀 " * 400  # far over the limit, emoji and entities throughout
    lines = [
        Line("⏰ <b>Nhắc hạn công việc #7</b>", keep=True),
        Line(task),
        Line("Hạn chót: <b>30/06/2024</b> — còn 3 ngày", keep=True),
        Line("Nguồn: uploads/kh.docx, đoạn 4", keep=True),
    ]
    out = fit(lines)
    plain = parse_html(out)
    assert u16(plain) <= TEXT_LIMIT
    assert plain.endswith("Hạn chót: 30/06/2024 — còn 3 ngày\nNguồn: uploads/kh.docx, đoạn 4")
    assert "…" in plain and plain.startswith("⏰ Nhắc hạn công việc #7\nBáo cáo & tổng hợp")


def test_a_title_is_shortened_before_the_quote() -> None:
    title = "Kế hoạch " + "rất dài " * 2000
    quote = "Đoạn trích quan trọng cần giữ nguyên. " * 50  # ~1900 units
    out = fit([Line(f"<blockquote>{quote}</blockquote>"), Line(f"<i>{title}</i>", shorten_to=200)])
    plain = parse_html(out)
    assert quote in plain  # the quote is whole
    assert u16(plain) <= TEXT_LIMIT and len(plain) < len(quote) + 205


def test_a_list_drops_whole_items_and_says_how_many() -> None:
    items = [Line(f"• #{i} Việc số {i} — hạn 01/0{1 + i % 9}/2025", cut=False) for i in range(400)]
    out = fit([Line("📋 <b>Công việc quá hạn</b>", keep=True), *items], more=lambda n: f"… và {n} việc khác")
    shown = out.split("\n")
    assert shown[0] == "📋 <b>Công việc quá hạn</b>"
    assert shown[-1] == f"… và {400 - (len(shown) - 2)} việc khác"
    assert all(line in [i.html for i in items] for line in shown[1:-1])
    assert visible_len(out) <= TEXT_LIMIT


def test_lines_dropped_on_both_sides_of_a_kept_line_leave_it_whole() -> None:
    """Found by hypothesis on the floors: ordinary lines dropped before and after a kept one made two
    "left out" lines where room for one was reserved, and the final cut then cut the kept line."""
    x = "x" * 30
    out = fit([Line(x), Line(""), Line(x, keep=True), Line("")], 61)
    assert visible_len(out) <= 61 and out.endswith(x) and out.count(ELLIPSIS) == 2  # the cut line's, one gap's


def test_caption_limit() -> None:
    out = fit("Chú thích " * 300, CAPTION_LIMIT)
    assert visible_len(out) <= CAPTION_LIMIT and out.endswith("…")


def test_a_text_that_fits_is_unchanged() -> None:
    text = "<b>Tiêu đề</b>\n<blockquote>Đoạn &amp; trích</blockquote>\n😀" * 10
    assert fit(text) == text


# --------------------------------------------------------------------------------------------------
# Open-ended input

_words = st.sampled_from(
    ["Ủy", "ban", "😀", "👨‍👩‍👧", "&amp;", "&lt;", "&#128512;", "𝔘", "đoạn", "x" * 30, " ", "  ", "\n"]
)
_chunk = st.lists(_words, min_size=1, max_size=40).map("".join)


@st.composite
def _markup(draw: st.DrawFn, depth: int = 0) -> str:
    parts = draw(st.lists(st.one_of(_chunk, st.just("")), min_size=1, max_size=6))
    out = []
    for part in parts:
        tag = draw(st.sampled_from([None, "b", "i", "code", "a", "blockquote"])) if depth < 3 else None
        if tag is None:
            out.append(part)
        elif tag == "a":
            out.append(f'<a href="https://x.vn/?q=1&amp;r=2">{part or "x"}</a>')
        elif tag == "blockquote":
            inner = draw(_markup(depth + 3))  # blockquotes are not nested
            out.append(f"<blockquote>{inner or 'x'}</blockquote>")
        elif tag == "code":
            out.append(f"<code>{part or 'x'}</code>")
        else:
            inner = draw(_markup(depth + 1))
            out.append(f"<{tag}>{inner or part or 'x'}</{tag}>")
    return "".join(out)


@settings(max_examples=150, deadline=None)
@given(_markup(), st.integers(min_value=0, max_value=300))
def test_cut_markup_is_valid_and_within_room(markup: str, room: int) -> None:
    parse_html(markup)  # the generator makes valid HTML
    out = cut_markup(markup, room)
    plain = parse_html(out)  # never a broken tag or entity
    assert u16(plain) <= room
    if visible_len(markup) <= room:
        assert out == markup
    else:
        kept = plain.removesuffix("…")
        assert parse_html(markup).startswith(kept.rstrip())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_markup(), st.booleans()), min_size=1, max_size=12), st.integers(50, 600))
def test_fit_keeps_kept_lines_and_the_limit(lines: list[tuple[str, bool]], limit: int) -> None:
    items = [Line(m.replace("\n", " "), keep=k) for m, k in lines]
    out = fit(items, limit)
    plain = parse_html(out)
    assert u16(plain) <= limit
    kept = [parse_html(i.html) for i in items if i.keep]
    if sum(u16(k) + 1 for k in kept) <= limit - 30:
        for k in kept:
            assert k in plain


# --------------------------------------------------------------------------------------------------
# The places that build texts use it


def _task(text: str, **extra: object) -> Any:
    from bot import tasks

    values: dict[str, object] = {
        "id": 12, "text": text, "owner": "Văn phòng", "deadline": dt.date(2026, 12, 20), "recurrence": None,
        "deadline_text": None, "status": "open", "review": "accepted", "source_doc": "uploads/kh.docx",
        "source_paragraph": 4, "created_by": 1, "chat_id": -1, "done_at": None,
    }  # fmt: skip
    values.update(extra)
    return tasks.Task(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "😀🎉 Nộp báo cáo & tổng hợp <số liệu> " * 300,  # emoji-heavy: 5,000+ UTF-16 units before
        "&" * 5000,  # every character an entity
        "x" * 5000,  # one word longer than the limit
    ],
)
def test_a_long_reminder_keeps_its_deadline_and_fits(text: str) -> None:
    from bot.reminders import render_reminder

    out = render_reminder(_task(text, owner="Phòng " * 200), dt.date(2026, 12, 17), late=False)
    plain = parse_html(out)  # never a broken entity
    assert u16(plain) <= TEXT_LIMIT
    assert "Hạn chót: 20/12/2026 — còn 3 ngày" in plain and "Nguồn: uploads/kh.docx, đoạn 4" in plain
    assert "Phụ trách: Phòng" in plain


def test_the_digest_fits_with_emoji() -> None:
    from bot import tasks
    from bot.reminders import render_digest

    items = [tasks.OpenTask(_task("😀 Việc " * 40, id=i, deadline=dt.date(2026, 11, 1)), -30, True) for i in range(300)]
    out = render_digest(items, dt.date(2026, 12, 1), late=False)
    plain = parse_html(out)
    assert u16(plain) <= TEXT_LIMIT and plain.endswith("việc khác")
    assert all(line.endswith("quá hạn 30 ngày") for line in plain.split("\n")[1:-1])  # items are whole


LONG_TITLE = "Kế hoạch " + "triển khai nhiệm vụ trọng tâm " * 330  # ~9,900 characters


def test_a_long_title_does_not_silence_answers() -> None:
    from bot import replies
    from index.model import DocMeta, Hit, Passage

    meta = DocMeta("a.txt", LONG_TITLE, dt.date(2024, 3, 1), "UBND tỉnh", 9)
    hits = [
        Hit(Passage("a.txt", n, 0, f"Đoạn số {n} nói về tiền lương. " * 30), meta, 1.0, ("lương",)) for n in (1, 2, 3)
    ]
    text, _ = replies.answer_message(hits)
    plain = parse_html(text)
    assert u16(plain) <= TEXT_LIMIT and plain.count("tiền lương") > 30  # the quotes are there
    paragraphs = [(n, f"Đoạn {n}. " * 100) for n in (3, 4, 5)]
    for message in replies.full_text_messages(meta, paragraphs, 4):
        assert u16(parse_html(message)) <= TEXT_LIMIT


def test_task_detail_with_a_long_title_and_paragraph_fits() -> None:
    from bot.task_replies import task_detail_text
    from index.model import DocMeta

    meta = DocMeta("uploads/kh.docx", LONG_TITLE, None, None, 9)
    out = task_detail_text(_task("Gửi báo cáo"), dt.date(2026, 12, 17), meta, "Câu dài. " * 2000)
    plain = parse_html(out)
    assert u16(plain) <= TEXT_LIMIT and "Thời hạn: hạn 20/12/2026" in plain
