"""Fit an outgoing Telegram HTML text within Telegram's limit. Pure: strings in, strings out.

Telegram counts a message's length after parsing its entities: tags do not count, `&amp;` is one
character, and characters are UTF-16 code units (an emoji outside the Basic Multilingual Plane counts
two). A text is at most 4096 units, a caption 1024.

`fit` cuts a text to a limit without ever cutting inside a tag or an entity, closing the tags that were
open where it cut. A text is a sequence of lines (`Line`), each one of three kinds:

* kept (`keep=True`): never dropped, e.g. a reminder's deadline line; cut only when the kept lines
  alone exceed the limit;
* shortened first (`shorten_to=n`): cut to n units before anything else is cut, e.g. a title, which is
  shortened before the quote is;
* ordinary: kept from the top while they fit; the first that does not fit is cut at a word boundary
  with "…" (or dropped when `cut=False`, e.g. one item of a list), and the ones after it are dropped
  and replaced by one line saying how many were left out (`more`).

Given a plain string, `fit` treats its lines (split at newlines outside tags) as ordinary.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

TEXT_LIMIT = 4096  # sendMessage, editMessageText
CAPTION_LIMIT = 1024  # sendPhoto, sendDocument, editMessageCaption
ELLIPSIS = "…"
MIN_CUT = 24  # a line cut shorter than this many units is dropped instead

_TOKEN = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]+;|.", re.S)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)")


def units(text: str) -> int:
    """UTF-16 code units of plain text (what Telegram counts)."""
    return len(text.encode("utf-16-le")) // 2


def visible_len(markup: str) -> int:
    """The length of an HTML text as Telegram counts it: tags dropped, entities decoded, UTF-16 units."""
    return sum(_token_units(m.group(0)) for m in _TOKEN.finditer(markup))


def _token_units(token: str) -> int:
    if token.startswith("<") and len(token) > 1:
        return 0
    if token.startswith("&") and len(token) > 1:
        return units(html.unescape(token))
    return units(token)


def _tag(token: str) -> tuple[bool, str] | None:
    """(closing, name) of a tag token, or None for text."""
    if not (token.startswith("<") and token.endswith(">") and len(token) > 1):
        return None
    m = _TAG_NAME.match(token)
    return (m.group(1) == "/", m.group(2).lower()) if m else None


def cut_plain(text: str, limit: int) -> str:
    """Plain (unescaped) text cut to `limit` UTF-16 units at a word boundary, ending with "…"."""
    if units(text) <= limit:
        return text
    return html.unescape(cut_markup(html.escape(text, quote=False), limit))


def cut_markup(markup: str, room: int, ellipsis: str = ELLIPSIS) -> str:
    """`markup` cut to at most `room` visible units including the ellipsis: at a word boundary when one
    lies in the second half, never inside a tag or an entity, with the tags open at the cut closed."""
    if visible_len(markup) <= room:
        return markup
    target = room - units(ellipsis)
    if target <= 0:
        return ellipsis if room >= units(ellipsis) else ""
    stack: list[str] = []
    used = 0
    cut_at = len(markup)
    space: tuple[int, list[str], int] | None = None
    for m in _TOKEN.finditer(markup):
        token = m.group(0)
        tag = _tag(token)
        if tag is not None:
            closing, name = tag
            if closing:
                if name in stack:
                    del stack[len(stack) - 1 - stack[::-1].index(name)]
            else:
                stack.append(name)
            continue
        width = _token_units(token)
        if used + width > target:
            cut_at = m.start()
            if token.isspace():  # the cut falls at the end of a word
                space = None
            break
        if token.isspace():
            space = (m.start(), list(stack), used)
        used += width
    if space is not None and space[2] >= target // 2:
        cut_at, stack = space[0], space[1]
    head = markup[:cut_at]
    stripped = head.rstrip()
    return stripped + ellipsis + "".join(f"</{name}>" for name in reversed(stack))


@dataclass(frozen=True)
class Line:
    """One line of a text to fit (see the module docstring)."""

    html: str
    keep: bool = False
    shorten_to: int | None = None
    cut: bool = True


def lines_of(markup: str) -> list[str]:
    """The lines of an HTML text: split at newlines that are outside every tag."""
    out: list[str] = []
    depth = 0
    start = 0
    for m in _TOKEN.finditer(markup):
        token = m.group(0)
        tag = _tag(token)
        if tag is not None:
            depth = max(0, depth - 1) if tag[0] else depth + 1
        elif token == "\n" and depth == 0:
            out.append(markup[start : m.start()])
            start = m.end()
    out.append(markup[start:])
    return out


def _joined_len(lines: Sequence[Line]) -> int:
    return sum(visible_len(line.html) for line in lines) + max(0, len(lines) - 1)


def _default_more(n: int) -> str:
    return ELLIPSIS


def fit(
    text: str | Sequence[Line],
    limit: int = TEXT_LIMIT,
    *,
    more: Callable[[int], str] = _default_more,
) -> str:
    """The text within `limit` visible UTF-16 units (see the module docstring). `more(n)` is the line
    (HTML) put where n ordinary lines were left out."""
    lines = [Line(s) for s in lines_of(text)] if isinstance(text, str) else list(text)
    if _joined_len(lines) <= limit:
        return "\n".join(line.html for line in lines)
    lines = [
        replace(line, html=cut_markup(line.html, line.shorten_to))
        if line.shorten_to is not None and visible_len(line.html) > line.shorten_to
        else line
        for line in lines
    ]
    if _joined_len(lines) <= limit:
        return "\n".join(line.html for line in lines)
    kept = [line for line in lines if line.keep]
    room = limit - _joined_len(kept)
    if room < 0:  # the kept lines alone are too long: cut the whole text of kept lines
        return cut_markup("\n".join(line.html for line in kept), limit)
    ordinary = [line for line in lines if not line.keep]
    last = ordinary[-1] if ordinary else None
    reserve = visible_len(more(len(ordinary))) + 1  # the line saying what was left out
    out: list[str | None] = []  # None marks where lines were left out
    dropped = 0
    full = True  # every ordinary line so far went in whole
    included = False
    for line in lines:
        if line.keep:
            out.append(line.html)
            continue
        if full:
            cost = visible_len(line.html) + 1  # the line and its newline
            spare = room if line is last else room - reserve
            if cost <= spare:
                out.append(line.html)
                room -= cost
                included = True
                continue
            full = False
            if line.cut and (spare - 1 >= MIN_CUT or (not included and spare - 1 > 0)):
                out.append(cut_markup(line.html, spare - 1))
                room = 0
                continue
        if None not in out:  # one line says what was left out (its room is reserved once), at the first gap
            out.append(None)
        dropped += 1
    texts = [item if item is not None else more(dropped) for item in out]
    result = "\n".join(texts)
    return result if visible_len(result) <= limit else cut_markup(result, limit)
