"""Build: the one orchestrator. Load and check everything, then render, lay out and publish.

Nothing is written until every leaflet has loaded cleanly and agrees with the publication
register (as MkDocs and Pelican do): a typo in one file never leaves a half-updated catalogue.
After that, a leaflet that fails to render is reported and the others still build; the exit
status still reports the failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from build_leaflets import (
    __version__,
    assets,
    audit,
    calendars,
    dashboard,
    lock,
    pdf,
    produce,
    publish,
    readability,
    render,
)
from build_leaflets.config import Printer, Project
from build_leaflets.errors import LeafletError, Problem, ProblemsFound
from build_leaflets.files import write_atomic
from build_leaflets.load import Memo, Source, load_all, paused_collector
from build_leaflets.publish import Action, Outcome, Written
from build_leaflets.register import (
    ARCHIVAL,
    LARGE_PRINT,
    PRINT,
    REGISTER_NAME,
    Register,
    Row,
    read_register,
)
from build_leaflets.shard import Shard, start_fragment

if TYPE_CHECKING:
    from build_leaflets import pack


@dataclass(frozen=True)
class Done:
    """What a build did for one leaflet: `summary` is a few words for the terminal."""

    reference: str
    version: int
    summary: str
    files: list[Written]

    @property
    def written(self) -> list[str]:
        return [f.path for f in self.files if f.outcome is not Outcome.UNCHANGED]


@dataclass(frozen=True)
class Failed:
    """A leaflet that could not be built, and why."""

    reference: str
    message: str


@dataclass
class Result:
    """What a build did: each leaflet's outcome, the failures (with why), new register rows."""

    done: list[Done] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    registered: list[Row] = field(default_factory=list)
    pages: list[Written] = field(default_factory=list)  # index, register.json
    moved: list[str] = field(default_factory=list)  # leftovers moved into quarantine/
    notices: list[str] = field(default_factory=list)  # what the build should say, e.g. kept
    register: Register = field(default_factory=lambda: Register(Path(REGISTER_NAME), ()))

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def rendered(self) -> int:
        """How many PDFs were laid out and written (0 when everything was up to date)."""
        return sum(any(p.endswith(".pdf") for p in d.written) for d in self.done)


def check(project: Project, paths: Sequence[Path] = (), jobs: int = 1) -> list[Source]:
    """Load and check leaflets, writing nothing but the memo of what passed; raises with every
    problem found.

    Files unchanged since a build or check passed them are taken from the memo in the
    output folder (`load.Memo`). A check of every leaflet saves the memo again, when the
    output folder is there already: a check never makes it, and a failed check changes
    nothing."""
    layout = publish.Layout(project.output)
    with paused_collector():
        memo = _memo(project, layout)
        sources = load_all(project, paths, memo=memo, workers=jobs)
    if not paths and project.output.is_dir():
        with contextlib.suppress(OSError):  # the memo only saves time
            _save_memo(memo, layout)
    return sources


def readability_of(source: Source) -> readability.Readability:
    """Reading measures over what a patient reads: title, summary, headings and section text.

    Headings and list items count as sentences of their own, as the measures expect.
    """
    return source.readability


def register_of(project: Project, memo: Memo | None = None) -> Register:
    """The publication register; with a memo, its rows are not checked field by field again
    while the file is as a build last found it sound."""
    path = project.leaflets / REGISTER_NAME
    register = read_register(path, project.relative(path), memo.register if memo else "")
    if memo is not None:
        memo.register = register.sha256
    return register


