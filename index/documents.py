"""Read corpus files (.txt, .md, .docx, .doc, .pdf, images) into `Document`s.

Every problem with a file is raised as `BadDocument("<relpath>: <reason>")`; `scan_corpus` turns those
into a list of skipped files so one broken file never stops the others.

Size limit: a file larger than `max_bytes` is refused before it is read. The default is 20 MB; the
bot passes `Settings.max_file_bytes`, set with the environment variable CHIDAO_MAX_FILE_MB.

Text: .txt/.md in UTF-8 (BOM or not) or UTF-16 with BOM; 8-bit files only when they read confidently
as Vietnamese in TCVN3 (ABC), VNI or Windows-1258 (see index/legacy.py). TCVN3/VNI mojibake inside
UTF-8 files, .docx (also by the run's font name: .VnTime, .VnTimeH, VNI-Times) and PDF text layers is
converted too. Everything then goes through `index.text.normalise`.

Layout rules (the same for every format, applied to the normalised lines of the body):

* Header block: an optional title line followed directly by field lines
  (`Ngày: 26/03/2024`, `Ngày: 6/3/2024`, `Ngày: 5 tháng 6 năm 2023`, `Ngày ban hành: ...`,
  `Ngày 26 tháng 3 năm 2024`, `Hà Nội, ngày 26 tháng 3 năm 2024`, `Cơ quan: ...`,
  `Cơ quan ban hành: ...`) and ended by a blank line or the first other line. The header is not a
  paragraph. An impossible date (31/02/2024) gives `date=None`. Field lines without a title line are
  a header too; the title then follows the no-header rule.
* Without a header, the administrative layout (index/layout.py: issuer, number, motto, place and date,
  kind and title; the two letterhead columns in any arrangement) gives title, date, agency and number;
  the body follows.
* Without either, a letterhead (issuer, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 12/KH-UBND",
  "Hà Nội, ngày 5 tháng 6 năm 2024" in the first 8 lines, see `split_letterhead`) is dropped. Then
  the first line is the title. A short title-like line (at most 200 characters, not ending in . ! ? … ;
  :) is the title only; a longer or sentence-like line stays paragraph 1 and the title is its first 12
  words followed by "…". A one-line document keeps its line as paragraph 1 as well. A document kind
  in capitals ("KẾT LUẬN") followed by a title-like line gives "Kết luận <that line>". The date is
  looked for in the letterhead and text (see `find_date_in_text`); the agency is None.

Paragraphs: .txt, .doc and .docx have one paragraph per non-empty line / Word paragraph (a table row is
one paragraph, its cells joined with " | "; a letterhead table at the top gives its cells line by line,
column by column). In .pdf and .md hard-wrapped lines are joined first (see `join_wrapped_lines`).

Scans: a PDF page with fewer than PDF_MIN_LETTERS_PER_PAGE letters in its text layer, and every page of an
image, is OCR'd (index/scans.py, index/ocr.py); the OCR'd lines are joined into paragraphs by their
geometry (index/pages.py) and stand as paragraphs of their own. `read_file` says how each page was read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from index.budget import Budget, Reader, check_document, read_within, run_within
from index.errors import BadDocument
from index.layout import AdminHeader, parse_admin_header
from index.legacy import convert, detect_legacy, looks_vietnamese
from index.model import Document
from index.pages import PAGE_NUMBER, opens_with_continuation, page_lines
from index.scans import IMAGE_SUFFIXES, MAX_PAGES, PDF_DPI, PageReport, Scanner, image_frames, pdf_page_images
from index.text import normalise

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".doc", ".pdf", *IMAGE_SUFFIXES)
# Bumped whenever the reading rules change what a file yields, so a cached index can re-read files.
# 2: titles longer than Budget.max_title_chars are shortened.
# 3: the administrative layout (agency, number); .doc, images and scanned PDF pages (OCR).
# 4: OCR'd text: marks corrected (index/ocr_words.py), the body's left edge, mixed PDFs' carried paragraph.
READER_VERSION = 4
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

TITLE_MAX_CHARS = 200
TITLE_WORDS = 12
# A .docx may expand to at most this many times the file size limit (zip bomb guard).
ZIP_EXPANSION_FACTOR = 10
ZIP_MAX_MEMBERS = 10_000
# A PDF whose pages hold fewer letters than this on average has no usable text layer.
PDF_MIN_LETTERS_PER_PAGE = 25
# In wrapped text (PDF, markdown) a line shorter than this share of the longest line ends its paragraph
# when the next line opens like a paragraph.
SHORT_LINE_SHARE = 0.6

_W_P, _W_TBL, _W_SDT, _W_SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
_W_RPR, _W_RFONTS, _W_HANSI, _W_ASCII = qn("w:rPr"), qn("w:rFonts"), qn("w:hAnsi"), qn("w:ascii")
_W_HANSI_THEME, _W_ASCII_THEME = qn("w:hAnsiTheme"), qn("w:asciiTheme")


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 100 * 1024 else f"{n} bytes"


def file_hash(path: Path) -> str:
    """sha256 hex digest of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------
# Header block and dates

