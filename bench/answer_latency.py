"""Query latency of `Searcher.search` on one index, and the share of it spent on the answerability
evidence (`index.evidence.features`, when the code has it).

Run it with two copies of the code on the same index to compare releases in one sitting, e.g.

    git archive 672612b | tar -x -C /tmp/before
    for code in /tmp/before $PWD $PWD /tmp/before; do
        PYTHONPATH=$code .venv/bin/python bench/answer_latency.py --index data/eval-index-XXXX --label $code
    done

The questions are those of an eval folder (default ../shared/eval), each searched `--repeat` times after one
warm-up pass; the encoder is the configured default model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--eval", type=Path, default=Path("../shared/eval"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--label", default="")
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions (0: all)")
    args = ap.parse_args()

    import index.search as search_mod
    from bot.settings import DEFAULT_EMBEDDING_MODEL
    from index.search import Searcher

    lines = (args.eval / "questions.jsonl").read_text("utf-8").splitlines()
    queries = [json.loads(x)["q"] for x in lines if x.strip()][: args.limit or None]
    searcher = Searcher.open(args.index, DEFAULT_EMBEDDING_MODEL)
    feature_ms: list[float] = []
    if hasattr(search_mod, "features"):
        inner = search_mod.features

        def timed(*a, **kw):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            out = inner(*a, **kw)
            feature_ms.append((time.perf_counter() - t) * 1000)
            return out

        search_mod.features = timed  # type: ignore[attr-defined]
    for q in queries[:10]:  # warm-up: model, caches
        searcher.search(q, k=10)
    feature_ms.clear()
    ms: list[float] = []
    for _ in range(args.repeat):
        for q in queries:
            t = time.perf_counter()
            searcher.search(q, k=10)
            ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    out = {
        "label": args.label,
        "queries": len(ms),
        "mean_ms": round(statistics.fmean(ms), 2),
        "p50_ms": round(ms[len(ms) // 2], 2),
        "p95_ms": round(ms[int(len(ms) * 0.95)], 2),
    }
    if feature_ms:
        out["features_mean_ms"] = round(statistics.fmean(feature_ms), 2)
        out["features_p95_ms"] = round(sorted(feature_ms)[int(len(feature_ms) * 0.95)], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
