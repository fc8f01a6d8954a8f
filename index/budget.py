"""Budgets on reading one document: what a single corpus file may cost before it is refused.

A small file can still be expensive: a 677 KB .docx whose document.xml unpacks to 190 MB took 11
minutes and 2.4 GB to parse and gave two million paragraphs. So reading a file is bounded four ways,
each refusal a `DocumentTooLarge` ("<relpath>: <reason>") raised before anything is indexed:

1. size on disk: `max_file_bytes` (CHIDAO_MAX_FILE_MB), checked by `index.documents.read_document`;
2. unpacked size of a zip-based file (.docx): every part at most `max_part_bytes` and all parts together
   at most `max_expanded_bytes`, read off the archive's directory before anything is unpacked
   (`check_archive`). zipfile never unpacks more than a part's declared size, so a lying directory
   only breaks the file, it cannot grow it;
3. parse time and memory: the reader runs in a child process (`run_reader`) whose address space may
   grow by at most `memory_bytes` and which is killed after `seconds`. The children are forked from a
   single-threaded server process that has the readers imported, so a child costs a few milliseconds
   and never inherits the bot's threads or locks;
4. what came out: at most `max_paragraphs` paragraphs and `max_passages` passages (`check_document`,
   run inside the child so an oversized document is never sent back). A title longer than
   `max_title_chars` is not refused but shortened at a word boundary with "…" (a 9,640-character
   title once made every answer quoting its document too long to send).

Plain text (.txt, .md) is parsed in the calling process: its cost is linear in its size, which step 1
bounds. .docx is read in a child, and so is a PDF's text layer (`run_within`). Scanned pages, images and
.doc are OCR'd / converted in the calling process (index/documents.py), whose Scanner keeps the OCR cache
and counts the pages: tesseract and antiword are subprocesses with their own timeouts, the Scanner has a
page budget, and the Document they give passes `check_document` (step 4) all the same.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from index.errors import BadDocument, DocumentTooLarge
from index.model import Document
from index.passages import passages_of
from index.text import shorten

MB = 1024 * 1024
# Readers whose cost is linear in the file size: run in the calling process.
LINEAR_SUFFIXES = frozenset({".txt", ".md"})
ZIP_SUFFIXES = frozenset({".docx"})

Reader = Callable[[str, bytes, int], Document]
T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """The caps on one document. The defaults are those of the settings (docs/OPERATIONS.md)."""

    max_file_bytes: int = 20 * MB  # CHIDAO_MAX_FILE_MB
    max_part_bytes: int = 64 * MB  # CHIDAO_MAX_PART_MB: one unpacked part of a .docx
    max_expanded_bytes: int = 128 * MB  # CHIDAO_MAX_EXPANDED_MB: all unpacked parts of a .docx
    max_paragraphs: int = 20_000  # CHIDAO_MAX_PARAGRAPHS
    max_passages: int = 40_000  # CHIDAO_MAX_PASSAGES
    seconds: float = 120.0  # CHIDAO_PARSE_SECONDS: reading one file in the child (OCR has a timeout a page)
    memory_bytes: int = 1024 * MB  # CHIDAO_PARSE_MEMORY_MB: memory one file's reader may add
    max_title_chars: int = 300  # a longer title is shortened at a word boundary with "…" (not refused)


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= 100 * 1024 else f"{n} bytes"


def check_archive(relpath: str, data: bytes, budget: Budget) -> None:
    """Refuse a zip whose parts would unpack past the budget. A broken zip is left to the reader."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return
    biggest = max(members, key=lambda m: m.file_size, default=None)
    if biggest is not None and biggest.file_size > budget.max_part_bytes:
        raise DocumentTooLarge(
            f"{relpath}: its part {biggest.filename} unpacks to {_size(biggest.file_size)}, "
            f"over the {_size(budget.max_part_bytes)} limit for one part"
        )
    total = sum(m.file_size for m in members)
    if total > budget.max_expanded_bytes:
        raise DocumentTooLarge(
            f"{relpath}: unpacks to {_size(total)} in {len(members)} parts, "
            f"over the {_size(budget.max_expanded_bytes)} limit"
        )


def check_document(doc: Document, budget: Budget) -> Document:
    """The document, its title shortened to `max_title_chars`; DocumentTooLarge when it holds too many
    paragraphs or passages."""
    if len(doc.paragraphs) > budget.max_paragraphs:
        raise DocumentTooLarge(
            f"{doc.path}: {len(doc.paragraphs):,} paragraphs, over the limit of {budget.max_paragraphs:,}"
        )
    passages = len(passages_of(doc))
    if passages > budget.max_passages:
        raise DocumentTooLarge(f"{doc.path}: {passages:,} passages, over the limit of {budget.max_passages:,}")
    title = shorten(doc.title, budget.max_title_chars)
    return doc if title == doc.title else dataclasses.replace(doc, title=title)


def read_within(reader: Reader, suffix: str, relpath: str, data: bytes, budget: Budget) -> Document:
    """Run `reader` on the file's bytes within the budget (steps 2 to 4 of the module docstring)."""
    if suffix in ZIP_SUFFIXES:
        check_archive(relpath, data, budget)
    if suffix in LINEAR_SUFFIXES:
        return check_document(reader(relpath, data, budget.max_file_bytes), budget)
    return run_reader(reader, relpath, data, budget)


