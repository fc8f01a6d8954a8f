"""Reading corpus files into Documents: formats, header rules, dates, encodings and broken files."""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from index.documents import (
    SUPPORTED_SUFFIXES,
    file_hash,
    find_date_in_text,
    join_wrapped_lines,
    legacy_font_text,
    parse_header,
    read_document,
    scan_corpus,
    split_letterhead,
    strip_markdown_line,
)
from index.errors import BadDocument
from tests.test_legacy import to_tcvn3, to_vni

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MB = 1024 * 1024

HEADER = "Kế hoạch luân chuyển cán bộ\nNgày: 25/01/2024\nCơ quan: Ban Thường vụ Tỉnh ủy Thái Bình\n\n"
BODY = "Thực hiện Quy định số 65-QĐ/TW về luân chuyển cán bộ.\nBan Tổ chức Tỉnh ủy chủ trì, phối hợp.\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def read(tmp_path: Path, name: str, content: str | bytes, max_bytes: int = 20 * MB):
    return read_document(write(tmp_path, name, content), tmp_path, max_bytes)


def bad_reason(tmp_path: Path, name: str, content: str | bytes, max_bytes: int = 20 * MB) -> str:
    with pytest.raises(BadDocument) as info:
        read(tmp_path, name, content, max_bytes)
    message = str(info.value)
    assert message.startswith(f"{name}: "), message
    return message


# --- the shipped corpus --------------------------------------------------------------------------------

# fmt: off
CORPUS_EXPECTED = [
    ("000_03101006a328a728.txt", "Quảng Trị: giao ban công tác tổ chức xây dựng Đảng quý I, triển khai nhiệm vụ trọng tâm quý II/2024", "2024-03-26", "Ban Tổ chức Tỉnh ủy Quảng Trị", 14),  # noqa: E501
    ("01_quangtri_giaoban_quy1_2024.txt", "Quảng Trị giao ban công tác tổ chức xây dựng Đảng quý I, triển khai nhiệm vụ trọng tâm quý II/2024", "2024-03-27", "Ban Tổ chức Tỉnh ủy Quảng Trị", 12),  # noqa: E501
    ("02_hatinh_giaoban_quy1_2024.txt", "Ngành Tổ chức Hà Tĩnh giao ban quý I, bàn nhiệm vụ trọng tâm quý II/2024", "2024-04-02", "Ban Tổ chức Tỉnh ủy Hà Tĩnh", 12),  # noqa: E501
    ("03_quangtri_giaoban_quy2_2024.txt", "Quảng Trị giao ban công tác tổ chức xây dựng Đảng quý II và 6 tháng đầu năm 2024", "2024-07-12", "Ban Tổ chức Tỉnh ủy Quảng Trị", 12),  # noqa: E501
    ("04_thaibinh_ketluan_sapxep_dvhc.txt", "Kết luận của Ban Thường vụ Tỉnh ủy về việc sắp xếp đơn vị hành chính cấp xã giai đoạn 2023 – 2025", "2024-04-18", "Tỉnh ủy Thái Bình", 13),  # noqa: E501
    ("05_phutho_kehoach_tienluong.txt", "Kế hoạch thực hiện cải cách chính sách tiền lương theo Nghị quyết số 27-NQ/TW năm 2024", "2024-05-22", "Ủy ban nhân dân tỉnh Phú Thọ", 12),  # noqa: E501
    ("06_quangngai_huongdan_luongcoso.txt", "Hướng dẫn thực hiện mức lương cơ sở mới và rà soát dữ liệu phục vụ chuyển xếp lương", "2024-07-08", "Sở Nội vụ tỉnh Quảng Ngãi", 12),  # noqa: E501
    ("07_bentre_huongdan_doidu_capxa.txt", "Hướng dẫn giải quyết chế độ, chính sách đối với CB-CC và người hoạt động không chuyên trách dôi dư do sắp xếp ĐVHC cấp xã", "2024-06-05", "Ban Tổ chức Tỉnh ủy Bến Tre", 13),  # noqa: E501
    ("08_lamdong_huongdan_ketnap_dangvien.txt", "Hướng dẫn một số nội dung về công tác phát triển đảng viên và thủ tục kết nạp đảng viên năm 2024", "2024-03-14", "Ban Tổ chức Tỉnh ủy Lâm Đồng", 13),  # noqa: E501
    ("09_soctrang_baocao_quy1_2024.txt", "Báo cáo kết quả công tác tổ chức xây dựng Đảng quý I, phương hướng nhiệm vụ quý II năm 2024", "2024-03-28", "Ban Tổ chức Tỉnh ủy Sóc Trăng", 12),  # noqa: E501
    ("10_soctrang_baocao_quy3_2024.txt", "Báo cáo kết quả công tác tổ chức xây dựng Đảng quý III, phương hướng nhiệm vụ quý IV năm 2024", "2024-09-27", "Ban Tổ chức Tỉnh ủy Sóc Trăng", 12),  # noqa: E501
    ("11_hatinh_thongbao_chuanbi_daihoi.txt", "Thông báo kết luận của BTV Tỉnh ủy về công tác chuẩn bị đại hội đảng bộ các cấp tiến tới Đại hội Đảng bộ tỉnh lần thứ XX, nhiệm kỳ 2025 – 2030", "2024-09-10", "Tỉnh ủy Hà Tĩnh", 12),  # noqa: E501
    ("12_quangngai_kehoach_daihoi_coso.txt", "Kế hoạch tổ chức đại hội đảng bộ, chi bộ cơ sở nhiệm kỳ 2025 – 2030", "2024-08-20", "Ban Thường vụ Tỉnh ủy Quảng Ngãi", 12),  # noqa: E501
    ("13_thaibinh_kehoach_luanchuyen_quyhoach.txt", "Kế hoạch luân chuyển cán bộ và rà soát, bổ sung quy hoạch cán bộ giai đoạn 2024 – 2025", "2024-01-25", "Ban Thường vụ Tỉnh ủy Thái Bình", 12),  # noqa: E501
    ("14_bentre_kehoach_tinhgian_bienche.txt", "Kế hoạch tinh giản biên chế năm 2024 và năm 2025", "2024-03-12", "Ủy ban nhân dân tỉnh Bến Tre", 12),  # noqa: E501
    ("15_lamdong_baocao_dean06.txt", "Báo cáo sơ kết 6 tháng đầu năm 2024 thực hiện Đề án 06 và chuyển đổi số trên địa bàn tỉnh Lâm Đồng", "2024-07-03", "Ban Chỉ đạo thực hiện Đề án 06 tỉnh Lâm Đồng", 12),  # noqa: E501
    ("16_phutho_giaoban_bvctnb.txt", "Phú Thọ giao ban công tác bảo vệ chính trị nội bộ 7 tháng năm 2024", "2024-08-16", "Ban Tổ chức Tỉnh ủy Phú Thọ", 11),  # noqa: E501
    ("17_quangtri_ketluan_sapxep_xa.txt", "Kết luận của BTV Tỉnh ủy về kiện toàn tổ chức, bố trí CB-CC ở các xã thực hiện sắp xếp ĐVHC giai đoạn 2023 – 2025", "2024-05-24", "Tỉnh ủy Quảng Trị", 11),  # noqa: E501
    ("18_quangngai_thongbao_thi_nangngach.txt", "Thông báo tổ chức kỳ thi nâng ngạch công chức từ ngạch chuyên viên lên ngạch chuyên viên chính năm 2024", "2024-08-02", "Hội đồng thi nâng ngạch công chức tỉnh Quảng Ngãi", 11),  # noqa: E501
    ("19_hatinh_kehoach_cchc_2025.txt", "Kế hoạch cải cách hành chính nhà nước năm 2025 của tỉnh Hà Tĩnh", "2024-12-26", "Ủy ban nhân dân tỉnh Hà Tĩnh", 12),  # noqa: E501
    ("20_lamdong_giaoban_quy3_2024.txt", "Lâm Đồng giao ban công tác tổ chức xây dựng Đảng 9 tháng, triển khai nhiệm vụ quý IV/2024", "2024-10-04", "Ban Tổ chức Tỉnh ủy Lâm Đồng", 12),  # noqa: E501
]
# fmt: on


