"""bot.trash (removed files kept, restorable, purged after N days) and bot.corpus (document keys, the files
on which corpus and index disagree): plain file work on temporary folders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot import trash
from bot.corpus import CHANGED, GONE, NEW, SKIPPED, Waiting, path_key, unindexed, waiting_files
from index.documents import file_hash

NOW = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "uploads").mkdir(parents=True)
    (root / "co_san.txt").write_text("Tài liệu có sẵn\n\nNội dung.\n", "utf-8")
    (root / "uploads" / "gui.txt").write_text("Tài liệu gửi qua bot\n\nNội dung.\n", "utf-8")
    return root


def test_remove_restore_round_trip(corpus: Path, tmp_path: Path) -> None:
    bin_ = tmp_path / "trash"
    data = (corpus / "uploads" / "gui.txt").read_bytes()
    item = trash.move_to_trash(corpus, bin_, "uploads/gui.txt", "Tài liệu gửi qua bot", 7, NOW)
    assert item is not None and not item.shipped and item.key == path_key("uploads/gui.txt")
    assert not (corpus / "uploads" / "gui.txt").exists() and item.file.read_bytes() == data
    [listed] = trash.items(bin_)
    assert (listed.path, listed.title, listed.removed_by, listed.removed_at) == (
        "uploads/gui.txt", "Tài liệu gửi qua bot", 7, NOW,
    )  # fmt: skip
    restored = trash.restore(corpus, listed)
    assert restored == trash.Restored("uploads/gui.txt", renamed=False, already_there=False)
    assert (corpus / "uploads" / "gui.txt").read_bytes() == data and trash.items(bin_) == []


def test_restore_never_overwrites_a_file_that_took_the_place(corpus: Path, tmp_path: Path) -> None:
    bin_ = tmp_path / "trash"
    item = trash.move_to_trash(corpus, bin_, "co_san.txt", "Tài liệu có sẵn", None, NOW)
    assert item is not None and item.shipped
    (corpus / "co_san.txt").write_text("Một tài liệu khác\n\nKhác.\n", "utf-8")
    restored = trash.restore(corpus, item)
    assert restored.renamed and restored.path == "co_san-2.txt"
    assert (corpus / "co_san.txt").read_text("utf-8").startswith("Một tài liệu khác")
    assert (corpus / "co_san-2.txt").read_text("utf-8").startswith("Tài liệu có sẵn")
    # The same content back at its place: nothing to move.
    again = trash.move_to_trash(corpus, bin_, "co_san-2.txt", "", None, NOW)
    assert again is not None
    (corpus / "co_san-2.txt").write_bytes(again.file.read_bytes())
    assert trash.restore(corpus, again).already_there and trash.items(bin_) == []


@pytest.mark.parametrize("relpath", ["../outside.txt", "/etc/passwd", "uploads/../../x.txt"])
def test_nothing_outside_the_corpus_is_touched(corpus: Path, tmp_path: Path, relpath: str) -> None:
    (tmp_path / "outside.txt").write_text("x", "utf-8")
    with pytest.raises(trash.TrashError):
        trash.move_to_trash(corpus, tmp_path / "trash", relpath, "", None, NOW)
    assert (tmp_path / "outside.txt").exists()


def test_a_trash_inside_the_corpus_must_be_hidden(corpus: Path) -> None:
    with pytest.raises(trash.TrashError):
        trash.move_to_trash(corpus, corpus / "trash", "co_san.txt", "", None, NOW)
    assert trash.move_to_trash(corpus, corpus / ".trash", "co_san.txt", "", None, NOW) is not None


def test_missing_file(corpus: Path, tmp_path: Path) -> None:
    assert trash.move_to_trash(corpus, tmp_path / "trash", "khong_co.txt", "", None, NOW) is None


@pytest.mark.parametrize(("age_days", "kept"), [(0, True), (29, True), (30, False), (45, False)])
def test_purge_after_the_kept_days(corpus: Path, tmp_path: Path, age_days: int, kept: bool) -> None:
    bin_ = tmp_path / "trash"
    trash.move_to_trash(corpus, bin_, "co_san.txt", "", None, NOW - dt.timedelta(days=age_days))
    assert trash.purge(bin_, NOW, 30) == (0 if kept else 1)
    assert bool(trash.items(bin_)) is kept


def test_empty(corpus: Path, tmp_path: Path) -> None:
    bin_ = tmp_path / "trash"
    trash.move_to_trash(corpus, bin_, "co_san.txt", "", None, NOW)
    trash.move_to_trash(corpus, bin_, "uploads/gui.txt", "", None, NOW + dt.timedelta(seconds=1))
    assert [i.path for i in trash.items(bin_)] == ["uploads/gui.txt", "co_san.txt"]  # newest first
    assert trash.empty(bin_) == 2 and trash.items(bin_) == [] and trash.empty(bin_) == 0


def test_waiting_files(corpus: Path) -> None:
    (corpus / "hong.docx").write_bytes(b"not a zip")
    manifest = {
        "files": {
            "co_san.txt": {"sha256": file_hash(corpus / "co_san.txt")},
            "uploads/gui.txt": {"sha256": "0" * 64},
            "da_xoa.txt": {"sha256": "1" * 64},
        },
        "skipped": {"hong.docx": {"sha256": file_hash(corpus / "hong.docx"), "reason": "broken .docx"}},
    }
    (corpus / "moi.md").write_text("Mới\n\nNội dung.\n", "utf-8")
    waiting = waiting_files(corpus, manifest)
    assert waiting == [
        Waiting("da_xoa.txt", GONE),
        Waiting("hong.docx", SKIPPED, "broken .docx"),
        Waiting("moi.md", NEW),
        Waiting("uploads/gui.txt", CHANGED),
    ]
    assert [w.path for w in unindexed(waiting)] == ["moi.md", "uploads/gui.txt"]
    assert waiting_files(corpus, {})[0] == Waiting("co_san.txt", NEW)


@pytest.mark.parametrize("path", ["a.txt", "uploads/Kế_hoạch.docx", "x/" * 50 + "y.pdf"])
def test_keys_are_stable_and_short(path: str) -> None:
    assert path_key(path) == path_key(path) and len(path_key(path)) == 8
    assert path_key(path) != path_key(path + "x")
