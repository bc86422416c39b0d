"""Produce: everything one leaflet publishes (its web page and each kind of PDF), laid out here or
in a pool of worker processes.

Laying out PDFs is nearly all of a build's time, and each leaflet is independent, so the work
is spread over processes (`--jobs`). Workers only compute: a job carries one leaflet and what it
needs, and comes back as a `Product` (the page's HTML and each PDF's bytes); the parent process
stays the only writer of the output folder, and takes products in the order the jobs were
given, so messages and files come out the same whatever the number of workers. Workers are
forked from a small warm process that has imported WeasyPrint (`build_leaflets.warm`), not from
the build, so their memory does not grow with the catalogue. Each keeps one font configuration
and parses the shared stylesheets once, then freezes what it has made for the garbage
collector; it ignores Ctrl-C, which the parent handles by stopping the pool before anything
half-made is written.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Generator, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from build_leaflets import assets, pdf, render
from build_leaflets.config import Printer, Project
from build_leaflets.errors import LeafletError
from build_leaflets.finish import PdfFields, Prepress
from build_leaflets.load import Source
from build_leaflets.pictures import for_print
from build_leaflets.publish import Product
from build_leaflets.register import LARGE_PRINT, PRINT


@dataclass(frozen=True)
class Job:
    """One leaflet to produce: which PDFs, whether it is a draft, and the web page's stamp
    (None when the page on disk is already current)."""

    source: Source
    variants: tuple[str, ...]
    draft: bool = False
    page_size: str | None = None
    page_stamp: str | None = None
    languages: tuple[tuple[str, str], ...] = ()

    @property
    def busy(self) -> bool:
        """Whether there is anything to make: a PDF, or the web page."""
        return bool(self.variants) or self.page_stamp is not None


def produce(project: Project, job: Job) -> Product:
    """One leaflet's product, in this process. A leaflet that cannot be made comes back with
    its error in place of its PDFs, so the others still build."""
    if not job.busy:
        return Product(None, {})  # up to date: not even its pictures are read
    try:
        pictures = job.source.read_pictures()
        page = None
        if job.page_stamp is not None:
            page = render.render_html(
                job.source.leaflet,
                project,
                media="screen",
                stamp=job.page_stamp,
                draft=job.draft,
                pictures=pictures,
                languages=job.languages,
                single_file=assets.is_single_file(job.page_stamp),
            )
        pdfs: dict[str, bytes | LeafletError] = {
            variant: _lay_out(project, job, variant, pictures) for variant in job.variants
        }
    except LeafletError as error:
        return Product(None, {variant: error for variant in job.variants or ("page",)})
    return Product(page, pdfs)


def produce_all(
    project: Project, jobs: Sequence[Job], workers: int
) -> Generator[Product, None, None]:
    """Every job's product, in the order of `jobs`.

    Only jobs with something to lay out or render go to worker processes: a build with
    nothing to do starts none (a worker's start-up, importing WeasyPrint, costs more than the
    whole of an up-to-date build). With one worker, or too few such jobs to be worth starting
    processes for, everything runs here.
    """
    busy = [job for job in jobs if job.busy]
    if workers <= 1 or len(busy) < 2:
        for job in jobs:
            yield produce(project, job)
        return
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(busy)),
        mp_context=_worker_context(),
        initializer=_start_worker,
        initargs=(project,),
    )
    try:
        with _main_left_out():
            made = pool.map(_work, busy, chunksize=1)  # starts the workers
        for job in jobs:
            yield (next(made) if job.busy else produce(project, job))
    finally:
        # On Ctrl-C (or any error) drop what is queued instead of waiting for it.
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_context() -> multiprocessing.context.BaseContext:
    """How workers start: forked from a small, warm process (`build_leaflets.warm`), never
    from the build itself, whose memory grows with the catalogue; spawned where there is no
    fork (Windows)."""
    if os.name != "posix":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["build_leaflets.warm"])
    return context


@contextlib.contextmanager
def _main_left_out() -> Iterator[None]:
    """While workers start, the program that started the build (the console script, or an
    editor's or a test runner's script) is not named to them: multiprocessing would run it
    again in each, importing the whole command line (and its memory) for nothing. A worker
    needs only what its jobs name, which it imports as it unpickles them."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _lay_out(
    project: Project, job: Job, variant: str, pictures: Mapping[str, bytes]
) -> bytes | LeafletError:
    try:
        if variant == PRINT:
            printer = project.site.printers[project.site.printer]
            return lay_out_print(project, job.source, printer, pictures)
        large = variant == LARGE_PRINT
        return _lay_out_archival(project, job, pictures, large=large)
    except LeafletError as error:
        return error


