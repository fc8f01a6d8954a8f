"""Answering a question: hybrid lexical + dense retrieval tuned for this genre, with abstention.

The score of a passage mixes, each normalised per query:
- BM25 over the passage's analysed tokens (folded syllables, bigrams, document numbers, periods);
- BM25 over its document's title, issuing body and date (province, quarter, kind of document);
- cosine similarity of the question (diacritics restored, acronyms read) and the passage with its title;
- a little of the best neighbouring paragraph (a question often spans two adjacent paragraphs).
How surely the best passages answer (`Answer.confidence`, `Answer.p_answer`) is decided by the
answerability model (`index/answerability.py`) over the evidence of `index/evidence.py`, fitted on the
project's training questions (docs/RETRIEVAL.md).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.answerability import AnswerModel
from index.dense import ANN_ABOVE, DenseSide, read_vectors
from index.errors import ChidaoError, IndexCorrupt, ModelMismatch
from index.evidence import Ranked, features
from index.lexical import LexicalIndex
from index.model import Answer, DocMeta, Document, Hit, Passage
from index.places import PROVINCES
from index.store import current_snapshot, doc_from_json, read_manifest
from index.text import fold, has_diacritics
from index.tokens import analyse, words
from index.vocab import Vocab

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tuning:
    w_passage: float = 1.0
    w_doc: float = 0.15
    w_dense: float = 0.7
    w_neighbour: float = 0.05
    w_spec: float = 0.8
    # The rule earlier releases abstained by, now one feature of the answerability model
    # (`index/evidence.py`): the best passage (with its neighbours and title) covers this share of the
    # question's IDF weight (words, symbols, word pairs), or its dense similarity is high on its own
    # (on multilingual-e5-small's scale, where unrelated texts still score about 0.8), and a fitting
    # substitute for an unfit top candidate scores `substitute` of the way up to it.
    min_coverage: float = 0.25
    dense_alone: float = 0.93
    # How many of the best candidates are checked against the question's period, province and
    # answer type (`Searcher.fits`) before ranking.
    rerank_depth: int = 20
    substitute: float = 0.6
    # Above `ann_above` passages the dense side scores only candidates: the best `lexical_candidates`
    # of the lexical side, the `dense_candidates` nearest in the HNSW graph, and their neighbours.
    ann_above: int = ANN_ABOVE
    lexical_candidates: int = 1000
    dense_candidates: int = 200


DEFAULT_TUNING = Tuning()
# A question asking for a day, and a text stating one (both diacritic-folded, lower case).
_ASKS_DAY = re.compile(r"\bngay (?:nao|may|bao nhieu)\b")
_STATES_DAY = re.compile(r"\bngay\s+\d{1,2}\b|\b\d{1,2}\s*/\s*\d{1,2}\b")
# How much: "bao nhiêu" not followed by a unit of time or a count of people or things; the words for
# pay, allowances and fees (matched with diacritics); and a text stating an amount (folded).
_HOW_MUCH = re.compile(r"\bbao nhieu\b(?! (?:ngay|thang|nam|lan|nguoi|xa|truong hop|ho so|dang vien))")
_MONEY_WORDS = re.compile(r"\b(?:phụ cấp|lương|phí|tiền|trợ cấp|mức đóng|thù lao|hỗ trợ)\b")
_STATES_AMOUNT = re.compile(
    r"\d[\d.,]*\s*(?:dong|d\b|trieu|ty|nghin|ngan)|\bhe so\b|\bthang (?:luong|muc|phu cap|tien)\b|\blan muc\b"
    r"|(?:%|\bphan tram)\s*(?:cua\s+)?(?:tong\s+)?(?:quy\s+)?(?:tien\s+)?(?:muc\s+)?(?:luong|phu cap|tien)\b"
)
# A question asking for a share ("bao nhiêu phần trăm", "bao nhiêu %"), and a text stating one.
_ASKS_SHARE = re.compile(r"\bbao nhieu (?:phan tram|%)")
_STATES_SHARE = re.compile(r"%|\bphan tram\b")
# Words that ask when something is due, and a text stating a date, a month, a quarter or a recurrence.
_WHEN_WORDS = frozenset({"han", "ngay", "chot", "moc", "thoi"})
_STATES_WHEN = re.compile(
    _STATES_DAY.pattern
    + r"|\bthang\s+\d{1,2}\b|\bquy\s+(?:iv|iii|ii|i|[1-4])\b|\bnam\s+(?:19|20)\d\d\b"
    + r"|\bhang\s+(?:ngay|tuan|thang|quy|nam)\b"
)
# A four-digit year, and one that belongs to a document number ("178/2024/NĐ-CP", "35/2023/UBTVQH15").
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_NUMBERED_YEAR = re.compile(
    r"\d{1,4}\s*/\s*(?:19|20)\d\d\s*/\s*[a-z]"
    r"|\b(?:nghi dinh|nghi quyet|quyet dinh|thong tu|chi thi|ket luan|luat|nd|nq|qd|tt|ct|kl)\s*(?:so\s*)?"
    r"\d{1,4}\s*/\s*(?:19|20)\d\d"
)
_STOP = frozenset(
    "la cua va cac nhung co khong gi nao bao nhieu khi may thi o tai voi cho de duoc da se dang "
    "ai vay a ha nhe oi roi sao the nay do phai can".split()
)


_DEFAULT_MODEL: list[AnswerModel] = []


def default_answer_model() -> AnswerModel:
    """The shipped answerability model (`index/answerability.json`), read once per process."""
    if not _DEFAULT_MODEL:
        _DEFAULT_MODEL.append(AnswerModel.load())
    return _DEFAULT_MODEL[0]


class Searcher:
    """A loaded index snapshot. Thread-safe for concurrent `search` calls."""

    def __init__(
        self,
        snapshot: Path,
        encoder: Any | None,
        tuning: Tuning = DEFAULT_TUNING,
        answer_model: AnswerModel | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.manifest = read_manifest(snapshot)
        self.answer_model = answer_model or default_answer_model()
        if not self.answer_model.applies_to(self.manifest.get("model")):
            log.warning(
                "the answerability model was fitted for %s, the index uses %s: answering by the earlier rule "
                "(refit with `chidao eval --fit`)",
                self.answer_model.about.get("embedding_model"),
                self.manifest.get("model"),
            )
            self.answer_model = AnswerModel.rule()
        self.tuning = tuning
        self.encoder = encoder
        try:
            self.docs: list[Document] = [
                doc_from_json(d) for d in json.loads((snapshot / "docs.json").read_text("utf-8"))
            ]
            rows = json.loads((snapshot / "passages.json").read_text("utf-8"))
            self.vocab = Vocab(json.loads((snapshot / "vocab.json").read_text("utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorrupt(f"index snapshot {snapshot} is damaged: {exc}") from None
        self.passages = [Passage(self.docs[d].path, para, part, text) for d, para, part, text in rows]
        self.passage_doc = np.array([d for d, *_ in rows], dtype="int64")
        self.by_path = {d.path: i for i, d in enumerate(self.docs)}
        self.meta = [DocMeta(d.path, d.title, d.date, d.agency, len(d.paragraphs), number=d.number) for d in self.docs]
        self.lexical = LexicalIndex(snapshot / "bm25")
        self.doc_lexical = LexicalIndex(snapshot / "bm25_docs")
        if self.lexical.n != max(len(self.passages), 1):
            raise IndexCorrupt(f"index snapshot {snapshot}: BM25 and passages disagree")
        try:
            index, self.vectors = read_vectors(snapshot / "vectors.faiss")
        except RuntimeError as exc:
            raise IndexCorrupt(f"index snapshot {snapshot}: vectors unreadable ({exc})") from None
        if len(self.vectors) != len(self.passages):
            raise IndexCorrupt(f"index snapshot {snapshot}: vectors and passages disagree")
        self.dense = DenseSide(index, self.vectors, tuning.ann_above)
        # neighbour[i] = index of passage i-1 / i+1 within the same document, or -1
        same_prev = np.r_[False, self.passage_doc[1:] == self.passage_doc[:-1]]
        self.prev_idx = np.where(same_prev, np.arange(len(self.passages)) - 1, -1)
        same_next = np.r_[self.passage_doc[:-1] == self.passage_doc[1:], False]
        self.next_idx = np.where(same_next, np.arange(len(self.passages)) + 1, -1)
        # A document's passages are contiguous, in document order: doc_i owns [doc_start[i], doc_start[i + 1]).
        if np.any(np.diff(self.passage_doc) < 0):
            raise IndexCorrupt(f"index snapshot {snapshot}: passages out of document order")
        self.doc_start = np.searchsorted(self.passage_doc, np.arange(len(self.docs) + 1))
        # For specificity: which documents state a name or a symbol is read off the lexical indexes
        # (passage tokens, and titles/issuers), so nothing is re-analysed when a snapshot is opened.
        self.folded_names = sorted({" ".join(words(nm)) for nm in self.vocab.names}, key=len, reverse=True)
        self.title_symbols = [set(analyse(d.title, bigrams=False).symbols) for d in self.docs]
        title_symbol_set = set().union(*self.title_symbols) if self.title_symbols else set()
        self.known_symbols = {t for t in self.lexical.vocab if t.startswith("#")} | title_symbol_set
        provinces = [" ".join(words(x)) for x in PROVINCES]
        self.unknown_provinces = [p for p in provinces if not self._docs_with_name(p).any()]
        self.known_provinces = [p for p in provinces if p not in self.unknown_provinces]
        self._term_docs: dict[str, np.ndarray] = {}

    @classmethod
    def open(
        cls,
        index_dir: Path,
        model_name: str,
        encoder: Any | None = None,
        *,
        load_model: bool = True,
        tuning: Tuning = DEFAULT_TUNING,
        backend: str | None = None,
        answer_model: AnswerModel | None = None,
    ) -> Searcher:
        """The searcher of the current snapshot in `index_dir`, which must have been built with `model_name`
        (checked before any model is loaded). Without `encoder`, the model is loaded with `backend`
        (index.embed.load_encoder) unless `load_model` is False."""
        snapshot = current_snapshot(Path(index_dir))
        manifest = read_manifest(snapshot)
        if manifest.get("model") != model_name:
            raise ModelMismatch(
                f"index {index_dir} was built with model {manifest.get('model')!r}, "
                f"the configured model is {model_name!r}: rebuild with `chidao index build`"
            )
        if encoder is None and load_model:
            from index.embed import load_encoder

            encoder = load_encoder(model_name, backend)
        return cls(snapshot, encoder, tuning, answer_model)

    @property
    def passage_count(self) -> int:
        return len(self.passages)

    def documents(self) -> list[DocMeta]:
        return list(self.meta)

    def context(self, doc: str, paragraph: int, window: int = 1) -> list[tuple[int, str]]:
        d = self.docs[self.by_path[doc]]
        lo, hi = max(1, paragraph - window), min(len(d.paragraphs), paragraph + window)
        return [(n, d.paragraphs[n - 1]) for n in range(lo, hi + 1)]

    # -- the query -------------------------------------------------------------------------------
    def understand(self, query: str) -> tuple[str, str]:
        """(lexical text, dense text): acronyms read for both, diacritics restored for the dense side."""
        lexical = self.vocab.read_query(query)
        dense = lexical if has_diacritics(query) else self.vocab.restore(lexical)
        return lexical, dense

    def components(self, query: str, modes: tuple[str, ...] = ("lexical", "dense")) -> dict[str, Any]:
        """The signals for `query`, each normalised to about [0, 1], over `rows` (passage indices;
        None: every passage, in order)."""
        t = self.tuning
        lex_text, dense_text = self.understand(query)
        an = analyse(lex_text)
        tokens = an.all()
        n = len(self.passages)
        zeros = np.zeros(n, dtype="float32")
        bm25, doc, spec = zeros, zeros, zeros
        bm25_raw_max = 0.0
        if "lexical" in modes or "bm25" in modes:
            s = self.lexical.scores(tokens)
            bm25_raw_max = float(s.max()) if len(s) else 0.0
            bm25 = s / s.max() if s.max() > 0 else s
        if "lexical" in modes:
            d = self.doc_lexical.scores(tokens)
            doc = (d / d.max() if d.max() > 0 else d)[self.passage_doc]
            spec = self.specificity(lex_text, an)[self.passage_doc]
        qv = None
        if "dense" in modes and self.encoder is not None and n:
            qv = self.encoder.embed([dense_text], kind="query")[0]
        rows = None
        if qv is not None and not self.dense.exact:
            lexical_part = t.w_passage * bm25 + t.w_doc * doc + t.w_spec * spec
            # the union of both sides' candidates and their neighbours, in passage order (a mask over the
            # passages: cheaper than sorting the union at this size)
            keep = np.zeros(n, dtype=bool)
            keep[top_k(lexical_part, t.lexical_candidates)] = True
            keep[self.dense.nearest(qv, t.dense_candidates)] = True
            core = np.flatnonzero(keep)
            for adj in (self.prev_idx[core], self.next_idx[core]):
                keep[adj[adj >= 0]] = True
            rows = np.flatnonzero(keep)
        out: dict[str, Any] = {"tokens": an, "lex_text": lex_text, "dense_text": dense_text, "modes": modes}
        out["rows"] = rows
        out["bm25_raw_max"] = bm25_raw_max
        out["dense_median"] = 0.0
        pick = (lambda a: a) if rows is None else (lambda a: a[rows])
        out["bm25"], out["doc"], out["spec"] = pick(bm25), pick(doc), pick(spec)
        m = n if rows is None else len(rows)
        out["dense"] = out["dense_raw"] = np.zeros(m, dtype="float32")
        if qv is not None:
            raw = self.dense.raw(qv, rows)
            median = self.dense.median(qv, raw)
            spread = float(raw.max() - median) or 1.0
            out["dense_raw"] = raw
            out["dense_median"] = float(median)
            out["dense"] = (raw - median) / spread
        return out

    def combine(self, c: dict[str, Any], tuning: Tuning | None = None) -> np.ndarray:
        """Fused scores over `c["rows"]`."""
        t = tuning or self.tuning
        if c["modes"] == ("bm25",):  # the plain BM25 baseline, for comparison in `chidao eval`
            return np.asarray(c["bm25"], dtype="float32")
        w_dense = t.w_dense if "lexical" in c["modes"] else 1.0
        total = t.w_passage * c["bm25"] + t.w_doc * c["doc"] + t.w_spec * c["spec"] + w_dense * c["dense"]
        # a little of the best adjacent passage of the same document
        best_nb = np.zeros_like(total)
        for adj in (self.prev_idx, self.next_idx):
            pos, ok = self._positions(c["rows"], adj)
            best_nb = np.maximum(best_nb, np.where(ok, total[pos], 0))
        return np.asarray(total + t.w_neighbour * best_nb, dtype="float32")

    def _positions(self, rows: np.ndarray | None, adj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row, the position within `rows` of its neighbour `adj[row]`, and whether it is there."""
        if rows is None:
            return np.clip(adj, 0, None), adj >= 0
        target = adj[rows]
        pos = np.clip(np.searchsorted(rows, target), 0, len(rows) - 1)
        return pos, (target >= 0) & (rows[pos] == target)

    def specificity(self, lex_text: str, an: Any) -> np.ndarray:
        """Per document, the share of the question's specific terms (places and other proper names the
        corpus knows, document numbers, periods) that the document states anywhere."""
        folded_q = " " + " ".join(words(lex_text)) + " "
        names = [nm for nm in self.folded_names if f" {nm} " in folded_q]
        # a name inside a longer one ("ha tinh" in "tinh ha tinh") counts once
        terms = [nm for nm in names if not any(nm != o and nm in o for o in names)] + list(set(an.symbols))
        if not terms:
            return np.zeros(len(self.docs), dtype="float32")
        have = np.zeros(len(self.docs), dtype="float32")
        for term in terms:
            have += self._docs_stating(term)
        return have / len(terms)

    def _docs_stating(self, term: str) -> np.ndarray:
        """Per document, whether it states `term` (a folded corpus name or a #symbol). Cached: the terms
        that can hit are the corpus's own names and symbols, a bounded set."""
        hit = self._term_docs.get(term)
        if hit is None:
            if term.startswith("#"):
                if term not in self.known_symbols:
                    return np.zeros(len(self.docs), dtype=bool)
                hit = self._docs_with_token(term, titles=False)
                hit |= np.array([term in syms for syms in self.title_symbols], dtype=bool)
            else:
                hit = self._docs_with_name(term)
            self._term_docs[term] = hit
        return hit

    def _docs_with_token(self, token: str, titles: bool = True) -> np.ndarray:
        """Per document, whether one of its passages (or, with `titles`, its title, issuer and date)
        contains the analysed token."""
        hit = np.zeros(len(self.docs), dtype=bool)
        passages = self.lexical.containing(token)
        if len(passages):
            hit[self.passage_doc[passages]] = True
        if titles and self.docs:
            hit[self.doc_lexical.containing(token)] = True
        return hit

    def doc_has_token(self, token: str, doc_i: int) -> bool:
        """Whether document `doc_i` contains the analysed token in a passage, its title, issuer or date:
        `_docs_with_token(token)[doc_i]` without a pass over the token's postings."""
        start, end = int(self.doc_start[doc_i]), int(self.doc_start[doc_i + 1])
        return self.lexical.has_between(token, start, end) or self.doc_lexical.has(token, doc_i)

    def _docs_with_name(self, folded_name: str) -> np.ndarray:
        """Per document, whether it states a multi-syllable name: each of its syllable pairs occurs in
        the document's text or title."""
        syllables = folded_name.split()
        if len(syllables) < 2:
            return self._docs_with_token(folded_name)
        hit = np.ones(len(self.docs), dtype=bool)
        for a, b in zip(syllables, syllables[1:], strict=False):
            hit &= self._docs_with_token(f"{a}_{b}")
        return hit

    def scores(self, query: str, modes: tuple[str, ...] = ("lexical", "dense")) -> tuple[np.ndarray, dict[str, Any]]:
        c = self.components(query, modes)
        return self.combine(c), c

    def out_of_corpus(self, query: str, an: Any) -> bool:
        """The question names a province or a numbered document that the corpus never mentions."""
        folded_q = " " + " ".join(words(query)) + " "
        if any(f" {p} " in folded_q for p in self.unknown_provinces):
            return True
        numbered = [s for s in an.symbols if s[1:2] not in {"q", "h", "m"} or s.startswith("#qd")]
        return any(s not in self.known_symbols for s in numbered)

    @staticmethod
    def periods_named(an: Any) -> set[str]:
        """The quarters, half-years and months (with their year) the question names: `#q3y2024`."""
        return {s for s in an.symbols if s[1:2] in {"q", "h", "m"} and "y" in s and not s.startswith("#qd")}

    def period_where(self, periods: set[str], idx: int) -> tuple[bool, bool, bool]:
        """Where the periods named (`periods_named`) are stated for passage `idx`: (in the passage
        itself, in its document's title, by its document's own date). The date counts for a month
        only ("kế hoạch tháng 6/2024" issued 05/6/2024); a quarterly report is often dated in the
        first days of the next quarter."""
        if not periods:
            return True, True, True
        have = set(analyse(self.passages[idx].text, bigrams=False).symbols)
        title = self.title_symbols[int(self.passage_doc[idx])]
        date = self.docs[int(self.passage_doc[idx])].date
        dated = {f"#m{date.month}y{date.year}"} if date else set()

        def states(symbols: set[str]) -> bool:
            return all(p in symbols or p.split("y")[0] in symbols for p in periods)

        return states(have), states(title), all(p in dated for p in periods)

    def period_ok(self, an: Any, idx: int) -> bool:
        """A question about a quarter, half-year or month ("quý III/2024") is answered only by a passage
        whose text, document title or (for a month) document date names that period: a look-alike
        report of another quarter is not an answer."""
        return any(self.period_where(self.periods_named(an), idx))

    def years_named(self, lex_text: str) -> set[str]:
        """Years the question names as a period ("năm 2025", "2025", "quý I/2025"), not those inside
        a document number ("178/2024/NĐ-CP", "35/2023/UBTVQH15")."""
        folded = fold(lex_text).lower()
        folded = _NUMBERED_YEAR.sub(" ", folded)
        return set(_YEAR.findall(folded))

    def year_stated(self, years: set[str], idx: int) -> bool:
        """Whether the document of passage `idx` states every year in `years` (in its text, title or
        date)."""
        doc_i = int(self.passage_doc[idx])
        date = self.docs[doc_i].date
        return all((date is not None and str(date.year) == y) or self.doc_has_token(y, doc_i) for y in years)

    def fits(self, an: Any, places: list[str], asks: frozenset[str], idx: int) -> bool:
        """Whether passage `idx` can answer at all: right period, one of the provinces named
        (`places`, from `provinces_named`), and the kind of answer asked for (`asks`, from
        `answer_types`)."""
        return self.period_ok(an, idx) and self.place_ok(places, idx) and self.answer_type_ok(asks, idx)

    def provinces_named(self, lex_text: str) -> list[str]:
        """The provinces the corpus knows that the question names (folded)."""
        folded_q = " " + " ".join(words(lex_text)) + " "
        return [p for p in self.known_provinces if f" {p} " in folded_q]

    def provinces_named_any(self, lex_text: str) -> list[str]:
        """Every province the question names (folded), whether the corpus knows it or not."""
        folded_q = " " + " ".join(words(lex_text)) + " "
        return [p for p in (*self.known_provinces, *self.unknown_provinces) if f" {p} " in folded_q]

    @staticmethod
    def answer_types(lex_text: str, dense_text: str) -> frozenset[str]:
        """What kind of answer the question asks for: "day" ("ngày nào", "ngày mấy"), "share" ("bao
        nhiêu phần trăm"), "amount" (how much pay, allowance or fee: "phụ cấp bao nhiêu", "lệ phí bao
        nhiêu"; a percentage counts only as a share of pay: "50% mức lương"). The money words are read
        with diacritics (restored when the question was typed without them): folded, "tiến độ"
        would read as "tiền"."""
        folded = " ".join(words(lex_text))
        out = set()
        if _ASKS_DAY.search(folded):
            out.add("day")
        if _ASKS_SHARE.search(" ".join(fold(lex_text).lower().split())):
            out.add("share")
        elif _HOW_MUCH.search(folded) and _MONEY_WORDS.search(dense_text.lower()):
            out.add("amount")
        return frozenset(out)

    def place_ok(self, places: list[str], idx: int) -> bool:
        """A question about a province is answered only from a document that states that province
        (in its text, title or issuer): the look-alike report of a neighbouring province is not an
        answer. With several provinces named, the document must state one of them."""
        if not places:
            return True
        doc_i = int(self.passage_doc[idx])
        return any(self._docs_stating(p)[doc_i] for p in places)

    def answer_type_ok(self, asks: frozenset[str], idx: int) -> bool:
        """A question asking for a day is answered only by a passage that states one ("ngày 30/6/2024",
        "trước ngày 25", "15/7"); one asking for a share by a percentage; one asking how much money by
        an amount ("2.340.000 đồng", "hệ số 2,34", "1,5 tháng lương", "10% quỹ lương"; "100% thôn"
        is not one). A passage that merely mentions the subject does not answer."""
        if not asks:
            return True
        text = fold(self.passages[idx].text).lower()
        if "day" in asks and not _STATES_DAY.search(text):
            return False
        if "share" in asks and not _STATES_SHARE.search(text):
            return False
        return not ("amount" in asks and not _STATES_AMOUNT.search(text))

    def coverage(self, an: Any, idx: int) -> float:
        """Share of the question's IDF weight found around the best passage: its content words,
        symbols and content word pairs, in the passage, its neighbouring paragraphs or its document's
        title. Word pairs keep a question about "giá vàng" from looking covered by "đánh giá"."""
        terms = [w for w in dict.fromkeys(an.unigrams) if w not in _STOP and not w.isdigit()]
        terms += list(dict.fromkeys(an.symbols))
        terms += [
            b for b in dict.fromkeys(an.bigrams)
            if not any(x in _STOP or x.isdigit() for x in b.split("_"))
        ]  # fmt: skip
        if not terms:
            return 0.0
        doc_i = int(self.passage_doc[idx])
        around = np.array([j for j in (idx, self.prev_idx[idx], self.next_idx[idx]) if j >= 0])
        # "hạn", "ngày", "hạn chót" ask when: a passage that states a date or a period answers them
        # ("trước 31/5/2024") without using the words.
        dated = any(_STATES_WHEN.search(fold(self.passages[j].text).lower()) for j in around)
        have = 0.0
        total = 0.0
        for term in terms:
            idf = self.lexical.idf(term)
            total += idf
            if dated and all(x in _WHEN_WORDS for x in term.split("_")):
                have += idf
                continue
            if self.lexical.has(term, around) or self.doc_lexical.has(term, doc_i):
                have += idf
        return have / total if total else 0.0

    def search(self, query: str, k: int = 10, modes: tuple[str, ...] = ("lexical", "dense")) -> Answer:
        return self.search_explained(query, k, modes)[0]

    def search_explained(
        self, query: str, k: int = 10, modes: tuple[str, ...] = ("lexical", "dense")
    ) -> tuple[Answer, dict[str, float] | None]:
        """The answer and the evidence the answerability model judged it on (`index/evidence.py`;
        None when there was nothing to judge)."""
        query = " ".join(query.split())
        if not query or not self.passages:
            return Answer(query, False, (), "none", 0.0), None
        total, info = self.scores(query, modes)
        an = info["tokens"]
        rows = info["rows"]
        # The best candidates are checked against what the question pins down (period, province, a
        # day asked for); one that fails is not an answer and goes after every one that passes. This
        # belongs to the lexical side's reading of the question: a retriever measured without it
        # (dense alone, plain BM25) is judged on its own top passage.
        rerank = "lexical" in modes
        at = top_k(total, max(k, self.tuning.rerank_depth) if rerank else k)  # positions in `rows`
        cand = at if rows is None else rows[at]  # passage indices
        checked = len(cand) if rerank else 1
        fits = np.ones(len(cand), dtype=bool)
        places = self.provinces_named(info["lex_text"])
        asks = self.answer_types(info["lex_text"], info["dense_text"])
        fits[:checked] = [self.fits(an, places, asks, int(i)) for i in cand[:checked]]
        scores = total[at].astype("float64")
        if rerank and not fits.all():
            scores[~fits] -= float(scores.max() - scores.min()) + 1.0
        ranked = np.argsort(-scores, kind="stable")
        evidence = features(
            self, Ranked(query, info, total, at, cand, fits, ranked, places, asks, self.out_of_corpus(query, an))
        )
        p_answer = self.answer_model.probability(evidence)
        confidence = self.answer_model.level(p_answer) if float(total[at[ranked[0]]]) > 0 else "none"
        ranked = ranked[:k]
        order, scores = cand[ranked], scores[ranked]
        matched = self._matched_terms(an)
        hits = tuple(
            Hit(self.passages[i], self.meta[int(self.passage_doc[i])], float(sc), matched)
            for i, sc in zip(order, scores, strict=True)
        )
        return Answer(query, confidence == "high", hits, confidence, round(p_answer, 4)), evidence

    def _matched_terms(self, an: Any) -> tuple[str, ...]:
        """Folded query words worth highlighting (content words only)."""
        return tuple(w for w in dict.fromkeys(an.unigrams) if w not in _STOP and len(w) > 1)


