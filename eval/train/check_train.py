"""Validate chidao's own training data under eval/train/ (format rules of TRAINDATA.md).

Usage: python eval/train/check_train.py [questions_x.jsonl ...]
Without arguments every eval/train/questions_*.jsonl is checked. Exit status 1 on any error;
warnings (possible copying, diacritics in a nodiacritics question) do not fail.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
DATE_RE = re.compile(r"^Ngày: \d{2}/\d{2}/\d{4}$")
NAME_RE = re.compile(r"^[a-z]\d{2}_[a-z0-9_]+\.txt$")
KINDS = {"direct", "paraphrase", "nodiacritics", "abbrev", "specific", "multi", "negative"}
NEGS = {"other_quarter", "other_year", "other_province", "other_docnumber", "absent_detail", "pair_absent",
        "off_topic"}
# Sentence ends: ., ?, ! followed by space and an upper-case letter (numbers like 2.340.000 are not ends).
SENT_END_RE = re.compile(r"[.!?;]\s+(?=[A-ZĐÀ-Ỹ])")


def strip_accents(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def words(text: str) -> list[str]:
    return re.findall(r"\w+(?:[.,/]\w+)*", text.lower())


def load_docs(errors: list[str]) -> dict[str, list[str]]:
    """Return {file name: paragraphs}, recording format errors."""
    docs: dict[str, list[str]] = {}
    for path in sorted(DOCS.glob("*.txt")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(f"{path.name}: not UTF-8")
            continue
        if unicodedata.normalize("NFC", text) != text:
            errors.append(f"{path.name}: not NFC")
        if not NAME_RE.match(path.name):
            errors.append(f"{path.name}: file name is not <batch><nn>_<slug>.txt")
        lines = text.rstrip("\n").split("\n")
        if len(lines) < 5 or not lines[0].strip():
            errors.append(f"{path.name}: missing title")
            continue
        if not DATE_RE.match(lines[1]):
            errors.append(f"{path.name}: line 2 is not 'Ngày: dd/mm/yyyy': {lines[1]!r}")
        if not lines[2].startswith("Cơ quan: ") or len(lines[2]) <= len("Cơ quan: "):
            errors.append(f"{path.name}: line 3 is not 'Cơ quan: ...'")
        if lines[3] != "":
            errors.append(f"{path.name}: line 4 is not blank")
        paras = lines[4:]
        if any(not p.strip() for p in paras):
            errors.append(f"{path.name}: blank line among paragraphs")
        if not 11 <= len(paras) <= 13:
            errors.append(f"{path.name}: {len(paras)} paragraphs (want 11-13)")
        for i, p in enumerate(paras, 1):
            n = len(SENT_END_RE.split(p.strip()))
            if n > 5:
                errors.append(f"{path.name}: paragraph {i} has {n} sentences (want 1-5)")
        docs[path.name] = paras
    return docs


def check_questions(files: list[Path], docs: dict[str, list[str]], errors: list[str], warnings: list[str]) -> Counter:
    all_text = "\n".join("\n".join(p) for p in docs.values())
    ids: set[str] = set()
    counts: Counter = Counter()
    for qfile in files:
        batch = qfile.stem.removeprefix("questions_")
        for ln, line in enumerate(qfile.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{qfile.name}:{ln}"
            if not line.strip():
                errors.append(f"{where}: blank line")
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: bad JSON ({exc})")
                continue
            qid, q, gold, kind = item.get("id"), item.get("q"), item.get("gold"), item.get("kind")
            if not isinstance(qid, str) or not re.fullmatch(rf"{re.escape(batch)}\d{{3}}", qid):
                errors.append(f"{where}: bad id {qid!r}")
            if qid in ids:
                errors.append(f"{where}: duplicate id {qid}")
            ids.add(qid)
            if not isinstance(q, str) or not q.strip():
                errors.append(f"{where}: empty question")
                continue
            if unicodedata.normalize("NFC", q) != q:
                errors.append(f"{where}: question not NFC")
            if kind not in KINDS:
                errors.append(f"{where}: bad kind {kind!r}")
            if not isinstance(gold, list):
                errors.append(f"{where}: gold is not a list")
                continue
            if kind == "negative":
                counts[("negative", item.get("neg"))] += 1
                if gold:
                    errors.append(f"{where}: negative with gold")
                if item.get("neg") not in NEGS:
                    errors.append(f"{where}: bad neg {item.get('neg')!r}")
                continue
            counts[(kind, "")] += 1
            if "neg" in item:
                errors.append(f"{where}: answerable question with neg")
            if not gold:
                errors.append(f"{where}: answerable question without gold")
            if kind == "multi":
                if not 2 <= len(gold) <= 3 or len({g.get("doc") for g in gold}) != len(gold):
                    errors.append(f"{where}: multi needs 2-3 spans from different docs")
            elif len(gold) != 1:
                errors.append(f"{where}: {kind} question needs exactly one gold span")
            if kind == "nodiacritics" and strip_accents(q) != q:
                warnings.append(f"{where}: nodiacritics question has diacritics")
            for g in gold:
                doc, span = g.get("doc"), g.get("span", "")
                if doc not in docs:
                    errors.append(f"{where}: unknown doc {doc!r}")
                    continue
                n_words = len(span.split())
                if not 6 <= n_words <= 20:
                    errors.append(f"{where}: span has {n_words} words (want 6-20): {span!r}")
                hits = [p for p in docs[doc] if span in p]
                if len(hits) != 1:
                    errors.append(f"{where}: span in {len(hits)} paragraphs of {doc}: {span!r}")
                    continue
                total = all_text.count(span)
                if total != 1:
                    errors.append(f"{where}: span occurs {total} times across eval/train/docs: {span!r}")
                qw, pw = words(q), words(hits[0])
                pgrams = {tuple(pw[i:i + 4]) for i in range(len(pw) - 3)}
                copied = [" ".join(qw[i:i + 4]) for i in range(len(qw) - 3) if tuple(qw[i:i + 4]) in pgrams]
                if copied:
                    warnings.append(f"{where}: copies 4 words from its paragraph: {copied}")
    return counts


def main(argv: list[str]) -> int:
    errors: list[str] = []
    warnings: list[str] = []
    docs = load_docs(errors)
    files = [Path(a) for a in argv] if argv else sorted(HERE.glob("questions_*.jsonl"))
    counts = check_questions(files, docs, errors, warnings)
    for w in warnings:
        print("WARN ", w)
    for e in errors:
        print("ERROR", e)
    print(f"{len(docs)} docs; questions by kind:")
    for (kind, neg), n in sorted(counts.items()):
        print(f"  {kind:13s} {neg:16s} {n}")
    answerable = sum(n for (k, _), n in counts.items() if k != "negative")
    negatives = sum(n for (k, _), n in counts.items() if k == "negative")
    print(f"answerable {answerable}, negatives {negatives}; {len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
