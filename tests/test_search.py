# ruff: noqa: E501  (the corpus paragraphs are long on purpose)
"""index.search.Searcher on a small corpus in the genre (HashEncoder), and once with the real model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.errors import IndexNotBuilt, ModelMismatch
from index.search import Searcher, Tuning
from index.store import build_index, current_snapshot
from index.text import fold
from tests.fakes import HashEncoder

# Two provinces' quarterly reports that look alike (and one province in two quarters), a salary
# guidance under Resolution 27, a commune-merger conclusion, and a party-admission guidance.
CORPUS: dict[str, str] = {
    "qt_quy1_2024.txt": """Quảng Trị giao ban công tác tổ chức xây dựng Đảng quý I/2024
Ngày: 27/03/2024
Cơ quan: Ban Tổ chức Tỉnh ủy Quảng Trị

Ban Tổ chức Tỉnh ủy Quảng Trị tổ chức hội nghị giao ban công tác tổ chức xây dựng Đảng quý I năm 2024.
Trong quý I, toàn tỉnh kết nạp được 412 đảng viên mới, đạt 27,5% chỉ tiêu năm.
Các huyện ủy hoàn thành việc thẩm định hồ sơ quy hoạch bổ sung của cấp cơ sở trước ngày 30/4/2024.
Hạn chế là việc chuyển sinh hoạt đảng ở một số nơi còn chậm.
""",
    "qt_quy2_2024.txt": """Quảng Trị giao ban công tác tổ chức xây dựng Đảng quý II/2024
Ngày: 28/06/2024
Cơ quan: Ban Tổ chức Tỉnh ủy Quảng Trị

Ban Tổ chức Tỉnh ủy Quảng Trị tổ chức hội nghị giao ban công tác tổ chức xây dựng Đảng quý II năm 2024.
Trong quý II, toàn tỉnh kết nạp được 286 đảng viên mới, nâng tổng số 6 tháng đầu năm lên 698 đảng viên.
Các huyện ủy hoàn thành việc rà soát quy hoạch cán bộ nhiệm kỳ 2025 – 2030 trước ngày 31/7/2024.
Hạn chế là chất lượng sinh hoạt chi bộ ở một số nơi chưa cao.
""",
    "ht_quy2_2024.txt": """Hà Tĩnh giao ban công tác tổ chức xây dựng Đảng quý II/2024
Ngày: 01/07/2024
Cơ quan: Ban Tổ chức Tỉnh ủy Hà Tĩnh

Ban Tổ chức Tỉnh ủy Hà Tĩnh tổ chức hội nghị giao ban công tác tổ chức xây dựng Đảng quý II năm 2024.
Trong quý II, toàn tỉnh kết nạp được 351 đảng viên mới, đạt 32% chỉ tiêu năm.
Ban Tổ chức Tỉnh ủy tổng hợp số liệu cán bộ, công chức, viên chức cấp xã dôi dư, báo cáo Thường trực Tỉnh ủy trước 31/7/2024.
Hạn chế là công tác phát triển đảng viên ở khu vực doanh nghiệp tư nhân còn khó khăn.
""",
    "qn_luong_nq27.txt": """Hướng dẫn thực hiện cải cách chính sách tiền lương
Ngày: 15/07/2024
Cơ quan: Sở Nội vụ tỉnh Quảng Ngãi

Thực hiện Nghị quyết số 27-NQ/TW ngày 21/5/2018 của Ban Chấp hành Trung ương về cải cách chính sách tiền lương đối với cán bộ, công chức, viên chức, lực lượng vũ trang và người lao động trong doanh nghiệp.
Từ ngày 01/7/2024, mức lương cơ sở là 2.340.000 đồng/tháng theo Nghị định số 73/2024/NĐ-CP.
Các cơ quan, đơn vị lập danh sách cán bộ, công chức, viên chức hưởng lương, gửi Sở Nội vụ trước ngày 20/7/2024.
Kinh phí thực hiện được bảo đảm từ nguồn cải cách tiền lương của ngân sách tỉnh.
""",
    "tb_ketluan_sapxep_xa.txt": """Kết luận của Ban Thường vụ Tỉnh ủy về sắp xếp đơn vị hành chính cấp xã
Ngày: 05/05/2024
Cơ quan: Tỉnh ủy Thái Bình

