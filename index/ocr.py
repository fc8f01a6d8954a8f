"""Tesseract OCR of one page image: the only module that runs tesseract.

`ocr_image(image)` prepares the image (grey, a photographed sheet flattened, deskewed; see `prepare`; read
again upscaled when the text is small) and runs `tesseract ... -l vie tsv` as a subprocess with a timeout.
The TSV gives words with their block/paragraph/line numbers, boxes and confidences; they come back as an
`OcrPage` of `OcrLine`s, one per printed line *segment*: a tesseract line is cut where two words stand far
apart (more than COLUMN_GAP line heights), so the two columns of a letterhead ("TỈNH ỦY THÁI BÌNH" and
"ĐẢNG CỘNG SẢN VIỆT NAM") are never read as one line. The words of each segment go through
`index.ocr_words.correct_words` (tone and vowel marks tesseract misread, when a syllable model is clearly
surer than tesseract); it runs on the cached TSV too, so it needs no new OCR.

Noise is dropped: words much flatter than the text (rules, underlines read as letters), line segments whose
mean confidence is below NOISE_CONFIDENCE and segments with fewer than two letters or digits (a "*" read as
"R", specks at the edge of a photo).

Confidence: tesseract's word confidences (0-100), averaged over the kept words weighted by their length.
A page below LOW_CONFIDENCE is reported (build summary, upload reply). On the dev set (bench/scan_devset.py,
docs/RETRIEVAL.md) every page of the clean and poor scans, phone photos and screenshots read at 94-97; a
page blurred past reading (tests/test_ocr.py) reads below 75. The threshold is a first setting between
the two, to be tuned on real scans.

Tesseract runs with OMP_THREAD_LIMIT=1: its OpenMP threads made one page 5-7 times slower on the shared
2-core machine (10.9 s against 1.5 s for an A4 page at 300 dpi), and the build already runs one page at a time.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps

from index import ocr_words
from index.errors import ChidaoError

LANGUAGE = "vie"
# Bumped when preprocessing changes what tesseract is given (part of the OCR cache key; the cache keeps
# tesseract's TSV, so the line rules below can change without it).
OCR_VERSION = 4  # 2: deskew; 3: no light evening; 4: a photographed sheet flattened (perspective)
DEFAULT_PAGE_TIMEOUT = 60.0  # seconds for one page
LOW_CONFIDENCE = 75.0
NOISE_CONFIDENCE = 30.0
COLUMN_GAP = 3.0  # a gap wider than this many line heights separates two columns
FLAT_WORD = 0.35  # a "word" lower than this share of the median word height is a rule, not text
# Skew: searched within ±MAX_SKEW degrees by SKEW_STEP; a page sloping less than MIN_SKEW is left as it is.
MAX_SKEW = 4.0
SKEW_STEP = 0.25
MIN_SKEW = 0.5
# Text this small (median word height in pixels) is upscaled before OCR; tesseract reads best at 25-40 px.
SMALL_TEXT_PX = 22
TARGET_TEXT_PX = 32
# A photographed sheet: the paper is at least PAGE_CONTRAST grey levels brighter than what lies around it
# and covers at least PAGE_MIN_SHARE of the photo.
PAGE_CONTRAST = 60.0
PAGE_MIN_SHARE = 0.25
MIN_WARP = 0.01  # a sheet whose corners are this share of the image off a rectangle is flattened


class OcrError(ChidaoError):
    """Tesseract is missing, has no Vietnamese model, failed, or ran out of time on a page."""


class OcrTimeout(OcrError):
    pass


@dataclass(frozen=True)
class OcrLine:
    text: str
    left: int
    top: int
    right: int
    bottom: int
    block: int
    paragraph: int  # tesseract's paragraph number inside the block
    confidence: float

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class OcrPage:
    width: int
    height: int
    lines: tuple[OcrLine, ...]
    confidence: float  # 0-100; 0 for a page with no text
    tsv: str = field(default="", repr=False, compare=False)  # what tesseract said, kept by the cache

    def to_json(self) -> dict[str, object]:
        """The cached form: tesseract's own output, so changes to the line rules need no new OCR."""
        return {"width": self.width, "height": self.height, "tsv": self.tsv}

    @classmethod
    def from_json(cls, d: dict[str, object]) -> OcrPage:
        return lines_from_tsv(str(d["tsv"]), int(d["width"]), int(d["height"]))  # type: ignore[call-overload]