@pytest.fixture(scope="module")
def corpus() -> tuple[dict[str, object], list[tuple[str, str]]]:
    documents, skipped = scan_corpus(CORPUS)
    return {d.path: d for d in documents}, skipped


def test_corpus_reads_every_file(corpus) -> None:
    documents, skipped = corpus
    assert skipped == []
    assert sorted(documents) == [row[0] for row in CORPUS_EXPECTED]


@pytest.mark.parametrize(("name", "title", "date", "agency", "count"), CORPUS_EXPECTED)
def test_corpus_document(corpus, name: str, title: str, date: str, agency: str, count: int) -> None:
    doc = corpus[0][name]
    assert (doc.title, doc.date, doc.agency) == (title, dt.date.fromisoformat(date), agency)
    lines = [line.strip() for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()[4:]]
    assert doc.paragraphs == tuple(line for line in lines if line)
    assert len(doc.paragraphs) == count


@pytest.mark.parametrize("name", [row[0] for row in CORPUS_EXPECTED])
def test_corpus_file_as_markdown_reads_the_same(corpus, tmp_path: Path, name: str) -> None:
    # One paragraph per line, no blank lines: the markdown wrap joining must not merge any of them.
    as_md = read(tmp_path, "doc.md", (CORPUS / name).read_bytes())
    doc = corpus[0][name]
    assert (as_md.title, as_md.date, as_md.agency, as_md.paragraphs) == (
        doc.title,
        doc.date,
        doc.agency,
        doc.paragraphs,
    )


# --- plain text: header block --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "title", "date", "agency"),
    [
        (
            "Tiêu đề\nNgày: 25/01/2024\nCơ quan: Tỉnh ủy Thái Bình\n\n",
            "Tiêu đề",
            dt.date(2024, 1, 25),
            "Tỉnh ủy Thái Bình",
        ),
        ("Tiêu đề\nNgày: 6/3/2024\n\n", "Tiêu đề", dt.date(2024, 3, 6), None),
        ("Tiêu đề\nNgày 26 tháng 3 năm 2024\n\n", "Tiêu đề", dt.date(2024, 3, 26), None),
        ("Tiêu đề\nHà Nội, ngày 05 tháng 6 năm 2023\n\n", "Tiêu đề", dt.date(2023, 6, 5), None),
        ("Tiêu đề\nNgày ban hành: 01.02.2024\n\n", "Tiêu đề", dt.date(2024, 2, 1), None),
        (
            "Tiêu đề\nCơ quan ban hành: Sở Nội vụ\nNgày: 02/08/2024\n\n",
            "Tiêu đề",
            dt.date(2024, 8, 2),
            "Sở Nội vụ",
        ),
        ("Tiêu đề\nngày: 02/08/2024\ncơ quan: Sở Nội vụ\n", "Tiêu đề", dt.date(2024, 8, 2), "Sở Nội vụ"),
        (
            "\n\nTiêu đề\nNgày: 31/02/2024\nCơ quan: Sở Nội vụ\n\n",
            "Tiêu đề",
            None,
            "Sở Nội vụ",
        ),  # impossible date
        ("Tiêu đề\nNgày: 12/13/2024\n\n", "Tiêu đề", None, None),
        ("Tiêu đề\nNgày: 5 tháng 6 năm 2023\n\n", "Tiêu đề", dt.date(2023, 6, 5), None),
        ("Tiêu đề\nNgày: ngày 5 tháng 6 năm 2023\n\n", "Tiêu đề", dt.date(2023, 6, 5), None),
        # fields without a title line: the title comes from the body
        ("Ngày: 25/01/2024\nCơ quan: Sở Nội vụ\n\nTiêu đề\n", "Tiêu đề", dt.date(2024, 1, 25), "Sở Nội vụ"),
    ],
)
def test_header_variants(tmp_path: Path, header: str, title: str, date: dt.date | None, agency: str | None) -> None:
    doc = read(tmp_path, "a.txt", header + BODY)
    assert (doc.title, doc.date, doc.agency) == (title, date, agency)
    assert doc.paragraphs == tuple(BODY.strip().split("\n"))


