"""Review: the approval pack, what an approval group reads before it signs off a new version.

`versions` finds the two texts to compare. The new one is the working file by default; an older
one is a published version, whose text is found where `translate --update` finds it: in the
YAML its archival PDF embeds (in the output folder), or else in the git history of the leaflet's
file. Either way it must be the text that was published: its SHA-256 (`load.source_digest`, with
the pictures it shows) must be the one the register recorded.

`write_pack` writes what `diff.compare` found as one self-contained web page and as a tagged
PDF (PDF/A-3a and PDF/UA-1, with the footer of the new version and both texts embedded):
output/review/PSY-0102-v1-to-v2.html and .pdf. The pack opens with a summary table (each part
of the leaflet: unchanged, changed, added or removed, how many insertions and deletions, and
whether a number changed), then lists the numbers that changed for a clinician to check, then
shows each part with its changes marked as Word's track changes marks them: insertions
underlined, deletions struck through, each in its own colour, with a bar in the margin beside
every changed paragraph, and words a screen reader says ("inserted:", "deleted:"), so neither
colour nor sight is needed to tell them apart. Unchanged parts are shown by their heading only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import yaml
from markupsafe import Markup, escape

from build_leaflets import assets, fonts, markup, pdf, render, screen, translation
from build_leaflets.config import Project
from build_leaflets.diff import Block, Comparison, Field, Segment
from build_leaflets.errors import LeafletError, ProblemsFound
from build_leaflets.files import write_atomic
from build_leaflets.finish import PdfFields
from build_leaflets.load import Source, leaflet_files, load_file, source_digest
from build_leaflets.model import STANDARD_SECTIONS, add_months, is_valid_reference
from build_leaflets.register import ARCHIVAL, LARGE_PRINT, Register, Row, read_pdf

TEMPLATE = "review.html.j2"
STYLESHEET = "review.css"
FOLDER = "review"  # inside the output folder
#: How far back the git history of a leaflet's file is searched for a published text.
GIT_DEPTH = 200
_GIT_TIMEOUT = 30


# --- finding the two versions -----------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One version of a leaflet's source as found: its data (as the YAML loads), its bytes,
    where it was found (said for people) and its checksum as the register records it."""

    version: int
    data: dict[str, Any]
    yaml: bytes
    origin: str
    sha256: str
    published: str = ""  # the day the register says it was published, if it was


class Versions(NamedTuple):
    """The two texts to compare: the one approved before, and the new one."""

    old: Text
    new: Text


def versions(
    project: Project,
    register: Register,
    reference: str,
    from_version: int | None = None,
    to_version: int | None = None,
    out: Path | None = None,
    *,
    path: Path | None = None,
) -> Versions:
    """The two versions of a leaflet (a source, not a translation) to compare.

    `to_version` defaults to the working file (leaflets/REFERENCE.yaml, or the file whose
    `reference:` it is), whatever its version, published or not, checked as `check` checks it.
    A version given is the published text of that version, or the working file if that version
    was never published. `from_version` defaults to the last version published before it.

    A published text is looked for in the archival PDF (and then the large-print PDF) the
    register names, in `out` (default: the project's output folder), which embeds its YAML and
    pictures; then in the working file, if it is still that text; then in the git history of
    the leaflet's file. Whichever it comes from, its SHA-256 (`load.source_digest`, pictures
    included) must be the one the register recorded. Raises LeafletError, saying what to do,
    when a version was never published, its text cannot be found, or there is no earlier
    version; ProblemsFound when the working file needed has problems.
    """
    if not is_valid_reference(reference):
        raise LeafletError(f"{reference!r} is not a leaflet reference (like PSY-0042)")
    out = out or project.output
    path = path or _working_path(project, reference)
    published = published_versions(register, reference)

    if to_version is None or to_version not in published:
        working = _working(project, register, reference, path) if path is not None else None
        if working is None:
            raise LeafletError(
                f"no leaflet in {project.relative(project.leaflets)}/ has the reference "
                f"{reference}; give the reference as the leaflet's file writes it"
            )
        if to_version is not None and working.version != to_version:
            raise LeafletError(
                f"{reference} version {to_version} was never published "
                f"({_register_says(project, register, published)}) and the working file "
                f"{project.relative(path) if path else ''} is version {working.version}; give "
                "a published version, or the working file's"
            )
        new = working
    else:
        new = _published(project, register, reference, to_version, out, path, published)

    if from_version is None:
        earlier = [v for v in published if v < new.version]
        if not earlier:
            raise LeafletError(
                f"{reference}: no version before version {new.version} was published "
                f"({_register_says(project, register, published)}), so there is nothing to "
                "compare it with; give the version to compare with (--from)"
            )
        from_version = earlier[-1]
    if from_version >= new.version:
        raise LeafletError(
            f"{reference}: compare with an earlier version than version {new.version} "
            f"(not version {from_version})"
        )
    old = _published(project, register, reference, from_version, out, path, published)
    return Versions(old, new)


