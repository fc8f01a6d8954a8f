"""Documents an admin sends to the bot: pure checks, safe file names, and saving into the corpus.

The order of work (driven by bot.handlers.documents):

1. `check_declared(name, size)` before anything is downloaded: type supported, Telegram's file_size
   within the limit.
2. The bytes are downloaded; `check_downloaded(data)` checks their real size.
3. `read(data, name)` writes them to a private temporary directory and reads them there with
   `index.documents.read_file` (size, encoding, broken files, .docx zip bombs, budgets; scans, photos and
   PDF pages without text are OCR'd through the index's OCR cache, and what OCR made of them is returned).
4. Only a file that reads is saved, by `store`, into `<corpus>/uploads/` under a sanitised name; nothing
   is ever written outside the corpus directory and an existing different file is never overwritten.

Refusals are `Refused(reason)` with a Vietnamese reason for the admin.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.budget import Budget
from index.documents import SUPPORTED_SUFFIXES, read_file, write_album_pdf
from index.errors import BadDocument
from index.model import Document
from index.ocr import LOW_CONFIDENCE
from index.scans import MAX_PAGES, OcrCache, PageReport, Scanner
from index.text import fold

UPLOADS_SUBDIR = "uploads"
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API lets a bot download files up to 20 MB
MAX_NAME_BYTES = 120  # of the stem, in UTF-8; file systems allow 255 for the whole name
FALLBACK_STEM = "tai-lieu"
MAX_SUFFIX_TRIES = 1000

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_UNSAFE = re.compile(r"[^\w\-.()]+")  # \w keeps Vietnamese letters (and other letters, digits, _)
_RUNS = re.compile(r"([_\-.])[_\-.]+")


class Refused(Exception):
    """An upload that is not added to the corpus; str() is the reason, in Vietnamese."""


@dataclass(frozen=True)
class Stored:
    path: str  # relative to the corpus directory, with forward slashes
    created: bool  # False when the same name with the same content was already there


# --------------------------------------------------------------------------------------------------
# Names


def suffix_of(name: str) -> str:
    """The lower-case extension of a file name as Telegram reports it ("" when there is none)."""
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, ext = base.rpartition(".")
    return f".{ext.lower()}" if dot and stem.strip(". ") and re.fullmatch(r"[A-Za-z0-9]{1,10}", ext) else ""


def safe_name(raw: str) -> str:
    """A file name that is safe to create inside a directory, from whatever name the sender chose.

    Directories and ".." are dropped (only the last path component is kept), control and
    direction-override characters removed, Vietnamese letters kept; characters other than letters,
    digits, "-", "_", ".", "(", ")" become "_". The name never starts with "." or "~" (hidden files are
    not indexed). When nothing usable is left, or the stem is too long, the stem is folded to ASCII
    (and cut); the extension is lower-cased. Applying it again changes nothing.
    """
    name = _safe_name_once(raw)
    for _ in range(3):  # cleaning can reveal an extension ("0.A" + a stray mark): settle on a fixed point
        again = _safe_name_once(name)
        if again == name:
            break
        name = again
    return name


def _safe_name_once(raw: str) -> str:
    base = unicodedata.normalize("NFC", raw)
    base = _CONTROL.sub("", base)
    base = re.split(r"[\\/]", base)[-1]
    suffix = suffix_of(base)
    stem = base[: len(base) - len(suffix)] if suffix else base
    stem = _clean(stem)
    if len(stem.encode("utf-8")) > MAX_NAME_BYTES:
        stem = _clean(fold(stem))[:MAX_NAME_BYTES].rstrip("_-.")
    if not stem:
        ascii_stem = _clean(fold(base[: len(base) - len(suffix)] if suffix else base))
        stem = ascii_stem.encode("ascii", "ignore").decode()[:MAX_NAME_BYTES] or FALLBACK_STEM
    return stem + suffix


def _clean(stem: str) -> str:
    stem = _UNSAFE.sub("_", stem.strip())
    stem = _RUNS.sub(r"\1", stem)
    return stem.strip("_-.~ ")


def with_number(name: str, n: int) -> str:
    """ "bao-cao.docx", 2 → "bao-cao-2.docx"."""
    suffix = suffix_of(name)
    stem = name[: len(name) - len(suffix)] if suffix else name
    return f"{stem}-{n}{suffix}"


# --------------------------------------------------------------------------------------------------
# Checks


def size_text(n_bytes: float) -> str:
    """ "20 MB", "1,5 MB", "800 KB" (Vietnamese decimal comma)."""
    if n_bytes >= 1024 * 1024:
        value, unit = n_bytes / (1024 * 1024), "MB"
    else:
        value, unit = n_bytes / 1024, "KB"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')} {unit}"


def supported_list() -> str:
    """ ".docx, .pdf, .txt, .md": the supported types, the most common first."""
    usual = (".docx", ".pdf", ".txt", ".md")
    return ", ".join(sorted(SUPPORTED_SUFFIXES, key=lambda s: usual.index(s) if s in usual else len(usual)))


def check_declared(name: str | None, size: int | None, max_bytes: int) -> None:
    """Before downloading: the type is supported and the size Telegram reports is within the limit."""
    suffix = suffix_of(name or "")
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "không có phần mở rộng"
        raise Refused(f"định dạng {shown} không được hỗ trợ; bot chỉ nhận tệp {supported_list()}.")
    if size is not None and size > max_bytes:
        raise Refused(f"tệp nặng {size_text(size)}, vượt giới hạn {size_text(max_bytes)}.")
    if size is not None and size > TELEGRAM_DOWNLOAD_LIMIT:
        raise Refused(
            f"tệp nặng {size_text(size)}; Telegram chỉ cho bot tải tệp đến "
            f"{size_text(TELEGRAM_DOWNLOAD_LIMIT)}, vui lòng chép tệp thẳng vào kho tài liệu."
        )


def check_downloaded(data: bytes | bytearray, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise Refused(f"tệp nặng {size_text(len(data))}, vượt giới hạn {size_text(max_bytes)}.")


_SAME_CONTENT = re.compile(r"same content as (.+)$")
_COUNT_OVER = re.compile(r"([\d,]+) (paragraphs|passages), over the limit of ([\d,]+)")
_TOOK = re.compile(r"took more than ([\d.]+) s")
_MEMORY = re.compile(r"(?:needs more than|over the) ([\d.]+ MB)(?: memory limit)?$")


def _budget_reason(message: str) -> str | None:
    """The Vietnamese reason for a refusal by a reading budget (index/budget.py) or by the zip-bomb guard of
    index.documents, or None."""
    m = message.lower()
    if "unpacks to" in m or "zip bomb" in m or "would expand" in m:
        return (
            "tệp .docx khi giải nén sẽ vượt quá giới hạn cho phép (nghi là «bom nén»); "
            "vui lòng mở và lưu lại tệp bằng Word rồi gửi lại."
        )
    found = _COUNT_OVER.search(m)
    if found:
        what = "đoạn văn" if found.group(2) == "paragraphs" else "đoạn trích"
        count, limit = (found.group(i).replace(",", ".") for i in (1, 3))
        return f"tài liệu có {count} {what}, vượt giới hạn {limit} {what} cho một tài liệu."
    found = _TOOK.search(m)
    if found:
        return f"đọc tệp mất quá {found.group(1)} giây (giới hạn cho một tệp); tệp quá lớn hoặc bị hỏng."
    if "memory" in m or "needs more than" in m:
        limit = _MEMORY.search(message)
        shown = f" ({limit.group(1)})" if limit else ""
        return f"đọc tệp cần quá nhiều bộ nhớ{shown}; tệp quá lớn hoặc bị hỏng."
    return None


# The English reasons of index.documents, by a phrase each may contain, and what the admin reads; the first
# match wins (after the cases that need numbers from the message, in reason_vi).
_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ocr found no text",), "không nhận dạng được chữ nào trong bản quét/ảnh chụp; vui lòng chụp lại rõ hơn."),
    (
        ("no text layer",),
        "tệp PDF không có lớp chữ (bản quét/ảnh chụp); cần nhận dạng chữ (OCR) hoặc gửi bản .docx/.pdf có chữ.",
    ),
    (("ocr budget",), "đã hết lượt nhận dạng chữ (OCR) của lần cập nhật này; tệp sẽ được đọc ở lần cập nhật sau."),
    (("not a readable image",), "tệp ảnh bị hỏng hoặc không đúng định dạng."),
    (
        ("word 97-2003", "needs antiword"),
        "tệp .doc bị hỏng hoặc không đọc được; vui lòng mở bằng Word và lưu thành .docx.",
    ),
    (("tesseract",), "máy chủ chưa cài công cụ nhận dạng chữ (tesseract, tiếng Việt); báo quản trị viên."),
    (("encrypted pdf",), "tệp PDF được đặt mật khẩu; vui lòng gửi bản không khoá."),
    (("binary file",), "tệp không phải văn bản (chứa dữ liệu nhị phân)."),
    (
        ("not utf-8", "utf-16"),
        "không nhận ra bảng mã của tệp văn bản (cần Unicode UTF-8, hoặc TCVN3, VNI, Windows-1258).",
    ),
    (
        ("not a valid .docx", "broken .docx"),
        "tệp .docx bị hỏng hoặc không đúng định dạng (tệp .doc cũ cần mở bằng Word và lưu thành .docx).",
    ),
    (("broken pdf",), "tệp PDF bị hỏng, không đọc được."),
    (("empty file", "no text"), "tệp không có nội dung văn bản."),
    (("cannot read",), "không đọc được tệp."),
)


def reason_vi(message: str, max_bytes: int) -> str:
    """A BadDocument message of index.documents ("<path>: <reason>", English) as a Vietnamese reason."""
    m = message.lower()
    same = _SAME_CONTENT.search(message)
    if same:
        return f"trùng nội dung với tệp «{same.group(1)}» đã có trong chỉ mục, nên không lập chỉ mục lần nữa."
    budget = _budget_reason(message)
    if budget is not None:
        return budget
    if "unsupported file type" in m:
        return f"định dạng không được hỗ trợ; bot chỉ nhận tệp {supported_list()}."
    if "over the" in m and "limit" in m:
        return f"tệp vượt giới hạn {size_text(max_bytes)}."
    return next((text for phrases, text in _REASONS if any(p in m for p in phrases)), "không đọc được nội dung tệp.")


@dataclass(frozen=True)
class OcrSummary:
    """How the pages of an upload were read by OCR."""

    pages: int  # pages OCR'd
    confidence: float  # their mean confidence, 0-100
    low_pages: tuple[int, ...] = ()  # 1-based pages below `low_threshold`
    low_threshold: float = LOW_CONFIDENCE


def ocr_summary(pages: Sequence[PageReport]) -> OcrSummary | None:
    """What OCR made of the pages of one file; None when no page was OCR'd (a text file, a PDF with text)."""
    scanned = [p for p in pages if p.source == "ocr"]
    if not scanned:
        return None
    confidence = sum(p.confidence or 0.0 for p in scanned) / len(scanned)
    return OcrSummary(len(scanned), confidence, tuple(p.page for p in scanned if p.low))


