"""Score index.tasks.extract_tasks against the gold tasks of the eval set (../shared/eval/tasks.jsonl).

A gold task is found when a candidate from its document contains its span (runs of whitespace collapsed in
both) and has the same deadline; "strict" also asks for the same recurrence string on recurring tasks.
Precision is the share of candidates (from documents that have gold tasks) that find some gold task.
Owner agreement is measured over found tasks: exact (case and spacing ignored) and lenient (one contains
the other).

    python bench/task_eval.py [--corpus DIR] [--gold FILE] [-v]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.documents import scan_corpus  # noqa: E402
from index.tasks import TaskCandidate, extract_tasks  # noqa: E402

DEFAULT_GOLD = ROOT.parent / "shared" / "eval" / "tasks.jsonl"
DEFAULT_CORPUS = ROOT / "corpus"


@dataclass(frozen=True)
class GoldTask:
    doc: str
    span: str
    deadline: str | None
    recurring: str | None
    owner: str | None


@dataclass
class Report:
    gold: int = 0
    candidates: int = 0
    found: int = 0  # span + deadline
    found_strict: int = 0  # span + deadline + recurrence
    true_candidates: int = 0
    owner_exact: int = 0
    owner_lenient: int = 0
    misses: dict[str, list[GoldTask]] = field(default_factory=lambda: defaultdict(list))
    false_positives: dict[str, list[TaskCandidate]] = field(default_factory=lambda: defaultdict(list))
    owner_diffs: list[tuple[GoldTask, str | None]] = field(default_factory=list)

    @property
    def found_rate(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def found_strict_rate(self) -> float:
        return self.found_strict / self.gold if self.gold else 0.0

    @property
    def precision(self) -> float:
        return self.true_candidates / self.candidates if self.candidates else 0.0


def collapse(text: str) -> str:
    return " ".join(text.split())


def _same_owner(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


def _owner_overlaps(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return a == b
    x, y = collapse(a).casefold(), collapse(b).casefold()
    return x in y or y in x


def load_gold(path: Path) -> list[GoldTask]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [GoldTask(r["doc"], collapse(r["span"]), r["deadline"], r["recurring"], r["owner"]) for r in rows]


def _matches(c: TaskCandidate, g: GoldTask, strict: bool) -> bool:
    deadline = c.deadline.isoformat() if c.deadline else None
    if c.doc != g.doc or g.span not in collapse(c.text) or deadline != g.deadline:
        return False
    return not strict or c.recurring == g.recurring


def evaluate(candidates: Iterable[TaskCandidate], gold: Sequence[GoldTask]) -> Report:
    gold_docs = {g.doc for g in gold}
    cands = [c for c in candidates if c.doc in gold_docs]
    rep = Report(gold=len(gold), candidates=len(cands))
    for g in gold:
        hits = [c for c in cands if _matches(c, g, strict=False)]
        if not hits:
            rep.misses[g.doc].append(g)
            continue
        rep.found += 1
        strict = [c for c in hits if _matches(c, g, strict=True)]
        rep.found_strict += bool(strict)
        best = (strict or hits)[0]
        rep.owner_exact += _same_owner(best.owner, g.owner)
        rep.owner_lenient += _owner_overlaps(best.owner, g.owner)
        if not _same_owner(best.owner, g.owner):
            rep.owner_diffs.append((g, best.owner))
    for c in cands:
        if any(_matches(c, g, strict=False) for g in gold if g.doc == c.doc):
            rep.true_candidates += 1
        else:
            rep.false_positives[c.doc].append(c)
    return rep


def run(corpus: Path, gold_path: Path) -> Report:
    docs, _ = scan_corpus(corpus)
    candidates = [c for d in docs for c in extract_tasks(d)]
    return evaluate(candidates, load_gold(gold_path))


def print_report(rep: Report, verbose: bool, out: object = sys.stdout) -> None:
    def say(text: str = "") -> None:
        print(text, file=out)  # type: ignore[call-overload]

    found = rep.found
    say(f"gold tasks        {rep.gold}")
    say(f"candidates        {rep.candidates}")
    say(f"found             {found}/{rep.gold} = {rep.found_rate:.1%}   (span + deadline)")
    say(
        f"found, strict     {rep.found_strict}/{rep.gold} = {rep.found_strict_rate:.1%}   (+ same recurrence)"
    )
    say(f"precision         {rep.true_candidates}/{rep.candidates} = {rep.precision:.1%}")
    if found:
        say(f"owner exact       {rep.owner_exact}/{found} = {rep.owner_exact / found:.1%}")
        say(f"owner lenient     {rep.owner_lenient}/{found} = {rep.owner_lenient / found:.1%}")
    for doc in sorted(set(rep.misses) | set(rep.false_positives)):
        say(f"\n== {doc}")
        for g in rep.misses.get(doc, []):
            say(f"  MISS {g.deadline or g.recurring or 'relative'}: {g.span}")
        for c in rep.false_positives.get(doc, []):
            when = c.deadline.isoformat() if c.deadline else c.recurring or "relative"
            say(f"  FP   p{c.paragraph} {when} [{c.deadline_text}]: {c.text}")
    if verbose and rep.owner_diffs:
        say("\n== owner differences (gold -> extracted)")
        for g, got in rep.owner_diffs:
            say(f"  {g.doc[:2]} {g.owner!r} -> {got!r}   ({g.span[:60]})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("-v", "--verbose", action="store_true", help="also list owner differences")
    args = parser.parse_args(argv)
    if not args.gold.is_file():
        print(f"task_eval: no gold file at {args.gold}", file=sys.stderr)
        return 2
    print_report(run(args.corpus, args.gold), args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
