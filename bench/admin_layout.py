"""Documents of an eval folder (title, `Ngày:`, `Cơ quan:` header, one paragraph per line) laid out as the
administrative documents of Decree 30/2020/NĐ-CP: issuing body and number at the top left, the motto and the
place-and-date line at the top right, the kind and title in the middle, then the body.

`layout_of(path)` gives the pieces; `render_pages` draws them on A4 pages with Pillow (the clean scan the
other forms are degraded from); `write_docx` and `write_pdf` write the same layout as a Word file and as a
text-layer PDF. Used by bench/scan_devset.py.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # DejaVu covers Vietnamese; Liberation 1.x does not
SERIF = FONT_DIR / "DejaVuSerifCondensed.ttf"
SERIF_BOLD = FONT_DIR / "DejaVuSerifCondensed-Bold.ttf"
SERIF_ITALIC = FONT_DIR / "DejaVuSerifCondensed-Italic.ttf"

KINDS = {  # title prefix -> (kind in capitals, code in the number)
    "Kết luận": ("KẾT LUẬN", "KL"),
    "Kế hoạch": ("KẾ HOẠCH", "KH"),
    "Hướng dẫn": ("HƯỚNG DẪN", "HD"),
    "Báo cáo": ("BÁO CÁO", "BC"),
    "Thông báo": ("THÔNG BÁO", "TB"),
}
ISSUER_CODES = {
    "Ban Tổ chức": "BTCTU", "Ban Thường vụ": "TU", "": "TU", "Sở Nội vụ": "SNV",
    "Ủy ban nhân dân": "UBND", "Ban Chỉ đạo thực hiện Đề án 06": "BCĐ", "Hội đồng thi nâng ngạch công chức": "HĐTNN",
}  # fmt: skip


@dataclass(frozen=True)
class Layout:
    name: str
    issuer_lines: tuple[str, ...]  # top left, in capitals
    party: bool  # party body ("ĐẢNG CỘNG SẢN VIỆT NAM", "Số 12-KH/TU") or state body
    number: str  # "215-KL/TU" or "12/KH-UBND"
    place_date: str
    kind: str  # "KẾT LUẬN"
    title_lines: tuple[str, ...]  # the title without the kind, as printed (capitals or not)
    paragraphs: tuple[str, ...]
    # what a reader should find
    title: str
    date: dt.date
    agency: str


def _wrap_caps(text: str, width: int) -> list[str]:
    return textwrap.wrap(text.upper(), width) or [""]


def layout_of(path: Path, index: int) -> Layout:
    lines = path.read_text(encoding="utf-8").splitlines()
    title, date_line, agency_line = lines[0], lines[1], lines[2]
    paragraphs = tuple(line for line in lines[4:] if line.strip())
    d, m, y = (int(x) for x in re.findall(r"\d+", date_line)[:3])
    date = dt.date(y, m, d)
    agency = agency_line.split(":", 1)[1].strip()
    kind_prefix = next((k for k in KINDS if title.startswith(k + " ")), None)
    if kind_prefix:
        kind, code = KINDS[kind_prefix]
        rest = title[len(kind_prefix) + 1 :]
        expected_title = title
    else:
        kind, code = KINDS["Báo cáo"]
        rest = title
        expected_title = f"Báo cáo {title}"
    state = re.match(r"(.*?)\s*tỉnh (.+)$", agency)
    party_m = re.match(r"(.*?)\s*Tỉnh ủy (.+)$", agency)
    if party_m:
        sub, province = party_m.group(1), party_m.group(2)
        issuer = [f"TỈNH ỦY {province.upper()}"] + ([sub.upper()] if sub else []) + ["*"]
        party = True
        issuer_code = ISSUER_CODES.get(sub, "TU")
        number = f"{10 + index * 7}-{code}/{issuer_code}"
    elif state:
        sub, province = state.group(1), state.group(2)
        if sub == "Ủy ban nhân dân":
            issuer = ["ỦY BAN NHÂN DÂN", f"TỈNH {province.upper()}"]
        else:
            issuer = [f"UBND TỈNH {province.upper()}", *_wrap_caps(sub, 24)]
        party = False
        number = f"{10 + index * 7}/{code}-{ISSUER_CODES.get(sub, 'UBND')}"
    else:
        raise ValueError(f"{path.name}: no layout rule for the issuing body {agency!r}")
    # Dates: Decree 30 writes days below 10 and months 1-2 with a leading zero; half the documents do not.
    day = f"{date.day:02d}" if index % 2 == 0 else str(date.day)
    month = f"{date.month:02d}" if (index % 2 == 0 and date.month < 3) else str(date.month)
    place_date = f"{province}, ngày {day} tháng {month} năm {date.year}"
    title_lines = tuple(_wrap_caps(rest, 60)) if index % 2 == 0 else tuple(textwrap.wrap(rest, 70))
    return Layout(
        path.name, tuple(issuer), party, number, place_date, kind, title_lines, paragraphs,
        expected_title, date, agency,
    )  # fmt: skip


def number_line(layout: Layout) -> str:
    # Party documents write "Số 215-KL/TU" (often without the colon), state ones "Số: 12/KH-UBND".
    return f"Số {layout.number}" if layout.party else f"Số: {layout.number}"


def motto_lines(layout: Layout) -> list[str]:
    if layout.party:
        return ["ĐẢNG CỘNG SẢN VIỆT NAM"]
    return ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]


# ---------------------------------------------------------------------------------------------------
# Pillow pages

A4_MM = (210, 297)


@dataclass(frozen=True)
class PageStyle:
    dpi: int = 300
    size_pt: float = 12.0
    margin_left_mm: float = 30
    margin_right_mm: float = 18
    margin_top_mm: float = 20
    margin_bottom_mm: float = 20
    page_numbers: bool = True


def _font(path: Path, pt: float, dpi: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size=max(6, round(pt * dpi / 72)))


def _wrap_pixels(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def render_pages(layout: Layout, style: PageStyle = PageStyle()) -> list[Image.Image]:
    """The document on white A4 pages (mode "L"), justified body with first-line indents."""
    dpi = style.dpi
    mm = dpi / 25.4
    w, h = round(A4_MM[0] * mm), round(A4_MM[1] * mm)
    left, right = round(style.margin_left_mm * mm), w - round(style.margin_right_mm * mm)
    top, bottom = round(style.margin_top_mm * mm), h - round(style.margin_bottom_mm * mm)
    regular = _font(SERIF, style.size_pt, dpi)
    bold = _font(SERIF_BOLD, style.size_pt, dpi)
    small_bold = _font(SERIF_BOLD, style.size_pt - 1, dpi)
    italic = _font(SERIF_ITALIC, style.size_pt, dpi)
    line_h = round(style.size_pt * 1.45 * dpi / 72)
    pages: list[Image.Image] = []

    def new_page() -> tuple[Image.Image, ImageDraw.ImageDraw]:
        img = Image.new("L", (w, h), 255)
        draw = ImageDraw.Draw(img)
        if style.page_numbers and pages:
            text = str(len(pages) + 1)
            draw.text(((w - draw.textlength(text, font=regular)) / 2, top - line_h), text, font=regular, fill=0)
        pages.append(img)
        return img, draw

    img, draw = new_page()
    col = (right - left) * 0.42
    left_c, right_c = left + col / 2 - 40, left + col + (right - left - col) / 2

    def centered(d: ImageDraw.ImageDraw, x: float, y: int, text: str, font: ImageFont.FreeTypeFont) -> None:
        d.text((x - d.textlength(text, font=font) / 2, y), text, font=font, fill=0)

    y = top
    issuer = [line for line in layout.issuer_lines if line != "*"]
    for i, line in enumerate(issuer):
        centered(draw, left_c, y + i * line_h, line, small_bold if i == len(issuer) - 1 else regular)
    y_left = y + len(issuer) * line_h
    if layout.party:
        centered(draw, left_c, y_left, "*", regular)
    else:
        draw.line((left_c - 60, y_left + 8, left_c + 60, y_left + 8), fill=0, width=3)
    y_left += line_h
    centered(draw, left_c, y_left, number_line(layout), regular)
    y_right = y
    for line in motto_lines(layout):
        centered(draw, right_c, y_right, line, small_bold)
        y_right += line_h
    tw = draw.textlength(motto_lines(layout)[-1], font=small_bold)
    draw.line((right_c - tw / 2, y_right, right_c + tw / 2, y_right), fill=0, width=3)
    y_right += line_h // 2
    centered(draw, right_c, max(y_right, y_left), layout.place_date, italic)
    y = max(y_left, y_right) + 3 * line_h
    centered(draw, (left + right) / 2, y, layout.kind, bold)
    y += line_h
    for line in layout.title_lines:
        centered(draw, (left + right) / 2, y, line, bold)
        y += line_h
    draw.line(((left + right) / 2 - 150, y + 8, (left + right) / 2 + 150, y + 8), fill=0, width=3)
    y += 2 * line_h
    indent = round(12.7 * mm)
    for paragraph in layout.paragraphs:
        first = _wrap_pixels(draw, paragraph, regular, right - left - indent)
        lines = [first[0]] if first else []
        rest = " ".join(paragraph.split()[len(first[0].split()) :]) if first else ""
        lines += _wrap_pixels(draw, rest, regular, right - left) if rest else []
        for i, line in enumerate(lines):
            if y + line_h > bottom:
                img, draw = new_page()
                y = top + line_h
            x0 = left + (indent if i == 0 else 0)
            words = line.split()
            last = i == len(lines) - 1
            if last or len(words) == 1:
                draw.text((x0, y), line, font=regular, fill=0)
            else:  # justified
                widths = [draw.textlength(word, font=regular) for word in words]
                gap = (right - x0 - sum(widths)) / (len(words) - 1)
                x = float(x0)
                for word, ww in zip(words, widths, strict=True):
                    draw.text((x, y), word, font=regular, fill=0)
                    x += ww + gap
            y += line_h
        y += line_h // 3
    return pages


# ---------------------------------------------------------------------------------------------------
# Word and text-layer PDF


def write_docx(layout: Layout, path: Path) -> None:
    """A .docx with the two-column header as a borderless table, as offices type it."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    word = docx.Document()
    style = word.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    table = word.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.paragraphs[0].text = layout.issuer_lines[0]
    for line in [*layout.issuer_lines[1:], number_line(layout)]:
        left.add_paragraph(line)
    right.paragraphs[0].text = motto_lines(layout)[0]
    for line in [*motto_lines(layout)[1:], layout.place_date]:
        right.add_paragraph(line)
    for cell in (left, right):
        for p in cell.paragraphs:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    kind = word.add_paragraph()
    kind.add_run(layout.kind).bold = True
    kind.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = word.add_paragraph()
    title.add_run(" ".join(layout.title_lines)).bold = True
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    word.add_paragraph("-----").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for paragraph in layout.paragraphs:
        word.add_paragraph(paragraph).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    word.save(str(path))


