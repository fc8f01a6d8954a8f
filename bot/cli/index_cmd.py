"""`chidao index build`: build or update the index of the corpus."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import settings_or_exit

if TYPE_CHECKING:
    from index.budget import Budget
    from index.store import BuildSummary


def register(sub: Any) -> None:
    p = sub.add_parser("index", help="build or update the search index")
    isub = p.add_subparsers(dest="index_command", metavar="ACTION")
    isub.required = True
    b = isub.add_parser("build", help="build or update the index (incremental)")
    b.add_argument("--corpus", type=Path, help="corpus directory (default: CHIDAO_CORPUS_DIR)")
    b.add_argument("--index", type=Path, help="index directory (default: CHIDAO_INDEX_DIR)")
    b.set_defaults(func=cmd_build)


_LABELS = {
    "read": "reading", "ocr": "OCR pages", "embed": "embedding", "vectors": "vector index", "lexical": "indexing",
}  # fmt: skip


class TerminalProgress:
    """A progress bar on a terminal; silent when stderr is not a terminal."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.stage = ""
        self.enabled = sys.stderr.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            label = _LABELS.get(stage, stage)
            self.bar = tqdm(total=total, desc=label, unit=" items", leave=False, file=sys.stderr)
        if self.bar is not None:
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run_build(
    corpus: Path, index: Path, model_name: str, budget: Budget, backend: str | None = None, encoder: Any = None
) -> BuildSummary:
    """Build or update the index at `index`; the encoder is loaded here unless one is given."""
    from index.embed import load_encoder
    from index.store import build_index

    progress = TerminalProgress()
    try:
        encoder = encoder or load_encoder(model_name, backend)
        return build_index(corpus, index, encoder, budget=budget, progress=progress)
    finally:
        progress.close()


def cmd_build(args: argparse.Namespace) -> int:
    s = settings_or_exit()
    corpus = args.corpus or s.corpus_dir
    index = args.index or s.index_dir
    from index.embed import build_backend

    summary = run_build(corpus, index, s.embedding_model, s.budget, build_backend(s.build_backend, s.embedding_backend))
    for path, reason in summary.skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    if summary.full_rebuild_reason:
        print(f"full rebuild: {summary.full_rebuild_reason}", file=sys.stderr)
    print(summary.line())
    return 0
