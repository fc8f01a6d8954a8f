"""Corpus changes made through the bot that no index build has taken in yet (table corpus_changes).

An upload, a removal or a restore is recorded before its rebuild starts; after every successful build
the changes the new index reflects are marked done (`settle`). Whatever is still open at start-up was
interrupted (a crash, kill -9, a cancelled build) and is built then (`bot.handlers.admin.resume`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import CorpusChangeRow

UPLOAD = "upload"
REMOVE = "remove"
RESTORE = "restore"


@dataclass(frozen=True)
class Change:
    id: int
    path: str
    action: str
    chat_id: int | None
    user_id: int | None
    at: dt.datetime


def record(
    sessions: sessionmaker[Session], path: str, action: str, chat_id: int | None, user_id: int | None,
    now: dt.datetime,
) -> int:  # fmt: skip
    with sessions() as session, session.begin():
        row = CorpusChangeRow(path=path, action=action, chat_id=chat_id, user_id=user_id, at=now)
        session.add(row)
        session.flush()
        return row.id


def open_changes(sessions: sessionmaker[Session]) -> list[Change]:
    """The changes no build has taken in yet, oldest first."""
    with sessions() as session:
        rows = session.scalars(
            select(CorpusChangeRow).where(CorpusChangeRow.done_at.is_(None)).order_by(CorpusChangeRow.id)
        )
        return [Change(r.id, r.path, r.action, r.chat_id, r.user_id, r.at) for r in rows]


def settle(sessions: sessionmaker[Session], still_waiting: Collection[str], now: dt.datetime) -> int:
    """Mark done the open changes whose path the index now reflects (not in `still_waiting`: the paths
    on which corpus and index still disagree). Returns how many were marked."""
    with sessions() as session, session.begin():
        ids = [
            r.id
            for r in session.scalars(select(CorpusChangeRow).where(CorpusChangeRow.done_at.is_(None)))
            if r.path not in still_waiting
        ]
        if ids:
            session.execute(update(CorpusChangeRow).where(CorpusChangeRow.id.in_(ids)).values(done_at=now))
        return len(ids)