def published_versions(register: Register, reference: str) -> list[int]:
    """The versions of a source leaflet the register records as published, oldest first."""
    return sorted({row.version for row in _rows(register, reference)})


def _rows(register: Register, reference: str) -> list[Row]:
    """The register's rows of a source leaflet (no translations) that embed their source."""
    return [
        row
        for row in register.rows
        if row.reference.lower() == reference.lower()
        and row.language.lower() == _SOURCE_LANGUAGE
        and row.variant in (ARCHIVAL, LARGE_PRINT)
    ]


_SOURCE_LANGUAGE = "en-gb"


def _register_says(project: Project, register: Register, published: Sequence[int]) -> str:
    where = project.relative(register.path)
    if not published:
        return f"{where} records none"
    listed = ", ".join(str(v) for v in published)
    return f"{where} records version{'s' * (len(published) > 1)} {listed}"


def _working_path(project: Project, reference: str) -> Path | None:
    """The leaflet's file: REFERENCE.yaml as the tool names it, else the file that says it has
    this reference (read cheaply, line by line, without checking it)."""
    files = [p for p in leaflet_files(project) if not translation.is_translation_file(p)]
    for path in files:
        if path.stem.lower() == reference.lower():
            return path
    pattern = re.compile(rf"^reference:\s*['\"]?{re.escape(reference)}['\"]?\s*(#.*)?$", re.I)
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(pattern.match(line) for line in text.splitlines()):
            return path
    return None


def _working(project: Project, register: Register, reference: str, path: Path) -> Text | None:
    """The working file, checked as `check` checks it; None if it is another leaflet."""
    loaded, problems = load_file(project, path)
    if problems:
        raise ProblemsFound(
            problems,
            f"{project.relative(path)} has problems: correct them (build-leaflets check), "
            "then compare again.",
        )
    if not isinstance(loaded, Source):
        return None
    leaflet = loaded.leaflet
    if leaflet.reference.lower() != reference.lower():
        return None
    row = register.find(reference, leaflet.version)
    as_published = row is not None and row.source_sha256 == loaded.sha256
    state = "as published" if as_published else "not yet published"
    return Text(
        version=leaflet.version,
        data=_parse(loaded.data, project.relative(path)),
        yaml=loaded.data,
        origin=f"{project.relative(path)} (the working file, {state})",
        sha256=loaded.sha256,
        published=row.published if row is not None and as_published else "",
    )


def _published(
    project: Project,
    register: Register,
    reference: str,
    version: int,
    out: Path,
    path: Path | None,
    published: Sequence[int],
) -> Text:
    """The text of a published version: from its archival PDF, else from git, as recorded."""
    rows = [row for row in _rows(register, reference) if row.version == version]
    if not rows:
        raise LeafletError(
            f"{reference} version {version} was never published "
            f"({_register_says(project, register, published)}); give a published version"
        )
    row = rows[0]
    tried: list[str] = []
    for candidate in rows:
        found = _from_pdf(project, candidate, out, tried)
        if found is not None:
            return found
    if path is not None:
        found = _from_working_file(project, row, path)
        if found is not None:
            return found
        found = _from_git(project, row, path, tried)
        if found is not None:
            return found
    else:
        tried.append("no leaflet file to follow in git")
    archival = out / row.file
    raise LeafletError(
        f"{reference} version {version} was published ({project.relative(register.path)}: "
        f"{row.file}, source SHA-256 {row.source_sha256[:12]}...), but its text was not found: "
        + "; ".join(tried)
        + f". Put the published archival PDF back at {project.relative(archival)} (from the "
        "document archive), or compare in the project's git repository, whose history has "
        "the published file."
    )


def _from_working_file(project: Project, row: Row, path: Path) -> Text | None:
    """The working file, if it is still the published text of that version."""
    loaded, problems = load_file(project, path)
    if problems or not isinstance(loaded, Source) or loaded.sha256 != row.source_sha256:
        return None
    shown = project.relative(path)
    return _text(row, loaded.data, f"{shown} (the working file, as published)", shown)