_DAY_MONTH_YEAR = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"
_WORDS_DATE = r"(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
_WORDY_DATE = rf"ngày\s+{_WORDS_DATE}"
_DATE_FIELD = re.compile(
    rf"^(?:ngày(?:\s+ban\s+hành)?\s*:\s*(?:{_DAY_MONTH_YEAR}|(?:ngày\s+)?{_WORDS_DATE})"
    rf"|(?:[^\d:]{{1,40}},\s*)?{_WORDY_DATE})\s*\.?$",
    re.IGNORECASE,
)
_AGENCY_FIELD = re.compile(r"^cơ\s+quan(?:\s+ban\s+hành)?\s*:\s*(.+)$", re.IGNORECASE)


def make_date(day: int, month: int, year: int) -> dt.date | None:
    """The date, or None when it does not exist (31/02/2024)."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _date_field(line: str) -> tuple[bool, dt.date | None]:
    """(is a date field, its date). A field with an impossible date still counts as a field."""
    m = _DATE_FIELD.match(line)
    if not m:
        return False, None
    groups = [g for g in m.groups() if g is not None]
    day, month, year = (int(g) for g in groups[:3])
    return True, make_date(day, month, year)


class Header(NamedTuple):
    title: str | None  # None when the block starts with a field line
    date: dt.date | None
    agency: str | None
    body_start: int  # index of the first line after the header block


def parse_header(lines: Sequence[str]) -> Header | None:
    """The header block at the top of `lines` (normalised lines), or None when there is none.

    A header is a title line directly followed by at least one field line (date or agency), or field
    lines alone; leading blank lines are ignored and the block ends at a blank line or the first line
    that is not a field.
    """
    start = 0
    while start < len(lines) and not lines[start]:
        start += 1
    if start >= len(lines):
        return None
    titled = not _is_field(lines[start])
    date: dt.date | None = None
    agency: str | None = None
    i = start + 1 if titled else start
    while i < len(lines) and lines[i]:
        is_date, value = _date_field(lines[i])
        agency_match = _AGENCY_FIELD.match(lines[i])
        if is_date:
            date = value
        elif agency_match:
            agency = agency_match.group(1).strip() or None
        else:
            break
        i += 1
    if i == start + int(titled):
        return None
    return Header(lines[start] if titled else None, date, agency, i)


def _is_field(line: str) -> bool:
    return _date_field(line)[0] or _AGENCY_FIELD.match(line) is not None


# Date statements inside a text. A cue word must precede a day/month without a year, so fractions
# ("9/10 đảng bộ") are not dates. Deadlines ("trước ngày 30/4") and dates of cited documents
# ("Nghị quyết số 27-NQ/TW ngày 21/5/2018") are not the document's date and are skipped.
_TEXT_DATE = re.compile(
    rf"(?P<wordy>{_WORDY_DATE})"
    r"|(?P<wordy_no_year>ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2}))(?!\s+năm)"
    rf"|(?<![\d/])(?P<full>{_DAY_MONTH_YEAR})(?![\d/])"
    r"|(?P<cue>(?:ngày|sáng|chiều|tối|trưa|đêm|nay)\s+(\d{1,2})/(\d{1,2}))(?![\d/])",
    re.IGNORECASE,
)
_NOT_DOC_DATE_BEFORE = re.compile(
    r"(?:trước|chậm\s+nhất|hạn|đến|tới|từ|sau|hết|trong)\s+(?:ngày\s+)?$"
    r"|\d+[-/][A-ZĐ][\w/-]*\s+(?:ngày\s+)?$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def find_date_in_text(text: str) -> dt.date | None:
    """The first date the text states for itself, or None.

    Full dates (26/03/2024, ngày 26 tháng 3 năm 2024) are taken as they are. A day and month after a cue
    word ("Chiều nay 26/3", "ngày 15 tháng 5") take the first 4-digit year of the same paragraph, else of
    the whole text ("quý II/2024" gives 2024). Deadlines and dates of cited documents are skipped.
    """
    first_year_in_text = _YEAR.search(text)
    for m in _TEXT_DATE.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if _NOT_DOC_DATE_BEFORE.search(before):
            continue
        numbers = [int(g) for g in m.groups() if g is not None and g.isdigit()]
        if m.group("wordy") or m.group("full"):
            day, month, year = numbers[:3]
        else:
            day, month = numbers[:2]
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            line = text[line_start : len(text) if line_end < 0 else line_end]
            year_match = _YEAR.search(line) or first_year_in_text
            if year_match is None:
                continue
            year = int(year_match.group(1))
        found = make_date(day, month, year)
        if found is not None:
            return found
    return None


_SENTENCE_END_CHARS = (".", "!", "?", "…", ";", ":")


def _short_title(line: str) -> str:
    words = line.split()
    if len(words) <= TITLE_WORDS:
        return line
    return " ".join(words[:TITLE_WORDS]).rstrip(",;:–-") + "…"


# A wrapped line starts a new paragraph after a line ending a sentence, when it opens with a capital,
# a digit, a bullet or a bracket; a bullet line always does. An all-capitals line is a heading.
_PARAGRAPH_START = re.compile(r"^(?:[\"“'‘(\[]?[A-ZÀ-ỸĐ0-9]|[-•+*–—▪●○◦]\s|\(?[a-zđ]\)\s)")
_BULLET = re.compile(r"^(?:[-•+*–—▪●○◦]\s|(?:\d{1,3}|[a-zđ])[.)]\s)")


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def join_wrapped_lines(
    lines: Sequence[str],
    alone: Sequence[bool] | None = None,
    starts: Sequence[bool] | None = None,
    carried: Sequence[bool] | None = None,
) -> list[str]:
    """Join hard-wrapped lines (PDF, markdown) into paragraphs.

    A blank line ends a paragraph. A line break inside a sentence is a wrap: the next line is joined
    with a space unless the previous line ends in . ! ? … ; : and the next opens like a paragraph (see
    `_PARAGRAPH_START`) — or the previous line is short (under SHORT_LINE_SHARE of the longest line, as
    titles, headings and last lines are) and the next opens like a paragraph — or the next line is a
    bullet, or either line is a heading in capitals.
    Lines flagged in `alone` (markdown headings, table rows) are paragraphs of their own; lines
    flagged in `starts` (markdown list items) always start a paragraph but take continuation lines.
    A line flagged in `alone` and in `carried` (the first OCR'd paragraph after a text-layer page of a
    mixed PDF, when its page indents paragraphs and it is not indented) is joined to the line before
    (unless that is a heading), whatever the wrap rules say, and stands alone towards the line after.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    previous_alone = False
    # lines standing alone (OCR'd paragraphs of a mixed PDF, markdown tables) do not set the wrap width
    short = SHORT_LINE_SHARE * max((len(line) for i, line in enumerate(lines) if not (alone and alone[i])), default=0)
    for i, line in enumerate(lines):
        is_alone = bool(alone and alone[i])
        if not line:
            if current:
                paragraphs.append(" ".join(current))
            current = []
            continue
        if carried and carried[i] and current and not previous_alone and not _is_heading(current[-1]):
            current.append(line)  # the scanned page shows the line continues: no wrap rule to apply
            previous_alone = True
            continue
        starts_new = (
            not current
            or is_alone
            or previous_alone
            or bool(starts and starts[i])
            or _BULLET.match(line) is not None
            or _is_heading(line)
            or _is_heading(current[-1])
            or (
                (current[-1].endswith(_SENTENCE_END_CHARS) or len(current[-1]) < short)
                and _PARAGRAPH_START.match(line) is not None
            )
        )
        if starts_new and current:
            paragraphs.append(" ".join(current))
            current = []
        current.append(line)
        previous_alone = is_alone
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def build_document(
    relpath: str,
    lines: Sequence[str],
    *,
    wrapped: bool = False,
    alone: Sequence[bool] | None = None,
    starts: Sequence[bool] | None = None,
    carried: Sequence[bool] | None = None,
) -> Document:
    """Apply the header and title rules to normalised lines.

    Without `wrapped` every non-empty line is a paragraph (.txt, .docx). With it the body lines are
    joined by `join_wrapped_lines` (.pdf, .md), which takes the `alone` and `starts` flags.
    """
    header = parse_header(lines)
    if header is None:
        admin = parse_admin_header(lines, "\n".join(lines))
        if admin is not None:
            return _admin_document(relpath, lines, admin, wrapped, alone, starts, carried)
    paragraphs = _body_paragraphs(lines, header.body_start if header else 0, wrapped, alone, starts, carried)
    if header is not None:
        if not paragraphs:
            raise BadDocument(f"{relpath}: no text after the header block")
        if header.title is not None:
            return Document(relpath, header.title, header.date, header.agency, tuple(paragraphs))
        title, paragraphs = _title_without_header(paragraphs)
        return Document(relpath, title, header.date, header.agency, tuple(paragraphs))
    if not paragraphs:
        raise BadDocument(f"{relpath}: no text")
    letterhead, paragraphs = split_letterhead(paragraphs)
    if not paragraphs:
        raise BadDocument(f"{relpath}: no text after the letterhead")
    title, paragraphs = _title_without_header(paragraphs)
    date = find_date_in_text("\n".join([*letterhead, title, *paragraphs]))
    return Document(relpath, title, date, None, tuple(paragraphs))


