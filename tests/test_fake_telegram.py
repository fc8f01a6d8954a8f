"""The fake Bot API server itself: validation like Telegram's, long polling, fault injection."""

from __future__ import annotations

import time

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter

from tests.fake_telegram import EntityParseError, FakeTelegram, parse_html


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("plain text", "plain text"),
        ("<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em>", "bold s i e"),
        ("<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del>", "uiskd"),
        ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
        ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link"),
        ("<code>x &lt; y</code>", "x < y"),
        ('<pre><code class="language-python">a &gt; b</code></pre>', "a > b"),
        ("<blockquote>trích</blockquote>", "trích"),
        ("<blockquote expandable>dài</blockquote>", "dài"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("&lt;script&gt; &amp; &quot;q&quot; &#65;&#x42;", '<script> & "q" AB'),
        ("<blockquote>Nghị quyết <b>số 27</b></blockquote>\n<i>Nguồn</i>", "Nghị quyết số 27\nNguồn"),
        ("<B>upper</B>", "upper"),
    ],
)
def test_html_accepted(html: str, plain: str) -> None:
    assert parse_html(html) == plain


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("<script>alert(1)</script>", 'unsupported start tag "script"'),
        ("a <b b", 'unexpected "<"'),
        ("x < y", 'unexpected "<"'),
        ("x > y", 'unescaped ">"'),
        ("Tom & Jerry", 'unescaped "&"'),
        ("&nbsp;", "unsupported HTML entity"),
        ("<b>open", "can't find end tag"),
        ("<b><i>x</b></i>", "unmatched end tag"),
        ("</b>", "unexpected end tag"),
        ("<br>", 'unsupported start tag "br"'),
        ("<p>para</p>", 'unsupported start tag "p"'),
        ('<span class="red">x</span>', "tg-spoiler"),
        ('<b class="x">x</b>', "unsupported attribute"),
        ("<a>no href</a>", "empty href"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "can't be nested"),
        ("<pre><b>x</b></pre>", 'inside "pre"'),
        ("<code><i>x</i></code>", 'inside "code"'),
    ],
)
def test_html_rejected(html: str, fragment: str) -> None:
    with pytest.raises(EntityParseError) as err:
        parse_html(html)
    assert str(err.value).startswith("Bad Request: can't parse entities")
    assert fragment in str(err.value)


def _post(fake: FakeTelegram, method: str, **params: object) -> httpx.Response:
    return httpx.post(f"{fake.api_url}/bot{fake.token}/{method}", json=params, timeout=10)


def test_send_message_limits(fake_telegram: FakeTelegram) -> None:
    ok = _post(fake_telegram, "sendMessage", chat_id=5, text="x" * 4096)
    assert ok.status_code == 200 and ok.json()["result"]["message_id"] == 1
    # Entities do not count: 4096 visible characters inside tags are fine.
    ok = _post(fake_telegram, "sendMessage", chat_id=5, text="<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    assert ok.status_code == 200
    long = _post(fake_telegram, "sendMessage", chat_id=5, text="x" * 4097)
    assert long.status_code == 400 and long.json()["description"] == "Bad Request: message is too long"
    # Astral characters count twice (UTF-16), like Telegram.
    assert _post(fake_telegram, "sendMessage", chat_id=5, text="😀" * 2049).status_code == 400
    bad = _post(fake_telegram, "sendMessage", chat_id=5, text="<script>", parse_mode="HTML")
    assert bad.status_code == 400 and "can't parse entities" in bad.json()["description"]
    empty = _post(fake_telegram, "sendMessage", chat_id=5, text="<b></b>", parse_mode="HTML")
    assert empty.status_code == 400 and empty.json()["description"] == "Bad Request: message text is empty"
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "a" * 65}]]}
    big = _post(fake_telegram, "sendMessage", chat_id=5, text="hi", reply_markup=markup)
    assert big.status_code == 400 and "BUTTON_DATA_INVALID" in big.json()["description"]
    assert [c.status for c in fake_telegram.calls_of("sendMessage", status=None)] == [
        200,
        200,
        400,
        400,
        400,
        400,
        400,
    ]
    assert [m["message_id"] for m in fake_telegram.sent_messages(5)] == [1, 2]


