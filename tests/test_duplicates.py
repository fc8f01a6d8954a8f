"""The same content under another name is indexed once; the build says which document it repeats."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx

from bot.reindex import summary_text
from index.search import Searcher
from index.store import build_index, current_snapshot, read_manifest
from tests.fakes import HashEncoder

TEXT = (
    "Kế hoạch tuyển dụng công chức năm 2024\nNgày: 05/03/2024\nCơ quan: Sở Nội vụ tỉnh Phú Thọ\n\n"
    "Tổ chức thi tuyển công chức cấp xã trong quý II năm 2024.\n"
    "Hoàn thành báo cáo kết quả tuyển dụng trước ngày 30/6/2024.\n"
)


def _passages_of(index_dir: Path) -> list[tuple[str, str]]:
    s = Searcher(current_snapshot(index_dir), None)
    return [(p.doc, p.text) for p in s.passages]


def test_a_copy_under_another_name_is_not_indexed_twice(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "z-ke-hoach.txt").write_text(TEXT, encoding="utf-8")
    first = build_index(corpus, index_dir, HashEncoder())
    assert first.documents == 1 and first.duplicates == []

    (corpus / "uploads").mkdir()
    shutil.copy(corpus / "z-ke-hoach.txt", corpus / "uploads" / "a-ban-sao.txt")  # sorts first
    word = docx.Document()
    for line in TEXT.splitlines():
        word.add_paragraph(line)
    word.save(str(corpus / "uploads" / "ke-hoach.docx"))  # the same content as a Word file

    second = build_index(corpus, index_dir, HashEncoder())
    assert sorted(second.duplicates) == [
        ("uploads/a-ban-sao.txt", "z-ke-hoach.txt"),  # the document indexed before is the one kept
        ("uploads/ke-hoach.docx", "z-ke-hoach.txt"),
    ]
    assert second.documents == 1 and second.passages == first.passages and second.added == 0
    assert ("uploads/a-ban-sao.txt", "same content as z-ke-hoach.txt") in second.skipped
    assert {doc for doc, _ in _passages_of(index_dir)} == {"z-ke-hoach.txt"}
    texts = [t for _, t in _passages_of(index_dir)]
    assert len(texts) == len(set(texts))  # no paragraph twice
    manifest = read_manifest(current_snapshot(index_dir))
    assert manifest["skipped"]["uploads/ke-hoach.docx"]["duplicate_of"] == "z-ke-hoach.txt"
    status = summary_text(second, 20 * 1024 * 1024)
    assert "trùng nội dung với tệp «z-ke-hoach.txt»" in status

    assert build_index(corpus, index_dir, HashEncoder()).snapshot is None  # stable: nothing to do

    (corpus / "z-ke-hoach.txt").unlink()  # the original goes: one copy takes its place
    third = build_index(corpus, index_dir, HashEncoder())
    assert third.duplicates == [("uploads/ke-hoach.docx", "uploads/a-ban-sao.txt")]
    assert {doc for doc, _ in _passages_of(index_dir)} == {"uploads/a-ban-sao.txt"}