# ---------------------------------------------------------------------------------------------------
# The tesseract binary


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


def installed_languages() -> list[str]:
    """Languages the installed tesseract knows (empty when tesseract is missing)."""
    exe = tesseract_path()
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in out.stdout.splitlines()[1:] if line.strip()]


def tesseract_version() -> str | None:
    exe = tesseract_path()
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = (out.stdout or out.stderr).splitlines()
    return first[0].strip() if first else None


@dataclass(frozen=True)
class OcrTools:
    """What the OCR and .doc readers need on this machine (for `chidao doctor`)."""

    tesseract: str | None  # version line, None when missing
    vietnamese: bool  # the `vie` model is installed
    vietnamese_loads: bool  # and tesseract runs with it
    antiword: str | None  # path, None when missing

    @property
    def ok(self) -> bool:
        return bool(self.tesseract and self.vietnamese and self.vietnamese_loads and self.antiword)


def check_tools(timeout: float = 30.0) -> OcrTools:
    """Look for tesseract, its Vietnamese model (and run it once on a small blank page) and antiword."""
    version = tesseract_version()
    vietnamese = LANGUAGE in installed_languages()
    loads = False
    if version and vietnamese:
        try:
            _run_tesseract(Image.new("L", (120, 40), 255), timeout)
            loads = True
        except OcrError:
            loads = False
    return OcrTools(version, vietnamese, loads, shutil.which("antiword"))


