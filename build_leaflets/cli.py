"""Command line: parse options, call `build`, print what happened, set the exit status.

No logic of its own lives here, so everything the commands do can be tested without a terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from build_leaflets import (
    __version__,
    audit,
    build,
    diff,
    lock,
    model,
    review,
    shard,
    translation,
)
from build_leaflets.config import Project, load_project
from build_leaflets.errors import LeafletError, system_problem
from build_leaflets.files import write_atomic
from build_leaflets.load import Source
from build_leaflets.register import Register

if TYPE_CHECKING:  # each imported by its own command, so that the others start sooner
    from build_leaflets import importer

_OUT_HELP = "Folder for the built files (default: output/ in the project folder)."


def _jobs_option(help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=os.cpu_count() or 1,
        show_default="the number of CPUs",
        help=help_text,
    )


class _Commands(click.Group):
    """Our commands, with operating-system errors (disk full, read-only folder, permission
    denied) shown as one line that says what to do, like every other error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as error:
            raise system_problem(error) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="build-leaflets")
def cli() -> None:
    """Publish patient-information leaflets from YAML files.

    Each leaflet is one YAML file in leaflets/. `build-leaflets check` tells you about any
    mistakes (with the file, line and field); `build-leaflets build` makes a web page and a
    versioned PDF of every leaflet in output/.

    Run a command with --help to see its options, e.g. `build-leaflets build --help`.
    """


@cli.command(name="build")
@click.argument("references", nargs=-1, metavar="[REFERENCE]...")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option(
    "--page-size",
    type=click.Choice(["A4", "A5"], case_sensitive=False),
    help="Paper size of the PDFs (default: page_size in pyproject.toml, or A4).",
)
@click.option(
    "--draft",
    is_flag=True,
    help="Build as drafts (marked DRAFT, in output/drafts/, never registered), e.g. for review.",
)
@click.option(
    "--large-print",
    is_flag=True,
    help="Also write the large-print PDF (A4, 16 pt text; large_print in pyproject.toml "
    "makes it the default).",
)
@_jobs_option("How many leaflets to lay out at once, in separate processes.")
@click.option(
    "--no-wait",
    is_flag=True,
    help="If another build is publishing into this register or folder, stop at once "
    "(exit status 1) instead of waiting for it to finish.",
)
@click.option(
    "--shard",
    "part",
    metavar="I/N",
    callback=shard.shard_option,
    help="Build only slice I of N (e.g. 2/3), for a catalogue built on N machines: the new "
    "register rows go to register-fragment-I-of-N.csv in the output folder, for "
    "`build-leaflets register merge`, and the catalogue pages are not written.",
)
@click.option(
    "--single-file",
    is_flag=True,
    help="Make the web pages of the leaflets built self-contained (stylesheet, fonts and "
    "pictures inside the page), e.g. to email one leaflet; the next build without it makes "
    "them link to output/assets/ again.",
)
def build_command(
    references: tuple[str, ...],
    out: Path | None,
    page_size: str | None,
    draft: bool,
    large_print: bool,
    jobs: int,
    no_wait: bool,
    part: shard.Shard | None,
    single_file: bool,
) -> None:
    """Check every leaflet, then write its web page and PDF.

    With no REFERENCE every leaflet in leaflets/ is built; name references (e.g. PSY-0101)
    to build only those. All leaflets are checked first, and nothing is written if any of
    them has a mistake.

    \b
    Output:
      output/<REFERENCE>.html                         the leaflet as a web page
      output/pdf/<REFERENCE>/<REFERENCE>-v<N>.pdf     the PDF of version N
      output/print/<REFERENCE>-v<N>-print.pdf         the print-ready PDF
      output/drafts/                                  leaflets with status: draft
      output/index.html                               a list of every leaflet
      output/assets/                                  what the web pages share

    Each new version is recorded in the publication register, leaflets/register.csv,
    file by file as it is published. One build publishes at a time: a second build
    waits for the first (and says whom it waits for), or with --no-wait stops.
    A published PDF is never replaced by a different one: to change a published
    leaflet, raise its version and last_updated. A PDF in another paper size than
    the site's (--page-size) is named with the size, e.g. PSY-0101-v1-A5.pdf.

    With --shard I/N several machines share a large catalogue: each builds the leaflets
    whose slice (from a hash of the reference) is I, and records what it publishes in
    its output folder's register-fragment-I-of-N.csv instead of the register;
    `build-leaflets register merge` then folds the fragments into the register, and a
    build over the shards' files put together writes the catalogue pages.

    Web pages link to their stylesheet, fonts and pictures in output/assets/, files
    named by their checksum that every page shares (and browsers keep). With
    --single-file the pages of the leaflets named are made self-contained instead, one
    file each to send by email, e.g. `build-leaflets build PSY-0101 --single-file`; a
    later build without it makes them link to output/assets/ again.
    """
    project = _project()
    report = _Progress()
    result = build.build(
        project,
        references,
        out=out,
        page_size=page_size.upper() if page_size else None,
        drafts=draft,
        large_print=large_print,
        jobs=jobs,
        on_done=report,
        wait=not no_wait,
        on_wait=_say,
        shard=part,
        single_file=single_file,
    )
    report.finish()
    if single_file and result.done:
        pages = ", ".join(done.files[0].path for done in result.done if done.files)
        click.echo(f"Self-contained web page(s), each one file to send as it is: {pages}")
    for moved in result.moved:
        click.echo(
            f"Moved aside (not registered, and not what this build makes): {moved}", err=True
        )
    for notice in result.notices:
        click.echo(f"Warning: {notice}", err=True)
    _warn_about_review_dates(project, result.sources, result.register)
    if part is not None and not draft:
        fragment = project.relative(part.fragment(out or project.output))
        click.echo(
            f"Shard {part}: recorded {len(result.registered)} new PDF(s) in {fragment}, for "
            "build-leaflets register merge"
        )
    elif result.registered:
        click.echo(f"Registered {len(result.registered)} new PDF(s) in leaflets/register.csv")
    total = len(result.done) + len(result.failures)
    if not result.ok:
        raise click.exceptions.Exit(_fail(f"{len(result.failures)} of {total} leaflet(s) failed."))
    if result.rendered == 0:
        click.echo(f"All {total} leaflet(s) are up to date.")
    else:
        rest = "; the rest were up to date" if result.rendered < total else ""
        click.echo(f"Built {result.rendered} of {total} leaflet(s){rest}.")