def lay_out_print(
    project: Project, source: Source, printer: Printer, pictures: Mapping[str, bytes] | None = None
) -> bytes:
    """The print-shop PDF for one printer profile: PDF/X, CMYK, trim, bleed and crop marks."""
    if pictures is None:
        pictures = source.read_pictures()
    pictures = for_print(pictures, project.root / printer.icc_profile)
    printable = render.render_html(
        source.leaflet, project, media="print", printer=printer, pictures=pictures
    )
    return pdf.write_pdf(
        printable,
        name=source.display,
        base=project.layouts,
        allowed=_allowed(project),
        fields=_fields(source),
        variant=printer.pdfx,
        font_css=render.font_css(),
        stylesheet=render.layout_stylesheet(project),
        resources={
            **render.picture_resources(project, pictures),
            **render.profile_resources(project, printer),
        },
        prepress=Prepress(
            printer.bleed_mm, printer.marks, source.sha256[:32], printer.output_condition
        ),
    )


def _lay_out_archival(
    project: Project, job: Job, pictures: Mapping[str, bytes], *, large: bool
) -> bytes:
    """The archival PDF (or its large-print twin): PDF/A-3a and PDF/UA-1, tagged for screen
    readers, with its whole source embedded: the YAML and every picture it shows."""
    source = job.source
    leaflet = source.leaflet
    printable = render.render_html(
        leaflet,
        project,
        media="print",
        page_size="A4" if large else job.page_size,
        draft=job.draft,
        large_print=project.site.large_print_pt if large else None,
        pictures=pictures,
    )
    embedded = [pdf.SourceFile(source.path.name, source.data, leaflet.last_updated)]
    embedded += [
        pdf.SourceFile(name, data, leaflet.last_updated)
        for name, data in sorted({**pictures, **source.inherited_files}.items())
    ]
    return pdf.write_pdf(
        printable,
        name=source.display,
        base=project.layouts,
        allowed=_allowed(project),
        fields=_fields(source, draft=job.draft),
        sources=embedded,
        font_css=render.font_css(),
        stylesheet=render.layout_stylesheet(project),
        resources=render.picture_resources(project, pictures),
    )


def _fields(source: Source, *, draft: bool = False) -> PdfFields:
    leaflet = source.leaflet
    return PdfFields(
        reference=leaflet.reference,
        version=leaflet.version,
        last_updated=leaflet.last_updated.isoformat(),
        archive_date=leaflet.archive_date.isoformat() if leaflet.archive_date else "",
        source_sha256=source.sha256,
        status="draft" if draft else leaflet.status,
        language=leaflet.language if leaflet.translation else "",
        translation_of=leaflet.translation.translation_of if leaflet.translation else 0,
    )


def _allowed(project: Project) -> list[Path]:
    return [project.layouts, *render.font_folders()]


# --- in the worker processes -------------------------------------------------------------------

_project: Project | None = None


def _start_worker(project: Project) -> None:
    """Runs once in each worker: Ctrl-C is the parent's to handle; import WeasyPrint and
    parse the shared stylesheets now, then freeze everything made so far.

    What start-up leaves (the modules, WeasyPrint's tables, the fonts, the parsed stylesheets)
    lives as long as the worker; `gc.freeze` takes it out of the collector's sight, so that each
    collection during a layout walks only what that leaflet made."""
    global _project  # one project per worker process, set once
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _project = project
    try:
        pdf.warm_up(
            base=project.layouts,
            allowed=_allowed(project),
            font_css=render.font_css(),
            stylesheet=render.layout_stylesheet(project),
        )
    except (LeafletError, OSError):
        pdf.load_weasyprint()  # each leaflet then reports the problem itself
    gc.freeze()


def _work(job: Job) -> Product:
    assert _project is not None, "worker started without a project"
    product = produce(_project, job)
    # Plain, picklable copies of any errors.
    return Product(
        product.page,
        {
            variant: LeafletError(made.format_message()) if isinstance(made, LeafletError) else made
            for variant, made in product.pdfs.items()
        },
    )
