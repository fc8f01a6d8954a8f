"""OCR'd pages to the lines a document is built from: paragraphs of the body joined, everything else
(letterhead, centred title lines, headings) kept line by line, page furniture dropped.

The rules, from the geometry tesseract gives (`index.ocr.OcrLine` boxes):

* Page numbers (a number alone, "- 2 -", "Trang 2/5") in the top or bottom band of a page are dropped.
* Running headers and footers: a line in the top or bottom band of a page after the first that reads the
  same (digits aside) as a line in the same band of another page is dropped.
* The body column is measured on the page: its left edge L is the 20th-percentile left of the long lines
  (LEFT_QUANTILE) or of all lines when that is further left (a page of few lines), its right edge R the
  long lines' 90th-percentile right.
* A line is joined to the one before when that one reaches the right edge (within WRAP_SLACK of the
  column width: a wrapped line fills it), the line is not indented (starts within INDENT line heights of
  L) nor far left of the previous line's start (SHIFT: that one stood in another column), and the vertical
  gap is an ordinary line gap (not over PARAGRAPH_GAP times the median gap; on a page that indents its
  paragraphs the gap is no sign, since a gap there is a page break inside one image). Anything else starts a new
  line of the output: a first-line indent, a short last line, a blank gap, a centred title line. A
  paragraph running onto the next page is joined across the page break.
* End-of-line hyphenation is undone when lines are joined (`join_hyphenated`).
* A hyphen with a space on both sides is a dash in print: " - " becomes " – " (tesseract reads both the
  same). A quarter read with digits for its roman numeral ("quý 11/2024") gets it back ("quý II/2024").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.legacy import is_vietnamese_syllable
from index.ocr import OcrLine, OcrPage
from index.text import fold

WRAP_SLACK = 0.08
INDENT = 1.5
PARAGRAPH_GAP = 1.7
SHIFT = 0.15  # a continuation line starts at most this share of the column width left of the line before
# The left edge is this quantile of the long lines' lefts, not their median: in a body of two-line
# paragraphs half the long lines are indented first lines, and the median made the indent invisible.
LEFT_QUANTILE = 0.2
BAND = 0.12  # top and bottom share of the page where page numbers and running headers live

PAGE_NUMBER = re.compile(
    r"^(?:[-–—]?\s*\d{1,4}\s*[-–—]?|(?:trang|page)\s+\d{1,4}(?:\s*(?:/|of|trên)\s*\d{1,4})?)$", re.I
)
_SPACED_HYPHEN = re.compile(r"(?<=\S) - (?=\S)")
# "quý 11/2024": tesseract reads the roman II of a quarter as 11 (a quarter is 1-4, so 11 is never meant)
_QUARTER_DIGITS = re.compile(r"\b([Qq]uý|QUÝ)\s+(11|111|1V|l1|1l|ll|lI|Il|I1|1I)\b")
_ROMAN_OF = {"11": "II", "111": "III", "1V": "IV"}


def _quarter(m: re.Match[str]) -> str:
    raw = m.group(2)
    roman = _ROMAN_OF.get(raw) or raw.replace("1", "I").replace("l", "I")
    return f"{m.group(1)} {roman}"
_HYPHEN_END = re.compile(r"(\w+)-$")
_FIRST_WORD = re.compile(r"^(\w+)")


def join_hyphenated(left: str, right: str) -> str:
    """Join two wrapped lines; undo end-of-line hyphenation.

    "chuyên" + "viên" → "chuyên viên"; "digi-" + "tal" → "digital" (a word cut at the line end). A symbol
    or a name keeps its hyphen, without the space: "27-" + "NQ/TW", "CB-" + "CC", "Bà Rịa-" + "Vũng Tàu",
    and so do two whole Vietnamese syllables that do not make one ("xã-" + "phường"). A dash at the end of
    a line ("2023 -") is no hyphenation.
    """
    left, right = left.rstrip(), right.lstrip()
    m = _HYPHEN_END.search(left)
    if not m or left.endswith(" -") or not right:
        return f"{left} {right}".strip()
    head = m.group(1)
    first = _FIRST_WORD.match(right)
    if head[-1].isdigit() or head.isupper() or first is None or not first.group(1)[0].islower():
        return left + right  # "27-" + "NQ/TW", "CB-" + "CC", "Bà Rịa-" + "Vũng Tàu"
    tail = first.group(1)
    if is_vietnamese_syllable(head) and is_vietnamese_syllable(tail) and not is_vietnamese_syllable(head + tail):
        return left + right  # two syllables joined by a real hyphen: "xã-phường"
    return left[:-1] + right  # "digi-" + "tal", "hiệ-" + "n"


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", fold(text).lower()).strip()


def _in_band(line: OcrLine, page: OcrPage) -> str | None:
    if line.bottom <= page.height * BAND:
        return "top"
    if line.top >= page.height * (1 - BAND):
        return "bottom"
    return None


def drop_furniture(pages: Sequence[OcrPage]) -> list[list[OcrLine]]:
    """Per page, its lines without page numbers and running headers/footers."""
    banded: dict[tuple[str, str], set[int]] = {}
    for n, page in enumerate(pages):
        for line in page.lines:
            band = _in_band(line, page)
            if band:
                banded.setdefault((band, _key(line.text)), set()).add(n)
    kept: list[list[OcrLine]] = []
    for n, page in enumerate(pages):
        out: list[OcrLine] = []
        for line in page.lines:
            band = _in_band(line, page)
            if band and PAGE_NUMBER.match(line.text.strip()):
                continue
            if band and n > 0 and len(banded.get((band, _key(line.text)), ())) > 1:
                continue
            out.append(line)
        kept.append(out)
    return kept


def _column(lines: Sequence[OcrLine]) -> tuple[float, float, float, float]:
    """(left edge, right edge, median line height, median gap between lines) of the body."""
    widest = max(ln.right - ln.left for ln in lines)
    long = [ln for ln in lines if ln.right - ln.left >= 0.6 * widest] or list(lines)
    lefts = sorted(ln.left for ln in long)
    every = sorted(ln.left for ln in lines)  # a page of few lines may have one long line, and indented
    rights = sorted(ln.right for ln in long)
    heights = sorted(ln.height for ln in lines)
    gaps = sorted(b.top - a.bottom for a, b in zip(lines, lines[1:], strict=False) if b.top > a.bottom)
    return (
        float(min(lefts[int(LEFT_QUANTILE * len(lefts))], every[int(LEFT_QUANTILE * len(every))])),
        float(rights[min(len(rights) - 1, int(0.9 * len(rights)))]),
        float(heights[len(heights) // 2]),
        float(gaps[len(gaps) // 2]) if gaps else float(heights[len(heights) // 2]) * 0.5,
    )


def page_lines(pages: Sequence[OcrPage]) -> list[str]:
    """The text of OCR'd pages as output lines: a body paragraph per line, every other printed line alone."""
    kept = drop_furniture(pages)
    out: list[str] = []
    previous: OcrLine | None = None  # the last line of the open paragraph, None when closed
    prev_geometry: tuple[float, float, float, float] | None = None
    for lines in kept:
        if not lines:
            continue
        geometry = _column(lines)
        indents = _indents(lines, geometry)
        for i, line in enumerate(lines):
            text = _QUARTER_DIGITS.sub(_quarter, _SPACED_HYPHEN.sub(" – ", line.text))
            if previous is not None and _continues(
                previous, line, geometry, prev_geometry if i == 0 else None, gaps_break=not indents
            ):
                out[-1] = join_hyphenated(out[-1], text)
            else:
                out.append(text)
            previous = line
        prev_geometry = geometry
    return out


