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
half-written index and an interrupted build leaves the previous one answering. One build runs at a time
(`index.buildlock`: a second one waits, or is told who holds the lock), so no build removes a snapshot
another is about to publish.

The index proves itself: the manifest holds the sha256 of every other file of the snapshot
(`checksums`), `verify_snapshot` checks them, and a build repairs a damaged snapshot: what fails its
checksum is rebuilt (documents re-read when docs.json is damaged, passages re-embedded when
vectors.faiss or keys.json is), what passes is reused. A CURRENT that names a missing or incomplete
snapshot falls back to the newest complete one, with a warning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.budget import Budget
from index.buildlock import build_lock
from index.dense import ANN_ABOVE, read_vectors, vector_index
from index.documents import READER_VERSION, SUPPORTED_SUFFIXES, file_hash, read_file
from index.documents import corpus_files as all_corpus_files
from index.errors import BadDocument, BuildLocked, CorpusNotFound, IndexCorrupt, IndexNotBuilt
from index.model import Document
from index.ocr import DEFAULT_PAGE_TIMEOUT, LOW_CONFIDENCE
from index.passages import passages_of
from index.scans import DEFAULT_PAGE_BUDGET, OcrBudgetExceeded, OcrCache, Scanner
from index.text import shorten
from index.tokens import TOKENIZER_VERSION

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
KEEP_SNAPSHOTS = 2
OCR_CACHE_DIR = "ocr-cache"
Progress = Callable[[str, int, int], None]  # (stage, done, total)
# The files every snapshot holds (bm25/ and bm25_docs/ are directories of bm25s arrays).
SNAPSHOT_FILES = ("docs.json", "passages.json", "keys.json", "vectors.faiss", "vocab.json", "bm25", "bm25_docs")


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
    repaired: list[str] = field(default_factory=list)  # what was damaged in the previous snapshot
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, the indexed path it repeats)
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
        out = (
            f"documents: {self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{len(self.skipped)} skipped, {self.unchanged} unchanged; {self.documents} documents, "
            f"{self.passages} passages ({self.embedded} embedded), {self.ocr_pages} pages OCR'd"
            f"{f' ({self.ocr_cached} from the OCR cache)' if self.ocr_cached else ''}"
            f"{f', {len(self.low_confidence)} below OCR confidence {LOW_CONFIDENCE:g}' if self.low_confidence else ''}"
            f" in {self.seconds:.1f} s"
        )
        if self.repaired:
            out += f"; repaired the damaged index ({'; '.join(self.repaired)})"
        return out


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported files under the corpus directory, hidden ones left out, in a stable order."""
    if not corpus_dir.is_dir():
        raise CorpusNotFound(f"corpus directory {corpus_dir} does not exist")
    return [p for p in all_corpus_files(corpus_dir) if p.suffix.lower() in SUPPORTED_SUFFIXES]


def _complete(snap: Path) -> bool:
    """A snapshot directory is complete once it has its manifest (written last, before the rename)."""
    return not snap.name.startswith(".") and (snap / "manifest.json").is_file()


def _pointer_name(index_dir: Path) -> str | None:
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if name and "/" not in name and "\\" not in name and not name.startswith(".") else None


def newest_complete(index_dir: Path) -> Path | None:
    snapshots = index_dir / "snapshots"
    if not snapshots.is_dir():
        return None
    complete = [p for p in snapshots.iterdir() if p.is_dir() and _complete(p)]
    return max(complete, key=lambda p: p.name, default=None)


def snapshot_pointer(index_dir: Path) -> tuple[Path, str | None]:
    """(the live snapshot, a warning or None). The live snapshot is the one CURRENT names; when that one
    is missing or incomplete, the newest complete snapshot, with a warning saying so."""
    index_dir = Path(index_dir)
    name = _pointer_name(index_dir)
    if name is not None and _complete(index_dir / "snapshots" / name):
        return index_dir / "snapshots" / name, None
    fallback = newest_complete(index_dir)
    if fallback is None:
        if not (index_dir / "CURRENT").exists():
            raise IndexNotBuilt(f"no index in {index_dir}: run `chidao index build`")
        raise IndexCorrupt(
            f"index {index_dir} points to a missing snapshot {name or '(unreadable CURRENT)'} and holds no "
            "complete one: run `chidao index build`"
        )
    named = f"names {name}, which is missing or incomplete" if name else "is missing or unreadable"
    return fallback, f"index {index_dir}: CURRENT {named}; using the newest complete snapshot {fallback.name}"


def current_snapshot(index_dir: Path) -> Path:
    """The live snapshot (see `snapshot_pointer`). After a fallback CURRENT is pointed at the snapshot
    used, unless a build holds the lock (it publishes a complete snapshot itself)."""
    snap, warning = snapshot_pointer(index_dir)
    if warning is not None:
        log.warning(warning)
        try:
            with build_lock(index_dir, wait=0):
                if _pointer_name(index_dir) != snap.name and _complete(snap):
                    _point_to(index_dir, snap.name)
        except (BuildLocked, OSError):
            pass
    return snap


def _point_to(index_dir: Path, name: str) -> None:
    """Replace CURRENT atomically (and durably) with `name`."""
    pointer_tmp = index_dir / f".CURRENT.{os.getpid()}"
    pointer_tmp.write_text(name, encoding="utf-8")
    with pointer_tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(pointer_tmp, index_dir / "CURRENT")


def snapshot_checksums(snap: Path) -> dict[str, str]:
    """sha256 of every file of the snapshot but its manifest, by path relative to the snapshot."""
    return {
        path.relative_to(snap).as_posix(): file_hash(path)
        for path in sorted(snap.rglob("*"))
        if path.is_file() and path.relative_to(snap).as_posix() != "manifest.json"
    }


@dataclass(frozen=True)
class Verification:
    """The files of a snapshot against the checksums of its manifest."""

    snapshot: Path
    checked: int  # files whose checksum matched
    damaged: tuple[tuple[str, str], ...]  # (file, what is wrong): "missing", "checksum differs"
    has_checksums: bool  # False for a snapshot written before checksums were kept

    @property
    def ok(self) -> bool:
        return not self.damaged

    def damaged_parts(self) -> set[str]:
        """The top-level snapshot files (or directories) that are damaged."""
        return {name.split("/", 1)[0] for name, _ in self.damaged}

    def describe(self) -> str:
        return ", ".join(f"{name} {what}" for name, what in self.damaged)


def verify_snapshot(snap: Path) -> Verification:
    """Check every file of the snapshot against its manifest's checksums; every required file must be
    there. Raises IndexCorrupt when the manifest itself cannot be read."""
    manifest = read_manifest(snap)
    damaged: list[tuple[str, str]] = [(name, "missing") for name in SNAPSHOT_FILES if not (snap / name).exists()]
    sums = manifest.get("checksums")
    if not isinstance(sums, dict):
        return Verification(snap, 0, tuple(damaged), False)
    checked = 0
    for name, want in sorted(sums.items()):
        path = snap / name
        if name.split("/", 1)[0] in {n for n, _ in damaged}:
            continue
        try:
            same = file_hash(path) == want
        except OSError:
            damaged.append((name, "missing"))
            continue
        if same:
            checked += 1
        else:
            damaged.append((name, "checksum differs"))
    return Verification(snap, checked, tuple(damaged), True)


def _unreadable_parts(snap: Path) -> list[tuple[str, str]]:
    """For a snapshot without checksums: the files that do not even load."""
    from index.lexical import LexicalIndex

    bad: list[tuple[str, str]] = []
    for name in ("passages.json", "vocab.json"):
        try:
            json.loads((snap / name).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            bad.append((name, f"unreadable ({type(exc).__name__})"))
    for name in ("bm25", "bm25_docs"):
        try:
            LexicalIndex(snap / name)
        except IndexCorrupt as exc:
            bad.append((name, f"unreadable ({exc})"))
    return bad


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
    """A document as stored in docs.json. A title longer than the budget's limit (a snapshot written
    before titles were shortened at read time) is shortened here too."""
    return Document(
        path=d["path"],
        title=shorten(d["title"], Budget().max_title_chars),
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
    snapshot: Path
    manifest: dict[str, Any]
    docs: dict[str, Document]
    vectors: dict[str, np.ndarray]
    damaged: bool  # something failed its checksum (or did not load): a new snapshot must be written


# A stored vector is an L2-normalised embedding; one whose length is off by more than this was damaged.
NORM_TOLERANCE = 1e-3


def _load_previous(index_dir: Path, model_name: str, summary: BuildSummary) -> _Previous | None:
    """The live snapshot's documents and vectors, as far as they can be trusted.

    Files that fail their checksum are not reused: documents are read again when docs.json is damaged;
    when vectors.faiss is damaged, only the vectors that still load with their unit length are reused.
    What was damaged is listed in `summary.repaired`.
    """
    try:
        snap = current_snapshot(index_dir)
        manifest = read_manifest(snap)
        check = verify_snapshot(snap)
    except (IndexNotBuilt, IndexCorrupt) as exc:
        if not isinstance(exc, IndexNotBuilt):
            summary.full_rebuild_reason = f"previous index unusable ({exc})"
        return None
    damaged = list(check.damaged) if check.has_checksums else list(check.damaged) + _unreadable_parts(snap)
    bad = {name.split("/", 1)[0] for name, _ in damaged}
    docs: dict[str, Document] = {}
    if "docs.json" not in bad:
        try:
            docs = {d["path"]: doc_from_json(d) for d in json.loads((snap / "docs.json").read_text("utf-8"))}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            damaged.append(("docs.json", f"unreadable ({type(exc).__name__})"))
    vectors: dict[str, np.ndarray] = {}
    if manifest.get("model") != model_name:
        summary.full_rebuild_reason = f"model changed from {manifest.get('model')} to {model_name}"
    elif "keys.json" not in bad:
        try:
            _, mat = read_vectors(snap / "vectors.faiss")
            keys = json.loads((snap / "keys.json").read_text("utf-8"))
            if len(keys) != len(mat):
                raise ValueError(f"{len(keys)} keys for {len(mat)} vectors")
        except (RuntimeError, OSError, ValueError) as exc:
            if "vectors.faiss" not in bad:
                damaged.append(("vectors.faiss", f"unreadable ({type(exc).__name__})"))
            summary.full_rebuild_reason = f"previous vectors unusable ({exc})"
        else:
            intact = np.abs(np.linalg.norm(mat, axis=1) - 1.0) <= NORM_TOLERANCE if len(mat) else np.zeros(0, bool)
            if "vectors.faiss" not in bad and not intact.all():
                damaged.append(("vectors.faiss", f"{int((~intact).sum())} vectors damaged"))
            vectors = {k: mat[i] for i, k in enumerate(keys) if intact[i]}
    summary.repaired = [f"{name} {what}" for name, what in damaged]
    if damaged:
        log.warning("index snapshot %s is damaged (%s): it will be repaired", snap.name, summary.repaired)
    return _Previous(snap, manifest, docs, vectors, bool(damaged))


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Any,
    *,
    max_bytes: int = 20 * 1024 * 1024,
    progress: Progress | None = None,
    ann_above: int = ANN_ABOVE,
    budget: Budget | None = None,
    wait: float | None = None,
    ocr_page_budget: int | None = DEFAULT_PAGE_BUDGET,
    ocr_page_timeout: float = DEFAULT_PAGE_TIMEOUT,
) -> BuildSummary:
    """Build or update the index of `corpus_dir` in `index_dir`. Only changed files are read and only
    new passages are embedded; an unchanged, undamaged index writes nothing.

    Scans and images are OCR'd with the cache in `index_dir/ocr-cache`, at most `ocr_page_budget` pages
    per build (a file past it is skipped now and read at the next build) and `ocr_page_timeout` seconds
    per page; progress reports ("ocr", pages done, pages so far).

    One build runs at a time: this one waits for the build lock (at most `wait` seconds when given, then
    BuildLocked names the holder)."""
    budget = budget or Budget(max_file_bytes=max_bytes)
    with build_lock(index_dir, wait=wait):
        scanner = Scanner(
            cache=OcrCache(index_dir / OCR_CACHE_DIR),
            page_budget=ocr_page_budget,
            page_timeout=ocr_page_timeout,
            progress=progress,
        )
        return _build(corpus_dir, index_dir, encoder, budget, scanner, progress, ann_above)


def content_key(doc: Document) -> str:
    """What makes two documents the same content, whatever their file names and formats: the sha256 of
    their title, date, issuer and paragraphs as read."""
    data = json.dumps([doc.title, doc.date.isoformat() if doc.date else None, doc.agency, list(doc.paragraphs)])
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _drop_duplicates(
    docs: list[Document],
    indexed_before: set[str],
    file_entries: dict[str, Any],
    skipped_entries: dict[str, Any],
    status: dict[str, str],
    summary: BuildSummary,
) -> list[Document]:
    """Index each content once. Of the files with the same content the one indexed before is kept (else
    the first by path); the others are skipped as duplicates, naming the file they repeat."""
    groups: dict[str, list[Document]] = {}
    for doc in docs:
        groups.setdefault(content_key(doc), []).append(doc)
    dropped: set[str] = set()
    for same in groups.values():
        if len(same) < 2:
            continue
        keep = next((d.path for d in same if d.path in indexed_before), same[0].path)
        for doc in same:
            if doc.path == keep:
                continue
            dropped.add(doc.path)
            entry = file_entries.pop(doc.path)
            reason = f"same content as {keep}"
            skipped_entries[doc.path] = {
                "sha256": entry["sha256"],
                "reason": reason,
                "duplicate_of": keep,
                "content": content_key(doc),  # the next build skips it unread while `keep` still reads so
            }
            summary.skipped.append((doc.path, reason))
            summary.duplicates.append((doc.path, keep))
            kind = status.pop(doc.path)
            setattr(summary, kind, getattr(summary, kind) - 1)
    return [d for d in docs if d.path not in dropped]


def _build(
    corpus_dir: Path,
    index_dir: Path,
    encoder: Any,
    budget: Budget,
    scanner: Scanner,
    progress: Progress | None,
    ann_above: int,
) -> BuildSummary:
    started = time.perf_counter()
    summary = BuildSummary()
    prev = _load_previous(index_dir, encoder.name, summary)
    prev_files: dict[str, Any] = prev.manifest.get("files", {}) if prev else {}
    prev_skipped: dict[str, Any] = prev.manifest.get("skipped", {}) if prev else {}

    files = corpus_files(corpus_dir)
    digests: set[str] = set()
    docs: list[Document] = []
    file_entries: dict[str, Any] = {}
    skipped_entries: dict[str, Any] = {}
    status: dict[str, str] = {}  # relpath -> "added", "changed" or "unchanged"
    deferred: list[tuple[str, Path, str, dict[str, Any]]] = []  # unchanged duplicates of the last build

    def read_one(rel: str, path: Path, digest: str, old: Any) -> None:
        try:
            doc = read_file(path, corpus_dir, scanner=scanner, budget=budget).document
        except BadDocument as exc:
            reason = str(exc).removeprefix(f"{rel}: ")
            summary.skipped.append((rel, reason))
            skipped_entries[rel] = {"sha256": digest, "reason": reason}
            if isinstance(exc, OcrBudgetExceeded):
                skipped_entries[rel]["retry"] = True  # read at the next build
            return
        docs.append(doc)
        file_entries[rel] = {"sha256": digest, "size": path.stat().st_size}
        status[rel] = "changed" if old else "added"
        setattr(summary, status[rel], getattr(summary, status[rel]) + 1)

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
            status[rel] = "unchanged"
            continue
        old_skip = prev_skipped.get(rel)
        # An unchanged duplicate is decided after the loop, once the document it repeats has been read: it
        # stays skipped (unread: no OCR, no parse) while that document still has the same content.
        if same_reader and old_skip and old_skip["sha256"] == digest and "content" in old_skip:
            deferred.append((rel, path, digest, old_skip))
            continue
        # A file skipped because the OCR page budget was used up ("retry") is read again.
        if (
            same_reader
            and old_skip
            and old_skip["sha256"] == digest
            and "duplicate_of" not in old_skip
            and not old_skip.get("retry")
        ):
            summary.skipped.append((rel, old_skip["reason"]))
            skipped_entries[rel] = old_skip
            continue
        read_one(rel, path, digest, old)
    kept = {d.path: d for d in docs}
    for rel, path, digest, old_skip in deferred:
        original = kept.get(old_skip["duplicate_of"])
        if original is not None and content_key(original) == old_skip["content"]:
            summary.skipped.append((rel, old_skip["reason"]))
            summary.duplicates.append((rel, original.path))
            skipped_entries[rel] = old_skip
        else:  # the document it repeated changed or went: read it again
            read_one(rel, path, digest, None)
    docs = _drop_duplicates(docs, set(prev_files), file_entries, skipped_entries, status, summary)
    summary.removed = len(set(prev_files) - set(file_entries) - set(skipped_entries))
    summary.documents = len(docs)
    summary.ocr_pages, summary.ocr_cached = scanner.ocr_pages, scanner.cached_pages
    summary.low_confidence = list(scanner.low_confidence)
    if scanner.cache is not None:
        scanner.cache.prune(digests)

    nothing_changed = (
        prev is not None
        and not prev.damaged
        and summary.full_rebuild_reason is None
        and not (summary.added or summary.changed or summary.removed)
        and set(skipped_entries) == set(prev_skipped)
        and not any(entry.get("retry") for entry in skipped_entries.values())
        and prev.manifest.get("tokenizer", {}).get("version") == TOKENIZER_VERSION
        and prev.manifest.get("reader_version") == READER_VERSION
    )
    if nothing_changed and prev is not None:
        if _pointer_name(index_dir) != prev.snapshot.name:
            _point_to(index_dir, prev.snapshot.name)  # CURRENT named a missing or incomplete snapshot
        summary.passages = int(prev.manifest.get("passages", 0))
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
        manifest["checksums"] = snapshot_checksums(tmp)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        _fsync_tree(tmp)
        # The caller holds the build lock: no other build publishes or prunes meanwhile.
        name = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        newest = newest_complete(index_dir)
        if newest is not None and newest.name >= name:  # a clock set back: keep names in publishing order
            name = newest.name + "1"
        os.rename(tmp, snapshots / name)
        _point_to(index_dir, name)
        _prune(snapshots, keep=name, building=tmp.name)
        return name
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fsync_tree(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with path.open("rb") as f:
                os.fsync(f.fileno())


def _prune(snapshots: Path, keep: str, building: str) -> None:
    """Drop old snapshots, keeping the newest few so a reader that is still loading one is safe. Run
    under the build lock, so every other `.building-*` directory was left by a build that died."""
    names = sorted(p.name for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith("."))
    for name in names[:-KEEP_SNAPSHOTS]:
        if name != keep:
            shutil.rmtree(snapshots / name, ignore_errors=True)
    for p in snapshots.glob(".building-*"):
        if p.name != building:
            shutil.rmtree(p, ignore_errors=True)
    for p in snapshots.parent.glob(".CURRENT.*"):
        p.unlink(missing_ok=True)
