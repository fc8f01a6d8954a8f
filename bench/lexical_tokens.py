"""Which tokens the lexical side should index: folded syllables, syllable bigrams, pyvi words.

    pip install -e '.[bench]'          # pyvi
    python bench/lexical_tokens.py [--eval DIR]

Plain BM25 (bm25s, k1 1.2, b 0.75) over the eval documents, one passage per paragraph, nothing else
(no titles, no fusion), so only the tokens differ. pyvi segments words from diacritics, so a question
typed without them is first given its diacritics back from the corpus (`Vocab.restore`, as the dense
side does); its multi-syllable words are indexed folded (`can_bo`). Prints Recall@5 and MRR@10 over the
non-negative questions, overall and for the questions typed without diacritics, and the time to
analyse one passage. Figures in docs/RETRIEVAL.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.documents import read_document  # noqa: E402
from index.text import fold, has_diacritics  # noqa: E402
from index.tokens import analyse  # noqa: E402
from index.vocab import Vocab, build_vocab  # noqa: E402

DEFAULT_EVAL = Path(os.environ.get("CHIDAO_EVAL_DIR", "/work/shared/eval"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    args = p.parse_args()
    try:
        from pyvi import ViTokenizer
    except ImportError:
        print("pyvi is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    docs_dir = args.eval / "docs"
    docs = [read_document(f, docs_dir) for f in sorted(docs_dir.glob("*.txt"))]
    paras = [para for d in docs for para in d.paragraphs]
    vocab = Vocab(build_vocab(docs))  # the corpus's words, to restore diacritics as the dense side does
    questions = [json.loads(x) for x in (args.eval / "questions.jsonl").read_text("utf-8").splitlines() if x.strip()]
    questions = [q for q in questions if q["gold"]]

    def pyvi_words(text: str, query: bool) -> list[str]:
        if query:
            text = vocab.expand_acronyms(text)
            text = text if has_diacritics(text) else vocab.restore(text)
        segmented = ViTokenizer.tokenize(text)
        return [fold(w).lower() for w in re.findall(r"\w+", segmented) if "_" in w]

    variants: dict[str, Callable[[str, bool], list[str]]] = {
        "syllables": lambda t, q: list(analyse(t).unigrams),
        "syllables + bigrams (shipped)": lambda t, q: [*analyse(t).unigrams, *analyse(t).bigrams],
        "syllables + pyvi words": lambda t, q: [*analyse(t).unigrams, *pyvi_words(t, q)],
        "syllables + bigrams + pyvi words": lambda t, q: [*analyse(t).unigrams, *analyse(t).bigrams,
                                                          *pyvi_words(t, q)],
    }  # fmt: skip
    print(f"{len(paras)} passages, {len(questions)} questions")
    print(f"{'tokens':36}{'R@5':>8}{'MRR@10':>8}{'R@5 nodiac':>12}{'ms/passage':>12}")
    for name, tok in variants.items():
        t0 = time.perf_counter()
        corpus_tokens = [tok(x, False) or [""] for x in paras]
        per_passage = (time.perf_counter() - t0) / len(paras) * 1000
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index(corpus_tokens, show_progress=False)
        r5: dict[str, list[float]] = {"all": [], "nodiacritics": []}
        rr = []
        for q in questions:
            toks = [x for x in tok(q["q"], True) if x in bm25.vocab_dict]
            scores = bm25.get_scores(toks) if toks else np.zeros(len(paras))
            top = [paras[i] for i in np.argsort(-scores, kind="stable")[:10]]
            ranks = [next((i + 1 for i, x in enumerate(top) if g["span"] in x), None) for g in q["gold"]]
            hit5 = sum(1 for r in ranks if r and r <= 5) / len(ranks)
            r5["all"].append(hit5)
            if q["kind"] == "nodiacritics":
                r5["nodiacritics"].append(hit5)
            found = [r for r in ranks if r]
            rr.append(1 / min(found) if found else 0.0)
        print(f"{name:36}{np.mean(r5['all']):>8.3f}{np.mean(rr):>8.3f}{np.mean(r5['nodiacritics']):>12.3f}"
              f"{per_passage:>12.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