def test_header_path_is_relative_with_forward_slashes(tmp_path: Path) -> None:
    doc = read(tmp_path, "sub/dir/a.txt", HEADER + BODY)
    assert doc.path == "sub/dir/a.txt"


def test_header_only_is_bad(tmp_path: Path) -> None:
    assert "no text after the header" in bad_reason(tmp_path, "a.txt", HEADER)


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        (["Tiêu đề", "Ngày: 1/1/2024", "", "x"], True),
        (["Tiêu đề", "Thân bài.", "Ngày: 1/1/2024"], False),  # a field must follow the title directly
        (["Ngày 26 tháng 3 năm 2024, Ban Tổ chức họp.", "Nội dung."], False),
        (["Tiêu đề", "Ngày 26 tháng 3 năm 2024, Ban Tổ chức họp."], False),  # a sentence is not a field
        ([], False),
    ],
)
def test_parse_header_needs_a_field_line(lines: list[str], found: bool) -> None:
    assert (parse_header(lines) is not None) is found


# --- plain text: no header -----------------------------------------------------------------------------

LONG_FIRST = (
    "Chiều nay 26/3, tại huyện Triệu Phong, Trưởng Ban Tổ chức Tỉnh ủy chủ trì hội nghị giao ban "
    "công tác tổ chức xây dựng Đảng quý I, triển khai nhiệm vụ trọng tâm quý II/2024."
)


@pytest.mark.parametrize(
    ("text", "title", "paragraphs"),
    [
        # short title-like first line: title only
        (
            "Báo cáo quý I\nNội dung một.\nNội dung hai.\n",
            "Báo cáo quý I",
            ("Nội dung một.", "Nội dung hai."),
        ),
        # a sentence: stays paragraph 1, title is its first 12 words + …
        (
            LONG_FIRST + "\nNội dung hai.\n",
            "Chiều nay 26/3, tại huyện Triệu Phong, Trưởng Ban Tổ chức Tỉnh…",
            (LONG_FIRST, "Nội dung hai."),
        ),
        # a short line ending with a period is a sentence, not a title
        (
            "Hội nghị đã kết thúc.\nNội dung hai.\n",
            "Hội nghị đã kết thúc.",
            ("Hội nghị đã kết thúc.", "Nội dung hai."),
        ),
        # a one-line document keeps its line as the paragraph
        ("Thông báo nghỉ lễ\n", "Thông báo nghỉ lễ", ("Thông báo nghỉ lễ",)),
        # blank lines separate paragraphs too; leading blank lines are ignored
        ("\n\nTiêu đề\n\nMột.\n\n\nHai.\n", "Tiêu đề", ("Một.", "Hai.")),
        ("x" * 201 + "\nHai.\n", "x" * 201, ("x" * 201, "Hai.")),  # over 200 chars: not a title
    ],
)
def test_no_header_title_rule(tmp_path: Path, text: str, title: str, paragraphs: tuple[str, ...]) -> None:
    doc = read(tmp_path, "a.txt", text)
    assert (doc.title, doc.paragraphs, doc.agency) == (title, paragraphs, None)


def test_no_header_date_from_text(tmp_path: Path) -> None:
    lines = (CORPUS / "000_03101006a328a728.txt").read_text(encoding="utf-8").splitlines()[4:]
    doc = read(tmp_path, "a.txt", "\n".join(lines))
    assert doc.date == dt.date(2024, 3, 26)
    assert doc.paragraphs[0].startswith("Chiều nay 26/3")
    assert len(doc.paragraphs) == 14


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LONG_FIRST, dt.date(2024, 3, 26)),  # day/month after a cue word, year from the paragraph
        (
            "Sáng 27/3, hội nghị họp.\nKế hoạch năm 2025 đã được duyệt.",
            dt.date(2025, 3, 27),
        ),  # year from text
        ("Sáng 27/3, hội nghị họp.", None),  # no year anywhere
        ("Hà Nội, ngày 05 tháng 6 năm 2023", dt.date(2023, 6, 5)),
        ("Báo cáo ngày 15/05/2024 của Sở.", dt.date(2024, 5, 15)),
        ("Có 9/10 đảng bộ đã hoàn thành trong năm 2024.", None),  # a fraction, not a date
        ("Hoàn thành trước ngày 30/4/2024.", None),  # a deadline
        ("Chậm nhất ngày 15/5 năm 2024 phải gửi báo cáo.", None),
        ("Theo Nghị quyết số 27-NQ/TW ngày 21/5/2018 của Trung ương.", None),  # a cited document
        ("Theo Nghị quyết số 27-NQ/TW ngày 21/5/2018. Chiều 26/3/2024, hội nghị họp.", dt.date(2024, 3, 26)),
        ("Sáng 31/2, năm 2024 hội nghị họp.", None),  # impossible date
        ("Ngày 26 tháng 3, hội nghị quý I/2024 họp.", dt.date(2024, 3, 26)),
        ("", None),
    ],
)
def test_find_date_in_text(text: str, expected: dt.date | None) -> None:
    assert find_date_in_text(text) == expected


LETTERHEAD = (
    "TỈNH ỦY QUẢNG TRỊ\nĐẢNG CỘNG SẢN VIỆT NAM\nBAN TỔ CHỨC\nSố 45-KL/TU\nQuảng Trị, ngày 24 tháng 5 năm 2024\n*\n"
)


