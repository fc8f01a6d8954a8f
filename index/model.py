"""Frozen dataclasses shared by the whole core: documents, passages, hits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One corpus file after reading and normalisation.

    `path` is relative to the corpus directory, with forward slashes. Paragraphs are numbered from 1 in
    the order they appear in the body (the header block, when present, is not a paragraph). `number` is
    the document's own number from its letterhead ("215-KL/TU", "12/KH-UBND"), when it has one.
    """

    path: str
    title: str
    date: dt.date | None
    agency: str | None
    paragraphs: tuple[str, ...]
    number: str | None = None


@dataclass(frozen=True)
class Passage:
    """The unit of quotation: a paragraph, or a run of whole sentences of a long paragraph."""

    doc: str
    paragraph: int  # 1-based paragraph number within the document
    part: int  # 0 for a whole paragraph; 1.. for the pieces of a split paragraph
    text: str


@dataclass(frozen=True)
class DocMeta:
    path: str
    title: str
    date: dt.date | None
    agency: str | None
    paragraphs: int
    number: str | None = None


@dataclass(frozen=True)
class Hit:
    passage: Passage
    meta: DocMeta
    score: float
    matched_terms: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Answer:
    """The passages found for a question and how surely they answer it.

    `confidence` is "high" (quote them as the answer), "low" (the closest passages, none surely
    answers) or "none" (nothing related); `answerable` is `confidence == "high"`. `p_answer` is the
    answerability model's probability that the best passages answer (None when no model judged it).
    Built with `answerable` alone, the confidence is "high" or "none".
    """

    query: str
    answerable: bool
    hits: tuple[Hit, ...]
    confidence: str = ""
    p_answer: float | None = None

    def __post_init__(self) -> None:
        if not self.confidence:
            object.__setattr__(self, "confidence", "high" if self.answerable else "none")
        if self.confidence not in CONFIDENCE_LEVELS:
            raise ValueError(f"confidence must be one of {CONFIDENCE_LEVELS}, not {self.confidence!r}")
        if self.answerable != (self.confidence == "high"):
            raise ValueError("answerable means confidence == 'high'")


CONFIDENCE_LEVELS = ("high", "low", "none")