def opens_with_continuation(pages: Sequence[OcrPage]) -> bool:
    """Whether the first line of the OCR'd pages continues a paragraph from the page before them (a
    text-layer page of a mixed PDF): the page indents the first lines of its paragraphs (a line of it
    starts indented) and this line starts at the body's left edge like a wrapped line."""
    for lines in drop_furniture(pages):
        if not lines:
            continue
        geometry = _column(lines)
        left, _, height, _ = geometry
        return _indents(lines[1:], geometry) and lines[0].left <= left + INDENT * height
    return False


def _indents(lines: Sequence[OcrLine], geometry: tuple[float, float, float, float]) -> bool:
    """Whether the page indents the first lines of its paragraphs: a line starts indented (not as far in
    as a centred title)."""
    left, right, height, _ = geometry
    return any(left + INDENT * height < ln.left < left + 0.25 * (right - left) for ln in lines)


def _continues(
    previous: OcrLine,
    line: OcrLine,
    geometry: tuple[float, float, float, float],
    previous_page: tuple[float, float, float, float] | None,
    gaps_break: bool = True,
) -> bool:
    """Whether `line` continues the paragraph `previous` ends (see the module docstring).

    `previous_page` is the geometry of the page `previous` is on when `line` opens the next page. On a
    page that indents its paragraphs (`gaps_break` false) a blank gap alone does not end a paragraph: it
    is a page break inside one image (a screenshot of several pages, a long scroll capture).
    """
    left, right, height, gap = geometry
    p_left, p_right, _, _ = previous_page or geometry
    if previous.right < p_right - WRAP_SLACK * (p_right - p_left):
        return False
    if line.left > left + INDENT * height:
        return False
    # where each line starts in its page's column (pages of one document may differ in scale: photos)
    if (previous.left - p_left) / max(1.0, p_right - p_left) - (line.left - left) / max(1.0, right - left) > SHIFT:
        return False  # the previous line stood in another column (a letterhead's right half)
    if previous_page is not None:
        return True
    if line.top < previous.bottom - 0.5 * height:
        return False  # the same row (another column) or above
    return not gaps_break or line.top - previous.bottom <= max(PARAGRAPH_GAP * gap, gap + 0.5 * height)
