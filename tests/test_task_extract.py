"""Task extraction on hand-written sentences of the genre, the eval targets on the shipped corpus, and the
`chidao tasks extract` command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import main
from index.model import Document
from index.tasks import TaskCandidate, extract_tasks

D = dt.date
DOC_DATE = D(2025, 8, 12)
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
GOLD = ROOT.parent / "shared" / "eval" / "tasks.jsonl"


def tasks_of(*paragraphs: str, date: dt.date | None = DOC_DATE) -> list[TaskCandidate]:
    doc = Document(path="kh.txt", title="Kế hoạch", date=date, agency="UBND huyện", paragraphs=paragraphs)
    return extract_tasks(doc)


def only(*paragraphs: str) -> TaskCandidate:
    found = tasks_of(*paragraphs)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("sentence", "owner", "deadline"),
    [
        (
            "Giao Sở Giáo dục và Đào tạo chủ trì xây dựng kế hoạch chuyển đổi số ngành giáo dục, "
            "trình UBND tỉnh trước ngày 15/10/2025.",
            "Sở Giáo dục và Đào tạo",
            D(2025, 10, 15),
        ),
        (
            "Thường trực Huyện ủy yêu cầu Đảng ủy các xã hoàn thành kiện toàn chi bộ thôn chậm nhất ngày 30/9.",
            "Đảng ủy các xã",
            D(2025, 9, 30),
        ),
        (
            "Về công tác cán bộ, Ban Tổ chức Huyện ủy phối hợp Phòng Nội vụ rà soát hồ sơ đảng viên, "
            "hoàn thành trong quý IV/2025.",
            "Ban Tổ chức Huyện ủy phối hợp Phòng Nội vụ",
            D(2025, 12, 31),
        ),
        (
            "Nhiệm vụ 2: Các trường trung học cơ sở lập danh sách giáo viên dôi dư, gửi Phòng Giáo dục "
            "trong tháng 10/2025.",
            "Các trường trung học cơ sở",
            D(2025, 10, 31),
        ),
        (
            "Ủy ban nhân dân các xã, thị trấn phải hoàn thành số hóa hồ sơ địa chính trong 6 tháng đầu năm 2026.",
            "Ủy ban nhân dân các xã, thị trấn",
            D(2026, 6, 30),
        ),
        (
            "Đồng chí Bí thư Huyện ủy đề nghị các chi bộ trực thuộc tổ chức sinh hoạt chuyên đề trước 30/11/2025.",
            "các chi bộ trực thuộc",
            D(2025, 11, 30),
        ),
        (
            "Cac don vi gui bao cao ket qua ve Phong Noi vu truoc ngay 20/9/2025.",
            "Cac don vi",
            D(2025, 9, 20),
        ),
        (
            "Chậm nhất ngày 20/10/2025, các huyện, thị xã, thành phố gửi báo cáo sơ kết về Sở Nội vụ.",
            "các huyện, thị xã, thành phố",
            D(2025, 10, 20),
        ),
        (
            "Đề nghị Ủy ban MTTQ Việt Nam tỉnh và các tổ chức chính trị – xã hội phối hợp tuyên truyền, "
            "gửi kết quả về Ban Dân vận trước ngày 30/11/2025.",
            "Ủy ban MTTQ Việt Nam tỉnh và các tổ chức chính trị – xã hội",
            D(2025, 11, 30),
        ),
        (
            "- Sở Tài chính: Bố trí kinh phí trong dự toán năm 2026, hoàn thành trong quý I/2026.",
            "Sở Tài chính",
            D(2026, 3, 31),
        ),
        (
            "a) Các huyện ủy, thị ủy, thành ủy: lãnh đạo quán triệt Nghị quyết xong trước ngày 30/10/2025.",
            "Các huyện ủy, thị ủy, thành ủy",
            D(2025, 10, 30),
        ),
        ("Hội nghị tổng kết công tác năm dự kiến được tổ chức trong tháng 12/2025.", None, D(2025, 12, 31)),
    ],
)
def test_directive_with_deadline(sentence: str, owner: str | None, deadline: dt.date) -> None:
    task = only(sentence)
    assert (task.owner, task.deadline, task.recurring) == (owner, deadline, None)
    assert task.text == sentence and task.paragraph == 1 and task.doc == "kh.txt"
    assert task.deadline_text and task.deadline_text in sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "Trong 9 tháng, Phòng Nội vụ đã hoàn thành thẩm định 45 đề án vị trí việc làm trước ngày 30/6/2025.",
        "Việc rà soát quy hoạch cán bộ đã hoàn thành trước ngày 15/6/2025, đúng kế hoạch đề ra.",
        "Trong quý II/2025, toàn huyện kết nạp 120 đảng viên mới, đạt 52% chỉ tiêu.",
        "Hạn chế: một số đơn vị gửi báo cáo chậm so với yêu cầu trước ngày 15/7/2025.",
        "Cán bộ luân chuyển được hưởng phụ cấp hằng tháng theo quy định.",
        "Giấy xác nhận có giá trị trong thời hạn 6 tháng kể từ ngày cấp.",
        "Căn cứ Nghị quyết số 18-NQ/TW ngày 25/10/2017, Huyện ủy ban hành kế hoạch này.",
        "Ngày 10/8, Ban Thường vụ Huyện ủy họp nghe báo cáo tiến độ chuẩn bị đại hội.",
        "Kết quả đánh giá, xếp loại hằng năm là căn cứ để xét thi đua.",
        "Mục tiêu đến năm 2030, 100% thủ tục hành chính được giải quyết trực tuyến.",
        "Ban Chỉ đạo đã kiểm tra tại 12 xã trong tháng 7/2025.",  # a past period of the year
        "Các đơn vị đã gửi báo cáo về Sở Nội vụ trước ngày 15/8.",
        "Sở Nội vụ chủ trì tổng kết Nghị quyết, báo cáo Tỉnh ủy trước ngày 30/6/2025.",  # due before the doc
    ],
)
def test_reports_and_rules_are_not_tasks(sentence: str) -> None:
    assert tasks_of(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "owner", "recurring"),
    [
        (
            "Các phòng, ban chuyên môn gửi báo cáo tiến độ về Văn phòng UBND huyện định kỳ hằng tháng, trước ngày 18.",
            "Các phòng, ban chuyên môn",
            "monthly, before day 18",
        ),
        (
            "Hằng quý, Công an huyện báo cáo Ban Chỉ đạo về tình hình an ninh nông thôn.",
            "Công an huyện",
            "quarterly",
        ),
        ("Các cơ quan báo cáo chậm nhất vào ngày 25 hằng tháng.", "Các cơ quan", "monthly, before day 25"),
        (
            "Các đơn vị sự nghiệp báo cáo tình hình tự chủ tài chính về Phòng Tài chính 6 tháng một lần.",
            "Các đơn vị sự nghiệp",
            "semiannual",
        ),
        (
            "Phòng Văn hóa gửi kế hoạch tuyên truyền năm sau về Ban Tuyên giáo trước ngày 20/12 hằng năm.",
            "Phòng Văn hóa",
            "yearly, before Dec 20",
        ),
    ],
)
def test_recurring_tasks(sentence: str, owner: str, recurring: str) -> None:
    task = only(sentence)
    assert (task.owner, task.deadline, task.recurring) == (owner, None, recurring)


def test_relative_deadline_needs_a_body_in_charge() -> None:
    task = only("Ban Tuyên giáo Huyện ủy hoàn thành tài liệu tuyên truyền trước Đại hội.")
    assert (task.owner, task.deadline, task.recurring, task.deadline_text) == (
        "Ban Tuyên giáo Huyện ủy",
        None,
        None,
        "trước Đại hội",
    )
    after = only("Các xã hoàn thành niêm yết công khai chậm nhất 10 ngày sau khi có quyết định phê duyệt.")
    assert after.owner == "Các xã" and after.deadline is None
    assert after.deadline_text == "chậm nhất 10 ngày sau khi có quyết định phê duyệt"
    assert tasks_of("Hồ sơ được trả lại trong vòng 5 ngày kể từ ngày tiếp nhận.") == []


def test_clauses_with_different_deadlines_are_separate_tasks() -> None:
    para = (
        "Sở Tài chính thẩm định dự toán trước ngày 10/11/2025; Kho bạc Nhà nước tỉnh hoàn thành chi trả "
        "trong tháng 12/2025."
    )
    first, second = tasks_of(para)
    assert (first.text, first.owner, first.deadline) == (
        "Sở Tài chính thẩm định dự toán trước ngày 10/11/2025",
        "Sở Tài chính",
        D(2025, 11, 10),
    )
    assert (second.text, second.owner, second.deadline) == (
        "Kho bạc Nhà nước tỉnh hoàn thành chi trả trong tháng 12/2025.",
        "Kho bạc Nhà nước tỉnh",
        D(2025, 12, 31),
    )


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (  # two batches after a comma: the owner carries to the second
            "Phòng Nội vụ lập danh sách đợt 1 gửi Sở Nội vụ trước ngày 10/9/2025, đợt 2 trước ngày 10/11/2025.",
            [
                ("Phòng Nội vụ lập danh sách đợt 1 gửi Sở Nội vụ trước ngày 10/9/2025", "Phòng Nội vụ", D(2025, 9, 10)),
                (  # no verb of its own: quoted with the clause it continues
                    "Phòng Nội vụ lập danh sách đợt 1 gửi Sở Nội vụ trước ngày 10/9/2025, đợt 2 trước ngày 10/11/2025.",
                    "Phòng Nội vụ",
                    D(2025, 11, 10),
                ),
            ],
        ),
        (  # "kết quả 9 tháng" before a date is a noun, not "nine months before ..."
            "Các xã báo cáo kết quả 9 tháng trước ngày 15/9/2025 và báo cáo năm trước ngày 5/12/2025 về UBND huyện.",
            [
                ("Các xã báo cáo kết quả 9 tháng trước ngày 15/9/2025", "Các xã", D(2025, 9, 15)),
                ("báo cáo năm trước ngày 5/12/2025 về UBND huyện.", "Các xã", D(2025, 12, 5)),
            ],
        ),
        (
            "Hội đồng thi tổ chức thi viết trong tháng 10/2025, thi thực hành trong tháng 11/2025.",
            [
                ("Hội đồng thi tổ chức thi viết trong tháng 10/2025", "Hội đồng thi", D(2025, 10, 31)),
                (
                    "Hội đồng thi tổ chức thi viết trong tháng 10/2025, thi thực hành trong tháng 11/2025.",
                    "Hội đồng thi",
                    D(2025, 11, 30),
                ),
            ],
        ),
        (  # a date and, after it, a relative deadline
            "Ban Dân vận Huyện ủy gửi báo cáo trước ngày 30/9/2025, giải trình bổ sung trong vòng 7 ngày kể từ khi có "
            "yêu cầu.",
            [
                ("Ban Dân vận Huyện ủy gửi báo cáo trước ngày 30/9/2025", "Ban Dân vận Huyện ủy", D(2025, 9, 30)),
                ("giải trình bổ sung trong vòng 7 ngày kể từ khi có yêu cầu.", "Ban Dân vận Huyện ủy", None),
            ],
        ),
    ],
)
def test_deadlines_of_one_clause_cut_into_tasks(
    paragraph: str, expected: list[tuple[str, str, dt.date | None]]
) -> None:
    assert [(t.text, t.owner, t.deadline) for t in tasks_of(paragraph)] == expected


def test_a_relative_deadline_after_a_date_in_one_clause() -> None:
    first, second = tasks_of(
        "Các xã gửi báo cáo kết quả 9 tháng trước ngày 10/10/2025 và báo cáo tình hình đại hội trong vòng 5 ngày "
        "sau khi đại hội kết thúc."
    )
    assert (first.deadline, second.deadline, second.deadline_text) == (
        D(2025, 10, 10),
        None,
        "trong vòng 5 ngày sau khi đại hội kết thúc",
    )


def test_an_order_to_a_person_with_a_relative_deadline_is_a_task() -> None:
    task = only("Thí sinh trúng tuyển phải nộp bản chính văn bằng trong thời hạn 20 ngày kể từ ngày nhận thông báo.")
    assert (task.owner, task.deadline, task.deadline_text) == (
        "Thí sinh trúng tuyển",  # people, not a body: named as the text names them
        None,
        "trong thời hạn 20 ngày kể từ ngày nhận thông báo",
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "Thời hạn nhận hồ sơ dự tuyển là 30 ngày kể từ ngày đăng thông báo.",  # a period defined
        "Số hồ sơ tồn đọng phải được giải quyết xong trong thời hạn 60 ngày kể từ ngày Kế hoạch có hiệu lực.",
    ],
)
def test_definitions_and_obligations_on_things_are_not_tasks(sentence: str) -> None:
    assert tasks_of(sentence) == []


def test_a_year_less_period_just_before_the_document_is_a_report() -> None:
    report = "Quý II, toàn huyện kết nạp 120 đảng viên, nâng tổng số trong 6 tháng đầu năm lên 230 đảng viên."
    assert tasks_of(report, date=D(2025, 7, 4)) == []
    # written with its year, or in a plan dated before it, it is a deadline as before
    (plan,) = tasks_of("Các xã kết nạp 120 đảng viên trong 6 tháng đầu năm.", date=D(2025, 2, 4))
    assert plan.deadline == D(2025, 6, 30)


def test_a_year_less_date_months_before_the_document_is_next_year() -> None:
    first, second = tasks_of(
        "Các huyện gửi báo cáo năm trước ngày 15/01; Sở Nội vụ tổng hợp trong quý I.", date=D(2024, 11, 18)
    )
    assert (first.deadline, second.deadline) == (D(2025, 1, 15), D(2025, 3, 31))


def test_a_bare_duration_counts_from_the_event_the_clause_opens_with() -> None:
    task = only("Sau khi quyết định có hiệu lực, Ủy ban nhân dân cấp xã bàn giao hồ sơ trong vòng 15 ngày.")
    assert (task.owner, task.deadline, task.deadline_text) == ("Ủy ban nhân dân cấp xã", None, "trong vòng 15 ngày")
    # without that opening a duration is how long something lasts, not when it is due
    assert tasks_of("Sở Nội vụ tổ chức lớp tập huấn trong 3 ngày.") == []


def test_a_date_range_stays_one_task() -> None:
    task = only("Đoàn kiểm tra làm việc tại các xã từ ngày 15/9 đến ngày 30/10/2025.")
    assert task.deadline == D(2025, 10, 30)


@pytest.mark.parametrize(
    ("sentence", "recurring"),
    [
        (
            "Các phòng báo cáo kết quả theo quý, gửi trước ngày 15 của tháng cuối quý.",
            "quarterly, before day 15 of the quarter's last month",
        ),
        (
            "Các phòng báo cáo định kỳ quý, trước ngày 12 của tháng cuối quý.",
            "quarterly, before day 12 of the quarter's last month",
        ),
    ],
)
def test_theo_quy_and_dinh_ky_quy_recur(sentence: str, recurring: str) -> None:
    assert only(sentence).recurring == recurring


@pytest.mark.parametrize(
    ("sentence", "recurring"),
    [
        ("Phòng Nội vụ báo cáo vào ngày 25 hằng tháng.", "monthly, before day 25"),
        (
            "Các xã gửi báo cáo trước ngày 5 của tháng đầu quý sau.",
            "quarterly, before day 5 of the next quarter's first month",
        ),
    ],
)
def test_day_qualifiers_that_make_a_recurrence(sentence: str, recurring: str) -> None:
    assert only(sentence).recurring == recurring


def test_a_labelled_deadline_line() -> None:
    task = only("Hạn chót nộp hồ sơ: 15/9/2025.")
    assert (task.deadline, task.deadline_text) == (D(2025, 9, 15), "Hạn chót nộp hồ sơ: 15/9/2025")
    assert tasks_of("Hạn chế: 15/9/2025 mới có 60% hồ sơ được số hóa.") == []


def test_theo_thang_without_a_day_is_not_a_recurrence() -> None:
    assert tasks_of("Tiền lương được chi trả theo tháng.") == []


@pytest.mark.parametrize(
    ("sentence", "owner"),
    [
        (
            "Ban tổ chức các huyện ủy, thành ủy gửi danh sách trước ngày 20/9/2025.",
            "Ban tổ chức các huyện ủy, thành ủy",
        ),
        ("Ủy ban bầu cử tỉnh công bố danh sách chậm nhất ngày 27/10/2025.", "Ủy ban bầu cử tỉnh"),
        ("Các sở, ngành rà soát, cắt giảm thủ tục, báo cáo trước ngày 30/9/2025.", "Các sở, ngành"),
        ("Các huyện ủy duyệt đề án nhân sự, báo cáo trước ngày 20/10/2025.", "Các huyện ủy"),
        ("Văn phòng của Ban được giao tổng hợp số liệu, báo cáo trước ngày 5/10/2025.", "Văn phòng của Ban"),
    ],
)
def test_owner_names_end_where_the_verb_starts(sentence: str, owner: str) -> None:
    assert only(sentence).owner == owner


def test_dong_thoi_clause_inherits_the_owner() -> None:
    para = (
        "UBND các huyện rà soát danh sách hộ nghèo trước ngày 31/8/2025, đồng thời báo cáo kết quả về "
        "Sở Lao động – Thương binh và Xã hội trong quý IV/2025."
    )
    first, second = tasks_of(para)
    assert (first.owner, first.deadline) == ("UBND các huyện", D(2025, 8, 31))
    assert second.text.startswith("đồng thời báo cáo")
    assert (second.owner, second.deadline) == ("UBND các huyện", D(2025, 12, 31))


def test_one_deadline_keeps_the_whole_sentence() -> None:
    sentence = "Sở Nội vụ chủ trì xây dựng đề án sắp xếp bộ máy; báo cáo Ban Thường vụ Tỉnh ủy trước ngày 30/9/2025."
    task = only(sentence)
    assert (task.text, task.owner) == (sentence, "Sở Nội vụ")


def test_scene_setting_period_is_the_deadline_of_an_order() -> None:
    task = only("Trong quý IV/2025, các huyện ủy phải hoàn thành kiện toàn ban chỉ đạo đại hội.")
    assert (task.owner, task.deadline) == ("các huyện ủy", D(2025, 12, 31))
    assert tasks_of("Trong quý IV/2025, dự kiến luân chuyển 12 cán bộ từ tỉnh về huyện.") == []


def test_conditions_and_references_in_the_past_do_not_make_a_report() -> None:
    assert only("Các đơn vị chi trả phần chênh lệch nếu đã chi theo mức cũ, hoàn thành trước ngày 30/9/2025.")
    assert only("Tiểu ban căn cứ quy hoạch đã được phê duyệt, trình phương án nhân sự trước ngày 30/11/2025.")


def test_past_part_of_a_sentence_does_not_hide_the_new_task() -> None:
    task = only("Sở Nội vụ đã xây dựng dự thảo đề án; báo cáo UBND tỉnh trước ngày 30/9/2025.")
    assert (task.owner, task.deadline) == ("Sở Nội vụ", D(2025, 9, 30))


def test_follow_up_sentence_is_quoted_with_the_assignment() -> None:
    para = "Sở Y tế xây dựng quy chế phối hợp cấp cứu liên viện. Quy chế này được ban hành trong tháng 11/2025."
    task = only(para)
    assert (task.text, task.owner, task.deadline) == (para, "Sở Y tế", D(2025, 11, 30))


def test_plan_laid_out_with_labels() -> None:
    para = (
        "Xây dựng đề án vị trí việc làm của các cơ quan hành chính. Cơ quan chủ trì: Sở Nội vụ. "
        "Thời hạn hoàn thành: 30/9/2025."
    )
    task = only(para)
    assert (task.text, task.owner, task.deadline) == (para, "Sở Nội vụ", D(2025, 9, 30))


def test_plan_laid_out_one_field_per_paragraph() -> None:
    task = only(
        "NHIỆM VỤ CỤ THỂ",
        "1. Xây dựng đề án vị trí việc làm của các cơ quan hành chính.",
        "- Cơ quan chủ trì: Sở Nội vụ.",
        "- Thời gian hoàn thành: Quý IV/2025.",
    )
    assert (task.paragraph, task.owner, task.deadline) == (2, "Sở Nội vụ", D(2025, 12, 31))
    assert task.text == (
        "1. Xây dựng đề án vị trí việc làm của các cơ quan hành chính. - Cơ quan chủ trì: Sở Nội vụ. "
        "- Thời gian hoàn thành: Quý IV/2025."
    )


def test_a_label_paragraph_after_a_task_dates_only_itself() -> None:
    first, second = tasks_of("Sở Tài chính cấp kinh phí trước ngày 30/9/2025.", "Thời hạn báo cáo: 15/10/2025.")
    assert (first.paragraph, second.paragraph, second.owner) == (1, 2, None)
    assert second.text == "Thời hạn báo cáo: 15/10/2025."


@pytest.mark.parametrize(
    ("row", "owner", "deadline", "recurring"),
    [
        (
            "1 | Xây dựng đề án vị trí việc làm | Sở Nội vụ | Các sở, ngành | Quý IV/2025",
            "Sở Nội vụ",
            D(2025, 12, 31),
            None,
        ),
        (
            "2 | Số hóa hồ sơ địa chính | UBND các huyện | Sở Tài nguyên | Trước 15/11/2025",
            "UBND các huyện",
            D(2025, 11, 15),
            None,
        ),
        (
            "3 | Báo cáo tiến độ | Các sở, ngành | Văn phòng UBND tỉnh | Hằng quý",
            "Các sở, ngành",
            None,
            "quarterly",
        ),
        (
            "4 | Tập huấn nghiệp vụ | Trường Chính trị tỉnh | | Tháng 10/2025",
            "Trường Chính trị tỉnh",
            D(2025, 10, 31),
            None,
        ),
    ],
)
def test_plan_table_rows(row: str, owner: str, deadline: dt.date | None, recurring: str | None) -> None:
    task = only(row)
    assert (task.text, task.owner, task.deadline, task.recurring) == (row, owner, deadline, recurring)


@pytest.mark.parametrize(
    "row",
    [
        "STT | Nội dung | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành",
        "5 | Tổng kết Nghị quyết | Sở Nội vụ | Các sở | 30/6/2024",  # before the document date
        "6 | Tuyên truyền | Báo Quảng Trị | | Thường xuyên",
    ],
)
def test_plan_table_rows_without_task(row: str) -> None:
    assert tasks_of(row) == []


def test_paragraph_numbers_and_order() -> None:
    found = tasks_of(
        "Kế hoạch này được triển khai trên toàn huyện.",
        "Phòng Nội vụ tổng hợp danh sách trước ngày 5/9/2025.",
        "Phòng Tài chính bố trí kinh phí trong quý IV/2025.",
    )
    assert [(t.paragraph, t.owner) for t in found] == [(2, "Phòng Nội vụ"), (3, "Phòng Tài chính")]


def test_document_without_date_keeps_dated_tasks_with_a_year() -> None:
    found = tasks_of("Phòng Nội vụ gửi báo cáo trước ngày 5/9/2025; Phòng Tài chính gửi trước ngày 5/10.", date=None)
    assert [t.deadline for t in found] == [D(2025, 9, 5)]


_GENRE_WORDS = st.sampled_from(
    "Sở Nội vụ|các huyện|đã|phải|trước ngày|30/6/2025|15/8|trong quý|II/2025|hằng tháng|,|;|.|"
    "đồng thời|Đại hội|sau khi có|báo cáo|hoàn thành|Trong|cuối năm|chậm nhất|ngày 25|Giao|Ban|Tổ chức".split("|")
)


@given(st.lists(_GENRE_WORDS | st.text(max_size=6), max_size=30).map(" ".join))
def test_extraction_quotes_the_paragraph(paragraph: str) -> None:
    for task in tasks_of(paragraph):
        assert task.text and task.text in paragraph
        assert task.deadline_text and task.deadline_text in paragraph
        assert task.owner is None or task.owner in paragraph
        assert (task.deadline is None) or (task.recurring is None)


# ------------------------------------------------------------------------------------------ eval targets


@pytest.mark.skipif(not GOLD.is_file(), reason="eval set not present")
def test_eval_targets_on_the_shipped_corpus() -> None:
    from bench.task_eval import run

    report = run(CORPUS, GOLD)
    assert report.gold > 100
    assert report.found_rate >= 0.9, report.misses
    assert report.precision >= 0.8, report.false_positives
    assert report.found_strict_rate >= 0.9


# ------------------------------------------------------------------------------------------------ the CLI

DOC_TEXT = """Kế hoạch chuyển đổi số năm 2025
Ngày: 12/08/2025
Cơ quan: UBND huyện Cam Lộ