Ban Thường vụ Tỉnh ủy thống nhất chủ trương sáp nhập xã An Lễ và xã Quỳnh Hải thành xã An Quỳnh.
Trụ sở làm việc của xã An Quỳnh đặt tại trụ sở xã Quỳnh Hải hiện nay.
Đảng ủy các xã lập phương án bố trí người hoạt động không chuyên trách dôi dư, hoàn thành trước ngày 30/6/2024.
Ủy ban Mặt trận Tổ quốc tỉnh phối hợp tuyên truyền để nhân dân đồng thuận với chủ trương sáp nhập.
""",
    "ld_ketnap.txt": """Hướng dẫn kết nạp đảng viên trong học sinh, sinh viên
Ngày: 15/03/2024
Cơ quan: Ban Tổ chức Tỉnh ủy Lâm Đồng

Các chi bộ trường học lập danh sách quần chúng ưu tú, cử đảng viên chính thức giúp đỡ quần chúng phấn đấu vào Đảng.
Hồ sơ kết nạp gửi Ban Tổ chức Tỉnh ủy thẩm định trước khi cấp ủy xét duyệt.
""",
}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("search-corpus")
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("search-index")
    build_index(corpus, out, HashEncoder())
    return out


@pytest.fixture(scope="module")
def searcher(index_dir: Path) -> Searcher:
    return Searcher.open(index_dir, HashEncoder.name, HashEncoder())


def top(searcher: Searcher, query: str) -> tuple[str, str]:
    hit = searcher.search(query, k=5).hits[0]
    return hit.passage.doc, hit.passage.text


# ---------------------------------------------------------------------------------------------
# look-alike documents


@pytest.mark.parametrize(
    ("query", "doc", "phrase"),
    [
        ("Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới", "qt_quy1_2024.txt", "412"),
        ("Quảng Trị quý II/2024 kết nạp bao nhiêu đảng viên mới", "qt_quy2_2024.txt", "286"),
        ("Hà Tĩnh quý II/2024 kết nạp bao nhiêu đảng viên mới", "ht_quy2_2024.txt", "351"),
        ("quý 2 năm 2024 Hà Tĩnh kết nạp được bao nhiêu đảng viên", "ht_quy2_2024.txt", "351"),
        ("Quảng Trị 6 tháng đầu năm 2024 kết nạp bao nhiêu đảng viên", "qt_quy2_2024.txt", "698"),
        ("Quảng Trị quý I hạn chế là gì", "qt_quy1_2024.txt", ""),
        ("Quảng Trị quý II hạn chế là gì", "qt_quy2_2024.txt", ""),
        ("ha tinh quy 2 han che la gi", "ht_quy2_2024.txt", ""),
        ("Quảng Trị quý I các huyện ủy phải hoàn thành việc gì trước 30/4", "qt_quy1_2024.txt", "quy hoạch bổ sung"),
        ("Quảng Trị quý II các huyện ủy phải hoàn thành việc gì", "qt_quy2_2024.txt", "nhiệm kỳ 2025"),
    ],
)
def test_province_and_quarter_pick_the_right_look_alike(searcher: Searcher, query: str, doc: str, phrase: str) -> None:
    ans = searcher.search(query, k=5)
    assert ans.answerable
    assert ans.hits[0].passage.doc == doc
    assert phrase in ans.hits[0].passage.text


@pytest.mark.parametrize(
    "query",
    [
        "Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới",
        "Hà Tĩnh quý II/2024 kết nạp bao nhiêu đảng viên mới",
        "trụ sở xã An Quỳnh đặt ở đâu",
        "mức lương cơ sở từ ngày 01/7/2024 là bao nhiêu",
        "phương án bố trí người hoạt động không chuyên trách dôi dư hoàn thành khi nào",
    ],
)
def test_query_without_diacritics_finds_the_same_passage(searcher: Searcher, query: str) -> None:
    with_marks = searcher.search(query, k=3)
    without = searcher.search(fold(query).lower(), k=3)
    assert with_marks.answerable and without.answerable
    assert without.hits[0].passage == with_marks.hits[0].passage


@pytest.mark.parametrize(
    ("query", "doc", "phrase"),
    [
        ("BTV TU Thái Bình kết luận sáp nhập xã nào", "tb_ketluan_sapxep_xa.txt", "An Lễ"),
        ("btv tinh uy thong nhat sap nhap xa", "tb_ketluan_sapxep_xa.txt", "An Lễ"),
        ("Hà Tĩnh tổng hợp số liệu CB-CC-VC cấp xã dôi dư", "ht_quy2_2024.txt", "dôi dư"),
        ("danh sách CB-CC-VC hưởng lương gửi SNV trước ngày nào", "qn_luong_nq27.txt", "20/7/2024"),
        ("MTTQ tỉnh phối hợp tuyên truyền sáp nhập", "tb_ketluan_sapxep_xa.txt", "Mặt trận Tổ quốc"),
        ("sắp xếp ĐVHC cấp xã Thái Bình", "tb_ketluan_sapxep_xa.txt", "xã"),
    ],
)
def test_abbreviation_query_finds_full_form_passage(searcher: Searcher, query: str, doc: str, phrase: str) -> None:
    ans = searcher.search(query, k=3)
    assert ans.answerable
    assert ans.hits[0].passage.doc == doc and phrase in ans.hits[0].passage.text


@pytest.mark.parametrize(
    "query",
    [
        "NQ 27 về cải cách tiền lương",
        "nghi quyet 27 cai cach tien luong",
        "Nghị quyết 27-NQ/TW",
        "thực hiện nghị quyết số 27",
        "thực hiện NQ27",
    ],
)
def test_document_number_query_finds_the_numbered_document(searcher: Searcher, query: str) -> None:
    ans = searcher.search(query, k=3)
    assert ans.answerable
    assert ans.hits[0].passage.doc == "qn_luong_nq27.txt"
    assert "27-NQ/TW" in ans.hits[0].passage.text


@pytest.mark.parametrize(
    "query",
    [
        "Cà Mau quý II/2024 kết nạp bao nhiêu đảng viên mới",  # a province the corpus never names
        "Nghệ An kết nạp được bao nhiêu đảng viên",
        "Nghị định 999/2025/NĐ-CP quy định mức lương cơ sở bao nhiêu",  # an unknown decree
        "Nghị quyết 18-NQ/TW về tinh gọn bộ máy",  # resolution 18 is never mentioned
        "giá vé máy bay tết",  # nothing of the kind
        "",
        "   ",
    ],
)
def test_out_of_corpus_question_is_not_answerable(searcher: Searcher, query: str) -> None:
    assert searcher.search(query, k=3).answerable is False


@pytest.mark.parametrize(
    "query",
    [
        # Thái Bình is in the corpus, but only its commune-merger conclusion: the quarterly reports of
        # Quảng Trị and Hà Tĩnh are not an answer about Thái Bình
        "Thái Bình quý II/2024 kết nạp được bao nhiêu đảng viên mới",
        "thai binh quy 2 ket nap bao nhieu dang vien",
        # a day is asked, no passage about the admissions states one
        "Quảng Trị quý I/2024 kết nạp 412 đảng viên mới vào ngày nào",
    ],
)
def test_question_the_corpus_answers_only_for_another_province_or_without_a_day(searcher: Searcher, query: str) -> None:
    assert searcher.search(query, k=3).answerable is False


def test_asking_when_is_covered_by_a_stated_date(searcher: Searcher) -> None:
    """Staff ask "hạn chót ... ngày nào"; a passage saying "trước ngày 20/7/2024" answers those words
    without using them, one without a date does not."""

    def cov(query: str, phrase: str) -> float:
        an = searcher.scores(query)[1]["tokens"]
        return searcher.coverage(an, next(i for i, p in enumerate(searcher.passages) if phrase in p.text))

    dated, topic = "gửi Sở Nội vụ trước ngày 20/7/2024", "danh sách hưởng lương kinh phí"
    assert cov(f"hạn chót, ngày nào: {topic}", dated) > cov(topic, dated)
    undated, topic = "lập danh sách quần chúng ưu tú", "danh sách quần chúng ưu tú hồ sơ kết nạp"
    assert cov(f"hạn chót, ngày nào: {topic}", undated) < cov(topic, undated)
    ans = searcher.search("ha tinh han chot nop so lieu doi du ngay nao", k=3)
    assert ans.answerable and "31/7/2024" in ans.hits[0].passage.text


@pytest.mark.parametrize(
    ("query", "answerable", "phrase"),
    [
        # an amount of money is asked: only a passage stating one answers
        ("mức lương cơ sở từ ngày 01/7/2024 là bao nhiêu tiền", True, "2.340.000"),
        ("muc luong co so tu 1/7/2024 bao nhieu", True, "2.340.000"),
        ("Mặt trận Tổ quốc tỉnh được hỗ trợ kinh phí tuyên truyền sáp nhập bao nhiêu tiền", False, ""),
        # a share is asked: a percentage answers
        ("Quảng Trị quý I/2024 kết nạp đạt bao nhiêu phần trăm chỉ tiêu năm", True, "27,5%"),
        ("Thái Bình có bao nhiêu phần trăm nhân dân đồng thuận với chủ trương sáp nhập", False, ""),
    ],
)
def test_amount_or_share_asked_needs_one_stated(searcher: Searcher, query: str, answerable: bool, phrase: str) -> None:
    ans = searcher.search(query, k=3)
    assert ans.answerable is answerable
    if answerable:
        assert phrase in ans.hits[0].passage.text


def test_answer_types_read_money_words_with_diacritics(searcher: Searcher) -> None:
    def asks(q: str) -> frozenset[str]:
        return searcher.answer_types(*searcher.understand(q))

    assert asks("phụ cấp bao nhiêu một tháng") == {"amount"}
    assert asks("le phi thi bao nhieu") == {"amount"}
    assert asks("báo cáo tiến độ bao nhiêu lần") == frozenset()  # "tiến độ" is not "tiền"
    assert asks("lương tăng bao nhiêu %") == {"share"}
    assert asks("phụ cấp trả trong bao nhiêu tháng") == frozenset()  # a duration, not an amount
    assert asks("hạn nộp ngày nào") == {"day"}


def test_several_provinces_named_one_is_enough(searcher: Searcher) -> None:
    ans = searcher.search("Quảng Trị và Hà Tĩnh quý II/2024 kết nạp bao nhiêu đảng viên mới", k=3)
    assert ans.answerable
    assert ans.hits[0].passage.doc in {"qt_quy2_2024.txt", "ht_quy2_2024.txt"}


def test_passages_that_cannot_answer_rank_after_those_that_can(searcher: Searcher) -> None:
    """Asked about Hà Tĩnh, the Quảng Trị look-alikes go below every Hà Tĩnh passage, and a question
    asking for a day is answered by the passage that states one."""
    hits = searcher.search("Hà Tĩnh kết nạp được bao nhiêu đảng viên mới", k=6).hits
    docs = [h.passage.doc for h in hits]
    assert docs[0] == "ht_quy2_2024.txt"
    ht = [i for i, d in enumerate(docs) if d == "ht_quy2_2024.txt"]
    assert ht == list(range(len(ht)))  # all Hà Tĩnh passages first
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    ans = searcher.search("Hà Tĩnh báo cáo số liệu cán bộ dôi dư trước ngày nào", k=3)
    assert ans.answerable and "31/7/2024" in ans.hits[0].passage.text


LOOK_ALIKE_QUERIES = [
    "Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới",
    "Hà Tĩnh quý II/2024 kết nạp bao nhiêu đảng viên mới",
    "trụ sở xã An Quỳnh đặt ở đâu",
    "NQ 27 về cải cách tiền lương",
    "Thái Bình quý II/2024 kết nạp được bao nhiêu đảng viên mới",
    "giá vé máy bay tết",
]


@pytest.mark.parametrize("query", LOOK_ALIKE_QUERIES)
def test_candidate_scoring_answers_like_exact_scoring(searcher: Searcher, index_dir: Path, query: str) -> None:
    """Above `ann_above` passages only candidates (lexical best, HNSW nearest, their neighbours) are
    scored; with enough candidates the answer is the exact one."""
    ann = Searcher.open(
        index_dir, HashEncoder.name, HashEncoder(), tuning=Tuning(ann_above=2, lexical_candidates=6, dense_candidates=3)
    )
    assert not ann.dense.exact and searcher.dense.exact
    a, b = searcher.search(query, k=3), ann.search(query, k=3)
    assert a.answerable == b.answerable
    if a.answerable:
        assert a.hits[0].passage == b.hits[0].passage
        assert b.hits[0].score == pytest.approx(a.hits[0].score, abs=0.1)


def test_known_decree_is_answerable(searcher: Searcher) -> None:
    """The counterpart of the unknown decree: the same question with the decree the corpus cites."""
    ans = searcher.search("Nghị định 73/2024/NĐ-CP quy định mức lương cơ sở bao nhiêu", k=3)
    assert ans.answerable and "2.340.000" in ans.hits[0].passage.text


@pytest.mark.parametrize("k", [1, 3, 10])
def test_k_bounds_hits_and_scores_are_sorted(searcher: Searcher, k: int) -> None:
    hits = searcher.search("kết nạp đảng viên", k=k).hits
    assert len(hits) == min(k, searcher.passage_count)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({(h.passage.doc, h.passage.paragraph, h.passage.part) for h in hits}) == len(hits)


def test_hit_carries_document_metadata(searcher: Searcher) -> None:
    hit = searcher.search("mức lương cơ sở 2.340.000 đồng", k=1).hits[0]
    assert hit.meta.path == "qn_luong_nq27.txt"
    assert hit.meta.title == "Hướng dẫn thực hiện cải cách chính sách tiền lương"
    assert hit.meta.date is not None and hit.meta.date.isoformat() == "2024-07-15"
    assert hit.meta.agency == "Sở Nội vụ tỉnh Quảng Ngãi"
    assert hit.passage.paragraph == 2 and hit.meta.paragraphs == 4
    assert {"muc", "luong"} <= set(hit.matched_terms)


def test_search_is_deterministic(searcher: Searcher) -> None:
    a = searcher.search("quy hoạch cán bộ nhiệm kỳ 2025 – 2030", k=5)
    b = searcher.search("quy hoạch cán bộ nhiệm kỳ 2025 – 2030", k=5)
    assert a == b


@pytest.mark.parametrize(
    ("paragraph", "window", "expected"),
    [(1, 1, [1, 2]), (2, 1, [1, 2, 3]), (4, 1, [3, 4]), (2, 0, [2]), (3, 5, [1, 2, 3, 4])],
)
def test_context_returns_neighbours(searcher: Searcher, paragraph: int, window: int, expected: list[int]) -> None:
    ctx = searcher.context("tb_ketluan_sapxep_xa.txt", paragraph, window=window)
    assert [n for n, _ in ctx] == expected
    paragraphs = CORPUS["tb_ketluan_sapxep_xa.txt"].split("\n\n", 1)[1].strip().split("\n")
    assert [t for _, t in ctx] == [paragraphs[n - 1] for n in expected]


def test_context_of_a_hit(searcher: Searcher) -> None:
    hit = searcher.search("trụ sở xã An Quỳnh đặt ở đâu", k=1).hits[0]
    ctx = dict(searcher.context(hit.passage.doc, hit.passage.paragraph))
    assert ctx[hit.passage.paragraph] == hit.passage.text
    assert "An Lễ" in ctx[hit.passage.paragraph - 1]


def test_lexical_only_and_dense_only_modes_answer(searcher: Searcher) -> None:
    q = "Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới"
    assert searcher.search(q, k=3, modes=("lexical",)).hits[0].passage.doc == "qt_quy1_2024.txt"
    assert len(searcher.search(q, k=3, modes=("dense",)).hits) == 3


def test_token_lookups_agree_with_scanning_the_postings(searcher: Searcher) -> None:
    """`doc_has_token` and `LexicalIndex.has` (binary searches, used for the evidence at 100k passages)
    give what a scan of every token's postings gives, for every token, document and passage."""
    lex = searcher.lexical
    n_docs = len(searcher.docs)
    for token in list(lex.vocab)[:400]:
        docs = searcher._docs_with_token(token)
        assert [searcher.doc_has_token(token, d) for d in range(n_docs)] == docs.tolist(), token
        post = set(lex.containing(token).tolist())
        for first in range(0, lex.n, 7):
            around = np.array([first, min(first + 3, lex.n - 1)])
            assert lex.has(token, around) == bool(post & set(around.tolist())), (token, first)
    assert not lex.has("khongcotrongkho", np.array([0, 1]))
    assert not searcher.doc_has_token("khongcotrongkho", 0)


