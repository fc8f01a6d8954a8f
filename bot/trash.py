"""The trash folder of removed documents: a removed corpus file is moved here, kept `CHIDAO_TRASH_DAYS`
days, and can be put back with `/docs_restore <key>`; `/docs_trash_empty` empties it at once.

Each removal is one folder `<trash>/<UTC time>-<key>/` holding the file under its own name and
`item.json` (its corpus path, title, who removed it and when, whether it was shipped with the corpus
rather than uploaded through the bot). Nothing here deletes a corpus file: files are moved, and only
files inside the corpus and the trash are ever touched. Pure file work, no Telegram, no database.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.corpus import path_key
from bot.uploads import UPLOADS_SUBDIR, inside, with_number
from index.documents import file_hash

log = logging.getLogger(__name__)

ITEM_FILE = "item.json"
_STAMP = "%Y%m%dT%H%M%S%f"


class TrashError(Exception):
    """A trash operation that cannot be done; str() is the reason (English, for the log)."""


@dataclass(frozen=True)
class TrashItem:
    folder: Path  # <trash>/<stamp>-<key>
    path: str  # where it was in the corpus
    title: str
    removed_at: dt.datetime
    removed_by: int | None
    shipped: bool

    @property
    def key(self) -> str:
        return path_key(self.path)

    @property
    def file(self) -> Path:
        return self.folder / Path(self.path).name

    def expires(self, days: int) -> dt.datetime:
        return self.removed_at + dt.timedelta(days=days)


@dataclass(frozen=True)
class Restored:
    path: str  # where the file is now in the corpus
    renamed: bool  # another file had taken its place: put back under a numbered name
    already_there: bool  # the same content was already at its place (nothing moved)


def is_shipped(path: str) -> bool:
    """A document that came with the corpus (copied by the operator), not one uploaded through the bot."""
    return not path.startswith(f"{UPLOADS_SUBDIR}/")


def _corpus_path(corpus_dir: Path, relpath: str) -> Path:
    path = corpus_dir / relpath
    if Path(relpath).is_absolute() or ".." in Path(relpath).parts or not inside(corpus_dir, path):
        raise TrashError(f"{relpath!r} is not inside the corpus")
    return path


def move_to_trash(
    corpus_dir: Path, trash_dir: Path, relpath: str, title: str, user_id: int | None, now: dt.datetime
) -> TrashItem | None:
    """Move the corpus file `relpath` into the trash; None when it is not in the corpus."""
    source = _corpus_path(corpus_dir, relpath)
    if not source.is_file() or source.is_symlink():
        if source.is_symlink():  # a link is not a document of ours: drop the link, keep its target
            source.unlink()
        return None
    if inside(corpus_dir, trash_dir) and not trash_dir.name.startswith("."):
        raise TrashError(f"trash directory {trash_dir} is inside the corpus and not hidden: it would be indexed")
    folder = trash_dir / f"{now.astimezone(dt.UTC).strftime(_STAMP)}-{path_key(relpath)}"
    folder.mkdir(parents=True, exist_ok=False)
    item = TrashItem(folder, relpath, title, now, user_id, is_shipped(relpath))
    (folder / ITEM_FILE).write_text(
        json.dumps(
            {
                "path": relpath,
                "title": title,
                "removed_at": now.isoformat(),
                "removed_by": user_id,
                "shipped": item.shipped,
            },
            ensure_ascii=False,
            indent=1,
        ),
        "utf-8",
    )
    shutil.move(source, item.file)  # a rename on the same file system
    return item


def items(trash_dir: Path) -> list[TrashItem]:
    """What the trash holds, newest first (folders without a readable item.json are left out)."""
    if not trash_dir.is_dir():
        return []
    out: list[TrashItem] = []
    for folder in trash_dir.iterdir():
        try:
            data = json.loads((folder / ITEM_FILE).read_text("utf-8"))
            item = TrashItem(
                folder,
                str(data["path"]),
                str(data.get("title") or ""),
                dt.datetime.fromisoformat(data["removed_at"]),
                data.get("removed_by"),
                bool(data.get("shipped")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if item.file.is_file():
            out.append(item)
    return sorted(out, key=lambda i: (i.removed_at, i.folder.name), reverse=True)


def find(trash_dir: Path, key: str) -> TrashItem | None:
    """The newest trashed file of key `key`."""
    return next((i for i in items(trash_dir) if i.key == key), None)


def restore(corpus_dir: Path, item: TrashItem) -> Restored:
    """Put a trashed file back at its corpus path (under a numbered name when another file is there now)."""
    target = _corpus_path(corpus_dir, item.path)
    if target.is_file() and file_hash(target) == file_hash(item.file):
        shutil.rmtree(item.folder)
        return Restored(item.path, renamed=False, already_there=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        candidate = target if n == 1 else target.with_name(with_number(target.name, n))
        if not inside(corpus_dir, candidate):
            raise TrashError(f"{candidate} is not inside the corpus")
        try:
            os.link(item.file, candidate)  # fails instead of overwriting
        except FileExistsError:
            n += 1
            continue
        except OSError:  # another file system: copy under a hidden name, then link
            tmp = candidate.with_name(f".restore-{candidate.name}")
            shutil.copy2(item.file, tmp)
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                n += 1
                continue
            finally:
                tmp.unlink(missing_ok=True)
        break
    shutil.rmtree(item.folder)
    return Restored(candidate.relative_to(corpus_dir).as_posix(), renamed=n > 1, already_there=False)


def purge(trash_dir: Path, now: dt.datetime, days: int) -> int:
    """Delete what was removed more than `days` days before `now`; how many were deleted."""
    gone = 0
    for item in items(trash_dir):
        if item.expires(days) <= now:
            shutil.rmtree(item.folder, ignore_errors=True)
            gone += 1
    return gone


def empty(trash_dir: Path) -> int:
    """Delete everything in the trash; how many removed documents were deleted."""
    found = items(trash_dir)
    for item in found:
        shutil.rmtree(item.folder, ignore_errors=True)
    return len(found)
