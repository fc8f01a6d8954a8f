"""Answering a question: hybrid lexical + dense retrieval tuned for this genre, with abstention.

The score of a passage mixes, each normalised per query:
- BM25 over the passage's analysed tokens (folded syllables, bigrams, document numbers, periods);
- BM25 over its document's title, issuing body and date (province, quarter, kind of document);
- cosine similarity of the question (diacritics restored, acronyms read) and the passage with its title;
- a little of the best neighbouring paragraph (a question often spans two adjacent paragraphs).
Whether the best passage is good enough is decided on how much of the question's weight it covers and
on its dense similarity (see `Tuning`), calibrated on the eval set (docs/RETRIEVAL.md).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import IndexCorrupt, ModelMismatch
from index.lexical import LexicalIndex
from index.model import Answer, DocMeta, Document, Hit, Passage
from index.store import current_snapshot, doc_from_json, read_manifest
from index.text import fold, has_diacritics
from index.tokens import analyse
from index.vocab import Vocab


@dataclass(frozen=True)
class Tuning:
    w_passage: float = 1.0
    w_doc: float = 0.35
    w_dense: float = 0.6
    w_neighbour: float = 0.15
    # Abstain unless the best passage (with its title) covers this share of the question's IDF weight,
    # or its dense similarity is high on its own.
    min_coverage: float = 0.45
    dense_alone: float = 0.80


DEFAULT_TUNING = Tuning()
_STOP = frozenset(
    "la cua va cac nhung co khong gi nao bao nhieu khi may thi o tai voi cho de duoc da se dang "
    "ai vay a ha nhe oi roi sao the nay do phai can".split()
)


class Searcher:
    """A loaded index snapshot. Thread-safe for concurrent `search` calls."""

    def __init__(self, snapshot: Path, encoder: Any | None, tuning: Tuning = DEFAULT_TUNING) -> None:
        self.snapshot = snapshot
        self.manifest = read_manifest(snapshot)
        self.tuning = tuning
        self.encoder = encoder
        try:
            self.docs: list[Document] = [
                doc_from_json(d) for d in json.loads((snapshot / "docs.json").read_text("utf-8"))
            ]
            rows = json.loads((snapshot / "passages.json").read_text("utf-8"))
            self.vocab = Vocab(json.loads((snapshot / "vocab.json").read_text("utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorrupt(f"index snapshot {snapshot} is damaged: {exc}") from None
        self.passages = [Passage(self.docs[d].path, para, part, text) for d, para, part, text in rows]
        self.passage_doc = np.array([d for d, *_ in rows], dtype="int64")
        self.by_path = {d.path: i for i, d in enumerate(self.docs)}
        self.meta = [DocMeta(d.path, d.title, d.date, d.agency, len(d.paragraphs)) for d in self.docs]
        self.lexical = LexicalIndex(snapshot / "bm25")
        self.doc_lexical = LexicalIndex(snapshot / "bm25_docs")
        if self.lexical.n != max(len(self.passages), 1):
            raise IndexCorrupt(f"index snapshot {snapshot}: BM25 and passages disagree")
        import faiss

        index = faiss.read_index(str(snapshot / "vectors.faiss"))
        self.vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), "float32")
        if len(self.vectors) != len(self.passages):
            raise IndexCorrupt(f"index snapshot {snapshot}: vectors and passages disagree")
        # neighbour[i] = index of passage i-1 / i+1 within the same document, or -1
        same_prev = np.r_[False, self.passage_doc[1:] == self.passage_doc[:-1]]
        self.prev_idx = np.where(same_prev, np.arange(len(self.passages)) - 1, -1)
        same_next = np.r_[self.passage_doc[:-1] == self.passage_doc[1:], False]
        self.next_idx = np.where(same_next, np.arange(len(self.passages)) + 1, -1)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: Path, model_name: str, encoder: Any | None = None, *, load_model: bool = True,
             tuning: Tuning = DEFAULT_TUNING) -> Searcher:
        snapshot = current_snapshot(Path(index_dir))
        manifest = read_manifest(snapshot)
        if manifest.get("model") != model_name:
            raise ModelMismatch(
                f"index {index_dir} was built with model {manifest.get('model')!r}, "
                f"the configured model is {model_name!r}: rebuild with `chidao index build`"
            )
        if encoder is None and load_model:
            from index.embed import load_encoder

            encoder = load_encoder(model_name)
        return cls(snapshot, encoder, tuning)

    @property
    def passage_count(self) -> int:
        return len(self.passages)

    def documents(self) -> list[DocMeta]:
        return list(self.meta)

    def context(self, doc: str, paragraph: int, window: int = 1) -> list[tuple[int, str]]:
        d = self.docs[self.by_path[doc]]
        lo, hi = max(1, paragraph - window), min(len(d.paragraphs), paragraph + window)
        return [(n, d.paragraphs[n - 1]) for n in range(lo, hi + 1)]

    # -- the query -------------------------------------------------------------------------------
    def understand(self, query: str) -> tuple[str, str]:
        """(lexical text, dense text): acronyms read for both, diacritics restored for the dense side."""
        lexical = self.vocab.expand_acronyms(query)
        dense = lexical if has_diacritics(query) else self.vocab.restore(lexical)
        return lexical, dense

    def scores(self, query: str, modes: tuple[str, ...] = ("lexical", "dense")) -> tuple[np.ndarray, dict[str, Any]]:
        t = self.tuning
        lex_text, dense_text = self.understand(query)
        an = analyse(lex_text)
        tokens = an.all()
        n = len(self.passages)
        total = np.zeros(n, dtype="float32")
        info: dict[str, Any] = {"tokens": an}
        if "lexical" in modes:
            s = self.lexical.scores(tokens)
            if s.max() > 0:
                s = s / s.max()
            d = self.doc_lexical.scores(tokens)
            if d.max() > 0:
                d = d / d.max()
            lex = t.w_passage * s + t.w_doc * d[self.passage_doc]
            total += lex
            info["bm25"] = s
        dense = np.zeros(n, dtype="float32")
        if "dense" in modes and self.encoder is not None and n:
            qv = self.encoder.embed([dense_text], kind="query")[0]
            dense = self.vectors @ qv
            w = t.w_dense if "lexical" in modes else 1.0
            spread = float(dense.max() - np.median(dense)) or 1.0
            total += w * (dense - np.median(dense)) / spread
        info["dense"] = dense
        # neighbour bonus: the best adjacent passage of the same document
        nb = np.maximum(
            np.where(self.prev_idx >= 0, total[np.clip(self.prev_idx, 0, None)], 0),
            np.where(self.next_idx >= 0, total[np.clip(self.next_idx, 0, None)], 0),
        )
        total = total + t.w_neighbour * nb
        return total, info

    def coverage(self, an: Any, idx: int) -> float:
        """Share of the question's IDF weight (content words) found in the passage or its title."""
        words = [w for w in dict.fromkeys(an.unigrams) if w not in _STOP and not w.isdigit()]
        words += list(dict.fromkeys(an.symbols))
        if not words:
            return 0.0
        doc_i = int(self.passage_doc[idx])
        have = 0.0
        total = 0.0
        for w in words:
            idf = self.lexical.idf(w)
            total += idf
            if idx in set(self.lexical.containing(w).tolist()) or doc_i in set(self.doc_lexical.containing(w).tolist()):
                have += idf
        return have / total if total else 0.0

    def search(self, query: str, k: int = 10, modes: tuple[str, ...] = ("lexical", "dense")) -> Answer:
        query = " ".join(query.split())
        if not query or not self.passages:
            return Answer(query, False, ())
        total, info = self.scores(query, modes)
        order = np.argsort(-total, kind="stable")[:k]
        an = info["tokens"]
        best = int(order[0])
        cov = self.coverage(an, best)
        dense_best = float(info["dense"][best])
        answerable = bool(total[best] > 0) and (cov >= self.tuning.min_coverage or dense_best >= self.tuning.dense_alone)
        matched = self._matched_terms(an)
        hits = tuple(
            Hit(self.passages[i], self.meta[int(self.passage_doc[i])], float(total[i]), matched) for i in order
        )
        return Answer(query, answerable, hits)

    def _matched_terms(self, an: Any) -> tuple[str, ...]:
        """Folded query words worth highlighting (content words only)."""
        return tuple(w for w in dict.fromkeys(an.unigrams) if w not in _STOP and len(w) > 1)


class IndexHandle:
    """Holds the live Searcher; `reload` swaps in a newly built snapshot without stopping readers."""

    def __init__(self, index_dir: Path, model_name: str, encoder_factory: Callable[[], Any] | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.model_name = model_name
        self._encoder: Any | None = None
        self._encoder_factory = encoder_factory
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            if self._encoder_factory is not None:
                self._encoder = self._encoder_factory()
            else:
                from index.embed import load_encoder

                self._encoder = load_encoder(self.model_name)
        return self._encoder

    @property
    def searcher(self) -> Searcher:
        s = self._searcher
        if s is None:
            s = self.reload()
        return s

    def reload(self) -> Searcher:
        with self._lock:
            fresh = Searcher.open(self.index_dir, self.model_name, self.encoder)
            self._searcher = fresh
            return fresh


def folded_words(text: str) -> set[str]:
    return set(fold(text).lower().split())