@pytest.mark.parametrize(
    ("text", "title", "paragraphs", "agency"),
    [
        (
            LETTERHEAD + "KẾT LUẬN\ncủa Ban Thường vụ Tỉnh ủy về kiện toàn tổ chức\nMột.\nHai.\n",
            "Kết luận của Ban Thường vụ Tỉnh ủy về kiện toàn tổ chức",
            ("Một.", "Hai."),
            "Ban Tổ chức Tỉnh ủy Quảng Trị",
        ),
        (
            LETTERHEAD + "Kế hoạch luân chuyển cán bộ\nMột.\n",
            "Kế hoạch luân chuyển cán bộ",
            ("Một.",),
            "Ban Tổ chức Tỉnh ủy Quảng Trị",
        ),
        (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n-----\nQUYẾT ĐỊNH\nVề việc A\nMột.\n",
            "Quyết định Về việc A",
            ("Một.",),
            None,
        ),
    ],
)
def test_letterhead_is_not_title_or_paragraph(
    tmp_path: Path, text: str, title: str, paragraphs: tuple[str, ...], agency: str | None
) -> None:
    doc = read(tmp_path, "a.txt", text)
    assert (doc.title, doc.paragraphs, doc.agency) == (title, paragraphs, agency)


def test_letterhead_date_is_the_document_date(tmp_path: Path) -> None:
    doc = read(tmp_path, "a.txt", LETTERHEAD + "Kế hoạch\nHoàn thành trước ngày 30/6/2024.\n")
    assert doc.date == dt.date(2024, 5, 24)


@pytest.mark.parametrize(
    ("lines", "letterhead"),
    [
        (["Tiêu đề", "Số 412 đảng viên mới được kết nạp.", "Hai."], 0),  # a count, not a number line
        (["Tiêu đề", "*****", "Hai."], 0),  # a rule alone is no letterhead
        (
            [
                "UBND TỈNH BẾN TRE | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "Số: 12/KH-UBND | Bến Tre, ngày 12 tháng 3 năm 2024",
                "Kế hoạch",
            ],
            2,
        ),
        (["Hội nghị họp tại Hà Nội, ngày 5 tháng 6 năm 2024.", "Hai."], 0),  # a sentence
        (["a"] * 8 + ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], 0),  # too far down
    ],
)
def test_split_letterhead(lines: list[str], letterhead: int) -> None:
    head, rest = split_letterhead(lines)
    assert (head, rest) == (lines[:letterhead], lines[letterhead:])


# --- plain text: encodings and normalisation -----------------------------------------------------------

TEXT = HEADER + BODY


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
        to_vni(TEXT).encode("cp1252"),  # VNI bytes
        to_vni(TEXT).encode("utf-8"),  # VNI mojibake saved as UTF-8
    ],
    ids=["utf8", "utf8-bom", "utf16-le", "utf16-be", "crlf", "vni-bytes", "vni-as-utf8"],
)
def test_text_encodings(tmp_path: Path, data: bytes) -> None:
    doc = read(tmp_path, "a.txt", data)
    assert doc.title == "Kế hoạch luân chuyển cán bộ"
    assert doc.agency == "Ban Thường vụ Tỉnh ủy Thái Bình"
    assert doc.date == dt.date(2024, 1, 25)
    assert doc.paragraphs == tuple(BODY.strip().split("\n"))


