"""Assemble: one document's blocks, governance and sections as the entries of a draft leaflet.

The order of work matters: governance lines come out first (so "Leaflet reference: X" in bold
is never taken for a heading), then headings and lists are found, then sections are matched,
then contact details are taken from "Contact us" blocks and the page margins. Text before the
first heading becomes the summary when it is one short paragraph, otherwise `what`. Nothing is
invented: a required section the document lacks is left out, for `check` to name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from build_leaflets.importer import contact, governance, markdown, sections, structure
from build_leaflets.importer.blocks import Block, Document, flatten
from build_leaflets.importer.emit import Entry, Item
from build_leaflets.importer.report import FileReport
from build_leaflets.model import (
    MAX_LINE,
    MAX_REFERENCE,
    REQUIRED_SECTIONS,
    STANDARD_SECTIONS,
    is_valid_reference,
)

MAX_SUMMARY = 300  # longer text before the first heading is the `what` section

#: Saves a picture and gives its name in the leaflet (images/x.png), or None with why not.
SavePicture = Callable[[Block], tuple[str | None, str]]


@dataclass
class Draft:
    """Everything the YAML file will hold, and what the report says about it."""

    reference: str
    entries: list[Entry] = field(default_factory=list)
    extras: list[Item] = field(default_factory=list)
    used: list[tuple[str, str]] = field(default_factory=list)


def reference_from_name(path: Path) -> str:
    """A reference from a file name: letters, digits and hyphens, upper case, at most 40."""
    reference = re.sub(r"[^A-Za-z0-9]+", "-", path.stem).strip("-").upper()
    return reference[:MAX_REFERENCE].strip("-") or "IMPORTED"


def assemble(
    document: Document,
    source: Path,
    report: FileReport,
    *,
    reference: str | None,
    today: dt.date,
    plain_text: bool,
    save_picture: SavePicture,
) -> Draft:
    """The draft of one document; every decision is added to `report`."""
    blocks, found = governance.extract(document.blocks, document.margins)
    shape = structure.shape(blocks, plain_text=plain_text, title_hint=document.title)
    document.baseline.subtract(shape.markers)  # "o" as a typed bullet is not a word
    title, title_how = _title(document, shape, source)
    layout = sections.assign(shape.blocks, shape.section_level, sections.subjects_of(title))
    details = contact.Contact()
    chosen, reference_comment = _reference(reference, found, source, report)
    draft = Draft(chosen)
    report.reference = draft.reference

    extras = _contact_and_extras(layout, details, draft, report)
    leftovers = contact.extract(
        [Block("paragraph", plain=line) for line in found.unused_margins],
        "the page header or footer",
        details,
    )
    report.unplaced += [
        f'the page header or footer: "{b.plain}" (not part of the text; not imported)'
        for b in leftovers
    ]

    summary = _intro(layout, document, report)
    draft.entries.append(Entry("reference", draft.reference, [reference_comment]))
    _version(draft, found, report)
    draft.entries.append(Entry("title", title, [f"from {title_how}"]))
    report.placed.append(("title", f'"{title}" ({title_how})'))
    if summary:
        draft.entries.append(Entry("summary", summary[0], [f"from {summary[1]}"]))
        report.placed.append(("summary", summary[1]))
    draft.entries.append(Entry("status", "draft", ["imported: a draft until it is approved"]))
    _dates(draft, found, report, today)
    for name in ("owner", "approved_by", "approved_on"):
        if name in found.fields:
            _governance_entry(draft, found.fields[name], report)
    if details.fields:
        origins = sorted({where for where, _ in details.used}) or ["the text"]
        lines = "; ".join(f"{k} {_quote(details.lines[k])}" for k in details.fields)
        comment = f"from {', '.join(origins)}: {lines}"
        draft.entries.append(Entry("contact", dict(details.fields), [comment]))
        report.placed.append(("contact", f"{', '.join(details.fields)} from {', '.join(origins)}"))
    _sections(draft, layout, report, save_picture)
    _history(draft, report)
    for placed in extras:
        body = _body(placed.blocks, report, save_picture)
        if not body:
            report.notes.append(f'"{placed.heading}" had nothing under it that could be imported')
            draft.used.append(("a heading with nothing under it", placed.heading))
            continue
        how = f"{placed.found_by}; {placed.matched_by}"
        comment = f'from heading "{placed.heading}" ({how})'
        draft.extras.append(Item(placed.heading[:MAX_LINE], body, [comment]))
        report.extras.append(f'"{placed.heading}" ({how})')
    report.missing = [key for key in REQUIRED_SECTIONS if key not in layout.sections]
    report.notes += layout.notes + found.notes + document.notes
    draft.used = found.used + details.used + draft.used
    return draft


def _title(document: Document, shape: structure.Shape, source: Path) -> tuple[str, str]:
    if shape.title is not None:
        text = " ".join(flatten(shape.title.plain).split())
        how = shape.title.how or shape.title.style or "the first heading"
        return text[:MAX_LINE], f"the document's title: {how}"
    if document.title:
        return document.title[:MAX_LINE], "the document's title (its metadata)"
    if document.fallback_title:
        return document.fallback_title[:MAX_LINE], "the page's <title> (the text has none)"
    name = " ".join(re.sub(r"[_\-]+", " ", source.stem).split()) or source.stem
    return name[:MAX_LINE], "the file name (the document has no title): check it"


def _reference(
    given: str | None, found: governance.Governance, source: Path, report: FileReport
) -> tuple[str, str]:
    """The reference and where it came from: --reference, the document, or the file name."""
    if given:
        where = "given with --reference"
    elif "reference" in found.fields and is_valid_reference(str(found.fields["reference"].value)):
        field_found = found.fields["reference"]
        given = str(field_found.value)
        where = f'from {field_found.where}: "{field_found.line}"'
    else:
        given = reference_from_name(source)
        where = "from the file name (none in the document): check it"
    report.governance.append(("reference", f"{given} {where}"))
    return given, where


def _version(draft: Draft, found: governance.Governance, report: FileReport) -> None:
    if "version" in found.fields:
        version = found.fields["version"]
        _governance_entry(draft, version, report)
        return
    draft.entries.append(Entry("version", 1, ["not in the document: version 1"]))
    report.governance.append(("version", "not in the document: 1"))


def _history(draft: Draft, report: FileReport) -> None:
    """A version above 1 needs its entry in the version history (check requires it): one is
    started, for the writer to say what changed, since a document rarely says."""
    values = {entry.key: entry.value for entry in draft.entries}
    version, day = values.get("version"), values.get("last_updated")
    if not isinstance(version, int) or version <= 1 or not isinstance(day, dt.date):
        return
    summary = f"Version {version}, imported; say what changed in it."
    draft.entries.append(
        Entry(
            "changes",
            [{"version": version, "date": day, "summary": summary}],
            ["the version history: a version above 1 needs its entry; write what changed"],
        )
    )
    report.notes.append(f"changes: started an entry for version {version}; say what changed")


def _dates(draft: Draft, found: governance.Governance, report: FileReport, today: dt.date) -> None:
    if "last_updated" in found.fields:
        _governance_entry(draft, found.fields["last_updated"], report)
    else:
        draft.entries.append(Entry("last_updated", today, ["not in the document: today"]))
        report.governance.append(("last_updated", f"not in the document: today, {today}"))
    if "archive_date" in found.fields:
        _governance_entry(draft, found.fields["archive_date"], report)
        archive = found.fields["archive_date"].value
        updated = found.fields.get("last_updated")
        last = updated.value if updated else today
        if isinstance(archive, dt.date) and isinstance(last, dt.date) and archive <= last:
            report.notes.append(
                f"archive_date {archive} is not after last_updated {last}: check will say so; "
                "set the date the leaflet is next reviewed"
            )
    else:
        report.governance.append(
            ("archive_date", "not in the document: the site's review period will set it")
        )


def _governance_entry(draft: Draft, found: governance.Found, report: FileReport) -> None:
    value = found.value
    shown = value.isoformat() if isinstance(value, dt.date) else str(value)
    origin = f'{found.where}: "{found.line}"'
    note = f" ({found.note})" if found.note else ""
    draft.entries.append(Entry(found.field, value, [f"from {origin}{note}"]))
    report.governance.append((found.field, f"{shown} from {origin}{note}"))


def _contact_and_extras(
    layout: sections.Layout, details: contact.Contact, draft: Draft, report: FileReport
) -> list[sections.Placed]:
    """Extra sections in their order; contact blocks give their details first, and what is
    left of them stays an extra section."""
    extras: list[sections.Placed] = []
    for placed in layout.extras:
        if placed.key != sections.CONTACT:
            extras.append(placed)
            continue
        rest = contact.extract(placed.blocks, f'"{placed.heading}"', details)
        if rest:
            placed.blocks = rest
            placed.matched_by += "; contact details taken out, the rest kept here"
            extras.append(placed)
        else:
            draft.used.append(("the heading of the contact details", placed.heading))
    return extras


def _intro(
    layout: sections.Layout, document: Document, report: FileReport
) -> tuple[str, str] | None:
    """The text before the first heading: the summary if it is one short paragraph, or the
    `what` section (or the start of it)."""
    intro = layout.intro
    if document.summary:
        summary = (document.summary, "the document's summary (its metadata)")
    else:
        summary = None
    if not intro:
        return summary
    if (
        summary is None
        and len(intro) == 1
        and intro[0].kind == "paragraph"
        and len(intro[0].plain) <= MAX_SUMMARY
    ):
        text = " ".join(flatten(intro[0].plain).split())
        return text, "the text before the first heading"
    if "what" in layout.sections:
        layout.sections["what"].blocks[:0] = intro
        layout.sections["what"].matched_by += "; the text before the first heading put first"
    else:
        layout.sections["what"] = sections.Placed(
            "what", "", "", "the text before the first heading", intro
        )
    return summary


def _sections(
    draft: Draft, layout: sections.Layout, report: FileReport, save_picture: SavePicture
) -> None:
    for key in STANDARD_SECTIONS:
        placed = layout.sections.get(key)
        if placed is None:
            continue
        body = _body(placed.blocks, report, save_picture)
        if not body:
            report.notes.append(f'"{placed.heading}" had nothing under it that could be imported')
            if placed.heading:
                draft.used.append(("a heading with nothing under it", placed.heading))
            if key in REQUIRED_SECTIONS:
                del layout.sections[key]
            continue
        if placed.heading:
            how = f"{placed.found_by}; {placed.matched_by}"
            comment = f'from heading "{placed.heading}" ({how})'
            draft.entries.append(
                Entry(key, {"heading": placed.heading[:MAX_LINE], "body": body}, [comment])
            )
            report.placed.append((key, f'"{placed.heading}" ({how})'))
        else:
            draft.entries.append(Entry(key, body, [f"from {placed.matched_by}"]))
            report.placed.append((key, placed.matched_by))


def _body(blocks: list[Block], report: FileReport, save_picture: SavePicture) -> str:
    for block in blocks:
        if block.kind == "picture" and block.picture is not None and not block.text:
            name, problem = save_picture(block)
            if name is None:
                report.unplaced.append(problem)
                continue
            alt = block.picture.alt
            block.text = f"![{_alt(alt)}]({name})"
            if problem:
                report.notes.append(problem)
    if any(block.kind == "table" for block in blocks):
        report.notes.append(
            "a table was written as a Markdown table; leaflets do not print tables yet "
            "(markup.py), so look at it in the preview or make it a list"
        )
    return markdown.body(blocks)


def _alt(text: str) -> str:
    return " ".join(text.replace("[", "(").replace("]", ")").replace("\\", "/").split())


def _quote(text: str) -> str:
    return f'"{" ".join(text.split())}"'