def build(
    project: Project,
    references: Sequence[str] = (),
    *,
    out: Path | None = None,
    page_size: str | None = None,
    drafts: bool = False,
    large_print: bool = False,
    jobs: int = 1,
    on_done: Callable[[Done | Failed, int, int], None] | None = None,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    shard: Shard | None = None,
    single_file: bool = False,
) -> Result:
    """Build the chosen leaflets (default: all) into `out` (default: the project's output/).

    Every published leaflet gets its archival PDF, a print-ready PDF (unless the site turns
    them off) and, with `large_print` or the site's setting, a large-print PDF. Leaflets are
    produced by `jobs` processes; `on_done(outcome, number, total)` hears of each leaflet as
    it is finished, in order. Publishing holds the register's lock and the output folder's
    (drafts only the folder's): another build waits (`on_wait` is told whom for), or with
    `wait=False` this one is refused.

    With `shard`, only the leaflets of that slice are built, and the register is read (under
    its lock) but not written: the rows go to the shard's fragment in `out`, for `register
    merge`. The catalogue pages, which describe every leaflet, are left to a build after it.

    Web pages link to their stylesheet, fonts and pictures in `out`/assets/, written here
    when missing; with `single_file` the chosen leaflets' pages are self-contained instead
    (for sending one leaflet as one file), until a build without it makes them again.
    """
    size = page_size if page_size and page_size != project.site.page_size else None
    layout = publish.Layout(out or project.output, size)
    with paused_collector():
        memo = _memo(project, layout)
        sources = load_all(project, memo=memo, workers=jobs)
    chosen = _select(sources, references)
    locks = [lock.output_lock(layout.out)]
    register: Register | None = None
    fragment = None if shard is None or drafts else shard.fragment(layout.out)
    if shard is not None:
        chosen = [source for source in chosen if shard.holds(source.leaflet.reference)]
        if fragment is not None:  # other shards and builds need not wait for this one
            held = [lock.register_lock(project.leaflets)]
            with lock.hold(held, wait=wait, on_wait=on_wait, shown=project.relative):
                register = register_of(project)
    elif not drafts:
        locks.insert(0, lock.register_lock(project.leaflets))
    with lock.hold(locks, wait=wait, on_wait=on_wait, shown=project.relative):
        publish.clear_leftovers(layout.out, fragment or project.leaflets / REGISTER_NAME)
        result = _publish_all(
            project,
            sources,
            chosen,
            layout,
            drafts,
            large_print,
            page_size,
            jobs,
            on_done,
            register,
            fragment,
            single_file,
            memo,
        )
        result.sources = sources
        if shard is not None:
            _save_memo(memo, layout)
            return result
        today = dt.date.today()
        key = _pages_key(project, sources, result.register, layout, today)
        if not memo.pages_current(key, layout.out):
            catalogue = _catalogue(project, sources, result.register, layout)
            shared = assets.Bundle("assets/")  # the catalogue pages lie beside assets/
            index = render.render_index(catalogue, project, today, shared)
            governance = _governance(project, sources, result.register, layout, today, shared)
            assets.write(layout.out, shared.files)  # before the pages that link to them
            result.pages = [
                _page(project, layout.register_json(), result.register.to_json()),
                _page(project, layout.index(), index),
                *(_page(project, path, data) for path, data in governance),
            ]
            _remove_old_calendars(layout, governance)
            made = [project.root / page.path for page in result.pages]
            made += [layout.out / assets.FOLDER / name for name in sorted(shared.files)]
            again = _pages_key(project, sources, result.register, layout, today)
            memo.note_pages(again, layout.out, made)
        _save_memo(memo, layout)
    return result


def _pages_key(
    project: Project,
    sources: list[Source],
    register: Register,
    layout: publish.Layout,
    today: dt.date,
) -> str:
    """Everything the catalogue, governance and calendar pages are made from, as one hash:
    the day, the tool, the settings and layouts, the register, each leaflet's source (and a
    translation's source's), which of each leaflet's files are there to link to, which
    calendars there are, and whether the shared assets are. A build that finds the hash it
    noted when it last made the pages (and the pages, and the assets they link to, as it left
    them) need not make them again."""
    digest = hashlib.sha256()
    for part in (
        today.isoformat(),
        pdf.tool_versions(),
        publish.layout_digest(project.layouts, project.site.model_dump_json()),
        register.path.read_bytes() if register.path.is_file() else b"",
    ):
        digest.update((part if isinstance(part, bytes) else part.encode()) + b"\0")
    for source in sources:
        leaflet = source.leaflet
        origin = source.origin.model_dump_json() if source.origin is not None else ""
        there = "".join(
            "1" if path.is_file() else "0"
            for path in (
                layout.html(leaflet, leaflet.is_draft),
                layout.draft_pdf(leaflet),
                layout.out / layout.file(leaflet, ARCHIVAL),
                layout.out / layout.file(leaflet, LARGE_PRINT),
            )
        )
        digest.update(f"{leaflet.name}\0{source.sha256}\0{origin}\0{there}\n".encode())
    for calendar in sorted((layout.out / calendars.FOLDER).glob("*.ics")):  # none left over
        digest.update(calendar.name.encode() + b"\0")
    digest.update(b"assets" if layout.assets().is_dir() else b"no assets")
    return digest.hexdigest()


