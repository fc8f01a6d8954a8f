"""Scoring retrieval and answerability on question sets in the format of shared/eval (docs/,
questions.jsonl) and of the project's training set (eval/train/: docs/, questions_*.jsonl).

A question without gold is a negative: nothing in the corpus answers it. Contrast variants
(`index/contrast.py`) are negatives of their own kind, "contrast", kept out of the overall row.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ChidaoError
from index.evidence import FEATURES, vector

KS = (1, 3, 5, 10)
CONTRAST = "contrast"


class BadEvalSet(ChidaoError):
    pass


def _ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def read_questions(path: Path) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
            q["q"], q["gold"]
            for g in q["gold"]:
                g["doc"], g["span"]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadEvalSet(f"{path}:{n}: not a question object ({exc})") from None
        q.setdefault("kind", "unknown")
        q.setdefault("id", f"{path.stem}:{n}")
        out.append(q)
    return out


def load_questions(eval_dir: Path) -> list[dict[str, Any]]:
    path = eval_dir / "questions.jsonl"
    if not path.is_file():
        raise BadEvalSet(f"{path} not found")
    return read_questions(path)


def load_train(dirs: Sequence[Path]) -> tuple[list[Path], list[dict[str, Any]]]:
    """The documents (docs/*.txt) and questions (questions_*.jsonl) of training folders."""
    docs: list[Path] = []
    questions: list[dict[str, Any]] = []
    for d in dirs:
        files = sorted(d.glob("questions_*.jsonl"))
        if not (d / "docs").is_dir() or not files:
            raise BadEvalSet(f"{d}: a training folder holds docs/ and questions_*.jsonl")
        docs += sorted(p for p in (d / "docs").iterdir() if p.is_file() and not p.name.startswith("."))
        for f in files:
            questions += read_questions(f)
    ids = [q["id"] for q in questions]
    if len(set(ids)) != len(ids):
        raise BadEvalSet("training question ids repeat across files")
    return docs, questions


@dataclass
class Row:
    id: str
    kind: str
    gold: int
    found_at: list[int | None]  # rank (1-based) of each gold span, None if not in the top 10
    answerable: bool
    confidence: str = ""
    p_answer: float = float("nan")
    features: np.ndarray | None = None
    docs: tuple[str, ...] = ()  # gold documents; for a negative, the document of the top passage
    neg: str = ""

    def recall(self, k: int) -> float:
        return sum(1 for r in self.found_at if r is not None and r <= k) / self.gold

    def rr(self) -> float:
        ranks = [r for r in self.found_at if r is not None]
        return 1.0 / min(ranks) if ranks else 0.0


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def figures(self, kind: str | None = None) -> dict[str, float]:
        """Retrieval figures over answerable rows; level shares over answerable rows (`ans_*`) and
        negatives (`neg_*`). Overall (`kind=None`) leaves the contrast variants out."""
        sel = [r for r in self.rows if (r.kind == kind if kind else r.kind != CONTRAST)]
        rows = [r for r in sel if r.gold]
        neg = [r for r in sel if not r.gold]
        out: dict[str, float] = {"n": len(sel)}
        if rows:
            for k in KS:
                out[f"R@{k}"] = sum(r.recall(k) for r in rows) / len(rows)
            out["MRR@10"] = sum(r.rr() for r in rows) / len(rows)
            out["ans_high"] = sum(r.confidence == "high" for r in rows) / len(rows)
            out["ans_none"] = sum(r.confidence == "none" for r in rows) / len(rows)
        if neg:
            out["neg_high"] = sum(r.confidence == "high" for r in neg) / len(neg)
            out["neg_none"] = sum(r.confidence == "none" for r in neg) / len(neg)
        return out

    def counts(self, kind: str | None = None) -> dict[str, int]:
        sel = [r for r in self.rows if (r.kind == kind if kind else r.kind != CONTRAST)]
        out: dict[str, int] = defaultdict(int)
        for r in sel:
            out[("ans_" if r.gold else "neg_") + r.confidence] += 1
            out["ans" if r.gold else "neg"] += 1
        return dict(out)

    def kinds(self) -> list[str]:
        return sorted({r.kind for r in self.rows})

    def with_levels(self, p: np.ndarray, levels: Sequence[str]) -> Report:
        """The same rows judged by other probabilities and levels (e.g. out-of-fold ones)."""
        rows = []
        for r, pi, lv in zip(self.rows, p, levels, strict=True):
            rows.append(Row(r.id, r.kind, r.gold, r.found_at, lv == "high", lv, float(pi), r.features, r.docs, r.neg))
        return Report(rows)

    def matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, ...]]]:
        """(features, answerable, contrast, documents) of the rows, for fitting."""
        x = np.array([r.features for r in self.rows], dtype="float64").reshape(len(self.rows), len(FEATURES))
        y = np.array([r.gold > 0 for r in self.rows])
        contrast = np.array([r.kind == CONTRAST for r in self.rows])
        return x, y, contrast, [r.docs for r in self.rows]

    def retrieved(self, k: int) -> np.ndarray:
        """Per row, whether a gold passage is among the `k` best (False for negatives)."""
        return np.array([r.gold > 0 and r.recall(k) > 0 for r in self.rows])


def evaluate(searcher: Any, questions: list[dict[str, Any]], modes: tuple[str, ...] = ("lexical", "dense")) -> Report:
    report = Report()
    for q in questions:
        ans, ev = searcher.search_explained(q["q"], k=10, modes=modes)
        texts = [_ws(h.passage.text) for h in ans.hits]
        found: list[int | None] = []
        for g in q["gold"]:
            span = _ws(g["span"])
            found.append(next((i + 1 for i, t in enumerate(texts) if span in t), None))
        if q["gold"]:
            docs = tuple(dict.fromkeys(g["doc"].rsplit("/", 1)[-1] for g in q["gold"]))
        elif q.get("docs"):
            docs = tuple(d.rsplit("/", 1)[-1] for d in q["docs"])
        else:
            docs = (ans.hits[0].passage.doc.rsplit("/", 1)[-1],) if ans.hits else (f"none:{q['id']}",)
        feats = vector(ev) if ev is not None else np.zeros(len(FEATURES))
        report.rows.append(
            Row(q["id"], q["kind"], len(q["gold"]), found, ans.answerable, ans.confidence,
                float(ans.p_answer if ans.p_answer is not None else float("nan")), feats, docs, q.get("neg", ""))
        )  # fmt: skip
    return report


COLUMNS = ["n", "R@1", "R@3", "R@5", "R@10", "MRR@10", "ans_high", "ans_none", "neg_high", "neg_none"]


def format_report(reports: dict[str, Report]) -> str:
    """A table: one block per retriever, overall and per kind."""
    lines = []
    for name, rep in reports.items():
        lines.append(f"== {name}")
        lines.append(f"{'kind':<14}" + "".join(f"{c:>10}" for c in COLUMNS))
        for kind in [None, *rep.kinds()]:
            f = rep.figures(kind)
            cells = []
            for c in COLUMNS:
                v = f.get(c)
                cells.append(f"{'-':>10}" if v is None else (f"{int(v):>10}" if c == "n" else f"{v:>10.3f}"))
            lines.append(f"{kind or 'overall':<14}" + "".join(cells))
        cnt = rep.counts()
        lines.append(
            f"answerable {cnt.get('ans', 0)}: high {cnt.get('ans_high', 0)}, low {cnt.get('ans_low', 0)}, "
            f"none {cnt.get('ans_none', 0)}; negatives {cnt.get('neg', 0)}: high {cnt.get('neg_high', 0)}, "
            f"low {cnt.get('neg_low', 0)}, none {cnt.get('neg_none', 0)}"
        )
        if CONTRAST in rep.kinds():
            cc = rep.counts(CONTRAST)
            lines.append(
                f"contrast variants {cc.get('neg', 0)}: high {cc.get('neg_high', 0)}, "
                f"low {cc.get('neg_low', 0)}, none {cc.get('neg_none', 0)}"
            )
    return "\n".join(lines)


def format_calibration(p: np.ndarray, y: np.ndarray) -> str:
    from index.answerability import brier, reliability

    lines = [f"Brier score {brier(p, y):.4f} over {len(y)} rows", "p_answer bin   rows  mean p  share answerable"]
    for lo, hi, n, mp, share in reliability(p, y):
        lines.append(f"{lo:.1f}-{hi:.1f}    {n:>6}  {mp:>6.3f}  {share:>6.3f}")
    return "\n".join(lines)


def misses(report: Report, questions: list[dict[str, Any]], k: int = 5) -> list[str]:
    byid = {q["id"]: q for q in questions}
    out = []
    for r in report.rows:
        if r.gold and r.recall(k) < 1:
            out.append(f"{r.id} [{r.kind}] {byid[r.id]['q']} -> {r.found_at}")
    return out


def wrong_levels(report: Report, questions: list[dict[str, Any]]) -> list[str]:
    """Negatives answered high and answerable questions answered none, with their probability."""
    byid = {q["id"]: q for q in questions}
    out = []
    for r in report.rows:
        if (not r.gold and r.confidence == "high") or (r.gold and r.confidence == "none"):
            out.append(f"{r.id} [{r.kind}{'/' + r.neg if r.neg else ''}] p={r.p_answer:.3f} {byid[r.id]['q']}")
    return out


def per_kind(report: Report) -> dict[str, dict[str, float]]:
    d: dict[str, dict[str, float]] = defaultdict(dict)
    for kind in report.kinds():
        d[kind] = report.figures(kind)
    return d
