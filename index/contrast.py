"""Contrast questions: an answerable question with its province, quarter, year or document number changed
to one its answering documents do not state. Nothing answers such a variant, and the passage that
answered the original is the most tempting wrong answer, so each variant must not be answered `high`.

A value is used only if no document of the corpus that states it also holds a paragraph stating most of
the gold span's words (then the variant could be answered there, and would not be a negative). Values the
corpus states elsewhere are preferred (their documents tempt); when there is none, a province, quarter or
year the corpus never states. The choice among the allowed values is deterministic (by question id).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from index.model import Document
from index.places import PROVINCES
from index.text import fold, has_diacritics
from index.tokens import analyse, words

SLOTS = ("province", "quarter", "year", "docnumber")
YEARS = tuple(str(y) for y in range(2021, 2028))
# Share of the gold span's content words a paragraph must state to count as (possibly) answering.
ANSWERS_SHARE = 0.6
_SPAN_STOP = frozenset("la cua va cac nhung co khong duoc da se dang cho de voi tai o trong tren".split())
_ROMAN = ("I", "II", "III", "IV")
_QUARTER = re.compile(r"\b(quy|q)\s*(iv|iii|ii|i|[1-4])\b(?!\s*[-/]\s*[a-z])")
_YEAR = re.compile(r"(?<![\d/.-])((?:19|20)\d\d)(?!\d)|(?<=/)((?:19|20)\d\d)(?![\d/])")
# A document number: "27-NQ/TW", "NQ 27", "nghị định 178", "178/2024/NĐ-CP", "QĐ 58".
_DOCNUM = re.compile(
    r"\b(?:nghi quyet|nghi dinh|quyet dinh|quy dinh|chi thi|ket luan|thong tu|nq|nd|qd|ct|kl|tt)"
    r"\s*(?:so\s*)?(\d{1,4})\b"
    r"|\b(\d{1,4})\s*[-/]\s*(?:(?:19|20)\d\d\s*/\s*)?(?:nq|nd|qd|ct|kl|tt|ubtvqh)"
)


@dataclass(frozen=True)
class _Doc:
    path: str
    folded: str  # " " + folded words of title, agency and text + " "
    symbols: frozenset[str]
    years: frozenset[str]
    numbers: frozenset[str]  # document numbers cited: "nq27"
    paragraphs: tuple[frozenset[str], ...]  # folded words per paragraph


def _prepare(doc: Document) -> _Doc:
    text = " ".join([doc.title, doc.agency or "", *doc.paragraphs])
    folded = fold(text).lower()
    syms = frozenset(analyse(text, bigrams=False).symbols)
    years = set(re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", folded))
    if doc.date:
        years.add(str(doc.date.year))
    nums = frozenset(s[1:] for s in syms if s[1:3] in {"nq", "nd", "qd", "ct", "kl", "tt"} or s.startswith("#ubtvqh"))
    paras = tuple(frozenset(words(p)) for p in (doc.title, *doc.paragraphs))
    return _Doc(doc.path, " " + " ".join(words(text)) + " ", syms, frozenset(years), nums, paras)


def _span_words(spans: Sequence[str]) -> list[set[str]]:
    return [{w for w in words(s) if w not in _SPAN_STOP} for s in spans]


def _answers(doc: _Doc, span_words: list[set[str]]) -> bool:
    """Whether one of the document's paragraphs states most of the words of one of the gold spans."""
    return any(sw and len(sw & para) >= ANSWERS_SHARE * len(sw) for sw in span_words for para in doc.paragraphs)


def _pick(options: Sequence[str], key: str) -> str:
    h = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16)
    return options[h % len(options)]


def _styled(new: str, old: str) -> str:
    """`new` written like `old`: without diacritics if `old` has none, lower case if `old` is."""
    if not has_diacritics(old):
        new = fold(new)
    if old.islower():
        new = new.lower()
    return new