def _from_pdf(project: Project, row: Row, out: Path, tried: list[str]) -> Text | None:
    path = out / row.file
    shown = project.relative(path)
    if not path.is_file():
        tried.append(f"{shown} is missing")
        return None
    try:
        attachments = read_pdf(path, shown).attachments
    except LeafletError as error:
        tried.append(str(error.format_message()))
        return None
    sources = [name for name in attachments if name.endswith((".yaml", ".yml"))]
    if len(sources) != 1:
        tried.append(f"{shown} embeds no leaflet source")
        return None
    data = attachments[sources[0]]
    others = {
        name: hashlib.sha256(content).hexdigest()
        for name, content in attachments.items()
        if name != sources[0]
    }
    digest = source_digest(data, others)
    if digest != row.source_sha256:
        tried.append(
            f"{shown} embeds a source whose SHA-256 ({digest[:12]}...) is not the one "
            "recorded: it is not the published file"
        )
        return None
    return _text(row, data, f"{shown} (the source embedded in the published PDF)", shown)


def _from_git(project: Project, row: Row, path: Path, tried: list[str]) -> Text | None:
    """The version's text from the git history of the leaflet's file (renames followed), with
    the pictures it shows as they were in the same commit."""
    shown = project.relative(path)

    def git(*args: str) -> bytes | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(path.parent), *args],
                capture_output=True,
                timeout=_GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    log = git(
        "log", f"-n{GIT_DEPTH}", "--follow", "--format=%x01%H %cs", "--name-only", "--", path.name
    )
    if log is None:
        tried.append(f"{shown} is not in a git repository (or git is not installed)")
        return None
    for commit, day, name in _commits(log.decode("utf-8", "replace")):
        data = git("show", f"{commit}:{name}")
        if data is None or not _may_be(data, row.version):
            continue
        pictures = _git_pictures(git, commit, name, data)
        if pictures is None:
            continue
        if source_digest(data, pictures) == row.source_sha256:
            where = f"{name} in git commit {commit[:10]} of {day}"
            return _text(row, data, where, where)
    tried.append(f"the git history of {shown} has no text with the recorded SHA-256")
    return None


def _commits(log: str) -> Iterator[tuple[str, str, str]]:
    """(commit, day, path of the file in it) from `git log --name-only` output."""
    for entry in log.split("\x01")[1:]:
        lines = [line for line in entry.splitlines() if line.strip()]
        if len(lines) >= 2:
            commit, _, day = lines[0].partition(" ")
            yield commit, day, lines[1]


def _may_be(data: bytes, version: int) -> bool:
    """Whether a committed file says it is this version (cheaply, before any hashing)."""
    return (
        re.search(rf"(?m)^version:\s*{version}\s*(#.*)?$", data.decode("utf-8", "replace"))
        is not None
    )


def _git_pictures(git: Any, commit: str, name: str, data: bytes) -> dict[str, str] | None:
    """The SHA-256 of each picture the committed text shows, as committed with it."""
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError:
        return None
    if not isinstance(raw, dict):
        return None
    folder = name.rpartition("/")[0]
    found: dict[str, str] = {}
    for body in _bodies(raw):
        for source in markup.image_sources(body):
            content = git("show", f"{commit}:{folder + '/' if folder else ''}{source}")
            if content is None:
                return None
            found[source] = hashlib.sha256(content).hexdigest()
    return found


def _bodies(raw: dict[str, Any]) -> Iterator[str]:
    for key in STANDARD_SECTIONS:
        value = raw.get(key)
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict) and isinstance(value.get("body"), str):
            yield value["body"]
    for extra in raw.get("extra_sections") or []:
        if isinstance(extra, dict) and isinstance(extra.get("body"), str):
            yield extra["body"]


def _text(row: Row, data: bytes, origin: str, shown: str) -> Text:
    return Text(
        version=row.version,
        data=_parse(data, shown),
        yaml=data,
        origin=origin,
        sha256=row.source_sha256,
        published=row.published,
    )


def _parse(data: bytes, shown: str) -> dict[str, Any]:
    """YAML as a leaflet file may be written (screened as `load` screens it), not checked
    against today's rules: an old version may not follow a rule added since."""
    text = screen.decode(data)
    if isinstance(text, screen.Refusal):
        raise LeafletError(f"{shown}: {text.message}")
    refusals = screen.screen_yaml(text, screen.SAFE_LOADER)
    if refusals:
        raise LeafletError(f"{shown}: {refusals[0].message}")
    try:
        raw = yaml.load(text, Loader=screen.SAFE_LOADER)  # a safe loader: no Python objects
    except yaml.YAMLError as error:
        raise LeafletError(f"{shown}: cannot be read as YAML ({error})") from None
    if not isinstance(raw, dict):
        raise LeafletError(f"{shown}: is not a leaflet (a mapping of fields)")
    return raw


