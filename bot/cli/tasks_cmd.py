"""`chidao tasks extract`: list the tasks with deadlines found in the corpus; `--json` for other tools."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import settings_or_exit
from index.errors import CorpusNotFound

if TYPE_CHECKING:
    from index.tasks import TaskCandidate

TEXT_WIDTH = 90
COLUMN_WIDTHS = (24, 32, 44)  # deadline, owner, document


def register(sub: Any) -> None:
    p = sub.add_parser("tasks", help="tasks with deadlines found in the documents")
    tsub = p.add_subparsers(dest="tasks_command", metavar="ACTION")
    tsub.required = True
    e = tsub.add_parser("extract", help="extract tasks and deadlines from every corpus document")
    e.add_argument("--corpus", type=Path, help="corpus directory (default: CHIDAO_CORPUS_DIR)")
    e.add_argument("--json", action="store_true", help="one JSON object per line per task")
    e.set_defaults(func=cmd_extract)


def task_json(task: TaskCandidate) -> dict[str, Any]:
    return {
        "doc": task.doc,
        "paragraph": task.paragraph,
        "text": task.text,
        "owner": task.owner,
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "recurring": task.recurring,
    }


def when(task: TaskCandidate) -> str:
    if task.deadline:
        return task.deadline.strftime("%d/%m/%Y")
    if task.recurring:
        return task.recurring
    return f"({task.deadline_text})" if task.deadline_text else "?"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def task_table(tasks: list[TaskCandidate]) -> str:
    if not tasks:
        return "Không tìm thấy nhiệm vụ nào có thời hạn."
    rows = [(when(t), t.owner or "—", f"{t.doc} §{t.paragraph}", _cut(t.text, TEXT_WIDTH)) for t in tasks]
    head = ("Thời hạn", "Đơn vị chủ trì", "Văn bản", "Nhiệm vụ")
    widths = [min(cap, max(len(r[i]) for r in [head, *rows])) for i, cap in enumerate(COLUMN_WIDTHS)]
    lines = []
    for row in [head, *rows]:
        cells = [_cut(row[i], widths[i]).ljust(widths[i]) for i in range(3)]
        lines.append("  ".join([*cells, row[3]]))
    lines.append(f"\n{len(tasks)} nhiệm vụ")
    return "\n".join(lines)


def cmd_extract(args: argparse.Namespace) -> int:
    from index.documents import scan_corpus
    from index.tasks import extract_tasks

    settings = settings_or_exit()
    corpus: Path = args.corpus or settings.corpus_dir
    if not corpus.is_dir():
        raise CorpusNotFound(f"no corpus directory at {corpus}")
    docs, skipped = scan_corpus(corpus, budget=settings.budget)
    for relpath, reason in skipped:
        print(f"chidao: skipped {relpath}: {reason}", file=sys.stderr)
    tasks = [t for doc in docs for t in extract_tasks(doc)]
    if args.json:
        for t in tasks:
            print(json.dumps(task_json(t), ensure_ascii=False))
    else:
        print(task_table(tasks))
    return 0
