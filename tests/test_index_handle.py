"""IndexHandle picks up a snapshot published by another process, and survives a broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

from index.search import IndexHandle
from index.store import build_index
from tests.fakes import HashEncoder

DOC = "Kế hoạch {n}\nNgày: 01/02/2024\nCơ quan: Sở Nội vụ tỉnh Phú Thọ\n\n{body}\n"


def _corpus(root: Path, bodies: dict[str, str]) -> None:
    root.mkdir(exist_ok=True)
    for name, body in bodies.items():
        (root / name).write_text(DOC.format(n=name, body=body), encoding="utf-8")


def _built_handle(tmp_path: Path, check_every: float) -> tuple[Path, Path, IndexHandle]:
    """A one-document corpus, its index, and a handle on it: (corpus, index dir, handle)."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    _corpus(corpus, {"a.txt": "Rà soát vị trí việc làm trước ngày 30/6/2024."})
    build_index(corpus, index_dir, HashEncoder())
    handle = IndexHandle(index_dir, HashEncoder.name, encoder_factory=HashEncoder, check_every=check_every)
    return corpus, index_dir, handle


def test_handle_follows_current_pointer(tmp_path: Path) -> None:
    corpus, index_dir, handle = _built_handle(tmp_path, check_every=0)
    first = handle.searcher
    assert first.passage_count == 1

    # another process (here: a direct build) publishes a new snapshot
    _corpus(corpus, {"b.txt": "Tổ chức thi nâng ngạch chuyên viên chính trong tháng 10/2024."})
    build_index(corpus, index_dir, HashEncoder())
    second = handle.searcher
    assert second is not first and second.passage_count == 2
    assert any("nâng ngạch" in h.passage.text for h in second.search("thi nang ngach", k=2).hits)


def test_handle_keeps_answering_when_new_snapshot_is_broken(tmp_path: Path) -> None:
    _, index_dir, handle = _built_handle(tmp_path, check_every=0)
    first = handle.searcher
    live = index_dir / "snapshots" / (index_dir / "CURRENT").read_text(encoding="utf-8")
    broken = index_dir / "snapshots" / "99990101T000000000000"
    shutil.copytree(live, broken)
    (broken / "passages.json").write_text("[", encoding="utf-8")
    (index_dir / "CURRENT").write_text(broken.name, encoding="utf-8")
    assert handle.searcher is first


def test_handle_falls_back_when_current_names_a_missing_snapshot(tmp_path: Path) -> None:
    _, index_dir, handle = _built_handle(tmp_path, check_every=0)
    assert handle.searcher.passage_count == 1
    (index_dir / "CURRENT").write_text("does-not-exist", encoding="utf-8")
    assert handle.searcher.passage_count == 1


def test_handle_checks_pointer_only_every_so_often(tmp_path: Path) -> None:
    corpus, index_dir, handle = _built_handle(tmp_path, check_every=3600)
    first = handle.searcher
    _corpus(corpus, {"b.txt": "Tổ chức thi nâng ngạch chuyên viên chính trong tháng 10/2024."})
    build_index(corpus, index_dir, HashEncoder())
    assert handle.searcher is first  # not yet looked at CURRENT again
    assert handle.reload().passage_count == 2