# --- the pack ---------------------------------------------------------------------------------


def pack_name(comparison: Comparison) -> str:
    """PSY-0102-v1-to-v2: the pack's file name, without its extension."""
    return f"{comparison.reference}-v{comparison.old_version}-to-v{comparison.new_version}"


def pack_title(comparison: Comparison) -> str:
    return (
        f"Changes to {comparison.reference} from version {comparison.old_version} "
        f"to version {comparison.new_version}"
    )


def write_pack(
    project: Project, comparison: Comparison, found: Versions, out: Path | None = None
) -> tuple[Path, Path]:
    """Write the approval pack of `comparison` (made from `found`) as a self-contained web page
    and a PDF/A-3a + PDF/UA-1 file with the new version's footer and both texts embedded:
    OUT/review/PSY-0102-v1-to-v2.html and .pdf (OUT: the project's output folder by default).
    Returns their paths. Raises LeafletError if the layout or the PDF cannot be made."""
    if not is_valid_reference(comparison.reference):
        raise LeafletError(f"{comparison.reference!r} is not a leaflet reference")
    compared = (comparison.old_version, comparison.new_version)
    if compared != (found.old.version, found.new.version):
        raise LeafletError(
            f"the comparison is of versions {compared[0]} and {compared[1]}, not of the "
            f"versions found ({found.old.version} and {found.new.version})"
        )
    folder = (out or project.output) / FOLDER
    name = pack_name(comparison)
    page = render_pack(project, comparison, found, media="screen")
    printable = render_pack(project, comparison, found, media="print")
    new, old = found.new, found.old
    fields = _fields(project, found.new)
    slug = comparison.reference.lower()
    document = pdf.write_pdf(
        printable,
        name=f"{name}.pdf",
        base=project.layouts,
        allowed=[project.layouts, *render.font_folders()],
        fields=fields,
        sources=[
            pdf.SourceFile(f"{slug}-v{old.version}.yaml", old.yaml, _day(old.data, "last_updated")),
            pdf.SourceFile(f"{slug}-v{new.version}.yaml", new.yaml, _day(new.data, "last_updated")),
        ],
        font_css=render.font_css(),
    )
    html_path, pdf_path = folder / f"{name}.html", folder / f"{name}.pdf"
    write_atomic(html_path, page.encode("utf-8"))
    write_atomic(pdf_path, document)
    return html_path, pdf_path


def _day(data: dict[str, Any], key: str) -> dt.date:
    value = data.get(key)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return dt.date(2000, 1, 1)


def _archive_date(project: Project, data: dict[str, Any]) -> dt.date:
    if data.get("archive_date") not in (None, ""):
        return _day(data, "archive_date")
    return add_months(_day(data, "last_updated"), project.site.review_months)


def _fields(project: Project, new: Text) -> PdfFields:
    """The footer's and the metadata's fields: those of the new version."""
    return PdfFields(
        reference=str(new.data.get("reference")),
        version=new.version,
        last_updated=_day(new.data, "last_updated").isoformat(),
        archive_date=_archive_date(project, new.data).isoformat(),
        source_sha256=new.sha256,
        status=str(new.data.get("status") or "draft"),
    )


@dataclass(frozen=True)
class Part:
    """One row of the summary and one part of the pack: a field of the comparison, or the
    governance fields together."""

    id: str
    label: str
    state: str
    insertions: int
    deletions: int
    numbers: int
    moves: int
    html: Markup
    collapsed: bool


