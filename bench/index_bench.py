"""Index benchmark: build throughput, no-change rebuild, query latency and memory at scale.

A synthetic corpus of N passages is made by recombining the sentences of the shipped corpus
(deterministic seed): N / 50 documents of 50 paragraphs, each with a header block (title, date,
issuing body) taken from the shipped documents. Everything is cached under bench/.cache/, so a re-run
reuses the corpus and the built index.

    python bench/index_bench.py --passages 10000                 # real model end to end
    python bench/index_bench.py --passages 100000 --vectors random

`--vectors random` fills the index with deterministic random unit vectors of the real model's dimension
instead of encoding 100k passages (hours on 2 CPU cores). Everything else is real: reading, hashing,
BM25, snapshot writing, and at query time the real model encodes each question; a FAISS flat search
costs the same whatever the vectors hold. The full build time at that size is then
(measured build time without encoding) + N / (encoding throughput measured with the real model).

Query latency is measured in a child process so that its peak memory is the searcher's own.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import io
import json
import os
import platform
import pstats
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import DEFAULT_EMBEDDING_MODEL  # noqa: E402
from index.documents import read_document  # noqa: E402
from index.embed import BACKENDS, DEFAULT_BACKEND  # noqa: E402
from index.store import build_index, corpus_files, current_snapshot  # noqa: E402
from index.text import fold, split_sentences  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SHIPPED = ROOT / "corpus"
EVAL = ROOT.parent / "shared" / "eval"  # the project's eval set, beside the worktree (../shared/eval)
PARAS_PER_DOC = 50


def maxrss_mb() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss it is not inherited over exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


class RandomEncoder:
    """Stand-in for the real model when filling a large index: a unit vector per text, seeded by its hash."""

    def __init__(self, dim: int, name: str) -> None:
        self.dim = dim
        self.name = name
        self.calls: list[int] = []

    def embed(
        self, texts: list[str], *, kind: str = "passage", batch_size: int = 32, progress: Any = None
    ) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.empty((len(texts), self.dim), dtype="float32")
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype("float32")
            out[i] = v / np.linalg.norm(v)
        if progress:
            progress(len(texts))
        return out


class TimedEncoder:
    """Wraps the real encoder to time the encoding part of a build."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self.count = 0

    def embed(self, texts: list[str], **kw: Any) -> np.ndarray:
        t = time.perf_counter()
        out = self.inner.embed(texts, **kw)
        self.seconds += time.perf_counter() - t
        self.count += len(texts)
        return out


# ---------------------------------------------------------------------------------------------
# the synthetic corpus


def shipped_material() -> tuple[list[tuple[str, str | None]], list[str], list[int]]:
    """(title, agency) pairs, all sentences, and the sentence count of each real paragraph."""
    heads: list[tuple[str, str | None]] = []
    sentences: list[str] = []
    shape: list[int] = []
    for path in corpus_files(SHIPPED):
        doc = read_document(path, SHIPPED)
        heads.append((doc.title, doc.agency))
        for para in doc.paragraphs:
            ss = split_sentences(para)
            sentences.extend(ss)
            shape.append(len(ss))
    return heads, sentences, shape


def make_corpus(passages: int, seed: int) -> Path:
    docs = max(1, passages // PARAS_PER_DOC)
    out = CACHE / f"corpus-{passages}-s{seed}"
    done = out / ".complete"
    if done.is_file():
        return out
    heads, sentences, shape = shipped_material()
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    left = passages
    for d in range(docs):
        n_paras = left if d == docs - 1 else min(PARAS_PER_DOC, left)
        left -= n_paras
        title, agency = rng.choice(heads)
        date = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365))
        paras: list[str] = []
        seen: set[str] = set()
        while len(paras) < n_paras:
            p = " ".join(rng.choice(sentences) for _ in range(rng.choice(shape)))
            if p not in seen:  # paragraphs of one document differ (one passage each)
                seen.add(p)
                paras.append(p)
        header = f"{title} (văn bản {d + 1})\nNgày: {date:%d/%m/%Y}\nCơ quan: {agency or 'Văn phòng Tỉnh ủy'}\n\n"
        (out / f"doc_{d:05d}.txt").write_text(header + "\n".join(paras) + "\n", encoding="utf-8")
    done.write_text("ok", encoding="utf-8")
    return out


