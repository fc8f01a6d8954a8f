"""Read corpus files (.txt, .md, .docx, .pdf) into `Document`s.

Every problem with a file is raised as `BadDocument("<relpath>: <reason>")`; `scan_corpus` turns those
into a list of skipped files so one broken file never stops the others.

Size limit: a file larger than `max_bytes` is refused before it is read. The default is 20 MB; the
bot passes `Settings.max_file_bytes`, set with the environment variable CHIDAO_MAX_FILE_MB.

Layout rules (the same for every format, applied to the normalised lines of the body):

* Header block: an optional title line followed directly by field lines
  (`Ngày: 26/03/2024`, `Ngày: 6/3/2024`, `Ngày 26 tháng 3 năm 2024`, `Hà Nội, ngày 26 tháng 3 năm 2024`,
  `Cơ quan: ...`, `Cơ quan ban hành: ...`) and ended by a blank line or the first other line. The header
  is not a paragraph. An impossible date (31/02/2024) gives `date=None`.
* Without a header the first line is the title. A short title-like line (at most 200 characters, not
  ending in sentence punctuation . ! ? … ; :) is the title only; a longer or sentence-like line stays
  paragraph 1 and the title is its first 12 words followed by "…". A one-line document keeps its line
  as paragraph 1 as well. The date is then looked for in the text (see `find_date_in_text`) and the
  agency is None.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

from index.errors import BadDocument
from index.model import Document
from index.text import normalise

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

TITLE_MAX_CHARS = 200
TITLE_WORDS = 12


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
_WORDY_DATE = r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
_DATE_FIELD = re.compile(
    rf"^(?:ngày(?:\s+ban\s+hành)?\s*:\s*(?:{_DAY_MONTH_YEAR}|{_WORDY_DATE})"
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


def parse_header(lines: list[str]) -> tuple[str | None, dt.date | None, str | None, list[str]] | None:
    """Split off a header block: (title, date, agency, remaining lines), or None without a header.

    `lines` are normalised lines; leading blank lines are ignored.
    """
    start = 0
    while start < len(lines) and not lines[start]:
        start += 1
    if start >= len(lines):
        return None
    title = lines[start]
    date: dt.date | None = None
    agency: str | None = None
    fields = 0
    i = start + 1
    while i < len(lines) and lines[i]:
        is_date, value = _date_field(lines[i])
        agency_match = _AGENCY_FIELD.match(lines[i])
        if is_date:
            date = value
        elif agency_match:
            agency = agency_match.group(1).strip() or None
        else:
            break
        fields += 1
        i += 1
    if fields == 0:
        # The title may itself be a field line (a file that starts with "Ngày: ..."): no title then.
        return None
    return title, date, agency, lines[i:]


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


_SENTENCE_END_CHARS = ".!?…;:"


def _short_title(line: str) -> str:
    words = line.split()
    if len(words) <= TITLE_WORDS:
        return line
    return " ".join(words[:TITLE_WORDS]) + "…"


def build_document(relpath: str, lines: list[str]) -> Document:
    """Apply the header / title rules to normalised lines (one paragraph per non-empty line)."""
    header = parse_header(lines)
    if header is not None:
        title, date, agency, body = header
        paragraphs = [line for line in body if line]
        if not paragraphs:
            raise BadDocument(f"{relpath}: no text after the header block")
        assert title is not None
        return Document(relpath, title, date, agency, tuple(paragraphs))
    paragraphs = [line for line in lines if line]
    if not paragraphs:
        raise BadDocument(f"{relpath}: no text")
    first = paragraphs[0]
    if len(first) <= TITLE_MAX_CHARS and not first.endswith(tuple(_SENTENCE_END_CHARS)) and len(paragraphs) > 1:
        title = first
        paragraphs = paragraphs[1:]
    else:
        title = _short_title(first)
    date = find_date_in_text("\n".join([title, *paragraphs]))
    return Document(relpath, title, date, None, tuple(paragraphs))


# ---------------------------------------------------------------------------------------------------
# Plain text and markdown

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


def decode_text(relpath: str, data: bytes) -> str:
    """Bytes of a text file to str: UTF-8 (with or without BOM) or UTF-16 with BOM."""
    if not data.strip():
        raise BadDocument(f"{relpath}: empty file")
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadDocument(f"{relpath}: broken UTF-16 text ({exc.reason} at byte {exc.start})") from exc
    if b"\x00" in data:
        raise BadDocument(f"{relpath}: binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadDocument(f"{relpath}: not UTF-8 or UTF-16 text") from exc


def text_lines(text: str) -> list[str]:
    return normalise(text).split("\n")


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
_MD_DROP_LINE = re.compile(r"^(?:```.*|~~~.*|[-*_](?:\s*[-*_]){2,}|\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?)$")


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


def _read_txt(relpath: str, data: bytes) -> Document:
    return build_document(relpath, text_lines(decode_text(relpath, data)))


def _read_md(relpath: str, data: bytes) -> Document:
    lines = [strip_markdown_line(line) for line in text_lines(decode_text(relpath, data))]
    return build_document(relpath, lines)


# ---------------------------------------------------------------------------------------------------
# Entry points

_READERS: dict[str, Callable[[str, bytes], Document]] = {
    ".txt": _read_txt,
    ".md": _read_md,
}


def _relpath(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.resolve().relative_to(root.resolve()).as_posix()


def read_document(path: Path, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read one corpus file. `Document.path` is `path` relative to `root`, with forward slashes.

    Raises BadDocument("<relpath>: <reason>") for an unsupported type, a file over `max_bytes`
    (default 20 MB, CHIDAO_MAX_FILE_MB in the settings), an empty or binary file, an unknown text
    encoding, a broken .docx/.pdf, a zip bomb, or a PDF without a text layer.
    """
    relpath = _relpath(path, root)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise BadDocument(f"{relpath}: unsupported file type {path.suffix or '(no extension)'!r}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadDocument(
                f"{relpath}: file is {size / 1048576:.1f} MB, over the {max_bytes / 1048576:.1f} MB limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise BadDocument(f"{relpath}: cannot read file ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:  # the file grew since stat()
        raise BadDocument(f"{relpath}: file is over the {max_bytes / 1048576:.1f} MB limit")
    return reader(relpath, data)


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
    root: Path, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Read every supported file under root. Returns (documents, [(relpath, reason) of skipped files]).

    Files with another suffix are listed as skipped ("unsupported file type") so an admin sees why a
    .doc or .xlsx was not indexed. A broken file never stops the others.
    """
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    for path in corpus_files(root):
        relpath = path.relative_to(root).as_posix()
        try:
            documents.append(read_document(path, root, max_bytes))
        except BadDocument as exc:
            reason = str(exc)
            prefix = f"{relpath}: "
            skipped.append((relpath, reason[len(prefix) :] if reason.startswith(prefix) else reason))
    return documents, skipped
