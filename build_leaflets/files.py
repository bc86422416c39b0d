"""Files: writes that leave either the old file or the whole new one, never half of either.

Every file the tool writes (PDFs, pages, the register) is written to a temporary name beside
its target, flushed to disk, and renamed into place; the folder is flushed too, so the rename
survives a power cut. The temporary names (`.NAME.XXXX.tmp`) are recognised and cleared by the
next build when a killed process leaves one behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def temporary_beside(path: Path, data: bytes) -> Path:
    """`data` in a new file beside `path`, flushed to disk; the caller puts it in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.chmod(0o644)
    except OSError as error:  # a full disk names no file: name the one being written
        temporary.unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` survive a power cut (where the file system lets a folder be
    synced: some network file systems refuse, and the rename has happened all the same)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that the file is either the old one or the whole new one."""
    temporary = temporary_beside(path, data)
    try:
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)
