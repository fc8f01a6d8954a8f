"""A tiny deterministic encoder for unit tests: hashed bag of folded words, L2-normalised."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from index.tokens import words


class HashEncoder:
    name = "test-hash-encoder"
    backend = "hash"  # index.embed.Encoder.backend: which backend runs the model

    def __init__(self, dim: int = 64, name: str | None = None) -> None:
        self.dim = dim
        if name:
            self.name = name
        self.calls: list[int] = []

    def embed(
        self,
        texts: Sequence[str],
        *,
        kind: str = "passage",
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype="float32")
        for i, text in enumerate(texts):
            for w in words(text):
                h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        if progress:
            progress(len(texts))
        return out


def rule_answer_model() -> Any:
    """The earlier hand-set abstention rule (index.answerability.AnswerModel.rule): what tests on the
    HashEncoder judge by. The fitted model reads dense features on multilingual-e5-small's scale."""
    from index.answerability import AnswerModel

    return AnswerModel.rule()
