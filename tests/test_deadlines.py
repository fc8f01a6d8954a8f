"""Deadline expressions: every form, with and without diacritics, edge dates, and user-typed deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.deadlines import Deadline, bare_deadline, find_deadlines, parse_deadline, parse_user_deadline
from index.text import fold

REF = dt.date(2024, 3, 27)  # a document dated 27/03/2024
D = dt.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gửi báo cáo trước ngày 30/6/2024.", D(2024, 6, 30)),
        ("hoàn thành chậm nhất ngày 15/8", D(2024, 8, 15)),
        ("hoàn thành chậm nhất là ngày 15/8", D(2024, 8, 15)),
        ("trình trước ngày 05 tháng 02 năm 2024", D(2024, 2, 5)),
        ("ngày 05 tháng 02 năm 2024", D(2024, 2, 5)),
        ("tổ chức trong tháng 9/2024", D(2024, 9, 30)),
        ("tổ chức trong tháng 2 năm 2025", D(2025, 2, 28)),
        ("quý II/2024", D(2024, 6, 30)),
        ("triển khai trong quý III", D(2024, 9, 30)),
        ("trong quý IV", D(2024, 12, 31)),
        ("trong quý I/2025", D(2025, 3, 31)),
        ("hoàn thành trong Quý 2", D(2024, 6, 30)),
        ("hoàn thành trong quý 4 năm 2025", D(2025, 12, 31)),
        ("6 tháng đầu năm 2025", D(2025, 6, 30)),
        ("đạt 100% trong 6 tháng đầu năm 2025", D(2025, 6, 30)),
        ("trong 9 tháng đầu năm", D(2024, 9, 30)),
        ("6 tháng cuối năm", D(2024, 12, 31)),
        ("cuối năm", D(2024, 12, 31)),
        ("đến cuối năm 2025 đạt 100%", D(2025, 12, 31)),
        ("trong năm 2024", D(2024, 12, 31)),
        ("đến hết năm 2026, mỗi xã phải giảm 50%", D(2026, 12, 31)),
        ("đầu tháng 7", D(2024, 7, 1)),
        ("giữa tháng 7", D(2024, 7, 15)),
        ("cuối tháng 7", D(2024, 7, 31)),
        ("cuối tháng 2/2024", D(2024, 2, 29)),
        ("trước 31/12/2024", D(2024, 12, 31)),
        ("phải thực hiện xong trước 15/5", D(2024, 5, 15)),
        ("đến hết quý II/2024 cơ bản xóa thôn chưa có đảng viên", D(2024, 6, 30)),
        ("trình HĐND tại kỳ họp thường lệ tháng 7/2024", D(2024, 7, 31)),
        ("trước tháng 9/2024", D(2024, 8, 31)),  # before a period: the day before it starts
        ("trước quý III/2024", D(2024, 6, 30)),
        ("báo cáo trước 10-01-2025", D(2025, 1, 10)),
        ("Thời hạn hoàn thành: 30/9/2025.", D(2025, 9, 30)),
        ("Thời gian thực hiện: Quý IV/2025", D(2025, 12, 31)),
        ("báo cáo chậm nhất vào ngày 05 tháng 10 năm 2025", D(2025, 10, 5)),
        # year-less dates keep the document's year, even when that is before the document date
        ("gửi chậm nhất ngày 15/1", D(2024, 1, 15)),
    ],
)
def test_dated_forms(text: str, expected: dt.date) -> None:
    found = parse_deadline(text, REF)
    assert found is not None and found.date == expected and found.recurring is None
    assert found.text in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("truoc ngay 30/6/2024", D(2024, 6, 30)),
        ("cham nhat la ngay 15/8", D(2024, 8, 15)),
        ("TRƯỚC NGÀY 30/6/2024", D(2024, 6, 30)),
        ("trong quy III/2024", D(2024, 9, 30)),
        ("6 thang dau nam 2025", D(2025, 6, 30)),
        ("cuoi thang 7", D(2024, 7, 31)),
        ("trong thang 9/2024", D(2024, 9, 30)),
    ],
)
def test_without_diacritics_or_upper_case(text: str, expected: dt.date) -> None:
    found = parse_deadline(text, REF)
    assert found is not None and found.date == expected


@pytest.mark.parametrize(
    ("numeral", "month"),
    [("I", 3), ("II", 6), ("III", 9), ("IV", 12), ("1", 3), ("2", 6), ("3", 9), ("4", 12)],
)
def test_quarter_numerals(numeral: str, month: int) -> None:
    found = parse_deadline(f"hoàn thành trong quý {numeral}/2025", REF)
    assert found is not None and found.date is not None
    assert (found.date.year, found.date.month) == (2025, month)
    assert found.date.day == (31 if month in (3, 12) else 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("trước ngày 29/2/2024", D(2024, 2, 29)),  # leap year
        ("trước ngày 29/2/2025", None),  # not a leap year
        ("trước ngày 31/4/2024", None),  # April has 30 days
        ("trước ngày 0/4/2024", None),
        ("trong tháng 13/2024", None),
        ("trong quý V/2024", None),
    ],
)
def test_impossible_dates_are_none(text: str, expected: dt.date | None) -> None:
    found = parse_deadline(text, REF)
    assert (found.date if found else None) == expected


@pytest.mark.parametrize(
    ("text", "recurring"),
    [
        ("định kỳ hằng tháng, trước ngày 25, tổng hợp báo cáo", "monthly, before day 25"),
        ("hằng tháng, trước ngày 25", "monthly, before day 25"),
        ("hàng tháng, trước ngày 20", "monthly, before day 20"),
        ("báo cáo định kỳ hằng quý", "quarterly"),
        (
            "hằng quý, trước ngày 15 của tháng cuối quý",
            "quarterly, before day 15 of the quarter's last month",
        ),
        (  # the qualifier far from its marker still belongs to it
            "Hằng quý, các huyện báo cáo về Sở trước ngày 20 của tháng cuối quý.",
            "quarterly, before day 20 of the quarter's last month",
        ),
        ("6 tháng một lần", "semiannual"),
        ("định kỳ 6 tháng, trước ngày 15/6 và ngày 15/12 hằng năm", "semiannual, before Jun 15 and Dec 15"),
        ("gửi bản nhận xét trước ngày 15/12 hằng năm", "yearly, before Dec 15"),
        ("hằng năm", "yearly"),
        ("hàng năm", "yearly"),
        ("hằng tuần", "weekly"),
        ("hằng tuần, trước thứ Sáu", "weekly, before Friday"),
        ("3 tháng/lần", "quarterly"),
        ("định kỳ 2 tháng một lần", "every 2 months"),
        ("dinh ky hang thang, truoc ngay 25", "monthly, before day 25"),
    ],
)
def test_recurring_forms(text: str, recurring: str) -> None:
    found = parse_deadline(text, REF)
    assert found is not None and found.date is None
    assert found.recurring == recurring


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("giải quyết dứt điểm đơn thư trước Đại hội.", "trước Đại hội"),
        ("triển khai sau khi có hướng dẫn của Trung ương.", "sau khi có hướng dẫn của Trung ương"),
        (
            "hoàn thành chậm nhất 45 ngày sau khi nghị quyết có hiệu lực.",
            "chậm nhất 45 ngày sau khi nghị quyết có hiệu lực",
        ),
        (
            "gửi chậm nhất 30 ngày trước ngày khai mạc đại hội.",
            "chậm nhất 30 ngày trước ngày khai mạc đại hội",
        ),
        (
            "chỉ định trong vòng 30 ngày kể từ ngày nghị quyết có hiệu lực",
            "trong vòng 30 ngày kể từ ngày nghị quyết có hiệu lực",
        ),
        ("Sau khi kết thúc đại hội 15 ngày, các đơn vị gửi báo cáo.", "Sau khi kết thúc đại hội 15 ngày"),
    ],
)
def test_relative_forms_keep_text(text: str, expression: str) -> None:
    found = parse_deadline(text, REF)
    assert found is not None and found.date is None and found.recurring is None
    assert found.text == expression


@pytest.mark.parametrize(
    "text",
    [
        "Thực hiện Nghị quyết số 27-NQ/TW ngày 21/5/2018 của Hội nghị Trung ương 7.",
        "Từ ngày 1/7/2024, mức lương cơ sở là 2.340.000 đồng/tháng.",
        "tầm nhìn đến năm 2030",
        "Sáng 27/3, tại huyện Hải Lăng, hội nghị giao ban được tổ chức.",
        "nghỉ hưu trước tuổi theo Nghị định 29/2023/NĐ-CP",
        "Kỳ thi sẽ diễn ra vào ngày 24 và 25/8/2024.",
        "báo cáo kết quả 6 tháng đầu năm 2024 như sau",
        "chỉ đạo không để phát sinh điểm nóng trước, trong và sau đại hội",
        "mỗi năm công tác được tính bằng 1,5 tháng phụ cấp",
    ],
)
def test_not_deadlines(text: str) -> None:
    assert parse_deadline(text, REF) is None


def test_last_expression_is_the_deadline_and_leading_frame_is_not() -> None:
    found = parse_deadline("Trong quý II/2024, các huyện ủy hoàn thành rà soát trước ngày 15/6/2024.", REF)
    assert found == Deadline(D(2024, 6, 15), None, "trước ngày 15/6/2024")
    frame = find_deadlines("Trong quý III năm 2024, ngành tổ chức tiếp tục bám sát chỉ đạo.", REF)
    assert [m.frame for m in frame] == [True]


def test_start_date_is_not_the_deadline() -> None:
    found = parse_deadline("dự toán kinh phí tăng lương từ ngày 1/7/2024, hoàn thành chậm nhất ngày 20/6.", REF)
    assert found is not None and found.date == D(2024, 6, 20)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("Quý IV/2025", D(2025, 12, 31)), ("Tháng 10", D(2024, 10, 31)), ("30/9/2025", D(2025, 9, 30))],
)
def test_bare_deadline_is_a_whole_cell(cell: str, expected: dt.date) -> None:
    row = f"1 | Tập huấn | Sở Nội vụ | {cell}"
    found = bare_deadline(row, REF, row.rindex("|") + 2)
    assert found is not None and found.deadline.date == expected
    assert row[found.start : found.end] == cell
    assert bare_deadline("Tập huấn trong Quý IV/2025 tại huyện", REF) is None


def test_year_less_dates_without_reference_are_not_resolved() -> None:
    assert parse_deadline("chậm nhất ngày 15/8", None) is None
    assert parse_deadline("trước ngày 15/8/2024", None) == Deadline(D(2024, 8, 15), None, "trước ngày 15/8/2024")


def test_offsets_point_into_the_text() -> None:
    text = "Sở Nội vụ chủ trì; báo cáo trước ngày 30/6/2024; định kỳ hằng quý báo cáo."
    for m in find_deadlines(text, REF):
        assert text[m.start : m.end] == m.deadline.text


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)), st.booleans(), st.booleans())
def test_any_valid_date_round_trips(day: dt.date, padded: bool, plain: bool) -> None:
    d, m = (f"{day.day:02d}", f"{day.month:02d}") if padded else (str(day.day), str(day.month))
    text = f"trước ngày {d}/{m}/{day.year}"
    text = fold(text) if plain else text
    found = parse_deadline(f"Các đơn vị gửi báo cáo {text}.", REF)
    assert found is not None and found.date == day and found.text == text


@given(st.integers(1, 12), st.integers(1, 31), st.integers(1990, 2100))
def test_invalid_day_month_pairs_are_refused(month: int, day: int, year: int) -> None:
    try:
        expected: dt.date | None = dt.date(year, month, day)
    except ValueError:
        expected = None
    found = parse_deadline(f"trước ngày {day}/{month}/{year}", REF)
    assert (found.date if found else None) == expected


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_never_crashes(text: str) -> None:
    found = parse_deadline(text, REF)
    assert found is None or found.text


# ------------------------------------------------------------------------------------------- user deadlines

TODAY = D(2024, 5, 10)


@pytest.mark.parametrize(
    ("text", "date", "rest"),
    [
        ("30/6/2024 nộp báo cáo quý", D(2024, 6, 30), "nộp báo cáo quý"),
        ("15/8 họp chi bộ", D(2024, 8, 15), "họp chi bộ"),
        ("10/5 họp", D(2024, 5, 10), "họp"),  # today counts as the next occurrence
        ("1/5 họp", D(2025, 5, 1), "họp"),  # already past this year: next year
        ("29/2 rà soát", D(2028, 2, 29), "rà soát"),
        ("trước ngày 20/6: gửi danh sách", D(2024, 6, 20), "gửi danh sách"),
        ("cuối tháng 7 tổng kết", D(2024, 7, 31), "tổng kết"),
        ("quý I tổng kết", D(2025, 3, 31), "tổng kết"),
        ("trong quý III/2024 - kiểm tra", D(2024, 9, 30), "kiểm tra"),
        ("6 tháng đầu năm 2025 số hóa hồ sơ", D(2025, 6, 30), "số hóa hồ sơ"),
        ("ngày 05 tháng 02 năm 2025 nộp hồ sơ", D(2025, 2, 5), "nộp hồ sơ"),
        ("cuối năm báo cáo", D(2024, 12, 31), "báo cáo"),
        ("hôm nay gọi điện", TODAY, "gọi điện"),
        ("ngày mai gọi điện", D(2024, 5, 11), "gọi điện"),
    ],
)
def test_user_deadline(text: str, date: dt.date, rest: str) -> None:
    found = parse_user_deadline(text, TODAY)
    assert found is not None and found.date == date
    assert text[found.consumed :] == rest


@pytest.mark.parametrize(
    "text",
    [
        "31/4 họp",
        "31/4/2024 họp",
        "hằng tháng báo cáo",
        "trước Đại hội rà soát",
        "họp chi bộ 15/8",
        "",
        "   ",
    ],
)
def test_user_deadline_refused(text: str) -> None:
    assert parse_user_deadline(text, TODAY) is None


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)), st.dates(D(2000, 1, 1), D(2099, 12, 31)))
def test_user_day_month_is_the_next_occurrence(target: dt.date, today: dt.date) -> None:
    found = parse_user_deadline(f"{target.day}/{target.month} việc", today)
    assert found is not None
    assert found.date >= today and (found.date.day, found.date.month) == (target.day, target.month)
    assert (found.date - today).days <= 366 * 8  # 29/2 may wait for the next leap year
    if not (target.day == 29 and target.month == 2):
        assert (found.date - today).days < 366