@dataclass(frozen=True)
class Read:
    """An upload as the index will read it, and how its scanned pages were read (None: no OCR)."""

    document: Document
    ocr: OcrSummary | None = None


def read(
    data: bytes, name: str, max_bytes: int, budget: Budget | None = None, ocr_cache: Path | None = None
) -> Read:
    """`validate`, with what OCR made of the scanned pages (when there were any). Pages are OCR'd through
    the index's cache `ocr_cache` (`<index>/ocr-cache`, keyed by the file's content hash), so the build that
    follows the upload does not OCR them again."""
    scanner = Scanner(cache=OcrCache(ocr_cache) if ocr_cache is not None else None)
    with tempfile.TemporaryDirectory(prefix="chidao-upload-") as tmp:
        root = Path(tmp)
        path = root / name
        path.write_bytes(data)
        try:
            result = read_file(path, root, scanner=scanner, budget=budget or Budget(max_file_bytes=max_bytes))
        except BadDocument as exc:
            raise Refused(reason_vi(str(exc), max_bytes)) from exc
    return Read(result.document, ocr_summary(result.pages))


def album_pdf(images: Sequence[bytes]) -> bytes:
    """Photos (JPEG or PNG bytes) as the pages of one PDF, in the order given
    (`index.documents.write_album_pdf`: each page renders back to the photo's pixels for OCR). Refused when
    one of them is not an image or there are more than MAX_PAGES."""
    if len(images) > MAX_PAGES:
        raise Refused(f"album có {len(images)} ảnh, vượt giới hạn {MAX_PAGES} trang.")
    with tempfile.TemporaryDirectory(prefix="chidao-album-") as tmp:
        root = Path(tmp)
        paths = []
        for i, data in enumerate(images):
            paths.append(root / f"{i:03d}.img")
            paths[-1].write_bytes(data)
        target = root / "album.pdf"
        try:
            write_album_pdf(paths, target)
        except BadDocument as exc:
            raise Refused("một trong các ảnh bị hỏng hoặc không phải ảnh.") from exc
        return target.read_bytes()


