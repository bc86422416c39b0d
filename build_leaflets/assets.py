"""Assets: the files web pages share (stylesheets, fonts, pictures), named by their checksum.

A page that inlines its stylesheet, fonts and pictures is about 300 KB, and a catalogue of
a thousand such pages is 300 MB that no browser can cache. So a web page links to files in
`<out>/assets/` instead, each named by its content: `leaflet.3f2a9c1b0d4e5f60.css`,
`atkinson-hyperlegible-regular.8e1d0a42c3b5f7e9.woff2`. A name never means two contents, so a
browser (and the preview server) may keep an asset for ever, and pages made from the same
stylesheet and fonts share one copy however many there are.

The name is a readable stem, the first 16 hex digits of the content's SHA-256 (64 bits: a
catalogue would need billions of distinct files before two of them could plausibly share a
name) and the file's own suffix. Tests and anyone else can recompute it from the bytes.

Assets are written by the build, under its output lock, only when missing: a file already
there under its checksum's name already holds those bytes. Each is written to a temporary
name and renamed into place (`files.write_atomic`), so a page never links to half a file.
Assets no longer linked by any page are left where they are: copies of pages published
earlier (saved, mirrored, or still cached) may link to them, and they cost little.

`build --single-file` keeps the other form, every page self-contained: a `Bundle` with no
folder gives data: URLs instead of file names.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from build_leaflets.files import write_atomic

FOLDER = "assets"
"""The assets' folder inside the output folder."""

DIGITS = 16
"""Hex digits of the SHA-256 in an asset's name."""

#: What each kind of asset is served and inlined as (Python's mimetypes has no WOFF2 in 3.11).
CONTENT_TYPES = {
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".icc": "application/vnd.iccprofile",
    ".icm": "application/vnd.iccprofile",
}

_NAME = re.compile(rf"([a-z0-9]+(?:-[a-z0-9]+)*)\.([0-9a-f]{{{DIGITS}}})(\.[a-z0-9]+)")
#: A page's link to an asset: `assets/NAME` or `../assets/NAME` in an attribute or a url().
_LINK = re.compile(rf"""(?<=["'(/]){FOLDER}/({_NAME.pattern})(?=["')])""")


SINGLE_FILE_STAMP = "-single-file"
"""The end of a self-contained page's stamp (see `publish.page_stamp_for`)."""


def is_single_file(stamp: str | None) -> bool:
    """Whether a page's stamp asks for a self-contained page (`build --single-file`)."""
    return stamp is not None and stamp.endswith(SINGLE_FILE_STAMP)


def checksum(data: bytes) -> str:
    """The part of an asset's name that its bytes decide."""
    return hashlib.sha256(data).hexdigest()[:DIGITS]


def name_for(hint: str, data: bytes) -> str:
    """The asset name for `data`: the stem of `hint` in lower-case letters, digits and
    hyphens, the checksum, and the suffix of `hint` ("images/Therapy Room.JPG" ->
    "therapy-room.<checksum>.jpg")."""
    path = Path(hint)
    stem = "-".join(re.findall(r"[a-z0-9]+", path.stem.lower())) or "asset"
    return f"{stem}.{checksum(data)}{path.suffix.lower()}"


def is_name(name: str) -> bool:
    """Whether `name` is the form of an asset's name (`stem.<16 hex>.suffix`)."""
    return _NAME.fullmatch(name) is not None


def checksum_in(name: str) -> str | None:
    """The checksum an asset's name claims, or None when it is not an asset's name."""
    found = _NAME.fullmatch(name)
    return found[2] if found else None


def _kind(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


def content_type(name: str) -> str:
    """The Content-Type of an asset, by its suffix."""
    kind = _kind(name)
    return f"{kind}; charset=utf-8" if kind == "text/css" else kind


def data_url(hint: str, data: bytes) -> str:
    """`data` as a data: URL, its type from the suffix of `hint`."""
    return f"data:{_kind(hint)};base64,{base64.b64encode(data).decode('ascii')}"


def linked(page: str) -> set[str]:
    """The names of the assets a page links to (its stylesheets, fonts and pictures)."""
    return {found[1] for found in _LINK.finditer(page)}


class Bundle:
    """The assets one page links to, gathered while it is rendered.

    `folder` is the assets' folder as the page reaches it ("assets/" from the output folder,
    "../assets/" from drafts/); None makes the page self-contained: every URL is a data: URL
    and nothing is gathered.
    """

    def __init__(self, folder: str | None) -> None:
        self.folder = folder
        self.files: dict[str, bytes] = {}

    @property
    def inline(self) -> bool:
        return self.folder is None

    def url(self, hint: str, data: bytes) -> str:
        """Where the page finds `data` (named after `hint`, for its stem and suffix)."""
        if self.folder is None:
            return data_url(hint, data)
        name = name_for(hint, data)
        self.files[name] = data
        return f"{self.folder}{name}"


def missing(out: Path, names: Iterable[str]) -> list[str]:
    """The named assets not (yet) in the output folder `out`."""
    return sorted(name for name in set(names) if not (out / FOLDER / name).is_file())


def write(out: Path, files: Mapping[str, bytes]) -> list[str]:
    """Put each asset into `<out>/assets/` unless it is there already; the names written.

    Call it while the output folder's lock is held. A file of another size under an asset's
    name (a copy cut short elsewhere) is replaced; one of the right size holds the right
    bytes, as its name says.
    """
    written = []
    for name, data in sorted(files.items()):
        if checksum_in(name) != checksum(data):
            raise ValueError(f"{name} is not the name of its bytes ({checksum(data)})")
        path = out / FOLDER / name
        try:
            if path.stat().st_size == len(data):
                continue
        except FileNotFoundError:
            pass
        write_atomic(path, data)
        written.append(name)
    return written


class LinkCheck:
    """Whether the assets each up-to-date leaflet page links to are all in the output folder,
    found without reading the pages while nothing is missing.

    The memo keeps the names every page linked to (`known`); while all of them are in
    `<out>/assets/` (one listing of the folder), every page's links hold. When one is missing
    (deleted or lost in a copy), or nothing is known yet, each page whose stamp is current is
    read for its links, and only a page that links to a missing file is made again (which
    writes the file back). The names learnt are kept for the memo (`names`): all of those
    read, plus the pages made, plus, unless the whole catalogue was planned (`whole`), what
    was known before.
    """

    def __init__(self, out: Path, known: Iterable[str] | None, *, whole: bool) -> None:
        try:
            with os.scandir(out / FOLDER) as entries:
                self.present: frozenset[str] | None = frozenset(
                    entry.name for entry in entries if entry.is_file()
                )
        except OSError:
            self.present = None  # no assets/ folder: every page linking to it is made again
        given = set(known) if known is not None else None
        self.fast = given is not None and self.present is not None and given <= self.present
        self.names: set[str] = given if given is not None and (self.fast or not whole) else set()

    def holds(self, page: Path) -> bool:
        """Whether every asset `page` links to is there."""
        if self.present is None:
            return False
        if self.fast:
            return True
        try:
            wanted = linked(page.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return False
        self.names |= wanted
        return wanted <= self.present

    def made(self, names: Iterable[str]) -> None:
        """A page was made that links to `names` (all written before it)."""
        self.names.update(names)
