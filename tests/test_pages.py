"""OCR lines to document lines (index/pages.py): wrapped lines joined, hyphenation undone, paragraph breaks
kept, page furniture dropped. Pure geometry: the pages are built here, no tesseract."""

from __future__ import annotations

import pytest

from index.ocr import OcrLine, OcrPage
from index.pages import join_hyphenated, page_lines

W, H = 2480, 3508  # an A4 page at 300 dpi
LEFT, RIGHT, LINE, PITCH = 350, 2260, 40, 70


def line(text: str, row: int, *, left: int = LEFT, right: int = RIGHT, top: int = 300) -> OcrLine:
    y = top + row * PITCH
    return OcrLine(text, left, y, right, y + LINE, 1, 1, 95.0)


def page(*lines: OcrLine) -> OcrPage:
    return OcrPage(W, H, tuple(lines), 95.0)


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("tổ chức xây dựng", "Đảng quý I", "tổ chức xây dựng Đảng quý I"),
        ("chuyển đổi digi-", "tal trong cơ quan", "chuyển đổi digital trong cơ quan"),
        ("Nghị quyết số 27-", "NQ/TW của Trung ương", "Nghị quyết số 27-NQ/TW của Trung ương"),
        ("đối với CB-", "CC dôi dư", "đối với CB-CC dôi dư"),
        ("tỉnh Bà Rịa-", "Vũng Tàu", "tỉnh Bà Rịa-Vũng Tàu"),
        ("giai đoạn 2023 -", "2025", "giai đoạn 2023 - 2025"),  # a dash at the end is no hyphenation
        ("nhiệm vụ", "", "nhiệm vụ"),
    ],
)
def test_join_hyphenated(left: str, right: str, joined: str) -> None:
    assert join_hyphenated(left, right) == joined


def test_wrapped_lines_join_and_paragraphs_break_at_indents_short_lines_and_gaps() -> None:
    lines = page(
        line("KẾ HOẠCH", 0, left=1200, right=1500),  # centred: alone
        line("tinh giản biên chế năm 2024", 1, left=1000, right=1700),
        line("Thực hiện Nghị quyết số 39-NQ/TW, Ủy ban nhân dân tỉnh ban", 3, left=LEFT + 150),  # indented
        line("hành kế hoạch tinh giản biên chế như sau.", 4, right=1400),  # short last line
        line("Mục tiêu là giảm tối thiểu 5% biên chế so với năm 2021, bảo đảm", 5, left=LEFT + 150),
        line("tinh gọn bộ máy và nâng cao chất lượng đội ngũ cán bộ, công chức, viên chức", 6),
        line("của tỉnh.", 7, right=600),
        line("Sau một khoảng trống lớn, một đoạn không thụt đầu dòng mà vẫn là đoạn", 9),  # vertical gap
        line("mới.", 10, right=500),
    )
    assert page_lines([lines]) == [
        "KẾ HOẠCH",
        "tinh giản biên chế năm 2024",
        "Thực hiện Nghị quyết số 39-NQ/TW, Ủy ban nhân dân tỉnh ban hành kế hoạch tinh giản biên chế như sau.",
        "Mục tiêu là giảm tối thiểu 5% biên chế so với năm 2021, bảo đảm tinh gọn bộ máy và nâng cao chất "
        "lượng đội ngũ cán bộ, công chức, viên chức của tỉnh.",
        "Sau một khoảng trống lớn, một đoạn không thụt đầu dòng mà vẫn là đoạn mới.",
    ]


def test_columns_on_one_row_are_not_joined() -> None:
    lines = page(
        line("TỈNH ỦY THÁI BÌNH", 0, left=LEFT, right=1000),
        line("ĐẢNG CỘNG SẢN VIỆT NAM", 0, left=1400, right=RIGHT),
        line("Số 215-KL/TU", 1, left=500, right=900),
        line("Thái Bình, ngày 18 tháng 4 năm 2024", 1, left=1300, right=RIGHT),
    )
    assert page_lines([lines]) == [
        "TỈNH ỦY THÁI BÌNH", "ĐẢNG CỘNG SẢN VIỆT NAM", "Số 215-KL/TU", "Thái Bình, ngày 18 tháng 4 năm 2024"
    ]  # fmt: skip


