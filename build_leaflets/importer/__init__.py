"""Import: existing leaflets (Word, LibreOffice, RTF, web pages, text, Markdown) as draft YAML.

`import_files` is the whole public interface: it takes files and folders, writes one draft
leaflet per document into a leaflets folder (never over an existing file), and returns a
`FileReport` for each, saying where every part came from. One file that cannot be read does not
stop the others; its report says why in one line.

The stages, one module each: `sources` (what a file is; LibreOffice for .odt, .doc and .rtf),
`read_docx`, `read_html` and `read_text` (a document as `blocks`), `governance` (reference,
version and dates), `structure` (manual headings, typed lists, the title), `sections` (headings
matched to sections by meaning), `contact`, `assemble` (the draft's entries), `markdown` and
`emit` (the YAML text), `words` (proof that no word was lost), `write` (new files only) and
`report`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from build_leaflets.errors import LeafletError
from build_leaflets.importer import emit, sources, words
from build_leaflets.importer.assemble import Draft, assemble
from build_leaflets.importer.blocks import Block, Document
from build_leaflets.importer.report import FileReport, format_report, format_summary
from build_leaflets.importer.write import AlreadyThere, free_name, write_new
from build_leaflets.markup import IMAGES_FOLDER

__all__ = [
    "SUPPORTED",
    "FileReport",
    "format_report",
    "format_summary",
    "import_files",
]

SUPPORTED = sources.SUPPORTED

#: Called as each file is done: its report, its number (from 1) and how many there are.
OnDone = Callable[[FileReport, int, int], None]


def import_files(
    paths: Iterable[Path],
    *,
    into: Path,
    reference: str | None = None,
    today: dt.date | None = None,
    on_done: OnDone | None = None,
    shown: Callable[[Path], str] | None = None,
) -> list[FileReport]:
    """Import each file (a folder: each supported file in it) as a draft in `into`.

    `reference` names the one leaflet imported (it is refused with more than one file);
    otherwise each draft takes the reference its document gives, or one made from its file
    name. `today` is the `last_updated` of a document that gives none. `shown` says how to
    name a path in the report (default: relative to the current folder where it can be).
    """
    show = shown or _shown
    files, skipped = sources.expand(paths)
    if reference is not None and len(files) != 1:
        raise LeafletError(
            f"--reference names one leaflet, but {len(files)} files were given: "
            "import them one at a time with --reference, or leave it out"
        )
    total = len(files) + len(skipped)
    reports: list[FileReport] = []
    for path, why in skipped:
        reports.append(FileReport(path, show(path), error=why))
        if on_done:
            on_done(reports[-1], len(reports), total)
    day = today or dt.date.today()
    with tempfile.TemporaryDirectory(prefix="build-leaflets-import-") as work:
        converted = _convert(files, Path(work))
        for path in files:
            report = FileReport(path, show(path))
            try:
                _import_one(path, report, into, reference, day, converted, show)
            except sources.ImportProblem as problem:
                report.error = str(problem)
            except AlreadyThere as there:
                report.error = (
                    f"{show(Path(str(there)))} already exists; nothing was written: move it "
                    "away first, or choose another reference with --reference"
                )
            except emit.EmitError as error:
                report.error = f"the draft could not be written safely ({error}); please report it"
            except OSError as error:
                where = show(Path(error.filename)) if error.filename else show(path)
                report.error = f"{where}: {error.strerror or error}; nothing was written"
            except Exception as error:  # a document no reader expected: one line, not a crash
                report.error = (
                    f"could not be imported ({type(error).__name__}: {error}); open it, save "
                    "it again as .docx and import that, or report the file"
                )
            reports.append(report)
            if on_done:
                on_done(report, len(reports), total)
    return reports


def _convert(files: list[Path], work: Path) -> dict[Path, Path]:
    """The files only LibreOffice reads, converted to .docx in one go (see `sources`)."""
    wanted = [p for p in files if p.suffix.lower() in sources.CONVERTED]
    if not wanted or sources.soffice() is None:
        return {}
    return sources.convert(wanted, work)


def _import_one(
    path: Path,
    report: FileReport,
    into: Path,
    reference: str | None,
    today: dt.date,
    converted: dict[Path, Path],
    show: Callable[[Path], str],
) -> None:
    suffix = sources.check_file(path)
    document, plain_text = _read(path, suffix, converted)
    if not document.blocks and not document.baseline:
        raise sources.ImportProblem("has no text to import")
    images = into / IMAGES_FOLDER
    planned: dict[Path, bytes] = {}

    def save_picture(block: Block) -> tuple[str | None, str]:
        picture = block.picture
        assert picture is not None
        if picture.data is None:
            return None, (
                f'picture "{picture.name}" is a separate file of the page: not imported; '
                f"copy it into {show(images)}/ and add it to the text"
            )
        if picture.kind not in ("png", "jpeg"):
            return None, (
                f'picture "{picture.name}" is {picture.kind}, not PNG or JPEG: not imported; '
                "save it as PNG or JPEG and add it to the text"
            )
        suffix = ".png" if picture.kind == "png" else ".jpg"
        stem = report.reference.lower()
        target = free_name(images, f"{stem}-{len(planned) + 1}", suffix, picture.data, set(planned))
        planned[target] = picture.data
        name = f"{IMAGES_FOLDER}/{target.name}"
        if not picture.alt:
            return name, (
                f"picture {name} has no alt text: write what it shows between the [ ] "
                "(check will name it)"
            )
        return name, ""

    draft = assemble(
        document,
        path,
        report,
        reference=reference,
        today=today,
        plain_text=plain_text,
        save_picture=save_picture,
    )
    target = into / f"{draft.reference.lower()}.yaml"
    report.target, report.target_shown = target, show(target)
    if target.exists() or target.is_symlink():
        raise AlreadyThere(str(target))
    text = _render(draft, report, path)
    report.words = sum(document.baseline.values())
    report.dropped = words.dropped(document.baseline, words.in_draft(text))
    into.mkdir(parents=True, exist_ok=True)
    for picture_path, data in planned.items():
        if not picture_path.exists():
            write_new(picture_path, data)
    write_new(target, text.encode("utf-8"))


def _read(path: Path, suffix: str, converted: dict[Path, Path]) -> tuple[Document, bool]:
    """The document's blocks, and whether it is plain text (no formatting to go by).

    The readers are imported here, when a file needs them: python-docx with lxml, and the
    HTML parser, take a tenth of a second to load, which no other command should pay for.
    """
    from build_leaflets.importer import read_docx, read_html, read_text  # noqa: PLC0415

    if suffix in sources.WORD:
        return read_docx.read(path), False
    if suffix in sources.CONVERTED:
        if sources.soffice() is None:
            raise sources.ImportProblem(sources.missing_libreoffice(suffix))
        if path not in converted:
            raise sources.ImportProblem(
                f"LibreOffice could not convert this {suffix} file (is it damaged, or "
                "password-protected?): open it, save it as .docx and import that"
            )
        return read_docx.read(converted[path], shown_as=f"{suffix} (converted)"), False
    if suffix in sources.WEB:
        return read_html.read(path), False
    if suffix in sources.MARKDOWN:
        return read_text.read_markdown(path), False
    return read_text.read_text(path), True


def _render(draft: Draft, report: FileReport, source: Path) -> str:
    header = [
        f'DRAFT imported from "{source.name}" by build-leaflets import.',
        "Compare every part with the original, write what is missing, then check it:",
        f"  build-leaflets check {report.target_shown}",
    ]
    return emit.render(header, draft.entries, draft.extras, draft.used)


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)
