"""Who a task concerns: the units a chat follows, and the one rule that says whether a task reminds a chat
and is listed in it.

A task belongs to where it was made (bot.db.TASK_SCOPES): a group's task concerns that group; a personal
task its author's private chat; an organisation task every chat that follows it: a chat subscribed with
`/subscribe` (no unit) follows all of them, one subscribed with `/subscribe <unit>` only those whose owner
the unit selects (bot.units). A chat that is not subscribed lists every organisation task (and is
reminded of none).

Who is reminded (`reminded`, `reminded_chats`): a subscribed chat, of its own tasks and what it follows; a
private chat that never subscribed (no subscription row), of its author's personal tasks (`OWN_ONLY`),
without asking. `/unsubscribe` in a private chat leaves an inactive row, which turns every reminder there
off, personal ones included; so does Telegram saying the person blocked the bot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.db import SubscriptionRow, SubscriptionUnitRow, TaskRow
from bot.units import follows_any, unit_key


class NoUnit(ValueError):
    """The text names no unit."""


@dataclass(frozen=True)
class Following:
    """What a chat follows among organisation tasks."""

    subscribed: bool
    all_org: bool
    units: tuple[str, ...] = ()  # as the users typed them
    keys: tuple[str, ...] = ()  # bot.units.unit_key of each

    def selects(self, owner: str | None) -> bool:
        """Whether an organisation task with this owner is followed."""
        return self.all_org or follows_any(self.keys, owner)


UNSUBSCRIBED = Following(subscribed=False, all_org=True)
# A private chat with no subscription row: reminded of its own (personal) tasks, of no organisation task.
OWN_ONLY = Following(subscribed=False, all_org=False)


def is_private(chat_id: int) -> bool:
    """Telegram's private chats have positive ids (the user's), groups negative ones."""
    return chat_id > 0


def concerns(scope: str, task_chat: int | None, owner: str | None, chat_id: int, following: Following) -> bool:
    """Whether a task (its scope, the chat it was made in, its owner) reminds chat `chat_id`, which
    follows `following`."""
    if scope in ("group", "personal"):
        return task_chat == chat_id
    return following.selects(owner)


def following(session: Session, chat_id: int) -> Following:
    sub = session.get(SubscriptionRow, chat_id)
    rows = session.scalars(
        select(SubscriptionUnitRow)
        .where(SubscriptionUnitRow.chat_id == chat_id)
        .order_by(SubscriptionUnitRow.created_at)
    ).all()
    units = tuple(r.unit for r in rows)
    keys = tuple(r.unit_key for r in rows)
    if sub is None or not sub.active or sub.blocked_at is not None:
        return Following(False, True, units, keys)
    return Following(True, bool(sub.all_org) or not keys, units, keys)


def reminded(session: Session, chat_id: int) -> Following | None:
    """What chat `chat_id` is reminded of (`concerns` with it), None when it is reminded of nothing: its
    subscription's Following; OWN_ONLY for a private chat that has no subscription row."""
    sub = session.get(SubscriptionRow, chat_id)
    if sub is None:
        return OWN_ONLY if is_private(chat_id) else None
    if not sub.active or sub.blocked_at is not None:
        return None
    return following(session, chat_id)


@dataclass(frozen=True)
class Reminded:
    """A chat the reminder planner serves: what it follows, and since when (nothing due earlier is sent;
    None: a private chat reminded of its own tasks, bounded by each task's own start)."""

    chat_id: int
    following: Following
    since: dt.datetime | None


def reminded_chats(session: Session) -> list[Reminded]:
    """Every chat that is reminded of something (`reminded`, for all chats at once, one query per table):
    the active subscriptions, and the private chats with open personal tasks and no subscription row."""
    subs = session.scalars(
        select(SubscriptionRow).where(SubscriptionRow.active, SubscriptionRow.blocked_at.is_(None))
    ).all()
    units: dict[int, list[SubscriptionUnitRow]] = {}
    for row in session.scalars(select(SubscriptionUnitRow).order_by(SubscriptionUnitRow.created_at)):
        units.setdefault(row.chat_id, []).append(row)
    out = []
    for sub in subs:
        rows = units.get(sub.chat_id, [])
        keys = tuple(r.unit_key for r in rows)
        follow = Following(True, bool(sub.all_org) or not keys, tuple(r.unit for r in rows), keys)
        out.append(Reminded(sub.chat_id, follow, sub.created_at))
    out += [Reminded(c, OWN_ONLY, None) for c in reminded_by_default(session)]
    return out


