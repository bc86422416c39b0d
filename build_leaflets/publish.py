"""Publish: the only writer of the output folder. Versioned names, atomic writes, no overwrites.

Before anything is rendered, each leaflet is compared with the publication register (hashes
only, so an unchanged catalogue costs no rendering at all). A file is written to a temporary
name beside its target and renamed into place, so a reader or a crash never sees half a PDF,
and a published PDF is never replaced: `REF-vN.pdf` always holds the registered bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from build_leaflets.errors import Problem, ProblemsFound, PublishError
from build_leaflets.load import Source
from build_leaflets.model import Leaflet
from build_leaflets.register import ARCHIVAL, LARGE_PRINT, PRINT, Register, Row


class Outcome(Enum):
    WRITTEN = "written"
    UNCHANGED = "up to date"


class Action(Enum):
    """What a build must do for one leaflet, decided from hashes before any rendering."""

    UP_TO_DATE = "up to date"  # registered, same source, the registered PDF is in place
    RESTORE = "restore"  # registered, same source, PDF missing: rebuild, must match
    PUBLISH = "publish"  # a version not yet registered
    DRAFT = "draft"  # a working copy: rebuilt, never registered
    DAMAGED = "damaged"  # registered, but the file in place has other bytes


@dataclass(frozen=True)
class Layout:
    """Where each kind of output goes inside the output folder."""

    out: Path
    page_size: str | None = None  # set when it differs from the site's: the file name says so

    def html(self, leaflet: Leaflet, draft: bool) -> Path:
        folder = self.out / "drafts" if draft else self.out
        return folder / f"{leaflet.reference}.html"

    def draft_pdf(self, leaflet: Leaflet) -> Path:
        size = f"-{self.page_size}" if self.page_size else ""
        return self.out / "drafts" / f"{leaflet.reference}-v{leaflet.version}{size}-draft.pdf"

    def file(self, leaflet: Leaflet, variant: str) -> str:
        """A published PDF's path inside the output folder, as the register records it."""
        ref, version = leaflet.reference, leaflet.version
        if variant == PRINT:
            return f"print/{ref}-v{version}-print.pdf"
        if variant == LARGE_PRINT:
            return f"pdf/{ref}/{ref}-v{version}-large-print.pdf"
        size = f"-{self.page_size}" if self.page_size else ""
        return f"pdf/{ref}/{ref}-v{version}{size}.pdf"

    def variant_name(self, variant: str) -> str:
        """The register's name for a variant: the archival PDF names a non-default size."""
        if variant == ARCHIVAL and self.page_size:
            return f"{ARCHIVAL}-{self.page_size}"
        return variant

    def index(self) -> Path:
        return self.out / "index.html"

    def register_json(self) -> Path:
        return self.out / "register.json"

    def memo(self) -> Path:
        return self.out / ".cache" / "checked.json"


@dataclass(frozen=True)
class Step:
    """One file of one leaflet, and what to do about it."""

    variant: str  # ARCHIVAL or PRINT
    action: Action
    path: Path
    row: Row | None = None


@dataclass(frozen=True)
class Plan:
    """One leaflet and the files to make for it."""

    source: Source
    draft: bool
    steps: tuple[Step, ...]


def plan(
    sources: Sequence[Source],
    register: Register,
    layout: Layout,
    *,
    drafts: bool = False,
    variants: Sequence[str] = (ARCHIVAL,),
) -> list[Plan]:
    """Decide every file's action; raise with every version conflict before any writing."""
    plans: list[Plan] = []
    problems: list[Problem] = []
    for source in sources:
        leaflet = source.leaflet
        if drafts or leaflet.is_draft:
            step = Step(ARCHIVAL, Action.DRAFT, layout.draft_pdf(leaflet))
            plans.append(Plan(source, draft=True, steps=(step,)))
            continue
        conflict = _version_conflict(source, register, layout.variant_name(ARCHIVAL))
        if conflict:
            field, message = conflict
            line, column = source.value_place(field)
            problems.append(Problem(source.display, line, column, field, message))
            continue
        steps = []
        for variant in variants:
            name = layout.variant_name(variant)
            path = layout.out / layout.file(leaflet, variant)
            row = register.find(leaflet.reference, leaflet.version, name)
            steps.append(Step(variant, _action(row, path), path, row))
        plans.append(Plan(source, draft=False, steps=tuple(steps)))
    if problems:
        raise ProblemsFound(problems, "Nothing was written.")
    return plans


def _action(row: Row | None, path: Path) -> Action:
    if row is None:
        return Action.PUBLISH
    if not path.is_file():
        return Action.RESTORE
    return Action.UP_TO_DATE if sha256_file(path) == row.pdf_sha256 else Action.DAMAGED


def _version_conflict(source: Source, register: Register, variant: str) -> tuple[str, str] | None:
    leaflet = source.leaflet
    row = register.find(leaflet.reference, leaflet.version, variant)
    latest = register.latest(leaflet.reference, variant)
    if row is not None and row.source_sha256 != source.sha256:
        return (
            "version",
            f"{leaflet.version} was already published on {row.published} from different "
            "text, and a published version never changes: raise version to "
            f"{(latest.version if latest else leaflet.version) + 1} and last_updated to "
            "today's date (or undo the edit)",
        )
    if row is None and latest is not None:
        if latest.version > leaflet.version:
            return (
                "version",
                f"is {leaflet.version}, but version {latest.version} is already published; "
                f"a new version must be {latest.version + 1}",
            )
        if leaflet.last_updated.isoformat() < latest.last_updated:
            return (
                "last_updated",
                f"is earlier than version {latest.version}'s ({latest.last_updated}); "
                "set it to the date of this update",
            )
    return None


def layout_digest(layouts: Path, settings: str) -> str:
    """One hash of every file in the layout and the site settings, so a changed template,
    logo or organisation name is noticed."""
    digest = hashlib.sha256(settings.encode() + b"\0")
    for path in sorted(p for p in layouts.rglob("*") if p.is_file()):
        digest.update(path.relative_to(layouts).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_bytes(path.read_bytes())


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def page_is_current(path: Path, stamp: str) -> bool:
    """A web page records what it was made from near its top; read just that far."""
    try:
        with path.open("rb") as file:
            head = file.read(4096)
    except OSError:
        return False
    return f'<meta name="leaflet-build" content="{stamp}">'.encode() in head


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
