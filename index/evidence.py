"""What the search knows about whether its best passages answer the question: the features of the
answerability model (`index/answerability.py`).

Every feature is read off what `Searcher.search` has already computed (the normalised signals over the
candidates, the checks of what the question pins down) or off the few best passages themselves, so the
cost per question is a handful of analyses of short texts, independent of the corpus size.

Topic terms are the question's content words and word pairs that are neither a province, a period nor
the question's frame ("bao nhiêu", "khi nào", "ở đâu", "ai", "hạn"): what the question is about. Their
share of IDF weight stated by the passage, its neighbours and its document tells a passage about the
asked thing from one that merely shares the province, the topic area and the frame.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.text import fold, split_sentences
from index.tokens import analyse, words

# The searcher (`index.search.Searcher`) is passed in, not imported: index.search imports this module, and
# the project's import graph has no cycles, type-only imports included (tests/test_imports.py).
Searcher = Any

# The question's frame: words that ask (how much, when, who, where, what) or only carry the chat.
FRAME = frozenset(
    "la cua va cac nhung co khong gi nao bao nhieu khi may thi o tai voi cho de duoc da se dang ai vay a ha nhe "
    "oi roi sao the nay do phai can han ngay chot moc thoi gio dau ra nhu biet hoi xin minh em anh chi oi "
    "vui long giup cu the cho hoi nhi ko k j dc ntn bn hok hem khong thi luc tu den trong tren duoi ve "
    "mot hai ba bon nam sau bay tam chin muoi".split()
)
# Period words: "quý", "tháng", "năm", roman numerals, halves.
PERIOD = frozenset("quy thang nam i ii iii iv dau cuoi nua q".split())
# A question asking for a number (how much, how many, which day) and a text stating one.
_ASKS_NUMBER = re.compile(r"\b(?:bao nhieu|may|ngay nao|ti le|ty le)\b")
_ASKS_WHO = re.compile(r"\b(?:ai|nguoi nao|don vi nao|co quan nao)\b")
_ASKS_WHERE = re.compile(r"\b(?:o dau|tai dau|dia diem|xa nao|huyen nao)\b")
_NUMBER = re.compile(r"\d")

FEATURES: tuple[str, ...] = (
    "s_top",  # fused score of the passage ranked first
    "s_margin",  # ... minus the second
    "s_gap",  # ... minus the last candidate checked
    "bm25_top",
    "bm25_raw",  # log(1 + the best raw BM25 score)
    "doc_top",
    "spec_top",
    "dense_top",
    "dense_raw_top",
    "dense_raw_gap",  # raw cosine of the top passage minus the median over the corpus
    "fits_top",
    "substituted",  # the top candidate failed the checks and a fitting one took its place
    "closeness",  # how far up the substitute scores, from the last candidate to the original top
    "fit_share",  # share of the candidates checked that fit
    "out_of_corpus",
    "period_asked",
    "period_in_passage",
    "period_in_title",
    "period_in_date",
    "year_asked",
    "year_stated",
    "place_asked",
    "place_ok",
    "place_in_passage",
    "type_asked",
    "type_ok",
    "coverage",  # the old rule's coverage: all content terms, passage + neighbours + title
    "topic_terms",  # log(1 + number of topic terms)
    "topic_passage",
    "topic_sentence",  # the best single sentence of the passage
    "topic_around",  # passage, neighbours, title
    "topic_doc",  # anywhere in the document
    "topic_pairs_around",  # topic word pairs only
    "topic_best3",  # best topic coverage (around) among the three passages ranked first
    "topic_unknown",  # share of the topic weight the corpus never uses
    "asks_number",
    "number_in_passage",
    "asks_who",
    "asks_where",
    "same_doc_top3",  # how many of the three best passages share the first one's document
    "dense_rank",  # log(1 + how many candidates the dense side alone puts above the top passage)
    "bm25_rank",  # the same for BM25 alone
    "dense_max_gap",  # best raw cosine over all candidates minus the top passage's
    "dense_neighbour",  # best raw cosine of the top passage's neighbouring paragraphs
    "rule",  # the hand-set rule of earlier releases (`Tuning.min_coverage`, `dense_alone`, `substitute`)
)


@dataclass(frozen=True)
class Ranked:
    """What `Searcher.search` computed for one question, as the features read it."""

    query: str
    info: dict[str, Any]  # Searcher.components
    total: np.ndarray  # fused scores over info["rows"]
    at: np.ndarray  # positions (in rows) of the candidates checked, best first before the checks
    cand: np.ndarray  # their passage indices
    fits: np.ndarray  # whether each candidate passed the checks
    ranked: np.ndarray  # order of the candidates after the checks (positions in `at`)
    places: list[str]
    asks: frozenset[str]
    out_of_corpus: bool


def topic_terms(s: Searcher, query: str, lex_text: str, an: Any, places: list[str]) -> tuple[list[str], list[str]]:
    """(topic words, topic word pairs) of a question: content terms minus province names, periods,
    the question frame and the acronyms read as names ("QT")."""
    drop = set(FRAME) | PERIOD
    for p in places:
        drop.update(p.split())
    for p in s.provinces_named_any(lex_text):
        drop.update(p.split())
    for token in re.findall(r"\b\w+\b", query):
        if token.isupper() and len(token) <= 5 and s.vocab.expand_acronyms(token) != token:
            drop.add(fold(token).lower())
    uni = [w for w in dict.fromkeys(an.unigrams) if w not in drop and not w.isdigit() and len(w) > 1]
    pairs = [b for b in dict.fromkeys(an.bigrams) if not any(x in drop or x.isdigit() for x in b.split("_"))]
    return uni, pairs


def _terms_of(text: str) -> set[str]:
    a = analyse(text, with_symbols=False)
    return set(a.unigrams) | set(a.bigrams)


class _Coverage:
    """IDF-weighted share of the topic terms stated by a text, a passage's surroundings or its document."""

    def __init__(self, s: Searcher, uni: list[str], pairs: list[str]) -> None:
        self.s = s
        self.terms = uni + pairs
        self.pairs = pairs
        self.idf = {t: s.lexical.idf(t) for t in self.terms}
        self.total = sum(self.idf.values())

    def share(self, have: set[str], terms: list[str] | None = None) -> float:
        terms = self.terms if terms is None else terms
        total = sum(self.idf[t] for t in terms)
        if not total:
            return 1.0
        return sum(self.idf[t] for t in terms if t in have) / total

    def in_doc(self, doc_i: int) -> float:
        if not self.total:
            return 1.0
        return sum(self.idf[t] for t in self.terms if self.s.doc_has_token(t, doc_i)) / self.total

    def unknown(self) -> float:
        if not self.total:
            return 0.0
        return sum(v for t, v in self.idf.items() if t not in self.s.lexical.vocab) / self.total