class ContrastMaker:
    """Builds the contrast variants of questions over one corpus (the documents an index holds)."""

    def __init__(self, docs: Sequence[Document]) -> None:
        self.docs = [_prepare(d) for d in docs]
        self.by_name = {d.path.rsplit("/", 1)[-1]: d for d in self.docs}
        self.provinces = [(p, " ".join(words(p))) for p in PROVINCES]

    def variants(self, q: dict[str, Any]) -> list[dict[str, Any]]:
        """One variant per slot the question names (province, quarter, year, document number) for
        which an allowed value exists; none for a question without gold."""
        if not q.get("gold"):
            return []
        text = unicodedata.normalize("NFC", q["q"])
        gold = [self.by_name[g["doc"]] for g in q["gold"] if g["doc"] in self.by_name]
        if not gold or len(fold(text)) != len(text):
            return []
        sw = _span_words([g["span"] for g in q["gold"]])
        out = []
        for slot in SLOTS:
            new = getattr(self, f"_{slot}")(text, gold, sw, str(q.get("id", text)))
            if new and new != text:
                out.append({
                    "id": f"{q.get('id', '')}~{slot}", "q": new, "gold": [], "kind": "contrast",
                    "neg": f"contrast_{slot}", "source": q.get("id"), "docs": [g.path for g in gold],
                })  # fmt: skip
        return out

    def _allowed(
        self, stated: Any, gold: list[_Doc], sw: list[set[str]], values: Sequence[str], keeps: Any = None
    ) -> list[str]:
        """Values the gold documents do not state, preferring those stated elsewhere by documents
        that do not answer; `stated(doc, value)` says whether a document states a value, `keeps(doc)`
        whether it also states what else the question pins down (its other province, period, year):
        only such a document could answer the variant."""
        free = [v for v in values if not any(stated(g, v) for g in gold)]
        tempting: list[str] = []
        unused: list[str] = []
        for v in free:
            holders = [d for d in self.docs if stated(d, v)]
            could = [d for d in holders if keeps is None or keeps(d)]
            if any(_answers(d, sw) for d in could):
                continue
            (tempting if holders else unused).append(v)
        return tempting or unused

    def _pinned(self, text: str, skip: str) -> Any:
        """A test that a document states the question's pinned values other than the `skip` slot:
        its provinces, its quarters (with their year) and its years."""
        folded = fold(text).lower()
        provinces = (
            [] if skip == "province" else [fw for _, fw in self.provinces if f" {fw} " in f" {' '.join(words(text))} "]
        )
        periods = (
            []
            if skip == "quarter"
            else [
                x
                for x in analyse(text, bigrams=False).symbols
                if x.startswith("#q") and "y" in x and not x.startswith("#qd")
            ]
        )
        years = [] if skip == "year" else [m for m in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", folded)]

        def keeps(d: _Doc) -> bool:
            return (
                all(f" {fw} " in d.folded for fw in provinces)
                and all(x in d.symbols for x in periods)
                and all(y in d.years for y in years)
            )

        return keeps

    def _province(self, text: str, gold: list[_Doc], sw: list[set[str]], key: str) -> str | None:
        folded = fold(text).lower()
        for name, fw in sorted(self.provinces, key=lambda x: -len(x[1])):
            m = re.search(r"\b" + r"\W+".join(map(re.escape, fw.split())) + r"\b", folded)
            if not m:
                continue
            opts = self._allowed(
                lambda d, v: f" {' '.join(words(v))} " in d.folded, gold, sw,
                [p for p, _ in self.provinces if p != name], self._pinned(text, "province"),
            )  # fmt: skip
            if not opts:
                return None
            old = text[m.start() : m.end()]
            return text[: m.start()] + _styled(_pick(opts, key + "province"), old) + text[m.end() :]
        return None

    def _quarter(self, text: str, gold: list[_Doc], sw: list[set[str]], key: str) -> str | None:
        folded = fold(text).lower()
        m = _QUARTER.search(folded)
        if not m:
            return None
        after = folded[m.end() : m.end() + 12]
        ym = re.match(r"\s*(?:/|nam)\s*((?:19|20)\d\d)", after)
        year = ym[1] if ym else None
        old = m[2]
        now = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(old) or int(old)

        def stated(d: _Doc, v: str) -> bool:
            return f"#q{v}y{year}" in d.symbols if year else f"#q{v}" in d.symbols

        opts = self._allowed(stated, gold, sw, [str(n) for n in range(1, 5) if n != now], self._pinned(text, "quarter"))
        if not opts:
            return None
        n = int(_pick(opts, key + "quarter"))
        new = _ROMAN[n - 1] if old.isalpha() else str(n)
        raw = text[m.start(2) : m.end(2)]
        if raw.islower():
            new = new.lower()
        return text[: m.start(2)] + new + text[m.end(2) :]

    def _year(self, text: str, gold: list[_Doc], sw: list[set[str]], key: str) -> str | None:
        folded = fold(text).lower()
        for m in _YEAR.finditer(folded):
            start = m.start(1) if m[1] else m.start(2)
            if _DOCNUM.search(folded[max(0, start - 20) : start + 4]) and re.search(r"/\s*$", folded[:start]):
                continue  # the year of a document number ("178/2024/NĐ-CP")
            if re.match(r"\s*/\s*[a-z]", folded[start + 4 :]):
                continue
            old = folded[start : start + 4]
            if re.match(r"\s*[-–]\s*(?:19|20)\d\d", folded[start + 4 :]) or re.search(
                r"(?:19|20)\d\d\s*[-–]\s*$", folded[:start]
            ):
                continue  # a term of office ("nhiệm kỳ 2025-2030")
            opts = self._allowed(
                lambda d, v: v in d.years, gold, sw, [y for y in YEARS if y != old], self._pinned(text, "year")
            )
            if not opts:
                return None
            return text[:start] + _pick(opts, key + "year") + text[start + 4 :]
        return None

    def _docnumber(self, text: str, gold: list[_Doc], sw: list[set[str]], key: str) -> str | None:
        folded = fold(text).lower()
        m = _DOCNUM.search(folded)
        if not m:
            return None
        g = 1 if m[1] else 2
        sym = analyse(folded[m.start() : m.end()], bigrams=False).symbols
        if not sym:
            return None
        kind = re.sub(r"\d+$", "", sym[0][1:])
        old = m[g]
        cited = sorted({n for d in self.docs for n in d.numbers if re.sub(r"\d+$", "", n) == kind})
        values = [re.sub(r"^\D+", "", n) for n in cited if n != f"{kind}{int(old)}"]
        values += [str(int(old) + k) for k in (3, 7, 11, 19)]
        opts = self._allowed(
            lambda d, v: f"{kind}{v}" in d.numbers, gold, sw, list(dict.fromkeys(values)), self._pinned(text, "")
        )
        if not opts:
            return None
        return text[: m.start(g)] + _pick(opts, key + "docnumber") + text[m.end(g) :]


def contrast_set(questions: Sequence[dict[str, Any]], docs: Sequence[Document]) -> list[dict[str, Any]]:
    maker = ContrastMaker(docs)
    return [v for q in questions for v in maker.variants(q)]