# --------------------------------------------------------------------------------------------------
# The child processes
#
# multiprocessing's own "forkserver" re-imports the calling program's main script in every child, and
# "fork" copies a process whose other threads may hold locks. So a small server of our own (`serve`, in a
# clean interpreter that imports the readers once) is started once per process; for each file it forks
# a child that limits its memory, reads, and writes the pickled result back. The server kills a child
# that runs out of time, and ends when its caller goes away.


def _address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), or None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _limit_memory(memory_bytes: int) -> None:
    now = _address_space()
    if now is None:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = now + memory_bytes if hard == resource.RLIM_INFINITY else min(now + memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _read_in_child(
    reader: Callable[[str, bytes, int], Any], relpath: str, data: bytes, budget: Budget
) -> tuple[str, Any]:
    """("ok", result), ("big", reason) or ("bad", reason): the outcome of reading, in the child. A Document
    is checked against the budget (`check_document`) before it is sent back."""
    too_big = f"{relpath}: reading it needs more than {_size(budget.memory_bytes)}"
    _limit_memory(budget.memory_bytes)
    try:
        out = reader(relpath, data, budget.max_file_bytes)
        return ("ok", check_document(out, budget) if isinstance(out, Document) else out)
    except MemoryError:
        return ("big", too_big)
    except DocumentTooLarge as exc:
        return ("big", str(exc))
    except BadDocument as exc:  # a reader that wraps every error of its library (MemoryError too)
        return ("big", too_big) if isinstance(exc.__cause__, MemoryError) else ("bad", str(exc))
    except Exception as exc:  # noqa: BLE001 - a reader bug is this file's problem, reported with the file
        return ("bad", f"{relpath}: could not be read ({type(exc).__name__}: {exc})")


def _write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(struct.pack("<Q", len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks: list[bytes] = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int) -> bytes | None:
    head = _read_exact(fd, 8)
    return None if head is None else _read_exact(fd, struct.unpack("<Q", head)[0])


def _serve_one(request: bytes) -> bytes:
    """In the server: fork a child for one request, wait for it within its time budget."""
    reader, relpath, data, budget = pickle.loads(request)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        code = 0
        try:
            try:
                out = pickle.dumps(_read_in_child(reader, relpath, data, budget))
            except MemoryError:
                out = pickle.dumps(("big", f"{relpath}: reading it needs more than {_size(budget.memory_bytes)}"))
            _write_frame(write_end, out)
        except BaseException:  # noqa: BLE001 - the server reports a child that said nothing
            code = 1
        os._exit(code)
    os.close(write_end)
    deadline = time.monotonic() + budget.seconds
    received = bytearray()
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read_end], [], [], left)[0]:
            timed_out = True
            break
        chunk = os.read(read_end, 1 << 20)
        if not chunk:
            break
        received += chunk
    os.close(read_end)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return pickle.dumps(("big", f"{relpath}: reading it took more than {budget.seconds:g} s"))
    if len(received) >= 8 and len(received) == 8 + struct.unpack("<Q", received[:8])[0]:
        return bytes(received[8:])
    how = f"signal {signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status) else "no result"
    return pickle.dumps(
        ("big", f"{relpath}: the reader stopped ({how}), probably over the {_size(budget.memory_bytes)} memory limit")
    )


def serve(requests: int = 0, replies: int = 1) -> None:
    """The server loop: one framed pickled request in, one framed pickled outcome out, until EOF."""
    while (request := _read_frame(requests)) is not None:
        _write_frame(replies, _serve_one(request))


class _Server:
    """The caller's side of the server: started on first use, restarted when it died."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            # The server imports the same `index` as this process, wherever that came from.
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from index.budget import serve; serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                close_fds=True,
                env=env,
            )
        return self.process

    def ask(self, request: bytes) -> bytes:
        with self.lock:
            for _attempt in (1, 2):
                process = self._start()
                assert process.stdin is not None and process.stdout is not None
                try:
                    _write_frame(process.stdin.fileno(), request)
                    reply = _read_frame(process.stdout.fileno())
                except OSError:
                    reply = None
                if reply is not None:
                    return reply
                process.kill()
                process.wait()
            raise BadDocument("the document reader process could not be started")


_server = _Server()


def run_within(func: Callable[[str, bytes, int], T], relpath: str, data: bytes, budget: Budget) -> T:
    """`func(relpath, data, max_file_bytes)` in a child process within the time and memory budget. `func`
    must be a module-level function (it is sent by reference) and its result picklable; a Document result
    is checked against the budget in the child."""
    kind, value = pickle.loads(_server.ask(pickle.dumps((func, relpath, data, budget))))
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "big":
        raise DocumentTooLarge(value)
    raise BadDocument(value)


def run_reader(reader: Reader, relpath: str, data: bytes, budget: Budget) -> Document:
    """`reader(relpath, data, max_file_bytes)` in a child process within the time and memory budget."""
    return run_within(reader, relpath, data, budget)