def _publish_all(
    project: Project,
    sources: list[Source],
    chosen: list[Source],
    layout: publish.Layout,
    drafts: bool,
    large_print: bool,
    page_size: str | None,
    jobs: int,
    on_done: Callable[[Done | Failed, int, int], None] | None,
    register: Register | None = None,
    fragment: Path | None = None,
    single_file: bool = False,
    memo: Memo | None = None,
) -> Result:
    """Plan, produce and publish each leaflet in turn, under the locks; a shard's new rows go
    to its `fragment`, not the register. `memo` holds the index of files already hashed."""
    with paused_collector():
        register = register_of(project, memo) if register is None else register
    variants = [ARCHIVAL]
    if project.site.print_files:
        variants.append(PRINT)
    if large_print or project.site.large_print:
        variants.append(LARGE_PRINT)
    layout_sha = publish.layout_digest(project.layouts, project.site.model_dump_json())
    claims = publish.Claims.read(layout.claims())
    links = assets.LinkCheck(
        layout.out, memo.assets if memo is not None else None, whole=len(chosen) == len(sources)
    )
    with paused_collector():
        plans = publish.plan(
            chosen,
            register,
            layout,
            claims,
            layout_sha=layout_sha,
            drafts=drafts,
            variants=variants,
            languages=publish.language_links(sources, drafts=drafts),
            single_file=single_file,
            index=memo.files if memo is not None else None,
            assets_hold=links.holds,
        )
    work = [
        produce.Job(
            item.source, item.to_lay_out, item.draft, page_size, item.page_stamp, item.languages
        )
        for item in plans
    ]
    recorder = register if fragment is None else start_fragment(fragment, register)
    publisher = publish.Publisher(
        layout,
        recorder,
        claims,
        layout_sha,
        pdf.tool_versions(),
        project.relative,
        page_assets=lambda item, page: _write_page_assets(project, layout, item, page, links),
    )
    result = Result(register=register, notices=[item.notice for item in plans if item.notice])
    products = produce.produce_all(project, work, jobs)
    try:
        for number, (item, product) in enumerate(zip(plans, products, strict=True), start=1):
            leaflet = item.source.leaflet
            outcome: Done | Failed
            try:
                published = publisher.publish(item, product)
            except LeafletError as error:
                outcome = Failed(leaflet.name, error.format_message())
                result.failures[leaflet.name] = outcome.message
            else:
                summary = _summary(item, published)
                outcome = Done(leaflet.name, leaflet.version, summary, published.files)
                result.done.append(outcome)
                result.registered.extend(published.rows)
                result.moved.extend(published.moved)
            if on_done:
                on_done(outcome, number, len(plans))
    finally:
        products.close()  # stops the workers at once if we leave early (Ctrl-C)
        result.register = publisher.register
    if memo is not None and not single_file:
        memo.assets = sorted(links.names)
    return result


def _write_page_assets(
    project: Project,
    layout: publish.Layout,
    item: publish.Plan,
    page: str,
    links: assets.LinkCheck,
) -> list[str]:
    """Write the assets a leaflet's new web page links to that are not in the output folder
    yet. The page was rendered in a worker process, which writes nothing; the files are made
    again here, only when one is missing (a build with its assets in place makes none), and
    the same inputs give the same names in every process."""
    wanted = assets.linked(page)
    links.made(wanted)
    if not assets.missing(layout.out, wanted):
        return []
    made = render.page_assets(
        item.source.leaflet,
        project,
        stamp=item.page_stamp or "",
        draft=item.draft,
        pictures=item.source.read_pictures(),
        languages=item.languages,
    )
    unknown = sorted(wanted - made.keys())
    if unknown:
        raise LeafletError(
            f"{project.relative(item.page)}: links to {', '.join(unknown)}, which this build "
            "did not make again; build again"
        )
    return assets.write(layout.out, {name: made[name] for name in sorted(wanted)})


#: What the memo holds, and how: raised whenever that changes.
MEMO_LAYOUT = 3


def _memo(project: Project, layout: publish.Layout) -> Memo:
    """The memo of files checked by earlier builds into this output folder (one written by
    another version of the tool, another layout of the memo or other settings is not used)."""
    key = f"{__version__} memo {MEMO_LAYOUT} {project.site.model_dump_json()}"
    path = layout.memo()
    return Memo.read(path.read_bytes() if path.is_file() else None, key)


def _save_memo(memo: Memo, layout: publish.Layout) -> None:
    """Save what this run learnt, unless the memo on disk already says exactly that."""
    if memo.changed or not layout.memo().is_file():
        publish.publish_page(layout.memo(), memo.to_json())