def test_postings_out_of_order_are_a_damaged_index(index_dir: Path, tmp_path: Path) -> None:
    import shutil

    import bm25s

    from index.errors import IndexCorrupt
    from index.lexical import LexicalIndex

    copy = tmp_path / "bm25"
    shutil.copytree(current_snapshot(index_dir) / "bm25", copy)
    model = bm25s.BM25.load(str(copy), mmap=False)
    indptr, indices = model.scores["indptr"], model.scores["indices"]
    tid = next(t for t in range(len(indptr) - 1) if indptr[t + 1] - indptr[t] >= 2)
    a, b = int(indptr[tid]), int(indptr[tid + 1])
    indices[a:b] = indices[a:b][::-1].copy()
    model.save(str(copy))
    with pytest.raises(IndexCorrupt, match="not in order"):
        LexicalIndex(copy)


def test_open_with_another_model_is_model_mismatch(index_dir: Path) -> None:
    with pytest.raises(ModelMismatch, match="test-hash-encoder"):
        Searcher.open(index_dir, "another-model", HashEncoder(name="another-model"))


def test_open_without_index_is_index_not_built(tmp_path: Path) -> None:
    with pytest.raises(IndexNotBuilt):
        Searcher.open(tmp_path, HashEncoder.name, HashEncoder())
    (tmp_path / "snapshots").mkdir()
    with pytest.raises(IndexNotBuilt):
        Searcher.open(tmp_path, HashEncoder.name, HashEncoder())