def _body_paragraphs(
    lines: Sequence[str],
    start: int,
    wrapped: bool,
    alone: Sequence[bool] | None,
    starts: Sequence[bool] | None,
    carried: Sequence[bool] | None,
) -> list[str]:
    """The paragraphs of the body (lines from `start`): wrapped lines joined, or one per non-empty line."""
    body = lines[start:]
    if not wrapped:
        return [line for line in body if line]
    return join_wrapped_lines(
        body,
        alone[start:] if alone else None,
        starts[start:] if starts else None,
        carried[start:] if carried else None,
    )


def _admin_document(
    relpath: str,
    lines: Sequence[str],
    admin: AdminHeader,
    wrapped: bool,
    alone: Sequence[bool] | None,
    starts: Sequence[bool] | None,
    carried: Sequence[bool] | None = None,
) -> Document:
    """A document in the administrative layout (index/layout.py): its letterhead gives the agency, the
    number, the date and the title; the body follows the usual paragraph rules."""
    paragraphs = _body_paragraphs(lines, admin.body_start, wrapped, alone, starts, carried)
    if not paragraphs:
        raise BadDocument(f"{relpath}: no text after the letterhead")
    if admin.title:
        title = admin.title
    else:
        title, paragraphs = _title_without_header(paragraphs)
    date = admin.date or find_date_in_text("\n".join([*admin.head, title, *paragraphs]))
    return Document(relpath, title, date, admin.agency, tuple(paragraphs), admin.number)