@cli.group(name="register")
def register_group() -> None:
    """Work with the publication register, leaflets/register.csv.

    `register merge` folds into it the fragments that sharded builds (build --shard I/N)
    write, for a catalogue built on several machines.
    """


@register_group.command(name="merge")
@click.argument(
    "fragments", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FRAGMENT..."
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="Stop at once (exit status 1) if a build or another merge holds the register.",
)
def register_merge_command(fragments: tuple[Path, ...], no_wait: bool) -> None:
    """Fold the fragments of sharded builds (build --shard) into leaflets/register.csv.

    Each FRAGMENT is a register-fragment-I-of-N.csv that a shard wrote in its output
    folder. Everything is checked before anything is written, under the register's lock,
    with the rules of a build: every row must keep the register's rules and be for a
    leaflet of this project; a row the register already has with the same PDF (same
    reference, language, version, variant and SHA-256) is skipped; the same version with
    another PDF, in the register or in another fragment, is refused, naming both files and
    lines. Any problem: one line each, exit status 1, and the register is unchanged.

    New rows are added in the order one build of the whole catalogue would have added them,
    so shards and a merge give the register one build would have written.
    """
    merged = shard.merge(
        _project(), fragments, wait=not no_wait, on_wait=_say, jobs=os.cpu_count() or 1
    )
    for name, count in merged.read.items():
        held = merged.skipped.get(name, 0)
        click.echo(f"{name}: {count} row(s), {count - held} new, {held} already recorded")
    if merged.added:
        click.echo(f"Added {len(merged.added)} row(s) to {merged.register}.")
    else:
        click.echo(f"Nothing to add: {merged.register} already has every row.")


