"""Load run of the whole bot through the fake Bot API server.

Many chats ask at once, each waiting for its answer before the next question, for a fixed number of
rounds. The bot is the real Application from bot.app.build_application, with the real index of the
corpus and the configured embedding model (built first if missing), the rate limiter and a SQLite
database; only Telegram is replaced by tests/fake_telegram.py on 127.0.0.1.

Reported: answered questions per second, and latency from the moment an update is offered to the bot
to the moment the fake server receives its sendMessage (p50, p95, max).

    python bench/bot_load.py --chats 20 --rounds 10
    python bench/bot_load.py --questions ../shared/eval/questions.jsonl
    python bench/bot_load.py --backend torch --backend onnx     # one after the other, same run, ratio

Telegram's own limit (~30 messages per second overall, applied by the rate limiter) caps throughput:
with more chats than that, latency grows with the queue, as it would in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_application  # noqa: E402
from bot.cli.run_cmd import open_index  # noqa: E402
from bot.db import upgrade  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from index.embed import BACKENDS  # noqa: E402
from index.errors import ChidaoError  # noqa: E402
from tests.fake_telegram import FakeTelegram, running_application  # noqa: E402

# Questions about the shipped corpus, written the way staff type them (with and without diacritics).
QUESTIONS = [
    "Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới",
    "muc luong co so tu 1/7/2024 la bao nhieu",
    "phương án bố trí cán bộ dôi dư khi sắp xếp xã gửi Sở Nội vụ khi nào",
    "ket nap dang vien trong hoc sinh sinh vien Lam Dong",
    "Nghị quyết 27-NQ/TW về cải cách chính sách tiền lương",
    "thi nâng ngạch chuyên viên chính năm 2024 tổ chức khi nào",
    "sap xep don vi hanh chinh cap xa Thai Binh ket luan",
    "Sóc Trăng báo cáo quý 1 năm 2024",
    "hạn thẩm định hồ sơ quy hoạch bổ sung cấp cơ sở",
    "ke hoach tien luong Phu Tho",
    "Bến Tre giải quyết cán bộ dôi dư cấp xã",
    "chuẩn bị đại hội đảng bộ tỉnh nhiệm kỳ 2025 2030",
]

FIRST_CHAT = 10_000


def load_questions(path: Path | None) -> list[str]:
    if path is None:
        return QUESTIONS
    out = [json.loads(line)["q"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out or QUESTIONS


class Answers:
    """Watches the fake server's call log and wakes the chat whose answer arrived."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.seen = 0
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = fut
        return fut

    async def run(self) -> None:
        while True:
            calls = self.fake.calls[self.seen :]
            self.seen += len(calls)
            for call in calls:
                if call.method == "sendMessage" and call.status == 200:
                    fut = self.waiting.pop(int(call.params["chat_id"]), None)
                    if fut is not None and not fut.done():
                        fut.set_result(call.at)
            await asyncio.sleep(0.001)