def _title_without_header(paragraphs: list[str]) -> tuple[str, list[str]]:
    """(title, remaining paragraphs) by the no-header rule in the module docstring."""
    first = paragraphs[0]
    if _DOC_KIND.match(first) and len(paragraphs) > 2 and _is_title_like(paragraphs[1]):
        # "KẾT LUẬN" + "của Ban Thường vụ Tỉnh ủy về ..." → "Kết luận của Ban Thường vụ Tỉnh ủy về ..."
        return f"{first.capitalize()} {paragraphs[1]}", paragraphs[2:]
    if len(paragraphs) > 1 and _is_title_like(first):
        return first, paragraphs[1:]
    return _short_title(first), paragraphs


def _is_title_like(line: str) -> bool:
    return len(line) <= TITLE_MAX_CHARS and not line.endswith(_SENTENCE_END_CHARS)


# The letterhead of an official document: issuer, national motto, number, place and date.
_LETTERHEAD = re.compile(
    r"cộng\s+hòa\s+xã\s+hội\s+chủ\s+nghĩa\s+việt\s+nam|đảng\s+cộng\s+sản\s+việt\s+nam"
    r"|độc\s+lập\s*[-–—]\s*tự\s+do\s*[-–—]\s*hạnh\s+phúc"
    r"|^số\s*:?\s*\d+\S*[/-][A-ZĐ]"
    r"|,\s*ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}\s*(?:\||$)",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^[\s*_=~|-]+$")
LETTERHEAD_MAX_LINES = 8
LETTERHEAD_MAX_CHARS = 200
_DOC_KIND = re.compile(
    r"^(?:KẾT LUẬN|KẾ HOẠCH|BÁO CÁO|THÔNG BÁO|HƯỚNG DẪN|QUYẾT ĐỊNH|NGHỊ QUYẾT|CHỈ THỊ|TỜ TRÌNH"
    r"|CÔNG VĂN|QUY ĐỊNH|QUY CHẾ|CHƯƠNG TRÌNH|ĐỀ ÁN|BIÊN BẢN|GIẤY MỜI)$"
)


def split_letterhead(paragraphs: Sequence[str]) -> tuple[list[str], list[str]]:
    """(letterhead lines, the rest): the first lines up to the last letterhead line among them.

    Official documents open with the issuer, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do -
    Hạnh phúc", "Số: 12/KH-UBND" and "Hà Nội, ngày 5 tháng 6 năm 2024". They are neither the title nor
    quotable paragraphs; the place-and-date line still gives the document's date.
    """
    last = -1
    for i, line in enumerate(paragraphs[:LETTERHEAD_MAX_LINES]):
        if len(line) <= LETTERHEAD_MAX_CHARS and _LETTERHEAD.search(line):
            last = i
    if last < 0:
        return [], list(paragraphs)
    while last + 1 < len(paragraphs) and _SEPARATOR.match(paragraphs[last + 1]):
        last += 1  # the rule under the date
    return list(paragraphs[: last + 1]), list(paragraphs[last + 1 :])


# ---------------------------------------------------------------------------------------------------
# Legacy encodings (TCVN3, VNI)

_UNICODE_VIETNAMESE = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9\u0300-\u036f]")


def fix_legacy_lines(lines: Sequence[str]) -> tuple[list[str], bool]:
    """Convert TCVN3/VNI mojibake to Unicode, line by line. Returns (lines, whether any was legacy).

    The encoding is detected on the lines without Unicode-only Vietnamese letters, and only those
    are converted, so a document mixing Unicode and .VnTime paragraphs comes out whole.
    """
    candidates = [i for i, line in enumerate(lines) if not _UNICODE_VIETNAMESE.search(line)]
    encoding = detect_legacy("\n".join(lines[i] for i in candidates))
    if encoding is None:
        return list(lines), False
    fixed = list(lines)
    for i in candidates:
        fixed[i] = convert(lines[i], encoding)
    return fixed, True


# ---------------------------------------------------------------------------------------------------
# Plain text and markdown

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