def test_empty_corpus_index_answers_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    build_index(corpus, tmp_path / "index", HashEncoder())
    s = Searcher.open(tmp_path / "index", HashEncoder.name, HashEncoder())
    ans = s.search("kết nạp đảng viên", k=3)
    assert ans.answerable is False and ans.hits == ()


# ---------------------------------------------------------------------------------------------
# the real default model, end to end on the shipped corpus

SHIPPED = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Searcher, Path, object]:
    from bot.settings import DEFAULT_EMBEDDING_MODEL
    from index.embed import load_encoder

    encoder = load_encoder(DEFAULT_EMBEDDING_MODEL)
    index_dir = tmp_path_factory.mktemp("real-index")
    summary = build_index(SHIPPED, index_dir, encoder)
    assert summary.embedded == summary.passages > 100 and not summary.skipped
    from index.answerability import AnswerModel

    searcher = Searcher.open(index_dir, DEFAULT_EMBEDDING_MODEL, encoder, answer_model=AnswerModel.load())
    return searcher, index_dir, encoder


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "doc", "span"),
    [
        (
            "Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới vậy",
            "01_quangtri_giaoban_quy1_2024.txt",
            "Toàn tỉnh kết nạp được 412 đảng viên mới",
        ),
        (
            "bao cao nhanh hang thang cua nganh to chuc quang tri gui truoc ngay may",
            "01_quangtri_giaoban_quy1_2024.txt",
            "báo cáo nhanh định kỳ hằng tháng",
        ),
        (
            "ha tinh ai lo thong ke so can bo xa doi du, han nop thuong truc tinh uy",
            "02_hatinh_giaoban_quy1_2024.txt",
            "CB-CC-VC cấp xã dôi dư",
        ),
    ],
)
def test_real_model_end_to_end(real: tuple[Searcher, Path, object], query: str, doc: str, span: str) -> None:
    """The real model quotes the answering passage: as the answer ("high") or, when the answerability
    model is unsure, among the closest passages under the caveat ("low"); never "none" (the fitted
    thresholds keep answerable questions answered none under 1%, docs/RETRIEVAL.md)."""
    from bot.replies import quoted_hits

    searcher = real[0]
    ans = searcher.search(query, k=3)
    assert ans.confidence in {"high", "low"} and ans.answerable == (ans.confidence == "high")
    assert any(h.passage.doc == doc and span in h.passage.text for h in quoted_hits(ans.hits, ans.confidence))


