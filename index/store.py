"""The index on disk: snapshots of plain files, built incrementally and switched in atomically.

Layout of an index directory::

    CURRENT                    name of the live snapshot (replaced atomically)
    snapshots/<name>/          one complete index
        manifest.json          format version, model, dimension, tokenizer settings, per-file hashes
        docs.json              document metadata and paragraphs (for quoting and context)
        passages.json          [doc index, paragraph, part, text] per passage
        vectors.faiss          FAISS inner-product index over L2-normalised embeddings: flat, or an
                               HNSW graph above 20,000 passages (index/dense.py)
        keys.json              per passage, the hash of the text that was embedded (reused on rebuild)
        bm25/                  bm25s arrays for passages;  bm25_docs/  the same for titles/metadata
    ocr-cache/<sha256>.json    OCR'd pages of scans and images by file content (index/scans.py), shared by
                               all snapshots, pruned to the files of the corpus

A build writes a new snapshot beside the live one and then replaces CURRENT, so a reader never sees a
half-written index and an interrupted build leaves the previous one answering.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.dense import ANN_ABOVE, read_vectors, vector_index
from index.documents import READER_VERSION, SUPPORTED_SUFFIXES, file_hash, read_file
from index.documents import corpus_files as all_corpus_files
from index.errors import BadDocument, IndexCorrupt, IndexNotBuilt
from index.model import Document
from index.ocr import DEFAULT_PAGE_TIMEOUT, LOW_CONFIDENCE
from index.passages import passages_of
from index.scans import DEFAULT_PAGE_BUDGET, OcrBudgetExceeded, OcrCache, Scanner
from index.tokens import TOKENIZER_VERSION

FORMAT_VERSION = 1
KEEP_SNAPSHOTS = 2
OCR_CACHE_DIR = "ocr-cache"
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class BuildSummary:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    documents: int = 0
    passages: int = 0
    embedded: int = 0
    seconds: float = 0.0
    snapshot: str | None = None  # None when nothing changed and no snapshot was written
    full_rebuild_reason: str | None = None
    ocr_pages: int = 0  # pages OCR'd in this build
    ocr_cached: int = 0  # OCR'd pages of changed files taken from the cache
    low_confidence: list[tuple[str, int, float]] = field(default_factory=list)  # (file, page, confidence)

    def counts(self) -> dict[str, int | float]:
        return {
            "added": self.added, "changed": self.changed, "removed": self.removed,
            "skipped": len(self.skipped), "documents": self.documents, "passages": self.passages,
            "embedded": self.embedded, "seconds": round(self.seconds, 1), "ocr_pages": self.ocr_pages,
            "ocr_cached": self.ocr_cached, "low_confidence_pages": len(self.low_confidence),
        }  # fmt: skip

    def line(self) -> str:
        return (
            f"documents: {self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{len(self.skipped)} skipped, {self.unchanged} unchanged; {self.documents} documents, "
            f"{self.passages} passages ({self.embedded} embedded), {self.ocr_pages} pages OCR'd"
            f"{f' ({self.ocr_cached} from the OCR cache)' if self.ocr_cached else ''}"
            f"{f', {len(self.low_confidence)} below OCR confidence {LOW_CONFIDENCE:g}' if self.low_confidence else ''}"
            f" in {self.seconds:.1f} s"
        )


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported files under the corpus directory, hidden ones left out, in a stable order."""
    if not corpus_dir.is_dir():
        raise BadDocument(f"corpus directory {corpus_dir} does not exist")
    return [p for p in all_corpus_files(corpus_dir) if p.suffix.lower() in SUPPORTED_SUFFIXES]


def current_snapshot(index_dir: Path) -> Path:
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexNotBuilt(f"no index in {index_dir}: run `chidao index build`")
    snap = index_dir / "snapshots" / pointer.read_text(encoding="utf-8").strip()
    if not (snap / "manifest.json").is_file():
        raise IndexCorrupt(f"index {index_dir} points to a missing snapshot {snap.name}")
    return snap


def read_manifest(snapshot: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"unreadable manifest in {snapshot}: {exc}") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexCorrupt(
            f"index format {manifest.get('format_version')} in {snapshot}, this chidao reads {FORMAT_VERSION}: "
            "rebuild with `chidao index build`"
        )
    return manifest


def doc_to_json(doc: Document) -> dict[str, Any]:
    return {
        "path": doc.path,
        "title": doc.title,
        "date": doc.date.isoformat() if doc.date else None,
        "agency": doc.agency,
        "number": doc.number,
        "paragraphs": list(doc.paragraphs),
    }