def test_wrong_token_is_unauthorised(fake_telegram: FakeTelegram) -> None:
    r = httpx.post(f"{fake_telegram.api_url}/bot1:wrong/getMe", timeout=5)
    assert r.status_code == 401


def test_long_polling_waits_and_confirms(fake_telegram: FakeTelegram) -> None:
    started = time.monotonic()
    r = _post(fake_telegram, "getUpdates", timeout=1)
    assert r.json()["result"] == [] and time.monotonic() - started >= 0.9
    first = fake_telegram.feed_message(7, "xin chào")
    second = fake_telegram.feed_message(7, "câu hỏi")
    got = _post(fake_telegram, "getUpdates", timeout=1).json()["result"]
    assert [u["update_id"] for u in got] == [first, second]
    assert got[0]["message"]["text"] == "xin chào" and got[0]["message"]["chat"]["type"] == "private"
    got = _post(fake_telegram, "getUpdates", offset=second, timeout=0).json()["result"]
    assert [u["update_id"] for u in got] == [second]
    assert _post(fake_telegram, "getUpdates", offset=second + 1, timeout=0).json()["result"] == []
    assert fake_telegram.confirmed_offset == second + 1


def test_fed_updates_look_like_telegram(fake_telegram: FakeTelegram) -> None:
    _post(fake_telegram, "sendMessage", chat_id=-100, text="bot said")
    fake_telegram.feed_message(-100, "/hoi@chidao_test_bot lương cơ sở", user_id=9, chat_type="group")
    fake_telegram.feed_message(-100, "trả lời", user_id=9, chat_type="group", reply_to_bot=True)
    fake_telegram.feed_message(-100, "hỏi @chidao_test_bot nhé", user_id=9, chat_type="group")
    ups = _post(fake_telegram, "getUpdates").json()["result"]
    cmd, reply, mention = (u["message"] for u in ups)
    assert cmd["entities"] == [{"type": "bot_command", "offset": 0, "length": 20}]
    assert cmd["chat"]["type"] == "group" and cmd["from"]["id"] == 9
    assert reply["reply_to_message"]["text"] == "bot said"
    assert reply["reply_to_message"]["from"]["id"] == fake_telegram.bot_id
    assert mention["entities"] == [{"type": "mention", "offset": 4, "length": 16}]


async def test_real_bot_against_fake(fake_telegram: FakeTelegram) -> None:
    """python-telegram-bot's own Bot (form-encoded bodies) talks to the fake server."""
    async with Bot(
        fake_telegram.token,
        base_url=f"{fake_telegram.api_url}/bot",
        base_file_url=f"{fake_telegram.api_url}/file/bot",
    ) as bot:
        assert bot.username == "chidao_test_bot"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Xem thêm", callback_data="m:1")]])
        msg = await bot.send_message(42, "<b>Chào</b> &amp; hẹn", parse_mode=ParseMode.HTML, reply_markup=markup)
        assert msg.text == "Chào & hẹn"
        edited = await bot.edit_message_text("Đã sửa", chat_id=42, message_id=msg.message_id)
        assert isinstance(edited, object)
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(42, "a <b", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="(?i)too long"):
            await bot.send_message(42, "á" * 4097)
        await bot.send_chat_action(42, "typing")
        update_id = fake_telegram.feed_document(42, b"%PDF-1.4 data", "bao-cao.pdf", "application/pdf")
        [update] = await bot.get_updates(offset=update_id)
        assert update.message is not None and update.message.document is not None
        tg_file = await update.message.document.get_file()
        assert bytes(await tg_file.download_as_bytearray()) == b"%PDF-1.4 data"
    sent = fake_telegram.sent_messages(42)
    assert [m["text"] for m in sent] == ["Đã sửa"]
    assert fake_telegram.calls_of("sendChatAction")[0].params["action"] == "typing"