@pytest.mark.slow
def test_real_model_vectors_line_up_with_passages(real: tuple[Searcher, Path, object]) -> None:
    """What was embedded for passage i (title + text), encoded again, finds row i."""
    import numpy as np

    from index.store import embed_text

    searcher, _, encoder = real
    for i in (0, len(searcher.passages) // 2, len(searcher.passages) - 1):
        p = searcher.passages[i]
        doc = searcher.docs[searcher.by_path[p.doc]]
        qv = encoder.embed([embed_text(doc, p.text)], kind="passage")[0]  # type: ignore[attr-defined]
        sims = searcher.vectors @ qv
        best = int(np.argmax(sims))
        assert searcher.passages[best].text == p.text and sims[best] > 0.99


@pytest.mark.slow
def test_real_model_abstains_and_rebuild_embeds_nothing(real: tuple[Searcher, Path, object]) -> None:
    searcher, index_dir, encoder = real
    assert searcher.search("Nghệ An quý II/2024 kết nạp được bao nhiêu đảng viên?", k=3).answerable is False
    again = build_index(SHIPPED, index_dir, encoder)
    assert again.snapshot is None and again.embedded == 0


# ---------------------------------------------------------------------------------------------
# top_k: the partial sort used by `search` must order exactly as a full stable sort


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.0, 1.0, 0.5, -0.25, 2.0, 1e-7]) | st.floats(-5, 5, width=32), max_size=200),
    st.integers(1, 60),
)
def test_top_k_equals_stable_argsort(values: list[float], k: int) -> None:
    import numpy as np

    from index.search import top_k

    scores = np.array(values, dtype="float32")
    assert top_k(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()


# ---------------------------------------------------------------------------------------------
# answerability: the evidence, the levels and the checks it reads


def test_search_reports_level_probability_and_evidence(searcher: Searcher) -> None:
    from index.evidence import FEATURES

    for query in ("Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới", "giá vé máy bay tết bao nhiêu"):
        ans, evidence = searcher.search_explained(query, k=3)
        assert evidence is not None and list(evidence) == list(FEATURES)
        assert ans.p_answer is not None and 0.0 <= ans.p_answer <= 1.0
        assert ans.confidence == searcher.answer_model.level(searcher.answer_model.probability(evidence))
        assert ans.answerable is (ans.confidence == "high")
    empty, none = searcher.search_explained("   ", k=3)
    assert none is None and empty.confidence == "none" and empty.hits == ()


def test_answer_model_decides_the_level(index_dir: Path) -> None:
    """The same evidence under a model with other thresholds gives the level those thresholds say."""
    import dataclasses

    base = Searcher.open(index_dir, HashEncoder.name, HashEncoder())
    query = "Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới"
    p = base.search(query, k=3).p_answer
    assert p is not None
    for high, none, expected in ((0.0, 0.0, "high"), (1.01, 0.0, "low"), (1.01, 1.01, "none")):
        model = dataclasses.replace(base.answer_model, high=high, none=none)
        ans = Searcher.open(index_dir, HashEncoder.name, HashEncoder(), answer_model=model).search(query, k=3)
        assert ans.confidence == expected and ans.p_answer == p
        assert ans.hits  # the passages are returned whatever the level: a "low" reply quotes them


@pytest.mark.parametrize(
    ("query", "years"),
    [
        ("Hà Tĩnh năm 2025 kết nạp bao nhiêu", {"2025"}),
        ("quý I/2024 kết nạp bao nhiêu", {"2024"}),
        ("hạn nộp trước 30/6/2025", {"2025"}),
        ("NĐ 178/2024 tinh giản thế nào", set()),
        ("Nghị định số 73/2024/NĐ-CP lương cơ sở", set()),
        ("NQ 35/2023/UBTVQH15 năm 2024", {"2024"}),
        ("kết nạp đảng viên", set()),
    ],
)
def test_years_named_leave_document_numbers_out(searcher: Searcher, query: str, years: set[str]) -> None:
    assert searcher.years_named(query) == years


@pytest.mark.parametrize(
    ("query", "doc", "paragraph", "where"),
    [
        # quý II/2024 is in the Q2 report's first paragraph and title; its third paragraph has only the title
        ("Quảng Trị quý II/2024 hạn chế là gì", "qt_quy2_2024.txt", 1, (True, True, False)),
        ("Quảng Trị quý II/2024 hạn chế là gì", "qt_quy2_2024.txt", 3, (False, True, False)),
        # tháng 7/2024 is the document's own month (dated 15/07/2024), stated nowhere in its text
        (
            "tháng 7/2024 Quảng Ngãi lập danh sách hưởng lương gửi Sở Nội vụ",
            "qn_luong_nq27.txt",
            3,
            (False, False, True),
        ),
        (
            "tháng 8/2024 Quảng Ngãi lập danh sách hưởng lương gửi Sở Nội vụ",
            "qn_luong_nq27.txt",
            3,
            (False, False, False),
        ),
    ],
)
def test_period_where_reads_the_document_date_for_a_month(
    searcher: Searcher, query: str, doc: str, paragraph: int, where: tuple[bool, bool, bool]
) -> None:
    from index.tokens import analyse

    an = analyse(query)
    idx = next(i for i, p in enumerate(searcher.passages) if p.doc == doc and p.paragraph == paragraph)
    assert searcher.period_where(searcher.periods_named(an), idx) == where
    assert searcher.period_ok(an, idx) is any(where)
