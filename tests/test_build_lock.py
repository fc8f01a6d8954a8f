"""Overlapping builds in real processes: one build at a time, the others wait and say for whom, and
CURRENT always names a complete snapshot of the latest corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.buildlock import build_lock, holder
from index.errors import BuildLocked
from index.search import Searcher
from index.store import build_index, current_snapshot, read_manifest, verify_snapshot
from tests.fakes import HashEncoder

ROOT = Path(__file__).resolve().parents[1]
DOC = "Kế hoạch {n}\nNgày: 01/02/2024\nCơ quan: Sở Nội vụ\n\n{body}\n"
BUILD = """
import json, sys, time
from pathlib import Path
from index.store import build_index
from tests.fakes import HashEncoder

class Slow(HashEncoder):
    def embed(self, texts, **kw):
        if len(sys.argv) > 4:
            Path(sys.argv[4]).touch()  # the corpus has been read
        time.sleep(float(sys.argv[3]))
        return super().embed(texts, **kw)

s = build_index(Path(sys.argv[1]), Path(sys.argv[2]), Slow())
print(json.dumps({"snapshot": s.snapshot, "embedded": s.embedded, "passages": s.passages}))
"""
HOLD = """
import sys, time
from pathlib import Path
from index.buildlock import build_lock
with build_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""
WAIT = 60.0


def _write(corpus: Path, name: str, body: str) -> None:
    corpus.mkdir(exist_ok=True)
    (corpus / name).write_text(DOC.format(n=name, body=body), encoding="utf-8")


def _start(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _wait_for(marker: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not marker.exists():
        assert time.monotonic() < deadline, f"{marker.name} never appeared"
        time.sleep(0.05)


def test_one_slow_two_quick_builds(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    _write(corpus, "a.txt", "Rà soát vị trí việc làm trước ngày 30/6/2024.")
    build_index(corpus, index_dir, HashEncoder())

    _write(corpus, "b.txt", "Tổ chức thi nâng ngạch chuyên viên chính trong tháng 10/2024.")
    slow = _start(BUILD, str(corpus), str(index_dir), "3", str(tmp_path / "embedding"))
    _wait_for(tmp_path / "embedding")  # the slow build holds the lock and has read the corpus
    assert f"pid {slow.pid} " in holder(index_dir)
    _write(corpus, "c.txt", "Kiện toàn ban chỉ đạo chuyển đổi số cấp huyện trong quý III.")
    quick = [_start(BUILD, str(corpus), str(index_dir), "0") for _ in range(2)]

    results = []
    for process in [slow, *quick]:
        out, err = process.communicate(timeout=WAIT * 2)
        assert process.returncode == 0, err
        results.append((json.loads(out.strip().splitlines()[-1]), err))
    for _, err in results[1:]:
        assert f"waiting for the index build of pid {slow.pid} on " in err
    assert results[0][0]["snapshot"] is not None and results[0][0]["embedded"] == 1  # b.txt only
    published = [r["snapshot"] for r, _ in results if r["snapshot"]]
    assert len(published) == 2  # the slow one, then one quick one for c.txt; the last had nothing to do

    snap = current_snapshot(index_dir)
    assert snap.name == max(published)
    assert set(read_manifest(snap)["files"]) == {"a.txt", "b.txt", "c.txt"}
    assert verify_snapshot(snap).ok
    snapshots = list((index_dir / "snapshots").iterdir())
    assert all((p / "manifest.json").is_file() for p in snapshots), snapshots  # nothing half-written left
    assert Searcher(snap, None).passage_count == 3


def test_a_build_that_may_not_wait_names_the_holder(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    _write(corpus, "a.txt", "Rà soát vị trí việc làm trước ngày 30/6/2024.")
    index_dir.mkdir()
    holding = _start(HOLD, str(index_dir))
    try:
        assert holding.stdout is not None and holding.stdout.readline().strip() == "held"
        with pytest.raises(BuildLocked, match=rf"another index build is running \(pid {holding.pid} on \S+ since 20"):
            build_index(corpus, index_dir, HashEncoder(), wait=0)
        with pytest.raises(BuildLocked):
            build_index(corpus, index_dir, HashEncoder(), wait=0.3)
    finally:
        holding.kill()
        holding.wait()
    # the kernel dropped the lock with its holder
    assert build_index(corpus, index_dir, HashEncoder(), wait=0).snapshot is not None


def test_threads_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    with build_lock(tmp_path), pytest.raises(BuildLocked):
        with build_lock(tmp_path, wait=0):
            pass
