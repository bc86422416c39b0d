"""Publish: the only writer of the output folder. Versioned names, atomic writes, no overwrites.

Before anything is rendered, each leaflet is compared with the publication register (hashes
only, so an unchanged catalogue costs no rendering at all). While publishing, each PDF gets its
register row the moment it is in place, before the next file is written, under the register's
lock: a build killed at any instant leaves every PDF either registered, or unregistered and
then *adopted* by the next build (when a fresh layout gives the same bytes) or *moved aside*
into `quarantine/` (never deleted). A file is written to a temporary name beside its target
and linked into place, so a reader or a crash never sees half a PDF, and a published PDF is
never replaced: `REF-vN.pdf` always holds the registered bytes.

Before a PDF is written, the output folder's claim list records which register it is being
published for: a file that another project's register published into a shared `--out` is
never mistaken for our own leftover.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from build_leaflets import __version__, assets
from build_leaflets.errors import LeafletError, Problem, ProblemsFound, PublishError
from build_leaflets.fileindex import FileIndex
from build_leaflets.files import sync_folder, temporary_beside, write_atomic
from build_leaflets.load import Source
from build_leaflets.model import Leaflet
from build_leaflets.register import (
    ARCHIVAL,
    LARGE_PRINT,
    PRINT,
    Register,
    Row,
    append_rows,
    read_pdf,
)

QUARANTINE = "quarantine"


class Outcome(Enum):
    WRITTEN = "written"
    UNCHANGED = "up to date"
    ADOPTED = "adopted"  # left unregistered by an interrupted build; registered now


class Action(Enum):
    """What a build must do for one file, decided from hashes before any rendering."""

    UP_TO_DATE = "up to date"  # registered, same source, the registered PDF is in place
    RESTORE = "restore"  # registered, same source, PDF missing: rebuild, must match
    PUBLISH = "publish"  # a version not yet registered, nothing in its place
    ADOPT = "adopt"  # not registered, but a file is in its place: lay out and compare
    DRAFT = "draft"  # a working copy: rebuilt, never registered
    DAMAGED = "damaged"  # registered, but the file in place has other bytes


#: Actions that need the PDF laid out.
LAY_OUT = (Action.PUBLISH, Action.RESTORE, Action.ADOPT, Action.DRAFT)


@dataclass(frozen=True)
class Layout:
    """Where each kind of output goes inside the output folder."""

    out: Path
    page_size: str | None = None  # set when it differs from the site's: the file name says so

    def html(self, leaflet: Leaflet, draft: bool) -> Path:
        """PSY-0101.html, or PSY-0101.cy.html for a translation."""
        folder = self.out / "drafts" if draft else self.out
        return folder / f"{leaflet.name}.html"

    def draft_pdf(self, leaflet: Leaflet) -> Path:
        size = f"-{self.page_size}" if self.page_size else ""
        stem = f"{leaflet.reference}-v{leaflet.version}{leaflet.file_suffix}"
        return self.out / "drafts" / f"{stem}{size}-draft.pdf"

    def file(self, leaflet: Leaflet, variant: str) -> str:
        """A published PDF's path inside the output folder, as the register records it: the
        reference and version, then a translation's language (PSY-0101-v1-cy.pdf)."""
        ref = leaflet.reference
        stem = f"{ref}-v{leaflet.version}{leaflet.file_suffix}"
        if variant == PRINT:
            return f"print/{stem}-print.pdf"
        if variant == LARGE_PRINT:
            return f"pdf/{ref}/{stem}-large-print.pdf"
        size = f"-{self.page_size}" if self.page_size else ""
        return f"pdf/{ref}/{stem}{size}.pdf"

    def variant_name(self, variant: str) -> str:
        """The register's name for a variant: the archival PDF names a non-default size."""
        if variant == ARCHIVAL and self.page_size:
            return f"{ARCHIVAL}-{self.page_size}"
        return variant

    def index(self) -> Path:
        return self.out / "index.html"

    def assets(self) -> Path:
        """The files web pages share, named by checksum (see `assets`)."""
        return self.out / assets.FOLDER

    def register_json(self) -> Path:
        return self.out / "register.json"

    def memo(self) -> Path:
        return self.out / ".cache" / "checked.json"

    def claims(self) -> Path:
        return self.out / ".cache" / "claims.jsonl"


