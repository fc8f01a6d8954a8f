"""Documents to passages: a paragraph is the unit of quotation; a very long one is cut into runs of
whole sentences so every passage still reads as whole sentences."""

from __future__ import annotations

from index.model import Document, Passage
from index.text import split_sentences

# A paragraph longer than this is split; pieces aim for TARGET characters (a quote that fits on a
# phone screen) and never cut inside a sentence.
MAX_PARAGRAPH_CHARS = 1200
TARGET_PIECE_CHARS = 700


def split_paragraph(text: str) -> list[str]:
    if len(text) <= MAX_PARAGRAPH_CHARS:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in split_sentences(text):
        if current and size + len(sentence) + 1 > TARGET_PIECE_CHARS:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(sentence)
        size += len(sentence) + 1
    if current:
        pieces.append(" ".join(current))
    return pieces


def passages_of(doc: Document) -> list[Passage]:
    out: list[Passage] = []
    for number, paragraph in enumerate(doc.paragraphs, start=1):
        pieces = split_paragraph(paragraph)
        if len(pieces) == 1:
            out.append(Passage(doc.path, number, 0, pieces[0]))
        else:
            out.extend(Passage(doc.path, number, i, piece) for i, piece in enumerate(pieces, start=1))
    return out
