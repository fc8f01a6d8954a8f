"""Pure parts of the bot: formatting (bot.replies), button data and group addressing (bot.handlers.ask)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import replies
from bot.handlers.ask import (
    FullText,
    More,
    Vote,
    answer_keyboard,
    decode_callback,
    doc_key,
    encode_full,
    encode_more,
    encode_vote,
    shown_hits,
    strip_mention,
    without_more,
)
from index.model import Answer, DocMeta, Hit, Passage
from tests.fake_telegram import parse_html

META = DocMeta(
    "a/very/long/path/to/some_document_with_a_long_name_2024.txt",
    "Báo cáo <quý I> & kế hoạch",
    dt.date(2024, 3, 27),
    "Ban Tổ chức Tỉnh ủy",
    12,
)


def hit(text: str, paragraph: int = 3, score: float = 1.0, terms: tuple[str, ...] = ()) -> Hit:
    return Hit(Passage(META.path, paragraph, 0, text), META, score, terms)


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("Mức lương cơ sở", ("luong",), "Mức <b>lương</b> cơ sở"),
        ("MỨC LƯƠNG", ("muc", "luong"), "<b>MỨC LƯƠNG</b>"),
        ("Đảng viên mới", ("dang",), "<b>Đảng</b> viên mới"),
        ("hòa nhập, hoà hợp", ("hoa",), "<b>hòa</b> nhập, <b>hoà</b> hợp"),
        ("<script>lương</script>", ("luong",), "&lt;script&gt;<b>lương</b>&lt;/script&gt;"),
        ("A & B <b", ("b",), "A &amp; <b>B</b> &lt;<b>b</b>"),
        ("không có gì", ("luong",), "không có gì"),
        ("nghị_định 73", ("nghi_dinh",), "nghị_định 73"),
    ],
)
def test_highlight(text: str, terms: tuple[str, ...], expected: str) -> None:
    out = replies.highlight(text, terms)
    assert out == expected
    assert parse_html(out) == text  # valid for Telegram, and nothing lost


@pytest.mark.parametrize(
    ("question", "text", "terms", "expected"),
    [
        # typed with diacritics: only the same spelling is bold
        ("mức lương cơ sở", "lực lượng và lương", ("luong",), "lực lượng và <b>lương</b>"),
        ("hướng dẫn thi hành", "nhân dân được hướng dẫn", ("dan", "huong"), "nhân dân được <b>hướng dẫn</b>"),
        ("ưu tiên tiền lương", "ưu tiên trả tiền", ("tien",), "ưu <b>tiên</b> trả <b>tiền</b>"),
        ("chế độ tiền thưởng", "ưu tiên trả tiền", ("tien",), "ưu tiên trả <b>tiền</b>"),
        ("MỨC LƯƠNG", "Mức lương, mực nước", ("muc", "luong"), "<b>Mức lương</b>, mực nước"),
        # one tone placement: "hoà" in the question marks "hòa" in the text and back
        ("hoà nhập", "hòa nhập, hoà hợp, họa sĩ", ("hoa",), "<b>hòa</b> nhập, <b>hoà</b> hợp, họa sĩ"),
        # typed without diacritics: every spelling is bold
        ("muc luong co so", "lực lượng và lương", ("luong",), "lực <b>lượng</b> và <b>lương</b>"),
        ("luong co so", "Mức LƯƠNG", ("luong",), "Mức <b>LƯƠNG</b>"),
        # a word with and a word without diacritics in one question, each by its own rule
        ("dang vien mới", "Đảng viên mới, mọi đảng", ("dang", "moi"), "<b>Đảng</b> viên <b>mới</b>, mọi <b>đảng</b>"),
        # an abbreviation is read as its full form, with its diacritics
        (
            "đk kết nạp đv",
            "điều kiện của đảng viên đang công tác",
            ("dang", "vien", "dieu", "kien"),
            "<b>điều kiện</b> của <b>đảng viên</b> đang công tác",
        ),
        # a term the question does not hold (an acronym the search read) marks every spelling
        ("kết quả ở QT", "tỉnh Quảng Trị", ("quang", "tri"), "tỉnh <b>Quảng Trị</b>"),
    ],
)
def test_highlight_follows_the_questions_spelling(
    question: str, text: str, terms: tuple[str, ...], expected: str
) -> None:
    out = replies.highlight(text, terms, question)
    assert out == expected
    assert parse_html(out) == text


@given(
    st.text(alphabet=st.sampled_from(list("abc ăâđ<>&\"'.!?ABC\n")), max_size=200),
    st.lists(st.sampled_from(["a", "b", "d", "ab"]), max_size=3),
)
def test_highlight_always_valid_html(text: str, terms: list[str]) -> None:
    assert parse_html(replies.highlight(text, terms)) == text


@pytest.mark.parametrize(
    ("text", "limit", "expected", "was_cut"),
    [
        ("Ngắn.", 100, "Ngắn.", False),
        ("Câu một. Câu hai. Câu ba.", 20, "Câu một. Câu hai. …", True),
        ("Câu một dài dài. Câu hai.", 12, "Câu một dài…", True),
        ("Một câu rất dài không có dấu chấm nào cả", 15, "Một câu rất…", True),
    ],
)
def test_cut(text: str, limit: int, expected: str, was_cut: bool) -> None:
    assert replies.cut(text, limit) == (expected, was_cut)


@given(st.text(alphabet=st.sampled_from(list("abc đ. ABC!?")), min_size=1, max_size=400), st.integers(10, 300))
def test_cut_fits(text: str, limit: int) -> None:
    out, was_cut = replies.cut(text, limit)
    assert len(out) <= limit
    assert was_cut == (out != text.strip())
    if was_cut:
        assert out.endswith(replies.ELLIPSIS)


@given(st.text(alphabet=st.sampled_from(list("abc đ. ABC!?")), min_size=1, max_size=600), st.integers(20, 200))
def test_split_to_fit_keeps_every_word(text: str, limit: int) -> None:
    pieces = replies.split_to_fit(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")  # nothing lost, order kept
    if all(len(w) <= limit for w in text.split()):
        assert " ".join(pieces).split() == text.split()  # and no word cut in two


def test_source_line_escaped_and_dated() -> None:
    line = replies.source_line(META, 7, 2)
    assert line == "<b>[2]</b> <i>Báo cáo &lt;quý I&gt; &amp; kế hoạch</i> — Ban Tổ chức Tỉnh ủy — 27/03/2024 — đoạn 7"
    bare = DocMeta("x.txt", "Tiêu đề", None, None, 1)
    assert replies.source_line(bare, 1) == "📄 <i>Tiêu đề</i> — đoạn 1"


def test_answer_message_never_over_4096() -> None:
    long = "Câu rất dài về chuyển đổi số trong cơ quan nhà nước. " * 200  # ~10 000 characters
    text, was_cut = replies.answer_message([hit(long, 1), hit("Ngắn thôi.", 2), hit(long, 3)])
    plain = parse_html(text)
    assert len(plain) <= replies.MAX_MESSAGE and was_cut == [True, False, True]
    assert text.count("<blockquote>") == 3 and "Ngắn thôi." in plain
    assert plain.split("\n")[0].endswith("nhà nước. …")
    one, [cut1] = replies.answer_message([hit(long)])
    assert cut1 and 3500 < len(parse_html(one)) <= replies.MAX_MESSAGE


def test_full_text_messages_split_within_limit() -> None:
    long = "Đoạn văn bản rất dài. " * 400  # ~8 800 characters
    messages = replies.full_text_messages(META, [(2, "Đoạn trước."), (3, long), (4, "Đoạn sau.")], 3)
    assert len(messages) >= 3
    assert all(len(parse_html(m)) <= replies.MAX_MESSAGE for m in messages)
    joined = " ".join(parse_html(m) for m in messages)
    assert joined.count("Đoạn văn bản rất dài.") == 400
    assert messages[0].startswith("📄 <i>Báo cáo &lt;quý I&gt;") and "Đoạn 2: Đoạn trước." in joined


def test_fixed_sentences_are_valid_html() -> None:
    for text in (
        replies.NOT_FOUND,
        replies.NO_MORE,
        replies.THANKS,
        replies.GONE,
        replies.BUSY,
        replies.stranger_text(-100123),
    ):
        parse_html(text)
    assert "-100123" in replies.stranger_text(-100123)
    assert replies.NOT_FOUND.count(".") == 1  # one sentence


def test_examples_come_from_titles() -> None:
    docs = [
        DocMeta("a.txt", "Kế hoạch chuyển đổi số tỉnh Thái Bình năm 2024", dt.date(2024, 1, 10), None, 3),
        DocMeta("b.txt", "Hướng dẫn kết nạp đảng viên, quý II", dt.date(2024, 5, 1), None, 3),
        DocMeta("c.txt", "Ngắn", None, None, 1),
    ]
    assert replies.example_questions(docs) == [
        "Hướng dẫn kết nạp đảng viên như thế nào?",
        "Kế hoạch chuyển đổi số tỉnh Thái Bình năm 2024 như thế nào?",
    ]
    text = replies.help_text(docs, "chidao_bot", in_group=True)
    parse_html(text)
    assert "3 tài liệu" in text and "@chidao_bot" in text and "huong dan ket nap dang vien" in text


def test_callback_data_round_trip_and_size() -> None:
    hits = [hit("x", 9999), hit("y", 12345), hit("z", 1)]
    data = [encode_more(999_999_999, 999), encode_full(META.path, 12345), encode_vote(999_999_999, -1, hits)]
    assert all(len(d.encode()) <= 64 for d in data)
    assert decode_callback(data[0]) == More(999_999_999, 999)
    assert decode_callback(data[1]) == FullText(doc_key(META.path), 12345)
    assert decode_callback(data[2]) == Vote(
        999_999_999, -1, ((doc_key(META.path), 9999), (doc_key(META.path), 12345), (doc_key(META.path), 1))
    )
    for junk in ("", "m:x:1", "t:zz:1", "f:1:*:", "q:1:2", "m:1:2:3"):
        assert decode_callback(junk) is None
    # A number no row id can be (an INTEGER column) is malformed data, not a crash in the database.
    for too_big in (encode_more(2**31, 1), encode_vote(9_999_999_999, 1, hits), f"t:{doc_key(META.path)}:{10**12}"):
        assert decode_callback(too_big) is None


def test_keyboard_and_more_removed() -> None:
    hits = [hit("x", 1), hit("y", 2)]
    kb = answer_keyboard(5, hits, 3, has_more=True)
    labels = [[b.text for b in row] for row in kb.inline_keyboard]
    assert labels == [["Toàn văn [4]", "Toàn văn [5]"], ["Xem thêm", "👍", "👎"]]
    assert [[b.text for b in row] for row in without_more(kb).inline_keyboard] == [
        ["Toàn văn [4]", "Toàn văn [5]"],
        ["👍", "👎"],
    ]


def test_shown_hits() -> None:
    hits = (hit("a", score=2.0), hit("b", score=1.0), hit("c", score=0.5))
    assert [h.passage.text for h in shown_hits(Answer("q", True, hits))] == ["a", "b"]
    assert shown_hits(Answer("q", False, hits)) == []
    assert shown_hits(Answer("q", True, ())) == []
    # "low": the closest two, whatever their scores; "none": nothing
    weak = (hit("a", score=2.0), hit("b", score=0.1), hit("c", score=0.05))
    assert [h.passage.text for h in shown_hits(Answer("q", False, weak, "low", 0.3))] == ["a", "b"]
    assert shown_hits(Answer("q", False, weak, "none", 0.01)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@chidao_bot lương cơ sở", "lương cơ sở"),
        ("hỏi @Chidao_Bot về lương", "hỏi về lương"),
        ("@chidao_bot", ""),
        ("@chidao_botx lương", "@chidao_botx lương"),
    ],
)
def test_strip_mention(text: str, expected: str) -> None:
    assert strip_mention(text, "chidao_bot") == expected