def doc_from_json(d: dict[str, Any]) -> Document:
    return Document(
        path=d["path"],
        title=d["title"],
        date=dt.date.fromisoformat(d["date"]) if d["date"] else None,
        agency=d["agency"],
        paragraphs=tuple(d["paragraphs"]),
        number=d.get("number"),  # absent in indexes written before the number was read
    )


def embed_text(doc: Document, passage_text: str) -> str:
    """What the dense side sees for a passage: the document title gives it its context."""
    return f"{doc.title}. {passage_text}"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


@dataclass
class _Previous:
    manifest: dict[str, Any]
    docs: dict[str, Document]
    vectors: dict[str, np.ndarray]


def _load_previous(index_dir: Path, model_name: str, summary: BuildSummary) -> _Previous | None:
    try:
        snap = current_snapshot(index_dir)
        manifest = read_manifest(snap)
        docs = {d["path"]: doc_from_json(d) for d in json.loads((snap / "docs.json").read_text("utf-8"))}
    except (IndexNotBuilt, IndexCorrupt, OSError, ValueError, KeyError) as exc:
        if not isinstance(exc, IndexNotBuilt):
            summary.full_rebuild_reason = f"previous index unusable ({exc})"
        return None
    vectors: dict[str, np.ndarray] = {}
    if manifest.get("model") != model_name:
        summary.full_rebuild_reason = f"model changed from {manifest.get('model')} to {model_name}"
    else:
        try:
            _, mat = read_vectors(snap / "vectors.faiss")
            keys = json.loads((snap / "keys.json").read_text("utf-8"))
            vectors = {k: mat[i] for i, k in enumerate(keys)}
        except (RuntimeError, OSError, ValueError) as exc:
            summary.full_rebuild_reason = f"previous vectors unusable ({exc})"
    return _Previous(manifest, docs, vectors)


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Any,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    progress: Progress | None = None,
    ann_above: int = ANN_ABOVE,
    ocr_page_budget: int | None = DEFAULT_PAGE_BUDGET,
    ocr_page_timeout: float = DEFAULT_PAGE_TIMEOUT,
) -> BuildSummary:
    """Build or update the index of `corpus_dir` in `index_dir`. Only changed files are read and only
    new passages are embedded; an unchanged corpus writes nothing.

    Scans and images are OCR'd with the cache in `index_dir/ocr-cache`, at most `ocr_page_budget` pages
    per build (a file past it is skipped now and read at the next build) and `ocr_page_timeout` seconds
    per page; progress reports ("ocr", pages done, pages so far)."""
    started = time.perf_counter()
    summary = BuildSummary()
    prev = _load_previous(index_dir, encoder.name, summary)
    prev_files: dict[str, Any] = prev.manifest.get("files", {}) if prev else {}
    prev_skipped: dict[str, Any] = prev.manifest.get("skipped", {}) if prev else {}

    files = corpus_files(corpus_dir)
    cache = OcrCache(index_dir / OCR_CACHE_DIR)
    scanner = Scanner(cache=cache, page_budget=ocr_page_budget, page_timeout=ocr_page_timeout, progress=progress)
    digests: set[str] = set()
    docs: list[Document] = []
    file_entries: dict[str, Any] = {}
    skipped_entries: dict[str, Any] = {}
    for i, path in enumerate(files):
        rel = path.relative_to(corpus_dir).as_posix()
        if progress:
            progress("read", i, len(files))
        try:
            digest = file_hash(path)
        except OSError as exc:
            summary.skipped.append((rel, f"unreadable: {exc.strerror}"))
            continue
        digests.add(digest)
        old = prev_files.get(rel)
        same_reader = prev is not None and prev.manifest.get("reader_version") == READER_VERSION
        if prev and same_reader and old and old["sha256"] == digest and rel in prev.docs:
            docs.append(prev.docs[rel])
            file_entries[rel] = old
            summary.unchanged += 1
            continue
        old_skip = prev_skipped.get(rel)
        if same_reader and old_skip and old_skip["sha256"] == digest and not old_skip.get("retry"):
            summary.skipped.append((rel, old_skip["reason"]))
            skipped_entries[rel] = old_skip
            continue
        try:
            doc = read_file(path, corpus_dir, max_bytes=max_bytes, scanner=scanner).document
        except BadDocument as exc:
            reason = str(exc).removeprefix(f"{rel}: ")
            summary.skipped.append((rel, reason))
            skipped_entries[rel] = {"sha256": digest, "reason": reason}
            if isinstance(exc, OcrBudgetExceeded):
                skipped_entries[rel]["retry"] = True  # read at the next build
            continue
        docs.append(doc)
        file_entries[rel] = {"sha256": digest, "size": path.stat().st_size}
        if old:
            summary.changed += 1
        else:
            summary.added += 1
    summary.removed = len(set(prev_files) - set(file_entries) - set(skipped_entries))
    summary.documents = len(docs)
    summary.ocr_pages, summary.ocr_cached = scanner.ocr_pages, scanner.cached_pages
    summary.low_confidence = list(scanner.low_confidence)
    cache.prune(digests)

    nothing_changed = (
        prev is not None
        and summary.full_rebuild_reason is None
        and not (summary.added or summary.changed or summary.removed)
        and set(skipped_entries) == set(prev_skipped)
        and not any(entry.get("retry") for entry in skipped_entries.values())
        and prev.manifest.get("tokenizer", {}).get("version") == TOKENIZER_VERSION
        and prev.manifest.get("reader_version") == READER_VERSION
    )
    if nothing_changed:
        summary.passages = int(prev.manifest.get("passages", 0)) if prev else 0
        summary.seconds = time.perf_counter() - started
        return summary

    passages = [(d_i, p) for d_i, doc in enumerate(docs) for p in passages_of(doc)]
    texts = [embed_text(docs[d_i], p.text) for d_i, p in passages]
    keys = [_key(t) for t in texts]
    known = prev.vectors if prev else {}
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    new_vectors: dict[str, np.ndarray] = {}
    if missing:
        done = 0

        def on_batch(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("embed", done, len(missing))

        mat = encoder.embed([t for _, t in missing], kind="passage", progress=on_batch)
        new_vectors = {k: mat[i] for i, (k, _) in enumerate(missing)}
    summary.embedded = len(missing)
    vectors = np.zeros((len(keys), encoder.dim), dtype="float32")
    for i, k in enumerate(keys):
        vectors[i] = new_vectors[k] if k in new_vectors else known[k]
    summary.passages = len(passages)

    manifest = {
        "format_version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model": encoder.name,
        "dimension": encoder.dim,
        "tokenizer": {"version": TOKENIZER_VERSION, "units": "folded syllables + bigrams + symbols"},
        "reader_version": READER_VERSION,
        "corpus_dir": str(corpus_dir),
        "documents": len(docs),
        "passages": len(passages),
        "files": file_entries,
        "skipped": skipped_entries,
    }
    summary.snapshot = _write_snapshot(index_dir, manifest, docs, passages, keys, vectors, progress, ann_above)
    summary.seconds = time.perf_counter() - started
    return summary


_write_lock = threading.Lock()


def _write_snapshot(
    index_dir: Path,
    manifest: dict[str, Any],
    docs: list[Document],
    passages: list[tuple[int, Any]],
    keys: list[str],
    vectors: np.ndarray,
    progress: Progress | None,
    ann_above: int,
) -> str:
    import faiss

    from index.lexical import build_lexical

    snapshots = index_dir / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=snapshots))
    try:
        (tmp / "docs.json").write_text(json.dumps([doc_to_json(d) for d in docs], ensure_ascii=False), "utf-8")
        rows = [[d_i, p.paragraph, p.part, p.text] for d_i, p in passages]
        (tmp / "passages.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
        (tmp / "keys.json").write_text(json.dumps(keys), "utf-8")
        if progress:
            progress("vectors", 0, 1)
        faiss.write_index(vector_index(vectors, vectors.shape[1], ann_above), str(tmp / "vectors.faiss"))
        if progress:
            progress("lexical", 0, 1)
        build_lexical(tmp, docs, passages)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        _fsync_tree(tmp)
        name = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        with _write_lock:
            final = snapshots / name
            os.rename(tmp, final)
            pointer_tmp = index_dir / f".CURRENT.{os.getpid()}"
            pointer_tmp.write_text(name, encoding="utf-8")
            with pointer_tmp.open("rb") as f:
                os.fsync(f.fileno())
            os.replace(pointer_tmp, index_dir / "CURRENT")
            _prune(snapshots, keep=name)
        return name
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())


def _prune(snapshots: Path, keep: str) -> None:
    """Drop old snapshots, keeping the newest few so a reader that is still loading one is safe."""
    names = sorted(p.name for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith("."))
    for name in names[:-KEEP_SNAPSHOTS]:
        if name != keep:
            shutil.rmtree(snapshots / name, ignore_errors=True)
    stale = time.time() - 24 * 3600
    for p in snapshots.glob(".building-*"):
        if p.stat().st_mtime < stale:  # left by a build that was killed a day ago or more
            shutil.rmtree(p, ignore_errors=True)
