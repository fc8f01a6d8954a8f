"""The administrative layout (index/layout.py): letterheads of party and state bodies in every arrangement
the readers produce, numbers, place-and-date lines, titles, and normal case."""

from __future__ import annotations

import datetime as dt

import pytest

from index.layout import combine_issuer, normal_case, parse_admin_header, split_columns

D = dt.date

PARTY = ["TỈNH ỦY QUẢNG TRỊ", "ĐẢNG CỘNG SẢN VIỆT NAM", "BAN TỔ CHỨC", "*", "Số 87-BC/BTCTU"]
BODY = "Ngày 2/4, Ban Tổ chức Tỉnh ủy tổ chức hội nghị giao ban."


@pytest.mark.parametrize(
    ("lines", "agency", "number", "date", "title"),
    [
        # party body, OCR order (left segment then right segment of each row)
        (
            [*PARTY, "Quảng Trị, ngày 27 tháng 3 năm 2024", "BÁO CÁO", "kết quả công tác quý I", BODY],
            "Ban Tổ chức Tỉnh ủy Quảng Trị", "87-BC/BTCTU", D(2024, 3, 27), "Báo cáo kết quả công tác quý I",
        ),
        # state body, the columns side by side on one line (a PDF text layer), leading zeros
        (
            [
                "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "TỈNH BẾN TRE Độc lập - Tự do - Hạnh phúc",
                "Số: 12/KH-UBND Bến Tre, ngày 05 tháng 01 năm 2024",
                "KẾ HOẠCH", "Tinh giản biên chế năm 2024", BODY,
            ],
            "Ủy ban nhân dân tỉnh Bến Tre", "12/KH-UBND", D(2024, 1, 5), "Kế hoạch Tinh giản biên chế năm 2024",
        ),
        # a department under the provincial people's committee, a Word table row joined with " | "
        (
            [
                "UBND TỈNH QUẢNG NGÃI | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "SỞ NỘI VỤ | Độc lập – Tự do – Hạnh phúc",
                "Số:45/HD-SNV | Quảng Ngãi, ngày 8 tháng 7 năm 2024",
                "HƯỚNG DẪN", "THỰC HIỆN MỨC LƯƠNG CƠ SỞ MỚI", BODY,
            ],
            "Sở Nội vụ tỉnh Quảng Ngãi", "45/HD-SNV", D(2024, 7, 8), "Hướng dẫn thực hiện mức lương cơ sở mới",
        ),
        # the provincial party committee itself, number without colon, title in capitals over two lines
        (
            [
                "TỈNH ỦY THÁI BÌNH", "*", "Số 215-KL/TU", "ĐẢNG CỘNG SẢN VIỆT NAM",
                "Thái Bình, ngày 18 tháng 4 năm 2024", "KẾT LUẬN",
                "CỦA BAN THƯỜNG VỤ TỈNH ỦY VỀ VIỆC SẮP XẾP ĐƠN VỊ", "HÀNH CHÍNH CẤP XÃ GIAI ĐOẠN 2023 – 2025",
                BODY,
            ],
            "Tỉnh ủy Thái Bình", "215-KL/TU", D(2024, 4, 18),
            "Kết luận của Ban Thường vụ Tỉnh ủy về việc sắp xếp đơn vị hành chính cấp xã giai đoạn 2023 – 2025",
        ),
        # a place with diacritics and a hyphen; a wrapped normal-case title ending in a period symbol
        (
            [
                "UBND TỈNH BÀ RỊA - VŨNG TÀU", "BAN CHỈ ĐẠO THỰC HIỆN", "ĐỀ ÁN 06",
                "Số: 7/BC-BCĐ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                "Bà Rịa - Vũng Tàu, ngày 3 tháng 10 năm 2024", "BÁO CÁO", "sơ kết thực hiện Đề án 06 quý", "III/2024",
                "-----", BODY,
            ],
            "Ban Chỉ đạo thực hiện Đề án 06 tỉnh Bà Rịa - Vũng Tàu", "7/BC-BCĐ", D(2024, 10, 3),
            "Báo cáo sơ kết thực hiện Đề án 06 quý III/2024",
        ),
        # an official letter: no kind line, the subject under the number
        (
            [
                "UBND TỈNH ĐẮK LẮK", "SỞ TÀI CHÍNH", "Số: 1203/STC-NS", "V/v hướng dẫn lập dự toán",
                "ngân sách năm 2025", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                "Đắk Lắk, ngày 21 tháng 6 năm 2024", "Kính gửi: Các sở, ban, ngành.", BODY,
            ],
            "Sở Tài chính tỉnh Đắk Lắk", "1203/STC-NS", D(2024, 6, 21), "hướng dẫn lập dự toán ngân sách năm 2025",
        ),
        # an OCR misreading of the motto's tone mark, a date without leading zeros in a city
        (
            [
                "THÀNH ỦY HÀ NỘI", "ĐẲNG CỘNG SẢN VIỆT NAM", "BAN TUYÊN GIÁO", "Số 9-HD/BTGTU",
                "Hà Nội, ngày 1 tháng 2 năm 2025", "HƯỚNG DẪN", "tuyên truyền kỷ niệm 95 năm Ngày thành lập Đảng", BODY,
            ],
            "Ban Tuyên giáo Thành ủy Hà Nội", "9-HD/BTGTU", D(2025, 2, 1),
            "Hướng dẫn tuyên truyền kỷ niệm 95 năm Ngày thành lập Đảng",
        ),
        # a letter of the motto read twice ("ĐẢẲNG"): still the motto, not part of the issuing body
        (
            [
                "TỈNH ỦY PHÚ THỌ", "ĐẢẲNG CỘNG SẢN VIỆT NAM", "BAN TỔ CHỨC", "*", "Số 115-BC/BTCTU",
                "Phú Thọ, ngày 16 tháng 8 năm 2024", "BÁO CÁO", "giao ban công tác bảo vệ chính trị nội bộ", BODY,
            ],
            "Ban Tổ chức Tỉnh ủy Phú Thọ", "115-BC/BTCTU", D(2024, 8, 16),
            "Báo cáo giao ban công tác bảo vệ chính trị nội bộ",
        ),
        # the kind read with a stray full stop, a title in capitals wrapped before a one-letter piece
        (
            [
                *PARTY, "Quảng Trị, ngày 27 tháng 3 năm 2024", "BÁO CÁO.", "GIAO BAN CÔNG TÁC QUÝ", "I,",
                "TRIỂN KHAI NHIỆM VỤ QUÝ II/2024", BODY,
            ],
            "Ban Tổ chức Tỉnh ủy Quảng Trị", "87-BC/BTCTU", D(2024, 3, 27),
            "Báo cáo giao ban công tác quý I, triển khai nhiệm vụ quý II/2024",
        ),
        # a district party committee under the provincial party organisation
        (
            [
                "ĐẢNG BỘ TỈNH LÂM ĐỒNG", "HUYỆN ỦY ĐỨC TRỌNG", "*", "Số 30-TB/HU", "ĐẢNG CỘNG SẢN VIỆT NAM",
                "Đức Trọng, ngày 09 tháng 9 năm 2024", "THÔNG BÁO", "kết luận của Ban Thường vụ Huyện ủy", BODY,
            ],
            "Huyện ủy Đức Trọng", "30-TB/HU", D(2024, 9, 9), "Thông báo kết luận của Ban Thường vụ Huyện ủy",
        ),
    ],
)  # fmt: skip
def test_admin_header(lines: list[str], agency: str, number: str, date: dt.date, title: str) -> None:
    header = parse_admin_header(lines, "\n".join(lines))
    assert header is not None
    assert (header.agency, header.number, header.date, header.title) == (agency, number, date, title)
    body = lines[header.body_start :]
    assert body[-1] == BODY and len(body) <= 2  # at most an addressee line ("Kính gửi: …") before the body