# cp1252 for the bytes 0x80-0x9F it defines, latin-1 for the rest (and for its five undefined bytes).
_CP1252_C1 = str.maketrans(
    {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
)


def _decode_8bit(data: bytes) -> str:
    return data.decode("latin-1").translate(_CP1252_C1)


def decode_text(relpath: str, data: bytes) -> list[str]:
    """Bytes of a text file to raw lines: UTF-8 (with or without BOM), UTF-16 with BOM, or one of the
    legacy 8-bit Vietnamese encodings TCVN3, VNI and Windows-1258.

    Legacy text is accepted only when it confidently reads as Vietnamese; other 8-bit text is refused.
    """
    if not data.strip():
        raise BadDocument(f"{relpath}: empty file")
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadDocument(f"{relpath}: broken UTF-16 text ({exc.reason} at byte {exc.start})") from exc
    elif b"\x00" in data:
        raise BadDocument(f"{relpath}: binary file (contains NUL bytes), not text")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            lines, legacy = fix_legacy_lines(_decode_8bit(data).splitlines())
            if legacy:
                return lines
            text = unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
            if "\ufffd" in text or not looks_vietnamese(text):
                raise BadDocument(
                    f"{relpath}: not UTF-8 or UTF-16 text (nor recognisable TCVN3, VNI or "
                    "Windows-1258 Vietnamese)"
                ) from None
    if not text.strip():
        raise BadDocument(f"{relpath}: empty file")
    if len(_CONTROL.findall(text)) > max(2, len(text) // 100):
        raise BadDocument(f"{relpath}: binary file (control characters), not text")
    return fix_legacy_lines(text.splitlines())[0]


_MD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image: keep alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # link: keep text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),  # italic *x*
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), r"\1"),  # italic _x_
    (re.compile(r"~~(.+?)~~"), r"\1"),  # strike-through
    (re.compile(r"`([^`]*)`"), r"\1"),  # inline code
)
_MD_PREFIX = re.compile(r"^(?:>\s?)*(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?)?")
_MD_HEADING_TRAIL = re.compile(r"\s+#+\s*$")
_MD_DROP_LINE = re.compile(
    r"^(?:```.*|~~~.*|[-*_](?:\s*[-*_]){2,}|\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?)$"
)


def strip_markdown_line(line: str) -> str:
    """One line of simple markdown to plain text: headings, bullets, emphasis, links, code, tables."""
    if _MD_DROP_LINE.match(line):
        return ""
    line = _MD_PREFIX.sub("", line)
    line = _MD_HEADING_TRAIL.sub("", line)
    if line.startswith("|") and line.endswith("|") and len(line) > 1:
        cells = [cell.strip() for cell in line[1:-1].split("|")]
        line = " | ".join(cell for cell in cells if cell)
    for pattern, repl in _MD_RULES:
        line = pattern.sub(repl, line)
    return line.strip()


def normalise_lines(lines: Sequence[str]) -> list[str]:
    return normalise("\n".join(lines)).split("\n")


def _read_txt(relpath: str, data: bytes, max_bytes: int) -> Document:
    return build_document(relpath, normalise_lines(decode_text(relpath, data)))


_MD_ALONE = re.compile(r"^(?:>\s?)*(?:#{1,6}\s|\|)")
_MD_ITEM = re.compile(r"^(?:>\s?)*(?:[-*+]|\d{1,3}[.)])\s")


def _read_md(relpath: str, data: bytes, max_bytes: int) -> Document:
    """Markdown: simple syntax stripped, wrapped lines joined; headings and table rows stand alone."""
    raw = normalise_lines(decode_text(relpath, data))
    lines = [strip_markdown_line(line) for line in raw]
    alone = [_MD_ALONE.match(line) is not None for line in raw]
    starts = [_MD_ITEM.match(line) is not None for line in raw]
    return build_document(relpath, lines, wrapped=True, alone=alone, starts=starts)


# ---------------------------------------------------------------------------------------------------
# Word (.docx)