@cli.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--strict", is_flag=True, help="Treat warnings (such as hard-to-read text) as failures."
)
@_jobs_option("Processes to check a large catalogue with (100 files or more).")
def check_command(paths: tuple[Path, ...], strict: bool, jobs: int) -> None:
    """Check leaflets for mistakes without writing anything.

    With no PATH every leaflet in leaflets/ is checked; give files or folders to check only
    those. Each mistake is printed as `file:line:column: field: what to fix`, and the exit
    status is 1 if there are any, so this works in editors, pre-commit hooks and CI.

    It also measures how easy each leaflet is to read: Flesch Reading Ease (0-100, higher
    is easier; aim for 60 or more), Flesch-Kincaid grade and SMOG grade (US school grade:
    add 5 for a reading age). A leaflet below min_reading_ease (pyproject.toml, default 60)
    gets a warning; with --strict a warning fails the check.
    """
    project = _project()
    sources = build.check(project, paths, jobs)
    minimum = project.site.min_reading_ease
    warnings = 0
    for source in sources:
        for stale in source.stale:
            warnings += 1
            where = stale.key if stale.kind != "new" else "source_hashes"
            line, column = source.value_place(where)
            click.echo(
                f"{source.display}:{line}:{column}: {stale.key}: warning: out of date: "
                f"{stale}; see build-leaflets translate {source.leaflet.reference} "
                f"--language {source.leaflet.language} --update",
                err=True,
            )
        if source.leaflet.translation is not None:
            click.echo(
                f"{source.display}: reading ease not measured (the measures are made for "
                "English text)"
            )
            continue
        measures = build.readability_of(source)
        click.echo(
            f"{source.display}: reading ease {measures.flesch_reading_ease:.1f}, "
            f"grade {measures.flesch_kincaid_grade:.1f}, SMOG {measures.smog:.1f} "
            f"({measures.words} words)"
        )
        if measures.flesch_reading_ease < minimum:
            warnings += 1
            click.echo(
                f"{source.display}: warning: reading ease {measures.flesch_reading_ease:.1f} "
                f"is below {minimum:g}: use shorter sentences and everyday words",
                err=True,
            )
    warnings += _warn_about_empty_versions(project, sources)
    if warnings and strict:
        raise click.exceptions.Exit(
            _fail(f"{warnings} warning(s), and --strict makes warnings fail.")
        )
    found = f"{warnings} warning(s)" if warnings else "no problems found"
    click.echo(f"{len(sources)} leaflet(s) checked: {found}.")


@cli.command(name="audit")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Audit as on this day, YYYY-MM-DD (default: today).",
)
@click.option(
    "--due-within",
    type=click.IntRange(min=0),
    default=90,
    show_default=True,
    help="Days before the archive date at which a leaflet is due for review.",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for reading, csv for a spreadsheet, json for other tools.",
)
def audit_command(as_of: dt.datetime | None, due_within: int, form: str) -> None:
    """List every leaflet with its archive date and state, for review planning.

    \b
    States:
      current          archive date more than --due-within days away
      due for review   archive date within --due-within days
      expired          archive date reached: review it or withdraw it now
      draft            not approved, never published

    The exit status is 1 when any leaflet has expired, so a scheduled job or CI can
    raise the alarm.
    """
    project = _project()
    day = as_of.date() if as_of else dt.date.today()
    sources = build.check(project)
    entries = audit.audit(sources, build.register_of(project), as_of=day, due_within=due_within)
    click.echo(audit.format_entries(entries, form), nl=False)
    expired = [e.reference for e in entries if e.state == audit.State.EXPIRED.value]
    if expired:
        raise click.exceptions.Exit(_fail(f"Expired on {day.isoformat()}: {', '.join(expired)}."))


