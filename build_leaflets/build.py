"""Build: the one orchestrator. Load and check everything, then render, lay out and publish.

Nothing is written until every leaflet has loaded cleanly (as MkDocs and Pelican do): a typo in
one file never leaves a half-updated catalogue. After that, a leaflet that fails to render is
reported and the others still build; the exit status still reports the failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from build_leaflets import pdf, publish, render
from build_leaflets.config import Project
from build_leaflets.errors import LeafletError, Problem, ProblemsFound
from build_leaflets.load import Source, load_all
from build_leaflets.render import installed_fonts


@dataclass(frozen=True)
class Written:
    """One output file and what happened to it."""

    path: str
    outcome: publish.Outcome


@dataclass
class Result:
    """What a build did: files per leaflet, and the leaflets that failed (with why)."""

    files: dict[str, list[Written]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def check(project: Project, paths: Sequence[Path] = ()) -> list[Source]:
    """Load and check leaflets, writing nothing; raises with every problem found."""
    return load_all(project, paths)


def build(
    project: Project,
    references: Sequence[str] = (),
    *,
    out: Path | None = None,
    page_size: str | None = None,
) -> Result:
    """Build the chosen leaflets (default: all) into `out` (default: the project's output/)."""
    sources = load_all(project)
    chosen = _select(sources, references)
    layout = publish.Layout(out or project.output)
    result = Result()
    for source in chosen:
        try:
            result.files[source.leaflet.reference] = _build_one(project, source, layout, page_size)
        except LeafletError as error:
            result.failures[source.leaflet.reference] = error.format_message()
    index = render.render_index([s.leaflet for s in sources], project)
    outcome = publish.publish_page(layout.index(), index.encode("utf-8"))
    result.files["index"] = [Written(project.relative(layout.index()), outcome)]
    return result


def _build_one(
    project: Project, source: Source, layout: publish.Layout, page_size: str | None
) -> list[Written]:
    leaflet = source.leaflet
    page = render.render_html(leaflet, project, media="screen")
    printable = render.render_html(leaflet, project, media="print", page_size=page_size)
    document = pdf.write_pdf(
        printable,
        name=source.display,
        base=project.layouts,
        allowed=[project.layouts, project.leaflets, installed_fonts().files_dir],
        fields=pdf.PdfFields(
            reference=leaflet.reference,
            version=leaflet.version,
            last_updated=leaflet.last_updated.isoformat(),
            archive_date=leaflet.archive_date.isoformat() if leaflet.archive_date else "",
            source_sha256=source.sha256,
            status=leaflet.status,
        ),
    )
    pdf_path, html_path = layout.pdf(leaflet), layout.html(leaflet)
    written = publish.publish_pdf(
        pdf_path, document, shown_as=project.relative(pdf_path), replaceable=leaflet.is_draft
    )
    return [
        Written(project.relative(html_path), publish.publish_page(html_path, page.encode())),
        Written(project.relative(pdf_path), written),
    ]


def _select(sources: list[Source], references: Sequence[str]) -> list[Source]:
    if not references:
        return sources
    by_slug = {source.leaflet.slug: source for source in sources}
    unknown = [ref for ref in references if ref.lower() not in by_slug]
    if unknown:
        known = ", ".join(sorted(s.leaflet.reference for s in sources))
        raise ProblemsFound(
            [Problem("build", 0, 0, "", f"no leaflet has the reference {ref}") for ref in unknown],
            f"Known references: {known}",
        )
    return [by_slug[ref.lower()] for ref in dict.fromkeys(references)]
