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
    query: str
    answerable: bool
    hits: tuple[Hit, ...]
