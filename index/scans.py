"""Scanned pages: images and PDF pages without a text layer, read by OCR, cached, within a budget.

`Scanner` is the OCR side of one build (or of one upload): it owns the cache, counts pages, enforces the
page budget and the per-page timeout, and reports progress page by page ("ocr", done, total so far).

Cache: `OcrCache(directory)` keeps the OCR'd pages of a file in `<sha256 of the file>.json`, tagged with
OCR_VERSION, the language and the tesseract version; an unchanged scan is never OCR'd twice, also when the
reading rules change (the layout is applied to the cached lines). The build keeps it in
`<index dir>/ocr-cache/`.

Limits: a page that takes longer than `page_timeout` seconds is left out (reported, confidence 0); a build
OCRs at most `page_budget` pages (a file that would pass it is skipped with a reason and read again at the
next build); a file has at most MAX_PAGES pages.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageSequence, UnidentifiedImageError

from index.errors import BadDocument
from index.ocr import (
    DEFAULT_PAGE_TIMEOUT,
    LANGUAGE,
    LOW_CONFIDENCE,
    OCR_VERSION,
    OcrError,
    OcrPage,
    OcrTimeout,
    ocr_image,
    tesseract_version,
)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")
MAX_PAGES = 300
DEFAULT_PAGE_BUDGET = 2000
PDF_DPI = 300
# Images larger than this many pixels are refused (decompression bombs); an A4 page at 600 dpi has 35 M.
MAX_PIXELS = 80_000_000

Progress = Callable[[str, int, int], None]


class OcrBudgetExceeded(BadDocument):
    """The build's OCR page budget is used up; the file is read at the next build."""


@dataclass(frozen=True)
class PageReport:
    """How one page of a document was read."""

    page: int  # 1-based
    source: str  # "text" (a PDF text layer) or "ocr"
    confidence: float | None  # 0-100 for OCR'd pages
    cached: bool = False
    error: str | None = None  # e.g. the page timed out

    @property
    def low(self) -> bool:
        return self.source == "ocr" and (self.confidence or 0.0) < LOW_CONFIDENCE


