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
        """Indices of the passages that contain `token`."""
        tid = self.vocab.get(token)
        if tid is None:
            return np.zeros(0, dtype="int64")
        s = self.bm25.scores
        return np.asarray(s["indices"][s["indptr"][tid] : s["indptr"][tid + 1]])
