"""index.store.build_index: snapshots, incremental updates by file hash, vector reuse, failure safety."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

import index.store as store
from index.errors import IndexCorrupt, IndexNotBuilt, ModelMismatch
from index.search import IndexHandle, Searcher, Tuning
from index.store import build_index, current_snapshot
from tests.fakes import HashEncoder

DOCS: dict[str, tuple[str, str, str, list[str]]] = {
    "a_luong.txt": (
        "Hướng dẫn thực hiện mức lương cơ sở",
        "08/07/2024",
        "Sở Nội vụ tỉnh Quảng Ngãi",
        [
            "Từ ngày 01/7/2024 mức lương cơ sở là 2.340.000 đồng/tháng.",
            "Các cơ quan rà soát danh sách người hưởng lương, gửi Sở Nội vụ trước ngày 20/7/2024.",
            "Kinh phí thực hiện bảo đảm từ nguồn cải cách tiền lương của ngân sách tỉnh.",
        ],
    ),
    "b_dangvien.txt": (
        "Hướng dẫn kết nạp đảng viên trong học sinh, sinh viên",
        "15/03/2024",
        "Ban Tổ chức Tỉnh ủy Lâm Đồng",
        [
            "Các chi bộ trường học lập danh sách quần chúng ưu tú.",
            "Quý II/2024 toàn tỉnh phấn đấu kết nạp 150 đảng viên là học sinh, sinh viên.",
        ],
    ),
    "sub/c_xa.txt": (
        "Kết luận về sắp xếp đơn vị hành chính cấp xã",
        "05/05/2024",
        "Ban Thường vụ Tỉnh ủy Thái Bình",
        [
            "Thống nhất sáp nhập xã Đông Hòa và xã Đông Xuân thành xã Đông Quang.",
            "Trụ sở làm việc của xã mới đặt tại trụ sở xã Đông Hòa hiện nay.",
            "Cán bộ dôi dư được bố trí trong thời hạn 5 năm.",
        ],
    ),
}


def doc_text(title: str, date: str, agency: str, paragraphs: list[str]) -> str:
    return f"{title}\nNgày: {date}\nCơ quan: {agency}\n\n" + "\n".join(paragraphs) + "\n"


def write(corpus: Path, name: str, title: str, date: str, agency: str, paragraphs: list[str]) -> Path:
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc_text(title, date, agency, paragraphs), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for name, (title, date, agency, paras) in DOCS.items():
        write(root, name, title, date, agency, paras)
    return root


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def n_paragraphs(*names: str) -> int:
    return sum(len(DOCS[n][3]) for n in names)


ALL = n_paragraphs(*DOCS)


def snapshot_names(index_dir: Path) -> list[str]:
    return sorted(p.name for p in (index_dir / "snapshots").iterdir())


def open_searcher(index_dir: Path, name: str = HashEncoder.name, dim: int = 64) -> Searcher:
    return Searcher.open(index_dir, name, HashEncoder(dim=dim, name=name))


def all_texts(searcher: Searcher) -> list[str]:
    return [p.text for p in searcher.passages]


# ---------------------------------------------------------------------------------------------


def test_first_build(corpus: Path, index_dir: Path) -> None:
    enc = HashEncoder()
    summary = build_index(corpus, index_dir, enc)
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (3, 0, 0, 0)
    assert summary.documents == 3 and summary.passages == ALL and summary.embedded == ALL
    assert summary.snapshot and (index_dir / "CURRENT").read_text().strip() == summary.snapshot
    assert sum(enc.calls) == ALL
    manifest = json.loads((current_snapshot(index_dir) / "manifest.json").read_text("utf-8"))
    assert manifest["model"] == enc.name and manifest["dimension"] == enc.dim
    assert set(manifest["files"]) == set(DOCS)  # relative paths, sub-directories with "/"
    s = open_searcher(index_dir)
    assert s.passage_count == ALL
    assert {m.path for m in s.documents()} == set(DOCS)
    ans = s.search("mức lương cơ sở 2.340.000 đồng", k=3)
    assert ans.answerable and ans.hits[0].passage.doc == "a_luong.txt"
    assert ans.hits[0].passage.paragraph == 1


def test_unchanged_corpus_writes_nothing(corpus: Path, index_dir: Path) -> None:
    enc = HashEncoder()
    first = build_index(corpus, index_dir, enc)
    calls = list(enc.calls)
    pointer = (index_dir / "CURRENT").stat()
    snaps = snapshot_names(index_dir)

    again = build_index(corpus, index_dir, enc)

    assert enc.calls == calls
    assert again.snapshot is None and again.embedded == 0
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 3)
    assert again.passages == first.passages
    assert (index_dir / "CURRENT").stat().st_mtime_ns == pointer.st_mtime_ns
    assert (index_dir / "CURRENT").read_text().strip() == first.snapshot
    assert snapshot_names(index_dir) == snaps


def test_touching_a_file_without_changing_it_writes_nothing(corpus: Path, index_dir: Path) -> None:
    enc = HashEncoder()
    build_index(corpus, index_dir, enc)
    path = corpus / "a_luong.txt"
    path.write_bytes(path.read_bytes())  # new mtime, same bytes
    assert build_index(corpus, index_dir, enc).snapshot is None


def test_added_file_embeds_only_its_passages(corpus: Path, index_dir: Path) -> None:
    enc = HashEncoder()
    build_index(corpus, index_dir, enc)
    before = len(enc.calls)
    write(
        corpus,
        "d_new.txt",
        "Thông báo thi nâng ngạch chuyên viên chính",
        "01/10/2024",
        "Sở Nội vụ",
        ["Kỳ thi nâng ngạch chuyên viên chính tổ chức vào tháng 11/2024.", "Thí sinh nộp hồ sơ trước 15/10."],
    )

    summary = build_index(corpus, index_dir, enc)

    assert (summary.added, summary.changed, summary.unchanged) == (1, 0, 3)
    assert summary.embedded == 2 and enc.calls[before:] == [2]
    assert summary.passages == ALL + 2
    s = open_searcher(index_dir)
    assert s.search("thi nâng ngạch chuyên viên chính", k=1).hits[0].passage.doc == "d_new.txt"


def test_changed_file_embeds_only_changed_paragraphs(corpus: Path, index_dir: Path) -> None:
    enc = HashEncoder()
    build_index(corpus, index_dir, enc)
    before = len(enc.calls)
    title, date, agency, paras = DOCS["sub/c_xa.txt"]
    new = [paras[0], "Trụ sở làm việc của xã mới đặt tại nhà văn hóa xã Đông Xuân.", paras[2]]
    write(corpus, "sub/c_xa.txt", title, date, agency, new)

    summary = build_index(corpus, index_dir, enc)

    assert (summary.added, summary.changed, summary.unchanged) == (0, 1, 2)
    assert summary.embedded == 1 and enc.calls[before:] == [1]
    s = open_searcher(index_dir)
    texts = all_texts(s)
    assert paras[1] not in texts
    assert new[1] in texts
    hits = s.search("trụ sở xã Đông Hòa hiện nay", k=5).hits
    assert all("Đông Hòa hiện nay" not in h.passage.text for h in hits)
    assert s.search("nhà văn hóa xã Đông Xuân", k=1).hits[0].passage.text == new[1]


def test_changed_title_re_embeds_the_whole_document(corpus: Path, index_dir: Path) -> None:
    """The dense side sees title + passage, so a new title makes every passage of that file new."""
    enc = HashEncoder()
    build_index(corpus, index_dir, enc)
    _, date, agency, paras = DOCS["b_dangvien.txt"]
    write(corpus, "b_dangvien.txt", "Kế hoạch kết nạp đảng viên năm 2024", date, agency, paras)
    summary = build_index(corpus, index_dir, enc)
    assert summary.changed == 1 and summary.embedded == len(paras)


def test_removed_file_passages_are_gone(corpus: Path, index_dir: Path) -> None:
    enc = HashEncoder()
    build_index(corpus, index_dir, enc)
    (corpus / "b_dangvien.txt").unlink()

    summary = build_index(corpus, index_dir, enc)

    assert (summary.removed, summary.unchanged, summary.embedded) == (1, 2, 0)
    s = open_searcher(index_dir)
    assert s.passage_count == ALL - n_paragraphs("b_dangvien.txt")
    assert "b_dangvien.txt" not in {m.path for m in s.documents()}
    assert all(h.passage.doc != "b_dangvien.txt" for h in s.search("kết nạp đảng viên học sinh", k=10).hits)


def test_renamed_file_reuses_vectors(corpus: Path, index_dir: Path) -> None:
    enc = HashEncoder()
    build_index(corpus, index_dir, enc)
    (corpus / "a_luong.txt").rename(corpus / "a_luong_2024.txt")
    summary = build_index(corpus, index_dir, enc)
    assert (summary.added, summary.removed, summary.embedded) == (1, 1, 0)
    assert summary.snapshot is not None


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" * 20, "binary"),
        ("header_only.txt", "Tiêu đề\nNgày: 01/01/2024\nCơ quan: Sở Nội vụ\n\n".encode(), "no text"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "docx"),
    ],
)
def test_broken_file_is_skipped_and_the_rest_indexed(
    corpus: Path, index_dir: Path, name: str, content: bytes, reason: str
) -> None:
    (corpus / name).write_bytes(content)
    enc = HashEncoder()
    summary = build_index(corpus, index_dir, enc)
    assert [p for p, _ in summary.skipped] == [name]
    assert reason in summary.skipped[0][1].lower()
    assert summary.documents == 3 and summary.passages == ALL
    # the skip is remembered: an unchanged corpus (broken file included) writes nothing
    again = build_index(corpus, index_dir, enc)
    assert again.snapshot is None and [p for p, _ in again.skipped] == [name]
    # fixing the file indexes it
    write(
        corpus,
        name.replace(".docx", ".txt") if name.endswith(".docx") else name,
        "Văn bản đã sửa",
        "01/02/2024",
        "Sở Nội vụ",
        ["Nội dung đã được sửa lại."],
    )
    if name.endswith(".docx"):
        (corpus / name).unlink()
    fixed = build_index(corpus, index_dir, enc)
    assert fixed.documents == 4 and not fixed.skipped


def test_hidden_and_unsupported_files_are_ignored(corpus: Path, index_dir: Path) -> None:
    (corpus / ".hidden.txt").write_text(doc_text("Ẩn", "01/01/2024", "X", ["Không được đọc."]), "utf-8")
    (corpus / "notes.csv").write_text("a,b\n1,2\n", "utf-8")
    summary = build_index(corpus, index_dir, HashEncoder())
    assert summary.documents == 3 and not summary.skipped


def test_model_change_re_embeds_everything(corpus: Path, index_dir: Path) -> None:
    build_index(corpus, index_dir, HashEncoder())
    other = HashEncoder(dim=32, name="other")  # another dimension too: mixing would not even fit

    summary = build_index(corpus, index_dir, other)

    assert summary.embedded == ALL and sum(other.calls) == ALL
    assert summary.full_rebuild_reason and "model" in summary.full_rebuild_reason
    manifest = json.loads((current_snapshot(index_dir) / "manifest.json").read_text("utf-8"))
    assert manifest["model"] == "other" and manifest["dimension"] == 32
    s = Searcher.open(index_dir, "other", other)
    assert s.vectors.shape == (ALL, 32)
    with pytest.raises(ModelMismatch):
        Searcher.open(index_dir, HashEncoder.name, HashEncoder())
    # and back again: nothing of the "other" vectors is reused for the first model
    first = HashEncoder()
    assert build_index(corpus, index_dir, first).embedded == ALL


def test_tokenizer_version_change_rebuilds_without_re_embedding(
    corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enc = HashEncoder()
    build_index(corpus, index_dir, enc)
    monkeypatch.setattr(store, "TOKENIZER_VERSION", store.TOKENIZER_VERSION + 1)
    summary = build_index(corpus, index_dir, enc)
    assert summary.snapshot is not None and summary.embedded == 0


class ExplodingEncoder(HashEncoder):
    """Raises on the embedding call number `fail_on` (0-based), like a build killed midway."""

    def __init__(self, fail_on: int) -> None:
        super().__init__()
        self.fail_on = fail_on

    def embed(self, texts, **kw):  # type: ignore[no-untyped-def]
        if len(self.calls) == self.fail_on:
            self.calls.append(-1)
            raise RuntimeError("out of memory (simulated)")
        return super().embed(texts, **kw)


def _assert_previous_index_live(index_dir: Path, pointer: str) -> None:
    assert (index_dir / "CURRENT").read_text().strip() == pointer
    leftovers = [p.name for p in (index_dir / "snapshots").iterdir() if p.name.startswith(".")]
    assert leftovers == []
    s = open_searcher(index_dir)
    assert s.passage_count == ALL
    ans = s.search("mức lương cơ sở 2.340.000 đồng", k=1)
    assert ans.answerable and ans.hits[0].passage.doc == "a_luong.txt"


def test_encoder_failure_leaves_previous_index(corpus: Path, index_dir: Path) -> None:
    enc = ExplodingEncoder(fail_on=1)
    first = build_index(corpus, index_dir, enc)
    snaps = snapshot_names(index_dir)
    write(corpus, "d_new.txt", "Văn bản mới", "01/10/2024", "Sở Nội vụ", ["Nội dung mới về thi nâng ngạch."])

    with pytest.raises(RuntimeError, match="simulated"):
        build_index(corpus, index_dir, enc)

    assert first.snapshot
    _assert_previous_index_live(index_dir, first.snapshot)
    assert snapshot_names(index_dir) == snaps
    # the next build succeeds and embeds only the new file
    good = HashEncoder()
    assert build_index(corpus, index_dir, good).embedded == 1


def test_failure_while_writing_snapshot_leaves_previous_index(
    corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enc = HashEncoder()
    first = build_index(corpus, index_dir, enc)
    (corpus / "b_dangvien.txt").unlink()

    import index.lexical

    def boom(*a, **kw):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.lexical, "build_lexical", boom)
    with pytest.raises(OSError):
        build_index(corpus, index_dir, enc)
    monkeypatch.undo()

    assert first.snapshot
    _assert_previous_index_live(index_dir, first.snapshot)
    assert build_index(corpus, index_dir, enc).removed == 1


def test_failure_at_the_switch_leaves_previous_index(
    corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between writing the snapshot files and replacing CURRENT."""
    enc = HashEncoder()
    first = build_index(corpus, index_dir, enc)
    write(corpus, "d_new.txt", "Văn bản mới", "01/10/2024", "Sở Nội vụ", ["Nội dung mới."])

    def boom(root: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_fsync_tree", boom)
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, index_dir, enc)
    monkeypatch.undo()
    assert first.snapshot
    _assert_previous_index_live(index_dir, first.snapshot)


