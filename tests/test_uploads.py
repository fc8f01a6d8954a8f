"""bot.uploads: safe names, the checks before and after downloading, reading from a temporary place,
saving into corpus/uploads without overwriting or escaping the corpus, and removal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import uploads
from bot.uploads import Refused, Stored
from tests.filebytes import MB, blank_pdf, docx_bytes, zip_bomb

GOOD_TXT = (
    "Kế hoạch phòng chống thiên tai năm 2025\n"
    "Ngày: 12/02/2025\n"
    "Cơ quan: UBND tỉnh Quảng Trị\n"
    "\n"
    "Các xã ven biển rà soát phương án sơ tán dân trước mùa mưa bão.\n"
    "Ban Chỉ huy phòng chống thiên tai tỉnh tổ chức diễn tập vào quý II/2025.\n"
).encode()


# --------------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Báo cáo quý I.docx", "Báo_cáo_quý_I.docx"),
        ("../../etc/x.txt", "x.txt"),
        ("..\\..\\windows\\system.ini.txt", "system.ini.txt"),
        ("/etc/passwd.md", "passwd.md"),
        (".bashrc.txt", "bashrc.txt"),
        ("~$bao-cao.docx", "bao-cao.docx"),
        ("Kết luận\x00\x1f số 12.PDF", "Kết_luận_số_12.pdf"),
        ("evil\u202etxt.exe.md", "eviltxt.exe.md"),
        ("Nghị quyết 27-NQ/TW.docx", "TW.docx"),
        ("a..b....c.txt", "a.b.c.txt"),
        ("!!!.txt", "tai-lieu.txt"),
        ("Quyết định (sửa đổi).txt", "Quyết_định_(sửa_đổi).txt"),
        ("", "tai-lieu"),
        ("ke hoach", "ke_hoach"),
    ],
)
def test_safe_name(raw: str, expected: str) -> None:
    assert uploads.safe_name(raw) == expected


def test_safe_name_nfc_and_long_names_fold_to_ascii() -> None:
    decomposed = "Ba\u0301o ca\u0301o.txt"  # NFD "Báo cáo"
    assert uploads.safe_name(decomposed) == "Báo_cáo.txt"
    long = "Hướng dẫn thực hiện " * 20 + ".docx"
    name = uploads.safe_name(long)
    assert name.endswith(".docx") and name.isascii() and name.startswith("Huong_dan_thuc_hien")
    assert len(name.encode()) <= uploads.MAX_NAME_BYTES + len(".docx")


@given(st.text(max_size=300))
def test_safe_name_is_always_one_plain_component(raw: str) -> None:
    name = uploads.safe_name(raw)
    assert name and "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith((".", "~")) and name not in {".", ".."}
    assert ".." not in name
    assert all(c.isprintable() for c in name)
    assert len(name.encode()) <= 255
    base = Path("/corpus/uploads")
    assert (base / name).parent == base
    assert uploads.safe_name(name) == name  # idempotent


@pytest.mark.parametrize(
    ("name", "suffix"),
    [("a.DOCX", ".docx"), ("a.tar.gz", ".gz"), ("noext", ""), (".txt", ""), ("dir.d/file", "")],
)
def test_suffix_of(name: str, suffix: str) -> None:
    assert uploads.suffix_of(name) == suffix


def test_with_number() -> None:
    assert uploads.with_number("bao-cao.docx", 2) == "bao-cao-2.docx"
    assert uploads.with_number("noext", 3) == "noext-3"


# --------------------------------------------------------------------------------------------------
# Checks


@pytest.mark.parametrize(
    ("n", "text"), [(20 * MB, "20 MB"), (int(1.5 * MB), "1,5 MB"), (800 * 1024, "800 KB"), (512, "0,5 KB")]
)
def test_size_text(n: int, text: str) -> None:
    assert uploads.size_text(n) == text


def test_check_declared() -> None:
    uploads.check_declared("a.docx", 10, 100)
    uploads.check_declared("a.pdf", None, 100)  # Telegram may omit file_size: checked after download
    uploads.check_declared("cu.doc", 10, 100)  # Word 97-2003, read by antiword
    uploads.check_declared("anh.jpg", 10, 100)  # a scan or photo sent as a file, read by OCR
    with pytest.raises(Refused, match=r"định dạng \.xls không được hỗ trợ.*\.docx, \.pdf, \.txt, \.md, \.doc"):
        uploads.check_declared("bang.xls", 10, 100)
    with pytest.raises(Refused, match="không có phần mở rộng"):
        uploads.check_declared("README", 10, 100)
    with pytest.raises(Refused, match="tệp nặng 25 MB, vượt giới hạn 20 MB"):
        uploads.check_declared("a.pdf", 25 * MB, 20 * MB)
    # A limit set above what the Bot API lets a bot download.
    with pytest.raises(Refused, match="Telegram chỉ cho bot tải tệp đến 20 MB"):
        uploads.check_declared("a.pdf", 25 * MB, 50 * MB)


def test_check_downloaded() -> None:
    uploads.check_downloaded(b"x" * 100, 100)
    with pytest.raises(Refused, match="vượt giới hạn"):
        uploads.check_downloaded(b"x" * 101, 100)


def test_validate_good_files() -> None:
    doc = uploads.validate(GOOD_TXT, "ke_hoach.txt", MB)
    assert doc.title == "Kế hoạch phòng chống thiên tai năm 2025"
    assert doc.date is not None and doc.date.isoformat() == "2025-02-12"
    assert len(doc.paragraphs) == 2
    doc = uploads.validate(docx_bytes("Báo cáo tổng kết năm 2024", "Đoạn một.", "Đoạn hai."), "bc.docx", MB)
    assert doc.title == "Báo cáo tổng kết năm 2024" and len(doc.paragraphs) == 2


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"PK\x03\x04 not really a zip", "hong.docx", "tệp .docx bị hỏng"),
        (b"\x00\x01\x02\x03binary" * 50, "nhi_phan.txt", "không phải văn bản"),
        (b"   \n\n", "trong.txt", "không có nội dung"),
        (blank_pdf(), "scan.pdf", "không nhận dạng được chữ nào"),  # a blank page: OCR finds nothing
        (b"%PDF-1.4 broken", "hong.pdf", "PDF bị hỏng"),
    ],
)
def test_validate_refuses_with_a_vietnamese_reason(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        uploads.validate(data, name, MB)


def test_validate_refuses_a_zip_bomb() -> None:
    bomb = zip_bomb(11 * MB)  # limit: 10 × 1 MB
    assert len(bomb) < 100 * 1024
    with pytest.raises(Refused, match="bom nén"):
        uploads.validate(bomb, "bom.docx", MB)


def test_validate_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    uploads.validate(GOOD_TXT, "a.txt", MB)
    with pytest.raises(Refused):
        uploads.validate(b"\x00" * 10, "b.txt", MB)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("x.doc: unsupported file type '.doc'", "định dạng không được hỗ trợ"),
        ("x.txt: file is 30.0 MB, over the 20.0 MB limit", "vượt giới hạn 1 MB"),
        ("x.pdf: encrypted PDF (needs a password)", "mật khẩu"),
        ("x.pdf: PDF has no text layer and OCR found no text on its pages", "chụp lại rõ hơn"),
        ("x.doc: not a readable Word 97-2003 .doc (the file is not a Word Document.)", "lưu thành .docx"),
        ("x.txt: not UTF-8 or UTF-16 text (nor recognisable ...)", "bảng mã"),
        ("x.docx: .docx has no text", "không có nội dung"),
        ("x.md: something new", "không đọc được nội dung tệp"),
    ],
)
def test_reason_vi(message: str, expected: str) -> None:
    assert expected in uploads.reason_vi(message, MB)


# --------------------------------------------------------------------------------------------------
# Saving and removing


def corpus_state(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_store_into_uploads_then_same_content_is_a_no_op(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    assert uploads.store(b"one", "a.txt", corpus) == Stored("uploads/a.txt", created=True)
    assert uploads.store(b"one", "a.txt", corpus) == Stored("uploads/a.txt", created=False)
    assert uploads.store(b"two", "a.txt", corpus) == Stored("uploads/a-2.txt", created=True)
    assert uploads.store(b"three", "a.txt", corpus) == Stored("uploads/a-3.txt", created=True)
    assert uploads.store(b"two", "a.txt", corpus) == Stored("uploads/a-2.txt", created=False)
    assert corpus_state(corpus) == {
        "uploads/a.txt": b"one",
        "uploads/a-2.txt": b"two",
        "uploads/a-3.txt": b"three",
    }  # no temporary files left


def test_store_refuses_unsafe_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        uploads.store(b"x", "../x.txt", tmp_path)


def test_store_never_follows_a_symlink_out_of_the_corpus(tmp_path: Path) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (corpus / "uploads").symlink_to(outside, target_is_directory=True)
    with pytest.raises(Refused):
        uploads.store(b"x", "a.txt", corpus)
    assert list(outside.iterdir()) == []


def test_store_skips_a_symlinked_file_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "uploads").mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"secret")
    (corpus / "uploads" / "a.txt").symlink_to(victim)
    assert uploads.store(b"secret", "a.txt", corpus) == Stored("uploads/a-2.txt", created=True)
    assert victim.read_bytes() == b"secret"


def test_store_with_a_relative_corpus_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("corpus").mkdir()
    assert uploads.store(b"x", "a.txt", Path("corpus")).path == "uploads/a.txt"
    assert (tmp_path / "corpus" / "uploads" / "a.txt").read_bytes() == b"x"


def test_remove_only_inside_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "uploads").mkdir(parents=True)
    (corpus / "uploads" / "a.txt").write_text("a")
    outside = tmp_path / "keep.txt"
    outside.write_text("keep")
    for bad in ("../keep.txt", str(outside), "uploads/../../keep.txt"):
        with pytest.raises(ValueError):
            uploads.remove(corpus, bad)
    assert outside.exists()
    (corpus / "link.txt").symlink_to(outside)
    with pytest.raises(ValueError):
        uploads.remove(corpus, "link.txt")
    assert outside.exists()
    assert uploads.remove(corpus, "uploads/a.txt") is True
    assert uploads.remove(corpus, "uploads/a.txt") is False
    assert os.listdir(corpus / "uploads") == []
