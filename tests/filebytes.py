"""The bytes of files an admin may upload, built in memory for tests: a .docx of paragraphs, a zip bomb
posing as a .docx, a PDF with one blank page (a scan with no text to read)."""

from __future__ import annotations

import io
import zipfile

MB = 1024 * 1024


def docx_bytes(*paragraphs: str) -> bytes:
    from docx import Document

    word = Document()
    for text in paragraphs:
        word.add_paragraph(text)
    buf = io.BytesIO()
    word.save(buf)
    return buf.getvalue()


def zip_bomb(expanded: int) -> bytes:
    """A zip named like a .docx whose word/document.xml unpacks to more than `expanded` bytes of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as member:
            chunk = b"\0" * MB
            for _ in range(expanded // MB + 1):
                member.write(chunk)
    return buf.getvalue()


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
