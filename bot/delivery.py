"""What a failed Bot API call tells about delivery: the one classification the transport's retry policy
(`bot.ratelimit`), the reply helpers (`bot.handlers.common`) and the reminder outbox (`bot.reminders`) share.

- **not delivered**: the request never reached Telegram or Telegram refused it before acting (connection
  refused or reset before sending, connect and pool timeouts, a request that could not be written, HTTP
  5xx). Sending it again cannot duplicate anything: the transport retries these with backoff.
- **maybe delivered**: the request was sent and the answer never came (read timeout, the connection
  dropped while waiting for the answer). Telegram may have acted on it: a message may be in the chat.
  The transport never retries these for a method that sends something; the caller decides (the outbox
  marks the reminder sent, unconfirmed; a reply counts as given).
- everything else (BadRequest, Forbidden, InvalidToken, RetryAfter, ChatMigrated) says what Telegram
  decided and is for the caller.
"""

from __future__ import annotations

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

# Bot API methods that post something to a chat: sending one twice shows it twice.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendAnimation",
        "sendMediaGroup",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "sendPoll",
        "sendDice",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)

# httpx errors raised after the whole request was written: Telegram may have acted on it.
_AFTER_SENDING = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)
_DECIDED = (BadRequest, Forbidden, InvalidToken, RetryAfter, ChatMigrated, Conflict)


def _causes(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc.__cause__ or exc.__context__
    while seen is not None and len(out) < 5:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def maybe_delivered(exc: BaseException) -> bool:
    """True when the request may have reached Telegram although no answer came back."""
    if isinstance(exc, _DECIDED) or not isinstance(exc, NetworkError):
        return False
    causes = _causes(exc)
    if any(isinstance(c, _AFTER_SENDING) for c in causes):
        return True
    if isinstance(exc, TimedOut):
        # PTB raises TimedOut for every httpx timeout; without a cause we cannot tell which one.
        return not any(isinstance(c, httpx.TimeoutException) for c in causes)
    # A NetworkError without an httpx cause is a 5xx answer (Telegram did not act) or PTB's "unknown error
    # in HTTP implementation" (we cannot tell).
    return "unknown error in http implementation" in str(exc).lower()


def not_delivered(exc: BaseException) -> bool:
    """True when the request certainly did not reach Telegram, or Telegram answered 5xx: safe to send again."""
    return isinstance(exc, NetworkError) and not isinstance(exc, _DECIDED) and not maybe_delivered(exc)