class IndexHandle:
    """Holds the live Searcher; `reload` swaps in a newly built snapshot without stopping readers.

    Every `check_every` seconds the handle also looks at the index's CURRENT pointer, so a process
    that did not build the new snapshot itself (another replica, `chidao index build` run beside the
    bot) picks it up too. A snapshot that fails to load leaves the previous one answering.
    """

    def __init__(
        self,
        index_dir: Path,
        model_name: str,
        encoder_factory: Callable[[], Any] | None = None,
        check_every: float = 30.0,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.model_name = model_name
        self.check_every = check_every
        self._encoder: Any | None = None
        self._encoder_factory = encoder_factory
        self._searcher: Searcher | None = None
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    @property
    def encoder(self) -> Any:
        with self._lock:
            if self._encoder is None:
                if self._encoder_factory is not None:
                    self._encoder = self._encoder_factory()
                else:
                    from index.embed import load_encoder

                    self._encoder = load_encoder(self.model_name)
            return self._encoder

    @property
    def searcher(self) -> Searcher:
        s = self._searcher
        if s is None:
            return self.reload()
        if self._published_elsewhere(s):
            try:
                return self.reload()
            except ChidaoError as exc:
                log.error("new index snapshot not loaded, still answering from %s: %s", s.snapshot.name, exc)
        return s

    def _published_elsewhere(self, current: Searcher) -> bool:
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return False
        self._checked = now
        try:
            name = (self.index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        except OSError:
            return False
        return name != current.snapshot.name

    def reload(self) -> Searcher:
        encoder = self.encoder
        with self._lock:
            fresh = Searcher.open(self.index_dir, self.model_name, encoder)
            self._searcher = fresh
            self._checked = time.monotonic()
            return fresh


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """The same as `np.argsort(-scores, kind="stable")[:k]` (ties in index order) without sorting all."""
    neg = -scores
    if k >= len(neg):
        return np.argsort(neg, kind="stable")[:k]
    kth = np.partition(neg, k - 1)[k - 1]
    cand = np.flatnonzero(neg <= kth)  # every score tied with the k-th is kept, in index order
    return cand[np.argsort(neg[cand], kind="stable")][:k]