def to_cp1258(text: str) -> bytes:
    """Windows-1258: letters it has precomposed, others as base letter + combining tone mark."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += base.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


def test_windows_1258_bytes(tmp_path: Path) -> None:
    data = to_cp1258(TEXT)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    doc = read(tmp_path, "a.txt", data)
    assert (doc.title, doc.date, doc.agency) == (
        "Kế hoạch luân chuyển cán bộ",
        dt.date(2024, 1, 25),
        "Ban Thường vụ Tỉnh ủy Thái Bình",
    )
    assert doc.paragraphs == tuple(BODY.strip().split("\n"))


def test_tcvn3_bytes(tmp_path: Path) -> None:
    # ABC cannot write capitals with tones ("Ủy"); such files have them in lower case.
    text = "Ban Tæ chøc TØnh ñy Qu¶ng TrÞ\nNgµy: 26/03/2024\nC¬ quan: Ban Tæ chøc TØnh ñy\n\n"
    body = to_tcvn3(BODY)
    doc = read(tmp_path, "a.txt", (text + body).encode("cp1252"))
    assert doc.title == "Ban Tổ chức Tỉnh ủy Quảng Trị"
    assert doc.date == dt.date(2024, 3, 26)
    assert doc.agency == "Ban Tổ chức Tỉnh ủy"
    assert doc.paragraphs == tuple(BODY.strip().split("\n"))


DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize("name", ["legacy_tcvn3.txt", "legacy_vni.txt"])
def test_committed_legacy_samples(name: str) -> None:
    data = (DATA / name).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    doc = read_document(DATA / name, DATA)
    assert (doc.path, doc.title, doc.date, doc.agency) == (
        name,
        "Kế hoạch luân chuyển cán bộ năm 2024",
        dt.date(2024, 1, 25),
        "Ban Thường vụ Tỉnh ủy Thái Bình",
    )
    assert doc.paragraphs == (
        "Thực hiện Quy định số 65-QĐ/TW của Bộ Chính trị về luân chuyển cán bộ.",
        "Ban Tổ chức Tỉnh ủy chủ trì, phối hợp với các huyện ủy rà soát quy hoạch.",
    )


def test_tcvn3_bytes_keep_the_soft_hyphen_letter(tmp_path: Path) -> None:
    # "ư" is 0xAD in TCVN3, the soft hyphen normalise() deletes: conversion must come first.
    data = to_tcvn3("Người dân\nNgười dân hưởng lợi trước tiên.\nBộ trưởng phát biểu.").encode("cp1252")
    doc = read(tmp_path, "a.txt", data)
    assert doc.paragraphs == ("Người dân hưởng lợi trước tiên.", "Bộ trưởng phát biểu.")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hoà bình thuỷ lợi", "Hòa bình thủy lợi"),  # one tone placement
        ("Ban To\u0302\u0309 chu\u031b\u0301c", "Ban Tổ chức"),  # decomposed to NFC
        ("cán\u00ad bộ\u200b đảng\u200bviên", "cán bộ đảngviên"),  # soft hyphen, zero-width space
        ("  nhiều   khoảng\t\u00a0trắng  ", "nhiều khoảng trắng"),
    ],
)
def test_text_is_normalised(tmp_path: Path, raw: str, expected: str) -> None:
    doc = read(tmp_path, "a.txt", "Tiêu đề\nNgày: 01/01/2024\n\n" + raw + "\n")
    assert doc.paragraphs == (expected,)


# --- broken files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b" \n\r\n\t", "empty file"),
        ("bom-only.txt", codecs.BOM_UTF8, "empty file"),
        ("nul.txt", b"Ti\xc3\xaau \x00\x01\x02 \x00", "binary file"),
        ("ctrl.md", b"\x01\x02\x03\x04 abc \x05\x06\x07", "binary file"),
        (
            "latin1.txt",
            "Le café est très bon à Paris, où l'été dure.".encode("latin-1"),
            "not UTF-8 or UTF-16",
        ),
        ("cp1250.txt", "Žluťoučký kůň úpěl ďábelské ódy".encode("cp1250"), "not UTF-8 or UTF-16"),
        ("cp1252.txt", "Müller straße, Größe — Übung".encode("cp1252"), "not UTF-8 or UTF-16"),
        ("utf16.txt", codecs.BOM_UTF16_LE + b"\x00\xd8", "broken UTF-16"),
        ("a.doc", b"\xd0\xcf\x11\xe0 old word", "not a readable Word 97-2003 .doc"),
        ("a.xls", b"\xd0\xcf\x11\xe0 old sheet", "unsupported file type '.xls'"),
        ("noext", b"text", "unsupported file type"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "broken zip archive"),
        ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "broken zip archive"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog", "broken PDF"),
        ("fake.pdf", b"hello, I am not a pdf", "broken PDF"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    assert reason in bad_reason(tmp_path, name, data)


@pytest.mark.parametrize("name", ["big.txt", "big.md", "big.docx", "big.pdf"])
def test_file_over_size_limit(tmp_path: Path, name: str) -> None:
    reason = bad_reason(tmp_path, name, b"a" * 2048 + b"\n", max_bytes=1024)
    assert reason == f"{name}: file is 2049 bytes, over the 1024 bytes limit"


def test_size_limit_in_megabytes(tmp_path: Path) -> None:
    reason = bad_reason(tmp_path, "big.txt", b"a" * (3 * MB // 2), max_bytes=1 * MB)
    assert reason == "big.txt: file is 1.5 MB, over the 1.0 MB limit"


def test_size_limit_is_inclusive(tmp_path: Path) -> None:
    data = (HEADER + BODY).encode("utf-8")
    assert read(tmp_path, "a.txt", data, max_bytes=len(data)).title == "Kế hoạch luân chuyển cán bộ"
    with pytest.raises(BadDocument):
        read(tmp_path, "b.txt", data, max_bytes=len(data) - 1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    suffix=st.sampled_from(SUPPORTED_SUFFIXES),
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=200).map(lambda t: t.encode("utf-8")),
        st.sampled_from([b"PK\x03\x04", b"%PDF-1.4\n", b"\xef\xbb\xbf", b"\xff\xfe"]).flatmap(
            lambda head: st.binary(max_size=200).map(lambda tail: head + tail)
        ),
    ),
)
def test_any_bytes_give_a_document_or_bad_document(tmp_path: Path, suffix: str, data: bytes) -> None:
    try:
        doc = read(tmp_path, "fuzz" + suffix, data)
    except BadDocument as exc:
        assert str(exc).startswith(f"fuzz{suffix}: ")
    else:
        assert doc.path == "fuzz" + suffix and doc.title and doc.paragraphs
        assert all(p and p == p.strip() and "\n" not in p for p in doc.paragraphs)


# --- markdown ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# Kế hoạch năm 2024", "Kế hoạch năm 2024"),
        ("### Mục tiêu ###", "Mục tiêu"),
        ("- Rà soát **quy hoạch** cán bộ", "Rà soát quy hoạch cán bộ"),
        ("* Mục _một_ và *hai*", "Mục một và hai"),
        ("+ [ ] việc chưa làm", "việc chưa làm"),
        ("> Trích dẫn `mã`", "Trích dẫn mã"),
        ("Xem [Nghị định 29](https://example.vn/nd29) và ![ảnh](a.png)", "Xem Nghị định 29 và ảnh"),
        ("| STT | Nội dung | Thời hạn |", "STT | Nội dung | Thời hạn"),
        ("|---|:---:|---|", ""),
        ("---", ""),
        ("```python", ""),
        ("1. Mục một", "1. Mục một"),  # numbers are content in Vietnamese documents
        ("Số 27-NQ/TW_2018 * 3", "Số 27-NQ/TW_2018 * 3"),
    ],
)
def test_strip_markdown_line(line: str, expected: str) -> None:
    assert strip_markdown_line(line) == expected


def test_markdown_document(tmp_path: Path) -> None:
    text = (
        "# Kế hoạch tinh giản biên chế\n"
        "**Ngày:** 12/03/2024\n"
        "Cơ quan: Ủy ban nhân dân tỉnh Bến Tre\n"
        "\n"
        "## Mục tiêu\n"
        "Giảm tối thiểu 5% biên chế\n"
        "so với năm 2022.\n"
        "\n"
        "- Sở Nội vụ chủ trì;\n"
        "- Các sở phối hợp\n"
        "  thực hiện.\n"
        "Câu mới bắt đầu.\n"
        "Câu khác cùng dòng.\n"
    )
    doc = read(tmp_path, "a.md", text)
    assert (doc.title, doc.date, doc.agency) == (
        "Kế hoạch tinh giản biên chế",
        dt.date(2024, 3, 12),
        "Ủy ban nhân dân tỉnh Bến Tre",
    )
    assert doc.paragraphs == (
        "Mục tiêu",
        "Giảm tối thiểu 5% biên chế so với năm 2022.",
        "Sở Nội vụ chủ trì;",
        "Các sở phối hợp thực hiện.",
        "Câu mới bắt đầu.",
        "Câu khác cùng dòng.",
    )


# --- wrapped lines (PDF, markdown) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Một câu bị", "ngắt dòng.", "Câu sau."], ["Một câu bị ngắt dòng.", "Câu sau."]),
        (["Ban Tổ chức Tỉnh ủy và", "Ban Thường vụ họp."], ["Ban Tổ chức Tỉnh ủy và Ban Thường vụ họp."]),
        (["Kết thúc.", "", "mới"], ["Kết thúc.", "mới"]),
        (["Kết thúc.", "còn tiếp"], ["Kết thúc. còn tiếp"]),  # lower-case after a period: a wrap
        (["Nhiệm vụ:", "- một;", "- hai", "dài."], ["Nhiệm vụ:", "- một;", "- hai dài."]),
        (
            ["Nhiệm vụ:", "1. Rà soát", "quy hoạch;", "2. Luân chuyển."],
            ["Nhiệm vụ:", "1. Rà soát quy hoạch;", "2. Luân chuyển."],
        ),
        (
            ["I. KẾT QUẢ ĐẠT ĐƯỢC", "Trong quý I,", "toàn tỉnh"],
            ["I. KẾT QUẢ ĐẠT ĐƯỢC", "Trong quý I, toàn tỉnh"],
        ),
        (["Đã xong;", "(a) Việc khác."], ["Đã xong;", "(a) Việc khác."]),
        # a short line (title, heading) followed by a capital ends its paragraph; a long one is a wrap
        (
            [
                "Báo cáo tổng kết",
                "Trong năm 2024, toàn tỉnh đã hoàn thành nhiều nhiệm vụ và",
                "Ban Thường vụ khen.",
            ],
            [
                "Báo cáo tổng kết",
                "Trong năm 2024, toàn tỉnh đã hoàn thành nhiều nhiệm vụ và Ban Thường vụ khen.",
            ],
        ),
        ([], []),
    ],
)
def test_join_wrapped_lines(lines: list[str], expected: list[str]) -> None:
    assert join_wrapped_lines(lines) == expected


# --- .docx ---------------------------------------------------------------------------------------------


def make_docx(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_with_table(document) -> None:
    document.add_paragraph("Kế hoạch luân chuyển cán bộ")
    document.add_paragraph("Ngày: 25/01/2024")
    document.add_paragraph("Cơ quan: Ban Thường vụ Tỉnh ủy Thái Bình")
    document.add_paragraph("")
    document.add_paragraph("Đoạn mở đầu.")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([("STT", "Nội dung", "Thời hạn"), ("1", "Rà soát quy hoạch", "30/4/2024"), ("2", "", "")]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    merged = table.cell(2, 1).merge(table.cell(2, 2))
    merged.text = "Luân chuyển cán bộ"
    document.add_paragraph("Đoạn kết\u00a0 thúc.")


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    doc = read(tmp_path, "a.docx", make_docx(_docx_with_table))
    assert (doc.title, doc.date, doc.agency) == (
        "Kế hoạch luân chuyển cán bộ",
        dt.date(2024, 1, 25),
        "Ban Thường vụ Tỉnh ủy Thái Bình",
    )
    assert doc.paragraphs == (
        "Đoạn mở đầu.",
        "STT | Nội dung | Thời hạn",
        "1 | Rà soát quy hoạch | 30/4/2024",
        "2 | Luân chuyển cán bộ",  # merged cell once
        "Đoạn kết thúc.",
    )


def test_docx_letterhead_table(tmp_path: Path) -> None:
    def build(document) -> None:
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text = "UBND TỈNH BẾN TRE"
        table.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
        table.cell(1, 0).text = "Số: 12/KH-UBND"
        table.cell(1, 1).text = "Bến Tre, ngày 12 tháng 3 năm 2024"
        document.add_paragraph("KẾ HOẠCH")
        document.add_paragraph("Tinh giản biên chế năm 2024 và năm 2025")
        document.add_paragraph("Giảm tối thiểu 5% biên chế.")
        document.add_paragraph("Sở Nội vụ chủ trì.")

    doc = read(tmp_path, "a.docx", make_docx(build))
    assert (doc.title, doc.date, doc.agency, doc.number) == (
        "Kế hoạch Tinh giản biên chế năm 2024 và năm 2025",
        dt.date(2024, 3, 12),
        "Ủy ban nhân dân tỉnh Bến Tre",
        "12/KH-UBND",
    )
    assert doc.paragraphs == ("Giảm tối thiểu 5% biên chế.", "Sở Nội vụ chủ trì.")


def test_docx_without_header(tmp_path: Path) -> None:
    def build(document) -> None:
        document.add_heading("Báo cáo sơ kết", level=1)
        document.add_paragraph("Sáng 27/3, hội nghị sơ kết quý I/2024 được tổ chức.")

    doc = read(tmp_path, "a.docx", make_docx(build))
    assert (doc.title, doc.date, doc.agency) == ("Báo cáo sơ kết", dt.date(2024, 3, 27), None)
    assert doc.paragraphs == ("Sáng 27/3, hội nghị sơ kết quý I/2024 được tổ chức.",)


def test_docx_legacy_font_text_is_converted(tmp_path: Path) -> None:
    # Word keeps .VnTime / VNI-Times text as the cp1252 characters of its bytes; one paragraph in Unicode.
    def build(document) -> None:
        document.add_paragraph("Céng hßa x· héi chñ nghÜa ViÖt Nam")
        document.add_paragraph("Ngµy: 26/03/2024")
        document.add_paragraph("")
        document.add_paragraph(to_tcvn3("Ban Tổ chức Tỉnh ủy chủ trì hội nghị."))
        document.add_paragraph("Đoạn này đã là Unicode, giữ nguyên.")
        document.add_paragraph(to_tcvn3("Các huyện ủy gửi báo cáo trước ngày 30/4."))

    doc = read(tmp_path, "a.docx", make_docx(build))
    assert doc.title == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert doc.date == dt.date(2024, 3, 26)
    assert doc.paragraphs == (
        "Ban Tổ chức Tỉnh ủy chủ trì hội nghị.",
        "Đoạn này đã là Unicode, giữ nguyên.",
        "Các huyện ủy gửi báo cáo trước ngày 30/4.",
    )


def test_docx_legacy_fonts_by_name(tmp_path: Path) -> None:
    def build(document) -> None:
        document.styles["Normal"].font.name = ".VnTime"  # the document's default font
        title = document.add_paragraph()
        title.add_run("kÕ ho¹ch").font.name = ".VnTimeH"  # capitals font: lower-case bytes
        title.add_run(" lu©n chuyÓn")
        document.add_paragraph("Ngµy: 25/01/2024")
        document.add_paragraph("")
        mixed = document.add_paragraph("Ban Tæ chøc ")
        mixed.add_run("chñ tr×").font.name = ".VnArial"
        mixed.add_run(", ")
        mixed.add_run("phoái hôïp").font.name = "VNI-Times"
        mixed.add_run(" với Sở Nội vụ.").font.name = "Times New Roman"
        # Word switched this run to Unicode but kept the font name: left alone
        document.add_paragraph("Nội dung đã là Unicode.")
        # a theme font on the run overrides the .VnTime style: "Tôi là" stays as it is
        themed = document.add_paragraph().add_run("Tôi là cán")
        themed._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:hAnsiTheme"), "minorHAnsi")

    doc = read(tmp_path, "a.docx", make_docx(build))
    assert (doc.title, doc.date) == ("KẾ HOẠCH luân chuyển", dt.date(2024, 1, 25))
    assert doc.paragraphs == (
        "Ban Tổ chức chủ trì, phối hợp với Sở Nội vụ.",
        "Nội dung đã là Unicode.",
        "Tôi là cán",
    )


@pytest.mark.parametrize(
    ("text", "font", "expected"),
    [
        ("Céng hßa", ".VnTime", "Cộng hòa"),
        ("céng hßa", ".VnTimeH", "CỘNG HÒA"),
        ("céng hßa", ".VnArial NarrowH", "CỘNG HÒA"),
        ("Coäng hoøa", "VNI-Times", "Cộng hòa"),
        ("Coäng hoøa", "VNI-Helve", "Cộng hòa"),
        ("Céng hßa", "Times New Roman", "Céng hßa"),
        ("Céng hßa", None, "Céng hßa"),
        ("Cộng hòa", ".VnTime", "Cộng hòa"),  # already Unicode
    ],
)
def test_legacy_font_text(text: str, font: str | None, expected: str) -> None:
    assert legacy_font_text(text, font) == expected


def test_docx_without_text_is_bad(tmp_path: Path) -> None:
    assert "has no text" in bad_reason(tmp_path, "a.docx", make_docx(lambda d: d.add_paragraph("  ")))


def test_docx_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * (11 * MB))
    data = buffer.getvalue()
    assert len(data) < 50_000
    reason = bad_reason(tmp_path, "bomb.docx", data, max_bytes=1 * MB)
    assert "zip bomb" in reason and "expand to 11.0 MB" in reason and "over the 10.0 MB limit" in reason


def test_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    assert "broken .docx" in bad_reason(tmp_path, "a.docx", buffer.getvalue())


# --- .pdf ----------------------------------------------------------------------------------------------


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF with a Helvetica (WinAnsi) text layer, one text line per list item."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    kids = []
    for i, lines in enumerate(pages):
        page, content = 4 + 2 * i, 5 + 2 * i
        kids.append(f"{page} 0 R")
        ops = [b"BT /F1 11 Tf 14 TL 50 780 Td"]
        for line in lines:
            text = line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            ops.append(b"(" + text + b") Tj T*")
        stream = b"\n".join([*ops, b"ET"])
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>"
        ).encode()
        objects[content] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def test_pdf_paragraphs_from_wrapped_lines(tmp_path: Path) -> None:
    pages = [
        [
            "Annual report on the work of the committee",
            "Ngày: 26/03/2024",
            "",
            "The committee met in the morning and",
            "discussed the plan for the",
            "second quarter.",
            "Tasks for the quarter:",
            "- First item of the list;",
            "- Second item which is long and",
            "wraps onto a second line.",
            "The final paragraph starts here and",
            "- 1 -",
        ],
        ["continues on the next page.", "Another paragraph.", "Trang 2"],
    ]
    doc = read(tmp_path, "a.pdf", make_pdf(pages))
    assert (doc.title, doc.date, doc.agency) == (
        "Annual report on the work of the committee",
        dt.date(2024, 3, 26),
        None,
    )
    assert doc.paragraphs == (
        "The committee met in the morning and discussed the plan for the second quarter.",
        "Tasks for the quarter:",
        "- First item of the list;",
        "- Second item which is long and wraps onto a second line.",
        "The final paragraph starts here and continues on the next page.",
        "Another paragraph.",
    )


def test_pdf_typed_with_vntime_is_converted(tmp_path: Path) -> None:
    lines = [
        "Héi nghÞ giao ban c«ng t¸c tæ chøc x©y dùng §¶ng",
        "Ngµy: 26/03/2024",
        "C¬ quan: Ban Tæ chøc TØnh ñy",
        "",
    ]
    lines += [
        to_tcvn3("Ban Tổ chức Tỉnh ủy chủ trì hội nghị giao ban"),
        to_tcvn3("công tác tổ chức xây dựng Đảng."),
    ]
    doc = read(tmp_path, "a.pdf", make_pdf([lines]))
    assert (doc.title, doc.date, doc.agency) == (
        "Hội nghị giao ban công tác tổ chức xây dựng Đảng",
        dt.date(2024, 3, 26),
        "Ban Tổ chức Tỉnh ủy",
    )
    assert doc.paragraphs == ("Ban Tổ chức Tỉnh ủy chủ trì hội nghị giao ban công tác tổ chức xây dựng Đảng.",)


def _blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [_blank_pdf(1), _blank_pdf(3), make_pdf([["12"], ["Page 2 of 3"], ["x"]])],
    ids=["one-blank-page", "three-blank-pages", "only-page-numbers"],
)
def test_pdf_without_text_layer_and_nothing_to_ocr(tmp_path: Path, data: bytes) -> None:
    assert "has no text layer and OCR found no text on its pages" in bad_reason(tmp_path, "scan.pdf", data)


def test_encrypted_pdf_is_bad(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf([["Secret report about many things."] * 20])))
    writer.encrypt(user_password="mật-khẩu", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert "encrypted PDF" in bad_reason(tmp_path, "locked.pdf", buffer.getvalue())


def test_pdf_with_owner_password_only_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(
        clone_from=io.BytesIO(
            make_pdf([["Report title", "", "A readable paragraph of the report, long enough to count."]])
        )
    )
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    doc = read(tmp_path, "open.pdf", buffer.getvalue())
    assert doc.paragraphs == ("A readable paragraph of the report, long enough to count.",)


# --- scan_corpus and helpers ---------------------------------------------------------------------------


def test_scan_corpus_skips_bad_files_and_reads_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "b/2.txt", HEADER + BODY)
    write(tmp_path, "a.md", "# Tiêu đề\n\nNội dung.\n")
    write(tmp_path, "b/1_empty.txt", b"")
    write(tmp_path, "c.docx", b"not a zip")
    write(tmp_path, "d.pdf", make_pdf([["Report", "", "A paragraph of text that is long enough to count."]]))
    write(tmp_path, "e.xlsx", b"PK")
    write(tmp_path, ".hidden.txt", HEADER + BODY)
    write(tmp_path, ".git/config.txt", HEADER + BODY)
    write(tmp_path, "~$c.docx", b"lock")
    documents, skipped = scan_corpus(tmp_path)
    assert [d.path for d in documents] == ["a.md", "b/2.txt", "d.pdf"]
    assert [path for path, _ in skipped] == ["b/1_empty.txt", "c.docx", "e.xlsx"]
    reasons = dict(skipped)
    assert reasons["b/1_empty.txt"] == "empty file"
    assert "broken zip archive" in reasons["c.docx"]
    assert "unsupported file type" in reasons["e.xlsx"]


def test_scan_corpus_passes_the_size_limit(tmp_path: Path) -> None:
    write(tmp_path, "small.txt", "Tiêu đề\n\nNội dung.\n")
    write(tmp_path, "large.txt", "Tiêu đề\n\n" + "Nội dung dài. " * 200 + "\n")
    documents, skipped = scan_corpus(tmp_path, max_bytes=1024)
    assert [d.path for d in documents] == ["small.txt"]
    assert skipped[0][0] == "large.txt" and "limit" in skipped[0][1]


def test_scan_empty_directory(tmp_path: Path) -> None:
    assert scan_corpus(tmp_path) == ([], [])


def test_file_hash(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"xin chao")
    assert file_hash(path) == hashlib.sha256(b"xin chao").hexdigest()


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (
        ".txt", ".md", ".docx", ".doc", ".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"
    )  # fmt: skip


# --- Word 97-2003 (.doc) through antiword ----------------------------------------------------------------
# The fixtures are written by tests/worddoc.py (`python -m tests.worddoc`); antiword must be installed
# (Debian package antiword; .ci/run installs it). These tests fail rather than skip without it.

DATA = Path(__file__).resolve().parent / "data"


def test_doc_in_the_administrative_layout(tmp_path: Path) -> None:
    (tmp_path / "kh.doc").write_bytes((DATA / "word97_unicode.doc").read_bytes())
    doc = read_document(tmp_path / "kh.doc", tmp_path)
    assert (doc.title, doc.date, doc.agency, doc.number) == (
        "Kế hoạch Tinh giản biên chế năm 2024 và năm 2025",
        dt.date(2024, 3, 12),
        "Ủy ban nhân dân tỉnh Bến Tre",
        "12/KH-UBND",
    )
    assert doc.paragraphs == (
        "Giảm tối thiểu 5% biên chế công chức so với năm 2021.",
        "Sở Nội vụ chủ trì, báo cáo Ủy ban nhân dân tỉnh trước ngày 30/6/2024.",
    )


def test_doc_typed_in_tcvn3_is_converted(tmp_path: Path) -> None:
    (tmp_path / "cu.doc").write_bytes((DATA / "word97_tcvn3.doc").read_bytes())
    doc = read_document(tmp_path / "cu.doc", tmp_path)
    assert (doc.title, doc.date, doc.agency) == (
        "Kế hoạch tinh giản biên chế năm 2024",
        dt.date(2024, 3, 12),
        "Sở Nội vụ tỉnh Bến Tre",
    )
    assert doc.paragraphs[-1] == "Sở Nội vụ chủ trì, báo cáo trước ngày 30/6/2024."


def test_doc_writer_makes_files_antiword_reads(tmp_path: Path) -> None:
    from tests.worddoc import write_doc

    write_doc(tmp_path / "a.doc", ["Một đoạn.", "Hai đoạn."])
    assert (tmp_path / "a.doc").read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    assert read_document(tmp_path / "a.doc", tmp_path).paragraphs == ("Một đoạn.", "Hai đoạn.")
