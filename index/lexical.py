"""The lexical side: bm25s over analysed tokens of passages, and of document metadata (title, issuing
body, date), which are scored separately and mixed in by the searcher."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from index.errors import IndexCorrupt
from index.model import Document
from index.tokens import analyse

logging.getLogger("bm25s").setLevel(logging.WARNING)


def meta_text(doc: Document) -> str:
    parts = [doc.title, doc.agency or ""]
    if doc.number:
        parts.append(f"số {doc.number}")  # "215-KL/TU" gives the symbol #kl215 (index/tokens.py)
    if doc.date:
        q = (doc.date.month - 1) // 3 + 1
        parts.append(f"ngày {doc.date.day} tháng {doc.date.month} năm {doc.date.year} quý {q}/{doc.date.year}")
    return " . ".join(parts)


def _bm25(token_lists: list[list[str]]) -> bm25s.BM25:
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(token_lists, show_progress=False)
    return retriever


def build_lexical(snapshot: Path, docs: list[Document], passages: list[tuple[int, Any]]) -> None:
    passage_tokens = [analyse(p.text).all() for _, p in passages]
    _bm25(passage_tokens or [[""]]).save(str(snapshot / "bm25"), show_progress=False)
    doc_tokens = [analyse(meta_text(d)).all() for d in docs]
    _bm25(doc_tokens or [[""]]).save(str(snapshot / "bm25_docs"), show_progress=False)
    from index.vocab import build_vocab

    (snapshot / "vocab.json").write_text(json.dumps(build_vocab(docs), ensure_ascii=False), "utf-8")


class LexicalIndex:
    """bm25s scores plus, for abstention, which query tokens a passage contains."""

    def __init__(self, path: Path) -> None:
        """Load the bm25s arrays at `path`; IndexCorrupt when they are missing or damaged."""
        try:
            self.bm25 = bm25s.BM25.load(str(path), mmap=False, show_progress=False, verbosity=0)
            self.vocab: dict[str, int] = dict(self.bm25.vocab_dict)
            self.n = int(self.bm25.scores["num_docs"])
            indptr = np.asarray(self.bm25.scores["indptr"])
            indices = np.asarray(self.bm25.scores["indices"])
            if len(indptr) not in (len(self.vocab), len(self.vocab) + 1) or int(indptr[-1]) != len(indices):
                raise ValueError("arrays of different lengths")
            if not _postings_sorted(indptr, indices):  # bm25s writes them so; `has` relies on it
                raise ValueError("passage indices not in order within a token")
        except Exception as exc:  # noqa: BLE001 - numpy, json and bm25s raise many types on damaged files
            raise IndexCorrupt(f"BM25 index {path.name} damaged or missing ({type(exc).__name__}: {exc})") from None
        self._df = np.diff(indptr)

    def scores(self, tokens: list[str]) -> np.ndarray:
        known = [t for t in tokens if t in self.vocab]
        if not known:
            return np.zeros(self.n, dtype="float32")
        return np.asarray(self.bm25.get_scores(known), dtype="float32")

    def idf(self, token: str) -> float:
        tid = self.vocab.get(token)
        df = 0 if tid is None else int(self._df[tid])
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def containing(self, token: str) -> np.ndarray:
        """Indices of the passages that contain `token`, in increasing order."""
        tid = self.vocab.get(token)
        if tid is None:
            return np.zeros(0, dtype="int64")
        s = self.bm25.scores
        return np.asarray(s["indices"][s["indptr"][tid] : s["indptr"][tid + 1]])

    def has(self, token: str, passages: np.ndarray | int) -> bool:
        """Whether one of `passages` contains `token` (a binary search in its postings, not a scan: a
        common token's postings run to a large share of the corpus)."""
        post = self.containing(token)
        want = np.atleast_1d(passages)
        pos = np.searchsorted(post, want)
        return bool(np.any(post[np.minimum(pos, len(post) - 1)] == want)) if len(post) else False

    def has_between(self, token: str, lo: int, hi: int) -> bool:
        """Whether a passage with index in [lo, hi) contains `token`."""
        post = self.containing(token)
        return bool(np.searchsorted(post, lo) < np.searchsorted(post, hi))


def _postings_sorted(indptr: np.ndarray, indices: np.ndarray) -> bool:
    """Whether the passage indices of every token are strictly increasing."""
    if len(indices) < 2:
        return True
    ok = indices[1:] > indices[:-1]  # (not np.diff of an int64 copy: ~3 ms instead of ~250 ms at 7M postings)
    bounds = indptr[1:-1].astype("int64") - 1  # the last entry of one token before the first of the next
    ok[bounds[(bounds >= 0) & (bounds < len(ok))]] = True
    return bool(ok.all())
