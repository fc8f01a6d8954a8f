"""`GET /healthz` on the webhook server, for the reverse proxy or load balancer in front of the bot.

python-telegram-bot's webhook server is a tornado Application with one route (the webhook path).
`enable_healthz(application)` adds `/healthz` to it as soon as it runs (a JobQueue job retries every
second until the server is up, then removes itself). Wire it in `chidao run`, webhook mode only::

    from bot.health import enable_healthz
    enable_healthz(application)          # just before application.run_webhook(...)

The answer is 200 `{"status": "ok", ...}` when the application runs, the database answers `SELECT 1`
and the index is loaded; otherwise 503 with the failing part. No secret and no detail of the error
is in the body: it is reachable by whoever can reach the port.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import tornado.web
from sqlalchemy import text
from telegram.ext import Application, ContextTypes

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
DB_TIMEOUT = 5.0  # seconds
ATTACH_TRIES = 120  # once a second: give up when no webhook server runs after two minutes (polling mode)


def _check_db(services: Any) -> None:
    with services.sessions() as session:
        session.execute(text("SELECT 1"))


async def health(application: Application[Any, Any, Any, Any, Any, Any]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for /healthz."""
    body: dict[str, Any] = {"status": "ok", "running": application.running}
    services = application.bot_data.get("services")
    ok = application.running and services is not None
    if services is not None:
        try:
            await asyncio.wait_for(asyncio.to_thread(_check_db, services), DB_TIMEOUT)
            body["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy; the log has the detail
            log.warning("healthz: database check failed: %s", type(exc).__name__)
            body["database"] = "unreachable"
            ok = False
        try:
            searcher = services.index.searcher
            body["index"] = {"passages": int(getattr(searcher, "passage_count", 0))}
        except Exception as exc:  # noqa: BLE001
            log.warning("healthz: index not loaded: %s", type(exc).__name__)
            body["index"] = "unavailable"
            ok = False
    if not ok:
        body["status"] = "unhealthy"
    return (200 if ok else 503), body


class HealthHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD")  # type: ignore[assignment]

    def initialize(self, bot_application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.bot_application = bot_application

    async def get(self) -> None:
        status, body = await health(self.bot_application)
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))

    async def head(self) -> None:
        status, _ = await health(self.bot_application)
        self.set_status(status)
        self.finish()


def attach_healthz(application: Application[Any, Any, Any, Any, Any, Any]) -> bool:
    """Add /healthz to the running webhook server; False when no webhook server runs (yet)."""
    httpd = getattr(application.updater, "_httpd", None)
    server = getattr(httpd, "_http_server", None)
    web_app = getattr(server, "request_callback", None)
    if not isinstance(web_app, tornado.web.Application) or not getattr(httpd, "is_running", False):
        return False
    web_app.add_handlers(r".*", [(HEALTH_PATH, HealthHandler, {"bot_application": application})])
    return True


def enable_healthz(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Serve /healthz on the webhook server as soon as it runs (needs the JobQueue)."""
    if application.job_queue is None:
        raise RuntimeError("enable_healthz needs python-telegram-bot[job-queue]")

    tries = 0

    async def attach(context: ContextTypes.DEFAULT_TYPE) -> None:
        nonlocal tries
        tries += 1
        if attach_healthz(application):
            log.info("healthz: serving %s on the webhook server", HEALTH_PATH)
        elif tries < ATTACH_TRIES:
            return
        else:
            log.warning("healthz: no webhook server after %d s; %s is not served", tries, HEALTH_PATH)
        if context.job is not None:
            context.job.schedule_removal()

    application.job_queue.run_repeating(attach, interval=1.0, first=0.0, name="attach-healthz")
