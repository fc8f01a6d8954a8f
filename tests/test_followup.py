"""index.followup.merge: a follow-up read with the question it replies to."""

from __future__ import annotations

import pytest

from index.followup import merge

Q1 = "kết quả kết nạp đảng viên của Quảng Trị quý I/2024?"


@pytest.mark.parametrize(
    ("previous", "followup", "question", "kinds"),
    [
        # a province replaces the province; the period and the topic are kept
        (Q1, "còn ở Sóc Trăng thì sao?", "kết quả kết nạp đảng viên của Sóc Trăng quý I/2024?", ("province",)),
        (Q1, "con o soc trang thi sao", "kết quả kết nạp đảng viên của soc trang quý I/2024?", ("province",)),
        (Q1, "tỉnh Hà Tĩnh?", "kết quả kết nạp đảng viên của tỉnh Hà Tĩnh quý I/2024?", ("province",)),
        # a quarter replaces the quarter and keeps the year; a year replaces the year and keeps the quarter
        (Q1, "thế còn quý III?", "kết quả kết nạp đảng viên của Quảng Trị quý III/2024?", ("period",)),
        (Q1, "năm 2025 thì sao", "kết quả kết nạp đảng viên của Quảng Trị quý I/2025?", ("period",)),
        (Q1, "quý 2 năm 2025?", "kết quả kết nạp đảng viên của Quảng Trị quý II/2025?", ("period",)),
        (
            "kết nạp đảng viên 6 tháng đầu năm 2024 ở Sóc Trăng",
            "6 tháng cuối năm thì sao",
            "kết nạp đảng viên 6 tháng cuối năm 2024 ở Sóc Trăng",
            ("period",),
        ),
        # both at once
        (Q1, "còn Sóc Trăng quý III?", "kết quả kết nạp đảng viên của Sóc Trăng quý III/2024?", ("province", "period")),
        # what the earlier question did not name is added
        (
            "lương cơ sở từ 1/7/2024 là bao nhiêu",
            "ở Hà Tĩnh thì sao",
            "lương cơ sở từ 1/7/2024 là bao nhiêu Hà Tĩnh",
            ("province",),
        ),
        ("chỉ tiêu kết nạp đảng viên", "năm 2025?", "chỉ tiêu kết nạp đảng viên năm 2025", ("period",)),
        # a unit replaces the unit
        (
            "Sở Nội vụ tỉnh Quảng Ngãi hướng dẫn lương cơ sở thế nào",
            "còn Sở Tài chính?",
            "Sở Tài chính tỉnh Quảng Ngãi hướng dẫn lương cơ sở thế nào",
            ("unit",),
        ),
        (
            "Ban Tổ chức Tỉnh ủy Lâm Đồng giao chỉ tiêu kết nạp bao nhiêu",
            "còn Ban Tuyên giáo thì sao?",
            "Ban Tuyên giáo Tỉnh ủy Lâm Đồng giao chỉ tiêu kết nạp bao nhiêu",
            ("unit",),
        ),
        # a document replaces the document
        (
            "Nghị quyết 27-NQ/TW nói gì về tiền lương",
            "thế còn Kết luận 83-KL/TW?",
            "Kết luận 83-KL/TW nói gì về tiền lương",
            ("document",),
        ),
        (
            "NĐ 73 quy định lương cơ sở bao nhiêu",
            "còn nghị định 24?",
            "nghị định 24 quy định lương cơ sở bao nhiêu",
            ("document",),
        ),
    ],
)
def test_merge(previous: str, followup: str, question: str, kinds: tuple[str, ...]) -> None:
    merged = merge(previous, followup)
    assert merged is not None
    assert merged.question == question
    assert merged.replaced == kinds


@pytest.mark.parametrize(
    "followup",
    [
        "mật khẩu quản trị cổng thông tin",  # a question of its own: names nothing
        "hồ sơ kết nạp gửi Ban Tổ chức trước ngày nào khi xét duyệt",  # names a unit, but says much more
        "cảm ơn",
        "kế hoạch 2024 về chuyển đổi số của các sở ngành ra sao",
    ],
)
def test_a_question_of_its_own(followup: str) -> None:
    assert merge(Q1, followup) is None
