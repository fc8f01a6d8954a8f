"""Scoring retrieval on an eval folder in the format of shared/eval (docs/, questions.jsonl)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import ChidaoError

KS = (1, 3, 5, 10)


class BadEvalSet(ChidaoError):
    pass


def _ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def load_questions(eval_dir: Path) -> list[dict[str, Any]]:
    path = eval_dir / "questions.jsonl"
    if not path.is_file():
        raise BadEvalSet(f"{path} not found")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
            q["q"], q["gold"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadEvalSet(f"{path}:{n}: not a question object ({exc})") from None
        q.setdefault("kind", "unknown")
        q.setdefault("id", f"line{n}")
        out.append(q)
    return out


@dataclass
class Row:
    id: str
    kind: str
    gold: int
    found_at: list[int | None]  # rank (1-based) of each gold span, None if not in the top 10
    answerable: bool

    def recall(self, k: int) -> float:
        return sum(1 for r in self.found_at if r is not None and r <= k) / self.gold

    def rr(self) -> float:
        ranks = [r for r in self.found_at if r is not None]
        return 1.0 / min(ranks) if ranks else 0.0


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def figures(self, kind: str | None = None) -> dict[str, float]:
        rows = [r for r in self.rows if r.gold and (kind is None or r.kind == kind)]
        neg = [r for r in self.rows if not r.gold and (kind is None or r.kind == kind)]
        out: dict[str, float] = {"n": len(rows) + len(neg)}
        if rows:
            for k in KS:
                out[f"R@{k}"] = sum(r.recall(k) for r in rows) / len(rows)
            out["MRR@10"] = sum(r.rr() for r in rows) / len(rows)
            out["false_abstain"] = sum(1 for r in rows if not r.answerable) / len(rows)
        if neg:
            out["neg_abstained"] = sum(1 for r in neg if not r.answerable) / len(neg)
        return out

    def kinds(self) -> list[str]:
        return sorted({r.kind for r in self.rows})


def evaluate(searcher: Any, questions: list[dict[str, Any]], modes: tuple[str, ...] = ("lexical", "dense")) -> Report:
    report = Report()
    for q in questions:
        ans = searcher.search(q["q"], k=10, modes=modes)
        texts = [_ws(h.passage.text) for h in ans.hits]
        found: list[int | None] = []
        for g in q["gold"]:
            span = _ws(g["span"])
            found.append(next((i + 1 for i, t in enumerate(texts) if span in t), None))
        report.rows.append(Row(q["id"], q["kind"], len(q["gold"]), found, ans.answerable))
    return report


def format_report(reports: dict[str, Report]) -> str:
    """A table: one block per retriever, overall and per kind."""
    lines = []
    cols = ["n", "R@1", "R@3", "R@5", "R@10", "MRR@10", "neg_abstained", "false_abstain"]
    for name, rep in reports.items():
        lines.append(f"== {name}")
        lines.append(f"{'kind':<14}" + "".join(f"{c:>14}" for c in cols))
        for kind in [None, *rep.kinds()]:
            f = rep.figures(kind)
            cells = []
            for c in cols:
                v = f.get(c)
                cells.append(f"{'-':>14}" if v is None else (f"{int(v):>14}" if c == "n" else f"{v:>14.3f}"))
            lines.append(f"{kind or 'overall':<14}" + "".join(cells))
    return "\n".join(lines)


def misses(report: Report, questions: list[dict[str, Any]], k: int = 5) -> list[str]:
    byid = {q["id"]: q for q in questions}
    out = []
    for r in report.rows:
        if r.gold and r.recall(k) < 1:
            out.append(f"{r.id} [{r.kind}] {byid[r.id]['q']} -> {r.found_at}")
    return out