@pytest.mark.parametrize(
    "lines",
    [
        ["Kế hoạch luân chuyển cán bộ", "Thực hiện Quy định số 65-QĐ/TW."],  # no letterhead at all
        ["BÁO CÁO SƠ KẾT", "Số 412 đảng viên mới được kết nạp."],  # a count, not a number line
        ["Hội nghị họp tại Hà Nội, ngày 5 tháng 6 năm 2024.", "Hai."],  # a sentence with a date
        ["Họp ở Hà Nội, ngày 5 tháng 6 năm 2024", "Hai."],  # lower-case words are no place
    ],
)
def test_no_admin_header(lines: list[str]) -> None:
    assert parse_admin_header(lines) is None


@pytest.mark.parametrize(
    ("line", "cells"),
    [
        ("TỈNH ỦY THÁI BÌNH ĐẢNG CỘNG SẢN VIỆT NAM", ["TỈNH ỦY THÁI BÌNH", "ĐẢNG CỘNG SẢN VIỆT NAM"]),
        ("Số 31-KL/TU Thái Bình, ngày 18 tháng 4 năm 2024", ["Số 31-KL/TU", "Thái Bình, ngày 18 tháng 4 năm 2024"]),
        ("BAN TỔ CHỨC Quảng Trị, ngày 27 tháng 3 năm 2024", ["BAN TỔ CHỨC", "Quảng Trị, ngày 27 tháng 3 năm 2024"]),
        ("* TP. Hồ Chí Minh, ngày 2 tháng 9 năm 2024", ["*", "TP. Hồ Chí Minh, ngày 2 tháng 9 năm 2024"]),
        ("UBND TỈNH BẾN TRE | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
         ["UBND TỈNH BẾN TRE", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]),
        # a body sentence stays whole
        ("Hội nghị tổ chức tại Quảng Trị, ngày 27 tháng 3 năm 2024",
         ["Hội nghị tổ chức tại Quảng Trị, ngày 27 tháng 3 năm 2024"]),
    ],
)  # fmt: skip
def test_split_columns(line: str, cells: list[str]) -> None:
    assert split_columns(line) == cells


