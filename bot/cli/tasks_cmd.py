"""`chidao tasks extract`: list the tasks with deadlines found in the corpus; `--json` for other tools.
`chidao tasks export --format xlsx|ics|csv`: the open tasks of the organisation (or what one chat sees,
`--chat`) as a file (bot.export)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import settings_or_exit
from index.errors import CorpusNotFound, NotReady

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
    x = tsub.add_parser("export", help="write the open tasks as an Excel, iCalendar or CSV file")
    x.add_argument("--format", choices=("xlsx", "ics", "csv"), default="xlsx", help="file format (default xlsx)")
    x.add_argument("--output", "-o", type=Path, help="file to write (default: cong-viec-<date>.<format>; - for stdout)")
    x.add_argument(
        "--chat", type=int, help="only what this chat lists (its own tasks and the organisation tasks it follows)"
    )
    x.set_defaults(func=cmd_export)


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


class DatabaseNotReady(NotReady):
    """The database is not at the current schema revision."""


def cmd_export(args: argparse.Namespace) -> int:
    from bot import db, export, following, tasks

    settings = settings_or_exit()
    if not db.is_current(settings.database_url):
        raise DatabaseNotReady(f"database {db.safe_url(settings.database_url)} needs `chidao db upgrade` first")
    now = db.utcnow()
    today = now.astimezone(settings.tz).date()
    sessions = db.make_session_factory(settings.database_url)
    try:
        with sessions() as session:
            if args.chat is None:
                items = [i.task for i in tasks.list_open(session, today) if i.task.scope == "org"]
            else:
                who = tasks.Viewer(args.chat, args.chat if args.chat > 0 else None, args.chat > 0)
                follow = following.following(session, args.chat)
                items = [i.task for i in tasks.list_open(session, today, viewer=who, following=follow)]
    finally:
        sessions.kw["bind"].dispose()
    data = export.export(args.format, items, today, now)
    if args.output is not None and str(args.output) == "-":
        sys.stdout.buffer.write(data)
        return 0
    out: Path = args.output or Path(export.file_name(args.format, today))
    out.write_bytes(data)
    print(f"{len(items)} công việc -> {out}")
    return 0