def check_zip(relpath: str, data: bytes, max_bytes: int) -> None:
    """Refuse a broken zip, or one that would expand past ZIP_EXPANSION_FACTOR × max_bytes (zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise BadDocument(
            f"{relpath}: not a valid .docx (broken zip archive; an old .doc must be saved as .docx)"
        ) from exc
    limit = ZIP_EXPANSION_FACTOR * max_bytes
    expanded = sum(member.file_size for member in members)
    if len(members) > ZIP_MAX_MEMBERS or expanded > limit:
        raise BadDocument(
            f"{relpath}: .docx would expand to {_size(expanded)} in {len(members)} parts, "
            f"over the {_size(limit)} limit (zip bomb?)"
        )


def _rpr_font(element: Any) -> str | None:
    """The Latin font named in the w:rPr child of a run or style element, if any."""
    rpr = element.find(_W_RPR) if element is not None else None
    fonts = rpr.find(_W_RFONTS) if rpr is not None else None
    if fonts is None:
        return None
    # A theme font ("minorHAnsi") also overrides the style's font; it is never a legacy one.
    for attribute in (_W_HANSI, _W_ASCII, _W_HANSI_THEME, _W_ASCII_THEME):
        name: str | None = fonts.get(attribute)
        if name:
            return name
    return None


def _style_font(style: Any) -> str | None:
    while style is not None:
        name = _rpr_font(style.element)
        if name:
            return name
        style = style.base_style
    return None


def legacy_font_text(text: str, font: str | None) -> str:
    """Text typed in a legacy font to Unicode: ABC fonts (.VnTime, .VnArial) are TCVN3, their "H"
    variants (.VnTimeH) show the lower-case bytes as capitals; VNI fonts (VNI-Times) are VNI.

    Text that already holds Unicode-only Vietnamese letters is left alone (Word switched fonts).
    """
    if not font or _UNICODE_VIETNAMESE.search(text):
        return text
    name = font.strip()
    if name.lower().startswith(".vn"):
        converted = convert(text, "tcvn3")
        return converted.upper() if name.endswith("H") else converted
    if name.lower().startswith("vni"):
        return convert(text, "vni")
    return text


class _DocxReader:
    """Text of a Word body in document order, with legacy-font runs converted by their font name."""

    def __init__(self, word: Any) -> None:
        defaults = word.styles.element.find(qn("w:docDefaults"))
        rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
        self.default_font = _rpr_font(rpr_default)

    def paragraph_text(self, paragraph: Paragraph) -> str:
        paragraph_font = _style_font(paragraph.style) or self.default_font
        parts: list[str] = []
        for item in paragraph.iter_inner_content():
            for run in item.runs if isinstance(item, Hyperlink) else [item]:
                font = _rpr_font(run._r) or _style_font(run.style) or paragraph_font
                parts.append(legacy_font_text(run.text, font))
        return "".join(parts).replace("\n", " ").replace("\t", " ")

    def cell_text(self, cell: Any) -> str:
        return " ".join(block for block in self.blocks(cell._tc, cell) if block.strip()).strip()

    def blocks(self, container: Any, parent: Any, top: bool = False) -> Iterator[str]:
        """Texts of the paragraphs and table rows inside a body or cell element, in document order.

        A table row is one block: its cells' texts joined with " | " (merged cells once, empty ones out).
        A letterhead table at the top of the body (see `_letterhead_table`) gives its cells' paragraphs
        one by one instead, column by column, so the issuer, the number, the motto and the date line
        stay lines of their own.
        """
        before = 0  # non-empty blocks so far (at the top level)
        for child in container.iterchildren():
            if child.tag == _W_P:
                text = self.paragraph_text(Paragraph(child, parent))
                before += bool(text.strip())
                yield text
            elif child.tag == _W_TBL:
                table = Table(child, parent)
                if top and before < 3 and (columns := self._letterhead_table(table)):
                    yield from columns
                    before += 1
                    continue
                for row in table.rows:
                    cells: list[str] = []
                    seen: set[int] = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:
                            continue
                        seen.add(id(cell._tc))
                        text = self.cell_text(cell)
                        if text:
                            cells.append(text)
                    yield " | ".join(cells)
                    before += 1
            elif child.tag == _W_SDT:
                content = child.find(_W_SDT_CONTENT)
                if content is not None:
                    yield from self.blocks(content, parent, top)

    def _letterhead_table(self, table: Table) -> list[str] | None:
        """The lines of a letterhead table (a motto, "Số …" or a place-and-date line in it), column by
        column; None for any other table."""
        try:
            columns: list[list[str]] = []
            for row in table.rows:
                seen: set[int] = set()
                k = 0
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    while len(columns) <= k:
                        columns.append([])
                    columns[k].extend(b for b in self.blocks(cell._tc, cell) if b.strip())
                    k += 1
        except (ValueError, IndexError):
            return None
        lines = [line for column in columns for line in column]
        if len(columns) > 3 or not any(_LETTERHEAD.search(line) for line in lines):
            return None
        return lines


def _read_docx(relpath: str, data: bytes, max_bytes: int) -> Document:
    check_zip(relpath, data, max_bytes)
    try:
        word = open_docx(io.BytesIO(data))
        blocks = list(_DocxReader(word).blocks(word.element.body, word, top=True))
    except Exception as exc:  # python-docx and lxml raise many types on hostile input
        raise BadDocument(f"{relpath}: broken .docx ({type(exc).__name__}: {exc})") from exc
    if not any(block.strip() for block in blocks):
        raise BadDocument(f"{relpath}: .docx has no text")
    lines, _ = fix_legacy_lines(blocks)
    return build_document(relpath, normalise_lines(lines))


# ---------------------------------------------------------------------------------------------------
# The file being read


@dataclass
class _Source:
    relpath: str
    data: bytes
    budget: Budget
    scanner: Scanner
    pages: list[PageReport] = field(default_factory=list)

    @property
    def max_bytes(self) -> int:
        return self.budget.max_file_bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ReadResult:
    """A document and how its pages were read (OCR'd pages with their confidence; empty for text files)."""

    document: Document
    pages: tuple[PageReport, ...] = ()

    @property
    def ocr_pages(self) -> tuple[PageReport, ...]:
        return tuple(p for p in self.pages if p.source == "ocr")

    @property
    def confidence(self) -> float | None:
        """Mean OCR confidence (0-100) of the OCR'd pages, None when no page was OCR'd."""
        pages = self.ocr_pages
        return sum(p.confidence or 0.0 for p in pages) / len(pages) if pages else None


# ---------------------------------------------------------------------------------------------------
# PDF: page by page, the text layer where it is usable, OCR where it is not


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _pdf_texts(relpath: str, data: bytes, max_bytes: int) -> list[str]:
    """The text layer of each page. Run in a child process within the budget (index/budget.py): pypdf's
    cost on a hostile file is not bounded by its size."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BadDocument(f"{relpath}: encrypted PDF (needs a password)")
        if len(reader.pages) > MAX_PAGES:
            raise BadDocument(f"{relpath}: {len(reader.pages)} pages, over the limit of {MAX_PAGES}")
        return [page.extract_text() or "" for page in reader.pages]
    except BadDocument:
        raise
    except Exception as exc:  # pypdf raises many types on broken or encrypted input
        if isinstance(exc, (FileNotDecryptedError, DependencyError)):
            raise BadDocument(f"{relpath}: encrypted PDF that cannot be opened ({exc})") from exc
        raise BadDocument(f"{relpath}: broken PDF ({type(exc).__name__}: {exc})") from exc


def _read_pdf(src: _Source) -> Document:
    """The text layer is read in a child process within the budget; the pages without one are OCR'd here,
    in the calling process (tesseract is a subprocess with its own per-page timeout, the Scanner counts
    the pages), so the Scanner's counters and cache stay this process's."""
    relpath = src.relpath
    texts = run_within(_pdf_texts, relpath, src.data, src.budget)
    if not texts:
        raise BadDocument(f"{relpath}: PDF has no pages")
    scanned = [i for i, text in enumerate(texts) if _letters(text) < PDF_MIN_LETTERS_PER_PAGE]
    ocr = src.scanner.read_pages(relpath, src.digest, list(pdf_page_images(relpath, src.data, scanned)))
    lines: list[str] = []
    alone: list[bool] = []
    carried: set[int] = set()
    i = 0
    while i < len(texts):
        if i in ocr:
            group: list[Any] = []
            while i < len(texts) and i in ocr:
                page, report = ocr[i]
                src.pages.append(report)
                if page is not None:
                    group.append(page)
                i += 1
            read = [line for line in normalise_lines(page_lines(group)) if line]
            lines.extend(read)
            alone.extend([True] * len(read))
            if read and len(alone) > len(read) and not alone[-len(read) - 1] and opens_with_continuation(group):
                # the first OCR'd line may continue the text page's last paragraph
                carried.add(len(lines) - len(read))
            continue
        # A page break is a plain line break, so a paragraph running onto the next page is joined.
        raw, _ = fix_legacy_lines(texts[i].splitlines())
        read = [line for line in normalise_lines(raw) if not PAGE_NUMBER.match(line)]
        lines.extend(read)
        alone.extend([False] * len(read))
        src.pages.append(PageReport(i + 1, "text", None))
        i += 1
    if not any(lines):
        if scanned and len(scanned) == len(texts):
            raise BadDocument(f"{relpath}: PDF has no text layer and OCR found no text on its pages")
        raise BadDocument(f"{relpath}: PDF has no text")
    return build_document(relpath, lines, wrapped=True, alone=alone, carried=[i in carried for i in range(len(lines))])


# ---------------------------------------------------------------------------------------------------
# Images (scans, photos): OCR


def _read_image(src: _Source) -> Document:
    frames = image_frames(src.relpath, src.data)
    ocr = src.scanner.read_pages(src.relpath, src.digest, list(enumerate(frames)))
    pages = []
    for n in range(len(frames)):
        page, report = ocr[n]
        src.pages.append(report)
        if page is not None:
            pages.append(page)
    lines = [line for line in normalise_lines(page_lines(pages)) if line]
    if not lines:
        raise BadDocument(f"{src.relpath}: OCR found no text in the image")
    return build_document(src.relpath, lines)


# ---------------------------------------------------------------------------------------------------
# Word 97-2003 (.doc): antiword

ANTIWORD_TIMEOUT = 60.0
_ANTIWORD_ROW = re.compile(r"^\|(.*)\|$")


def antiword_path() -> str | None:
    return shutil.which("antiword")


def _read_doc(src: _Source) -> Document:
    """Text of a Word 97-2003 file by antiword (UTF-8, no wrapping); table rows as cells joined with " | ";
    text typed in TCVN3/VNI fonts comes out as mojibake and is converted like .txt."""
    exe = antiword_path()
    if exe is None:
        raise BadDocument(f"{src.relpath}: .doc needs antiword, which is not installed (apt-get install antiword)")
    with tempfile.TemporaryDirectory(prefix="chidao-doc-") as tmp:
        path = Path(tmp) / "file.doc"
        path.write_bytes(src.data)
        try:
            done = subprocess.run(
                [exe, "-w", "0", "-m", "UTF-8.txt", str(path)],
                capture_output=True,
                timeout=ANTIWORD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BadDocument(f"{src.relpath}: antiword took longer than {ANTIWORD_TIMEOUT:g} s") from None
    text = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0 or not text.strip():
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        shown = reason[-1].replace(str(path), "the file") if reason else "no text"
        raise BadDocument(f"{src.relpath}: not a readable Word 97-2003 .doc ({shown})")
    lines: list[str] = []
    for line in text.splitlines():
        row = _ANTIWORD_ROW.match(line.strip())
        if row:
            cells = [cell.strip() for cell in row.group(1).split("|")]
            line = " | ".join(cell for cell in cells if cell)
        lines.append(line)
    fixed, _ = fix_legacy_lines(lines)
    return build_document(src.relpath, normalise_lines(fixed))


# ---------------------------------------------------------------------------------------------------
# Entry points

# Readers of the file's bytes alone: run by `read_within` under the budget (in a child process, but for the
# plain text whose cost is linear in its size).
_BYTE_READERS: dict[str, Reader] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".docx": _read_docx,
}
# Readers that OCR or call a program: run here, as the Scanner (its cache, counters and page budget) is
# this process's. Their slow parts are bounded on their own: the PDF text layer is read in a child
# (`_read_pdf`), tesseract and antiword are subprocesses with timeouts, the Scanner has a page budget.
# What they give must still pass the budget's paragraph and passage counts (`check_document`).
_SOURCE_READERS: dict[str, Callable[[_Source], Document]] = {
    ".doc": _read_doc,
    ".pdf": _read_pdf,
    **dict.fromkeys(IMAGE_SUFFIXES, _read_image),
}


def _relpath(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.resolve().relative_to(root.resolve()).as_posix()


def read_file(
    path: Path,
    root: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    scanner: Scanner | None = None,
    budget: Budget | None = None,
) -> ReadResult:
    """Read one corpus file: the Document and how its pages were read. `Document.path` is `path` relative
    to `root`, with forward slashes. Scanned pages and images are OCR'd by `scanner` (its cache, budget and
    timeout; a fresh one without a cache when None).

    Raises BadDocument("<relpath>: <reason>") for an unsupported type, a file over `max_bytes`
    (default 20 MB, CHIDAO_MAX_FILE_MB in the settings), an empty or binary file, an unknown text
    encoding, a broken .docx/.doc/.pdf/image, a zip bomb, a scan in which OCR finds no text, or a file
    over the OCR page budget; its subclass DocumentTooLarge for a file over its `budget`
    (index/budget.py; `max_bytes` overrides the budget's file size when given without a budget).
    """
    budget = budget or Budget(max_file_bytes=max_bytes)
    max_bytes = budget.max_file_bytes
    relpath = _relpath(path, root)
    suffix = path.suffix.lower()
    if suffix not in _BYTE_READERS and suffix not in _SOURCE_READERS:
        raise BadDocument(f"{relpath}: unsupported file type {path.suffix or '(no extension)'!r}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadDocument(f"{relpath}: file is {_size(size)}, over the {_size(max_bytes)} limit")
        data = path.read_bytes()
    except OSError as exc:
        raise BadDocument(f"{relpath}: cannot read file ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:  # the file grew since stat()
        raise BadDocument(f"{relpath}: file is over the {_size(max_bytes)} limit")
    if suffix in _BYTE_READERS:
        return ReadResult(read_within(_BYTE_READERS[suffix], suffix, relpath, data, budget))
    src = _Source(relpath, data, budget, scanner or Scanner())
    document = check_document(_SOURCE_READERS[suffix](src), budget)
    return ReadResult(document, tuple(src.pages))


def read_document(
    path: Path,
    root: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    scanner: Scanner | None = None,
    budget: Budget | None = None,
) -> Document:
    """`read_file(...).document`."""
    return read_file(path, root, max_bytes, scanner, budget).document


def read_photos(
    images: Sequence[Path],
    target: Path,
    root: Path,
    *,
    scanner: Scanner | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    budget: Budget | None = None,
) -> ReadResult:
    """An uploaded photo or album (image files, pages in order) as one corpus document.

    One image is copied to `target` as it is (its suffix kept: give `target` the image's suffix); several
    are written to `target` as one PDF, a page per image (give `target` the suffix ".pdf"). The file is
    then read like any corpus file, so the pages OCR'd here are in `scanner`'s cache under the file's hash
    and the next index build does not OCR them again. Raises BadDocument for an unreadable image, a page
    count over MAX_PAGES, or an album in which OCR finds no text; `target` is removed then.
    """
    if not images:
        raise BadDocument(f"{target.name}: no images")
    if len(images) > MAX_PAGES:
        raise BadDocument(f"{target.name}: {len(images)} pages, over the limit of {MAX_PAGES}")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if len(images) == 1:
            shutil.copyfile(images[0], target)
        else:
            write_album_pdf(images, target)
        return read_file(target, root, max_bytes, scanner, budget)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def write_album_pdf(images: Sequence[Path], target: Path) -> None:
    """Images as the pages of one PDF, each page sized so that rendering it at PDF_DPI gives back the
    image's pixels."""
    from PIL import Image, UnidentifiedImageError

    pages = []
    try:
        for path in images:
            with Image.open(path) as img:
                img.load()
                pages.append(img.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise BadDocument(f"{target.name}: a page is not a readable image ({exc})") from exc
    pages[0].save(target, "PDF", save_all=True, append_images=pages[1:], resolution=float(PDF_DPI))


def _is_hidden(name: str) -> bool:
    # Dot files and Word's "~$name.docx" lock files.
    return name.startswith((".", "~$"))


def corpus_files(root: Path) -> list[Path]:
    """Every non-hidden file under root (hidden directories are not entered), sorted by relative path."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not _is_hidden(d)]
        found.extend(Path(dirpath, name) for name in filenames if not _is_hidden(name))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def scan_corpus(
    root: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
    scanner: Scanner | None = None,
    budget: Budget | None = None,
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Read every supported file under root. Returns (documents, [(relpath, reason) of skipped files]).

    Files with another suffix are listed as skipped ("unsupported file type") so an admin sees why an
    .xlsx was not indexed. A broken file never stops the others. Scans are OCR'd by `scanner` (pass one
    with the index's OcrCache to reuse what the build OCR'd).
    """
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    for path in corpus_files(root):
        relpath = path.relative_to(root).as_posix()
        try:
            documents.append(read_document(path, root, max_bytes, scanner, budget))
        except BadDocument as exc:
            reason = str(exc)
            prefix = f"{relpath}: "
            skipped.append((relpath, reason[len(prefix) :] if reason.startswith(prefix) else reason))
    return documents, skipped
