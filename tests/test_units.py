"""bot.units: reading owners into units and matching a followed unit against them (table-driven)."""

from __future__ import annotations

import pytest

from bot.units import follows, follows_any, owner_units, unit_key


@pytest.mark.parametrize(
    ("owner", "units"),
    [
        ("Sở Nội vụ", [("so noi vu", False)]),
        ("Ban Tổ chức Tỉnh ủy", [("ban to chuc tinh uy", False)]),
        ("các huyện ủy, thị ủy, thành ủy", [("huyen uy", True), ("thi uy", True), ("thanh uy", True)]),
        (
            "ban tổ chức các huyện ủy, thị ủy, thành ủy",
            [("ban to chuc huyen uy", True), ("ban to chuc thi uy", True), ("ban to chuc thanh uy", True)],
        ),
        ("BTV các huyện ủy", [("huyen uy", True)]),
        ("BTV các huyện ủy Triệu Phong, Hải Lăng", [("huyen uy trieu phong", False), ("huyen uy hai lang", False)]),
        ("Sở Nội vụ phối hợp Sở Tài chính", [("so noi vu", False), ("so tai chinh", False)]),
        ("Sở Thông tin và Truyền thông", [("so thong tin va truyen thong", False)]),
        ("Sở Nội vụ và Công an tỉnh", [("so noi vu", False), ("cong an tinh", False)]),
        ("Ủy ban nhân dân cấp huyện", [("uy ban nhan dan huyen", True)]),
        ("UBND các huyện, thành phố", [("uy ban nhan dan huyen", True), ("uy ban nhan dan thanh pho", True)]),
        ("Các cơ quan, đơn vị", [("co quan", True), ("don vi", True)]),
        ("các huyện ủy có xã sáp nhập", [("huyen uy", True)]),
        ("Cấp ủy các cấp", [("cap uy", True)]),
        ("Thủ trưởng các đơn vị", [("don vi", True)]),
        ("Ban Tổ chức Tỉnh ủy; Văn phòng Tỉnh ủy", [("ban to chuc tinh uy", False), ("van phong tinh uy", False)]),
        (None, []),
        ("", []),
    ],
)
def test_owner_units(owner: str | None, units: list[tuple[str, bool]]) -> None:
    assert [(u.text, u.plural) for u in owner_units(owner)] == units


@pytest.mark.parametrize(
    ("unit", "owner", "selected"),
    [
        ("Sở Nội vụ", "Sở Nội vụ", True),
        ("so noi vu", "Sở Nội vụ", True),  # diacritics optional
        ("SNV", "Sở Nội vụ", True),  # abbreviation
        ("Sở Nội vụ", "Sở Nội vụ phối hợp Sở Tài chính", True),
        ("Sở Tài chính", "Sở Nội vụ phối hợp Sở Tài chính", True),
        ("Sở Nội vụ", "Sở Tài chính", False),
        ("Sở Nội vụ Quảng Ngãi", "Sở Nội vụ", True),  # a longer name of the same unit
        ("huyện ủy", "các huyện ủy, thị ủy, thành ủy", True),
        ("Huyện ủy Đức Trọng", "các huyện ủy, thị ủy, thành ủy", True),  # the class covers the committee
        ("Thành ủy Bảo Lộc", "các huyện ủy, thị ủy, thành ủy", True),
        ("huyen uy duc trong", "Các huyện ủy, thành ủy có xã sắp xếp", True),
        ("HU Đức Trọng", "BTV các huyện ủy", True),
        ("huyện ủy", "Huyện ủy Đức Trọng", True),  # the class follows each of its units
        ("Huyện ủy Đức Trọng", "Huyện ủy Lâm Hà", False),
        ("Huyện ủy Hải Lăng", "BTV các huyện ủy Triệu Phong, Hải Lăng, Gio Linh, Cam Lộ", True),
        ("Huyện ủy Vĩnh Linh", "BTV các huyện ủy Triệu Phong, Hải Lăng, Gio Linh, Cam Lộ", False),
        ("huyện ủy", "Ban Tổ chức Tỉnh ủy", False),
        ("tỉnh ủy", "Ban Tổ chức Tỉnh ủy", False),  # an organ of the committee is not the committee
        ("Ban Tổ chức Tỉnh ủy", "Ban Tổ chức Tỉnh ủy", True),
        ("BTC Tỉnh ủy", "Ban Tổ chức Tỉnh ủy", True),
        ("ban to chuc", "Ban Tổ chức Tỉnh ủy", True),
        ("Ban Tổ chức Huyện ủy Đức Trọng", "ban tổ chức các huyện ủy, thị ủy, thành ủy", True),
        ("Huyện ủy Đức Trọng", "ban tổ chức các huyện ủy, thị ủy, thành ủy", False),
        ("UBND huyện Ba Tri", "UBND các huyện Giồng Trôm, Mỏ Cày Nam, Ba Tri", True),
        ("UBND huyện Ba Tri", "Ủy ban nhân dân cấp huyện", True),
        ("Sở Y tế", "Các sở, ban, ngành và UBND cấp huyện", True),
        ("Sở Y tế", "Các cơ quan, đơn vị", False),
        ("Sở Thông tin và Truyền thông", "Sở Thông tin và Truyền thông", True),
        ("Sở Thông tin", "Sở Thông tin và Truyền thông", True),
        ("MTTQ tỉnh", "Đảng đoàn MTTQ tỉnh", True),  # the party body of the front routes to the front
        ("UBND tỉnh", "Ban cán sự đảng Ủy ban nhân dân tỉnh", True),
        ("Sở Nội vụ", None, False),
        ("", "Sở Nội vụ", False),
    ],
)
def test_follows(unit: str, owner: str | None, selected: bool) -> None:
    assert follows(unit, owner) is selected


@pytest.mark.parametrize(
    ("a", "b"),
    [("Sở Nội vụ", "so noi vu"), ("SNV", "Sở Nội vụ"), ("Huyện uỷ", "huyện ủy"), ("các huyện ủy", "huyện ủy")],
)
def test_unit_key_is_one_for_spellings(a: str, b: str) -> None:
    assert unit_key(a) == unit_key(b) != ""


def test_follows_any() -> None:
    assert follows_any(["Sở Tài chính", "huyện ủy"], "các huyện ủy, thị ủy, thành ủy")
    assert not follows_any(["Sở Tài chính"], "Sở Nội vụ")
    assert not follows_any([], "Sở Nội vụ")


def test_the_owner_table_in_the_docs_is_what_the_bench_prints() -> None:
    """docs/TASKS.md shows `bench/owner_units.py` run on ../shared/eval/tasks.jsonl: a change of bot.units
    that changes which phrasings select an owner must come with the regenerated table (`--write`)."""
    from bench import owner_units

    if not owner_units.DEFAULT_GOLD.exists():
        pytest.skip(f"{owner_units.DEFAULT_GOLD} is not here")
    rows, summary = owner_units.table(owner_units.owners(owner_units.DEFAULT_GOLD))
    doc = owner_units.DOC.read_text(encoding="utf-8")
    shown = doc[doc.index(owner_units.BEGIN) + len(owner_units.BEGIN) : doc.index(owner_units.END)]
    assert shown.strip() == f"{rows}\n\n{summary}"
    assert "| Sở Nội vụ | 8 | `Sở Nội vụ`, `so noi vu`, `SNV` |" in rows.splitlines()
