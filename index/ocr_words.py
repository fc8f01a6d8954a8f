"""Post-OCR correction of Vietnamese syllables: the tone and vowel marks tesseract misreads.

Tesseract's Vietnamese model reads most syllables right but slips on marks: "tỉnh giản" for "tinh
giản", "công chúc" for "công chức", "chỉ bộ" for "chi bộ". Such a slip is still a well-formed syllable
(`index.legacy.is_vietnamese_syllable` cannot see it); the words around it can.

For each word of an OCR'd line the candidates are the known syllables with the same base letters (the word
with its marks stripped: "chuc" → chúc, chức, chục, chuc, …), scored by a syllable bigram model with the
word before and the word after. The word is replaced only when the best candidate beats tesseract's own
reading by MARGIN (natural log) plus CONFIDENCE_WEIGHT for each point of tesseract's confidence in the
word above 50: a word tesseract is sure of needs strong evidence. A syllable the model does not know is
left alone: on the training documents every slip was a common syllable read for another, while the unknown
ones were names ("Nguyễn" is in neither source, nor are "Đắk", "Krông"). Letter case is kept ("TỈNH" stays
in capitals, "Tỉnh" capitalised); words with digits or inner punctuation are left alone.

The model (`SyllableModel`) is built from two files in index/data/:

* vi_words.txt, the Vietnamese dictionary of pyvi (31k words, 22k of them of two syllables; MIT): every
  pair of adjacent syllables inside a word counts LEXICON_PAIR times, every syllable LEXICON_SYLLABLE.
* vi_counts.tsv, syllable unigram and bigram counts of the project's training documents
  (eval/train/docs, never the eval set), written by `bench/ocr_words.py --write-counts`.

The margins were chosen on OCR'd renders of the 20 first training documents (poor scans and phone photos
of bench/scan_devset.py with `--eval` on eval/train, 10,344 words each), every document corrected with the
counts of the other two training groups only (bench/ocr_words.py --folds): the wrong marks went from 49 to
11 (poor scans) and from 43 to 7 (photos), no right word made wrong. The slips tesseract makes come with a
lower confidence (55-94) than its right readings (96-97), so the confidence term does most of the work: a
weight of 0.10 instead of 0.15 would fix 8 more words and break 34. A word that is no syllable because a
vowel stands twice with different marks ("ĐẢẲNG", "TRIỂẾN": tesseract's reading of some marked capitals)
loses one of the two, the one whose loss leaves the likelier syllable. Not adopted: interpolating the
bigram with the unigram at a fixed weight (Jelinek-Mercer) separated right from wrong changes less well
(36 fixed for none broken), and correcting every word with marks that is no syllable by leaving out any
one letter fixed none and would have broken 26 names such as "Đắk", "H'leo", "Dêr" (no syllables either).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from index.legacy import is_vietnamese_syllable
from index.text import fold, normalise

DATA = Path(__file__).resolve().parent / "data"
WORDS_FILE = DATA / "vi_words.txt"
COUNTS_FILE = DATA / "vi_counts.tsv"

LEXICON_PAIR = 1.0  # pseudo-count of a syllable pair that makes a dictionary word
LEXICON_SYLLABLE = 1.0  # pseudo-count of a syllable for each dictionary word it is in
SMOOTHING = 2.0  # weight of the unigram in the bigram estimate (Dirichlet prior)
UNSEEN = 0.1  # count given to a syllable never seen
MARGIN = 2.0  # the best candidate must beat the OCR'd word by this much (log), plus:
CONFIDENCE_WEIGHT = 0.15  # per point of tesseract's word confidence above 50
CAPITAL_MARGIN = 2.0  # more for a capitalised word (it may be a name)
EXTRA_MARK = 2.0  # more for each mark beyond the first that the candidate changes ("đảng" → "dạng": 2)
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")

_TOKEN = re.compile(r"^(\W*)(.*?)(\W*)$")


@dataclass(frozen=True)
class SyllableModel:
    """Syllable counts (lower case) and the syllables sharing each base-letter form."""

    unigrams: dict[str, float]
    bigrams: dict[tuple[str, str], float]
    variants: dict[str, tuple[str, ...]] = field(repr=False)
    total: float

    @classmethod
    def build(cls, words: Iterable[str], texts: Iterable[Sequence[str]] = ()) -> SyllableModel:
        """From dictionary words ("công chức") and runs of syllables of running text (already split at
        punctuation: adjacent syllables of a run make bigrams)."""
        uni: dict[str, float] = {}
        bi: dict[tuple[str, str], float] = {}
        for word in words:
            syllables = [s for s in word.lower().split() if is_vietnamese_syllable(s)]
            for s in syllables:
                uni[s] = uni.get(s, 0.0) + LEXICON_SYLLABLE
            for pair in zip(syllables, syllables[1:], strict=False):
                bi[pair] = bi.get(pair, 0.0) + LEXICON_PAIR
        for run in texts:
            syllables = [s.lower() for s in run]
            for s in syllables:
                uni[s] = uni.get(s, 0.0) + 1.0
            for pair in zip(syllables, syllables[1:], strict=False):
                bi[pair] = bi.get(pair, 0.0) + 1.0
        return cls.from_counts(uni, bi)

    @classmethod
    def from_counts(cls, uni: Mapping[str, float], bi: Mapping[tuple[str, str], float]) -> SyllableModel:
        groups: dict[str, list[str]] = {}
        for s in uni:
            if is_vietnamese_syllable(s):
                groups.setdefault(fold(s), []).append(s)
        variants = {k: tuple(sorted(v)) for k, v in groups.items()}
        return cls(dict(uni), dict(bi), variants, float(sum(uni.values())))

    def merged(self, other: SyllableModel) -> SyllableModel:
        uni = dict(self.unigrams)
        for k, v in other.unigrams.items():
            uni[k] = uni.get(k, 0.0) + v
        bi = dict(self.bigrams)
        for pair, v in other.bigrams.items():
            bi[pair] = bi.get(pair, 0.0) + v
        return SyllableModel.from_counts(uni, bi)

    def p_unigram(self, s: str) -> float:
        v = len(self.unigrams) + 1
        return (self.unigrams.get(s, 0.0) + UNSEEN) / (self.total + UNSEEN * v)

    def p_bigram(self, a: str, b: str) -> float:
        """P(b | a), the bigram count smoothed towards the unigram."""
        return (self.bigrams.get((a, b), 0.0) + SMOOTHING * self.p_unigram(b)) / (
            self.unigrams.get(a, 0.0) + SMOOTHING
        )

    def score(self, s: str, left: str | None, right: str | None) -> float:
        """log P(s | left) + log P(right | s); the unigram when there is no word on the left."""
        out = math.log(self.p_bigram(left, s) if left else self.p_unigram(s))
        if right:
            out += math.log(self.p_bigram(s, right))
        return out


@dataclass(frozen=True)
class Token:
    lead: str
    core: str
    trail: str

    @classmethod
    def parse(cls, word: str) -> Token:
        m = _TOKEN.match(word)
        assert m is not None  # the pattern matches every string
        return cls(m.group(1), m.group(2), m.group(3))

    @property
    def syllable(self) -> str | None:
        """The core in lower case when it is a Vietnamese syllable (letters only, sane case)."""
        core = self.core
        if not core or not core.isalpha() or not is_vietnamese_syllable(core):
            return None
        return core.lower()


def _marks(syllable: str) -> tuple[str, list[frozenset[str]]]:
    """The tone of a syllable and, letter by letter, its other marks (the hat of â, the horn of ư, the
    stroke of đ)."""
    tone = ""
    letters: list[frozenset[str]] = []
    for c in unicodedata.normalize("NFD", syllable.replace("đ", "d\u0335")):
        if c in _TONE_MARKS:
            tone = c
        elif unicodedata.combining(c):
            letters[-1] = letters[-1] | {c}
        else:
            letters.append(frozenset())
    return tone, letters


def mark_changes(a: str, b: str) -> int:
    """How many marks differ between two syllables of the same base letters: the tone counts one, each
    letter whose hat, breve, horn or stroke differs one ("chúc"/"chức" 1, "đảng"/"dạng" 2)."""
    tone_a, letters_a = _marks(a)
    tone_b, letters_b = _marks(b)
    return (tone_a != tone_b) + sum(x != y for x, y in zip(letters_a, letters_b, strict=False))


def _recase(candidate: str, like: str) -> str:
    if len(like) > 1 and like.isupper():
        return candidate.upper()
    if like[0].isupper():
        return candidate[0].upper() + candidate[1:]
    return candidate


def _base(letter: str) -> str:
    return fold(letter.lower())


def _undoubled(core: str, model: SyllableModel) -> list[str]:
    """For a word that is no syllable because one vowel stands twice with different marks ("ĐẢẲNG",
    "TRIỂẾN", "THỰỤC": tesseract reads a marked capital as two letters), the known syllables left when one
    of the two is dropped; empty for anything else."""
    if not core.isalpha() or not (core.islower() or core.isupper() or core.istitle()):
        return []
    word = core.lower()
    out: list[str] = []
    for i, (a, b) in enumerate(zip(word, word[1:], strict=False)):
        if a != b and _base(a) == _base(b) and _base(a) in "aeiouy":
            for dropped in (word[:i] + word[i + 1 :], word[: i + 1] + word[i + 2 :]):
                if dropped in model.unigrams and is_vietnamese_syllable(dropped) and dropped not in out:
                    out.append(dropped)
    return out


def _neighbours(tokens: Sequence[Token], syllables: Sequence[str | None], i: int) -> tuple[str | None, str | None]:
    """The syllables before and after word i when nothing stands between them (no punctuation)."""
    token = tokens[i]
    left = syllables[i - 1] if i > 0 and not tokens[i - 1].trail and not token.lead else None
    right = syllables[i + 1] if i + 1 < len(tokens) and not token.trail and not tokens[i + 1].lead else None
    return left, right


def correct_words(words: Sequence[tuple[str, float]], model: SyllableModel | None = None) -> list[str]:
    """The words of one OCR'd line (text, tesseract's confidence 0-100), marks corrected where the
    model is clearly more confident than tesseract (see the module docstring)."""
    model = model if model is not None else default_model()
    tokens = [Token.parse(unicodedata.normalize("NFC", w)) for w, _ in words]
    syllables = [t.syllable for t in tokens]
    out = [w for w, _ in words]
    doubled: set[int] = set()
    for i, token in enumerate(tokens):
        if syllables[i] is None and (undoubled := _undoubled(token.core, model)):
            left, right = _neighbours(tokens, syllables, i)
            syllables[i] = max(undoubled, key=lambda c: model.score(c, left, right))
            out[i] = token.lead + _recase(syllables[i] or "", token.core) + token.trail
            doubled.add(i)
    for i, (token, syllable) in enumerate(zip(tokens, syllables, strict=True)):
        if syllable is None or i in doubled:
            continue
        if syllable not in model.unigrams:
            continue  # a syllable the model never saw is a name or a rare word ("Nguyễn", "Krông"), no slip
        candidates = model.variants.get(fold(syllable), ())
        if len(candidates) < 2:
            continue
        left, right = _neighbours(tokens, syllables, i)
        if left is not None and out[i - 1] != words[i - 1][0]:
            left = Token.parse(out[i - 1]).core.lower()  # the word before as corrected
        own = model.score(syllable, left, right)
        best, best_score = syllable, own
        for c in candidates:
            if c == syllable:
                continue
            s = model.score(c, left, right)
            if s > best_score:
                best, best_score = c, s
        if best == syllable:
            continue
        margin = MARGIN + CONFIDENCE_WEIGHT * max(0.0, words[i][1] - 50.0)
        margin += EXTRA_MARK * max(0, mark_changes(syllable, best) - 1)
        if token.core[0].isupper() and not token.core.isupper():
            margin += CAPITAL_MARGIN
        if best_score - own > margin:
            out[i] = token.lead + _recase(best, token.core) + token.trail
    return out


def text_runs(text: str) -> list[list[str]]:
    """Runs of Vietnamese syllables of a text, split at punctuation and at anything not a syllable."""
    runs: list[list[str]] = []
    for piece in re.split(r"[.,;:!?()\[\]\"“”'‘’…/\n–—-]+", normalise(text)):
        run: list[str] = []
        for word in piece.split():
            if word.isalpha() and is_vietnamese_syllable(word):
                run.append(word.lower())
            else:
                if len(run) > 0:
                    runs.append(run)
                run = []
        if run:
            runs.append(run)
    return runs


def read_words(path: Path = WORDS_FILE) -> list[str]:
    return [ln.strip() for ln in path.read_text("utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


def read_counts(path: Path = COUNTS_FILE) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """vi_counts.tsv: "syllable<TAB>count" and "syllable syllable<TAB>count" lines."""
    uni: dict[str, float] = {}
    bi: dict[tuple[str, str], float] = {}
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, count = line.rsplit("\t", 1)
        parts = key.split(" ")
        if len(parts) == 1:
            uni[parts[0]] = float(count)
        elif len(parts) == 2:
            bi[(parts[0], parts[1])] = float(count)
    return uni, bi


def write_counts(runs: Iterable[Sequence[str]], path: Path, note: str) -> None:
    uni: Counter[str] = Counter()
    bi: Counter[str] = Counter()
    for run in runs:
        uni.update(run)
        bi.update(f"{a} {b}" for a, b in zip(run, run[1:], strict=False))
    lines = [f"# {line}" for line in note.splitlines()]
    lines += [f"{k}\t{v}" for k, v in sorted(uni.items())]
    lines += [f"{k}\t{v}" for k, v in sorted(bi.items())]
    path.write_text("\n".join(lines) + "\n", "utf-8")


@lru_cache(maxsize=1)
def default_model() -> SyllableModel:
    """The dictionary and the training documents' counts (index/data/), read once."""
    lexicon = SyllableModel.build(read_words())
    if not COUNTS_FILE.is_file():
        return lexicon
    return lexicon.merged(SyllableModel.from_counts(*read_counts()))
