"""Who may use the bot. Closed by default.

Allowed: the admins (CHIDAO_ADMIN_IDS) anywhere, the chats in CHIDAO_ALLOWED_CHATS, and the chats an
admin allowed at run time (the `allowed_chats` table). Everyone else gets one polite sentence with
their chat id, and nothing from the corpus.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import AllowedChatRow


class Access:
    def __init__(
        self,
        admin_ids: Iterable[int],
        allowed_chats: Iterable[int],
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self.admin_ids = frozenset(admin_ids)
        self.allowed_chats = frozenset(allowed_chats)
        self.sessions = sessions

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids

    def allowed(self, chat_id: int, user_id: int | None) -> bool:
        """True when this user in this chat may ask questions. Blocking (may read the database)."""
        if self.is_admin(user_id) or chat_id in self.allowed_chats:
            return True
        if self.sessions is None:
            return False
        with self.sessions() as session:
            return (
                session.scalar(select(AllowedChatRow.chat_id).where(AllowedChatRow.chat_id == chat_id))
                is not None
            )