@cli.command(name="verify")
@click.argument("pdfs", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=_OUT_HELP)
def verify_command(pdfs: tuple[Path, ...], out: Path | None) -> None:
    """Check published PDFs against the publication register and the sources.

    With no PDF, every published PDF in output/ (or --out) is checked. Any PDF can be
    named, wherever it lies: a copy sent to a print shop, or a file a patient emailed
    back. Each is found in the register by its SHA-256 (or, failing that, by the
    reference and version in its metadata); its metadata must carry the registered
    reference, version and dates, and its embedded source (the YAML and pictures)
    must hash to the registered value.
    Every mismatch is printed, and the exit status is 1 if there is any.
    """
    project = _project()
    folder = out or project.output
    files = list(pdfs) or audit.pdfs_in(folder)
    if not files:
        raise click.exceptions.Exit(_fail(f"No PDFs found in {project.relative(folder)}/pdf/."))
    findings = audit.verify(
        files,
        build.register_of(project),
        build.check(project),
        {path: project.relative(path) for path in files},
    )
    for finding in findings:
        click.echo(str(finding), err=True)
    if findings:
        raise click.exceptions.Exit(
            _fail(f"{len(findings)} problem(s) in {len({f.path for f in findings})} PDF(s).")
        )
    click.echo(f"{len(files)} PDF(s) match the publication register.")


@cli.command(name="print-pack")
@click.argument("references", nargs=-1, required=True, metavar="REFERENCE...")
@click.option(
    "--profile",
    help="Printer profile from [tool.build_leaflets.printers] (default: the one build uses).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option(
    "--no-wait", is_flag=True, help="Stop at once (exit status 1) if a build is publishing."
)
def print_pack_command(
    references: tuple[str, ...], profile: str | None, out: Path | None, no_wait: bool
) -> None:
    """Make a zip for the print shop for each leaflet named.

    \b
    Each zip (in output/print/) holds:
      REF-vN-print.pdf     print-ready: PDF/X, CMYK, trim size, bleed, crop marks
      REF-vN-booklet.pdf   the pages imposed as a saddle-stitched booklet (if the
                           profile asks for one)
      ticket.json/.txt     the job ticket: trim, pages, sheets, bleed, colour
                           standard, ICC profile, dates
      SHA256SUMS           checksums of every file (check with sha256sum -c)

    Drafts, expired leaflets and versions not yet published are refused.
    """
    packs = build.print_pack(
        _project(), references, profile=profile, out=out, wait=not no_wait, on_wait=_say
    )
    for made in packs:
        ticket = made.ticket
        click.echo(
            f"{ticket.reference} v{ticket.version}: {made.path} ({ticket.pages} pages, "
            f"{ticket.trim_size}, {ticket.colour_standard}, {ticket.sheets} sheet(s))"
        )


@cli.command(name="serve")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the preview (default: output/preview/ in the project folder).",
)
def serve_command(port: int, out: Path | None) -> None:
    """Preview leaflets in a browser while you edit them.

    Builds every leaflet as a draft, serves them on http://127.0.0.1:PORT/ (this computer
    only) and rebuilds a leaflet each time its file is saved; open pages reload by
    themselves. A mistake is shown at the top of the page and here, and the preview keeps
    running until you fix it. Press Ctrl-C to stop.

    Previews are drafts: nothing is published and the publication register is not changed.
    """
    from build_leaflets import serve  # noqa: PLC0415

    serve.serve(_project(), port=port, out=out, echo=click.echo)


