"""File index: the SHA-256 of a file, read again only when its size, times or inode change.

A build checks that every published PDF is still the one the register records, and that each
picture is the one a leaflet was checked with. Reading and hashing every byte of a trust's
catalogue (15,000 PDFs, a gigabyte and more) would be nearly all of a build with nothing to do.
As git's index does, the index remembers each file's size, modification and change times
(nanoseconds) and inode beside its checksum, and trusts the checksum while they are unchanged.

A file changed in the same clock tick as it was hashed could keep its times (a "racily clean"
file, in git's words): so a checksum is only remembered for a file last changed more than
`RACY_SECONDS` before it was read, and a younger file is simply hashed again next time.
Writing a file in place with the same size and then setting its times back would go unseen
here; `verify` reads every byte of every file whatever the index says. A file is looked at
without following links (`lstat`), and recorded as it was read: so a symbolic link never
matches its entry, and is always read again.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

#: How old (in seconds) a file's last change must be before its checksum is remembered.
RACY_SECONDS = 2


Entry = list[int | str]  # [size, mtime_ns, ctime_ns, inode, sha256]


def _stamp(found: os.stat_result) -> list[int | str]:
    return [found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino]


class FileIndex:
    """Checksums of files by path, each kept with the stamp (size, times, inode) it was made at.

    `entries` is what an earlier run saved (`to_json_ready`); an entry is saved again while its
    file is there, so the index never outgrows the output folder.
    """

    def __init__(self, entries: Mapping[str, Sequence[int | str]] | None = None) -> None:
        self._known: dict[str, Entry] = {
            str(path): list(entry)
            for path, entry in (entries or {}).items()
            if isinstance(entry, Sequence) and len(entry) == 5
        }
        self.used: dict[str, Entry] = {}

    def known(self, path: Path) -> str | None:
        """The file's checksum if it is unchanged since it was recorded, without reading it;
        None if it changed, was never recorded, or cannot be looked at."""
        try:
            found = path.lstat()
        except OSError:
            return None
        return self._recall(str(path), found)

    def sha256(self, path: Path) -> str:
        """The file's SHA-256: remembered while unchanged, else read and hashed (OSError if it
        cannot be read)."""
        key = str(path)
        remembered = self._recall(key, path.lstat())
        if remembered is not None:
            return remembered
        with path.open("rb") as file:
            digest = hashlib.file_digest(file, "sha256").hexdigest()
            found = os.fstat(file.fileno())  # as it was read, not as it was before
        return self.note(path, digest, found)

    def note(self, path: Path, sha256: str, found: os.stat_result) -> str:
        """Remember a checksum made from the file as `found` describes it (unless the file is
        too young to trust its times); return the checksum."""
        if found.st_mtime_ns < time.time_ns() - RACY_SECONDS * 1_000_000_000:
            self.used[str(path)] = [*_stamp(found), sha256]
        return sha256

    def _recall(self, key: str, found: os.stat_result) -> str | None:
        entry = self._known.get(key) or self.used.get(key)
        if entry is None or entry[:4] != _stamp(found):
            return None
        self.used[key] = entry
        return str(entry[4])

    @property
    def changed(self) -> bool:
        """Whether this run noted a file the saved index does not have as it is now."""
        return any(self._known.get(path) != entry for path, entry in self.used.items())

    def to_json_ready(self) -> dict[str, Entry]:
        """What to save: every file looked up in this run, and those only an earlier run
        looked up (a check, or a build of some leaflets) while they are still there, so one
        command does not make the next read every file again."""
        kept = dict(self.used)
        for path, entry in self._known.items():
            if path not in kept and os.path.lexists(path):
                kept[path] = entry
        return dict(sorted(kept.items()))