def test_missing_index_raises_index_not_built(tmp_path: Path) -> None:
    with pytest.raises(IndexNotBuilt):
        current_snapshot(tmp_path / "nothing")
    with pytest.raises(IndexNotBuilt):
        Searcher.open(tmp_path / "nothing", HashEncoder.name, HashEncoder())


@pytest.mark.parametrize(
    "damage",
    [
        lambda snap: (snap / "manifest.json").write_text("{not json", "utf-8"),
        lambda snap: (snap / "manifest.json").write_text('{"format_version": 999}', "utf-8"),
        lambda snap: (snap / "manifest.json").write_bytes(b"\xff\xfe\x00garbage"),
    ],
    ids=["bad-json", "future-format", "binary"],
)
def test_corrupted_manifest(corpus: Path, index_dir: Path, damage) -> None:  # type: ignore[no-untyped-def]
    enc = HashEncoder()
    build_index(corpus, index_dir, enc)
    damage(current_snapshot(index_dir))

    with pytest.raises(IndexCorrupt):
        open_searcher(index_dir)

    summary = build_index(corpus, index_dir, enc)
    assert summary.full_rebuild_reason and "unusable" in summary.full_rebuild_reason
    assert summary.embedded == ALL and summary.added == 3
    assert open_searcher(index_dir).passage_count == ALL