class OcrCache:
    """OCR'd pages by file content hash: `<dir>/<sha256>.json` = {"key": ..., "pages": {index: page}}."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._engine: str | None = None

    def _tag(self) -> str:
        if self._engine is None:
            self._engine = f"{OCR_VERSION}|{LANGUAGE}|{tesseract_version() or 'none'}"
        return self._engine

    def _path(self, digest: str) -> Path:
        return self.directory / f"{digest}.json"

    def load(self, digest: str) -> dict[int, OcrPage]:
        try:
            data = json.loads(self._path(digest).read_text("utf-8"))
            if data.get("key") != self._tag():
                return {}
            return {int(k): OcrPage.from_json(v) for k, v in data["pages"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError, AssertionError):
            return {}

    def store(self, digest: str, pages: dict[int, OcrPage]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        body = {"key": self._tag(), "pages": {str(k): p.to_json() for k, p in sorted(pages.items())}}
        fd, tmp = tempfile.mkstemp(prefix=".ocr-", dir=self.directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False)
        os.replace(tmp, self._path(digest))

    def prune(self, keep: set[str]) -> None:
        """Drop the entries of files that are no longer in the corpus."""
        if not self.directory.is_dir():
            return
        for path in self.directory.glob("*.json"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)


@dataclass
class Scanner:
    """OCR for one build or upload. Counters are read by the build summary."""

    cache: OcrCache | None = None
    page_budget: int | None = DEFAULT_PAGE_BUDGET
    page_timeout: float = DEFAULT_PAGE_TIMEOUT
    progress: Progress | None = None
    ocr_pages: int = 0  # pages OCR'd in this run
    cached_pages: int = 0  # pages taken from the cache
    total_seen: int = 0
    low_confidence: list[tuple[str, int, float]] = field(default_factory=list)

    def read_pages(
        self, relpath: str, digest: str, pages: Sequence[tuple[int, Callable[[], Image.Image]]]
    ) -> dict[int, tuple[OcrPage | None, PageReport]]:
        """OCR the given pages (index, image loader) of one file, from the cache where it has them."""
        cached = self.cache.load(digest) if self.cache else {}
        todo = [index for index, _ in pages if index not in cached]
        if todo and self.page_budget is not None and self.ocr_pages + len(todo) > self.page_budget:
            raise OcrBudgetExceeded(
                f"{relpath}: the OCR budget of {self.page_budget} pages for one build is used up "
                f"({len(todo)} more pages); it is read at the next build"
            )
        self.total_seen += len(pages)
        out: dict[int, tuple[OcrPage | None, PageReport]] = {}
        fresh: dict[int, OcrPage] = {}
        for index, load in pages:
            if index in cached:
                page = cached[index]
                self.cached_pages += 1
                out[index] = (page, PageReport(index + 1, "ocr", page.confidence, cached=True))
            else:
                try:
                    page = ocr_image(load(), timeout=self.page_timeout)
                except OcrTimeout as exc:
                    out[index] = (None, PageReport(index + 1, "ocr", 0.0, error=str(exc)))
                    self.ocr_pages += 1
                    self._tick()
                    continue
                except OcrError as exc:
                    raise BadDocument(f"{relpath}: {exc}") from exc
                fresh[index] = page
                self.ocr_pages += 1
                out[index] = (page, PageReport(index + 1, "ocr", page.confidence))
            self._tick()
            report = out[index][1]
            if report.low:
                self.low_confidence.append((relpath, report.page, report.confidence or 0.0))
        if fresh and self.cache:
            self.cache.store(digest, {**cached, **fresh})
        return out

    def _tick(self) -> None:
        if self.progress:
            self.progress("ocr", self.ocr_pages + self.cached_pages, self.total_seen)


def image_frames(relpath: str, data: bytes) -> list[Callable[[], Image.Image]]:
    """Loaders of the pages of an image file (a TIFF may hold several)."""
    import io

    try:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        image = Image.open(io.BytesIO(data))
        image.verify()
        image = Image.open(io.BytesIO(data))
        count = getattr(image, "n_frames", 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise BadDocument(f"{relpath}: not a readable image ({type(exc).__name__}: {exc})") from exc
    if count > MAX_PAGES:
        raise BadDocument(f"{relpath}: {count} pages, over the limit of {MAX_PAGES}")

    def frame(n: int) -> Callable[[], Image.Image]:
        def load() -> Image.Image:
            img = Image.open(io.BytesIO(data))
            for i, page in enumerate(ImageSequence.Iterator(img)):
                if i == n:
                    page.load()
                    return page.copy()
            raise BadDocument(f"{relpath}: page {n + 1} is missing")

        return load

    return [frame(n) for n in range(count)]


def pdf_page_images(
    relpath: str, data: bytes, indices: Sequence[int]
) -> Iterator[tuple[int, Callable[[], Image.Image]]]:
    """Loaders of PDF pages rasterised at PDF_DPI (pypdfium2), for the pages without a usable text layer."""
    import pypdfium2 as pdfium

    holder: dict[str, object] = {}

    def document() -> pdfium.PdfDocument:
        if "pdf" not in holder:
            try:
                holder["pdf"] = pdfium.PdfDocument(data)
            except pdfium.PdfiumError as exc:
                raise BadDocument(f"{relpath}: PDF pages cannot be rendered ({exc})") from exc
        return holder["pdf"]  # type: ignore[return-value]

    def loader(n: int) -> Callable[[], Image.Image]:
        def load() -> Image.Image:
            page = document()[n]
            width, height = page.get_size()  # points
            # 300 dpi, less for a page so large that it would pass MAX_PIXELS (a poster, an A0 plan)
            scale = min(PDF_DPI / 72, (MAX_PIXELS / max(1.0, width * height)) ** 0.5)
            bitmap = page.render(scale=scale, grayscale=True)
            return bitmap.to_pil()

        return load

    for n in indices:
        yield n, loader(n)