def _catalogue(
    project: Project, sources: list[Source], register: Register, layout: publish.Layout
) -> list[render.CatalogueEntry]:
    """Each leaflet's catalogue row in each language, linking only to files that are there."""
    today = dt.date.today()
    states = audit.audit(sources, register, as_of=today, due_within=project.site.due_within_days)
    by_name = {entry.name: entry for entry in states}

    def link(path: Path) -> str:
        return path.relative_to(layout.out).as_posix() if path.is_file() else ""

    translations: dict[str, list[tuple[str, str, str]]] = {}
    for source in sources:
        leaflet = source.leaflet
        if leaflet.translation:
            page = link(layout.html(leaflet, leaflet.is_draft))
            state = by_name[leaflet.name].state
            translations.setdefault(leaflet.slug, []).append((leaflet.language, state, page))
    entries = []
    for source in sources:
        leaflet = source.leaflet
        draft = leaflet.is_draft
        pdf_path = (
            layout.draft_pdf(leaflet) if draft else layout.out / layout.file(leaflet, ARCHIVAL)
        )
        entry = by_name[leaflet.name]
        entries.append(
            render.CatalogueEntry(
                leaflet=leaflet,
                state=entry.state,
                days_left=entry.days_left,
                page=link(layout.html(leaflet, draft)),
                pdf=link(pdf_path),
                large_print=link(layout.out / layout.file(leaflet, LARGE_PRINT)),
                stale=entry.stale,
                translations=()
                if leaflet.translation
                else tuple(sorted(translations.get(leaflet.slug, []))),
            )
        )
    return entries


def _governance(
    project: Project,
    sources: list[Source],
    register: Register,
    layout: publish.Layout,
    today: dt.date,
    bundle: assets.Bundle,
) -> list[tuple[Path, str | bytes]]:
    """The governance page (its assets gathered in `bundle`) and its CSV, and the owners'
    review calendars, to write."""
    entries = audit.audit(sources, register, as_of=today, due_within=project.site.due_within_days)
    missing = [
        s.leaflet.name
        for s in sources
        if not s.leaflet.is_draft
        and project.site.large_print
        and not (layout.out / layout.file(s.leaflet, LARGE_PRINT)).is_file()
    ]
    found = dashboard.figures(entries, as_of=today, large_print_missing=missing)
    made = calendars.calendars(entries, project, as_of=today)
    page = dashboard.render_governance(found, project, today, bundle)
    return [
        (layout.out / dashboard.PAGE, page),
        (layout.out / dashboard.CSV_FILE, dashboard.figures_csv(found)),
        *((layout.out / name, data) for name, data in sorted(made.items())),
    ]


def _remove_old_calendars(layout: publish.Layout, written: list[tuple[Path, str | bytes]]) -> None:
    """A calendar no longer made, for an owner with no leaflet left, is removed so its
    subscribers are not left with stale events."""
    made = {path for path, _data in written}
    for old in sorted((layout.out / calendars.FOLDER).glob("*.ics")):
        if old not in made:
            old.unlink()


def _summary(item: publish.Plan, published: publish.Published) -> str:
    written = (publish.Outcome.WRITTEN, publish.Outcome.ADOPTED)
    files = [f for f in published.files if f.path.endswith(".pdf") and f.outcome in written]
    pdfs = [f.path for f in files]
    if item.draft:
        return f"draft {pdfs[0]}" if pdfs else "draft up to date"
    if not pdfs:
        return "up to date"
    actions = {step.action for step in item.steps if step.action in publish.LAY_OUT}
    if all(f.outcome is publish.Outcome.ADOPTED for f in files):
        word = "adopted "
    else:
        word = "restored " if actions == {Action.RESTORE} else "published "
    moved = "".join(f"; moved aside {m}" for m in published.moved)
    return word + ", ".join(pdfs) + moved


def _page(project: Project, path: Path, data: str | bytes) -> Written:
    return Written(project.relative(path), publish.publish_page(path, data))


def _select(
    sources: list[Source], references: Sequence[str], *, translations: bool = True
) -> list[Source]:
    """The leaflets named: a reference (PSY-0101) names the leaflet and (unless
    `translations` is False) its translations, a reference and language (PSY-0101.cy) one
    translation."""
    if not references:
        return sources
    by_name: dict[str, list[Source]] = {}
    for source in sources:
        leaflet = source.leaflet
        if translations or not leaflet.translation:
            by_name.setdefault(leaflet.slug, []).append(source)
        if leaflet.translation:
            by_name.setdefault(leaflet.name.lower(), []).append(source)
    unknown = [ref for ref in references if ref.lower() not in by_name]
    if unknown:
        known = ", ".join(sorted(s.leaflet.name for s in sources))
        raise ProblemsFound(
            [Problem("build", 0, 0, "", f"no leaflet has the reference {ref}") for ref in unknown],
            f"Known references: {known}",
        )
    chosen = [source for ref in references for source in by_name[ref.lower()]]
    return list({id(source): source for source in chosen}.values())


