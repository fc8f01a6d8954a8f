"""`chidao eval`: retrieval figures on an eval folder (docs/ + questions.jsonl)."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from bot.cli.common import settings_or_exit
from index.errors import ChidaoError


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="measure retrieval on an eval folder")
    p.add_argument("--eval", type=Path, default=Path("../shared/eval"), help="eval folder (default ../shared/eval)")
    p.add_argument("--all-modes", action="store_true",
                   help="also measure the lexical side alone, the dense side alone and plain BM25")
    p.add_argument("--misses", action="store_true", help="list questions whose gold is not in the top 5")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.cli.index_cmd import run_build
    from index.embed import load_encoder
    from index.evaluate import evaluate, format_report, load_questions, misses
    from index.search import Searcher

    s = settings_or_exit()
    docs = args.eval / "docs"
    if not docs.is_dir():
        raise ChidaoError(f"{docs} not found: an eval folder holds docs/ and questions.jsonl")
    questions = load_questions(args.eval)
    # The eval folder gets an index of its own, kept beside the main one and updated incrementally.
    tag = hashlib.sha1(str(docs.resolve()).encode()).hexdigest()[:10]
    index_dir = s.index_dir.parent / f"eval-index-{tag}"
    encoder = load_encoder(s.embedding_model, s.embedding_backend)
    run_build(docs, index_dir, s.embedding_model, s.budget, encoder=encoder)
    searcher = Searcher.open(index_dir, s.embedding_model, encoder)
    modes: list[tuple[str, ...]] = [("lexical", "dense")]
    if args.all_modes:
        modes += [("lexical",), ("dense",), ("bm25",)]
    reports = {"+".join(m) if len(m) == 1 else "hybrid": evaluate(searcher, questions, m) for m in modes}
    print(format_report(reports))
    if args.misses:
        print("\n".join(misses(reports["hybrid"], questions)))
    return 0