# --- claims: which register each file in this output folder was published for -------------------


@dataclass(frozen=True)
class Claim:
    """A file about to be published into the output folder, for one register."""

    file: str
    sha256: str
    register: str  # the register's absolute path


class Claims:
    """The output folder's record of what is being published into it, and for which register.

    One JSON line per file, appended (and flushed to disk) just before the file is written, so
    it survives a build killed between the file and its register row.
    """

    def __init__(self, path: Path, claims: dict[str, Claim] | None = None) -> None:
        self.path = path
        self._claims = claims  # read when first asked: only a file in the way needs it

    @classmethod
    def read(cls, path: Path) -> Claims:
        return cls(path)

    def _read(self) -> dict[str, Claim]:
        claims: dict[str, Claim] = {}
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            try:
                record = json.loads(line)
                claim = Claim(str(record["file"]), str(record["sha256"]), str(record["register"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by a crash claims nothing
            claims[claim.file] = claim
        return claims

    def get(self, file: str) -> Claim | None:
        if self._claims is None:
            self._claims = self._read()
        return self._claims.get(file)

    def add(self, claim: Claim) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(claim.__dict__, sort_keys=True).encode() + b"\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if self._claims is not None:
            self._claims[claim.file] = claim


# --- planning ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One PDF of one leaflet, and what to do about it."""

    variant: str  # ARCHIVAL, PRINT or LARGE_PRINT
    action: Action
    path: Path
    row: Row | None = None
    claim: Claim | None = None  # for ADOPT: who put the file there, if we know


@dataclass(frozen=True)
class Plan:
    """One leaflet, the files to make for it, and its web page (None when it is current)."""

    source: Source
    draft: bool
    steps: tuple[Step, ...]
    page: Path
    page_stamp: str | None
    languages: tuple[tuple[str, str], ...] = ()  # the leaflet's other languages: (tag, page)
    notice: str = ""  # something the build should say about this leaflet

    @property
    def to_lay_out(self) -> tuple[str, ...]:
        """The variants whose PDFs must be laid out, in step order."""
        return tuple(step.variant for step in self.steps if step.action in LAY_OUT)


def plan(
    sources: Sequence[Source],
    register: Register,
    layout: Layout,
    claims: Claims,
    *,
    layout_sha: str,
    drafts: bool = False,
    variants: Sequence[str] = (ARCHIVAL,),
    languages: Mapping[tuple[str, str], tuple[tuple[str, str], ...]] | None = None,
    single_file: bool = False,
    index: FileIndex | None = None,
    assets_hold: Callable[[Path], bool] | None = None,
) -> list[Plan]:
    """Decide every file's action; raise with every version conflict before any writing.

    `single_file` makes the web pages self-contained (see `page_stamp`); otherwise a page is
    current only while the assets it links to are there (`assets_hold`, see
    `assets.LinkCheck`; without it, while the assets folder is). Each published PDF is
    compared with the register's checksum, through `index` (which reads a file again only
    when its size, times or inode changed) when there is one."""
    index = index or FileIndex()
    plans: list[Plan] = []
    problems: list[Problem] = []
    for source in sources:
        leaflet = source.leaflet
        draft = drafts or leaflet.is_draft
        page = layout.html(leaflet, draft)
        others = (languages or {}).get(leaflet.key, ())
        stamp = page_stamp_for(source, layout_sha, others, single_file=single_file)
        current = page_is_current(page, stamp) and (
            single_file or (assets_hold(page) if assets_hold else layout.assets().is_dir())
        )
        page_stamp = None if current else stamp
        if draft:
            path = layout.draft_pdf(leaflet)
            # A working copy is laid out again whenever its page is (same source, layout
            # and tool), so a build with nothing to do does nothing for drafts either.
            current = page_stamp is None and path.is_file()
            step = Step(ARCHIVAL, Action.UP_TO_DATE if current else Action.DRAFT, path)
            plans.append(Plan(source, True, (step,), page, page_stamp, others))
            continue
        conflict = _version_conflict(source, register, layout.variant_name(ARCHIVAL))
        notice = ""
        if conflict and _only_its_source_moved(source, register, layout):
            notice = (
                f"{leaflet.name} v{leaflet.version} stays published as it was: its source's "
                "archive date, owner, approval or contact changed since; to publish the "
                f"translation with them, raise its version to {leaflet.version + 1} and "
                "translated_on"
            )
            conflict = None
        if conflict:
            field_name, message = conflict
            line, column = source.value_place(field_name)
            problems.append(Problem(source.display, line, column, field_name, message))
            continue
        steps = []
        for variant in variants:
            file = layout.file(leaflet, variant)
            path = layout.out / file
            row = register.find(
                leaflet.reference, leaflet.version, layout.variant_name(variant), leaflet.language
            )
            action = _action(row, path, index)
            claim = claims.get(file) if action is Action.ADOPT else None
            steps.append(Step(variant, action, path, row, claim))
        if notice:  # its published files stay as they are; nothing is laid out
            steps = [s for s in steps if s.action is Action.UP_TO_DATE]
        plans.append(Plan(source, False, tuple(steps), page, page_stamp, others, notice))
    if problems:
        raise ProblemsFound(problems, "Nothing was written.")
    return plans


def _only_its_source_moved(source: Source, register: Register, layout: Layout) -> bool:
    """Whether a translation's published version differs from its file only in the values it
    takes from its source (which moved on): its own YAML and pictures are what its archival
    PDF embeds. Such a translation stays published as what it is."""
    leaflet = source.leaflet
    if leaflet.translation is None:
        return False
    row = register.find(
        leaflet.reference, leaflet.version, layout.variant_name(ARCHIVAL), leaflet.language
    )
    if row is None or not (layout.out / row.file).is_file():
        return False
    try:
        embedded = read_pdf(layout.out / row.file, row.file).attachments
    except LeafletError:
        return False
    return embedded.get(source.path.name) == source.data and all(
        sha256_bytes(embedded.get(p.name, b"")) == p.sha256 for p in source.pictures
    )


def language_links(
    sources: Sequence[Source], *, drafts: bool = False
) -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """For each leaflet, its other languages as (tag, link to its web page), source first: the
    pages of one leaflet link to each other. A published page links only to published pages
    (a draft is not for patients); a draft links to all (drafts live in drafts/)."""
    by_reference: dict[str, list[Leaflet]] = {}
    for source in sources:
        by_reference.setdefault(source.leaflet.slug, []).append(source.leaflet)
    links: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    for leaflets in by_reference.values():
        ordered = sorted(leaflets, key=lambda item: (item.is_translation, item.language))
        for leaflet in ordered:
            links[leaflet.key] = tuple(
                (other.language, _page_link(leaflet, other, drafts))
                for other in ordered
                if other is not leaflet and (drafts or leaflet.is_draft or not other.is_draft)
            )
    return links


def _page_link(page: Leaflet, to: Leaflet, drafts: bool) -> str:
    """The relative link from one leaflet's web page to another's (drafts are in drafts/,
    where a build of drafts puts every page)."""
    if drafts or page.is_draft == to.is_draft:
        return f"{to.name}.html"
    return f"../{to.name}.html" if page.is_draft else f"drafts/{to.name}.html"


def _action(row: Row | None, path: Path, index: FileIndex) -> Action:
    if row is None:
        return Action.ADOPT if path.exists() else Action.PUBLISH
    try:
        same = index.sha256(path) == row.pdf_sha256
    except OSError:
        if not path.is_file():  # gone (or not a file): made again from its source
            return Action.RESTORE
        raise
    return Action.UP_TO_DATE if same else Action.DAMAGED


def _version_conflict(source: Source, register: Register, variant: str) -> tuple[str, str] | None:
    leaflet = source.leaflet
    row = register.find(leaflet.reference, leaflet.version, variant, leaflet.language)
    latest = register.latest(leaflet.reference, variant, leaflet.language)
    dated = "translated_on" if leaflet.translation else "last_updated"
    if row is not None and row.source_sha256 != source.sha256:
        what = "text or pictures" if source.pictures else "text"
        if leaflet.translation:
            what += " (or other governance values taken from its source)"
        return (
            "version",
            f"{leaflet.version} was already published on {row.published} from different "
            f"{what}, and a published version never changes: raise version to "
            f"{(latest.version if latest else leaflet.version) + 1} and {dated} to "
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
                dated,
                f"is earlier than version {latest.version}'s ({latest.last_updated}); "
                "set it to the date of this update",
            )
    return None


# --- publishing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """One output file and what happened to it."""

    path: str
    outcome: Outcome


@dataclass(frozen=True)
class Product:
    """Everything one leaflet publishes, as laid out: its web page (None when it is current)
    and each PDF's bytes (or the error that stopped it), by variant."""

    page: str | None
    pdfs: Mapping[str, bytes | LeafletError]


@dataclass(frozen=True)
class Published:
    """What publishing one leaflet did: its files, its new register rows, files moved aside."""

    files: list[Written]
    rows: list[Row]
    moved: list[str] = field(default_factory=list)


@dataclass
class Publisher:
    """Writes each leaflet's files with their register rows, one leaflet at a time.

    Used only while the register's and the output folder's locks are held.
    """

    layout: Layout
    register: Register
    claims: Claims
    layout_sha: str
    tool_version: str
    shown: Callable[[Path], str]
    today: dt.date = field(default_factory=dt.date.today)
    #: Writes the assets a new web page links to that are missing (called before the page).
    page_assets: Callable[[Plan, str], object] | None = None
    moment: str = field(default_factory=lambda: dt.datetime.now().strftime("%Y%m%dT%H%M%S"))

    def publish(self, item: Plan, product: Product) -> Published:
        """Write one leaflet's PDFs (each followed by its register row), then its web page.

        Everything that could refuse is decided first, so a leaflet that fails leaves no new
        file, page or row at all.
        """
        failed = [made for made in product.pdfs.values() if isinstance(made, LeafletError)]
        if failed:
            raise failed[0]
        decided = [(step, self._decide(item, step, product)) for step in item.steps]
        files: list[Written] = []
        rows: list[Row] = []
        moved: list[str] = []
        for step, data in decided:
            shown = self.shown(step.path)
            if data is None:
                files.append(Written(shown, Outcome.UNCHANGED))
                continue
            if item.draft:
                files.append(Written(shown, replace_file(step.path, data)))
                continue
            sha = sha256_bytes(data)
            if step.action is Action.ADOPT and sha256_file(step.path) != sha:
                moved.append(self._move_aside(step.path))
            file = self.layout.file(item.source.leaflet, step.variant)
            self.claims.add(Claim(file, sha, str(self.register.path.resolve())))
            outcome = publish_pdf(step.path, data, shown_as=shown)
            if step.action is Action.ADOPT and outcome is Outcome.UNCHANGED:
                outcome = Outcome.ADOPTED
            files.append(Written(shown, outcome))
            if step.action in (Action.PUBLISH, Action.ADOPT):
                row = self._row(item.source, step, sha)
                append_rows(self.register.path, [row])
                self.register = self.register.with_rows([row])
                rows.append(row)
        if item.page_stamp is not None and product.page is not None:
            if self.page_assets is not None:
                self.page_assets(item, product.page)  # first: a page never links to nothing
            files.insert(0, Written(self.shown(item.page), publish_page(item.page, product.page)))
        else:
            files.insert(0, Written(self.shown(item.page), Outcome.UNCHANGED))
        return Published(files, rows, moved)

    def _decide(self, item: Plan, step: Step, product: Product) -> bytes | None:
        """The bytes to write for one step (None: nothing to do), or the reason it is refused."""
        shown = self.shown(step.path)
        if step.action is Action.UP_TO_DATE:
            return None
        if step.action is Action.DAMAGED:
            raise PublishError(
                f"{shown}: does not match the publication register (its bytes changed since "
                "it was published). It was left as it is; run `build-leaflets verify` and "
                "restore the file from your archive."
            )
        data = product.pdfs[step.variant]
        assert isinstance(data, bytes)
        if step.action is Action.RESTORE:
            assert step.row is not None
            if sha256_bytes(data) != step.row.pdf_sha256:
                raise PublishError(self._mismatch(shown, step.row))
        if step.action is Action.ADOPT:
            if not step.path.is_file():
                raise PublishError(
                    f"{shown}: is in the way of a published PDF and is not a file; "
                    "move it somewhere else and build again"
                )
            claim = step.claim
            ours = str(self.register.path.resolve())
            if (
                claim is not None
                and claim.register != ours
                and sha256_file(step.path) != (sha256_bytes(data))
            ):
                raise PublishError(
                    f"{shown}: was published into this folder for another register "
                    f"({claim.register}), from a different {item.source.leaflet.reference} "
                    f"v{item.source.leaflet.version}, and a published file is never replaced. "
                    "Build into another folder with --out, or raise version and last_updated."
                )
        return data

    def _move_aside(self, path: Path) -> str:
        """Move a leftover file into quarantine/ (never delete it), keeping its place."""
        relative = path.relative_to(self.layout.out)
        target = self.layout.out / QUARANTINE / self.moment / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        return f"{self.shown(path)} -> {self.shown(target)}"

    def _row(self, source: Source, step: Step, pdf_sha: str) -> Row:
        leaflet = source.leaflet
        return Row(
            reference=leaflet.reference,
            version=leaflet.version,
            variant=self.layout.variant_name(step.variant),
            language=leaflet.language,
            title=leaflet.title,
            last_updated=leaflet.last_updated.isoformat(),
            archive_date=leaflet.archive_date.isoformat() if leaflet.archive_date else "",
            status=leaflet.status,
            source_sha256=source.sha256,
            pdf_sha256=pdf_sha,
            file=self.layout.file(leaflet, step.variant),
            layout_sha256=self.layout_sha,
            tool_version=self.tool_version,
            published=self.today.isoformat(),
        )

    def _mismatch(self, shown: str, row: Row) -> str:
        """Why a rebuilt PDF may differ from the registered one, with what changed if known."""
        changed = []
        if row.layout_sha256 != self.layout_sha:
            changed.append("the layout (layouts/) or the site settings changed")
        if row.tool_version != self.tool_version:
            changed.append(f"tools were {row.tool_version}; now {self.tool_version}")
        reason = "; ".join(changed) or "the layout, tools and libraries are recorded as the same"
        return (
            f"{shown}: is missing, and rebuilding it does not give the registered PDF "
            f"(SHA-256 {row.pdf_sha256[:12]}...): {reason}. Nothing was written under that "
            "name; restore the published file from your archive, or publish a new version."
        )


def clear_leftovers(out: Path, register: Path) -> None:
    """Delete the temporary files of writes that a killed process never finished: any in the
    output folder (all ours), and the register's own beside it (never other files there).

    Only our own temporaries (`.NAME.XXXX.tmp`, see `write_atomic`) are removed, and only while
    the locks are held, so no running build can still be writing them.
    """
    found = [*register.parent.glob(f".{register.name}.*.tmp")]
    if out.is_dir():
        found += _temporaries(out)
    for path in found:
        path.unlink(missing_ok=True)


def _temporaries(out: Path) -> list[Path]:
    """Every `.*.tmp` file under `out`, outside any quarantine/ folder and not through a link
    to a folder. One walk with `os.walk` (a build with nothing to do at 5,000 leaflets spent a
    tenth of its time in `Path.rglob` here)."""
    found = []
    for folder, subfolders, names in os.walk(out):
        subfolders[:] = [name for name in subfolders if name != QUARANTINE]
        for name in names:
            if len(name) > 4 and name.startswith(".") and name.endswith(".tmp"):
                path = Path(folder, name)
                if path.is_file():
                    found.append(path)
    return found


def layout_digest(layouts: Path, settings: str) -> str:
    """One hash of every file in the layout (logos included) and the site settings, so a
    changed template, logo or organisation name is noticed."""
    digest = hashlib.sha256(settings.encode() + b"\0")
    for path in sorted(p for p in layouts.rglob("*") if p.is_file()):
        digest.update(path.relative_to(layouts).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    return sha256_bytes(path.read_bytes())


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def page_stamp_for(
    source: Source,
    layout_sha: str,
    others: tuple[tuple[str, str], ...] = (),
    *,
    single_file: bool = False,
) -> str:
    """What a web page is made from, recorded in it for the next build to compare: its
    source, the layout, the tool, its links to its other languages, and its form. A
    self-contained page's stamp ends in `assets.SINGLE_FILE_STAMP`, so the next build of
    the other form makes it again (and one of the same form leaves it be). A page linking
    to assets is current only while the files it links to are there (`plan`); a build never
    removes one."""
    stamp = f"{source.sha256[:16]}-{layout_sha[:16]}-{__version__}"
    if others:  # a page links to its other languages: a new one makes it out of date
        stamp += "-" + sha256_bytes(repr(others).encode())[:8]
    return stamp + assets.SINGLE_FILE_STAMP if single_file else stamp


def page_is_current(path: Path, stamp: str) -> bool:
    """A web page records what it was made from near its top; read just that far."""
    try:
        with path.open("rb") as file:
            head = file.read(4096)
    except OSError:
        return False
    return f'<meta name="leaflet-build" content="{stamp}">'.encode() in head


def write_new(path: Path, data: bytes) -> bool:
    """Write `data` to `path` only if nothing is there yet, atomically; False if something was.

    The file is linked into place, which fails rather than replaces, so not even a writer that
    ignored the locks could put other bytes under a published name.
    """
    temporary = temporary_beside(path, data)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    sync_folder(path.parent)
    return True


def publish_page(path: Path, data: str | bytes) -> Outcome:
    """A web page shows the current version, so it is replaced whenever it changes."""
    return replace_file(path, data.encode() if isinstance(data, str) else data)


def replace_file(path: Path, data: bytes) -> Outcome:
    """A file that shows the current state (a page, a draft): replaced when it changes."""
    if path.is_file() and path.read_bytes() == data:
        return Outcome.UNCHANGED
    write_atomic(path, data)
    return Outcome.WRITTEN


def publish_pdf(path: Path, data: bytes, *, shown_as: str) -> Outcome:
    """Write a versioned PDF once. The same bytes again are fine; different bytes are refused."""
    for _attempt in range(2):
        if path.is_file():
            if path.read_bytes() == data:
                return Outcome.UNCHANGED
            raise PublishError(
                f"{shown_as}: already holds a different PDF of this version, and a published "
                "version is never overwritten. If the leaflet's text changed, raise 'version' "
                "and 'last_updated' in its YAML file; if only the layout or settings changed, "
                "build into another folder with --out."
            )
        try:
            if write_new(path, data):
                return Outcome.WRITTEN
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
                raise
            # A file system without hard links: the locks keep other builds out.
            write_atomic(path, data)
            return Outcome.WRITTEN
    raise PublishError(f"{shown_as}: could not be published; build again")
