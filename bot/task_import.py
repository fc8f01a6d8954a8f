"""Keep the task store in line with the index: run after every (re)index.

For each document of the new index snapshot: `index.tasks.extract_tasks(doc)`, then
`bot.tasks.import_candidates` (new candidates wait for review in /tasks_review; edited ones are updated;
vanished ones cancelled). Documents that left the corpus: `bot.tasks.cancel_doc`. A document whose
extraction fails keeps its tasks as they are (logged), so a bug in the extractor never cancels work.

Callers:
- the admin reindex coordinator, after a build that wrote a snapshot:
  ``import_from_index(svc.sessions, svc.index.searcher.docs)``
- `chidao index build`: ``import_from_index(make_session_factory(s.database_url), snapshot_documents(index))``
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import TaskRow, utcnow
from bot.tasks import cancel_doc, import_candidates
from index.errors import IndexCorrupt
from index.model import Document
from index.store import current_snapshot, doc_from_json
from index.tasks import extract_tasks

log = logging.getLogger(__name__)


@dataclass
class TaskImportSummary:
    documents: int = 0
    candidates: int = 0
    added: int = 0
    updated: int = 0
    reopened: int = 0
    cancelled: int = 0
    removed_documents: list[str] = field(default_factory=list)
    failed_documents: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"tasks: {self.documents} documents, {self.candidates} extracted; {self.added} new, "
            f"{self.updated} updated, {self.reopened} reopened, {self.cancelled} cancelled; "
            f"{len(self.removed_documents)} documents gone, {len(self.failed_documents)} failed "
            f"in {self.seconds:.1f} s"
        )


def import_documents(
    session: Session,
    corpus_docs: Iterable[Document],
    now: dt.datetime,
    checkpoint: Callable[[], None] = lambda: None,
) -> TaskImportSummary:
    """The work of `import_from_index` in the caller's session. `checkpoint` is called after each
    document's rows are written (import_from_index commits there); the caller commits the end."""
    started = time.perf_counter()
    summary = TaskImportSummary()
    present: set[str] = set()
    for doc in corpus_docs:
        present.add(doc.path)
        summary.documents += 1
        try:
            candidates = extract_tasks(doc)
        except Exception:  # noqa: BLE001 - one unreadable document must not stop the others
            log.exception("task extraction failed for %s; its tasks are left as they are", doc.path)
            summary.failed_documents.append(doc.path)
            continue
        summary.candidates += len(candidates)
        result = import_candidates(session, doc.path, candidates, now)
        summary.added += result.added
        summary.updated += result.updated
        summary.reopened += result.reopened
        summary.cancelled += result.cancelled
        checkpoint()
    known = session.scalars(
        select(TaskRow.source_doc).where(TaskRow.source_doc.is_not(None), TaskRow.status == "open").distinct()
    ).all()
    for path in sorted(p for p in known if p is not None and p not in present):
        summary.cancelled += cancel_doc(session, path, now)
        summary.removed_documents.append(path)
    session.flush()
    summary.seconds = time.perf_counter() - started
    return summary


def import_from_index(
    session_factory: sessionmaker[Session],
    corpus_docs: Iterable[Document],
    now: dt.datetime | None = None,
) -> TaskImportSummary:
    """Import the tasks of every document of a new index snapshot. Blocking: call it from a worker thread
    (`asyncio.to_thread`) on the bot's event loop.

    One short transaction per document, written after its extraction: SQLite's write lock is never held
    while the extractor runs, so handlers and the reminder sweep are not kept waiting on a big corpus.
    """
    with session_factory() as session:
        summary = import_documents(session, corpus_docs, now or utcnow(), session.commit)
        session.commit()
    log.info("%s", summary.line())
    return summary


def snapshot_documents(index_dir: Path) -> list[Document]:
    """The documents of the index's current snapshot (no model, no vectors loaded)."""
    snapshot = current_snapshot(Path(index_dir))
    try:
        rows = json.loads((snapshot / "docs.json").read_text("utf-8"))
        return [doc_from_json(d) for d in rows]
    except (OSError, ValueError, KeyError) as exc:
        raise IndexCorrupt(f"index snapshot {snapshot} is damaged: {exc}") from None