def validate(data: bytes, name: str, max_bytes: int, budget: Budget | None = None) -> Document:
    """Read the bytes as the document `name` (a safe name) from a private temporary directory.

    Raises Refused with the Vietnamese reason. Nothing is left behind in the temporary directory.
    """
    return read(data, name, max_bytes, budget).document


# --------------------------------------------------------------------------------------------------
# Saving


def inside(root: Path, path: Path) -> bool:
    """True when `path` (resolved, symlinks followed) is `root` itself or lies under it."""
    real_root = root.resolve()
    real = path.resolve()
    return real == real_root or real.is_relative_to(real_root)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except OSError:
        return None


def store(data: bytes, name: str, corpus_dir: Path) -> Stored:
    """Save the bytes as `<corpus>/uploads/<name>`; `name` must come from `safe_name`.

    The same name with the same content is a no-op (`created=False`); a different file of that name is
    kept and the new one gets a number ("name-2.txt"). The file appears atomically (written under a
    hidden temporary name, then hard-linked to its final name, which fails instead of overwriting).
    """
    if name != safe_name(name):
        raise ValueError(f"unsafe file name {name!r}")
    folder = corpus_dir / UPLOADS_SUBDIR
    if not inside(corpus_dir, folder):
        raise Refused("thư mục lưu tài liệu nằm ngoài kho tài liệu; vui lòng báo quản trị hệ thống.")
    folder.mkdir(parents=True, exist_ok=True)
    if not inside(corpus_dir, folder):  # a symlink raced in
        raise Refused("thư mục lưu tài liệu nằm ngoài kho tài liệu; vui lòng báo quản trị hệ thống.")
    digest = _sha256(data)
    tmp = folder / f".upload-{uuid.uuid4().hex}"
    with open(tmp, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        for n in range(1, MAX_SUFFIX_TRIES + 1):
            candidate = folder / (name if n == 1 else with_number(name, n))
            if not inside(corpus_dir, candidate):
                continue
            if candidate.exists() or candidate.is_symlink():
                if candidate.is_file() and not candidate.is_symlink() and _file_sha256(candidate) == digest:
                    return Stored(_rel(candidate, corpus_dir), created=False)
                continue
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                continue
            return Stored(_rel(candidate, corpus_dir), created=True)
        raise Refused("đã có quá nhiều tệp cùng tên; vui lòng đổi tên tệp rồi gửi lại.")
    finally:
        tmp.unlink(missing_ok=True)


def stored(name: str, corpus_dir: Path) -> str | None:
    """The corpus path of the upload saved as `name` (from `safe_name`) by `store`, None when there is none."""
    path = corpus_dir / UPLOADS_SUBDIR / name
    if name != safe_name(name) or not inside(corpus_dir, path) or path.is_symlink() or not path.is_file():
        return None
    return _rel(path, corpus_dir)


def _rel(path: Path, corpus_dir: Path) -> str:
    return path.relative_to(corpus_dir).as_posix()


def remove(corpus_dir: Path, relpath: str) -> bool:
    """Delete the corpus file `relpath`; False when it is not there. Refuses anything outside the corpus
    (ValueError), so a forged or stale path can never delete another file."""
    path = corpus_dir / relpath
    if Path(relpath).is_absolute() or ".." in Path(relpath).parts or not inside(corpus_dir, path):
        raise ValueError(f"{relpath!r} is not inside the corpus")
    if path.is_symlink():
        path.unlink()
        return True
    if not path.is_file():
        return False
    path.unlink()
    return True