@dataclass(frozen=True)
class Pack:
    """One print pack written: where, and its ticket."""

    path: str
    ticket: pack.Ticket


def print_pack(
    project: Project,
    references: Sequence[str],
    *,
    profile: str | None = None,
    out: Path | None = None,
    today: dt.date | None = None,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
) -> list[Pack]:
    """Make the print-shop zip of each leaflet named; refuse drafts, expired leaflets and
    versions that are not published. All are checked before any zip is written, and the
    register and output folder are locked meanwhile, as a build locks them."""
    sources = _select(load_all(project), references, translations=False)
    name = profile or project.site.printer
    if name not in project.site.printers:
        known = ", ".join(sorted(project.site.printers))
        raise LeafletError(f"print-pack: no printer profile is called {name!r} (profiles: {known})")
    layout = publish.Layout(out or project.output)
    locks = [lock.register_lock(project.leaflets), lock.output_lock(layout.out)]
    with lock.hold(locks, wait=wait, on_wait=on_wait, shown=project.relative, doing="print pack"):
        return _make_packs(project, sources, name, layout, today or dt.date.today())


def _make_packs(
    project: Project, sources: list[Source], name: str, layout: publish.Layout, day: dt.date
) -> list[Pack]:
    from build_leaflets import impose, pack  # noqa: PLC0415  (print packs only: pypdf)

    printer = project.site.printers[name]
    register = register_of(project)
    problems = [p for source in sources for p in _pack_refusals(source, register, day)]
    if problems:
        raise ProblemsFound(problems, "No print pack was written.")

    packs = []
    for source in sources:
        leaflet = source.leaflet
        stem = f"{leaflet.reference}-v{leaflet.version}{leaflet.file_suffix}"
        print_pdf = _print_pdf(project, source, printer, name, register, layout)
        files = {f"{stem}-print.pdf": print_pdf}
        booklet = None
        if printer.booklet:
            booklet = impose.impose_booklet(
                print_pdf, back_cover=printer.back_cover, document_id=bytes.fromhex(source.sha256)
            )
            files[f"{stem}-booklet.pdf"] = booklet.pdf
        icc = project.root / printer.icc_profile
        ticket = pack.ticket_for(leaflet, name, printer, icc, print_pdf, booklet, files)
        suffix = "" if name == project.site.printer else f"-{name}"
        path = layout.out / "print" / f"{stem}-print-pack{suffix}.zip"
        write_atomic(path, pack.zip_pack(ticket, files, leaflet.last_updated))
        packs.append(Pack(project.relative(path), ticket))
    return packs


def _pack_refusals(source: Source, register: Register, day: dt.date) -> list[Problem]:
    leaflet = source.leaflet
    why = ""
    if leaflet.is_draft:
        why = "is a draft; only approved, published leaflets go to print"
    elif leaflet.archive_date is not None and leaflet.archive_date <= day:
        why = (
            f"expired on {leaflet.archive_date.isoformat()}; review it and publish a new "
            "version before printing more"
        )
    else:
        row = register.find(leaflet.reference, leaflet.version, ARCHIVAL, leaflet.language)
        if row is None or row.source_sha256 != source.sha256:
            why = f"version {leaflet.version} is not published yet; run build-leaflets build first"
    if not why:
        return []
    line, column = source.value_place("status" if leaflet.is_draft else "version")
    return [Problem(source.display, line, column, "", f"{leaflet.name} {why}")]


def _print_pdf(
    project: Project,
    source: Source,
    printer: Printer,
    name: str,
    register: Register,
    layout: publish.Layout,
) -> bytes:
    """The build's registered print PDF for the build's profile (checked against the
    register), or a fresh one for another supplier's profile."""
    leaflet = source.leaflet
    row = register.find(leaflet.reference, leaflet.version, PRINT, leaflet.language)
    if name != project.site.printer or row is None:
        return produce.lay_out_print(project, source, printer)
    path = layout.out / row.file
    exists = path.is_file()
    data = path.read_bytes() if exists else produce.lay_out_print(project, source, printer)
    if publish.sha256_bytes(data) != row.pdf_sha256:
        raise LeafletError(
            f"{project.relative(path)}: does not match the publication register; run "
            "build-leaflets verify, and build to restore it"
        )
    return data
