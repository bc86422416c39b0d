"""Produce: the PDF bytes of one leaflet in one variant, here or in a pool of worker processes.

Laying out PDFs is nearly all of a build's time, and each leaflet is independent, so the work
is spread over processes (`--jobs`). Workers only compute bytes; the parent process stays the
only writer of the output folder, and takes results in the order the jobs were given, so
messages and files come out the same whatever the number of workers. Each worker imports
WeasyPrint once and keeps one font configuration; it ignores Ctrl-C, which the parent handles
by stopping the pool before anything half-made is written.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from build_leaflets import pdf, render
from build_leaflets.config import Printer, Project
from build_leaflets.errors import LeafletError
from build_leaflets.load import Source
from build_leaflets.register import LARGE_PRINT, PRINT


@dataclass(frozen=True)
class Job:
    """One PDF to lay out: which leaflet, which variant, and how."""

    source: Source
    variant: str
    draft: bool = False
    page_size: str | None = None


def lay_out(project: Project, job: Job) -> bytes:
    """The PDF of one job, in this process."""
    if job.variant == PRINT:
        return lay_out_print(project, job.source, project.site.printers[project.site.printer])
    large = job.variant == LARGE_PRINT
    return _lay_out_archival(project, job.source, job.page_size, draft=job.draft, large=large)


def lay_out_all(
    project: Project, jobs: Sequence[Job], workers: int
) -> Iterator[bytes | LeafletError]:
    """Every job's PDF (or the error that stopped it), in the order of `jobs`.

    With one worker, or too few jobs to be worth starting processes for, everything runs here.
    """
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            yield _attempt(project, job)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(project,),
    )
    try:
        yield from pool.map(_work, jobs, chunksize=1)
    finally:
        # On Ctrl-C (or any error) drop what is queued instead of waiting for it.
        pool.shutdown(wait=True, cancel_futures=True)


def lay_out_print(project: Project, source: Source, printer: Printer) -> bytes:
    """The print-shop PDF for one printer profile: PDF/X, CMYK, trim, bleed and crop marks."""
    printable = render.render_html(source.leaflet, project, media="print", printer=printer)
    return pdf.write_pdf(
        printable,
        name=source.display,
        base=project.layouts,
        allowed=_allowed(project),
        fields=_fields(source),
        variant=printer.pdfx,
        font_css=render.font_css(),
        prepress=pdf.Prepress(
            printer.bleed_mm, printer.marks, source.sha256[:32], printer.output_condition
        ),
    )


def _lay_out_archival(
    project: Project, source: Source, page_size: str | None, *, draft: bool, large: bool
) -> bytes:
    """The archival PDF (or its large-print twin): PDF/A-3a and PDF/UA-1, tagged for screen
    readers, with the YAML source embedded."""
    leaflet = source.leaflet
    printable = render.render_html(
        leaflet,
        project,
        media="print",
        page_size="A4" if large else page_size,
        draft=draft,
        large_print=project.site.large_print_pt if large else None,
    )
    return pdf.write_pdf(
        printable,
        name=source.display,
        base=project.layouts,
        allowed=_allowed(project),
        fields=_fields(source, draft=draft),
        source=pdf.SourceFile(source.path.name, source.data, leaflet.last_updated),
        font_css=render.font_css(),
    )


def _fields(source: Source, *, draft: bool = False) -> pdf.PdfFields:
    leaflet = source.leaflet
    return pdf.PdfFields(
        reference=leaflet.reference,
        version=leaflet.version,
        last_updated=leaflet.last_updated.isoformat(),
        archive_date=leaflet.archive_date.isoformat() if leaflet.archive_date else "",
        source_sha256=source.sha256,
        status="draft" if draft else leaflet.status,
    )


def _allowed(project: Project) -> list[Path]:
    return [project.layouts, project.leaflets, render.installed_fonts().files_dir]


def _attempt(project: Project, job: Job) -> bytes | LeafletError:
    try:
        return lay_out(project, job)
    except LeafletError as error:
        return error


# --- in the worker processes -------------------------------------------------------------------

_project: Project | None = None


def _start_worker(project: Project) -> None:
    """Runs once in each worker: Ctrl-C is the parent's to handle; import WeasyPrint now."""
    global _project  # one project per worker process, set once
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _project = project
    import weasyprint  # noqa: F401, PLC0415


def _work(job: Job) -> bytes | LeafletError:
    assert _project is not None, "worker started without a project"
    result = _attempt(_project, job)
    if isinstance(result, LeafletError):
        return LeafletError(result.format_message())  # a plain, picklable copy
    return result
