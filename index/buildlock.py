"""One index build at a time, across processes: an exclusive `flock` on `<index>/build.lock`.

The holder writes who it is (pid, host, since) into the lock file, so a build that finds the lock
taken can say who holds it, or wait for it. The kernel drops the lock when its holder exits, however
it ends (kill -9 included), so a crashed build never leaves the index locked. Threads of one process
exclude each other too (every `build_lock` opens the file anew, and flock locks per open file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from index.errors import BuildLocked

log = logging.getLogger(__name__)

LOCK_NAME = "build.lock"
POLL_SECONDS = 0.2


def holder(index_dir: Path) -> str:
    """Who holds (or last held) the build lock, as "pid 123 on host since 2026-12-06T21:00:00+00:00"."""
    try:
        info = json.loads((Path(index_dir) / LOCK_NAME).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    if not isinstance(info, dict):
        return "another process"
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')} since {info.get('since', '?')}"


@contextlib.contextmanager
def build_lock(index_dir: Path, *, wait: float | None = None) -> Iterator[None]:
    """Hold the build lock of `index_dir` for the duration of the block.

    `wait` None waits as long as it takes (logging once who holds the lock); a number waits at most
    that many seconds, then raises BuildLocked naming the holder (0: do not wait).
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if wait is None else time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise BuildLocked(
                        f"another index build is running ({holder(index_dir)}); try again when it has finished"
                    ) from None
                if not told:
                    log.warning("waiting for the index build of %s to finish", holder(index_dir))
                    told = True
                time.sleep(POLL_SECONDS)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