def test_current_pointing_nowhere_falls_back_to_the_newest_complete_snapshot(
    corpus: Path, index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build_index(corpus, index_dir, HashEncoder())
    live = (index_dir / "CURRENT").read_text("utf-8")
    (index_dir / "CURRENT").write_text("20000101T000000000000", "utf-8")
    with caplog.at_level("WARNING", logger="index.store"):
        assert open_searcher(index_dir).passage_count == ALL
    assert "CURRENT names 20000101T000000000000, which is missing or incomplete" in caplog.text
    assert (index_dir / "CURRENT").read_text("utf-8") == live  # pointed back at a complete snapshot
    assert build_index(corpus, index_dir, HashEncoder()).passages == ALL
    assert open_searcher(index_dir).passage_count == ALL


def test_current_pointing_nowhere_without_a_complete_snapshot_is_index_corrupt(corpus: Path, index_dir: Path) -> None:
    build_index(corpus, index_dir, HashEncoder())
    (current_snapshot(index_dir) / "manifest.json").unlink()  # incomplete now
    (index_dir / "CURRENT").write_text("20000101T000000000000", "utf-8")
    with pytest.raises(IndexCorrupt, match="holds no complete one"):
        open_searcher(index_dir)
    assert build_index(corpus, index_dir, HashEncoder()).passages == ALL
    assert open_searcher(index_dir).passage_count == ALL


@pytest.mark.parametrize("victim", ["passages.json", "docs.json", "vocab.json"])
def test_damaged_snapshot_file_is_index_corrupt(corpus: Path, index_dir: Path, victim: str) -> None:
    build_index(corpus, index_dir, HashEncoder())
    (current_snapshot(index_dir) / victim).write_text("[", "utf-8")
    with pytest.raises(IndexCorrupt):
        open_searcher(index_dir)


def test_damaged_vectors_are_re_embedded(corpus: Path, index_dir: Path) -> None:
    build_index(corpus, index_dir, HashEncoder())
    (current_snapshot(index_dir) / "vectors.faiss").write_bytes(b"garbage")
    (corpus / "b_dangvien.txt").unlink()  # something changed, so a snapshot is written
    enc = HashEncoder()
    summary = build_index(corpus, index_dir, enc)
    assert summary.full_rebuild_reason and "vectors" in summary.full_rebuild_reason
    assert summary.embedded == ALL - n_paragraphs("b_dangvien.txt")


def test_old_snapshots_are_pruned_but_not_the_live_one(corpus: Path, index_dir: Path) -> None:
    enc = HashEncoder()
    for i in range(4):
        write(corpus, f"extra{i}.txt", f"Văn bản {i}", "01/10/2024", "Sở Nội vụ", [f"Nội dung số {i} khác."])
        build_index(corpus, index_dir, enc)
    names = snapshot_names(index_dir)
    assert len(names) == store.KEEP_SNAPSHOTS
    assert (index_dir / "CURRENT").read_text().strip() == names[-1]


def test_reader_keeps_answering_during_rebuild(corpus: Path, index_dir: Path) -> None:
    build_index(corpus, index_dir, HashEncoder())
    handle = IndexHandle(index_dir, HashEncoder.name, encoder_factory=HashEncoder)
    old = handle.searcher
    errors: list[BaseException] = []
    answered: list[bool] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                ans = handle.searcher.search("mức lương cơ sở 2.340.000 đồng", k=3)
                answered.append(ans.answerable and ans.hits[0].passage.doc == "a_luong.txt")
            except BaseException as exc:  # noqa: BLE001 - any failure of a reader fails the test
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(3):  # three rebuilds: the first snapshot is pruned while `old` is still in use
            write(
                corpus,
                f"d_new{i}.txt",
                "Thông báo thi nâng ngạch",
                "01/10/2024",
                "Sở Nội vụ",
                [f"Kỳ thi nâng ngạch đợt {i} tổ chức tại Quảng Ngãi."],
            )
            build_index(corpus, index_dir, HashEncoder())
            handle.reload()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors
    assert answered and all(answered)
    # the swapped-in searcher sees the new documents; the old object still answers from memory
    assert handle.searcher is not old
    assert handle.searcher.passage_count == ALL + 3
    assert old.passage_count == ALL
    assert old.search("mức lương cơ sở", k=1).hits[0].passage.doc == "a_luong.txt"


def test_vectors_are_normalised_and_match_passages(corpus: Path, index_dir: Path) -> None:
    build_index(corpus, index_dir, HashEncoder())
    s = open_searcher(index_dir)
    assert s.vectors.shape == (ALL, 64)
    assert np.allclose(np.linalg.norm(s.vectors, axis=1), 1.0, atol=1e-5)
    enc = HashEncoder()
    for i, p in enumerate(s.passages):
        doc = s.docs[s.by_path[p.doc]]
        assert np.allclose(s.vectors[i], enc.embed([store.embed_text(doc, p.text)])[0])


def test_large_index_is_an_hnsw_graph_and_is_reused_incrementally(corpus: Path, index_dir: Path) -> None:
    """Above `ann_above` passages the FAISS file is an HNSW graph; it holds every vector, so a rebuild
    re-embeds only what changed, and the searcher reads the graph back."""
    import faiss

    enc = HashEncoder()
    build_index(corpus, index_dir, enc, ann_above=2)
    assert isinstance(faiss.read_index(str(current_snapshot(index_dir) / "vectors.faiss")), faiss.IndexHNSW)
    write(corpus, "d_new.txt", "Thông báo mới", "01/08/2024", "Tỉnh ủy", ["Một đoạn văn hoàn toàn mới."])
    enc.calls.clear()
    summary = build_index(corpus, index_dir, enc, ann_above=2)
    assert summary.embedded == 1 and sum(enc.calls) == 1
    s = Searcher.open(index_dir, enc.name, enc, tuning=Tuning(ann_above=2))
    assert not s.dense.exact and s.vectors.shape == (ALL + 1, enc.dim)
    for i, p in enumerate(s.passages):
        doc = s.docs[s.by_path[p.doc]]
        assert np.allclose(s.vectors[i], enc.embed([store.embed_text(doc, p.text)])[0], atol=1e-6)
    ans = s.search("mức lương cơ sở 2.340.000 đồng", k=3)
    assert ans.answerable and ans.hits[0].passage.doc == "a_luong.txt"


def test_flat_snapshot_opened_above_the_threshold_gets_a_graph(corpus: Path, index_dir: Path) -> None:
    build_index(corpus, index_dir, HashEncoder())  # flat: far below the default threshold
    s = Searcher.open(index_dir, HashEncoder.name, HashEncoder(), tuning=Tuning(ann_above=2))
    assert not s.dense.exact
    assert s.search("Thái Bình sáp nhập xã Đông Hòa", k=3).hits[0].passage.doc == "sub/c_xa.txt"