def render_pack(project: Project, comparison: Comparison, found: Versions, *, media: str) -> str:
    """The pack as one HTML page: `media` "screen" (self-contained) or "print" (for the PDF)."""
    layouts, site = project.layouts, project.site
    new, old = found.new, found.old
    parts = list(_parts(comparison))
    title = pack_title(comparison)
    words = render.Words("en-GB")
    stylesheet = "\n".join(
        (layouts / name).read_text(encoding="utf-8") for name in (render.STYLESHEET, STYLESHEET)
    )
    logo_path = layouts / site.logo if site.logo else None
    if logo_path is not None and not logo_path.is_file():
        logo_path = None
    logo = ""
    if logo_path is not None:
        logo = _data_url(logo_path) if media == "screen" else logo_path.resolve().as_uri()
    context = {
        "media": media,
        "title": title,
        "comparison": comparison,
        "leaflet_title": str(new.data.get("title") or old.data.get("title") or ""),
        "old": old,
        "new": new,
        "old_day": _published_day(old),
        "new_day": _published_day(new),
        "parts": parts,
        "changed_parts": [part for part in parts if not part.collapsed],
        "numbers": [(number, _anchor(number.field)) for number in comparison.numbers],
        "site": site,
        "logo": logo,
        "reference": comparison.reference,
        "version": new.version,
        "last_updated": _day(new.data, "last_updated"),
        "archive_date": _archive_date(project, new.data),
        "page_counter": words.page_counter(),
        "stylesheet": Markup(stylesheet),
        "font_faces": "",
        "state_text": state_text,
        "heading_of": _heading_of,
    }
    try:
        template = render._environment(layouts).get_template(TEMPLATE)
        if media == "screen":  # the fonts the page's text needs, inlined
            text = template.render(context)
            context["font_faces"] = Markup(fonts.font_face_css(True, text, "en-GB"))
        return template.render(context)
    except jinja2.TemplateError as error:
        where = getattr(error, "filename", None) or TEMPLATE
        raise LeafletError(f"{where}: layout error: {error.message}") from None
    except OSError as error:
        raise LeafletError(f"{error.filename}: cannot read layout file: {error.strerror}") from None


def _published_day(text: Text) -> str:
    if not text.published:
        return ""
    try:
        return render.uk_date(dt.date.fromisoformat(text.published))
    except ValueError:
        return text.published


def _data_url(path: Path) -> str:
    return assets.data_url(path.name, path.read_bytes())


def _anchor(key: str) -> str:
    return "part-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")


_STATES = {"unchanged": "Unchanged", "changed": "Changed", "added": "Added", "removed": "Removed"}


def _parts(comparison: Comparison) -> Iterator[Part]:
    """The summary's rows in print order, the governance fields as one."""
    governance = [f for f in comparison.fields if f.group == "governance"]
    for field in comparison.fields:
        if field.group == "governance":
            if field is governance[0]:
                yield _governance_part(comparison, governance)
            continue
        numbers = len(comparison.numbers_in(field.key))
        label = field.label or "Section without a heading"
        collapsed = field.state == "unchanged" and field.group != "text"
        yield Part(
            id=_anchor(field.key),
            label=label,
            state=field.state,
            insertions=field.insertions,
            deletions=field.deletions,
            numbers=numbers,
            moves=field.moves,
            html=_field_html(field),
            collapsed=collapsed,
        )


def _governance_part(comparison: Comparison, fields: Sequence[Field]) -> Part:
    changed = any(f.state != "unchanged" for f in fields)
    rows = []
    for field in fields:
        value = _blocks_inline(field.blocks)
        mark = "" if field.state == "unchanged" else f' class="{field.state}"'
        rows.append(f'<tr{mark}><th scope="row">{escape(field.label)}</th><td>{value}</td></tr>')
    # No <caption>: WeasyPrint tags one as a table inside the table, which PDF/UA refuses;
    # the part's heading names the table.
    html = f'<table class="governance-table"><tbody>{"".join(rows)}</tbody></table>'
    return Part(
        id=_anchor("governance"),
        label="Governance (version, dates, approval)",
        state="changed" if changed else "unchanged",
        insertions=sum(f.insertions for f in fields),
        deletions=sum(f.deletions for f in fields),
        numbers=0,
        moves=0,
        html=Markup(html),
        collapsed=False,
    )


def state_text(part: Part) -> str:
    text = _STATES.get(part.state, part.state)
    if part.moves:
        text += f" ({part.moves} moved)"
    return text


# --- changes as HTML ----------------------------------------------------------------------------


_EMPHASIS = ("strong", "em", "code")  # the segments' styles are the tags that show them


