"""Budgets on reading a document (index/budget.py): an over-budget file is refused with its reason, in
bounded time and memory, before anything is indexed."""

from __future__ import annotations

import io
import resource
import threading
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest

from index.budget import MB, Budget, check_archive
from index.documents import read_document
from index.errors import BadDocument, DocumentTooLarge

PARAGRAPH = "<w:p><w:r><w:t>Ban Thường vụ tỉnh ủy chỉ đạo.</w:t></w:r></w:p>".encode()
WAIT = 120.0  # seconds a refusal may take before the test gives up (a bounded wait, not a timing assertion)


def bomb_docx(path: Path, unpacked_bytes: int) -> None:
    """A real .docx (python-docx's template) whose word/document.xml unpacks to `unpacked_bytes` of
    paragraphs; written in chunks, so building it takes little memory."""
    template = io.BytesIO()
    docx.Document().save(template)
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            if item.filename != "word/document.xml":
                out.writestr(item, src.read(item))
        head = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        )
        tail = b"</w:body></w:document>"
        chunk = PARAGRAPH * (MB // len(PARAGRAPH))
        with out.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(head)
            written = len(head) + len(tail)
            while written + len(chunk) <= unpacked_bytes:
                member.write(chunk)
                written += len(chunk)
            member.write(tail)


def read_bounded(path: Path, budget: Budget | None = None) -> tuple[BaseException | None, int]:
    """Read `path` in a daemon thread, waiting at most WAIT seconds; (the exception raised, how much
    this process's peak RSS grew in MB). Fails the test when the read does not end in time."""
    outcome: dict[str, Any] = {}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def run() -> None:
        try:
            outcome["doc"] = read_document(path, path.parent, budget=budget)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(WAIT)
    assert not worker.is_alive(), f"reading {path.name} did not end within {WAIT:g} s"
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
    return outcome.get("error"), grown


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bao-cao.docx"
    bomb_docx(path, 190 * MB)
    return path


def test_the_bomb_is_small_and_unpacks_to_190_mb(bomb: Path) -> None:
    assert bomb.stat().st_size < 1 * MB
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("word/document.xml").file_size > 189 * MB


def test_a_190_mb_document_xml_is_refused_by_its_unpacked_size(bomb: Path) -> None:
    error, grown = read_bounded(bomb)
    assert isinstance(error, DocumentTooLarge)
    assert "word/document.xml unpacks to 190.0 MB" in str(error) and "limit for one part" in str(error)
    assert str(error).startswith("bao-cao.docx: ")
    assert grown < 64


def test_with_the_size_caps_lifted_the_parse_time_budget_refuses_it(bomb: Path) -> None:
    budget = Budget(max_part_bytes=1024 * MB, max_expanded_bytes=1024 * MB, seconds=1, memory_bytes=3072 * MB)
    error, grown = read_bounded(bomb, budget)
    assert isinstance(error, DocumentTooLarge)
    assert "took more than 1 s" in str(error) or "3072.0 MB" in str(error)
    assert grown < 64  # the parse ran in the child, not here


def test_memory_budget_stops_the_reader(bomb: Path) -> None:
    """With time to spare, the memory cap is what stops the parse of 190 MB of XML."""
    budget = Budget(max_part_bytes=1024 * MB, max_expanded_bytes=1024 * MB, seconds=600, memory_bytes=200 * MB)
    error, _ = read_bounded(bomb, budget)
    assert isinstance(error, DocumentTooLarge) and "200.0 MB" in str(error)


def _docx(path: Path, paragraphs: list[str]) -> None:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))


def test_paragraph_cap(tmp_path: Path) -> None:
    path = tmp_path / "dai.docx"
    _docx(path, ["Kế hoạch năm 2024"] + [f"Đoạn số {i} của kế hoạch." for i in range(60)])
    assert len(read_document(path, tmp_path).paragraphs) == 60
    with pytest.raises(DocumentTooLarge, match=r"dai.docx: 60 paragraphs, over the limit of 50"):
        read_document(path, tmp_path, budget=Budget(max_paragraphs=50))


def test_paragraph_cap_on_a_reader_run_in_this_process(tmp_path: Path) -> None:
    # .doc (antiword) and scans (OCR) are read in the calling process, not the budget's child: what they
    # give is held to the same caps.
    from tests.worddoc import write_doc

    path = tmp_path / "dai.doc"
    write_doc(path, ["Kế hoạch năm 2024"] + [f"Đoạn số {i} của kế hoạch." for i in range(60)])
    assert len(read_document(path, tmp_path).paragraphs) == 60
    with pytest.raises(DocumentTooLarge, match=r"dai.doc: 60 paragraphs, over the limit of 50"):
        read_document(path, tmp_path, budget=Budget(max_paragraphs=50))


