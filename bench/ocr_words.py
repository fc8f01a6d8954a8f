"""The post-OCR correction of Vietnamese syllables (index/ocr_words.py): its counts file, and what it does
to the OCR'd text of a scan dev set.

    # the training documents' syllable counts, shipped as index/data/vi_counts.tsv
    PYTHONPATH=$PWD .venv/bin/python bench/ocr_words.py --write-counts

    # word accuracy of the OCR'd bodies against the originals, without and with the correction
    PYTHONPATH=$PWD .venv/bin/python bench/ocr_words.py --devset /tmp/tr24 --eval /tmp/trainset \
        --forms clean,poor,phone,screenshot [--folds] [--grid]

--devset is a folder made by bench/scan_devset.py (its OCR cache is read, nothing is OCR'd again).
--folds: for a dev set of the training documents (eval/train/docs, whose names start with the group
letter a, b or c), each document is corrected with the counts of the other two groups only, so the
counts never saw the document (out of sample). --grid tries margins around the shipped ones.

Metrics, over the body paragraphs (the original's lines after its header against the document's
paragraphs as read): characters right (difflib's matching blocks of the texts), words right (difflib
alignment of lower-case words without punctuation), words whose only fault is a mark ("tỉnh" for "tinh":
the same base letters), and how many words the correction changed from right to wrong and from wrong to
right.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN_DOCS = ROOT / "eval" / "train" / "docs"


def _words(text: str) -> list[str]:
    from index.text import normalise

    return [w for w in (re.sub(r"^\W+|\W+$", "", t) for t in normalise(text).lower().split()) if w]


def compare(reference: list[str], read: list[str]) -> dict[str, int]:
    """Words right, mark-only faults, other faults of `read` against `reference`."""
    from index.text import fold

    sm = difflib.SequenceMatcher(None, reference, read, autojunk=False)
    right = marks = 0
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            right += i2 - i1
        elif tag == "replace" and i2 - i1 == j2 - j1:
            marks += sum(fold(a) == fold(b) for a, b in zip(reference[i1:i2], read[j1:j2], strict=True))
    return {"words": len(reference), "right": right, "marks": marks}


def train_runs(exclude_group: str | None = None) -> list[list[str]]:
    from index.ocr_words import text_runs

    runs: list[list[str]] = []
    for path in sorted(TRAIN_DOCS.glob("*.txt")):
        if exclude_group and path.name.startswith(exclude_group):
            continue
        lines = path.read_text("utf-8").splitlines()
        body = [ln for ln in lines if not re.match(r"^(Ngày|Cơ quan):", ln)]
        for line in body:
            runs.extend(text_runs(line))
    return runs


def write_counts() -> None:
    from index import ocr_words

    runs = train_runs()
    note = (
        "Syllable unigram and bigram counts (lower case) of the training documents eval/train/docs\n"
        "(never the eval set), written by bench/ocr_words.py --write-counts; read by index/ocr_words.py."
    )
    ocr_words.write_counts(runs, ocr_words.COUNTS_FILE, note)
    print(f"{ocr_words.COUNTS_FILE}: {sum(len(r) for r in runs)} syllables in {len(runs)} runs")


def read_bodies(devset: Path, eval_dir: Path, form: str) -> dict[str, list[str]]:
    """The body paragraphs of each document of a form, read through the corpus readers (OCR from the cache)."""
    from index.documents import read_file
    from index.scans import OcrCache, Scanner

    corpus = devset / form
    scanner = Scanner(cache=OcrCache(devset / "ocr-cache" / form), page_budget=0)
    out: dict[str, list[str]] = {}
    for path in sorted(corpus.iterdir()):
        try:
            doc = read_file(path, corpus, scanner=scanner).document
        except Exception as exc:  # a file not in the cache: reported, the rest goes on
            print(f"{form}: {path.name}: {exc}", file=sys.stderr)
            continue
        out[path.stem] = list(doc.paragraphs)
    return out


def measure(devset: Path, eval_dir: Path, forms: list[str], folds: bool) -> dict[str, dict[str, int]]:
    from index import ocr_words

    lexicon = ocr_words.SyllableModel.build(ocr_words.read_words())
    models = {}
    if folds:
        for group in "abc":
            models[group] = lexicon.merged(ocr_words.SyllableModel.from_counts(*_counts(train_runs(group))))
    totals: dict[str, dict[str, int]] = {}
    for form in forms:
        if folds:
            bodies: dict[str, list[str]] = {}
            for group, model in models.items():
                ocr_words.default_model = lambda m=model: m  # type: ignore[assignment,misc]
                bodies |= {k: v for k, v in read_bodies(devset, eval_dir, form).items() if k.startswith(group)}
        else:
            bodies = read_bodies(devset, eval_dir, form)
        total = {"words": 0, "right": 0, "marks": 0, "chars": 0, "chars_right": 0}
        for stem, paragraphs in bodies.items():
            lines = (eval_dir / "docs" / f"{stem}.txt").read_text("utf-8").splitlines()
            got = compare(_words(" ".join(lines[4:])), _words(" ".join(paragraphs)))
            reference, read = " ".join(lines[4:]), " ".join(paragraphs)
            blocks = difflib.SequenceMatcher(None, reference, read, autojunk=False).get_matching_blocks()
            got |= {"chars": len(reference), "chars_right": sum(b.size for b in blocks)}
            for k in total:
                total[k] += got[k]
        totals[form] = total
    return totals


def _counts(runs: list[list[str]]) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    from collections import Counter

    uni: Counter[str] = Counter()
    bi: Counter[tuple[str, str]] = Counter()
    for run in runs:
        uni.update(run)
        bi.update(zip(run, run[1:], strict=False))
    return dict(uni), dict(bi)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write-counts", action="store_true")
    ap.add_argument("--devset", type=Path)
    ap.add_argument("--eval", type=Path)
    ap.add_argument("--forms", default="clean,poor,phone,screenshot")
    ap.add_argument("--folds", action="store_true")
    ap.add_argument("--grid", action="store_true")
    args = ap.parse_args()
    if args.write_counts:
        write_counts()
        return 0
    from index import ocr, ocr_words

    forms = args.forms.split(",")
    real = ocr_words.correct_words
    ocr_words.correct_words = lambda words, model=None: [w for w, _ in words]  # type: ignore[assignment]
    off = measure(args.devset, args.eval, forms, False)
    ocr_words.correct_words = real  # type: ignore[assignment]
    print("off", json.dumps(off), flush=True)
    settings = [(ocr_words.MARGIN, ocr_words.CONFIDENCE_WEIGHT, ocr_words.CAPITAL_MARGIN)]
    if args.grid:
        settings = [
            (m, c, k) for m in (0.0, 1.0, 2.0, 3.0, 4.0) for c in (0.0, 0.05, 0.1, 0.2) for k in (0.0, 2.0, 4.0)
        ]
    for margin, weight, capital in settings:
        ocr_words.MARGIN, ocr_words.CONFIDENCE_WEIGHT, ocr_words.CAPITAL_MARGIN = margin, weight, capital
        on = measure(args.devset, args.eval, forms, args.folds)
        gain = {f: on[f]["right"] - off[f]["right"] for f in forms}
        print(f"margin={margin} weight={weight} capital={capital}", json.dumps(on), "gain", json.dumps(gain),
              "total", sum(gain.values()), flush=True)  # fmt: skip
    del ocr
    return 0


if __name__ == "__main__":
    sys.exit(main())