Năm 2024, huyện đã hoàn thành 80% chỉ tiêu chuyển đổi số.
Phòng Văn hóa và Thông tin hoàn thành nâng cấp cổng thông tin điện tử trước ngày 30/9/2025.
Các xã báo cáo kết quả về Phòng Văn hóa và Thông tin định kỳ hằng tháng, trước ngày 20.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "kh_cds.txt").write_text(DOC_TEXT, encoding="utf-8")
    return root


def test_cli_json(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "extract", "--corpus", str(corpus), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [
        {
            "doc": "sub/kh_cds.txt",
            "paragraph": 2,
            "text": DOC_TEXT.splitlines()[5],
            "owner": "Phòng Văn hóa và Thông tin",
            "deadline": "2025-09-30",
            "recurring": None,
        },
        {
            "doc": "sub/kh_cds.txt",
            "paragraph": 3,
            "text": "Các xã báo cáo kết quả về Phòng Văn hóa và Thông tin định kỳ hằng tháng, trước ngày 20.",
            "owner": "Các xã",
            "deadline": None,
            "recurring": "monthly, before day 20",
        },
    ]


def test_cli_table_uses_the_configured_corpus(
    corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIDAO_CORPUS_DIR", str(corpus))
    assert main(["tasks", "extract"]) == 0
    out = capsys.readouterr().out
    assert "30/09/2025" in out and "monthly, before day 20" in out and "Phòng Văn hóa và Thông tin" in out
    assert "2 nhiệm vụ" in out and "80% chỉ tiêu" not in out


def test_cli_missing_corpus_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tasks", "extract", "--corpus", str(tmp_path / "nowhere"), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("chidao: no corpus directory") and captured.err.count("\n") == 1
