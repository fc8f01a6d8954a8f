"""The dense side's vectors on disk and at query time.

Up to `ANN_ABOVE` passages the FAISS file is a flat inner-product index and every passage is scored
exactly for every question (about 1 ms per 10,000 passages). Above it the file is an HNSW graph over
the same vectors: a question then scores exactly only its candidates (the best passages of the
lexical side and the graph's nearest neighbours), which keeps a 100,000-passage index well under the
latency budget (docs/BENCHMARKS.md). Either file holds every vector, so an incremental build reuses
them whichever kind it is.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ANN_ABOVE = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256
MEDIAN_SAMPLE = 4096


def vector_index(vectors: np.ndarray, dim: int, ann_above: int = ANN_ABOVE) -> Any:
    """A FAISS index over `vectors` (L2-normalised rows): flat, or HNSW above `ann_above` rows."""
    import faiss

    index: Any
    if len(vectors) > ann_above:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype="float32"))
    return index


def read_vectors(path: Path) -> tuple[Any, np.ndarray]:
    """(the FAISS index, all its vectors as a float32 matrix)."""
    import faiss

    index = faiss.read_index(str(path))
    mat = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), "float32")
    return index, mat


class DenseSide:
    """Cosine scores of a question against the passages, exactly for all of them or for candidates."""

    def __init__(self, index: Any, vectors: np.ndarray, ann_above: int = ANN_ABOVE) -> None:
        import faiss

        self.vectors = vectors
        self.n = len(vectors)
        self.ann: Any | None = None
        if self.n > ann_above:
            if isinstance(index, faiss.IndexHNSW):
                self.ann = index
            else:  # a snapshot written before HNSW was used, or with another threshold
                log.info("building an HNSW graph over %d vectors (the snapshot holds a flat index)", self.n)
                self.ann = vector_index(vectors, vectors.shape[1], ann_above)
            self.ann.hnsw.efSearch = HNSW_EF_SEARCH
        # The median similarity, used to normalise scores per question, is estimated on a fixed,
        # evenly spread sample when the index is large.
        step = max(1, self.n // MEDIAN_SAMPLE)
        # (a copy: a strided view makes every product with it several times slower)
        self.sample = np.ascontiguousarray(self.vectors[::step]) if self.ann is not None else self.vectors

    @property
    def exact(self) -> bool:
        return self.ann is None

    def nearest(self, qv: np.ndarray, k: int) -> np.ndarray:
        """Indices of (about) the `k` passages nearest to the question vector (ANN indexes only)."""
        if self.ann is None:
            raise RuntimeError("nearest() is for the approximate index; score every passage instead")
        _, ids = self.ann.search(qv.reshape(1, -1).astype("float32"), min(k, self.n))
        return ids[0][ids[0] >= 0]

    def raw(self, qv: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Cosine of the question with every passage (`rows` None) or with the given ones."""
        mat = self.vectors if rows is None else self.vectors[rows]
        return mat @ qv

    def median(self, qv: np.ndarray, raw_all: np.ndarray | None = None) -> float:
        if raw_all is not None and self.ann is None:
            return float(np.median(raw_all))
        return float(np.median(self.sample @ qv))
