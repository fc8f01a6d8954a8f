"""`chidao search`: ask the index, as the bot would; `--json` for other tools (an exact contract)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.cli import UsageError
from bot.cli.common import settings_or_exit
from bot.replies import UNCERTAIN_PASSAGES
from index.model import Answer
from index.store import current_snapshot


def register(sub: Any) -> None:
    p = sub.add_parser("search", help="answer questions from the index")
    p.add_argument("--index", type=Path, help="index directory (default: CHIDAO_INDEX_DIR)")
    p.add_argument("--k", type=int, default=3, help="passages per answer (default 3)")
    p.add_argument("--json", action="store_true", help="one JSON object per line per query")
    p.add_argument("query", nargs="*", help="the question; without it, one question per line on stdin")
    p.set_defaults(func=cmd_search)


def answer_json(ans: Answer) -> dict[str, Any]:
    return {
        "query": ans.query,
        "answerable": ans.answerable,
        "confidence": ans.confidence,
        "p_answer": ans.p_answer,
        "results": [
            {
                "doc": h.passage.doc,
                "title": h.meta.title,
                "date": h.meta.date.isoformat() if h.meta.date else None,
                "agency": h.meta.agency,
                "paragraph": h.passage.paragraph,
                "text": h.passage.text,
                "score": round(h.score, 6),
            }
            for h in ans.hits
        ],
    }


LEVEL_WORDS = {"high": "cao", "low": "thấp", "none": "không có"}


def answer_text(ans: Answer) -> str:
    """Readable: the question, the confidence level and p_answer, then the passages a reply of that level
    quotes (all for "high", the closest one or two under a caveat for "low", none for "none")."""
    p = f", p_answer {ans.p_answer:.2f}" if ans.p_answer is not None else ""
    lines = [f"? {ans.query}", f"  độ tin cậy: {LEVEL_WORDS[ans.confidence]} ({ans.confidence}{p})"]
    if ans.confidence == "none" or not ans.hits:
        lines.append("Không tìm thấy đoạn văn bản nào liên quan đến câu hỏi này.")
        return "\n".join(lines)
    hits = ans.hits
    if ans.confidence == "low":
        hits = hits[:UNCERTAIN_PASSAGES]
        lines.append("Chưa tìm thấy đoạn nào chắc chắn trả lời câu hỏi này; các đoạn gần nhất:")
    for n, h in enumerate(hits, 1):
        m = h.meta
        date = m.date.strftime("%d/%m/%Y") if m.date else None
        source = ", ".join(x for x in (m.title, m.agency, date, f"đoạn {h.passage.paragraph}") if x)
        lines.append(f"\n[{n}] {h.passage.text}\n    — {source}")
    return "\n".join(lines)


def _queries(args: argparse.Namespace) -> Iterable[str]:
    if args.query:
        yield " ".join(args.query)
        return
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def cmd_search(args: argparse.Namespace) -> int:
    if args.k < 1 or args.k > 50:
        raise UsageError("--k must be between 1 and 50")
    s = settings_or_exit()
    from index.search import Searcher

    index_dir = args.index or s.index_dir
    current_snapshot(index_dir)  # no index: say so before loading the model
    # The index's model is checked before the model is loaded.
    searcher = Searcher.open(index_dir, s.embedding_model, backend=s.embedding_backend)
    for query in _queries(args):
        ans = searcher.search(query, k=args.k)
        if args.json:
            print(json.dumps(answer_json(ans), ensure_ascii=False), flush=True)
        else:
            print(answer_text(ans) + "\n", flush=True)
    return 0