def reminded_by_default(session: Session, chat_id: int | None = None) -> dict[int, int]:
    """The private chats reminded of their personal tasks without a subscription (`OWN_ONLY`: no subscription
    row, so never `/unsubscribe`d nor blocked) that have open personal tasks, each with how many, by chat
    id; only `chat_id` when given."""
    stmt = (
        select(TaskRow.chat_id, func.count())
        .where(
            TaskRow.scope == "personal",
            TaskRow.status == "open",
            TaskRow.chat_id.is_not(None),
            TaskRow.chat_id.not_in(select(SubscriptionRow.chat_id)),
        )
        .group_by(TaskRow.chat_id)
        .order_by(TaskRow.chat_id)
    )
    if chat_id is not None:
        stmt = stmt.where(TaskRow.chat_id == chat_id)
    return {int(c): int(n) for c, n in session.execute(stmt) if c is not None and is_private(int(c))}


def own_only(session: Session, chat_id: int) -> None:
    """A private chat back to its default: reminded of its personal tasks only (no subscription row)."""
    session.execute(delete(SubscriptionRow).where(SubscriptionRow.chat_id == chat_id))
    session.flush()


def set_all(session: Session, chat_id: int, all_org: bool) -> None:
    """Follow every organisation task (True) or only the chat's units (False). The subscription exists."""
    sub = session.get(SubscriptionRow, chat_id)
    if sub is not None:
        sub.all_org = all_org
        session.flush()


def add_unit(session: Session, chat_id: int, unit: str, user_id: int | None, now: dt.datetime) -> bool:
    """Follow a unit; False when the chat already follows it. Raises NoUnit for text naming nothing."""
    key = unit_key(unit)
    if not key:
        raise NoUnit(unit)
    if session.get(SubscriptionUnitRow, (chat_id, key)) is not None:
        return False
    session.add(
        SubscriptionUnitRow(chat_id=chat_id, unit_key=key, unit=unit.strip(), created_by=user_id, created_at=now)
    )
    session.flush()
    return True


def remove_unit(session: Session, chat_id: int, unit: str) -> bool:
    key = unit_key(unit)
    if not key:
        raise NoUnit(unit)
    row = session.get(SubscriptionUnitRow, (chat_id, key))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def clear_units(session: Session, chat_id: int) -> None:
    session.execute(delete(SubscriptionUnitRow).where(SubscriptionUnitRow.chat_id == chat_id))
    session.flush()


def subscribed_to_all(session: Session, chat_id: int) -> bool:
    """Whether the chat's subscription was made for every organisation task (`/subscribe` alone)."""
    sub = session.get(SubscriptionRow, chat_id)
    return sub is not None and bool(sub.all_org)


def move_chat(session: Session, old: int, new: int) -> None:
    """A group became a supergroup: the units it followed move to its new id (ones the new id already
    follows are kept once)."""
    have = set(session.scalars(select(SubscriptionUnitRow.unit_key).where(SubscriptionUnitRow.chat_id == new)))
    for row in session.scalars(select(SubscriptionUnitRow).where(SubscriptionUnitRow.chat_id == old)).all():
        if row.unit_key not in have:
            session.add(SubscriptionUnitRow(chat_id=new, unit_key=row.unit_key, unit=row.unit,
                                            created_by=row.created_by, created_at=row.created_at))  # fmt: skip
        session.delete(row)
    old_sub, new_sub = session.get(SubscriptionRow, old), session.get(SubscriptionRow, new)
    if old_sub is not None and new_sub is not None:
        new_sub.all_org = old_sub.all_org
    session.flush()