@pytest.mark.parametrize(
    ("lines", "agency"),
    [
        (["TỈNH ỦY QUẢNG TRỊ", "BAN TỔ CHỨC"], "Ban Tổ chức Tỉnh ủy Quảng Trị"),
        (["ỦY BAN NHÂN DÂN", "TỈNH BẾN TRE"], "Ủy ban nhân dân tỉnh Bến Tre"),
        (["UBND TỈNH QUẢNG NGÃI", "HỘI ĐỒNG THI NÂNG NGẠCH", "CÔNG CHỨC"],
         "Hội đồng thi nâng ngạch công chức tỉnh Quảng Ngãi"),
        (["UBND TỈNH BẾN TRE"], "Ủy ban nhân dân tỉnh Bến Tre"),
        (["BỘ NỘI VỤ"], "Bộ Nội vụ"),
        (["TỈNH ỦY HÀ TĨNH", "BAN THƯỜNG VỤ", "*"], "Ban Thường vụ Tỉnh ủy Hà Tĩnh"),
        (["THÀNH ỦY TP. HỒ CHÍ MINH", "ỦY BAN KIỂM TRA"], "Ủy ban Kiểm tra Thành ủy TP. Hồ Chí Minh"),
        ([], None),
    ],
)  # fmt: skip
def test_combine_issuer(lines: list[str], agency: str | None) -> None:
    assert combine_issuer(lines) == agency


@pytest.mark.parametrize(
    ("caps", "context", "first", "expected"),
    [
        ("QUẢNG TRỊ GIAO BAN CÔNG TÁC QUÝ II/2024", "Hội nghị giao ban công tác được tổ chức.", True,
         "Quảng Trị giao ban công tác quý II/2024"),
        ("KẾT LUẬN CỦA BTV TỈNH ỦY VỀ SẮP XẾP ĐVHC", "", False, "kết luận của BTV Tỉnh ủy về sắp xếp ĐVHC"),
        ("THEO NGHỊ QUYẾT SỐ 27-NQ/TW", "Thực hiện Nghị quyết số 27-NQ/TW của Trung ương.", False,
         "theo Nghị quyết số 27-NQ/TW"),
        ("ĐẠI HỘI ĐẢNG BỘ TỈNH LẦN THỨ XX", "Tiến tới Đại hội Đảng bộ tỉnh lần thứ XX.", True,
         "Đại hội Đảng bộ tỉnh lần thứ XX"),
        ("CHẾ ĐỘ ĐỐI VỚI CB-CC DÔI DƯ", "", True, "Chế độ đối với CB-CC dôi dư"),
        ("PHÁT TRIỂN ĐẢNG VIÊN", "Công tác phát triển đảng viên năm 2024.", True, "Phát triển đảng viên"),
        # OCR slips in capitals: a known name read with a wrong tone mark, "QUÝ" without its acute
        ("ỦY BẠN NHÂN DÂN TỈNH HÀ TĨNH", "", True, "Ủy ban nhân dân tỉnh Hà Tĩnh"),
        ("GIAO BAN QUY II VÀ 6 THÁNG ĐẦU NĂM", "", False, "giao ban quý II và 6 tháng đầu năm"),
    ],
)  # fmt: skip
def test_normal_case(caps: str, context: str, first: bool, expected: str) -> None:
    assert normal_case(caps, context, capitalise_first=first) == expected