def _run_tesseract(image: Image.Image, timeout: float, extra: tuple[str, ...] = ()) -> str:
    exe = tesseract_path()
    if exe is None:
        raise OcrError("tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-vie)")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="chidao-ocr-") as tmp:
        src = Path(tmp) / "page.png"
        image.save(src)
        try:
            done = subprocess.run(
                [exe, str(src), "stdout", "-l", LANGUAGE, "--psm", "3", *extra, "tsv"],
                capture_output=True,
                timeout=timeout,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise OcrTimeout(f"OCR of a page took longer than {timeout:g} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"tesseract failed: {message[-1] if message else done.returncode}")
    return done.stdout.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------------
# Preprocessing


def even_light(image: Image.Image) -> Image.Image:
    """Divide the page by its blurred background, so a photo's shadows and gradients turn white.
    Measured by bench/ocr_preprocessing.py; not used by `prepare` (no gain on the dev set's photos)."""
    import numpy as np

    grey = ImageOps.grayscale(image)
    small = grey.reduce(8) if min(grey.size) >= 400 else grey
    background = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(8)).resize(grey.size)
    g = np.asarray(grey, dtype=np.float32)
    b = np.maximum(np.asarray(background, dtype=np.float32), 1.0)
    out = np.clip(g / b * 255.0, 0, 255).astype(np.uint8)
    return Image.fromarray(out)


def skew_angle(grey: Image.Image, limit: float = MAX_SKEW, step: float = SKEW_STEP) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal: the angle whose
    rotated page has the most uneven row profile of ink (lines and gaps sharpest), searched on a reduced
    copy."""
    import numpy as np

    small = grey.reduce(4) if min(grey.size) >= 1600 else grey
    ink = small.point(lambda v: 255 if v < 160 else 0)
    best, best_angle = -1.0, 0.0
    steps = int(limit / step)
    for k in range(-steps, steps + 1):
        angle = k * step
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32).sum(axis=1)
        score = float(np.var(rows))
        if score > best:
            best, best_angle = score, angle
    return best_angle


def _perspective_coefficients(
    corners: list[tuple[float, float]], width: int, height: int
) -> list[float]:
    """PIL's PERSPECTIVE coefficients mapping the output rectangle (width x height) onto `corners` of the
    input (top left, top right, bottom right, bottom left)."""
    import numpy as np

    target = [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height))]
    rows = []
    for (x, y), (u, v) in zip(target, corners, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    b = [c for pt in corners for c in pt]
    return [float(c) for c in np.linalg.solve(np.array(rows, dtype=float), np.array(b, dtype=float))]


def page_corners(grey: Image.Image) -> list[tuple[float, float]] | None:
    """The four corners (top left, top right, bottom right, bottom left) of a sheet of paper photographed
    on a darker background, or None when the image is the page itself (a scan, a screenshot) or no clear
    sheet stands out.

    The sheet is the bright area of a reduced copy (threshold halfway between the background's and the
    paper's brightness, specks removed); its corners are the extreme points along the two diagonals.
    """
    import numpy as np

    scale = max(1, max(grey.size) // 400)
    small = grey.reduce(scale) if scale > 1 else grey
    small = small.filter(ImageFilter.MedianFilter(5))
    a = np.asarray(small, dtype=np.float32)
    h, w = a.shape
    border = np.concatenate([a[:2].ravel(), a[-2:].ravel(), a[:, :2].ravel(), a[:, -2:].ravel()])
    centre = a[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    dark, paper = float(np.median(border)), float(np.percentile(centre, 90))
    if paper - dark < PAGE_CONTRAST:
        return None  # the border is paper too: a scan or a screenshot, or no contrast to go by
    mask = a > (dark + paper) / 2
    mask_img = Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.MinFilter(5))
    mask = np.asarray(mask_img.filter(ImageFilter.MaxFilter(5))) > 0
    ys, xs = np.nonzero(mask)
    if len(xs) < PAGE_MIN_SHARE * w * h:
        return None
    diag, anti = xs + ys, xs - ys
    picks = [np.argmin(diag), np.argmax(anti), np.argmax(diag), np.argmin(anti)]
    corners = [(float(xs[i] + 0.5) * scale, float(ys[i] + 0.5) * scale) for i in picks]
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners
    area = 0.5 * abs((x0 * y1 - x1 * y0) + (x1 * y2 - x2 * y1) + (x2 * y3 - x3 * y2) + (x3 * y0 - x0 * y3))
    if area < PAGE_MIN_SHARE * grey.width * grey.height:
        return None
    return corners


def flatten_page(grey: Image.Image) -> Image.Image:
    """A photographed sheet cut out of its background and its perspective undone (`page_corners`); the
    image as it is when no sheet stands out."""
    corners = page_corners(grey)
    if corners is None:
        return grey
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = corners
    if max(abs(x0 - x3), abs(x1 - x2), abs(y0 - y1), abs(y3 - y2)) < MIN_WARP * max(grey.size):
        return grey  # upright already (a screenshot's pages on the viewer's grey): left as it is
    width = round(max(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, ((x2 - x3) ** 2 + (y2 - y3) ** 2) ** 0.5))
    height = round(max(((x3 - x0) ** 2 + (y3 - y0) ** 2) ** 0.5, ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5))
    coefficients = _perspective_coefficients(corners, width, height)
    return grey.transform(
        (width, height), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC, fillcolor=255
    )


def prepare(image: Image.Image) -> Image.Image:
    """The image tesseract gets first: grey, a photographed sheet cut out of its background with its
    perspective undone (`flatten_page`), turned upright when the lines slope by MIN_SKEW degrees or
    more. Deskewing measurably helped on the dev set; evening out the light (`even_light`) and binarising
    ourselves did not (docs/RETRIEVAL.md, "OCR preprocessing"), so tesseract binarises the grey page.
    """
    grey = ImageOps.grayscale(ImageOps.exif_transpose(image) or image)
    flat = flatten_page(grey)
    if flat is not grey:
        # without the dark desk around it, tesseract's global threshold cuts the photo's shading instead
        # of the ink: the light is evened out
        grey = even_light(flat)
    angle = skew_angle(grey)
    if abs(angle) >= MIN_SKEW:
        grey = grey.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return grey


def upscale(image: Image.Image, text_height: float) -> Image.Image:
    factor = min(3.0, TARGET_TEXT_PX / max(text_height, 1.0))
    return image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS)


# ---------------------------------------------------------------------------------------------------
# TSV to lines


@dataclass(frozen=True)
class _Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    key: tuple[int, int, int]  # block, paragraph, line


def _words(tsv: str) -> list[_Word]:
    out: list[_Word] = []
    reader = csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None:
        return out
    for row in reader:
        if len(row) < 12 or row[0] != "5" or not row[11].strip():
            continue
        conf = float(row[10])
        if conf < 0:
            continue
        out.append(
            _Word(row[11].strip(), int(row[6]), int(row[7]), int(row[8]), int(row[9]), conf,
                  (int(row[2]), int(row[3]), int(row[4])))
        )  # fmt: skip
    return out


def _segment(words: list[_Word], block: int, paragraph: int) -> OcrLine:
    weights = [len(w.text) for w in words]
    conf = sum(w.conf * n for w, n in zip(words, weights, strict=True)) / max(1, sum(weights))
    return OcrLine(
        " ".join(ocr_words.correct_words([(w.text, w.conf) for w in words])),
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.left + w.width for w in words),
        max(w.top + w.height for w in words),
        block,
        paragraph,
        conf,
    )


def lines_from_tsv(tsv: str, width: int, height: int) -> OcrPage:
    """Tesseract TSV to an OcrPage: words grouped into lines, lines cut at column gaps, noise dropped."""
    words = _words(tsv)
    if words:
        heights = sorted(w.height for w in words)
        median = heights[len(heights) // 2]
        # a rule or underline read as letters is flat; a dash is flat too but short
        words = [w for w in words if w.height >= FLAT_WORD * median or len(w.text) <= 2]
    grouped: dict[tuple[int, int, int], list[_Word]] = {}
    for w in words:
        grouped.setdefault(w.key, []).append(w)
    lines: list[OcrLine] = []
    for (block, paragraph, _), group in grouped.items():
        group.sort(key=lambda w: w.left)
        line_height = sorted(w.height for w in group)[len(group) // 2]
        current = [group[0]]
        for w in group[1:]:
            gap = w.left - (current[-1].left + current[-1].width)
            if gap > COLUMN_GAP * line_height:
                lines.append(_segment(current, block, paragraph))
                current = []
            current.append(w)
        lines.append(_segment(current, block, paragraph))
    # specks, a "*" read as "R", a rule read as "—": segments with fewer than two letters or digits
    lines = [ln for ln in lines if ln.confidence >= NOISE_CONFIDENCE and sum(c.isalnum() for c in ln.text) >= 2]
    weights = [len(ln.text) for ln in lines]
    confidence = sum(ln.confidence * n for ln, n in zip(lines, weights, strict=True)) / max(1, sum(weights))
    return OcrPage(width, height, tuple(lines), confidence if lines else 0.0, tsv)


def text_height(tsv: str) -> float | None:
    """Median word height in pixels in a TSV (None without words)."""
    heights = sorted(w.height for w in _words(tsv))
    return float(heights[len(heights) // 2]) if heights else None


def ocr_image(image: Image.Image, timeout: float = DEFAULT_PAGE_TIMEOUT) -> OcrPage:
    """OCR one page. Raises OcrTimeout after `timeout` seconds, OcrError when tesseract fails.

    Text smaller than SMALL_TEXT_PX (a low-resolution scan or a photo from afar) is read again from the
    image upscaled to TARGET_TEXT_PX, and the reading with the better confidence is kept.
    """
    prepared = prepare(image)
    tsv = _run_tesseract(prepared, timeout)
    page = lines_from_tsv(tsv, prepared.width, prepared.height)
    height = text_height(tsv)
    if height is not None and height < SMALL_TEXT_PX:
        bigger = upscale(prepared, height)
        second = lines_from_tsv(_run_tesseract(bigger, timeout), bigger.width, bigger.height)
        if second.confidence > page.confidence:
            return second
    return page
