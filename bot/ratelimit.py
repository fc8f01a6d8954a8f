"""The bot's outgoing-message limits and its one retry policy for Bot API calls, shared by the application
(`bot.app`) and `chidao worker`.

- Throttling to Telegram's limits, and 429 answers obeyed (wait `retry_after`, then again): AIORateLimiter.
- Errors that prove the request did not reach Telegram, and 5xx answers (`bot.delivery.not_delivered`):
  retried with exponential backoff (capped at MAX_BACKOFF) for up to RETRY_WINDOW for a call to a chat, so
  an answer or a reminder caught in an outage goes out once the Bot API is back; a few quick tries for
  other calls (getMe, setMyCommands, answerCallbackQuery). getUpdates is never retried here (the updater
  has its own loop) and neither is sendChatAction (a late "typing…" is worthless).
- Errors after the request was sent (a read timeout, the connection dropped while waiting:
  `bot.delivery.maybe_delivered`) are never retried for a method that posts to a chat: Telegram may have
  posted it. The caller decides (for reminders, the outbox in `bot.reminders`, and no one else).
- Everything Telegram decided (BadRequest, Forbidden, ...) is raised at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from telegram.ext import AIORateLimiter

from bot.delivery import SENDING_METHODS, maybe_delivered, not_delivered

log = logging.getLogger(__name__)

# Telegram's limits for outgoing messages: ~30 per second overall, 20 per minute in one group.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
RETRY_AFTER_RETRIES = 5  # 429: wait `retry_after`, then retry this many times
NETWORK_BACKOFF = 0.5  # seconds before the first retry of an undelivered call; doubles each time
MAX_BACKOFF = 30.0  # ... up to this
RETRY_WINDOW = 600.0  # seconds an undelivered call to a chat is retried before its caller hears of it
QUICK_RETRIES = 4  # tries for an undelivered call that is not to a chat
NEVER_RETRIED = frozenset({"getUpdates", "sendChatAction"})
# Best-effort calls: sent at once, never retried, not counted against a chat's message budget (a
# "typing…" that fails or comes late is worth nothing, and must not delay the answers behind it).
BEST_EFFORT = frozenset({"sendChatAction"})


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter plus the retry policy described in the module docstring."""

    def __init__(
        self,
        *,
        backoff: float = NETWORK_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        window: float = RETRY_WINDOW,
        quick_retries: int = QUICK_RETRIES,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.window = window
        self.quick_retries = quick_retries

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if endpoint in BEST_EFFORT:
            return await callback(*args, **kwargs)
        delay = self.backoff
        started = time.monotonic()
        to_chat = data.get("chat_id") is not None
        attempt = 0
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except Exception as exc:
                if endpoint in NEVER_RETRIED or not self._may_retry(exc, endpoint):
                    raise
                attempt += 1
                spent = time.monotonic() - started
                if (to_chat and spent + delay > self.window) or (not to_chat and attempt > self.quick_retries):
                    log.warning("%s failed (%s); giving up after %d tries in %.0fs", endpoint, exc, attempt, spent)
                    raise
                log.warning("%s failed (%s); retry %d in %.1fs", endpoint, exc, attempt, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)

    @staticmethod
    def _may_retry(exc: Exception, endpoint: str) -> bool:
        if not_delivered(exc):
            return True
        # A read timeout on a call that posts nothing (getMe, editing a keyboard) is safe to repeat.
        return maybe_delivered(exc) and endpoint not in SENDING_METHODS


def rate_limiter() -> RetryingRateLimiter:
    """The limiter with Telegram's limits: ~30 messages/s overall, 20/min per group, 429s waited out."""
    return RetryingRateLimiter(
        overall_max_rate=OVERALL_PER_SECOND,
        overall_time_period=1,
        group_max_rate=GROUP_PER_MINUTE,
        group_time_period=60,
        max_retries=RETRY_AFTER_RETRIES,
    )
