"""The command-line contract of `chidao index build` and `chidao search [--json]`, through bot.cli.main.

The index is built with the deterministic HashEncoder; `index.embed.load_encoder` is replaced by one
that returns a HashEncoder of the configured name, so the CLI runs exactly as in production otherwise.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import index.embed
from bot.cli import main
from index.errors import ModelNotFound
from index.search import Searcher
from index.store import build_index
from tests.fakes import HashEncoder

MODEL = "cli-test-hash"

CORPUS = {
    "qt_quy1_2024.txt": """Quảng Trị giao ban công tác tổ chức xây dựng Đảng quý I/2024
Ngày: 27/03/2024
Cơ quan: Ban Tổ chức Tỉnh ủy Quảng Trị

Trong quý I, toàn tỉnh Quảng Trị kết nạp được 412 đảng viên mới, đạt 27,5% chỉ tiêu năm.
Các huyện ủy hoàn thành việc thẩm định hồ sơ quy hoạch bổ sung của cấp cơ sở trước ngày 30/4/2024.
""",
    "luong.txt": """Hướng dẫn thực hiện mức lương cơ sở
Ngày: 08/07/2024
Cơ quan: Sở Nội vụ tỉnh Quảng Ngãi

Từ ngày 01/7/2024, mức lương cơ sở là 2.340.000 đồng/tháng theo Nghị định số 73/2024/NĐ-CP.
Các cơ quan, đơn vị gửi danh sách người hưởng lương về Sở Nội vụ trước ngày 20/7/2024.
""",
    # no header block, no date anywhere: title from the first line, date and agency null
    "ghichu.txt": """Ghi chú về phong trào thi đua
