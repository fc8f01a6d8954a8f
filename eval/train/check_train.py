"""Validate eval/train: document format and question files (spans, ids, kinds).

Usage: python eval/train/check_train.py [questions_x.jsonl ...]
Without arguments every eval/train/questions_*.jsonl is checked. Exits 1 on errors; warnings
(question/paragraph word overlap, paraphrase content words) are printed for review.
"""

from __future__ import annotations

import collections
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
KINDS = {"direct", "paraphrase", "nodiacritics", "abbrev", "specific", "multi", "negative"}
NEGS = {"other_quarter", "other_year", "other_province", "other_docnumber", "absent_detail", "pair_absent", "off_topic"}
DATE_RE = re.compile(r"^Ngày: \d{2}/\d{2}/\d{4}$")
# Function syllables a paraphrase may share with its passage.
FUNCTION = set(
    """là và của các cho có được đã sẽ đang không với trong theo về tại từ đến trước sau khi thì mà này đó nào gì
    bao nhiêu mấy ai đâu sao thế nào như thế vậy nhé ạ ơi hả à chưa còn cũng đều mỗi một những người bị do để vào ra
    trên dưới lên xuống ngày tháng năm quý tỉnh huyện xã đồng ở hay hoặc nếu thế lúc rồi nữa chỉ vẫn hết nhiêu phần
    trăm số hôm lâu so""".split()
)


def strip_accents(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def words(text: str) -> list[str]:
    return re.findall(r"\w+(?:[./,-]\w+)*", text.lower())


def load_docs() -> tuple[dict[str, list[str]], list[str]]:
    errors: list[str] = []
    docs: dict[str, list[str]] = {}
    for path in sorted(DOCS.glob("*.txt")):
        raw = path.read_bytes().decode("utf-8")
        if unicodedata.normalize("NFC", raw) != raw:
            errors.append(f"{path.name}: not NFC")
        lines = raw.rstrip("\n").split("\n")
        if len(lines) < 5 or not lines[0].strip():
            errors.append(f"{path.name}: missing title/header")
            continue
        if not DATE_RE.match(lines[1]):
            errors.append(f"{path.name}: line 2 is not 'Ngày: dd/mm/yyyy': {lines[1]!r}")
        if not lines[2].startswith("Cơ quan: ") or len(lines[2]) < 12:
            errors.append(f"{path.name}: line 3 is not 'Cơ quan: ...'")
        if lines[3] != "":
            errors.append(f"{path.name}: line 4 is not blank")
        paras = lines[4:]
        if not 11 <= len(paras) <= 13:
            errors.append(f"{path.name}: {len(paras)} paragraphs (want 11-13)")
        for i, para in enumerate(paras, 5):
            if not para.strip():
                errors.append(f"{path.name}:{i}: blank line")
                continue
            if para != para.strip() or "  " in para:
                errors.append(f"{path.name}:{i}: stray spaces")
            sentences = [s for s in re.split(r"(?<=[.;!?])\s+(?=[A-ZÀ-Ỹ])", para) if s]
            if not 1 <= len(sentences) <= 5:
                errors.append(f"{path.name}:{i}: {len(sentences)} sentences (want 1-5)")
        docs[path.name] = paras
    return docs, errors


def overlap4(question: str, para: str) -> list[str]:
    """Runs of 4+ consecutive words shared by the question and the paragraph (accents ignored)."""
    q = words(strip_accents(question))
    p = " " + " ".join(words(strip_accents(para))) + " "
    hits = []
    for i in range(len(q) - 3):
        gram = " ".join(q[i : i + 4])
        if " " + gram + " " in p:
            hits.append(gram)
    return hits


def shared_content(question: str, para: str) -> set[str]:
    """Content syllables of the gold paragraph that the question repeats (accents ignored if the question has none)."""
    plain = all(ord(c) < 128 for c in question.replace("đ", "d").replace("Đ", "D"))
    fold = strip_accents if plain else (lambda t: t)
    function = {fold(w) for w in FUNCTION}
    qw = set(words(fold(question)))
    return {w for w in words(fold(para)) if w in qw and w not in function and not any(c.isdigit() for c in w)}


def main(argv: list[str]) -> int:
    docs, errors = load_docs()
    warnings: list[str] = []
    alltext = "\n".join("\n".join(p) for p in docs.values())
    files = [Path(a) for a in argv] or sorted(HERE.glob("questions_*.jsonl"))
    ids: set[str] = set()
    kinds: collections.Counter[str] = collections.Counter()
    negs: collections.Counter[str] = collections.Counter()
    for qf in files:
        batch = qf.stem.split("_", 1)[1]
        for n, line in enumerate(qf.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{qf.name}:{n}"
            if not line.strip():
                errors.append(f"{where}: blank line")
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: bad JSON ({exc})")
                continue
            qid, q, gold, kind = item.get("id"), item.get("q"), item.get("gold"), item.get("kind")
            where = f"{qf.name}:{n} {qid}"
            if not isinstance(qid, str) or not re.fullmatch(re.escape(batch) + r"\d{3}", qid):
                errors.append(f"{where}: bad id")
            if qid in ids:
                errors.append(f"{where}: duplicate id")
            ids.add(qid)
            if not isinstance(q, str) or not q.strip() or unicodedata.normalize("NFC", q) != q:
                errors.append(f"{where}: bad question text")
                continue
            if kind not in KINDS or not isinstance(gold, list):
                errors.append(f"{where}: bad kind/gold")
                continue
            kinds[kind] += 1
            if kind == "negative":
                if gold:
                    errors.append(f"{where}: negative with gold")
                if item.get("neg") not in NEGS:
                    errors.append(f"{where}: bad neg {item.get('neg')!r}")
                negs[item.get("neg")] += 1
                continue
            if "neg" in item:
                errors.append(f"{where}: answerable with neg")
            if not gold or (kind == "multi") != (len(gold) > 1) or len(gold) > 3:
                errors.append(f"{where}: {len(gold)} gold spans for kind {kind}")
            if kind == "multi" and len({g.get("doc") for g in gold}) != len(gold):
                errors.append(f"{where}: multi spans not from different docs")
            for g in gold:
                doc, span = g.get("doc"), g.get("span")
                if doc not in docs or not isinstance(span, str):
                    errors.append(f"{where}: unknown doc {doc!r}")
                    continue
                nw = len(span.split())
                if not 6 <= nw <= 20:
                    errors.append(f"{where}: span has {nw} words")
                paras = [p for p in docs[doc] if span in p]
                if len(paras) != 1 or paras[0].count(span) != 1:
                    errors.append(f"{where}: span found in {len(paras)} paragraphs of {doc}: {span!r}")
                    continue
                if alltext.count(span) != 1:
                    errors.append(f"{where}: span occurs {alltext.count(span)} times across docs: {span!r}")
                hits = overlap4(q, paras[0])
                if hits:
                    warnings.append(f"{where}: 4-word overlap with gold paragraph: {hits}")
                if kind == "paraphrase":
                    shared = shared_content(q, paras[0])
                    if shared:
                        warnings.append(f"{where}: paraphrase shares with its paragraph {sorted(shared)}")
    for w in warnings:
        print("WARN", w)
    for e in errors:
        print("ERROR", e)
    answerable = sum(v for k, v in kinds.items() if k != "negative")
    print(f"docs {len(docs)}; questions {sum(kinds.values())}: answerable {answerable}, negative {kinds['negative']}")
    print("kinds:", dict(sorted(kinds.items())))
    print("neg kinds:", dict(sorted(negs.items())))
    print(f"{len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
