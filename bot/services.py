"""What every handler and job needs, in one object: `Services` (settings, index handle, access rules,
database sessions, clock), kept in `application.bot_data["services"]` and read with `services(context)`.

A module that needs `Services` imports this module, never `bot.app` (which imports the handlers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from bot.access import Access
from bot.db import utcnow
from bot.replies import PASSAGES_PER_ANSWER
from bot.settings import Settings

if TYPE_CHECKING:
    from index.search import IndexHandle

SERVICES_KEY = "services"  # the application.bot_data key

Clock = Callable[[], dt.datetime]  # () -> an aware datetime (UTC)


@dataclass
class Services:
    settings: Settings
    index: IndexHandle  # .searcher: the current Searcher (swapped after a rebuild)
    access: Access
    sessions: sessionmaker[Session]
    clock: Clock = utcnow  # handlers and the reminder sweep read the time here; tests pass a fake one
    passages_per_answer: int = PASSAGES_PER_ANSWER
    owns_engine: bool = False  # the engine was made here (not passed in): disposed at shutdown

    def today(self) -> dt.date:
        """Today in the bot's time zone, by `clock`."""
        return self.clock().astimezone(self.settings.tz).date()


def services(context: Any) -> Services:
    """The Services of a handler's or job's context (anything with `.application.bot_data`)."""
    return context.application.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]