async def load_run(args: argparse.Namespace, backend: str | None = None) -> dict[str, float]:
    questions = load_questions(args.questions)
    chats = [FIRST_CHAT + i for i in range(args.chats)]
    with FakeTelegram() as fake, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            telegram_token=fake.token,
            telegram_api_url=fake.api_url,
            allowed_chats=chats,
            database_url=f"sqlite:///{tmp}/bench.db",
            **({"index_dir": args.index} if args.index else {}),
            **({"corpus_dir": args.corpus} if args.corpus else {}),
            **({"embedding_backend": backend} if backend else {}),
        )
        loading = time.monotonic()
        handle = await asyncio.to_thread(open_index, settings, build_missing=True)
        _ = handle.encoder  # the model loads before the clock starts
        load_s = time.monotonic() - loading
        await asyncio.to_thread(upgrade, settings.database_url)
        application = build_application(settings, handle)
        async with running_application(application):
            answers = Answers(fake)
            watcher = asyncio.create_task(answers.run())
            # Warm up: one question per chat, not measured.
            for chat in chats:
                fut = answers.expect(chat)
                fake.feed_message(chat, questions[0])
                await asyncio.wait_for(fut, 30)
            latencies: list[float] = []

            async def chat_loop(index: int, chat: int) -> None:
                for r in range(args.rounds):
                    question = questions[(index * 7 + r) % len(questions)]
                    fut = answers.expect(chat)
                    offered = time.monotonic()
                    fake.feed_message(chat, question)
                    received = await asyncio.wait_for(fut, 60)
                    latencies.append(received - offered)

            started = time.monotonic()
            await asyncio.gather(*(chat_loop(i, c) for i, c in enumerate(chats)))
            elapsed = time.monotonic() - started
            watcher.cancel()
        search_ms = sorted(await asyncio.to_thread(_search_times, settings.database_url, len(latencies)))
        lat = sorted(latencies)
        return {
            "backend": settings.embedding_backend,
            "load_s": load_s,
            "questions": len(lat),
            "seconds": elapsed,
            "per_second": len(lat) / elapsed,
            "p50_ms": 1000 * statistics.median(lat),
            "p95_ms": 1000 * lat[max(0, int(0.95 * len(lat)) - 1)],
            "max_ms": 1000 * lat[-1],
            "passages": handle.searcher.passage_count,
            "search_p50_ms": float(statistics.median(search_ms)),
            "search_p95_ms": float(search_ms[max(0, int(0.95 * len(search_ms)) - 1)]),
        }


def _search_times(database_url: str, last: int) -> list[int]:
    """Search time of the measured questions, as the bot recorded it (questions.elapsed_ms)."""
    from sqlalchemy import select

    from bot.db import QuestionRow, make_session_factory

    with make_session_factory(database_url)() as session:
        rows = session.scalars(
            select(QuestionRow.elapsed_ms).order_by(QuestionRow.id.desc()).limit(last)
        ).all()
    return [r or 0 for r in rows]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--chats", type=int, default=8, help="chats asking at once (default 8)")
    p.add_argument("--rounds", type=int, default=10, help="questions per chat (default 10)")
    p.add_argument("--index", type=Path, help="index directory (default: CHIDAO_INDEX_DIR)")
    p.add_argument("--corpus", type=Path, help="corpus directory (default: CHIDAO_CORPUS_DIR)")
    p.add_argument("--questions", type=Path, help="questions.jsonl with a 'q' field per line")
    p.add_argument("--backend", action="append", choices=BACKENDS,
                   help="encoder backend (default: CHIDAO_EMBEDDING_BACKEND); repeat to compare, one after the other")
    p.add_argument("--target-qps", type=float, default=20.0)
    p.add_argument("--target-p95-ms", type=float, default=500.0)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results = []
    for backend in args.backend or [None]:
        try:
            r = asyncio.run(load_run(args, backend))
        except ChidaoError as exc:
            print(f"bot_load: {exc}", file=sys.stderr)
            return 2
        results.append(r)
        print(
            f"[{r['backend']}, load {os.getloadavg()[0]:.1f}] {r['questions']} questions from {args.chats} chats "
            f"over {r['passages']} passages in {r['seconds']:.2f} s: {r['per_second']:.1f} q/s; latency p50 "
            f"{r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, max {r['max_ms']:.0f} ms (search alone: p50 "
            f"{r['search_p50_ms']:.0f} ms, p95 {r['search_p95_ms']:.0f} ms); "
            f"model and index loaded in {r['load_s']:.1f} s",
            flush=True,
        )
    for r in results[1:]:
        print(f"{r['backend']} / {results[0]['backend']}: {r['per_second'] / results[0]['per_second']:.2f}x q/s")
    r = results[-1]
    ok = r["per_second"] >= args.target_qps and r["p95_ms"] <= args.target_p95_ms
    print(
        f"targets (≥ {args.target_qps:g} q/s, p95 ≤ {args.target_p95_ms:g} ms): {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