def features(s: Searcher, r: Ranked) -> dict[str, float]:
    """The feature values (`FEATURES`) of the passage `Searcher.search` ranks first."""
    info = r.info
    an = info["tokens"]
    lex_text = info["lex_text"]
    scores = r.total[r.at].astype("float64")
    order = r.ranked
    first = int(order[0])
    best_at, best = int(r.at[first]), int(r.cand[first])
    top_score, base = float(r.total[r.at[0]]), float(r.total[r.at[-1]])
    chosen = float(r.total[best_at])
    second = float(scores[int(order[1])]) if len(order) > 1 else base
    f: dict[str, float] = {}
    f["s_top"] = chosen
    f["s_margin"] = chosen - second if r.fits[first] else 0.0
    f["s_gap"] = chosen - base
    f["bm25_top"] = float(info["bm25"][best_at])
    f["bm25_raw"] = math.log1p(float(info.get("bm25_raw_max", 0.0)))
    f["doc_top"] = float(info["doc"][best_at])
    f["spec_top"] = float(info["spec"][best_at])
    f["dense_top"] = float(info["dense"][best_at])
    f["dense_raw_top"] = float(info["dense_raw"][best_at])
    f["dense_raw_gap"] = float(info["dense_raw"][best_at]) - float(info.get("dense_median", 0.0))
    f["fits_top"] = float(bool(r.fits[first]))
    f["substituted"] = float(not r.fits[0])
    f["closeness"] = (chosen - base) / (top_score - base) if top_score > base else 1.0
    f["fit_share"] = float(r.fits.mean())
    f["out_of_corpus"] = float(r.out_of_corpus)
    periods = s.periods_named(an)
    in_passage, in_title, in_date = s.period_where(periods, best)
    f["period_asked"] = float(bool(periods))
    f["period_in_passage"] = float(bool(periods) and in_passage)
    f["period_in_title"] = float(bool(periods) and in_title)
    f["period_in_date"] = float(bool(periods) and in_date)
    years = s.years_named(lex_text)
    f["year_asked"] = float(bool(years))
    f["year_stated"] = float(bool(years) and s.year_stated(years, best))
    f["place_asked"] = float(bool(r.places))
    f["place_ok"] = float(bool(r.places) and s.place_ok(r.places, best))
    passage = s.passages[best]
    folded_passage = " " + " ".join(words(passage.text)) + " "
    f["place_in_passage"] = float(any(f" {p} " in folded_passage for p in r.places))
    f["type_asked"] = float(bool(r.asks))
    f["type_ok"] = float(bool(r.asks) and s.answer_type_ok(r.asks, best))
    f["coverage"] = s.coverage(an, best)
    uni, pairs = topic_terms(s, r.query, lex_text, an, r.places)
    cov = _Coverage(s, uni, pairs)
    f["topic_terms"] = math.log1p(len(uni) + len(pairs))
    doc_i = int(s.passage_doc[best])
    own = _terms_of(passage.text)
    f["topic_passage"] = cov.share(own)
    f["topic_sentence"] = max((cov.share(_terms_of(x)) for x in split_sentences(passage.text)), default=0.0)
    around = own | _terms_of(s.docs[doc_i].title)
    for j in (s.prev_idx[best], s.next_idx[best]):
        if j >= 0:
            around |= _terms_of(s.passages[int(j)].text)
    f["topic_around"] = cov.share(around)
    f["topic_doc"] = cov.in_doc(doc_i)
    f["topic_pairs_around"] = cov.share(around, pairs)
    best3 = f["topic_around"]
    for k in order[1:3]:
        idx = int(r.cand[int(k)])
        if r.fits[int(k)]:
            best3 = max(
                best3, cov.share(_terms_of(s.passages[idx].text) | _terms_of(s.docs[int(s.passage_doc[idx])].title))
            )
    f["topic_best3"] = best3
    f["topic_unknown"] = cov.unknown()
    folded_q = " ".join(words(lex_text))
    f["asks_number"] = float(bool(_ASKS_NUMBER.search(folded_q)))
    f["number_in_passage"] = float(bool(_NUMBER.search(passage.text)))
    f["asks_who"] = float(bool(_ASKS_WHO.search(folded_q)))
    f["asks_where"] = float(bool(_ASKS_WHERE.search(folded_q)))
    f["same_doc_top3"] = float(sum(int(s.passage_doc[int(r.cand[int(k)])]) == doc_i for k in order[1:3]))
    dense_raw = np.asarray(info["dense_raw"])
    bm25 = np.asarray(info["bm25"])
    f["dense_rank"] = math.log1p(float(np.count_nonzero(dense_raw > dense_raw[best_at])))
    f["bm25_rank"] = math.log1p(float(np.count_nonzero(bm25 > bm25[best_at])))
    f["dense_max_gap"] = float(dense_raw.max() - dense_raw[best_at]) if len(dense_raw) else 0.0
    f["dense_neighbour"] = _neighbour_dense(s, info, best, f["dense_raw_top"])
    t = s.tuning
    f["rule"] = float(
        bool(r.fits[first])
        and (bool(r.fits[0]) or f["closeness"] >= t.substitute)
        and chosen > 0
        and not r.out_of_corpus
        and (f["coverage"] >= t.min_coverage or f["dense_raw_top"] >= t.dense_alone)
    )
    return f


def _neighbour_dense(s: Searcher, info: dict[str, Any], best: int, default: float) -> float:
    """The best raw cosine of the paragraphs before and after passage `best` (over `info["rows"]`)."""
    rows = info["rows"]
    out = []
    for j in (int(s.prev_idx[best]), int(s.next_idx[best])):
        if j < 0:
            continue
        if rows is None:
            out.append(float(info["dense_raw"][j]))
        else:
            pos = int(np.searchsorted(rows, j))
            if pos < len(rows) and rows[pos] == j:
                out.append(float(info["dense_raw"][pos]))
    return max(out) if out else default


def vector(f: dict[str, float]) -> np.ndarray:
    return np.array([f[name] for name in FEATURES], dtype="float64")