@cli.command(name="import")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="FILE...",
)
@click.option(
    "--reference",
    help="Reference of the leaflet imported, e.g. PSY-0105 (one FILE only). Default: the "
    "reference the document gives, or one made from its file name.",
)
@click.option(
    "--into",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the drafts (default: leaflets/ in the project folder); pictures go to "
    "its images/ folder.",
)
@click.option("--brief", is_flag=True, help="One line per file instead of the full report.")
def import_command(
    files: tuple[Path, ...], reference: str | None, into: Path | None, brief: bool
) -> None:
    """Turn existing leaflets into draft leaflet files, with a report.

    Reads Word (.docx), LibreOffice (.odt), old Word (.doc) and RTF files, saved web pages
    (.html, .htm), plain text (.txt) and Markdown (.md); a folder stands for every such file
    in it. .odt, .doc and .rtf need LibreOffice (on Debian: apt-get install
    libreoffice-writer-nogui).

    \b
    Each document becomes leaflets/<reference>.yaml, with status: draft:
      headings     from Word styles, or from formatting (a short bold, large or
                   capitalised line, or a question), matched to the standard
                   sections by their wording ("Are there any side effects?" is risks);
                   the rest become extra_sections, in their order
      governance   reference, version, dates, owner from lines such as "Review
                   date: 03/2027", a table, or the page header and footer
      lists, bold, italic, links, tables and PNG/JPEG pictures are kept

    Nothing is ever written over an existing file, nothing is invented (a missing
    section is left for check to name), and every word of the text is proved to be
    in the draft. The report says where each part came from and what to do next:
    run build-leaflets check on each draft. The exit status is 1 if any file failed.
    """
    if reference is not None and not model.is_valid_reference(reference):
        raise click.BadParameter(
            "use letters, digits and hyphens, e.g. PSY-0105", param_hint="--reference"
        )
    from build_leaflets import importer  # noqa: PLC0415

    project = _project()

    def done(report: importer.FileReport, number: int, total: int) -> None:
        counter = f"[{number}/{total}] " if total > 1 else ""
        if brief or report.error:
            outcome = report.error and f"failed: {report.error}"
            outcome = outcome or f"{report.target_shown}, {report.sections} section(s)"
            if report.missing:
                outcome += f", missing {', '.join(report.missing)}"
            click.echo(f"{counter}{report.shown}: {outcome}", err=bool(report.error))
        else:
            click.echo(counter + importer.format_report(report) + "\n")

    reports = importer.import_files(
        files,
        into=into or project.leaflets,
        reference=reference,
        on_done=done,
        shown=project.relative,
    )
    if len(reports) > 1:
        click.echo(importer.format_summary(reports))
    failed = [r for r in reports if not r.ok]
    if failed:
        raise click.exceptions.Exit(_fail(f"{len(failed)} of {len(reports)} file(s) failed."))


@cli.command(name="translate")
@click.argument("reference", metavar="REFERENCE")
@click.option(
    "--language",
    "-l",
    required=True,
    help="The language, as a BCP 47 tag: cy, pl, ro, uk, ar, ur, bn, pa, zh-Hans...",
)
@click.option(
    "--update",
    is_flag=True,
    help="Show the old and new source text of each part changed since it was translated.",
)
@click.option(
    "--done",
    "done_keys",
    multiple=True,
    metavar="PART",
    help="Record that PART (e.g. risks, title, extra_sections.0) now follows the current "
    "source; give it once for each part, or --done all.",
)
@click.option(
    "--export",
    "export_format",
    type=click.Choice(["xliff", "po"]),
    help="Write the translation as XLIFF 1.2 or PO for a translation agency's tools.",
)
@click.option(
    "--import",
    "import_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read an agency's XLIFF or PO file back into the translation.",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=_OUT_HELP)
