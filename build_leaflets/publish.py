"""Publish: the only writer of the output folder. Versioned names, atomic writes, no overwrites.

A file is written to a temporary name beside its target and renamed into place, so a reader
(or a crash) never sees half a PDF. A published PDF is never replaced by different bytes: a
file called `REF-vN.pdf` always holds what was first published under that name.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from build_leaflets.errors import PublishError
from build_leaflets.model import Leaflet


class Outcome(Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Layout:
    """Where each kind of output goes inside the output folder."""

    out: Path

    def html(self, leaflet: Leaflet) -> Path:
        folder = self.out / "drafts" if leaflet.is_draft else self.out
        return folder / f"{leaflet.reference}.html"

    def pdf(self, leaflet: Leaflet) -> Path:
        if leaflet.is_draft:
            return self.out / "drafts" / f"{leaflet.reference}-v{leaflet.version}-draft.pdf"
        folder = self.out / "pdf" / leaflet.reference
        return folder / f"{leaflet.reference}-v{leaflet.version}.pdf"

    def index(self) -> Path:
        return self.out / "index.html"


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that the file is either the old one or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temporary.chmod(0o644)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def publish_page(path: Path, data: bytes) -> Outcome:
    """A web page shows the current version, so it is replaced whenever it changes."""
    if path.is_file() and path.read_bytes() == data:
        return Outcome.UNCHANGED
    write_atomic(path, data)
    return Outcome.WRITTEN


def publish_pdf(path: Path, data: bytes, *, shown_as: str, replaceable: bool = False) -> Outcome:
    """Write a versioned PDF once. The same bytes again are fine; different bytes are refused.

    `replaceable` is for drafts, which are working copies and never published.
    """
    if path.is_file():
        if path.read_bytes() == data:
            return Outcome.UNCHANGED
        if not replaceable:
            raise PublishError(
                f"{shown_as}: already holds a different PDF of this version, and a published "
                "version is never overwritten. If the leaflet's text changed, raise 'version' "
                "and 'last_updated' in its YAML file; if only the layout or settings changed, "
                "build into another folder with --out."
            )
    write_atomic(path, data)
    return Outcome.WRITTEN