def test_passage_cap_on_plain_text(tmp_path: Path) -> None:
    sentence = "Ủy ban nhân dân tỉnh chỉ đạo các sở, ngành triển khai nhiệm vụ trọng tâm của quý. "
    path = tmp_path / "dai.txt"
    path.write_text("Báo cáo quý\n" + "\n".join(sentence * 30 for _ in range(5)), encoding="utf-8")
    doc = read_document(path, tmp_path)
    assert len(doc.paragraphs) == 5
    with pytest.raises(DocumentTooLarge, match=r"dai.txt: \d+ passages, over the limit of 6"):
        read_document(path, tmp_path, budget=Budget(max_passages=6))


def test_total_unpacked_size_cap(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(3):
            archive.writestr(f"word/media/image{i}.bin", b"\x00" * (2 * MB))
    with pytest.raises(DocumentTooLarge, match=r"x.docx: unpacks to 6.0 MB in 3 parts, over the 5.0 MB limit"):
        check_archive("x.docx", buffer.getvalue(), Budget(max_expanded_bytes=5 * MB))
    check_archive("x.docx", buffer.getvalue(), Budget())  # within the default budget


def test_a_good_docx_reads_the_same_through_the_child(tmp_path: Path) -> None:
    path = tmp_path / "tot.docx"
    _docx(path, ["Kế hoạch tiền lương", "Ngày: 05/06/2024", "", "Đoạn một.", "Đoạn hai."])
    doc = read_document(path, tmp_path)
    assert (doc.title, doc.paragraphs, doc.path) == ("Kế hoạch tiền lương", ("Đoạn một.", "Đoạn hai."), "tot.docx")


def test_reader_errors_come_back_as_bad_document(tmp_path: Path) -> None:
    path = tmp_path / "hong.docx"
    path.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(BadDocument, match="broken zip archive") as info:
        read_document(path, tmp_path)
    assert not isinstance(info.value, DocumentTooLarge)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "a.docx: its part word/document.xml unpacks to 190.0 MB, over the 64.0 MB limit for one part",
            "tệp .docx khi giải nén sẽ vượt quá giới hạn cho phép",
        ),
        ("a.docx: unpacks to 130.0 MB in 9 parts, over the 128.0 MB limit", "nghi là «bom nén»"),
        ("a.docx: 25,001 paragraphs, over the limit of 20,000", "tài liệu có 25.001 đoạn văn, vượt giới hạn 20.000"),
        ("a.txt: 41,000 passages, over the limit of 40,000", "41.000 đoạn trích, vượt giới hạn 40.000 đoạn trích"),
        ("a.pdf: reading it took more than 120 s", "đọc tệp mất quá 120 giây"),
        ("a.pdf: reading it needs more than 1024.0 MB", "cần quá nhiều bộ nhớ (1024.0 MB)"),
        (
            "a.pdf: the reader stopped (signal SIGKILL), probably over the 1024.0 MB memory limit",
            "cần quá nhiều bộ nhớ (1024.0 MB)",
        ),
    ],
)
def test_budget_refusals_read_in_vietnamese(message: str, expected: str) -> None:
    from bot.uploads import reason_vi

    assert expected in reason_vi(message, 20 * MB)


def test_a_long_title_is_shortened_at_read_time(tmp_path: Path) -> None:
    title = "Kế hoạch " + "triển khai nhiệm vụ trọng tâm " * 330  # ~9,900 characters
    (tmp_path / "a.txt").write_text(f"{title}\nNgày: 01/02/2024\n\nĐoạn một.\n", encoding="utf-8")
    _docx(tmp_path / "b.docx", [title, "Ngày: 01/02/2024", "", "Đoạn một."])
    for name in ("a.txt", "b.docx"):
        doc = read_document(tmp_path / name, tmp_path)
        assert len(doc.title) <= 300 and doc.title.endswith("…")
        assert title.startswith(doc.title[:-1]) and title[len(doc.title) - 1] == " "  # at a word boundary
        assert doc.title.startswith("Kế hoạch triển khai") and doc.paragraphs == ("Đoạn một.",)


def test_a_long_title_in_an_old_snapshot_is_shortened_when_read(tmp_path: Path) -> None:
    from index.store import doc_from_json

    d = {"path": "a.txt", "title": "Tiêu đề " * 2000, "date": None, "agency": None, "paragraphs": ["x"]}
    assert len(doc_from_json(d).title) <= 300


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Kế hoạch năm", 20, "Kế hoạch năm"),
        ("Kế hoạch triển khai nhiệm vụ", 20, "Kế hoạch triển khai…"),
        ("Kế hoạch, triển khai", 12, "Kế hoạch…"),
        ("Kếhoạchtriểnkhainhiệmvụ", 10, "Kếhoạchtr…"),
    ],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    from index.text import shorten

    assert shorten(text, limit) == expected and len(shorten(text, limit)) <= limit


def test_the_reader_server_is_started_again_when_it_died(tmp_path: Path) -> None:
    from index import budget

    path = tmp_path / "tot.docx"
    _docx(path, ["Kế hoạch", "Ngày: 05/06/2024", "", "Đoạn một."])
    assert read_document(path, tmp_path).paragraphs == ("Đoạn một.",)
    server = budget._server.process
    assert server is not None
    server.kill()
    server.wait()
    assert read_document(path, tmp_path).paragraphs == ("Đoạn một.",)
    assert budget._server.process is not server