def translate_command(
    reference: str,
    language: str,
    update: bool,
    done_keys: tuple[str, ...],
    export_format: str | None,
    import_file: Path | None,
    out: Path | None,
) -> None:
    """Start, follow up or exchange a translation of a leaflet.

    \b
    build-leaflets translate PSY-0101 --language cy
        writes leaflets/psy-0101.cy.yaml: the source's text in every field, to be
        replaced by its translation, and the hash of each part it came from.
    build-leaflets translate PSY-0101 --language cy --update
        shows the old and new source text of just the parts that changed since.
    build-leaflets translate PSY-0101 --language cy --done risks
        records that the translation of risks follows the current source again.
    build-leaflets translate PSY-0101 --language cy --export xliff
        writes output/translations/PSY-0101.cy.xlf for a translation agency;
        --import FILE reads their file back into leaflets/psy-0101.cy.yaml.

    check, build, audit and the catalogue name each part of a translation whose source
    changed since it was translated.
    """
    from build_leaflets import translating  # noqa: PLC0415

    project = _project()
    today = dt.date.today()
    chosen = [bool(update), bool(done_keys), bool(export_format), bool(import_file)]
    if sum(chosen) > 1:
        raise click.UsageError("give one of --update, --done, --export and --import")
    sources = build.check(project)
    origin = next(
        (
            s
            for s in sources
            if s.leaflet.slug == reference.lower() and s.leaflet.translation is None
        ),
        None,
    )
    if origin is None:
        raise click.exceptions.Exit(_fail(f"translate: no leaflet has the reference {reference}"))
    existing = next(
        (
            s
            for s in sources
            if s.leaflet.translation is not None
            and s.leaflet.key == (reference.lower(), language.lower())
        ),
        None,
    )
    if not any(chosen):
        try:
            path = translating.start(project, origin, language, today)
        except LookupError as error:
            raise click.exceptions.Exit(_fail(f"translate: {error.args[0]}")) from None
        click.echo(f"Wrote {project.relative(path)}: translate the text of each field in it.")
        return
    if existing is None:
        shown = translation.file_name(reference, language)
        raise click.exceptions.Exit(
            _fail(
                f"translate: there is no {language} translation of {reference} ({shown}); "
                f"start one with build-leaflets translate {reference} --language {language}"
            )
        )
    if update:
        if not existing.stale:
            click.echo(f"{existing.display} follows its source: nothing changed since.")
            return
        register = build.register_of(project)
        found = translating.changes(existing, register, out or project.output)
        click.echo(translating.describe(found, existing.leaflet.language, origin.leaflet.reference))
        return
    if done_keys:
        everything = done_keys == ("all",)
        data, done = translating.mark_done(existing, done_keys, today, everything=everything)
        write_atomic(existing.path, data)
        click.echo(f"{existing.display}: recorded {', '.join(done)} as following the source.")
        return
    target = out or project.output
    if export_format:
        path = translating.export(existing, export_format, target)
        click.echo(f"Wrote {project.relative(path)}")
        return
    assert import_file is not None
    changed = translating.import_into(project, existing, import_file)
    click.echo(f"{existing.display}: {changed}")


