"""Encoder backends side by side, in one process, interleaved: on a shared machine whose load changes from
minute to minute, each measurement alternates between the backends (`index.embed.BACKENDS`: torch, onnx,
torch-bf16) so that all see the same load.

    python bench/backends.py --index bench/.cache/index-100000-s20241-random-384 --queries 200 --passages 256

Measured, per backend (`index.embed.load_encoder(model, backend)`):
- model load time and the peak memory of a process that loads the model and encodes 64 passages
  (a child process per backend, one after the other);
- passages per second: the same chunks of synthetic passages (bench/index_bench.py's corpus), batches of 32
  sorted by length as a build does, the backends taking turns chunk by chunk (the order reversed every other
  chunk);
- hybrid `Searcher.search` latency on `--index` (one searcher, its encoder swapped before each question; the
  order of the backends alternates per question), and the question's encoding alone;
- `chidao eval`'s hybrid figures on ../shared/eval: an index built with each backend, searched with each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.index_bench import EVAL, make_corpus, make_queries, maxrss_mb  # noqa: E402
from bot.settings import DEFAULT_EMBEDDING_MODEL  # noqa: E402
from index.embed import BACKENDS, load_encoder  # noqa: E402


def child(model: str, backend: str, texts: list[str]) -> dict[str, Any]:
    t = time.perf_counter()
    enc = load_encoder(model, backend)
    load_s = time.perf_counter() - t
    rss_model = maxrss_mb()
    enc.embed(texts)
    return {"load_s": load_s, "rss_after_load_mb": rss_model, "peak_rss_mb": maxrss_mb()}


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs), p))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_EMBEDDING_MODEL)
    p.add_argument("--index", type=Path, help="index directory for the search latency (skipped without)")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--passages", type=int, default=256, help="passages encoded by each backend for throughput")
    p.add_argument("--no-eval", action="store_true")
    p.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    args = p.parse_args()

    texts = [t.read_text("utf-8").split("\n\n", 1)[1] for t in sorted(make_corpus(1000, 20241).glob("*.txt"))]
    paras = [line for t in texts for line in t.splitlines() if line.strip()][: max(args.passages, 64)]
    if args.child:
        print(json.dumps(child(args.model, args.child, paras[:64])))
        return 0

    report: dict[str, Any] = {"load_average_at_start": os.getloadavg(), "threads": os.environ.get("OMP_NUM_THREADS")}
    for b in BACKENDS:
        out = subprocess.run(
            [sys.executable, __file__, "--child", b, "--model", args.model], capture_output=True, text=True, check=True
        )
        report[f"{b}_process"] = json.loads(out.stdout.strip().splitlines()[-1])
        print(b, report[f"{b}_process"], os.getloadavg(), flush=True)

    encoders = {b: load_encoder(args.model, b) for b in BACKENDS}
    # Throughput: the same chunks (sorted by length, as a build batches them), alternating backends.
    paras = sorted(paras[: args.passages], key=len, reverse=True)
    spent = dict.fromkeys(BACKENDS, 0.0)
    for i, start in enumerate(range(0, len(paras), 32)):
        chunk = paras[start : start + 32]
        for b in BACKENDS if i % 2 == 0 else BACKENDS[::-1]:
            t = time.perf_counter()
            encoders[b].embed(chunk)
            spent[b] += time.perf_counter() - t
    report["passages_per_s"] = {b: len(paras) / spent[b] for b in BACKENDS}
    report["load_average_after_throughput"] = os.getloadavg()
    print("passages/s", report["passages_per_s"], os.getloadavg(), flush=True)

    if args.index:
        from index.search import Searcher
        from index.store import current_snapshot

        deadline = time.monotonic() + 1800
        while not (args.index / "CURRENT").is_file() and time.monotonic() < deadline:
            time.sleep(5)  # still being built by bench/index_bench.py
        t = time.perf_counter()
        searcher = Searcher(current_snapshot(args.index), encoders["onnx"])
        report["searcher_open_s"] = time.perf_counter() - t
        report["passages_in_index"] = searcher.passage_count
        queries = make_queries(args.queries, 20241)
        hybrid: dict[str, list[float]] = {b: [] for b in BACKENDS}
        encode: dict[str, list[float]] = {b: [] for b in BACKENDS}
        for q in queries[:10]:  # warm-up
            for b in BACKENDS:
                searcher.encoder = encoders[b]
                searcher.search(q, k=10)
        for i, q in enumerate(queries):
            for b in BACKENDS if i % 2 == 0 else BACKENDS[::-1]:
                searcher.encoder = encoders[b]
                t = time.perf_counter()
                searcher.search(q, k=10)
                hybrid[b].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                encoders[b].embed([q], kind="query")
                encode[b].append((time.perf_counter() - t) * 1000)
        report["hybrid_ms"] = {b: {"p50": pct(hybrid[b], 50), "p95": pct(hybrid[b], 95)} for b in BACKENDS}
        report["encoding_ms"] = {b: {"p50": pct(encode[b], 50), "p95": pct(encode[b], 95)} for b in BACKENDS}
        report["load_average_after_queries"] = os.getloadavg()
        print("hybrid", report["hybrid_ms"], "encoding", report["encoding_ms"], os.getloadavg(), flush=True)
        del searcher

    if not args.no_eval:
        from index.evaluate import evaluate, load_questions
        from index.search import Searcher
        from index.store import build_index, current_snapshot

        questions = load_questions(EVAL)
        report["eval_hybrid"] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for built in BACKENDS:
                index_dir = Path(tmp) / built
                build_index(EVAL / "docs", index_dir, encoders[built])
                for asked in BACKENDS:
                    s = Searcher(current_snapshot(index_dir), encoders[asked])
                    f = evaluate(s, questions).figures()
                    report["eval_hybrid"][f"built {built}, asked {asked}"] = {k: round(v, 4) for k, v in f.items()}
                    print(built, asked, report["eval_hybrid"][f"built {built}, asked {asked}"], flush=True)
    report["load_average_at_end"] = os.getloadavg()
    out_file = ROOT / "bench" / ".cache" / "backends.jsonl"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with out_file.open("a", encoding="utf-8") as f:
        f.write(json.dumps(report) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