def test_page_numbers_and_running_headers_are_dropped_and_paragraphs_cross_pages() -> None:
    header = "Kế hoạch tinh giản biên chế – Ủy ban nhân dân tỉnh Bến Tre"
    first = page(
        line(header, 0, top=120, left=700, right=1800),
        line("Đoạn đầu tiên bắt đầu ở trang một và chạy đến tận cuối trang, nơi nó", 10, left=LEFT + 150),
        line("vẫn chưa kết thúc mà còn tiếp tục ở trang sau khi người đọc lật sang", 11),
        line("1", 0, top=3300, left=1220, right=1260),
    )
    second = page(
        line(header, 0, top=120, left=700, right=1800),
        line("- 2 -", 1, top=120, left=1180, right=1300),
        line("trang hai của văn bản.", 3, right=900),
        line("Đoạn thứ hai có thụt đầu dòng.", 4, left=LEFT + 150, right=1500),
    )
    assert page_lines([first, second]) == [
        header,  # on the first page it is the page's own text
        "Đoạn đầu tiên bắt đầu ở trang một và chạy đến tận cuối trang, nơi nó vẫn chưa kết thúc mà còn tiếp tục "
        "ở trang sau khi người đọc lật sang trang hai của văn bản.",
        "Đoạn thứ hai có thụt đầu dòng.",
    ]


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("giai đoạn 2023 - 2025", "giai đoạn 2023 – 2025"),  # a spaced hyphen is a dash
        ("nhiệm vụ quý 11/2024", "nhiệm vụ quý II/2024"),  # a quarter is never 11
        ("QUÝ 111 NĂM 2024", "QUÝ III NĂM 2024"),
        ("quý 1/2024 và 11 xã", "quý 1/2024 và 11 xã"),  # arabic quarters and other numbers stay
    ],
)
def test_ocr_slips_fixed_in_lines(read: str, fixed: str) -> None:
    assert page_lines([page(line(read, 0, right=900))]) == [fixed]


def test_two_line_paragraphs_keep_their_indents() -> None:
    """A body of two-line paragraphs: half the long lines are indented first lines. A last line that
    nearly fills the column is followed by the next paragraph's indented first line, not joined to it."""
    rows = []
    for n in range(4):
        rows.append(line(f"Đoạn {n + 1} mở đầu bằng một dòng thụt vào và chạy tới lề phải của trang", 2 * n,
                         left=LEFT + 150))  # fmt: skip
        rows.append(line(f"rồi kết thúc ở dòng thứ hai gần chạm lề phải, đoạn {n + 1}.", 2 * n + 1, right=RIGHT - 50))
    assert page_lines([page(*rows)]) == [
        f"Đoạn {n + 1} mở đầu bằng một dòng thụt vào và chạy tới lề phải của trang rồi kết thúc ở dòng thứ hai "
        f"gần chạm lề phải, đoạn {n + 1}."
        for n in range(4)
    ]


def test_paragraph_runs_onto_a_page_photographed_at_another_scale() -> None:
    """Photos of one document differ in scale: the indented first line at the foot of page 1 (left 500
    of a 2480-pixel page) continues on page 2 at left 150 of a 1076-pixel page."""
    first = page(
        line("Đoạn trước đó kết thúc ở đây với một dòng đầy đủ chạy đến lề phải của trang.", 0),
        line("Kinh phí thực hiện kế hoạch năm 2024 là 38,5 tỷ đồng từ ngân sách tỉnh,", 40, left=LEFT + 150),
    )
    small = OcrPage(1076, 1504, (OcrLine("được bố trí trong dự toán chi thường xuyên.", 150, 134, 780, 158, 1, 1, 95.0),
                                 OcrLine("Đoạn tiếp theo thụt đầu dòng ở trang hai.", 210, 170, 990, 194, 1, 1, 95.0),
                                 OcrLine("và dòng thứ hai của nó.", 150, 206, 500, 230, 1, 1, 95.0)), 95.0)  # fmt: skip
    assert page_lines([first, small]) == [
        "Đoạn trước đó kết thúc ở đây với một dòng đầy đủ chạy đến lề phải của trang.",
        "Kinh phí thực hiện kế hoạch năm 2024 là 38,5 tỷ đồng từ ngân sách tỉnh, được bố trí trong dự toán chi "
        "thường xuyên.",
        "Đoạn tiếp theo thụt đầu dòng ở trang hai. và dòng thứ hai của nó.",
    ]


@pytest.mark.parametrize(("indented_page", "paragraphs"), [(True, 2), (False, 3)])
def test_a_page_break_inside_one_image(indented_page: bool, paragraphs: int) -> None:
    """A screenshot of two pages in one image: the paragraph crossing the gap between the pages goes on
    when the page indents its paragraphs; in a layout without indents the gap is the paragraph break."""
    first_left = LEFT + 150 if indented_page else LEFT
    rows = page(
        line("Việc chi trả chế độ cho người nghỉ hưu trước tuổi, thôi việc đợt 1 phải thực", 0, left=first_left),
        line("hiện xong trước 31/12/2024.", 9, right=800),  # after the gap between the two pages
        line("Người giữ chức danh bí thư, chủ tịch không được bố trí lại chức vụ cũ thì được", 10, left=first_left),
        line("bảo lưu phụ cấp chức vụ theo quy định.", 11, right=1200),
    )
    assert len(page_lines([rows])) == paragraphs