@cli.command(name="diff")
@click.argument("reference", metavar="REFERENCE")
@click.option(
    "--from",
    "from_version",
    type=click.IntRange(min=1),
    help="The approved version to compare from (default: the last published before --to).",
)
@click.option(
    "--to",
    "to_version",
    type=click.IntRange(min=1),
    help="The version to compare to (default: the working file).",
)
@click.option("--minor", is_flag=True, help="Also show changes of spacing and punctuation only.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=_OUT_HELP)
def diff_command(
    reference: str,
    from_version: int | None,
    to_version: int | None,
    minor: bool,
    out: Path | None,
) -> None:
    """Show an approval group exactly what changed between two versions of a leaflet.

    Compares the two versions field by field (title, each section, the governance fields),
    list items first and then words within them, and writes an approval pack:
    output/review/REFERENCE-vN-to-vM.html and a PDF of it, with insertions and deletions
    shown as track changes, a summary of which sections changed, and every changed number
    (doses, session counts, phone numbers, times) flagged to check clinically.

    The old version's text comes from its archival PDF (which carries its YAML) or, failing
    that, from git history, and is checked against the register.
    """
    project = _project()
    register = build.register_of(project)
    folder = out or project.output
    found = review.versions(project, register, reference, from_version, to_version, folder)
    comparison = diff.compare(found.old.data, found.new.data, minor=minor)
    locks = [lock.output_lock(folder)]
    with lock.hold(locks, on_wait=_say, shown=project.relative, doing="approval pack"):
        html, pdf = review.write_pack(project, comparison, found, folder)
    changed = [field.label for field in comparison.fields if field.state != "unchanged"]
    click.echo(
        f"{reference} version {found.old.version} to {found.new.version}: "
        f"{len(changed)} part(s) changed" + (f" ({', '.join(changed)})" if changed else "")
    )
    for number in comparison.numbers:
        click.echo(f"  check this number: {number.label}: {number.old!r} -> {number.new!r}")
    click.echo(f"Wrote {project.relative(html)} and {project.relative(pdf)}")


@cli.command(name="schema")
def schema_command() -> None:
    """Print the JSON Schema of a leaflet file.

    Editors use it to suggest fields and flag mistakes as you type. For VS Code's YAML
    extension, save it (build-leaflets schema > leaflet.schema.json) and add to the top of
    each leaflet: # yaml-language-server: $schema=../leaflet.schema.json
    """
    click.echo(json.dumps(model.json_schema(), indent=2, sort_keys=False))


class _Progress:
    """Each leaflet as it is finished: a line per leaflet in logs and short builds, a progress
    bar on a terminal for longer ones (with failures still printed in full at the end)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.failures: list[build.Failed] = []

    def __call__(self, outcome: build.Done | build.Failed, number: int, total: int) -> None:
        if self.bar is None and total > 5 and sys.stdout.isatty() and not os.environ.get("CI"):
            self.bar = click.progressbar(length=total, label="Building", show_pos=True)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(1)
            if isinstance(outcome, build.Failed):
                self.failures.append(outcome)
        elif isinstance(outcome, build.Failed):
            click.echo(f"{outcome.reference}: failed: {outcome.message}", err=True)
        else:
            click.echo(f"{outcome.reference} v{outcome.version}: {outcome.summary}")

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        for failed in self.failures:
            click.echo(f"{failed.reference}: failed: {failed.message}", err=True)


#: What may change between versions without the leaflet saying anything new.
_BOOKKEEPING = frozenset(
    {"version", "last_updated", "archive_date", "approved_on", "approved_by", "status", "changes"}
)


def _warn_about_empty_versions(project: Project, sources: list[Source]) -> int:
    """Warn for each leaflet whose version was raised (and not yet published) when nothing
    but its dates and approval changed since the version before: a new version should say
    something new. Leaflets whose earlier text cannot be found are not judged."""
    register = build.register_of(project)
    warned = 0
    for source in sources:
        leaflet = source.leaflet
        if leaflet.translation or leaflet.version <= 1:
            continue
        if register.find(leaflet.reference, leaflet.version, language=leaflet.language):
            continue  # published already: the register judged it then
        if not any(
            v < leaflet.version for v in review.published_versions(register, leaflet.reference)
        ):
            continue  # nothing published before it to compare with
        try:
            found = review.versions(
                project, register, leaflet.reference, None, None, None, path=source.path
            )
        except (LeafletError, OSError):
            continue
        changed = {f.key for f in diff.compare(found.old.data, found.new.data).fields
                   if f.state != "unchanged"}  # fmt: skip
        if changed and changed <= _BOOKKEEPING:
            line, column = source.value_place("version")
            click.echo(
                f"{source.display}:{line}:{column}: version: warning: version "
                f"{leaflet.version} changes nothing but dates and approval since version "
                f"{found.old.version}; a new version is for new or changed text (undo the "
                "raise, or make the change it was raised for)",
                err=True,
            )
            warned += 1
    return warned


def _warn_about_review_dates(project: Project, sources: list[Source], register: Register) -> None:
    """Name every leaflet that is expired or due for review, each time anything is built
    (`register` as the build left it)."""
    entries = audit.audit(
        sources,
        register,
        as_of=dt.date.today(),
        due_within=project.site.due_within_days,
    )
    for warning in audit.review_warnings(entries):
        click.echo(f"Warning: {warning}", err=True)


def _say(message: str) -> None:
    click.echo(message, err=True)


def _project() -> Project:
    return load_project(Path.cwd())


def _fail(message: str) -> int:
    click.echo(message, err=True)
    return 1


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="build-leaflets")
