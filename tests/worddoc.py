"""A minimal Word 97-2003 (.doc) writer for test fixtures: an OLE compound file holding a WordDocument
stream (a Word 97 FIB and the text) and a 1Table stream (the piece table), with no styles or formatting.
Enough for antiword, which is what the reader uses. Text is stored as UTF-16 (Unicode), or as 8-bit
cp1252 bytes ("compressed" pieces) the way Word stored text typed in the TCVN3 .VnTime fonts.

Used to make tests/data/*.doc (see `python -m tests.worddoc`); the tests read the committed files.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

SECTOR = 512
FREE, END, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
MIN_STREAM = 4096  # streams this size or larger live in regular sectors (no mini stream needed)


def _style_sheet() -> bytes:
    """An empty style sheet: the STSHI header alone (no styles)."""
    stshi = struct.pack("<HHHHHH3H", 0, 10, 1, 0, 0, 0, 0, 0, 0)  # cstd 0, cbSTDBaseInFile 10
    return struct.pack("<H", len(stshi)) + stshi


def _font_table(name: str = "Times New Roman") -> bytes:
    """SttbfFfn with one TrueType font."""
    xsz = name.encode("utf-16-le") + b"\x00\x00"
    body = struct.pack("<BHBB", 0x26, 400, 0, 0) + bytes(10) + bytes(24) + xsz  # ff roman, TrueType, weight
    ffn = struct.pack("<B", len(body)) + body
    return struct.pack("<HH", 1, 0) + ffn


def _fib(ccp_text: int, tables: dict[int, tuple[int, int]], fc_min: int, fc_mac: int) -> bytes:
    fib = bytearray(1472)
    struct.pack_into("<HHHH", fib, 0, 0xA5EC, 0x00C1, 0, 0x0409)  # wIdent, nFib (Word 97), unused, lid
    struct.pack_into("<H", fib, 10, 0x0200)  # fWhichTblStm: the table stream is 1Table
    struct.pack_into("<H", fib, 12, 0x00BF)  # nFibBack
    struct.pack_into("<II", fib, 0x18, fc_min, fc_mac)  # fcMin, fcMac (old names of reserved fields)
    struct.pack_into("<H", fib, 32, 14)  # csw
    struct.pack_into("<H", fib, 62, 22)  # cslw
    struct.pack_into("<I", fib, 64, fc_mac)  # cbMac
    struct.pack_into("<I", fib, 0x4C, ccp_text)  # ccpText
    struct.pack_into("<H", fib, 152, 93)  # cbRgFcLcb
    for index, (fc, lcb) in tables.items():  # fibRgFcLcb97 pairs: 1 Stshf, 15 SttbfFfn, 33 Clx
        struct.pack_into("<II", fib, 154 + 8 * index, fc, lcb)
    return bytes(fib)


def word_streams(paragraphs: list[str], *, legacy_8bit: bool = False) -> tuple[bytes, bytes]:
    """(WordDocument, 1Table) streams for the paragraphs (each ended by a paragraph mark)."""
    text = "".join(p + "\r" for p in paragraphs)
    offset = 1536  # the text starts after the FIB, on a sector boundary
    if legacy_8bit:
        body = text.encode("cp1252")
        fc = (offset * 2) | 0x40000000  # a compressed (8-bit) piece
    else:
        body = text.encode("utf-16-le")
        fc = offset
    plc = struct.pack("<II", 0, len(text)) + struct.pack("<HIH", 0, fc, 0)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    stsh, fonts = _style_sheet(), _font_table()
    table = (clx + stsh + fonts).ljust(MIN_STREAM, b"\x00")
    tables = {0: (len(clx), len(stsh)), 1: (len(clx), len(stsh)), 15: (len(clx) + len(stsh), len(fonts)),
              33: (0, len(clx))}  # fmt: skip
    document = _fib(len(text), tables, offset, offset + len(body))
    document = (document.ljust(offset, b"\x00") + body).ljust(max(MIN_STREAM, offset + len(body)), b"\x00")
    return document, table


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) with the given streams under the root."""
    sectors: list[bytes] = []
    starts: dict[str, int] = {}
    fat: list[int] = []
    for name, data in streams.items():
        data = data.ljust(-(-len(data) // SECTOR) * SECTOR, b"\x00")
        starts[name] = len(sectors)
        count = len(data) // SECTOR
        for i in range(count):
            sectors.append(data[i * SECTOR : (i + 1) * SECTOR])
            fat.append(len(sectors) if i < count - 1 else END)
    # the directory: root, then the streams as a chain of right siblings
    entries = []

    def entry(name: str, kind: int, start: int, size: int, child: int, right: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        e = bytearray(128)
        e[: len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)  # name length, type, colour black
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, right, child)  # left, right, child
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    names = list(streams)
    entries.append(entry("Root Entry", 5, END, 0, 1, 0xFFFFFFFF))
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else 0xFFFFFFFF
        entries.append(entry(name, 2, starts[name], len(streams[name]), 0xFFFFFFFF, right))
    directory = b"".join(entries).ljust(-(-len(entries) * 128 // SECTOR) * SECTOR, b"\x00")
    dir_start = len(sectors)
    dir_count = len(directory) // SECTOR
    for i in range(dir_count):
        sectors.append(directory[i * SECTOR : (i + 1) * SECTOR])
        fat.append(len(sectors) if i < dir_count - 1 else END)
    # FAT sectors: enough for every sector including themselves
    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * (SECTOR // 4):
        n_fat += 1
    fat_start = len(sectors)
    fat.extend([FAT_SECTOR] * n_fat)
    fat.extend([FREE] * (n_fat * (SECTOR // 4) - len(fat)))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    for i in range(n_fat):
        sectors.append(fat_bytes[i * SECTOR : (i + 1) * SECTOR])
    header = bytearray(SECTOR)
    header[:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)  # minor, major, byte order, shifts
    struct.pack_into("<I", header, 44, n_fat)
    struct.pack_into("<I", header, 48, dir_start)
    struct.pack_into("<I", header, 56, MIN_STREAM)  # mini stream cutoff
    struct.pack_into("<IIII", header, 60, END, 0, END, 0)  # mini FAT, DIFAT: none
    difat = [fat_start + i for i in range(n_fat)] + [FREE] * (109 - n_fat)
    struct.pack_into("<109I", header, 76, *difat)
    return bytes(header) + b"".join(sectors)


def write_doc(path: Path, paragraphs: list[str], *, legacy_8bit: bool = False) -> None:
    document, table = word_streams(paragraphs, legacy_8bit=legacy_8bit)
    path.write_bytes(compound_file({"WordDocument": document, "1Table": table}))


if __name__ == "__main__":  # regenerate the committed fixtures
    from tests.test_legacy import to_tcvn3

    out = Path(__file__).parent / "data"
    lines = [
        "UBND TỈNH BẾN TRE",
        "Số: 12/KH-UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Bến Tre, ngày 12 tháng 3 năm 2024",
        "KẾ HOẠCH",
        "Tinh giản biên chế năm 2024 và năm 2025",
        "Giảm tối thiểu 5% biên chế công chức so với năm 2021.",
        "Sở Nội vụ chủ trì, báo cáo Ủy ban nhân dân tỉnh trước ngày 30/6/2024.",
    ]
    write_doc(out / "word97_unicode.doc", lines)
    # ABC (.VnTime) has no capitals with tone marks: a document typed in it, with the header block
    legacy = [
        "Kế hoạch tinh giản biên chế năm 2024",
        "Ngày: 12/03/2024",
        "Cơ quan: Sở Nội vụ tỉnh Bến Tre",
        "",
        "Giảm tối thiểu 5% biên chế công chức so với năm 2021.",
        "Sở Nội vụ chủ trì, báo cáo trước ngày 30/6/2024.",
    ]
    write_doc(out / "word97_tcvn3.doc", [to_tcvn3(line) for line in legacy], legacy_8bit=True)
    sys.exit(0)
