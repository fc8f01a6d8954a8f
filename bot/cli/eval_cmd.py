"""`chidao eval`: retrieval and answerability figures.

- On an eval folder (docs/ + questions.jsonl, default ../shared/eval), with the shipped answerability
  model: Recall@k, MRR@10, and how often answerable questions and negatives get each confidence level,
  also for the contrast variants of its answerable questions.
- With training folders (`--train`, default eval/train when it exists): the same figures out of sample on
  the training questions and their contrast variants, each scored by a model fitted (coefficients and
  thresholds) on the folds of documents that do not hold it; the index is the training documents plus
  the shipped corpus (`--corpus`) as distractors. Calibration: Brier score and a reliability table.
- `--fit`: also fit the model on all training rows and write it (`index/answerability.json`); the eval
  folder is then measured with that model. This is the one command that produces the shipped file.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import settings_or_exit
from index.errors import ChidaoError

if TYPE_CHECKING:
    from index.budget import Budget

DEFAULT_TRAIN = Path("eval/train")


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="measure retrieval and answerability; fit the answerability model")
    p.add_argument("--eval", type=Path, default=Path("../shared/eval"), help="eval folder (default ../shared/eval)")
    p.add_argument(
        "--train",
        type=Path,
        action="append",
        help="training folder with docs/ and questions_*.jsonl (repeatable; default eval/train if present)",
    )
    p.add_argument(
        "--corpus",
        type=Path,
        default=Path("corpus"),
        help="documents indexed beside the training documents as distractors (default corpus/)",
    )
    p.add_argument("--folds", type=int, default=5, help="folds over documents for out-of-sample figures (default 5)")
    p.add_argument("--fit", action="store_true", help="fit the answerability model on all training rows and write it")
    p.add_argument("--model-out", type=Path, help="where --fit writes the model (default index/answerability.json)")
    p.add_argument("--no-eval", action="store_true", help="skip the eval folder (training figures only)")
    p.add_argument(
        "--all-modes",
        action="store_true",
        help="also measure the lexical side alone, the dense side alone and plain BM25",
    )
    p.add_argument("--misses", action="store_true", help="list questions whose gold is not in the top 5")
    p.add_argument(
        "--wrong", action="store_true", help="list negatives answered high and answerable questions answered none"
    )
    p.set_defaults(func=cmd_eval)


def _index(docs: list[Path], root: Path, model: str, budget: Budget, encoder: Any) -> Path:
    """An index of `docs` (symlinked flat into one folder beside the main index), updated incrementally."""
    from bot.cli.index_cmd import run_build

    names = [d.name for d in docs]
    if len(set(names)) != len(names):
        raise ChidaoError("two documents of the training index share a file name")
    tag = hashlib.sha1("\n".join(str(d.resolve()) for d in docs).encode()).hexdigest()[:10]
    folder = root / f"eval-docs-{tag}"
    folder.mkdir(parents=True, exist_ok=True)
    for d in docs:
        link = folder / d.name
        if not link.is_symlink():
            os.symlink(d.resolve(), link)
    index_dir = root / f"eval-index-{tag}"
    run_build(folder, index_dir, model, budget, encoder=encoder)
    return index_dir


def cmd_eval(args: argparse.Namespace) -> int:
    import numpy as np

    from index.answerability import MODEL_PATH, TOP_K, AnswerModel, BadAnswerModel, cross_validate, fit_model
    from index.contrast import contrast_set
    from index.embed import load_encoder
    from index.evaluate import (
        evaluate,
        format_calibration,
        format_report,
        load_questions,
        load_train,
        misses,
        wrong_levels,
    )
    from index.search import Searcher, default_answer_model

    if args.folds < 2:
        raise ChidaoError("--folds must be at least 2")
    s = settings_or_exit()
    root = s.index_dir.parent
    # One model for every index built here, loaded when the first index is (after the inputs were checked).
    encoder = functools.cache(lambda: load_encoder(s.embedding_model, s.embedding_backend))
    if not args.no_eval:  # the eval folder is checked before any index is built
        docs_dir = args.eval / "docs"
        if not docs_dir.is_dir():
            raise ChidaoError(f"{docs_dir} not found: an eval folder holds docs/ and questions.jsonl")
        eval_questions = load_questions(args.eval)
    train_dirs = args.train or ([DEFAULT_TRAIN] if DEFAULT_TRAIN.is_dir() else [])
    if args.fit and not train_dirs:
        raise ChidaoError(f"--fit needs training folders (--train; {DEFAULT_TRAIN} not found)")
    try:
        model: AnswerModel = default_answer_model()
    except BadAnswerModel:
        if not args.fit:
            raise
        model = AnswerModel.untrained()  # refitting after a change of features
    if train_dirs:
        docs, questions = load_train(train_dirs)
        corpus = sorted(p for p in args.corpus.iterdir() if p.is_file()) if args.corpus.is_dir() else []
        index_dir = _index(docs + corpus, root, s.embedding_model, s.budget, encoder())
        searcher = Searcher.open(index_dir, s.embedding_model, encoder(), answer_model=model)
        contrast = contrast_set(questions, searcher.docs)
        report = evaluate(searcher, questions + contrast)
        x, y, is_contrast, groups = report.matrix()
        found = report.retrieved(TOP_K)  # the fitted label; `y` (an answer exists) sets the budgets
        p, levels, _ = cross_validate(x, found, is_contrast, groups, args.folds, answerable=y)
        oos = report.with_levels(p, levels)
        n_docs = len({d for g in groups for d in g})
        print(
            f"== training questions, out of sample ({args.folds} folds over {n_docs} documents; "
            f"{len(questions)} questions, {len(contrast)} contrast variants; index {len(searcher.docs)} documents)"
        )
        print(format_report({"hybrid, out of fold": oos}))
        print(f"calibration against the fitted label (a gold passage in the top {TOP_K}):")
        print(format_calibration(p, found))
        if args.wrong:
            print("\n".join(wrong_levels(oos, questions + contrast)))
        if args.misses:
            print("\n".join(misses(oos, questions)))
        if args.fit:
            model = fit_model(x, found, is_contrast, groups, args.folds, answerable=y, about={
                "training": [str(d) for d in train_dirs], "questions": len(questions), "contrast": len(contrast),
                "documents": n_docs, "corpus": str(args.corpus), "embedding_model": s.embedding_model,
            })  # fmt: skip
            out = args.model_out or MODEL_PATH
            out.write_text(model.to_json(), encoding="utf-8")
            print(f"answerability model written to {out}: high >= {model.high:.4f}, none < {model.none:.4f}")
    if args.no_eval:
        return 0
    questions = eval_questions
    eval_docs = sorted(p for p in docs_dir.iterdir() if p.is_file())
    index_dir = _index(eval_docs, root, s.embedding_model, s.budget, encoder())
    searcher = Searcher.open(index_dir, s.embedding_model, encoder(), answer_model=model)
    contrast = contrast_set(questions, searcher.docs)
    modes: list[tuple[str, ...]] = [("lexical", "dense")]
    if args.all_modes:
        modes += [("lexical",), ("dense",), ("bm25",)]
    reports = {"+".join(m) if len(m) == 1 else "hybrid": evaluate(searcher, questions + contrast, m) for m in modes}
    print(
        f"== {args.eval} ({len(questions)} questions, {len(contrast)} contrast variants), "
        f"model fitted {model.about.get('fitted', '?')}"
    )
    print(format_report(reports))
    hyb = reports["hybrid"]
    print(f"calibration against the fitted label (a gold passage in the top {TOP_K}):")
    print(format_calibration(np.array([r.p_answer for r in hyb.rows]), hyb.retrieved(TOP_K)))
    if args.wrong:
        print("\n".join(wrong_levels(hyb, questions + contrast)))
    if args.misses:
        print("\n".join(misses(hyb, questions)))
    return 0
