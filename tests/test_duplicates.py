"""The same content under another name is indexed once; the build says which document it repeats."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest

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


def test_an_unchanged_duplicate_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A no-change rebuild does not read (parse, or OCR) a duplicate again while the document it repeats
    keeps its content; when that document changes, the duplicate is read and indexed in its own right."""
    import index.store

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a-goc.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "b-ban-sao.txt").write_text(TEXT, encoding="utf-8")
    assert build_index(corpus, index_dir, HashEncoder()).duplicates == [("b-ban-sao.txt", "a-goc.txt")]

    reads: list[str] = []
    real_read = index.store.read_file

    def counting_read(path: Path, *args: object, **kwargs: object) -> object:
        reads.append(path.name)
        return real_read(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(index.store, "read_file", counting_read)
    again = build_index(corpus, index_dir, HashEncoder())
    assert again.snapshot is None and reads == []  # nothing read, nothing to do
    assert again.duplicates == [("b-ban-sao.txt", "a-goc.txt")]

    (corpus / "a-goc.txt").write_text(TEXT.replace("30/6/2024", "15/7/2024"), encoding="utf-8")
    changed = build_index(corpus, index_dir, HashEncoder())
    assert sorted(reads) == ["a-goc.txt", "b-ban-sao.txt"]
    assert changed.duplicates == [] and changed.documents == 2 and changed.added == 1