def _segment_html(segment: Segment) -> str:
    """One segment: an insertion as <ins>, a deletion as <del>, each saying what it is to a
    screen reader (and to anyone reading the PDF's text aloud) in words hidden on the page."""
    if segment.kind != "equal" and not segment.text.strip():
        # a space added or removed, shown only with minor changes
        tag, said = ("ins", "inserted") if segment.kind == "inserted" else ("del", "deleted")
        return f'<{tag} class="space"><span class="visually-hidden">{said} space</span></{tag}>'
    # Spaces at either end stay outside the marks, so none is lost next to hidden words.
    inner = segment.text.strip(" ")
    before = " " * (len(segment.text) - len(segment.text.lstrip(" ")))
    after = " " * (len(segment.text) - len(segment.text.rstrip(" "))) if inner else ""
    html = str(escape(inner))
    for style in segment.style.split():
        if style in _EMPHASIS:
            html = f"<{style}>{html}</{style}>"
    if segment.kind != "equal":
        tag, said = ("ins", "inserted") if segment.kind == "inserted" else ("del", "deleted")
        html = (
            f'<{tag}><span class="visually-hidden">[{said}: </span>{html}'
            f'<span class="visually-hidden">]</span></{tag}>'
        )
    return before + html + after


def _segments_html(segments: Sequence[Segment]) -> str:
    out: list[str] = []
    previous: Segment | None = None
    for segment in segments:
        if (
            previous is not None
            and previous.kind == "deleted"
            and segment.kind == "inserted"
            and not previous.text[-1:].isspace()
            and not segment.text[:1].isspace()
        ):
            out.append(" ")  # a replacement reads "old new", not "oldnew"
        out.append(_segment_html(segment))
        previous = segment
    return "".join(out)


_NOTES = {
    ("added", "moved"): "Moved here",
    ("removed", "moved"): "Moved from here",
    ("changed", "split"): "New paragraph",
    ("changed", "joined"): "Joined into one",
    ("changed", "formatting"): "Formatting changed",
}


def _note_html(block: Block) -> str:
    note = _NOTES.get((block.state, block.note))
    return f'<span class="note">{escape(note)}:</span> ' if note else ""


def _block_class(block: Block) -> str:
    """A changed block is "revised" (a bar in the margin) and says how (changed, added...)."""
    return f' class="revised {block.state}"' if block.state != "unchanged" else ""


def _blocks_inline(blocks: Sequence[Block]) -> str:
    return "<br>".join(_note_html(b) + _segments_html(b.segments) for b in blocks)


def _field_html(field: Field) -> Markup:
    """A field's blocks as HTML: lists as lists, headings one level under the part's own."""
    out: list[str] = []
    lists: list[list[Any]] = []  # the open lists: [tag, whether an item is open]

    def close_list() -> None:
        tag, item_open = lists.pop()
        out.append("</li>" * item_open + f"</{tag}>")

    # The body's headings start one level under the part's h3, whatever level they start at.
    top = min((b.level for b in field.blocks if b.kind == "heading"), default=1)
    for block in field.blocks:
        content = _note_html(block) + _segments_html(block.segments)
        if block.kind != "item":
            while lists:
                close_list()
            out.append(_block_html(block, content, top))
            continue
        depth, tag = block.level + 1, "ol" if block.ordered else "ul"
        while len(lists) > depth:
            close_list()
        if len(lists) == depth and lists[-1][0] != tag:
            close_list()
        while len(lists) < depth:
            if lists and not lists[-1][1]:
                out.append('<li class="holder">')
                lists[-1][1] = True
            out.append(f"<{tag if len(lists) == depth - 1 else 'ul'}>")
            lists.append([tag if len(lists) == depth - 1 else "ul", False])
        if lists[-1][1]:
            out.append("</li>")
        out.append(f"<li{_block_class(block)}>{content}")
        lists[-1][1] = True
    while lists:
        close_list()
    return Markup("\n".join(out))


def _block_html(block: Block, content: str, top: int = 1) -> str:
    mark = _block_class(block)
    if block.kind == "heading":
        level = min(4 + block.level - top, 6)
        return f"<h{level}{mark}>{content}</h{level}>"
    if block.kind == "code":
        return f"<pre{mark}>{content}</pre>"
    if block.kind == "rule":
        return f"<hr{mark}>"
    if block.kind == "row":
        revised = f" revised {block.state}" if block.state != "unchanged" else ""
        return f'<p class="row{revised}">{content}</p>'
    return f"<p{mark}>{content}</p>"


def heading_html(field: Field) -> Markup:
    """A part's heading, with the changes to it when it is a section whose heading changed."""
    if field.heading is None:
        return Markup(escape(field.label))
    return Markup(_segments_html(field.heading.segments))


def _heading_of(comparison: Comparison, part: Part) -> Markup:
    for field in comparison.fields:
        if _anchor(field.key) == part.id:
            return heading_html(field)
    return Markup(escape(part.label))
