"""A damaged index snapshot: `chidao doctor` (and --quick) fails with a clear line, `chidao run` stops
with one line, and `chidao index build` repairs it, reusing what passes its checksum."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.cli.run_cmd import index_present
from bot.doctor import check_index
from index.errors import IndexCorrupt
from index.store import build_index, current_snapshot, read_manifest, verify_snapshot
from tests.conftest import TINY_CORPUS
from tests.dbfixtures import make_settings
from tests.fakes import HashEncoder

GOOD_TOKEN = "123456789:AAEfakeTokenForTestsOnly_abcdefghijkl"


def _truncate(snap: Path) -> None:
    path = snap / "vectors.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _zero_middle(snap: Path) -> None:
    path = snap / "vectors.faiss"
    data = bytearray(path.read_bytes())
    start, size = len(data) // 2, len(data) // 4  # a quarter of the vectors, after the header
    data[start : start + size] = bytes(size)
    path.write_bytes(bytes(data))


def _garbage(name: str) -> Callable[[Path], None]:
    def damage(snap: Path) -> None:
        (snap / name).write_bytes(b"\x00garbage{[")

    return damage


def _damage_bm25(snap: Path) -> None:
    victim = sorted(p for p in (snap / "bm25").iterdir() if p.is_file())[0]
    victim.write_bytes(b"not what bm25s wrote")


def _drop_docs(snap: Path) -> None:
    (snap / "docs.json").unlink()


# (damage, files it breaks, whether the vectors must be embedded again: "all", "some" or "none")
CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "truncated vectors.faiss": (_truncate, "vectors.faiss", "all"),
    "zeroed bytes inside vectors.faiss": (_zero_middle, "vectors.faiss", "some"),
    "garbage in passages.json": (_garbage("passages.json"), "passages.json", "none"),
    "garbage in vocab.json": (_garbage("vocab.json"), "vocab.json", "none"),
    "damaged bm25/": (_damage_bm25, "bm25/", "none"),
    "missing docs.json": (_drop_docs, "docs.json", "none"),
}


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path, Any]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in TINY_CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index(corpus, index_dir, HashEncoder())
    settings = make_settings(index_dir=index_dir, corpus_dir=corpus, embedding_model=HashEncoder.name)
    return corpus, index_dir, settings


def test_every_snapshot_file_has_its_checksum_in_the_manifest(built: tuple[Path, Path, Any]) -> None:
    _, index_dir, settings = built
    snap = current_snapshot(index_dir)
    sums = read_manifest(snap)["checksums"]
    files = {p.relative_to(snap).as_posix() for p in snap.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(sums) == files and any(name.startswith("bm25/") for name in files)
    assert verify_snapshot(snap).ok and verify_snapshot(snap).checked == len(files)
    check, _ = check_index(settings)
    assert check.ok is True and "a test search found its passage" in check.detail


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_snapshot_doctor_fails_run_says_one_line_build_repairs(
    case: str, built: tuple[Path, Path, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, index_dir, settings = built
    damage, broken, reembed = CASES[case]
    snap = current_snapshot(index_dir)
    passages = read_manifest(snap)["passages"]
    unique_texts = len(set(json.loads((snap / "keys.json").read_text("utf-8"))))
    damage(snap)

    check, _ = check_index(settings)
    assert check.ok is False and broken.rstrip("/") in check.detail, check.line()
    assert "chidao index build" in check.hint and "Traceback" not in check.line()

    with pytest.raises(IndexCorrupt, match="chidao index build"):
        index_present(settings)

    for key, value in {
        "CHIDAO_INDEX_DIR": str(index_dir),
        "CHIDAO_CORPUS_DIR": str(corpus),
        "CHIDAO_EMBEDDING_MODEL": HashEncoder.name,
        "CHIDAO_DATABASE_URL": f"sqlite:///{index_dir.parent / 'db.sqlite'}",
        "CHIDAO_TELEGRAM_TOKEN": GOOD_TOKEN,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(index_dir.parent)  # no .env
    capsys.readouterr()
    assert main(["doctor", "--quick"]) == 1
    out = capsys.readouterr()
    assert "✗ index:" in out.out and "Traceback" not in out.out + out.err
    assert main(["run", "--no-build"]) == 3  # not ready: a damaged index
    err = capsys.readouterr().err
    assert "Traceback" not in err and "chidao index build" in err and len(err.strip().splitlines()) == 1, err

    encoder = HashEncoder()
    summary = build_index(corpus, index_dir, encoder)
    assert summary.snapshot is not None and summary.repaired, summary
    assert summary.passages == passages
    if reembed == "all":
        assert summary.embedded == unique_texts
    elif reembed == "some":
        assert 0 < summary.embedded < unique_texts
    else:
        assert summary.embedded == 0
    assert "repaired" in summary.line()
    check, _ = check_index(settings)
    assert check.ok is True, check.line()
    assert index_present(settings)
    again = build_index(corpus, index_dir, HashEncoder())
    assert again.snapshot is None and not again.repaired  # repaired once, then nothing to do


def test_old_snapshot_without_checksums_is_still_checked(built: tuple[Path, Path, Any]) -> None:
    """A snapshot written before checksums were kept: doctor notes it, and a garbage file still fails."""
    corpus, index_dir, settings = built
    snap = current_snapshot(index_dir)
    manifest = read_manifest(snap)
    del manifest["checksums"]
    (snap / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    check, _ = check_index(settings)
    assert check.ok is True and any("checksums" in n for n in check.notes)
    shutil.rmtree(snap / "bm25")
    (snap / "bm25").mkdir()
    check, _ = check_index(settings)
    assert check.ok is False
    summary = build_index(corpus, index_dir, HashEncoder())
    assert summary.snapshot is not None and summary.embedded == 0 and summary.repaired
    assert check_index(settings)[0].ok is True


def test_the_quick_check_opens_each_snapshot_once_and_verifies_checksums_every_time(
    built: tuple[Path, Path, Any],
) -> None:
    corpus, index_dir, settings = built
    first, _ = check_index(settings, quick=True)
    assert first.ok is True and "a test search found its passage" in first.detail
    again, _ = check_index(settings, quick=True)
    assert again.ok is True and "opened and searched before" in again.detail
    full, _ = check_index(settings)
    assert "a test search found its passage" in full.detail  # the full check always opens it
    _truncate(current_snapshot(index_dir))
    damaged, _ = check_index(settings, quick=True)
    assert damaged.ok is False and "vectors.faiss checksum differs" in damaged.detail
    build_index(corpus, index_dir, HashEncoder())
    repaired, _ = check_index(settings, quick=True)
    assert repaired.ok is True and "a test search found its passage" in repaired.detail  # a new snapshot
