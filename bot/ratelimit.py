"""The bot's outgoing-message limits, shared by the application (`bot.app`) and `chidao worker`:
AIORateLimiter throttling plus retries with backoff for 5xx answers and network errors."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# Telegram's limits for outgoing messages: ~30 per second overall, 20 per minute in one group.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
RETRY_AFTER_RETRIES = 5  # 429: wait `retry_after`, then retry this many times
NETWORK_RETRIES = 4  # 5xx and network errors: retry with exponential backoff
NETWORK_BACKOFF = 0.5  # seconds before the first retry; doubles each time
# Best-effort calls: sent at once, never retried, not counted against a chat's message budget (a
# "typing…" that fails or comes late is worth nothing, and must not delay the answers behind it).
BEST_EFFORT = frozenset({"sendChatAction"})


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (throttling, and 429 handled by waiting `retry_after`) plus retries with backoff
    for 5xx answers and network errors. Bad requests are not retried: they would fail again."""

    def __init__(
        self, *, network_retries: int = NETWORK_RETRIES, backoff: float = NETWORK_BACKOFF, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.network_retries = network_retries
        self.backoff = backoff

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
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt == self.network_retries:
                    raise
                log.warning("%s failed (%s); retry %d in %.1fs", endpoint, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def rate_limiter() -> RetryingRateLimiter:
    """The limiter with Telegram's limits: ~30 messages/s overall, 20/min per group, 429s waited out."""
    return RetryingRateLimiter(
        overall_max_rate=OVERALL_PER_SECOND,
        overall_time_period=1,
        group_max_rate=GROUP_PER_MINUTE,
        group_time_period=60,
        max_retries=RETRY_AFTER_RETRIES,
    )