def make_queries(n: int, seed: int) -> list[str]:
    """Eval questions cycled, interleaved with sentence fragments (half of them without diacritics)."""
    lines = (EVAL / "questions.jsonl").read_text("utf-8").splitlines()
    questions = [json.loads(line)["q"] for line in lines if line.strip()]
    _, sentences, _ = shipped_material()
    rng = random.Random(seed + 1)
    out: list[str] = []
    for i in range(n):
        if i % 2 == 0:
            out.append(questions[(i // 2) % len(questions)])
        else:
            ws = rng.choice(sentences).split()
            k = rng.randint(3, 8)
            start = rng.randrange(max(1, len(ws) - k))
            frag = " ".join(ws[start : start + k])
            out.append(fold(frag).lower() if rng.random() < 0.5 else frag)
    return out


# ---------------------------------------------------------------------------------------------
# build phase (this process)


def build_phase(args: argparse.Namespace, corpus: Path, index_dir: Path) -> dict[str, Any]:
    from index.embed import load_encoder

    result_file = index_dir.parent / f"{index_dir.name}.build.json"
    t = time.perf_counter()
    real = load_encoder(args.model, args.backend)
    load_s = time.perf_counter() - t
    if args.vectors == "random":
        encoder: Any = TimedEncoder(RandomEncoder(real.dim, f"bench-random-{real.dim}"))
    else:
        encoder = TimedEncoder(real)

    result: dict[str, Any] = {}
    if result_file.is_file() and (index_dir / "CURRENT").is_file():
        result = json.loads(result_file.read_text("utf-8"))
        result["full_build_cached"] = True
        print(f"full build: cached ({result_file.name})", flush=True)
    else:
        rss0 = maxrss_mb()
        t = time.perf_counter()
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 30:
                last[0] = now
                print(f"  {stage} {done}/{total} ({now - t:.0f} s)", flush=True)

        summary = build_index(corpus, index_dir, encoder, progress=progress)
        seconds = time.perf_counter() - t
        result = {
            "passages": summary.passages,
            "documents": summary.documents,
            "full_build_s": seconds,
            "encode_s": encoder.seconds,
            "encoded": encoder.count,
            "non_encode_s": seconds - encoder.seconds,
            "build_maxrss_mb": maxrss_mb(),
            "rss_before_build_mb": rss0,
            "vectors": args.vectors,
            "model": args.model,
            "backend": args.backend,
        }
        if args.vectors == "model":
            result["encode_passages_per_s"] = encoder.count / encoder.seconds
        result["passages_per_s"] = summary.passages / seconds
        result_file.write_text(json.dumps(result, indent=1), "utf-8")
        print(f"full build: {summary.line()}", flush=True)
    result["model_load_s"] = load_s
    result.update(ensure_graph(index_dir))

    # no-change rebuild: measured every run, several times
    times = []
    for _ in range(args.rebuilds):
        encoder.count = 0
        t = time.perf_counter()
        s = build_index(corpus, index_dir, encoder)
        times.append(time.perf_counter() - t)
        assert s.snapshot is None and encoder.count == 0, "an unchanged corpus must write nothing"
    result["nochange_rebuild_s"] = sorted(times)[len(times) // 2]
    result["nochange_rebuild_all_s"] = times
    return result


def ensure_graph(index_dir: Path) -> dict[str, Any]:
    """A cached snapshot written before large indexes were HNSW graphs gets its graph now, as a build
    with this version writes it (index.store -> index.dense.vector_index); the time is reported."""
    import faiss

    from index.dense import ANN_ABOVE, read_vectors, vector_index

    path = current_snapshot(index_dir) / "vectors.faiss"
    index, vectors = read_vectors(path)
    if len(vectors) <= ANN_ABOVE or isinstance(index, faiss.IndexHNSW):
        return {}
    t = time.perf_counter()
    graph = vector_index(vectors, vectors.shape[1])
    seconds = time.perf_counter() - t
    tmp = path.with_suffix(".tmp")
    faiss.write_index(graph, str(tmp))
    os.replace(tmp, path)
    print(f"HNSW graph written into the cached snapshot in {seconds:.1f} s", flush=True)
    return {"hnsw_build_s": seconds}


# ---------------------------------------------------------------------------------------------
# query phase (child process)


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs), p))


def eval_figures(encoder: Any) -> dict[str, float]:
    """`chidao eval`'s hybrid figures on the project's eval set (../shared/eval), with `encoder`."""
    import tempfile

    from index.evaluate import evaluate, load_questions
    from index.search import Searcher

    with tempfile.TemporaryDirectory() as tmp:
        build_index(EVAL / "docs", Path(tmp) / "index", encoder)
        searcher = Searcher(current_snapshot(Path(tmp) / "index"), encoder)
        return evaluate(searcher, load_questions(EVAL)).figures()


def query_phase(args: argparse.Namespace, index_dir: Path) -> dict[str, Any]:
    from index.embed import load_encoder
    from index.search import Searcher, Tuning

    rss_start = maxrss_mb()
    t = time.perf_counter()
    encoder = load_encoder(args.model, args.backend)
    model_load_s = time.perf_counter() - t
    rss_model = maxrss_mb()
    t = time.perf_counter()
    # Opened directly: with --vectors random the manifest names the stand-in, the questions use the model.
    open_prof = cProfile.Profile() if args.profile else None
    if open_prof:
        open_prof.enable()
    searcher = Searcher(current_snapshot(index_dir), encoder)
    if open_prof:
        open_prof.disable()
    open_s = time.perf_counter() - t
    rss_searcher = maxrss_mb()
    queries = make_queries(args.queries, args.seed)
    for q in queries[:20]:  # warm-up
        searcher.search(q, k=10)

    def timed(fn: Any) -> list[float]:
        out = []
        for q in queries:
            t0 = time.perf_counter()
            fn(q)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    qvecs = {}

    def encode(q: str) -> None:
        qvecs[q] = encoder.embed([searcher.understand(q)[1]], kind="query")

    from index.tokens import analyse

    bm25 = searcher.lexical.bm25

    def bm25_alone(q: str) -> None:
        toks = [t for t in analyse(q).all() if t in searcher.lexical.vocab]
        if toks:
            bm25.retrieve([toks], k=10, show_progress=False, n_threads=1)

    import faiss

    flat = faiss.read_index(str(searcher.snapshot / "vectors.faiss"))  # flat, or HNSW above 20k passages

    def faiss_alone(q: str) -> None:
        flat.search(qvecs[q], 10)

    res: dict[str, Any] = {
        "backend": args.backend,
        "model_load_s": model_load_s,
        "queries": len(queries),
        "open_s": open_s,
        "encoder_threads": os.environ.get("OMP_NUM_THREADS", "one per core"),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "search_py_sha1": hashlib.sha1((ROOT / "index" / "search.py").read_bytes()).hexdigest()[:10],
    }
    for q in queries[:20]:
        searcher.search(q, k=10)
    # The same index scored exactly (every passage), for the candidates' cost and agreement.
    exact = None if searcher.dense.exact else Searcher(current_snapshot(index_dir), encoder, Tuning(ann_above=10**9))
    if exact is not None:
        same_top = same_answerable = 0
        overlap = []
        for q in queries:
            a, b = exact.search(q, k=10), searcher.search(q, k=10)
            same_top += a.hits[0].passage == b.hits[0].passage
            same_answerable += a.answerable == b.answerable
            overlap.append(len({h.passage for h in a.hits} & {h.passage for h in b.hits}) / len(a.hits))
        res["candidates_vs_exact"] = {
            "same_top1": same_top / len(queries),
            "same_answerable": same_answerable / len(queries),
            "top10_overlap_mean": float(np.mean(overlap)),
        }
    lat = {
        "hybrid": timed(lambda q: searcher.search(q, k=10)),
        "hybrid_lexical_only": timed(lambda q: searcher.search(q, k=10, modes=("lexical",))),
        **({"hybrid_exact_dense": timed(lambda q: exact.search(q, k=10))} if exact is not None else {}),
        "query_encoding": timed(encode),
        "bm25s_alone": timed(bm25_alone),
        "faiss_alone": timed(faiss_alone),
    }
    for name, xs in lat.items():
        res[name] = {"p50_ms": pct(xs, 50), "p95_ms": pct(xs, 95), "mean_ms": float(np.mean(xs))}
    res["rss_start_mb"] = rss_start
    res["rss_after_model_mb"] = rss_model
    res["rss_after_searcher_mb"] = rss_searcher
    res["query_maxrss_mb"] = maxrss_mb()
    if args.eval:
        t = time.perf_counter()
        res["eval_hybrid"] = eval_figures(encoder)
        res["eval_s"] = time.perf_counter() - t
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for q in queries[:200]:
            searcher.search(q, k=10)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(18)
        res["profile_top"] = buf.getvalue()
    if open_prof:
        buf = io.StringIO()
        pstats.Stats(open_prof, stream=buf).sort_stats("cumtime").print_stats(25)
        res["profile_top"] = res.get("profile_top", "") + "\n== Searcher() open\n" + buf.getvalue()
    return res


# ---------------------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--passages", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--seed", type=int, default=20241)
    p.add_argument("--model", default=os.environ.get("CHIDAO_EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL))
    p.add_argument("--backend", default=os.environ.get("CHIDAO_EMBEDDING_BACKEND") or DEFAULT_BACKEND,
                   choices=BACKENDS, help="the encoder backend (vectors agree across backends: one cached index)")
    p.add_argument("--index-backend", choices=BACKENDS, default=None,
                   help="query the index built by this backend (default: --backend); the build is then cached")
    p.add_argument("--vectors", choices=["model", "random"], default="model",
                   help="fill the index with the real model's vectors or with random stand-ins (see above)")
    p.add_argument("--rebuilds", type=int, default=3, help="no-change rebuilds to time (median reported)")
    p.add_argument("--profile", action="store_true", help="cProfile 200 hybrid queries")
    p.add_argument("--query-threads", type=int, default=0,
                   help="OMP_NUM_THREADS for the query process: the encoder's threads (0: one per core)")
    p.add_argument("--eval", action="store_true", help="also chidao eval's hybrid figures with this backend")
    p.add_argument("--blas-threads", type=int, default=0,
                   help="OPENBLAS_NUM_THREADS for the query process (0: numpy's default, one per core)")
    p.add_argument("--skip-queries", action="store_true")
    p.add_argument("--query-only", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = p.parse_args()

    corpus = make_corpus(args.passages, args.seed)
    # Random stand-in vectors do not depend on the model (only on its dimension, 384 for the models in
    # use), so that index is shared by every model; the questions are still encoded by --model.
    # Real vectors agree across backends (tests/test_embed.py), so one backend's index is queried by the others.
    built_by = args.index_backend or args.backend
    tag = f"model-{args.model.replace('/', '_')}-{built_by}" if args.vectors == "model" else "random-384"
    index_dir = CACHE / f"index-{args.passages}-s{args.seed}-{tag}"

    if args.query_only:
        print(json.dumps(query_phase(args, index_dir)))
        return 0

    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPU, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(),
        "passages_requested": args.passages,
    }
    print(f"corpus: {corpus} ({len(list(corpus.glob('*.txt')))} files)", flush=True)
    report["build"] = build_phase(args, corpus, index_dir)
    b = report["build"]
    if args.vectors == "random" and b.get("non_encode_s") is not None:
        report["note"] = "vectors are random stand-ins; full build time with the model = non_encode_s + N / encode rate"
    report["nochange_ratio"] = b["nochange_rebuild_s"] / b["full_build_s"]
    print(json.dumps(report, indent=1), flush=True)

    if not args.skip_queries:
        cmd = [sys.executable, __file__, "--query-only", "--passages", str(args.passages), "--seed", str(args.seed),
               "--index-backend", built_by,
               "--queries", str(args.queries), "--model", args.model, "--vectors", args.vectors,
               "--backend", args.backend]
        if args.profile:
            cmd.append("--profile")
        if args.eval:
            cmd.append("--eval")
        env = dict(os.environ)
        if args.query_threads:
            env["OMP_NUM_THREADS"] = str(args.query_threads)
        if args.blas_threads:
            env["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
        report["blas_threads"] = args.blas_threads or "default"
        report["load_average_before_queries"] = os.getloadavg()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        report["query"] = json.loads(out.stdout.strip().splitlines()[-1])
        prof = report["query"].pop("profile_top", None)
        print(json.dumps(report["query"], indent=1))
        if prof:
            print(prof)
    report["load_average_at_end"] = os.getloadavg()
    results = CACHE / "results.jsonl"
    with results.open("a", encoding="utf-8") as f:
        f.write(json.dumps(report) + "\n")
    print(f"appended to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
