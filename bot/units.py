"""Which units a task's owner names, and whether a unit a chat follows (`/subscribe <unit>`) is among them.

Owners are written the way documents write them: "Sở Nội vụ", "Ban Tổ chức Tỉnh ủy", "các huyện ủy, thị ủy,
thành ủy", "BTV các huyện ủy Triệu Phong, Hải Lăng", "Sở Nội vụ phối hợp Sở Tài chính", "Ủy ban nhân dân cấp
huyện". Pure text functions, no database:

- `owner_units(owner)` reads an owner into `Unit`s: one per named unit or class of units. "các X, Y, Z"
  (or "cấp X") names classes: every X, every Y, every Z. A word after "các" that is not a class of units
  is a name under the class before it ("các huyện ủy Triệu Phong, Hải Lăng" = two district committees).
  Roles in front ("Ban Thường vụ", "Thủ trưởng", "Chủ tịch", "Lãnh đạo") address the unit itself and are
  left out; "phối hợp", ";", "," and "và" separate units.
- `follows(unit, owner)`: a followed unit `u` selects an owner when one of the owner's units is `u` or a
  unit under `u` ("huyện ủy" follows "Huyện ủy Đức Trọng"; "Ban Tổ chức" follows "Ban Tổ chức Tỉnh ủy"),
  when a class the owner names contains `u` ("Huyện ủy Đức Trọng" follows "các huyện ủy, thị ủy, thành
  ủy"), or when `u` is a longer name of the same unit ("Sở Nội vụ Quảng Ngãi" follows "Sở Nội vụ").

Text is compared folded (no diacritics, lower case, "uỷ" = "ủy"), with staff abbreviations (UBND, BTV,
BTC, HU, SNV, ...) replaced by their full forms (index.abbreviations).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.abbreviations import replace_abbreviations
from index.text import fold, normalise

# Folded classes of units, longest first when matched: what may follow "các" / "cấp".
CLASSES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(c.split())
            for c in (
                "huyen uy",
                "thi uy",
                "thanh uy",
                "tinh uy",
                "dang uy",
                "dang bo",
                "dang doan",
                "ban can su dang",
                "ban can su",
                "cap uy",
                "chi bo",
                "to chuc co so dang",
                "so",
                "ban",
                "nganh",
                "huyen",
                "thi xa",
                "thanh pho",
                "thi",
                "thanh",
                "xa",
                "phuong",
                "thi tran",
                "co quan",
                "don vi",
                "don vi su nghiep cong lap",
                "don vi su nghiep",
                "dia phuong",
                "truong",
                "hoi doan the",
                "doan the",
                "uy ban nhan dan",
                "mat tran to quoc",
                "tieu ban",
                "phong",
                "co so",
            )
        ),
        key=len,
        reverse=True,
    )
)
PLURAL = frozenset({"cac", "cap", "moi", "nhung"})  # "các X", "cấp X", "mỗi X": a class, not one unit
# Roles that address a unit through its leaders or its party body: "Ban Thường vụ các huyện ủy" routes like
# "các huyện ủy", "Đảng đoàn MTTQ tỉnh" like "MTTQ tỉnh", "Ban cán sự đảng UBND tỉnh" like "UBND tỉnh".
ROLES: tuple[tuple[str, ...], ...] = tuple(
    tuple(r.split())
    for r in (
        "ban thuong vu",
        "thu truong",
        "chu tich",
        "lanh dao",
        "bi thu",
        "thuong truc",
        "dang doan",
        "ban can su dang",
    )
)
# Words after a class that qualify it rather than name a unit: "các huyện ủy có xã sáp nhập".
QUALIFIERS = frozenset({"co", "truc", "thuoc", "sau", "trong", "cua", "da", "chua", "con", "duoc", "lien", "tren"})
_SEPARATORS = re.compile(r"\s*(?:;|,|\bphoi hop(?: voi)?\b|&|/)\s*")
_AND = re.compile(r"\s+va\s+")
# Words that start the name of a unit: "và" before one of them separates two units ("Sở Nội vụ và Công an
# tỉnh"); before anything else it is inside a name ("Sở Thông tin và Truyền thông").
_UNIT_STARTS = frozenset({"so", "ban", "cong", "van", "uy", "hoi", "dang", "huyen", "thanh", "thi", "tinh", "phong"})
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Unit:
    """A unit (`plural` False: "so noi vu", "huyen uy trieu phong") or a class of units (`plural` True:
    "huyen uy" from "các huyện ủy"), as folded words."""

    words: tuple[str, ...]
    plural: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


def folded(text: str) -> str:
    """Folded lower-case text with abbreviations written out: "UBND các huyện" -> "uy ban nhan dan cac huyen"."""
    return fold(replace_abbreviations(normalise(text))).lower().replace("đ", "d")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text))


def _starts(words: tuple[str, ...], prefix: tuple[str, ...]) -> bool:
    return len(words) >= len(prefix) and words[: len(prefix)] == prefix


def _class_at(words: tuple[str, ...]) -> tuple[str, ...] | None:
    return next((c for c in CLASSES if _starts(words, c)), None)


def _strip_roles(words: tuple[str, ...]) -> tuple[str, ...]:
    for role in ROLES:
        if _starts(words, role) and len(words) > len(role):
            return words[len(role) :]
    return words


def _qualified(words: tuple[str, ...]) -> tuple[str, ...]:
    """`words` cut at the first qualifier ("huyen uy co xa sap nhap" -> "huyen uy"; "co quan" stays)."""
    for i, w in enumerate(words):
        if i > 0 and w in QUALIFIERS and _class_at(words[i:]) is None:
            return words[:i]
    return words


def _parts(text: str) -> list[str]:
    """The owner split into the units it lists."""
    out: list[str] = []
    for part in _SEPARATORS.split(text):
        pieces = _AND.split(part)
        current = pieces[0]
        for piece in pieces[1:]:
            head = _words(piece)[:1]
            if head and (head[0] in _UNIT_STARTS or head[0] in PLURAL or _class_at(_words(piece))):
                out.append(current)
                current = piece
            else:
                current += " va " + piece
        out.append(current)
    return out


def owner_units(owner: str | None) -> list[Unit]:
    """The units an owner string names (see the module docstring); [] for None or empty."""
    if not owner:
        return []
    out: list[Unit] = []
    prefix: tuple[str, ...] = ()  # words before "các" of the item that opened the current list
    klass: tuple[str, ...] | None = None  # the class of the current "các ..." list
    for part in _parts(folded(owner)):
        words = _strip_roles(_words(part))
        if not words:
            continue
        plural_at = next((i for i, w in enumerate(words) if w in PLURAL and _class_at(words[i:]) is None), None)
        if plural_at is not None:
            prefix = _strip_roles(words[:plural_at])
            rest = _qualified(words[plural_at + 1 :])
            klass = _class_at(rest)
            if klass is None:
                if rest in ((), ("cap",)) and prefix:  # "cấp ủy các cấp": every committee
                    out.append(Unit(prefix, plural=True))
                elif rest:
                    out.append(Unit(prefix + rest, plural=True))
                prefix, klass = (), None
                continue
            names = rest[len(klass) :]
            out.append(Unit(prefix + klass + names, plural=not names))
            continue
        if klass is not None:  # an item of a "các ..." list: another class, or a name under the class
            words = _qualified(words)
            other = _class_at(words)
            if other is not None and len(words) <= len(other) + 1:
                klass = other
                out.append(Unit(prefix + words, plural=len(words) == len(other)))
                continue
            if len(words) <= 4 and _class_at(words) is None:
                out.append(Unit(prefix + klass + words))
                continue
            prefix, klass = (), None
        out.append(Unit(_qualified(words) or words))
    return out


def unit_of(query: str) -> Unit | None:
    """What `/subscribe <query>` follows: one unit or class; None when the text names nothing."""
    units = owner_units(query)
    if not units:
        return None
    if len(units) == 1:
        return units[0]
    return Unit(_words(folded(query)))


def unit_key(query: str) -> str:
    """The stored key of a followed unit ("Sở Nội vụ" and "so noi vu" give the same key)."""
    unit = unit_of(query)
    return unit.text if unit is not None else ""


def covers(followed: Unit, unit: Unit) -> bool:
    """Whether a chat following `followed` is concerned by a task for `unit`."""
    f, u = followed.words, unit.words
    if not f or not u:
        return False
    if _starts(u, f):  # the same unit, a unit under it, or a class inside it
        return True
    if unit.plural and _starts(f, u):  # a class of units that contains the followed one
        return True
    # The followed name is a longer name of the same unit ("so noi vu quang ngai" / "so noi vu").
    return not unit.plural and not followed.plural and len(u) >= 2 and _starts(f, u)


def follows(query_or_key: str, owner: str | None) -> bool:
    """Whether `/subscribe <query_or_key>` selects a task whose owner is `owner`."""
    followed = unit_of(query_or_key)
    if followed is None:
        return False
    return any(covers(followed, u) for u in owner_units(owner))


def follows_any(keys: list[str] | tuple[str, ...], owner: str | None) -> bool:
    units = owner_units(owner)
    followed = [f for f in (unit_of(k) for k in keys) if f is not None]
    return any(covers(f, u) for f in followed for u in units)
