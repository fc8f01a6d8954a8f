"""The administrative layout of Decree 30/2020/NĐ-CP (state bodies) and Guide 36-HD/VPTW (party bodies):
the top of a document that has no `Ngày:` / `Cơ quan:` header block.

    TỈNH ỦY QUẢNG TRỊ                         ĐẢNG CỘNG SẢN VIỆT NAM        (or CỘNG HÒA XÃ HỘI CHỦ NGHĨA
      BAN TỔ CHỨC                                                           VIỆT NAM / Độc lập - Tự do -
           *                                                                Hạnh phúc)
     Số 87-BC/BTCTU                     Quảng Trị, ngày 27 tháng 3 năm 2024
                                   BÁO CÁO
              kết quả công tác tổ chức xây dựng Đảng quý I ...      (or the same in capitals)

`parse_admin_header(lines)` reads the normalised lines of any format (OCR, PDF text layer, .docx, text).
The two columns may come one after the other (OCR blocks, Word table cells on lines of their own) or
side by side on one line (a PDF text layer, a Word table row joined with " | ", an OCR line tesseract did
not cut); `split_columns` cuts such a line before the right column's motto or place-and-date line, so a
column is never read into its neighbour.

What it gives (`AdminHeader`):
* agency — the issuing body: the lines above "Số" in capitals, the superior body combined with the
  issuing one as people write it ("TỈNH ỦY QUẢNG TRỊ" + "BAN TỔ CHỨC" → "Ban Tổ chức Tỉnh ủy Quảng Trị";
  "UBND TỈNH QUẢNG NGÃI" + "SỞ NỘI VỤ" → "Sở Nội vụ tỉnh Quảng Ngãi"; "ỦY BAN NHÂN DÂN" + "TỈNH BẾN
  TRE" → "Ủy ban nhân dân tỉnh Bến Tre"), in normal case;
* number — "215-KL/TU", "12/KH-UBND" (from "Số: …", "Số …", "Số:12 /KH-UBND");
* place and date — from "Bến Tre, ngày 05 tháng 01 năm 2024" (leading zeros or not);
* title — the kind in capitals ("KẾT LUẬN") with the lines after it: lines in capitals are joined and
  turned into normal case (`normal_case`); a line in normal case takes the lines after it that start in
  lower case or with a number (a wrapped title). A "V/v …" line under the number (an official letter)
  is the title when there is no kind line.
A header needs a motto, a number line or a place-and-date line among its first HEAD_MAX_LINES lines; text
without one is left to the older rules in index/documents.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from index.legacy import is_vietnamese_syllable
from index.places import PROVINCES
from index.text import fold

HEAD_MAX_LINES = 16
TITLE_MAX_LINES = 6
TITLE_MAX_CHARS = 250

_MOTTO = (
    r"(?:CỘNG\s+H[OÒ]A\s+XÃ\s+HỘI\s+CHỦ\s+NGH[ĨI]A\s+VIỆT\s+NAM"
    r"|ĐẢNG\s+CỘNG\s+SẢN\s+VIỆT\s+NAM"
    r"|Độc\s+lập\s*[-–—]\s*Tự\s+do\s*[-–—]\s*Hạnh\s+phúc)"
)
_MOTTO_RE = re.compile(_MOTTO, re.IGNORECASE)
# The same without diacritics, for OCR that misreads a tone mark ("ĐẲNG CỘNG SẢN") or reads a letter twice
# ("ĐẢẲNG": a marked letter read as two); matched on fold(line).
def _folded_phrase(phrase: str) -> str:
    words = [r"\s*[-–—]\s*" if w == "-" else "".join(f"{re.escape(c)}+" for c in w) for w in phrase.split()]
    return r"\s+".join(words).replace(r"\s+\s*[-–—]\s*\s+", r"\s*[-–—]\s*")


_MOTTO_FOLDED = re.compile(
    "|".join(
        _folded_phrase(p)
        for p in ("cong hoa xa hoi chu nghia viet nam", "dang cong san viet nam", "doc lap - tu do - hanh phuc")
    ),
    re.IGNORECASE,
)


def _mottos(line: str) -> list[re.Match[str]]:
    folded = fold(line)
    if len(folded) == len(line):
        return list(_MOTTO_FOLDED.finditer(folded))
    return list(_MOTTO_RE.finditer(line))


def _is_motto(cell: str) -> bool:
    found = _mottos(cell)
    return len(found) == 1 and found[0].start() == 0 and found[0].end() == len(cell)
_DATE_WORDS = r"[Nn]gày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})"
# "Quảng Trị, ngày 27 tháng 3 năm 2024": the place is a few capitalised words before the comma
# (checked by `_place_ok`).
_PLACE_DATE = re.compile(r"(?P<place>[^\W\d_][\w.]*(?:\s+(?:[\w.]+|[-–]))" + r"{0,5})\s*,\s*" + _DATE_WORDS + r"\.?")
_DATE_TAIL = re.compile(r",\s*" + _DATE_WORDS + r"\.?\s*$")
_DATE_ONLY = re.compile(rf"^{_DATE_WORDS}\.?$")
_NUMBER = re.compile(r"^Số\s*[:.]?\s*(?P<number>\d{1,5}\s*[-/]\s*[\w./–-]*\w)", re.IGNORECASE)
_NUMBER_ANYWHERE = re.compile(r"(?<!\w)Số\s*[:.]?\s*\d{1,5}\s*[-/]\s*[\w./–-]*\w", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[\s*_=~|.·•—–-]*$")
_REGARDING = re.compile(r"^V/v\.?\s*(?P<rest>.+)$", re.IGNORECASE)
KINDS = (
    "KẾT LUẬN", "KẾ HOẠCH", "BÁO CÁO", "THÔNG BÁO", "HƯỚNG DẪN", "QUYẾT ĐỊNH", "NGHỊ QUYẾT", "CHỈ THỊ",
    "TỜ TRÌNH", "CÔNG VĂN", "QUY ĐỊNH", "QUY CHẾ", "CHƯƠNG TRÌNH", "ĐỀ ÁN", "BIÊN BẢN", "GIẤY MỜI",
    "THÔNG TRI", "CÔNG ĐIỆN", "PHƯƠNG ÁN", "DỰ ÁN", "NGHỊ ĐỊNH", "THÔNG TƯ", "LUẬT", "QUY CHẾ",
)  # fmt: skip
# A kind alone, or followed by a title with letters ("ĐỀ ÁN 06" in an issuer's name is no kind line).
_KIND_LINE = re.compile(rf"^(?P<kind>{'|'.join(KINDS)})[.:,]?(?:\s+(?P<rest>.*[^\W\d_].*))?$")

# Superior bodies written above the issuing one, and the words that open a place name.
_PARTY_SUPERIOR = re.compile(r"^(?:TỈNH|THÀNH|HUYỆN|QUẬN|THỊ|ĐẢNG)\s+ỦY\b")
_PARTY_ORGAN = re.compile(r"^(?:ĐẢNG\s+BỘ)\s+(?P<place>.+)$")
_STATE_SUPERIOR = re.compile(
    r"^(?:UBND|ỦY\s+BAN\s+NHÂN\s+DÂN|HĐND|HỘI\s+ĐỒNG\s+NHÂN\s+DÂN)\s+(?P<place>(?:TỈNH|THÀNH\s+PHỐ|TP\.?|HUYỆN"
    r"|QUẬN|THỊ\s+XÃ|XÃ|PHƯỜNG|THỊ\s+TRẤN)\s+.+)$"
)
_LOCALITY = re.compile(r"^(?:TỈNH|THÀNH\s+PHỐ|TP\.?|HUYỆN|QUẬN|THỊ\s+XÃ|XÃ|PHƯỜNG|THỊ\s+TRẤN)\s")

# Names whose case is fixed, used when the document itself does not show them in normal case.
KNOWN_NAMES = (
    *PROVINCES,
    "Ban Chấp hành Trung ương", "Bộ Chính trị", "Ban Bí thư", "Ban Thường vụ", "Ban Chấp hành", "Ban Tổ chức",
    "Ban Tuyên giáo", "Ban Dân vận", "Ban Nội chính", "Ban Kinh tế", "Ban Chỉ đạo", "Ủy ban Kiểm tra",
    "Văn phòng", "Tỉnh ủy", "Thành ủy", "Huyện ủy", "Quận ủy", "Thị ủy", "Đảng ủy", "Đảng bộ", "Chi bộ",
    "Ủy ban nhân dân", "Hội đồng nhân dân", "Ủy ban Mặt trận Tổ quốc", "Mặt trận Tổ quốc", "Sở Nội vụ",
    "Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Tư pháp", "Sở Xây dựng",
    "Sở Công Thương", "Sở Giao thông vận tải", "Sở Tài nguyên và Môi trường", "Sở Thông tin và Truyền thông",
    "Sở Khoa học và Công nghệ", "Sở Nông nghiệp và Phát triển nông thôn", "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch", "Công an", "Bộ Chỉ huy Quân sự", "Quốc hội", "Chính phủ",
    "Thủ tướng Chính phủ", "Trung ương", "xây dựng Đảng", "Hồ Chí Minh", "Việt Nam", "Bộ Nội vụ",
    "Bộ Tài chính", "Bộ Công an", "Bộ Quốc phòng",
)  # fmt: skip
_KNOWN_FOLDED = {tuple(fold(name.lower()).split()): name for name in KNOWN_NAMES if " " in name}
_ROMAN = re.compile(r"^(?:X{0,3})(?:IX|IV|V?I{0,3})$")
_ROMAN_AFTER = {"quý", "quy", "thứ", "khóa", "khoá", "phần", "chương", "mục", "kỳ", "giai"}
_EDGE_PUNCT = "\"“”'‘’()[],.;:!?…"


@dataclass(frozen=True)
class AdminHeader:
    agency: str | None
    number: str | None
    place: str | None
    date: dt.date | None
    title: str | None
    body_start: int  # index of the first body line in the lines given
    head: tuple[str, ...]  # the header's lines as read (columns split), for the date search


def _place_ok(place: str) -> bool:
    """Capitalised words, not in capitals ("Quảng Trị", "TP. Hồ Chí Minh", "Bà Rịa - Vũng Tàu")."""
    words = [w for w in place.split() if w not in ("-", "–", "TP.", "TP")]
    return bool(words) and all(w[:1].isupper() and not (len(w) > 1 and w.isupper()) for w in words)


def _date(day: str, month: str, year: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def split_columns(line: str) -> list[str]:
    """A line that holds both letterhead columns, cut into its cells (left first); other lines whole.

    Cut points: " | " (a Word table row), the start of a motto, the start of the place before
    ", ngày … năm …", and the end of a "Số …" number. A body sentence that mentions a date is left whole:
    only a line whose cut pieces are all letterhead-like is cut.
    """
    if " | " in line:
        return [cell for part in line.split(" | ") for cell in split_columns(part.strip()) if cell]
    cuts: set[int] = set()
    for m in _mottos(line):
        cuts.add(m.start())
    tail = _DATE_TAIL.search(line)
    if tail:
        # the place is the capitalised words right before the comma ("… BAN TỔ CHỨC Quảng Trị, ngày")
        words = line[: tail.start()].split()
        n = 0
        while n < len(words) and n < 6 and _place_ok(" ".join(words[len(words) - n - 1 :])):
            n += 1
        if n:
            cuts.add(len(" ".join(words[: len(words) - n])))
    m_number = _NUMBER_ANYWHERE.search(line)
    if m_number:
        cuts.add(m_number.start())
        cuts.add(m_number.end())
    cuts = {c for c in cuts if 0 < c < len(line)}
    if not cuts:
        return [line]
    pieces = [line[a:b].strip() for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(line)], strict=True)]
    pieces = [p for p in pieces if p]
    if not all(_head_like(p) for p in pieces):
        return [line]
    return pieces


def _head_like(piece: str) -> bool:
    return bool(
        _is_motto(piece)
        or ((m := _PLACE_DATE.fullmatch(piece)) and _place_ok(m.group("place")))
        or _NUMBER.match(piece)
        or _is_caps(piece)
        or _SEPARATOR.match(piece)
    )


def _is_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _caps_piece(line: str) -> bool:
    """A line of a title in capitals, also a wrapped piece with one letter ("I," after "QUÝ")."""
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _clean_number(raw: str) -> str:
    number = re.sub(r"\s+", "", raw).replace("–", "-")
    return number.rstrip(".-/")


@dataclass
class _Head:
    issuer: list[str]
    number: str | None = None
    place: str | None = None
    date: dt.date | None = None
    evidence: int = 0
    regarding: list[str] | None = None


def parse_admin_header(lines: Sequence[str], context: str = "") -> AdminHeader | None:
    """The administrative header at the top of `lines` (normalised; blank lines are skipped), or None.

    `context` is the document's text, used to put the title and the issuing body into normal case with
    the document's own spelling of names (see `normal_case`).
    """
    head = _Head(issuer=[])
    cells: list[str] = []
    i = 0
    seen = 0
    kind_at: int | None = None
    while i < len(lines) and seen < HEAD_MAX_LINES:
        line = lines[i].strip()
        i += 1
        if not line:
            continue
        seen += 1
        if sum(c.isalnum() for c in line) <= 2 and not _SEPARATOR.match(line):
            continue  # OCR specks between the letterhead lines ("Ta", "3k" from a dirty scan)
        if _KIND_LINE.match(line) and head.evidence:
            kind_at = i - 1
            break
        parts = split_columns(line)
        if not all(_read_cell(p, head) for p in parts):
            if head.regarding is not None and not _is_caps(line) and len(head.regarding) < 3 and line[:1].islower():
                head.regarding.append(line)  # a wrapped "V/v" line
                continue
            i -= 1
            break
        cells.extend(parts)
    if not head.evidence or not (head.number or head.date or head.issuer):
        return None
    body_start = i
    title: str | None = None
    if kind_at is not None:
        title, body_start = _title_after_kind(lines, kind_at, context)
    elif head.regarding:
        title = " ".join(head.regarding)
    else:
        # a title in capitals with no kind line ("QUẢNG TRỊ GIAO BAN ..."): the lines in capitals
        j = _skip_blank(lines, body_start)
        caps: list[str] = []
        while j < len(lines) and lines[j].strip() and _is_caps(lines[j]) and len(caps) < TITLE_MAX_LINES:
            caps.append(lines[j].strip())
            j += 1
        if caps:
            title = normal_case(" ".join(caps), context, capitalise_first=True)
            body_start = j
    while body_start < len(lines) and _SEPARATOR.match(lines[body_start]):
        body_start += 1
    agency = combine_issuer(head.issuer, context)
    if context:
        title = respell(title, context) if title else title
        agency = respell(agency, context) if agency else agency
    return AdminHeader(agency, head.number, head.place, head.date, title, body_start, tuple(cells))


def _skip_blank(lines: Sequence[str], j: int) -> int:
    while j < len(lines) and not lines[j].strip():
        j += 1
    return j


def _read_cell(cell: str, head: _Head) -> bool:
    """Take one letterhead cell into `head`; False when the cell is not letterhead."""
    if _SEPARATOR.match(cell):
        return True
    if _is_motto(cell):
        head.evidence += 1
        return True
    m = _PLACE_DATE.fullmatch(cell)
    if m and not _place_ok(m.group("place")):
        m = None
    m = m or _DATE_ONLY.match(cell)
    if m:
        groups = m.groups()[-3:]
        head.date = _date(*groups)
        if "place" in m.re.groupindex:
            head.place = m.group("place").strip()
        head.evidence += 1
        return True
    m = _NUMBER.match(cell)
    if m and head.number is None:
        head.number = _clean_number(m.group("number"))
        head.evidence += 1
        rest = cell[m.end() :].strip()
        return not rest or _read_cell(rest, head)
    m = _REGARDING.match(cell)
    if m and head.regarding is None:
        head.regarding = [m.group("rest").strip()]
        return True
    if _is_caps(cell) and not _KIND_LINE.match(cell) and len(cell) <= 80:
        if head.number is None and not head.date:
            head.issuer.append(cell)
            return True
        # a line in capitals after the number: the issuer's continuation in the other column order
        # (a Word table read row by row), unless the header is complete
        if len(head.issuer) < 4 and not head.date:
            head.issuer.append(cell)
            return True
    return False


def _title_after_kind(lines: Sequence[str], at: int, context: str) -> tuple[str, int]:
    m = _KIND_LINE.match(lines[at].strip())
    assert m is not None
    kind = m.group("kind").capitalize()
    parts: list[str] = [m.group("rest")] if m.group("rest") else []
    j = _skip_blank(lines, at + 1)
    caps = bool(parts) and _is_caps(parts[0])
    if not parts and j < len(lines) and _is_caps(lines[j]) and not _SEPARATOR.match(lines[j]):
        caps = True
    if caps:
        while j < len(lines) and _caps_piece(lines[j]) and len(parts) < TITLE_MAX_LINES:
            if _SEPARATOR.match(lines[j]):
                break
            parts.append(lines[j].strip())
            j += 1
        rest = normal_case(" ".join(parts), context, capitalise_first=False)
    else:
        if not parts and j < len(lines) and lines[j].strip() and not _SEPARATOR.match(lines[j]):
            parts.append(lines[j].strip())
            j += 1
        while j < len(lines) and parts and len(parts) < TITLE_MAX_LINES:
            nxt = lines[j].strip()
            if not nxt or _SEPARATOR.match(nxt) or not _continues_title(parts[-1], nxt):
                break
            if sum(len(p) for p in parts) + len(nxt) > TITLE_MAX_CHARS:
                break
            parts.append(nxt)
            j += 1
        rest = " ".join(parts)
    return (f"{kind} {rest}".strip() if rest else kind), j


_PERIOD_START = re.compile(r"^[IVX]{1,4}/\d{4}\b")  # "II/2024" ending a title wrapped after "quý"
_LIST_MARK = re.compile(r"^(?:\d{1,3}|[IVX]{1,4}|[a-zđ])[.)]\s")


def _continues_title(previous: str, line: str) -> bool:
    """A wrapped title line: after a line not ending a sentence, starting in lower case or with a number
    that is no list marker."""
    ends = (".", "!", "?", "…", ";", ":")
    if previous.endswith(ends) or line.endswith(ends) or _LIST_MARK.match(line):
        return False
    return line[:1].islower() or line[:1].isdigit() or _PERIOD_START.match(line) is not None


def combine_issuer(lines: Sequence[str], context: str = "") -> str | None:
    """The issuing body from the letterhead lines in capitals, in normal case (see the module docstring)."""
    lines = [ln.strip() for ln in lines if ln.strip() and not _SEPARATOR.match(ln)]
    if not lines:
        return None
    first, rest = lines[0], " ".join(lines[1:])
    if not rest:
        name = re.sub(r"^UBND\b", "ỦY BAN NHÂN DÂN", re.sub(r"^HĐND\b", "HỘI ĐỒNG NHÂN DÂN", first))
    elif _PARTY_ORGAN.match(first) and _PARTY_SUPERIOR.match(rest):
        name = rest  # "HUYỆN ỦY ĐỨC TRỌNG" under "ĐẢNG BỘ TỈNH LÂM ĐỒNG"
    elif (m := _PARTY_ORGAN.match(first)) and rest in ("TỈNH ỦY", "THÀNH ỦY", "HUYỆN ỦY", "ĐẢNG ỦY"):
        name = f"{rest} {_LOCALITY.sub('', m.group('place') + ' ').strip()}"  # "ĐẢNG BỘ TỈNH X" / "TỈNH ỦY"
    elif _LOCALITY.match(rest):
        name = f"{first} {rest}"  # one name on two lines: "ỦY BAN NHÂN DÂN" / "TỈNH BẾN TRE"
    elif _PARTY_SUPERIOR.match(first):
        name = f"{rest} {first}"  # "BAN TỔ CHỨC" under "TỈNH ỦY QUẢNG TRỊ"
    elif m := _STATE_SUPERIOR.match(first):
        name = f"{rest} {m.group('place')}"  # "SỞ NỘI VỤ" under "UBND TỈNH QUẢNG NGÃI"
    elif first.startswith("BỘ "):
        name = f"{rest} {first}"
    else:
        name = f"{first} {rest}"
    return _place_tail(normal_case(name, context, capitalise_first=True))


_UNIT_WORD = re.compile(
    r"\b(?:tỉnh|huyện|quận|xã|phường|thị xã|thị trấn|thành phố|TP\.|Tỉnh ủy|Thành ủy|Huyện ủy|Quận ủy|Thị ủy)\s+"
)


def _place_tail(name: str) -> str:
    """The words after the last administrative unit of an issuing body's name are a place name: each
    capitalised ("Huyện ủy đức trọng" → "Huyện ủy Đức Trọng"; "tỉnh Quảng Ngãi" stays)."""
    units = list(_UNIT_WORD.finditer(name))
    if not units:
        return name
    end = units[-1].end()
    tail = " ".join(w[:1].upper() + w[1:] if w not in ("-", "–") else w for w in name[end:].split())
    return name[:end] + tail


# ---------------------------------------------------------------------------------------------------
# Spelling from the body


def _pairs(text: str) -> dict[tuple[str, str], Counter[tuple[str, str]]]:
    """Folded word pairs of the text to the spellings (lower case) they occur in."""
    words = [_strip(w).lower() for w in text.split()]
    out: dict[tuple[str, str], Counter[tuple[str, str]]] = {}
    for a, b in zip(words, words[1:], strict=False):
        if a and b and a.isalpha() and b.isalpha():
            out.setdefault((fold(a), fold(b)), Counter())[(a, b)] += 1
    return out


def respell(text: str, context: str) -> str:
    """Tone marks in a title or name read from the letterhead, taken from the body where they differ.

    The letterhead is printed in bold capitals, which OCR reads worse than the body: "THỰC HIỆN" comes out
    "thục hiện", "THI NÂNG NGẠCH" "thị nâng ngạch". A pair of words the body never writes, whose letters
    without tone marks the body writes one way at least twice and at least twice as often, is written the
    body's way. Text the body agrees with is left alone, so a clean letterhead never changes.
    """
    seen = _pairs(context)
    words = text.split()
    out = list(words)
    for k in range(len(words) - 1):
        a, b = _strip(words[k]).lower(), _strip(words[k + 1]).lower()
        if not (a.isalpha() and b.isalpha()):
            continue
        forms = seen.get((fold(a), fold(b)))
        if not forms:
            continue
        (best, count), *rest = forms.most_common()
        own = forms.get((a, b), 0)  # the title itself is part of the text, and OCR may repeat its mistake
        if best == (a, b) or count < 2 or own * 2 > count or (rest and rest[0][1] == count):
            continue
        for j, new in ((k, best[0]), (k + 1, best[1])):
            old = _strip(out[j])
            if old.lower() == new or fold(old.lower()) != fold(new):
                continue
            if old.isupper() and len(old) > 1:
                new = new.upper()
            elif old[:1].isupper():
                new = new[:1].upper() + new[1:]
            out[j] = out[j].replace(old, new, 1)
    return " ".join(out)


# ---------------------------------------------------------------------------------------------------
# Normal case


def _strip(word: str) -> str:
    return word.strip(_EDGE_PUNCT)


def _casings(context: str, extra: Iterable[str] = KNOWN_NAMES) -> dict[tuple[str, ...], str]:
    """Word sequences (lower case, 1-4 words) to the case the text writes them in when not opening a
    sentence, where that case has capitals and is more common than all-lower-case; `extra` names fill in."""
    counts: dict[tuple[str, ...], Counter[tuple[str, ...]]] = {}
    for sentence in re.split(r"(?<=[.!?…:;])\s+|\n+", context):
        words = [_strip(w) for w in sentence.split()]
        capital = [w[:1].isupper() for w in words]
        for n in range(1, 5):
            for k in range(1, len(words) - n + 1):  # k >= 1: not the sentence's first word
                window = tuple(words[k : k + n])
                if not all(window) or any(w.isupper() and len(w) > 1 for w in window):
                    continue
                # a window must not cut a name: "Tỉnh ủy Thái" of "Tỉnh ủy Thái Bình"
                if (capital[k] and k > 1 and capital[k - 1]) or (
                    capital[k + n - 1] and k + n < len(words) and capital[k + n]
                ):
                    continue
                key = tuple(w.lower() for w in window)
                counts.setdefault(key, Counter())[window] += 1
    table: dict[tuple[str, ...], str] = {}
    for name in extra:
        table[tuple(name.lower().split())] = name
    for key, forms in counts.items():
        lower_count = forms.get(key, 0)
        form, count = max(forms.items(), key=lambda kv: kv[1])
        if len(key) > 1 and key not in table:
            table[key] = " ".join(form)  # the usual case of a phrase, lower case included ("giao ban")
        elif len(key) == 1 and form != key and count >= 2 and lower_count == 0:
            table[key] = form[0]  # a word the text never writes in lower case
    return table


def _keep_capitals(word: str, previous: str) -> bool:
    core = _strip(word)
    if not core or not any(c.isalpha() for c in core):
        return True
    if any(c.isdigit() for c in core) or "/" in core:
        return True  # "27-NQ/TW", "UBTVQH15"
    if _ROMAN.match(core) and previous.lower() in _ROMAN_AFTER:
        return True  # "QUÝ II", "LẦN THỨ XX"
    parts = [p for p in re.split(r"[-–]", core) if p]
    return any(not is_vietnamese_syllable(p.lower()) for p in parts)  # "UBND", "CB-CC", "ĐVHC"


def normal_case(text: str, context: str = "", *, capitalise_first: bool = True) -> str:
    """Text in capitals to normal case: lower case, except symbols and acronyms (kept in capitals), names
    as the document (`context`) or KNOWN_NAMES write them, and the first letter when `capitalise_first`."""
    words = text.split()
    if not words:
        return text
    table = _casings(context)
    out: list[str] = []
    k = 0
    previous = ""
    while k < len(words):
        matched = False
        for n in range(min(4, len(words) - k), 0, -1):
            window = words[k : k + n]
            key = tuple(_strip(w).lower() for w in window)
            found = table.get(key) if all(key) else None
            if found is None and n >= 2 and all(key):
                found = _KNOWN_FOLDED.get(tuple(fold(w) for w in key))  # "ỦY BẠN NHÂN DÂN" read by OCR
            if found is not None:
                cased = found.split()
                for w, c in zip(window, cased, strict=True):
                    core = _strip(w)
                    out.append(w.replace(core, c, 1) if core else w)
                k += n
                matched = True
                break
        if not matched:
            w = words[k]
            if _strip(w).lower() == "quy" and k + 1 < len(words) and _ROMAN.match(_strip(words[k + 1])):
                out.append(w.lower().replace("quy", "quý"))  # "QUY II": OCR lost the acute of "QUÝ"
            else:
                out.append(w if _keep_capitals(w, previous) else w.lower())
            k += 1
        previous = _strip(words[k - 1]).lower()
    result = " ".join(out)
    if capitalise_first and result[:1].islower():
        result = result[0].upper() + result[1:]
    return result
