"""/healthz on the webhook server: wired the way `chidao run` would, probed over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bot.app import build_application
from bot.db import make_session_factory
from bot.health import enable_healthz, health
from bot.settings import webhook_options
from tests.conftest import free_port
from tests.fake_telegram import FakeTelegram


async def _get(url: str, timeout: float = 10.0) -> httpx.Response:
    """GET `url` until it stops answering 404 (the route is added once the server runs)."""
    async with httpx.AsyncClient() as client:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            resp = await client.get(url)
            if resp.status_code != 404 or asyncio.get_running_loop().time() > deadline:
                return resp
            await asyncio.sleep(0.1)


async def test_healthz_in_webhook_mode(
    fake_telegram: FakeTelegram, webhook_settings: Any, index_handle: Any, bot_sessions: Any
) -> None:
    settings = webhook_settings
    options = webhook_options(settings)
    application = build_application(settings, index_handle, sessions=bot_sessions)
    enable_healthz(application)
    base = f"http://127.0.0.1:{options['port']}"
    async with application:
        assert application.updater is not None
        # The order of Application.run_webhook: the webhook server first, then the application.
        await application.updater.start_webhook(**options)
        await application.start()
        try:
            resp = await _get(f"{base}/healthz")
            assert resp.status_code == 200
            body = resp.json()
            assert body["status"] == "ok" and body["database"] == "ok" and body["index"]["passages"] > 0
            assert "right_secret" not in resp.text and fake_telegram.token not in resp.text
            # The webhook path still checks its secret.
            hook = await httpx.AsyncClient().post(f"{base}/hook", json={"update_id": 1})
            assert hook.status_code == 403
        finally:
            await application.updater.stop()
            await application.stop()


async def test_unhealthy_when_the_database_is_gone(bot_settings: Any, index_handle: Any) -> None:
    broken = make_session_factory(f"postgresql+psycopg://x:y@127.0.0.1:{free_port()}/nope")
    application = build_application(bot_settings, index_handle, sessions=broken)
    async with application:
        await application.start()
        try:
            status, body = await health(application)
        finally:
            await application.stop()
    assert status == 503 and body == {
        "status": "unhealthy",
        "running": True,
        "database": "unreachable",
        "index": {"passages": body["index"]["passages"]},
    }
