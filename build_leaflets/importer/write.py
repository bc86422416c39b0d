"""Write: new files only. A draft or a picture is never written over anything.

Each file is written to a temporary name beside its target, flushed, and then *linked* into
place: a link fails if the name exists, so even a file created a moment ago by someone else is
never replaced (a rename would silently replace it).
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from build_leaflets.files import sync_folder, temporary_beside


class AlreadyThere(Exception):
    """The target exists; nothing was written."""


def write_new(path: Path, data: bytes) -> None:
    """Write `data` to `path`, which must not exist yet; raises `AlreadyThere` if it does."""
    if path.exists() or path.is_symlink():
        raise AlreadyThere(str(path))
    temporary = temporary_beside(path, data)
    try:
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise AlreadyThere(str(path)) from None
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise
            # A file system without hard links (some network shares): check, then rename.
            if path.exists():
                raise AlreadyThere(str(path)) from None
            temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    sync_folder(path.parent)


def free_name(folder: Path, stem: str, suffix: str, data: bytes, taken: set[Path]) -> Path:
    """A name in `folder` for a picture: `stem.suffix`, or the first `stem-2.suffix`... that is
    free or already holds exactly these bytes (importing a file twice reuses its pictures)."""
    digest = hashlib.sha256(data).hexdigest()
    number = 1
    while True:
        name = f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}"
        path = folder / name
        if path in taken:
            number += 1
            continue
        if not path.exists() and not path.is_symlink():
            return path
        try:
            same = path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == digest
        except OSError:
            same = False
        if same:
            return path
        number += 1
