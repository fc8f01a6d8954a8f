"""Photos sent together (a Telegram album) gathered into one group before they are read as one document.

Telegram delivers each photo of an album as its own message, all with the same `media_group_id`, one
right after the other and in no guaranteed order of handling. The handler of the first photo of a group
waits (`complete`) until no photo has joined it for `settle` seconds, then gets every photo of the group
in message order; the handlers of the other photos only add theirs (`add` returns False) and wait
(`delivered`) until the first one says (`finish`) whether the album's reply reached Telegram: every update
of an album shares that outcome, so an album whose reply was lost is handed back whole (bot.handlers.inbox),
never as the one photo whose handler read it.

Runs on the event loop only (no locks needed). No Telegram objects: items are whatever the caller keeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

SETTLE_SECONDS = 2.0  # quiet time after the last photo of an album before it is read
MAX_WAIT_SECONDS = 30.0  # an album still growing after this long is read as it is


@dataclass
class _Group(Generic[T]):
    items: dict[int, T] = field(default_factory=dict)  # message id -> item
    last: float = 0.0
    started: float = 0.0


class Albums(Generic[T]):
    def __init__(self, settle: float = SETTLE_SECONDS, max_wait: float = MAX_WAIT_SECONDS) -> None:
        self.settle = settle
        self.max_wait = max_wait
        self._groups: dict[Hashable, _Group[T]] = {}
        self._outcomes: dict[Hashable, asyncio.Future[bool]] = {}

    def add(self, key: Hashable, order: int, item: T) -> bool:
        """Add an item (`order`: its message id). True for the first item of the group: its caller then
        awaits `complete(key)`; False for the others (their caller is done)."""
        now = time.monotonic()
        group = self._groups.get(key)
        first = group is None
        if group is None:
            group = self._groups[key] = _Group(started=now)
            self._outcomes.setdefault(key, asyncio.get_running_loop().create_future())
        group.items[order] = item
        group.last = now
        return first

    async def complete(self, key: Hashable) -> list[T]:
        """The items of the group in message order, once no item joined for `settle` seconds (or
        `max_wait` passed since the first); the group is then forgotten (a later photo with the same
        id starts a new group)."""
        group = self._groups[key]
        while True:
            now = time.monotonic()
            quiet_until = group.last + self.settle
            if now >= quiet_until or now - group.started >= self.max_wait:
                break
            await asyncio.sleep(min(quiet_until, group.started + self.max_wait) - now)
        del self._groups[key]
        return [group.items[order] for order in sorted(group.items)]

    def finish(self, key: Hashable, delivered: bool) -> None:
        """The first item's caller is done with the group: whether its reply reached Telegram."""
        outcome = self._outcomes.pop(key, None)
        if outcome is not None and not outcome.done():
            outcome.set_result(delivered)

    async def delivered(self, key: Hashable) -> bool:
        """For the callers of the other items: what the first one passed to `finish` (True when the group
        is unknown: nothing to share)."""
        outcome = self._outcomes.get(key)
        return True if outcome is None else await asyncio.shield(outcome)
