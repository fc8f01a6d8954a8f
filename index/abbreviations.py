"""Staff abbreviations of Vietnamese party and state administration, and their full forms.

`expand_abbreviations` writes the full form right after each abbreviation ("BTV Tỉnh ủy" →
"BTV ban thường vụ Tỉnh ủy"). It runs on passages and on queries alike, so an abbreviation on one side
matches the full form on the other in both directions. Proper-name acronyms (QT = Quảng Trị) are not
listed here: they depend on the corpus and are learnt from it (see `index.acronyms`).
"""

from __future__ import annotations

import re

from index.text import fold

# abbreviation -> full forms (lower case, with diacritics). Only forms in general use across offices.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "BTV": ("ban thường vụ",),
    "BCH": ("ban chấp hành",),
    "BCT": ("bộ chính trị",),
    "BBT": ("ban bí thư",),
    "TW": ("trung ương",),
    "TƯ": ("trung ương",),
    "TU": ("tỉnh ủy",),
    "HU": ("huyện ủy",),
    "ĐU": ("đảng ủy",),
    "BTC": ("ban tổ chức",),
    "BTG": ("ban tuyên giáo",),
    "UBKT": ("ủy ban kiểm tra",),
    "BCS": ("ban cán sự",),
    "MTTQ": ("mặt trận tổ quốc",),
    "HĐND": ("hội đồng nhân dân",),
    "UBND": ("ủy ban nhân dân",),
    "UBTVQH": ("ủy ban thường vụ quốc hội",),
    "QH": ("quốc hội", "quy hoạch"),
    "CP": ("chính phủ",),
    "TTg": ("thủ tướng",),
    "NQ": ("nghị quyết",),
    "NĐ": ("nghị định",),
    "QĐ": ("quyết định", "quy định"),
    "CT": ("chỉ thị",),
    "KL": ("kết luận",),
    "TB": ("thông báo",),
    "TT": ("thông tư",),
    "HD": ("hướng dẫn",),
    "KH": ("kế hoạch",),
    "ĐA": ("đề án",),
    "PA": ("phương án",),
    "CV": ("chuyên viên", "công văn"),
    "CVC": ("chuyên viên chính",),
    "CVCC": ("chuyên viên cao cấp",),
    "CB": ("cán bộ",),
    "CC": ("công chức",),
    "VC": ("viên chức",),
    "CBCC": ("cán bộ công chức",),
    "CB-CC": ("cán bộ công chức",),
    "CBCCVC": ("cán bộ công chức viên chức",),
    "CB-CC-VC": ("cán bộ công chức viên chức",),
    "ĐVHC": ("đơn vị hành chính",),
    "ĐVSN": ("đơn vị sự nghiệp",),
    "ĐV": ("đảng viên", "đơn vị"),
    "PTĐV": ("phát triển đảng viên",),
    "TCCSĐ": ("tổ chức cơ sở đảng",),
    "ĐH": ("đại hội",),
    "nk": ("nhiệm kỳ",),
    "NK": ("nhiệm kỳ",),
    "ds": ("danh sách",),
    "DS": ("danh sách",),
    "ĐK": ("điều kiện", "đăng ký"),
    "SNV": ("sở nội vụ",),
    "STC": ("sở tài chính",),
    "STP": ("sở tư pháp",),
    "STTTT": ("sở thông tin và truyền thông",),
    "VTVL": ("vị trí việc làm",),
    "BVCTNB": ("bảo vệ chính trị nội bộ",),
    "CCHC": ("cải cách hành chính",),
    "TTHC": ("thủ tục hành chính",),
    "DVC": ("dịch vụ công",),
    "CSDL": ("cơ sở dữ liệu",),
    "CCCD": ("căn cước công dân",),
    "BHXH": ("bảo hiểm xã hội",),
    "BHYT": ("bảo hiểm y tế",),
    "VBQPPL": ("văn bản quy phạm pháp luật",),
    "TTĐT": ("thông tin điện tử",),
    "CNS": ("công nghệ số",),
    "CĐS": ("chuyển đổi số",),
    "LLCT": ("lý luận chính trị",),
    "CT-XH": ("chính trị xã hội",),
    "KT-XH": ("kinh tế xã hội",),
    "QP-AN": ("quốc phòng an ninh",),
    "TCXD": ("tổ chức xây dựng",),
    "XDĐ": ("xây dựng đảng",),
    "CN": ("cử nhân",),
    "NTN": ("như thế nào",),
    "TK": ("tài khoản",),
}

_VOWELS = set("aeiouy")
# A Vietnamese syllable, folded: an initial consonant, a vowel group, a final consonant.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(?:[aeiouy]{1,3})"
    r"(?:ch|ng|nh|[cmnpt])?"
)


def is_syllable(word: str) -> bool:
    """Whether `word` (any case, with or without diacritics) could be one Vietnamese syllable: "tu",
    "nghieng" could; "ubnd", "btv", "ko" (k is written only before e, i, y) could not."""
    folded = fold(word).lower()
    if not _SYLLABLE.fullmatch(folded):
        return False
    return not (folded.startswith("k") and folded[1:2] not in ("e", "i", "y", "h"))


def _case_insensitive(abbr: str) -> bool:
    """Lower-case typing counts only where it cannot be a Vietnamese syllable ("btv", "ubnd" yes; "tu"
    no)."""
    folded = fold(abbr).lower().replace("-", "")
    return not (_VOWELS & set(folded)) or len(folded) >= 5 or not is_syllable(folded)


def _build() -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    lookup: dict[str, tuple[str, ...]] = {}
    alternatives: list[str] = []
    for abbr, full in ABBREVIATIONS.items():
        keys = {abbr, fold(abbr)}
        for key in keys:
            lookup[key] = full
            if _case_insensitive(abbr):
                lookup[key.lower()] = full
                lookup[key.upper()] = lookup[key.capitalize()] = full
    alternatives = sorted(lookup, key=len, reverse=True)
    # An abbreviation may be glued to a number ("NQ27"); otherwise it stands alone.
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, alternatives)) + r")(?=\d|(?![\w-]))")
    return pattern, lookup


_PATTERN, _LOOKUP = _build()
# Kinds of document whose abbreviation may be glued to the document's number: "NQ27", "QĐ58".
_GLUED_KINDS = frozenset({"NQ", "ND", "QD", "CT", "KL", "KH", "TB", "TT", "HD", "DA"})


def expand_abbreviations(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        glued = m.end() < len(m.string) and m.string[m.end()].isdigit()
        if glued and fold(m[1]).upper() not in _GLUED_KINDS:
            return m[1]  # "UBTVQH15" is a name with its term number, not an abbreviation before a number
        return m[1] + " " + " ".join(_LOOKUP[m[1]]) + (" " if glued else "")

    return _PATTERN.sub(repl, text)


def known_abbreviation(token: str) -> bool:
    return token in _LOOKUP


def replace_abbreviations(text: str) -> str:
    """Each abbreviation replaced by its first full form ("BTV Tỉnh ủy" → "ban thường vụ Tỉnh ủy"), for
    matching names of units where the abbreviation itself is noise."""

    def repl(m: re.Match[str]) -> str:
        glued = m.end() < len(m.string) and m.string[m.end()].isdigit()
        if glued:
            return m[1]
        return _LOOKUP[m[1]][0]

    return _PATTERN.sub(repl, text)


def full_forms(token: str) -> tuple[str, ...]:
    """The full forms of an abbreviation as typed ("đk", "ĐK", "dk" → điều kiện, đăng ký); () for
    anything else."""
    return _LOOKUP.get(token, ())
