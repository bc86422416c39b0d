"""Lock: one writer at a time for the publication register and for an output folder.

Two builds at once (a CI job and a person, or two people on a shared drive) would each read the
register, publish, and write back what they had read, losing the other's rows, or race to put
different bytes under one published name. Everything that publishes or edits the register holds
the register's lock for as long as it works, and the lock of the output folder it writes into,
always in that order so two writers can never wait for each other. The lock is an operating-system
file lock (the `filelock` library), so it is released the moment its holder exits, however it
ends: a killed build never leaves a stale lock behind.

The holder writes who it is into the lock file, so a second build can say whom it is waiting for.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import filelock

from build_leaflets.errors import LeafletError

#: The register's lock sits beside it; an output folder's lock inside it. Both are hidden files
#: (the preview's watcher and `git status` ignore them through .gitignore).
REGISTER_LOCK = ".register.lock"
OUTPUT_LOCK = ".build.lock"


def register_lock(leaflets: Path) -> Path:
    return leaflets / REGISTER_LOCK


def output_lock(out: Path) -> Path:
    return out / OUTPUT_LOCK


@contextmanager
def hold(
    locks: Sequence[Path],
    *,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    shown: Callable[[Path], str] = str,
    doing: str = "build",
) -> Iterator[None]:
    """Hold every lock in `locks`, taken in the order given, until the block ends.

    A lock another process holds is waited for (after telling `on_wait` whom we wait for), or,
    with `wait=False`, refused at once with a `LeafletError` that says who holds it.
    """
    with ExitStack() as stack:
        for path in locks:
            stack.enter_context(_hold_one(path, wait, on_wait, shown, doing))
        yield


@contextmanager
def _hold_one(
    path: Path,
    wait: bool,
    on_wait: Callable[[str], None] | None,
    shown: Callable[[Path], str],
    doing: str,
) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(
        path, thread_local=False, on_acquired=functools.partial(_write_holder, doing)
    )
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        holder = _describe_holder(path)
        if not wait:
            raise LeafletError(
                f"{shown(path.parent)}: {holder} is writing here; try again when it has "
                "finished (without --no-wait, build waits for it)"
            ) from None
        if on_wait is not None:
            on_wait(f"Waiting for {holder} to finish ({shown(path)})...")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _write_holder(doing: str, fd: int) -> None:
    """Record who holds the lock, for anyone who has to wait for it."""
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    record = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
    record["doing"] = doing
    data = json.dumps(record).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _describe_holder(path: Path) -> str:
    """'the build started at 10:42 (pid 1234)', as far as the lock file says."""
    try:
        record = json.loads(path.read_bytes()[:4096])
        started = dt.datetime.fromisoformat(record["started"])
        pid, host, doing = int(record["pid"]), str(record["host"]), str(record["doing"])
    except (OSError, ValueError, KeyError, TypeError):
        return "another build"
    day = "" if started.date() == dt.date.today() else f"{started.date().isoformat()} "
    where = f"pid {pid}" if host == socket.gethostname() else f"pid {pid} on {host}"
    return f"the {doing[:40]} started at {day}{started:%H:%M} ({where})"
