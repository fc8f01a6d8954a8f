"""Scans and photos through tesseract (index/ocr.py, index/scans.py, the readers in index/documents.py).

These tests need `tesseract` with the Vietnamese model (Debian: tesseract-ocr tesseract-ocr-vie); .ci/run
installs them. They are not skipped when it is missing: they fail, so a CI without OCR is noticed. The
pages are drawn here with Pillow and DejaVu Serif at a size tesseract reads cleanly, small enough to keep
each OCR around a second.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from index.documents import read_file, read_photos
from index.errors import BadDocument
from index.ocr import LANGUAGE, installed_languages, ocr_image
from index.scans import OcrBudgetExceeded, OcrCache, Scanner
from index.store import OCR_CACHE_DIR, build_index
from tests.fakes import HashEncoder

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"
SIZE = 26

LETTERHEAD = [
    ("UBND TỈNH BẾN TRE", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("SỞ NỘI VỤ", "Độc lập - Tự do - Hạnh phúc"),
    ("Số: 45/KH-SNV", "Bến Tre, ngày 05 tháng 3 năm 2024"),
]
PARAGRAPH_1 = (
    "Thực hiện Nghị quyết số 39-NQ/TW của Bộ Chính trị, Sở Nội vụ xây dựng kế hoạch rà soát biên chế năm 2024 như sau."
)
PARAGRAPH_2 = "Các phòng chuyên môn gửi báo cáo về Sở Nội vụ trước ngày 30/4/2024."
PARAGRAPH_3 = "Văn phòng Sở tổng hợp kết quả, trình Giám đốc Sở xem xét trong tháng 5/2024."


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def draw_page(
    paragraphs: list[str], *, letterhead: bool = True, title: bool = True, continued: bool = False
) -> Image.Image:
    """A page of about 1300 x 1000 pixels: the two-column letterhead, kind and title, indented paragraphs
    (the first one not indented when it is `continued` from the page before)."""
    font, bold = ImageFont.truetype(FONT, SIZE), ImageFont.truetype(BOLD, SIZE)
    img = Image.new("L", (1300, 1000), 255)
    draw = ImageDraw.Draw(img)
    y = 40
    if letterhead:
        for left, right in LETTERHEAD:
            draw.text((260 - draw.textlength(left, font=font) / 2, y), left, font=font, fill=0)
            draw.text((900 - draw.textlength(right, font=bold) / 2, y), right, font=bold, fill=0)
            y += 42
        y += 30
    if title:
        for text in ("KẾ HOẠCH", "rà soát biên chế năm 2024"):
            draw.text((650 - draw.textlength(text, font=bold) / 2, y), text, font=bold, fill=0)
            y += 42
        y += 30
    for n, paragraph in enumerate(paragraphs):
        for i, line in enumerate(_wrap(draw, paragraph, font, 1040)):
            draw.text((100 + (60 if i == 0 and not (continued and n == 0) else 0), y), line, font=font, fill=0)
            y += 40
        y += 12
    return img


def save(img: Image.Image, path: Path, *more: Image.Image) -> Path:
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        img.save(path, "JPEG", quality=85)
    elif suffix == ".webp":
        img.save(path, "WEBP", quality=90)
    elif suffix in (".tif", ".tiff"):
        img.save(path, save_all=True, append_images=list(more), compression="tiff_deflate")
    else:
        img.save(path)
    return path


def test_tesseract_has_the_vietnamese_model() -> None:
    assert LANGUAGE in installed_languages()


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".jpeg", ".webp"])
def test_image_forms_are_read_with_their_letterhead(tmp_path: Path, suffix: str) -> None:
    path = save(draw_page([PARAGRAPH_1, PARAGRAPH_2]), tmp_path / f"scan{suffix}")
    read = read_file(path, tmp_path)
    doc = read.document
    assert (doc.title, doc.date, doc.agency, doc.number) == (
        "Kế hoạch rà soát biên chế năm 2024", dt.date(2024, 3, 5), "Sở Nội vụ tỉnh Bến Tre", "45/KH-SNV"
    )  # fmt: skip
    assert doc.paragraphs == (PARAGRAPH_1, PARAGRAPH_2)
    assert [(p.page, p.source) for p in read.pages] == [(1, "ocr")]
    assert read.confidence is not None and read.confidence > 80


def test_multipage_tiff_keeps_page_order(tmp_path: Path) -> None:
    first = draw_page([PARAGRAPH_1, PARAGRAPH_2])
    second = draw_page([PARAGRAPH_3], letterhead=False, title=False)
    path = save(first, tmp_path / "scan.tif", second)
    read = read_file(path, tmp_path)
    assert read.document.paragraphs == (PARAGRAPH_1, PARAGRAPH_2, PARAGRAPH_3)
    assert [p.page for p in read.pages] == [1, 2]


def test_mixed_pdf_reads_the_text_layer_and_ocrs_the_scanned_page(tmp_path: Path) -> None:
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    pdf = FPDF(format="A4")
    pdf.add_font("serif", "", FONT)
    pdf.set_font("serif", "", 12)
    pdf.add_page()
    for text in (
        "Kế hoạch rà soát biên chế năm 2024",
        "Ngày: 05/03/2024",
        "Cơ quan: Sở Nội vụ tỉnh Bến Tre",
        "",
        PARAGRAPH_1,
    ):
        pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    text_page = io.BytesIO(bytes(pdf.output()))
    scan = io.BytesIO()
    draw_page([PARAGRAPH_3], letterhead=False, title=False).save(scan, "PDF", resolution=150.0)
    writer = PdfWriter()
    writer.add_page(PdfReader(text_page).pages[0])
    writer.add_page(PdfReader(scan).pages[0])
    path = tmp_path / "mixed.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    read = read_file(path, tmp_path)
    assert read.document.title == "Kế hoạch rà soát biên chế năm 2024"
    assert read.document.paragraphs == (PARAGRAPH_1, PARAGRAPH_3)
    assert [(p.page, p.source) for p in read.pages] == [(1, "text"), (2, "ocr")]


@pytest.mark.parametrize(
    ("head", "tail", "continued", "paragraphs"),
    [
        # the paragraph runs from the text page onto the scanned page: one paragraph
        ("Thực hiện Nghị quyết số 39-NQ/TW của Bộ Chính trị, Sở Nội vụ xây dựng kế hoạch",
         "rà soát biên chế năm 2024 như sau.", True, (PARAGRAPH_1, PARAGRAPH_3)),
        # a sentence ends at the foot of the text page, the next starts on the scan without an indent: the
        # scanned page indents its paragraphs, so this one goes on
        ("Các phòng chuyên môn gửi báo cáo.", "Văn phòng Sở theo dõi việc gửi báo cáo.", True,
         ("Các phòng chuyên môn gửi báo cáo. Văn phòng Sở theo dõi việc gửi báo cáo.", PARAGRAPH_3)),
        # the scanned page opens with an indented paragraph: two
        (PARAGRAPH_2, "Các phòng chuyên môn gửi báo cáo về Văn phòng Sở.", False,
         (PARAGRAPH_2, "Các phòng chuyên môn gửi báo cáo về Văn phòng Sở.", PARAGRAPH_3)),
    ],
)  # fmt: skip
def test_mixed_pdf_paragraph_running_onto_the_scanned_page(
    tmp_path: Path, head: str, tail: str, continued: bool, paragraphs: tuple[str, ...]
) -> None:
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    pdf = FPDF(format="A4")
    pdf.add_font("serif", "", FONT)
    pdf.set_font("serif", "", 12)
    pdf.add_page()
    for text in ("Kế hoạch rà soát biên chế năm 2024", "Ngày: 05/03/2024", "Cơ quan: Sở Nội vụ tỉnh Bến Tre", "",
                 head):  # fmt: skip
        pdf.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    scan = io.BytesIO()
    draw_page([tail, PARAGRAPH_3], letterhead=False, title=False, continued=continued).save(
        scan, "PDF", resolution=150.0
    )
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0])
    writer.add_page(PdfReader(scan).pages[0])
    path = tmp_path / "mixed.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    assert read_file(path, tmp_path).document.paragraphs == paragraphs


def test_ocr_cache_reads_an_unchanged_scan_once(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = save(draw_page([PARAGRAPH_1]), corpus / "scan.png")
    cache = OcrCache(tmp_path / "cache")
    first = Scanner(cache=cache)
    doc = read_file(path, corpus, scanner=first).document
    assert (first.ocr_pages, first.cached_pages) == (1, 0)
    again = Scanner(cache=cache)
    assert read_file(path, corpus, scanner=again).document == doc
    assert (again.ocr_pages, again.cached_pages) == (1 - 1, 1)
    # a changed scan is OCR'd again
    save(draw_page([PARAGRAPH_2]), path)
    changed = Scanner(cache=cache)
    assert read_file(path, corpus, scanner=changed).document.paragraphs == (PARAGRAPH_2,)
    assert changed.ocr_pages == 1


def test_index_build_ocrs_once_counts_pages_and_prunes_the_cache(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    save(draw_page([PARAGRAPH_1, PARAGRAPH_2]), corpus / "a.png")
    seen: list[tuple[str, int, int]] = []
    first = build_index(corpus, index, HashEncoder(), progress=lambda *a: seen.append(a))
    assert (first.added, first.ocr_pages) == (1, 1)
    assert ("ocr", 1, 1) in seen
    assert "1 pages OCR'd" in first.line()
    again = build_index(corpus, index, HashEncoder())
    assert (again.unchanged, again.ocr_pages, again.snapshot) == (1, 0, None)
    (corpus / "a.png").unlink()
    build_index(corpus, index, HashEncoder())
    assert list((index / OCR_CACHE_DIR).glob("*.json")) == []


def test_page_budget_skips_a_file_and_the_next_build_reads_it(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    save(draw_page([PARAGRAPH_1]), corpus / "two.tif", draw_page([PARAGRAPH_3], letterhead=False, title=False))
    with pytest.raises(OcrBudgetExceeded):
        read_file(corpus / "two.tif", corpus, scanner=Scanner(page_budget=1))
    summary = build_index(corpus, index, HashEncoder(), ocr_page_budget=1)
    assert summary.documents == 0 and "OCR budget" in summary.skipped[0][1]
    summary = build_index(corpus, index, HashEncoder())
    assert (summary.documents, summary.ocr_pages) == (1, 2)


def test_page_timeout_leaves_the_page_out_and_says_so(tmp_path: Path) -> None:
    img = draw_page([PARAGRAPH_1])
    scanner = Scanner(page_timeout=0.001)
    out = scanner.read_pages("scan.png", "0" * 64, [(0, lambda: img)])
    page, report = out[0]
    assert page is None and report.error is not None and "longer than" in report.error
    assert report.low


def test_blurred_page_is_reported_below_the_confidence_threshold() -> None:
    img = draw_page([PARAGRAPH_1, PARAGRAPH_2]).filter(ImageFilter.GaussianBlur(3.2))
    img = img.resize((img.width // 2, img.height // 2))
    scanner = Scanner()
    _, report = scanner.read_pages("blur.png", "1" * 64, [(0, lambda: img)])[0]
    assert report.low
    assert scanner.low_confidence and scanner.low_confidence[0][:2] == ("blur.png", 1)


def test_album_of_photos_becomes_one_document_with_pages_in_order(tmp_path: Path) -> None:
    photos = [
        save(draw_page([PARAGRAPH_1]), tmp_path / "1.jpg"),
        save(draw_page([PARAGRAPH_3], letterhead=False, title=False), tmp_path / "2.jpg"),
    ]
    corpus = tmp_path / "corpus"
    cache = OcrCache(tmp_path / "index" / OCR_CACHE_DIR)
    read = read_photos(photos, corpus / "uploads" / "album.pdf", corpus, scanner=Scanner(cache=cache))
    assert read.document.path == "uploads/album.pdf"
    assert read.document.paragraphs == (PARAGRAPH_1, PARAGRAPH_3)
    assert [(p.page, p.source) for p in read.pages] == [(1, "ocr"), (2, "ocr")]
    assert all(p.confidence and p.confidence > 80 for p in read.pages)
    # the build reads the album from the cache the upload filled
    summary = build_index(corpus, tmp_path / "index", HashEncoder())
    assert (summary.documents, summary.ocr_pages, summary.ocr_cached) == (1, 0, 2)


def test_a_single_photo_is_kept_as_it_is(tmp_path: Path) -> None:
    photo = save(draw_page([PARAGRAPH_2]), tmp_path / "photo.jpg")
    read = read_photos([photo], tmp_path / "corpus" / "photo.jpg", tmp_path / "corpus")
    assert (tmp_path / "corpus" / "photo.jpg").read_bytes() == photo.read_bytes()
    assert read.document.paragraphs == (PARAGRAPH_2,)


def test_unreadable_photo_leaves_nothing_behind(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not a jpeg")
    target = tmp_path / "corpus" / "album.pdf"
    with pytest.raises(BadDocument):
        read_photos([bad, bad], target, tmp_path / "corpus")
    assert not target.exists()


def test_blank_image_is_a_bad_document(tmp_path: Path) -> None:
    path = save(Image.new("L", (800, 600), 255), tmp_path / "blank.png")
    with pytest.raises(BadDocument, match="OCR found no text"):
        read_file(path, tmp_path)


def test_ocr_line_segments_keep_letterhead_columns_apart() -> None:
    page = ocr_image(draw_page([PARAGRAPH_2]))
    texts = [line.text for line in page.lines]
    assert "UBND TỈNH BẾN TRE" in texts and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts


@pytest.mark.parametrize("angle", [0.0, 1.5, -2.25, 3.0])
def test_skew_angle_finds_the_rotation_that_straightens_the_lines(angle: float) -> None:
    from index.ocr import skew_angle

    page = draw_page([PARAGRAPH_1, PARAGRAPH_2, PARAGRAPH_3]).rotate(angle, fillcolor=255)
    assert abs(skew_angle(page) + angle) <= 0.25
