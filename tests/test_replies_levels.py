"""The replies of the three answer levels (bot.replies): the caveat with the closest passages ("low"),
nothing related with a suggestion and the documents list ("none"), and which hits each level quotes."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import replies
from index.model import Answer, DocMeta, Hit, Passage
from tests.fake_telegram import parse_html


def meta(n: int, date: dt.date | None = dt.date(2024, 3, 27), title: str = "") -> DocMeta:
    return DocMeta(f"doc{n}.txt", title or f"Báo cáo <số {n}> & kế hoạch", date, "Ban Tổ chức Tỉnh ủy", 12)


def hit(text: str, score: float = 1.0, n: int = 1) -> Hit:
    return Hit(Passage(f"doc{n}.txt", 3, 0, text), meta(n), score, ("luong",))


HITS = [hit("Mức lương cơ sở là 2.340.000 đồng/tháng.", 1.0), hit("Đoạn thứ hai <b>.", 0.8, 2), hit("Ba.", 0.5, 3)]


@pytest.mark.parametrize(
    ("hits", "quotes", "caveat"),
    [
        (HITS, 2, replies.UNCERTAIN_MANY),
        (HITS[:2], 2, replies.UNCERTAIN_MANY),
        (HITS[:1], 1, replies.UNCERTAIN_ONE),
        ([], 0, replies.UNCERTAIN_ONE),
    ],
)
def test_uncertain_message_quotes_one_or_two_under_the_caveat(hits: list[Hit], quotes: int, caveat: str) -> None:
    text, was_cut = replies.uncertain_message(hits)
    assert text.startswith(caveat)
    assert text.count("<blockquote>") == quotes == len(was_cut)
    assert "chắc chắn" in parse_html(text)  # the caveat, with its diacritics
    if quotes:
        assert "<b>[1]</b>" in text and "&lt;b&gt;" not in text.split("<blockquote>")[0]
        assert text.index(caveat) < text.index("<blockquote>")
        assert "<b>lương</b>" in text  # quoted as a confident answer is: matched words in bold
    if quotes == 2:
        assert "<b>[2]</b>" in text and "Đoạn thứ hai &lt;b&gt;." in text


@pytest.mark.parametrize("limit", [1000, 2000, replies.MAX_MESSAGE])
def test_uncertain_message_stays_within_the_limit(limit: int) -> None:
    long = [hit("Câu khá dài về chế độ tiền lương. " * 200, 1.0), hit("Một câu khác nữa. " * 300, 0.9, 2)]
    text, was_cut = replies.uncertain_message(long, limit=limit)
    assert replies.visible_len(text) <= limit
    assert was_cut == [True, True]


@pytest.mark.parametrize(
    ("n_docs", "listed", "more"),
    [(0, 0, None), (1, 1, None), (8, 8, None), (9, 8, 1), (500, 8, 492)],
)
def test_not_found_message_suggests_and_lists_newest_documents(n_docs: int, listed: int, more: int | None) -> None:
    docs = [meta(i, dt.date(2024, 1, 1) + dt.timedelta(days=i)) for i in range(n_docs)]
    text = replies.not_found_message(docs)
    plain = parse_html(text)
    assert plain.startswith(replies.NOT_FOUND + "\n")  # today's sentence first
    assert "hỏi lại bằng từ ngữ khác" in plain and "tên tỉnh" in plain
    assert text.count("• ") == listed
    if listed:
        assert replies.DOCS_HEADER in text
        newest = docs[-1]
        first = text.split("• ", 1)[1].split("\n")[0]
        assert first == f"Báo cáo &lt;số {n_docs - 1}&gt; &amp; kế hoạch ({newest.date:%d/%m/%Y})"
    assert (f"… và {more} tài liệu khác." in text) is (more is not None)


def test_not_found_message_cuts_the_list_to_the_limit() -> None:
    docs = [meta(i, None, title="Tiêu đề rất dài " * 30) for i in range(20)]
    text = replies.not_found_message(docs, limit=900)
    assert replies.visible_len(text) <= 900
    shown = text.count("• ")
    assert 0 < shown < 8 and f"… và {20 - shown} tài liệu khác." in text


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [("high", ["Mức lương cơ sở là 2.340.000 đồng/tháng.", "Đoạn thứ hai <b>.", "Ba."]),
     ("low", ["Mức lương cơ sở là 2.340.000 đồng/tháng.", "Đoạn thứ hai <b>."]),
     ("none", [])],
)  # fmt: skip
def test_quoted_hits_by_level(confidence: str, expected: list[str]) -> None:
    assert [h.passage.text for h in replies.quoted_hits(HITS, confidence)] == expected


def test_quoted_hits_high_drops_weak_tail() -> None:
    hits = [hit("a", 1.0), hit("b", 0.31, 2), hit("c", 0.29, 3)]
    assert [h.passage.text for h in replies.quoted_hits(hits, "high")] == ["a", "b"]


@pytest.mark.parametrize(
    ("answerable", "confidence", "ok"),
    [(True, "", True), (False, "", True), (True, "high", True), (False, "low", True), (False, "none", True),
     (True, "low", False), (False, "high", False), (False, "maybe", False)],
)  # fmt: skip
def test_answer_confidence_agrees_with_answerable(answerable: bool, confidence: str, ok: bool) -> None:
    if ok:
        a = Answer("q", answerable, (), confidence)
        assert a.answerable == (a.confidence == "high")
    else:
        with pytest.raises(ValueError):
            Answer("q", answerable, (), confidence)


@pytest.mark.parametrize(
    ("n_docs", "page", "shown", "items", "header"),
    [
        (0, 0, 0, 0, "Tài liệu đang có: 0"),
        (3, 0, 0, 3, "Tài liệu đang có: 3"),
        (15, 0, 0, 15, "Tài liệu đang có: 15"),
        (16, 0, 0, 15, "Tài liệu đang có: 16 (trang 1/2)"),
        (16, 1, 1, 1, "Tài liệu đang có: 16 (trang 2/2)"),
        (16, 9, 1, 1, "Tài liệu đang có: 16 (trang 2/2)"),  # clamped
        (40, -1, 0, 15, "Tài liệu đang có: 40 (trang 1/3)"),
    ],
)
def test_documents_page(n_docs: int, page: int, shown: int, items: int, header: str) -> None:
    docs = [meta(i, dt.date(2024, 1, 1) + dt.timedelta(days=i)) for i in range(n_docs)]
    text, got = replies.documents_page(docs, page)
    plain = parse_html(text)
    assert got == shown and plain.split("\n")[0] == header
    assert plain.count("• ") == items
    if items:  # newest first; title escaped, agency and date after it
        newest = n_docs - 1 - shown * replies.DOCS_PER_PAGE
        first = text.split("• ", 1)[1].split("\n")[0]
        assert first == (
            f"<i>Báo cáo &lt;số {newest}&gt; &amp; kế hoạch</i> — Ban Tổ chức Tỉnh ủy — "
            f"{dt.date(2024, 1, 1) + dt.timedelta(days=newest):%d/%m/%Y}"
        )
    assert replies.documents_pages(n_docs) == max(1, -(-n_docs // replies.DOCS_PER_PAGE))


def test_the_caveat_is_one_sentence() -> None:
    for caveat in (replies.UNCERTAIN_ONE, replies.UNCERTAIN_MANY):
        plain = parse_html(caveat)
        assert plain.count(".") == 0 and plain.endswith(":") and "chắc chắn trả lời" in plain
