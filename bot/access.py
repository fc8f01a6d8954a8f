"""Who may use the bot. Closed by default.

Allowed: the admins (CHIDAO_ADMIN_IDS) anywhere, the chats in CHIDAO_ALLOWED_CHATS, and the chats an
admin allowed at run time (the `allowed_chats` table). Everyone else gets one polite sentence with
their chat id, and nothing from the corpus: at most once per chat per REFUSAL_PERIOD, then silence, so a
stranger's flood costs the database and the sending budget nothing.

The answer of the database for a chat is kept for CACHE_SECONDS (`/allow` and `/deny` in this process
forget it at once; another process sees the change within CACHE_SECONDS).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import AllowedChatRow, audit, insert_ignoring_conflicts

CACHE_SECONDS = 30.0
REFUSAL_PERIOD = 3600.0  # seconds: one refusal per chat per hour
V = TypeVar("V")
MAX_REMEMBERED = 10_000  # chats remembered by the cache and the refusal gate before the oldest are dropped


class Access:
    def __init__(
        self,
        admin_ids: Iterable[int],
        allowed_chats: Iterable[int],
        sessions: sessionmaker[Session] | None = None,
        *,
        refusal_period: float = REFUSAL_PERIOD,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.admin_ids = frozenset(admin_ids)
        self.allowed_chats = frozenset(allowed_chats)
        self.sessions = sessions
        self.refusal_period = refusal_period
        self._monotonic = monotonic
        self._cache: dict[int, tuple[bool, float]] = {}  # chat id -> (allowed in the table, until)
        self._refused: dict[int, float] = {}  # chat id -> when it was last refused

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def known(self, chat_id: int, user_id: int | None) -> bool | None:
        """The answer without the database (configuration or a recent database answer), else None."""
        if self.is_admin(user_id) or chat_id in self.allowed_chats:
            return True
        cached = self._cache.get(chat_id)
        if cached is not None and cached[1] > self._monotonic():
            return cached[0]
        return None if self.sessions is not None else False

    def allowed(self, chat_id: int, user_id: int | None) -> bool:
        """True when this user in this chat may ask questions. Blocking (may read the database)."""
        known = self.known(chat_id, user_id)
        if known is not None:
            return known
        assert self.sessions is not None
        with self.sessions() as session:
            found = chat_allowed(session, chat_id)
        _remember(self._cache, chat_id, (found, self._monotonic() + CACHE_SECONDS))
        return found

    def forget(self, *chat_ids: int) -> None:
        """Drop the cached answers for these chats (after /allow, /deny, a migration)."""
        for chat_id in chat_ids:
            self._cache.pop(chat_id, None)
            self._refused.pop(chat_id, None)

    def may_refuse(self, chat_id: int) -> bool:
        """True for the first refusal to a chat in `refusal_period` (then False until it has passed)."""
        now = self._monotonic()
        last = self._refused.get(chat_id)
        if last is not None and now - last < self.refusal_period:
            return False
        _remember(self._refused, chat_id, now)
        return True


def _remember(table: dict[int, V], key: int, value: V) -> None:
    table.pop(key, None)
    table[key] = value
    while len(table) > MAX_REMEMBERED:
        del table[next(iter(table))]  # the oldest entry (dicts keep insertion order)


def chat_allowed(session: Session, chat_id: int) -> bool:
    """True when an admin allowed this chat with /allow (the allowed_chats table)."""
    return session.scalar(select(AllowedChatRow.chat_id).where(AllowedChatRow.chat_id == chat_id)) is not None


def move_allowed_chat(
    session: Session, old: int, new: int, now: dt.datetime, configured: Iterable[int] = ()
) -> bool:
    """A group became a supergroup (new id): it keeps its access. The allowlist entry moves to the new id;
    a group allowed in the configuration (CHIDAO_ALLOWED_CHATS) gets an entry for its new id. Returns
    whether the new id is allowed by the table now. The caller commits."""
    row = session.get(AllowedChatRow, old)
    if row is None and old not in set(configured):
        return False
    # Both service messages of an upgrade (and a send that met ChatMigrated) may move the chat at the same
    # moment: insert-or-skip and delete-by-key, never "read, then add".
    values = {"chat_id": new, "added_by": row.added_by if row else None, "added_at": now}
    session.execute(insert_ignoring_conflicts(session, AllowedChatRow).values(**values))
    session.execute(delete(AllowedChatRow).where(AllowedChatRow.chat_id == old))
    audit(session, now, None, "access.migrate", f"{old} -> {new}")
    session.flush()
    return True
