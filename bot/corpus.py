"""The corpus folder as the bot sees it beside the live index: stable document keys and the files that
are waiting (in the corpus but not, or not as they are now, in the index; or gone from the corpus but
still in it). Pure file reads, no Telegram, no database.

A document's key is the first 8 hex digits of the sha1 of its path relative to the corpus: the same for
as long as the file keeps its name, whatever the order of any list. `/docs` shows it, `/docs_remove`,
`/docs_restore` and the buttons take it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.documents import file_hash
from index.store import corpus_files

KEY_RE = re.compile(r"[0-9a-f]{8}")

# States of a waiting file
NEW = "new"  # in the corpus, never indexed
CHANGED = "changed"  # in the corpus, indexed with other content
GONE = "gone"  # indexed, no longer in the corpus
SKIPPED = "skipped"  # in the corpus, read and refused by the last build (the reason is kept)


_HASHES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256: /docs does not re-hash
_HASHES_MAX = 50_000


def _hash(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    found = _HASHES.get(key)
    if found is None:
        if len(_HASHES) >= _HASHES_MAX:
            _HASHES.clear()
        found = _HASHES[key] = file_hash(path)
    return found


def path_key(path: str) -> str:
    """The stable key of a corpus file (its relative path, forward slashes)."""
    return hashlib.sha1(path.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class Waiting:
    path: str
    state: str  # NEW, CHANGED, GONE or SKIPPED
    reason: str = ""  # why the last build skipped it (English, as the index wrote it)

    @property
    def key(self) -> str:
        return path_key(self.path)


def waiting_files(corpus_dir: Path, manifest: Mapping[str, Any]) -> list[Waiting]:
    """The files on which the corpus and the index (its manifest) disagree, and the skipped ones, by
    path. A file that cannot be read now counts as changed."""
    files: dict[str, Any] = dict(manifest.get("files") or {})
    skipped: dict[str, Any] = dict(manifest.get("skipped") or {})
    out: list[Waiting] = []
    present: set[str] = set()
    for path in corpus_files(corpus_dir):
        rel = path.relative_to(corpus_dir).as_posix()
        present.add(rel)
        entry = files.get(rel) or skipped.get(rel)
        if entry is None:
            out.append(Waiting(rel, NEW))
            continue
        try:
            same = entry.get("sha256") == _hash(path)
        except OSError:
            same = False
        if not same:
            out.append(Waiting(rel, CHANGED))
        elif rel in skipped and rel not in files:
            out.append(Waiting(rel, SKIPPED, str(skipped[rel].get("reason", ""))))
    out += [Waiting(rel, GONE) for rel in files if rel not in present]
    return sorted(out, key=lambda w: w.path)


def unindexed(waiting: list[Waiting]) -> list[Waiting]:
    """The waiting files that are in the corpus and not yet (or not as they are now) in the index."""
    return [w for w in waiting if w.state in (NEW, CHANGED)]
