"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests of the real Application.

The server runs in its own threads (stdlib ``ThreadingHTTPServer``), so it works whatever event loop the
test uses. It implements the methods the bot uses, validates like Telegram does (message length, the
HTML subset of ``parse_mode=HTML``, callback data size), records every call, and can inject faults
(429 with ``retry_after``, 500, delays, dropped connections, a request accepted whose answer never comes
in time) for a given method, go down as a whole (connection refused, open connections reset) and come
back on the same port, and restart its update ids (as a Bot API server that lost its state does).

Use the ``fake_telegram`` fixture (see tests/conftest.py) or ``FakeTelegram()`` as a context manager.
Point the bot at ``fake.api_url`` (the root under which ``/bot<token>/<method>`` and
``/file/bot<token>/<path>`` live).
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_TOKEN = "123456789:AAEfakeTokenForTestsOnly_abcdefghijkl"
BOT_ID = 123456789
BOT_USERNAME = "chidao_test_bot"
MAX_TEXT = 4096  # UTF-16 code units of a message's text after entity parsing
MAX_CAPTION = 1024  # the same for a photo's or document's caption
MAX_CALLBACK_DATA = 64

# Keys whose form-encoded values are JSON (PTB sends nested objects as JSON strings).
_JSON_KEYS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "allowed_updates",
    "reply_parameters",
    "link_preview_options",
    "commands",
    "scope",
}
_INT_KEYS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "reply_to_message_id"}


# --------------------------------------------------------------------------------------------------
# Telegram's HTML subset


_CANT = "Bad Request: can't parse entities: "


class EntityParseError(ValueError):
    """The text is not valid for ``parse_mode=HTML``; str() is Telegram's description."""