Phong trào thi đua yêu nước được phát động rộng khắp trong các chi bộ thôn, tổ dân phố.
Các chi bộ biểu dương gương người tốt, việc tốt trong sinh hoạt định kỳ.
""",
}

SUMMARY_LINE = re.compile(
    r"^documents: \d+ added, \d+ changed, \d+ removed, \d+ skipped, \d+ unchanged; "
    r"\d+ documents, \d+ passages \(\d+ embedded\), \d+ pages OCR'd in \d+\.\d s$"
)
RESULT_KEYS = {"doc", "title", "date", "agency", "paragraph", "text", "score"}


def fake_load_encoder(name: str, backend: str | None = None) -> HashEncoder:
    if name != MODEL:
        raise ModelNotFound(f"embedding model {name!r} is not installed")
    return HashEncoder(name=name)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A clean environment: only our CHIDAO_ variables, no .env file, HashEncoder as the model."""
    import os

    for key in list(os.environ):
        if key.startswith("CHIDAO_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path / "index"
    monkeypatch.setenv("CHIDAO_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("CHIDAO_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("CHIDAO_EMBEDDING_MODEL", MODEL)
    monkeypatch.setattr(index.embed, "load_encoder", fake_load_encoder)
    return {"corpus": corpus, "index": index_dir}


@pytest.fixture
def built(env: dict[str, Path]) -> dict[str, Path]:
    build_index(env["corpus"], env["index"], HashEncoder(name=MODEL))
    return env


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str) -> None:
    assert "Traceback" not in err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("chidao: "), err


def corpus_paragraphs(name: str) -> list[str]:
    body = CORPUS[name].split("\n\n", 1)[1] if "\n\n" in CORPUS[name] else CORPUS[name].split("\n", 1)[1]
    return [line for line in body.split("\n") if line]


# ---------------------------------------------------------------------------------------------
# chidao index build


def test_index_build_prints_one_summary_line(env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "index", "build")
    assert code == 0
    assert len(out.splitlines()) == 1
    assert SUMMARY_LINE.match(out.strip()), out
    assert out.startswith(
        "documents: 3 added, 0 changed, 0 removed, 0 skipped, 0 unchanged; 3 documents, 6 passages (6 embedded)"
    )
    assert err == ""
    # a second run changes nothing and says so
    code, out, _ = run(capsys, "index", "build")
    assert code == 0
    assert out.startswith(
        "documents: 0 added, 0 changed, 0 removed, 0 skipped, 3 unchanged; 3 documents, 6 passages (0 embedded)"
    )


@pytest.mark.parametrize(
    ("build", "question", "native", "expected"),
    [
        (None, None, True, "torch-bf16"),  # auto, on a CPU with native bfloat16 (torch is installed here)
        (None, "torch", False, "torch"),  # auto elsewhere: the questions' backend
        ("onnx", "torch", True, "onnx"),
    ],
)
def test_index_build_encodes_with_the_build_backend(
    env: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    build: str | None,
    question: str | None,
    native: bool,
    expected: str,
) -> None:
    asked: list[str | None] = []

    def loader(name: str, backend: str | None = None) -> HashEncoder:
        asked.append(backend)
        return fake_load_encoder(name, backend)

    monkeypatch.setattr(index.embed, "load_encoder", loader)
    monkeypatch.setattr(index.embed, "native_bfloat16", lambda: native)
    for key, value in (("CHIDAO_BUILD_BACKEND", build), ("CHIDAO_EMBEDDING_BACKEND", question)):
        if value:
            monkeypatch.setenv(key, value)
    code, out, _ = run(capsys, "index", "build")
    assert code == 0 and out.startswith("documents: 3 added")
    assert asked == [expected]


def test_index_build_reports_skipped_files_on_stderr(env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    (env["corpus"] / "empty.txt").write_bytes(b"")
    code, out, err = run(capsys, "index", "build")
    assert code == 0
    assert SUMMARY_LINE.match(out.strip()) and ", 1 skipped," in out
    assert re.fullmatch(r"skipped empty\.txt: .+\n", err), err


def test_index_build_options_override_settings(
    env: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other-index"
    code, out, _ = run(capsys, "index", "build", "--corpus", str(env["corpus"]), "--index", str(other))
    assert code == 0 and (other / "CURRENT").is_file() and not env["index"].exists()


def test_index_build_missing_corpus_is_one_line(
    env: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "index", "build", "--corpus", str(tmp_path / "nope"))
    assert code == 2 and out == ""
    assert_one_line_error(err)


def test_index_build_unknown_model_is_one_line(
    env: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHIDAO_EMBEDDING_MODEL", "no-such-model")
    code, _, err = run(capsys, "index", "build")
    assert code == 2
    assert_one_line_error(err)
    assert "no-such-model" in err


# ---------------------------------------------------------------------------------------------
# chidao search --json


def test_search_json_contract(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "search", "--json", "Quảng", "Trị", "quý", "I/2024", "kết", "nạp", "bao", "nhiêu")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert list(obj) == ["query", "answerable", "confidence", "p_answer", "results"]
    assert obj["query"] == "Quảng Trị quý I/2024 kết nạp bao nhiêu"
    assert obj["answerable"] is True and obj["confidence"] == "high"
    assert type(obj["p_answer"]) is float and 0 <= obj["p_answer"] <= 1
    assert 1 <= len(obj["results"]) <= 3  # --k defaults to 3
    for r in obj["results"]:
        assert set(r) == RESULT_KEYS
        assert isinstance(r["doc"], str) and isinstance(r["title"], str)
        assert r["date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date"])
        assert r["agency"] is None or isinstance(r["agency"], str)
        assert type(r["paragraph"]) is int and r["paragraph"] >= 1
        assert type(r["score"]) is float
        assert isinstance(r["text"], str)
        # the text is the passage itself: here every paragraph is one passage
        assert r["text"] == corpus_paragraphs(r["doc"])[r["paragraph"] - 1]
    first = obj["results"][0]
    assert first == {
        "doc": "qt_quy1_2024.txt",
        "title": "Quảng Trị giao ban công tác tổ chức xây dựng Đảng quý I/2024",
        "date": "2024-03-27",
        "agency": "Ban Tổ chức Tỉnh ủy Quảng Trị",
        "paragraph": 1,
        "text": corpus_paragraphs("qt_quy1_2024.txt")[0],
        "score": first["score"],
    }
    scores = [r["score"] for r in obj["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_json_text_equals_searcher_passage(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--json", "--k", "6", "mức lương cơ sở")
    assert code == 0
    results = json.loads(out)["results"]
    s = Searcher.open(built["index"], MODEL, HashEncoder(name=MODEL))
    ans = s.search("mức lương cơ sở", k=6)
    assert [(r["doc"], r["paragraph"], r["text"]) for r in results] == [
        (h.passage.doc, h.passage.paragraph, h.passage.text) for h in ans.hits
    ]
    assert [r["score"] for r in results] == [round(h.score, 6) for h in ans.hits]


def test_search_json_null_date_and_agency(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--json", "--k", "1", "phong trào thi đua yêu nước chi bộ thôn")
    r = json.loads(out)["results"][0]
    assert r["doc"] == "ghichu.txt"
    assert r["title"] == "Ghi chú về phong trào thi đua"
    assert r["date"] is None and r["agency"] is None
    assert '"date": null' in out and '"agency": null' in out


def test_search_json_keeps_vietnamese_unescaped(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "search", "--json", "Quảng Trị kết nạp")
    assert "Quảng Trị" in out and "\\u" not in out


def test_search_json_unanswerable(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--json", "Cà Mau quý II/2024 kết nạp bao nhiêu đảng viên")
    assert code == 0
    obj = json.loads(out)
    assert obj["answerable"] is False and obj["confidence"] in {"low", "none"}
    assert obj["p_answer"] < 0.5
    assert isinstance(obj["results"], list)  # the nearest passages are still listed


@pytest.mark.parametrize(
    ("stdin", "queries"),
    [
        ("mức lương cơ sở\nQuảng Trị kết nạp đảng viên\n", ["mức lương cơ sở", "Quảng Trị kết nạp đảng viên"]),
        ("\n  mức lương cơ sở  \n\n\nthi đua\n", ["mức lương cơ sở", "thi đua"]),  # blank lines skipped
        ("một câu không có dòng mới", ["một câu không có dòng mới"]),
        ("", []),
    ],
)
def test_search_stdin_one_line_per_query(
    built: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str,
    queries: list[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code, out, err = run(capsys, "search", "--json")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [json.loads(line)["query"] for line in lines] == queries


@pytest.mark.parametrize("k", [1, 2, 5, 50])
def test_search_k_bounds_results(built: dict[str, Path], capsys: pytest.CaptureFixture[str], k: int) -> None:
    code, out, _ = run(capsys, "search", "--json", "--k", str(k), "đảng viên")
    assert code == 0
    assert len(json.loads(out)["results"]) == min(k, 6)


@pytest.mark.parametrize("k", ["0", "-1", "51"])
def test_search_k_out_of_range_is_one_line_error(
    built: dict[str, Path], capsys: pytest.CaptureFixture[str], k: str
) -> None:
    code, out, err = run(capsys, "search", "--json", "--k", k, "đảng viên")
    assert code == 2 and out == ""
    assert_one_line_error(err)
    assert "--k" in err


def test_search_text_output(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--k", "1", "mức lương cơ sở 2.340.000")
    assert code == 0
    assert out.startswith("? mức lương cơ sở 2.340.000\n  độ tin cậy: cao (high, p_answer 0.")
    assert "[1] Từ ngày 01/7/2024, mức lương cơ sở là 2.340.000 đồng/tháng" in out
    assert "— Hướng dẫn thực hiện mức lương cơ sở, Sở Nội vụ tỉnh Quảng Ngãi, 08/07/2024, đoạn 1" in out
    code, out, _ = run(capsys, "search", "giá vé máy bay tết")
    assert "độ tin cậy: không có (none, p_answer 0." in out
    assert "Không tìm thấy" in out and "[1]" not in out


# ---------------------------------------------------------------------------------------------
# errors: exit code 2, one line on stderr, never a traceback


def test_search_missing_index(env: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "search", "--json", "mức lương cơ sở")
    assert code == 3 and out == ""
    assert_one_line_error(err)
    assert "index build" in err  # tells the user what to do


def test_search_index_option_pointing_nowhere(
    built: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "search", "--index", str(tmp_path / "nowhere"), "mức lương")
    assert code == 3 and out == ""
    assert_one_line_error(err)


def test_search_model_mismatch(
    built: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHIDAO_EMBEDDING_MODEL", "another-model")
    code, out, err = run(capsys, "search", "--json", "mức lương")
    assert code == 3 and out == ""
    assert_one_line_error(err)
    assert MODEL in err and "another-model" in err


def test_search_corrupt_index(built: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    snap = built["index"] / "snapshots" / (built["index"] / "CURRENT").read_text().strip()
    (snap / "manifest.json").write_text("{", "utf-8")
    code, out, err = run(capsys, "search", "--json", "mức lương")
    assert code == 3 and out == ""
    assert_one_line_error(err)


@pytest.mark.parametrize(
    ("var", "value", "command"),
    [
        ("CHIDAO_REMINDER_TIME", "25:99", ("search", "--json", "mức lương")),
        ("CHIDAO_REMINDER_TIME", "25:99", ("index", "build")),
        ("CHIDAO_MAX_FILE_MB", "-3", ("index", "build")),
        ("CHIDAO_TIMEZONE", "Mars/Olympus", ("search", "mức lương")),
        ("CHIDAO_ADMIN_IDS", "12,abc", ("search", "--json", "mức lương")),
    ],
)
def test_bad_setting_is_one_line_error(
    built: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    var: str,
    value: str,
    command: tuple[str, ...],
) -> None:
    monkeypatch.setenv(var, value)
    code, out, err = run(capsys, *command)
    assert code == 2 and out == ""
    assert_one_line_error(err)
    assert var in err


def test_bad_setting_in_dotenv_is_one_line_error(
    built: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text("CHIDAO_REMINDER_TIME=25:99\n", "utf-8")
    code, _, err = run(capsys, "search", "--json", "mức lương")
    assert code == 2
    assert_one_line_error(err)
    assert "CHIDAO_REMINDER_TIME" in err


def test_search_output_is_flushed_per_query(
    built: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tool driving `chidao search --json` through a pipe reads each answer as soon as it is printed."""
    seen: list[str] = []

    class Lines(io.StringIO):
        def __iter__(self) -> Any:
            for line in ["mức lương cơ sở\n", "đảng viên\n"]:
                seen.append(capsys.readouterr().out)
                yield line

    monkeypatch.setattr(sys, "stdin", Lines())
    code, out, _ = run(capsys, "search", "--json")
    assert code == 0
    assert seen[0] == "" and json.loads(seen[1])["query"] == "mức lương cơ sở"