async def test_fault_injection(fake_telegram: FakeTelegram) -> None:
    fake_telegram.inject("sendMessage", "429", 2, retry_after=3)
    fake_telegram.inject("getChat", "500")
    fake_telegram.inject("sendChatAction", "delay", seconds=0.3)
    async with Bot(fake_telegram.token, base_url=f"{fake_telegram.api_url}/bot") as bot:
        for _ in range(2):
            with pytest.raises(RetryAfter) as err:
                await bot.send_message(1, "x")
            assert err.value.retry_after == 3
        assert (await bot.send_message(1, "x")).message_id == 1
        with pytest.raises(NetworkError):
            await bot.get_chat(1)
        assert (await bot.get_chat(1)).id == 1
        started = time.monotonic()
        await bot.send_chat_action(1, "typing")
        assert time.monotonic() - started >= 0.3
    statuses = [c.status for c in fake_telegram.calls_of("sendMessage", status=None)]
    assert statuses == [429, 429, 200]
    assert [c.status for c in fake_telegram.calls_of("getChat", status=None)] == [500, 200]


def test_callback_carries_the_bot_message(fake_telegram: FakeTelegram) -> None:
    fake_telegram.feed_message(3, "câu hỏi")
    markup = {"inline_keyboard": [[{"text": "👍", "callback_data": "f:+"}]]}
    sent = _post(
        fake_telegram,
        "sendMessage",
        chat_id=3,
        text="đáp",
        reply_markup=markup,
        reply_parameters={"message_id": 1},
    ).json()["result"]
    assert sent["reply_to_message"]["text"] == "câu hỏi"
    fake_telegram.feed_callback(3, sent["message_id"], "f:+")
    ups = _post(fake_telegram, "getUpdates").json()["result"]
    query = ups[-1]["callback_query"]
    assert query["data"] == "f:+" and query["message"]["reply_markup"] == markup
    assert query["message"]["reply_to_message"]["text"] == "câu hỏi"


def test_message_length_counts_utf16_after_entities(fake_telegram: FakeTelegram) -> None:
    """4096 UTF-16 units of the parsed text: an emoji counts two, an entity one, a tag nothing."""
    assert _post(fake_telegram, "sendMessage", chat_id=5, text="😀" * 2048).status_code == 200
    over = _post(fake_telegram, "sendMessage", chat_id=5, text="<i>a</i>" + "😀" * 2048, parse_mode="HTML")
    assert over.status_code == 400 and over.json()["description"] == "Bad Request: message is too long"
    sent = _post(fake_telegram, "sendMessage", chat_id=5, text="x")
    edit = _post(
        fake_telegram, "editMessageText", chat_id=5, message_id=sent.json()["result"]["message_id"],
        text="&amp;" * 4097, parse_mode="HTML",
    )  # fmt: skip
    assert edit.status_code == 400 and edit.json()["description"] == "Bad Request: message is too long"


@pytest.mark.parametrize("method,kind", [("sendDocument", "document"), ("sendPhoto", "photo")])
def test_captions_are_limited_to_1024_utf16_units(fake_telegram: FakeTelegram, method: str, kind: str) -> None:
    ok = _post(fake_telegram, method, chat_id=5, **{kind: "file-id"}, caption="<b>" + "😀" * 512 + "</b>",
               parse_mode="HTML")  # fmt: skip
    assert ok.status_code == 200 and ok.json()["result"]["caption"] == "😀" * 512
    long = _post(fake_telegram, method, chat_id=5, **{kind: "file-id"}, caption="😀" * 512 + "x")
    assert long.status_code == 400 and long.json()["description"] == "Bad Request: message caption is too long"
    edit = _post(fake_telegram, "editMessageCaption", chat_id=5, message_id=ok.json()["result"]["message_id"],
                 caption="&amp;" * 1025, parse_mode="HTML")  # fmt: skip
    assert edit.status_code == 400 and edit.json()["description"] == "Bad Request: message caption is too long"