_TAGS: dict[str, set[str]] = {
    # tag -> allowed attribute names
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*>")
_ATTR_RE = re.compile(r"\s+([^\s=>/]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _unescape_attr(value: str) -> str:
    return _ENTITY_RE.sub(lambda m: _decode_entity(m.group(1), 0), value)


def _decode_entity(name: str, offset: int) -> str:
    if name.startswith("#x"):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name]
    raise EntityParseError(_CANT + f'unsupported HTML entity "&{name};" at byte offset {offset}')


def parse_html(text: str) -> str:
    """Parse Telegram's HTML subset strictly; return the plain text, or raise EntityParseError."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        offset = len(text[:i].encode("utf-8"))
        if ch == "<":
            m = _TAG_RE.match(text, i)
            if not m:
                raise EntityParseError(_CANT + f'unexpected "<" at byte offset {offset}')
            closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
            if name not in _TAGS:
                kind = "end" if closing else "start"
                raise EntityParseError(_CANT + f'unsupported {kind} tag "{name}" at byte offset {offset}')
            if closing:
                if attrs.strip():
                    raise EntityParseError(_CANT + f"end tag with attributes at byte offset {offset}")
                if not stack:
                    raise EntityParseError(_CANT + f'unexpected end tag "{name}" at byte offset {offset}')
                if stack[-1] != name:
                    raise EntityParseError(
                        _CANT + "unmatched end tag at byte offset "
                        f'{offset}, expected "</{stack[-1]}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                _check_start_tag(name, attrs, stack, offset)
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY_RE.match(text, i)
            if not m:
                raise EntityParseError(_CANT + f'unescaped "&" at byte offset {offset}')
            out.append(_decode_entity(m.group(1), offset))
            i = m.end()
        elif ch == ">":
            raise EntityParseError(_CANT + f'unescaped ">" at byte offset {offset}')
        else:
            out.append(ch)
            i += 1
    if stack:
        raise EntityParseError(_CANT + f'can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _check_start_tag(name: str, attrs: str, stack: list[str], offset: int) -> None:
    parsed = {k.lower(): (_unescape_attr(v.strip("\"'")) if v else "") for k, v in _ATTR_RE.findall(attrs)}
    bad = set(parsed) - _TAGS[name]
    if bad:
        raise EntityParseError(
            _CANT + f'unsupported attribute "{sorted(bad)[0]}" of tag "{name}" at byte offset {offset}'
        )
    if name == "span" and parsed.get("class") != "tg-spoiler":
        raise EntityParseError(_CANT + f'tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "a" and not parsed.get("href"):
        raise EntityParseError(_CANT + f"empty href at byte offset {offset}")
    if name == "tg-emoji" and not parsed.get("emoji-id", "").isdigit():
        raise EntityParseError(_CANT + f"bad emoji-id at byte offset {offset}")
    if name == "code" and "class" in parsed and not parsed["class"].startswith("language-"):
        raise EntityParseError(_CANT + f"bad code class at byte offset {offset}")
    if name == "blockquote" and "blockquote" in stack:
        raise EntityParseError(_CANT + f"blockquote can't be nested at byte offset {offset}")
    if stack and stack[-1] in ("pre", "code") and not (stack[-1] == "pre" and name == "code"):
        raise EntityParseError(_CANT + f'tag "{name}" inside "{stack[-1]}" at byte offset {offset}')


# --------------------------------------------------------------------------------------------------
# The server

# Bodies of the answers a server that is not quite the Bot API gives (status 200).
_BROKEN: dict[str, bytes] = {
    "garbage": b"<html><body>502 Bad Gateway (proxy)</body></html>",
    "not-ok": b'{"status": "up", "message": "emulator ready"}',
    "not-a-bot": json.dumps({"ok": True, "result": {"id": 7, "is_bot": False, "first_name": "not a bot"}}).encode(),
}


@dataclass(frozen=True)
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when received
    status: int = 200


@dataclass
class Fault:
    kind: str  # "429" | "500" | "502" | "delay" | "drop" | "garbage" | "not-ok" | "not-a-bot" | "accept_then_stall"
    retry_after: int = 1
    seconds: float = 0.0


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    path: str
    data: bytes


class TelegramAPIError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class FakeTelegram:
    """The fake server. Thread-safe; every helper may be called from any thread or event loop."""

    token: str = DEFAULT_TOKEN
    bot_id: int = BOT_ID
    bot_username: str = BOT_USERNAME
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1)
        self._last_fed = 0  # the id of the newest update fed
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._files: dict[str, _File] = {}
        self._faults: dict[str, list[Fault]] = {}
        # (chat id, user id) -> status for getChatMember ("member" once a user wrote in a group; see set_member)
        self.chat_members: dict[tuple[int, int], str] = {}
        self.confirmed_offset = 0
        self.webhook_url = ""
        self.commands: list[dict[str, Any]] = []  # the default scope's menu
        # every menu set, by scope: ("default", None), ("all_private_chats", None), ("chat", 1001)…
        self.command_menus: dict[tuple[str, int | None], list[dict[str, Any]]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self._down = False
        self._down_after_updates = False
        self._connections: set[Any] = set()
        self._migrated: dict[int, int] = {}
        self._port = 0
        self.outages = 0

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeTelegram:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                fake._serve(self)

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                fake._serve(self)

        self._handler_class = Handler
        self._listen(0)
        return self

    def _listen(self, port: int) -> None:
        fake = self

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

            def process_request(self, request: Any, client_address: Any) -> None:
                with fake._lock:
                    if fake._down:
                        _reset(request)
                        return
                    fake._connections.add(request)
                super().process_request(request, client_address)

            def shutdown_request(self, request: Any) -> None:
                with fake._lock:
                    fake._connections.discard(request)
                super().shutdown_request(request)

        self._server = Server(("127.0.0.1", port), self._handler_class)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- outages

    def go_down(self) -> None:
        """The Bot API becomes unreachable: new connections are refused, open ones are reset (also a long
        poll in progress). Safe to call from a request thread."""
        with self._lock:
            if self._down:
                return
            self._down = True
            server, self._server = self._server, None
            connections = list(self._connections)
            self._connections.clear()
            self.outages += 1
            self._lock.notify_all()
        for conn in connections:
            _reset(conn)
        if server is not None:
            # shutdown() waits for serve_forever to return: not from the server's own thread.
            threading.Thread(target=_close_server, args=(server,), daemon=True).start()

    def come_up(self) -> None:
        """The Bot API is back on the same address."""
        with self._lock:
            if not self._down:
                return
        deadline = time.monotonic() + 5
        while True:
            try:
                self._listen(self._port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with self._lock:
            self._down = False
            self._lock.notify_all()

    def go_down_after_next_updates(self) -> None:
        """Go down right after the next getUpdates answer that carries updates (they were fetched, then the
        outage came)."""
        with self._lock:
            self._down_after_updates = True

    def restart_update_ids(self) -> None:
        """Number updates from 1 again, as a Bot API server that lost its state (or a new one) does."""
        with self._lock:
            self._update_ids = itertools.count(1)
            self._last_fed = 0
            self.confirmed_offset = 0

    def stop(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        assert self._port, "server not started"
        return f"http://127.0.0.1:{self._port}"

    # ---------------------------------------------------------------- HTTP plumbing

    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        path = unquote(url.path)
        m_file = re.fullmatch(r"/file/bot([^/]+)/(.+)", path)
        if m_file:
            self._serve_file(req, m_file.group(1), m_file.group(2))
            return
        m = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", path)
        if not m:
            self._reply(req, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = m.group(1), m.group(2)
        params = dict(parse_qsl(url.query))
        params.update(_parse_body(req.headers.get("Content-Type", ""), body))
        params = _normalise_params(params)
        now = time.monotonic()
        if token != self.token:
            self._record(Call(method, params, now, 401))
            self._reply(req, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        fault = self._take_fault(method)
        stall = 0.0
        if fault is not None and fault.kind == "accept_then_stall":
            stall, fault = fault.seconds, None
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind in _BROKEN:
                # A server that is not (or not quite) the Bot API: the answer does not parse as one.
                self._record(Call(method, params, now, 200))
                self._reply_raw(req, 200, _BROKEN[fault.kind])
                return
            elif fault.kind == "drop":
                self._record(Call(method, params, now, 0))
                req.close_connection = True
                with contextlib.suppress(OSError):
                    req.connection.shutdown(2)
                return
            else:
                status = int(fault.kind)
                desc = {
                    429: f"Too Many Requests: retry after {fault.retry_after}",
                    500: "Internal Server Error",
                    502: "Bad Gateway",
                }.get(status, "Error")
                payload: dict[str, Any] = {"ok": False, "error_code": status, "description": desc}
                if status == 429:
                    payload["parameters"] = {"retry_after": fault.retry_after}
                self._record(Call(method, params, now, status))
                self._reply(req, status, payload)
                return
        try:
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise TelegramAPIError(404, "Not Found: method not found")
            result = handler(params)
        except TelegramAPIError as exc:
            self._record(Call(method, params, now, exc.status))
            payload = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                payload["parameters"] = exc.parameters
            self._reply(req, exc.status, payload)
            return
        if method != "getUpdates" or result:
            self._record(Call(method, params, now, 200))
        if stall:
            # Telegram acted on the request; its answer does not come before the client gives up.
            time.sleep(stall)
            req.close_connection = True
            with contextlib.suppress(OSError):
                req.connection.shutdown(2)
            return
        self._reply(req, 200, {"ok": True, "result": result})
        if method == "getUpdates" and result:
            with self._lock:
                down, self._down_after_updates = self._down_after_updates, False
            if down:
                self.go_down()

    def _serve_file(self, req: BaseHTTPRequestHandler, token: str, path: str) -> None:
        with self._lock:
            found = next((f for f in self._files.values() if f.path == path), None)
        if token != self.token or found is None:
            self._reply(req, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        req.send_response(200)
        req.send_header("Content-Type", "application/octet-stream")
        req.send_header("Content-Length", str(len(found.data)))
        req.end_headers()
        req.wfile.write(found.data)

    @staticmethod
    def _reply(req: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        FakeTelegram._reply_raw(req, status, json.dumps(payload, ensure_ascii=False).encode())

    @staticmethod
    def _reply_raw(req: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
        with contextlib.suppress(OSError):
            req.send_response(status)
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(data)))
            req.end_headers()
            req.wfile.write(data)

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.pop(0) if queue else None

    # ---------------------------------------------------------------- fault injection

    def inject(self, method: str, kind: str, count: int = 1, *, retry_after: int = 1, seconds: float = 0.0) -> None:
        """Make the next `count` calls of `method` fail: kind "429", "500", "502", "delay", "drop", or
        an answer with status 200 that is not the Bot API's: "garbage" (not JSON), "not-ok" (JSON
        without "ok"), "not-a-bot" (a getMe result that is not a bot); or
        "accept_then_stall" (the call takes effect, then no answer for `seconds`, then the connection closes:
        a read timeout for a client that waits less)."""
        if kind not in {"429", "500", "502", "delay", "drop", "accept_then_stall", *_BROKEN}:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.setdefault(method, []).extend(
                Fault(kind, retry_after=retry_after, seconds=seconds) for _ in range(count)
            )

    # ---------------------------------------------------------------- Bot API methods

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Chỉ Đạo",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._bot_user()

    def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: N802
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._lock:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._lock.notify_all()
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            return [u for u in self._updates if u["update_id"] >= offset][:limit]

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = _require_int(params, "chat_id")
        with self._lock:
            moved_to = self._migrated.get(chat_id)
        if moved_to is not None:
            raise TelegramAPIError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": moved_to},
            )
        text = self._validated_text(params)
        markup = self._validated_markup(params)
        with self._lock:
            msg = self._new_message(chat_id, from_bot=True, text=text)
            msg["_html"] = params.get("text")
            if markup:
                msg["reply_markup"] = markup
            reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get("reply_to_message_id")
            if reply_to is not None:
                original = self._messages.get((chat_id, int(reply_to)))
                if original is not None:
                    msg["reply_to_message"] = _public(original)
                elif not (params.get("reply_parameters") or {}).get("allow_sending_without_reply"):
                    raise TelegramAPIError(400, "Bad Request: message to be replied not found")
            self._messages[(chat_id, msg["message_id"])] = msg
            return _public(msg)

    def _send_media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = _require_int(params, "chat_id")
        if not params.get(kind):
            raise TelegramAPIError(400, f"Bad Request: there is no {kind} in the request")
        caption = self._validated_caption(params)
        markup = self._validated_markup(params)
        with self._lock:
            msg = self._new_message(chat_id, from_bot=True, text="")
            del msg["text"]
            msg[kind] = {"file_id": f"{kind}-{msg['message_id']}", "file_unique_id": uuid.uuid4().hex[:16]}
            if caption:
                msg["caption"], msg["_html"] = caption, params.get("caption")
            if markup:
                msg["reply_markup"] = markup
            self._messages[(chat_id, msg["message_id"])] = msg
            return _public(msg)

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._send_media(params, "photo")

    def _m_editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = _require_int(params, "chat_id")
        caption = self._validated_caption(params)
        with self._lock:
            msg = self._bot_message(chat_id, params)
            msg["caption"], msg["_html"] = caption, params.get("caption")
            msg["edit_date"] = int(time.time())
            return _public(msg)

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = _require_int(params, "chat_id")
        text = self._validated_text(params)
        markup = self._validated_markup(params)
        with self._lock:
            msg = self._bot_message(chat_id, params)
            if msg.get("text") == text and msg.get("reply_markup") == markup:
                raise TelegramAPIError(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply "
                    "markup are exactly the same as a current content and reply markup of the message",
                )
            msg["text"], msg["_html"] = text, params.get("text")
            msg["edit_date"] = int(time.time())
            msg.pop("reply_markup", None)
            if markup:
                msg["reply_markup"] = markup
            return _public(msg)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = _require_int(params, "chat_id")
        markup = self._validated_markup(params)
        with self._lock:
            msg = self._bot_message(chat_id, params)
            if msg.get("reply_markup") == markup:
                raise TelegramAPIError(400, "Bad Request: message is not modified")
            msg.pop("reply_markup", None)
            if markup:
                msg["reply_markup"] = markup
            return _public(msg)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:  # noqa: N802
        if not params.get("callback_query_id"):
            raise TelegramAPIError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise TelegramAPIError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:  # noqa: N802
        _require_int(params, "chat_id")
        if params.get("action") not in {
            "typing",
            "upload_photo",
            "record_video",
            "upload_video",
            "record_voice",
            "upload_voice",
            "upload_document",
            "choose_sticker",
            "find_location",
            "record_video_note",
            "upload_video_note",
        }:
            raise TelegramAPIError(400, "Bad Request: wrong parameter action in request")
        return True

    def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        with self._lock:
            f = self._files.get(str(params.get("file_id")))
        if f is None:
            raise TelegramAPIError(400, "Bad Request: invalid file_id")
        return {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_size": len(f.data),
            "file_path": f.path,
        }

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:  # noqa: N802
        commands = params.get("commands") or []
        for c in commands:
            if (
                not re.fullmatch(r"[a-z0-9_]{1,32}", c.get("command", ""))
                or not 1 <= len(c.get("description", "")) <= 256
            ):
                raise TelegramAPIError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = _scope_key(params.get("scope"))
        with self._lock:
            self.command_menus[key] = list(commands)
            if key == ("default", None):
                self.commands = list(commands)
        return True

    def _m_deleteMyCommands(self, params: dict[str, Any]) -> bool:  # noqa: N802
        key = _scope_key(params.get("scope"))
        with self._lock:
            self.command_menus.pop(key, None)
            if key == ("default", None):
                self.commands = []
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        with self._lock:
            self.webhook_url = str(params.get("url") or "")
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        with self._lock:
            self.webhook_url = ""
            if str(params.get("drop_pending_updates")).lower() == "true":
                self._updates.clear()
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        with self._lock:
            return {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    def _m_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = _require_int(params, "chat_id")
        user_id = _require_int(params, "user_id")
        if chat_id > 0 and chat_id != user_id:
            raise TelegramAPIError(400, "Bad Request: chat not found")
        with self._lock:
            status = self.chat_members.get((chat_id, user_id), "left")
        member: dict[str, Any] = {"status": status, "user": _user(user_id)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                dict.fromkeys(
                    (
                        "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                        "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                        "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                        "can_delete_stories",
                    ),
                    False,
                )
            )  # fmt: skip
        return member

    def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = _require_int(params, "chat_id")
        data = params.get("document")
        if not isinstance(data, bytes):  # a file id sent again: a document like any other
            return self._send_media(params, "document")
        caption = self._validated_caption(params)
        with self._lock:
            msg = self._new_message(chat_id, from_bot=True, text="")
            del msg["text"]
            file_id = "BQAD" + uuid.uuid4().hex
            msg["document"] = {
                "file_id": file_id,
                "file_unique_id": uuid.uuid4().hex[:16],
                "file_name": params.get("document__filename") or "file",
                "file_size": len(data),
            }
            msg["_data"] = data
            if caption:
                msg["caption"] = caption
            self._messages[(chat_id, msg["message_id"])] = msg
            return _public(msg)

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember says of `user_id` in `chat_id`: "creator", "administrator", "member", "left"."""
        with self._lock:
            self.chat_members[(chat_id, user_id)] = status

    def sent_documents(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Documents the bot sent, in order: {"file_name", "data", "caption"}."""
        with self._lock:
            return [
                {"file_name": m["document"]["file_name"], "data": m["_data"], "caption": m.get("caption")}
                for (c, _), m in sorted(self._messages.items())
                if m["from"]["id"] == self.bot_id and "_data" in m and (chat_id is None or c == chat_id)
            ]

    def feed_edit(self, chat_id: int, message_id: int, text: str) -> int:
        """Queue an edit of a user's message (an `edited_message` update); return its update_id."""
        with self._lock:
            msg = self._messages[(chat_id, message_id)]
            msg["text"] = text
            msg["edit_date"] = int(time.time())
            msg["entities"] = auto_entities(text)
            if not msg["entities"]:
                del msg["entities"]
            public = _public(msg)
        return self._push_update("edited_message", public)

    def _m_getChat(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        chat_id = _require_int(params, "chat_id")
        return _chat(chat_id, "private" if chat_id > 0 else "group") | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
        }

    # ---------------------------------------------------------------- validation helpers

    def _validated_text(self, params: dict[str, Any]) -> str:
        raw = params.get("text")
        if raw is None or raw == "":
            raise TelegramAPIError(400, "Bad Request: message text is empty")
        text = str(raw)
        if str(params.get("parse_mode") or "").upper() == "HTML":
            try:
                text = parse_html(text)
            except EntityParseError as exc:
                raise TelegramAPIError(400, str(exc)) from None
        if not text.strip():
            raise TelegramAPIError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > MAX_TEXT:
            raise TelegramAPIError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _validated_caption(params: dict[str, Any]) -> str:
        """A caption as Telegram checks it: at most MAX_CAPTION UTF-16 units after entity parsing."""
        caption = str(params.get("caption") or "")
        if caption and str(params.get("parse_mode") or "").upper() == "HTML":
            try:
                caption = parse_html(caption)
            except EntityParseError as exc:
                raise TelegramAPIError(400, str(exc)) from None
        if _utf16_len(caption) > MAX_CAPTION:
            raise TelegramAPIError(400, "Bad Request: message caption is too long")
        return caption

    @staticmethod
    def _validated_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise TelegramAPIError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA:
                        raise TelegramAPIError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _bot_message(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._messages.get((chat_id, int(params.get("message_id") or 0)))
        if msg is None or msg["from"]["id"] != self.bot_id:
            raise TelegramAPIError(400, "Bad Request: message to edit not found")
        return msg

    def _new_message(
        self,
        chat_id: int,
        *,
        from_bot: bool,
        text: str,
        user_id: int | None = None,
        chat_type: str | None = None,
    ) -> dict[str, Any]:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        chat = self._chats.setdefault(chat_id, _chat(chat_id, chat_type or ("private" if chat_id > 0 else "group")))
        sender = self._bot_user() if from_bot else _user(user_id or chat_id)
        return {
            "message_id": next(counter),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            "text": text,
        }

    # ---------------------------------------------------------------- test helpers: feeding updates

    def _push_update(self, kind: str, payload: dict[str, Any]) -> int:
        with self._lock:
            update_id = self._last_fed = next(self._update_ids)
            update = {"update_id": update_id, kind: payload}
            self._updates.append(update)
            self._history[update_id] = update
            self._lock.notify_all()
            return update_id

    def feed_message(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        chat_type: str = "private",
        *,
        reply_to_bot: bool = False,
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """Queue a text message; return its update_id.

        Entities for a leading /command and for @mentions are added automatically unless given.
        With reply_to_bot, the message replies to the bot's last message in that chat (or a stub).
        """
        if user_id is None:
            user_id = chat_id
        with self._lock:
            msg = self._new_message(chat_id, from_bot=False, text=text, user_id=user_id, chat_type=chat_type)
            if chat_id < 0:
                self.chat_members.setdefault((chat_id, user_id), "member")
            msg["entities"] = entities if entities is not None else auto_entities(text)
            if not msg["entities"]:
                del msg["entities"]
            target: dict[str, Any] | None = None
            if reply_to_message_id is not None:
                target = self._messages.get((chat_id, reply_to_message_id))
            elif reply_to_bot:
                mine = [m for (c, _), m in self._messages.items() if c == chat_id and m["from"]["id"] == self.bot_id]
                target = (
                    mine[-1]
                    if mine
                    else {
                        "message_id": 0,
                        "date": int(time.time()),
                        "chat": msg["chat"],
                        "from": self._bot_user(),
                        "text": "…",
                    }
                )
            if target is not None:
                msg["reply_to_message"] = _public(target)
            self._messages[(chat_id, msg["message_id"])] = msg
            public = _public(msg)
        return self._push_update("message", public)

    def feed_callback(self, chat_id: int, message_id: int, data: str, user_id: int | None = None) -> int:
        """Queue a button press on the bot's message `message_id` in `chat_id`; return its update_id."""
        if user_id is None:
            user_id = chat_id
        with self._lock:
            msg = self._messages.get((chat_id, message_id))
            if msg is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            query = {
                "id": uuid.uuid4().hex,
                "from": _user(user_id),
                "chat_instance": str(chat_id),
                "data": data,
                "message": _public(msg),
            }
        return self._push_update("callback_query", query)

    def feed_document(
        self,
        chat_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        user_id: int | None = None,
        caption: str | None = None,
        chat_type: str = "private",
    ) -> int:
        """Queue a message carrying a document; the file is then served by getFile + /file/bot<token>/…"""
        if user_id is None:
            user_id = chat_id
        file_id = "BQAC" + uuid.uuid4().hex
        f = _File(file_id, uuid.uuid4().hex[:16], f"documents/{uuid.uuid4().hex[:8]}_{file_name}", data)
        with self._lock:
            self._files[file_id] = f
            msg = self._new_message(chat_id, from_bot=False, text="", user_id=user_id, chat_type=chat_type)
            del msg["text"]
            msg["document"] = {
                "file_id": file_id,
                "file_unique_id": f.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": len(data),
            }
            if caption:
                msg["caption"] = caption
            self._messages[(chat_id, msg["message_id"])] = msg
            public = _public(msg)
        return self._push_update("message", public)

    def feed_photo(
        self,
        chat_id: int,
        user_id: int | None = None,
        caption: str | None = None,
        chat_type: str = "private",
        *,
        reply_to_message_id: int | None = None,
        sizes: list[tuple[bytes, int, int]] | None = None,
        media_group_id: str | None = None,
    ) -> int:
        """Queue a message carrying a photo; return its update_id. `sizes` are (JPEG bytes, width, height),
        smallest first, as Telegram lists the sizes it made of one photo (default: two sizes of placeholder
        bytes). Photos of one album share `media_group_id`."""
        if sizes is None:
            sizes = [(b"\xff\xd8\xff" + bytes(w), w, w * 3 // 4) for w in (320, 1280)]
        photo = []
        with self._lock:
            for data, width, height in sizes:
                file_id = "AgAC" + uuid.uuid4().hex
                f = _File(file_id, uuid.uuid4().hex[:16], f"photos/file_{uuid.uuid4().hex[:8]}.jpg", data)
                self._files[file_id] = f
                photo.append(
                    {
                        "file_id": file_id,
                        "file_unique_id": f.file_unique_id,
                        "width": width,
                        "height": height,
                        "file_size": len(data),
                    }
                )
        return self._feed_media(
            chat_id, user_id, chat_type, caption, reply_to_message_id, "photo", photo, media_group_id=media_group_id
        )

    def feed_sticker(self, chat_id: int, user_id: int | None = None, chat_type: str = "private") -> int:
        """Queue a message carrying a sticker; return its update_id."""
        return self._feed_media(chat_id, user_id, chat_type, None, None, "sticker", {
            "file_id": "CAAC" + uuid.uuid4().hex, "file_unique_id": uuid.uuid4().hex[:16], "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
        })  # fmt: skip

    def _feed_media(
        self,
        chat_id: int,
        user_id: int | None,
        chat_type: str,
        caption: str | None,
        reply_to_message_id: int | None,
        kind: str,
        payload: Any,
        *,
        media_group_id: str | None = None,
    ) -> int:
        with self._lock:
            msg = self._new_message(chat_id, from_bot=False, text="", user_id=user_id or chat_id, chat_type=chat_type)
            del msg["text"]
            msg[kind] = payload
            if media_group_id is not None:
                msg["media_group_id"] = media_group_id
            if caption:
                msg["caption"] = caption
                entities = auto_entities(caption)
                if entities:
                    msg["caption_entities"] = entities
            if reply_to_message_id is not None and (chat_id, reply_to_message_id) in self._messages:
                msg["reply_to_message"] = _public(self._messages[(chat_id, reply_to_message_id)])
            self._messages[(chat_id, msg["message_id"])] = msg
            public = _public(msg)
        return self._push_update("message", public)

    def feed_migration(self, old_chat_id: int, new_chat_id: int, user_id: int) -> tuple[int, int]:
        """A group upgraded to a supergroup, as Telegram reports it: a service message with
        `migrate_to_chat_id` in the old group, one with `migrate_from_chat_id` in the new supergroup. From
        now on, sending to the old group fails with "group chat was upgraded" and the new id. Returns the
        two update ids."""
        with self._lock:
            old = self._new_message(old_chat_id, from_bot=False, text="", user_id=user_id, chat_type="group")
            del old["text"]
            old["migrate_to_chat_id"] = new_chat_id
            self._messages[(old_chat_id, old["message_id"])] = old
            self._chats[new_chat_id] = _chat(new_chat_id, "supergroup")
            new = self._new_message(new_chat_id, from_bot=False, text="", user_id=user_id, chat_type="supergroup")
            del new["text"]
            new["migrate_from_chat_id"] = old_chat_id
            self._messages[(new_chat_id, new["message_id"])] = new
            self._migrated[old_chat_id] = new_chat_id
            old_public, new_public = _public(old), _public(new)
        return self._push_update("message", old_public), self._push_update("message", new_public)

    def redeliver(self, update_id: int) -> None:
        """Offer an already confirmed update again, as Telegram does when a crash lost the confirmation."""
        with self._lock:
            self._updates.append(self._history[update_id])
            self._updates.sort(key=lambda u: u["update_id"])
            self.confirmed_offset = min(self.confirmed_offset, update_id)
            self._lock.notify_all()

    # ---------------------------------------------------------------- test helpers: observing

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
        *,
        count: int = 1,
        status: int | None = 200,
    ) -> list[Call]:
        """Block until `count` calls of `method` matching `predicate` (and `status`) were received."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [
                    c
                    for c in self.calls
                    if c.method == method
                    and (status is None or c.status == status)
                    and (predicate is None or predicate(c))
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{method}: wanted {count}, got {len(found)} within {timeout}s; "
                        f"calls so far: {[(c.method, c.status) for c in self.calls]}"
                    )
                self._lock.wait(min(left, 0.1))

    async def await_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
        *,
        count: int = 1,
        status: int | None = 200,
    ) -> list[Call]:
        """wait_for without blocking the caller's event loop (the bot may run on it)."""
        import asyncio

        return await asyncio.to_thread(self.wait_for, method, predicate, timeout, count=count, status=status)

    def wait_confirmed(self, update_id: int, timeout: float = 5.0) -> None:
        """Block until the bot confirmed `update_id` (called getUpdates with a higher offset)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.confirmed_offset <= update_id:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"update {update_id} not confirmed (offset {self.confirmed_offset})")
                self._lock.wait(min(left, 0.1))

    def wait_fetched(self, timeout: float = 10.0) -> None:
        """Block until the bot fetched every update fed so far (and confirmed them by asking for the next)."""
        with self._lock:
            last = self._last_fed
        if last:
            self.wait_confirmed(last, timeout)

    def calls_of(self, method: str, status: int | None = 200) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (status is None or c.status == status)]

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (current state, edits applied), in order; `text` is the parsed plain text
        and `html` what the bot sent."""
        with self._lock:
            out = []
            for (c, _), m in sorted(self._messages.items()):
                if m["from"]["id"] == self.bot_id and (chat_id is None or c == chat_id) and m["message_id"] > 0:
                    out.append(_public(m) | {"html": m.get("_html")})
            return out

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        with self._lock:
            m = self._messages[(chat_id, message_id)]
            return _public(m) | {"html": m.get("_html")}

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)


# --------------------------------------------------------------------------------------------------
# Helpers


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram would add: a leading /command and @mentions (offsets in UTF-16 units)."""
    entities = []
    m = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
    if m:
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(m.group(0))})
    for mm in re.finditer(r"(?<![\w/])@[A-Za-z0-9_]{5,32}", text):
        if m and mm.start() < m.end():
            continue
        entities.append(
            {"type": "mention", "offset": _utf16_len(text[: mm.start()]), "length": _utf16_len(mm.group(0))}
        )
    return entities


def _scope_key(scope: Any) -> tuple[str, int | None]:
    if not scope:
        return ("default", None)
    if not isinstance(scope, dict) or "type" not in scope:
        raise TelegramAPIError(400, "Bad Request: can't parse BotCommandScope JSON object")
    chat_id = scope.get("chat_id")
    return (str(scope["type"]), int(chat_id) if chat_id is not None else None)


def _reset(sock: Any) -> None:
    """Close a socket with a reset (RST), as a crashed server's kernel does."""
    import socket
    import struct

    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked reading it
    with contextlib.suppress(OSError):
        sock.close()


def _close_server(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"Người dùng {user_id}", "language_code": "vi"}


def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": f"Người dùng {chat_id}"}
    return {"id": chat_id, "type": chat_type, "title": f"Nhóm {chat_id}"}


def _public(msg: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in msg.items() if not k.startswith("_")}


def _require_int(params: dict[str, Any], key: str) -> int:
    try:
        return int(params[key])
    except (KeyError, TypeError, ValueError):
        raise TelegramAPIError(400, f"Bad Request: {key} is empty") from None


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json":
        data = json.loads(body)
        return data if isinstance(data, dict) else {}
    if ctype == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if ctype == "multipart/form-data":
        raw = f"Content-Type: {content_type}\r\n\r\n".encode() + body
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        out: dict[str, Any] = {}
        for part in msg.iter_parts():  # type: ignore[attr-defined]
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            out[name] = payload if part.get_filename() else payload.decode("utf-8")
            if part.get_filename():
                out[f"{name}__filename"] = part.get_filename()
        return out
    return {}


def _normalise_params(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in _JSON_KEYS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        elif key in _INT_KEYS and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        out[key] = value
    return out


@contextlib.contextmanager
def running_fake(**kwargs: Any) -> Iterator[FakeTelegram]:
    fake = FakeTelegram(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()


def to_chat(chat_id: int) -> Callable[[Call], bool]:
    """A `wait_for` predicate: the call is addressed to `chat_id`."""
    return lambda c: c.params.get("chat_id") == chat_id


async def say(
    fake: FakeTelegram,
    chat_id: int,
    text: str,
    user_id: int | None = None,
    *,
    chat_type: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """Feed a message to `chat_id` (a group when negative, unless `chat_type` says otherwise; `kw` as for
    `feed_message`) and return the bot's next message in that chat."""
    before = len(fake.sent_messages(chat_id))
    kind = chat_type or ("group" if chat_id < 0 else "private")
    fake.feed_message(chat_id, text, user_id=user_id, chat_type=kind, **kw)
    await fake.await_for("sendMessage", to_chat(chat_id), count=before + 1, timeout=10)
    return fake.sent_messages(chat_id)[before]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """A message's inline keyboard: button text -> callback data."""
    return {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}


async def until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    """Wait (bounded) until `predicate()` holds; it runs in a thread, so it may query the database."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.05)


async def handled(fake: FakeTelegram, application: Any, timeout: float = 10.0) -> None:
    """Wait until `application` fetched every update fed to `fake` so far and finished handling each: from
    then on a negative assertion ("nothing more was sent") means something.

    The bot handles updates concurrently, so the reply to a later (marker) update proves nothing about an
    earlier one. python-telegram-bot counts an update done on its update queue only once its handlers
    returned (`Application.update_queue.task_done`), and the updater puts fetched updates on that queue before
    it asks for the next ones. Work a handler left running in the background (`application.create_task`: a
    reindex, the typing action) is not waited for.
    """
    import asyncio

    await asyncio.to_thread(fake.wait_fetched, timeout)
    await asyncio.wait_for(application.update_queue.join(), timeout)


async def background_done(name: str, timeout: float = 20.0) -> None:
    """Wait until the asyncio tasks called `name` that run now have ended: work a handler left in the
    background with `application.create_task(..., name=name)`. With `handled` first, no new one starts."""
    import asyncio

    tasks = [t for t in asyncio.all_tasks() if t.get_name() == name]
    if tasks:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)


@contextlib.asynccontextmanager
async def running_application(application: Any, *, poll_timeout: int = 1) -> AsyncIterator[Any]:
    """Run a built telegram.ext.Application with long polling, the way `chidao run` does, then stop it."""
    async with application:  # initialize / shutdown
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=poll_timeout)
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
