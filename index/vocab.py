"""What the corpus teaches about its own words: accented forms of folded words (to restore diacritics
of questions typed without them) and proper names (to read acronyms such as QT = Quảng Trị)."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from index.abbreviations import full_forms, is_syllable, known_abbreviation
from index.model import Document
from index.text import fold, has_diacritics

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ACRONYM = re.compile(r"^(?:[A-ZĐ][a-zđ]{0,2}){2,4}$")
MAX_NAMES = 5000
# A question's word, with the punctuation around it: ("(", "quý", ",").
_PIECE = re.compile(r"^([\"“(\[]*)(.*?)([,.;:!?)\]\"”…]*)$")
_ROMAN = re.compile(r"(?:i{1,3}|iv|vi{0,3}|ix|xi{0,2})", re.IGNORECASE)
# Words a roman numeral follows: "quý I", "khóa XIII", "phần II".
_NUMBERED = frozenset({"quy", "khoa", "phan", "chuong", "muc", "dot", "ky", "giai", "doan", "lan", "so"})
_VOWELS = frozenset("aeiouy")  # "o" may be "ở" typed without diacritics
SHORT_FORM = 3  # a word of at most this many letters that is no syllable is a short form


def build_vocab(docs: list[Document]) -> dict[str, Any]:
    uni: Counter[str] = Counter()
    bi: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for doc in docs:
        for text in (doc.title, *doc.paragraphs):
            for sentence in re.split(r"[.;:!?()\"“”\n]+", text):
                ws = _WORD.findall(sentence)
                lower = [w.lower() for w in ws]
                uni.update(lower)
                bi.update(f"{a} {b}" for a, b in zip(lower, lower[1:], strict=False))
                run: list[str] = []
                for i, w in enumerate([*ws, ""]):
                    if len(w) > 1 and w[0].isupper() and w[1:].islower():
                        run.append(w)
                        continue
                    start = i - len(run)
                    if 2 <= len(run) <= 4 and start > 0:  # sentence-initial capitals are not names
                        names[" ".join(run)] += 1
                    run = []
    return {
        "unigrams": {w: c for w, c in uni.items() if has_diacritics(w) or c > 1},
        "bigrams": {w: c for w, c in bi.items() if c > 1 or has_diacritics(w)},
        "names": dict(names.most_common(MAX_NAMES)),
    }


class Vocab:
    def __init__(self, data: dict[str, Any]) -> None:
        self.uni: dict[str, int] = data.get("unigrams", {})
        self.bi: dict[str, int] = data.get("bigrams", {})
        self.names: dict[str, int] = data.get("names", {})
        self.forms: dict[str, list[str]] = {}
        for w in self.uni:
            self.forms.setdefault(fold(w), []).append(w)
        self.folded_bi: Counter[str] = Counter()
        for pair, count in self.bi.items():
            self.folded_bi[fold(pair)] += count

    def read_query(self, text: str) -> str:
        """The question as the lexical side reads it: acronyms of corpus names read
        (`expand_acronyms`), each staff abbreviation replaced by its full form (the one the corpus
        writes beside the neighbouring words: "đk kết nạp" → "điều kiện kết nạp"), and stray words
        that can only mislead left out: one plain letter ("đảng viên b điều kiện"; "y", "ở", "ý" and a
        roman numeral after "quý", "khóa"… stay) and unknown short forms (at most SHORT_FORM letters, no Vietnamese
        syllable, no corpus word: "kn", "dc"). Words with digits, "/" or "-" are kept as typed."""
        pieces = self.expand_acronyms(text).split()
        cores = [_PIECE.match(p) for p in pieces]
        out: list[str] = []
        for n, (piece, m) in enumerate(zip(pieces, cores, strict=True)):
            lead, core, tail = (m[1], m[2], m[3]) if m else ("", piece, "")
            if not core.isalpha():
                out.append(piece)
                continue
            before = cores[n - 1] if n else None
            after = cores[n + 1] if n + 1 < len(cores) else None
            prev = fold(before[2]).lower() if before else ""
            nxt = fold(after[2]).lower() if after else ""
            forms = full_forms(core)
            if forms and fold(core).lower() in self.forms:
                pass  # the corpus writes the abbreviation itself: both it and its full forms count
            elif forms:
                core = self._likely_form(forms, prev, nxt)
            elif _ROMAN.fullmatch(core) and (core.isupper() or prev in _NUMBERED):
                pass
            elif (len(core) == 1 and core.isascii() and core.lower() not in _VOWELS) or (
                len(core) <= SHORT_FORM
                and not is_syllable(core)
                and fold(core).lower() not in self.forms
                and core.lower() not in self.uni
            ):
                core = ""
            if core or lead or tail:
                out.append(lead + core + tail)
        return " ".join(o for o in out if o)

    def _likely_form(self, forms: tuple[str, ...], prev: str, nxt: str) -> str:
        """Of an abbreviation's full forms, the one the corpus writes most often with its neighbours."""
        if len(forms) == 1:
            return forms[0]

        def score(form: str) -> float:
            ws = fold(form).split()
            s = sum(math.log1p(self.folded_bi.get(f"{a} {b}", 0)) for a, b in zip(ws, ws[1:], strict=False))
            if prev:
                s += 2 * math.log1p(self.folded_bi.get(f"{prev} {ws[0]}", 0))
            if nxt:
                s += 2 * math.log1p(self.folded_bi.get(f"{ws[-1]} {nxt}", 0))
            return s

        return max(forms, key=score)  # ties: the first listed

    def restore(self, text: str) -> str:
        """Put diacritics back on words typed without them, choosing the corpus's most likely form
        given the neighbouring words. Words that already carry diacritics are kept."""
        tokens = re.findall(r"\w+|\W+", text)
        idx = [i for i, t in enumerate(tokens) if _WORD.fullmatch(t)]
        chosen: dict[int, str] = {}
        for n, i in enumerate(idx):
            word = tokens[i]
            if has_diacritics(word):
                chosen[i] = word.lower()
                continue
            cands = self.forms.get(word.lower())
            if not cands:
                chosen[i] = word.lower()
                continue
            prev = chosen.get(idx[n - 1]) if n else None
            nxt = self.forms.get(tokens[idx[n + 1]].lower(), []) if n + 1 < len(idx) else []

            def score(c: str, prev: str | None = prev, nxt: list[str] = nxt) -> float:
                s = math.log1p(self.uni.get(c, 0))
                if prev:
                    s += 3 * math.log1p(self.bi.get(f"{prev} {c}", 0))
                if nxt:
                    s += 3 * max(math.log1p(self.bi.get(f"{c} {x}", 0)) for x in nxt)
                return s

            chosen[i] = max(cands, key=score)
        out = list(tokens)
        for i, w in chosen.items():
            orig = tokens[i]
            if orig.isupper() and len(orig) > 1:
                out[i] = w.upper()
            elif orig[:1].isupper():
                out[i] = w.capitalize()
            else:
                out[i] = w
        return "".join(out)

    def expand_acronyms(self, text: str) -> str:
        """Append the proper names an unknown acronym stands for ("QT" → "QT Quảng Trị")."""

        def repl(m: re.Match[str]) -> str:
            token = m.group(0)
            if not _ACRONYM.match(token) or (known_abbreviation(token) and not token.isupper()):
                return token
            parts = [fold(p).lower() for p in re.findall(r"[A-ZĐ][a-zđ]*", token)]
            hits = []
            for name, count in self.names.items():
                syl = fold(name).lower().split()
                if len(syl) == len(parts) and all(s.startswith(p) for s, p in zip(syl, parts, strict=True)):
                    hits.append((count, name))
            hits.sort(reverse=True)
            return " ".join([token, *[name for _, name in hits[:2]]])

        return re.sub(r"\b\w+\b", repl, text)