def write_pdf(layout: Layout, path: Path) -> None:
    """A text-layer PDF (fpdf2, DejaVu Serif Condensed): the header as two columns side by side."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(30, 20, 18)
    pdf.add_font("serif", "", str(SERIF))
    pdf.add_font("serif", "B", str(SERIF_BOLD))
    pdf.add_font("serif", "I", str(SERIF_ITALIC))
    pdf.set_auto_page_break(True, 20)
    pdf.add_page()
    width = 210 - 30 - 18
    col = width * 0.42
    y0 = pdf.get_y()
    pdf.set_font("serif", "", 12)
    for line in [*layout.issuer_lines, number_line(layout)]:
        pdf.set_x(30)
        pdf.cell(col, 6.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    y_left = pdf.get_y()
    pdf.set_y(y0)
    pdf.set_font("serif", "B", 12)
    for line in motto_lines(layout):
        pdf.set_x(30 + col)
        pdf.cell(width - col, 6.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("serif", "I", 13)
    pdf.set_x(30 + col)
    pdf.cell(width - col, 8, layout.place_date, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(y_left, pdf.get_y()) + 8)
    pdf.set_font("serif", "B", 13)
    pdf.multi_cell(0, 7, layout.kind, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 7, "\n".join(layout.title_lines), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "-----", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("serif", "", 13)
    for paragraph in layout.paragraphs:
        pdf.set_x(30)
        pdf.multi_cell(0, 7, "      " + paragraph, align="J", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    pdf.output(str(path))
